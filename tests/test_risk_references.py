"""Risk: the cases mutation testing (issue 14) found unchecked, each against an independent
reference - safe bands against a direct scan of the account's own liquidation check, the
reported estimate (repr, HTML) against the fields it shows, and every argument named when it is
bad (the message starts with its name).
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.risk import safe_band
from lpperp.simulate import Scenario, initial_account

SHORT = initial_account(Scenario(width_pct=20, leverage=2.0))  # LP + 2x short: liquidated above
LONG = initial_account(Scenario(width_pct=20, leverage=3.0, side="long"))  # liquidated below


def _scan(account, lo, hi, n=200_001):
    """The liquidatable prices of a dense grid (the account's own check, no boundary solver)."""
    grid = np.linspace(lo, hi, n)
    return grid, np.asarray(account.is_liquidatable(grid), dtype=bool)


def test_safe_band_of_a_short_ends_where_the_account_first_liquidates_above():
    lo, hi = safe_band(SHORT, 3000.0)
    assert lo == 0.0 and isinstance(hi, float)
    grid, liq = _scan(SHORT, 3000.0, 6000.0)
    first = grid[np.argmax(liq)]
    assert liq.any() and not liq[0]
    assert abs(first - hi) <= grid[1] - grid[0]
    assert not SHORT.is_liquidatable(hi * (1 - 1e-9)) and SHORT.is_liquidatable(hi * (1 + 1e-9))


def test_safe_band_of_a_long_ends_where_it_first_liquidates_below_and_has_no_upper_end():
    lo, hi = safe_band(LONG, 3000.0)
    assert hi is None and 0.0 < lo < 3000.0
    grid, liq = _scan(LONG, 1000.0, 3000.0)
    last = grid[np.flatnonzero(liq)[-1]]
    assert abs(last - lo) <= grid[1] - grid[0] and not liq[-1]
    assert LONG.is_liquidatable(lo * (1 - 1e-9)) and not LONG.is_liquidatable(lo * (1 + 1e-9))


@pytest.mark.parametrize("side", ["short", "long"])
def test_an_account_on_its_boundary_has_no_safe_band(side):
    """At its own liquidation price the account is not strictly inside a safe interval."""
    acct = SHORT if side == "short" else LONG
    lo, hi = safe_band(acct, 3000.0)
    edge = hi if side == "short" else lo
    with pytest.raises(LpperpError, match=r"^the account is liquidatable at price="):
        safe_band(acct, edge)
    with pytest.raises(LpperpError, match=r"^the account is liquidatable at price="):
        safe_band(acct, 5000.0 if side == "short" else 1500.0)


@pytest.mark.parametrize(
    ("account", "price", "match"),
    [
        (SHORT, -1.0, r"^price must"),
        (SHORT, [3000.0, 3100.0], r"^price must be a single number"),
        ("iso", 3000.0, r"^account must be a margin account .* got str 'iso'$"),
        (3000.0, 3000.0, r"got float 3000\.0$"),
    ],
)
def test_safe_band_names_each_bad_argument(account, price, match):
    with pytest.raises(LpperpError, match=match):
        safe_band(account, price)


# --- what an estimate shows ---------------------------------------------------------------------
def test_an_estimate_shows_its_fields_in_text_and_html():
    """The repr and the notebook table show each field once, as the docstring defines them:
    probability +/- standard error, the interval at its confidence, survival = 1 - p, paths x
    steps, the horizon in days (tau * 365) and the monitoring."""
    from lpperp.risk import LiquidationRisk

    r = LiquidationRisk(0.25, 0.0125, 0.22, 0.28, 0.9, 0.1, 0.15, np.array([0.0, 0.1, 0.25]),
                        12345, 30, 45 / 365, "bridge")
    assert r.survival == 0.75 and r.survival_ci == (1 - 0.28, 1 - 0.22)
    assert repr(r) == ("LiquidationRisk(p=0.2500 ± 0.0125, 90% CI [0.2200, 0.2800], "
                       "12345 paths x 30 steps, bridge)")
    rows = [("liquidation probability", "0.2500 ± 0.0125"), ("90% interval", "[0.2200, 0.2800]"),
            ("survival", "0.7500"), ("paths x steps", "12,345 x 30"), ("horizon, days", "45"),
            ("monitoring", "bridge")]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    assert r._repr_html_() == f"<table><tbody>{body}</tbody></table>"


def test_bridge_estimate_at_a_vanishing_volatility_is_zero_without_float_warnings():
    """sigma = 4.5e-153: the bridge's 2 / (sigma^2 dt) is ~1e307 and its product with a squared
    log distance overflows to -inf (a crossing probability of exactly 0) - quietly."""
    import warnings

    from lpperp.processes import GBM
    from lpperp.risk import liquidation_probability

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = liquidation_probability(GBM(4.5e-153), 3000.0, 0.003, None, 0.1, 10, 100, seed=1,
                                    monitoring="bridge")
    assert r.probability == 0.0 and r.probability_lower == 0.0 and r.stderr == 0.0


@pytest.mark.parametrize("price", ["3000", b"3000", True, None])
def test_bgk_shift_refuses_a_price_that_is_not_a_number(price):
    """Text that numpy would parse ("3000") and booleans are not prices."""
    from lpperp.risk import bgk_shift

    with pytest.raises(LpperpError, match=r"^price must be a number >= 0"):
        bgk_shift(2400.0, price, 0.8, 1 / 365)


def test_bgk_shift_takes_any_real_number_as_a_price():
    """A Fraction or Decimal price is the same price (as every other argument accepts)."""
    from decimal import Decimal
    from fractions import Fraction

    from lpperp.risk import bgk_shift

    want = bgk_shift(2400.0, 3000.0, 0.8, 1 / 365)
    assert bgk_shift(2400.0, Fraction(3000), 0.8, 1 / 365) == want
    assert bgk_shift(2400.0, Decimal("3000"), 0.8, 1 / 365) == want


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((2400.0, object(), 0.8, 1 / 365), r"^price must be a number >= 0"),
        ((2400.0, ["abc"], 0.8, 1 / 365), r"^price must be a number >= 0"),
        ((2400.0, 3000.0, -0.8, 1 / 365), r"^sigma_per_year must"),
        (([2400.0, 2500.0], [3000.0, 3000.0, 3000.0], 0.8, 1 / 365),
         r"^bgk_shift: the arguments must broadcast to one shape, got barrier \(2,\), price \(3,\)"),
    ],
)
def test_bgk_shift_names_each_bad_argument(args, match):
    from lpperp.risk import bgk_shift

    with pytest.raises(LpperpError, match=match):
        bgk_shift(*args)


# --- closed forms against independent methods ------------------------------------------------------
def _spectral_survival(p0, lo, hi, sigma, tau, mu, k_max=4000):
    """Probability that GBM stays in (lo, hi) up to tau by the eigenfunction expansion of the
    killed drifted Brownian motion (Fourier sine series; Cox & Miller, *The Theory of Stochastic
    Processes*, 1965, 5.7): an independent method from the library's images series.
    ``X = ln(P/P0)``, ``nu = mu - sigma^2/2``, ``a < 0 < b``, ``w = b - a``, ``c = nu/sigma^2``:
    ``S = sum_k (2/w) sin(k pi (-a)/w) e^{c a} e^{-lambda_k tau} int_0^w e^{c u} sin(k pi u/w) du``
    with ``lambda_k = nu^2/(2 sigma^2) + (k pi sigma / w)^2 / 2`` (4000 terms: the neglected
    ones are below e^{-lambda_4000 tau} ~ 0 for every case here)."""
    a, b = np.log(lo / p0), np.log(hi / p0)
    w, nu = b - a, mu - 0.5 * sigma**2
    c = nu / sigma**2
    k = np.arange(1, k_max + 1)
    m = k * np.pi / w
    lam = 0.5 * nu**2 / sigma**2 + 0.5 * (m * sigma) ** 2
    integral = (m - m * (-1.0) ** k * np.exp(c * w)) / (c**2 + m**2)  # int_0^w e^{cu} sin(mu) du
    # transition density of the killed process from x = 0 to y = a + u, with the Girsanov factor
    # e^{c (y - 0)} = e^{c a} e^{c u}
    terms = (2.0 / w) * np.sin(m * (-a)) * np.exp(c * a) * integral * np.exp(-lam * tau)
    return float(np.sum(terms))


@pytest.mark.parametrize(
    ("lo", "hi", "sigma", "tau", "mu"),
    [(2400.0, 3600.0, 0.8, 30 / 365, 0.0), (2400.0, 3600.0, 0.8, 0.5, 0.7),
     (2000.0, 3300.0, 0.5, 0.25, -1.5), (2900.0, 3100.0, 0.3, 0.1, 0.2),
     (1500.0, 6000.0, 1.2, 2.0, -0.4)],
)
def test_band_exit_against_the_eigenfunction_expansion(lo, hi, sigma, tau, mu):
    from lpperp.risk import band_exit_probability

    want = 1.0 - _spectral_survival(3000.0, lo, hi, sigma, tau, mu)
    assert band_exit_probability(3000.0, lo, hi, sigma, tau, mu) == pytest.approx(want, abs=1e-10)
    got = band_exit_probability(3000.0, lo, hi, sigma, tau, mu, n_terms=40)
    assert got == pytest.approx(want, abs=1e-10)


@pytest.mark.parametrize(("lo", "hi"), [(2400.0, 3600.0), (2400.0, None), (None, 3600.0)])
def test_discrete_monitoring_is_the_continuous_formula_at_bgk_shifted_barriers(lo, hi):
    """``dt_years``: each barrier moved away from the price by exp(beta sigma sqrt(dt))
    (Broadie, Glasserman & Kou 1997), with BGK_BETA = -zeta(1/2)/sqrt(2 pi)."""
    from lpperp.risk import BGK_BETA, band_exit_probability, first_passage_probability

    sig, tau, mu, dt = 0.8, 30 / 365, 0.3, 1 / 365
    k = np.exp(BGK_BETA * sig * np.sqrt(dt))
    lo_s = None if lo is None else lo / k
    hi_s = None if hi is None else hi * k
    want = band_exit_probability(3000.0, lo_s, hi_s, sig, tau, mu)
    assert band_exit_probability(3000.0, lo, hi, sig, tau, mu, dt_years=dt) == pytest.approx(
        want, rel=1e-12)
    if hi is None or lo is None:
        one = first_passage_probability(3000.0, lo or hi, sig, tau, mu, dt_years=dt)
        assert one == pytest.approx(want, rel=1e-12)


def test_first_passage_edges():
    """At the barrier: 1; no time: 0; vectorized over barriers on both sides with their drifts."""
    from lpperp.risk import first_passage_probability

    assert first_passage_probability(3000.0, 3000.0, 0.8, 0.1) == 1.0
    assert first_passage_probability(3000.0, 2400.0, 0.8, 0.0) == 0.0
    h = np.array([2400.0, 3600.0, 3000.0])
    got = first_passage_probability(3000.0, h, 0.8, [0.25, 0.25, 0.0], [0.3, -0.3, 0.0])
    assert got.shape == (3,) and got[2] == 1.0  # at the barrier even with no time
    for i in range(2):
        one = first_passage_probability(3000.0, h[i], 0.8, 0.25, [0.3, -0.3][i])
        assert got[i] == one


def test_wilson_interval_at_another_confidence_and_vectorized():
    """Wilson (1927) at 90 %: z = Phi^-1(0.95) = 1.6448536269514722 (published quantile)."""
    from lpperp.risk import wilson_interval

    z = 1.6448536269514722
    hits, n = np.array([0.0, 30.0, 100.0]), np.array([100.0, 100.0, 100.0])
    lo, hi = wilson_interval(hits, n, 0.9)
    for i in range(3):
        ph = hits[i] / n[i]
        mid = (ph + z * z / (2 * n[i])) / (1 + z * z / n[i])
        half = z * np.sqrt(ph * (1 - ph) / n[i] + z * z / (4 * n[i] ** 2)) / (1 + z * z / n[i])
        assert lo[i] == pytest.approx(max(mid - half, 0.0), abs=1e-15)
        assert hi[i] == pytest.approx(min(mid + half, 1.0), abs=1e-15)
    assert hi[2] == 1.0 and lo[0] == 0.0


# --- the Monte Carlo estimator against exact discrete-monitoring probabilities --------------------
def _walk_cov(n, sd):
    """Covariance of the log-price grid points (X_1..X_n) of a random walk with step sd."""
    i = np.arange(1, n + 1)
    return sd**2 * np.minimum.outer(i, i)


def _exact_discrete(p0, lo, hi, sigma, tau, mu, n):
    """Exact probability, by multivariate normal CDFs, that a GBM checked at n grid points is at or
    past a barrier at one of them, by step (cumulative) and by side: P(first exit at step t below)
    = P(inside at 1..t-1, below at t). Independent of the simulation (Genz's algorithm)."""
    from scipy.stats import multivariate_normal

    dt = tau / n
    sd, drift = sigma * np.sqrt(dt), (mu - 0.5 * sigma**2) * dt
    a = -np.inf if lo is None else np.log(lo / p0)
    b = np.inf if hi is None else np.log(hi / p0)

    def box(t, last):
        """P(a < X_i < b for i < t, X_t in `last` interval), X centred."""
        mean = drift * np.arange(1, t + 1)
        lower = np.r_[np.full(t - 1, a), last[0]] - mean
        upper = np.r_[np.full(t - 1, b), last[1]] - mean
        if t == 1:
            from scipy.special import ndtr
            return float(ndtr(upper[0] / sd) - ndtr(lower[0] / sd))
        mvn = multivariate_normal(np.zeros(t), _walk_cov(t, sd), abseps=1e-7, releps=1e-7)
        return float(mvn.cdf(upper, lower_limit=lower))

    below = [box(t, (-np.inf, a)) if lo is not None else 0.0 for t in range(1, n + 1)]
    above = [box(t, (b, np.inf)) if hi is not None else 0.0 for t in range(1, n + 1)]
    return np.cumsum(np.array(below) + np.array(above)), sum(below), sum(above)


@pytest.mark.parametrize(("lo", "hi", "mu"), [(2600.0, 3500.0, 0.0), (2600.0, None, 0.4),
                                              (None, 3400.0, -0.2)])
def test_discrete_monitoring_against_exact_grid_probabilities(lo, hi, mu):
    """Three checks a month at 80 % vol: the estimate, its cumulative curve by step and its split
    by side against multivariate normal probabilities (100,000 paths, seed fixed, 3 standard
    errors); its standard error is the binomial one and its interval Wilson's."""
    from lpperp.processes import GBM
    from lpperp.risk import liquidation_probability, wilson_interval

    n_paths, tau = 100_000, 30 / 365
    r = liquidation_probability(GBM(0.8, mu), 3000.0, lo, hi, tau, 3, n_paths, seed=11,
                                monitoring="discrete", confidence=0.9)
    cum, p_lo, p_hi = _exact_discrete(3000.0, lo, hi, 0.8, tau, mu, 3)
    se = np.sqrt(cum * (1 - cum) / n_paths)
    assert r.cumulative[0] == 0.0 and r.cumulative.shape == (4,)
    assert np.all(np.abs(r.cumulative[1:] - cum) < 3 * se)
    for got, want in ((r.probability_lower, p_lo), (r.probability_upper, p_hi)):
        assert abs(got - want) <= 3 * np.sqrt(want * (1 - want) / n_paths)
    assert r.probability == r.cumulative[-1]
    assert r.stderr == pytest.approx(np.sqrt(r.probability * (1 - r.probability) / n_paths))
    ci = wilson_interval(r.probability * n_paths, n_paths, 0.9)
    assert (r.ci_low, r.ci_high) == pytest.approx(ci, rel=1e-12)
    assert (r.n_paths, r.n_steps, r.tau_years, r.confidence) == (n_paths, 3, tau, 0.9)


@pytest.mark.parametrize(("lo", "hi"), [(2400.0, 3600.0), (2400.0, None), (None, 3700.0)])
def test_bgk_monitoring_is_discrete_monitoring_of_the_barriers_shifted_toward_the_price(lo, hi):
    """Same seed, same paths: 'bgk' checks the grid against the BGK barriers moved toward the
    price (a continuous barrier's discrete equivalent), exactly."""
    from lpperp.processes import GBM
    from lpperp.risk import bgk_shift, liquidation_probability

    args = (GBM(0.8), 3000.0)
    dt = (30 / 365) / 10
    lo_s = None if lo is None else bgk_shift(lo, 3000.0, 0.8, dt, toward_price=True)
    hi_s = None if hi is None else bgk_shift(hi, 3000.0, 0.8, dt, toward_price=True)
    bgk = liquidation_probability(*args, lo, hi, 30 / 365, 10, 20_000, seed=3)
    disc = liquidation_probability(*args, lo_s, hi_s, 30 / 365, 10, 20_000, seed=3,
                                   monitoring="discrete")
    assert bgk.probability == disc.probability and bgk.probability_lower == disc.probability_lower
    np.testing.assert_array_equal(bgk.cumulative, disc.cumulative)
    assert bgk.monitoring == "bgk"


@pytest.mark.parametrize(("lo", "hi", "mu"), [(2400.0, None, 0.3), (None, 3600.0, -0.3),
                                              (2500.0, 3500.0, 0.0)])
def test_bridge_estimate_is_unbiased_for_the_continuous_probability(lo, hi, mu):
    """The Brownian-bridge correction makes each path's estimate an unbiased estimate of the
    continuous crossing probability (exact for GBM): 10 coarse steps, 20,000 paths, 3 standard
    errors of the estimate itself, no slack; the interval is the normal one at its confidence."""
    from scipy.special import ndtri

    from lpperp.processes import GBM
    from lpperp.risk import band_exit_probability, liquidation_probability

    tau = 30 / 365
    r = liquidation_probability(GBM(0.8, mu), 3000.0, lo, hi, tau, 10, 20_000, seed=5,
                                monitoring="bridge", confidence=0.8)
    exact = band_exit_probability(3000.0, lo, hi, 0.8, tau, mu)
    assert abs(r.probability - exact) < 3 * r.stderr
    assert r.stderr < 0.004  # the check is sharp
    z = float(ndtri(0.9))
    assert (r.ci_low, r.ci_high) == pytest.approx((r.probability - z * r.stderr,
                                                   r.probability + z * r.stderr), rel=1e-12)
    assert r.cumulative[-1] == r.probability and np.all(np.diff(r.cumulative) >= 0)
    assert r.probability_lower + r.probability_upper == pytest.approx(r.probability, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f, b, lp: f(-3000.0, 2400.0, 0.8, 0.1), r"^price must"),
        (lambda f, b, lp: f(3000.0, -2400.0, 0.8, 0.1), r"^barrier must"),
        (lambda f, b, lp: f(3000.0, 2400.0, -0.8, 0.1), r"^sigma_per_year must"),
        (lambda f, b, lp: f(3000.0, 2400.0, 0.8, -0.1), r"^tau_years must"),
        (lambda f, b, lp: f(3000.0, 2400.0, 0.8, 0.1, dt_years=-1.0), r"^dt_years must"),
        (lambda f, b, lp: f(3000.0, 2400.0, 0.8, 0.1, dt_years=[0.1, 0.2]),
         r"^dt_years must be a single number"),
        (lambda f, b, lp: f([3000.0, 3000.0], [2400.0] * 3, 0.8, 0.1),
         r"^first_passage_probability: the arguments must broadcast"),
        (lambda f, b, lp: b(-3000.0, 2400.0, 3600.0, 0.8, 0.1), r"^price must"),
        (lambda f, b, lp: b(3000.0, -2400.0, 3600.0, 0.8, 0.1), r"^lower must"),
        (lambda f, b, lp: b(3000.0, 2400.0, -3600.0, 0.8, 0.1), r"^upper must"),
        (lambda f, b, lp: b(3000.0, 2400.0, "x", 0.8, 0.1), r"^upper must be a number"),
        (lambda f, b, lp: b(3000.0, 2400.0, float("nan"), 0.8, 0.1), r"^upper must"),
        (lambda f, b, lp: b(3000.0, 3600.0, 2400.0, 0.8, 0.1), r"^lower must be < upper"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, -0.8, 0.1), r"^sigma_per_year must"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, 0.8, -0.1), r"^tau_years must"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, 0.8, 0.1, dt_years=0.0), r"^dt_years must"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, 0.8, 0.1, dt_years=[0.1, 0.2]),
         r"^dt_years must be a single number"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, 0.8, 0.1, n_terms=-1), r"^n_terms must"),
        (lambda f, b, lp: b(3000.0, 2400.0, 3600.0, 0.8, 0.1, n_terms=1001), r"^n_terms must"),
        (lambda f, b, lp: b([3000.0, 3000.0], 2400.0, [3600.0] * 3, 0.8, 0.1),
         r"^(band_exit_probability|the band): the arguments must broadcast"),
        (lambda f, b, lp: lp(price=-1.0), r"^price must"),
        (lambda f, b, lp: lp(tau_years=0.0), r"^tau_years must"),
        (lambda f, b, lp: lp(tau_years=[0.1, 0.2]), r"^tau_years must be a single number"),
        (lambda f, b, lp: lp(confidence=1.0), r"^confidence must"),
        (lambda f, b, lp: lp(confidence=[0.9, 0.95]), r"^confidence must be a single number"),
        (lambda f, b, lp: lp(monitoring="daily"), r"^monitoring must be one of"),
        (lambda f, b, lp: lp(lower=-1.0), r"^lower must"),
        (lambda f, b, lp: lp(upper=[3600.0, 3700.0]), r"^lower and upper must be single numbers"),
        (lambda f, b, lp: lp(lower=3100.0), r"^price=3000.0 must lie strictly inside"),
    ],
)
def test_risk_functions_name_each_bad_argument(call, match):
    from lpperp.processes import GBM
    from lpperp.risk import (
        band_exit_probability,
        first_passage_probability,
        liquidation_probability,
    )

    def lp(**kw):
        args = {"process": GBM(0.8), "price": 3000.0, "lower": 2400.0, "upper": 3600.0,
                "tau_years": 0.1, "n_steps": 10, "n_paths": 100, "seed": 0} | kw
        return liquidation_probability(**args)

    with pytest.raises(LpperpError, match=match):
        call(first_passage_probability, band_exit_probability, lp)


@pytest.mark.parametrize(
    ("sigma", "tau", "mu", "what"),
    [([0.8, 0.8, 0.8], [0.1, 0.2], 0.0, "first_passage_probability"),
     (0.8, [0.1, 0.2], [0.0, 0.1, 0.2], "first_passage_probability"),
     ([0.8, 0.8, 0.8], 0.1, [0.0, 0.1], "the drift")],
)
def test_first_passage_names_volatility_and_drift_shapes_that_do_not_broadcast(sigma, tau, mu,
                                                                                 what):
    """(A volatility and a drift of different lengths raised numpy's bare broadcast error.)"""
    from lpperp.risk import band_exit_probability, first_passage_probability

    with pytest.raises(LpperpError, match=rf"^{what}: the arguments must broadcast"):
        first_passage_probability(3000.0, 2400.0, sigma, tau, mu)
    if what == "the drift":
        with pytest.raises(LpperpError, match=r"^the drift: the arguments must broadcast"):
            band_exit_probability(3000.0, 2400.0, 3600.0, sigma, tau, mu)


def test_first_passage_at_float_extremes_is_quiet():
    """No time, a barrier at the price, barriers shifted to 0 or past the float range, a ratio
    of barrier to price past the float range: probabilities (0 or 1), never a float warning."""
    import warnings

    from lpperp.risk import first_passage_probability

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert first_passage_probability(3000.0, 2400.0, 0.8, 0.0) == 0.0
        assert first_passage_probability(3000.0, [3000.0, 2400.0], 0.8, 0.0).tolist() == [1.0, 0.0]
        assert first_passage_probability(3000.0, 2400.0, 0.8, 1.0, dt_years=1e12) == 0.0
        assert first_passage_probability(3000.0, 1e300, 0.8, 1.0, dt_years=2440.0) == 0.0
        assert first_passage_probability(1e-10, 1e300, 0.8, 1.0) == 0.0


@pytest.mark.parametrize(
    ("barrier", "tau", "mu", "want"),
    [(2400.0, 1.0, -1.0, 1.0), (2400.0, 0.1, -1.0, 0.0), (3600.0, 1.0, 1.0, 1.0),
     (3600.0, 0.1, 1.0, 0.0), (2400.0, 0.0, -1.0, 0.0), (2400.0, 1.0, 1.0, 0.0)],
)
def test_first_passage_without_volatility_is_the_drift_reaching_the_barrier(barrier, tau, mu, want):
    """sigma -> 0: the log price moves as (mu - sigma^2/2) t, so the barrier is touched iff the
    drift reaches ln(H/P) within tau (ln 0.8 = -0.223, ln 1.2 = 0.182 at |mu| = 1 a year). At
    sigma = 1e-155, 2 nu b / sigma^2 overflows: this was NaN."""
    import warnings

    from lpperp.risk import first_passage_probability

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow is expected and handled: quietly
        assert first_passage_probability(3000.0, barrier, 1e-155, tau, mu) == want


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda b, bgk: bgk([2400.0, 2500.0], 3000.0, [0.8, 0.8, 0.8], 1 / 365),
         r"^bgk_shift: the arguments must broadcast"),
        (lambda b, bgk: bgk([2400.0, 2500.0], 3000.0, 0.8, [1 / 365] * 3),
         r"^bgk_shift: the arguments must broadcast"),
        (lambda b, bgk: b([3000.0, 3000.0], [2400.0] * 3, 3600.0, 0.8, 0.1),
         r"^band_exit_probability: the arguments must broadcast"),
        (lambda b, bgk: b(3000.0, 2400.0, 3600.0, 0.8, [0.1, 0.2, 0.3], [0.0, 0.1]),
         r"^band_exit_probability: the arguments must broadcast"),
    ],
)
def test_shapes_that_do_not_broadcast_are_named(call, match):
    from lpperp.risk import band_exit_probability, bgk_shift

    with pytest.raises(LpperpError, match=match):
        call(band_exit_probability, bgk_shift)


def test_a_shift_past_the_float_range_is_quiet():
    """dt_years = 1e12: exp(beta sigma sqrt(dt)) overflows; the barrier goes to 0 (below) or
    inf (above), without a float warning."""
    import warnings

    from lpperp.risk import bgk_shift

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bgk_shift(2400.0, 3000.0, 0.8, 1e12) == 0.0
        assert bgk_shift(3600.0, 3000.0, 0.8, 1e12) == np.inf


@pytest.mark.parametrize(
    ("p0", "lo", "hi"),
    [(2.0, None, 3.0), (2.0, 0.5, 3.0), (2.0, 0.5, None), (0.5, 0.3, 0.8), (0.5, None, 0.8)],
)
def test_discrete_monitoring_of_prices_below_one(p0, lo, hi):
    """The BGK identity at prices of order 1 (a token quoted in another): each given barrier is
    shifted away from the price, a missing one stays missing; against the continuous formula at
    the shifted barriers and, one-sided, first_passage_probability."""
    from lpperp.risk import BGK_BETA, band_exit_probability, first_passage_probability

    sig, tau, mu, dt = 0.8, 0.25, 0.2, 1 / 52
    k = np.exp(BGK_BETA * sig * np.sqrt(dt))
    lo_s = None if lo is None else lo / k
    hi_s = None if hi is None else hi * k
    want = band_exit_probability(p0, lo_s, hi_s, sig, tau, mu)
    got = band_exit_probability(p0, lo, hi, sig, tau, mu, dt_years=dt)
    assert got == pytest.approx(want, rel=1e-12)
    if lo is None or hi is None:
        one = first_passage_probability(p0, lo_s or hi_s, sig, tau, mu)
        assert got == pytest.approx(one, rel=1e-12)
        assert got == pytest.approx(
            first_passage_probability(p0, lo or hi, sig, tau, mu, dt_years=dt), rel=1e-12)
    else:
        spectral = 1.0 - _spectral_survival(p0, lo_s, hi_s, sig, tau, mu)
        assert got == pytest.approx(spectral, abs=1e-10)


def test_band_exit_with_no_time_is_zero_and_quiet():
    import warnings

    from lpperp.risk import band_exit_probability

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 0.0) == 0.0
        assert band_exit_probability(3000.0, [2400.0, 3100.0], 3600.0, 0.8, 0.0).tolist() == [
            0.0, 1.0]

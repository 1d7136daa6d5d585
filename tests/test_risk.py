"""Liquidation probability: closed forms against direct integration and Monte Carlo; MC mechanics."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from lpperp.processes import GBM, PATH_BLOCK
from lpperp.risk import (
    BGK_BETA,
    band_exit_probability,
    bgk_shift,
    first_passage_probability,
    liquidation_probability,
    wilson_interval,
)


def _hitting_time_cdf(p0, h, sigma, tau, mu):
    """Direct: integrate the inverse-Gaussian first-passage density of ln P to level ln(h/p0)."""
    b, nu = math.log(h / p0), mu - sigma**2 / 2

    def dens(t):
        return abs(b) / (sigma * math.sqrt(2 * math.pi * t**3)) * math.exp(
            -((b - nu * t) ** 2) / (2 * sigma**2 * t))

    return quad(dens, 0, tau, limit=200, epsabs=1e-13)[0]


@pytest.mark.parametrize(("h", "mu"), [(2400.0, 0.0), (2400.0, 0.5), (3600.0, -0.3), (4000.0, 0.4)])
def test_one_barrier_closed_form_vs_integrated_density(h, mu):
    got = first_passage_probability(3000.0, h, 0.8, 0.25, mu)
    assert got == pytest.approx(_hitting_time_cdf(3000.0, h, 0.8, 0.25, mu), abs=1e-9)


def test_bgk_constant_and_shift():
    from scipy.special import zeta

    assert pytest.approx(-zeta(0.5) / math.sqrt(2 * math.pi), rel=1e-15) == BGK_BETA
    h = bgk_shift(2400.0, 3000.0, 0.8, 1 / 365)
    assert bgk_shift(h, 3000.0, 0.8, 1 / 365, toward_price=True) == pytest.approx(2400.0)
    assert bgk_shift(3600.0, 3000.0, 0.8, 1 / 365) > 3600.0


def test_band_reduces_to_one_barrier_when_far():
    one = first_passage_probability(3000.0, 2400.0, 0.8, 0.25, 0.2)
    assert band_exit_probability(3000.0, 2400.0, 3e7, 0.8, 0.25, 0.2) == pytest.approx(one, abs=1e-12)
    assert band_exit_probability(3000.0, 2400.0, None, 0.8, 0.25, 0.2) == pytest.approx(one)
    up = first_passage_probability(3000.0, 3600.0, 0.8, 0.25, 0.2)
    assert band_exit_probability(3000.0, 1e-3, 3600.0, 0.8, 0.25, 0.2) == pytest.approx(up, abs=1e-12)
    assert band_exit_probability(3000.0, None, 3600.0, 0.8, 0.25, 0.2) == pytest.approx(up)
    assert band_exit_probability(3000.0, 3100.0, 3600.0, 0.8, 0.25) == 1.0  # starts outside
    assert band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 0.0) == 0.0


@pytest.mark.parametrize(("sigma", "mu"), [(0.125, -0.5), (0.05, 0.6), (0.1, -2.0)])
def test_band_with_strong_drift_and_low_volatility(sigma, mu):
    """Regression (found by hypothesis): huge image weights times tiny normal masses overflowed."""
    band = band_exit_probability(100.0, 50.0, 200.0, sigma, 1.0, mu)
    near = first_passage_probability(100.0, 50.0 if mu < 0 else 200.0, sigma, 1.0, mu)
    assert band == pytest.approx(near, rel=1e-9, abs=1e-15)
    assert np.isfinite(band_exit_probability(100.0, 99.0, 101.0, 0.01, 5.0, -3.0))


def test_band_vectorized_and_series_converged():
    lo = np.array([1500.0, 2400.0, 2900.0])
    got = band_exit_probability(3000.0, lo[:, None], np.array([3100.0, 6000.0]), 0.8, 1.0, 0.1)
    assert got.shape == (3, 2)
    for i in range(3):
        for j, hi in enumerate([3100.0, 6000.0]):
            more = band_exit_probability(3000.0, lo[i], hi, 0.8, 1.0, 0.1, n_terms=60)
            assert got[i, j] == pytest.approx(more, abs=1e-14)


@given(
    st.floats(0.3, 0.97), st.floats(1.03, 3.0), st.floats(0.1, 1.5), st.floats(0.01, 2.0),
    st.floats(-0.5, 0.5),
)
def test_band_bounded_by_its_one_barrier_parts(klo, khi, sigma, tau, mu):
    lo, hi = 100.0 * klo, 100.0 * khi
    band = band_exit_probability(100.0, lo, hi, sigma, tau, mu)
    a = first_passage_probability(100.0, lo, sigma, tau, mu)
    b = first_passage_probability(100.0, hi, sigma, tau, mu)
    assert max(a, b) - 1e-9 <= band <= min(1.0, a + b) + 1e-9
    wider = band_exit_probability(100.0, lo * 0.95, hi * 1.05, sigma, tau, mu)
    assert wider <= band + 1e-9


# -- Monte Carlo against the closed forms -----------------------------------------------------------
CASES = [  # (lower, upper, mu): one barrier below, one above with drift, a band
    (2400.0, None, 0.0),
    (None, 3600.0, 0.3),
    (2400.0, 3600.0, 0.0),
    (2000.0, 3900.0, -0.2),
]


@pytest.mark.parametrize(("lo", "hi", "mu"), CASES)
def test_bridge_monte_carlo_agrees_with_continuous_closed_form(lo, hi, mu):
    tau = 30 / 365
    r = liquidation_probability(GBM(0.8, mu), 3000.0, lo, hi, tau, 30, 60_000, seed=7,
                                monitoring="bridge")
    exact = band_exit_probability(3000.0, lo, hi, 0.8, tau, mu)
    assert abs(r.probability - exact) < 3 * r.stderr, (r, exact)  # measured |z| <= 0.7


@pytest.mark.parametrize(("lo", "hi", "mu"), CASES)
def test_fine_grid_monte_carlo_agrees_with_closed_form(lo, hi, mu):
    """Discrete monitoring on a fine grid vs the BGK-shifted closed form at that grid (one and two
    barriers); the BGK correction is accurate to o(sqrt(dt)), far below the MC error here."""
    tau, n = 30 / 365, 720
    r = liquidation_probability(GBM(0.8, mu), 3000.0, lo, hi, tau, n, 20_000, seed=8,
                                monitoring="discrete")
    approx = band_exit_probability(3000.0, lo, hi, 0.8, tau, mu, dt_years=tau / n)
    assert abs(r.probability - approx) < 3 * r.stderr, (r, approx)  # measured |z| <= 1.9
    bgk = liquidation_probability(GBM(0.8, mu), 3000.0, lo, hi, tau, n, 20_000, seed=8)
    exact = band_exit_probability(3000.0, lo, hi, 0.8, tau, mu)
    assert abs(bgk.probability - exact) < 3 * bgk.stderr, (bgk, exact)  # measured |z| <= 1.9


def test_daily_bgk_is_much_closer_than_raw_daily_checks():
    tau = 30 / 365
    exact = band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, tau)
    raw = liquidation_probability(GBM(0.8), 3000.0, 2400.0, 3600.0, tau, 30, 50_000, 3,
                                  monitoring="discrete")
    bgk = liquidation_probability(GBM(0.8), 3000.0, 2400.0, 3600.0, tau, 30, 50_000, 3)
    assert exact - raw.probability > 0.07  # daily checks miss ~1 in 8 liquidations here
    assert abs(bgk.probability - exact) < 0.012


# -- mechanics ---------------------------------------------------------------------------------------
def test_same_seed_same_result_whatever_the_chunking():
    args = (GBM(0.9), 3000.0, 2500.0, 3700.0, 60 / 365, 60, 3 * PATH_BLOCK + 17)
    a = liquidation_probability(*args, seed=4)
    b = liquidation_probability(*args, seed=4, chunk_paths=10**9, chunk_steps=1)
    c = liquidation_probability(*args, seed=4, chunk_paths=1, chunk_steps=60, progress=True)
    for r in (b, c):
        assert r.probability == a.probability and r.probability_lower == a.probability_lower
        np.testing.assert_array_equal(r.cumulative, a.cumulative)
    assert a.probability_lower + a.probability_upper == pytest.approx(a.probability)
    assert (np.diff(a.cumulative) >= 0).all() and a.cumulative[-1] == pytest.approx(a.probability)
    assert liquidation_probability(*args, seed=5).probability != a.probability
    br = [liquidation_probability(*args, seed=4, monitoring="bridge", chunk_steps=cs)
          for cs in (7, 64)]
    assert br[0].probability == pytest.approx(br[1].probability, rel=1e-12)


def _peak(n_paths):
    tracemalloc.start()
    try:
        liquidation_probability(GBM(0.8), 3000.0, 1500.0, 6000.0, 1.0, 365, n_paths, 0,
                                monitoring="discrete")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_bounded_whatever_the_number_of_paths():
    small, big = _peak(PATH_BLOCK), _peak(12 * PATH_BLOCK)
    assert big < 20 * 2**20  # MB: one chunk of 4096 paths x 64 steps plus per-chunk state
    assert big < 1.5 * small + 2**20


def test_wilson_interval_reference():
    # Wilson (1927): 0 successes in n -> upper bound z^2 / (n + z^2)
    z = 1.959963984540054
    lo, hi = wilson_interval(0, 1000)
    assert lo == pytest.approx(0.0, abs=1e-15) and hi == pytest.approx(z**2 / (1000 + z**2))
    lo, hi = wilson_interval(500, 1000)  # symmetric at 1/2, half-width z sqrt(1/4n + z^2/4n^2)/(1+z^2/n)
    half = z * math.sqrt(0.25 / 1000 + z**2 / 4e6) / (1 + z**2 / 1000)
    assert (lo + hi) / 2 == pytest.approx(0.5) and (hi - lo) / 2 == pytest.approx(half)


class _InterruptingGBM(GBM):
    """A real GBM whose third block raises KeyboardInterrupt, as Ctrl-C would."""

    def sampler(self, ss, n_paths, dt_years):
        if ss.spawn_key[-1] == 2:
            raise KeyboardInterrupt
        return super().sampler(ss, n_paths, dt_years)


def test_interrupt_returns_the_completed_paths_with_a_warning():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = liquidation_probability(_InterruptingGBM(0.8), 3000.0, 2400.0, 3600.0, 0.1, 30,
                                    10 * PATH_BLOCK, 1)
    assert r.n_paths == 2 * PATH_BLOCK
    assert any("interrupted" in str(x.message) for x in w)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"lower": 3100.0}, "must lie strictly inside"),
        ({"lower": 3700.0, "upper": 3600.0}, "lower must be < upper"),
        ({"monitoring": "daily"}, "monitoring must be one of"),
        ({"n_paths": 0}, "n_paths"),
        ({"confidence": 1.0}, "confidence"),
    ],
)
def test_bad_input(kw, match):
    args = {"process": GBM(0.8), "price": 3000.0, "lower": 2400.0, "upper": 3600.0,
            "tau_years": 0.1, "n_steps": 10, "n_paths": 100} | kw
    with pytest.raises(ValueError, match=match):
        liquidation_probability(**args)


# --- regressions found in review --------------------------------------------------------------
@pytest.mark.parametrize("mu", [float("nan"), float("inf"), "0.1", None])
def test_mu_per_year_is_validated(mu):
    """A NaN drift returned a silent NaN probability; a string raised numpy's own ValueError."""
    with pytest.raises(ValueError, match="mu_per_year must be"):
        first_passage_probability(3000.0, 2500.0, 0.8, 0.1, mu_per_year=mu)
    with pytest.raises(ValueError, match="mu_per_year must be"):
        band_exit_probability(3000.0, 2500.0, 3600.0, 0.8, 0.1, mu_per_year=mu)


def test_liquidation_probability_refuses_a_non_process():
    with pytest.raises(ValueError, match="process must be a price process"):
        liquidation_probability("gbm", 3000.0, 2500.0, 3600.0, 0.1, 5, 50, seed=0)


def test_band_exit_long_horizon_narrow_band_is_one_without_an_unbounded_series():
    """s / w huge made the image series take ~9 s / w terms (tau = 1e300: never returns)."""
    assert band_exit_probability(3000.0, 2990.0, 3010.0, 0.8, 1e300) == 1.0
    w = math.log(3010.0 / 2990.0)
    tau = np.array([9.9, 10.1]) ** 2 * (w / 0.8) ** 2  # just below / above the cap s = 10 w
    for mu in (0.0, 5.0, -5.0):
        capped = band_exit_probability(3000.0, 2990.0, 3010.0, 0.8, tau, mu)
        full = band_exit_probability(3000.0, 2990.0, 3010.0, 0.8, tau, mu, n_terms=120)
        # the true exit is 1 - 1e-213 (1.0 in floats); the 241 images summed in floats carry
        # ~1e-15 of rounding (Sum |term| = 0.89)
        np.testing.assert_allclose(full, capped, rtol=0.0, atol=1e-14)
        assert capped.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------------------------
# bad input and extreme-but-finite input (issue 13)
# ------------------------------------------------------------------------------------------------
def test_bridge_monitoring_splits_the_probability_by_side() -> None:
    """Bridge per-side probabilities were NaN; now each step's crossing is split by its two bridge
    terms: the sides sum to the estimate and match the BGK estimate's split (same seed, 3 SE)."""
    args = (GBM(0.8), 3000.0, 2400.0, 3600.0, 30 / 365, 30, 40_000)
    br = liquidation_probability(*args, seed=1, monitoring="bridge")
    bgk = liquidation_probability(*args, seed=1, monitoring="bgk")
    assert br.probability_lower + br.probability_upper == pytest.approx(br.probability, abs=1e-12)
    for a, b in ((br.probability_lower, bgk.probability_lower),
                 (br.probability_upper, bgk.probability_upper)):
        se = math.sqrt(b * (1 - b) / 40_000)
        assert abs(a - b) < 3 * 2 * se
    # one-sided band: everything on the lower side
    one = liquidation_probability(GBM(0.8), 3000.0, 2400.0, None, 30 / 365, 30, 5000, seed=2,
                                  monitoring="bridge")
    assert one.probability_upper == 0.0 and one.probability_lower == pytest.approx(one.probability)


def test_huge_monitoring_step_gives_a_finite_probability() -> None:
    # dt_years=1e12 shifted the barrier to 0 / inf and the formula gave NaN: never touched is 0
    assert first_passage_probability(3000.0, 2400.0, 0.8, 1.0, dt_years=1e12) == 0.0
    assert first_passage_probability(3000.0, 3600.0, 0.8, 1.0, dt_years=1e12) == 0.0
    assert math.isfinite(band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 1.0, dt_years=1e12))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: wilson_interval(3, 1), "hits must be <= n"),
        (lambda: wilson_interval(-1, 10), "hits must be a finite number >= 0"),
        (lambda: wilson_interval(1, 0), "n must be a finite number > 0"),
        (lambda: bgk_shift("3000", 3000.0, 0.8, 1 / 365), "barrier must be a number"),
        (lambda: bgk_shift(2400.0, math.nan, 0.8, 1 / 365), "price must be a number >= 0"),
        (lambda: bgk_shift(2400.0, 3000.0, 0.8, 0.0), "dt_years must be a finite number > 0"),
    ],
)
def test_risk_helpers_name_the_bad_argument(call, match) -> None:
    from lpperp._validate import LpperpError

    with pytest.raises(LpperpError, match=match):
        call()


@pytest.mark.parametrize("account", [math.nan, "iso", None, 3000.0])
def test_safe_band_needs_an_account(account) -> None:
    from lpperp._validate import LpperpError
    from lpperp.risk import safe_band

    with pytest.raises(LpperpError, match="account must be a margin account"):
        safe_band(account, 3000.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: first_passage_probability(np.array([2500.0, 3000.0, 3600.0]), 2500.0, 0.6, [], 0.0),
        lambda: band_exit_probability(np.array([2500.0, 3000.0]), 2000.0, 4000.0, 0.6, 0.1, []),
        lambda: band_exit_probability(3000.0, [1.0, 2.0], [4000.0, 5000.0, 6000.0], 0.6, 0.1),
    ],
)
def test_closed_forms_name_shapes_that_do_not_broadcast(call) -> None:
    """Found by the fuzz at 1000 examples: numpy's bare 'operands could not be broadcast'."""
    from lpperp._validate import LpperpError

    with pytest.raises(LpperpError, match="must broadcast to one shape"):
        call()


def test_progress_must_be_a_bool() -> None:
    from lpperp._validate import LpperpError

    with pytest.raises(LpperpError, match="progress must be True or False"):
        liquidation_probability(GBM(0.6), 3000.0, 2000.0, 4000.0, 0.1, 10, 50, progress=np.array([]))


def test_upper_inf_means_no_upper_boundary_as_documented() -> None:
    """The docstring says upper = inf reduces to one barrier; positive() refused inf."""
    one = first_passage_probability(3000.0, 2400.0, 0.8, 30 / 365)
    assert band_exit_probability(3000.0, 2400.0, math.inf, 0.8, 30 / 365) == one
    both = band_exit_probability(3000.0, 2400.0, [math.inf, 3600.0], 0.8, 30 / 365)
    assert both[0] == one and both[1] == band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 30 / 365)
    r = liquidation_probability(GBM(0.8), 3000.0, 2400.0, math.inf, 30 / 365, 30, 2000, seed=1)
    assert r.probability_upper == 0.0

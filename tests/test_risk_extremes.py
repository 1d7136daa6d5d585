"""Risk: first-passage and band-exit probabilities at extreme but legal parameters (issue 14).

Found by the mutation pass, fixed in lpperp/risk.py; each reference is independent of the code:

- a volatility whose square overflows (sigma > 1.3e154): ``band_exit_probability(3000, 2400, 3600,
  1e200, 1.0)`` raised "mu_per_year must be finite, got nan" (the band rebuilt ``mu`` as
  ``nu + sigma^2 / 2 = -inf + inf``). The answers are closed forms: with ``s = sigma sqrt(tau)``
  thousands of band widths the band is left surely (1.0), the barrier below is touched surely, and
  the barrier ``H`` above with probability ``P0 / H`` (the log drift ``nu = mu - sigma^2 / 2`` is
  ``-s / 2`` standard deviations per ``s``: the reflection formula's first term vanishes and the
  second is ``e^{2 nu b / sigma^2} = e^{-b} = P0 / H``, optional stopping of the martingale ``P``).
- a volatility whose square underflows (sigma < 1.5e-154) with a horizon long enough that ``s``
  is not small: the image series and the reflection term divided by ``sigma^2 = 0``; the one-barrier
  fallback summed to 1.00003, clipped to 1.0 (the exit is 0.99108).
- a strong drift and a small volatility (the images' exponents ``2 m nu / sigma^2`` of 1e15 and
  more): each term was ``exp(K + log Phi(x))`` with ``K`` and ``log Phi(x)`` both ~1e17, whose
  float sum keeps no digit: a negligible reflection came out as 0.04 or 1e4 (exits of 1.0 and 0.0
  where mpmath gives 0.983 and 0.998).

References: (1) closed-form limits; (2) time-change invariance: GBM's exit by ``tau`` depends on
``(sigma, mu, tau)`` only through ``sigma^2 tau`` and ``nu tau`` (Brownian scaling), so a call
whose ``sigma^2`` over- or underflows must equal one in the ordinary range with the same
``sigma^2 tau`` and ``nu tau`` (powers of two make both exact); (3) the Borodin & Salminen
series and the reflection formula at 120 digits with mpmath 1.3.0 (``_mp_band`` / ``_mp_first``
below, run again by the last test where mpmath is installed; the values are pasted into
``MPMATH``). Tolerances: float inputs carry their own rounding: the standardized distance ``(b -
nu tau) / s`` moves by ``~eps |b| / s`` (1e-8 standard deviations here) for a one-ulp change of
an input, so agreement to 1e-9..5e-8 is what float64 allows; the old code was off by O(1).
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest

import lpperp.risk as risk
from lpperp._validate import LpperpError
from lpperp.risk import band_exit_probability, first_passage_probability

P0 = 3000.0
PHI = NormalDist().cdf

# (price, lower, upper, sigma, tau, mu) -> (band exit, first passage of lower, of upper), mpmath
MPMATH = {
    # drift 2.2e8 sd a year ending 2.93 sd past the upper edge, the lower edge 3.5e-8 sd below
    (1.0, 0.9999999999999802, 2.25051763354443e54, 5.613691281429946e-07, 1.0,
     125.15075691441442): (0.99829363592241044, 1.5247318148815094e-7, 0.99829363566223558),
    # its mirror image (x -> -x): the drift ends 2.93 sd past the lower edge, the upper edge
    # 3.5e-8 sd above; the reflections at the lower edge's end of the band decide it
    (1.0, 1 / 2.25051763354443e54, 1 / 0.9999999999999802, 5.613691281429946e-07, 1.0,
     -125.15075691441442 + 5.613691281429946e-07**2):
        (0.99829363594750622, 0.99829363568733137, 1.5247318148819818e-7),
    # sigma = 1e-9 over half a year, ending 2.12 sd past the upper edge
    (3000.0, 2400.0, 3600.0, 1e-9, 0.5, 2.0 * math.log(1.2) + 3e-9):
        (0.98305257206284704, 0.0, 0.98305257206284704),
    # sigma^2 underflows (1.5e-162), tau = 1.7e308: s = 2e-8, the drift ends 2 s past the edge
    (1.0, 0.9999999804423928, 1.0000000195576073, 1.5e-162, 1.7e308, 3.45134246e-316):
        (0.99107775341556835, 0.0024540313681132783, 0.99002695897008366),
}
TOL = (3e-10, 3e-10, 1e-8, 1e-13)


@pytest.mark.parametrize(("args", "tol"), list(zip(MPMATH, TOL, strict=True)))
def test_strong_drift_and_vanishing_volatility_match_mpmath(args, tol):
    band, low, up = MPMATH[args]
    price, lower, upper, sigma, tau, mu = args
    assert band_exit_probability(*args) == pytest.approx(band, rel=0.0, abs=tol)
    assert first_passage_probability(price, lower, sigma, tau, mu) == pytest.approx(
        low, rel=1e-6, abs=1e-300)
    assert first_passage_probability(price, upper, sigma, tau, mu) == pytest.approx(
        up, rel=0.0, abs=tol)
    # the band is left at least as often as either side is touched, at most as their sum
    assert max(low, up) - tol <= band_exit_probability(*args) <= low + up + tol


@pytest.mark.parametrize("sigma", [1e100, 1e154, 1.4e154, 1e155, 1e200, 1e300, 1.7e308])
@pytest.mark.parametrize("mu", [0.0, 1e10, -1e10])
@pytest.mark.filterwarnings("error")
def test_a_volatility_whose_square_overflows_has_the_closed_form_limits(sigma, mu):
    assert band_exit_probability(P0, 2400.0, 3600.0, sigma, 1.0, mu) == 1.0
    assert first_passage_probability(P0, 2400.0, sigma, 1.0, mu) == 1.0
    assert first_passage_probability(P0, 3600.0, sigma, 1.0, mu) == pytest.approx(
        P0 / 3600.0, rel=1e-14)
    # one barrier: the band with the other side missing
    assert band_exit_probability(P0, None, 3600.0, sigma, 1.0, mu) == pytest.approx(
        P0 / 3600.0, rel=1e-14)


def test_the_brief_call_returns_the_probability():
    """The reported call: a valid volatility of 1e200 a year; the band is left surely."""
    assert band_exit_probability(3000, 2400, 3600, 1e200, 1.0) == 1.0


def _same_law(price, lower, upper, sig1, tau1, mu1, sig2, tau2, mu2):
    """Both calls' sigma^2 tau and nu tau agree exactly (the test's powers of two)."""
    assert sig1 * sig1 * tau1 == sig2 * sig2 * tau2 or (
        math.log2(sig1) * 2 + math.log2(tau1) == math.log2(sig2) * 2 + math.log2(tau2))
    got = band_exit_probability(price, lower, upper, sig1, tau1, mu1)
    want = band_exit_probability(price, lower, upper, sig2, tau2, mu2)
    assert got == pytest.approx(want, rel=1e-14, abs=1e-300)
    for barrier in (lower, upper):
        got = first_passage_probability(price, barrier, sig1, tau1, mu1)
        want = first_passage_probability(price, barrier, sig2, tau2, mu2)
        assert got == pytest.approx(want, rel=1e-14, abs=1e-300)
    return float(want)


@pytest.mark.parametrize("k", [0.25, 1.0, 3.0])
def test_sigma_squared_overflowing_is_the_same_law_as_an_ordinary_call(k):
    """sigma = 2^532, tau = 2^-1064: sigma^2 = 2^1064 overflows; sigma^2 tau = 1 and (mu = 0)
    nu tau = -1/2 as for sigma = 1, tau = 1 (mu = 0 has nu = -sigma^2 / 2 in both). Band edges
    at e^{-+k} (k standard deviations)."""
    want = _same_law(1.0, math.exp(-k), math.exp(k), 2.0**532, 2.0**-1064, 0.0, 1.0, 1.0, 0.0)
    assert 0.0 < want < 1.0


@pytest.mark.parametrize("k", [1.0, 2.0, 4.0])
@pytest.mark.parametrize("m", [-3.0, 0.0, 1.0, 3.0])
def test_sigma_squared_underflowing_is_the_same_law_as_an_ordinary_call(k, m):
    """sigma = 2^-542 (sigma^2 = 2^-1084 underflows to 0), tau = 2^1022: s = 2^-31, the same as
    sigma = 2^-31 over one year; mu = m 2^-1053 (exact) gives nu tau = m 2^-31 - 2^-63 in both
    (mu' = m 2^-31 for the ordinary call). Band edges k standard deviations from the price."""
    s = 2.0**-31
    want = _same_law(1.0, 1.0 - k * s, 1.0 + k * s, 2.0**-542, 2.0**1022, m * 2.0**-1053,
                     s, 1.0, m * s)
    assert 0.0 < want <= 1.0


@pytest.mark.parametrize("sigma", [1e-8, 1e-10, 1e-12])
@pytest.mark.parametrize("d", [-3.0, -1.0, 0.0, 0.5, 2.0])
@pytest.mark.parametrize("barrier", [3600.0, 2400.0])
def test_a_strong_drift_exits_with_the_normal_probability_of_ending_past_the_edge(
    sigma, d, barrier
):
    """The drift ends ``d`` standard deviations past one edge, the other edge ~1e8 sd behind:
    the exit is ``Phi(d)`` plus the reflection ``e^{-d^2/2} e^{x^2/2} Phi(x)`` with ``|x| > 1e7``,
    below ``phi(d) / |x| < 4e-8`` (Mills' ratio), and the far edge is never reached. The old
    code returned 1.0 for d = 2 at sigma = 1e-12 (the reflection's exponent sum of two 1e22s)."""
    b = math.log(barrier / P0)
    nu = b + math.copysign(1.0, b) * d * sigma
    mu = nu + 0.5 * sigma**2
    want = PHI(d)
    # a one-ulp change of mu or of b moves the distance by eps |b| / sigma standard deviations
    # (2e-5 at sigma = 1e-12): float inputs decide the answer only to phi(d) times that
    tol = 5e-8 + 4 * 2.2e-16 * abs(b) / sigma * NormalDist().pdf(d)
    assert band_exit_probability(P0, 2400.0, 3600.0, sigma, 1.0, mu) == pytest.approx(
        want, abs=tol)
    assert first_passage_probability(P0, barrier, sigma, 1.0, mu) == pytest.approx(want, abs=tol)


def test_extreme_regimes_in_one_array_match_the_scalar_calls():
    sig = np.array([1e-300, 1.5e-162, 1e-9, 0.8, 1e10, 1e200, 1e300])
    tau = np.array([1.0, 1.7e308, 0.5, 0.1, 1.0, 1.0, 1.0])
    mu = np.array([0.3, 3.45134246e-316, 0.4, 0.0, 0.0, 0.0, -5.0])
    lo = np.array([2400.0, 2999.99994132717, 2400.0, 2400.0, 2400.0, 2400.0, 2400.0])
    hi = np.array([3600.0, 3000.0000586728, 3600.0, 3600.0, 3600.0, 3600.0, 3600.0])
    got = band_exit_probability(P0, lo, hi, sig, tau, mu)
    want = [float(band_exit_probability(P0, *x)) for x in zip(lo, hi, sig, tau, mu, strict=True)]
    assert got.tolist() == want
    assert want[0] == 1.0 and want[-1] == 1.0 and 0.0 < want[3] < 1.0
    got = first_passage_probability(P0, hi, sig, tau, mu)
    assert got.tolist() == [float(first_passage_probability(P0, *x))
                            for x in zip(hi, sig, tau, mu, strict=True)]


def _mp_first(mp, price, barrier, sigma, tau, mu):
    p, h, sg, t, m = (mp.mpf(x) for x in (price, barrier, sigma, tau, mu))
    b, nu, s = mp.log(h / p), m - sg**2 / 2, sg * mp.sqrt(t)
    if b < 0:
        return mp.ncdf((b - nu * t) / s) + mp.exp(2 * nu * b / sg**2) * mp.ncdf((b + nu * t) / s)
    return mp.ncdf((nu * t - b) / s) + mp.exp(2 * nu * b / sg**2) * mp.ncdf((-b - nu * t) / s)


def _mp_band(mp, price, lower, upper, sigma, tau, mu, n_terms=3):
    p, lo, hi, sg, t, m = (mp.mpf(x) for x in (price, lower, upper, sigma, tau, mu))
    a, b = mp.log(lo / p), mp.log(hi / p)
    w, nu, s = b - a, m - sg**2 / 2, sg * mp.sqrt(t)

    def mass(x, y):  # Phi(x) - Phi(y) from the tail both sit in
        return mp.ncdf(-y) - mp.ncdf(-x) if y > 0 else mp.ncdf(x) - mp.ncdf(y)

    surv = mp.mpf(0)
    for n in range(-n_terms, n_terms + 1):
        c = nu * t
        surv += mp.exp(2 * n * w * nu / sg**2) * mass((b - 2 * n * w - c) / s,
                                                      (a - 2 * n * w - c) / s)
        surv -= mp.exp(2 * (b + n * w) * nu / sg**2) * mass((-b - 2 * n * w - c) / s,
                                                            (a - 2 * b - 2 * n * w - c) / s)
    return 1 - surv


def test_the_pasted_references_are_mpmath_values():
    mp = pytest.importorskip("mpmath")
    with mp.workdps(400):
        for args, (band, low, up) in MPMATH.items():
            price, lower, upper, sigma, tau, mu = args
            assert float(_mp_band(mp, *args)) == pytest.approx(band, rel=1e-15, abs=1e-300)
            assert float(_mp_first(mp, price, lower, sigma, tau, mu)) == pytest.approx(
                low, rel=1e-15, abs=1e-300)
            assert float(_mp_first(mp, price, upper, sigma, tau, mu)) == pytest.approx(
                up, rel=1e-15, abs=1e-300)


def test_a_volatility_that_does_not_broadcast_is_named_by_the_function_called():
    """The shape check names the volatility: ``nu`` no longer carries its shape (the drift is
    passed as ``mu``), so each function checks ``sigma_per_year`` itself; a missing check would
    surface as numpy's broadcast error, or as the inner first_passage_probability's."""
    price, sigma = np.array([3000.0, 3100.0]), np.array([0.5, 0.6, 0.7])
    with pytest.raises(LpperpError, match=r"^first_passage_probability: .*price \(2,\), "
                                          r"sigma_per_year \(3,\)"):
        first_passage_probability(price, 2400.0, sigma, 1.0)
    with pytest.raises(LpperpError, match=r"^band_exit_probability: .*price \(2,\), "
                                          r"sigma_per_year \(3,\)"):
        band_exit_probability(price, 2400.0, 3600.0, sigma, 1.0)


def test_no_time_and_no_band_is_no_exit():
    """tau = 0 with no barrier (or one missing and the other at 1.0, whose log placeholder gives a
    zero width): nothing to exit, and the zero width does not reach the series' term count
    (0 / 0 there would be NaN)."""
    assert band_exit_probability(3000.0, None, None, 0.8, 0.0) == 0.0
    assert band_exit_probability(0.5, None, 1.0, 0.8, 0.0) == 0.0
    assert band_exit_probability(2.0, 1.0, None, 0.8, 0.0) == 0.0


def test_a_volatility_of_exactly_ten_band_widths_is_left_surely():
    """At ``s = 10 w`` exactly the survival is below ``(4/pi) e^{-pi^2 s^2 / (2 w^2)} e^{w^2 /
    (2 s^2)} = 1e-213`` (first eigenmode times the drift's Girsanov bound): the exit is 1.0 in
    floats. The images summed there carry ~1e-16 of rounding (0.9999999999999993 at mu = 5 on
    (2999, 3000.5)): the cap takes s = 10 w itself."""
    lo, hi = 2999.0, 3000.5
    w = math.log(hi / P0) - math.log(lo / P0)
    for sigma in (0.3, 0.8, 2.0):
        tau = (10 * w / sigma) ** 2
        assert sigma * math.sqrt(tau) / w == 10.0  # exactly on the cap
        for mu in (-5.0, 0.0, 4.5, 5.0):
            assert band_exit_probability(P0, lo, hi, sigma, tau, mu) == 1.0


@pytest.mark.parametrize("hi", [2.04, 2.13, 2.25])
def test_the_mass_from_zero_is_one_half_less_the_tail_to_the_last_bit(hi):
    """``_scaled_mass``'s contract at ``lo = 0``: ``1/2 - Phi(-hi)`` through the upper tail,
    correctly rounded (reference: math.erfc, an independent implementation, in exact rational
    arithmetic). ``erf(hi / sqrt 2) / 2`` (the straddling branch) is one ulp off at these."""
    want = float(Fraction(1, 2) - Fraction(math.erfc(hi / math.sqrt(2.0)) / 2.0))
    assert float(risk._scaled_mass(0.0, hi, 0.0)) == want


@pytest.mark.parametrize(("log_k", "hi", "lo"), [(0.0, -1.0, -2.0), (math.log(3.0), 2.0, 1.0),
                                                 (-1.5, 0.5, -0.25)])
def test_the_scaled_mass_by_default_is_the_plain_product(log_k, hi, lo):
    """Without closed-form tail exponents: ``e^{log_k} (Phi(hi) - Phi(lo))`` (statistics.NormalDist)."""
    want = math.exp(log_k) * (PHI(hi) - PHI(lo))
    assert float(risk._scaled_mass(log_k, hi, lo)) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("n_terms", [0, 1, 2, None])
def test_a_price_on_the_lower_barrier_has_left_with_any_number_of_images(n_terms):
    """On the lower barrier the price is outside the open band: 1.0 exactly, whatever the
    truncation (the series itself, evaluated at ``a = 0`` with ``n_terms = 0``, keeps the path's
    own term without its partner image and gives 0.904 with n_terms = 0, 0.998 with 2)."""
    assert band_exit_probability(2400.0, 2400.0, 3600.0, 0.8, 0.5, 0.1, n_terms=n_terms) == 1.0
    assert band_exit_probability(3600.0, 2400.0, 3600.0, 0.8, 0.5, 0.1, n_terms=n_terms) == 1.0


def test_a_vanishing_volatility_whose_drift_ends_on_the_barrier_touches_it_half_the_time():
    """The limit sigma -> 0 with the log drift ending exactly on the barrier: the end point is
    ``N(b, s^2)``-ish around it, ``Phi(d) -> Phi(0) = 1/2``, and the reflection ``e^{-d^2/2}
    e^{x^2/2} Phi(x)`` vanishes (``x = -2 |b| / s``). sigma = 2^-540 (``nu / sigma^2`` overflows,
    ``b / s`` does not) and sigma = 5e-324 (both overflow: the deterministic fallback)."""
    b = math.log(0.5)
    assert first_passage_probability(1.0, 0.5, 2.0**-540, 1.0, b) == 0.5
    assert first_passage_probability(1.0, 0.5, 5e-324, 1.0, b) == 0.5
    assert first_passage_probability(1.0, 2.0, 5e-324, 1.0, -b) == 0.5


@pytest.mark.parametrize(("mu", "want"), [(-0.1, 1.0), (-0.05, 0.0), (0.1, 0.0)])
def test_a_vanishing_volatility_over_four_years_follows_the_drift(mu, want):
    """sigma = 5e-324 over tau = 4: the log price moves by mu tau (-0.4, -0.2, 0.4) and reaches
    ln(2400 / 3000) = -0.223 only in the first case (mu tau, not mu / tau, decides)."""
    assert first_passage_probability(P0, 2400.0, 5e-324, 4.0, mu) == want


@pytest.mark.parametrize("hi", [2.04, 2.13, 2.25])
def test_the_mass_up_to_zero_is_one_half_less_the_tail_to_the_last_bit(hi):
    """The mirror of the ``lo = 0`` contract: at ``hi = 0`` the lower tail gives ``1/2 -
    Phi(lo)`` correctly rounded."""
    want = float(Fraction(1, 2) - Fraction(math.erfc(hi / math.sqrt(2.0)) / 2.0))
    assert float(risk._scaled_mass(0.0, 0.0, -hi)) == want


@pytest.mark.parametrize("mu", [-0.767, -0.487, -0.296, -0.07])
def test_a_barrier_one_ulp_below_the_price_is_touched_with_a_probability_at_most_one(mu):
    """The barrier 1.1e-16 standard deviations below the price (0.9999999999999999 of it), the
    drift toward it: touched with probability 1 - O(1e-16). The two terms of the reflection
    formula, ``Phi(d)`` and ``e^{-d^2/2} e^{x^2/2} Phi(x)`` with ``d = -x`` to 1e-16, sum to 1 in
    exact arithmetic and to 1.0000000000000002 in floats at these drifts: the result is still a
    probability (the documented [0, 1])."""
    got = first_passage_probability(1.0, 0.9999999999999999, 1.0, 1.0, mu)
    assert 1.0 - 1e-15 <= got <= 1.0

"""lpperp.risk: probabilities stay in [0, 1] where the closed forms round badly (issue 14).

References are closed-form bounds, not the code under test:

- first passage: with drift ``nu`` toward the barrier and ``d = (|nu| tau - |b|) / s`` standard
  deviations past it at ``tau``, ``Phi(d) <= P(touch) <= 1`` (the path ends beyond the barrier
  with probability ``Phi(d)``; Shreve, *Stochastic Calculus for Finance II*, 7.2). For ``d = 20``,
  ``Phi(20) = 1 - 2.8e-89`` rounds to 1.0, so the answer is exactly 1.0. The reflection term
  ``e^{2 nu b / sigma^2} Phi(...)`` is computed in log space from a huge exponent and a huge
  negative log-mass; at ``sigma = 1e-12`` their rounding leaves it at 1.0 or inf (the sum 2.0 or
  inf), and only the documented clip to [0, 1] returns the probability.
- band exit: a drift of 1e300 a year carries the price past the band's edge on its side by
  ~1e288 standard deviations, so the band is left surely (1.0); the images overflow to NaN
  there (``(nu tau / s)^2`` past the floats) and the exit was NaN for a band whose width is not
  tiny against ``s`` (``s / w = 1.5e-6``).
- ``_scaled_mass(log_k, hi, lo)`` is ``e^{log_k} (Phi(hi) - Phi(lo))`` "without cancellation"
  (its docstring): at ``lo = 0`` that is ``1/2 - Phi(-hi)``, correctly rounded from
  ``math.erfc`` (an independent implementation of the normal tail) with exact rational
  arithmetic; ``Phi(hi) - 1/2`` rounds ``Phi(8.3) = 1 - 5.2e-17`` to 1 and returns 0.5.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import lpperp.risk as risk
from lpperp.risk import band_exit_probability, first_passage_probability

P0 = 3000.0


def drift_past(barrier, sigma, sd):
    """``mu_per_year`` (tau = 1) whose log drift ends ``sd`` standard deviations past ``barrier``."""
    b = math.log(barrier / P0)
    nu = b + math.copysign(sd * sigma, b)
    return nu + 0.5 * sigma**2


@pytest.mark.parametrize("barrier", [3300.0, 2700.0])
@pytest.mark.parametrize("sigma", [1e-8, 1e-10, 1e-12])
def test_a_barrier_the_drift_passes_by_20_sd_is_touched_with_probability_one(barrier, sigma):
    mu = drift_past(barrier, sigma, 20.0)
    assert first_passage_probability(P0, barrier, sigma, 1.0, mu) == 1.0
    prob = first_passage_probability(P0, [barrier, barrier], sigma, 1.0, mu)
    assert prob.tolist() == [1.0, 1.0]


def test_first_passage_probabilities_stay_in_the_unit_interval_under_strong_drift():
    sig = np.array([1e-12, 1e-13, 1e-14, 1e-12, 1e-13, 1e-14])
    barrier = np.array([3300.0, 3300.0, 3300.0, 2700.0, 2700.0, 2700.0])
    b = np.log(barrier / P0)
    for sd in (-5.0, 0.0, 5.0, 40.0):
        mu = b + np.sign(b) * sd * sig + 0.5 * sig**2
        prob = first_passage_probability(P0, barrier, sig, 1.0, mu)
        assert ((prob >= 0.0) & (prob <= 1.0)).all(), (sd, prob)


@pytest.mark.parametrize("mu", [1e300, -1e300])
def test_a_drift_of_1e300_leaves_a_narrow_band_surely(mu):
    lower, upper, sigma = 2999.999, 3000.001, 1e-12  # s / w = 1.5e-6
    assert band_exit_probability(P0, lower, upper, sigma, 1.0, mu) == 1.0
    out = band_exit_probability(P0, [lower, 2999.9], [upper, 3000.1], [sigma, 1e-8], 1.0, mu)
    assert out.tolist() == [1.0, 1.0]
    # each side alone agrees: the side the drift points to is touched surely, the other never
    toward, away = (upper, lower) if mu > 0 else (lower, upper)
    assert first_passage_probability(P0, toward, sigma, 1.0, mu) == 1.0
    assert first_passage_probability(P0, away, sigma, 1.0, mu) == 0.0


@pytest.mark.parametrize("hi", [6.0, 8.3, 9.0, 12.0])
def test_the_mass_from_zero_is_one_half_less_the_upper_tail_correctly_rounded(hi):
    tail = Fraction(math.erfc(hi / math.sqrt(2.0)) / 2.0)
    want = float(Fraction(1, 2) - tail)
    got = risk._scaled_mass(0.0, hi, 0.0)
    assert float(got) == want
    # the same with a scale e^{log_k}: e^{log 2} (1/2 - tail) = 1 - 2 tail
    want2 = float(1 - 2 * tail)
    assert float(risk._scaled_mass(math.log(2.0), hi, 0.0)) == pytest.approx(want2, rel=1e-15)


def test_the_exit_probability_stays_in_the_unit_interval_where_the_images_round_badly():
    """A drift of 2.2e8 standard deviations ending 2.93 sd past the upper edge, the lower edge
    7.8 / 2.2e8 sd below the price: the images' exponents ``2 n w nu / sigma^2`` are ~1e17. Summed
    in log space they once carried O(1) relative errors (the survival came out 1.0017 and only a
    clip kept the exit a probability, 0.0); evaluated in standard deviations (2111d3f) the exit is
    0.99829363602, against mpmath's 0.998293635922 (tests/test_risk_extremes.py has the 400-digit
    reference); a one-ulp change of the inputs moves the exact value by about 1e-10 here."""
    lower, upper, sigma, mu = 0.9999999999999802, 2.25051763354443e+54, 5.613691281429946e-07, \
        125.15075691441442
    out = band_exit_probability(1.0, lower, upper, sigma, 1.0, mu)
    assert 0.0 <= out <= 1.0
    assert out == pytest.approx(0.998293635922, rel=1e-9)


def test_the_one_barrier_fallback_stays_in_the_unit_interval():
    """sigma = 1.5e-162 squares to 0.0 (underflow); ``s = sigma sqrt(tau) = 2e-8`` and the drift
    ends 2 s past the upper edge (1 s away), so the exit lies between ``Phi(2) = 0.97725`` (the
    path ends above the edge) and 1. The series once divided by sigma^2 = 0 and fell back to the
    one-barrier parts, which summed to 1.00003 (clipped to 1); evaluated without sigma^2 it is
    0.9910777534155684, mpmath 0.99107775341556835 (tests/test_risk_extremes.py)."""
    sigma, tau = 1.5e-162, 1.7e308
    s = sigma * math.sqrt(tau)
    out = band_exit_probability(1.0, 1.0 - s, 1.0 + s, sigma, tau, 3.0 * s / tau)
    assert 0.97725 <= out <= 1.0
    assert out == pytest.approx(0.99107775341556835, rel=1e-13)

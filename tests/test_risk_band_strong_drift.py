"""A band both of whose barriers matter under a drift of 1e15 variances per unit of log price.

With ``nu / sigma^2 = 1e15`` the images' exponents ``2 n w nu / sigma^2`` are ~1e15: their tail
exponents must be formed in closed form (``lpperp.risk._image_mass``), not as ``log_k - x^2 / 2``
(two numbers of 1e15 whose difference keeps no digits). The drift ends exactly on the upper
barrier (hit with probability ~1/2) and the lower barrier sits ``k sigma^2 / nu`` below the price
(hit against the drift with probability ~``e^{-2k}``), so the band's exit is far from both
one-barrier probabilities and their bounds do not pin it. References: the images series at 400
digits (mpmath, ``_mp_band`` of tests/test_risk_extremes.py, recomputed below), for the float
inputs as given. The closed-form exponents give 6.4e-10 and 6.5e-11 relative error here; the
subtracted ones 4.7e-9 and 9.1e-10.
"""

from __future__ import annotations

import pytest

from lpperp.risk import band_exit_probability

#         lower               upper              sigma                  mu                  exit (mpmath)
CASES = [(0.9999999999999997, 2.718281828459045, 3.162277660168379e-08, 1.0000000000000004,
          0.7568453909757984),
         (0.999999999999999, 2.718281828459045, 3.162277660168379e-08, 1.0000000000000004,
          0.5677759074556316)]


@pytest.mark.parametrize("case, rel", [(CASES[0], 2e-9), (CASES[1], 3e-10)])
def test_a_band_under_a_huge_drift_is_right_to_nine_digits(case, rel):
    lower, upper, sigma, mu, want = case
    assert band_exit_probability(1.0, lower, upper, sigma, 1.0, mu) == pytest.approx(want, rel=rel)


def test_the_references_are_the_series_at_400_digits():
    mp = pytest.importorskip("mpmath")
    from test_risk_extremes import _mp_band
    with mp.workdps(400):
        for lower, upper, sigma, mu, want in CASES:
            assert float(_mp_band(mp, 1.0, lower, upper, sigma, 1.0, mu)) == pytest.approx(want, rel=1e-15)

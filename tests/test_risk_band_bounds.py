"""Leaving a band is at least as likely as hitting either barrier, at most as likely as either.

For any path, "the band is left" contains "the lower barrier is hit" and "the upper barrier is
hit", and is their union, so ``max(P_lo, P_hi) <= P_band <= min(1, P_lo + P_hi)`` with ``P_lo``,
``P_hi`` the one-barrier first-passage probabilities (closed form, Harrison 1985, 1.8) and
``P_band`` the images series (Borodin & Salminen 1.15.8). The series' float sum used to miss these
bounds by rounding in about one band in eight (and then also fell outside [0, 1] near 0 and 1):
checked on random bands, continuously and discretely monitored, with the automatic number of
terms and with a short series.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.risk import band_exit_probability, first_passage_probability


def bands(seed, n=20_000):
    rng = np.random.default_rng(seed)
    p = np.full(n, 3000.0)
    lo = p * np.exp(-(10 ** rng.uniform(-2.0, 0.3, n)))
    hi = p * np.exp(10 ** rng.uniform(-2.0, 0.3, n))
    sig, tau = 10 ** rng.uniform(-1.5, 0.5, n), 10 ** rng.uniform(-2.0, 0.5, n)
    return p, lo, hi, sig, tau, rng.normal(0.0, 1.0, n)


@pytest.mark.parametrize("seed, kw", [(1, {}), (2, {"n_terms": 2}), (3, {"dt_years": 1 / 365})])
def test_band_exit_lies_between_the_one_barrier_probabilities(seed, kw):
    p, lo, hi, sig, tau, mu = bands(seed)
    band = band_exit_probability(p, lo, hi, sig, tau, mu, **kw)
    if "dt_years" in kw:  # the same continuity correction for the one-barrier parts
        dt = kw["dt_years"]
        both = band_exit_probability(p, np.stack([lo, np.zeros_like(lo)]),
                                     np.stack([np.full_like(hi, np.inf), hi]), sig, tau, mu, dt_years=dt)
        one_lo, one_hi = both
    else:
        one_lo = first_passage_probability(p, lo, sig, tau, mu)
        one_hi = first_passage_probability(p, hi, sig, tau, mu)
    assert np.all(band >= np.maximum(one_lo, one_hi))
    assert np.all(band <= np.minimum(one_lo + one_hi, 1.0))
    # the bounds are not vacuous: the band differs from both one-barrier probabilities
    assert np.mean(band > np.maximum(one_lo, one_hi)) > 0.5

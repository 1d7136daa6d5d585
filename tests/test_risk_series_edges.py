"""Risk: the band's image series at its edges (issue 14) - an empty batch of prices, and the
series truncated by hand (``n_terms``) converging to the default from zero extra images, bounded
by the one-barrier probabilities (inclusion-exclusion: P(exit) <= P(hit lower) + P(hit upper),
and >= each)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from lpperp.risk import band_exit_probability, first_passage_probability


def test_an_empty_batch_gives_an_empty_answer():
    out = band_exit_probability(np.array([]), 2400.0, 3600.0, 0.8, 1.0)
    assert isinstance(out, np.ndarray) and out.shape == (0,)
    out = band_exit_probability(3000.0, np.array([]), 3600.0, 0.8, 1.0)
    assert out.shape == (0,)


def test_the_truncated_series_converges_to_the_default():
    args = (3000.0, 1500.0, 6000.0, 0.8, 0.25)
    full = band_exit_probability(*args)
    p_lo = first_passage_probability(3000.0, 1500.0, 0.8, 0.25)
    p_hi = first_passage_probability(3000.0, 6000.0, 0.8, 0.25)
    assert max(p_lo, p_hi) <= full <= p_lo + p_hi
    assert p_lo + p_hi - full < 1e-5  # crossing both within a quarter: rare
    errs = []
    for n in (0, 1, 2, 3):  # zero extra images is allowed
        r = band_exit_probability(*args, n_terms=n)
        assert 0.0 <= r <= 1.0
        errs.append(abs(r - full))
    assert errs[0] > 1e-3 and errs[3] < 1e-12
    assert errs == sorted(errs, reverse=True)


def _images(price, lower, upper, sigma, tau, mu, n_terms):
    """The docstring's series (Borodin & Salminen 1.15.8) over |n| <= n_terms, term by term with
    statistics.NormalDist: the survival probability."""
    phi = NormalDist().cdf
    nu = mu - 0.5 * sigma**2
    a, b = math.log(lower / price), math.log(upper / price)
    w, s, c = b - a, sigma * math.sqrt(tau), nu * tau
    surv = 0.0
    for n in range(-n_terms, n_terms + 1):
        surv += math.exp(2 * n * w * nu / sigma**2) * (
            phi((b - 2 * n * w - c) / s) - phi((a - 2 * n * w - c) / s))
        surv -= math.exp(2 * (b + n * w) * nu / sigma**2) * (
            phi((-b - 2 * n * w - c) / s) - phi((a - 2 * b - 2 * n * w - c) / s))
    return surv


@pytest.mark.parametrize("n_terms", [0, 1, 2, 4])
def test_n_terms_sums_the_images_up_to_it(n_terms):
    args = (3000.0, 2500.0, 3400.0, 0.9, 0.5, 0.2)  # narrow band: the images matter
    want = min(max(1.0 - _images(*args, n_terms), 0.0), 1.0)
    got = band_exit_probability(*args, n_terms=n_terms)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_the_band_at_its_limits():
    # s = sigma sqrt(tau) = 1500 band widths: the survival is below 1e-213 (the first eigenmode),
    # so the exit probability is 1.0 in floats (the image series alone would need thousands of
    # terms)
    assert band_exit_probability(3000.0, 2999.9, 3000.1, 1.0, 1.0) == 1.0
    # no barrier on either side: nothing to exit
    assert band_exit_probability(3000.0, None, None, 0.8, 1.0) == 0.0
    # no time: no exit, even where the series' exponents overflow (a vanishing volatility with a
    # strong drift)
    with np.errstate(all="ignore"):
        assert band_exit_probability(3000.0, 2400.0, 3600.0, 2e-154, 0.0, 50.0) == 0.0

"""Risk: ``wilson_interval`` names what is wrong - more hits than trials (with both counts as
given) and counts that do not broadcast (with the function and both shapes) - and is vectorized
over broadcasting counts (issue 14)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lpperp._validate import LpperpError
from lpperp.risk import wilson_interval


def test_more_hits_than_trials_names_both_counts():
    with pytest.raises(LpperpError, match=r"^hits must be <= n .*got hits=101, n=100$"):
        wilson_interval(101, 100)


def test_counts_that_do_not_broadcast_are_named_with_their_shapes():
    with pytest.raises(LpperpError,
                       match=r"^wilson_interval: .*broadcast.*hits \(3,\), n \(2,\)$"):
        wilson_interval([1, 2, 3], [10, 20])


def test_broadcast_counts_against_the_formula():
    """Wilson (1927): ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``."""
    hits = np.array([[0], [3], [50]])
    n = np.array([50, 100, 400])
    lo, hi = wilson_interval(hits, n, 0.9)
    assert lo.shape == hi.shape == (3, 3)
    z = stats.norm.ppf(0.95)
    for i in range(3):
        for j in range(3):
            h, m = float(hits[i, 0]), float(n[j])
            p = h / m
            mid = (p + z * z / (2 * m)) / (1 + z * z / m)
            half = z * math.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
            assert lo[i, j] == pytest.approx(max(mid - half, 0.0), rel=1e-12, abs=1e-15)
            assert hi[i, j] == pytest.approx(mid + half, rel=1e-12)


def test_no_hits_gives_a_lower_end_of_zero_never_below():
    """At 0 hits the Wilson lower end is ``(z^2/2n - z sqrt(z^2/4n^2)) / den = 0``; in floats the
    difference rounds to a few 1e-17 either side (-1.4e-17 at n = 21, 95 %): the interval is
    clipped to [0, 1], so the lower end is never negative."""
    lo, hi = wilson_interval(np.zeros(40), np.arange(1.0, 41.0))
    assert np.all(lo >= 0.0) and np.all(lo < 1e-16)
    assert np.all(hi > 0)
    assert wilson_interval(0, 21)[0] == 0.0


def test_all_hits_gives_an_upper_end_of_one_never_above():
    """At ``hits = n`` the Wilson upper end is exactly 1 mathematically; unclipped it rounds to
    1 + 2.2e-16 for about a fifth of the counts (n = 16 at 95 %): never above 1."""
    n = np.arange(1.0, 41.0)
    lo, hi = wilson_interval(n, n)
    assert np.all(hi <= 1.0) and np.all(hi > 1.0 - 1e-15)
    assert np.all(lo < 1.0)
    assert wilson_interval(16, 16)[1] == 1.0

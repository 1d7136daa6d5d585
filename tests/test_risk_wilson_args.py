"""Risk: ``wilson_interval``'s confidence is one number strictly inside (0, 1), named when it is
not (issue 14)."""

from __future__ import annotations

import math

import pytest

from lpperp._validate import LpperpError
from lpperp.risk import wilson_interval


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, math.nan, [0.9, 0.95]])
def test_confidence_is_named(bad):
    with pytest.raises(LpperpError, match=r"^confidence must be"):
        wilson_interval(5, 100, confidence=bad)


def test_wilson_interval_at_a_known_case():
    # Wilson (1927) score interval, 95 %: z = 1.959963984540054; 5 hits of 100
    z = 1.959963984540054
    p, n = 0.05, 100
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = wilson_interval(5, 100)
    assert lo == pytest.approx(mid - half, rel=1e-12) and hi == pytest.approx(mid + half, rel=1e-12)

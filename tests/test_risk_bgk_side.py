"""Risk: ``bgk_shift`` moves a barrier by ``exp(beta sigma sqrt(dt))`` away from (or toward) the
price, ``beta = -zeta(1/2) / sqrt(2 pi)`` (Broadie, Glasserman & Kou 1997); below the price means
``H < price``, so a barrier exactly at the price is treated as above it (the docstring's rule)."""

from __future__ import annotations

import math

import pytest
from scipy import special

from lpperp.risk import bgk_shift

BETA = -special.zeta(0.5) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize(("barrier", "side"), [(2999.0, -1), (3000.0, +1), (3001.0, +1)])
def test_a_barrier_at_the_price_is_shifted_as_one_above(barrier, side):
    k = math.exp(BETA * 0.8 * math.sqrt(1 / 365))
    away = bgk_shift(barrier, 3000.0, 0.8, 1 / 365)
    toward = bgk_shift(barrier, 3000.0, 0.8, 1 / 365, toward_price=True)
    assert away == pytest.approx(barrier * k**side, rel=1e-14)
    assert toward == pytest.approx(barrier / k**side, rel=1e-14)

"""Boundaries at the ends of the float range: the general kernel classifies each segment between
candidates by ``g`` at one point inside it, and that point must be a price (> 0 and finite).

Two accounts broke it: perps of 1e-300 ETH put a tier edge at 1e8 / 1e-300 = 1e308, and the
point above it, ``2 * 1e308``, overflowed to ``inf`` (a cross account raised "price must be a
finite number > 0, got inf", a price nobody had given); a root at the least subnormal 5e-324 left
``hi / 2 = 0`` as the point below it (the same error). In both the segment has no float inside
or the formula left the float range; the point is now clamped to the range (lpperp._boundary_kernels
``_representatives``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lpperp._boundary_kernels import g_direct, general_kernel
from lpperp.margin import CrossAccount
from lpperp.perp import PerpPosition
from lpperp.venues import get_venue

TINY = 5e-324
NO_TIERS = (np.array([0.0]), np.array([0.0]), np.array([0.0]))
NO_LP = [np.ones((1, 1)), np.full((1, 1), 2.0), np.zeros((1, 1)), np.ones((1, 1)),
         np.ones((1, 1)), np.ones((1, 1))]


@pytest.mark.parametrize(("size", "cash"), [(1e-300, 1e-297), (-1e-300, 1e-296),
                                            (-1e-300, -1e-297), (1e-300, -1e-298)])
def test_a_tier_edge_near_the_largest_float(size, cash):
    """Two perps of 1e-300 under Hyperliquid's tiers (second tier from 1e8 USDC notional: an edge
    at 1e308): the same boundaries as with one tier, since no boundary lies up there."""
    tiered = get_venue("hyperliquid")
    assert tiered.tier_floors[1] / abs(size) == pytest.approx(1e308)
    flat = replace(tiered, tier_floors=(0.0,), tier_maintenance=(tiered.tier_maintenance[0],),
                   tier_initial=(tiered.tier_initial[0],))
    prices = {"ETH": 3000.0, "BTC": 3000.0}
    perps = (PerpPosition(size, 3000.0), PerpPosition(size, 3000.0, "BTC"))
    got = CrossAccount(perps=perps, cash=cash, rules=tiered).liquidation(prices)
    want = CrossAccount(perps=perps, cash=cash, rules=flat).liquidation(prices)
    np.testing.assert_array_equal(got.boundaries, want.boundaries)
    assert got.boundaries.size == 1 and 1000.0 < got.boundaries[0] < 20_000.0
    assert bool(got.liquidatable_now) == bool(want.liquidatable_now)


def test_a_root_at_the_least_subnormal():
    """g = c + s1 P + s2 P with its root at 5e-324: below it no float exists. Short perps: every
    price above 5e-324 is unsafe and g(5e-324) = 0 is safe, so 5e-324 is the boundary; long
    perps: every price > 0 is safe, no boundary."""
    P0 = np.array([3000.0])
    short, _ = general_kernel(P0, *NO_LP, np.array([[-1.0, -1.0]]), np.array([2 * TINY]), *NO_TIERS)
    assert short.tolist() == [[TINY]]
    long_, g0 = general_kernel(P0, *NO_LP, np.array([[1.0, 1.0]]), np.array([-2 * TINY]), *NO_TIERS)
    assert not np.isfinite(long_).any() and g0[0] > 0
    # the kernel's answers agree with g itself at the float range's low end
    assert g_direct(np.array([[TINY, 2 * TINY]]), *NO_LP, np.array([[-1.0, -1.0]]),
                    np.array([2 * TINY]), *NO_TIERS).tolist() == [[0.0, -2 * TINY]]


def test_a_root_near_the_largest_float():
    """A short perp whose boundary is 1.5 * 2**1023 (1.35e308, exact): the point above it,
    2 * lo, is past the largest float; the largest float itself is inside the segment."""
    root = 1.5 * 2.0**1023
    P0 = np.array([3000.0])
    bnd, g0 = general_kernel(P0, *NO_LP, np.array([[-1.0, 0.0]]), np.array([root]), *NO_TIERS)
    assert bnd.shape == (1, 1) and g0[0] > 0
    # the root through s = sqrt(P), squared back: within a few ulp, as everywhere else
    assert abs(bnd[0, 0] - root) <= 4 * np.spacing(root)

"""lpperp.swap.float_swap across segments: empty segments, edges, unfillable swaps, no warnings.

Reference: a segment-by-segment loop in plain Python floats (tests/swap_refs.py ``walk``, the
definition in lpperp.swap's docstring). Swaps that run out of liquidity at the profile's ends
come back NaN with the price at the edge reached, and ``execution_cost`` is inf there. The
vectorized walk must do all of this without numpy RuntimeWarnings (warnings are errors in these
tests).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from swap_refs import walk

from lpperp.swap import LiquidityProfile, execution_cost, float_swap


def assert_matches_walk(edges, liqs, fee, price, x, q, p1, cost):
    """The twin's ``(q, p1, cost)`` against :func:`swap_refs.walk`: the same quote and price, a
    cost of ``x * price - quote`` >= 0; NaN, the edge reached and an infinite cost if unfilled."""
    q_ref, p_ref = walk(edges, liqs, fee, price, x)
    if math.isnan(q_ref):
        assert math.isnan(q) and p1 == p_ref and cost == math.inf, (price, x)
        return
    assert q == pytest.approx(q_ref, rel=1e-9, abs=1e-9), (price, x)
    assert p1 == pytest.approx(p_ref, rel=1e-12), (price, x)
    assert cost == pytest.approx(x * price - q_ref, rel=1e-7, abs=1e-9), (price, x)
    assert cost >= 0


EDGES = [1000.0, 2000.0, 2500.0, 3000.0, 3500.0, 5000.0]
LIQS = [2e4, 0.0, 3e4, 0.0, 1e4]  # two empty segments
CASES = [
    (2200.0, 5.0), (2200.0, -5.0),  # from inside an empty segment
    (2500.0, 1.0), (2500.0, -1.0),  # on an edge
    (2800.0, 80.0), (2800.0, 500.0), (2800.0, 2000.0),  # across the empty segment below, and out
    (2800.0, -30.0), (2800.0, -200.0), (2800.0, -900.0),  # across the empty one above, and out
    (1000.0, 3.0), (1000.0, -3.0),  # on the lowest edge
    (5000.0, -1e-3), (5000.0, 1e-3),  # on the highest edge
    (4000.0, 0.0),
]


@pytest.mark.parametrize("fee", [0.0, 0.003])
@pytest.mark.parametrize(("price", "x"), CASES)
def test_walk_over_empty_segments_and_out_of_the_profile(fee, price, x):
    prof = LiquidityProfile(EDGES, LIQS, fee)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, p1 = float_swap(prof, price, x)
        cost = execution_cost(prof, price, x)
    if x == 0:
        assert (q, p1, cost) == (0.0, price, 0.0)
        return
    assert_matches_walk(EDGES, LIQS, fee, price, x, q, p1, cost)


@pytest.mark.parametrize("fee", [0.0, 0.0005])
def test_walk_batches_match_the_loop_with_tails_to_zero_and_infinity(fee):
    edges = [0.0, 2000.0, 2900.0, 3100.0, 4500.0, math.inf]
    liqs = [1e3, 0.0, 5e4, 2e4, 0.0]  # nothing above 4500: large purchases cannot fill
    prof = LiquidityProfile(edges, liqs, fee)
    prices = np.array([1500.0, 2000.0, 2500.0, 2950.0, 3100.0, 4000.0, 4500.0, 6000.0])
    amounts = np.array([-400.0, -50.0, -1.0, 1.0, 60.0, 3000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, p1 = float_swap(prof, prices[:, None], amounts)
        cost = execution_cost(prof, prices[:, None], amounts)
    for i, p in enumerate(prices):
        for j, x in enumerate(amounts):
            assert_matches_walk(edges, liqs, fee, float(p), float(x), q[i, j], p1[i, j], cost[i, j])


def test_a_sale_to_a_zero_price_edge_with_empty_tails_cannot_fill():
    thin = LiquidityProfile.thin(3000.0, 1e3, 0.003, tail_fraction=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, p1 = float_swap(thin, np.array([3000.0, 2990.0]), np.array([1e4, -1e4]))
        c = execution_cost(thin, 3000.0, np.array([1e4, -1e4, 0.1]))
    assert np.isnan(q).all() and p1.tolist() == [0.0, math.inf]
    assert c[:2].tolist() == [math.inf, math.inf] and 0 < c[2] < math.inf

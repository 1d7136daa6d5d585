"""float_swap keeps full precision for swaps that start on or end at a segment edge (issue 14).

Reference: the constant-liquidity swap inside one segment in 60-digit decimal arithmetic (Uniswap
v3 whitepaper eq. 6.13-6.16: a sale of ``xe = x (1 - f)`` base moves ``1/sqrt(P1) = 1/sqrt(P) +
xe / L`` and pays ``L (sqrt(P) - sqrt(P1))`` quote). The profiles put a huge amount of liquidity
in the neighbouring segment, so a computation through the profile's cumulative base and quote sums
(the walk across edges) would cancel most digits: a swap that stays in one segment must come out
to ~1e-15 whatever lies next to it.
"""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest

from lpperp.swap import LiquidityProfile, execution_cost, float_swap

getcontext().prec = 60
FEE = 0.003


def one_segment_sale(price: float, x: float, liq: float) -> tuple[Decimal, Decimal]:
    xe = Decimal(x) * (1 - Decimal(FEE))
    s = Decimal(price).sqrt()
    s1 = 1 / (1 / s + xe / Decimal(liq))
    return Decimal(liq) * (s - s1), s1 * s1


def rel(got: float, want: Decimal) -> float:
    return abs(float((Decimal(float(got)) - want) / want))


@pytest.mark.parametrize("x", [1e-6, 1e-3, 0.1, 5.0])
def test_a_sale_from_exactly_an_edge_is_one_step_in_the_segment_below(x):
    # 1e3 of liquidity over [1000, 3000], 1e9 above: the sale moves down from 3000 into [1000, 3000]
    prof = LiquidityProfile(np.array([1000.0, 3000.0, 5000.0]), np.array([1e3, 1e9]), FEE)
    q_ref, p1_ref = one_segment_sale(3000.0, x, 1e3)
    for price, amount in ((3000.0, x), (np.full(3, 3000.0), np.full(3, x))):
        q, p1 = float_swap(prof, price, amount)
        assert np.all([rel(v, q_ref) < 1e-14 for v in np.atleast_1d(q)])
        assert np.all([rel(v, p1_ref) < 1e-14 for v in np.atleast_1d(p1)])


def test_a_sale_of_exactly_the_room_to_the_lower_edge_is_one_step():
    # 1e9 of liquidity over [1000, 2000] (1.3e10 quote below 2000), 1e3 over [2000, 3000]: a sale
    # from 2500 of exactly the base the upper segment absorbs down to 2000 (found by a scan of
    # the amounts one ulp apart: x (1 - f) == L (1/sqrt(2000) - 1/sqrt(2500)) in floats)
    prof = LiquidityProfile(np.array([1000.0, 2000.0, 3000.0]), np.array([1e9, 1e3]), FEE)
    x = 2.3677831243710097
    assert x * (1.0 - FEE) == 1e3 * (1.0 / np.sqrt(2000.0) - 1.0 / np.sqrt(2500.0))
    q_ref, p1_ref = one_segment_sale(2500.0, x, 1e3)
    q, p1 = float_swap(prof, 2500.0, x)
    assert rel(q, q_ref) < 1e-14
    assert rel(p1, p1_ref) < 1e-14
    assert p1 == pytest.approx(2000.0, rel=1e-14)


@pytest.mark.parametrize("x", [-1e-6, -1e-3, -0.1])
def test_a_purchase_from_exactly_an_edge_is_one_step_in_the_segment_above(x):
    # buys move up from 3000 into [3000, 5000] (1e9 of liquidity) whatever lies below
    prof = LiquidityProfile(np.array([1000.0, 3000.0, 5000.0]), np.array([1e12, 1e9]), FEE)
    s = Decimal(3000).sqrt()
    s1 = 1 / (1 / s + Decimal(x) / Decimal(10**9))
    q_ref, p1_ref = Decimal(10**9) * (s - s1) / (1 - Decimal(FEE)), s1 * s1  # quote paid (< 0)
    q, p1 = float_swap(prof, 3000.0, x)
    assert rel(q, q_ref) < 1e-14 and rel(p1, p1_ref) < 1e-14


def test_a_sale_from_the_lowest_edge_cannot_be_filled():
    # nothing below the profile: NaN quote, the price stays on the edge (float_swap's docstring)
    prof = LiquidityProfile(np.array([1000.0, 3000.0, 5000.0]), np.array([1e3, 1e9]), FEE)
    q, p1 = float_swap(prof, 1000.0, 1e-3)
    assert np.isnan(q) and p1 == 1000.0


def test_a_sale_from_a_higher_edge_starts_in_the_segment_just_below():
    # edges 1000, 2000, 3000, 5000: a sale from 3000 moves into [2000, 3000] (liquidity 1e3)
    prof = LiquidityProfile(np.array([1000.0, 2000.0, 3000.0, 5000.0]),
                            np.array([1e6, 1e3, 1e9]), FEE)
    q_ref, p1_ref = one_segment_sale(3000.0, 1e-3, 1e3)
    q, p1 = float_swap(prof, 3000.0, 1e-3)
    assert rel(q, q_ref) < 1e-14 and rel(p1, p1_ref) < 1e-14


def test_the_cost_of_a_small_swap_across_an_edge():
    # the same liquidity on both sides of 3000: the walk across the edge is the one-segment swap;
    # its cost against the mid, x P - quote, is about 0.09 quote (fee 0.3 % of ~30 quote)
    prof = LiquidityProfile(np.array([1000.0, 3000.0, 5000.0]), np.array([1e6, 1e6]), FEE)
    price, x = 3000.0001, 0.01  # 1.6e-5 base of room down to the edge: the sale crosses it
    q_ref, _ = one_segment_sale(price, x, 1e6)
    cost_ref = Decimal(x) * Decimal(price) - q_ref
    got = execution_cost(prof, price, x)
    assert float(cost_ref) < 1.0
    assert rel(got, cost_ref) < 1e-6

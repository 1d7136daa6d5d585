"""lpperp.swap.float_swap at the edges the large-batch kernel and the segment walk must refuse.

The large-batch kernel (>= 2**15 swaps, blocks of 2**14) answers only when every block passes its
checks; otherwise the general path answers (tests/test_swap_fast_path.py). Here each block holds
one case the kernel must not answer: a purchase of more base than the pool holds, a purchase of
exactly all of it (``L + x sqrt(P) == 0`` in floats), a NaN amount, a price outside a finite
segment whose swap would land inside it, sales with a zero amount at array prices (the fee is
still taken). References: the one-segment closed form (``r = L / (L + xe sqrt(P))``, ``P1 = P
r^2``, ``quote = xe P r``, ``/ (1 - f)`` for purchases), the segment-by-segment loop of
tests/swap_refs.py, and the documented errors. Buying exactly all the base is not filled (the
loop's ``left < room``: the price would have to reach the segment's edge with nothing left).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from swap_refs import walk

from lpperp._validate import LpperpError
from lpperp.swap import LiquidityProfile, float_swap

BLOCK = 2**14
BIG = 2 * BLOCK + 3  # two blocks and a tail of 3: one case in each
IN_EACH_BLOCK = [5, BLOCK + 5, 2 * BLOCK + 1]
RNG = np.random.default_rng(29)


def closed_form(liq, fee, price, x):
    s = np.sqrt(price)
    xe = np.where(x > 0, x * (1 - fee), x)
    r = liq / (liq + xe * s)
    q = xe * price * r
    return np.where(x > 0, q, q / (1 - fee)), price * r * r


def quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def test_a_purchase_of_more_base_than_the_pool_holds_in_every_block_is_not_filled():
    fee, liq = 0.003, 1e6
    prof = LiquidityProfile.uniform(3000.0, liq, fee)
    x = RNG.uniform(-1.0, 1.0, BIG)
    x[IN_EACH_BLOCK] = -1e12
    q, p1 = quiet(float_swap, prof, 3000.0, x)
    assert np.flatnonzero(np.isnan(q)).tolist() == IN_EACH_BLOCK
    assert np.isinf(p1[IN_EACH_BLOCK]).all()
    ok = ~np.isnan(q)
    q_cf, p_cf = closed_form(liq, fee, 3000.0, x)
    np.testing.assert_allclose(q[ok], q_cf[ok], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p1[ok], p_cf[ok], rtol=1e-12)


def test_a_purchase_of_exactly_all_the_base_is_not_filled():
    # price 4, L = 1e6: the pool holds L / sqrt(P) = 500,000 base; L + x sqrt(P) = 0 exactly
    fee, liq = 0.003, 1e6
    prof = LiquidityProfile.uniform(4.0, liq, fee)
    x = RNG.uniform(-1.0, 1.0, BIG)
    x[IN_EACH_BLOCK[1]] = -500_000.0
    assert liq + x[IN_EACH_BLOCK[1]] * math.sqrt(4.0) == 0.0
    q, p1 = quiet(float_swap, prof, 4.0, x)
    assert np.flatnonzero(np.isnan(q)).tolist() == [IN_EACH_BLOCK[1]]
    assert p1[IN_EACH_BLOCK[1]] == math.inf
    assert math.isnan(walk([0.0, math.inf], [liq], fee, 4.0, -500_000.0)[0])


def test_nan_amounts_in_every_block_are_named():
    prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    x = RNG.uniform(-1.0, 1.0, BIG)
    x[IN_EACH_BLOCK] = np.nan
    with pytest.raises(LpperpError, match=r"^base_amount must be finite"):
        quiet(float_swap, prof, 3000.0, x)


def test_prices_above_a_finite_segment_in_every_block_are_refused():
    """A sale of 100 from 4600 on [2000, 4500] would land at ~4399, inside the segment: the
    price itself is outside the profile, which the general path refuses by name."""
    prof = LiquidityProfile([2000.0, 4500.0], [3e5], 0.0001)
    p = RNG.uniform(2500.0, 4000.0, BIG)
    x = RNG.uniform(-1.0, 1.0, BIG)
    p[IN_EACH_BLOCK], x[IN_EACH_BLOCK] = 4600.0, 100.0
    assert 2000.0 < closed_form(3e5, 0.0001, 4600.0, 100.0)[1] < 4500.0
    with pytest.raises(LpperpError, match=r"^price must lie within the profile's edges"):
        quiet(float_swap, prof, p, x)


def test_sales_with_zero_amounts_at_array_prices_pay_the_fee():
    fee, liq = 0.003, 2e5
    prof = LiquidityProfile.uniform(3000.0, liq, fee)
    p = RNG.uniform(2500.0, 3500.0, BIG)
    x = RNG.uniform(0.0, 10.0, BIG)
    x[::1001] = 0.0  # the smallest amount of every block is 0: sales only
    q, p1 = quiet(float_swap, prof, p, x)
    q_cf, p_cf = closed_form(liq, fee, p, x)
    np.testing.assert_allclose(q, q_cf, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p1, p_cf, rtol=1e-12)


@pytest.mark.parametrize(("edges", "liqs", "p1_edge"), [
    ([1.0, 4.0, 16.0, math.inf], [1.0, 4.0, 0.0], math.inf),  # an empty open top segment
    ([1.0, 4.0, 16.0], [1.0, 4.0], 16.0),  # a finite top edge
])
def test_the_walk_does_not_fill_a_purchase_of_exactly_the_base_above(edges, liqs, p1_edge):
    """From 4 in the segment [4, 16] of L = 4 the base above is 4 (1/2 - 1/4) = 1 exactly: buying
    1 leaves the segment (``-x < room`` fails) and lands on exactly nothing left."""
    prof = LiquidityProfile(edges, liqs, 0.003)
    q, p1 = quiet(float_swap, prof, 4.0, -1.0)
    q_ref, p_ref = walk(edges, liqs, 0.003, 4.0, -1.0)
    assert math.isnan(q_ref) and p_ref == p1_edge
    assert math.isnan(q) and p1 == p1_edge
    # a hair less is filled, at the loop's price
    q2, p2 = quiet(float_swap, prof, 4.0, -(1.0 - 2**-20))
    q2_ref, p2_ref = walk(edges, liqs, 0.003, 4.0, -(1.0 - 2**-20))
    assert q2 == pytest.approx(q2_ref, rel=1e-9) and p2 == pytest.approx(p2_ref, rel=1e-9)


def test_the_walk_overflows_to_an_infinite_price_quietly():
    """Buying all but 1e-15 of the base above 1e279 on an open top segment: the price after,
    (L / beta1)^2 ~ 1e309, is past the floats; it is inf, with no numpy RuntimeWarning."""
    edges, liqs = [0.0, 1e280, math.inf], [1.0, 1.0]
    prof = LiquidityProfile(edges, liqs, 0.0)
    beta0 = 1.0 / math.sqrt(1e280) + (1.0 / math.sqrt(1e279) - 1.0 / math.sqrt(1e280))
    x = -beta0 * (1 - 1e-15)
    q, p1 = quiet(float_swap, prof, 1e279, x)
    q_ref, p_ref = walk(edges, liqs, 0.0, 1e279, x)
    assert p_ref == math.inf and p1 == math.inf
    # what is left (1e-15 of the base) keeps ~1 digit through the cancellation in either sum
    assert q < 0 and math.isfinite(q) and q == pytest.approx(q_ref, rel=0.15)


def _chunks(prof, price, x, chunk=2**15 - 1):
    """float_swap on chunks below the large-batch threshold: the general, segment-walking path."""
    qs, ps = [], []
    for i in range(0, x.size, chunk):
        q, p1 = float_swap(prof, price, x[i:i + chunk])
        qs.append(q)
        ps.append(p1)
    return np.concatenate(qs), np.concatenate(ps)


def test_price_arrays_of_another_shape_or_dtype_and_price_lists_give_the_same_numbers():
    fee, liq = 0.0005, 1e6
    prof = LiquidityProfile.uniform(3000.0, liq, fee)
    x = RNG.uniform(-1.0, 1.0, BIG)
    q_cf, p_cf = closed_form(liq, fee, 3000.0, x)
    for price in (np.array([3000.0]), [3000.0], np.float32(3000.0), np.int64(3000)):
        q, p1 = quiet(float_swap, prof, price, x)
        np.testing.assert_allclose(q, q_cf, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(p1, p_cf, rtol=1e-12)
    p32 = RNG.uniform(2500.0, 3500.0, BIG).astype(np.float32)  # converted before any arithmetic
    q, p1 = quiet(float_swap, prof, p32, x)
    q_cf, p_cf = closed_form(liq, fee, p32.astype(np.float64), x)
    np.testing.assert_allclose(q, q_cf, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p1, p_cf, rtol=1e-12)


@pytest.mark.parametrize("price", [True, "3000"])
def test_a_price_that_is_not_a_number_is_named_for_large_batches(price):
    prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    with pytest.raises(LpperpError, match=r"^price must be a number"):
        float_swap(prof, price, RNG.uniform(-1.0, 1.0, BIG))


def test_a_price_on_the_profiles_finite_top_edge():
    fee, liqs = 0.003, [1e5, 2e5]
    prof = LiquidityProfile([2000.0, 3000.0, 4500.0], liqs, fee)
    x = RNG.uniform(0.0, 1.0, BIG)  # sales from 4500 stay in the top segment
    q, p1 = quiet(float_swap, prof, 4500.0, x)
    q_cf, p_cf = closed_form(liqs[1], fee, 4500.0, x)
    np.testing.assert_allclose(q, q_cf, rtol=1e-12)
    np.testing.assert_allclose(p1, p_cf, rtol=1e-12)


def test_purchases_from_the_lowest_segment_into_the_next_are_walked():
    """A concentrated profile's lowest segment is (0, 2591.5]; from 2400, purchases of 40 base
    cross into the next segment (denser liquidity): the walk, not the one-segment formula."""
    prof = LiquidityProfile.concentrated(3000.0, 1e5, 0.003)
    e = prof.price_edges
    x = RNG.uniform(-1.0, 1.0, BIG)
    x[IN_EACH_BLOCK] = -40.0
    q, p1 = quiet(float_swap, prof, 2400.0, x)
    q_ref, p_ref = _chunks(prof, 2400.0, x)
    np.testing.assert_allclose(q, q_ref, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(p1, p_ref, rtol=1e-13)
    assert (p1[IN_EACH_BLOCK] > e[1]).all()
    for i in IN_EACH_BLOCK:
        w_q, w_p = walk(e, prof.liquidity, 0.003, 2400.0, x[i])
        assert q[i] == pytest.approx(w_q, rel=1e-9) and p1[i] == pytest.approx(w_p, rel=1e-12)


def test_a_zero_amount_in_an_empty_segment_is_no_swap():
    """Nothing swapped: no quote, the same price, no cost, also where the segment is empty
    (where the one-segment formula would divide 0 by 0)."""
    prof = LiquidityProfile([1000.0, 2000.0, 2500.0, 3000.0], [2e4, 0.0, 3e4], 0.003)
    q, p1 = quiet(float_swap, prof, np.array([2200.0, 2700.0]), 0.0)
    cost = quiet(execution_cost_of, prof, np.array([2200.0, 2700.0]), 0.0)
    assert q.tolist() == [0.0, 0.0] and p1.tolist() == [2200.0, 2700.0]
    assert cost.tolist() == [0.0, 0.0]


def execution_cost_of(prof, price, x):
    from lpperp.swap import execution_cost

    return execution_cost(prof, price, x)


def test_a_small_sale_from_an_edge_costs_its_small_impact():
    """A sale from exactly an inner edge leaves the segment above at once (it is walked); at
    fee 0 its cost is its price impact alone, ~9e-6 quote here, by the loop."""
    edges, liqs = [1000.0, 2000.0, 3000.0], [1e4, 1e4]
    prof = LiquidityProfile(edges, liqs, 0.0)
    cost = quiet(execution_cost_of, prof, 2000.0, 1e-3)
    q_ref, _ = walk(edges, liqs, 0.0, 2000.0, 1e-3)
    assert 0.0 < cost < 1e-4
    assert cost == pytest.approx(1e-3 * 2000.0 - q_ref, rel=1e-3, abs=1e-12)


def test_a_purchase_to_a_price_past_the_floats_is_quietly_infinite():
    """At 1e280 with L = 1, buying all but 2**-52 of the base: the price after is 1e280 * 2**104,
    past the floats: inf, without a numpy RuntimeWarning, and the quote is the loop's."""
    prof = LiquidityProfile.uniform(1e280, 1.0, 0.003)
    x = -(1.0 / math.sqrt(1e280)) * (1 - 2**-52)
    q, p1 = quiet(float_swap, prof, 1e280, x)
    q_ref, p_ref = walk([0.0, math.inf], [1.0], 0.003, 1e280, x)
    assert p1 == math.inf and p_ref == math.inf
    # what is left (one ulp of the base) keeps ~1 digit through the cancellation in either form
    assert q < 0 and math.isfinite(q) and q == pytest.approx(q_ref, rel=0.1)


def test_profile_construction_edges():
    """Equal edges (a segment of zero width) are refused; the edges and liquidities are
    read-only and the fee a Python float; empty segments touching 0 or inf build quietly."""
    with pytest.raises(LpperpError, match="price_edges must be strictly increasing"):
        LiquidityProfile([1000.0, 2000.0, 2000.0, 3000.0], [1.0, 1.0, 1.0], 0.003)
    prof = quiet(LiquidityProfile, [0.0, 1.0, math.inf], [0.0, 1.0], 0)
    quiet(LiquidityProfile, [0.0, 1.0, math.inf], [1.0, 0.0], 0)
    assert type(prof.fee_fraction) is float and prof.fee_fraction == 0.0
    with pytest.raises(ValueError, match="read-only"):
        prof.price_edges[1] = 2.0
    with pytest.raises(ValueError, match="read-only"):
        prof.liquidity[1] = 2.0


@pytest.mark.parametrize(("cur", "tgt"), [(0, 2**96), (2**96, 0)])
def test_compute_swap_step_reverts_on_one_zero_sqrt_price(cur, tgt):
    """SwapMath.computeSwapStep divides by the sqrt prices: one zero price reverts, named."""
    from lpperp.swap import SwapError, compute_swap_step

    with pytest.raises(SwapError, match="zero sqrt price"):
        compute_swap_step(cur, tgt, 10**18, 10**15, 3000)


@pytest.mark.parametrize("zero_for_one", [True, False])
@pytest.mark.parametrize("liq", [10**18, 3 * 10**17 + 7, 2**100 + 12345])
@pytest.mark.parametrize("ratio", [(101, 100), (1, 7), (13, 11)])
def test_exact_output_of_exactly_the_amount_to_the_target_stops_on_the_target(zero_for_one, liq,
                                                                              ratio):
    """v3-core SwapMath.computeSwapStep: ``amountRemaining >= amountOut`` (the output to reach the
    target, ``getAmount1Delta(target, current, L, false)`` for token0 in) sets the next price to
    the target itself, not to ``getNextSqrtPriceFromOutput`` of that amount (which rounds away
    from it): asking for exactly that output ends on the target with exactly that output."""
    from swap_refs import encode_price_sqrt

    from lpperp.liquidity import get_amount0_delta, get_amount1_delta
    from lpperp.swap import compute_swap_step

    a, b = encode_price_sqrt(1, 1), encode_price_sqrt(*ratio)
    cur, tgt = (max(a, b), min(a, b)) if zero_for_one else (min(a, b), max(a, b))
    out = (get_amount1_delta(tgt, cur, liq, False) if zero_for_one
           else get_amount0_delta(cur, tgt, liq, False))
    nxt, amount_in, amount_out, fee = compute_swap_step(cur, tgt, liq, -out, 3000)
    assert nxt == tgt and amount_out == out
    exp_in = (get_amount0_delta(tgt, cur, liq, True) if zero_for_one
              else get_amount1_delta(cur, tgt, liq, True))
    assert amount_in == exp_in and fee == -(-amount_in * 3000 // 997_000)

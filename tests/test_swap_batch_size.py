"""lpperp.swap.float_swap: a swap's quote and price after do not depend on the batch it comes in.

Batches of 2**15 swaps and more (1-d float64 amounts, one price or a one-segment profile) take the
blocked kernel ``_fast_one_step``; smaller ones the general path ``_swap``. The kernel answers only
swaps the general path computes in one step (the general path's own ``inside`` test) and does the
general path's operations in its order (``xe = x (1 - f)``, ``r = L / (L + xe sqrt(P))``,
``q = (xe P) r``, ``/ (1 - f)`` for purchases, ``P1 = (P r) r``), so the same swap gives the same
bits alone, in a small batch and inside a large one (before, 712 of 1,000 quotes differed in the
last bits between a 1,000-swap call and the same swaps inside a 40,000-swap call). References:
the general path on batches below the threshold and on single Python floats, compared bit for bit
(``tobytes``: the sign of a zero counts too).

The kernel is there for speed (bench_swap.py: a 1e6-swap one-step batch is ~8x faster than the
general path on one thread), so where every swap stays in its segment the large batch must be
answered by it (``_fast_one_step`` returns the pair, not ``None``); where a swap may leave the
segment (a sale from a price on the segment's lower edge, a purchase from its upper edge, one
more than the room), the kernel declines and the general path answers the whole batch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from swap_refs import in_batches

import lpperp.swap as swap
from lpperp._validate import LpperpError
from lpperp.swap import LiquidityProfile, float_swap

BLOCK = 2**14
BIG = 2 * BLOCK + 3  # above the kernel's threshold (2**15): two blocks and a tail of 3
CHUNK = 1000
RNG = np.random.default_rng(2024)
SIGNED = RNG.uniform(-1.0, 1.0, BIG)
SIGNED[[0, 777, BLOCK + 3, 2 * BLOCK + 2]] = [0.0, -0.0, -0.0, 0.0]
SALES = np.abs(SIGNED)
SALES[[1, BLOCK + 1]] = -0.0  # a sales-only block holding a negative zero
BUYS = -SALES

FIVE = LiquidityProfile([1000.0, 2000.0, 2900.0, 3100.0, 4000.0, 9000.0],
                        [2e5, 5e5, 1e6, 7e5, 3e5], 0.003)
UNIFORM = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
FINITE = LiquidityProfile([2000.0, 4500.0], [3e5], 0.01)
SMALL_EDGES = LiquidityProfile([0.25, 0.5, 0.75], [40.0, 90.0], 0.0)


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def small_batches(prof, price, x):
    """The general path: float_swap on chunks below the kernel's threshold."""
    return in_batches(prof, price, x, CHUNK)


def check_same_bits(prof, price, x, *, kernel):
    """The large batch equals small batches and single swaps bit for bit; ``kernel``: it must
    (True) or must not (False) be answered by the large-batch kernel."""
    answered = swap._fast_one_step(prof, price, x)
    assert (answered is not None) is kernel
    q, p1 = float_swap(prof, price, x)
    q_ref, p_ref = small_batches(prof, price, x)
    assert bits(q) == bits(q_ref)
    assert bits(p1) == bits(p_ref)
    if answered is not None:
        assert bits(answered[0]) == bits(q_ref)
        assert bits(answered[1]) == bits(p_ref)
    for i in [0, 1, 2, 777, BLOCK - 1, BLOCK, BLOCK + 3, x.size - 1]:
        pi = float(price[i]) if isinstance(price, np.ndarray) else price
        qi, pi1 = float_swap(prof, pi, float(x[i]))
        assert bits(qi) == bits(q[i:i + 1]) and bits(pi1) == bits(p1[i:i + 1]), i


@pytest.mark.parametrize("amounts", [SIGNED, SALES, BUYS], ids=["both", "sales", "buys"])
@pytest.mark.parametrize("segment", range(5))
def test_one_price_inside_each_segment_of_a_five_segment_profile(segment, amounts):
    lo, hi = FIVE.price_edges[segment], FIVE.price_edges[segment + 1]
    price = float(np.sqrt(lo * hi)) * 1.0001
    check_same_bits(FIVE, price, amounts * 5.0, kernel=True)


@pytest.mark.parametrize("amounts", [SIGNED, SALES, BUYS], ids=["both", "sales", "buys"])
def test_all_prices_one_price_and_price_arrays(amounts):
    check_same_bits(UNIFORM, 3000.0, amounts, kernel=True)
    check_same_bits(UNIFORM, 3000, amounts, kernel=True)  # an int price
    prices = RNG.uniform(2900.0, 3100.0, BIG)
    check_same_bits(UNIFORM, prices, amounts, kernel=True)


@pytest.mark.parametrize("amounts", [SIGNED, SALES, BUYS], ids=["both", "sales", "buys"])
def test_price_arrays_inside_a_finite_segment(amounts):
    prices = RNG.uniform(2100.0, 4400.0, BIG)
    check_same_bits(FINITE, prices, amounts * 10.0, kernel=True)
    check_same_bits(FINITE, 3000.0, amounts * 10.0, kernel=True)


@pytest.mark.parametrize("edge", range(1, 5))
def test_a_price_on_an_inner_edge(edge):
    """Sales from an inner edge start in the segment below (the general path's rule): the kernel,
    which took the segment above, declines them; purchases from it stay in the segment above."""
    price = float(FIVE.price_edges[edge])
    check_same_bits(FIVE, price, BUYS * 5.0, kernel=True)
    check_same_bits(FIVE, price, SALES * 5.0, kernel=False)
    check_same_bits(FIVE, price, SIGNED * 5.0, kernel=False)


def test_a_price_on_the_lowest_and_on_the_top_edge():
    """From the lowest edge a sale leaves the profile (not filled), from the top edge a purchase."""
    low, top = float(FIVE.price_edges[0]), float(FIVE.price_edges[-1])
    check_same_bits(FIVE, low, BUYS * 5.0, kernel=True)
    check_same_bits(FIVE, low, SALES * 5.0, kernel=False)
    check_same_bits(FIVE, top, SALES * 5.0, kernel=True)
    check_same_bits(FIVE, top, BUYS * 5.0, kernel=False)
    q, _ = float_swap(FIVE, low, SALES[2:] * 5.0)
    assert np.isnan(q[SALES[2:] > 0]).all()


def test_edges_below_one_and_no_fee():
    check_same_bits(SMALL_EDGES, 0.3, SIGNED * 1e-3, kernel=True)
    check_same_bits(SMALL_EDGES, 0.6, SIGNED * 1e-3, kernel=True)
    check_same_bits(SMALL_EDGES, 0.5, BUYS * 1e-3, kernel=True)


def test_a_threaded_batch_equals_small_batches():
    x = np.tile(SIGNED, 17)[: swap._THREADED_MIN + 5]
    check_same_bits(FIVE, 3000.0, x * 5.0, kernel=True)


def room_down(prof, price):
    """Base a segment absorbs from ``price`` down to its lower edge: ``L (1/u_lo - 1/sqrt(P))``."""
    k = int(prof.segment(price))
    lo = prof.price_edges[k]
    return prof.liquidity[k] * (1.0 / np.sqrt(lo) - 1.0 / np.sqrt(price))


def room_up(prof, price):
    """Base held above ``price`` in its segment: ``L (1/sqrt(P) - 1/u_hi)``."""
    k = int(prof.segment(price))
    hi = prof.price_edges[k + 1]
    return prof.liquidity[k] * (1.0 / np.sqrt(price) - 1.0 / np.sqrt(hi))


def test_a_sale_of_exactly_the_room_down_stays_one_step():
    """A sale whose ``xe`` is exactly the room to the lower edge stays in its segment (one step,
    P1 on the edge): the kernel answers it."""
    price = 3000.0
    room = room_down(FIVE, price)
    keep = 1.0 - FIVE.fee_fraction
    x = room / keep
    while x * keep > room:
        x = np.nextafter(x, 0.0)
    while x * keep < room:
        x = np.nextafter(x, np.inf)
    assert x * keep == room
    amounts = SALES.copy()
    amounts[[3, BLOCK + 7]] = x
    check_same_bits(FIVE, price, amounts, kernel=True)
    bigger = amounts.copy()
    bigger[BLOCK + 7] = np.nextafter(x, np.inf) if np.nextafter(x, np.inf) * keep > room else x * 2
    check_same_bits(FIVE, price, bigger, kernel=False)


def test_a_purchase_of_exactly_the_room_up_is_walked():
    """A purchase of exactly the base above the price in its segment reaches the edge: the
    general path walks it (``-xe < room``), so the kernel must decline the batch."""
    price = 3000.0
    room = room_up(FIVE, price)
    amounts = BUYS.copy()
    amounts[BLOCK + 9] = -room
    check_same_bits(FIVE, price, amounts, kernel=False)
    amounts[BLOCK + 9] = -np.nextafter(room, 0.0)
    check_same_bits(FIVE, price, amounts, kernel=True)


def test_a_batch_of_exactly_the_threshold_takes_the_kernel():
    x = SIGNED[: swap._FAST_MIN].copy()
    assert x.size == 2**15
    check_same_bits(FIVE, 3000.0, x, kernel=True)


def test_small_liquidity_and_price_arrays_below_one_take_the_kernel():
    """Liquidity below 1 (human units) and prices below 1 are ordinary values: the kernel answers."""
    thin = LiquidityProfile([0.25, 0.75], [0.5], 0.001)
    prices = RNG.uniform(0.3, 0.7, BIG)
    check_same_bits(thin, prices, SIGNED * 1e-4, kernel=True)
    check_same_bits(thin, 0.5, SIGNED * 1e-4, kernel=True)


def test_price_arrays_on_the_segments_edges():
    """A price exactly on the lower edge with purchases, on the upper edge with sales: one step."""
    prices = RNG.uniform(2100.0, 4400.0, BIG)
    prices[[7, BLOCK + 7]] = 2000.0
    check_same_bits(FINITE, prices, BUYS * 10.0, kernel=True)
    prices = RNG.uniform(2100.0, 4400.0, BIG)
    prices[[7, BLOCK + 7]] = 4500.0
    check_same_bits(FINITE, prices, SALES * 10.0, kernel=True)


def test_small_sales_just_above_an_edge_that_cross_it_are_walked():
    """Sales of at most 1 from 1e-9 above an inner edge: some leave the segment, so the kernel
    declines and every swap is the general path's (walked ones included)."""
    price = float(FIVE.price_edges[2]) * (1.0 + 1e-9)
    assert room_down(FIVE, price) < 1.0
    check_same_bits(FIVE, price, SALES, kernel=False)
    q, _ = float_swap(FIVE, price, SALES)
    big = SALES * (1.0 - FIVE.fee_fraction) > room_down(FIVE, price)
    assert big.any() and np.isfinite(q[big]).all()


def test_zero_amounts_in_an_empty_segment_are_no_swap():
    prof = LiquidityProfile([1000.0, 2000.0, 4000.0], [0.0, 5e5], 0.003)
    q, p1 = float_swap(prof, 1500.0, np.zeros(BIG))
    assert (q == 0.0).all() and (p1 == 1500.0).all()
    assert swap._fast_one_step(prof, 1500.0, np.zeros(BIG)) is None


@pytest.mark.parametrize(("prof", "price", "amounts"), [
    (FIVE, 900.0, BUYS),  # below the lowest edge
    (FIVE, 9500.0, SALES),  # above the finite top edge
    (UNIFORM, 0.0, SIGNED),  # a price of 0 on a profile from 0
    (UNIFORM, np.inf, SALES),  # an infinite price on a profile up to inf
    (UNIFORM, np.nan, SIGNED),
], ids=["below", "above", "zero", "inf", "nan"])
def test_a_price_outside_the_profile_is_refused_by_name_for_large_batches(prof, price, amounts):
    with pytest.raises(LpperpError, match=r"^price must"):
        float_swap(prof, price, amounts)


def test_a_quote_past_the_floats_is_quietly_infinite_in_large_batches():
    """``xe P`` past the floats gives an infinite quote in the general path (its operations are
    under ``errstate``); the kernel gives the same bits, without a RuntimeWarning (warnings are
    errors here, set in the test body: mutation/driver.py runs tests without pytest's
    ``filterwarnings`` marks)."""
    prof = LiquidityProfile.uniform(1.0, 1.0, 0.003)
    x = SALES * 1e10 + 1e9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_same_bits(prof, 1e300, x, kernel=True)
        q, _ = float_swap(prof, 1e300, x)
    assert np.isinf(q).all()

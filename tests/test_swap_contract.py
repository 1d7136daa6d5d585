"""lpperp.swap: argument checks, the contracts' integer ranges, and the profile constructors.

- The exact functions take the contracts' argument types (Uniswap v3-core @d8b1c635,
  contracts/libraries/SqrtPriceMath.sol, SwapMath.sol, LiquidityMath.sol, UniswapV3Pool.sol):
  ``uint160 sqrtPX96``, ``uint128 liquidity``, ``uint256 amount``, ``int256 amountRemaining`` /
  ``amountSpecified``, ``uint24 feePips`` (the factory enables fees < 1e6), ``int128 y``; both ends
  of each range are accepted, one past either end is refused naming the argument (CONTRIBUTING:
  bad input raises LpperpError naming the argument, the value and what is allowed).
- The profiles are what their docstrings say: ``thin`` is ``[0, P/(1+w), P(1+w), inf]`` with
  liquidity ``[L t, L, L t]``; ``concentrated`` adds ``(1+w)**3`` tails with ``L sqrt(t)``;
  ``uniform`` spans ``[P/w, P w]`` or all prices. Bad widths are named without numpy warnings.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.swap import (
    LiquidityProfile,
    PoolState,
    SwapError,
    SwapResult,
    add_delta,
    compute_swap_step,
    execution_cost,
    float_swap,
    get_next_sqrt_price_from_amount0_rounding_up,
    get_next_sqrt_price_from_amount1_rounding_down,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    swap_exact,
)
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    WETH_USDC_ARBITRUM,
    get_sqrt_ratio_at_tick,
)

U160 = 2**160 - 1
U128 = 2**128 - 1
U256 = 2**256 - 1
I256_MIN, I256_MAX = -(2**255), 2**255 - 1
I128_MIN, I128_MAX = -(2**127), 2**127 - 1
A0 = get_next_sqrt_price_from_amount0_rounding_up
A1 = get_next_sqrt_price_from_amount1_rounding_down
ST = PoolState(Q96, 0, 10**18, 3000, 60, (-600, 600), (10**18, -10**18))


def named(name: str) -> str:
    return "^" + name + " must be"


@pytest.mark.parametrize(("call", "name"), [
    # SqrtPriceMath helpers: uint160 price, uint128 liquidity, uint256 amount, bool add
    (lambda: A0(-1, 1, 1, True), "sqrt_price_x96"),
    (lambda: A0(U160 + 1, 1, 1, True), "sqrt_price_x96"),
    (lambda: A0(Q96, -1, 1, True), "liquidity"),
    (lambda: A0(Q96, U128 + 1, 1, True), "liquidity"),
    (lambda: A0(Q96, 1, -1, True), "amount"),
    (lambda: A0(Q96, 1, U256 + 1, True), "amount"),
    (lambda: A0(Q96, 1, 1.0, True), "amount"),
    (lambda: A1(-1, 1, 1, True), "sqrt_price_x96"),
    (lambda: A1(U160 + 1, 1, 1, True), "sqrt_price_x96"),
    (lambda: A1(Q96, -1, 1, True), "liquidity"),
    (lambda: A1(Q96, U128 + 1, 1, True), "liquidity"),
    (lambda: A1(Q96, 1, -1, True), "amount"),
    (lambda: A1(Q96, 1, U256 + 1, True), "amount"),
    (lambda: get_next_sqrt_price_from_input(-1, 1, 1, True), "sqrt_price_x96"),
    (lambda: get_next_sqrt_price_from_input(U160 + 1, 1, 1, True), "sqrt_price_x96"),
    (lambda: get_next_sqrt_price_from_input(Q96, U128 + 1, 1, True), "liquidity"),
    (lambda: get_next_sqrt_price_from_input(Q96, -1, 1, True), "liquidity"),
    (lambda: get_next_sqrt_price_from_input(Q96, 1, -1, True), "amount"),
    (lambda: get_next_sqrt_price_from_input(Q96, 1, 1, 1), "zero_for_one"),
    (lambda: get_next_sqrt_price_from_output(-1, 1, 1, True), "sqrt_price_x96"),
    (lambda: get_next_sqrt_price_from_output(U160 + 1, 1, 1, True), "sqrt_price_x96"),
    (lambda: get_next_sqrt_price_from_output(Q96, U128 + 1, 1, True), "liquidity"),
    (lambda: get_next_sqrt_price_from_output(Q96, -1, 1, True), "liquidity"),
    (lambda: get_next_sqrt_price_from_output(Q96, 1, -1, True), "amount"),
    (lambda: get_next_sqrt_price_from_output(Q96, 1, 1, "yes"), "zero_for_one"),
    # SwapMath.computeSwapStep
    (lambda: compute_swap_step(-1, Q96, 1, 1, 500), "sqrt_price_current_x96"),
    (lambda: compute_swap_step(U160 + 1, Q96, 1, 1, 500), "sqrt_price_current_x96"),
    (lambda: compute_swap_step(Q96, -1, 1, 1, 500), "sqrt_price_target_x96"),
    (lambda: compute_swap_step(Q96, U160 + 1, 1, 1, 500), "sqrt_price_target_x96"),
    (lambda: compute_swap_step(Q96, Q96, -1, 1, 500), "liquidity"),
    (lambda: compute_swap_step(Q96, Q96, U128 + 1, 1, 500), "liquidity"),
    (lambda: compute_swap_step(Q96, Q96, 1, I256_MIN - 1, 500), "amount_remaining"),
    (lambda: compute_swap_step(Q96, Q96, 1, I256_MAX + 1, 500), "amount_remaining"),
    (lambda: compute_swap_step(Q96, Q96, 1, 1, -1), "fee_pips"),
    (lambda: compute_swap_step(Q96, Q96, 1, 1, 10**6), "fee_pips"),
    # LiquidityMath.addDelta
    (lambda: add_delta(-1, 0), "x"),
    (lambda: add_delta(U128 + 1, -1), "x"),
    (lambda: add_delta(0, I128_MIN - 1), "y"),
    (lambda: add_delta(0, I128_MAX + 1), "y"),
    # PoolState
    (lambda: PoolState(MIN_SQRT_RATIO - 1, MIN_TICK, 0, 500, 10), "sqrt_price_x96"),
    (lambda: PoolState(MAX_SQRT_RATIO, MAX_TICK, 0, 500, 10), "sqrt_price_x96"),
    (lambda: PoolState(Q96, MAX_TICK + 1, 0, 500, 10), "tick"),
    (lambda: PoolState(Q96, 0, -1, 500, 10), "liquidity"),
    (lambda: PoolState(Q96, 0, U128 + 1, 500, 10), "liquidity"),
    (lambda: PoolState(Q96, 0, 1, 10**6, 10), "fee_pips"),
    (lambda: PoolState(Q96, 0, 1, -1, 10), "fee_pips"),
    (lambda: PoolState(Q96, 0, 1, 500, 0), "tick_spacing"),
    (lambda: PoolState(Q96, 0, 1, 500, 16384), "tick_spacing"),
    (lambda: PoolState(Q96, 0, 1, 500, 10, (MAX_TICK + 8,), (0,)), "ticks"),
    (lambda: PoolState(Q96, 0, 1, 500, 10, (10,), (I128_MAX + 1,)), "liquidity_net"),
    (lambda: PoolState(Q96, 0, 1, 500, 10, (10,), (0.5,)), "liquidity_net"),
    (lambda: ST.liquidity_at(MAX_TICK + 1), "tick"),
    (lambda: ST.after("result"), "result"),
    # UniswapV3Pool.swap
    (lambda: swap_exact(ST, 1, 10, MIN_SQRT_RATIO + 1), "zero_for_one"),
    (lambda: swap_exact(ST, True, I256_MAX + 1, MIN_SQRT_RATIO + 1), "amount_specified"),
    (lambda: swap_exact(ST, True, 10.0, MIN_SQRT_RATIO + 1), "amount_specified"),
    (lambda: swap_exact(ST, True, 10, -1), "sqrt_price_limit_x96"),
    (lambda: swap_exact(ST, True, 10, U160 + 1), "sqrt_price_limit_x96"),
    # float twin
    (lambda: LiquidityProfile([1.0, 2.0], [np.nan], 0.0), "liquidity"),
    (lambda: LiquidityProfile([1.0, 2.0], [1.0], -0.1), "fee_fraction"),
    (lambda: LiquidityProfile([1.0, 2.0], [1.0], np.array([0.0, 0.1])), "fee_fraction"),
    (lambda: LiquidityProfile.uniform(-1.0, 1.0, 0.0), "price"),
    (lambda: LiquidityProfile.uniform(np.array([1.0, 2.0]), 1.0, 0.0), "price"),
    (lambda: LiquidityProfile.uniform(1.0, 0.0, 0.0), "liquidity"),
    (lambda: LiquidityProfile.uniform(1.0, np.array([1.0, 2.0]), 0.0), "liquidity"),
    (lambda: LiquidityProfile.uniform(1.0, 1.0, 0.0, width_factor=0.5), "width_factor"),
    (lambda: LiquidityProfile.uniform(1.0, 1.0, 0.0, width_factor=1.0), "width_factor"),
    (lambda: LiquidityProfile.uniform(1.0, 1.0, 0.0, width_factor=np.array([2.0, 3.0])),
     "width_factor"),
    (lambda: LiquidityProfile.segment(LiquidityProfile.uniform(1.0, 1.0, 0.0), -1.0), "price"),
    (lambda: LiquidityProfile.uniform(1.0, 1.0, 0.0).liquidity_at(0.0), "price"),
    (lambda: float_swap("profile", 1.0, 1.0), "profile"),
    (lambda: float_swap(LiquidityProfile.uniform(1.0, 1.0, 0.0), 0.0, 1.0), "price"),
    (lambda: float_swap(LiquidityProfile.uniform(1.0, 1.0, 0.0), 1.0, np.inf), "base_amount"),
    (lambda: execution_cost(LiquidityProfile.uniform(1.0, 1.0, 0.0), np.nan, 1.0), "price"),
    (lambda: LiquidityProfile.from_pool_state("state", WETH_USDC_ARBITRUM), "state"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(LpperpError, match=named(name)):
        call()


@pytest.mark.parametrize("make", [LiquidityProfile.concentrated, LiquidityProfile.thin])
@pytest.mark.parametrize(("kw", "name"), [
    ({"price": -1.0}, "price"),
    ({"price": np.array([1.0, 2.0])}, "price"),
    ({"liquidity": 0.0}, "liquidity"),
    ({"liquidity": np.array([1.0, 2.0])}, "liquidity"),
    ({"width_fraction": 0.0}, "width_fraction"),
    ({"width_fraction": np.array([0.1, 0.2])}, "width_fraction"),
    ({"tail_fraction": 1.5}, "tail_fraction"),
    ({"tail_fraction": np.array([0.1, 0.2])}, "tail_fraction"),
])
def test_profile_constructors_name_bad_arguments(make, kw, name):
    args = {"price": 3000.0, "liquidity": 1e5, "fee_fraction": 0.003, **kw}
    with pytest.raises(LpperpError, match=named(name)):
        make(args.pop("price"), args.pop("liquidity"), args.pop("fee_fraction"), **args)


def test_the_ends_of_each_integer_range_are_accepted():
    assert A0(0, 0, 0, True) == 0 and A1(U160, 1, 0, True) == U160
    assert A0(Q96, U128, 0, False) == Q96 and A1(Q96, U128, 0, False) == Q96
    assert A0(1, 1, 2**255, True) == 1  # v3-core: any input amount cannot underflow the price
    with pytest.raises(SwapError, match="LowGasSafeMath"):  # uint256 max: the contract's add reverts
        A0(1, 1, U256, True)
    assert compute_swap_step(Q96, Q96, 0, 0, 0) == (Q96, 0, 0, 0)
    assert compute_swap_step(Q96, Q96, U128, I256_MIN, 999_999) == (Q96, 0, 0, 0)
    assert compute_swap_step(Q96, Q96, U128, I256_MAX, 999_999) == (Q96, 0, 0, 0)
    assert compute_swap_step(U160, U160 - 1, 1, 0, 0)[1:] == (0, 0, 0)
    assert add_delta(0, I128_MAX) == I128_MAX and add_delta(U128, I128_MIN) == U128 + I128_MIN
    assert add_delta(U128, 0) == U128
    lo = PoolState(MIN_SQRT_RATIO, MIN_TICK, 0, 0, 1, (MIN_TICK,), (I128_MIN,))
    hi = PoolState(MAX_SQRT_RATIO - 1, MAX_TICK - 1, U128, 999_999, 16383, (), ())
    assert (lo.tick, hi.tick, hi.liquidity) == (MIN_TICK, MAX_TICK - 1, U128)
    assert np.bool_(True) is not True and get_next_sqrt_price_from_input(
        Q96, 10**18, 10**17, np.bool_(True)) == 72025602285694852357767227579


def test_a_pool_state_reads_back_its_ticks_and_nets_as_tuples_of_ints():
    st = PoolState(Q96, 0, 5, 500, 10, [np.int64(-10), 10], [np.int64(5), -5])
    assert st.ticks == (-10, 10) and type(st.ticks) is tuple and type(st.ticks[0]) is int
    assert st.liquidity_net == (5, -5) and type(st.liquidity_net[0]) is int
    assert st == PoolState(Q96, 0, 5, 500, 10, (-10, 10), (5, -5))
    assert st.liquidity_at(-10) == 5 and st.liquidity_at(-11) == 0 and st.liquidity_at(10) == 0


def test_after_applies_price_tick_and_liquidity_only():
    r = SwapResult(1, -1, get_sqrt_ratio_at_tick(-601), -601, 0, 1, 0)
    after = ST.after(r)
    assert (after.sqrt_price_x96, after.tick, after.liquidity) == (r.sqrt_price_x96, -601, 0)
    assert (after.ticks, after.liquidity_net, after.fee_pips, after.tick_spacing) == (
        ST.ticks, ST.liquidity_net, ST.fee_pips, ST.tick_spacing)


# -- profile constructors ----------------------------------------------------------------------
def test_thin_is_a_band_and_two_tails_over_all_prices():
    prof = LiquidityProfile.thin(3000.0, 1e4, 0.003, width_fraction=0.05, tail_fraction=0.2)
    np.testing.assert_allclose(prof.price_edges, [0.0, 3000.0 / 1.05, 3000.0 * 1.05, np.inf],
                               rtol=1e-15)
    assert prof.liquidity.tolist() == [2000.0, 1e4, 2000.0] and prof.fee_fraction == 0.003
    d = LiquidityProfile.thin(3000.0, 1e4, 0.003)  # defaults: width 2 %, tails 1 %
    np.testing.assert_allclose(d.price_edges, [0.0, 3000.0 / 1.02, 3000.0 * 1.02, np.inf],
                               rtol=1e-15)
    assert d.liquidity.tolist() == [100.0, 1e4, 100.0]
    small = LiquidityProfile.thin(0.5, 1e4, 0.003)  # any positive price: edges 0.49 .. 0.51
    np.testing.assert_allclose(small.price_edges[1:3], [0.5 / 1.02, 0.51], rtol=1e-15)


def test_concentrated_has_a_core_two_shoulders_and_two_tails():
    p, liq, w, t = 3000.0, 1e6, 0.1, 0.04
    prof = LiquidityProfile.concentrated(p, liq, 0.0005, width_fraction=w, tail_fraction=t)
    k = 1.0 + w
    np.testing.assert_allclose(prof.price_edges, [0.0, p / k**3, p / k, p * k, p * k**3, np.inf],
                               rtol=1e-15)
    np.testing.assert_allclose(prof.liquidity, [liq * t, liq * 0.2, liq, liq * 0.2, liq * t],
                               rtol=1e-15)
    d = LiquidityProfile.concentrated(p, liq, 0.0005)  # defaults: width 5 %, tails 10 %
    np.testing.assert_allclose(d.price_edges[1:5], [p / 1.05**3, p / 1.05, p * 1.05, p * 1.05**3],
                               rtol=1e-15)
    np.testing.assert_allclose(d.liquidity, liq * np.array([0.1, 0.1**0.5, 1, 0.1**0.5, 0.1]),
                               rtol=1e-15)
    small = LiquidityProfile.concentrated(0.5, liq, 0.0005)
    np.testing.assert_allclose(small.price_edges[2:4], [0.5 / 1.05, 0.525], rtol=1e-15)


def test_uniform_spans_all_prices_or_a_width_factor():
    assert LiquidityProfile.uniform(3000.0, 7.0, 0.0).price_edges.tolist() == [0.0, np.inf]
    band = LiquidityProfile.uniform(3000.0, 7.0, 0.001, width_factor=1.5)
    assert band.price_edges.tolist() == [2000.0, 4500.0] and band.liquidity.tolist() == [7.0]
    assert band.fee_fraction == 0.001
    assert LiquidityProfile.uniform(3000.0, 7.0, 0.0, width_factor=np.float64(np.inf)
                                    ).price_edges.tolist() == [0.0, np.inf]
    with pytest.raises(LpperpError, match=r"^width_factor must be"):
        LiquidityProfile.uniform(3000.0, 7.0, 0.0, width_factor=-np.inf)
    with pytest.raises(LpperpError, match=r"^width_factor must be"):
        LiquidityProfile.uniform(3000.0, 7.0, 0.0, width_factor=np.nan)


@pytest.mark.parametrize(("make", "price", "width"), [
    (LiquidityProfile.concentrated, 3000.0, 1e308),
    (LiquidityProfile.concentrated, 3000.0, 1e103),
    (LiquidityProfile.concentrated, 1e300, 1e5),
    (LiquidityProfile.concentrated, 5e-324, 10.0),
    (LiquidityProfile.thin, 3000.0, 1e308),
    (LiquidityProfile.thin, 1e308, 10.0),
    (LiquidityProfile.thin, 5e-324, 10.0),
])
def test_widths_whose_edges_leave_the_floats_are_named_without_numpy_warnings(make, price, width):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LpperpError, match="width_fraction="):
            make(price, 1e5, 0.0005, width_fraction=width)


def test_profile_liquidity_at_is_the_segment_value():
    prof = LiquidityProfile([1.0, 2.0, 4.0, 8.0], [1.0, 0.0, 3.0], 0.0)
    assert prof.liquidity_at([1.0, 1.99, 2.0, 3.0, 4.0, 8.0]).tolist() == [1, 1, 0, 0, 3, 3]
    assert prof.liquidity_at(5.0) == 3.0 and type(prof.liquidity_at(5.0)) is float
    assert math.isclose(LiquidityProfile.uniform(3000.0, 7.0, 0.0).liquidity_at(1e-9), 7.0)


@pytest.mark.parametrize("make", [LiquidityProfile.concentrated, LiquidityProfile.thin])
def test_an_underflowing_edge_is_named_even_under_strict_numpy_errors(make):
    """The constructors silence numpy's over/underflow while computing the edges and name the
    problem themselves, so a caller running with np.seterr(all="raise") gets the LpperpError."""
    with np.errstate(all="raise"), pytest.raises(LpperpError, match="width_fraction="):
        make(5e-324, 1e5, 0.0005, width_fraction=10.0)
    with np.errstate(all="raise"):
        assert make(3000.0, 1e5, 0.0005).price_edges[0] == 0.0


def test_from_pool_state_takes_the_fee_and_full_range_ticks_of_the_pool():
    """An initialized tick at MIN_TICK/MAX_TICK (spacing 1: a full-range position) bounds the
    profile once; the fee is the state's fee_pips / 1e6 (here 0.01 %, not the 0.05 % default)."""
    from lpperp.units import PoolSpec

    spec = PoolSpec("WETH", "USDC", 18, 6, base_is_token0=True, fee_pips=100, tick_spacing=1)
    tick = spec.price_to_tick(3000.0)
    st = PoolState(get_sqrt_ratio_at_tick(tick), tick, 5 * 10**15, 100, 1, (MIN_TICK, MAX_TICK),
                   (5 * 10**15, -5 * 10**15))
    prof = LiquidityProfile.from_pool_state(st, spec)
    assert prof.fee_fraction == 1e-4
    assert prof.liquidity.tolist() == [5000.0]  # raw / 10**((18 + 6) / 2)
    np.testing.assert_allclose(prof.price_edges, spec.tick_to_price(np.array([MIN_TICK, MAX_TICK])),
                               rtol=1e-15)
    spec3 = PoolSpec("WETH", "USDC", 18, 6, base_is_token0=False, fee_pips=3000)
    st3 = PoolState(get_sqrt_ratio_at_tick(spec3.price_to_tick(3000.0) // 60 * 60),
                    spec3.price_to_tick(3000.0) // 60 * 60, 10**15, 3000, 60)
    assert LiquidityProfile.from_pool_state(st3, spec3).fee_fraction == 0.003


def test_execution_cost_broadcasts_like_float_swap():
    prof = LiquidityProfile.concentrated(3000.0, 5e4, 0.003, width_fraction=0.03)
    prices = np.array([[2800.0], [3000.0], [3300.0]])
    amounts = np.array([-20.0, -1.0, 0.0, 2.0, 40.0])
    c = execution_cost(prof, prices, amounts)
    assert c.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            p, x = float(prices[i, 0]), float(amounts[j])
            q, _ = float_swap(prof, p, x)
            assert c[i, j] == pytest.approx(x * p - q, rel=1e-9, abs=1e-9)


def test_swap_limits_and_amounts_are_refused_with_the_allowed_interval():
    s0 = ST.sqrt_price_x96
    with pytest.raises(SwapError, match=rf"'SPL'.*must be in \({MIN_SQRT_RATIO}, {s0}\) for zero"):
        swap_exact(ST, True, 10, s0)
    with pytest.raises(SwapError, match=rf"'SPL'.*must be in \({s0}, {MAX_SQRT_RATIO}\)$"):
        swap_exact(ST, False, 10, s0)
    with pytest.raises(LpperpError, match=r"^amount_specified must be"):
        swap_exact(ST, True, I256_MIN - 1, MIN_SQRT_RATIO + 1)
    with pytest.raises(LpperpError, match=r"^tick must be"):
        ST.liquidity_at(MIN_TICK - 1)


def test_one_wei_of_exact_input_is_all_fee():
    """v3-core SwapMath.spec.ts 'entire input amount taken as fee': 1 wei in at a 0.3 % fee
    leaves nothing for the curve; the pool keeps it and the price does not move."""
    r = swap_exact(ST, True, 1, MIN_SQRT_RATIO + 1)
    assert (r.amount0, r.amount1, r.fee_amount, r.sqrt_price_x96) == (1, 0, 1, ST.sqrt_price_x96)
    r = swap_exact(ST, False, 1, MAX_SQRT_RATIO - 1)
    assert (r.amount0, r.amount1, r.fee_amount, r.sqrt_price_x96) == (0, 1, 1, ST.sqrt_price_x96)


def test_liquidity_at_refuses_nets_that_leave_uint128():
    st = PoolState(Q96, 0, 5, 500, 10, (10,), (-10,))
    with pytest.raises(LpperpError, match="give liquidity -5 at tick 10"):
        st.liquidity_at(10)
    top = PoolState(Q96, 0, U128 - 1, 500, 10, (10,), (1,))
    assert top.liquidity_at(10) == U128 and top.liquidity_at(0) == U128 - 1
    over = PoolState(Q96, 0, U128, 500, 10, (10,), (1,))
    with pytest.raises(LpperpError, match="give liquidity"):
        over.liquidity_at(10)


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_swaps_cross_initialized_ticks_on_bitmap_word_boundaries(zero_for_one):
    """TickBitmap words hold 256 compressed ticks: with spacing 10, ticks 2550 / 2560 and
    -2560 / -2570 sit on the last / first bit of a word (v3-core test/TickBitmap.spec.ts 'returns
    the next words initialized tick if on the right boundary', 'word boundary'). Each must be
    crossed (liquidity updated) like any other: after the swap the active liquidity is the sum of
    the positions containing the new tick."""
    positions = [(-2570, 2550, 10**18), (-2560, 2560, 2 * 10**18), (-10, 10, 3 * 10**18),
                 (2550, 2570, 4 * 10**18), (-2580, -2570, 5 * 10**18)]
    nets: dict[int, int] = {}
    for lo, hi, lq in positions:
        nets[lo] = nets.get(lo, 0) + lq
        nets[hi] = nets.get(hi, 0) - lq
    ticks = tuple(sorted(nets))
    liq0 = sum(lq for lo, hi, lq in positions if lo <= 0 < hi)
    st = PoolState(Q96, 0, liq0, 500, 10, ticks, tuple(nets[t] for t in ticks))
    for end in (2549, 2550, 2555, 2560, 2565, 2575) if not zero_for_one else (
            -2555, -2560, -2565, -2570, -2575, -2585):
        r = swap_exact(st, zero_for_one, 10**30, get_sqrt_ratio_at_tick(end))
        assert r.sqrt_price_x96 == get_sqrt_ratio_at_tick(end)
        want = sum(lq for lo, hi, lq in positions if lo <= r.tick < hi)
        assert r.liquidity == want, (end, r.tick)
        crossed = sum(1 for t in ticks if (end <= t < 0 if zero_for_one else 0 < t <= end))
        assert r.ticks_crossed == crossed, end


@pytest.mark.parametrize(("kw", "match"), [
    ({"tick": MIN_TICK - 1}, r"^tick must be an integer in"),
    ({"ticks": (MIN_TICK - 8,), "liquidity_net": (0,)}, r"^ticks must be an integer in"),
    ({"ticks": (10,), "liquidity_net": (I128_MIN - 1,)}, r"^liquidity_net must be an integer in"),
    ({"ticks": (10, 10), "liquidity_net": (1, -1)}, "strictly increasing"),
])
def test_pool_state_ranges_below_and_repeated_ticks(kw, match):
    args = {"sqrt_price_x96": Q96, "tick": 0, "liquidity": 1, "fee_pips": 500, "tick_spacing": 2,
            **kw}
    with pytest.raises(LpperpError, match=match):
        PoolState(**args)


@pytest.mark.parametrize("fn", [get_next_sqrt_price_from_input, get_next_sqrt_price_from_output])
def test_sqrt_price_reverts_name_the_library_function(fn):
    name = "getNextSqrtPriceFromInput" if fn is get_next_sqrt_price_from_input else (
        "getNextSqrtPriceFromOutput")
    with pytest.raises(SwapError, match=rf"^{name}: require\(sqrtPX96 > 0\)"):
        fn(0, 1, 1, True)
    with pytest.raises(SwapError, match=rf"^{name}: require\(liquidity > 0\)"):
        fn(1, 0, 1, False)

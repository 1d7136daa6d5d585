"""lpperp.swap: v3-core reference vectors, contract invariants, and the float twin.

Reference vectors are ported from Uniswap v3-core at commit
d8b1c635c275d2a9450bd6a78f3fa2484fef73eb (github.com/Uniswap/v3-core, read 2026-11):
test/SqrtPriceMath.spec.ts, test/SwapMath.spec.ts, test/LiquidityMath.spec.ts, and the invariants
of contracts/test/SwapMathEchidnaTest.sol. The whole-swap loop is checked against the real pool in
tests/evm/test_swap_differential.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from swap_refs import encode_price_sqrt, pool_state, walk

from lpperp._validate import LpperpError
from lpperp.costs import swap_price_impact
from lpperp.liquidity import get_amount0_delta, get_amount1_delta
from lpperp.swap import (
    LiquidityProfile,
    PoolState,
    SwapError,
    add_delta,
    compute_swap_step,
    execution_cost,
    float_swap,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    swap_exact,
)
from lpperp.units import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    USDC_WETH_ETHEREUM,
    WETH_USDC_ARBITRUM,
    get_sqrt_ratio_at_tick,
)

S = get_sqrt_ratio_at_tick
E18 = 10**18
# examples per property, scaled with the active hypothesis profile (default 100, ci 200, mutation
# 25): the explicit cases beside each property carry the edge cases under `make mutate`
N_EXAMPLES = settings.default.max_examples
U128_MAX = 2**128 - 1
U256_MAX = 2**256 - 1


P1 = encode_price_sqrt(1, 1)


def test_encode_price_sqrt_matches_spec_values():
    assert P1 == 2**96
    assert encode_price_sqrt(2**96, 1) == 2**48 * 2**96


# ---------------------------------------------------------------------------------------------
# SqrtPriceMath.spec.ts
# ---------------------------------------------------------------------------------------------
class TestGetNextSqrtPriceFromInput:
    def test_fails_if_price_or_liquidity_is_zero(self):
        with pytest.raises(SwapError, match="sqrtPX96 > 0"):
            get_next_sqrt_price_from_input(0, 0, E18 // 10, False)
        with pytest.raises(SwapError, match="liquidity > 0"):
            get_next_sqrt_price_from_input(1, 0, E18 // 10, True)

    def test_fails_if_input_amount_overflows_the_price(self):
        with pytest.raises(SwapError, match="overflows uint160"):
            get_next_sqrt_price_from_input(2**160 - 1, 1024, 1024, False)

    def test_any_input_amount_cannot_underflow_the_price(self):
        assert get_next_sqrt_price_from_input(1, 1, 2**255, True) == 1

    @pytest.mark.parametrize("zero_for_one", [True, False])
    def test_returns_input_price_if_amount_in_is_zero(self, zero_for_one):
        assert get_next_sqrt_price_from_input(P1, E18 // 10, 0, zero_for_one) == P1

    def test_returns_the_minimum_price_for_max_inputs(self):
        sqrt_p = 2**160 - 1
        max_amount_no_overflow = U256_MAX - (U128_MAX << 96) // sqrt_p
        assert get_next_sqrt_price_from_input(sqrt_p, U128_MAX, max_amount_no_overflow, True) == 1

    def test_input_amount_of_0_1_token1_and_token0(self):
        assert (
            get_next_sqrt_price_from_input(P1, E18, E18 // 10, False)
            == 87150978765690771352898345369
        )
        assert (
            get_next_sqrt_price_from_input(P1, E18, E18 // 10, True)
            == 72025602285694852357767227579
        )

    def test_amount_in_above_uint96_max_zero_for_one(self):
        assert get_next_sqrt_price_from_input(P1, 10 * E18, 2**100, True) == 624999999995069620

    def test_can_return_1_with_enough_amount_in(self):
        assert get_next_sqrt_price_from_input(P1, 1, U256_MAX // 2, True) == 1


class TestGetNextSqrtPriceFromOutput:
    PRICE = 20282409603651670423947251286016  # virtual reserves: token0 4, token1 262144 at L=1024

    def test_fails_if_price_or_liquidity_is_zero(self):
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_output(0, 0, E18 // 10, False)
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_output(1, 0, E18 // 10, True)

    @pytest.mark.parametrize(
        "amount_out, zero_for_one",
        [(4, False), (5, False), (262145, True), (262144, True)],
        ids=["token0 exactly reserves", "token0 above", "token1 above", "token1 exactly reserves"],
    )
    def test_fails_at_or_above_the_virtual_reserves(self, amount_out, zero_for_one):
        with pytest.raises(SwapError, match="virtual reserves"):
            get_next_sqrt_price_from_output(self.PRICE, 1024, amount_out, zero_for_one)

    def test_succeeds_just_below_the_virtual_reserves_of_token1(self):
        got = get_next_sqrt_price_from_output(self.PRICE, 1024, 262143, True)
        assert got == 77371252455336267181195264

    @pytest.mark.parametrize("zero_for_one", [True, False])
    def test_returns_input_price_if_amount_is_zero(self, zero_for_one):
        assert get_next_sqrt_price_from_output(P1, E18 // 10, 0, zero_for_one) == P1

    def test_output_amount_of_0_1_token1_and_token0(self):
        assert (
            get_next_sqrt_price_from_output(P1, E18, E18 // 10, False)
            == 88031291682515930659493278152
        )
        assert (
            get_next_sqrt_price_from_output(P1, E18, E18 // 10, True)
            == 71305346262837903834189555302
        )

    @pytest.mark.parametrize("zero_for_one", [True, False])
    def test_reverts_if_amount_out_is_impossible(self, zero_for_one):
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_output(P1, 1, U256_MAX, zero_for_one)


class TestAmountDeltas:
    """getAmount0Delta/getAmount1Delta live in lpperp.liquidity; swaps reuse them."""

    def test_zero_liquidity_or_equal_prices(self):
        assert get_amount0_delta(P1, encode_price_sqrt(2, 1), 0, True) == 0
        assert get_amount0_delta(P1, P1, 0, True) == 0
        assert get_amount1_delta(P1, encode_price_sqrt(2, 1), 0, True) == 0

    def test_price_1_to_1_21(self):
        p121 = encode_price_sqrt(121, 100)
        assert get_amount0_delta(P1, p121, E18, True) == 90909090909090910
        assert get_amount0_delta(P1, p121, E18, False) == 90909090909090909
        assert get_amount1_delta(P1, p121, E18, True) == 100000000000000000
        assert get_amount1_delta(P1, p121, E18, False) == 99999999999999999

    def test_prices_that_overflow(self):
        a, b = encode_price_sqrt(2**90, 1), encode_price_sqrt(2**96, 1)
        assert get_amount0_delta(a, b, E18, True) == get_amount0_delta(a, b, E18, False) + 1

    def test_sqrt_p_times_sqrt_q_overflows(self):
        sqrt_p = 1025574284609383690408304870162715216695788925244
        liq = 50015962439936049619261659728067971248
        sqrt_q = get_next_sqrt_price_from_input(sqrt_p, liq, 406, True)
        assert sqrt_q == 1025574284609383582644711336373707553698163132913
        assert get_amount0_delta(sqrt_q, sqrt_p, liq, True) == 406


# ---------------------------------------------------------------------------------------------
# SwapMath.spec.ts
# ---------------------------------------------------------------------------------------------
class TestComputeSwapStep:
    def test_exact_in_capped_at_price_target_one_for_zero(self):
        target = encode_price_sqrt(101, 100)
        sq, a_in, a_out, fee = compute_swap_step(P1, target, 2 * E18, E18, 600)
        assert (a_in, fee, a_out) == (9975124224178055, 5988667735148, 9925619580021728)
        assert a_in + fee < E18
        assert sq == target < get_next_sqrt_price_from_input(P1, 2 * E18, E18, False)

    def test_exact_out_capped_at_price_target_one_for_zero(self):
        target = encode_price_sqrt(101, 100)
        sq, a_in, a_out, fee = compute_swap_step(P1, target, 2 * E18, -E18, 600)
        assert (a_in, fee, a_out) == (9975124224178055, 5988667735148, 9925619580021728)
        assert a_out < E18
        assert sq == target < get_next_sqrt_price_from_output(P1, 2 * E18, E18, False)

    def test_exact_in_fully_spent_one_for_zero(self):
        target = encode_price_sqrt(1000, 100)
        sq, a_in, a_out, fee = compute_swap_step(P1, target, 2 * E18, E18, 600)
        assert (a_in, fee, a_out) == (999400000000000000, 600000000000000, 666399946655997866)
        assert a_in + fee == E18
        assert sq < target
        assert sq == get_next_sqrt_price_from_input(P1, 2 * E18, E18 - fee, False)

    def test_exact_out_fully_received_one_for_zero(self):
        target = encode_price_sqrt(10000, 100)
        sq, a_in, a_out, fee = compute_swap_step(P1, target, 2 * E18, -E18, 600)
        assert (a_in, fee, a_out) == (2000000000000000000, 1200720432259356, E18)
        assert sq < target
        assert sq == get_next_sqrt_price_from_output(P1, 2 * E18, E18, False)

    def test_amount_out_is_capped_at_the_desired_amount_out(self):
        got = compute_swap_step(
            417332158212080721273783715441582,
            1452870262520218020823638996,
            159344665391607089467575320103,
            -1,
            1,
        )
        assert got == (417332158212080721273783715441581, 1, 1, 1)  # amountOut 2 if not capped

    def test_target_price_of_1_uses_partial_input_amount(self):
        rem = 3915081100057732413702495386755767
        sq, a_in, a_out, fee = compute_swap_step(2, 1, 1, rem, 1)
        assert (sq, a_in, a_out, fee) == (
            1,
            39614081257132168796771975168,
            0,
            39614120871253040049813,
        )
        assert a_in + fee <= rem

    def test_entire_input_amount_taken_as_fee(self):
        got = compute_swap_step(2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872)
        assert got == (2413, 0, 0, 10)

    def test_intermediate_insufficient_liquidity_zero_for_one_exact_output(self):
        sqrt_p = 20282409603651670423947251286016
        target = sqrt_p * 11 // 10
        assert compute_swap_step(sqrt_p, target, 1024, -4, 3000) == (target, 26215, 0, 79)

    def test_intermediate_insufficient_liquidity_one_for_zero_exact_output(self):
        sqrt_p = 20282409603651670423947251286016
        target = sqrt_p * 9 // 10
        assert compute_swap_step(sqrt_p, target, 1024, -263000, 3000) == (target, 1, 26214, 1)

    def test_rejects_floats_and_fees_of_100_percent(self):
        with pytest.raises(LpperpError, match="amount_remaining must be an integer"):
            compute_swap_step(P1, P1 // 2, E18, 1.5, 500)
        with pytest.raises(LpperpError, match="fee_pips"):
            compute_swap_step(P1, P1 // 2, E18, 10, 1_000_000)


sqrt_prices = st.integers(1, 2**160 - 1)


@settings(max_examples=4 * N_EXAMPLES, deadline=None)
@given(
    sqrt_prices,
    sqrt_prices,
    st.integers(0, U128_MAX),
    st.integers(-(2**255), 2**255 - 1),
    st.integers(1, 999_999),
)
def test_compute_swap_step_invariants(price, target, liquidity, amount_remaining, fee_pips):
    """contracts/test/SwapMathEchidnaTest.sol checkComputeSwapStepInvariants, as a property."""
    try:
        sq, a_in, a_out, fee = compute_swap_step(
            price, target, liquidity, amount_remaining, fee_pips
        )
    except SwapError:
        assume(False)
    assert a_in + fee <= U256_MAX
    if amount_remaining < 0:
        assert a_out <= -amount_remaining
    else:
        assert a_in + fee <= amount_remaining
    if price == target:
        assert (sq, a_in, a_out, fee) == (target, 0, 0, 0)
    if sq != target:  # did not reach the target: the whole amount is used
        if amount_remaining < 0:
            assert a_out == -amount_remaining
        else:
            assert a_in + fee == amount_remaining
    if target <= price:  # price moves toward the target and never past it
        assert target <= sq <= price
    else:
        assert price <= sq <= target


# ---------------------------------------------------------------------------------------------
# LiquidityMath.spec.ts
# ---------------------------------------------------------------------------------------------
def test_add_delta_vectors():
    assert add_delta(1, 0) == 1
    assert add_delta(1, -1) == 0
    assert add_delta(1, 1) == 2
    with pytest.raises(SwapError, match="'LA'"):
        add_delta(2**128 - 15, 15)
    with pytest.raises(SwapError, match="'LS'"):
        add_delta(0, -1)
    with pytest.raises(SwapError, match="'LS'"):
        add_delta(3, -4)


# ---------------------------------------------------------------------------------------------
# whole swaps
# ---------------------------------------------------------------------------------------------
def _state(tick0: int, positions, spacing: int = 10, fee: int = 500, frac: int = 0) -> PoolState:
    """The pool at ``frac / 2**32`` of the way from tick ``tick0`` to the next."""
    s = S(tick0) + ((S(tick0 + 1) - S(tick0)) * frac >> 32)
    return pool_state(s, positions, fee=fee, spacing=spacing)


BASE = _state(0, [(-600, 600, 10**18), (-3000, -100, 2 * 10**18), (200, 5000, 10**18)])


def test_swap_reverts_as_the_pool_does():
    with pytest.raises(SwapError, match="'AS'"):
        swap_exact(BASE, True, 0, MIN_SQRT_RATIO + 1)
    with pytest.raises(SwapError, match="'SPL'"):
        swap_exact(BASE, True, 10, BASE.sqrt_price_x96)  # limit must be below the price
    with pytest.raises(SwapError, match="'SPL'"):
        swap_exact(BASE, True, 10, MIN_SQRT_RATIO)
    with pytest.raises(SwapError, match="'SPL'"):
        swap_exact(BASE, False, 10, MAX_SQRT_RATIO)
    with pytest.raises(LpperpError, match="state must be a PoolState"):
        swap_exact("pool", True, 10, MIN_SQRT_RATIO + 1)


def test_pool_state_validation():
    with pytest.raises(LpperpError, match="does not match"):
        PoolState(S(100), 50, 1, 500, 10)
    with pytest.raises(LpperpError, match="strictly increasing"):
        PoolState(S(0), 0, 1, 500, 10, (10, -10), (1, -1))
    with pytest.raises(LpperpError, match="multiples of tick_spacing"):
        PoolState(S(0), 0, 1, 500, 10, (-15, 10), (1, -1))
    with pytest.raises(LpperpError, match="same length"):
        PoolState(S(0), 0, 1, 500, 10, (-10, 10), (1,))
    # on a tick's price after a downward cross, slot0.tick is one less: allowed
    assert PoolState(S(100), 99, 1, 500, 10).tick == 99


def test_crossing_down_then_up_restores_liquidity():
    down = swap_exact(BASE, True, 10**21, S(-700))  # crosses -100 (+2e18) and -600 (-1e18)
    assert down.ticks_crossed == 2
    assert (down.sqrt_price_x96, down.tick, down.liquidity) == (S(-700), -700, 2 * 10**18)
    mid = swap_exact(BASE, True, 10**21, S(-600))  # stops exactly on tick -600: crossed it
    assert (mid.tick, mid.liquidity) == (-601, 2 * 10**18)
    back = swap_exact(BASE.after(mid), False, 10**21, BASE.sqrt_price_x96)
    assert (back.sqrt_price_x96, back.tick, back.liquidity) == (
        BASE.sqrt_price_x96,
        BASE.tick,
        BASE.liquidity,
    )


positions = st.lists(
    st.tuples(st.integers(-300, 299), st.integers(1, 300), st.integers(1, 10**20)),
    min_size=1,
    max_size=6,
).map(lambda ps: [(lo * 10, (lo + w) * 10, lq) for lo, w, lq in ps])


@settings(max_examples=3 * N_EXAMPLES // 2, deadline=None)
@given(
    positions,
    st.integers(-2000, 2000),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.integers(1, 10**22),
    st.booleans(),
    st.integers(-4000, 4000),
)
def test_swap_properties(ps, tick0, frac, zfo, amount, exact_out, limit_tick):
    """Signs, the specified amount, the price direction and limit, the crossed liquidity."""
    st_ = _state(tick0, ps, frac=frac)
    limit = S(limit_tick)
    assume(limit < st_.sqrt_price_x96 if zfo else limit > st_.sqrt_price_x96)
    spec = -amount if exact_out else amount
    r = swap_exact(st_, zfo, spec, limit)
    a_in, a_out = (r.amount0, r.amount1) if zfo else (r.amount1, r.amount0)
    assert a_in >= 0 and a_out <= 0
    if exact_out:
        assert -a_out <= amount
    else:
        assert a_in <= amount
    reached = r.sqrt_price_x96 == limit
    if not reached:  # stopped by the amount: all of it was used
        assert (-a_out if exact_out else a_in) == amount
    if zfo:
        assert limit <= r.sqrt_price_x96 <= st_.sqrt_price_x96
    else:
        assert st_.sqrt_price_x96 <= r.sqrt_price_x96 <= limit
    after = st_.after(r)  # validates tick vs price
    assert r.liquidity == st_.liquidity_at(after.tick)
    assert r.fee_amount <= a_in


# ---------------------------------------------------------------------------------------------
# float twin
# ---------------------------------------------------------------------------------------------
def _exact_human(state: PoolState, pool, base: float) -> tuple[float, float]:
    """swap_exact of a human base amount (> 0 sell, < 0 buy) -> (quote received, price after)."""
    raw = round(abs(base) * 10**pool.base_decimals)
    zfo = pool.base_is_token0 if base > 0 else not pool.base_is_token0
    limit = MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1
    r = swap_exact(state, zfo, raw if base > 0 else -raw, limit)
    a0, a1 = r.amount0, r.amount1
    quote_raw = a1 if pool.base_is_token0 else a0
    return -quote_raw / 10**pool.quote_decimals, pool.sqrt_price_x96_to_price(r.sqrt_price_x96)


def _pool_for(pool) -> PoolState:
    t0 = int(pool.price_to_tick(3000.0)) // 10 * 10
    ps = [
        (t0 - 2000, t0 + 1500, 10**17),
        (t0 - 300, t0 + 700, 3 * 10**17),
        (t0 - 5000, t0 - 100, 2 * 10**17),
        (t0 + 50, t0 + 4000, 10**17),
        (-887270, 887270, 10**15),
    ]
    return _state(t0, ps, frac=123456789)


@pytest.mark.parametrize("pool", [WETH_USDC_ARBITRUM, USDC_WETH_ETHEREUM], ids=["base0", "base1"])
def test_float_twin_agrees_with_swap_exact(pool):
    state = _pool_for(pool)
    prof = LiquidityProfile.from_pool_state(state, pool)
    p0 = pool.sqrt_price_x96_to_price(state.sqrt_price_x96)
    amounts = np.array([1.0, 30.0, 300.0, 1500.0, 4000.0, -1.0, -30.0, -300.0, -500.0])
    q, p1 = float_swap(prof, p0, amounts)
    crossed = 0
    for x, qf, pf in zip(amounts, q, p1, strict=True):
        qe, pe = _exact_human(state, pool, float(x))
        assert qf == pytest.approx(qe, rel=2e-9), x
        assert pf == pytest.approx(pe, rel=1e-9), x
        crossed += abs(np.log(pe / p0)) > 0.02
    assert crossed >= 4  # several swaps cross initialized ticks
    # more base than the pool holds above the price: the pool stops at the limit short of the
    # amount, the twin says it cannot fill
    raw = 3000 * 10**18
    zfo = not pool.base_is_token0
    r = swap_exact(state, zfo, -raw, MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1)
    assert -(r.amount0 if pool.base_is_token0 else r.amount1) < raw
    assert np.isnan(float_swap(prof, p0, -3000.0)[0])


def test_one_segment_is_the_constant_liquidity_closed_form():
    prof = LiquidityProfile.uniform(3000.0, 2e5, 0.0)
    x = np.array([-50.0, -1.0, -1e-6, 1e-6, 0.5, 20.0, 3000.0])  # > 0 sells here
    got = execution_cost(prof, 3000.0, x)
    want = swap_price_impact(-x, 3000.0, 2e5)  # > 0 buys there
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # with a fee on the input: a sale puts x (1 - f) through, a purchase pays net / (1 - f)
    f, liq, p = 0.003, 2e5, 3000.0
    prof = LiquidityProfile.uniform(p, liq, f)
    q, p1 = float_swap(prof, p, np.array([5.0, -5.0]))
    s = np.sqrt(p)
    xe = 5.0 * (1 - f)
    assert q[0] == pytest.approx(liq * (s - liq * s / (liq + xe * s)), rel=1e-12)
    assert q[1] == pytest.approx(-liq * (liq * s / (liq - 5.0 * s) - s) / (1 - f), rel=1e-12)
    assert p1[0] == pytest.approx((liq * s / (liq + xe * s)) ** 2, rel=1e-12)


def _walk_reference(prof: LiquidityProfile, price: float, x: float) -> tuple[float, float]:
    """Segment by segment in plain Python (the slow reference for the vectorized twin)."""
    return walk(prof.price_edges, prof.liquidity, prof.fee_fraction, price, x)


@settings(max_examples=2 * N_EXAMPLES, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e4), min_size=1, max_size=8),
    st.floats(0.0, 0.01),
    st.floats(0.05, 0.95),
    st.floats(-300.0, 300.0).filter(lambda v: abs(v) > 1e-9),
    st.booleans(),
)
def test_float_swap_crosses_segments_like_a_walk(liqs, fee, where, x, open_ends):
    n = len(liqs)
    inner = 2000.0 * 1.1 ** np.arange(n + 1)
    edges = np.concatenate([[0.0], inner[1:-1], [np.inf]]) if open_ends else inner
    if open_ends and n == 1:
        edges = np.array([0.0, np.inf])
    prof = LiquidityProfile(edges, np.array(liqs) + 1e-3, fee)
    lo, hi = (1500.0, 4000.0) if open_ends else (inner[0], inner[-1])
    price = lo + where * (hi - lo)
    q, p1 = float_swap(prof, price, x)
    q_ref, p_ref = _walk_reference(prof, price, x)
    if np.isnan(q_ref):
        assert np.isnan(q) and p1 == p_ref
        assert execution_cost(prof, price, x) == np.inf
        return
    assert q == pytest.approx(q_ref, rel=1e-7, abs=1e-9)
    assert p1 == pytest.approx(p_ref, rel=1e-9)
    assert (p1 <= price) if x > 0 else (p1 >= price)
    assert execution_cost(prof, price, x) >= -1e-9 * abs(x) * price


def test_float_swap_broadcasts_and_round_trips():
    prof = LiquidityProfile.concentrated(3000.0, 5e4, 0.0, width_fraction=0.03)
    prices = np.array([[2800.0], [3000.0], [3300.0]])
    amounts = np.array([-20.0, -1.0, 0.0, 2.0, 40.0])
    q, p1 = float_swap(prof, prices, amounts)
    assert q.shape == p1.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            qs, ps = float_swap(prof, float(prices[i, 0]), float(amounts[j]))
            assert (qs, ps) == (q[i, j], p1[i, j])
    assert (q[:, 2] == 0).all() and (p1[:, 2] == prices[:, 0]).all()
    # without a fee, buying back the base just sold restores the price and costs what it paid
    q_back, p_back = float_swap(prof, p1[:, 4], -40.0)
    np.testing.assert_allclose(p_back, prices[:, 0], rtol=1e-12)
    np.testing.assert_allclose(-q_back, q[:, 4], rtol=1e-10)


def test_execution_cost_grows_with_size_and_thin_pools_cannot_fill():
    x = np.linspace(-30.0, 30.0, 61)
    for prof in (
        LiquidityProfile.uniform(3000.0, 1e5, 0.0005),
        LiquidityProfile.concentrated(3000.0, 1e5, 0.0005),
        LiquidityProfile.thin(3000.0, 1e4, 0.003),
    ):
        c = execution_cost(prof, 3000.0, x)
        assert (c >= 0).all() and c[30] == 0.0
        sells, buys = c[30:], c[30::-1]  # growing sizes; a thin pool cannot fill big purchases
        assert (np.diff(sells) > 0).all()
        finite_buys = buys[np.isfinite(buys)]
        assert (np.diff(finite_buys) > 0).all() and np.isinf(buys[finite_buys.size :]).all()
    thin = LiquidityProfile.thin(3000.0, 1e3, 0.003, tail_fraction=0.0)
    q, p1 = float_swap(thin, 3000.0, [1e4, -1e4])
    assert np.isnan(q).all() and p1.tolist() == [thin.price_edges[0], thin.price_edges[-1]]
    assert execution_cost(thin, 3000.0, [1e4, -1e4]).tolist() == [np.inf, np.inf]


def test_profile_validation():
    with pytest.raises(LpperpError, match="strictly increasing"):
        LiquidityProfile([2.0, 1.0], [1.0], 0.0)
    with pytest.raises(LpperpError, match="one value per segment"):
        LiquidityProfile([1.0, 2.0, 3.0], [1.0], 0.0)
    with pytest.raises(LpperpError, match=">= 0"):
        LiquidityProfile([1.0, 2.0], [-1.0], 0.0)
    with pytest.raises(LpperpError, match="fee_fraction"):
        LiquidityProfile([1.0, 2.0], [1.0], 1.0)
    with pytest.raises(LpperpError, match="within the profile"):
        float_swap(LiquidityProfile([1.0, 2.0], [1.0], 0.0), 3.0, 1.0)
    with pytest.raises(LpperpError, match="base_amount"):
        float_swap(LiquidityProfile.uniform(1.0, 1.0, 0.0), 1.0, "1")
    with pytest.raises(LpperpError, match="PoolSpec"):
        LiquidityProfile.from_pool_state(BASE, "WETH/USDC")


@pytest.mark.parametrize(
    "profile, price, amounts",
    [
        ("uniform", "array", "both"),
        ("uniform", "scalar", "sales"),
        ("uniform", "scalar", "purchases"),
        ("concentrated", "scalar", "both"),
        ("finite", "array", "both"),
        ("concentrated", "scalar", "crossing"),  # some leave their segment: general path
        ("uniform", "scalar", "too_big"),  # a purchase of all the base: general path (NaN)
    ],
)
def test_large_batches_equal_the_general_path(profile, price, amounts):
    """Arrays of >= 2**15 swaps take a blocked kernel; chunks of 1,000 take the general path."""
    n = 70_001
    rng = np.random.default_rng(7)
    prof = {
        "uniform": LiquidityProfile.uniform(3000.0, 1e6, 0.0005),
        "concentrated": LiquidityProfile.concentrated(3000.0, 1e5, 0.003),
        "finite": LiquidityProfile([2000.0, 4500.0], [3e5], 0.0001),
    }[profile]
    x = {
        "both": rng.uniform(-1.0, 1.0, n),
        "sales": rng.uniform(0.0, 5.0, n),
        "purchases": -rng.uniform(0.0, 5.0, n),
        "crossing": rng.uniform(-1.0, 1.0, n) * rng.choice([1.0, 300.0], n, p=[0.99, 0.01]),
        "too_big": np.where(np.arange(n) == 50_000, -1e9, rng.uniform(-1.0, 1.0, n)),
    }[amounts]
    x[::977] = 0.0
    p = rng.uniform(2900.0, 3100.0, n) if price == "array" else 3000.0
    q, p1 = float_swap(prof, p, x)
    for i in range(0, n, 1000):
        pi = p[i : i + 1000] if price == "array" else p
        q_ref, p_ref = float_swap(prof, pi, x[i : i + 1000])
        np.testing.assert_allclose(q[i : i + 1000], q_ref, rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(p1[i : i + 1000], p_ref, rtol=1e-13)
    if amounts == "too_big":
        assert np.flatnonzero(np.isnan(q)).tolist() == [50_000]
    if amounts == "crossing":
        assert np.isnan(q).any()  # purchases larger than the profile's base above 3000


def test_large_batches_refuse_bad_values_by_name():
    prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    x = np.random.default_rng(1).uniform(-1.0, 1.0, 2**16)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[40_000] = bad
        with pytest.raises(LpperpError, match=r"base_amount must be finite.*index 40000"):
            float_swap(prof, 3000.0, y)
    for bad in (0.0, -1.0, np.nan, np.inf):
        p = np.full(x.size, 3000.0)
        p[333] = bad
        with pytest.raises(LpperpError, match=r"price must be a finite number > 0.*index 333"):
            float_swap(prof, p, x)
    finite = LiquidityProfile([2000.0, 4500.0], [3e5], 0.0)
    with pytest.raises(LpperpError, match="within the profile"):
        float_swap(finite, np.full(x.size, 5000.0), x)


def test_profiles_compare_by_value():
    a = LiquidityProfile.concentrated(3000.0, 1e5, 0.0005)
    assert a == LiquidityProfile.concentrated(3000.0, 1e5, 0.0005)
    assert a != LiquidityProfile.concentrated(3000.0, 1e5, 0.003)
    assert len({a, LiquidityProfile.concentrated(3000.0, 1e5, 0.0005)}) == 1
    with pytest.raises(ValueError):  # frozen: the arrays are read-only too
        a.liquidity[0] = 1.0


@pytest.mark.parametrize("edges", ["2000,4000", [2000.0, "x"], None, [3000.0], [-1.0, 2.0]])
def test_profile_edges_must_be_prices(edges):
    with pytest.raises(LpperpError, match="price_edges"):
        LiquidityProfile(edges, [1.0], 0.0)


@pytest.mark.parametrize("bad", [[], np.ones(2), "wide", None, 1.0, -np.inf])
def test_uniform_profile_names_a_bad_width_factor(bad):
    """width_factor=[] raised numpy's 'truth value of an empty array is ambiguous' (found by
    tests/test_fuzz.py with a LiquidityProfile instance walked)."""
    with pytest.raises(LpperpError, match="width_factor must be"):
        LiquidityProfile.uniform(3000.0, 1e5, 0.0005, width_factor=bad)


@pytest.mark.parametrize(("make", "price", "width"), [
    (LiquidityProfile.concentrated, 3000.0, 1e308),
    (LiquidityProfile.concentrated, 3000.0, 1e103),  # (1 + w)**3 overflows, w itself does not
    (LiquidityProfile.concentrated, 1e300, 1e5),
    (LiquidityProfile.concentrated, 5e-324, 10.0),
    (LiquidityProfile.thin, 3000.0, 1e308),
    (LiquidityProfile.thin, 5e-324, 10.0),
])
def test_profiles_refuse_a_width_whose_edges_leave_the_floats(make, price, width):
    """concentrated(width_fraction=1e308) raised OverflowError from (1 + w)**3 (found by
    tests/test_fuzz.py at 1000 examples); edges at 0 or inf are named instead."""
    with pytest.raises(LpperpError, match="width_fraction="):
        make(price, 1e5, 0.0005, width_fraction=width)

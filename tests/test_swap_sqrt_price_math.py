"""SqrtPriceMath against exact rational arithmetic and the contracts' own invariants.

References (Uniswap v3-core @d8b1c635c275d2a9450bd6a78f3fa2484fef73eb, read 2026-11-30):
- contracts/libraries/SqrtPriceMath.sol natspec: token0 moves the price to
  ``liquidity * sqrtPX96 / (liquidity +- amount * sqrtPX96)`` "always rounding up" (so the price
  never moves past the exact value in the direction of the swap, and an output is always paid);
  token1 to ``sqrtPX96 +- amount / liquidity`` "always rounding down" (the quotient rounded down
  when adding, up when removing). The exact values are computed here with Fractions at any size.
  Where ``amount * sqrtPX96`` or ``L * 2**96 + amount * sqrtPX96`` exceeds 256 bits the contract
  computes ``L / (L / sqrtP + amount)`` instead, still rounded up: the result is then checked
  against the exact value from above.
- contracts/test/SqrtPriceMathEchidnaTest.sol: getNextSqrtPriceFromInputInvariants,
  getNextSqrtPriceFromOutputInvariants, getNextSqrtPriceFromAmount{0RoundingUp,1RoundingDown}
  Invariants, ported as hypothesis properties with explicit examples at the branch boundaries.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from lpperp.liquidity import get_amount0_delta, get_amount1_delta
from lpperp.swap import (
    SwapError,
    get_next_sqrt_price_from_amount0_rounding_up,
    get_next_sqrt_price_from_amount1_rounding_down,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)

Q96 = 2**96
U160 = 2**160 - 1
U128 = 2**128 - 1
U256 = 2**256 - 1


def exact0(s: int, liq: int, amount: int, add: bool) -> Fraction:
    """L * s / (L +- amount * s / 2**96) in X96 units, exactly."""
    n1 = liq * Q96
    return Fraction(n1 * s, n1 + amount * s if add else n1 - amount * s)


def exact1(s: int, liq: int, amount: int, add: bool) -> Fraction:
    """s +- amount * 2**96 / L, exactly."""
    return s + Fraction(amount * Q96, liq) if add else s - Fraction(amount * Q96, liq)


def fits_256(s: int, liq: int, amount: int) -> bool:
    return amount * s <= U256 and liq * Q96 + amount * s <= U256


prices = st.integers(1, U160)
liquidities = st.integers(1, U128)
amounts = st.one_of(st.integers(0, 2**128), st.integers(0, U256))


@given(prices, liquidities, amounts)
@example(Q96, 10**18, 10**17)  # spec "input amount of 0.1 token0": 72025602285694852357767227579
@example(Q96, 1, 2**160)  # amount * s = 2**256: the first product overflows
@example(Q96, 1, 2**160 - 1)  # amount * s = 2**256 - 2**96: the product fits
@example(2**96, 2**128 - 1, 2**160 - 2**128)  # L * 2**96 + product = 2**256 - 2**96: fits
@example(2**96, 2**128 - 1, 2**160 - 2**128 + 1)  # L * 2**96 + product = 2**256: does not
@example(3 * 2**157, 340282366920938463456457078404127129600, 211275099988846916052891729921)
# ^ L * 2**96 + amount * sqrtP = 2**256 with sqrtP not dividing L * 2**96: the fallback's floor
@example(2**159, 2**127, 2**100 - 2**64)  # fallback L / (L / sqrtP + amount) = 2**123 exactly
@example(Q96, 1, 2**256 - 2)  # fallback: L / sqrtP + amount = 2**256 - 1 fits
@example(Q96, 1, 2**256 - 1)  # fallback: L / sqrtP + amount = 2**256 overflows: reverts
@example(U160, U128, 3)
@example(1, 1, 2**255)  # spec: any input amount cannot underflow the price
@example(Q96, 10**18, 0)
def test_token0_in_rounds_up_to_the_exact_price(s, liq, amount):
    if not fits_256(s, liq, amount) and (liq * Q96) // s + amount > U256:
        # the fallback's L / sqrtP + amount overflows uint256: LowGasSafeMath.add reverts
        with pytest.raises(SwapError, match="LowGasSafeMath"):
            get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount, True)
        return
    got = get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount, True)
    want = exact0(s, liq, amount, True)
    assert got >= want  # never below the exact price: the swap cannot take more than it pays
    if fits_256(s, liq, amount):
        assert got == ceil(want)
    else:  # L / (L / sqrtP + amount): the floor of L / sqrtP costs less than one part in it
        d = (liq * Q96) // s + amount
        assert got == ceil(Fraction(liq * Q96, d)) and got - want <= want / d + 1
    assert get_next_sqrt_price_from_input(s, liq, amount, True) == got
    assert got <= s and (amount > 0 or got == s)
    assert amount >= get_amount0_delta(got, s, liq, True)  # Echidna: input pays the move


@given(prices, liquidities, st.integers(0, 2**200))
@example(2**100, 2**60, 2**45)  # 2**45 * 2**100 = 2**145 < L * 2**96 = 2**156: fits
@example(2**100, 2**60, 2**56)  # amount * s = L * 2**96: takes all the reserves, reverts
@example(20282409603651670423947251286016, 1024, 3)  # spec: virtual reserves of token0 are 4
@example(20282409603651670423947251286016, 1024, 4)
@example(Q96, 10**18, 10**17)  # spec "output amount of 0.1 token0" (zeroForOne = false)
@example(U160 // 2, U128, 1)
@example(1461501637330902918124456670202018682066683559934, U128, 1)  # result 2**160 - 1: fits
@example(1461501637330902918124456670202018682066683559935, U128, 1)  # 2**160: SafeCast reverts
def test_token0_out_rounds_up_past_the_exact_price(s, liq, amount):
    n1 = liq * Q96
    ok = amount * s < n1 and amount * s <= U256
    if not ok or amount == 0:
        if amount == 0:
            assert get_next_sqrt_price_from_amount0_rounding_up(s, liq, 0, False) == s
            return
        with pytest.raises(SwapError, match="virtual reserves"):
            get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount, False)
        return
    want = ceil(exact0(s, liq, amount, False))
    if want > U160:  # SafeCast.toUint160 (or FullMath, past 256 bits) reverts
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount, False)
        return
    got = get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount, False)
    assert got == want
    assert get_next_sqrt_price_from_output(s, liq, amount, False) == got
    assert got >= s and amount <= get_amount0_delta(s, got, liq, False)  # Echidna


@given(prices, liquidities, amounts)
@example(Q96, 10**18, 10**17)  # spec "input amount of 0.1 token1": 87150978765690771352898345369
@example(Q96, 1, 2**160 - 1)  # the largest amount shifted by 96 bits
@example(Q96, 2**100, 2**160)  # one past it: FullMath.mulDiv
@example(Q96, 2**100, 2**160 + 12345)
@example(2**160 - 1, 1024, 1024)  # spec: the input amount overflows the price
@example(1, U128, 0)
def test_token1_in_rounds_down(s, liq, amount):
    want = floor(exact1(s, liq, amount, True))
    if want > U160 or amount * Q96 // liq > U256:
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount, True)
        return
    got = get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount, True)
    assert got == want
    assert get_next_sqrt_price_from_input(s, liq, amount, False) == got
    assert got >= s and amount >= get_amount1_delta(s, got, liq, True)  # Echidna


@given(prices, liquidities, amounts)
@example(Q96, 10**18, 10**17)  # spec "output amount of 0.1 token1": 71305346262837903834189555302
@example(20282409603651670423947251286016, 1024, 262143)  # spec: just below the reserves
@example(20282409603651670423947251286016, 1024, 262144)  # spec: exactly the reserves: reverts
@example(2**159, 2**100, 2**160 - 1)  # the largest amount shifted by 96 bits
@example(2**159, 2**100, 2**160)  # one past it: FullMath.mulDivRoundingUp
@example(2**159, 2**100 + 1, 2**160 + 3)  # the same with a remainder
@example(2**159, 3, 2**100)  # a remainder: the quotient rounds up
@example(Q96, 10**18, 0)
def test_token1_out_rounds_the_quotient_up(s, liq, amount):
    quotient = ceil(Fraction(amount * Q96, liq))
    if quotient > U256 or not s > quotient:
        with pytest.raises(SwapError):
            get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount, False)
        return
    got = get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount, False)
    assert got == s - quotient
    assert get_next_sqrt_price_from_output(s, liq, amount, True) == got
    assert got <= s and amount <= get_amount1_delta(got, s, liq, False)  # Echidna


@given(prices, liquidities, st.integers(1, 2**180), st.booleans())
def test_input_and_output_move_the_price_the_right_way(s, liq, amount, zero_for_one):
    """Echidna: input moves the price down for token0 and up for token1; output the same way."""
    try:
        q_in = get_next_sqrt_price_from_input(s, liq, amount, zero_for_one)
    except SwapError:
        q_in = None
    if q_in is not None:
        assert (q_in <= s) if zero_for_one else (q_in >= s)
    try:
        q_out = get_next_sqrt_price_from_output(s, liq, amount, zero_for_one)
    except SwapError:
        return
    assume(q_out > 0)
    assert (q_out <= s) if zero_for_one else (q_out >= s)


def test_a_zero_price_or_liquidity_reverts_in_the_public_helpers():
    # SqrtPriceMath.getNextSqrtPriceFromInput/Output: require(sqrtPX96 > 0); require(liquidity > 0)
    for fn in (get_next_sqrt_price_from_input, get_next_sqrt_price_from_output):
        for zfo in (True, False):
            with pytest.raises(SwapError, match=r"sqrtPX96 > 0"):
                fn(0, 1, 1, zfo)
            with pytest.raises(SwapError, match=r"liquidity > 0"):
                fn(1, 0, 1, zfo)
            assert fn(Q96, 1, 0, zfo) == Q96
    with pytest.raises(SwapError, match="zero liquidity"):
        get_next_sqrt_price_from_amount1_rounding_down(Q96, 0, 1, True)
    # with sqrtP = 0 the product amount * sqrtP is 0 and the first form gives 0 * L / L
    assert get_next_sqrt_price_from_amount0_rounding_up(0, 1, 2**200, True) == 0

"""Amounts <-> liquidity, exact and float (lpperp.liquidity)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lpperp.liquidity import (
    amounts_for_burn,
    amounts_for_liquidity,
    amounts_for_mint,
    get_amount0_delta,
    get_amount1_delta,
    get_amounts_for_liquidity,
    get_liquidity_for_amounts,
    liquidity_for_amounts,
    value_for_liquidity,
)
from lpperp.units import (
    MAX_TICK,
    MIN_TICK,
    Q96,
    USDC_WETH_ETHEREUM,
    WETH_USDC_ARBITRUM,
    get_sqrt_ratio_at_tick,
)


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """floor(sqrt(reserve1 / reserve0) * 2**96), as v3-periphery test/shared/utilities.ts."""
    return math.isqrt((reserve1 << 192) // reserve0)


# --- reference vectors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("price", "expected"),
    [  # Uniswap v3-periphery test/LiquidityAmounts.spec.ts, #getLiquidityForAmounts
        ((1, 1), 2148),  # amounts for price inside
        ((99, 100), 1938),  # amounts for price below
        ((111, 100), 2097),  # amounts for price above
    ],
)
def test_liquidity_amounts_spec(price, expected):
    s = encode_price_sqrt(*price)
    a, b = encode_price_sqrt(100, 110), encode_price_sqrt(110, 100)
    assert get_liquidity_for_amounts(s, a, b, 100, 200) == expected


def test_uniswap_v3_book_mint_example():
    """Uniswap V3 Development Book, milestone 1 ("Calculating liquidity"): 1 ETH + 5000 USDC (both
    18 decimals), price 5000, range 4545-5500 -> L = 1517882343751509868544.

    The book computes with Python floats; the exact contracts' math lands within 1e-16 relative
    ("the float path is off in the last digits").
    """

    def sqrtp(p):  # the book's price_to_sqrtp
        return int(math.sqrt(p) * Q96)

    low, cur, upp = sqrtp(4545), sqrtp(5000), sqrtp(5500)
    book = 1517882343751509868544
    # the book's float formulas reproduce its figure
    liq0 = (10**18 * (cur * upp) / Q96) / (upp - cur)
    liq1 = 5000 * 10**18 * Q96 / (cur - low)
    assert int(min(liq0, liq1)) == book
    exact = get_liquidity_for_amounts(cur, low, upp, 10**18, 5000 * 10**18)
    assert abs(exact - book) / book < 1e-16
    # and our float path in human units agrees with both
    assert liquidity_for_amounts(5000.0, 4545.0, 5500.0, 1.0, 5000.0) * 1e18 == pytest.approx(
        book, rel=1e-12
    )


def test_mint_rounds_up_burn_rounds_down():
    # same liquidity: the pool charges at least what it gives back, within 1 wei per token
    s = get_sqrt_ratio_at_tick(100)
    m = amounts_for_mint(s, -600, 600, 10**20)
    b = amounts_for_burn(s, -600, 600, 10**20)
    assert all(0 <= mi - bi <= 1 for mi, bi in zip(m, b, strict=True))
    assert m != b


def test_regime_uses_the_current_tick_like_the_pool():
    sa = get_sqrt_ratio_at_tick(-60)
    assert amounts_for_mint(sa, -60, 60, 10**18)[0] > 0  # at the lower tick: in range
    assert amounts_for_mint(get_sqrt_ratio_at_tick(60), -60, 60, 10**18)[0] == 0  # above
    # after a downward swap that stops exactly on a tick the pool's tick is that tick - 1
    assert amounts_for_mint(sa, -60, 60, 10**18, tick_current=-61)[1] == 0


# --- exact vs float ------------------------------------------------------------------------------
@given(
    st.integers(-200_000, 200_000),
    st.integers(10, 20_000),  # >= one spacing of the 0.05% tier: a 1-tick range loses ~1e-12 to
    # the float representation of its bounds (pb - pa is 1e-4 of the price)
    st.integers(-40_000, 40_000),
    st.integers(10**15, 10**30),
    st.sampled_from([USDC_WETH_ETHEREUM, WETH_USDC_ARBITRUM]),
)
def test_float_path_matches_exact_integer_path(tick_lower, width, offset, liquidity_raw, pool):
    """Human-unit float amounts agree with the contracts' integer amounts to 1e-12 relative."""
    tick_upper = tick_lower + width
    assume(MIN_TICK <= tick_lower and tick_upper <= MAX_TICK)
    tick = tick_lower + offset
    assume(MIN_TICK < tick < MAX_TICK)
    s = get_sqrt_ratio_at_tick(tick)
    a0, a1 = get_amounts_for_liquidity(
        s, get_sqrt_ratio_at_tick(tick_lower), get_sqrt_ratio_at_tick(tick_upper), liquidity_raw
    )
    exact_base, exact_quote = pool.from_raw_amounts(a0, a1)
    price = pool.sqrt_price_x96_to_price(s)
    p1 = pool.sqrt_price_x96_to_price(get_sqrt_ratio_at_tick(tick_lower))
    p2 = pool.sqrt_price_x96_to_price(get_sqrt_ratio_at_tick(tick_upper))
    base, quote = amounts_for_liquidity(
        price, min(p1, p2), max(p1, p2), pool.liquidity_to_human(liquidity_raw)
    )
    # absolute slack of a few wei: the contract rounds each amount down to an integer
    for got, want, dec in (
        (base, exact_base, pool.base_decimals),
        (quote, exact_quote, pool.quote_decimals),
    ):
        assert got == pytest.approx(want, rel=1e-12, abs=3 * 10.0**-dec)


@given(
    st.integers(MIN_TICK, MAX_TICK - 1),
    st.integers(1, 10_000),
    st.integers(1, 2**128 - 1),
)
def test_extreme_ticks_and_liquidity_do_not_overflow(tick_lower, width, liquidity):
    tick_upper = min(tick_lower + width, MAX_TICK)
    s = get_sqrt_ratio_at_tick(tick_lower)
    a0, a1 = amounts_for_mint(s, tick_lower, tick_upper, liquidity)
    assert a0 >= 0 and a1 >= 0


@given(
    st.integers(-100_000, 100_000),
    st.integers(1, 5000),
    st.integers(0, 10**24),
    st.integers(0, 10**24),
)
def test_liquidity_for_amounts_never_exceeds_the_amounts(tick_lower, width, amount0, amount1):
    """What the computed liquidity costs to mint (rounded up) fits in the amounts given."""
    sa, sb = get_sqrt_ratio_at_tick(tick_lower), get_sqrt_ratio_at_tick(tick_lower + width)
    s = get_sqrt_ratio_at_tick(tick_lower + width // 2)
    liq = get_liquidity_for_amounts(s, sa, sb, amount0, amount1)
    if liq:
        need0 = get_amount0_delta(s, sb, liq, round_up=True)
        need1 = get_amount1_delta(sa, s, liq, round_up=True)
        assert need0 <= amount0 + 1 and need1 <= amount1 + 1


# --- float properties ----------------------------------------------------------------------------
prices = st.floats(1e-3, 1e7)


@given(prices, prices, st.floats(1.0001, 100.0), st.floats(1e-6, 1e6))
def test_value_continuous_at_range_edges(p_lo, _unused, ratio, liquidity):
    lo, hi = p_lo, p_lo * ratio
    for edge in (lo, hi):
        below, at, above = value_for_liquidity(
            np.array([edge * (1 - 1e-12), edge, edge * (1 + 1e-12)]), lo, hi, liquidity
        )
        assert below == pytest.approx(at, rel=1e-9) and above == pytest.approx(at, rel=1e-9)


@given(st.lists(prices, min_size=2, max_size=50), st.floats(1.01, 10.0), prices)
def test_amounts_monotone_in_price(ps, ratio, lo):
    p = np.sort(np.array(ps))
    base, quote = amounts_for_liquidity(p, lo, lo * ratio, 1.0)
    assert np.all(np.diff(base) <= 1e-12 * base.max(initial=1))
    assert np.all(np.diff(quote) >= -1e-12 * quote.max(initial=1))


def whitepaper_value(p, pa, pb, liq):
    """x P + y by regime, Uniswap v3 whitepaper eqs. 6.29-6.30: below the range all base
    x = L (sqrt pb - sqrt pa) / (sqrt pa sqrt pb); in range x = L (sqrt pb - sqrt P) / (sqrt P
    sqrt pb), y = L (sqrt P - sqrt pa); above all quote y = L (sqrt pb - sqrt pa). A different
    expression from the library's clipped one (no clip, no shared subexpression)."""
    sp, sa, sb = np.sqrt(p), np.sqrt(pa), np.sqrt(pb)
    below = liq * (sb - sa) / (sa * sb) * p
    inside = liq * (sb - sp) / (sp * sb) * p + liq * (sp - sa)
    above = liq * (sb - sa) + 0.0 * p
    return np.select([p < pa, p > pb], [below, above], inside)


def test_blocked_value_path_equals_plain_formula():
    rng = np.random.default_rng(0)
    p = rng.uniform(1000, 5000, size=200_000)
    pa, pb, liq = 2500.0, 3600.0, 123.0
    plain = whitepaper_value(p, pa, pb, liq)
    np.testing.assert_allclose(value_for_liquidity(p, pa, pb, liq), plain, rtol=1e-13)
    bad = p.copy()
    bad[150_000] = np.nan
    with pytest.raises(ValueError, match="price must be a finite number > 0, got nan"):
        value_for_liquidity(bad, pa, pb, liq)


def test_threaded_value_path_equals_plain_formula():
    """Arrays of 2**20 prices and more are split over threads: same numbers, same errors."""
    p = np.random.default_rng(1).uniform(1000, 5000, size=(1 << 20) + 12_345)
    pa, pb, liq = 2500.0, 3600.0, 7.0
    plain = whitepaper_value(p, pa, pb, liq)
    np.testing.assert_allclose(value_for_liquidity(p, pa, pb, liq), plain, rtol=1e-13)
    for bad_value in (-1.0, np.inf, np.nan):
        bad = p.copy()
        bad[-3] = bad_value
        match = f"price must be a finite number > 0, got .* at index {p.size - 3}"
        with pytest.raises(ValueError, match=match):
            value_for_liquidity(bad, pa, pb, liq)


def test_broadcasting_over_ranges():
    v = value_for_liquidity(3000.0, np.array([[2000.0], [2500.0]]), np.array([3500.0, 4000.0]), 1.0)
    assert v.shape == (2, 2)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: amounts_for_liquidity(3000.0, 3600.0, 2500.0, 1.0),
            "price_lower must be < price_upper",
        ),
        (
            lambda: amounts_for_liquidity(3000.0, 2500.0, 3600.0, -1.0),
            "liquidity must be a finite number >= 0",
        ),
        (
            lambda: amounts_for_liquidity(0.0, 2500.0, 3600.0, 1.0),
            "price must be a finite number > 0",
        ),
        (lambda: amounts_for_mint(Q96, 60, -60, 1), "tick_lower must be < tick_upper"),
        (lambda: amounts_for_mint(Q96, -60, 60, -1), r"liquidity must be an integer in \[0, "),
        (lambda: amounts_for_mint(Q96, -61, MAX_TICK + 1, 1), "tick_upper must be an integer in"),
        (lambda: get_liquidity_for_amounts(Q96, Q96, Q96, 1, 1), "must differ"),
        (lambda: get_amount0_delta(0, Q96, 1, True), "sqrt_ratio_a_x96 must be an integer in"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()

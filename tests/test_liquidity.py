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
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
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


# --- mutation-testing references (issue 14: `make mutate` survivors) -----------------------------
# The contracts' formulas restated as exact rationals (Fraction): floor/ceil of the true value.
# Nested integer divisions equal one division of the product (ceil(ceil(x/m)/n) = ceil(x/(m n))),
# so SqrtPriceMath's two-step rounding has a one-step exact reference.
U128, U160, U256 = 2**128 - 1, 2**160 - 1, 2**256 - 1


def _floor(f):
    return f.numerator // f.denominator


def _ceil(f):
    return -((-f.numerator) // f.denominator)


def ref_amount0(a, b, liq, up):
    from fractions import Fraction

    a, b = min(a, b), max(a, b)
    x = Fraction(liq * 2**96 * (b - a), a * b)
    return _ceil(x) if up else _floor(x)


def ref_amount1(a, b, liq, up):
    from fractions import Fraction

    a, b = min(a, b), max(a, b)
    x = Fraction(liq * (b - a), 2**96)
    return _ceil(x) if up else _floor(x)


def test_mul_div_against_exact_rationals_and_its_limits():
    from lpperp.liquidity import mul_div, mul_div_rounding_up

    rng = np.random.default_rng(5)
    for _ in range(300):
        a, b, d = (int(x) for x in rng.integers(1, 2**62, 3))
        a, b, d = a << int(rng.integers(0, 120)), b << int(rng.integers(0, 70)), d << 40
        if a * b // d > U256:
            continue
        assert mul_div(a, b, d) == a * b // d
        assert mul_div_rounding_up(a, b, d) == -((-a * b) // d)
    assert mul_div(U256, 1, 1) == U256  # the largest result is allowed
    assert mul_div_rounding_up(U256, 1, 1) == U256
    assert mul_div_rounding_up(2 * U256 - 1, 1, 2) == U256  # rounded up onto the limit itself
    with pytest.raises(ValueError, match="overflows uint256"):
        mul_div(U256, 2, 1)
    with pytest.raises(ValueError, match="mul_div_rounding_up result overflows"):
        mul_div_rounding_up(2 * U256 + 1, 1, 2)  # floor is U256, the remainder rounds past it
    with pytest.raises(ValueError, match="denominator must be > 0, got 0"):
        mul_div(1, 1, 0)


@pytest.mark.parametrize("up", [True, False])
def test_amount_deltas_against_exact_rationals(up):
    rng = np.random.default_rng(11 + up)
    for _ in range(300):
        ta, tb = sorted(int(t) for t in rng.integers(MIN_TICK, MAX_TICK, 2))
        a, b = get_sqrt_ratio_at_tick(ta), get_sqrt_ratio_at_tick(tb)
        liq = int(rng.integers(0, 2**62)) << int(rng.integers(0, 66))
        if a == b:
            continue
        for x, y in ((a, b), (b, a)):  # either order
            assert get_amount0_delta(x, y, liq, up) == ref_amount0(a, b, liq, up)
            assert get_amount1_delta(x, y, liq, up) == ref_amount1(a, b, liq, up)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: get_amount0_delta(U160 + 1, Q96, 1, True), r"^sqrt_ratio_a_x96 must be an integer in \[1, "),
        (lambda: get_amount1_delta(Q96, 0, 1, True), r"^sqrt_ratio_b_x96 must be an integer in \[1, "),
        (lambda: get_amount1_delta(Q96, Q96, U128 + 1, True), r"^liquidity must be an integer in \[0, "),
        (lambda: amounts_for_mint(MAX_SQRT_RATIO + 1, -60, 60, 1), r"^sqrt_price_x96 must be an integer in"),
        (lambda: amounts_for_mint(Q96, MIN_TICK - 1, 60, 1), r"^tick_lower must be an integer in \[-887272"),
        (lambda: amounts_for_mint(Q96, -60, -60, 1), "^tick_lower must be < tick_upper, got -60 and -60"),
        (lambda: get_liquidity_for_amounts(Q96, Q96, 2 * Q96, -1, 0),
         r"^amount0 must be an integer in \[0, "),
        (lambda: get_liquidity_for_amounts(Q96, Q96, 2 * Q96, 0, U256 + 1),
         r"^amount1 must be an integer in"),
        (lambda: get_liquidity_for_amounts(0, Q96, 2 * Q96, 0, 0), r"^sqrt_price_x96 must be an integer in"),
        (lambda: get_liquidity_for_amounts(2 * Q96, Q96, 2 * Q96, 0, 2**200), "overflows uint128"),
        (lambda: get_amounts_for_liquidity(Q96, Q96, 2 * Q96, U128 + 1), r"^liquidity must be an integer"),
        (lambda: amounts_for_liquidity(3000.0, 2500.0, 3600.0, -1.0),
         "^liquidity must be a finite number >= 0"),
        (lambda: liquidity_for_amounts(3000.0, 2500.0, 3600.0, -1.0, 1.0),
         "^base must be a finite number >= 0"),
        (lambda: liquidity_for_amounts(3000.0, 2500.0, 3600.0, 1.0, -1.0),
         "^quote must be a finite number >= 0"),
        (lambda: value_for_liquidity(3000.0, 3600.0, 3600.0, 1.0), "price_lower must be < price_upper"),
        (lambda: value_for_liquidity(np.full(70_000, 3000.0), 2500.0, 3600.0, -1.0),
         "^liquidity must be a finite number >= 0"),
        (lambda: value_for_liquidity(np.full(70_000, -3000.0), 2500.0, 3600.0, 0.0),
         "^price must be a finite number > 0"),
    ],
)
def test_limits_are_refused_with_the_argument_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_limits_themselves_are_accepted():
    assert get_amount1_delta(1, U160, U128, False) == ref_amount1(1, U160, U128, False)
    assert get_amount0_delta(MIN_SQRT_RATIO, MAX_SQRT_RATIO, 0, True) == 0
    assert amounts_for_mint(MAX_SQRT_RATIO, MIN_TICK, MAX_TICK, 1) == (0, ref_amount1(
        MIN_SQRT_RATIO, MAX_SQRT_RATIO, 1, True))
    assert amounts_for_burn(MIN_SQRT_RATIO, MAX_TICK - 1, MAX_TICK, 1)[1] == 0
    assert get_liquidity_for_amounts(Q96, Q96, 2 * Q96, U256 >> 130, 0) > 0


@pytest.mark.parametrize("round_up", [True, False])
def test_pool_amounts_by_regime_against_exact_rationals(round_up):
    """_modifyPosition: below the range (tick < lower) all token0, in range (lower <= tick <
    upper) both from the current price, at or above upper all token1; the regime is the tick's."""
    fn = amounts_for_mint if round_up else amounts_for_burn
    liq = 123_456_789_012_345_678_901
    tl, tu = -600, 600
    sa, sb = get_sqrt_ratio_at_tick(tl), get_sqrt_ratio_at_tick(tu)
    for tick in (-10_000, tl - 1, tl, -1, 0, 1, tu - 1, tu, 10_000):
        s = get_sqrt_ratio_at_tick(tick) + 12345  # inside the tick, off its edge
        if tick < tl:
            want = (ref_amount0(sa, sb, liq, round_up), 0)
        elif tick < tu:
            want = (ref_amount0(s, sb, liq, round_up), ref_amount1(sa, s, liq, round_up))
        else:
            want = (0, ref_amount1(sa, sb, liq, round_up))
        assert fn(s, tl, tu, liq) == want, tick
        assert fn(s, tl, tu, liq, tick_current=tick) == want, tick
    # an explicit tick_current overrides the one implied by the price (after a swap that stops on
    # a tick the pool's tick can be one below): in range by the tick although s is the upper edge
    assert fn(Q96, tl, tu, liq, tick_current=tu) == (0, ref_amount1(sa, sb, liq, round_up))
    assert fn(Q96, tl, tu, liq, tick_current=tl - 1) == (ref_amount0(sa, sb, liq, round_up), 0)


def test_liquidity_for_amounts_exact_by_regime():
    """LiquidityAmounts.getLiquidityForAmounts: s <= a: amount0 only; a < s < b: the smaller of the
    two; s >= b: amount1 only; L0 = amount0 * floor(a b / 2^96) / (b - a), L1 = amount1 2^96 / (b - a)."""
    a, b = get_sqrt_ratio_at_tick(-6000), get_sqrt_ratio_at_tick(6000)
    am0, am1 = 10**21 + 7, 3 * 10**21 + 11

    def l0(lo, hi):
        return am0 * (lo * hi // Q96) // (hi - lo)

    def l1(lo, hi):
        return am1 * Q96 // (hi - lo)

    for s, want in (
        (a - 1, l0(a, b)), (a, l0(a, b)), (a + 2**60, min(l0(a + 2**60, b), l1(a, a + 2**60))),
        (Q96, min(l0(Q96, b), l1(a, Q96))), (b - 2**60, min(l0(b - 2**60, b), l1(a, b - 2**60))),
        (b, l1(a, b)), (b + 1, l1(a, b)),
    ):
        assert get_liquidity_for_amounts(s, a, b, am0, am1) == want
        assert get_liquidity_for_amounts(s, b, a, am0, am1) == want  # bounds in either order
    # and the amounts it holds (rounded down) at the edges of each regime
    liq = 10**20
    for s in (a - 1, a, a + 1, Q96, b - 1, b, b + 1):
        want0 = ref_amount0(max(s, a), b, liq, False) if s < b else 0
        want1 = ref_amount1(a, min(s, b), liq, False) if s > a else 0
        assert get_amounts_for_liquidity(s, a, b, liq) == (want0, want1)
        assert get_amounts_for_liquidity(s, b, a, liq) == (want0, want1)


def test_float_amounts_and_liquidity_against_the_whitepaper():
    p = np.array([1000.0, 2500.0, 2600.0, 3000.0, 3599.0, 3600.0, 9000.0])
    pa, pb, liq = 2500.0, 3600.0, 77.0
    sp, sa, sb = np.sqrt(p), np.sqrt(pa), np.sqrt(pb)
    base = np.select([p < pa, p > pb], [liq * (sb - sa) / (sa * sb), 0.0],
                     liq * (sb - sp) / (sp * sb))
    quote = np.select([p < pa, p > pb], [0.0, liq * (sb - sa)], liq * (sp - sa))
    got_b, got_q = amounts_for_liquidity(p, pa, pb, liq)
    # the whitepaper's sqrt(pb) - sqrt(P) loses ~3e-13 near pb (the library's form does not)
    np.testing.assert_allclose(got_b, base, rtol=1e-11, atol=0)
    np.testing.assert_allclose(got_q, quote, rtol=1e-11, atol=0)
    # inverting: from the amounts back to L in every regime (one token suffices at the edges)
    back = liquidity_for_amounts(p, pa, pb, base, quote)
    np.testing.assert_allclose(back, liq, rtol=1e-12)
    assert liquidity_for_amounts(3000.0, pa, pb, 1e9, float(quote[3])) == pytest.approx(liq, rel=1e-12)
    assert liquidity_for_amounts(3000.0, pa, pb, float(base[3]), 1e9) == pytest.approx(liq, rel=1e-12)
    assert liquidity_for_amounts(2000.0, pa, pb, 0.0, 5.0) == 0.0  # below: quote does not count
    assert liquidity_for_amounts(4000.0, pa, pb, 5.0, 0.0) == 0.0  # above: base does not count
    assert isinstance(liquidity_for_amounts(3000.0, pa, pb, 1.0, 1.0), float)
    assert isinstance(value_for_liquidity(3000.0, pa, pb, 1.0), float)


@pytest.mark.parametrize("n", [2 * (1 << 15) + 1, 3 * (1 << 15) + 17, (1 << 20) + 3])
def test_large_arrays_take_the_blocked_path_with_the_same_numbers(n):
    """Arrays above two blocks (and above the threading threshold) against the whitepaper; zero
    liquidity is zero everywhere (and still validates the prices)."""
    p = np.random.default_rng(n).uniform(1000.0, 5000.0, n)
    got = value_for_liquidity(p, 2500.0, 3600.0, 9.0)
    np.testing.assert_allclose(got, whitepaper_value(p, 2500.0, 3600.0, 9.0), rtol=1e-13)
    zero = value_for_liquidity(p, 2500.0, 3600.0, 0.0)
    assert zero.shape == p.shape and not zero.any()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: get_amount0_delta(Q96, 0, 1, True), r"^sqrt_ratio_b_x96 must be an integer in \[1, "),
        (lambda: get_amount1_delta(0, Q96, 1, True), r"^sqrt_ratio_a_x96 must be an integer in \[1, "),
        (lambda: get_liquidity_for_amounts(Q96, 0, Q96, 0, 0), r"^sqrt_ratio_a_x96 must be an integer in"),
        (lambda: get_liquidity_for_amounts(Q96, Q96, 0, 0, 0), r"^sqrt_ratio_b_x96 must be an integer in"),
        (lambda: get_liquidity_for_amounts(Q96, Q96, 2 * Q96, U256 + 1, 0),
         r"^amount0 must be an integer in \[0, "),
        (lambda: get_liquidity_for_amounts(Q96, Q96, 2 * Q96, 0, -1),
         r"^amount1 must be an integer in \[0, "),
        (lambda: get_amounts_for_liquidity(0, Q96, 2 * Q96, 1), r"^sqrt_price_x96 must be an integer in"),
        (lambda: get_amounts_for_liquidity(Q96, 0, 2 * Q96, 1), r"^sqrt_ratio_a_x96 must be an integer in"),
        (lambda: get_amounts_for_liquidity(Q96, Q96, 0, 1), r"^sqrt_ratio_b_x96 must be an integer in"),
        (lambda: amounts_for_mint(MIN_SQRT_RATIO - 1, -60, 60, 1),
         rf"^sqrt_price_x96 must be an integer in \[{MIN_SQRT_RATIO}, {MAX_SQRT_RATIO}\]"),
        (lambda: amounts_for_mint(Q96, MAX_TICK + 1, MAX_TICK + 2, 1), r"^tick_lower must be an integer in"),
        (lambda: amounts_for_mint(Q96, -60, MIN_TICK - 1, 1), r"^tick_upper must be an integer in"),
    ],
)
def test_every_argument_is_named_when_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_exact_rounding_cases_and_uint128_limit():
    # q = L 2^96 (b - a) / b divides exactly by a: rounding up adds nothing
    assert get_amount0_delta(Q96, 2 * Q96, 10**18, True) == 5 * 10**17
    assert get_amount0_delta(2 * Q96, Q96, 10**18, True) == 5 * 10**17
    # the largest liquidity a position can hold is returned, one more reverts
    assert get_liquidity_for_amounts(2 * Q96, Q96, 2 * Q96, 0, U128) == U128
    with pytest.raises(ValueError, match="overflows uint128"):
        get_liquidity_for_amounts(2 * Q96, Q96, 2 * Q96, 0, U128 + 1)


def test_liquidity_for_amounts_near_the_lower_edge_uses_the_quote():
    """sqrt(P) - sqrt(pa) < 1 (P = 2510 over pa = 2500): the quote still limits L."""
    pa, pb, p = 2500.0, 3600.0, 2510.0
    want = 3.0 / (np.sqrt(p) - np.sqrt(pa))
    assert liquidity_for_amounts(p, pa, pb, 1e9, 3.0) == pytest.approx(want, rel=1e-12)


def test_large_inputs_of_every_shape_and_dtype_give_the_whitepaper_value(monkeypatch):
    """Above two blocks the 1-d float64 path is blocked (and threaded above 2**20): ints, 2-d
    arrays and array-valued ranges or liquidity take the plain path, with the same numbers; a
    fresh process (no thread pool yet) works too."""
    import lpperp.liquidity as liquidity_module

    n = 70_000
    p = np.linspace(1000.0, 5000.0, n)
    want = whitepaper_value(p, 2500.0, 3600.0, 3.0)
    ints = np.arange(1000, 1000 + n)
    np.testing.assert_allclose(value_for_liquidity(ints, 2500.0, 3600.0, 3.0),
                               whitepaper_value(ints.astype(float), 2500.0, 3600.0, 3.0), rtol=1e-13)
    np.testing.assert_allclose(value_for_liquidity(p.reshape(2, -1), 2500.0, 3600.0, 3.0),
                               want.reshape(2, -1), rtol=1e-13)
    full = np.full(n, 1.0)
    for args in ((2500.0 * full, 3600.0, 3.0), (2500.0, 3600.0 * full, 3.0), (2500.0, 3600.0, 3.0 * full),
                 (2500.0 * full, 3600.0 * full, 3.0), (2500.0 * full, 3600.0 * full, 3.0 * full)):
        np.testing.assert_allclose(value_for_liquidity(p, *args), want, rtol=1e-13)
    monkeypatch.setattr(liquidity_module, "_POOL", None)
    big = np.linspace(1000.0, 5000.0, (1 << 20) + 5)
    np.testing.assert_allclose(value_for_liquidity(big, 2500.0, 3600.0, 3.0),
                               whitepaper_value(big, 2500.0, 3600.0, 3.0), rtol=1e-13)


# every uint argument of the exact functions at its Solidity limits: the largest (and smallest)
# value passes, one beyond is refused naming that argument (uint160 sqrt prices > 0, uint128 L)
_UINT_ARGS = [  # (function, valid arguments, index, name, smallest allowed, largest allowed)
    *((f, (Q96, 2 * Q96, 10**18, up), i, n, 1, U160)
      for f in (get_amount0_delta, get_amount1_delta) for up in (True, False)
      for i, n in ((0, "sqrt_ratio_a_x96"), (1, "sqrt_ratio_b_x96"))),
    *((f, (Q96, 2 * Q96, 10**18, True), 2, "liquidity", 0, U128)
      for f in (get_amount0_delta, get_amount1_delta)),
    *((get_amounts_for_liquidity, (Q96, Q96 // 2, 2 * Q96, 1000), i, n, lo, hi)
      for i, n, lo, hi in ((0, "sqrt_price_x96", 1, U160), (1, "sqrt_ratio_a_x96", 1, U160),
                           (2, "sqrt_ratio_b_x96", 1, U160), (3, "liquidity", 0, U128))),
    *((get_liquidity_for_amounts, (Q96, Q96 // 2, 2 * Q96, 100, 200), i, n, 1, U160)
      for i, n in ((0, "sqrt_price_x96"), (1, "sqrt_ratio_a_x96"), (2, "sqrt_ratio_b_x96"))),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "args", "i", "name", "lo", "hi"), _UINT_ARGS)
def test_uint_arguments_at_their_limits(fn, args, i, name, lo, hi):
    def call(v):
        return fn(*args[:i], v, *args[i + 1 :])

    for ok in (lo, hi):
        call(ok)  # no error
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ValueError, match=rf"^{name} must be an integer in \[{lo}, {hi}\]"):
            call(bad)

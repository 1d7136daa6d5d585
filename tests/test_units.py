"""Ticks, sqrt prices and token order (lpperp.units)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpperp import LpperpError
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q64,
    Q96,
    USDC_WETH_ETHEREUM,
    WETH_USDC_ARBITRUM,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    nearest_usable_tick,
    sqrt_price_x64_to_x96,
    sqrt_price_x96_to_x64,
)

ticks = st.integers(MIN_TICK, MAX_TICK)
sqrt_prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)


# --- reference vectors ------------------------------------------------------------------------
# Uniswap v3-core contracts/libraries/TickMath.sol (constants) and test/TickMath.spec.ts.
def test_tickmath_limits_match_contract_constants():
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO == 4295128739
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert MAX_SQRT_RATIO == 1461446703485210103287273052203988822378723970342
    assert get_sqrt_ratio_at_tick(0) == Q96


def test_tickmath_spec_neighbours_of_the_limits():
    # v3-core test/TickMath.spec.ts: "min tick + 1" and "max tick - 1".
    assert get_sqrt_ratio_at_tick(MIN_TICK + 1) == 4295343490
    assert get_sqrt_ratio_at_tick(MAX_TICK - 1) == 1461373636630004318706518188784493106690254656249
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(4295343490) == MIN_TICK + 1
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1


@pytest.mark.parametrize(
    ("tick", "expected"),
    [  # values from the Uniswap v3 SDK tickMath tests (v3-sdk src/utils/tickMath.test.ts)
        (50, 79426470787362580746886972461),
        (100, 79625275426524748796330556128),
        (250, 80224679980005306637834519095),
        (500, 81233731461783161732293370115),
        (1000, 83290069058676223003182343270),
        (2500, 89776708723587163891445672585),
        (3000, 92049301871182272007977902845),
    ],
)
def test_sqrt_ratio_reference_values(tick, expected):
    assert get_sqrt_ratio_at_tick(tick) == expected


# --- closed form vs direct ----------------------------------------------------------------------
@given(ticks)
def test_sqrt_ratio_matches_high_precision_formula(tick):
    """Exact TickMath agrees with sqrt(1.0001**tick) * 2**96 computed with 60-digit decimals."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        exact = (Decimal("1.0001") ** tick).sqrt() * Decimal(Q96)
    rel = abs(Decimal(get_sqrt_ratio_at_tick(tick)) - exact) / exact
    assert rel < Decimal("1e-18") or abs(get_sqrt_ratio_at_tick(tick) - exact) <= 1


# --- properties ---------------------------------------------------------------------------------
@given(ticks)
def test_tick_round_trip(tick):
    assert get_tick_at_sqrt_ratio(min(get_sqrt_ratio_at_tick(tick), MAX_SQRT_RATIO - 1)) == min(
        tick, MAX_TICK - 1
    )


@given(sqrt_prices)
def test_tick_at_sqrt_ratio_brackets(s):
    t = get_tick_at_sqrt_ratio(s)
    assert get_sqrt_ratio_at_tick(t) <= s
    assert t == MAX_TICK - 1 or s < get_sqrt_ratio_at_tick(t + 1)


@given(ticks, ticks)
def test_sqrt_ratio_strictly_increasing(a, b):
    if a < b:
        assert get_sqrt_ratio_at_tick(a) < get_sqrt_ratio_at_tick(b)


@given(
    st.integers(-(10**6), 10**6).filter(lambda t: MIN_TICK <= t <= MAX_TICK),
    st.sampled_from([1, 10, 60, 200]),
)
def test_nearest_usable_tick(tick, spacing):
    t = nearest_usable_tick(tick, spacing)
    assert t % spacing == 0 and MIN_TICK <= t <= MAX_TICK
    assert abs(t - tick) <= spacing


def test_q64_q96_conversions():
    assert sqrt_price_x96_to_x64(Q96) == Q64
    assert sqrt_price_x64_to_x96(sqrt_price_x96_to_x64(MAX_SQRT_RATIO)) <= MAX_SQRT_RATIO


# --- token order and decimals -------------------------------------------------------------------
def test_both_token_orders_give_the_same_human_price():
    """USDC/WETH on mainnet (USDC token0) and WETH/USDC on Arbitrum (WETH token0): both 3000.0."""
    for pool in (USDC_WETH_ETHEREUM, WETH_USDC_ARBITRUM):
        x96 = pool.price_to_sqrt_price_x96(3000.0)
        assert pool.sqrt_price_x96_to_price(x96) == pytest.approx(3000.0, rel=1e-14)
    # mainnet: raw price = WETH wei per micro-USDC = 1e12 / 3000; Arbitrum: 3000 / 1e12
    assert USDC_WETH_ETHEREUM.price_to_raw(3000.0) == pytest.approx(1e12 / 3000, rel=1e-15)
    assert WETH_USDC_ARBITRUM.price_to_raw(3000.0) == pytest.approx(3000 / 1e12, rel=1e-15)
    assert USDC_WETH_ETHEREUM.token0 == "USDC" and WETH_USDC_ARBITRUM.token0 == "WETH"


def test_known_mainnet_slot0():
    """A mainnet USDC/WETH 0.05% slot0: tick 200000 means ETH ~ 2061 USDC (1e12 / 1.0001**200000)."""
    price = USDC_WETH_ETHEREUM.tick_to_price(np.int64(200000))
    assert price == pytest.approx(1e12 / 1.0001**200000, rel=1e-12)
    assert 2000 < price < 2100


@given(st.floats(1e-6, 1e9), st.integers(0, 30), st.integers(0, 30))
def test_token_order_symmetry(price, dec_base, dec_quote):
    a = PoolSpec("B", "Q", dec_base, dec_quote, base_is_token0=True, fee_pips=3000)
    b = PoolSpec("B", "Q", dec_base, dec_quote, base_is_token0=False, fee_pips=3000)
    for pool in (a, b):
        assert pool.raw_to_price(pool.price_to_raw(price)) == pytest.approx(price, rel=1e-14)
    # the raw prices of the two orders are reciprocal
    assert a.price_to_raw(price) * b.price_to_raw(price) == pytest.approx(1.0, rel=1e-14)


@given(st.integers(0, 10**30), st.integers(0, 10**30))
def test_raw_amount_round_trip(amount0, amount1):
    for pool in (USDC_WETH_ETHEREUM, WETH_USDC_ARBITRUM):
        base, quote = pool.from_raw_amounts(amount0, amount1)
        back = pool.to_raw_amounts(base, quote)
        assert back[0] == pytest.approx(amount0, rel=1e-15, abs=1)
        assert back[1] == pytest.approx(amount1, rel=1e-15, abs=1)


def test_liquidity_scaling_is_order_independent():
    assert (
        USDC_WETH_ETHEREUM.liquidity_to_human(10**12)
        == WETH_USDC_ARBITRUM.liquidity_to_human(10**12)
        == 1.0
    )
    assert USDC_WETH_ETHEREUM.liquidity_to_raw(2.5) == 2_500_000_000_000


def test_extreme_prices_are_finite():
    pool = PoolSpec("A", "B", 18, 18, base_is_token0=True, fee_pips=3000)
    for p in (1e-30, 1e30):
        assert np.isfinite(pool.price_to_raw(p))
        assert pool.sqrt_price_x96_to_price(pool.price_to_sqrt_price_x96(p)) == pytest.approx(
            p, rel=1e-12
        )


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: get_sqrt_ratio_at_tick(MAX_TICK + 1), r"tick must be an integer in \[-887272"),
        (lambda: get_sqrt_ratio_at_tick(1.0), "tick must be an integer, got float"),
        (
            lambda: get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - 1),
            "sqrt_price_x96 must be an integer in",
        ),
        (lambda: get_tick_at_sqrt_ratio(MAX_SQRT_RATIO), "sqrt_price_x96 must be an integer in"),
        (lambda: PoolSpec("A", "B", 78, 6, True), r"base_decimals must be an integer in \[0, 77\]"),
        (lambda: PoolSpec("A", "A", 18, 6, True), "base and quote must differ"),
        (lambda: PoolSpec("A", "B", 18, 6, True, fee_pips=1234), "tick_spacing is required"),
        (lambda: PoolSpec("A", "B", 18, 6, "yes"), "base_is_token0 must be True or False"),
        (lambda: WETH_USDC_ARBITRUM.price_to_raw(-1.0), "price must be a finite number > 0"),
        (lambda: WETH_USDC_ARBITRUM.price_to_raw(float("nan")), "price must be a finite"),
        (lambda: WETH_USDC_ARBITRUM.price_to_raw("3000"), "price must be a number"),
        (lambda: WETH_USDC_ARBITRUM.tick_to_price(1.5), "tick must be integer"),
        (lambda: nearest_usable_tick(0, 0), "tick_spacing must be an integer in"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_errors_are_lpperp_errors():
    with pytest.raises(LpperpError):
        get_sqrt_ratio_at_tick(10**7)


def test_price_to_tick_matches_log_definition():
    ticks_ = WETH_USDC_ARBITRUM.price_to_tick(np.array([1500.0, 3000.0, 6000.0]))
    raw = np.array([1500.0, 3000.0, 6000.0]) / 1e12
    assert ticks_.tolist() == [math.floor(math.log(r) / math.log(1.0001)) for r in raw]


# --- regressions found in review --------------------------------------------------------------
def test_from_raw_amounts_refuses_strings_and_names_the_argument():
    # a string used to be parsed silently ("3000" raw micro-USDC -> 0.003 USDC)
    with pytest.raises(LpperpError, match="amount1 must be a number"):
        WETH_USDC_ARBITRUM.from_raw_amounts(10**18, "3000")
    with pytest.raises(LpperpError, match=r"amount0 must be a finite number >= 0, got -1.0"):
        WETH_USDC_ARBITRUM.from_raw_amounts(-1.0, 0)
    with pytest.raises(LpperpError, match="amount1 must be a number"):
        WETH_USDC_ARBITRUM.from_raw_amounts(0, [1, "a"])


def test_liquidity_to_human_broadcasts_and_allows_zero():
    out = USDC_WETH_ETHEREUM.liquidity_to_human(np.array([0.0, 1e12, 2e12]))
    assert out.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(LpperpError, match="liquidity_raw must be a finite number >= 0"):
        USDC_WETH_ETHEREUM.liquidity_to_human(-1.0)
    with pytest.raises(LpperpError, match=r"base must be a finite number >= 0, got -1.0"):
        USDC_WETH_ETHEREUM.to_raw_amounts(-1.0, 0.0)


# --- mutation-testing references (issue 14: `make mutate` survivors) -----------------------------
# Every validated argument is tried at its allowed limit (accepted) and one past it (refused, with
# the argument's name and the allowed interval in the message): a changed bound or name is caught.
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: nearest_usable_tick(MAX_TICK + 1, 60), r"^tick must be an integer in \[-887272, 887272\]"),
        (lambda: nearest_usable_tick(MIN_TICK - 1, 60), r"^tick must be an integer in \[-887272, 887272\]"),
        (lambda: nearest_usable_tick(0, 16385), r"^tick_spacing must be an integer in \[1, 16384\]"),
        (lambda: sqrt_price_x96_to_x64(-1), r"^sqrt_price_x96 must be an integer in \[0, None\]"),
        (lambda: sqrt_price_x64_to_x96(-1), r"^sqrt_price_x64 must be an integer in \[0, None\]"),
        (lambda: PoolSpec("A", "B", 18, 78, True), r"^quote_decimals must be an integer in \[0, 77\]"),
        (lambda: PoolSpec("A", "B", 18, -1, True), r"^quote_decimals must be an integer in \[0, 77\]"),
        (lambda: PoolSpec("A", "B", 18, 6, True, 1_000_001, 1),
         r"^fee_pips must be an integer in \[0, 1000000\]"),
        (lambda: PoolSpec("A", "B", 18, 6, True, -1, 1), r"^fee_pips must be an integer in \[0, 1000000\]"),
        (lambda: PoolSpec("A", "B", 18, 6, True, 500, 16385),
         r"^tick_spacing must be an integer in \[1, 16384\]"),
        (lambda: PoolSpec("A", "B", 18, 6, True, 500, 0),
         r"^tick_spacing must be an integer in \[1, 16384\]"),
        (lambda: PoolSpec(5, "B"), "^base must be a non-empty token symbol string, got 5"),
        (lambda: PoolSpec("A", ""), "^quote must be a non-empty token symbol string, got ''"),
        (lambda: WETH_USDC_ARBITRUM.raw_to_price(-1.0), "^raw_price must be a finite number > 0"),
        (lambda: WETH_USDC_ARBITRUM.tick_to_price(MAX_TICK + 1), r"^tick must be in \[-887272, 887272\]"),
        (lambda: WETH_USDC_ARBITRUM.tick_to_price(np.array([0, MIN_TICK - 1])),
         r"^tick must be in \[-887272, 887272\]"),
        (lambda: WETH_USDC_ARBITRUM.price_to_sqrt_price_x96(-1.0), "^price must be a finite number > 0"),
        (lambda: WETH_USDC_ARBITRUM.price_to_sqrt_price_x96(np.array([1.0, 2.0])),
         "^price must be a scalar here"),
        (lambda: WETH_USDC_ARBITRUM.price_to_sqrt_price_x96(1e60), "outside the sqrt price range"),
        (lambda: WETH_USDC_ARBITRUM.sqrt_price_x96_to_price(0), r"^sqrt_price_x96 must be an integer in \[1"),
        (lambda: WETH_USDC_ARBITRUM.to_raw_amounts(0.0, -1.0), "^quote must be a finite number >= 0"),
        (lambda: WETH_USDC_ARBITRUM.to_raw_amounts(np.array([1.0, 2.0]), 0.0), "^base must be a scalar"),
        (lambda: WETH_USDC_ARBITRUM.liquidity_to_raw(-1.0), "^liquidity must be a finite number >= 0"),
        (lambda: WETH_USDC_ARBITRUM.liquidity_to_human(-1), "^liquidity_raw must be >= 0, got -1"),
        (lambda: WETH_USDC_ARBITRUM.liquidity_to_human(True), "^liquidity_raw must be a number"),
        (lambda: WETH_USDC_ARBITRUM.from_raw_amounts(-1, 0), "^amount0 must be a raw amount >= 0, got -1"),
        (lambda: WETH_USDC_ARBITRUM.price_to_tick(1e-60), "maps to a tick outside"),
        (lambda: WETH_USDC_ARBITRUM.price_to_tick(1e60), "maps to a tick outside"),
    ],
)
def test_each_limit_is_refused_one_past_it_with_its_name(call, match):
    with pytest.raises(LpperpError, match=match):
        call()


def test_each_limit_itself_is_accepted():
    assert nearest_usable_tick(0, 16384) == 0 and nearest_usable_tick(MIN_TICK, 1) == MIN_TICK
    assert sqrt_price_x96_to_x64(0) == 0 and sqrt_price_x64_to_x96(0) == 0
    assert PoolSpec("A", "B", 77, 0, True, 0, 1).quote_decimals == 0
    assert PoolSpec("A", "B", 18, 6, True, 1_000_000, 16384).tick_spacing == 16384
    assert PoolSpec("A", "B", 18, 6, True, 500, 1).tick_spacing == 1  # given spacing is kept
    assert PoolSpec("A", "B", 18, 6, True, 3000).tick_spacing == 60  # the tier's default
    assert WETH_USDC_ARBITRUM.sqrt_price_x96_to_price(1) > 0
    assert WETH_USDC_ARBITRUM.liquidity_to_human(0) == 0.0
    assert USDC_WETH_ETHEREUM.liquidity_to_human(np.int64(10**12)) == 1.0
    # the smallest sqrt price a pool accepts is reachable from a float price, and accepted
    assert WETH_USDC_ARBITRUM.price_to_sqrt_price_x96(2.938956808774311e-27) == MIN_SQRT_RATIO
    for t in (MIN_TICK, MAX_TICK):  # the extreme ticks map to prices and back
        p = WETH_USDC_ARBITRUM.tick_to_price(t)
        assert int(WETH_USDC_ARBITRUM.price_to_tick(p)) == t


def test_nearest_usable_tick_against_brute_force():
    """The multiple of the spacing nearest to the tick (ties up), inside [MIN_TICK, MAX_TICK]."""
    for spacing in (1, 10, 60, 200, 16384):
        for tick in (MIN_TICK, MIN_TICK + 7, -100_030, -30, -29, 0, 29, 30, 100_030, MAX_TICK - 7,
                     MAX_TICK):
            inside = [m for m in range(tick - spacing, tick + spacing + 1)
                      if m % spacing == 0 and MIN_TICK <= m <= MAX_TICK]
            best = min(inside, key=lambda m: (abs(m - tick), -m))
            assert nearest_usable_tick(tick, spacing) == best, (tick, spacing)


def test_q64_q96_shifts_are_exact_on_non_round_values():
    x64 = 0x1234_5678_9ABC_DEF0_1357_9BDF
    assert sqrt_price_x64_to_x96(x64) == x64 * 2**32
    assert sqrt_price_x96_to_x64(x64 * 2**32 + 2**32 - 1) == x64  # rounded down


def test_tick_at_sqrt_ratio_at_and_just_below_every_sampled_tick():
    """The greatest tick whose sqrt ratio is <= s, at s = ratio(t) (t) and ratio(t) - 1 (t - 1):
    where the float estimate lands on the wrong side, the integer search must walk exactly."""
    rng = np.random.default_rng(7)
    sample = {MIN_TICK + 1, -1, 0, 1, 2, MAX_TICK - 2, MAX_TICK - 1}
    sample |= set(rng.integers(MIN_TICK + 1, MAX_TICK, 1500).tolist())
    for t in sorted(sample):
        s = get_sqrt_ratio_at_tick(t)
        assert get_tick_at_sqrt_ratio(s) == t
        assert get_tick_at_sqrt_ratio(s - 1) == t - 1


def _human_price_reference(pool: PoolSpec, sqrt_price_x96: int):
    """quote per base from the raw price token1/token0 = (s / 2**96)**2 in smallest units:
    base = token0: P = raw * 10**dec0 / 10**dec1; base = token1: P = 10**dec1 / (raw * 10**dec0).
    Exact Fractions, rounded to a float once."""
    from fractions import Fraction

    raw = Fraction(sqrt_price_x96 * sqrt_price_x96, 2**192)
    if pool.base_is_token0:
        return float(raw * 10**pool.base_decimals / 10**pool.quote_decimals)
    return float(Fraction(10**pool.base_decimals) / (raw * 10**pool.quote_decimals))


@pytest.mark.parametrize("base_is_token0", [True, False])
@pytest.mark.parametrize(("dec_base", "dec_quote"), [(18, 6), (6, 18), (8, 8), (0, 1), (1, 0)])
def test_sqrt_price_to_price_for_every_decimal_shift_and_order(base_is_token0, dec_base, dec_quote):
    pool = PoolSpec("A", "B", dec_base, dec_quote, base_is_token0, 3000)
    for tick in (-300_000, -1, 0, 7, 250_001):
        s = get_sqrt_ratio_at_tick(tick)
        assert pool.sqrt_price_x96_to_price(s) == _human_price_reference(pool, s)
        # and the float conversions agree with the exact one
        p = pool.tick_to_price(np.int64(tick))
        assert p == pytest.approx(_human_price_reference(pool, s), rel=1e-9)
        assert pool.raw_to_price(pool.price_to_raw(p)) == pytest.approx(p, rel=1e-14)


def test_price_to_tick_returns_integer_ticks_and_round_trips_on_tick_prices():
    pool = USDC_WETH_ETHEREUM
    ticks_ = np.array([MIN_TICK + 10, -50_001, -1, 0, 1, 196_256, 887_000])
    out = pool.price_to_tick(pool.tick_to_price(ticks_))
    assert out.dtype == np.int64 and out.tolist() == ticks_.tolist()
    assert isinstance(pool.tick_to_price(0), float)
    assert pool.tick_to_price(ticks_).shape == ticks_.shape


def test_raw_amounts_floor_and_exact_conversions():
    # 1.7 micro-USDC floors to 1 (round-half-even would give 2); 0 stays 0
    assert WETH_USDC_ARBITRUM.to_raw_amounts(0.0, 1.7e-6) == (0, 1)
    assert USDC_WETH_ETHEREUM.to_raw_amounts(2.5e-18, 0.0) == (0, 2)
    base, quote = WETH_USDC_ARBITRUM.from_raw_amounts(np.array([10**18, 3 * 10**17]),
                                                      np.array([3_000 * 10**6, 7]))
    assert base.tolist() == [1.0, 0.3] and quote.tolist() == [3000.0, 7e-6]
    assert isinstance(USDC_WETH_ETHEREUM.liquidity_to_human(1e12), float)
    assert USDC_WETH_ETHEREUM.liquidity_to_raw(2.5) == 2_500_000_000_000


# float over/underflow once decimals apply: the conversion answers a named LpperpError, silently
# (numpy's overflow / divide-by-zero warnings stay inside the conversion), and a float otherwise
_SHIFT_UP = PoolSpec("A", "B", 6, 18, base_is_token0=True, fee_pips=500)  # scale 1e12
_OVER_UNDER = [  # (conversion, value, argument name): every branch that leaves the floats
    (_SHIFT_UP.price_to_raw, 1e300, "price"),  # p * 1e12 overflows
    (USDC_WETH_ETHEREUM.price_to_raw, 5e-324, "price"),  # 1 / (p * 1e-12): p * 1e-12 is 0
    (WETH_USDC_ARBITRUM.price_to_raw, 5e-324, "price"),  # p * 1e-12 underflows to 0
    (WETH_USDC_ARBITRUM.raw_to_price, 1e300, "raw_price"),  # r / 1e-12 overflows
    (USDC_WETH_ETHEREUM.raw_to_price, 5e-324, "raw_price"),  # 1 / (r * 1e-12): r * 1e-12 is 0
]


@pytest.mark.parametrize(("convert", "value", "name"), _OVER_UNDER)
def test_conversions_that_leave_the_floats_are_named_errors_without_numpy_warnings(
    convert, value, name
):
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow/divide RuntimeWarning would escape first
        with pytest.raises(LpperpError, match=rf"^{name}={re.escape(repr(value))} over- or under"):
            convert(value)


def test_conversions_return_python_floats_for_scalars():
    for out in (WETH_USDC_ARBITRUM.price_to_raw(3000.0), USDC_WETH_ETHEREUM.raw_to_price(3e8)):
        assert type(out) is float
    assert isinstance(WETH_USDC_ARBITRUM.price_to_raw(np.array([3000.0])), np.ndarray)


def test_raw_amounts_of_one_whole_token():
    # 1.0 is no special case: one WETH is 10**18 wei, one USDC 10**6 units, in pool order
    assert WETH_USDC_ARBITRUM.to_raw_amounts(1.0, 1.0) == (10**18, 10**6)
    assert USDC_WETH_ETHEREUM.to_raw_amounts(1.0, 0.0) == (0, 10**18)
    assert USDC_WETH_ETHEREUM.to_raw_amounts(0.0, 1.0) == (10**6, 0)

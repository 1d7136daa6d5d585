"""LPPosition: value, greeks, impermanent loss, LVR, fees, constructors (lpperp.position)."""

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from lpperp import LPPosition, impermanent_loss_in_range
from lpperp.liquidity import get_amounts_for_liquidity
from lpperp.units import MAX_TICK, MIN_TICK, USDC_WETH_ETHEREUM, WETH_USDC_ARBITRUM, PoolSpec

prices = st.floats(10.0, 1e5)
ratios = st.floats(1.001, 20.0)


def make(p0, r, value=10_000.0):
    return LPPosition.from_deposit(value, p0, width_factor=r)


# --- closed form vs direct ------------------------------------------------------------------------
@given(prices, ratios, st.floats(-0.99, 0.99))
def test_il_closed_form_equals_value_minus_hold(p0, r, move):
    lp = make(p0, r)
    k = np.exp(move * np.log(r))  # stays inside [p0/r, p0 r]
    direct = lp.impermanent_loss(k * p0, p0)
    closed = impermanent_loss_in_range(k, p0, lp.price_lower, lp.price_upper)
    # value - hold cancels: float noise ~ eps / (sqrt(r) - 1) for narrow ranges
    assert direct == pytest.approx(closed, rel=1e-9, abs=4e-15 / (1 - 1 / np.sqrt(r)))


@given(st.floats(1.01, 20.0), st.floats(0.5, 2.0))
@example(1.015625, 1.0004389529406255)  # 2 sqrt(k) / (1 + k) - 1 lost 6 digits here (issue 14)
@example(20.0, 1.0 + 2**-40)
def test_il_symmetric_range_is_v2_il_times_leverage(r, k):
    """pa = P/r, pb = P r: IL = IL_v2 sqrt(r) / (sqrt(r) - 1) (notes: venue-rules.md, Theory).

    IL_v2 = 2 sqrt(k) / (1 + k) - 1 = -(sqrt(k) - 1)^2 / (1 + k), with sqrt(k) - 1 written as
    (k - 1) / (sqrt(k) + 1): no cancellation near k = 1 (k - 1 is exact there, Sterbenz)."""
    k = min(max(k, 1 / r), r)
    il_v2 = -(((k - 1) / (np.sqrt(k) + 1)) ** 2) / (1 + k)
    assert impermanent_loss_in_range(k, 3000.0, 3000.0 / r, 3000.0 * r) == pytest.approx(
        il_v2 * np.sqrt(r) / (np.sqrt(r) - 1), rel=1e-9, abs=1e-14
    )


@given(prices, ratios, st.floats(0.2, 5.0))
def test_delta_is_derivative_of_value(p0, r, move):
    lp = make(p0, r)
    p = p0 * move
    assume(min(abs(np.log(p / lp.price_lower)), abs(np.log(p / lp.price_upper))) > 1e-5)  # kinks
    h = p * 1e-6
    fd = (lp.value(p + h) - lp.value(p - h)) / (2 * h)
    assert lp.delta(p) == pytest.approx(fd, rel=1e-5, abs=1e-9 * lp.value(p0) / p0)


@given(prices, st.floats(1.05, 20.0), st.floats(-0.9, 0.9))
def test_gamma_is_derivative_of_delta(p0, r, move):
    lp = make(p0, r)
    p = p0 * np.exp(move * np.log(r))
    h = p * 1e-6
    fd = (lp.delta(p + h) - lp.delta(p - h)) / (2 * h)
    assert lp.gamma(p) == pytest.approx(fd, rel=1e-4)


@given(prices, ratios, st.floats(-0.99, 0.99), st.floats(0.01, 3.0))
def test_lvr_equals_half_sigma2_p2_dx_dp(p0, r, move, sigma):
    """Milionis et al.: l = sigma^2 P^2 |x'(P)| / 2, x' by finite differences of the base amount."""
    lp = make(p0, r)
    p = p0 * np.exp(move * np.log(r))
    h = p * 1e-6
    dxdp = (lp.amounts(p + h)[0] - lp.amounts(p - h)[0]) / (2 * h)
    assert lp.lvr_rate(p, sigma) == pytest.approx(sigma**2 * p**2 * abs(dxdp) / 2, rel=1e-5)


def test_lvr_of_full_range_is_sigma2_over_8_of_value():
    """Constant product: l / V = sigma^2 / 8 (Milionis et al. 2022)."""
    lp = LPPosition.from_deposit(1e6, 3000.0, width_factor=1e12)
    assert lp.lvr_rate(3000.0, 0.8) / lp.value(3000.0) == pytest.approx(0.8**2 / 8, rel=1e-5)


# --- properties -----------------------------------------------------------------------------------
@given(prices, ratios)
def test_value_continuous_at_edges(p0, r):
    lp = make(p0, r)
    for edge in (lp.price_lower, lp.price_upper):
        v = lp.value(np.array([edge * (1 - 1e-11), edge, edge * (1 + 1e-11)]))
        np.testing.assert_allclose(v, v[1], rtol=1e-9)


@given(prices, ratios, st.floats(0.01, 100.0))
def test_il_never_positive(p0, r, move):
    assert make(p0, r).impermanent_loss(p0 * move, p0) <= 1e-12


@given(prices, ratios, st.floats(0.01, 100.0))
def test_token_order_symmetry(p0, r, move):
    """The same market described with either token as token0 gives the same human numbers."""
    a = LPPosition.from_deposit(5_000.0, p0, width_factor=r, pool=USDC_WETH_ETHEREUM)
    b = LPPosition.from_deposit(5_000.0, p0, width_factor=r, pool=WETH_USDC_ARBITRUM)
    assert a.value(p0 * move) == pytest.approx(b.value(p0 * move), rel=1e-12)


def test_from_ticks_in_either_token_order():
    """Ticks of the mainnet pool (USDC token0) and the Arbitrum pool (WETH token0) for the same
    human range give the same position."""
    a = LPPosition.from_ticks(193380, 200310, 10**15, USDC_WETH_ETHEREUM)
    b = LPPosition.from_ticks(-200310, -193380, 10**15, WETH_USDC_ARBITRUM)
    assert a.price_lower == pytest.approx(b.price_lower, rel=1e-12)
    assert a.price_upper == pytest.approx(b.price_upper, rel=1e-12)
    assert a.value(3000.0) == pytest.approx(b.value(3000.0), rel=1e-12)


def exact_value(lp, price, pool=WETH_USDC_ARBITRUM):
    """Value (quote) of ``lp`` at ``price`` from the contracts' integer amounts: LiquidityAmounts.
    getAmountsForLiquidity at the position's raw liquidity, base * price + quote. Independent of
    the float value formula that from_deposit inverts."""
    sa, sb, s = (pool.price_to_sqrt_price_x96(p) for p in (lp.price_lower, lp.price_upper, price))
    a0, a1 = get_amounts_for_liquidity(s, sa, sb, pool.liquidity_to_raw(lp.liquidity))
    base, quote = pool.from_raw_amounts(a0, a1)
    return base * price + quote


def test_range_specs():
    assert make(3000.0, 1.25).price_lower == 2400.0
    lp = LPPosition.from_deposit(1000.0, 3000.0, width_pct=10)
    assert (lp.price_lower, lp.price_upper) == pytest.approx((2700.0, 3300.0))
    assert exact_value(lp, 3000.0) == pytest.approx(1000.0, rel=1e-9)
    lp = LPPosition.from_deposit(1000.0, 3000.0, price_lower=2000.0, price_upper=4000.0)
    assert exact_value(lp, 3000.0) == pytest.approx(1000.0, rel=1e-9)
    lp = LPPosition.from_deposit(
        1000.0, 3000.0, tick_lower=-200310, tick_upper=-193380, pool=WETH_USDC_ARBITRUM
    )
    assert exact_value(lp, 3000.0) == pytest.approx(1000.0, rel=1e-9)
    # and in range the value is the whitepaper's x P + y with x = L (sqrt pb - sqrt P) /
    # (sqrt P sqrt pb), y = L (sqrt P - sqrt pa) (Uniswap v3 whitepaper eqs. 6.29-6.30)
    sp, sa, sb = np.sqrt([3000.0, lp.price_lower, lp.price_upper])
    x, y = lp.liquidity * (sb - sp) / (sp * sb), lp.liquidity * (sp - sa)
    assert x * 3000.0 + y == pytest.approx(1000.0, rel=1e-12)


def test_out_of_range_deposits_hold_a_single_asset():
    lp = LPPosition.from_deposit(1000.0, 3000.0, price_lower=3500.0, price_upper=4000.0)
    base, quote = lp.amounts(3000.0)
    assert quote == 0 and base * 3000.0 == pytest.approx(1000.0)
    assert lp.fee_income(3000.0, 1.0, fee_apr=0.3) == 0.0


def test_from_amounts_round_trip():
    lp = make(3000.0, 1.5)
    b, q = lp.amounts(3000.0)
    back = LPPosition.from_amounts(b, q, 3000.0, lp.price_lower, lp.price_upper)
    assert back.liquidity == pytest.approx(lp.liquidity, rel=1e-12)


def test_fees_share_of_active_liquidity_only():
    lp = make(3000.0, 1.2)
    fees = lp.fee_income(
        np.array([2000.0, 3000.0]),
        0.5,
        volume_per_year=2e8,
        active_liquidity=10 * lp.liquidity,
        fee_fraction=0.003,
    )
    np.testing.assert_allclose(fees, [0.0, 2e8 * 0.003 * 0.1 * 0.5])


def test_broadcast_shapes():
    lp = make(3000.0, 1.3)
    p = np.linspace(1000, 5000, 7)
    assert lp.value(p).shape == (7,)
    assert lp.lvr_rate(p[:, None], np.array([0.3, 0.6])).shape == (7, 2)
    assert isinstance(lp.value(3000.0), float)


def test_extreme_but_valid_inputs_are_finite():
    lp = LPPosition(1e-30, 1e30, 1.0)
    for p in (1e-30, 1.0, 1e30):
        assert np.isfinite(lp.value(p)) and np.isfinite(lp.delta(p))
    big = LPPosition.from_ticks(-887220, 887220, 2**128 - 1, WETH_USDC_ARBITRUM)
    assert np.isfinite(big.value(3000.0))


# --- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LPPosition(3600.0, 2500.0, 1.0), "price_lower must be < price_upper"),
        (lambda: LPPosition(2500.0, 3600.0, -1.0), "liquidity must be a finite number >= 0"),
        (lambda: LPPosition(float("nan"), 3600.0, 1.0), "price_lower must be a finite number > 0"),
        (lambda: make(3000.0, 1.0), "width_factor must be > 1"),
        (
            lambda: LPPosition.from_deposit(1.0, 3000.0, width_pct=120),
            r"width_pct must be in \(0, 100\)",
        ),
        (lambda: LPPosition.from_deposit(1.0, 3000.0), "give the range exactly one way"),
        (
            lambda: LPPosition.from_deposit(1.0, 3000.0, width_pct=5, width_factor=2),
            "exactly one way",
        ),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, tick_lower=0, tick_upper=60), "needs pool"),
        (
            lambda: LPPosition.from_deposit(-5.0, 3000.0, width_pct=5),
            "value must be a finite number > 0",
        ),
        (lambda: LPPosition.from_ticks(-200305, -193380, 1, WETH_USDC_ARBITRUM), "not a multiple"),
        (
            lambda: LPPosition.from_ticks(0, 10, 1.5, WETH_USDC_ARBITRUM),
            "liquidity_raw must be an integer",
        ),
        (lambda: make(3000.0, 2).value(-3.0), "price must be a finite number > 0"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0), "exactly one of fee_apr"),
        (
            lambda: make(3000.0, 2).fee_income(
                3000.0, 1.0, volume_per_year=1.0, active_liquidity=1e-9, fee_fraction=0.003
            ),
            "must include this position",
        ),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- regressions found in review --------------------------------------------------------------
def test_il_in_range_refuses_prices_outside_the_range():
    """The closed form is only valid in range: k = 2 from 3000 over [2500, 3600] gave -0.656 while
    the true IL (value - hold) is -0.30; now it raises and names the argument."""
    with pytest.raises(ValueError, match=r"price_ratio \* entry_price must be inside.*6000"):
        impermanent_loss_in_range(2.0, 3000.0, 2500.0, 3600.0)
    with pytest.raises(ValueError, match=r"entry_price must be inside.*2000"):
        impermanent_loss_in_range([1.0, 1.1], [3000.0, 2000.0], 2500.0, 3600.0)
    # the edges themselves are fine (k = pb / P rounds to within an ulp of the edge)
    assert impermanent_loss_in_range(3600.0 / 3000.0, 3000.0, 2500.0, 3600.0) < 0


def test_entry_price_errors_name_entry_price():
    lp = make(3000.0, 2)
    for call in (lp.hold_value, lp.impermanent_loss):
        with pytest.raises(ValueError, match="entry_price must be a finite number > 0, got nan"):
            call(3000.0, float("nan"))


def test_gamma_extreme_prices_do_not_raise_python_float_errors():
    lp = make(3000.0, 2)
    assert lp.gamma(1e300) == 0.0 and lp.gamma(1e-300) == 0.0


def test_booleans_are_not_prices():
    with pytest.raises(ValueError, match="price must be a number"):
        make(3000.0, 2).value(np.array([True, False]))
    with pytest.raises(ValueError, match="price must be a number"):
        make(3000.0, 2).amounts(np.True_)


@pytest.mark.parametrize(
    "base, quote, price",
    [(1.0, 0.0, 5000.0), (0.0, 3000.0, 2000.0), (1.0, 0.0, 3000.0)],  # wrong token for the range
)
def test_from_amounts_that_fund_nothing_is_an_error(base, quote, price):
    """These silently gave liquidity 0 although the message for this case already existed."""
    with pytest.raises(ValueError, match="fund no liquidity"):
        LPPosition.from_amounts(base, quote, price, 2500.0, 3600.0)
    assert LPPosition.from_amounts(0.0, 0.0, price, 2500.0, 3600.0).liquidity == 0.0


def test_fee_income_refuses_pool_flow_arguments_next_to_fee_apr():
    """fee_fraction/active_liquidity next to fee_apr were silently ignored."""
    with pytest.raises(ValueError, match="give one, not both"):
        make(3000.0, 2).fee_income(3000.0, 1.0, fee_apr=0.2, fee_fraction=0.003)


# --- mutation-testing references (issue 14: `make mutate` survivors) -----------------------------
def wp_amounts(p, pa, pb, liq):
    """Uniswap v3 whitepaper eqs. 6.29-6.30 by regime (no clip): the reference amounts."""
    sp, sa, sb = np.sqrt(p), np.sqrt(pa), np.sqrt(pb)
    base = np.select([p < pa, p > pb], [liq * (sb - sa) / (sa * sb), 0.0], liq * (sb - sp) / (sp * sb))
    quote = np.select([p < pa, p > pb], [0.0, liq * (sb - sa)], liq * (sp - sa))
    return base, quote


EDGES = (2500.0, 3600.0)
PRICES = np.array([1000.0, 2500.0, 2501.0, 3000.0, 3599.0, 3600.0, 8000.0])


def test_value_scalar_int_and_array_paths_against_the_whitepaper():
    lp = LPPosition(*EDGES, 123.0)
    b, q = wp_amounts(PRICES, *EDGES, 123.0)
    want = b * PRICES + q
    np.testing.assert_allclose(lp.value(PRICES), want, rtol=1e-12)
    for p, w in zip(PRICES, want, strict=True):
        assert lp.value(float(p)) == pytest.approx(w, rel=1e-12)  # scalar fast path
        assert lp.value(int(p)) == pytest.approx(w, rel=1e-12)
        assert lp.value(np.float64(p)) == pytest.approx(w, rel=1e-12)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match=r"^price must be a finite number > 0"):
            lp.value(bad)
    np.testing.assert_allclose(lp.hold_value(PRICES, 3000.0),
                               wp_amounts(3000.0, *EDGES, 123.0)[0] * PRICES
                               + wp_amounts(3000.0, *EDGES, 123.0)[1], rtol=1e-12)


def test_range_edges_belong_to_the_range_for_fees_and_in_range_but_not_gamma_lvr():
    """Fees and in_range include the edges (the position is active at pa and pb); the second
    derivative and LVR are those of the interior: zero at the edges (one-sided kinks)."""
    lp = LPPosition(*EDGES, 123.0)
    assert lp.in_range(list(PRICES)).tolist() == [False, True, True, True, True, True, False]
    assert lp.in_range(2500.0) is True and lp.in_range(2499.0) is False
    fees = lp.fee_income(PRICES, 0.5, fee_apr=0.2)
    np.testing.assert_allclose(fees, np.where(lp.in_range(PRICES), 0.2 * lp.value(PRICES) * 0.5, 0))
    flow = lp.fee_income(PRICES, 2.0, volume_per_year=1e6, active_liquidity=4 * 123.0,
                         fee_fraction=0.003)
    np.testing.assert_allclose(flow, np.where(lp.in_range(PRICES), 1e6 * 0.003 * 0.25 * 2.0, 0))
    inside = (PRICES > EDGES[0]) & (PRICES < EDGES[1])
    np.testing.assert_allclose(lp.gamma(PRICES), np.where(inside, -123.0 / (2 * PRICES**1.5), 0))
    np.testing.assert_allclose(lp.lvr_rate(PRICES, 0.7),
                               np.where(inside, 0.49 * 123.0 * np.sqrt(PRICES) / 4, 0))
    assert isinstance(lp.gamma(3000.0), float) and isinstance(lp.lvr_rate(3000.0, 0.5), float)


def test_impermanent_loss_by_value_and_hold_and_zero_liquidity():
    lp = LPPosition(*EDGES, 123.0)
    b0, q0 = wp_amounts(3000.0, *EDGES, 123.0)
    b, q = wp_amounts(PRICES, *EDGES, 123.0)
    np.testing.assert_allclose(lp.impermanent_loss(PRICES, 3000.0),
                               (b * PRICES + q) / (b0 * PRICES + q0) - 1.0, rtol=1e-10, atol=1e-15)
    empty = LPPosition(*EDGES, 0.0)
    assert empty.impermanent_loss(PRICES, 3000.0).tolist() == [0.0] * PRICES.size
    assert empty.impermanent_loss(3000.0, 2000.0) == 0.0


def test_constructors_build_the_ranges_they_say():
    lp = LPPosition.from_deposit(1000.0, 3000.0, width_pct=99.9)
    assert (lp.price_lower, lp.price_upper) == pytest.approx((3.0, 5997.0))
    lp = LPPosition.from_deposit(1000.0, 3000.0, width_factor=1.0000001)
    assert lp.price_upper / lp.price_lower == pytest.approx(1.0000001**2, rel=1e-12)
    pool = WETH_USDC_ARBITRUM  # base is token0: a higher tick is a higher price
    lp = LPPosition.from_deposit(1000.0, 3000.0, tick_lower=-200310, tick_upper=-193380, pool=pool)
    assert lp.price_lower == pool.tick_to_price(np.int64(-200310))
    assert lp.price_upper == pool.tick_to_price(np.int64(-193380))
    assert lp.pool is pool
    main = USDC_WETH_ETHEREUM  # base is token1: the upper tick is the lower price
    lp = LPPosition.from_deposit(1000.0, 3000.0, tick_lower=193380, tick_upper=200310, pool=main)
    assert lp.price_lower == main.tick_to_price(np.int64(200310))
    assert lp.price_upper == main.tick_to_price(np.int64(193380))
    top = LPPosition.from_ticks(-200310, -193380, 2**128 - 1, pool)
    assert top.liquidity == pool.liquidity_to_human(2**128 - 1)
    one_tick = PoolSpec("WETH", "USDC", 18, 6, True, 500, 1)
    assert LPPosition.from_ticks(0, 1, 1, one_tick).price_upper > 0
    lp = LPPosition.from_amounts(0.0, 1000.0, 4000.0, 2500.0, 3600.0)  # above the range: quote only
    assert lp.value(4000.0) == pytest.approx(1000.0, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LPPosition(np.array([1.0, 2.0]), 3.0, 1.0), "must be scalars"),
        (lambda: LPPosition(1.0, 3.0, np.array([1.0, 2.0])), "liquidity must be a single number"),
        (lambda: LPPosition(1.0, 3.0, 1.0, pool="arb"), "^pool must be a PoolSpec or None, got str"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_pct=100), r"^width_pct must be in \(0, 100\)"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_factor=1.0), r"^width_factor must be > 1"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, price_lower=2000.0), "^give both price_lower"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, price_upper=4000.0), "^give both price_lower"),
        (lambda: LPPosition.from_deposit(1.0, -3.0, width_pct=5), "^price must be a finite number > 0"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, tick_lower=60, tick_upper=0,
                                         pool=WETH_USDC_ARBITRUM), "^tick_lower must be < tick_upper"),
        (lambda: LPPosition.from_ticks(0, 60, 1, "pool"), "^pool must be a PoolSpec, got str"),
        (lambda: LPPosition.from_ticks(0, 60, 2**128, WETH_USDC_ARBITRUM),
         r"^liquidity_raw must be an integer in \[0, "),
        (lambda: LPPosition.from_ticks(MIN_TICK - 1, 60, 1, WETH_USDC_ARBITRUM),
         r"^tick_lower must be an integer in \[-887272"),
        (lambda: LPPosition.from_ticks(-60, MAX_TICK + 1, 1, WETH_USDC_ARBITRUM),
         r"^tick_upper must be an integer in \[-887272"),
        (lambda: LPPosition.from_ticks(0, 15, 1, WETH_USDC_ARBITRUM), "^tick_upper=15 is not a multiple"),
        (lambda: make(3000.0, 2).fee_income(3000.0, -1.0, fee_apr=0.1), "^tau_years must be"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, fee_apr=-0.1), "^fee_apr must be"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, volume_per_year=-1.0, active_liquidity=1e9,
                                            fee_fraction=0.003), "^volume_per_year must be"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, volume_per_year=1.0, active_liquidity=1e9,
                                            fee_fraction=1.5), "^fee_fraction must be"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, volume_per_year=1.0, active_liquidity=0.0,
                                            fee_fraction=0.003), "^active_liquidity must be"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, volume_per_year=1.0, fee_fraction=0.003),
         "^volume_per_year needs active_liquidity and fee_fraction"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, volume_per_year=1.0, active_liquidity=1e9),
         "^volume_per_year needs active_liquidity and fee_fraction"),
        (lambda: make(3000.0, 2).fee_income(3000.0, 1.0, fee_apr=0.1, active_liquidity=1e9),
         "give one, not both"),
        (lambda: make(3000.0, 2).lvr_rate(3000.0, -0.1), "^sigma_per_year must be"),
        (lambda: make(3000.0, 2).gamma(-1.0), "^price must be"),
        (lambda: make(3000.0, 2).in_range(-1.0), "^price must be"),
        (lambda: impermanent_loss_in_range(0.0, 3000.0, 2500.0, 3600.0), "^price_ratio must be"),
        (lambda: impermanent_loss_in_range(1.0, 3000.0, 3600.0, 2500.0), "price_lower must be < price_upper"),
        (lambda: impermanent_loss_in_range(1.2 * (1 + 1e-11), 3000.0, 2500.0, 3600.0),
         r"^price_ratio \* entry_price must be inside .* got 3600.00000003[0-9]* outside \[2500.0, 3600.0\]"),
        (lambda: impermanent_loss_in_range([1.0, 1.0], [3000.0, 2499.0], 2500.0, [3600.0, 3700.0]),
         r"^entry_price must be inside .* got 2499.0 outside \[2500.0, 3700.0\]"),
    ],
)
def test_limits_are_refused_with_the_argument_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_limits_themselves_are_accepted():
    lp = make(3000.0, 2)
    assert lp.fee_income(3000.0, 1.0, volume_per_year=1.0, active_liquidity=lp.liquidity,
                         fee_fraction=1.0) == 1.0  # the whole pool: share 1
    assert lp.fee_income(3000.0, 1.0, volume_per_year=1.0, active_liquidity=lp.liquidity * (1 - 1e-13),
                         fee_fraction=1.0) == pytest.approx(1.0)
    # k P a hair past the edge (float rounding of pb / P) is still the edge
    assert impermanent_loss_in_range(1.2 * (1 + 1e-13), 3000.0, 2500.0, 3600.0) < 0
    assert impermanent_loss_in_range(2500.0 / 3000.0 * (1 - 1e-13), 3000.0, 2500.0, 3600.0) < 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LPPosition.from_deposit(np.array([1.0, 2.0]), 3000.0, width_pct=5),
         "^value must be a single number here"),
        (lambda: LPPosition.from_deposit(1.0, np.array([1.0, 2.0]), width_pct=5),
         "^price must be a single number here"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_pct=np.array([1.0, 2.0])),
         "^width_pct must be a single number here"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_pct=-5.0), "^width_pct must be a finite"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_factor=np.array([1.5, 2.0])),
         "^width_factor must be a single number here"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, width_factor=-2.0), "^width_factor must be a finite"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, price_lower=-1.0, price_upper=4000.0),
         "^price_lower must be a finite number > 0"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, price_lower=2000.0, price_upper=-1.0),
         "^price_upper must be a finite number > 0"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, price_lower=2.0, price_upper=3.0, width_pct=5),
         r"got \['price_lower/price_upper', 'width_pct'\]"),
        (lambda: LPPosition.from_deposit(1.0, 3000.0, tick_lower=0, pool=WETH_USDC_ARBITRUM),
         "^tick_upper must be an integer, got NoneType"),
        (lambda: LPPosition.from_ticks(60, 60, 1, WETH_USDC_ARBITRUM),
         "^tick_lower must be < tick_upper, got 60 and 60"),
        (lambda: LPPosition.from_ticks(5, 60, 1, WETH_USDC_ARBITRUM), "^tick_lower=5 is not a multiple"),
        (lambda: LPPosition.from_ticks(MAX_TICK + 1, MAX_TICK, 1, WETH_USDC_ARBITRUM),
         r"^tick_lower must be an integer in \[-887272, 887272\]"),
        (lambda: LPPosition(1.0, np.array([3.0, 4.0]), 1.0), "must be scalars"),
        (lambda: impermanent_loss_in_range(1.0, -1.0, 2500.0, 3600.0), "^entry_price must be a finite"),
        (lambda: make(3000.0, 2).fee_income(-1.0, 1.0, fee_apr=0.1), "^price must be a finite"),
        (lambda: make(3000.0, 2).hold_value(-1.0, 3000.0), "^price must be a finite"),
        (lambda: make(3000.0, 2).lvr_rate(-1.0, 0.5), "^price must be a finite"),
        (lambda: LPPosition.from_amounts(0.0, 0.5, 2000.0, 2500.0, 3600.0), "fund no liquidity"),
    ],
)
def test_more_limits_are_refused_with_the_argument_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_types_pool_and_edges_are_kept():
    import warnings

    lp = LPPosition(1, 3, np.float32(2))
    assert (type(lp.price_lower), type(lp.price_upper), type(lp.liquidity)) == (float, float, float)
    assert lp.in_range(np.float64(2.0)) is True
    assert LPPosition.from_amounts(1.0, 3000.0, 3000.0, 2000.0, 4500.0,
                                   WETH_USDC_ARBITRUM).pool is WETH_USDC_ARBITRUM
    assert LPPosition.from_ticks(0, 60, 1, WETH_USDC_ARBITRUM).pool is WETH_USDC_ARBITRUM
    # the range check's tolerance is inclusive at both ends
    assert impermanent_loss_in_range(1.0, 2500.0 * (1 - 1e-12), 2500.0, 3600.0) <= 0
    assert impermanent_loss_in_range(1.0, 3600.0 * (1 + 1e-12), 2500.0, 3600.0) <= 0
    big = make(3000.0, 2)
    assert big.fee_income(3000.0, 1.0, volume_per_year=1.0, fee_fraction=1.0,
                          active_liquidity=big.liquidity * (1 - 1e-12)) == pytest.approx(1.0)
    with warnings.catch_warnings():  # extreme prices: no floating-point warnings either
        warnings.simplefilter("error")
        assert big.gamma(1e300) == 0.0 and big.gamma(1e-300) == 0.0


def test_shapes_that_do_not_broadcast_are_named_in_full():
    # the message names the function and every argument's shape (numpy's own error names none)
    lp = make(3000.0, 1.3)
    with pytest.raises(ValueError, match=r"^hold_value: the arguments must broadcast to one shape, "
                                         r"got price \(3,\), entry_price \(2,\)$"):  # fmt: skip
        lp.hold_value(np.full(3, 3000.0), np.full(2, 3000.0))
    with pytest.raises(ValueError, match=r"^impermanent_loss_in_range: the arguments must broadcast "
                       r"to one shape, got price_ratio \(2,\), entry_price \(3,\), price_lower "
                       r"\(4,\), price_upper \(4,\)$"):  # fmt: skip
        impermanent_loss_in_range(np.full(2, 1.01), np.full(3, 3000.0), np.full(4, 2500.0),
                                  np.full(4, 3600.0))  # fmt: skip

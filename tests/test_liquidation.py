"""Liquidation boundaries: venue worked examples, edge cases, dense-grid completeness, monotonicity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpperp._validate import LpperpError
from lpperp.collateral import (
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
)
from lpperp.liquidation import (
    boundaries_after,
    boundary_map,
    health_map,
    liquidation_boundaries,
    solve_boundaries,
)
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)


def _rel_gap(acct, prices, market=None):
    """|equity - maintenance| relative to the size of the terms, at each price."""
    pr = prices if market is None else {**market, "ETH": prices}
    eq = np.asarray(acct.equity(pr))
    mm = np.asarray(acct.maintenance_requirement(pr))
    scale = np.abs(np.asarray(acct.collateral_value(pr))) + abs(acct.cash) + mm + np.abs(
        np.asarray(acct.notional(pr))
    )
    return np.abs(eq - mm) / np.maximum(scale, 1e-300)


def _grid_sign_changes(acct, lo=1e-3, hi=1e8, n=100_000):
    grid = np.logspace(np.log10(lo), np.log10(hi), n)
    g = np.asarray(acct.equity(grid)) - acct.maintenance_requirement(grid)
    idx = np.flatnonzero((g[:-1] >= 0) != (g[1:] >= 0))
    return grid, idx


# -- venue formulas with cash collateral ------------------------------------------------------------
def test_dydx_isolated_example():
    # dYdX v4 docs (concepts/trading/liquidations, isolated): e = 1000, s = -3, p = 3000, MMF 5 %
    # -> p' = (e - s p) / (|s| MMF - s) = 3174.60
    acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    res = acct.liquidation(3000.0)
    assert res.boundaries.tolist() == pytest.approx([3174.6031746], rel=1e-9)
    assert float(res.liquidation_price_above) == pytest.approx(3174.60, abs=0.005)
    assert np.isnan(res.liquidation_price_below)


def test_dydx_cross_example():
    # dYdX v4 docs (cross): e = 1000, s = -1.5, p = 3000, MMF 5 %, other positions' MMR_o = 175
    # -> p' = (e - s p - MMR_o) / (|s| MMF - s) = 3380.95. The other position: a BTC perp at its
    # entry (no PnL) with maintenance 175.
    btc = PerpPosition(0.1, 35_000.0, "BTC")
    acct = CrossAccount(
        perps=(PerpPosition(-1.5, 3000.0), btc),
        cash=1000.0,
        rules={"ETH": FLAT, "BTC": MarginRules("btc", 0.1, 0.05)},
    )
    price = {"ETH": 3000.0, "BTC": 35_000.0}
    assert acct.maintenance_requirement(price) == pytest.approx(225.0 + 175.0)
    res = acct.liquidation(price, market="ETH")
    assert float(res.liquidation_price_above) == pytest.approx(3380.95, abs=0.005)


@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from([-1, 1]),
    size=st.floats(0.01, 100.0),
    entry=st.floats(500.0, 5000.0),
    move=st.floats(-0.2, 0.2),
    lev=st.floats(1.0, 40.0),
    max_lev=st.sampled_from([3.0, 10.0, 25.0, 50.0]),
)
def test_hyperliquid_formula(side, size, entry, move, lev, max_lev):
    # Hyperliquid docs (trading/liquidations): liq = price - side * margin_available / size
    # / (1 - l * side), l = 1 / maintenance leverage (= MMF = 1 / (2 max lev)),
    # margin_available = account_value - maintenance margin, at the current mark price.
    rules = MarginRules.from_max_leverage(max_lev)
    mark = entry * (1 + move)
    cash = size * entry / lev
    acct = IsolatedAccount(PerpPosition(side * size, entry), cash=cash, rules=rules)
    av, mm = acct.equity(mark), acct.maintenance_requirement(mark)
    if av < mm:
        assert acct.is_liquidatable(mark)
        return
    l_ = rules.maintenance_fraction
    liq = mark - side * (av - mm) / size / (1 - l_ * side)
    res = acct.liquidation(mark)
    got = res.liquidation_price_below if side > 0 else res.liquidation_price_above
    if liq <= 1e-9 * mark:  # 1x long: liquidation at (or numerically near) zero
        assert np.isnan(got) or float(got) <= 1e-9 * mark
    else:
        assert float(got) == pytest.approx(liq, rel=1e-9)


def _binance(mmr, cum, floor_mmr=0.005):
    """A two-tier schedule whose upper tier has rate ``mmr`` and cum amount ``cum``."""
    floor = cum / (mmr - floor_mmr)
    return MarginRules("binance-like", 2 * floor_mmr, floor_mmr, (0.0, floor), (floor_mmr, mmr),
                       (2 * floor_mmr, 2 * mmr))


def _binance_lp(wb, tmm1, upnl1, cum, side, pos, ep, mmr):
    # Binance FAQ "How to calculate liquidation price of USDⓈ-M futures" (one-way mode)
    return (wb - tmm1 + upnl1 + cum - side * pos * ep) / (pos * mmr - side * pos)


def test_binance_faq_isolated_examples():
    # Binance FAQ example: WB 1535443.01; ETH 3683.979 @ 1456.84 (MMR 10 %, cum 135365)
    # -> 1114.78; BTC 109.488 @ 32481.98 (MMR 2.5 %, cum 16300) -> 18778.73.
    wb = 1535443.01
    eth = IsolatedAccount(PerpPosition(3683.979, 1456.84), cash=wb, rules=_binance(0.10, 135365))
    btc = IsolatedAccount(
        PerpPosition(109.488, 32481.98, "BTC"), cash=wb, rules=_binance(0.025, 16300)
    )
    liq_eth = float(eth.liquidation(1456.84).liquidation_price_below)
    liq_btc = float(btc.liquidation(32481.98).liquidation_price_below)
    assert liq_eth == pytest.approx(1114.78, abs=0.005)
    assert liq_btc == pytest.approx(18778.73, abs=0.005)
    assert liq_eth == pytest.approx(
        _binance_lp(wb, 0, 0, 135365, 1, 3683.979, 1456.84, 0.10), rel=1e-12
    )


def test_binance_faq_cross_examples():
    # Binance FAQ, cross: ETH with TMM1 = 71200.81144, UPNL1 = -56354.57 (the BTC position)
    # -> 1153.26; BTC with TMM1 = 356512.508, UPNL1 = -448192.89 (the ETH position) -> 26316.89.
    wb = 1535443.01
    eth_pos, btc_pos = PerpPosition(3683.979, 1456.84, "ETH"), PerpPosition(109.488, 32481.98, "BTC")
    # marks at which the *other* position has the FAQ's PnL; a flat rate giving its TMM1 there
    btc_mark = 32481.98 - 56354.57 / 109.488
    eth_mark = 1456.84 - 448192.89 / 3683.979
    acct_eth = CrossAccount(
        (eth_pos, btc_pos), cash=wb,
        rules={"ETH": _binance(0.10, 135365),
               "BTC": MarginRules("b", 1.0, 71200.81144 / (109.488 * btc_mark))},
    )
    res = acct_eth.liquidation({"ETH": 1456.84, "BTC": btc_mark}, market="ETH")
    assert float(res.liquidation_price_below) == pytest.approx(1153.26, abs=0.005)
    acct_btc = CrossAccount(
        (eth_pos, btc_pos), cash=wb,
        rules={"BTC": _binance(0.025, 16300),
               "ETH": MarginRules("e", 1.0, 356512.508 / (3683.979 * eth_mark))},
    )
    res = acct_btc.liquidation({"ETH": eth_mark, "BTC": 32481.98}, market="BTC")
    assert float(res.liquidation_price_below) == pytest.approx(26316.89, abs=0.005)


def test_tiers_changing_at_the_boundary():
    # Entry notional in a low tier, liquidation notional in a higher one: Binance says recompute
    # with the tier at the liquidation price; the piecewise solve does this by construction.
    rules = MarginRules("t", 0.02, 0.01, (0.0, 60_000.0), (0.01, 0.10), (0.02, 0.2))
    acct = IsolatedAccount(PerpPosition(-18.0, 3000.0), cash=10_000.0, rules=rules)  # 54k notional
    assert rules.tier_index(acct.notional(3000.0)) == 0
    liq = float(acct.liquidation(3000.0).liquidation_price_above)
    assert rules.tier_index(acct.notional(liq)) == 1
    _, rates, ded = rules.maintenance_pieces()
    # Binance formula with the liquidation tier (side = -1, isolated)
    expect = _binance_lp(10_000.0, 0, 0, ded[1], -1, 18.0, 3000.0, rates[1])
    assert liq == pytest.approx(expect, rel=1e-12)
    assert _rel_gap(acct, np.array([liq]))[0] < 1e-12


# -- edge cases -------------------------------------------------------------------------------------
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)


def test_no_perp_with_debt_liquidated_when_lp_worth_less_than_debt():
    acct = IsolatedAccount(None, LP, cash=-6000.0)
    res = acct.liquidation(P0)
    b = float(res.liquidation_price_below)
    assert LP.value(b) == pytest.approx(6000.0, rel=1e-12)
    assert np.isinf(res.safe_upper) and res.boundaries.size == 1
    assert np.isinf(acct.health(P0))


def test_no_perp_no_debt_never_liquidatable():
    res = IsolatedAccount(None, LP, cash=0.0).liquidation(P0)
    assert res.boundaries.size == 0
    assert (float(res.safe_lower), float(res.safe_upper)) == (0.0, np.inf)
    assert float(res.distance_pct) == np.inf


def test_zero_size_perp():
    acct = IsolatedAccount(PerpPosition(0.0, P0), LP, cash=100.0)
    res = acct.liquidation(P0)
    assert res.boundaries.size == 0 and not bool(res.liquidatable_now)


def test_lp_fully_out_of_range_is_linear():
    # Current price below the range: the LP is all base, the account a long in disguise.
    lp = LPPosition(3500.0, 4000.0, 2000.0)
    base = lp.amounts(P0)[0]
    acct = IsolatedAccount(PerpPosition(-0.5 * base, P0), lp, cash=-5000.0, rules=FLAT)
    res = acct.liquidation(P0)
    # below the range: g = base P - 5000 - 0.5 base (P - P0) - 0.05 * 0.5 base P (linear)
    expect = (5000.0 - 0.5 * base * P0) / (base - 0.5 * base - 0.025 * base)
    assert 0 < expect < P0
    assert float(res.liquidation_price_below) == pytest.approx(expect, rel=1e-12)


def test_cf_zero_reduces_to_cash_only():
    acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), LP, 1000.0, StaticFactor(0.0), FLAT)
    cash_only = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    np.testing.assert_allclose(acct.liquidation(P0).boundaries,
                               cash_only.liquidation(P0).boundaries, rtol=1e-12)


def test_already_liquidatable():
    acct = IsolatedAccount(PerpPosition(-30.0, 2000.0), LP, rules=FLAT)
    res = acct.liquidation(P0)
    assert bool(res.liquidatable_now) and acct.is_liquidatable(P0)
    assert np.isnan(res.safe_lower) and np.isnan(res.safe_upper)
    assert float(res.distance_pct) == 0.0
    assert res.boundaries.size >= 1


def test_never_liquidatable_delta_hedged_lp_with_cash():
    acct = IsolatedAccount(None, LP, cash=1e6)
    assert liquidation_boundaries(acct, P0).boundaries.size == 0


def test_boundary_exactly_on_range_edge():
    # choose the cash so that equity == maintenance exactly at price_lower
    q = 8.0
    pa = LP.price_lower
    cash = FLAT.maintenance_margin(q * pa) - LP.value(pa) - q * (pa - P0)
    acct = IsolatedAccount(PerpPosition(q, P0), LP, cash=cash, rules=FLAT)
    res = acct.liquidation(P0)
    assert res.boundaries.size == 1  # found once, not twice from both sides
    assert float(res.liquidation_price_below) == pytest.approx(pa, rel=1e-12)


def test_current_price_exactly_on_boundary():
    acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    b = float(acct.liquidation(3000.0).liquidation_price_above)
    res = acct.liquidation(b)
    assert not bool(res.liquidatable_now) or _rel_gap(acct, np.array([b]))[0] < 1e-12


def test_debt_and_short_hedge_gives_a_safe_band():
    # LP bought partly with borrowed USDC (negative cash) and its delta shorted: liquidated both
    # when ETH falls (collateral < debt) and when it rallies (short loses).
    delta = LP.delta(P0)
    acct = IsolatedAccount(PerpPosition(-delta, P0), LP, cash=-7000.0, rules=FLAT)
    res = acct.liquidation(P0)
    lo, hi = float(res.safe_lower), float(res.safe_upper)
    assert 0 < lo < P0 < hi < np.inf
    assert res.safe_intervals() == [(lo, hi)]
    assert np.all(_rel_gap(acct, res.boundaries) < 1e-12)


def test_safe_intervals_alternate():
    delta = LP.delta(P0)
    acct = IsolatedAccount(PerpPosition(-delta, P0), LP, cash=-7000.0, rules=FLAT)
    res = acct.liquidation(P0)
    grid = np.logspace(1, 5, 2001)
    safe = ~np.asarray(acct.is_liquidatable(grid))
    inside = np.zeros_like(safe)
    for lo, hi in res.safe_intervals():
        inside |= (grid > lo) & (grid < hi)
    assert np.array_equal(safe, inside)


# -- random accounts: exactness and completeness ----------------------------------------------------
# sizes of 0 or at least 1e-9 base units: subnormal sizes (5e-324 ETH) lose all precision
SIZES = st.one_of(st.just(0.0), st.floats(1e-9, 40.0), st.floats(-40.0, -1e-9))
MODELS = st.one_of(
    st.floats(0.0, 1.0).map(StaticFactor),
    st.builds(TokenMinFactor, st.floats(0.5, 1.0), st.floats(0.5, 1.0), st.floats(0.5, 1.0)),
    st.builds(RangeAwareFactor, st.floats(0.0, 50.0), st.floats(0.3, 1.0), st.floats(0.3, 1.0)),
    st.builds(VolatilityScaledFactor, st.floats(0.0, 3.0), st.floats(0.0, 0.05)),
)


@st.composite
def accounts(draw):
    lo = draw(st.floats(200.0, 6000.0))
    width = draw(st.floats(1.001, 5.0))
    lp = LPPosition(lo, lo * width, draw(st.floats(0.0, 5000.0)))
    perp = PerpPosition(draw(SIZES), draw(st.floats(1000.0, 5000.0)))
    return IsolatedAccount(
        perp,
        lp,
        cash=draw(st.floats(-30_000.0, 30_000.0)),
        collateral=draw(MODELS),
        rules=draw(st.sampled_from([FLAT, TIERED])),
        accrued_fees=draw(st.floats(0.0, 500.0)),
        funding_paid=draw(st.floats(-500.0, 500.0)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts(), st.floats(500.0, 6000.0))
def test_boundaries_exact_and_complete(acct, price):
    res = acct.liquidation(price)
    b = res.boundaries[np.isfinite(res.boundaries)]
    assert np.all(np.diff(b) > 0)
    assert np.all(_rel_gap(acct, b) < 1e-9)
    grid, idx = _grid_sign_changes(acct)
    for j in idx:  # every sign change on the dense grid brackets a boundary
        assert np.any((b >= grid[j] * (1 - 1e-9)) & (b <= grid[j + 1] * (1 + 1e-9))), (j, b)
    # every boundary within the grid is a real crossing (sign differs a little either side)
    assert len(b[(b > grid[0]) & (b < grid[-1])]) >= len(idx)
    # the safe interval contains the price and is safe inside
    if not bool(res.liquidatable_now):
        lo, hi = float(res.safe_lower), float(res.safe_upper)
        assert lo <= price <= hi
        inside = np.geomspace(max(lo, 1e-3), min(hi, 1e8), 50)[1:-1]
        assert not np.any(acct.is_liquidatable(inside))
    else:
        assert acct.is_liquidatable(price)


@settings(max_examples=40, deadline=None)
@given(accounts(), st.floats(500.0, 6000.0), st.floats(0.0, 20_000.0))
def test_more_collateral_never_moves_a_boundary_toward_the_price(acct, price, extra):
    from dataclasses import replace

    r1 = acct.liquidation(price)
    r2 = replace(acct, cash=acct.cash + extra).liquidation(price)
    if not bool(r1.liquidatable_now):
        assert not bool(r2.liquidatable_now)
        assert float(r2.safe_lower) <= float(r1.safe_lower) * (1 + 1e-12)
        assert float(r2.safe_upper) >= float(r1.safe_upper) * (1 - 1e-12)


@settings(max_examples=40, deadline=None)
@given(accounts(), st.floats(500.0, 6000.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_higher_factor_never_moves_a_boundary_toward_the_price(acct, price, cf1, cf2):
    from dataclasses import replace

    lo_cf, hi_cf = sorted((cf1, cf2))
    r1 = replace(acct, collateral=StaticFactor(lo_cf)).liquidation(price)
    r2 = replace(acct, collateral=StaticFactor(hi_cf)).liquidation(price)
    if not bool(r1.liquidatable_now):
        assert float(r2.safe_lower) <= float(r1.safe_lower) * (1 + 1e-12)
        assert float(r2.safe_upper) >= float(r1.safe_upper) * (1 - 1e-12)


@settings(max_examples=30, deadline=None)
@given(accounts(), st.floats(500.0, 6000.0))
def test_cross_with_one_position_equals_isolated(acct, price):
    iso, cross = acct.liquidation(price), acct.as_cross().liquidation(price)
    np.testing.assert_allclose(cross.boundaries, iso.boundaries, rtol=1e-12)
    assert float(cross.safe_lower) == pytest.approx(float(iso.safe_lower), rel=1e-12, nan_ok=True)


# -- numeric path (no closed form) ------------------------------------------------------------------
def test_function_factor_matches_closed_form_for_a_constant():
    acct = IsolatedAccount(PerpPosition(6.0, P0), LP, cash=-1000.0, rules=TIERED)
    const = IsolatedAccount(
        PerpPosition(6.0, P0), LP, cash=-1000.0, rules=TIERED,
        collateral=FunctionFactor(lambda p: np.full(np.shape(p), 0.8)),
    )
    closed = acct.__class__(acct.perp, LP, -1000.0, StaticFactor(0.8), TIERED).liquidation(P0)
    numeric = const.liquidation(P0)
    np.testing.assert_allclose(numeric.boundaries, closed.boundaries, rtol=1e-10)


def test_function_factor_price_dependent_boundaries_exact():
    ramp = FunctionFactor(lambda p: np.clip(1.2 - p / 5000.0, 0.2, 0.9), name="ramp")
    acct = IsolatedAccount(PerpPosition(-2.0, P0), LP, cash=-2000.0, collateral=ramp, rules=FLAT)
    res = acct.liquidation(P0)
    b = res.boundaries[np.isfinite(res.boundaries)]
    assert b.size >= 1 and np.all(_rel_gap(acct, b) < 1e-9)
    _, idx = _grid_sign_changes(acct, 1.0, 1e6, 100_000)
    assert len(idx) == b.size


# -- array API, maps and drift ----------------------------------------------------------------------
def test_solve_boundaries_matches_accounts():
    rng = np.random.default_rng(7)
    n = 200
    pa = rng.uniform(1000, 3000, n)
    pb = pa * rng.uniform(1.05, 3.0, n)
    liq = rng.uniform(0, 2000, n)
    size = rng.normal(0, 10, n)
    cash = rng.normal(0, 3000, n)
    res = solve_boundaries(P0, size, P0, cash, price_lower=pa, price_upper=pb, liquidity=liq,
                           rules=TIERED, base_factor=0.9, quote_factor=0.9)
    for i in range(0, n, 17):
        acct = IsolatedAccount(PerpPosition(size[i], P0), LPPosition(pa[i], pb[i], liq[i]), cash[i],
                               StaticFactor(0.9), TIERED)
        one = acct.liquidation(P0)
        got = res.boundaries[i][np.isfinite(res.boundaries[i])]
        np.testing.assert_allclose(got, one.boundaries, rtol=1e-12)


def test_price_array_gives_same_boundaries_and_per_price_intervals():
    acct = IsolatedAccount(PerpPosition(-LP.delta(P0), P0), LP, cash=-7000.0, rules=FLAT)
    prices = np.array([1000.0, 3000.0, 9000.0])
    res = acct.liquidation(prices)
    assert res.boundaries.shape[0] == 3
    np.testing.assert_allclose(res.boundaries[0], res.boundaries[1])
    assert res.liquidatable_now.tolist() == [True, False, True]


def test_boundary_map_entries_equal_single_solves():
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    widths = np.linspace(5, 50, 7)
    levs = np.linspace(0.5, 5, 5)
    m = boundary_map(acct, P0, "width_pct", widths, "account_leverage", levs)
    assert m.safe_upper.shape == (7, 5)
    i, j = 3, 2
    lp = LPPosition.from_deposit(LP.value(P0), P0, width_pct=widths[i])
    size = -levs[j] * lp.value(P0) / P0
    one = IsolatedAccount(PerpPosition(size, P0), lp, rules=FLAT).liquidation(P0)
    assert float(m.safe_upper[i, j]) == pytest.approx(float(one.safe_upper), rel=1e-10)
    # wider range -> the short's liquidation price does not fall (LP holds more quote above)
    cf = boundary_map(acct, P0, "cf", np.linspace(0.1, 1.0, 10))
    assert np.all(np.diff(cf.safe_upper) >= 0)


def test_health_map_matches_account_health():
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=TIERED)
    prices = np.linspace(2000, 5000, 31)
    h = health_map(acct, prices, "cash", [0.0, 1000.0], price=P0)
    np.testing.assert_allclose(h[0], acct.health(prices), rtol=1e-12)


def test_boundaries_after_tau_years_equal_accrued_account():
    from dataclasses import replace

    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    res = boundaries_after(acct, P0, tau_years=[0.0, 30 / 365], fee_apr=0.3, funding_rate_per_year=-0.1)
    tau = 30 / 365
    fees = LP.fee_income(P0, tau, fee_apr=0.3)
    funding = acct.perp.funding_payment(P0, tau, -0.1)
    later = replace(acct, accrued_fees=fees, funding_paid=funding).liquidation(P0)
    assert float(res.safe_upper[1]) == pytest.approx(float(later.safe_upper), rel=1e-12)
    assert float(res.safe_upper[1]) > float(res.safe_upper[0])  # fees + funding received help


def test_repr_html_is_a_table():
    res = IsolatedAccount(PerpPosition(-6.0, P0), LP).liquidation(P0)
    assert res._repr_html_().startswith("<table>")


def test_seed_scenario_eth_usdc_lp_on_arbitrum_as_margin_for_a_2x_perp():
    # $10,000 deposited at 3000 over +/-20 % (WETH/USDC on Arbitrum) backing a 2x ETH perp on
    # Hyperliquid's ETH rules (MMF 2 %). Both boundaries fall outside the range, where the LP is
    # a single asset, so they have one-line closed forms.
    from lpperp.units import WETH_USDC_ARBITRUM
    from lpperp.venues import HYPERLIQUID_ETH

    lp = LPPosition.from_deposit(10_000.0, P0, width_pct=20, pool=WETH_USDC_ARBITRUM)
    q = 2 * 10_000.0 / P0
    m = HYPERLIQUID_ETH.maintenance_fraction
    sa, sb = np.sqrt(lp.price_lower), np.sqrt(lp.price_upper)
    quote_all = lp.liquidity * (sb - sa)  # above the range: all USDC
    base_all = lp.liquidity * (1 / sa - 1 / sb)  # below the range: all ETH
    short = IsolatedAccount(PerpPosition(-q, P0), lp, rules=HYPERLIQUID_ETH)
    long = IsolatedAccount(PerpPosition(q, P0), lp, rules=HYPERLIQUID_ETH)
    # short: quote_all - q (P - E) = m q P
    expect_short = (quote_all + q * P0) / (q + m * q)
    # long: base_all P + q (P - E) = m q P
    expect_long = q * P0 / (base_all + q - m * q)
    assert float(short.liquidation(P0).liquidation_price_above) == pytest.approx(expect_short,
                                                                                 rel=1e-12)
    assert float(long.liquidation(P0).liquidation_price_below) == pytest.approx(expect_long,
                                                                                rel=1e-12)
    assert short.health(P0) == pytest.approx(10_000.0 / (m * q * P0))
    assert expect_short == pytest.approx(4475.23, abs=0.01)
    assert expect_long == pytest.approx(1983.69, abs=0.01)
    # cross with $5,000 more in the wallet: further away, and equal to isolated with that cash
    cross = CrossAccount((PerpPosition(-q, P0),), (lp,), cash=5000.0, rules=HYPERLIQUID_ETH)
    iso_cash = IsolatedAccount(PerpPosition(-q, P0), lp, cash=5000.0, rules=HYPERLIQUID_ETH)
    b = float(cross.liquidation(P0).liquidation_price_above)
    assert b == pytest.approx(float(iso_cash.liquidation(P0).liquidation_price_above), rel=1e-12)
    assert b > expect_short


@settings(max_examples=80, deadline=None)
@given(
    side=st.sampled_from([-1.0, 1.0]),
    size=st.floats(0.1, 50_000.0),
    entry=st.floats(1000.0, 5000.0),
    lev=st.floats(1.2, 100.0),
)
def test_cash_only_equals_binance_tiered_formula_on_the_real_brackets(side, size, entry, lev):
    # Binance FAQ formula with the tier re-checked at the liquidation price, on the 12 ETHUSDT
    # brackets (lpperp.venues, an independent implementation), vs the piecewise closed form.
    from lpperp.venues import BINANCE_ETHUSDT, binance_liquidation_price_tiered

    floors, rates, _ = BINANCE_ETHUSDT.maintenance_pieces()
    wallet = size * entry / lev
    acct = IsolatedAccount(PerpPosition(side * size, entry), cash=wallet, rules=BINANCE_ETHUSDT)
    if acct.is_liquidatable(entry):
        return
    expect = binance_liquidation_price_tiered(wallet, side * size, entry, list(floors),
                                              list(rates))
    res = acct.liquidation(entry)
    got = res.liquidation_price_below if side > 0 else res.liquidation_price_above
    if np.isnan(expect) or expect <= 0:
        assert np.isnan(got)
    else:
        assert float(got) == pytest.approx(float(expect), rel=1e-9)


@st.composite
def cross_accounts(draw):
    lps, models = [], []
    for _ in range(draw(st.integers(0, 3))):
        lo = draw(st.floats(300.0, 6000.0))
        lps.append(LPPosition(lo, lo * draw(st.floats(1.001, 4.0)), draw(st.floats(0.0, 3000.0))))
        models.append(draw(MODELS))
    perps = tuple(
        PerpPosition(draw(SIZES), draw(st.floats(1000.0, 5000.0)))
        for _ in range(draw(st.integers(0, 3)))
    )
    return CrossAccount(perps, tuple(lps), draw(st.floats(-30_000.0, 30_000.0)), tuple(models),
                        draw(st.sampled_from([FLAT, TIERED])))


@settings(max_examples=40, deadline=None)
@given(cross_accounts(), st.floats(500.0, 6000.0))
def test_cross_boundaries_exact_and_complete(acct, price):
    # several LPs and perps in one market: the general (sorted breakpoints) kernel
    res = acct.liquidation(price)
    b = res.boundaries[np.isfinite(res.boundaries)]
    assert np.all(np.diff(b) > 0)
    assert np.all(_rel_gap(acct, b) < 1e-9)
    grid, idx = _grid_sign_changes(acct)
    for j in idx:
        assert np.any((b >= grid[j] * (1 - 1e-9)) & (b <= grid[j + 1] * (1 + 1e-9))), (j, b)
    if not bool(res.liquidatable_now):
        lo, hi = float(res.safe_lower), float(res.safe_upper)
        assert lo <= price <= hi
        inside = np.geomspace(max(lo, 1e-3), min(hi, 1e8), 50)[1:-1]
        assert not np.any(acct.is_liquidatable(inside))


def test_fast_kernel_blocks_and_general_kernel_agree(monkeypatch):
    # the same random accounts through one block, many small blocks, and the general kernel
    import lpperp._boundary_fast as fast
    from lpperp._boundary_kernels import general_kernel

    rng = np.random.default_rng(11)
    n = 3000
    pa = rng.uniform(500, 4000, n)
    args = dict(price_lower=pa, price_upper=pa * rng.uniform(1.01, 3, n),
                liquidity=rng.uniform(0, 2000, n) * (rng.random(n) < 0.9), rules=TIERED,
                shock=rng.uniform(0.7, 1.0, n), base_factor=rng.uniform(0, 1, n),
                quote_factor=rng.uniform(0, 1, n))
    size, cash = rng.normal(0, 8, n), rng.normal(0, 8000, n)
    one = solve_boundaries(P0, size, P0, cash, **args)
    monkeypatch.setattr(fast, "_CHUNK", 257)
    many = solve_boundaries(P0, size, P0, cash, **args)
    np.testing.assert_array_equal(one.boundaries, many.boundaries)
    np.testing.assert_array_equal(one.safe_lower, many.safe_lower)
    # general kernel on the same accounts
    f, r, d = TIERED.maintenance_pieces()
    col = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (n,))[:, None]  # noqa: E731
    bnd, _ = general_kernel(np.full(n, P0), col(args["price_lower"]), col(args["price_upper"]),
                            col(args["liquidity"]), col(args["shock"]), col(args["base_factor"]),
                            col(args["quote_factor"]), size[:, None], cash - size * P0, f, r, d)
    width = max(bnd.shape[1], one.boundaries.shape[1])
    pad = lambda b: np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=np.nan)  # noqa: E731
    np.testing.assert_allclose(pad(one.boundaries), pad(bnd), rtol=1e-10)


# --- regressions found in review --------------------------------------------------------------
def _map_account():
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    return IsolatedAccount(PerpPosition(-6.0, 3000.0), lp)


@pytest.mark.parametrize("bad", [np.nan, None, "1000", [1000.0, np.inf], True])
def test_map_values_are_validated(bad):
    """NaN/None values gave silent NaN maps and "1000" was read as a number."""
    acct = _map_account()
    with pytest.raises(ValueError, match="values must be"):
        boundary_map(acct, 3000.0, "cash", bad)
    with pytest.raises(ValueError, match="values2 must be"):
        boundary_map(acct, 3000.0, "cash", [0.0], "size", bad)
    with pytest.raises(ValueError, match="values must be"):
        health_map(acct, [2900.0, 3000.0], "cash", bad)


def test_health_map_empty_prices_is_a_clear_error():
    with pytest.raises(ValueError, match="prices must hold at least one price"):
        health_map(_map_account(), [], "cash", [0.0])


# ---------------------------------------------------------------------------------------------
# What a liquidation takes (settlement): identity, the LP unwind, venues side by side
# ---------------------------------------------------------------------------------------------
from lpperp.liquidation import compare_liquidations, settle_liquidation  # noqa: E402
from lpperp.settlement import default_unwind_cost  # noqa: E402
from lpperp.venues import MECHANICS, get_venue  # noqa: E402

_finite = dict(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(sorted(MECHANICS)),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    gap=st.floats(-0.5, 1.5, **_finite),
)
def test_settlement_identity_on_every_path(name, n, seed, gap):
    """true_equity == owner_keeps + close + unwind + liquidator + insurance + backstop - bad debt."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(500.0, 8000.0, n)
    size = rng.uniform(-200.0, 200.0, n)
    mm = 0.02 * np.abs(size) * p
    s = settle_liquidation(
        MECHANICS[name], price=p, lp_base=rng.uniform(0, 50, n), lp_quote=rng.uniform(0, 1e5, n),
        cash=rng.uniform(-1e5, 5e4, n), perp_size=size, perp_entry_price=rng.uniform(500, 8000, n),
        fees=rng.uniform(0, 500, n), funding_paid=rng.uniform(-500, 500, n), maintenance=mm,
        venue_equity=gap * mm, gas_quote=rng.uniform(0, 5, n),
        collateral_value=rng.uniform(0, 1e5, n),
    )
    parts = (s.owner_keeps + s.perp_close_cost + s.lp_unwind_cost + s.to_liquidator
             + s.to_insurance + s.to_backstop - s.bad_debt)
    scale = np.maximum(np.abs(s.true_equity), 1.0) + np.abs(size) * p
    assert np.all(np.abs(parts - s.true_equity) <= 1e-9 * scale)
    assert np.all(s.owner_keeps >= 0) and np.all(s.bad_debt >= 0) and np.all(s.lp_unwind_cost >= 0)
    assert np.all((s.closed_fraction >= 0) & (s.closed_fraction <= 1))
    assert s.true_equity.shape == (n,)


def test_settlement_sells_the_seized_base_through_the_pool():
    """A long LP account whose LP is mostly ETH: the loss is paid by selling base, fee + impact."""
    m = MECHANICS["gmx"]
    kw = dict(price=2000.0, lp_base=5.0, lp_quote=100.0, cash=0.0, perp_size=-10.0,
              perp_entry_price=1500.0, fees=0.0, funding_paid=0.0, maintenance=100.0)
    s = settle_liquidation(m, **kw)
    loss = 10.0 * 500.0 + s.perp_close_cost + s.to_insurance  # paid from 100 quote + base sold
    sold = (loss - 100.0 + s.lp_unwind_cost) / 2000.0
    assert s.lp_unwind_cost == pytest.approx(default_unwind_cost(2000.0, sold), rel=1e-9)
    assert s.lp_unwind_cost > 0.0005 * sold * 2000.0  # at least the pool fee on the input
    with_gas = settle_liquidation(m, **kw, gas_quote=3.0)
    assert with_gas.lp_unwind_cost == pytest.approx(s.lp_unwind_cost + 3.0)
    assert with_gas.owner_keeps == pytest.approx(s.owner_keeps - 3.0)


def test_settlement_gap_through_the_boundary_is_bad_debt():
    m = MECHANICS["gmx"]
    s = settle_liquidation(m, price=4000.0, lp_base=0.0, lp_quote=1000.0, cash=0.0,
                           perp_size=-2.0, perp_entry_price=3000.0, fees=0.0, funding_paid=0.0,
                           maintenance=40.0, venue_equity=-1000.0)
    assert s.true_equity == pytest.approx(-1000.0)
    assert s.owner_keeps == 0.0
    assert s.bad_debt == pytest.approx(1000.0 + s.perp_close_cost + s.to_insurance)


def test_settlement_refuses_bad_input():
    with pytest.raises(ValueError, match="mechanics"):
        settle_liquidation("gmx", price=1.0, lp_base=0, lp_quote=0, cash=0, perp_size=0,
                           perp_entry_price=1.0, fees=0, funding_paid=0, maintenance=0)
    with pytest.raises(ValueError, match="lp_base"):
        settle_liquidation(MECHANICS["gmx"], price=1.0, lp_base=-1.0, lp_quote=0, cash=0,
                           perp_size=0, perp_entry_price=1.0, fees=0, funding_paid=0,
                           maintenance=0)
    # shapes that do not broadcast are named (numpy's ValueError escaped; found by walking
    # settlement.__all__ with tests/test_fuzz.py's values)
    with pytest.raises(LpperpError, match="settle_liquidation: the arguments must broadcast"):
        settle_liquidation(MECHANICS["gmx"], price=[1.0, 2.0, 3.0], lp_base=[1.0, 2.0], lp_quote=0,
                           cash=0, perp_size=0, perp_entry_price=1.0, fees=0, funding_paid=0,
                           maintenance=0)
    with pytest.raises(LpperpError, match="default_unwind_cost: the arguments must broadcast"):
        default_unwind_cost([2500.0, 3000.0, 3600.0], np.ones((2, 2)))
    with pytest.raises(LpperpError, match=r"fee_fraction must be a fraction in \[0, 1\)"):
        default_unwind_cost(3000.0, -1.0, fee_fraction=1.0)  # a 100 % fee: no base to buy


def test_same_account_liquidated_differently_on_two_venues():
    """Hyperliquid docs: positions above 100k USDC are liquidated 20 % at a time with no fee on
    book liquidations; GMX v2 (DecreasePositionUtils + liquidationFeeFactor 0.2 %) closes the
    whole position and charges 0.2 % of it. Same $100k LP, 2x short, Revert's factor."""
    from lpperp.collateral import REVERT_LEND_ARBITRUM_WETH_USDC as revert

    lp = LPPosition.from_deposit(100_000.0, P0, width_pct=20)
    acct = IsolatedAccount(PerpPosition(-66.67, P0), lp, collateral=revert)
    cmp = compare_liquidations(acct, P0, venues=("hyperliquid", "gmx"))
    hl, gmx = cmp["hyperliquid"], cmp["gmx"]
    assert hl.closed_fraction == 0.2 and gmx.closed_fraction == 1.0
    assert hl.to_insurance == 0.0
    assert gmx.to_insurance == pytest.approx(0.002 * 66.67 * gmx.trigger_price)
    # each trigger is where the venue's own maintenance meets the weighted equity
    for name, o in (("hyperliquid", hl), ("gmx", gmx)):
        mm = get_venue(name).maintenance_margin(66.67 * o.trigger_price)
        assert o.maintenance == pytest.approx(mm, rel=1e-9)
        assert o.venue_equity == pytest.approx(mm, rel=1e-7)
    table = cmp.table()
    assert table["closed_fraction"] == [0.2, 1.0]
    assert "<table>" in cmp._repr_html_() and "GMX v2" in str(cmp)
    with pytest.raises(ValueError, match="venue must be one of"):
        cmp["ftx"]


def test_default_unwind_pool_is_the_swap_engines_uniform_profile():
    from lpperp.settlement import DEFAULT_POOL_FEE_FRACTION, DEFAULT_POOL_TVL_QUOTE
    from lpperp.swap import LiquidityProfile, execution_cost

    for price in (800.0, 3000.0, 12_000.0):
        liq = DEFAULT_POOL_TVL_QUOTE / (2 * np.sqrt(price))
        prof = LiquidityProfile.uniform(price, liq, DEFAULT_POOL_FEE_FRACTION)
        base = np.array([1e-3, 1.0, 50.0, 2000.0, -3.0])
        np.testing.assert_allclose(default_unwind_cost(price, base),
                                   execution_cost(prof, price, base), rtol=1e-9)


def test_settlement_takes_a_real_liquidity_profile():
    from lpperp.swap import LiquidityProfile

    thin = LiquidityProfile.thin(2000.0, 2e4, 0.003) if hasattr(LiquidityProfile, "thin") else None
    prof = thin or LiquidityProfile.uniform(2000.0, 2e4, 0.003)
    kw = dict(price=2000.0, lp_base=5.0, lp_quote=100.0, cash=0.0, perp_size=-10.0,
              perp_entry_price=1500.0, fees=0.0, funding_paid=0.0, maintenance=100.0)
    deep = settle_liquidation(MECHANICS["gmx"], **kw)
    shallow = settle_liquidation(MECHANICS["gmx"], **kw, profile=prof)
    assert shallow.lp_unwind_cost > deep.lp_unwind_cost
    assert shallow.owner_keeps == pytest.approx(
        deep.owner_keeps - (shallow.lp_unwind_cost - deep.lp_unwind_cost), rel=1e-9)
    with pytest.raises(ValueError, match="profile"):
        settle_liquidation(MECHANICS["gmx"], **kw, profile="deep")


def test_accounts_hand_the_solver_a_public_record_and_import_nothing_below():
    """DESIGN: the boundary solver gets a public, typed problem record; no upward import."""
    import inspect
    import re

    import lpperp.boundary
    import lpperp.margin
    from lpperp.boundary import BoundaryProblem, solve_problem

    def imported(module) -> set[str]:
        # every `from X import` / `import X`, at any indentation (imports inside functions count);
        # a regex, not ast.parse: under mutation testing margin.py is ~4 MB of generated mutants
        # and parsing it cost ~5 s for every surviving mutant that runs this test
        src = inspect.getsource(module)
        return {a or b for a, b in re.findall(r"^\s*from\s+([\w.]+)\s+import|^\s*import\s+([\w.]+)",
                                              src, re.M)}

    assert "lpperp.boundary" in imported(lpperp.margin)  # the scan sees margin's own imports
    assert "lpperp.liquidation" not in imported(lpperp.margin)
    assert "lpperp.margin" not in imported(lpperp.boundary)
    acct = IsolatedAccount(PerpPosition(-3.0, P0), cash=1000.0, rules=MarginRules("x", 0.1, 0.05))
    prob = acct.boundary_problem(P0)
    assert isinstance(prob, BoundaryProblem) and prob.closed_form
    assert solve_problem(prob).boundaries.tolist() == liquidation_boundaries(acct, P0).boundaries.tolist()
    assert not hasattr(acct, "_kernel_inputs")
    with pytest.raises(ValueError, match="BoundaryProblem"):
        solve_problem({"P0": P0})


def test_map_parameter_leverage_is_renamed_account_leverage():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LPPosition.from_deposit(1e4, P0, width_pct=20))
    new = boundary_map(acct, P0, "account_leverage", [1.0, 2.0])
    with pytest.warns(DeprecationWarning, match="account_leverage"):
        old = boundary_map(acct, P0, "leverage", [1.0, 2.0])
    np.testing.assert_array_equal(new.boundaries, old.boundaries)
    with pytest.warns(DeprecationWarning, match="account_leverage"):
        health_map(acct, [2000.0, 4000.0], "leverage", [1.0], price=P0)
    # account_leverage is notional / equity at the price, as the account reports it
    q = IsolatedAccount(PerpPosition(-1.0, P0), acct.lp).equity(P0) * 2.0 / P0
    assert new.price.shape == (2,)
    resized = IsolatedAccount(PerpPosition(-q, P0), acct.lp)
    assert resized.account_leverage(P0) == pytest.approx(2.0)
    assert float(new.safe_upper[1]) == pytest.approx(
        float(resized.liquidation(P0).safe_upper), rel=1e-9)


def test_compare_liquidations_with_a_lender_and_bad_names():
    from lpperp.collateral import REVERT_LEND_ARBITRUM_WETH_USDC as revert

    lp = LPPosition.from_deposit(10_000.0, P0, width_pct=20)
    loan = IsolatedAccount(None, lp, cash=-7_000.0, collateral=revert)
    cmp = compare_liquidations(loan, P0, venues=("revert", "gmx"))
    r = cmp["revert"]
    # at the boundary the weighted collateral equals the debt: Revert's minimum penalty, 2 %
    assert r.venue_equity == pytest.approx(0.0, abs=1e-6)
    assert r.to_liquidator + r.lp_unwind_cost == pytest.approx(0.02 * 7_000.0, rel=1e-9)
    assert r.owner_keeps == pytest.approx(r.true_equity - 0.02 * 7_000.0, rel=1e-9)
    with pytest.raises(ValueError, match="mechanics must be one of"):
        compare_liquidations(loan, P0, venues=("ftx",))
    with pytest.raises(ValueError, match="at least one"):
        compare_liquidations(loan, P0, venues=())
    with pytest.raises(ValueError, match="IsolatedAccount or CrossAccount"):
        compare_liquidations("acct", P0)


# --- one name per idea (issue 11) -------------------------------------------------------------
def test_old_keywords_warn_and_give_the_same_boundaries():
    """days -> tau_years (converted: days / 365), w_base/w_quote -> base_factor/quote_factor, and the
    map parameter 'days' -> 'tau_years': the old names work one release with a DeprecationWarning."""
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    new = boundaries_after(acct, P0, tau_years=[0.0, 30 / 365], fee_apr=0.3, funding_rate_per_year=-0.1)
    with pytest.warns(DeprecationWarning, match="tau_years"):
        old = boundaries_after(acct, P0, days=[0.0, 30.0], fee_apr=0.3, funding_rate_per_year=-0.1)
    np.testing.assert_allclose(old.safe_upper, new.safe_upper, rtol=1e-12)
    with pytest.warns(DeprecationWarning, match="tau_years"):
        by_days = boundary_map(acct, P0, "days", [0.0, 30.0], fee_apr=0.3)
    by_years = boundary_map(acct, P0, "tau_years", [0.0, 30 / 365], fee_apr=0.3)
    np.testing.assert_allclose(by_days.safe_upper, by_years.safe_upper, rtol=1e-12)
    with pytest.warns(DeprecationWarning, match="renamed") as record:
        a = solve_boundaries(P0, -3.0, P0, 500.0, price_lower=2400.0, price_upper=3600.0,
                             liquidity=LP.liquidity, rules=FLAT, w_base=0.8, w_quote=0.9)
    assert len(record) == 2
    b = solve_boundaries(P0, -3.0, P0, 500.0, price_lower=2400.0, price_upper=3600.0,
                         liquidity=LP.liquidity, rules=FLAT, base_factor=0.8, quote_factor=0.9)
    np.testing.assert_array_equal(a.boundaries, b.boundaries)
    with pytest.raises(LpperpError, match="days must be a number"):
        with pytest.warns(DeprecationWarning):
            boundaries_after(acct, P0, days="30")


@pytest.mark.parametrize("call", [
    lambda a: boundary_map(a, P0, "cash", np.zeros(10**4), "width_pct", np.ones(10**4)),
    lambda a: health_map(a, np.linspace(1e3, 5e3, 10**4), "cash", np.zeros(10**4)),
    lambda a: boundary_map(a, P0, "cash", np.zeros(10), max_cells=5),
])
def test_oversized_maps_are_refused_up_front(call):
    """A grid past the cell budget names its size and the keyword that raises it (issue 13:
    bounded time), before any solve."""
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    with pytest.raises(LpperpError, match=r"cells; the limit is .* max_cells="):
        call(acct)


@pytest.mark.parametrize("bad", [[[1.0, 2.0], [3.0]], "3", None])
def test_solve_boundaries_names_a_ragged_or_non_numeric_argument(bad):
    """A ragged list met numpy's 'inhomogeneous shape' ValueError in the shape check (found by
    tests/test_fuzz.py at 200 examples)."""
    with pytest.raises(LpperpError, match="size must be a number"):
        solve_boundaries(P0, bad, P0, price_lower=2400.0, price_upper=3600.0, liquidity=1e5,
                         rules=FLAT)


@pytest.mark.parametrize("price", [[], [3000.0, 3100.0], "3000"])
def test_health_map_takes_one_current_price(price):
    """price=[] met the price grid in numpy's broadcast ValueError (found by tests/test_fuzz.py at
    600 examples)."""
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    with pytest.raises(LpperpError, match="price must be"):
        health_map(acct, [2500.0, 3000.0, 3600.0], "width_pct", [10.0, 20.0], price=price)


def test_default_unwind_cost_of_an_empty_pool_is_zero_to_sell_nothing_and_inf_to_buy():
    """tvl_quote=5e-324 (liquidity underflows to 0): selling nothing gave 0/0 = NaN (found by
    walking settlement.__all__ with tests/test_fuzz.py's values at 1000 examples)."""
    prices = np.array([2500.0, 3000.0, 3600.0])
    assert np.all(default_unwind_cost(prices, 0.0, tvl_quote=5e-324) == 0.0)
    assert np.all(np.isposinf(default_unwind_cost(prices, -2.0, tvl_quote=5e-324)))


def test_boundaries_after_refuses_an_old_positional_days():
    """tau_years replaced a positional ``days``: ``boundaries_after(acct, price, 30)`` must not be
    read as 30 years."""
    acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
                           rules=MarginRules("x", 0.1, 0.05))
    with pytest.raises(TypeError, match="positional"):
        boundaries_after(acct, 3000.0, 30)


@pytest.mark.parametrize("venue", ["hyperliquid", "dydx", "gmx", "drift"])
def test_settlement_of_a_dust_perp_is_finite(venue):
    """A near-zero perp (maintenance 1e-310) beside real equity: the fillable-price ratio
    equity / maintenance overflows; 0 * inf used to make the owner's share NaN (found by
    hypothesis in the simulator)."""
    from lpperp.settlement import settle_liquidation
    from lpperp.venues import get_mechanics

    s = settle_liquidation(get_mechanics(venue), price=3000.0, lp_base=1.0, lp_quote=100.0,
                           cash=0.0, perp_size=-1e-300, perp_entry_price=3000.0, fees=0.0,
                           funding_paid=0.0, maintenance=1e-310, venue_equity=1000.0)
    assert np.isfinite(s.owner_keeps) and s.owner_keeps == pytest.approx(3100.0)
    assert s.bad_debt == 0.0

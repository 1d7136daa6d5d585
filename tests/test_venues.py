"""Venue formulas and presets against the venues' own published worked examples.

Every reference number is cited to the document it comes from (read 2026-11, see
../shared/notes/venue-rules.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp import venues as v

# ------------------------------------------------------------------------------------------------
# dYdX v4: v4-documentation, concepts/trading/liquidations ("Isolated positions" and "Cross")
# ------------------------------------------------------------------------------------------------


def test_dydx_isolated_example_3174_60():
    # Docs: e = 1000, s = -3, p = 3000, MMF = 0.05 -> p' = 3174.60
    p = v.dydx_liquidation_price(1000.0, -3.0, 3000.0, 0.05)
    assert round(p, 2) == 3174.60


def test_dydx_cross_example_3380_95():
    # Docs: e = 1000, s = -1.5, p = 3000, MMF = 0.05, MMR of the other positions = 175 -> 3380.95
    p = v.dydx_liquidation_price(1000.0, -1.5, 3000.0, 0.05, other_maintenance=175.0)
    assert round(p, 2) == 3380.95


def test_dydx_liquidation_price_is_where_equity_meets_maintenance():
    e, s, p, mmf, mo = 1000.0, np.array([-3.0, 2.0, 0.5]), 3000.0, 0.03, 40.0
    lp = v.dydx_liquidation_price(e, s, p, mmf, mo)
    equity_at_lp = e + s * (lp - p)
    np.testing.assert_allclose(equity_at_lp, np.abs(s) * lp * mmf + mo, rtol=1e-12)


def test_dydx_open_interest_imf_matches_formula_and_clips():
    # v4-documentation, concepts/trading/margin: IMF = min(base + max(scale * (1 - base), 0), 1)
    oi = np.array([0.0, 20e6, 35e6, 50e6, 80e6])
    imf = v.dydx_open_interest_imf(0.1, oi, 20e6, 50e6)
    np.testing.assert_allclose(imf, [0.1, 0.1, 0.55, 1.0, 1.0])
    assert v.dydx_open_interest_imf(0.05, 1e12, 0.0, 0.0) == 0.05  # Large-Cap: scaling off
    with pytest.raises(ValueError, match="upper_cap"):
        v.dydx_open_interest_imf(0.1, 1.0, 50e6, 20e6)


# ------------------------------------------------------------------------------------------------
# Binance USD-M: FAQ "How to calculate liquidation price of USDⓈ-M futures contracts" (one-way mode)
# WB = 1535443.01; ETH 3683.979 @ 1456.84, MMR 10%, cum 135365; BTC 109.488 @ 32481.98, MMR 2.5%,
# cum 16300.
# ------------------------------------------------------------------------------------------------

WB = 1535443.01


def test_binance_isolated_eth_1114_78():
    lp = v.binance_liquidation_price(WB, 3683.979, 1456.84, 0.10, 135365.0)
    assert round(lp, 2) == 1114.78


def test_binance_isolated_btc_18778_73():
    lp = v.binance_liquidation_price(WB, 109.488, 32481.98, 0.025, 16300.0)
    assert round(lp, 2) == 18778.73


def test_binance_cross_eth_1153_26():
    lp = v.binance_liquidation_price(
        WB, 3683.979, 1456.84, 0.10, 135365.0,
        other_maintenance=71200.81144, other_unrealized_pnl=-56354.57,
    )
    assert round(lp, 2) == 1153.26


def test_binance_cross_btc_26316_89():
    lp = v.binance_liquidation_price(
        WB, 109.488, 32481.98, 0.025, 16300.0,
        other_maintenance=356512.508, other_unrealized_pnl=-448192.89,
    )
    assert round(lp, 2) == 26316.89


def test_binance_vectorized_over_the_four_faq_cases():
    lp = v.binance_liquidation_price(
        WB,
        np.array([3683.979, 109.488, 3683.979, 109.488]),
        np.array([1456.84, 32481.98, 1456.84, 32481.98]),
        np.array([0.10, 0.025, 0.10, 0.025]),
        np.array([135365.0, 16300.0, 135365.0, 16300.0]),
        other_maintenance=np.array([0.0, 0.0, 71200.81144, 356512.508]),
        other_unrealized_pnl=np.array([0.0, 0.0, -56354.57, -448192.89]),
    )
    np.testing.assert_allclose(np.round(lp, 2), [1114.78, 18778.73, 1153.26, 26316.89])


def test_binance_cum_amounts_reproduce_the_published_ethusdt_brackets():
    # Binance GET /fapi/v1/leverageBracket ETHUSDT (via freqtrade binance_leverage_tiers.json):
    # cum column 0, 50, 950, 11450, 131450, 381450, 2006450, ...
    floors = [0, 50e3, 600e3, 3e6, 12e6, 50e6, 65e6]
    rates = [0.004, 0.005, 0.0065, 0.01, 0.02, 0.025, 0.05]
    np.testing.assert_allclose(
        v.binance_cum_amounts(floors, rates), [0, 50, 950, 11450, 131450, 381450, 2006450]
    )


def _binance_mm(notional, floors, rates):
    cum = v.binance_cum_amounts(floors, rates)
    idx = np.searchsorted(np.asarray(floors), notional, side="right") - 1
    return notional * np.asarray(rates)[idx] - cum[idx]


FLOORS = [0.0, 50e3, 600e3, 3e6, 12e6]
RATES = [0.004, 0.005, 0.0065, 0.01, 0.02]


def test_binance_tier_recheck_changes_the_answer_and_is_consistent():
    # Entry notional 60k is tier 2; the liquidation price puts the notional at ~45k, tier 1.
    naive = v.binance_liquidation_price(15_000.0, 20.0, 3000.0, 0.005, 50.0)
    lp = v.binance_liquidation_price_tiered(15_000.0, 20.0, 3000.0, FLOORS, RATES)
    assert 20.0 * naive < 50e3 and lp != naive
    equity = 15_000.0 + 20.0 * (lp - 3000.0)
    assert equity == pytest.approx(_binance_mm(20.0 * lp, FLOORS, RATES), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    size=st.floats(0.01, 5000.0) | st.floats(-5000.0, -0.01),
    entry=st.floats(100.0, 10_000.0),
    lev=st.floats(1.2, 60.0),
)
def test_binance_tiered_price_puts_equity_on_the_tiered_maintenance(size, entry, lev):
    wb = abs(size) * entry / lev
    lp = v.binance_liquidation_price_tiered(wb, size, entry, FLOORS, RATES)
    assert np.isfinite(lp) and lp > 0
    equity = wb + size * (lp - entry)
    mm = _binance_mm(abs(size) * lp, FLOORS, RATES)
    assert equity == pytest.approx(mm, rel=1e-9, abs=1e-9 * wb)


def test_binance_fully_collateralized_long_has_no_liquidation_price():
    assert np.isnan(v.binance_liquidation_price_tiered(1e6, 1.0, 3000.0, FLOORS, RATES))


# ------------------------------------------------------------------------------------------------
# Hyperliquid: docs trading/liquidations and trading/margin-tiers
# ------------------------------------------------------------------------------------------------


def test_hyperliquid_maintenance_rate_is_half_initial_at_max_leverage():
    # margin-tiers: "at 20x max leverage, maintenance_margin_rate = 2.5%"
    assert v.hyperliquid_maintenance_rate(20) == 0.025


def test_hyperliquid_deductions_make_maintenance_continuous_at_tier_edges():
    # margin-tiers, testnet ETH table: 0-20k 25x, 20-50k 10x, 50-200k 5x, >200k 3x
    lb, lev = [0.0, 20e3, 50e3, 200e3], [25, 10, 5, 3]
    rates, ded = v.hyperliquid_maintenance_deductions(lb, lev)
    np.testing.assert_allclose(rates, [0.02, 0.05, 0.1, 1 / 6])
    for n in range(1, 4):
        below = lb[n] * rates[n - 1] - ded[n - 1]
        above = lb[n] * rates[n] - ded[n]
        assert above == pytest.approx(below, rel=1e-14)


@pytest.mark.parametrize("size", [2.0, -2.0])
def test_hyperliquid_liquidation_formula_puts_equity_on_maintenance(size):
    # liq = price - side * margin_available / size / (1 - l * side), l = 1 / maintenance leverage
    price, account_value, max_lev = 3000.0, 900.0, 25.0
    l_frac = 1.0 / (2 * max_lev)
    margin_available = account_value - l_frac * abs(size) * price
    liq = v.hyperliquid_liquidation_price(price, size, margin_available, 2 * max_lev)
    equity_at_liq = account_value + size * (liq - price)
    assert equity_at_liq == pytest.approx(l_frac * abs(size) * liq, rel=1e-12)
    assert (liq < price) if size > 0 else (liq > price)


# ------------------------------------------------------------------------------------------------
# Drift v2: docs getting-started/cross-collateral-deposits; protocol-v2 math/margin.rs
# ------------------------------------------------------------------------------------------------


def test_drift_docs_example_2000_sol_weight_0_80():
    # Docs: weight = min(.80, 1.1 / [1 + (0.003 * sqrt(2000))]) = min(.80, ~.96987) = .80
    assert v.drift_size_discount_asset_weight(2000.0, 0.003, 0.80) == 0.80
    assert 1.1 / (1 + 0.003 * np.sqrt(2000)) == pytest.approx(0.96987, abs=1e-5)


def test_drift_discount_binds_for_large_deposits_and_decreases():
    sizes = np.array([0.0, 1e4, 1e6, 1e8])
    w = v.drift_size_discount_asset_weight(sizes, 0.003, 0.80)
    assert w[0] == 0.80 and np.all(np.diff(w) <= 0) and w[-1] < 0.1


def test_drift_size_premium_margin_ratio():
    r = v.drift_size_premium_margin_ratio(np.array([0.0, 100.0, 1e4]), 0.001, 0.05)
    np.testing.assert_allclose(r, [0.05, 0.05, 0.14])
    assert v.drift_size_premium_margin_ratio(1e9, 0.0, 0.05) == 0.05


def test_drift_health_formula():
    np.testing.assert_array_equal(
        v.drift_health(np.array([1e3, 1e3, 1e3, 0.0]), np.array([0.0, 250.0, 2000.0, 5.0])),
        [100.0, 75.0, 0.0, 0.0],
    )


# ------------------------------------------------------------------------------------------------
# GMX v2: gmx-synthetics PositionUtils.isPositionLiquidatable, config/markets.ts
# ------------------------------------------------------------------------------------------------


def test_gmx_min_collateral_uses_the_larger_factor_and_floor():
    assert v.gmx_min_collateral_usd(50_000.0, 0.01) == 500.0
    assert v.gmx_min_collateral_usd(50.0, 0.01, min_collateral_usd=1.0) == 1.0
    assert v.gmx_min_collateral_usd(50_000.0, 0.01, 1.0, 1e9, 2.5e-11) == pytest.approx(1250.0)


@pytest.mark.parametrize("is_long", [True, False])
@pytest.mark.parametrize("index_collateral", [True, False])
def test_gmx_liquidation_price_puts_equity_on_requirement(is_long, index_collateral):
    q, su, mcf, fees = 2.0, 6000.0, 0.01, 12.0
    amount = 0.2 if index_collateral else 600.0
    p = v.gmx_liquidation_price(
        q, su, amount, is_long=is_long, collateral_is_index_token=index_collateral,
        min_collateral_factor=mcf, fees_usd=fees,
    )
    coll = amount * p if index_collateral else amount
    pnl = q * p - su if is_long else su - q * p
    assert coll + pnl - fees == pytest.approx(max(1.0, su * mcf), rel=1e-12)


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match="size"):
        v.dydx_liquidation_price(1000.0, 0.0, 3000.0, 0.05)
    with pytest.raises(ValueError, match="maintenance_fraction"):
        v.dydx_liquidation_price(1000.0, 1.0, 3000.0, 1.5)
    with pytest.raises(ValueError, match="notional_floors"):
        v.binance_cum_amounts([10.0, 5.0], [0.01, 0.02])
    with pytest.raises(ValueError, match="max_leverage"):
        v.hyperliquid_maintenance_rate(0)


# ---------------------------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------------------------


def test_every_preset_is_margin_rules_with_a_dated_source():
    from lpperp.perp import MarginRules

    assert set(v.VENUES) == {"hyperliquid", "dydx", "binance", "drift", "gmx"}
    for name, rules in v.VENUES.items():
        assert isinstance(rules, MarginRules)
        assert "2026-11" in rules.source, name
        assert rules.maintenance_fraction <= rules.initial_fraction
        assert v.get_venue(name.upper()) is rules


def test_get_venue_lists_the_allowed_names():
    with pytest.raises(ValueError, match=r"hyperliquid.*dydx.*binance.*drift.*gmx.*'ftx'"):
        v.get_venue("ftx")


def test_hyperliquid_preset_follows_the_docs_eth_table():
    # margin-tiers (mainnet ETH): 0-100M 25x, >100M 15x; MMF = 1/(2 max leverage)
    r = v.HYPERLIQUID_ETH
    assert r.max_leverage == 25.0 and r.maintenance_fraction == 0.02
    _, rates, ded = r.maintenance_pieces()
    exp_rates, exp_ded = v.hyperliquid_maintenance_deductions([0, 100e6], [25, 15])
    np.testing.assert_allclose(rates, exp_rates)
    np.testing.assert_allclose(ded, exp_ded)
    edge = 100e6
    assert r.maintenance_margin(edge * (1 - 1e-12)) == pytest.approx(r.maintenance_margin(edge))


def test_hyperliquid_preset_liquidation_matches_published_formula():
    r, price, size, av = v.HYPERLIQUID_ETH, 3000.0, np.array([3.0, -3.0]), 1500.0
    mm = r.maintenance_margin(np.abs(size) * price)
    liq = v.hyperliquid_liquidation_price(price, size, av - mm, 1 / r.maintenance_fraction)
    np.testing.assert_allclose(av + size * (liq - price), r.maintenance_margin(np.abs(size) * liq))


def test_dydx_preset_with_the_published_formula():
    # v4-chain PR #2431 (2024-10-02): Large-Cap initial_margin_ppm 50000 -> 20000; maintenance =
    # 60 % of initial (maintenance_fraction_ppm 600000) -> 2 % / 1.2 % (read 2026-11-30)
    r = v.DYDX_ETH
    assert (r.initial_fraction, r.maintenance_fraction) == (0.02, 0.012)
    assert r.max_leverage == pytest.approx(50.0)
    e, s, p = 1000.0, -3.0, 3000.0  # the docs' example account, at the ETH-USD preset's MMF
    lp = v.dydx_liquidation_price(e, s, p, r.maintenance_fraction)
    assert e + s * (lp - p) == pytest.approx(r.maintenance_margin(abs(s) * lp), rel=1e-12)


def test_binance_preset_deductions_equal_published_cum():
    # cum column of ETHUSDT leverageBracket: 0, 50, 950, 11450, 131450, 381450, 2006450, 9506450,
    # 17506450, 27506450, 80506450, 280506450
    ded = v.BINANCE_ETHUSDT.maintenance_pieces()[2]
    np.testing.assert_allclose(
        ded,
        [0, 50, 950, 11450, 131450, 381450, 2006450, 9506450, 17506450, 27506450, 80506450,
         280506450],
    )
    assert v.BINANCE_ETHUSDT.max_leverage == 125.0


def test_binance_preset_with_the_tiered_formula():
    floors, rates, _ = v.BINANCE_ETHUSDT.maintenance_pieces()
    size, entry = 400.0, 3000.0  # 1.2M notional: tier 3
    wb = size * entry / 20
    lp = v.binance_liquidation_price_tiered(wb, size, entry, floors, rates)
    equity = wb + size * (lp - entry)
    assert equity == pytest.approx(v.BINANCE_ETHUSDT.maintenance_margin(size * lp), rel=1e-12)


def test_drift_and_gmx_presets():
    assert v.DRIFT_ETH.max_leverage == 20.0 and "WEAK" in v.DRIFT_ETH.source
    w = v.DRIFT_SPOT_WEIGHTS["SOL"]
    # docs example again through the preset table: 2000 SOL keeps the 0.80 initial weight
    assert v.drift_size_discount_asset_weight(2000.0, w["imf_factor"], w["initial"]) == 0.80
    # gmx-synthetics config/markets.ts WETH/USDC: minCollateralFactor 0.5 % (200x), liquidation fee
    # 0.20 % (read 2026-11-30)
    assert v.GMX_ETH.max_leverage == 200.0 and v.GMX_MIN_COLLATERAL_USD == 1.0
    assert v.GMX_ETH.liquidation_fee_fraction == 0.002


# ---------------------------------------------------------------------------------------------
# Liquidation mechanics: each against the venue's own docs or code (read 2026-11-30)
# ---------------------------------------------------------------------------------------------
from dataclasses import replace  # noqa: E402

from lpperp.settlement import settle_liquidation  # noqa: E402


def _settle(m, *, size, price, cash, mm, venue_equity=None, lp_base=0.0, lp_quote=0.0,
            entry=None, **kw):
    return settle_liquidation(m, price=price, lp_base=lp_base, lp_quote=lp_quote, cash=cash,
                              perp_size=size, perp_entry_price=price if entry is None else entry,
                              fees=0.0, funding_paid=0.0, maintenance=mm,
                              venue_equity=venue_equity, **kw)


def _identity(s):
    return (s.owner_keeps + s.perp_close_cost + s.lp_unwind_cost + s.to_liquidator
            + s.to_insurance + s.to_backstop - s.bad_debt)


def test_every_mechanics_preset_is_sourced_and_dated():
    assert set(v.MECHANICS) == {"hyperliquid", "dydx", "binance", "drift", "gmx", "revert"}
    for name, m in v.MECHANICS.items():
        assert m.read_on == "2026-11-30" and len(m.source) > 80, name
        assert v.get_mechanics(name.upper()) is m
    for name in v.VENUES:  # each rules preset finds its mechanics
        assert v.mechanics_for(v.get_venue(name)) is v.MECHANICS[name]
    with pytest.raises(ValueError, match="kind"):
        v.LiquidationMechanics("x", kind="auction")
    with pytest.raises(ValueError, match="penalty_min_fraction"):
        v.LiquidationMechanics("x", penalty_min_fraction=0.2, penalty_max_fraction=0.1)


def test_hyperliquid_partial_above_100k_and_no_fee_on_book_liquidations():
    # docs trading/liquidations: > 100k USDC notional liquidated 20 % at a time (30 s cooldown);
    # book liquidations charge no clearance fee, remaining collateral stays with the trader
    m = v.HYPERLIQUID_MECHANICS
    sizes = np.array([-30.0, -40.0])  # 90k and 120k notional at 3000
    mm = 0.02 * np.abs(sizes) * 3000.0
    s = _settle(m, size=sizes, price=3000.0, cash=mm, mm=mm)
    np.testing.assert_allclose(s.closed_fraction, [1.0, 0.2])
    assert m.partial_cooldown_seconds == 30.0
    np.testing.assert_allclose(s.to_insurance + s.to_liquidator + s.to_backstop, 0.0)
    np.testing.assert_allclose(s.perp_close_cost, 0.00045 * s.closed_fraction * np.abs(sizes) * 3e3)
    np.testing.assert_allclose(s.owner_keeps, mm - s.perp_close_cost)


def test_hyperliquid_backstop_below_two_thirds_of_maintenance_keeps_the_margin():
    # docs: below 2/3 of maintenance the liquidator vault takes the position and the margin;
    # "the maintenance margin is not returned to the user"
    m = v.HYPERLIQUID_MECHANICS
    mm = 600.0
    veq = np.array([0.70, 0.66, -0.10]) * mm
    s = _settle(m, size=-10.0, price=3000.0, cash=veq, mm=mm, venue_equity=veq)
    np.testing.assert_array_equal(s.to_backstop > 0, [False, True, False])
    np.testing.assert_allclose(s.owner_keeps[1:], 0.0)
    assert s.to_backstop[1] == pytest.approx(0.66 * mm)
    assert s.bad_debt[2] == pytest.approx(60.0)  # a gap below zero: the vault's loss
    np.testing.assert_allclose(_identity(s), s.true_equity, rtol=1e-12)


def test_dydx_block_limits_and_fee_capped_by_the_remaining_collateral():
    # liquidations.go GetMaxAndMinPositionNotionalLiquidatable / GetSubaccountMaxNotionalLiquidatable
    # with genesis.sh: 10 % of the position, at least 1,000 USDC, at most 100,000 USDC per block
    m = v.DYDX_MECHANICS
    n = np.array([5_000.0, 50_000.0, 2_000_000.0])
    q = -n / 3000.0
    mm = 0.012 * n
    s = _settle(m, size=q, price=3000.0, cash=mm, mm=mm)
    np.testing.assert_allclose(s.closed_fraction, [1_000 / 5_000, 0.10, 100_000 / 2e6])
    # GetLiquidationInsuranceFundDelta: fee = min(1.5 % of the closed quote, fill - bankruptcy):
    # at the boundary the closed part's share of TNC is its maintenance (1.2 % < 1.5 %)
    np.testing.assert_allclose(s.to_insurance, 0.012 * s.closed_fraction * n)
    assert np.all(s.perp_close_cost == 0.0)  # "Liquidation orders do not pay trading fees"
    rich = _settle(m, size=q, price=3000.0, cash=3 * mm, mm=mm, venue_equity=3 * mm)
    np.testing.assert_allclose(rich.to_insurance, 0.015 * rich.closed_fraction * n)


def test_dydx_fillable_price_spread_below_maintenance():
    # GetFillablePrice: (PNNV - ABR * SMMR * PMMR) / PS, ABR = clamp(BA (1 - TNC / TMMR), 0, 1);
    # genesis.sh: BA = 1e6 ppm, SMMR = 1.5e6 ppm. TNC = TMMR / 2 -> ABR = 0.5.
    m = replace(v.DYDX_MECHANICS, max_portion_per_block=1.0, max_notional_per_block=float("inf"))
    size, p, mm = -2.0, 3000.0, 72.0
    s = _settle(m, size=size, price=p, cash=36.0, mm=mm, venue_equity=36.0)
    fillable = (size * p - 0.5 * 1.5 * mm) / size  # the short buys back above the oracle
    assert s.to_liquidator == pytest.approx(abs(size) * (fillable - p))
    assert s.to_insurance == pytest.approx(0.0)  # nothing left above bankruptcy for a fee
    assert _identity(s) == pytest.approx(s.true_equity, rel=1e-12)


def test_gmx_liquidation_fee_and_open_interest_multiplier():
    # config/markets.ts: liquidationFeeFactor 0.20 %; minCollateralFactor 0.5 % with
    # minCollateralFactorForOpenInterestMultiplier 6e-11 ("0.5 % when open interest is 83,000,000")
    m = v.GMX_MECHANICS
    s = _settle(m, size=-50_000.0 / 2500.0, price=2500.0, cash=250.0, mm=250.0)
    assert s.closed_fraction == 1.0 and s.to_insurance == pytest.approx(100.0)
    assert s.perp_close_cost == pytest.approx(25.0)
    assert v.GMX_ETH_OI_MULTIPLIER * 83e6 == pytest.approx(0.005, abs=1e-4)
    req = v.gmx_min_collateral_usd(50_000.0, v.GMX_ETH.maintenance_fraction, 1.0,
                                   [10e6, 200e6], v.GMX_ETH_OI_MULTIPLIER)
    np.testing.assert_allclose(req, [250.0, 50_000.0 * 200e6 * 6e-11])


def test_drift_closes_what_covers_the_margin_shortage():
    # protocol-v2 math/liquidation tests one_percent_liquidation_fee_and_one_percent_if_
    # liquidation_fee: shortage 10 USD, margin ratio 10 %, liquidator fee 1 %, IF fee 1 %,
    # oracle 100 -> base 1.25 (1250000000 at BASE_PRECISION)
    m = replace(v.DRIFT_MECHANICS, cover_shortage_buffer=0.0)
    size, p = -10.0, 100.0
    mm = 0.10 * abs(size) * p
    s = _settle(m, size=size, price=p, cash=mm - 10.0, mm=mm, venue_equity=mm - 10.0)
    assert s.closed_fraction * abs(size) == pytest.approx(1.25)
    assert s.to_liquidator == pytest.approx(0.01 * 125.0)
    assert s.to_insurance == pytest.approx(0.01 * 125.0)
    zero_fee = replace(m, liquidator_fee_fraction=0.0, insurance_fee_fraction=0.0)
    s0 = _settle(zero_fee, size=size, price=p, cash=mm - 10.0, mm=mm, venue_equity=mm - 10.0)
    assert s0.closed_fraction * abs(size) == pytest.approx(1.0)  # test zero_percent: 1 base


def _revert_calculate_liquidation(debt: int, full_value: int, collateral_value: int):
    """revert-finance/lend@c9fc4d0 src/V3Vault.sol _calculateLiquidation, in exact integers."""
    q32, q96 = 2**32, 2**96
    min_pen, max_pen = q32 * 2 // 100, q32 * 10 // 100
    liquidator_cost, reserve_cost = debt, 0
    max_penalty_value = debt * (q32 + max_pen) // q32
    if full_value >= max_penalty_value:
        start = debt * full_value // collateral_value
        frac = q96 - (full_value - max_penalty_value) * q96 // (start - max_penalty_value)
        pen = min_pen + (max_pen - min_pen) * frac // q96
        liquidation_value = debt * (q32 + pen) // q32
    else:
        penalty = debt * max_pen // q32
        liquidator_cost = full_value - penalty if full_value > penalty else 0
        liquidation_value = full_value
        reserve_cost = debt - liquidator_cost
    return liquidation_value, liquidator_cost, reserve_cost


@pytest.mark.parametrize("cf, under", [(0.775, 0.999), (0.775, 0.9), (0.775, 0.8), (0.85, 0.95)])
def test_revert_penalty_graded_from_2_to_10_percent(cf, under):
    # the owner's collateral value is `under` of the debt: deeper under water, higher penalty
    debt = 10_000 * 10**6
    full = int(debt * under / cf)
    coll = full * int(cf * 2**32) // 2**32
    value, cost, reserve = _revert_calculate_liquidation(debt, full, coll)
    s = settle_liquidation(v.REVERT_MECHANICS, price=3000.0, lp_base=0.0, lp_quote=full / 1e6,
                           cash=-debt / 1e6, perp_size=0.0, perp_entry_price=3000.0, fees=0.0,
                           funding_paid=0.0, maintenance=0.0, collateral_value=coll / 1e6)
    assert s.owner_keeps == pytest.approx((full - value) / 1e6, abs=1e-5)
    assert s.to_liquidator == pytest.approx((value - cost) / 1e6, abs=1e-5)
    assert s.bad_debt == pytest.approx(reserve / 1e6, abs=1e-5)
    penalty = (value / debt) - 1
    assert 0.02 - 1e-9 <= penalty <= 0.10 + 1e-9
    if under > 0.99:
        assert penalty == pytest.approx(0.02, abs=2e-3)  # at the boundary: the minimum


def test_revert_under_water_liquidator_takes_all_reserves_cover():
    debt, full = 10_000 * 10**6, 10_500 * 10**6  # below debt * 1.1
    value, cost, reserve = _revert_calculate_liquidation(debt, full, full * 3 // 4)
    s = settle_liquidation(v.REVERT_MECHANICS, price=3000.0, lp_base=0.0, lp_quote=full / 1e6,
                           cash=-debt / 1e6, perp_size=0.0, perp_entry_price=3000.0, fees=0.0,
                           funding_paid=0.0, maintenance=0.0, collateral_value=full * 0.75 / 1e6)
    assert s.owner_keeps == 0.0 and s.bad_debt == pytest.approx(reserve / 1e6)
    assert s.to_liquidator == pytest.approx((value - cost) / 1e6)


@pytest.mark.parametrize("rules", [float("nan"), "hyperliquid", None])
def test_mechanics_for_names_a_wrong_rules_type(rules):
    """mechanics_for(nan) raised AttributeError 'float' has no 'name' (found by tests/test_fuzz.py)."""
    with pytest.raises(v.LpperpError, match="rules must be a MarginRules"):
        v.mechanics_for(rules)


@pytest.mark.parametrize("call", [
    lambda: v.hyperliquid_liquidation_price([2500.0, 3000.0, 3600.0], 2.0, [], 50.0),
    lambda: v.dydx_liquidation_price(1.0, [], [2500.0, 3000.0, 3600.0], 0.05),
    lambda: v.binance_liquidation_price(1.0, -6.0, 3000.0, 0.1, [], np.ones((2, 2))),
    lambda: v.drift_health([1.0, 2.0], [1.0, 2.0, 3.0]),
    lambda: v.gmx_min_collateral_usd([1.0, 2.0], 0.01, open_interest_usd=[1.0, 2.0, 3.0]),
])
def test_venue_formulas_name_shapes_that_do_not_broadcast(call):
    """numpy's 'operands could not be broadcast' escaped (found by a walk of venues.__all__ with
    tests/test_fuzz.py's values)."""
    with pytest.raises(v.LpperpError, match="must broadcast to one shape, got"):
        call()


def test_venue_formulas_refuse_a_100_percent_maintenance_rate():
    """At a 100 % maintenance rate a long's equity and requirement move together: the formulas
    divided by zero (+-inf, NaN; issue 13). The rate must be < 100 %."""
    with pytest.raises(v.LpperpError, match="maintenance_leverage must be > 1"):
        v.hyperliquid_liquidation_price(3000.0, 1.0, 240.0, 1.0)
    with pytest.raises(v.LpperpError, match=r"maintenance_fraction must be a fraction in \[0, 1\)"):
        v.dydx_liquidation_price(1000.0, 3.0, 3000.0, 1.0)
    with pytest.raises(v.LpperpError, match=r"maintenance_rate must be a fraction in \[0, 1\)"):
        v.binance_liquidation_price(1000.0, 3.0, 3000.0, 1.0)


@pytest.mark.parametrize("flag", [[], np.ones((2, 2)), 1.0, "yes", None])
def test_gmx_flags_are_true_or_false(flag):
    """is_long=[] read as False (a short, NaN price); an array raised numpy's ambiguous truth."""
    with pytest.raises(v.LpperpError, match="is_long must be True or False"):
        v.gmx_liquidation_price(1.0, 3000.0, 300.0, is_long=flag, collateral_is_index_token=False,
                                min_collateral_factor=0.01)

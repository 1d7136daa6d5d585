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
    r = v.DYDX_ETH
    assert (r.initial_fraction, r.maintenance_fraction) == (0.05, 0.03)
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
    assert v.GMX_ETH.max_leverage == 100.0 and v.GMX_MIN_COLLATERAL_USD == 1.0

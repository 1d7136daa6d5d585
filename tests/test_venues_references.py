"""Venue formulas where no cap or floor binds, against the published formulas by hand, and every
bad argument named (issue 14).

Sources (../shared/notes/venue-rules.md, read 2026-11, and the venues.py docstrings):
Hyperliquid docs ``trading/margin-tiers`` (MMF = 1 / (2 max leverage), deductions continuous at the
tier edges) and ``trading/liquidations``; dYdX v4-documentation ``concepts/trading/margin`` (OI-scaled
IMF) and ``liquidations``; Binance FAQ "How to calculate liquidation price of USDⓈ-M futures
contracts"; Drift protocol-v2 ``math/margin.rs`` (``calculate_size_discount_asset_weight``,
``calculate_size_premium_liability_weight``) and docs ``cross-collateral-deposits``;
gmx-synthetics ``PositionUtils.isPositionLiquidatable`` and
``MarketUtils.getMinCollateralFactorForOpenInterest``, ``config/markets.ts``. The expected values are
written from those formulas by hand (fractions where it matters), not with the library's code.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from lpperp import venues as v
from lpperp._validate import LpperpError
from lpperp.perp import MarginRules


def named(name: str):
    """``pytest.raises`` for an LpperpError whose message starts with the argument's name."""
    return pytest.raises(LpperpError, match=rf"^{re.escape(name)} must")


# ---------------------------------------------------------------------------------------------
# Hyperliquid: tiers and the liquidation price
# ---------------------------------------------------------------------------------------------


def test_hyperliquid_three_tier_deductions_by_hand():
    """deduction_n = deduction_{n-1} + lower_bound_n (rate_n - rate_{n-1}), rate = 1 / (2 lev)."""
    rates, ded = v.hyperliquid_maintenance_deductions([0, 10e6, 50e6], [40, 20, 10])
    np.testing.assert_allclose(rates, [1 / 80, 1 / 40, 1 / 20], rtol=1e-15)
    d1 = 10e6 * (1 / 40 - 1 / 80)  # 125,000
    d2 = d1 + 50e6 * (1 / 20 - 1 / 40)  # 125,000 + 1,250,000
    np.testing.assert_allclose(ded, [0.0, d1, d2], rtol=1e-14)
    assert d2 == pytest.approx(1_375_000.0)
    # continuity at each edge: the two tiers' maintenance agree
    for edge, lo, hi in ((10e6, 0, 1), (50e6, 1, 2)):
        assert edge * rates[lo] - ded[lo] == pytest.approx(edge * rates[hi] - ded[hi], rel=1e-14)


def test_hyperliquid_one_tier_has_no_deduction():
    rates, ded = v.hyperliquid_maintenance_deductions([0.0], [50.0])
    assert rates.tolist() == [0.01] and ded.tolist() == [0.0]


@pytest.mark.parametrize(
    ("bounds", "levs", "name"),
    [
        ([0, 100e6], [25], "lower_bounds and max_leverages"),  # lengths differ
        ([], [], "lower_bounds and max_leverages"),
        ([1.0, 100e6], [25, 15], "lower_bounds"),  # does not start at 0
        ([0, 100e6, 100e6], [25, 15, 10], "lower_bounds"),  # not increasing
        ([0, 50e6, 10e6], [25, 15, 10], "lower_bounds"),
        ([0, -5.0], [25, 15], "lower_bounds"),
        ([0, 100e6], [25, 0], "max_leverages"),
    ],
)
def test_hyperliquid_deductions_refuse_a_bad_table_by_name(bounds, levs, name):
    with named(name):
        v.hyperliquid_maintenance_deductions(bounds, levs)


def test_hyperliquid_preset_maintenance_above_the_100m_tier_by_hand():
    """ETH: 25x to 100M (MMF 2 %), 15x above (MMF 1/30), deduction 100M (1/30 - 1/50)."""
    mm = v.HYPERLIQUID_ETH.maintenance_margin(np.array([50e6, 100e6, 150e6]))
    ded = 100e6 * (1 / 30 - 1 / 50)
    np.testing.assert_allclose(mm, [1e6, 2e6, 150e6 / 30 - ded], rtol=1e-12)


@pytest.mark.parametrize(("size", "margin", "max_lev"), [(1.0, 240.0, 25.0), (-2.0, 500.0, 20.0),
                                                         (0.5, 30.0, 10.0), (-10.0, 1e4, 3.0)])
def test_hyperliquid_liquidation_price_by_hand(size, margin, max_lev):
    """liq = price - side * margin_available / |size| / (1 - l * side), l = 1 / (2 max_lev)."""
    p = 3000.0
    side = 1 if size > 0 else -1
    ell = Fraction(1) / (2 * Fraction(max_lev))
    want = Fraction(p) - side * Fraction(margin) / abs(Fraction(size)) / (1 - ell * side)
    got = v.hyperliquid_liquidation_price(p, size, margin, 2 * max_lev)
    assert got == pytest.approx(float(want), rel=1e-14)
    # at liq the equity (margin + MM today + PnL) equals l |size| liq
    equity = margin + float(ell) * abs(size) * p + size * (got - p)
    assert equity == pytest.approx(float(ell) * abs(size) * got, rel=1e-9)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((0.0, 1.0, 240.0, 50.0), "price"),
        ((3000.0, 0.0, 240.0, 50.0), "size"),
        ((3000.0, np.nan, 240.0, 50.0), "size"),
        ((3000.0, 1.0, np.inf, 50.0), "margin_available"),
        ((3000.0, 1.0, 240.0, 0.0), "maintenance_leverage"),
        ((3000.0, 1.0, 240.0, 0.5), "maintenance_leverage"),
    ],
)
def test_hyperliquid_liquidation_price_names_bad_arguments(args, name):
    with named(name):
        v.hyperliquid_liquidation_price(*args)


def test_hyperliquid_liquidation_price_accepts_a_maintenance_leverage_just_above_1():
    got = v.hyperliquid_liquidation_price(3000.0, -1.0, 100.0, 1.25)
    assert got == pytest.approx(3000.0 + 100.0 / (1 + 0.8))


def test_hyperliquid_maintenance_rate_by_hand():
    np.testing.assert_allclose(v.hyperliquid_maintenance_rate(np.array([50.0, 3.0, 1.0])),
                               [0.01, 1 / 6, 0.5], rtol=1e-15)
    with named("max_leverage"):
        v.hyperliquid_maintenance_rate(-2.0)


# ---------------------------------------------------------------------------------------------
# dYdX v4
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("oi", "want"), [(0.0, 0.2), (10e6, 0.2), (20e6, 0.2), (26e6, 0.36),
                                          (38e6, 0.68), (50e6, 1.0), (90e6, 1.0)])
def test_dydx_open_interest_imf_inside_the_caps_by_hand(oi, want):
    """scale = (OI - 20M) / 30M; IMF = min(0.2 + max(scale * 0.8, 0), 1)."""
    assert v.dydx_open_interest_imf(0.2, oi, 20e6, 50e6) == pytest.approx(want, rel=1e-14)


def test_dydx_open_interest_imf_other_caps_and_broadcasting():
    got = v.dydx_open_interest_imf(np.array([0.05, 0.1]), 3e6, 1e6, 5e6)
    np.testing.assert_allclose(got, [0.05 + 0.5 * 0.95, 0.1 + 0.5 * 0.9], rtol=1e-14)
    # only 0/0 switches scaling off: a zero lower cap with a positive upper cap scales
    assert v.dydx_open_interest_imf(0.1, 5e6, 0.0, 10e6) == pytest.approx(0.55)
    assert v.dydx_open_interest_imf(0.1, 5e6, 0.0, 0.0) == 0.1


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((1.5, 1.0, 0.0, 0.0), "base_imf"),
        ((0.1, -1.0, 0.0, 0.0), "open_interest"),
        ((0.1, 1.0, -1.0, 5.0), "lower_cap"),
        ((0.1, 1.0, 0.0, -5.0), "upper_cap"),
        ((0.1, 1.0, 5e6, 5e6), "upper_cap"),
        ((0.1, 1.0, 5e6, 0.0), "upper_cap"),
    ],
)
def test_dydx_open_interest_imf_names_bad_arguments(args, name):
    with named(name):
        v.dydx_open_interest_imf(*args)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((np.nan, -3.0, 3000.0, 0.05), "equity"),
        ((1000.0, 0.0, 3000.0, 0.05), "size"),
        ((1000.0, -3.0, -3000.0, 0.05), "price"),
        ((1000.0, -3.0, 3000.0, -0.05), "maintenance_fraction"),
        ((1000.0, -3.0, 3000.0, 0.05, -1.0), "other_maintenance"),
    ],
)
def test_dydx_liquidation_price_names_bad_arguments(args, name):
    with named(name):
        v.dydx_liquidation_price(*args)


def test_dydx_long_liquidation_price_by_hand():
    """p' = (e - s p - MMR_o) / (|s| MMF - s): a 2 ETH long with 600 USDC, MMF 3 %, MMR_o 50."""
    want = (600.0 - 2.0 * 3000.0 - 50.0) / (2.0 * 0.03 - 2.0)
    assert v.dydx_liquidation_price(600.0, 2.0, 3000.0, 0.03, 50.0) == pytest.approx(want)
    assert v.dydx_liquidation_price(600.0, 2.0, 3000.0, 0.0) == pytest.approx(2700.0)


# ---------------------------------------------------------------------------------------------
# Binance
# ---------------------------------------------------------------------------------------------


def test_binance_cum_amounts_of_the_published_ethusdt_brackets():
    """GET /fapi/v1/leverageBracket ETHUSDT cum: 0, 50, 950, 11450, ... (the preset's source)."""
    cum = v.binance_cum_amounts([0, 50e3, 600e3, 3e6], [0.004, 0.005, 0.0065, 0.01])
    np.testing.assert_allclose(cum, [0.0, 50.0, 950.0, 11_450.0], rtol=1e-12)


@pytest.mark.parametrize(
    ("floors", "rates", "name"),
    [
        ([0, 5.0], [0.01], "notional_floors and maintenance_rates"),
        ([], [], "notional_floors and maintenance_rates"),
        ([3.0, 5.0], [0.01, 0.02], "notional_floors"),
        ([0, 5.0, 5.0], [0.01, 0.02, 0.03], "notional_floors"),
        ([0, -5.0], [0.01, 0.02], "notional_floors"),
        ([0, 5.0], [0.01, 1.5], "maintenance_rates"),
    ],
)
def test_binance_tables_refuse_bad_brackets_by_name(floors, rates, name):
    with named(name):
        v.binance_cum_amounts(floors, rates)
    with named(name):
        v.binance_liquidation_price_tiered(1e4, 1.0, 3000.0, floors, rates)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((np.nan, 1.0, 3000.0, 0.01), "wallet_balance"),
        ((1e4, 0.0, 3000.0, 0.01), "size"),
        ((1e4, 1.0, 0.0, 0.01), "entry_price"),
        ((1e4, 1.0, 3000.0, -0.01), "maintenance_rate"),
        ((1e4, 1.0, 3000.0, 0.01, np.inf), "maintenance_amount"),
        ((1e4, 1.0, 3000.0, 0.01, 0.0, -1.0), "other_maintenance"),
        ((1e4, 1.0, 3000.0, 0.01, 0.0, 0.0, np.nan), "other_unrealized_pnl"),
    ],
)
def test_binance_liquidation_price_names_bad_arguments(args, name):
    with named(name):
        v.binance_liquidation_price(*args)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((np.nan, 1.0, 3000.0), "wallet_balance"),
        ((1e4, 0.0, 3000.0), "size"),
        ((1e4, 1.0, -3000.0), "entry_price"),
        ((1e4, 1.0, 3000.0, [0], [0.01], -1.0), "other_maintenance"),
        ((1e4, 1.0, 3000.0, [0], [0.01], 0.0, np.inf), "other_unrealized_pnl"),
    ],
)
def test_binance_tiered_names_bad_arguments(args, name):
    full = args if len(args) > 3 else (*args, [0], [0.01])
    with named(name):
        v.binance_liquidation_price_tiered(*full)


def test_binance_short_liquidation_price_by_hand():
    """LP = (WB - TMM1 + UPNL1 + cum - side pos EP) / (pos MMR - side pos), a 2 ETH short."""
    wb, pos, ep, mmr, cum, tmm, upnl = 1500.0, 2.0, 3000.0, 0.01, 5.0, 40.0, -60.0
    want = (wb - tmm + upnl + cum + pos * ep) / (pos * mmr + pos)
    got = v.binance_liquidation_price(wb, -pos, ep, mmr, cum, tmm, upnl)
    assert got == pytest.approx(want, rel=1e-14)


def test_binance_tiered_short_picks_the_tier_of_the_liquidation_notional():
    """A short liquidated above entry: its notional grows into the next bracket."""
    floors, rates = [0, 50e3, 600e3], [0.004, 0.005, 0.0065]
    cum = [0.0, 50.0, 950.0]
    wb, size, ep = 2_500.0, -16.0, 3000.0  # 48k at entry: tier 0
    cands = [(wb + cum[i] + 16 * ep) / (16 * rates[i] + 16) for i in range(3)]
    notionals = [16 * x for x in cands]
    tier = next(i for i in range(3) if floors[i] <= notionals[i] < ([*floors[1:], np.inf])[i])
    assert tier == 1  # at liquidation the notional is above 50k
    got = v.binance_liquidation_price_tiered(wb, size, ep, floors, rates)
    assert got == pytest.approx(cands[1], rel=1e-13)


# ---------------------------------------------------------------------------------------------
# Drift v2: the size discount and premium where no cap binds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "imf", "w0", "want"), [
    (1e6, 0.003, 0.8, 1.1 / 4.0),  # sqrt(1e6) = 1000: 1.1 / (1 + 3) = 0.275
    (10_000.0, 0.025, 0.8, 1.1 / 3.5),  # wETH imf 0.025: 1.1 / (1 + 2.5)
    (400.0, 0.05, 0.9, 0.55),  # 1.1 / (1 + 0.05 * 20) = 0.55
    (0.0, 0.5, 0.8, 0.8),  # no size: the weight itself
    (100.0, 0.0, 0.6, 0.6),  # no imf factor: 1.1 never binds below a weight of 1
])
def test_drift_size_discount_where_it_binds_and_where_it_does_not(size, imf, w0, want):
    got = v.drift_size_discount_asset_weight(size, imf, w0)
    assert got == pytest.approx(want, rel=1e-14)


def test_drift_size_discount_of_the_published_weights():
    """DRIFT_SPOT_WEIGHTS (docs cross-collateral-deposits): wETH 0.80 / imf 0.025."""
    w = v.DRIFT_SPOT_WEIGHTS["wETH"]
    assert (w["initial"], w["maintenance"], w["imf_factor"]) == (0.80, 0.90, 0.025)
    got = v.drift_size_discount_asset_weight(np.array([1.0, 100.0, 2500.0]), w["imf_factor"],
                                             w["initial"])
    np.testing.assert_allclose(got, [0.8, 0.8, 1.1 / (1 + 0.025 * 50)], rtol=1e-14)


@pytest.mark.parametrize(("size", "imf", "r0", "want"), [
    (10_000.0, 0.001, 0.05, 0.04 + 0.1),  # premium binds: 0.8 r0 + imf sqrt(size)
    (400.0, 0.002, 0.1, 0.1),  # 0.08 + 0.04 = 0.12 > 0.1
    (100.0, 0.001, 0.1, 0.1),  # 0.08 + 0.01 < 0.1: r0
    (0.0, 0.5, 0.2, 0.2),
    (2500.0, 0.0, 0.05, 0.05),
])
def test_drift_size_premium_margin_ratio_by_hand(size, imf, r0, want):
    if (size, r0) == (400.0, 0.1):
        want = 0.8 * 0.1 + 0.002 * 20.0
    got = v.drift_size_premium_margin_ratio(size, imf, r0)
    assert got == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize(("tc", "mm", "want"), [(1000.0, 250.0, 75.0), (1000.0, 0.0, 100.0),
                                                (0.0, 10.0, 0.0), (-50.0, 10.0, 0.0),
                                                (100.0, 150.0, 0.0), (1000.0, 994.0, 1.0),
                                                (1000.0, 996.0, 0.0), (800.0, 2.0, 100.0)])
def test_drift_health_by_hand(tc, mm, want):
    """round(min(100, max(0, (1 - MM / TC) 100))); no collateral 0, no requirement 100."""
    assert v.drift_health(tc, mm) == want


@pytest.mark.parametrize(
    ("fn", "args", "name"),
    [
        (v.drift_size_discount_asset_weight, (-1.0, 0.003, 0.8), "size"),
        (v.drift_size_discount_asset_weight, (1.0, -0.003, 0.8), "imf_factor"),
        (v.drift_size_discount_asset_weight, (1.0, 0.003, 1.8), "asset_weight"),
        (v.drift_size_premium_margin_ratio, (-1.0, 0.003, 0.1), "size"),
        (v.drift_size_premium_margin_ratio, (1.0, np.nan, 0.1), "imf_factor"),
        (v.drift_size_premium_margin_ratio, (1.0, 0.003, -0.1), "margin_ratio"),
        (v.drift_health, (np.nan, 1.0), "total_collateral"),
        (v.drift_health, (1.0, -1.0), "maintenance_margin"),
    ],
)
def test_drift_functions_name_bad_arguments(fn, args, name):
    with named(name):
        fn(*args)


# ---------------------------------------------------------------------------------------------
# GMX v2
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "mcf", "mcu", "oi", "mult", "want"), [
    (100_000.0, 0.005, 1.0, 1e9, 6e-11, 100_000.0 * 0.06),  # OI factor 1e9 * 6e-11 binds
    (100_000.0, 0.005, 1.0, 5e7, 6e-11, 500.0),  # 0.003 < 0.005: the min factor
    (100.0, 0.005, 1.0, 0.0, 0.0, 1.0),  # 0.5 USD < the 1 USD floor
    (100.0, 0.005, 0.2, 0.0, 0.0, 0.5),
    (2e4, 0.01, 5.0, 3e7, 1e-9, 2e4 * 0.03),
])
def test_gmx_min_collateral_by_hand(size, mcf, mcu, oi, mult, want):
    """max(min_collateral_usd, size * max(min_collateral_factor, OI * multiplier))."""
    assert v.gmx_min_collateral_usd(size, mcf, mcu, oi, mult) == pytest.approx(want, rel=1e-14)


def test_gmx_default_floor_is_the_published_1_usd():
    assert v.GMX_MIN_COLLATERAL_USD == 1.0
    assert v.gmx_min_collateral_usd(10.0, 0.005) == 1.0
    assert v.gmx_min_collateral_usd(1000.0, 0.005) == 5.0


@pytest.mark.parametrize(("is_long", "index"), [(True, False), (True, True), (False, False),
                                                (False, True)])
def test_gmx_liquidation_price_by_hand(is_long, index):
    """collateral(P) + pnl(P) - fees = max(min USD, size_usd * factor), solved for P by hand."""
    q, su, amount, mcf, fees = 2.0, 6000.0, 0.4 if index else 900.0, 0.01, 7.0
    required = max(1.0, su * mcf)  # 60
    if is_long and not index:  # 900 + 2P - 6000 - 7 = 60
        want = (60.0 + 7.0 + 6000.0 - 900.0) / 2.0
    elif is_long:  # 0.4 P + 2P - 6000 - 7 = 60
        want = (60.0 + 7.0 + 6000.0) / 2.4
    elif not index:  # 900 + 6000 - 2P - 7 = 60
        want = (900.0 + 6000.0 - 7.0 - 60.0) / 2.0
    else:  # 0.4 P + 6000 - 2P - 7 = 60
        want = (6000.0 - 7.0 - 60.0) / 1.6
    got = v.gmx_liquidation_price(q, su, amount, is_long=is_long, collateral_is_index_token=index,
                                  min_collateral_factor=mcf, fees_usd=fees)
    assert required == 60.0
    assert got == pytest.approx(want, rel=1e-13)


def test_gmx_liquidation_price_floor_and_no_price():
    # a tiny position: the 1 USD floor is the requirement (size * factor = 0.03)
    got = v.gmx_liquidation_price(0.001, 3.0, 1.5, is_long=True, collateral_is_index_token=False,
                                  min_collateral_factor=0.01)
    assert got == pytest.approx((1.0 + 3.0 - 1.5) / 0.001)
    got = v.gmx_liquidation_price(0.001, 3.0, 1.5, is_long=True, collateral_is_index_token=False,
                                  min_collateral_factor=0.01, min_collateral_usd=0.5)
    assert got == pytest.approx((0.5 + 3.0 - 1.5) / 0.001)
    # a short backed by the index token with as many tokens as its size: equity never moves
    flat = v.gmx_liquidation_price(1.0, 3000.0, 1.0, is_long=False, collateral_is_index_token=True,
                                   min_collateral_factor=0.01)
    assert np.isnan(flat)
    # a long that can only be liquidated at a negative price
    rich = v.gmx_liquidation_price(1.0, 3000.0, 5000.0, is_long=True,
                                   collateral_is_index_token=False, min_collateral_factor=0.01)
    assert np.isnan(rich)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"size_in_tokens": 0.0}, "size_in_tokens"),
        ({"size_usd": -1.0}, "size_usd"),
        ({"collateral_amount": -1.0}, "collateral_amount"),
        ({"min_collateral_factor": 1.5}, "min_collateral_factor"),
        ({"min_collateral_usd": -1.0}, "min_collateral_usd"),
        ({"fees_usd": np.nan}, "fees_usd"),
        ({"collateral_is_index_token": 1}, "collateral_is_index_token"),
    ],
)
def test_gmx_liquidation_price_names_bad_arguments(kwargs, name):
    base = {"size_in_tokens": 1.0, "size_usd": 3000.0, "collateral_amount": 300.0, "is_long": True,
            "collateral_is_index_token": False, "min_collateral_factor": 0.01}
    with named(name):
        v.gmx_liquidation_price(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((-1.0, 0.01), "size_usd"),
        ((1.0, 1.5), "min_collateral_factor"),
        ((1.0, 0.01, -1.0), "min_collateral_usd"),
        ((1.0, 0.01, 1.0, -1.0), "open_interest_usd"),
        ((1.0, 0.01, 1.0, 0.0, np.nan), "oi_multiplier"),
    ],
)
def test_gmx_min_collateral_names_bad_arguments(args, name):
    with named(name):
        v.gmx_min_collateral_usd(*args)


# ---------------------------------------------------------------------------------------------
# Presets and mechanics records
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["gmx", "GMX", "Gmx"])
def test_lookups_are_case_insensitive(spelling):
    assert v.get_venue(spelling) is v.GMX_ETH
    assert v.get_mechanics(spelling) is v.GMX_MECHANICS


@pytest.mark.parametrize("bad", ["ftx", "", 1, None])
def test_lookups_name_what_they_look_up(bad):
    with named("venue"):
        v.get_venue(bad)
    with named("mechanics"):
        v.get_mechanics(bad)


def test_mechanics_for_matches_by_identity_or_name_else_generic():
    same_name = replace(v.DYDX_ETH, liquidation_fee_fraction=0.01)
    assert v.mechanics_for(same_name) is v.DYDX_MECHANICS
    mine = MarginRules("mine", 0.1, 0.05, liquidation_fee_fraction=0.007)
    generic = v.mechanics_for(mine)
    assert generic.name == "mine (generic)" and generic.kind == "book"
    assert generic.insurance_fee_fraction == 0.007 and generic.trading_fee_fraction == 0.0
    assert generic.partial_fraction == 1.0 and generic.cover_shortage_buffer is None
    assert "mine" in generic.source
    with pytest.raises(LpperpError, match=r"^rules must be a MarginRules"):
        v.LiquidationMechanics.from_rules("mine")


def test_presets_carry_their_published_parameters():
    assert (v.HYPERLIQUID_MECHANICS.partial_above_notional, v.HYPERLIQUID_MECHANICS.partial_fraction,
            v.HYPERLIQUID_MECHANICS.partial_cooldown_seconds) == (100_000.0, 0.2, 30.0)
    assert v.HYPERLIQUID_MECHANICS.backstop_below_fraction == pytest.approx(2 / 3)
    d = v.DYDX_MECHANICS
    assert (d.insurance_fee_fraction, d.max_portion_per_block, d.min_notional_per_block,
            d.max_notional_per_block) == (0.015, 0.10, 1_000.0, 100_000.0)
    assert d.fee_capped_by_equity and (d.bankruptcy_adjustment, d.spread_to_maintenance) == (1.0,
                                                                                             1.5)
    assert (v.GMX_MECHANICS.insurance_fee_fraction, v.GMX_MECHANICS.trading_fee_fraction) == (
        0.002, 0.0005)
    assert (v.REVERT_MECHANICS.kind, v.REVERT_MECHANICS.penalty_min_fraction,
            v.REVERT_MECHANICS.penalty_max_fraction) == ("lender", 0.02, 0.10)
    assert v.DYDX_ETH.initial_fraction == 0.02 and v.DYDX_ETH.maintenance_fraction == 0.012
    assert v.GMX_ETH.maintenance_fraction == 0.005 and v.GMX_ETH_OI_MULTIPLIER == 6e-11


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"kind": "auction"}, "kind"),
        ({"trading_fee_fraction": -0.1}, "trading_fee_fraction"),
        ({"insurance_fee_fraction": 1.5}, "insurance_fee_fraction"),
        ({"liquidator_fee_fraction": np.nan}, "liquidator_fee_fraction"),
        ({"partial_fraction": 2.0}, "partial_fraction"),
        ({"max_portion_per_block": -1.0}, "max_portion_per_block"),
        ({"backstop_below_fraction": 1.1}, "backstop_below_fraction"),
        ({"penalty_min_fraction": -0.1}, "penalty_min_fraction"),
        ({"penalty_max_fraction": 1.1}, "penalty_max_fraction"),
        ({"partial_above_notional": -1.0}, "partial_above_notional"),
        ({"partial_cooldown_seconds": np.nan}, "partial_cooldown_seconds"),
        ({"min_notional_per_block": "5"}, "min_notional_per_block"),
        ({"max_notional_per_block": -5.0}, "max_notional_per_block"),
        ({"bankruptcy_adjustment": -1.0}, "bankruptcy_adjustment"),
        ({"spread_to_maintenance": None}, "spread_to_maintenance"),
        ({"cover_shortage_buffer": 1.5}, "cover_shortage_buffer"),
        ({"penalty_min_fraction": 0.2, "penalty_max_fraction": 0.1}, "penalty_min_fraction"),
    ],
)
def test_mechanics_fields_are_checked_by_name(kwargs, name):
    with named(name):
        v.LiquidationMechanics(**{"name": "x", **kwargs})


def test_mechanics_zero_steps_are_refused_and_edges_accepted():
    with pytest.raises(LpperpError, match=r"^partial_fraction and max_portion_per_block must be > 0"):
        v.LiquidationMechanics("x", partial_fraction=0.0)
    with pytest.raises(LpperpError, match=r"^partial_fraction and max_portion_per_block must be > 0"):
        v.LiquidationMechanics("x", max_portion_per_block=0.0)
    m = v.LiquidationMechanics("x", partial_above_notional=0, min_notional_per_block=0,
                               max_notional_per_block=float("inf"), cover_shortage_buffer=0,
                               penalty_min_fraction=0.05, penalty_max_fraction=0.05,
                               trading_fee_fraction=1, kind="lender")
    assert m.partial_above_notional == 0.0 and isinstance(m.partial_above_notional, float)
    assert isinstance(m.min_notional_per_block, float) and m.max_notional_per_block == np.inf
    assert m.cover_shortage_buffer == 0.0 and isinstance(m.trading_fee_fraction, float)
    assert m.penalty_min_fraction == m.penalty_max_fraction == 0.05


# ---------------------------------------------------------------------------------------------
# Shapes that do not broadcast: the function and both offending arguments named
# ---------------------------------------------------------------------------------------------
#: function -> valid scalar value of each broadcast argument (in the function's order), extra kwargs
BROADCAST = {
    "hyperliquid_liquidation_price": ({"price": 3000.0, "size": 1.0, "margin_available": 240.0,
                                       "maintenance_leverage": 50.0}, {}),
    "dydx_liquidation_price": ({"equity": 1000.0, "size": -3.0, "price": 3000.0,
                                "maintenance_fraction": 0.05, "other_maintenance": 10.0}, {}),
    "dydx_open_interest_imf": ({"base_imf": 0.1, "open_interest": 3e7, "lower_cap": 2e7,
                                "upper_cap": 5e7}, {}),
    "binance_liquidation_price": ({"wallet_balance": 1e4, "size": 2.0, "entry_price": 3000.0,
                                   "maintenance_rate": 0.01, "maintenance_amount": 5.0,
                                   "other_maintenance": 1.0, "other_unrealized_pnl": -3.0}, {}),
    "binance_liquidation_price_tiered": ({"wallet_balance": 1e4, "size": 2.0,
                                          "entry_price": 3000.0, "other_maintenance": 1.0,
                                          "other_unrealized_pnl": -3.0},
                                         {"notional_floors": [0, 5e4],
                                          "maintenance_rates": [0.004, 0.005]}),
    "drift_size_discount_asset_weight": ({"size": 100.0, "imf_factor": 0.003,
                                          "asset_weight": 0.8}, {}),
    "drift_size_premium_margin_ratio": ({"size": 100.0, "imf_factor": 0.003,
                                         "margin_ratio": 0.05}, {}),
    "drift_health": ({"total_collateral": 1000.0, "maintenance_margin": 100.0}, {}),
    "gmx_min_collateral_usd": ({"size_usd": 5e4, "min_collateral_factor": 0.005,
                                "min_collateral_usd": 1.0, "open_interest_usd": 1e7,
                                "oi_multiplier": 6e-11}, {}),
    "gmx_liquidation_price": ({"size_in_tokens": 1.0, "size_usd": 3000.0,
                               "collateral_amount": 300.0, "min_collateral_factor": 0.01,
                               "min_collateral_usd": 1.0, "fees_usd": 2.0},
                              {"is_long": True, "collateral_is_index_token": False}),
}
CASES = [(fn, a, list(kw)[(i + 1) % len(kw)]) for fn, (kw, _) in BROADCAST.items()
         for i, a in enumerate(kw)]


@pytest.mark.parametrize(("fn", "two", "three"), CASES)
def test_shapes_that_do_not_broadcast_name_the_function_and_arguments(fn, two, three):
    kw, extra = BROADCAST[fn]
    call = {**kw, **extra, two: np.full(2, kw[two]), three: np.full(3, kw[three])}
    pattern = (rf"^{fn}: the arguments must broadcast to one shape, got "
               rf"(?=.*(?<!\w){two} \(2,\))(?=.*(?<!\w){three} \(3,\))")
    with pytest.raises(LpperpError, match=pattern):
        getattr(v, fn)(**call)
    # and with matching shapes every argument broadcasts
    same = {**kw, **extra, two: np.full(3, kw[two]), three: np.full(3, kw[three])}
    assert np.shape(getattr(v, fn)(**same)) == (3,)


def test_dydx_open_interest_imf_without_scaling_is_quiet():
    """Caps 0/0 switch the scaling off: no division by the zero span happens (no numpy warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = v.dydx_open_interest_imf(np.array([0.02, 0.1]), np.array([0.0, 1e9]), 0.0, 0.0)
    np.testing.assert_array_equal(got, [0.02, 0.1])


def test_binance_defaults_are_an_isolated_position_without_cum():
    """Isolated (TMM1 = UPNL1 = 0) and cum 0 unless given: LP = (WB - side pos EP) / (pos MMR -
    side pos); a 3 ETH long with 1,000 USDT at MMR 0.5 %."""
    want = (1000.0 - 3.0 * 3000.0) / (3.0 * 0.005 - 3.0)
    assert v.binance_liquidation_price(1000.0, 3.0, 3000.0, 0.005) == pytest.approx(want, rel=1e-14)
    tiered = v.binance_liquidation_price_tiered(1000.0, 3.0, 3000.0, [0.0], [0.005])
    assert tiered == pytest.approx(want, rel=1e-14)


def test_tier_tables_given_as_a_row_are_flattened():
    rates, ded = v.hyperliquid_maintenance_deductions([[0, 100e6]], [[25, 15]])
    np.testing.assert_allclose(rates, [0.02, 1 / 30], rtol=1e-15)
    np.testing.assert_allclose(ded, [0.0, 100e6 * (1 / 30 - 1 / 50)], rtol=1e-14)
    np.testing.assert_allclose(v.binance_cum_amounts([[0, 5e4]], [[0.004, 0.005]]), [0.0, 50.0])
    tiered = v.binance_liquidation_price_tiered(1000.0, 3.0, 3000.0, [[0.0]], [[0.005]])
    assert tiered == pytest.approx((1000.0 - 9000.0) / (3.0 * 0.005 - 3.0), rel=1e-14)


@pytest.mark.parametrize(("tc", "mm", "want"), [(0.0, 0.0, 100.0), (-50.0, 0.0, 100.0),
                                                (0.5, 1.0, 0.0), (0.5, 0.1, 80.0),
                                                (1.0, 0.5, 50.0), (2.0, 1.0, 50.0)])
def test_drift_health_small_accounts_by_hand(tc, mm, want):
    """Collateral below one quote unit is still collateral; no requirement is health 100."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero collateral divides by zero only inside errstate
        assert v.drift_health(tc, mm) == want
        assert v.drift_health(0.0, 5.0) == 0.0
        assert v.drift_health(-0.0, 5.0) == 0.0  # a negative zero is no collateral either


def test_gmx_open_interest_defaults_switch_the_multiplier_off():
    """open_interest_usd and oi_multiplier default to 0: either alone leaves the min factor."""
    assert v.gmx_min_collateral_usd(1e5, 0.005, oi_multiplier=0.1) == pytest.approx(500.0)
    assert v.gmx_min_collateral_usd(1e5, 0.005, open_interest_usd=1e9) == pytest.approx(500.0)
    assert v.gmx_min_collateral_usd(1e5, 0.005, 1.0, 1e9, 1e-10) == pytest.approx(1e4)


@pytest.mark.parametrize(("amount", "want"), [(3029.5, 0.5), (3030.0, np.nan), (3031.0, np.nan),
                                              (2000.0, 1030.0)])
def test_gmx_long_with_stable_collateral_near_a_zero_price(amount, want):
    """1 ETH long of 3000 USD, min factor 1 %: equity amount + P - 3000 meets 30 at P = 3030 -
    amount; a price of 0 or below is no liquidation price (NaN)."""
    got = v.gmx_liquidation_price(1.0, 3000.0, amount, is_long=True,
                                  collateral_is_index_token=False, min_collateral_factor=0.01)
    if np.isnan(want):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-12)


def test_gmx_price_free_equity_is_nan_without_numpy_warnings():
    """A short backed by as many index tokens as its size: equity does not move with price."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fees in (0.0, 2970.0):  # 30 + 2970 - 3000 = 0: a 0 / 0 inside
            got = v.gmx_liquidation_price(1.0, 3000.0, 1.0, is_long=False,
                                          collateral_is_index_token=True,
                                          min_collateral_factor=0.01, fees_usd=fees)
            assert np.isnan(got)


def test_mechanics_fractions_are_single_numbers_and_generic_ones_are_undated():
    for f in ("trading_fee_fraction", "partial_fraction", "penalty_max_fraction"):
        with pytest.raises(LpperpError, match=rf"^{f} must be a single number here"):
            v.LiquidationMechanics("x", **{f: [0.1, 0.2]})
    generic = v.LiquidationMechanics.from_rules(MarginRules("mine", 0.1, 0.05))
    assert generic.read_on == "" and generic.source == "generic: full book liquidation, fee from 'mine'"


def test_mechanics_cover_shortage_buffer_is_one_float():
    m = v.LiquidationMechanics("x", cover_shortage_buffer=0)
    assert type(m.cover_shortage_buffer) is float and m.cover_shortage_buffer == 0.0
    assert type(v.LiquidationMechanics("x", cover_shortage_buffer=np.float32(0.5))
                .cover_shortage_buffer) is float
    with pytest.raises(LpperpError, match=r"^cover_shortage_buffer must be a single number here"):
        v.LiquidationMechanics("x", cover_shortage_buffer=[0.01, 0.02])


@pytest.mark.parametrize("size", [3.0, -3.0])
def test_binance_tiered_cross_terms_by_hand(size):
    """Cross mode: LP = (WB - TMM1 + UPNL1 + cum - side pos EP) / (pos MMR - side pos) with one
    bracket (cum 0), TMM1 = 70 and UPNL1 = -40 of the other positions."""
    wb, ep, mmr, tmm, upnl = 2000.0, 3000.0, 0.01, 70.0, -40.0
    side, pos = np.sign(size), abs(size)
    want = (wb - tmm + upnl - side * pos * ep) / (pos * mmr - side * pos)
    got = v.binance_liquidation_price_tiered(wb, size, ep, [0.0], [mmr], tmm, upnl)
    assert got == pytest.approx(want, rel=1e-13)
    assert got == pytest.approx(v.binance_liquidation_price(wb, size, ep, mmr, 0.0, tmm, upnl),
                                rel=1e-13)


def test_tier_floors_may_be_closer_than_one_quote_unit():
    np.testing.assert_allclose(v.binance_cum_amounts([0.0, 0.5], [0.01, 0.02]), [0.0, 0.005])
    _, ded = v.hyperliquid_maintenance_deductions([0.0, 0.25], [50.0, 25.0])
    np.testing.assert_allclose(ded, [0.0, 0.25 * (0.02 - 0.01)])


def test_binance_tiered_edges_by_hand():
    """Exact cases of LP_k = (WB + cum_k - side pos EP) / (pos MMR_k - side pos), 1 long:"""
    # a long whose wallet covers its whole entry notional: LP 0 is no liquidation price
    assert np.isnan(v.binance_liquidation_price_tiered(3000.0, 1.0, 3000.0, [0, 5e4],
                                                       [0.004, 0.005]))
    # a token priced below 1: (0.2 - 0.5) / (0.01 - 1) = 0.30303...
    got = v.binance_liquidation_price_tiered(0.2, 1.0, 0.5, [0.0], [0.01])
    assert got == pytest.approx(0.3 / 0.99, rel=1e-14)
    # exactly on a bracket floor (binary fractions: exact): cum = 1000 (0.5 - 0.25) = 250,
    # LP_1 = (250 + 250 - 1000) / -0.5 = 1000 = the floor, in the upper bracket
    assert v.binance_liquidation_price_tiered(250.0, 1.0, 1000.0, [0.0, 1000.0],
                                              [0.25, 0.5]) == 1000.0
    # vectorized: each account gets its own answer (NaN for the fully collateralized one)
    both = v.binance_liquidation_price_tiered([15_000.0, 1e6], [20.0, 20.0], 3000.0,
                                              [0, 50_000, 600_000], [0.004, 0.005, 0.0065])
    assert both[0] == pytest.approx(2259.0361, abs=1e-4) and np.isnan(both[1])

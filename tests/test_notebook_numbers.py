"""Every number a notebook's text quotes, recomputed with the notebook's own library calls (issue 14).

The notebooks run under ``--nbval-lax`` (outputs are not compared), so without these a quoted figure
could drift from what the code now computes. Each test names the notebook and the sentence; a
quoted number is checked to the digits it is quoted with. When a model change moves a figure on
purpose, update the notebook's sentence and the number here together.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from lpperp import REVERT_LEND_ARBITRUM_WETH_USDC, WETH_USDC_ARBITRUM
from lpperp.costs import ARBITRUM, ETHEREUM, EXAMPLE_FEE_APR, GAS_V3, action_cost
from lpperp.liquidation import compare_liquidations
from lpperp.margin import IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.rebalancing import break_even_volatility, rebalancing_economics
from lpperp.risk import BGK_BETA
from lpperp.venues import dydx_liquidation_price

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def markdown(name: str) -> str:
    """All markdown cells of ``notebooks/<name>`` joined: the quoted sentences must still be there
    (so a rewritten sentence shows up here instead of silently escaping its check)."""
    nb = json.loads((NOTEBOOKS / name).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


# --- 04 · liquidation boundaries -----------------------------------------------------------------
def test_nb04_dydx_short_liquidates_at_3174_60():
    """'equity 1,000 USDC, short 3 ETH at 3,000, maintenance 5 % -> liquidation at 3,174.60.'"""
    assert "3,174.60" in markdown("04_liquidation_boundaries.ipynb")
    rules = MarginRules("flat 5 %", initial_fraction=0.10, maintenance_fraction=0.05)
    short = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=rules)
    assert round(float(short.liquidation(3000.0).liquidation_price_above), 2) == 3174.60
    assert round(dydx_liquidation_price(1000.0, -3.0, 3000.0, 0.05), 2) == 3174.60


def test_nb04_seed_account_and_hyperliquid_partial_close():
    """'Revert's 77.5 % factor'; 'Ten times the size crosses Hyperliquid's 100k threshold, so there
    only 20 % is closed at the trigger' (GMX closes all of it)."""
    text = markdown("04_liquidation_boundaries.ipynb")
    assert "77.5 %" in text and "only 20 % is closed" in text
    assert REVERT_LEND_ARBITRUM_WETH_USDC.base_factor == 0.775
    big = IsolatedAccount(
        PerpPosition(-66.67, 3000.0),
        LPPosition.from_deposit(100_000, 3000.0, width_pct=20, pool=WETH_USDC_ARBITRUM),
        collateral=REVERT_LEND_ARBITRUM_WETH_USDC,
    )
    cmp = compare_liquidations(big, 3000.0, venues=("hyperliquid", "gmx"))
    assert float(cmp["hyperliquid"].closed_fraction) == pytest.approx(0.20, abs=1e-12)
    assert float(cmp["gmx"].closed_fraction) == 1.0


# --- 05 · rebalancing economics ------------------------------------------------------------------
def test_nb05_mainnet_recentre_at_20_gwei_is_47_27_usdc():
    """'787,760 x 20 x 10^-9 ETH x 3000 = 47.27 USDC. The library agrees'."""
    text = markdown("05_l2_rebalancing_economics.ipynb")
    assert "787{,}760" in text and "47.27" in text
    assert GAS_V3.gas("recentre") == 787_760
    cost = action_cost(replace(ETHEREUM, gas_price_gwei=20.0), "recentre").in_quote(3000.0)
    assert round(float(cost), 2) == 47.27


def test_nb05_lvr_and_the_daily_arbitrum_net():
    """'At 60 %/yr a 10,000 USDC position over +/-10 % loses about 9,197 USDC a year to LVR at the
    centre of its range. With a 30 % fee APR, recentred daily on Arbitrum, that is a net of about
    -6,461 USDC a year: fees (~ 3,000) - LVR (~ 9,195) - costs (~ 265).'"""
    text = markdown("05_l2_rebalancing_economics.ipynb")
    for quoted in ("9,197", "6,461", "3,000", "9,195", "265"):
        assert quoted in text
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    assert round(float(lp.lvr_rate(3000.0, 0.6))) == 9197
    e = rebalancing_economics(lp, 3000.0, 0.6, ARBITRUM, [365], fee_apr=0.3)
    assert round(float(e.net_yield_per_year[0])) == -6461
    assert round(float(e.fee_income_per_year[0]), -2) == 3000  # quoted as "~ 3,000"
    assert round(float(e.lvr_per_year[0])) == 9195
    assert round(float(e.cost_per_year[0])) == 265


def test_nb05_break_even_volatilities():
    """'At a 30 % fee APR: 24.35 % for +/-5 %, 34.27 % for +/-10 %, 48.09 % for +/-20 %; at the
    example 25 %, 31.28 % for +/-10 %.' (and 'At 25 %/yr volatility (below the 31.28 % ...')"""
    text = markdown("05_l2_rebalancing_economics.ipynb")
    for quoted in ("24.35 %", "34.27 %", "48.09 %", "31.28 %", "25 %/yr"):
        assert quoted in text
    s = break_even_volatility([5, 10, 20], 0.3)
    assert [round(100 * float(x), 2) for x in s] == [24.35, 34.27, 48.09]
    assert EXAMPLE_FEE_APR == 0.25
    assert round(100 * float(break_even_volatility(10, EXAMPLE_FEE_APR)), 2) == 31.28


# --- 06 · risk over time -------------------------------------------------------------------------
def test_nb06_bgk_beta():
    """'beta = 0.5826' (Broadie-Glasserman-Kou): -zeta(1/2) / sqrt(2 pi)."""
    import math

    from scipy.special import zeta

    assert "0.5826" in markdown("06_risk_monte_carlo.ipynb")
    assert round(BGK_BETA, 4) == 0.5826
    # from scipy's Riemann zeta, independent of the constant typed into lpperp.risk
    assert BGK_BETA == pytest.approx(-float(zeta(0.5)) / math.sqrt(2 * math.pi), rel=1e-12)

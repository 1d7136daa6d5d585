"""Notebook 05's explorer shows fees - LVR - costs and the break-even volatility: every new trace and
readout number against :mod:`lpperp.rebalancing` called directly (no browser)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

from lpperp.costs import ARBITRUM, CHAINS, ETHEREUM
from lpperp.position import LPPosition
from lpperp.rebalancing import break_even_volatility, rebalancing_economics
from lpperp.viz.economics import (
    CHAIN_KEYS,
    FREQUENCY_GRID,
    SIGMA_GRID,
    EconomicsScenario,
    RebalancingExplorer,
    compute_economics,
)

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)


def _trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}"
    return matches[0]


@pytest.fixture(scope="module")
def econ():
    return RebalancingExplorer(chain="arbitrum", frequency_per_year=365.0, sigma_per_year=0.6,
                               width_pct=10.0, fee_apr=0.3)


def test_the_issue_case_in_the_explorer(econ):
    """Daily on Arbitrum at 60 % vol: the readout and the stacked bars say fees - LVR - costs < 0."""
    e = rebalancing_economics(LP, 3000.0, 0.6, ARBITRUM, 365.0, fee_apr=0.3)
    r = econ.readout_values
    for key in ("fee_income_per_year", "lvr_per_year", "cost_per_year", "net_yield_per_year"):
        assert r[key] == pytest.approx(float(getattr(e, key)[0]), rel=1e-12)
    assert r["net_yield_per_year"] < -6_000
    assert "LVR /yr" in econ.readout.value
    i = CHAIN_KEYS.index("arbitrum")
    v = 10_000.0
    assert _trace(econ.figure, "LVR").y[i] == pytest.approx(100 * r["lvr_per_year"] / v)
    assert _trace(econ.figure, "net").y[i] == pytest.approx(100 * r["net_yield_per_year"] / v)
    stacked = sum(_trace(econ.figure, n).y[i] for n in
                  ("LVR", "execution gas", "L1 data fee", "swap fee + impact"))
    fee = _trace(econ.figure, "fee income").y[i]
    assert fee - stacked == pytest.approx(_trace(econ.figure, "net").y[i], rel=1e-9)


def test_fees_minus_lvr_line_and_net_curves(econ):
    e = rebalancing_economics(LP, 3000.0, 0.6, ETHEREUM, FREQUENCY_GRID, fee_apr=0.3)
    np.testing.assert_allclose(_trace(econ.figure, "fees - LVR").y,
                               100 * (e.fee_income_per_year - e.lvr_per_year) / 1e4, rtol=1e-12)
    np.testing.assert_allclose(_trace(econ.figure, "net APR · Ethereum mainnet").y,
                               100 * e.net_apr, rtol=1e-12)
    # above the break-even volatility no chain has a break-even frequency
    assert len(_trace(econ.figure, "break-even").x) == 0


def test_break_even_volatility_markers(econ):
    ex = econ
    with ex.hold():
        ex.controls["sigma_per_year"].value = 0.25
        ex.controls["frequency_per_year"].value = 52.0
    centre = break_even_volatility(10.0, 0.3)
    policy = break_even_volatility(10.0, 0.3, frequency_per_year=52.0, chain=ARBITRUM)
    assert list(_trace(ex.figure, "break-even volatility (centre)").x) == [pytest.approx(centre)]
    assert list(_trace(ex.figure, "break-even volatility (policy)").x) == [pytest.approx(policy)]
    assert ex.readout_values["break_even_volatility"] == pytest.approx(centre, rel=1e-12)
    assert ex.readout_values["break_even_volatility_policy"] == pytest.approx(policy, rel=1e-12)
    curve = rebalancing_economics(LP, 3000.0, SIGMA_GRID, ARBITRUM, 52.0, fee_apr=0.3)
    np.testing.assert_allclose(_trace(ex.figure, "net APR vs volatility").y, 100 * curve.net_apr,
                               rtol=1e-12)
    # the curve crosses zero at the policy's break-even volatility
    y = np.asarray(_trace(ex.figure, "net APR vs volatility").y)
    k = int(np.flatnonzero((y[:-1] > 0) & (y[1:] <= 0))[0])
    assert SIGMA_GRID[k] < policy <= SIGMA_GRID[k + 1]
    assert list(_trace(ex.figure, "current volatility").x) == [0.25]
    assert f"{100 * centre:.1f} % / {100 * policy:.1f} %" in ex.readout.value  # 34.3 % / ...


def test_default_scenario_pays_before_costs_on_an_l2():
    """The default volatility is below the break-even volatility, so the chains' costs decide."""
    r = compute_economics(EconomicsScenario(chain="ethereum", gas_price_gwei=20.0))
    s = r.scenario
    assert s.sigma_per_year < r.break_even_sigma
    i_eth, i_arb = CHAIN_KEYS.index("ethereum"), CHAIN_KEYS.index("arbitrum")
    at = r.at_frequency
    assert at[i_eth].net_yield_per_year[0] < 0 < at[i_arb].net_yield_per_year[0]
    busy = replace(CHAINS["ethereum"], gas_price_gwei=20.0)
    assert r.break_even_sigma_policy == pytest.approx(
        break_even_volatility(s.width_pct, s.fee_apr, frequency_per_year=s.frequency_per_year,
                              chain=busy), rel=1e-12)

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


@pytest.mark.parametrize(("sigma", "width", "fee"), [(0.25, 10.0, 0.25), (0.1, 2.0, 0.8),
                                                     (0.4, 40.0, 0.05), (0.6, 10.0, 0.3)])
def test_break_even_and_optimal_frequency_equal_the_library(sigma, width, fee):
    """The explorer shows lpperp.rebalancing's break-even and optimal frequencies (one
    ``frequency_search`` per chain) and the policy's break-even volatility: they equal the public
    functions on every chain, special values (NaN, inf) included (the searches themselves are
    checked against scalar solvers in tests/test_rebalancing_searches.py)."""
    from lpperp.rebalancing import break_even_frequency, optimal_frequency

    s = EconomicsScenario(chain="ethereum", gas_price_gwei=20.0, sigma_per_year=sigma,
                          width_pct=width, fee_apr=fee)
    r = compute_economics(s)
    lp = s.position()
    for j, chain in enumerate(r.chains):
        be = break_even_frequency(lp, 3000.0, sigma, chain, fee_apr=fee)
        if np.isfinite(be):
            assert r.break_even[j] == pytest.approx(be, rel=1e-8)
        else:
            assert str(r.break_even[j]) == str(be)
        opt = optimal_frequency(lp, 3000.0, sigma, chain, fee_apr=fee)
        assert r.optimal[j] == pytest.approx(opt, rel=1e-5)
        best = rebalancing_economics(lp, 3000.0, sigma, chain, opt, fee_apr=fee).net_apr[0]
        assert r.optimal_net_apr[j] == pytest.approx(best, abs=1e-9)
    policy = break_even_volatility(width, fee, frequency_per_year=52.0, chain=r.chains[0])
    if np.isfinite(policy):
        assert r.break_even_sigma_policy == pytest.approx(policy, rel=1e-12)
    else:
        assert str(r.break_even_sigma_policy) == str(policy)


def test_gas_price_curve_equals_the_library_at_each_gas_price():
    """The net-APR-vs-gas-price curve is the line through two library calls (the net yield is
    linear in the gas price): it equals a library call at every gas price of the grid."""
    r = compute_economics(EconomicsScenario(chain="arbitrum", frequency_per_year=365.0))
    for k in range(0, len(r.gas_grid_gwei), 10):
        chain = replace(ARBITRUM, gas_price_gwei=float(r.gas_grid_gwei[k]))
        e = rebalancing_economics(LP, 3000.0, 0.25, chain, 365.0, fee_apr=r.scenario.fee_apr)
        assert r.gas_net_apr[k] == pytest.approx(float(e.net_apr[0]), rel=1e-12, abs=1e-15)


def test_stacked_bars_axis_spans_the_stacks():
    """After a gas-price move the bar panel's y range covers each chain's whole stack."""
    ex = RebalancingExplorer(chain="ethereum", gas_price_gwei=20.0)
    ex.controls["gas_price_gwei"].value = 200.0
    fig = ex.figure
    bars = [t for t in fig.data if t.type == "bar"]
    up = np.sum([np.maximum(np.asarray(t.y, dtype=float), 0) for t in bars], axis=0)
    down = np.sum([np.minimum(np.asarray(t.y, dtype=float), 0) for t in bars], axis=0)
    lo, hi = fig.layout.yaxis3.range
    assert lo <= down.min() and up.max() <= hi

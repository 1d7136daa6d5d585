"""The rebalancing-economics and Monte Carlo explorers driven from Python, no browser.

Every check moves a control and compares what the figure and readout show with the library's own
numbers for the same inputs: :mod:`lpperp.rebalancing` and :mod:`lpperp.costs` for the economics,
:func:`lpperp.simulate.simulate` / ``compare_strategies`` / ``run_sweep`` and the GBM closed form
for the Monte Carlo explorer, on the same seed. Bad input must show its message and keep the last
plot; the same seed must give the very same figure after a slider goes away and back.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from lpperp.costs import ARBITRUM, BASE, CHAINS, ETHEREUM
from lpperp.position import LPPosition
from lpperp.prices import sample_prices
from lpperp.processes import GBM, BlockBootstrap, MertonJumpDiffusion
from lpperp.rebalancing import break_even_frequency, optimal_frequency, rebalancing_economics
from lpperp.risk import band_exit_probability, safe_band
from lpperp.simulate import affordable_interval_years, initial_account, simulate
from lpperp.strategies import compare_strategies, run_sweep
from lpperp.viz.economics import (
    CHAIN_KEYS,
    ECONOMICS_TRACES,
    FREQUENCY_GRID,
    EconomicsScenario,
    RebalancingExplorer,
    compute_economics,
    economics_figure,
)
from lpperp.viz.montecarlo import (
    KINDS,
    RISK_TRACES,
    WIDTHS_PCT,
    PathSpec,
    RiskExplorer,
    RiskScenario,
    compute_risk,
    risk_figure,
    seeded_paths,
)

N_PATHS = 1000
DAYS = 30


def _trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}"
    return matches[0]


def _figure_data(fig) -> list[dict]:
    """Every trace's data arrays (for identity checks)."""
    out = []
    for t in fig.data:
        out.append(
            {
                k: None if getattr(t, k, None) is None else np.asarray(getattr(t, k), dtype=object)
                for k in ("x", "y")
            }
        )
    return out


def _same(a: list[dict], b: list[dict]) -> bool:
    return all(
        (u[k] is None and v[k] is None)
        or (u[k] is not None and v[k] is not None and np.array_equal(u[k], v[k]))
        for u, v in zip(a, b, strict=True)
        for k in ("x", "y")
    )


def _decode(v):
    if isinstance(v, dict) and "buffer" in v:
        return np.frombuffer(v["buffer"], dtype=v["dtype"]).reshape(v["shape"])
    return np.asarray(v)


# ================================================================================================
# rebalancing economics (notebook 05)
# ================================================================================================
@pytest.fixture(scope="module")
def econ():
    return RebalancingExplorer(
        chain="ethereum", frequency_per_year=52.0, sigma_per_year=0.25, width_pct=10.0, fee_apr=0.25
    )


def _lp(deposit=10_000.0, width_pct=10.0):
    return LPPosition.from_deposit(deposit, 3000.0, width_pct=width_pct)


def test_economics_figure_equals_the_library(econ):
    ex = econ
    with ex.hold():
        ex.controls["gas_price_gwei"].value = 20.0
        ex.controls["frequency_per_year"].value = 52.0
    lp, kw = _lp(), {"fee_apr": 0.25}
    eth = replace(ETHEREUM, gas_price_gwei=20.0)
    e = rebalancing_economics(lp, 3000.0, 0.25, eth, FREQUENCY_GRID, **kw)
    np.testing.assert_allclose(
        _trace(ex.figure, "net APR · Ethereum mainnet").y, 100.0 * e.net_apr, rtol=1e-12
    )
    arb = rebalancing_economics(lp, 3000.0, 0.25, ARBITRUM, FREQUENCY_GRID, **kw)
    np.testing.assert_allclose(
        _trace(ex.figure, "net APR · Arbitrum One").y, 100.0 * arb.net_apr, rtol=1e-12
    )
    be = [break_even_frequency(lp, 3000.0, 0.25, c, **kw) for c in (eth, ARBITRUM, BASE)]
    shown = list(_trace(ex.figure, "break-even").x)
    assert shown[:3] == pytest.approx(be, rel=1e-12)
    opt = optimal_frequency(lp, 3000.0, 0.25, eth, **kw)
    # the explorer refines the optimum by vectorized passes, the library by a bounded Brent
    # search (xatol 1e-10 in log n): at a flat maximum both locate it to ~1e-6, and the net APR
    # there is the same to ~1e-12
    shown_opt = _trace(ex.figure, "optimal").x[0]
    assert shown_opt == pytest.approx(opt, rel=1e-5)
    at_opt = [rebalancing_economics(lp, 3000.0, 0.25, eth, n, **kw).net_apr[0] for n in (shown_opt, opt)]
    assert at_opt[0] == pytest.approx(at_opt[1], rel=1e-11)
    # readout: the selected chain at the selected frequency
    at = rebalancing_economics(lp, 3000.0, 0.25, eth, 52.0, **kw)
    r = ex.readout_values
    assert r["net_yield_per_year"] == pytest.approx(float(at.net_yield_per_year[0]), rel=1e-12)
    assert r["gas_per_rebalance"] == pytest.approx(float(at.gas_cost_per_rebalance[0]), rel=1e-12)
    assert r["break_even_frequency"] == pytest.approx(be[0], rel=1e-12)
    assert _trace(ex.figure, "selected").y[0] == pytest.approx(100.0 * float(at.net_apr[0]))
    assert "every 7.0 days" in ex.readout.value


def test_mainnet_gas_erases_the_yield_where_an_l2_keeps_it(econ):
    """The break-even plot's message, from the library's numbers: weekly recentring of a 10k
    position at 20 gwei costs more than it earns on mainnet and almost nothing on Arbitrum."""
    ex = econ
    with ex.hold():
        ex.controls["gas_price_gwei"].value = 20.0
        ex.controls["frequency_per_year"].value = 52.0
    r = ex.result
    i_eth, i_arb = CHAIN_KEYS.index("ethereum"), CHAIN_KEYS.index("arbitrum")
    assert (
        r.at_frequency[i_eth].net_yield_per_year[0]
        < 0
        < r.at_frequency[i_arb].net_yield_per_year[0]
    )
    assert r.break_even[i_eth] < 52.0 < r.break_even[i_arb]
    # the gas price that erases this frequency's yield: the library's net yield there is zero
    g = ex.readout_values["break_even_gas_gwei"]
    assert 1.0 < g < 20.0
    at = rebalancing_economics(
        _lp(), 3000.0, 0.25, replace(ETHEREUM, gas_price_gwei=g), 52.0, fee_apr=0.25
    )
    assert abs(float(at.net_yield_per_year[0])) < 1e-9 * 10_000.0
    assert list(_trace(ex.figure, "break-even gas price").x) == [pytest.approx(g)]


def test_chain_selector_and_l1_fee(econ):
    ex = econ
    ex.controls["chain"].value = "base"
    assert ex.controls["gas_price_gwei"].value == pytest.approx(BASE.gas_price_gwei)
    assert ex.result.scenario.chain == "base"
    ex.controls["l1_base_fee_gwei"].value = 5.0
    l2 = replace(BASE, l1_base_fee_gwei=5.0, blob_base_fee_gwei=5.0 / 16.0)
    at = rebalancing_economics(
        _lp(), 3000.0, 0.25, l2, ex.result.scenario.frequency_per_year, fee_apr=0.25
    )
    assert ex.readout_values["cost_per_year"] == pytest.approx(
        float(at.cost_per_year[0]), rel=1e-12
    )
    # the bar split: execution + L1 data + swap = the library's cost per year
    v = float(at.value)
    i = CHAIN_KEYS.index("base")
    parts = sum(
        _trace(ex.figure, n).y[i] for n in ("execution gas", "L1 data fee", "swap fee + impact")
    )
    assert parts == pytest.approx(100.0 * float(at.cost_per_year[0]) / v, rel=1e-9)
    # the thick line follows the selected chain
    assert _trace(ex.figure, "net APR · Base").line.width == 4
    assert _trace(ex.figure, "net APR · Ethereum mainnet").line.width == 1.5
    with ex.hold():
        ex.controls["l1_base_fee_gwei"].value = 1.0
        ex.controls["chain"].value = "ethereum"
    assert ex.controls["gas_price_gwei"].value == pytest.approx(ETHEREUM.gas_price_gwei)


def test_frequency_slider_moves_only_the_marker(econ):
    ex = econ
    ex.controls["frequency_per_year"].value = 52.0
    curves = [np.array(_trace(ex.figure, f"net APR · {CHAINS[k].name}").y) for k in CHAIN_KEYS]
    ex.controls["frequency_per_year"].value = 365.0
    assert list(_trace(ex.figure, "selected frequency").x) == [365.0, 365.0]
    after = [np.array(_trace(ex.figure, f"net APR · {CHAINS[k].name}").y) for k in CHAIN_KEYS]
    assert all(np.array_equal(a, b) for a, b in zip(curves, after, strict=True))
    assert ex.readout_values["frequency_per_year"] == 365.0


def test_economics_bad_input_keeps_the_last_plot(econ):
    ex = econ
    before, readout = _figure_data(ex.figure), ex.readout.value
    ex.controls["deposit"].value = -10.0
    assert "deposit must be a finite number &gt; 0, got -10.0" in ex.status.value
    assert _same(before, _figure_data(ex.figure))
    assert ex.readout.value == readout
    ex.controls["deposit"].value = 10_000.0
    assert ex.status.value == ""


def test_economics_widget_state_is_resynced(econ):
    ex = econ
    ex.controls["frequency_per_year"].value = 100.0
    state = {t["name"]: t for t in ex.figure.get_state()["_widget_data"]}
    np.testing.assert_array_equal(_decode(state["selected frequency"]["x"]), [100.0, 100.0])


def test_economics_static_figure_and_bad_scenarios():
    r = compute_economics(EconomicsScenario())
    assert [t.name for t in economics_figure(r, widget=False).data] == list(ECONOMICS_TRACES)
    assert "net APR" in r._repr_html_()
    for kw, msg in [
        ({"chain": "solana"}, "chain must be one of"),
        ({"width_pct": 100.0}, "width_pct must be in"),
        ({"frequency_per_year": 0.0}, "frequency_per_year"),
    ]:
        with pytest.raises(ValueError, match=msg):
            EconomicsScenario(**kw)


# ================================================================================================
# Monte Carlo risk (notebook 06)
# ================================================================================================
@pytest.fixture(scope="module")
def risk():
    return RiskExplorer(n_paths=N_PATHS, horizon_days=DAYS, seed=3, leverage=2.0, width_pct=20.0)


def _simulate(ex, **changes):
    rs = ex.result.scenario
    return simulate(
        rs.scenario(**changes), rs.paths().process(), DAYS / 365, DAYS, N_PATHS, seed=rs.seed
    )


def _simulate_n(ex, days, n_paths):
    rs = ex.result.scenario
    return simulate(rs.scenario(), rs.paths().process(), days / 365, days, n_paths, seed=rs.seed)


def test_seeded_paths_are_simulates_paths():
    spec = PathSpec("merton", 0.7, 12, 300, 5)
    prices, noise = seeded_paths(spec)
    rs = RiskScenario(
        process="merton",
        sigma_per_year=0.7,
        horizon_days=12,
        n_paths=300,
        seed=5,
        policy="recentre + top up",
        reaction="person (4 h)",
        chain="ethereum",
    )
    from lpperp.simulate import run_on_paths

    a = run_on_paths(rs.scenario(), prices, 1 / 365, noise=noise)
    b = simulate(
        rs.scenario(), MertonJumpDiffusion(0.7, 6.0, -0.05, 0.10), 12 / 365, 12, 300, seed=5
    )
    # same liquidations and actions; money to the last bits of numpy's SIMD exp/sqrt
    for f in ("liquidation_step", "n_recentres", "n_top_ups"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    for f in ("final_wealth", "costs", "fees", "il", "perp"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-13, atol=1e-9)


def test_risk_figure_and_readout_equal_simulate(risk):
    ex = risk
    r = _simulate(ex)
    np.testing.assert_array_equal(
        _trace(ex.figure, "survival (Monte Carlo)").y, 100.0 * r.survival_curve()
    )
    s = r.summary()
    v = ex.readout_values
    assert v["survival"] == s.survival
    assert (v["survival_low"], v["survival_high"]) == s.survival_ci
    assert v["expected_return"] == pytest.approx(s.expected_return, rel=1e-12)
    assert v["tail_loss"] == pytest.approx(-s.tail_return, rel=1e-12)
    assert v["fees_earned"] == pytest.approx(s.fees_earned, rel=1e-12)
    np.testing.assert_allclose(
        _trace(ex.figure, "returns · LP as collateral").x, 100.0 * r.returns, rtol=1e-12, atol=1e-12
    )
    stable = _simulate(ex, kind="stable")
    np.testing.assert_allclose(
        _trace(ex.figure, "returns · idle stablecoin").x,
        100.0 * stable.returns,
        rtol=1e-12,
        atol=1e-12,
    )
    assert _trace(ex.figure, "selected width").y[0] == 100.0 * s.survival


def test_strategy_table_equals_compare_strategies(risk):
    ex = risk
    rs = ex.result.scenario
    scs = {
        f"{KINDS[k]} · {m}": rs.scenario(kind=k, mode=m)
        for k in KINDS
        for m in ("isolated", "cross")
    }
    t = compare_strategies(scs, GBM(rs.sigma_per_year), DAYS / 365, DAYS, N_PATHS, seed=rs.seed)
    assert ex.result.table.names == t.names
    for name in t.names:
        assert ex.result.table.row(name) == pytest.approx(t.row(name), rel=1e-12)
        assert f"data-key='{name}'" in ex.readout.value


def test_closed_form_trace_is_the_gbm_band_exit(risk):
    ex = risk
    rs = ex.result.scenario
    lo, hi = safe_band(initial_account(rs.scenario()), 3000.0)
    days = np.arange(DAYS + 1)
    expect = 1.0 - band_exit_probability(
        3000.0, lo, hi, rs.sigma_per_year, days / 365, dt_years=1 / 365
    )
    np.testing.assert_allclose(
        _trace(ex.figure, "closed form (GBM, band fixed at entry)").y, 100.0 * expect, rtol=1e-12
    )
    # Monte Carlo (with fees and funding moving the band a little) within a few standard errors
    assert abs(ex.readout_values["survival"] - expect[-1]) < 0.05


def test_leverage_slider_reruns_only_what_changed_and_matches_run_sweep(risk):
    ex = risk
    ex.controls["leverage"].value = 4.0
    runs = ex.cache.runs
    ex.controls["leverage"].value = 4.0 + 0.25
    # six strategies (the selected among them) and the width sweep; the leverage sweep is cached
    assert ex.cache.runs - runs <= len(KINDS) * 2 + len(WIDTHS_PCT)
    runs = ex.cache.runs
    ex.controls["leverage"].value = 4.0
    assert ex.cache.runs == runs  # back: nothing to run
    rs = ex.result.scenario
    out = run_sweep(
        rs.scenario(),
        {"width_pct": list(ex.result.widths_pct)},
        GBM(rs.sigma_per_year),
        DAYS / 365,
        DAYS,
        N_PATHS,
        seed=rs.seed,
    )
    np.testing.assert_array_equal(
        _trace(ex.figure, "survival vs width").y, [100.0 * s.survival for _, s in out]
    )
    assert list(_trace(ex.figure, "selected leverage").x) == [4.0]
    assert ex.readout_values["survival"] == _simulate(ex).summary().survival
    ex.controls["leverage"].value = 2.0


def test_same_seed_same_figure_after_a_round_trip(risk):
    ex = risk
    before = _figure_data(ex.figure)
    ex.controls["sigma_per_year"].value = 1.2
    assert not _same(before, _figure_data(ex.figure))
    ex.controls["sigma_per_year"].value = 0.8
    assert _same(before, _figure_data(ex.figure))
    # a fresh explorer (empty cache) on the same seed draws the same figure; another seed does not
    fresh = RiskExplorer(n_paths=N_PATHS, horizon_days=DAYS, seed=3)
    assert _same(before, _figure_data(fresh.figure))
    fresh.controls["seed"].value = 4
    assert not _same(before, _figure_data(fresh.figure))


def test_recentring_policy_on_mainnet_equals_simulate(risk):
    ex = risk
    with ex.hold():
        ex.controls["policy"].value = "recentre + top up"
        ex.controls["chain"].value = "ethereum"
        ex.controls["reaction"].value = "person (4 h)"
    rs = ex.result.scenario
    sc = rs.scenario()
    expect_interval = affordable_interval_years(
        replace(sc, policy=replace(sc.policy, recentre=False)), 0.8
    )
    assert sc.policy.min_interval_years == pytest.approx(expect_interval, rel=1e-12)
    assert ex.readout_values["recentre_interval_days"] == pytest.approx(365 * expect_interval)
    r = _simulate(ex)
    assert r.n_recentres.mean() > 0
    s = r.summary()
    assert ex.readout_values["survival"] == s.survival
    assert ex.readout_values["costs_paid"] == pytest.approx(s.costs_paid, rel=1e-12)
    assert ex.readout_values["mean_recentres"] == s.mean_recentres
    with ex.hold():
        ex.controls["policy"].value = "hold"
        ex.controls["chain"].value = "arbitrum"
        ex.controls["reaction"].value = "bot (1 min)"


def test_other_processes_equal_simulate():
    ex = RiskExplorer(n_paths=400, horizon_days=20, seed=1, process="bootstrap")
    assert ex.controls["sigma_per_year"].disabled
    r = simulate(
        ex.result.selected,
        BlockBootstrap.from_series(sample_prices(), 5),
        20 / 365,
        20,
        400,
        seed=1,
    )
    np.testing.assert_array_equal(ex.result.survival, r.survival_curve())
    assert np.isnan(ex.readout_values["closed_form_survival"])  # GBM closed form only for GBM
    ex.controls["process"].value = "merton"
    r = simulate(
        ex.result.selected, MertonJumpDiffusion(0.8, 6.0, -0.05, 0.10), 20 / 365, 20, 400, seed=1
    )
    np.testing.assert_allclose(ex.result.returns["lp"], r.returns, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("wallet_cash", -5.0, "wallet_cash must be a finite number &gt;= 0, got -5.0"),
        ("seed", -1, "seed must be"),
    ],
)
def test_risk_bad_input_keeps_the_last_plot(risk, control, value, message):
    ex = risk
    before, readout = _figure_data(ex.figure), ex.readout.value
    good = ex.controls[control].value
    ex.controls[control].value = value
    assert message in ex.status.value
    assert _same(before, _figure_data(ex.figure))
    assert ex.readout.value == readout
    ex.controls[control].value = good
    assert ex.status.value == ""
    assert _same(before, _figure_data(ex.figure))


def test_liquidatable_at_entry_is_shown_not_an_error():
    # 30 % of the deposit as cash margin (3,000) under a 16x short: maintenance 2 % of 160,000.
    # The simulator checks at the grid steps, so paths whose first day helps the short survive it.
    ex = RiskExplorer(
        n_paths=200, horizon_days=5, width_pct=2.0, leverage=16.0, kind="lp_plus_cash"
    )
    assert ex.status.value == ""
    assert "liquidatable at entry" in ex.readout.value
    assert np.isnan(ex.readout_values["closed_form_survival"])
    assert ex.readout_values["survival"] == _simulate_n(ex, 5, 200).summary().survival < 0.5


def test_risk_widget_state_and_static_figure(risk):
    ex = risk
    ex.controls["width_pct"].value = 15.0
    state = {t["name"]: t for t in ex.figure.get_state()["_widget_data"]}
    np.testing.assert_array_equal(_decode(state["selected width"]["x"]), [15.0])
    ex.controls["width_pct"].value = 20.0
    r = compute_risk(RiskScenario(n_paths=200, horizon_days=5))
    assert [t.name for t in risk_figure(r, widget=False).data] == list(RISK_TRACES)
    assert "same paths for every row" in r._repr_html_()


def test_attribution_bars_stack_to_the_expected_pnl_of_each_strategy():
    """The stacked bars are each strategy's mean attribution (compare_strategies on the same
    seed); gains stack up from zero and losses down, and they add up to the expected P&L."""
    ex = RiskExplorer(n_paths=500, horizon_days=15, seed=3, policy="delta hedge")
    r = ex.result
    t = compare_strategies(
        {n: r.scenario.scenario(kind=k, mode=m) for n, (k, m) in
         zip(r.table.names, [(k, m) for k in KINDS for m in ("isolated", "cross")], strict=True)},
        r.scenario.paths().process(), 15 / 365, 15, 500, seed=3,
    )
    from lpperp.viz.montecarlo import ATTRIBUTION_PARTS

    total = np.zeros(len(t.names))
    for key, label, _ in ATTRIBUTION_PARTS:
        bar = _trace(ex.figure, f"P&L · {label}")
        col = "pnl_" + (key if key != "liquidation_loss" else "liquidation")
        np.testing.assert_allclose(np.asarray(bar.y, float), t.column(col), rtol=1e-9, atol=1e-9)
        assert list(bar.x) == list(t.names)
        total += np.asarray(bar.y, float)
    np.testing.assert_allclose(total, _trace(ex.figure, "expected P&L").y, rtol=1e-9, atol=1e-6)
    # the hedged LP pays perp trading fees; idle stablecoins have no LP to hedge
    fees = np.asarray(_trace(ex.figure, "P&L · perp trading fees").y, float)
    names = list(t.names)
    assert fees[names.index("LP as collateral · isolated")] < 0
    sel = r.selected
    assert sel.policy.hedge and sel.perp_size < 0
    assert not r.scenario.scenario(kind="stable").policy.hedge


# ------------------------------------------------------------------------------------------------
# no exception escapes a change handler; the readout never prints nan (issue 13)
# ------------------------------------------------------------------------------------------------
def test_unexpected_failure_becomes_the_status_and_keeps_the_plot(monkeypatch) -> None:
    import lpperp.viz.montecarlo as mc

    ex = RiskExplorer(n_paths=300, horizon_days=5, seed=2)
    before = [np.asarray(t.y).copy() for t in ex.figure.data if getattr(t, "y", None) is not None]
    real = mc.compute_risk

    def broken(*a, **k):
        raise OverflowError("math range error")

    monkeypatch.setattr(mc, "compute_risk", broken)
    ex.controls["leverage"].value = 3.0  # must not raise out of the handler
    assert "OverflowError" in ex.status.value and "math range error" in ex.status.value
    after = [np.asarray(t.y) for t in ex.figure.data if getattr(t, "y", None) is not None]
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(before, after, strict=True))
    monkeypatch.setattr(mc, "compute_risk", real)
    ex.controls["leverage"].value = 2.5
    assert ex.status.value == "" and ex.result.scenario.leverage == 2.5


def test_readout_shows_a_dash_not_nan(monkeypatch) -> None:
    from lpperp.viz.montecarlo import RiskResult

    ex = RiskExplorer(n_paths=300, horizon_days=5, seed=2)
    keys = dict(ex.result.readout)
    monkeypatch.setattr(RiskResult, "readout", property(lambda self: dict.fromkeys(keys, np.nan)))
    items = ex._readout_items(ex.result)
    texts = [t for _, _, t in items]
    assert not any("nan" in t.lower() for t in texts), texts
    assert texts[items.index(next(i for i in items if i[0] == "fees_earned"))] == "-"


def test_in_a_running_kernel_the_selected_strategy_is_drawn_first_then_the_rest():
    """With an event loop running (a live kernel) a move first draws the selected strategy's run
    - current survival, readout and returns - with the table and sweeps of the previous settings,
    says so (status line, ``lpperp-busy``), then finishes on the loop: the final figure and table
    equal compute_risk's on fresh caches. A move while the rest is pending supersedes it."""
    import asyncio

    from lpperp.viz.montecarlo import SimulationCache, compute_risk, risk_runs

    async def main() -> None:
        ex = RiskExplorer(n_paths=300, horizon_days=8)
        ex.progressive = True
        before = ex.result
        ex.controls["leverage"].value = 3.0
        first = ex.result
        assert first.pending_runs > 0 and "lpperp-busy" in ex.widget._dom_classes
        assert "runs left" in ex.status.value and "updating" in ex.readout.value
        assert first.scenario.leverage == 3.0 and first.table is before.table
        fresh = compute_risk(ex.scenario(), SimulationCache())
        np.testing.assert_array_equal(first.survival, fresh.survival)
        assert first.readout["expected_return"] == fresh.readout["expected_return"]
        ex.controls["leverage"].value = 3.5  # supersedes the pending runs of 3.0
        deadline = asyncio.get_running_loop().time() + 60.0  # the rest waits settle_seconds
        while asyncio.get_running_loop().time() < deadline:
            if "lpperp-busy" not in ex.widget._dom_classes:
                break
            await asyncio.sleep(0.005)
        assert "lpperp-busy" not in ex.widget._dom_classes and ex.status.value == ""
        done = ex.result
        fresh = compute_risk(ex.scenario(), SimulationCache())
        assert done.pending_runs == 0 and done.scenario.leverage == 3.5
        assert [s.survival for s in done.table.summaries] == \
            [s.survival for s in fresh.table.summaries]
        np.testing.assert_array_equal(done.survival_by_width, fresh.survival_by_width)
        assert all(ex.cache.has(ex.scenario().paths(), sc) for sc in risk_runs(ex.scenario()))
        for j, t in enumerate(ex.figure.data[:3]):
            assert t.x is not None, j

    asyncio.run(main())


def test_in_a_running_kernel_the_next_slider_step_is_prefetched_and_exact():
    """After a leverage move the selected strategy's run one step further the same way is in the
    cache before the rest of the move runs (so the next key press draws without a simulation),
    and once everything is current, one step either way of leverage and width; what a press then
    draws equals compute_risk on a fresh cache. A further move during the settle wait drops the
    pending runs and is drawn at once."""
    import asyncio

    from lpperp.viz.montecarlo import SimulationCache, compute_risk, risk_runs

    async def settle(ex: RiskExplorer) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60.0
        while loop.time() < deadline and "lpperp-busy" in ex.widget._dom_classes:
            await asyncio.sleep(0.005)
        for _ in range(20):  # the prefetch after completion: one run per loop turn
            await asyncio.sleep(0)

    async def main() -> None:
        ex = RiskExplorer(n_paths=300, horizon_days=8)
        lev = ex.controls["leverage"]
        lev.value = 2.25
        rs = ex.scenario()
        await asyncio.sleep(0)  # one loop turn: the prefetch of 2.5 runs first
        spec = rs.paths()
        assert ex.cache.has(spec, replace(rs, leverage=2.5).scenario())
        assert "lpperp-busy" in ex.widget._dom_classes  # the rest waits settle_seconds
        runs = ex.cache.runs
        lev.value = 2.5  # during the settle wait: drawn at once from the cache
        assert ex.cache.runs == runs and ex.result.scenario.leverage == 2.5
        fresh = compute_risk(ex.scenario(), SimulationCache())
        np.testing.assert_array_equal(ex.result.survival, fresh.survival)
        assert ex.result.readout["expected_return"] == fresh.readout["expected_return"]
        await settle(ex)
        rs = ex.scenario()
        assert all(ex.cache.has(rs.paths(), sc) for sc in risk_runs(rs))
        for name, step in (("leverage", 0.25), ("width_pct", 0.5)):
            for way in (1.0, -1.0):
                near = replace(rs, **{name: getattr(rs, name) + way * step})
                assert ex.cache.has(rs.paths(), near.scenario()), (name, way)
        done = ex.result
        assert done.pending_runs == 0 and ex.status.value == ""
        assert [s.survival for s in done.table.summaries] == \
            [s.survival for s in fresh.table.summaries]

    asyncio.run(main())

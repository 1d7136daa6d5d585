"""lpperp.strategies against the underlying runs (issue 14: a fast test set for ``make mutate``).

Each table row is recomputed from the :class:`~lpperp.simulate.PathResults` of the same strategy
run alone on the same seed (common random numbers: the paths depend on the seed only), with the
statistics done here by hand (Wilson 1927 score interval, the 5 % quantile, means); the text and
HTML tables are parsed back; stress losses against :func:`run_on_paths` on each shock alone; the
sweep against :func:`simulate` point by point. Small runs (tens of paths, a few steps): ~1 s.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from lpperp._validate import LpperpError
from lpperp.costs import ARBITRUM
from lpperp.perp import MarginRules
from lpperp.processes import GBM, MertonJumpDiffusion
from lpperp.simulate import ATTRIBUTION, Policy, Scenario, run_on_paths, simulate
from lpperp.strategies import (
    StrategyTable,
    compare_strategies,
    hedging_strategies,
    run_sweep,
    shock_paths,
    stress_test,
)

RULES = MarginRules("test 2%/4%", 0.04, 0.02, liquidation_fee_fraction=0.01)
PROC = MertonJumpDiffusion(0.9, 10.0, -0.03, 0.12)
TAU, STEPS, NPATHS, SEED = 20 / 365, 10, 60, 11
LONG = "a strategy whose name is longer than thirty-three characters"
BASE = Scenario(rules=RULES, chain=ARBITRUM, fee_apr=0.3, funding_rate_per_year=0.15,
                policy=Policy(recentre=True, blocks=0, latency_s=0.0))
SCS = {
    "LP 3x": replace(BASE, leverage=3.0),
    "stable 6x": replace(BASE, kind="stable", leverage=6.0, cash_apr=0.05),
    LONG: replace(BASE, kind="lp_plus_cash", leverage=2.0, wallet_cash=1000.0),
    "hedged": replace(BASE, perp_fee_fraction=0.0004,
                      policy=Policy(hedge=True, hedge_band=0.05, latency_s=0.0)),
}


Z95 = float(norm.ppf(0.975))


def _wilson(k, n, z=Z95):
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(mid - half, 0.0), min(mid + half, 1.0)


def _row_by_hand(r):
    cap = r.capital + r.capital_added
    ret = r.pnl / cap
    k = int((~r.liquidated).sum())
    lo, hi = _wilson(k, r.n_paths)
    row = {"survival": k / r.n_paths, "survival_low": lo, "survival_high": hi,
           "expected_return": ret.mean(), "tail_loss": -np.quantile(ret, 0.05),
           "fees_earned": r.fees.mean(), "costs_paid": r.costs.mean()}
    for name, sign in ATTRIBUTION:
        col = "liquidation" if name == "liquidation_loss" else name
        row[f"pnl_{col}"] = (sign * getattr(r, name)).mean()
    row.update(expected_pnl=r.pnl.mean(), lvr=r.lvr.mean(), bad_debt=r.bad_debt.mean(),
               funding_sensitivity=-0.1 * (r.funding_exposure / cap).mean())
    return row


@pytest.fixture(scope="module")
def table():
    return compare_strategies(SCS, PROC, TAU, STEPS, NPATHS, seed=SEED)


@pytest.fixture(scope="module")
def alone():
    return {k: simulate(s, PROC, TAU, STEPS, NPATHS, seed=SEED) for k, s in SCS.items()}


def test_rows_are_the_strategies_run_alone_on_the_same_paths(table, alone):
    assert table.names == tuple(SCS) and table.n_paths == NPATHS and table.tau_years == TAU
    assert isinstance(table, StrategyTable)
    assert table.COLUMNS == (
        "survival", "survival_low", "survival_high", "expected_return", "tail_loss",
        "fees_earned", "costs_paid", "pnl_fees", "pnl_hold", "pnl_il", "pnl_perp", "pnl_funding",
        "pnl_cash_yield", "pnl_costs", "pnl_hedge_costs", "pnl_liquidation", "expected_pnl",
        "lvr", "bad_debt", "funding_sensitivity")
    liquidated = 0
    for name, r in alone.items():
        row = table.row(name)
        assert list(row) == list(table.COLUMNS)
        want = _row_by_hand(r)
        for col in table.COLUMNS:
            assert row[col] == pytest.approx(want[col], rel=1e-12, abs=1e-12), (name, col)
        assert sum(row[c] for c in table.COLUMNS if c.startswith("pnl_")) == pytest.approx(
            row["expected_pnl"], rel=1e-9)
        liquidated += int(r.liquidated.sum())
    assert 0 < liquidated < NPATHS * len(SCS)  # survival is not trivially 1 or 0
    assert table.row("stable 6x")["fees_earned"] == 0 and table.row("LP 3x")["fees_earned"] > 0
    d = table.as_dict()
    assert list(d) == list(SCS) and d["hedged"] == table.row("hedged")
    for col in ("survival", "tail_loss", "pnl_liquidation", "funding_sensitivity"):
        np.testing.assert_array_equal(table.column(col), [table.row(n)[col] for n in SCS])
    with pytest.raises(LpperpError, match="col"):
        table.column("survivall")


def _num(x):
    return float(x.replace(",", ""))


def test_text_table_reads_back_the_rows(table):
    lines = repr(table).splitlines()
    assert lines[0].split() == ["strategy", "survival", "E[ret]", "tail", "fees", "IL", "perp",
                                "funding", "costs", "hedge", "liq", "dE/10%f"]
    assert len(lines) == 1 + len(SCS)
    cols = [("survival", 4), ("expected_return", 4), ("tail_loss", 4), ("pnl_fees", 2),
            ("pnl_il", 2), ("pnl_perp", 2), ("pnl_funding", 2), ("pnl_costs", 2),
            ("pnl_hedge_costs", 2), ("pnl_liquidation", 2), ("funding_sensitivity", 4)]
    for line, name in zip(lines[1:], SCS, strict=True):
        assert line[:34] == f"{name[:33]:<34}"
        vals = line[34:].split()
        assert len(vals) == len(cols)
        row = table.row(name)
        for v, (col, digits) in zip(vals, cols, strict=True):
            assert float(v) == pytest.approx(row[col], abs=0.51 * 10**-digits), (name, col)
    widths = [len(ln) for ln in lines]
    assert widths[0] == 34 + 9 * 3 + 10 * 3 + 9 * 2 + 8 + 9 + 9 and len(set(widths)) == 1


def test_html_table_reads_back_the_rows(table):
    html = table._repr_html_()
    heads = re.findall(r"<th>(.*?)</th>", html)
    assert heads == ["strategy", *(c.replace("_", " ") for c in table.COLUMNS)]
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", html)
    assert [n for n, _ in rows] == list(SCS)
    for name, cells in rows:
        vals = re.findall(r"<td>(.*?)</td>", cells)
        for v, (col, want) in zip(vals, table.row(name).items(), strict=True):
            assert _num(v) == pytest.approx(want, rel=6e-4, abs=6e-3), (name, col)
    assert html.startswith("<table><thead><tr><th>strategy</th>")
    assert html.endswith(f"<p>{NPATHS} paths, 20 days, same paths for every row</p>")


def test_scenarios_as_a_list_a_tuple_a_mapping_or_one():
    small = dict(process=GBM(0.7), tau_years=5 / 365, n_steps=4, n_paths=8, seed=2)
    a, b = Scenario(name="a", leverage=1.0), Scenario(name="b", kind="stable")
    listed = compare_strategies([a, b], **small)
    tupled = compare_strategies((a, b), **small)
    mapped = compare_strategies({"x": a, "y": b}, **small)
    one = compare_strategies(a, **small)
    assert listed.names == tupled.names == ("a", "b") and mapped.names == ("x", "y")
    assert one.names == ("a",) and one.row("a") == listed.row("a") == mapped.row("x")
    assert tupled.row("b") == mapped.row("y")
    with pytest.raises(LpperpError, match="names must be distinct"):
        compare_strategies([a, a], **small)
    with pytest.raises(LpperpError, match="at least one Scenario"):
        compare_strategies([], **small)
    with pytest.raises(LpperpError, match="at least one Scenario"):
        compare_strategies({}, **small)
    with pytest.raises(LpperpError, match="must be a dict of name -> Scenario or a list"):
        compare_strategies(iter([a]), **small)
    with pytest.raises(LpperpError, match=r"scenarios\[1\] must be a Scenario"):
        compare_strategies((a, 3.0), **small)
    with pytest.raises(LpperpError, match="need the same price"):
        compare_strategies([a, replace(b, price=2000.0)], **small)
    # the budget counts every row: 2 x 300 paths x 4 steps
    with pytest.raises(LpperpError, match=r"compare_strategies \(2 scenarios on the same paths"):
        compare_strategies([a, b], GBM(0.7), 5 / 365, 4, 300, max_path_steps=2000)
    assert compare_strategies([a], GBM(0.7), 5 / 365, 4, 300, seed=1,
                              max_path_steps=2000).n_paths == 300
    with pytest.raises(LpperpError, match=r"compare_strategies: .*max_path_steps="):
        compare_strategies([a], GBM(0.7), 5 / 365, 4, 300, max_path_steps=1000)


def test_chunking_and_progress_change_nothing():
    a = compare_strategies({"x": BASE}, GBM(0.8), 5 / 365, 5, 40, seed=4)
    b = compare_strategies({"x": BASE}, GBM(0.8), 5 / 365, 5, 40, seed=4, chunk_paths=7,
                           progress=True)
    c = compare_strategies({"x": BASE}, GBM(0.8), 5 / 365, 5, 40, seed=5)
    assert a.row("x") == b.row("x") and a.row("x") != c.row("x")
    d = compare_strategies({"x": BASE}, GBM(0.8), 5 / 365, 5, 40)  # the default seed is 0
    assert d.row("x") == compare_strategies({"x": BASE}, GBM(0.8), 5 / 365, 5, 40, seed=0).row("x")


def test_hedging_strategies_are_the_documented_rows():
    base = replace(BASE, leverage=3.0, side="long",
                   policy=Policy(recentre=True, top_up=True, latency_s=30.0))
    out = hedging_strategies(base, bands=(0.02, 0.125, 1), hedge_ratio=0.7)
    assert list(out) == ["LP, unhedged", "LP hedged · band 2%", "LP hedged · band 12.5%",
                         "LP hedged · band 100%", "LP + separate cash, perp", "stablecoin, perp",
                         "hold"]
    un = out["LP, unhedged"]
    assert un.kind == "lp" and un.leverage == 0.0 and not un.policy.hedge
    assert un.policy == replace(base.policy, hedge=False) and un.chain is ARBITRUM
    for band, key in ((0.02, "2%"), (0.125, "12.5%"), (1.0, "100%")):
        h = out[f"LP hedged · band {key}"]
        assert h.kind == "lp" and h.leverage == 3.0 and h.side == "long"
        assert h.policy == replace(base.policy, hedge=True, hedge_band=band, hedge_ratio=0.7)
    cash = out["LP + separate cash, perp"]
    assert cash.kind == "lp_plus_cash" and cash.leverage == 3.0
    assert cash.policy == replace(base.policy, hedge=False)
    st = out["stablecoin, perp"]
    assert st.kind == "stable" and st.leverage == 3.0
    assert st.policy == replace(base.policy, hedge=False, recentre=False) and st.policy.top_up
    hold = out["hold"]
    assert hold.kind == "hold" and hold.leverage == 0.0 and hold.policy == Policy()
    for s in out.values():
        assert (s.deposit, s.width_pct, s.fee_apr, s.name) == (
            base.deposit, base.width_pct, base.fee_apr, base.name)
    assert list(hedging_strategies(base))[1:4] == [
        "LP hedged · band 2%", "LP hedged · band 10%", "LP hedged · band 30%"]
    assert hedging_strategies(base)["LP hedged · band 10%"].policy.hedge_ratio == 1.0
    assert list(hedging_strategies(base, bands=[]))[1] == "LP + separate cash, perp"
    assert list(hedging_strategies(base, bands=np.array([0.5])))[1] == "LP hedged · band 50%"
    with pytest.raises(LpperpError, match="bands must be a list"):
        hedging_strategies(base, bands=b"\x01")
    with pytest.raises(LpperpError, match="bands must be a list"):
        hedging_strategies(base, bands=0.1)


def test_shock_paths_by_hand():
    p = shock_paths(2000.0, 10.0, 8)
    assert list(p) == ["-30% in a day", "+30% in a day", "gap below range", "gap above range",
                       "crash"]
    for name, level in (("-30% in a day", 1400.0), ("+30% in a day", 2600.0),
                        ("gap below range", 2000.0 * 0.9 * 0.9),
                        ("gap above range", 2000.0 * 1.1 * 1.1)):
        np.testing.assert_allclose(p[name], [2000.0] + [level] * 8, rtol=1e-15)
    crash = [2000.0 * 0.5 ** (k / 5) for k in range(6)] + [1000.0 + 400.0 * k / 3
                                                          for k in (1, 2, 3)]
    np.testing.assert_allclose(p["crash"], crash, rtol=1e-13)
    assert all(v.shape == (9,) for v in p.values())
    six = shock_paths(3000.0, 20.0, 6)
    assert all(v.shape == (7,) for v in six.values())
    np.testing.assert_allclose(six["crash"][-1], 2100.0, rtol=1e-13)
    default = shock_paths(3000.0, 20.0)
    assert all(v.shape == (11,) for v in default.values())
    with pytest.warns(DeprecationWarning):
        old = shock_paths(3000.0, 20.0, days=7)
    assert old["crash"].shape == (8,)
    with pytest.raises(LpperpError, match="n_steps"):
        shock_paths(3000.0, 20.0, 5)


def test_stress_losses_are_each_shock_run_alone():
    s = replace(BASE, leverage=3.0, wallet_cash=2500.0, funding_rate_per_year=0.4)
    shocks = {"up 35%": [3000.0, 4050.0, 4050.0, 4100.0],
              "short dip": np.array([3000.0, 2700.0]),
              "up 20%": (3000.0, 3300.0, 3600.0)}
    dt = 2 / 365
    r = stress_test(s, shocks, dt)
    assert r.shocks == tuple(shocks)
    for i, (name, path) in enumerate(shocks.items()):
        padded = np.concatenate((path, np.full(4 - len(path), path[-1])))
        for mode, loss, liq in (("isolated", r.isolated_loss, r.isolated_liquidated),
                                ("cross", r.cross_loss, r.cross_liquidated)):
            one = run_on_paths(replace(s, mode=mode), padded, dt, noise=np.zeros((3, 1)))
            assert loss[i] == pytest.approx(-one.pnl[0], rel=1e-12, abs=1e-9), (name, mode)
            assert liq[i] == one.liquidated[0]
    assert r.isolated_liquidated[0] and not r.isolated_liquidated[1]
    assert r.isolated_loss[0] != r.cross_loss[0]
    other_dt = stress_test(s, shocks, 1 / 365)
    assert other_dt.isolated_loss[2] != r.isolated_loss[2]  # dt_years reaches the run (funding)
    text = repr(r).splitlines()
    assert text[0].split() == ["shock", "isolated", "loss", "liq", "cross", "loss", "liq"]
    for line, i in zip(text[1:], range(3), strict=True):
        assert line[:18] == f"{r.shocks[i]:<18}"
        iso, liq_i, cross, liq_c = line[18:].split()
        assert _num(iso) == pytest.approx(r.isolated_loss[i], abs=0.006)
        assert _num(cross) == pytest.approx(r.cross_loss[i], abs=0.006)
        assert liq_i == ("yes" if r.isolated_liquidated[i] else "no")
        assert liq_c == ("yes" if r.cross_liquidated[i] else "no")
    assert len({len(x) for x in text}) == 1 and len(text[0]) == 18 + 15 + 5 + 13 + 5
    html = r._repr_html_()
    assert html.startswith("<table><thead><tr><th>shock</th><th>isolated loss</th>")
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
                       r"<td>(.*?)</td></tr>", html)
    assert [c[0] for c in cells] == list(shocks)
    for i, (_, iso, li, cross, lc) in enumerate(cells):
        assert _num(iso) == pytest.approx(r.isolated_loss[i], abs=0.006)
        assert _num(cross) == pytest.approx(r.cross_loss[i], abs=0.006)
        assert li == ("yes" if r.isolated_liquidated[i] else "no")
        assert lc == ("yes" if r.cross_liquidated[i] else "no")


def test_stress_default_shocks_are_shock_paths():
    s = replace(BASE, leverage=2.0, width_pct=15.0)
    r = stress_test(s)
    paths = shock_paths(s.price, 15.0)
    assert r.shocks == tuple(paths)
    mat = np.column_stack(list(paths.values()))
    one = run_on_paths(s, mat, 1 / 365, noise=np.zeros((mat.shape[0] - 1, mat.shape[1])))
    np.testing.assert_allclose(r.isolated_loss, -one.pnl, rtol=1e-12)


class _Future:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class _Client:
    """The two calls run_sweep makes of a dask.distributed.Client, in process."""

    def __init__(self, interrupt=False):
        self.interrupt, self.cancelled, self.pure = interrupt, None, []

    def submit(self, fn, *args, pure=True):
        self.pure.append(pure)
        if self.interrupt:
            return _Future(error=KeyboardInterrupt())
        return _Future(fn(*args))

    def cancel(self, futures):
        self.cancelled = futures


def test_sweep_points_are_simulate_runs_on_the_same_seed():
    base = replace(BASE, leverage=2.0)
    grid = {"width_pct": [10.0, 30.0], "leverage": (1.0, 4.0, 0.0)}
    out = run_sweep(base, grid, GBM(0.8), 10 / 365, 5, 30, seed=3)
    combos = [{"width_pct": w, "leverage": v} for w in (10.0, 30.0) for v in (1.0, 4.0, 0.0)]
    assert [p for p, _ in out] == combos
    for c, summ in out:
        assert summ == simulate(replace(base, **c), GBM(0.8), 10 / 365, 5, 30, seed=3).summary()
    client = _Client()
    remote = run_sweep(base, grid, GBM(0.8), 10 / 365, 5, 30, seed=3, client=client,
                       progress=True)
    assert remote == out and client.pure == [False] * 6  # same paths: never deduplicated
    default = run_sweep(base, {"leverage": [1.0]}, GBM(0.8), 10 / 365, 5, 30)
    assert default[0][1] == run_sweep(  # the default seed is 0
        base, {"leverage": [1.0]}, GBM(0.8), 10 / 365, 5, 30, seed=0)[0][1]
    stopper = _Client(interrupt=True)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(base, grid, GBM(0.8), 10 / 365, 5, 30, seed=3, client=stopper)
    assert stopper.cancelled is not None and len(stopper.cancelled) == 6


def test_sweep_arguments_are_checked():
    g = GBM(0.8)
    with pytest.raises(LpperpError, match="grid must map Scenario fields"):
        run_sweep(BASE, [("width_pct", [1])], g, 0.1, 5, 10)
    with pytest.raises(LpperpError, match=r"grid\['width_pct'\] must be a list"):
        run_sweep(BASE, {"width_pct": "10"}, g, 0.1, 5, 10)
    with pytest.raises(LpperpError, match=r"grid\['width_pct'\] must be a list"):
        run_sweep(BASE, {"width_pct": 10.0}, g, 0.1, 5, 10)
    with pytest.raises(LpperpError, match="at least one value per field"):
        run_sweep(BASE, {"width_pct": [10.0], "leverage": []}, g, 0.1, 5, 10)
    with pytest.raises(LpperpError, match="needs an int seed"):
        run_sweep(BASE, {"width_pct": [10.0]}, g, 0.1, 5, 10, seed=np.random.default_rng(1))
    # the budget counts every point: 3 points x 100 paths x 4 steps
    with pytest.raises(LpperpError, match=r"run_sweep \(3 points\)"):
        run_sweep(BASE, {"leverage": [1.0, 2.0, 3.0]}, g, 0.1, 4, 100,
                  max_path_steps=3 * 100 * 4 - 1)
    ok = run_sweep(BASE, {"leverage": [1.0, 2.0, 3.0]}, g, 0.1, 4, 100, seed=1,
                   max_path_steps=3 * 256 * 4)
    assert len(ok) == 3
    with pytest.raises(LpperpError, match="tau_years"):
        run_sweep(BASE, {"leverage": [1.0]}, g, -0.1, 4, 10)


# -- the survivors of the first mutation run (issue 14) ----------------------------------------------
HTML_TABLE = re.compile(
    r"<table><thead><tr>(<th>[^<>]*</th>)+</tr></thead><tbody>"
    r"(<tr><td>[^<>]*</td>(<td>[^<>]*</td>)+</tr>)+</tbody></table>(<p>[^<>]*</p>)?")


def test_html_tables_are_well_formed(table):
    assert HTML_TABLE.fullmatch(table._repr_html_())
    r = stress_test(replace(BASE, leverage=3.0), {"up": [3000.0, 4000.0], "flat": [3000.0] * 2})
    html = r._repr_html_()
    assert re.fullmatch(
        r"<table><thead><tr><th>shock</th><th>isolated loss</th><th>liquidated</th>"
        r"<th>cross loss</th><th>liquidated</th></tr></thead><tbody>"
        r"(<tr>(<td>[^<>]*</td>){5}</tr>){2}</tbody></table>", html)


def test_a_summary_without_attribution_reads_as_nan():
    from lpperp.simulate import Summary

    s = Summary(survival=1.0, survival_ci=(0.9, 1.0), expected_return=0.0, return_stderr=0.0,
                tail_return=0.0, tail_expected_return=0.0, tail=0.05, expected_pnl=0.0,
                fees_earned=0.0, costs_paid=0.0, il=0.0, funding_paid=0.0, n_paths=1,
                mean_recentres=0.0, mean_top_ups=0.0)
    row = StrategyTable(("x",), (s,), 1, 0.1).row("x")
    assert all(isinstance(row[c], float) and math.isnan(row[c])
               for c in StrategyTable.COLUMNS if c.startswith("pnl_"))
    with pytest.raises(LpperpError, match=r"^col must be one of"):
        StrategyTable(("x",), (s,), 1, 0.1).column("nope")


def test_hedging_strategies_from_a_hedged_lp_plus_cash_base():
    base = replace(BASE, kind="lp_plus_cash", leverage=2.0,
                   policy=Policy(hedge=True, hedge_band=0.4, recentre=True))
    out = hedging_strategies(base, bands=(0.05,))
    assert out["LP, unhedged"].kind == "lp" and not out["LP, unhedged"].policy.hedge
    assert out["LP hedged · band 5%"].kind == "lp"
    assert out["LP + separate cash, perp"].kind == "lp_plus_cash"
    assert not out["LP + separate cash, perp"].policy.hedge
    assert out["LP + separate cash, perp"].policy.recentre
    with pytest.raises(LpperpError, match=r"bands\[0\]"):
        hedging_strategies(base, bands=[[0.1, 0.2]])


def test_defaults_are_ten_thousand_paths_and_no_progress_bar(capsys):
    one = Scenario(rules=RULES)
    t = compare_strategies({"a": one}, GBM(0.5), 1 / 365, 1)
    assert t.n_paths == 10_000
    sw = run_sweep(one, {"leverage": [1.0]}, GBM(0.5), 1 / 365, 1)
    assert sw[0][1].n_paths == 10_000
    assert capsys.readouterr().err == ""
    compare_strategies({"a": one}, GBM(0.5), 1 / 365, 1, 10, progress=True)
    assert "simulate" in capsys.readouterr().err
    grid = {"leverage": [1.0, 2.0], "width_pct": [10.0, 20.0, 30.0]}
    run_sweep(one, grid, GBM(0.5), 1 / 365, 1, 10, progress=True)
    err = capsys.readouterr().err
    assert re.search(r"(?<![A-Za-z])sweep: ", err) and "/6" in err
    run_sweep(one, grid, GBM(0.5), 1 / 365, 1, 10, progress=True, client=_Client())
    err = capsys.readouterr().err
    assert re.search(r"(?<![A-Za-z])sweep: ", err) and "/6" in err


def test_the_budget_and_chunks_reach_every_run(monkeypatch):
    import lpperp.strategies as strat

    seen = []
    real = strat.simulate

    def spy(*args, **kw):
        seen.append(kw.get("max_path_steps"))
        return real(*args, **kw)

    monkeypatch.setattr(strat, "simulate", spy)
    grid = {"leverage": [1.0, 2.0]}
    run_sweep(BASE, grid, GBM(0.5), 1 / 365, 2, 10, seed=1, max_path_steps=12_345)
    client = _Client()
    run_sweep(BASE, grid, GBM(0.5), 1 / 365, 2, 10, seed=1, max_path_steps=23_456, client=client)
    assert seen == [12_345] * 2 + [23_456] * 2
    chunks = []
    real_many = strat.run_many

    def spy_many(*args, **kw):
        chunks.append(args[6])
        return real_many(*args, **kw)

    monkeypatch.setattr(strat, "run_many", spy_many)
    compare_strategies({"a": BASE}, GBM(0.5), 1 / 365, 2, 10, chunk_paths=3)
    assert chunks == [3]


def test_budget_errors_name_the_call():
    g = GBM(0.5)
    with pytest.raises(LpperpError, match=r"^run_sweep: "):
        run_sweep(BASE, {"leverage": [1.0]}, g, 1.0, 30, 10**12)
    # n_paths alone within a raised limit, then the grid is checked (before any run)
    with pytest.raises(LpperpError, match="grid keys must be Scenario fields"):
        run_sweep(BASE, {"levrage": [1.0]}, g, 1.0, 1000, 10**7, max_path_steps=10**10)
    with pytest.raises(LpperpError, match=r"run_sweep \(6 points\)"):
        run_sweep(BASE, {"leverage": [1.0, 2.0, 3.0], "width_pct": [10.0, 20.0]}, g, 0.1, 4,
                  300, max_path_steps=6 * 300 * 4 - 1)
    with pytest.raises(LpperpError, match=r"(?<!X)tau_years must be a single number"):
        run_sweep(BASE, {"leverage": [1.0]}, g, np.array([0.1, 0.2]), 4, 10)
    with pytest.raises(LpperpError, match=r"(?<!X)dt_years must be a finite number > 0"):
        stress_test(BASE, {"x": [3000.0, 3100.0]}, -1.0)
    # one shock of 7.8 million steps: over the 2e9 path-step budget, refused before any run
    with pytest.raises(LpperpError, match=r"^stress_test \(2 modes x shocks\): "):
        stress_test(BASE, {"long": np.full(7_812_502, 3000.0)})


def test_stress_runs_without_the_delay_noise():
    """stress_test switches the delay move off: a scenario that acts a day and a half late gives
    the zero-noise numbers, not the seeded noise's."""
    s = replace(BASE, leverage=3.0, wallet_cash=500.0,
                policy=Policy(recentre=True, top_up=True, top_up_health=4.0, top_up_target=6.0,
                              latency_s=1.5 * 86_400.0))
    path = np.array([3000.0, 3400.0, 3700.0, 3600.0, 3900.0, 3500.0])
    r = stress_test(s, {"p": path})
    zero = run_on_paths(replace(s, mode="isolated"), path, 1 / 365, noise=np.zeros((5, 1)))
    noisy = run_on_paths(replace(s, mode="isolated"), path, 1 / 365)
    assert r.isolated_loss[0] == pytest.approx(-zero.pnl[0], rel=1e-12)
    assert noisy.pnl[0] != zero.pnl[0]

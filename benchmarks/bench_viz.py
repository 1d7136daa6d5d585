"""Explorer latency in the kernel: slider change -> compute -> FigureWidget updated (2,000-point grid).

Also (issue 11's notebooks 03, 05, 06): the wallet explorer's ETH price slider, the economics
explorer's gas-price slider, and the risk explorer's leverage move - its first redraw with
``RiskExplorer.progressive`` (the selected strategy's run only), the same when that step was
prefetched (``RiskExplorer.prefetch``: no simulation at the key press) and the whole recompute.

Measured: moving the leverage slider of the health explorer (every curve, the boundaries, the zone
and the readout change), its price slider (only the markers and the holdings change: the curves are
not resent, kit.set_trace), and the price slider of the LP explorer. Updates go out as one
zero-duration animate message (kit.FigureWidget.batch_redraw). Baseline in the same run: a bare
FigureWidget with the same traces, whose arrays (precomputed, alternating between two states so plotly
sees a change) are assigned inside one ``batch_update`` - the floor any explorer built on
FigureWidget pays. No browser is attached, so the times are what the kernel spends before the message
leaves; the browser's share is measured by tests/ui/test_browser.py.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks._timing import check
from lpperp.viz import figures
from lpperp.viz.explorers import HealthExplorer, LPExplorer
from lpperp.viz.scenarios import GRID_POINTS, HealthScenario, compute_health


def _median_ms(fn: Callable[[int], object], repeat: int = 60, warmup: int = 5) -> float:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _bare_update(fig, states: list[list[dict]]) -> Callable[[int], None]:
    def step(i: int) -> None:
        with fig.batch_update():
            for trace, props in zip(fig.data, states[i % 2], strict=True):
                trace.update(**props)

    return step


def _trace_state(fig) -> list[dict]:
    out = []
    for t in fig.data:
        props = {"x": t.x, "y": t.y}
        if t.text is not None:
            props["text"] = t.text
        out.append(props)
    return out


def run() -> list[tuple[str, float, str]]:
    # -- health explorer: leverage slider ---------------------------------------------------------
    ex = HealthExplorer(leverage=3.0)
    assert ex.result.grid.size == GRID_POINTS
    lev = ex.controls["leverage"]

    def move_leverage(i: int) -> None:
        lev.value = 3.0 if i % 2 else 3.5

    explorer_ms = _median_ms(move_leverage)
    price = ex.controls["price"]

    def move_price(i: int) -> None:
        price.value = 3000.0 if i % 2 else 3010.0

    health_price_ms = _median_ms(move_price)
    price.value = 3000.0
    # what is timed is a real update: after the last move the explorer's figure shows the
    # scenario at the slider's leverage, trace for trace (x and y; the liquidation zone's and
    # the current-price line's y span the margin axis, whose range the explorer keeps while the
    # curves fill it - kit.sticky_range - so only their x is compared)
    want = _trace_state(figures.health_figure(
        compute_health(HealthScenario(price=3000.0, leverage=float(lev.value))), widget=False))
    got = _trace_state(ex.figure)
    spans = {figures.HEALTH_TRACES.index("liquidation zone"),
             figures.HEALTH_TRACES.index("current price")}

    def _close(a: object, b: object) -> bool:
        if a is None or b is None:
            return a is None and b is None
        try:
            x = np.asarray([np.nan if v is None else v for v in a], dtype=float)
            y = np.asarray([np.nan if v is None else v for v in b], dtype=float)
        except (TypeError, ValueError):  # categories
            return list(a) == list(b)
        return x.shape == y.shape and bool(np.allclose(x, y, equal_nan=True))

    same = len(got) == len(want) and all(
        _close(g["x"], w["x"]) and (i in spans or _close(g["y"], w["y"]))
        for i, (g, w) in enumerate(zip(got, want, strict=True))
    )
    check("health explorer figure == compute_health at the slider's leverage", same)

    # baseline: same traces, same data, bare FigureWidget, one batch_update, no compute
    states = []
    for v in (3.0, 3.5):
        r = compute_health(HealthScenario(price=3000.0, leverage=v))
        states.append(_trace_state(figures.health_figure(r, widget=False)))
    bare = figures.health_figure(compute_health(HealthScenario(price=3000.0)))
    bare_ms = _median_ms(_bare_update(bare, states))

    # -- LP explorer: price slider ----------------------------------------------------------------
    lp = LPExplorer()
    price = lp.controls["price"]

    def move_price(i: int) -> None:
        price.value = 3000.0 if i % 2 else 3100.0

    lp_ms = _median_ms(move_price)

    # compute alone (no plotly), for the breakdown
    scen = [HealthScenario(price=3000.0, leverage=v) for v in (3.0, 3.5)]
    compute_ms = _median_ms(lambda i: compute_health(scen[i % 2]))
    sync_ms = _median_ms(lambda i: figures.resync_view_state(ex.figure))
    check("explorer timings are finite", np.isfinite([explorer_ms, bare_ms, lp_ms]).all())

    # -- notebooks 03, 05, 06 (issue 11's browser targets; the kernel's share) --------------------
    from dataclasses import replace

    from lpperp.viz.economics import RebalancingExplorer, compute_economics
    from lpperp.viz.explorers import CrossIsolatedExplorer
    from lpperp.viz.montecarlo import (
        RiskExplorer,
        compute_risk,
        partial_risk,
        selected_part,
    )

    wallet = CrossIsolatedExplorer(price=3000.0, btc_price=60_000.0, eth_leverage=3.0,
                                   btc_leverage=3.0)
    eth = wallet.controls["price"]
    wallet_ms = _median_ms(lambda i: setattr(eth, "value", 3000.0 + (i % 40)), repeat=40)
    econ = RebalancingExplorer(chain="ethereum", gas_price_gwei=20.0)
    gas = econ.controls["gas_price_gwei"]
    values = [v for _, v in gas.options]
    gas_values = values[values.index(0.01):][:20]  # 20 key presses up from 0.01 gwei, each new
    econ_ms = _median_ms(lambda i: setattr(gas, "value", gas_values[i % len(gas_values)]),
                         repeat=20)
    check("economics explorer == compute_economics at the slider's gas price",
          np.array_equal(econ.result.net_apr, compute_economics(econ.scenario()).net_apr))
    risk = RiskExplorer(n_paths=2000, horizon_days=30, width_pct=20.0, leverage=2.0,
                        wallet_cash=2000.0)
    base = risk.scenario()
    levs = [2.0 + 0.25 * (k + 1) for k in range(12)]

    def first_redraw(i: int) -> None:  # what a live kernel draws at once after a leverage move
        risk._draw(partial_risk(replace(base, leverage=levs[i % 12]), risk.cache, risk.result))

    risk_first_ms = _median_ms(first_redraw, repeat=8, warmup=0)
    # what a key press draws when the explorer prefetched that step (RiskExplorer.prefetch): the
    # selected run and its part computed while the previous step was on screen
    ahead = [replace(base, leverage=4.0 + 0.25 * (k + 1)) for k in range(12)]
    parts = [selected_part(a, risk.cache) for a in ahead]

    def prefetched_redraw(i: int) -> None:
        risk._draw(partial_risk(ahead[i % 12], risk.cache, risk.result, parts[i % 12]))

    risk_prefetched_ms = _median_ms(prefetched_redraw, repeat=12, warmup=2)
    risk_all_ms = _median_ms(
        lambda i: compute_risk(replace(base, leverage=9.0 + 0.25 * i), risk.cache), repeat=3,
        warmup=0)

    return [
        ("health explorer: leverage slider -> figure, median ms", explorer_ms, "< 10 ms"),
        ("health explorer: price slider -> figure (markers only resent), median ms",
         health_price_ms, "< 10 ms"),
        ("  ratio vs bare FigureWidget batch_update, same traces", explorer_ms / bare_ms,
         "<= 3x"),
        ("  bare FigureWidget batch_update, median ms", bare_ms, "baseline"),
        ("  of which compute (library, no plotly), median ms", compute_ms, "info"),
        ("  of which stale-view resync, median ms", sync_ms, "info"),
        ("LP explorer: price slider -> figure, median ms", lp_ms, "< 10 ms"),
        ("wallet explorer (03): ETH price slider -> figure, median ms", wallet_ms, "< 50 ms"),
        ("economics explorer (05): gas price slider -> figure, median ms", econ_ms, "< 80 ms"),
        ("risk explorer (06): leverage move, first redraw (selected run), median ms",
         risk_first_ms, "< 100 ms"),
        ("risk explorer (06): leverage step prefetched, first redraw, median ms",
         risk_prefetched_ms, "< 50 ms"),
        ("risk explorer (06): leverage move, all 12+ new runs, median ms", risk_all_ms, "info"),
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row[0]:<58} {row[1]:>10.3g}  {row[2]}")

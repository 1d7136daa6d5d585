"""Notebook 06's first redraw after a move is a transition of the scatter traces that changed
(survival, interval, closed form, the two markers): no histogram or bar is in it, and the axes of
those traces have explicit ranges; the complete redraw that follows re-plots everything and equals
compute_risk on a fresh cache (lpperp.viz.montecarlo.RiskExplorer._transition)."""

from __future__ import annotations

import asyncio

import numpy as np

from lpperp.viz import kit
from lpperp.viz.montecarlo import RISK_TRACES, RiskExplorer, SimulationCache, compute_risk


def test_first_redraw_after_a_move_animates_only_the_changed_scatter_traces(monkeypatch):
    animated: list[tuple[dict, list[int]]] = []
    replotted: list[int] = []
    orig_animate = kit.FigureWidget._perform_batch_animate
    orig_update = kit.FigureWidget._send_update_msg

    def spy_animate(self, opts):
        animated.append((dict(self._batch_layout_edits), sorted(self._batch_trace_edits)))
        return orig_animate(self, opts)

    def spy_update(self, *a, **k):
        replotted.append(1)
        return orig_update(self, *a, **k)

    monkeypatch.setattr(kit.FigureWidget, "_perform_batch_animate", spy_animate)
    monkeypatch.setattr(kit.FigureWidget, "_send_update_msg", spy_update)

    async def main() -> RiskExplorer:
        ex = RiskExplorer(n_paths=300, horizon_days=8)
        lev = ex.controls["leverage"]
        for _ in range(3):
            lev.value = lev.value + 0.25
            await asyncio.sleep(0)
        deadline = asyncio.get_running_loop().time() + 60.0
        while "lpperp-busy" in ex.widget._dom_classes:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.005)
        return ex

    ex = asyncio.run(main())
    scatter = {i for i, name in enumerate(RISK_TRACES) if ex.figure.data[i].type == "scatter"}
    assert animated, "no move was drawn as a transition"
    for layout, traces in animated:
        assert set(traces) <= scatter, traces
        assert set(layout) <= {"yaxis.range", "xaxis.range", "xaxis3.range", "xaxis4.range"}
    assert replotted, "the complete redraw re-plots (histograms, bars)"
    for axis in ("xaxis", "yaxis", "xaxis3", "xaxis4"):
        assert ex.figure.layout[axis].range is not None, axis
    # the selected leverage marker is inside its axis, and the final figure is compute_risk's
    lo, hi = ex.figure.layout.xaxis4.range
    assert lo < ex.figure.data[9].x[0] < hi
    fresh = compute_risk(ex.scenario(), SimulationCache())
    np.testing.assert_array_equal(ex.figure.data[0].y, 100.0 * fresh.survival)
    for j, k in enumerate(("lp", "stable", "lp_plus_cash")):
        np.testing.assert_array_equal(ex.figure.data[3 + j].x, 100.0 * fresh.returns[k])

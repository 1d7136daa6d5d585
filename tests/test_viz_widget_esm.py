"""The browser module of lpperp's FigureWidget is plotly's own (plotly/package_data/widgetbundle.js,
plotly 7.1.0 pinned in binder/) with exactly two edits: after Plotly.animate and Plotly.update the
view does not send the kernel its trace and layout deltas (lpperp.viz.kit.WIDGET_ESM_EDITS). The
browser suite (tests/ui) checks that every explorer still draws, updates and reloads with it."""

from __future__ import annotations

import plotly.graph_objects as go

from lpperp.viz import kit


def test_the_widget_module_is_plotlys_with_the_two_edits_only():
    stock = kit.WIDGET_BUNDLE.read_text(encoding="utf-8")
    assert kit.WIDGET_ESM is not None, "an edit no longer matches plotly's bundle: re-anchor it"
    expect = stock
    for old, new in kit.WIDGET_ESM_EDITS:
        assert stock.count(old) == 1
        assert "_sendTraceDeltas" in old and "_sendTraceDeltas" not in new
        expect = expect.replace(old, new)
    assert kit.WIDGET_ESM == expect
    # the first draw still reports its deltas; only the per-update ones are gone
    assert stock.count("_sendTraceDeltas(") - kit.WIDGET_ESM.count("_sendTraceDeltas(") == 2
    assert "ne._sendTraceDeltas(je)" in kit.WIDGET_ESM


def test_every_figure_widget_loads_that_module():
    fig = kit.FigureWidget(go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0])))
    assert fig._esm == kit.WIDGET_ESM

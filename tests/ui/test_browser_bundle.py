"""The explorers' figures load plotly.js's cartesian build (lpperp.viz.bundle); a trace type it
lacks, added to a figure already on the page, must still be drawn: kit.FigureWidget switches to
plotly's full module and anywidget reloads the view. Checked in real JupyterLab + Chromium with
a candlestick (plotly.js's finance traces, SVG, not in the cartesian build)."""

from __future__ import annotations

import json

import pytest

from . import jlab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CELLS = [
    "import plotly.graph_objects as go\n"
    "from lpperp.viz import bundle, kit\n"
    "fig = kit.FigureWidget(go.Figure(go.Scatter(x=[1.0, 2.0, 3.0], y=[3.0, 1.0, 2.0])))\n"
    "assert fig._esm == bundle.WIDGET_ESM\n"
    "fig",
    "fig.add_trace(go.Candlestick(x=[1.0, 2.0], open=[1.0, 2.0], high=[2.0, 3.0],\n"
    "                             low=[0.5, 1.0], close=[1.5, 2.5]))\n"
    "assert fig._esm == bundle.widget_esm_full()",
    "fresh = kit.FigureWidget(go.Figure(fig))  # the same figure, built with the full module\n"
    "assert fresh._esm == bundle.widget_esm_full()\n"
    "fresh",
]

JS_STATE = """(i) => {
  const gd = document.querySelectorAll(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .js-plotly-plot')[i || 0];
  if (!gd || !gd._fullData) return null;
  return {types: gd._fullData.map(t => t.type),
          boxes: gd.querySelectorAll('.boxlayer .trace path').length,
          lines: gd.querySelectorAll('.scatterlayer .trace .js-line').length,
          plots: document.querySelectorAll(
              '.jp-NotebookPanel:not(.lm-mod-hidden) .js-plotly-plot').length,
          svgs: gd.querySelectorAll('.main-svg').length,
          traces: gd.querySelectorAll('.scatterlayer .trace').length};
}"""


def _notebook(cells: list[str]) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": c} for c in cells],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def test_a_trace_outside_the_cartesian_build_is_drawn(page, lab):
    name = "bundle_switch.ipynb"
    (lab.root / name).write_text(_notebook(CELLS[:1]))
    jlab.open_notebook(page, lab.url(name))
    jlab.run_all(page)
    jlab.wait_for_run(page, 1)
    page.wait_for_function(f"() => {{ const s = ({JS_STATE})(); return s && s.lines === 1; }}",
                           timeout=60_000)
    assert page.evaluate(JS_STATE)["types"] == ["scatter"]
    # the second cell, run in the same kernel: the shown figure gets a candlestick
    (lab.root / name).write_text(_notebook(CELLS))
    page.reload()
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
    jlab.run_all(page)
    jlab.wait_for_run(page, 3)
    for i in (0, 1):
        page.wait_for_function(
            f"(i) => {{ const s = ({JS_STATE})(i); return s && s.types.includes('candlestick')"
            " && s.boxes >= 2; }", arg=i, timeout=60_000)
    switched, fresh = page.evaluate(JS_STATE, 0), page.evaluate(JS_STATE, 1)
    assert switched["types"] == ["scatter", "candlestick"]
    assert switched == fresh  # drawn as if built with plotly's full module from the start
    assert not jlab.error_outputs(page)
    errors = [e for e in page.lpperp_errors if "widget model not found" not in e]
    assert not errors, "\n".join(errors)

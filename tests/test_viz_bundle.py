"""The browser module of lpperp's FigureWidget (lpperp.viz.bundle): plotly's own widget module
(plotly/package_data/widgetbundle.js, plotly 7.1.0 pinned in binder/) with plotly.js's official
cartesian partial bundle (npm plotly.js-cartesian-dist-min 4.1.1, vendored unmodified in
lpperp/viz/static/) in place of the full plotly.js, and two edits (after Plotly.animate and
Plotly.update the view does not send the kernel its trace and layout deltas).

The browser suite (tests/ui) checks that every explorer draws, updates and reloads with it; here
the module's text is checked piece by piece against its two sources, and every fallback.
"""

from __future__ import annotations

import hashlib
import re

import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

import plotly.graph_objects as go

import lpperp.viz as viz
from lpperp.viz import bundle, kit

STOCK = bundle.WIDGET_BUNDLE.read_text(encoding="utf-8")
CARTESIAN = bundle.CARTESIAN_BUNDLE.read_text(encoding="utf-8")
#: npm's published tarball integrity of plotly.js-cartesian-dist-min 4.1.1 (static/README.md)
NPM_INTEGRITY = ("sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0"
                 "Jus/Qr5EefHVeg==")


def compose(stock, cartesian):
    """``(light, full)`` as the bundle module builds them from these texts."""
    return bundle.light_module(stock, cartesian), bundle.full_module(stock)


def _edited(text: str) -> str:
    for old, new in bundle.WIDGET_ESM_EDITS:
        text = text.replace(old, new)
    return text


def test_the_vendored_file_is_the_published_one():
    data = bundle.CARTESIAN_BUNDLE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == bundle.CARTESIAN_SHA256
    readme = (bundle.CARTESIAN_BUNDLE.parent / "README.md").read_text(encoding="utf-8")
    assert bundle.CARTESIAN_SHA256 in readme and NPM_INTEGRITY in readme
    assert data.startswith(b"/**\n* plotly.js (cartesian - minified) v4.1.1\n")
    assert (bundle.CARTESIAN_BUNDLE.parent / "plotly-cartesian.LICENSE").read_text(
        encoding="utf-8").startswith("MIT License")


def test_plotly_ships_the_same_plotly_js_version():
    """The swap needs equal versions; a plotly upgrade shows here first (then update static/)."""
    assert bundle.plotly_js_version(STOCK) == "4.1.1"


def test_the_full_module_is_plotlys_with_the_two_edits_only():
    for old, new in bundle.WIDGET_ESM_EDITS:
        assert STOCK.count(old) == 1
        assert "_sendTraceDeltas" in old and "_sendTraceDeltas" not in new
    assert bundle.widget_esm_full() == _edited(STOCK)
    # the first draw still reports its deltas; only the per-update ones are gone
    assert STOCK.count("_sendTraceDeltas(") - bundle.widget_esm_full().count("_sendTraceDeltas(") == 2
    assert "ne._sendTraceDeltas(je)" in bundle.widget_esm_full()


def test_the_light_module_is_the_full_one_with_the_cartesian_plotly_js():
    full, light = bundle.widget_esm_full(), bundle.WIDGET_ESM
    start = full.index('var LQ=fbe((DQ,hA)=>{(function(Q,ne){typeof hA=="object"')
    end_mark = "return window.Plotly=Q,Q})});"
    end = full.index(end_mark) + len(end_mark)
    assert full.count(end_mark) == 1
    expect = full[:start] + "var LQ=fbe((exports,module)=>{\n" + CARTESIAN + "\n});" + full[end:]
    assert light == expect
    # the widget code around it is untouched: the edits and the exports are there
    assert light.count("_sendTraceDeltas(") == full.count("_sendTraceDeltas(")
    assert light.endswith(full[end:]) and "var Md=dbe(LQ());" in light
    assert len(light) < 0.35 * len(full)
    # only the cartesian trace types are left
    assert set(re.findall(r'moduleType:"trace",name:"(\w+)",basePlotModule', light)) \
        == bundle.CARTESIAN_TRACES


def test_figures_load_the_light_module_unless_a_trace_needs_the_full_one():
    fig = kit.FigureWidget(go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0])))
    assert fig._esm == bundle.WIDGET_ESM
    heat = kit.FigureWidget(go.Figure(go.Heatmap(z=[[1.0, 2.0], [3.0, 4.0]])))
    assert heat._esm == bundle.WIDGET_ESM
    for trace in (go.Scatter3d(x=[1], y=[2], z=[3]), go.Scattergl(x=[1], y=[2]),
                  go.Scattermap(lat=[1], lon=[2]), go.Candlestick()):
        assert kit.FigureWidget(go.Figure([go.Scatter(), trace]))._esm == bundle.widget_esm_full()
    # a trace added later switches the shown figure (anywidget reloads its views on a new _esm)
    late = kit.FigureWidget(go.Figure(go.Scatter(x=[1.0], y=[2.0])))
    late.add_trace(go.Bar(x=[1.0], y=[2.0]))
    assert late._esm == bundle.WIDGET_ESM
    late.add_trace(go.Candlestick(x=[1.0], open=[1.0], high=[2.0], low=[0.5], close=[1.5]))
    assert late._esm == bundle.widget_esm_full()
    assert [t.type for t in late.data] == ["scatter", "bar", "candlestick"]


@pytest.mark.parametrize("name", [n for n in viz.__all__ if n.endswith("Explorer")])
def test_every_explorer_draws_only_cartesian_traces(name):
    fig = getattr(viz, name)().figure
    types = {t.type for t in fig.data}
    assert types and not bundle.needs_full_plotly(types), types - bundle.CARTESIAN_TRACES
    assert fig._esm is bundle.WIDGET_ESM


def test_the_full_module_is_made_only_when_a_figure_needs_it():
    """Importing the kit and drawing cartesian figures never reads or edits the full module."""
    bundle.widget_esm_full.cache_clear()
    kit.FigureWidget(go.Figure(go.Scatter(x=[1.0], y=[2.0])))
    assert bundle.widget_esm_full.cache_info().misses == 0
    kit.FigureWidget(go.Figure(go.Scatter3d(x=[1], y=[2], z=[3])))
    assert bundle.widget_esm_full.cache_info().misses == 1


def test_the_trace_list_is_the_bundles_own():
    """CARTESIAN_TRACES is exactly what the vendored plotly.js registers (its README lists the same),
    and the full plotly.js registers more (3-D, WebGL, maps, finance)."""
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)",basePlotModule', CARTESIAN))
    assert registered == bundle.CARTESIAN_TRACES
    full = set(re.findall(r'moduleType:"trace",name:"(\w+)",basePlotModule', STOCK))
    assert full > registered and {"scatter3d", "scattergl", "candlestick"} <= full


# -- fallbacks: another plotly keeps working with plotly's own plotly.js ---------------------------
def test_another_plotly_js_version_keeps_the_full_module():
    other = STOCK.replace('e.version="4.1.1"', 'e.version="4.2.0"')
    assert other != STOCK
    light, full = compose(other, CARTESIAN)
    assert light == full == _edited(other)


def test_a_section_anchor_not_found_keeps_the_full_module():
    for broken in (STOCK.replace("return window.Plotly=Q,Q})});", "return window.Plotly=Q})});"),
                   STOCK.replace("var LQ=fbe((DQ,hA)=>{", "var LQ=fbe(function(DQ,hA){")):
        assert broken != STOCK
        light, full = compose(broken, CARTESIAN)
        assert light == full == _edited(broken)


def test_edits_not_found_keep_plotlys_text_and_still_swap():
    old = bundle.WIDGET_ESM_EDITS[0][0]
    broken = STOCK.replace(old, old.replace("Ar._sendTraceDeltas", "Ar. _sendTraceDeltas"))
    light, full = compose(broken, CARTESIAN)
    assert full == broken
    assert CARTESIAN in light and len(light) < len(full)


def test_no_plotly_module_means_plotlys_own():
    assert compose(None, CARTESIAN) == (None, None)
    light, full = compose(STOCK, None)
    assert light == full == _edited(STOCK)


def test_a_changed_vendored_file_is_not_used(tmp_path):
    changed = tmp_path / "plotly-cartesian.min.js"
    changed.write_bytes(bundle.CARTESIAN_BUNDLE.read_bytes() + b"\n")
    assert bundle._read(changed, bundle.CARTESIAN_SHA256) is None
    assert bundle._read(bundle.CARTESIAN_BUNDLE, bundle.CARTESIAN_SHA256) == CARTESIAN
    assert bundle._read(tmp_path / "missing.js") is None

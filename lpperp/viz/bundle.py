"""The browser module every explorer figure loads: plotly's widget module, made lighter and quieter.

plotly's ``FigureWidget`` is an anywidget whose browser side is one ES module,
``plotly/package_data/widgetbundle.js`` (plotly 7.1.0: 4.96 MB). It holds the widget code
(120 kB) and the *full* plotly.js 4.1.1 (4.8 MB: 3-D, maps, WebGL, finance...). The browser
receives the module in the widget's open message and evaluates it before the first plot is drawn:
in notebook 02 in headless Chromium on the 2-core test machine that was one 1.2-1.5 s task, most of
the time from Run All to a drawn explorer (issue 11: < 4 s).

:data:`WIDGET_ESM` is that module with two changes:

1. **plotly.js's official cartesian partial bundle in place of the full one** (``static/``,
   npm ``plotly.js-cartesian-dist-min``, same version, unmodified, MIT): scatter, bar, heatmap,
   histogram, box, contour, image, pie, violin - every trace type the explorers draw - in 1.5 MB.
   Measured on notebook 02, idle machine: the browser task 1.2-1.3 s -> 0.7-0.8 s, Run All ->
   drawn 2.96-3.04 s -> 2.05-2.20 s, the open message 5.3 MB -> 1.9 MB. The swap is made only
   when plotly's module carries the same plotly.js version as the vendored file and its plotly.js
   section is found exactly once (:func:`_swap_plotly_js`); otherwise the full plotly.js stays.
   A figure holding a 3-D, map, WebGL or finance trace, at creation or added later, loads
   :func:`widget_esm_full` instead (:func:`needs_full_plotly`, ``kit.FigureWidget``; the
   explorers draw none).
2. **No trace and layout deltas after updates** (:data:`WIDGET_ESM_EDITS`): after
   ``Plotly.animate`` / ``Plotly.update`` plotly's view sent the kernel every default plotly.js
   filled in (7-18 kB, two kernel requests per key press; the kernel was busy with them 60-140 ms
   after each redraw at load 5, when the browser suite's next key press came). The first draw
   still sends them.

Either change is skipped, alone, when its anchor text is not found exactly once (another plotly
version): the module then is plotly's as far as that change goes, and the explorers work as
before, only slower. tests/test_viz_bundle.py pins both for the plotly in ``binder/``.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib
import re

import plotly

#: plotly's widget module (plotly 7.1.0: plotly.js 4.1.1 inside)
WIDGET_BUNDLE = pathlib.Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
#: plotly.js's cartesian partial bundle, vendored unmodified (see static/README.md)
CARTESIAN_BUNDLE = pathlib.Path(__file__).parent / "static" / "plotly-cartesian.min.js"
#: sha256 of :data:`CARTESIAN_BUNDLE` as published on npm (plotly.js-cartesian-dist-min 4.1.1)
CARTESIAN_SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"
#: the trace types of the cartesian bundle (its README); any other needs plotly's full module
CARTESIAN_TRACES = frozenset({
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image",
    "pie", "scatter", "scatterternary", "violin",
})

WIDGET_ESM_EDITS = (
    ("Md.default.animate(this.el,rr,ge).then(function(){Ar._sendTraceDeltas(ne.trace_edit_id);"
     "var Tr=ne.layout_edit_id;Ar._sendLayoutDelta(Tr)})", "Md.default.animate(this.el,rr,ge)"),
    ("Md.default.update(this.el,ge,je,mt),this._sendTraceDeltas(ne.trace_edit_id);"
     "var Lt=ne.layout_edit_id;this._sendLayoutDelta(Lt)", "Md.default.update(this.el,ge,je,mt)"),
)

# esbuild's lazy CommonJS wrapper around plotly.js's UMD build inside plotly's module:
#   var LQ=fbe((DQ,hA)=>{(function(Q,ne){typeof hA=="object"&&hA.exports?hA.exports=ne():...})(
#   ... return window.Plotly=Q,Q})});
_PLOTLY_START = re.compile(
    r'var (\w+)=(\w+)\(\((\w+),(\w+)\)=>\{\(function\((\w+),(\w+)\)\{typeof \4=="object"&&'
    r'\4\.exports\?\4\.exports=\6\(\):\5\.moduleName=\6\(\)\}\)')
_PLOTLY_END = re.compile(r"return window\.Plotly=(\w+),\1\}\)\}\);")
_BUNDLED_VERSION = re.compile(r'"src/version\.js"\(\w+\)\{"use strict";\w+\.version="([^"]+)"\}')
_CARTESIAN_VERSION = re.compile(r"\* plotly\.js \(cartesian - minified\) v(\S+)")


def plotly_js_version(module: str) -> str | None:
    """The plotly.js version bundled in plotly's widget module text, or None if not found once."""
    found = _BUNDLED_VERSION.findall(module)
    return found[0] if len(found) == 1 else None


def _swap_plotly_js(module: str, cartesian: str) -> str | None:
    """``module`` with its plotly.js section replaced by ``cartesian`` (the UMD build, run with
    the wrapper's ``exports`` and ``module``), or None when the versions differ or a section
    anchor is not found exactly once."""
    version = _CARTESIAN_VERSION.findall(cartesian[:400])
    if len(version) != 1 or version[0] != plotly_js_version(module):
        return None
    starts = list(_PLOTLY_START.finditer(module))
    ends = list(_PLOTLY_END.finditer(module))
    if len(starts) != 1 or len(ends) != 1 or ends[0].start() < starts[0].end():
        return None
    name, wrapper = starts[0].group(1), starts[0].group(2)
    return (f"{module[:starts[0].start()]}var {name}={wrapper}((exports,module)=>{{\n"
            f"{cartesian}\n}});{module[ends[0].end():]}")


def _quiet_updates(module: str) -> str | None:
    """``module`` with :data:`WIDGET_ESM_EDITS` applied, or None if an edit's text is not found
    exactly once."""
    for old, new in WIDGET_ESM_EDITS:
        if module.count(old) != 1:
            return None
        module = module.replace(old, new)
    return module


def _read(path: pathlib.Path, sha256: str | None = None) -> str | None:
    """The file's text, or None if it cannot be read (or its bytes' sha256 is not ``sha256``)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        return None
    return data.decode("utf-8")


def light_module(stock: str | None, cartesian: str | None) -> str | None:
    """plotly's module ``stock`` with the cartesian plotly.js ``cartesian`` swapped in and
    :data:`WIDGET_ESM_EDITS` applied, each only where it applies (the edits are in the widget
    code, outside plotly.js: the same either way); None without ``stock`` (the figures then load
    plotly's own module)."""
    if stock is None:
        return None
    swapped = _swap_plotly_js(stock, cartesian) if cartesian is not None else None
    module = swapped or stock
    return _quiet_updates(module) or module


def full_module(stock: str | None) -> str | None:
    """plotly's module ``stock`` with :data:`WIDGET_ESM_EDITS` (``stock`` itself when an edit
    does not apply); None without ``stock``."""
    return None if stock is None else _quiet_updates(stock) or stock


@functools.cache
def widget_esm_full() -> str | None:
    """The module of a figure with trace types outside :data:`CARTESIAN_TRACES` (read and edited
    the first time one is made: the explorers never need it)."""
    return full_module(_read(WIDGET_BUNDLE))


def needs_full_plotly(trace_types: set[str]) -> bool:
    """True if a figure with these trace types cannot be drawn by the cartesian plotly.js."""
    return not trace_types <= CARTESIAN_TRACES


#: the module every explorer figure loads (None: plotly's own)
WIDGET_ESM = light_module(_read(WIDGET_BUNDLE), _read(CARTESIAN_BUNDLE, CARTESIAN_SHA256))

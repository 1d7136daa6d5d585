"""The explorers' shared kit: a FigureWidget that stays right in every view, a theme that follows
JupyterLab, controls built from field metadata, a status line, one number formatter, one HTML table.

Every explorer module (:mod:`lpperp.viz.explorers`, ``economics``, ``montecarlo``, ``oracle``) builds
its figure with :func:`make_figure` and :func:`apply_layout`, its controls with :func:`slider`,
:func:`log_slider`, :func:`number`, :func:`choice` (or :func:`control_for` from a
:mod:`lpperp.scenario` field), lays them out with :func:`control_box`, and reports bad input with
:func:`error_html`. Numbers are formatted by :func:`fmt_num` / :func:`fmt_price` / :func:`fmt_pct`;
tables by :func:`html_table` (all from :mod:`lpperp.viz.text`, which has no widgets, so the
scenario records' ``_repr_html_`` use the same ones).

Why a FigureWidget subclass: plotly's batched update message lists, per property, one value per
trace, with ``Undefined`` for the traces whose value did not change. The open views skip those, but
plotly's frontend *model* applies the raw message to its stored state, so every ``Undefined``
becomes ``"_undefined_"`` and then ``undefined``: a view created later in the same page (an explorer
displayed after a control was set in the same cell, a second view) draws those traces without x
(plotted against 0..n-1) and bars without categories. :class:`FigureWidget` fills each hole with the
trace's current value before the message leaves the kernel (measured with plotly 7.1.0 / anywidget
0.11; guarded by tests/ui). It also sends a 2-D float array (a heatmap's ``z``) as one binary
float64 buffer per row instead of nested lists: the same numbers, without ipywidgets walking and
JSON-encoding every cell (notebook 04's 80 x 300 map: 370 kB of JSON per leverage step). The
kernel's figure, which a reloaded page receives, keeps the 2-D array.

Redraw speed (issue 11): any change of a trace's x or y through ``Plotly.update`` makes plotly.js
re-plot the whole figure - every axis, tick label and margin of every subplot - which was 130-300 ms
of the 160-550 ms from a key press to the redrawn plot in headless Chromium on the 2-core test
machine. :meth:`FigureWidget.batch_redraw` sends the same edits as a zero-duration
``Plotly.animate`` without a full redraw instead: only the traces that changed are redrawn (about a
third of the CPU time, measured with Chromium's trace). Such a transition does not recompute
autoranges or automargins, so the figures that use it give every axis an explicit range
(:func:`fit_ranges`, recomputed on each update) and fixed margins (``automargin=False``): the
result is the same SVG as a fresh plot of the new data (checked path by path). Heatmaps and
histograms cannot be transitioned; their explorers keep ``batch_update``.

What the browser reports back: after each update plotly's view used to send the kernel the
defaults plotly.js filled in (trace and layout deltas, 7-18 kB, two kernel requests per key press,
each echoed back by ipywidgets); nothing here reads them, and the kernel was busy with them when
the next key press came. :data:`~lpperp.viz.bundle.WIDGET_ESM` (:mod:`lpperp.viz.bundle`: plotly's
widget module with plotly.js's cartesian build, which takes ~0.9 s off the time from Run All to a
drawn plot, and two exact edits) stops them after updates; :class:`FigureWidget` neither echoes the
browser's messages nor merges their defaults. The template (:data:`TEMPLATE`) is
:data:`WHITE_2D`, plotly_white for 2-D traces only.

Conventions: prices in quote per base; values in quote units.
"""

from __future__ import annotations

import asyncio
import html
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined
from plotly.serializers import custom_serializers
from plotly.subplots import make_subplots
from traitlets import Dict, observe

from .bundle import WIDGET_ESM, needs_full_plotly, widget_esm_full
from .text import fmt_num, fmt_pct, fmt_price, html_table

__all__ = [
    "DESCRIPTION_STYLE",
    "STATIC_TEMPLATE",
    "TEMPLATE",
    "THEME_CSS",
    "WHITE_2D",
    "FigureWidget",
    "apply_layout",
    "choice",
    "control_box",
    "control_for",
    "control_row",
    "error_html",
    "fit_ranges",
    "fmt_num",
    "fmt_pct",
    "fmt_price",
    "html_table",
    "log_slider",
    "make_figure",
    "nice_values",
    "number",
    "running_loop",
    "set_range",
    "set_trace",
    "slider",
    "sticky_range",
    "theme_style",
    "wide_layout",
]

#: description column of every control (wide enough for "collateral model")
DESCRIPTION_STYLE = {"description_width": "120px"}


def wide_layout() -> widgets.Layout:
    """A control that fills its column (a new Layout each call: layouts are shared mutable state)."""
    return widgets.Layout(width="100%", min_width="240px")


# -- figure ---------------------------------------------------------------------------------------
def _lookup(props: dict, dotted: str) -> Any:
    node: Any = props
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _is_grid(value: Any) -> bool:
    """A 2-D float array (a heatmap's ``z``)."""
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind == "f"


def _rows(grid: np.ndarray) -> list[np.ndarray]:
    """A 2-D float array as its rows, each a contiguous 1-D float64 array: plotly's serializer
    sends a 1-D array as one binary buffer (a typed array in the browser, the same float64
    values) but a 2-D one as nested lists that ipywidgets walks number by number and JSON
    encodes (notebook 04's 80 x 300 map: ~370 kB of JSON and most of the kernel's time)."""
    g = np.ascontiguousarray(grid, dtype=np.float64)
    return [g[i] for i in range(g.shape[0])]


class FigureWidget(go.FigureWidget):
    """``go.FigureWidget`` whose update messages carry no ``Undefined`` holes (see module doc),
    and whose widget opens with its figure in it.

    Each hole is replaced by the trace's current value (or ``None``, "unset", when the trace has
    none), so the frontend model's stored state equals the kernel's figure after every update.

    Opening: ipywidgets opens the comm inside ``Widget.__init__``, before plotly's constructor
    has set the synced ``_widget_data`` / ``_widget_layout``; the frontend model was created
    empty and the figure followed as two update messages. On a loaded machine those could reach
    the browser before the model (whose class anywidget loads from a 5 MB module) listened, and
    the plot was drawn with no traces (the browser suite's "every explorer drawn" wait timed
    out at load 10-12 in notebooks 02, 04 and 06). Here the comm opens once the constructor is
    done, with the whole figure (and config) in the open message. (Linking the synced state to
    plotly's live dicts before opening, which would spare the resync's copy, stopped notebook
    04's map from redrawing in the browser: the link is made after opening, by
    ``figures.resync_view_state``.)
    """

    _defer_open = False
    if WIDGET_ESM is not None:
        _esm = WIDGET_ESM

    # The browser's replies to every update (plotly's view sends the trace and layout deltas it
    # computed, ~20 kB per key press in notebook 02) are not echoed back: ipywidgets echoes every
    # state change a view sends (``echo_update``) unless the trait says ``echo_update=False``, and
    # nothing in the browser reads these (measured: one 20 kB message less to encode in the
    # kernel and decode in the browser per key press, while the next key press may be waiting).
    _js2py_traceDeltas = Dict(allow_none=True).tag(sync=True, echo_update=False,
                                                   **custom_serializers)
    _js2py_layoutDelta = Dict(allow_none=True).tag(sync=True, echo_update=False,
                                                   **custom_serializers)
    _js2py_restyle = Dict(allow_none=True).tag(sync=True, echo_update=False, **custom_serializers)
    _js2py_relayout = Dict(allow_none=True).tag(sync=True, echo_update=False, **custom_serializers)
    _js2py_update = Dict(allow_none=True).tag(sync=True, echo_update=False, **custom_serializers)
    _js2py_pointsCallback = Dict(allow_none=True).tag(sync=True, echo_update=False,
                                                      **custom_serializers)

    @observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change: dict) -> None:
        """The browser's trace deltas after an update (the defaults plotly.js filled in, ~7-18 kB
        a key press): only mark the edit done. plotly's own handler merged them into each
        trace's defaults, removed from the traces' own properties whatever equalled a default
        (sending a removal message per trace), and reset the trait (one more message): ~20 ms
        of kernel time per key press at load 6 (notebook 04: busy 136 -> 155 ms after the key
        press), during which the next key press waited. Nothing here reads those defaults."""
        msg = change["new"]
        if msg and msg.get("trace_edit_id") == self._last_trace_edit_id:
            self._trace_edit_in_process = False
            if not self._layout_edit_in_process:
                while self._waiting_edit_callbacks:
                    self._waiting_edit_callbacks.pop()()

    def __init__(self, *args: Any, config: dict | None = None, **kwargs: Any) -> None:
        self._defer_open = True
        try:
            super().__init__(*args, **kwargs)
            self._load_full_plotly_if_needed()
            if config:
                self._config = {**(self._config or {}), **config}
        finally:
            self._defer_open = False
        self.open()

    def _load_full_plotly_if_needed(self) -> None:
        """Load plotly's full module when a trace type is outside plotly.js's cartesian build
        (:mod:`lpperp.viz.bundle`); once the figure is shown, anywidget reloads its views."""
        if WIDGET_ESM is not None and self._esm == WIDGET_ESM and \
                needs_full_plotly({t.type for t in self.data}):
            self._esm = widget_esm_full() or WIDGET_ESM

    def add_traces(self, *args: Any, **kwargs: Any) -> FigureWidget:
        """plotly's ``add_traces`` (and so ``add_trace``); a trace type the cartesian plotly.js
        lacks (3-D, WebGL, map, finance) switches the figure to plotly's full module."""
        out = super().add_traces(*args, **kwargs)
        self._load_full_plotly_if_needed()
        return out

    def open(self) -> None:
        if self._defer_open:
            return
        super().open()

    def _fill_holes(self, restyle_data: dict, trace_indexes: Any) -> dict:
        if not restyle_data:
            return restyle_data
        if trace_indexes is None:
            idx = list(range(len(self._data)))
        elif isinstance(trace_indexes, int):
            idx = [trace_indexes]
        else:
            idx = list(trace_indexes)
        out = {}
        for prop, values in restyle_data.items():
            if isinstance(values, list) and len(values) == len(idx) and any(
                v is Undefined for v in values
            ):
                values = [
                    _lookup(self._data[i], prop) if v is Undefined else v
                    for v, i in zip(values, idx, strict=True)
                ]
            if isinstance(values, list) and any(_is_grid(v) for v in values):
                values = [_rows(v) if _is_grid(v) else v for v in values]
            out[prop] = values
        return out

    def _send_edit(self, trait: str, body: dict) -> None:
        """Send an update or animate message ``body`` as ``trait`` the way plotly does (new trace
        and layout edit ids, the message, then the trait back to None), but with the two ids and
        the message in ONE comm message (``hold_sync``) instead of three: per key press two
        messages less for the kernel to encode and for the browser to decode and dispatch while
        the redraw waits (plotly.js's view reads the ids from the message itself)."""
        trace_edit_id = self._last_trace_edit_id + 1
        layout_edit_id = self._last_layout_edit_id + 1
        with self.hold_sync():
            self._last_trace_edit_id = trace_edit_id
            self._trace_edit_in_process = True
            self._last_layout_edit_id = layout_edit_id
            self._layout_edit_in_process = True
            setattr(self, trait, {**body, "trace_edit_id": trace_edit_id,
                                  "layout_edit_id": layout_edit_id})
        setattr(self, trait, None)

    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None,
                         source_view_id=None):
        trace_indexes = self._normalize_trace_indexes(trace_indexes)
        self._send_edit("_py2js_update", {
            "style_data": self._fill_holes(restyle_data, trace_indexes),
            "layout_data": relayout_data, "style_traces": trace_indexes,
            "source_view_id": source_view_id})

    def _send_animate_msg(self, styles_data, relayout_data, trace_indexes, animation_opts):
        self._send_edit("_py2js_animate", {
            "style_data": styles_data, "layout_data": relayout_data,
            "style_traces": self._normalize_trace_indexes(trace_indexes),
            "animation_opts": animation_opts, "source_view_id": None})

    def _send_restyle_msg(self, restyle_data, trace_indexes=None, source_view_id=None):
        restyle_data = self._fill_holes(restyle_data, self._normalize_trace_indexes(trace_indexes))
        super()._send_restyle_msg(restyle_data, trace_indexes, source_view_id)

    #: the animation options of :meth:`batch_redraw`: no duration, no full redraw afterwards
    REDRAW_OPTIONS: ClassVar[dict] = {"transition": {"duration": 0, "easing": "linear"},
                                      "frame": {"duration": 0, "redraw": False}}

    @contextmanager
    def batch_redraw(self) -> Iterator[None]:
        """Like ``batch_update`` (one message for every edit in the block), but the browser redraws
        only the traces that changed (``Plotly.animate`` with zero duration and ``redraw=False``)
        instead of re-plotting the whole figure. Every axis must have an explicit range
        (:func:`fit_ranges`): a transition does not autorange."""
        if self._in_batch_mode:
            yield
            return
        self._in_batch_mode = True
        try:
            yield
        finally:
            self._in_batch_mode = False
            self._perform_batch_animate(self.REDRAW_OPTIONS)


def make_figure(widget: bool = True, **subplot_kwargs: Any) -> go.Figure:
    """A figure with subplots: a static ``go.Figure``, or a :class:`FigureWidget` with
    ``widget=True``. Builders fill the static figure and wrap it once at the end
    (:func:`as_widget`): a widget built empty and then filled sends one update message per trace
    before its first draw.

    With no ``subplot_kwargs`` the figure has one plain plot.

    >>> fig = make_figure(False, rows=2, cols=1)
    >>> type(fig).__name__, len(fig.layout.annotations)
    ('Figure', 0)
    """
    base = make_subplots(**subplot_kwargs) if subplot_kwargs else go.Figure()
    return FigureWidget(base) if widget else base


def as_widget(fig: go.Figure, widget: bool = True) -> go.Figure:
    """``fig`` as a :class:`FigureWidget` (one widget state with all its data), or unchanged."""
    if not widget or isinstance(fig, go.FigureWidget):
        return fig
    return FigureWidget(fig, config=fig._config)


def _axis_key(ref: str) -> str:
    """``"x3"`` -> ``"xaxis3"``."""
    return ("xaxis" if ref[0] == "x" else "yaxis") + ref[1:]


def _finite_values(values: Any) -> np.ndarray:
    if values is None:
        return np.empty(0)
    try:
        a = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):  # categories, or None gaps in a list
        a = np.array([v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)],
                     dtype=float)
    return a[np.isfinite(a)]


def _same(a: Any, b: Any) -> bool:
    """Whether two trace property values are equal (arrays element-wise, NaN equal to NaN)."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    try:
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "fc" and y.dtype.kind in "fc":
            return bool(np.array_equal(x, y, equal_nan=True))
        return bool(np.array_equal(x, y))
    except (TypeError, ValueError):
        return a == b


def set_trace(fig: go.Figure, index: int, **props: Any) -> None:
    """``fig.data[index].update(**props)`` for the properties whose value changed only: plotly
    validates (copies) every array it is given before comparing, so resending an unchanged
    2,000-point curve on each price move cost more than computing it.

    >>> fig = go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0]))
    >>> set_trace(fig, 0, x=[1.0, 2.0], y=[3.0, 5.0])
    >>> list(fig.data[0].y)
    [3.0, 5.0]
    """
    raw = fig._data[index]
    pending = fig._batch_trace_edits.get(index, {}) if fig._in_batch_mode else {}
    changed = {k: v for k, v in props.items() if not _same(pending.get(k, raw.get(k)), v)}
    if changed:
        fig.data[index].update(**changed)


def sticky_range(fig: go.Figure, axis: str, lo: float, hi: float,
                 keep_fill: float = 0.6) -> tuple[float, float]:
    """Set ``fig.layout[axis].range`` to ``[lo, hi]`` unless its current range already holds
    ``[lo, hi]`` and ``hi - lo`` fills at least ``keep_fill`` of it; return the range in use.

    For :meth:`FigureWidget.batch_redraw`: a changed axis range ends the transition with a relayout,
    a full re-plot of every subplot (notebook 02's margin axis moved on every leverage step).

    >>> fig = go.Figure(go.Scatter(x=[0.0, 1.0], y=[0.0, 1.0]))
    >>> sticky_range(fig, "yaxis", 0.0, 10.0), sticky_range(fig, "yaxis", 1.0, 9.0)
    ((0.0, 10.0), (0.0, 10.0))
    >>> sticky_range(fig, "yaxis", 1.0, 4.0)
    (1.0, 4.0)
    """
    now = _current_range(fig, axis)
    if _holds(now, lo, hi, keep_fill):
        return float(now[0]), float(now[1])
    fig.layout[axis].range = [lo, hi]
    return float(lo), float(hi)


def set_range(fig: go.Figure, axis: str, rng: Sequence[float]) -> None:
    """``fig.layout[axis].range = rng`` unless that is already its range (pending batch edits
    included): an unchanged range sends nothing (a relayout re-plots every subplot).

    >>> fig = go.Figure(go.Scatter(x=[0.0, 1.0], y=[0.0, 1.0]))
    >>> set_range(fig, "xaxis", [0.0, 2.0]); list(fig.layout.xaxis.range)
    [0.0, 2.0]
    """
    now = _current_range(fig, axis)
    if now is None or list(now) != list(rng):
        fig.layout[axis].range = list(rng)


def _current_range(fig: go.Figure, axis: str) -> Any:
    """``axis``'s range as the browser will have it: a pending batch edit, else the layout's."""
    now = (fig._layout_obj._props.get(axis) or {}).get("range")
    if getattr(fig, "_in_batch_mode", False):
        now = fig._batch_layout_edits.get(f"{axis}.range", now)
    return now


def _holds(now: Any, lo: float, hi: float, keep_fill: float) -> bool:
    """Whether the range ``now`` holds ``[lo, hi]`` and ``hi - lo`` fills ``keep_fill`` of it."""
    return (now is not None and len(now) == 2 and now[0] <= lo and hi <= now[1]
            and hi - lo >= keep_fill * (now[1] - now[0]))


def fit_ranges(fig: go.Figure, *, skip: Iterable[str] = (), pad_fraction: float = 0.05,
               keep_fill: float | None = None) -> None:
    """Give every numeric axis of ``fig`` an explicit range covering its traces' data (what
    plotly's autorange would show), so that :meth:`FigureWidget.batch_redraw` stays right.

    x axes fit their data exactly; y axes get ``pad_fraction`` of the span on each side, rounded
    outwards to a round step (so a small move does not change the range and redraw the axis: a
    changed range ends the transition with a relayout, a full re-plot); a bar's y axis includes
    0, and with ``barmode`` "stack" or "relative" spans the stacks. Axes listed in ``skip``
    (``"yaxis"``, ``"yaxis3"``: set by the caller) and axes with categories are left alone; axes
    matched to each other (shared x) get the union. With ``keep_fill`` (a fraction, e.g. 0.6) a
    linear y axis keeps its current range while the data fit in it and span at least that
    fraction of it: a slider that moves a bar a little each step then ends its transition without
    a relayout. Reads plotly's raw trace dicts (and the pending edits of a batch): going through
    the trace objects cost ~10 ms per update.

    >>> fig = go.Figure(go.Scatter(x=[1.0, 3.0], y=[10.0, 20.0]))
    >>> fit_ranges(fig)
    >>> list(fig.layout.xaxis.range), list(fig.layout.yaxis.range)
    ([1.0, 3.0], [9.0, 21.0])
    """
    skip = set(skip)
    layout = fig._layout_obj._props
    batch = bool(getattr(fig, "_in_batch_mode", False))
    pending = fig._batch_trace_edits if batch else {}
    values: dict[str, list[np.ndarray]] = {}
    zero: set[str] = set()
    stacked = layout.get("barmode") in ("stack", "relative")
    stacks: dict[str, dict[Any, list[float]]] = {}  # y axis -> category -> [up, down]
    for i, raw in enumerate(fig._data):
        kind = raw.get("type", "scatter")
        if kind not in ("scatter", "scattergl", "bar"):
            continue
        edits = pending.get(i, {})
        for axis, prop in ((_axis_key(raw.get("xaxis") or "x"), "x"),
                           (_axis_key(raw.get("yaxis") or "y"), "y")):
            values.setdefault(axis, []).append(_finite_values(edits.get(prop, raw.get(prop))))
            if kind == "bar" and prop == "y":
                zero.add(axis)
                if stacked:  # bars stack per x: the axis spans the stacks, not the parts
                    xs = edits.get("x", raw.get("x"))
                    ys = edits.get("y", raw.get("y"))
                    if xs is not None and ys is not None:
                        per_x = stacks.setdefault(axis, {})
                        for xv, yv in zip(list(xs), list(ys), strict=False):
                            if isinstance(yv, (int, float)) and math.isfinite(yv):
                                acc = per_x.setdefault(xv, [0.0, 0.0])
                                acc[0 if yv >= 0 else 1] += float(yv)
    for axis, per_x in stacks.items():
        values[axis].append(np.array([v for acc in per_x.values() for v in acc]))
    groups: dict[str, list[str]] = {}
    for axis in values:
        matches = (layout.get(axis) or {}).get("matches")
        groups.setdefault(_axis_key(matches) if matches else axis, []).append(axis)
    for members in groups.values():
        if any(m in skip for m in members):
            continue
        kinds = {(layout.get(m) or {}).get("type") for m in members}
        if kinds & {"category", "multicategory", "date"}:
            continue
        arrays = [a for m in members for a in values.get(m, []) if a.size]
        if not arrays:
            continue
        allv = np.concatenate(arrays)
        if "log" in kinds:
            allv = np.log10(allv[allv > 0])
            if not allv.size:
                continue
        lo, hi = float(allv.min()), float(allv.max())
        if any(m in zero for m in members):
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        span = hi - lo
        if span <= 0:
            span = max(abs(hi), 1.0)
            lo, hi = lo - 0.5 * span, hi + 0.5 * span
        if (keep_fill is not None and members[0][0] == "y" and "log" not in kinds
                and _holds(_current_range(fig, members[0]), lo, hi, keep_fill)):
            continue
        if members[0][0] == "y" and "log" not in kinds:
            pad = pad_fraction * span
            step = 10.0 ** math.floor(math.log10(span)) / 10.0  # about 10-100 steps per span
            lo = math.floor((lo - pad) / step) * step if lo != 0.0 else 0.0
            hi = math.ceil((hi + pad) / step) * step if hi != 0.0 else 0.0
        elif members[0][0] == "y":
            lo, hi = lo - pad_fraction * span, hi + pad_fraction * span
        for m in members:
            set_range(fig, m, [lo, hi])


#: ``plotly_white``'s colours for the 2-D traces the explorers draw (its layout without the polar,
#: ternary, 3-D and geo parts, and its bar, histogram, heatmap and scatter defaults; plotly 7.1.0's
#: ``pio.templates["plotly_white"]``, checked equal by tests/test_viz_template.py). Loading and
#: validating the whole of ``plotly_white`` (24 trace types) cost ~0.5 s of the first explorer's
#: draw after Run All, and its 7 kB went into every figure's layout, where plotly.js merged it
#: again on every update (``supplyDefaults``).
_SEQUENTIAL = [[0.0, "#0d0887"], [0.1111111111111111, "#46039f"], [0.2222222222222222, "#7201a8"],
               [0.3333333333333333, "#9c179e"], [0.4444444444444444, "#bd3786"],
               [0.5555555555555556, "#d8576b"], [0.6666666666666666, "#ed7953"],
               [0.7777777777777778, "#fb9f3a"], [0.8888888888888888, "#fdca26"], [1.0, "#f0f921"]]
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "ticks": "", "title": {"standoff": 15},
         "zerolinecolor": "#EBF0F8", "automargin": True, "zerolinewidth": 2}
_PATTERN = {"fillmode": "overlay", "size": 10, "solidity": 0.2}
WHITE_2D = {
    "layout": {
        "autotypenumbers": "strict",
        "colorway": ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692",
                     "#B6E880", "#FF97FF", "#FECB52"],
        "font": {"color": "#2a3f5f"}, "hovermode": "closest", "hoverlabel": {"align": "left"},
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "coloraxis": {"colorbar": {"outlinewidth": 0, "ticks": ""}},
        "colorscale": {
            "sequential": _SEQUENTIAL, "sequentialminus": _SEQUENTIAL,
            "diverging": [[0, "#8e0152"], [0.1, "#c51b7d"], [0.2, "#de77ae"], [0.3, "#f1b6da"],
                          [0.4, "#fde0ef"], [0.5, "#f7f7f7"], [0.6, "#e6f5d0"], [0.7, "#b8e186"],
                          [0.8, "#7fbc41"], [0.9, "#4d9221"], [1, "#276419"]],
        },
        "xaxis": _AXIS, "yaxis": _AXIS,
        "shapedefaults": {"line": {"color": "#2a3f5f"}},
        "annotationdefaults": {"arrowcolor": "#2a3f5f", "arrowhead": 0, "arrowwidth": 1},
        "title": {"x": 0.05},
    },
    "data": {
        "bar": [{"error_x": {"color": "#2a3f5f"}, "error_y": {"color": "#2a3f5f"},
                 "marker": {"line": {"color": "white", "width": 0.5}, "pattern": _PATTERN},
                 "type": "bar"}],
        "heatmap": [{"type": "heatmap", "colorbar": {"outlinewidth": 0, "ticks": ""},
                     "colorscale": _SEQUENTIAL}],
        "histogram": [{"marker": {"pattern": _PATTERN}, "type": "histogram"}],
        "scatter": [{"fillpattern": _PATTERN, "type": "scatter"}],
        "scattergl": [{"type": "scattergl", "marker": {"colorbar": {"outlinewidth": 0,
                                                                     "ticks": ""}}}],
    },
}


def _template(background: str) -> go.layout.Template:
    """:data:`WHITE_2D` with the given paper and plot background."""
    t = go.layout.Template(WHITE_2D)
    t.layout.paper_bgcolor = background
    t.layout.plot_bgcolor = background
    return t


#: the explorers' plotly template: transparent backgrounds, so the notebook's own background shows
#: through (light or dark); text and grid colours come from JupyterLab's CSS variables
#: (:data:`THEME_CSS`, :func:`theme_style`)
TEMPLATE = _template("rgba(0,0,0,0)")
#: the static figures' template (``plotly_white`` for the traces they draw)
STATIC_TEMPLATE = _template("white")

#: CSS that makes plotly's SVG follow JupyterLab's light/dark theme inside ``.lpperp-explorer``
THEME_CSS = """
.lpperp-explorer .js-plotly-plot .main-svg text { fill: var(--jp-ui-font-color1, #222) !important; }
.lpperp-explorer .js-plotly-plot .legendtext { fill: var(--jp-ui-font-color1, #222) !important; }
.lpperp-explorer .js-plotly-plot .gridlayer path,
.lpperp-explorer .js-plotly-plot .zerolinelayer path {
  stroke: var(--jp-border-color2, #e0e0e0) !important; }
.lpperp-explorer .js-plotly-plot .bartext, .lpperp-explorer .js-plotly-plot .textpoint text {
  fill: var(--jp-ui-font-color1, #222) !important; }
.lpperp-explorer .js-plotly-plot .modebar-btn path { fill: var(--jp-ui-font-color2, #888); }
.lpperp-explorer .widget-readout { min-width: 84px; text-align: right; }
.lpperp-explorer .lpperp-readout, .lpperp-explorer .lpperp-status, .lpperp-explorer .lpperp-pinned {
  color: var(--jp-ui-font-color1, #222); }
.lpperp-explorer .lpperp-muted { color: var(--jp-ui-font-color2, #666); }
.lpperp-explorer .lpperp-error { color: var(--jp-error-color1, #b00020); font-weight: 600; }
.lpperp-explorer .js-plotly-plot, .lpperp-explorer .widget-box > .jupyter-widgets.js-plotly-plot {
  width: 100%; }
.lpperp-explorer .lpperp-readout, .lpperp-explorer .lpperp-status,
.lpperp-explorer .js-plotly-plot { contain: layout style; }
"""


def theme_style() -> widgets.HTML:
    """A (visually empty) HTML widget carrying :data:`THEME_CSS`; put one in each explorer."""
    w = widgets.HTML(value=f"<style>{THEME_CSS}</style>", layout=widgets.Layout(height="0px"))
    w.add_class("lpperp-theme")
    return w


def apply_layout(fig: go.Figure, *, height: int, top: int, bottom: int = 50,
                 widget: bool | None = None, fixed_margins: bool = True, **layout: Any) -> None:
    """The explorers' common look: theme-following template, full cell width (``autosize``, no
    fixed width), a horizontal legend along the top, the user's zoom kept across updates
    (``uirevision``), fixed margins (no automargin: see the module doc); ``layout`` adds to or
    overrides it. ``widget`` (default: whether ``fig`` is a FigureWidget) picks the template:
    the explorers' theme-following one, or :data:`STATIC_TEMPLATE` (``plotly_white``'s look) for a
    static figure.

    >>> fig = make_figure(False)
    >>> apply_layout(fig, height=300, top=40)
    >>> fig.layout.autosize, fig.layout.width, fig.layout.paper_bgcolor
    (True, None, None)
    """
    if widget is None:
        widget = isinstance(fig, go.FigureWidget)
    legend = {"orientation": "h", "y": 0.995, "yanchor": "top", "yref": "container", "x": 0.0}
    template = TEMPLATE if widget else STATIC_TEMPLATE
    fig.update_layout(**{
        "height": height, "autosize": True, "margin": {"l": 60, "r": 20, "t": top, "b": bottom},
        "template": template, "legend": legend, "uirevision": "lpperp", **layout,
    })
    if fixed_margins:
        # margins that do not depend on the tick labels: a transition (batch_redraw) does not
        # recompute automargins, and plotly.js's automargin pass cost ~0.5 s of the first draw
        fig.update_xaxes(automargin=False, ticklabeloverflow="allow")
        fig.update_yaxes(automargin=False, ticklabeloverflow="allow")
    if widget:
        fig._config = {**(fig._config or {}), "responsive": True, "displaylogo": False}


# -- status line ----------------------------------------------------------------------------------
def error_html(exc: BaseException | str) -> str:
    """The status line for bad input: the message, and that the plot keeps the last valid input."""
    return (
        f"<div class='lpperp-error'>&#9888; {html.escape(str(exc))}"
        "<span class='lpperp-muted' style='font-weight:400'> &mdash; the plot still shows the last"
        " valid input.</span></div>"
    )


# -- controls -------------------------------------------------------------------------------------
def slider(description: str, value: float, lo: float, hi: float, step: float, fmt: str,
           css: str = "", tooltip: str = "") -> widgets.FloatSlider:
    """A float slider that fills its column, with a readout wide enough for ``3,000.00``."""
    s = widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
        continuous_update=True, style=DESCRIPTION_STYLE, layout=wide_layout(),
        tooltip=tooltip or None,
    )
    if css:
        s.add_class(css)
    return s


def nice_values(lo: float, hi: float, include: Iterable[float] = ()) -> list[float]:
    """Round values from ``lo`` to ``hi`` on a log scale (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 per
    decade) plus ``include`` (so a notebook's own value, e.g. 52 a year, is on the slider).

    >>> nice_values(10, 60, include=(52.0,))
    [10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 52.0, 60.0]
    """
    if not (lo > 0 and hi > lo):
        raise ValueError(f"nice_values needs 0 < lo < hi, got lo={lo!r}, hi={hi!r}")
    mant = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
    out = set()
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in mant:
            v = float(f"{m * 10.0**e:.12g}")
            if lo * (1 - 1e-12) <= v <= hi * (1 + 1e-12):
                out.add(v)
    out.update(float(v) for v in include if v is not None and lo <= float(v) <= hi)
    return sorted(out)


def log_slider(description: str, value: float, lo: float, hi: float, css: str = "",
               unit: str = "", include: Iterable[float] = ()) -> widgets.SelectionSlider:
    """A slider over round values on a log scale (:func:`nice_values`), ``value`` and ``include``
    (values a user means: a chain's preset gas price, weekly = 52 a year) always on it: the
    notebook's 20 gwei is 20, not 10**1.3 = 19.95, and a key press steps to the next round value.
    Setting ``.value`` to a number not on it raises traitlets' ``TraitError``.

    >>> s = log_slider("rebalances /yr", 52.0, 1.0, 1000.0, include=(365.0,))
    >>> s.value, [v for _, v in s.options][16:21]
    (52.0, [40.0, 50.0, 52.0, 60.0, 80.0])
    >>> 365.0 in [v for _, v in s.options]
    True
    """
    vals = nice_values(lo, hi, include=(value, *include))
    opts = [(f"{v:,.6g}{unit}", v) for v in vals]
    s = widgets.SelectionSlider(options=opts, value=float(value), description=description,
                                continuous_update=True, style=DESCRIPTION_STYLE,
                                layout=wide_layout())
    if css:
        s.add_class(css)
    return s


def number(description: str, value: float, css: str = "") -> widgets.FloatText:
    t = widgets.FloatText(value=value, description=description, style=DESCRIPTION_STYLE,
                          layout=wide_layout())
    if css:
        t.add_class(css)
    return t


def choice(description: str, options: list, value: Any, css: str = "") -> widgets.Dropdown:
    d = widgets.Dropdown(options=options, value=value, description=description,
                         style=DESCRIPTION_STYLE, layout=wide_layout())
    if css:
        d.add_class(css)
    return d


def control_for(record: Any, name: str, value: Any = None, css: str = "") -> widgets.Widget:
    """The control of field ``name`` of a :mod:`lpperp.scenario` record, from its metadata
    (``label``, ``unit``, ``range``, ``step``, ``log``, ``options``, ``format``).

    >>> from lpperp.scenario import PerpSpec
    >>> w = control_for(PerpSpec, "leverage", 2.0)
    >>> w.description, w.min, w.max, w.value
    ('leverage', 0.0, 20.0, 2.0)
    """
    from dataclasses import MISSING, fields

    f = {x.name: x for x in fields(record)}[name]
    meta = f.metadata
    if value is None:
        value = f.default if f.default is not MISSING else None
    label = meta.get("label", name)
    unit = meta.get("unit", "")
    if "options" in meta:
        return choice(label, list(meta["options"]), value, css)
    if "range" not in meta:
        return number(f"{label} ({unit})" if unit else label, value, css)
    lo, hi = meta["range"]
    if meta.get("log"):
        return log_slider(label, value, lo, hi, css)
    return slider(label, value, lo, hi, meta.get("step", (hi - lo) / 200), meta.get("format",
                  ",.2f"), css)


def control_box(columns: Sequence[Sequence[widgets.Widget]]) -> widgets.Box:
    """Columns of controls that sit side by side on a wide cell and wrap under each other on a
    narrow one (flex-wrap; each column 270-560 px), never overlapping."""
    cols = [
        widgets.VBox(list(col), layout=widgets.Layout(flex="1 1 280px", min_width="270px",
                                                      max_width="560px", overflow="visible"))
        for col in columns
    ]
    box = widgets.Box(cols, layout=widgets.Layout(display="flex", flex_flow="row wrap",
                                                  width="100%", grid_gap="4px 16px"))
    box.add_class("lpperp-controls")
    return box


def control_row(controls: Sequence[widgets.Widget], basis_px: int = 380) -> widgets.Box:
    """Wide controls side by side (each at least ``basis_px`` wide, growing to fill the row),
    wrapping under each other on a narrow cell: the sliders that matter most get long tracks."""
    cells = [
        widgets.VBox([c], layout=widgets.Layout(flex=f"1 1 {basis_px}px",
                                                min_width="270px", overflow="visible"))
        for c in controls
    ]
    box = widgets.Box(cells, layout=widgets.Layout(display="flex", flex_flow="row wrap",
                                                   width="100%", grid_gap="4px 16px"))
    box.add_class("lpperp-controls")
    box.add_class("lpperp-wide-row")
    return box


def finite_or_nan(x: Any) -> float:
    """``float(x)``, NaN for anything that is not a finite number (for readouts)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v if np.isfinite(v) else float("nan")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running event loop, where an explorer schedules idle-time work (prefetching
    the next slider step); None outside one (a script, a test)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

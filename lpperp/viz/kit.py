"""The explorers' shared kit: a FigureWidget that stays right in every view, a theme that follows
JupyterLab, controls built from field metadata, a status line, one number formatter, one HTML table.

Every explorer module (:mod:`lpperp.viz.explorers`, ``economics``, ``montecarlo``, ``oracle``) builds
its figure with :func:`make_figure` and :func:`apply_layout`, its controls with :func:`slider`,
:func:`log_slider`, :func:`number`, :func:`choice` (or :func:`control_for` from a
:mod:`lpperp.scenario` field), lays them out with :func:`control_box`, and reports bad input with
:func:`error_html`. Numbers are formatted by :func:`fmt_num` / :func:`fmt_price`; tables by
:func:`html_table`.

Why a FigureWidget subclass: plotly's batched update message lists, per property, one value per
trace, with ``Undefined`` for the traces whose value did not change. The open views skip those, but
plotly's frontend *model* applies the raw message to its stored state, so every ``Undefined``
becomes ``"_undefined_"`` and then ``undefined``: a view created later in the same page (an explorer
displayed after a control was set in the same cell, a second view) draws those traces without x
(plotted against 0..n-1) and bars without categories. :class:`FigureWidget` fills each hole with the
trace's current value before the message leaves the kernel (measured with plotly 7.1.0 / anywidget
0.11; guarded by tests/ui).

Conventions: prices in quote per base; values in quote units.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import Undefined
from plotly.subplots import make_subplots

__all__ = [
    "DESCRIPTION_STYLE",
    "TEMPLATE",
    "THEME_CSS",
    "FigureWidget",
    "apply_layout",
    "choice",
    "control_box",
    "control_for",
    "control_row",
    "error_html",
    "fmt_num",
    "fmt_price",
    "html_table",
    "log_slider",
    "make_figure",
    "nice_values",
    "number",
    "slider",
    "theme_style",
]

#: description column of every control (wide enough for "collateral model")
DESCRIPTION_STYLE = {"description_width": "120px"}


def wide_layout() -> widgets.Layout:
    """A control that fills its column (a new Layout each call: layouts are shared mutable state)."""
    return widgets.Layout(width="100%", min_width="240px")


def _control_layout() -> widgets.Layout:
    """A control fills its column (no fixed pixel width): sliders get the room the window has."""
    return widgets.Layout(width="100%", min_width="240px")


# -- figure ---------------------------------------------------------------------------------------
def _lookup(props: dict, dotted: str) -> Any:
    node: Any = props
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class FigureWidget(go.FigureWidget):
    """``go.FigureWidget`` whose update messages carry no ``Undefined`` holes (see module doc).

    Each hole is replaced by the trace's current value (or ``None``, "unset", when the trace has
    none), so the frontend model's stored state equals the kernel's figure after every update.
    """

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
            out[prop] = values
        return out

    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None,
                         source_view_id=None):
        restyle_data = self._fill_holes(restyle_data, self._normalize_trace_indexes(trace_indexes))
        super()._send_update_msg(restyle_data, relayout_data, trace_indexes, source_view_id)

    def _send_restyle_msg(self, restyle_data, trace_indexes=None, source_view_id=None):
        restyle_data = self._fill_holes(restyle_data, self._normalize_trace_indexes(trace_indexes))
        super()._send_restyle_msg(restyle_data, trace_indexes, source_view_id)


def make_figure(widget: bool = True, **subplot_kwargs: Any) -> go.Figure:
    """A figure with subplots: a :class:`FigureWidget` (``widget=True``) or a static ``go.Figure``.

    With no ``subplot_kwargs`` the figure has one plain plot.

    >>> fig = make_figure(False, rows=2, cols=1)
    >>> type(fig).__name__, len(fig.layout.annotations)
    ('Figure', 0)
    """
    base = make_subplots(**subplot_kwargs) if subplot_kwargs else go.Figure()
    return FigureWidget(base) if widget else base


def _template() -> go.layout.Template:
    """``plotly_white`` with transparent backgrounds: the notebook's own background shows through
    (light or dark); text and grid colours come from JupyterLab's CSS variables (:data:`THEME_CSS`).
    """
    t = go.layout.Template(pio.templates["plotly_white"])
    t.layout.paper_bgcolor = "rgba(0,0,0,0)"
    t.layout.plot_bgcolor = "rgba(0,0,0,0)"
    return t


#: the explorers' plotly template (transparent, theme-neutral; see :func:`theme_style`)
TEMPLATE = _template()

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
"""


def theme_style() -> widgets.HTML:
    """A (visually empty) HTML widget carrying :data:`THEME_CSS`; put one in each explorer."""
    w = widgets.HTML(value=f"<style>{THEME_CSS}</style>", layout=widgets.Layout(height="0px"))
    w.add_class("lpperp-theme")
    return w


def apply_layout(fig: go.Figure, *, height: int, top: int, bottom: int = 50, **layout: Any) -> None:
    """The explorers' common look: theme-following template, full cell width (``autosize``, no
    fixed width), a horizontal legend along the top, the user's zoom kept across updates
    (``uirevision``); ``layout`` adds to or overrides it.

    >>> fig = make_figure(False)
    >>> apply_layout(fig, height=300, top=40)
    >>> fig.layout.autosize, fig.layout.width, fig.layout.paper_bgcolor
    (True, None, None)
    """
    legend = {"orientation": "h", "y": 0.995, "yanchor": "top", "yref": "container", "x": 0.0}
    template = TEMPLATE if isinstance(fig, go.FigureWidget) else "plotly_white"
    fig.update_layout(**{
        "height": height, "autosize": True, "margin": {"l": 60, "r": 20, "t": top, "b": bottom},
        "template": template, "legend": legend, "uirevision": "lpperp", **layout,
    })
    if isinstance(fig, go.FigureWidget):
        fig._config = {**fig._config, "responsive": True, "displaylogo": False}


# -- numbers and tables ---------------------------------------------------------------------------
def fmt_num(x: float, unit: str = "", digits: int = 2) -> str:
    """A number for a readout: thousands separators, ``-`` for NaN, ``∞`` for infinity.

    >>> fmt_num(3944.321), fmt_num(float("nan")), fmt_num(float("inf"), "x"), fmt_num(12.5, " %", 1)
    ('3,944.32', '-', '∞', '12.5 %')
    """
    x = float(x)
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.{digits}f}{unit}"


def fmt_price(x: float, none: str = "none") -> str:
    """A price (``none`` when there is none: NaN or infinite).

    >>> fmt_price(3944.3), fmt_price(float("nan"))
    ('3,944.30', 'none')
    """
    x = float(x)
    return none if not math.isfinite(x) else f"{x:,.2f}"


def html_table(rows: Iterable[tuple[str, str]], title: str = "", *,
               header: Sequence[str] | None = None) -> str:
    """An HTML table of (label, text) rows, or of (label, (text, text, ...)) rows with a header.

    >>> html_table([("health", "2.00")], "account")[:40]
    "<table class='lpperp-table'><caption>acc"
    """
    def cells(v: Any) -> str:
        vals = v if isinstance(v, (tuple, list)) else (v,)
        return "".join(f"<td style='text-align:right;padding:0 0.8em'>{html.escape(str(x))}</td>"
                       for x in vals)

    head = ""
    if header:
        head = "<thead><tr><th></th>" + "".join(
            f"<th style='text-align:right;padding:0 0.8em'>{html.escape(h)}</th>" for h in header
        ) + "</tr></thead>"
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>{cells(v)}</tr>"
        for k, v in rows
    )
    cap = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f"<table class='lpperp-table'>{cap}{head}<tbody>{body}</tbody></table>"


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
        continuous_update=True, style=DESCRIPTION_STYLE, layout=_control_layout(),
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
               unit: str = "") -> widgets.SelectionSlider:
    """A slider over round values on a log scale (:func:`nice_values`), ``value`` always included:
    the notebook's 20 gwei is 20, not 10**1.3 = 19.95."""
    vals = nice_values(lo, hi, include=(value,))
    opts = [(f"{v:,.6g}{unit}", v) for v in vals]
    s = widgets.SelectionSlider(options=opts, value=float(value), description=description,
                                continuous_update=True, style=DESCRIPTION_STYLE,
                                layout=_control_layout())
    if css:
        s.add_class(css)
    return s


def number(description: str, value: float, css: str = "") -> widgets.FloatText:
    t = widgets.FloatText(value=value, description=description, style=DESCRIPTION_STYLE,
                          layout=_control_layout())
    if css:
        t.add_class(css)
    return t


def choice(description: str, options: list, value: Any, css: str = "") -> widgets.Dropdown:
    d = widgets.Dropdown(options=options, value=value, description=description,
                         style=DESCRIPTION_STYLE, layout=_control_layout())
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

"""Pure plotly figure builders and in-place updaters for the explorers (no ipywidgets here).

Every explorer has one ``*_figure(result)`` that builds the whole figure once (one FigureWidget with
subplots, or a static ``go.Figure`` with ``widget=False``) and one ``update_*_figure(fig, result)`` that
rewrites the traces' data in place. The updater never adds or removes traces: trace ``i`` always means
the same thing (the ``*_TRACES`` tuples name them), so tests and the browser can read ``fig.data[i]``.
Callers wrap updates in ``fig.batch_update()`` (one message to the browser) and then call
:func:`resync_view_state` so a view that connects later (page reload, second tab) shows the current
figure rather than the one the widget was built with.

Conventions: x axes are prices (quote per base); values in quote units; impermanent loss in percent.
Boundary markers, shaded zones and the current-price line are traces (not layout shapes), so their
positions live in ``fig.data`` like everything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from lpperp.viz import kit

__all__ = [
    "HEALTH_AXIS",
    "HEALTH_TRACES",
    "LP_TRACES",
    "MAP_TRACES",
    "WALLET_TRACES",
    "bands",
    "finish_figure",
    "health_curve",
    "health_figure",
    "lp_figure",
    "map_figure",
    "resync_view_state",
    "update_health_figure",
    "update_lp_figure",
    "update_map_figure",
    "update_wallet_figure",
    "vline",
    "wallet_figure",
]

COLORS = {
    "lp": "#1f77b4",
    "hold": "#7f7f7f",
    "range": "rgba(31,119,180,0.10)",
    "now": "#111111",
    "il": "#d62728",
    "base": "#6c5ce7",
    "quote": "#00a676",
    "equity": "#1f77b4",
    "maintenance": "#ff7f0e",
    "zone": "rgba(214,39,40,0.16)",
    "boundary": "#d62728",
}

#: Trace order of :func:`lp_figure`.
LP_TRACES = (
    "LP value",
    "hold value",
    "range",
    "current price",
    "value now",
    "impermanent loss",
    "IL now",
    "composition",
)


def _span(*arrays: np.ndarray) -> tuple[float, float]:
    """Finite (min, max) over arrays, padded so that a flat curve still gets a visible line."""
    lo = min(float(np.nanmin(a)) for a in arrays)
    hi = max(float(np.nanmax(a)) for a in arrays)
    pad = 0.02 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.02
    return lo - pad, hi + pad


def _margin_span(equity: np.ndarray, maintenance: np.ndarray) -> tuple[float, float]:
    """y range of the margin plot: all of the positive side, the negative side cut at 40 % of it.

    Far from the boundary a levered account's equity runs deeply negative; showing all of it would
    flatten the maintenance curve and the boundary into the x axis.
    """
    hi = max(float(np.max(equity)), float(np.max(maintenance)), 1.0)
    lo = max(float(np.min(equity)), -0.4 * hi)
    lo = min(lo, float(np.min(maintenance)), 0.0)
    pad = 0.04 * (hi - lo)
    return lo - pad, hi + pad


def vline(x: float, y_span: tuple[float, float]) -> tuple[list[float], list[float]]:
    """A vertical segment at ``x`` for a scatter trace."""
    return [x, x], [y_span[0], y_span[1]]


def bands(intervals: list[tuple[float, float]], y_span: tuple[float, float]) -> tuple[list, list]:
    """Closed rectangles ``[a, b] x y_span`` separated by ``None`` (one ``fill='toself'`` trace).

    >>> bands([(1.0, 2.0)], (0.0, 5.0))
    ([1.0, 2.0, 2.0, 1.0, 1.0], [0.0, 0.0, 5.0, 5.0, 0.0])
    """
    xs: list = []
    ys: list = []
    lo, hi = y_span
    for a, b in intervals:
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [a, b, b, a, a]
        ys += [lo, lo, hi, hi, lo]
    return xs, ys


def resync_view_state(fig: go.Figure) -> None:
    """Stale-view fix: make the widget state a page reload receives equal the current figure.

    A FigureWidget syncs its data and layout as widget state (``_widget_data``, ``_widget_layout``)
    only when it is built or displayed, as deep copies; later changes reach the open views as
    one-off restyle/relayout messages. A view that connects afterwards (page reload, a second tab,
    Voila) asks the kernel for the widget state and would draw the construction-time figure.

    The fix points the synced state at plotly's live trace and layout dicts (``fig._data``,
    ``fig._layout``): plotly updates those in place, so the state sent to a new view is always the
    current figure, at no cost per update (nothing is copied or sent; open views keep getting the
    messages). Called after every update, it only re-points the state when something (e.g. displaying
    the figure on its own, which deep-copies again) broke the link. This touches plotly's private
    attributes (checked with plotly 6-7; pinned in binder/, guarded by tests/test_viz.py and the
    browser test). A static ``go.Figure`` has no widget state and is left alone.
    """
    if not hasattr(fig, "_widget_data"):
        return
    data, layout = fig._data, fig._layout_obj._props
    linked = (
        len(fig._widget_data) == len(data)
        and all(a is b for a, b in zip(fig._widget_data, data, strict=True))
        and all(fig._widget_layout.get(k) is v for k, v in layout.items()
                if isinstance(v, (dict, list)))
        and fig._widget_layout.keys() == layout.keys()
    )
    if not linked:
        # Link without sending: the open views already hold this figure (the widget opened with
        # it, and plotly's frontend model applies every update to its stored copy). Assigning the
        # traits resent it all (notebook 02: a 197 kB message right after the explorer's widget
        # opened, on the way to its first draw); plotly reads the live dicts when a view asks
        # for the state (page reload, second tab).
        fig._trait_values["_widget_layout"] = layout
        fig._trait_values["_widget_data"] = data


def finish_figure(fig: go.Figure, update: Any, *, widget: bool, **layout: Any) -> go.Figure:
    """The common end of every builder: the explorers' look (:func:`kit.apply_layout` with
    ``layout``), the data (``update(fig)``, the figure's own updater), then - with ``widget`` -
    one :class:`kit.FigureWidget` holding it all (built once: no update message per trace before
    the first draw) whose synced state follows later updates (:func:`resync_view_state`).
    """
    kit.apply_layout(fig, widget=widget, **layout)
    update(fig)
    fig = kit.as_widget(fig, widget)
    resync_view_state(fig)
    return fig


def _composition(base: float, quote: float, price: float, symbols: tuple[str, str]) -> dict:
    return {
        "x": [f"base ({symbols[0]})", f"quote ({symbols[1]})"],
        "y": [base * price, quote],
        "text": [f"{base:,.4f} {symbols[0]}", f"{quote:,.2f} {symbols[1]}"],
    }


def lp_figure(
    result: Any, *, widget: bool = True, symbols: tuple[str, str] = ("ETH", "USDC")
) -> go.Figure:
    """LP value and hold value vs price (range shaded), IL vs price, composition at the current price.

    ``result`` is an :class:`~lpperp.viz.scenarios.LPResult`. Returns a ``go.FigureWidget`` (or a
    static ``go.Figure`` with ``widget=False``) with the traces named in :data:`LP_TRACES`.

    >>> from lpperp.viz.scenarios import LPScenario, compute_lp
    >>> fig = lp_figure(compute_lp(LPScenario(price=3000.0)), widget=False)
    >>> [t.name for t in fig.data] == list(LP_TRACES)
    True
    """
    fig = kit.make_figure(
        False, rows=2, cols=2, column_widths=[0.74, 0.26], row_heights=[0.6, 0.4],
        specs=[[{}, {"rowspan": 2}], [{}, None]], shared_xaxes=True,
        horizontal_spacing=0.09, vertical_spacing=0.08,
        subplot_titles=("LP value vs price", "holdings now (quote units)", "impermanent loss"),
    )
    q = symbols[1]
    fig.add_trace(go.Scatter(name="LP value", line={"color": COLORS["lp"], "width": 2.5}), 1, 1)
    fig.add_trace(
        go.Scatter(name="hold value", line={"color": COLORS["hold"], "dash": "dash"}), 1, 1
    )
    fig.add_trace(
        go.Scatter(name="range", fill="toself", fillcolor=COLORS["range"], mode="lines",
                   line={"width": 0}, hoverinfo="skip"), 1, 1,
    )
    fig.add_trace(
        go.Scatter(name="current price", mode="lines", showlegend=False, hoverinfo="skip",
                   line={"color": COLORS["now"], "dash": "dot", "width": 1}), 1, 1,
    )
    fig.add_trace(
        go.Scatter(name="value now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 9}), 1, 1,
    )
    fig.add_trace(go.Scatter(name="impermanent loss", line={"color": COLORS["il"]}), 2, 1)
    fig.add_trace(
        go.Scatter(name="IL now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 8}), 2, 1,
    )
    fig.add_trace(
        go.Bar(name="composition", showlegend=False, textposition="auto",
               marker={"color": [COLORS["base"], COLORS["quote"]]}), 1, 2,
    )
    fig.update_yaxes(title_text=f"value ({q})", row=1, col=1)
    fig.update_yaxes(title_text="IL (%)", row=2, col=1)
    fig.update_xaxes(title_text=f"price ({q} per {symbols[0]})", row=2, col=1)
    return finish_figure(fig, lambda f: update_lp_figure(f, result, symbols=symbols),
                         widget=widget, height=580, top=70)


def update_lp_figure(
    fig: go.Figure, result: Any, *, symbols: tuple[str, str] = ("ETH", "USDC")
) -> None:
    """Rewrite :func:`lp_figure`'s traces from a new ``LPResult`` (call inside ``batch_update``)."""
    s = result.scenario
    grid = result.grid
    span = _span(result.value, result.hold_value)
    il_pct = 100.0 * result.il
    kit.set_trace(fig, 0, x=grid, y=result.value)
    kit.set_trace(fig, 1, x=grid, y=result.hold_value)
    rx, ry = bands([(s.price_lower, s.price_upper)], span)
    kit.set_trace(fig, 2, x=rx, y=ry)
    lx, ly = vline(s.price, span)
    kit.set_trace(fig, 3, x=lx, y=ly)
    kit.set_trace(fig, 4, x=[s.price], y=[result.value_now])
    kit.set_trace(fig, 5, x=grid, y=il_pct)
    kit.set_trace(fig, 6, x=[s.price], y=[100.0 * result.il_now])
    kit.set_trace(fig, 7, **_composition(result.base_now, result.quote_now, s.price, symbols))
    fig.layout.yaxis.range = span
    kit.fit_ranges(fig, skip=("yaxis",))


#: Trace order of :func:`health_figure`.
HEALTH_TRACES = (
    "equity",
    "maintenance",
    "liquidation zone",
    "liquidation boundary",
    "current price",
    "equity now",
    "LP value",
    "collateral value",
    "LP value now",
    "impermanent loss",
    "IL now",
    "composition",
    "health",
    "health now",
    "health = 1",
)

#: health axis of :func:`health_figure`: log scale from 0.1 to 100 (values clipped into it)
HEALTH_AXIS = (0.1, 100.0)


def health_figure(
    result: Any, *, widget: bool = True, symbols: tuple[str, str] = ("ETH", "USDC")
) -> go.Figure:
    """Equity vs maintenance against price (liquidation zone shaded, boundaries marked), LP value and
    collateral value, impermanent loss, and the holdings at the current price.

    ``result`` is a :class:`~lpperp.viz.scenarios.HealthResult`; traces as in :data:`HEALTH_TRACES`.

    >>> from lpperp.viz.scenarios import HealthScenario, compute_health
    >>> fig = health_figure(compute_health(HealthScenario(price=3000.0)), widget=False)
    >>> [t.name for t in fig.data] == list(HEALTH_TRACES)
    True
    """
    q = symbols[1]
    fig = kit.make_figure(
        False, rows=4, cols=2, column_widths=[0.74, 0.26], row_heights=[0.36, 0.22, 0.22, 0.2],
        specs=[[{}, {"rowspan": 4}], [{}, None], [{}, None], [{}, None]], shared_xaxes=True,
        horizontal_spacing=0.09, vertical_spacing=0.05,
        subplot_titles=("margin: equity vs maintenance", "holdings now (quote units)",
                        "health = equity / maintenance (log; liquidation below 1)",
                        "LP value and what counts as collateral", "impermanent loss"),
    )
    add = fig.add_trace
    add(go.Scatter(name="equity", line={"color": COLORS["equity"], "width": 2.5}), 1, 1)
    add(go.Scatter(name="maintenance", line={"color": COLORS["maintenance"], "width": 2}), 1, 1)
    add(go.Scatter(name="liquidation zone", fill="toself", fillcolor=COLORS["zone"], mode="lines",
                   line={"width": 0}, hoverinfo="skip"), 1, 1)
    add(go.Scatter(name="liquidation boundary", mode="markers+text", textposition="top center",
                   marker={"color": COLORS["boundary"], "size": 11, "symbol": "x"},
                   textfont={"color": COLORS["boundary"]}), 1, 1)
    add(go.Scatter(name="current price", mode="lines", showlegend=False, hoverinfo="skip",
                   line={"color": COLORS["now"], "dash": "dot", "width": 1}), 1, 1)
    add(go.Scatter(name="equity now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 9}), 1, 1)
    add(go.Scatter(name="LP value", line={"color": COLORS["lp"], "dash": "dash"}), 3, 1)
    add(go.Scatter(name="collateral value", line={"color": COLORS["quote"]}), 3, 1)
    add(go.Scatter(name="LP value now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 8}), 3, 1)
    add(go.Scatter(name="impermanent loss", line={"color": COLORS["il"]}), 4, 1)
    add(go.Scatter(name="IL now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 8}), 4, 1)
    add(go.Bar(name="composition", showlegend=False, textposition="auto",
               marker={"color": [COLORS["base"], COLORS["quote"], COLORS["equity"]]}), 1, 2)
    add(go.Scatter(name="health", line={"color": COLORS["equity"], "width": 2}, showlegend=False,
                   hovertemplate="price %{x:,.2f}<br>health %{y:.3g}<extra></extra>"), 2, 1)
    add(go.Scatter(name="health now", mode="markers", showlegend=False,
                   marker={"color": COLORS["now"], "size": 8}), 2, 1)
    add(go.Scatter(name="health = 1", mode="lines", showlegend=False, hoverinfo="skip",
                   line={"color": COLORS["boundary"], "dash": "dash", "width": 1}), 2, 1)
    lo, hi = HEALTH_AXIS
    fig.update_yaxes(title_text=q, row=1, col=1)
    fig.update_yaxes(title_text="health", type="log", range=[np.log10(lo), np.log10(hi)],
                     row=2, col=1)
    fig.update_yaxes(title_text=q, row=3, col=1)
    fig.update_yaxes(title_text="IL (%)", row=4, col=1)
    fig.update_xaxes(title_text=f"price ({q} per {symbols[0]})", row=4, col=1)
    return finish_figure(fig, lambda f: update_health_figure(f, result, symbols=symbols),
                         widget=widget, height=860, top=80)


def update_health_figure(
    fig: go.Figure, result: Any, *, symbols: tuple[str, str] = ("ETH", "USDC")
) -> None:
    """Rewrite :func:`health_figure`'s traces from a new ``HealthResult`` (inside ``batch_update``)."""
    s = result.scenario
    grid = result.grid
    # the margin axis keeps its range while the curves still fill it (kit.sticky_range): a
    # leverage step then redraws the changed traces only, not every subplot
    span = kit.sticky_range(fig, "yaxis", *_margin_span(result.equity, result.maintenance))
    kit.set_trace(fig, 0, x=grid, y=result.equity)
    kit.set_trace(fig, 1, x=grid, y=result.maintenance)
    zx, zy = bands(result.zones, span)
    kit.set_trace(fig, 2, x=zx, y=zy)
    b = result.boundaries
    b = b[np.isfinite(b) & (b >= grid[0]) & (b <= grid[-1])]
    acct = result.account
    kit.set_trace(fig, 3, x=b, y=np.asarray(acct.maintenance_requirement(b)) if b.size else [],
                  text=[f"{x:,.0f}" for x in b])
    lx, ly = vline(s.price, span)
    kit.set_trace(fig, 4, x=lx, y=ly)
    kit.set_trace(fig, 5, x=[s.price], y=[result.summary.equity])
    kit.set_trace(fig, 6, x=grid, y=result.lp_value)
    kit.set_trace(fig, 7, x=grid, y=result.collateral_value)
    kit.set_trace(fig, 8, x=[s.price], y=[float(result.lp.value(s.price))])
    kit.set_trace(fig, 9, x=grid, y=100.0 * result.il)
    il_now = float(result.lp.impermanent_loss(s.price, s.entry_price))
    kit.set_trace(fig, 10, x=[s.price], y=[100.0 * il_now])
    comp = _composition(result.base_now, result.quote_now, s.price, symbols)
    coll = float(acct.collateral_value(s.price))
    kit.set_trace(fig, 11, x=[*comp["x"], "counted as collateral"], y=[*comp["y"], coll],
                  text=[*comp["text"], f"{coll:,.2f} {symbols[1]}"])
    kit.set_trace(fig, 12, x=grid, y=health_curve(result.equity, result.maintenance))
    kit.set_trace(fig, 13, x=[s.price], y=health_curve(np.array([result.summary.equity]),
                                                        np.array([result.summary.maintenance])))
    kit.set_trace(fig, 14, x=[grid[0], grid[-1]], y=[1.0, 1.0])
    kit.fit_ranges(fig, skip=("yaxis", "yaxis3"), keep_fill=0.6)  # margin: above; health: fixed


def health_curve(equity: np.ndarray, maintenance: np.ndarray) -> np.ndarray:
    """``equity / maintenance`` clipped into :data:`HEALTH_AXIS` for a log axis (no perp: top).

    >>> health_curve(np.array([2.0, -1.0, 5.0]), np.array([1.0, 1.0, 0.0])).tolist()
    [2.0, 0.1, 100.0]
    """
    lo, hi = HEALTH_AXIS
    e, m = np.asarray(equity, dtype=float), np.asarray(maintenance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(m > 0, e / np.where(m > 0, m, 1.0), hi)
    return np.clip(h, lo, hi)


#: Trace order of :func:`wallet_figure`.
WALLET_TRACES = (
    "isolated: ETH account",
    "isolated: BTC account",
    "isolated: liquidation zone",
    "isolated: boundary",
    "isolated: current price",
    "cross: one account",
    "cross: liquidation zone",
    "cross: boundary",
    "cross: current price",
    "at risk",
)


def wallet_figure(result: Any, *, widget: bool = True) -> go.Figure:
    """Isolated vs cross side by side: margin buffer (equity - maintenance) against the ETH price,
    liquidation zones and boundaries, and what each mode can lose.

    ``result`` is a :class:`~lpperp.viz.scenarios.WalletResult`; traces as in
    :data:`WALLET_TRACES`.

    >>> from lpperp.viz.scenarios import WalletScenario, compute_wallet
    >>> r = compute_wallet(WalletScenario(price=3000.0, btc_price=60_000.0))
    >>> [t.name for t in wallet_figure(r, widget=False).data] == list(WALLET_TRACES)
    True
    """
    fig = kit.make_figure(
        False, rows=2, cols=2, row_heights=[0.68, 0.32], shared_yaxes=True,
        specs=[[{}, {}], [{"colspan": 2}, None]], horizontal_spacing=0.04, vertical_spacing=0.14,
        subplot_titles=("isolated: each perp on its own LP", "cross: one account for everything",
                        "what a liquidation can take (equity at risk, USDC)"),
    )
    add = fig.add_trace
    add(go.Scatter(name="isolated: ETH account", line={"color": COLORS["equity"], "width": 2.5}),
        1, 1)
    add(go.Scatter(name="isolated: BTC account", line={"color": COLORS["base"], "dash": "dash"}),
        1, 1)
    for col, prefix in ((1, "isolated"), (2, "cross")):
        if col == 2:
            add(go.Scatter(name="cross: one account",
                           line={"color": COLORS["quote"], "width": 2.5}), 1, 2)
        add(go.Scatter(name=f"{prefix}: liquidation zone", fill="toself", mode="lines",
                       fillcolor=COLORS["zone"], line={"width": 0}, hoverinfo="skip",
                       showlegend=col == 1, legendgroup="zone"), 1, col)
        add(go.Scatter(name=f"{prefix}: boundary", mode="markers+text", textposition="top center",
                       marker={"color": COLORS["boundary"], "size": 11, "symbol": "x"},
                       textfont={"color": COLORS["boundary"]}, showlegend=False), 1, col)
        add(go.Scatter(name=f"{prefix}: current price", mode="lines", showlegend=False,
                       hoverinfo="skip", line={"color": COLORS["now"], "dash": "dot", "width": 1}),
            1, col)
    add(go.Bar(name="at risk", showlegend=False, textposition="auto",
               marker={"color": [COLORS["equity"], COLORS["base"], COLORS["quote"]]}), 2, 1)
    fig.update_yaxes(title_text="equity − maintenance (USDC)", row=1, col=1)
    fig.update_xaxes(title_text="ETH price (USDC), BTC held fixed", row=1, col=1)
    fig.update_xaxes(title_text="ETH price (USDC), BTC held fixed", row=1, col=2)
    return finish_figure(fig, lambda f: update_wallet_figure(f, result), widget=widget,
                         height=680, top=80, bottom=40)


def update_wallet_figure(fig: go.Figure, result: Any) -> None:
    """Rewrite :func:`wallet_figure`'s traces from a new ``WalletResult`` (inside ``batch_update``)."""
    s = result.scenario
    grid = result.grid
    bufs = (result.buffer_iso_eth, result.buffer_iso_btc, result.buffer_cross)
    hi = max(max(float(np.max(b)) for b in bufs), 1.0)
    lo = min(max(min(float(np.min(b)) for b in bufs), -0.4 * hi), 0.0)
    pad = 0.04 * (hi - lo)
    span = kit.sticky_range(fig, "yaxis", lo - pad, hi + pad)
    kit.set_range(fig, "yaxis2", span)  # shared with the cross panel
    kit.set_trace(fig, 0, x=grid, y=result.buffer_iso_eth)
    kit.set_trace(fig, 1, x=grid, y=result.buffer_iso_btc)
    for i0, zones, bnd in ((2, result.zones_iso_eth, result.boundaries_iso_eth),
                           (6, result.zones_cross, result.boundaries_cross)):
        zx, zy = bands(zones, span)
        kit.set_trace(fig, i0, x=zx, y=zy)
        b = bnd[np.isfinite(bnd) & (bnd >= grid[0]) & (bnd <= grid[-1])]
        kit.set_trace(fig, i0 + 1, x=b, y=np.zeros_like(b), text=[f"{x:,.0f}" for x in b])
        lx, ly = vline(s.price, span)
        kit.set_trace(fig, i0 + 2, x=lx, y=ly)
    kit.set_trace(fig, 5, x=grid, y=result.buffer_cross)
    r = result.at_risk
    kit.set_trace(fig, 9,
                  x=["isolated: ETH account", "isolated: BTC account", "cross: whole wallet"],
                  y=[r["iso_eth"], r["iso_btc"], r["cross"]],
                  text=[f"{r['iso_eth']:,.0f}", f"{r['iso_btc']:,.0f}", f"{r['cross']:,.0f}"])
    kit.fit_ranges(fig, skip=("yaxis", "yaxis2"), keep_fill=0.6)


#: Trace order of :func:`map_figure`.
MAP_TRACES = ("health", "boundary", "selected width", "selected boundary", "entry price")

_HEALTH_SCALE = [
    [0.0, "#b2182b"], [0.3333, "#f4a582"], [0.3334, "#f7f7f7"], [0.6, "#92c5de"],
    [1.0, "#2166ac"],
]


def _log_health(health: np.ndarray) -> np.ndarray:
    """``log10(health)`` clipped to ``[-1, 2]`` (liquidation at 0; negative equity at -1)."""
    h = np.where(np.isnan(health), np.nan, np.clip(health, 0.1, 100.0))
    return np.log10(h)


def _lines(xs: np.ndarray, ys: np.ndarray) -> tuple[list, list]:
    """Polylines through ``(xs[:, k], ys)`` for every column k, broken at NaN (``None`` gaps)."""
    out_x: list = []
    out_y: list = []
    for k in range(xs.shape[1]):
        for x, y in zip(xs[:, k], ys, strict=True):
            if np.isfinite(x):
                out_x.append(float(x))
                out_y.append(float(y))
            elif out_x and out_x[-1] is not None:
                out_x.append(None)
                out_y.append(None)
        if out_x and out_x[-1] is not None:
            out_x.append(None)
            out_y.append(None)
    return out_x, out_y


def map_figure(result: Any, *, widget: bool = True) -> go.Figure:
    """Heatmap of health over price (x) and range width (y), exact liquidation boundary lines.

    ``result`` is a :class:`~lpperp.viz.scenarios.MapResult`; traces as in :data:`MAP_TRACES`.

    >>> from lpperp.viz.scenarios import HealthScenario, MapScenario, compute_map
    >>> r = compute_map(MapScenario(HealthScenario(price=3000.0, leverage=4.0)))
    >>> [t.name for t in map_figure(r, widget=False).data] == list(MAP_TRACES)
    True
    """
    fig = kit.make_figure(False)
    fig.add_trace(go.Heatmap(
        name="health", colorscale=_HEALTH_SCALE, zmin=-1.0, zmax=2.0,
        colorbar={"title": {"text": "health"}, "tickvals": [-1, 0, 1, 2],
                  "ticktext": ["≤ 0.1", "1 (liquidation)", "10", "≥ 100"]},
        hovertemplate="price %{x:,.0f}<br>width ±%{y:.1f} %<br>log10 health %{z:.2f}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(name="boundary", mode="lines",
                             line={"color": "#111111", "width": 2}))
    fig.add_trace(go.Scatter(name="selected width", mode="lines", showlegend=False,
                             line={"color": "#111111", "dash": "dot", "width": 1}))
    fig.add_trace(go.Scatter(name="selected boundary", mode="markers+text",
                             textposition="top center", showlegend=False,
                             marker={"color": COLORS["boundary"], "size": 11, "symbol": "x"},
                             textfont={"color": "#111111"}))
    fig.add_trace(go.Scatter(name="entry price", mode="lines", showlegend=False,
                             line={"color": "#555555", "dash": "dash", "width": 1}))
    return finish_figure(fig, lambda f: update_map_figure(f, result), widget=widget,
                         height=520, top=40,
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0.0},
                         xaxis={"title": {"text": "price (USDC per ETH)"}},
                         yaxis={"title": {"text": "range width ± %"}})


def update_map_figure(fig: go.Figure, result: Any) -> None:
    """Rewrite :func:`map_figure`'s traces from a new ``MapResult`` (inside ``batch_update``).

    Only what changed is resent (:func:`kit.set_trace`): a leverage step keeps the price and
    width axes of the heatmap, the entry line and the selected-width line; the map's ``z``
    leaves the kernel as one binary float64 array per row (:class:`kit.FigureWidget`)."""
    w, p = result.widths_pct, result.prices
    kit.set_trace(fig, 0, x=p, y=w, z=_log_health(result.health))
    bx, by = _lines(result.boundaries, w)
    kit.set_trace(fig, 1, x=bx, y=by)
    sel = result.scenario.base
    kit.set_trace(fig, 2, x=[p[0], p[-1]], y=[sel.width_pct, sel.width_pct])
    b = result.selected.boundaries
    b = b[np.isfinite(b) & (b >= p[0]) & (b <= p[-1])]
    kit.set_trace(fig, 3, x=b, y=np.full(b.shape, sel.width_pct), text=[f"{x:,.0f}" for x in b])
    kit.set_trace(fig, 4, x=[sel.entry_price, sel.entry_price], y=[w[0], w[-1]])

"""ipywidgets explorers: controls -> frozen scenario -> compute -> result -> figure updated in place.

Each explorer builds its controls and ONE plotly FigureWidget (with subplots) once. Any control change
runs :meth:`Explorer.refresh`:

1. ``scenario()`` reads the controls into a frozen scenario; bad input raises ``ValueError``;
2. ``compute(scenario)`` evaluates the library vectorized over a price grid (no plotly);
3. the figure's traces are rewritten inside ``fig.batch_update()`` (one message to the browser) and
   the widget state is re-synced so a reloaded page shows the current figure;
4. the readout (HTML) shows the numbers at the current price.

On ``ValueError`` the status line shows the message and the figure and readout keep the last good
state. Every explorer has a toolbar: **reset** (back to the values it was built with), **copy as
code** (the Python that rebuilds the scenario, :meth:`Explorer.to_code`) and **pin** (keep the
current numbers and compare them with the live ones, :meth:`Explorer.pin`).

Controls wrap on narrow cells (``kit.control_box``); the plot takes the cell's width and follows
resizes (``kit.apply_layout``); its colours follow JupyterLab's light/dark theme (``kit``).
Explorers expose ``.controls`` (dict name -> widget), ``.figure``, ``.status``, ``.readout``,
``.result`` (last good result) and ``.widget`` (the whole layout), so tests can set
``explorer.controls["price"].value = x`` and read ``explorer.figure.data`` without a browser.

Conventions: prices in quote per base (USDC per ETH); values in quote units; widths in percent.
"""

from __future__ import annotations

import html
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np

from lpperp._validate import renamed
from lpperp.scenario import AccountSpec, PerpSpec
from lpperp.viz import figures, kit
from lpperp.viz.scenarios import (
    COLLATERAL_MODELS,
    SEED,
    VENUE_CHOICES,
    HealthResult,
    HealthScenario,
    LPResult,
    LPScenario,
    MapResult,
    MapScenario,
    WalletResult,
    WalletScenario,
    compute_health,
    compute_lp,
    compute_map,
    compute_wallet,
)

__all__ = [
    "CrossIsolatedExplorer",
    "Explorer",
    "HealthExplorer",
    "LPExplorer",
    "LiquidationMapExplorer",
]


def _set_slider_bounds(slider: widgets.FloatSlider, lo: float, hi: float, value: float,
                       step: float) -> None:
    """Move a slider's bounds without tripping ipywidgets' ``min <= max`` check mid-way."""
    if lo > slider.max:
        slider.max = hi
        slider.min = lo
    else:
        slider.min = lo
        slider.max = hi
    slider.step = step
    slider.value = min(max(value, lo), hi)


def _show(widget: widgets.Widget, visible: bool) -> None:
    """Show or hide a control (hidden rather than greyed out: no dead control on screen)."""
    widget.layout.display = None if visible else "none"


def _button(description: str, css: str, tooltip: str) -> widgets.Button:
    b = widgets.Button(description=description, tooltip=tooltip,
                       layout=widgets.Layout(width="auto"))
    b.add_class(css)
    return b


class Explorer:
    """Base class: subclasses define controls, ``scenario``, ``compute``, figure and readout.

    Subclass hooks: ``_build_controls(**initial) -> dict``, ``scenario() -> frozen scenario``,
    ``compute_function``, ``figure_function`` and ``update_function`` (or ``compute``,
    ``_make_figure``, ``_update_figure`` overridden),
    ``_readout_items(result) -> list[(key, label, text)]`` and optionally ``_control_rows()``
    (columns of control names) and ``_more_rows()`` (columns behind the "more" section).
    """

    title = "explorer"
    #: update the browser's plot with :meth:`kit.FigureWidget.batch_redraw` (only the changed
    #: traces redrawn; needs explicit axis ranges, see :func:`kit.fit_ranges`) rather than
    #: ``batch_update`` (plotly.js re-plots the whole figure: heatmaps and histograms need it)
    transitions = False

    def __init__(self, **initial: Any) -> None:
        self._suspended = 0
        self.n_updates = 0
        self.last_update_seconds = float("nan")
        self._initial = dict(initial)
        self.controls: dict[str, widgets.Widget] = self._build_controls(**initial)
        self._initial_values = {k: w.value for k, w in self.controls.items()}
        self.status = widgets.HTML(value="")
        self.status.add_class("lpperp-status")
        self.readout = widgets.HTML(value="")
        self.readout.add_class("lpperp-readout")
        self.pinned: dict[str, Any] | None = None
        self.pinned_view = widgets.HTML(value="")
        self.pinned_view.add_class("lpperp-pinned")
        self.code = widgets.HTML(value="")
        self.code.add_class("lpperp-code")
        self.readout_values: dict[str, float] = {}
        # The initial state must be valid: a bad default is a programming error, so let it raise.
        self.result = self.compute(self.scenario())
        self.figure = self._make_figure(self.result)
        figures.resync_view_state(self.figure)
        self._show_readout(self.result)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self._layout()

    # -- hooks ------------------------------------------------------------------------------------
    def _build_controls(self, **initial: Any) -> dict[str, widgets.Widget]:
        raise NotImplementedError

    def scenario(self) -> Any:
        """Read the controls into a frozen scenario (raises ``ValueError`` on bad input)."""
        raise NotImplementedError

    #: ``compute(scenario) -> result``, ``figure(result) -> figure`` and ``update(fig, result)``
    #: of this explorer: each subclass sets them (as ``staticmethod``); :meth:`_figure_options`
    #: adds keyword arguments for the last two (e.g. the token symbols)
    compute_function: Any = None
    figure_function: Any = None
    update_function: Any = None

    def compute(self, scenario: Any) -> Any:
        return self.compute_function(scenario)

    def _figure_options(self) -> dict[str, Any]:
        return {}

    def _make_figure(self, result: Any) -> Any:
        return self.figure_function(result, **self._figure_options())

    def _update_figure(self, fig: Any, result: Any) -> None:
        self.update_function(fig, result, **self._figure_options())

    def _readout_items(self, result: Any) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def _transition(self, result: Any) -> bool:
        """Whether the update from ``self.result`` (the last one drawn) to ``result`` may use
        :meth:`kit.FigureWidget.batch_redraw` (default: :attr:`transitions`); a subclass says no
        when the update changes what a transition does not draw (line widths, colours)."""
        return self.transitions

    def _control_rows(self) -> list[list[str]]:
        """Control names in columns (each inner list is one column)."""
        return [list(self.controls)]

    def _more_rows(self) -> list[list[str]]:
        """Control names shown behind the collapsed "more" section (none by default)."""
        return []

    def _wide_rows(self) -> list[list[str]]:
        """Rows of control names shown first, with long slider tracks (none by default)."""
        return []

    # -- machinery --------------------------------------------------------------------------------
    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then refresh once (``with explorer.hold(): ...``)."""
        self._suspended += 1
        try:
            yield
        finally:
            self._suspended -= 1
        if not self._suspended:
            self.refresh()

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change controls programmatically without refreshing (the caller's change will)."""
        self._suspended += 1
        try:
            yield
        finally:
            self._suspended -= 1

    def _on_change(self, change: dict) -> None:
        if self._suspended:
            return
        old, new = change.get("old"), change.get("new")
        if (isinstance(old, float) and isinstance(new, float) and old != new
                and abs(new - old) <= 1e-12 * max(1.0, abs(old))):
            # a browser slider snapping its value onto its step grid on first render
            # (3000.0 -> 3000.0000000000005): the same scenario, nothing to recompute or redraw
            return
        self.refresh()

    def refresh(self) -> bool:
        """Recompute from the controls and update the figure; False (and a message) on bad input."""
        t0 = time.perf_counter()
        try:
            result = self.compute(self.scenario())
        except ValueError as exc:
            self._show_error(exc)
            return False
        except (ArithmeticError, TypeError, IndexError, KeyError, AttributeError) as exc:
            # a library bug must not kill the widget: say so, keep the last good plot
            self._show_error(RuntimeError(f"unexpected error (a bug; please report it): "
                                          f"{type(exc).__name__}: {exc}"))
            return False
        self._draw(result)
        if self.status.value:
            self.status.value = ""
        self.n_updates += 1
        self.last_update_seconds = time.perf_counter() - t0
        return True

    def _draw(self, result: Any) -> None:
        """Show ``result``: the figure (one message), the synced widget state and the readout."""
        fig = self.figure
        batch = fig.batch_redraw if self._transition(result) else fig.batch_update
        with batch():
            self._update_figure(fig, result)
        figures.resync_view_state(fig)
        self.result = result
        self._show_readout(result)
        if self.pinned is not None:
            self._show_pinned()

    def _show_error(self, exc: Exception) -> None:
        self.status.value = kit.error_html(exc)

    def _show_readout(self, result: Any) -> None:
        items = self._readout_items(result)
        cells = "".join(
            f"<div class='lpperp-readout-item' data-key='{html.escape(key)}' "
            "style='display:inline-block;margin:0 1.4em 0.3em 0;vertical-align:top'>"
            f"<div class='lpperp-muted' style='font-size:11px'>{html.escape(label)}</div>"
            f"<div style='font-size:16px;font-weight:600'>{html.escape(text)}</div></div>"
            for key, label, text in items
        )
        self.readout.value = f"<div class='lpperp-readout-row'>{cells}</div>"

    # -- toolbar: reset, copy as code, pin ----------------------------------------------------------
    def reset(self) -> None:
        """Every control back to the value the explorer was built with (one redraw)."""
        with self.hold():
            for name, value in self._initial_values.items():
                self.controls[name].value = value

    def to_code(self) -> str:
        """Python that rebuilds the current scenario (and this explorer on it).

        >>> print(LPExplorer(width_pct=10).to_code())
        from lpperp.viz import LPExplorer
        <BLANKLINE>
        explorer = LPExplorer(price=3000.0, width_pct=10.0, entry_price=3000.0, deposit=10000.0)
        """
        params = inspect.signature(type(self).__init__).parameters
        args = []
        for name, w in self.controls.items():
            if name in params and not isinstance(w.value, bool | type(None)):
                v = w.value
                args.append(f"{name}={round(v, 6) if isinstance(v, float) else v!r}")
        name = type(self).__name__
        return f"from lpperp.viz import {name}\n\nexplorer = {name}({', '.join(args)})"

    def _show_code(self, _button: Any = None) -> None:
        code = self.to_code()
        self.code.value = (
            "<div class='lpperp-muted' style='font-size:11px'>Python that rebuilds this "
            "scenario (select and copy):</div>"
            f"<pre style='user-select:all;margin:0.2em 0'>{html.escape(code)}</pre>"
        )

    def pin(self) -> None:
        """Keep the current numbers; the readout then compares them with the live ones."""
        self.pinned = {"values": dict(self.readout_values), "code": self.to_code()}
        self._show_pinned()

    def unpin(self) -> None:
        self.pinned = None
        self.pinned_view.value = ""

    def _show_pinned(self) -> None:
        if self.pinned is None:
            return
        then, now = self.pinned["values"], self.readout_values
        rows = []
        for key, v0 in then.items():
            if key not in now or not isinstance(v0, int | float):
                continue
            v1 = now[key]
            diff = v1 - v0 if np.isfinite(v0) and np.isfinite(v1) else float("nan")
            rows.append((key.replace("_", " "),
                         (kit.fmt_num(v0), kit.fmt_num(v1), kit.fmt_num(diff))))
        self.pinned_view.value = kit.html_table(rows, "pinned vs now",
                                                 header=("pinned", "now", "change"))

    def _toggle_pin(self, _button: Any = None) -> None:
        if self.pinned is None:
            self.pin()
            self._pin_button.description = "unpin"
        else:
            self.unpin()
            self._pin_button.description = "pin"

    def _toolbar(self) -> widgets.Box:
        reset = _button("reset", "lpperp-reset", "back to the values this explorer started with")
        reset.on_click(lambda _b: self.reset())
        code = _button("copy as code", "lpperp-copy-code",
                       "show the Python that rebuilds this scenario")
        code.on_click(self._show_code)
        self._pin_button = _button("pin", "lpperp-pin",
                                   "keep these numbers and compare them with the live ones")
        self._pin_button.on_click(self._toggle_pin)
        bar = widgets.HBox([reset, code, self._pin_button],
                           layout=widgets.Layout(flex_flow="row wrap", grid_gap="6px"))
        bar.add_class("lpperp-toolbar")
        return bar

    def _layout(self) -> widgets.Widget:
        parts: list[widgets.Widget] = [kit.theme_style()]
        parts += [kit.control_row([self.controls[n] for n in row]) for row in self._wide_rows()]
        cols = [[self.controls[n] for n in col] for col in self._control_rows()]
        if any(cols):
            parts.append(kit.control_box(cols))
        more = self._more_rows()
        if more:
            inner = kit.control_box([[self.controls[n] for n in col] for col in more])
            acc = widgets.Accordion(children=[inner], titles=("more settings",),
                                    selected_index=None, layout=widgets.Layout(width="100%"))
            acc.add_class("lpperp-more")
            parts.append(acc)
        parts += [self._toolbar(), self.status, self.readout, self.pinned_view, self.code,
                  self.figure]
        box = widgets.VBox(parts, layout=widgets.Layout(width="100%"))
        box.add_class("lpperp-explorer")
        return box

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class _RangeControls:
    """Mixin: entry price, deposit, and a range given as +/- width % or as explicit bounds."""

    controls: dict[str, widgets.Widget]
    _quiet: Callable[[], Any]

    def _range_controls(self, entry_price: float, deposit: float, width_pct: float,
                        price: float | None) -> dict[str, widgets.Widget]:
        e = float(entry_price)
        c: dict[str, widgets.Widget] = {}
        c["price"] = kit.slider("price", e if price is None else price, 0.3 * e, 2.0 * e,
                                 _nice_step(e), ",.2f", "lpperp-price")
        c["width_pct"] = kit.slider("range ± %", width_pct, 0.5, 95.0, 0.5, ".1f",
                                     "lpperp-width")
        c["range_mode"] = kit.choice("range given by", [("± width %", "width"),
                                                         ("lower/upper bounds", "bounds")],
                                      "width", "lpperp-range-mode")
        c["price_lower"] = kit.number("lower bound", e * (1 - width_pct / 100), "lpperp-lower")
        c["price_upper"] = kit.number("upper bound", e * (1 + width_pct / 100), "lpperp-upper")
        c["entry_price"] = kit.number("entry price", e, "lpperp-entry")
        c["deposit"] = kit.number("LP deposit", deposit, "lpperp-deposit")
        _show(c["price_lower"], False)
        _show(c["price_upper"], False)
        c["width_pct"].observe(self._sync_bounds, names="value")
        c["entry_price"].observe(self._on_entry, names="value")
        c["range_mode"].observe(self._on_range_mode, names="value")
        return c

    def _range_kwargs(self) -> dict[str, Any]:
        c = self.controls
        if c["range_mode"].value == "width":
            return {"width_pct": c["width_pct"].value}
        return {"width_pct": None, "price_lower": c["price_lower"].value,
                "price_upper": c["price_upper"].value}

    def _sync_bounds(self, change: dict | None = None) -> None:
        """In width mode the (hidden) bound boxes hold the implied bounds."""
        c = self.controls
        if c["range_mode"].value != "width":
            return
        e, w = c["entry_price"].value, c["width_pct"].value
        if e > 0:
            with self._quiet():
                c["price_lower"].value = round(e * (1 - w / 100), 6)
                c["price_upper"].value = round(e * (1 + w / 100), 6)

    def _on_range_mode(self, change: dict) -> None:
        c = self.controls
        by_width = change["new"] == "width"
        _show(c["width_pct"], by_width)
        _show(c["price_lower"], not by_width)
        _show(c["price_upper"], not by_width)
        self._sync_bounds()

    def _on_entry(self, change: dict) -> None:
        """A new valid entry price recentres the price slider on it."""
        e = change["new"]
        if not (isinstance(e, (int, float)) and e > 0 and np.isfinite(e)):
            return  # refresh() reports the error
        try:
            step = _nice_step(e)
        except (ValueError, OverflowError):
            return  # too small or too large to slide over: refresh() reports what is wrong
        with self._quiet():
            _set_slider_bounds(self.controls["price"], 0.3 * e, 2.0 * e, e, step)
            self._sync_bounds()


def _nice_step(entry_price: float) -> float:
    """About 1/2000 of the entry price, rounded up to 1, 2 or 5 times a power of ten (3000 -> 2).

    >>> _nice_step(3000.0), _nice_step(60_000.0), _nice_step(1.0)
    (2.0, 50.0, 0.0005)
    """
    import math

    raw = entry_price / 2000.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag * (1 + 1e-9):
            return float(f"{m * mag:.12g}")
    return float(f"{10 * mag:.12g}")


class LPExplorer(_RangeControls, Explorer):
    """Explore one LP deposit: value and hold value vs price, impermanent loss, composition.

    >>> ex = LPExplorer(width_pct=10)
    >>> ex.controls["price"].value = 3300.0
    >>> round(ex.result.value_now, 2) == round(float(ex.result.position.value(3300.0)), 2)
    True
    """

    title = "LP explorer"
    transitions = True
    compute_function = staticmethod(compute_lp)
    figure_function = staticmethod(figures.lp_figure)
    update_function = staticmethod(figures.update_lp_figure)

    def __init__(self, *, entry_price: float = SEED.lp_spec.entry_price,
                 deposit: float = SEED.lp_spec.deposit,
                 width_pct: float = SEED.lp_spec.width_pct,  # type: ignore[assignment]
                 price: float | None = None,
                 symbols: tuple[str, str] = ("ETH", "USDC")) -> None:
        self.symbols = symbols
        super().__init__(entry_price=entry_price, deposit=deposit, width_pct=width_pct,
                         price=price)

    def _build_controls(self, **initial: Any) -> dict[str, widgets.Widget]:
        return self._range_controls(**initial)

    def _wide_rows(self) -> list[list[str]]:
        return [["price"], ["width_pct"]]

    def _control_rows(self) -> list[list[str]]:
        return [["range_mode", "price_lower", "price_upper"], ["entry_price", "deposit"]]

    def scenario(self) -> LPScenario:
        c = self.controls
        return LPScenario(price=c["price"].value, entry_price=c["entry_price"].value,
                          deposit=c["deposit"].value, **self._range_kwargs())

    def _figure_options(self) -> dict[str, Any]:
        return {"symbols": self.symbols}

    def _readout_items(self, result: LPResult) -> list[tuple[str, str, str]]:
        b, q = self.symbols
        r = result.readout
        self.readout_values = dict(r)
        return [
            ("price", "price", f"{r['price']:,.2f}"),
            ("value", f"LP value ({q})", f"{r['value']:,.2f}"),
            ("hold_value", f"hold value ({q})", f"{r['hold_value']:,.2f}"),
            ("il_pct", "impermanent loss", f"{r['il_pct']:.3f} %"),
            ("base", f"{b} held", f"{r['base']:,.4f}"),
            ("quote", f"{q} held", f"{r['quote']:,.2f}"),
            ("in_range", "in range", "yes" if result.in_range_now else "no (earns no fees)"),
        ]




def crossed_boundary(boundaries: np.ndarray, price: float) -> float:
    """The liquidation boundary nearest to ``price`` (the one a liquidatable account crossed);
    NaN if there is none.

    >>> crossed_boundary(np.array([2500.0, 3944.0]), 4100.0)
    3944.0
    """
    b = np.asarray(boundaries, dtype=float).reshape(-1)
    b = b[np.isfinite(b)]
    if not b.size:
        return float("nan")
    return float(b[np.argmin(np.abs(b - price))])


def boundary_items(summary: Any, boundaries: np.ndarray, price: float
                   ) -> list[tuple[str, str, str]]:
    """Readout items for the liquidation side(s): the boundary prices, or - when the account is
    liquidatable now - which boundary was crossed (never "none" for a liquidatable account)."""
    if summary.liquidatable:
        b = crossed_boundary(boundaries, price)
        where = (f"boundary {b:,.0f} crossed" if np.isfinite(b)
                 else "below maintenance at every price")
        return [("liquidation", "liquidation", f"liquidatable now; {where}"),
                ("distance_pct", "distance to liquidation", "0 % (crossed)")]
    return [
        ("liquidation_below", "liquidation below", kit.fmt_price(summary.liquidation_below)),
        ("liquidation_above", "liquidation above", kit.fmt_price(summary.liquidation_above)),
        ("distance_pct", "distance to liquidation", kit.fmt_num(summary.distance_pct, " %")),
    ]


class HealthExplorer(_RangeControls, Explorer):
    """LP as perp collateral: health, liquidation boundaries and zone, LP value, IL, holdings.

    Controls: ``price`` (oracle/mark), ``leverage`` (perp notional at entry / LP deposit value at
    entry, as in :mod:`lpperp.simulate`), ``width_pct`` (or explicit bounds), ``side``, ``mode``
    (isolated / cross with ``wallet_cash``), ``collateral`` model and its parameters (``cf``,
    ``shock_pct``, ``sigma_per_year``), ``venue`` preset, ``entry_price`` and ``deposit``. Defaults:
    :data:`lpperp.scenario.SEED`. ``compact=True`` shows price and leverage and puts the rest behind
    a "more settings" section (the start page).

    >>> ex = HealthExplorer(leverage=3.0, side="short")
    >>> ex.controls["leverage"].value = 5.0
    >>> b = ex.result.summary.liquidation_above
    >>> bool(abs(ex.result.account.equity(b) - ex.result.account.maintenance_requirement(b)) < 1e-6)
    True
    """

    title = "LP collateral health explorer"
    transitions = True
    compute_function = staticmethod(compute_health)
    figure_function = staticmethod(figures.health_figure)
    update_function = staticmethod(figures.update_health_figure)

    def __init__(self, *, entry_price: float = SEED.lp_spec.entry_price,
                 deposit: float = SEED.lp_spec.deposit,
                 width_pct: float = SEED.lp_spec.width_pct,  # type: ignore[assignment]
                 price: float | None = None, leverage: float = SEED.perp_spec.leverage,
                 side: str = SEED.perp_spec.side, mode: str = SEED.account_spec.mode,
                 wallet_cash: float = SEED.account_spec.wallet_cash,
                 collateral: str = SEED.account_spec.collateral,
                 cf: float = SEED.account_spec.cf,
                 shock_pct: float = SEED.account_spec.shock_pct,
                 sigma_per_year: float = SEED.account_spec.sigma_per_year,
                 venue: str = SEED.account_spec.venue,
                 symbols: tuple[str, str] = ("ETH", "USDC"), compact: bool = False) -> None:
        self.symbols = symbols
        self.compact = compact
        super().__init__(entry_price=entry_price, deposit=deposit, width_pct=width_pct,
                         price=price, leverage=leverage, side=side, mode=mode,
                         wallet_cash=wallet_cash, collateral=collateral, cf=cf,
                         shock_pct=shock_pct, sigma_per_year=sigma_per_year, venue=venue)

    @classmethod
    def from_spec(cls, spec: Any, **kwargs: Any) -> HealthExplorer:
        """An explorer on a :class:`lpperp.scenario.ScenarioSpec` (e.g. ``SEED.replace(...)``)."""
        h = HealthScenario.from_spec(spec)
        ex = cls(entry_price=h.entry_price, deposit=h.deposit,
                 width_pct=h.width_pct if h.width_pct is not None else 20.0, price=h.price,
                 leverage=h.leverage, side=h.side, mode=h.mode, wallet_cash=h.wallet_cash,
                 collateral=h.collateral, cf=h.cf, shock_pct=h.shock_pct,
                 sigma_per_year=h.sigma_per_year, venue=h.venue, **kwargs)
        if h.width_pct is None:
            with ex.hold():
                ex.controls["range_mode"].value = "bounds"
                ex.controls["price_lower"].value = h.price_lower
                ex.controls["price_upper"].value = h.price_upper
        return ex

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        c = self._range_controls(k["entry_price"], k["deposit"], k["width_pct"], k["price"])
        c["leverage"] = kit.control_for(PerpSpec, "leverage", k["leverage"], "lpperp-leverage")
        c["side"] = kit.control_for(PerpSpec, "side", k["side"], "lpperp-side")
        c["mode"] = kit.control_for(AccountSpec, "mode", k["mode"], "lpperp-mode")
        c["wallet_cash"] = kit.number("wallet cash", k["wallet_cash"], "lpperp-wallet-cash")
        c["collateral"] = kit.choice("collateral model", list(COLLATERAL_MODELS),
                                      k["collateral"], "lpperp-collateral")
        c["cf"] = kit.control_for(AccountSpec, "cf", k["cf"], "lpperp-cf")
        c["shock_pct"] = kit.control_for(AccountSpec, "shock_pct", k["shock_pct"],
                                          "lpperp-shock")
        c["sigma_per_year"] = kit.control_for(AccountSpec, "sigma_per_year",
                                               k["sigma_per_year"], "lpperp-sigma")
        c["venue"] = kit.choice("venue rules", list(VENUE_CHOICES), k["venue"], "lpperp-venue")
        c["collateral"].observe(self._show_params, names="value")
        c["mode"].observe(self._show_params, names="value")
        self._show_params(controls=c)
        return c

    def _show_params(self, change: dict | None = None,
                     controls: dict[str, widgets.Widget] | None = None) -> None:
        """Only the parameters of the chosen model and mode are on screen (none greyed out)."""
        c = controls if controls is not None else self.controls
        model = c["collateral"].value
        _show(c["cf"], model == "static")
        _show(c["shock_pct"], model == "range-aware")
        _show(c["sigma_per_year"], model == "volatility")
        _show(c["wallet_cash"], c["mode"].value == "cross")

    def _wide_rows(self) -> list[list[str]]:
        if self.compact:
            return [["price"], ["leverage"]]
        return [["price"], ["leverage", "width_pct"]]

    def _control_rows(self) -> list[list[str]]:
        if self.compact:
            return []
        return [
            ["side", "mode", "wallet_cash", "price_lower", "price_upper"],
            ["collateral", "cf", "shock_pct", "sigma_per_year", "venue"],
            ["range_mode", "entry_price", "deposit"],
        ]

    def _more_rows(self) -> list[list[str]]:
        if not self.compact:
            return []
        return [
            ["width_pct", "price_lower", "price_upper", "side", "mode", "wallet_cash"],
            ["collateral", "cf", "shock_pct", "sigma_per_year", "venue"],
            ["range_mode", "entry_price", "deposit"],
        ]

    def scenario(self) -> HealthScenario:
        c = self.controls
        return HealthScenario(
            price=c["price"].value, entry_price=c["entry_price"].value,
            deposit=c["deposit"].value, leverage=c["leverage"].value, side=c["side"].value,
            mode=c["mode"].value, wallet_cash=c["wallet_cash"].value,
            collateral=c["collateral"].value, cf=c["cf"].value, shock_pct=c["shock_pct"].value,
            sigma_per_year=c["sigma_per_year"].value, venue=c["venue"].value,
            **self._range_kwargs(),
        )

    def to_code(self) -> str:
        """Python that rebuilds the scenario (a :class:`~lpperp.scenario.ScenarioSpec`), the
        library account and this explorer.

        >>> print(HealthExplorer(leverage=3.0).to_code())
        from lpperp.scenario import SEED
        <BLANKLINE>
        scenario = SEED.replace(leverage=3.0)
        account = scenario.account()            # lpperp.margin account
        # simulate.simulate(scenario.to_simulation(), ...) runs it over time
        # HealthExplorer.from_spec(scenario) opens it in this explorer
        """
        code = self.result.scenario.to_spec().to_code()
        return (code + "\naccount = scenario.account()            # lpperp.margin account\n"
                "# simulate.simulate(scenario.to_simulation(), ...) runs it over time\n"
                "# HealthExplorer.from_spec(scenario) opens it in this explorer")

    def _figure_options(self) -> dict[str, Any]:
        return {"symbols": self.symbols}

    def _readout_items(self, result: HealthResult) -> list[tuple[str, str, str]]:
        r = result.readout
        q = self.symbols[1]
        s = result.summary
        self.readout_values = {k: float(v) for k, v in r.items()}
        self.readout_values["perp_size"] = float(result.scenario.perp().size)
        health = kit.fmt_num(r["health"]) + ("  LIQUIDATABLE" if s.liquidatable else "")
        return [
            ("health", "health (equity / maintenance)", health),
            *boundary_items(s, result.boundaries, result.scenario.price),
            ("perp_size", f"perp ({self.symbols[0]})", f"{result.scenario.perp().size:+,.4f}"),
            ("account_leverage", "account leverage (notional / equity)",
             kit.fmt_num(r["account_leverage"], "x")),
            ("free_collateral", f"free collateral ({q})", kit.fmt_num(r["free_collateral"])),
            ("equity", f"equity ({q})", kit.fmt_num(r["equity"])),
            ("maintenance", f"maintenance ({q})", kit.fmt_num(r["maintenance"])),
        ]


class CrossIsolatedExplorer(Explorer):
    """The same wallet under isolated and cross margin, side by side.

    Wallet: an ETH/USDC LP backing an ETH short, a WBTC/USDC LP backing a BTC long, spare cash.
    Isolated: two accounts; the spare cash is out of reach. Cross: one account with everything.
    Leverage per perp = its notional at entry / its LP's deposit at entry. Controls:
    ``price`` (ETH's), ``btc_price``, ``eth_leverage``, ``btc_leverage``, ``eth_width_pct``,
    ``btc_width_pct``, ``wallet_cash``, ``cf``, ``venue`` (``eth_price=`` and ``spare_cash=`` work
    one more release, with a ``DeprecationWarning``).

    >>> ex = CrossIsolatedExplorer()
    >>> ex.controls["btc_price"].value = 40_000.0
    >>> bool(ex.result.iso_btc.liquidatable), bool(ex.result.cross_eth.liquidatable)
    (True, False)
    """

    title = "cross vs isolated"
    transitions = True
    compute_function = staticmethod(compute_wallet)
    figure_function = staticmethod(figures.wallet_figure)
    update_function = staticmethod(figures.update_wallet_figure)

    @renamed(eth_price="price", spare_cash="wallet_cash")
    def __init__(self, *, price: float = 3000.0, btc_price: float = 60_000.0,
                 eth_leverage: float = SEED.perp_spec.leverage,
                 btc_leverage: float = SEED.perp_spec.leverage,
                 eth_width_pct: float = SEED.lp_spec.width_pct,  # type: ignore[assignment]
                 btc_width_pct: float = 20.0,
                 wallet_cash: float = SEED.account_spec.wallet_cash,
                 cf: float = SEED.account_spec.cf, venue: str = SEED.account_spec.venue) -> None:
        super().__init__(price=price, btc_price=btc_price, eth_leverage=eth_leverage,
                         btc_leverage=btc_leverage, eth_width_pct=eth_width_pct,
                         btc_width_pct=btc_width_pct, wallet_cash=wallet_cash, cf=cf, venue=venue)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        return {
            "price": kit.slider("ETH price", k["price"], 900.0, 6000.0, 1.0, ",.2f",
                                     "lpperp-price"),
            "btc_price": kit.slider("BTC price", k["btc_price"], 20_000.0, 120_000.0, 50.0,
                                     ",.0f", "lpperp-btc-price"),
            "eth_leverage": kit.slider("ETH short lev.", k["eth_leverage"], 0.1, 20.0, 0.1,
                                        ".1f", "lpperp-leverage"),
            "btc_leverage": kit.slider("BTC long lev.", k["btc_leverage"], 0.1, 20.0, 0.1, ".1f",
                                        "lpperp-btc-leverage"),
            "eth_width_pct": kit.slider("ETH LP ± %", k["eth_width_pct"], 0.5, 95.0, 0.5, ".1f",
                                         "lpperp-width"),
            "btc_width_pct": kit.slider("BTC LP ± %", k["btc_width_pct"], 0.5, 95.0, 0.5, ".1f",
                                         "lpperp-btc-width"),
            "wallet_cash": kit.number("wallet cash", k["wallet_cash"], "lpperp-wallet-cash"),
            "cf": kit.control_for(AccountSpec, "cf", k["cf"], "lpperp-cf"),
            "venue": kit.choice("venue rules", list(VENUE_CHOICES), k["venue"], "lpperp-venue"),
        }

    def _wide_rows(self) -> list[list[str]]:
        return [["price", "btc_price"]]

    def _control_rows(self) -> list[list[str]]:
        return [["eth_leverage", "eth_width_pct"], ["btc_leverage", "btc_width_pct"],
                ["wallet_cash", "cf", "venue"]]

    def scenario(self) -> WalletScenario:
        c = self.controls
        return WalletScenario(**{name: w.value for name, w in c.items()})


    def _readout_items(self, result: WalletResult) -> list[tuple[str, str, str]]:
        # one item per (row, column): key "<row>|<column>"
        self.readout_values = {
            f"{label}|{col}": float(v)
            for label, vals in result.rows()
            for col, v in zip(("iso_eth", "iso_btc", "cross"), vals, strict=True)
        }
        return []

    def _show_readout(self, result: Any) -> None:
        self._readout_items(result)
        summaries = (result.iso_eth, result.iso_btc, result.cross_eth)
        flags = [s.liquidatable for s in summaries]
        head = "".join(
            f"<th style='text-align:right;padding:0 1em'>{h}"
            f"{' <span class=lpperp-error>LIQUIDATABLE</span>' if f else ''}</th>"
            for h, f in zip(("isolated: ETH account", "isolated: BTC account",
                             "cross: one account"), flags, strict=True)
        )
        bnds = (result.boundaries_iso_eth, np.array([]), result.boundaries_cross)
        prices = (result.scenario.price, result.scenario.btc_price, result.scenario.price)

        def cell(label: str, j: int, v: float) -> str:
            if flags[j] and "liquidation" in label and not np.isfinite(v):
                b = crossed_boundary(bnds[j], prices[j])
                market = label.split()[0]
                own = (j == 1) == (market == "BTC") or j == 2
                if own and np.isfinite(b) and market == "ETH":
                    return f"liquidatable now; {b:,.0f} crossed"
                return "liquidatable now" if own else "-"
            if flags[j] and label.startswith("at risk"):
                return f"{v:,.2f} (liquidatable now)"
            return kit.fmt_price(v, none="-" if "liquidation" not in label else "none")

        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            + "".join(f"<td style='text-align:right;padding:0 1em' data-key='{html.escape(label)}'>"
                      f"{html.escape(cell(label, j, v))}</td>" for j, v in enumerate(vals))
            + "</tr>"
            for label, vals in result.rows()
        )
        self.readout.value = (f"<table class='lpperp-readout-table'><thead><tr><th></th>{head}"
                              f"</tr></thead><tbody>{body}</tbody></table>")


class LiquidationMapExplorer(Explorer):
    """Health over price x range width for an isolated LP-backed perp; leverage moves the map.

    The colour is ``equity / maintenance`` (log scale; white = 1 = liquidation); the black lines are
    the exact liquidation boundaries of every width; the dotted row is the selected width, whose
    boundaries and health are in the readout. Defaults: :data:`lpperp.scenario.SEED`.

    >>> ex = LiquidationMapExplorer(leverage=4.0)
    >>> ex.controls["leverage"].value = 6.0
    >>> ex.result.health.shape
    (80, 300)
    """

    title = "liquidation map"
    compute_function = staticmethod(compute_map)
    figure_function = staticmethod(figures.map_figure)
    update_function = staticmethod(figures.update_map_figure)

    def __init__(self, *, leverage: float = SEED.perp_spec.leverage,
                 side: str = SEED.perp_spec.side,
                 width_pct: float = SEED.lp_spec.width_pct,  # type: ignore[assignment]
                 collateral: str = SEED.account_spec.collateral,
                 cf: float = SEED.account_spec.cf,
                 shock_pct: float = SEED.account_spec.shock_pct,
                 venue: str = SEED.account_spec.venue,
                 entry_price: float = SEED.lp_spec.entry_price,
                 deposit: float = SEED.lp_spec.deposit) -> None:
        super().__init__(leverage=leverage, side=side, width_pct=width_pct,
                         collateral=collateral, cf=cf, shock_pct=shock_pct, venue=venue,
                         entry_price=entry_price, deposit=deposit)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        c = {
            "leverage": kit.control_for(PerpSpec, "leverage", k["leverage"], "lpperp-leverage"),
            "width_pct": kit.slider("selected ± %", k["width_pct"], 1.0, 60.0, 0.5, ".1f",
                                     "lpperp-width"),
            "side": kit.control_for(PerpSpec, "side", k["side"], "lpperp-side"),
            "collateral": kit.choice("collateral model", ["static", "token-min", "range-aware"],
                                      k["collateral"], "lpperp-collateral"),
            "cf": kit.control_for(AccountSpec, "cf", k["cf"], "lpperp-cf"),
            "shock_pct": kit.control_for(AccountSpec, "shock_pct", k["shock_pct"],
                                          "lpperp-shock"),
            "venue": kit.choice("venue rules", list(VENUE_CHOICES), k["venue"], "lpperp-venue"),
            "entry_price": kit.number("entry price", k["entry_price"], "lpperp-entry"),
            "deposit": kit.number("LP deposit", k["deposit"], "lpperp-deposit"),
        }

        def show(change: dict | None = None) -> None:
            _show(c["cf"], c["collateral"].value == "static")
            _show(c["shock_pct"], c["collateral"].value == "range-aware")

        c["collateral"].observe(show, names="value")
        show()
        return c

    def _wide_rows(self) -> list[list[str]]:
        return [["leverage", "width_pct"]]

    def _control_rows(self) -> list[list[str]]:
        return [["side", "collateral", "cf", "shock_pct"], ["venue", "entry_price", "deposit"]]

    def scenario(self) -> MapScenario:
        c = self.controls
        e = c["entry_price"].value
        base = HealthScenario(price=e, entry_price=e, deposit=c["deposit"].value,
                              width_pct=c["width_pct"].value, leverage=c["leverage"].value,
                              side=c["side"].value, collateral=c["collateral"].value,
                              cf=c["cf"].value, shock_pct=c["shock_pct"].value,
                              venue=c["venue"].value)
        return MapScenario(base)


    def _readout_items(self, result: MapResult) -> list[tuple[str, str, str]]:
        s = result.selected.summary
        self.readout_values = {k: float(v) for k, v in result.selected.readout.items()}
        w = result.scenario.base.width_pct
        return [
            ("width_pct", "selected range", f"± {w:.1f} %"),
            ("health", "health at entry", kit.fmt_num(s.health)),
            *boundary_items(s, result.selected.boundaries, result.scenario.base.price),
        ]

"""ipywidgets explorers: controls -> frozen scenario -> compute -> result -> figure updated in place.

Each explorer builds its controls and ONE plotly FigureWidget (with subplots) once. Any control change
runs :meth:`Explorer.refresh`:

1. ``scenario()`` reads the controls into a frozen scenario; bad input raises ``ValueError``;
2. ``compute(scenario)`` evaluates the library vectorized over a price grid (no plotly);
3. the figure's traces are rewritten inside ``fig.batch_update()`` (one message to the browser) and
   the widget state is re-synced so a reloaded page shows the current figure;
4. the readout (HTML) shows the numbers at the current price.

On ``ValueError`` the status line shows the message and the figure and readout keep the last good
state. Explorers expose ``.controls`` (dict name -> widget), ``.figure``, ``.status``, ``.readout``,
``.result`` (last good result) and ``.widget`` (the whole layout), so tests can set
``explorer.controls["price"].value = x`` and read ``explorer.figure.data`` without a browser.

Conventions: prices in quote per base (USDC per ETH); values in quote units; widths in percent.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np

from lpperp.viz import figures
from lpperp.viz.scenarios import (
    COLLATERAL_MODELS,
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

_DESC = {"description_width": "105px"}
_WIDE = widgets.Layout(width="310px")


def _slider(description: str, value: float, lo: float, hi: float, step: float, fmt: str,
            css: str) -> widgets.FloatSlider:
    s = widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
        continuous_update=True, style=_DESC, layout=_WIDE,
    )
    s.add_class(css)
    return s


def _text(description: str, value: float, css: str) -> widgets.FloatText:
    t = widgets.FloatText(value=value, description=description, style=_DESC, layout=_WIDE)
    t.add_class(css)
    return t


def _choice(description: str, options: list, value: Any) -> widgets.Dropdown:
    return widgets.Dropdown(options=options, value=value, description=description, style=_DESC,
                            layout=_WIDE)


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


class Explorer:
    """Base class: subclasses define controls, ``scenario``, ``compute``, figure and readout.

    Subclass hooks: ``_build_controls(**initial) -> dict``, ``scenario() -> frozen scenario``,
    ``compute(scenario) -> result``, ``_make_figure(result)``, ``_update_figure(fig, result)``,
    ``_readout_items(result) -> list[(key, label, text)]`` and optionally ``_control_rows()``.
    """

    title = "explorer"

    def __init__(self, **initial: Any) -> None:
        self._suspended = 0
        self.n_updates = 0
        self.last_update_seconds = float("nan")
        self.controls: dict[str, widgets.Widget] = self._build_controls(**initial)
        self.status = widgets.HTML(value="")
        self.status.add_class("lpperp-status")
        self.readout = widgets.HTML(value="")
        self.readout.add_class("lpperp-readout")
        # The initial state must be valid: a bad default is a programming error, so let it raise.
        self.result = self.compute(self.scenario())
        self.readout_values: dict[str, float] = {}
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

    def compute(self, scenario: Any) -> Any:
        raise NotImplementedError

    def _make_figure(self, result: Any) -> Any:
        raise NotImplementedError

    def _update_figure(self, fig: Any, result: Any) -> None:
        raise NotImplementedError

    def _readout_items(self, result: Any) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def _control_rows(self) -> list[list[str]]:
        """Control names in columns (each inner list is one column)."""
        return [list(self.controls)]

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
        if not self._suspended:
            self.refresh()

    def refresh(self) -> bool:
        """Recompute from the controls and update the figure; False (and a message) on bad input."""
        t0 = time.perf_counter()
        try:
            result = self.compute(self.scenario())
        except ValueError as exc:
            self._show_error(exc)
            return False
        fig = self.figure
        with fig.batch_update():
            self._update_figure(fig, result)
        figures.resync_view_state(fig)
        self.result = result
        self._show_readout(result)
        self.status.value = ""
        self.n_updates += 1
        self.last_update_seconds = time.perf_counter() - t0
        return True

    def _show_error(self, exc: Exception) -> None:
        self.status.value = (
            "<div class='lpperp-error' style='color:#b00020;font-weight:600'>"
            f"&#9888; {html.escape(str(exc))}"
            "<span style='font-weight:400;color:#555'> &mdash; the plot still shows the last valid"
            " input.</span></div>"
        )

    def _show_readout(self, result: Any) -> None:
        items = self._readout_items(result)
        cells = "".join(
            f"<div class='lpperp-readout-item' data-key='{html.escape(key)}' "
            "style='display:inline-block;margin:0 1.4em 0.3em 0'>"
            f"<div style='font-size:11px;color:#666'>{html.escape(label)}</div>"
            f"<div style='font-size:16px;font-weight:600'>{html.escape(text)}</div></div>"
            for key, label, text in items
        )
        self.readout.value = f"<div class='lpperp-readout-row'>{cells}</div>"

    def _layout(self) -> widgets.Widget:
        columns = [
            widgets.VBox([self.controls[name] for name in col]) for col in self._control_rows()
        ]
        box = widgets.VBox(
            [widgets.HBox(columns), self.status, self.readout, self.figure],
            layout=widgets.Layout(width="100%"),
        )
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
        c["price"] = _slider("price", e if price is None else price, 0.3 * e, 2.0 * e,
                             _nice_step(e), ",.1f", "lpperp-price")
        c["width_pct"] = _slider("range ± %", width_pct, 0.5, 95.0, 0.5, ".1f", "lpperp-width")
        c["range_mode"] = _choice("range given by", [("± width %", "width"),
                                                      ("lower/upper bounds", "bounds")], "width")
        c["price_lower"] = _text("lower bound", e * (1 - width_pct / 100), "lpperp-lower")
        c["price_upper"] = _text("upper bound", e * (1 + width_pct / 100), "lpperp-upper")
        c["entry_price"] = _text("entry price", e, "lpperp-entry")
        c["deposit"] = _text("LP deposit", deposit, "lpperp-deposit")
        c["price_lower"].disabled = c["price_upper"].disabled = True
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
        """In width mode the bound boxes display the implied bounds (read-only)."""
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
        c["width_pct"].disabled = not by_width
        c["price_lower"].disabled = c["price_upper"].disabled = by_width
        self._sync_bounds()

    def _on_entry(self, change: dict) -> None:
        """A new valid entry price recentres the price slider on it."""
        e = change["new"]
        if not (isinstance(e, (int, float)) and e > 0):
            return  # refresh() reports the error
        with self._quiet():
            _set_slider_bounds(self.controls["price"], 0.3 * e, 2.0 * e, e, _nice_step(e))
            self._sync_bounds()


def _nice_step(entry_price: float) -> float:
    """About 1/1000 of the entry price, rounded to 1, 2 or 5 times a power of ten."""
    import math

    raw = entry_price / 1000.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


class LPExplorer(_RangeControls, Explorer):
    """Explore one LP deposit: value and hold value vs price, impermanent loss, composition.

    >>> ex = LPExplorer(width_pct=10)
    >>> ex.controls["price"].value = 3300.0
    >>> round(ex.result.value_now, 2) == round(float(ex.result.position.value(3300.0)), 2)
    True
    """

    title = "LP explorer"

    def __init__(self, *, entry_price: float = 3000.0, deposit: float = 10_000.0,
                 width_pct: float = 10.0, price: float | None = None,
                 symbols: tuple[str, str] = ("ETH", "USDC")) -> None:
        self.symbols = symbols
        super().__init__(entry_price=entry_price, deposit=deposit, width_pct=width_pct,
                         price=price)

    def _build_controls(self, **initial: Any) -> dict[str, widgets.Widget]:
        return self._range_controls(**initial)

    def _control_rows(self) -> list[list[str]]:
        return [["price", "width_pct", "range_mode"],
                ["entry_price", "deposit", "price_lower", "price_upper"]]

    def scenario(self) -> LPScenario:
        c = self.controls
        return LPScenario(price=c["price"].value, entry_price=c["entry_price"].value,
                          deposit=c["deposit"].value, **self._range_kwargs())

    def compute(self, scenario: LPScenario) -> LPResult:
        return compute_lp(scenario)

    def _make_figure(self, result: LPResult) -> Any:
        return figures.lp_figure(result, symbols=self.symbols)

    def _update_figure(self, fig: Any, result: LPResult) -> None:
        figures.update_lp_figure(fig, result, symbols=self.symbols)

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


def _fmt_price(x: float) -> str:
    return "none" if not np.isfinite(x) else f"{x:,.2f}"


def _fmt_num(x: float, unit: str = "") -> str:
    if np.isnan(x):
        return "-"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.2f}{unit}"


class HealthExplorer(_RangeControls, Explorer):
    """LP as perp collateral: health, liquidation boundaries and zone, LP value, IL, holdings.

    Controls: ``price`` (oracle/mark), ``width_pct`` (or explicit bounds), ``leverage`` (perp notional
    at entry / LP collateral value at entry), ``side``, ``mode`` (isolated / cross with
    ``wallet_cash``), ``collateral`` model and its parameters (``cf``, ``shock_pct``,
    ``sigma_per_year``), ``venue`` preset, ``entry_price`` and ``deposit``.

    >>> ex = HealthExplorer(leverage=3.0, side="short")
    >>> ex.controls["leverage"].value = 5.0
    >>> b = ex.result.summary.liquidation_above
    >>> bool(abs(ex.result.account.equity(b) - ex.result.account.maintenance_requirement(b)) < 1e-6)
    True
    """

    title = "LP collateral health explorer"

    def __init__(self, *, entry_price: float = 3000.0, deposit: float = 10_000.0,
                 width_pct: float = 10.0, price: float | None = None, leverage: float = 3.0,
                 side: str = "short", mode: str = "isolated", wallet_cash: float = 5_000.0,
                 collateral: str = "static", cf: float = 0.8, shock_pct: float = 10.0,
                 sigma_per_year: float = 0.8, venue: str = "default",
                 symbols: tuple[str, str] = ("ETH", "USDC")) -> None:
        self.symbols = symbols
        super().__init__(entry_price=entry_price, deposit=deposit, width_pct=width_pct,
                         price=price, leverage=leverage, side=side, mode=mode,
                         wallet_cash=wallet_cash, collateral=collateral, cf=cf,
                         shock_pct=shock_pct, sigma_per_year=sigma_per_year, venue=venue)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        c = self._range_controls(k["entry_price"], k["deposit"], k["width_pct"], k["price"])
        c["leverage"] = _slider("leverage", k["leverage"], 0.0, 20.0, 0.25, ".2f",
                                "lpperp-leverage")
        c["side"] = _choice("perp side", ["long", "short"], k["side"])
        c["mode"] = _choice("margin mode", ["isolated", "cross"], k["mode"])
        c["wallet_cash"] = _text("wallet cash", k["wallet_cash"], "lpperp-wallet-cash")
        c["collateral"] = _choice("collateral model", list(COLLATERAL_MODELS), k["collateral"])
        c["cf"] = _slider("factor cf", k["cf"], 0.0, 1.0, 0.01, ".2f", "lpperp-cf")
        c["shock_pct"] = _slider("shock %", k["shock_pct"], 0.0, 60.0, 0.5, ".1f",
                                 "lpperp-shock")
        c["sigma_per_year"] = _slider("volatility /yr", k["sigma_per_year"], 0.05, 3.0, 0.05,
                                      ".2f", "lpperp-sigma")
        c["venue"] = _choice("venue rules", list(VENUE_CHOICES), k["venue"])
        c["collateral"].observe(self._enable_params, names="value")
        c["mode"].observe(self._enable_params, names="value")
        self._enable_params(controls=c)
        return c

    def _enable_params(self, change: dict | None = None,
                       controls: dict[str, widgets.Widget] | None = None) -> None:
        c = controls if controls is not None else self.controls
        model = c["collateral"].value
        c["cf"].disabled = model != "static"
        c["shock_pct"].disabled = model != "range-aware"
        c["sigma_per_year"].disabled = model != "volatility"
        c["wallet_cash"].disabled = c["mode"].value != "cross"

    def _control_rows(self) -> list[list[str]]:
        return [
            ["price", "leverage", "width_pct", "side", "mode", "wallet_cash"],
            ["collateral", "cf", "shock_pct", "sigma_per_year", "venue"],
            ["entry_price", "deposit", "range_mode", "price_lower", "price_upper"],
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

    def compute(self, scenario: HealthScenario) -> HealthResult:
        return compute_health(scenario)

    def _make_figure(self, result: HealthResult) -> Any:
        return figures.health_figure(result, symbols=self.symbols)

    def _update_figure(self, fig: Any, result: HealthResult) -> None:
        figures.update_health_figure(fig, result, symbols=self.symbols)

    def _readout_items(self, result: HealthResult) -> list[tuple[str, str, str]]:
        r = result.readout
        q = self.symbols[1]
        self.readout_values = dict(r)
        liq = result.summary.liquidatable
        return [
            ("health", "health (equity / maintenance)",
             _fmt_num(r["health"]) + ("  LIQUIDATABLE" if liq else "")),
            ("liquidation_below", "liquidation below", _fmt_price(r["liquidation_below"])),
            ("liquidation_above", "liquidation above", _fmt_price(r["liquidation_above"])),
            ("distance_pct", "distance to liquidation", _fmt_num(r["distance_pct"], " %")),
            ("leverage", "account leverage", _fmt_num(r["leverage"], "x")),
            ("free_collateral", f"free collateral ({q})", _fmt_num(r["free_collateral"])),
            ("equity", f"equity ({q})", _fmt_num(r["equity"])),
            ("maintenance", f"maintenance ({q})", _fmt_num(r["maintenance"])),
        ]


class CrossIsolatedExplorer(Explorer):
    """The same wallet under isolated and cross margin, side by side.

    Wallet: an ETH/USDC LP backing an ETH short, a WBTC/USDC LP backing a BTC long, spare cash.
    Isolated: two accounts; the spare cash is out of reach. Cross: one account with everything.
    Controls: ``eth_price``, ``btc_price``, ``eth_leverage``, ``btc_leverage``, ``eth_width_pct``,
    ``btc_width_pct``, ``spare_cash``, ``cf``, ``venue``.

    >>> ex = CrossIsolatedExplorer()
    >>> ex.controls["btc_price"].value = 45_000.0
    >>> bool(ex.result.iso_btc.health < 2)
    True
    """

    title = "cross vs isolated"

    def __init__(self, *, eth_price: float = 3000.0, btc_price: float = 60_000.0,
                 eth_leverage: float = 3.0, btc_leverage: float = 3.0,
                 eth_width_pct: float = 10.0, btc_width_pct: float = 20.0,
                 spare_cash: float = 5_000.0, cf: float = 0.8, venue: str = "default") -> None:
        super().__init__(eth_price=eth_price, btc_price=btc_price, eth_leverage=eth_leverage,
                         btc_leverage=btc_leverage, eth_width_pct=eth_width_pct,
                         btc_width_pct=btc_width_pct, spare_cash=spare_cash, cf=cf, venue=venue)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        return {
            "eth_price": _slider("ETH price", k["eth_price"], 900.0, 6000.0, 5.0, ",.0f",
                                 "lpperp-price"),
            "btc_price": _slider("BTC price", k["btc_price"], 20_000.0, 120_000.0, 100.0, ",.0f",
                                 "lpperp-btc-price"),
            "eth_leverage": _slider("ETH short lev.", k["eth_leverage"], 0.0, 20.0, 0.25, ".2f",
                                    "lpperp-leverage"),
            "btc_leverage": _slider("BTC long lev.", k["btc_leverage"], 0.0, 20.0, 0.25, ".2f",
                                    "lpperp-btc-leverage"),
            "eth_width_pct": _slider("ETH LP ± %", k["eth_width_pct"], 0.5, 95.0, 0.5, ".1f",
                                     "lpperp-width"),
            "btc_width_pct": _slider("BTC LP ± %", k["btc_width_pct"], 0.5, 95.0, 0.5, ".1f",
                                     "lpperp-btc-width"),
            "spare_cash": _text("spare cash", k["spare_cash"], "lpperp-wallet-cash"),
            "cf": _slider("factor cf", k["cf"], 0.0, 1.0, 0.01, ".2f", "lpperp-cf"),
            "venue": _choice("venue rules", list(VENUE_CHOICES), k["venue"]),
        }

    def _control_rows(self) -> list[list[str]]:
        return [["eth_price", "eth_leverage", "eth_width_pct"],
                ["btc_price", "btc_leverage", "btc_width_pct"],
                ["spare_cash", "cf", "venue"]]

    def scenario(self) -> WalletScenario:
        c = self.controls
        return WalletScenario(**{name: w.value for name, w in c.items()})

    def compute(self, scenario: WalletScenario) -> WalletResult:
        return compute_wallet(scenario)

    def _make_figure(self, result: WalletResult) -> Any:
        return figures.wallet_figure(result)

    def _update_figure(self, fig: Any, result: WalletResult) -> None:
        figures.update_wallet_figure(fig, result)

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
        flags = [s.liquidatable for s in (result.iso_eth, result.iso_btc, result.cross_eth)]
        head = "".join(
            f"<th style='text-align:right;padding:0 1em'>{h}"
            f"{' <span style=color:#b00020>LIQUIDATABLE</span>' if f else ''}</th>"
            for h, f in zip(("isolated: ETH account", "isolated: BTC account",
                             "cross: one account"), flags, strict=True)
        )
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            + "".join(f"<td style='text-align:right;padding:0 1em' data-key='{html.escape(label)}'>"
                      f"{_fmt_price(v)}</td>" for v in vals)
            + "</tr>"
            for label, vals in result.rows()
        )
        self.readout.value = (f"<table class='lpperp-readout-table'><thead><tr><th></th>{head}"
                              f"</tr></thead><tbody>{body}</tbody></table>")


class LiquidationMapExplorer(Explorer):
    """Health over price x range width for an isolated LP-backed perp; leverage moves the map.

    The colour is ``equity / maintenance`` (log scale; white = 1 = liquidation); the black lines are
    the exact liquidation boundaries of every width; the dotted row is the selected width, whose
    boundaries and health are in the readout.

    >>> ex = LiquidationMapExplorer(leverage=4.0)
    >>> ex.controls["leverage"].value = 6.0
    >>> ex.result.health.shape
    (120, 400)
    """

    title = "liquidation map"

    def __init__(self, *, leverage: float = 3.0, side: str = "short", width_pct: float = 10.0,
                 collateral: str = "static", cf: float = 0.8, shock_pct: float = 10.0,
                 venue: str = "default", entry_price: float = 3000.0,
                 deposit: float = 10_000.0) -> None:
        super().__init__(leverage=leverage, side=side, width_pct=width_pct,
                         collateral=collateral, cf=cf, shock_pct=shock_pct, venue=venue,
                         entry_price=entry_price, deposit=deposit)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        return {
            "leverage": _slider("leverage", k["leverage"], 0.0, 20.0, 0.25, ".2f",
                                "lpperp-leverage"),
            "width_pct": _slider("selected ± %", k["width_pct"], 1.0, 60.0, 0.5, ".1f",
                                 "lpperp-width"),
            "side": _choice("perp side", ["long", "short"], k["side"]),
            "collateral": _choice("collateral model", ["static", "token-min", "range-aware"],
                                  k["collateral"]),
            "cf": _slider("factor cf", k["cf"], 0.0, 1.0, 0.01, ".2f", "lpperp-cf"),
            "shock_pct": _slider("shock %", k["shock_pct"], 0.0, 60.0, 0.5, ".1f",
                                 "lpperp-shock"),
            "venue": _choice("venue rules", list(VENUE_CHOICES), k["venue"]),
            "entry_price": _text("entry price", k["entry_price"], "lpperp-entry"),
            "deposit": _text("LP deposit", k["deposit"], "lpperp-deposit"),
        }

    def _control_rows(self) -> list[list[str]]:
        return [["leverage", "width_pct", "side"], ["collateral", "cf", "shock_pct"],
                ["venue", "entry_price", "deposit"]]

    def scenario(self) -> MapScenario:
        c = self.controls
        e = c["entry_price"].value
        base = HealthScenario(price=e, entry_price=e, deposit=c["deposit"].value,
                              width_pct=c["width_pct"].value, leverage=c["leverage"].value,
                              side=c["side"].value, collateral=c["collateral"].value,
                              cf=c["cf"].value, shock_pct=c["shock_pct"].value,
                              venue=c["venue"].value)
        return MapScenario(base)

    def compute(self, scenario: MapScenario) -> MapResult:
        return compute_map(scenario)

    def _make_figure(self, result: MapResult) -> Any:
        return figures.map_figure(result)

    def _update_figure(self, fig: Any, result: MapResult) -> None:
        figures.update_map_figure(fig, result)

    def _readout_items(self, result: MapResult) -> list[tuple[str, str, str]]:
        s = result.selected.summary
        self.readout_values = dict(result.selected.readout)
        w = result.scenario.base.width_pct
        return [
            ("width_pct", "selected range", f"± {w:.1f} %"),
            ("health", "health at entry", _fmt_num(s.health)),
            ("liquidation_below", "liquidation below", _fmt_price(s.liquidation_below)),
            ("liquidation_above", "liquidation above", _fmt_price(s.liquidation_above)),
            ("distance_pct", "distance to liquidation", _fmt_num(s.distance_pct, " %")),
        ]

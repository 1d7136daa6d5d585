"""Scenarios and results behind the explorers: frozen inputs in, frozen arrays out, no plotting.

An explorer reads its controls into a *scenario* (a frozen dataclass validated on construction, so a
typo raises ``ValueError`` before anything is drawn), calls a ``compute_*`` function that evaluates the
library vectorized over a price grid, and hands the frozen *result* to a figure updater. Results also
render themselves as an HTML table (``_repr_html_``) so a notebook can show the numbers without any
widget.

Conventions: prices are quote per base in human units (USDC per ETH); values, deposits and equity in
quote units; ``width_pct=10`` means the range ``[P0 (1 - 0.10), P0 (1 + 0.10)]`` around the entry price
``P0``; impermanent loss is a fraction of the hold value (``<= 0``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from lpperp._validate import LpperpError, finite, ordered_range, positive
from lpperp.position import LPPosition

__all__ = [
    "GRID_POINTS",
    "LPResult",
    "LPScenario",
    "compute_lp",
    "price_grid",
]

#: Points on the price axis of every explorer (the benchmark's "2,000-point grid").
GRID_POINTS = 2000


def price_grid(
    entry_price: float,
    *,
    include: tuple[float, ...] = (),
    n: int = GRID_POINTS,
    low: float = 0.3,
    high: float = 2.0,
) -> np.ndarray:
    """A linear price grid covering ``[low, high] * entry_price`` widened to show ``include``.

    Points of interest (range bounds, liquidation prices) widen the grid by 10 % on their side, but
    never beyond ``[0.02, 10] * entry_price``, so a far-away boundary does not squash the plot.

    >>> g = price_grid(3000.0, include=(500.0,), n=5)
    >>> float(g[0]), float(g[-1]), g.shape
    (450.0, 6000.0, (5,))
    """
    e = positive("entry_price", entry_price)
    lo, hi = low * e, high * e
    pts = np.asarray([x for x in include if x is not None and np.isfinite(x) and x > 0], dtype=float)
    if pts.size:
        lo = min(lo, 0.9 * float(pts.min()))
        hi = max(hi, 1.1 * float(pts.max()))
    lo, hi = max(lo, 0.02 * e), min(hi, 10.0 * e)
    return np.linspace(lo, hi, int(n))


def _range_bounds(
    entry_price: float,
    width_pct: float | None,
    price_lower: float | None,
    price_upper: float | None,
) -> tuple[float, float]:
    """Range ``[pa, pb]`` from a width in percent or from explicit bounds (exactly one)."""
    if (width_pct is None) == (price_lower is None and price_upper is None):
        raise LpperpError("give either width_pct or both price_lower and price_upper")
    if width_pct is not None:
        w = positive("width_pct", width_pct)
        if w >= 100:
            raise LpperpError(
                f"width_pct must be in (0, 100): the lower bound P0 (1 - width/100) must stay > 0, "
                f"got {w!r}"
            )
        return entry_price * (1 - w / 100), entry_price * (1 + w / 100)
    lo, hi = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    return float(lo), float(hi)


def _table(rows: list[tuple[str, str]], title: str) -> str:
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td style='text-align:right'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table class='lpperp-table'><caption>{html.escape(title)}</caption>{body}</table>"


@dataclass(frozen=True)
class LPScenario:
    """One LP deposit observed at a current price.

    Parameters
    ----------
    price : current price (quote per base).
    entry_price : price at which ``deposit`` was put into the range.
    deposit : value deposited at ``entry_price``, quote units.
    width_pct : half-width of the range around ``entry_price`` in percent, in ``(0, 100)``; or give
        ``price_lower`` and ``price_upper`` instead.

    >>> s = LPScenario(price=3300.0, entry_price=3000.0, deposit=10_000.0, width_pct=10)
    >>> s.price_lower, round(s.price_upper, 6)
    (2700.0, 3300.0)
    >>> LPScenario(price=-1.0, entry_price=3000.0, deposit=1.0, width_pct=10)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: price must be a finite number > 0, got -1.0
    """

    price: float
    entry_price: float = 3000.0
    deposit: float = 10_000.0
    width_pct: float | None = 10.0
    price_lower: float | None = None
    price_upper: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", positive("price", self.price))
        object.__setattr__(self, "entry_price", positive("entry_price", self.entry_price))
        object.__setattr__(self, "deposit", positive("deposit", self.deposit))
        lo, hi = _range_bounds(self.entry_price, self.width_pct, self.price_lower, self.price_upper)
        object.__setattr__(self, "price_lower", lo)
        object.__setattr__(self, "price_upper", hi)
        if self.width_pct is not None:
            object.__setattr__(self, "width_pct", float(self.width_pct))

    def position(self) -> LPPosition:
        """The :class:`~lpperp.position.LPPosition` this scenario describes."""
        return LPPosition.from_deposit(
            self.deposit, self.entry_price, price_lower=self.price_lower,
            price_upper=self.price_upper,
        )


@dataclass(frozen=True, eq=False)
class LPResult:
    """LP value, hold value, impermanent loss and amounts over a price grid, plus the current point.

    Arrays have the grid's shape; ``*_now`` fields are at ``scenario.price``.
    """

    scenario: LPScenario
    position: LPPosition
    grid: np.ndarray
    value: np.ndarray
    hold_value: np.ndarray
    il: np.ndarray
    value_now: float
    hold_now: float
    il_now: float
    base_now: float
    quote_now: float
    in_range_now: bool
    readout: dict[str, float] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        s = self.scenario
        rows = [
            ("price", f"{s.price:,.2f}"),
            ("range", f"[{s.price_lower:,.2f}, {s.price_upper:,.2f}]"),
            ("in range", "yes" if self.in_range_now else "no"),
            ("LP value", f"{self.value_now:,.2f}"),
            ("hold value", f"{self.hold_now:,.2f}"),
            ("impermanent loss", f"{100 * self.il_now:.3f} %"),
            ("base held", f"{self.base_now:,.6f}"),
            ("quote held", f"{self.quote_now:,.2f}"),
        ]
        return _table(rows, "LP position")


def compute_lp(scenario: LPScenario, grid: np.ndarray | None = None) -> LPResult:
    """Evaluate the scenario's LP over ``grid`` (default :func:`price_grid` around the entry).

    >>> r = compute_lp(LPScenario(price=3000.0, width_pct=10))
    >>> round(r.value_now, 6), round(r.il_now, 12), r.grid.shape
    (10000.0, 0.0, (2000,))
    """
    s = scenario
    pos = s.position()
    if grid is None:
        grid = price_grid(s.entry_price, include=(s.price_lower, s.price_upper, s.price))
    grid = finite("grid", grid)
    value = pos.value(grid)
    hold = pos.hold_value(grid, s.entry_price)
    il = pos.impermanent_loss(grid, s.entry_price)
    base_now, quote_now = pos.amounts(s.price)
    value_now = float(pos.value(s.price))
    hold_now = float(pos.hold_value(s.price, s.entry_price))
    il_now = float(pos.impermanent_loss(s.price, s.entry_price))
    readout = {
        "price": s.price,
        "value": value_now,
        "hold_value": hold_now,
        "il_pct": 100 * il_now,
        "base": float(base_now),
        "quote": float(quote_now),
    }
    return LPResult(
        scenario=s, position=pos, grid=grid, value=value, hold_value=hold, il=il,
        value_now=value_now, hold_now=hold_now, il_now=il_now, base_now=float(base_now),
        quote_now=float(quote_now), in_range_now=bool(pos.in_range(s.price)), readout=readout,
    )

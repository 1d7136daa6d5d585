"""Result records of margin accounts: summary, liquidation outcome, mode comparison.

Frozen records of plain floats returned by :mod:`lpperp.margin` (import them from there), each
with an HTML table for notebooks; ``html_table`` also renders the accounts themselves.

Conventions
-----------
Money in quote units, prices in quote per base (human units), distances in percent of the
current price; NaN means "none" (no boundary on that side) and shows as ``-``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["AccountSummary", "LiquidationOutcome", "ModeComparison", "format_value", "html_table"]


def format_value(x: Any) -> str:
    """A table cell, the one number format of the library's tables and reprs.

    Text as is; truth values ``yes``/``no``; integers with thousands separators; floats with two
    decimals from 1 up (``1,234.57``), else 4 significant digits (``0.01235``); NaN (no value,
    e.g. no boundary on that side) ``-`` and infinities ``∞``/``-∞``; a tuple in brackets; anything
    else (a dict, an array) as ``str`` gives it.

    >>> format_value(1234.5678), format_value(0.012345), format_value((1.0, float("nan")))
    ('1,234.57', '0.01235', '[1.00, -]')
    >>> format_value(np.True_), format_value(20_000), format_value(-np.inf), format_value("n/a")
    ('yes', '20,000', '-∞', 'n/a')
    >>> format_value(np.array(2.5)), format_value({"fees": 1.0})
    ('2.50', "{'fees': 1.0}")
    """
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, str):
        return x
    if isinstance(x, tuple):
        return "[" + ", ".join(format_value(v) for v in x) + "]"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    if not isinstance(x, numbers.Real):
        return str(x)
    x = float(x)
    if np.isnan(x):
        return "-"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"


def html_table(rows: Sequence[tuple[str, Any]], header: Sequence[str] = ()) -> str:
    """An HTML table: one row per ``(name, value or tuple of values)``, cells by
    :func:`format_value`, with an optional header row.

    >>> html_table([("health", 1.5), ("liquidatable", False)], header=("", "now"))
    '<table><thead><tr><th></th><th>now</th></tr></thead><tbody><tr><td>health</td><td>1.50</td></tr><tr><td>liquidatable</td><td>no</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr><td>" + name + "</td>" + "".join(
            f"<td>{format_value(v)}</td>" for v in (vals if isinstance(vals, tuple) else (vals,))
        ) + "</tr>"
        for name, vals in rows
    )
    return f"<table>{'<thead><tr>' + head + '</tr></thead>' if head else ''}<tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class AccountSummary:
    """Key margin figures of an account at one price (quote units unless noted).

    ``account_leverage`` is perp notional / equity (the old field ``leverage`` reads it with a
    DeprecationWarning for one release).
    """

    equity: float
    maintenance: float
    initial: float
    free_collateral: float
    health: float
    account_leverage: float
    liquidation_below: float
    liquidation_above: float
    distance_pct: float
    liquidatable: bool

    @property
    def leverage(self) -> float:
        """Deprecated: renamed ``account_leverage`` (perp notional / equity); kept one release."""
        warnings.warn(
            "AccountSummary.leverage is renamed account_leverage (notional / equity); 'leverage' "
            "now means perp notional at entry / LP deposit at entry",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.account_leverage

    def _repr_html_(self) -> str:
        return html_table([(k.replace("_", " "), v) for k, v in self.__dict__.items()])


@dataclass(frozen=True)
class LiquidationOutcome:
    """A liquidation at ``trigger_price``: the true equity there and where every dollar goes.

    ``true_equity = lp_value + fees + cash + perp_pnl - funding_paid`` (the LP at market, never
    the collateral-factor-weighted value: the factor decides *when*, not *how much*), and
    ``true_equity == owner_keeps + perp_close_cost + lp_unwind_cost + to_liquidator +
    to_insurance + to_backstop - bad_debt``. ``closed_fraction < 1`` is a partial liquidation (the
    smaller position of ``perp_size_after`` base keeps running; ``owner_keeps`` is the equity left
    in the account).
    ``venue_equity`` and ``maintenance`` are what the venue compares at the trigger;
    ``equity_now`` the true equity at the current price. All money in quote units. The old names
    ``price``, ``equity`` (the venue's equity), ``penalty`` (everything the venue takes),
    ``remaining`` (= ``owner_keeps``) and ``loss`` (= ``equity_now - owner_keeps``) still read.
    """

    trigger_price: float
    true_equity: float
    lp_value: float
    cash: float
    perp_pnl: float
    fees: float
    funding_paid: float
    perp_close_cost: float
    lp_unwind_cost: float
    to_liquidator: float
    to_insurance: float
    to_backstop: float
    owner_keeps: float
    bad_debt: float
    closed_fraction: float
    perp_size_after: float = float("nan")
    maintenance: float = float("nan")
    venue_equity: float = float("nan")
    equity_now: float = float("nan")
    venue: str = ""

    @property
    def price(self) -> float:
        """Alias of ``trigger_price``."""
        return self.trigger_price

    @property
    def equity(self) -> float:
        """The venue's (collateral-weighted) equity at the trigger: alias of ``venue_equity``."""
        return self.venue_equity

    @property
    def penalty(self) -> float:
        """What the venue's mechanics take: close cost + liquidator + insurance + backstop."""
        return self.perp_close_cost + self.to_liquidator + self.to_insurance + self.to_backstop

    @property
    def remaining(self) -> float:
        """Alias of ``owner_keeps``."""
        return self.owner_keeps

    @property
    def loss(self) -> float:
        """``equity_now - owner_keeps``: what the owner loses from today's true equity."""
        return self.equity_now - self.owner_keeps

    def __str__(self) -> str:
        head = f"liquidation{' on ' + self.venue if self.venue else ''} at {self.trigger_price:,.2f}"
        rows = [(k.replace("_", " "), v) for k, v in self.__dict__.items()
                if k not in ("trigger_price", "venue")]
        width = max(len(k) for k, _ in rows)
        return "\n".join([head] + [f"  {k:<{width}}  {v + 0.0:>12,.2f}" for k, v in rows])

    def _repr_html_(self) -> str:
        caption = f"liquidation{' on ' + self.venue if self.venue else ''}"
        rows = [(k.replace("_", " "), v) for k, v in self.__dict__.items() if k != "venue"]
        return f"<p>{caption}</p>" + html_table(rows, header=("", "quote units"))


@dataclass(frozen=True)
class ModeComparison:
    """The same trade under isolated and cross margin: boundaries and what each puts at risk."""

    price: float
    isolated: AccountSummary
    cross: AccountSummary
    isolated_at_risk: float
    cross_at_risk: float
    isolated_outcome: LiquidationOutcome
    cross_outcome: LiquidationOutcome

    def _repr_html_(self) -> str:
        i, c = self.isolated, self.cross
        rows = [
            ("equity", (i.equity, c.equity)),
            ("health", (i.health, c.health)),
            ("liquidation below", (i.liquidation_below, c.liquidation_below)),
            ("liquidation above", (i.liquidation_above, c.liquidation_above)),
            ("distance %", (i.distance_pct, c.distance_pct)),
            ("at risk (max loss)", (self.isolated_at_risk, self.cross_at_risk)),
            ("true equity at liquidation", (self.isolated_outcome.true_equity,
                                            self.cross_outcome.true_equity)),
            ("venue takes", (self.isolated_outcome.penalty, self.cross_outcome.penalty)),
            ("LP unwind cost", (self.isolated_outcome.lp_unwind_cost,
                                self.cross_outcome.lp_unwind_cost)),
            ("owner keeps", (self.isolated_outcome.owner_keeps, self.cross_outcome.owner_keeps)),
            ("bad debt", (self.isolated_outcome.bad_debt, self.cross_outcome.bad_debt)),
        ]
        return html_table(rows, header=("", "isolated", "cross"))

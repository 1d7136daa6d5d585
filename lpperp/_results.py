"""Result records of margin accounts: summary, liquidation outcome, mode comparison.

Frozen records of plain floats returned by :mod:`lpperp.margin` (import them from there), each
with an HTML table for notebooks; ``html_table`` also renders the accounts themselves.

Conventions
-----------
Money in quote units, prices in quote per base (human units), distances in percent of the
current price; NaN means "none" (no boundary on that side) and shows as ``-``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["AccountSummary", "LiquidationOutcome", "ModeComparison", "html_table"]


def _fmt(x: float) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if np.isnan(x):
        return "-"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"


def html_table(rows: Sequence[tuple[str, Any]], header: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr><td>" + name + "</td>" + "".join(
            f"<td>{_fmt(v) if not isinstance(v, str) else v}</td>"
            for v in (vals if isinstance(vals, tuple) else (vals,))
        ) + "</tr>"
        for name, vals in rows
    )
    return f"<table>{'<thead><tr>' + head + '</tr></thead>' if head else ''}<tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class AccountSummary:
    """Key margin figures of an account at one price (quote units unless noted)."""

    equity: float
    maintenance: float
    initial: float
    free_collateral: float
    health: float
    leverage: float
    liquidation_below: float
    liquidation_above: float
    distance_pct: float
    liquidatable: bool

    def _repr_html_(self) -> str:
        return html_table([(k.replace("_", " "), v) for k, v in self.__dict__.items()])


@dataclass(frozen=True)
class LiquidationOutcome:
    """A liquidation at ``price``: requirement, penalty, what is left and what was lost."""

    price: float
    equity: float
    maintenance: float
    penalty: float
    remaining: float
    loss: float
    equity_now: float

    def _repr_html_(self) -> str:
        return html_table([(k.replace("_", " "), v) for k, v in self.__dict__.items()])


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
            ("penalty at liquidation", (self.isolated_outcome.penalty, self.cross_outcome.penalty)),
            ("left after liquidation", (self.isolated_outcome.remaining,
                                        self.cross_outcome.remaining)),
        ]
        return html_table(rows, header=("", "isolated", "cross"))

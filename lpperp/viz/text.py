"""Numbers and tables as the explorers and scenario records print them (no widgets, no plotly):
one number formatter (:func:`fmt_num`, :func:`fmt_price`, :func:`fmt_pct`) and one HTML table
(:func:`html_table`), used by :mod:`lpperp.viz.scenarios`' ``_repr_html_`` and re-exported by
:mod:`lpperp.viz.kit` for every explorer's readout. A readout never prints ``nan``: a missing
number is ``-``.

Conventions: prices in quote per base; values in quote units.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["fmt_num", "fmt_pct", "fmt_price", "html_table"]


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


def fmt_pct(fraction: float, digits: int = 1) -> str:
    """A fraction as a percentage (``-`` for NaN).

    >>> fmt_pct(0.1234), fmt_pct(float("nan"))
    ('12.3 %', '-')
    """
    return fmt_num(100.0 * float(fraction), " %", digits)

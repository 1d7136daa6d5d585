"""Exact liquidation boundaries: every price where an account's equity crosses its maintenance.

Conventions
-----------
One price factor ``P`` (quote per base, human units) moves; everything else is held fixed. The
account is safe where ``g(P) = equity(P) - maintenance(P) >= 0`` and liquidatable where ``g < 0``.
The account builds its public :class:`~lpperp.boundary.BoundaryProblem`; the solver, its method
(closed-form pieces between breakpoints, two vectorized kernels, a dense-grid + brentq fallback
for a collateral model without a closed form) and its result live in :mod:`lpperp.boundary`.

This module adds the array API (:func:`solve_boundaries`), boundaries after fees and funding
(:func:`boundaries_after`), maps over a parameter (:func:`boundary_map`, :func:`health_map`) and
the same account liquidated on several venues (:func:`compare_liquidations`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lpperp._boundary_kernels import maintenance
from lpperp._results import html_table
from lpperp._validate import (
    MAX_CELLS,
    LpperpError,
    cell_budget,
    finite,
    nonnegative,
    one_of,
    positive,
    renamed,
)
from lpperp.boundary import BoundaryProblem, LiquidationResult, solve_problem
from lpperp.collateral import weighted_value
from lpperp.perp import MarginRules
from lpperp.settlement import LiquidationSettlement, settle_liquidation
from lpperp.venues import VENUES, get_mechanics, get_venue

__all__ = [
    "BoundaryProblem",
    "LiquidationComparison",
    "LiquidationResult",
    "LiquidationSettlement",
    "boundaries_after",
    "boundary_map",
    "compare_liquidations",
    "health_map",
    "liquidation_boundaries",
    "settle_liquidation",
    "solve_boundaries",
]

# ------------------------------------------------------------------------------------------------
# the problem record as the map helpers edit it
# ------------------------------------------------------------------------------------------------
_PER_LP = ("pa", "pb", "L", "k", "wb", "wq")
_PER_PERP = ("sizes", "entries")
_KERNEL = {
    "P0": "price", "pa": "price_lower", "pb": "price_upper", "L": "liquidity", "k": "shock",
    "wb": "base_factor", "wq": "quote_factor", "sizes": "perp_sizes",
    "entries": "perp_entry_prices", "base_const": "constant_quote", "floors": "tier_floors",
    "rates": "tier_rates", "deds": "tier_deductions",
}


def _inputs(account: Any, price: Any, market: str | None) -> dict[str, Any]:
    """The account's public :class:`BoundaryProblem` as a dict of short names (maps edit it)."""
    if not hasattr(account, "boundary_problem"):
        raise LpperpError(
            f"account must be an IsolatedAccount or CrossAccount, got {type(account).__name__}"
        )
    prob = account.boundary_problem(price, market)
    inp = {short: getattr(prob, name) for short, name in _KERNEL.items()}
    if prob.margin_gap is not None:
        inp["numeric_g"] = prob.margin_gap
    return inp


def _closed_form_inputs(account: Any, price: Any, market: str | None, what: str) -> dict[str, Any]:
    """:func:`_inputs` for the drifts and maps, which edit the closed-form pieces at one price."""
    inp = _inputs(account, price, market)
    if "numeric_g" in inp:
        raise LpperpError(f"{what} needs a closed-form collateral model")
    if np.ndim(inp["P0"]):
        raise LpperpError(f"{what} takes one current price")
    return inp


def _run(inp: dict[str, Any]) -> LiquidationResult:
    prob = BoundaryProblem(**{name: inp[short] for short, name in _KERNEL.items()},
                           margin_gap=inp.get("numeric_g"))
    return solve_problem(prob)


def liquidation_boundaries(account: Any, price: Any, market: str | None = None) -> LiquidationResult:
    """Every price of ``market`` where ``account`` crosses maintenance, and its safe interval.

    ``account`` is an :class:`~lpperp.margin.IsolatedAccount` or :class:`~lpperp.margin.CrossAccount`;
    ``price`` its current price (a number, an array of current prices, or a mapping ``market ->
    price`` for a cross account; ``market`` then names the price that moves, the others are fixed).

    Examples
    --------
    dYdX v4 docs, isolated short: equity 1000, size -3 at 3000, MMF 5 % -> 3174.60.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("dydx", 0.10, 0.05))
    >>> res = liquidation_boundaries(acct, 3000.0)
    >>> round(float(res.liquidation_price_above), 2), float(res.safe_lower)
    (3174.6, 0.0)
    """
    return _run(_inputs(account, price, market))


@renamed(w_base="base_factor", w_quote="quote_factor")
def solve_boundaries(
    price: Any,
    size: Any,
    entry_price: Any,
    cash: Any = 0.0,
    *,
    price_lower: Any = 1.0,
    price_upper: Any = 2.0,
    liquidity: Any = 0.0,
    rules: MarginRules,
    shock: Any = 1.0,
    base_factor: Any = 1.0,
    quote_factor: Any = 1.0,
) -> LiquidationResult:
    """Boundaries of many isolated accounts at once (array API; all arguments broadcast).

    Each account: one LP ``(price_lower, price_upper, liquidity)`` weighted as
    ``base_factor * base(kP) kP + quote_factor * quote(kP)`` (``k = shock``; a static factor
    ``cf`` is ``base_factor = quote_factor = cf``; ``w_base``/``w_quote`` are their old names,
    which warn for one release), one perp ``(size, entry_price)`` under ``rules``, and ``cash``
    (which absorbs accrued fees minus funding). ``liquidity = 0`` means no LP.

    >>> from lpperp.perp import MarginRules
    >>> r = MarginRules("x", 0.1, 0.05)
    >>> res = solve_boundaries(3000.0, [-3.0, 3.0], 3000.0, 1000.0, rules=r)
    >>> np.round(res.liquidation_price_above, 2).tolist(), np.round(res.liquidation_price_below, 2).tolist()
    ([3174.6, nan], [nan, 2807.02])
    """
    if not isinstance(rules, MarginRules):
        raise LpperpError(f"rules must be a MarginRules, got {type(rules).__name__}")
    # each argument checked on its own first (a ragged list is named), then their shapes together
    named = {
        "price": positive("price", price),
        "size": finite("size", size),
        "entry_price": positive("entry_price", entry_price),
        "cash": finite("cash", cash),
        "price_lower": positive("price_lower", price_lower),
        "price_upper": positive("price_upper", price_upper),
        "liquidity": nonnegative("liquidity", liquidity),
        "shock": positive("shock", shock),
        "base_factor": nonnegative("base_factor", base_factor),
        "quote_factor": nonnegative("quote_factor", quote_factor),
    }
    try:
        np.broadcast_shapes(*(np.shape(v) for v in named.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in named.items() if np.ndim(v))
        raise LpperpError(
            f"the arguments must broadcast to one shape of accounts, got {shapes}"
        ) from None
    pa, pb = np.asarray(named["price_lower"]), np.asarray(named["price_upper"])
    if np.any(pa >= pb):
        raise LpperpError("price_lower must be < price_upper for every account (never swapped)")
    floors, rates, deds = rules.maintenance_pieces()
    col = {k: np.asarray(v)[..., None] for k, v in named.items()}
    inp = {
        "P0": named["price"],
        "pa": col["price_lower"],
        "pb": col["price_upper"],
        "L": col["liquidity"],
        "k": col["shock"],
        "wb": col["base_factor"],
        "wq": col["quote_factor"],
        "sizes": col["size"],
        "entries": col["entry_price"],
        "base_const": named["cash"],
        "floors": floors,
        "rates": rates,
        "deds": deds,
    }
    return _run(inp)


# ------------------------------------------------------------------------------------------------
# maps and drift
# ------------------------------------------------------------------------------------------------
_PARAMS = ("width_pct", "width_factor", "account_leverage", "leverage", "cf", "cash", "size",
           "tau_years", "days")


def _param(name: str, x: Any) -> str:
    if not isinstance(x, str):
        raise LpperpError(f"{name} must be one of {', '.join(map(repr, _PARAMS))}; got {x!r}")
    one_of(name, x, _PARAMS)
    if x == "leverage":
        warnings.warn(
            f"{name}='leverage' is renamed 'account_leverage' (perp notional / equity at the "
            "price); 'leverage' now means perp notional at entry / LP deposit at entry",
            DeprecationWarning,
            stacklevel=3,
        )
        return "account_leverage"
    if x == "days":
        warnings.warn(
            f"{name}='days' is renamed 'tau_years' (values in years, not days: divide by 365)",
            DeprecationWarning,
            stacklevel=3,
        )
    return x


def _vary(inp: dict[str, Any], param: str, values: np.ndarray, account: Any, extra: dict) -> dict:
    """Inputs with a new leading axis (shape of ``values``) along which ``param`` changes."""
    v = np.asarray(values, dtype=float)
    out = dict(inp)
    lead = v.shape
    if param in ("width_pct", "width_factor"):
        if np.shape(inp["L"])[-1] != 1:
            raise LpperpError(f"{param} maps need exactly one LP on the moving market")
        p0 = np.asarray(inp["P0"])
        value0 = weighted_value(p0, inp["pa"][..., 0], inp["pb"][..., 0], inp["L"][..., 0])
        if param == "width_pct":
            if np.any((v <= 0) | (v >= 100)):
                raise LpperpError("width_pct values must be in (0, 100)")
            pa, pb = p0 * (1 - v / 100.0), p0 * (1 + v / 100.0)
        else:
            if np.any(v <= 1):
                raise LpperpError("width_factor values must be > 1")
            pa, pb = p0 / v, p0 * v
        per_unit = weighted_value(p0, pa, pb, 1.0)
        out["pa"], out["pb"] = pa[..., None], pb[..., None]
        out["L"] = (value0 / per_unit)[..., None]
    elif param == "cf":
        if np.any((v < 0) | (v > 1)):
            raise LpperpError("cf values must be in [0, 1]")
        m = np.shape(inp["L"])[-1]
        out["k"] = np.ones((*lead, m))
        out["wb"] = out["wq"] = np.broadcast_to(v[..., None], (*lead, m))
    elif param == "cash":
        out["base_const"] = inp["base_const"] + (v - account.cash)
    elif param in ("size", "account_leverage"):
        if np.shape(inp["sizes"])[-1] != 1:
            raise LpperpError(f"{param} maps need exactly one perp on the moving market")
        e = inp["entries"][..., 0]
        if param == "size":
            q = v
        else:
            p0 = np.asarray(inp["P0"])
            side = np.sign(inp["sizes"][..., 0])
            side = np.where(side == 0, 1.0, side)  # a flat perp is sized as a long
            coll = np.sum(weighted_value(p0[..., None], inp["pa"], inp["pb"], inp["L"], inp["k"],
                                         inp["wb"], inp["wq"]), axis=-1)
            eq_wo = coll + inp["base_const"]
            den = p0 - side * v * (p0 - e)
            q = np.where(den > 0, side * v * eq_wo / np.where(den > 0, den, 1.0), np.nan)
            if np.any(~np.isfinite(q)):
                raise LpperpError("some leverage values cannot be reached with this entry price")
        out["sizes"] = np.asarray(q)[..., None]
        out["entries"] = np.broadcast_to(e, np.shape(q))[..., None]
    elif param in ("tau_years", "days"):
        if np.any(v < 0):
            raise LpperpError(f"{param} must be >= 0, got {v[v < 0].flat[0]!r}")
        tau = v / 365.0 if param == "days" else v
        out["base_const"] = inp["base_const"] + _fees_minus_funding(account, inp, tau, **extra)
    else:  # pragma: no cover - guarded by one_of
        raise AssertionError(param)
    return out


def _fees_minus_funding(account: Any, inp: dict, tau: np.ndarray, fee_apr: float = 0.0,
                        funding_rate_per_year: float = 0.0) -> np.ndarray:
    """Fees earned (at par) minus funding paid over ``tau`` years at the current price."""
    p0 = np.asarray(inp["P0"])
    fee_apr = nonnegative("fee_apr", fee_apr)
    rate = finite("funding_rate_per_year", funding_rate_per_year)
    pa, pb = inp["pa"], inp["pb"]
    inside = (p0[..., None] >= pa) & (p0[..., None] <= pb)
    value = weighted_value(p0[..., None], pa, pb, inp["L"])
    fees = np.sum(np.where(inside, value, 0.0), axis=-1) * fee_apr
    funding = np.sum(inp["sizes"], axis=-1) * p0 * rate
    return (fees - funding) * tau


@renamed(days=("tau_years", 1 / 365))
def boundaries_after(
    account: Any,
    price: Any,
    *,
    tau_years: Any,
    fee_apr: float = 0.0,
    funding_rate_per_year: float = 0.0,
    market: str | None = None,
) -> LiquidationResult:
    """Boundaries after ``tau_years`` of fee income and funding at a constant price (vectorized).

    ``tau_years`` is keyword-only: it replaced a positional ``days``, so an old positional call
    (``boundaries_after(acct, price, 30)``) is refused instead of read as 30 years.

    ``days=`` (the old argument, in days) still works for one release with a DeprecationWarning
    and is converted as ``tau_years = days / 365``.
    Fees ``fee_apr * V(P) * t`` (``t = tau_years``) accrue while the LP is in range (counted at
    par, quote units); funding ``sum_j q_j P rate t`` is paid by longs when the rate is positive.
    The LP and the perps themselves do not change.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("x", 0.1, 0.05))
    >>> res = boundaries_after(acct, 3000.0, tau_years=[0, 30 / 365], funding_rate_per_year=0.5)
    >>> np.round(res.liquidation_price_below, 2).tolist()
    [2807.02, 2936.79]
    """
    inp = _closed_form_inputs(account, price, market, "boundaries_after")
    tau = np.asarray(nonnegative("tau_years", tau_years), dtype=float)
    out = _vary(inp, "tau_years", tau, account,
                {"fee_apr": fee_apr, "funding_rate_per_year": funding_rate_per_year})
    return _run(out)


def boundary_map(
    account: Any,
    price: Any,
    param: str,
    values: Any,
    param2: str | None = None,
    values2: Any = None,
    *,
    market: str | None = None,
    fee_apr: float = 0.0,
    funding_rate_per_year: float = 0.0,
    max_cells: int = MAX_CELLS,
) -> LiquidationResult:
    """Boundaries over a grid of one or two parameters, for heatmaps (one vectorized solve).

    ``param`` in ``width_pct``, ``width_factor`` (the LP re-deposited at today's value over a
    symmetric range), ``account_leverage`` (perp resized to notional / equity at ``price``;
    ``leverage`` is its deprecated name), ``cf``
    (a static factor replacing the model), ``cash``, ``size``, ``tau_years`` (fees and funding
    over that many years, see :func:`boundaries_after`; ``days`` is its deprecated twin in days).
    With ``param2`` the result has shape ``(len(values), len(values2))``; a grid of more than
    ``max_cells`` accounts (default 1e6) is refused up front.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import PerpPosition
    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> acct = IsolatedAccount(PerpPosition(-6.0, 3000.0), lp)
    >>> m = boundary_map(acct, 3000.0, "width_pct", np.linspace(5, 50, 200), "account_leverage",
    ...                  np.linspace(0.5, 5, 200))
    >>> m.safe_upper.shape
    (200, 200)
    """
    param = _param("param", param)
    cell_budget((values, 1 if param2 is None else values2),
                max_cells=max_cells, what="boundary_map (values x values2)")
    inp = _closed_form_inputs(account, price, market, "boundary_map")
    extra = {"fee_apr": fee_apr, "funding_rate_per_year": funding_rate_per_year}
    v1 = np.asarray(finite("values", values), dtype=float).reshape(-1)
    if param2 is None:
        return _run(_vary(inp, param, v1, account, extra))
    param2 = _param("param2", param2)
    if param2 == param:
        raise LpperpError("param2 must differ from param")
    v2 = np.asarray(finite("values2", values2), dtype=float).reshape(-1)
    # order matters: apply the structural change (range, cf) first, the perp sizing last
    order = sorted([(param, v1[:, None]), (param2, v2[None, :])],
                   key=lambda t: t[0] in ("account_leverage", "tau_years", "days"))
    for name, vals in order:
        inp = _vary(inp, name, vals, account, extra)
    return _run(inp)


def health_map(
    account: Any,
    prices: Any,
    param: str,
    values: Any,
    *,
    market: str | None = None,
    price: Any = None,
    fee_apr: float = 0.0,
    funding_rate_per_year: float = 0.0,
    max_cells: int = MAX_CELLS,
) -> np.ndarray:
    """``equity / maintenance`` over ``values`` of ``param`` (rows) and ``prices`` (columns).

    ``price`` is the current price the parameter is applied at (default: the geometric middle
    of ``prices``). Values below 1 are liquidatable; ``inf`` where there is no requirement.
    A map of more than ``max_cells`` cells (``len(values) * len(prices)``, default 1e6) is refused
    up front.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("x", 0.1, 0.05))
    >>> h = health_map(acct, [3000.0, 3174.6], "cash", [1000.0, 2000.0], price=3000.0)
    >>> np.round(h, 3).tolist()
    [[2.222, 1.0], [4.444, 3.1]]
    """
    param = _param("param", param)
    cell_budget((values, prices), max_cells=max_cells,
                what="health_map (values x prices)")
    grid = np.asarray(positive("prices", prices), dtype=float).reshape(-1)
    if grid.size == 0:
        raise LpperpError("prices must hold at least one price, got an empty array")
    p_now = (np.sqrt(grid.min() * grid.max()) if price is None
             else positive("price", price, scalar=True))
    inp = _closed_form_inputs(account, p_now, market, "health_map")
    v = np.asarray(finite("values", values), dtype=float).reshape(-1)
    out = _vary(inp, param, v, account,
                {"fee_apr": fee_apr, "funding_rate_per_year": funding_rate_per_year})
    n = v.size
    lp = {}
    for key in _PER_LP + _PER_PERP:
        a = np.asarray(out[key], dtype=float)
        lp[key] = np.broadcast_to(a, (n, *a.shape[-1:]))
    base_const = np.broadcast_to(np.asarray(out["base_const"], dtype=float), (n,))
    P = np.broadcast_to(grid, (n, grid.size))
    coll = np.sum(weighted_value(P[..., None], *(lp[key][:, None, :] for key in _PER_LP)), axis=-1)
    q, e = lp["sizes"][:, None, :], lp["entries"][:, None, :]
    eq = coll + base_const[:, None] + np.sum(q * (P[..., None] - e), axis=-1)
    mm, _, _ = maintenance(np.abs(q) * P[..., None], out["floors"], out["rates"], out["deds"])
    mm = np.sum(mm, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mm == 0, np.where(eq >= 0, np.inf, -np.inf), eq / np.where(mm == 0, 1, mm))


# ------------------------------------------------------------------------------------------------
# the same account on several venues
# ------------------------------------------------------------------------------------------------
_COMPARE_ROWS = (
    "trigger_price", "maintenance", "venue_equity", "true_equity", "perp_close_cost",
    "lp_unwind_cost", "to_liquidator", "to_insurance", "to_backstop", "owner_keeps", "bad_debt",
    "closed_fraction",
)


@dataclass(frozen=True)
class LiquidationComparison:
    """One account liquidated on several venues: one :class:`~lpperp.margin.LiquidationOutcome`
    per venue (each with the venue's margin rules for the trigger and its mechanics for the
    outcome). ``table()`` gives ``{row: [value per venue]}``; in a notebook it renders as a table
    with one column per venue."""

    venues: tuple[str, ...]
    outcomes: tuple[Any, ...]

    def __getitem__(self, venue: str) -> Any:
        if venue not in self.venues:
            raise LpperpError(f"venue must be one of {self.venues}, got {venue!r}")
        return self.outcomes[self.venues.index(venue)]

    def table(self) -> dict[str, list[float]]:
        """``{row name: [value on each venue]}`` (quote units; closed_fraction a fraction)."""
        return {row: [float(getattr(o, row)) for o in self.outcomes] for row in _COMPARE_ROWS}

    def _repr_html_(self) -> str:
        rows = [(row.replace("_", " "), tuple(_fmt_money(v) for v in vals))
                for row, vals in self.table().items()]
        return html_table(rows, header=("", *(o.venue for o in self.outcomes)))

    def __str__(self) -> str:
        names = [o.venue for o in self.outcomes]
        width = max(len(r) for r in _COMPARE_ROWS)
        lines = [" " * width + "".join(f"{n:>16}" for n in names)]
        for row, vals in self.table().items():
            lines.append(f"{row.replace('_', ' '):<{width}}" + "".join(f"{v:>16,.2f}" for v in vals))
        return "\n".join(lines)


def _fmt_money(x: float) -> str:
    return "-" if np.isnan(x) else f"{x + 0.0:,.2f}"


def compare_liquidations(
    account: Any,
    price: Any,
    venues: Sequence[str] = ("hyperliquid", "dydx", "gmx", "drift", "binance"),
    *,
    market: str | None = None,
    profile: Any = None,
    gas_quote: float = 0.0,
) -> LiquidationComparison:
    """The same account liquidated on each venue: its rules for the trigger, its mechanics after.

    For each venue name the account's ``rules`` are replaced by the venue's preset
    (:func:`lpperp.venues.get_venue`) and :meth:`liquidation_outcome` runs with the venue's
    :class:`~lpperp.venues.LiquidationMechanics`; collateral model, LP, perp and cash stay. A
    lender without perp rules (``"revert"``) keeps the account's rules (a loan: no perp,
    liquidated when the weighted collateral no longer covers the debt).

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import PerpPosition
    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> acct = IsolatedAccount(PerpPosition(-6.667, 3000.0), lp)
    >>> cmp = compare_liquidations(acct, 3000.0, venues=("hyperliquid", "gmx"))
    >>> [round(x, 2) for x in cmp.table()["to_insurance"]]   # GMX's 0.2 % liquidation fee
    [0.0, 60.56]
    """
    if isinstance(venues, str):
        venues = (venues,)
    names = tuple(str(v).lower() for v in venues)
    if not names:
        raise LpperpError("venues must name at least one venue, got an empty sequence")
    if not hasattr(account, "liquidation_outcome") or not hasattr(account, "rules"):
        raise LpperpError(
            f"account must be an IsolatedAccount or CrossAccount, got {type(account).__name__}"
        )
    mechs = [get_mechanics(n) for n in names]  # refuses unknown names first
    outcomes = tuple(
        (replace(account, rules=get_venue(n)) if n in VENUES else account).liquidation_outcome(
            price, market=market, mechanics=m, profile=profile, gas_quote=gas_quote)
        for n, m in zip(names, mechs, strict=True)
    )
    return LiquidationComparison(names, outcomes)

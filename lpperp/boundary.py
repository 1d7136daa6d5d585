"""The boundary problem and its solver: every price where equity crosses maintenance.

:class:`BoundaryProblem` is the public, typed record an account builds from its own public
attributes (:meth:`lpperp.margin.IsolatedAccount.boundary_problem`); :func:`solve_problem` solves
it and returns a :class:`LiquidationResult`. :mod:`lpperp.liquidation` builds maps and drifts on
the same record; accounts call the solver directly, so nothing imports back up the layers.

Conventions
-----------
One price factor ``P`` (quote per base, human units) moves; everything else (cash, fees, funding,
positions in other markets) is held fixed in ``constant_quote``. The account is safe where
``g(P) = equity(P) - maintenance(P) >= 0`` and liquidatable where ``g < 0``. With collateral
models of the shocked weighted form (see :mod:`lpperp.collateral`)::

    g(P) = sum_m [w_b base_m(kP) kP + w_q quote_m(kP)] + C + sum_j q_j (P - E_j) - sum_j MM(|q_j| P)

Between consecutive *breakpoints* (the shocked range edges ``pa/k``, ``pb/k`` and the tier edges
``floor / |q|``) every term is ``a P + b sqrt(P) + c``, so each piece is a quadratic in
``s = sqrt(P)`` (linear in ``P`` when no LP is in range) solved in closed form (coefficients scaled
to O(1), then the stable ``q = -(b + sign(b) sqrt(b^2 - 4ac)) / 2``, roots ``q/a`` and ``c/q``).

Two vectorized kernels, no Python loop over accounts (private modules
:mod:`lpperp._boundary_fast` and :mod:`lpperp._boundary_kernels`):

- one LP and one perp per account (isolated accounts, maps, ``solve_boundaries``): every
  (LP regime x tier) piece has known coefficients and interval, visited in increasing price, so
  the roots come out sorted; temporaries live in per-thread scratch memory. Accounts with a root
  on a piece edge or at the current price go to the general kernel;
- general (several LPs or perps in the moving market): breakpoints sorted per account; each
  piece's roots count only inside the piece, and every breakpoint is a candidate too.
  Candidates closer than ``1e-11`` (relative) stand for one crossing (a root on an edge is
  found from both sides and is the edge itself): the one kept is where ``|g|`` is least, a
  breakpoint on a tie, so a root exactly on an edge is reported exactly. Candidates are then
  kept only where the safety actually changes (a tangency is not a boundary).

A collateral model without a closed form (:class:`~lpperp.collateral.FunctionFactor`) gives the
problem a ``margin_gap`` function instead: a dense log grid over ``P0 * [1e-6, 1e6]`` and
:func:`scipy.optimize.brentq` per sign change (boundaries outside that span are not searched).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import g_direct, general_kernel, numeric_boundaries, safe_interval
from lpperp._results import format_value, html_table
from lpperp._validate import LpperpError

__all__ = ["BoundaryProblem", "LiquidationResult", "solve_problem"]

# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiquidationResult:
    """Boundaries of one or many accounts along one price factor.

    Attributes
    ----------
    price : ndarray (N,)
        Current price of each account.
    boundaries : ndarray (N, K)
        Sorted prices where ``equity == maintenance`` and the safety changes (NaN-padded).
    safe_lower, safe_upper : ndarray (N,)
        The safe interval containing ``price`` (``0`` / ``inf`` when unbounded; NaN when the account
        is already liquidatable).
    liquidatable_now : ndarray (N,) of bool
        ``equity < maintenance`` at ``price``.
    """

    price: np.ndarray
    boundaries: np.ndarray
    safe_lower: np.ndarray
    safe_upper: np.ndarray
    liquidatable_now: np.ndarray

    @property
    def liquidation_price_below(self) -> Any:
        """Nearest boundary below the price (NaN when none: safe all the way down).

        A float for one account, else an array of the accounts' shape.

        >>> from lpperp.liquidation import solve_boundaries
        >>> from lpperp.perp import MarginRules
        >>> res = solve_boundaries(3000.0, 3.0, 3000.0, 1000.0, rules=MarginRules("x", 0.1, 0.05))
        >>> round(res.liquidation_price_below, 2), res.liquidation_price_above
        (2807.02, nan)
        """
        out = np.where(self.safe_lower > 0, self.safe_lower, np.nan)
        return float(out) if out.ndim == 0 else out

    @property
    def liquidation_price_above(self) -> Any:
        """Nearest boundary above the price (NaN when none: safe all the way up).

        A float for one account, else an array of the accounts' shape.
        """
        out = np.where(np.isfinite(self.safe_upper), self.safe_upper, np.nan)
        return float(out) if out.ndim == 0 else out

    @property
    def distance_pct(self) -> np.ndarray:
        """Smallest % move from ``price`` to a boundary (0 if liquidatable, inf if never).

        >>> from lpperp.liquidation import solve_boundaries
        >>> from lpperp.perp import MarginRules
        >>> res = solve_boundaries(3000.0, -3.0, 3000.0, 1000.0, rules=MarginRules("x", 0.1, 0.05))
        >>> round(float(res.distance_pct), 3)
        5.82
        """
        with np.errstate(invalid="ignore"):
            down = np.where(self.safe_lower > 0, 100 * (1 - self.safe_lower / self.price), np.inf)
            up = np.where(np.isfinite(self.safe_upper), 100 * (self.safe_upper / self.price - 1),
                          np.inf)
        return np.where(self.liquidatable_now, 0.0, np.minimum(down, up))

    def _flat(self) -> tuple[np.ndarray, ...]:
        n = int(np.size(self.price))
        return (
            np.reshape(self.price, n),
            np.reshape(self.boundaries, (n, -1)),
            np.reshape(self.safe_lower, n),
            np.reshape(self.safe_upper, n),
            np.reshape(self.liquidatable_now, n),
            np.reshape(self.distance_pct, n),
        )

    def safe_intervals(self, i: int = 0) -> list[tuple[float, float]]:
        """All safe intervals of account ``i`` (flat index; consecutive segments alternate).

        >>> from lpperp.margin import IsolatedAccount
        >>> from lpperp.perp import MarginRules, PerpPosition
        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> [(lo, round(hi, 2)) for lo, hi in a.liquidation(3000.0).safe_intervals()]
        [(0.0, 3174.6)]
        """
        price, bnd, lower, _, liq_now, _ = self._flat()
        n = len(price)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise LpperpError(f"i must be an account index in [0, {len(price)}), got {i!r}")
        b = bnd[i][np.isfinite(bnd[i])]
        edges = np.concatenate(([0.0], b, [np.inf]))
        if liq_now[i]:
            j, j_safe = int(np.searchsorted(b, price[i], side="right")), False
        else:
            j, j_safe = int(np.searchsorted(b, lower[i], side="right")), True
        return [
            (float(edges[m]), float(edges[m + 1]))
            for m in range(len(edges) - 1)
            if ((m - j) % 2 == 0) == j_safe
        ]

    def _repr_html_(self) -> str:
        price, bnd, lower, upper, liq_now, dist = self._flat()
        rows = [
            (
                format_value(price[i]),
                (
                    ", ".join(format_value(x) for x in bnd[i] if np.isfinite(x)) or "none",
                    f"({format_value(lower[i])}, {format_value(upper[i])})",
                    dist[i],
                    liq_now[i],
                ),
            )
            for i in range(min(len(price), 10))
        ]
        more = f"<p>... {len(price) - 10} more accounts</p>" if len(price) > 10 else ""
        header = ("price", "boundaries", "safe interval", "distance %", "liquidatable now")
        return html_table(rows, header) + more


# ------------------------------------------------------------------------------------------------
# driving the kernel
# ------------------------------------------------------------------------------------------------
_PER_LP = ("pa", "pb", "L", "k", "wb", "wq")
_PER_PERP = ("sizes", "entries")


def _lead_shape(inp: dict[str, Any]) -> tuple[int, ...]:
    shapes = [np.shape(inp["P0"]), np.shape(inp["base_const"])]
    shapes += [np.shape(inp[key])[:-1] for key in _PER_LP + _PER_PERP]
    return np.broadcast_shapes(*shapes)


def _run(inp: dict[str, Any]) -> LiquidationResult:
    """Broadcast the inputs to ``S``, flatten to ``N`` accounts, solve, reshape back to ``S``."""
    shape = _lead_shape(inp)
    n = int(np.prod(shape, dtype=int))
    P0 = np.broadcast_to(np.asarray(inp["P0"], dtype=float), shape).reshape(n)
    arr = {}
    for key in _PER_LP + _PER_PERP:
        a = np.asarray(inp[key], dtype=float)
        arr[key] = np.broadcast_to(a, shape + a.shape[-1:]).reshape(n, a.shape[-1])
    base_const = np.broadcast_to(np.asarray(inp["base_const"], dtype=float), shape).reshape(n)
    if arr["sizes"].shape[1] == 1:
        const = base_const - arr["sizes"][:, 0] * arr["entries"][:, 0]
    else:
        const = base_const - np.sum(arr["sizes"] * arr["entries"], axis=1)
    tiers = (inp["floors"], inp["rates"], inp["deds"])
    lp_args = tuple(arr[key] for key in _PER_LP)
    if "numeric_g" in inp:
        # boundaries do not depend on the current price: found once, then each price placed
        gs = inp["numeric_g"]
        bps = np.concatenate([arr["pa"][0] / arr["k"][0], arr["pb"][0] / arr["k"][0]])
        b, _ = numeric_boundaries(lambda p: np.asarray(gs(p), dtype=float), float(np.median(P0)), bps)
        bnd = np.broadcast_to(b, (n, b.size)).astype(float)
        g0 = np.asarray(gs(P0), dtype=float).reshape(n)

        def gfun(P: np.ndarray) -> np.ndarray:
            return np.asarray(gs(P[:, 0]), dtype=float).reshape(-1, 1)
    elif arr["L"].shape[1] == 1 and arr["sizes"].shape[1] == 1:
        one = tuple(x[:, 0] for x in lp_args)
        bnd, g0, lower, upper, flagged = fast_kernel(
            P0, *one, arr["sizes"][:, 0], const, *tiers
        )
        if flagged.any():
            idx = np.flatnonzero(flagged)
            sub = tuple(x[idx] for x in lp_args)
            b2, g2 = general_kernel(P0[idx], *sub, arr["sizes"][idx], const[idx], *tiers)

            def gsub(P: np.ndarray) -> np.ndarray:
                return g_direct(P, *sub, arr["sizes"][idx], const[idx], *tiers)

            lo2, hi2 = safe_interval(b2, P0[idx], g2, gsub)
            width = max(bnd.shape[1], b2.shape[1])
            bnd = np.pad(bnd, ((0, 0), (0, width - bnd.shape[1])), constant_values=np.nan)
            bnd[idx] = np.pad(b2, ((0, 0), (0, width - b2.shape[1])), constant_values=np.nan)
            keep = np.isfinite(bnd).any(axis=0)
            bnd = bnd[:, keep]
            g0[idx], lower[idx], upper[idx] = g2, lo2, hi2
    else:
        bnd, g0 = general_kernel(P0, *lp_args, arr["sizes"], const, *tiers)

        def gfun(P: np.ndarray) -> np.ndarray:
            return g_direct(P, *lp_args, arr["sizes"], const, *tiers)

    if "numeric_g" in inp or not (arr["L"].shape[1] == 1 and arr["sizes"].shape[1] == 1):
        lower, upper = safe_interval(bnd, P0, g0, gfun)
    # a boundary is a price: a flat piece's root -c/0 (an LP-and-cash account without a perp,
    # whose value is constant above its range) is not one; NaN pads like the other kernels
    bnd = np.where(np.isfinite(bnd), bnd, np.nan)
    bnd = bnd[:, np.isfinite(bnd).any(axis=0)]
    kk = bnd.shape[1]
    return LiquidationResult(
        price=P0.reshape(shape),
        boundaries=bnd.reshape((*shape, kk)),
        safe_lower=lower.reshape(shape),
        safe_upper=upper.reshape(shape),
        liquidatable_now=(g0 < 0).reshape(shape),
    )


# ------------------------------------------------------------------------------------------------
# the problem record
# ------------------------------------------------------------------------------------------------
_FIELDS = {  # record field -> kernel name
    "price": "P0", "price_lower": "pa", "price_upper": "pb", "liquidity": "L", "shock": "k",
    "base_factor": "wb", "quote_factor": "wq", "perp_sizes": "sizes",
    "perp_entry_prices": "entries", "constant_quote": "base_const", "tier_floors": "floors",
    "tier_rates": "rates", "tier_deductions": "deds",
}


@dataclass(frozen=True)
class BoundaryProblem:
    """Accounts along one price factor, as the boundary solver needs them (arrays broadcast).

    Leading axes ``S`` are accounts; LP fields have a last axis of the LPs in the moving market,
    perp fields of its perps (length 0 allowed).

    Attributes
    ----------
    price : array (S)
        Current price of the moving market, quote per base.
    price_lower, price_upper, liquidity : array (S, m)
        Each LP's range (quote per base) and liquidity (human units).
    shock, base_factor, quote_factor : array (S, m)
        Collateral weights of each LP: value ``base_factor * base(kP) kP + quote_factor *
        quote(kP)`` with ``k = shock`` (a static factor cf is ``1, cf, cf``).
    perp_sizes, perp_entry_prices : array (S, j)
        Signed sizes (base) and entry prices of the moving market's perps.
    constant_quote : array (S)
        Everything that does not move (quote): cash + fees - funding + other markets' collateral
        and PnL - their maintenance.
    tier_floors, tier_rates, tier_deductions : array (t)
        The moving market's maintenance schedule ``MM(N) = N rate_k - deduction_k``.
    margin_gap : callable, optional
        ``P -> equity - maintenance`` when the collateral has no closed form (then solved
        numerically).

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("x", 0.1, 0.05))
    >>> prob = acct.boundary_problem(3000.0)
    >>> prob.perp_sizes.tolist(), float(prob.constant_quote)
    ([-3.0], 1000.0)
    >>> round(float(solve_problem(prob).liquidation_price_above), 2)   # dYdX docs: 3174.60
    3174.6
    """

    price: Any
    price_lower: Any
    price_upper: Any
    liquidity: Any
    shock: Any
    base_factor: Any
    quote_factor: Any
    perp_sizes: Any
    perp_entry_prices: Any
    constant_quote: Any
    tier_floors: Any
    tier_rates: Any
    tier_deductions: Any
    margin_gap: Callable[[Any], Any] | None = None

    @property
    def closed_form(self) -> bool:
        """True when the collateral has a closed form (no ``margin_gap`` fallback)."""
        return self.margin_gap is None


def solve_problem(problem: BoundaryProblem) -> LiquidationResult:
    """Every boundary of the accounts in ``problem`` and the safe interval around each price.

    See the module docstring for the method; :func:`lpperp.liquidation.liquidation_boundaries`
    takes an account instead.
    """
    if not isinstance(problem, BoundaryProblem):
        raise LpperpError(f"problem must be a BoundaryProblem, got {type(problem).__name__}")
    inp = {kernel: getattr(problem, field) for field, kernel in _FIELDS.items()}
    if problem.margin_gap is not None:
        inp["numeric_g"] = problem.margin_gap
    return _run(inp)

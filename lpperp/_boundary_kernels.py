"""Closed-form liquidation boundaries, general case: the piecewise kernel and its fallbacks.

Private engine of :mod:`lpperp.liquidation` (which documents the method). ``general_kernel``
handles any number of LPs and perps on the moving market; :mod:`lpperp._boundary_fast` handles one
LP and one perp per account faster and sends the hard cases (roots on a piece edge) here.
``numeric_boundaries`` is the dense-grid + brentq fallback for collateral models without a
closed form; ``safe_interval`` picks the safe interval around the current price.

Conventions
-----------
Arrays have the account axis first: ``P0``, ``const`` (cash minus perp entry notionals) ``(N,)``;
per LP ``pa, pb, L, k, wb, wq`` ``(N, M)`` (range, human liquidity, shock, base and quote
weights); per perp ``sizes`` ``(N, J)``; the maintenance schedule as ``floors, rates, deds`` (see
:meth:`lpperp.perp.MarginRules.maintenance_pieces`). ``g = equity - maintenance`` in quote units;
boundaries are returned ``(N, K)`` sorted and NaN-padded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lpperp.collateral import weighted_value

__all__ = ["TOL", "g_direct", "general_kernel", "maintenance", "numeric_boundaries", "safe_interval"]

_DUP_RTOL = 1e-11  # candidates closer than this (relative) stand for one crossing
TOL = 1e-9  # roots within this (relative) of a piece edge send the account to general_kernel
_TINY = np.finfo(float).smallest_subnormal  # the least price > 0 (5e-324)
_HUGE = np.finfo(float).max  # the largest finite price (1.8e308)


def maintenance(notional: np.ndarray, floors: np.ndarray, rates: np.ndarray, deds: np.ndarray):
    k = np.searchsorted(floors, notional, side="right") - 1
    return notional * rates[k] - deds[k], rates[k], deds[k]


def g_direct(P, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds) -> np.ndarray:
    """``equity - maintenance`` at prices ``P`` of shape ``(N, K)`` (account axis first)."""
    P = np.asarray(P, dtype=float)
    coll = weighted_value(
        P[..., None], pa[:, None, :], pb[:, None, :], L[:, None, :],
        k[:, None, :], wb[:, None, :], wq[:, None, :],
    )
    g = np.sum(coll, axis=-1) + const[:, None]
    q = sizes[:, None, :]
    mm, _, _ = maintenance(np.abs(q) * P[..., None], floors, rates, deds)
    g = g + np.sum(q * P[..., None] - mm, axis=-1)
    return g


def _piece_coefficients(lo, hi, rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds):
    """``(a, b, c)`` of ``g = a P + b sqrt(P) + c`` on the pieces ``(lo, hi)`` (N, K).

    The pieces lie between consecutive edges, so an LP's regime on a piece follows from the
    piece's ends (below its range when ``hi <= pa / k``, above when ``lo >= pb / k``, the edges
    computed as ``general_kernel`` computes them); the tier from ``rep``, a point inside.
    """
    r = rep[..., None]
    pa_, pb_, L_, k_ = pa[:, None, :], pb[:, None, :], L[:, None, :], k[:, None, :]
    wb_, wq_ = wb[:, None, :], wq[:, None, :]
    sa, sb = np.sqrt(pa_), np.sqrt(pb_)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = hi[..., None] <= pa_ / k_
        above = lo[..., None] >= pb_ / k_
    inside = ~below & ~above
    a = np.where(below, wb_ * k_ * L_ * (1.0 / sa - 1.0 / sb), np.where(inside, -wb_ * L_ * k_ / sb, 0.0))
    b = np.where(inside, L_ * (wb_ + wq_) * np.sqrt(k_), 0.0)
    c = np.where(inside, -wq_ * L_ * sa, np.where(above, wq_ * L_ * (sb - sa), 0.0))
    a, b, c = a.sum(-1), b.sum(-1), c.sum(-1) + const[:, None]
    q = sizes[:, None, :]
    _, rk, dk = maintenance(np.abs(q) * r, floors, rates, deds)
    a = a + np.sum(q - np.abs(q) * rk, axis=-1)
    c = c + np.sum(dk, axis=-1)
    return a, b, c


def _quadratic_roots_s(a, b, c):
    """Both real roots in ``s`` of ``a s^2 + b s + c`` (NaN where none), stable formulas."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # scale each equation to O(1) coefficients: no underflow in b^2 - 4ac
        m = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(c))
        m = np.where(m > 0, m, 1.0)
        a, b, c = a / m, b / m, c / m
        disc = b * b - 4.0 * a * c
        sq = np.sqrt(np.where(disc > 0, disc, np.nan))
        qq = -0.5 * (b + np.where(b >= 0, sq, -sq))
        r1 = qq / a
        r2 = c / qq
        lin = a == 0
        r_lin = np.where(b != 0, -c / b, np.nan)
        r1 = np.where(lin, r_lin, r1)
        r2 = np.where(lin, np.nan, r2)
    return r1, r2


def _representatives(lo: np.ndarray, hi: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """A point inside each segment ``(lo, hi)``: the geometric mean ``sqrt(lo) sqrt(hi)`` (``lo hi``
    itself can overflow or underflow), ``hi / 2`` below the first edge (at least 5e-324: no float
    lies inside ``(0, 5e-324)``), ``2 lo`` above the last one (at most 1.8e308); ``g`` is asked
    only about prices > 0 and finite. Any point inside classifies the segment: ``g`` has one sign
    between consecutive candidates."""
    with np.errstate(invalid="ignore", over="ignore"):
        mid = np.sqrt(lo) * np.sqrt(hi)
        rep = np.where(lo <= 0, np.maximum(hi / 2.0, _TINY),
                       np.where(np.isinf(hi), np.minimum(2.0 * lo, _HUGE), mid))
        rep = np.where((lo <= 0) & np.isinf(hi), fallback, rep)
    return rep


def _sort_inf(x: np.ndarray) -> np.ndarray:
    return np.sort(np.where(np.isfinite(x), x, np.inf), axis=-1)


def _merge_close(cand: np.ndarray, edges: np.ndarray, g_of: Callable) -> np.ndarray:
    """One candidate per run of sorted candidates each within ``_DUP_RTOL`` of the previous.

    A root on a piece edge is found from the pieces on both sides and is the edge itself, a few
    ulp apart: the run stands for one crossing, and the candidate kept is the one where ``|g|``
    is least (``g_of(rows, P)``: :func:`g_direct` for the accounts ``rows`` at prices ``P``);
    on a tie one of the piece ``edges`` (N, E), then the lowest. So a root exactly on an edge
    (``g`` exactly 0 there, and as often exactly 0 once rounded a few ulp away) is reported
    exactly. ``cand`` (N, K) is sorted with ``inf`` for no candidate; returns it merged, sorted,
    without the columns that are ``inf`` for every account. ``g`` is evaluated only for the
    accounts that have a run of two or more.
    """
    start = np.ones(cand.shape, dtype=bool)
    start[:, 1:] = ~(np.isfinite(cand[:, 1:]) & (cand[:, 1:] <= cand[:, :-1] * (1 + _DUP_RTOL)))
    rows = ~start.all(axis=1)
    if rows.any():
        sub = cand[rows]
        g_abs = np.abs(g_of(rows, np.where(np.isfinite(sub), sub, 1.0)))
        not_edge = ~(sub[:, :, None] == edges[rows][:, None, :]).any(axis=2)
        run = np.cumsum(start[rows].ravel())
        order = np.lexsort((not_edge.ravel(), g_abs.ravel(), run))
        first = np.ones(order.size, dtype=bool)
        first[1:] = run[order[1:]] != run[order[:-1]]
        keep = np.zeros(order.size, dtype=bool)
        keep[order[first]] = True
        cand = cand.copy()
        cand[rows] = _sort_inf(np.where(keep.reshape(sub.shape), sub, np.inf))
    cols = np.isfinite(cand).any(axis=0)
    return cand[:, cols]


def general_kernel(P0, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds):
    """Closed-form boundaries for N accounts. Returns (boundaries (N, K) NaN-padded, g0)."""
    n = P0.shape[0]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        has_lp = L > 0
        edges_lp = np.concatenate(
            [np.where(has_lp, pa / k, np.inf), np.where(has_lp, pb / k, np.inf)], axis=1
        )
        aq = np.abs(sizes)
        edges_t = (floors[1:][None, None, :] / aq[:, :, None]).reshape(n, -1)
    edges = _sort_inf(np.concatenate([edges_lp, edges_t], axis=1))
    lo = np.concatenate([np.zeros((n, 1)), edges], axis=1)
    hi = np.concatenate([edges, np.full((n, 1), np.inf)], axis=1)
    valid = np.isfinite(lo)
    rep = _representatives(lo, hi, P0[:, None] * np.ones_like(lo))
    rep = np.where(valid, rep, 1.0)
    a, b, c = _piece_coefficients(lo, hi, rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates,
                                  deds)
    cands = []
    for s in _quadratic_roots_s(a, b, c):
        with np.errstate(invalid="ignore", over="ignore"):
            p = s * s
            # a root counts only inside its own piece (lo < p <= hi): a root on the piece's
            # lower edge is that edge, a candidate already
            ok = (s > 0) & (p > lo) & (p <= hi)
        cands.append(np.where(ok, p, np.inf))
    # a plateau (g identically 0 on a piece) has no root, yet the safety changes at its edge:
    # every finite piece edge is a candidate too (the classification below keeps it only where
    # the safety changes)
    cand = _sort_inf(np.concatenate([*cands, edges], axis=1))
    cand = _merge_close(cand, edges, lambda rows, P: g_direct(
        P, *(x[rows] for x in (pa, pb, L, k, wb, wq, sizes, const)), floors, rates, deds))
    # classify the segments between candidates; keep candidates where safety changes
    seg_lo = np.concatenate([np.zeros((n, 1)), cand], axis=1)
    seg_hi = np.concatenate([cand, np.full((n, 1), np.inf)], axis=1)
    seg_rep = _representatives(seg_lo, seg_hi, P0[:, None] * np.ones_like(seg_lo))
    seg_rep = np.where(np.isfinite(seg_lo), seg_rep, 1.0)
    g_seg = g_direct(seg_rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds)
    safe = g_seg >= 0
    # (a candidate column j compares segments j and j + 1; where cand[:, j] is finite both are
    # real segments, so the padding segments' safety is never read)
    change = np.isfinite(cand) & (safe[:, :-1] != safe[:, 1:])
    bnd = _sort_inf(np.where(change, cand, np.inf))
    bnd = bnd[:, np.isfinite(bnd).any(axis=0)]
    bnd = np.where(np.isfinite(bnd), bnd, np.nan)
    g0 = g_direct(P0[:, None], pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds)[:, 0]
    return bnd, g0


#: brentq's iteration cap: ~40 iterations on a smooth margin gap, ~110 where g is flat at its
#: root (a triple root, g ~ (P - r)^3); scipy's default of 100 is too few there
_BRENTQ_MAXITER = 200


def _bisect_safety(g: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, safe_lo: bool):
    """The price in ``[lo, hi]`` where ``g >= 0`` changes, bisected until ``lo`` and ``hi`` are
    adjacent floats: the last safe price of a safe -> unsafe change, the first safe price of an
    unsafe -> safe one (``g`` is asked only about prices inside the bracket)."""
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            return lo if safe_lo else hi
        if (float(g(np.array([mid]))[0]) >= 0) == safe_lo:
            lo = mid
        else:
            hi = mid


def numeric_boundaries(g: Callable[[np.ndarray], np.ndarray], P0: float, breakpoints: Sequence[float]):
    """Boundaries of a scalar account by a dense log grid + brentq (no closed form).

    The grid is ``P0 * 10**(j / 2000)``, ``j = -12000 .. 12000`` (2000 points a decade over
    ``P0 * [1e-6, 1e6]``), plus ``P0`` and the breakpoints: an unsafe (or safe) band narrower than
    one grid step (0.115 %) that holds no grid point can be missed. Each sign change of ``g`` is
    solved by :func:`scipy.optimize.brentq` (to ``1e-14`` relative); where ``g`` is exactly 0
    at an end of the bracket (a root on a grid point, or a plateau where ``g`` is identically 0
    ending inside the bracket) the change of ``g >= 0`` itself is bisected to the last bit.
    Returns ``(sorted boundaries, g(P0))``.
    """
    from scipy.optimize import brentq  # heavy: imported on first use, not with lpperp

    grid = np.unique(
        np.concatenate(
            [np.geomspace(P0 * 1e-6, P0 * 1e6, 24001), [P0], np.asarray(breakpoints, dtype=float)]
        )
    )
    grid = grid[np.isfinite(grid) & (grid > 0)]
    vals = g(grid)
    safe = vals >= 0
    out = []
    for i in np.flatnonzero(safe[:-1] != safe[1:]):
        lo, hi = grid[i], grid[i + 1]
        if vals[i] == 0 or vals[i + 1] == 0:
            out.append(_bisect_safety(g, lo, hi, bool(safe[i])))
        else:
            out.append(brentq(lambda x: float(g(np.array([x]))[0]), lo, hi, xtol=1e-14 * lo,
                              maxiter=_BRENTQ_MAXITER))
    return np.unique(np.asarray(out, dtype=float)), float(g(np.array([P0]))[0])


def safe_interval(bnd: np.ndarray, P0: np.ndarray, g0: np.ndarray, gfun: Callable):
    """Safe interval containing ``P0`` (NaN, NaN where already liquidatable).

    When a boundary lies at ``P0`` (within ``1e-9`` relative), ``gfun(P)`` (prices of shape
    (N, 1)) tells on which side of it the account is safe: the interval is the safe side.
    """
    b = np.where(np.isnan(bnd), np.inf, bnd)
    p0 = P0[:, None]
    at = np.abs(b - p0) <= TOL * p0
    below = np.where((b < p0) & ~at, b, -np.inf).max(axis=1, initial=-np.inf)
    above = np.where((b > p0) & ~at, b, np.inf).min(axis=1, initial=np.inf)
    lower = np.where(below == -np.inf, 0.0, below)
    upper = above
    on = at.any(axis=1)
    if on.any():
        r_at = np.where(at, b, np.nan)
        r_lo = np.fmin.reduce(r_at, axis=1)
        r_hi = np.fmax.reduce(r_at, axis=1)
        r_lo = np.where(on, r_lo, P0)
        r_hi = np.where(on, r_hi, P0)
        up_safe = gfun(_representatives(r_hi, above, 2.0 * r_hi)[:, None])[:, 0] >= 0
        down_safe = gfun(_representatives(lower, r_lo, P0)[:, None])[:, 0] >= 0
        lower = np.where(on & up_safe, r_hi, lower)
        upper = np.where(on & ~up_safe & down_safe, r_lo, upper)
        point = on & ~up_safe & ~down_safe
        lower = np.where(point, r_lo, lower)
        upper = np.where(point, r_hi, upper)
    bad = g0 < 0
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)

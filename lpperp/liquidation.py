"""Exact liquidation boundaries: every price where an account's equity crosses its maintenance.

Conventions
-----------
One price factor ``P`` (quote per base, human units) moves; everything else (cash, fees, funding,
positions in other markets) is held fixed. The account is safe where ``g(P) = equity(P) -
maintenance(P) >= 0`` and liquidatable where ``g < 0``. With collateral models of the shocked
weighted form (see :mod:`lpperp.collateral`)::

    g(P) = sum_m [w_b base_m(kP) kP + w_q quote_m(kP)] + C + sum_j q_j (P - E_j) - sum_j MM(|q_j| P)

Between consecutive *breakpoints* (the shocked range edges ``pa/k``, ``pb/k`` and the tier edges
``floor / |q|``) every term is ``a P + b sqrt(P) + c``, so each piece is a quadratic in
``s = sqrt(P)`` (linear in ``P`` when no LP is in range) solved in closed form (coefficients scaled
to O(1), then the stable ``q = -(b + sign(b) sqrt(b^2 - 4ac)) / 2``, roots ``q/a`` and ``c/q``).

Two vectorized kernels, no Python loop over accounts:

- one LP and one perp per account (isolated accounts, maps, :func:`solve_boundaries`): every
  (LP regime x tier) piece has known coefficients and interval, visited in increasing price, so
  the roots come out sorted; temporaries live in per-thread scratch memory. Accounts with a root
  on a piece edge or at the current price go to the general kernel;
- general (several LPs or perps in the moving market): breakpoints sorted per account, then the
  candidate roots are kept only where the safety actually changes (a tangency is not a boundary,
  a root on an edge found from both sides is one boundary).

A collateral model without a closed form (:class:`~lpperp.collateral.FunctionFactor`) falls back
to a dense log grid over ``P0 * [1e-6, 1e6]`` and :func:`scipy.optimize.brentq` per sign change
(boundaries outside that span are not searched).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp._validate import LpperpError, finite, nonnegative, one_of, positive
from lpperp.collateral import weighted_value
from lpperp.perp import MarginRules

__all__ = [
    "LiquidationResult",
    "boundaries_after",
    "boundary_map",
    "health_map",
    "liquidation_boundaries",
    "solve_boundaries",
]

_EDGE_RTOL = 1e-12  # roots this close (relative) to a piece edge still belong to the piece
_DUP_RTOL = 1e-11  # candidate roots closer than this (relative) are one root


# ------------------------------------------------------------------------------------------------
# vectorized kernel
# ------------------------------------------------------------------------------------------------
def _maintenance(notional: np.ndarray, floors: np.ndarray, rates: np.ndarray, deds: np.ndarray):
    k = np.searchsorted(floors, notional, side="right") - 1
    return notional * rates[k] - deds[k], rates[k], deds[k]


def _g_direct(P, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds) -> np.ndarray:
    """``equity - maintenance`` at prices ``P`` of shape ``(N, K)`` (account axis first)."""
    P = np.asarray(P, dtype=float)
    coll = weighted_value(
        P[..., None], pa[:, None, :], pb[:, None, :], L[:, None, :],
        k[:, None, :], wb[:, None, :], wq[:, None, :],
    )
    g = np.sum(coll, axis=-1) + const[:, None]
    q = sizes[:, None, :]
    mm, _, _ = _maintenance(np.abs(q) * P[..., None], floors, rates, deds)
    g = g + np.sum(q * P[..., None] - mm, axis=-1)
    return g


def _piece_coefficients(rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds):
    """``(a, b, c)`` of ``g = a P + b sqrt(P) + c`` on the pieces represented by ``rep`` (N, K)."""
    r = rep[..., None]
    pa_, pb_, L_, k_ = pa[:, None, :], pb[:, None, :], L[:, None, :], k[:, None, :]
    wb_, wq_ = wb[:, None, :], wq[:, None, :]
    sa, sb = np.sqrt(pa_), np.sqrt(pb_)
    q_ = k_ * r
    below = q_ < pa_
    above = q_ > pb_
    inside = ~below & ~above
    a = np.where(below, wb_ * k_ * L_ * (1.0 / sa - 1.0 / sb), np.where(inside, -wb_ * L_ * k_ / sb, 0.0))
    b = np.where(inside, L_ * (wb_ + wq_) * np.sqrt(k_), 0.0)
    c = np.where(inside, -wq_ * L_ * sa, np.where(above, wq_ * L_ * (sb - sa), 0.0))
    a, b, c = a.sum(-1), b.sum(-1), c.sum(-1) + const[:, None]
    q = sizes[:, None, :]
    _, rk, dk = _maintenance(np.abs(q) * r, floors, rates, deds)
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
    """A point strictly inside each segment ``(lo, hi)``: geometric mid, ``hi/2`` or ``2 lo``."""
    with np.errstate(invalid="ignore", over="ignore"):
        mid = np.sqrt(lo * hi)
        rep = np.where(lo <= 0, hi / 2.0, np.where(np.isinf(hi), 2.0 * lo, mid))
        rep = np.where((lo <= 0) & np.isinf(hi), fallback, rep)
    return rep


def _sort_inf(x: np.ndarray) -> np.ndarray:
    return np.sort(np.where(np.isfinite(x), x, np.inf), axis=-1)


def _kernel(P0, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds):
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
    a, b, c = _piece_coefficients(rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds)
    cands = []
    for s in _quadratic_roots_s(a, b, c):
        with np.errstate(invalid="ignore", over="ignore"):
            p = s * s
            ok = (
                valid
                & (s > 0)
                & np.isfinite(p)
                & (p >= lo * (1 - _EDGE_RTOL))
                & (p <= hi * (1 + _EDGE_RTOL))
            )
        cands.append(np.where(ok, p, np.inf))
    cand = _sort_inf(np.concatenate(cands, axis=1))
    # merge duplicates (a root on a piece edge is found from both sides)
    dup = np.zeros_like(cand, dtype=bool)
    dup[:, 1:] = np.isfinite(cand[:, 1:]) & (cand[:, 1:] <= cand[:, :-1] * (1 + _DUP_RTOL))
    cand = _sort_inf(np.where(dup, np.inf, cand))
    keep = np.isfinite(cand).any(axis=0)
    cand = cand[:, keep] if keep.any() else cand[:, :0]
    # classify the segments between candidates; keep candidates where safety changes
    seg_lo = np.concatenate([np.zeros((n, 1)), cand], axis=1)
    seg_hi = np.concatenate([cand, np.full((n, 1), np.inf)], axis=1)
    seg_rep = _representatives(seg_lo, seg_hi, P0[:, None] * np.ones_like(seg_lo))
    seg_rep = np.where(np.isfinite(seg_lo), seg_rep, 1.0)
    g_seg = _g_direct(seg_rep, pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds)
    safe = g_seg >= 0
    # segments after the last finite candidate inherit the last real segment's safety
    n_fin = np.isfinite(cand).sum(axis=1)
    last_safe = np.take_along_axis(safe, n_fin[:, None], axis=1)
    col = np.arange(safe.shape[1])[None, :]
    safe = np.where(col > n_fin[:, None], last_safe, safe)
    change = np.isfinite(cand) & (safe[:, :-1] != safe[:, 1:])
    bnd = _sort_inf(np.where(change, cand, np.inf))
    keep = np.isfinite(bnd).any(axis=0)
    bnd = bnd[:, keep] if keep.any() else bnd[:, :0]
    bnd = np.where(np.isfinite(bnd), bnd, np.nan)
    g0 = _g_direct(P0[:, None], pa, pb, L, k, wb, wq, sizes, const, floors, rates, deds)[:, 0]
    return bnd, g0


_CHUNK = 16384  # accounts per block of the fast kernel (scratch: ~6 MB per thread at most)
_TOL = 1e-9  # roots within this (relative) of a piece edge send the account to _kernel
_WORK = threading.local()  # per-thread scratch memory reused across calls (no page faults)


def _scratch(name: str, rows: int, cols: int, dtype: Any = float) -> np.ndarray:
    """A ``(rows, cols)`` scratch array kept per thread and reused by later calls."""
    buf = getattr(_WORK, name, None)
    if buf is None or buf.shape[0] < rows or buf.shape[1] < cols or buf.dtype != dtype:
        buf = np.empty((rows, max(cols, 1)), dtype=dtype)
        setattr(_WORK, name, buf)
    return buf[:rows, :cols]


def _kernel_fast(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds):
    """One LP and one perp per account (1-d inputs): every (LP regime, tier) piece at once.

    Pieces = the 3 regimes of the shocked price ``kP`` (below, in, above ``[pa, pb]``) crossed with
    the ``T`` tiers, each with known coefficients and interval. Below and above the range ``g`` is
    linear in ``P`` (root ``-c/a``); in range it is ``a s^2 + b s + c`` in ``s = sqrt(P)`` with
    ``b >= 0``: with ``q = -(b + sqrt(b^2 - 4ac)) / 2 <= 0`` the roots are ``c/q`` (the smaller;
    also the root when ``a = 0``) and ``q/a`` (the larger, positive only when ``a < 0``). The
    pieces are disjoint and visited in increasing price, so the roots come out sorted. A root is
    kept when it lies in its piece widened by ``1e-9`` (relative); a root on a piece edge is then
    found from both sides, and such accounts (two roots closer than ``2e-9``), or a root exactly
    at the current price, are flagged for :func:`_kernel`, which merges duplicates and drops
    touching roots. Pieces that exist for no account of a block are skipped; temporaries live in
    per-thread scratch memory (blocks of ``_CHUNK`` accounts bound it).
    Returns ``(boundaries (N, K) NaN-padded, g0, lower, upper, flagged)``.
    """
    n = P0.shape[0]
    if n <= _CHUNK:
        return _fast_chunk(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds)
    parts = [
        _fast_chunk(*(x[s0 : s0 + _CHUNK] for x in (P0, pa, pb, L, k, wb, wq, q, const)),
                    floors, rates, deds)
        for s0 in range(0, n, _CHUNK)
    ]
    width = max(p[0].shape[1] for p in parts)
    bnd = np.concatenate(
        [np.pad(p[0], ((0, 0), (0, width - p[0].shape[1])), constant_values=np.nan)
         for p in parts]
    )
    return (bnd, *(np.concatenate([p[i] for p in parts]) for i in range(1, 5)))


def _fast_chunk(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds):
    """:func:`_kernel_fast` on at most ``_CHUNK`` accounts."""
    n = P0.shape[0]
    nt = floors.shape[0]
    n_rows = 4 * nt
    cand = _scratch("cand", n_rows, n)
    cand.fill(np.nan)
    used = np.zeros(n_rows, dtype=bool)
    n_fin = np.zeros(n, dtype=np.uint8)  # roots found per account (at most 4 T <= 255)
    g0 = np.empty(n)
    work = _scratch("work", 36 + 2 * nt, n)
    flags = _scratch("flags", 3, n, bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        _fast_block(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds, cand, used, n_fin,
                    g0, work, flags)
        rows = [cand[r] for r in np.flatnonzero(used)]
        # finite roots increase down the rows: column j is the least root above column j - 1
        cols: list[np.ndarray] = []
        tmp = _scratch("tmp", 1, n)[0]
        k_bound = int(n_fin.max(initial=0))  # roots per account, duplicates included
        while rows and len(cols) < k_bound:
            col = np.full(n, np.nan)
            for r in rows:
                if cols:
                    np.copyto(tmp, np.nan)
                    np.copyto(tmp, r, where=r > cols[-1])
                    np.fmin(col, tmp, out=col)
                else:
                    np.fmin(col, r, out=col)
            if np.isnan(col).all():
                break
            cols.append(col)
        bnd = np.stack(cols, axis=1) if cols else np.empty((n, 0))
        # one pass over the (few) columns, all 1-d: nearest roots around P0, checks
        lower = np.zeros(n)
        upper = np.full(n, np.inf)
        distinct = np.zeros(n, dtype=np.uint8)
        flagged = np.zeros(n, dtype=bool)
        tol_p0 = _TOL * P0
        for j, col in enumerate(cols):
            lower = np.where(col < P0, col, lower)
            np.add(distinct, col == col, out=distinct, casting="unsafe")  # not NaN
            flagged |= np.abs(col - P0) <= tol_p0  # a root at the current price
            if j:
                flagged |= col <= cols[j - 1] * (1.0 + 2 * _TOL)  # a root on a piece edge
        for col in reversed(cols):
            upper = np.where(col > P0, col, upper)
        flagged |= n_fin > distinct  # exact duplicates were merged above
    bad = g0 < 0
    lower[bad] = np.nan
    upper[bad] = np.nan
    return bnd, g0, lower, upper, flagged


def _fast_block(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds, cand, used, n_fin,
                g0, W, B):
    """:func:`_kernel_fast` on one block: roots into ``cand`` rows, ``g`` at ``P0`` into ``g0``.

    Every temporary is a row of the scratch ``W`` (floats) or ``B`` (bools).
    """
    nt = floors.shape[0]
    lo_f, hi_f = 1.0 - _TOL, 1.0 + _TOL
    mul, add, sub, div = np.multiply, np.add, np.subtract, np.divide
    sa, sb, isb = np.sqrt(pa, out=W[0]), np.sqrt(pb, out=W[1]), W[2]
    div(1.0, sb, out=isb)
    wbl, wql, wblk = mul(wb, L, out=W[3]), mul(wq, L, out=W[4]), W[5]
    mul(wbl, k, out=wblk)
    e1, e2 = div(pa, k, out=W[6]), div(pb, k, out=W[7])
    e1l, e1h = mul(e1, lo_f, out=W[8]), mul(e1, hi_f, out=W[9])
    e2l, e2h = mul(e2, lo_f, out=W[10]), mul(e2, hi_f, out=W[11])
    aq = np.abs(q, out=W[12])
    iaq = div(1.0, aq, out=W[13])
    a_below, a_in, b_in, u, c_in, c_above = (W[i] for i in range(14, 20))
    v = W[32]
    a_t, c_t, hi, lo, p, s, a, c, qq = (W[i] for i in range(20, 29))
    # tier edges in price (loosened by _TOL): 0+, floor_1/|q|, ..., inf
    f_lo: list[Any] = [5e-324]
    f_hi: list[Any] = []
    for t in range(1, nt):
        f_lo.append(mul(iaq, floors[t] * lo_f, out=W[36 + 2 * t]))
        f_hi.append(mul(iaq, floors[t] * hi_f, out=W[37 + 2 * t]))
    f_hi.append(np.inf)
    m1, m2 = B[0], B[1]
    have_below = have_in = have_above = False

    def put(row: int, lo_: Any, hi_: Any, s_pos: np.ndarray | None = None) -> None:
        np.greater_equal(p, lo_, out=m1)
        np.less_equal(p, hi_, out=m2)
        np.logical_and(m1, m2, out=m1)
        if s_pos is not None:
            np.greater(s_pos, 0.0, out=m2)
            np.logical_and(m1, m2, out=m1)
        if m1.any():
            np.copyto(cand[row], p)
            np.logical_not(m1, out=m2)
            np.putmask(cand[row], m2, np.nan)
            np.add(n_fin, m1, out=n_fin, casting="unsafe")
            used[row] = True

    for t in range(nt):
        mul(aq, rates[t], out=a_t)
        sub(q, a_t, out=a_t)
        add(const, deds[t], out=c_t)
        # below the range, tier t
        np.minimum(e1h, f_hi[t], out=hi)
        if (hi > f_lo[t]).any():
            if not have_below:
                div(1.0, sa, out=a_below)
                sub(a_below, isb, out=a_below)
                mul(a_below, wblk, out=a_below)
                have_below = True
            add(a_below, a_t, out=p)
            div(c_t, p, out=p)
            np.negative(p, out=p)
            put(t, f_lo[t], hi)
        # in range, tier t: the smaller root c/q, then the larger q/a
        np.maximum(e1l, f_lo[t], out=lo)
        np.minimum(e2h, f_hi[t], out=hi)
        if (hi > lo).any():
            if not have_in:
                mul(wblk, isb, out=a_in)
                np.negative(a_in, out=a_in)
                add(wbl, wql, out=b_in)
                mul(b_in, np.sqrt(k, out=s), out=b_in)
                mul(wql, sa, out=c_in)
                np.negative(c_in, out=c_in)
                have_in = True
            add(a_in, a_t, out=a)
            add(c_in, c_t, out=c)
            # scale to O(1) coefficients (no under/overflow in b^2 - 4ac), then the stable
            # roots: smaller c/q, larger q/a with q = -(b + sqrt(b^2 - 4ac)) / 2 <= 0
            np.abs(a, out=u)
            np.abs(c, out=v)
            np.maximum(u, v, out=u)
            np.maximum(u, b_in, out=u)
            div(a, u, out=a)
            div(c, u, out=c)
            div(b_in, u, out=v)  # scaled b
            mul(a, c, out=qq)
            mul(qq, -4.0, out=qq)
            mul(v, v, out=u)
            add(qq, u, out=qq)
            np.sqrt(qq, out=qq)
            add(qq, v, out=qq)
            mul(qq, -0.5, out=qq)
            div(c, qq, out=s)
            mul(s, s, out=p)
            put(nt + 2 * t, lo, hi, s)
            div(qq, a, out=s)
            mul(s, s, out=p)
            put(nt + 2 * t + 1, lo, hi, s)
        # above the range, tier t
        np.maximum(e2l, f_lo[t], out=lo)
        if (lo < f_hi[t]).any():
            if not have_above:
                sub(sb, sa, out=c_above)
                mul(c_above, wql, out=c_above)
                have_above = True
            add(c_above, c_t, out=p)
            div(p, a_t, out=p)
            np.negative(p, out=p)
            put(3 * nt + t, lo, f_hi[t])
    # g at the current price
    x, y, z = W[29], W[30], W[31]
    mul(k, P0, out=x)
    np.clip(x, pa, pb, out=y)
    np.sqrt(y, out=y)  # s0
    div(1.0, y, out=z)
    sub(z, isb, out=z)
    mul(z, wbl, out=z)
    mul(z, x, out=z)  # base value
    sub(y, sa, out=y)
    mul(y, wql, out=y)  # quote
    add(z, y, out=z)
    add(z, const, out=z)
    mul(q, P0, out=y)
    add(z, y, out=z)
    mul(aq, P0, out=x)  # notional
    if nt == 1:
        mul(x, rates[0], out=x)
    else:
        t0 = np.searchsorted(floors, x, side="right") - 1
        mul(x, np.take(rates, t0, out=y), out=x)
        sub(x, np.take(deds, t0, out=y), out=x)
    sub(z, x, out=g0)


def _numeric(g: Callable[[np.ndarray], np.ndarray], P0: float, breakpoints: Sequence[float]):
    """Boundaries of a scalar account by a dense log grid + brentq (no closed form)."""
    from scipy.optimize import brentq  # heavy: imported on first use, not with lpperp

    grid = np.unique(
        np.concatenate(
            [P0 * np.logspace(-6, 6, 24001), [P0], np.asarray(breakpoints, dtype=float)]
        )
    )
    grid = grid[np.isfinite(grid) & (grid > 0)]
    vals = g(grid)
    safe = vals >= 0
    out = []
    for i in np.flatnonzero(safe[:-1] != safe[1:]):
        lo, hi = grid[i], grid[i + 1]
        if vals[i] == 0:
            out.append(lo)
        elif vals[i + 1] == 0:
            out.append(hi)
        else:
            out.append(brentq(lambda x: float(g(np.array([x]))[0]), lo, hi, xtol=1e-14 * lo,
                              rtol=4 * np.finfo(float).eps, maxiter=200))
    return np.unique(np.asarray(out, dtype=float)), float(g(np.array([P0]))[0])


def _safe_interval(bnd: np.ndarray, P0: np.ndarray, g0: np.ndarray, gfun: Callable):
    """Safe interval containing ``P0`` (NaN, NaN where already liquidatable).

    When a boundary lies at ``P0`` (within ``1e-9`` relative), ``gfun(P)`` (prices of shape
    (N, 1)) tells on which side of it the account is safe: the interval is the safe side.
    """
    b = np.where(np.isnan(bnd), np.inf, bnd)
    p0 = P0[:, None]
    at = np.abs(b - p0) <= _TOL * p0
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


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    if np.isnan(x):
        return "-"
    if np.isinf(x):
        return "∞"
    return f"{x:,.6g}"


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
        rows = []
        for i in range(min(len(price), 10)):
            b = ", ".join(_fmt(x) for x in bnd[i] if np.isfinite(x)) or "none"
            rows.append(
                f"<tr><td>{_fmt(price[i])}</td><td>{b}</td>"
                f"<td>({_fmt(lower[i])}, {_fmt(upper[i])})</td>"
                f"<td>{_fmt(dist[i])}</td>"
                f"<td>{'yes' if liq_now[i] else 'no'}</td></tr>"
            )
        more = f"<p>... {len(price) - 10} more accounts</p>" if len(price) > 10 else ""
        return (
            "<table><thead><tr><th>price</th><th>boundaries</th><th>safe interval</th>"
            "<th>distance %</th><th>liquidatable now</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
            + more
        )


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
        b, _ = _numeric(lambda p: np.asarray(gs(p), dtype=float), float(np.median(P0)), bps)
        bnd = np.broadcast_to(b, (n, b.size)).astype(float)
        g0 = np.asarray(gs(P0), dtype=float).reshape(n)

        def gfun(P: np.ndarray) -> np.ndarray:
            return np.asarray(gs(P[:, 0]), dtype=float).reshape(-1, 1)
    elif arr["L"].shape[1] == 1 and arr["sizes"].shape[1] == 1:
        one = tuple(x[:, 0] for x in lp_args)
        bnd, g0, lower, upper, flagged = _kernel_fast(
            P0, *one, arr["sizes"][:, 0], const, *tiers
        )
        if flagged.any():
            idx = np.flatnonzero(flagged)
            sub = tuple(x[idx] for x in lp_args)
            b2, g2 = _kernel(P0[idx], *sub, arr["sizes"][idx], const[idx], *tiers)

            def gsub(P: np.ndarray) -> np.ndarray:
                return _g_direct(P, *sub, arr["sizes"][idx], const[idx], *tiers)

            lo2, hi2 = _safe_interval(b2, P0[idx], g2, gsub)
            width = max(bnd.shape[1], b2.shape[1])
            bnd = np.pad(bnd, ((0, 0), (0, width - bnd.shape[1])), constant_values=np.nan)
            bnd[idx] = np.pad(b2, ((0, 0), (0, width - b2.shape[1])), constant_values=np.nan)
            keep = np.isfinite(bnd).any(axis=0)
            bnd = bnd[:, keep]
            g0[idx], lower[idx], upper[idx] = g2, lo2, hi2
    else:
        bnd, g0 = _kernel(P0, *lp_args, arr["sizes"], const, *tiers)

        def gfun(P: np.ndarray) -> np.ndarray:
            return _g_direct(P, *lp_args, arr["sizes"], const, *tiers)

    if "numeric_g" in inp or not (arr["L"].shape[1] == 1 and arr["sizes"].shape[1] == 1):
        lower, upper = _safe_interval(bnd, P0, g0, gfun)
    kk = bnd.shape[1]
    return LiquidationResult(
        price=P0.reshape(shape),
        boundaries=bnd.reshape((*shape, kk)),
        safe_lower=lower.reshape(shape),
        safe_upper=upper.reshape(shape),
        liquidatable_now=(g0 < 0).reshape(shape),
    )


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
    if not hasattr(account, "_kernel_inputs"):
        raise LpperpError(
            f"account must be an IsolatedAccount or CrossAccount, got {type(account).__name__}"
        )
    return _run(account._kernel_inputs(price, market))


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
    w_base: Any = 1.0,
    w_quote: Any = 1.0,
) -> LiquidationResult:
    """Boundaries of many isolated accounts at once (array API; all arguments broadcast).

    Each account: one LP ``(price_lower, price_upper, liquidity)`` weighted as
    ``w_base * base(kP) kP + w_quote * quote(kP)`` (``k = shock``; a static factor ``cf`` is
    ``w_base = w_quote = cf``), one perp ``(size, entry_price)`` under ``rules``, and ``cash``
    (which absorbs accrued fees minus funding). ``liquidity = 0`` means no LP.

    >>> from lpperp.perp import MarginRules
    >>> r = MarginRules("x", 0.1, 0.05)
    >>> res = solve_boundaries(3000.0, [-3.0, 3.0], 3000.0, 1000.0, rules=r)
    >>> np.round(res.liquidation_price_above, 2).tolist(), np.round(res.liquidation_price_below, 2).tolist()
    ([3174.6, nan], [nan, 2807.02])
    """
    if not isinstance(rules, MarginRules):
        raise LpperpError(f"rules must be a MarginRules, got {type(rules).__name__}")
    pa = np.asarray(positive("price_lower", price_lower))
    pb = np.asarray(positive("price_upper", price_upper))
    if np.any(pa >= pb):
        raise LpperpError("price_lower must be < price_upper for every account (never swapped)")
    floors, rates, deds = rules.maintenance_pieces()
    inp = {
        "P0": positive("price", price),
        "pa": pa[..., None],
        "pb": pb[..., None],
        "L": np.asarray(nonnegative("liquidity", liquidity))[..., None],
        "k": np.asarray(positive("shock", shock))[..., None],
        "wb": np.asarray(nonnegative("w_base", w_base))[..., None],
        "wq": np.asarray(nonnegative("w_quote", w_quote))[..., None],
        "sizes": np.asarray(finite("size", size))[..., None],
        "entries": np.asarray(positive("entry_price", entry_price))[..., None],
        "base_const": finite("cash", cash),
        "floors": floors,
        "rates": rates,
        "deds": deds,
    }
    return _run(inp)


# ------------------------------------------------------------------------------------------------
# maps and drift
# ------------------------------------------------------------------------------------------------
_PARAMS = ("width_pct", "width_factor", "leverage", "cf", "cash", "size", "days")


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
    elif param in ("size", "leverage"):
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
    elif param == "days":
        if np.any(v < 0):
            raise LpperpError("days must be >= 0")
        out["base_const"] = inp["base_const"] + _fees_minus_funding(account, inp, v / 365.0, **extra)
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


def boundaries_after(
    account: Any,
    price: Any,
    days: Any,
    *,
    fee_apr: float = 0.0,
    funding_rate_per_year: float = 0.0,
    market: str | None = None,
) -> LiquidationResult:
    """Boundaries after ``days`` of fee income and funding at a constant price (vectorized in days).

    Fees ``fee_apr * V(P) * t`` accrue while the LP is in range (counted at par, quote units);
    funding ``sum_j q_j P rate t`` is paid by longs when the rate is positive. The LP and the
    perps themselves do not change.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("x", 0.1, 0.05))
    >>> res = boundaries_after(acct, 3000.0, [0, 30], funding_rate_per_year=0.5)
    >>> np.round(res.liquidation_price_below, 2).tolist()
    [2807.02, 2936.79]
    """
    inp = account._kernel_inputs(price, market)
    if "numeric_g" in inp:
        raise LpperpError("boundaries_after needs a closed-form collateral model")
    d = np.asarray(nonnegative("days", days), dtype=float)
    p0 = np.asarray(inp["P0"])
    if p0.ndim:
        raise LpperpError("boundaries_after takes one current price")
    out = _vary(inp, "days", d, account,
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
) -> LiquidationResult:
    """Boundaries over a grid of one or two parameters, for heatmaps (one vectorized solve).

    ``param`` in ``width_pct``, ``width_factor`` (the LP re-deposited at today's value over a
    symmetric range), ``leverage`` (perp resized to notional / equity at ``price``), ``cf``
    (a static factor replacing the model), ``cash``, ``size``, ``days`` (fees and funding, see
    :func:`boundaries_after`). With ``param2`` the result has shape ``(len(values), len(values2))``.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import PerpPosition
    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> acct = IsolatedAccount(PerpPosition(-6.0, 3000.0), lp)
    >>> m = boundary_map(acct, 3000.0, "width_pct", np.linspace(5, 50, 200), "leverage",
    ...                  np.linspace(0.5, 5, 200))
    >>> m.safe_upper.shape
    (200, 200)
    """
    one_of("param", param, _PARAMS)
    inp = account._kernel_inputs(price, market)
    if "numeric_g" in inp:
        raise LpperpError("boundary maps need a closed-form collateral model")
    if np.ndim(inp["P0"]):
        raise LpperpError("boundary maps take one current price")
    extra = {"fee_apr": fee_apr, "funding_rate_per_year": funding_rate_per_year}
    v1 = np.asarray(values, dtype=float).reshape(-1)
    if param2 is None:
        return _run(_vary(inp, param, v1, account, extra))
    one_of("param2", param2, _PARAMS)
    if param2 == param:
        raise LpperpError("param2 must differ from param")
    v2 = np.asarray(values2, dtype=float).reshape(-1)
    # order matters: apply the structural change (range, cf) first, the perp sizing last
    order = sorted([(param, v1[:, None]), (param2, v2[None, :])],
                   key=lambda t: t[0] in ("leverage", "days"))
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
) -> np.ndarray:
    """``equity / maintenance`` over ``values`` of ``param`` (rows) and ``prices`` (columns).

    ``price`` is the current price the parameter is applied at (default: the geometric middle
    of ``prices``). Values below 1 are liquidatable; ``inf`` where there is no requirement.

    >>> from lpperp.margin import IsolatedAccount
    >>> from lpperp.perp import MarginRules, PerpPosition
    >>> acct = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
    ...                        rules=MarginRules("x", 0.1, 0.05))
    >>> h = health_map(acct, [3000.0, 3174.6], "cash", [1000.0, 2000.0], price=3000.0)
    >>> np.round(h, 3).tolist()
    [[2.222, 1.0], [4.444, 3.1]]
    """
    one_of("param", param, _PARAMS)
    grid = np.asarray(positive("prices", prices), dtype=float).reshape(-1)
    p_now = np.sqrt(grid.min() * grid.max()) if price is None else price
    inp = account._kernel_inputs(p_now, market)
    if "numeric_g" in inp:
        raise LpperpError("health maps need a closed-form collateral model")
    v = np.asarray(values, dtype=float).reshape(-1)
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
    mm, _, _ = _maintenance(np.abs(q) * P[..., None], out["floors"], out["rates"], out["deds"])
    mm = np.sum(mm, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mm == 0, np.where(eq >= 0, np.inf, -np.inf), eq / np.where(mm == 0, 1, mm))

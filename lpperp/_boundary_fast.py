"""Closed-form liquidation boundaries, fast case: one LP and one perp per account.

Private engine of :mod:`lpperp.liquidation`. Every (LP regime x tier) piece has known coefficients
and interval and is visited in increasing price, so the roots come out sorted; temporaries live in
per-thread scratch memory, accounts are processed in blocks of ``_CHUNK``. Accounts with a root on
a piece edge or at the current price are flagged for
:func:`lpperp._boundary_kernels.general_kernel`.

Conventions
-----------
1-d inputs, one entry per account: ``P0``, ``pa, pb, L, k, wb, wq`` (the LP: range, human
liquidity, shock, base and quote weights), ``q`` (perp size), ``const`` (cash minus the perp's
entry notional); the maintenance schedule as ``floors, rates, deds``
(:meth:`lpperp.perp.MarginRules.maintenance_pieces`). Prices in quote per base.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from lpperp._boundary_kernels import TOL

__all__ = ["fast_kernel"]

_CHUNK = 16384  # accounts per block of the fast kernel (scratch: ~6 MB per thread at most)
#: a piece whose coefficients are this small (relative to the terms they sum) is a plateau
_FLAT_RTOL = 1e-12
_WORK = threading.local()  # per-thread scratch memory reused across calls (no page faults)


def _scratch(name: str, rows: int, cols: int, dtype: Any = float) -> np.ndarray:
    """A ``(rows, cols)`` scratch array kept per thread and reused by later calls."""
    buf = getattr(_WORK, name, None)
    if buf is None or buf.shape[0] < rows or buf.shape[1] < cols or buf.dtype != dtype:
        buf = np.empty((rows, max(cols, 1)), dtype=dtype)
        setattr(_WORK, name, buf)
    return buf[:rows, :cols]


def fast_kernel(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds):
    """One LP and one perp per account (1-d inputs): every (LP regime, tier) piece at once.

    Pieces = the 3 regimes of the shocked price ``kP`` (below, in, above ``[pa, pb]``) crossed with
    the ``T`` tiers, each with known coefficients and interval. Below and above the range ``g`` is
    linear in ``P`` (root ``-c/a``); in range it is ``a s^2 + b s + c`` in ``s = sqrt(P)`` with
    ``b >= 0``: with ``q = -(b + sqrt(b^2 - 4ac)) / 2 <= 0`` the roots are ``c/q`` (the smaller;
    also the root when ``a = 0``) and ``q/a`` (the larger, positive only when ``a < 0``). The
    pieces are disjoint and visited in increasing price, so the roots come out sorted. A root is
    kept when it lies in its piece widened by ``1e-9`` (relative); a root on a piece edge is then
    found from both sides, and such accounts (two roots closer than ``2e-9``), or a root exactly
    at the current price, are flagged for the general kernel, which merges duplicates and drops
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
    """:func:`fast_kernel` on at most ``_CHUNK`` accounts."""
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
        tol_p0 = TOL * P0
        for j, col in enumerate(cols):
            lower = np.where(col < P0, col, lower)
            np.add(distinct, col == col, out=distinct, casting="unsafe")  # not NaN
            flagged |= np.abs(col - P0) <= tol_p0  # a root at the current price
            if j:
                flagged |= col <= cols[j - 1] * (1.0 + 2 * TOL)  # a root on a piece edge
        for col in reversed(cols):
            upper = np.where(col > P0, col, upper)
        flagged |= n_fin > distinct  # exact duplicates were merged above
        flagged |= flags[2]  # g (nearly) identically 0 on a piece: its edges may be boundaries
    bad = g0 < 0
    lower[bad] = np.nan
    upper[bad] = np.nan
    return bnd, g0, lower, upper, flagged


def _fast_block(P0, pa, pb, L, k, wb, wq, q, const, floors, rates, deds, cand, used, n_fin,
                g0, W, B):
    """:func:`fast_kernel` on one block: roots into ``cand`` rows, ``g`` at ``P0`` into ``g0``.

    Every temporary is a row of the scratch ``W`` (floats) or ``B`` (bools).
    """
    nt = floors.shape[0]
    lo_f, hi_f = 1.0 - TOL, 1.0 + TOL
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
    # tier edges in price (loosened by TOL): 0+, floor_1/|q|, ..., inf
    f_lo: list[Any] = [5e-324]
    f_hi: list[Any] = []
    for t in range(1, nt):
        f_lo.append(mul(iaq, floors[t] * lo_f, out=W[36 + 2 * t]))
        f_hi.append(mul(iaq, floors[t] * hi_f, out=W[37 + 2 * t]))
    f_hi.append(np.inf)
    m1, m2, flat = B[0], B[1], B[2]
    flat.fill(False)
    # plateau checks: g = a P + c is identically 0 on a piece when |a| and |c| vanish next to the
    # terms they sum (a_t's scale |q| (1 + rate_t), then a_below >= 0 and |const| + ded_t)
    sc_a, tmp_a, abs_const = W[33], W[34], W[35]
    np.abs(const, out=abs_const)
    # the LP's coefficients in each regime (g's other terms are the tier's a_t P + c_t):
    # below: wb L k (1/sa - 1/sb) P; in: -wb L k / sb P + (wb + wq) L sqrt(k) sqrt(P) - wq L sa;
    # above: wq L (sb - sa)
    div(1.0, sa, out=a_below)
    sub(a_below, isb, out=a_below)
    mul(a_below, wblk, out=a_below)
    mul(wblk, isb, out=a_in)
    np.negative(a_in, out=a_in)
    add(wbl, wql, out=b_in)
    mul(b_in, np.sqrt(k, out=s), out=b_in)
    mul(wql, sa, out=c_in)
    np.negative(c_in, out=c_in)
    sub(sb, sa, out=c_above)
    mul(c_above, wql, out=c_above)

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

    def linear(row: int, a_: np.ndarray, c_: np.ndarray, lo_: Any, hi_: Any) -> None:
        # the root P = -c/a of a linear piece a P + c, kept where it lies in [lo_, hi_]
        div(c_, a_, out=p)
        np.negative(p, out=p)
        put(row, lo_, hi_)

    def plateau(a_: np.ndarray, scale_a: np.ndarray, c_: np.ndarray, scale_c: np.ndarray) -> None:
        # flag the accounts where |a_| <= rtol scale_a and |c_| <= rtol scale_c
        np.abs(a_, out=tmp_a)
        np.less_equal(tmp_a, mul(scale_a, _FLAT_RTOL, out=p), out=m1)
        if m1.any():
            np.abs(c_, out=tmp_a)
            np.less_equal(tmp_a, mul(scale_c, _FLAT_RTOL, out=p), out=m2)
            np.logical_and(m1, m2, out=m1)
            np.logical_or(flat, m1, out=flat)

    for t in range(nt):
        mul(aq, rates[t], out=a_t)
        sub(q, a_t, out=a_t)
        add(const, deds[t], out=c_t)
        mul(aq, 1.0 + rates[t], out=sc_a)
        # below the range, tier t
        np.minimum(e1h, f_hi[t], out=hi)
        if (hi > f_lo[t]).any():
            add(a_below, a_t, out=a)
            # (the in-range piece is a plateau only without LP value, when its coefficients
            # are these: checked here too)
            plateau(a, add(sc_a, a_below, out=lo), c_t, add(abs_const, abs(deds[t]), out=c))
            linear(t, a, c_t, f_lo[t], hi)
        # in range, tier t: the smaller root c/q, then the larger q/a
        np.maximum(e1l, f_lo[t], out=lo)
        np.minimum(e2h, f_hi[t], out=hi)
        if (hi > lo).any():
            # a piece that is one point once loosened is empty: no root of it, whatever the
            # block's other accounts (otherwise a root exactly there would count only when
            # another account of the block has the piece)
            np.putmask(lo, hi <= lo, np.inf)
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
            add(c_above, abs_const, out=hi)
            add(hi, abs(deds[t]), out=hi)
            add(c_above, c_t, out=c)
            plateau(a_t, sc_a, c, hi)
            linear(3 * nt + t, a_t, c, lo, f_hi[t])
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

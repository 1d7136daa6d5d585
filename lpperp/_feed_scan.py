"""Kernels of :class:`lpperp.oracle.ChainlinkFeed`: the path-dependent deviation/heartbeat scan.

The answer a feed reports depends on its last answer, so the scan cannot be one ufunc; these
kernels vectorize it two ways (update to update for few long paths, time-major blocks for many
paths) and write the output once with ``np.repeat``. Both give the update events that
:meth:`lpperp.oracle.ChainlinkFeed.step` gives, exactly (same comparisons).

Conventions: ``t`` 1-d times in seconds (non-decreasing), ``x`` prices ``(paths, n)`` quote per
base, ``dev`` the deviation fraction, ``hb`` the heartbeat in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lpperp._validate import positive

__all__ = ["chainlink_scan", "check_positive"]


def check_positive(p: np.ndarray) -> None:
    """Raise (naming the first bad element) unless every price is finite and > 0 (two reads)."""
    lo, hi = p.min(), p.max()  # NaN propagates: two read passes check finiteness and sign
    if not (lo > 0 and np.isfinite(hi)):
        positive("prices", p)


def _block_length(n: int) -> int:
    """A block length dividing ``n`` (no padded copy) near 16 when there is one."""
    for b in (16, 20, 12, 25, 24, 32, 10, 40, 8, 50, 48, 64):
        if n % b == 0:
            return b
    return 16


def _chainlink_jump(
    t: np.ndarray, x: np.ndarray, dev: float, hb: float
) -> tuple[np.ndarray, np.ndarray]:
    """Update events of a deviation/heartbeat feed on ``x`` (paths, n): update to update.

    One pass computes each block's max and min (blocks of ``B`` times). Then every path jumps from
    one update to the next, all paths at once: the rest of the current block is tested element
    by element, then the following blocks by their max/min (a block whose max is above the band,
    whose min is below it, or whose last time reaches the heartbeat holds the next update), then
    the elements of that block. The comparisons are those of :meth:`ChainlinkFeed.step` (exact).
    The output is written once with ``np.repeat`` (answers held between updates). The Python
    loop runs over updates (all paths in each round), never over times.
    """
    n_paths, n = x.shape
    check_positive(x)
    up, down = 1.0 + dev, 1.0 - dev
    b = _block_length(n)
    nb = -(-n // b)
    if nb * b == n:
        xr = x.reshape(n_paths, nb, b)
        tr = t.reshape(nb, b)
    else:
        xr = np.empty((n_paths, nb * b))
        xr[:, :n] = x
        xr[:, n:] = x[:, -1:]
        xr = xr.reshape(n_paths, nb, b)
        tr = np.full(nb * b, np.inf)
        tr[:n] = t
        tr = tr.reshape(nb, b)
    bmax, bmin = xr.max(axis=2), xr.min(axis=2)
    tlast = t[np.minimum(np.arange(1, nb + 1) * b, n) - 1]
    win = min(nb, 64)
    wcols = np.arange(win)
    cols = np.arange(b)
    a = x[:, 0].copy()
    hi, lo = a * up, a * down
    due = np.full(n_paths, t[0] + hb)
    pos = np.ones(n_paths, dtype=np.int64)
    ev_rows = [np.arange(n_paths)]
    ev_cols = [np.zeros(n_paths, dtype=np.int64)]

    def first_in_block(rows: np.ndarray, blk: np.ndarray, off: Any) -> np.ndarray:
        xs, ts = xr[rows, blk], tr[blk]
        c = (xs > hi[rows, None]) | (xs < lo[rows, None]) | (ts >= due[rows, None])
        if off is not None:
            c &= cols[None, :] >= off[:, None]
        return np.where(c.any(axis=1), blk * b + c.argmax(axis=1), -1)

    active = np.arange(n_paths) if n > 1 else np.arange(0)
    while active.size:
        p = pos[active]
        blk = p // b
        idx = first_in_block(active, blk, p - blk * b)
        todo = np.flatnonzero(idx < 0)
        nxt = blk[todo] + 1
        while todo.size:  # block level, a window of blocks at a time
            rr = active[todo]
            jw = np.minimum(nxt[:, None] + wcols[None, :], nb - 1)
            cb = bmax[rr[:, None], jw] > hi[rr, None]
            cb |= bmin[rr[:, None], jw] < lo[rr, None]
            cb |= tlast[jw] >= due[rr, None]
            cb &= (nxt[:, None] + wcols[None, :]) < nb
            found = cb.any(axis=1)
            k = np.flatnonzero(found)
            if k.size:
                jb = jw[k, cb[k].argmax(axis=1)]
                idx[todo[k]] = first_in_block(rr[k], jb, None)
            more = ~found & (nxt + win < nb)
            todo, nxt = todo[more], nxt[more] + win
        hit = (idx >= 0) & (idx < n)
        rows, iu = active[hit], idx[hit]
        ev_rows.append(rows)
        ev_cols.append(iu)
        a[rows] = x[rows, iu]
        hi[rows], lo[rows] = a[rows] * up, a[rows] * down
        due[rows] = t[iu] + hb
        pos[rows] = iu + 1
        active = rows[iu + 1 < n]
    return np.concatenate(ev_rows), np.concatenate(ev_cols)


def _chainlink_time_major(
    t: np.ndarray, x: np.ndarray, dev: float, hb: float
) -> tuple[np.ndarray, np.ndarray]:
    """Update events, a block of times at a time over all paths (many paths).

    The prices are transposed once (time-major, in cache-sized tiles) so that every big
    operation runs along the paths (long contiguous loops): a block of ``K`` times is compared
    with each path's band held at its value at the block's start (two comparisons and an ``or``;
    the heartbeat only when the earliest due time falls in the block); only the paths that
    updated are compared again after their update, with their new band. Same comparisons as
    :meth:`ChainlinkFeed.step` (exact).
    """
    n_paths, n = x.shape
    xt = np.empty((n, n_paths))
    for j in range(0, n_paths, 256):  # transposed in cache-sized tiles (~1.3x np.copyto)
        tile = x[j : j + 256]
        check_positive(tile)  # checked while the tile is in cache
        xt[:, j : j + 256] = tile.T
    up, down = 1.0 + dev, 1.0 - dev
    hi, lo = x[:, 0] * up, x[:, 0] * down
    due = np.full(n_paths, t[0] + hb)
    due_min = float(due.min())
    ev_rows = [np.arange(n_paths)]
    ev_cols = [np.zeros(n_paths, dtype=np.int64)]
    k = 16
    i = 1
    while i < n:
        j = min(n, i + k)
        blk, tb = xt[i:j], t[i:j, None]
        c = blk > hi
        c |= blk < lo
        if t[j - 1] >= due_min:
            c |= tb >= due
        rows = np.flatnonzero(c.any(axis=0))
        if rows.size:
            first = c[:, rows].argmax(axis=0)
            steps = np.arange(j - i)[:, None]
            while rows.size:
                v = blk[first, rows]
                ev_rows.append(rows)
                ev_cols.append(first + i)
                hi[rows], lo[rows] = v * up, v * down
                due[rows] = t[i + first] + hb
                sub = blk[:, rows]
                cc = sub > hi[rows]
                cc |= sub < lo[rows]
                cc |= tb >= due[rows]
                cc &= steps > first
                keep = np.flatnonzero(cc.any(axis=0))
                rows, first = rows[keep], cc[:, keep].argmax(axis=0)
            due_min = float(due.min())
        i = j
    return np.concatenate(ev_rows), np.concatenate(ev_cols)


def chainlink_scan(
    t: np.ndarray, x: np.ndarray, dev: float, hb: float, with_updated: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reported answers (and ``updatedAt``) on ``x`` (paths, n) from the update events.

    Many short paths go time-major (:func:`_chainlink_time_major`), few long ones update to
    update (:func:`_chainlink_jump`); both give the same events. The output is written once with
    ``np.repeat``: each answer held until the path's next update.
    """
    n_paths, n = x.shape
    scan = _chainlink_time_major if n_paths >= 64 or n <= 64 else _chainlink_jump
    rows, cols = scan(t, x, dev, hb)
    flat = rows * n + cols
    flat.sort()
    lengths = np.empty_like(flat)
    lengths[:-1] = flat[1:] - flat[:-1]
    lengths[-1] = n_paths * n - flat[-1]
    out = np.repeat(x.reshape(-1)[flat], lengths).reshape(n_paths, n)
    upd = np.repeat(t[flat % n], lengths).reshape(n_paths, n) if with_updated else None
    return out, upd

"""The general kernel's candidate rules at their exact edges (issue 14).

:func:`lpperp._boundary_kernels.general_kernel` takes as candidates each piece's roots inside
the piece and every piece edge, then keeps one candidate per run of sorted candidates each
within ``1e-11`` (relative, inclusive) of the previous: the one where ``|g|`` is least. Two
contracts that follow, tested where a wrong rule would show:

- the run is inclusive and chains: a candidate exactly ``1e-11`` above the previous joins its
  run, the next float above does not;
- an LP that holds nothing (``L = 0``) changes nothing: its range edges are not piece edges,
  so they are not candidates either, even where one would stand for a boundary better than the
  kernel's own root (there, as a candidate, it would be kept in the root's place).
"""

from __future__ import annotations

import numpy as np

from lpperp._boundary_kernels import _DUP_RTOL, _merge_close, g_direct, general_kernel

TIERS = (np.array([0.0, 4096.0]), np.array([0.0625, 0.125]), np.array([0.0, 256.0]))


def merged(values, g_abs):
    cand = np.array([values], dtype=float)
    g = np.array([g_abs], dtype=float)
    out = _merge_close(cand, np.zeros((1, 0)), lambda rows, P: g[rows])
    return out[0][np.isfinite(out[0])].tolist()


def test_a_run_is_inclusive_and_chains():
    x = 3000.0
    y = x * (1 + _DUP_RTOL)  # exactly the bound, computed as the kernel computes it
    z = y * (1 + _DUP_RTOL)
    assert merged([x, y], [1.0, 0.5]) == [y]  # one run: the least |g| is kept
    assert merged([x, y, z], [0.5, 1.0, 0.25]) == [z]  # x-y and y-z chain into one run
    above = np.nextafter(y, np.inf)
    assert merged([x, above], [1.0, 0.5]) == [x, above]  # two runs
    assert merged([x, y, 5000.0], [0.5, 0.5, 0.0]) == [x, 5000.0]  # a tie: the lowest


def test_an_empty_lp_changes_nothing():
    rng = np.random.default_rng(21)
    n = 300
    pa = rng.uniform(1000.0, 3000.0, n)
    args = [pa[:, None], (pa * rng.uniform(1.2, 3.0, n))[:, None], rng.uniform(100.0, 3000.0, (n, 1)),
            rng.uniform(0.7, 1.0, (n, 1)), rng.uniform(0.3, 1.0, (n, 1)),
            rng.uniform(0.3, 1.0, (n, 1)), (rng.choice([-1.0, 1.0], n) * rng.uniform(1.0, 20.0, n))[:, None],
            rng.normal(0.0, 2e4, n), *TIERS]
    P0 = np.full(n, 3000.0)
    bnd, _ = general_kernel(P0, *args)
    b = np.where(np.isfinite(bnd), bnd, 1.0)
    # the float within 64 ulp of each boundary where |g| is least (the boundary itself if none
    # is less): an empty LP's edge placed there would be the better candidate
    steps = b[:, :, None] + np.spacing(b)[:, :, None] * np.arange(-64, 65)
    g = np.abs(g_direct(steps.reshape(n, -1), *args)).reshape(steps.shape)
    best = np.take_along_axis(steps, g.argmin(axis=2)[:, :, None], axis=2)[:, :, 0]
    better = np.isfinite(bnd) & (best != bnd)
    assert better.sum() >= 20  # enough accounts where an edge there would be taken instead
    edge = np.where(better.any(axis=1), np.max(np.where(better, best, 0.0), axis=1), 100.0)
    empty = [edge, 2.0 * edge, np.zeros(n), np.ones(n), np.ones(n), np.ones(n)]
    with_empty = [np.concatenate([a, e[:, None]], axis=1) for a, e in zip(args[:6], empty, strict=True)]
    bnd2, _ = general_kernel(P0, *with_empty, *args[6:])
    np.testing.assert_array_equal(bnd2, bnd)

"""Shared references for the liquidation tests: random generic accounts and a dense-scan root
finder independent of the kernels (a log grid, then bisection to the last bit)."""

from __future__ import annotations

import numpy as np


def accounts(seed, n):
    rng = np.random.default_rng(seed)
    pa = rng.uniform(300.0, 5000.0, n)
    return {
        "pa": pa, "pb": pa * rng.uniform(1.01, 4.0, n),
        "L": rng.uniform(0.0, 3000.0, n) * (rng.random(n) < 0.9),
        "k": rng.uniform(0.6, 1.0, n), "wb": rng.uniform(0.0, 1.0, n),
        "wq": rng.uniform(0.0, 1.0, n), "q": rng.normal(0.0, 12.0, n),
        "e": rng.uniform(1000.0, 5000.0, n), "cash": rng.normal(0.0, 10_000.0, n),
    }


def scan_roots(g, lo=1e-3, hi=1e4, n=20_001):
    """Every sign change of ``g >= 0`` on a log grid, bisected to the last bit."""
    grid = np.geomspace(lo, hi, n)
    safe = g(grid) >= 0
    out = []
    for i in np.flatnonzero(safe[:-1] != safe[1:]):
        a, b, s_a = grid[i], grid[i + 1], safe[i]
        for _ in range(100):
            m = 0.5 * (a + b)
            a, b = (m, b) if (g(np.array([m]))[0] >= 0) == s_a else (a, m)
        out.append(b)
    return np.array(out)

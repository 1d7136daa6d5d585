"""Shared references for the oracle tests (imported by tests/test_oracle*.py; not a test module).

``chainlink_loop`` is the Chainlink deviation / heartbeat rule written out, one path and one time at
a time: a new answer when the price moves by more than the deviation threshold from the last
on-chain answer, or when the heartbeat elapsed since the last update, "the first condition that is
met triggers an update" (smartcontractkit/documentation
``src/content/architecture-overview/architecture-decentralized-model.mdx`` @ 1e522ae, read
2026-11-30). ``random_paths`` draws seeded geometric random-walk price paths.
"""

from __future__ import annotations

import numpy as np


def random_paths(seed, n_paths, n_steps, sigma_step=0.002, dt=12.0, max_gap_seconds=None):
    """``(times (n_steps,), prices (n_paths, n_steps))``: a seeded random walk from 3000.

    Times are ``dt`` apart, or (``max_gap_seconds`` given) cumulative integer gaps drawn in
    ``[0, max_gap_seconds)``: repeated times included.
    """
    rng = np.random.default_rng(seed)
    x = 3000.0 * np.exp(np.cumsum(rng.normal(0.0, sigma_step, (n_paths, n_steps)), axis=1))
    if max_gap_seconds is None:
        t = np.arange(n_steps) * dt
    else:
        t = np.cumsum(rng.integers(0, max_gap_seconds, n_steps)).astype(float)
    return t, x


def chainlink_loop(t, prices, dev, hb):
    """The deviation / heartbeat rule, one path and one time at a time (the reference)."""
    out = np.empty_like(prices)
    for j in range(prices.shape[0]):
        a, u = float(prices[j, 0]), float(t[0])
        out[j, 0] = a
        for i in range(1, prices.shape[1]):
            p = float(prices[j, i])
            if p > a * (1 + dev) or p < a * (1 - dev) or float(t[i]) >= u + hb:
                a, u = p, float(t[i])
            out[j, i] = a
    return out

"""Risk: bridge monitoring on paths that land exactly on, or jump past, a boundary (issue 14).

The paths are deterministic (a process whose increments are given), so the bridge's per-step rule
can be evaluated by hand: a grid point on or past a boundary crosses it with probability 1 (no
``0 x inf``: the bridge with no diffusion is quiet), and the step's crossing is split between the
sides in proportion to ``p_lo`` and ``p_hi`` with ``p = exp(-2 d_prev d_cur / (sigma^2 dt))``
(the module docstring and ``_bridge_update``'s)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp.risk import liquidation_probability


class _GivenSteps:
    """Every path takes the same given log increments; ``diffusion_sigma`` is what the bridge
    assumes between grid points."""

    def __init__(self, increments, diffusion_sigma):
        self.increments = list(increments)
        self.diffusion_sigma = diffusion_sigma

    def sampler(self, ss, n_paths, dt_years):
        state = {"t": 0}

        def draw(n):
            t = state["t"]
            state["t"] = t + n
            return np.repeat(np.array(self.increments[t:t + n], float)[:, None], n_paths, axis=1)

        return draw


@pytest.mark.parametrize("side", ["lower", "upper"])
def test_a_path_on_the_boundary_without_diffusion_is_liquidated_quietly(side):
    lower, upper = (2.0, None) if side == "lower" else (None, 8.0)
    edge = lower if side == "lower" else upper
    proc = _GivenSteps([math.log(edge / 4.0), 0.0], diffusion_sigma=0.0)
    with np.errstate(all="raise"):
        r = liquidation_probability(proc, 4.0, lower, upper, 2.0, 2, 3, seed=0,
                                    monitoring="bridge")
    assert r.probability == 1.0
    np.testing.assert_array_equal(r.cumulative, [0.0, 1.0, 1.0])
    assert (r.probability_lower, r.probability_upper) == ((1.0, 0.0) if side == "lower"
                                                           else (0.0, 1.0))


def test_a_jump_past_one_side_splits_by_the_bridge_probabilities():
    # from 0 to cur past the lower boundary in one step of dt = 1 with sigma = 1: p_lo = 1 and
    # p_hi = exp(-2 (h - 0)(h - cur) / (sigma^2 dt)); the crossing (probability 1) goes
    # 1 / (1 + p_hi) below and p_hi / (1 + p_hi) above
    lo, hi, p0 = 2.0, 8.0, 4.0
    cur = math.log(1.9 / p0)
    h = math.log(hi / p0)
    p_hi = math.exp(-2.0 * (h - 0.0) * (h - cur) / (1.0 * 1.0))
    assert 0.01 < p_hi < 0.5  # a real share on both sides
    proc = _GivenSteps([cur], diffusion_sigma=1.0)
    r = liquidation_probability(proc, p0, lo, hi, 1.0, 1, 4, seed=0, monitoring="bridge")
    assert r.probability == pytest.approx(1.0, abs=1e-15)
    assert r.probability_lower == pytest.approx(1.0 / (1.0 + p_hi), rel=1e-12)
    assert r.probability_upper == pytest.approx(p_hi / (1.0 + p_hi), rel=1e-12)
    # and mirrored: a jump past the upper boundary
    cur = math.log(8.5 / p0)
    lg = math.log(lo / p0)
    p_lo = math.exp(-2.0 * (0.0 - lg) * (cur - lg))
    r = liquidation_probability(_GivenSteps([cur], 1.0), p0, lo, hi, 1.0, 1, 4, seed=0,
                                monitoring="bridge")
    assert r.probability_upper == pytest.approx(1.0 / (1.0 + p_lo), rel=1e-12)
    assert r.probability_lower == pytest.approx(p_lo / (1.0 + p_lo), rel=1e-12)

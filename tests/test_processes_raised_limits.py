"""sample_paths passes raised limits on to the chunks it fills (issue 14).

``sample_paths(..., max_path_steps=, max_array_values=)`` promises the run the caller allowed:
the same limits must hold for every check inside (iter_paths checks the path-steps and one
chunk's array again). Running such a run to the end costs 2e9 path-steps or a 0.8 GB chunk, so
the process here stops the run at its first draw: reaching the draw means every budget check let
the request through. ``sampler`` is the first call into the process after the checks
(lpperp/processes.py ``_increments``), made before any path array is filled.
"""

from __future__ import annotations

import pytest

from lpperp._validate import LpperpError
from lpperp.processes import (
    MAX_ARRAY_VALUES,
    MAX_PATH_STEPS,
    PATH_BLOCK,
    STEP_COST_PATHS,
    sample_paths,
)


class Reached(Exception):
    """The run got past every check to the process's first draw."""


class StopAtFirstDraw:
    diffusion_sigma = 0.5

    def sampler(self, ss, n_paths, dt_years):
        raise Reached


def test_a_raised_path_step_limit_reaches_the_draws():
    # one path of n steps costs n * STEP_COST_PATHS path-steps: just over the default limit
    n_steps = MAX_PATH_STEPS // STEP_COST_PATHS + 1
    with pytest.raises(LpperpError, match=r"^sample_paths: "):
        sample_paths(StopAtFirstDraw(), 3000.0, 1.0, n_steps, 1)
    with pytest.raises(Reached):
        sample_paths(StopAtFirstDraw(), 3000.0, 1.0, n_steps, 1, max_path_steps=2 * MAX_PATH_STEPS)


def test_a_raised_array_limit_reaches_the_chunks():
    # one chunk of PATH_BLOCK paths x (n_steps + 1) prices: just over the default array limit
    n_steps = MAX_ARRAY_VALUES // PATH_BLOCK
    assert (n_steps + 1) * PATH_BLOCK > MAX_ARRAY_VALUES
    with pytest.raises(LpperpError, match=r"^sample_paths: an array of"):
        sample_paths(StopAtFirstDraw(), 3000.0, 1.0, n_steps, PATH_BLOCK)
    with pytest.raises(Reached):
        sample_paths(StopAtFirstDraw(), 3000.0, 1.0, n_steps, PATH_BLOCK,
                     max_array_values=2 * MAX_ARRAY_VALUES)

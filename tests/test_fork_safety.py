"""lpperp's worker threads survive ``fork``: a child process (``multiprocessing`` with the fork start
method, the default on Linux before Python 3.14, or a test runner that forks) that runs the threaded
paths gets the same answers, instead of waiting forever on the parent's thread pool (fork copies
only the calling thread, so the inherited executor's workers do not exist in the child).
Found by ``make mutate``: mutmut forks a child per mutant, and every mutant of swap.py that reached
the threaded kernel after the parent had used it timed out."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest

from lpperp.liquidity import value_for_liquidity
from lpperp.swap import LiquidityProfile, float_swap

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                                reason="needs os.fork (POSIX)")

N = (1 << 20) + 12_345  # above both threaded thresholds (2**20 values, 2**19 swaps)


def _threaded_results() -> tuple[np.ndarray, np.ndarray]:
    prices = np.linspace(1500.0, 4500.0, N)
    value = value_for_liquidity(prices, 2000.0, 4000.0, 1e4)
    profile = LiquidityProfile.uniform(3000.0, 1e6, 0.003)
    quote, _ = float_swap(profile, 3000.0, np.linspace(-5.0, 5.0, N))
    return value, quote


def _in_a_forked_child(expected: tuple[np.ndarray, np.ndarray], limit_s: float = 60.0) -> int:
    pid = os.fork()
    if pid == 0:  # the child: same computation through the (inherited) threaded paths
        code = 1
        try:
            got = _threaded_results()
            code = 0 if all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True)) else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1  # hung


def test_threaded_paths_work_in_a_forked_child_after_the_parent_used_them():
    expected = _threaded_results()  # the parent's pools now exist, with their threads
    code = _in_a_forked_child(expected)
    assert code != -1, "the forked child hung on the parent's thread pool"
    assert code == 0, f"the forked child's threaded results differ (exit {code})"

"""Oracle speed (issue 12): ChainlinkFeed.report over 10**6 prices vs np.copyto of the same size.

The feed is path-dependent (the band moves with each answer), so ``report`` scans update to update
(few long paths) or time-major over paths (many short paths); see lpperp/oracle.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from benchmarks._timing import best_time, check
from lpperp.oracle import ChainlinkFeed, PullOracle, TwapOracle


def _best_pair(fn: Callable[[], object], ref: Callable[[], object], repeat: int = 21) -> float:
    """``best(fn) / best(ref)`` timed alternately, so a busy shared machine slows both alike."""
    best_fn = best_ref = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        ref()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        best_ref, best_fn = min(best_ref, t1 - t0), min(best_fn, t2 - t1)
    return best_fn / best_ref


def _paths(n_paths: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    sigma_step = 0.8 * np.sqrt(12.0 / (365.0 * 86400.0))  # 80 % a year, 12 s blocks
    x = 3000.0 * np.exp(np.cumsum(rng.normal(0.0, sigma_step, (n_paths, n_steps)), axis=1))
    return np.arange(n_steps) * 12.0, x


def run() -> list[tuple[str, float, str]]:
    feed = ChainlinkFeed(0.005, 3600.0)
    rows = []
    for n_paths, n_steps, target in ((10_000, 100, "<= 10x"), (1_000, 1_000, "(info)"),
                                     (10, 100_000, "(info)")):
        t, x = _paths(n_paths, n_steps)
        dst = np.empty_like(x)
        ratio = _best_pair(lambda: feed.report(t, x), lambda: np.copyto(dst, x))  # noqa: B023
        rows.append((f"Chainlink report {n_paths}x{n_steps} / np.copyto(1e6)", ratio, target))
    t, x = _paths(10_000, 100)
    dst = np.empty_like(x)
    t_copy = best_time(lambda: np.copyto(dst, x), repeat=9)
    rows.append(("TWAP(1800 s) report 10000x100 / np.copyto(1e6)",
                 best_time(lambda: TwapOracle(1800.0).report(t, x), repeat=3) / t_copy, "(info)"))
    pull = PullOracle(publish_interval_seconds=60.0)
    rows.append(("Pull(60 s) report 10000x100 / np.copyto(1e6)",
                 best_time(lambda: pull.report(t, x), repeat=3) / t_copy, "(info)"))
    # streaming: TwapOracle.step appends in place (was a copy of the window's history each step:
    # 1,334 / 10,107 us a step for the 1800 s / 86400 s windows at 1000 paths, 2026-11-30)
    t, x = _paths(1_000, 3_000)
    for window in (1800.0, 86400.0):
        twap = TwapOracle(window)

        def stream(twap: TwapOracle = twap) -> None:
            s = twap.start(x[:, 0])
            for i in range(1, x.shape[1]):
                s, _ = twap.step(s, t[i], x[:, i])

        rows.append((f"TWAP({window:g} s) step, 1000 paths, us per step (3000 steps)",
                     1e6 * best_time(stream, repeat=3) / (x.shape[1] - 1), "(info)"))
    # the simulator's stepping function (checks once at stream(), issue 12) against the checked
    # start / step: the same answers bit for bit, and the time per step at 4096 paths
    feed = ChainlinkFeed(0.01, 86_400.0)
    t, x = _paths(4096, 720)
    t = t * 300.0  # hourly steps: the risk run's grid

    cols = np.ascontiguousarray(x.T)  # one contiguous row of prices per step, as the kernel's

    def checked() -> np.ndarray:
        s = feed.start(cols[0])
        for i in range(1, cols.shape[0]):
            s, r = feed.step(s, t[i], cols[i])
        return r

    def streamed() -> np.ndarray:
        advance = feed.stream(cols[0])
        for i in range(1, cols.shape[0]):
            r = advance(t[i], cols[i])
        return r

    check("ChainlinkFeed.stream == start/step, bit for bit", np.array_equal(checked(), streamed()))
    t_step, t_stream = best_time(checked, repeat=3), best_time(streamed, repeat=3)
    rows.append(("Chainlink stream / checked step, 4096 paths x 720 hourly steps",
                 t_stream / t_step, "(info, < 1)"))
    rows.append(("  stream, us per step", 1e6 * t_stream / (cols.shape[0] - 1), "(info)"))
    rows.append(("  checked step, us per step", 1e6 * t_step / (cols.shape[0] - 1), "(info)"))
    # the slowest refusal of an oversized request in these modules (issue 13: < 1 s)
    from lpperp import LpperpError
    from lpperp.oracle_risk import intraday_path

    def refuse() -> None:
        try:
            intraday_path(3000.0, 3100.0, 2000.0, 2100.0, n_steps=2**200)
        except LpperpError:
            pass

    rows.append(("intraday_path(n_steps=2**200) refusal, s", best_time(refuse, repeat=5),
                 "< 1"))
    return rows

"""Small timing helpers shared by the benchmarks (best-of / median of repeated runs)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Best wall time in seconds of ``number`` calls of ``fn``, over ``repeat`` runs, per call."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def median_time(fn: Callable[[], object], repeat: int = 51) -> float:
    """Median wall time in seconds of single calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def import_time(statement: str, repeat: int = 7) -> float:
    """Median wall time in seconds of a fresh interpreter running ``statement``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)

"""Small timing helpers shared by the benchmarks (best-of / median of repeated runs), and
:func:`check`, how a benchmark states a correctness claim (agreement with its baseline, nothing
missed) so that ``python -m benchmarks`` fails when one does not hold. Speed targets are figures,
not checks: the machine may be shared."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

_FAILURES: list[str] = []


def check(name: str, ok: object, detail: str = "") -> bool:
    """Record the correctness claim ``name`` of the running benchmark; ``ok`` false records a
    failure (with ``detail``, e.g. the measured value) that makes ``python -m benchmarks`` exit 1.
    Returns ``bool(ok)``; never raises, so the benchmark's other figures are still printed."""
    passed = bool(ok)
    if not passed:
        _FAILURES.append(f"{name}: {detail}" if detail else name)
    return passed


def take_failures() -> list[str]:
    """The failed checks recorded since the last call (and forget them)."""
    out = list(_FAILURES)
    _FAILURES.clear()
    return out


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

"""Resource budgets (issue 13): how fast an oversized Monte Carlo request is refused.

Every Monte Carlo entry point checks ``n_paths x n_steps`` (and a per-step fixed cost) against
``max_path_steps`` before drawing a path, so ``n_paths = 2**200`` is refused at once instead of
running for ever. Figure: the slowest refusal over simulate, compare_strategies, run_sweep,
liquidation_probability, iter_paths, iter_increments, sample_paths, sample_funding and
band_exit_probability's ``n_terms``, each with 2**200 and 10**12 (best of 5 per call).
"""

from __future__ import annotations

from benchmarks._timing import best_time, check
from lpperp._validate import LpperpError
from lpperp.processes import GBM, iter_increments, iter_paths, sample_funding, sample_paths
from lpperp.risk import band_exit_probability, liquidation_probability
from lpperp.simulate import Scenario, simulate
from lpperp.strategies import compare_strategies, run_sweep


def _calls(big: int) -> dict[str, object]:
    g, s = GBM(0.6), Scenario()
    return {
        "simulate n_paths": lambda: simulate(s, g, 1.0, 30, big),
        "simulate n_steps": lambda: simulate(s, g, 1.0, big, 10),
        "compare_strategies": lambda: compare_strategies({"a": s, "b": s}, g, 1.0, 30, big),
        "run_sweep": lambda: run_sweep(s, {"width_pct": [10, 20]}, g, 1.0, big, 10),
        "liquidation_probability": lambda: liquidation_probability(
            g, 3000.0, 2000.0, 4000.0, 1.0, 30, big
        ),
        "iter_paths": lambda: iter_paths(g, 3000.0, 1.0, big, 10),
        "iter_increments": lambda: iter_increments(g, 1.0, 10, big),
        "sample_paths": lambda: sample_paths(g, 3000.0, 1.0, 30, big),
        "sample_funding": lambda: sample_funding(0.1, 1.0, 30, big),
        "band_exit_probability n_terms": lambda: band_exit_probability(
            3000.0, 2000.0, 4000.0, 0.6, 1.0, n_terms=big
        ),
    }


def _refused(fn) -> bool:
    try:
        fn()
    except LpperpError:
        return True
    return False


def run() -> list[tuple[str, float, str]]:
    times: dict[str, float] = {}
    for big in (2**200, 10**12):
        for name, fn in _calls(big).items():
            check(f"{name} refuses {big:.3g}", _refused(fn))
            times[f"{name} ({big:.0e})"] = best_time(lambda fn=fn: _refused(fn), repeat=5)
    slowest = max(times, key=times.get)
    return [
        ("slowest refusal of an oversized request, s", times[slowest], "< 1 s"),
        (f"  ({slowest})", times[slowest] * 1e3, "ms (info)"),
        ("  median refusal, ms", sorted(times.values())[len(times) // 2] * 1e3, "(info)"),
    ]

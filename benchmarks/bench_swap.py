"""Swap engine speed (issue 9): the float twin over 10**6 one-step swaps vs np.copyto of 10**6.

"One step" = every swap stays in the liquidity segment it starts in (no crossing), the case the
blocked kernel of ``lpperp.swap.float_swap`` serves. Rows: 10**6 (price, amount) pairs in both
directions (a Monte Carlo step: one price per path), one pool price with 10**6 sales (an unwind
sized per path), the same through a 5-segment profile, swaps that cross segments (the general
path), and the exact integer engine per swap for scale. Wall time, best of several runs, as the
other benchmarks; the CPU time of one thread is shown too, since on a shared machine a 0.6 ms
``np.copyto`` is timed between other processes' slices far more often than a 10 ms kernel.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from benchmarks._timing import best_time, check
from lpperp.swap import LiquidityProfile, PoolState, float_swap, swap_exact
from lpperp.units import MIN_SQRT_RATIO, get_sqrt_ratio_at_tick


def _best_cpu(fn: Callable[[], object], repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def run() -> list[tuple[str, float, str]]:
    import lpperp.swap as swap_module

    n = 10**6
    rng = np.random.default_rng(0)
    prices = rng.uniform(2900.0, 3100.0, n)
    amounts = rng.uniform(-1.0, 1.0, n)  # base; L = 1e6 holds ~18,000 base above 3000
    sales = np.abs(amounts)
    dst = np.empty(n)
    uniform = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    concentrated = LiquidityProfile.concentrated(3000.0, 1e6, 0.0005, width_fraction=0.05)

    def copy() -> None:
        np.copyto(dst, prices)

    def pairs() -> object:
        return float_swap(uniform, prices, amounts)

    def unwind() -> object:
        return float_swap(uniform, 3000.0, sales)

    def segments() -> object:
        return float_swap(concentrated, 3000.0, amounts)

    def crossing() -> object:
        return float_swap(concentrated, prices, amounts * 200.0)

    t_copy = min(best_time(copy, repeat=30), best_time(copy, repeat=30))
    t_pairs = best_time(pairs, repeat=9)
    t_unwind = best_time(unwind, repeat=9)
    t_segments = best_time(segments, repeat=9)
    t_crossing = best_time(crossing, repeat=3)

    threaded_min = swap_module._THREADED_MIN
    swap_module._THREADED_MIN = 1 << 62  # one thread, CPU time
    try:
        c_copy = _best_cpu(copy, repeat=30)
        c_pairs = _best_cpu(pairs)
        c_unwind = _best_cpu(unwind)
    finally:
        swap_module._THREADED_MIN = threaded_min

    # the timed kernel must equal the general path (chunks below the kernel's size threshold)
    q, p1 = pairs()
    worst = 0.0
    for i in range(0, 200_000, 10_000):
        q_ref, p_ref = float_swap(uniform, prices[i : i + 10_000], amounts[i : i + 10_000])
        worst = max(worst, float(np.max(np.abs(q[i : i + 10_000] / q_ref - 1.0))))
        worst = max(worst, float(np.max(np.abs(p1[i : i + 10_000] / p_ref - 1.0))))
    check("float_swap kernel == general path to 1e-13", worst <= 1e-13, f"max rel {worst:.3g}")

    state = PoolState(
        get_sqrt_ratio_at_tick(0), 0, 10**18, 500, 10, (-600, 600), (10**18, -(10**18))
    )
    limit = MIN_SQRT_RATIO + 1
    t_exact = best_time(lambda: swap_exact(state, True, 10**15, limit), repeat=5, number=200)
    return [
        ("float_swap 1e6 (price, amount) pairs, both ways / np.copyto", t_pairs / t_copy, "<= 10x"),
        ("  same, CPU time of one thread / np.copyto's", c_pairs / c_copy, "(info)"),
        ("float_swap one price, 1e6 sales / np.copyto", t_unwind / t_copy, "<= 10x"),
        ("  same, CPU time of one thread / np.copyto's", c_unwind / c_copy, "(info)"),
        ("float_swap 5 segments, one price, 1e6 both ways / copyto", t_segments / t_copy, "(info)"),
        ("float_swap 1e6 swaps crossing segments / np.copyto", t_crossing / t_copy, "(info)"),
        ("float_swap ns per one-step swap (pairs)", t_pairs / n * 1e9, "(info)"),
        ("swap_exact one step, us per swap", t_exact * 1e6, "(info)"),
    ]

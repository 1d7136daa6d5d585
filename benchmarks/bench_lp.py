"""LP math speed (issue 2): vectorized value vs the memory floor, scalar calls, loops, import."""

from __future__ import annotations

import math

import numpy as np

from benchmarks._timing import best_time, check, import_time
from lpperp import WETH_USDC_ARBITRUM, LPPosition, get_sqrt_ratio_at_tick
from lpperp.liquidity import get_amounts_for_liquidity


def run() -> list[tuple[str, float, str]]:
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    n = 10**7
    prices = np.random.default_rng(0).uniform(1500.0, 4500.0, n)
    dst = np.empty_like(prices)

    t_copy = best_time(lambda: np.copyto(dst, prices), repeat=5)
    t_value = best_time(lambda: lp.value(prices), repeat=5)

    t_scalar = best_time(lambda: lp.value(3000.0), repeat=5, number=2000)

    pa, pb, liq = lp.price_lower, lp.price_upper, lp.liquidity

    def float_loop(ps):  # the float formula per price in plain Python
        out = []
        for p in ps:
            s = math.sqrt(min(max(p, pa), pb))
            out.append(liq * (p / s - p / math.sqrt(pb) + s - math.sqrt(pa)))
        return out

    pool = WETH_USDC_ARBITRUM
    tl, tu = (int(t) for t in pool.price_to_tick(np.array([pa, pb])))
    sa, sb = get_sqrt_ratio_at_tick(tl), get_sqrt_ratio_at_tick(tu)
    liq_raw = pool.liquidity_to_raw(liq)

    def exact_loop(ps):  # the exact integer path per price, as the Python peers value positions
        out = []
        for p in ps:
            a0, a1 = get_amounts_for_liquidity(pool.price_to_sqrt_price_x96(p), sa, sb, liq_raw)
            base, quote = pool.from_raw_amounts(a0, a1)
            out.append(base * p + quote)
        return out

    few = prices[:20_000].tolist()
    # the figures compare like with like: the three paths give the same values
    vec = lp.value(np.array(few))
    rel_float = float(np.max(np.abs(np.array(float_loop(few)) - vec) / vec))
    rel_exact = float(np.max(np.abs(np.array(exact_loop(few[:2000])) - vec[:2000]) / vec[:2000]))
    check("value() == per-price float formula to 1e-12", rel_float <= 1e-12, f"max rel {rel_float:.3g}")
    check("value() == exact integer path to 1e-9", rel_exact <= 1e-9, f"max rel {rel_exact:.3g}")
    check("value() of 1e7 prices is finite", bool(np.isfinite(lp.value(prices)).all()))
    t_float_loop = best_time(lambda: float_loop(few), repeat=3) / len(few)
    t_exact_loop = best_time(lambda: exact_loop(few[:5000]), repeat=3) / 5000

    t_numpy = import_time("import numpy, scipy.special")
    t_lpperp = import_time("import lpperp")
    return [
        ("value(1e7 prices) / np.copyto(1e7)", t_value / t_copy, "<= 6x"),
        ("value per price, ns", t_value / n * 1e9, "(np.copyto: %.2f ns)" % (t_copy / n * 1e9)),
        ("scalar value() call, us", t_scalar * 1e6, "< 10 us"),
        ("throughput vs per-price loop, exact integer path", t_exact_loop / (t_value / n), ">= 1000x"),
        ("throughput vs per-price loop, float formula", t_float_loop / (t_value / n), "(info)"),
        ("import lpperp / import numpy, scipy.special", t_lpperp / t_numpy, "<= 1.3x"),
        ("value() vs per-price float formula, max rel diff", rel_float, "<= 1e-12 (checked)"),
        ("value() vs exact integer path, max rel diff", rel_exact, "<= 1e-9 (checked)"),
    ]

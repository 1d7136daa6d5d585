"""Liquidation boundaries for 10,000 random isolated accounts: vectorized closed form vs brentq.

Each account: an LP ($1k-$100k deposited at 3000 over +/-5-60 %, static factor 0.5-1), a perp of
1-5x leverage long or short from an entry within 5 % of 3000, some cash, Hyperliquid's ETH
tiered rules (``lpperp.venues.HYPERLIQUID_ETH``). The baseline runs :func:`scipy.optimize.brentq`
per account on a scalar ``math`` implementation of ``equity - maintenance`` bracketed on the
liquidation side; both must agree to 1e-9 relative. Timings are best-of-N in the same process
(the machine may be shared: the ratio is the figure, not the absolute times).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from benchmarks._timing import best_time, check
from lpperp.liquidation import settle_liquidation, solve_boundaries
from lpperp.venues import DYDX_MECHANICS, HYPERLIQUID_ETH

N_ACCOUNTS = 10_000
P0 = 3000.0
RULES = HYPERLIQUID_ETH  # 25x / 15x tiers, MMF 2 % / 3.33 %


def _accounts(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    value = rng.uniform(1e3, 1e5, N_ACCOUNTS)
    w = rng.uniform(0.05, 0.60, N_ACCOUNTS)
    pa, pb = P0 * (1 - w), P0 * (1 + w)
    liq = value / (2 * math.sqrt(P0) - np.sqrt(pa) - P0 / np.sqrt(pb))
    side = rng.choice([-1.0, 1.0], N_ACCOUNTS)
    size = side * rng.uniform(1.0, 5.0, N_ACCOUNTS) * value / P0
    return {
        "pa": pa, "pb": pb, "liq": liq, "cf": rng.uniform(0.5, 1.0, N_ACCOUNTS),
        "size": size, "entry": P0 * (1 + rng.uniform(-0.05, 0.05, N_ACCOUNTS)),
        "cash": value * rng.uniform(0.0, 0.2, N_ACCOUNTS),
    }


def _vectorized(a: dict[str, np.ndarray]) -> np.ndarray:
    res = solve_boundaries(
        P0, a["size"], a["entry"], a["cash"], price_lower=a["pa"], price_upper=a["pb"],
        liquidity=a["liq"], rules=RULES, base_factor=a["cf"], quote_factor=a["cf"],
    )
    return np.where(a["size"] > 0, res.liquidation_price_below, res.liquidation_price_above)


def _brentq_all(a: dict[str, np.ndarray]) -> np.ndarray:
    floors, rates, deds = (x.tolist() for x in RULES.maintenance_pieces())
    out = np.empty(N_ACCOUNTS)
    for i in range(N_ACCOUNTS):
        pa, pb, liq, cf = float(a["pa"][i]), float(a["pb"][i]), float(a["liq"][i]), float(a["cf"][i])
        q, e, cash = float(a["size"][i]), float(a["entry"][i]), float(a["cash"][i])
        sa, sb, aq = math.sqrt(pa), math.sqrt(pb), abs(q)

        def g(p, sa=sa, sb=sb, pa=pa, pb=pb, liq=liq, cf=cf, q=q, e=e, cash=cash, aq=aq):
            s = math.sqrt(min(max(p, pa), pb))
            value = liq * (p / s + s - p / sb - sa)
            n = aq * p
            k = 1 if n >= floors[1] else 0
            return cf * value + cash + q * (p - e) - (n * rates[k] - deds[k])

        lo, hi = (P0 * 1e-6, P0) if q > 0 else (P0, P0 * 1e6)
        out[i] = brentq(g, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps)
    return out


def run() -> list[tuple[str, float, str]]:
    """Figures: speed-up of the vectorized closed form over per-account brentq, and agreement."""
    a = _accounts()
    _vectorized(a)  # warm the scratch memory
    t_vec, t_ref = float("inf"), float("inf")
    for _ in range(3):  # interleaved, so a busy moment on a shared machine hits both sides
        t_vec = min(t_vec, best_time(lambda: _vectorized(a), repeat=5))
        t_ref = min(t_ref, best_time(lambda: _brentq_all(a), repeat=1))
    fast, ref = _vectorized(a), _brentq_all(a)
    rel = float(np.nanmax(np.abs(fast - ref) / ref))
    missed = int(np.isnan(fast).sum())
    check("closed form agrees with brentq to 1e-9", rel <= 1e-9, f"max rel diff {rel:.3g}")
    check("no account without a boundary", missed == 0, f"{missed} of {N_ACCOUNTS} NaN")
    check("brentq bracketed every account", bool(np.isfinite(ref).all()))
    t_set, t_copy, ident = _settlement_figures()
    return [
        ("liquidation 10k accounts: closed form vs brentq (x faster)", t_ref / t_vec, ">= 100"),
        ("  closed form, ns per account", 1e9 * t_vec / N_ACCOUNTS, "~55 ns"),
        ("  brentq, us per account", 1e6 * t_ref / N_ACCOUNTS, "~24 us"),
        ("  max relative difference", rel, "<= 1e-9"),
        ("  accounts with no boundary (checked: 0)", float(missed), "0"),
        (f"settle_liquidation {N_PATHS:,} paths (dYdX, LP seized), ns per path",
         1e9 * t_set / N_PATHS, "figure"),
        ("  vs np.copyto of one array of the same size (x)", t_set / t_copy, "figure"),
        ("  max identity residual / scale", ident, "<= 1e-9"),
    ]


N_PATHS = 100_000


def _settlement_figures() -> tuple[float, float, float]:
    """Time one vectorized settlement of N_PATHS liquidated long-LP accounts (the loss is paid by
    selling seized base through the default pool) and check the accounting identity."""
    rng = np.random.default_rng(1)
    p = rng.uniform(1500.0, 2500.0, N_PATHS)
    kw = dict(price=p, lp_base=rng.uniform(1.0, 5.0, N_PATHS), lp_quote=rng.uniform(0, 500, N_PATHS),
              cash=0.0, perp_size=-rng.uniform(5.0, 15.0, N_PATHS), perp_entry_price=1500.0,
              fees=0.0, funding_paid=0.0, maintenance=0.012 * 10.0 * p)
    settle_liquidation(DYDX_MECHANICS, **kw)
    t_set = best_time(lambda: settle_liquidation(DYDX_MECHANICS, **kw), repeat=5)
    dst = np.empty(N_PATHS)
    t_copy = best_time(lambda: np.copyto(dst, p), repeat=20)
    s = settle_liquidation(DYDX_MECHANICS, **kw)
    parts = (s.owner_keeps + s.perp_close_cost + s.lp_unwind_cost + s.to_liquidator
             + s.to_insurance + s.to_backstop - s.bad_debt)
    ident = float(np.max(np.abs(parts - s.true_equity) / (np.abs(s.true_equity) + 10.0 * p)))
    check("settlement identity", ident <= 1e-9, f"residual {ident:.3g}")
    return t_set, t_copy, ident


if __name__ == "__main__":
    for name, value, target in run():
        print(f"{name:<60} {value:>12.4g}  {target}")

"""Shared references for the lpperp.swap tests (tests/test_swap*.py): none is the code under test.

- :func:`encode_price_sqrt`: Uniswap v3-core test/shared/utilities.ts ``encodePriceSqrt``
  (github.com/Uniswap/v3-core@d8b1c635c275d2a9450bd6a78f3fa2484fef73eb, read 2026-11-30).
- :func:`pool_state`: a :class:`lpperp.swap.PoolState` from minted positions, as the pool's tick
  bitmap and ``liquidityNet`` record them (each position adds its liquidity at its lower tick
  and removes it at its upper tick; the active liquidity is the sum over positions in range).
- :func:`walk`: the float twin's definition, segment by segment in plain Python floats (inside a
  segment of liquidity ``L`` selling ``x`` base after the fee moves ``1/sqrt(P)`` up by ``x / L``
  and pays ``L (sqrt(P) - sqrt(P1))`` quote; a purchase moves it down and costs that quote
  divided by ``1 - f``; an empty segment is crossed for free; a swap that runs out of liquidity
  at the profile's ends gives NaN with the price at the edge reached).

Not a reference but a harness: :func:`in_batches` calls the code under test (``float_swap``) on
chunks of at most ``chunk`` swaps, below the large-batch kernel's threshold (the general path).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

import numpy as np

from lpperp.swap import PoolState, float_swap
from lpperp.units import get_tick_at_sqrt_ratio


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """v3-core test/shared/utilities.ts encodePriceSqrt: bignumber.js with DECIMAL_PLACES 40.

    ``reserve1 / reserve0`` and its square root are rounded half-up to 40 decimal places, then
    ``* 2**96`` is floored (``integerValue(3)``).
    """
    with localcontext() as ctx:
        ctx.prec = 300
        q = (Decimal(reserve1) / Decimal(reserve0)).quantize(Decimal("1e-40"), ROUND_HALF_UP)
        s = q.sqrt().quantize(Decimal("1e-40"), ROUND_HALF_UP)
        return int((s * Decimal(2**96)).to_integral_value(ROUND_FLOOR))


def pool_state(sqrt_price_x96: int, positions: Iterable[tuple[int, int, int]], *,
               fee: int = 500, spacing: int = 10) -> PoolState:
    """The pool at ``sqrt_price_x96`` holding ``positions`` ``(tick_lower, tick_upper, L)``."""
    tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
    nets: dict[int, int] = {}
    liq = 0
    for lo, hi, lq in positions:
        nets[lo] = nets.get(lo, 0) + lq
        nets[hi] = nets.get(hi, 0) - lq
        if lo <= tick < hi:
            liq += lq
    ticks = tuple(sorted(nets))
    return PoolState(sqrt_price_x96, tick, liq, fee, spacing, ticks, tuple(nets[t] for t in ticks))


def walk(edges: Sequence[float], liqs: Sequence[float], fee: float, price: float,
         x: float) -> tuple[float, float]:
    """Segment by segment: (quote received > 0 / paid < 0, price after); NaN quote if unfilled."""
    edges, liqs, price, x = [float(e) for e in edges], [float(v) for v in liqs], float(price), float(x)
    k = max(i for i in range(len(liqs)) if edges[i] <= price)
    s = math.sqrt(price)
    quote = 0.0
    if x > 0:
        left = x * (1 - fee)
        while True:
            lo = math.sqrt(edges[k])
            room = liqs[k] * (1 / lo - 1 / s) if liqs[k] > 0 and lo > 0 else (
                math.inf if liqs[k] > 0 else 0.0)
            if liqs[k] > 0 and left <= room:
                s1 = 1 / (1 / s + left / liqs[k])
                return quote + liqs[k] * (s - s1), s1 * s1
            quote += liqs[k] * (s - lo)
            left -= room
            s, k = lo, k - 1
            if k < 0:
                return math.nan, edges[0]
    left = -x
    while True:
        hi = math.sqrt(edges[k + 1])
        room = liqs[k] * (1 / s - 1 / hi) if liqs[k] > 0 else 0.0
        if liqs[k] > 0 and left < room:
            s1 = 1 / (1 / s - left / liqs[k])
            return -(quote + liqs[k] * (s1 - s)) / (1 - fee), s1 * s1
        quote += liqs[k] * (hi - s)
        left -= room
        s, k = hi, k + 1
        if k >= len(liqs):
            return math.nan, edges[-1]


def in_batches(prof, price, x, chunk):
    """``float_swap(prof, price, x)`` computed ``chunk`` swaps at a time (``price`` a scalar or an
    array like ``x``), as 1-d arrays ``(quote, price_after)``."""
    qs, ps = [], []
    for i in range(0, x.size, chunk):
        pi = price[i:i + chunk] if isinstance(price, np.ndarray) else price
        q, p1 = float_swap(prof, pi, x[i:i + chunk])
        qs.append(np.atleast_1d(q))
        ps.append(np.atleast_1d(p1))
    return np.concatenate(qs), np.concatenate(ps)

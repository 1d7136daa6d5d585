"""Amounts <-> liquidity: exact integer math as the contracts round it, and vectorized floats.

Conventions
-----------
- Exact functions take Python ints: sqrt prices in Q64.96 (``sqrt_*_x96``), raw token amounts
  (``amount0``, ``amount1`` in the tokens' smallest units, pool order) and raw liquidity. They port
  ``SqrtPriceMath.sol`` / ``UniswapV3Pool._modifyPosition`` (v3-core) and ``LiquidityAmounts.sol``
  (v3-periphery) line by line, including where they round: a mint pays amounts rounded *up*, a burn
  returns amounts rounded *down*, ``LiquidityAmounts`` rounds down.
- Float functions speak human units: ``price`` (quote per base), ``base``/``quote`` amounts and human
  liquidity ``L`` with, for ``pa <= P <= pb``::

      base  = L (1/sqrt(P) - 1/sqrt(pb))
      quote = L (sqrt(P) - sqrt(pa))
      value = base * P + quote = L (2 sqrt(P) - sqrt(pa) - P / sqrt(pb))       [quote units]

  and, outside the range, ``P`` clipped to ``[pa, pb]`` in the amounts. They broadcast over all
  arguments (scalars or arrays in, arrays out).
"""

from __future__ import annotations

import math
import os
from itertools import pairwise
from typing import Any

import numpy as np

from ._threads import forget_pool_in_child
from ._validate import LpperpError, integer, nonnegative, ordered_range, positive, uint
from .units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "amounts_for_burn",
    "amounts_for_liquidity",
    "amounts_for_mint",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_amounts_for_liquidity",
    "get_liquidity_for_amounts",
    "liquidity_for_amounts",
    "mul_div",
    "mul_div_rounding_up",
    "value_for_liquidity",
]

_UINT128_MAX = (1 << 128) - 1
_UINT256_MAX = (1 << 256) - 1


# ---------------------------------------------------------------------------------------------
# exact integer math (FullMath, SqrtPriceMath, LiquidityAmounts)
# ---------------------------------------------------------------------------------------------
def mul_div(a: int, b: int, denominator: int) -> int:
    """``floor(a * b / denominator)`` with a 512-bit intermediate (FullMath.mulDiv).

    Raises like the contract when the denominator is zero or the result overflows uint256.

    >>> mul_div(2**200, 2**100, 2**150) == 2**150
    True
    """
    if denominator <= 0:
        raise LpperpError(f"denominator must be > 0, got {denominator}")
    result = (a * b) // denominator
    if result > _UINT256_MAX:
        raise LpperpError(f"mul_div result overflows uint256 ({a} * {b} / {denominator})")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """``ceil(a * b / denominator)`` (FullMath.mulDivRoundingUp).

    >>> mul_div_rounding_up(7, 3, 2)
    11
    """
    result = mul_div(a, b, denominator)
    if (a * b) % denominator:
        result += 1
        if result > _UINT256_MAX:
            raise LpperpError("mul_div_rounding_up result overflows uint256")
    return result


def _delta_args(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> tuple[int, int, int]:
    """The checked ``(sqrtA, sqrtB, L)`` of a range, sorted so that ``sqrtA <= sqrtB``."""
    a = uint("sqrt_ratio_a_x96", sqrt_ratio_a_x96, 160, 1)
    b = uint("sqrt_ratio_b_x96", sqrt_ratio_b_x96, 160, 1)
    liq = uint("liquidity", liquidity, 128)
    return (b, a, liq) if a > b else (a, b, liq)


def get_amount0_delta(
    sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool
) -> int:
    """Token0 amount between two sqrt prices (SqrtPriceMath.getAmount0Delta).

    ``amount0 = L * 2**96 * (sqrtB - sqrtA) / sqrtB / sqrtA``, rounded up or down as asked.

    >>> get_amount0_delta(Q96, 2 * Q96, 10**18, round_up=False)
    500000000000000000
    """
    a, b, liq = _delta_args(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity)
    numerator1 = liq << 96
    numerator2 = b - a
    if round_up:
        q = mul_div_rounding_up(numerator1, numerator2, b)
        return q // a + (1 if q % a else 0)
    return mul_div(numerator1, numerator2, b) // a


def get_amount1_delta(
    sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool
) -> int:
    """Token1 amount between two sqrt prices (SqrtPriceMath.getAmount1Delta).

    ``amount1 = L * (sqrtB - sqrtA) / 2**96``, rounded up or down as asked.

    >>> get_amount1_delta(Q96, 2 * Q96, 10**18, round_up=True)
    1000000000000000000
    """
    a, b, liq = _delta_args(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity)
    if round_up:
        return mul_div_rounding_up(liq, b - a, Q96)
    return mul_div(liq, b - a, Q96)


def _pool_amounts(
    sqrt_price_x96: int,
    tick_lower: int,
    tick_upper: int,
    liquidity: int,
    tick_current: int | None,
    round_up: bool,
) -> tuple[int, int]:
    s = integer("sqrt_price_x96", sqrt_price_x96, MIN_SQRT_RATIO, MAX_SQRT_RATIO)
    tl = integer("tick_lower", tick_lower, MIN_TICK, MAX_TICK)
    tu = integer("tick_upper", tick_upper, MIN_TICK, MAX_TICK)
    if tl >= tu:
        raise LpperpError(f"tick_lower must be < tick_upper, got {tl} and {tu} (never swapped)")
    tick = (
        get_tick_at_sqrt_ratio(min(s, MAX_SQRT_RATIO - 1))
        if tick_current is None
        else int(tick_current)
    )
    sa, sb = get_sqrt_ratio_at_tick(tl), get_sqrt_ratio_at_tick(tu)
    if tick < tl:
        return get_amount0_delta(sa, sb, liquidity, round_up), 0
    if tick < tu:
        return (
            get_amount0_delta(s, sb, liquidity, round_up),
            get_amount1_delta(sa, s, liquidity, round_up),
        )
    return 0, get_amount1_delta(sa, sb, liquidity, round_up)


def amounts_for_mint(
    sqrt_price_x96: int,
    tick_lower: int,
    tick_upper: int,
    liquidity: int,
    tick_current: int | None = None,
) -> tuple[int, int]:
    """Raw ``(amount0, amount1)`` a pool charges to mint ``liquidity`` (rounded up).

    Ports ``UniswapV3Pool._modifyPosition`` for ``liquidityDelta > 0``: the regime is chosen by the
    pool's current tick (``tick_current``, default ``get_tick_at_sqrt_ratio(sqrt_price_x96)``).

    Examples
    --------
    >>> amounts_for_mint(Q96, -60, 60, 10**18)
    (2995354955910781, 2995354955910781)
    """
    return _pool_amounts(sqrt_price_x96, tick_lower, tick_upper, liquidity, tick_current, True)


def amounts_for_burn(
    sqrt_price_x96: int,
    tick_lower: int,
    tick_upper: int,
    liquidity: int,
    tick_current: int | None = None,
) -> tuple[int, int]:
    """Raw ``(amount0, amount1)`` a pool returns for burning ``liquidity`` (rounded down).

    >>> amounts_for_burn(Q96, -60, 60, 10**18)
    (2995354955910780, 2995354955910780)
    """
    return _pool_amounts(sqrt_price_x96, tick_lower, tick_upper, liquidity, tick_current, False)


def _to_uint128(x: int) -> int:
    if x > _UINT128_MAX:
        raise LpperpError(f"liquidity {x} overflows uint128 (the contract reverts)")
    return x


def _liquidity_for_amount0(a: int, b: int, amount0: int) -> int:
    intermediate = mul_div(a, b, Q96)
    return _to_uint128(mul_div(amount0, intermediate, b - a))


def _liquidity_for_amount1(a: int, b: int, amount1: int) -> int:
    return _to_uint128(mul_div(amount1, Q96, b - a))


def get_liquidity_for_amounts(
    sqrt_price_x96: int,
    sqrt_ratio_a_x96: int,
    sqrt_ratio_b_x96: int,
    amount0: int,
    amount1: int,
) -> int:
    """Largest liquidity the raw amounts can mint (LiquidityAmounts.getLiquidityForAmounts).

    Examples
    --------
    v3-periphery ``test/LiquidityAmounts.spec.ts``, "amounts for price inside": price 1:1, range
    sqrt(100/110) .. sqrt(110/100), amounts 100 and 200 -> 2148:

    >>> from lpperp.units import Q96
    >>> from math import isqrt
    >>> enc = lambda r1, r0: isqrt((r1 << 192) // r0)  # encodePriceSqrt(reserve1, reserve0)
    >>> get_liquidity_for_amounts(enc(1, 1), enc(100, 110), enc(110, 100), 100, 200)
    2148
    """
    s = uint("sqrt_price_x96", sqrt_price_x96, 160, 1)
    a = uint("sqrt_ratio_a_x96", sqrt_ratio_a_x96, 160, 1)
    b = uint("sqrt_ratio_b_x96", sqrt_ratio_b_x96, 160, 1)
    amount0 = integer("amount0", amount0, 0, _UINT256_MAX)
    amount1 = integer("amount1", amount1, 0, _UINT256_MAX)
    if a > b:
        a, b = b, a
    if a == b:
        raise LpperpError("sqrt_ratio_a_x96 and sqrt_ratio_b_x96 must differ (an empty range)")
    if s <= a:
        return _liquidity_for_amount0(a, b, amount0)
    if s < b:
        return min(_liquidity_for_amount0(s, b, amount0), _liquidity_for_amount1(a, s, amount1))
    return _liquidity_for_amount1(a, b, amount1)


def get_amounts_for_liquidity(
    sqrt_price_x96: int, sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int
) -> tuple[int, int]:
    """Raw amounts held by ``liquidity`` (LiquidityAmounts.getAmountsForLiquidity, rounded down).

    >>> get_amounts_for_liquidity(Q96, Q96 // 2, 2 * Q96, 1000)
    (500, 500)
    """
    s = uint("sqrt_price_x96", sqrt_price_x96, 160, 1)
    a, b, liq = _delta_args(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity)

    def amount0(lo: int, hi: int) -> int:
        return mul_div(liq << 96, hi - lo, hi) // lo

    def amount1(lo: int, hi: int) -> int:
        return mul_div(liq, hi - lo, Q96)

    if s <= a:
        return amount0(a, b), 0
    if s < b:
        return amount0(s, b), amount1(a, s)
    return 0, amount1(a, b)


# ---------------------------------------------------------------------------------------------
# vectorized float math in human units
# ---------------------------------------------------------------------------------------------
def _float_args(price: Any, price_lower: Any, price_upper: Any) -> tuple[Any, Any, Any]:
    p = positive("price", price)
    pa, pb = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    return p, pa, pb


def amounts_for_liquidity(
    price: Any, price_lower: Any, price_upper: Any, liquidity: Any
) -> tuple[Any, Any]:
    """Human ``(base, quote)`` held by liquidity ``L`` over ``[price_lower, price_upper]``.

    ``s = sqrt(clip(P, pa, pb))``; ``base = L (1/s - 1/sqrt(pb))``, ``quote = L (s - sqrt(pa))``.

    Examples
    --------
    >>> b, q = amounts_for_liquidity([2000.0, 3000.0, 4000.0], 2500.0, 3600.0, 1000.0)
    >>> b.round(4).tolist(), q.round(2).tolist()
    ([3.3333, 1.5908, 0.0], [0.0, 4772.26, 10000.0])
    """
    p, pa, pb = _float_args(price, price_lower, price_upper)
    liq = nonnegative("liquidity", liquidity)
    pc = np.clip(p, pa, pb)
    s, sa, sb = np.sqrt(pc), np.sqrt(pa), np.sqrt(pb)
    # differences of prices, not of square roots: sqrt(P) - sqrt(pa) = (P - pa) / (sqrt(P) +
    # sqrt(pa)) keeps full relative precision for narrow ranges (P - pa is exact near pa)
    base = liq * (pb - pc) / (s * sb * (sb + s))
    quote = liq * (pc - pa) / (s + sa)
    return base, quote


_BLOCK = 1 << 15  # elements per block: the three arrays of a block stay in L2 cache


def value_for_liquidity(
    price: Any, price_lower: Any, price_upper: Any, liquidity: Any
) -> float | np.ndarray:
    """Value in quote units of liquidity ``L`` at ``price``: ``base * P + quote``.

    ``V = L (P/s + s - P/sqrt(pb) - sqrt(pa))`` with ``s = sqrt(clip(P, pa, pb))``: in range
    ``L (2 sqrt(P) - sqrt(pa) - P/sqrt(pb))``, below ``P L (1/sqrt(pa) - 1/sqrt(pb))`` (all base),
    above ``L (sqrt(pb) - sqrt(pa))`` (all quote). Large 1-d price arrays with scalar range and
    liquidity are computed in cache-sized blocks in place (a few ns per price).

    Examples
    --------
    >>> round(float(value_for_liquidity(3000.0, 2500.0, 3600.0, 1000.0)), 6)
    9544.511501
    """
    if (
        isinstance(price, np.ndarray)
        and price.ndim == 1
        and price.dtype == np.float64
        and price.size > 2 * _BLOCK
        and np.ndim(price_lower) == np.ndim(price_upper) == np.ndim(liquidity) == 0
    ):
        return _value_blocked(price, price_lower, price_upper, liquidity)
    # the blocked kernel's order of checks (range, liquidity, then prices): the same error
    # whatever the array's size
    pa, pb = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    liq = nonnegative("liquidity", liquidity)
    p = positive("price", price)
    s = np.sqrt(np.clip(p, pa, pb))
    out = liq * ((p / s - p / np.sqrt(pb)) + (s - np.sqrt(pa)))  # grouped: exact flat tails
    return float(out) if np.ndim(out) == 0 else out


_THREADED_MIN = 1 << 20  # below this many prices one thread is faster than handing out work
_POOL: Any = None

forget_pool_in_child(globals())  # a forked child starts its own pool


def _value_blocked(
    price: np.ndarray, price_lower: Any, price_upper: Any, liquidity: Any
) -> np.ndarray:
    """Large 1-d arrays: cache-sized blocks computed in place, split over the CPU cores.

    numpy releases the GIL inside each ufunc, so contiguous halves of the array run in parallel on
    two threads with their own scratch buffers; every element is computed the same way whatever the
    split, so results do not depend on the number of threads.
    """
    global _POOL
    pa, pb = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    liq = float(nonnegative("liquidity", liquidity))
    if liq == 0.0:
        positive("price", price)
        return np.zeros(price.size)
    out = np.empty(price.size)  # a plain float64 array, as the general path returns
    n = price.size
    workers = min(os.cpu_count() or 1, 4) if n >= _THREADED_MIN else 1
    edges = [min(n, (k * n // workers) // _BLOCK * _BLOCK) for k in range(workers)] + [n]
    args = (price, out, float(pa), float(pb), liq)
    if workers == 1:
        ok = [_value_span(*args, 0, n)]
    else:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lpperp-value")
        spans = [_POOL.submit(_value_span, *args, a, b) for a, b in pairwise(edges)]
        ok = [f.result() for f in spans]
    if not all(ok):
        positive("price", price)  # raises naming the offending value and its index
    return out


def _value_span(
    price: np.ndarray, out: np.ndarray, pa: float, pb: float, liq: float, start: int, stop: int
) -> bool:
    """Compute ``out[start:stop]`` block by block; False if a price there may be invalid."""
    sqrt_pb, sqrt_pa = math.sqrt(pb), math.sqrt(pa)
    s = np.empty(_BLOCK)
    t = np.empty(_BLOCK)
    with np.errstate(invalid="ignore"):  # an inf price gives NaN here, then the clear error
        for i in range(start, stop, _BLOCK):
            j = min(i + _BLOCK, stop)
            chunk, o = price[i:j], out[i:j]
            si, ti = s[: j - i], t[: j - i]
            np.clip(chunk, pa, pb, out=si)
            np.sqrt(si, out=si)
            np.divide(chunk, si, out=o)  # o = (P/s - P/sqrt(pb)) + (s - sqrt(pa)), as above
            # a divide, as the general path: P / s - P / sqrt(pb) is then exactly 0 above the
            # range (a flat tail), and every price's value is the same bits whatever the size
            np.divide(chunk, sqrt_pb, out=ti)
            o -= ti
            si -= sqrt_pa
            o += si
            o *= liq
            # One in-cache check validates the prices: with L > 0 the value is > 0 exactly where
            # the price is, and NaN where it is NaN or inf; the caller then re-checks the prices.
            if not o.min() > 0.0:
                return False
    return True


def liquidity_for_amounts(
    price: Any, price_lower: Any, price_upper: Any, base: Any, quote: Any
) -> float | np.ndarray:
    """Largest human liquidity that ``base`` and ``quote`` (human units) can provide.

    In range ``L = min(base / (1/sqrt(P) - 1/sqrt(pb)), quote / (sqrt(P) - sqrt(pa)))``; below the
    range only base counts, above only quote (the float twin of ``get_liquidity_for_amounts``).

    >>> round(float(liquidity_for_amounts(3000.0, 2500.0, 3600.0, 1.59075192, 4772.25575)), 1)
    1000.0
    """
    p, pa, pb = _float_args(price, price_lower, price_upper)
    b = nonnegative("base", base)
    q = nonnegative("quote", quote)
    s = np.sqrt(np.clip(p, pa, pb))
    per_l_base = 1.0 / s - 1.0 / np.sqrt(pb)
    per_l_quote = s - np.sqrt(pa)
    with np.errstate(divide="ignore", invalid="ignore"):
        l_base = np.where(per_l_base > 0, b / np.where(per_l_base > 0, per_l_base, 1.0), np.inf)
        l_quote = np.where(per_l_quote > 0, q / np.where(per_l_quote > 0, per_l_quote, 1.0), np.inf)
    out = np.minimum(l_base, l_quote)
    return float(out) if np.ndim(out) == 0 else out

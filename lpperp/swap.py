"""Swaps through a concentrated-liquidity pool: exact contract math and a vectorized float twin.

Conventions
-----------
- **Exact** functions take and return Python ints and port Uniswap v3-core line by line, with the
  contracts' names: ``SqrtPriceMath.getNextSqrtPriceFromInput/Output`` (and the two rounding helpers
  behind them), ``SwapMath.computeSwapStep``, ``LiquidityMath.addDelta`` and the loop of
  ``UniswapV3Pool.swap`` over ``TickBitmap.nextInitializedTickWithinOneWord`` (source:
  github.com/Uniswap/v3-core@d8b1c635c275d2a9450bd6a78f3fa2484fef73eb, contracts/libraries/*.sol and
  contracts/UniswapV3Pool.sol, read 2026-11; identical to the npm package @uniswap/v3-core 1.0.1).
  Sqrt prices are Q64.96 (``*_x96``), amounts raw token units in pool order (token0/token1),
  liquidity raw. Amounts are signed as the pool returns them: positive = paid into the pool.
  Where the contract reverts we raise :class:`SwapError` (an :class:`~lpperp._validate.LpperpError`)
  naming the require that failed ('SPL', 'AS', 'LS', 'LA', ...).
- **Float twin** speaks human units: ``price`` is quote per base, amounts are base/quote in human
  units, liquidity is human liquidity (``base = L (1/sqrt(P) - 1/sqrt(pb))``). A
  :class:`LiquidityProfile` is piecewise-constant liquidity over price segments; within a segment
  of liquidity ``L`` selling ``x`` base (after the fee) moves ``1/sqrt(P)`` up by ``x / L`` and pays
  ``L * (sqrt(P) - sqrt(P1))`` quote. The pool fee ``f`` is charged on the input amount, as the
  pool does: a sale of ``x`` base puts ``x (1 - f)`` through the curve; a purchase pays
  ``net / (1 - f)`` quote. ``base_amount > 0`` sells base into the pool, ``< 0`` buys base out.
  Functions broadcast over ``price`` and ``base_amount``; segments are crossed with cumulative sums
  and ``searchsorted``, never a Python loop over amounts.
- Token order and decimals are converted only by :class:`lpperp.units.PoolSpec`
  (:meth:`LiquidityProfile.from_pool_state`).
"""

from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from ._threads import forget_pool_in_child
from ._validate import LpperpError, finite, fraction, integer, positive
from ._validate import scalar_or_array as _out
from .liquidity import get_amount0_delta, get_amount1_delta, mul_div, mul_div_rounding_up
from .units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "LiquidityProfile",
    "PoolState",
    "SwapError",
    "SwapResult",
    "add_delta",
    "compute_swap_step",
    "execution_cost",
    "float_swap",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "swap_exact",
]

_UINT24_FEE_MAX = 999_999  # the factory only enables fees < 1e6 (a fee of 1e6 divides by zero)
_UINT128_MAX = (1 << 128) - 1
_UINT160_MAX = (1 << 160) - 1
_UINT256 = 1 << 256
_INT128_MIN, _INT128_MAX = -(1 << 127), (1 << 127) - 1
_INT256_MIN, _INT256_MAX = -(1 << 255), (1 << 255) - 1


class SwapError(LpperpError):
    """A swap the Uniswap v3 contracts would revert (the message names the failed require)."""


# ---------------------------------------------------------------------------------------------
# exact integer math
# ---------------------------------------------------------------------------------------------
def _full_math(fn: Any, a: int, b: int, d: int, where: str) -> int:
    """FullMath.mulDiv[RoundingUp]: the contract reverts on overflow (or a zero denominator)."""
    try:
        return fn(a, b, d)
    except LpperpError as e:
        raise SwapError(f"{where}: FullMath reverts ({e})") from None


def _sqrt_x96(name: str, x: int) -> int:
    return integer(name, x, 0, _UINT160_MAX)


def _liquidity(x: int) -> int:
    return integer("liquidity", x, 0, _UINT128_MAX)


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Sqrt price after adding or removing ``amount`` of token0 (rounded up).

    ``L * sqrtP / (L +- amount * sqrtP)`` (SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp),
    falling back to ``L / (L / sqrtP + amount)`` when the product overflows 256 bits, as the
    contract does.

    >>> get_next_sqrt_price_from_amount0_rounding_up(Q96, 10**18, 10**17, True)
    72025602285694852357767227579
    """
    s = _sqrt_x96("sqrt_price_x96", sqrt_price_x96)
    liq = _liquidity(liquidity)
    amount = integer("amount", amount, 0, _UINT256 - 1)
    if amount == 0:
        return s
    numerator1 = liq << 96
    product = amount * s
    if add:
        if product < _UINT256:
            denominator = numerator1 + product
            if denominator < _UINT256:
                return _full_math(mul_div_rounding_up, numerator1, s, denominator, "amount0 add")
        if s == 0:
            raise SwapError("getNextSqrtPriceFromAmount0RoundingUp: division by a zero price")
        t = numerator1 // s + amount
        if t >= _UINT256:
            raise SwapError("getNextSqrtPriceFromAmount0RoundingUp: LowGasSafeMath add overflows")
        return (numerator1 // t + (1 if numerator1 % t else 0)) & _UINT160_MAX  # uint160(...)
    if not (product < _UINT256 and numerator1 > product):
        raise SwapError(
            f"getNextSqrtPriceFromAmount0RoundingUp: removing amount={amount} token0 takes all the "
            f"virtual reserves of liquidity={liq} at sqrt_price_x96={s}"
        )
    r = _full_math(mul_div_rounding_up, numerator1, s, numerator1 - product, "amount0 remove")
    if r > _UINT160_MAX:
        raise SwapError("getNextSqrtPriceFromAmount0RoundingUp: SafeCast.toUint160 overflows")
    return r


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Sqrt price after adding or removing ``amount`` of token1 (rounded down).

    ``sqrtP +- amount * 2**96 / L`` (SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown): the
    quotient is rounded down when adding and up when removing.

    >>> get_next_sqrt_price_from_amount1_rounding_down(Q96, 10**18, 10**17, True)
    87150978765690771352898345369
    """
    s = _sqrt_x96("sqrt_price_x96", sqrt_price_x96)
    liq = _liquidity(liquidity)
    amount = integer("amount", amount, 0, _UINT256 - 1)
    if liq == 0:
        raise SwapError("getNextSqrtPriceFromAmount1RoundingDown: division by zero liquidity")
    if add:
        if amount <= _UINT160_MAX:
            quotient = (amount << 96) // liq
        else:
            quotient = _full_math(mul_div, amount, Q96, liq, "amount1 add")
        r = s + quotient
        if r > _UINT160_MAX:
            raise SwapError(
                "getNextSqrtPriceFromAmount1RoundingDown: the price overflows uint160 "
                f"(amount={amount} token1 into liquidity={liq})"
            )
        return r
    if amount <= _UINT160_MAX:
        num = amount << 96
        quotient = num // liq + (1 if num % liq else 0)
    else:
        quotient = _full_math(mul_div_rounding_up, amount, Q96, liq, "amount1 remove")
    if not s > quotient:
        raise SwapError(
            f"getNextSqrtPriceFromAmount1RoundingDown: removing amount={amount} token1 takes all the "
            f"virtual reserves of liquidity={liq} at sqrt_price_x96={s}"
        )
    return s - quotient


def _require_price_and_liquidity(fn: str, s: int, liq: int) -> None:
    if s <= 0:
        raise SwapError(f"{fn}: require(sqrtPX96 > 0) fails, got sqrt_price_x96={s}")
    if liq <= 0:
        raise SwapError(f"{fn}: require(liquidity > 0) fails, got liquidity={liq}")


def get_next_sqrt_price_from_input(
    sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """Sqrt price after swapping ``amount_in`` (net of fee) into the pool (SqrtPriceMath).

    token0 in (``zero_for_one``): ``L sqrtP / (L + amount_in sqrtP)`` rounded up; token1 in:
    ``sqrtP + amount_in 2**96 / L`` rounded down, so the price never passes the exact value.

    Parameters
    ----------
    sqrt_price_x96 : int
        Q64.96 sqrt price before the swap (> 0).
    liquidity : int
        Raw active liquidity (> 0).
    amount_in : int
        Raw input amount (token0 if ``zero_for_one`` else token1), fee already taken off.
    zero_for_one : bool

    Examples
    --------
    v3-core test/SqrtPriceMath.spec.ts, "input amount of 0.1 token0":

    >>> get_next_sqrt_price_from_input(Q96, 10**18, 10**17, True)
    72025602285694852357767227579
    """
    s = _sqrt_x96("sqrt_price_x96", sqrt_price_x96)
    liq = _liquidity(liquidity)
    _require_price_and_liquidity("getNextSqrtPriceFromInput", s, liq)
    if _bool("zero_for_one", zero_for_one):
        return get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """Sqrt price after taking ``amount_out`` out of the pool (SqrtPriceMath).

    token1 out (``zero_for_one``): ``sqrtP - amount_out 2**96 / L`` with the quotient rounded up;
    token0 out: ``L sqrtP / (L - amount_out sqrtP)`` rounded up, so the price passes far enough to
    pay the output. Taking all the virtual reserves reverts.

    Examples
    --------
    v3-core test/SqrtPriceMath.spec.ts, "output amount of 0.1 token1" (zeroForOne = false):

    >>> get_next_sqrt_price_from_output(Q96, 10**18, 10**17, False)
    88031291682515930659493278152
    """
    s = _sqrt_x96("sqrt_price_x96", sqrt_price_x96)
    liq = _liquidity(liquidity)
    _require_price_and_liquidity("getNextSqrtPriceFromOutput", s, liq)
    if _bool("zero_for_one", zero_for_one):
        return get_next_sqrt_price_from_amount1_rounding_down(s, liq, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(s, liq, amount_out, False)


def _bool(name: str, x: Any) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise LpperpError(f"{name} must be True or False, got {x!r}")
    return bool(x)


def compute_swap_step(
    sqrt_price_current_x96: int,
    sqrt_price_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """One step of a swap within constant liquidity (SwapMath.computeSwapStep).

    The direction is ``zero_for_one = current >= target``. ``amount_remaining >= 0`` is exact input
    (the fee ``fee_pips / 1e6`` is taken from it first: ``amount_remaining * (1e6 - fee) / 1e6``
    goes through the curve), ``< 0`` exact output. The price stops at the target when the amount
    suffices, otherwise where the amount runs out. The fee is ``amount_in * fee / (1e6 - fee)``
    rounded up, or, for exact input that stops short of the target, the whole remainder.

    Returns
    -------
    (sqrt_price_next_x96, amount_in, amount_out, fee_amount) : tuple of int
        ``amount_in`` excludes the fee; ``amount_out`` never exceeds ``-amount_remaining``.

    Examples
    --------
    v3-core test/SwapMath.spec.ts, "exact amount in that is fully spent in one for zero":

    >>> from math import isqrt
    >>> compute_swap_step(Q96, isqrt(10 << 192), 2 * 10**18, 10**18, 600)[1:]
    (999400000000000000, 666399946655997866, 600000000000000)
    """
    cur = _sqrt_x96("sqrt_price_current_x96", sqrt_price_current_x96)
    tgt = _sqrt_x96("sqrt_price_target_x96", sqrt_price_target_x96)
    liq = _liquidity(liquidity)
    rem = integer("amount_remaining", amount_remaining, _INT256_MIN, _INT256_MAX)
    fee = integer("fee_pips", fee_pips, 0, _UINT24_FEE_MAX)
    if cur == 0 or tgt == 0:
        raise SwapError(f"computeSwapStep: a zero sqrt price (current={cur}, target={tgt}) reverts")
    zero_for_one = cur >= tgt
    exact_in = rem >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = _full_math(mul_div, rem, 1_000_000 - fee, 1_000_000, "computeSwapStep")
        amount_in = (
            get_amount0_delta(tgt, cur, liq, True)
            if zero_for_one
            else get_amount1_delta(cur, tgt, liq, True)
        )
        if less_fee >= amount_in:
            nxt = tgt
        else:
            nxt = get_next_sqrt_price_from_input(cur, liq, less_fee, zero_for_one)
    else:
        amount_out = (
            get_amount1_delta(tgt, cur, liq, False)
            if zero_for_one
            else get_amount0_delta(cur, tgt, liq, False)
        )
        if -rem >= amount_out:
            nxt = tgt
        else:
            nxt = get_next_sqrt_price_from_output(cur, liq, -rem, zero_for_one)
    at_max = tgt == nxt
    if zero_for_one:
        if not (at_max and exact_in):
            amount_in = get_amount0_delta(nxt, cur, liq, True)
        if not (at_max and not exact_in):
            amount_out = get_amount1_delta(nxt, cur, liq, False)
    else:
        if not (at_max and exact_in):
            amount_in = get_amount1_delta(cur, nxt, liq, True)
        if not (at_max and not exact_in):
            amount_out = get_amount0_delta(cur, nxt, liq, False)
    if not exact_in and amount_out > -rem:
        amount_out = -rem
    if exact_in and nxt != tgt:
        fee_amount = rem - amount_in
    else:
        fee_amount = _full_math(mul_div_rounding_up, amount_in, fee, 1_000_000 - fee, "fee")
    return nxt, amount_in, amount_out, fee_amount


def add_delta(x: int, y: int) -> int:
    """``x + y`` for a uint128 liquidity and an int128 delta (LiquidityMath.addDelta).

    Reverts 'LS' (liquidity sub) below zero and 'LA' (liquidity add) above ``2**128 - 1``.

    >>> add_delta(1, -1), add_delta(2**128 - 2, 1)
    (0, 340282366920938463463374607431768211455)
    """
    x = integer("x", x, 0, _UINT128_MAX)
    y = integer("y", y, _INT128_MIN, _INT128_MAX)
    z = x + y
    if y < 0 and z < 0:
        raise SwapError(f"LiquidityMath.addDelta reverts 'LS': liquidity {x} minus {-y} < 0")
    if z > _UINT128_MAX:
        raise SwapError(f"LiquidityMath.addDelta reverts 'LA': liquidity {x} plus {y} >= 2**128")
    return z


# ---------------------------------------------------------------------------------------------
# a whole swap over initialized ticks
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolState:
    """What a swap reads from a Uniswap v3 pool: slot0, liquidity and the initialized ticks.

    Parameters
    ----------
    sqrt_price_x96 : int
        ``slot0.sqrtPriceX96`` (Q64.96) in ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)``.
    tick : int
        ``slot0.tick``: ``get_tick_at_sqrt_ratio(sqrt_price_x96)``, or one less when a swap
        downward stopped exactly on that tick's price (the pool has then crossed it).
    liquidity : int
        ``liquidity()``: raw active liquidity (uint128).
    fee_pips : int
        Pool fee in hundredths of a bp (500 = 0.05 %).
    tick_spacing : int
    ticks : tuple of int
        Initialized ticks (``ticks(i).initialized``), strictly increasing multiples of
        ``tick_spacing``. Swaps only see these; a partial list (a window read around the price) is
        exact for swaps that stay inside the window.
    liquidity_net : tuple of int
        ``ticks(i).liquidityNet`` for each initialized tick (int128; added when crossing upward).

    Examples
    --------
    >>> from lpperp.units import get_sqrt_ratio_at_tick
    >>> st = PoolState(get_sqrt_ratio_at_tick(0), 0, 10**18, 500, 10, (-600, 600), (10**18, -10**18))
    >>> st.liquidity_at(700), st.liquidity_at(-10)
    (0, 1000000000000000000)
    """

    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_pips: int
    tick_spacing: int
    ticks: tuple[int, ...] = ()
    liquidity_net: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        s = integer("sqrt_price_x96", self.sqrt_price_x96, MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
        t = integer("tick", self.tick, MIN_TICK, MAX_TICK)
        t_price = get_tick_at_sqrt_ratio(s)
        if not (t == t_price or (t == t_price - 1 and get_sqrt_ratio_at_tick(t_price) == s)):
            raise LpperpError(
                f"tick={t} does not match sqrt_price_x96={s} (tick {t_price}; one less only when "
                "the price sits exactly on that tick)"
            )
        integer("liquidity", self.liquidity, 0, _UINT128_MAX)
        integer("fee_pips", self.fee_pips, 0, _UINT24_FEE_MAX)
        sp = integer("tick_spacing", self.tick_spacing, 1, 16383)
        ticks = tuple(integer("ticks", x, MIN_TICK, MAX_TICK) for x in self.ticks)
        nets = tuple(
            integer("liquidity_net", x, _INT128_MIN, _INT128_MAX) for x in self.liquidity_net
        )
        if len(ticks) != len(nets):
            raise LpperpError(
                f"ticks and liquidity_net must have the same length, got {len(ticks)} and {len(nets)}"
            )
        for a, b in pairwise(ticks):
            if not a < b:
                raise LpperpError(f"ticks must be strictly increasing, got {a} then {b}")
        bad = [x for x in ticks if x % sp]
        if bad:
            raise LpperpError(f"ticks must be multiples of tick_spacing={sp}, got {bad[:3]}")
        object.__setattr__(self, "ticks", ticks)
        object.__setattr__(self, "liquidity_net", nets)
        prefix = [0]
        for net in nets:
            prefix.append(prefix[-1] + net)
        object.__setattr__(self, "_net_prefix", tuple(prefix))

    def liquidity_at(self, tick: int) -> int:
        """Raw liquidity active at ``tick``, from the current liquidity and the nets in between.

        >>> PoolState(Q96, 0, 5, 500, 10, (10,), (-5,)).liquidity_at(10)
        0
        """
        t = integer("tick", tick, MIN_TICK, MAX_TICK)
        pre = self._net_prefix  # sums of liquidityNet over the ticks <= a tick
        liq = (
            self.liquidity
            + pre[bisect.bisect_right(self.ticks, t)]
            - pre[bisect.bisect_right(self.ticks, self.tick)]
        )
        if liq < 0 or liq > _UINT128_MAX:
            raise LpperpError(f"ticks and liquidity_net give liquidity {liq} at tick {t}")
        return liq

    def after(self, result: SwapResult) -> PoolState:
        """The state after a swap (price, tick and liquidity from ``result``; ticks unchanged).

        >>> st = PoolState(Q96, 0, 10**18, 3000, 60)
        >>> st.after(swap_exact(st, True, 10**15, MIN_SQRT_RATIO + 1)).tick
        -20
        """
        if not isinstance(result, SwapResult):
            raise LpperpError(f"result must be a SwapResult, got {type(result).__name__}")
        return replace(
            self, sqrt_price_x96=result.sqrt_price_x96, tick=result.tick, liquidity=result.liquidity
        )


@dataclass(frozen=True)
class SwapResult:
    """Outcome of :func:`swap_exact`, as the pool reports it.

    Attributes
    ----------
    amount0, amount1 : int
        Signed raw token deltas of the pool (positive = paid in by the swapper, negative = paid out).
    sqrt_price_x96, tick, liquidity : int
        ``slot0.sqrtPriceX96``, ``slot0.tick`` and ``liquidity()`` after the swap.
    ticks_crossed : int
        Initialized ticks crossed (liquidity transitions applied).
    fee_amount : int
        Total fee taken from the input token (before any protocol share).
    """

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int
    fee_amount: int = 0


def _next_initialized_tick_within_one_word(
    compressed_ticks: list[int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord over a sorted list of compressed ticks."""
    compressed = tick // tick_spacing  # floor, as the contract rounds negative ticks down
    if lte:
        word_start = (compressed >> 8) << 8
        i = bisect.bisect_right(compressed_ticks, compressed) - 1
        if i >= 0 and compressed_ticks[i] >= word_start:
            return compressed_ticks[i] * tick_spacing, True
        return word_start * tick_spacing, False
    c1 = compressed + 1
    word_end = ((c1 >> 8) << 8) + 255
    i = bisect.bisect_left(compressed_ticks, c1)
    if i < len(compressed_ticks) and compressed_ticks[i] <= word_end:
        return compressed_ticks[i] * tick_spacing, True
    return word_end * tick_spacing, False


def swap_exact(
    state: PoolState, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int
) -> SwapResult:
    """A whole swap as ``UniswapV3Pool.swap`` computes it, to the wei.

    Loop while amount remains and the price is not at the limit: the step target is the next
    initialized tick within one bitmap word (``TickBitmap.nextInitializedTickWithinOneWord``)
    clamped to ``[MIN_TICK, MAX_TICK]`` and to the price limit; :func:`compute_swap_step` moves the
    price; on reaching an initialized tick the pool crosses it (``liquidity += liquidityNet``
    upward, ``-=`` downward) and sets ``tick = tickNext`` (upward) or ``tickNext - 1`` (downward);
    otherwise the tick is recomputed from the price when the price moved.

    Parameters
    ----------
    state : PoolState
    zero_for_one : bool
        True: token0 in, price down. False: token1 in, price up.
    amount_specified : int
        Raw amount: ``> 0`` exact input (of the input token), ``< 0`` exact output (of the output
        token), as ``amountSpecified`` of the pool.
    sqrt_price_limit_x96 : int
        The price the swap may not pass: below the current price and above ``MIN_SQRT_RATIO`` for
        ``zero_for_one``, above it and below ``MAX_SQRT_RATIO`` otherwise (the pool's 'SPL').

    Returns
    -------
    SwapResult

    Raises
    ------
    SwapError
        'AS' (zero amount), 'SPL' (bad price limit), 'LS'/'LA' (liquidity under/overflow while
        crossing), or any revert of the math libraries.

    Examples
    --------
    One position over ticks [-600, 600] with L = 1e18 at price 1; sell 1e16 token0:

    >>> st = PoolState(Q96, 0, 10**18, 3000, 60, (-600, 600), (10**18, -10**18))
    >>> r = swap_exact(st, True, 10**16, MIN_SQRT_RATIO + 1)
    >>> r.amount0, r.amount1, r.tick, r.ticks_crossed
    (10000000000000000, -9871580343970612, -199, 0)

    Selling 1e17 token0 crosses the lower tick and leaves the pool without liquidity at the limit:

    >>> r = swap_exact(st, True, 10**17, get_sqrt_ratio_at_tick(-1000))
    >>> r.amount0, r.amount1, r.tick, r.liquidity, r.ticks_crossed
    (30544622242640681, -29553010879137169, -1000, 0, 1)
    """
    if not isinstance(state, PoolState):
        raise LpperpError(f"state must be a PoolState, got {type(state).__name__}")
    zfo = _bool("zero_for_one", zero_for_one)
    amount = integer("amount_specified", amount_specified, _INT256_MIN, _INT256_MAX)
    limit = _sqrt_x96("sqrt_price_limit_x96", sqrt_price_limit_x96)
    if amount == 0:
        raise SwapError("UniswapV3Pool.swap reverts 'AS': amount_specified must not be 0")
    s0 = state.sqrt_price_x96
    ok = (limit < s0 and limit > MIN_SQRT_RATIO) if zfo else (limit > s0 and limit < MAX_SQRT_RATIO)
    if not ok:
        allowed = (
            f"({MIN_SQRT_RATIO}, {s0}) for zero_for_one" if zfo else f"({s0}, {MAX_SQRT_RATIO})"
        )
        raise SwapError(
            f"UniswapV3Pool.swap reverts 'SPL': sqrt_price_limit_x96={limit} must be in {allowed}"
        )
    spacing, fee = state.tick_spacing, state.fee_pips
    compressed = [t // spacing for t in state.ticks]
    net_at = dict(zip(state.ticks, state.liquidity_net, strict=True))
    exact_input = amount > 0
    remaining, calculated = amount, 0
    sqrt_p, tick, liq = s0, state.tick, state.liquidity
    crossed = fee_total = 0
    while remaining != 0 and sqrt_p != limit:
        start = sqrt_p
        tick_next, initialized = _next_initialized_tick_within_one_word(
            compressed, tick, spacing, zfo
        )
        tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
        sqrt_next = get_sqrt_ratio_at_tick(tick_next)
        past_limit = sqrt_next < limit if zfo else sqrt_next > limit
        sqrt_p, amount_in, amount_out, fee_amount = compute_swap_step(
            sqrt_p, limit if past_limit else sqrt_next, liq, remaining, fee
        )
        if exact_input:
            remaining -= amount_in + fee_amount
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee_amount
        if not (_INT256_MIN <= calculated <= _INT256_MAX):
            raise SwapError("UniswapV3Pool.swap: the computed amount overflows int256")
        fee_total += fee_amount
        if sqrt_p == sqrt_next:
            if initialized:
                net = net_at[tick_next]
                liq = add_delta(liq, -net if zfo else net)
                crossed += 1
            tick = tick_next - 1 if zfo else tick_next
        elif sqrt_p != start:
            tick = get_tick_at_sqrt_ratio(sqrt_p)
    if zfo == exact_input:
        amount0, amount1 = amount - remaining, calculated
    else:
        amount0, amount1 = calculated, amount - remaining
    return SwapResult(amount0, amount1, sqrt_p, tick, liq, crossed, fee_total)


# ---------------------------------------------------------------------------------------------
# float twin: piecewise-constant liquidity in human units
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiquidityProfile:
    """Piecewise-constant pool liquidity over price segments, human units (float twin of a pool).

    Parameters
    ----------
    price_edges : array of float, shape (n + 1,)
        Strictly increasing segment edges, quote per base. The first may be 0 and the last
        ``inf`` (liquidity over all prices); swaps that would leave the edges cannot be filled.
    liquidity : array of float, shape (n,)
        Human liquidity (>= 0) in each segment ``[price_edges[i], price_edges[i + 1])``.
    fee_fraction : float
        Pool fee as a fraction (0.0005 = 0.05 %), charged on the input amount.

    Examples
    --------
    >>> prof = LiquidityProfile([2500.0, 3000.0, 3600.0], [1000.0, 500.0], 0.0005)
    >>> prof.liquidity_at([2600.0, 3100.0]).tolist()
    [1000.0, 500.0]
    """

    price_edges: np.ndarray
    liquidity: np.ndarray
    fee_fraction: float = 0.0005

    def __post_init__(self) -> None:
        try:
            edges = (
                None
                if isinstance(self.price_edges, (str, bytes))
                else np.array(self.price_edges, dtype=float).ravel()
            )
        except (TypeError, ValueError):
            edges = None
        if edges is None or edges.size < 2 or np.isnan(edges).any() or (edges < 0).any():
            raise LpperpError(
                f"price_edges must be >= 2 sorted prices >= 0 (inf allowed last), got "
                f"{self.price_edges!r}"
            )
        if not (np.diff(edges) > 0).all() or np.isinf(edges[:-1]).any():
            raise LpperpError("price_edges must be strictly increasing (only the last may be inf)")
        liq = np.array(finite("liquidity", self.liquidity), dtype=float).ravel()
        if liq.size != edges.size - 1:
            raise LpperpError(
                f"liquidity must have one value per segment ({edges.size - 1}), got {liq.size}"
            )
        if (liq < 0).any():
            raise LpperpError(f"liquidity must be >= 0 in every segment, got {liq.min()}")
        fee = float(fraction("fee_fraction", self.fee_fraction, closed_high=False, scalar=True))
        edges.setflags(write=False)
        liq.setflags(write=False)
        object.__setattr__(self, "price_edges", edges)
        object.__setattr__(self, "liquidity", liq)
        object.__setattr__(self, "fee_fraction", fee)
        # precomputed sums (see _walk): base held above each edge, quote held below each edge
        u = np.sqrt(edges)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_u = 1.0 / u
            c_base = np.where(liq > 0, liq * (inv_u[:-1] - inv_u[1:]), 0.0)
            c_quote = np.where(liq > 0, liq * (u[1:] - u[:-1]), 0.0)
        base_above = np.zeros(edges.size)
        base_above[:-1] = np.cumsum(c_base[::-1])[::-1]
        quote_below = np.zeros(edges.size)
        quote_below[1:] = np.cumsum(c_quote)
        for name, arr in (
            ("_u", u),
            ("_inv_u", inv_u),
            ("_base_above", base_above),
            ("_quote_below", quote_below),
        ):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LiquidityProfile):
            return NotImplemented
        return (
            np.array_equal(self.price_edges, other.price_edges)
            and np.array_equal(self.liquidity, other.liquidity)
            and self.fee_fraction == other.fee_fraction
        )

    def __hash__(self) -> int:
        return hash((self.price_edges.tobytes(), self.liquidity.tobytes(), self.fee_fraction))

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def uniform(
        cls, price: float, liquidity: float, fee_fraction: float, *, width_factor: float = np.inf
    ) -> LiquidityProfile:
        """Constant liquidity over ``[price / width_factor, price * width_factor]`` (all prices).

        >>> LiquidityProfile.uniform(3000.0, 1e6, 0.0005).price_edges.tolist()
        [0.0, inf]
        """
        p = float(positive("price", price, scalar=True))
        inf_given = isinstance(width_factor, (float, np.floating)) and math.isinf(width_factor) \
            and width_factor > 0
        w = math.inf if inf_given else float(positive("width_factor", width_factor, scalar=True))
        if not w > 1:
            raise LpperpError(f"width_factor must be > 1, got {width_factor!r}")
        edges = [0.0, np.inf] if np.isinf(w) else [p / w, p * w]
        return cls(
            np.array(edges),
            np.array([float(positive("liquidity", liquidity, scalar=True))]),
            fee_fraction,
        )

    @classmethod
    def concentrated(
        cls,
        price: float,
        liquidity: float,
        fee_fraction: float,
        *,
        width_fraction: float = 0.05,
        tail_fraction: float = 0.1,
    ) -> LiquidityProfile:
        """Liquidity concentrated around ``price``, thinner tails, over all prices.

        ``liquidity`` in ``[P / (1 + w), P (1 + w)]``, ``liquidity * sqrt(tail_fraction)`` out to
        ``(1 + w)**3``, ``liquidity * tail_fraction`` beyond: a pool whose LPs crowd the price.

        >>> prof = LiquidityProfile.concentrated(3000.0, 1e6, 0.0005, width_fraction=0.1)
        >>> prof.liquidity.round(1).tolist()
        [100000.0, 316227.8, 1000000.0, 316227.8, 100000.0]
        """
        p = float(positive("price", price, scalar=True))
        liq = float(positive("liquidity", liquidity, scalar=True))
        w = float(positive("width_fraction", width_fraction, scalar=True))
        tail = float(fraction("tail_fraction", tail_fraction, scalar=True))
        k = 1.0 + w
        with np.errstate(over="ignore", under="ignore"):
            k3 = np.float64(k) ** 3
            edges = np.array([0.0, p / k3, p / k, p * k, p * k3, np.inf])
        if not (np.all(np.isfinite(edges[1:-1])) and np.all(np.diff(edges) > 0)):
            raise LpperpError(
                f"width_fraction={w!r} at price={p!r} puts the tails' edges price / (1 + w)**3 and "
                f"price * (1 + w)**3 outside (0, inf): choose a smaller width_fraction"
            )
        mid = liq * math.sqrt(tail)
        return cls(edges, np.array([liq * tail, mid, liq, mid, liq * tail]), fee_fraction)

    @classmethod
    def thin(
        cls,
        price: float,
        liquidity: float,
        fee_fraction: float,
        *,
        width_fraction: float = 0.02,
        tail_fraction: float = 0.01,
    ) -> LiquidityProfile:
        """A thin pool: ``liquidity`` in a narrow band, ``tail_fraction`` of it elsewhere.

        With ``tail_fraction=0`` nothing lies outside the band: a swap that would leave it cannot
        be filled (:func:`float_swap` returns NaN, :func:`execution_cost` inf).

        >>> LiquidityProfile.thin(3000.0, 1e4, 0.003).liquidity.tolist()
        [100.0, 10000.0, 100.0]
        """
        p = float(positive("price", price, scalar=True))
        liq = float(positive("liquidity", liquidity, scalar=True))
        w = float(positive("width_fraction", width_fraction, scalar=True))
        tail = float(fraction("tail_fraction", tail_fraction, scalar=True))
        with np.errstate(over="ignore", under="ignore"):
            edges = np.array([0.0, p / (1.0 + w), p * (1.0 + w), np.inf])
        if not (np.all(np.isfinite(edges[1:-1])) and np.all(np.diff(edges) > 0)):
            raise LpperpError(
                f"width_fraction={w!r} at price={p!r} puts the band's edges outside (0, inf): "
                f"choose a smaller width_fraction"
            )
        return cls(edges, np.array([liq * tail, liq, liq * tail]), fee_fraction)

    @classmethod
    def from_pool_state(cls, state: PoolState, pool: PoolSpec) -> LiquidityProfile:
        """The profile of an exact :class:`PoolState` in human units (token order via ``pool``).

        Segments run between consecutive initialized ticks (and ``MIN_TICK``/``MAX_TICK``); the
        liquidity of each follows from the current liquidity and the ``liquidity_net`` values
        (added crossing upward). Edges are float ``1.0001**tick`` prices, reoriented to quote per
        base; the fee is ``state.fee_pips / 1e6``. The current price is
        ``pool.sqrt_price_x96_to_price(state.sqrt_price_x96)``.

        >>> from lpperp.units import WETH_USDC_ARBITRUM as arb
        >>> st = PoolState(get_sqrt_ratio_at_tick(-196260), -196260, 10**15, 500, 10,
        ...                (-197000, -195000), (10**15, -10**15))
        >>> prof = LiquidityProfile.from_pool_state(st, arb)
        >>> [round(float(p), 2) for p in prof.price_edges[1:3]], prof.liquidity[1:2].tolist()
        ([2785.01, 3401.58], [1000.0])
        """
        if not isinstance(state, PoolState):
            raise LpperpError(f"state must be a PoolState, got {type(state).__name__}")
        if not isinstance(pool, PoolSpec):
            raise LpperpError(f"pool must be a PoolSpec, got {type(pool).__name__}")
        if pool.fee_pips != state.fee_pips:
            raise LpperpError(
                f"pool.fee_pips={pool.fee_pips} differs from state.fee_pips={state.fee_pips}"
            )
        ticks = [MIN_TICK] + [t for t in state.ticks if MIN_TICK < t < MAX_TICK] + [MAX_TICK]
        raw = [state.liquidity_at(t) for t in ticks[:-1]]  # segment [ticks[i], ticks[i+1])
        edges = np.asarray(pool.tick_to_price(np.array(ticks, dtype=np.int64)), dtype=float)
        liq = np.array([pool.liquidity_to_human(x) for x in raw], dtype=float)
        if not pool.base_is_token0:  # price falls as the tick rises: reverse the segments
            edges, liq = edges[::-1].copy(), liq[::-1].copy()
        return cls(edges, liq, state.fee_pips / 1e6)

    # -- queries -------------------------------------------------------------------------------
    def segment(self, price: Any) -> np.ndarray:
        """Index of the segment holding each price (``price_edges[i] <= P < price_edges[i+1]``).

        >>> LiquidityProfile([1.0, 2.0, 4.0], [1.0, 2.0], 0.0).segment([1.0, 2.0, 3.9]).tolist()
        [0, 1, 1]
        """
        p = np.asarray(positive("price", price), dtype=float)
        e = self.price_edges
        if ((p < e[0]) | (p > e[-1])).any():
            raise LpperpError(
                f"price must lie within the profile's edges [{e[0]}, {e[-1]}], got {price!r}"
            )
        return np.minimum(np.searchsorted(e, p, side="right") - 1, e.size - 2)

    def liquidity_at(self, price: Any) -> np.ndarray | float:
        """Human liquidity active at ``price``.

        >>> LiquidityProfile.uniform(3000.0, 7.0, 0.0).liquidity_at(1.0)
        7.0
        """
        return _out(self.liquidity[self.segment(price)])


def float_swap(profile: LiquidityProfile, price: Any, base_amount: Any) -> tuple[Any, Any]:
    """Swap ``base_amount`` (human units) through ``profile`` at ``price``: float twin of the pool.

    A sale (``base_amount > 0``) puts ``xe = x (1 - f)`` base through the curve: ``1/sqrt(P)``
    rises by ``xe / L`` inside a segment; the quote received is ``sum L * d sqrt(P)`` over the
    segments crossed. A purchase (``base_amount < 0``) takes ``|x|`` base out: ``1/sqrt(P)`` falls by
    ``|x| / L``; the quote paid is that sum divided by ``1 - f``. Inside one segment
    ``r = L / (L + xe sqrt(P))``, ``P1 = P r^2`` and ``quote = xe P r`` (``/ (1 - f)`` for a purchase).
    Crossing segments uses the base held above each edge (cumulative sums) and ``searchsorted``.
    Batches of 2**15 swaps and more take a blocked kernel that performs the same operations in
    the same order, so a swap's result is the same to the bit alone or in any batch.

    Parameters
    ----------
    profile : LiquidityProfile
    price : float or array
        Pool price before the swap (quote per base), within the profile's edges.
    base_amount : float or array
        Base sold into the pool (> 0) or bought out of it (< 0), human units.

    Returns
    -------
    (quote_amount, price_after)
        ``quote_amount`` > 0 received for a sale, < 0 paid for a purchase (quote units);
        ``price_after`` the pool price after the swap. A swap the profile cannot fill (a sale past
        its lowest edge, a purchase of more base than lies above the price) gives ``quote_amount``
        NaN and ``price_after`` the edge it reached.

    Examples
    --------
    Constant L = 1e6 (human), no fee: buying 1 ETH at 3000 costs ``L (sqrt(P1) - sqrt(P))``,
    selling 1 ETH pays ``L (sqrt(P) - sqrt(P1))`` (quote amounts first, then prices after):

    >>> prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0)
    >>> q, p1 = float_swap(prof, 3000.0, [-1.0, 1.0])
    >>> q.round(6).tolist(), p1.round(6).tolist()
    ([-3000.164326, 2999.835692], [3000.328661, 2999.671393])
    """
    fast = _fast_one_step(profile, price, base_amount)
    if fast is not None:
        return fast
    q, p1, _, shape = _swap(profile, price, base_amount, with_cost=False)
    return _out(q.reshape(shape)), _out(p1.reshape(shape))


_BLOCK = 1 << 14  # elements per block (best of 2**12..2**16 here): the block stays in L2
_FAST_MIN = 1 << 15  # below this many swaps the general path is as fast
_THREADED_MIN = 1 << 19
_POOL: Any = None

forget_pool_in_child(globals())  # a forked child starts its own pool


def _fast_one_step(
    profile: LiquidityProfile, price: Any, base_amount: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    """Large 1-d swaps that all stay in their starting segment: blocked, in place, threaded.

    Applies when ``base_amount`` is a float64 1-d array and the price is one number (one
    segment for all swaps) or the profile has one segment. It answers only when every swap is
    one the general path :func:`_swap` computes in one step (its own ``inside`` test, checked
    per block on the block's largest sale and purchase), and then with the general path's
    operations in the general path's order, so a swap's quote and price after are the same bits
    whatever the batch it comes in. Otherwise (``None``) the general path computes everything,
    so results and errors are the general path's.
    """
    global _POOL
    if not isinstance(profile, LiquidityProfile):
        return None
    x = base_amount
    if not (isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype == np.float64):
        return None
    n = x.size
    if n < _FAST_MIN:
        return None
    if isinstance(price, np.ndarray):
        if not (price.shape == x.shape and price.dtype == np.float64):
            return None
        if profile.liquidity.size != 1:
            return None
        k = 0
        p: Any = price
    else:
        if isinstance(price, (bool, np.bool_)) or not isinstance(price, (float, int, np.floating)):
            return None
        p = float(price)
        e = profile.price_edges
        if not (0.0 < p < math.inf and e[0] <= p <= e[-1]):  # NaN fails too
            return None
        k = min(int(np.searchsorted(e, p, side="right")) - 1, e.size - 2)  # as segment()
    liq = float(profile.liquidity[k])
    if not liq > 0:  # a zero amount would give 0/0 (the general path writes 0 and P)
        return None
    lo, hi = float(profile.price_edges[k]), float(profile.price_edges[k + 1])
    inv_lo, inv_hi = float(profile._inv_u[k]), float(profile._inv_u[k + 1])
    q = np.empty(n)
    p1 = np.empty(n)
    args = (p, x, q, p1, liq, profile.fee_fraction, lo, hi, inv_lo, inv_hi)
    workers = min(os.cpu_count() or 1, 4) if n >= _THREADED_MIN else 1
    if workers == 1:
        ok = _fast_span(*args, 0, n)
    else:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lpperp-swap")
        edges = [min(n, (i * n // workers) // _BLOCK * _BLOCK) for i in range(workers)] + [n]
        spans = [_POOL.submit(_fast_span, *args, a, b) for a, b in pairwise(edges)]
        ok = all([f.result() for f in spans])
    return (q, p1) if ok else None


def _fast_span(
    p: Any,
    x: np.ndarray,
    q: np.ndarray,
    p1: np.ndarray,
    liq: float,
    fee: float,
    lo: float,
    hi: float,
    inv_lo: float,
    inv_hi: float,
    start: int,
    stop: int,
) -> bool:
    """``q[start:stop]``, ``p1[start:stop]`` in one segment; False if a swap may leave it.

    The general path's one-step operations in its order: ``xe = x (1 - f)`` for sales,
    ``r = L / (L + xe sqrt(P))``, ``quote = (xe P) r`` (``/ (1 - f)`` for purchases),
    ``P1 = (P r) r``. A block is answered only if its largest sale ``xe`` is ``<=`` the room
    down ``L (1/u_lo - 1/sqrt(P))`` and its largest purchase ``|x|`` is ``<`` the room up
    ``L (1/sqrt(P) - 1/u_hi)`` (the general path's ``inside`` test) at the block's lowest
    (resp. highest) price: each room is computed with the general path's operations, which are
    monotone in ``P``, so every swap of the block passes the general path's own test.
    """
    scalar_p = not isinstance(p, np.ndarray)
    keep = 1.0 - fee
    r = np.empty(_BLOCK)
    t = np.empty(_BLOCK)
    sq = np.empty(_BLOCK)
    xe = np.empty(_BLOCK)
    with np.errstate(all="ignore"):
        for i in range(start, stop, _BLOCK):
            j = min(i + _BLOCK, stop)
            xb, qb, pb = x[i:j], q[i:j], p1[i:j]
            ab, tb, rb = xe[: j - i], t[: j - i], r[: j - i]
            x_min, x_max = xb.min(), xb.max()
            if not (-math.inf < x_min and x_max < math.inf):  # NaN fails too
                return False
            if scalar_p:
                pr: Any = p
                s: Any = math.sqrt(p)
                p_lo = p_hi = p
            else:
                pr = p[i:j]
                p_lo, p_hi = pr.min(), pr.max()
                if not (0.0 < p_lo and lo <= p_lo and p_hi <= hi and p_hi < math.inf):
                    return False
                s = np.sqrt(pr, out=sq[: j - i])
            if x_max > 0 and not x_max * keep <= liq * (inv_lo - 1.0 / math.sqrt(p_lo)):
                return False
            if x_min < 0 and not -x_min < liq * (1.0 / math.sqrt(p_hi) - inv_hi):
                return False
            if x_min >= 0:
                np.multiply(xb, keep, out=ab)
            elif x_max <= 0:
                ab[:] = xb
            else:  # both directions: xe = min(x (1 - f), x) takes the fee on sales only
                np.multiply(xb, keep, out=ab)
                np.minimum(ab, xb, out=ab)
            np.multiply(ab, s, out=tb)
            np.add(tb, liq, out=tb)
            np.divide(liq, tb, out=rb)  # r = L / (L + xe sqrt(P))
            np.multiply(ab, pr, out=qb)
            qb *= rb  # quote = (xe P) r
            np.multiply(rb, pr, out=pb)
            pb *= rb  # P1 = (P r) r
            if x_min < 0:
                if x_max <= 0:
                    qb /= keep
                else:  # q = min(q, q / (1 - f)) adds the fee to purchases (q < 0) only
                    np.divide(qb, keep, out=tb)
                    np.minimum(qb, tb, out=qb)
            if x_min <= 0 <= x_max:
                qb += 0.0  # a zero amount's quote is +0.0 in the general path (-0.0 + 0.0)
    return True


def _swap(
    profile: LiquidityProfile, price: Any, base_amount: Any, *, with_cost: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, ...]]:
    """Flat ``(quote, price_after, cost or None, shape)`` of :func:`float_swap`.

    Inside the starting segment the cost against the mid is written without cancellation:
    a sale costs ``x P r (f + xe sqrt(P) / L)``, a purchase ``|x| P (|x| sqrt(P) r / L + f) / (1 - f)``.
    """
    if not isinstance(profile, LiquidityProfile):
        raise LpperpError(f"profile must be a LiquidityProfile, got {type(profile).__name__}")
    x = np.asarray(finite("base_amount", base_amount), dtype=float)
    k = profile.segment(price)
    p = np.asarray(positive("price", price), dtype=float)
    p, x, k = np.broadcast_arrays(p, x, k)
    shape = p.shape
    p, x, k = p.ravel(), x.ravel(), k.ravel()
    # a sale from a price exactly on an inner edge moves into the segment below: start it there
    # (one step) instead of walking down from the edge, whose base and quote sums over the whole
    # profile cancel (a 1e-6 sale lost 5 digits of its quote)
    k = np.where((x > 0) & (p == profile.price_edges[k]), np.maximum(k - 1, 0), k)
    fee = profile.fee_fraction
    liq = profile.liquidity[k]
    s = np.sqrt(p)
    sell = x > 0
    cost = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv_s = 1.0 / s
        xe = np.where(sell, x * (1.0 - fee), x)
        # room in the current segment: base it absorbs down to its lower edge, holds above P
        room_down = liq * (profile._inv_u[k] - inv_s)
        room_up = liq * (inv_s - profile._inv_u[k + 1])
        inside = (x == 0) | (sell & (xe <= room_down)) | (~sell & (-xe < room_up))
        r = liq / (liq + xe * s)
        q = xe * p * r
        q = np.where(sell, q, q / (1.0 - fee))
        p1 = p * r * r
        q = np.where(x == 0, 0.0, q)
        p1 = np.where(x == 0, p, p1)
        if with_cost:
            ax = np.abs(x)
            impact = ax * s / liq
            cost = np.where(
                sell,
                ax * p * r * (fee + (1.0 - fee) * impact),
                ax * p * (impact * r + fee) / (1.0 - fee),
            )
            cost = np.where(x == 0, 0.0, cost)
    if not inside.all():
        idx = np.flatnonzero(~inside)
        q[idx], p1[idx] = _walk(profile, p[idx], s[idx], xe[idx], k[idx], sell[idx])
        if cost is not None:
            c = x[idx] * p[idx] - q[idx]
            cost[idx] = np.where(np.isnan(c), np.inf, np.maximum(c, 0.0))
    return q, p1, cost, shape


def _walk(
    profile: LiquidityProfile,
    p: np.ndarray,
    s: np.ndarray,
    xe: np.ndarray,
    k: np.ndarray,
    sell: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Swaps that leave their segment: land with the base held above each edge.

    ``beta(P) = H[k+1] + L_k (1/sqrt(P) - 1/u_{k+1})`` is the base held above ``P`` (``H`` sums
    whole segments from the top); a swap moves it to ``beta + xe``. The landing segment ``j``
    has ``H[j] >= beta1 > H[j+1]``, where ``1/sqrt(P1) = 1/u_{j+1} + (beta1 - H[j+1]) / L_j``. The
    quote is the change of ``gamma(P) = Q[k] + L_k (sqrt(P) - u_k)``, the quote held below ``P``.
    """
    u, inv_u, liq_all = profile._u, profile._inv_u, profile.liquidity
    h, qb = profile._base_above, profile._quote_below
    n = liq_all.size
    fee = profile.fee_fraction
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        liq_k = liq_all[k]
        beta0 = h[k + 1] + np.where(liq_k > 0, liq_k * (1.0 / s - inv_u[k + 1]), 0.0)
        beta1 = beta0 + xe
        i = np.searchsorted(h[::-1], beta1, side="left")  # first reversed index with H >= beta1
        j = n - i  # segment with H[j] >= beta1 > H[j + 1]
        fillable = (beta1 > 0) & (j >= 0)
        jj = np.clip(j, 0, n - 1)
        liq_j = liq_all[jj]
        inv_s1 = inv_u[jj + 1] + (beta1 - h[jj + 1]) / liq_j
        s1 = 1.0 / inv_s1
        gamma0 = qb[k] + liq_k * (s - u[k])
        gamma1 = qb[jj] + liq_j * (s1 - u[jj])
        q_net = np.abs(gamma0 - gamma1)
        q = np.where(sell, q_net, -q_net / (1.0 - fee))
        p1 = s1 * s1
    edge = np.where(sell, profile.price_edges[0], profile.price_edges[-1])
    return np.where(fillable, q, np.nan), np.where(fillable, p1, edge)


def execution_cost(profile: LiquidityProfile, price: Any, base_amount: Any) -> Any:
    """Cost in quote units (>= 0) of swapping ``base_amount`` against the mid ``price``.

    ``base_amount * price - quote_amount`` with :func:`float_swap`'s signs: for a sale the mid
    value of the base less the quote received, for a purchase the quote paid less the mid value.
    It holds the pool fee (charged on the input) and the price impact; ``inf`` when the profile
    cannot fill the swap.

    Examples
    --------
    Selling 10 ETH into 0.05 % constant liquidity L = 1e6 at 3000: 15 of fee plus impact:

    >>> prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    >>> round(execution_cost(prof, 3000.0, 10.0), 4)
    31.4063
    """
    _, _, cost, shape = _swap(profile, price, base_amount, with_cost=True)
    return _out(cost.reshape(shape))

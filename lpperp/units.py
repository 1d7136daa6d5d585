"""Ticks, sqrt prices and token order: the one place where human prices meet on-chain integers.

Conventions
-----------
- **Human price** ``price`` is *quote per base in human units* (USDC per ETH = 3000.0), whatever the
  pool's token order. Everything outside this module speaks human prices only.
- **Raw price** is what the pool stores: token1 per token0 in the tokens' smallest units
  (``1.0001 ** tick``). ``sqrt_price_x96 = sqrt(raw price) * 2**96`` (Q64.96, Uniswap v3);
  ``sqrt_price_x64`` is the same in Q64.64 (Orca Whirlpools).
- :class:`PoolSpec` holds the token symbols, their decimals and which token is token0; it is the only
  object that converts human <-> raw prices, amounts and liquidity.
- Exact functions (``get_sqrt_ratio_at_tick``, ``get_tick_at_sqrt_ratio``) take and return Python ints
  and match ``TickMath.sol`` (Uniswap v3-core) bit for bit. Float functions are vectorized.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import LpperpError, integer, nonnegative, positive

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q64",
    "Q96",
    "Q128",
    "TICK_SPACING_BY_FEE",
    "USDC_WETH_ETHEREUM",
    "WETH_USDC_ARBITRUM",
    "WETH_USDC_BASE",
    "PoolSpec",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "nearest_usable_tick",
    "sqrt_price_x64_to_x96",
    "sqrt_price_x96_to_x64",
]

MIN_TICK = -887272
"""Lowest tick of any Uniswap v3 pool (log base 1.0001 of 2**-128)."""
MAX_TICK = 887272
"""Highest tick of any Uniswap v3 pool."""
MIN_SQRT_RATIO = 4295128739
"""``get_sqrt_ratio_at_tick(MIN_TICK)`` (TickMath.sol)."""
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
"""``get_sqrt_ratio_at_tick(MAX_TICK)`` (TickMath.sol)."""
Q64 = 1 << 64
Q96 = 1 << 96
Q128 = 1 << 128
_UINT256_MAX = (1 << 256) - 1
_LOG_TICK_BASE = math.log(1.0001)

TICK_SPACING_BY_FEE = {100: 1, 500: 10, 3000: 60, 10000: 200}
"""Tick spacing of each Uniswap v3 fee tier (fee in pips, i.e. hundredths of a bp)."""

# Q128.128 factors sqrt(1.0001)^-(2^i) for i = 1..19 (TickMath.sol, v3-core).
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """Exact ``sqrt(1.0001**tick) * 2**96`` as TickMath.getSqrtRatioAtTick computes it.

    Parameters
    ----------
    tick : int
        Tick in ``[MIN_TICK, MAX_TICK]``.

    Returns
    -------
    int
        sqrtPriceX96 (Q64.96), rounded up as the contract does.

    Examples
    --------
    >>> get_sqrt_ratio_at_tick(0) == Q96
    True
    >>> get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    True
    """
    tick = integer("tick", tick, MIN_TICK, MAX_TICK)
    abs_tick = -tick if tick < 0 else tick
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 0x1 else 1 << 128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = _UINT256_MAX // ratio
    return (ratio >> 32) + (0 if ratio % (1 << 32) == 0 else 1)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """Greatest tick whose sqrt ratio is <= ``sqrt_price_x96`` (TickMath.getTickAtSqrtRatio).

    The contract's result is defined as this greatest tick; we find it with an exact integer search
    started from a float estimate, so the answer is identical bit for bit.

    Parameters
    ----------
    sqrt_price_x96 : int
        Q64.96 sqrt price in ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)``.

    Examples
    --------
    >>> get_tick_at_sqrt_ratio(Q96)
    0
    >>> get_tick_at_sqrt_ratio(MIN_SQRT_RATIO)
    -887272
    >>> get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1)
    887271
    """
    s = integer("sqrt_price_x96", sqrt_price_x96, MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
    estimate = math.floor(2.0 * (math.log(s) - math.log(Q96)) / _LOG_TICK_BASE)
    tick = min(max(estimate, MIN_TICK), MAX_TICK - 1)
    while tick < MAX_TICK - 1 and get_sqrt_ratio_at_tick(tick + 1) <= s:
        tick += 1
    while get_sqrt_ratio_at_tick(tick) > s:
        tick -= 1
    return tick


def nearest_usable_tick(tick: int, tick_spacing: int) -> int:
    """The multiple of ``tick_spacing`` nearest to ``tick``, kept inside the tick limits.

    Examples
    --------
    >>> nearest_usable_tick(-201_000, 60), nearest_usable_tick(887272, 60)
    (-201000, 887220)
    """
    tick = integer("tick", tick, MIN_TICK, MAX_TICK)
    spacing = integer("tick_spacing", tick_spacing, 1, 16384)
    rounded = math.floor(tick / spacing + 0.5) * spacing
    if rounded < MIN_TICK:
        rounded += spacing
    elif rounded > MAX_TICK:
        rounded -= spacing
    return rounded


def sqrt_price_x96_to_x64(sqrt_price_x96: int) -> int:
    """Q64.96 (Uniswap v3) -> Q64.64 (Orca Whirlpools) sqrt price, rounded down.

    >>> sqrt_price_x96_to_x64(Q96) == Q64
    True
    """
    return integer("sqrt_price_x96", sqrt_price_x96, 0) >> 32


def sqrt_price_x64_to_x96(sqrt_price_x64: int) -> int:
    """Q64.64 (Orca Whirlpools) -> Q64.96 (Uniswap v3) sqrt price (exact).

    >>> sqrt_price_x64_to_x96(Q64) == Q96
    True
    """
    return integer("sqrt_price_x64", sqrt_price_x64, 0) << 32


def _int_to_float_ratio(num: int, den: int) -> float:
    """``num / den`` for huge ints, correctly rounded (Python's int true division)."""
    return num / den


def _representable(name: str, given: Any, converted: Any) -> Any:
    """``converted`` if every value is a finite float > 0, else a named error (over/underflow)."""
    arr = np.asarray(converted)
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise LpperpError(
            f"{name}={given!r} over- or underflows a float once token order and decimals are "
            f"applied; allowed: prices a v3 pool can hold (ticks in [{MIN_TICK}, {MAX_TICK}])"
        )
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class PoolSpec:
    """A market described as base/quote, and how the pool orders and scales its two tokens.

    Parameters
    ----------
    base, quote : str
        Token symbols; the human price is quote per base (``"WETH"``, ``"USDC"`` -> 3000.0).
    base_decimals, quote_decimals : int
        ERC-20 decimals, in ``0..77``.
    base_is_token0 : bool
        True when the base token's address sorts first in the pool (WETH/USDC on Arbitrum), False when
        the quote token is token0 (USDC/WETH on Ethereum mainnet).
    fee_pips : int
        Pool fee in hundredths of a basis point (3000 = 0.30%).
    tick_spacing : int or None
        Defaults to the fee tier's spacing.

    Notes
    -----
    With ``d = quote_decimals - base_decimals``, the pool's raw price (token1 per token0, smallest
    units) is ``price * 10**d`` when base is token0 and ``10**-d / price`` otherwise. Human liquidity
    (``base = L (1/sqrt P - 1/sqrt pb)``) is ``L_raw / 10**((base_decimals + quote_decimals) / 2)``
    in either order.

    Examples
    --------
    The same market described by the mainnet pool (USDC is token0) and the Arbitrum pool (WETH is
    token0) gives the same human price:

    >>> t_main = USDC_WETH_ETHEREUM.price_to_tick(3000.0)
    >>> t_arb = WETH_USDC_ARBITRUM.price_to_tick(3000.0)
    >>> int(t_main), int(t_arb)
    (196256, -196257)
    >>> round(float(USDC_WETH_ETHEREUM.tick_to_price(t_main)), 2)  # 1.0001**tick <= raw price
    3000.1
    """

    base: str = "WETH"
    quote: str = "USDC"
    base_decimals: int = 18
    quote_decimals: int = 6
    base_is_token0: bool = True
    fee_pips: int = 500
    tick_spacing: int | None = None

    def __post_init__(self) -> None:
        for name in ("base", "quote"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise LpperpError(f"{name} must be a non-empty token symbol string, got {value!r}")
        if self.base == self.quote:
            raise LpperpError(f"base and quote must differ, got both {self.base!r}")
        integer("base_decimals", self.base_decimals, 0, 77)
        integer("quote_decimals", self.quote_decimals, 0, 77)
        if not isinstance(self.base_is_token0, (bool, np.bool_)):
            raise LpperpError(f"base_is_token0 must be True or False, got {self.base_is_token0!r}")
        integer("fee_pips", self.fee_pips, 0, 1_000_000)
        spacing = self.tick_spacing
        if spacing is None:
            spacing = TICK_SPACING_BY_FEE.get(self.fee_pips)
            if spacing is None:
                raise LpperpError(
                    f"tick_spacing is required for fee_pips={self.fee_pips}; the standard tiers "
                    f"{sorted(TICK_SPACING_BY_FEE)} have defaults"
                )
            object.__setattr__(self, "tick_spacing", spacing)
        integer("tick_spacing", spacing, 1, 16384)

    # -- token order ---------------------------------------------------------------------------
    def _pool_order(self, base_x: Any, quote_x: Any) -> tuple[Any, Any]:
        """``(base_x, quote_x)`` -> ``(token0_x, token1_x)``; a swap, so also the way back."""
        return (base_x, quote_x) if self.base_is_token0 else (quote_x, base_x)

    @property
    def token0(self) -> str:
        """Symbol of the pool's token0."""
        return self._pool_order(self.base, self.quote)[0]

    @property
    def token1(self) -> str:
        """Symbol of the pool's token1."""
        return self._pool_order(self.base, self.quote)[1]

    @property
    def decimals0(self) -> int:
        """Decimals of token0."""
        return self._pool_order(self.base_decimals, self.quote_decimals)[0]

    @property
    def decimals1(self) -> int:
        """Decimals of token1."""
        return self._pool_order(self.base_decimals, self.quote_decimals)[1]

    @property
    def _decimal_shift(self) -> int:
        return self.quote_decimals - self.base_decimals

    # -- prices (vectorized floats) ------------------------------------------------------------
    def price_to_raw(self, price: Any) -> float | np.ndarray:
        """Human price (quote per base) -> raw pool price (token1 per token0, smallest units).

        >>> float(USDC_WETH_ETHEREUM.price_to_raw(3000.0))  # WETH per USDC in wei per micro-USDC
        333333333.3333333
        """
        p = np.asarray(positive("price", price))
        scale = 10.0**self._decimal_shift
        with np.errstate(over="ignore", divide="ignore"):
            raw = p * scale if self.base_is_token0 else 1.0 / (p * scale)
        return _representable("price", price, raw)

    def raw_to_price(self, raw_price: Any) -> float | np.ndarray:
        """Raw pool price (token1 per token0, smallest units) -> human price (quote per base).

        >>> round(float(WETH_USDC_ARBITRUM.raw_to_price(3e-9)), 6)
        3000.0
        """
        r = np.asarray(positive("raw_price", raw_price))
        scale = 10.0**self._decimal_shift
        with np.errstate(over="ignore", divide="ignore"):
            out = r / scale if self.base_is_token0 else 1.0 / (r * scale)
        return _representable("raw_price", raw_price, out)

    def price_to_tick(self, price: Any) -> np.ndarray:
        """Human price -> tick whose raw price is the greatest at or below the raw price (floor).

        Exact at tick boundaries up to float rounding of ``log``; use ``get_tick_at_sqrt_ratio`` on
        an integer sqrt price when the wei matters.
        """
        raw = self.price_to_raw(price)
        ticks = np.floor(np.log(raw) / _LOG_TICK_BASE + 1e-9)
        if np.any((ticks < MIN_TICK) | (ticks > MAX_TICK)):
            raise LpperpError(
                f"price={price!r} maps to a tick outside [{MIN_TICK}, {MAX_TICK}] for {self}"
            )
        return ticks.astype(np.int64)

    def tick_to_price(self, tick: Any) -> float | np.ndarray:
        """Tick(s) -> human price (quote per base), vectorized float ``1.0001**tick`` reoriented.

        >>> round(float(WETH_USDC_ARBITRUM.tick_to_price(-196257)), 2)
        2999.8
        """
        try:
            t = np.asarray(tick)
        except ValueError:  # ragged nested lists
            raise LpperpError(f"tick must be an integer or an array of integers, got {tick!r}") from None
        if not np.issubdtype(t.dtype, np.integer):
            raise LpperpError(f"tick must be integer(s), got dtype {t.dtype} ({tick!r})")
        if np.any((t < MIN_TICK) | (t > MAX_TICK)):
            raise LpperpError(f"tick must be in [{MIN_TICK}, {MAX_TICK}], got {tick!r}")
        raw = np.exp(t * _LOG_TICK_BASE)
        out = self.raw_to_price(raw)
        return float(out) if np.ndim(out) == 0 else out

    def price_to_sqrt_price_x96(self, price: float) -> int:
        """Human price -> Q64.96 sqrt price (int), to float precision (~1e-16 relative).

        >>> USDC_WETH_ETHEREUM.price_to_sqrt_price_x96(3000.0)
        1446501726624927555876692458209280
        """
        p = positive("price", price)
        if np.ndim(p):
            raise LpperpError("price must be a scalar here (an int is returned), got an array")
        sqrt_raw = math.exp(0.5 * math.log(float(self.price_to_raw(p))))
        x96 = round(sqrt_raw * Q96)
        if not MIN_SQRT_RATIO <= x96 <= MAX_SQRT_RATIO:
            raise LpperpError(f"price={price!r} is outside the sqrt price range of a v3 pool")
        return x96

    def sqrt_price_x96_to_price(self, sqrt_price_x96: int) -> float:
        """Q64.96 sqrt price (int) -> human price (quote per base), correctly rounded.

        >>> round(USDC_WETH_ETHEREUM.sqrt_price_x96_to_price(
        ...     USDC_WETH_ETHEREUM.price_to_sqrt_price_x96(3000.0)), 9)
        3000.0
        """
        s = integer("sqrt_price_x96", sqrt_price_x96, 1)
        num, den = s * s, Q96 * Q96  # raw price = num / den
        d = self._decimal_shift
        if self.base_is_token0:  # price = raw / 10**d
            return _int_to_float_ratio(num * 10 ** max(-d, 0), den * 10 ** max(d, 0))
        # price = 10**-d / raw
        return _int_to_float_ratio(den * 10 ** max(-d, 0), num * 10 ** max(d, 0))

    # -- amounts and liquidity -----------------------------------------------------------------
    def to_raw_amounts(self, base: float, quote: float) -> tuple[int, int]:
        """Human (base, quote) amounts -> raw ``(amount0, amount1)`` integers (rounded down).

        >>> USDC_WETH_ETHEREUM.to_raw_amounts(1.0, 3000.0)
        (3000000000, 1000000000000000000)
        """
        b = float(np.asarray(_nonneg_scalar("base", base)))
        q = float(np.asarray(_nonneg_scalar("quote", quote)))
        raw_base = _to_raw(b, self.base_decimals)
        raw_quote = _to_raw(q, self.quote_decimals)
        return self._pool_order(raw_base, raw_quote)

    def from_raw_amounts(self, amount0: Any, amount1: Any) -> tuple[Any, Any]:
        """Raw ``(amount0, amount1)`` -> human ``(base, quote)`` (ints exact to float precision).

        >>> WETH_USDC_ARBITRUM.from_raw_amounts(10**18, 3_000 * 10**6)
        (1.0, 3000.0)
        """
        a0 = _raw_to_float("amount0", amount0, self.decimals0)
        a1 = _raw_to_float("amount1", amount1, self.decimals1)
        return self._pool_order(a0, a1)  # (token0, token1) -> (base, quote): the same swap

    def liquidity_to_human(self, liquidity_raw: Any) -> float | np.ndarray:
        """Raw pool liquidity -> human liquidity ``L / 10**((base_dec + quote_dec) / 2)``.

        >>> USDC_WETH_ETHEREUM.liquidity_to_human(10**12)
        1.0
        """
        scale = 10.0 ** (-(self.base_decimals + self.quote_decimals) / 2)
        if isinstance(liquidity_raw, (int, np.integer)) and not isinstance(liquidity_raw, bool):
            if liquidity_raw < 0:
                raise LpperpError(f"liquidity_raw must be >= 0, got {liquidity_raw}")
            return float(liquidity_raw) * scale
        out = np.asarray(nonnegative("liquidity_raw", liquidity_raw), dtype=float) * scale
        return float(out) if out.ndim == 0 else out

    def liquidity_to_raw(self, liquidity: float) -> int:
        """Human liquidity -> raw pool liquidity (int, rounded down; float precision).

        >>> USDC_WETH_ETHEREUM.liquidity_to_raw(1.0)
        1000000000000
        """
        v = float(_nonneg_scalar("liquidity", liquidity))
        half = self.base_decimals + self.quote_decimals
        return _to_raw(v, half / 2)


def _nonneg_scalar(name: str, x: Any) -> float:
    v = nonnegative(name, x)
    if np.ndim(v):
        raise LpperpError(f"{name} must be a scalar, got an array of shape {np.shape(v)}")
    return float(v)


def _to_raw(amount: float, decimals: float) -> int:
    """Human float -> raw int, rounded down, without float overflow for large decimals."""
    from decimal import Decimal, localcontext

    if amount == 0:
        return 0
    with localcontext() as ctx:
        ctx.prec = 120
        scaled = Decimal(amount) * Decimal(10) ** Decimal(decimals)
        return int(scaled.to_integral_value(rounding="ROUND_FLOOR"))


def _raw_to_float(name: str, amount: Any, decimals: int) -> Any:
    if isinstance(amount, (int, np.integer)) and not isinstance(amount, bool):
        if amount < 0:
            raise LpperpError(f"{name} must be a raw amount >= 0, got {amount}")
        return int(amount) / 10**decimals
    arr = np.asarray(nonnegative(name, amount))  # refuses strings, None, booleans, NaN, < 0
    return arr / 10.0**decimals


USDC_WETH_ETHEREUM = PoolSpec("WETH", "USDC", 18, 6, base_is_token0=False, fee_pips=500)
"""USDC/WETH 0.05% on Ethereum mainnet: USDC (0xA0b8...) is token0."""
WETH_USDC_ARBITRUM = PoolSpec("WETH", "USDC", 18, 6, base_is_token0=True, fee_pips=500)
"""WETH/USDC 0.05% on Arbitrum One (native USDC 0xaf88...): WETH (0x82aF...) is token0."""
WETH_USDC_BASE = PoolSpec("WETH", "USDC", 18, 6, base_is_token0=True, fee_pips=500)
"""WETH/USDC 0.05% on Base: WETH (0x4200...0006) is token0, USDC (0x8335...) token1."""

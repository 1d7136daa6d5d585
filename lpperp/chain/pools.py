"""Read a Uniswap v3 pool: tokens, fee, tick spacing, price, active liquidity, fee growth.

The pool is read at one pinned block and oriented as lpperp prices it: the quote token is the one
you name (``quote="USDC"``, a symbol or an address), else a stablecoin, else wrapped ether, else
token1 (Uniswap's own convention). Values no Uniswap v3 pool can hold (a fee above 100 %, a tick
outside TickMath, a tick that does not match the price, decimals above 77) are a
:class:`~lpperp._rpc.ChainError`, not a silently wrong price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lpperp._abi import decode, to_checksum_address
from lpperp._rpc import ChainError, JsonRpcClient, RpcCallError, show_value
from lpperp._validate import LpperpError
from lpperp.chain.errors import NotAUniswapV3PoolError
from lpperp.chain.presets import ETH_LIKE, STABLECOINS, ChainPreset, address_arg, resolve_chain
from lpperp.chain.reader import Reader, reply_checked
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "POOL_VIEWS",
    "TICK_INFO",
    "PoolState",
    "TokenInfo",
    "check_pool_reads",
    "pick_base_is_token0",
    "pool_from_reads",
    "quote_arg",
    "read_pool",
    "read_views",
]

SLOT0 = ["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"]
TICK_INFO = ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"]
"""ABI outputs of the pool's ``ticks(int24)``: liquidityGross, liquidityNet, feeGrowthOutside0X128,
feeGrowthOutside1X128, tickCumulativeOutside, secondsPerLiquidityOutsideX128, secondsOutside,
initialized."""

POOL_VIEWS: dict[str, tuple[str, list[str]]] = {
    "token0": ("token0()", ["address"]),
    "token1": ("token1()", ["address"]),
    "fee": ("fee()", ["uint24"]),
    "tickSpacing": ("tickSpacing()", ["int24"]),
    "slot0": ("slot0()", SLOT0),
    "liquidity": ("liquidity()", ["uint128"]),
    "feeGrowthGlobal0X128": ("feeGrowthGlobal0X128()", ["uint256"]),
    "feeGrowthGlobal1X128": ("feeGrowthGlobal1X128()", ["uint256"]),
}
"""The pool's argument-less view functions: name -> (signature, ABI output types)."""


@dataclass(frozen=True)
class TokenInfo:
    """An ERC-20 as the pool sees it."""

    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class PoolState:
    """A Uniswap v3 pool read at ``block``; ``spec`` gives the human orientation.

    ``liquidity_raw`` is the pool's active liquidity (all positions in range), raw units.
    """

    address: str
    chain: str
    block: int
    token0: TokenInfo
    token1: TokenInfo
    fee_pips: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity_raw: int
    fee_growth_global0_x128: int
    fee_growth_global1_x128: int
    spec: PoolSpec

    @property
    def price(self) -> float:
        """Human price, quote per base."""
        return self.spec.sqrt_price_x96_to_price(self.sqrt_price_x96)


def read_views(
    reader: Reader, address: str, names: Sequence[str], where: str, extra: Sequence[tuple] = ()
) -> tuple[list[Any], list[Any]]:
    """The pool views ``names`` (:data:`POOL_VIEWS`) and ``extra`` calls in one batch.

    Returns ``(views, extra_replies)``; a failed view is a :class:`NotAUniswapV3PoolError` naming
    every view that failed (a Uniswap v2 pair has none of them).
    """
    specs = [(address, POOL_VIEWS[n][0], (), POOL_VIEWS[n][1]) for n in names]
    replies = reader.calls([*specs, *extra])
    views = replies[: len(names)]
    failed = [n for n, r in zip(names, views, strict=True) if isinstance(r, RpcCallError)]
    if failed:
        raise NotAUniswapV3PoolError(
            f"{where} is not a Uniswap v3 pool: {', '.join(failed)}() failed (a Uniswap v2 pair "
            "or another contract?)"
        )
    return views, replies[len(names) :]


def check_pool_reads(
    where: str, fee: int, spacing: int, sqrt_price_x96: int, tick: int, *tokens: TokenInfo
) -> None:
    """The bounds UniswapV3Factory and TickMath guarantee; anything else is a broken reply.

    >>> check_pool_reads("pool 0x11", 3000, 60, 0, 0)
    Traceback (most recent call last):
    ...
    lpperp._rpc.ChainError: pool 0x11 is not initialized (no price yet)
    """
    if sqrt_price_x96 == 0:
        raise ChainError(f"{where} is not initialized (no price yet)")
    problems = []
    if not 0 < fee < 1_000_000:
        problems.append(f"fee() = {fee} (the factory allows 0 < fee < 1,000,000)")
    if not 0 < spacing < 16384:
        problems.append(f"tickSpacing() = {spacing} (the factory allows 0 < spacing < 16384)")
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        problems.append(f"slot0().sqrtPriceX96 = {sqrt_price_x96} (outside TickMath's range)")
    if not MIN_TICK <= tick <= MAX_TICK:
        problems.append(f"slot0().tick = {tick} (outside [{MIN_TICK}, {MAX_TICK}])")
    elif MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        at_price = get_tick_at_sqrt_ratio(sqrt_price_x96)  # or one less, exactly on a tick
        if tick != at_price and not (
            tick == at_price - 1 and get_sqrt_ratio_at_tick(at_price) == sqrt_price_x96
        ):
            problems.append(f"slot0().tick = {tick} but its sqrtPriceX96 is in tick {at_price}")
    for t in tokens:
        if t.decimals > 77:
            problems.append(f"{t.address}.decimals() = {t.decimals} (more than 77)")
    if problems:
        raise ChainError(f"{where} returned values no Uniswap v3 pool holds: {'; '.join(problems)}")


def _symbol(raw: Any, address: str) -> str:
    if isinstance(raw, bytes):
        if len(raw) == 32:  # bytes32 symbol (MKR style)
            text = raw.rstrip(b"\0").decode("utf-8", errors="replace")
        else:
            try:
                text = decode(["string"], raw)[0]
            except ValueError:
                text = ""
        text = "".join(ch for ch in text.strip() if ch.isprintable())[:32]
        if text:
            return text
    return f"{address[:6]}…{address[-4:]}"


def quote_arg(quote: Any) -> str | None:
    """The ``quote=`` argument checked: None, or a non-blank symbol or address string."""
    if quote is not None and (not isinstance(quote, str) or not quote.strip()):
        raise LpperpError(
            f"quote must be None or a token symbol or address string, got {show_value(quote)}"
        )
    return quote


def pick_base_is_token0(t0: TokenInfo, t1: TokenInfo, quote: str | None) -> bool:
    """Whether token0 is the base: ``quote`` names the quote token (symbol or address, any case),
    else a stablecoin, else wrapped ether, else token1 is the quote.

    >>> weth = TokenInfo("0x" + "22" * 20, "WETH", 18)
    >>> usdc = TokenInfo("0x" + "33" * 20, "USDC", 6)
    >>> pick_base_is_token0(weth, usdc, None), pick_base_is_token0(weth, usdc, "weth")
    (True, False)
    """
    if quote_arg(quote) is not None:
        q = quote.strip()
        for i, t in enumerate((t0, t1)):
            if q.lower() in (t.symbol.lower(), t.address.lower()):
                return i == 1  # quote is token1 -> base is token0
        raise LpperpError(
            f"quote={quote!r} is neither token of this pool: choose {t0.symbol!r} or {t1.symbol!r} "
            "(or pass a token address)"
        )

    def rank(t: TokenInfo) -> int:
        s = t.symbol.upper()
        return 0 if s in STABLECOINS else 1 if s in ETH_LIKE else 2

    r0, r1 = rank(t0), rank(t1)
    if r0 < r1:
        return False  # token0 is the better quote
    return True  # token1 is the quote (ties: Uniswap's own convention, token1 per token0)


def pool_from_reads(
    reader: Reader, address: str, quote: str | None, extra: list[tuple]
) -> tuple[PoolState, list[Any]]:
    """Read the pool at ``address`` (+ ``extra`` calls in the same batch) and validate it.

    With a chain preset the factory must list the pool (``getPool``): a fork's pool needs its own
    preset. Returns the state and the replies to ``extra``.
    """
    where = f"{address} on {reader.chain_name}"
    head, extra_replies = read_views(reader, address, list(POOL_VIEWS), where, extra)
    t0, t1 = head[0][0], head[1][0]
    fee, spacing = head[2][0], head[3][0]
    slot0 = head[4]
    token_calls = [
        (t0, "symbol()", (), None),
        (t0, "decimals()", (), ["uint8"]),
        (t1, "symbol()", (), None),
        (t1, "decimals()", (), ["uint8"]),
    ]
    if reader.chain is None:  # no factory to ask: trust the caller
        meta = [None, *reader.calls(token_calls)]
    else:
        get_pool = (reader.chain.factory, "getPool(address,address,uint24)", (t0, t1, fee))
        meta = reader.calls([(*get_pool, ["address"]), *token_calls])
        registered = meta[0][0] if not isinstance(meta[0], RpcCallError) else None
        if registered is None or registered.lower() != address.lower():
            raise NotAUniswapV3PoolError(
                f"{where} is not a pool of the Uniswap v3 factory {reader.chain.factory} (the "
                f"factory lists {registered} for these tokens and fee): a fork (Sushi, Pancake "
                "v3...) needs its own ChainPreset(factory=..., position_manager=...)"
            )
    for i, t in ((2, t0), (4, t1)):
        if isinstance(meta[i], RpcCallError):
            raise ChainError(f"token {t} of pool {where} has no decimals(): not an ERC-20?")
    tok0 = TokenInfo(t0, _symbol(meta[1], t0), meta[2][0])
    tok1 = TokenInfo(t1, _symbol(meta[3], t1), meta[4][0])
    check_pool_reads(f"pool {where}", fee, spacing, slot0[0], slot0[1], tok0, tok1)
    base_is_token0 = pick_base_is_token0(tok0, tok1, quote)
    base, quote_t = (tok0, tok1) if base_is_token0 else (tok1, tok0)
    bsym, qsym = base.symbol, quote_t.symbol
    if bsym == qsym:
        bsym, qsym = f"{bsym}({base.address[:6]})", f"{qsym}({quote_t.address[:6]})"
    with reply_checked(where):
        spec = PoolSpec(bsym, qsym, base.decimals, quote_t.decimals, base_is_token0, fee, spacing)
    state = PoolState(
        address=to_checksum_address(address),
        chain=reader.chain.name if reader.chain else "unknown",
        block=reader.block or 0,
        token0=tok0,
        token1=tok1,
        fee_pips=fee,
        tick_spacing=spacing,
        sqrt_price_x96=slot0[0],
        tick=slot0[1],
        liquidity_raw=head[5][0],
        fee_growth_global0_x128=head[6][0],
        fee_growth_global1_x128=head[7][0],
        spec=spec,
    )
    return state, extra_replies


def read_pool(
    rpc: str | JsonRpcClient,
    pool_address: str,
    *,
    chain: str | ChainPreset | None = "arbitrum",
    quote: str | None = None,
    timeout_s: float = 10.0,
) -> PoolState:
    """Read a Uniswap v3 pool: tokens, fee, tick spacing, price and active liquidity.

    Parameters
    ----------
    rpc : str or JsonRpcClient
        RPC URL (http/https) or an open client.
    pool_address : str
        The pool contract.
    chain : str, ChainPreset or None
        Preset name (``"ethereum"``, ``"arbitrum"``, ``"base"``, ``"optimism"``), your own preset, or
        None to skip the chain id and factory checks.
    quote : str, optional
        Symbol or address of the quote token (default: a stablecoin, else WETH, else token1).
    timeout_s : float
        Deadline of each RPC call (connect to decoded reply), seconds.

    Raises
    ------
    RpcUnreachableError, WrongChainError, NotAUniswapV3PoolError, ChainError

    Examples
    --------
    >>> read_pool("http://127.0.0.1:9", "0x" + "11" * 20, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    address = address_arg("pool_address", pool_address)
    quote = quote_arg(quote)
    with Reader(rpc, resolve_chain(chain), timeout_s) as reader:
        reader.start(
            address,
            NotAUniswapV3PoolError(f"there is no contract at {address} on {reader.chain_name}"),
        )
        state, _ = pool_from_reads(reader, address, quote, [])
        return state

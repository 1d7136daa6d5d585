"""Read Uniswap v3 pools, positions, ticks and oracles from a chain over JSON-RPC.

Give an RPC URL (yours: Alchemy, Infura, a public endpoint, a local node) and a position manager
token id, get back the pool (tokens, fee, tick spacing, price, active liquidity) and the position
(range, liquidity, uncollected fees) as a :class:`~lpperp.units.PoolSpec` and an
:class:`~lpperp.position.LPPosition` in the usual orientation. Nothing is called at import; every
read is a plain ``eth_call`` at one pinned block, batched (four or five HTTP round trips in all).

Conventions
-----------
- Prices are human (quote per base). The quote token is the one you name (``quote="USDC"``, a
  symbol or an address), else a stablecoin, else wrapped ether, else token1.
- Raw integers (``*_raw``, ``*_x96``, ``*_x128``) are exactly what the contracts store; human amounts
  come from ``PoolSpec.from_raw_amounts``.
- Uncollected fees include the fees grown inside the range since the position was last touched
  (the "poke" ``collect`` would do): :func:`uncollected_fees` ports ``Tick.getFeeGrowthInside`` and
  the position manager's ``tokensOwed`` update, so it matches a static ``collect`` to the wei.
- Chain presets (:data:`CHAINS`) hold the official position manager and factory addresses;
  ``ChainPreset(...)`` or ``dataclasses.replace(CHAINS["base"], factory=...)`` overrides them.
- For swaps and oracles: :func:`read_ticks` (the initialized ticks around the price, bounded, as a
  :class:`lpperp.swap.PoolState`), :func:`read_twap` (``observe`` and ``OracleLibrary.consult``'s
  floored mean tick) and :func:`read_chainlink` (``latestRoundData`` with an optional staleness
  check as lenders apply it).
- Errors are :class:`ChainError` subclasses with a message that says what to check, which call and
  what came back; ``ChainError`` is an :class:`~lpperp._validate.LpperpError` (a ``ValueError``),
  as are bad arguments. ``timeout_s`` is a deadline per RPC call (see :mod:`lpperp._rpc`), and a
  reply the contracts could never produce (a fee above 100 %, a tick outside TickMath, decimals
  above 77) is a ``ChainError`` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lpperp import swap
from lpperp._abi import decode, encode, encode_call, keccak256, to_checksum_address
from lpperp._rpc import (
    ChainError,
    JsonRpcClient,
    RpcCallError,
    RpcUnreachableError,
    hex_data,
    hex_quantity,
    show_value,
)
from lpperp._validate import LpperpError, integer
from lpperp.liquidity import amounts_for_burn, mul_div
from lpperp.oracle import consult_mean_tick
from lpperp.position import LPPosition
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q128,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "CHAINS",
    "MAX_WORD_RADIUS",
    "POOL_INIT_CODE_HASH",
    "STABLECOINS",
    "ChainError",
    "ChainPreset",
    "ChainlinkRound",
    "NotAUniswapV3PoolError",
    "OnchainPosition",
    "PoolState",
    "PositionNotFoundError",
    "RpcUnreachableError",
    "StaleOracleError",
    "TokenInfo",
    "TwapReading",
    "WrongChainError",
    "example_position",
    "fee_growth_inside",
    "latest_token_id",
    "load_position",
    "pool_address",
    "read_chainlink",
    "read_pool",
    "read_position",
    "read_ticks",
    "read_twap",
    "tick_window",
    "uncollected_fees",
]

_U256 = 1 << 256
_U128 = 1 << 128


class WrongChainError(ChainError):
    """The RPC serves a different chain than the one asked for."""


class PositionNotFoundError(ChainError):
    """The position manager has no position with that token id (never minted, or burned)."""


class NotAUniswapV3PoolError(ChainError):
    """The address is not a pool of the chosen Uniswap v3 factory."""


# ---------------------------------------------------------------------------------------------
# presets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainPreset:
    """Where Uniswap v3 lives on one chain.

    Parameters
    ----------
    name : str
        Label used in messages.
    chain_id : int or None
        Expected ``eth_chainId``; None skips the check (a local node, a fork).
    position_manager, factory : str
        NonfungiblePositionManager and UniswapV3Factory addresses.
    source : str
        Where the addresses come from.

    Examples
    --------
    >>> CHAINS["arbitrum"].chain_id
    42161
    >>> local = ChainPreset("anvil", None, "0x" + "11" * 20, "0x" + "22" * 20)
    >>> local.position_manager
    '0x1111111111111111111111111111111111111111'
    """

    name: str
    chain_id: int | None
    position_manager: str
    factory: str
    source: str = "user supplied"

    def __post_init__(self) -> None:
        for field_name in ("position_manager", "factory"):
            value = getattr(self, field_name)
            try:
                object.__setattr__(self, field_name, to_checksum_address(value))
            except ValueError:
                raise LpperpError(
                    f"{field_name} must be a 0x-prefixed 40-hex-digit address, got {value!r}"
                ) from None
        if self.chain_id is not None:
            integer("chain_id", self.chain_id, 1)


_V3_SAME_ADDRESS = (
    "Uniswap/v3-periphery deploys.md and docs.uniswap.org/contracts/v3/reference/deployments "
    "(same factory and position manager on Mainnet, Arbitrum, Optimism, Polygon)"
)
CHAINS: dict[str, ChainPreset] = {
    "ethereum": ChainPreset(
        "ethereum", 1,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "arbitrum": ChainPreset(
        "arbitrum", 42161,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "optimism": ChainPreset(
        "optimism", 10,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "base": ChainPreset(
        "base", 8453,
        "0x03a520b32C04BF3bEEf7BEb72E919cf822Ed34f1",
        "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
        "docs.uniswap.org/contracts/v3/reference/deployments/base-deployments and "
        "docs.base.org/chain/contracts (Base has its own addresses)",
    ),
}  # fmt: skip
"""Official Uniswap v3 addresses (checked 2026-11 against the sources in each preset)."""

_CHAIN_NAMES = {1: "ethereum", 10: "optimism", 137: "polygon", 8453: "base", 42161: "arbitrum",
                31337: "a local anvil/hardhat node"}  # fmt: skip

STABLECOINS = frozenset(
    {"USDC", "USDC.E", "USDBC", "USDT", "USDT0", "DAI", "USDS", "FRAX", "LUSD", "GHO", "CRVUSD",
     "PYUSD", "USDE", "TUSD", "USDP", "BUSD", "SUSD", "EURC", "USD₮0", "USDT.E", "DOLA", "MIM"}
)  # fmt: skip
"""Symbols (upper case) taken as the quote token by default."""
_ETH_LIKE = frozenset({"WETH", "ETH", "WETH.E"})


POOL_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
"""keccak256 of the UniswapV3Pool creation code (v3-periphery ``PoolAddress.sol``)."""


def pool_address(
    factory: str,
    token_a: str,
    token_b: str,
    fee_pips: int,
    init_code_hash: str = POOL_INIT_CODE_HASH,
) -> str:
    """CREATE2 address of the v3 pool for two tokens and a fee (no RPC call needed).

    ``keccak256(0xff ++ factory ++ keccak256(abi.encode(token0, token1, fee)) ++ init_code_hash)``,
    last 20 bytes, with the tokens sorted by address.

    Examples
    --------
    The USDC/WETH 0.05 % pool on Ethereum mainnet:

    >>> pool_address(CHAINS["ethereum"].factory, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    ...              "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 500)
    '0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640'
    """
    a, b = _address_arg("token_a", token_a), _address_arg("token_b", token_b)
    fee_pips = integer("fee_pips", fee_pips, 0, 2**24 - 1)
    if not (
        isinstance(init_code_hash, str) and re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", init_code_hash)
    ):
        raise LpperpError(
            f"init_code_hash must be 32 bytes as 64 hex digits, got {show_value(init_code_hash)}"
        )
    t0, t1 = sorted((a, b), key=lambda x: int(x, 16))
    salt = keccak256(encode(["address", "address", "uint24"], [t0, t1, fee_pips]))
    body = b"\xff" + bytes.fromhex(_address_arg("factory", factory)[2:]) + salt
    body += bytes.fromhex(init_code_hash.removeprefix("0x"))
    return to_checksum_address("0x" + keccak256(body)[12:].hex())


def _resolve_chain(chain: str | ChainPreset | None) -> ChainPreset | None:
    if chain is None or isinstance(chain, ChainPreset):
        return chain
    if isinstance(chain, str) and chain.lower() in CHAINS:
        return CHAINS[chain.lower()]
    raise LpperpError(
        f"chain must be one of {sorted(CHAINS)}, a ChainPreset or None, got {chain!r}"
    )


# ---------------------------------------------------------------------------------------------
# exact fee math (Tick.getFeeGrowthInside, NonfungiblePositionManager tokensOwed)
# ---------------------------------------------------------------------------------------------
def fee_growth_inside(
    tick_current: int,
    tick_lower: int,
    tick_upper: int,
    fee_growth_global_x128: int,
    lower_outside_x128: int,
    upper_outside_x128: int,
) -> int:
    """Fee growth per unit of liquidity inside ``[tick_lower, tick_upper)``, Q128.128, mod 2**256.

    ``below = outside_lower`` if ``tick_current >= tick_lower`` else ``global - outside_lower``;
    ``above = outside_upper`` if ``tick_current < tick_upper`` else ``global - outside_upper``;
    ``inside = global - below - above`` (all wrapping, as ``Tick.getFeeGrowthInside``).

    Examples
    --------
    >>> fee_growth_inside(0, -60, 60, 1000, 100, 300)
    600
    >>> fee_growth_inside(100, -60, 60, 1000, 100, 300)   # above the range: global - outside
    200
    """
    tick_current = integer("tick_current", tick_current, MIN_TICK - 1, MAX_TICK)
    tick_lower = integer("tick_lower", tick_lower, MIN_TICK, MAX_TICK)
    tick_upper = integer("tick_upper", tick_upper, MIN_TICK, MAX_TICK)
    fee_growth_global_x128 = integer("fee_growth_global_x128", fee_growth_global_x128, 0, _U256 - 1)
    lower_outside_x128 = integer("lower_outside_x128", lower_outside_x128, 0, _U256 - 1)
    upper_outside_x128 = integer("upper_outside_x128", upper_outside_x128, 0, _U256 - 1)
    below = (
        lower_outside_x128
        if tick_current >= tick_lower
        else fee_growth_global_x128 - lower_outside_x128
    )
    above = (
        upper_outside_x128
        if tick_current < tick_upper
        else fee_growth_global_x128 - upper_outside_x128
    )
    return (fee_growth_global_x128 - below - above) % _U256


def uncollected_fees(
    liquidity: int, fee_growth_inside_x128: int, fee_growth_inside_last_x128: int, tokens_owed: int
) -> int:
    """Raw amount one token's ``collect`` would pay: ``owed + floor(dG * L / 2**128)`` (uint128).

    ``dG = inside - inside_last`` wraps mod 2**256, as in the position manager; the sum wraps to
    uint128 as Solidity 0.7 does.

    Examples
    --------
    A swap of 2 WETH through a 0.3 % pool whose only liquidity is this position: the fee is
    6e15 wei, and floor rounding of the fee growth pays one wei less (notes/evm-oracle):

    >>> L = 10**21
    >>> dg = 6 * 10**15 * 2**128 // L      # what the pool added to feeGrowthGlobal
    >>> uncollected_fees(L, dg, 0, 0)
    5999999999999999
    """
    integer("liquidity", liquidity, 0, _U128 - 1)
    integer("fee_growth_inside_x128", fee_growth_inside_x128, 0, _U256 - 1)
    integer("fee_growth_inside_last_x128", fee_growth_inside_last_x128, 0, _U256 - 1)
    integer("tokens_owed", tokens_owed, 0, _U128 - 1)
    delta = (fee_growth_inside_x128 - fee_growth_inside_last_x128) % _U256
    return (tokens_owed + mul_div(delta, liquidity, Q128) % _U128) % _U128


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
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


@dataclass(frozen=True)
class OnchainPosition:
    """A position manager NFT read at ``pool.block``.

    ``fees0_raw``/``fees1_raw`` are what ``collect`` would pay now (owed plus fees grown since the
    last touch); ``amounts0_raw``/``amounts1_raw`` what burning all the liquidity would return.
    """

    token_id: int
    owner: str
    pool: PoolState
    tick_lower: int
    tick_upper: int
    liquidity_raw: int
    fees0_raw: int
    fees1_raw: int
    amounts0_raw: int
    amounts1_raw: int
    lp: LPPosition

    def __getattr__(self, name: str) -> Any:
        if name == "position":  # the field's old name (one name per idea: an LP is ``lp``)
            import warnings

            warnings.warn(
                "OnchainPosition.position is renamed OnchainPosition.lp; the old name goes in the "
                "next release",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.lp
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def price(self) -> float:
        """Current human price of the pool."""
        return self.pool.price

    @property
    def amounts(self) -> tuple[float, float]:
        """Human ``(base, quote)`` in the position now (principal, without fees)."""
        return self.pool.spec.from_raw_amounts(self.amounts0_raw, self.amounts1_raw)

    @property
    def fees(self) -> tuple[float, float]:
        """Human ``(base, quote)`` uncollected fees."""
        return self.pool.spec.from_raw_amounts(self.fees0_raw, self.fees1_raw)

    @property
    def value(self) -> float:
        """Principal plus uncollected fees at the pool price, quote units."""
        b, q = self.amounts
        fb, fq = self.fees
        return (b + fb) * self.price + q + fq

    def summary(self) -> str:
        """One line for a notebook."""
        s = self.pool.spec
        b, q = self.amounts
        fb, fq = self.fees
        return (
            f"#{self.token_id} {s.base}/{s.quote} {self.pool.fee_pips / 1e4:g}% on "
            f"{self.pool.chain}: range {self.lp.price_lower:.6g}-"
            f"{self.lp.price_upper:.6g}, price {self.price:.6g}, holds {b:.6g} {s.base} + "
            f"{q:.6g} {s.quote}, fees {fb:.6g} {s.base} + {fq:.6g} {s.quote}, "
            f"value {self.value:.6g} {s.quote}"
        )


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------
_SLOT0 = ["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"]
_TICKS = ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"]
_POSITIONS = ["uint96", "address", "address", "address", "uint24", "int24", "int24", "uint128",
              "uint256", "uint256", "uint128", "uint128"]  # fmt: skip


_BATCH_SIZE = 200


class _Reader:
    """Batched eth_calls at one pinned block, with errors turned into ChainErrors."""

    def __init__(self, rpc: str | JsonRpcClient, chain: ChainPreset | None, timeout_s: float):
        self.client = (
            rpc if isinstance(rpc, JsonRpcClient) else JsonRpcClient(rpc, timeout_s=timeout_s)
        )
        self.owns_client = not isinstance(rpc, JsonRpcClient)
        self.chain = chain
        self.block: int | None = None

    def close(self) -> None:
        if self.owns_client:
            self.client.close()

    def start(self, extra_code: list[str]) -> list[bytes]:
        """Check the chain id, pin the block, and fetch the code at ``extra_code`` addresses."""
        calls: list[tuple[str, list[Any]]] = [("eth_chainId", []), ("eth_blockNumber", [])]
        calls += [("eth_getCode", [a, "latest"]) for a in extra_code]
        try:
            res = self.client.batch(calls)
        except RpcCallError as e:
            raise ChainError(
                f"the RPC at {self.client.url_redacted} rejected a basic call ({e}); is it an "
                "Ethereum JSON-RPC endpoint?"
            ) from None
        url = self.client.url_redacted
        chain_id = hex_quantity(res[0], f"eth_chainId from {url}", max_bits=64)
        if self.chain is not None and self.chain.chain_id is not None:
            if chain_id != self.chain.chain_id:
                served = _CHAIN_NAMES.get(chain_id, f"chain id {chain_id}")
                raise WrongChainError(
                    f"the RPC at {self.client.url_redacted} serves {served} (chain id {chain_id}), "
                    f"but chain={self.chain.name!r} expects chain id {self.chain.chain_id}: pass "
                    "the matching chain= or an RPC URL for that chain"
                )
        self.block = hex_quantity(res[1], f"eth_blockNumber from {url}", max_bits=63)
        return [
            hex_data(c, f"eth_getCode({a}) from {url}")
            for a, c in zip(extra_code, res[2:], strict=True)
        ]

    def calls(self, specs: list[tuple[str, str, tuple, list[str] | None]]) -> list[Any]:
        """``(to, signature, args, out_types)`` -> decoded tuples (or raw bytes if out is None);
        a reverted call yields its RpcCallError."""
        reqs = [
            ("eth_call", JsonRpcClient.call_params(to, encode_call(sig, *args), self.block))
            for to, sig, args, _ in specs
        ]
        replies: list[Any] = []
        for i in range(0, len(reqs), _BATCH_SIZE):  # providers cap batch sizes
            replies += self.client.batch(reqs[i : i + _BATCH_SIZE], return_errors=True)
        out: list[Any] = []
        for (_, sig, _, types), r in zip(specs, replies, strict=True):
            if isinstance(r, RpcCallError):
                out.append(r)
                continue
            raw = hex_data(r, f"eth_call {sig} from {self.client.url_redacted}")
            if types is None:
                out.append(raw)
                continue
            try:
                out.append(decode(types, raw))
            except ValueError as e:
                out.append(
                    RpcCallError(sig, None, f"undecodable return data 0x{raw.hex()[:80]} ({e})")
                )
        return out


@contextmanager
def _reply_checked(where: str) -> Iterator[None]:
    """Turn a check failing on values read from the chain into a ChainError naming the source."""
    try:
        yield
    except ChainError as e:
        if where in str(e):
            raise
        raise ChainError(f"{where}: {e}") from None
    except (LpperpError, ArithmeticError) as e:
        raise ChainError(
            f"{where} returned values no Uniswap v3 contract produces ({type(e).__name__}: {e})"
        ) from None


def _check_pool_reads(
    where: str, fee: int, spacing: int, sqrt_price_x96: int, tick: int, *tokens: TokenInfo
) -> None:
    """The bounds UniswapV3Factory and TickMath guarantee; anything else is a broken reply."""
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


def _quote_arg(quote: Any) -> str | None:
    if quote is not None and (not isinstance(quote, str) or not quote.strip()):
        raise LpperpError(
            f"quote must be None or a token symbol or address string, got {show_value(quote)}"
        )
    return quote


def _pick_base_is_token0(t0: TokenInfo, t1: TokenInfo, quote: str | None) -> bool:
    if _quote_arg(quote) is not None:
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
        return 0 if s in STABLECOINS else 1 if s in _ETH_LIKE else 2

    r0, r1 = rank(t0), rank(t1)
    if r0 < r1:
        return False  # token0 is the better quote
    return True  # token1 is the quote (ties: Uniswap's own convention, token1 per token0)


def _pool_from_reads(
    reader: _Reader, address: str, quote: str | None, extra: list[tuple]
) -> tuple[PoolState, list[Any]]:
    """Read the pool at ``address`` (+ ``extra`` calls in the same batch) and validate it."""
    where = f"{address} on {reader.chain.name if reader.chain else 'this chain'}"
    head = reader.calls(
        [
            (address, "token0()", (), ["address"]),
            (address, "token1()", (), ["address"]),
            (address, "fee()", (), ["uint24"]),
            (address, "tickSpacing()", (), ["int24"]),
            (address, "slot0()", (), _SLOT0),
            (address, "liquidity()", (), ["uint128"]),
            (address, "feeGrowthGlobal0X128()", (), ["uint256"]),
            (address, "feeGrowthGlobal1X128()", (), ["uint256"]),
            *extra,
        ]
    )
    failed = [s for s, r in zip(("token0", "token1", "fee", "tickSpacing", "slot0", "liquidity",
                                 "feeGrowthGlobal0X128", "feeGrowthGlobal1X128"), head[:8],
                                strict=False) if isinstance(r, RpcCallError)]  # fmt: skip
    if failed:
        raise NotAUniswapV3PoolError(
            f"{where} is not a Uniswap v3 pool: {', '.join(failed)}() failed (a Uniswap v2 pair "
            "or another contract?)"
        )
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
    if slot0[0] == 0:
        raise ChainError(f"pool {where} is not initialized (no price yet)")
    _check_pool_reads(where, fee, spacing, slot0[0], slot0[1], tok0, tok1)
    base_is_token0 = _pick_base_is_token0(tok0, tok1, quote)
    base, quote_t = (tok0, tok1) if base_is_token0 else (tok1, tok0)
    bsym, qsym = base.symbol, quote_t.symbol
    if bsym == qsym:
        bsym, qsym = f"{bsym}({base.address[:6]})", f"{qsym}({quote_t.address[:6]})"
    with _reply_checked(where):
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
    return state, head[8:]


def _address_arg(name: str, value: Any) -> str:
    try:
        return to_checksum_address(value)
    except ValueError:
        raise LpperpError(
            f"{name} must be a 0x-prefixed 40-hex-digit address, got {value!r}"
        ) from None


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
    address = _address_arg("pool_address", pool_address)
    quote = _quote_arg(quote)
    reader = _Reader(rpc, _resolve_chain(chain), timeout_s)
    try:
        (code,) = reader.start([address])
        if not code:
            raise NotAUniswapV3PoolError(
                f"there is no contract at {address} on {reader.chain.name if reader.chain else 'this chain'}"
            )
        state, _ = _pool_from_reads(reader, address, quote, [])
        return state
    finally:
        reader.close()


def read_position(
    rpc: str | JsonRpcClient,
    token_id: int,
    *,
    chain: str | ChainPreset | None = "arbitrum",
    quote: str | None = None,
    timeout_s: float = 10.0,
) -> OnchainPosition:
    """Read a position manager NFT: pool, range, liquidity, and uncollected fees to the wei.

    Parameters
    ----------
    rpc : str or JsonRpcClient
        RPC URL (http/https) or an open client.
    token_id : int
        The NonfungiblePositionManager token id (as in app.uniswap.org/positions/v3/<chain>/<id>).
    chain : str or ChainPreset
        Preset name or your own preset (a local node: ``ChainPreset("anvil", None, npm, factory)``).
    quote : str, optional
        Symbol or address of the quote token (default: a stablecoin, else WETH, else token1).
    timeout_s : float
        Deadline of each RPC call (connect to decoded reply), seconds.

    Returns
    -------
    OnchainPosition
        With ``.lp`` an :class:`LPPosition` (human liquidity, price range in quote per base)
        and ``.pool.spec`` its :class:`PoolSpec`.

    Raises
    ------
    RpcUnreachableError, WrongChainError, PositionNotFoundError, ChainError

    Examples
    --------
    >>> read_position("http://127.0.0.1:9", 1, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    tid = integer("token_id", token_id, 0, _U256 - 1)
    quote = _quote_arg(quote)
    preset = _resolve_chain(chain)
    if preset is None:
        raise LpperpError("read_position needs chain= (a preset name or a ChainPreset)")
    reader = _Reader(rpc, preset, timeout_s)
    npm = preset.position_manager
    try:
        (code,) = reader.start([npm])
        if not code:
            raise ChainError(
                f"no position manager contract at {npm} on {preset.name}: wrong chain preset, or "
                "pass ChainPreset(position_manager=...)"
            )
        pos, owner = reader.calls(
            [
                (npm, "positions(uint256)", (tid,), _POSITIONS),
                (npm, "ownerOf(uint256)", (tid,), ["address"]),
            ]
        )
        if isinstance(pos, RpcCallError):
            if pos.is_revert:
                raise PositionNotFoundError(
                    f"token id {tid} does not exist in the position manager {npm} on "
                    f"{preset.name} (never minted, or burned{f': {pos.reason}' if pos.reason else ''})"
                )
            raise pos
        (_, _, t0, t1, fee, tl, tu, liq, fg0_last, fg1_last, owed0, owed1) = pos
        pool_address = reader.calls(
            [(preset.factory, "getPool(address,address,uint24)", (t0, t1, fee), ["address"])]
        )[0]
        if isinstance(pool_address, RpcCallError) or int(pool_address[0], 16) == 0:
            raise ChainError(
                f"the factory {preset.factory} knows no pool for position {tid} "
                f"({t0}/{t1}, fee {fee}): is the preset's factory the position manager's?"
            )
        state, (lower, upper) = _pool_from_reads(
            reader,
            pool_address[0],
            quote,
            [
                (pool_address[0], "ticks(int24)", (tl,), _TICKS),
                (pool_address[0], "ticks(int24)", (tu,), _TICKS),
            ],
        )
        if isinstance(lower, RpcCallError) or isinstance(upper, RpcCallError):
            raise ChainError(f"could not read ticks {tl}, {tu} of pool {state.address}")
        g0 = fee_growth_inside(
            state.tick, tl, tu, state.fee_growth_global0_x128, lower[2], upper[2]
        )
        g1 = fee_growth_inside(
            state.tick, tl, tu, state.fee_growth_global1_x128, lower[3], upper[3]
        )
        with _reply_checked(f"position {tid} in {npm} on {preset.name}"):
            if not MIN_TICK <= tl < tu <= MAX_TICK:
                raise ChainError(f"its range [{tl}, {tu}) is not within [{MIN_TICK}, {MAX_TICK}]")
            a0, a1 = amounts_for_burn(state.sqrt_price_x96, tl, tu, liq, state.tick)
            return OnchainPosition(
                token_id=tid,
                owner=owner[0] if not isinstance(owner, RpcCallError) else "",
                pool=state,
                tick_lower=tl,
                tick_upper=tu,
                liquidity_raw=liq,
                fees0_raw=uncollected_fees(liq, g0, fg0_last, owed0),
                fees1_raw=uncollected_fees(liq, g1, fg1_last, owed1),
                amounts0_raw=a0,
                amounts1_raw=a1,
                lp=LPPosition.from_ticks(tl, tu, liq, state.spec),
            )
    finally:
        reader.close()


# ---------------------------------------------------------------------------------------------
# a pool's initialized ticks, for the exact swap engine
# ---------------------------------------------------------------------------------------------
MAX_WORD_RADIUS = 128
"""Largest ``word_radius`` of :func:`read_ticks` (257 bitmap words: 65,792 tick spacings)."""


def tick_window(tick: int, tick_spacing: int, word_radius: int) -> tuple[int, int]:
    """Lowest and highest tick :func:`read_ticks` sees: ``word_radius`` bitmap words each side.

    The pool's ``tickBitmap`` word ``w`` holds the ticks ``(256 w + b) * spacing``, ``b`` in
    ``0..255``; the current word is ``floor(tick / spacing) >> 8`` (``TickBitmap.position`` after
    the floor of ``nextInitializedTickWithinOneWord``), clipped to the words that hold ticks in
    ``[MIN_TICK, MAX_TICK]``. Uniswap/v3-core ``contracts/libraries/TickBitmap.sol`` @ 011e06f.

    Examples
    --------
    >>> tick_window(-200_000, 60, 1)  # spacing 60: words -15..-13 around word -14
    (-230400, -184380)
    >>> tick_window(0, 1, 0)
    (0, 255)
    """
    t = integer("tick", tick, MIN_TICK, MAX_TICK)
    sp = integer("tick_spacing", tick_spacing, 1, 16383)
    r = integer("word_radius", word_radius, 0, MAX_WORD_RADIUS)
    w_lo, w_hi = _word_range(t, sp, r)
    lo = max(256 * w_lo * sp, -(-MIN_TICK // sp) * sp)
    hi = min((256 * w_hi + 255) * sp, MAX_TICK // sp * sp)
    return lo, hi


def _word_range(tick: int, spacing: int, radius: int) -> tuple[int, int]:
    word = (tick // spacing) >> 8
    lowest, highest = (MIN_TICK // spacing) >> 8, (MAX_TICK // spacing) >> 8
    return max(word - radius, lowest), min(word + radius, highest)


def read_ticks(
    rpc: str | JsonRpcClient,
    pool_address: str,
    *,
    word_radius: int = 2,
    max_ticks: int = 5000,
    timeout_s: float = 10.0,
) -> swap.PoolState:
    """A pool's price, active liquidity and initialized ticks around the price, for swaps.

    Read-only and bounded: at one pinned block, ``slot0``, ``liquidity``, ``fee`` and
    ``tickSpacing``; then the ``tickBitmap`` words of the current word +- ``word_radius``
    (:func:`tick_window`: ``2 r + 1`` words of 256 tick spacings each, at most
    ``2 * MAX_WORD_RADIUS + 1``); then ``ticks(i)`` for every bit set, keeping ``liquidityNet``.
    About ``3 + (2 r + 1 + n_ticks) / 200`` HTTP round trips.

    Parameters
    ----------
    rpc : str or JsonRpcClient
        RPC URL (http/https) or an open client.
    pool_address : str
        A Uniswap v3 pool.
    word_radius : int
        Bitmap words read on each side of the current one, ``0..MAX_WORD_RADIUS``. Spacing 60
        (0.3 %): one word is 15,360 ticks, a price factor of 4.6; spacing 10 (0.05 %): 2,560
        ticks, a factor of 1.29; spacing 1 (0.01 %): 256 ticks, +-2.6 %.
    max_ticks : int
        Refuse windows holding more initialized ticks (a :class:`ChainError` saying so).
    timeout_s : float
        Deadline of each RPC call, seconds.

    Returns
    -------
    lpperp.swap.PoolState
        ``ticks`` / ``liquidity_net`` hold the initialized ticks inside :func:`tick_window` only:
        :func:`lpperp.swap.swap_exact` on it is exact for swaps that stay inside that window.

    Raises
    ------
    RpcUnreachableError, NotAUniswapV3PoolError, ChainError

    Examples
    --------
    >>> read_ticks("http://127.0.0.1:9", "0x" + "11" * 20, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    address = _address_arg("pool_address", pool_address)
    radius = integer("word_radius", word_radius, 0, MAX_WORD_RADIUS)
    cap = integer("max_ticks", max_ticks, 1, 10**6)
    reader = _Reader(rpc, None, timeout_s)
    where = f"pool {address}"
    try:
        (code,) = reader.start([address])
        if not code:
            raise NotAUniswapV3PoolError(f"there is no contract at {address}")
        head = reader.calls(
            [
                (address, "slot0()", (), _SLOT0),
                (address, "liquidity()", (), ["uint128"]),
                (address, "fee()", (), ["uint24"]),
                (address, "tickSpacing()", (), ["int24"]),
            ]
        )
        failed = [
            n for n, r in zip(("slot0", "liquidity", "fee", "tickSpacing"), head, strict=True)
            if isinstance(r, RpcCallError)
        ]  # fmt: skip
        if failed:
            raise NotAUniswapV3PoolError(
                f"{address} is not a Uniswap v3 pool: {', '.join(failed)}() failed"
            )
        (sqrt_p, tick, *_), (liquidity,), (fee,), (spacing,) = head
        if sqrt_p == 0:
            raise ChainError(f"{where} is not initialized (no price yet)")
        _check_pool_reads(where, fee, spacing, sqrt_p, tick)
        w_lo, w_hi = _word_range(tick, spacing, radius)
        words = list(range(w_lo, w_hi + 1))
        bitmaps = reader.calls([(address, "tickBitmap(int16)", (w,), ["uint256"]) for w in words])
        found: list[int] = []
        for w, bm in zip(words, bitmaps, strict=True):
            if isinstance(bm, RpcCallError):
                raise ChainError(f"{where}: tickBitmap({w}) failed: {bm}")
            bits = bm[0]
            while bits:
                low = bits & -bits
                found.append((256 * w + low.bit_length() - 1) * spacing)
                bits ^= low
                if len(found) > cap:
                    lo, hi = tick_window(tick, spacing, radius)
                    raise ChainError(
                        f"{where} has more than max_ticks={cap} initialized ticks in "
                        f"[{lo}, {hi}]: pass a smaller word_radius (now {radius}) or a larger "
                        "max_ticks"
                    )
        found.sort()
        infos = reader.calls([(address, "ticks(int24)", (t,), _TICKS) for t in found])
        nets = []
        for t, info in zip(found, infos, strict=True):
            if isinstance(info, RpcCallError):
                raise ChainError(f"{where}: ticks({t}) failed: {info}")
            if not info[7]:
                raise ChainError(
                    f"{where}: tick {t} is set in tickBitmap but ticks({t}).initialized is false"
                )
            nets.append(info[1])
        with _reply_checked(where):
            return swap.PoolState(
                sqrt_price_x96=sqrt_p,
                tick=tick,
                liquidity=liquidity,
                fee_pips=fee,
                tick_spacing=spacing,
                ticks=tuple(found),
                liquidity_net=tuple(nets),
            )
    finally:
        reader.close()


# ---------------------------------------------------------------------------------------------
# on-chain oracles: the pool's TWAP (observe) and a Chainlink-style aggregator (latestRoundData)
# ---------------------------------------------------------------------------------------------
class StaleOracleError(ChainError):
    """An oracle reading failed a staleness or sanity check (as a lender's oracle would revert)."""


@dataclass(frozen=True)
class TwapReading:
    """``OracleLibrary.consult(pool, window_seconds)`` read at ``block``.

    ``mean_tick`` is the arithmetic mean tick, floored (``Δ // W`` with ``Δ`` the difference of
    the two ``tickCumulatives``); ``harmonic_mean_liquidity`` as consult computes it (None where
    consult would divide by zero); price = ``1.0001**mean_tick`` token1 per token0, raw units
    (:meth:`price` reorients through a :class:`PoolSpec`).
    """

    pool: str
    block: int
    window_seconds: int
    mean_tick: int
    tick_cumulatives: tuple[int, int]
    seconds_per_liquidity_cumulative_x128s: tuple[int, int]
    harmonic_mean_liquidity: int | None

    def price(self, spec: PoolSpec) -> float:
        """The TWAP as a human price, quote per base, for the pool described by ``spec``."""
        return float(spec.tick_to_price(self.mean_tick))


def read_twap(
    rpc: str | JsonRpcClient, pool: str, window_seconds: int, *, timeout_s: float = 10.0
) -> TwapReading:
    """The pool's TWAP over the last ``window_seconds``: ``observe([W, 0])`` then consult's math.

    ``Δ = tickCumulatives[1] - tickCumulatives[0]`` (int56, wrapping as Solidity 0.7 does);
    ``mean_tick = floor(Δ / W)`` (:func:`lpperp.oracle.consult_mean_tick`: Solidity truncates and
    consult subtracts one for a negative remainder); ``harmonic_mean_liquidity = uint128(W (2^160 -
    1) / (ΔsecondsPerLiquidityX128 << 32))``. Source: @uniswap/v3-periphery@1.4.4
    ``contracts/libraries/OracleLibrary.sol`` lines 16-41 (read 2026-11-30).

    Parameters
    ----------
    rpc : str or JsonRpcClient
    pool : str
        The pool address.
    window_seconds : int
        ``W`` in ``1 .. 2**32 - 1`` (uint32). The pool must hold observations that old: it reverts
        ``'OLD'`` otherwise (raise its ``observationCardinalityNext``; history covered is about the
        cardinality times the average time between writes).
    timeout_s : float

    Raises
    ------
    StaleOracleError
        The pool's observations do not reach ``window_seconds`` back (``'OLD'``).
    RpcUnreachableError, NotAUniswapV3PoolError, ChainError

    Examples
    --------
    >>> read_twap("http://127.0.0.1:9", "0x" + "11" * 20, 1800, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    address = _address_arg("pool", pool)
    w = integer("window_seconds", window_seconds, 1, 2**32 - 1)
    reader = _Reader(rpc, None, timeout_s)
    try:
        (code,) = reader.start([address])
        if not code:
            raise NotAUniswapV3PoolError(f"there is no contract at {address}")
        (obs,) = reader.calls([(address, "observe(uint32[])", ([w, 0],), ["int56[]", "uint160[]"])])
        if isinstance(obs, RpcCallError):
            if obs.reason == "OLD":
                raise StaleOracleError(
                    f"pool {address} holds no observation {w} s old ('OLD'): its history is "
                    "shorter; call increaseObservationCardinalityNext or use a shorter window"
                )
            if obs.reason == "I":
                raise ChainError(f"pool {address} is not initialized ('I')")
            raise NotAUniswapV3PoolError(f"{address}: observe() failed: {obs}")
        ticks_c, spl = obs
        if len(ticks_c) != 2 or len(spl) != 2:
            raise ChainError(
                f"pool {address}: observe([{w}, 0]) returned {len(ticks_c)} and {len(spl)} values, "
                "expected 2 and 2"
            )
        delta = (ticks_c[1] - ticks_c[0] + 2**55) % 2**56 - 2**55  # int56 arithmetic
        mean = consult_mean_tick(0, delta, w)
        if not MIN_TICK <= mean <= MAX_TICK:
            raise ChainError(
                f"pool {address}: observe([{w}, 0]) gives a mean tick {mean} outside "
                f"[{MIN_TICK}, {MAX_TICK}] (tickCumulatives {ticks_c})"
            )
        d_spl = (spl[1] - spl[0]) % 2**160
        harmonic = (w * (2**160 - 1)) // (d_spl << 32) % 2**128 if d_spl else None
        return TwapReading(
            pool=address,
            block=reader.block or 0,
            window_seconds=w,
            mean_tick=mean,
            tick_cumulatives=(ticks_c[0], ticks_c[1]),
            seconds_per_liquidity_cumulative_x128s=(spl[0], spl[1]),
            harmonic_mean_liquidity=harmonic,
        )
    finally:
        reader.close()


@dataclass(frozen=True)
class ChainlinkRound:
    """``latestRoundData()`` and ``decimals()`` of a Chainlink-style feed, read at ``block``.

    ``answer`` is the human price (``answer_raw / 10**decimals``, correctly rounded);
    ``updated_at``/``started_at`` and ``block_timestamp`` are unix seconds; ``age_seconds`` is
    ``block_timestamp - updated_at``.
    """

    feed: str
    block: int
    block_timestamp: int
    round_id: int
    answer: float
    answer_raw: int
    decimals: int
    started_at: int
    updated_at: int
    answered_in_round: int

    @property
    def age_seconds(self) -> int:
        """Seconds since the answer was written, at the block read."""
        return self.block_timestamp - self.updated_at


def read_chainlink(
    rpc: str | JsonRpcClient,
    feed: str,
    *,
    max_age_seconds: int | None = None,
    timeout_s: float = 10.0,
) -> ChainlinkRound:
    """The latest round of a Chainlink-style aggregator (or proxy): round id, price, update time.

    ``latestRoundData() returns (uint80 roundId, int256 answer, uint256 startedAt, uint256
    updatedAt, uint80 answeredInRound)`` and ``decimals() returns (uint8)`` (Chainlink docs,
    smartcontractkit/documentation ``src/content/data-feeds/api-reference.mdx`` @ 0a20b89), at one
    pinned block, with that block's timestamp.

    With ``max_age_seconds`` the reading is checked as Revert Lend's ``V3Oracle`` does
    (revert-finance/lend ``src/V3Oracle.sol`` @ 4f1e127): it fails when ``updatedAt +
    max_age_seconds < block.timestamp`` or ``answer <= 0``; and, as Arcadia's ``ChainlinkOM``
    (arcadia-finance/accounts-v2 @ d0b559c), when ``roundId == 0`` or ``updatedAt`` is in the
    future.

    Parameters
    ----------
    rpc : str or JsonRpcClient
    feed : str
        Aggregator or proxy address.
    max_age_seconds : int, optional
        Staleness limit (Revert's ``maxFeedAge``, e.g. 86,400 s on Arbitrum); None: no check.
    timeout_s : float

    Raises
    ------
    StaleOracleError
        A check above failed (the message says which and by how much).
    RpcUnreachableError, ChainError

    Examples
    --------
    >>> read_chainlink("http://127.0.0.1:9", "0x" + "11" * 20, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    address = _address_arg("feed", feed)
    max_age = None if max_age_seconds is None else integer("max_age_seconds", max_age_seconds, 0)
    reader = _Reader(rpc, None, timeout_s)
    try:
        (code,) = reader.start([address])
        if not code:
            raise ChainError(f"there is no contract at {address}")
        url = reader.client.url_redacted
        blk = reader.client.call("eth_getBlockByNumber", [hex(reader.block or 0), False])
        if not isinstance(blk, dict):
            raise ChainError(
                f"eth_getBlockByNumber({reader.block}) from {url} returned {show_value(blk)}, "
                "expected a block object"
            )
        now = hex_quantity(
            blk.get("timestamp"), f"block {reader.block} timestamp from {url}", max_bits=63
        )
        rd, dec = reader.calls(
            [
                (address, "latestRoundData()", (), ["uint80", "int256", "uint256", "uint256",
                                                    "uint80"]),
                (address, "decimals()", (), ["uint8"]),
            ]
        )  # fmt: skip
        for name, r in (("latestRoundData", rd), ("decimals", dec)):
            if isinstance(r, RpcCallError):
                raise ChainError(f"{address} is not a Chainlink-style feed: {name}() failed: {r}")
        round_id, answer, started, updated, answered_in = rd
        (decimals,) = dec
        if decimals > 77 or updated >= 2**63 or started >= 2**63:
            raise ChainError(
                f"feed {address} returned values no aggregator holds: decimals {decimals}, "
                f"startedAt {show_value(started)}, updatedAt {show_value(updated)}"
            )
        try:
            human = answer / 10**decimals  # int / int: correctly rounded
        except OverflowError:
            raise ChainError(
                f"feed {address} answered {show_value(answer)} with {decimals} decimals: "
                "beyond any float"
            ) from None
        out = ChainlinkRound(
            feed=address,
            block=reader.block or 0,
            block_timestamp=now,
            round_id=round_id,
            answer=human,
            answer_raw=answer,
            decimals=decimals,
            started_at=started,
            updated_at=updated,
            answered_in_round=answered_in,
        )
        if max_age is not None:
            why = []
            if updated + max_age < now:
                why.append(
                    f"updatedAt {updated} + max_age_seconds {max_age} < block.timestamp {now} "
                    f"(the answer is {now - updated} s old)"
                )
            if answer <= 0:
                why.append(f"answer {show_value(answer)} <= 0")
            if round_id == 0:
                why.append("roundId is 0")
            if updated > now:
                why.append(f"updatedAt {updated} is after block.timestamp {now}")
            if why:
                raise StaleOracleError(f"feed {address} at block {out.block}: {'; '.join(why)}")
        return out
    finally:
        reader.close()


# ---------------------------------------------------------------------------------------------
# notebook entry point: an RPC URL, else a local node, else a fixed example
# ---------------------------------------------------------------------------------------------
_EXAMPLE = {  # illustrative numbers (not read from a chain): $10k over 2700-3300 USDC/WETH
    "token_id": 0,
    "tick_lower": -197310,
    "tick_upper": -195300,
    "liquidity_raw": 1_865_779_381_062_133,
    "sqrt_price_x96": 4_348_536_417_905_725_820_370_944,  # 3012.5 USDC per WETH
    "fees0_raw": 2_100_000_000_000_000,  # 0.0021 WETH
    "fees1_raw": 6_300_000,  # 6.3 USDC
}


def example_position() -> OnchainPosition:
    """A fixed WETH/USDC 0.05 % position in Arbitrum's pool, built from ticks and liquidity.

    Illustrative numbers (about $10,000 over 2700-3300 USDC/WETH, price 3012.5, a few dollars of
    fees), not read from a chain: what ``load_position`` shows when no node is reachable.

    Examples
    --------
    >>> pos = example_position()
    >>> round(pos.price, 2), round(pos.lp.price_lower), round(pos.lp.price_upper)
    (3012.5, 2700, 3301)
    >>> round(pos.value)
    10048
    """
    e = _EXAMPLE
    weth = TokenInfo("0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", "WETH", 18)
    usdc = TokenInfo("0xaf88d065e77c8cC2239327C5EDb3A432268e5831", "USDC", 6)
    spec = PoolSpec("WETH", "USDC", 18, 6, True, 500, 10)
    tick = get_tick_at_sqrt_ratio(e["sqrt_price_x96"])
    state = PoolState(
        address=pool_address(CHAINS["arbitrum"].factory, weth.address, usdc.address, 500),
        chain="example (fixed numbers, not read from a chain)",
        block=0,
        token0=weth,
        token1=usdc,
        fee_pips=500,
        tick_spacing=10,
        sqrt_price_x96=e["sqrt_price_x96"],
        tick=tick,
        liquidity_raw=e["liquidity_raw"],
        fee_growth_global0_x128=0,
        fee_growth_global1_x128=0,
        spec=spec,
    )
    tl, tu, liq = e["tick_lower"], e["tick_upper"], e["liquidity_raw"]
    a0, a1 = amounts_for_burn(e["sqrt_price_x96"], tl, tu, liq, tick)
    return OnchainPosition(
        token_id=e["token_id"],
        owner="",
        pool=state,
        tick_lower=tl,
        tick_upper=tu,
        liquidity_raw=liq,
        fees0_raw=e["fees0_raw"],
        fees1_raw=e["fees1_raw"],
        amounts0_raw=a0,
        amounts1_raw=a1,
        lp=LPPosition.from_ticks(tl, tu, liq, spec),
    )


def latest_token_id(
    rpc: str | JsonRpcClient,
    *,
    chain: str | ChainPreset | None = "arbitrum",
    timeout_s: float = 10.0,
) -> int | None:
    """Token id of the newest position the position manager holds (None when it holds none).

    Uses the ERC-721 enumeration of the position manager (``totalSupply``, ``tokenByIndex``).

    Examples
    --------
    >>> latest_token_id("http://127.0.0.1:9", timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    preset = _resolve_chain(chain)
    if preset is None:
        raise LpperpError("latest_token_id needs chain= (a preset name or a ChainPreset)")
    reader = _Reader(rpc, preset, timeout_s)
    npm = preset.position_manager
    try:
        (code,) = reader.start([npm])
        if not code:
            raise ChainError(f"no position manager contract at {npm} on {preset.name}")
        (total,) = reader.calls([(npm, "totalSupply()", (), ["uint256"])])
        if isinstance(total, RpcCallError):
            raise ChainError(f"{npm} on {preset.name} does not enumerate its positions: {total}")
        if total[0] == 0:
            return None
        (last,) = reader.calls([(npm, "tokenByIndex(uint256)", (total[0] - 1,), ["uint256"])])
        if isinstance(last, RpcCallError):
            raise ChainError(f"tokenByIndex failed on {npm}: {last}")
        return last[0]
    finally:
        reader.close()


def load_position(
    rpc_url: str | None = None,
    token_id: int | None = None,
    *,
    chain: str | ChainPreset | None = "arbitrum",
    quote: str | None = None,
    local_url: str = "http://127.0.0.1:8545",
    timeout_s: float = 10.0,
) -> OnchainPosition:
    """Position ``token_id`` from ``rpc_url``; without a URL, from a local node, else the example.

    With ``rpc_url`` errors propagate (you asked for that chain). Without it, a node at
    ``local_url`` is tried with a short timeout: a fork such as ``anvil --fork-url <arbitrum rpc>``
    keeps the chain id, so the preset's addresses work; with no ``token_id`` its newest position is
    shown. If no node answers, or the node is not that chain, or it has no position, the fixed
    :func:`example_position` is returned (with a warning saying why when a node did answer).
    ``pos.pool.chain`` says which one you got.

    Examples
    --------
    >>> load_position(local_url="http://127.0.0.1:9").pool.chain.startswith("example")
    True
    """
    if rpc_url:
        if token_id is None:
            raise LpperpError("token_id is required with rpc_url (the position's NFT id)")
        return read_position(rpc_url, token_id, chain=chain, quote=quote, timeout_s=timeout_s)
    if local_url:
        t = min(timeout_s, 2.0)
        try:
            tid = token_id
            if tid is None:
                tid = latest_token_id(local_url, chain=chain, timeout_s=t)
            if tid is not None:
                return read_position(local_url, tid, chain=chain, quote=quote, timeout_s=t)
            why = "it holds no position"
        except RpcUnreachableError:
            return example_position()  # no local node: the usual case
        except (ChainError, LpperpError) as e:
            why = str(e)
        import warnings

        warnings.warn(
            f"a node answers at {local_url} but was not used ({why}); showing the example position",
            stacklevel=2,
        )
    return example_position()

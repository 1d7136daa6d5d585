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
- One module per idea: :mod:`~lpperp.chain.presets` (where Uniswap v3 lives, pool addresses),
  :mod:`~lpperp.chain.fees` (exact fee math), :mod:`~lpperp.chain.reader` (batched ``eth_call`` at
  a pinned block), :mod:`~lpperp.chain.pools`, :mod:`~lpperp.chain.positions`,
  :mod:`~lpperp.chain.ticks`, :mod:`~lpperp.chain.oracles`, :mod:`~lpperp.chain.load` (the notebook
  entry point) and :mod:`~lpperp.chain.errors`; the JSON-RPC transport is :mod:`lpperp._rpc` and the
  ABI codec :mod:`lpperp._abi`. This package re-exports their public names.
- Errors are :class:`ChainError` subclasses with a message that says what to check, which call and
  what came back; ``ChainError`` is an :class:`~lpperp._validate.LpperpError` (a ``ValueError``),
  as are bad arguments. ``timeout_s`` is a deadline per RPC call (see :mod:`lpperp._rpc`), and a
  reply the contracts could never produce (a fee above 100 %, a tick outside TickMath, decimals
  above 77) is a ``ChainError`` too.
"""


from __future__ import annotations

from lpperp.chain.errors import (
    ChainError,
    NotAUniswapV3PoolError,
    PositionNotFoundError,
    RpcUnreachableError,
    StaleOracleError,
    WrongChainError,
)
from lpperp.chain.fees import fee_growth_inside, uncollected_fees
from lpperp.chain.load import example_position, load_position
from lpperp.chain.oracles import ChainlinkRound, TwapReading, read_chainlink, read_twap
from lpperp.chain.pools import PoolState, TokenInfo, read_pool
from lpperp.chain.positions import OnchainPosition, latest_token_id, read_position
from lpperp.chain.presets import (
    CHAINS,
    POOL_INIT_CODE_HASH,
    STABLECOINS,
    ChainPreset,
    pool_address,
)
from lpperp.chain.ticks import MAX_WORD_RADIUS, read_ticks, tick_window

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

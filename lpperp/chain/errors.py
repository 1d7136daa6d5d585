"""What can go wrong reading Uniswap v3 from a chain: one :class:`ChainError` subclass per cause.

Every error is a :class:`~lpperp._rpc.ChainError`, an :class:`~lpperp._validate.LpperpError` (a
``ValueError``), whose message says what to check, which call and what came back.

>>> issubclass(StaleOracleError, ValueError)
True
"""

from __future__ import annotations

from lpperp._rpc import ChainError, RpcUnreachableError

__all__ = [
    "ChainError",
    "NotAUniswapV3PoolError",
    "PositionNotFoundError",
    "RpcUnreachableError",
    "StaleOracleError",
    "WrongChainError",
]


class WrongChainError(ChainError):
    """The RPC serves a different chain than the one asked for."""


class PositionNotFoundError(ChainError):
    """The position manager has no position with that token id (never minted, or burned)."""


class NotAUniswapV3PoolError(ChainError):
    """The address is not a pool of the chosen Uniswap v3 factory."""


class StaleOracleError(ChainError):
    """An oracle reading failed a staleness or sanity check (as a lender's oracle would revert)."""

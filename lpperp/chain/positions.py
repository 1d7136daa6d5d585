"""Read a position manager NFT: its pool, range, liquidity, and uncollected fees to the wei.

:func:`read_position` returns an :class:`OnchainPosition`: the raw integers the contracts store
(``*_raw``), what ``collect`` and a full burn would pay now (:mod:`lpperp.chain.fees` ports the
fee growth and ``tokensOwed`` update), and ``.lp``, an :class:`~lpperp.position.LPPosition` in
the usual orientation (human liquidity, prices in quote per base).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from lpperp._rpc import ChainError, JsonRpcClient, RpcCallError
from lpperp._validate import LpperpError, uint
from lpperp.chain.errors import PositionNotFoundError
from lpperp.chain.fees import fee_growth_inside, uncollected_fees
from lpperp.chain.pools import TICK_INFO, PoolState, pool_from_reads, quote_arg
from lpperp.chain.presets import ChainPreset, resolve_chain
from lpperp.chain.reader import Reader, reply_checked
from lpperp.liquidity import amounts_for_burn
from lpperp.position import LPPosition
from lpperp.units import MAX_TICK, MIN_TICK

__all__ = ["OnchainPosition", "latest_token_id", "read_position"]

_POSITIONS = ["uint96", "address", "address", "address", "uint24", "int24", "int24", "uint128",
              "uint256", "uint256", "uint128", "uint128"]  # fmt: skip


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


def _position_manager(caller: str, chain: str | ChainPreset | None) -> tuple[ChainPreset, str]:
    preset = resolve_chain(chain)
    if preset is None:
        raise LpperpError(f"{caller} needs chain= (a preset name or a ChainPreset)")
    return preset, preset.position_manager


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
    tid = uint("token_id", token_id, 256)
    quote = quote_arg(quote)
    preset, npm = _position_manager("read_position", chain)
    with Reader(rpc, preset, timeout_s) as reader:
        reader.start(
            npm,
            ChainError(
                f"no position manager contract at {npm} on {preset.name}: wrong chain preset, or "
                "pass ChainPreset(position_manager=...)"
            ),
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
        state, (lower, upper) = pool_from_reads(
            reader,
            pool_address[0],
            quote,
            [
                (pool_address[0], "ticks(int24)", (tl,), TICK_INFO),
                (pool_address[0], "ticks(int24)", (tu,), TICK_INFO),
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
        with reply_checked(f"position {tid} in {npm} on {preset.name}"):
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
    preset, npm = _position_manager("latest_token_id", chain)
    with Reader(rpc, preset, timeout_s) as reader:
        reader.start(npm, ChainError(f"no position manager contract at {npm} on {preset.name}"))
        (total,) = reader.calls([(npm, "totalSupply()", (), ["uint256"])])
        if isinstance(total, RpcCallError):
            raise ChainError(f"{npm} on {preset.name} does not enumerate its positions: {total}")
        if total[0] == 0:
            return None
        (last,) = reader.calls([(npm, "tokenByIndex(uint256)", (total[0] - 1,), ["uint256"])])
        if isinstance(last, RpcCallError):
            raise ChainError(f"tokenByIndex failed on {npm}: {last}")
        return last[0]

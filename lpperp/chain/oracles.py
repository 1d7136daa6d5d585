"""On-chain oracles: a pool's TWAP (``observe`` + ``OracleLibrary.consult``) and a
Chainlink-style aggregator (``latestRoundData``), each read at one pinned block.

A reading a lender's oracle would refuse (observations not old enough, a stale or non-positive
answer) is a :class:`~lpperp.chain.errors.StaleOracleError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lpperp._rpc import ChainError, JsonRpcClient, RpcCallError, hex_quantity, show_value
from lpperp._validate import integer, uint
from lpperp.chain.errors import NotAUniswapV3PoolError, StaleOracleError
from lpperp.chain.presets import address_arg
from lpperp.chain.reader import Reader
from lpperp.oracle import consult_mean_tick
from lpperp.units import MAX_TICK, MIN_TICK, PoolSpec

__all__ = ["ChainlinkRound", "TwapReading", "read_chainlink", "read_twap"]


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
    address = address_arg("pool", pool)
    w = uint("window_seconds", window_seconds, 32, 1)
    with Reader(rpc, None, timeout_s) as reader:
        reader.start(address, NotAUniswapV3PoolError(f"there is no contract at {address}"))
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
    address = address_arg("feed", feed)
    max_age = None if max_age_seconds is None else integer("max_age_seconds", max_age_seconds, 0)
    with Reader(rpc, None, timeout_s) as reader:
        reader.start(address, ChainError(f"there is no contract at {address}"))
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

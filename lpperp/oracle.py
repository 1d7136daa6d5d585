"""What a venue sees: spot, Chainlink-style push feeds, the pool TWAP, pull oracles; guards.

Every oracle is a small frozen object with one vectorized method and a streaming twin:

- ``report(times_seconds, prices) -> reported`` (same shape as ``prices``): what the venue reads at
  each time when the true (market / pool) price follows ``prices``;
- ``read(times_seconds, prices) -> OracleReading``: the same, with the time of the value read
  (``updated_at_seconds``, for staleness guards) and a confidence half-width (quote units);
- ``start(prices0, t0_seconds=0.0) -> state`` and ``step(state, t_seconds, prices) -> (state,
  reported)`` for step-wise simulation; feeding ``prices[..., i]`` at ``times_seconds[i]`` gives
  exactly the numbers of ``report`` (same float operations, tested bit for bit).

Conventions
-----------
- ``prices`` are quote per base, human units; time along the **last axis**, paths along leading
  axes (any number). ``times_seconds`` is one 1-d, non-decreasing array of that last axis's length,
  shared by all paths (unix seconds or seconds from a start). The true price is piecewise constant:
  ``prices[..., i]`` holds from ``times_seconds[i]`` until the next time (a block's closing price).
- Before the first time the market is taken to have stood at ``prices[..., 0]`` (no warm-up NaNs):
  the feed's first answer is ``prices[..., 0]`` at ``times_seconds[0]``, the TWAP's history before
  the series is that price.
- Fractions are fractions (``0.005`` = 0.5 %), durations in seconds (``_seconds`` in the name).
- Guards (:class:`OracleGuard`) never pass silently: :meth:`OracleGuard.check` returns a
  :class:`GuardResult` saying, per element, whether the action is allowed and, if not, why.

Sources are in each class (Chainlink docs, Uniswap v3 ``Oracle.sol`` / ``OracleLibrary.sol``,
Pyth SDK, Revert Lend, Drift, GMX); see also ``shared/notes/oracles.md`` (read 2026-11-30).
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lpperp._feed_scan import chainlink_scan, check_positive
from lpperp._results import html_table
from lpperp._validate import LpperpError, finite, fraction, integer, nonnegative, positive
from lpperp._validate import scalar_or_array as _out
from lpperp.units import PoolSpec

__all__ = [
    "CHAINLINK_ETH_USD_ARBITRUM",
    "CHAINLINK_ETH_USD_ARBITRUM_2026",
    "CHAINLINK_ETH_USD_BASE",
    "CHAINLINK_ETH_USD_ETHEREUM",
    "CHAINLINK_FEEDS",
    "DRIFT_GUARD",
    "GMX_GUARD",
    "ORACLE_GUARDS",
    "REVERT_LEND_ARBITRUM_GUARD",
    "ChainlinkFeed",
    "GuardResult",
    "Oracle",
    "OracleGuard",
    "OracleReading",
    "PullOracle",
    "Spot",
    "TwapOracle",
    "consult_mean_tick",
    "observe_tick_cumulatives",
]

_LOG_TICK_BASE = math.log(1.0001)


# ------------------------------------------------------------------------------------------------
# inputs and the reading record
# ------------------------------------------------------------------------------------------------
def _inputs(
    times_seconds: Any, prices: Any, check_prices: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(times (n,), prices (..., n))`` as float arrays, checked in a few passes (the prices'
    sign and finiteness left to the caller with ``check_prices=False``)."""
    p = _float_array("prices", prices)
    if p is None or p.ndim == 0 or p.shape[-1] == 0:
        raise LpperpError(
            f"prices must be an array with time along the last axis (at least one time), got "
            f"{prices!r}" if p is None or p.ndim == 0 else "prices must hold at least one time"
        )
    t = np.asarray(finite("times_seconds", times_seconds), dtype=float)
    if t.ndim != 1 or t.shape[0] != p.shape[-1]:
        raise LpperpError(
            f"times_seconds must be 1-d with the length of prices' last axis ({p.shape[-1]}), got "
            f"shape {t.shape}"
        )
    if t.shape[0] > 1 and np.any(t[1:] < t[:-1]):
        i = int(np.argmax(t[1:] < t[:-1]))
        raise LpperpError(
            f"times_seconds must be non-decreasing, got {float(t[i])!r} then {float(t[i + 1])!r} at "
            f"index {i + 1}"
        )
    if check_prices:  # after the times, as ChainlinkFeed's scans check them (one order for all)
        check_positive(p)
    return t, p


def _float_array(name: str, x: Any) -> np.ndarray | None:
    """``x`` as a float array, ``None`` for text (the callers word the message); a ragged or
    non-numeric input is refused by name instead of numpy's 'inhomogeneous shape'."""
    if isinstance(x, (str, bytes)):
        return None
    if x is None or isinstance(x, (bool, np.bool_)):
        raise LpperpError(f"{name} must be an array of numbers, got {x!r}")
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise LpperpError(
            f"{name} must be a rectangular array of numbers, got {type(x).__name__} "
            f"{str(x)[:60]}"
        ) from None


def _state(name: str, state: Any, cls: type, oracle: Any) -> Any:
    """``state`` if it is the ``cls`` that ``oracle.start`` returns (a wrong object is named)."""
    if not isinstance(state, cls):
        raise LpperpError(
            f"{name} must be the {cls.__name__} that {type(oracle).__name__}.start(...) returns, "
            f"got {type(state).__name__} {str(state)[:40]}"
        )
    return state


def _t(t_seconds: Any, name: str = "t_seconds") -> float:
    return float(finite(name, t_seconds, scalar=True))


def _step_prices(state_shape: tuple[int, ...], prices: Any) -> np.ndarray:
    p = np.asarray(positive("prices", prices), dtype=float)
    if p.shape != state_shape:
        raise LpperpError(
            f"prices must have the shape of the state's paths {state_shape}, got {p.shape}"
        )
    return p


def _later(state_t: float, t: float) -> None:
    if t < state_t:
        raise LpperpError(f"t_seconds must not go back in time: {t!r} after {state_t!r}")


@dataclass(frozen=True)
class OracleReading:
    """What a venue reads at each time: price, when it was last updated, its confidence.

    Arrays of the prices' shape: ``price`` (quote per base), ``updated_at_seconds`` (time of the
    value read), ``confidence`` (half-width of the publisher's interval, quote units; 0 for feeds
    without one); ``age_seconds = now - updated_at``.
    """

    price: np.ndarray
    updated_at_seconds: np.ndarray
    confidence: np.ndarray
    times_seconds: np.ndarray

    @property
    def age_seconds(self) -> np.ndarray:
        """``times_seconds - updated_at_seconds`` (seconds, >= 0)."""
        return self.times_seconds - self.updated_at_seconds


class Oracle:
    """Shared methods; subclasses define ``read``, ``start`` and ``step``."""

    def read(self, times_seconds: Any, prices: Any) -> OracleReading:  # pragma: no cover
        raise NotImplementedError

    def report(self, times_seconds: Any, prices: Any) -> np.ndarray:
        """The price the venue reads at each time (prices' shape; time along the last axis)."""
        return self.read(times_seconds, prices).price

    def stream(self, prices0: Any, t0_seconds: float = 0.0) -> Callable[[float, Any], Any]:
        """A stepping function for a simulator's own paths: ``advance = oracle.stream(prices0)``,
        then ``reported = advance(t_seconds, prices)`` at each later time.

        The same answers as :meth:`start` / ``step`` (bit for bit), with the checks done once:
        ``prices0`` and ``t0_seconds`` are checked here, each call is trusted to pass float prices
        of ``prices0``'s shape, positive and finite, at non-decreasing times (what a simulator
        generates; use ``start`` / ``step`` for checked streaming). The returned array may be
        updated in place by the next call: copy it to keep it.

        >>> advance = ChainlinkFeed(0.005, 3600.0).stream([3000.0, 3000.0])
        >>> advance(60.0, np.array([3010.0, 3020.0])).tolist()
        [3000.0, 3020.0]
        """
        state = self.start(prices0, t0_seconds)

        def advance(t_seconds: float, prices: Any) -> Any:
            nonlocal state
            state, reported = self.step(state, t_seconds, prices)
            return reported

        return advance


# ------------------------------------------------------------------------------------------------
# Spot
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpotState:
    """Streaming state of :class:`Spot`: the last time seen."""

    t_seconds: float
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Spot(Oracle):
    """The market price itself, always fresh: lpperp's behaviour before oracles (the ideal case).

    >>> Spot().report([0.0, 60.0], [3000.0, 2900.0]).tolist()
    [3000.0, 2900.0]
    """

    name: str = "spot"

    def read(self, times_seconds: Any, prices: Any) -> OracleReading:
        """Reported = market; updated at every time; no confidence band."""
        t, p = _inputs(times_seconds, prices)
        tt = np.broadcast_to(t, p.shape)
        return OracleReading(p.copy(), tt, np.zeros_like(p), tt)

    def start(self, prices0: Any, t0_seconds: float = 0.0) -> SpotState:
        """State at the first time (``prices0``: one price per path)."""
        p = np.asarray(positive("prices0", prices0), dtype=float)
        return SpotState(_t(t0_seconds, "t0_seconds"), p.shape)

    def step(self, state: SpotState, t_seconds: float, prices: Any) -> tuple[SpotState, Any]:
        """``(state, prices)``.

        >>> s = Spot().start(3000.0)
        >>> Spot().step(s, 12.0, 2990.0)[1]
        2990.0
        """
        state = _state("state", state, SpotState, self)
        t = _t(t_seconds)
        _later(state.t_seconds, t)
        p = _step_prices(state.shape, prices)
        return SpotState(t, state.shape), _out(p)


# ------------------------------------------------------------------------------------------------
# Chainlink push feed
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedState:
    """Streaming state of a :class:`ChainlinkFeed`: last answer and when it was written (per path)."""

    answer: np.ndarray
    updated_at_seconds: np.ndarray
    t_seconds: float


@dataclass(frozen=True)
class ChainlinkFeed(Oracle):
    """A push feed: a new answer when the price moved past the deviation threshold from the last
    answer, or when the heartbeat elapsed since the last answer; whichever comes first.

    At time ``t_i`` with last answer ``a`` written at ``u``, the feed writes ``a = P_i, u = t_i``
    iff ``P_i > a (1 + d)`` or ``P_i < a (1 - d)`` (``|P_i - a| > d a``, ``d =
    deviation_fraction``) or ``t_i >= u + heartbeat_seconds``; the venue reads
    ``a``. Chainlink's docs: a round starts when "the off-chain values deviate by more than the
    defined deviation threshold from the onchain value" or "after a specified amount of time from
    the last update"; "the first condition that is met triggers an update"
    (smartcontractkit/documentation ``src/content/architecture-overview/
    architecture-decentralized-model.mdx`` @ 1e522ae, read 2026-11-30). The off-chain observation
    is the market price at the evaluated times; the few seconds of OCR round latency are not
    modelled (evaluate on a coarser grid to include them). Path-dependent (the threshold moves with
    each answer): :meth:`report` scans time in blocks, vectorized over paths and over the times of
    a block (see ``benchmarks/bench_oracle.py``), and equals a direct loop exactly.

    Presets: :data:`CHAINLINK_ETH_USD_ETHEREUM`, :data:`CHAINLINK_ETH_USD_ARBITRUM`,
    :data:`CHAINLINK_ETH_USD_ARBITRUM_2026`, :data:`CHAINLINK_ETH_USD_BASE`.

    >>> feed = ChainlinkFeed(0.005, 3600.0)
    >>> feed.report([0, 60, 120, 180, 3780], [3000.0, 3010.0, 3016.0, 3005.0, 3001.0]).tolist()
    [3000.0, 3000.0, 3016.0, 3016.0, 3001.0]
    """

    deviation_fraction: float
    heartbeat_seconds: float
    name: str = "Chainlink-style feed"
    source: str = ""

    def __post_init__(self) -> None:
        d = fraction("deviation_fraction", self.deviation_fraction, scalar=True)
        object.__setattr__(self, "deviation_fraction", d)
        object.__setattr__(
            self, "heartbeat_seconds", positive("heartbeat_seconds", self.heartbeat_seconds,
                                                scalar=True)
        )

    def _scan(self, times_seconds: Any, prices: Any, with_updated: bool) -> tuple[Any, Any, Any]:
        t, p = _inputs(times_seconds, prices, check_prices=False)  # the scans check the prices
        x = np.ascontiguousarray(p.reshape(-1, p.shape[-1]))
        try:
            out, ut = chainlink_scan(t, x, self.deviation_fraction, self.heartbeat_seconds,
                                      with_updated)
        except LpperpError:
            positive("prices", p)  # the message with the index in the caller's shape
            raise
        return t, out.reshape(p.shape), None if ut is None else ut.reshape(p.shape)

    def report(self, times_seconds: Any, prices: Any) -> np.ndarray:
        """The last answer at each time (prices' shape).

        >>> ChainlinkFeed(0.01, 86400.0).report([0, 1, 2], [[100.0, 100.5, 101.5],
        ...                                                  [100.0, 98.0, 98.5]]).tolist()
        [[100.0, 100.0, 101.5], [100.0, 98.0, 98.0]]
        """
        return self._scan(times_seconds, prices, False)[1]

    def read(self, times_seconds: Any, prices: Any) -> OracleReading:
        """Answers with their ``updatedAt`` (seconds); no confidence band.

        >>> r = ChainlinkFeed(0.005, 3600.0).read([0, 600, 4000], [3000.0, 3001.0, 3002.0])
        >>> r.updated_at_seconds.tolist(), r.age_seconds.tolist()
        ([0.0, 0.0, 4000.0], [0.0, 600.0, 0.0])
        """
        t, out, ut = self._scan(times_seconds, prices, True)
        return OracleReading(out, ut, np.zeros_like(out), np.broadcast_to(t, out.shape))

    def start(self, prices0: Any, t0_seconds: float = 0.0) -> FeedState:
        """First answer = ``prices0`` written at ``t0_seconds``."""
        a = np.array(positive("prices0", prices0), dtype=float)
        t0 = _t(t0_seconds, "t0_seconds")
        return FeedState(a, np.full(a.shape, t0), t0)

    def step(self, state: FeedState, t_seconds: float, prices: Any) -> tuple[FeedState, Any]:
        """Apply the trigger rule at ``t_seconds`` to every path; return the answers read.

        >>> feed = ChainlinkFeed(0.005, 3600.0)
        >>> s = feed.start([3000.0, 3000.0])
        >>> s, r = feed.step(s, 60.0, [3010.0, 3020.0])
        >>> r.tolist(), s.updated_at_seconds.tolist()
        ([3000.0, 3020.0], [0.0, 60.0])
        """
        state = _state("state", state, FeedState, self)
        t = _t(t_seconds)
        _later(state.t_seconds, t)
        p = _step_prices(state.answer.shape, prices)
        a, u = state.answer, state.updated_at_seconds
        d = self.deviation_fraction
        cond = (p > a * (1.0 + d)) | (p < a * (1.0 - d)) | (t >= u + self.heartbeat_seconds)
        a = np.where(cond, p, a)
        u = np.where(cond, t, u)
        return FeedState(a, u, t), _out(a)

    def stream(self, prices0: Any, t0_seconds: float = 0.0) -> Callable[[float, Any], Any]:
        """:meth:`Oracle.stream` for the feed: the band ``a (1 - d), a (1 + d)`` and the heartbeat
        due time ``u + heartbeat_seconds`` are kept per path and rewritten only where a new answer
        is written (the same products as :meth:`step`, so the same answers bit for bit); a step
        where no path triggers costs two comparisons.

        >>> advance = ChainlinkFeed(0.005, 3600.0).stream(3000.0)
        >>> [float(advance(t, p)) for t, p in ((60.0, 3010.0), (120.0, 3016.0), (3720.0, 3001.0))]
        [3000.0, 3016.0, 3001.0]
        """
        state = self.start(prices0, t0_seconds)
        a, d, hb = state.answer, self.deviation_fraction, self.heartbeat_seconds
        up, down = np.array(a * (1.0 + d)), np.array(a * (1.0 - d))
        due = np.array(state.updated_at_seconds + hb)
        next_due = [float(due.min()) if due.size else math.inf]
        cond, low = np.empty(a.shape, dtype=bool), np.empty(a.shape, dtype=bool)

        def advance(t_seconds: float, prices: Any) -> Any:
            np.greater(prices, up, out=cond)
            np.logical_or(cond, np.less(prices, down, out=low), out=cond)
            if t_seconds >= next_due[0]:
                np.logical_or(cond, np.greater_equal(t_seconds, due, out=low), out=cond)
            if cond.any():  # on the paths that trigger (a masked write with a random mask
                i = np.flatnonzero(cond)  # costs more than indexing the few that do)
                pi = np.ravel(prices)[i]
                a.reshape(-1)[i] = pi
                up.reshape(-1)[i] = pi * (1.0 + d)
                down.reshape(-1)[i] = pi * (1.0 - d)
                due.reshape(-1)[i] = t_seconds + hb
                next_due[0] = float(due.min())
            return a

        return advance


#: Chainlink ETH/USD on Ethereum: 0.5 % / 3600 s, proxy 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419.
CHAINLINK_ETH_USD_ETHEREUM = ChainlinkFeed(
    0.005, 3600.0, name="Chainlink ETH/USD, Ethereum",
    source="Chainlink reference-data-directory feeds-mainnet.json (verbatim copy in daimo-eth/daimo "
    "packages/daimo-contract/script/chainlink/1-raw-feed-info @ 02fba9f, 2024-11-04)",
)
#: Chainlink ETH/USD on Arbitrum as the directory JSON listed it in 2024: 0.05 % / 86400 s.
CHAINLINK_ETH_USD_ARBITRUM = ChainlinkFeed(
    0.0005, 86400.0, name="Chainlink ETH/USD, Arbitrum (2024 directory)",
    source="Chainlink reference-data-directory feeds-ethereum-mainnet-arbitrum-1.json (daimo-eth/"
    "daimo @ 02fba9f, 2024-11-04); proxy 0x639Fe6ab55C921f74e7fac1ee960C0B6293ba612",
)
#: Chainlink ETH/USD on Arbitrum re-read on 2026-09-11: heartbeat drifted to 1755 s (0.05 %).
CHAINLINK_ETH_USD_ARBITRUM_2026 = ChainlinkFeed(
    0.0005, 1755.0, name="Chainlink ETH/USD, Arbitrum (2026-09 re-read)",
    source="TeraHashAlpha/teraswap docs/Runbooks/ARBITRUM-V3-FEED-REGISTRATION.md @ 47475d8 "
    "(directory JSON re-fetched 2026-09-11, on-chain max gap 1771 s; third-party, unconfirmed)",
)
#: Chainlink ETH/USD on Base: 0.15 % / 1200 s, proxy 0x71041dddad3595F9CEd3DcCFBe3D1F4b0a16Bb70.
CHAINLINK_ETH_USD_BASE = ChainlinkFeed(
    0.0015, 1200.0, name="Chainlink ETH/USD, Base",
    source="Chainlink reference-data-directory feeds-ethereum-mainnet-base-1.json (daimo-eth/daimo "
    "@ 02fba9f, 2024-11-04); restated at 1200 s by a third party 2026-09-16",
)
#: The presets by chain name. Parameters change: re-read data.chain.link before relying on one.
CHAINLINK_FEEDS = {
    "ethereum": CHAINLINK_ETH_USD_ETHEREUM,
    "arbitrum": CHAINLINK_ETH_USD_ARBITRUM,
    "arbitrum-2026": CHAINLINK_ETH_USD_ARBITRUM_2026,
    "base": CHAINLINK_ETH_USD_BASE,
}


# ------------------------------------------------------------------------------------------------
# Uniswap v3 TWAP: exact tick arithmetic, then the vectorized oracle
# ------------------------------------------------------------------------------------------------
def observe_tick_cumulatives(
    times_seconds: Sequence[int], ticks: Sequence[int], now_seconds: int,
    seconds_agos: Sequence[int],
) -> list[int]:
    """``tickCumulatives`` that ``pool.observe(secondsAgos)`` returns, exact Python ints.

    The pool's tick becomes ``ticks[k]`` at ``times_seconds[k]`` (``k = 0``: ``initialize``; a
    swap moving the tick at block time ``t``; several changes in one block: the last one stands)
    and the accumulator starts at 0. Then ``tickCumulative(T) = sum_k ticks[k] * (min(T,
    t_{k+1}) - t_k)`` over ``t_k < T``: Uniswap v3-core ``Oracle.sol`` ``transform`` adds
    ``tick * delta`` with the tick *before* each write, and ``observeSingle`` interpolates between
    two observations, exact here because the tick is constant between writes
    (@uniswap/v3-core@1.0.1 ``contracts/libraries/Oracle.sol``; Uniswap/v3-core ``UniswapV3Pool.sol``
    @ 011e06f). Assumes the cardinality covers the window; a target before ``times_seconds[0]``
    raises as the pool reverts ``'OLD'``.

    >>> observe_tick_cumulatives([1000], [76012], 1600, [600, 0])   # notes/oracles.md local run
    [0, 45607200]
    >>> observe_tick_cumulatives([0, 10, 10, 20], [5, -7, 3, 1], 30, [30, 15, 0])
    [0, 65, 90]
    """
    ts = [integer("times_seconds", x) for x in times_seconds]
    tk = [integer("ticks", x, -887272, 887272) for x in ticks]
    now = integer("now_seconds", now_seconds)
    if not ts or len(ts) != len(tk):
        raise LpperpError(
            f"times_seconds and ticks must be non-empty and of one length, got {len(ts)} and "
            f"{len(tk)}"
        )
    if any(b < a for a, b in itertools.pairwise(ts)) or now < ts[-1]:
        raise LpperpError(f"times_seconds must be non-decreasing and <= now_seconds={now}")
    if isinstance(seconds_agos, (str, bytes)) or not isinstance(seconds_agos, Iterable):
        raise LpperpError(f"seconds_agos must be a list of integers, got {seconds_agos!r}")
    # the accumulator at each write, exact ints (one pass), then one bisection per target:
    # O((n + m) log n) instead of n * m (10**5 writes and 10**4 targets: 0.7 s, was minutes)
    prefix = [0]
    for k in range(len(ts) - 1):
        prefix.append(prefix[-1] + tk[k] * (ts[k + 1] - ts[k]))
    out = []
    for ago in seconds_agos:
        target = now - integer("seconds_agos", ago, 0, 2**32 - 1)
        if target < ts[0]:
            raise LpperpError(f"seconds_ago={ago} reaches before the first observation ('OLD')")
        k = bisect.bisect_left(ts, target) - 1  # the last write strictly before the target
        out.append(0 if k < 0 else prefix[k] + tk[k] * (target - ts[k]))
    return out


def consult_mean_tick(tick_cumulative_start: int, tick_cumulative_end: int, seconds_ago: int) -> int:
    """Arithmetic mean tick of ``OracleLibrary.consult``: ``Δ / W`` rounded toward minus infinity.

    ``tick = int24(Δ / W); if (Δ < 0 && Δ % W != 0) tick--`` with ``Δ = end - start`` (Solidity
    truncates toward zero; the correction floors). @uniswap/v3-periphery@1.4.4
    ``contracts/libraries/OracleLibrary.sol`` lines 16-41; ``W = 0`` reverts ``'BP'``.

    >>> consult_mean_tick(0, 45607200, 600), consult_mean_tick(0, -7, 2), consult_mean_tick(0, 7, 2)
    (76012, -4, 3)
    """
    c0 = integer("tick_cumulative_start", tick_cumulative_start)
    c1 = integer("tick_cumulative_end", tick_cumulative_end)
    w = integer("seconds_ago", seconds_ago, 0, 2**32 - 1)
    if w == 0:
        raise LpperpError("seconds_ago must be > 0 (OracleLibrary.consult reverts 'BP')")
    delta = c1 - c0
    tick = abs(delta) // w * (1 if delta >= 0 else -1)  # Solidity division: toward zero
    if delta < 0 and delta % w != 0:
        tick -= 1
    return tick


#: Longest time a TWAP series or stream may span, seconds: the pool's uint32 timestamps. With
#: |tick| <= 887272 the accumulator then stays below 2**53, where float arithmetic is exact.
_MAX_SPAN_SECONDS = float(2**32 - 1)


def _twap_times(t: np.ndarray) -> None:
    """Refuse times a TWAP cannot take exactly (a span past 2**32 s, or beyond 2**53 s)."""
    if t.size and (t[-1] - t[0] > _MAX_SPAN_SECONDS or max(abs(t[0]), abs(t[-1])) > 2.0**53):
        raise LpperpError(
            f"times_seconds must span at most 2**32 - 1 s within +-2**53 s for a TWAP (the "
            f"pool's uint32 timestamps; exact accumulator), got {t[0]!r} to {t[-1]!r}"
        )


def _floor_div(a: np.ndarray, w: float) -> np.ndarray:
    """``floor(a / w)`` for integer-valued ``a`` (``|a| < 2**53``) and an integer ``w >= 1``,
    exact, ~5x faster than ``np.floor_divide`` on floats.

    Exact because rounding cannot carry the quotient across an integer: if ``a / w`` is an
    integer it is representable (``|a / w| <= |a| < 2**53``); otherwise its distance to the
    nearest integer is at least ``1 / w``, while the rounding error of ``a / w`` is at most
    ``2**-53 |a| / w < 1 / w``."""
    return np.floor(a / w)


class _TwapBuffer:
    """Storage behind :class:`TwapState`: one append per step, in place (amortized O(paths)).

    ``ts (cap,)``, ``cum (cap, ...)``, ``tk (cap, ...)`` time-major (an append writes one
    contiguous row); ``end`` the first free row. A state owns the rows ``[start, end)``; only the
    state ending at ``end`` may append (an older state stepped again copies first), and a full
    buffer moves its live rows to one twice their size.
    """

    __slots__ = ("cum", "end", "t_first", "tk", "ts")

    def __init__(self, ts: np.ndarray, cum: np.ndarray, tk: np.ndarray,
                 t_first: float | None = None) -> None:
        m = ts.shape[0]
        self.t_first = float(ts[0]) if t_first is None else t_first  # the stream's start
        cap = 2 * m + 16
        self.ts = np.empty(cap)
        self.cum = np.empty((cap, *cum.shape[:-1]))
        self.tk = np.empty((cap, *tk.shape[:-1]))
        self.ts[:m] = ts
        self.cum[:m] = np.moveaxis(cum, -1, 0)
        self.tk[:m] = np.moveaxis(tk, -1, 0)
        self.end = m

    def state(self, i0: int, i1: int, t: float) -> TwapState:
        """The state owning rows ``[i0, i1)``: read-only views, time along the last axis."""
        views = [self.ts[i0:i1].view(), np.moveaxis(self.cum[i0:i1], 0, -1),
                 np.moveaxis(self.tk[i0:i1], 0, -1)]
        for v in views:
            v.flags.writeable = False
        return TwapState(views[0], views[1], views[2], t, self, i0)


@dataclass(frozen=True)
class TwapState:
    """Streaming state of a :class:`TwapOracle`: the accumulator history still inside the window.

    ``times_seconds (m,)``, ``tick_cumulatives (..., m)``, ``ticks (..., m)`` (the tick in force
    from each time) are read-only views of a buffer that :meth:`TwapOracle.step` appends to in
    place: a step costs O(paths), whatever the window (was a copy of the window's history).
    """

    times_seconds: np.ndarray  # (m,)
    tick_cumulatives: np.ndarray  # (..., m)
    ticks: np.ndarray  # (..., m) tick in force from each time
    t_seconds: float
    _buffer: Any = field(default=None, repr=False, compare=False)
    _start: int = field(default=0, repr=False, compare=False)


@dataclass(frozen=True)
class TwapOracle(Oracle):
    """The pool's time-weighted geometric mean price over ``window_seconds``, as ``observe`` gives.

    At time ``t``: ``tick_bar = floor((C(t) - C(t - W)) / W)`` with ``C`` the tick accumulator
    (:func:`observe_tick_cumulatives`; the price set at ``t_i`` has weight 0 at ``t_i``), floored
    as ``OracleLibrary.consult`` (:func:`consult_mean_tick`); the venue reads
    ``1.0001**tick_bar`` (reoriented to quote per base by ``pool``; without a pool, ticks of the
    human price). The pool's tick at each time is the floor tick of the market price. Times are
    block timestamps: floored to whole seconds as the pool records ``block.timestamp`` (uint32),
    and the window is a whole number of seconds (``secondsAgo``), so the float arithmetic runs on
    integer-valued numbers and is exact while ``|C| < 2**53`` (a constant price reads its own
    tick on any time grid).

    >>> twap = TwapOracle(600.0)
    >>> twap.report([0, 300, 600, 900], [3000.0, 3300.0, 3300.0, 3300.0]).round(2).tolist()
    [2999.8, 2999.8, 3146.03, 3299.73]
    """

    window_seconds: float
    pool: PoolSpec | None = None
    name: str = "Uniswap v3 TWAP"

    def __post_init__(self) -> None:
        w = positive("window_seconds", self.window_seconds, scalar=True)
        if not (1.0 <= w <= _MAX_SPAN_SECONDS and w == math.floor(w)):
            raise LpperpError(
                f"window_seconds must be a whole number of seconds in [1, 2**32 - 1] "
                f"(OracleLibrary.consult's uint32 secondsAgo), got {w!r}"
            )
        object.__setattr__(self, "window_seconds", w)
        if self.pool is not None and not isinstance(self.pool, PoolSpec):
            raise LpperpError(f"pool must be a PoolSpec or None, got {type(self.pool).__name__}")

    def ticks(self, prices: Any) -> np.ndarray:
        """The pool tick at each price (float array of integers): floor tick of the raw price.

        >>> TwapOracle(60.0).ticks([1.0, 1.00011, 0.99999]).tolist()
        [0.0, 1.0, -1.0]
        """
        return self._ticks(np.asarray(positive("prices", prices), dtype=float))

    def price_at_tick(self, tick: Any) -> Any:
        """``1.0001**tick`` as quote per base (through ``pool`` when given).

        ``tick``: integers (or integer-valued floats) in ``[-887272, 887272]``.

        >>> round(TwapOracle(60.0).price_at_tick(76012), 2)
        1999.84
        """
        tk = np.asarray(finite("tick", tick), dtype=float)
        if np.any(tk != np.floor(tk)) or np.any(np.abs(tk) > 887272):
            raise LpperpError(f"tick must be integers in [-887272, 887272], got {tick!r}"[:200])
        if self.pool is not None:
            return self.pool.tick_to_price(tk.astype(np.int64))
        return _out(np.exp(tk * _LOG_TICK_BASE))

    def mean_ticks(self, times_seconds: Any, prices: Any) -> np.ndarray:
        """``floor((C(t) - C(t - W)) / W)`` at each time (prices' shape, integer-valued floats)."""
        t, p = _inputs(times_seconds, prices)
        _twap_times(t)
        return self._mean_ticks(np.floor(t), self._ticks(p))

    def _ticks(self, p: np.ndarray) -> np.ndarray:
        if self.pool is not None:
            return np.asarray(self.pool.price_to_tick(p), dtype=float)
        out = np.log(p, out=np.empty(np.shape(p)))
        out /= _LOG_TICK_BASE
        out += 1e-9
        return np.floor(out, out=out)

    def _mean_ticks(self, t: np.ndarray, tick: np.ndarray) -> np.ndarray:
        cum = np.empty_like(tick)
        cum[..., 0] = 0.0
        np.multiply(tick[..., :-1], np.diff(t), out=cum[..., 1:])
        np.cumsum(cum[..., 1:], axis=-1, out=cum[..., 1:])
        target = t - self.window_seconds
        k = np.clip(np.searchsorted(t, target, side="right") - 1, 0, None)
        c_then = np.take(cum, k, axis=-1)
        c_then += np.take(tick, k, axis=-1) * (target - t[k])
        np.subtract(cum, c_then, out=cum)
        return _floor_div(cum, self.window_seconds)

    def mean_ticks_of(self, times_seconds: Any, ticks: Any) -> np.ndarray:
        """The mean tick ``observe``/``consult`` give at each time, from the pool's ticks.

        ``ticks[..., i]`` is the pool's tick from ``times_seconds[i]`` on (e.g. ``slot0.tick``
        after the swaps of that block); before the first time the pool stood at ``ticks[..., 0]``.
        Equal to :func:`consult_mean_tick` of :func:`observe_tick_cumulatives` for integer seconds.

        >>> TwapOracle(600.0).mean_ticks_of([0, 300, 600], [76012, 76100, 76100]).tolist()
        [76012.0, 76012.0, 76056.0]
        """
        tick = np.asarray(finite("ticks", ticks), dtype=float)
        t = np.asarray(finite("times_seconds", times_seconds), dtype=float)
        if t.ndim != 1 or tick.ndim == 0 or tick.shape[-1] != t.shape[0] or t.shape[0] == 0:
            raise LpperpError(f"ticks must have times_seconds' length {t.shape} along the last "
                              f"axis, got shape {tick.shape}")
        if np.any(tick != np.floor(tick)) or np.any(np.abs(tick) > 887272):
            raise LpperpError("ticks must be integers in [-887272, 887272]")
        if t.shape[0] > 1 and np.any(t[1:] < t[:-1]):
            raise LpperpError("times_seconds must be non-decreasing")
        _twap_times(t)
        return self._mean_ticks(np.floor(t), tick)

    def read(self, times_seconds: Any, prices: Any) -> OracleReading:
        """TWAP prices, always 'updated' now (the age of a TWAP is its window); no confidence."""
        t, p = _inputs(times_seconds, prices)
        _twap_times(t)
        out = np.asarray(self.price_at_tick(self._mean_ticks(np.floor(t), self._ticks(p))),
                         dtype=float)
        tt = np.broadcast_to(t, p.shape)
        return OracleReading(out, tt, np.zeros_like(out), tt)

    def start(self, prices0: Any, t0_seconds: float = 0.0) -> TwapState:
        """Accumulator 0 at ``t0_seconds``, the pool at the tick of ``prices0``."""
        p = np.asarray(positive("prices0", prices0), dtype=float)
        tick = self._ticks(p)
        t0 = float(math.floor(_t(t0_seconds, "t0_seconds")))  # a block timestamp
        return TwapState(np.array([t0]), np.zeros((*p.shape, 1)),
                         np.asarray(tick)[..., None] + 0.0, t0)

    def step(self, state: TwapState, t_seconds: float, prices: Any) -> tuple[TwapState, Any]:
        """Accrue the accumulator to ``t_seconds``, set the new tick, read the TWAP.

        >>> twap = TwapOracle(600.0)
        >>> s = twap.start(3000.0)
        >>> s, r = twap.step(s, 300.0, 3300.0)
        >>> s, r = twap.step(s, 600.0, 3300.0)
        >>> round(r, 2)
        3146.03
        """
        state = _state("state", state, TwapState, self)
        t = float(math.floor(_t(t_seconds)))  # a block timestamp
        _later(state.t_seconds, t)
        shape = state.tick_cumulatives.shape[:-1]
        p = _step_prices(shape, prices)
        buf, i0 = state._buffer, state._start
        i1 = i0 + state.times_seconds.shape[0]  # this state's columns are [i0, i1)
        if not isinstance(buf, _TwapBuffer) or buf.end != i1:  # built by hand, or stepped again
            buf, i0, i1 = _TwapBuffer(state.times_seconds, state.tick_cumulatives, state.ticks), \
                0, state.times_seconds.shape[0]
        if i1 == buf.ts.shape[0]:  # full: the live rows move to a buffer twice their size
            buf = _TwapBuffer(buf.ts[i0:i1], np.moveaxis(buf.cum[i0:i1], 0, -1),
                              np.moveaxis(buf.tk[i0:i1], 0, -1), buf.t_first)
            i0, i1 = 0, buf.end
        _twap_times(np.array([buf.t_first, t]))
        c_now = buf.cum[i1 - 1] + buf.tk[i1 - 1] * (t - buf.ts[i1 - 1])
        buf.ts[i1] = t
        buf.cum[i1] = c_now
        buf.tk[i1] = self._ticks(p)
        buf.end = i1 = i1 + 1
        ts = buf.ts[i0:i1]
        target = t - self.window_seconds
        k = max(int(np.searchsorted(ts, target, side="right")) - 1, 0)
        j = i0 + k
        c_then = buf.cum[j] + buf.tk[j] * (target - ts[k])
        mean = _floor_div(np.asarray(c_now - c_then, dtype=float), self.window_seconds)
        return buf.state(j, i1, t), _out(np.asarray(self.price_at_tick(mean), dtype=float))


# ------------------------------------------------------------------------------------------------
# Pull oracle (Pyth-style)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PullState:
    """Streaming state of a :class:`PullOracle`: the price on chain, its publish time, last sample."""

    price: np.ndarray
    publish_time_seconds: float
    last_t_seconds: float
    last_prices: np.ndarray


@dataclass(frozen=True)
class PullOracle(Oracle):
    """A pull oracle (Pyth-style): a price with a confidence interval, posted every
    ``publish_interval_seconds``, that consumers refuse when older than ``staleness_seconds``.

    The price read at ``t`` is the market price at the last publish time
    ``tau = floor(t / I) * I`` (the sample standing at ``tau``), with ``publishTime = tau`` and
    ``conf = confidence_fraction * price`` (Pyth: ``conf`` "roughly corresponds to the standard
    error", same exponent as the price). ``getPriceNoOlderThan(id, age)`` reverts ``StalePrice()``
    when ``|now - publishTime| > age`` (@pythnetwork/pyth-sdk-solidity@4.3.1 ``AbstractPyth.sol``
    lines 50-60): see :meth:`guard`. ``I`` is how often a price reaches the chain (Pythnet
    publishes every 0.4 s; on the target chain only when someone posts an update).

    >>> pyth = PullOracle(publish_interval_seconds=60.0, confidence_fraction=0.001)
    >>> r = pyth.read([0, 30, 60, 90], [3000.0, 3100.0, 3200.0, 3300.0])
    >>> r.price.tolist(), r.age_seconds.tolist(), r.confidence.round(2).tolist()
    ([3000.0, 3000.0, 3200.0, 3200.0], [0.0, 30.0, 0.0, 30.0], [3.0, 3.0, 3.2, 3.2])
    """

    confidence_fraction: float = 0.0
    staleness_seconds: float = 60.0
    publish_interval_seconds: float = 1.0
    name: str = "Pyth-style pull oracle"

    def __post_init__(self) -> None:
        object.__setattr__(self, "publish_interval_seconds", positive(
            "publish_interval_seconds", self.publish_interval_seconds, scalar=True))
        object.__setattr__(self, "confidence_fraction", fraction(
            "confidence_fraction", self.confidence_fraction, scalar=True))
        object.__setattr__(self, "staleness_seconds", positive(
            "staleness_seconds", self.staleness_seconds, scalar=True))

    def _tau(self, t: Any) -> Any:
        i = self.publish_interval_seconds
        with np.errstate(over="ignore"):
            q = np.asarray(t, dtype=float) / i
        # an interval so short that t / I overflows publishes at every time; never after t
        return np.where(np.isfinite(q), np.minimum(np.floor(q) * i, t), t)

    def read(self, times_seconds: Any, prices: Any) -> OracleReading:
        """Published prices, their publish times and confidence half-widths."""
        t, p = _inputs(times_seconds, prices)
        tau = self._tau(t)
        k = np.clip(np.searchsorted(t, tau, side="right") - 1, 0, None)
        k = np.minimum(k, np.arange(t.size))  # at a repeated time, never a later sample
        price = p[..., k]
        tt = np.broadcast_to(t, p.shape)
        return OracleReading(price, np.broadcast_to(tau, p.shape), self.confidence_fraction * price,
                             tt)

    def guard(self, max_confidence_fraction: float = np.inf) -> OracleGuard:
        """The consumer's checks: staleness (this oracle's limit) and an optional confidence cap."""
        return OracleGuard(max_age_seconds=self.staleness_seconds,
                           max_confidence_fraction=max_confidence_fraction,
                           name=f"{self.name} consumer")

    def start(self, prices0: Any, t0_seconds: float = 0.0) -> PullState:
        """The price standing at the first time is the one published at or before it."""
        p = np.array(positive("prices0", prices0), dtype=float)
        t0 = _t(t0_seconds, "t0_seconds")
        return PullState(p, float(self._tau(t0)), t0, p)

    def step(self, state: PullState, t_seconds: float, prices: Any) -> tuple[PullState, Any]:
        """Publish when a multiple of the interval passed: the sample standing at that time.

        >>> pyth = PullOracle(publish_interval_seconds=60.0)
        >>> s = pyth.start(3000.0)
        >>> s, r1 = pyth.step(s, 45.0, 3100.0)
        >>> s, r2 = pyth.step(s, 75.0, 3200.0)    # published at 60 s: the 45 s sample stood
        >>> r1, r2
        (3000.0, 3100.0)
        """
        state = _state("state", state, PullState, self)
        t = _t(t_seconds)
        _later(state.last_t_seconds, t)
        p = _step_prices(state.price.shape, prices)
        tau = float(self._tau(t))
        price, pub = state.price, state.publish_time_seconds
        if tau > pub or tau >= t:  # a publish now takes the last sample of this instant
            price, pub = (p if tau >= t else state.last_prices), tau
        return PullState(price, pub, t, p), _out(price)


# ------------------------------------------------------------------------------------------------
# guards
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GuardResult:
    """Whether an action may proceed on this oracle reading and, if not, why (per element).

    ``allowed``: bool (array); ``reason``: ``""`` where allowed, else the first tripped check of
    ``"stale"``, ``"uncertain"``, ``"pool_deviation"`` (Drift's order: TooUncertain before
    StaleForMargin; Revert checks the feed's age before the price difference); ``message``: the
    first blocked element with its numbers.
    """

    allowed: Any
    reason: Any
    message: str
    age_seconds: Any
    confidence_fraction: Any
    pool_difference_fraction: Any

    def __bool__(self) -> bool:
        return bool(np.all(self.allowed))

    def _repr_html_(self) -> str:
        n_blocked = int(np.size(self.allowed) - np.count_nonzero(self.allowed))
        return html_table([("allowed", bool(self)), ("blocked", float(n_blocked)),
                           ("why", self.message or "-")])


@dataclass(frozen=True)
class OracleGuard:
    """A lender's oracle checks: maximum age, maximum confidence width, maximum pool-vs-oracle
    difference. ``inf`` disables a check.

    - ``max_age_seconds``: Revert Lend ``maxFeedAge`` (reverts ``ChainlinkPriceError`` if
      ``updatedAt + maxFeedAge < block.timestamp``), Pyth ``getPriceNoOlderThan``, GMX
      ``maxPriceAge``;
    - ``max_confidence_fraction``: Drift ``confidence_interval_max_size`` (conf / price);
    - ``max_pool_difference_fraction``: Revert Lend ``maxPoolPriceDifference`` (the pool's slot0
      price must be within it of the oracle price; ``|p - v| / v > max`` reverts).

    >>> g = REVERT_LEND_ARBITRUM_GUARD
    >>> r = g.check(3000.0, pool_price=[3030.0, 3090.0], age_seconds=[60.0, 60.0])
    >>> r.allowed.tolist(), r.reason.tolist()
    ([True, False], ['', 'pool_deviation'])
    >>> r.message
    'pool_deviation: pool price 3090 is 3.00 % from the oracle 3000 (max 2.00 %)'
    """

    max_age_seconds: float = np.inf
    max_confidence_fraction: float = np.inf
    max_pool_difference_fraction: float = np.inf
    name: str = "guard"
    source: str = ""

    def __post_init__(self) -> None:
        for n in ("max_age_seconds", "max_confidence_fraction", "max_pool_difference_fraction"):
            v = getattr(self, n)
            if not (isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                    and v >= 0):
                raise LpperpError(f"{n} must be a number >= 0 (inf disables it), got {v!r}")
            object.__setattr__(self, n, float(v))

    def check(
        self,
        oracle_price: Any,
        *,
        age_seconds: Any = 0.0,
        confidence: Any = 0.0,
        pool_price: Any = None,
    ) -> GuardResult:
        """Run the checks on readings (all arguments broadcast). See the class example."""
        v = np.asarray(positive("oracle_price", oracle_price), dtype=float)
        age = np.asarray(nonnegative("age_seconds", age_seconds), dtype=float)
        conf = np.asarray(nonnegative("confidence", confidence), dtype=float)
        pool = v if pool_price is None else np.asarray(positive("pool_price", pool_price),
                                                        dtype=float)
        try:
            np.broadcast_shapes(v.shape, age.shape, conf.shape, pool.shape)
        except ValueError:
            raise LpperpError(
                f"oracle_price {v.shape}, age_seconds {age.shape}, confidence {conf.shape} and "
                f"pool_price {pool.shape} must broadcast to one shape"
            ) from None
        with np.errstate(over="ignore"):  # a gap beyond a float's range is inf: still refused
            conf = conf / v
            diff = np.zeros_like(v) if pool_price is None else np.abs(pool - v) / v
        age, conf, diff, v, pool = np.broadcast_arrays(age, conf, diff, v, pool)
        stale = age > self.max_age_seconds
        unc = conf > self.max_confidence_fraction
        dev = diff > self.max_pool_difference_fraction
        reason = np.where(unc, "uncertain", np.where(stale, "stale",
                                                     np.where(dev, "pool_deviation", "")))
        allowed = ~(stale | unc | dev)
        message = ""
        if not allowed.all():
            i = np.unravel_index(int(np.argmin(allowed)), allowed.shape) if allowed.ndim else ()
            if unc[i]:
                message = (f"uncertain: confidence {100 * conf[i]:.2f} % of the price > max "
                           f"{100 * self.max_confidence_fraction:.2f} %")
            elif stale[i]:
                message = (f"stale: oracle age {age[i]:.0f} s > max {self.max_age_seconds:.0f} s")
            else:
                message = (f"pool_deviation: pool price {pool[i]:.6g} is {100 * diff[i]:.2f} % "
                           f"from the oracle {v[i]:.6g} (max "
                           f"{100 * self.max_pool_difference_fraction:.2f} %)")
        return GuardResult(_out(allowed), reason if reason.ndim else str(reason), message,
                           _out(age), _out(conf), _out(diff))

    def check_reading(self, reading: OracleReading, pool_price: Any = None) -> GuardResult:
        """:meth:`check` on an :class:`OracleReading` (age and confidence from the reading)."""
        if not isinstance(reading, OracleReading):
            raise LpperpError(f"reading must be an OracleReading (an oracle's read(...)), got "
                              f"{type(reading).__name__} {str(reading)[:40]}")
        return self.check(reading.price, age_seconds=reading.age_seconds,
                          confidence=reading.confidence, pool_price=pool_price)


#: Revert Lend on Arbitrum: maxFeedAge 86400 s, maxPoolPriceDifference 200 bps (2 %).
REVERT_LEND_ARBITRUM_GUARD = OracleGuard(
    max_age_seconds=86400.0, max_pool_difference_fraction=0.02, name="Revert Lend (Arbitrum)",
    source="revert-finance/lend script/DeployArbitrum.s.sol @ 5ad47cd (2024-08-07): "
    "setMaxPoolPriceDifference(200), maxFeedAge 86400; checks in src/V3Oracle.sol @ 4f1e127",
)
#: Drift: conf/price <= 2 % (confidence_interval_max_size 20_000 / 1e6), stale for margin after
#: 120 slots (~60 s).
DRIFT_GUARD = OracleGuard(
    max_age_seconds=60.0, max_confidence_fraction=0.02, name="Drift (defaults)",
    source="drift-labs/protocol-v2 programs/drift/src/state/state.rs lines 171-206 @ 0ae3e3b "
    "(2026-04-01); live State account may differ",
)
#: GMX v2: signed prices older than 300 s are refused (maxPriceAge).
GMX_GUARD = OracleGuard(
    max_age_seconds=300.0, name="GMX v2",
    source="gmx-io/gmx-synthetics config/oracle.ts @ a5c0c88 (2026-03-13): maxOraclePriceAge 300",
)
ORACLE_GUARDS = {"revert": REVERT_LEND_ARBITRUM_GUARD, "drift": DRIFT_GUARD, "gmx": GMX_GUARD}


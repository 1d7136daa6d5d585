"""Trigger on the oracle, execute at the market: what an oracle's lag does to a liquidation.

A venue tests ``equity(P_oracle) < maintenance(P_oracle)`` on the price its oracle reports (see
:mod:`lpperp.oracle`), but the liquidation executes at the market: the perp closes at the mark and
the LP is burned and sold through the pool at the pool's price. :func:`liquidate_on_oracle` finds,
per path, when the venue liquidates reading the oracle and when it would with the spot price,
and settles both at the market price of their time with the venue's liquidation mechanics
(:func:`lpperp.settlement.settle_liquidation`): late liquidation, loss against spot, bad debt,
liquidation at a stale price. :func:`replay_crash_day` replays a real crash day (daily OHLC, e.g.
``shared/data/ETH-USD.csv`` 2020-03-12) through several oracles.

Conventions
-----------
Prices quote per base (human units), time along the last axis in seconds, paths along leading
axes; money in quote units. A path the venue never liquidates is valued at its true equity at
the end (``owner_value``). ``loss_vs_spot = spot owner_value - owner_value`` (> 0: the lag cost
the owner; < 0: the lag saved it, e.g. a wick the oracle never saw).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lpperp._results import html_table
from lpperp._validate import LpperpError, instance_of, integer, nonnegative, path_budget, positive
from lpperp.collateral import REVERT_LEND_ARBITRUM_WETH_USDC
from lpperp.margin import IsolatedAccount
from lpperp.oracle import CHAINLINK_ETH_USD_ETHEREUM, Oracle, OracleGuard, Spot, TwapOracle
from lpperp.perp import PerpPosition
from lpperp.position import LPPosition
from lpperp.settlement import settle_liquidation
from lpperp.swap import LiquidityProfile
from lpperp.venues import LiquidationMechanics, get_mechanics, get_venue, mechanics_for

__all__ = [
    "MAX_INTRADAY_STEPS",
    "CrashReplay",
    "OracleLiquidation",
    "crash_day_account",
    "intraday_path",
    "liquidate_on_oracle",
    "load_ohlc",
    "replay_crash_day",
]


@dataclass(frozen=True)
class OracleLiquidation:
    """Per path: the venue's liquidation reading the oracle vs reading spot (arrays of the paths).

    ``liquidated``/``spot_liquidated``: whether it happens within the path; ``trigger_seconds``,
    ``spot_trigger_seconds`` (NaN: never); ``delay_seconds`` = oracle trigger - spot trigger (NaN
    unless both happen); ``oracle_price``, ``market_price``: at the oracle trigger (the venue saw
    the first, executed at the second); ``stale_fraction = market / oracle - 1`` there;
    ``oracle_age_seconds``: age of the value read; ``owner_keeps``, ``bad_debt``,
    ``to_liquidator`` (liquidator + insurance + backstop), ``true_equity`` at execution (NaN where
    not liquidated); ``owner_value``: ``owner_keeps`` if liquidated, else the true equity at the
    path's end; ``spot_*`` the same with the spot price; ``blocked_steps``: times before the
    liquidation where the account was liquidatable on the oracle but a guard blocked it.
    """

    oracle_name: str
    liquidated: np.ndarray
    spot_liquidated: np.ndarray
    trigger_seconds: np.ndarray
    spot_trigger_seconds: np.ndarray
    delay_seconds: np.ndarray
    oracle_price: np.ndarray
    market_price: np.ndarray
    stale_fraction: np.ndarray
    oracle_age_seconds: np.ndarray
    true_equity: np.ndarray
    owner_keeps: np.ndarray
    bad_debt: np.ndarray
    to_liquidator: np.ndarray
    owner_value: np.ndarray
    spot_owner_keeps: np.ndarray
    spot_bad_debt: np.ndarray
    spot_owner_value: np.ndarray
    blocked_steps: np.ndarray

    @property
    def loss_vs_spot(self) -> np.ndarray:
        """``spot_owner_value - owner_value`` per path (quote; > 0: the oracle cost the owner)."""
        return self.spot_owner_value - self.owner_value

    def summary(self) -> dict[str, float]:
        """Means over paths: survival, delays, stale gap, losses, bad debt (quote units).

        Keys: ``survival`` and ``spot_survival`` (fractions of paths never liquidated),
        ``mean_delay_seconds`` (over paths liquidated both ways), ``mean_stale_pct`` (over
        liquidated paths, 100 x ``|stale_fraction|``), ``mean_owner_value``,
        ``mean_spot_owner_value``, ``mean_loss_vs_spot``, ``mean_bad_debt``,
        ``mean_spot_bad_debt``.
        """
        liq = np.asarray(self.liquidated, dtype=bool)

        def mean(x: Any, where: Any = None) -> float:
            a = np.asarray(x, dtype=float)
            if where is not None:
                a = a[np.asarray(where, dtype=bool)]
            return float(np.mean(a)) if a.size else float("nan")

        both = liq & np.asarray(self.spot_liquidated, dtype=bool)
        return {
            "survival": 1.0 - mean(liq),
            "spot_survival": 1.0 - mean(self.spot_liquidated),
            "mean_delay_seconds": mean(self.delay_seconds, both),
            "mean_stale_pct": 100.0 * mean(np.abs(self.stale_fraction), liq),
            "mean_owner_value": mean(self.owner_value),
            "mean_spot_owner_value": mean(self.spot_owner_value),
            "mean_loss_vs_spot": mean(self.loss_vs_spot),
            "mean_bad_debt": mean(np.nan_to_num(self.bad_debt)),
            "mean_spot_bad_debt": mean(np.nan_to_num(self.spot_bad_debt)),
        }

    def _repr_html_(self) -> str:
        return html_table([(k.replace("_", " "), v) for k, v in self.summary().items()],
                          header=("", self.oracle_name))


def _first(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hit = mask.any(axis=-1)
    return hit, np.where(hit, mask.argmax(axis=-1), -1)


def _settle(account: IsolatedAccount, mech: LiquidationMechanics, market: np.ndarray,
            seen: np.ndarray, profile: Any, gas_quote: float) -> Any:
    lp_base, lp_quote = (0.0, 0.0) if account.lp is None else account.lp.amounts(market)
    perp = account.perp
    return settle_liquidation(
        mech, price=market, lp_base=lp_base, lp_quote=lp_quote, cash=account.cash,
        perp_size=0.0 if perp is None else perp.size,
        perp_entry_price=1.0 if perp is None else perp.entry_price,
        fees=account.accrued_fees, funding_paid=account.funding_paid,
        maintenance=account.maintenance_requirement(seen), profile=profile, gas_quote=gas_quote,
        venue_equity=account.equity(seen),
    )


def liquidate_on_oracle(
    account: IsolatedAccount,
    times_seconds: Any,
    prices: Any,
    oracle: Any,
    *,
    guard: OracleGuard | None = None,
    mechanics: LiquidationMechanics | str | None = None,
    profile: Any = None,
    gas_quote: float = 0.0,
    execution_delay_steps: int = 0,
) -> OracleLiquidation:
    """When the venue liquidates reading ``oracle`` vs reading spot, settled at the market.

    The venue liquidates at the first time ``account.is_liquidatable(oracle price)`` and, with a
    ``guard`` (:class:`lpperp.oracle.OracleGuard`), the guard allows it on that reading (the pool
    price is the market: a guard that trips blocks the liquidation, as Arcadia's inactive oracle
    does). The liquidation settles at the market price of that time with the venue's
    ``mechanics`` (default: those of the account's rules), the venue's view (equity and
    maintenance) taken at the oracle price; ``execution_delay_steps`` later when the keeper's
    transaction lands a few blocks after the trigger (both cases). The spot case is the same with
    ``oracle = Spot()``. Vectorized over paths; the account is an
    :class:`lpperp.margin.IsolatedAccount`. A push feed triggers at one of its updates (then
    oracle = market: the cost is the delay); a TWAP triggers on a lagging average (the market is
    already lower: a stale price).

    >>> from lpperp.oracle import ChainlinkFeed
    >>> acct = crash_day_account(3000.0)
    >>> t = np.arange(0, 86400, 12.0)
    >>> p = 3000.0 * np.exp(np.linspace(0.0, np.log(0.5), t.size))   # -50 % over a day
    >>> r = liquidate_on_oracle(acct, t, p, ChainlinkFeed(0.02, 3600.0))
    >>> bool(r.liquidated), round(float(r.delay_seconds)), round(float(r.spot_owner_keeps), 2)
    (True, 1560, 1993.35)
    >>> round(float(r.owner_keeps), 2)   # 26 min late: below 2/3 of maintenance, the backstop takes it
    0.0
    >>> r = liquidate_on_oracle(acct, t, p, TwapOracle(1800.0))
    >>> round(float(r.delay_seconds)), round(100 * float(r.stale_fraction), 2)
    (888, -0.72)
    """
    instance_of("account", account, IsolatedAccount, "an IsolatedAccount (one perp, one LP)")
    instance_of("oracle", oracle, Oracle,
                "an lpperp.oracle feed (Spot, ChainlinkFeed, TwapOracle, PullOracle)")
    instance_of("guard", guard, (OracleGuard, type(None)), "an OracleGuard or None")
    instance_of("profile", profile, (LiquidityProfile, type(None)), "a LiquidityProfile or None")
    gas_quote = float(nonnegative("gas_quote", gas_quote, scalar=True))
    k = integer("execution_delay_steps", execution_delay_steps, 0)
    if isinstance(mechanics, str):
        mech = get_mechanics(mechanics)
    elif mechanics is None:
        mech = mechanics_for(account.rules)
    elif isinstance(mechanics, LiquidationMechanics):
        mech = mechanics
    else:
        raise LpperpError(f"mechanics must be a LiquidationMechanics, a name or None, got "
                          f"{type(mechanics).__name__}")
    reading = oracle.read(times_seconds, prices)
    p = np.asarray(prices, dtype=float)
    t = np.asarray(times_seconds, dtype=float)
    seen = reading.price
    want = np.asarray(account.is_liquidatable(seen), dtype=bool)
    blocked_at = None
    if guard is not None:
        ok = np.asarray(guard.check_reading(reading, pool_price=p).allowed, dtype=bool)
        go = want & ok
        blocked_at = want & ~ok
    else:
        go = want
    hit, i = _first(go)
    if blocked_at is None:
        blocked = np.zeros(p.shape[:-1], dtype=np.int64)
    else:  # blocked before the liquidation went through (all of them if it never did)
        before = np.arange(p.shape[-1]) < np.where(hit, i, p.shape[-1])[..., None]
        blocked = (blocked_at & before).sum(axis=-1)
    s_hit, s_i = _first(np.asarray(account.is_liquidatable(p), dtype=bool))
    last = p.shape[-1] - 1
    ii, si = np.maximum(i, 0)[..., None], np.maximum(s_i, 0)[..., None]
    ei, esi = np.minimum(ii + k, last), np.minimum(si + k, last)
    m_at = np.take_along_axis(p, ei, axis=-1)[..., 0]
    o_at = np.take_along_axis(seen, ii, axis=-1)[..., 0]
    age = np.take_along_axis(np.broadcast_to(reading.age_seconds, p.shape), ii, axis=-1)[..., 0]
    s_seen = np.take_along_axis(p, si, axis=-1)[..., 0]
    s_at = np.take_along_axis(p, esi, axis=-1)[..., 0]
    st = _settle(account, mech, m_at, o_at, profile, gas_quote)
    ss = _settle(account, mech, s_at, s_seen, profile, gas_quote)
    end = np.asarray(account.true_equity(p[..., -1]), dtype=float)
    nan = np.nan

    def on(mask: np.ndarray, x: Any) -> np.ndarray:
        return np.where(mask, np.asarray(x, dtype=float), nan)

    tt = t[np.maximum(i, 0)]
    st_t = t[np.maximum(s_i, 0)]
    owner = np.where(hit, st.owner_keeps, end)
    spot_owner = np.where(s_hit, ss.owner_keeps, end)
    return OracleLiquidation(
        oracle_name=getattr(oracle, "name", type(oracle).__name__),
        liquidated=hit,
        spot_liquidated=s_hit,
        trigger_seconds=on(hit, tt),
        spot_trigger_seconds=on(s_hit, st_t),
        delay_seconds=on(hit & s_hit, tt - st_t),
        oracle_price=on(hit, o_at),
        market_price=on(hit, m_at),
        stale_fraction=on(hit, m_at / o_at - 1.0),
        oracle_age_seconds=on(hit, age),
        true_equity=on(hit, st.true_equity),
        owner_keeps=on(hit, st.owner_keeps),
        bad_debt=on(hit, st.bad_debt),
        to_liquidator=on(hit, np.asarray(st.to_liquidator) + st.to_insurance + st.to_backstop),
        owner_value=np.asarray(owner, dtype=float),
        spot_owner_keeps=on(s_hit, ss.owner_keeps),
        spot_bad_debt=on(s_hit, ss.bad_debt),
        spot_owner_value=np.asarray(spot_owner, dtype=float),
        blocked_steps=np.asarray(blocked),
    )


# ------------------------------------------------------------------------------------------------
# real crash days
# ------------------------------------------------------------------------------------------------
def load_ohlc(path: str | Path, date: str) -> tuple[float, float, float, float]:
    """``(open, high, low, close)`` of ``date`` (``YYYY-MM-DD``) in a daily OHLC CSV.

    The layout of ``shared/data/ETH-USD.csv`` (Yahoo export: ``Date,Open,High,Low,Close,...``);
    a missing day or a ``null`` value is a named error.
    """
    path = Path(path)
    if not path.is_file():
        raise LpperpError(f"path must be a CSV file of daily OHLC prices, got {str(path)!r}")
    with path.open(newline="") as fh:
        rows = csv.DictReader(fh)
        for row in rows:
            if row.get("Date") == date:
                try:
                    vals = tuple(float(row[k]) for k in ("Open", "High", "Low", "Close"))
                except (KeyError, TypeError, ValueError):
                    raise LpperpError(f"{path.name} has no usable Open/High/Low/Close on {date}: "
                                      f"{row}") from None
                o, h, lo, c = vals
                if not (0 < lo <= min(o, c) and max(o, c) <= h):
                    raise LpperpError(f"{path.name} {date}: inconsistent OHLC {vals}")
                return vals
    raise LpperpError(f"date {date!r} is not in {path.name}")


#: Largest ``n_steps`` of one :func:`intraday_path` / :func:`replay_crash_day` by default.
MAX_INTRADAY_STEPS = 10_000_000


def intraday_path(
    open_price: float, high: float, low: float, close: float, *, n_steps: int = 7200,
    seconds: float = 86400.0, max_path_steps: int = MAX_INTRADAY_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """A stylized intraday path through a day's OHLC: ``(times_seconds, prices)``.

    A down day (close < open) goes open -> high (10 % of the day) -> low (70 %) -> close; an up
    day open -> low -> high -> close; geometric (straight in log price) between the anchors,
    ``n_steps`` times (7200 = 12 s blocks). Only the day's range and order are real: the
    intraday timing is an assumption, so read delays as "for a crash of this depth and speed".
    ``n_steps`` above ``max_path_steps`` (default :data:`MAX_INTRADAY_STEPS`, 80 MB a series) is
    refused up front; pass a larger ``max_path_steps`` to raise it.

    >>> t, p = intraday_path(194.74, 195.15, 111.21, 112.35, n_steps=11)
    >>> t[[0, -1]].tolist(), round(float(p.min()), 2), round(float(p[-1]), 2)
    ([0.0, 86400.0], 111.21, 112.35)
    """
    o, h, lo, c = (float(positive(n, v, scalar=True)) for n, v in
                   (("open_price", open_price), ("high", high), ("low", low), ("close", close)))
    if not (lo <= min(o, c) and max(o, c) <= h):
        raise LpperpError(f"need low <= open, close <= high, got {(o, h, lo, c)}")
    n = integer("n_steps", n_steps, 4)
    path_budget(1, n, max_path_steps=max_path_steps, what="intraday_path")
    secs = float(positive("seconds", seconds, scalar=True))
    mid = (h, lo) if c < o else (lo, h)
    anchors_t = np.array([0.0, 0.1, 0.7, 1.0]) * secs
    anchors_p = np.log([o, mid[0], mid[1], c])
    t = np.linspace(0.0, secs, n)
    return t, np.exp(np.interp(t, anchors_t, anchors_p))


def crash_day_account(open_price: float) -> IsolatedAccount:
    """The replay's default account at ``open_price``: a $10,000 LP (+/-20 %) at Revert Lend's
    77.5 % factor, backing a 2x long ETH perp (notional 20,000) on Hyperliquid's rules.

    Long, because a crash is what liquidates a long (the README's 2x short gains in a crash).

    >>> round(crash_day_account(3000.0).health(3000.0), 2)
    19.38
    """
    p0 = float(positive("open_price", open_price, scalar=True))
    lp = LPPosition.from_deposit(10_000.0, p0, width_pct=20)
    return IsolatedAccount(PerpPosition(20_000.0 / p0, p0), lp,
                           collateral=REVERT_LEND_ARBITRUM_WETH_USDC,
                           rules=get_venue("hyperliquid"))


@dataclass(frozen=True)
class CrashReplay:
    """One crash day replayed with several oracles: the day's OHLC and one result per oracle."""

    date: str
    ohlc: tuple[float, float, float, float]
    results: Mapping[str, OracleLiquidation]

    def table(self) -> dict[str, dict[str, float]]:
        """Per oracle: liquidated (0/1), hours into the day, delay vs spot (s), stale gap (%),
        owner value, loss vs spot, bad debt (quote units)."""
        out = {}
        for name, r in self.results.items():
            out[name] = {
                "liquidated": float(np.asarray(r.liquidated)),
                "hour": float(r.trigger_seconds) / 3600.0,
                "delay_s": float(r.delay_seconds),
                "stale_pct": 100.0 * float(r.stale_fraction),
                "owner_value": float(r.owner_value),
                "loss_vs_spot": float(r.loss_vs_spot),
                "bad_debt": float(np.nan_to_num(r.bad_debt)),
            }
        return out

    def _repr_html_(self) -> str:
        tab = self.table()
        cols = ("liquidated", "hour", "delay_s", "stale_pct", "owner_value", "loss_vs_spot",
                "bad_debt")
        rows = [(name, tuple(tab[name][c] for c in cols)) for name in tab]
        o, h, lo, c = self.ohlc
        head = f"<p>{self.date}: open {o:,.2f}, high {h:,.2f}, low {lo:,.2f}, close {c:,.2f}</p>"
        return head + html_table(rows, header=("oracle", *cols))


def replay_crash_day(
    path: str | Path,
    date: str,
    oracles: Mapping[str, Any] | None = None,
    *,
    account_at: Callable[[float], IsolatedAccount] = crash_day_account,
    n_steps: int = 7200,
    guard: OracleGuard | None = None,
    max_path_steps: int = MAX_INTRADAY_STEPS,
) -> CrashReplay:
    """Replay a real day (daily OHLC in ``path``) through each oracle: when and at what loss.

    The account is ``account_at(open)``; the day's path :func:`intraday_path`; each oracle gives
    one :func:`liquidate_on_oracle` result (default oracles: spot, Chainlink ETH/USD on
    Ethereum, a 30-minute TWAP).

    >>> import os
    >>> csv_path = "../shared/data/ETH-USD.csv"
    >>> r = replay_crash_day(csv_path, "2020-03-12") if os.path.exists(csv_path) else None
    >>> r is None or r.table()["spot"]["liquidated"] == 1.0
    True
    """
    n = integer("n_steps", n_steps, 4)
    path_budget(1, n, max_path_steps=max_path_steps, what="replay_crash_day")
    if oracles is None:
        oracles = {"spot": Spot(), "chainlink": CHAINLINK_ETH_USD_ETHEREUM,
                   "twap_30min": TwapOracle(1800.0)}
    if not isinstance(oracles, Mapping) or not all(isinstance(o, Oracle)
                                                   for o in oracles.values()):
        raise LpperpError("oracles must map names to lpperp.oracle feeds (Spot, ChainlinkFeed, "
                          f"TwapOracle, PullOracle), got {str(oracles)[:60]}")
    if not callable(account_at):
        raise LpperpError(f"account_at must be a function open price -> IsolatedAccount, got "
                          f"{type(account_at).__name__}")
    ohlc = load_ohlc(path, date)
    t, p = intraday_path(*ohlc, n_steps=n, max_path_steps=max_path_steps)
    account = account_at(ohlc[0])
    res = {name: liquidate_on_oracle(account, t, p, o, guard=guard) for name, o in oracles.items()}
    return CrashReplay(date, ohlc, res)


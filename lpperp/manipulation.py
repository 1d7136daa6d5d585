"""Oracle manipulation economics: what it costs to push a pool's price, against what it pays.

A manipulator who pushes the pool price (a venue reading ``slot0``) or holds it for ``N`` blocks
(a venue reading the pool's TWAP) can trigger the liquidation of an account and collect the
liquidation bonus. :func:`price_move_cost` prices one push through a pool's liquidity profile
(:class:`lpperp.swap.LiquidityProfile`), :func:`manipulation_cost` the whole attack on a spot or
TWAP oracle, :func:`manipulation_table` compares both with the bonus of liquidating a given
account, one row per pool depth. A Chainlink-style feed aggregates off-chain markets: pushing one
pool does not move it (cost reported as ``inf``).

Conventions
-----------
Price quote per base (human units); ``move_fraction`` signed (``-0.05``: push the price 5 %
down); costs and gains in quote units valued at the starting price; ``window_seconds`` the TWAP
window, ``block_seconds`` the chain's block time. Formulas in ``shared/notes/oracles.md`` section 6
(standard v3 algebra): moving ``P0 -> P1`` through liquidity ``L`` costs the manipulator
``L (sqrt P1 - sqrt P0)^2 / sqrt P1`` (what arbitrage takes back) plus the pool fee on the
input; piecewise over the profile's segments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp._results import html_table
from lpperp._validate import LpperpError, finite, instance_of, integer, nonnegative, positive
from lpperp._validate import scalar_or_array as _out
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.swap import LiquidityProfile
from lpperp.venues import LiquidationMechanics

__all__ = [
    "ManipulationTable",
    "manipulation_cost",
    "manipulation_table",
    "price_move_cost",
    "twap_spot_move",
]


#: Most pool depths plus TWAP windows one :func:`manipulation_table` takes (one row per depth).
MAX_TABLE_CELLS = 1000


def price_move_cost(profile: LiquidityProfile, price: float, move_fraction: Any) -> Any:
    """Cost (quote) of pushing the pool from ``price`` to ``price (1 + move_fraction)`` once.

    Per segment ``[a, b]`` of the move with liquidity ``L``: up, ``dy = L (sqrt b - sqrt a)``
    quote in and ``dx = L (1/sqrt a - 1/sqrt b)`` base out, loss ``dy - P0 dx``; down, the mirror
    ``P0 dx - dy``. Plus the pool fee on the input (``fee / (1 - fee)`` of the net input, valued
    at ``P0``). For one segment the loss is ``L (sqrt P1 - sqrt P0)^2 / sqrt P1 ~ L sqrt(P0)
    x^2 / 4``. ``inf`` when the move leaves the profile's liquidity. Vectorized over
    ``move_fraction``.

    >>> prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    >>> round(price_move_cost(prof, 3000.0, 0.02), 2)    # ~ L sqrt(P) x^2/4 + fee
    5642.34
    """
    instance_of("profile", profile, LiquidityProfile, "an lpperp.swap.LiquidityProfile")
    p0 = float(positive("price", price, scalar=True))
    x = np.asarray(finite("move_fraction", move_fraction), dtype=float)
    if np.any(x <= -1):
        raise LpperpError(f"move_fraction must be > -1, got {move_fraction!r}")
    p1 = p0 * (1.0 + x)
    lo, hi = np.minimum(p0, p1)[..., None], np.maximum(p0, p1)[..., None]
    e0, e1 = profile.price_edges[:-1], profile.price_edges[1:]
    a, b = np.maximum(e0, lo), np.minimum(e1, hi)
    span = b > a
    liq = np.where(span, profile.liquidity, 0.0)
    aa, bb = np.where(span, a, 1.0), np.where(span, b, 1.0)
    sa, sb = np.sqrt(aa), np.sqrt(bb)
    ds = (bb - aa) / (sb + sa)  # sqrt b - sqrt a without cancellation
    up = x >= 0
    # per segment: loss = L ds |sqrt(ab) - P0| / sqrt(ab), the bracket written as a sum of
    # non-negative terms (up: a >= P0; down: b <= P0) so small moves keep full precision
    gap = np.where(up[..., None], sa * ds + (aa - p0), sb * ds + (p0 - bb))
    loss = (liq * ds * gap / (sa * sb)).sum(axis=-1)
    dy = (liq * ds).sum(axis=-1)
    dx = (liq * ds / (sa * sb)).sum(axis=-1)
    fee = profile.fee_fraction / (1.0 - profile.fee_fraction) * np.where(up, dy, p0 * dx)
    inside = (lo[..., 0] >= profile.price_edges[0]) & (hi[..., 0] <= profile.price_edges[-1])
    dead = np.any(span & (profile.liquidity == 0), axis=-1)
    return _out(np.where(inside & ~dead, loss + fee, np.inf))


def twap_spot_move(move_fraction: Any, window_seconds: float, hold_seconds: float) -> Any:
    """Spot move that shifts a geometric TWAP by ``move_fraction`` when held ``hold_seconds``.

    The TWAP is the mean tick over the window: holding spot at ``P0 s`` for ``t < W`` seconds
    moves it by ``s^(t/W)``, so ``s = (1 + x)^(W/t)``; for ``t >= W`` it is ``1 + x``.

    >>> round(twap_spot_move(0.02, 1800.0, 12.0), 2)   # notes: +2 % on 30 min in one block: x19.5
    18.5
    """
    x = np.asarray(finite("move_fraction", move_fraction), dtype=float)
    w = float(nonnegative("window_seconds", window_seconds, scalar=True))
    t = float(positive("hold_seconds", hold_seconds, scalar=True))
    with np.errstate(over="ignore"):
        return _out(np.power(1.0 + x, max(1.0, w / t)) - 1.0)


def manipulation_cost(
    profile: LiquidityProfile,
    price: float,
    oracle_move_fraction: Any,
    *,
    window_seconds: float = 0.0,
    n_blocks: int = 1,
    block_seconds: float = 12.0,
    consecutive_blocks: bool = False,
) -> Any:
    """Cost (quote) of moving what the oracle reads by ``oracle_move_fraction``.

    ``window_seconds = 0``: the venue reads the pool's spot price: one push (``n_blocks`` pushes
    if the price must stand that long). ``> 0``: a TWAP; the spot is held ``n_blocks *
    block_seconds`` at :func:`twap_spot_move`. Arbitrageurs restore the price every block, so each
    block costs a push (:func:`price_move_cost`); a manipulator who controls the consecutive
    blocks (a proposer) keeps the price and pays only the fees of the push and of the unwind.

    >>> prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    >>> round(manipulation_cost(prof, 3000.0, -0.05), 2)
    36740.26
    >>> round(manipulation_cost(prof, 3000.0, -0.05, window_seconds=1800.0) / 1e9, 2)  # 1 block
    2.46
    >>> round(manipulation_cost(prof, 3000.0, -0.05, window_seconds=1800.0, n_blocks=150), -3)
    5511000.0
    >>> round(manipulation_cost(prof, 3000.0, -0.05, consecutive_blocks=True), 2)  # fees only
    1423.96
    """
    n = integer("n_blocks", n_blocks, 1)
    hold = n * float(positive("block_seconds", block_seconds, scalar=True))
    if not isinstance(consecutive_blocks, bool):
        raise LpperpError(f"consecutive_blocks must be True or False, got {consecutive_blocks!r}")
    x = np.asarray(finite("oracle_move_fraction", oracle_move_fraction), dtype=float)
    s = np.asarray(twap_spot_move(x, window_seconds, hold), dtype=float)
    ok = np.isfinite(s) & (s > -1)
    s_safe = np.where(ok, s, 0.0)
    push = np.where(ok, np.asarray(price_move_cost(profile, price, s_safe), dtype=float), np.inf)
    if consecutive_blocks:
        fee = profile.fee_fraction
        unwind = np.where(ok, np.asarray(
            price_move_cost(LiquidityProfile(profile.price_edges, profile.liquidity, 0.0), price,
                            s_safe), dtype=float), np.inf)
        cost = (push - unwind) * (1.0 + 1.0 / max(1e-300, 1.0 - fee)) if fee > 0 else 0.0 * push
        return _out(np.where(ok, cost, np.inf))
    return _out(n * push)


@dataclass(frozen=True)
class ManipulationTable:
    """Per pool depth: the move to trigger, the cost on each oracle, the bonus, profitable or not.

    ``move_fraction`` is the move of the oracle price that reaches the account's nearest
    liquidation boundary; ``gain`` what the liquidator collects there (quote); ``costs[name]`` an
    array per oracle column (one value per depth).
    """

    depths: tuple[str, ...]
    move_fraction: float
    gain: float
    costs: Mapping[str, np.ndarray]
    n_blocks: int

    def profitable(self, oracle: str) -> np.ndarray:
        """``cost < gain`` per depth for one oracle column."""
        return np.asarray(self.costs[oracle]) < self.gain

    def _repr_html_(self) -> str:
        names = tuple(self.costs)
        rows = [(d, tuple(float(self.costs[n][i]) for n in names)) for i, d in
                enumerate(self.depths)]
        head = (f"<p>oracle move to liquidation {100 * self.move_fraction:+.2f} %, "
                f"liquidator's gain {self.gain:,.2f} (quote), held {self.n_blocks} block(s)</p>")
        return head + html_table(rows, header=("pool depth", *(f"cost: {n}" for n in names)))


def manipulation_table(
    account: Any,
    price: float,
    depths: Mapping[str, LiquidityProfile] | Sequence[float],
    *,
    twap_windows_seconds: Sequence[float] = (600.0, 1800.0),
    n_blocks: int = 1,
    block_seconds: float = 12.0,
    mechanics: LiquidationMechanics | str | None = None,
    fee_fraction: float = 0.0005,
) -> ManipulationTable:
    """Cost of pushing the oracle to ``account``'s liquidation vs the liquidator's gain.

    ``depths``: named liquidity profiles, or human liquidities (uniform profiles at
    ``fee_fraction``). The move is to the nearest liquidation boundary of
    ``account.liquidation(price)``; the gain is ``to_liquidator`` of
    ``account.liquidation_outcome(price, at=boundary, mechanics=...)``. Columns: the pool's spot
    price (``slot0``), each TWAP window, and a Chainlink-style feed (``inf``: not moved by one
    pool).

    >>> from lpperp.oracle_risk import crash_day_account
    >>> tab = manipulation_table(crash_day_account(3000.0), 3000.0, [1e5, 1e6],
    ...                          mechanics="revert")
    >>> round(100 * tab.move_fraction, 2), round(tab.gain, 2)
    (-28.19, 106.58)
    >>> tab.profitable("spot").tolist(), tab.profitable("twap 1800 s").tolist()
    ([False, False], [False, False])
    """
    instance_of("account", account, (IsolatedAccount, CrossAccount),
                "an IsolatedAccount or CrossAccount")
    p0 = float(positive("price", price, scalar=True))
    n_blocks = integer("n_blocks", n_blocks, 1)
    if isinstance(depths, Mapping):
        profiles = dict(depths)
        for k, v in profiles.items():
            instance_of(f"depths[{k!r}]", v, LiquidityProfile, "a LiquidityProfile")
    else:
        if isinstance(depths, (str, bytes)) or not isinstance(depths, (Sequence, np.ndarray)):
            raise LpperpError(f"depths must be named LiquidityProfiles or a list of human "
                              f"liquidities, got {type(depths).__name__} {str(depths)[:40]}")
        if len(depths) > MAX_TABLE_CELLS:
            raise LpperpError(f"depths must hold at most {MAX_TABLE_CELLS} pools, got "
                              f"{len(depths)}")
        liq = np.asarray(positive("depths", depths), dtype=float)
        if liq.ndim != 1:
            raise LpperpError(f"depths must be a 1-d list of liquidities, got shape {liq.shape}")
        profiles = {f"L = {v:,.0f}": LiquidityProfile.uniform(p0, v, fee_fraction)
                    for v in liq.tolist()}
    if isinstance(twap_windows_seconds, (str, bytes)) or not isinstance(
            twap_windows_seconds, (Sequence, np.ndarray)):
        raise LpperpError(f"twap_windows_seconds must be a list of windows (seconds), got "
                          f"{type(twap_windows_seconds).__name__}")
    windows = np.atleast_1d(np.asarray(positive("twap_windows_seconds", twap_windows_seconds)
                                       if len(twap_windows_seconds) else [], dtype=float))
    if not profiles or len(profiles) + windows.size > MAX_TABLE_CELLS:
        raise LpperpError(f"depths must hold 1 to {MAX_TABLE_CELLS} pools and "
                          f"twap_windows_seconds at most that many windows, got {len(profiles)} "
                          f"and {windows.size}")
    res = account.liquidation(p0)
    lo = float(np.asarray(res.safe_lower).reshape(-1)[0])
    hi = float(np.asarray(res.safe_upper).reshape(-1)[0])
    cands = [b for b in (lo, hi) if np.isfinite(b) and b > 0]
    if not cands:
        raise LpperpError("account has no liquidation boundary: nothing to manipulate")
    at = min(cands, key=lambda b: abs(np.log(b / p0)))
    x = at / p0 - 1.0
    gain = float(account.liquidation_outcome(p0, at=at, mechanics=mechanics).to_liquidator)
    costs: dict[str, np.ndarray] = {}
    costs["spot"] = np.array([manipulation_cost(pr, p0, x, n_blocks=n_blocks,
                                                block_seconds=block_seconds)
                              for pr in profiles.values()], dtype=float)
    for w in windows.tolist():
        costs[f"twap {w:g} s"] = np.array(
            [manipulation_cost(pr, p0, x, window_seconds=w, n_blocks=n_blocks,
                               block_seconds=block_seconds) for pr in profiles.values()],
            dtype=float)
    costs["chainlink"] = np.full(len(profiles), np.inf)
    return ManipulationTable(tuple(profiles), x, gain, costs, n_blocks)

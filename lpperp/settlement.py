"""What a liquidation takes: one vectorized settlement for accounts, maps and Monte Carlo paths.

The collateral factor decides *when* a venue liquidates, never *how much* the owner loses. At the
trigger price the account holds its **true equity**::

    true_equity = lp_base * P + lp_quote + fees + cash + perp_size * (P - perp_entry_price)
                  - funding_paid

(the LP at market with its uncollected fees, never the factor-weighted value). The venue then
closes the perp (all of it or a part, by its rules), pays the realized loss from cash, then from
the LP (burn it, then swap the seized base through the pool: pool fee on the input and price
impact), pays the liquidator / insurance fund / backstop as its rules say and leaves the rest to
the owner; below zero the remainder is bad debt. Every dollar lands in exactly one bucket::

    true_equity == owner_keeps + perp_close_cost + lp_unwind_cost + to_liquidator
                   + to_insurance + to_backstop - bad_debt

Conventions: prices quote per base (human units); amounts base/quote in human units; every money
figure in quote units; arrays broadcast (one entry per path) and no Python loop runs over them. The
rules of each venue are :class:`lpperp.venues.LiquidationMechanics` presets with their sources.

The LP unwind swap uses ``lpperp.swap.execution_cost(profile, price, base_amount)`` when a
``profile`` is given; without one it uses the synthetic default pool documented in
:func:`default_unwind_cost` (a constant-liquidity pool holding ``DEFAULT_POOL_TVL_QUOTE`` at the
price, fee tier ``DEFAULT_POOL_FEE_FRACTION``), the closed form of one v3 swap step
(``lpperp.swap.LiquidityProfile.uniform`` with that liquidity gives the same cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp import swap as swap_engine
from lpperp._validate import LpperpError, broadcast_shape, finite, fraction, nonnegative, positive
from lpperp.venues import LiquidationMechanics

__all__ = [
    "DEFAULT_POOL_FEE_FRACTION",
    "DEFAULT_POOL_TVL_QUOTE",
    "LiquidationSettlement",
    "default_unwind_cost",
    "settle_liquidation",
]

#: Synthetic default pool for unwinding a seized LP: a constant-product-equivalent depth of 20M
#: quote at the price (the order of Arbitrum's WETH/USDC 0.05 % pool's active liquidity; pass a
#: real ``profile=`` from ``lpperp.swap`` for a real pool).
DEFAULT_POOL_TVL_QUOTE = 20e6
#: Fee tier of the synthetic default pool (0.05 %, the WETH/USDC 500 pool).
DEFAULT_POOL_FEE_FRACTION = 0.0005


def default_unwind_cost(price: Any, base_amount: Any, *, tvl_quote: float = DEFAULT_POOL_TVL_QUOTE,
                        fee_fraction: float = DEFAULT_POOL_FEE_FRACTION) -> Any:
    """Cost (quote) of selling ``base_amount`` base into the synthetic default pool, vs the mid.

    One v3 swap step at constant liquidity ``L = tvl_quote / (2 sqrt(P))`` (token0 = base in):
    ``1/sqrt(P') = 1/sqrt(P) + b (1 - fee) / L``, quote out ``L (sqrt(P) - sqrt(P'))``, cost
    ``b P - quote out`` (the pool fee on the input plus the price impact). Buying (``b < 0``) costs
    ``quote in - |b| P`` with ``sqrt(P') = sqrt(P) + ...`` the mirror step. Always ``>= 0``;
    ``inf`` for a purchase the pool cannot fill (``|b| sqrt(P) >= L``).

    >>> round(default_unwind_cost(3000.0, 1.0), 4)     # 1.50 pool fee + 0.90 price impact
    2.3988
    >>> round(default_unwind_cost(3000.0, 1000.0) / 3e6, 4)   # 3M into a 20M pool: 23 % lost
    0.2311
    """
    p = np.asarray(positive("price", price), dtype=float)
    b = np.asarray(finite("base_amount", base_amount), dtype=float)
    tvl = positive("tvl_quote", tvl_quote, scalar=True)
    fee = fraction("fee_fraction", fee_fraction, closed_high=False, scalar=True)
    broadcast_shape("default_unwind_cost", price=p, base_amount=b)
    s = np.sqrt(p)
    liq = tvl / (2.0 * s)
    # sell x = b (1 - fee) net of the fee: cost = P b fee + P x^2 s / (L + x s) (no cancellation)
    sell = np.maximum(b, 0.0)
    x = sell * (1.0 - fee)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 when nothing is sold into no pool
        cost_sell = np.where(sell > 0, p * sell * fee + p * x * x * s / (liq + x * s), 0.0)
    # buy y base (exact output): quote in = y P L / ((L - y s)(1 - fee)), cost = quote in - y P
    cost_buy = 0.0
    if np.any(b < 0):
        buy = np.maximum(-b, 0.0)
        room = liq - buy * s
        with np.errstate(divide="ignore", invalid="ignore"):
            cost_buy = np.where(room > 0, buy * p * (liq * fee + buy * s * (1.0 - fee))
                                / (room * (1.0 - fee)), np.inf)
        cost_buy = np.where(buy > 0, cost_buy, 0.0)
    out = np.maximum(cost_sell, 0.0) + np.maximum(cost_buy, 0.0)
    return out.item() if out.ndim == 0 else out


def _unwind_cost(profile: Any, price: np.ndarray, base: np.ndarray) -> np.ndarray:
    if profile is None:
        return np.asarray(default_unwind_cost(price, base), dtype=float)
    if not isinstance(profile, swap_engine.LiquidityProfile):
        raise LpperpError(
            f"profile must be an lpperp.swap.LiquidityProfile or None, got {type(profile).__name__}"
        )
    return np.asarray(swap_engine.execution_cost(profile, price, base), dtype=float)


def _base_to_sell(profile: Any, p: np.ndarray, quote: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Base to sell so the pool pays ``quote`` (net of fee and impact), at most ``cap``.

    Default pool in closed form: the net output ``x P L / (L + x s)`` with ``x = b (1 - fee)``
    equals ``quote`` at ``x = quote L / (P L - quote s)``; a profile by fixed-point iteration of
    ``b = (quote + cost(b)) / P`` (the cost is a small fraction of the value).
    """
    if profile is None:
        s = np.sqrt(p)
        liq = DEFAULT_POOL_TVL_QUOTE / (2.0 * s)
        room = p * liq - quote * s
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(room > 0, quote * liq / np.where(room > 0, room, 1.0), np.inf)
        return np.minimum(x / (1.0 - DEFAULT_POOL_FEE_FRACTION), cap)
    sell = np.minimum(quote / p, cap)
    for _ in range(6):
        sell = np.minimum((quote + _unwind_cost(profile, p, sell)) / p, cap)
    return sell


@dataclass(frozen=True)
class LiquidationSettlement:
    """Where the true equity of liquidated accounts goes (arrays, one entry per path, quote units).

    ``true_equity == owner_keeps + perp_close_cost + lp_unwind_cost + to_liquidator +
    to_insurance + to_backstop - bad_debt`` on every entry. ``closed_fraction`` is the part of the
    perp closed (1 = full; < 1 partial: the smaller position keeps running and ``owner_keeps`` is
    the equity left in the account). To continue a partially liquidated path keep the LP, set the
    perp size to ``(1 - closed_fraction) * size`` at the same entry, and set cash so the account's
    true equity equals ``owner_keeps`` (what was sold from the LP is booked as cash).
    """

    true_equity: np.ndarray
    perp_close_cost: np.ndarray
    lp_unwind_cost: np.ndarray
    to_liquidator: np.ndarray
    to_insurance: np.ndarray
    to_backstop: np.ndarray
    owner_keeps: np.ndarray
    bad_debt: np.ndarray
    closed_fraction: np.ndarray


def _closed_fraction(m: LiquidationMechanics, notional: np.ndarray, mm: np.ndarray,
                     venue_eq: np.ndarray) -> np.ndarray:
    """Part of the perp the venue closes in one liquidation event."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(notional > m.partial_above_notional, m.partial_fraction, 1.0)
        if m.max_portion_per_block < 1.0 or np.isfinite(m.max_notional_per_block):
            # dYdX: max(portion * N, min notional) per position, capped by the subaccount's limit
            cap = np.maximum(m.max_portion_per_block * notional,
                             np.minimum(m.min_notional_per_block, notional))
            cap = np.minimum(cap, m.max_notional_per_block)
            f = np.minimum(f, np.where(notional > 0, cap / notional, 1.0))
        if m.cover_shortage_buffer is not None:
            # Drift: base = shortage / (P (mmr + buffer - liquidator fee - if fee))
            buf = m.cover_shortage_buffer
            mmr = np.where(notional > 0, mm / notional, 0.0)
            shortage = np.maximum(mm + buf * notional - venue_eq, 0.0)
            denom = (mmr + buf - m.liquidator_fee_fraction - m.insurance_fee_fraction) * notional
            cover = np.where(denom > 0, shortage / denom, 1.0)
            f = np.minimum(f, np.where(notional > 0, cover, 1.0))
    return np.clip(np.where(notional > 0, f, 1.0), 0.0, 1.0)


def settle_liquidation(
    mechanics: LiquidationMechanics,
    *,
    price: Any,
    lp_base: Any,
    lp_quote: Any,
    cash: Any,
    perp_size: Any,
    perp_entry_price: Any,
    fees: Any,
    funding_paid: Any,
    maintenance: Any,
    profile: Any = None,
    gas_quote: Any = 0.0,
    venue_equity: Any = None,
    collateral_value: Any = None,
) -> LiquidationSettlement:
    """Settle liquidations at ``price`` under a venue's mechanics (vectorized over paths).

    Parameters
    ----------
    mechanics : LiquidationMechanics
        The venue's or lender's rules (:mod:`lpperp.venues` presets).
    price : float or array
        Trigger (mark) price, quote per base.
    lp_base, lp_quote : float or array
        The LP's amounts at ``price`` (base, quote); 0 without an LP.
    cash : float or array
        Cash in the account, quote (negative = borrowed).
    perp_size, perp_entry_price : float or array
        Signed perp size (base) and its entry price (quote per base); size 0 without a perp.
    fees : float or array
        Uncollected LP fees, quote (counted at par: they are collected when the LP is burned).
    funding_paid : float or array
        Net funding paid so far, quote (negative = received).
    maintenance : float or array
        The venue's maintenance requirement at ``price`` (quote).
    profile : lpperp.swap.LiquidityProfile, optional
        Pool to unwind the seized base through; default: the synthetic pool of
        :func:`default_unwind_cost`.
    gas_quote : float or array
        Gas to burn the LP (quote), charged when the LP is touched.
    venue_equity : float or array, optional
        The equity the venue sees (collateral-factor weighted). Default ``maintenance``: the
        liquidation happens exactly at the boundary. Below it a gap crossed the boundary: dYdX
        fills worse, Hyperliquid's backstop takes over below 2/3 of maintenance.
    collateral_value : float or array, optional
        Lender kind: the factor-weighted collateral value (Revert's ``collateralValue``); default
        the debt (exactly at the boundary, where the penalty is the minimum).

    Returns
    -------
    LiquidationSettlement
        Arrays of the broadcast shape (floats for scalar input).

    Notes
    -----
    Book venues close ``f`` of the perp (Hyperliquid 20 % above 100k notional, dYdX at most 10 % per
    block, Drift what covers the shortage), charge ``trading_fee_fraction`` (perp close cost),
    ``insurance_fee_fraction`` (to the insurance fund; dYdX: capped by the closed share of the
    venue equity) and ``liquidator_fee_fraction`` plus the dYdX fillable-price spread ``ABR * SMMR
    * MM * f`` (to the liquidator) on the closed notional. The realized loss is paid from cash and
    fees, then from the LP's quote, then by selling base through the pool. The lender kind (Revert)
    gives the liquidator LP worth ``debt (1 + penalty)`` for the debt; the liquidator sells it, so
    the unwind cost comes out of its bonus.

    Examples
    --------
    The README's seed account at its boundary on Hyperliquid: the LP is all USDC above its range,
    the short's loss is paid from it, the taker fee is the only charge.

    >>> from lpperp.venues import HYPERLIQUID_MECHANICS
    >>> s = settle_liquidation(HYPERLIQUID_MECHANICS, price=4130.01, lp_base=0.0,
    ...                        lp_quote=10431.55, cash=0.0, perp_size=-6.667,
    ...                        perp_entry_price=3000.0, fees=0.0, funding_paid=0.0,
    ...                        maintenance=550.70)
    >>> round(s.true_equity, 2), round(s.perp_close_cost, 2), round(s.owner_keeps, 2)
    (2897.77, 12.39, 2885.38)
    """
    if not isinstance(mechanics, LiquidationMechanics):
        raise LpperpError(
            f"mechanics must be a LiquidationMechanics (lpperp.venues presets), got "
            f"{type(mechanics).__name__}"
        )
    p = np.asarray(positive("price", price), dtype=float)
    b = np.asarray(nonnegative("lp_base", lp_base), dtype=float)
    qt = np.asarray(nonnegative("lp_quote", lp_quote), dtype=float)
    c = np.asarray(finite("cash", cash), dtype=float)
    q = np.asarray(finite("perp_size", perp_size), dtype=float)
    e = np.asarray(positive("perp_entry_price", perp_entry_price), dtype=float)
    fe = np.asarray(nonnegative("fees", fees), dtype=float)
    fp = np.asarray(finite("funding_paid", funding_paid), dtype=float)
    mm = np.asarray(nonnegative("maintenance", maintenance), dtype=float)
    gas = np.asarray(nonnegative("gas_quote", gas_quote), dtype=float)
    veq = mm if venue_equity is None else np.asarray(finite("venue_equity", venue_equity), float)
    shape = broadcast_shape("settle_liquidation", price=p, lp_base=b, lp_quote=qt, cash=c,
                            perp_size=q, perp_entry_price=e, fees=fe, funding_paid=fp,
                            maintenance=mm, gas_quote=gas, venue_equity=veq)
    p, b, qt, c, q, e, fe, fp, mm, gas, veq = (
        np.broadcast_to(x, shape) for x in (p, b, qt, c, q, e, fe, fp, mm, gas, veq)
    )
    lp_value = b * p + qt
    pnl = q * (p - e)
    true_equity = lp_value + fe + c + pnl - fp
    if mechanics.kind == "lender":
        out = _settle_lender(mechanics, p, b, lp_value + fe, c + pnl - fp, collateral_value,
                             profile, gas, shape)
    else:
        out = _settle_book(mechanics, p, b, qt, c + fe - fp, q, pnl, mm, veq, profile, gas)
    parts = {"true_equity": true_equity, **out}
    if not shape:
        return LiquidationSettlement(**{k: float(v) for k, v in parts.items()})
    return LiquidationSettlement(**{k: np.asarray(v, dtype=float) for k, v in parts.items()})


def _settle_book(m: LiquidationMechanics, p: np.ndarray, b: np.ndarray, qt: np.ndarray,
                 quote_side: np.ndarray, q: np.ndarray, pnl: np.ndarray, mm: np.ndarray,
                 veq: np.ndarray, profile: Any, gas: np.ndarray) -> dict[str, np.ndarray]:
    notional = np.abs(q) * p
    f = _closed_fraction(m, notional, mm, veq)
    closed = f * notional
    trading = m.trading_fee_fraction * closed
    # dYdX fillable price: ABR * SMMR * PMMR per unit of the whole position, on the closed part
    if m.bankruptcy_adjustment == 0:  # no fillable-price spread (0 * inf would be NaN)
        abr = np.zeros_like(notional)
    else:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(mm > 0, veq / np.where(mm > 0, mm, 1.0), 1.0)
        abr = np.clip(m.bankruptcy_adjustment * (1.0 - ratio), 0.0, 1.0)
    spread = abr * m.spread_to_maintenance * mm * f
    to_liq = m.liquidator_fee_fraction * closed + spread
    ins = m.insurance_fee_fraction * closed
    if m.fee_capped_by_equity:
        ins = np.clip(np.minimum(ins, veq * f - spread), 0.0, None)
    # the realized loss and the charges are paid from cash, then the LP's quote, then its base
    need = np.maximum(-(quote_side + f * pnl - trading - to_liq - ins), 0.0)
    from_base = np.maximum(need - qt, 0.0)
    sell = _base_to_sell(profile, p, from_base, b)
    touched = (need > 0) & ((b > 0) | (qt > 0))
    unwind = np.where(sell > 0, _unwind_cost(profile, p, sell), 0.0) + np.where(touched, gas, 0.0)
    remaining = (b * p + qt + quote_side + pnl) - trading - to_liq - ins - unwind
    backstop = (veq < m.backstop_below_fraction * mm) & (m.backstop_below_fraction > 0)
    true_eq = b * p + qt + quote_side + pnl
    zero = np.zeros_like(remaining)
    return {
        "perp_close_cost": np.where(backstop, 0.0, trading),
        "lp_unwind_cost": np.where(backstop, 0.0, unwind),
        "to_liquidator": np.where(backstop, 0.0, to_liq),
        "to_insurance": np.where(backstop, 0.0, ins),
        "to_backstop": np.where(backstop, np.maximum(true_eq, 0.0), zero),
        "owner_keeps": np.where(backstop, 0.0, np.maximum(remaining, 0.0)),
        "bad_debt": np.where(backstop, np.maximum(-true_eq, 0.0), np.maximum(-remaining, 0.0)),
        "closed_fraction": np.where(backstop, 1.0, f),
    }


def _settle_lender(m: LiquidationMechanics, p: np.ndarray, b: np.ndarray, full_value: np.ndarray,
                   quote_side: np.ndarray, collateral_value: Any, profile: Any, gas: np.ndarray,
                   shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    debt = np.maximum(-quote_side, 0.0)
    surplus = np.maximum(quote_side, 0.0)
    if collateral_value is None:
        coll = debt
    else:
        coll = np.broadcast_to(
            np.asarray(nonnegative("collateral_value", collateral_value), dtype=float), shape)
    max_pv = debt * (1.0 + m.penalty_max_fraction)
    solvent = full_value >= max_pv
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(coll > 0, debt * full_value / coll, np.inf)
        span = start - max_pv
        frac = np.where(span > 0, 1.0 - (full_value - max_pv) / span, 1.0)
    frac = np.where(coll > 0, np.clip(frac, 0.0, 1.0), 1.0)
    penalty = m.penalty_min_fraction + (m.penalty_max_fraction - m.penalty_min_fraction) * frac
    liq_value = np.where(solvent, debt * (1.0 + penalty), full_value)
    liq_cost = np.where(solvent, debt, np.maximum(full_value - m.penalty_max_fraction * debt, 0.0))
    reserve = debt - liq_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        seized = np.where(full_value > 0, liq_value / full_value, 0.0)
    sell = b * seized
    unwind = np.where(sell > 0, _unwind_cost(profile, p, sell), 0.0) + np.where(seized > 0, gas, 0.0)
    zero = np.zeros_like(debt)
    return {
        "perp_close_cost": zero,
        "lp_unwind_cost": unwind,
        "to_liquidator": liq_value - liq_cost - unwind,
        "to_insurance": zero,
        "to_backstop": zero,
        "owner_keeps": full_value - liq_value + surplus,
        "bad_debt": reserve,
        "closed_fraction": np.where(debt > 0, 1.0, 0.0),
    }

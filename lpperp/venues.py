"""Perp venues: their published margin formulas and rule presets with sources.

Conventions
-----------
Prices are quote per base in human units (USDC per ETH = 3000.0); a position ``size`` is signed
in base units (+ long, - short); notionals, balances, equity and margins are in quote units
(USD / USDC / USDT, treated as equal). Fractions (IMF, MMF, MMR, collateral factors, asset
weights) are plain fractions, not bps. Every float function is vectorized: scalars or arrays in,
broadcast arrays (or floats) out.

Two kinds of content live here:

* the venues' own **cash-margin liquidation-price formulas**, written as each venue publishes
  them (Hyperliquid, dYdX v4 isolated and cross, Binance USD-M one-way with the tier re-check,
  GMX v2), plus Drift v2's size-dependent weights and dYdX's open-interest IMF: the reference
  the LP-collateral engine must reduce to when the collateral is cash;
* **rule presets** (``VENUES`` / :func:`get_venue`) built on :class:`lpperp.perp.MarginRules`,
  each with a dated source string; figures not read from a primary source are marked ``WEAK``.

Sources (read 2026-11): Hyperliquid docs ``trading/liquidations`` and ``trading/margin-tiers``;
dYdX v4-documentation ``concepts/trading/margin`` and ``liquidations``; Binance FAQ "How to
calculate liquidation price of USDⓈ-M futures contracts"; Drift docs
``cross-collateral-deposits`` and protocol-v2 ``math/margin.rs``; gmx-synthetics
``PositionUtils.sol`` and ``config/markets.ts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp._validate import (
    LpperpError,
    broadcast_shape,
    finite,
    fraction,
    nonnegative,
    one_of,
    positive,
)
from lpperp._validate import (
    scalar_or_array as _out,
)
from lpperp.perp import MarginRules

__all__ = [
    "BINANCE_ETHUSDT",
    "BINANCE_MECHANICS",
    "DRIFT_ETH",
    "DRIFT_MECHANICS",
    "DRIFT_SPOT_WEIGHTS",
    "DYDX_ETH",
    "DYDX_LIQUIDITY_TIERS",
    "DYDX_MECHANICS",
    "GMX_ETH",
    "GMX_ETH_OI_MULTIPLIER",
    "GMX_MECHANICS",
    "GMX_MIN_COLLATERAL_USD",
    "HYPERLIQUID_ETH",
    "HYPERLIQUID_MECHANICS",
    "MECHANICS",
    "REVERT_MECHANICS",
    "VENUES",
    "LiquidationMechanics",
    "binance_cum_amounts",
    "binance_liquidation_price",
    "binance_liquidation_price_tiered",
    "drift_health",
    "drift_size_discount_asset_weight",
    "drift_size_premium_margin_ratio",
    "dydx_liquidation_price",
    "dydx_open_interest_imf",
    "get_mechanics",
    "get_venue",
    "gmx_liquidation_price",
    "gmx_min_collateral_usd",
    "hyperliquid_liquidation_price",
    "hyperliquid_maintenance_deductions",
    "hyperliquid_maintenance_rate",
    "mechanics_for",
]

Array = np.ndarray


def _flag(name: str, x: Any) -> bool:
    """A yes/no argument: True or False only (an array or a number is named, not read as truthy)."""
    if not isinstance(x, (bool, np.bool_)):
        raise LpperpError(f"{name} must be True or False, got {type(x).__name__} {x!r:.60}")
    return bool(x)


def _side(name: str, size: float | Array) -> Array:
    s = np.asarray(finite(name, size), dtype=float)
    if np.any(s == 0):
        raise LpperpError(f"{name} must be non-zero (a liquidation price needs a position), got 0")
    return s


# ------------------------------------------------------------------------------------------------
# Hyperliquid
# ------------------------------------------------------------------------------------------------


def hyperliquid_maintenance_rate(max_leverage: float | Array) -> float | Array:
    """Hyperliquid maintenance margin rate: half the initial margin at max leverage.

    ``MMR = 1 / (2 * max_leverage)`` (docs ``trading/margin-tiers``: "at 20x max leverage,
    maintenance_margin_rate = 2.5%").

    >>> hyperliquid_maintenance_rate(20)
    0.025
    """
    return _out(1.0 / (2.0 * np.asarray(positive("max_leverage", max_leverage))))


def hyperliquid_maintenance_deductions(
    lower_bounds: Sequence[float], max_leverages: Sequence[float]
) -> tuple[Array, Array]:
    """Tier rates and deductions that keep Hyperliquid's maintenance margin continuous.

    ``MM = notional * rate_n - deduction_n`` with ``rate_n = 1 / (2 * max_leverage_n)``,
    ``deduction_0 = 0`` and ``deduction_n = deduction_{n-1} + lower_bound_n * (rate_n -
    rate_{n-1})``.

    Parameters
    ----------
    lower_bounds : sequence of float
        Notional lower bound of each tier (quote units), starting at 0, increasing.
    max_leverages : sequence of float
        Max leverage of each tier.

    Returns
    -------
    (rates, deductions) : arrays, one entry per tier.

    >>> rates, ded = hyperliquid_maintenance_deductions([0, 100e6], [25, 15])
    >>> rates.tolist(), ded.tolist()
    ([0.02, 0.03333333333333333], [0.0, 1333333.3333333333])
    """
    lb = np.asarray(nonnegative("lower_bounds", list(lower_bounds)), dtype=float).reshape(-1)
    lev = np.asarray(positive("max_leverages", list(max_leverages)), dtype=float).reshape(-1)
    rates = 1.0 / (2.0 * lev)
    return rates, _continuous_deductions("lower_bounds", lb, "max_leverages", rates)


def _continuous_deductions(floors_name: str, floors: Array, rates_name: str, rates: Array) -> Array:
    """``d_0 = 0``, ``d_n = d_{n-1} + floor_n (rate_n - rate_{n-1})``: the deductions that make a
    tiered margin ``notional * rate_n - d_n`` continuous at the tier floors (Hyperliquid's
    deductions and Binance's ``cum`` are this one formula). ``floors`` and ``rates`` are 1-D
    float arrays; ``floors`` must start at 0 and increase."""
    if floors.shape != rates.shape or floors.size == 0:
        raise LpperpError(
            f"{floors_name} and {rates_name} must be non-empty and of equal length, got "
            f"{floors.size} and {rates.size}"
        )
    if floors[0] != 0 or np.any(np.diff(floors) <= 0):
        raise LpperpError(f"{floors_name} must start at 0 and increase, got {floors.tolist()}")
    return np.cumsum(floors * np.diff(rates, prepend=rates[0]))


def hyperliquid_liquidation_price(
    price: float | Array,
    size: float | Array,
    margin_available: float | Array,
    maintenance_leverage: float | Array,
) -> float | Array:
    """Hyperliquid's published liquidation price of one position.

    ``liq = price - side * margin_available / |size| / (1 - l * side)`` with ``l = 1 /
    maintenance_leverage`` (so ``l`` is the maintenance fraction, ``maintenance_leverage = 2 *
    max_leverage``) and ``side = +1`` long, ``-1`` short (docs ``trading/liquidations``).
    ``margin_available`` = account value - maintenance margin (cross) or isolated margin -
    maintenance margin (isolated), both at the current ``price``. At ``liq`` the equity equals
    ``l * |size| * liq``. ``maintenance_leverage`` must be > 1 (a maintenance fraction of 100 %
    or more would make a long's equity and requirement move together: no single price).

    >>> # 1 ETH long with 300 USDC at 25x max leverage: MM = 0.02 * 3000 = 60
    >>> round(hyperliquid_liquidation_price(3000.0, 1.0, 300.0 - 60.0, 50.0), 6)
    2755.102041
    """
    p = positive("price", price)
    s = _side("size", size)
    m = finite("margin_available", margin_available)
    lev = positive("maintenance_leverage", maintenance_leverage)
    if np.any(np.asarray(lev) <= 1.0):
        raise LpperpError(
            "maintenance_leverage must be > 1 (maintenance fraction 1 / maintenance_leverage "
            f"< 100 %), got {float(np.min(lev))!r}"
        )
    broadcast_shape("hyperliquid_liquidation_price", price=p, size=s, margin_available=m,
            maintenance_leverage=lev)
    side = np.sign(s)
    l_frac = 1.0 / np.asarray(lev)
    return _out(np.asarray(p) - side * np.asarray(m) / np.abs(s) / (1.0 - l_frac * side))


# ------------------------------------------------------------------------------------------------
# dYdX v4
# ------------------------------------------------------------------------------------------------


def dydx_liquidation_price(
    equity: float | Array,
    size: float | Array,
    price: float | Array,
    maintenance_fraction: float | Array,
    other_maintenance: float | Array = 0.0,
) -> float | Array:
    """dYdX v4 liquidation price ``p'`` of one position (isolated, or cross with other positions).

    ``p' = (e - s * p - MMR_o) / (|s| * MMF - s)`` where ``e`` is the (sub)account equity at oracle
    price ``p``, ``s`` the signed size, ``MMR_o`` the maintenance requirement of the other positions
    (0 for isolated). Docs' examples (v4-documentation, concepts/trading/liquidations): ``e = 1000,
    s = -3, p = 3000, MMF = 0.05 -> 3174.60``; with ``s = -1.5`` and ``MMR_o = 175 -> 3380.95``.

    ``maintenance_fraction`` is in ``[0, 1)`` (at 100 % a long has no liquidation price).

    >>> round(dydx_liquidation_price(1000.0, -3.0, 3000.0, 0.05), 2)
    3174.6
    """
    e = finite("equity", equity)
    s = _side("size", size)
    p = positive("price", price)
    mmf = fraction("maintenance_fraction", maintenance_fraction, closed_high=False)
    mo = nonnegative("other_maintenance", other_maintenance)
    broadcast_shape("dydx_liquidation_price", equity=e, size=s, price=p, maintenance_fraction=mmf,
            other_maintenance=mo)
    denom = np.abs(s) * np.asarray(mmf) - s
    return _out((np.asarray(e) - s * np.asarray(p) - np.asarray(mo)) / denom)


def dydx_open_interest_imf(
    base_imf: float | Array,
    open_interest: float | Array,
    lower_cap: float | Array,
    upper_cap: float | Array,
) -> float | Array:
    """dYdX v4 open-interest-scaled initial margin fraction.

    ``scale = (OI - lower_cap) / (upper_cap - lower_cap)``, ``IMF = min(base + max(scale * (1 -
    base), 0), 1)``; caps of ``0, 0`` (as the Large-Cap tier ships) switch the scaling off and
    return ``base``.

    >>> dydx_open_interest_imf(0.1, 35e6, 20e6, 50e6)
    0.55
    """
    base = fraction("base_imf", base_imf)
    oi = nonnegative("open_interest", open_interest)
    lo = nonnegative("lower_cap", lower_cap)
    hi = nonnegative("upper_cap", upper_cap)
    broadcast_shape("dydx_open_interest_imf", base_imf=base, open_interest=oi, lower_cap=lo, upper_cap=hi)
    arrays = (np.asarray(x, dtype=float) for x in (base, oi, lo, hi))
    base, oi, lo, hi = np.broadcast_arrays(*arrays)
    off = (lo == 0) & (hi == 0)
    if np.any(~off & (hi <= lo)):
        raise LpperpError(
            f"upper_cap must be > lower_cap (or both 0 to disable scaling), got lower_cap={lo}, "
            f"upper_cap={hi}"
        )
    span = np.where(off, 1.0, hi - lo)
    scale = np.where(off, 0.0, (oi - lo) / span)
    return _out(np.minimum(base + np.maximum(scale * (1.0 - base), 0.0), 1.0))


# ------------------------------------------------------------------------------------------------
# Binance USD-M
# ------------------------------------------------------------------------------------------------


def binance_cum_amounts(
    notional_floors: Sequence[float], maintenance_rates: Sequence[float]
) -> Array:
    """Binance maintenance amounts ``cum`` that make the tiered maintenance margin continuous.

    ``cum_0 = 0``, ``cum_n = floor_n * (MMR_n - MMR_{n-1}) + cum_{n-1}``; then
    ``MM = notional * MMR_tier - cum_tier``.

    >>> binance_cum_amounts([0, 50_000, 600_000], [0.004, 0.005, 0.0065]).round(6).tolist()
    [0.0, 50.0, 950.0]
    """
    return _binance_tiers(notional_floors, maintenance_rates)[2]


def _binance_tiers(
    notional_floors: Sequence[float], maintenance_rates: Sequence[float]
) -> tuple[Array, Array, Array]:
    """Checked ``(floors, rates, cum)`` of a Binance bracket table (1-D float arrays)."""
    fl = np.asarray(nonnegative("notional_floors", list(notional_floors)), dtype=float)
    mmr = np.asarray(fraction("maintenance_rates", list(maintenance_rates)), dtype=float)
    fl, mmr = fl.reshape(-1), mmr.reshape(-1)
    return fl, mmr, _continuous_deductions("notional_floors", fl, "maintenance_rates", mmr)


def binance_liquidation_price(
    wallet_balance: float | Array,
    size: float | Array,
    entry_price: float | Array,
    maintenance_rate: float | Array,
    maintenance_amount: float | Array = 0.0,
    other_maintenance: float | Array = 0.0,
    other_unrealized_pnl: float | Array = 0.0,
) -> float | Array:
    """Binance USD-M one-way-mode liquidation price for a given tier.

    ``LP = (WB - TMM1 + UPNL1 + cum - side * pos * EP) / (pos * MMR - side * pos)`` with ``pos =
    |size|``, ``side = sign(size)``; isolated: ``TMM1 = UPNL1 = 0`` and ``WB`` is the isolated
    wallet balance; ``maintenance_rate`` in ``[0, 1)``. Use
    :func:`binance_liquidation_price_tiered` to re-check the tier at the liquidation price. FAQ
    example: ``WB = 1535443.01``, ETH long 3683.979 @ 1456.84, MMR 10%, cum 135365 ->
    **1114.78**.

    >>> round(binance_liquidation_price(1535443.01, 3683.979, 1456.84, 0.10, 135365.0), 2)
    1114.78
    """
    wb = finite("wallet_balance", wallet_balance)
    s = _side("size", size)
    ep = positive("entry_price", entry_price)
    mmr = fraction("maintenance_rate", maintenance_rate, closed_high=False)
    cum = finite("maintenance_amount", maintenance_amount)
    tmm = nonnegative("other_maintenance", other_maintenance)
    upnl = finite("other_unrealized_pnl", other_unrealized_pnl)
    broadcast_shape("binance_liquidation_price", wallet_balance=wb, size=s, entry_price=ep,
            maintenance_rate=mmr, maintenance_amount=cum, other_maintenance=tmm,
            other_unrealized_pnl=upnl)
    pos, side = np.abs(s), np.sign(s)
    num = np.asarray(wb) - np.asarray(tmm) + np.asarray(upnl) + np.asarray(cum) - side * pos * ep
    return _out(num / (pos * np.asarray(mmr) - side * pos))


def binance_liquidation_price_tiered(
    wallet_balance: float | Array,
    size: float | Array,
    entry_price: float | Array,
    notional_floors: Sequence[float],
    maintenance_rates: Sequence[float],
    other_maintenance: float | Array = 0.0,
    other_unrealized_pnl: float | Array = 0.0,
) -> float | Array:
    """Binance liquidation price with the tier taken at the liquidation price (the FAQ's re-check).

    The FAQ computes ``LP`` with the entry tier and, if ``|size| * LP`` falls in another tier,
    recomputes with that tier. Here every tier's candidate is computed at once and the one whose
    notional ``|size| * LP_n`` lies in its own tier ``[floor_n, floor_{n+1})`` is returned:
    because the tiered maintenance margin is continuous and increasing in notional, exactly one
    tier is self-consistent, the last one whose candidate notional reaches its own floor (NaN if
    the position cannot be liquidated at a positive price, e.g. a fully collateralized long).
    ``cum`` follows from the floors and rates (:func:`binance_cum_amounts`).

    >>> floors, rates = [0, 50_000, 600_000], [0.004, 0.005, 0.0065]
    >>> lp = binance_liquidation_price_tiered(15_000.0, 20.0, 3000.0, floors, rates)
    >>> round(lp, 4)  # entry notional 60k is tier 2; at the liquidation price 45k it is tier 1
    2259.0361
    """
    fl, mmr, cum = _binance_tiers(notional_floors, maintenance_rates)
    wb = np.asarray(finite("wallet_balance", wallet_balance), dtype=float)
    s = _side("size", size)
    ep = np.asarray(positive("entry_price", entry_price), dtype=float)
    tmm = np.asarray(nonnegative("other_maintenance", other_maintenance), dtype=float)
    upnl = np.asarray(finite("other_unrealized_pnl", other_unrealized_pnl), dtype=float)
    shape = broadcast_shape("binance_liquidation_price_tiered", wallet_balance=wb, size=s,
                    entry_price=ep, other_maintenance=tmm, other_unrealized_pnl=upnl)
    pos, side = np.abs(s)[..., None], np.sign(s)[..., None]
    num = (wb - tmm + upnl)[..., None] + cum - side * pos * ep[..., None]
    lp = num / (pos * mmr - side * pos)  # (..., n_tiers)
    # tier n's candidate notional reaches its floor iff the margin gap at that floor is <= 0 (a
    # long; >= 0 a short): the gap is monotone in notional, so the tiers reached are 0..K and the
    # answer is tier K's candidate. Taking the last tier reached (not the one whose candidate also
    # stays below the next floor) leaves no gap at an exact floor, where the two candidates may
    # round to either side of it (a wallet putting the liquidation notional on 600,000 gave NaN).
    reached = pos * lp >= fl
    last = fl.size - 1 - np.argmax(reached[..., ::-1], axis=-1)
    picked = np.take_along_axis(lp, last[..., None], axis=-1)[..., 0]
    result = np.where(reached.any(axis=-1) & (picked > 0), picked, np.nan)
    return _out(np.broadcast_to(result, shape))


# ------------------------------------------------------------------------------------------------
# Drift v2
# ------------------------------------------------------------------------------------------------


def drift_size_discount_asset_weight(
    size: float | Array, imf_factor: float | Array, asset_weight: float | Array
) -> float | Array:
    """Drift v2 size-discounted initial asset weight of a collateral deposit.

    ``w = min(w0, 1.1 / (1 + imf_factor * sqrt(size)))`` with ``size`` in token units (protocol-v2
    ``calculate_size_discount_asset_weight``; docs ``cross-collateral-deposits``). Docs' example:
    2000 SOL, ``w0 = 0.80``, ``imf = 0.003`` -> ``min(0.80, 0.96987) = 0.80``.

    >>> drift_size_discount_asset_weight(2000.0, 0.003, 0.80)
    0.8
    """
    sz = nonnegative("size", size)
    imf = nonnegative("imf_factor", imf_factor)
    w0 = fraction("asset_weight", asset_weight)
    broadcast_shape("drift_size_discount_asset_weight", size=sz, imf_factor=imf, asset_weight=w0)
    disc = 1.1 / (1.0 + np.asarray(imf) * np.sqrt(sz))
    return _out(np.minimum(w0, disc))


def drift_size_premium_margin_ratio(
    size: float | Array, imf_factor: float | Array, margin_ratio: float | Array
) -> float | Array:
    """Drift v2 size-premium margin ratio (liability weight, perp margin ratio) of a position.

    ``r = max(r0, 0.8 * r0 + imf_factor * sqrt(size))`` with ``size`` in base units (protocol-v2
    ``calculate_size_premium_liability_weight``: the numerator is ``r0 - r0 / 5``). With
    ``imf_factor = 0`` the ratio is ``r0``.

    >>> round(drift_size_premium_margin_ratio(10_000.0, 0.001, 0.05), 6)
    0.14
    """
    sz = nonnegative("size", size)
    imf = nonnegative("imf_factor", imf_factor)
    r0 = nonnegative("margin_ratio", margin_ratio)
    broadcast_shape("drift_size_premium_margin_ratio", size=sz, imf_factor=imf, margin_ratio=r0)
    r0 = np.asarray(r0)
    return _out(np.maximum(r0, 0.8 * r0 + np.asarray(imf) * np.sqrt(sz)))


def drift_health(
    total_collateral: float | Array, maintenance_margin: float | Array
) -> float | Array:
    """Drift account health in percent: ``round(min(100, max(0, (1 - MM / TC) * 100)))``.

    ``TC`` is the weighted total collateral, ``MM`` the maintenance margin requirement; health 0
    means liquidatable; an account with no collateral has health 0, one with no requirement 100.

    >>> drift_health(1000.0, 250.0)
    75.0
    """
    tc = np.asarray(finite("total_collateral", total_collateral), dtype=float)
    mm = np.asarray(nonnegative("maintenance_margin", maintenance_margin), dtype=float)
    broadcast_shape("drift_health", total_collateral=tc, maintenance_margin=mm)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (1.0 - mm / tc) * 100.0
    raw = np.where(mm == 0, 100.0, np.where(tc <= 0, 0.0, raw))
    return _out(np.round(np.clip(raw, 0.0, 100.0)))


# ------------------------------------------------------------------------------------------------
# GMX v2
# ------------------------------------------------------------------------------------------------


def gmx_min_collateral_usd(
    size_usd: float | Array,
    min_collateral_factor: float | Array,
    min_collateral_usd: float | Array = 1.0,
    open_interest_usd: float | Array = 0.0,
    oi_multiplier: float | Array = 0.0,
) -> float | Array:
    """GMX v2 collateral a position must keep: ``max(min_collateral_usd, size_usd * factor)``.

    ``factor = max(min_collateral_factor, open_interest_usd * oi_multiplier)`` (gmx-synthetics
    ``PositionUtils.isPositionLiquidatable`` /
    ``MarketUtils.getMinCollateralFactorForOpenInterest``).

    >>> gmx_min_collateral_usd(50_000.0, 0.01)
    500.0
    """
    sz = nonnegative("size_usd", size_usd)
    mcf = fraction("min_collateral_factor", min_collateral_factor)
    mcu = nonnegative("min_collateral_usd", min_collateral_usd)
    oi = nonnegative("open_interest_usd", open_interest_usd)
    mult = nonnegative("oi_multiplier", oi_multiplier)
    broadcast_shape("gmx_min_collateral_usd", size_usd=sz, min_collateral_factor=mcf,
            min_collateral_usd=mcu, open_interest_usd=oi, oi_multiplier=mult)
    factor = np.maximum(mcf, np.asarray(oi) * np.asarray(mult))
    return _out(np.maximum(mcu, np.asarray(sz) * factor))


def gmx_liquidation_price(
    size_in_tokens: float | Array,
    size_usd: float | Array,
    collateral_amount: float | Array,
    *,
    is_long: bool,
    collateral_is_index_token: bool,
    min_collateral_factor: float | Array,
    min_collateral_usd: float | Array = 1.0,
    fees_usd: float | Array = 0.0,
) -> float | Array:
    """Price at which a GMX v2 position becomes liquidatable (price impact ignored).

    Liquidatable when ``collateral_usd(P) + pnl(P) - fees < required`` with ``required =
    max(min_collateral_usd, size_usd * min_collateral_factor)`` (``size_usd`` is the position's
    fixed ``sizeInUsd``), ``pnl = size_in_tokens * P - size_usd`` (long) or ``size_usd -
    size_in_tokens * P`` (short), ``collateral_usd = amount * P`` when the collateral is the index
    token (ETH on an ETH long: the closest perp analogue to LP collateral) or ``amount``
    (stablecoin). Linear in ``P``, so ``P = (required + fees - b) / a`` for ``a P + b`` the
    equity. NaN when the equity does not depend on price (never liquidated, or always).

    >>> round(gmx_liquidation_price(1.0, 3000.0, 300.0, is_long=True,
    ...       collateral_is_index_token=False, min_collateral_factor=0.01), 6)
    2730.0
    """
    q = positive("size_in_tokens", size_in_tokens)
    su = positive("size_usd", size_usd)
    c = nonnegative("collateral_amount", collateral_amount)
    mcf = fraction("min_collateral_factor", min_collateral_factor)
    mcu = nonnegative("min_collateral_usd", min_collateral_usd)
    fees = nonnegative("fees_usd", fees_usd)
    is_long = _flag("is_long", is_long)
    collateral_is_index_token = _flag("collateral_is_index_token", collateral_is_index_token)
    broadcast_shape("gmx_liquidation_price", size_in_tokens=q, size_usd=su, collateral_amount=c,
            min_collateral_factor=mcf, min_collateral_usd=mcu, fees_usd=fees)
    q, su, c = (np.asarray(v, dtype=float) for v in (q, su, c))
    required = np.maximum(mcu, su * np.asarray(mcf))
    sign = 1.0 if is_long else -1.0
    a = sign * q + (c if collateral_is_index_token else 0.0)
    b = -sign * su + (0.0 if collateral_is_index_token else c)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (required + np.asarray(fees) - b) / a
    return _out(np.where((a == 0) | (p <= 0), np.nan, p))


# ------------------------------------------------------------------------------------------------
# Presets (ETH-USD perps), each on lpperp.perp.MarginRules with a dated source
# ------------------------------------------------------------------------------------------------

HYPERLIQUID_ETH = MarginRules.from_max_leverage(
    25.0,
    name="Hyperliquid ETH",
    tier_floors=(0.0, 100e6),
    tier_max_leverage=(25.0, 15.0),
    liquidation_fee_fraction=0.0,
    source=(
        "Hyperliquid docs trading/margin-tiers, mainnet ETH: 0-100M USDC 25x, >100M 15x; "
        "MMF = 1/(2 max leverage), deductions continuous at tier edges (read 2026-11; the same "
        "table is in the live meta of 2026-09-27). No separate liquidation fee: order-book "
        "liquidations keep the remaining margin (trading/liquidations); partial liquidation of "
        "positions > 100k USDC and the backstop: HYPERLIQUID_MECHANICS."
    ),
)
"""Hyperliquid ETH perp: 25x (IMF 4%, MMF 2%) up to 100M USDC notional, 15x above."""

DYDX_LIQUIDITY_TIERS: dict[str, dict[str, float]] = {
    # initial_margin_ppm / 1e6, initial * maintenance_fraction_ppm / 1e6, OI caps in USDC
    "Large-Cap": {"imf": 0.02, "mmf": 0.012, "oi_lower_cap": 0.0, "oi_upper_cap": 0.0},
    "Small-Cap": {"imf": 0.10, "mmf": 0.05, "oi_lower_cap": 20e6, "oi_upper_cap": 50e6},
}
"""dYdX v4 liquidity tiers. Large-Cap: ``initial_margin_ppm = 20000`` (2 %, 50x),
``maintenance_fraction_ppm = 600000`` (maintenance = 60 % of initial = 1.2 %), OI caps 0/0 —
dydxprotocol/v4-chain PR #2431 (merged 2024-10-02: Large-Cap ``initial_margin_ppm`` 50000 -> 20000 in
the genesis liquidity tiers) and the governance-adjustable market parameters page (read 2026-11-30).
Small-Cap 100000 / 500000, OI caps 20M/50M USDC (genesis sample). WEAK for live values: governance
can change them; feed ``oi_*`` to :func:`dydx_open_interest_imf`."""

DYDX_ETH = MarginRules(
    name="dYdX v4 ETH-USD",
    initial_fraction=DYDX_LIQUIDITY_TIERS["Large-Cap"]["imf"],
    maintenance_fraction=DYDX_LIQUIDITY_TIERS["Large-Cap"]["mmf"],
    liquidation_fee_fraction=0.015,
    source=(
        "dYdX v4 ETH-USD is in the Large-Cap liquidity tier: IMF 2 % (initial_margin_ppm 20000, "
        "v4-chain PR #2431, 2024-10-02), MMF = 60 % of IMF = 1.2 %, no open-interest scaling "
        "(v4-documentation concepts/trading/margin; read 2026-11-30). Liquidation fee: at most 1.5 % "
        "(max_liquidation_fee_ppm 15000, protocol/testing/genesis.sh), capped by the account's "
        "remaining collateral (x/clob/keeper/liquidations.go GetLiquidationInsuranceFundDelta); see "
        "DYDX_MECHANICS."
    ),
)
"""dYdX v4 ETH-USD perp (Large-Cap tier): IMF 2 %, MMF 1.2 % (50x)."""

_BINANCE_ETH_FLOORS = (0.0, 50e3, 600e3, 3e6, 12e6, 50e6, 65e6, 150e6, 320e6, 400e6, 530e6, 800e6)
_BINANCE_ETH_MMR = (0.004, 0.005, 0.0065, 0.01, 0.02, 0.025, 0.05, 0.1, 0.125, 0.15, 0.25, 0.5)
_BINANCE_ETH_LEV = (125, 100, 75, 50, 25, 20, 10, 5, 4, 3, 2, 1)

BINANCE_ETHUSDT = MarginRules(
    name="Binance USD-M ETHUSDT",
    initial_fraction=1.0 / _BINANCE_ETH_LEV[0],
    maintenance_fraction=_BINANCE_ETH_MMR[0],
    tier_floors=_BINANCE_ETH_FLOORS,
    tier_maintenance=_BINANCE_ETH_MMR,
    tier_initial=tuple(1.0 / x for x in _BINANCE_ETH_LEV),
    liquidation_fee_fraction=0.0,
    source=(
        "Binance GET /fapi/v1/leverageBracket ETHUSDT brackets (notionalFloor, maintMarginRatio, "
        "initialLeverage, cum 0/50/950/11450/...) as snapshotted in freqtrade "
        "exchange/binance_leverage_tiers.json (snapshot circa 2024, read 2026-11) — WEAK: Binance "
        "revises brackets without notice; liquidation clearance fee not modelled. Liquidation "
        "price formula: Binance FAQ 'How to calculate liquidation price of USDⓈ-M futures'."
    ),
)
"""Binance USD-M ETHUSDT: 12 brackets, 125x (MMR 0.4%) up to 50k USDT down to 1x (MMR 50%)."""

DRIFT_SPOT_WEIGHTS: dict[str, dict[str, float]] = {
    "USDC": {"initial": 1.00, "maintenance": 1.00, "imf_factor": 0.0},
    "SOL": {"initial": 0.80, "maintenance": 0.90, "imf_factor": 0.003},
    "wETH": {"initial": 0.80, "maintenance": 0.90, "imf_factor": 0.025},
}
"""Drift v2 collateral asset weights (docs getting-started/cross-collateral-deposits, main pool
table as published; read 2026-11). Feed to :func:`drift_size_discount_asset_weight`."""

DRIFT_ETH = MarginRules(
    name="Drift v2 ETH-PERP",
    initial_fraction=0.05,
    maintenance_fraction=0.025,
    liquidation_fee_fraction=0.0,
    source=(
        "Drift v2 ETH-PERP: 20x (margin_ratio_initial 5%), maintenance 2.5% — WEAK: no citable "
        "primary figure found (searched 2026-11) (read the market account's margin_ratio_initial / "
        "margin_ratio_maintenance / imf_factor to override). Size premium: "
        "drift_size_premium_margin_ratio; health: drift_health (protocol-v2 math/margin.rs)."
    ),
)
"""Drift v2 ETH-PERP (WEAK figures): IMF 5%, MMF 2.5% before the size premium."""

GMX_MIN_COLLATERAL_USD = 1.0
"""GMX v2 ``minCollateralUsd`` (gmx-synthetics config/markets.ts: ``decimalToFloat(1, 0)``)."""

GMX_ETH_OI_MULTIPLIER = 6e-11
"""GMX v2 WETH/USDC ``minCollateralFactorForOpenInterestMultiplier`` (per USD of open interest on
the position's side): the min collateral factor is ``max(0.5 %, OI * 6e-11)``, i.e. 0.5 % until
about 83M USD of open interest (gmx-synthetics config/markets.ts, arbitrum WETH/USDC; read
2026-11-30)."""

GMX_ETH = MarginRules(
    name="GMX v2 ETH/USD",
    initial_fraction=0.005,
    maintenance_fraction=0.005,
    liquidation_fee_fraction=0.002,
    source=(
        "gmx-synthetics config/markets.ts, arbitrum WETH/USDC market: minCollateralFactor "
        "percentageToFloat('0.5%') (200x) for opening and liquidation, "
        "minCollateralFactorForOpenInterestMultiplier 6e-11, minCollateralUsd 1 USD; "
        "baseMarketConfig liquidationFeeFactor 0.20 % (read 2026-11-30; the older stored commit "
        "f66657d had 1 % and 2e-10). The open-interest multiplier and the 1 USD floor are not in "
        "MarginRules: use gmx_min_collateral_usd / gmx_liquidation_price with "
        "GMX_ETH_OI_MULTIPLIER. WEAK: per-market values are changed by config keepers."
    ),
)
"""GMX v2 ETH/USD: min collateral factor 0.5 % for opening and for liquidation (200x), 0.2 %
liquidation fee."""

VENUES: dict[str, MarginRules] = {
    "hyperliquid": HYPERLIQUID_ETH,
    "dydx": DYDX_ETH,
    "binance": BINANCE_ETHUSDT,
    "drift": DRIFT_ETH,
    "gmx": GMX_ETH,
}
"""Venue name -> ETH-USD perp :class:`~lpperp.perp.MarginRules` preset (see each ``source``)."""


def get_venue(name: str) -> MarginRules:
    """Return the ETH-USD perp rules preset of a venue by name (case-insensitive).

    Presets are frozen: derive variants with :func:`dataclasses.replace`.

    >>> get_venue("dYdX").maintenance_fraction
    0.012
    >>> get_venue("ftx")
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: venue must be one of 'hyperliquid', 'dydx', 'binance', 'drift', \
'gmx'; got 'ftx'
    """
    return VENUES[one_of("venue", name.lower() if isinstance(name, str) else name, VENUES)]


# ------------------------------------------------------------------------------------------------
# Liquidation mechanics: what a venue or lender does once an account is liquidatable
# ------------------------------------------------------------------------------------------------
_KINDS = ("book", "lender")


@dataclass(frozen=True)
class LiquidationMechanics:
    """How a venue (or lender) liquidates, and who gets what: frozen, sourced, dated.

    The margin rules (:class:`~lpperp.perp.MarginRules`) decide *when* an account is liquidated;
    this record decides *what happens then*. :func:`lpperp.liquidation.settle_liquidation` applies
    it (vectorized over paths). Every fraction is a plain fraction of the closed notional (quote)
    unless its name says otherwise.

    Attributes
    ----------
    name : str
        Venue and market.
    kind : {"book", "lender"}
        ``"book"``: the perp is closed (fully or partly) at the mark price and the realized loss is
        paid from cash, then the LP (burn, swap the base through the pool); the rest stays with the
        owner. ``"lender"``: Revert Lend style, the liquidator repays the debt and receives
        collateral worth ``debt * (1 + penalty)``; the owner keeps the rest of the position.
    trading_fee_fraction : float
        Fee on the closed notional paid to the venue's fee pool (``perp_close_cost``).
    insurance_fee_fraction : float
        Liquidation fee on the closed notional paid to the insurance fund / protocol
        (``to_insurance``). With ``fee_capped_by_equity`` (dYdX) it is a maximum.
    liquidator_fee_fraction : float
        Discount on the closed notional paid to the liquidator (``to_liquidator``; Drift).
    fee_capped_by_equity : bool
        dYdX: the fee is ``min(max fee, the closed share of the remaining collateral)``.
    partial_above_notional, partial_fraction, partial_cooldown_seconds : float
        Hyperliquid: a position above ``partial_above_notional`` (quote) is closed
        ``partial_fraction`` at a time, ``partial_cooldown_seconds`` apart.
    max_portion_per_block, min_notional_per_block, max_notional_per_block : float
        dYdX position and subaccount block limits: at most
        ``min(max(portion * N, min notional), max notional)`` of the notional per block.
    bankruptcy_adjustment, spread_to_maintenance : float
        dYdX fillable price ``(PNNV - ABR * SMMR * PMMR) / PS``, ``ABR = clip(BA (1 - TNC/TMMR), 0,
        1)``: below maintenance the order may fill worse than the oracle (to the liquidator).
    cover_shortage_buffer : float or None
        Drift: close only the base that covers the margin shortage at ``maintenance +
        buffer * notional``: ``base = shortage / (P (mmr + buffer - liquidator_fee - if_fee))``.
    backstop_below_fraction : float
        Hyperliquid: below ``fraction * maintenance`` (venue equity) the liquidator vault takes the
        position and the whole margin (nothing is returned). 0 disables.
    penalty_min_fraction, penalty_max_fraction : float
        Revert Lend: penalty graded from min (at the boundary) to max (deep under water).
    source, read_on : str
        Where each figure was read, and when (ISO date). ``WEAK`` marks what was not confirmed.

    Examples
    --------
    >>> HYPERLIQUID_MECHANICS.partial_fraction, HYPERLIQUID_MECHANICS.backstop_below_fraction
    (0.2, 0.6666666666666666)
    >>> get_mechanics("revert").penalty_max_fraction
    0.1
    """

    name: str
    kind: str = "book"
    trading_fee_fraction: float = 0.0
    insurance_fee_fraction: float = 0.0
    liquidator_fee_fraction: float = 0.0
    fee_capped_by_equity: bool = False
    partial_above_notional: float = float("inf")
    partial_fraction: float = 1.0
    partial_cooldown_seconds: float = 0.0
    max_portion_per_block: float = 1.0
    min_notional_per_block: float = 0.0
    max_notional_per_block: float = float("inf")
    bankruptcy_adjustment: float = 0.0
    spread_to_maintenance: float = 0.0
    cover_shortage_buffer: float | None = None
    backstop_below_fraction: float = 0.0
    penalty_min_fraction: float = 0.0
    penalty_max_fraction: float = 0.0
    source: str = ""
    read_on: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise LpperpError(f"name must be a non-empty string, got {self.name!r}")
        one_of("kind", self.kind, _KINDS)
        for f in ("trading_fee_fraction", "insurance_fee_fraction", "liquidator_fee_fraction",
                  "partial_fraction", "max_portion_per_block", "backstop_below_fraction",
                  "penalty_min_fraction", "penalty_max_fraction"):
            object.__setattr__(self, f, fraction(f, getattr(self, f), scalar=True))
        for f in ("partial_above_notional", "partial_cooldown_seconds", "min_notional_per_block",
                  "max_notional_per_block", "bankruptcy_adjustment", "spread_to_maintenance"):
            v = getattr(self, f)
            if not isinstance(v, (int, float)) or np.isnan(v) or v < 0:
                raise LpperpError(f"{f} must be a number >= 0 (inf allowed), got {v!r}")
            object.__setattr__(self, f, float(v))
        if self.partial_fraction == 0 or self.max_portion_per_block == 0:
            raise LpperpError("partial_fraction and max_portion_per_block must be > 0")
        if self.cover_shortage_buffer is not None:
            object.__setattr__(self, "cover_shortage_buffer",
                               fraction("cover_shortage_buffer", self.cover_shortage_buffer,
                                        scalar=True))
        if self.penalty_min_fraction > self.penalty_max_fraction:
            raise LpperpError(
                f"penalty_min_fraction must be <= penalty_max_fraction, got "
                f"{self.penalty_min_fraction} > {self.penalty_max_fraction}"
            )

    @classmethod
    def from_rules(cls, rules: MarginRules) -> LiquidationMechanics:
        """Generic book liquidation for rules without a preset: full close at the mark price, the
        rules' ``liquidation_fee_fraction`` to the insurance fund, no trading fee.

        >>> from lpperp.perp import MarginRules
        >>> rules = MarginRules("x", 0.1, 0.05, liquidation_fee_fraction=0.01)
        >>> LiquidationMechanics.from_rules(rules).insurance_fee_fraction
        0.01
        """
        if not isinstance(rules, MarginRules):
            raise LpperpError(f"rules must be a MarginRules, got {type(rules).__name__}")
        return cls(
            name=f"{rules.name} (generic)",
            insurance_fee_fraction=rules.liquidation_fee_fraction,
            source=f"generic: full book liquidation, fee from {rules.name!r}",
            read_on="",
        )


HYPERLIQUID_MECHANICS = LiquidationMechanics(
    name="Hyperliquid",
    kind="book",
    trading_fee_fraction=0.00045,
    partial_above_notional=100_000.0,
    partial_fraction=0.2,
    partial_cooldown_seconds=30.0,
    backstop_below_fraction=2.0 / 3.0,
    source=(
        "https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations: market orders to the "
        "book at the mark price, no clearance fee, remaining collateral stays with the trader; "
        "below 2/3 of maintenance margin the liquidator vault takes over (backstop) and the "
        "maintenance margin is not returned. Positions > 100k USDC: 20 % first, 30 s cooldown "
        "(same page; also hyperliquid-co.gitbook.io wiki clearinghouse/liquidations). Taker fee "
        "0.045 % (trading/fees, base tier) on the liquidation order — WEAK: whether the liquidated "
        "side pays the taker fee is not stated."
    ),
    read_on="2026-11-30",
)
"""Hyperliquid: book liquidation without a fee, 20 % steps above 100k USDC, backstop below 2/3 MM."""

DYDX_MECHANICS = LiquidationMechanics(
    name="dYdX v4",
    kind="book",
    trading_fee_fraction=0.0,
    insurance_fee_fraction=0.015,
    fee_capped_by_equity=True,
    max_portion_per_block=0.10,
    min_notional_per_block=1_000.0,
    max_notional_per_block=100_000.0,
    bankruptcy_adjustment=1.0,
    spread_to_maintenance=1.5,
    source=(
        "dydxprotocol/v4-chain protocol/x/clob/keeper/liquidations.go (GetFillablePrice: "
        "(PNNV - ABR*SMMR*PMMR)/PS, ABR = clamp(BA*(1 - TNC/TMMR), 0, 1); "
        "GetLiquidationInsuranceFundDelta: fee = min(max_liquidation_fee_ppm * |quote|, fill - "
        "bankruptcy value); GetMaxAndMinPositionNotionalLiquidatable: "
        "max(max_position_portion_liquidated_ppm * N, min_position_notional_liquidated)), "
        "process_single_match.go ('Liquidation orders do not pay trading fees'); values from "
        "protocol/testing/genesis.sh@b358dff: max_liquidation_fee_ppm 15000, "
        "max_position_portion_liquidated_ppm 100000, min_position_notional_liquidated 1000 USDC, "
        "max_notional_liquidated 100000 USDC per subaccount and block, bankruptcy_adjustment_ppm "
        "1e6, spread_to_maintenance_margin_ratio_ppm 1.5e6. WEAK for live mainnet values "
        "(governance parameters)."
    ),
    read_on="2026-11-30",
)
"""dYdX v4: at most 10 % of a position per block, fee <= 1.5 % to the insurance fund."""

GMX_MECHANICS = LiquidationMechanics(
    name="GMX v2",
    kind="book",
    trading_fee_fraction=0.0005,
    insurance_fee_fraction=0.002,
    source=(
        "gmx-synthetics config/markets.ts: liquidationFeeFactor 0.20 % of the position size "
        "(to the pool / fee receiver), positionFeeFactor 0.05 % on close (baseMarketConfig of the "
        "stored commit f66657d — WEAK: per-market values differ); DecreasePositionUtils closes the "
        "whole position and returns the remaining collateral to the account "
        "(PositionUtils.isPositionLiquidatable; read 2026-11-30). Capped liquidation price impact "
        "(maxPositionImpactFactorForLiquidations) not modelled."
    ),
    read_on="2026-11-30",
)
"""GMX v2: full close, 0.2 % liquidation fee, 0.05 % position fee."""

DRIFT_MECHANICS = LiquidationMechanics(
    name="Drift v2",
    kind="book",
    liquidator_fee_fraction=0.01,
    insurance_fee_fraction=0.01,
    cover_shortage_buffer=0.02,
    source=(
        "drift-labs/protocol-v2 programs/drift/src/math/liquidation.rs "
        "calculate_base_asset_amount_to_cover_margin_shortage: base = shortage / (P (margin_ratio + "
        "buffer - liquidator_fee - if_liquidation_fee)), tests 'one_percent_liquidation_fee_and_"
        "one_percent_if_liquidation_fee' (10 USD shortage, 10x, 1 % + 1 %, P 100 -> 1.25 base); "
        "per-market liquidator_fee and if_liquidation_fee (admin handle_update_perp_liquidation_fee). "
        "WEAK: the ETH-PERP values 1 % / 1 % and the 2 % liquidation_margin_buffer_ratio are not "
        "confirmed (read 2026-11-30)."
    ),
    read_on="2026-11-30",
)
"""Drift v2: closes what covers the shortage; liquidator fee and insurance-fund fee per market."""

BINANCE_MECHANICS = LiquidationMechanics(
    name="Binance USD-M",
    kind="book",
    source=(
        "Binance USD-M liquidation: full close by the liquidation engine, a liquidation clearance "
        "fee to the insurance fund — WEAK: the clearance fee rate was not confirmed and is set to "
        "0 here; pass your own with dataclasses.replace(insurance_fee_fraction=...) (read "
        "2026-11-30)."
    ),
    read_on="2026-11-30",
)
"""Binance USD-M: full close (clearance fee not confirmed: 0)."""

REVERT_MECHANICS = LiquidationMechanics(
    name="Revert Lend",
    kind="lender",
    penalty_min_fraction=0.02,
    penalty_max_fraction=0.10,
    source=(
        "revert-finance/lend@c9fc4d0 src/V3Vault.sol: MIN_LIQUIDATION_PENALTY_X32 = 2 %, "
        "MAX_LIQUIDATION_PENALTY_X32 = 10 %; _calculateLiquidation: if fullValue >= debt * 1.1, "
        "penalty = 2 % + 8 % * (1 - (fullValue - 1.1 debt) / (debt * fullValue / collateralValue - "
        "1.1 debt)) and the liquidator repays debt for value debt * (1 + penalty); else the "
        "liquidator gets the whole position for fullValue - 0.1 debt and the reserves cover the "
        "rest (reserveCost). fullValue includes uncollected fees (_checkLoanIsHealthy; read "
        "2026-11-30)."
    ),
    read_on="2026-11-30",
)
"""Revert Lend: penalty graded 2 % -> 10 % with how far under water; owner keeps the rest."""

MECHANICS: dict[str, LiquidationMechanics] = {
    "hyperliquid": HYPERLIQUID_MECHANICS,
    "dydx": DYDX_MECHANICS,
    "binance": BINANCE_MECHANICS,
    "drift": DRIFT_MECHANICS,
    "gmx": GMX_MECHANICS,
    "revert": REVERT_MECHANICS,
}
"""Venue / lender name -> :class:`LiquidationMechanics` preset."""


def get_mechanics(name: str) -> LiquidationMechanics:
    """The liquidation mechanics preset of a venue or lender by name (case-insensitive).

    >>> get_mechanics("Hyperliquid").partial_above_notional
    100000.0
    >>> get_mechanics("ftx")
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: mechanics must be one of 'hyperliquid', 'dydx', 'binance', \
'drift', 'gmx', 'revert'; got 'ftx'
    """
    return MECHANICS[one_of("mechanics", name.lower() if isinstance(name, str) else name, MECHANICS)]


def mechanics_for(rules: MarginRules) -> LiquidationMechanics:
    """The mechanics that go with a rules preset (by identity or name), else the generic ones.

    >>> mechanics_for(get_venue("gmx")).name
    'GMX v2'
    >>> mechanics_for(MarginRules("mine", 0.1, 0.05)).name
    'mine (generic)'
    """
    if not isinstance(rules, MarginRules):
        raise LpperpError(f"rules must be a MarginRules (see get_venue), got {type(rules).__name__}")
    for key, rules_preset in VENUES.items():
        if rules is rules_preset or rules.name == rules_preset.name:
            return MECHANICS[key]
    return LiquidationMechanics.from_rules(rules)

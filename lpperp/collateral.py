"""Collateral-factor models: how much of an LP position's value counts as margin.

Every model is a small frozen object with ``factor(lp, price)`` (a fraction in ``[0, 1]``,
vectorized over ``price``) and ``collateral_value(lp, price) = factor * lp.value(price)``.

Conventions
-----------
- ``price`` is the *oracle / mark* price (quote per base, human units) that the caller passes in,
  never a pool price a trader could push; the LP is valued at that price.
- Values are in quote units. Uncollected fees are **not** part of ``lp.value``: accounts carry them
  as ``accrued_fees`` (quote units) and count them at par, as Revert Lend includes uncollected fees;
  pass ``accrued_fees=0`` to exclude them. :class:`FeeRule` is how a venue counts them instead (a
  factor, or each token's fees capped at the principal's amount of that token as Arcadia caps
  them): :data:`FEES_AT_PAR`, :data:`ARCADIA_FEE_CAP`.
- The closed-form models share one shape, the *shocked weighted value*::

      collateral(P) = base_factor * base(kP) * kP + quote_factor * quote(kP)

  where ``base(.)`` and ``quote(.)`` are the LP's amounts at the shocked price ``kP`` (``0 < k <= 1``
  a fall in the base price, the direction in which an LP loses value), and ``base_factor``,
  ``quote_factor`` per-token weights. :meth:`shock_weights` returns ``(k, base_factor,
  quote_factor)``. In range this is a
  quadratic in ``sqrt(P)``, below the (shocked) range linear in ``P``, above it constant, which is
  what lets :mod:`lpperp.liquidation` solve every boundary in closed form. Static and per-token-min
  factors are ``k = 1``, ``base_factor = quote_factor = cf``. A model without this shape
  (:class:`FunctionFactor`) returns ``None`` and the boundaries are found numerically.
- Volatility is annualised, of log prices; ``dt_years`` the spacing of an oracle series;
  ``horizon_years`` the time a liquidator needs to close the position.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from lpperp._special import ndtri
from lpperp._validate import (
    LpperpError,
    broadcast_shape,
    finite,
    fraction,
    integer,
    nonnegative,
    one_of,
    ordered_range,
    positive,
    renamed,
)
from lpperp._validate import scalar_or_array as _out
from lpperp.oracle import Oracle
from lpperp.position import LPPosition

#: Seconds in a (365-day) year: oracle times are seconds, volatility is per year.
_SECONDS_PER_YEAR = 365.0 * 86400.0

__all__ = [
    "ARCADIA_FEE_CAP",
    "ARCADIA_FEE_CAP_SOURCE",
    "FEES_AT_PAR",
    "GMX_ETH_USD_OI_MULTIPLIER",
    "REVERT_LEND_ARBITRUM_WETH_USDC",
    "RISKMETRICS_LAMBDA",
    "CollateralModel",
    "FactorSchedule",
    "FeeRule",
    "FunctionFactor",
    "RangeAwareFactor",
    "StaticFactor",
    "TokenMinFactor",
    "VolatilityScaledFactor",
    "arcadia_capped_fees",
    "ewma_volatility",
    "gmx_min_collateral_factor",
    "gmx_min_collateral_factor_x30",
    "weighted_value",
]

#: RiskMetrics (J.P. Morgan, 1996) decay for daily returns: ``var_t = 0.94 var_{t-1} + 0.06 r_t^2``.
RISKMETRICS_LAMBDA = 0.94


@renamed(w_base="base_factor", w_quote="quote_factor")
def weighted_value(
    price: Any,
    price_lower: Any,
    price_upper: Any,
    liquidity: Any,
    k: Any = 1.0,
    base_factor: Any = 1.0,
    quote_factor: Any = 1.0,
) -> Any:
    """Shocked weighted LP value ``base_factor * base(kP) * kP + quote_factor * quote(kP)`` (quote).

    With ``k = base_factor = quote_factor = 1`` this is the LP value ``V(P)``. All arguments
    broadcast. (``w_base``/``w_quote`` are the old names of the weights: they warn, one release.)

    >>> round(float(weighted_value(3000.0, 2500.0, 3600.0, 1000.0)), 6)   # V(3000)
    9544.511501
    >>> round(float(weighted_value(3000.0, 2500.0, 3600.0, 1000.0, 0.9, 0.8, 1.0)), 4)
    7530.7436
    """
    price = np.asarray(positive("price", price))
    k = nonnegative("k", k)
    lo, hi = positive("price_lower", price_lower), positive("price_upper", price_upper)
    liquidity = nonnegative("liquidity", liquidity)
    base_factor = fraction("base_factor", base_factor)
    quote_factor = fraction("quote_factor", quote_factor)
    broadcast_shape("weighted_value", price=price, k=k, price_lower=lo, price_upper=hi,
                    liquidity=liquidity, base_factor=base_factor, quote_factor=quote_factor)
    q = price * k
    pa, pb = (np.asarray(x) for x in ordered_range("price_lower", lo, "price_upper", hi))
    s = np.sqrt(np.clip(q, pa, pb))
    base = liquidity * (1.0 / s - 1.0 / np.sqrt(pb))
    quote = liquidity * (s - np.sqrt(pa))
    return _out(base_factor * base * q + quote_factor * quote)


def _lp_value(lp: Any, price: Any) -> Any:
    return weighted_value(price, lp.price_lower, lp.price_upper, lp.liquidity)


def _check_lp(lp: Any) -> LPPosition:
    """``lp`` if it is an :class:`~lpperp.position.LPPosition` (a number or text is named)."""
    if not isinstance(lp, LPPosition):
        raise LpperpError(f"lp must be an LPPosition, got {type(lp).__name__} {str(lp)[:40]}")
    return lp


class CollateralModel(Protocol):
    """What an account needs from a collateral model."""

    def factor(self, lp: Any, price: Any) -> Any: ...

    def collateral_value(self, lp: Any, price: Any) -> Any: ...

    def shock_weights(self, lp: Any) -> tuple[float, float, float] | None: ...


class _ShockedWeighted:
    """Shared methods of the closed-form models (subclasses define :meth:`shock_weights`)."""

    def shock_weights(self, lp: Any) -> tuple[float, float, float] | None:  # pragma: no cover
        raise NotImplementedError

    def collateral_value(self, lp: Any, price: Any) -> Any:
        """Weighted value counted as margin, quote units (see the module docstring).

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> round(RangeAwareFactor(0.0, 0.5, 1.0).collateral_value(lp, 3000.0), 2)   # 0.5 * ETH part
        7739.28
        """
        lp = _check_lp(lp)
        p = positive("price", price)
        k, wb, wq = self.shock_weights(lp)
        return weighted_value(p, lp.price_lower, lp.price_upper, lp.liquidity, k, wb, wq)

    def factor(self, lp: Any, price: Any) -> Any:
        """``collateral_value / lp.value`` at ``price`` (fraction; 0 where the LP is empty).

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> RangeAwareFactor(0.0, 0.5, 1.0).factor(lp, [2000.0, 3000.0, 4000.0]).round(4).tolist()
        [0.5, 0.7739, 1.0]
        """
        lp = _check_lp(lp)
        p = positive("price", price)
        v = np.asarray(_lp_value(lp, p))
        c = np.asarray(self.collateral_value(lp, p))
        return _out(np.divide(c, v, out=np.zeros(np.broadcast(c, v).shape), where=v > 0))


@dataclass(frozen=True)
class StaticFactor(_ShockedWeighted):
    """One haircut for the whole position: ``collateral = cf * V(P)``.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> round(StaticFactor(0.8).collateral_value(lp, 3000.0), 6)
    8000.0
    """

    cf: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "cf", fraction("cf", self.cf, scalar=True))

    def shock_weights(self, lp: Any) -> tuple[float, float, float]:
        """``(1, cf, cf)``.

        >>> StaticFactor(0.7).shock_weights(None)
        (1.0, 0.7, 0.7)
        """
        return 1.0, self.cf, self.cf


@dataclass(frozen=True)
class TokenMinFactor(_ShockedWeighted):
    """Per-token factors, position factor ``lp_risk_factor * min(base_factor, quote_factor)``.

    This is how Revert Lend (``min(CF_token0, CF_token1)``, whatever the range) and Arcadia
    (``riskFactor_LP * min(CF0, CF1)``) value an LP NFT. The factor does not move with price.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> round(REVERT_LEND_ARBITRUM_WETH_USDC.factor(lp, 2000.0), 6)
    0.775
    """

    base_factor: float
    quote_factor: float
    lp_risk_factor: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("base_factor", "quote_factor", "lp_risk_factor"):
            object.__setattr__(self, name, float(fraction(name, getattr(self, name))))

    @property
    def cf(self) -> float:
        """The position's factor ``lp_risk_factor * min(base_factor, quote_factor)``.

        >>> TokenMinFactor(0.775, 0.85).cf
        0.775
        """
        return self.lp_risk_factor * min(self.base_factor, self.quote_factor)

    def shock_weights(self, lp: Any) -> tuple[float, float, float]:
        """``(1, cf, cf)``.

        >>> TokenMinFactor(0.8, 0.9, 0.5).shock_weights(None)
        (1.0, 0.4, 0.4)
        """
        return 1.0, self.cf, self.cf


#: Revert Lend on Arbitrum (docs, 2026-11): WETH 77.5 %, USDC 85 % -> 77.5 % for any USDC/WETH range.
REVERT_LEND_ARBITRUM_WETH_USDC = TokenMinFactor(
    0.775, 0.85, source="Revert Lend docs (Arbitrum collateral factors, read 2026-11)"
)


#: Where Arcadia caps an LP's fees (read 2026-11-30): arcadia-finance/accounts-v2
#: @d0b559cba2c2f138c555a45e0bc40ecf200b922a (2026-02-25), src/asset-modules/UniswapV3/UniswapV3AM.sol,
#: ``_getUnderlyingAssetsAmounts`` (file last changed 2026-02-19).
ARCADIA_FEE_CAP_SOURCE = (
    "arcadia-finance/accounts-v2@d0b559cb src/asset-modules/UniswapV3/UniswapV3AM.sol "
    "_getUnderlyingAssetsAmounts: fee0 = min(fee0, principal0), fee1 = min(fee1, principal1) "
    "(read 2026-11-30)"
)


def arcadia_capped_fees(
    fee_base: Any, fee_quote: Any, principal_base: Any, principal_quote: Any, price: Any
) -> Any:
    """Arcadia's cap on a Uniswap v3 LP's fees, valued in quote units (vectorized).

    ``min(fee_base, principal_base) * P + min(fee_quote, principal_quote)``: each token's fees
    (base units, quote units) are capped at the amount of that token in the position's principal
    at the trusted price ``P`` ("a malicious actor could bypass the max exposure by continuously
    swapping large amounts and increasing the fee portion"; arcadia-finance/accounts-v2
    @d0b559cb ``src/asset-modules/UniswapV3/UniswapV3AM.sol`` ``_getUnderlyingAssetsAmounts``:
    ``fee0 = fee0 > principal0 ? principal0 : fee0``, the same for token 1, read 2026-11-30).
    Arcadia then weights principal plus capped fees with the position's risk factors.

    >>> arcadia_capped_fees(0.5, 100.0, 2.0, 40.0, 3000.0)   # base fees pass, quote capped at 40
    1540.0
    """
    p = positive("price", price)
    fb, fq = finite("fee_base", fee_base), finite("fee_quote", fee_quote)
    pb_, pq = nonnegative("principal_base", principal_base), nonnegative("principal_quote",
                                                                         principal_quote)
    broadcast_shape("arcadia_capped_fees", fee_base=fb, fee_quote=fq, principal_base=pb_,
                    principal_quote=pq, price=p)
    return _out(np.minimum(fb, pb_) * p + np.minimum(fq, pq))


@dataclass(frozen=True)
class FeeRule:
    """How a venue counts an LP's uncollected fees as collateral, quote units.

    The fees ``F`` (quote units, as accounts and the simulator carry them) are split into tokens
    by ``fee_base_share`` ``s`` (a pool pays fees in the token each swap brings in: with as much
    selling as buying, half in each, the default) and counted as::

        cap="none":       counted = factor * F
        cap="principal":  counted = factor * (min(s F, base P) + min((1 - s) F, quote))

    where ``base``, ``quote`` are the LP's principal amounts at the (oracle) price ``P``: the
    second is :func:`arcadia_capped_fees` with ``fee_base = s F / P``, ``fee_quote = (1 - s) F``
    (Arcadia: :data:`ARCADIA_FEE_CAP_SOURCE`; Arcadia weights fees with the position's risk
    factors too: pass them as ``factor``). A debt (``F < 0``) is always counted whole: ``counted
    = min(F, rule(F))``, so a rule never counts more than ``F``. ``FeeRule()`` counts fees at
    par, bit for bit (:data:`FEES_AT_PAR`: Revert Lend's ``V3Vault._checkLoanIsHealthy`` values
    the position with its uncollected fees, notes/venue-rules.md).

    >>> round(FeeRule(0.5).counted(100.0, 3000.0, 1.0, 3000.0), 6)
    50.0
    >>> round(ARCADIA_FEE_CAP.counted(100.0, 3000.0, 0.01, 3000.0), 6)  # base side capped at 30
    80.0
    """

    factor: float = 1.0
    cap: Literal["none", "principal"] = "none"
    fee_base_share: float = 0.5
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", fraction("factor", self.factor, scalar=True))
        one_of("cap", self.cap, ("none", "principal"))
        object.__setattr__(
            self, "fee_base_share", fraction("fee_base_share", self.fee_base_share, scalar=True)
        )
        if not isinstance(self.source, str):
            raise LpperpError(f"source must be a string, got {type(self.source).__name__}")

    @property
    def at_par(self) -> bool:
        """Whether the rule counts every fee at par (``factor = 1``, no cap).

        >>> FeeRule().at_par, FeeRule(0.9).at_par, ARCADIA_FEE_CAP.at_par
        (True, False, False)
        """
        return self.factor == 1.0 and self.cap == "none"

    def counted(self, accrued_fees: Any, price: Any, lp_base: Any = 0.0, lp_quote: Any = 0.0) -> Any:
        """Fees counted as collateral (quote units) given the principal's amounts ``lp_base``
        (base units) and ``lp_quote`` (quote units) at ``price``; vectorized (see the class).

        >>> FeeRule(cap="principal", fee_base_share=0.0).counted([10.0, 60.0], 3000.0, 0.0, 50.0).tolist()
        [10.0, 50.0]
        """
        f = finite("accrued_fees", accrued_fees)
        p = positive("price", price)
        b, qt = nonnegative("lp_base", lp_base), nonnegative("lp_quote", lp_quote)
        broadcast_shape("FeeRule.counted", accrued_fees=f, price=p, lp_base=b, lp_quote=qt)
        return _out(self.counted_unchecked(f, p, b, qt))

    def counted_unchecked(self, fees: Any, price: Any, lp_base: Any, lp_quote: Any) -> Any:
        """:meth:`counted` without the argument checks, for a caller whose arrays are already
        checked floats (the simulator's kernel, every step)."""
        if self.cap == "principal":
            s = self.fee_base_share
            c = np.minimum(fees * s, lp_base * price) + np.minimum(fees * (1.0 - s), lp_quote)
            c = np.minimum(c, fees) * self.factor  # s F + (1 - s) F may round above F
        else:
            c = fees * self.factor
        return np.minimum(fees, c)

    def value(self, lp: Any, price: Any, accrued_fees: Any) -> Any:
        """:meth:`counted` for an :class:`~lpperp.position.LPPosition` at ``price`` (its amounts
        from the whitepaper's eq. 6.29/6.30; what an account adds to its collateral).

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> round(ARCADIA_FEE_CAP.value(lp, 4000.0, 500.0), 6)   # above the range: no base left
        250.0
        """
        lp = _check_lp(lp)
        p = positive("price", price)
        pa, pb = lp.price_lower, lp.price_upper
        s = np.sqrt(np.clip(p, pa, pb))
        base = lp.liquidity * (1.0 / s - 1.0 / np.sqrt(pb))
        quote = lp.liquidity * (s - np.sqrt(pa))
        return self.counted(accrued_fees, p, np.maximum(base, 0.0), np.maximum(quote, 0.0))


#: Uncollected fees at par (Revert Lend: the collateral factor applies to the position value
#: including uncollected fees, ``V3Vault._checkLoanIsHealthy``; the accounts' default).
FEES_AT_PAR = FeeRule(source="Revert Lend V3Vault._checkLoanIsHealthy (notes/venue-rules.md)")

#: Arcadia's cap: each token's fees at most the principal's amount of that token (factor 1: pass
#: the position's risk factor as ``factor`` to weight them as Arcadia does).
ARCADIA_FEE_CAP = FeeRule(cap="principal", source=ARCADIA_FEE_CAP_SOURCE)


@dataclass(frozen=True)
class RangeAwareFactor(_ShockedWeighted):
    """Value the LP as if the base price had already fallen by ``shock_pct``, per-token weights.

    ``collateral(P) = base_factor * base(kP) kP + quote_factor * quote(kP)``, ``k = 1 - shock/100``.

    Why this is range-aware: an LP's value falls faster than a 50/50 hold as the price drops (it
    buys base on the way down; negative gamma), and the narrower the range the faster, up to the
    whole position turning into base. Valuing at the shocked price charges that loss exactly:
    a full-range position keeps ``~sqrt(k)`` of its value, a very narrow one ``~k``. Out of range the
    position *is* a single asset and gets that asset's treatment: below the range all base
    (``base_factor * k``), above it all quote (``quote_factor``). ``factor`` is continuous in price.
    ``shock_pct = 0`` reduces to per-token weights without a stress.

    >>> from lpperp.position import LPPosition
    >>> narrow = LPPosition.from_deposit(10_000, 3000.0, width_pct=2)
    >>> wide = LPPosition.from_deposit(10_000, 3000.0, width_pct=50)
    >>> m = RangeAwareFactor(shock_pct=15)
    >>> round(m.factor(narrow, 3000.0), 4), round(m.factor(wide, 3000.0), 4)
    (0.8544, 0.9294)
    """

    shock_pct: float = 10.0
    base_factor: float = 1.0
    quote_factor: float = 1.0

    def __post_init__(self) -> None:
        sh = nonnegative("shock_pct", self.shock_pct, scalar=True)
        if sh >= 100:
            raise LpperpError(f"shock_pct must be in [0, 100), got {sh}")
        object.__setattr__(self, "shock_pct", sh)
        for name in ("base_factor", "quote_factor"):
            object.__setattr__(self, name, float(fraction(name, getattr(self, name))))

    def shock_weights(self, lp: Any) -> tuple[float, float, float]:
        """``(1 - shock_pct/100, base_factor, quote_factor)``.

        >>> RangeAwareFactor(10, 0.9, 1.0).shock_weights(None)
        (0.9, 0.9, 1.0)
        """
        return 1.0 - self.shock_pct / 100.0, self.base_factor, self.quote_factor


#: Times per block of :func:`_ewma_filter` (a B x B triangular matrix of powers of lambda).
_EWMA_BLOCK = 64


def _ewma_filter(r2: np.ndarray, lam: float, seed: np.ndarray) -> np.ndarray:
    """``v_t = lam v_{t-1} + (1 - lam) r2_t`` along the last axis, ``v_{-1} = seed``.

    Blocks of ``B`` times: ``v[s + j] = lam^(j+1) v[s-1] + (1 - lam) sum_{i<=j} lam^(j-i)
    r2[s + i]``, one matrix product per block (only non-negative powers of ``lam``: no overflow,
    sums of non-negative terms: no cancellation), the Python loop over blocks, never over times.
    Replaces ``scipy.signal.lfilter`` (1.5 s to import on first use on the shared machine).
    """
    b = _EWMA_BLOCK
    j = np.arange(b)
    expo = j[:, None] - j[None, :]
    with np.errstate(under="ignore"):
        tri = np.where(expo >= 0, lam ** np.maximum(expo, 0), 0.0) * (1.0 - lam)  # (B, B)
        carry = lam ** (j + 1.0)
    out = np.empty_like(r2)
    v = np.asarray(seed, dtype=float)
    n = r2.shape[-1]
    for s in range(0, n, b):
        m = min(b, n - s)
        out[..., s:s + m] = r2[..., s:s + m] @ tri[:m, :m].T + v[..., None] * carry[:m]
        v = out[..., s + m - 1]
    return out


@renamed(lam="ewma_lambda")
def ewma_volatility(
    prices: Any, dt_years: float, ewma_lambda: float = RISKMETRICS_LAMBDA, warmup: int = 20
) -> np.ndarray:
    """EWMA volatility (annualised) of an oracle price series, one value per price.

    ``r_t = ln(P_t / P_{t-1})``; ``var_t = l * var_{t-1} + (1 - l) * r_t^2`` with ``l =
    ewma_lambda`` (RiskMetrics, J.P. Morgan/Reuters *RiskMetrics Technical Document* 1996:
    ``0.94`` daily, a half-life of about 11 observations), seeded with the mean of ``r^2`` over
    the first ``warmup`` returns; ``sigma_t = sqrt(var_t / dt_years)``. The first element (no
    return yet) repeats the seed. The last axis is time (a 2-d array is several series); computed
    with one linear filter, no loop.

    >>> p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 50)]))
    >>> round(float(ewma_volatility(p, 1 / 365)[-1]), 4)   # 1 % daily moves -> 0.01 * sqrt(365)
    0.191
    """
    p = np.asarray(positive("prices", prices))
    if p.ndim == 0 or p.shape[-1] < 2:
        raise LpperpError(
            f"prices must be a series of at least 2 prices along the last axis, got shape {p.shape}"
        )
    dt = positive("dt_years", dt_years, scalar=True)
    lam = fraction("ewma_lambda", ewma_lambda, closed_low=False, closed_high=False, scalar=True)
    n_warm = integer("warmup", warmup, 1)
    r2 = np.diff(np.log(p), axis=-1) ** 2
    seed = r2[..., :n_warm].mean(axis=-1)
    var = _ewma_filter(r2, lam, seed)
    with np.errstate(over="ignore"):
        out = np.sqrt(np.concatenate((seed[..., None], var), axis=-1) / dt)
    if not np.isfinite(out).all():
        raise LpperpError(
            f"the volatility of these prices over dt_years={dt!r} overflows a float: give "
            f"dt_years in years (e.g. 1/365 for daily prices) and prices within a float's range"
        )
    return out


@dataclass(frozen=True)
class VolatilityScaledFactor(_ShockedWeighted):
    """Factor that covers the LP's loss over a liquidation horizon at a confidence level.

    The shock is the one-sided ``confidence`` quantile of the log-price move over
    ``horizon_years`` under volatility ``sigma_per_year``: ``k = exp(-z sigma sqrt(horizon))``,
    ``z = Phi^{-1}(confidence)`` (the drift term ``-sigma^2 h / 2`` is ignored: hours-long horizons).
    Then ``collateral(P) = base_factor * base(kP) kP + quote_factor * quote(kP)``: with probability
    ``confidence`` the LP is still worth at least its collateral value when the liquidator is
    done. Range-aware by construction (see :class:`RangeAwareFactor`). Build it from an oracle series
    with :meth:`from_oracle` (EWMA, ``ewma_lambda = 0.94``); :meth:`factor_path` recomputes the factor at each
    point of the series, as the oracle moves.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> m = VolatilityScaledFactor(sigma_per_year=0.8, horizon_years=1 / 365, confidence=0.99)
    >>> round(m.shock_pct, 3), round(m.factor(lp, 3000.0), 4)
    (9.282, 0.9463)
    """

    sigma_per_year: float
    horizon_years: float = 1.0 / 365.0
    confidence: float = 0.99
    base_factor: float = 1.0
    quote_factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "sigma_per_year", nonnegative("sigma_per_year", self.sigma_per_year, scalar=True)
        )
        object.__setattr__(
            self, "horizon_years", nonnegative("horizon_years", self.horizon_years, scalar=True)
        )
        c = fraction("confidence", self.confidence, closed_low=False, closed_high=False, scalar=True)
        if c < 0.5:
            raise LpperpError(f"confidence must be in [0.5, 1), got {c}")
        object.__setattr__(self, "confidence", c)
        for name in ("base_factor", "quote_factor"):
            object.__setattr__(self, name, float(fraction(name, getattr(self, name))))

    @classmethod
    @renamed(lam="ewma_lambda")
    def from_oracle(
        cls,
        prices: Any,
        dt_years: float,
        *,
        ewma_lambda: float = RISKMETRICS_LAMBDA,
        horizon_years: float = 1.0 / 365.0,
        confidence: float = 0.99,
        base_factor: float = 1.0,
        quote_factor: float = 1.0,
    ) -> VolatilityScaledFactor:
        """Model with ``sigma`` = the last EWMA volatility of ``prices`` (see :func:`ewma_volatility`).

        >>> p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 50)]))
        >>> round(VolatilityScaledFactor.from_oracle(p, 1 / 365).sigma_per_year, 4)
        0.191
        """
        sigma = float(ewma_volatility(prices, dt_years, ewma_lambda)[-1])
        return cls(sigma, horizon_years, confidence, base_factor, quote_factor)

    @staticmethod
    def shock_multiplier(sigma_per_year: Any, horizon_years: float, confidence: float) -> Any:
        """``k = exp(-Phi^{-1}(confidence) * sigma * sqrt(horizon))``, vectorized in ``sigma``.

        >>> round(float(VolatilityScaledFactor.shock_multiplier(0.8, 1 / 365, 0.99)), 6)
        0.907181
        """
        sig = np.asarray(nonnegative("sigma_per_year", sigma_per_year))
        h = nonnegative("horizon_years", horizon_years, scalar=True)
        c = fraction("confidence", confidence, closed_low=False, closed_high=False, scalar=True)
        if c < 0.5:
            raise LpperpError(f"confidence must be in [0.5, 1), got {c}")
        with np.errstate(over="ignore"):  # sigma sqrt(h) beyond a float: k = 0, a total loss
            return _out(np.exp(-(ndtri(c) * sig * np.sqrt(h))))

    @property
    def shock_pct(self) -> float:
        """The price fall covered, percent: ``100 (1 - k)``.

        >>> round(VolatilityScaledFactor(0.8, 1 / 365, 0.99).shock_pct, 3)
        9.282
        """
        k = self.shock_multiplier(self.sigma_per_year, self.horizon_years, self.confidence)
        return float(100.0 * (1.0 - k))

    def shock_weights(self, lp: Any) -> tuple[float, float, float]:
        """``(k, base_factor, quote_factor)``.

        >>> VolatilityScaledFactor(0.0).shock_weights(None)
        (1.0, 1.0, 1.0)
        """
        k = float(self.shock_multiplier(self.sigma_per_year, self.horizon_years, self.confidence))
        return k, self.base_factor, self.quote_factor

    @renamed(lam="ewma_lambda")
    def factor_path(
        self,
        lp: Any,
        prices: Any,
        dt_years: float,
        ewma_lambda: float = RISKMETRICS_LAMBDA,
        *,
        oracle: Oracle | None = None,
        times_seconds: Any = None,
    ) -> np.ndarray:
        """Factor at each point of a price series: EWMA ``sigma_t`` and the LP valued at ``P_t``.

        With ``oracle`` (an :mod:`lpperp.oracle` feed) the venue computes both on what it reads,
        not on the true path: ``P_t`` becomes ``oracle.report(times_seconds, prices)`` (the EWMA
        sees zero returns between a push feed's updates and one jump at each update; a TWAP's
        smoothed moves), ``times_seconds`` defaulting to ``dt_years`` steps. Time is the last
        axis; leading axes are paths. The per-token weights ``base_factor``/``quote_factor``
        apply at every point.

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.03, -0.03], 20)]))
        >>> m = VolatilityScaledFactor(0.5)
        >>> cf = m.factor_path(lp, p, 1 / 365)
        >>> cf.shape, bool(cf[-1] < m.factor(lp, p[-1]))   # 57 % vol > 50 %: lower factor
        ((41,), True)
        >>> from lpperp.oracle import ChainlinkFeed
        >>> seen = m.factor_path(lp, p, 1 / 365, oracle=ChainlinkFeed(0.05, 30 * 86400.0))
        >>> round(float(seen[-1]), 4), round(float(cf[-1]), 4)   # a 5 % feed hides the 3 % moves
        (1.0, 0.9634)
        """
        lp = _check_lp(lp)
        p = positive("prices", prices)
        if oracle is not None:
            if not isinstance(oracle, Oracle):
                raise LpperpError(
                    f"oracle must be an lpperp.oracle feed (Spot, ChainlinkFeed, TwapOracle, "
                    f"PullOracle), got {type(oracle).__name__}"
                )
            n = np.shape(p)[-1] if np.ndim(p) else 1
            dt = positive("dt_years", dt_years, scalar=True)
            t = (np.arange(n) * dt * _SECONDS_PER_YEAR if times_seconds is None
                 else times_seconds)
            p = oracle.report(t, p)
        sig = ewma_volatility(p, dt_years, ewma_lambda)
        k = self.shock_multiplier(sig, self.horizon_years, self.confidence)
        c = weighted_value(
            p, lp.price_lower, lp.price_upper, lp.liquidity, k, self.base_factor, self.quote_factor
        )
        v = np.asarray(_lp_value(lp, p))
        return np.divide(c, v, out=np.zeros_like(v), where=v > 0)


@dataclass(frozen=True)
class FactorSchedule:
    """Collateral models that change by governance steps: ``models[i]`` holds from
    ``effective_seconds[i]`` until the next step (a step function in time, e.g. a DAO vote
    lowering a factor after a crash). Before the first step, the first model holds.

    ``factor_path(lp, times_seconds, prices)`` gives the factor in force at each time (time the
    last axis); :meth:`from_dates` takes ISO dates (UTC midnight). The dates of real changes are
    the user's (a venue's governance forum or on-chain config events); the example is made up.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> s = FactorSchedule.from_dates([("2024-01-01", StaticFactor(0.85)),
    ...                                ("2024-06-01", StaticFactor(0.775))])
    >>> t = [s.effective_seconds[0], s.effective_seconds[1] - 1, s.effective_seconds[1]]
    >>> s.factor_path(lp, t, [3000.0, 3000.0, 3000.0]).round(3).tolist()
    [0.85, 0.85, 0.775]
    """

    effective_seconds: tuple[float, ...]
    models: tuple[Any, ...]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for n in ("effective_seconds", "models"):
            if not isinstance(getattr(self, n), (list, tuple, np.ndarray)):
                raise LpperpError(f"{n} must be a sequence (one per governance step), got "
                                  f"{type(getattr(self, n)).__name__}")
        arr = np.asarray(finite("effective_seconds", self.effective_seconds), dtype=float)
        if arr.ndim != 1:
            raise LpperpError(f"effective_seconds must be 1-d, got shape {arr.shape}")
        ts = tuple(float(x) for x in arr)
        if len(ts) != len(self.models) or not ts:
            raise LpperpError(
                f"effective_seconds and models must be non-empty and of one length, got "
                f"{len(ts)} and {len(self.models)}"
            )
        if any(b <= a for a, b in itertools.pairwise(ts)):
            raise LpperpError(f"effective_seconds must be increasing, got {ts}")
        for i, m in enumerate(self.models):
            if not hasattr(m, "collateral_value"):
                raise LpperpError(f"models[{i}] must be a collateral model, got {type(m).__name__}")
        object.__setattr__(self, "effective_seconds", ts)
        object.__setattr__(self, "models", tuple(self.models))

    @classmethod
    def from_dates(cls, steps: Any) -> FactorSchedule:
        """From ``[(iso_date, model), ...]`` (dates as ``YYYY-MM-DD``, UTC midnight)."""
        import datetime as _dt

        if isinstance(steps, (str, bytes)) or not isinstance(steps, (list, tuple)):
            raise LpperpError(f"steps must be a list of (YYYY-MM-DD, model) pairs, got "
                              f"{type(steps).__name__} {str(steps)[:40]}")
        secs, models, labels = [], [], []
        for i, step in enumerate(steps):
            if not isinstance(step, (list, tuple)) or len(step) != 2:
                raise LpperpError(f"steps[{i}] must be a (YYYY-MM-DD, model) pair, got {step!r}")
            date, model = step
            try:
                d = _dt.datetime.fromisoformat(str(date)).replace(tzinfo=_dt.timezone.utc)
            except ValueError:
                raise LpperpError(f"steps[{i}]: date must be YYYY-MM-DD, got {date!r}") from None
            secs.append(d.timestamp())
            models.append(model)
            labels.append(str(date))
        return cls(tuple(secs), tuple(models), tuple(labels))

    def index_at(self, times_seconds: Any) -> np.ndarray:
        """Index of the model in force at each time (0 before the first step)."""
        t = np.asarray(finite("times_seconds", times_seconds), dtype=float)
        return np.clip(np.searchsorted(self.effective_seconds, t, side="right") - 1, 0, None)

    def model_at(self, t_seconds: float) -> Any:
        """The collateral model in force at one time."""
        return self.models[int(self.index_at(finite("t_seconds", t_seconds, scalar=True)))]

    def factor_path(self, lp: Any, times_seconds: Any, prices: Any) -> np.ndarray:
        """Factor at each (time, price): each model applied where it is in force."""
        lp = _check_lp(lp)
        p = np.asarray(positive("prices", prices), dtype=float)
        at = self.index_at(times_seconds)  # names a bad times_seconds itself
        try:
            idx = np.broadcast_to(at, p.shape)
        except ValueError:
            raise LpperpError(f"times_seconds {at.shape} must broadcast to prices "
                              f"{p.shape} (time along the last axis)") from None
        out = np.zeros(p.shape)
        for i, m in enumerate(self.models):  # a few governance steps, never a loop over prices
            sel = idx == i
            if sel.any():
                out[sel] = np.asarray(m.factor(lp, p[sel]), dtype=float)
        return out


#: GMX v2 WETH/USDC: minCollateralFactorForOpenInterestMultiplier 6e-11 per USD of open interest
#: (gmx-io/gmx-synthetics config/markets.ts, read 2026-11-30 by the venues helper).
GMX_ETH_USD_OI_MULTIPLIER = 6e-11


def gmx_min_collateral_factor(
    open_interest_usd: Any, min_collateral_factor: Any, oi_multiplier: Any
) -> Any:
    """GMX v2's min collateral factor scaled by open interest (fraction; vectorized).

    ``max(minCollateralFactor, openInterest * minCollateralFactorForOpenInterestMultiplier)``
    with the open interest of the position's side after the change (gmx-io/gmx-synthetics
    ``contracts/market/MarketUtils.sol`` ``getMinCollateralFactorForOpenInterest`` and
    ``contracts/position/PositionUtils.sol`` ``willPositionCollateralBeSufficient``, @ a5c0c88,
    2026-03-13). The more open interest on a side, the more collateral each position needs.

    >>> gmx_min_collateral_factor(25_000.0, 0.01, 6e-6)   # gmx-synthetics test: 0.15 at 25k OI
    0.15
    >>> gmx_min_collateral_factor([1e8, 1e9], 0.005, GMX_ETH_USD_OI_MULTIPLIER).round(4).tolist()
    [0.006, 0.06]
    """
    oi = nonnegative("open_interest_usd", open_interest_usd)
    mcf = fraction("min_collateral_factor", min_collateral_factor)
    mult = nonnegative("oi_multiplier", oi_multiplier)
    try:
        np.broadcast_shapes(np.shape(oi), np.shape(mcf), np.shape(mult))
    except ValueError:
        raise LpperpError(f"open_interest_usd {np.shape(oi)}, min_collateral_factor "
                          f"{np.shape(mcf)} and oi_multiplier {np.shape(mult)} must broadcast "
                          f"to one shape") from None
    with np.errstate(over="ignore"):  # beyond a float: a factor of inf, refused below
        out = np.maximum(mcf, np.asarray(oi) * np.asarray(mult))
    if not np.isfinite(out).all():
        raise LpperpError("open_interest_usd * oi_multiplier overflows a float: give the open "
                          "interest in USD and the multiplier per USD")
    return _out(out)


def gmx_min_collateral_factor_x30(
    open_interest_usd_x30: int, min_collateral_factor_x30: int, oi_multiplier_x30: int
) -> int:
    """The same in GMX's integers (30-decimal fixed point): ``Precision.applyFactor(oi, mult)``
    is ``oi * mult / 1e30`` rounded down, then the max with ``minCollateralFactor``.

    >>> gmx_min_collateral_factor_x30(25_000 * 10**30, 10**28, 6 * 10**24) == 15 * 10**28
    True
    """
    oi = integer("open_interest_usd_x30", open_interest_usd_x30, 0)
    mcf = integer("min_collateral_factor_x30", min_collateral_factor_x30, 0)
    mult = integer("oi_multiplier_x30", oi_multiplier_x30, 0)
    return max(mcf, oi * mult // 10**30)


#: Prices (quote per base) on which :class:`FunctionFactor` probes its function when built.
_PROBE_PRICES = np.geomspace(1e-6, 1e9, 61)


@dataclass(frozen=True)
class FunctionFactor:
    """A user-defined price-dependent factor ``cf = func(price)`` (vectorized, values in [0, 1]).

    No closed form: liquidation boundaries are found on a dense log grid then polished with
    :func:`scipy.optimize.brentq`.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> m = FunctionFactor(lambda p: np.clip(p / 4000.0, 0.0, 0.9), name="ramp")
    >>> round(m.factor(lp, 3000.0), 4), round(m.collateral_value(lp, 3000.0), 2)
    (0.75, 7500.0)
    """

    func: Callable[[Any], Any]
    name: str = "custom"

    def __post_init__(self) -> None:
        if not callable(self.func) or isinstance(self.func, type):
            raise LpperpError(f"func must be callable cf(price), got {type(self.func).__name__}")
        if not isinstance(self.name, str):
            raise LpperpError(f"name must be a string, got {type(self.name).__name__}")
        self.factor_at(_PROBE_PRICES)  # NaN or 2.0 refused here, not in a simulation's kernel

    def factor_at(self, price: Any) -> Any:
        """``func(price)`` checked: finite, in [0, 1], of ``price``'s shape (fraction).

        The constructor probes ``func`` on a log grid of prices (1e-6 to 1e9 quote per base), so
        a function returning NaN (an account that never liquidates) or a factor above 1 is
        refused when the model is built.

        >>> FunctionFactor(lambda p: np.minimum(p / 4000.0, 0.9)).factor_at([2000.0, 4000.0]).tolist()
        [0.5, 0.9]
        >>> try:
        ...     FunctionFactor(lambda p: 2.0 + 0 * p)
        ... except LpperpError as e:
        ...     print(str(e)[:62])
        custom(price) must be a fraction in [0, 1], got 2.0 at index 0
        """
        p = positive("price", price)
        try:
            raw = self.func(p)
        except LpperpError:
            raise
        except Exception as exc:  # the user's function: its failure is named, not leaked
            raise LpperpError(
                f"{self.name}(price) raised {type(exc).__name__}: {exc} (func must take a float "
                f"array of prices and return factors in [0, 1])"
            ) from exc
        cf = np.asarray(fraction(f"{self.name}(price)", raw), dtype=float)
        if cf.shape != np.shape(p):
            try:
                cf = np.broadcast_to(cf, np.shape(p))
            except ValueError:
                raise LpperpError(f"{self.name}(price) must return one factor per price "
                                  f"{np.shape(p)}, got shape {cf.shape}") from None
        return _out(cf)

    def factor(self, lp: Any, price: Any) -> Any:
        """``func(price)`` checked to lie in [0, 1] (see :meth:`factor_at`)."""
        _check_lp(lp)
        return self.factor_at(price)

    def collateral_value(self, lp: Any, price: Any) -> Any:
        """``func(price) * V(price)``, quote units."""
        lp = _check_lp(lp)
        p = positive("price", price)
        return _out(np.asarray(self.factor_at(p)) * _lp_value(lp, p))

    def shock_weights(self, lp: Any) -> None:
        """``None``: no closed form."""
        return None

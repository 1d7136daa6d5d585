"""A concentrated-liquidity LP position: amounts, value, greeks, impermanent loss, LVR and fees.

Conventions
-----------
- ``price`` is quote per base in human units; the range is ``[price_lower, price_upper]`` in the same
  units whatever the pool's token order (:class:`~lpperp.units.PoolSpec` converts ticks).
- ``liquidity`` is human liquidity ``L``: in range ``base = L (1/sqrt P - 1/sqrt pb)`` and
  ``quote = L (sqrt P - sqrt pa)`` (see :mod:`lpperp.liquidity`).
- Values, P&L, fees and LVR are in quote units; rates per year; ``tau_years`` in years; ``sigma``
  annualised volatility of log price; ``fee_apr`` a fraction per year (0.25 = 25%).
- Every method broadcasts over its array arguments and returns arrays of the broadcast shape (a float
  for scalar input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import (
    LpperpError,
    broadcast_shape,
    fraction,
    integer,
    nonnegative,
    ordered_range,
    positive,
    renamed,
)
from ._validate import (
    scalar_or_array as _out,
)
from .liquidity import amounts_for_liquidity, liquidity_for_amounts, value_for_liquidity
from .units import MAX_TICK, MIN_TICK, PoolSpec

__all__ = ["LPPosition", "impermanent_loss_in_range"]


@dataclass(frozen=True)
class LPPosition:
    """A Uniswap v3 style position over ``[price_lower, price_upper]`` with liquidity ``L``.

    Parameters
    ----------
    price_lower, price_upper : float
        Range bounds, quote per base, ``0 < price_lower < price_upper``.
    liquidity : float
        Human liquidity ``L >= 0`` (``sqrt(base * quote)`` units).
    pool : PoolSpec, optional
        Token symbols, decimals and order, for conversions to ticks and raw amounts.

    Examples
    --------
    $10,000 deposited at 3000 USDC/ETH over +/-20%:

    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> round(lp.value(3000.0), 6)
    10000.0
    >>> [round(x, 4) for x in lp.amounts(3000.0)]
    [1.5071, 5478.5563]
    >>> round(lp.impermanent_loss(2400.0, entry_price=3000.0), 5)
    -0.06359
    """

    price_lower: float
    price_upper: float
    liquidity: float
    pool: PoolSpec | None = None

    def __post_init__(self) -> None:
        lo, hi = ordered_range("price_lower", self.price_lower, "price_upper", self.price_upper)
        liquidity = nonnegative("liquidity", self.liquidity, scalar=True)
        if np.ndim(lo) or np.ndim(hi):
            raise LpperpError("price_lower, price_upper and liquidity must be scalars")
        object.__setattr__(self, "price_lower", float(lo))
        object.__setattr__(self, "price_upper", float(hi))
        object.__setattr__(self, "liquidity", liquidity)
        if self.pool is not None and not isinstance(self.pool, PoolSpec):
            raise LpperpError(f"pool must be a PoolSpec or None, got {type(self.pool).__name__}")

    # -- constructors -----------------------------------------------------------------------------
    @classmethod
    def from_deposit(
        cls,
        value: float,
        price: float,
        *,
        price_lower: float | None = None,
        price_upper: float | None = None,
        width_pct: float | None = None,
        width_factor: float | None = None,
        tick_lower: int | None = None,
        tick_upper: int | None = None,
        pool: PoolSpec | None = None,
    ) -> LPPosition:
        """Position worth ``value`` (quote units) at ``price``, over a range given exactly one way.

        Parameters
        ----------
        value : float
            Deposit value in quote units (> 0).
        price : float
            Price at deposit, quote per base.
        price_lower, price_upper : float, optional
            Range in prices.
        width_pct : float, optional
            Symmetric width in percent: ``[P (1 - w/100), P (1 + w/100)]``, ``0 < w < 100``.
        width_factor : float, optional
            Multiplicative width ``r > 1``: ``[P / r, P r]`` (symmetric in log price).
        tick_lower, tick_upper : int, optional
            Range in the pool's ticks (needs ``pool``; either token order).
        pool : PoolSpec, optional
            Required for ticks.

        Examples
        --------
        >>> lp = LPPosition.from_deposit(1000.0, 3000.0, width_factor=1.25)
        >>> lp.price_lower, lp.price_upper
        (2400.0, 3750.0)
        """
        v = positive("value", value, scalar=True)
        p = positive("price", price, scalar=True)
        lo, hi = _range_from_spec(
            p, price_lower, price_upper, width_pct, width_factor, tick_lower, tick_upper, pool
        )
        per_unit = float(value_for_liquidity(p, lo, hi, 1.0))
        return cls(lo, hi, v / per_unit, pool)

    @classmethod
    def from_amounts(
        cls,
        base: float,
        quote: float,
        price: float,
        price_lower: float,
        price_upper: float,
        pool: PoolSpec | None = None,
    ) -> LPPosition:
        """Largest position that ``base`` and ``quote`` (human units) can fund at ``price``.

        >>> lp = LPPosition.from_amounts(1.0, 3000.0, 3000.0, 2000.0, 4500.0)
        >>> round(lp.liquidity, 3)
        298.481
        """
        liq = float(liquidity_for_amounts(price, price_lower, price_upper, base, quote))
        # e.g. only base with the price above the range, or one token only while in range
        if not np.isfinite(liq) or (liq == 0 and (float(base) > 0 or float(quote) > 0)):
            raise LpperpError(
                f"base={base!r} and quote={quote!r} fund no liquidity at price={price!r} for this "
                "range: give a non-zero amount of the token the range needs"
            )
        return cls(float(price_lower), float(price_upper), liq, pool)

    @classmethod
    def from_ticks(
        cls, tick_lower: int, tick_upper: int, liquidity_raw: int, pool: PoolSpec
    ) -> LPPosition:
        """Position as the chain stores it: ticks and raw liquidity in ``pool``'s token order.

        >>> from lpperp.units import USDC_WETH_ETHEREUM as mainnet
        >>> lp = LPPosition.from_ticks(193380, 200310, 10**15, mainnet)
        >>> round(lp.price_lower, 2), round(lp.price_upper, 2), lp.liquidity
        (2000.24, 3999.75, 1000.0)
        """
        if not isinstance(pool, PoolSpec):
            raise LpperpError(f"pool must be a PoolSpec, got {type(pool).__name__}")
        lo, hi = _tick_range(tick_lower, tick_upper, pool)
        liq = integer("liquidity_raw", liquidity_raw, 0, (1 << 128) - 1)
        return cls(lo, hi, pool.liquidity_to_human(liq), pool)

    # -- state at a price -------------------------------------------------------------------------
    def amounts(self, price: Any) -> tuple[Any, Any]:
        """``(base, quote)`` held at ``price``, human units.

        >>> [round(x, 4) for x in LPPosition(2500.0, 3600.0, 1000.0).amounts(3000.0)]
        [1.5908, 4772.2558]
        """
        b, q = amounts_for_liquidity(price, self.price_lower, self.price_upper, self.liquidity)
        return _out(b), _out(q)

    def value(self, price: Any) -> Any:
        """Mark-to-market value ``base * P + quote``, quote units (see ``value_for_liquidity``).

        >>> round(LPPosition(2500.0, 3600.0, 1000.0).value(3600.0), 4)
        10000.0
        """
        if type(price) is float or type(price) is int:  # scalar fast path (sliders, loops)
            if not 0.0 < price < math.inf:
                positive("price", price)  # raises the usual message
            s = math.sqrt(min(max(price, self.price_lower), self.price_upper))
            tail = price / s - price / math.sqrt(self.price_upper)
            return self.liquidity * (tail + (s - math.sqrt(self.price_lower)))
        return value_for_liquidity(price, self.price_lower, self.price_upper, self.liquidity)

    def in_range(self, price: Any) -> Any:
        """True where ``price_lower <= price <= price_upper`` (the position earns fees).

        >>> LPPosition(2500.0, 3600.0, 1.0).in_range([2000.0, 3000.0]).tolist()
        [False, True]
        """
        p = positive("price", price)
        out = (p >= self.price_lower) & (p <= self.price_upper)
        return bool(out) if np.ndim(out) == 0 else out

    def delta(self, price: Any) -> Any:
        """``dV/dP`` in base units: equals the base amount held (the quote term cancels).

        >>> round(LPPosition(2500.0, 3600.0, 1000.0).delta(3000.0), 4)
        1.5908
        """
        return self.amounts(price)[0]

    def gamma(self, price: Any) -> Any:
        """``d2V/dP2``: ``-L / (2 P^{3/2})`` strictly inside the range, else 0.

        Units base^2 per quote: the change of delta (base) per unit of price (quote per base).

        >>> float(LPPosition(2500.0, 3600.0, 1000.0).gamma(4000.0))
        0.0
        """
        p = np.asarray(positive("price", price))  # numpy powers: no OverflowError for huge P
        inside = (p > self.price_lower) & (p < self.price_upper)
        with np.errstate(over="ignore", divide="ignore"):  # only out-of-range prices get there
            out = np.where(inside, -self.liquidity / (2.0 * p**1.5), 0.0)
        return _out(out)

    # -- losses and income ------------------------------------------------------------------------
    def hold_value(self, price: Any, entry_price: Any) -> Any:
        """Value at ``price`` of the amounts deposited at ``entry_price``, held (quote units).

        >>> round(LPPosition(2500.0, 3600.0, 1000.0).hold_value(3600.0, 3000.0), 2)
        10498.96
        """
        e = positive("entry_price", entry_price)
        p = positive("price", price)
        broadcast_shape("hold_value", price=p, entry_price=e)
        b0, q0 = amounts_for_liquidity(e, self.price_lower, self.price_upper, self.liquidity)
        return _out(b0 * p + q0)

    def impermanent_loss(self, price: Any, entry_price: Any) -> Any:
        """``V(P) / hold(P) - 1``: the LP's loss against holding its entry amounts (fraction, <= 0).

        For both prices in range this equals :func:`impermanent_loss_in_range`.

        >>> round(LPPosition(2500.0, 3600.0, 1000.0).impermanent_loss(3000.0, 3000.0), 12)
        0.0
        """
        hold = self.hold_value(price, entry_price)
        if self.liquidity == 0:
            return _out(np.zeros(np.shape(hold)))
        return _out(self.value(price) / hold - 1.0)

    @renamed(sigma="sigma_per_year")
    def lvr_rate(self, price: Any, sigma_per_year: Any) -> Any:
        """Loss-versus-rebalancing rate, quote units per year (Milionis et al. 2022).

        ``l(P) = sigma^2 P^2 |dx/dP| / 2`` with ``x`` the base held and ``sigma =
        sigma_per_year``; in range ``|dx/dP| = L / (2 P^{3/2})`` so ``l = sigma^2 L sqrt(P) / 4``;
        zero outside the range. (``sigma=`` is the old keyword: it works one more release.)

        >>> round(LPPosition(2500.0, 3600.0, 1000.0).lvr_rate(3000.0, 0.6), 4)
        4929.503
        """
        p = positive("price", price)
        sig = np.asarray(nonnegative("sigma_per_year", sigma_per_year))
        broadcast_shape("lvr_rate", price=p, sigma_per_year=sig)
        inside = (p > self.price_lower) & (p < self.price_upper)
        with np.errstate(over="ignore", invalid="ignore"):
            rate = np.where(inside, np.square(sig) * self.liquidity * np.sqrt(p) / 4.0, 0.0)
        if not np.all(np.isfinite(rate)):
            raise LpperpError(
                f"lvr_rate overflows a float for sigma_per_year={sigma_per_year!r} with liquidity "
                f"{self.liquidity!r}: allowed are volatilities whose rate is finite"
            )
        return _out(rate)

    def fee_income(
        self,
        price: Any,
        tau_years: Any,
        fee_apr: Any = None,
        *,
        volume_per_year: Any = None,
        active_liquidity: Any = None,
        fee_fraction: Any = None,
    ) -> Any:
        """Fees earned over ``tau_years`` at a constant ``price`` (quote units); zero out of range.

        Two ways, exactly one to be given:

        - ``fee_apr``: a fee yield on the position's value while in range,
          ``fees = fee_apr * V(P) * tau``;
        - pool flow: ``fees = volume_per_year * fee_fraction * L / active_liquidity * tau``, the share
          of the pool's in-range liquidity (``active_liquidity`` in human units *including* this
          position, so ``>= L``), never the whole pool's fees.

        Examples
        --------
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> round(lp.fee_income(3000.0, 1 / 12, fee_apr=0.24), 6)
        200.0
        >>> round(lp.fee_income(3000.0, 1.0, volume_per_year=1e9, active_liquidity=4 * lp.liquidity,
        ...                     fee_fraction=0.0005), 2)
        125000.0
        """
        p = positive("price", price)
        tau = nonnegative("tau_years", tau_years)
        inside = (p >= self.price_lower) & (p <= self.price_upper)
        if (fee_apr is None) == (volume_per_year is None):
            raise LpperpError(
                "give exactly one of fee_apr or volume_per_year (with "
                "active_liquidity and fee_fraction)"
            )
        if fee_apr is not None:
            if active_liquidity is not None or fee_fraction is not None:
                raise LpperpError(
                    "fee_apr is one way to give fees, active_liquidity and fee_fraction (with "
                    "volume_per_year) the other: give one, not both"
                )
            apr = nonnegative("fee_apr", fee_apr)
            return _out(np.where(inside, apr * self.value(p) * tau, 0.0))
        if active_liquidity is None or fee_fraction is None:
            raise LpperpError("volume_per_year needs active_liquidity and fee_fraction too")
        vol = nonnegative("volume_per_year", volume_per_year)
        fee = fraction("fee_fraction", fee_fraction)
        active = positive("active_liquidity", active_liquidity)
        if np.any(np.asarray(active) < self.liquidity * (1 - 1e-12)):
            raise LpperpError(
                f"active_liquidity={active_liquidity!r} must include this position's liquidity "
                f"{self.liquidity!r} (the pool's in-range liquidity, >= L)"
            )
        share = self.liquidity / active
        return _out(np.where(inside, vol * fee * share * tau, 0.0))


def impermanent_loss_in_range(
    price_ratio: Any, entry_price: Any, price_lower: Any, price_upper: Any
) -> Any:
    """Closed-form IL for a move ``P -> kP`` with both prices inside ``[pa, pb]`` (fraction).

    ``IL = (2 sqrt(k) - 1 - k) / (1 + k - sqrt(pa/P) - k sqrt(P/pb))``; for ``pa = P/r``, ``pb = P r``
    this is ``IL_v2 * sqrt(r) / (sqrt(r) - 1)`` with ``IL_v2 = 2 sqrt(k) / (1 + k) - 1``.
    Raises if ``entry_price`` or ``k * entry_price`` is outside the range (the formula would be
    silently wrong there; :meth:`LPPosition.impermanent_loss` holds for any price).

    >>> round(float(impermanent_loss_in_range(1.1, 3000.0, 2500.0, 3600.0)), 6)
    -0.01302
    """
    k = positive("price_ratio", price_ratio)
    p = positive("entry_price", entry_price)
    pa, pb = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    broadcast_shape("impermanent_loss_in_range", price_ratio=k, entry_price=p, price_lower=pa,
                    price_upper=pb)
    tol = 1e-12  # relative: k = pb / P computed in floats may overshoot the edge by an ulp
    for name, x in (("entry_price", p), ("price_ratio * entry_price", k * p)):
        out_of_range = (x < pa * (1 - tol)) | (x > pb * (1 + tol))
        if np.any(out_of_range):
            i = np.unravel_index(np.argmax(out_of_range), np.shape(out_of_range))
            raise LpperpError(
                f"{name} must be inside [price_lower, price_upper] for the in-range formula, got "
                f"{float(np.broadcast_to(x, np.shape(out_of_range))[i])!r} outside "
                f"[{float(np.broadcast_to(pa, np.shape(out_of_range))[i])!r}, "
                f"{float(np.broadcast_to(pb, np.shape(out_of_range))[i])!r}]; "
                "use LPPosition.impermanent_loss for any price"
            )
    # 2 sqrt(k) - 1 - k = -(sqrt(k) - 1)^2, written so that k near 1 keeps full precision
    out = -(((k - 1) / (np.sqrt(k) + 1)) ** 2) / (1 + k - np.sqrt(pa / p) - k * np.sqrt(p / pb))
    return _out(out)


def _tick_range(tick_lower: Any, tick_upper: Any, pool: PoolSpec) -> tuple[float, float]:
    tl = integer("tick_lower", tick_lower, MIN_TICK, MAX_TICK)
    tu = integer("tick_upper", tick_upper, MIN_TICK, MAX_TICK)
    if tl >= tu:
        raise LpperpError(f"tick_lower must be < tick_upper, got {tl} and {tu} (never swapped)")
    spacing = pool.tick_spacing or 1
    for name, t in (("tick_lower", tl), ("tick_upper", tu)):
        if t % spacing:
            raise LpperpError(f"{name}={t} is not a multiple of the pool's tick spacing {spacing}")
    p1, p2 = float(pool.tick_to_price(np.int64(tl))), float(pool.tick_to_price(np.int64(tu)))
    return (min(p1, p2), max(p1, p2))


def _range_from_spec(
    price: float,
    price_lower: Any,
    price_upper: Any,
    width_pct: Any,
    width_factor: Any,
    tick_lower: Any,
    tick_upper: Any,
    pool: PoolSpec | None,
) -> tuple[float, float]:
    given = {
        "price_lower/price_upper": price_lower is not None or price_upper is not None,
        "width_pct": width_pct is not None,
        "width_factor": width_factor is not None,
        "tick_lower/tick_upper": tick_lower is not None or tick_upper is not None,
    }
    chosen = [k for k, v in given.items() if v]
    if len(chosen) != 1:
        raise LpperpError(
            "give the range exactly one way: price_lower and price_upper, width_pct, width_factor, "
            f"or tick_lower and tick_upper (with pool); got {chosen or 'none'}"
        )
    kind = chosen[0]
    if kind == "width_pct":
        w = positive("width_pct", width_pct, scalar=True)
        if w >= 100:
            raise LpperpError(f"width_pct must be in (0, 100), got {width_pct!r}")
        return price * (1 - w / 100), price * (1 + w / 100)
    if kind == "width_factor":
        r = positive("width_factor", width_factor, scalar=True)
        if r <= 1:
            raise LpperpError(f"width_factor must be > 1 (range [P/r, P*r]), got {width_factor!r}")
        return price / r, price * r
    if kind == "tick_lower/tick_upper":
        if pool is None:
            raise LpperpError(
                "a range in ticks needs pool=PoolSpec(...) to convert ticks to prices"
            )
        return _tick_range(tick_lower, tick_upper, pool)
    if price_lower is None or price_upper is None:
        raise LpperpError("give both price_lower and price_upper")
    lo, hi = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    return float(lo), float(hi)

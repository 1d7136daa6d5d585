"""Perpetual futures positions and the margin rules that price them.

:class:`PerpPosition` is one linear perp (PnL in quote units); :class:`MarginRules` is a venue's
initial/maintenance schedule, flat or tiered by notional.

Conventions: ``size`` is signed in base units (``> 0`` long, ``< 0`` short); prices are quote per
base in human units (USDC per ETH); notional ``= |size| * mark`` in quote units; time in years
(``tau_years``), funding rates per year unless the name says ``per_hour``. Funding sign: a positive
rate means longs pay shorts; :meth:`PerpPosition.funding_payment` returns the amount *paid* by this
position (negative = received). Tiered maintenance follows Hyperliquid and Binance USD-M:
``MM(N) = N * rate_k - deduction_k`` on tier ``k`` (``floor_k <= N < floor_{k+1}``) with
``deduction_k = deduction_{k-1} + floor_k * (rate_k - rate_{k-1})`` so that ``MM`` is continuous
(and convex, rates being non-decreasing) in ``N``. Initial margin is built the same way from the
initial rates. Everything is vectorized over mark prices and notionals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lpperp._validate import LpperpError, finite, fraction, nonnegative, positive

__all__ = ["HOURS_PER_YEAR", "MarginRules", "PerpPosition", "hourly_to_yearly_rate"]

#: Hours in a (non-leap, 365-day) year: the annualisation used for hourly funding rates.
HOURS_PER_YEAR = 24.0 * 365.0


def hourly_to_yearly_rate(funding_rate_per_hour: Any) -> float | np.ndarray:
    """Annualise an hourly funding rate: ``rate_per_year = rate_per_hour * 8760`` (no compounding).

    >>> round(hourly_to_yearly_rate(0.0000125), 6)   # Hyperliquid's baseline 0.00125 %/h
    0.1095
    """
    return finite("funding_rate_per_hour", funding_rate_per_hour) * HOURS_PER_YEAR


@dataclass(frozen=True)
class PerpPosition:
    """A linear perpetual future: signed ``size`` (base units), ``entry_price`` (quote per base).

    ``pnl(P) = size * (P - entry_price)``; ``notional(P) = |size| * P``.

    >>> short = PerpPosition(size=-2.0, entry_price=3000.0)
    >>> float(short.pnl(3300.0)), float(short.notional(3300.0))
    (-600.0, 6600.0)
    """

    size: float
    entry_price: float
    market: str = "ETH"

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", finite("size", self.size, scalar=True))
        object.__setattr__(self, "entry_price", positive("entry_price", self.entry_price, scalar=True))
        if not math.isfinite(abs(self.size) * self.entry_price):
            raise LpperpError(
                f"size * entry_price overflows a float (size={self.size!r}, "
                f"entry_price={self.entry_price!r}): the entry notional must be finite"
            )
        if not isinstance(self.market, str) or not self.market:
            raise LpperpError(f"market must be a non-empty string, got {self.market!r}")

    @property
    def side(self) -> int:
        """+1 long, -1 short, 0 flat.

        >>> PerpPosition(-1.0, 3000.0).side
        -1
        """
        return int(np.sign(self.size))

    def pnl(self, mark: Any) -> float | np.ndarray:
        """Unrealized PnL at ``mark`` (quote units): ``size * (mark - entry_price)``.

        >>> float(PerpPosition(1.5, 2000.0).pnl(2100.0))
        150.0
        """
        return self.size * (positive("mark", mark) - self.entry_price)

    def notional(self, mark: Any) -> float | np.ndarray:
        """Position value at ``mark`` (quote units): ``|size| * mark``.

        >>> float(PerpPosition(-3.0, 3000.0).notional(3100.0))
        9300.0
        """
        return abs(self.size) * positive("mark", mark)

    def entry_notional(self) -> float:
        """Notional at entry: ``|size| * entry_price``.

        >>> PerpPosition(2.0, 3000.0).entry_notional()
        6000.0
        """
        return abs(self.size) * self.entry_price

    def funding_payment(
        self, mark: Any, tau_years: Any, funding_rate_per_year: Any
    ) -> float | np.ndarray:
        """Funding paid by this position over ``tau_years`` at constant mark and rate (quote).

        ``payment = size * mark * funding_rate_per_year * tau_years``. A positive rate makes longs
        pay (positive result) and shorts receive (negative result), as on Hyperliquid, dYdX and
        Binance (where the hourly or 8-hourly rate is applied to ``size * oracle_price``).

        >>> float(PerpPosition(2.0, 3000.0).funding_payment(3000.0, 0.5, 0.10))
        300.0
        >>> float(PerpPosition(-2.0, 3000.0).funding_payment(3000.0, 0.5, 0.10))
        -300.0
        """
        mark = positive("mark", mark)
        tau = nonnegative("tau_years", tau_years)
        rate = finite("funding_rate_per_year", funding_rate_per_year)
        return self.size * mark * rate * tau

    def funding_payment_hourly(
        self, mark: Any, hours: Any, funding_rate_per_hour: Any
    ) -> float | np.ndarray:
        """Funding paid over ``hours`` at an hourly rate: ``size * mark * rate_per_hour * hours``.

        >>> float(PerpPosition(1.0, 3000.0).funding_payment_hourly(3000.0, 24, 0.0000125))
        0.9
        """
        hours = nonnegative("hours", hours)
        return self.funding_payment(
            mark, hours / HOURS_PER_YEAR, hourly_to_yearly_rate(funding_rate_per_hour)
        )


def _continuous_deductions(floors: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """``d_k = d_{k-1} + floor_k (rate_k - rate_{k-1})``, ``d_0 = 0``: continuous margin."""
    steps = np.concatenate(([0.0], floors[1:] * np.diff(rates)))
    return np.cumsum(steps)


def _tier_rates(name: str, values: Any, n: int) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(fraction(name, values), dtype=float))
    if arr.shape != (n,):
        raise LpperpError(f"{name} must have one rate per tier floor ({n}), got {arr.shape[0]}")
    if np.any(np.diff(arr) < 0):
        raise LpperpError(f"{name} must be non-decreasing from tier to tier, got {arr.tolist()}")
    return arr


@dataclass(frozen=True)
class MarginRules:
    """A venue's margin schedule: initial and maintenance fractions of notional, flat or tiered.

    Flat: ``MM(N) = maintenance_fraction * N``, ``IM(N) = initial_fraction * N``. Tiered (give
    ``tier_floors`` starting at 0 and ``tier_maintenance``, optionally ``tier_initial``):
    ``MM(N) = N * rate_k - deduction_k`` on the tier containing ``N``, continuous at the floors.
    ``liquidation_fee_fraction`` is the penalty charged on the notional closed at liquidation.

    >>> r = MarginRules("flat", 0.10, 0.05)
    >>> float(r.maintenance_margin(10_000.0)), float(r.initial_margin(10_000.0)), r.max_leverage
    (500.0, 1000.0, 10.0)
    >>> t = MarginRules("tiered", 0.02, 0.01, tier_floors=(0, 1e5), tier_maintenance=(0.01, 0.02))
    >>> float(t.maintenance_margin(100_000.0)), float(t.maintenance_margin(200_000.0))
    (1000.0, 3000.0)
    """

    name: str
    initial_fraction: float
    maintenance_fraction: float
    tier_floors: tuple[float, ...] = (0.0,)
    tier_maintenance: tuple[float, ...] | None = None
    tier_initial: tuple[float, ...] | None = None
    liquidation_fee_fraction: float = 0.0
    source: str = ""
    _floors: np.ndarray = field(init=False, repr=False, compare=False)
    _mm_rates: np.ndarray = field(init=False, repr=False, compare=False)
    _mm_ded: np.ndarray = field(init=False, repr=False, compare=False)
    _im_rates: np.ndarray = field(init=False, repr=False, compare=False)
    _im_ded: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        im = fraction("initial_fraction", self.initial_fraction, closed_low=False, scalar=True)
        mm = fraction("maintenance_fraction", self.maintenance_fraction, scalar=True)
        if mm > im:
            raise LpperpError(
                f"maintenance_fraction must be <= initial_fraction, got {mm} > {im}"
            )
        floors = np.atleast_1d(np.asarray(nonnegative("tier_floors", self.tier_floors)))
        if floors.ndim != 1 or floors.size == 0 or floors[0] != 0.0 or np.any(np.diff(floors) <= 0):
            raise LpperpError(
                "tier_floors must start at 0 and increase strictly (notional, quote units), "
                f"got {floors.tolist()}"
            )
        n = floors.size
        if self.tier_maintenance is None:
            if n != 1:
                raise LpperpError("tier_maintenance is required when several tier_floors are given")
            mm_rates = np.array([mm])
        else:
            mm_rates = _tier_rates("tier_maintenance", self.tier_maintenance, n)
            if not np.isclose(mm_rates[0], mm, rtol=1e-12, atol=0.0):
                raise LpperpError(
                    f"maintenance_fraction ({mm}) must equal the first tier rate "
                    f"tier_maintenance[0] ({mm_rates[0]})"
                )
        if self.tier_initial is None:
            # Keep the first tier's ratio initial / maintenance on every tier (capped at 1).
            im_rates = np.minimum(mm_rates * (im / mm), 1.0) if mm > 0 else np.full(n, im)
        else:
            im_rates = _tier_rates("tier_initial", self.tier_initial, n)
            if not np.isclose(im_rates[0], im, rtol=1e-12, atol=0.0):
                raise LpperpError(
                    f"initial_fraction ({im}) must equal tier_initial[0] ({im_rates[0]})"
                )
        if np.any(mm_rates > im_rates * (1 + 1e-12)):
            raise LpperpError(
                "every tier's maintenance rate must be <= its initial rate, got "
                f"maintenance {mm_rates.tolist()} and initial {im_rates.tolist()}"
            )
        fee = fraction("liquidation_fee_fraction", self.liquidation_fee_fraction, scalar=True)
        if not isinstance(self.name, str):
            raise LpperpError(f"name must be a string, got {self.name!r}")
        object.__setattr__(self, "initial_fraction", im)
        object.__setattr__(self, "maintenance_fraction", mm)
        object.__setattr__(self, "tier_floors", tuple(floors.tolist()))
        object.__setattr__(self, "liquidation_fee_fraction", fee)
        if self.tier_maintenance is not None:
            object.__setattr__(self, "tier_maintenance", tuple(mm_rates.tolist()))
        if self.tier_initial is not None:
            object.__setattr__(self, "tier_initial", tuple(im_rates.tolist()))
        for arr in (floors, mm_rates, im_rates):
            arr.setflags(write=False)
        mm_ded = _continuous_deductions(floors, mm_rates)
        im_ded = _continuous_deductions(floors, im_rates)
        mm_ded.setflags(write=False)
        im_ded.setflags(write=False)
        object.__setattr__(self, "_floors", floors)
        object.__setattr__(self, "_mm_rates", mm_rates)
        object.__setattr__(self, "_mm_ded", mm_ded)
        object.__setattr__(self, "_im_rates", im_rates)
        object.__setattr__(self, "_im_ded", im_ded)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_max_leverage(
        cls,
        max_leverage: float,
        *,
        name: str = "",
        tier_floors: tuple[float, ...] = (0.0,),
        tier_max_leverage: tuple[float, ...] | None = None,
        liquidation_fee_fraction: float = 0.0,
        source: str = "",
    ) -> MarginRules:
        """Hyperliquid-style rules: ``IMF = 1 / max_leverage``, ``MMF = 1 / (2 max_leverage)``.

        With tiers, ``tier_max_leverage[k]`` is the max leverage on tier ``k`` (the first one
        must equal ``max_leverage``).

        >>> r = MarginRules.from_max_leverage(50)
        >>> r.initial_fraction, r.maintenance_fraction
        (0.02, 0.01)
        """
        lev = positive("max_leverage", max_leverage, scalar=True)
        if lev < 1:
            raise LpperpError(f"max_leverage must be >= 1, got {lev}")
        if not isinstance(name, str):
            raise LpperpError(f"name must be a string, got {type(name).__name__} {name!r:.60}")
        if not isinstance(tier_floors, (tuple, list, np.ndarray)):
            raise LpperpError(
                f"tier_floors must be a sequence of notionals starting at 0, got "
                f"{type(tier_floors).__name__} {tier_floors!r:.60}"
            )
        if tier_max_leverage is None:
            tier_im = None
        else:
            levs = np.atleast_1d(np.asarray(positive("tier_max_leverage", tier_max_leverage)))
            tier_im = tuple((1.0 / levs).tolist())
        return cls(
            name=name or f"{lev:g}x (MMF = 1/(2 max lev))",
            initial_fraction=1.0 / lev,
            maintenance_fraction=0.5 / lev,
            tier_floors=tuple(tier_floors),
            tier_maintenance=None if tier_im is None else tuple(0.5 * x for x in tier_im),
            tier_initial=tier_im,
            liquidation_fee_fraction=liquidation_fee_fraction,
            source=source,
        )

    # -- schedule -----------------------------------------------------------------------------
    @property
    def max_leverage(self) -> float:
        """Max leverage on the first tier: ``1 / initial_fraction``.

        >>> MarginRules("x", 0.05, 0.03).max_leverage
        20.0
        """
        return 1.0 / self.initial_fraction

    @property
    def is_tiered(self) -> bool:
        """True when the schedule has more than one tier.

        >>> MarginRules("x", 0.05, 0.03).is_tiered
        False
        """
        return len(self.tier_floors) > 1

    def maintenance_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(floors, rates, deductions)``: ``MM(N) = N rates[k] - deductions[k]`` on tier k.

        >>> f, r, d = MarginRules("t", 0.02, 0.01, (0, 1e5), (0.01, 0.02)).maintenance_pieces()
        >>> d.tolist()
        [0.0, 1000.0]
        """
        return self._floors, self._mm_rates, self._mm_ded

    def initial_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(floors, rates, deductions)`` of the initial-margin schedule (as maintenance).

        >>> MarginRules("x", 0.1, 0.05).initial_pieces()[1].tolist()
        [0.1]
        """
        return self._floors, self._im_rates, self._im_ded

    def _piecewise(self, notional: Any, rates: np.ndarray, deductions: np.ndarray) -> Any:
        """``N * rate_k - deduction_k`` on the tier ``k`` containing each notional (quote units)."""
        n = nonnegative("notional", notional)
        k = np.searchsorted(self._floors, n, side="right") - 1
        out = n * rates[k] - deductions[k]
        return float(out) if np.ndim(out) == 0 else out

    def tier_index(self, notional: Any) -> np.ndarray | int:
        """Index of the tier containing ``notional`` (``floor_k <= N < floor_{k+1}``).

        >>> r = MarginRules("t", 0.02, 0.01, (0, 1e5), (0.01, 0.02))
        >>> r.tier_index([5e4, 1e5, 2e5]).tolist()
        [0, 1, 1]
        """
        n = nonnegative("notional", notional)
        k = np.searchsorted(self._floors, n, side="right") - 1
        return int(k) if np.ndim(k) == 0 else k

    def maintenance_rate(self, notional: Any) -> float | np.ndarray:
        """Marginal maintenance rate at ``notional`` (the tier's rate).

        >>> float(MarginRules("t", 0.02, 0.01, (0, 1e5), (0.01, 0.02)).maintenance_rate(2e5))
        0.02
        """
        r = self._mm_rates[self.tier_index(notional)]
        return float(r) if np.ndim(r) == 0 else r

    def maintenance_margin(self, notional: Any) -> float | np.ndarray:
        """Maintenance requirement (quote units): ``N * rate_k - deduction_k``.

        >>> float(MarginRules("x", 0.1, 0.05).maintenance_margin(3000.0))
        150.0
        """
        return self._piecewise(notional, self._mm_rates, self._mm_ded)

    def initial_margin(self, notional: Any) -> float | np.ndarray:
        """Initial requirement (quote units): ``N * initial_rate_k - initial_deduction_k``.

        >>> float(MarginRules("x", 0.1, 0.05).initial_margin(3000.0))
        300.0
        """
        return self._piecewise(notional, self._im_rates, self._im_ded)

    def liquidation_fee(self, notional: Any) -> float | np.ndarray:
        """Penalty charged when ``notional`` is liquidated: ``liquidation_fee_fraction * N``.

        >>> float(MarginRules("x", 0.1, 0.05, liquidation_fee_fraction=0.01).liquidation_fee(1e4))
        100.0
        """
        return self.liquidation_fee_fraction * nonnegative("notional", notional)

"""Scenarios and results behind the explorers: frozen inputs in, frozen arrays out, no plotting.

An explorer reads its controls into a *scenario* (a frozen dataclass validated on construction, so a
typo raises ``ValueError`` before anything is drawn), calls a ``compute_*`` function that evaluates the
library vectorized over a price grid, and hands the frozen *result* to a figure updater. Results also
render themselves as an HTML table (``_repr_html_``) so a notebook can show the numbers without any
widget.

Conventions: prices are quote per base in human units (USDC per ETH); values, deposits and equity in
quote units; ``width_pct=10`` means the range ``[P0 (1 - 0.10), P0 (1 + 0.10)]`` around the entry price
``P0``; impermanent loss is a fraction of the hold value (``<= 0``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from lpperp._validate import (
    LpperpError,
    finite,
    nonnegative,
    one_of,
    ordered_range,
    positive,
    renamed,
)
from lpperp.collateral import CollateralModel, StaticFactor
from lpperp.liquidation import LiquidationResult, boundary_map, health_map
from lpperp.margin import AccountSummary, CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.scenario import (
    COLLATERAL_MODELS,
    SEED,
    VENUE_CHOICES,
    AccountSpec,
    LPSpec,
    PerpSpec,
    ScenarioSpec,
    collateral_model,
    margin_rules,
)

from .text import fmt_num, html_table

__all__ = [
    "COLLATERAL_MODELS",
    "GRID_POINTS",
    "VENUE_CHOICES",
    "HealthResult",
    "HealthScenario",
    "LPResult",
    "LPScenario",
    "MapResult",
    "MapScenario",
    "WalletResult",
    "WalletScenario",
    "collateral_model",
    "compute_health",
    "compute_lp",
    "compute_map",
    "compute_wallet",
    "margin_rules",
    "price_grid",
]

#: Points on the price axis of every explorer (the benchmark's "2,000-point grid").
GRID_POINTS = 2000


def price_grid(
    entry_price: float,
    *,
    include: tuple[float, ...] = (),
    n: int | None = None,
    low: float = 0.3,
    high: float = 2.0,
) -> np.ndarray:
    """A linear price grid covering ``[low, high] * entry_price`` widened to show ``include``.

    Points of interest (range bounds, liquidation prices) widen the grid by 10 % on their side, but
    never beyond ``[0.02, 10] * entry_price``, so a far-away boundary does not squash the plot.

    >>> g = price_grid(3000.0, include=(500.0,), n=5)
    >>> float(g[0]), float(g[-1]), g.shape
    (450.0, 6000.0, (5,))
    """
    e = positive("entry_price", entry_price)
    lo, hi = low * e, high * e
    pts = np.asarray([x for x in include if x is not None and np.isfinite(x) and x > 0], dtype=float)
    if pts.size:
        lo = min(lo, 0.9 * float(pts.min()))
        hi = max(hi, 1.1 * float(pts.max()))
    lo, hi = max(lo, 0.02 * e), min(hi, 10.0 * e)
    return np.linspace(lo, hi, int(GRID_POINTS if n is None else n))


def _range_bounds(
    entry_price: float,
    width_pct: float | None,
    price_lower: float | None,
    price_upper: float | None,
) -> tuple[float, float]:
    """Range ``[pa, pb]`` from a width in percent or from explicit bounds (exactly one)."""
    if (width_pct is None) == (price_lower is None and price_upper is None):
        raise LpperpError("give either width_pct or both price_lower and price_upper")
    if width_pct is not None:
        w = positive("width_pct", width_pct)
        if w >= 100:
            raise LpperpError(
                f"width_pct must be in (0, 100): the lower bound P0 (1 - width/100) must stay > 0, "
                f"got {w!r}"
            )
        return entry_price * (1 - w / 100), entry_price * (1 + w / 100)
    lo, hi = ordered_range("price_lower", price_lower, "price_upper", price_upper)
    return float(lo), float(hi)


@dataclass(frozen=True)
class LPScenario:
    """One LP deposit observed at a current price.

    Parameters
    ----------
    price : current price (quote per base).
    entry_price : price at which ``deposit`` was put into the range.
    deposit : value deposited at ``entry_price``, quote units.
    width_pct : half-width of the range around ``entry_price`` in percent, in ``(0, 100)``; or give
        ``price_lower`` and ``price_upper`` instead.

    >>> s = LPScenario(price=3300.0, entry_price=3000.0, deposit=10_000.0, width_pct=10)
    >>> s.price_lower, round(s.price_upper, 6)
    (2700.0, 3300.0)
    >>> LPScenario(price=-1.0, entry_price=3000.0, deposit=1.0, width_pct=10)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: price must be a finite number > 0, got -1.0
    """

    price: float
    entry_price: float = 3000.0
    deposit: float = 10_000.0
    width_pct: float | None = 10.0
    price_lower: float | None = None
    price_upper: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", positive("price", self.price))
        object.__setattr__(self, "entry_price", positive("entry_price", self.entry_price))
        object.__setattr__(self, "deposit", positive("deposit", self.deposit))
        lo, hi = _range_bounds(self.entry_price, self.width_pct, self.price_lower, self.price_upper)
        object.__setattr__(self, "price_lower", lo)
        object.__setattr__(self, "price_upper", hi)
        if self.width_pct is not None:
            object.__setattr__(self, "width_pct", float(self.width_pct))

    def position(self) -> LPPosition:
        """The :class:`~lpperp.position.LPPosition` this scenario describes."""
        return LPPosition.from_deposit(
            self.deposit, self.entry_price, price_lower=self.price_lower,
            price_upper=self.price_upper,
        )


@dataclass(frozen=True, eq=False)
class LPResult:
    """LP value, hold value, impermanent loss and amounts over a price grid, plus the current point.

    Arrays have the grid's shape; ``*_now`` fields are at ``scenario.price``.
    """

    scenario: LPScenario
    position: LPPosition
    grid: np.ndarray
    value: np.ndarray
    hold_value: np.ndarray
    il: np.ndarray
    value_now: float
    hold_now: float
    il_now: float
    base_now: float
    quote_now: float
    in_range_now: bool
    readout: dict[str, float] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        s = self.scenario
        rows = [
            ("price", f"{s.price:,.2f}"),
            ("range", f"[{s.price_lower:,.2f}, {s.price_upper:,.2f}]"),
            ("in range", "yes" if self.in_range_now else "no"),
            ("LP value", f"{self.value_now:,.2f}"),
            ("hold value", f"{self.hold_now:,.2f}"),
            ("impermanent loss", f"{100 * self.il_now:.3f} %"),
            ("base held", f"{self.base_now:,.6f}"),
            ("quote held", f"{self.quote_now:,.2f}"),
        ]
        return html_table(rows, "LP position")


def compute_lp(scenario: LPScenario, grid: np.ndarray | None = None) -> LPResult:
    """Evaluate the scenario's LP over ``grid`` (default :func:`price_grid` around the entry).

    >>> r = compute_lp(LPScenario(price=3000.0, width_pct=10))
    >>> round(r.value_now, 6), abs(round(r.il_now, 12)), r.grid.shape
    (10000.0, 0.0, (2000,))
    """
    s = scenario
    pos = s.position()
    if grid is None:
        grid = price_grid(s.entry_price, include=(s.price_lower, s.price_upper, s.price))
    grid = finite("grid", grid)
    value = pos.value(grid)
    hold = pos.hold_value(grid, s.entry_price)
    il = pos.impermanent_loss(grid, s.entry_price)
    base_now, quote_now = pos.amounts(s.price)
    value_now = float(pos.value(s.price))
    hold_now = float(pos.hold_value(s.price, s.entry_price))
    il_now = float(pos.impermanent_loss(s.price, s.entry_price))
    readout = {
        "price": s.price,
        "value": value_now,
        "hold_value": hold_now,
        "il_pct": 100 * il_now,
        "base": float(base_now),
        "quote": float(quote_now),
    }
    return LPResult(
        scenario=s, position=pos, grid=grid, value=value, hold_value=hold, il=il,
        value_now=value_now, hold_now=hold_now, il_now=il_now, base_now=float(base_now),
        quote_now=float(quote_now), in_range_now=bool(pos.in_range(s.price)), readout=readout,
    )


# ------------------------------------------------------------------------------------------------
# LP as perp collateral: one LP, one perp, isolated or cross with the rest of the wallet
# ------------------------------------------------------------------------------------------------


_SEED_LP, _SEED_PERP, _SEED_ACCT = SEED.lp_spec, SEED.perp_spec, SEED.account_spec


@dataclass(frozen=True)
class HealthScenario:
    """An LP deposit posted as margin for a perp opened at the same entry price (the explorer's flat
    view of a :class:`lpperp.scenario.ScenarioSpec`; defaults are :data:`lpperp.scenario.SEED`).

    The perp's size is set by ``leverage`` = perp notional at entry / LP deposit value at entry, as
    in :mod:`lpperp.simulate`: ``|q| = leverage * deposit / P0``, signed by ``side``. The collateral
    model does not change the perp: a lower factor is less collateral for the same perp, so lower
    health. ``mode="isolated"``: the LP alone backs the perp. ``mode="cross"``: the rest of the
    wallet (``wallet_cash``, quote units) backs it too - the same trade, more collateral, more at
    risk.

    >>> s = HealthScenario(price=3000.0, leverage=3.0, side="short", collateral="static", cf=0.8)
    >>> round(s.perp().size, 6)
    -10.0
    >>> HealthScenario(price=3000.0, leverage=0.0)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: leverage must be a finite number > 0, got 0.0
    """

    price: float
    entry_price: float = _SEED_LP.entry_price
    deposit: float = _SEED_LP.deposit
    width_pct: float | None = _SEED_LP.width_pct
    price_lower: float | None = None
    price_upper: float | None = None
    leverage: float = _SEED_PERP.leverage
    side: str = _SEED_PERP.side
    mode: str = _SEED_ACCT.mode
    wallet_cash: float = _SEED_ACCT.wallet_cash
    collateral: str = _SEED_ACCT.collateral
    cf: float = _SEED_ACCT.cf
    shock_pct: float = _SEED_ACCT.shock_pct
    sigma_per_year: float = _SEED_ACCT.sigma_per_year
    venue: str = _SEED_ACCT.venue

    def __post_init__(self) -> None:
        lp = LPScenario(self.price, self.entry_price, self.deposit, self.width_pct,
                        self.price_lower, self.price_upper)
        for name in ("price", "entry_price", "deposit", "width_pct", "price_lower", "price_upper"):
            object.__setattr__(self, name, getattr(lp, name))
        object.__setattr__(self, "leverage", positive("leverage", self.leverage, scalar=True))
        one_of("side", self.side, ("long", "short"))
        one_of("mode", self.mode, ("isolated", "cross"))
        object.__setattr__(self, "wallet_cash", nonnegative("wallet_cash", self.wallet_cash,
                                                            scalar=True))
        one_of("venue", self.venue, VENUE_CHOICES)
        self.model()  # validates the model parameters (cf in [0, 1], shock in [0, 100), ...)

    @classmethod
    def from_spec(cls, spec: ScenarioSpec) -> HealthScenario:
        """The explorer's view of a :class:`~lpperp.scenario.ScenarioSpec`."""
        lp, perp, a = spec.lp_spec, spec.perp_spec, spec.account_spec
        return cls(price=spec.price, entry_price=lp.entry_price, deposit=lp.deposit,
                   width_pct=lp.width_pct, price_lower=lp.price_lower, price_upper=lp.price_upper,
                   leverage=perp.leverage, side=perp.side, mode=a.mode, wallet_cash=a.wallet_cash,
                   collateral=a.collateral, cf=a.cf, shock_pct=a.shock_pct,
                   sigma_per_year=a.sigma_per_year, venue=a.venue)

    def to_spec(self) -> ScenarioSpec:
        """This scenario as a :class:`~lpperp.scenario.ScenarioSpec` (for ``to_code``, ``simulate``).

        >>> HealthScenario(price=3000.0).to_spec() == SEED
        True
        """
        by_width = self.width_pct is not None
        lp = LPSpec(entry_price=self.entry_price, deposit=self.deposit, width_pct=self.width_pct,
                    price_lower=None if by_width else self.price_lower,
                    price_upper=None if by_width else self.price_upper)
        return ScenarioSpec(
            price=self.price, lp_spec=lp, perp_spec=PerpSpec(self.leverage, self.side),
            account_spec=AccountSpec(mode=self.mode, collateral=self.collateral, cf=self.cf,
                                     shock_pct=self.shock_pct,
                                     sigma_per_year=self.sigma_per_year, venue=self.venue,
                                     wallet_cash=self.wallet_cash),
            run_spec=SEED.run_spec,
        )

    def lp(self) -> LPPosition:
        return LPPosition.from_deposit(self.deposit, self.entry_price,
                                       price_lower=self.price_lower, price_upper=self.price_upper)

    def model(self) -> CollateralModel:
        return collateral_model(self.collateral, cf=self.cf, shock_pct=self.shock_pct,
                                sigma_per_year=self.sigma_per_year)

    def rules(self) -> MarginRules:
        return margin_rules(self.venue)

    def perp(self) -> PerpPosition:
        sign = 1.0 if self.side == "long" else -1.0
        return PerpPosition(sign * self.leverage * self.deposit / self.entry_price,
                            self.entry_price)

    def account(self) -> IsolatedAccount | CrossAccount:
        """The margin account: isolated (LP only) or cross (LP + wallet cash)."""
        if self.mode == "isolated":
            return IsolatedAccount(self.perp(), self.lp(), 0.0, self.model(), self.rules())
        return CrossAccount((self.perp(),), (self.lp(),), self.wallet_cash, self.model(),
                            self.rules())


def _zones(boundaries: np.ndarray, lo: float, hi: float, g: Callable[[np.ndarray], np.ndarray]
           ) -> list[tuple[float, float]]:
    """Liquidatable intervals within ``[lo, hi]``, split at the boundaries, classified by ``g``."""
    b = np.sort(boundaries[np.isfinite(boundaries) & (boundaries > lo) & (boundaries < hi)])
    edges = np.concatenate(([lo], b, [hi]))
    mids = np.sqrt(edges[:-1] * edges[1:])
    bad = np.asarray(g(mids)) < 0
    return [(float(a), float(z)) for a, z, x in zip(edges[:-1], edges[1:], bad, strict=True) if x]


@dataclass(frozen=True, eq=False)
class HealthResult:
    """Equity, maintenance and LP curves over a price grid; boundaries; the summary now."""

    scenario: HealthScenario
    account: Any
    lp: LPPosition
    grid: np.ndarray
    equity: np.ndarray
    maintenance: np.ndarray
    lp_value: np.ndarray
    collateral_value: np.ndarray
    il: np.ndarray
    boundaries: np.ndarray
    zones: list[tuple[float, float]]
    summary: AccountSummary
    liquidation: LiquidationResult
    base_now: float
    quote_now: float
    readout: dict[str, float] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        s = self.scenario
        title = (f"{s.mode} account: LP [{s.price_lower:,.0f}, {s.price_upper:,.0f}], "
                 f"{s.side} {abs(self.account_perp_size):,.4f} at {s.entry_price:,.2f}, "
                 f"price {s.price:,.2f}")
        return f"<p>{html.escape(title)}</p>" + self.summary._repr_html_()

    @property
    def account_perp_size(self) -> float:
        return self.scenario.perp().size


@dataclass(frozen=True, eq=False)
class _HealthAtEntry:
    """What a :class:`HealthScenario` fixes whatever the price: its account, its LP and the
    entry price (of the perp and of the LP deposit: the IL's reference)."""

    account: IsolatedAccount | CrossAccount
    lp: LPPosition
    entry_price: float


@lru_cache(maxsize=16)
def _health_at_entry(key: HealthScenario) -> _HealthAtEntry:
    return _HealthAtEntry(key.account(), key.lp(), key.entry_price)


def _curves(fixed: _HealthAtEntry, grid: np.ndarray, boundaries: np.ndarray) -> tuple[Any, ...]:
    """``grid`` and the equity, maintenance, LP value, collateral value and IL along it, and the
    liquidatable zones between ``boundaries``."""
    acct, lp = fixed.account, fixed.lp

    def g(p: np.ndarray) -> np.ndarray:
        return np.asarray(acct.equity(p)) - np.asarray(acct.maintenance_requirement(p))

    return (grid, np.asarray(acct.equity(grid)), np.asarray(acct.maintenance_requirement(grid)),
            np.asarray(lp.value(grid)), np.asarray(acct.collateral_value(grid)),
            np.asarray(lp.impermanent_loss(grid, fixed.entry_price)),
            _zones(boundaries, float(grid[0]), float(grid[-1]), g))


@lru_cache(maxsize=16)
def _health_curves(fixed: _HealthAtEntry, boundaries: bytes, lo: float, hi: float, n: int
                   ) -> tuple[Any, ...]:
    """:func:`_curves` along ``linspace(lo, hi, n)`` (``boundaries`` as float64 bytes), read-only:
    they depend on the grid, not on where the price sits on it (a price move recomputes none)."""
    out = _curves(fixed, np.linspace(lo, hi, n), np.frombuffer(boundaries))
    for a in out[:6]:
        a.flags.writeable = False
    return out


def compute_health(scenario: HealthScenario, grid: np.ndarray | None = None) -> HealthResult:
    """Evaluate the account over a price grid, its exact liquidation boundaries and its summary.

    A move of the price alone recomputes only what depends on it - the summary at that price
    (one liquidation solve) and the holdings - and reuses the account and the curves along the
    grid (cached on the rest of the scenario and the grid, as in :func:`compute_wallet`).

    >>> r = compute_health(HealthScenario(price=3000.0, leverage=3.0, side="short"))
    >>> b = r.summary.liquidation_above
    >>> abs(float(r.account.equity(b) - r.account.maintenance_requirement(b))) < 1e-6
    True
    """
    s = scenario
    # the account does not depend on the price (the range is kept as bounds: same account)
    fixed = _health_at_entry(replace(s, price=s.entry_price, width_pct=None))
    acct, lp = fixed.account, fixed.lp
    liq = acct.liquidation(s.price)
    bnd = np.asarray(liq.boundaries, dtype=float).reshape(-1)
    summary = acct.summary(s.price, liquidation=liq)  # the boundaries solved once
    if grid is None:
        near = [x for x in (summary.liquidation_below, summary.liquidation_above) if np.isfinite(x)]
        grid = price_grid(s.entry_price, include=(s.price_lower, s.price_upper, s.price, *near))
    grid = positive("grid", grid)
    lo, hi = float(grid[0]), float(grid[-1])
    if grid.ndim == 1 and grid.size > 1 and np.array_equal(grid, np.linspace(lo, hi, grid.size)):
        curves = _health_curves(fixed, np.ascontiguousarray(bnd, dtype=np.float64).tobytes(),
                                lo, hi, grid.size)
    else:
        curves = _curves(fixed, grid, bnd)
    grid, equity, mm, lp_value, coll_value, il, zones = curves
    base_now, quote_now = lp.amounts(s.price)
    readout = {
        "health": summary.health,
        "liquidation_below": summary.liquidation_below,
        "liquidation_above": summary.liquidation_above,
        "distance_pct": summary.distance_pct,
        "account_leverage": summary.account_leverage,
        "free_collateral": summary.free_collateral,
        "equity": summary.equity,
        "maintenance": summary.maintenance,
    }
    return HealthResult(
        scenario=s, account=acct, lp=lp, grid=grid, equity=equity, maintenance=mm,
        lp_value=lp_value, collateral_value=coll_value, il=il, boundaries=bnd, zones=zones,
        summary=summary, liquidation=liq, base_now=float(base_now), quote_now=float(quote_now),
        readout=readout,
    )


# ------------------------------------------------------------------------------------------------
# Cross vs isolated: one wallet, two LPs and two perps (ETH and BTC), two margin modes
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WalletScenario:
    """A wallet with an ETH/USDC LP backing an ETH short and a WBTC/USDC LP backing a BTC long.

    ``price`` is the ETH market price (USDC per ETH), ``btc_price`` BTC's. ``isolated``: two
    accounts, each perp backed by its own LP; ``wallet_cash`` stays in the wallet, out of reach.
    ``cross``: one account, both LPs and ``wallet_cash`` back both perps. Leverage per perp =
    notional at entry / its LP's deposit value at entry (as everywhere); the LPs count at the
    static factor ``cf``. The old keywords ``eth_price=`` and ``spare_cash=`` work for one more
    release with a ``DeprecationWarning`` (CONTRIBUTING's glossary: a market price is ``price``,
    the gas token's is ``gas_token_price``; cash outside the LP is ``wallet_cash``).

    >>> w = WalletScenario(price=3000.0, btc_price=60_000.0)
    >>> [a.market for a in w.isolated_accounts()]
    ['ETH', 'BTC']
    """

    price: float
    btc_price: float
    eth_entry: float = 3000.0
    btc_entry: float = 60_000.0
    eth_deposit: float = 10_000.0
    btc_deposit: float = 10_000.0
    eth_width_pct: float = _SEED_LP.width_pct  # type: ignore[assignment]
    btc_width_pct: float = 20.0
    eth_leverage: float = _SEED_PERP.leverage
    btc_leverage: float = _SEED_PERP.leverage
    wallet_cash: float = _SEED_ACCT.wallet_cash
    cf: float = _SEED_ACCT.cf
    venue: str = _SEED_ACCT.venue

    def __post_init__(self) -> None:
        for name in ("price", "btc_price", "eth_entry", "btc_entry", "eth_deposit",
                     "btc_deposit", "eth_leverage", "btc_leverage"):
            object.__setattr__(self, name, positive(name, getattr(self, name)))
        for name in ("eth_width_pct", "btc_width_pct"):
            w = positive(name, getattr(self, name))
            if w >= 100:
                raise LpperpError(f"{name} must be in (0, 100), got {w!r}")
            object.__setattr__(self, name, w)
        object.__setattr__(self, "wallet_cash", nonnegative("wallet_cash", self.wallet_cash))
        object.__setattr__(self, "cf", positive("cf", self.cf, scalar=True))
        StaticFactor(self.cf)  # validates cf <= 1
        one_of("venue", self.venue, VENUE_CHOICES)

    def lps(self) -> tuple[LPPosition, LPPosition]:
        return (LPPosition.from_deposit(self.eth_deposit, self.eth_entry,
                                        width_pct=self.eth_width_pct),
                LPPosition.from_deposit(self.btc_deposit, self.btc_entry,
                                        width_pct=self.btc_width_pct))

    def perps(self) -> tuple[PerpPosition, PerpPosition]:
        eth = -self.eth_leverage * self.eth_deposit / self.eth_entry
        btc = self.btc_leverage * self.btc_deposit / self.btc_entry
        return PerpPosition(eth, self.eth_entry, "ETH"), PerpPosition(btc, self.btc_entry, "BTC")

    def isolated_accounts(self) -> tuple[IsolatedAccount, IsolatedAccount]:
        (lp_e, lp_b), (p_e, p_b) = self.lps(), self.perps()
        model, rules = StaticFactor(self.cf), margin_rules(self.venue)
        return (IsolatedAccount(p_e, lp_e, 0.0, model, rules),
                IsolatedAccount(p_b, lp_b, 0.0, model, rules))

    def cross_account(self) -> CrossAccount:
        return CrossAccount(self.perps(), self.lps(), self.wallet_cash, StaticFactor(self.cf),
                            margin_rules(self.venue), lp_markets=("ETH", "BTC"))

    @property
    def prices(self) -> dict[str, float]:
        return {"ETH": self.price, "BTC": self.btc_price}

    @property
    def eth_price(self) -> float:
        """Deprecated name of :attr:`price` (kept one release)."""
        _deprecated_attribute("eth_price", "price")
        return self.price

    @property
    def spare_cash(self) -> float:
        """Deprecated name of :attr:`wallet_cash` (kept one release)."""
        _deprecated_attribute("spare_cash", "wallet_cash")
        return self.wallet_cash


WalletScenario.__init__ = renamed(eth_price="price", spare_cash="wallet_cash")(  # type: ignore[method-assign]
    WalletScenario.__init__)


def _deprecated_attribute(old: str, new: str) -> None:
    import warnings

    warnings.warn(f"WalletScenario.{old} is now WalletScenario.{new} (the old name goes in the "
                  "next release; see CONTRIBUTING.md's glossary)", DeprecationWarning,
                  stacklevel=3)


@dataclass(frozen=True, eq=False)
class WalletResult:
    """Margin buffers (equity - maintenance) along the ETH price, per mode, and summaries."""

    scenario: WalletScenario
    grid: np.ndarray
    buffer_iso_eth: np.ndarray
    buffer_iso_btc: np.ndarray
    buffer_cross: np.ndarray
    boundaries_iso_eth: np.ndarray
    boundaries_cross: np.ndarray
    zones_iso_eth: list[tuple[float, float]]
    zones_iso_btc: list[tuple[float, float]]
    zones_cross: list[tuple[float, float]]
    iso_eth: AccountSummary
    iso_btc: AccountSummary
    cross_eth: AccountSummary
    cross_btc: AccountSummary
    at_risk: dict[str, float]

    def rows(self) -> list[tuple[str, tuple[float, float, float]]]:
        """Readout rows: (label, (isolated ETH, isolated BTC, cross))."""
        i, b, c, cb = self.iso_eth, self.iso_btc, self.cross_eth, self.cross_btc
        return [
            ("equity", (i.equity, b.equity, c.equity)),
            ("health", (i.health, b.health, c.health)),
            ("ETH liquidation below", (i.liquidation_below, np.nan, c.liquidation_below)),
            ("ETH liquidation above", (i.liquidation_above, np.nan, c.liquidation_above)),
            ("BTC liquidation below", (np.nan, b.liquidation_below, cb.liquidation_below)),
            ("BTC liquidation above", (np.nan, b.liquidation_above, cb.liquidation_above)),
            ("at risk (max loss)", (self.at_risk["iso_eth"], self.at_risk["iso_btc"],
                                    self.at_risk["cross"])),
        ]

    def _repr_html_(self) -> str:
        return html_table([(k, tuple(fmt_num(x) for x in v)) for k, v in self.rows()],
                          header=("isolated: ETH account", "isolated: BTC account",
                                  "cross: one account"))


@dataclass(frozen=True, eq=False)
class _WalletAtEntry:
    """What a :class:`WalletScenario` fixes whatever the ETH price: the accounts, every exact
    boundary along the ETH price (the solver returns all of them; the price only picks the
    nearest), and the isolated BTC account at ``btc_price``."""

    iso_e: IsolatedAccount
    iso_b: IsolatedAccount
    cross: CrossAccount
    lp_e: LPPosition
    b_iso: np.ndarray
    b_cross: np.ndarray
    iso_btc: AccountSummary
    g_b: float


@lru_cache(maxsize=16)
def _wallet_at_entry(key: WalletScenario) -> _WalletAtEntry:
    iso_e, iso_b = key.isolated_accounts()
    cross = key.cross_account()
    b_iso = np.asarray(iso_e.liquidation(key.price).boundaries, dtype=float).reshape(-1)
    b_cross = np.asarray(cross.liquidation(key.prices, market="ETH").boundaries,
                         dtype=float).reshape(-1)
    for b in (b_iso, b_cross):
        b.flags.writeable = False
    g_b = float(iso_b.equity(key.btc_price) - iso_b.maintenance_requirement(key.btc_price))
    return _WalletAtEntry(iso_e, iso_b, cross, key.lps()[0], b_iso, b_cross,
                          iso_b.summary(key.btc_price), g_b)


@lru_cache(maxsize=16)
def _wallet_curves(fixed: _WalletAtEntry, btc_price: float, lo: float, hi: float, n: int
                   ) -> tuple[np.ndarray, ...]:
    """The margin buffers along the grid ``linspace(lo, hi, n)`` and the liquidatable zones: they
    depend on the grid, not on where the ETH price sits on it (a price move redraws none of it)."""
    grid = np.linspace(lo, hi, n)
    iso_e, cross = fixed.iso_e, fixed.cross

    def g_iso(p: np.ndarray) -> np.ndarray:
        return np.asarray(iso_e.margin_gap(p))

    def g_cross(p: np.ndarray) -> np.ndarray:
        return np.asarray(cross.margin_gap({"ETH": p, "BTC": btc_price}))

    out = (grid, g_iso(grid), np.full_like(grid, fixed.g_b), g_cross(grid))
    for a in out:
        a.flags.writeable = False
    return (*out, _zones(fixed.b_iso, lo, hi, g_iso), _zones(fixed.b_cross, lo, hi, g_cross))


def compute_wallet(scenario: WalletScenario, grid: np.ndarray | None = None) -> WalletResult:
    """Both modes along the ETH price (BTC held at ``btc_price``), with exact boundaries.

    A move of the ETH price alone recomputes only what depends on it - the three summaries at
    that price (two liquidation solves) - and reuses the accounts, the boundaries, the isolated
    BTC account and the curves along the grid (cached on the rest of the scenario): 120 of the
    135 ms a price step took on the loaded 2-core test machine were spent on the rest.

    >>> r = compute_wallet(WalletScenario(price=3000.0, btc_price=60_000.0))
    >>> bool(r.cross_eth.liquidation_above > r.iso_eth.liquidation_above)
    True
    """
    s = scenario
    fixed = _wallet_at_entry(replace(s, price=s.eth_entry))
    iso_e, cross = fixed.iso_e, fixed.cross
    liq_iso = iso_e.liquidation(s.price)
    liq_cross = cross.liquidation(s.prices, market="ETH")
    iso_eth = iso_e.summary(s.price, liquidation=liq_iso)  # the boundaries solved once
    iso_btc = fixed.iso_btc
    cross_eth = cross.summary(s.prices, market="ETH", liquidation=liq_cross)
    # the same account at the same prices: only the boundaries along BTC differ
    liq_btc = cross.liquidation(s.prices, market="BTC")
    cross_btc = replace(
        cross_eth,
        liquidation_below=float(np.asarray(liq_btc.liquidation_price_below).reshape(-1)[0]),
        liquidation_above=float(np.asarray(liq_btc.liquidation_price_above).reshape(-1)[0]),
        distance_pct=float(np.asarray(liq_btc.distance_pct).reshape(-1)[0]),
    )
    if grid is None:
        near = [x for x in (iso_eth.liquidation_below, iso_eth.liquidation_above,
                            cross_eth.liquidation_below, cross_eth.liquidation_above)
                if np.isfinite(x)]
        lp_e = fixed.lp_e
        grid = price_grid(s.eth_entry, include=(lp_e.price_lower, lp_e.price_upper, s.price,
                                                *near))
    grid = positive("grid", grid)
    lo, hi = float(grid[0]), float(grid[-1])
    if grid.ndim == 1 and grid.size > 1 and np.array_equal(grid, np.linspace(lo, hi, grid.size)):
        grid, buf_e, buf_b, buf_c, zones_e, zones_c = _wallet_curves(fixed, s.btc_price, lo, hi,
                                                                     grid.size)
    else:
        pr = {"ETH": grid, "BTC": s.btc_price}
        buf_e = np.asarray(iso_e.margin_gap(grid))
        buf_b = np.full_like(grid, fixed.g_b)
        buf_c = np.asarray(cross.margin_gap(pr))
        zones_e = _zones(fixed.b_iso, lo, hi, lambda p: np.asarray(iso_e.margin_gap(p)))
        zones_c = _zones(fixed.b_cross, lo, hi,
                         lambda p: np.asarray(cross.margin_gap({"ETH": p, "BTC": s.btc_price})))
    at_risk = {
        "iso_eth": max(iso_eth.equity, 0.0),
        "iso_btc": max(iso_btc.equity, 0.0),
        "cross": max(cross_eth.equity, 0.0),
    }
    return WalletResult(
        scenario=s, grid=grid, buffer_iso_eth=buf_e, buffer_iso_btc=buf_b, buffer_cross=buf_c,
        boundaries_iso_eth=fixed.b_iso, boundaries_cross=fixed.b_cross,
        zones_iso_eth=zones_e,
        zones_iso_btc=[(lo, hi)] if fixed.g_b < 0 else [],
        zones_cross=zones_c,
        iso_eth=iso_eth, iso_btc=iso_btc, cross_eth=cross_eth, cross_btc=cross_btc,
        at_risk=at_risk,
    )


# ------------------------------------------------------------------------------------------------
# Liquidation map: health over price x range width, exact boundary per width
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapScenario:
    """A health map for the account of a :class:`HealthScenario` opened at its entry price.

    Rows are range widths ``widths_pct`` (the LP re-deposited at the same value over ``±w``), columns
    prices; the perp is the one ``base`` describes (its size fixed by ``leverage`` at ``base``'s width).

    >>> m = MapScenario(HealthScenario(price=3000.0, leverage=4.0))
    >>> m.widths_pct().shape, m.prices().shape
    ((80,), (300,))
    """

    base: HealthScenario
    width_min_pct: float = 1.0
    width_max_pct: float = 60.0
    n_widths: int = 80
    n_prices: int = 300

    def __post_init__(self) -> None:
        if self.base.mode != "isolated":
            raise LpperpError("the liquidation map is drawn for an isolated account")
        if self.base.price != self.base.entry_price:
            object.__setattr__(self, "base", _replace(self.base, price=self.base.entry_price))
        _, hi = ordered_range("width_min_pct", self.width_min_pct, "width_max_pct",
                               self.width_max_pct)
        if hi >= 100:
            raise LpperpError(f"width_max_pct must be < 100, got {hi!r}")

    def widths_pct(self) -> np.ndarray:
        return np.linspace(self.width_min_pct, self.width_max_pct, self.n_widths)

    def prices(self) -> np.ndarray:
        return price_grid(self.base.entry_price, n=self.n_prices)


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


@dataclass(frozen=True, eq=False)
class MapResult:
    """``health[i, j]`` at width ``widths_pct[i]`` and price ``prices[j]``; exact boundaries per
    width (``boundaries[i, k]``, NaN-padded); the selected width's summary."""

    scenario: MapScenario
    widths_pct: np.ndarray
    prices: np.ndarray
    health: np.ndarray
    boundaries: np.ndarray
    selected: HealthResult

    def _repr_html_(self) -> str:
        s = self.selected.summary
        return (f"<p>health map {self.health.shape[0]} widths x {self.health.shape[1]} prices; "
                f"at ±{self.scenario.base.width_pct:g} %:</p>" + s._repr_html_())


def compute_map(scenario: MapScenario) -> MapResult:
    """Health over price x width (:func:`lpperp.liquidation.health_map`) and the exact boundary
    of every width (:func:`lpperp.liquidation.boundary_map`), one vectorized solve each.

    >>> r = compute_map(MapScenario(HealthScenario(price=3000.0, leverage=4.0)))
    >>> r.health.shape, r.boundaries.shape[0]
    ((80, 300), 80)
    """
    base = scenario.base
    acct = base.account()
    widths = scenario.widths_pct()
    prices = scenario.prices()
    health = health_map(acct, prices, "width_pct", widths, price=base.entry_price)
    bmap = boundary_map(acct, base.entry_price, "width_pct", widths)
    selected = compute_health(base, grid=prices)
    return MapResult(scenario=scenario, widths_pct=widths, prices=prices,
                     health=np.asarray(health, dtype=float),
                     boundaries=np.asarray(bmap.boundaries, dtype=float).reshape(widths.size, -1),
                     selected=selected)

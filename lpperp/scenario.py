"""The frozen scenario records every explorer, notebook and run shares; the one seed scenario.

A scenario is four records plus the current price:

- :class:`LPSpec` - the LP deposit: entry price, deposit value, range (``width_pct`` or bounds);
- :class:`PerpSpec` - the perp: ``leverage`` and ``side``;
- :class:`AccountSpec` - how the LP backs the perp: margin ``mode``, collateral model, venue rules,
  ``wallet_cash``;
- :class:`RunSpec` - what a Monte Carlo run adds: volatility, horizon, chain, funding, paths, seed;

joined in :class:`ScenarioSpec`, which builds the library objects (``.lp()``, ``.perp()``,
``.account()``), a :class:`lpperp.simulate.Scenario` (``.to_simulation()``) and the Python code that
rebuilds it (``.to_code()``, the explorers' "copy as code").

**Leverage** has one meaning here and in :mod:`lpperp.simulate`: perp notional at entry / LP deposit
value at entry, so ``|perp size| = leverage * deposit / entry_price``. The collateral factor does not
enter the perp size; a lower factor means less collateral for the same perp, hence lower health.

Every field carries metadata (``label``, ``unit``, ``range``, ``step``, ``log``, ``options``) from
which :func:`lpperp.viz.kit.control_for` builds a control; read it with :func:`field_info`.

:data:`SEED` is the README's scenario: a $10,000 WETH/USDC LP on Arbitrum, +/-20 % around 3,000
USDC/ETH, backing a 2x ETH short on Hyperliquid's rules, the LP counted at Revert Lend's 77.5 %
factor (Revert Lend docs, Arbitrum collateral factors, read 2026-11: WETH 77.5 %, USDC 85 %, the
position at the lower of the two, :data:`lpperp.collateral.REVERT_LEND_ARBITRUM_WETH_USDC`).

Conventions: prices in quote per base (USDC per ETH), values in quote units, widths in percent,
rates per year. This module imports no plotly or ipywidgets.

>>> s = SEED
>>> round(s.perp().size, 4), round(s.account().health(3000.0), 2)
(-6.6667, 19.38)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from lpperp import simulate
from lpperp._validate import LpperpError, nonnegative, one_of, ordered_range, positive
from lpperp.collateral import (
    REVERT_LEND_ARBITRUM_WETH_USDC,
    CollateralModel,
    RangeAwareFactor,
    StaticFactor,
    VolatilityScaledFactor,
)
from lpperp.costs import CHAINS
from lpperp.margin import DEFAULT_RULES, CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.venues import VENUES, get_venue

__all__ = [
    "COLLATERAL_MODELS",
    "SEED",
    "VENUE_CHOICES",
    "AccountSpec",
    "LPSpec",
    "PerpSpec",
    "RunSpec",
    "ScenarioSpec",
    "collateral_model",
    "field_info",
    "margin_rules",
]

#: collateral model names an account can use (see :func:`collateral_model`)
COLLATERAL_MODELS = ("static", "token-min", "range-aware", "volatility")
#: venue rule presets (:data:`lpperp.venues.VENUES`) and ``"default"`` (margin.DEFAULT_RULES)
VENUE_CHOICES = ("default", *VENUES)
CHAIN_CHOICES = ("none", "ethereum", "arbitrum", "base", "optimism")


def _meta(label: str, unit: str = "", *, range: tuple[float, float] | None = None,
          step: float | None = None, log: bool = False, options: tuple | None = None,
          format: str | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"label": label, "unit": unit, "log": log}
    if range is not None:
        m["range"] = range
    if step is not None:
        m["step"] = step
    if options is not None:
        m["options"] = options
    if format is not None:
        m["format"] = format
    return m


def field_info(record: Any, name: str) -> dict[str, Any]:
    """The metadata of field ``name`` of a scenario record (class or instance).

    >>> field_info(PerpSpec, "leverage")["label"], field_info(LPSpec, "width_pct")["unit"]
    ('leverage', '%')
    """
    for f in fields(record):
        if f.name == name:
            return dict(f.metadata)
    raise LpperpError(f"{type(record).__name__ if not isinstance(record, type) else record.__name__}"
                      f" has no field {name!r}")


def collateral_model(name: str, *, cf: float = 0.775, shock_pct: float = 10.0,
                     sigma_per_year: float = 0.8) -> CollateralModel:
    """The :mod:`lpperp.collateral` model behind a model name.

    ``static``: ``StaticFactor(cf)``; ``token-min``: Revert Lend's Arbitrum WETH/USDC token factors
    (the lower one, range-blind); ``range-aware``: ``RangeAwareFactor(shock_pct)``; ``volatility``:
    ``VolatilityScaledFactor(sigma_per_year)`` (1-day horizon, 99 % confidence).

    >>> collateral_model("static", cf=0.7).cf, collateral_model("token-min").cf
    (0.7, 0.775)
    """
    one_of("collateral", name, COLLATERAL_MODELS)
    if name == "static":
        return StaticFactor(cf)
    if name == "token-min":
        return REVERT_LEND_ARBITRUM_WETH_USDC
    if name == "range-aware":
        return RangeAwareFactor(shock_pct=shock_pct)
    return VolatilityScaledFactor(sigma_per_year=sigma_per_year)


def margin_rules(venue: str) -> MarginRules:
    """Perp margin rules of a venue preset or ``"default"``.

    >>> margin_rules("hyperliquid").maintenance_fraction
    0.02
    """
    one_of("venue", venue, VENUE_CHOICES)
    return DEFAULT_RULES if venue == "default" else get_venue(venue)


@dataclass(frozen=True)
class LPSpec:
    """An LP deposit: ``deposit`` (quote units) put at ``entry_price`` into a range given as
    ``width_pct`` (``[E (1 - w/100), E (1 + w/100)]``) or as ``price_lower``/``price_upper``.

    >>> LPSpec(width_pct=None, price_lower=2650.0, price_upper=3500.0).lp().price_lower
    2650.0
    """

    entry_price: float = field(default=3000.0, metadata=_meta(
        "entry price", "USDC per ETH", format=",.2f"))
    deposit: float = field(default=10_000.0, metadata=_meta("LP deposit", "USDC"))
    width_pct: float | None = field(default=20.0, metadata=_meta(
        "range ± %", "%", range=(0.5, 95.0), step=0.5, format=".1f"))
    price_lower: float | None = field(default=None, metadata=_meta("lower bound", "USDC per ETH"))
    price_upper: float | None = field(default=None, metadata=_meta("upper bound", "USDC per ETH"))
    base: str = field(default="ETH", metadata=_meta("base token"))
    quote: str = field(default="USDC", metadata=_meta("quote token"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "entry_price", positive("entry_price", self.entry_price,
                                                         scalar=True))
        object.__setattr__(self, "deposit", positive("deposit", self.deposit, scalar=True))
        if (self.width_pct is None) == (self.price_lower is None and self.price_upper is None):
            raise LpperpError("give either width_pct or both price_lower and price_upper, got "
                              f"width_pct={self.width_pct!r}, price_lower={self.price_lower!r}, "
                              f"price_upper={self.price_upper!r}")
        if self.width_pct is not None:
            w = positive("width_pct", self.width_pct, scalar=True)
            if w >= 100:
                raise LpperpError(f"width_pct must be in (0, 100): the lower bound "
                                  f"E (1 - width/100) must stay > 0, got {w!r}")
            object.__setattr__(self, "width_pct", w)
        else:
            lo, hi = ordered_range("price_lower", self.price_lower, "price_upper",
                                   self.price_upper)
            object.__setattr__(self, "price_lower", float(lo))
            object.__setattr__(self, "price_upper", float(hi))

    @property
    def bounds(self) -> tuple[float, float]:
        """``(price_lower, price_upper)``, quote per base."""
        if self.width_pct is not None:
            w = self.width_pct / 100.0
            return self.entry_price * (1 - w), self.entry_price * (1 + w)
        return float(self.price_lower), float(self.price_upper)  # type: ignore[arg-type]

    def lp(self) -> LPPosition:
        """The :class:`~lpperp.position.LPPosition` worth ``deposit`` at ``entry_price``."""
        lo, hi = self.bounds
        return LPPosition.from_deposit(self.deposit, self.entry_price, price_lower=lo,
                                       price_upper=hi)


@dataclass(frozen=True)
class PerpSpec:
    """A perp opened at the LP's entry price: ``leverage`` = perp notional at entry / LP deposit
    value at entry (the collateral factor plays no part), ``side`` long or short.

    >>> PerpSpec(leverage=2.0).perp(LPSpec()).size == -2.0 * 10_000.0 / 3000.0
    True
    """

    leverage: float = field(default=2.0, metadata=_meta(
        "leverage", "x", range=(0.0, 20.0), step=0.1, format=".1f"))
    side: str = field(default="short", metadata=_meta("perp side", options=("long", "short")))

    def __post_init__(self) -> None:
        object.__setattr__(self, "leverage", nonnegative("leverage", self.leverage, scalar=True))
        one_of("side", self.side, ("long", "short"))

    def size(self, lp: LPSpec) -> float:
        """Signed size, base units: ``-+ leverage * deposit / entry_price``."""
        q = self.leverage * lp.deposit / lp.entry_price
        return -q if self.side == "short" else q

    def perp(self, lp: LPSpec) -> PerpPosition:
        return PerpPosition(self.size(lp), lp.entry_price)


@dataclass(frozen=True)
class AccountSpec:
    """How the LP backs the perp: ``mode`` isolated (the LP alone) or cross (the LP and
    ``wallet_cash``), the ``collateral`` model and its parameters, the ``venue`` rules.

    >>> AccountSpec(collateral="static", cf=0.5).model().cf
    0.5
    """

    mode: str = field(default="isolated", metadata=_meta(
        "margin mode", options=("isolated", "cross")))
    collateral: str = field(default="static", metadata=_meta(
        "collateral model", options=COLLATERAL_MODELS))
    cf: float = field(default=0.775, metadata=_meta(
        "collateral factor", range=(0.05, 1.0), step=0.005, format=".3f"))
    shock_pct: float = field(default=10.0, metadata=_meta(
        "shock %", "%", range=(0.0, 60.0), step=0.5, format=".1f"))
    sigma_per_year: float = field(default=0.8, metadata=_meta(
        "volatility /yr", "per year", range=(0.05, 3.0), step=0.05, format=".2f"))
    venue: str = field(default="hyperliquid", metadata=_meta("venue rules", options=VENUE_CHOICES))
    wallet_cash: float = field(default=0.0, metadata=_meta("wallet cash", "USDC"))

    def __post_init__(self) -> None:
        one_of("mode", self.mode, ("isolated", "cross"))
        one_of("collateral", self.collateral, COLLATERAL_MODELS)
        one_of("venue", self.venue, VENUE_CHOICES)
        object.__setattr__(self, "wallet_cash", nonnegative("wallet_cash", self.wallet_cash,
                                                            scalar=True))
        self.model()  # validates cf in (0, 1], shock in [0, 100), sigma > 0

    def model(self) -> CollateralModel:
        return collateral_model(self.collateral, cf=self.cf, shock_pct=self.shock_pct,
                                sigma_per_year=self.sigma_per_year)

    def rules(self) -> MarginRules:
        return margin_rules(self.venue)


@dataclass(frozen=True)
class RunSpec:
    """What a Monte Carlo run adds: volatility, horizon, steps, paths, seed, chain, funding.

    >>> RunSpec().horizon_years == 30 / 365
    True
    """

    sigma_per_year: float = field(default=0.8, metadata=_meta(
        "volatility /yr", "per year", range=(0.05, 3.0), step=0.05, format=".2f"))
    horizon_days: float = field(default=30.0, metadata=_meta(
        "horizon", "days", range=(1.0, 365.0), step=1.0, format=".0f"))
    n_steps: int = field(default=720, metadata=_meta("steps"))
    n_paths: int = field(default=2000, metadata=_meta("paths"))
    seed: int = field(default=0, metadata=_meta("seed"))
    chain: str = field(default="arbitrum", metadata=_meta("chain", options=CHAIN_CHOICES))
    funding_rate_per_year: float = field(default=0.10, metadata=_meta(
        "funding /yr", "per year", range=(-1.0, 1.0), step=0.01, format=".2f"))

    def __post_init__(self) -> None:
        positive("sigma_per_year", self.sigma_per_year, scalar=True)
        positive("horizon_days", self.horizon_days, scalar=True)
        one_of("chain", self.chain, CHAIN_CHOICES)

    @property
    def horizon_years(self) -> float:
        return self.horizon_days / 365.0


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario: the current ``price`` and the LP, perp, account and run records.

    ``price=None`` means the entry price. Build the library objects with :meth:`lp`, :meth:`perp`,
    :meth:`account`; a Monte Carlo scenario with :meth:`to_simulation`; the code that rebuilds this
    record with :meth:`to_code`.

    >>> s = ScenarioSpec(perp_spec=PerpSpec(leverage=3.0))
    >>> round(s.perp().size, 4), s.price
    (-10.0, 3000.0)
    """

    price: float | None = field(default=None, metadata=_meta(
        "price", "USDC per ETH", format=",.2f"))
    lp_spec: LPSpec = field(default_factory=LPSpec)
    perp_spec: PerpSpec = field(default_factory=PerpSpec)
    account_spec: AccountSpec = field(default_factory=AccountSpec)
    run_spec: RunSpec = field(default_factory=RunSpec)

    def __post_init__(self) -> None:
        for name, cls in (("lp_spec", LPSpec), ("perp_spec", PerpSpec),
                          ("account_spec", AccountSpec), ("run_spec", RunSpec)):
            if not isinstance(getattr(self, name), cls):
                raise LpperpError(f"{name} must be a {cls.__name__}, got "
                                  f"{type(getattr(self, name)).__name__}")
        p = self.lp_spec.entry_price if self.price is None else self.price
        object.__setattr__(self, "price", positive("price", p, scalar=True))

    # -- library objects ------------------------------------------------------------------------
    def lp(self) -> LPPosition:
        return self.lp_spec.lp()

    def perp(self) -> PerpPosition:
        return self.perp_spec.perp(self.lp_spec)

    def account(self) -> IsolatedAccount | CrossAccount:
        """Isolated: the LP alone backs the perp. Cross: the LP and ``wallet_cash`` back it."""
        a = self.account_spec
        if a.mode == "isolated":
            return IsolatedAccount(self.perp(), self.lp(), 0.0, a.model(), a.rules())
        return CrossAccount((self.perp(),), (self.lp(),), a.wallet_cash, a.model(), a.rules())

    @property
    def leverage(self) -> float:
        """Perp notional at entry / LP deposit value at entry."""
        return self.perp_spec.leverage

    def replace(self, **changes: Any) -> ScenarioSpec:
        """A copy with fields of any record changed by name (``price``, ``leverage``, ``cf``, ...).

        >>> SEED.replace(leverage=3.0, cf=0.5).account_spec.cf
        0.5
        """
        parts: dict[str, dict[str, Any]] = {"lp_spec": {}, "perp_spec": {}, "account_spec": {},
                                            "run_spec": {}}
        top: dict[str, Any] = {}
        names = {part: {f.name for f in fields(getattr(self, part))} for part in parts}
        for key, value in changes.items():
            if key in ("price", *parts):
                top[key] = value
                continue
            owners = [part for part in ("lp_spec", "perp_spec", "account_spec", "run_spec")
                      if key in names[part]]
            if not owners:
                raise LpperpError(f"ScenarioSpec has no field {key!r}")
            parts[owners[0]][key] = value
        for part, ch in parts.items():
            if ch:
                top[part] = replace(top.get(part, getattr(self, part)), **ch)
        return replace(self, **top)

    def to_simulation(self, **overrides: Any) -> simulate.Scenario:
        """The :class:`lpperp.simulate.Scenario` of this scenario (same LP, perp size, account).

        Needs a symmetric range (``width_pct``); ``overrides`` go to ``simulate.Scenario``.

        >>> from lpperp.simulate import initial_account
        >>> acct = initial_account(SEED.to_simulation())
        >>> round(acct.perp.size, 4), round(acct.health(3000.0), 2)
        (-6.6667, 19.38)
        """
        lp, a, r = self.lp_spec, self.account_spec, self.run_spec
        if lp.width_pct is None:
            raise LpperpError("to_simulation needs a range given as width_pct (simulate.Scenario "
                              f"recentres a symmetric range), got bounds {lp.bounds}")
        kwargs: dict[str, Any] = {
            "price": lp.entry_price, "deposit": lp.deposit, "width_pct": lp.width_pct,
            "leverage": self.perp_spec.leverage, "side": self.perp_spec.side, "mode": a.mode,
            "wallet_cash": a.wallet_cash, "collateral": a.model(), "rules": a.rules(),
            "chain": None if r.chain == "none" else CHAINS[r.chain],
            "funding_rate_per_year": r.funding_rate_per_year,
        }
        kwargs.update(overrides)
        return simulate.Scenario(**kwargs)

    def to_code(self) -> str:
        """Python that rebuilds this scenario (only fields that differ from the defaults).

        >>> print(SEED.replace(leverage=3.0, price=3100.0).to_code())
        from lpperp.scenario import SEED
        <BLANKLINE>
        scenario = SEED.replace(price=3100.0, leverage=3.0)
        """
        changes = []
        if self.price != SEED.price:
            changes.append(f"price={_lit(self.price)}")
        for part in ("lp_spec", "perp_spec", "account_spec", "run_spec"):
            mine, seed = getattr(self, part), getattr(SEED, part)
            for f in fields(mine):
                v = getattr(mine, f.name)
                if v != getattr(seed, f.name):
                    changes.append(f"{f.name}={_lit(v)}")
        inner = ", ".join(changes)
        return f"from lpperp.scenario import SEED\n\nscenario = SEED.replace({inner})"


def _lit(v: Any) -> str:
    if isinstance(v, float):
        if math.isfinite(v) and v == round(v, 6):
            return repr(round(v, 6))
        return repr(v)
    return repr(v)


#: The README's seed scenario (see the module docstring).
SEED = ScenarioSpec(
    price=3000.0,
    lp_spec=LPSpec(entry_price=3000.0, deposit=10_000.0, width_pct=20.0),
    perp_spec=PerpSpec(leverage=2.0, side="short"),
    account_spec=AccountSpec(mode="isolated", collateral="static", cf=0.775, venue="hyperliquid"),
    run_spec=RunSpec(chain="arbitrum"),
)

"""Path-dependent runs: an LP-margined perp account stepped through price paths, with policies.

A :class:`Scenario` says what is held (LP as collateral, idle stablecoins, an LP plus a separate
cash margin, or the LP's tokens held), the perp, the margin mode, fees, funding (a rate or a
process), the collateral model, the venue's liquidation mechanics and the chain; a :class:`Policy`
says how the owner reacts (recentre the range, top up margin, delta-hedge the LP with the perp,
or nothing) and how fast (a reaction delay per chain). :func:`run_on_paths` steps one scenario
through given price paths (vectorized over paths); :func:`simulate` does it over Monte Carlo
paths a chunk at a time; :func:`backtest` over a :class:`~lpperp.prices.PriceSeries`. Several
strategies side by side (:func:`~lpperp.strategies.compare_strategies`, stress tests, sweeps)
live in :mod:`lpperp.strategies`.

Conventions
-----------
- Prices quote per base (USDC per ETH); amounts and P&L in quote units; time in years; rates per
  year; ``dt_years = tau_years / n_steps``. The base token is ETH, so gas (paid in ETH) costs
  ``eth * P``.
- Capital: ``deposit`` (what goes into the strategy) plus ``wallet_cash`` (idle cash kept aside).
  ``leverage`` is the perp's notional at entry over ``deposit``: ``|q| = leverage * deposit / P_0``.
  Kinds: ``"lp"`` the whole deposit is an LP posted as collateral; ``"stable"`` the deposit is
  stablecoin collateral (no LP, earns ``cash_apr``, 0 by default: the cost of carry is the fee
  income forgone); ``"lp_plus_cash"`` a fraction ``cash_margin_fraction`` of the deposit is cash
  margin and the rest an LP *outside* the account (inside under cross margin); ``"hold"`` the
  deposit is swapped into the LP's entry mix and simply held in the wallet (the benchmark of LVR:
  no fees, no impermanent loss; meant with ``leverage=0``, the wallet backs no perp under isolated
  margin).
- Margin mode: ``"isolated"``: only the account's assets back the perp and the rest of the wallet
  survives a liquidation; ``"cross"``: the wallet's cash and LP join the account.
- The account follows :mod:`lpperp.margin`: ``equity = collateral_value(LP) + cash + q P - basis +
  accrued fees`` (the uncollected fees counted by ``Scenario.fee_collateral``, a
  :class:`~lpperp.collateral.FeeRule`: ``None`` at par, or a factor, or Arcadia's cap; the owner's
  true equity always holds them at par; ``Policy(reinvest_fees=True)`` puts them into the new LP
  at each recentre, where they compound; funding is paid from the cash, so it enters every
  step's check; ``basis`` is the sum of the perp's trade sizes times their prices: ``q (P - E)``
  for one trade);
  ``maintenance = rules.maintenance_margin(|q| P)``; liquidated at the first step where
  ``equity < maintenance``, settled by :func:`lpperp.settlement.settle_liquidation` with the
  scenario's :class:`~lpperp.venues.LiquidationMechanics`: the owner keeps the *true* equity (LP at
  market) less the closing fee, the LP unwind, the liquidator / insurance / backstop take; never
  the collateral haircut; a partial liquidation leaves a smaller perp running. Monitoring is at
  the grid steps.
- Each step: fees while in range (accrued at par). The pool pays fees per unit of in-range
  liquidity, so they are ``fee_apr * L sqrt(P) c_ref dt`` with ``c_ref = 2 - sqrt(1 - w) -
  1/sqrt(1 + w)`` for ``w = fee_reference_width_pct / 100``: ``fee_apr`` is the yield on value of a
  position of the reference width centred at the price, and a narrower range (more liquidity per
  dollar) earns proportionally more while in range. ``fee_reference_width_pct=None`` instead
  applies ``fee_apr`` to the position's value whatever its width
  (:meth:`~lpperp.position.LPPosition.fee_income`). Funding ``q P_t rate_t`` times the time
  since the last payment, on the mark, at every ``interval_hours`` of the funding process (a
  positive rate: longs pay, shorts receive; :class:`~lpperp.processes.ConstantFunding`,
  :class:`~lpperp.processes.OUFunding`, whose correlation is with the return standardised by the
  oracle's EWMA volatility); the oracle's EWMA
  variance ``var = lam var + (1 - lam) r^2`` of the step's log return, ``lam =
  ewma_lambda ** (dt_years * 365)`` (``ewma_lambda`` is the daily RiskMetrics decay, 0.94: the
  same half-life in days whatever the step), seeded with the collateral model's
  ``sigma_per_year``; it sets the collateral factor of a
  :class:`~lpperp.collateral.VolatilityScaledFactor` along the path (other models: seeded at
  80 %/yr; the variance then only sizes the price move during a reaction delay).
- Oracle (``Scenario.oracle``, default ``None`` = :class:`~lpperp.oracle.Spot`: the market price,
  today's numbers): the venue values the collateral, the perp's mark and the maintenance at the
  price the oracle reports (streamed with its ``start``/``step``), and its EWMA volatility follows
  the oracle's returns; the liquidation executes at the market. ``market_breach_step`` is the
  first step the account was liquidatable at the market price: a later ``liquidation_step`` is a
  late liquidation (its cost shows in ``liquidation_loss`` and ``bad_debt``).
- Timing: a breach seen at step ``t`` is acted on ``delay = block_time_s * blocks + latency_s``
  seconds later: at grid step ``t + floor(delay/dt)``, at the price moved further by a Brownian
  increment over the remainder with the oracle's volatility (the normals are counter-based,
  :func:`delay_noise_key`, so only acting paths draw them). If the account is liquidatable at that
  price, it is liquidated first.
- The delta hedge (``Policy(hedge=True)``): the perp is re-sized to ``-hedge_ratio`` times the LP's
  delta (its base amount) when it leaves the band, after the delay, paying
  ``perp_fee_fraction`` of the traded notional (and the chain's gas when ``perp_on_chain``).
- P&L attribution per path (:data:`ATTRIBUTION`, :meth:`PathResults.attribution`; sums exactly to
  the final wealth minus capital): ``fees``, ``hold`` (the LP's deposited amounts held, per range
  epoch), ``il`` (LP value minus that hold value: impermanent loss, realised at each recentre; its
  expected rate is the LVR), ``perp`` (realised and marked), ``-funding``, ``cash_yield``,
  ``-costs`` (gas, swap fee and price impact), ``-hedge_costs`` (perp trading fees),
  ``-liquidation_loss`` (from the settlement, never the haircut).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from lpperp._results import format_value, html_table
from lpperp._validate import (
    MAX_PATH_STEPS,
    LpperpError,
    finite,
    fraction,
    integer,
    nonnegative,
    one_of,
    positive,
)
from lpperp.collateral import (
    RISKMETRICS_LAMBDA,
    FeeRule,
    StaticFactor,
    VolatilityScaledFactor,
    weighted_value,
)
from lpperp.costs import EXAMPLE_FEE_APR, Chain, action_cost, swap_cost
from lpperp.margin import DEFAULT_RULES, CrossAccount, IsolatedAccount
from lpperp.oracle import Oracle, Spot
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.prices import SECONDS_PER_YEAR
from lpperp.processes import (
    PATH_BLOCK,
    ConstantFunding,
    OUFunding,
    PriceProcess,
    as_funding,
    check_process,
    counter_key,
    counter_normals,
    cumsum_time,
    iter_increments,
    n_chunks,
    path_step_budget,
    progress_bar,
    root_seed,
)
from lpperp.risk import wilson_interval
from lpperp.settlement import settle_liquidation
from lpperp.venues import LiquidationMechanics, mechanics_for

__all__ = [
    "ATTRIBUTION",
    "HYPERLIQUID_TAKER_FEE_FRACTION",
    "SECONDS_PER_YEAR",
    "SIMULATE_CHUNK_PATHS",
    "PathResults",
    "Policy",
    "Scenario",
    "Summary",
    "affordable_interval_years",
    "backtest",
    "delay_noise_key",
    "format_value",
    "initial_account",
    "noise_streams",
    "run_many",
    "run_on_paths",
    "simulate",
]

#: Hyperliquid's perp taker fee at the base (lowest-volume) tier, 0.045 % of notional. Source:
#: https://hyperliquid.gitbook.io/hyperliquid-docs/trading/fees (read 2026-11-30 through the
#: search tool's mirrors of the fee table: "Default / Tier 0 ... taker 0.045%").
HYPERLIQUID_TAKER_FEE_FRACTION = 0.00045

Kind = Literal["lp", "stable", "lp_plus_cash", "hold"]
Mode = Literal["isolated", "cross"]


@dataclass(frozen=True)
class Policy:
    """How the owner reacts along a path.

    Parameters
    ----------
    recentre : bool
        Recentre the LP (exit, swap, mint the same width around the price) when the price leaves the
        range or the health falls below ``recentre_health``.
    recentre_health : float
        Health below which a recentre is triggered too (``0``: only when out of range).
    min_interval_years : float
        At most one recentre per this interval (the frequency the chain's costs allow).
    top_up : bool
        Add cash to the account when its health falls below ``top_up_health``, up to
        ``top_up_target``: from the wallet's idle cash first, then new capital.
    blocks : int
        Blocks an action waits to land (the chain's ``block_time_s`` each).
    latency_s : float
        Keeper or user latency before sending, seconds (a bot: seconds; a person: hours).
    hedge : bool
        Delta-hedge the LP with the perp: the perp is sized to ``-hedge_ratio * (LP delta)`` at
        entry (the scenario's ``leverage`` and ``side`` are then not used) and re-sized to it when
        it drifts out of the band, after the reaction delay, paying the scenario's
        ``perp_fee_fraction`` on each trade's notional (and the chain's gas for an on-chain perp).
        The LP's delta is its base amount, ``L (1/sqrt(P) - 1/sqrt(pb))`` in range (base units).
    hedge_ratio : float
        Fraction of the LP's delta hedged (1: delta-neutral).
    hedge_band : float
        Re-hedge when ``|q - target| > hedge_band * |target|`` (a fraction of the target; 0: at
        every step the price moved).
    hedge_interval_years : float
        At most one re-hedge per this interval (a time grid: ``hedge_band=0`` with a one-day
        interval re-hedges daily).
    reinvest_fees : bool
        At each recentre, collect the uncollected fees and add them to the new LP (swapped to the
        new range's mix with the rest, the swap paid as the recentre pays it): fees compound.
        ``False`` (default): fees stay uncollected beside the LP, as cash that earns nothing.

    >>> Policy.none().recentre, Policy(recentre=True).reaction_delay_s(12.0)
    (False, 72.0)
    >>> Policy(hedge=True, hedge_band=0.1).hedge_ratio
    1.0
    """

    recentre: bool = False
    recentre_health: float = 0.0
    min_interval_years: float = 0.0
    top_up: bool = False
    top_up_health: float = 1.5
    top_up_target: float = 3.0
    blocks: int = 1
    latency_s: float = 60.0
    hedge: bool = False
    hedge_ratio: float = 1.0
    hedge_band: float = 0.1
    hedge_interval_years: float = 0.0
    reinvest_fees: bool = False

    def __post_init__(self) -> None:
        for name in (
            "recentre_health",
            "min_interval_years",
            "latency_s",
            "hedge_ratio",
            "hedge_band",
            "hedge_interval_years",
        ):
            object.__setattr__(self, name, float(nonnegative(name, getattr(self, name))))
        for name in ("recentre", "top_up", "hedge", "reinvest_fees"):  # "no" or None would read as a choice
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise LpperpError(f"{name} must be True or False, got {getattr(self, name)!r}")
            object.__setattr__(self, name, bool(getattr(self, name)))
        object.__setattr__(
            self, "top_up_health", positive("top_up_health", self.top_up_health, scalar=True)
        )
        object.__setattr__(
            self, "top_up_target", positive("top_up_target", self.top_up_target, scalar=True)
        )
        if self.top_up_target < self.top_up_health:
            raise LpperpError(
                f"top_up_target={self.top_up_target} must be >= top_up_health={self.top_up_health}"
            )
        object.__setattr__(self, "blocks", integer("blocks", self.blocks, 0))
        if self.hedge and self.hedge_ratio == 0.0:  # the re-hedge band divides by it
            raise LpperpError(
                "hedge_ratio must be > 0 with hedge=True, got 0.0 (a zero hedge hedges nothing: "
                "use hedge=False)"
            )

    @classmethod
    def none(cls) -> Policy:
        """Do nothing."""
        return cls()

    def reaction_delay_s(self, block_time_s: float) -> float:
        """``blocks * block_time_s + latency_s``, seconds."""
        return self.blocks * block_time_s + self.latency_s


@dataclass(frozen=True)
class Scenario:
    """One strategy: what is held, the perp, the margin mode, fees, funding, chain, policy.

    >>> s = Scenario(width_pct=20, leverage=2.0)
    >>> acct = initial_account(s)
    >>> round(acct.equity(3000.0), 2), round(acct.perp.size, 4)
    (8000.0, -6.6667)
    """

    name: str = "LP collateral"
    kind: Kind = "lp"
    price: float = 3000.0
    deposit: float = 10_000.0
    wallet_cash: float = 0.0
    width_pct: float = 20.0
    leverage: float = 2.0
    side: Literal["short", "long"] = "short"
    mode: Mode = "isolated"
    collateral: Any = field(default_factory=lambda: StaticFactor(0.8))
    rules: MarginRules = DEFAULT_RULES
    fee_apr: float = EXAMPLE_FEE_APR
    fee_reference_width_pct: float | None = 20.0
    funding_rate_per_year: float = 0.10
    funding: Any = None
    perp_fee_fraction: float = 0.0
    perp_on_chain: bool = False
    cash_apr: float = 0.0
    cash_margin_fraction: float = 0.3
    chain: Chain | None = None
    swap_fee_fraction: float = 0.0005
    pool_liquidity: float = math.inf
    policy: Policy = field(default_factory=Policy)
    ewma_lambda: float = RISKMETRICS_LAMBDA
    liquidation: Any = None
    oracle: Any = None
    fee_collateral: FeeRule | None = None

    def __post_init__(self) -> None:
        one_of("kind", self.kind, ("lp", "stable", "lp_plus_cash", "hold"))
        one_of("side", self.side, ("short", "long"))
        one_of("mode", self.mode, ("isolated", "cross"))
        for name in ("price", "deposit"):
            object.__setattr__(self, name, float(positive(name, getattr(self, name))))
        for name in ("wallet_cash", "leverage", "cash_apr", "swap_fee_fraction", "perp_fee_fraction"):
            object.__setattr__(self, name, float(nonnegative(name, getattr(self, name))))
        w = positive("width_pct", self.width_pct, scalar=True)
        if w >= 100:
            raise LpperpError(f"width_pct must be in (0, 100), got {w}")
        object.__setattr__(self, "width_pct", w)
        object.__setattr__(self, "fee_apr", nonnegative("fee_apr", self.fee_apr, scalar=True))
        if self.fee_reference_width_pct is not None:
            ref = positive("fee_reference_width_pct", self.fee_reference_width_pct, scalar=True)
            if ref >= 100:
                raise LpperpError(f"fee_reference_width_pct must be in (0, 100), got {ref}")
            object.__setattr__(self, "fee_reference_width_pct", ref)
        object.__setattr__(
            self,
            "funding_rate_per_year",
            finite("funding_rate_per_year", self.funding_rate_per_year, scalar=True),
        )
        object.__setattr__(
            self,
            "cash_margin_fraction",
            fraction("cash_margin_fraction", self.cash_margin_fraction, scalar=True),
        )
        object.__setattr__(
            self,
            "ewma_lambda",
            fraction(
                "ewma_lambda", self.ewma_lambda, closed_low=False, closed_high=False, scalar=True
            ),
        )
        if not hasattr(self.collateral, "collateral_value"):
            raise LpperpError(
                f"collateral must be a collateral model (lpperp.collateral), got "
                f"{type(self.collateral).__name__}"
            )
        if not isinstance(self.rules, MarginRules):
            raise LpperpError(f"rules must be MarginRules, got {type(self.rules).__name__}")
        if self.chain is not None and not isinstance(self.chain, Chain):
            raise LpperpError(
                f"chain must be a costs.Chain or None, got {type(self.chain).__name__}"
            )
        if not isinstance(self.policy, Policy):
            raise LpperpError(f"policy must be a Policy, got {type(self.policy).__name__}")
        if self.funding is not None:
            object.__setattr__(self, "funding", as_funding(self.funding))
        if self.oracle is not None and not (
            callable(getattr(self.oracle, "start", None))
            and callable(getattr(self.oracle, "step", None))
        ):
            raise LpperpError(
                "oracle must be an lpperp.oracle oracle (Spot, ChainlinkFeed, TwapOracle, "
                f"PullOracle) or None, got {type(self.oracle).__name__}"
            )
        if self.liquidation is not None and not isinstance(self.liquidation, LiquidationMechanics):
            raise LpperpError(
                "liquidation must be a LiquidationMechanics (lpperp.venues: get_mechanics) or None, "
                f"got {type(self.liquidation).__name__}"
            )
        if self.fee_collateral is not None and not isinstance(self.fee_collateral, FeeRule):
            raise LpperpError(
                "fee_collateral must be a FeeRule (lpperp.collateral: FEES_AT_PAR, "
                f"ARCADIA_FEE_CAP, FeeRule(factor)) or None, got {type(self.fee_collateral).__name__}"
            )
        if not isinstance(self.perp_on_chain, (bool, np.bool_)):
            raise LpperpError(f"perp_on_chain must be True or False, got {self.perp_on_chain!r}")
        if self.policy.hedge and self.kind in ("stable", "hold"):
            raise LpperpError(
                f"policy.hedge needs an LP to hedge: kind={self.kind!r} holds none (use 'lp' or "
                "'lp_plus_cash')"
            )

    @property
    def liquidation_mechanics(self) -> LiquidationMechanics:
        """How the venue liquidates: ``liquidation`` if given, else the preset that goes with
        ``rules`` (:func:`lpperp.venues.mechanics_for`: a full close charging the rules'
        ``liquidation_fee_fraction`` for rules without a preset).

        >>> Scenario().liquidation_mechanics.kind
        'book'
        """
        if self.liquidation is not None:
            return self.liquidation
        return mechanics_for(self.rules)

    @property
    def funding_process(self) -> Any:
        """The funding process: ``funding`` if given, else ``ConstantFunding(funding_rate_per_year)``
        (a plain number in ``funding`` is a constant rate per year too).

        >>> Scenario(funding_rate_per_year=0.05).funding_process.rate_per_year
        0.05
        """
        if self.funding is not None:
            return self.funding
        return ConstantFunding(self.funding_rate_per_year)

    @property
    def perp_size(self) -> float:
        """Signed perp size at entry, base units: ``-+ leverage * deposit / price``; for a hedging
        policy ``-hedge_ratio * delta`` of the LP as deposited (before entry costs)."""
        if self.policy.hedge:
            lo, hi = _width(self)
            b, q = _lp_amounts(np.array(self.price), self.price * lo, self.price * hi, 1.0)
            per_unit = float(self.lp_deposit / (b * self.price + q))
            return -self.policy.hedge_ratio * float(b) * per_unit
        q = self.leverage * self.deposit / self.price
        return -q if self.side == "short" else q

    @property
    def lp_deposit(self) -> float:
        """Quote value put into the LP (before entry costs)."""
        if self.kind in ("stable", "hold"):
            return 0.0
        return self.deposit * (
            1.0 - self.cash_margin_fraction if self.kind == "lp_plus_cash" else 1.0
        )

    @property
    def hold_base(self) -> float:
        """Base amount held by a ``"hold"`` scenario at entry (the LP's base share of the deposit),
        base units; 0 for the other kinds."""
        if self.kind != "hold":
            return 0.0
        lo, hi = _width(self)
        b, q = _lp_amounts(np.array(self.price), self.price * lo, self.price * hi, 1.0)
        return float(b / (b * self.price + q)) * self.deposit

    @property
    def lp_in_account(self) -> bool:
        """Whether the LP backs the perp."""
        return self.kind == "lp" or (self.kind == "lp_plus_cash" and self.mode == "cross")


def check_scenario(scenario: Any, name: str = "scenario") -> Scenario:
    """Return ``scenario`` if it is a :class:`Scenario`, else an error naming what was given.

    >>> check_scenario(3000.0)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: scenario must be a Scenario (lpperp.Scenario(...)), got float 3000.0
    """
    if not isinstance(scenario, Scenario):
        r = repr(scenario)
        raise LpperpError(
            f"{name} must be a Scenario (lpperp.Scenario(...)), got {type(scenario).__name__} "
            f"{r if len(r) < 60 else r[:57] + '...'}"
        )
    return scenario


#: Step sizes a run accepts, years: 1e-12 (32 microseconds, far below a block) to 1000 (a delay
#: of a minute is then still a finite number of steps; a larger step only overflows the returns).
DT_YEARS_RANGE = (1e-12, 1000.0)


def _check_dt(dt: float, what: str) -> float:
    lo, hi = DT_YEARS_RANGE
    if not lo <= dt <= hi:
        raise LpperpError(
            f"{what} must be a step in [{lo:g}, {hi:g}] years (32 us to a millennium), got {dt!r}"
        )
    return dt


def _width(s: Scenario) -> tuple[float, float]:
    w = s.width_pct / 100.0
    return 1.0 - w, 1.0 + w


def affordable_interval_years(
    scenario: Scenario, sigma_per_year: float, *, include_lvr: bool = True
) -> float:
    """Shortest interval between recentres worth paying for on the scenario's chain, years.

    ``1 / rebalancing.optimal_frequency(...)``: the frequency that maximises fee income minus LVR
    minus gas and swap costs for the scenario's LP (its width, fee APR, swap fee, pool liquidity)
    at volatility ``sigma_per_year``. Use it as ``Policy(min_interval_years=...)``. Above the
    break-even volatility (LVR over fees) keeping the range around the price loses money whatever
    the chain, and the answer is the slowest frequency searched (about a century);
    ``include_lvr=False`` prices the costs of acting alone (fees - costs).

    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> days = [365 * affordable_interval_years(Scenario(chain=c), 0.3) for c in (ETHEREUM, ARBITRUM)]
    >>> days[0] > days[1]
    True
    >>> round(365 * affordable_interval_years(Scenario(chain=ARBITRUM), 0.8) / 365)   # never
    100
    """
    from lpperp.rebalancing import optimal_frequency

    check_scenario(scenario)
    if scenario.chain is None:
        raise LpperpError(
            "scenario.chain is None: give a chain (lpperp.costs.CHAINS) to price rebalances"
        )
    lp = LPPosition.from_deposit(
        max(scenario.lp_deposit, 1.0), scenario.price, width_pct=scenario.width_pct
    )
    f = optimal_frequency(
        lp,
        scenario.price,
        positive("sigma_per_year", sigma_per_year, scalar=True),
        scenario.chain,
        fee_apr=scenario.fee_apr,
        swap_fee_fraction=scenario.swap_fee_fraction,
        pool_liquidity=scenario.pool_liquidity,
        include_lvr=bool(include_lvr),
    )
    return 1.0 / f


def initial_account(scenario: Scenario) -> IsolatedAccount | CrossAccount:
    """The margin account at entry (before entry costs), as :mod:`lpperp.margin` objects.

    The simulator's equity and maintenance at step 0 match this account's (a test checks it).

    >>> acct = initial_account(Scenario(kind="lp_plus_cash", mode="cross", leverage=3.0))
    >>> type(acct).__name__, round(acct.cash, 2), round(acct.equity(3000.0), 2)
    ('CrossAccount', 3000.0, 8600.0)
    """
    s = check_scenario(scenario)
    perp = PerpPosition(s.perp_size, s.price)
    lp = (
        LPPosition.from_deposit(s.lp_deposit, s.price, width_pct=s.width_pct)
        if s.lp_deposit
        else None
    )
    cash = 0.0 if s.kind == "hold" else s.deposit - s.lp_deposit
    if s.mode == "cross":
        return CrossAccount(
            (perp,), (lp,) if lp is not None else (), cash + s.wallet_cash, s.collateral, s.rules
        )
    return IsolatedAccount(perp, lp if s.lp_in_account else None, cash, s.collateral, s.rules)


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
#: The P&L attribution, in order, with the sign each part enters the total with.
ATTRIBUTION = (
    ("fees", 1.0),
    ("hold", 1.0),
    ("il", 1.0),
    ("perp", 1.0),
    ("funding", -1.0),
    ("cash_yield", 1.0),
    ("costs", -1.0),
    ("hedge_costs", -1.0),
    ("liquidation_loss", -1.0),
)


@dataclass(frozen=True, eq=False)
class PathResults:
    """Per-path outcomes of a run (arrays of length ``n_paths``, quote units).

    ``liquidated`` and ``liquidation_step`` (-1 if never); ``final_wealth`` everything the owner
    holds at the horizon (or after a liquidation: what was left plus what was outside the
    account, marked to the final price); ``capital`` the initial capital; ``capital_added`` top-ups
    beyond the wallet's cash. The P&L attribution (:data:`ATTRIBUTION`, :meth:`attribution`)
    sums exactly to ``final_wealth - capital - capital_added``:

    ``fees + hold + il + perp - funding + cash_yield - costs - hedge_costs - liquidation_loss``

    - ``fees``: pool fees earned (accrued at par while in range);
    - ``hold``: the LP's price P&L had its deposited amounts been held, per range epoch;
    - ``il``: LP value minus that hold value (impermanent loss, realised at each recentre): the
      LP's loss-versus-rebalancing plus noise; ``lvr`` (informational, outside the sum) is the
      realised LVR ``sum L sqrt(P_t) r_t^2 / 4`` over in-range steps (Milionis et al. 2022), and
      for martingale prices ``E[il] = -E[lvr]``;
    - ``perp``: the perp's P&L, realised and marked (``q P - basis``);
    - ``funding``: funding paid (negative: received), on the mark at each payment;
    - ``cash_yield``: interest on idle cash; ``costs``: gas, swap fees and price impact of the
      LP's mint, recentres and margin transfers; ``hedge_costs``: the perp's trading fees (and
      gas for an on-chain perp);
    - ``liquidation_loss``: the account's true equity at the liquidation (LP at market with its
      fees, cash, perp P&L) minus what the owner kept: the venue's penalty, never the collateral
      haircut; negative when the account was underwater (``bad_debt``, the venue bears it).

    ``funding_exposure`` is ``sum q_t P_t dt`` over the steps (quote x years): to first order (at
    fixed liquidations) the P&L moves by ``-funding_exposure`` per unit of funding rate per year.
    ``backstop`` is what a backstop liquidation took (zero where the venue has none);
    ``n_recentres``, ``n_top_ups``, ``n_hedges`` count the actions.
    """

    liquidated: np.ndarray
    liquidation_step: np.ndarray
    final_wealth: np.ndarray
    capital: float
    capital_added: np.ndarray
    hold: np.ndarray
    il: np.ndarray
    fees: np.ndarray
    perp: np.ndarray
    funding: np.ndarray
    cash_yield: np.ndarray
    costs: np.ndarray
    hedge_costs: np.ndarray
    liquidation_loss: np.ndarray
    liquidation_close_cost: np.ndarray
    liquidation_unwind_cost: np.ndarray
    liquidation_fees: np.ndarray
    n_liquidations: np.ndarray
    bad_debt: np.ndarray
    backstop: np.ndarray
    funding_exposure: np.ndarray
    market_breach_step: np.ndarray
    n_recentres: np.ndarray
    n_top_ups: np.ndarray
    n_hedges: np.ndarray
    lvr: np.ndarray
    n_steps: int
    dt_years: float

    @property
    def n_paths(self) -> int:
        return int(self.liquidated.size)

    def attribution(self) -> dict[str, np.ndarray]:
        """The P&L per path by source, signed as it enters the total (quote units); the values sum
        to :attr:`pnl` (to rounding).

        >>> from lpperp.processes import GBM
        >>> r = simulate(Scenario(), GBM(0.8), 30 / 365, 30, 500, seed=3)
        >>> a = r.attribution()
        >>> list(a)[:4], bool(np.allclose(sum(a.values()), r.pnl, rtol=0, atol=1e-8))
        (['fees', 'hold', 'il', 'perp'], True)
        """
        return {name: sign * getattr(self, name) for name, sign in ATTRIBUTION}

    def survival_curve(self) -> np.ndarray:
        """Fraction of paths not yet liquidated after each step, length ``n_steps + 1``.

        >>> from lpperp.processes import GBM
        >>> c = simulate(Scenario(leverage=4.0), GBM(0.8), 30 / 365, 30, 1000, seed=1).survival_curve()
        >>> c.shape, float(c[0]), bool((np.diff(c) <= 0).all())
        ((31,), 1.0, True)
        """
        hits = np.bincount(self.liquidation_step[self.liquidated], minlength=self.n_steps + 1)
        return 1.0 - np.cumsum(hits[: self.n_steps + 1]) / self.n_paths

    @property
    def pnl(self) -> np.ndarray:
        """``final_wealth - capital - capital_added``."""
        return self.final_wealth - self.capital - self.capital_added

    @property
    def returns(self) -> np.ndarray:
        """P&L over the capital put in (``capital + capital_added``)."""
        return self.pnl / (self.capital + self.capital_added)

    def summary(self, confidence: float = 0.95, tail: float = 0.05) -> Summary:
        """Survival with a Wilson interval, expected and ``tail``-quantile outcomes."""
        n = self.n_paths
        surv_hits = int((~self.liquidated).sum())
        lo, hi = wilson_interval(surv_hits, n, confidence)
        r = self.returns
        q = float(np.quantile(r, tail))
        es = float(r[r <= q].mean()) if (r <= q).any() else q
        return Summary(
            survival=surv_hits / n,
            survival_ci=(float(lo), float(hi)),
            expected_return=float(r.mean()),
            return_stderr=float(r.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
            tail_return=q,
            tail_expected_return=es,
            tail=tail,
            expected_pnl=float(self.pnl.mean()),
            fees_earned=float(self.fees.mean()),
            costs_paid=float(self.costs.mean()),
            il=float(self.il.mean()),
            funding_paid=float(self.funding.mean()),
            attribution={k: float(v.mean()) for k, v in self.attribution().items()},
            lvr=float(self.lvr.mean()),
            bad_debt=float(self.bad_debt.mean()),
            backstop=float(self.backstop.mean()),
            liquidation_fees=float(
                (self.liquidation_close_cost + self.liquidation_fees).mean()
            ),
            liquidation_unwind_cost=float(self.liquidation_unwind_cost.mean()),
            mean_hedges=float(self.n_hedges.mean()),
            funding_sensitivity=float(
                -(self.funding_exposure / (self.capital + self.capital_added)).mean()
            ),
            n_paths=n,
            mean_recentres=float(self.n_recentres.mean()),
            mean_top_ups=float(self.n_top_ups.mean()),
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    @staticmethod
    def concat(parts: Sequence[PathResults]) -> PathResults:
        """Join the results of consecutive path chunks."""
        first = parts[0]
        kw: dict[str, Any] = {}
        for f in fields(PathResults):
            vals = [getattr(p, f.name) for p in parts]
            kw[f.name] = np.concatenate(vals) if isinstance(vals[0], np.ndarray) else vals[0]
        kw["capital"], kw["n_steps"], kw["dt_years"] = first.capital, first.n_steps, first.dt_years
        return PathResults(**kw)


@dataclass(frozen=True)
class Summary:
    """Headline figures of a run (returns as fractions of capital; money in quote units, means).

    ``attribution`` is the mean P&L by source (:meth:`PathResults.attribution`); ``bad_debt`` and
    ``backstop`` the mean shortfall borne by the venue and the mean backstop take;
    ``funding_sensitivity`` the change of ``expected_return`` per unit of funding rate per year
    (first order: ``-E[funding_exposure / capital]``; a short LP hedge gains when funding rises)."""

    survival: float
    survival_ci: tuple[float, float]
    expected_return: float
    return_stderr: float
    tail_return: float
    tail_expected_return: float
    tail: float
    expected_pnl: float
    fees_earned: float
    costs_paid: float
    il: float
    funding_paid: float
    n_paths: int
    mean_recentres: float
    mean_top_ups: float
    attribution: dict[str, float] = field(default_factory=dict)
    lvr: float = 0.0
    bad_debt: float = 0.0
    backstop: float = 0.0
    liquidation_fees: float = 0.0
    liquidation_unwind_cost: float = 0.0
    mean_hedges: float = 0.0
    funding_sensitivity: float = 0.0

    def _repr_html_(self) -> str:
        # one cell per field: a tuple (the survival interval) is one bracketed cell
        return html_table([(k.replace("_", " "), (v,)) for k, v in self.__dict__.items()])


# ------------------------------------------------------------------------------------------------
# the stepping kernel
# ------------------------------------------------------------------------------------------------
def _lp_amounts(p: np.ndarray, pa: np.ndarray, pb: np.ndarray, liq: np.ndarray):
    s = np.sqrt(np.minimum(np.maximum(p, pa), pb))  # clip(p, pa, pb) for pa <= pb
    return liq * (1.0 / s - 1.0 / np.sqrt(pb)), liq * (s - np.sqrt(pa))


def _unit_value(p: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    b, q = _lp_amounts(p, pa, pb, 1.0)
    return b * p + q


class _Costs:
    """Per-action costs of a scenario's chain in ETH (zero without a chain)."""

    def __init__(self, chain: Chain | None) -> None:
        def eth(action: str) -> float:
            return 0.0 if chain is None else float(action_cost(chain, action).total_eth)

        self.mint, self.recentre, self.transfer, self.swap, self.exit = (
            eth("mint"),
            eth("recentre"),
            eth("margin_transfer"),
            eth("swap"),
            eth("exit"),
        )
        self.block_time_s = 0.0 if chain is None else chain.block_time_s


class _Collateral:
    """The LP's collateral value ``f(P)`` for the kernel, the cheapest form its model allows.

    ``"scaled"``: ``cf V(P)`` (static and per-token-min factors); ``"weights"``: per-token weights
    at ``k = 1``; ``"shocked"``: :func:`~lpperp.collateral.weighted_value` with a shock (EWMA-fed
    for :class:`~lpperp.collateral.VolatilityScaledFactor`); ``"function"``: ``cf(P) V(P)``.
    """

    def __init__(self, model: Any, dt: float) -> None:
        self.model, self.dt = model, dt
        self.ewma = isinstance(model, VolatilityScaledFactor)
        w = None if self.ewma else model.shock_weights(None)
        if self.ewma:
            self.kind = "shocked"
        elif w is None:
            self.kind = "function"
        else:
            k, wb, wq = (float(x) for x in w)
            self.k, self.wb, self.wq = k, wb, wq
            self.kind = "scaled" if (k == 1.0 and wb == wq) else "weights" if k == 1.0 else "shocked"

    def value(self, p, s, v, pa, pb, sa, isb, liq, var):
        """Collateral value at ``p`` given ``s = sqrt(clip(p, pa, pb))`` and the LP value ``v``."""
        if self.kind == "scaled":
            return v * self.wb
        if self.kind == "function":
            return np.asarray(self.model.factor_at(p), dtype=float) * v
        if self.kind == "weights":
            return liq * (self.wb * (p / s - p * isb) + self.wq * (s - sa))
        if self.ewma:
            m = self.model
            k = m.shock_multiplier(np.sqrt(var / self.dt), m.horizon_years, m.confidence)
            return weighted_value(p, pa, pb, liq, k, m.base_factor, m.quote_factor)
        return weighted_value(p, pa, pb, liq, self.k, self.wb, self.wq)


def _maintenance(rules: MarginRules):
    """``notional -> maintenance`` (quote units); one multiply for a single-tier schedule."""
    floors, rates, deds = rules.maintenance_pieces()
    if len(floors) == 1 and deds[0] == 0.0:
        r = float(rates[0])

        def flat(n: Any) -> Any:
            return n * r

        flat.rate = r  # type: ignore[attr-defined]
        return flat
    return lambda n: np.asarray(rules.maintenance_margin(n), dtype=float)


def run_on_paths(
    scenario: Scenario,
    prices: Any,
    dt_years: float,
    *,
    noise: np.ndarray | None = None,
    funding_noise: np.ndarray | None = None,
    seed: int | np.random.Generator | None = 0,
) -> PathResults:
    """Step ``scenario`` through price paths ``prices`` (time-major ``(n_steps + 1, n_paths)``; a
    1-d array is one path), every step vectorized over paths.

    ``noise`` (standard normals, same shape minus the first row) moves the price over the part of
    a reaction delay that falls between grid steps (without it: :func:`~lpperp.processes.
    counter_normals` keyed from ``seed``); ``funding_noise`` (same shape) drives a stochastic
    funding process (drawn from ``seed`` if not given).

    >>> p = np.array([3000.0, 3300.0, 3700.0, 4000.0])
    >>> r = run_on_paths(Scenario(leverage=3.0), p, 1 / 365)
    >>> bool(r.liquidated[0]), int(r.liquidation_step[0])
    (True, 3)
    """
    check_scenario(scenario)
    P = np.asarray(positive("prices", prices), dtype=float)
    if P.ndim == 1:
        P = P[:, None]
    if P.ndim != 2 or P.shape[0] < 2 or P.shape[1] < 1:
        raise LpperpError(f"prices must be (n_steps + 1, n_paths) with n_steps >= 1, got {P.shape}")
    if not np.allclose(P[0], scenario.price):
        raise LpperpError(
            f"prices must start at the scenario's price {scenario.price}, got {P[0, 0]}"
        )
    dt = _check_dt(positive("dt_years", dt_years, scalar=True), "dt_years")
    n_steps, m = P.shape[0] - 1, P.shape[1]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(root_seed(seed))
    if noise is None:
        key = int(rng.integers(0, 2**63))

        def znoise(t: int, idx: np.ndarray) -> np.ndarray:
            return counter_normals(key, t, idx)

    elif np.shape(noise) != (n_steps, m):
        raise LpperpError(f"noise must have shape {(n_steps, m)}, got {np.shape(noise)}")
    else:
        z_all = np.asarray(noise, dtype=float)

        def znoise(t: int, idx: np.ndarray) -> np.ndarray:
            return z_all[t - 1, idx]

    if funding_noise is None:
        funding_noise = (
            rng.standard_normal((n_steps, m)) if scenario.funding_process.stochastic else None
        )
    elif np.shape(funding_noise) != (n_steps, m):
        raise LpperpError(
            f"funding_noise must have shape {(n_steps, m)}, got {np.shape(funding_noise)}"
        )
    R = np.diff(np.log(P), axis=0)
    kernel = _kernel(scenario, m, dt, n_steps, znoise)
    next(kernel)
    fz = funding_noise
    rows = ((P[t], R[t - 1], None if fz is None else fz[t - 1]) for t in range(1, n_steps + 1))
    return _drive([kernel], rows)[0]


def _drive(kernels: list[Any], rows: Iterable[tuple[Any, ...]]) -> list[PathResults]:
    """Feed each ``(prices, log returns, funding noise)`` row to every (primed) kernel; collect
    their results."""
    out: list[Any] = [None] * len(kernels)
    for row in rows:
        for i, k in enumerate(kernels):
            try:
                k.send(row)
            except StopIteration as stop:
                out[i] = stop.value
    return out


class _Run:
    """The state of one scenario's run over ``m`` paths, shared by the step functions of
    :func:`_kernel` (one namespace instead of a closure, so each step function is mutated and
    read on its own): the run's constants, the per-path arrays (see :func:`_kernel`), the step
    buffers and what one phase of a step leaves for the next (``po, c, base, v, qp, eq, mm``)."""


def _setup(s: Scenario, m: int, dt: float, n_steps: int, znoise: Any) -> _Run:
    """The state at entry: costs, LP minted (after its entry costs), perp opened, cash and wallet,
    zeroed accumulators, the action prefilter, the funding and oracle streams."""

    pol, costs = s.policy, _Costs(s.chain)
    delay_y = pol.reaction_delay_s(costs.block_time_s) / SECONDS_PER_YEAR
    k_delay = math.floor(delay_y / dt + 1e-9)
    rem_y = delay_y - k_delay * dt
    lo_f, hi_f = _width(s)
    coll = _Collateral(s.collateral, dt)
    mmf = _maintenance(s.rules)
    fund = s.funding_process
    fund_const = isinstance(fund, ConstantFunding)
    interval_y = fund.interval_hours / 8760.0
    pay_every_step = dt >= interval_y * (1.0 - 1e-9)
    fund_rho = float(getattr(fund, "correlation", 0.0)) if fund.stochastic else 0.0
    kf = None  # fee per unit of L sqrt(P) in range, per step
    if s.fee_reference_width_pct is not None:
        w_ref = s.fee_reference_width_pct / 100.0
        kf = s.fee_apr * (2.0 - math.sqrt(1.0 - w_ref) - 1.0 / math.sqrt(1.0 + w_ref)) * dt

    # -- state per path ----------------------------------------------------------------------------
    p0 = s.price
    has_lp = s.lp_deposit > 0
    lp_inside = s.lp_in_account and has_lp
    hedge = pol.hedge and has_lp
    do_rec = pol.recentre and has_lp
    acting = do_rec or pol.top_up or hedge
    # the EWMA variance is read by an EWMA-fed factor, the delay noise and correlated funding only
    need_var = coll.ewma or (acting and rem_y > 0) or fund_rho != 0.0
    pa = np.full(m, p0 * lo_f)
    pb = np.full(m, p0 * hi_f)
    sa, isb = np.sqrt(pa), 1.0 / np.sqrt(pb)
    entry_cost = 0.0
    if has_lp:  # mint gas + swapping to the range's mix from all-quote
        b1, q1 = _lp_amounts(np.array(p0), pa[0], pb[0], 1.0)
        base_share = float(b1 * p0 / (b1 * p0 + q1))
        entry_cost = costs.mint * p0 + float(
            swap_cost(base_share * s.lp_deposit / p0, p0, s.swap_fee_fraction, s.pool_liquidity)
        )
        entry_cost = min(entry_cost, s.lp_deposit)
    v_entry = np.full(m, s.lp_deposit - entry_cost)
    liq = v_entry / _unit_value(np.array(p0), pa, pb) if has_lp else np.zeros(m)
    b0, q0 = _lp_amounts(np.array(p0), pa, pb, liq)  # entry amounts of the current range epoch
    l_isb, l_sa = liq * isb, liq * sa  # L / sqrt(pb), L sqrt(pa): refreshed when the LP changes
    acct_cash = np.full(m, s.deposit - s.lp_deposit)
    wallet = np.full(m, s.wallet_cash)
    held = s.hold_base  # a "hold" scenario: base in the wallet, the rest of the deposit as quote
    if held:
        c_hold = min(float(swap_cost(held, p0, s.swap_fee_fraction, s.pool_liquidity)), s.deposit)
        entry_cost += c_hold
        wallet += s.deposit - held * p0 - c_hold
        acct_cash[:] = 0.0
    if s.mode == "cross":
        acct_cash += wallet
        wallet[:] = 0.0
    q = np.full(m, s.perp_size)
    if hedge:  # the hedge is sized on the LP actually minted (after entry costs)
        q = -pol.hedge_ratio * b0
    q[np.abs(q) * p0 < 1e-9] = 0.0  # below a billionth of a quote unit: no perp (no denormals)
    basis = q * p0
    perp_gas = costs.swap if s.perp_on_chain else 0.0
    hedge_cost = np.abs(q) * (p0 * s.perp_fee_fraction) + (perp_gas * p0) * (q != 0)
    acct_cash -= hedge_cost
    perp_real = np.zeros(m)
    fees = np.zeros(m)
    fees_held = np.zeros(m)  # the owner's uncollected fees (seized with an LP inside the account)
    lvr = np.zeros(m)
    lvr_w = np.zeros(m)
    funding = np.zeros(m)
    exposure = np.zeros(m)
    f_state = fund.start(m)
    r_acc = 0.0 if fund_const else np.zeros(m)
    cash_yield = np.zeros(m)
    cost = np.full(m, entry_cost)
    hold = np.zeros(m)
    il_real = np.zeros(m)
    added = np.zeros(m)
    n_rec = np.zeros(m, dtype=np.int64)
    n_top = np.zeros(m, dtype=np.int64)
    n_hedge = np.zeros(m, dtype=np.int64)
    alive = np.ones(m, dtype=bool)
    liq_step = np.full(m, -1, dtype=np.int64)
    liq_loss = np.zeros(m)
    liq_close = np.zeros(m)
    liq_unwind = np.zeros(m)
    liq_fees = np.zeros(m)
    bad_debt = np.zeros(m)
    backstop = np.zeros(m)
    hit = np.zeros(m, dtype=bool)
    n_liq = np.zeros(m, dtype=np.int64)
    mechanics = s.liquidation_mechanics
    fee_rule = s.fee_collateral
    fees_par = fee_rule is None or fee_rule.at_par
    reinvest = pol.reinvest_fees and do_rec
    last_rec = np.full(m, -np.inf)
    last_hedge = np.zeros(m)
    pending = np.full(m, -1, dtype=np.int64)  # step at which a decided action lands
    due: dict[int, tuple[np.ndarray, ...]] = {}  # step -> (paths, recentre?, top up?, hedge?)
    sig0 = getattr(s.collateral, "sigma_per_year", 0.8)
    var = np.full(m, sig0**2 * dt)
    lam = s.ewma_lambda ** (dt * 365.0)  # per step, same half-life in days whatever the step
    cy = s.cash_apr * dt
    if has_lp:
        lvr_w = liq * math.sqrt(p0)  # L sqrt(P) in range at the previous step (x 1/4 at the end)
    # price bounds outside which a path may want to act (a prefilter: the exact conditions are
    # checked on the few paths outside): the range for recentring, and the prices at which the
    # LP's delta leaves the hedge band (delta is monotone in the price)
    t_lo = np.zeros(m)
    t_hi = np.full(m, np.inf)
    loose_hi, loose_lo = 1.0 - 1e-9, 1.0 + 1e-9  # t_hi = hi x loose_hi, t_lo = lo x loose_lo

    p = np.full(m, p0)
    need_base = lp_inside or kf is None
    need_v = lp_inside or kf is None
    scaled = coll.kind == "scaled"
    mm_rate = getattr(mmf, "rate", None)
    a_ou = k_ou = m_ou = cap_ou = sd_ret = sd_own = None
    if isinstance(fund, OUFunding):
        # the OU step inlined (OUFunding.step's operations in its order, in place: the same
        # floats, without a call and its temporaries per step)
        k_ou, m_ou = fund.kappa_per_year, fund.mean_rate_per_year
        a_ou = math.exp(-k_ou * dt)
        sd_ou = (
            fund.sigma_per_year * math.sqrt(-math.expm1(-2.0 * k_ou * dt) / (2.0 * k_ou))
            if k_ou > 0
            else fund.sigma_per_year * math.sqrt(dt)
        )
        cap_ou = fund.cap_per_year
        sd_ret = sd_ou * fund_rho
        sd_own = sd_ou * math.sqrt(1.0 - fund_rho * fund_rho)
    # step buffers: the full-width work of a step writes into these (no temporaries)
    w_r2, w_z, w_tmp, w_c, w_g, w_base, w_v, w_qp, w_rate, w_pay, w_eq, w_mm = (
        np.empty(m) for _ in range(12)
    )
    w_inr = np.empty(m)
    w_trig, w_trig2 = np.empty(m, dtype=bool), np.empty(m, dtype=bool)
    oracle = s.oracle if s.oracle is not None and not isinstance(s.oracle, Spot) else None
    mkt_step = np.full(m, -1, dtype=np.int64)
    advance = po_prev = dt_s = o_sq = o_v = o_tmp = None
    # what a step leaves for the next phase (the oracle's price, the LP's sqrt price, base and
    # value, the perp's notional, the venue's equity and maintenance)
    po = z_ret = c = base = v = qp = eq = mm = None
    if oracle is not None:
        if isinstance(oracle, Oracle):  # checked once here; the kernel's prices need no checks
            advance = oracle.stream(np.full(m, p0), 0.0)
        else:  # a duck-typed oracle: its own start / step
            o_state = oracle.start(np.full(m, p0), 0.0)

            def advance(t_s, prices):
                nonlocal o_state
                o_state, reported = oracle.step(o_state, t_s, prices)
                return reported

        po_prev = np.full(m, p0)
        dt_s = dt * SECONDS_PER_YEAR
        o_sq, o_v, o_tmp = np.empty(m), np.empty(m), np.empty(m)
    k = _Run()
    vars(k).update((n, x) for n, x in locals().items() if n != "k")
    if acting:
        _set_bounds(k, np.arange(m))
    return k


def _set_bounds(k: _Run, i: np.ndarray) -> None:
    """Refresh the action prefilter of paths ``i`` after their LP or perp changed: the range
    (recentring) and the prices between which the LP's base amount stays within the hedge
    band around ``-q / hedge_ratio`` (``P(b) = 1 / (b / L + 1/sqrt(pb))^2`` inverts ``base(P)
    = L (1/sqrt(P) - 1/sqrt(pb))``; base is monotone in the price)."""
    (
        alive, do_rec, hedge, isb, liq, loose_hi, loose_lo, pa, pb, pol, q, t_hi, t_lo
    ) = (
        k.alive, k.do_rec, k.hedge, k.isb, k.liq, k.loose_hi, k.loose_lo, k.pa, k.pb, k.pol, k.q,
        k.t_hi, k.t_lo
    )
    if i.size == 0:
        return
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if hedge:
            tgt = q[i] * (-1.0 / pol.hedge_ratio)
            L, ib = liq[i], isb[i]
            has = L > 0
            lb = tgt * (1.0 / (1.0 + pol.hedge_band))
            hi = np.where((lb > 0) & has, 1.0 / (lb / L + ib) ** 2, np.inf)
            if pol.hedge_band < 1.0:
                hb = tgt * (1.0 / (1.0 - pol.hedge_band))
                # where hb is above the range's largest base L (1/sqrt(pa) - 1/sqrt(pb)) this
                # price is at or below pa: below the range the exact condition decides (a
                # rounding residual of q + ratio x base can still want a re-hedge there)
                lo = np.where(has, 1.0 / (hb / L + ib) ** 2, 0.0)
                if do_rec:
                    lo = np.maximum(pa[i], lo)
            else:
                lo = pa[i] if do_rec else np.zeros(i.size)
            if do_rec:
                hi = np.minimum(pb[i], hi)
        elif do_rec:
            lo, hi = pa[i], pb[i]
        else:
            lo, hi = np.zeros(i.size), np.full(i.size, np.inf)
        t_lo[i] = lo * loose_lo
        t_hi[i] = hi * loose_hi
    dead = ~alive[i]
    if dead.any():
        t_lo[i[dead]] = 0.0
        t_hi[i[dead]] = np.inf


def _lp_state(k: _Run, p: Any, idx: Any = None) -> Any:
    """``(s, V, base)`` of the LP at ``p`` (all paths, or the paths ``idx``)."""
    base, isb, liq, pa, pb, sa = k.base, k.isb, k.liq, k.pa, k.pb, k.sa
    if idx is None:
        a, b, sa_, isb_, L = pa, pb, sa, isb, liq
    else:
        a, b, sa_, isb_, L = pa[idx], pb[idx], sa[idx], isb[idx], liq[idx]
    sq = np.maximum(p, a)  # clip(p, a, b) (a <= b) without np.clip's Python layer
    np.minimum(sq, b, out=sq)
    np.sqrt(sq, out=sq)
    base = L * (1.0 / sq - isb_)
    return sq, base * p + L * (sq - sa_), base


def _lp_base(k: _Run, p: Any, idx: np.ndarray) -> Any:
    """The base amount of :func:`lp_state` at ``p`` of the paths ``idx`` (base units)."""
    isb, liq, pa, pb = k.isb, k.liq, k.pa, k.pb
    sq = np.maximum(p, pa[idx])
    np.minimum(sq, pb[idx], out=sq)
    np.sqrt(sq, out=sq)
    return liq[idx] * (1.0 / sq - isb[idx])


def _fees_seen(k: _Run, fh: Any, p: Any, sq: Any, base: Any, L: Any, sa_: Any) -> Any:
    """The uncollected fees ``fh`` as the venue counts them (``s.fee_collateral``) at ``p``,
    the LP's ``sqrt(clip(p))`` ``sq`` and base amount ``base`` (one rule:
    :meth:`lpperp.collateral.FeeRule.counted`)."""
    fee_rule, fees_par = k.fee_rule, k.fees_par
    if fees_par:
        return fh
    return fee_rule.counted_unchecked(
        fh, p, np.maximum(base, 0.0), np.maximum(L * (sq - sa_), 0.0))


def _lp_state_into(k: _Run, p: Any, sq: np.ndarray, v: np.ndarray) -> Any:
    """``(s, V)`` of :func:`lp_state` at ``p`` for all paths, into the buffers ``sq, v``
    (the same operations, without temporaries)."""
    isb, liq, o_tmp, pa, pb, sa = k.isb, k.liq, k.o_tmp, k.pa, k.pb, k.sa
    np.maximum(p, pa, out=sq)  # clip(p, pa, pb) for pa <= pb
    np.minimum(sq, pb, out=sq)
    np.sqrt(sq, out=sq)
    np.divide(1.0, sq, out=v)
    v -= isb
    v *= liq  # the base amount L (1/s - 1/sqrt(pb))
    v *= p
    tmp = np.subtract(sq, sa, out=o_tmp)
    tmp *= liq  # L (s - sqrt(pa))
    v += tmp
    return sq, v


def _equity_at(k: _Run, p: Any, idx: Any, with_collateral: bool = False) -> Any:
    """``(collateral equity, true equity, maintenance)`` of the paths ``idx`` (all for
    ``None``) at ``p`` (and the LP's collateral value, ``with_collateral``)."""
    (
        acct_cash, basis, coll, fees_held, isb, liq, lp_inside, mmf, pa, pb, q, qp, sa, v, var
    ) = (
        k.acct_cash, k.basis, k.coll, k.fees_held, k.isb, k.liq, k.lp_inside, k.mmf, k.pa, k.pb, k.q, k.qp,
        k.sa, k.v, k.var
    )
    sel = slice(None) if idx is None else idx
    qp = q[sel] * p
    other = acct_cash[sel] + qp - basis[sel]
    cv = 0.0
    if lp_inside:
        sq, v, lb = _lp_state(k, p, idx)
        fh = fees_held[sel]
        cv = coll.value(p, sq, v, pa[sel], pb[sel], sa[sel], isb[sel], liq[sel], var[sel])
        fc = _fees_seen(k, fh, p, sq, lb, liq[sel], sa[sel])
        out = cv + other + fc, v + other + fh, mmf(np.abs(qp))
    else:
        out = other, other, mmf(np.abs(qp))
    return (*out, cv) if with_collateral else out


def _liquidate(k: _Run, idx: np.ndarray, p: Any, t: int, p_venue: Any = None) -> None:
    """Liquidate the accounts ``idx`` at ``p`` by the venue's mechanics
    (:func:`lpperp.settlement.settle_liquidation`): the owner keeps the true equity less what
    the venue takes (closing fee, LP unwind, liquidator / insurance / backstop), never the
    collateral haircut; a partial liquidation leaves a smaller perp running."""
    (
        acct_cash, alive, b0, backstop, bad_debt, basis, coll, costs, fees_held, hit, hold, il_real, isb,
        l_isb, l_sa, liq, liq_close, liq_fees, liq_loss, liq_step, liq_unwind, lp_inside, lvr_w, mechanics,
        mkt_step, mmf, n_liq, pa, pb, perp_real, q, q0, sa, v, v_entry, var
    ) = (
        k.acct_cash, k.alive, k.b0, k.backstop, k.bad_debt, k.basis, k.coll, k.costs, k.fees_held, k.hit,
        k.hold, k.il_real, k.isb, k.l_isb, k.l_sa, k.liq, k.liq_close, k.liq_fees, k.liq_loss, k.liq_step,
        k.liq_unwind, k.lp_inside, k.lvr_w, k.mechanics, k.mkt_step, k.mmf, k.n_liq, k.pa, k.pb, k.perp_real,
        k.q, k.q0, k.sa, k.v, k.v_entry, k.var
    )
    if idx.size == 0:
        return
    qi, bi = q[idx], basis[idx]
    upnl = qi * p - bi
    with np.errstate(divide="ignore", invalid="ignore"):
        entry = np.where(qi != 0, bi / qi, qi)  # no perp: its P&L (-basis) goes in as cash
    sane = entry > 0  # else (a flipped hedge) the perp's P&L goes in as cash
    entry = np.where(sane, entry, p)
    cash_in = acct_cash[idx] + np.where(sane, 0.0, upnl)
    if lp_inside:
        sq, v, lb = _lp_state(k, p, idx)
        lq = v - lb * p
        fh = fees_held[idx]
        cv = coll.value(p, sq, v, pa[idx], pb[idx], sa[idx], isb[idx], liq[idx], var[idx])
    else:
        lb = lq = fh = v = cv = 0.0
    if p_venue is None:  # the venue sees the market: this is also the market breach
        mkt_step[idx[mkt_step[idx] < 0]] = t
        mm_i = mmf(np.abs(qi * p))
        veq = cv + acct_cash[idx] + upnl + (
            _fees_seen(k, fh, p, sq, lb, liq[idx], sa[idx]) if lp_inside else fh)
    else:  # the venue's view: its oracle's price
        veq, _, mm_i, cv_v = _equity_at(k, p_venue, idx, with_collateral=True)
        if lp_inside:
            cv = cv_v
    st = settle_liquidation(
        mechanics, price=p, lp_base=lb, lp_quote=np.maximum(lq, 0.0), cash=cash_in,
        perp_size=qi, perp_entry_price=entry, fees=fh, funding_paid=0.0,
        maintenance=mm_i, gas_quote=(costs.exit * p) if lp_inside else 0.0,
        venue_equity=veq,
        collateral_value=cv if lp_inside else None,
    )
    keeps = np.asarray(st.owner_keeps, dtype=float)
    f = np.asarray(st.closed_fraction, dtype=float)
    liq_loss[idx] += np.asarray(st.true_equity) - keeps
    liq_close[idx] += st.perp_close_cost
    liq_unwind[idx] += st.lp_unwind_cost
    liq_fees[idx] += np.asarray(st.to_liquidator) + np.asarray(st.to_insurance)
    backstop[idx] += st.to_backstop
    bad_debt[idx] += st.bad_debt
    hit[idx] |= True
    first = idx[liq_step[idx] < 0]
    liq_step[first] = t
    n_liq[idx] += 1
    full = f >= 1.0 - 1e-12
    # partial: the rest of the perp keeps running at the same entry, the LP is kept, and the
    # cash is what makes the true equity equal what the owner keeps
    part = idx[~full]
    if part.size:
        fp = f[~full]
        perp_real[part] += fp * upnl[~full]
        q[part] *= 1.0 - fp
        basis[part] *= 1.0 - fp
        rest = (v[~full] + fh[~full]) if lp_inside else 0.0
        acct_cash[part] = keeps[~full] - rest - (q[part] * p[~full] - basis[part])
        _set_bounds(k, part)
    i = idx[full]
    if i.size == 0:
        return
    pf = p[full]
    perp_real[i] += upnl[full]
    q[i] = 0.0
    basis[i] = 0.0
    if lp_inside:  # the LP inside the account is gone: book its P&L up to here, then empty it
        h = b0[i] * pf + q0[i]
        hold[i] += h - v_entry[i]
        il_real[i] += v[full] - h
        liq[i] = 0.0
        l_isb[i] = 0.0
        l_sa[i] = 0.0
        v_entry[i] = 0.0
        b0[i] = 0.0
        q0[i] = 0.0
        fees_held[i] = 0.0
        lvr_w[i] = 0.0
    acct_cash[i] = keeps[full]
    alive[i] = False
    _set_bounds(k, i)


def _accrue(k: _Run, t: int, p: np.ndarray, r: np.ndarray) -> None:
    """The oracle's answer, the EWMA variance and the LP's fees and LVR over step ``t`` (at its
    end price ``p``, log return ``r``), in place in the step buffers."""
    (
        advance, base, c, dt, dt_s, fees, fees_held, fund_rho, has_lp, kf, l_isb, l_sa, lam, liq, lvr, lvr_w,
        need_base, need_v, need_var, oracle, pa, pb, po, po_prev, s, v, var, w_base, w_c, w_g, w_inr, w_r2,
        w_tmp, w_v, w_z, z_ret
    ) = (
        k.advance, k.base, k.c, k.dt, k.dt_s, k.fees, k.fees_held, k.fund_rho, k.has_lp, k.kf, k.l_isb,
        k.l_sa, k.lam, k.liq, k.lvr, k.lvr_w, k.need_base, k.need_v, k.need_var, k.oracle, k.pa, k.pb, k.po,
        k.po_prev, k.s, k.v, k.var, k.w_base, k.w_c, k.w_g, k.w_inr, k.w_r2, k.w_tmp, k.w_v, k.w_z, k.z_ret
    )
    if oracle is not None:
        po = np.asarray(advance(t * dt_s, p), dtype=float)
        if need_var:
            r_o = np.log(po / po_prev)  # the venue's EWMA follows the oracle's returns
            po_prev = po.copy()
    # -- accruals over the step (at the step's end price), in place in the step buffers ----
    r2 = np.multiply(r, r, out=w_r2)
    if need_var:
        if fund_rho != 0.0:
            z_ret = np.sqrt(var, out=w_z)
            np.divide(r, z_ret, out=z_ret)
        var *= lam
        if oracle is not None:
            r2_var = np.multiply(r_o, r_o, out=w_tmp)
        else:
            r2_var = r2
        var += np.multiply(r2_var, 1.0 - lam, out=w_tmp)
    if has_lp:
        c = np.maximum(p, pa, out=w_c)  # clip(P, pa, pb)
        np.minimum(c, pb, out=c)
        inr = np.equal(c, p, out=w_inr)  # 1.0 / 0.0 (float: g *= inr is a float loop)
        np.sqrt(c, out=c)  # c = sqrt(clip(P)), the LP's sqrt price
        lvr_w *= r2  # L sqrt(P_prev) in range, times the step's squared return
        lvr += lvr_w
        g = np.multiply(liq, c, out=w_g)  # L sqrt(P)
        if need_base:
            base = np.divide(liq, c, out=w_base)
            base -= l_isb  # L (1/sqrt(P) - 1/sqrt(pb)): the LP's base amount
        if need_v:
            v = np.multiply(base, p, out=w_v)
            v += g
            v -= l_sa  # + L (sqrt(P) - sqrt(pa)): the LP's value
        g *= inr  # L sqrt(P) in range
        if kf is not None:
            f_step = np.multiply(g, kf, out=w_tmp)
        else:
            f_step = np.multiply(v, inr, out=w_tmp)
            f_step *= s.fee_apr * dt
        fees += f_step
        fees_held += f_step
        lvr_w, w_g = g, lvr_w  # g is next step's weight; the old buffer is reused
    k.po, k.po_prev, k.z_ret, k.c, k.base, k.v, k.lvr_w, k.w_g = po, po_prev, z_ret, c, base, v, lvr_w, w_g


def _fund(k: _Run, t: int, p: np.ndarray, zf: Any) -> None:
    """Funding over step ``t`` on the mark (paid at the venue's interval; ``zf`` the funding
    noise) and the cash yield."""
    (
        a_ou, acct_cash, alive, cap_ou, cash_yield, cy, dt, exposure, f_state, fund, fund_const, fund_rho,
        funding, interval_y, m, m_ou, pay_every_step, q, qp, r_acc, sd_own, sd_ret, w_pay, w_qp, w_rate,
        w_tmp, wallet, z_ret
    ) = (
        k.a_ou, k.acct_cash, k.alive, k.cap_ou, k.cash_yield, k.cy, k.dt, k.exposure, k.f_state, k.fund,
        k.fund_const, k.fund_rho, k.funding, k.interval_y, k.m, k.m_ou, k.pay_every_step, k.q, k.qp, k.r_acc,
        k.sd_own, k.sd_ret, k.w_pay, k.w_qp, k.w_rate, k.w_tmp, k.wallet, k.z_ret
    )
    qp = np.multiply(q, p, out=w_qp)
    exposure += qp
    if fund_const:  # ConstantFunding.step's answer (its rate), without the call
        rate = fund.rate_per_year
    elif a_ou is not None:
        f_state -= m_ou
        f_state *= a_ou
        f_state += m_ou
        if sd_ret != 0.0:
            f_state += np.multiply(z_ret, sd_ret, out=w_tmp)
        if sd_own != 0.0:
            f_state += np.multiply(zf, sd_own, out=w_tmp)
        rate = np.maximum(f_state, -cap_ou, out=w_rate)  # clip to the cap
        np.minimum(rate, cap_ou, out=rate)
    else:
        f_state, rate = fund.step(f_state, dt, z_ret if fund_rho != 0.0 else None, zf)
    if pay_every_step:
        pay = np.multiply(qp, rate, out=w_pay)
        pay *= dt
    else:
        r_acc = r_acc + rate * dt
        k_prev = math.floor((t - 1) * dt / interval_y + 1e-9)
        if math.floor(t * dt / interval_y + 1e-9) > k_prev:
            pay = qp * r_acc
            r_acc = 0.0 if fund_const else np.zeros(m)
        else:
            pay = None
    if pay is not None:
        funding += pay
        acct_cash -= pay
    if cy:
        y = acct_cash * cy
        y *= alive
        cash_yield += y
        acct_cash += y
        cash_yield += wallet * cy
        wallet *= 1.0 + cy
    k.qp, k.f_state, k.r_acc = qp, f_state, r_acc


def _check(k: _Run, t: int, p: np.ndarray) -> None:
    """The margin check at step ``t`` (the venue's price: its oracle's) and the liquidation of
    the accounts below maintenance, executed at the market price ``p``."""
    (
        acct_cash, alive, base, basis, c, coll, eq, fees_held, fees_par, isb, liq, lp_inside, mkt_step, mm,
        mm_rate, mmf, o_sq, o_v, oracle, pa, pb, po, q, qp, sa, scaled, v, var, w_eq, w_mm, w_trig
    ) = (
        k.acct_cash, k.alive, k.base, k.basis, k.c, k.coll, k.eq, k.fees_held, k.fees_par, k.isb, k.liq,
        k.lp_inside, k.mkt_step, k.mm, k.mm_rate, k.mmf, k.o_sq, k.o_v, k.oracle, k.pa, k.pb, k.po, k.q,
        k.qp, k.sa, k.scaled, k.v, k.var, k.w_eq, k.w_mm, k.w_trig
    )
    # -- liquidation at the grid price (the venue's price: the oracle's) ----------------------
    if lp_inside:
        if scaled:
            eq = np.multiply(v, coll.wb, out=w_eq)
        else:
            eq = coll.value(p, c, v, pa, pb, sa, isb, liq, var)
        eq += acct_cash
        if fees_par:
            eq += fees_held
        else:
            eq += _fees_seen(k, fees_held, p, c, base, liq, sa)
    else:
        eq = w_eq
        np.copyto(eq, acct_cash)
    eq += qp
    eq -= basis
    mm = np.abs(qp, out=w_mm)
    if mm_rate is not None:
        mm *= mm_rate
    else:
        mm = mmf(mm)
    if oracle is not None:
        mkt = eq < mm
        if mkt.any():
            i = np.flatnonzero(mkt)
            i = i[alive[i] & (mkt_step[i] < 0)]
            mkt_step[i] = t
        # what the venue sees: _equity_at(k, po, None), the same operations in place
        qp_o = q * po
        eq = acct_cash + qp_o
        eq -= basis
        if lp_inside:
            sq_o, v_o = _lp_state_into(k, po, o_sq, o_v)
            if not fees_par:
                fh_o = _fees_seen(k, fees_held, po, sq_o, liq * (1.0 / sq_o - isb), liq, sa)
            if scaled:
                v_o *= coll.wb
                cv = v_o
            else:
                cv = coll.value(po, sq_o, v_o, pa, pb, sa, isb, liq, var)
            eq += cv
            eq += fees_held if fees_par else fh_o
        mm = np.abs(qp_o, out=qp_o)
        if mm_rate is not None:
            mm *= mm_rate
        else:
            mm = mmf(mm)
        breach = eq < mm
        if breach.any():
            i = np.flatnonzero(breach)
            i = i[alive[i]]
            _liquidate(k, i, p[i], t, po[i])  # executed at the market
    else:
        breach = np.less(eq, mm, out=w_trig)
        if breach.any():
            i = np.flatnonzero(breach)
            i = i[alive[i]]
            _liquidate(k, i, p[i], t)
    k.eq, k.mm = eq, mm


def _decide(k: _Run, t: int, p: np.ndarray) -> None:
    """Which paths want to act at step ``t`` (recentre, top up, re-hedge) and when that lands
    (after the reaction delay): a prefilter on the price, then the exact conditions on the few."""
    (
        alive, do_rec, dt, due, eq, hedge, k_delay, last_hedge, last_rec, mm, pa, pb, pending, pol, q, t_hi,
        t_lo, w_trig, w_trig2
    ) = (
        k.alive, k.do_rec, k.dt, k.due, k.eq, k.hedge, k.k_delay, k.last_hedge, k.last_rec, k.mm, k.pa, k.pb,
        k.pending, k.pol, k.q, k.t_hi, k.t_lo, k.w_trig, k.w_trig2
    )
    # -- decide (on the paths that want something: few of them) -------------------------------
    trig = np.less(p, t_lo, out=w_trig)
    trig |= np.greater(p, t_hi, out=w_trig2)
    if pol.recentre_health > 0:
        trig |= eq < pol.recentre_health * mm
    if pol.top_up:
        trig |= eq < pol.top_up_health * mm
    if trig.any():
        cand = np.flatnonzero(trig)
        cand = cand[alive[cand] & (pending[cand] < 0)]
        if cand.size:
            pc = p[cand]
            no = np.zeros(cand.size, dtype=bool)
            want, wr, wt, wh = no.copy(), no, no, no
            if do_rec:
                wr = (pc < pa[cand]) | (pc > pb[cand])
                if pol.recentre_health > 0:
                    wr |= (eq[cand] < pol.recentre_health * mm[cand]) & (mm[cand] > 0)
                if pol.min_interval_years > 0:
                    wr &= (t * dt - last_rec[cand]) >= pol.min_interval_years - 1e-12
                want |= wr
            if pol.top_up:
                wt = (eq[cand] < pol.top_up_health * mm[cand]) & (mm[cand] > 0)
                want |= wt
            if hedge:
                bc = _lp_base(k, pc, cand)
                wh = np.abs(q[cand] + pol.hedge_ratio * bc) > (
                    pol.hedge_band * pol.hedge_ratio
                ) * bc
                if pol.hedge_interval_years > 0:
                    wh &= (t * dt - last_hedge[cand]) >= pol.hedge_interval_years - 1e-12
                want |= wh
            if want.any():  # what lands at t + k_delay, with why (a path waits for one)
                pending[cand[want]] = t + k_delay
                due[t + k_delay] = (cand[want], wr[want], wt[want], wh[want])


def _act(k: _Run, t: int, p: np.ndarray) -> None:
    """The actions landing at step ``t``: at the price moved over the delay's remainder, a late
    liquidation first, then the recentre, the re-hedge and the top-up."""
    (
        acct_cash, added, alive, b0, basis, coll, cost, costs, dt, due, fees_held, hedge, hedge_cost, hi_f,
        hold, il_real, isb, l_isb, l_sa, last_hedge, last_rec, liq, lo_f, lp_inside, lvr_w, mmf, n_hedge,
        n_rec, n_top, oracle, pa, pb, pending, perp_gas, po, pol, q, q0, reinvest, rem_y, s, sa, scaled,
        v_entry, var, wallet, znoise
    ) = (
        k.acct_cash, k.added, k.alive, k.b0, k.basis, k.coll, k.cost, k.costs, k.dt, k.due, k.fees_held,
        k.hedge, k.hedge_cost, k.hi_f, k.hold, k.il_real, k.isb, k.l_isb, k.l_sa, k.last_hedge, k.last_rec,
        k.liq, k.lo_f, k.lp_inside, k.lvr_w, k.mmf, k.n_hedge, k.n_rec, k.n_top, k.oracle, k.pa, k.pb,
        k.pending, k.perp_gas, k.po, k.pol, k.q, k.q0, k.reinvest, k.rem_y, k.s, k.sa, k.scaled, k.v_entry,
        k.var, k.wallet, k.znoise
    )
    # -- act -------------------------------------------------------------------------------------
    landing = due.pop(t, None)
    if landing is None:
        return
    idx, f_rec, f_top, f_hedge = landing
    pending[idx] = -1
    alive_due = alive[idx]
    if not alive_due.all():
        idx, f_rec, f_top, f_hedge = (x[alive_due] for x in landing)
        if idx.size == 0:
            return
    pe = p[idx]
    if rem_y > 0:
        sig = np.sqrt(var[idx] / dt)
        pe = pe * np.exp(sig * math.sqrt(rem_y) * znoise(t, idx) - 0.5 * sig * sig * rem_y)
    # _equity_at(k, pe, idx) (the venue's: at its oracle's price, no new answer within the step),
    # keeping the LP's amounts at pe for the actions below
    pv = pe if oracle is None else po[idx]
    qp_e = q[idx] * pv
    eq_e = acct_cash[idx] + qp_e - basis[idx]
    if lp_inside:
        sq_e, v_e, b_e = _lp_state(k, pe, idx)
        if oracle is not None:
            sq_v, v_v, b_v = _lp_state(k, pv, idx)
        else:
            sq_v, v_v, b_v = sq_e, v_e, b_e
        cv_e = v_v * coll.wb if scaled else coll.value(
            pv, sq_v, v_v, pa[idx], pb[idx], sa[idx], isb[idx], liq[idx], var[idx])
        eq_e = cv_e + eq_e + _fees_seen(k, fees_held[idx], pv, sq_v, b_v, liq[idx], sa[idx])
    late = eq_e < mmf(np.abs(qp_e))
    if late.any():
        _liquidate(k, idx[late], pe[late], t, None if oracle is None else po[idx[late]])
        ok = ~late
        idx, pe, f_rec, f_top, f_hedge = idx[ok], pe[ok], f_rec[ok], f_top[ok], f_hedge[ok]
        if lp_inside:
            v_e, b_e = v_e[ok], b_e[ok]
    rec = f_rec
    if rec.any():
        i, pr = idx[rec], pe[rec]
        if lp_inside:
            v_exit, b = v_e[rec], b_e[rec]
        else:
            _, v_exit, b = _lp_state(k, pr, i)
        npa, npb = pr * lo_f, pr * hi_f
        ub, uq = _lp_amounts(pr, npa, npb, 1.0)
        v_in = v_exit
        if reinvest:  # the fees collected (quote) join the exit value in the new LP
            v_in = v_exit + fees_held[i]
            fees_held[i] = 0.0
        swap_b = v_in * (ub * pr / (ub * pr + uq)) / pr - b
        if math.isinf(s.pool_liquidity):  # swap_cost without price impact, inlined
            c_swap = s.swap_fee_fraction * np.abs(swap_b) * pr
        else:
            c_swap = np.asarray(swap_cost(swap_b, pr, s.swap_fee_fraction, s.pool_liquidity))
        c_rec = costs.recentre * pr + c_swap
        v_new = np.maximum(v_in - c_rec, 0.0)
        h = b0[i] * pr + q0[i]
        hold[i] += h - v_entry[i]
        il_real[i] += v_exit - h
        cost[i] += v_in - v_new
        pa[i], pb[i] = npa, npb
        sa[i], isb[i] = np.sqrt(npa), 1.0 / np.sqrt(npb)
        liq[i] = v_new / (ub * pr + uq)
        l_isb[i], l_sa[i] = liq[i] * isb[i], liq[i] * sa[i]
        v_entry[i] = v_new
        b0[i], q0[i] = ub * liq[i], uq * liq[i]
        # the LP is now valued at the grid price: the move pe -> p is booked as hold/il later
        # in range as _accrue counts it (edges included): clip(P, npa, npb) == P
        sq_now = np.maximum(p[i], npa)  # clip(P, npa, npb), then its sqrt
        inr_now = np.minimum(sq_now, npb, out=sq_now) == p[i]
        np.sqrt(sq_now, out=sq_now)
        lvr_w[i] = liq[i] * sq_now * inr_now
        last_rec[i] = t * dt
        n_rec[i] += 1
    hd = f_hedge | rec if hedge else f_hedge
    if hedge and hd.any():
        i, ph = idx[hd], pe[hd]
        if lp_inside:  # the base at pe: kept from above, the new LP's where it recentred
            b = b_e.copy()
            if rec.any():
                b[rec] = _lp_base(k, pe[rec], idx[rec])
            b = b[hd]
        else:
            b = _lp_base(k, ph, i)
        dq = -pol.hedge_ratio * b - q[i]
        basis[i] += dq * ph
        fee = np.abs(dq) * ph * s.perp_fee_fraction + (perp_gas * ph) * (dq != 0)
        acct_cash[i] -= fee
        hedge_cost[i] += fee
        q[i] += dq
        last_hedge[i] = t * dt
        n_hedge[i] += 1
    top = f_top
    if top.any():
        i, pt = idx[top], pe[top]
        eqc_t, _, mm_t = _equity_at(k, pt if oracle is None else po[i], i)
        need = np.maximum(pol.top_up_target * mm_t - eqc_t, 0.0)
        tc = costs.transfer * pt
        from_wallet = np.minimum(need + tc, wallet[i])
        acct_cash[i] += need
        wallet[i] -= from_wallet
        added[i] += need + tc - from_wallet
        cost[i] += tc
        n_top[i] += 1
    _set_bounds(k, idx)


def _finish(k: _Run) -> PathResults:
    """The final marks (the LP and the perp at the last price) and the results."""
    (
        acct_cash, added, b0, backstop, bad_debt, basis, cash_yield, cost, dt, exposure, fees, fees_held,
        funding, hedge_cost, held, hit, hold, il_real, liq_close, liq_fees, liq_loss,
        liq_step, liq_unwind, lvr, mkt_step, n_hedge, n_liq, n_rec, n_steps, n_top, p, p0,
        perp_real, q, q0, s, v_entry, wallet
    ) = (
        k.acct_cash, k.added, k.b0, k.backstop, k.bad_debt, k.basis, k.cash_yield, k.cost, k.dt, k.exposure,
        k.fees, k.fees_held, k.funding, k.hedge_cost, k.held, k.hit, k.hold, k.il_real,
        k.liq_close, k.liq_fees, k.liq_loss, k.liq_step, k.liq_unwind, k.lvr, k.mkt_step, k.n_hedge, k.n_liq,
        k.n_rec, k.n_steps, k.n_top, k.p, k.p0, k.perp_real, k.q, k.q0, k.s, k.v_entry,
        k.wallet
    )
    # -- final marks ---------------------------------------------------------------------------------
    pT = p
    _, v_T, _ = _lp_state(k, pT)
    h_T = b0 * pT + q0
    hold_T = hold + (h_T - v_entry) + held * (pT - p0)
    il_T = il_real + (v_T - h_T)
    perp_T = perp_real + (q * pT - basis)
    wealth = v_T + wallet + acct_cash + (q * pT - basis) + fees_held + held * pT
    return PathResults(
        liquidated=hit,
        liquidation_step=liq_step,
        final_wealth=wealth,
        capital=s.deposit + s.wallet_cash,
        capital_added=added,
        hold=hold_T,
        il=il_T,
        fees=fees,
        perp=perp_T,
        funding=funding,
        cash_yield=cash_yield,
        costs=cost,
        hedge_costs=hedge_cost,
        liquidation_loss=liq_loss,
        liquidation_close_cost=liq_close,
        liquidation_unwind_cost=liq_unwind,
        liquidation_fees=liq_fees,
        n_liquidations=n_liq,
        bad_debt=bad_debt,
        backstop=backstop,
        market_breach_step=mkt_step,
        funding_exposure=exposure * dt,
        n_recentres=n_rec,
        n_top_ups=n_top,
        n_hedges=n_hedge,
        lvr=0.25 * lvr,
        n_steps=n_steps,
        dt_years=dt,
    )


def _kernel(s: Scenario, m: int, dt: float, n_steps: int, znoise: Any) -> Any:
    """Generator stepping one scenario over ``m`` paths: send ``(prices_t, log_returns_t,
    funding_noise_t)`` for ``t = 1..n_steps``; the last send returns the :class:`PathResults`
    (``StopIteration.value``). ``znoise(t, idx)`` gives the delay noise of the paths ``idx`` at
    step ``t`` (standard normals), drawn only for the paths that act.

    State per path: the LP (range ``pa, pb``, liquidity, the entry amounts of its range epoch),
    the perp (size ``q`` and ``basis = sum of trade sizes x trade prices``, so its P&L is
    ``q P - basis``), the account's cash (funding and perp fees are paid from it), the owner's
    uncollected fees, the wallet; accumulators of the P&L attribution.
    """
    k = _setup(s, m, dt, n_steps, znoise)
    for t in range(1, n_steps + 1):
        p, r, zf = yield
        k.p = p
        _accrue(k, t, p, r)
        _fund(k, t, p, zf)
        _check(k, t, p)
        if k.acting:
            _decide(k, t, p)
            _act(k, t, p)
    return _finish(k)


# ------------------------------------------------------------------------------------------------
# Monte Carlo, backtests, comparisons, stress, sweeps
# ------------------------------------------------------------------------------------------------
#: Paths a simulation steps at once by default (3 blocks): a step's Python work is shared by three
#: times the paths of one block (the policy run of benchmarks/bench_risk.py: 230 -> 172 ns per
#: path-step, 2026-11-30), ~100 kB per state array, still independent of the path count. The
#: numbers do not depend on it (every block draws from its own streams).
SIMULATE_CHUNK_PATHS = 3 * PATH_BLOCK
_NOISE_KEY = 2**31  # spawn-key branch for the delay noise, never used by lpperp.processes
_FUNDING_KEY = 2**31 + 1  # spawn-key branch for the funding noise


def noise_streams(
    root: np.random.SeedSequence, a: int, b: int, key: int = _NOISE_KEY
) -> list[tuple[Any, int]]:
    """One generator per block of paths ``[a, b)`` for the delay noise (``key``: another branch,
    e.g. the funding noise), with its block's width.

    Public so that a cached explorer can redraw exactly the noise :func:`simulate` uses for a seed.

    >>> from lpperp.processes import root_seed
    >>> [w for _, w in noise_streams(root_seed(0), 0, 10)]
    [10]
    """
    out = []
    for k in range(a // PATH_BLOCK, -(-b // PATH_BLOCK)):
        ss = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key, k))
        out.append(
            (
                np.random.Generator(np.random.PCG64(ss)),
                min(b, (k + 1) * PATH_BLOCK) - k * PATH_BLOCK,
            )
        )
    return out


def _rows(
    price: float,
    steps: Iterable[tuple[int, np.ndarray]],
    m: int,
    funding_streams: list[tuple[Any, int]] | None = None,
) -> Iterable[tuple[Any, ...]]:
    """``(prices_t, log_returns_t, funding_noise_t)`` rows from streamed log increments, one time
    chunk in memory."""
    x_prev = np.zeros(m)
    for _, x in steps:
        n = x.shape[0]
        r = x.copy()
        cumsum_time(x, x_prev)
        x_prev = x[-1].copy()
        prices = np.exp(x, out=x)
        prices *= price
        if funding_streams:
            fz = [g.standard_normal((n, w)) for g, w in funding_streams]
            zf = fz[0] if len(fz) == 1 else np.concatenate(fz, axis=1)
        for i in range(n):
            yield prices[i], r[i], (zf[i] if funding_streams else None)


def delay_noise_key(root: np.random.SeedSequence) -> int:
    """The :func:`~lpperp.processes.counter_normals` key of the delay noise of a run seeded with
    ``root``: the noise of path ``i`` at step ``t`` is ``counter_normals(key, t, i)``, whatever the
    chunking and whichever paths act (public so a cached explorer can redraw it).

    >>> from lpperp.processes import root_seed
    >>> delay_noise_key(root_seed(0)) == delay_noise_key(root_seed(0))
    True
    """
    return counter_key(root, _NOISE_KEY)


def run_many(
    scenarios: Sequence[Scenario],
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: Any,
    chunk_paths: int | None,
    progress: bool,
    chunk_steps: int | None = None,
    max_path_steps: Any = MAX_PATH_STEPS,
    what: str = "simulate",
) -> list[PathResults]:
    """Several scenarios on the same price paths and delay noise, one chunk of paths at a time.

    What :func:`simulate` and :func:`lpperp.strategies.compare_strategies` share: the budget is
    checked first (every scenario counted), then each chunk of paths is drawn once and stepped
    through every scenario's kernel, so scenarios differ only in what they hold and do.
    """
    # the budget first: 2**200 paths is refused in microseconds, before anything is built
    npaths, ns = path_step_budget(n_paths, n_steps, max_path_steps=max_path_steps, what=what)
    for sc in scenarios:
        check_scenario(sc)
    check_process(process)
    if len(scenarios) > 1:
        path_step_budget(npaths * len(scenarios), ns, max_path_steps=max_path_steps,
                         what=f"{what} ({len(scenarios)} scenarios on the same paths)")
    price = scenarios[0].price
    for sc in scenarios:
        if sc.price != price:
            raise LpperpError(
                f"scenarios on the same paths need the same price; got {price} and "
                f"{sc.price} ({sc.name!r})"
            )
    tau = positive("tau_years", tau_years, scalar=True)
    root = root_seed(seed)
    dt = _check_dt(tau / ns, "tau_years / n_steps")
    if chunk_paths is None:
        chunk_paths = SIMULATE_CHUNK_PATHS
    stochastic_funding = any(sc.funding_process.stochastic for sc in scenarios)
    key = delay_noise_key(root)
    parts: list[list[PathResults]] = [[] for _ in scenarios]
    chunks = iter_increments(
        process, tau, ns, npaths, root, chunk_paths=chunk_paths, chunk_steps=chunk_steps,
        max_path_steps=max_path_steps,
    )
    done = 0
    try:
        for a, b, steps in progress_bar(
            chunks, n_chunks(npaths, chunk_paths), progress, "simulate"
        ):
            def znoise(t: int, idx: np.ndarray, a: int = a, key: int = key) -> np.ndarray:
                return counter_normals(key, t, idx + a)

            kernels = [_kernel(sc, b - a, dt, ns, znoise) for sc in scenarios]
            for k in kernels:
                next(k)
            fstreams = noise_streams(root, a, b, _FUNDING_KEY) if stochastic_funding else None
            res = _drive(kernels, _rows(price, steps, b - a, fstreams))
            for lst, r in zip(parts, res, strict=True):
                lst.append(r)
            done = b
    except KeyboardInterrupt:
        if done == 0:
            raise
        warnings.warn(
            f"interrupted: results for the first {done} of {npaths} paths",
            RuntimeWarning,
            stacklevel=3,
        )
    return [PathResults.concat(p) for p in parts]


def simulate(
    scenario: Scenario,
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int = 10_000,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    chunk_paths: int | None = None,
    chunk_steps: int | None = None,
    progress: bool = False,
    max_path_steps: int = MAX_PATH_STEPS,
) -> PathResults:
    """Run ``scenario`` over Monte Carlo paths of ``process`` (chunks of paths, bounded memory).

    Paths are streamed ``chunk_paths`` (default :data:`SIMULATE_CHUNK_PATHS`) x ``chunk_steps`` at a
    time (memory knobs: never the whole path matrix, whatever the horizon); the same seed gives
    the same numbers whatever they are.
    ``progress`` shows a ``tqdm.auto`` bar if tqdm is installed; Ctrl-C returns the paths finished
    so far, with a warning. A run over ``max_path_steps`` (``max(n_paths, 256) * n_steps``, about
    0.5 us each here; see :func:`lpperp.processes.path_step_budget`) is refused up front.

    >>> from lpperp.processes import GBM
    >>> r = simulate(Scenario(), GBM(0.8), 30 / 365, 30, 2000, seed=1)
    >>> s = r.summary()
    >>> 0.0 < s.survival <= 1.0, s.n_paths
    (True, 2000)
    """
    return run_many(
        [scenario], process, tau_years, n_steps, n_paths, seed, chunk_paths, progress, chunk_steps,
        max_path_steps,
    )[0]


def backtest(
    scenario: Scenario, series: Any, *, seed: int = 0, max_path_steps: int = MAX_PATH_STEPS
) -> PathResults:
    """Run ``scenario`` along a historical series (a :class:`~lpperp.prices.PriceSeries`), entering
    at its first price (the scenario's ``price`` is replaced by it), one step per observation.
    A series over the step budget (``256 * n_steps > max_path_steps``) is refused up front.

    >>> from lpperp.prices import sample_prices
    >>> r = backtest(Scenario(policy=Policy(recentre=True)), sample_prices().tail(91))
    >>> r.n_paths, r.n_steps
    (1, 90)
    """
    if not (hasattr(series, "prices") and hasattr(series, "dt_years")):
        raise LpperpError(
            f"series must be a PriceSeries (lpperp.prices: load_prices, sample_prices or "
            f"PriceSeries(times, prices)), got {type(series).__name__}"
        )
    check_scenario(scenario)
    prices = np.asarray(series.prices, dtype=float)
    if prices.ndim != 1 or prices.size < 2:
        raise LpperpError(
            f"series must hold at least 2 prices (one step), got shape {prices.shape}"
        )
    path_step_budget(1, prices.size - 1, max_path_steps=max_path_steps, what="backtest")
    sc = replace(scenario, price=float(prices[0]))
    return run_on_paths(sc, prices, series.dt_years, seed=seed)

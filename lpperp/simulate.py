"""Path-dependent runs: an LP-margined perp account stepped through price paths, with policies.

A :class:`Scenario` says what is held (LP as collateral, idle stablecoins, or an LP plus a separate
cash margin), the perp, the margin mode, fees, funding, the collateral model and the chain; a
:class:`Policy` says how the owner reacts (recentre the range, top up margin, or nothing) and how
fast (a reaction delay per chain). :func:`run_on_paths` steps one scenario through given price paths
(vectorized over paths); :func:`simulate` does it over Monte Carlo paths a chunk at a time;
:func:`backtest` over a :class:`~lpperp.prices.PriceSeries`. Several strategies side by side
(:func:`~lpperp.strategies.compare_strategies`, stress tests, sweeps) live in :mod:`lpperp.strategies`.

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
  margin and the rest an LP *outside* the account (inside under cross margin).
- Margin mode: ``"isolated"``: only the account's assets back the perp and the rest of the wallet
  survives a liquidation; ``"cross"``: the wallet's cash and LP join the account.
- The account follows :mod:`lpperp.margin`: ``equity = collateral_value(LP) + cash + q (P - E) +
  accrued fees - funding paid``; ``maintenance = rules.maintenance_margin(|q| P)``; liquidated at
  the first step where ``equity < maintenance``; the owner keeps ``max(equity - penalty, 0)``
  (the collateral haircut and the penalty are lost). Monitoring is at the grid steps.
- Each step: fees while in range (accrued at par). The pool pays fees per unit of in-range
  liquidity, so they are ``fee_apr * L sqrt(P) c_ref dt`` with ``c_ref = 2 - sqrt(1 - w) -
  1/sqrt(1 + w)`` for ``w = fee_reference_width_pct / 100``: ``fee_apr`` is the yield on value of a
  position of the reference width centred at the price, and a narrower range (more liquidity per
  dollar) earns proportionally more while in range. ``fee_reference_width_pct=None`` instead
  applies ``fee_apr`` to the position's value whatever its width
  (:meth:`~lpperp.position.LPPosition.fee_income`). Funding ``q P
  funding_rate_per_year dt`` paid (a positive rate: longs pay, shorts receive); the oracle's EWMA
  variance ``var = lam var + (1 - lam) r^2`` of the step's log return, ``lam =
  ewma_lambda ** (dt_years * 365)`` (``ewma_lambda`` is the daily RiskMetrics decay, 0.94: the
  same half-life in days whatever the step), seeded with the collateral model's
  ``sigma_per_year``; it sets the collateral factor of a
  :class:`~lpperp.collateral.VolatilityScaledFactor` along the path (other models: seeded at
  80 %/yr; the variance then only sizes the price move during a reaction delay).
- Timing: a breach seen at step ``t`` is acted on ``delay = block_time_s * blocks + latency_s``
  seconds later: at grid step ``t + floor(delay/dt)``, at the price moved further by a Brownian
  increment over the remainder with the oracle's volatility. If the account is liquidatable at that
  price, it is liquidated first.
- P&L split per path (sums to the final wealth minus capital): ``hold`` (the LP's deposited amounts
  held, per range epoch), ``il`` (LP value minus that hold value: impermanent loss, realised at each
  recentre; its expected rate is the LVR), ``fees``, ``perp`` (mark-to-market), ``-funding``,
  ``cash_yield``, ``-costs`` (gas, swap fee and price impact), ``-liquidation_loss``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from lpperp._validate import LpperpError, finite, fraction, integer, nonnegative, one_of, positive
from lpperp.collateral import (
    RISKMETRICS_LAMBDA,
    StaticFactor,
    VolatilityScaledFactor,
    weighted_value,
)
from lpperp.costs import EXAMPLE_FEE_APR, Chain, action_cost, swap_cost
from lpperp.margin import DEFAULT_RULES, CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.prices import SECONDS_PER_YEAR
from lpperp.processes import (
    PATH_BLOCK,
    PriceProcess,
    cumsum_time,
    iter_increments,
    n_chunks,
    progress_bar,
    root_seed,
)
from lpperp.risk import wilson_interval

__all__ = [
    "SECONDS_PER_YEAR",
    "PathResults",
    "Policy",
    "Scenario",
    "Summary",
    "affordable_interval_years",
    "backtest",
    "initial_account",
    "noise_streams",
    "run_on_paths",
    "simulate",
]

Kind = Literal["lp", "stable", "lp_plus_cash"]
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

    >>> Policy.none().recentre, Policy(recentre=True).reaction_delay_s(12.0)
    (False, 72.0)
    """

    recentre: bool = False
    recentre_health: float = 0.0
    min_interval_years: float = 0.0
    top_up: bool = False
    top_up_health: float = 1.5
    top_up_target: float = 3.0
    blocks: int = 1
    latency_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("recentre_health", "min_interval_years", "latency_s"):
            object.__setattr__(self, name, float(nonnegative(name, getattr(self, name))))
        for name in ("recentre", "top_up"):  # "no" or None would silently read as a choice
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
    cash_apr: float = 0.0
    cash_margin_fraction: float = 0.3
    chain: Chain | None = None
    swap_fee_fraction: float = 0.0005
    pool_liquidity: float = math.inf
    policy: Policy = field(default_factory=Policy)
    ewma_lambda: float = RISKMETRICS_LAMBDA

    def __post_init__(self) -> None:
        one_of("kind", self.kind, ("lp", "stable", "lp_plus_cash"))
        one_of("side", self.side, ("short", "long"))
        one_of("mode", self.mode, ("isolated", "cross"))
        for name in ("price", "deposit"):
            object.__setattr__(self, name, float(positive(name, getattr(self, name))))
        for name in ("wallet_cash", "leverage", "cash_apr", "swap_fee_fraction"):
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

    @property
    def perp_size(self) -> float:
        """Signed perp size, base units: ``-+ leverage * deposit / price``."""
        q = self.leverage * self.deposit / self.price
        return -q if self.side == "short" else q

    @property
    def lp_deposit(self) -> float:
        """Quote value put into the LP (before entry costs)."""
        if self.kind == "stable":
            return 0.0
        return self.deposit * (
            1.0 - self.cash_margin_fraction if self.kind == "lp_plus_cash" else 1.0
        )

    @property
    def lp_in_account(self) -> bool:
        """Whether the LP backs the perp."""
        return self.kind == "lp" or (self.kind == "lp_plus_cash" and self.mode == "cross")


def _width(s: Scenario) -> tuple[float, float]:
    w = s.width_pct / 100.0
    return 1.0 - w, 1.0 + w


def affordable_interval_years(scenario: Scenario, sigma_per_year: float) -> float:
    """Shortest interval between recentres worth paying for on the scenario's chain, years.

    ``1 / rebalancing.optimal_frequency(...)``: the frequency that maximises fee income kept minus gas and
    swap costs for the scenario's LP (its width, fee APR, swap fee, pool liquidity) at volatility
    ``sigma_per_year``. Use it as ``Policy(min_interval_years=...)``.

    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> days = [365 * affordable_interval_years(Scenario(chain=c), 0.8) for c in (ETHEREUM, ARBITRUM)]
    >>> days[0] > days[1]
    True
    """
    from lpperp.rebalancing import optimal_frequency

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
    )
    return 1.0 / f


def initial_account(scenario: Scenario) -> IsolatedAccount | CrossAccount:
    """The margin account at entry (before entry costs), as :mod:`lpperp.margin` objects.

    The simulator's equity and maintenance at step 0 match this account's (a test checks it).

    >>> acct = initial_account(Scenario(kind="lp_plus_cash", mode="cross", leverage=3.0))
    >>> type(acct).__name__, round(acct.cash, 2), round(acct.equity(3000.0), 2)
    ('CrossAccount', 3000.0, 8600.0)
    """
    s = scenario
    perp = PerpPosition(s.perp_size, s.price)
    lp = (
        LPPosition.from_deposit(s.lp_deposit, s.price, width_pct=s.width_pct)
        if s.lp_deposit
        else None
    )
    cash = s.deposit - s.lp_deposit
    if s.mode == "cross":
        return CrossAccount(
            (perp,), (lp,) if lp is not None else (), cash + s.wallet_cash, s.collateral, s.rules
        )
    return IsolatedAccount(perp, lp if s.lp_in_account else None, cash, s.collateral, s.rules)


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
_COMPONENTS = ("hold", "il", "fees", "perp", "funding", "cash_yield", "costs", "liquidation_loss")


@dataclass(frozen=True, eq=False)
class PathResults:
    """Per-path outcomes of a run (arrays of length ``n_paths``, quote units).

    ``liquidated`` and ``liquidation_step`` (-1 if never); ``final_wealth`` everything the owner
    holds at the horizon (or after a liquidation: what was left plus what was outside the
    account, marked to the final price); ``capital`` the initial capital; ``capital_added`` top-ups
    beyond the wallet's cash; the P&L split ``hold, il, fees, perp, funding, cash_yield, costs,
    liquidation_loss`` with ``final_wealth - capital - capital_added = hold + il + fees + perp -
    funding + cash_yield - costs - liquidation_loss``; ``n_recentres``, ``n_top_ups``.
    ``lvr`` (informational, outside the split) is the realised loss-versus-rebalancing
    ``sum L sqrt(P_t) r_t^2 / 4`` over in-range steps (Milionis et al. 2022; its expectation is
    ``sum sigma^2 L sqrt(P) dt / 4``): for martingale prices ``E[il] = -E[lvr]``.
    ``liquidation_loss`` is the account's full-value equity minus what the owner kept: the
    collateral haircut and the penalty; negative when the account was underwater (the venue bears
    the shortfall).
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
    liquidation_loss: np.ndarray
    n_recentres: np.ndarray
    n_top_ups: np.ndarray
    lvr: np.ndarray
    n_steps: int
    dt_years: float

    @property
    def n_paths(self) -> int:
        return int(self.liquidated.size)

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
    """Headline figures of a run (returns as fractions of capital; money in quote units, means)."""

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

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{k.replace('_', ' ')}</td><td>{_fmt(v)}</td></tr>"
            for k, v in self.__dict__.items()
        )
        return f"<table><tbody>{rows}</tbody></table>"


def _fmt(v: Any) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 100 else f"{v:.4g}"
    return str(v)


# ------------------------------------------------------------------------------------------------
# the stepping kernel
# ------------------------------------------------------------------------------------------------
def _lp_amounts(p: np.ndarray, pa: np.ndarray, pb: np.ndarray, liq: np.ndarray):
    s = np.sqrt(np.clip(p, pa, pb))
    return liq * (1.0 / s - 1.0 / np.sqrt(pb)), liq * (s - np.sqrt(pa))


def _unit_value(p: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    b, q = _lp_amounts(p, pa, pb, 1.0)
    return b * p + q


class _Costs:
    """Per-action costs of a scenario's chain in ETH (zero without a chain)."""

    def __init__(self, chain: Chain | None) -> None:
        def eth(action: str) -> float:
            return 0.0 if chain is None else float(action_cost(chain, action).total_eth)

        self.mint, self.recentre, self.transfer = (
            eth("mint"),
            eth("recentre"),
            eth("margin_transfer"),
        )
        self.block_time_s = 0.0 if chain is None else chain.block_time_s


def _collateral_weights(model: Any, var: np.ndarray, dt: float):
    """``(k, w_base, w_quote)`` of the LP's collateral value (arrays for the EWMA model)."""
    if isinstance(model, VolatilityScaledFactor):
        sig = np.sqrt(var / dt)
        k = model.shock_multiplier(sig, model.horizon_years, model.confidence)
        return k, model.base_factor, model.quote_factor
    w = model.shock_weights(None)
    if w is None:
        return None
    return w


def _collateral(model: Any, p, pa, pb, liq, var, dt):
    w = _collateral_weights(model, var, dt)
    if w is None:  # FunctionFactor: cf(P) * V(P)
        cf = np.asarray(model.func(p), dtype=float)
        b, q = _lp_amounts(p, pa, pb, liq)
        return cf * (b * p + q)
    return weighted_value(p, pa, pb, liq, *w)


def run_on_paths(
    scenario: Scenario,
    prices: Any,
    dt_years: float,
    *,
    noise: np.ndarray | None = None,
    seed: int | np.random.Generator | None = 0,
) -> PathResults:
    """Step ``scenario`` through price paths ``prices`` (time-major ``(n_steps + 1, n_paths)``; a
    1-d array is one path), every step vectorized over paths.

    ``noise`` (standard normals, same shape minus the first row) moves the price over the part of
    a reaction delay that falls between grid steps; drawn from ``seed`` if not given.

    >>> p = np.array([3000.0, 3300.0, 3700.0, 4000.0])
    >>> r = run_on_paths(Scenario(leverage=3.0), p, 1 / 365)
    >>> bool(r.liquidated[0]), int(r.liquidation_step[0])
    (True, 3)
    """
    P = np.asarray(positive("prices", prices), dtype=float)
    if P.ndim == 1:
        P = P[:, None]
    if P.ndim != 2 or P.shape[0] < 2:
        raise LpperpError(f"prices must be (n_steps + 1, n_paths) with n_steps >= 1, got {P.shape}")
    if not np.allclose(P[0], scenario.price):
        raise LpperpError(
            f"prices must start at the scenario's price {scenario.price}, got {P[0, 0]}"
        )
    dt = positive("dt_years", dt_years, scalar=True)
    n_steps, m = P.shape[0] - 1, P.shape[1]
    if noise is None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        noise = rng.standard_normal((n_steps, m))
    elif np.shape(noise) != (n_steps, m):
        raise LpperpError(f"noise must have shape {(n_steps, m)}, got {np.shape(noise)}")
    kernel = _kernel(scenario, m, dt, n_steps)
    next(kernel)
    return _drive([kernel], ((P[t], noise[t - 1]) for t in range(1, n_steps + 1)))[0]


def _drive(kernels: list[Any], rows: Iterable[tuple[np.ndarray, np.ndarray]]) -> list[PathResults]:
    """Feed each ``(price row, noise row)`` to every (primed) kernel; collect their results."""
    out: list[Any] = [None] * len(kernels)
    for row in rows:
        for i, k in enumerate(kernels):
            try:
                k.send(row)
            except StopIteration as stop:
                out[i] = stop.value
    return out


def _kernel(s: Scenario, m: int, dt: float, n_steps: int) -> Any:
    """Generator stepping one scenario over ``m`` paths: send ``(prices_t, noise_t)`` for
    ``t = 1..n_steps``; the last send returns the :class:`PathResults` (``StopIteration.value``)."""
    pol, costs = s.policy, _Costs(s.chain)
    delay_y = pol.reaction_delay_s(costs.block_time_s) / SECONDS_PER_YEAR
    k_delay = math.floor(delay_y / dt + 1e-9)
    rem_y = delay_y - k_delay * dt
    lo_f, hi_f = _width(s)
    model = s.collateral
    c_ref = None
    if s.fee_reference_width_pct is not None:
        w_ref = s.fee_reference_width_pct / 100.0
        c_ref = 2.0 - math.sqrt(1.0 - w_ref) - 1.0 / math.sqrt(1.0 + w_ref)

    # -- state per path ----------------------------------------------------------------------------
    p0 = s.price
    q = s.perp_size
    has_lp = s.lp_deposit > 0
    pa = np.full(m, p0 * lo_f)
    pb = np.full(m, p0 * hi_f)
    entry_cost = 0.0
    if has_lp:  # mint gas + swapping to the range's mix from all-quote
        b1, q1 = _lp_amounts(np.array(p0), pa[0], pb[0], 1.0)
        base_share = float(b1 * p0 / (b1 * p0 + q1))
        entry_cost = costs.mint * p0 + float(
            swap_cost(base_share * s.lp_deposit / p0, p0, s.swap_fee_fraction, s.pool_liquidity)
        )
    v_entry = np.full(m, max(s.lp_deposit - entry_cost, 0.0))
    liq = v_entry / _unit_value(np.array(p0), pa, pb) if has_lp else np.zeros(m)
    b0, q0 = _lp_amounts(np.array(p0), pa, pb, liq)  # entry amounts of the current range epoch
    acct_cash = np.full(m, s.deposit - s.lp_deposit)
    wallet = np.full(m, s.wallet_cash)
    if s.mode == "cross":
        acct_cash += wallet
        wallet[:] = 0.0
    lp_inside = s.lp_in_account
    fees = np.zeros(m)
    lvr = np.zeros(m)
    funding = np.zeros(m)
    cash_yield = np.zeros(m)
    cost = np.full(m, entry_cost)
    hold = np.zeros(m)
    il_real = np.zeros(m)
    added = np.zeros(m)
    n_rec = np.zeros(m, dtype=np.int64)
    n_top = np.zeros(m, dtype=np.int64)
    alive = np.ones(m, dtype=bool)
    liq_step = np.full(m, -1, dtype=np.int64)
    frozen_account = np.zeros(m)  # what the owner kept from a liquidated account
    liq_loss = np.zeros(m)
    perp_at_liq = np.zeros(m)
    last_rec = np.full(m, -np.inf)
    pending = np.full(m, -1, dtype=np.int64)  # step at which a decided action lands
    pend_rec = np.zeros(m, dtype=bool)
    pend_top = np.zeros(m, dtype=bool)
    sig0 = getattr(model, "sigma_per_year", 0.8)
    var = np.full(m, sig0**2 * dt)
    lam = s.ewma_lambda ** (dt * 365.0)  # per step, same half-life in days whatever the step

    def account_value(p, cash_):
        lp_coll = _collateral(model, p, pa, pb, liq, var, dt) if (lp_inside and has_lp) else 0.0
        eq = lp_coll + cash_ + q * (p - p0) + (fees if lp_inside else 0.0) - funding
        mm = np.asarray(s.rules.maintenance_margin(abs(q) * p))
        return eq, mm

    def liquidate(mask, p, t):
        if not mask.any():
            return
        eq, _ = account_value(p, acct_cash)
        pen = np.asarray(s.rules.liquidation_fee(abs(q) * p))
        b, qq = _lp_amounts(p, pa, pb, liq)
        full_lp = (b * p + qq) if (lp_inside and has_lp) else 0.0
        full_eq = full_lp + acct_cash + q * (p - p0) + (fees if lp_inside else 0.0) - funding
        kept = np.maximum(eq - pen, 0.0)
        sel = mask & alive
        frozen_account[sel] = kept[sel] if np.ndim(kept) else kept
        liq_loss[sel] = (full_eq - kept)[sel]
        perp_at_liq[sel] = (q * (p - p0))[sel] if np.ndim(p) else q * (p - p0)
        # the LP inside the account is gone: book its P&L up to here, then empty it
        if lp_inside and has_lp:
            hold[sel] += (b0 * p + q0 - v_entry)[sel]
            il_real[sel] += ((b * p + qq) - (b0 * p + q0))[sel]
            liq[sel] = 0.0
            v_entry[sel] = 0.0
            b0[sel] = 0.0
            q0[sel] = 0.0
        liq_step[sel] = t
        alive[sel] = False

    p_prev = np.full(m, p0)
    for t in range(1, n_steps + 1):
        p, z = yield
        r = np.log(p / p_prev)
        p_prev_lp = p_prev
        p_prev = p
        var = lam * var + (1.0 - lam) * r * r
        # accruals over the step (at the step's end price)
        if has_lp:
            b, qq = _lp_amounts(p, pa, pb, liq)
            in_rng = (p >= pa) & (p <= pb)
            if c_ref is None:
                f_step = s.fee_apr * (b * p + qq) * dt
            else:
                f_step = s.fee_apr * c_ref * liq * np.sqrt(p) * dt
            fees += np.where(in_rng, f_step, 0.0) * (alive | (not lp_inside))
            lvr += np.where(
                (p_prev_lp > pa) & (p_prev_lp < pb), 0.25 * liq * np.sqrt(p_prev_lp) * r * r, 0.0
            )
        funding += np.where(alive, q * p * s.funding_rate_per_year * dt, 0.0)
        cy = s.cash_apr * dt
        cash_yield += np.where(alive, acct_cash * cy, 0.0) + wallet * cy
        acct_cash += np.where(alive, acct_cash * cy, 0.0)
        wallet += wallet * cy
        # liquidation at the grid price
        eq, mm = account_value(p, acct_cash)
        liquidate(alive & (eq < mm), p, t)
        # decide
        if pol.recentre or pol.top_up:
            free = alive & (pending < 0)
            eq, mm = account_value(p, acct_cash)
            with np.errstate(divide="ignore", invalid="ignore"):
                health = np.where(mm > 0, eq / mm, np.inf)
            want_rec = np.zeros(m, dtype=bool)
            if pol.recentre and has_lp:
                out = (p < pa) | (p > pb) | (health < pol.recentre_health)
                want_rec = free & out & ((t * dt - last_rec) >= pol.min_interval_years - 1e-12)
            want_top = free & (health < pol.top_up_health) if pol.top_up else np.zeros(m, bool)
            new = want_rec | want_top
            pending[new] = t + k_delay
            pend_rec |= want_rec
            pend_top |= want_top
        # act
        due = alive & (pending == t)
        if due.any():
            sig_now = np.sqrt(var / dt)
            pe = p * np.exp(sig_now * math.sqrt(rem_y) * z - 0.5 * sig_now**2 * rem_y)
            eq_e, mm_e = account_value(pe, acct_cash)
            late = due & (eq_e < mm_e)
            liquidate(late, pe, t)
            go = due & ~late
            rec = go & pend_rec
            if rec.any():
                b, qq = _lp_amounts(pe, pa, pb, liq)
                v_exit = b * pe + qq
                npa, npb = pe * lo_f, pe * hi_f
                ub, uq = _lp_amounts(pe, npa, npb, 1.0)
                w_base = ub * pe / (ub * pe + uq)
                swap_b = v_exit * w_base / pe - b
                c = costs.recentre * pe + np.asarray(
                    swap_cost(swap_b, pe, s.swap_fee_fraction, s.pool_liquidity)
                )
                v_new = np.maximum(v_exit - c, 0.0)
                hold[rec] += (b0 * pe + q0 - v_entry)[rec]
                il_real[rec] += (v_exit - (b0 * pe + q0))[rec]
                cost[rec] += c[rec]
                pa[rec], pb[rec] = npa[rec], npb[rec]
                liq[rec] = (v_new / _unit_value(pe, npa, npb))[rec]
                v_entry[rec] = v_new[rec]
                nb, nq = _lp_amounts(pe, pa, pb, liq)
                b0[rec], q0[rec] = nb[rec], nq[rec]
                # the LP is now valued at the grid price: book the move pe -> p as hold/il later
                last_rec[rec] = t * dt
                n_rec[rec] += 1
            top = go & pend_top
            if top.any():
                eq_e, mm_e = account_value(pe, acct_cash)
                need = np.maximum(pol.top_up_target * mm_e - eq_e, 0.0)
                tc = costs.transfer * pe
                from_wallet = np.minimum(need + tc, wallet)
                extra = need + tc - from_wallet
                acct_cash[top] += need[top]
                wallet[top] -= from_wallet[top]
                added[top] += extra[top]
                cost[top] += tc[top] if np.ndim(tc) else tc
                n_top[top] += 1
            pending[due] = -1
            pend_rec[due] = False
            pend_top[due] = False

    # -- final marks ---------------------------------------------------------------------------------
    pT = p_prev
    b, qq = _lp_amounts(pT, pa, pb, liq)
    v_T = b * pT + qq
    hold_T = hold + (b0 * pT + q0 - v_entry)
    il_T = il_real + (v_T - (b0 * pT + q0))
    perp_T = np.where(alive, q * (pT - p0), perp_at_liq)
    # a liquidated account's cash, perp P&L, funding (and fees, if its LP was inside) are in `kept`
    live = alive + 0.0
    wealth = v_T + wallet + np.where(alive, acct_cash + perp_T - funding, frozen_account)
    wealth = wealth + (fees * live if lp_inside else fees)
    return PathResults(
        liquidated=~alive,
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
        liquidation_loss=liq_loss,
        n_recentres=n_rec,
        n_top_ups=n_top,
        lvr=lvr,
        n_steps=n_steps,
        dt_years=dt,
    )


# ------------------------------------------------------------------------------------------------
# Monte Carlo, backtests, comparisons, stress, sweeps
# ------------------------------------------------------------------------------------------------
_NOISE_KEY = 2**31  # spawn-key branch for the delay noise, never used by lpperp.processes


def noise_streams(root: np.random.SeedSequence, a: int, b: int) -> list[tuple[Any, int]]:
    """One generator per block of paths ``[a, b)`` for the delay noise, with its block's width.

    Public so that a cached explorer can redraw exactly the noise :func:`simulate` uses for a seed.

    >>> from lpperp.processes import root_seed
    >>> [w for _, w in noise_streams(root_seed(0), 0, 10)]
    [10]
    """
    out = []
    for k in range(a // PATH_BLOCK, -(-b // PATH_BLOCK)):
        ss = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, _NOISE_KEY, k))
        out.append(
            (
                np.random.Generator(np.random.PCG64(ss)),
                min(b, (k + 1) * PATH_BLOCK) - k * PATH_BLOCK,
            )
        )
    return out


def _rows(
    price: float, steps: Iterable[tuple[int, np.ndarray]], streams: list[tuple[Any, int]], m: int
) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """``(prices_t, noise_t)`` rows from streamed log increments, one time chunk in memory."""
    x_prev = np.zeros(m)
    for _, x in steps:
        n = x.shape[0]
        cumsum_time(x, x_prev)
        x_prev = x[-1].copy()
        prices = price * np.exp(x)
        zs = [g.standard_normal((n, w)) for g, w in streams]
        z = zs[0] if len(zs) == 1 else np.concatenate(zs, axis=1)
        for i in range(n):
            yield prices[i], z[i]


def _run_many(
    scenarios: Sequence[Scenario],
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: Any,
    chunk_paths: int | None,
    progress: bool,
    chunk_steps: int | None = None,
) -> list[PathResults]:
    price = scenarios[0].price
    for sc in scenarios:
        if sc.price != price:
            raise LpperpError(
                f"scenarios on the same paths need the same price; got {price} and "
                f"{sc.price} ({sc.name!r})"
            )
    tau = positive("tau_years", tau_years, scalar=True)
    ns = integer("n_steps", n_steps, 1)
    npaths = integer("n_paths", n_paths, 1)
    root = root_seed(seed)
    dt = tau / ns
    parts: list[list[PathResults]] = [[] for _ in scenarios]
    chunks = iter_increments(
        process, tau, ns, npaths, root, chunk_paths=chunk_paths, chunk_steps=chunk_steps
    )
    done = 0
    try:
        for a, b, steps in progress_bar(
            chunks, n_chunks(npaths, chunk_paths), progress, "simulate"
        ):
            kernels = [_kernel(sc, b - a, dt, ns) for sc in scenarios]
            for k in kernels:
                next(k)
            res = _drive(kernels, _rows(price, steps, noise_streams(root, a, b), b - a))
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
) -> PathResults:
    """Run ``scenario`` over Monte Carlo paths of ``process`` (chunks of paths, bounded memory).

    Paths are streamed ``chunk_paths`` x ``chunk_steps`` at a time (memory knobs: never the whole
    path matrix, whatever the horizon); the same seed gives the same numbers whatever they are.
    ``progress`` shows a ``tqdm.auto`` bar if tqdm is installed; Ctrl-C returns the paths finished
    so far, with a warning.

    >>> from lpperp.processes import GBM
    >>> r = simulate(Scenario(), GBM(0.8), 30 / 365, 30, 2000, seed=1)
    >>> s = r.summary()
    >>> 0.0 < s.survival <= 1.0, s.n_paths
    (True, 2000)
    """
    return _run_many(
        [scenario], process, tau_years, n_steps, n_paths, seed, chunk_paths, progress, chunk_steps
    )[0]


def backtest(scenario: Scenario, series: Any, *, seed: int = 0) -> PathResults:
    """Run ``scenario`` along a historical series (a :class:`~lpperp.prices.PriceSeries`), entering
    at its first price (the scenario's ``price`` is replaced by it), one step per observation.

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
    prices = np.asarray(series.prices, dtype=float)
    sc = replace(scenario, price=float(prices[0]))
    return run_on_paths(sc, prices, series.dt_years, seed=seed)

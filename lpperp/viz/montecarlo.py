"""Monte Carlo risk explorer (notebook 06): survival, outcomes and strategies on cached, seeded paths.

Pipeline, as for every explorer (:mod:`lpperp.viz.explorers`): the controls are read into a frozen
:class:`RiskScenario` (bad input raises ``ValueError``: the status line shows it and the plot keeps
the last good state), :func:`compute_risk` runs :mod:`lpperp.simulate` on the scenario's paths and
returns a :class:`RiskResult`, and :func:`update_risk_figure` rewrites the one FigureWidget in place.

Same seed, same paths: the price paths and the reaction-delay noise depend only on
``(process, sigma, horizon, n_paths, seed)`` (:class:`PathSpec`) and are generated once and cached
(:class:`SimulationCache`); every strategy, range width and leverage runs on them (common random
numbers), so a slider changes the answer, not the noise. Each run is cached too, keyed by its
:class:`lpperp.simulate.Scenario`: a slider move only runs the scenarios it changed. The paths and
noise are exactly those :func:`lpperp.simulate.simulate` draws for the same seed, so every number
here equals ``simulate(...)`` / ``compare_strategies(...)`` with that seed (the tests check it).

Conventions: price in quote per base (USDC per ETH), money in quote units, returns as fractions of
the capital (deposit + wallet cash), daily steps (``n_steps = horizon_days``), ``width_pct=20`` the
range ``[P0 (1 - 0.2), P0 (1 + 0.2)]``, ``leverage`` the perp's notional at entry over the deposit.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from lpperp._validate import LpperpError, integer, nonnegative, one_of, positive
from lpperp.collateral import StaticFactor, VolatilityScaledFactor
from lpperp.costs import CHAINS, EXAMPLE_FEE_APR
from lpperp.prices import sample_prices
from lpperp.processes import (
    GBM,
    BlockBootstrap,
    MertonJumpDiffusion,
    counter_normals,
    root_seed,
    sample_paths,
)
from lpperp.risk import band_exit_probability, safe_band, wilson_interval
from lpperp.simulate import (
    HYPERLIQUID_TAKER_FEE_FRACTION,
    PathResults,
    Policy,
    Scenario,
    Summary,
    affordable_interval_years,
    delay_noise_key,
    initial_account,
    run_on_paths,
)
from lpperp.strategies import StrategyTable, summary_row
from lpperp.viz import kit
from lpperp.viz.explorers import Explorer
from lpperp.viz.figures import COLORS, finish_figure

__all__ = [
    "ATTRIBUTION_PARTS",
    "HEDGE_BAND",
    "KINDS",
    "LEVERAGES",
    "POLICIES",
    "PROCESSES",
    "REACTIONS",
    "RISK_TRACES",
    "WIDTHS_PCT",
    "PathSpec",
    "RiskExplorer",
    "RiskResult",
    "RiskScenario",
    "SimulationCache",
    "compute_risk",
    "partial_risk",
    "risk_figure",
    "risk_runs",
    "seeded_paths",
    "selected_part",
    "update_risk_figure",
]

#: Price processes (the jump and bootstrap settings are fixed here; the notebook shows them).
PROCESSES = {
    "gbm": "GBM",
    "merton": "Merton jumps (6/yr, -5 % ± 10 %)",
    "bootstrap": "bootstrap of the bundled synthetic series",
}
#: What is held: the deposit as an LP, as idle stablecoins, or split LP + cash margin.
KINDS = {
    "lp": "LP as collateral",
    "stable": "idle stablecoin",
    "lp_plus_cash": "LP + separate cash",
}
#: Owner policies; "recentre" waits at least the interval the chain's costs make worth paying;
#: "delta hedge" sizes the perp to minus the LP's delta and re-hedges outside a 10 % band, paying
#: Hyperliquid's taker fee (it replaces the leverage slider's perp; idle stablecoins hold no LP
#: to hedge and keep the leverage's perp).
POLICIES = ("hold", "recentre", "top up", "recentre + top up", "delta hedge",
            "recentre + delta hedge")
#: The re-hedge band of the "delta hedge" policies (a fraction of the LP's delta).
HEDGE_BAND = 0.1
#: P&L attribution shown as stacked bars: (PathResults.attribution key, label, colour).
ATTRIBUTION_PARTS = (
    ("fees", "fees", "#2ca02c"),
    ("hold", "held tokens (price)", "#1f77b4"),
    ("il", "impermanent loss (LVR)", "#d62728"),
    ("perp", "perp", "#9467bd"),
    ("funding", "funding", "#17becf"),
    ("cash_yield", "cash yield", "#bcbd22"),
    ("costs", "gas + swaps", "#7f7f7f"),
    ("hedge_costs", "perp trading fees", "#e377c2"),
    ("liquidation_loss", "liquidation", "#8c564b"),
)
#: Reaction latency before an action is sent, seconds (plus one block of the chain).
REACTIONS = {"bot (1 min)": 60.0, "person (4 h)": 4 * 3600.0, "person (1 day)": 86_400.0}
#: Range widths and leverages of the sweep panels (the current value is added to each).
WIDTHS_PCT = (2.0, 5.0, 10.0, 20.0, 30.0, 50.0)
LEVERAGES = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0)
_MERTON = {"jump_rate_per_year": 6.0, "jump_mean": -0.05, "jump_sd": 0.10}
_STATIC_CF = 0.8


@dataclass(frozen=True)
class PathSpec:
    """What the price paths depend on (the path cache key): same spec, same paths.

    >>> PathSpec("gbm", 0.8, 30, 2000, 0).process()
    GBM(sigma_per_year=0.8, mu_per_year=0.0)
    """

    process_name: str
    sigma_per_year: float
    horizon_days: int
    n_paths: int
    seed: int
    price: float = 3000.0

    def __post_init__(self) -> None:
        one_of("process", self.process_name, tuple(PROCESSES))
        object.__setattr__(
            self, "sigma_per_year", positive("sigma_per_year", self.sigma_per_year, scalar=True)
        )
        object.__setattr__(
            self, "horizon_days", integer("horizon_days", self.horizon_days, 1, 3650)
        )
        object.__setattr__(self, "n_paths", integer("n_paths", self.n_paths, 1, 1_000_000))
        object.__setattr__(self, "seed", integer("seed", self.seed, 0))
        object.__setattr__(self, "price", positive("price", self.price, scalar=True))

    @property
    def tau_years(self) -> float:
        return self.horizon_days / 365.0

    def process(self) -> Any:
        """The :mod:`lpperp.processes` process."""
        if self.process_name == "gbm":
            return GBM(self.sigma_per_year)
        if self.process_name == "merton":
            return MertonJumpDiffusion(self.sigma_per_year, **_MERTON)
        return _bootstrap()

    @property
    def volatility(self) -> float:
        """Annualised volatility of the process (total, with jumps; the series' for bootstrap)."""
        p = self.process()
        return float(getattr(p, "total_volatility", p.diffusion_sigma))


@lru_cache(maxsize=1)
def _bootstrap() -> BlockBootstrap:
    return BlockBootstrap.from_series(sample_prices(), block_length=5)


def seeded_paths(spec: PathSpec) -> tuple[np.ndarray, np.ndarray]:
    """Prices ``(horizon_days + 1, n_paths)`` and delay noise ``(horizon_days, n_paths)``, both
    time-major, as :func:`lpperp.simulate.simulate` draws them for ``spec.seed``.

    The prices are :func:`lpperp.processes.sample_paths` (the same random streams as ``simulate``),
    the noise is the same counter-based normals (:func:`lpperp.simulate.delay_noise_key`).
    Results on them equal ``simulate``'s to the last bit or two of ``exp``/``sqrt`` (numpy's SIMD
    kernels may round differently with another array layout): the same liquidations, money equal
    to ~1e-15 relative.

    >>> p, z = seeded_paths(PathSpec("gbm", 0.8, 5, 3, 1))
    >>> p.shape, z.shape, float(p[0, 0])
    ((6, 3), (5, 3), 3000.0)
    """
    ns = spec.horizon_days
    prices = np.ascontiguousarray(
        sample_paths(spec.process(), spec.price, spec.tau_years, ns, spec.n_paths, spec.seed).T
    )
    key = delay_noise_key(root_seed(spec.seed))  # the counter-based noise simulate draws lazily
    noise = counter_normals(key, np.arange(1, ns + 1)[:, None], np.arange(spec.n_paths))
    for arr in (prices, noise):
        arr.flags.writeable = False
    return prices, noise


class SimulationCache:
    """Seeded paths per :class:`PathSpec` and one :class:`~lpperp.simulate.PathResults` per
    (spec, :class:`~lpperp.simulate.Scenario`), least recently used dropped first.

    ``runs`` counts the simulations actually run (cache misses).

    >>> cache = SimulationCache()
    >>> spec = PathSpec("gbm", 0.8, 10, 500, 0)
    >>> r1 = cache.run(spec, Scenario()); r2 = cache.run(spec, Scenario())
    >>> r1 is r2, cache.runs
    (True, 1)
    """

    def __init__(self, max_paths: int = 4, max_results: int = 512) -> None:
        self.max_paths = integer("max_paths", max_paths, 1)
        self.max_results = integer("max_results", max_results, 1)
        self._paths: OrderedDict[PathSpec, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._results: OrderedDict[tuple[PathSpec, Scenario], PathResults] = OrderedDict()
        self.runs = 0

    @staticmethod
    def _get(store: OrderedDict, key: Any, make: Any, limit: int) -> Any:
        if key in store:
            store.move_to_end(key)
            return store[key]
        value = make()
        store[key] = value
        while len(store) > limit:
            store.popitem(last=False)
        return value

    def paths(self, spec: PathSpec) -> tuple[np.ndarray, np.ndarray]:
        return self._get(self._paths, spec, lambda: seeded_paths(spec), self.max_paths)

    def run(self, spec: PathSpec, scenario: Scenario) -> PathResults:
        def make() -> PathResults:
            prices, noise = self.paths(spec)
            self.runs += 1
            return run_on_paths(scenario, prices, 1.0 / 365.0, noise=noise)

        return self._get(self._results, (spec, scenario), make, self.max_results)

    def has(self, spec: PathSpec, scenario: Scenario) -> bool:
        """Whether that run is cached (no simulation, no reordering)."""
        return (spec, scenario) in self._results

    def clear(self) -> None:
        self._paths.clear()
        self._results.clear()


def _interval_years(scenario: Scenario, sigma: float) -> float:
    """:func:`lpperp.simulate.affordable_interval_years`, cached on what it depends on (the LP, its
    fees and the chain; not the perp, the margin mode or the policy)."""
    lp_only = replace(
        scenario,
        name="",
        leverage=0.0,
        mode="isolated",
        wallet_cash=0.0,
        collateral=StaticFactor(_STATIC_CF),
        policy=Policy(),
    )
    return _interval_cached(lp_only, sigma)


@lru_cache(maxsize=1024)
def _interval_cached(scenario: Scenario, sigma: float) -> float:
    return affordable_interval_years(scenario, sigma)


@dataclass(frozen=True)
class RiskScenario:
    """The explorer's inputs: paths (process, volatility, horizon, seed) and one strategy.

    >>> rs = RiskScenario(policy="recentre", chain="ethereum")
    >>> s = rs.scenario()
    >>> s.policy.recentre, round(365 * s.policy.min_interval_years, 1) > 1
    (True, True)
    """

    process: str = "gbm"
    sigma_per_year: float = 0.8
    horizon_days: int = 30
    seed: int = 0
    n_paths: int = 2000
    width_pct: float = 20.0
    leverage: float = 2.0
    kind: str = "lp"
    mode: str = "isolated"
    collateral: str = "static"
    chain: str = "arbitrum"
    policy: str = "hold"
    reaction: str = "bot (1 min)"
    wallet_cash: float = 2000.0
    deposit: float = 10_000.0
    fee_apr: float = EXAMPLE_FEE_APR
    funding_rate_per_year: float = 0.10
    price: float = 3000.0

    def __post_init__(self) -> None:
        one_of("kind", self.kind, tuple(KINDS))
        one_of("collateral", self.collateral, ("static", "volatility"))
        one_of("chain", self.chain, tuple(CHAINS))
        one_of("policy", self.policy, POLICIES)
        one_of("reaction", self.reaction, tuple(REACTIONS))
        nonnegative("leverage", self.leverage)
        self.paths()  # validates the path inputs
        self.scenario()  # and the strategy (Scenario raises ValueError on bad input)

    def paths(self) -> PathSpec:
        """The cache key of the paths (the volatility does not matter to a bootstrap)."""
        sigma = 1.0 if self.process == "bootstrap" else self.sigma_per_year
        return PathSpec(self.process, sigma, self.horizon_days, self.n_paths, self.seed, self.price)

    def scenario(self, **changes: Any) -> Scenario:
        """The :class:`lpperp.simulate.Scenario` of these inputs, with ``changes`` (``width_pct``,
        ``leverage``, ``kind``, ``mode``) applied; a recentring policy waits at least
        :func:`lpperp.simulate.affordable_interval_years` of that scenario."""
        kw = {
            "width_pct": self.width_pct,
            "leverage": self.leverage,
            "kind": self.kind,
            "mode": self.mode,
            **changes,
        }
        vol = self.paths().volatility
        collateral = (
            StaticFactor(_STATIC_CF) if self.collateral == "static" else VolatilityScaledFactor(vol)
        )
        base = Scenario(
            name=f"{KINDS[kw['kind']]} · {kw['mode']}",
            kind=kw["kind"],
            price=self.price,
            deposit=self.deposit,
            wallet_cash=self.wallet_cash,
            width_pct=kw["width_pct"],
            leverage=kw["leverage"],
            mode=kw["mode"],
            collateral=collateral,
            fee_apr=self.fee_apr,
            funding_rate_per_year=self.funding_rate_per_year,
            chain=CHAINS[self.chain],
            policy=Policy(latency_s=REACTIONS[self.reaction]),
        )
        recentre = self.policy in ("recentre", "recentre + top up", "recentre + delta hedge")
        top_up = self.policy in ("top up", "recentre + top up")
        hedge = "delta hedge" in self.policy and base.lp_deposit > 0
        interval = _interval_years(base, vol) if recentre and base.lp_deposit > 0 else 0.0
        return replace(
            base,
            perp_fee_fraction=HYPERLIQUID_TAKER_FEE_FRACTION if hedge else 0.0,
            policy=Policy(
                recentre=recentre,
                top_up=top_up,
                min_interval_years=interval,
                latency_s=REACTIONS[self.reaction],
                hedge=hedge,
                hedge_band=HEDGE_BAND,
            ),
        )


def _strategy_keys() -> list[tuple[str, str]]:
    return [(k, m) for k in KINDS for m in ("isolated", "cross")]


@dataclass(frozen=True, eq=False)
class RiskResult:
    """Everything the risk figure and readout show, for the scenario's paths.

    ``survival`` (with the Wilson 95 % band ``survival_low``/``_high``) is the selected strategy's
    fraction of paths not liquidated after each day; ``closed_form`` the GBM probability of staying
    inside the account's liquidation band fixed at entry (NaN for other processes, or when the
    account is liquidatable at entry); ``returns`` per kind at the selected margin mode;
    ``survival_by_width`` / ``_by_leverage`` at the horizon over ``widths_pct`` / ``leverages``
    (the grids plus the current value); ``table`` every kind x mode on the same paths.
    """

    scenario: RiskScenario
    selected: Scenario
    days: np.ndarray
    survival: np.ndarray
    survival_low: np.ndarray
    survival_high: np.ndarray
    closed_form: np.ndarray
    band: tuple[float, float]
    summary: Summary
    returns: dict[str, np.ndarray]
    widths_pct: np.ndarray
    survival_by_width: np.ndarray
    leverages: np.ndarray
    survival_by_leverage: np.ndarray
    table: StrategyTable
    recentre_interval_days: float
    #: runs still to come: the table, the sweeps and the other strategies' returns are those of
    #: the previous scenario (the explorer's first redraw after a move; 0 = all current)
    pending_runs: int = 0

    @property
    def readout(self) -> dict[str, float]:
        s = self.summary
        # the selected run's row as lpperp.strategies.summary_row maps it (its first seven
        # columns: survival and its interval, expected return, tail loss, fees, costs)
        row = summary_row(s)
        return {
            **{c: row[c] for c in StrategyTable.COLUMNS[:7]},
            "mean_recentres": s.mean_recentres,
            "mean_top_ups": s.mean_top_ups,
            "closed_form_survival": float(self.closed_form[-1]),
            "band_lower": self.band[0],
            "band_upper": self.band[1],
            "recentre_interval_days": self.recentre_interval_days,
        }

    def _repr_html_(self) -> str:
        return self.table._repr_html_()


def compute_risk(scenario: RiskScenario, cache: SimulationCache | None = None) -> RiskResult:
    """Run the selected strategy, the width and leverage sweeps and the strategy table on the
    scenario's cached paths (no plotting).

    >>> r = compute_risk(RiskScenario(n_paths=500, horizon_days=10))
    >>> r.survival.shape, r.table.names[0]
    ((11,), 'LP as collateral · isolated')
    """
    rs = scenario
    cache = SimulationCache() if cache is None else cache
    spec = rs.paths()
    sel = rs.scenario()
    res = cache.run(spec, sel)
    part = _selected_part(rs, spec, sel, res)
    n = res.n_paths
    keys = _strategy_keys()
    runs = {
        km: res
        if km == (sel.kind, sel.mode)
        else cache.run(spec, rs.scenario(kind=km[0], mode=km[1]))
        for km in keys
    }
    table = StrategyTable(
        tuple(f"{KINDS[k]} · {m}" for k, m in keys),
        tuple(runs[km].summary() for km in keys),
        n,
        spec.tau_years,
    )
    returns = {k: runs[(k, rs.mode)].returns for k in KINDS}

    def sweep(name: str, grid: tuple[float, ...], now: float) -> tuple[np.ndarray, np.ndarray]:
        xs = np.unique(np.append(np.asarray(grid, dtype=float), now))
        surv = np.array(
            [1.0 - cache.run(spec, rs.scenario(**{name: float(x)})).liquidated.mean() for x in xs]
        )
        return xs, surv

    widths, by_width = sweep("width_pct", WIDTHS_PCT, rs.width_pct)
    levs, by_lev = sweep("leverage", LEVERAGES, rs.leverage)
    return RiskResult(
        **part,
        returns=returns,
        widths_pct=widths,
        survival_by_width=by_width,
        leverages=levs,
        survival_by_leverage=by_lev,
        table=table,
    )


def _selected_part(rs: RiskScenario, spec: PathSpec, sel: Scenario, res: PathResults
                   ) -> dict[str, Any]:
    """The fields of a :class:`RiskResult` that the selected strategy's run alone gives."""
    n = res.n_paths
    curve = res.survival_curve()
    lo, hi = wilson_interval(np.rint(curve * n), n)
    days = np.arange(spec.horizon_days + 1, dtype=float)

    band = (float("nan"), float("nan"))
    closed = np.full(days.shape, np.nan)
    try:
        lo_b, hi_b = safe_band(initial_account(sel), rs.price)
        band = (lo_b, math.inf if hi_b is None else hi_b)
        if rs.process == "gbm":
            closed = 1.0 - np.asarray(
                band_exit_probability(
                    rs.price, lo_b, hi_b, spec.sigma_per_year, days / 365.0, dt_years=1.0 / 365.0
                )
            )
    except LpperpError:  # liquidatable at entry: no band, and the simulation shows survival 0
        pass

    interval = sel.policy.min_interval_years * 365.0 if sel.policy.recentre else float("nan")
    return {
        "scenario": rs, "selected": sel, "days": days, "survival": curve,
        "survival_low": np.asarray(lo), "survival_high": np.asarray(hi), "closed_form": closed,
        "band": band, "summary": res.summary(), "recentre_interval_days": interval,
    }


@lru_cache(maxsize=64)
def risk_runs(scenario: RiskScenario) -> tuple[Scenario, ...]:
    """Every :class:`lpperp.simulate.Scenario` :func:`compute_risk` runs on the scenario's paths,
    the selected strategy first (then the strategy table, the width and leverage sweeps).

    >>> runs = risk_runs(RiskScenario())
    >>> runs[0] == RiskScenario().scenario(), len(runs)
    (True, 16)
    """
    rs = scenario
    out = [rs.scenario()]
    out += [rs.scenario(kind=k, mode=m) for k, m in _strategy_keys()]
    out += [rs.scenario(width_pct=float(x))
            for x in np.unique(np.append(np.asarray(WIDTHS_PCT, dtype=float), rs.width_pct))]
    out += [rs.scenario(leverage=float(x))
            for x in np.unique(np.append(np.asarray(LEVERAGES, dtype=float), rs.leverage))]
    return tuple(dict.fromkeys(out))


def selected_part(scenario: RiskScenario, cache: SimulationCache) -> dict[str, Any]:
    """The fields of a :class:`RiskResult` that the selected strategy's run alone gives (its
    survival, closed form, band, summary; run on the cache if missing), and its returns under
    ``"selected_returns"``: what :func:`partial_risk` draws, computable ahead of a move."""
    rs = scenario
    spec = rs.paths()
    sel = rs.scenario()
    res = cache.run(spec, sel)
    return {**_selected_part(rs, spec, sel, res), "selected_returns": res.returns}


def partial_risk(scenario: RiskScenario, cache: SimulationCache, previous: RiskResult,
                 part: dict[str, Any] | None = None) -> RiskResult:
    """The selected strategy's run on the scenario's paths (survival, closed form, readout, its
    returns) with the rest - strategy table, sweeps, the other strategies' returns - kept from
    ``previous`` and counted in ``pending_runs``: what the explorer draws at once after a move
    while the other runs follow. ``part``: :func:`selected_part` of ``scenario``, if at hand."""
    rs = scenario
    spec = rs.paths()
    part = dict(selected_part(rs, cache) if part is None else part)
    returns = {**previous.returns, part["selected"].kind: part.pop("selected_returns")}
    pending = sum(1 for sc in risk_runs(rs) if not cache.has(spec, sc))
    return replace(previous, **part, returns=returns, pending_runs=pending)


# ------------------------------------------------------------------------------------------------
# figure
# ------------------------------------------------------------------------------------------------
_KIND_COLORS = {"lp": COLORS["lp"], "stable": "#7f7f7f", "lp_plus_cash": "#00a676"}

#: Trace order of :func:`risk_figure`.
RISK_TRACES = (
    "survival (Monte Carlo)",
    "95 % interval",
    "closed form (GBM, band fixed at entry)",
    *(f"returns · {v}" for v in KINDS.values()),
    "survival vs width",
    "selected width",
    "survival vs leverage",
    "selected leverage",
    *(f"P&L · {label}" for _, label, _ in ATTRIBUTION_PARTS),
    "expected P&L",
)


def risk_figure(result: RiskResult, *, widget: bool = True) -> go.Figure:
    """Survival over time, outcome distributions, survival vs range width and vs leverage.

    Traces as in :data:`RISK_TRACES`.

    >>> r = compute_risk(RiskScenario(n_paths=300, horizon_days=5))
    >>> [t.name for t in risk_figure(r, widget=False).data] == list(RISK_TRACES)
    True
    """
    fig = kit.make_figure(
        False,
        rows=3,
        cols=2,
        horizontal_spacing=0.1,
        vertical_spacing=0.1,
        row_heights=[0.34, 0.28, 0.38],
        specs=[[{}, {}], [{}, {}], [{"colspan": 2}, None]],
        subplot_titles=(
            "survival over time (selected strategy)",
            "return at the horizon (same paths, selected margin mode)",
            "survival at the horizon vs range width",
            "survival at the horizon vs leverage",
            "where the P&L came from: mean per path by source (USDC, same paths)",
        ),
    )
    fig.add_trace(
        go.Scatter(
            name="survival (Monte Carlo)",
            mode="lines",
            line={"color": COLORS["lp"], "width": 2.5, "shape": "hv"},
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Scatter(
            name="95 % interval",
            mode="lines",
            fill="toself",
            fillcolor="rgba(31,119,180,0.15)",
            line={"width": 0},
            hoverinfo="skip",
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Scatter(
            name="closed form (GBM, band fixed at entry)",
            mode="lines",
            line={"color": COLORS["maintenance"], "dash": "dash"},
        ),
        1,
        1,
    )
    for k, label in KINDS.items():
        fig.add_trace(
            go.Histogram(
                name=f"returns · {label}",
                histnorm="percent",
                nbinsx=60,
                bingroup="returns",
                opacity=0.55,
                marker={"color": _KIND_COLORS[k]},
            ),
            1,
            2,
        )
    for col, what, color in ((1, "width", COLORS["lp"]), (2, "leverage", COLORS["boundary"])):
        fig.add_trace(go.Scatter(name=f"survival vs {what}", mode="lines+markers",
                                 showlegend=False, line={"color": color}), 2, col)
        fig.add_trace(go.Scatter(name=f"selected {what}", mode="markers", showlegend=False,
                                 marker={"color": COLORS["now"], "size": 11}), 2, col)
    for _, label, color in ATTRIBUTION_PARTS:
        fig.add_trace(go.Bar(name=f"P&L · {label}", marker={"color": color}), 3, 1)
    fig.add_trace(
        go.Scatter(
            name="expected P&L",
            mode="markers",
            marker={"color": "black", "symbol": "diamond", "size": 10},
        ),
        3,
        1,
    )
    fig.update_yaxes(title_text="USDC", row=3, col=1)
    fig.update_xaxes(title_text="days", row=1, col=1)
    fig.update_xaxes(title_text="return on capital (%)", row=1, col=2)
    fig.update_xaxes(
        title_text="range width ± %", type="log", tickvals=list(WIDTHS_PCT), row=2, col=1
    )
    fig.update_xaxes(title_text="leverage (perp notional / deposit)", row=2, col=2)
    fig.update_yaxes(title_text="survival (%)", row=1, col=1)
    for row, col in ((2, 1), (2, 2)):
        fig.update_yaxes(title_text="survival (%)", range=[-2, 102], row=row, col=col)
    fig.update_yaxes(title_text="% of paths", row=1, col=2)
    return finish_figure(fig, lambda f: update_risk_figure(f, result), widget=widget,
                         height=1000, top=80, barmode="overlay")


def update_risk_figure(fig: go.Figure, result: RiskResult) -> None:
    """Rewrite :func:`risk_figure`'s traces from a new result (inside ``batch_update``).

    Only what changed is resent (:func:`kit.set_trace`): a leverage step whose first redraw keeps
    the table, the sweeps and the other strategies' returns (``pending_runs``) sends the selected
    strategy's survival curves, its histogram and the two markers, not all 21 traces."""
    r = result
    kit.set_trace(fig, 0, x=r.days, y=100.0 * r.survival)
    kit.set_trace(fig, 1, x=np.concatenate((r.days, r.days[::-1])),
                  y=100.0 * np.concatenate((r.survival_high, r.survival_low[::-1])))
    kit.set_trace(fig, 2, x=r.days, y=100.0 * r.closed_form)
    # explicit ranges on the axes of the scatter traces (what autorange showed), kept while the
    # data still fill them (kit.sticky_range): the explorer's first redraw after a move is then a
    # transition of the changed traces (RiskExplorer._transition), with no relayout
    kit.set_range(fig, "xaxis", [0.0, float(r.days[-1])])
    low = np.nanmin(np.append(r.closed_form, r.survival_low))  # zoom on the part in use
    need = max(-2.0, 5.0 * math.floor(20.0 * low) - 5.0)
    now = fig.layout.yaxis.range
    if not (now is not None and now[0] <= need and 101.0 - need >= 0.6 * (101.0 - now[0])):
        # two 5 % steps of headroom below: a leverage walk lowers survival step by step
        fig.layout.yaxis.range = [max(-2.0, need - 10.0), 101.0]
    s = r.scenario
    w = np.log10(np.append(r.widths_pct, s.width_pct))
    pad = 0.06 * (w.max() - w.min())
    kit.sticky_range(fig, "xaxis3", float(w.min() - pad), float(w.max() + pad), keep_fill=0.5)
    lv = np.append(r.leverages, s.leverage)
    pad = max(0.06 * (lv.max() - lv.min()), 0.1)
    kit.sticky_range(fig, "xaxis4", float(lv.min() - pad), float(lv.max() + pad), keep_fill=0.5)
    for j, k in enumerate(KINDS):
        kit.set_trace(fig, 3 + j, x=100.0 * r.returns[k],
                      opacity=0.8 if k == r.selected.kind else 0.35)
    kit.set_trace(fig, 6, x=r.widths_pct, y=100.0 * r.survival_by_width)
    kit.set_trace(fig, 7, x=[s.width_pct], y=[100.0 * r.summary.survival])
    kit.set_trace(fig, 8, x=r.leverages, y=100.0 * r.survival_by_leverage)
    kit.set_trace(fig, 9, x=[s.leverage], y=[100.0 * r.summary.survival])
    # stacked by hand (the figure's barmode is "overlay" for the histograms): gains pile up from
    # zero, losses down from zero, as barmode="relative" would draw them
    names = list(r.table.names)
    up = np.zeros(len(names))
    down = np.zeros(len(names))
    for j, (key, _, _) in enumerate(ATTRIBUTION_PARTS):
        vals = np.array([summ.attribution.get(key, 0.0) for summ in r.table.summaries])
        base = np.where(vals >= 0, up, down)
        kit.set_trace(fig, 10 + j, x=names, y=vals, base=base)
        up = up + np.maximum(vals, 0.0)
        down = down + np.minimum(vals, 0.0)
    kit.set_trace(fig, 10 + len(ATTRIBUTION_PARTS), x=names,
                  y=[summ.expected_pnl for summ in r.table.summaries])


# ------------------------------------------------------------------------------------------------
# explorer
# ------------------------------------------------------------------------------------------------
@contextmanager
def _as_clear_error(what: str) -> Iterator[None]:
    """Turn an unexpected exception into an :class:`LpperpError` the explorer shows as its status
    (ValueErrors, LpperpError among them, pass through unchanged)."""
    try:
        yield
    except ValueError:
        raise
    except (ArithmeticError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as exc:
        raise LpperpError(
            f"could not compute {what}: {type(exc).__name__}: {exc}"[:300]
        ) from exc


class RiskExplorer(Explorer):
    """Monte Carlo risk of an LP-margined perp: sliders re-run a cached, seeded simulation.

    Controls: ``process``, ``sigma_per_year``, ``horizon_days``, ``seed`` (the paths); ``width_pct``,
    ``leverage``, ``kind``, ``mode``, ``collateral``, ``chain``, ``policy``, ``reaction``,
    ``wallet_cash`` (the strategy). ``n_paths`` is fixed at construction. ``cache`` holds the paths
    and every run, so moving a slider back shows the very same figure.

    >>> ex = RiskExplorer(n_paths=500, horizon_days=10)
    >>> ex.controls["leverage"].value = 4.0
    >>> ex.result.scenario.leverage, ex.result.summary.n_paths
    (4.0, 500)
    """

    title = "Monte Carlo risk"
    figure_function = staticmethod(risk_figure)
    update_function = staticmethod(update_risk_figure)

    def __init__(
        self,
        *,
        process: str = "gbm",
        sigma_per_year: float = 0.8,
        horizon_days: int = 30,
        seed: int = 0,
        n_paths: int = 2000,
        width_pct: float = 20.0,
        leverage: float = 2.0,
        kind: str = "lp",
        mode: str = "isolated",
        collateral: str = "static",
        chain: str = "arbitrum",
        policy: str = "hold",
        reaction: str = "bot (1 min)",
        wallet_cash: float = 2000.0,
        deposit: float = 10_000.0,
        fee_apr: float = EXAMPLE_FEE_APR,
        funding_rate_per_year: float = 0.10,
        price: float = 3000.0,
    ) -> None:
        self.cache = SimulationCache()
        #: :func:`selected_part` of the prefetched neighbouring settings (see :attr:`prefetch`)
        self._parts: dict[RiskScenario, dict[str, Any]] = {}
        self.fixed = {
            "n_paths": n_paths,
            "deposit": deposit,
            "fee_apr": fee_apr,
            "funding_rate_per_year": funding_rate_per_year,
            "price": price,
        }
        super().__init__(
            process=process,
            sigma_per_year=sigma_per_year,
            horizon_days=horizon_days,
            seed=seed,
            width_pct=width_pct,
            leverage=leverage,
            kind=kind,
            mode=mode,
            collateral=collateral,
            chain=chain,
            policy=policy,
            reaction=reaction,
            wallet_cash=wallet_cash,
        )

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        horizon = widgets.IntSlider(
            value=k["horizon_days"],
            min=1,
            max=180,
            step=1,
            description="horizon days",
            continuous_update=False,
            style=kit.DESCRIPTION_STYLE,
            layout=kit.wide_layout(),
        )
        horizon.add_class("lpperp-horizon")
        seed = widgets.IntText(value=k["seed"], description="seed", style=kit.DESCRIPTION_STYLE,
                               layout=kit.wide_layout())
        seed.add_class("lpperp-seed")
        c: dict[str, widgets.Widget] = {
            "process": kit.choice(
                "price process", [(v, key) for key, v in PROCESSES.items()], k["process"]
            ),
            "sigma_per_year": kit.slider(
                "volatility /yr", k["sigma_per_year"], 0.1, 2.0, 0.05, ".2f", "lpperp-sigma"
            ),
            "horizon_days": horizon,
            "seed": seed,
            "width_pct": kit.slider(
                "range ± %", k["width_pct"], 1.0, 60.0, 0.5, ".1f", "lpperp-width"
            ),
            "leverage": kit.slider(
                "leverage", k["leverage"], 0.0, 20.0, 0.25, ".2f", "lpperp-leverage"
            ),
            "kind": kit.choice("strategy", [(v, key) for key, v in KINDS.items()], k["kind"]),
            "mode": kit.choice("margin mode", ["isolated", "cross"], k["mode"]),
            "collateral": kit.choice(
                "collateral",
                [
                    (f"static {_STATIC_CF:.0%}", "static"),
                    ("volatility-scaled (EWMA)", "volatility"),
                ],
                k["collateral"],
            ),
            "chain": kit.choice("chain", [(v.name, key) for key, v in CHAINS.items()], k["chain"]),
            "policy": kit.choice("policy", list(POLICIES), k["policy"]),
            "reaction": kit.choice("reaction", list(REACTIONS), k["reaction"]),
            "wallet_cash": kit.number("wallet cash", k["wallet_cash"], "lpperp-wallet-cash"),
        }
        for name in ("sigma_per_year", "width_pct", "leverage"):
            c[name].continuous_update = False  # a move re-runs simulations: fire on release
        c["process"].observe(self._enable, names="value")
        self._enable(controls=c)
        return c

    def _enable(
        self, change: dict | None = None, controls: dict[str, widgets.Widget] | None = None
    ) -> None:
        c = controls if controls is not None else self.controls
        c["sigma_per_year"].disabled = c["process"].value == "bootstrap"

    def _control_rows(self) -> list[list[str]]:
        return [
            ["process", "sigma_per_year", "horizon_days", "seed"],
            ["width_pct", "leverage", "kind", "mode", "wallet_cash"],
            ["collateral", "chain", "policy", "reaction"],
        ]

    #: leave most runs of a move to the event loop (one per turn): the first redraw shows the
    #: selected strategy, the rest follow (see :meth:`refresh`); browser suite green with it
    #: (notebook 06: key press -> first redraw median 474 ms at load 6.1, 1,077 ms without at 9.0)
    progressive = True
    #: after a move, the selected strategy's run one slider step further the same way (leverage,
    #: range width) is computed first, and once everything is current one step either way: exact
    #: runs kept in :attr:`cache`, so the next key press draws without running a simulation
    prefetch = True
    #: seconds the rest of a move's runs (table, sweeps) wait before they start: a key press in
    #: that time is handled at once instead of waiting for a running simulation (~0.1 s each)
    settle_seconds = 0.25
    #: the sliders whose neighbouring steps are prefetched (strategy only: the paths stay)
    PREFETCH_SLIDERS = ("leverage", "width_pct")

    def refresh(self) -> bool:
        """Recompute and redraw. In a running kernel (an asyncio loop is running) a move that needs
        more than one new simulation first draws the selected strategy's run (survival, closed
        form, readout, its returns; ~one run instead of up to 16) with the strategy table, the
        sweeps and the other strategies' returns kept from before, says so in the status line
        ("updating ...: k runs left", the explorer carries the CSS class ``lpperp-busy``), then
        runs the selected strategy one step further (:attr:`prefetch`), waits
        :attr:`settle_seconds` and runs the rest one per event-loop turn - a new move cancels
        them - and redraws everything. Without a running loop (scripts, tests) everything is
        computed at once."""
        self._generation = getattr(self, "_generation", 0) + 1
        loop = kit.running_loop()
        if loop is None or not self.progressive or not hasattr(self, "widget"):
            return super().refresh()
        before = self.result.scenario if getattr(self, "result", None) is not None else None
        try:
            rs = self.scenario()
            spec = rs.paths()
            missing = [sc for sc in risk_runs(rs) if not self.cache.has(spec, sc)]
            if len(missing) <= 1:
                self._set_busy(False)
                done = super().refresh()
                if done:
                    self._schedule_prefetch(loop, self._neighbours(None, rs), None)
                return done
            t0 = time.perf_counter()
            result = partial_risk(rs, self.cache, self.result, self._parts.get(rs))
            # the returns histograms follow with the rest: a first redraw that changes only
            # scatter traces is a transition of those (_transition), not a re-plot of all 21
            result = replace(result, returns=self.result.returns)
        except ValueError as exc:
            self._set_busy(False)
            self._show_error(exc)
            return False
        self._draw(result)
        self.status.value = (
            "<div class='lpperp-muted'>&#8635; the selected strategy's survival is drawn; the "
            f"strategy table, the sweeps and the returns are updating on the same "
            f"{rs.n_paths:,} paths ({result.pending_runs} runs left) &mdash; they show the "
            "previous settings until then.</div>")
        self._set_busy(True)
        self.n_updates += 1
        self.last_update_seconds = time.perf_counter() - t0
        self._schedule_prefetch(loop, self._neighbours(before, rs), rs)
        return True

    def _transition(self, result: RiskResult) -> bool:
        """A first redraw after a move (:meth:`refresh`) changes the survival curves and the two
        markers only: redraw those (:meth:`kit.FigureWidget.batch_redraw`). Any update that
        changes a histogram or a bar (or their colours) re-plots the figure."""
        prev = getattr(self, "result", None)
        return (prev is not None and result.pending_runs > 0 and result.table is prev.table
                and result.selected.kind == prev.selected.kind
                and all(result.returns[k] is prev.returns[k] for k in KINDS))

    def _neighbours(self, before: RiskScenario | None, rs: RiskScenario) -> list[RiskScenario]:
        """The scenarios one slider step from ``rs``: with ``before``, one step further the way
        each slider of :attr:`PREFETCH_SLIDERS` moved from it (none if none moved); without,
        one step either way of each."""
        if not self.prefetch:
            return []
        moved = [n for n in self.PREFETCH_SLIDERS
                 if before is not None and getattr(before, n) != getattr(rs, n)]
        if before is not None and not moved:
            return []
        out = []
        for name in moved or self.PREFETCH_SLIDERS:
            w = self.controls[name]
            now = getattr(rs, name)
            if moved:
                ways = [1.0 if now > getattr(before, name) else -1.0]
            else:
                ways = [1.0, -1.0]
            for way in ways:
                v = min(max(now + way * w.step, w.min), w.max)
                if v != now:
                    try:
                        out.append(replace(rs, **{name: v}))
                    except ValueError:
                        pass
        return out

    def _schedule_prefetch(self, loop: asyncio.AbstractEventLoop, queue: list[RiskScenario],
                           then: RiskScenario | None) -> None:
        loop.call_soon(self._prefetch, self._generation, queue, then)

    def _prefetch(self, generation: int, queue: list[RiskScenario],
                  then: RiskScenario | None) -> None:
        """Run the selected strategy of the first scenario of ``queue`` (one per event-loop turn),
        then - after :attr:`settle_seconds` - the rest of move ``then`` (:meth:`_complete`); a
        newer move drops it all."""
        if generation != self._generation:
            return
        loop = kit.running_loop()
        if queue:
            nb = queue[0]
            try:
                with _as_clear_error("a neighbouring setting"):
                    self._parts[nb] = selected_part(nb, self.cache)
                    risk_runs(nb)  # cached: the list of runs a move there needs
                    while len(self._parts) > 16:
                        self._parts.pop(next(iter(self._parts)))
            except ValueError:
                pass  # not a valid setting: nothing to keep
            if loop is not None:
                loop.call_soon(self._prefetch, generation, queue[1:], then)
            return
        if then is None:
            return
        if loop is None:
            self._complete(generation, then)
        else:
            loop.call_later(self.settle_seconds, self._complete, generation, then)

    def _complete(self, generation: int, rs: RiskScenario) -> None:
        """One missing run per event-loop turn (key presses are handled in between), then the
        full redraw and the neighbours' prefetch; a newer move (another generation) drops it."""
        if generation != self._generation:
            return
        spec = rs.paths()
        for sc in risk_runs(rs):
            if not self.cache.has(spec, sc):
                try:
                    with _as_clear_error("this scenario"):
                        self.cache.run(spec, sc)
                except ValueError as exc:
                    self._set_busy(False)
                    self._show_error(exc)
                    return
                loop = kit.running_loop()
                if loop is not None:
                    loop.call_soon(self._complete, generation, rs)
                    return
        self._set_busy(False)
        super().refresh()  # every run cached: the whole figure, current
        loop = kit.running_loop()
        if loop is not None:
            self._schedule_prefetch(loop, self._neighbours(None, rs), None)

    def _set_busy(self, busy: bool) -> None:
        w = getattr(self, "widget", None)
        if w is None:
            return
        if busy and "lpperp-busy" not in w._dom_classes:
            w.add_class("lpperp-busy")
        elif not busy and "lpperp-busy" in w._dom_classes:
            w.remove_class("lpperp-busy")

    def scenario(self) -> RiskScenario:
        c = self.controls
        with _as_clear_error("these controls"):
            return RiskScenario(**{name: w.value for name, w in c.items()}, **self.fixed)

    def compute(self, scenario: RiskScenario) -> RiskResult:
        # every failure becomes the status line (refresh shows ValueErrors and keeps the last
        # plot): nothing escapes a change handler
        with _as_clear_error("this scenario"):
            return compute_risk(scenario, self.cache)

    def _readout_items(self, result: RiskResult) -> list[tuple[str, str, str]]:
        r = result.readout
        self.readout_values = dict(r)
        lo, hi = r["band_lower"], r["band_upper"]
        band = (
            "liquidatable at entry"
            if math.isnan(lo)
            else f"{kit.fmt_num(lo, digits=0)} – {kit.fmt_num(hi, digits=0)}"
        )
        interval = r["recentre_interval_days"]
        return [
            (
                "survival",
                f"survival over {result.scenario.horizon_days} days",
                f"{kit.fmt_pct(r['survival'])} [{kit.fmt_pct(r['survival_low'])}, "
                f"{kit.fmt_pct(r['survival_high'])}]",
            ),
            (
                "closed_form_survival",
                "closed form (GBM, fixed band)",
                kit.fmt_pct(r["closed_form_survival"]),
            ),
            ("band", "liquidation band at entry", band),
            ("expected_return", "expected return", kit.fmt_pct(r["expected_return"])),
            ("tail_loss", "5 % tail loss", kit.fmt_pct(r["tail_loss"])),
            ("fees_earned", "fees (USDC)", kit.fmt_num(r["fees_earned"])),
            ("costs_paid", "costs (USDC)", kit.fmt_num(r["costs_paid"])),
            (
                "mean_recentres",
                "recentres / path",
                kit.fmt_num(r["mean_recentres"])
                + ("" if not math.isfinite(interval) else f" (≥ {interval:.1f} days apart)"),
            ),
        ]

    def _show_readout(self, result: RiskResult) -> None:
        super()._show_readout(result)
        t = result.table
        sel = result.selected.name
        cols = ("survival", "expected_return", "tail_loss", "fees_earned", "pnl_il", "pnl_perp",
                "pnl_funding", "costs_paid", "pnl_hedge_costs", "pnl_liquidation")
        head = "".join(
            f"<th style='text-align:right;padding:0 0.8em'>{h}</th>"
            for h in ("survival", "E[return]", "5 % tail loss", "fees (USDC)", "IL", "perp",
                      "funding", "costs", "perp fees", "liquidation")
        )
        body = ""
        for name in t.names:
            row = t.row(name)
            cells = "".join(
                f"<td style='text-align:right;padding:0 0.8em'>"
                f"{kit.fmt_pct(row[c]) if c in cols[:3] else kit.fmt_num(row[c])}</td>"
                for c in cols
            )
            weight = "font-weight:600;" if name == sel else ""
            body += (
                f"<tr data-key='{html.escape(name)}' style='{weight}'>"
                f"<th style='text-align:left'>{html.escape(name)}</th>{cells}</tr>"
            )
        self.readout.value += (
            "<table class='lpperp-strategy-table' style='margin-top:0.4em'><thead><tr>"
            f"<th style='text-align:left'>same paths, {t.n_paths:,} of them"
            f"{' (updating: previous settings)' if result.pending_runs else ''}</th>{head}"
            "</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )

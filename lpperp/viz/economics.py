"""Rebalancing economics explorer (notebook 05): fees - LVR - costs of recentring on each chain.

Pipeline, as for every explorer (:mod:`lpperp.viz.explorers`): the controls are read into a frozen
:class:`EconomicsScenario` (bad input raises ``ValueError``: the status line shows it and the plot
keeps the last good state), :func:`compute_economics` calls :mod:`lpperp.rebalancing` and
:mod:`lpperp.costs` (no plotting) and returns an :class:`EconomicsResult`, and
:func:`update_economics_figure` rewrites the one FigureWidget in place.

The figure: (top) net yield per year (fees - LVR - costs) vs rebalancing frequency for the four
chains, with each chain's break-even frequency (where LVR and costs erase the fee yield) and optimal
frequency, and the fees - LVR line (what is left before any cost); (middle left) the net yield at the
selected frequency vs the selected chain's gas price, i.e. the gas price at which that frequency
stops paying; (middle right) what the year at the selected frequency takes, stacked: LVR, execution
gas, L1 data fee and the rebalancing swap, against the fee income and the net; (bottom) the net
yield vs volatility on the selected chain at the selected frequency, with the break-even
volatility of a position at the centre of its range (closed form) and of the recentring policy
(:func:`lpperp.rebalancing.break_even_volatility`).

Conventions: price in quote per base (USDC per ETH), money in quote units, yields and costs per year
as percent of the position's value (``net APR``), frequencies in rebalances per year, gas prices in
gwei. The selected chain's execution gas price is the ``gas_price_gwei`` control; every L2 prices its
L1 data at ``l1_base_fee_gwei`` (its blob base fee scaled by the same factor as its preset); the
other chains keep their presets (:data:`lpperp.costs.CHAINS`). The economics model is
:func:`lpperp.rebalancing.rebalancing_economics` (driftless GBM, calendar recentring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from lpperp._validate import LpperpError, nonnegative, one_of, positive
from lpperp.costs import CHAINS, EXAMPLE_FEE_APR, Chain, action_cost
from lpperp.position import LPPosition
from lpperp.rebalancing import (
    RebalanceEconomics,
    break_even_volatility,
    frequency_search,
    rebalancing_economics,
)
from lpperp.viz import kit
from lpperp.viz.explorers import Explorer
from lpperp.viz.figures import COLORS, finish_figure

__all__ = [
    "CHAIN_KEYS",
    "ECONOMICS_TRACES",
    "FREQUENCY_GRID",
    "GAS_GRID_GWEI",
    "SIGMA_GRID",
    "EconomicsResult",
    "EconomicsScenario",
    "RebalancingExplorer",
    "compute_economics",
    "economics_figure",
    "every",
    "update_economics_figure",
]

#: Chains drawn, in trace order.
CHAIN_KEYS: tuple[str, ...] = tuple(CHAINS)
#: Rebalancing frequencies of the curves, per year: once a year to every 5 minutes (the library's
#: search range for the break-even and optimal frequencies).
FREQUENCY_GRID = np.geomspace(1.0, 365.0 * 24 * 12, 241)
#: Execution gas prices of the "net vs gas price" panel, gwei.
GAS_GRID_GWEI = np.geomspace(1e-4, 1e3, 71)
#: Volatilities (per year) of the "net vs volatility" panel: the volatility slider's range.
SIGMA_GRID = np.linspace(0.05, 2.0, 79)
_CHAIN_COLORS = {"ethereum": "#3c3c3d", "arbitrum": "#28a0f0", "base": "#0052ff",
                 "optimism": "#ff0420"}
_COST_PARTS = ("execution gas", "L1 data fee", "swap fee + impact")


def _pct(fraction: float) -> str:
    """A fraction as a percentage; NaN (no such value) as ``none (costs exceed fees)``.

    >>> _pct(0.3427), _pct(float("nan"))
    ('34.3 %', 'none (costs exceed fees)')
    """
    return "none (costs exceed fees)" if math.isnan(fraction) else f"{100 * fraction:.1f} %"


def every(frequency_per_year: float) -> str:
    """A frequency as a human interval: ``every 6.1 h``, ``every 3.2 days``, ``never``.

    >>> every(52.0), every(365.0 * 24), every(float("inf"))
    ('every 7.0 days', 'every 60 min', 'faster than every 5 min')
    """
    f = float(frequency_per_year)
    if math.isnan(f):
        return "never (costs exceed fees)"
    if math.isinf(f):
        return "faster than every 5 min"
    minutes = 365.0 * 24 * 60 / f
    if minutes < 120:
        return f"every {minutes:.0f} min"
    if minutes < 48 * 60:
        return f"every {minutes / 60:.1f} h"
    return f"every {minutes / (24 * 60):.1f} days"


@dataclass(frozen=True)
class EconomicsScenario:
    """What the rebalancing explorer shows: a position, a volatility, chains and a frequency.

    The default volatility (25 %/yr) is below the break-even volatility of the default ±10 %
    range at the example fee APR (31 %/yr): LPing pays before costs, and the chains differ in how
    much of it the costs leave. At 60 %/yr LVR takes more than the fees on every chain.

    >>> s = EconomicsScenario(chain="ethereum", gas_price_gwei=20.0)
    >>> s.chains()["ethereum"].gas_price_gwei, s.chains()["arbitrum"].gas_price_gwei
    (20.0, 0.02)
    """

    chain: str = "ethereum"
    gas_price_gwei: float | None = None
    l1_base_fee_gwei: float = 1.0
    frequency_per_year: float = 52.0
    sigma_per_year: float = 0.25
    width_pct: float = 10.0
    fee_apr: float = EXAMPLE_FEE_APR
    deposit: float = 10_000.0
    price: float = 3000.0
    swap_fee_fraction: float = 0.0005

    def __post_init__(self) -> None:
        one_of("chain", self.chain, CHAIN_KEYS)
        if self.gas_price_gwei is not None:
            object.__setattr__(self, "gas_price_gwei",
                               positive("gas_price_gwei", self.gas_price_gwei, scalar=True))
        for name in ("l1_base_fee_gwei", "frequency_per_year", "sigma_per_year", "deposit",
                     "price"):
            object.__setattr__(self, name, float(positive(name, getattr(self, name))))
        w = positive("width_pct", self.width_pct, scalar=True)
        if w >= 100:
            raise LpperpError(f"width_pct must be in (0, 100), got {w}")
        object.__setattr__(self, "width_pct", w)
        for name in ("fee_apr", "swap_fee_fraction"):
            object.__setattr__(self, name, float(nonnegative(name, getattr(self, name))))
        if self.swap_fee_fraction >= 1:
            raise LpperpError(f"swap_fee_fraction must be < 1, got {self.swap_fee_fraction}")

    def chains(self) -> dict[str, Chain]:
        """The four chains as priced here (presets with this scenario's overrides)."""
        out = {}
        for key, preset in CHAINS.items():
            c = preset
            if c.fee_model != "l1" and c.l1_base_fee_gwei > 0:
                k = self.l1_base_fee_gwei / c.l1_base_fee_gwei
                c = replace(c, l1_base_fee_gwei=self.l1_base_fee_gwei,
                            blob_base_fee_gwei=c.blob_base_fee_gwei * k)
            if key == self.chain and self.gas_price_gwei is not None:
                c = replace(c, gas_price_gwei=self.gas_price_gwei)
            out[key] = c
        return out

    def position(self) -> LPPosition:
        """The LP: ``deposit`` over ``±width_pct`` around ``price``."""
        return LPPosition.from_deposit(self.deposit, self.price, width_pct=self.width_pct)

    def _model(self) -> tuple:
        """The chain-independent part of the model (a cache key)."""
        return (self.deposit, self.price, self.width_pct, self.sigma_per_year, self.fee_apr,
                self.swap_fee_fraction)


@lru_cache(maxsize=256)
def _chain_curve(chain: Chain, model: tuple) -> tuple[np.ndarray, float, float, float]:
    """Net APR over :data:`FREQUENCY_GRID`, break-even and optimal frequency, net APR at the optimum.

    Cached on (chain, model): moving the frequency slider recomputes none of it.
    """
    deposit, price, width_pct, sigma, fee_apr, swap_fee = model
    lp = LPPosition.from_deposit(deposit, price, width_pct=width_pct)
    kw = {"fee_apr": fee_apr, "swap_fee_fraction": swap_fee}
    e = rebalancing_economics(lp, price, sigma, chain, FREQUENCY_GRID, **kw)
    f = frequency_search(lp, price, sigma, chain, **kw)
    curve = e.net_apr.copy()
    curve.flags.writeable = False
    return curve, f.break_even_frequency_per_year, f.optimal_frequency_per_year, f.optimal_net_apr


@lru_cache(maxsize=256)
def _gas_curve(chain: Chain, model: tuple, frequency: float) -> np.ndarray:
    """Net APR at ``frequency`` over :data:`GAS_GRID_GWEI` for ``chain`` at each of those gas prices.

    The net yield is linear in the execution gas price (the gas of a recentre is
    ``gas x gas price``; the L1 data fee and the swap do not depend on it): two library calls at the
    ends of the grid give the line, instead of 71 calls (185 ms of each move). Cached on the chain
    *without* its gas price (the curve does not depend on it), the model and the frequency.
    """
    deposit, price, width_pct, sigma, fee_apr, swap_fee = model
    lp = LPPosition.from_deposit(deposit, price, width_pct=width_pct)
    kw = {"fee_apr": fee_apr, "swap_fee_fraction": swap_fee}
    g0, g1 = float(GAS_GRID_GWEI[0]), float(GAS_GRID_GWEI[-1])
    n0, n1 = (float(rebalancing_economics(lp, price, sigma, replace(chain, gas_price_gwei=g),
                                          frequency, **kw).net_apr[0]) for g in (g0, g1))
    curve = n0 + (n1 - n0) * (GAS_GRID_GWEI - g0) / (g1 - g0)
    curve[-1] = n1  # the ends exactly as computed
    curve.flags.writeable = False
    return curve


@lru_cache(maxsize=1024)
def _at_frequency(chain: Chain, model: tuple, frequency: float) -> RebalanceEconomics:
    """:func:`lpperp.rebalancing.rebalancing_economics` of ``chain`` at ``frequency`` (arrays
    read-only): the same call, memoized (a gas step recomputes only the selected chain's)."""
    deposit, price, width_pct, sigma, fee_apr, swap_fee = model
    lp = LPPosition.from_deposit(deposit, price, width_pct=width_pct)
    e = rebalancing_economics(lp, price, sigma, chain, frequency, fee_apr=fee_apr,
                              swap_fee_fraction=swap_fee)
    for v in vars(e).values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    return e


@lru_cache(maxsize=1024)
def _sigma_curve(chain: Chain, model: tuple, frequency: float) -> np.ndarray:
    """Net APR of ``chain`` at ``frequency`` over :data:`SIGMA_GRID`; ``model`` without the
    volatility (``deposit, price, width_pct, fee_apr, swap_fee``): a volatility step reuses it."""
    deposit, price, width_pct, fee_apr, swap_fee = model
    lp = LPPosition.from_deposit(deposit, price, width_pct=width_pct)
    curve = rebalancing_economics(lp, price, SIGMA_GRID, chain, frequency, fee_apr=fee_apr,
                                  swap_fee_fraction=swap_fee).net_apr
    curve.flags.writeable = False
    return curve


@lru_cache(maxsize=4096)
def _policy_break_even(chain: Chain, width_pct: float, fee_apr: float, frequency: float,
                       price: float, deposit: float, swap_fee_fraction: float) -> float:
    """:func:`lpperp.rebalancing.break_even_volatility` of the selected chain's policy (per year).

    The same call with the same arguments, memoized on exactly what it depends on: the chain
    *with* its gas price, the range, fee APR, frequency, price, deposit and swap fee - not the
    volatility (a volatility step does not redo this ~9 ms search) and not the other chains. A gas
    price seen before (a slider moved back and forth) costs a dictionary look-up. A gas price not
    seen before is one library call: the search cannot be shared across gas prices bit for bit
    (the library takes one chain per call and searches an array of policies with fewer points per
    pass, which changes the last bits), see tests/test_viz_economics_cache.py.
    """
    return float(break_even_volatility(
        width_pct, fee_apr, frequency_per_year=frequency, chain=chain, price=price,
        deposit=deposit, swap_fee_fraction=swap_fee_fraction))


@lru_cache(maxsize=256)
def _gross_curve(model: tuple) -> np.ndarray:
    """Fees - LVR (before costs) over :data:`FREQUENCY_GRID` as a fraction of value (any chain)."""
    deposit, price, width_pct, sigma, fee_apr, swap_fee = model
    lp = LPPosition.from_deposit(deposit, price, width_pct=width_pct)
    e = rebalancing_economics(lp, price, sigma, CHAINS["ethereum"], FREQUENCY_GRID,
                              fee_apr=fee_apr, swap_fee_fraction=swap_fee)
    curve = e.fee_apr_after_lvr.copy()
    curve.flags.writeable = False
    return curve


@dataclass(frozen=True, eq=False)
class EconomicsResult:
    """Everything the figure and readout show (arrays over :data:`CHAIN_KEYS` where 1-d).

    ``net_apr[i]`` is chain ``i``'s net yield per year (fees - LVR - costs) over
    :data:`FREQUENCY_GRID` as a fraction of the position's value; ``gross_apr`` fees - LVR over
    the same grid (chain-independent: before any cost); ``selected`` the selected chain's
    :class:`RebalanceEconomics` at the selected frequency, ``at_frequency`` every chain's;
    ``gas_net_apr`` the selected chain's net APR at the selected frequency over
    :data:`GAS_GRID_GWEI`; ``break_even_gas_gwei`` the gas price where it crosses zero (NaN if the
    yield is gone at any gas price); ``sigma_net_apr`` the selected chain's net APR at the selected
    frequency over :data:`SIGMA_GRID`; ``break_even_sigma`` the volatility where fees = LVR at the
    centre of the range, ``break_even_sigma_policy`` where fees = LVR + costs for the selected
    chain and frequency (both per year).
    """

    scenario: EconomicsScenario
    chains: tuple[Chain, ...]
    frequencies: np.ndarray
    net_apr: np.ndarray
    break_even: np.ndarray
    optimal: np.ndarray
    optimal_net_apr: np.ndarray
    at_frequency: tuple[RebalanceEconomics, ...]
    execution_per_year: np.ndarray
    data_per_year: np.ndarray
    gas_grid_gwei: np.ndarray
    gas_net_apr: np.ndarray
    break_even_gas_gwei: float
    gross_apr: np.ndarray
    sigma_grid: np.ndarray
    sigma_net_apr: np.ndarray
    break_even_sigma: float
    break_even_sigma_policy: float

    @property
    def index(self) -> int:
        """Position of the selected chain in :data:`CHAIN_KEYS`."""
        return CHAIN_KEYS.index(self.scenario.chain)

    @property
    def selected(self) -> RebalanceEconomics:
        return self.at_frequency[self.index]

    @property
    def readout(self) -> dict[str, float]:
        """The numbers of the readout (quote units; APRs as fractions)."""
        e, i = self.selected, self.index
        return {
            "frequency_per_year": self.scenario.frequency_per_year,
            "gas_per_rebalance": float(e.gas_cost_per_rebalance[0]),
            "swap_per_rebalance": float(e.swap_cost_per_rebalance[0]),
            "cost_per_year": float(e.cost_per_year[0]),
            "fee_income_per_year": float(e.fee_income_per_year[0]),
            "lvr_per_year": float(e.lvr_per_year[0]),
            "net_yield_per_year": float(e.net_yield_per_year[0]),
            "net_apr": float(e.net_apr[0]),
            "time_in_range": float(e.time_in_range[0]),
            "break_even_frequency": float(self.break_even[i]),
            "optimal_frequency": float(self.optimal[i]),
            "optimal_net_apr": float(self.optimal_net_apr[i]),
            "break_even_gas_gwei": self.break_even_gas_gwei,
            "break_even_volatility": self.break_even_sigma,
            "break_even_volatility_policy": self.break_even_sigma_policy,
        }

    def rows(self) -> list[tuple[str, str]]:
        r = self.readout
        return [
            ("chain", self.chains[self.index].name),
            ("rebalancing", every(r["frequency_per_year"])),
            ("gas per rebalance (USDC)", f"{r['gas_per_rebalance']:,.4f}"),
            ("swap per rebalance (USDC)", f"{r['swap_per_rebalance']:,.4f}"),
            ("fee income per year (USDC)", f"{r['fee_income_per_year']:,.2f}"),
            ("LVR per year (USDC)", f"{r['lvr_per_year']:,.2f}"),
            ("cost per year (USDC)", f"{r['cost_per_year']:,.2f}"),
            ("net = fees - LVR - costs (USDC)", f"{r['net_yield_per_year']:,.2f}"),
            ("net APR", f"{100 * r['net_apr']:.2f} %"),
            ("break-even", every(r["break_even_frequency"])),
            ("optimal", every(r["optimal_frequency"])),
            ("break-even volatility (centre / policy)",
             f"{_pct(r['break_even_volatility'])} / "
             f"{_pct(r['break_even_volatility_policy'])}"),
        ]

    def _repr_html_(self) -> str:
        return kit.html_table(self.rows(), "rebalancing economics at the selected frequency")


def compute_economics(scenario: EconomicsScenario) -> EconomicsResult:
    """The library's rebalancing economics for the scenario's four chains (no plotting).

    >>> r = compute_economics(EconomicsScenario(chain="ethereum", gas_price_gwei=20.0))
    >>> bool(r.break_even[0] < r.break_even[1])   # mainnet erases the yield sooner than Arbitrum
    True
    """
    s = scenario
    chains = s.chains()
    model = s._model()
    curves = [_chain_curve(chains[k], model) for k in CHAIN_KEYS]
    at_f = tuple(_at_frequency(chains[k], model, s.frequency_per_year) for k in CHAIN_KEYS)
    f = s.frequency_per_year
    exe = np.array([float(action_cost(chains[k], "recentre").execution_eth) for k in CHAIN_KEYS])
    data = np.array([float(action_cost(chains[k], "recentre").l1_data_eth) for k in CHAIN_KEYS])
    sel = chains[s.chain]
    gas_apr = _gas_curve(replace(sel, gas_price_gwei=1.0), model, f)
    # the net yield is linear in the gas price: its zero from the two ends of the grid
    g0, g1, n0, n1 = GAS_GRID_GWEI[0], GAS_GRID_GWEI[-1], gas_apr[0], gas_apr[-1]
    if n0 < 0:
        be_gas = float("nan")  # gone even at the lowest gas price
    elif n1 >= 0:
        be_gas = float("inf")  # kept even at the highest
    else:
        be_gas = float(g0 + n0 * (g1 - g0) / (n0 - n1))
    sigma_apr = _sigma_curve(sel, model[:3] + model[4:], f)
    return EconomicsResult(
        scenario=s, chains=tuple(chains[k] for k in CHAIN_KEYS), frequencies=FREQUENCY_GRID,
        net_apr=np.stack([c[0] for c in curves]), break_even=np.array([c[1] for c in curves]),
        optimal=np.array([c[2] for c in curves]),
        optimal_net_apr=np.array([c[3] for c in curves]), at_frequency=at_f,
        execution_per_year=f * exe * s.price, data_per_year=f * data * s.price,
        gas_grid_gwei=GAS_GRID_GWEI, gas_net_apr=gas_apr, break_even_gas_gwei=be_gas,
        gross_apr=_gross_curve(model), sigma_grid=SIGMA_GRID, sigma_net_apr=sigma_apr,
        break_even_sigma=float(break_even_volatility(s.width_pct, s.fee_apr)),
        break_even_sigma_policy=_policy_break_even(sel, s.width_pct, s.fee_apr, f, s.price,
                                                   s.deposit, s.swap_fee_fraction),
    )


# ------------------------------------------------------------------------------------------------
# figure
# ------------------------------------------------------------------------------------------------
#: Trace order of :func:`economics_figure`.
ECONOMICS_TRACES = (
    *(f"net APR · {CHAINS[k].name}" for k in CHAIN_KEYS),
    "break-even",
    "optimal",
    "selected frequency",
    "selected",
    "net APR vs gas price",
    "current gas price",
    "break-even gas price",
    *_COST_PARTS,
    "fee income",
    "fees - LVR",
    "LVR",
    "net",
    "net APR vs volatility",
    "current volatility",
    "break-even volatility (centre)",
    "break-even volatility (policy)",
)


def _apr_span(r: EconomicsResult) -> tuple[float, float]:
    """y range in percent: all of the positive side; the losses down to the LVR's (fees - LVR) or
    twice the fee yield, whichever is lower (costs at every-5-minutes frequencies are cut)."""
    top = max(100.0 * r.scenario.fee_apr, float(np.max(100.0 * r.net_apr)), 1.0)
    low = min(-2.0 * top - 2.0, 1.15 * float(np.min(100.0 * r.gross_apr)) - 5.0)
    return low, 1.15 * top + 1.0


def economics_figure(result: EconomicsResult, *, widget: bool = True) -> go.Figure:
    """The break-even plot (net APR vs frequency per chain), net APR vs gas price, what a year
    takes (LVR + costs vs fees) and net APR vs volatility with the break-even volatilities.

    Traces as in :data:`ECONOMICS_TRACES`.

    >>> r = compute_economics(EconomicsScenario())
    >>> [t.name for t in economics_figure(r, widget=False).data] == list(ECONOMICS_TRACES)
    True
    """
    fig = kit.make_figure(
        False, rows=3, cols=2, row_heights=[0.44, 0.3, 0.26],
        specs=[[{"colspan": 2}, None], [{}, {}], [{"colspan": 2}, None]],
        horizontal_spacing=0.1, vertical_spacing=0.1,
        subplot_titles=("net yield = fees - LVR - costs vs rebalancing frequency (the break-even plot)",
                        "net yield at the selected frequency vs gas price",
                        "what a year at the selected frequency takes: LVR + costs vs fees",
                        "net yield vs volatility (selected chain and frequency)"),
    )
    for k in CHAIN_KEYS:
        fig.add_trace(go.Scatter(name=f"net APR · {CHAINS[k].name}", mode="lines",
                                 line={"color": _CHAIN_COLORS[k]},
                                 hovertemplate="%{x:,.1f} per year: %{y:.2f} %<extra></extra>"),
                      1, 1)
    fig.add_trace(go.Scatter(name="break-even", mode="markers",
                             marker={"symbol": "x", "size": 11, "color": COLORS["boundary"]},
                             hovertemplate="break-even %{x:,.1f} per year<extra></extra>"), 1, 1)
    fig.add_trace(go.Scatter(name="optimal", mode="markers",
                             marker={"symbol": "star", "size": 12, "color": "#00a676"},
                             hovertemplate="optimal %{x:,.1f} per year: %{y:.2f} %<extra></extra>"),
                  1, 1)
    fig.add_trace(go.Scatter(name="selected frequency", mode="lines", showlegend=False,
                             hoverinfo="skip", line={"color": COLORS["now"], "dash": "dot",
                                                     "width": 1}), 1, 1)
    fig.add_trace(go.Scatter(name="selected", mode="markers", showlegend=False,
                             marker={"color": COLORS["now"], "size": 10}), 1, 1)
    fig.add_trace(go.Scatter(name="net APR vs gas price", mode="lines", showlegend=False,
                             line={"color": COLORS["lp"], "width": 2.5}), 2, 1)
    fig.add_trace(go.Scatter(name="current gas price", mode="markers", showlegend=False,
                             marker={"color": COLORS["now"], "size": 10}), 2, 1)
    fig.add_trace(go.Scatter(name="break-even gas price", mode="markers", showlegend=False,
                             marker={"symbol": "x", "size": 11, "color": COLORS["boundary"]}),
                  2, 1)
    for name, color in zip(_COST_PARTS, ("#7f7f7f", "#ff7f0e", "#6c5ce7"), strict=True):
        fig.add_trace(go.Bar(name=name, marker={"color": color}), 2, 2)
    fig.add_trace(go.Scatter(name="fee income", mode="markers",
                             marker={"symbol": "line-ew-open", "size": 30, "color": "#00a676",
                                     "line": {"width": 3}}), 2, 2)
    fig.add_trace(go.Scatter(name="fees - LVR", mode="lines",
                             line={"color": "#00a676", "dash": "dash", "width": 2},
                             hovertemplate="fees - LVR before costs: %{y:.2f} %<extra></extra>"),
                  1, 1)
    fig.add_trace(go.Bar(name="LVR", marker={"color": "#d62728"}), 2, 2)
    fig.add_trace(go.Scatter(name="net", mode="markers",
                             marker={"symbol": "diamond", "size": 11, "color": COLORS["now"]}),
                  2, 2)
    fig.add_trace(go.Scatter(name="net APR vs volatility", mode="lines", showlegend=False,
                             line={"color": COLORS["lp"], "width": 2.5}), 3, 1)
    fig.add_trace(go.Scatter(name="current volatility", mode="markers", showlegend=False,
                             marker={"color": COLORS["now"], "size": 10}), 3, 1)
    fig.add_trace(go.Scatter(name="break-even volatility (centre)", mode="markers",
                             marker={"symbol": "x", "size": 12, "color": "#d62728"},
                             hovertemplate="fees = LVR at the centre: %{x:.1%}<extra></extra>"),
                  3, 1)
    fig.add_trace(go.Scatter(name="break-even volatility (policy)", mode="markers",
                             marker={"symbol": "x", "size": 12, "color": COLORS["boundary"]},
                             hovertemplate="fees = LVR + costs: %{x:.1%}<extra></extra>"), 3, 1)
    fig.update_xaxes(type="log", title_text="rebalances per year", row=1, col=1)
    fig.update_xaxes(type="log", title_text="execution gas price (gwei)", row=2, col=1)
    fig.update_yaxes(title_text="net APR (%)", row=1, col=1)
    fig.update_yaxes(title_text="net APR (%)", row=2, col=1)
    fig.update_yaxes(title_text="% of value per year", row=2, col=2)
    fig.update_xaxes(title_text="volatility per year", tickformat=".0%", row=3, col=1)
    fig.update_yaxes(title_text="net APR (%)", row=3, col=1)
    return finish_figure(fig, lambda f: update_economics_figure(f, result), widget=widget,
                         height=960, top=80, barmode="stack")


def update_economics_figure(fig: go.Figure, result: EconomicsResult) -> None:
    """Rewrite :func:`economics_figure`'s traces from a new result (inside ``batch_update``)."""
    r, s = result, result.scenario
    i = r.index
    span = _apr_span(r)
    for j in range(len(CHAIN_KEYS)):
        kit.set_trace(fig, j, x=r.frequencies, y=100.0 * r.net_apr[j])
        width = 4 if j == i else 1.5
        if (fig._data[j].get("line") or {}).get("width") != width:  # only on a chain change
            fig.data[j].line.width = width
    n = len(CHAIN_KEYS)
    fin = np.isfinite(r.break_even)
    kit.set_trace(fig, n, x=r.break_even[fin], y=np.zeros(int(fin.sum())),
                text=[r.chains[j].name for j in np.flatnonzero(fin)])
    kit.set_trace(fig, n + 1, x=r.optimal, y=100.0 * r.optimal_net_apr, text=[c.name for c in r.chains])
    f = s.frequency_per_year
    kit.set_trace(fig, n + 2, x=[f, f], y=list(span))
    kit.set_trace(fig, n + 3, x=[f], y=[100.0 * float(r.selected.net_apr[0])])
    kit.set_trace(fig, n + 4, x=r.gas_grid_gwei, y=100.0 * r.gas_net_apr)
    g_now = r.chains[i].gas_price_gwei
    kit.set_trace(fig, n + 5, x=[g_now], y=[100.0 * float(r.selected.net_apr[0])])
    be = r.break_even_gas_gwei
    ok = math.isfinite(be) and r.gas_grid_gwei[0] <= be <= r.gas_grid_gwei[-1]
    kit.set_trace(fig, n + 6, x=[be] if ok else [], y=[0.0] if ok else [])
    names = [c.name for c in r.chains]
    v = r.at_frequency[0].value
    swap = np.array([float(e.swap_cost_per_rebalance[0]) for e in r.at_frequency]) * f
    for j, part in enumerate((r.execution_per_year, r.data_per_year, swap)):
        kit.set_trace(fig, n + 7 + j, x=names, y=100.0 * part / v)
    fees = np.array([float(e.fee_income_per_year[0]) for e in r.at_frequency])
    kit.set_trace(fig, n + 10, x=names, y=100.0 * fees / v)
    kit.set_trace(fig, n + 11, x=r.frequencies, y=100.0 * r.gross_apr)
    lvr = np.array([float(e.lvr_per_year[0]) for e in r.at_frequency])
    kit.set_trace(fig, n + 12, x=names, y=100.0 * lvr / v)
    kit.set_trace(fig, n + 13, x=names, y=[100.0 * float(e.net_apr[0]) for e in r.at_frequency])
    kit.set_trace(fig, n + 14, x=r.sigma_grid, y=100.0 * r.sigma_net_apr)
    kit.set_trace(fig, n + 15, x=[s.sigma_per_year], y=[100.0 * float(r.selected.net_apr[0])])
    kit.set_trace(fig, n + 16, x=[r.break_even_sigma], y=[0.0])
    bp = r.break_even_sigma_policy
    kit.set_trace(fig, n + 17, x=[bp] if math.isfinite(bp) else [], y=[0.0] if math.isfinite(bp) else [])
    # volatility axis from 0: the break-even markers may sit below the grid's 5 %/yr
    marks = [x for x in (r.break_even_sigma, bp) if math.isfinite(x)]
    sigma_hi = max(float(r.sigma_grid[-1]), *(1.05 * x for x in marks))
    for axis, rng in (("yaxis", list(span)), ("yaxis2", list(span)),
                      ("xaxis", [0.0, math.log10(r.frequencies[-1])]), ("xaxis4", [0.0, sigma_hi])):
        if list(fig.layout[axis].range or []) != rng:
            fig.layout[axis].range = rng
    # every other axis fitted (the explorer redraws with a transition: no autorange); y ranges
    # kept while the data fill 60 % of them, so a gas-price step does not re-plot the figure
    kit.fit_ranges(fig, skip=("xaxis", "yaxis", "yaxis2", "xaxis4"), keep_fill=0.6)


# ------------------------------------------------------------------------------------------------
# explorer
# ------------------------------------------------------------------------------------------------
#: rebalancing frequencies a user means, always on the frequency slider (per year): monthly,
#: every two weeks, weekly, twice a week, daily, twice a day, hourly, every 15 and every 5 minutes
CALENDAR_FREQUENCIES = (12.0, 26.0, 52.0, 104.0, 365.0, 730.0, 8760.0, 35_040.0, 105_120.0)


class RebalancingExplorer(Explorer):
    """Rebalancing economics across chains: chain, gas price and frequency sliders.

    Controls: ``chain`` (the highlighted chain; choosing one sets ``gas_price_gwei`` to its
    preset), ``gas_price_gwei``, ``l1_base_fee_gwei`` (what L2s pay for data), ``frequency_per_year``,
    ``sigma_per_year``, ``width_pct``, ``fee_apr`` (in-range fee yield), ``deposit``.

    >>> ex = RebalancingExplorer(chain="ethereum")
    >>> ex.controls["gas_price_gwei"].value = 30.0
    >>> ex.result.chains[0].gas_price_gwei
    30.0
    """

    title = "rebalancing economics"
    #: slider moves redraw only the changed traces (scatter and stacked bars, explicit ranges);
    #: a new chain changes the curves' line widths, which a transition does not draw (full redraw)
    transitions = True
    compute_function = staticmethod(compute_economics)
    figure_function = staticmethod(economics_figure)
    update_function = staticmethod(update_economics_figure)

    def __init__(self, *, chain: str = "ethereum", gas_price_gwei: float | None = None,
                 l1_base_fee_gwei: float = 1.0, frequency_per_year: float = 52.0,
                 sigma_per_year: float = 0.25, width_pct: float = 10.0,
                 fee_apr: float = EXAMPLE_FEE_APR, deposit: float = 10_000.0,
                 price: float = 3000.0) -> None:
        self.price = positive("price", price, scalar=True)
        gas = CHAINS[one_of("chain", chain, CHAIN_KEYS)].gas_price_gwei if gas_price_gwei is None \
            else gas_price_gwei
        super().__init__(chain=chain, gas_price_gwei=gas, l1_base_fee_gwei=l1_base_fee_gwei,
                         frequency_per_year=frequency_per_year, sigma_per_year=sigma_per_year,
                         width_pct=width_pct, fee_apr=fee_apr, deposit=deposit)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        c: dict[str, widgets.Widget] = {
            "chain": kit.choice("chain", [(CHAINS[key].name, key) for key in CHAIN_KEYS], k["chain"]),
            "gas_price_gwei": kit.log_slider(
                "gas price gwei", k["gas_price_gwei"], float(GAS_GRID_GWEI[0]),
                float(GAS_GRID_GWEI[-1]), "lpperp-gas",
                include=[c.gas_price_gwei for c in CHAINS.values()]),
            "l1_base_fee_gwei": kit.log_slider(
                "L1 fee for L2s", k["l1_base_fee_gwei"], 1e-2, 1e3, "lpperp-l1-fee",
                include=[c.l1_base_fee_gwei for c in CHAINS.values() if c.l1_base_fee_gwei > 0]),
            "frequency_per_year": kit.log_slider(
                "rebalances /yr", k["frequency_per_year"], float(FREQUENCY_GRID[0]),
                float(FREQUENCY_GRID[-1]), "lpperp-frequency", include=CALENDAR_FREQUENCIES),
            "sigma_per_year": kit.slider("volatility /yr", k["sigma_per_year"], 0.05, 2.0, 0.05,
                                      ".2f", "lpperp-sigma"),
            "width_pct": kit.slider("range ± %", k["width_pct"], 1.0, 60.0, 0.5, ".1f",
                                 "lpperp-width"),
            "fee_apr": kit.slider("fee APR", k["fee_apr"], 0.0, 1.5, 0.01, ".2f", "lpperp-fee-apr"),
            "deposit": kit.number("LP deposit", k["deposit"], "lpperp-deposit"),
        }
        c["chain"].observe(self._on_chain, names="value")  # runs before the refresh observer
        return c

    #: after a gas-price step, the next step the same way is computed in the kernel's idle time
    #: (one event-loop turn, dropped if another move comes first) into the memos above, so a key
    #: press held on the slider mostly draws from them: a new gas price costs ~25 ms of library
    #: searches that cannot be shared across gas prices bit for bit
    prefetch = True

    def refresh(self) -> bool:
        """Recompute and redraw (:meth:`Explorer.refresh`); in a running kernel, then schedule the
        next gas-price step the same way (:attr:`prefetch`)."""
        before = getattr(self, "result", None)
        self._generation = getattr(self, "_generation", 0) + 1
        done = super().refresh()
        if done and self.prefetch and before is not None:
            nxt = self._next_gas_step(before.scenario, self.result.scenario)
            loop = kit.running_loop()
            if nxt is not None and loop is not None:
                loop.call_soon(self._prefetch, self._generation, nxt)
        return done

    def _next_gas_step(self, before: EconomicsScenario,
                       now: EconomicsScenario) -> EconomicsScenario | None:
        """``now`` one gas slider step further the way it moved from ``before`` (None unless only
        the gas price moved, to a value on the slider that has a next one)."""
        g0, g1 = before.gas_price_gwei, now.gas_price_gwei
        if g0 is None or g1 is None or g0 == g1 or replace(before, gas_price_gwei=g1) != now:
            return None
        values = [v for _, v in self.controls["gas_price_gwei"].options]
        if g1 not in values:
            return None
        k = values.index(g1) + (1 if g1 > g0 else -1)
        if not 0 <= k < len(values):
            return None
        return replace(now, gas_price_gwei=values[k])

    def _prefetch(self, generation: int, scenario: EconomicsScenario) -> None:
        """Fill the memos for ``scenario`` unless another move came first."""
        if generation != getattr(self, "_generation", 0):
            return
        try:
            compute_economics(scenario)
        except ValueError:
            pass  # not a valid setting: nothing to keep

    def _transition(self, result: EconomicsResult) -> bool:
        return result.scenario.chain == self.result.scenario.chain

    def _on_chain(self, change: dict) -> None:
        """A newly chosen chain starts at its preset gas price (no chain: the status says so)."""
        if change["new"] not in CHAINS:
            return
        with self._quiet():
            self.controls["gas_price_gwei"].value = CHAINS[change["new"]].gas_price_gwei

    def _control_rows(self) -> list[list[str]]:
        return [["chain", "gas_price_gwei", "l1_base_fee_gwei"],
                ["frequency_per_year", "sigma_per_year", "width_pct"], ["fee_apr", "deposit"]]

    def scenario(self) -> EconomicsScenario:
        c = self.controls
        return EconomicsScenario(
            chain=c["chain"].value, gas_price_gwei=c["gas_price_gwei"].value,
            l1_base_fee_gwei=c["l1_base_fee_gwei"].value,
            frequency_per_year=c["frequency_per_year"].value,
            sigma_per_year=c["sigma_per_year"].value, width_pct=c["width_pct"].value,
            fee_apr=c["fee_apr"].value, deposit=c["deposit"].value, price=self.price,
        )

    def _readout_items(self, result: EconomicsResult) -> list[tuple[str, str, str]]:
        r = result.readout
        self.readout_values = dict(r)
        be_gas = r["break_even_gas_gwei"]
        be_gas_text = ("none: costs exceed fees" if math.isnan(be_gas) else
                       "any" if math.isinf(be_gas) else f"{be_gas:,.4g} gwei")
        return [
            ("chain", "chain", result.chains[result.index].name),
            ("frequency_per_year", "rebalancing", every(r["frequency_per_year"])),
            ("cost_per_rebalance", "cost per rebalance (USDC)",
             f"{r['gas_per_rebalance']:,.3f} gas + {r['swap_per_rebalance']:,.3f} swap"),
            ("fee_income_per_year", "fee income /yr (USDC)", f"{r['fee_income_per_year']:,.2f}"),
            ("lvr_per_year", "LVR /yr (USDC)", f"{r['lvr_per_year']:,.2f}"),
            ("cost_per_year", "cost /yr (USDC)", f"{r['cost_per_year']:,.2f}"),
            ("net_yield_per_year", "net = fees - LVR - costs /yr (USDC)",
             f"{r['net_yield_per_year']:,.2f}"),
            ("net_apr", "net APR", f"{100 * r['net_apr']:.2f} %"),
            ("break_even_frequency", "break-even (LVR + costs = fees)",
             every(r["break_even_frequency"])),
            ("optimal_frequency", "optimal",
             f"{every(r['optimal_frequency'])} ({100 * r['optimal_net_apr']:.2f} %)"),
            ("break_even_gas_gwei", "gas price that erases this yield", be_gas_text),
            ("break_even_volatility", "break-even volatility: centre / this policy",
             f"{_pct(r['break_even_volatility'])} / {_pct(r['break_even_volatility_policy'])}"),
        ]

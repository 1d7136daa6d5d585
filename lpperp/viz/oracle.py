"""Oracle explorer (notebook 08): what the venue reads, its collateral factor, when it liquidates.

Pipeline, as for every explorer (:mod:`lpperp.viz.explorers`): the controls are read into a frozen
:class:`OracleScenario` (bad input raises ``ValueError``: the status line shows it and the plot
keeps the last good state), :func:`compute_oracle` calls :mod:`lpperp.oracle`,
:mod:`lpperp.collateral` and :mod:`lpperp.oracle_risk` (no plotting) and returns an
:class:`OracleResult`, and :func:`update_oracle_figure` rewrites the one FigureWidget in place.

The figure: (top) one seeded market path (GBM with a drift down: a crash over the horizon), the
Chainlink-style feed and the TWAP the venue would read, and where each liquidates (triggered on
its oracle, executed at the market); (bottom) the EWMA volatility-scaled collateral factor as the
venue computes it on each oracle. The readout: per oracle, how much later than spot the account
is liquidated and what the owner keeps.

Conventions: price quote per base (USDC per ETH), money in quote units, times in hours on the
axes and seconds in the library, volatility per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from lpperp._validate import LpperpError, integer, nonnegative, positive
from lpperp.collateral import VolatilityScaledFactor
from lpperp.oracle import ChainlinkFeed, Spot, TwapOracle
from lpperp.oracle_risk import OracleLiquidation, crash_day_account, liquidate_on_oracle
from lpperp.viz import kit
from lpperp.viz.explorers import Explorer
from lpperp.viz.figures import COLORS, finish_figure

__all__ = [
    "ORACLE_NAMES",
    "ORACLE_TRACES",
    "OracleExplorer",
    "OracleResult",
    "OracleScenario",
    "compute_oracle",
    "oracle_figure",
    "update_oracle_figure",
]

#: The oracles compared, in trace order.
ORACLE_NAMES = ("spot", "chainlink", "twap")
_COL = {"spot": "#3c3c3d", "chainlink": "#375bd2", "twap": "#ff007a"}
#: Trace names, in order (tests read ``fig.data`` by these).
ORACLE_TRACES = (
    "market", "chainlink", "twap",
    "liquidated: spot", "liquidated: chainlink", "liquidated: twap",
    "factor: spot", "factor: chainlink", "factor: twap",
)


#: Allowed range per field (the sliders offer a part of it): a TWAP window within
#: OracleLibrary's uint32 seconds, a heartbeat up to a year, prices and volatility a float path
#: can carry over the horizon without overflow.
_RANGES = {
    "deviation_pct": (0.0, 99.99),
    "heartbeat_minutes": (1.0 / 60.0, 525_600.0),
    "twap_minutes": (1.0 / 60.0, (2**32 - 1) / 60.0),
    "sigma_per_year": (0.0, 10.0),
    "horizon_hours": (0.0, 8760.0),
    "block_seconds": (0.01, 3600.0),
    "price": (1e-6, 1e9),
}


@dataclass(frozen=True)
class OracleScenario:
    """One crash path and three ways of reading it.

    >>> OracleScenario(deviation_pct=1.0).feed().deviation_fraction
    0.01
    """

    deviation_pct: float = 0.5
    heartbeat_minutes: float = 60.0
    twap_minutes: float = 30.0
    sigma_per_year: float = 0.8
    crash_pct: float = 35.0
    horizon_hours: float = 12.0
    block_seconds: float = 12.0
    price: float = 3000.0
    seed: int = 8

    def __post_init__(self) -> None:
        for name in ("deviation_pct", "heartbeat_minutes", "twap_minutes", "sigma_per_year",
                     "horizon_hours", "block_seconds", "price"):
            object.__setattr__(self, name, float(positive(name, getattr(self, name),
                                                          scalar=True)))
        c = float(nonnegative("crash_pct", self.crash_pct, scalar=True))
        if c >= 100:
            raise LpperpError(f"crash_pct must be in [0, 100), got {c}")
        object.__setattr__(self, "crash_pct", c)
        for name, (lo, hi) in _RANGES.items():  # the library's domain, stated where it is set
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise LpperpError(f"{name} must be in [{lo:g}, {hi:g}], got {v!r}")
        object.__setattr__(self, "seed", integer("seed", self.seed, 0))
        if self.horizon_hours * 3600.0 / self.block_seconds > 20_000:
            raise LpperpError("horizon_hours / block_seconds gives more than 20,000 steps: "
                              "shorten the horizon or lengthen the block")

    def feed(self) -> ChainlinkFeed:
        return ChainlinkFeed(self.deviation_pct / 100.0, self.heartbeat_minutes * 60.0)

    def twap(self) -> TwapOracle:
        return TwapOracle(float(round(self.twap_minutes * 60.0)))  # whole seconds (secondsAgo)

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """``(times_seconds, prices)``: seeded GBM with a drift of ``-crash_pct`` over the horizon."""
        n = int(self.horizon_hours * 3600.0 / self.block_seconds) + 1
        t = np.arange(n) * self.block_seconds
        dt = self.block_seconds / (365.0 * 86400.0)
        rng = np.random.default_rng(self.seed)
        steps = rng.normal(0.0, self.sigma_per_year * math.sqrt(dt), n - 1)
        drift = math.log(1.0 - self.crash_pct / 100.0) / (n - 1)
        return t, self.price * np.exp(np.r_[0.0, np.cumsum(steps + drift)])


@dataclass(frozen=True, eq=False)
class OracleResult:
    """Arrays over time (``times_seconds``) and one liquidation record per oracle."""

    scenario: OracleScenario
    times_seconds: np.ndarray
    market: np.ndarray
    reported: dict[str, np.ndarray]
    factor: dict[str, np.ndarray]
    liquidation: dict[str, OracleLiquidation]

    @property
    def readout(self) -> dict[str, float]:
        """Per oracle: trigger hour, delay vs spot (s), what the owner keeps (quote)."""
        out = {}
        for name, r in self.liquidation.items():
            out[f"{name}_hour"] = float(r.trigger_seconds) / 3600.0
            out[f"{name}_delay_s"] = float(r.delay_seconds)
            out[f"{name}_owner_value"] = float(r.owner_value)
        return out


def compute_oracle(scenario: OracleScenario) -> OracleResult:
    """The library on one path: reports, factor paths, liquidations (no plotting).

    >>> r = compute_oracle(OracleScenario())
    >>> r.readout["chainlink_delay_s"] >= 0, r.readout["twap_delay_s"] > 0
    (True, True)
    """
    s = scenario
    t, p = s.path()
    oracles = {"spot": Spot(), "chainlink": s.feed(), "twap": s.twap()}
    acct = crash_day_account(s.price)
    model = VolatilityScaledFactor(s.sigma_per_year, horizon_years=1.0 / 365.0,
                                   base_factor=0.9, quote_factor=1.0)
    dt = s.block_seconds / (365.0 * 86400.0)
    reported, factor, liq = {}, {}, {}
    for name, o in oracles.items():
        reported[name] = o.report(t, p)
        factor[name] = model.factor_path(acct.lp, reported[name], dt, ewma_lambda=0.999)
        liq[name] = liquidate_on_oracle(acct, t, p, o)
    return OracleResult(s, t, p, reported, factor, liq)


def oracle_figure(result: OracleResult, *, widget: bool = True) -> go.Figure:
    """Two panels sharing the time axis: prices and liquidations; collateral factor per oracle."""
    fig = kit.make_figure(False, rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           row_heights=[0.65, 0.35],
                           subplot_titles=("market vs what the venue reads",
                                           "volatility-scaled collateral factor, per oracle"))
    fig.add_trace(go.Scatter(name="market", mode="lines",
                             line={"color": _COL["spot"], "width": 1.2}), 1, 1)
    fig.add_trace(go.Scatter(name="chainlink", mode="lines", line_shape="hv",
                             line={"color": _COL["chainlink"], "width": 2}), 1, 1)
    fig.add_trace(go.Scatter(name="twap", mode="lines",
                             line={"color": _COL["twap"], "width": 2}), 1, 1)
    for name in ORACLE_NAMES:
        fig.add_trace(go.Scatter(name=f"liquidated: {name}", mode="markers",
                                 marker={"symbol": "x", "size": 13, "color": _COL[name],
                                         "line": {"width": 2}},
                                 hovertemplate="%{x:.2f} h, executed at %{y:,.2f}<extra>"
                                 + name + "</extra>"), 1, 1)
    for name in ORACLE_NAMES:
        fig.add_trace(go.Scatter(name=f"factor: {name}", mode="lines", showlegend=False,
                                 line={"color": _COL[name], "width": 1.5}), 2, 1)
    fig.update_xaxes(title_text="hours", row=2, col=1)
    fig.update_yaxes(title_text="USDC per ETH", row=1, col=1)
    fig.update_yaxes(title_text="factor", row=2, col=1)
    fig.update_traces(selector={"name": "market"}, line={"color": COLORS.get("lp", "#3c3c3d")})
    return finish_figure(fig, lambda f: update_oracle_figure(f, result), widget=widget,
                         height=620, top=80)


def update_oracle_figure(fig: go.Figure, result: OracleResult) -> None:
    """Rewrite :func:`oracle_figure`'s traces from a new result (inside ``batch_update``)."""
    r, d = result, fig.data
    h = r.times_seconds / 3600.0
    stride = max(1, h.size // 2000)  # enough points for the eye, light for the browser
    d[0].update(x=h[::stride], y=r.market[::stride])
    d[1].update(x=h, y=r.reported["chainlink"])  # a step line: every update matters
    d[2].update(x=h[::stride], y=r.reported["twap"][::stride])
    for j, name in enumerate(ORACLE_NAMES):
        liq = r.liquidation[name]
        ok = bool(np.asarray(liq.liquidated))
        d[3 + j].update(x=[float(liq.trigger_seconds) / 3600.0] if ok else [],
                        y=[float(liq.market_price)] if ok else [])
        d[6 + j].update(x=h[::stride], y=r.factor[name][::stride])


class OracleExplorer(Explorer):
    """Slide the feed's deviation threshold and heartbeat, the TWAP window and the volatility.

    Controls: ``deviation_pct``, ``heartbeat_minutes``, ``twap_minutes``, ``sigma_per_year``,
    ``crash_pct`` (the drift down over the horizon), ``seed``.

    >>> ex = OracleExplorer()
    >>> ex.controls["twap_minutes"].value = 120.0
    >>> ex.result.scenario.twap_minutes
    120.0
    """

    title = "oracles and collateral"
    compute_function = staticmethod(compute_oracle)
    figure_function = staticmethod(oracle_figure)
    update_function = staticmethod(update_oracle_figure)

    def __init__(self, *, deviation_pct: float = 0.5, heartbeat_minutes: float = 60.0,
                 twap_minutes: float = 30.0, sigma_per_year: float = 0.8,
                 crash_pct: float = 35.0, seed: int = 8) -> None:
        super().__init__(deviation_pct=deviation_pct, heartbeat_minutes=heartbeat_minutes,
                         twap_minutes=twap_minutes, sigma_per_year=sigma_per_year,
                         crash_pct=crash_pct, seed=seed)

    def _build_controls(self, **k: Any) -> dict[str, widgets.Widget]:
        return {
            "deviation_pct": kit.slider("deviation %", k["deviation_pct"], 0.05, 5.0, 0.05,
                                         ".2f", "lpperp-deviation"),
            "heartbeat_minutes": kit.slider("heartbeat min", k["heartbeat_minutes"], 1.0,
                                             1440.0, 1.0, ".0f", "lpperp-heartbeat"),
            "twap_minutes": kit.slider("TWAP min", k["twap_minutes"], 1.0, 240.0, 1.0, ".0f",
                                        "lpperp-twap"),
            "sigma_per_year": kit.slider("volatility /yr", k["sigma_per_year"], 0.05, 3.0, 0.05,
                                          ".2f", "lpperp-sigma"),
            "crash_pct": kit.slider("crash %", k["crash_pct"], 0.0, 80.0, 1.0, ".0f",
                                     "lpperp-crash"),
            # IntText, not Bounded: a typed -1 reaches OracleScenario and its message shows
            # (a bounded box clamped it to 0 silently: the browser suite saw no status)
            "seed": widgets.IntText(value=k["seed"], description="seed",
                                    style=kit.DESCRIPTION_STYLE),
        }

    def _control_rows(self) -> list[list[str]]:
        return [["deviation_pct", "heartbeat_minutes"], ["twap_minutes", "sigma_per_year"],
                ["crash_pct", "seed"]]

    def scenario(self) -> OracleScenario:
        c = self.controls
        return OracleScenario(
            deviation_pct=c["deviation_pct"].value, heartbeat_minutes=c["heartbeat_minutes"].value,
            twap_minutes=c["twap_minutes"].value, sigma_per_year=c["sigma_per_year"].value,
            crash_pct=c["crash_pct"].value, seed=int(c["seed"].value),
        )

    def _readout_items(self, result: OracleResult) -> list[tuple[str, str, str]]:
        r = result.readout
        self.readout_values = dict(r)
        items = []
        for name in ORACLE_NAMES:
            hour = r[f"{name}_hour"]
            when = "not liquidated" if math.isnan(hour) else f"{hour:.2f} h"
            delay = r[f"{name}_delay_s"]
            late = "" if name == "spot" or math.isnan(delay) else f", +{delay / 60:.1f} min"
            items.append((f"{name}_hour", f"{name}: liquidated", when + late))
            items.append((f"{name}_owner_value", f"{name}: owner keeps (USDC)",
                          kit.fmt_num(r[f"{name}_owner_value"])))
        return items

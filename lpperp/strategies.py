"""Strategies side by side: the same seeded paths through several scenarios, shocks and sweeps.

:func:`compare_strategies` runs several :class:`~lpperp.simulate.Scenario` objects on the *same*
Monte Carlo paths (common random numbers, so differences are the strategies', not the noise's) and
returns a :class:`StrategyTable`; :func:`stress_test` runs them through deterministic shocks
(:func:`shock_paths`) under cross and isolated margin; :func:`run_sweep` maps a parameter sweep in
process or over a Dask cluster with the same numbers for the same seed.

Conventions: as :mod:`lpperp.simulate` (quote units, years, rates per year; survival with Wilson
95 % intervals; returns as a fraction of the capital put in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from lpperp._results import html_table
from lpperp._validate import (
    MAX_PATH_STEPS,
    LpperpError,
    integer,
    nonnegative,
    one_of,
    positive,
    renamed,
)
from lpperp.processes import PriceProcess, path_step_budget, progress_bar, root_seed
from lpperp.simulate import (
    ATTRIBUTION,
    Policy,
    Scenario,
    Summary,
    check_scenario,
    run_many,
    run_on_paths,
    simulate,
)

__all__ = [
    "StrategyTable",
    "StressResult",
    "compare_strategies",
    "hedging_strategies",
    "run_sweep",
    "shock_paths",
    "stress_test",
    "summary_row",
]


@dataclass(frozen=True)
class StrategyTable:
    """Several strategies on the same paths: one row per strategy.

    Columns: ``survival`` (with ``survival_low``/``survival_high``, the Wilson interval),
    ``expected_return`` (fraction of capital), ``tail_loss`` (minus the 5 % quantile of the return:
    positive = a loss), ``fees_earned`` and ``costs_paid`` (quote units, means over paths); the
    mean P&L attribution ``pnl_fees, pnl_hold, pnl_il, pnl_perp, pnl_funding, pnl_cash_yield,
    pnl_costs, pnl_hedge_costs, pnl_liquidation`` (quote units, signed as they enter the P&L: they
    sum to ``expected_pnl``), ``expected_pnl``, ``lvr`` (the realised loss-versus-rebalancing,
    informational), ``bad_debt`` (borne by the venue) and ``funding_sensitivity`` (change of the
    expected return per +10 %/yr of funding, first order).
    """

    names: tuple[str, ...]
    summaries: tuple[Summary, ...]
    n_paths: int
    tau_years: float

    COLUMNS = (
        "survival",
        "survival_low",
        "survival_high",
        "expected_return",
        "tail_loss",
        "fees_earned",
        "costs_paid",
        *(f"pnl_{k if k != 'liquidation_loss' else 'liquidation'}" for k, _ in ATTRIBUTION),
        "expected_pnl",
        "lvr",
        "bad_debt",
        "funding_sensitivity",
    )

    def row(self, name: str) -> dict[str, float]:
        """The columns of one strategy (:func:`summary_row` of its summary)."""
        return summary_row(self.summaries[self.names.index(name)])

    def column(self, col: str) -> np.ndarray:
        """One column over the strategies, in order."""
        one_of("col", col, self.COLUMNS)
        return np.array([self.row(n)[col] for n in self.names])

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {n: self.row(n) for n in self.names}

    def __repr__(self) -> str:
        head = (
            f"{'strategy':<34}{'survival':>9}{'E[ret]':>9}{'tail':>9}{'fees':>10}{'IL':>10}"
            f"{'perp':>10}{'funding':>9}{'costs':>9}{'hedge':>8}{'liq':>9}{'dE/10%f':>9}"
        )
        lines = [head]
        for n in self.names:
            r = self.row(n)
            lines.append(
                f"{n[:33]:<34}{r['survival']:>9.4f}{r['expected_return']:>9.4f}"
                f"{r['tail_loss']:>9.4f}{r['pnl_fees']:>10.2f}{r['pnl_il']:>10.2f}"
                f"{r['pnl_perp']:>10.2f}{r['pnl_funding']:>9.2f}{r['pnl_costs']:>9.2f}"
                f"{r['pnl_hedge_costs']:>8.2f}{r['pnl_liquidation']:>9.2f}"
                f"{r['funding_sensitivity']:>9.4f}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header = tuple(c.replace("_", " ") for c in ("strategy", *self.COLUMNS))
        return (
            html_table([(n, tuple(self.row(n).values())) for n in self.names], header)
            + f"<p>{self.n_paths} paths, {self.tau_years * 365:g} days, same paths for every row</p>"
        )


def summary_row(s: Summary) -> dict[str, float]:
    """One run's :class:`~lpperp.simulate.Summary` as a row of :class:`StrategyTable`: the
    columns of ``StrategyTable.COLUMNS``, in that order (survival as a fraction, returns as a
    fraction of capital, money in quote units; ``tail_loss = -tail_return``, a loss positive;
    ``funding_sensitivity`` per +10 %/yr of funding, i.e. ``0.1 x`` the summary's per +1/yr).

    >>> from lpperp.processes import GBM
    >>> from lpperp.simulate import Scenario, simulate
    >>> res = simulate(Scenario(), GBM(0.8), 30 / 365, 30, n_paths=200, seed=1)
    >>> row = summary_row(res.summary())
    >>> tuple(row) == StrategyTable.COLUMNS, row["survival"] == res.summary().survival
    (True, True)
    """
    out = {
        "survival": s.survival,
        "survival_low": s.survival_ci[0],
        "survival_high": s.survival_ci[1],
        "expected_return": s.expected_return,
        "tail_loss": -s.tail_return,
        "fees_earned": s.fees_earned,
        "costs_paid": s.costs_paid,
    }
    for k, _ in ATTRIBUTION:
        out[f"pnl_{k if k != 'liquidation_loss' else 'liquidation'}"] = s.attribution.get(
            k, float("nan")
        )
    out.update(
        expected_pnl=s.expected_pnl,
        lvr=s.lvr,
        bad_debt=s.bad_debt,
        funding_sensitivity=0.1 * s.funding_sensitivity,
    )
    return out


def _as_named(scenarios: Mapping[str, Scenario] | Iterable[Scenario]) -> list[Scenario]:
    if isinstance(scenarios, Mapping):
        out = [replace(check_scenario(s, f"scenarios[{k!r}]"), name=str(k))
               for k, s in scenarios.items()]
    elif isinstance(scenarios, Scenario):
        out = [scenarios]
    elif isinstance(scenarios, (list, tuple)):
        out = [check_scenario(s, f"scenarios[{i}]") for i, s in enumerate(scenarios)]
    else:
        raise LpperpError(
            "scenarios must be a dict of name -> Scenario or a list of Scenarios, got "
            f"{type(scenarios).__name__} {scenarios!r}"[:200]
        )
    if not out:
        raise LpperpError("scenarios must hold at least one Scenario")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise LpperpError(f"scenario names must be distinct, got {names}")
    return out


def hedging_strategies(
    base: Scenario, bands: Sequence[float] = (0.02, 0.1, 0.3), *, hedge_ratio: float = 1.0
) -> dict[str, Scenario]:
    """The standard comparison around an LP: the same deposit as an unhedged LP, as an LP hedged
    with a short perp at each re-hedge band, as an LP plus a separate cash margin for ``base``'s
    perp, as stablecoin collateral for that perp, and simply held (the LVR benchmark).

    ``base`` supplies the deposit, range, chain, fees, funding, perp fee and reaction delay; the
    hedged rows re-hedge to ``-hedge_ratio x`` the LP's delta when it drifts by more than the band
    (a fraction of the delta).

    >>> list(hedging_strategies(Scenario(), bands=(0.05,)))   # doctest: +NORMALIZE_WHITESPACE
    ['LP, unhedged', 'LP hedged · band 5%', 'LP + separate cash, perp', 'stablecoin, perp',
     'hold']
    """
    check_scenario(base, "base")
    if isinstance(bands, (str, bytes)) or not isinstance(bands, Iterable):
        raise LpperpError(f"bands must be a list of fractions >= 0 of the delta, got {bands!r}")
    bands = [float(nonnegative(f"bands[{i}]", b, scalar=True)) for i, b in enumerate(bands)]
    none = replace(base.policy, hedge=False)
    out = {"LP, unhedged": replace(base, kind="lp", leverage=0.0, policy=none)}
    for band in bands:
        pol = replace(base.policy, hedge=True, hedge_band=float(band), hedge_ratio=hedge_ratio)
        out[f"LP hedged · band {100 * float(band):g}%"] = replace(base, kind="lp", policy=pol)
    out["LP + separate cash, perp"] = replace(base, kind="lp_plus_cash", policy=none)
    out["stablecoin, perp"] = replace(base, kind="stable", policy=replace(none, recentre=False))
    out["hold"] = replace(base, kind="hold", leverage=0.0, policy=Policy())
    return out


def compare_strategies(
    scenarios: Mapping[str, Scenario] | Iterable[Scenario],
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int = 10_000,
    seed: int | np.random.Generator | np.random.SeedSequence | None = 0,
    *,
    chunk_paths: int | None = None,
    progress: bool = False,
    max_path_steps: int = MAX_PATH_STEPS,
) -> StrategyTable:
    """Run several strategies on the same price paths (common random numbers) and tabulate them.

    The budget counts every strategy: ``len(scenarios) * n_paths * n_steps`` path-steps at most
    ``max_path_steps`` (refused up front otherwise).

    >>> from lpperp.processes import GBM
    >>> base = Scenario(leverage=2.0)
    >>> t = compare_strategies({"LP collateral": base,
    ...                         "stablecoin collateral": replace(base, kind="stable"),
    ...                         "cross": replace(base, mode="cross", wallet_cash=2000.0)},
    ...                        GBM(0.8), 30 / 365, 30, 2000, seed=1)
    >>> t.names
    ('LP collateral', 'stablecoin collateral', 'cross')
    >>> bool(t.row("stablecoin collateral")["fees_earned"] == 0.0)
    True
    """
    scs = _as_named(scenarios)
    res = run_many(scs, process, tau_years, n_steps, n_paths, seed, chunk_paths, progress,
                    None, max_path_steps, "compare_strategies")
    return StrategyTable(
        tuple(s.name for s in scs),
        tuple(r.summary() for r in res),
        res[0].n_paths,
        float(tau_years),
    )


@renamed(days="n_steps")
def shock_paths(price: float, width_pct: float, n_steps: int = 10) -> dict[str, np.ndarray]:
    """Deterministic daily price paths for stress tests (``n_steps + 1`` prices each, one a day).

    ``-30% in a day``, ``+30% in a day``, ``gap below range`` / ``gap above range`` (one step
    from the price to 10 % beyond the range bound), and ``crash`` (-50 % over 5 days, then back to
    -30 %).

    >>> sorted(shock_paths(3000.0, 20))
    ['+30% in a day', '-30% in a day', 'crash', 'gap above range', 'gap below range']
    """
    p0 = positive("price", price, scalar=True)
    w = positive("width_pct", width_pct, scalar=True) / 100.0
    n = integer("n_steps", n_steps, 6)
    flat = np.ones(n + 1)

    def jump(level: float) -> np.ndarray:
        out = flat * p0
        out[1:] = level
        return out

    crash = np.concatenate((np.geomspace(1.0, 0.5, 6), np.linspace(0.5, 0.7, n - 4)[1:])) * p0
    return {
        "-30% in a day": jump(0.7 * p0),
        "+30% in a day": jump(1.3 * p0),
        "gap below range": jump(p0 * (1 - w) * 0.9),
        "gap above range": jump(p0 * (1 + w) * 1.1),
        "crash": crash,
    }


@dataclass(frozen=True)
class StressResult:
    """Loss (capital - final wealth, quote units; positive = loss) per shock, isolated vs cross."""

    shocks: tuple[str, ...]
    isolated_loss: np.ndarray
    cross_loss: np.ndarray
    isolated_liquidated: np.ndarray
    cross_liquidated: np.ndarray

    def _repr_html_(self) -> str:
        rows = [(f"{n}", (f"{self.isolated_loss[i]:,.2f}", bool(self.isolated_liquidated[i]),
                     f"{self.cross_loss[i]:,.2f}", bool(self.cross_liquidated[i])))
                for i, n in enumerate(self.shocks)]
        return html_table(rows, ("shock", "isolated loss", "liquidated", "cross loss", "liquidated"))

    def __repr__(self) -> str:
        lines = [f"{'shock':<18}{'isolated loss':>15}{'liq':>5}{'cross loss':>13}{'liq':>5}"]
        for i, name in enumerate(self.shocks):
            lines.append(
                f"{name:<18}{self.isolated_loss[i]:>15,.2f}"
                f"{'yes' if self.isolated_liquidated[i] else 'no':>5}"
                f"{self.cross_loss[i]:>13,.2f}"
                f"{'yes' if self.cross_liquidated[i] else 'no':>5}"
            )
        return "\n".join(lines)


def stress_test(
    scenario: Scenario,
    shocks: Mapping[str, Any] | None = None,
    dt_years: float = 1.0 / 365.0,
) -> StressResult:
    """What the account loses on deterministic shocks, under isolated and under cross margin.

    Each shock is a price path starting at the scenario's price (default :func:`shock_paths`); the
    reaction-delay move is switched off (zero noise) so results are exact. Shorter shocks are
    padded with their last price to the longest, so the run is budgeted as ``2 * len(shocks)``
    paths (isolated and cross) of ``longest - 1`` steps (``processes.path_step_budget``, at most
    ``MAX_PATH_STEPS`` path-steps): a larger request is refused up front, naming those counts.

    >>> r = stress_test(Scenario(leverage=3.0, wallet_cash=3000.0))
    >>> bool(r.cross_loss[r.shocks.index("+30% in a day")] >= 0)
    True
    """
    check_scenario(scenario)
    if shocks is not None and not isinstance(shocks, Mapping):
        raise LpperpError(
            "shocks must be a dict of name -> price path (see shock_paths), got "
            f"{type(shocks).__name__} {shocks!r}"[:200]
        )
    sh = shock_paths(scenario.price, scenario.width_pct) if shocks is None else dict(shocks)
    names = tuple(sh)
    if not names:
        raise LpperpError("shocks must name at least one price path, got an empty mapping")
    paths = {}
    for k in names:
        v = np.asarray(positive(f"shocks[{k!r}]", sh[k]), dtype=float)
        if v.ndim != 1 or v.size < 2:
            raise LpperpError(
                f"shocks[{k!r}] must be a 1-d price path of at least 2 prices, got shape {v.shape}"
            )
        paths[k] = v
    dt = positive("dt_years", dt_years, scalar=True)
    n = max(v.size for v in paths.values())
    path_step_budget(2 * len(names), n - 1, what="stress_test (2 modes x shocks)")
    mat = np.empty((n, len(names)))
    for j, k in enumerate(names):  # pad shorter paths with their last price
        v = paths[k]
        mat[:, j] = np.concatenate((v, np.full(n - v.size, v[-1])))
    z = np.zeros((n - 1, len(names)))
    out = {}
    for mode in ("isolated", "cross"):
        r = run_on_paths(replace(scenario, mode=mode), mat, dt, noise=z)
        out[mode] = (-(r.pnl), r.liquidated)
    return StressResult(
        names, out["isolated"][0], out["cross"][0], out["isolated"][1], out["cross"][1]
    )


def _sweep_task(
    sc: Scenario,
    process: Any,
    tau: float,
    ns: int,
    npaths: int,
    root: np.random.SeedSequence,
    max_path_steps: int = MAX_PATH_STEPS,
) -> Summary:
    return simulate(sc, process, tau, ns, npaths, root, max_path_steps=max_path_steps).summary()


def run_sweep(
    base: Scenario,
    grid: Mapping[str, Sequence[Any]],
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int = 10_000,
    seed: int | np.random.SeedSequence = 0,
    *,
    client: Any = None,
    progress: bool = False,
    max_path_steps: int = MAX_PATH_STEPS,
) -> list[tuple[dict[str, Any], Summary]]:
    """Summaries over the cartesian product of ``grid`` (Scenario field -> values), every point on
    the same paths (same seed).

    The budget counts every point: ``n_points * n_paths * n_steps`` path-steps at most
    ``max_path_steps`` (refused up front, before a point runs).

    With ``client`` (a ``dask.distributed.Client``) each point is a task on the cluster (optional
    extra ``lpperp[dask]``); without, they run in process. The numbers are identical either way:
    each task regenerates its paths from the seed. Ctrl-C cancels the cluster's pending tasks.

    >>> from lpperp.processes import GBM
    >>> out = run_sweep(Scenario(), {"width_pct": [10, 30]}, GBM(0.8), 30 / 365, 30, 1000, seed=2)
    >>> [p for p, _ in out]
    [{'width_pct': 10}, {'width_pct': 30}]
    """
    import itertools

    npaths, ns = path_step_budget(n_paths, n_steps, max_path_steps=max_path_steps, what="run_sweep")
    if not isinstance(grid, Mapping):
        raise LpperpError(
            f"grid must map Scenario fields to lists of values, got {type(grid).__name__} {grid!r}"
        )
    n_points = 1
    for k, vals in grid.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__"):
            raise LpperpError(f"grid[{k!r}] must be a list of values, got {vals!r}")
        try:
            n_points *= len(vals)
        except OverflowError:  # range(2**200): more points than any budget
            raise LpperpError(
                f"run_sweep: grid[{k!r}] has more than 2**63 values; the limit is "
                f"{float(integer('max_path_steps', max_path_steps, 1)):.3g} (pass max_path_steps= "
                f"to raise it; path-steps over all points)"
            ) from None
    if n_points == 0:
        raise LpperpError(f"grid must give at least one value per field, got {grid!r}")
    path_step_budget(npaths * n_points, ns, max_path_steps=max_path_steps,
                     what=f"run_sweep ({n_points} points)")
    keys = list(grid)
    valid = {f.name for f in fields(Scenario)}
    bad = [k for k in keys if k not in valid]
    if bad:
        raise LpperpError(f"grid keys must be Scenario fields, got {bad}; fields: {sorted(valid)}")
    if isinstance(seed, np.random.Generator) or seed is None:
        raise LpperpError(
            "run_sweep needs an int seed (or SeedSequence) so every point and every "
            "worker sees the same paths"
        )
    root = root_seed(seed)
    combos = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]
    scs = [replace(base, **c) for c in combos]
    tau = positive("tau_years", tau_years, scalar=True)
    if client is None:
        sums = [
            _sweep_task(sc, process, tau, ns, npaths, root, max_path_steps)
            for sc in progress_bar(scs, len(scs), progress, "sweep")
        ]
        return list(zip(combos, sums, strict=True))
    futures = [
        client.submit(_sweep_task, sc, process, tau, ns, npaths, root, max_path_steps, pure=False)
        for sc in scs
    ]
    try:
        sums = [f.result() for f in progress_bar(futures, len(futures), progress, "sweep")]
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    return list(zip(combos, sums, strict=True))

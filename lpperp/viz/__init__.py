"""Jupyter explorers and plotly figures for lpperp (extra ``notebook``: plotly, ipywidgets, anywidget).

- :mod:`lpperp.viz.scenarios`: frozen scenarios and ``compute_*`` functions (numpy only);
- :mod:`lpperp.viz.figures`: pure plotly builders and in-place updaters;
- :mod:`lpperp.viz.explorers`: ipywidgets wiring, one FigureWidget per explorer;
- :mod:`lpperp.viz.economics` / :mod:`lpperp.viz.montecarlo`: rebalancing economics and Monte Carlo
  risk (scenario, compute, figure and explorer in one module each).

Names are imported lazily, so ``import lpperp.viz`` costs nothing until an explorer is used.

Conventions: prices in quote per base (USDC per ETH), values in quote units, widths in percent.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CrossIsolatedExplorer",
    "HealthExplorer",
    "HealthResult",
    "HealthScenario",
    "LPExplorer",
    "LPResult",
    "LPScenario",
    "LiquidationMapExplorer",
    "RebalancingExplorer",
    "RiskExplorer",
    "compute_health",
    "compute_lp",
    "health_figure",
    "lp_figure",
    "price_grid",
]

_WHERE = {
    "CrossIsolatedExplorer": "explorers",
    "HealthExplorer": "explorers",
    "HealthResult": "scenarios",
    "HealthScenario": "scenarios",
    "compute_health": "scenarios",
    "health_figure": "figures",
    "LPExplorer": "explorers",
    "LiquidationMapExplorer": "explorers",
    "RebalancingExplorer": "economics",
    "RiskExplorer": "montecarlo",
    "LPResult": "scenarios",
    "LPScenario": "scenarios",
    "compute_lp": "scenarios",
    "price_grid": "scenarios",
    "lp_figure": "figures",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"lpperp.viz.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lpperp.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

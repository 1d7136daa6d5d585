"""Jupyter explorers and plotly figures for lpperp (extra ``notebook``: plotly, ipywidgets, anywidget).

- :mod:`lpperp.viz.scenarios`: frozen scenarios and ``compute_*`` functions (numpy only);
- :mod:`lpperp.viz.figures`: pure plotly builders and in-place updaters;
- :mod:`lpperp.viz.explorers`: ipywidgets wiring, one FigureWidget per explorer;
- :mod:`lpperp.viz.economics` / :mod:`lpperp.viz.montecarlo`: rebalancing economics and Monte Carlo
  risk (scenario, compute, figure and explorer in one module each);
- :mod:`lpperp.viz.kit`: the explorers' shared figure widget, theme, controls and formatting;
  :mod:`lpperp.viz.bundle`: the browser module its figures load (plotly.js's cartesian build).

Names are imported lazily, so ``import lpperp.viz`` costs little until an explorer is used.

Start-up: plotly imports nbformat, which imports jsonschema, whose optional IRI format check imports
``rfc3987_syntax`` - building that grammar took 5-9 s of the first explorer's 10 s on the 2-core test
machine (``python -X importtime``). Unless jsonschema is already loaded (or
``LPPERP_IRI_FORMAT=1``), ``import lpperp.viz`` imports jsonschema once with that optional module
hidden (jsonschema then simply has no "iri" format checker in this process) and un-hides it
afterwards, so anyone may still import ``rfc3987_syntax`` themselves.

Conventions: prices in quote per base (USDC per ETH), values in quote units, widths in percent.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def _import_jsonschema_without_iri_grammar() -> None:
    if ("jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules
            or os.environ.get("LPPERP_IRI_FORMAT")):
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  (import -> ImportError)
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        pass
    finally:
        del sys.modules["rfc3987_syntax"]


_import_jsonschema_without_iri_grammar()

__all__ = [
    "CrossIsolatedExplorer",
    "HealthExplorer",
    "HealthResult",
    "HealthScenario",
    "LPExplorer",
    "LPResult",
    "LPScenario",
    "LiquidationMapExplorer",
    "OracleExplorer",
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
    "OracleExplorer": "oracle",
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

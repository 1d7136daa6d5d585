"""Explorers driven from Python, no browser: move a control, read the figure and the readout back.

Each check compares what the explorer shows with the library's own numbers (LPPosition, the margin
accounts, the liquidation boundaries), so a wiring mistake - a stale trace, a readout formatted from the
wrong field, a grid that drops the boundary - fails here before anyone opens JupyterLab.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from lpperp.position import LPPosition
from lpperp.viz import figures
from lpperp.viz.explorers import LPExplorer
from lpperp.viz.scenarios import GRID_POINTS, LPScenario, compute_lp, price_grid


def _trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}"
    return matches[0]


@pytest.fixture(scope="module")
def lp_explorer():
    return LPExplorer(entry_price=3000.0, deposit=10_000.0, width_pct=10.0)


# -- scenarios (numpy only) ------------------------------------------------------------------------
def test_lp_result_matches_the_library():
    s = LPScenario(price=3300.0, entry_price=3000.0, deposit=10_000.0, width_pct=20.0)
    r = compute_lp(s)
    pos = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20.0)
    np.testing.assert_allclose(r.value, pos.value(r.grid), rtol=1e-12)
    np.testing.assert_allclose(r.il, pos.impermanent_loss(r.grid, 3000.0), rtol=1e-12, atol=1e-15)
    assert r.value_now == pytest.approx(pos.value(3300.0), rel=1e-12)
    b, q = pos.amounts(3300.0)
    assert (r.base_now, r.quote_now) == (pytest.approx(b), pytest.approx(q))
    assert r.grid.shape == (GRID_POINTS,)
    assert "LP value" in r._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"price": -3000.0}, "price must be a finite number > 0"),
        ({"price": 3000.0, "width_pct": 100.0}, "width_pct must be in"),
        ({"price": 3000.0, "width_pct": None, "price_lower": 3500.0, "price_upper": 2500.0},
         "never swapped"),
        ({"price": 3000.0, "deposit": 0.0}, "deposit"),
    ],
)
def test_lp_scenario_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LPScenario(**kwargs)


def test_price_grid_covers_points_of_interest():
    g = price_grid(3000.0, include=(500.0, 9000.0))
    assert g[0] <= 500.0 and g[-1] >= 9000.0
    g = price_grid(3000.0, include=(1.0,))  # absurdly far: clipped to 2 % of the entry
    assert g[0] == pytest.approx(60.0)


# -- LP explorer -----------------------------------------------------------------------------------
def test_lp_explorer_price_slider_moves_marker_and_readout(lp_explorer):
    ex = lp_explorer
    ex.controls["price"].value = 3150.0
    pos = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10.0)
    fig = ex.figure
    assert list(_trace(fig, "current price").x) == [3150.0, 3150.0]
    assert _trace(fig, "value now").y[0] == pytest.approx(pos.value(3150.0), rel=1e-12)
    assert _trace(fig, "IL now").y[0] == pytest.approx(100 * pos.impermanent_loss(3150.0, 3000.0))
    b, q = pos.amounts(3150.0)
    assert list(_trace(fig, "composition").y) == [pytest.approx(b * 3150.0), pytest.approx(q)]
    assert f"{float(pos.value(3150.0)):,.2f}" in ex.readout.value
    assert ex.readout_values["value"] == pytest.approx(pos.value(3150.0), rel=1e-12)
    assert ex.status.value == ""


def test_lp_explorer_width_slider_rebuilds_curves(lp_explorer):
    ex = lp_explorer
    ex.controls["width_pct"].value = 25.0
    pos = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=25.0)
    grid = np.asarray(_trace(ex.figure, "LP value").x)
    np.testing.assert_allclose(_trace(ex.figure, "LP value").y, pos.value(grid), rtol=1e-12)
    rng = [x for x in _trace(ex.figure, "range").x if x is not None]
    assert min(rng) == pytest.approx(2250.0) and max(rng) == pytest.approx(3750.0)
    # width mode shows the implied bounds in the (read-only) bound boxes
    assert ex.controls["price_lower"].value == pytest.approx(2250.0)
    assert ex.controls["price_upper"].value == pytest.approx(3750.0)


def test_lp_explorer_bad_input_shows_message_and_keeps_plot(lp_explorer):
    ex = lp_explorer
    ex.controls["price"].value = 3100.0
    before = [np.array(t.y, dtype=object) for t in ex.figure.data]
    readout = ex.readout.value
    ex.controls["entry_price"].value = -3000.0
    assert "entry_price must be a finite number &gt; 0, got -3000.0" in ex.status.value
    after = [np.array(t.y, dtype=object) for t in ex.figure.data]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert ex.readout.value == readout
    ex.controls["entry_price"].value = 3000.0  # fixed: message gone, plot follows again
    assert ex.status.value == ""
    ex.controls["range_mode"].value = "bounds"
    ex.controls["price_lower"].value = 3600.0
    ex.controls["price_upper"].value = 3200.0
    assert "never swapped" in ex.status.value
    ex.controls["price_upper"].value = 4000.0
    assert ex.status.value == ""
    rng = [x for x in _trace(ex.figure, "range").x if x is not None]
    assert (min(rng), max(rng)) == (pytest.approx(3600.0), pytest.approx(4000.0))
    ex.controls["range_mode"].value = "width"


def test_entry_price_recentres_price_slider():
    ex = LPExplorer(entry_price=3000.0)
    ex.controls["entry_price"].value = 2000.0
    s = ex.controls["price"]
    assert (s.min, s.max, s.value) == (600.0, 4000.0, 2000.0)
    assert list(_trace(ex.figure, "current price").x) == [2000.0, 2000.0]


def test_widget_state_is_resynced_after_each_update(lp_explorer):
    """The stale-view fix: the state a reloaded page receives equals the current figure."""
    ex = lp_explorer
    ex.controls["price"].value = 2950.0
    synced = {t["name"]: t for t in ex.figure._widget_data}
    assert list(synced["current price"]["x"]) == [2950.0, 2950.0]
    np.testing.assert_array_equal(synced["LP value"]["y"], _trace(ex.figure, "LP value").y)


def test_static_figure_equals_widget_figure():
    r = compute_lp(LPScenario(price=3200.0))
    static, live = figures.lp_figure(r, widget=False), figures.lp_figure(r)
    assert [t.name for t in static.data] == [t.name for t in live.data] == list(figures.LP_TRACES)
    for a, b in zip(static.data, live.data, strict=True):
        assert np.array_equal(np.asarray(a.y, dtype=object), np.asarray(b.y, dtype=object))

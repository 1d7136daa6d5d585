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

from lpperp.collateral import RangeAwareFactor, StaticFactor
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.perp import PerpPosition
from lpperp.position import LPPosition
from lpperp.venues import get_venue
from lpperp.viz import figures
from lpperp.viz.explorers import HealthExplorer, LPExplorer
from lpperp.viz.scenarios import (
    GRID_POINTS,
    HealthScenario,
    LPScenario,
    compute_health,
    compute_lp,
    price_grid,
)


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


def _decode(v):
    """A value as the widget state serializes it (numpy arrays become binary buffers)."""
    if isinstance(v, dict) and "buffer" in v:
        return np.frombuffer(v["buffer"], dtype=v["dtype"]).reshape(v["shape"])
    return np.asarray(v)


def _state_traces(fig) -> dict:
    """Traces as the kernel would send them to a view that connects now (page reload)."""
    return {t["name"]: t for t in fig.get_state()["_widget_data"]}


def test_widget_state_is_resynced_after_each_update(lp_explorer):
    """The stale-view fix: the state a reloaded page requests equals the current figure."""
    ex = lp_explorer
    ex.controls["price"].value = 2950.0
    ex.controls["width_pct"].value = 12.0
    synced = _state_traces(ex.figure)
    np.testing.assert_array_equal(_decode(synced["current price"]["x"]), [2950.0, 2950.0])
    np.testing.assert_array_equal(_decode(synced["LP value"]["y"]), _trace(ex.figure, "LP value").y)
    ex.controls["width_pct"].value = 10.0


def test_health_widget_state_follows_leverage_and_layout():
    ex = HealthExplorer(leverage=2.0)
    ex.controls["leverage"].value = 8.0
    state = ex.figure.get_state()
    assert list(state["_widget_layout"]["yaxis"]["range"]) == list(ex.figure.layout.yaxis.range)
    synced = _state_traces(ex.figure)
    np.testing.assert_allclose(_decode(synced["liquidation boundary"]["x"]),
                               ex.result.boundaries, rtol=0)


def test_static_figure_equals_widget_figure():
    r = compute_lp(LPScenario(price=3200.0))
    static, live = figures.lp_figure(r, widget=False), figures.lp_figure(r)
    assert [t.name for t in static.data] == [t.name for t in live.data] == list(figures.LP_TRACES)
    for a, b in zip(static.data, live.data, strict=True):
        assert np.array_equal(np.asarray(a.y, dtype=object), np.asarray(b.y, dtype=object))


# -- health explorer -------------------------------------------------------------------------------


def _reference_account(leverage, side="short", width_pct=10.0, cf=0.8, mode="isolated",
                       wallet_cash=5_000.0, rules=None, model=None):
    """The account the explorer should show, built directly from the library.

    leverage = perp notional at entry / LP deposit value at entry (10,000 USDC at 3,000), as in
    lpperp.simulate.Scenario: the collateral factor does not change the perp.
    """
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=width_pct)
    model = model or StaticFactor(cf)
    sign = -1.0 if side == "short" else 1.0
    perp = PerpPosition(sign * leverage * 10_000.0 / 3000.0, 3000.0)
    kw = {} if rules is None else {"rules": rules}
    if mode == "isolated":
        return IsolatedAccount(perp, lp, collateral=model, **kw)
    return CrossAccount((perp,), (lp,), cash=wallet_cash, collateral=model, **kw)


@pytest.fixture(scope="module")
def health():
    return HealthExplorer(entry_price=3000.0, deposit=10_000.0, width_pct=10.0, leverage=3.0,
                          side="short", collateral="static", cf=0.8, venue="default",
                          wallet_cash=5_000.0)


def test_health_price_slider_moves_marker_and_readout(health):
    ex = health
    ex.controls["price"].value = 3200.0
    acct = _reference_account(3.0)
    s = acct.summary(3200.0)
    assert list(_trace(ex.figure, "current price").x) == [3200.0, 3200.0]
    assert _trace(ex.figure, "equity now").y[0] == pytest.approx(acct.equity(3200.0), rel=1e-12)
    assert ex.readout_values["health"] == pytest.approx(s.health, rel=1e-12)
    assert ex.readout_values["distance_pct"] == pytest.approx(s.distance_pct, rel=1e-12)
    assert f"{s.health:,.2f}" in ex.readout.value
    assert f"{s.liquidation_above:,.2f}" in ex.readout.value
    assert f"{s.free_collateral:,.2f}" in ex.readout.value


def test_health_leverage_slider_moves_the_boundary(health):
    ex = health
    ex.controls["price"].value = 3000.0
    for lev in (2.0, 6.0):
        ex.controls["leverage"].value = lev
        acct = _reference_account(lev)
        expected = acct.liquidation(3000.0).boundaries
        marker = _trace(ex.figure, "liquidation boundary")
        np.testing.assert_allclose(marker.x, expected, rtol=1e-12)
        b = float(marker.x[0])
        assert float(acct.equity(b)) == pytest.approx(float(acct.maintenance_requirement(b)),
                                                      rel=1e-9)
        # a short is liquidated above the boundary: the shaded zone starts exactly there
        zone = [x for x in _trace(ex.figure, "liquidation zone").x if x is not None]
        assert min(zone) == pytest.approx(b, rel=1e-12)
        assert max(zone) == pytest.approx(float(ex.result.grid[-1]))
        grid = np.asarray(_trace(ex.figure, "equity").x)
        np.testing.assert_allclose(_trace(ex.figure, "equity").y, acct.equity(grid), rtol=1e-12)
        np.testing.assert_allclose(_trace(ex.figure, "maintenance").y,
                                   acct.maintenance_requirement(grid), rtol=1e-12)
        assert f"{float(acct.liquidation(3000.0).liquidation_price_above):,.2f}" in ex.readout.value
    ex.controls["leverage"].value = 3.0


def test_health_boundary_matches_a_dense_grid_sign_change(health):
    """Closed form vs direct computation: the marker sits where equity - maintenance changes sign."""
    r = health.result
    acct = r.account
    fine = np.linspace(r.grid[0], r.grid[-1], 400_001)
    g = np.asarray(acct.equity(fine)) - np.asarray(acct.maintenance_requirement(fine))
    crossings = fine[np.flatnonzero(np.diff(np.sign(g)) != 0)]
    b = np.asarray(_trace(health.figure, "liquidation boundary").x, dtype=float)
    assert crossings.size == b.size
    np.testing.assert_allclose(crossings, b, atol=2 * (fine[1] - fine[0]))


def test_health_cross_mode_adds_the_wallet(health):
    ex = health
    ex.controls["mode"].value = "cross"
    try:
        assert ex.controls["wallet_cash"].layout.display != "none"  # shown in cross mode
        acct = _reference_account(3.0, mode="cross")
        grid = np.asarray(_trace(ex.figure, "equity").x)
        np.testing.assert_allclose(_trace(ex.figure, "equity").y, acct.equity(grid), rtol=1e-12)
        assert ex.readout_values["liquidation_above"] == pytest.approx(
            float(acct.liquidation(ex.controls["price"].value).liquidation_price_above))
        iso = _reference_account(3.0).liquidation(ex.controls["price"].value)
        assert ex.readout_values["liquidation_above"] > float(iso.liquidation_price_above)
    finally:
        ex.controls["mode"].value = "isolated"


def test_health_long_side_and_models_and_venues(health):
    ex = health
    with ex.hold():
        ex.controls["side"].value = "long"
        ex.controls["collateral"].value = "range-aware"
        ex.controls["shock_pct"].value = 15.0
        ex.controls["venue"].value = "dydx"
    try:
        # only the chosen model's parameter is on screen (hidden, never greyed out)
        assert ex.controls["cf"].layout.display == "none"
        assert ex.controls["shock_pct"].layout.display != "none"
        acct = _reference_account(3.0, side="long", model=RangeAwareFactor(shock_pct=15.0),
                                  rules=get_venue("dydx"))
        p = ex.controls["price"].value
        assert ex.readout_values["liquidation_below"] == pytest.approx(
            float(acct.liquidation(p).liquidation_price_below), rel=1e-12)
        assert np.isnan(ex.readout_values["liquidation_above"])
        assert "none" in ex.readout.value  # no boundary above for this long
    finally:
        with ex.hold():
            ex.controls["side"].value = "short"
            ex.controls["collateral"].value = "static"
            ex.controls["venue"].value = "default"


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("leverage", 0.0, "leverage must be a finite number &gt; 0, got 0.0"),
        ("entry_price", -3000.0, "entry_price must be a finite number &gt; 0, got -3000.0"),
        ("deposit", 0.0, "deposit must be a finite number &gt; 0"),
    ],
)
def test_health_bad_input_shows_message_and_keeps_plot(health, control, value, message):
    ex = health
    good = ex.controls[control].value
    before = [np.asarray(t.y, dtype=object).copy() for t in ex.figure.data]
    readout, result = ex.readout.value, ex.result
    ex.controls[control].value = value
    try:
        assert message in ex.status.value
        after = [np.asarray(t.y, dtype=object) for t in ex.figure.data]
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
        assert ex.readout.value == readout and ex.result is result
    finally:
        ex.controls[control].value = good
    assert ex.status.value == ""


def test_health_reversed_bounds_are_reported(health):
    ex = health
    ex.controls["range_mode"].value = "bounds"
    try:
        ex.controls["price_lower"].value = 3400.0
        assert "price_lower must be &lt; price_upper" in ex.status.value
    finally:
        ex.controls["price_lower"].value = 2700.0
        ex.controls["range_mode"].value = "width"
    assert ex.status.value == ""


def test_health_result_displays_without_widgets():
    r = compute_health(HealthScenario(price=3000.0, leverage=3.0))
    page = r._repr_html_()
    assert "isolated account" in page and "health" in page
    assert f"{r.summary.liquidation_above:,.2f}" in page


# -- cross vs isolated explorer --------------------------------------------------------------------
def test_cross_isolated_explorer_matches_library_accounts():
    from lpperp.viz.explorers import CrossIsolatedExplorer
    from lpperp.viz.scenarios import WalletScenario

    ex = CrossIsolatedExplorer()
    ex.controls["btc_price"].value = 50_000.0
    ex.controls["eth_leverage"].value = 4.0
    w = WalletScenario(price=3000.0, btc_price=50_000.0, eth_leverage=4.0)
    iso_eth, iso_btc = w.isolated_accounts()
    cross = w.cross_account()
    prices = {"ETH": 3000.0, "BTC": 50_000.0}
    # boundaries on the ETH axis: isolated ETH account and the cross account (BTC held fixed)
    np.testing.assert_allclose(_trace(ex.figure, "isolated: boundary").x,
                               iso_eth.liquidation(3000.0).boundaries, rtol=1e-12)
    cross_b = np.asarray(cross.liquidation(prices, market="ETH").boundaries).reshape(-1)
    np.testing.assert_allclose(_trace(ex.figure, "cross: boundary").x, cross_b, rtol=1e-12)
    # the cross buffer curve is the library's equity - maintenance with BTC fixed
    grid = np.asarray(_trace(ex.figure, "cross: one account").x)
    pr = {"ETH": grid, "BTC": 50_000.0}
    np.testing.assert_allclose(_trace(ex.figure, "cross: one account").y,
                               cross.equity(pr) - cross.maintenance_requirement(pr), rtol=1e-12)
    # what each mode can lose: the isolated accounts' own equity vs the whole wallet
    at_risk = list(_trace(ex.figure, "at risk").y)
    assert at_risk == [pytest.approx(iso_eth.equity(3000.0)),
                       pytest.approx(iso_btc.equity(50_000.0)),
                       pytest.approx(cross.equity(prices))]
    assert ex.readout_values["BTC liquidation below|iso_btc"] == pytest.approx(
        float(iso_btc.liquidation(50_000.0).liquidation_price_below))
    assert f"{float(iso_btc.liquidation(50_000.0).liquidation_price_below):,.2f}" in ex.readout.value
    # a lower BTC price pulls the cross account's ETH boundary closer; isolated ETH does not move
    before_cross, before_iso = cross_b[0], float(_trace(ex.figure, "isolated: boundary").x[0])
    ex.controls["btc_price"].value = 45_000.0
    assert float(_trace(ex.figure, "cross: boundary").x[0]) < before_cross
    assert float(_trace(ex.figure, "isolated: boundary").x[0]) == pytest.approx(before_iso)
    # bad input
    ex.controls["eth_width_pct"].value = 95.0
    ex.controls["wallet_cash"].value = -1.0
    assert "wallet_cash must be a finite number &gt;= 0" in ex.status.value
    ex.controls["wallet_cash"].value = 0.0
    assert ex.status.value == ""


# -- liquidation map explorer ----------------------------------------------------------------------
def test_liquidation_map_matches_library_and_moves_with_leverage():
    from lpperp.liquidation import boundary_map, health_map
    from lpperp.viz.explorers import LiquidationMapExplorer

    ex = LiquidationMapExplorer(leverage=4.0, side="long", width_pct=10.0, cf=0.8,
                                venue="default")
    heat = _trace(ex.figure, "health")
    widths, prices = np.asarray(heat.y), np.asarray(heat.x)
    acct = _reference_account(4.0, side="long", width_pct=10.0)
    expected = health_map(acct, prices, "width_pct", widths, price=3000.0)
    np.testing.assert_allclose(heat.z, np.log10(np.clip(expected, 0.1, 100.0)), rtol=1e-12)
    # the boundary lines are the exact boundaries of every width
    bmap = boundary_map(acct, 3000.0, "width_pct", widths)
    line = _trace(ex.figure, "boundary")
    xs = np.array([x for x in line.x if x is not None])
    np.testing.assert_allclose(np.sort(xs), np.sort(bmap.boundaries[np.isfinite(bmap.boundaries)]),
                               rtol=1e-12)
    # on each boundary the health is 1 (white in the colour scale): closed form vs direct
    b = float(_trace(ex.figure, "selected boundary").x[0])
    assert float(acct.health(b)) == pytest.approx(1.0, rel=1e-9)
    assert ex.readout_values["liquidation_below"] == pytest.approx(b, rel=1e-12)
    # leverage moves the map and the boundary; more leverage = closer boundary for a long
    z_before = np.array(heat.z, copy=True)
    ex.controls["leverage"].value = 8.0
    assert not np.array_equal(np.asarray(_trace(ex.figure, "health").z), z_before)
    assert float(_trace(ex.figure, "selected boundary").x[0]) > b
    # bad input keeps the map
    z_now = np.array(_trace(ex.figure, "health").z, copy=True)
    ex.controls["leverage"].value = 0.0
    assert "leverage must be" in ex.status.value
    np.testing.assert_array_equal(np.asarray(_trace(ex.figure, "health").z), z_now)


# -- one meaning of leverage; the collateral factor is live ------------------------------------------
def test_collateral_factor_slider_changes_health_not_the_perp():
    """leverage = perp notional / LP deposit: a lower factor is less collateral for the same perp."""
    ex = HealthExplorer(collateral="static", cf=0.8, leverage=2.0)
    size, health = ex.result.scenario.perp().size, ex.result.summary.health
    ex.controls["cf"].value = 0.5
    assert ex.result.scenario.perp().size == size == pytest.approx(-2.0 * 10_000.0 / 3000.0)
    assert ex.result.summary.health < health
    acct = _reference_account(2.0, width_pct=20.0, cf=0.5, rules=get_venue("hyperliquid"))
    assert ex.result.summary.health == pytest.approx(float(acct.health(3000.0)), rel=1e-12)


def test_liquidatable_readout_keeps_the_crossed_boundary():
    ex = HealthExplorer(leverage=3.0, side="short")
    b = float(ex.result.summary.liquidation_above)
    ex.controls["price"].value = round(b + 150.0)
    assert ex.result.summary.liquidatable
    text = ex.readout.value
    assert f"liquidatable now; boundary {b:,.0f} crossed" in text
    assert "none" not in text and "LIQUIDATABLE" in text
    assert _trace(ex.figure, "health now").y[0] < 1.0  # drawn below the health = 1 line


def test_health_curve_is_equity_over_maintenance(health):
    r = health.result
    h = np.asarray(_trace(health.figure, "health").y)
    np.testing.assert_allclose(h, np.clip(r.equity / r.maintenance, 0.1, 100.0), rtol=1e-12)
    assert list(_trace(health.figure, "health").x) == list(r.grid)


def test_copy_as_code_rebuilds_the_scenario():
    from lpperp.scenario import SEED

    ex = HealthExplorer()
    with ex.hold():
        ex.controls["leverage"].value = 3.5
        ex.controls["price"].value = 3100.0
        ex.controls["cf"].value = 0.6
    ns: dict = {}
    exec(ex.to_code(), ns)
    spec = ns["scenario"]
    assert spec == ex.result.scenario.to_spec() == SEED.replace(leverage=3.5, price=3100.0, cf=0.6)
    assert float(ns["account"].health(3100.0)) == pytest.approx(ex.result.summary.health, rel=1e-12)
    ex._show_code()
    assert "SEED.replace(" in ex.code.value
    again = HealthExplorer.from_spec(spec)
    assert again.result.summary.health == pytest.approx(ex.result.summary.health, rel=1e-12)


def test_reset_and_pin():
    ex = HealthExplorer()
    h0 = ex.result.summary.health
    ex.pin()
    ex.controls["leverage"].value = 5.0
    assert "pinned" in ex.pinned_view.value and f"{h0:,.2f}" in ex.pinned_view.value
    ex.reset()
    assert ex.controls["leverage"].value == 2.0
    assert ex.result.summary.health == pytest.approx(h0)
    ex.unpin()
    assert ex.pinned_view.value == ""


def test_update_messages_carry_no_undefined_holes():
    """plotly's frontend model stores batched updates raw: an Undefined hole became x = undefined
    in any later view (notebook 07's first draw against 0..1999). The kit's FigureWidget fills
    each hole with the trace's current value; a redraw (animate) message names each trace's
    changed properties only, so it has no positional holes at all."""
    from plotly.basedatatypes import Undefined

    ex = HealthExplorer()
    ex.transitions = False  # the Plotly.update path (map and risk explorers use it)
    sent = []
    ex.figure.observe(lambda ch: sent.append(ch["new"]) if ch["new"] else None,
                      names="_py2js_update")
    ex.controls["price"].value = 3100.0  # composition y changes, its x does not
    ex.controls["range_mode"].value = "bounds"
    ex.controls["price_lower"].value = 2650.0
    assert sent
    for msg in sent:
        for prop, values in msg["style_data"].items():
            assert not any(v is Undefined for v in values), (prop, values)
    first = sent[0]
    pos = list(first["style_traces"]).index(figures.HEALTH_TRACES.index("composition"))
    assert next(iter(first["style_data"]["x"][pos])).startswith("base")


def test_redraw_messages_name_only_what_changed():
    """The default path (batch_redraw): one animate message per move, zero duration, no full
    redraw, carrying only the traces and properties that changed - a price move does not resend
    the 2,000-point curves - and never an Undefined."""
    from plotly.basedatatypes import Undefined

    ex = HealthExplorer()
    sent = []
    ex.figure.observe(lambda ch: sent.append(ch["new"]) if ch["new"] else None,
                      names="_py2js_animate")
    ex.controls["price"].value = 3100.0
    assert len(sent) == 1
    msg = sent[0]
    assert msg["animation_opts"]["frame"]["redraw"] is False
    assert msg["animation_opts"]["transition"]["duration"] == 0
    names = [figures.HEALTH_TRACES[i] for i in msg["style_traces"]]
    assert "equity" not in names and "current price" in names and "composition" in names
    for style in msg["style_data"]:
        assert not any(v is Undefined for v in style.values())
    ex.controls["leverage"].value = 4.0  # the curves move, and the margin plot's y range
    assert "equity" in [figures.HEALTH_TRACES[i] for i in sent[-1]["style_traces"]]
    assert "yaxis.range" in sent[-1]["layout_data"] or "yaxis" in sent[-1]["layout_data"]


def test_every_axis_of_a_redrawn_figure_has_a_range_covering_its_data():
    """A transition does not autorange: each numeric axis carries an explicit range that covers
    its traces after every move (the margin and health axes are set by the figure itself)."""
    ex = HealthExplorer()
    for lev in (0.5, 6.0, 2.0):
        ex.controls["leverage"].value = lev
        ex.controls["width_pct"].value = 40.0 if lev > 1 else 5.0
        lay = ex.figure.layout
        for t in ex.figure.data:
            if t.type != "scatter" or t.x is None or not len(t.x):
                continue
            xa = lay["xaxis" + (t.xaxis or "x")[1:]]
            x = np.asarray([v for v in t.x if v is not None], dtype=float)
            assert xa.range[0] <= x.min() and x.max() <= xa.range[1], t.name
            ya = lay["yaxis" + (t.yaxis or "y")[1:]]
            if ya.type == "log" or t.name in ("equity", "maintenance", "liquidation zone",
                                               "current price", "liquidation boundary",
                                               "equity now"):
                continue  # the margin plot cuts deep negative equity on purpose
            y = np.asarray([v for v in t.y if v is not None], dtype=float)
            assert ya.range[0] <= y.min() and y.max() <= ya.range[1], t.name


def test_figures_fill_the_cell_and_follow_the_theme(health):
    lay = health.figure.layout
    assert lay.autosize and lay.width is None
    assert lay.template.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert health.figure._config.get("responsive") is True
    assert "var(--jp-ui-font-color1" in health.widget.children[0].value


def test_start_page_layout_puts_price_and_leverage_first():
    import ipywidgets as widgets

    ex = HealthExplorer(compact=True)
    rows = [c for c in ex.widget.children if "lpperp-controls" in c._dom_classes]
    shown = [w.description for row in rows for cell in row.children for w in cell.children]
    assert shown == ["price", "leverage"]
    more = [c for c in ex.widget.children if isinstance(c, widgets.Accordion)]
    assert len(more) == 1 and more[0].selected_index is None


def test_log_slider_reaches_round_values():
    from lpperp.viz import kit

    s = kit.log_slider("gas", 20.0, 0.001, 1000.0)
    assert s.value == 20.0 and 52.0 in kit.nice_values(1, 1000, include=(52.0,))


def test_cross_isolated_readout_never_calls_a_liquidatable_account_safe():
    from lpperp.viz.explorers import CrossIsolatedExplorer

    ex = CrossIsolatedExplorer()
    ex.controls["btc_price"].value = 40_000.0
    assert ex.result.iso_btc.liquidatable
    import re

    cells = re.findall(r"<td[^>]*data-key='BTC liquidation below'>([^<]*)</td>", ex.readout.value)
    assert cells[1] == "liquidatable now", cells  # the isolated BTC account's column
    assert "LIQUIDATABLE" in ex.readout.value
    risk = re.findall(r"<td[^>]*data-key='at risk \(max loss\)'>([^<]*)</td>", ex.readout.value)
    assert "liquidatable now" in risk[1], risk


def test_wallet_vocabulary_old_keywords_warn_for_one_release():
    """spare_cash -> wallet_cash, eth_price -> price (CONTRIBUTING.md's glossary); the old keywords
    and attributes still work, with a DeprecationWarning naming the new one."""
    from lpperp.viz.explorers import CrossIsolatedExplorer
    from lpperp.viz.scenarios import WalletScenario

    new = WalletScenario(price=3100.0, btc_price=55_000.0, wallet_cash=700.0)
    with pytest.warns(DeprecationWarning) as caught:
        old = WalletScenario(eth_price=3100.0, btc_price=55_000.0, spare_cash=700.0)
    assert old == new
    said = sorted(str(w.message).split(" is renamed ")[0] for w in caught)
    assert said == ["__init__(eth_price=...)", "__init__(spare_cash=...)"], said
    with pytest.warns(DeprecationWarning, match="wallet_cash"):
        assert new.spare_cash == 700.0
    with pytest.warns(DeprecationWarning, match="price"):
        assert new.eth_price == 3100.0
    with pytest.raises(ValueError, match="not both"):
        WalletScenario(price=1.0, eth_price=1.0, btc_price=1.0)
    with pytest.warns(DeprecationWarning):
        ex = CrossIsolatedExplorer(eth_price=3100.0, spare_cash=700.0)
    assert ex.result.scenario == WalletScenario(price=3100.0, btc_price=60_000.0,
                                                wallet_cash=700.0)
    assert "price=3100.0" in ex.to_code() and "wallet_cash=700.0" in ex.to_code()


def test_wallet_price_moves_reuse_the_scenario_and_equal_the_library():
    """compute_wallet caches what the ETH price does not change (accounts, boundaries, curves);
    after moves back and forth every number still equals the library called directly."""
    from lpperp.viz.scenarios import WalletScenario, compute_wallet

    for price in (3000.0, 3001.0, 2500.0, 3001.0, 5200.0):
        s = WalletScenario(price=price, btc_price=45_000.0, eth_leverage=6.0, btc_leverage=4.0,
                           wallet_cash=500.0)
        r = compute_wallet(s)
        iso_e, iso_b = s.isolated_accounts()
        cross = s.cross_account()
        assert repr(r.iso_eth) == repr(iso_e.summary(price))  # repr: NaN == NaN
        assert repr(r.iso_btc) == repr(iso_b.summary(45_000.0))
        prices = {"ETH": price, "BTC": 45_000.0}
        assert repr(r.cross_eth) == repr(cross.summary(prices, market="ETH"))
        assert repr(r.cross_btc) == repr(cross.summary(prices, market="BTC"))
        np.testing.assert_array_equal(
            r.buffer_iso_eth, iso_e.equity(r.grid) - iso_e.maintenance_requirement(r.grid))
        pr = {"ETH": r.grid, "BTC": 45_000.0}
        np.testing.assert_array_equal(
            r.buffer_cross, cross.equity(pr) - cross.maintenance_requirement(pr))
        np.testing.assert_array_equal(r.boundaries_cross,
                                      np.asarray(cross.liquidation(prices, market="ETH")
                                                 .boundaries, dtype=float).reshape(-1))



def test_a_leverage_step_sends_the_map_as_binary_rows_and_keeps_the_state_whole():
    """Notebook 04: a leverage step sends only the traces that changed - the map's z, the
    boundary lines, the selected boundary (not the entry and selected-width lines) - z as one float64
    row per width - each a binary buffer, the same numbers - while the kernel's figure (the
    state a reloaded page receives) keeps the whole 2-D array."""
    from plotly.serializers import custom_serializers

    from lpperp.viz.explorers import LiquidationMapExplorer

    ex = LiquidationMapExplorer(leverage=4.0)
    sent = []
    ex.figure.observe(lambda ch: sent.append(ch["new"]) if ch["new"] else None,
                      names="_py2js_update")
    ex.controls["leverage"].value = 4.5
    assert len(sent) == 1
    msg = sent[0]
    z_pos = list(msg["style_traces"]).index(0)
    rows = msg["style_data"]["z"][z_pos]
    want = np.log10(np.clip(ex.result.health, 0.1, 100.0))  # the map's colour: log10 health
    assert len(rows) == want.shape[0]
    assert all(isinstance(r, np.ndarray) and r.ndim == 1 and r.dtype == np.float64 for r in rows)
    np.testing.assert_array_equal(np.vstack(rows), want)
    wire = custom_serializers["to_json"](rows, None)
    assert all(isinstance(w, dict) and isinstance(w["buffer"], memoryview) for w in wire)
    assert 4 not in msg["style_traces"] and 2 not in msg["style_traces"]
    z_state = ex.figure._widget_data[0]["z"]
    assert np.asarray(z_state).shape == want.shape
    np.testing.assert_array_equal(np.asarray(z_state), want)


def test_the_figure_widget_opens_with_its_whole_figure(monkeypatch):
    """The comm opens once the figure is complete: the open message carries every trace, the
    layout and the config (responsive). Opened empty, the figure followed as updates that could
    reach a browser before the model listened, which then drew a plot without traces."""
    import ipywidgets.widgets.widget as widget_module

    opened = []
    real = widget_module.comm.create_comm

    def create_comm(**kwargs):
        opened.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(widget_module.comm, "create_comm", create_comm)
    ex = LPExplorer()
    figure_opens = [o for o in opened if "_widget_data" in o["data"]["state"]]
    assert len(figure_opens) == 1
    state = figure_opens[0]["data"]["state"]
    assert len(state["_widget_data"]) == len(figures.LP_TRACES) == len(ex.figure.data)
    assert state["_widget_layout"]["height"] == ex.figure.layout.height
    assert state["_config"]["responsive"] is True

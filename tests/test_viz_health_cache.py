"""compute_health reuses the account and the curves along the grid when only the price moves
(lpperp.viz.scenarios._health_curves, as compute_wallet does): the cached result must equal the
library's own numbers at every price, and a move that changes the grid or the account must not
get a stale curve."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("plotly")

from lpperp.viz.scenarios import HealthScenario, compute_health


def _direct(s: HealthScenario, grid: np.ndarray) -> dict[str, np.ndarray]:
    acct, lp = s.account(), s.lp()
    return {"equity": np.asarray(acct.equity(grid)),
            "maintenance": np.asarray(acct.maintenance_requirement(grid)),
            "lp_value": np.asarray(lp.value(grid)),
            "collateral_value": np.asarray(acct.collateral_value(grid)),
            "il": np.asarray(lp.impermanent_loss(grid, s.entry_price))}


@pytest.mark.parametrize("kw", [
    {"leverage": 2.0}, {"leverage": 5.0, "side": "long"},
    {"mode": "cross", "wallet_cash": 2000.0, "leverage": 6.0},
    {"collateral": "range-aware", "width_pct": 5.0},
    {"width_pct": None, "price_lower": 2500.0, "price_upper": 3600.0},
])
def test_price_moves_reuse_the_curves_and_equal_the_library(kw):
    first = None
    for price in (3000.0, 3002.0, 3004.0, 2100.0, 5000.0):
        s = HealthScenario(price=price, **kw)
        r = compute_health(s)
        for name, want in _direct(s, r.grid).items():
            np.testing.assert_array_equal(getattr(r, name), want, err_msg=f"{name} at {price}")
        # zones: liquidatable exactly where equity < maintenance (checked at the grid points
        # strictly inside a zone or strictly outside all of them)
        gap = r.equity - r.maintenance
        inside = np.zeros(r.grid.shape, dtype=bool)
        for a, b in r.zones:
            inside |= (r.grid > a) & (r.grid < b)
        edges = np.concatenate([[a, b] for a, b in r.zones]) if r.zones else np.empty(0)
        away = np.all(np.abs(r.grid[:, None] - edges[None, :]) > 1e-6 * r.grid[:, None], axis=1)
        assert np.all(gap[inside & away] < 0) and np.all(gap[~inside & away] >= 0)
        if first is None:
            first = r
        elif np.array_equal(r.grid, first.grid):
            assert r.equity is first.equity  # the same cached array: nothing recomputed
    assert not first.equity.flags.writeable  # shared between results: read-only


def test_another_account_gets_its_own_curves():
    a = compute_health(HealthScenario(price=3000.0, leverage=2.0))
    for kw in ({"leverage": 3.0}, {"entry_price": 3100.0}, {"cf": 0.5}, {"venue": "gmx"}):
        s = HealthScenario(price=3000.0, **{"leverage": 2.0, **kw})
        r = compute_health(s)
        assert r.equity is not a.equity
        for name, want in _direct(s, r.grid).items():
            np.testing.assert_array_equal(getattr(r, name), want, err_msg=f"{name} with {kw}")


def test_an_explicit_grid_is_evaluated_as_given():
    g = np.array([1000.0, 2999.5, 3000.0, 4100.0, 9000.0])  # not a linspace: computed directly
    s = HealthScenario(price=3000.0, leverage=4.0)
    r = compute_health(s, grid=g)
    np.testing.assert_array_equal(r.grid, g)
    for name, want in _direct(s, g).items():
        np.testing.assert_array_equal(getattr(r, name), want)

"""The array API's shapes and argument checks that the map and solver tests do not reach.

References: the same map asked with flat inputs (a grid of prices is a list of columns, whatever
its shape), the account's own ``health`` and ``boundary_problem`` (which names a market the
account does not hold).
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.liquidation import health_map
from lpperp.margin import IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)


def test_health_map_prices_of_any_shape_are_its_columns():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    grid = np.array([[2000.0, 2500.0], [3000.0, 5000.0]])
    h = health_map(acct, grid, "cash", [-2000.0, 0.0], price=P0)
    assert h.shape == (2, 4)
    np.testing.assert_allclose(h, health_map(acct, grid.ravel(), "cash", [-2000.0, 0.0], price=P0),
                               rtol=0)
    np.testing.assert_allclose(h[0], acct.health(grid.ravel()), rtol=1e-12)


def test_health_map_checks_the_market_it_moves():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    same = health_map(acct, [2500.0, 3000.0], "cash", [0.0], market="ETH", price=P0)
    np.testing.assert_allclose(same, health_map(acct, [2500.0, 3000.0], "cash", [0.0], price=P0))
    with pytest.raises(LpperpError, match=r"market must be 'ETH'.*'SOL'"):
        health_map(acct, [2500.0, 3000.0], "cash", [0.0], market="SOL", price=P0)


def test_an_empty_batch_of_accounts_has_empty_results():
    from lpperp.liquidation import solve_boundaries

    res = solve_boundaries(np.array([]), 1.0, P0, 100.0, rules=FLAT)
    assert res.boundaries.shape == (0, 0)
    assert res.safe_lower.shape == res.safe_upper.shape == res.liquidatable_now.shape == (0,)
    grid = solve_boundaries(np.full((0, 3), P0), [1.0, -1.0, 2.0], P0, 100.0, rules=FLAT)
    assert grid.boundaries.shape == (0, 3, 0) and grid.safe_upper.shape == (0, 3)

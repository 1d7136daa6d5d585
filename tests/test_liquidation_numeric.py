"""The numeric fallback (dense log grid + brentq) for margin gaps without a closed form.

References are margin gaps whose boundaries are known exactly: a triple root (Brent needs ~110
iterations there), plateaus (``g`` identically 0 on one side of a price that is no grid point:
the boundary is that price to the last bit, not the next grid point), and narrow unsafe bands
around the documented grid points ``P0 * 10**(j / 2000)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._boundary_kernels import numeric_boundaries
from lpperp.boundary import BoundaryProblem, solve_problem

P0 = 3000.0


def test_a_flat_crossing_is_found():
    # g = ((P - x) / x)^3: g and g' vanish at x; scipy's default of 100 brentq iterations is not
    # enough to reach 1e-14 there
    for x in (3001.0, 0.7 * P0, 12.5 * P0):
        got, _ = numeric_boundaries(lambda p, x=x: ((np.asarray(p) - x) / x) ** 3, P0, [])
        np.testing.assert_allclose(got, [x], rtol=1e-12)


@pytest.mark.parametrize("x", [3001.0, 2999.0 / 7.0, 5e6 / 3.0])
def test_a_plateau_edge_between_grid_points_is_the_boundary(x):
    # unsafe below x, g identically 0 from x up: the first safe price is x itself
    got, g0 = numeric_boundaries(lambda p: np.minimum(np.asarray(p) - x, 0.0), P0, [])
    assert got.tolist() == [x]
    assert g0 == min(P0 - x, 0.0)
    # safe (g = 0) up to x, unsafe above: the last safe price is x
    got, _ = numeric_boundaries(lambda p: np.minimum(x - np.asarray(p), 0.0), P0, [])
    assert got.tolist() == [x]
    # a safe band [x, 1.01 x] of g = 0 inside an unsafe line: both ends exactly
    hi = x * 1.01

    def band(p):
        p = np.asarray(p)
        return np.where((p >= x) & (p <= hi), 0.0, -1.0)

    got, _ = numeric_boundaries(band, P0, [])
    assert got.tolist() == [x, hi]


@pytest.mark.parametrize("j", [-11999, -7, 1, 3, 4321, 11999])
def test_a_narrow_band_around_a_grid_point_is_resolved(j):
    # the documented grid holds P0 * 10**(j / 2000) (to a few ulps): an unsafe band +-1e-10
    # (relative) around one is found, both of its edges
    x = P0 * 10.0 ** (j / 2000)
    lo, hi = x * (1 - 1e-10), x * (1 + 1e-10)

    def g(p):
        p = np.asarray(p)
        return (p - lo) * (p - hi) / x**2

    got, _ = numeric_boundaries(g, P0, [])
    np.testing.assert_allclose(got, [lo, hi], rtol=1e-13)


def test_a_margin_gap_problem_with_a_plateau_through_solve_problem():
    # the numeric path of the public solver: liquidatable below 2500, g = 0 above (an account
    # whose collateral exactly covers its debt above 2500)
    prob = BoundaryProblem(
        price=[2400.0, 2500.0, 2600.0], price_lower=[[2000.0]], price_upper=[[4000.0]],
        liquidity=[[0.0]], shock=[[1.0]], base_factor=[[1.0]], quote_factor=[[1.0]],
        perp_sizes=np.zeros((1, 0)), perp_entry_prices=np.zeros((1, 0)), constant_quote=0.0,
        tier_floors=[0.0], tier_rates=[0.05], tier_deductions=[0.0],
        margin_gap=lambda p: np.minimum(np.asarray(p) - 2500.0, 0.0),
    )
    res = solve_problem(prob)
    np.testing.assert_array_equal(res.boundaries, [[2500.0]] * 3)
    assert res.liquidatable_now.tolist() == [True, False, False]
    np.testing.assert_array_equal(res.safe_lower, [np.nan, 2500.0, 2500.0])
    np.testing.assert_array_equal(res.safe_upper, [np.nan, np.inf, np.inf])

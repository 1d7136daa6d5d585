"""The plateau edge of an account with a nearly flat range top is reported to 1e-13 (issue 14).

Closed form (tests/test_liquidation_plateau.py, ``expected_boundary``): an LP with cash
``-wq L (sqrt(pb) - sqrt(pa))`` and no perp has ``g = 0`` above its range; with ``r = wq / wb >= 1``
``g < 0`` in the whole range, so the one boundary is the range's top ``pb / k``. With ``r`` just
above 1 (here 1.0005) ``g`` is nearly tangent there: the in-range quadratic has a second root just
past the top, whose extension across the edge must not be taken for the boundary. The account is
one drawn at random (seed 1 of a plateau family of 3,000 accounts) where a root window twice as
wide (``p <= 2 hi``), or none at all, reported the boundary 1.8e-12 off.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._boundary_kernels import general_kernel
from lpperp.perp import MarginRules

RULES = MarginRules("t", 0.1, 0.05)
ACC = (1276.9757251483875, 1948.6084849278704, 710.0905062864495, 0.7823845832391731,
       0.5055230816990011, 0.505762427658853)  # pa, pb, L, k, wb, wq


@pytest.mark.parametrize("P0", [1245.300921485684, 5000.0])
def test_plateau_edge_next_to_a_near_tangency(P0):
    pa, pb, L, k, wb, wq = (np.array([[x]]) for x in ACC)
    assert (wq / wb)[0, 0] >= 1.0  # the closed form's case: boundary at pb / k
    cash = (-wq * L * (np.sqrt(pb) - np.sqrt(pa)))[:, 0]
    f, r, d = RULES.maintenance_pieces()
    bnd, g0 = general_kernel(np.array([P0]), pa, pb, L, k, wb, wq, np.zeros((1, 1)), cash,
                             f, r, d)
    got = bnd[0][np.isfinite(bnd[0])]
    assert got.size == 1
    assert got[0] == pytest.approx((pb / k)[0, 0], rel=1e-13, abs=0)
    assert (g0[0] < 0) == (P0 < got[0])

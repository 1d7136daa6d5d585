"""A tangency is not a boundary and must not displace one (issue 14).

An LP with equal base and quote weights (``wq = wb``) and cash ``-wq L (sqrt(pb) - sqrt(pa))``
has ``g = 0`` above its range (a plateau) and, in range (``u = sqrt(kP)``), ``g = -(L wb /
sqrt(pb)) (u - sqrt(pb))^2 <= 0``: a double root exactly at the range's top ``pb / k``, where g
touches 0 without crossing (tests/test_liquidation_plateau.py, ``expected_boundary``, r = 1).
The one boundary is the plateau's edge ``pb / k``, which the general kernel takes as a candidate
itself. A double root of the in-range quadratic (discriminant exactly 0 once rounded) is not a
crossing and is not a candidate; kept, it lies within 1e-11 of the edge, takes the edge's place
and is reported a few ulp off. The accounts below are ones (drawn at random, seed 1) where the
rounded discriminant is exactly 0 and the reported boundary is the edge to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._boundary_kernels import general_kernel
from lpperp.perp import MarginRules

RULES = MarginRules("t", 0.1, 0.05)
ACCOUNTS = [  # pa, pb, L, k, wb = wq
    (486.5649572846843, 765.4773125229206, 618.9655752544534, 0.7031120390722525,
     0.8688684083344296),
    (1927.1486679611949, 6133.508355248215, 4018.371903713542, 0.9134385190137078,
     0.29332899166079074),
    (1477.1008874697138, 2255.962971276027, 2212.142596405749, 0.9548092620961747,
     0.5420369447810021),
    (405.23881667274105, 884.5305935222468, 1279.709830241048, 0.8644241878250092,
     0.9609460014361126),
]


@pytest.mark.parametrize("acc", ACCOUNTS)
def test_the_plateau_edge_is_reported_exactly_next_to_a_tangency(acc):
    pa, pb, L, k, w = (np.array([[x]]) for x in acc)
    cash = (-w * L * (np.sqrt(pb) - np.sqrt(pa)))[:, 0]
    f, r, d = RULES.maintenance_pieces()
    edge = (pb / k)[0, 0]
    for P0 in (edge * 2.0, edge * 0.9):
        bnd, g0 = general_kernel(np.array([P0]), pa, pb, L, k, w, w, np.zeros((1, 1)), cash,
                                 f, r, d)
        got = bnd[0][np.isfinite(bnd[0])]
        assert got.tolist() == [edge]
        assert (g0[0] < 0) == (P0 < edge)

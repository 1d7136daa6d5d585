"""A tangency is not a boundary and must not displace one (issue 14).

An LP with equal base and quote weights (``wq = wb``) and cash ``-wq L (sqrt(pb) - sqrt(pa))``
has ``g = 0`` above its range (a plateau) and, in range (``u = sqrt(kP)``), ``g = -(L wb /
sqrt(pb)) (u - sqrt(pb))^2 <= 0``: a double root exactly at the range's top ``pb / k``, where g
touches 0 without crossing (tests/test_liquidation_plateau.py, ``expected_boundary``, r = 1).
The one boundary is the plateau's edge ``pb / k``, which the general kernel takes as a candidate
itself. A double root of the in-range quadratic (discriminant exactly 0 once rounded) is not a
crossing and is not a candidate: kept, it lies within 1e-11 of the edge, in the same run of
candidates, and where ``|g|`` is smaller there than at the edge it is reported instead, a few
ulp off. The accounts below are all 7 of a family of 3,000 (``pa ~ U(300, 3000)``, ``pb = pa
U(1.2, 4)``, ``L ~ U(100, 5000)``, ``k ~ U(0.6, 1)``, ``w ~ U(0.1, 1)``, numpy seed 1, drawn in
that order) where that happens: with the double root kept, the edge is not reported exactly
from either side.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._boundary_kernels import general_kernel
from lpperp.perp import MarginRules

RULES = MarginRules("t", 0.1, 0.05)
ACCOUNTS = [  # pa, pb, L, k, wb = wq
    (1315.8439538558546, 4770.137116586184, 1549.8152201784128, 0.99563263586102,
     0.17127372128061424),
    (1801.1488028723395, 6074.276884265504, 1271.922094259563, 0.7363151968240371,
     0.35011588508852154),
    (590.8037583449942, 1687.7071609846153, 761.5264425416968, 0.6522941779637537,
     0.11345139407667988),
    (1533.3176348490842, 5761.5573032974835, 2676.6260289106217, 0.7341168405275099,
     0.6764679632292788),
    (1700.0068371847267, 3650.3577919716918, 3091.607958337011, 0.6839064989321664,
     0.7093360617122325),
    (381.9665045322712, 1274.1602422015333, 1503.2158654278464, 0.9589798043482947,
     0.528039525653352),
    (518.0159156604803, 1616.8978466771823, 3181.5204070414497, 0.8441374341814403,
     0.1878657782175729),
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

"""The fast and the general kernel solve the same in-range quadratic the same way (issue 14).

For one LP and one perp, both kernels write ``g`` in range as ``a s^2 + b s + c`` (``s =
sqrt(P)``), scale it by ``max(|a|, |b|, |c|)`` and take the stable roots ``q / a`` and ``c / q``
with ``q = -(b + sqrt(b^2 - 4 a c)) / 2`` (``b >= 0``). Where the two kernels build bit-identical
coefficients, their boundaries must then agree to the last bit: the caller
(:func:`lpperp.boundary.solve_problem`) mixes their answers (accounts the fast kernel flags are
solved again by the general one), so a different formula in one of them would make the answer
depend on which accounts share a batch. Such coefficients: an LP whose value is not counted as
collateral (``wb = wq = 0``: its terms are exact zeros, ``b = 0``) next to a perp, so that
``g = a P + c`` with ``a = q - |q| rate`` and ``c = const``; the root ``-c / a`` is placed inside
the LP's range. Reference: the linear root ``-c / a`` itself (both kernels within 4 ulp of it).
"""

from __future__ import annotations

import numpy as np

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import general_kernel
from lpperp.perp import MarginRules

RULES = MarginRules("flat", 0.1, 0.05)


def test_worthless_lp_and_a_perp_same_boundary_to_the_last_bit():
    rng = np.random.default_rng(31)
    n = 60
    q = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 20.0, n)
    root = rng.uniform(1500.0, 2500.0, n)
    a = q - np.abs(q) * 0.05
    const = -a * root
    pa, pb = np.full(n, 1000.0), np.full(n, 4000.0)
    L, k, w = np.full(n, 500.0), np.full(n, 1.0), np.zeros(n)
    P0 = np.full(n, 3000.0)
    f, r, d = RULES.maintenance_pieces()
    bf, _, _, _, flagged = fast_kernel(P0, pa, pb, L, k, w, w, q, const, f, r, d)
    col = lambda x: x[:, None]  # noqa: E731
    bg, _ = general_kernel(P0, col(pa), col(pb), col(L), col(k), col(w), col(w), col(q), const,
                           f, r, d)
    assert not flagged.any()
    fin_f = [b[np.isfinite(b)] for b in bf]
    fin_g = [b[np.isfinite(b)] for b in bg]
    exact = -const / a
    for i in range(n):
        assert fin_f[i].size == fin_g[i].size == 1, i
        assert abs(fin_g[i][0] - exact[i]) <= 4 * np.spacing(exact[i]), i
        assert fin_f[i][0] == fin_g[i][0], i  # the same formula on the same coefficients

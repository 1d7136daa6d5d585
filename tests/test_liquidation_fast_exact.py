"""The fast kernel on dyadic accounts, where every step is exact (issue 14).

References, written from the definitions and not from the kernels:

- in range, with ``s = sqrt(P)``, ``g = a s^2 + b s + c`` with ``a = -wb L k / sqrt(pb) + q -
  |q| rate``, ``b = (wb + wq) L sqrt(k)``, ``c = -wq L sqrt(pa) + const`` (Uniswap v3 whitepaper
  eqs. 6.29-6.30, https://uniswap.org/whitepaper-v3.pdf). Accounts are built so that ``g =
  a (s - s1) (s - s2)`` with small integer or dyadic roots and the largest of ``|a|, b, |c|`` a
  power of two: the kernel scales the equation by that largest coefficient (exact), and the
  stable formulas then produce the roots exactly (a perfect-square discriminant), so the
  boundaries must equal ``s1^2`` and ``s2^2`` to the last bit;
- ``g`` at the current price under a two-tier schedule: ``g_ref`` of
  tests/test_liquidation_flags.py (maintenance as the integral of the marginal tier rate).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_liquidation_flags import g_ref

from lpperp._boundary_fast import fast_kernel
from lpperp.perp import MarginRules

QUARTER = MarginRules("quarter", 0.5, 0.25)


def one(v):
    return np.array([v], dtype=float)


def fast(P0, pa, pb, L, const, wb=1.0, wq=0.0, q=0.0, k=1.0, rules=QUARTER):
    f, r, d = rules.maintenance_pieces()
    return fast_kernel(one(P0), one(pa), one(pb), one(L), one(k), one(wb), one(wq), one(q),
                       one(const), f, r, d)


@pytest.mark.parametrize(
    ("pa", "pb", "L", "const", "roots"),
    [
        # a = -L / sqrt(pb) = -64, b = L = 640, c = const = -1024 (the largest: |c|):
        # g = -64 (s - 2) (s - 8), boundaries 4 and 64
        (1.0, 100.0, 640.0, -1024.0, (4.0, 64.0)),
        # a = -L / 4 = -256, b = L = 1024 (the largest: b), c = -348:
        # g = -256 (s - 3/8) (s - 29/8), boundaries 9/64 and 841/64
        (1.0 / 16.0, 16.0, 1024.0, -348.0, (9.0 / 64.0, 841.0 / 64.0)),
    ],
    ids=["c-largest", "b-largest"],
)
def test_in_range_roots_of_a_dyadic_account_are_exact(pa, pb, L, const, roots):
    # no perp, base only (wb = 1, wq = 0): below the range g = L (1/sqrt(pa) - 1/sqrt(pb)) P +
    # const has its root above pa (not a boundary), above it g = const < 0
    s1, s2 = np.sqrt(roots)
    a, b = -L / np.sqrt(pb), L
    np.testing.assert_array_equal([a * s1 * s2, -a * (s1 + s2)], [const, b])  # the closed form
    for P0 in (roots[0] / 2, np.sqrt(roots[0] * roots[1]), roots[1] * 2):
        bnd, g0, lower, upper, flagged = fast(P0, pa, pb, L, const)
        got = bnd[0][np.isfinite(bnd[0])]
        assert got.tolist() == list(roots)
        assert not flagged[0]
        inside = roots[0] < P0 < roots[1]
        assert (g0[0] >= 0) == inside
        if inside:
            assert (lower[0], upper[0]) == roots


@pytest.mark.parametrize("notional", [1024.0, 3072.0, 8192.0])
def test_current_margin_under_two_tiers(notional):
    # two tiers (floors 0 and 2048, rates 1/4 and 1/2): the one-tier shortcut must not be taken
    rules = MarginRules("two", 1.0, 0.25, tier_floors=(0.0, 2048.0), tier_maintenance=(0.25, 0.5))
    acc = {"pa": one(1.0), "pb": one(4.0), "L": one(1024.0), "k": one(1.0), "wb": one(0.5),
           "wq": one(0.5), "q": one(-notional / 8.0), "e": one(8.0), "cash": one(4096.0)}
    f, r, d = rules.maintenance_pieces()
    out = fast_kernel(one(8.0), acc["pa"], acc["pb"], acc["L"], acc["k"], acc["wb"], acc["wq"],
                      acc["q"], acc["cash"] - acc["q"] * acc["e"], f, r, d)
    np.testing.assert_allclose(out[1], g_ref(8.0, acc, rules), rtol=1e-15, atol=0)

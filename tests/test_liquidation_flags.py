"""Which accounts the fast kernel hands to the general kernel (``flagged``), and why.

The fast kernel's answer is final for an account unless it is flagged: a root at the current
price, a root on a piece edge (found from both pieces), an exact double root, or a plateau (g
identically 0 on a piece). A flag is never wrong in value (the general kernel solves the account
again), but every needless flag costs the general kernel's time, so the flags are checked both
ways: generic accounts (no root within 1e-6 of an edge or the price, checked with an independent
``g``) are never flagged, and accounts built to sit on each condition always are.
"""

from __future__ import annotations

import numpy as np
import pytest
from liquidation_refs import accounts

from lpperp._boundary_fast import fast_kernel
from lpperp.perp import MarginRules

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)


def g_ref(P, a, rules):
    """equity - maintenance (Uniswap v3 whitepaper 6.29-6.30 amounts; maintenance as the integral
    of the marginal tier rate, continuous at the floors)."""
    x = a["k"] * P
    s = np.sqrt(np.clip(x, a["pa"], a["pb"]))
    coll = (a["wb"] * a["L"] * (1 / s - 1 / np.sqrt(a["pb"])) * x
            + a["wq"] * a["L"] * (s - np.sqrt(a["pa"])))
    floors = np.asarray(rules.tier_floors, dtype=float)
    rates = np.asarray(rules.tier_maintenance or (rules.maintenance_fraction,), dtype=float)
    n = (np.abs(a["q"]) * P)[..., None]
    mm = np.sum(rates * np.clip(n - floors, 0.0, np.append(floors[1:], np.inf) - floors), -1)
    return coll + a["cash"] + a["q"] * (P - a["e"]) - mm


def run(a, rules, price=P0):
    f, r, d = rules.maintenance_pieces()
    n = a["pa"].size
    P = np.broadcast_to(np.asarray(price, dtype=float), (n,)).copy()
    return fast_kernel(P, a["pa"], a["pb"], a["L"], a["k"], a["wb"], a["wq"], a["q"],
                       a["cash"] - a["q"] * a["e"], f, r, d)


def edges(a, rules):
    """Every piece edge of each account: range edges pa/k, pb/k and the tier edges floor/|q|."""
    floors = np.asarray(rules.tier_floors[1:], dtype=float)
    with np.errstate(divide="ignore"):
        t = floors[None, :] / np.abs(a["q"])[:, None]
    return np.concatenate([(a["pa"] / a["k"])[:, None], (a["pb"] / a["k"])[:, None], t], 1)


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
def test_generic_accounts_are_not_flagged(rules):
    a = accounts(21, 400)
    bnd, g0, lower, upper, flagged = run(a, rules)
    # generic: every root is a simple root away from the edges and the price
    e = edges(a, rules)
    for i in range(400):
        b = bnd[i][np.isfinite(bnd[i])]
        assert np.all(np.abs(b / P0 - 1) > 1e-6)
        assert np.all(np.abs(b[:, None] / e[i][None, :] - 1) > 1e-6)
        assert np.all(np.diff(b) > 1e-6 * b[1:])
    assert np.isfinite(bnd).sum() > 300
    assert not flagged.any()
    ok = g0 >= 0
    assert np.all(lower[ok] < P0) and np.all(upper[ok] > P0)
    assert np.isnan(lower[~ok]).all() and np.isnan(upper[~ok]).all()
    np.testing.assert_allclose(g0, g_ref(P0, a, rules), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
def test_accounts_on_an_edge_or_at_the_price_are_flagged(rules):
    a = accounts(22, 200)
    e = edges(a, rules)
    # a root at the current price: cash moved so that g(P0) = 0 (up to one rounding)
    at = dict(a, cash=a["cash"] - g_ref(P0, a, rules))
    *_, flagged = run(at, rules)
    assert flagged.all()
    # a root on the range's lower edge pa/k (seen from a price far from it)
    for j in (0, 1):
        on = dict(a, cash=a["cash"] - g_ref(e[:, j], a, rules))
        far = np.where(e[:, j] > P0, e[:, j] / 3.0, e[:, j] * 3.0)
        *_, flagged = run(on, rules, far)
        has = np.abs(g_ref(e[:, j] * (1 + 1e-7), on, rules)) > 0  # not a plateau account
        assert flagged[has].all()


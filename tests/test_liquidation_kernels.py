"""Properties of the boundary kernels that no scan at ordinary magnitudes can see.

Homogeneity: ``g = equity - maintenance`` is linear in (liquidity, cash, perp size, tier floors)
together, so scaling all of them by ``lam`` leaves every boundary where it is. With ``lam`` a
power of two every product scales exactly, and both kernels scale each piece's coefficients to
O(1) before solving (``b^2 - 4 a c`` would overflow at ``lam = 2**560`` ~ 1e168 and underflow at
``2**-560``): the boundaries must equal the unscaled ones (which tests/test_liquidation_reference.py
checks against a dense scan).
"""

from __future__ import annotations

import numpy as np
import pytest
from liquidation_refs import accounts, scan_roots

from lpperp.boundary import BoundaryProblem, solve_problem
from lpperp.liquidation import solve_boundaries
from lpperp.perp import MarginRules

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)


def scaled(rules, lam):
    return MarginRules(rules.name, rules.initial_fraction, rules.maintenance_fraction,
                       tuple(f * lam for f in rules.tier_floors), rules.tier_maintenance,
                       rules.tier_initial)


def fast(acc, rules, lam, price=P0):
    """``rules`` as given; liquidity, perp size and cash times ``lam``."""
    return solve_boundaries(price, acc["q"] * lam, acc["e"], acc["cash"] * lam,
                            price_lower=acc["pa"], price_upper=acc["pb"], liquidity=acc["L"] * lam,
                            rules=rules, shock=acc["k"], base_factor=acc["wb"],
                            quote_factor=acc["wq"])


def general(acc, rules, lam, price=P0):
    """The same accounts with a second, empty LP: solved by the general kernel."""
    f, r, d = rules.maintenance_pieces()
    n = acc["pa"].size
    two = lambda v, w: np.stack([np.broadcast_to(v, (n,)), np.broadcast_to(w, (n,))], 1)  # noqa: E731
    return solve_problem(BoundaryProblem(
        price=np.full(n, price), price_lower=two(acc["pa"], 1.0), price_upper=two(acc["pb"], 2.0),
        liquidity=two(acc["L"] * lam, 0.0), shock=two(acc["k"], 1.0),
        base_factor=two(acc["wb"], 1.0), quote_factor=two(acc["wq"], 1.0),
        perp_sizes=(acc["q"] * lam)[:, None], perp_entry_prices=acc["e"][:, None],
        constant_quote=acc["cash"] * lam, tier_floors=f, tier_rates=r, tier_deductions=d))


def _same(a, b):
    np.testing.assert_allclose(a.boundaries, b.boundaries, rtol=1e-12)
    np.testing.assert_allclose(a.safe_lower, b.safe_lower, rtol=1e-12)
    np.testing.assert_allclose(a.safe_upper, b.safe_upper, rtol=1e-12)
    np.testing.assert_array_equal(a.liquidatable_now, b.liquidatable_now)


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
@pytest.mark.parametrize("lam", [2.0**560, 2.0**-560], ids=["huge", "tiny"])
def test_boundaries_do_not_move_when_every_amount_is_scaled(rules, lam):
    acc = accounts(11, 60)
    ref = fast(acc, rules, 1.0)
    assert np.isfinite(ref.boundaries).sum() >= 40  # most accounts have a boundary
    _same(fast(acc, scaled(rules, lam), lam), ref)
    _same(general(acc, rules, 1.0), ref)
    _same(general(acc, scaled(rules, lam), lam), ref)


def price_scaled(acc, mu):
    """Every price times ``mu`` and the liquidity times ``sqrt(mu)``: g scales by ``mu``
    (base amounts unchanged, quote amounts times ``mu``), so do cash and the tier floors, and every
    boundary moves to ``mu`` times itself."""
    out = dict(acc)
    for key in ("pa", "pb", "e"):
        out[key] = acc[key] * mu
    out["L"] = acc["L"] * np.sqrt(mu)
    out["cash"] = acc["cash"] * mu
    return out


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
@pytest.mark.parametrize("mu", [4.0**-7, 4.0**7], ids=["cents", "millions"])
def test_boundaries_follow_the_price_unit(rules, mu):
    # prices around 0.18 (every segment of the solver inside (0, 1)) and around 5e7; mu a power
    # of 4, so every product (and sqrt(mu)) is exact
    acc = accounts(12, 60)
    for price in (P0, 800.0, 20_000.0):
        ref = fast(acc, rules, 1.0, price)
        sc = price_scaled(acc, mu)
        rs = scaled(rules, mu)
        for got in (fast(sc, rs, 1.0, price * mu), general(sc, rs, 1.0, price * mu)):
            np.testing.assert_allclose(got.boundaries, ref.boundaries * mu, rtol=1e-12)
            np.testing.assert_allclose(got.safe_lower, ref.safe_lower * mu, rtol=1e-12)
            np.testing.assert_allclose(got.safe_upper, ref.safe_upper * mu, rtol=1e-12)
            np.testing.assert_array_equal(got.liquidatable_now, ref.liquidatable_now)


def g_ref(P, a, rules):
    """equity - maintenance from the definitions (Uniswap v3 whitepaper 6.29-6.30 amounts; the
    tiered maintenance as the integral of the marginal rate, continuous at the floors)."""
    x = a["k"] * P
    s = np.sqrt(np.clip(x, a["pa"], a["pb"]))
    coll = (a["wb"] * a["L"] * (1 / s - 1 / np.sqrt(a["pb"])) * x
            + a["wq"] * a["L"] * (s - np.sqrt(a["pa"])))
    floors = np.asarray(rules.tier_floors, dtype=float)
    rates = np.asarray(rules.tier_maintenance or (rules.maintenance_fraction,), dtype=float)
    n = (np.abs(a["q"]) * P)[..., None]
    mm = np.sum(rates * np.clip(n - floors, 0.0, np.append(floors[1:], np.inf) - floors), -1)
    return coll + a["cash"] + a["q"] * (P - a["e"]) - mm


@pytest.mark.parametrize("offset", [5e-12, -5e-12, 3e-10, 5e-13, -5e-13])
@pytest.mark.parametrize("edge", ["pa", "pb"])
def test_a_boundary_a_hair_from_a_range_edge_is_the_root_not_the_edge(offset, edge):
    # cash moved so that g = 0 at edge / k * (1 + offset): the boundary is that price (a root
    # of a piece, closer to the edge than the kernels' 1e-11 duplicate tolerance), not the edge
    acc = accounts(13, 40)
    x = acc[edge] / acc["k"] * (1 + offset)
    acc["cash"] = acc["cash"] - g_ref(x, acc, TIERED)
    # a simple crossing at x (the sign differs 1e-7 either side), not an LP-free plateau
    lo, hi = g_ref(x * (1 - 1e-7), acc, TIERED), g_ref(x * (1 + 1e-7), acc, TIERED)
    simple = np.sign(lo) * np.sign(hi) < 0
    assert simple.sum() >= 20
    for res in (fast(acc, TIERED, 1.0), general(acc, TIERED, 1.0)):
        b = res.boundaries[simple]
        near = np.nanmin(np.abs(b / x[simple, None] - 1), axis=1)
        assert np.all(near <= 1e-13), near.max()


@pytest.mark.parametrize("tilt", [1e-9, -1e-9, 3.0, 40.0])
def test_in_range_pieces_nearly_linear_or_dominated_by_the_perp(tilt):
    # a long perp whose slope q (1 - rate) equals the LP's in-range P coefficient w_b L k / sqrt(pb)
    # times (1 + tilt): tilt 1e-9 leaves g nearly linear in sqrt(P) (the stable quadratic formula
    # matters: the textbook one loses ~6 digits), tilt 3 and 40 make the P term dominate
    rng = np.random.default_rng(14)
    n = 30
    pa = rng.uniform(1000.0, 2500.0, n)
    acc = {"pa": pa, "pb": pa * rng.uniform(1.5, 3.0, n), "L": rng.uniform(500.0, 3000.0, n),
           "k": np.ones(n), "wb": rng.uniform(0.5, 1.0, n), "wq": rng.uniform(0.5, 1.0, n),
           "e": rng.uniform(1500.0, 2500.0, n)}
    acc["q"] = acc["wb"] * acc["L"] / np.sqrt(acc["pb"]) / (1 - 0.05) * (1 + tilt)
    mid = np.sqrt(acc["pa"] * acc["pb"])
    acc["cash"] = np.zeros(n)
    acc["cash"] = -g_ref(mid, acc, FLAT)  # a root in the middle of the range
    for res in (fast(acc, FLAT, 1.0, mid * 1.7), general(acc, FLAT, 1.0, mid * 1.7)):
        for i in range(n):
            a = {key: v[i] for key, v in acc.items()}
            ref = scan_roots(lambda p, a=a: g_ref(p, a, FLAT), a["pa"] / 10, a["pb"] * 10)
            got = res.boundaries[i][np.isfinite(res.boundaries[i])]
            assert got.size == ref.size, (i, got, ref)
            np.testing.assert_allclose(got, ref, rtol=1e-10, err_msg=str(i))


def test_an_in_range_piece_exactly_linear_in_sqrt_price():
    # LP [1, 4], L = 8, weights 1; long 8 at 2, maintenance 1/2: the perp's slope 8 (1 - 1/2) = 4
    # cancels the LP's in-range P coefficient L / sqrt(pb) = 4 exactly, so in range
    # g = 16 s - 8 + (-16) = 16 s - 24 (s = sqrt(P)): the boundary is s = 1.5, P = 2.25
    # (below the range g = 8 P - 16 < 0, above it g = 4 P - 8 > 0)
    half = MarginRules("half", 0.75, 0.5)
    acc = {"pa": np.array([1.0]), "pb": np.array([4.0]), "L": np.array([8.0]), "k": np.ones(1),
           "wb": np.ones(1), "wq": np.ones(1), "q": np.array([8.0]), "e": np.array([2.0]),
           "cash": np.zeros(1)}
    P = np.array([0.5, 1.0, 2.25, 3.0, 4.0, 9.0])
    np.testing.assert_allclose(g_ref(P, acc, half), [-12.0, -8.0, 0.0, 16 * np.sqrt(3) - 24, 8.0,
                                                     28.0], atol=1e-12)
    for price in (3.0, 1.5):
        for res in (fast(acc, half, 1.0, price), general(acc, half, 1.0, price)):
            np.testing.assert_allclose(res.boundaries[0][np.isfinite(res.boundaries[0])], [2.25],
                                       rtol=1e-15)
            assert bool(res.liquidatable_now[0]) is (price < 2.25)
    # the same account with prices / 16 (sqrt(P) below 1: the linear coefficient is the largest)
    sc, mu = price_scaled(acc, 1 / 16), 1 / 16
    for res in (fast(sc, half, 1.0, 3.0 * mu), general(sc, half, 1.0, 3.0 * mu)):
        np.testing.assert_allclose(res.boundaries[0][np.isfinite(res.boundaries[0])], [2.25 * mu],
                                   rtol=1e-15)

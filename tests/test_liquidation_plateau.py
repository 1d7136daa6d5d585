"""Accounts whose margin function ``g = equity - maintenance`` is identically 0 on a whole piece.

Such a piece (a *plateau*) has no root, yet the safety (``g >= 0``) changes at its edge: before
the fix both kernels reported no boundary at all for the account of the report of 2026-11-30
(``solve_boundaries(4, 0, 2, -1000, price_lower=1, price_upper=4, liquidity=1000)``: safe on
``(0, inf)`` while it is liquidatable below 4).

References, written from the definitions and not from the kernels:

- closed forms. An LP on ``[pa, pb]`` holds ``y = L (sqrt(pb) - sqrt(pa))`` quote above its range
  and ``x = L (1/sqrt(pa) - 1/sqrt(pb))`` base below it (Uniswap v3 whitepaper, eqs. 6.29-6.30,
  https://uniswap.org/whitepaper-v3.pdf). With cash ``-y`` and no perp, ``g = 0`` above ``pb``
  and, in range (``s = sqrt(P)``), ``g = L (2 s - s^2 / sqrt(pb) - sqrt(pa)) - y =
  -L (s - sqrt(pb))^2 / sqrt(pb) < 0``: liquidatable below ``pb``, safe from ``pb`` up;
- a dense log scan of an independently written ``g`` with every sign change bisected. Inputs are
  perfect squares, integers and dyadic weights, so the plateau is exactly 0 in floating point
  too; next to a double root ``g`` is ``O((P - pb)^2)`` and rounds to 0 within ~1e-8 of ``pb``, so
  the scan agrees with the closed form to 1e-7 only (the closed form is checked to 1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest
from liquidation_refs import scan_roots

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import general_kernel
from lpperp.boundary import BoundaryProblem, solve_problem
from lpperp.liquidation import solve_boundaries
from lpperp.perp import MarginRules

RULES = MarginRules("t", 0.1, 0.05)
QUARTER = MarginRules("quarter", 0.5, 0.25)  # maintenance 25 %: dyadic, exact products


def g_ref(P, pa, pb, L, cash, q=0.0, e=1.0, wb=1.0, wq=1.0, k=1.0, mmf=0.05):
    """equity - maintenance of one LP (whitepaper 6.29-6.30), one perp and cash, at prices P."""
    x = k * np.asarray(P, dtype=float)
    s = np.sqrt(np.clip(x, pa, pb))
    base = L * (1.0 / s - 1.0 / np.sqrt(pb))
    quote = L * (s - np.sqrt(pa))
    return wb * base * x + wq * quote + cash + q * (P - e) - mmf * abs(q) * P


def _two_lp_problem(price, pa, pb, L, cash, q=0.0, e=1.0, wb=1.0, wq=1.0, k=1.0, rules=RULES):
    """The same account with a second, empty LP: the general kernel's path (several LPs)."""
    f, r, d = rules.maintenance_pieces()
    n = np.size(price)
    col = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (n,))  # noqa: E731
    two = lambda v, w: np.stack([col(v), col(w)], axis=1)  # noqa: E731
    return BoundaryProblem(
        price=col(price), price_lower=two(pa, pa), price_upper=two(pb, pb),
        liquidity=two(L, 0.0), shock=two(k, k), base_factor=two(wb, wb),
        quote_factor=two(wq, wq), perp_sizes=col(q)[:, None], perp_entry_prices=col(e)[:, None],
        constant_quote=col(cash), tier_floors=f, tier_rates=r, tier_deductions=d,
    )


# ------------------------------------------------------------------------------------------------
# the reported account: plateau above the range, double root at its upper edge
# ------------------------------------------------------------------------------------------------
def test_reported_account_is_liquidatable_below_its_range_top():
    # closed form: g = 500 P - 1000 below 1 (500 base), -1000 (s - 2)^2 / 2 in range, 0 above
    P = np.array([0.5, 1.0, 2.0, 3.0, 3.99, 4.0, 5.0, 100.0])
    g = g_ref(P, 1.0, 4.0, 1000.0, -1000.0)
    s = np.sqrt(np.clip(P, 1, 4))
    np.testing.assert_allclose(g, np.where(P < 1, 500 * P - 1000, -500.0 * (s - 2) ** 2),
                               rtol=1e-12, atol=1e-9)
    ref = scan_roots(lambda p: g_ref(p, 1.0, 4.0, 1000.0, -1000.0))
    assert ref.size == 1 and ref[0] == pytest.approx(4.0, rel=1e-7)
    for price, lo, hi, liq in [(4.0, 4.0, np.inf, False), (5.0, 4.0, np.inf, False),
                               (3.0, np.nan, np.nan, True)]:
        res = solve_boundaries(price, 0.0, 2.0, -1000.0, price_lower=1, price_upper=4,
                               liquidity=1000, rules=RULES)
        np.testing.assert_allclose(res.boundaries, [4.0], rtol=1e-12)
        np.testing.assert_equal([float(res.safe_lower), float(res.safe_upper)], [lo, hi])
        assert bool(res.liquidatable_now) is liq
        gen = solve_problem(_two_lp_problem(price, 1.0, 4.0, 1000.0, -1000.0))
        np.testing.assert_allclose(gen.boundaries, [[4.0]], rtol=1e-12)
        np.testing.assert_equal([gen.safe_lower[0], gen.safe_upper[0]], [lo, hi])
        assert bool(gen.liquidatable_now[0]) is liq
    # seen from the boundary the safe side is above it (not a point, not below)
    res = solve_boundaries(4.0, 0.0, 2.0, -1000.0, price_lower=1, price_upper=4, liquidity=1000,
                           rules=RULES)
    assert res.safe_intervals() == [(4.0, np.inf)]
    assert res.liquidation_price_below == 4.0 and np.isnan(res.liquidation_price_above)


def test_fast_kernel_sends_a_plateau_account_to_the_general_kernel():
    f, r, d = RULES.maintenance_pieces()
    one = lambda v: np.array([v], dtype=float)  # noqa: E731
    args = (one(5.0), one(1.0), one(4.0), one(1000.0), one(1.0), one(1.0), one(1.0), one(0.0),
            one(-1000.0), f, r, d)
    *_, flagged = fast_kernel(*args)
    assert flagged.tolist() == [True]
    # the general kernel on its own (one LP, one perp) finds the edge
    lp = lambda v: np.array([[v]], dtype=float)  # noqa: E731
    bnd, g0 = general_kernel(one(5.0), lp(1.0), lp(4.0), lp(1000.0), lp(1.0), lp(1.0), lp(1.0),
                             lp(0.0), one(-1000.0), f, r, d)
    np.testing.assert_allclose(bnd, [[4.0]], rtol=1e-12)
    assert g0.tolist() == [0.0]


# ------------------------------------------------------------------------------------------------
# exact plateaus drawn at random: perfect-square ranges, integer liquidity, dyadic weights
# ------------------------------------------------------------------------------------------------
def _plateau_accounts(seed, n=40):
    rng = np.random.default_rng(seed)
    ra = rng.integers(1, 30, n).astype(float)
    rb = ra + rng.integers(1, 30, n)
    L = rng.integers(1, 5000, n).astype(float)
    wq = rng.choice([0.25, 0.5, 0.75, 1.0], n)
    wb = rng.choice([0.25, 0.5, 0.75, 1.0], n)
    k = rng.choice([1.0, 0.25], n)  # sqrt(0.25) = 0.5: exact
    cash = -wq * L * (rb - ra)  # the quote above the range, exactly
    return ra * ra, rb * rb, L, wb, wq, k, cash


def expected_boundary(pa, pb, k, wb, wq):
    """The one boundary of the plateau accounts (closed form; liquidatable below, safe above).

    With ``u = sqrt(kP)`` in range, ``g = L ((wb + wq) u - wb u^2 / sqrt(pb) - wq sqrt(pb))
    = -(L wb / sqrt(pb)) (u - sqrt(pb)) (u - r sqrt(pb))``, ``r = wq / wb``; ``g = 0`` above
    the range; below it ``g = wb L (1/sqrt(pa) - 1/sqrt(pb)) kP - wq L (sqrt(pb) - sqrt(pa))``.
    ``r >= 1``: g < 0 in the whole range, the boundary is the plateau's edge ``pb / k``;
    ``sqrt(pa) < r sqrt(pb) < sqrt(pb)``: the in-range root ``(r sqrt(pb))^2 / k`` (g > 0 between
    it and the plateau: the edge is not a boundary); else the root below the range,
    ``r sqrt(pa pb) / k``.
    """
    r, sa, sb = wq / wb, np.sqrt(pa), np.sqrt(pb)
    return np.where(r >= 1, pb, np.where(r * sb > sa, (r * sb) ** 2, r * sa * sb)) / k


@pytest.mark.parametrize("seed", [3, 4])
def test_plateau_above_the_range_fast_general_and_dense_scan_agree(seed):
    pa, pb, L, wb, wq, k, cash = _plateau_accounts(seed)
    exp = expected_boundary(pa, pb, k, wb, wq)
    assert (wq >= wb).sum() >= 10 and (wq < wb).sum() >= 10  # both kinds drawn
    for price in (pb / k * 2.0, pb / k, exp, exp * 0.5):
        res = solve_boundaries(price, 0.0, 1.0, cash, price_lower=pa, price_upper=pb, liquidity=L,
                               rules=RULES, shock=k, base_factor=wb, quote_factor=wq)
        gen = solve_problem(_two_lp_problem(price, pa, pb, L, cash, wb=wb, wq=wq, k=k))
        np.testing.assert_allclose(res.boundaries, gen.boundaries, rtol=1e-12)
        np.testing.assert_allclose(res.safe_lower, gen.safe_lower, rtol=1e-12)
        np.testing.assert_array_equal(res.safe_upper, gen.safe_upper)
        np.testing.assert_array_equal(res.liquidatable_now, gen.liquidatable_now)
        for i in range(pa.size):
            def g(p, i=i):
                return g_ref(p, pa[i], pb[i], L[i], cash[i], wb=wb[i], wq=wq[i], k=k[i])

            ref = scan_roots(g, lo=pa[i] / k[i] / 50, hi=pb[i] / k[i] * 50)
            got = res.boundaries[i][np.isfinite(res.boundaries[i])]
            assert got.size == ref.size == 1, (i, got, ref)
            assert got[0] == pytest.approx(exp[i], rel=1e-12), i
            # next to a double root (wq = wb) g rounds to 0 within ~1e-8 of the edge
            assert ref[0] == pytest.approx(exp[i], rel=1e-7), i
            assert bool(res.liquidatable_now[i]) == bool(g(np.array([price[i]]))[0] < 0), i
            if not res.liquidatable_now[i]:
                assert res.safe_lower[i] == pytest.approx(exp[i], rel=1e-12), i
                assert res.safe_upper[i] == np.inf, i
            else:
                assert np.isnan(res.safe_lower[i]) and np.isnan(res.safe_upper[i]), i


# ------------------------------------------------------------------------------------------------
# plateau below the range: a short perp hedging the LP's base exactly
# ------------------------------------------------------------------------------------------------
def test_plateau_below_the_range_safe_side_is_below_the_edge():
    # LP [1, 4], L = 1000, wb = 1, wq = 1/2: 500 base below 1, slope 500 quote per unit price;
    # short 400 at 2 with maintenance 25 %: 500 - 400 - 0.25 * 400 = 0 and cash -800 cancels the
    # entry notional: g = 0 on (0, 1]. In range g = -500 (2 s - 1)(s - 1) < 0 above 1; above the
    # range g = 500 - 500 P < 0.
    kw = dict(price_lower=1.0, price_upper=4.0, liquidity=1000.0, rules=QUARTER, quote_factor=0.5)
    P = np.array([0.25, 0.5, 1.0, 1.5, 2.25, 4.0, 9.0])
    g = g_ref(P, 1.0, 4.0, 1000.0, -800.0, q=-400.0, e=2.0, wq=0.5, mmf=0.25)
    s = np.sqrt(np.clip(P, 1, 4))
    np.testing.assert_allclose(g, np.where(P <= 1, 0.0, np.where(P <= 4, -500 * (2 * s - 1) * (s - 1),
                                                                 500 - 500 * P)), atol=1e-9)
    # (no dense scan here: at a price that is not dyadic the plateau's terms, 500 P - 400 P - 100 P,
    # round to a few ulps of either sign; at dyadic prices they are exact)
    dyadic = 2.0 ** -np.arange(1, 12)
    assert (g_ref(dyadic, 1.0, 4.0, 1000.0, -800.0, q=-400.0, e=2.0, wq=0.5, mmf=0.25) == 0).all()
    for price, lo, hi, liq in [(0.5, 0.0, 1.0, False), (1.0, 0.0, 1.0, False),
                               (2.0, np.nan, np.nan, True)]:
        res = solve_boundaries(price, -400.0, 2.0, -800.0, **kw)
        np.testing.assert_allclose(res.boundaries, [1.0], rtol=1e-12)
        np.testing.assert_allclose([float(res.safe_lower), float(res.safe_upper)], [lo, hi],
                                   rtol=1e-12)
        assert bool(res.liquidatable_now) is liq
        gen = solve_problem(_two_lp_problem(price, 1.0, 4.0, 1000.0, -800.0, q=-400.0, e=2.0,
                                            wq=0.5, rules=QUARTER))
        np.testing.assert_allclose(gen.boundaries, [[1.0]], rtol=1e-12)
        np.testing.assert_allclose([gen.safe_lower[0], gen.safe_upper[0]], [lo, hi], rtol=1e-12)
        assert bool(gen.liquidatable_now[0]) is liq


def test_an_empty_account_is_safe_everywhere_without_boundaries():
    # g = 0 at every price: safe (g >= 0) on (0, inf), nothing to cross
    res = solve_boundaries([1.0, 3000.0], 0.0, 1.0, 0.0, rules=RULES)
    assert res.boundaries.shape == (2, 0)
    np.testing.assert_array_equal(res.safe_lower, [0.0, 0.0])
    np.testing.assert_array_equal(res.safe_upper, [np.inf, np.inf])
    assert not res.liquidatable_now.any()
    gen = solve_problem(_two_lp_problem(np.array([1.0, 3000.0]), 1.0, 2.0, 0.0, 0.0))
    assert np.isfinite(gen.boundaries).sum() == 0
    np.testing.assert_array_equal(gen.safe_upper, [np.inf, np.inf])


def test_a_touch_of_zero_on_a_range_edge_is_no_boundary():
    # LP [1, 4], L = 1000, wb = 1/2, wq = 1; short 100 at 2, maintenance 25 %, cash -700.
    # In range g = -375 (s - 2)^2 (a double root on the upper edge), above it g = -125 (P - 4),
    # below it g = 125 P - 500: g < 0 at every price but 4, where it touches 0. The candidates
    # at 4 (the edge, the double root, the linear piece's root) are one point; no boundary.
    kw = dict(price_lower=1.0, price_upper=4.0, liquidity=1000.0, rules=QUARTER, base_factor=0.5)
    P = np.array([0.5, 1.0, 2.25, 3.0625, 4.0, 4.5, 16.0])
    g = g_ref(P, 1.0, 4.0, 1000.0, -700.0, q=-100.0, e=2.0, wb=0.5, mmf=0.25)
    s = np.sqrt(np.clip(P, 1, 4))
    np.testing.assert_allclose(g, np.where(P < 1, 125 * P - 500, np.where(
        P <= 4, -375 * (s - 2) ** 2, -125 * (P - 4))), atol=1e-9)
    assert g[4] == 0.0 and (np.delete(g, 4) < 0).all()
    for price in (0.5, 3.0, 5.0):
        res = solve_boundaries(price, -100.0, 2.0, -700.0, **kw)
        assert res.boundaries.size == 0 and bool(res.liquidatable_now)
        gen = solve_problem(_two_lp_problem(price, 1.0, 4.0, 1000.0, -700.0, q=-100.0, e=2.0,
                                            wb=0.5, rules=QUARTER))
        assert np.isfinite(gen.boundaries).sum() == 0 and bool(gen.liquidatable_now[0])

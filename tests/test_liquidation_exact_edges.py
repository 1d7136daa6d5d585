"""Exact equality edges of the boundary kernels' rules, on inputs where both sides are equal in
floating point (issue 14).

The rules (lpperp/_boundary_fast.py, lpperp/_boundary_kernels.py, ``TOL = 1e-9``):

- ``fast_kernel`` flags an account with a root *within* ``TOL P0`` of the current price
  (``|root - P0| <= TOL P0``) and one with two roots *within* ``2 TOL`` of each other
  (``r2 <= r1 (1 + 2 TOL)``: a root on a piece edge, found from both pieces); its interval is
  NaN only where the account is liquidatable now, ``g(P0) < 0`` (``g >= 0`` is safe);
- ``safe_interval``: a boundary within ``TOL P0`` of the price (inclusive) is *at* the price, and
  ``gfun`` tells on which side the account is safe; safe on neither side, the interval is the
  boundaries at the price themselves (a safe point or a sliver).

The accounts: no quote (``wq = 0``), the LP's base only, far below an LP range ``[2^60, 2^62]``
(``sqrt`` exact), one short perp (``q = -1``) under two tiers (rates 1/2 then 1 from a notional
``F``): ``g = a_t P + c_t`` with slopes ``1.75 - 1.5 = 1/4`` below ``F`` and ``1.75 - 2 = -1/4``
above it, both powers of two, so each root ``-c_t / a_t`` is exact: ``r1 = -4 const`` and
``r2 = 4 (const + F / 2)`` (``F / 2`` the deduction of the second tier), a peak of ``g`` at ``F``
between them. Every value is checked against this closed form.
"""

from __future__ import annotations

import numpy as np

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import TOL, safe_interval
from lpperp.perp import MarginRules

SA = 2.0**30  # sqrt(pa)
L = 1.75 * 2.0**31  # base held below the range: L (1/sqrt(pa) - 1/sqrt(pb)) = 1.75 per unit P


def _peak(r1, r2, P0):
    """The account with roots r1 < F < r2, F = (r1 + r2) / 2, seen from P0."""
    F = (r1 + r2) / 2.0
    rules = MarginRules("peak", 1.0, 0.5, tier_floors=(0.0, F), tier_maintenance=(0.5, 1.0))
    f, r, d = rules.maintenance_pieces()
    assert d.tolist() == [0.0, F / 2.0]
    const = -r1 / 4.0
    assert (-4.0 * const, 4.0 * (const + F / 2.0)) == (r1, r2)  # the closed-form roots
    one = lambda v: np.array([v], dtype=float)  # noqa: E731
    return fast_kernel(one(P0), one(SA * SA), one(4.0 * SA * SA), one(L), one(1.0), one(1.0),
                       one(0.0), one(-1.0), one(const), f, r, d)


def _g(P, r1, r2):
    """The closed form: g = (P - r1) / 4 below F, (r2 - P) / 4 above."""
    F = (r1 + r2) / 2.0
    return np.where(P < F, (P - r1) / 4.0, (r2 - P) / 4.0)


def test_a_root_exactly_tol_p0_from_the_price_is_flagged():
    P0 = 1e9
    assert TOL * P0 == 1.0  # the window is exactly 1 here
    for r1, flag in [(P0 + 1.0, True), (P0 + 2.0, False), (P0 - 1.0, True)]:
        r2 = r1 + 2.0**20  # far: no pair of near roots
        bnd, g0, lower, upper, flagged = _peak(r1, r2, P0)
        assert bnd[0][np.isfinite(bnd[0])].tolist() == [r1, r2]
        assert g0[0] == _g(P0, r1, r2)
        if r1 < P0:  # safe (g = (P0 - r1) / 4 > 0) between the two roots
            assert (lower[0], upper[0]) == (r1, r2)
        else:  # g(P0) < 0: liquidatable now, no interval
            assert np.isnan([lower[0], upper[0]]).all()
        assert flagged.tolist() == [flag], r1


def test_two_roots_exactly_2_tol_apart_are_flagged_and_2_5_tol_apart_are_not():
    for ratio, flag in [(1.0 + 2 * TOL, True), (1.0 + 2.5 * TOL, False)]:
        # r2 = r1 (1 + 2 TOL) as the kernel rounds it; r1 = 3 2^28 makes r1 + r2 (hence F) exact
        r1 = 3.0 * 2.0**28
        r2 = r1 * ratio
        assert r2 > r1 and (r1 + r2) - r1 == r2
        bnd, _, _, _, flagged = _peak(r1, r2, 2.0**29)
        assert bnd[0][np.isfinite(bnd[0])].tolist() == [r1, r2]
        assert flagged.tolist() == [flag], ratio


def test_g_exactly_zero_at_the_price_is_safe():
    r1 = 2.0**30
    r2 = r1 + 2.0**20
    _, g0, lower, upper, flagged = _peak(r1, r2, r1)
    assert g0.tolist() == [0.0] and _g(r1, r1, r2) == 0.0
    assert flagged.tolist() == [True]  # a root at the price: the general kernel decides
    assert np.isfinite(lower).all() and np.isfinite(upper).all()  # not liquidatable: g >= 0


# ------------------------------------------------------------------------------------------------
# safe_interval on hand-made boundaries and margin functions
# ------------------------------------------------------------------------------------------------
def test_a_boundary_exactly_tol_p0_above_the_price_is_at_the_price():
    P0 = np.array([1e9])
    b = 1e9 + 1.0  # TOL * P0 = 1 exactly: at the price
    # safe above b only (g(P0) rounded to 0): the interval is the safe side, [b, inf)
    lo, hi = safe_interval(np.array([[b]]), P0, np.array([0.0]), lambda P: P - b)
    assert (lo[0], hi[0]) == (b, np.inf)
    # one more unit away it is not at the price: the interval ends at it
    lo, hi = safe_interval(np.array([[b + 1.0]]), P0, np.array([0.0]), lambda P: P - b)
    assert (lo[0], hi[0]) == (0.0, b + 1.0)


def test_safe_on_neither_side_of_the_price_the_interval_is_the_sliver():
    P0 = np.array([1024.0, 1024.0])
    d = 2.0**-30  # both boundaries within TOL P0 (~1e-6) of the price
    bnd = np.array([[1024.0 - d, 1024.0 + d], [1024.0 - d, 1024.0 + d]])

    def g(P):  # 0 on [P0 - d, P0 + d], < 0 on both sides
        return -np.maximum(np.abs(P - 1024.0) - d, 0.0)

    lo, hi = safe_interval(bnd, P0, g(P0), lambda P: g(P))
    assert lo.tolist() == [1024.0 - d] * 2 and hi.tolist() == [1024.0 + d] * 2

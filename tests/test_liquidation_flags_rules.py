"""The fast kernel's flags, rule by rule, on accounts built to sit on each side of a rule.

``fast_kernel`` hands an account to the exact general kernel (``flagged``) when it finds

- a root on a piece edge: the same root found by both pieces (closer than ``2e-9`` relative),
  here on a *tier* edge ``floor / |q|`` (tests/test_liquidation_flags.py covers range edges);
- a plateau: ``g = a P + c`` identically 0 on a piece, by the rule of ``_FLAT_RTOL``
  (lpperp/_boundary_fast.py): ``|a| <= 1e-12 |q| (1 + rate)`` and ``|c| <= 1e-12 S``, where
  ``|q| (1 + rate)`` and ``S`` are the magnitudes of the terms each coefficient sums (above the
  range: ``a = q - |q| rate``, ``c = wq L (sqrt(pb) - sqrt(pa)) + const + ded`` and ``S =
  wq L (sqrt(pb) - sqrt(pa)) + |const| + |ded|``).

The plateau accounts are dyadic (LP ``[1, 4]``, ``L = 1024``, ``wq = 1``: ``1024`` quote above
the range, exactly), so the coefficients are exact and each account sits at a known multiple of
the threshold: 0.75x or 1.5x (``|c|``), or a slope of ``2^-41`` vs ``2.5e-12`` next to its
``~2 |q|`` scale (``|a|``). Values are checked independently (``g_ref``, Uniswap v3 whitepaper
amounts). A needless flag costs the general kernel's time, a missing one leaves a plateau's edge
to the fast kernel, which cannot see it.
"""

from __future__ import annotations

import numpy as np
import pytest
from liquidation_refs import accounts
from test_liquidation_flags import TIERED, edges, g_ref, run

import lpperp._boundary_fast as fast_module
from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import TOL
from lpperp.perp import MarginRules

C_ABOVE = 1024.0  # wq L (sqrt(pb) - sqrt(pa)) of the dyadic LP below
LP = {"pa": 1.0, "pb": 4.0, "L": 1024.0, "k": 1.0, "wb": 0.5, "wq": 1.0}
TWO_TIERS = MarginRules("two", 1.0, 0.5, tier_floors=(0.0, 2.0**20), tier_maintenance=(0.5, 1.0))


def _one(rules, q, const, P0=8.0):
    f, r, d = rules.maintenance_pieces()
    v = {key: np.array([x]) for key, x in LP.items()}
    return fast_kernel(np.array([P0]), v["pa"], v["pb"], v["L"], v["k"], v["wb"], v["wq"],
                       np.array([q]), np.array([const]), f, r, d)


def test_a_root_on_a_tier_edge_is_flagged():
    a = accounts(24, 200)
    a["q"] = np.where(np.abs(a["q"]) < 1.0, 4.0, a["q"])
    e = edges(a, TIERED)
    for j in (2, 3, 4):  # the three tier edges floor_t / |q|
        on = dict(a, cash=a["cash"] - g_ref(e[:, j], a, TIERED))
        assert np.all(np.abs(g_ref(e[:, j], on, TIERED)) <= 1e-9 * (np.abs(on["cash"]) + 1e4))
        far = np.where(e[:, j] > 3000.0, e[:, j] / 3.0, e[:, j] * 3.0)
        *_, flagged = run(on, TIERED, far)
        # away from the range edges (there the range's own flag would hide the tier's)
        clear = (np.abs(e[:, j] / e[:, 0] - 1) > 1e-6) & (np.abs(e[:, j] / e[:, 1] - 1) > 1e-6)
        assert clear.sum() > 150
        assert flagged[clear].all(), j


def test_plateau_slope_threshold():
    # long 1 at a maintenance rate r close to 1: above the range a = 1 - r, c = 0 exactly
    for r, flat in [(1.0 - 2.0**-41, True), (1.0 - 2.5e-12, False), (1.0, True)]:
        rules = MarginRules("near 1", 1.0, r)
        assert (1.0 - r <= 1e-12 * (1.0 + r)) is flat
        *_, flagged = _one(rules, 1.0, -C_ABOVE)
        assert flagged.tolist() == [flat], r


@pytest.mark.parametrize("q", [0.0, 2.0**-60])
def test_a_dust_perp_is_not_a_plateau(q):
    # no perp: g = 0 above the range (a plateau). A dust perp (2^-60 base, rate 1/4) makes the
    # slope 0.75 q: tiny, but not next to its own terms |q| (1 + 1/4), so no plateau: the one
    # boundary is the range's top, where g turns from < 0 (wq / wb = 2) to >= 0
    rules = MarginRules("quarter", 0.5, 0.25)
    bnd, g0, lower, upper, flagged = _one(rules, q, -C_ABOVE)
    assert flagged.tolist() == [q == 0.0]
    if q:
        np.testing.assert_allclose(bnd[0][np.isfinite(bnd[0])], [4.0], rtol=1e-12)
        assert g0[0] > 0 and lower[0] == pytest.approx(4.0, rel=1e-12) and upper[0] == np.inf


@pytest.mark.parametrize(("mult", "flat"), [(0.75, True), (1.5, False), (0.0, True)])
def test_plateau_constant_threshold_with_a_deduction(mult, flat):
    # long 1 under two tiers (1/2 below a notional of 2^20, 1 above: deduction 2^19): above the
    # range and the tier floor (P > 2^20) g = 1024 + const + 2^19 =: delta, a plateau when
    # |delta| <= 1e-12 S with S = 1024 + |const| + 2^19; delta is put at mult x that threshold
    ded = 2.0**19
    base = -(C_ABOVE + ded)
    S = C_ABOVE + abs(base) + ded
    const = base + mult * 1e-12 * S
    delta = C_ABOVE + const + ded
    assert delta == pytest.approx(mult * 1e-12 * S, rel=1e-3, abs=0)
    assert (abs(delta) <= 1e-12 * (C_ABOVE + abs(const) + ded)) is flat
    d = TWO_TIERS.maintenance_pieces()[2]
    assert d.tolist() == [0.0, ded]
    *_, flagged = _one(TWO_TIERS, 1.0, const, P0=2.0**21)
    assert flagged.tolist() == [flat]


def _batch():
    """Generic tiered accounts followed by the plateau-rule accounts above (flat rule only)."""
    a = accounts(25, 64)
    f, r, d = TIERED.maintenance_pieces()
    cols = {key: a[key] for key in ("pa", "pb", "L", "k", "wb", "wq", "q")}
    const = a["cash"] - a["q"] * a["e"]
    extra = [(0.0, -C_ABOVE), (2.0**-60, -C_ABOVE), (1.0, -C_ABOVE - 2e-9), (-3.0, 5.0)]
    for key in cols:
        add = [LP[key]] * len(extra) if key in LP else [x[0] for x in extra]
        cols[key] = np.concatenate([cols[key], np.asarray(add, dtype=float)])
    const = np.concatenate([const, [x[1] for x in extra]])
    P0 = np.concatenate([np.full(64, 3000.0), np.full(len(extra), 8.0)])
    return (P0, cols["pa"], cols["pb"], cols["L"], cols["k"], cols["wb"], cols["wq"], cols["q"],
            const, f, r, d)


@pytest.mark.parametrize("junk", [0.0, 1e300, -1e300, np.nan])
def test_results_do_not_depend_on_the_scratch_memory(junk):
    # the kernel keeps its temporaries in per-thread scratch arrays reused across calls: what an
    # earlier call left there must never show in a result
    args = _batch()
    clean = fast_kernel(*args)
    flag_names = {"flags"}
    for name, buf in vars(fast_module._WORK).items():
        buf.fill(True if name in flag_names else junk)
    dirty = fast_kernel(*args)
    for x, y in zip(clean, dirty, strict=True):
        np.testing.assert_array_equal(x, y)
    assert clean[4][64:].tolist() == [True, False, False, False]


def test_an_empty_piece_is_not_checked_for_a_plateau():
    # The plateau rule is about pieces that exist. Account B's tier 2 (notional >= 1024, P >= 1024
    # for q = -1) starts above its range's bottom (256), so B has no "below the range, tier 2"
    # piece, though that piece's formula vanishes: slope 2 (B's base, L (1/16 - 1/64)) - 2
    # (short 1 at rate 1) = 0 (to an ulp), constant -512 + 512 (the deduction) = 0. Account A,
    # in the same block, has its tier-2 edge exactly on its loosened range bottom,
    # fl(pa (1 + TOL)) == fl(1024 (1 - TOL)): its piece is empty too, by exactly nothing.
    rules = MarginRules("two", 1.0, 0.5, tier_floors=(0.0, 1024.0), tier_maintenance=(0.5, 1.0))
    f, r, d = rules.maintenance_pieces()
    edge = 1024.0 * (1 - TOL)
    pa = edge / (1 + TOL)
    for _ in range(64):  # the float pa with fl(pa (1 + TOL)) == edge, next to edge / (1 + TOL)
        if pa * (1 + TOL) == edge:
            break
        pa = np.nextafter(pa, np.inf if pa * (1 + TOL) < edge else -np.inf)
    assert pa * (1 + TOL) == edge
    acc_a = (3000.0, pa, 4 * pa, 100.0, 1.0, 0.5, 0.5, -1.0, 2000.0)
    acc_b = (3000.0, 256.0, 4096.0, 128.0 / 3.0, 1.0, 1.0, 1.0, -1.0, -512.0)
    cols = [np.array(pair) for pair in zip(acc_a, acc_b, strict=True)]
    assert abs(128.0 / 3.0 * (1 / 16 - 1 / 64) - 2.0) <= 4e-16
    *_, flagged = fast_kernel(*cols, f, r, d)
    assert flagged.tolist() == [False, False]

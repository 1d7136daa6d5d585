"""lpperp.margin: which boundary an outcome settles at, the lender's graded penalty, the numeric
solver's breakpoints at the LP's edges, and the tier floor of ``max_perp_size``.

References, none of them the code under test:

- the account's margin gap written out by hand from the core formula (lpperp DESIGN.md: in range
  ``V = L (2 sqrtP - sqrt(pa) - P / sqrt(pb))``; ``equity = V + C + q (P - E)``, maintenance
  ``m |q| P``) and its sign changes found on a dense log grid, then bisected;
- revert-finance/lend@c9fc4d0 src/V3Vault.sol ``_calculateLiquidation`` in exact integers
  (tests/test_venues.py ``_revert_calculate_liquidation``, cited there);
- the initial-margin schedule inverted by hand (``N r_k - d_k = budget`` on the tier whose floor
  the budget covers).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_venues import _revert_calculate_liquidation

from lpperp.collateral import FunctionFactor, StaticFactor
from lpperp.margin import IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition

FLAT = MarginRules("flat", 0.1, 0.05, liquidation_fee_fraction=0.01)


def _lp_value(lp: LPPosition, p: np.ndarray) -> np.ndarray:
    """DESIGN.md's core formula: all base below the range, all quote above."""
    L, a, b = lp.liquidity, math.sqrt(lp.price_lower), math.sqrt(lp.price_upper)
    s = np.clip(np.sqrt(p), a, b)
    return L * (1 / s - 1 / b) * p + L * (s - a)


def _roots(g, lo: float, hi: float) -> list[float]:
    """Sign changes of ``g`` on a 200,001-point log grid, each bisected to the float."""
    grid = np.geomspace(lo, hi, 200_001)
    v = g(grid)
    out = []
    for i in np.flatnonzero((v[:-1] >= 0) != (v[1:] >= 0)):
        a, b = grid[i], grid[i + 1]
        for _ in range(200):
            m = 0.5 * (a + b)
            if m in (a, b):
                break
            if (g(np.array([m]))[0] >= 0) == (v[i] >= 0):
                a = m
            else:
                b = m
        out.append(0.5 * (a + b))
    return out


def test_outcome_settles_at_the_boundary_nearer_in_log_distance_even_above():
    """An LP over-hedged by a short with borrowed cash has a boundary on each side; the upper one
    (4677, +44 % in log) is nearer than the lower one (1342, -80 %): the outcome triggers there."""
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=50)
    q, e, cash = -1.5, 3000.0, -8000.0
    a = IsolatedAccount(PerpPosition(q, e), lp, cash=cash, rules=FLAT)

    def gap(p):
        return _lp_value(lp, p) + cash + q * (p - e) - 0.05 * abs(q) * p

    lower, upper = _roots(gap, 10.0, 1e6)
    assert lower < 3000.0 < upper
    assert abs(math.log(upper / 3000.0)) < abs(math.log(3000.0 / lower))
    o = a.liquidation_outcome(3000.0)
    assert o.trigger_price == pytest.approx(upper, rel=1e-9)
    assert o.trigger_price > 3000.0
    # a long-only twin (no perp debt above): its nearer boundary is the lower one
    b = IsolatedAccount(PerpPosition(-0.5, e), lp, cash=cash, rules=FLAT)

    def gap_b(p):
        return _lp_value(lp, p) + cash - 0.5 * (p - e) - 0.05 * 0.5 * p

    roots_b = _roots(gap_b, 10.0, 1e6)
    near = min(roots_b, key=lambda x: abs(math.log(x / 3000.0)))
    assert b.liquidation_outcome(3000.0).trigger_price == pytest.approx(near, rel=1e-9)


@pytest.mark.parametrize(("cf", "under"), [(0.775, 0.9), (0.775, 0.8), (0.85, 0.95)])
def test_lender_outcome_grades_the_penalty_by_the_collateral_value(cf, under):
    """An LP above its range (all quote) borrowing stablecoins, settled by Revert Lend's rules at
    a collateral value of ``under`` x the debt: V3Vault's penalty rises from 2 % towards 10 %
    with how far the collateral value is below the debt (the factor-weighted value, not the
    LP's full value, enters ``_calculateLiquidation``)."""
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    price = 4000.0  # above the range: the LP is quote only, nothing to swap
    full = float(_lp_value(lp, np.array([price]))[0])
    assert lp.amounts(price)[0] == 0.0
    debt = cf * full / under
    a = IsolatedAccount(None, lp, cash=-debt, collateral=StaticFactor(cf), rules=FLAT)
    o = a.liquidation_outcome(price, at=price, mechanics="revert")
    d6, f6 = round(debt * 1e6), round(full * 1e6)
    value, cost, reserve = _revert_calculate_liquidation(d6, f6, f6 * round(cf * 2**32) // 2**32)
    assert o.owner_keeps == pytest.approx((f6 - value) / 1e6, abs=2e-5)
    assert o.to_liquidator == pytest.approx((value - cost) / 1e6, abs=2e-5)
    assert o.bad_debt == pytest.approx(reserve / 1e6, abs=2e-5)
    assert value / d6 - 1 > 0.02 + 1e-3  # graded above the minimum penalty


def test_numeric_solver_finds_a_dip_of_the_factor_at_the_lps_lower_edge():
    """A user factor that collapses only within 1e-4 (relative) of the LP's lower edge ``pa``:
    the log grid (0.12 % steps) alone would step over it; the solver's breakpoints are the LP's
    edges (lpperp/boundary.py), so ``pa`` itself is evaluated and the dip is found: the nearest
    boundary below the price lies within the dip, where the gap written by hand is zero."""
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    pa = lp.price_lower
    width = 1e-4

    def cf(p):
        return 0.9 * np.clip(np.abs(np.asarray(p, dtype=float) / pa - 1.0) / width, 0.0, 1.0)

    q, e, cash = -1.0, 3000.0, -550.0
    a = IsolatedAccount(PerpPosition(q, e), lp, cash=cash, collateral=FunctionFactor(cf),
                        rules=FLAT)

    def gap(p):
        return cf(p) * _lp_value(lp, p) + cash + q * (p - e) - 0.05 * abs(q) * p

    assert gap(np.array([pa]))[0] < 0 < gap(np.array([pa * (1 + 2 * width)]))[0]
    lo = float(a.liquidation(3000.0).safe_lower)
    assert pa < lo < pa * (1 + width)
    assert gap(np.array([lo]))[0] == pytest.approx(0.0, abs=1e-6)


def test_max_perp_size_at_a_budget_exactly_on_a_tier_floor():
    """A budget equal to the initial margin at a tier floor buys exactly that floor's notional.

    Tiers 0 / 1e4 / 2.5e5 at 3 % / 5 % / 7 % initial: IM(2.5e5) = 2.5e5 * 0.07 - d_2 with
    d_1 = 1e4 (0.05 - 0.03) = 200, d_2 = 200 + 2.5e5 (0.07 - 0.05) = 5200: 12,300. In floats
    (12,300 + 200) / 0.05 = 250,000 exactly and (12,300 + 5,200) / 0.07 = 249,999.99999999997,
    just below its tier: the answer must still be 250,000 (it was 0: the budget fell between
    the tiers).
    """
    rules = MarginRules("t", 0.03, 0.015, (0.0, 1e4, 2.5e5), (0.015, 0.025, 0.035),
                        tier_initial=(0.03, 0.05, 0.07))
    budget = 2.5e5 * 0.07 - (1e4 * 0.02 + 2.5e5 * 0.02)
    assert budget == 12_300.0
    a = IsolatedAccount(None, cash=budget, rules=rules)
    assert a.max_perp_size(2000.0) * 2000.0 == pytest.approx(2.5e5, rel=1e-12)
    assert a.max_leverage(2000.0) == pytest.approx(2.5e5 / budget, rel=1e-12)
    # on each side of the floor: tier 1 below, tier 2 above (by hand)
    below = IsolatedAccount(None, cash=budget - 1.0, rules=rules)
    above = IsolatedAccount(None, cash=budget + 1.0, rules=rules)
    assert below.max_perp_size(2000.0) * 2000.0 == pytest.approx((budget - 1 + 200) / 0.05)
    assert above.max_perp_size(2000.0) * 2000.0 == pytest.approx((budget + 1 + 5200) / 0.07)

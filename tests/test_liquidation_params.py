"""Each boundary_map parameter against the account rebuilt by hand, its allowed range at the
edges, the order in which two parameters apply, and compare_liquidations against the account's
own liquidation_outcome on each venue.

References: the rebuilt account's ``liquidation`` (accounts hand their public problem to
lpperp.boundary directly), ``account_leverage`` (notional / equity, the account's own figure)
inverted by bisection, ``LPPosition.from_deposit`` for re-deposits, and
``account.liquidation_outcome`` with the venue's rules and mechanics.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.collateral import VolatilityScaledFactor
from lpperp.liquidation import boundary_map, compare_liquidations
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.swap import LiquidityProfile
from lpperp.venues import get_mechanics, get_venue

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)
# a shocked model with different token weights: every LP term of g depends on k, w_b and w_q
VOL = VolatilityScaledFactor(sigma_per_year=1.5, horizon_years=7 / 365, confidence=0.99,
                             base_factor=0.7, quote_factor=0.95)


def _b(res, idx=()):
    b = np.asarray(res.boundaries)[idx]
    return b[np.isfinite(b)]


def _size_for_leverage(acct, lev, price=P0):
    """The perp size (same side, same entry) whose account_leverage at ``price`` is ``lev``."""
    side = np.sign(acct.perp.size) or 1.0
    lo, hi = 0.0, 1e4
    for _ in range(70):
        mid = 0.5 * (lo + hi)
        a = replace(acct, perp=PerpPosition(side * mid, acct.perp.entry_price))
        if a.account_leverage(price) < lev:
            lo = mid
        else:
            hi = mid
    return side * 0.5 * (lo + hi)


@pytest.mark.parametrize("entry", [P0, 2500.0])
def test_account_leverage_cells_have_that_leverage(entry):
    acct = IsolatedAccount(PerpPosition(-3.0, entry), LP, cash=-1500.0, rules=FLAT, collateral=VOL)
    levs = [0.5, 2.0]
    m = boundary_map(acct, P0, "account_leverage", levs)
    for i, lev in enumerate(levs):
        one = replace(acct, perp=PerpPosition(_size_for_leverage(acct, lev), entry))
        assert one.account_leverage(P0) == pytest.approx(lev, rel=1e-9)
        np.testing.assert_allclose(_b(m, i), one.liquidation(P0).boundaries, rtol=1e-8)


def test_a_flat_perp_is_sized_as_a_long_and_unreachable_leverage_is_refused():
    flat = IsolatedAccount(PerpPosition(0.0, P0), LP, cash=500.0, rules=FLAT)
    m = boundary_map(flat, P0, "account_leverage", [2.0])
    long = replace(flat, perp=PerpPosition(_size_for_leverage(flat, 2.0), P0))
    assert long.perp.size > 0
    np.testing.assert_allclose(_b(m, 0), long.liquidation(P0).boundaries, rtol=1e-8)
    # a long entered at 1000, now at 3000: notional / equity tends to P0 / (P0 - E) = 1.5 as the
    # size grows, so 1.5 (denominator exactly 0) and more cannot be reached; 1.49975 can
    # (denominator 0.5: a large but finite size)
    up = IsolatedAccount(PerpPosition(1.0, 1000.0), cash=100.0, rules=FLAT)
    for lev in (1.5, 1.6):
        with pytest.raises(LpperpError, match="cannot be reached"):
            boundary_map(up, P0, "account_leverage", [lev])
    near = boundary_map(up, P0, "account_leverage", [1.49975])
    q = 1.49975 * 100.0 / (P0 - 1.49975 * (P0 - 1000.0))
    big = replace(up, perp=PerpPosition(q, 1000.0))
    assert big.account_leverage(P0) == pytest.approx(1.49975, rel=1e-9)
    np.testing.assert_allclose(_b(near, 0), big.liquidation(P0).boundaries, rtol=1e-6)


def test_size_and_cash_cells():
    acct = IsolatedAccount(PerpPosition(-3.0, 2500.0), LP, cash=-1500.0, rules=FLAT)
    m = boundary_map(acct, P0, "size", [-1.0, 4.0])
    c = boundary_map(acct, P0, "cash", [-4000.0, 2000.0])
    for i, (q, cash) in enumerate(zip([-1.0, 4.0], [-4000.0, 2000.0], strict=True)):
        np.testing.assert_allclose(
            _b(m, i), replace(acct, perp=PerpPosition(q, 2500.0)).liquidation(P0).boundaries,
            rtol=1e-12)
        np.testing.assert_allclose(_b(c, i), replace(acct, cash=cash).liquidation(P0).boundaries,
                                   rtol=1e-12)
    # both at once, the values2 axis given as a column: cell (i, j) = size i, cash j
    both = boundary_map(acct, P0, "size", [-1.0, 4.0], "cash", [[-4000.0], [2000.0]])
    assert both.safe_upper.shape == (2, 2)
    for i, q in enumerate([-1.0, 4.0]):
        for j, cash in enumerate([-4000.0, 2000.0]):
            one = replace(acct, perp=PerpPosition(q, 2500.0), cash=cash).liquidation(P0)
            np.testing.assert_allclose(_b(both, (i, j)), one.boundaries, rtol=1e-12)


@pytest.mark.parametrize("param, bad, good", [
    ("width_pct", [0.0, 100.0, 100.5, -3.0], [0.5, 99.0]),
    ("width_factor", [1.0, 0.5], [1.5, 3.0]),
    ("cf", [-0.1, 1.1, 1.5], [0.0, 1.0]),
    ("tau_years", [-1.0], [0.0, 2.0]),
])
def test_each_parameter_range_is_checked_at_its_edges(param, bad, good):
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-1500.0, rules=FLAT)
    for v in bad:
        with pytest.raises(LpperpError, match=param):
            boundary_map(acct, P0, param, [1.0 if param == "width_factor" else 0.5, v][-1:])
    m = boundary_map(acct, P0, param, good)
    assert m.safe_upper.shape == (len(good),)


def test_width_factor_is_the_value_re_deposited_over_p_over_w_to_p_times_w():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-1500.0, rules=FLAT, collateral=VOL)
    m = boundary_map(acct, P0, "width_factor", [1.5, 3.0])
    for i, w in enumerate([1.5, 3.0]):
        lp = LPPosition.from_deposit(LP.value(P0), P0, price_lower=P0 / w, price_upper=P0 * w)
        np.testing.assert_allclose(_b(m, i), replace(acct, lp=lp).liquidation(P0).boundaries,
                                   rtol=1e-10)


@pytest.mark.parametrize("first", [True, False])
def test_two_parameters_apply_structure_first_then_sizing_and_drift(first):
    # leverage after the range (the shocked, weighted collateral differs per range), funding
    # after the size, whichever order the caller names them in
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-1500.0, rules=FLAT, collateral=VOL)
    widths, levs = [10.0, 60.0], [1.0, 3.0]
    if first:
        m = boundary_map(acct, P0, "account_leverage", levs, "width_pct", widths).boundaries
        m = np.swapaxes(m, 0, 1)
    else:
        m = boundary_map(acct, P0, "width_pct", widths, "account_leverage", levs).boundaries
    for i, w in enumerate(widths):
        lp = LPPosition.from_deposit(LP.value(P0), P0, width_pct=w)
        for j, lev in enumerate(levs):
            a = replace(acct, lp=lp)
            one = replace(a, perp=PerpPosition(_size_for_leverage(a, lev), P0))
            got = m[i, j][np.isfinite(m[i, j])]
            np.testing.assert_allclose(got, one.liquidation(P0).boundaries, rtol=1e-8)
    sizes, taus = [-1.0, -6.0], [0.5, 2.0]
    for name, scale in (("tau_years", 1.0), ("days", 365.0)):
        with pytest.warns(DeprecationWarning) if name == "days" else _nothing():
            f = boundary_map(acct, P0, name, [t * scale for t in taus], "size", sizes,
                             funding_rate_per_year=0.4)
        for i, t in enumerate(taus):
            for j, q in enumerate(sizes):
                p = PerpPosition(q, P0)
                one = replace(acct, perp=p, funding_paid=p.funding_payment(P0, t, 0.4))
                np.testing.assert_allclose(_b(f, (i, j)), one.liquidation(P0).boundaries,
                                           rtol=1e-10)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_map_defaults_accrue_nothing_and_the_cell_budget_counts_one_axis():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-1500.0, rules=FLAT)
    m = boundary_map(acct, P0, "tau_years", [0.0, 1.0, 10.0])
    for i in range(3):
        np.testing.assert_allclose(_b(m, i), acct.liquidation(P0).boundaries, rtol=1e-12)
    assert boundary_map(acct, P0, "cash", np.zeros(7), max_cells=7).safe_upper.shape == (7,)
    with pytest.raises(LpperpError, match=r"^boundary_map \(values x values2\): 7 x 3"):
        boundary_map(acct, P0, "cash", np.zeros(7), "size", np.ones(3), max_cells=20)
    with pytest.raises(LpperpError, match=r"^param2 must differ from param"):
        boundary_map(acct, P0, "cash", [1.0], "cash", [2.0])
    # the size then the leverage of that size (entries follow the sizes through both steps)
    two = boundary_map(acct, P0, "size", [-1.0, -2.0], "account_leverage", [1.0])
    one = boundary_map(acct, P0, "account_leverage", [1.0])
    np.testing.assert_allclose(_b(two, (0, 0)), _b(one, 0), rtol=1e-12)


def test_maps_of_a_cross_account_move_the_named_market():
    cross = CrossAccount(
        perps=(PerpPosition(-1.5, P0), PerpPosition(0.1, 35_000.0, "BTC")), cash=1000.0,
        rules={"ETH": FLAT, "BTC": MarginRules("btc", 0.1, 0.05)},
    )
    price = {"ETH": P0, "BTC": 35_000.0}
    m = boundary_map(cross, price, "cash", [1000.0, 3000.0], market="BTC")
    for i, cash in enumerate([1000.0, 3000.0]):
        one = replace(cross, cash=cash).liquidation(price, market="BTC")
        np.testing.assert_allclose(_b(m, i), one.boundaries, rtol=1e-12)


def test_compare_liquidations_is_each_venues_own_outcome():
    lp = LPPosition.from_deposit(10_000.0, P0, width_pct=20)
    acct = IsolatedAccount(PerpPosition(-6.667, P0), lp)
    one = compare_liquidations(acct, P0, "gmx")
    assert one.venues == ("gmx",)
    ref = replace(acct, rules=get_venue("gmx")).liquidation_outcome(
        P0, mechanics=get_mechanics("gmx"))
    assert one["gmx"] == ref
    gas = compare_liquidations(acct, P0, ("dydx", "GMX"), gas_quote=25.0)
    assert gas.venues == ("dydx", "gmx")
    for v in ("dydx", "gmx"):
        ref = replace(acct, rules=get_venue(v)).liquidation_outcome(
            P0, mechanics=get_mechanics(v), gas_quote=25.0)
        assert gas[v] == ref
    assert gas["gmx"] != one["gmx"]  # the gas is charged
    thin = LiquidityProfile.uniform(P0, 2_000.0, 0.003)  # a thin pool to unwind the LP into
    long = IsolatedAccount(PerpPosition(6.667, P0), lp)  # liquidated below the range: all base
    pro = compare_liquidations(long, P0, ("gmx",), profile=thin)
    ref = replace(long, rules=get_venue("gmx")).liquidation_outcome(
        P0, mechanics=get_mechanics("gmx"), profile=thin)
    assert pro["gmx"] == ref
    assert pro["gmx"].lp_unwind_cost > compare_liquidations(long, P0, ("gmx",))["gmx"].lp_unwind_cost
    # a cross account liquidated in its second market
    cross = CrossAccount(
        perps=(PerpPosition(-1.5, P0), PerpPosition(0.1, 35_000.0, "BTC")), cash=1000.0,
        rules={"ETH": FLAT, "BTC": MarginRules("btc", 0.1, 0.05)},
    )
    price = {"ETH": P0, "BTC": 35_000.0}
    c = compare_liquidations(cross, price, ("dydx",), market="BTC")
    ref = replace(cross, rules=get_venue("dydx")).liquidation_outcome(
        price, market="BTC", mechanics=get_mechanics("dydx"))
    assert c["dydx"] == ref
    # something with an outcome but no rules is not an account
    with pytest.raises(LpperpError, match="IsolatedAccount or CrossAccount"):
        compare_liquidations(SimpleNamespace(liquidation_outcome=None), P0)

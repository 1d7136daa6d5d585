"""Accounts: equity and requirements vs direct sums, cross == isolated, modes, sizing, outcomes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp._validate import LpperpError
from lpperp.collateral import RangeAwareFactor, StaticFactor, TokenMinFactor
from lpperp.margin import CrossAccount, IsolatedAccount, isolated_vs_cross
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.units import WETH_USDC_ARBITRUM

P0 = 3000.0
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20, pool=WETH_USDC_ARBITRUM)
FLAT = MarginRules("flat", 0.10, 0.05, liquidation_fee_fraction=0.01)
TIERED = MarginRules("tiered", 0.04, 0.02, (0.0, 1e4, 5e4), (0.02, 0.04, 0.08), (0.04, 0.08, 0.16))
PRICES = np.linspace(1500.0, 6000.0, 91)


def test_equity_and_requirements_are_the_documented_sums():
    perp = PerpPosition(-4.0, 3100.0)
    model = RangeAwareFactor(10.0, 0.8, 0.95)
    acct = IsolatedAccount(perp, LP, -1500.0, model, TIERED, accrued_fees=40.0, funding_paid=-12.0)
    eq = model.collateral_value(LP, PRICES) - 1500.0 + perp.pnl(PRICES) + 40.0 + 12.0
    np.testing.assert_allclose(acct.equity(PRICES), eq, rtol=1e-12)
    mm = TIERED.maintenance_margin(perp.notional(PRICES))
    np.testing.assert_allclose(acct.maintenance_requirement(PRICES), mm, rtol=1e-12)
    im = TIERED.initial_margin(perp.notional(PRICES))
    np.testing.assert_allclose(acct.free_collateral(PRICES), eq - im, rtol=1e-12)
    np.testing.assert_allclose(acct.health(PRICES), eq / mm, rtol=1e-12)
    np.testing.assert_allclose(acct.margin_ratio(PRICES), np.where(eq > 0, mm / eq, np.inf))
    np.testing.assert_allclose(acct.account_leverage(PRICES),
                               np.where(eq > 0, perp.notional(PRICES) / eq, np.inf))
    assert np.array_equal(acct.is_liquidatable(PRICES), eq < mm)


def test_no_perp_health_is_infinite_and_debt_can_liquidate():
    acct = IsolatedAccount(None, LP, cash=-2000.0)
    assert acct.health(P0) == np.inf and acct.account_leverage(P0) == 0.0
    broke = IsolatedAccount(None, LP, cash=-20_000.0)
    assert broke.health(P0) == -np.inf and broke.is_liquidatable(P0)


@st.composite
def isolated(draw):
    lo = draw(st.floats(500.0, 5000.0))
    lp = LPPosition(lo, lo * draw(st.floats(1.01, 4.0)), draw(st.floats(0.0, 3000.0)))
    return IsolatedAccount(
        PerpPosition(draw(st.floats(-30.0, 30.0)), draw(st.floats(1000.0, 5000.0))),
        lp,
        draw(st.floats(-20_000.0, 20_000.0)),
        draw(st.sampled_from([StaticFactor(0.7), TokenMinFactor(0.8, 0.9),
                              RangeAwareFactor(12.0, 0.8, 1.0)])),
        draw(st.sampled_from([FLAT, TIERED])),
        accrued_fees=draw(st.floats(0.0, 300.0)),
        funding_paid=draw(st.floats(-300.0, 300.0)),
    )


@settings(max_examples=40, deadline=None)
@given(isolated())
def test_cross_with_one_position_equals_isolated(acct):
    cross = acct.as_cross()
    for name in ("equity", "maintenance_requirement", "initial_requirement", "free_collateral",
                 "health", "margin_ratio", "account_leverage", "is_liquidatable", "delta",
                 "gamma", "true_equity"):
        np.testing.assert_allclose(getattr(cross, name)(PRICES), getattr(acct, name)(PRICES),
                                   rtol=1e-12, err_msg=name)
    flat = replace(acct, perp=None)  # sizing a new perp on the same collateral
    assert flat.as_cross().max_perp_size(P0, "ETH", -1) == pytest.approx(
        flat.max_perp_size(P0, side=-1), rel=1e-12)


def test_cross_several_markets_needs_a_mapping_and_sums():
    eth, btc = PerpPosition(-2.0, 3000.0), PerpPosition(0.1, 60_000.0, "BTC")
    x = CrossAccount((eth, btc), (LP,), 1000.0, lp_markets=("ETH",),
                     rules={"ETH": FLAT, "BTC": TIERED})
    price = {"ETH": 3100.0, "BTC": 58_000.0}
    eq = LP.value(3100.0) + 1000.0 + eth.pnl(3100.0) + btc.pnl(58_000.0)
    assert x.equity(price) == pytest.approx(eq, rel=1e-12)
    mm = FLAT.maintenance_margin(eth.notional(3100.0)) + TIERED.maintenance_margin(5800.0)
    assert x.maintenance_requirement(price) == pytest.approx(mm, rel=1e-12)
    with pytest.raises(ValueError, match="mapping"):
        x.equity(3000.0)
    with pytest.raises(ValueError, match="lacks markets"):
        x.equity({"ETH": 3000.0})
    # vectorized: an array for one market, a number for the other
    eqs = x.equity({"ETH": PRICES, "BTC": 58_000.0})
    assert eqs.shape == PRICES.shape
    # boundaries along ETH with BTC fixed: equity == maintenance there
    res = x.liquidation(price, market="ETH")
    for b in res.boundaries[np.isfinite(res.boundaries)]:
        pr = {"ETH": b, "BTC": 58_000.0}
        assert x.equity(pr) == pytest.approx(x.maintenance_requirement(pr), rel=1e-9)
    # and along BTC with ETH fixed
    res = x.liquidation(price, market="BTC")
    for b in res.boundaries[np.isfinite(res.boundaries)]:
        pr = {"ETH": 3100.0, "BTC": b}
        assert x.equity(pr) == pytest.approx(x.maintenance_requirement(pr), rel=1e-9)


def test_lp_in_another_market_is_fixed_collateral():
    btc_lp = LPPosition.from_deposit(5000.0, 60_000.0, width_pct=10)
    x = CrossAccount((PerpPosition(-2.0, 3000.0),), (LP, btc_lp), 0.0,
                     lp_markets=("ETH", "BTC"), rules=FLAT)
    price = {"ETH": 3000.0, "BTC": 60_000.0}
    assert x.equity(price) == pytest.approx(15_000.0, rel=1e-12)
    b = float(x.liquidation(price, market="ETH").liquidation_price_above)
    assert x.equity({"ETH": b, "BTC": 60_000.0}) == pytest.approx(
        x.maintenance_requirement({"ETH": b, "BTC": 60_000.0}), rel=1e-9)


def test_max_perp_size_inverts_initial_margin():
    acct = IsolatedAccount(None, LP, cash=500.0, rules=TIERED)
    q = acct.max_perp_size(P0, side=-1)
    assert q < 0
    budget = acct.equity(P0)
    assert TIERED.initial_margin(abs(q) * P0) == pytest.approx(budget, rel=1e-12)
    opened = replace(acct, perp=PerpPosition(q, P0))
    assert opened.free_collateral(P0) == pytest.approx(0.0, abs=1e-8 * budget)
    flat = IsolatedAccount(None, cash=1000.0, rules=FLAT)
    assert flat.max_leverage(P0) == pytest.approx(FLAT.max_leverage)
    # cross: existing positions use part of the budget
    x = CrossAccount((PerpPosition(1.0, P0),), cash=1000.0, rules=FLAT)
    assert x.max_perp_size(P0) == pytest.approx((1000.0 - 300.0) / 0.1 / P0)


def test_liquidation_outcome_parts_and_old_names():
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    out = acct.liquidation_outcome(P0)
    liq = float(acct.liquidation(P0).liquidation_price_above)
    assert out.trigger_price == out.price == pytest.approx(liq)
    assert out.venue_equity == out.equity == pytest.approx(out.maintenance, rel=1e-9)
    # FLAT has no preset: generic mechanics, the rules' 1 % fee on the notional to the insurance
    assert out.to_insurance == out.penalty == pytest.approx(0.01 * 6.0 * liq)
    assert out.true_equity == pytest.approx(
        LP.value(liq) + 0.0 + PerpPosition(-6.0, P0).pnl(liq), rel=1e-12)
    assert out.remaining == out.owner_keeps
    assert out.loss == pytest.approx(acct.true_equity(P0) - out.owner_keeps)
    parts = (out.owner_keeps + out.perp_close_cost + out.lp_unwind_cost + out.to_liquidator
             + out.to_insurance + out.to_backstop - out.bad_debt)
    assert parts == pytest.approx(out.true_equity, rel=1e-9)
    assert "<table>" in out._repr_html_() and "owner keeps" in str(out)


def test_collateral_factor_is_not_a_loss():
    """Issue 9: the README seed account keeps ~2.9k at its boundary on Hyperliquid, not 551."""
    from lpperp.collateral import REVERT_LEND_ARBITRUM_WETH_USDC as revert
    from lpperp.venues import get_venue

    short = PerpPosition(-6.667, P0)
    acct = IsolatedAccount(short, LP, collateral=revert, rules=get_venue("hyperliquid"))
    out = acct.liquidation_outcome(P0)
    assert out.trigger_price == pytest.approx(4130.01, abs=0.01)
    assert out.venue_equity == pytest.approx(550.70, abs=0.01)  # the old 'remaining'
    assert out.true_equity == pytest.approx(10_431.55 - 7_533.76, abs=0.02)
    # Hyperliquid's book liquidation: no fee, only the taker fee on the closed notional
    assert out.to_insurance == out.to_liquidator == out.to_backstop == out.bad_debt == 0.0
    assert out.perp_close_cost == pytest.approx(0.00045 * 6.667 * out.trigger_price)
    assert 2_880.0 < out.owner_keeps < 2_898.0
    same_cf1 = replace(acct, collateral=StaticFactor(1.0)).liquidation_outcome(P0, at=out.trigger_price)
    assert same_cf1.true_equity == pytest.approx(out.true_equity, rel=1e-9)  # cf decides when only


def test_no_boundary_keeps_todays_equity():
    acct = IsolatedAccount(None, LP, cash=1000.0)
    out = acct.liquidation_outcome(P0)
    assert np.isnan(out.trigger_price) and out.owner_keeps == pytest.approx(11_000.0)
    assert out.closed_fraction == 0.0 and out.loss == pytest.approx(0.0)


def test_cross_outcome_with_other_markets_counts_them_at_market():
    eth, btc = PerpPosition(-4.0, P0), PerpPosition(0.1, 60_000.0, "BTC")
    x = CrossAccount((eth, btc), (LP,), 500.0, lp_markets=("ETH",), rules=FLAT)
    prices = {"ETH": P0, "BTC": 61_000.0}
    out = x.liquidation_outcome(prices, market="ETH")
    at = out.trigger_price
    assert out.true_equity == pytest.approx(
        LP.value(at) + 500.0 + eth.pnl(at) + btc.pnl(61_000.0), rel=1e-12)
    assert out.venue_equity == pytest.approx(out.maintenance, rel=1e-9)


def test_account_greeks_are_finite_differences_of_equity_at_cf_1():
    acct = IsolatedAccount(PerpPosition(-1.2, 3100.0), LP, cash=300.0)
    p = np.linspace(2000.0, 4500.0, 60)
    h = 1e-3
    fd_delta = (acct.equity(p + h) - acct.equity(p - h)) / (2 * h)
    np.testing.assert_allclose(acct.delta(p), fd_delta, rtol=1e-6, atol=1e-6)
    inside = (p > LP.price_lower + 1) & (p < LP.price_upper - 1)
    hh = 0.5
    fd_gamma = (acct.equity(p + hh) - 2 * acct.equity(p) + acct.equity(p - hh)) / hh**2
    np.testing.assert_allclose(acct.gamma(p)[inside], fd_gamma[inside], rtol=1e-4)
    assert np.all(acct.gamma(p)[~inside] == 0.0)
    # cross, two markets: only the moving market's LP and perps count
    x = CrossAccount((PerpPosition(-1.2, 3100.0), PerpPosition(0.1, 60_000.0, "BTC")), (LP,),
                     lp_markets=("ETH",))
    assert x.delta({"ETH": 3000.0, "BTC": 6e4}, "BTC") == pytest.approx(0.1)
    assert x.delta({"ETH": 3000.0, "BTC": 6e4}) == pytest.approx(acct.delta(3000.0))
    assert x.gamma({"ETH": 3000.0, "BTC": 6e4}, "BTC") == 0.0


def test_leverage_is_renamed_account_leverage_with_a_warning():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), cash=1000.0, rules=FLAT)
    with pytest.warns(DeprecationWarning, match="account_leverage"):
        assert acct.leverage(P0) == acct.account_leverage(P0) == 9.0
    s = acct.summary(P0)
    assert s.account_leverage == 9.0
    with pytest.warns(DeprecationWarning, match="account_leverage"):
        assert s.leverage == 9.0


def test_isolated_vs_cross_what_is_at_risk():
    other = LPPosition.from_deposit(4000.0, P0, width_pct=50)
    cmp = isolated_vs_cross(PerpPosition(-6.0, P0), P0, lp=LP, wallet_lps=(other,),
                            wallet_cash=2000.0, rules=FLAT)
    assert cmp.isolated_at_risk == pytest.approx(10_000.0)
    assert cmp.cross_at_risk == pytest.approx(16_000.0)
    # cross puts more behind the short: liquidated later, but more is exposed
    assert cmp.cross.liquidation_above > cmp.isolated.liquidation_above
    assert cmp.cross.health > cmp.isolated.health
    html = cmp._repr_html_()
    assert "isolated" in html and "cross" in html


def test_summaries_and_reprs():
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    s = acct.summary(P0)
    assert s.health == pytest.approx(acct.health(P0))
    assert s.liquidation_above == pytest.approx(float(acct.liquidation(P0).liquidation_price_above))
    for obj in (s, acct, acct.as_cross()):
        assert obj._repr_html_().startswith("<table>")



def test_summary_reuses_a_solved_liquidation():
    from dataclasses import astuple

    iso = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    eth, btc = PerpPosition(-2.0, P0), PerpPosition(0.1, 60_000.0, "BTC")
    cross = CrossAccount((eth, btc), (LP,), 1000.0, lp_markets=("ETH",), rules=FLAT)
    prices = {"ETH": P0, "BTC": 60_000.0}
    for acct, price, market in ((iso, P0, None), (cross, prices, "ETH"), (cross, prices, "BTC")):
        fresh = acct.summary(price, market)
        reused = acct.summary(price, market, liquidation=acct.liquidation(price, market))
        np.testing.assert_array_equal(astuple(reused), astuple(fresh))  # NaN == NaN here
    with pytest.raises(ValueError, match="solved at price"):
        iso.summary(P0, liquidation=iso.liquidation(3100.0))
    with pytest.raises(ValueError, match="solved at price"):
        cross.summary(prices, "BTC", liquidation=cross.liquidation(prices, "ETH"))
    with pytest.raises(ValueError, match="LiquidationResult"):
        iso.summary(P0, liquidation=3174.6)

def test_bad_input():
    with pytest.raises(ValueError, match="perp"):
        IsolatedAccount("ETH")
    with pytest.raises(ValueError, match="collateral"):
        CrossAccount(lps=(LP, LP), collateral=(StaticFactor(),))
    with pytest.raises(ValueError, match="rules mapping"):
        CrossAccount((PerpPosition(1.0, P0, "BTC"),), rules={"ETH": FLAT})
    with pytest.raises(ValueError, match="price"):
        IsolatedAccount(PerpPosition(1.0, P0)).equity(-1.0)


# --- regressions found in review --------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"wallet_cash": float("nan")}, "wallet_cash must be finite"),  # said "cash"
        ({"wallet_cash": "5000"}, "wallet_cash must be a number"),  # was a TypeError
        ({"price": None}, "price must be a number"),  # was a TypeError
        ({"price": [3000.0, 3100.0]}, "price must be one price"),  # was a TypeError
    ],
)
def test_isolated_vs_cross_bad_input_names_the_argument(kwargs, match):
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    args = {"price": 3000.0, "lp": lp, "wallet_cash": 5_000.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        isolated_vs_cross(PerpPosition(-6.0, 3000.0), **args)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: IsolatedAccount(PerpPosition(-1.0, 3000.0), lp="x"), "lp must be an LPPosition"),
        (lambda: CrossAccount(lps=(1.0,)), "lps must hold LPPosition objects"),
        (lambda: CrossAccount(lps="lp"), "lps must be a tuple of LPPosition"),
        (lambda: CrossAccount(perps=None), "perps must be a tuple of PerpPosition"),
    ],
)
def test_accounts_refuse_non_positions_up_front(make, match):
    """These used to be accepted and fail later with AttributeError/TypeError at first use."""
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda a: a.liquidation_outcome([3000.0, 3100.0]), "one price"),
        (lambda a: a.liquidation_outcome(3000.0, mechanics=3), "mechanics must be"),
        (lambda a: a.liquidation_outcome(3000.0, mechanics="ftx"), "mechanics must be one of"),
        (lambda a: a.gamma(3000.0, market=np.array([])), "market must be a market name"),
        (lambda a: a.max_perp_size(3000.0, side=np.array([])), "side must be one of"),
        (lambda a: a.liquidation(3000.0).safe_intervals(float("nan")), "account index"),
    ],
)
def test_outcome_and_greeks_refuse_bad_arguments_by_name(call, match):
    """Found by tests/test_fuzz.py: these raised IndexError / numpy's ambiguous-truth ValueError."""
    acct = IsolatedAccount(PerpPosition(-6.0, P0), LP, rules=FLAT)
    with pytest.raises(ValueError, match=match):
        call(acct)


@settings(max_examples=30, deadline=None)
@given(isolated(), st.sampled_from(["hyperliquid", "dydx", "gmx", "drift", "binance"]))
def test_outcome_cross_equals_isolated_and_adds_up(acct, venue):
    from lpperp.venues import get_mechanics

    iso = acct.liquidation_outcome(P0, mechanics=venue)
    cross = acct.as_cross().liquidation_outcome(P0, mechanics=get_mechanics(venue))
    a, b = np.array(astuple_floats(iso)), np.array(astuple_floats(cross))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True)
    if np.isfinite(iso.trigger_price):
        parts = (iso.owner_keeps + iso.perp_close_cost + iso.lp_unwind_cost + iso.to_liquidator
                 + iso.to_insurance + iso.to_backstop - iso.bad_debt)
        assert parts == pytest.approx(iso.true_equity, rel=1e-9, abs=1e-6)
        size = acct.perp.size
        assert iso.perp_size_after == pytest.approx((1 - iso.closed_fraction) * size, abs=1e-12)


def astuple_floats(outcome):
    from dataclasses import astuple

    return [x for x in astuple(outcome) if not isinstance(x, str)]


@pytest.mark.parametrize("model", [float("nan"), 0.8, "static", None])
def test_accounts_name_a_collateral_that_is_not_a_model(model):
    """IsolatedAccount(collateral=nan) was accepted and failed later with AttributeError
    'float' has no 'shock_weights' (isolated_vs_cross; found by tests/test_fuzz.py)."""
    perp = PerpPosition(-1.0, 3000.0)
    with pytest.raises(LpperpError, match="collateral must be a collateral model"):
        IsolatedAccount(perp, collateral=model)
    with pytest.raises(LpperpError, match="collateral must be a collateral model"):
        CrossAccount((perp,), (), 0.0, model)
    with pytest.raises(LpperpError, match="collateral must be a collateral model"):
        isolated_vs_cross(perp, 3000.0, collateral=model if model is not None else "x")


@pytest.mark.parametrize("at", ["lp", [], np.array([3000.0, 3100.0]), -1.0, float("nan")])
def test_liquidation_outcome_names_a_bad_trigger_price(at):
    """at='lp' raised numpy's 'could not convert string to float' (found by tests/test_fuzz.py at
    1000 examples)."""
    acct = IsolatedAccount(PerpPosition(-6.0, 3000.0), LPPosition.from_deposit(1e4, 3000.0,
                                                                               width_pct=20))
    with pytest.raises(LpperpError, match="at must be"):
        acct.liquidation_outcome(3000.0, at=at)

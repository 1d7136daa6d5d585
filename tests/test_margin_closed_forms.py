"""Accounts against sums written out by hand (issue 14): equity - maintenance of small accounts,
isolated and cross where they must agree, the tiered initial schedule inverted by hand, the
settlement inputs of several perps in one market, and every bad argument named.

The conventions checked are the module's own (lpperp/margin.py docstring): ``equity = collateral
+ cash + PnL + accrued fees - funding paid``, ``maintenance = sum rules.maintenance_margin(|q| P)``
at the mark, liquidatable iff ``equity < maintenance``, ``health = equity / maintenance``,
``margin_ratio = maintenance / equity`` (Binance's), ``account_leverage = notional / equity``. The
dYdX v4 docs' example (v4-documentation concepts/trading/liquidations: e = 1000, s = -3, p = 3000,
MMF 5 % -> 3174.60) anchors the boundary.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.collateral import StaticFactor, TokenMinFactor
from lpperp.margin import DEFAULT_RULES, CrossAccount, IsolatedAccount, isolated_vs_cross
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.venues import DYDX_MECHANICS, get_mechanics

FLAT = MarginRules("flat", 0.10, 0.05)
#: IM = N r_k - d_k with r = 4 %, 8 %, 16 % from 0, 10k, 50k: d = 0, 400, 4400 (by hand)
TIERED = MarginRules("tiered", 0.04, 0.02, (0.0, 1e4, 5e4), (0.02, 0.04, 0.08), (0.04, 0.08, 0.16))
LP = LPPosition(2500.0, 3600.0, 100.0)  # liquidity 100 over [2500, 3600]


def named(name: str):
    return pytest.raises(LpperpError, match=rf"^{re.escape(name)} must")


def lp_value(price: float) -> float:
    """v3 value of LP at ``price`` by the textbook amounts (Uniswap v3 whitepaper eq. 6.29/6.30)."""
    pa, pb, liq = 2500.0, 3600.0, 100.0
    p = min(max(price, pa), pb)
    base = liq * (1 / np.sqrt(p) - 1 / np.sqrt(pb))
    quote = liq * (np.sqrt(p) - np.sqrt(pa))
    return base * price + quote


# ---------------------------------------------------------------------------------------------
# equity - maintenance of a small account, by hand
# ---------------------------------------------------------------------------------------------


def test_margin_gap_of_a_cash_short_by_hand():
    """-3 ETH at 3000 with 1000 USDC, MMF 5 %: at 3100 equity 1000 - 300 = 700, MM 465."""
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    assert a.equity(3100.0) == pytest.approx(700.0)
    assert a.maintenance_requirement(3100.0) == pytest.approx(465.0)
    assert a.margin_gap(3100.0) == pytest.approx(235.0)
    assert a.initial_requirement(3100.0) == pytest.approx(930.0)
    assert a.free_collateral(3100.0) == pytest.approx(-230.0)
    assert a.health(3100.0) == pytest.approx(700.0 / 465.0)
    assert a.margin_ratio(3100.0) == pytest.approx(465.0 / 700.0)
    assert a.account_leverage(3100.0) == pytest.approx(9300.0 / 700.0)
    assert a.notional(3100.0) == pytest.approx(9300.0) and a.pnl(3100.0) == pytest.approx(-300.0)
    # the docs' boundary 3174.60: equity 1000 - 3 (p - 3000) = 0.15 p
    p = (1000.0 + 9000.0) / (3.0 + 0.15)
    assert round(p, 2) == 3174.60
    assert a.margin_gap(p) == pytest.approx(0.0, abs=1e-9)
    assert a.is_liquidatable(p + 0.01) and not a.is_liquidatable(p - 0.01)
    assert round(float(a.liquidation(3000.0).liquidation_price_above), 2) == 3174.60


def test_margin_gap_with_an_lp_fees_and_funding_by_hand():
    """LP at a 0.7 factor, -200 cash, +25 fees, 40 funding paid, a 1.2 ETH short at 3000."""
    a = IsolatedAccount(PerpPosition(-1.2, 3000.0), LP, -200.0, StaticFactor(0.7), FLAT,
                        accrued_fees=25.0, funding_paid=40.0)
    for p in (2400.0, 2900.0, 3000.0, 3300.0, 3800.0):
        pnl = -1.2 * (p - 3000.0)
        equity = 0.7 * lp_value(p) - 200.0 + pnl + 25.0 - 40.0
        mm = 0.05 * 1.2 * p
        assert a.equity(p) == pytest.approx(equity, rel=1e-12)
        assert a.true_equity(p) == pytest.approx(lp_value(p) - 200.0 + pnl + 25.0 - 40.0,
                                                 rel=1e-12)
        assert a.collateral_value(p) == pytest.approx(0.7 * lp_value(p), rel=1e-12)
        assert a.margin_gap(p) == pytest.approx(equity - mm, rel=1e-12, abs=1e-9)
        assert a.is_liquidatable(p) == (equity < mm)
    prices = np.array([2400.0, 3000.0])
    np.testing.assert_allclose(a.margin_gap(prices), [a.margin_gap(2400.0), a.margin_gap(3000.0)])


def test_isolated_and_cross_agree_on_one_position_and_the_wallet_adds_up():
    iso = IsolatedAccount(PerpPosition(2.0, 3000.0), LP, 150.0, StaticFactor(0.8), TIERED,
                          accrued_fees=5.0, funding_paid=-7.0)
    cross = CrossAccount((PerpPosition(2.0, 3000.0),), (LP,), 150.0, StaticFactor(0.8), TIERED,
                         accrued_fees=5.0, funding_paid=-7.0)
    p = np.array([2000.0, 2900.0, 3000.0, 4100.0])
    for name in ("equity", "true_equity", "margin_gap", "maintenance_requirement",
                 "initial_requirement", "health", "margin_ratio", "account_leverage"):
        np.testing.assert_array_equal(getattr(iso, name)(p), getattr(cross, name)(p), name)
    # a second LP in the cross wallet adds its weighted value and nothing to the requirement
    other = LPPosition(2000.0, 4000.0, 50.0)
    wide = CrossAccount((PerpPosition(2.0, 3000.0),), (LP, other), 150.0,
                        (StaticFactor(0.8), StaticFactor(0.5)), TIERED, accrued_fees=5.0,
                        funding_paid=-7.0)
    np.testing.assert_allclose(wide.equity(p), iso.equity(p) + 0.5 * np.asarray(other.value(p)),
                               rtol=1e-12)
    np.testing.assert_array_equal(wide.maintenance_requirement(p), iso.maintenance_requirement(p))
    assert wide.collateral_for(1).factor(other, 3000.0) == 0.5


def test_cross_two_markets_gap_by_hand():
    eth, btc = PerpPosition(-2.0, 3000.0), PerpPosition(0.5, 60_000.0, "BTC")
    x = CrossAccount((eth, btc), (), 4000.0, rules={"ETH": FLAT, "BTC": TIERED},
                     accrued_fees=10.0, funding_paid=3.0)
    pr = {"ETH": 3200.0, "BTC": 58_000.0}
    equity = 4000.0 - 2.0 * 200.0 + 0.5 * (-2000.0) + 10.0 - 3.0
    mm = 0.05 * 6400.0 + (0.08 * 29_000.0 - 400.0) * 0.5  # tiered MM: 29k is tier 1, rate 4 %
    mm = 0.05 * 6400.0 + (0.04 * 29_000.0 - 1e4 * (0.04 - 0.02))
    assert x.equity(pr) == pytest.approx(equity)
    assert x.maintenance_requirement(pr) == pytest.approx(mm)
    assert x.margin_gap(pr) == pytest.approx(equity - mm)
    assert x.notional(pr) == pytest.approx(6400.0 + 29_000.0)
    assert x.markets == ("BTC", "ETH")
    # the boundary problem along ETH holds BTC's PnL and maintenance in its constant
    prob = x.boundary_problem(pr, "ETH")
    const = 4000.0 + 10.0 - 3.0 + 0.5 * (-2000.0) - (0.04 * 29_000.0 - 200.0)
    assert float(prob.constant_quote) == pytest.approx(const)
    assert prob.perp_sizes.tolist() == [-2.0] and prob.perp_entry_prices.tolist() == [3000.0]
    assert float(prob.price) == 3200.0 and prob.margin_gap is None
    assert prob.tier_rates.tolist() == [0.05]
    along_btc = x.boundary_problem(pr, "BTC")
    assert along_btc.perp_sizes.tolist() == [0.5] and float(along_btc.price) == 58_000.0
    np.testing.assert_allclose(along_btc.tier_rates, [0.02, 0.04, 0.08])


# ---------------------------------------------------------------------------------------------
# health, margin ratio and leverage at the edges
# ---------------------------------------------------------------------------------------------


def test_ratios_where_equity_is_zero_or_negative():
    # equity exactly 0 at 3000: cash 0, short opened at 3000
    a = IsolatedAccount(PerpPosition(-1.0, 3000.0), cash=0.0, rules=FLAT)
    assert a.equity(3000.0) == 0.0
    assert a.margin_ratio(3000.0) == np.inf and a.account_leverage(3000.0) == np.inf
    assert a.health(3000.0) == 0.0  # 0 / 150
    neg = a.margin_ratio(np.array([2900.0, 3100.0]))
    assert neg[0] == pytest.approx(145.0 / 100.0) and neg[1] == np.inf
    lev = a.account_leverage(np.array([2900.0, 3100.0]))
    assert lev[0] == pytest.approx(29.0) and lev[1] == np.inf
    # no position: maintenance 0, health +inf with equity >= 0, -inf below
    none = IsolatedAccount(None, cash=0.0)
    assert none.health(3000.0) == np.inf and none.margin_ratio(3000.0) == np.inf
    assert IsolatedAccount(None, cash=5.0).margin_ratio(3000.0) == 0.0
    assert IsolatedAccount(None, cash=-1.0).health(3000.0) == -np.inf
    assert none.account_leverage(3000.0) == np.inf  # equity 0: nothing backs a notional of 0
    assert IsolatedAccount(None, cash=5.0).account_leverage(3000.0) == 0.0


def test_results_are_floats_for_one_price_and_arrays_for_many():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    for name in ("equity", "margin_gap", "health", "margin_ratio", "account_leverage",
                 "notional", "pnl", "maintenance_requirement", "true_equity"):
        one = getattr(a, name)(3000.0)
        assert isinstance(one, float) and not isinstance(one, np.ndarray), name
        assert getattr(a, name)([3000.0, 3100.0]).shape == (2,), name
    assert a.is_liquidatable(3000.0) is False
    assert a.is_liquidatable([3000.0, 3200.0]).tolist() == [False, True]


# ---------------------------------------------------------------------------------------------
# sizing: the tiered initial schedule inverted by hand
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cash", "notional"), [(300.0, 7_500.0), (1_000.0, 17_500.0),
                                                (5_000.0, 58_750.0), (0.0, 0.0), (-50.0, 0.0)])
def test_max_perp_size_on_the_tiered_schedule_by_hand(cash, notional):
    """IM = 0.04 N (N < 10k), 0.08 N - 400 (< 50k), 0.16 N - 4400: N = (budget + d_k) / r_k."""
    a = IsolatedAccount(None, cash=cash, rules=TIERED)
    assert a.max_perp_size(2500.0) == pytest.approx(notional / 2500.0, abs=1e-12)
    assert a.max_perp_size(2500.0, side=-1) == pytest.approx(-notional / 2500.0, abs=1e-12)
    lev = a.max_leverage(2500.0)
    assert lev == (pytest.approx(notional / cash) if cash > 0 else 0.0)
    x = CrossAccount(cash=cash, rules=TIERED)
    assert x.max_perp_size(2500.0) == pytest.approx(notional / 2500.0, abs=1e-12)
    assert x.max_perp_size(2500.0, side=-1) == pytest.approx(-notional / 2500.0, abs=1e-12)
    assert x.max_leverage(2500.0) == (pytest.approx(notional / cash) if cash > 0 else 0.0)


def test_max_perp_size_ignores_the_existing_perp_of_an_isolated_account():
    """Isolated: the budget is the equity without the perp (it would be replaced)."""
    a = IsolatedAccount(PerpPosition(5.0, 2000.0), cash=1000.0, rules=FLAT)
    assert a.max_perp_size(2500.0) == pytest.approx(1000.0 / 0.1 / 2500.0)
    assert a.max_leverage(2500.0) == pytest.approx(10.0)


def test_cross_max_perp_size_in_another_market_uses_the_free_collateral():
    eth = PerpPosition(1.0, 3000.0)
    x = CrossAccount((eth,), (), 2000.0, rules={"ETH": FLAT, "BTC": TIERED})
    pr = {"ETH": 3000.0}
    free = 2000.0 - 300.0  # 10 % IM of the ETH perp
    assert x.max_perp_size(pr, "ETH") == pytest.approx(free / 0.1 / 3000.0)
    assert x.max_leverage(pr, "ETH") == pytest.approx(free / 0.1 / free)
    with pytest.raises(LpperpError, match="market 'BTC' has no price"):
        x.max_perp_size(pr, "BTC")
    two = CrossAccount((eth, PerpPosition(0.0, 60_000.0, "BTC")), (), 2000.0,
                       rules={"ETH": FLAT, "BTC": TIERED})
    pr2 = {"ETH": 3000.0, "BTC": 50_000.0}
    # BTC budget 1700 on the tiered schedule: tier 1, (1700 + 400) / 0.08 = 26,250 notional
    assert two.max_perp_size(pr2, "BTC") == pytest.approx(26_250.0 / 50_000.0)
    assert two.max_leverage(pr2, "BTC") == pytest.approx(26_250.0 / 1700.0)
    assert two.max_perp_size(pr2) == pytest.approx(free / 0.1 / 3000.0)  # first perp's market


# ---------------------------------------------------------------------------------------------
# settlement inputs: several perps in the moving market
# ---------------------------------------------------------------------------------------------


def test_outcome_with_two_perps_in_one_market_nets_them_at_the_weighted_entry():
    """-2 @ 3000 and -1 @ 3300 are one -3 short at (2 * 3000 + 3300) / 3 = 3100."""
    two = CrossAccount((PerpPosition(-2.0, 3000.0), PerpPosition(-1.0, 3300.0)), (), 1500.0,
                       rules=FLAT)
    one = CrossAccount((PerpPosition(-3.0, 3100.0),), (), 1500.0, rules=FLAT)
    np.testing.assert_allclose(two.equity([3000.0, 3200.0]), one.equity([3000.0, 3200.0]))
    a, b = two.liquidation_outcome(3000.0), one.liquidation_outcome(3000.0)
    assert a.trigger_price == pytest.approx(b.trigger_price, rel=1e-12)
    assert a.owner_keeps == pytest.approx(b.owner_keeps, rel=1e-9)
    assert a.perp_size_after == pytest.approx(b.perp_size_after, abs=1e-12)


def test_outcome_with_perps_that_net_to_zero_keeps_their_pnl_in_cash():
    """+1 @ 2800 and -1 @ 3000 in ETH: no net size; their PnL (200) is cash at any price, while
    each still carries maintenance: 0.05 (P + P) + 0.05 * 30,000 = 2,200 at P = 7,000."""
    x = CrossAccount((PerpPosition(1.0, 2800.0), PerpPosition(-1.0, 3000.0),
                      PerpPosition(-0.5, 60_000.0, "BTC")), (), 2000.0, rules=FLAT)
    pr = {"ETH": 3000.0, "BTC": 60_000.0}
    out = x.liquidation_outcome(pr, market="ETH")
    assert out.trigger_price == pytest.approx(7000.0, rel=1e-12)
    assert out.true_equity == pytest.approx(2200.0) and out.perp_pnl == pytest.approx(200.0)
    assert out.maintenance == pytest.approx(2200.0) and out.perp_size_after == 0.0
    assert out.owner_keeps == pytest.approx(2200.0 - out.to_insurance - out.perp_close_cost)
    along_btc = x.liquidation_outcome(pr, market="BTC")
    p = along_btc.trigger_price
    assert along_btc.true_equity == pytest.approx(2200.0 - 0.5 * (p - 60_000.0), rel=1e-12)


def test_outcome_at_a_given_price_with_named_mechanics():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    out = a.liquidation_outcome(3000.0, at=3200.0, mechanics="gmx")
    assert out.trigger_price == 3200.0 and out.venue == "GMX v2"
    assert out.true_equity == pytest.approx(400.0)
    assert out.maintenance == pytest.approx(480.0) and out.venue_equity == pytest.approx(400.0)
    assert out.perp_pnl == pytest.approx(-600.0) and out.cash == 1000.0
    assert out.equity_now == pytest.approx(1000.0)
    assert out.to_insurance == pytest.approx(0.002 * 9600.0)
    same = a.liquidation_outcome(3000.0, at=3200.0, mechanics=get_mechanics("gmx"))
    assert same == out
    dydx = a.liquidation_outcome(3000.0, at=3200.0, mechanics=DYDX_MECHANICS)
    assert dydx.venue == "dYdX v4"
    # liquidatable now: the trigger is today's price
    now = a.liquidation_outcome(3300.0)
    assert now.trigger_price == 3300.0


def test_outcome_picks_the_nearer_boundary_in_log_distance():
    """A long LP hedged by a short has a boundary below and above; the nearer one is taken."""
    lp = LPPosition(2000.0, 4500.0, 2000.0)
    a = IsolatedAccount(PerpPosition(-0.5, 3000.0), lp, -9_000.0, rules=FLAT)
    res = a.liquidation(3000.0)
    lo, hi = float(res.liquidation_price_below), float(res.liquidation_price_above)
    assert np.isfinite(lo) and np.isfinite(hi)
    want = min((lo, hi), key=lambda x: abs(np.log(x / 3000.0)))
    assert a.liquidation_outcome(3000.0).trigger_price == pytest.approx(want)


# ---------------------------------------------------------------------------------------------
# isolated_vs_cross by hand
# ---------------------------------------------------------------------------------------------


def test_isolated_vs_cross_at_risk_and_outcomes_by_hand():
    cmp = isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, cash=800.0, wallet_cash=1200.0,
                            rules=FLAT)
    assert cmp.price == 3000.0
    assert cmp.isolated_at_risk == 800.0 and cmp.cross_at_risk == 2000.0
    # boundaries: equity c - 2 (p - 3000) = 0.1 p  ->  p = (c + 6000) / 2.1
    assert cmp.isolated.liquidation_above == pytest.approx(6800.0 / 2.1)
    assert cmp.cross.liquidation_above == pytest.approx(8000.0 / 2.1)
    assert cmp.isolated_outcome.trigger_price == pytest.approx(6800.0 / 2.1)
    assert cmp.cross_outcome.trigger_price == pytest.approx(8000.0 / 2.1)
    broke = isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, cash=-100.0, rules=FLAT)
    assert broke.isolated_at_risk == 0.0 and broke.cross_at_risk == 0.0
    weighted = isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, lp=LP, rules=FLAT,
                                 collateral=StaticFactor(0.5))
    assert weighted.isolated.equity == pytest.approx(0.5 * lp_value(3000.0))
    default = isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, lp=LP)
    assert default.isolated.equity == pytest.approx(lp_value(3000.0))  # factor 1 by default
    assert default.isolated.maintenance == pytest.approx(0.02 * 6000.0)  # DEFAULT_RULES: 2 %


# ---------------------------------------------------------------------------------------------
# bad arguments named
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["cash", "accrued_fees", "funding_paid"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, "1"])
def test_account_amounts_are_checked_by_name(field, bad):
    with pytest.raises(LpperpError, match=rf"^{field} must be"):
        IsolatedAccount(None, **{field: bad})
    with pytest.raises(LpperpError, match=rf"^{field} must be"):
        CrossAccount(**{field: bad})


def test_account_amounts_become_floats():
    a = IsolatedAccount(None, cash=3, accrued_fees=np.float32(2.5), funding_paid=1)
    assert type(a.cash) is float and type(a.accrued_fees) is float and a.funding_paid == 1.0
    x = CrossAccount(cash=np.int64(3), accrued_fees=2, funding_paid=np.float32(1.5))
    assert type(x.cash) is float and type(x.accrued_fees) is float and type(x.funding_paid) is float


def test_isolated_account_checks():
    with pytest.raises(LpperpError, match=r"^perp must be a PerpPosition or None, got str"):
        IsolatedAccount("ETH")
    with pytest.raises(LpperpError, match=r"^rules must be a MarginRules, got dict"):
        IsolatedAccount(None, rules={"ETH": FLAT})
    a = IsolatedAccount(PerpPosition(1.0, 3000.0, "BTC"), cash=10.0)
    assert a.market == "BTC" and IsolatedAccount().market == "ETH"
    with pytest.raises(LpperpError, match=r"^price mapping has no entry for market 'BTC'"):
        a.equity({"ETH": 3000.0})
    assert a.equity({"BTC": 3100.0, "ETH": 1.0}) == pytest.approx(110.0)
    with pytest.raises(LpperpError, match=r"^market must be 'BTC' for this account, got 'ETH'"):
        a.delta(3000.0, "ETH")
    with pytest.raises(LpperpError, match=r"^market must be 'BTC' for this account, got 'ETH'"):
        a.boundary_problem(3000.0, "ETH")
    assert a.delta(3000.0, "BTC") == 1.0
    with named("price"):
        a.equity(0.0)
    with pytest.raises(LpperpError, match=r"^side must be one of 1, -1"):
        a.max_perp_size(3000.0, side=2)
    with pytest.raises(LpperpError, match=r"^side must be one of 1, -1"):
        a.max_perp_size(3000.0, side=True)
    assert a.max_perp_size(3000.0, side=np.int64(-1)) < 0


def test_cross_account_checks():
    with pytest.raises(LpperpError, match=r"^collateral must be one model or one per LP \(2\), got 1"):
        CrossAccount(lps=(LP, LP), collateral=(StaticFactor(),))
    with pytest.raises(LpperpError, match=r"^collateral\[1\] must be a collateral model"):
        CrossAccount(lps=(LP, LP), collateral=(StaticFactor(), 0.5))
    with pytest.raises(LpperpError, match=r"^lp_markets is required when the perps span several"):
        CrossAccount((PerpPosition(1.0, 1.0), PerpPosition(1.0, 1.0, "BTC")), (LP,))
    with pytest.raises(LpperpError, match=r"^lp_markets must name one market per LP"):
        CrossAccount(lps=(LP,), lp_markets=("ETH", "BTC"))
    with pytest.raises(LpperpError, match=r"^rules mapping has no MarginRules for markets \['BTC'\]"):
        CrossAccount((PerpPosition(1.0, 1.0, "BTC"),), rules={"ETH": FLAT})
    with pytest.raises(LpperpError, match=r"^rules must be MarginRules or a mapping, got str"):
        CrossAccount(rules="flat")
    # perps in several markets without LPs need no lp_markets; the LPs default to the first perp's
    x = CrossAccount((PerpPosition(1.0, 1.0, "SOL"), PerpPosition(1.0, 1.0, "BTC")))
    assert x.lp_markets == () and x.markets == ("BTC", "SOL")
    y = CrossAccount((PerpPosition(1.0, 1.0, "SOL"),), (LP, LP), collateral=[StaticFactor(0.5),
                                                                            TokenMinFactor(0.8, 0.9)])
    assert y.lp_markets == ("SOL", "SOL") and isinstance(y.collateral, tuple)
    assert y.perps == (PerpPosition(1.0, 1.0, "SOL"),) and isinstance(y.lps, tuple)
    z = CrossAccount(perps=[PerpPosition(1.0, 1.0)], lps=[LP], lp_markets=["ETH"])
    assert isinstance(z.perps, tuple) and z.lp_markets == ("ETH",)
    assert CrossAccount().markets == () and CrossAccount().rules is DEFAULT_RULES


def test_cross_prices_are_checked_by_market():
    x = CrossAccount((PerpPosition(-1.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")), (), 1000.0)
    with pytest.raises(LpperpError, match=r"^price\['BTC'\] must be a finite number > 0"):
        x.equity({"ETH": 3000.0, "BTC": -1.0})
    with pytest.raises(LpperpError, match=r"^price mapping lacks markets \['BTC'\]"):
        x.equity({"ETH": 3000.0})
    with pytest.raises(LpperpError, match=r"^this account spans markets"):
        x.equity(3000.0)
    with pytest.raises(LpperpError, match=r"^this account spans markets"):
        x.boundary_problem(3000.0)
    with pytest.raises(LpperpError, match=r"^market must be one of \('BTC', 'ETH'\), got 'SOL'"):
        x.delta({"ETH": 3000.0, "BTC": 6e4}, "SOL")
    with pytest.raises(LpperpError, match=r"^market must be a market name"):
        x.delta({"ETH": 3000.0, "BTC": 6e4}, 3)
    # default moving market with several: the first perp's
    assert x.delta({"ETH": 3000.0, "BTC": 6e4}) == -1.0
    one = CrossAccount((PerpPosition(-1.0, 3000.0, "SOL"),), (), 10.0)
    with pytest.raises(LpperpError, match=r"^market must be one of \('SOL',\), got 'ETH'"):
        one.delta(3000.0, "ETH")
    assert one.delta(3000.0) == -1.0 and one.delta({"SOL": 3000.0}, "SOL") == -1.0


# ---------------------------------------------------------------------------------------------
# what is reported: outcome without a boundary, summary, tables
# ---------------------------------------------------------------------------------------------


def test_outcome_without_a_boundary_reports_today_field_by_field():
    a = IsolatedAccount(PerpPosition(0.0, 3000.0), LP, 500.0, StaticFactor(0.5), FLAT,
                        accrued_fees=20.0, funding_paid=5.0)
    out = a.liquidation_outcome(3000.0)
    want_true = lp_value(3000.0) + 500.0 + 20.0 - 5.0
    assert np.isnan(out.trigger_price) and np.isnan(out.maintenance)
    assert np.isnan(out.venue_equity)
    assert out.true_equity == pytest.approx(want_true) and out.equity_now == out.true_equity
    assert out.owner_keeps == out.true_equity
    assert out.lp_value == pytest.approx(lp_value(3000.0)) and out.cash == 500.0
    assert out.perp_pnl == 0.0 and out.fees == 20.0 and out.funding_paid == 5.0
    assert (out.perp_close_cost, out.lp_unwind_cost, out.to_liquidator, out.to_insurance,
            out.to_backstop, out.bad_debt, out.closed_fraction) == (0.0,) * 7
    assert out.perp_size_after == 0.0 and out.venue == "flat (generic)"


def test_outcome_at_a_boundary_reports_the_inputs_field_by_field():
    a = IsolatedAccount(PerpPosition(-1.0, 3000.0), LP, -100.0, StaticFactor(0.5), FLAT,
                        accrued_fees=20.0, funding_paid=5.0)
    out = a.liquidation_outcome(3000.0, at=3400.0)
    assert out.lp_value == pytest.approx(lp_value(3400.0)) and out.cash == -100.0
    assert out.perp_pnl == pytest.approx(-400.0) and out.fees == 20.0 and out.funding_paid == 5.0
    assert out.true_equity == pytest.approx(lp_value(3400.0) - 100.0 - 400.0 + 20.0 - 5.0)
    assert out.venue_equity == pytest.approx(0.5 * lp_value(3400.0) - 100.0 - 400.0 + 15.0)
    assert out.maintenance == pytest.approx(0.05 * 3400.0)
    assert out.equity_now == pytest.approx(lp_value(3000.0) - 100.0 + 15.0)
    assert out.closed_fraction == 1.0 and out.perp_size_after == 0.0
    half = a.liquidation_outcome(3000.0, at=3400.0, mechanics="hyperliquid")
    assert half.closed_fraction == 1.0 and half.venue == "Hyperliquid"


def test_summary_field_by_field():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    s = a.summary(3100.0)
    assert (s.equity, s.maintenance, s.initial) == pytest.approx((700.0, 465.0, 930.0))
    assert s.free_collateral == pytest.approx(-230.0)
    assert s.health == pytest.approx(700.0 / 465.0)
    assert s.account_leverage == pytest.approx(9300.0 / 700.0)
    assert s.liquidation_above == pytest.approx(10_000.0 / 3.15)
    assert np.isnan(s.liquidation_below) and s.liquidatable is False
    assert s.distance_pct == pytest.approx(100.0 * (10_000.0 / 3.15 / 3100.0 - 1.0), rel=1e-9)
    assert IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT).summary(
        3300.0).liquidatable is True


def test_tables_name_the_positions():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), LP, 250.0, rules=FLAT)
    html = a._repr_html_()
    for text in ("isolated", "-3 ETH @ 3000", "[2500, 3600] L=100", "250", "flat"):
        assert text in html, text
    empty = IsolatedAccount()._repr_html_()
    assert empty.count("none") == 2
    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.5, 6e4, "BTC")), (LP,), 250.0,
                     lp_markets=("ETH",))._repr_html_()
    for text in ("cross", "perp ETH", "-3 @ 3000", "perp BTC", "+0.5 @ 60000", "LP ETH",
                 "[2500, 3600] L=100", "250"):
        assert text in x, text


def test_a_factor_without_closed_form_uses_the_accounts_own_gap():
    """A FunctionFactor has no shock weights: the solver gets margin_gap and finds equity ==
    maintenance (FunctionFactor docstring: a dense log grid polished with brentq)."""
    from lpperp.collateral import FunctionFactor

    ramp = FunctionFactor(lambda p: np.clip(p / 6000.0, 0.0, 0.9), name="ramp")
    a = IsolatedAccount(PerpPosition(-1.0, 3000.0), LP, 0.0, ramp, FLAT, accrued_fees=10.0,
                        funding_paid=4.0)
    prob = a.boundary_problem(3000.0)
    assert prob.margin_gap is not None
    grid = np.array([2000.0, 3000.0, 4200.0])
    np.testing.assert_allclose(prob.margin_gap(grid), a.margin_gap(grid), rtol=1e-12)
    res = a.liquidation(3000.0)
    for b in np.asarray(res.boundaries).ravel():
        if np.isfinite(b):
            assert a.margin_gap(b) == pytest.approx(0.0, abs=1e-6 * a.maintenance_requirement(b))
    x = CrossAccount((PerpPosition(-1.0, 3000.0), PerpPosition(0.2, 6e4, "BTC")), (LP,), 100.0,
                     ramp, FLAT, lp_markets=("ETH",), funding_paid=3.0)
    pr = {"ETH": 3000.0, "BTC": 61_000.0}
    gap = x.boundary_problem(pr, "ETH").margin_gap
    np.testing.assert_allclose(gap(grid), [x.margin_gap({"ETH": g, "BTC": 61_000.0})
                                           for g in grid], rtol=1e-12)


def table_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", html)


def test_tables_row_by_row():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), LP, 250.0, rules=FLAT)
    assert table_rows(a._repr_html_()) == [("mode", "isolated"), ("perp", "-3 ETH @ 3000"),
                                           ("LP", "[2500, 3600] L=100"), ("cash", "250.00"),
                                           ("rules", "flat")]
    assert table_rows(IsolatedAccount()._repr_html_())[1:3] == [("perp", "none"), ("LP", "none")]
    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.5, 6e4, "BTC")), (LP,), 250.0,
                     lp_markets=("ETH",))
    assert table_rows(x._repr_html_()) == [("mode", "cross"), ("cash", "250.00"),
                                           ("perp ETH", "-3 @ 3000"), ("perp BTC", "+0.5 @ 60000"),
                                           ("LP ETH", "[2500, 3600] L=100")]


def test_renamed_leverage_warns_at_the_callers_line(monkeypatch):
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    callers = []

    def spy(self, price):  # called from leverage's body: its caller is two frames up
        f = sys._getframe(2)
        callers.append((f.f_code.co_filename, f.f_lineno))
        return 9.0

    monkeypatch.setattr(IsolatedAccount, "account_leverage", spy)
    with pytest.warns(DeprecationWarning) as rec:
        assert a.leverage(3000.0) == 9.0
    # the warning points at the frame that called the method (this test; under mutmut the
    # trampoline that calls the method body), not at lpperp/margin.py nor one frame further up
    assert (rec[0].filename, rec[0].lineno) == callers[0]
    if not hasattr(IsolatedAccount.leverage, "__wrapped__"):  # not under mutmut
        assert rec[0].filename == __file__
    assert str(rec[0].message) == (
        "account.leverage(price) is renamed account_leverage(price) (notional / equity); "
        "'leverage' now means perp notional at entry / LP deposit at entry")


def test_distance_to_liquidation_by_hand():
    """dYdX docs' short: boundary 3174.60 from 3000, a 5.82 % move; 0 when liquidatable now."""
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    assert a.distance_to_liquidation(3000.0) == pytest.approx(100 * (10_000 / 3.15 / 3000 - 1))
    assert a.distance_to_liquidation(3300.0) == 0.0
    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")), (), 1000.0,
                     rules=FLAT)
    pr = {"ETH": 3000.0, "BTC": 6e4}
    # along ETH: 1000 - 3 (p - 3000) = 0.15 p + 300 (BTC's maintenance)  ->  p = 9700 / 3.15
    assert x.distance_to_liquidation(pr, "ETH") == pytest.approx(100 * (9700 / 3.15 / 3000 - 1))
    # along BTC: 1000 + 0.1 (b - 60000) = 450 + 0.005 b  ->  b = 5450 / 0.095
    assert x.distance_to_liquidation(pr, "BTC") == pytest.approx(100 * (1 - 5450 / 0.095 / 6e4))


def test_summary_checks_the_liquidation_was_solved_at_its_price():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    for other in (3000.5, 3000.01, 3000.0 * (1 + 1e-9)):
        with pytest.raises(LpperpError, match=r"^liquidation was solved at price"):
            a.summary(3000.0, liquidation=a.liquidation(other))
    assert a.summary(3000, liquidation=a.liquidation(3000.0)).equity == 1000.0
    tiny = IsolatedAccount(PerpPosition(-3.0, 1e-9), cash=1e-9, rules=FLAT)
    with pytest.raises(LpperpError, match=r"^liquidation was solved at price"):
        tiny.summary(1e-9, liquidation=tiny.liquidation(2e-9))
    # a cross account over two markets: without a market the mapping's prices are candidates
    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")), (), 1000.0,
                     rules=FLAT)
    pr = {"ETH": 3000.0, "BTC": 6e4}
    s = x.summary(pr, liquidation=x.liquidation(pr))
    assert s.liquidation_above == pytest.approx(9700 / 3.15)
    with pytest.raises(LpperpError, match=r"^liquidation was solved at price"):
        x.summary(pr, liquidation=x.liquidation({"ETH": 3100.0, "BTC": 6e4}))


def test_mechanics_default_to_the_moving_markets_rules():
    from lpperp.venues import get_venue

    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")),
                     (LP, LP), 1000.0, rules={"ETH": get_venue("gmx"), "BTC": get_venue("dydx")},
                     lp_markets=("ETH", "SOL"))
    pr = {"ETH": 3000.0, "BTC": 6e4, "SOL": 150.0}
    assert x.liquidation_outcome(pr, market="ETH").venue == "GMX v2"
    assert x.liquidation_outcome(pr, market="BTC").venue == "dYdX v4"
    assert x.liquidation_outcome(pr).venue == "GMX v2"  # the first perp's market
    # SOL holds only an LP: no rules there, the default rules' generic mechanics
    assert x.liquidation_outcome(pr, market="SOL").venue == f"{DEFAULT_RULES.name} (generic)"


@pytest.mark.parametrize("cash", [0.5, 0.0, -3.0])
def test_max_leverage_of_small_budgets_is_quiet(cash):
    """A budget under one quote unit still has the rules' leverage; none has 0 (no 0 / 0)."""
    import warnings

    want = 10.0 if cash > 0 else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert IsolatedAccount(None, cash=cash, rules=FLAT).max_leverage(2000.0) == want
        assert CrossAccount(cash=cash, rules=FLAT).max_leverage(2000.0) == want


def test_cross_max_leverage_price_forms():
    x = CrossAccount(cash=1000.0, rules=FLAT)
    assert x.max_leverage(2000.0, "BTC") == pytest.approx(10.0)
    assert x.max_leverage({"ETH": 2000.0}) == pytest.approx(10.0)
    two = CrossAccount((PerpPosition(1.0, 3000.0), PerpPosition(0.0, 60_000.0, "BTC")), (), 2000.0,
                       rules={"ETH": FLAT, "BTC": TIERED})
    pr = {"ETH": 3000.0, "BTC": 50_000.0}
    assert two.max_leverage(pr) == pytest.approx(10.0)  # the first perp's market, ETH
    assert two.max_leverage(pr, "BTC") == pytest.approx(26_250.0 / 1700.0)


def test_isolated_vs_cross_without_wallet_puts_the_same_at_risk():
    cmp = isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, cash=800.0, rules=FLAT)
    assert cmp.isolated_at_risk == cmp.cross_at_risk == 800.0
    assert cmp.cross.liquidation_above == pytest.approx(cmp.isolated.liquidation_above)
    with pytest.raises(LpperpError, match=r"^wallet_cash must be a scalar"):
        isolated_vs_cross(PerpPosition(-2.0, 3000.0), 3000.0, wallet_cash=[1.0, 2.0])


def test_summary_refuses_a_liquidation_of_many_prices_or_a_price_that_is_not_a_number():
    a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT)
    with pytest.raises(LpperpError, match=r"^liquidation was solved at price"):
        a.summary(3000.0, liquidation=a.liquidation([3000.0, 3100.0]))
    with pytest.raises(LpperpError, match=r"^price must be a number"):
        a.summary("3000", liquidation=a.liquidation(3000.0))


@pytest.mark.parametrize("venue", ["dydx", "drift", "hyperliquid"])
@pytest.mark.parametrize("scale", [1.0, 1e-4])
def test_two_perps_settle_like_one_at_their_weighted_entry(venue, scale):
    """-2 @ 2800 and -1 @ 3100 are one -3 short at 2900 for every venue's mechanics (dYdX's
    fillable-price spread and Drift's shortage cover depend on how the PnL is split between the
    perp and the cash), also at prices below one quote unit. Cash puts the trigger 3100 on the
    boundary: cash = maintenance - LP value - PnL there."""
    lp = LPPosition(2500.0 * scale, 3600.0 * scale, 150.0 * np.sqrt(scale))
    perps = (PerpPosition(-2.0, 2800.0 * scale), PerpPosition(-1.0, 3100.0 * scale))
    at = 3100.0 * scale
    cash = 0.05 * 3.0 * at - float(lp.value(at)) - (-2.0 * 300.0 * scale)
    two = CrossAccount(perps, (lp,), cash, rules=FLAT)
    one = CrossAccount((PerpPosition(-3.0, 2900.0 * scale),), (lp,), cash, rules=FLAT)
    assert two.margin_gap(at) == pytest.approx(0.0, abs=1e-9 * at)
    a = two.liquidation_outcome(3000.0 * scale, at=at, mechanics=venue)
    b = one.liquidation_outcome(3000.0 * scale, at=at, mechanics=venue)
    for field in ("true_equity", "owner_keeps", "to_liquidator", "to_insurance", "lp_unwind_cost",
                  "closed_fraction", "bad_debt"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9,
                                                  abs=1e-12 * scale), field


def test_perps_whose_weighted_entry_is_zero_settle_at_the_mark():
    """+1 @ 3000 and -2 @ 1500: sum(size * entry) = 0, net -1: no entry price, PnL in cash."""
    x = CrossAccount((PerpPosition(1.0, 3000.0), PerpPosition(-2.0, 1500.0)), (), 5000.0,
                     rules=FLAT)
    out = x.liquidation_outcome(3000.0, at=3500.0)
    pnl = 1.0 * 500.0 - 2.0 * 2000.0
    assert out.perp_pnl == pytest.approx(pnl)
    assert out.true_equity == pytest.approx(5000.0 + pnl)
    assert out.perp_size_after == 0.0


def test_outcome_counts_owed_fees_and_other_markets_lps():
    sol_lp = LPPosition(100.0, 200.0, 300.0)
    x = CrossAccount((PerpPosition(-3.0, 3000.0),), (LP, sol_lp), 500.0, rules=FLAT,
                     lp_markets=("ETH", "SOL"), accrued_fees=-50.0, funding_paid=10.0)
    pr = {"ETH": 3000.0, "SOL": 150.0}
    out = x.liquidation_outcome(pr, at=3300.0)
    sol_value = 300.0 * (1 / np.sqrt(150.0) - 1 / np.sqrt(200.0)) * 150.0 + 300.0 * (
        np.sqrt(150.0) - 10.0)
    want = lp_value(3300.0) + sol_value + 500.0 - 900.0 - 50.0 - 10.0
    assert out.true_equity == pytest.approx(want, rel=1e-12)
    assert out.lp_value == pytest.approx(lp_value(3300.0) + sol_value, rel=1e-12)


def test_an_lp_backed_short_is_unwound_through_the_pool_and_default_gas_is_zero():
    a = IsolatedAccount(PerpPosition(-4.0, 3000.0), LP, -1000.0, rules=FLAT)
    out = a.liquidation_outcome(3000.0)
    assert out.lp_unwind_cost > 0  # the loss is paid by selling the LP's base
    assert out == a.liquidation_outcome(3000.0, gas_quote=0.0)
    assert a.liquidation_outcome(3000.0, gas_quote=5.0).lp_unwind_cost == pytest.approx(
        out.lp_unwind_cost + 5.0)


def test_outcome_along_the_second_market():
    x = CrossAccount((PerpPosition(-3.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")), (), 1000.0,
                     rules=FLAT)
    pr = {"ETH": 3000.0, "BTC": 6e4}
    out = x.liquidation_outcome(pr, market="BTC")
    b = 5450 / 0.095
    assert out.trigger_price == pytest.approx(b)
    assert out.true_equity == pytest.approx(1000.0 + 0.1 * (b - 6e4))
    assert out.equity_now == pytest.approx(1000.0) and out.perp_pnl == pytest.approx(
        0.1 * (b - 6e4))
    assert out.perp_size_after == pytest.approx(0.0)
    with pytest.raises(LpperpError, match=r"^price must be one price"):
        x.liquidation_outcome({"ETH": 3000.0, "BTC": np.array([6e4, 6.1e4])}, market="BTC")
    rich = CrossAccount((PerpPosition(-1.0, 3000.0), PerpPosition(0.1, 6e4, "BTC")), (), 1e5,
                        rules=FLAT)
    none = rich.liquidation_outcome(pr, market="BTC")
    assert np.isnan(none.trigger_price) and none.perp_size_after == 0.1


def test_outcome_of_a_token_priced_below_one():
    """The docs' short scaled by 1e-4: boundary 0.31746 (a price below 1 is still a boundary)."""
    a = IsolatedAccount(PerpPosition(-3.0, 0.3), cash=0.1, rules=FLAT)
    assert a.liquidation_outcome(0.3).trigger_price == pytest.approx(1.0 / 3.15)


class _ByRange:
    """A collateral model whose weights depend on the LP it is given (the protocol passes it):
    cf 0.9 for a range starting at or above 2,600, else 0.6."""

    def _cf(self, lp):
        return 0.9 if lp.price_lower >= 2600.0 else 0.6

    def factor(self, lp, price):
        return self._cf(lp) + 0.0 * np.asarray(price)

    def collateral_value(self, lp, price):
        return self._cf(lp) * np.asarray(lp.value(price))

    def shock_weights(self, lp):
        return 1.0, self._cf(lp), self._cf(lp)


def test_boundary_problem_weights_each_lp_with_its_own_model():
    sol = LPPosition(100.0, 200.0, 300.0)
    narrow = LPPosition(2700.0, 3300.0, 80.0)
    x = CrossAccount((PerpPosition(-2.0, 3000.0),), (sol, LP, narrow), 400.0,
                     collateral=(StaticFactor(0.5), StaticFactor(0.8), _ByRange()), rules=FLAT,
                     lp_markets=("SOL", "ETH", "ETH"), accrued_fees=6.0, funding_paid=2.0)
    pr = {"ETH": 3000.0, "SOL": 150.0}
    prob = x.boundary_problem(pr, "ETH")
    assert prob.margin_gap is None
    assert prob.price_lower.tolist() == [2500.0, 2700.0]
    assert prob.liquidity.tolist() == [100.0, 80.0]
    assert prob.shock.tolist() == [1.0, 1.0]
    assert prob.base_factor.tolist() == [0.8, 0.9] and prob.quote_factor.tolist() == [0.8, 0.9]
    sol_value = float(sol.value(150.0))
    assert float(prob.constant_quote) == pytest.approx(400.0 + 6.0 - 2.0 + 0.5 * sol_value)
    # the solved boundary puts equity on maintenance
    for b in np.asarray(x.liquidation(pr, "ETH").boundaries).ravel():
        if np.isfinite(b):
            assert x.margin_gap({"ETH": b, "SOL": 150.0}) == pytest.approx(0.0, abs=1e-7 * b)
    one = CrossAccount((PerpPosition(-2.0, 3000.0),), (LP,), 400.0, collateral=(_ByRange(),),
                       rules=FLAT)
    assert one.boundary_problem(3000.0).base_factor.tolist() == [0.6]


def test_sizing_at_a_tier_floor_for_many_prices_and_at_1x():
    # a budget of exactly IM(10k) = 400 sits on the tier floor: 10,000 of notional
    assert IsolatedAccount(None, cash=400.0, rules=TIERED).max_perp_size(2000.0) == pytest.approx(5.0)
    # an LP budget that varies with price: each price sized on its own
    a = IsolatedAccount(None, LP, 50.0, rules=TIERED)
    prices = np.array([2600.0, 3000.0, 3400.0])
    sizes = a.max_perp_size(prices)
    np.testing.assert_allclose(sizes, [a.max_perp_size(p) for p in prices], rtol=1e-14)
    assert len(set(np.round(sizes * prices, 6))) == 3
    levs = a.max_leverage(prices)
    np.testing.assert_allclose(levs, [a.max_leverage(p) for p in prices], rtol=1e-14)
    # 1x rules (initial margin 100 %): the notional is the budget
    one_x = MarginRules("1x", 1.0, 0.5)
    assert IsolatedAccount(None, cash=1000.0, rules=one_x).max_perp_size(2000.0) == 0.5
    assert CrossAccount(cash=1000.0, rules=one_x).max_perp_size(2000.0) == 0.5
    with named("price"):
        CrossAccount(cash=1.0).max_perp_size(-1.0)


def test_small_positive_equity_has_a_finite_margin_ratio():
    a = IsolatedAccount(PerpPosition(-1.0, 3000.0), cash=0.5, rules=FLAT)
    assert a.margin_ratio(3000.0) == pytest.approx(150.0 / 0.5)
    assert a.account_leverage(3000.0) == pytest.approx(3000.0 / 0.5)


def test_exactly_at_maintenance_is_not_liquidatable():
    """Liquidatable iff equity < maintenance: -1 ETH @ 3000 with -900 cash at 2000 has equity
    100 and maintenance 5 % * 2000 = 100."""
    a = IsolatedAccount(PerpPosition(-1.0, 3000.0), cash=-900.0, rules=FLAT)
    assert a.margin_gap(2000.0) == 0.0
    assert a.is_liquidatable(2000.0) is False
    assert a.is_liquidatable(np.array([1999.0, 2000.0, 2001.0])).tolist() == [False, False, True]


def test_greeks_keep_the_price_shape_without_lps_or_perps():
    prices = np.array([2500.0, 3000.0, 3500.0])
    perp_only = IsolatedAccount(PerpPosition(-2.0, 3000.0), cash=100.0)
    assert perp_only.delta(prices).tolist() == [-2.0, -2.0, -2.0]
    assert perp_only.gamma(prices).tolist() == [0.0, 0.0, 0.0]
    lp_only = IsolatedAccount(None, LP, 0.0)
    np.testing.assert_allclose(lp_only.delta(prices), LP.delta(prices), rtol=1e-14)
    x = CrossAccount((PerpPosition(-2.0, 3000.0),), (), 100.0)
    assert x.delta(prices).tolist() == [-2.0, -2.0, -2.0] and x.gamma(prices).shape == (3,)


def test_an_empty_account_keeps_the_price_shape():
    prices = [2500.0, 3000.0]
    empty = IsolatedAccount(None, cash=5.0)
    for name in ("equity", "margin_gap", "collateral_value", "pnl", "notional",
                 "maintenance_requirement", "true_equity", "health"):
        assert np.shape(getattr(empty, name)(prices)) == (2,), name
    assert empty.equity(prices).tolist() == [5.0, 5.0]
    assert IsolatedAccount(None, LP).pnl(prices).tolist() == [0.0, 0.0]


def test_an_empty_cross_account_prices_eth_by_default():
    empty = CrossAccount(cash=5.0)
    assert empty.equity({"ETH": 3000.0}) == 5.0 and empty.delta({"ETH": 3000.0}) == 0.0
    assert empty.equity([2500.0, 3000.0]).tolist() == [5.0, 5.0]
    assert empty.margin_gap(np.array([1.0, 2.0, 3.0])).shape == (3,)
    with named("price"):
        empty.equity(-1.0)


def test_lps_in_two_markets_without_perps_move_the_first_market_by_default():
    sol = LPPosition(100.0, 200.0, 300.0)
    x = CrossAccount((), (sol, LP), 0.0, lp_markets=("SOL", "ETH"))
    pr = {"ETH": 3000.0, "SOL": 150.0}
    assert x.markets == ("ETH", "SOL")
    assert x.delta(pr) == pytest.approx(float(LP.delta(3000.0)))
    assert x.delta(pr, "SOL") == pytest.approx(float(sol.delta(150.0)))


def test_ratios_at_extreme_sizes_are_quiet():
    """margin_ratio and account_leverage of a tiny equity overflow to inf without a numpy
    warning."""
    import warnings

    a = IsolatedAccount(PerpPosition(1e7, 3000.0), cash=1e-300, rules=FLAT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert a.margin_ratio(3000.0) == np.inf and a.account_leverage(3000.0) == np.inf


class _Split(_ByRange):
    """Weights with a shock and different base and quote factors."""

    def shock_weights(self, lp):
        return 0.95, 0.7, 0.9


def test_boundary_problem_keeps_shock_base_and_quote_weights_apart():
    x = CrossAccount((PerpPosition(-2.0, 3000.0),), (LP,), 400.0, collateral=_Split(), rules=FLAT)
    prob = x.boundary_problem(3000.0)
    assert (prob.shock.tolist(), prob.base_factor.tolist(), prob.quote_factor.tolist()) == (
        [0.95], [0.7], [0.9])


def test_cross_defaults_for_lps_without_perps_and_plain_prices():
    assert CrossAccount(lps=(LP,)).lp_markets == ("ETH",)
    empty = CrossAccount(cash=5.0)
    assert empty.delta(3000.0) == 0.0 and empty.gamma(3000.0) == 0.0
    with named("price"):
        CrossAccount((PerpPosition(-1.0, 3000.0),), (), 10.0).delta(-1.0)


def test_outcome_uses_the_given_pool_and_the_venue_equity():
    from lpperp.swap import LiquidityProfile

    a = IsolatedAccount(PerpPosition(-4.0, 3000.0), LP, -1000.0, rules=FLAT)
    default = a.liquidation_outcome(3000.0)
    thin = a.liquidation_outcome(3000.0, profile=LiquidityProfile.uniform(3000.0, 50.0, 0.003))
    assert thin.lp_unwind_cost > default.lp_unwind_cost
    # Hyperliquid's backstop reads the venue equity: 77.5 < 2/3 of maintenance 155 at 3100
    b = IsolatedAccount(PerpPosition(-1.0, 3000.0), cash=177.5, rules=FLAT)
    out = b.liquidation_outcome(3000.0, at=3100.0, mechanics="hyperliquid")
    assert out.venue_equity == pytest.approx(77.5) and out.maintenance == pytest.approx(155.0)
    assert out.to_backstop == pytest.approx(77.5) and out.owner_keeps == 0.0


def test_a_fully_closed_short_reports_a_positive_zero_size():
    out = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0, rules=FLAT).liquidation_outcome(
        3000.0)
    assert out.closed_fraction == 1.0
    assert out.perp_size_after == 0.0 and np.copysign(1.0, out.perp_size_after) == 1.0

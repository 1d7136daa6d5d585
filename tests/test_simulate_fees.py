"""Fees that compound and fees counted at the venue's rule (issue 10 item 5).

- ``Policy(reinvest_fees=True)`` against a direct scalar loop of the documented model: fees
  ``fee_apr c_ref L sqrt(P) dt`` while in range, and at each recentre (out of range, no delay, no
  gas) the exit value plus the uncollected fees swapped to the new range's mix at the pool fee
  (:func:`lpperp.costs.swap_cost`, another module) and minted (Uniswap v3 whitepaper eq. 6.29/6.30,
  https://uniswap.org/whitepaper-v3.pdf);
- ``Scenario(fee_collateral=...)``: the margin check counts the uncollected fees by the rule, the
  owner's true equity at par; a direct loop finds the first breach;
- the P&L attribution sums to the total on every path with either option.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lpperp.collateral import ARCADIA_FEE_CAP, FEES_AT_PAR, FeeRule, StaticFactor
from lpperp.costs import swap_cost
from lpperp.oracle import ChainlinkFeed
from lpperp.perp import MarginRules
from lpperp.processes import GBM, MertonJumpDiffusion
from lpperp.simulate import Policy, Scenario, run_on_paths, simulate

DT = 1 / 365


def amounts(p, pa, pb, L):
    s = math.sqrt(min(max(p, pa), pb))
    return L * (1 / s - 1 / math.sqrt(pb)), L * (s - math.sqrt(pa))


def direct_loop(s: Scenario, path, dt, reinvest):
    """Final wealth, fees earned, costs and recentres of an LP-only scenario (no perp, no chain,
    no delay) that recentres when the price leaves the range, one step at a time."""
    w = s.width_pct / 100
    ref = s.fee_reference_width_pct / 100
    c_ref = 2 - math.sqrt(1 - ref) - 1 / math.sqrt(1 + ref)
    p0 = s.price

    def mint(value, p):
        pa, pb = p * (1 - w), p * (1 + w)
        ub, uq = amounts(p, pa, pb, 1.0)
        return pa, pb, value / (ub * p + uq), ub * p / (ub * p + uq)

    pa, pb, _, share = mint(1.0, p0)
    cost = float(swap_cost(share * s.deposit / p0, p0, s.swap_fee_fraction))
    pa, pb, L, _ = mint(s.deposit - cost, p0)
    fees = held = 0.0
    n_rec = 0
    for p in path[1:]:
        if pa <= p <= pb:
            f = s.fee_apr * c_ref * L * math.sqrt(p) * dt
            fees += f
            held += f
        else:
            b, q = amounts(p, pa, pb, L)
            v_in = b * p + q + (held if reinvest else 0.0)
            if reinvest:
                held = 0.0
            _, _, _, share = mint(1.0, p)
            c = float(swap_cost(v_in * share / p - b, p, s.swap_fee_fraction))
            cost += c
            pa, pb, L, _ = mint(v_in - c, p)
            n_rec += 1
    b, q = amounts(path[-1], pa, pb, L)
    return {"wealth": b * path[-1] + q + held, "fees": fees, "costs": cost, "n_rec": n_rec}


# a path that leaves the range up and down several times (10 % wide range)
PATH = 3000.0 * np.exp(np.cumsum(np.r_[0.0, [0.04, 0.05, 0.03, -0.02, -0.09, -0.08, 0.01, 0.02,
                                            -0.05, 0.12, 0.01, -0.01, 0.0, 0.06, -0.13, 0.02,
                                            0.15, -0.01, -0.02, 0.01, -0.14, 0.03]]))
BASE = Scenario(leverage=0.0, width_pct=10.0, fee_apr=3.0, swap_fee_fraction=0.003,
                chain=None, policy=Policy(recentre=True, blocks=0, latency_s=0.0))


@pytest.mark.parametrize("reinvest", [False, True])
def test_compounding_matches_a_direct_loop(reinvest):
    s = replace(BASE, policy=replace(BASE.policy, reinvest_fees=reinvest))
    r = run_on_paths(s, PATH, DT)
    ref = direct_loop(s, PATH, DT, reinvest)
    assert int(r.n_recentres[0]) == ref["n_rec"] >= 4
    np.testing.assert_allclose(r.final_wealth[0], ref["wealth"], rtol=1e-12)
    np.testing.assert_allclose(r.fees[0], ref["fees"], rtol=1e-12)
    np.testing.assert_allclose(r.costs[0], ref["costs"], rtol=1e-12)
    assert abs(sum(r.attribution().values())[0] - r.pnl[0]) < 1e-9 * s.deposit


def test_compounding_earns_fees_on_fees():
    """Reinvested fees sit in the range and earn fees: more fees than kept as cash, and the
    swap of the fees into the new mix costs more."""
    kept = run_on_paths(BASE, PATH, DT)
    comp = run_on_paths(replace(BASE, policy=replace(BASE.policy, reinvest_fees=True)), PATH, DT)
    assert comp.fees[0] > kept.fees[0]
    assert comp.costs[0] > kept.costs[0]


def test_reinvest_without_recentre_changes_nothing():
    s = replace(BASE, policy=Policy(reinvest_fees=True))
    a, b = run_on_paths(s, PATH, DT), run_on_paths(replace(s, policy=Policy()), PATH, DT)
    assert np.array_equal(a.final_wealth, b.final_wealth)


def test_policy_refuses_a_non_bool_reinvest():
    with pytest.raises(ValueError, match="reinvest_fees must be True or False"):
        Policy(reinvest_fees="yes")


def test_scenario_refuses_a_non_rule():
    with pytest.raises(ValueError, match="fee_collateral must be a FeeRule"):
        Scenario(fee_collateral=0.5)


@pytest.mark.parametrize(
    "scenario, process",
    [
        (replace(BASE, leverage=3.0, width_pct=20.0, fee_collateral=ARCADIA_FEE_CAP,
                 policy=Policy(recentre=True, reinvest_fees=True, hedge=True)), GBM(0.9)),
        (Scenario(leverage=4.0, fee_apr=2.0, fee_collateral=FeeRule(0.5),
                  policy=Policy(recentre=True, reinvest_fees=True, top_up=True),
                  wallet_cash=2000.0), MertonJumpDiffusion(0.6, 5.0, -0.1, 0.1)),
        (Scenario(kind="lp_plus_cash", mode="cross", leverage=4.0, fee_apr=2.0,
                  fee_collateral=FeeRule(0.0, cap="principal"),
                  policy=Policy(recentre=True, reinvest_fees=True)), GBM(1.0)),
    ],
)
def test_attribution_sums_to_the_pnl_on_every_path(scenario, process):
    r = simulate(scenario, process, 60 / 365, 60, 400, seed=5)
    total = sum(r.attribution().values())
    assert np.abs(total - r.pnl).max() <= 1e-9 * (r.capital + r.capital_added).max()


def test_fees_at_par_rule_is_the_default_bit_for_bit():
    s = Scenario(leverage=3.0, fee_apr=2.0, policy=Policy(recentre=True))
    a = simulate(s, GBM(0.9), 30 / 365, 30, 300, seed=2)
    for rule in (FEES_AT_PAR, FeeRule(1.0)):
        b = simulate(replace(s, fee_collateral=rule), GBM(0.9), 30 / 365, 30, 300, seed=2)
        for f in ("final_wealth", "liquidation_step", "liquidation_loss", "fees", "il"):
            assert np.array_equal(getattr(a, f), getattr(b, f))


def first_breach(s: Scenario, path, rule):
    """The first step at which ``cf V + cash + counted(fees) + q (P - E) < mmf |q| P`` (direct
    loop; fees at ``fee_apr c_ref L sqrt(P) dt`` in range, no funding, no costs)."""
    w = s.width_pct / 100
    ref = s.fee_reference_width_pct / 100
    c_ref = 2 - math.sqrt(1 - ref) - 1 / math.sqrt(1 + ref)
    p0 = s.price
    pa, pb = p0 * (1 - w), p0 * (1 + w)
    ub, uq = amounts(p0, pa, pb, 1.0)
    L = s.deposit / (ub * p0 + uq)
    q = s.perp_size
    fees = 0.0
    for t, p in enumerate(path[1:], start=1):
        b, qt = amounts(p, pa, pb, L)
        if pa <= p <= pb:
            fees += s.fee_apr * c_ref * L * math.sqrt(p) * DT
        if rule == "par":
            counted = fees
        elif rule == "half":
            counted = 0.5 * fees
        else:  # Arcadia by hand: a share of the fee value in each token, each capped at the principal
            sh = 0.5 if rule == "arcadia" else 1.0
            counted = min(sh * fees / p, b) * p + min((1 - sh) * fees, qt)
        eq = s.collateral.cf * (b * p + qt) + counted + q * (p - p0)
        if eq < float(s.rules.maintenance_margin(abs(q) * p)):
            return t
    return -1


RISE = 3000.0 * np.exp(np.linspace(0.0, 0.9, 41))  # a short LP hedge squeezed by a rally


@pytest.mark.parametrize("rule, model", [("par", None), ("half", FeeRule(0.5)),
                                         ("arcadia", ARCADIA_FEE_CAP),
                                         ("arcadia_base", FeeRule(cap="principal",
                                                                  fee_base_share=1.0))])
def test_the_margin_check_counts_fees_by_the_rule(rule, model):
    s = Scenario(leverage=2.5, fee_apr=40.0, funding_rate_per_year=0.0, swap_fee_fraction=0.0,
                 collateral=StaticFactor(0.8), fee_collateral=model)
    r = run_on_paths(s, RISE, DT)
    t = first_breach(s, RISE, rule)
    assert t > 0
    assert int(r.liquidation_step[0]) == t


def test_a_cap_liquidates_no_later_than_par():
    s = Scenario(leverage=2.5, fee_apr=40.0, funding_rate_per_year=0.0, swap_fee_fraction=0.0)
    steps = [int(run_on_paths(replace(s, fee_collateral=m), RISE, DT).liquidation_step[0])
             for m in (None, FeeRule(0.5), ARCADIA_FEE_CAP, FeeRule(0.0))]
    assert steps[0] >= steps[1] >= steps[3] and steps[0] >= steps[2] >= steps[3]
    assert steps[0] > steps[3]  # the fees matter on this path


# -- the fee rule everywhere the venue looks: its oracle's price, the top-up, a late check --------
RULES_10_5 = MarginRules("test 10%/5%", 0.10, 0.05)
WIGGLE = 3000.0 * np.exp(0.01 * np.sin(np.arange(31.0)))  # in range, the market moves a little
FEED = ChainlinkFeed(0.5, 1e9)  # never updates on these paths: the venue sees the entry price


def counted_by_hand(rule, fees, b, q, p):
    if rule == "par":
        return fees
    if rule == "half":
        return 0.5 * fees
    if rule == "arcadia_quote":  # Arcadia, every fee in quote (share 0)
        return min(0.0, b) * p + min(fees, q)
    return min(fees / p, b) * p + min(0.0, q)  # Arcadia, every fee in base (share 1)


MODELS = {"par": None, "half": FeeRule(0.5),
          "arcadia_base": FeeRule(cap="principal", fee_base_share=1.0),
          "arcadia_quote": FeeRule(cap="principal", fee_base_share=0.0)}


def topup_loop(s, path, rule, venue_price):
    """Liquidation step, top-ups and capital added on ``path`` (funding at the market, fees in
    range at the market, the venue's equity ``cf V + cash + counted(fees) + q (P_v - P_0)`` at its
    price ``P_v`` (the market, or the entry price for a feed that never updates); a top-up to
    ``target x maintenance`` when below ``top_up_health x maintenance``, landing at once)."""
    pol = s.policy
    w = s.width_pct / 100
    ref = s.fee_reference_width_pct / 100
    c_ref = 2 - math.sqrt(1 - ref) - 1 / math.sqrt(1 + ref)
    p0 = s.price
    pa, pb = p0 * (1 - w), p0 * (1 + w)
    ub, uq = amounts(p0, pa, pb, 1.0)
    L = s.deposit / (ub * p0 + uq)
    q = s.perp_size
    cf = s.collateral.cf
    fees = cash = added = 0.0
    n_top = 0
    for t, p in enumerate(path[1:], start=1):
        fees += s.fee_apr * c_ref * L * math.sqrt(p) * DT
        cash -= q * p * s.funding_rate_per_year * DT
        pv = p if venue_price is None else venue_price
        b, qt = amounts(pv, pa, pb, L)
        eq = cf * (b * pv + qt) + cash + counted_by_hand(rule, fees, b, qt, pv) + q * (pv - p0)
        mm = float(s.rules.maintenance_margin(abs(q) * pv))
        if eq < mm:
            return t, n_top, added
        if pol.top_up and eq < pol.top_up_health * mm:
            need = pol.top_up_target * mm - eq
            cash += need
            added += need
            n_top += 1
    return -1, n_top, added


@pytest.mark.parametrize("rule", list(MODELS))
@pytest.mark.parametrize("oracle", [None, FEED])
@pytest.mark.parametrize("top_up", [False, True])
def test_fee_rule_at_the_venues_price_and_in_the_top_up(rule, oracle, top_up):
    s = Scenario(side="long", leverage=3.0, fee_apr=20.0, funding_rate_per_year=10.0,
                 swap_fee_fraction=0.0, rules=RULES_10_5, collateral=StaticFactor(0.8),
                 fee_collateral=MODELS[rule], oracle=oracle,
                 policy=Policy(top_up=top_up, top_up_health=2.0, top_up_target=3.0, blocks=0,
                               latency_s=0.0))
    r = run_on_paths(s, WIGGLE, DT)
    step, n_top, added = topup_loop(s, WIGGLE, rule, None if oracle is None else s.price)
    assert int(r.liquidation_step[0]) == step
    assert int(r.n_top_ups[0]) == n_top
    np.testing.assert_allclose(r.capital_added[0], added, rtol=1e-9, atol=1e-6)
    if top_up:
        assert n_top >= 2 and step == -1
    else:
        assert step > 0


def test_the_rule_changes_the_outcome_on_these_paths():
    s = Scenario(side="long", leverage=3.0, fee_apr=20.0, funding_rate_per_year=10.0,
                 swap_fee_fraction=0.0, rules=RULES_10_5, collateral=StaticFactor(0.8))
    steps = {rule: topup_loop(replace(s, fee_collateral=m), WIGGLE, rule, None)[0]
             for rule, m in MODELS.items()}
    assert steps["par"] == -1 or steps["par"] > steps["half"]
    assert steps["half"] > 0 and steps["arcadia_base"] > 0
    assert steps["half"] != steps["arcadia_base"]

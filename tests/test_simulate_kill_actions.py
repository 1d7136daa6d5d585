"""Survivors of the full simulate mutation run (issue 14, f8dc252) in the kernel's decide / act /
liquidate steps, each killed by a scenario through the direct one-path reference loop of
tests/test_simulate_kill_reference.py (written from the documented model, not from the kernel):
partial liquidations followed by an action in the same step, late liquidations through an oracle,
a recentre whose costs exceed the LP, a hedge trade of exactly zero on chain, top-ups that find
nothing to add, paths that are candidates for one action while inside the conditions of another.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths

from lpperp.collateral import (
    FeeRule,
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    VolatilityScaledFactor,
)
from lpperp.costs import ARBITRUM, ETHEREUM
from lpperp.oracle import ChainlinkFeed
from lpperp.perp import MarginRules
from lpperp.simulate import Policy, Scenario, run_on_paths
from lpperp.venues import get_mechanics, get_venue

P0 = ref.P0
DT = ref.DT
HL = dict(fee_apr=0.2, rules=get_venue("hyperliquid"), liquidation=get_mechanics("hyperliquid"),
          deposit=150_000.0, chain=ARBITRUM, width_pct=40.0, collateral=StaticFactor(0.9))
#: Hyperliquid's partial steps, smaller (5 %) and charged a 1 % liquidator fee and a 5 %
#: insurance fee capped by the venue's equity (as dYdX caps it): the account stays below
#: maintenance after a step, so the next check (or an action in the same step) goes on
SMALL_STEPS = replace(get_mechanics("hyperliquid"), partial_fraction=0.05,
                      liquidator_fee_fraction=0.01, insurance_fee_fraction=0.05,
                      fee_capped_by_equity=True)
BOOK = dict(swap_fee_fraction=0.0005, fee_apr=3.0, funding_rate_per_year=0.2, leverage=12.0,
            deposit=200_000.0, width_pct=40.0)
TWO_TIERS = MarginRules("two tiers", 0.04, 0.02, (0.0, 5_000.0), (0.02, 0.03),
                        liquidation_fee_fraction=0.01)
FINE = np.column_stack([P0 * (1 + 0.0025 * np.arange(41)), P0 * (1 - 0.0025 * np.arange(41))])
#: up out of a 20 % range, back in, up and out again; the mirror image down
SWING = np.column_stack([
    P0 * np.array([1, 1.1, 1.25, 1.3, 1.1, 1.3, 1.35, 1.32, 1.3, 1.28, 1.25]),
    P0 * np.array([1, 0.9, 0.75, 0.7, 0.9, 0.7, 0.65, 0.68, 0.7, 0.72, 0.75]),
    P0 * np.array([1, 1.02, 0.97, 1.05, 0.93, 1.1, 0.85, 1.2, 0.8, 1.25, 0.75]),
])
CREEP = ref.CREEP

SCENARIOS = {
    # a partial liquidation at the check, then a top-up decided on the stale equity: the action
    # lands in the same step, sees the venue's equity still below maintenance and liquidates
    # again (late), through the oracle's price
    "partial, then a late liquidation through a 1% feed": (Scenario(
        **{**HL, "liquidation": SMALL_STEPS}, leverage=11.0, oracle=ChainlinkFeed(0.01, 30 * 86_400.0),
        policy=replace(ref.FAST, top_up=True, top_up_health=1.0, top_up_target=1.0)), FINE),
    "partial steps with fees, then a full liquidation": (Scenario(
        **{**HL, "liquidation": SMALL_STEPS}, leverage=11.0), FINE),
    "partial steps with fees, stable": (Scenario(
        **{**HL, "liquidation": SMALL_STEPS}, kind="stable", side="long", leverage=12.0), FINE),
    # the same without an oracle: a health recentre at 1 x maintenance, reached only after a
    # partial liquidation leaves the account alive below maintenance
    "partial, then a health recentre at 1.0": (Scenario(
        **HL, leverage=11.0, policy=replace(ref.FAST, recentre=True, recentre_health=1.0)), FINE),
    "partial, then a health recentre at 1.0 through a feed": (Scenario(
        **HL, leverage=11.0, oracle=ChainlinkFeed(0.01, 30 * 86_400.0),
        policy=replace(ref.FAST, recentre=True, recentre_health=1.0)), FINE),
    # a 2-quote LP on mainnet: the recentre's gas exceeds what the LP is worth (nothing is left)
    "a recentre costing more than the LP": (Scenario(
        **ref.BASE, deposit=2.0, leverage=0.5, chain=ETHEREUM,
        policy=replace(ref.FAST, recentre=True)), SWING),
    # a hedge decided in range lands two days later above the range, where the LP holds no base
    # and the perp is already flat: a trade of exactly zero pays no gas
    "a zero hedge trade on chain": (Scenario(
        **ref.BASE, perp_fee_fraction=0.0005, perp_on_chain=True, chain=ARBITRUM,
        policy=Policy(hedge=True, hedge_band=0.1, blocks=0, latency_s=2 * 86_400.0)), SWING),
    # top-ups decided on a dip land a step later after the recovery (nothing to add) or still
    # short (paid from a wallet that covers the transfer gas too)
    "delayed top-ups from a deep wallet on chain": (Scenario(
        **ref.BASE, kind="stable", leverage=6.0, wallet_cash=50_000.0, chain=ARBITRUM,
        policy=Policy(top_up=True, top_up_health=3.0, top_up_target=3.5, blocks=0,
                      latency_s=86_400.0)), CREEP),
    "top-ups from a deep wallet on chain": (Scenario(
        **ref.BASE, kind="stable", leverage=5.0, wallet_cash=50_000.0, chain=ARBITRUM,
        policy=replace(ref.FAST, top_up=True, top_up_health=3.0, top_up_target=3.5)), CREEP),
    # a 2 % range recentred after 0.9 day: the delay's move leaves the grid price outside the
    # new range (no LVR weight there)
    "a narrow range recentred after a delay": (Scenario(
        **ref.BASE, leverage=1.0, width_pct=2.0,
        policy=Policy(recentre=True, blocks=0, latency_s=0.9 * 86_400.0)), SWING),
    # a stale feed: recentres out of the range land while the market equity is below maintenance
    # but the venue's (at the stale price) is not
    "a stale feed, recentres, short": (Scenario(
        **ref.BASE, leverage=4.0, width_pct=6.0, oracle=ChainlinkFeed(0.3, 30 * 86_400.0),
        policy=replace(ref.FAST, recentre=True)), CREEP),
    "a stale feed, recentres, long": (Scenario(
        **ref.BASE, side="long", leverage=4.0, width_pct=6.0,
        oracle=ChainlinkFeed(0.3, 30 * 86_400.0), policy=replace(ref.FAST, recentre=True)),
        CREEP),
    # a function factor and top-ups: the venue's value of the LP at the action
    "a function factor, top-ups": (Scenario(
        **ref.BASE, leverage=3.0, wallet_cash=400.0,
        collateral=FunctionFactor(lambda p: np.clip(p / 5000.0, 0.0, 0.9)),
        policy=replace(ref.FAST, top_up=True, top_up_health=3.0, top_up_target=4.0)), SWING),
    "a function factor, delayed top-ups through a feed": (Scenario(
        **ref.BASE, leverage=3.0, wallet_cash=400.0, oracle=ChainlinkFeed(0.01, 30 * 86_400.0),
        collateral=FunctionFactor(lambda p: np.clip(p / 5000.0, 0.0, 0.9)),
        policy=Policy(top_up=True, top_up_health=3.0, top_up_target=4.0, blocks=0,
                      latency_s=86_400.0 * 1.5)), SWING),
    # every path is a top-up candidate at every step: the recentre and hedge conditions are
    # evaluated inside the range and inside the band too
    "always a top-up candidate, recentre every 3 days": (Scenario(
        **ref.BASE, leverage=2.0, wallet_cash=1e6, chain=ARBITRUM,
        policy=replace(ref.FAST, recentre=True, min_interval_years=3 / 365, top_up=True,
                       top_up_health=1e4, top_up_target=1e4)), SWING),
    "always a top-up candidate, hedged, band 30%": (Scenario(
        **ref.BASE, wallet_cash=1e6, perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.3, top_up=True,
                       top_up_health=1e6, top_up_target=1e6)), SWING),
    "always a top-up candidate, half hedged, band 30%": (Scenario(
        **ref.BASE, wallet_cash=1e6, perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.3, hedge_ratio=0.5, top_up=True,
                       top_up_health=1e6, top_up_target=1e6)), SWING),
    "always a top-up candidate, hedged every 2 days": (Scenario(
        **ref.BASE, wallet_cash=1e6, perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.3, hedge_interval_years=2 / 365,
                       top_up=True, top_up_health=1e6, top_up_target=1e6)), SWING),
    # a perp whose maintenance is below one quote unit: health triggers still act on it
    "a sub-unit maintenance, health recentre and top-up": (Scenario(
        **ref.BASE, leverage=0.005, wallet_cash=1e6,
        policy=replace(ref.FAST, recentre=True, recentre_health=1e5, top_up=True,
                       top_up_health=2e5, top_up_target=3e5)), SWING),
    # a chain-less scenario with blocks to wait: no block time, so no delay at all
    "blocks without a chain": (Scenario(
        **ref.BASE, leverage=2.0, width_pct=8.0,
        policy=Policy(recentre=True, top_up=True, top_up_health=3.0, blocks=5, latency_s=0.0)),
        SWING),
    # no LP to recentre: a recentre policy does nothing for stablecoin collateral
    "a recentre policy without an LP": (Scenario(
        **ref.BASE, kind="stable", leverage=2.0, policy=replace(ref.FAST, recentre=True)), SWING),
    # an LP of half a quote unit is still an LP (it earns fees, it is recentred)
    "half a quote unit of LP": (Scenario(
        **ref.BASE, deposit=0.5, leverage=1.0, policy=replace(ref.FAST, recentre=True)), SWING),
    # two maintenance tiers (2 % to 5,000 of notional, 3 % above, with the deduction that
    # makes it continuous): 30,000 of notional is on the second tier
    "two maintenance tiers": (Scenario(
        **{**ref.BASE, "rules": TWO_TIERS}, leverage=3.0), ref.MAT),
    "two maintenance tiers through a feed": (Scenario(
        **{**ref.BASE, "rules": TWO_TIERS}, leverage=3.0,
        oracle=ChainlinkFeed(0.01, 30 * 86_400.0)), ref.MAT),
    # a volatility-scaled factor with its own token weights, and shocked weights below 1 on
    # the quote side
    "volatility-scaled factor with token weights": (Scenario(
        **ref.BASE, leverage=3.0,
        collateral=VolatilityScaledFactor(0.7, base_factor=0.85, quote_factor=0.9)), ref.MAT),
    "shocked weights, quote weight 0.95, top-ups": (Scenario(
        **ref.BASE, side="long", leverage=3.0, collateral=RangeAwareFactor(12.0, 0.9, 0.95),
        wallet_cash=500.0, policy=replace(ref.FAST, top_up=True, top_up_health=3.0,
                                          top_up_target=4.0)), ref.MAT),
    # a lender (Revert Lend) liquidating: the LP's collateral value (at the market or through a
    # feed) sets the penalty; without an LP there is no collateral value
    "a lender liquidates the LP": (Scenario(
        **ref.BASE, leverage=3.0, liquidation=get_mechanics("revert"), chain=ARBITRUM),
        ref.MAT),
    "a lender liquidates the LP through a feed": (Scenario(
        **ref.BASE, leverage=3.0, liquidation=get_mechanics("revert"), chain=ARBITRUM,
        oracle=ChainlinkFeed(0.01, 30 * 86_400.0)), ref.MAT),
    "a lender liquidates stablecoin collateral": (Scenario(
        **ref.BASE, kind="stable", leverage=8.0, liquidation=get_mechanics("revert")), ref.MAT),
    # Drift closes what covers the shortage at the venue's equity (the LP's fees in it), dYdX
    # caps its insurance fee by that equity
    "drift with an LP and its fees": (Scenario(
        **BOOK, liquidation=get_mechanics("drift"), rules=get_venue("drift")), FINE),
    "dydx with an LP and its fees": (Scenario(
        **BOOK, liquidation=get_mechanics("dydx"), rules=get_venue("dydx")), FINE),
    # a delta-hedged LP counted at 5 %: the hedge's losses liquidate it (the prefilter of an
    # emptied account divides 0 by 0 without a warning)
    "a hedged LP at 5% is liquidated": (Scenario(
        **ref.BASE, collateral=StaticFactor(0.05),
        policy=replace(ref.FAST, hedge=True, hedge_band=0.1)), ref.MAT),
    # an LP with a liquidity below 1 (3 quote units), hedged: its band in prices
    "a hedged LP with L < 1": (Scenario(
        **ref.BASE, deposit=3.0, policy=replace(ref.FAST, hedge=True, hedge_band=0.05)), SWING),
    # a token priced below one quote unit, hedged and recentred
    "a hedged LP at a price of 0.5": (Scenario(
        **ref.BASE, price=0.5, deposit=1000.0,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.05)), SWING / P0 * 0.5),
    "a hedged, recentred LP at a price of 0.5": (Scenario(
        **ref.BASE, price=0.5, deposit=1000.0,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.3, recentre=True)), SWING / P0 * 0.5),
    # a long of exactly 1 base liquidated, and one at a price below 1 quote unit
    "a long of exactly one base unit": (Scenario(
        **ref.BASE, side="long", deposit=3000.0, leverage=1.0, collateral=StaticFactor(0.3)),
        ref.MAT),
    "a long at a price of 0.8": (Scenario(
        **ref.BASE, side="long", price=0.8, leverage=4.0), ref.MAT / P0 * 0.8),
}

GAP = np.column_stack([P0 * np.array([1, 1, 0.75, 0.75, 0.8, 0.8]),
                       P0 * np.array([1, 0.97, 0.9, 0.7, 0.72, 0.7])])
# a long LP and a long perp through a stale feed: a gap out of the range, recentred at once;
# the venue still values both at the stale price (the market value is below maintenance)
SCENARIOS["a stale feed, a gap down, long"] = (Scenario(
    **ref.BASE, side="long", leverage=4.5, width_pct=6.0, collateral=StaticFactor(0.1),
    oracle=ChainlinkFeed(0.3, 30 * 86_400.0), policy=replace(ref.FAST, recentre=True)), GAP)
# a band of exactly 100 %: no lower price bound for the hedge (1 / (1 - band) is not computed)
SCENARIOS["hedged, band 100%, recentre"] = (Scenario(
    **ref.BASE, width_pct=12.0, policy=replace(ref.FAST, hedge=True, hedge_band=1.0,
                                               recentre=True)), SWING)
# a perp of 3.3e-9 base (1e-5 quote) is a perp (the on-chain gas is paid), however small in base
SCENARIOS["a perp of 1e-5 quote on chain"] = (Scenario(
    **ref.BASE, leverage=1e-9, perp_on_chain=True, chain=ETHEREUM, perp_fee_fraction=0.001),
    ref.MAT)
# an LP outside the account with fees from its own value (no reference width): its base and
# value are computed every step for the fees
SCENARIOS["an LP outside the account, fees at the position's own width"] = (Scenario(
    **ref.BASE, kind="lp_plus_cash", leverage=1.5, fee_reference_width_pct=None), ref.MAT)
# a zero band on a flat path: the hedge is exactly on target, nothing to trade
SCENARIOS["hedged, zero band, flat"] = (Scenario(
    **ref.BASE, policy=replace(ref.FAST, hedge=True, hedge_band=0.0)),
    np.column_stack([np.full(6, P0), P0 * np.array([1, 1, 1.01, 1.01, 1, 1])]))
# a partial fraction of 1 - 1e-12 is a full liquidation
SCENARIOS["a partial fraction of 1 - 1e-12"] = (Scenario(
    **{**HL, "liquidation": replace(SMALL_STEPS, partial_fraction=1.0 - 1e-12)}, leverage=11.0),
    FINE)
# partial steps on a long LP at a price below one quote unit (the LP is sold to pay the loss)
SCENARIOS["partial steps at a price of 0.8"] = (Scenario(
    **{**HL, "liquidation": SMALL_STEPS}, price=0.8, side="long", leverage=11.0),
    FINE[:, ::-1] / P0 * 0.8)

#: paths that step just outside a 20 % range (by 1e-10 relative) and exactly onto its lower edge
EDGE = np.column_stack([
    np.array([P0, P0 * 0.9, P0 * 0.8 * (1 - 1e-10), P0 * 0.9, P0]),
    np.array([P0, P0 * 1.1, P0 * 1.2 * (1 + 1e-10), P0 * 1.1, P0]),
    np.array([P0, P0 * 0.9, P0 * 0.8, P0 * 0.9, P0]),
])
SCENARIOS["a step just outside the range"] = (Scenario(
    **ref.BASE, leverage=1.0, policy=replace(ref.FAST, recentre=True)), EDGE)
SCENARIOS["exactly on the edge, always a top-up candidate"] = (Scenario(
    **ref.BASE, leverage=1.0, wallet_cash=1e6, policy=replace(
        ref.FAST, recentre=True, top_up=True, top_up_health=1e4, top_up_target=1e4)), EDGE)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_actions_match_the_direct_reference(name):
    s, mat = SCENARIOS[name]
    ref.check(s, mat, DT)


def test_a_hedge_closed_at_a_loss_is_paid_at_its_liquidation():
    """A hedged 2-quote LP on mainnet: the first recentre's gas empties it (L = 0), the hedge is
    bought back to zero at a loss (kept in ``basis``), the account is liquidated with no perp
    (``q = 0``). The owner keeps the equity net of that loss: the attribution adds up to the P&L
    (the loss went to the settlement as cash, not as a perp at entry ``basis / 0``), and the
    paths that are not liquidated match the direct reference; the empty range is still
    recentred when the price leaves it."""
    s = Scenario(**ref.BASE, deposit=2.0, chain=ETHEREUM,
                 policy=replace(ref.FAST, hedge=True, hedge_band=0.1, recentre=True))
    z = np.zeros((SWING.shape[0] - 1, SWING.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = run_on_paths(s, SWING, DT, noise=z, funding_noise=z)
    np.testing.assert_allclose(sum(r.attribution().values()), r.pnl, rtol=0, atol=1e-9)
    assert r.liquidated[0] and r.perp[0] < 0
    assert r.final_wealth[0] < r.capital
    for j in (1, 2):
        want = ref.reference(s, SWING[:, j], DT, z[:, j], z[:, j])
        assert r.n_recentres[j] == want["n_rec"] and r.n_hedges[j] == want["n_hedge"]
        assert r.final_wealth[j] == pytest.approx(want["wealth"], rel=1e-9)


def test_a_fee_cap_that_never_binds_counts_the_fees_at_par():
    """Arcadia's cap (``FeeRule(1.0, cap="principal")``: the fees' base and quote parts each
    capped by the LP's own amounts) never binds on paths that stay inside a 40 % range: the venue
    counts the fees whole, as at par, so every number is the at-par run's (checked against the
    direct reference by the cases above), through the oracle's check and at the liquidations."""
    cap = FeeRule(1.0, cap="principal")
    for name in ("partial, then a late liquidation through a 1% feed",
                 "partial steps with fees, then a full liquidation",
                 "drift with an LP and its fees"):
        s, mat = SCENARIOS[name]
        s = replace(s, fee_apr=2.0)
        z = np.zeros((mat.shape[0] - 1, mat.shape[1]))
        par = run_on_paths(s, mat, DT, noise=z)
        capped = run_on_paths(replace(s, fee_collateral=cap), mat, DT, noise=z)
        assert par.liquidated.any(), name
        for f in ("final_wealth", "liquidation_step", "n_liquidations", "liquidation_loss",
                  "market_breach_step", "capital_added", "liquidation_fees"):
            np.testing.assert_allclose(getattr(capped, f), getattr(par, f), rtol=1e-9,
                                       atol=1e-9, err_msg=f"{name}: {f}")

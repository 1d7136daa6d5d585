"""A venue's fee rule (:class:`lpperp.collateral.FeeRule`) in the simulator's liquidations
(issue 14: the fee-rule survivors of ``make mutate`` in lpperp/simulate.py).

The direct reference of tests/test_simulate_kill_reference.py counts fees at par only; these
cases check the rule through two identities of :meth:`FeeRule.counted` instead:

- with the principal cap and every fee on the quote side (``fee_base_share=0``) the fees counted
  are ``min(F, quote)``: below the range the LP holds no quote (whitepaper eq. 6.30, ``y =
  L (sqrt(pa) - sqrt(pa)) = 0``), so nothing is counted, exactly as ``FeeRule(0.0)`` counts;
- the venue's equity at a liquidation is the same whether the venue reads the market itself or
  through an oracle that reports the market (a protocol-only wrapper of :class:`Spot`, which
  takes the kernel's oracle branch).

dYdX's mechanics make the venue's equity visible in the settlement: the liquidation's fillable
price spread ``ABR * SMMR * MM`` with ``ABR = clamp(BA (1 - TNC / TMMR), 0, 1)`` and the insurance
fee capped by the closed share of that equity (dydxprotocol/v4-chain x/clob/keeper/
liquidations.go, see ``lpperp.venues.DYDX_MECHANICS``), and its 10 % partial closes liquidate a
position many times.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.collateral import FeeRule, StaticFactor
from lpperp.oracle import Spot
from lpperp.simulate import Scenario, run_on_paths
from lpperp.venues import get_mechanics, get_venue

P0 = 3000.0
# flat for 5 days (fees accrue in range), then down 1 % a day: out of the 5 % range at day 11,
# first liquidated at day 13, then again and again by 10 % partial closes
PATH = np.concatenate([np.full(6, P0), P0 * (1 - 0.01 * np.arange(1, 40))])
BASE = dict(kind="lp", side="long", leverage=10.0, deposit=20_000.0, width_pct=5.0,
            rules=get_venue("dydx"), liquidation=get_mechanics("dydx"), fee_apr=20.0,
            funding_rate_per_year=0.0, collateral=StaticFactor(0.9))
FIELDS = ("final_wealth", "liquidation_fees", "liquidation_loss", "liquidation_close_cost",
          "bad_debt", "n_liquidations", "liquidation_step", "perp", "market_breach_step")


class _MarketOracle:
    """:class:`Spot` known by its ``start``/``step`` only (the kernel's oracle branch)."""

    def start(self, prices0, t0_seconds=0.0):
        return Spot().start(prices0, t0_seconds)

    def step(self, state, t_seconds, prices):
        return Spot().step(state, t_seconds, prices)


def _close(a, b):
    for f in FIELDS:
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-12, err_msg=f)


def test_quote_side_fees_capped_by_the_principal_count_nothing_below_the_range():
    capped = run_on_paths(
        Scenario(**BASE, fee_collateral=FeeRule(cap="principal", fee_base_share=0.0)), PATH,
        1 / 365)
    none = run_on_paths(Scenario(**BASE, fee_collateral=FeeRule(0.0)), PATH, 1 / 365)
    assert capped.liquidation_step[0] == 13 and PATH[13] < P0 * 0.95  # below the range
    assert capped.n_liquidations[0] > 10 and capped.fees[0] > 1000.0
    _close(capped, none)
    par = run_on_paths(Scenario(**BASE), PATH, 1 / 365)  # the fees counted: another outcome
    assert par.liquidation_fees[0] != pytest.approx(none.liquidation_fees[0], rel=1e-3)


@pytest.mark.parametrize("rule", [FeeRule(0.5), FeeRule(0.25, cap="principal")],
                         ids=["half", "a quarter, capped"])
def test_the_venue_counts_the_fees_alike_through_a_market_oracle(rule):
    direct = run_on_paths(Scenario(**BASE, fee_collateral=rule), PATH, 1 / 365)
    oracle = run_on_paths(Scenario(**BASE, fee_collateral=rule, oracle=_MarketOracle()), PATH,
                          1 / 365)
    assert direct.n_liquidations[0] > 10
    _close(direct, oracle)

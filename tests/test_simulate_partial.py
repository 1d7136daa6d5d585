"""Accounts that a partial liquidation leaves alive below zero equity (issue 14: the last
``_decide`` and ``_liquidate`` survivors of ``make mutate`` in lpperp/simulate.py).

dYdX closes at most ``max(10 % of the notional, min(1,000 USDC, notional))`` of a position per
block (dydxprotocol/v4-chain x/clob/keeper/liquidations.go
``GetMaxAndMinPositionNotionalLiquidatable``, ``lpperp.venues.DYDX_MECHANICS``): a gap that sinks
the equity below zero leaves the account alive after its first liquidation, with a bad debt
and the check's equity (from before the liquidation) still negative. Every case is compared
field by field with the direct one-path reference of tests/test_simulate_kill_reference.py, and
the rules are checked explicitly:

- a health-triggered action needs a maintenance requirement (``health = equity /
  maintenance``: with no maintenance there is no health to fall below a threshold);
- ``recentre_health = 0`` recentres only out of range (``Policy`` docstring);
- the bad debt of successive partial liquidations adds up.
"""

from __future__ import annotations

import numpy as np
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths

from lpperp.perp import MarginRules
from lpperp.simulate import Policy, Scenario
from lpperp.venues import get_mechanics

DYDX = get_mechanics("dydx")
P0 = 3000.0
# a gap to 2600 (inside the 20 % range) sinks the 1x long's equity below zero (1000 of cash,
# 3.33 base: -1333), then the price comes back
GAP = np.array([[P0], [2600.0], [P0]])
DAY_LATE = dict(blocks=0, latency_s=86_400.0)  # decided at the gap, lands a day later


def _gapped(rules, policy):
    return Scenario(kind="lp_plus_cash", cash_margin_fraction=0.1, deposit=10_000.0, side="long",
                    leverage=1.0, rules=rules, liquidation=DYDX, funding_rate_per_year=0.0,
                    policy=policy)


def test_without_a_maintenance_no_health_action_is_due():
    """Zero maintenance: liquidated (partially) only below zero equity; alive after it with the
    check's equity negative, but no health (equity / maintenance) to fall below a threshold:
    neither a health recentre nor a top-up is decided."""
    rules = MarginRules("no maintenance", 0.5, 0.0)
    pol = Policy(recentre=True, recentre_health=1.0, top_up=True, top_up_health=1.5,
                 top_up_target=2.0, **DAY_LATE)
    r = ref.check(_gapped(rules, pol), GAP, ref.DT)
    assert r.n_liquidations[0] == 1 and r.bad_debt[0] > 0  # partial, alive, below zero
    assert r.n_recentres[0] == 0 and r.n_top_ups[0] == 0


def test_a_zero_recentre_health_recentres_only_out_of_range():
    """5 % maintenance, the same gap: the top-up below health 1.5 is decided (and lands a day
    later), a recentre is not (in range, ``recentre_health=0``)."""
    rules = MarginRules("5 %", 0.1, 0.05)
    pol = Policy(recentre=True, recentre_health=0.0, top_up=True, top_up_health=1.5,
                 top_up_target=2.0, **DAY_LATE)
    r = ref.check(_gapped(rules, pol), GAP, ref.DT)
    assert r.n_liquidations[0] == 1 and r.bad_debt[0] > 0
    assert r.n_top_ups[0] == 1 and r.n_recentres[0] == 0


def test_the_bad_debt_of_successive_partial_liquidations_adds_up():
    """A 10x long gapped to 2600, then lower: each step closes 10 % with a bad debt."""
    s = Scenario(kind="stable", side="long", leverage=10.0, deposit=10_000.0,
                 rules=MarginRules("5 %", 0.1, 0.05), liquidation=DYDX,
                 funding_rate_per_year=0.0)
    path = np.array([[P0], [2600.0], [2500.0], [2400.0]])
    r = ref.check(s, path, ref.DT)
    first = ref.check(s, path[:2], ref.DT)
    assert r.n_liquidations[0] == 3 and first.n_liquidations[0] == 1
    assert r.bad_debt[0] > first.bad_debt[0] > 0

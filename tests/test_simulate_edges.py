"""The simulator's rules exactly at their edges (issue 14: the equality survivors of ``make
mutate`` in lpperp/simulate.py).

Each case is built from dyadic numbers (prices, sizes and rates that are powers of two or short
binary fractions) so that both sides of a rule are EXACTLY equal in floating point, and checks
which side the documented rule puts the equality on:

- an account is liquidated when its equity is BELOW maintenance, not at it: GMX v2 liquidates
  when ``collateral + PnL - fees < max(min_collateral_usd, size_usd * min_collateral_factor)``
  (gmx-synthetics PositionUtils ``isPositionLiquidatable``, read 2026-11; /work/shared/notes/
  venue-rules.md); the same strict rule holds for the venue's view through an oracle, for the
  market breach it records, and at an action's landing after a delay;
- a recentre or a top-up by health triggers when the health is BELOW its threshold
  (``Policy.recentre_health``, ``Policy.top_up_health``: "falls below");
- a minimum interval between actions is met AT the interval (``>= interval - 1e-12``);
- a perp is no perp below a billionth of a quote unit (``|q| P0 < 1e-9``), one at it is kept.

Every case is also compared field by field with the direct one-path reference of
tests/test_simulate_kill_reference.py (which states the same rules), and each has a
neighbour just across the edge so that the case is not vacuous.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths

from lpperp.oracle import ChainlinkFeed
from lpperp.perp import MarginRules
from lpperp.simulate import Policy, Scenario, run_on_paths

HALF = MarginRules("test 100%/50%", 1.0, 0.5)
QUARTER = MarginRules("test 25%/25%", 0.25, 0.25)
FAST = Policy(blocks=0, latency_s=0.0)
P0 = 1024.0


def _interval_with_edge_at(x):
    """A float ``h`` with ``h - 1e-12 == x`` exactly (the kernel's interval test at its edge)."""
    h = x + 1e-12
    for _ in range(64):
        d = (h - 1e-12) - x
        if d == 0.0:
            return h
        h = np.nextafter(h, -np.inf if d > 0 else np.inf)
    raise AssertionError("no edge found")


# -- liquidation at maintenance ------------------------------------------------------------------
def _short_at_maintenance(**kw):
    """A 4x short of 1024 at 1024 with a 25 % maintenance: equity 5120 - 4 P, maintenance P, so
    at 1024 the equity (1024) is exactly the maintenance."""
    return Scenario(kind="stable", price=P0, deposit=1024.0, leverage=4.0, rules=QUARTER,
                    funding_rate_per_year=0.0, **kw)


@pytest.mark.parametrize("oracle", [None, ChainlinkFeed(0.05, 3 * 86_400.0)],
                         ids=["market", "through a feed"])
def test_an_account_exactly_at_maintenance_is_not_liquidated(oracle):
    s = _short_at_maintenance(oracle=oracle)
    flat = np.full((4, 1), P0)
    r = ref.check(s, flat, ref.DT)
    assert not r.liquidated[0] and r.market_breach_step[0] == -1
    above = ref.check(s, np.array([[P0], [P0], [P0 + 1.0], [P0 + 1.0]]), ref.DT)
    assert above.market_breach_step[0] == 2  # the feed (5 %, 3-day heartbeat) reports late
    assert above.liquidated[0] and above.liquidation_step[0] == (2 if oracle is None else 3)


def _long_lp_outside(policy, rules=HALF):
    """An LP of 128 in the wallet beside a 1-base long at 1024 with 896 of cash, 50 % maintenance:
    equity ``P - 128``, maintenance ``P / 2``; at 256 (below the range [512, 1536]) both are
    128, at 1024 the health (equity / maintenance) is exactly 1.75."""
    return Scenario(kind="lp_plus_cash", price=P0, deposit=1024.0, cash_margin_fraction=0.875,
                    leverage=1.0, side="long", width_pct=50.0, rules=rules,
                    funding_rate_per_year=0.0, fee_apr=0.0, swap_fee_fraction=0.0,
                    policy=policy)


def test_an_action_landing_exactly_at_maintenance_is_not_a_late_liquidation():
    """At 256 the equity is exactly the maintenance: no liquidation at the check, the recentre
    is decided and lands (no delay), and at its landing the account is still not below
    maintenance: it recentres. The health is exactly 1 too: a top-up below health 1 is not due."""
    pol = Policy(recentre=True, top_up=True, top_up_health=1.0, top_up_target=2.0, blocks=0,
                 latency_s=0.0)
    s = _long_lp_outside(pol)
    r = ref.check(s, np.array([[P0], [256.0]]), ref.DT)
    assert not r.liquidated[0] and r.n_recentres[0] == 1 and r.n_top_ups[0] == 0
    below = ref.check(s, np.array([[P0], [255.0]]), ref.DT)
    assert below.liquidated[0] and below.liquidation_step[0] == 1


def test_a_health_exactly_at_the_recentre_threshold_does_not_recentre():
    """Health exactly 1.75 at 1024 (in range): a recentre below health 1.75 is not due, while
    the top-up below health 2 is (and brings the path to the decision)."""
    pol = Policy(recentre=True, recentre_health=1.75, top_up=True, top_up_health=2.0,
                 top_up_target=3.0, blocks=0, latency_s=0.0)
    s = _long_lp_outside(pol)
    r = ref.check(s, np.full((2, 1), P0), ref.DT)
    assert r.n_top_ups[0] == 1 and r.n_recentres[0] == 0
    over = ref.check(Scenario(**{**vars(s), "policy": Policy(**{**vars(pol),
                                                               "recentre_health": 1.8})}),
                     np.full((2, 1), P0), ref.DT)
    assert over.n_recentres[0] == 1


# -- the minimum intervals -----------------------------------------------------------------------
DT = 1 / 256  # a dyadic step: t dt and its differences are exact


def test_a_recentre_exactly_one_minimum_interval_after_the_last_is_allowed():
    """Out of range at steps 1 and 2 (1024 -> 2048 -> 4096, width 20 %): with a minimum interval
    whose edge ``interval - 1e-12`` is exactly one step, the second recentre is allowed."""
    h = _interval_with_edge_at(DT)
    s = Scenario(price=P0, leverage=0.0, rules=QUARTER, funding_rate_per_year=0.0,
                 policy=Policy(recentre=True, min_interval_years=h, blocks=0, latency_s=0.0))
    path = np.array([[P0], [2048.0], [4096.0]])
    assert ref.check(s, path, DT).n_recentres[0] == 2
    longer = Policy(recentre=True, min_interval_years=np.nextafter(h, 1.0), blocks=0,
                    latency_s=0.0)
    assert ref.check(Scenario(**{**vars(s), "policy": longer}), path, DT).n_recentres[0] == 1


def test_a_re_hedge_exactly_one_hedge_interval_after_entry_is_allowed():
    """A delta hedge re-sized whenever the price moved (band 0) at most once per interval whose
    edge is exactly one step: the re-hedge at step 1 is allowed."""
    h = _interval_with_edge_at(DT)
    pol = Policy(hedge=True, hedge_band=0.0, hedge_interval_years=h, blocks=0, latency_s=0.0)
    s = Scenario(price=P0, rules=QUARTER, funding_rate_per_year=0.0, policy=pol)
    path = np.array([[P0], [1088.0]])
    assert ref.check(s, path, DT).n_hedges[0] == 1
    longer = Policy(**{**vars(pol), "hedge_interval_years": float(np.nextafter(h, 1.0))})
    assert ref.check(Scenario(**{**vars(s), "policy": longer}), path, DT).n_hedges[0] == 0


# -- the smallest perp ---------------------------------------------------------------------------
def test_a_perp_worth_exactly_a_billionth_of_a_quote_unit_is_kept():
    """``|q| P0 = 1e-9`` exactly (1e-9 base at 1): kept, so its P&L from 1 to 2 is 1e-9; a perp
    worth 0.5e-9 is dropped at entry (no P&L)."""
    s = Scenario(kind="stable", price=1.0, deposit=1e-9, leverage=1.0, side="long",
                 funding_rate_per_year=0.0)
    path = np.array([1.0, 2.0])
    assert run_on_paths(s, path, ref.DT).perp[0] == 1e-9
    tiny = Scenario(**{**vars(s), "leverage": 0.5})
    assert run_on_paths(tiny, path, ref.DT).perp[0] == 0.0
    assert math.isclose(ref.reference(s, path, ref.DT)["perp"], 1e-9)

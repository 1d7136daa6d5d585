"""The simulator raises no numpy warnings where it divides by zero or overflows on purpose
(issue 14: the ``np.errstate`` survivors of ``make mutate`` in lpperp/simulate.py).

The kernel computes some quantities on every lane and keeps them only where they are defined
(``np.where``), under ``np.errstate``: a run must not warn (every case runs with
``RuntimeWarning`` as an error, as the reference tests do). Two inputs reach those lanes:

- a hedged 2-quote LP on mainnet recentred by health at the entry price: the recentre's gas
  empties it (``L = 0``), the hedge is bought back to zero at the price it was sold at, so the
  basis is exactly 0 too, and the perp fees left the cash negative: the account is liquidated
  with no perp and no basis, its entry price ``basis / size`` is ``0 / 0`` (the perp's P&L goes
  in as cash: none);
- a hedge at subnormal prices (1e-309): the hedge band's price bounds ``1 / (b / L +
  1/sqrt(pb))^2`` overflow (``1/sqrt(pb) ~ 3e154``); the run still ends without a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths

from lpperp.costs import ETHEREUM
from lpperp.simulate import Scenario, run_on_paths


def _quiet(s, path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return run_on_paths(s, path, ref.DT)


def test_an_account_that_holds_no_perp_and_no_basis_is_liquidated_quietly():
    s = Scenario(**{**ref.BASE, "fee_apr": 0.0, "funding_rate_per_year": 0.0}, deposit=2.0,
                 chain=ETHEREUM, perp_fee_fraction=0.001,
                 policy=replace(ref.FAST, hedge=True, hedge_band=0.1, recentre=True,
                                recentre_health=1000.0))
    path = np.full((3, 1), 3000.0)
    r = _quiet(s, path)
    assert r.n_recentres[0] == 1 and r.n_hedges[0] == 1
    assert r.liquidated[0] and r.liquidation_step[0] == 2 and r.perp[0] == 0.0
    ref.check(s, path, ref.DT)


def test_a_hedge_at_subnormal_prices_runs_quietly():
    p0 = 1e-309
    s = Scenario(price=p0, deposit=1e-200, rules=ref.RULES, funding_rate_per_year=0.0,
                 swap_fee_fraction=0.0, policy=replace(ref.FAST, hedge=True, hedge_band=0.5))
    r = _quiet(s, np.array([p0, p0 * 1.5, p0 * 0.6]))
    assert np.isfinite(r.final_wealth[0]) and r.final_wealth[0] > 0

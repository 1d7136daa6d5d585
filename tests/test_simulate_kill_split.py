"""Survivors of the simulate mutation run after the kernel split (issue 14), each killed by an
exact expectation: argument names in messages, and the step functions against direct loops."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths

from lpperp.costs import ARBITRUM
from lpperp.oracle import ChainlinkFeed
from lpperp.simulate import Policy, Scenario, affordable_interval_years


@pytest.mark.parametrize("sigma, message", [
    ([0.3, 0.5], "sigma_per_year must be a single number here, got an array of shape (2,)"),
    (-0.3, "sigma_per_year must be a finite number > 0, got -0.3"),
])
def test_affordable_interval_names_sigma(sigma, message):
    with pytest.raises(ValueError) as e:
        affordable_interval_years(Scenario(chain=ARBITRUM), sigma)
    assert str(e.value) == message


# -- more scenarios through the direct one-path reference of test_simulate_kill_reference.py ------

MORE = {
    # the LP outside the account: the hedge reads the LP's base through _lp_base, above the range
    "hedged LP outside the account, band 10%": Scenario(
        **ref.BASE, kind="lp_plus_cash", leverage=1.0, perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.1)),
    # top-ups make paths above the range candidates while the hedge is flat (target 0)
    "hedged with top-ups": Scenario(
        **ref.BASE, wallet_cash=3000.0, perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.1, top_up=True, top_up_health=40.0,
                       top_up_target=45.0)),
    # the venue reads a feed that never moves on these paths: the LP valued at the entry price
    "a feed that never updates, top-ups": Scenario(
        **ref.BASE, leverage=3.0, wallet_cash=2000.0, oracle=ChainlinkFeed(0.9, 1e9),
        policy=replace(ref.FAST, top_up=True, top_up_health=3.0, top_up_target=4.0)),
    # a 1 % feed follows the paths out of the range: the venue's LP value clipped at its edges
    "a 1% feed, LP inside, short": Scenario(
        **ref.BASE, leverage=2.0, oracle=ChainlinkFeed(0.01, 86_400.0)),
    "a 1% feed, LP inside, long": Scenario(
        **ref.BASE, side="long", leverage=2.0, oracle=ChainlinkFeed(0.01, 86_400.0)),
    "a 1% feed, LP inside, long, per-token weights": Scenario(
        **ref.BASE, side="long", leverage=2.0, oracle=ChainlinkFeed(0.01, 86_400.0),
        collateral=ref.RangeAwareFactor(0.0, 0.9, 0.95)),
    # actions land after a delay while a 1 % feed follows: late liquidations at the venue's price
    "a 1% feed, delayed top-ups": Scenario(
        **ref.BASE, leverage=3.0, wallet_cash=800.0, oracle=ChainlinkFeed(0.01, 86_400.0),
        policy=Policy(top_up=True, top_up_health=2.5, top_up_target=3.0, blocks=0,
                      latency_s=86_400.0 * 1.5)),
    "a 1% feed, delayed recentres, long": Scenario(
        **ref.BASE, side="long", leverage=3.5, oracle=ChainlinkFeed(0.01, 86_400.0),
        collateral=ref.RangeAwareFactor(0.0, 0.85, 0.95),
        policy=Policy(recentre=True, recentre_health=1.6, blocks=0, latency_s=86_400.0 * 1.5)),
    "a feed that never updates, hedged, recentre": Scenario(
        **ref.BASE, oracle=ChainlinkFeed(0.9, 1e9), perp_fee_fraction=0.0005,
        policy=replace(ref.FAST, hedge=True, hedge_band=0.05, recentre=True)),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_scenarios_match_the_direct_reference(name):
    r = ref.check(MORE[name], ref.MAT, ref.DT)
    assert r.n_steps == ref.MAT.shape[0] - 1


FINE_UP = np.column_stack([ref.P0 * (1 + 0.006 * np.arange(101)),
                           ref.P0 * (1 + 0.008 * np.arange(101))])


@pytest.mark.parametrize("leverage", [1.8, 2.2])
def test_a_feed_above_the_range_values_the_lp_at_its_upper_edge(leverage):
    """A short liquidated above the LP's range, on fine steps: the venue values the LP (all quote
    there) at its oracle's price clipped to the range."""
    s = Scenario(**ref.BASE, leverage=leverage, oracle=ChainlinkFeed(0.003, 86_400.0))
    r = ref.check(s, FINE_UP, ref.DT)
    assert r.liquidated.all()
    assert (FINE_UP[r.liquidation_step, [0, 1]] > 1.2 * ref.P0).all()


# -- every Scenario / Policy field: its name in its message, arrays refused, stored as a float ----
SCALAR_FIELDS = {  # field -> a bad number
    "width_pct": -1.0, "fee_apr": -1.0, "fee_reference_width_pct": -1.0,
    "funding_rate_per_year": math.inf, "cash_margin_fraction": 1.5, "ewma_lambda": 1.0,
}


@pytest.mark.parametrize("name, bad", list(SCALAR_FIELDS.items()))
def test_scenario_scalar_fields_are_named_and_stored_as_floats(name, bad):
    with pytest.raises(ValueError) as e:
        Scenario(**{name: [0.5, 0.6]})
    assert str(e.value) == f"{name} must be a single number here, got an array of shape (2,)"
    with pytest.raises(ValueError) as e:
        Scenario(**{name: bad})
    assert str(e.value).startswith(f"{name} must be ")
    s = Scenario(**{name: np.float32(0.5)})
    assert type(getattr(s, name)) is float and getattr(s, name) == 0.5


@pytest.mark.parametrize("name", ["price", "deposit", "wallet_cash", "leverage", "cash_apr",
                                  "swap_fee_fraction", "perp_fee_fraction"])
def test_scenario_amounts_are_named(name):
    with pytest.raises(ValueError) as e:
        Scenario(**{name: -1.0})
    assert str(e.value).startswith(f"{name} must be a finite number ")


@pytest.mark.parametrize("name, options", [
    ("kind", "'lp', 'stable', 'lp_plus_cash', 'hold'"), ("side", "'short', 'long'"),
    ("mode", "'isolated', 'cross'")])
def test_scenario_choices_are_named(name, options):
    with pytest.raises(ValueError) as e:
        Scenario(**{name: "x"})
    assert str(e.value) == f"{name} must be one of {options}; got 'x'"


@pytest.mark.parametrize("name", ["top_up_health", "top_up_target"])
def test_policy_health_fields_are_named(name):
    with pytest.raises(ValueError) as e:
        Policy(**{name: [3.0, 4.0]})
    assert str(e.value) == f"{name} must be a single number here, got an array of shape (2,)"
    with pytest.raises(ValueError) as e:
        Policy(**{name: -1.0})
    assert str(e.value) == f"{name} must be a finite number > 0, got -1.0"


def test_policy_blocks_is_named_and_stored_as_an_int():
    assert type(Policy(blocks=np.int64(2)).blocks) is int
    with pytest.raises(ValueError) as e:
        Policy(blocks=1.5)
    assert str(e.value) == "blocks must be an integer, got float 1.5"

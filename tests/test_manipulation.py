"""Manipulation economics: closed forms vs the swap engine and the TWAP oracle, the table."""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.costs import swap_price_impact
from lpperp.manipulation import (
    manipulation_cost,
    manipulation_table,
    price_move_cost,
    twap_spot_move,
)
from lpperp.oracle import TwapOracle
from lpperp.oracle_risk import crash_day_account
from lpperp.swap import LiquidityProfile, float_swap

P0, L = 3000.0, 2e5


@pytest.mark.parametrize("x", [-0.3, -0.05, -0.001, 0.001, 0.02, 0.5])
def test_one_segment_is_the_closed_form_and_the_swap_engine(x):
    free = LiquidityProfile.uniform(P0, L, 0.0)
    p1 = P0 * (1 + x)
    # notes/oracles.md section 6: loss = L (sqrt P1 - sqrt P0)^2 / sqrt P1
    assert price_move_cost(free, P0, x) == pytest.approx(
        L * (np.sqrt(p1) - np.sqrt(P0)) ** 2 / np.sqrt(p1), rel=1e-10)
    dx = L * abs(1 / np.sqrt(P0) - 1 / np.sqrt(p1))  # base out (up) or in (down)
    # the same loss as costs.swap_price_impact (constant liquidity, against the mid)
    assert price_move_cost(free, P0, x) == pytest.approx(
        swap_price_impact(dx if x > 0 else -dx, P0, L), rel=1e-9)
    # lpperp.swap's float twin moves the price to P1 with that base amount
    _, after = float_swap(free, P0, -dx if x > 0 else dx)
    assert after == pytest.approx(p1, rel=1e-9)
    fee = LiquidityProfile.uniform(P0, L, 0.003)
    dy = L * abs(np.sqrt(p1) - np.sqrt(P0))
    paid = dy if x > 0 else dx * P0
    assert price_move_cost(fee, P0, x) - price_move_cost(free, P0, x) == pytest.approx(
        0.003 / 0.997 * paid, rel=1e-9)


def test_piecewise_profile_sums_segments_and_thin_tails_are_cheap():
    conc = LiquidityProfile.concentrated(P0, 1e6, 0.0, width_fraction=0.02, tail_fraction=0.01)
    flat = LiquidityProfile.uniform(P0, 1e6, 0.0)
    assert price_move_cost(conc, P0, 0.01) == pytest.approx(price_move_cost(flat, P0, 0.01))
    assert price_move_cost(conc, P0, -0.2) < 0.2 * price_move_cost(flat, P0, -0.2)
    x = np.linspace(-0.5, 0.5, 41)
    c = price_move_cost(conc, P0, x)
    assert np.all(np.diff(c[x >= 0]) > 0) and np.all(np.diff(c[x <= 0]) < 0)


def test_twap_spot_move_against_the_twap_oracle():
    # hold spot at P0 * (1 + s) for the last t seconds of a W window: the TWAP reads ~ P0 (1 + x)
    w, hold, x = 1800.0, 120.0, 0.01
    s = twap_spot_move(x, w, hold)
    assert s == pytest.approx(1.01 ** 15 - 1)
    t = np.arange(0, 3600 + 1, 12.0)
    p = np.where(t >= 3600 - hold, P0 * (1 + s), P0)
    got = TwapOracle(w).report(t, p)[-1] / TwapOracle(w).report(t, np.full(t.size, P0))[-1]
    assert got == pytest.approx(1 + x, abs=2e-4)  # one tick (1e-4) of flooring either way
    assert twap_spot_move(x, 0.0, 12.0) == pytest.approx(x)
    assert twap_spot_move(x, 600.0, 1200.0) == pytest.approx(x)


def test_manipulation_cost_modes():
    prof = LiquidityProfile.uniform(P0, 1e6, 0.0005)
    one = manipulation_cost(prof, P0, -0.02)
    assert manipulation_cost(prof, P0, -0.02, n_blocks=5) == pytest.approx(5 * one)
    longer = [manipulation_cost(prof, P0, -0.02, window_seconds=w) for w in (60, 600, 1800)]
    assert one < longer[0] < longer[1] < longer[2]
    held = manipulation_cost(prof, P0, -0.02, window_seconds=1800, n_blocks=150)
    assert held == pytest.approx(150 * one)  # held a whole window: the spot move itself
    assert manipulation_cost(prof, P0, -0.02, consecutive_blocks=True) < one
    with pytest.raises(ValueError, match="profile"):
        price_move_cost("pool", P0, 0.01)
    with pytest.raises(ValueError, match="move_fraction must be > -1"):
        price_move_cost(prof, P0, -1.5)


def test_table_per_pool_depth():
    acct = crash_day_account(P0)
    tab = manipulation_table(acct, P0, [10.0, 1e3, 1e5, 1e6], mechanics="revert",
                             twap_windows_seconds=(600.0, 1800.0))
    assert tab.move_fraction < 0 and tab.gain > 0
    bound = float(acct.liquidation(P0).liquidation_price_below)
    assert tab.move_fraction == pytest.approx(bound / P0 - 1)
    spot = tab.costs["spot"]
    assert np.all(np.diff(spot) > 0)  # deeper pools cost more to push
    np.testing.assert_array_equal(tab.profitable("spot"), spot < tab.gain)
    assert tab.profitable("spot")[0] and not tab.profitable("spot")[-1]  # L = 10 (~$1k) is pushable
    assert np.all(tab.costs["twap 1800 s"] >= tab.costs["twap 600 s"])
    assert np.all(np.isinf(tab.costs["chainlink"]))
    assert "liquidator's gain" in tab._repr_html_()


def test_manipulation_table_names_bad_depths_windows_and_accounts():
    # depths='lp' escaped as numpy's "could not convert string to float: 'l'" (tests/test_fuzz.py)
    from lpperp import LpperpError
    from lpperp.oracle_risk import crash_day_account

    acct = crash_day_account(3000.0)
    with pytest.raises(LpperpError, match=r"depths must be named LiquidityProfiles or a list"):
        manipulation_table(acct, 3000.0, "lp")
    with pytest.raises(LpperpError, match=r"depths must be a finite number > 0, got -1.0"):
        manipulation_table(acct, 3000.0, [1e5, -1.0])
    with pytest.raises(LpperpError, match=r"depths\['a'\] must be a LiquidityProfile"):
        manipulation_table(acct, 3000.0, {"a": 1e5})
    with pytest.raises(LpperpError, match=r"depths must hold at most 1000 pools, got 1000000"):
        manipulation_table(acct, 3000.0, range(1, 10**6 + 1))
    with pytest.raises(LpperpError, match=r"account must be an IsolatedAccount or CrossAccount"):
        manipulation_table(3000.0, 3000.0, [1e5])
    with pytest.raises(LpperpError, match=r"twap_windows_seconds must be a finite number > 0"):
        manipulation_table(acct, 3000.0, [1e5], twap_windows_seconds=[600.0, -1.0])
    assert list(manipulation_table(acct, 3000.0, [1e5], twap_windows_seconds=()).costs) == [
        "spot", "chainlink"]

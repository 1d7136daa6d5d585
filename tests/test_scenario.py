"""One scenario, one meaning of leverage: the seed gives the same numbers everywhere.

``leverage`` = perp notional at entry / LP deposit value at entry (DESIGN.md vocabulary). The seed
(README: $10k WETH/USDC on Arbitrum +/-20 % around 3,000, 2x short, Hyperliquid rules, Revert Lend's
77.5 % factor) built four ways - the record, the explorers (notebooks 00/02 and 04), notebook 02's
hand-written cell and ``simulate`` - must agree on perp size, health and liquidation boundary.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.collateral import REVERT_LEND_ARBITRUM_WETH_USDC, StaticFactor
from lpperp.margin import IsolatedAccount
from lpperp.perp import PerpPosition
from lpperp.position import LPPosition
from lpperp.scenario import SEED, AccountSpec, LPSpec, PerpSpec, ScenarioSpec, field_info
from lpperp.simulate import initial_account
from lpperp.venues import get_venue


def _numbers(acct, price=3000.0):
    perp = acct.perp if hasattr(acct, "perp") else acct.perps[0]
    return (perp.size, float(acct.health(price)),
            *np.asarray(acct.liquidation(price).boundaries, dtype=float).tolist())


def test_seed_is_the_readme_scenario():
    # README "The seed scenario in a few lines": health 19.37 with size -6.667, boundary 4130.01
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    readme = IsolatedAccount(PerpPosition(-6.667, 3000.0), lp,
                             collateral=REVERT_LEND_ARBITRUM_WETH_USDC,
                             rules=get_venue("hyperliquid"))
    size, health, *bnd = _numbers(SEED.account())
    assert size == pytest.approx(-2 * 10_000.0 / 3000.0, rel=1e-15)
    assert health == pytest.approx(float(readme.health(3000.0)), rel=1e-3)
    assert bnd == pytest.approx(readme.liquidation(3000.0).boundaries.tolist(), rel=1e-4)
    # the static 0.775 factor is Revert Lend's token-min factor for this pair, at every price
    grid = np.linspace(1500.0, 6000.0, 50)
    np.testing.assert_allclose(SEED.account_spec.model().collateral_value(lp, grid),
                               REVERT_LEND_ARBITRUM_WETH_USDC.collateral_value(lp, grid),
                               rtol=1e-12)


def test_same_numbers_in_record_explorers_notebook_and_simulate():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("plotly")
    from lpperp.viz.explorers import HealthExplorer, LiquidationMapExplorer

    want = _numbers(SEED.account())
    # simulate.Scenario, as notebook 06 builds it
    assert _numbers(initial_account(SEED.to_simulation())) == pytest.approx(want, rel=1e-12)
    # the explorers' defaults (notebooks 00, 02: HealthExplorer; 04: LiquidationMapExplorer)
    ex = HealthExplorer()
    assert _numbers(ex.result.account) == pytest.approx(want, rel=1e-12)
    assert ex.result.scenario.to_spec() == SEED
    sel = LiquidationMapExplorer().result.selected
    assert _numbers(sel.account) == pytest.approx(want, rel=1e-12)
    # notebook 02's hand-written cell: size = -leverage * deposit / entry
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    size = -2.0 * 10_000.0 / 3000.0
    by_hand = IsolatedAccount(PerpPosition(size, 3000.0), lp, collateral=StaticFactor(0.775),
                              rules=get_venue("hyperliquid"))
    assert _numbers(by_hand) == pytest.approx(want, rel=1e-12)


def test_leverage_is_notional_over_deposit_whatever_the_factor():
    for cf in (0.3, 0.775, 1.0):
        s = SEED.replace(cf=cf, leverage=3.0)
        assert abs(s.perp().size) * 3000.0 / 10_000.0 == pytest.approx(3.0, rel=1e-15)
        assert s.to_simulation().perp_size == pytest.approx(s.perp().size, rel=1e-15)
    # a lower factor: same perp, less collateral, lower health
    assert SEED.replace(cf=0.5).account().health(3000.0) < SEED.account().health(3000.0)


def test_to_code_round_trips():
    s = SEED.replace(price=3100.0, leverage=3.5, width_pct=None, price_lower=2650.0,
                     price_upper=3500.0, mode="cross", venue="dydx")
    ns: dict = {}
    exec(s.to_code(), ns)
    assert ns["scenario"] == s
    assert SEED.to_code().endswith("SEED.replace()")


def test_records_validate_and_describe_their_fields():
    with pytest.raises(ValueError, match="width_pct must be in"):
        LPSpec(width_pct=100.0)
    with pytest.raises(ValueError, match="side"):
        PerpSpec(side="up")
    with pytest.raises(ValueError, match="mode"):
        AccountSpec(mode="portfolio")
    with pytest.raises(ValueError, match="lp_spec must be a LPSpec"):
        ScenarioSpec(lp_spec=3)
    with pytest.raises(ValueError, match="no field 'lev'"):
        SEED.replace(lev=2.0)
    with pytest.raises(ValueError, match="width_pct"):
        SEED.replace(width_pct=None, price_lower=2600.0, price_upper=3400.0).to_simulation()
    meta = field_info(PerpSpec, "leverage")
    assert meta["label"] == "leverage" and meta["range"][0] <= 2.0 <= meta["range"][1]
    assert field_info(AccountSpec, "venue")["options"][0] == "default"

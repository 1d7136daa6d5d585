"""lpperp.liquidation's entry points agree with the accounts' own solver, in any thread.

References: ``account.liquidation`` (the account hands its public BoundaryProblem to
lpperp.boundary directly), the same account rebuilt by hand for each map parameter, and the
solver's results in the main thread (the fast kernel keeps per-thread scratch memory: a fresh
thread, and calls that need more rows or columns than the last, must give the same numbers).
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lpperp import liquidation
from lpperp._validate import LpperpError
from lpperp.collateral import FunctionFactor, StaticFactor, VolatilityScaledFactor
from lpperp.liquidation import boundary_map, liquidation_boundaries, solve_boundaries
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)


def _same(a, b):
    np.testing.assert_array_equal(a.boundaries, b.boundaries)
    np.testing.assert_array_equal(a.safe_lower, b.safe_lower)
    np.testing.assert_array_equal(a.safe_upper, b.safe_upper)
    np.testing.assert_array_equal(a.liquidatable_now, b.liquidatable_now)


def test_liquidation_boundaries_is_the_accounts_own_solve():
    # closed form, numeric (a collateral model without closed form), and a cross account whose
    # moving market is not the first
    ramp = FunctionFactor(lambda p: np.clip(1.2 - p / 5000.0, 0.2, 0.9), name="ramp")
    iso = IsolatedAccount(PerpPosition(-2.0, P0), LP, cash=-2000.0, rules=FLAT)
    num = replace(iso, collateral=ramp)
    for acct in (iso, num):
        _same(liquidation_boundaries(acct, P0), acct.liquidation(P0))
    r_num = liquidation_boundaries(num, P0)
    assert r_num.boundaries.size and not np.allclose(
        r_num.boundaries, iso.liquidation(P0).boundaries[: r_num.boundaries.size])
    cross = CrossAccount(
        perps=(PerpPosition(-1.5, P0), PerpPosition(0.1, 35_000.0, "BTC")), cash=1000.0,
        rules={"ETH": FLAT, "BTC": MarginRules("btc", 0.1, 0.05)},
    )
    price = {"ETH": P0, "BTC": 35_000.0}
    btc = liquidation_boundaries(cross, price, market="BTC")
    _same(btc, cross.liquidation(price, market="BTC"))
    eth = liquidation_boundaries(cross, price, market="ETH")
    assert float(btc.liquidation_price_below) != pytest.approx(float(eth.liquidation_price_above))
    with pytest.raises(LpperpError, match="IsolatedAccount or CrossAccount"):
        liquidation_boundaries("acct", P0)


def test_cf_map_replaces_a_shocked_model_by_a_static_factor():
    vol = VolatilityScaledFactor(sigma_per_year=1.5, horizon_years=7 / 365, confidence=0.99)
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-3000.0, rules=FLAT, collateral=vol)
    cfs = [0.5, 0.9]
    m = boundary_map(acct, P0, "cf", cfs)
    for i, cf in enumerate(cfs):
        one = replace(acct, collateral=StaticFactor(cf)).liquidation(P0)
        np.testing.assert_allclose(m.boundaries[i][np.isfinite(m.boundaries[i])], one.boundaries,
                                   rtol=1e-12)


def test_renamed_map_parameters_warn_at_the_callers_line():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, rules=FLAT)
    for old, new, vals in (("leverage", "account_leverage", [1.0, 2.0]),
                           ("days", "tau_years", [0.0, 30.0])):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            boundary_map(acct, P0, old, vals)
        dep = [w for w in rec if issubclass(w.category, DeprecationWarning)]
        assert len(dep) == 1 and new in str(dep[0].message)
        # stacklevel points at this call, never into the library (mutmut's trampolines add
        # frames of their own: there only the second check applies)
        if "mutmut" not in dep[0].filename:
            assert dep[0].filename == __file__
        assert Path(dep[0].filename).parent != Path(liquidation.__file__).parent
    with pytest.warns(DeprecationWarning) as rec:
        boundary_map(acct, P0, "leverage", [1.0])
    msg = str(rec[0].message)
    assert msg.startswith("param='leverage' is renamed 'account_leverage' (perp notional / equity")
    assert msg.endswith("'leverage' now means perp notional at entry / LP deposit at entry")
    with pytest.warns(DeprecationWarning) as rec:
        boundary_map(acct, P0, "days", [1.0])
    assert str(rec[0].message).startswith("param='days' is renamed 'tau_years' (values in years")
    with pytest.raises(LpperpError, match=r"^param must be one of"):
        boundary_map(acct, P0, "width", [1.0])
    with pytest.raises(LpperpError, match=r"^param2 must be one of"):
        boundary_map(acct, P0, "cash", [1.0], "width", [1.0])


def _accounts(n, seed):
    rng = np.random.default_rng(seed)
    pa = rng.uniform(500, 4000, n)
    return dict(price=P0, size=rng.normal(0, 8, n), entry_price=P0, cash=rng.normal(0, 8000, n),
                price_lower=pa, price_upper=pa * rng.uniform(1.01, 3, n),
                liquidity=rng.uniform(0, 2000, n), shock=rng.uniform(0.7, 1.0, n),
                base_factor=rng.uniform(0, 1, n), quote_factor=rng.uniform(0, 1, n))


def test_fast_kernel_scratch_memory_in_a_fresh_thread_and_growing_calls():
    # one tier then four (more scratch rows), few accounts then many (more columns), then few
    # again: each call in a new thread equals the same call in this thread
    calls = [(FLAT, 40, 1), (TIERED, 40, 2), (TIERED, 400, 3), (FLAT, 400, 4), (TIERED, 30, 5)]
    here = [solve_boundaries(rules=r, **_accounts(n, s)) for r, n, s in calls]
    there: list = []
    errors: list = []

    def work():
        try:
            there.extend(solve_boundaries(rules=r, **_accounts(n, s)) for r, n, s in calls)
        except Exception as exc:  # reported in the main thread
            errors.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert not errors, errors
    for a, b in zip(here, there, strict=True):
        _same(a, b)
    # and the first result is not an artefact of the call order in this thread
    _same(here[0], solve_boundaries(rules=FLAT, **_accounts(40, 1)))

"""Path-dependent runs against the margin engine, accounting identities, policies, timing, tables,
stress, sweeps (in process and on a Dask LocalCluster), and a backtest on real ETH-USD data."""

from __future__ import annotations

import os
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp._validate import LpperpError
from lpperp.collateral import StaticFactor, VolatilityScaledFactor
from lpperp.costs import ARBITRUM, ETHEREUM
from lpperp.margin import IsolatedAccount
from lpperp.oracle import ChainlinkFeed, Spot
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.prices import PriceSeries, load_prices, sample_prices
from lpperp.processes import (
    GBM,
    PATH_BLOCK,
    BlockBootstrap,
    ConstantFunding,
    MertonJumpDiffusion,
    OUFunding,
)
from lpperp.settlement import settle_liquidation
from lpperp.simulate import (
    HYPERLIQUID_TAKER_FEE_FRACTION,
    Policy,
    Scenario,
    backtest,
    initial_account,
    run_on_paths,
    simulate,
)
from lpperp.strategies import compare_strategies, hedging_strategies, run_sweep, stress_test
from lpperp.venues import get_mechanics, get_venue, mechanics_for

ETH = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETH-USD.csv"
RULES = MarginRules("test 2%/4%", 0.04, 0.02, liquidation_fee_fraction=0.01)
QUIET = {"fee_apr": 0.0, "funding_rate_per_year": 0.0, "rules": RULES, "swap_fee_fraction": 0.0}


def _identity_gap(r):
    parts = (
        r.hold + r.il + r.fees + r.perp - r.funding + r.cash_yield - r.costs - r.hedge_costs
        - r.liquidation_loss
    )
    assert np.allclose(sum(r.attribution().values()), parts, rtol=0, atol=1e-9)
    return float(np.abs(parts - r.pnl).max())


# -- against lpperp.margin --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"side": "long", "leverage": 4.0},
        {"kind": "stable", "leverage": 8.0},
        {"kind": "lp_plus_cash", "mode": "cross", "leverage": 5.0},
        {"mode": "cross", "wallet_cash": 2000.0, "leverage": 4.0},
        {"collateral": StaticFactor(1.0), "leverage": 3.0, "width_pct": 5.0},
    ],
)
def test_one_step_matches_the_margin_engine(kw):
    s = Scenario(**(QUIET | kw))
    acct = initial_account(s)
    grid = np.geomspace(1000.0, 9000.0, 801)
    paths = np.vstack([np.full(grid.size, s.price), grid])
    r = run_on_paths(s, paths, 1 / 365)
    np.testing.assert_array_equal(r.liquidated, acct.is_liquidatable(grid))
    # survivors hold the account at full LP value (cf = 1) plus what sits outside it
    full = initial_account(replace(s, collateral=StaticFactor(1.0)))
    outside = 0.0
    if s.kind == "lp_plus_cash" and s.mode == "isolated":
        outside = LPPosition.from_deposit(s.lp_deposit, s.price, width_pct=s.width_pct).value(grid)
    if s.mode == "isolated":
        outside = outside + s.wallet_cash
    ok = ~r.liquidated
    np.testing.assert_allclose(r.final_wealth[ok], (full.equity(grid) + outside)[ok], rtol=1e-12)
    # the liquidated keep what the venue's mechanics leave of the TRUE equity (LP at market):
    # the collateral haircut only decides *when* the account is liquidated, never how much the
    # owner loses (issue 9); inputs from the margin engine's account, not the simulator's state
    eq = np.asarray(full.equity(grid))
    lp_in = acct.lps[0] if s.mode == "cross" and acct.lps else getattr(acct, "lp", None)
    base, quote = lp_in.amounts(grid) if lp_in is not None else (0.0, 0.0)
    st = settle_liquidation(
        mechanics_for(RULES), price=grid, lp_base=base, lp_quote=quote, cash=acct.cash,
        perp_size=s.perp_size, perp_entry_price=s.price, fees=0.0, funding_paid=0.0,
        maintenance=RULES.maintenance_margin(abs(s.perp_size) * grid),
        venue_equity=acct.equity(grid),
        collateral_value=(s.collateral.collateral_value(lp_in, grid) if lp_in is not None
                          else None),
    )
    np.testing.assert_allclose(st.true_equity, eq, rtol=1e-12, atol=1e-9)
    kept = st.owner_keeps
    assert np.all(kept >= np.maximum(eq - RULES.liquidation_fee(abs(s.perp_size) * grid) - 30, 0))
    np.testing.assert_allclose(
        r.final_wealth[~ok],
        (kept + outside)[~ok] if np.ndim(outside) else kept[~ok] + outside,
        rtol=1e-12,
        atol=1e-9,
    )
    assert _identity_gap(r) < 1e-8


def test_liquidation_step_matches_the_closed_form_boundary():
    s = Scenario(**QUIET, leverage=3.0)
    above = float(initial_account(s).liquidation(s.price).liquidation_price_above)
    path = s.price * np.exp(np.linspace(0.0, np.log(1.5), 200))
    r = run_on_paths(s, path, 1 / 365)
    t = int(r.liquidation_step[0])
    assert path[t - 1] < above <= path[t]


@pytest.mark.parametrize("dt", [1 / 365, 1 / 8760])
def test_collateral_factor_follows_the_oracle_ewma(dt):
    model = VolatilityScaledFactor(0.6, horizon_years=1 / 365, confidence=0.99)
    s = Scenario(**QUIET, collateral=model, leverage=4.0, ewma_lambda=0.9)
    grid = np.geomspace(2500.0, 4000.0, 301)
    r = run_on_paths(s, np.vstack([np.full(grid.size, s.price), grid]), dt)
    lam = 0.9 ** (dt * 365)  # the daily decay per step
    var1 = lam * 0.6**2 * dt + (1 - lam) * np.log(grid / s.price) ** 2  # the oracle after a return
    expect = [
        initial_account(
            replace(s, collateral=replace(model, sigma_per_year=float(v)))
        ).is_liquidatable(float(p))
        for v, p in zip(np.sqrt(var1 / dt), grid, strict=True)
    ]
    np.testing.assert_array_equal(r.liquidated, expect)
    calm = initial_account(replace(s, collateral=replace(model, sigma_per_year=0.6)))
    assert r.liquidated.sum() > np.sum(calm.is_liquidatable(grid))  # a big move raises the haircut


def test_survival_of_a_quiet_account_matches_the_closed_form():
    """No fees, funding or costs: fixed boundaries, so the simulated survival (discrete hourly
    checks) is the GBM band formula at that monitoring (BGK), within the Monte Carlo error."""
    from lpperp.risk import band_exit_probability, safe_band

    s = Scenario(**QUIET, leverage=3.0)
    lo, hi = safe_band(initial_account(s), s.price)
    tau, n = 30 / 365, 720
    r = simulate(s, GBM(0.8), tau, n, 12_000, seed=21)
    exact = 1.0 - band_exit_probability(s.price, lo, hi, 0.8, tau, dt_years=tau / n)
    summ = r.summary()
    se = np.sqrt(exact * (1 - exact) / r.n_paths)
    assert abs(summ.survival - exact) < 4 * se + 2e-3, (summ.survival, exact)
    assert summ.survival_ci[0] < summ.survival < summ.survival_ci[1]


def test_impermanent_loss_is_minus_lvr_on_average():
    """Martingale prices: E[IL vs hold] = -E[LVR] (Milionis et al. 2022), LVR realised per step."""
    s = Scenario(**QUIET, leverage=0.0, width_pct=20.0)
    r = simulate(s, GBM(0.8), 30 / 365, 240, 8000, seed=17)
    d = r.il + r.lvr
    assert abs(d.mean()) < 4 * d.std() / np.sqrt(d.size) + 1.0
    assert r.lvr.mean() > 100.0 and (r.lvr >= 0).all()
    c = r.survival_curve()
    assert c[0] == 1.0 and c[-1] == r.summary().survival


def test_fees_and_funding_at_a_constant_price():
    s = Scenario(fee_apr=0.3, funding_rate_per_year=0.12, swap_fee_fraction=0.0)
    r = run_on_paths(s, np.full(31, s.price), 1 / 365)
    lp = LPPosition.from_deposit(s.deposit, s.price, width_pct=s.width_pct)
    assert r.fees[0] == pytest.approx(lp.fee_income(s.price, 30 / 365, fee_apr=0.3), rel=1e-12)
    # fees per unit of liquidity: a +-5 % range of the same value earns L5/L20 times more
    narrow = replace(s, width_pct=5.0)
    lp5 = LPPosition.from_deposit(s.deposit, s.price, width_pct=5.0)
    r5 = run_on_paths(narrow, np.full(31, s.price), 1 / 365)
    assert r5.fees[0] / r.fees[0] == pytest.approx(lp5.liquidity / lp.liquidity, rel=1e-12)
    flat = run_on_paths(
        replace(narrow, fee_reference_width_pct=None), np.full(31, s.price), 1 / 365
    )
    assert flat.fees[0] == pytest.approx(r.fees[0], rel=1e-12)
    perp = PerpPosition(s.perp_size, s.price)
    assert r.funding[0] == pytest.approx(perp.funding_payment(s.price, 30 / 365, 0.12), rel=1e-12)
    assert r.funding[0] < 0  # a short receives a positive rate


# -- identities, reproducibility, chunking ---------------------------------------------------------
SCENARIOS = {
    "lp": Scenario(chain=ARBITRUM, policy=Policy(recentre=True, top_up=True)),
    "stable": Scenario(kind="stable", chain=ETHEREUM, cash_apr=0.05, policy=Policy(top_up=True)),
    "lp+cash iso": Scenario(
        kind="lp_plus_cash",
        wallet_cash=1000.0,
        chain=ARBITRUM,
        policy=Policy(recentre=True, top_up=True, latency_s=3600.0),
    ),
    "cross": Scenario(
        mode="cross",
        wallet_cash=2000.0,
        leverage=4.0,
        chain=ETHEREUM,
        collateral=VolatilityScaledFactor(0.8),
        policy=Policy(recentre=True, recentre_health=3.0),
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_pnl_split_adds_up_and_seed_and_chunking_change_nothing(name):
    s = SCENARIOS[name]
    proc = MertonJumpDiffusion(0.7, 8.0, -0.05, 0.08)
    a = simulate(s, proc, 20 / 365, 80, PATH_BLOCK + 500, seed=3)
    b = simulate(s, proc, 20 / 365, 80, PATH_BLOCK + 500, seed=3, chunk_paths=10**9, progress=True)
    assert _identity_gap(a) < 1e-6
    for f in ("final_wealth", "fees", "il", "costs", "liquidation_step", "capital_added"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    steps7 = simulate(s, proc, 20 / 365, 80, PATH_BLOCK + 500, seed=3, chunk_steps=7)
    np.testing.assert_array_equal(a.final_wealth, steps7.final_wealth)
    c = simulate(s, proc, 20 / 365, 80, 500, seed=4)
    assert not np.array_equal(a.final_wealth[:500], c.final_wealth)
    assert (a.fees >= 0).all() and (a.costs >= 0).all()
    assert (a.liquidation_loss[~a.liquidated] == 0).all()


def test_streamed_simulation_equals_the_path_matrix():
    from lpperp.processes import sample_paths

    s = Scenario(chain=ARBITRUM, policy=Policy(recentre=True, blocks=0, latency_s=0.0))
    a = simulate(s, GBM(0.8), 30 / 365, 90, 3000, seed=12, chunk_steps=16)
    paths = sample_paths(GBM(0.8), s.price, 30 / 365, 90, 3000, seed=12)
    b = run_on_paths(s, paths.T, 30 / 365 / 90)  # no delay: the noise never matters
    np.testing.assert_allclose(a.final_wealth, b.final_wealth, rtol=1e-12)
    np.testing.assert_array_equal(a.n_recentres, b.n_recentres)


def test_memory_bounded_by_the_chunk_whatever_paths_and_steps():
    def peak(n, steps):
        tracemalloc.start()
        try:
            # one block per chunk (the default, SIMULATE_CHUNK_PATHS, is three)
            simulate(Scenario(), GBM(0.8), 30 / 365, steps, n, seed=0, chunk_paths=PATH_BLOCK)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, big = peak(PATH_BLOCK, 128), peak(2 * PATH_BLOCK, 640)  # full 64-step chunks in both
    assert small < 20 * 2**20
    assert big < small + 200 * 2 * PATH_BLOCK  # only per-path results (~200 bytes a path) grow


class _InterruptingGBM(GBM):
    """A real GBM whose second block raises KeyboardInterrupt, as Ctrl-C would."""

    def sampler(self, ss, n_paths, dt_years):
        if ss.spawn_key[-1] == 1:
            raise KeyboardInterrupt
        return super().sampler(ss, n_paths, dt_years)


def test_interrupt_keeps_the_finished_chunks():
    with pytest.warns(RuntimeWarning, match="interrupted"):
        r = simulate(Scenario(), _InterruptingGBM(0.8), 10 / 365, 10, 3 * PATH_BLOCK, seed=1,
                     chunk_paths=PATH_BLOCK)  # one block a chunk: the first chunk finishes
    assert r.n_paths == PATH_BLOCK


@settings(max_examples=25, deadline=None)
@given(
    st.floats(0.5, 6.0),
    st.floats(2.0, 60.0),
    st.floats(0.0, 5000.0),
    st.booleans(),
    st.sampled_from(["lp", "lp_plus_cash", "stable"]),
)
def test_cross_margin_is_never_liquidated_where_isolated_survives(lev, width, wallet, long, kind):
    """Same paths, no policy: cross adds the wallet to the same account, so pathwise a cross
    liquidation implies an isolated one, never later; and the P&L split still adds up."""
    iso = Scenario(
        leverage=lev,
        width_pct=width,
        wallet_cash=wallet,
        kind=kind,
        side="long" if long else "short",
        chain=ARBITRUM,
    )
    t = compare_strategies(
        {"iso": iso, "cross": replace(iso, mode="cross")}, GBM(0.9), 20 / 365, 20, 400, seed=13
    )
    assert t.row("cross")["survival"] >= t.row("iso")["survival"]
    a = simulate(iso, GBM(0.9), 20 / 365, 20, 400, seed=13)
    b = simulate(replace(iso, mode="cross"), GBM(0.9), 20 / 365, 20, 400, seed=13)
    assert not (b.liquidated & ~a.liquidated).any()
    both = a.liquidated & b.liquidated
    assert (b.liquidation_step[both] >= a.liquidation_step[both]).all()
    assert _identity_gap(a) < 1e-6 and _identity_gap(b) < 1e-6


# -- policies and timing ---------------------------------------------------------------------------
def test_recentre_when_out_of_range_resets_the_range_and_costs():
    s = Scenario(
        chain=ETHEREUM, policy=Policy(recentre=True, blocks=0, latency_s=0.0), leverage=1.0
    )
    path = np.r_[3000.0, 3000.0, 3900.0, 3900.0, 3900.0]  # jumps above the +-20% range
    r = run_on_paths(s, path, 1 / 365, noise=np.zeros((4, 1)))
    assert r.n_recentres[0] == 1
    assert r.costs[0] > 2 * 0.000787 * 3000  # mint at entry + recentre gas + swap fee
    lazy = run_on_paths(replace(s, policy=Policy()), path, 1 / 365)
    assert r.fees[0] > lazy.fees[0]  # back in range, earning again
    assert _identity_gap(r) < 1e-9


def test_a_slow_reaction_is_liquidated_where_an_instant_one_survives():
    path = 3000.0 * np.exp(np.arange(15) * 0.03)  # +3 % a day against a 3x short
    z = np.zeros((14, 1))

    def run(latency_s):
        pol = Policy(
            top_up=True, top_up_health=3.0, top_up_target=6.0, blocks=0, latency_s=latency_s
        )
        return run_on_paths(Scenario(leverage=3.0, policy=pol), path, 1 / 365, noise=z)

    fast, slow = run(0.0), run(2 * 86400.0)
    assert not fast.liquidated[0] and fast.n_top_ups[0] >= 1 and fast.capital_added[0] > 0
    assert slow.liquidated[0] and slow.n_top_ups[0] == 0
    assert _identity_gap(fast) < 1e-9 and _identity_gap(slow) < 1e-9


def test_chain_block_time_enters_the_delay():
    pol = Policy(blocks=10, latency_s=5.0)
    assert pol.reaction_delay_s(ETHEREUM.block_time_s) == pytest.approx(125.0)
    assert pol.reaction_delay_s(ARBITRUM.block_time_s) == pytest.approx(7.5)


# -- comparisons, stress, sweeps ---------------------------------------------------------------------
def test_compare_strategies_on_the_same_paths():
    base = Scenario(chain=ARBITRUM, policy=Policy(recentre=True))
    table = compare_strategies(
        {
            "LP collateral": base,
            "LP collateral (copy)": base,
            "stablecoin collateral": replace(base, kind="stable"),
            "LP + cash margin": replace(base, kind="lp_plus_cash"),
            "cross": replace(base, mode="cross", wallet_cash=3000.0),
            "narrow 5%": replace(base, width_pct=5.0),
            "mainnet": replace(base, chain=ETHEREUM),
        },
        GBM(0.8),
        30 / 365,
        60,
        3000,
        seed=9,
    )
    a, b = table.row("LP collateral"), table.row("LP collateral (copy)")
    assert a == b  # same paths, same numbers
    assert table.row("stablecoin collateral")["fees_earned"] == 0.0
    assert table.row("narrow 5%")["fees_earned"] > a["fees_earned"]
    assert (
        table.row("mainnet")["costs_paid"] > a["costs_paid"] + 2.0
    )  # gas: 2.36 vs 0.12 a recentre
    assert table.row("cross")["survival"] >= a["survival"]
    assert set(table.COLUMNS) == set(a)
    assert "survival" in table._repr_html_() and "LP + cash margin" in repr(table)


def test_stress_isolated_protects_the_wallet_cross_spends_it():
    s = Scenario(leverage=3.0, wallet_cash=3000.0, chain=ARBITRUM)
    shocks = {
        "+60% in a day": np.r_[3000.0, 4800.0, 4800.0],
        "+30% in a day": np.r_[3000.0, 3900.0],
    }
    r = stress_test(s, shocks)
    i60 = r.shocks.index("+60% in a day")
    assert r.isolated_liquidated[i60] and r.cross_liquidated[i60]
    assert r.isolated_loss[i60] <= s.deposit + 1e-6  # the wallet's 3000 survive
    assert r.cross_loss[i60] > s.deposit  # cross margin spent the wallet too
    i30 = r.shocks.index("+30% in a day")
    assert r.isolated_liquidated[i30] and not r.cross_liquidated[i30]
    default = stress_test(s)
    assert "gap above range" in default.shocks and "crash" in repr(default)


def test_run_sweep_in_process():
    out = run_sweep(
        Scenario(),
        {"width_pct": [10.0, 40.0], "leverage": [1.0, 3.0]},
        GBM(0.8),
        30 / 365,
        30,
        2000,
        seed=5,
    )
    assert [p for p, _ in out][1] == {"width_pct": 10.0, "leverage": 3.0}
    surv = {(p["width_pct"], p["leverage"]): s.survival for p, s in out}
    assert surv[(10.0, 1.0)] >= surv[(10.0, 3.0)]
    with pytest.raises(ValueError, match="grid keys must be Scenario fields"):
        run_sweep(Scenario(), {"widht_pct": [1]}, GBM(0.8), 0.1, 10, 10)
    with pytest.raises(ValueError, match="needs an int seed"):
        run_sweep(Scenario(), {"width_pct": [1]}, GBM(0.8), 0.1, 10, 10, seed=None)


def test_run_sweep_on_a_dask_cluster_gives_the_same_numbers():
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("dask.distributed is not installed (extra lpperp[dask])")
    grid = {"width_pct": [10.0, 30.0], "mode": ["isolated", "cross"]}
    args = (Scenario(wallet_cash=1000.0), grid, GBM(0.8), 30 / 365, 30, 1500)
    local = run_sweep(*args, seed=6)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = run_sweep(*args, seed=6, client=client)
    assert [p for p, _ in local] == [p for p, _ in remote]
    assert [s for _, s in local] == [s for _, s in remote]


# -- data -------------------------------------------------------------------------------------------
def test_backtest_on_the_bundled_sample():
    series = sample_prices()
    r = backtest(Scenario(policy=Policy(recentre=True), chain=ARBITRUM), series.tail(181))
    assert r.n_paths == 1 and r.n_steps == 180 and _identity_gap(r) < 1e-8


@pytest.mark.skipif(
    not ETH.is_file(),
    reason=f"real price data not found at {ETH} "
    "(../shared/data is only on the maintainers' machine)",
)
def test_backtest_through_the_may_2021_crash():
    s = load_prices(ETH, missing="drop")
    i, j = np.searchsorted(s.times, [np.datetime64("2021-05-01"), np.datetime64("2021-06-01")])
    may = PriceSeries(s.times[i:j], s.prices[i:j])
    r5 = backtest(Scenario(side="long", leverage=5.0), may)
    assert r5.liquidated[0] and str(may.times[r5.liquidation_step[0]])[:10] == "2021-05-19"
    r1 = backtest(Scenario(side="long", leverage=1.0), may)
    assert not r1.liquidated[0] and r1.pnl[0] < 0


# --- regressions found in review --------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"recentre": "no"}, "recentre must be True or False"),  # a truthy string recentred
        ({"top_up": None}, "top_up must be True or False"),
        ({"top_up_target": float("nan")}, "top_up_target must be a finite number > 0"),
    ],
)
def test_policy_flags_and_target_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Policy(**kwargs)


def test_backtest_needs_a_price_series_and_stress_test_a_shock():
    with pytest.raises(ValueError, match="series must be a PriceSeries"):
        backtest(Scenario(), np.array([3000.0, 3100.0]))  # was AttributeError: no 'prices'
    with pytest.raises(ValueError, match="shocks must name at least one"):
        stress_test(Scenario(), {})  # was "max() arg is an empty sequence"


# -- funding that moves (issue 10 part 4) -----------------------------------------------------------
def test_funding_is_paid_on_the_mark_of_each_step():
    """A short on a path that doubles: funding is sum q P_t rate dt, not q P_0 rate dt per step
    (the issue-14 mutant 'funding charged at the entry price instead of the mark')."""
    s = Scenario(**(QUIET | {"funding_rate_per_year": 0.5, "kind": "stable", "leverage": 1.0}))
    path = np.linspace(s.price, 2 * s.price, 31)
    dt = 1 / 365
    r = run_on_paths(s, path, dt)
    expect = np.sum(s.perp_size * path[1:] * 0.5 * dt)
    assert r.funding[0] == pytest.approx(expect, rel=1e-12)
    assert abs(r.funding[0] - s.perp_size * s.price * 0.5 * 30 * dt) > 0.3 * abs(expect)
    assert _identity_gap(r) < 1e-9


def test_funding_paid_enters_the_margin_check():
    """A long paying 600 %/yr funding on a gently rising path: without funding it survives; with
    funding it is liquidated at the first step where the margin engine, with the cash reduced by
    the funding paid so far on the mark, says so (the issue-14 mutant 'funding removed from the
    simulated margin check')."""
    base = Scenario(**(QUIET | {"kind": "stable", "side": "long", "leverage": 8.0}))
    path = base.price * np.linspace(1.0, 1.02, 121)
    dt = 1 / 365
    calm = run_on_paths(base, path, dt)
    assert not calm.liquidated[0]
    s = replace(base, funding_rate_per_year=6.0)
    r = run_on_paths(s, path, dt)
    q = s.perp_size
    paid = np.cumsum(q * path[1:] * 6.0 * dt)
    acct = [
        IsolatedAccount(PerpPosition(q, s.price), None, s.deposit - f, StaticFactor(0.8), RULES)
        for f in paid
    ]
    first = next(t for t in range(1, path.size) if acct[t - 1].is_liquidatable(path[t]))
    assert r.liquidated[0] and int(r.liquidation_step[0]) == first
    assert r.funding[0] == pytest.approx(paid[first - 1], rel=1e-12)
    assert _identity_gap(r) < 1e-9


def test_funding_is_paid_at_the_venue_interval():
    """Ten-minute steps, hourly payments: the funding of each hour is paid at its end on that
    step's mark; with an 8-hour interval fewer, larger payments."""
    s = Scenario(**(QUIET | {"kind": "stable", "leverage": 1.0}))
    dt = 1 / (365 * 24 * 6)
    path = s.price * np.exp(np.linspace(0.0, 0.1, 6 * 24 + 1))
    for hours in (1.0, 8.0):
        r = run_on_paths(replace(s, funding=ConstantFunding(0.3, interval_hours=hours)), path, dt)
        k = int(6 * hours)
        pays = path[k::k]
        expect = np.sum(s.perp_size * pays * 0.3 * k * dt)
        assert r.funding[0] == pytest.approx(expect, rel=1e-9)
    plain = run_on_paths(replace(s, funding_rate_per_year=0.3), path, 1 / 365)
    same = run_on_paths(replace(s, funding=0.3), path, 1 / 365)
    assert plain.funding[0] == same.funding[0]  # a plain number is constant funding


def test_stochastic_funding_is_reproducible_and_chunking_invariant():
    f = OUFunding(0.1, kappa_per_year=20.0, sigma_per_year=3.0, correlation=0.5)
    s = Scenario(funding=f, chain=ARBITRUM, policy=Policy(recentre=True))
    a = simulate(s, GBM(0.8), 20 / 365, 480, PATH_BLOCK + 300, seed=9)
    b = simulate(s, GBM(0.8), 20 / 365, 480, PATH_BLOCK + 300, seed=9, chunk_paths=10**9,
                 chunk_steps=50)
    np.testing.assert_array_equal(a.funding, b.funding)
    np.testing.assert_array_equal(a.final_wealth, b.final_wealth)
    const = simulate(replace(s, funding=None, funding_rate_per_year=0.1), GBM(0.8), 20 / 365, 480,
                     PATH_BLOCK + 300, seed=9)
    assert a.funding.std() > 1.5 * const.funding.std()
    assert _identity_gap(a) < 1e-6


# -- the delta-hedged LP (issue 10 part 3) ----------------------------------------------------------
HEDGE0 = Policy(hedge=True, hedge_band=0.0, blocks=0, latency_s=0.0)


def _expected_lvr(lp, price, sigma, tau, n=4000):
    """``E[int_0^tau sigma^2/4 L sqrt(P_t) 1{pa < P_t < pb} dt]`` for driftless GBM: the lognormal
    partial moment of order 1/2, ``sqrt(P0) e^{-sigma^2 t/8} [Phi(d_b) - Phi(d_a)]`` with
    ``d = (ln(x/P0) + sigma^2 t/2 - sigma^2 t/2) / (sigma sqrt t)``, integrated on a midpoint grid."""
    from scipy.stats import norm

    t = (np.arange(n) + 0.5) * tau / n
    v = sigma**2 * t
    m = np.log(price) - 0.5 * v  # mean of ln P_t
    da = (np.log(lp.price_lower) - m - 0.5 * v) / np.sqrt(v)
    db = (np.log(lp.price_upper) - m - 0.5 * v) / np.sqrt(v)
    part = np.sqrt(price) * np.exp(-v / 8.0) * (norm.cdf(db) - norm.cdf(da))
    return float(0.25 * sigma**2 * lp.liquidity * part.sum() * tau / n)


def test_continuously_hedged_lp_loses_lvr_on_average():
    """Zero fees, funding and costs, re-hedged to the LP's delta at every hourly step: the P&L is
    minus the LVR (Milionis et al. 2022, eq. for the rebalancing strategy), whose expectation is
    the closed form above; within 3 Monte Carlo standard errors."""
    s = Scenario(**QUIET, width_pct=50.0, policy=HEDGE0)
    tau, sigma = 30 / 365, 0.8
    r = simulate(s, GBM(sigma), tau, 720, 6000, seed=5)
    lp = LPPosition.from_deposit(s.deposit, s.price, width_pct=50.0)
    expect = -_expected_lvr(lp, s.price, sigma, tau)
    se = r.pnl.std(ddof=1) / np.sqrt(r.n_paths)
    assert abs(r.pnl.mean() - expect) < 3 * se, (r.pnl.mean(), expect, se)
    assert se < 0.002 * abs(expect)  # the hedge removes the price risk: a tight estimate
    assert not r.liquidated.any() and np.median(r.n_hedges) == 720  # out of range: delta fixed
    # unhedged, the same LP carries the price risk: a standard deviation ~40x larger
    naked = simulate(replace(s, policy=Policy(), leverage=0.0), GBM(sigma), tau, 720, 6000, seed=5)
    assert naked.pnl.std() > 20 * r.pnl.std()
    assert _identity_gap(r) < 1e-8


def test_hedge_trades_follow_the_delta_and_pay_the_taker_fee():
    """On a deterministic path with no delay: every step the perp is re-sized to -L(1/sqrt P -
    1/sqrt pb), paying perp_fee_fraction on |dq| P (and the opening trade), as a direct loop."""
    s = Scenario(**QUIET, width_pct=20.0, perp_fee_fraction=HYPERLIQUID_TAKER_FEE_FRACTION,
                 policy=HEDGE0)
    path = s.price * np.exp(0.03 * np.sin(np.arange(41) / 3.0))
    r = run_on_paths(s, path, 1 / 365)
    lp = LPPosition.from_deposit(s.deposit, s.price, width_pct=20.0)
    q = -lp.amounts(path)[0]
    fee = HYPERLIQUID_TAKER_FEE_FRACTION * (abs(q[0]) * path[0] + np.sum(np.abs(np.diff(q)) * path[1:]))
    assert r.hedge_costs[0] == pytest.approx(fee, rel=1e-9)
    perp = np.sum(q[:-1] * np.diff(path))
    assert r.perp[0] == pytest.approx(perp, rel=1e-9)
    assert int(r.n_hedges[0]) == 40
    assert _identity_gap(r) < 1e-9


def test_hedge_band_and_time_grid_trade_less():
    proc = GBM(0.8)
    base = Scenario(**QUIET, width_pct=20.0, perp_fee_fraction=0.00045)
    runs = {
        band: simulate(replace(base, policy=Policy(hedge=True, hedge_band=band, latency_s=0.0)),
                       proc, 10 / 365, 240, 2000, seed=8)
        for band in (0.0, 0.05, 0.2)
    }
    trades = [runs[b].n_hedges.mean() for b in (0.0, 0.05, 0.2)]
    assert trades[0] > trades[1] > trades[2] > 0
    costs = [runs[b].hedge_costs.mean() for b in (0.0, 0.05, 0.2)]
    assert costs[0] > costs[1] > costs[2]
    daily = simulate(
        replace(base, policy=Policy(hedge=True, hedge_band=0.0, hedge_interval_years=1 / 365)),
        proc, 10 / 365, 240, 2000, seed=8)
    assert daily.n_hedges.max() <= 10
    wide = simulate(replace(base, policy=Policy(hedge=True, hedge_band=1e9)), proc, 10 / 365, 240,
                    500, seed=8)
    # a band relative to the LP's delta: only leaving the range above (delta 0) forces a trade
    assert wide.n_hedges.max() <= 3 and wide.n_hedges.mean() < 0.5 < trades[2]


def test_hedge_needs_an_lp_and_sizes_the_perp_to_it():
    with pytest.raises(ValueError, match=r"policy\.hedge needs an LP"):
        Scenario(kind="stable", policy=Policy(hedge=True))
    s = Scenario(policy=Policy(hedge=True, hedge_ratio=0.5), leverage=7.0, side="long")
    lp = LPPosition.from_deposit(s.deposit, s.price, width_pct=s.width_pct)
    assert s.perp_size == pytest.approx(-0.5 * lp.amounts(s.price)[0], rel=1e-12)
    with pytest.raises(ValueError, match="hedge must be True or False"):
        Policy(hedge="yes")


# -- attribution (issue 10 part 2) ------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["lp", "stable", "lp_plus_cash", "hold"]),
    mode=st.sampled_from(["isolated", "cross"]),
    leverage=st.floats(0.0, 6.0),
    width=st.floats(3.0, 60.0),
    hedge=st.booleans(),
    band=st.floats(0.0, 0.5),
    recentre=st.booleans(),
    top_up=st.booleans(),
    latency=st.sampled_from([0.0, 600.0, 7200.0]),
    stochastic_funding=st.booleans(),
    chain=st.sampled_from([None, ARBITRUM, ETHEREUM]),
    vol_collateral=st.booleans(),
    perp_fee=st.floats(0.0, 0.001),
    seed=st.integers(0, 2**16),
)
def test_attribution_sums_to_the_pnl_on_every_path(
    kind, mode, leverage, width, hedge, band, recentre, top_up, latency, stochastic_funding,
    chain, vol_collateral, perp_fee, seed,
):
    hedge = hedge and kind not in ("stable", "hold")
    s = Scenario(
        kind=kind, mode=mode, leverage=leverage, width_pct=width, wallet_cash=1500.0, chain=chain,
        cash_apr=0.04, perp_fee_fraction=perp_fee, perp_on_chain=chain is not None,
        funding=OUFunding(0.1, 20.0, 4.0, correlation=0.3) if stochastic_funding else None,
        collateral=VolatilityScaledFactor(0.8) if vol_collateral else StaticFactor(0.8),
        policy=Policy(recentre=recentre, top_up=top_up, hedge=hedge, hedge_band=band,
                      latency_s=latency),
    )
    r = simulate(s, MertonJumpDiffusion(0.9, 10.0, -0.08, 0.1), 15 / 365, 360, 300, seed=seed)
    parts = sum(r.attribution().values())
    assert np.abs(parts - r.pnl).max() <= 1e-9 * (s.deposit + s.wallet_cash)
    assert (r.hedge_costs >= 0).all() and (r.costs >= 0).all() and (r.bad_debt >= 0).all()
    assert (r.liquidation_loss[~r.liquidated] == 0).all()


# -- hedged LP against the alternatives, on the same paths -----------------------------------------
def _comparison(process, tau, n_steps, n_paths=1500):
    base = Scenario(width_pct=20.0, leverage=2.0, chain=ARBITRUM,
                    perp_fee_fraction=HYPERLIQUID_TAKER_FEE_FRACTION)
    scs = hedging_strategies(base, bands=(0.02, 0.3))
    t = compare_strategies(scs, process, tau, n_steps, n_paths, seed=4)
    for n in t.names:  # the table's attribution columns add up to its expected P&L
        row = t.row(n)
        parts = sum(v for k, v in row.items() if k.startswith("pnl_"))
        assert parts == pytest.approx(row["expected_pnl"], rel=1e-9, abs=1e-9)
    return t


@pytest.mark.parametrize(
    "process",
    [GBM(0.6), MertonJumpDiffusion(0.5, 6.0, -0.08, 0.1)],
    ids=["gbm", "merton"],
)
def test_hedged_lp_against_the_alternatives(process):
    t = _comparison(process, 30 / 365, 720)
    unhedged, tight, loose = (t.row(n) for n in
                              ("LP, unhedged", "LP hedged · band 2%", "LP hedged · band 30%"))
    hold, stable = t.row("hold"), t.row("stablecoin, perp")
    # same paths: the LP's fees and impermanent loss are identical with or without the hedge
    assert tight["pnl_fees"] == unhedged["pnl_fees"] and tight["pnl_il"] == unhedged["pnl_il"]
    # the hedge removes the price risk (tail) and pays for it in trading fees, more when tighter
    assert tight["tail_loss"] < 0.5 * unhedged["tail_loss"]
    assert tight["pnl_hedge_costs"] < loose["pnl_hedge_costs"] < 0
    # a short hedge receives positive funding; held tokens earn nothing and lose no LVR
    assert tight["pnl_funding"] > 0 and tight["funding_sensitivity"] > 0
    assert hold["pnl_fees"] == 0 and hold["pnl_il"] == 0 and stable["pnl_fees"] == 0
    assert unhedged["lvr"] > 0


def test_hedged_lp_on_the_bootstrapped_sample_series():
    bb = BlockBootstrap.from_series(sample_prices(), block_length=10)
    t = _comparison(bb, 60 / 365, 60)
    assert t.row("LP hedged · band 2%")["tail_loss"] < t.row("LP, unhedged")["tail_loss"]


@pytest.mark.skipif(not ETH.is_file(), reason="shared ETH-USD data not present")
def test_hedged_lp_on_the_bootstrapped_real_series():
    bb = BlockBootstrap.from_series(load_prices(ETH, missing="drop"), block_length=10)
    t = _comparison(bb, 60 / 365, 60)
    tight, unhedged = t.row("LP hedged · band 2%"), t.row("LP, unhedged")
    assert tight["tail_loss"] < unhedged["tail_loss"]
    assert tight["survival"] >= t.row("LP + separate cash, perp")["survival"]


def test_hold_is_the_lps_entry_mix_held():
    s = Scenario(kind="hold", leverage=0.0, swap_fee_fraction=0.0)
    path = np.array([3000.0, 3600.0, 2400.0])
    r = run_on_paths(s, path, 1 / 365)
    lp = LPPosition.from_deposit(s.deposit, s.price, width_pct=s.width_pct)
    b = lp.amounts(s.price)[0]
    assert s.hold_base == pytest.approx(b, rel=1e-12)
    assert r.pnl[0] == pytest.approx(b * (2400.0 - 3000.0), rel=1e-12)
    assert r.hold[0] == pytest.approx(r.pnl[0], rel=1e-12) and r.fees[0] == 0 and r.il[0] == 0


# -- liquidation through the simulator (issue 9 part 5) --------------------------------------------
HL = get_venue("hyperliquid")


@pytest.mark.parametrize("venue", ["hyperliquid", "dydx", "drift", "gmx"])
def test_a_liquidated_paths_loss_is_the_sum_of_the_parts(venue):
    s = Scenario(leverage=4.0, rules=get_venue(venue), liquidation=get_mechanics(venue),
                 chain=ARBITRUM, fee_apr=0.2)
    r = simulate(s, MertonJumpDiffusion(0.9, 12.0, 0.02, 0.15), 30 / 365, 240, 3000, seed=6)
    assert r.liquidated.sum() > 50
    parts = (r.liquidation_close_cost + r.liquidation_unwind_cost + r.liquidation_fees
             + r.backstop - r.bad_debt)
    np.testing.assert_allclose(r.liquidation_loss, parts, rtol=1e-9, atol=1e-7)
    assert (r.liquidation_loss[~r.liquidated] == 0).all()
    assert _identity_gap(r) < 1e-7


def test_hyperliquid_backstop_takes_what_a_gap_leaves():
    """A jump far through the boundary: equity below 2/3 of maintenance -> the backstop liquidator
    takes the remaining collateral (Hyperliquid docs, trading/liquidations)."""
    s = Scenario(**(QUIET | {"rules": HL, "liquidation": get_mechanics("hyperliquid"),
                             "leverage": 4.0, "kind": "stable"}))
    boundary = float(initial_account(s).liquidation(s.price).liquidation_price_above)
    near = run_on_paths(s, np.array([s.price, boundary * 1.0005]), 1 / 365)
    gap = run_on_paths(s, np.array([s.price, boundary * 1.015]), 1 / 365)
    assert near.liquidated[0] and gap.liquidated[0]
    assert near.backstop[0] == 0 and near.final_wealth[0] > 0
    assert gap.backstop[0] > 0 and gap.final_wealth[0] == 0
    assert gap.liquidation_loss[0] == pytest.approx(gap.backstop[0], rel=1e-12)


def test_partial_liquidation_leaves_a_smaller_perp_running():
    """Hyperliquid closes positions above 100k notional 20 % at a time: one breach, then the price
    stays; the account survives with 80 % of its short (perp P&L 0.2 q (P_liq - E) + 0.8 q (P_T -
    E))."""
    s = Scenario(**(QUIET | {"rules": HL, "liquidation": get_mechanics("hyperliquid"),
                             "leverage": 6.0, "deposit": 100_000.0, "kind": "stable"}))
    boundary = float(initial_account(s).liquidation(s.price).liquidation_price_above)
    p_liq = boundary * 1.0002
    path = np.array([s.price, p_liq, p_liq * 0.99, p_liq * 0.98])
    r = run_on_paths(s, path, 1 / 365)
    assert r.liquidated[0] and int(r.n_liquidations[0]) == 1 and int(r.liquidation_step[0]) == 1
    q, e = s.perp_size, s.price
    assert r.perp[0] == pytest.approx(0.2 * q * (p_liq - e) + 0.8 * q * (path[-1] - e), rel=1e-9)
    fee = 0.00045 * 0.2 * abs(q) * p_liq  # the taker fee on the closed fifth
    assert r.liquidation_loss[0] == pytest.approx(fee, rel=1e-9)
    assert r.final_wealth[0] > 0.2 * s.deposit and not r.bad_debt[0]
    assert _identity_gap(r) < 1e-8


def test_lp_collateral_liquidation_never_books_the_haircut():
    """The same short on LP collateral at a 50 % factor and on stablecoins: at the liquidation the
    LP account loses its venue's charges (a few dollars), not half the LP's value."""
    base = Scenario(**(QUIET | {"leverage": 2.0, "collateral": StaticFactor(0.5)}))
    path = base.price * np.linspace(1.0, 1.6, 61)
    lp = run_on_paths(base, path, 1 / 365)
    stable = run_on_paths(replace(base, kind="stable", leverage=4.0), path, 1 / 365)
    assert lp.liquidated[0] and stable.liquidated[0]
    t = int(lp.liquidation_step[0])
    v = LPPosition.from_deposit(base.deposit, base.price, width_pct=base.width_pct).value(path[t])
    fee = RULES.liquidation_fee(abs(base.perp_size) * path[t])
    assert lp.liquidation_loss[0] == pytest.approx(fee, rel=1e-9)  # penalty only
    assert lp.liquidation_loss[0] < 0.05 * 0.5 * v  # the haircut would have been 0.5 V
    assert stable.liquidation_loss[0] == pytest.approx(
        RULES.liquidation_fee(abs(4.0 * base.deposit / base.price) * path[int(stable.liquidation_step[0])]),
        rel=1e-9)


# -- oracles (issue 12 part 3) ------------------------------------------------------------------------
def test_spot_oracle_changes_nothing():
    s = Scenario(leverage=4.0, chain=ARBITRUM, policy=Policy(recentre=True, top_up=True))
    a = simulate(s, GBM(0.9), 20 / 365, 240, 1500, seed=2)
    b = simulate(replace(s, oracle=Spot()), GBM(0.9), 20 / 365, 240, 1500, seed=2)
    for f in ("final_wealth", "liquidation_step", "liquidation_loss", "n_recentres", "fees"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.market_breach_step, a.liquidation_step)


def test_a_lagging_feed_liquidates_late_at_the_market_price():
    """A 2 % deviation / 24 h heartbeat feed on a short whose price creeps up: the venue sees the
    feed's answer, so it liquidates at the first step where the margin engine at the *reported*
    price says so, later than at the market; the settlement runs at the market price, and the
    owner keeps less than at the market-price boundary."""
    feed = ChainlinkFeed(0.02, 86_400.0)
    s = Scenario(**(QUIET | {"kind": "stable", "leverage": 8.0, "oracle": feed}))
    dt = 1 / 8760
    path = s.price * np.exp(np.linspace(0.0, 0.2, 241))
    r = run_on_paths(s, path, dt)
    spot = run_on_paths(replace(s, oracle=None), path, dt)
    reported = feed.report(np.arange(path.size) * dt * 365 * 86400, path)
    acct = initial_account(s)
    first = next(t for t in range(1, path.size) if acct.is_liquidatable(reported[t]))
    assert int(r.liquidation_step[0]) == first > int(spot.liquidation_step[0])
    assert int(r.market_breach_step[0]) == int(spot.liquidation_step[0])
    assert r.final_wealth[0] < spot.final_wealth[0]
    true_eq = s.deposit + s.perp_size * (path[first] - s.price)
    kept = max(true_eq - RULES.liquidation_fee(abs(s.perp_size) * path[first]), 0.0)
    assert r.final_wealth[0] == pytest.approx(kept, rel=1e-9, abs=1e-9)
    assert _identity_gap(r) < 1e-9


def test_oracle_lag_on_monte_carlo_paths():
    s = Scenario(leverage=5.0, kind="stable", rules=get_venue("hyperliquid"),
                 liquidation=get_mechanics("hyperliquid"))
    proc = MertonJumpDiffusion(0.8, 12.0, 0.02, 0.12)
    spot = simulate(s, proc, 20 / 365, 480, 2000, seed=7)
    lag = simulate(replace(s, oracle=ChainlinkFeed(0.02, 86_400.0)), proc, 20 / 365, 480, 2000,
                   seed=7)
    late = lag.liquidated & (lag.liquidation_step > lag.market_breach_step)
    assert late.sum() > 10
    assert lag.bad_debt.mean() + lag.backstop.mean() >= spot.bad_debt.mean() + spot.backstop.mean()
    assert _identity_gap(lag) < 1e-7


# ------------------------------------------------------------------------------------------------
# resource budgets (issue 13): an oversized request is refused before anything runs
# ------------------------------------------------------------------------------------------------
def _budget_calls(big: int) -> dict[str, Any]:
    from lpperp.processes import iter_increments, iter_paths, sample_funding, sample_paths
    from lpperp.risk import liquidation_probability

    g, s = GBM(0.6), Scenario()
    return {
        "simulate n_paths": lambda: simulate(s, g, 1.0, 30, big),
        "simulate n_steps": lambda: simulate(s, g, 1.0, big, 10),
        "compare_strategies n_paths": lambda: compare_strategies({"a": s}, g, 1.0, 30, big),
        "compare_strategies n_steps": lambda: compare_strategies({"a": s}, g, 1.0, big, 10),
        "run_sweep n_paths": lambda: run_sweep(s, {"width_pct": [10, 20]}, g, 1.0, 30, big),
        "run_sweep n_steps": lambda: run_sweep(s, {"width_pct": [10, 20]}, g, 1.0, big, 10),
        "run_sweep points": lambda: run_sweep(
            s, {"width_pct": range(big), "leverage": range(big)}, g, 1.0, 30, 100
        ),
        "liquidation_probability n_paths": lambda: liquidation_probability(
            g, 3000.0, 2000.0, 4000.0, 1.0, 30, big
        ),
        "liquidation_probability n_steps": lambda: liquidation_probability(
            g, 3000.0, 2000.0, 4000.0, 1.0, big, 10
        ),
        "iter_paths": lambda: iter_paths(g, 3000.0, 1.0, big, 10),
        "iter_increments": lambda: iter_increments(g, 1.0, 10, big),
        "sample_paths": lambda: sample_paths(g, 3000.0, 1.0, 30, big),
        "sample_funding": lambda: sample_funding(0.1, 1.0, 30, big),
    }


@pytest.mark.parametrize("big", [2**200, 10**12])
@pytest.mark.parametrize("name", list(_budget_calls(1)))
def test_oversized_monte_carlo_is_refused_up_front(name: str, big: int) -> None:
    """2**200 paths used to run for ever; the refusal names the need and the knob. (A hang here
    would stall the test: the budget is checked before any path is drawn, and iterators check at
    the call, not at the first next().)"""
    with pytest.raises(LpperpError, match=r"the limit is 2e\+09 \(pass max_path_steps="):
        _budget_calls(big)[name]()


def test_step_count_alone_is_budgeted_and_the_limit_can_be_raised() -> None:
    # one path of 10**8 steps: 1e8 path-steps, under 2e9, but each step has a fixed cost
    with pytest.raises(LpperpError, match=r"1e\+08 steps cost at least 2.56e\+10 path-steps"):
        simulate(Scenario(), GBM(0.6), 1.0, 10**8, 1)
    with pytest.raises(LpperpError, match="max_path_steps="):
        simulate(Scenario(), GBM(0.6), 1.0, 30, 100, max_path_steps=1000)
    r = simulate(Scenario(), GBM(0.6), 1.0, 30, 100, seed=1, max_path_steps=30 * 256)
    assert r.n_paths == 100
    series = sample_prices().tail(31)
    with pytest.raises(LpperpError, match="backtest: 30 steps cost"):
        backtest(Scenario(), series, max_path_steps=1000)
    assert backtest(Scenario(), series, max_path_steps=30 * 256).n_steps == 30


def test_band_exit_terms_and_sample_paths_memory_are_capped() -> None:
    from lpperp.processes import iter_paths, sample_paths
    from lpperp.risk import MAX_TERMS, band_exit_probability

    with pytest.raises(LpperpError, match=r"n_terms must be an integer in \[0, 1000\]"):
        band_exit_probability(3000.0, 2000.0, 4000.0, 0.6, 1.0, n_terms=2**200)
    auto = band_exit_probability(3000.0, 2000.0, 4000.0, 0.6, 1.0)
    assert band_exit_probability(3000.0, 2000.0, 4000.0, 0.6, 1.0, n_terms=MAX_TERMS) == pytest.approx(
        auto, abs=1e-12
    )
    # 200k paths x 1001 prices = 2e8 values (1.6 GB) at once: refused, pointing at iter_paths
    with pytest.raises(LpperpError, match="iter_paths yields the same paths"):
        sample_paths(GBM(0.6), 3000.0, 1.0, 1000, 200_000)
    with pytest.raises(LpperpError, match="a smaller chunk_paths"):
        iter_paths(GBM(0.6), 3000.0, 1.0, 10**5, 4096, max_array_values=10**6)


# ------------------------------------------------------------------------------------------------
# the wrong kind of object (issue 13): an LpperpError naming the argument, not an AttributeError
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), "3000", None, 3000.0])
def test_scenario_arguments_are_checked(bad) -> None:
    from lpperp.simulate import affordable_interval_years

    g = GBM(0.6)
    calls = {
        "scenario": [
            lambda: affordable_interval_years(bad, 0.6),
            lambda: initial_account(bad),
            lambda: simulate(bad, g, 1.0, 10, 50),
            lambda: backtest(bad, sample_prices().tail(5)),
            lambda: run_on_paths(bad, np.array([3000.0, 3100.0]), 1 / 365),
            lambda: stress_test(bad),
        ],
        "base": [lambda: hedging_strategies(bad)],
        "scenarios": [lambda: compare_strategies(bad, g, 1.0, 10, 50),
                      lambda: compare_strategies({"a": bad}, g, 1.0, 10, 50)],
    }
    for name, fns in calls.items():
        for fn in fns:
            with pytest.raises(LpperpError, match=rf"{name}(\[.*\])? must be a"):
                fn()


def test_process_is_checked_before_any_path() -> None:
    with pytest.raises(LpperpError, match="process must be a price process"):
        simulate(Scenario(), 0.6, 1.0, 10, 50)


@pytest.mark.parametrize(
    ("shocks", "match"),
    [
        ([[1, 2], [3]], "shocks must be a dict"),
        ({"x": []}, r"shocks\['x'\] must be a 1-d price path"),
        ({"x": [3000.0]}, r"shocks\['x'\] must be a 1-d price path"),
        ({"x": np.ones((2, 2))}, r"shocks\['x'\] must be a 1-d price path"),
        ({"x": [3000.0, -1.0]}, r"shocks\['x'\] must be a finite number > 0"),
    ],
)
def test_stress_test_names_a_bad_shock(shocks, match) -> None:
    with pytest.raises(LpperpError, match=match):
        stress_test(Scenario(), shocks)


def test_hedging_strategies_bands_are_checked() -> None:
    with pytest.raises(LpperpError, match=r"bands\[1\] must be a finite number >= 0"):
        hedging_strategies(Scenario(), bands=(0.1, float("nan")))
    with pytest.raises(LpperpError, match="bands must be a list"):
        hedging_strategies(Scenario(), bands="0.1")


@pytest.mark.parametrize("dt", [5e-324, 1e-15, 1e6])
def test_step_size_out_of_range_is_named(dt) -> None:
    """stress_test(s, dt_years=5e-324) raised OverflowError (a one-minute delay in steps)."""
    with pytest.raises(LpperpError, match=r"dt_years must be a step in \[1e-12, 1000\] years"):
        stress_test(Scenario(), None, dt)
    with pytest.raises(LpperpError, match=r"tau_years / n_steps must be a step"):
        simulate(Scenario(), GBM(0.6), dt * 10, 10, 50)


def test_progress_flag_is_checked() -> None:
    with pytest.raises(LpperpError, match="progress must be True or False"):
        compare_strategies({"a": Scenario()}, GBM(0.6), 0.1, 10, 50, progress=np.array([]))

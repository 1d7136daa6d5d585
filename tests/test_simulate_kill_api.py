"""lpperp.simulate outside the stepping kernel: Policy and Scenario fields and checks, the
account at entry against lpperp.margin built by hand, PathResults' statistics by hand, the
streamed Monte Carlo against the path matrix and the noise it documents, backtests, the affordable
recentring interval (issue 14: fast tests for ``make mutate``; ~1 s).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from lpperp._validate import LpperpError
from lpperp.collateral import StaticFactor, VolatilityScaledFactor
from lpperp.costs import ARBITRUM, ETHEREUM
from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.oracle import ChainlinkFeed
from lpperp.perp import MarginRules
from lpperp.prices import PriceSeries
from lpperp.processes import (
    GBM,
    PATH_BLOCK,
    ConstantFunding,
    OUFunding,
    counter_normals,
    root_seed,
    sample_paths,
)
from lpperp.rebalancing import optimal_frequency
from lpperp.simulate import (
    ATTRIBUTION,
    DT_YEARS_RANGE,
    PathResults,
    Policy,
    Scenario,
    affordable_interval_years,
    backtest,
    check_scenario,
    delay_noise_key,
    format_value,
    initial_account,
    noise_streams,
    run_many,
    run_on_paths,
    simulate,
)
from lpperp.venues import get_mechanics, mechanics_for

RULES = MarginRules("test 2%/4%", 0.04, 0.02, liquidation_fee_fraction=0.01)


def _amounts(p, pa, pb, L=1.0):
    """Uniswap v3 whitepaper eq. 6.29/6.30 (in range)."""
    return L * (1 / math.sqrt(p) - 1 / math.sqrt(pb)), L * (math.sqrt(p) - math.sqrt(pa))


# -- Policy -----------------------------------------------------------------------------------------
def test_policy_fields_are_checked_and_normalised():
    p = Policy(recentre=np.bool_(True), top_up=np.bool_(False), hedge=np.bool_(False), latency_s=5,
               recentre_health=0, min_interval_years=0, hedge_ratio=0, hedge_band=0,
               hedge_interval_years=0, top_up_health=2, top_up_target=2, blocks=0)
    assert type(p.recentre) is bool and p.recentre and type(p.top_up) is bool and not p.top_up
    assert type(p.hedge) is bool and not p.hedge
    for name in ("latency_s", "recentre_health", "min_interval_years", "hedge_ratio",
                 "hedge_band", "hedge_interval_years", "top_up_health", "top_up_target"):
        assert type(getattr(p, name)) is float, name
    assert p.latency_s == 5.0 and p.top_up_target == p.top_up_health == 2.0 and p.blocks == 0
    for name in ("latency_s", "recentre_health", "min_interval_years", "hedge_ratio",
                 "hedge_band", "hedge_interval_years"):
        with pytest.raises(LpperpError, match=name):
            Policy(**{name: -1e-9})
    for name in ("recentre", "top_up", "hedge"):
        with pytest.raises(LpperpError, match=f"{name} must be True or False"):
            Policy(**{name: 1})
    with pytest.raises(LpperpError, match="top_up_health"):
        Policy(top_up_health=0.0)
    with pytest.raises(LpperpError, match="top_up_target"):
        Policy(top_up_health=2.0, top_up_target=1.999)
    with pytest.raises(LpperpError, match="blocks"):
        Policy(blocks=-1)
    assert Policy.none() == Policy() and not Policy.none().recentre
    assert Policy(blocks=3, latency_s=4.0).reaction_delay_s(12.0) == 40.0
    assert Policy(blocks=0, latency_s=0.0).reaction_delay_s(12.0) == 0.0


# -- Scenario ---------------------------------------------------------------------------------------
def test_scenario_fields_at_their_edges():
    s = Scenario(price=3000, deposit=5000, wallet_cash=0, leverage=0, cash_apr=0,
                 swap_fee_fraction=0, perp_fee_fraction=0, width_pct=99.5,
                 fee_reference_width_pct=99.0, funding_rate_per_year=-0.3,
                 cash_margin_fraction=1.0, ewma_lambda=0.999, perp_on_chain=np.bool_(True))
    for name in ("price", "deposit", "wallet_cash", "leverage", "cash_apr", "swap_fee_fraction",
                 "perp_fee_fraction"):
        assert type(getattr(s, name)) is float, name
    assert s.width_pct == 99.5 and s.fee_reference_width_pct == 99.0
    assert s.funding_rate_per_year == -0.3 and s.cash_margin_fraction == 1.0
    assert Scenario(fee_reference_width_pct=None).fee_reference_width_pct is None
    assert Scenario(cash_margin_fraction=0.0).cash_margin_fraction == 0.0
    bad = [
        {"kind": "lp2"}, {"side": "flat"}, {"mode": "both"}, {"price": 0.0}, {"deposit": -1.0},
        {"wallet_cash": -1.0}, {"leverage": -0.1}, {"cash_apr": -0.1},
        {"swap_fee_fraction": -0.1}, {"perp_fee_fraction": -0.1}, {"width_pct": 100.0},
        {"width_pct": 0.0}, {"fee_reference_width_pct": 100.0},
        {"fee_reference_width_pct": 0.0}, {"fee_apr": -0.1},
        {"funding_rate_per_year": float("inf")}, {"cash_margin_fraction": 1.01},
        {"ewma_lambda": 1.0}, {"ewma_lambda": 0.0}, {"collateral": 0.8},
        {"rules": "binance"}, {"chain": "arbitrum"}, {"policy": "none"},
        {"funding": "10%"}, {"oracle": object()}, {"liquidation": "hyperliquid"},
        {"perp_on_chain": 1}, {"kind": "stable", "policy": Policy(hedge=True)},
        {"kind": "hold", "policy": Policy(hedge=True)},
    ]
    for kw in bad:
        with pytest.raises(LpperpError):
            Scenario(**kw)

    class StartOnly:
        def start(self, prices0, t0=0.0):
            return None

    class StepOnly:
        def step(self, state, t, prices):
            return state, prices

    for o in (StartOnly(), StepOnly()):
        with pytest.raises(LpperpError, match="oracle must be"):
            Scenario(oracle=o)
    assert Scenario(kind="lp_plus_cash", policy=Policy(hedge=True)).policy.hedge
    assert Scenario(funding=0.25).funding == ConstantFunding(0.25)
    ou = OUFunding(0.1, 5.0, 1.0)
    assert Scenario(funding=ou).funding is ou


def test_scenario_derived_quantities_by_hand():
    s = Scenario(price=2000.0, deposit=8000.0, leverage=2.5, width_pct=25.0, rules=RULES)
    assert s.perp_size == -2.5 * 8000.0 / 2000.0
    assert replace(s, side="long").perp_size == 2.5 * 8000.0 / 2000.0
    assert s.liquidation_mechanics == mechanics_for(RULES)
    hl = get_mechanics("hyperliquid")
    assert replace(s, liquidation=hl).liquidation_mechanics is hl
    assert s.funding_process == ConstantFunding(s.funding_rate_per_year)
    assert replace(s, funding=0.5).funding_process == ConstantFunding(0.5)
    # the hedge: -ratio x the base of the deposit's LP (whitepaper amounts per unit of L)
    pa, pb = 2000.0 * 0.75, 2000.0 * 1.25
    b, q = _amounts(2000.0, pa, pb)
    h = replace(s, policy=Policy(hedge=True, hedge_ratio=0.6))
    assert h.perp_size == pytest.approx(-0.6 * b * 8000.0 / (b * 2000.0 + q), rel=1e-13)
    hc = replace(h, kind="lp_plus_cash", cash_margin_fraction=0.25)
    assert hc.perp_size == pytest.approx(-0.6 * b * 6000.0 / (b * 2000.0 + q), rel=1e-13)
    assert replace(s, kind="hold").hold_base == pytest.approx(8000.0 * b / (b * 2000.0 + q),
                                                              rel=1e-13)
    assert s.hold_base == 0.0
    deposits = {"lp": 8000.0, "stable": 0.0, "hold": 0.0, "lp_plus_cash": 8000.0 * 0.7}
    for kind, dep in deposits.items():
        assert replace(s, kind=kind).lp_deposit == pytest.approx(dep, rel=1e-15), kind
    inside = {("lp", "isolated"): True, ("lp", "cross"): True, ("stable", "cross"): False,
              ("hold", "isolated"): False, ("lp_plus_cash", "isolated"): False,
              ("lp_plus_cash", "cross"): True}
    for (kind, mode), want in inside.items():
        assert replace(s, kind=kind, mode=mode).lp_in_account is want, (kind, mode)


def test_check_scenario_and_the_step_range():
    s = Scenario()
    assert check_scenario(s) is s
    with pytest.raises(LpperpError, match="base must be a Scenario"):
        check_scenario("x" * 100, "base")
    lo, hi = DT_YEARS_RANGE
    p = np.array([3000.0, 3000.0])
    assert run_on_paths(s, p, lo).dt_years == lo and run_on_paths(s, p, hi).dt_years == hi
    for dt in (lo * 0.999, hi * 1.001):
        with pytest.raises(LpperpError, match="dt_years must be a step"):
            run_on_paths(s, p, dt)


# -- the account at entry ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["lp", "stable", "lp_plus_cash", "hold"])
@pytest.mark.parametrize("mode", ["isolated", "cross"])
def test_initial_account_is_the_margin_engines_account(kind, mode):
    s = Scenario(kind=kind, mode=mode, leverage=0.0 if kind == "hold" else 3.0, wallet_cash=700.0,
                 deposit=9000.0, width_pct=15.0, collateral=StaticFactor(0.7), rules=RULES)
    acct = initial_account(s)
    pa, pb = 3000.0 * 0.85, 3000.0 * 1.15
    ub, uq = _amounts(3000.0, pa, pb)
    lp_dep = {"lp": 9000.0, "lp_plus_cash": 9000.0 * 0.7}.get(kind, 0.0)
    cash = 0.0 if kind == "hold" else 9000.0 - lp_dep
    if mode == "cross":
        assert isinstance(acct, CrossAccount)
        assert acct.cash == pytest.approx(cash + 700.0, rel=1e-15)
        assert len(acct.lps) == (1 if lp_dep else 0) and len(acct.perps) == 1
        perp, lp = acct.perps[0], (acct.lps[0] if lp_dep else None)
    else:
        assert isinstance(acct, IsolatedAccount)
        assert acct.cash == pytest.approx(cash, rel=1e-15)
        perp, lp = acct.perp, acct.lp
        assert (lp is not None) == (kind == "lp")
    assert perp.size == s.perp_size and perp.entry_price == 3000.0
    if lp is not None:
        assert (lp.price_lower, lp.price_upper) == pytest.approx((pa, pb), rel=1e-15)
        assert lp.liquidity == pytest.approx(lp_dep / (ub * 3000.0 + uq), rel=1e-12)
    assert acct.rules is RULES


# -- results ----------------------------------------------------------------------------------------
def _results(n=7):
    rng = np.random.default_rng(3)
    liq = np.array([True, False, False, True, False, False, True])[:n]
    arr = {f: rng.normal(size=n) * 100 for f in (
        "final_wealth", "hold", "il", "fees", "perp", "funding", "cash_yield", "costs",
        "hedge_costs", "liquidation_loss", "liquidation_close_cost", "liquidation_unwind_cost",
        "liquidation_fees", "bad_debt", "backstop", "funding_exposure", "lvr")}
    arr["final_wealth"] += 10_000.0
    return PathResults(
        liquidated=liq, liquidation_step=np.where(liq, [3, 0, 0, 1, 0, 0, 3][:n], -1),
        capital=10_000.0, capital_added=np.abs(rng.normal(size=n)) * 50,
        market_breach_step=np.full(n, -1), n_liquidations=liq.astype(np.int64),
        n_recentres=np.arange(n), n_top_ups=np.arange(n) % 2, n_hedges=np.arange(n) * 3,
        n_steps=4, dt_years=0.01, **arr)


def test_path_results_statistics_by_hand():
    r = _results()
    a = r.attribution()
    assert list(a) == [k for k, _ in ATTRIBUTION]
    for k, sign in ATTRIBUTION:
        np.testing.assert_array_equal(a[k], sign * getattr(r, k))
    assert [sign for _, sign in ATTRIBUTION] == [1, 1, 1, 1, -1, 1, -1, -1, -1]
    pnl = r.final_wealth - 10_000.0 - r.capital_added
    np.testing.assert_allclose(r.pnl, pnl, rtol=1e-15)
    ret = pnl / (10_000.0 + r.capital_added)
    np.testing.assert_allclose(r.returns, ret, rtol=1e-15)
    assert r.n_paths == 7
    # liquidated at steps 3, 1, 3 of 4: survival after each step
    np.testing.assert_allclose(r.survival_curve(), [1, 6 / 7, 6 / 7, 4 / 7, 4 / 7])
    sm = r.summary()
    z = norm.ppf(0.975)
    k, n = 4, 7
    ph = k / n
    mid = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert sm.survival == 4 / 7
    assert sm.survival_ci == pytest.approx((mid - half, mid + half), rel=1e-12)
    assert sm.expected_return == pytest.approx(ret.mean(), rel=1e-12)
    assert sm.return_stderr == pytest.approx(ret.std(ddof=1) / math.sqrt(7), rel=1e-12)
    q = np.quantile(ret, 0.05)
    assert sm.tail_return == pytest.approx(q, rel=1e-12) and sm.tail == 0.05
    assert sm.tail_expected_return == pytest.approx(ret[ret <= q].mean(), rel=1e-12)
    means = {"expected_pnl": pnl, "fees_earned": r.fees, "costs_paid": r.costs, "il": r.il,
             "funding_paid": r.funding, "lvr": r.lvr, "bad_debt": r.bad_debt,
             "backstop": r.backstop, "liquidation_unwind_cost": r.liquidation_unwind_cost,
             "liquidation_fees": r.liquidation_close_cost + r.liquidation_fees,
             "mean_hedges": r.n_hedges, "mean_recentres": r.n_recentres,
             "mean_top_ups": r.n_top_ups,
             "funding_sensitivity": -r.funding_exposure / (10_000.0 + r.capital_added)}
    for name, v in means.items():
        assert getattr(sm, name) == pytest.approx(v.mean(), rel=1e-12, abs=1e-12), name
    for k_, v in a.items():
        assert sm.attribution[k_] == pytest.approx(v.mean(), rel=1e-12, abs=1e-12)
    assert sm.n_paths == 7
    other = r.summary(confidence=0.5, tail=0.5)
    assert other.tail == 0.5 and other.tail_return == pytest.approx(np.quantile(ret, 0.5))
    assert other.survival_ci[1] - other.survival_ci[0] < sm.survival_ci[1] - sm.survival_ci[0]
    one = _results(1)
    assert math.isnan(one.summary().return_stderr)
    html = r._repr_html_()
    assert html == sm._repr_html_() and html.startswith("<table><tbody><tr><td>survival</td>")
    assert "<td>survival ci</td><td>[" in html and "<td>n paths</td><td>7</td>" in html


def test_concat_joins_chunks_in_order():
    r = _results()
    parts = [replace(r, **{f: getattr(r, f)[:3] for f in r.__dataclass_fields__
                           if isinstance(getattr(r, f), np.ndarray)}),
             replace(r, **{f: getattr(r, f)[3:] for f in r.__dataclass_fields__
                           if isinstance(getattr(r, f), np.ndarray)}, capital=1.0, n_steps=9)]
    j = PathResults.concat(parts)
    for f in r.__dataclass_fields__:
        v = getattr(r, f)
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(getattr(j, f), v)
    assert (j.capital, j.n_steps, j.dt_years) == (10_000.0, 4, 0.01)


def test_format_value_by_hand():
    """simulate re-exports the library's one cell format (lpperp._results.format_value: two
    decimals from 1 up, else 4 significant digits; integers with separators)."""
    assert format_value(1234.5678) == "1,234.57" and format_value(100.0) == "100.00"
    assert format_value(-100.0) == "-100.00" and format_value(99.99) == "99.99"
    assert format_value(-0.000123456) == "-0.0001235" and format_value(0.5) == "0.5"
    assert format_value(1.0) == "1.00" and format_value(-1.0) == "-1.00"
    assert format_value((1.0, (250.0, 2))) == "[1.00, [250.00, 2]]"
    assert format_value(7) == "7" and format_value("x") == "x" and format_value(()) == "[]"


# -- Monte Carlo: streamed vs the path matrix and the documented noise -------------------------------
def test_simulate_is_run_on_paths_of_the_same_paths_and_noise():
    """Paths from sample_paths, delay noise ``counter_normals(delay_noise_key(root), t, i)`` and
    funding noise from ``noise_streams(root, 0, n, 2**31 + 1)``: run_on_paths on them gives
    simulate's numbers, across a block boundary (PATH_BLOCK) and in time chunks."""
    n, steps, tau, seed = PATH_BLOCK + 40, 3, 3 / 365, 21
    s = Scenario(leverage=3.0, chain=ARBITRUM, collateral=VolatilityScaledFactor(0.8),
                 funding=OUFunding(0.1, kappa_per_year=20.0, sigma_per_year=4.0, correlation=0.3),
                 policy=Policy(recentre=True, top_up=True, blocks=2, latency_s=3600.0 * 7))
    a = simulate(s, GBM(1.2), tau, steps, n, seed=seed, chunk_steps=2)
    root = root_seed(seed)
    paths = sample_paths(GBM(1.2), s.price, tau, steps, n, seed=seed).T
    key = delay_noise_key(root)
    z = counter_normals(key, np.arange(1, steps + 1)[:, None], np.arange(n))
    streams = noise_streams(root, 0, n, 2**31 + 1)
    assert [w for _, w in streams] == [PATH_BLOCK, 40]
    zf = np.concatenate([g.standard_normal((steps, w)) for g, w in streams], axis=1)
    b = run_on_paths(s, paths, tau / steps, noise=z, funding_noise=zf)
    for f in ("final_wealth", "funding", "liquidation_step", "n_recentres", "n_top_ups",
              "costs", "fees"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-11, atol=1e-9,
                                   err_msg=f)
    assert a.n_recentres.sum() > 0 and a.n_top_ups.sum() > 0 and a.liquidated.any()
    assert a.n_steps == steps and a.dt_years == pytest.approx(tau / steps, rel=1e-15)


def test_noise_streams_blocks_and_keys():
    root = root_seed(5)
    assert [w for _, w in noise_streams(root, 0, 10)] == [10]
    assert [w for _, w in noise_streams(root, PATH_BLOCK - 3, PATH_BLOCK + 2)] == [PATH_BLOCK, 2]
    assert [w for _, w in noise_streams(root, PATH_BLOCK, 2 * PATH_BLOCK)] == [PATH_BLOCK]
    g1 = noise_streams(root, 0, 5)[0][0].standard_normal(3)
    g2 = noise_streams(root_seed(5), 0, 5)[0][0].standard_normal(3)
    g3 = noise_streams(root, 0, 5, key=2**31 + 1)[0][0].standard_normal(3)
    g4 = noise_streams(root_seed(6), 0, 5)[0][0].standard_normal(3)
    second = noise_streams(root, PATH_BLOCK, PATH_BLOCK + 5)[0][0].standard_normal(3)
    np.testing.assert_array_equal(g1, g2)
    assert not np.array_equal(g1, g3) and not np.array_equal(g1, g4)
    assert not np.array_equal(g1, second)
    assert delay_noise_key(root) == delay_noise_key(root_seed(5)) != delay_noise_key(root_seed(6))


def test_run_many_shares_the_paths_and_checks_its_inputs():
    a, b = Scenario(leverage=2.0), Scenario(kind="stable", leverage=4.0)
    both = run_many([a, b], GBM(0.8), 5 / 365, 5, 50, 3, None, False)
    for sc, r in zip((a, b), both, strict=True):
        alone = simulate(sc, GBM(0.8), 5 / 365, 5, 50, seed=3)
        np.testing.assert_array_equal(r.final_wealth, alone.final_wealth)
    with pytest.raises(LpperpError, match="need the same price"):
        run_many([a, replace(b, price=2500.0)], GBM(0.8), 5 / 365, 5, 50, 3, None, False)
    with pytest.raises(LpperpError, match="tau_years"):
        run_many([a], GBM(0.8), 0.0, 5, 50, 3, None, False)
    with pytest.raises(LpperpError, match=r"simulate \(2 scenarios on the same paths\)"):
        run_many([a, b], GBM(0.8), 5 / 365, 5, 300, 3, None, False, max_path_steps=2000)
    assert run_many([a], GBM(0.8), 5 / 365, 5, 300, 3, None, False,
                    max_path_steps=2000)[0].n_paths == 300


def test_oracle_with_spot_prices_is_the_no_oracle_run():
    """A feed that always reports the market (zero deviation, a heartbeat shorter than a step)
    gives the no-oracle numbers: the oracle branch only moves the prices the venue sees."""
    s = Scenario(leverage=4.0, chain=ARBITRUM, collateral=VolatilityScaledFactor(0.7),
                 policy=Policy(recentre=True, top_up=True, blocks=0, latency_s=0.0))
    a = simulate(s, GBM(1.0), 10 / 365, 10, 200, seed=4)
    b = simulate(replace(s, oracle=ChainlinkFeed(0.0, 60.0)), GBM(1.0), 10 / 365, 10, 200, seed=4)
    for f in ("final_wealth", "liquidation_step", "n_recentres", "n_top_ups", "lvr"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-12, err_msg=f)
    assert a.liquidated.any()


# -- backtests and the affordable interval ----------------------------------------------------------
def test_backtest_is_run_on_paths_at_the_series_price_and_step():
    t = np.datetime64("2024-01-01T00:00:00") + np.arange(6) * np.timedelta64(3600, "s")
    series = PriceSeries(t, np.array([2000.0, 2100.0, 1900.0, 2300.0, 2250.0, 2600.0]))
    s = Scenario(leverage=3.0, chain=ARBITRUM, policy=Policy(recentre=True, latency_s=900.0))
    r = backtest(s, series, seed=4)
    ref = run_on_paths(replace(s, price=2000.0), series.prices, 1 / 8760, seed=4)
    for f in ("final_wealth", "liquidation_step", "n_recentres", "fees", "funding"):
        np.testing.assert_array_equal(getattr(r, f), getattr(ref, f), err_msg=f)
    assert r.dt_years == pytest.approx(1 / 8760, rel=1e-12) and r.n_steps == 5
    other = backtest(s, series, seed=5)
    assert other.n_recentres[0] == r.n_recentres[0]
    from types import SimpleNamespace

    for bad in (np.array([2000.0]), np.full((2, 2), 2000.0)):
        with pytest.raises(LpperpError, match="at least 2 prices"):
            backtest(s, SimpleNamespace(prices=bad, dt_years=1 / 365))
    assert backtest(s, PriceSeries(t[:2], np.array([2000.0, 2010.0]))).n_steps == 1


def test_affordable_interval_is_one_over_the_optimal_frequency():
    from lpperp.position import LPPosition

    for s in (Scenario(chain=ARBITRUM, fee_apr=0.4, width_pct=10.0, swap_fee_fraction=0.003,
                       pool_liquidity=5e5),
              Scenario(chain=ETHEREUM, kind="lp_plus_cash", cash_margin_fraction=0.5)):
        for lvr in (True, False):
            lp = LPPosition.from_deposit(s.lp_deposit, s.price, width_pct=s.width_pct)
            f = optimal_frequency(lp, s.price, 0.3, s.chain, fee_apr=s.fee_apr,
                                  swap_fee_fraction=s.swap_fee_fraction,
                                  pool_liquidity=s.pool_liquidity, include_lvr=lvr)
            got = affordable_interval_years(s, 0.3, include_lvr=lvr)
            assert got == pytest.approx(1 / f, rel=1e-12), (s.chain.name, lvr)
    st = Scenario(chain=ARBITRUM, kind="stable")  # no LP: priced for a one-dollar LP
    lp1 = LPPosition.from_deposit(1.0, st.price, width_pct=st.width_pct)
    f1 = optimal_frequency(lp1, st.price, 0.3, ARBITRUM, fee_apr=st.fee_apr)
    assert affordable_interval_years(st, 0.3) == pytest.approx(1 / f1, rel=1e-12)
    with pytest.raises(LpperpError, match=r"scenario\.chain is None"):
        affordable_interval_years(Scenario(), 0.3)
    with pytest.raises(LpperpError, match="sigma_per_year"):
        affordable_interval_years(Scenario(chain=ARBITRUM), -0.3)


# -- run_on_paths' arguments and its own noise ------------------------------------------------------
def test_run_on_paths_checks_its_arrays_and_draws_its_noise_from_the_seed():
    s = Scenario(leverage=2.0, policy=Policy(recentre=True, latency_s=86_400.0 * 0.6))
    path = np.array([3000.0, 3700.0, 3800.0, 3500.0])
    for bad in (np.full((1, 3), 3000.0), np.full((2, 2, 2), 3000.0), np.empty((3, 0))):
        with pytest.raises(LpperpError, match=r"prices must be \(n_steps \+ 1, n_paths\)"):
            run_on_paths(s, bad, 1 / 365)
    with pytest.raises(LpperpError, match=r"prices must start at the scenario's price 3000\.0"):
        run_on_paths(s, np.array([[3000.0, 3000.3], [3100.0, 3100.0]]), 1 / 365)
    assert run_on_paths(s, np.array([3000.0 * (1 + 1e-9), 3100.0]), 1 / 365).n_paths == 1
    with pytest.raises(LpperpError, match=r"noise must have shape \(3, 1\)"):
        run_on_paths(s, path, 1 / 365, noise=np.zeros((3, 2)))
    with pytest.raises(LpperpError, match=r"funding_noise must have shape \(3, 1\)"):
        run_on_paths(s, path, 1 / 365, funding_noise=np.zeros(3))
    assert np.shape(path) == (4,)  # a 1-d path is one path
    # without noise: counter_normals keyed by the seed's first draw; the default seed is 0
    a = run_on_paths(s, path, 1 / 365)
    assert a.final_wealth[0] == run_on_paths(s, path, 1 / 365, seed=0).final_wealth[0]
    assert a.final_wealth[0] != run_on_paths(s, path, 1 / 365, seed=1).final_wealth[0]
    key = int(np.random.default_rng(root_seed(0)).integers(0, 2**63))
    z = counter_normals(key, np.arange(1, 4)[:, None], np.arange(1))
    assert a.final_wealth[0] == run_on_paths(s, path, 1 / 365, noise=z).final_wealth[0]
    g = run_on_paths(s, path, 1 / 365, seed=np.random.default_rng(7))
    assert g.final_wealth[0] == run_on_paths(s, path, 1 / 365,
                                             seed=np.random.default_rng(7)).final_wealth[0]
    # stochastic funding without funding_noise: the seed's standard normals after the key
    f = replace(s, funding=OUFunding(0.1, kappa_per_year=10.0, sigma_per_year=5.0))
    rng = np.random.default_rng(root_seed(3))
    rng.integers(0, 2**63)
    zf = rng.standard_normal((3, 1))
    drawn = run_on_paths(f, path, 1 / 365, seed=3)
    given = run_on_paths(f, path, 1 / 365, seed=3, funding_noise=zf)
    assert drawn.funding[0] == given.funding[0] != run_on_paths(
        f, path, 1 / 365, seed=3, funding_noise=-zf).funding[0]


def test_summary_with_ties_and_one_or_two_paths():
    """The tail mean includes the returns equal to the quantile (ties: every path the same, or
    three at the minimum); a one-path run has no standard error (NaN, without a numpy warning),
    a two-path run has one."""
    base = _results()
    flat = replace(base, final_wealth=np.full(7, 10_000.0), capital_added=np.zeros(7))
    s = flat.summary()
    assert s.tail_return == 0.0 and s.tail_expected_return == 0.0
    ties = replace(flat, final_wealth=np.array([11_000.0] * 3 + [15_000.0] * 4))
    assert ties.summary().tail_expected_return == np.mean([0.1, 0.1, 0.1])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        one = _results(1).summary()
    assert math.isnan(one.return_stderr)
    two = _results(2)
    r2 = two.returns
    assert two.summary().return_stderr == pytest.approx(abs(r2[0] - r2[1]) / 2, rel=1e-12)


def test_backtest_default_seed_and_a_series_without_a_step():
    from types import SimpleNamespace

    t = np.datetime64("2024-01-01T00:00:00") + np.arange(5) * np.timedelta64(86_400, "s")
    series = PriceSeries(t, np.array([3000.0, 3700.0, 3800.0, 3500.0, 2600.0]))
    s = Scenario(leverage=2.0, policy=Policy(recentre=True, latency_s=86_400.0 * 0.6))
    a = backtest(s, series)
    assert a.final_wealth[0] == backtest(s, series, seed=0).final_wealth[0]
    assert a.final_wealth[0] != backtest(s, series, seed=1).final_wealth[0]
    with pytest.raises(LpperpError, match="series must be a PriceSeries"):
        backtest(s, SimpleNamespace(prices=series.prices))
    with pytest.raises(LpperpError, match="series must be a PriceSeries"):
        backtest(s, SimpleNamespace(dt_years=1 / 365))


def test_summary_html_is_one_row_per_field():
    html = _results().summary()._repr_html_()
    assert re.fullmatch(r"<table><tbody>(<tr><td>[a-z ]+</td><td>[^<>]*</td></tr>)+"
                        r"</tbody></table>", html)


def test_run_many_names_its_caller_and_its_limits():
    a = Scenario(leverage=2.0)
    with pytest.raises(LpperpError, match=r"^mycall: "):
        run_many([a], GBM(0.8), 1.0, 30, 10**12, 1, None, False, what="mycall")
    # within a raised limit the budget passes and the process is checked next
    with pytest.raises(LpperpError, match="process must be a price process"):
        run_many([a], 0.8, 1.0, 1000, 10**7, 1, None, False, max_path_steps=10**10)
    with pytest.raises(LpperpError, match=r"(?<!X)tau_years must be a single number"):
        run_many([a], GBM(0.8), np.array([0.1, 0.2]), 5, 10, 1, None, False)


def test_stochastic_funding_in_one_block_is_the_documented_noise():
    s = Scenario(leverage=2.0, funding=OUFunding(0.1, kappa_per_year=20.0, sigma_per_year=4.0))
    a = simulate(s, GBM(0.8), 3 / 365, 3, 50, seed=8)
    root = root_seed(8)
    (g, w), = noise_streams(root, 0, 50, 2**31 + 1)
    zf = g.standard_normal((3, w))
    paths = sample_paths(GBM(0.8), s.price, 3 / 365, 3, 50, seed=8).T
    b = run_on_paths(s, paths, 1 / 365, noise=np.zeros((3, 50)), funding_noise=zf)
    np.testing.assert_allclose(a.funding, b.funding, rtol=1e-12)


class _FirstBlockInterrupts(GBM):
    """A GBM whose first block raises KeyboardInterrupt, as Ctrl-C would before any result."""

    def sampler(self, ss, n_paths, dt_years):
        if ss.spawn_key[-1] == 0:
            raise KeyboardInterrupt
        return super().sampler(ss, n_paths, dt_years)


def test_an_interrupt_before_any_chunk_is_raised_and_progress_is_labelled(capsys):
    with pytest.raises(KeyboardInterrupt):
        simulate(Scenario(), _FirstBlockInterrupts(0.8), 1 / 365, 1, 10, seed=1)
    simulate(Scenario(), GBM(0.8), 1 / 365, 1, PATH_BLOCK + 1, seed=1, chunk_paths=PATH_BLOCK,
             progress=True)
    err = capsys.readouterr().err
    assert re.search(r"(?<![A-Za-z])simulate: ", err) and "/2" in err


def test_a_zero_hedge_ratio_with_hedging_on_is_refused_by_name():
    """hedge=True with hedge_ratio=0 was accepted and crashed the kernel (ZeroDivisionError in the
    re-hedge band, -q / hedge_ratio); without hedging a zero ratio is harmless."""
    with pytest.raises(LpperpError, match=r"^hedge_ratio must be > 0 with hedge=True"):
        Policy(hedge=True, hedge_ratio=0.0)
    assert Policy(hedge=False, hedge_ratio=0.0).hedge_ratio == 0.0

"""Oracles: direct-loop references, streaming == report bit for bit, exact TWAP tick arithmetic,
guards that say why, validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_refs import chainlink_loop, random_paths

from lpperp.oracle import (
    CHAINLINK_ETH_USD_ARBITRUM,
    CHAINLINK_ETH_USD_ARBITRUM_2026,
    CHAINLINK_ETH_USD_BASE,
    CHAINLINK_ETH_USD_ETHEREUM,
    DRIFT_GUARD,
    REVERT_LEND_ARBITRUM_GUARD,
    ChainlinkFeed,
    OracleGuard,
    PullOracle,
    Spot,
    TwapOracle,
    consult_mean_tick,
    observe_tick_cumulatives,
)
from lpperp.units import USDC_WETH_ETHEREUM, WETH_USDC_ARBITRUM


def _paths(seed, n_paths, n_steps, sigma_step=0.002, dt=12.0, jitter=False):
    return random_paths(seed, n_paths, n_steps, sigma_step, dt, 40 if jitter else None)


@pytest.mark.parametrize("dev, hb", [(0.005, 3600.0), (0.0005, 86400.0), (0.0015, 1200.0),
                                     (0.02, 120.0), (0.0, 1e9)])
def test_chainlink_matches_the_direct_loop_exactly(dev, hb):
    for shape in ((40, 1500), (300, 200)):  # update-to-update scan; time-major over many paths
        t, x = _paths(1, *shape)
        np.testing.assert_array_equal(ChainlinkFeed(dev, hb).report(t, x),
                                      chainlink_loop(t, x, dev, hb))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1e-4, 0.05), st.floats(1.0, 5000.0),
       st.integers(1, 7), st.integers(1, 700), st.floats(1e-4, 0.02))
def test_chainlink_loop_reference_on_random_paths(seed, dev, hb, n_paths, n_steps, sig):
    t, x = _paths(seed, n_paths, n_steps, sig, jitter=True)
    feed = ChainlinkFeed(dev, hb)
    np.testing.assert_array_equal(feed.report(t, x), chainlink_loop(t, x, dev, hb))


def test_chainlink_updated_at_and_leading_axes():
    t, x = _paths(2, 12, 400)
    feed = ChainlinkFeed(0.003, 600.0)
    r = feed.read(t, x.reshape(3, 4, 400))
    np.testing.assert_array_equal(r.price.reshape(12, 400), feed.report(t, x))
    # the answer read is the price at its updatedAt, and the age never reaches the heartbeat
    idx = np.searchsorted(t, r.updated_at_seconds.reshape(12, 400))
    np.testing.assert_array_equal(np.take_along_axis(x, idx, axis=1), r.price.reshape(12, 400))
    assert r.age_seconds.max() < 600.0
    # between answers the price stays within the band of the last answer
    a = r.price.reshape(12, 400)
    assert np.all((np.abs(x - a) <= 0.003 * a) | (a == x))


def test_chainlink_presets_are_dated_and_sourced():
    assert (CHAINLINK_ETH_USD_ETHEREUM.deviation_fraction,
            CHAINLINK_ETH_USD_ETHEREUM.heartbeat_seconds) == (0.005, 3600.0)
    assert (CHAINLINK_ETH_USD_ARBITRUM.deviation_fraction,
            CHAINLINK_ETH_USD_ARBITRUM.heartbeat_seconds) == (0.0005, 86400.0)
    assert CHAINLINK_ETH_USD_ARBITRUM_2026.heartbeat_seconds == 1755.0
    assert (CHAINLINK_ETH_USD_BASE.deviation_fraction,
            CHAINLINK_ETH_USD_BASE.heartbeat_seconds) == (0.0015, 1200.0)
    for f in (CHAINLINK_ETH_USD_ETHEREUM, CHAINLINK_ETH_USD_ARBITRUM, CHAINLINK_ETH_USD_BASE):
        assert "@" in f.source and "20" in f.source


@pytest.mark.parametrize(
    "oracle",
    [Spot(), ChainlinkFeed(0.004, 300.0), TwapOracle(1800.0), TwapOracle(60.0, WETH_USDC_ARBITRUM),
     TwapOracle(600.0, USDC_WETH_ETHEREUM), PullOracle(0.001, 60.0, 30.0)],
    ids=lambda o: type(o).__name__,
)
def test_streaming_equals_report_bit_for_bit(oracle):
    t, x = _paths(5, 6, 300, sigma_step=0.004, jitter=True)
    want = oracle.report(t, x)
    state = oracle.start(x[:, 0], t[0])
    got = [x[:, 0] if not isinstance(oracle, TwapOracle) else want[:, 0]]
    for i in range(1, x.shape[1]):
        state, r = oracle.step(state, t[i], x[:, i])
        got.append(r)
    np.testing.assert_array_equal(np.stack(got, axis=1), want)


def test_twap_equals_the_exact_observe_and_consult():
    """Float TWAP on integer seconds == Oracle.sol accumulator + OracleLibrary.consult in ints."""
    rng = np.random.default_rng(7)
    t = np.cumsum(rng.integers(0, 30, 200)).astype(float) + 1_700_000_000
    x = 3000.0 * np.exp(np.cumsum(rng.normal(0, 0.003, 200)))
    for pool in (None, WETH_USDC_ARBITRUM, USDC_WETH_ETHEREUM):
        twap = TwapOracle(300.0, pool)
        ticks = [int(k) for k in twap.ticks(x)]
        # history before the series: the pool stood at the first tick since t0 - W
        t0 = int(t[0]) - 300
        times = [t0, *[int(s) for s in t]]
        ticks_ex = [ticks[0], *ticks]
        mean = twap.mean_ticks(t, x)
        for i in range(0, 200, 7):
            now = int(t[i])
            m = int(np.searchsorted(t, now, side="right")) + 1  # the events up to now
            c0, c1 = observe_tick_cumulatives(times[:m], ticks_ex[:m], now, [300, 0])
            assert mean[i] == consult_mean_tick(c0, c1, 300)
        price = twap.report(t, x)
        assert price[-1] == pytest.approx(
            float(twap.price_at_tick(consult_mean_tick(
                *observe_tick_cumulatives(times, ticks_ex, int(t[-1]), [300, 0]), 300))),
            rel=1e-14)


def test_consult_floors_like_the_contract():
    # OracleLibrary.consult: int24(Δ / W) then tick-- when Δ < 0 and Δ % W != 0
    assert consult_mean_tick(0, -1, 600) == -1  # Solidity gives 0, then tick-- -> -1
    assert consult_mean_tick(0, -1200, 600) == -2  # exact: no correction
    assert consult_mean_tick(100, 1299, 600) == 1
    for d in range(-2000, 2000, 37):
        assert consult_mean_tick(0, d, 61) == math.floor(d / 61)
    with pytest.raises(ValueError, match="BP"):
        consult_mean_tick(0, 5, 0)
    with pytest.raises(ValueError, match="OLD"):
        observe_tick_cumulatives([1000], [76012], 1600, [601, 0])


def test_twap_lags_and_a_one_block_spike_has_no_weight():
    t = np.arange(0, 3600, 12.0)
    x = np.full(t.size, 3000.0)
    x[100] = 6000.0  # pushed in one block, restored the next
    r = TwapOracle(1800.0).report(t, x)
    assert r[100] == r[99]  # at its own block the spike has weight 0
    # one 12 s block at 2x moves a 30-min TWAP by about 2**(12/1800)
    assert r[101] / r[99] == pytest.approx(2 ** (12 / 1800), rel=2e-4)


def test_pull_oracle_against_a_loop_and_its_staleness_guard():
    t, x = _paths(9, 3, 500, jitter=True)
    po = PullOracle(publish_interval_seconds=90.0, confidence_fraction=0.002, staleness_seconds=60.0)
    r = po.read(t, x)
    for i in range(0, 500, 11):
        tau = math.floor(t[i] / 90.0) * 90.0
        k = max(int(np.searchsorted(t, tau, side="right")) - 1, 0)
        np.testing.assert_array_equal(r.price[:, i], x[:, k])
        assert r.updated_at_seconds[0, i] == tau
    np.testing.assert_allclose(r.confidence, 0.002 * r.price)
    g = po.guard().check_reading(r)
    assert not bool(g)
    np.testing.assert_array_equal(g.allowed, r.age_seconds <= 60.0)
    assert set(np.unique(g.reason)) == {"", "stale"}
    assert g.message.startswith("stale: oracle age")


def test_guards_block_and_say_why():
    r = REVERT_LEND_ARBITRUM_GUARD.check(3000.0, pool_price=3059.0, age_seconds=100.0)
    assert r.allowed and r.reason == "" and r.message == ""
    r = REVERT_LEND_ARBITRUM_GUARD.check(3000.0, pool_price=3061.0)
    assert not r.allowed and r.reason == "pool_deviation" and "2.03 %" in r.message
    r = REVERT_LEND_ARBITRUM_GUARD.check(3000.0, age_seconds=86401.0)
    assert r.reason == "stale" and "86401 s > max 86400 s" in r.message
    r = DRIFT_GUARD.check(3000.0, confidence=61.0, age_seconds=1e6)  # uncertain reported first
    assert r.reason == "uncertain"
    assert "why" in r._repr_html_()


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="deviation_fraction"):
        ChainlinkFeed(1.5, 3600)
    with pytest.raises(ValueError, match="heartbeat_seconds"):
        ChainlinkFeed(0.005, 0)
    with pytest.raises(ValueError, match="times_seconds must be non-decreasing"):
        Spot().report([0, 2, 1], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="length of prices' last axis"):
        ChainlinkFeed(0.005, 3600).report([0, 1], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="prices must be a finite number > 0"):
        TwapOracle(60).report([0, 1], [1.0, np.nan])
    with pytest.raises(ValueError, match="must not go back in time"):
        feed = ChainlinkFeed(0.005, 3600)
        feed.step(feed.start(3000.0, 100.0), 50.0, 3000.0)
    with pytest.raises(ValueError, match="max_age_seconds"):
        OracleGuard(max_age_seconds=-1)


# --- trigger on the oracle, execute at the market (lpperp.oracle_risk) ---------------------------
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETH-USD.csv"


def _crash_paths(seed=11, n_paths=8, n_steps=2400):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps) * 12.0
    drift = np.linspace(0.0, -0.45, n_steps)
    x = 3000.0 * np.exp(drift + np.cumsum(rng.normal(0, 0.001, (n_paths, n_steps)), axis=1))
    return t, x


def test_oracle_liquidation_against_a_direct_scan_and_the_account_outcome():
    from lpperp.oracle_risk import crash_day_account, liquidate_on_oracle

    acct = crash_day_account(3000.0)
    t, x = _crash_paths()
    feed = ChainlinkFeed(0.005, 3600.0)
    r = liquidate_on_oracle(acct, t, x, feed)
    seen = feed.report(t, x)
    for j in range(x.shape[0]):  # reference: the first time the venue's view is liquidatable
        i = next(k for k in range(x.shape[1]) if acct.is_liquidatable(float(seen[j, k])))
        s = next(k for k in range(x.shape[1]) if acct.is_liquidatable(float(x[j, k])))
        assert r.trigger_seconds[j] == t[i] and r.spot_trigger_seconds[j] == t[s]
        assert r.market_price[j] == x[j, i] and r.oracle_price[j] == seen[j, i]
        # the spot case settles exactly as the account's own liquidation_outcome at that price
        o = acct.liquidation_outcome(float(x[j, s - 1]), at=float(x[j, s]))
        assert r.spot_owner_keeps[j] == pytest.approx(o.owner_keeps, rel=1e-12, abs=1e-9)
    assert np.all(r.delay_seconds >= 0)  # on a falling path the feed sits above the market
    spot = liquidate_on_oracle(acct, t, x, Spot())
    np.testing.assert_array_equal(spot.delay_seconds, 0.0)
    np.testing.assert_array_equal(spot.loss_vs_spot, 0.0)
    assert r.summary()["mean_loss_vs_spot"] >= 0.0
    assert "survival" in r._repr_html_()


def test_a_stale_guard_blocks_the_liquidation_and_counts_it():
    from lpperp.oracle_risk import crash_day_account, liquidate_on_oracle

    acct = crash_day_account(3000.0)
    t = np.arange(0, 6 * 3600, 12.0)  # -40 % in 2 hours, then flat: a 1 h TWAP lags ~10 %
    x = 3000.0 * np.exp(np.interp(t, [0, 3600, 3 * 3600, t[-1]], np.log([1, 1, 0.6, 0.6])))
    twap = TwapOracle(3600.0)
    free = liquidate_on_oracle(acct, t, x, twap)
    guarded = liquidate_on_oracle(acct, t, x, twap, guard=REVERT_LEND_ARBITRUM_GUARD)
    assert guarded.blocked_steps > 0 and free.blocked_steps == 0
    assert guarded.trigger_seconds > free.trigger_seconds  # Revert's 2 % pool check waits
    assert abs(guarded.stale_fraction) <= 0.02 < abs(free.stale_fraction)
    assert guarded.true_equity < free.true_equity  # later: less left at execution
    late = liquidate_on_oracle(acct, t, x, Spot(), execution_delay_steps=5)
    assert late.market_price < late.oracle_price and late.owner_value < late.spot_owner_value + 1e-9


@pytest.mark.skipif(not DATA.exists(), reason="shared/data/ETH-USD.csv not present (not shipped)")
@pytest.mark.parametrize("date", ["2020-03-12", "2021-05-19"])
def test_replay_the_real_crash_days_with_each_oracle(date):
    from lpperp.oracle_risk import load_ohlc, replay_crash_day

    o, _h, lo, _c = load_ohlc(DATA, date)
    assert lo < 0.6 * o  # both days lost more than 40 % at the low
    oracles = {"spot": Spot(), "chainlink": CHAINLINK_ETH_USD_ETHEREUM,
               "twap_30min": TwapOracle(1800.0), "twap_2h": TwapOracle(7200.0)}
    tab = replay_crash_day(DATA, date, oracles).table()
    assert all(row["liquidated"] == 1.0 for row in tab.values())
    hours = [tab[k]["hour"] for k in oracles]
    losses = [tab[k]["loss_vs_spot"] for k in oracles]
    assert hours == sorted(hours) and losses == sorted(losses)  # more lag: later, costlier
    assert tab["spot"]["loss_vs_spot"] == 0.0 and tab["twap_2h"]["loss_vs_spot"] > 500.0
    assert tab["twap_2h"]["stale_pct"] < -3.0  # the 2 h TWAP sells ~4 % below what it reads


# --- the explorer (lpperp.viz.oracle): set a slider, read fig.data --------------------------------
def test_oracle_explorer_moves_with_its_sliders_and_keeps_the_last_good_plot():
    pytest.importorskip("plotly")
    from lpperp.viz.oracle import ORACLE_TRACES, OracleExplorer

    ex = OracleExplorer()
    names = [tr.name for tr in ex.figure.data]
    assert names == list(ORACLE_TRACES)
    twap = ex.figure.data[names.index("twap")]
    before = np.array(twap.y)
    x_liq_before = ex.figure.data[names.index("liquidated: twap")].x[0]
    ex.controls["twap_minutes"].value = 120.0
    after = np.array(ex.figure.data[names.index("twap")].y)
    assert not np.array_equal(before, after)
    # a longer window lags more: the TWAP liquidates later (the market is the same path)
    assert ex.figure.data[names.index("liquidated: twap")].x[0] > x_liq_before
    assert ex.readout_values["twap_delay_s"] > 0
    # the Chainlink line is what ChainlinkFeed reports on the market line, every step
    r = ex.result
    np.testing.assert_array_equal(ex.figure.data[names.index("chainlink")].y,
                                  ChainlinkFeed(0.005, 3600.0).report(r.times_seconds, r.market))
    ex.controls["deviation_pct"].value = 3.0
    assert ex.readout_values["chainlink_delay_s"] > 600  # a 3 % threshold sees the crash late
    with ex.hold():  # several controls, one redraw
        ex.controls["crash_pct"].value = 60.0
        ex.controls["seed"].value = 3
    assert ex.status.value == "" and ex.result.scenario.seed == 3
    good = np.array(ex.figure.data[0].y)
    # bad input (the sliders only offer valid values: a scenario the library refuses)
    from lpperp.viz.oracle import OracleScenario

    with pytest.raises(ValueError, match="20,000 steps"):
        OracleScenario(horizon_hours=240.0)
    ex.scenario = lambda: OracleScenario(horizon_hours=240.0)
    assert ex.refresh() is False and "20,000 steps" in ex.status.value
    np.testing.assert_array_equal(np.array(ex.figure.data[0].y), good)  # last good plot kept


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(-887272, 887272)), min_size=1,
                max_size=40), st.integers(1, 400))
def test_mean_ticks_of_pool_ticks_equals_observe_and_consult(steps, window):
    """Any tick sequence at any integer timestamps (several in one block allowed)."""
    times = np.cumsum([dt for dt, _ in steps]).astype(float) + 10_000
    ticks = [tk for _, tk in steps]
    got = TwapOracle(float(window)).mean_ticks_of(times, ticks)
    ts = [int(times[0]) - window, *[int(x) for x in times]]
    tk = [ticks[0], *ticks]
    for i in range(len(steps)):
        m = int(np.searchsorted(times, times[i], side="right")) + 1
        c0, c1 = observe_tick_cumulatives(ts[:m], tk[:m], int(times[i]), [window, 0])
        assert got[i] == consult_mean_tick(c0, c1, window)


BTC = DATA.parent / "BTC-USD.csv"


@pytest.mark.skipif(not BTC.exists(), reason="shared/data/BTC-USD.csv not present (not shipped)")
def test_replay_btc_crash_days_lag_is_later_or_never():
    from lpperp.oracle_risk import replay_crash_day

    oracles = {"spot": Spot(), "chainlink": CHAINLINK_ETH_USD_ETHEREUM,
               "twap_30min": TwapOracle(1800.0), "twap_2h": TwapOracle(7200.0)}
    for date in ("2020-03-12", "2021-05-19"):
        tab = replay_crash_day(BTC, date, oracles).table()
        assert tab["spot"]["liquidated"] == 1.0
        for name in ("chainlink", "twap_30min", "twap_2h"):
            row = tab[name]
            assert row["liquidated"] == 0.0 or row["delay_s"] > 0  # later, or never
    # 2021-05-19: -28 % to the low and back to -14 %: a 2 h TWAP never sees the liquidation
    assert tab["twap_2h"]["liquidated"] == 0.0 and tab["twap_2h"]["loss_vs_spot"] < 0


def test_chainlink_names_the_bad_price_in_the_callers_shape():
    x = np.full((2, 300, 10), 3000.0)  # 600 paths: checked tile by tile in the scan
    x[1, 290, 5] = np.nan
    with pytest.raises(ValueError, match=r"got nan at index \(1, 290, 5\)"):
        ChainlinkFeed(0.005, 3600.0).report(np.arange(10.0), x)
    x[1, 290, 5] = -2.0
    with pytest.raises(ValueError, match=r"got -2.0 at index \(1, 290, 5\)"):
        ChainlinkFeed(0.005, 3600.0).read(np.arange(10.0), x)


@settings(max_examples=200, deadline=None)
@given(st.integers(-887272, 887272), st.integers(-887272, 887272), st.integers(1, 100_000),
       st.floats(0.0, 1.0))
def test_twap_mean_tick_is_the_exact_floor(t0, t1, w, frac):
    """tick t0 until s, t1 from s to w: the mean tick is (t0 s + t1 (w - s)) // w exactly."""
    s = int(frac * w)
    got = TwapOracle(float(w)).mean_ticks_of([0.0, float(s), float(w)], [t0, t1, t1])
    assert got[-1] == (t0 * s + t1 * (w - s)) // w


# --- bad input is named (issue 13; found by tests/test_oracle_fuzz.py) ---------------------------
@pytest.mark.parametrize(
    "oracle", [Spot(), ChainlinkFeed(0.005, 3600.0), TwapOracle(600.0), PullOracle(0.0, 60.0, 30.0)],
    ids=lambda o: type(o).__name__,
)
def test_bad_prices_and_states_are_named(oracle):
    from lpperp import LpperpError

    # ragged prices: numpy's 'inhomogeneous shape' ValueError escaped before
    with pytest.raises(LpperpError, match=r"prices must be a rectangular array of numbers"):
        oracle.report([0.0, 1.0], [[1.0, 2.0], [3.0]])
    with pytest.raises(LpperpError, match=r"prices must be an array of numbers, got None"):
        oracle.report([0.0], None)
    # a float as the state: AttributeError 'float' object has no attribute 't_seconds' before
    with pytest.raises(LpperpError, match=rf"state must be the \w+State that {type(oracle).__name__}"):
        oracle.step(3000.0, 60.0, 3000.0)
    other = Spot() if not isinstance(oracle, Spot) else TwapOracle(60.0)
    with pytest.raises(LpperpError, match=r"state must be the"):
        oracle.step(other.start(3000.0), 60.0, 3000.0)


def test_guard_names_shapes_and_readings():
    from lpperp import LpperpError

    with pytest.raises(LpperpError, match=r"must broadcast to one shape"):
        DRIFT_GUARD.check([3000.0, 3001.0], confidence=[1.0, 2.0, 3.0])
    with pytest.raises(LpperpError, match=r"reading must be an OracleReading"):
        DRIFT_GUARD.check_reading(1.0)
    # a pool price beyond a float's range from the oracle is infinitely far: blocked, no warning
    r = REVERT_LEND_ARBITRUM_GUARD.check(5e-324, pool_price=1e308)
    assert not r and r.reason == "pool_deviation"


def test_mean_ticks_of_refuses_an_empty_series():
    from lpperp import LpperpError

    with pytest.raises(LpperpError, match=r"ticks must have times_seconds' length"):
        TwapOracle(60.0).mean_ticks_of([], [])


def test_price_at_tick_and_liquidate_on_oracle_name_their_arguments():
    from lpperp import LpperpError
    from lpperp.oracle_risk import crash_day_account, liquidate_on_oracle

    with pytest.raises(LpperpError, match=r"tick must be a number"):
        TwapOracle(60.0).price_at_tick(None)
    with pytest.raises(LpperpError, match=r"tick must be integers in \[-887272, 887272\]"):
        TwapOracle(60.0).price_at_tick(0.5)
    acct = crash_day_account(3000.0)
    t, p = np.arange(0.0, 600.0, 60.0), np.full(10, 3000.0)
    # guard=3000.0 escaped as AttributeError: 'float' object has no attribute 'check_reading'
    with pytest.raises(LpperpError, match=r"guard must be an OracleGuard or None, got float"):
        liquidate_on_oracle(acct, t, p, Spot(), guard=3000.0)
    with pytest.raises(LpperpError, match=r"profile must be a LiquidityProfile or None"):
        liquidate_on_oracle(acct, t, p, Spot(), profile="deep")
    with pytest.raises(LpperpError, match=r"gas_quote must be a finite number >= 0, got nan"):
        liquidate_on_oracle(acct, t, p, Spot(), gas_quote=float("nan"))
    with pytest.raises(LpperpError, match=r"oracle must be an lpperp.oracle feed"):
        liquidate_on_oracle(acct, t, p, DRIFT_GUARD)


def test_twap_step_appends_in_place_yet_states_stay_values():
    """The buffer behind TwapState: branching from an older state, a hand-built state and buffer
    growth all give the numbers of report, bit for bit."""
    twap = TwapOracle(900.0)
    t, x = _paths(3, 11, 400, sigma_step=0.004, jitter=True)
    want = twap.report(t, x)
    s0 = twap.start(x[:, 0], t[0])
    states = [s0]
    for i in range(1, x.shape[1]):
        s, r = twap.step(states[-1], t[i], x[:, i])
        np.testing.assert_array_equal(r, want[:, i])
        states.append(s)
    # step an old state again (its buffer has moved on): the same answers as the first time
    mid = states[150]
    before = mid.tick_cumulatives.copy()
    s = mid
    for i in range(151, 200):
        s, r = twap.step(s, t[i], x[:, i])
        np.testing.assert_array_equal(r, want[:, i])
    np.testing.assert_array_equal(mid.tick_cumulatives, before)  # its history untouched
    # a state built by hand from the public fields
    from lpperp.oracle import TwapState

    h = states[250]
    s = TwapState(h.times_seconds.copy(), h.tick_cumulatives.copy(), h.ticks.copy(), h.t_seconds)
    s, r = twap.step(s, t[251], x[:, 251])
    np.testing.assert_array_equal(r, want[:, 251])
    assert not states[-1].tick_cumulatives.flags.writeable


def test_oversized_requests_are_refused_up_front():
    from lpperp import LpperpError
    from lpperp.oracle_risk import intraday_path, replay_crash_day

    with pytest.raises(LpperpError, match=r"intraday_path: 1 paths x 1606938044258990275541962092"):
        intraday_path(3000.0, 3100.0, 2000.0, 2100.0, n_steps=2**200)  # was MemoryError/hang
    with pytest.raises(LpperpError, match=r"replay_crash_day: .*pass max_path_steps= to raise it"):
        replay_crash_day("no-such.csv", "2020-03-12", n_steps=10**9)   # before reading any file
    t, p = intraday_path(3000.0, 3100.0, 2000.0, 2100.0, n_steps=20, max_path_steps=20)
    assert t.shape == p.shape == (20,)
    with pytest.raises(LpperpError, match=r"oracles must map names to lpperp.oracle feeds"):
        replay_crash_day("no-such.csv", "2020-03-12", oracles={"x": 3000.0})


def test_observe_by_bisection_equals_the_contract_walk():
    """observe_tick_cumulatives now bisects a prefix of the accumulator: the same ints as
    Oracle.sol's walk (written out here), on random histories with several writes per second."""
    import random

    def walk(ts, tk, now, agos):
        out = []
        for ago in agos:
            target, cum = now - ago, 0
            for k, tick in enumerate(tk):
                if ts[k] >= target:
                    break
                end = ts[k + 1] if k + 1 < len(ts) else target
                cum += tick * (min(end, target) - ts[k])
            out.append(cum)
        return out

    rng = random.Random(7)
    for _ in range(500):
        n = rng.randint(1, 10)
        ts = sorted(rng.randint(0, 40) for _ in range(n))
        tk = [rng.randint(-887272, 887272) for _ in range(n)]
        now = ts[-1] + rng.randint(0, 20)
        agos = [rng.randint(0, now - ts[0]) for _ in range(6)]
        assert observe_tick_cumulatives(ts, tk, now, agos) == walk(ts, tk, now, agos)
    from lpperp import LpperpError

    with pytest.raises(LpperpError, match=r"seconds_agos must be a list of integers"):
        observe_tick_cumulatives([0], [1], 10, 5)


def test_extreme_windows_intervals_and_times_answer_right_or_clearly():
    """Found by hand after the fuzz: TwapOracle(5e-324) read 1.0 (mean tick 0) and times
    spanning 1e302 s lost the accumulator; PullOracle(publish_interval_seconds=5e-324) overflowed
    t / I to inf and read the last price everywhere; repeated times streamed the first sample."""
    from lpperp import LpperpError

    t, p = np.arange(0.0, 600.0, 60.0), np.linspace(3000.0, 2200.0, 10)
    for w in (5e-324, 0.5, 600.7, 1e308):
        with pytest.raises(LpperpError, match=r"window_seconds must be a whole number of seconds "
                                              r"in \[1, 2\*\*32 - 1\]"):
            TwapOracle(w)
    with pytest.raises(LpperpError, match=r"times_seconds must span at most 2\*\*32 - 1 s"):
        TwapOracle(60.0).report(t * 1e300, p)
    twap = TwapOracle(60.0)
    s = twap.start(3000.0, 0.0)
    with pytest.raises(LpperpError, match=r"times_seconds must span at most"):
        twap.step(s, 2.0**33, 3000.0)
    pull = PullOracle(0.0, 60.0, 5e-324)   # publishes at every time: reads the market
    np.testing.assert_array_equal(pull.report(t, p), p)
    tt = np.array([0.0, 0.0, 60.0, 60.0, 90.0])
    pp = np.array([3000.0, 3010.0, 3020.0, 3030.0, 3040.0])
    for o in (PullOracle(0.0, 120.0, 60.0), PullOracle(0.0, 120.0, 5e-324)):
        want = o.report(tt, pp)
        st_, got = o.start(pp[0], tt[0]), [pp[0]]
        for i in range(1, tt.size):
            st_, r = o.step(st_, tt[i], pp[i])
            got.append(r)
        assert got[1:] == want[1:].tolist()


def test_oracle_scenario_states_its_domain():
    pytest.importorskip("plotly")
    from lpperp import LpperpError
    from lpperp.viz.oracle import OracleScenario

    with pytest.raises(LpperpError, match=r"crash_pct must be a number"):
        OracleScenario(crash_pct=None)          # was taken as 0 %
    with pytest.raises(LpperpError, match=r"twap_minutes must be in \[0.0166667, "):
        OracleScenario(twap_minutes=0.001)     # a 0.06 s window: refused before compute
    with pytest.raises(LpperpError, match=r"sigma_per_year must be in \[0, 10\]"):
        OracleScenario(sigma_per_year=1e308)   # overflowed the path to inf


def test_oracle_explorer_says_why_a_negative_seed_is_refused():
    pytest.importorskip("plotly")
    from lpperp.viz.oracle import OracleExplorer

    ex = OracleExplorer()
    good = np.array(ex.figure.data[0].y)
    ex.controls["seed"].value = -1        # the box used to clamp it to 0 without a word
    assert "seed must be an integer in [0" in ex.status.value
    np.testing.assert_array_equal(np.array(ex.figure.data[0].y), good)
    ex.controls["seed"].value = 8
    assert ex.status.value == ""

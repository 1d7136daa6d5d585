"""Oracle module against the Uniswap v3 contracts' own arithmetic and exact edge values (issue 14).

References (read 2026-11-30):
- Uniswap/v3-core@d8b1c635c275d2a9450bd6a78f3fa2484fef73eb contracts/libraries/Oracle.sol
  ``transform``: ``tickCumulative: last.tickCumulative + int56(tick) * delta`` (the tick in force
  *before* the write), ``observeSingle`` interpolates between observations, ``'OLD'`` before the
  oldest one.
- Uniswap/v3-periphery@0682387198a24c7cd63566a2c58398533860a5d1 contracts/libraries/OracleLibrary.sol
  ``consult``: ``require(secondsAgo != 0, 'BP')``, ``arithmeticMeanTick = int24(delta / secondsAgo)``
  (Solidity truncates toward zero) then ``if (delta < 0 && delta % secondsAgo != 0) tick--``; the
  argument is a ``uint32``.

The references below are direct, independent loops: one second at a time, the tick in force
during that second summed, and the mean floored with exact ``fractions.Fraction`` arithmetic.
"""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.oracle import (
    REVERT_LEND_ARBITRUM_GUARD,
    ChainlinkFeed,
    OracleGuard,
    PullOracle,
    TwapOracle,
    consult_mean_tick,
    observe_tick_cumulatives,
)

U32 = 2**32 - 1
MAX_TICK = 887272


def _tick_during(second, times, ticks, before_first=None):
    """The pool's tick during [second, second + 1): the last write at or before ``second``."""
    tick = before_first
    for t, k in zip(times, ticks, strict=True):
        if t <= second:
            tick = k
    return tick


def _cumulative(target, times, ticks):
    """tickCumulative at ``target``: sum over each second since the first write (v3-core transform)."""
    return sum(_tick_during(s, times, ticks) for s in range(times[0], target))


def _floor_mean(delta, window):
    """OracleLibrary.consult's result: the exact quotient rounded toward minus infinity."""
    return math.floor(Fraction(delta, window))


# a hand-made schedule: negative ticks, two writes in one block (the last stands), a long gap
TIMES = [100, 103, 110, 110, 125, 126, 140]
TICKS = [-5, 7, -13, 4, -887272, 887272, -1]


@pytest.mark.parametrize("now", [140, 141, 150, 173])
def test_observe_matches_second_by_second_sum(now):
    agos = [0, 1, 5, 6, 7, 13, 14, 15, 16, 17, 30, 37, 40, now - 100]
    agos = sorted({a for a in agos if now - a >= 100})
    got = observe_tick_cumulatives(TIMES, TICKS, now, agos)
    want = [_cumulative(now - a, TIMES, TICKS) for a in agos]
    assert got == want
    assert all(type(x) is int for x in got)


def test_observe_between_observations_and_at_the_first_one():
    # target exactly on the first write: accumulator 0; between writes: interpolated exactly
    assert observe_tick_cumulatives([10, 20], [-3, 8], 30, [20, 15, 10, 5, 0]) == [
        0, -15, -30, -30 + 8 * 5, -30 + 8 * 10]


def test_observe_refuses_a_window_before_the_first_observation():
    with pytest.raises(LpperpError, match="OLD"):
        observe_tick_cumulatives(TIMES, TICKS, 150, [51])
    assert observe_tick_cumulatives(TIMES, TICKS, 150, [50]) == [0]


def test_observe_edge_values_and_messages():
    # uint32 seconds_agos: 2**32 - 1 accepted (a pool that has existed that long), 2**32 refused
    assert observe_tick_cumulatives([0], [-2], U32, [U32, 0]) == [0, -2 * U32]
    for bad in (U32 + 1, -1):
        with pytest.raises(LpperpError, match=r"seconds_agos must be an integer in \[0, 4294967295\]"):
            observe_tick_cumulatives([0], [1], U32 + 10, [bad])
    # ticks: +-887272 accepted, one more refused, the message names the argument and bounds
    assert observe_tick_cumulatives([0], [MAX_TICK], 2, [0]) == [2 * MAX_TICK]
    assert observe_tick_cumulatives([0], [-MAX_TICK], 2, [0]) == [-2 * MAX_TICK]
    for bad in (MAX_TICK + 1, -MAX_TICK - 1):
        with pytest.raises(LpperpError, match=r"^ticks must be an integer in \[-887272, 887272\]"):
            observe_tick_cumulatives([0], [bad], 2, [0])
    with pytest.raises(LpperpError, match=r"^times_seconds must be an integer"):
        observe_tick_cumulatives([0.5], [1], 2, [0])
    with pytest.raises(LpperpError, match=r"^now_seconds must be an integer"):
        observe_tick_cumulatives([0], [1], 2.0, [0])
    with pytest.raises(LpperpError, match=r"^seconds_agos must be an integer"):
        observe_tick_cumulatives([0], [1], 2, [1.0])


def test_observe_refuses_bad_schedules():
    with pytest.raises(LpperpError, match="one length"):
        observe_tick_cumulatives([0, 5], [1], 10, [0, 7])
    with pytest.raises(LpperpError, match="one length"):
        observe_tick_cumulatives([], [], 10, [0])
    # decreasing times with now after all of them; sorted times with now before the last
    with pytest.raises(LpperpError, match="non-decreasing"):
        observe_tick_cumulatives([0, 10, 5], [1, 2, 3], 20, [0])
    with pytest.raises(LpperpError, match="non-decreasing"):
        observe_tick_cumulatives([0, 10], [1, 2], 9, [0])


@pytest.mark.parametrize("delta, window", [
    (45607200, 600), (-7, 2), (7, 2), (-6, 2), (6, 2), (0, 5), (-1, 600), (1, 600), (-600, 600),
    (-601, 600), (-599, 600), (599, 600), (-MAX_TICK * U32, U32), (-MAX_TICK * U32 - 1, U32),
])
def test_consult_floors_like_oracle_library(delta, window):
    for c0 in (0, -123456789, 10**12):
        got = consult_mean_tick(c0, c0 + delta, window)
        assert got == _floor_mean(delta, window)
        assert type(got) is int


def test_consult_edge_values_and_messages():
    assert consult_mean_tick(0, 5 * U32, U32) == 5
    with pytest.raises(LpperpError, match=r"^seconds_ago must be an integer in \[0, 4294967295\]"):
        consult_mean_tick(0, 5, U32 + 1)
    with pytest.raises(LpperpError, match=r"^seconds_ago must be an integer in \[0, 4294967295\]"):
        consult_mean_tick(0, 5, -1)
    with pytest.raises(LpperpError, match="BP"):
        consult_mean_tick(0, 5, 0)
    with pytest.raises(LpperpError, match=r"^tick_cumulative_start must be an integer"):
        consult_mean_tick(0.0, 5, 1)
    with pytest.raises(LpperpError, match=r"^tick_cumulative_end must be an integer"):
        consult_mean_tick(0, 5.0, 1)
    with pytest.raises(LpperpError, match=r"^seconds_ago must be an integer"):
        consult_mean_tick(0, 5, 1.0)


@pytest.mark.parametrize("window", [1, 7, 10, 26, 60])
def test_mean_ticks_of_matches_observe_then_consult_loop(window):
    # before the first time the pool stood at ticks[0]: the window may start before it
    twap = TwapOracle(window)
    got = twap.mean_ticks_of(TIMES, TICKS)
    want = []
    for now in TIMES:
        total = sum(_tick_during(s, TIMES, TICKS, before_first=TICKS[0])
                    for s in range(now - window, now))
        want.append(_floor_mean(total, window))
    assert got.dtype == np.float64
    assert got.tolist() == want


def test_mean_ticks_of_on_paths_and_integer_input():
    ticks = np.array([[3, -4, -4, 9], [-1, -1, 2, -7]])
    times = [0, 5, 9, 9]
    got = TwapOracle(6.0).mean_ticks_of(times, ticks)
    for row, ticks_row in zip(got, ticks, strict=True):
        want = [_floor_mean(sum(_tick_during(s, times, ticks_row.tolist(), ticks_row[0])
                                for s in range(now - 6, now)), 6) for now in times]
        assert row.tolist() == want


def test_mean_ticks_of_refuses_bad_input_naming_it():
    twap = TwapOracle(60.0)
    # the tick written at t has weight 0 at t (v3-core transform uses the tick before the write)
    assert twap.mean_ticks_of([0, 1, 60], [MAX_TICK, -MAX_TICK, 5]).tolist() == [
        MAX_TICK, MAX_TICK, _floor_mean(MAX_TICK - 59 * MAX_TICK, 60)]
    for bad in ([MAX_TICK + 1, 0], [0, -MAX_TICK - 1], [0.5, 0], [0, 2.5]):
        with pytest.raises(LpperpError, match=r"^ticks must be integers"):
            twap.mean_ticks_of([0, 1], bad)
    with pytest.raises(LpperpError, match=r"^ticks"):
        twap.mean_ticks_of([0, 1], [0, np.inf])
    with pytest.raises(LpperpError, match=r"^times_seconds"):
        twap.mean_ticks_of([0, np.nan], [0, 1])
    for times in ([10, 0], [0, 10, 5]):
        with pytest.raises(LpperpError, match="non-decreasing"):
            twap.mean_ticks_of(times, [1] * len(times))


def test_twap_window_edges_and_normalisation():
    w = TwapOracle(600).window_seconds
    assert type(w) is float and w == 600.0
    assert TwapOracle(U32).window_seconds == float(U32)
    assert TwapOracle(1).window_seconds == 1.0
    for bad in (U32 + 1, 0.5):
        with pytest.raises(LpperpError, match=r"^window_seconds must be a whole number of "
                                              r"seconds in \[1, 2\*\*32 - 1\]"):
            TwapOracle(bad)
    for bad in (0.0, -1.0, [600.0], np.array([600.0, 700.0])):
        with pytest.raises(LpperpError, match=r"^window_seconds"):
            TwapOracle(bad)


# ------------------------------------------------------------------------------------------------
# Constructors: exact boundaries, float normalisation, messages naming the argument
# ------------------------------------------------------------------------------------------------
def test_pull_oracle_fields_edges_and_normalisation():
    o = PullOracle(confidence_fraction=1, staleness_seconds=60, publish_interval_seconds=2)
    for name, want in (("confidence_fraction", 1.0), ("staleness_seconds", 60.0),
                       ("publish_interval_seconds", 2.0)):
        assert type(getattr(o, name)) is float and getattr(o, name) == want
    assert PullOracle(confidence_fraction=0).confidence_fraction == 0.0
    bad_values = {"confidence_fraction": (1.0000001, -1e-12, [0.1], np.nan),
                  "staleness_seconds": (0.0, -1.0, [60.0], np.inf),
                  "publish_interval_seconds": (0.0, -1.0, [1.0], np.nan)}
    for name, bads in bad_values.items():
        for bad in bads:
            with pytest.raises(LpperpError, match=rf"^{name} "):
                PullOracle(**{name: bad})


def test_chainlink_fields_edges_and_normalisation():
    f = ChainlinkFeed(1, 3600)
    assert type(f.deviation_fraction) is float and f.deviation_fraction == 1.0
    assert type(f.heartbeat_seconds) is float and f.heartbeat_seconds == 3600.0
    assert ChainlinkFeed(0, 1e-9).deviation_fraction == 0.0
    for bad in (1.0000001, -1e-12, [0.005], np.nan):
        with pytest.raises(LpperpError, match=r"^deviation_fraction "):
            ChainlinkFeed(bad, 3600.0)
    for bad in (0.0, -1.0, [3600.0], np.inf):
        with pytest.raises(LpperpError, match=r"^heartbeat_seconds "):
            ChainlinkFeed(0.005, bad)


# ------------------------------------------------------------------------------------------------
# OracleGuard.check: Revert Lend V3Oracle.sol reverts when |pool - v| / v > max (equal passes),
# ChainlinkPriceError when updatedAt + maxFeedAge < block.timestamp (age equal to the max passes);
# revert-finance/lend src/V3Oracle.sol @ 4f1e127 as cited by REVERT_LEND_ARBITRUM_GUARD.
# ------------------------------------------------------------------------------------------------
def test_guard_exact_thresholds():
    g = REVERT_LEND_ARBITRUM_GUARD  # 86400 s, 2 %
    # 2.0 / 100.0 is the double nearest 0.02, the double of the 0.02 maximum: equal passes
    r = g.check(100.0, pool_price=[102.0, 98.0, 102.0000001, 97.9999999],
                age_seconds=[86400.0, 86400.0, 0.0, 0.0])
    assert r.allowed.tolist() == [True, True, False, False]
    assert r.reason.tolist() == ["", "", "pool_deviation", "pool_deviation"]
    r = g.check(100.0, age_seconds=[86400.0, 86400.001, 86401])
    assert r.allowed.tolist() == [True, False, False]
    assert r.reason.tolist() == ["", "stale", "stale"]
    assert r.message == "stale: oracle age 86400 s > max 86400 s"
    assert r.age_seconds.dtype == np.float64
    d = OracleGuard(max_confidence_fraction=0.02)
    assert d.check(100.0, confidence=[2.0, 2.0000001]).allowed.tolist() == [True, False]


def test_guard_defaults_are_a_fresh_exact_reading():
    strict = OracleGuard(max_age_seconds=0.0, max_confidence_fraction=0.0,
                         max_pool_difference_fraction=0.0)
    r = strict.check(3000.0)
    assert bool(r) and r.reason == "" and r.message == ""
    assert r.age_seconds == 0.0 and r.confidence_fraction == 0.0


def test_guard_names_bad_arguments():
    g = REVERT_LEND_ARBITRUM_GUARD
    with pytest.raises(LpperpError, match=r"^oracle_price "):
        g.check(0.0)
    with pytest.raises(LpperpError, match=r"^age_seconds "):
        g.check(1.0, age_seconds=-1.0)
    with pytest.raises(LpperpError, match=r"^confidence "):
        g.check(1.0, confidence=-1.0)
    with pytest.raises(LpperpError, match=r"^pool_price "):
        g.check(1.0, pool_price=0.0)
    # any one of the four shapes may be the one that does not broadcast
    for kw in ({"oracle_price": [1.0, 2.0, 3.0], "age_seconds": [0.0, 1.0], "pool_price": [1.0, 1.0]},
               {"oracle_price": [1.0, 2.0], "age_seconds": [0.0, 1.0, 2.0]},
               {"oracle_price": [1.0, 2.0], "confidence": [0.0, 0.0, 0.0]},
               {"oracle_price": [1.0, 2.0], "age_seconds": [0.0, 1.0], "pool_price": [1.0] * 3}):
        with pytest.raises(LpperpError, match="broadcast"):
            g.check(**kw)


def test_guard_overflowing_difference_is_refused_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = REVERT_LEND_ARBITRUM_GUARD.check(1e-300, pool_price=1e300)
    assert not bool(r) and r.reason == "pool_deviation"


# ------------------------------------------------------------------------------------------------
# ChainlinkFeed.stream == report(): a direct loop of the trigger rule is the reference
# ------------------------------------------------------------------------------------------------
def _feed_loop(d, hb, times, prices):
    """Chainlink's rule one time at a time: deviation strictly past d, or heartbeat reached."""
    a, u, out = prices[0], times[0], []
    for t, p in zip(times, prices, strict=True):
        if p > a * (1.0 + d) or p < a * (1.0 - d) or t >= u + hb:
            a, u = p, t
        out.append(a)
    return out


def test_stream_equals_report_and_loop_with_ties():
    d, hb = 0.25, 10.0  # 100 * 1.25 and 100 * 0.75 are exact doubles: exact-threshold moves
    times = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 20.0, 21.0, 22.0, 31.0, 32.0, 33.0]
    paths = np.array([
        [100.0, 125.0, 75.0, 125.0000001, 120.0, 150.0, 150.0, 187.5, 187.5, 100.0, 100.0, 100.0],
        [100.0, 100.0, 100.0, 100.0, 100.0, 74.9999999, 74.0, 74.0, 74.0, 74.0, 92.5, 55.5],
    ])
    rng = np.random.default_rng(14)
    random_paths = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.2, (4, len(times))), axis=1))
    random_paths[:, 0] = 100.0
    for prices in (paths, random_paths):
        feed = ChainlinkFeed(d, hb)
        advance = feed.stream(prices[:, 0], times[0])
        streamed = [np.array(advance(t, prices[:, i])) for i, t in enumerate(times[1:], 1)]
        got = np.column_stack([prices[:, 0], *streamed])
        assert got.tolist() == feed.report(times, prices).tolist()
        assert got.tolist() == [_feed_loop(d, hb, times, list(row)) for row in prices]
    assert paths[0, 1] == 100.0 * 1.25 and paths[0, 2] == 100.0 * 0.75  # the ties are ties


def test_stream_with_no_paths():
    advance = ChainlinkFeed(0.01, 10.0).stream(np.array([]))
    assert advance(1.0, np.array([])).shape == (0,)
    assert advance(20.0, np.array([])).shape == (0,)


# ------------------------------------------------------------------------------------------------
# Shared input checks and the TWAP stream (step must equal the second-by-second reference)
# ------------------------------------------------------------------------------------------------
def test_inputs_name_the_first_decrease():
    feed = ChainlinkFeed(0.01, 60.0)
    with pytest.raises(LpperpError, match=r"got \S*5\.0\)? then \S*3\.0\)? at index 3$"):
        feed.report([0, 5, 5, 3, 1], [1.0] * 5)
    with pytest.raises(LpperpError, match=r"got \S*10\.0\)? then \S*0\.0\)? at index 1$"):
        feed.report([10, 0], [1.0, 1.0])
    with pytest.raises(LpperpError, match=r"^times_seconds "):
        feed.report([0, np.inf], [1.0, 1.0])
    assert feed.report([7], [2.0]).tolist() == [2.0]


def test_twap_start_and_step_name_their_arguments():
    twap = TwapOracle(60.0)
    with pytest.raises(LpperpError, match=r"^prices0 "):
        twap.start(0.0)
    with pytest.raises(LpperpError, match=r"^t0_seconds "):
        twap.start(1.0, np.nan)
    with pytest.raises(LpperpError, match=r"^state "):
        twap.step(ChainlinkFeed(0.01, 1.0).start(1.0), 1.0, 1.0)


@pytest.mark.parametrize("window", [2.0, 5.0, 50.0])
def test_twap_steps_on_a_grid_of_paths_match_the_loop(window):
    # 40 steps on a (2, 3) grid of paths (the buffer regrows; 50 s starts before the first time)
    rng = np.random.default_rng(7)
    times = list(range(0, 41))
    prices = 2000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (2, 3, len(times))), axis=-1))
    twap = TwapOracle(window)
    ticks = twap.ticks(prices)
    state = twap.start(prices[..., 0], times[0])
    w = int(window)
    for i, t in enumerate(times[1:], 1):
        state, got = twap.step(state, float(t), prices[..., i])
        assert got.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            row = ticks[idx].astype(int).tolist()
            total = sum(_tick_during(s, times, row, before_first=row[0]) for s in range(t - w, t))
            assert got[idx] == twap.price_at_tick(_floor_mean(total, w))


def test_twap_stream_span_counts_from_its_first_time():
    twap = TwapOracle(2.0)
    state = twap.start(100.0, 0.0)
    for t in range(1, 41):  # the live rows move to new buffers; the stream still starts at 0
        state, _ = twap.step(state, float(t), 100.0)
    with pytest.raises(LpperpError, match="2\\*\\*32 - 1"):
        twap.step(state, float(2**32), 100.0)
    twap.step(state, float(U32), 100.0)  # exactly the uint32 span: accepted

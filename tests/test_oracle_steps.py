"""The checked streaming form (``start`` / ``step``) of each oracle at the exact edges of its rule
(issue 14): the Chainlink band and heartbeat ties, the pull oracle's publish instants, the
refusal of a foreign state. References are the rules written out by hand or as direct loops
(tests/oracle_refs.py), with the sources cited there and in each test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from oracle_refs import chainlink_loop

from lpperp._validate import LpperpError
from lpperp.oracle import ChainlinkFeed, PullOracle, Spot, TwapOracle

ORACLES = [Spot(), ChainlinkFeed(0.01, 100.0), TwapOracle(600.0), PullOracle(0.001, 60.0, 30.0)]


@pytest.mark.parametrize("oracle", ORACLES, ids=lambda o: type(o).__name__)
def test_step_refuses_a_foreign_state_naming_it(oracle):
    own = type(oracle.start(3000.0)).__name__
    for other in ORACLES:
        if type(other) is type(oracle):
            continue
        with pytest.raises(LpperpError, match=(
                rf"^state must be the {own} that {type(oracle).__name__}\.start\(\.\.\.\) returns, "
                rf"got {type(other.start(3000.0)).__name__} ")):
            oracle.step(other.start(3000.0), 1.0, 3000.0)
    with pytest.raises(LpperpError, match=rf"^state must be the {own} .* got NoneType None$"):
        oracle.step(None, 1.0, 3000.0)


def _stepped(oracle, t, x):
    state = oracle.start(x[:, 0], t[0])
    out = [x[:, 0]]
    for i in range(1, x.shape[1]):
        state, r = oracle.step(state, t[i], x[:, i])
        out.append(np.array(r, dtype=float))
    return np.array(out).T


def test_chainlink_step_band_edges_and_heartbeat_ties():
    """Chainlink: an update when the price deviates by *more than* the threshold from the
    on-chain answer, or when the heartbeat elapsed since the last update (docs cited in
    tests/oracle_refs.py): a price exactly on the band edge does not update, a time exactly at
    ``updatedAt + heartbeat`` does."""
    feed = ChainlinkFeed(0.01, 100.0)
    up, down = 100.0 * (1 + 0.01), 100.0 * (1 - 0.01)  # the band of answer 100, as the rule says
    t = np.array([5.0, 50.0, 60.0, 104.999, 105.0, 150.0, 205.0, 249.0, 250.0])
    x = np.array([
        [100.0, 101.0 + 1e-9, 101.5, 101.6, 101.6, 101.7, 101.8, 101.9, 101.9],
        [100.0, 99.0 - 1e-9, 99.5, 99.4, 99.4, 99.3, 99.2, 99.1, 99.1],
        [100.0, up, 100.5, 100.2, 100.2, 100.4, 100.5, 100.6, 100.6],
        [100.0, down, 100.5, 100.3, 100.3, 100.1, 100.0, 100.1, 100.1],
    ])
    want = np.array([
        [100.0, 101.0 + 1e-9, 101.0 + 1e-9, 101.0 + 1e-9, 101.0 + 1e-9, 101.7, 101.7, 101.7,
         101.9],
        [100.0, 99.0 - 1e-9, 99.0 - 1e-9, 99.0 - 1e-9, 99.0 - 1e-9, 99.3, 99.3, 99.3, 99.1],
        [100.0, 100.0, 100.0, 100.0, 100.2, 100.2, 100.5, 100.5, 100.5],
        [100.0, 100.0, 100.0, 100.0, 100.3, 100.3, 100.0, 100.0, 100.0],
    ])
    np.testing.assert_array_equal(chainlink_loop(t, x, 0.01, 100.0), want)  # the loop agrees
    np.testing.assert_array_equal(_stepped(feed, t, x), want)
    np.testing.assert_array_equal(feed.report(t, x), want)
    # the updatedAt the step keeps: each path's last update time
    state = feed.start(x[:, 0], t[0])
    for i in range(1, 5):
        state, _ = feed.step(state, t[i], x[:, i])
    np.testing.assert_array_equal(state.updated_at_seconds, [50.0, 50.0, 105.0, 105.0])
    assert state.t_seconds == 105.0


def test_chainlink_step_exact_edges_one_path_at_a_time():
    # answer 2000 with 0.5 %: 2010 and 1990 are the edges as the rule computes them
    feed = ChainlinkFeed(0.005, 3600.0)
    for p, want in ((2000.0 * 1.005, 2000.0), (2000.0 * 0.995, 2000.0),
                    (np.nextafter(2000.0 * 1.005, np.inf), np.nextafter(2000.0 * 1.005, np.inf)),
                    (np.nextafter(2000.0 * 0.995, 0.0), np.nextafter(2000.0 * 0.995, 0.0))):
        s = feed.start(2000.0, 0.0)
        s, r = feed.step(s, 3599.0, p)
        assert r == want
        p2 = want * 1.001  # inside the band of the answer read
        s, r = feed.step(s, 3600.0, p2)  # the heartbeat of an answer written at 0, not at 3599
        assert r == (p2 if want == 2000.0 else want)


# -- defaults and argument names of the streaming entry points ----------------------------------
@pytest.mark.parametrize("oracle", ORACLES, ids=lambda o: type(o).__name__)
def test_start_defaults_to_time_zero(oracle):
    """``start(prices0)`` is the state at t = 0 (the documented default): a step at t = 0.5
    is later, and the record says 0."""
    state = oracle.start(3000.0)
    assert (state.t_seconds if hasattr(state, "t_seconds") else state.last_t_seconds) == 0.0
    oracle.step(state, 0.5, 3000.0)  # not "back in time"
    advance = oracle.stream(3000.0)
    advance(0.5, np.array(3000.0))


def test_start_records_time_zero_in_each_state():
    assert Spot().start([1.0, 2.0]).t_seconds == 0.0
    s = ChainlinkFeed(0.01, 100.0).start([1.0, 2.0])
    np.testing.assert_array_equal(s.updated_at_seconds, [0.0, 0.0])
    s = TwapOracle(600.0).start([1.0, 2.0])
    np.testing.assert_array_equal(s.times_seconds, [0.0])
    s = PullOracle(0.0, 60.0, 30.0).start([1.0, 2.0])
    assert (s.publish_time_seconds, s.last_t_seconds) == (0.0, 0.0)


def test_chainlink_stream_heartbeat_counts_from_time_zero_by_default():
    # heartbeat 100 s from the first answer written at t = 0: due at exactly 100
    advance = ChainlinkFeed(0.01, 100.0).stream(np.array([100.0, 100.0]))
    np.testing.assert_array_equal(advance(99.0, np.array([100.5, 100.2])), [100.0, 100.0])
    np.testing.assert_array_equal(advance(100.0, np.array([100.5, 100.2])), [100.5, 100.2])


@pytest.mark.parametrize("oracle", ORACLES, ids=lambda o: type(o).__name__)
def test_start_and_step_name_their_bad_arguments(oracle):
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(LpperpError, match=r"^prices0 must be a finite number > 0"):
            oracle.start(bad)
        with pytest.raises(LpperpError, match=r"^prices0 must be a finite number > 0"):
            oracle.stream([3000.0, bad])
    for bad in (np.nan, np.inf, "1"):
        with pytest.raises(LpperpError, match=r"^t0_seconds must be"):
            oracle.start(3000.0, bad)
    state = oracle.start([3000.0, 3000.0], 10.0)
    for bad in (np.nan, -np.inf, "1", [11.0]):
        with pytest.raises(LpperpError, match=r"^t_seconds must be"):
            oracle.step(state, bad, [3000.0, 3000.0])
    for bad in ([3000.0, 0.0], [np.nan, 3000.0], [-1.0, 3000.0]):
        with pytest.raises(LpperpError, match=r"^prices must be a finite number > 0"):
            oracle.step(state, 11.0, bad)
    with pytest.raises(LpperpError, match=r"^prices must have the shape of the state's paths"):
        oracle.step(state, 11.0, [3000.0, 3000.0, 3000.0])
    with pytest.raises(LpperpError, match=r"^t_seconds must not go back in time: 9.0 after 10.0"):
        oracle.step(state, 9.0, [3000.0, 3000.0])


def test_twap_ticks_names_bad_prices():
    for bad in (0.0, -2.0, np.nan, [1.0, np.inf]):
        with pytest.raises(LpperpError, match=r"^prices must be a finite number > 0"):
            TwapOracle(60.0).ticks(bad)


@pytest.mark.parametrize("oracle", [Spot(), ChainlinkFeed(0.01, 100.0), TwapOracle(600.0),
                                    PullOracle(0.002, 60.0, 30.0)], ids=lambda o: type(o).__name__)
def test_read_fields_have_the_prices_shape_and_float_dtype(oracle):
    t = np.array([0.0, 20.0, 40.0, 700.0])
    x = np.array([[3000.0, 3100.0, 2900.0, 3050.0], [10.0, 11.0, 12.0, 13.0]])
    r = oracle.read(t, x)
    for field in (r.price, r.updated_at_seconds, r.confidence, r.age_seconds):
        assert np.shape(field) == x.shape
        assert np.asarray(field).dtype == np.float64
    # confidence: the publisher's half-width (Pyth conf, same exponent as the price), else 0
    want = 0.002 * r.price if isinstance(oracle, PullOracle) else np.zeros(x.shape)
    np.testing.assert_array_equal(r.confidence, want)


def test_pull_oracle_interval_too_short_for_the_clock_publishes_every_time_silently():
    """``t / I`` overflowing a float (I = 1e-300 s at t = 1e10 s) means a publish at every
    time: the price read is the sample of that time, age 0, and no overflow warning leaks."""
    pyth = PullOracle(0.0, 60.0, 1e-300)
    t = np.array([0.0, 1e10, 2e10])
    x = np.array([3000.0, 3100.0, 3200.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = pyth.read(t, x)
        s = pyth.start(3000.0, 1e10)
        s, got = pyth.step(s, 2e10, 3200.0)
    np.testing.assert_array_equal(r.price, x)
    np.testing.assert_array_equal(r.updated_at_seconds, t)
    assert s.publish_time_seconds == 2e10 and got == 3200.0

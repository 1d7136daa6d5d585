"""Oracle.stream: the simulator's stepping function (checks once at the start) gives the answers of
the rule written out as a direct loop and of the checked start/step, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_refs import chainlink_loop, random_paths

from lpperp._validate import LpperpError
from lpperp.oracle import ChainlinkFeed, PullOracle, Spot, TwapOracle


def _paths(seed, n_paths, n_steps, sigma_step=0.004):
    return random_paths(seed, n_paths, n_steps, sigma_step, max_gap_seconds=900)  # repeated times


def _streamed(oracle, t, x):
    cols = np.ascontiguousarray(x.T)
    advance = oracle.stream(cols[0], t[0])
    out = [cols[0].copy()]
    for i in range(1, cols.shape[0]):
        out.append(np.array(advance(t[i], cols[i]), dtype=float))  # copy: may change in place
    return np.array(out).T


@pytest.mark.parametrize("dev, hb", [(0.005, 3600.0), (0.0, 1e9), (0.0, 1.0), (0.02, 600.0),
                                     (0.3, 1e9)])
def test_chainlink_stream_is_the_direct_loop(dev, hb):
    t, x = _paths(3, 9, 400)
    np.testing.assert_array_equal(_streamed(ChainlinkFeed(dev, hb), t, x),
                                  chainlink_loop(t, x, dev, hb))


def test_chainlink_stream_triggers_on_each_rule_alone():
    feed = ChainlinkFeed(0.01, 100.0)
    advance = feed.stream(np.array([100.0, 100.0, 100.0, 100.0]), 5.0)
    # up past the band, down past the band, exactly on each edge (no update), inside
    p = np.array([101.0 + 1e-9, 99.0 - 1e-9, 100.0 * 1.01, 100.0 * 0.99])
    np.testing.assert_array_equal(advance(50.0, p), [101.0 + 1e-9, 99.0 - 1e-9, 100.0, 100.0])
    # the band moved with the new answers: 101.5 is inside the first path's new band
    np.testing.assert_array_equal(advance(60.0, np.array([101.5, 99.5, 100.5, 100.5])),
                                  [101.0 + 1e-9, 99.0 - 1e-9, 100.0, 100.0])
    # heartbeat: due at 5 + 100 for the paths never updated, at 50 + 100 for the others
    np.testing.assert_array_equal(advance(104.999, np.array([101.6, 99.4, 100.2, 100.3])),
                                  [101.0 + 1e-9, 99.0 - 1e-9, 100.0, 100.0])
    np.testing.assert_array_equal(advance(105.0, np.array([101.6, 99.4, 100.2, 100.3])),
                                  [101.0 + 1e-9, 99.0 - 1e-9, 100.2, 100.3])
    np.testing.assert_array_equal(advance(150.0, np.array([101.7, 99.3, 100.4, 100.1])),
                                  [101.7, 99.3, 100.2, 100.3])
    # the next heartbeat is counted from the new answer's time (150 + 100), not the old one's
    np.testing.assert_array_equal(advance(205.0, np.array([101.8, 99.2, 100.5, 100.0])),
                                  [101.7, 99.3, 100.5, 100.0])
    np.testing.assert_array_equal(advance(249.0, np.array([101.9, 99.1, 100.6, 100.1])),
                                  [101.7, 99.3, 100.5, 100.0])
    np.testing.assert_array_equal(advance(250.0, np.array([101.9, 99.1, 100.6, 100.1])),
                                  [101.9, 99.1, 100.5, 100.0])


def test_chainlink_stream_scalar_and_leading_axes():
    feed = ChainlinkFeed(0.005, 3600.0)
    advance = feed.stream(3000.0)
    got = [float(advance(t, p)) for t, p in ((60.0, 3010.0), (120.0, 3016.0), (3720.0, 3001.0))]
    assert got == [3000.0, 3016.0, 3001.0]
    t, x = _paths(4, 6, 120)
    x3 = x.reshape(2, 3, 120)
    advance = feed.stream(x3[..., 0], t[0])
    for i in range(1, 120):
        r = advance(t[i], np.ascontiguousarray(x3[..., i]))
    assert r.shape == (2, 3)
    np.testing.assert_array_equal(r.reshape(6), chainlink_loop(t, x, 0.005, 3600.0)[:, -1])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.05), st.floats(1.0, 5000.0),
       st.integers(1, 6), st.integers(1, 300))
def test_chainlink_stream_equals_the_loop_on_random_paths(seed, dev, hb, n_paths, n_steps):
    t, x = _paths(seed, n_paths, n_steps)
    np.testing.assert_array_equal(_streamed(ChainlinkFeed(dev, hb), t, x),
                                  chainlink_loop(t, x, dev, hb))


@pytest.mark.parametrize(
    "oracle", [Spot(), TwapOracle(1800.0), PullOracle(0.001, 60.0, 30.0), ChainlinkFeed(0.01, 900.0)],
    ids=lambda o: type(o).__name__,
)
def test_stream_equals_checked_start_step(oracle):
    t, x = _paths(5, 5, 250)
    state = oracle.start(x[:, 0], t[0])
    want = [x[:, 0]]
    for i in range(1, x.shape[1]):
        state, r = oracle.step(state, t[i], x[:, i])
        want.append(np.asarray(r, dtype=float))
    np.testing.assert_array_equal(_streamed(oracle, t, x), np.array(want).T)


@pytest.mark.parametrize("oracle", [Spot(), ChainlinkFeed(0.01, 900.0), TwapOracle(600.0)],
                         ids=lambda o: type(o).__name__)
def test_stream_checks_its_start(oracle):
    for bad in (-1.0, 0.0, np.nan, [3000.0, np.inf]):
        with pytest.raises(LpperpError, match="prices0"):
            oracle.stream(bad)
    with pytest.raises(LpperpError, match="t0_seconds"):
        oracle.stream(3000.0, np.nan)

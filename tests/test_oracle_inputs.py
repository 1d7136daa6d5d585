"""Oracle input edges (issue 14): the TWAP's mean tick floored exactly (against ``fractions``),
the uint32 / 2**53 time limits at their exact edges, the shared series checks naming the argument
and the first decrease, the Chainlink constructor's stored, normalised fields.

Sources: Uniswap/v3-periphery@0682387198a24c7cd63566a2c58398533860a5d1
contracts/libraries/OracleLibrary.sol ``consult`` (``uint32 secondsAgo``; ``int24(delta /
secondsAgo)`` then ``tick--`` when ``delta < 0`` and inexact: the floor); v3-core ``Oracle.sol``
keeps ``uint32 blockTimestamp`` (read 2026-11-30).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.oracle import ChainlinkFeed, Spot, TwapOracle

U32 = 2**32 - 1


@pytest.mark.parametrize("w", [1, 2, 3, 7, 60, 600, 1800, 86400])
def test_twap_mean_tick_is_the_exact_floor_of_the_accumulator_difference(w):
    """A pool at tick ``c`` for ``w - 1`` s then at tick ``e`` for 1 s: over the window ending
    then, ``delta = c (w - 1) + e``, and ``mean_ticks_of`` must give ``floor(delta / w)`` for every
    ``delta``, in particular exact multiples of ``w`` and one either side (the float quotient's
    correction steps)."""
    twap = TwapOracle(float(w))
    deltas = sorted({*range(-30, 31), *(k * w + d for k in (-800000, -5000, -3, -1, 1, 3, 5000,
                                                            800000) for d in (-1, 0, 1))})
    for delta in deltas:
        c = delta // w
        e = delta - c * (w - 1)
        assert abs(e) <= 887272 and abs(c) <= 887272
        got = twap.mean_ticks_of([0, w - 1, w], [c, e, 0])
        want = math.floor(Fraction(c * (w - 1) + e, w))
        assert got[-1] == want, (delta, w)
        # the oracle's price path gives the same mean tick as the pool's ticks
        if w > 1:
            p = [1.0001 ** (c + 0.5), 1.0001 ** (e + 0.5), 1.0]
            assert twap.mean_ticks([0, w - 1, w], p)[-1] == want


def test_twap_time_limits_at_their_exact_edges():
    twap = TwapOracle(60.0)
    # span exactly 2**32 - 1 s is accepted (uint32 timestamps), one more second is refused
    assert twap.mean_ticks_of([0.0, float(U32)], [5, 5]).tolist() == [5.0, 5.0]
    with pytest.raises(LpperpError, match=r"^times_seconds must span at most 2\*\*32 - 1 s"):
        twap.mean_ticks_of([0.0, float(U32) + 1.0], [5, 5])
    # a short span far from zero: the sum t[-1] + t[0] is not the span
    t0 = 3.0e9
    assert twap.mean_ticks_of([t0, t0 + 60.0], [7, 7]).tolist() == [7.0, 7.0]
    assert twap.report([t0, t0 + 60.0], [1.0, 1.0]).tolist() == [1.0, 1.0]
    # times up to 2**53 s in absolute value are exact and accepted, beyond refused
    edge = 2.0**53
    assert twap.mean_ticks_of([edge - 120.0, edge], [3, 3]).tolist() == [3.0, 3.0]
    assert twap.mean_ticks_of([-edge, -edge + 120.0], [3, 3]).tolist() == [3.0, 3.0]
    for bad in ([edge, edge * (1 + 2**-52)], [-edge * (1 + 2**-52), -edge]):
        with pytest.raises(LpperpError, match=r"^times_seconds must span at most .* within \+-2\*\*53"):
            twap.mean_ticks_of(bad, [3, 3])
    # the streaming form checks the same limits from the stream's first time
    s = twap.start(1.0, edge - 10.0)
    twap.step(s, edge, 1.0)
    with pytest.raises(LpperpError, match=r"2\*\*53"):
        twap.step(s, edge * (1 + 2**-52), 1.0)


@pytest.mark.parametrize("oracle", [Spot(), ChainlinkFeed(0.01, 60.0), TwapOracle(60.0)],
                         ids=lambda o: type(o).__name__)
def test_series_checks_name_the_argument_and_the_first_decrease(oracle):
    for bad in ([0.0, np.nan], [0.0, np.inf], ["a", "b"]):
        with pytest.raises(LpperpError, match=r"^times_seconds must be"):
            oracle.report(bad, [1.0, 1.0])
    # two times: one decrease
    with pytest.raises(LpperpError, match=r"^times_seconds must be non-decreasing, got 5\.0 then "
                                          r"4\.0 at index 1$"):
        oracle.report([5.0, 4.0], [1.0, 1.0])
    # the first decrease is named, not a later one nor a tie
    with pytest.raises(LpperpError, match=r"got 9\.0 then 8\.0 at index 3$"):
        oracle.report([1.0, 1.0, 9.0, 8.0, 8.0, 2.0], [1.0] * 6)
    with pytest.raises(LpperpError, match=r"got 3\.0 then 2\.0 at index 4$"):
        oracle.report([0.0, 1.0, 2.0, 3.0, 2.0, 7.0, 1.0], [1.0] * 7)
    # one time, ties and a 2-d time array
    # (price 1: tick 0, which the TWAP reports exactly)
    np.testing.assert_array_equal(oracle.report([4.0], [1.0]), [1.0])
    np.testing.assert_array_equal(oracle.report([4.0, 4.0], [1.0, 1.0]), [1.0, 1.0])
    with pytest.raises(LpperpError, match=r"^times_seconds must be 1-d with the length of prices' "
                                          r"last axis \(2\), got shape \(1, 2\)"):
        oracle.report([[0.0, 1.0]], [2.0, 2.0])
    with pytest.raises(LpperpError, match=r"^times_seconds must be 1-d .* got shape \(3,\)"):
        oracle.report([0.0, 1.0, 2.0], [[2.0, 2.0], [2.0, 2.0]])
    # integer times and prices are read as floats
    np.testing.assert_array_equal(oracle.report([0, 1], [1, 1]), [1.0, 1.0])
    assert oracle.report(np.array([0, 1]), np.array([1, 1])).dtype == np.float64


def test_chainlink_checks_prices_by_name_with_the_callers_index():
    feed = ChainlinkFeed(0.01, 60.0)
    with pytest.raises(LpperpError, match=r"^prices must be a finite number > 0, got -1\.0 at "
                                          r"index \(1, 0\)"):
        feed.report([0.0, 1.0], [[1.0, 2.0], [-1.0, 2.0]])
    with pytest.raises(LpperpError, match=r"^prices must be a finite number > 0, got nan at "
                                          r"index \(0, 1, 1\)"):
        feed.read([0.0, 1.0], [[[1.0, 2.0], [1.0, np.nan]]])


def test_chainlink_constructor_stores_floats_and_refuses_arrays():
    f = ChainlinkFeed(np.float32(0.5), 7)
    assert type(f.deviation_fraction) is float and f.deviation_fraction == 0.5
    assert type(f.heartbeat_seconds) is float and f.heartbeat_seconds == 7.0
    assert f == ChainlinkFeed(0.5, 7.0)
    assert not hasattr(f, "DEVIATION_FRACTION") and not hasattr(f, "HEARTBEAT_SECONDS")
    with pytest.raises(LpperpError, match=r"^deviation_fraction must be a single number here"):
        ChainlinkFeed([0.01], 60.0)
    with pytest.raises(LpperpError, match=r"^deviation_fraction must be a fraction in \[0, 1\]"):
        ChainlinkFeed(1.5, 60.0)
    with pytest.raises(LpperpError, match=r"^heartbeat_seconds must be a single number here"):
        ChainlinkFeed(0.01, [60.0])
    with pytest.raises(LpperpError, match=r"^heartbeat_seconds must be a finite number > 0"):
        ChainlinkFeed(0.01, 0.0)

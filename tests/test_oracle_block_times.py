"""TWAP on block timestamps (issue 14, found by the oracle mutation run): the pool records
``block.timestamp`` in whole seconds and ``OracleLibrary.consult`` takes ``secondsAgo`` as a uint32,
so a window is a whole number of seconds and times are floored to the second. Before, a constant
price read one tick low on a non-integer time grid (``TwapOracle(600).mean_ticks_of(t, c)`` with
``t = 360.123456789 k`` gave ``c - 1`` at some times for c = -445601) or with a fractional window
(``TwapOracle(600.7)``: -445602 for -445601).

Reference: Uniswap v3-core ``Oracle.sol`` (``transform``: ``tickCumulative + tick * delta`` with
``uint32 delta = blockTimestamp - last.blockTimestamp``) and v3-periphery ``OracleLibrary.consult``
(``secondsAgo`` uint32): a constant tick ``c`` gives ``C(t) - C(t - W) = c W`` exactly, so the mean
tick is ``c`` whatever the times.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp import LpperpError
from lpperp.oracle import TwapOracle

TICKS = [-887272, -445601, -1, 0, 1, 76012, 887271]


@pytest.mark.parametrize("dt", [360.123456789, 0.7, 12.000000001, 3599.9999999])
@pytest.mark.parametrize("window", [1.0, 600.0, 1800.0])
def test_a_constant_tick_reads_itself_on_any_time_grid(dt, window):
    t = np.arange(60) * dt
    for c in TICKS:
        got = TwapOracle(window).mean_ticks_of(t, np.full(t.size, float(c)))
        assert np.unique(got).tolist() == [c]


def test_streaming_floors_to_the_second_as_the_batch_does():
    twap = TwapOracle(600.0)
    t = np.arange(1, 40) * 61.37
    p = 3000.0 * np.exp(np.sin(np.arange(1, 40)) * 0.01)
    s = twap.start(3000.0, 0.0)
    streamed = []
    for ti, pi in zip(t, p, strict=True):
        s, r = twap.step(s, float(ti), pi)
        streamed.append(float(r))
    batch = twap.report(np.concatenate([[0.0], t]), np.concatenate([[3000.0], p]))[1:]
    np.testing.assert_array_equal(streamed, batch)
    # a second within the same block: the time stays that block's
    assert s.t_seconds == np.floor(t[-1])


@pytest.mark.parametrize("window", [600.7, 0.5, 1.5, 1799.999])
def test_a_fractional_window_is_refused_by_name(window):
    with pytest.raises(LpperpError, match=r"^window_seconds must be a whole number of seconds"):
        TwapOracle(window)

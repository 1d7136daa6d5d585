"""Oracle behaviours the mutation run (issue 14) found untested: what the guards report (their
numbers, their messages, their record), where each check's boundary lies, and what the pull
oracle's constructor, guard and streaming form keep. Values are worked by hand here."""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.oracle import (
    DRIFT_GUARD,
    REVERT_LEND_ARBITRUM_GUARD,
    OracleGuard,
    PullOracle,
)


# -- OracleGuard.check: record, boundaries, messages ---------------------------------------------
def test_guard_record_holds_the_checked_numbers():
    g = OracleGuard(max_age_seconds=100.0, max_confidence_fraction=0.02,
                    max_pool_difference_fraction=0.02)
    r = g.check([3000.0, 2000.0], age_seconds=[10.0, 200.0], confidence=[30.0, 10.0],
                pool_price=[3030.0, 2000.0])
    np.testing.assert_array_equal(r.age_seconds, [10.0, 200.0])
    np.testing.assert_allclose(r.confidence_fraction, [0.01, 0.005], rtol=1e-15)
    np.testing.assert_allclose(r.pool_difference_fraction, [0.01, 0.0], rtol=1e-15)
    assert r.allowed.tolist() == [True, False] and r.reason.tolist() == ["", "stale"]
    assert r.message == "stale: oracle age 200 s > max 100 s"


def test_guard_without_a_pool_price_reports_zero_difference_as_floats():
    r = OracleGuard(max_pool_difference_fraction=0.0).check([3000.0, 1.0])
    assert r.pool_difference_fraction.dtype == np.float64
    np.testing.assert_array_equal(r.pool_difference_fraction, [0.0, 0.0])
    assert bool(r) is True


def test_guard_scalar_reading_gives_a_text_reason():
    r = REVERT_LEND_ARBITRUM_GUARD.check(3000.0, pool_price=3090.0, age_seconds=60.0)
    assert isinstance(r.reason, str) and r.reason == "pool_deviation"
    ok = REVERT_LEND_ARBITRUM_GUARD.check(3000.0, pool_price=3030.0, age_seconds=60.0)
    assert isinstance(ok.reason, str) and ok.reason == ""


def test_guard_boundaries_are_strict_as_the_lenders_revert():
    """Revert Lend V3Oracle reverts only when the difference is *greater* than the maximum
    (``if (differenceX10000 > maxDifferenceX10000) revert PriceDifferenceExceeded()``,
    revert-finance/lend src/V3Oracle.sol @ 4f1e127); Drift refuses a confidence *above* its
    maximum. 60 / 3000 rounds to the double nearest 0.02, the same double as the literal."""
    assert 60.0 / 3000.0 == 0.02
    g = OracleGuard(max_confidence_fraction=0.02, max_pool_difference_fraction=0.02)
    at = g.check(3000.0, confidence=60.0, pool_price=3060.0)
    assert bool(at) and at.reason == ""
    above = g.check(3000.0, confidence=60.0 + 1e-9, pool_price=3060.0 + 1e-9)
    assert not above and above.reason == "uncertain"


def test_guard_messages_carry_their_numbers():
    r = DRIFT_GUARD.check(3000.0, confidence=90.0)
    assert r.message == "uncertain: confidence 3.00 % of the price > max 2.00 %"
    r = OracleGuard(max_pool_difference_fraction=0.025).check(2000.0, pool_price=1900.0)
    assert r.message == ("pool_deviation: pool price 1900 is 5.00 % from the oracle 2000 "
                         "(max 2.50 %)")
    assert r.allowed is False or not bool(r)


def test_guard_names_the_bad_argument():
    g = OracleGuard()
    with pytest.raises(LpperpError, match="age_seconds"):
        g.check(3000.0, age_seconds=-1.0)
    with pytest.raises(LpperpError, match="confidence"):
        g.check(3000.0, confidence=-1.0)


def test_guard_result_truth_and_html():
    g = OracleGuard(max_age_seconds=60.0)
    ok = g.check([3000.0, 3000.0, 3000.0], age_seconds=[1.0, 2.0, 3.0])
    assert bool(ok) is True
    html = ok._repr_html_()
    assert "<td>allowed</td><td>yes</td>" in html
    assert "<td>blocked</td><td>0</td>" in html and "<td>why</td><td>-</td>" in html
    bad = g.check([3000.0, 3000.0, 3000.0], age_seconds=[1.0, 61.0, 62.0])
    assert bool(bad) is False
    html = bad._repr_html_()
    assert "<td>allowed</td><td>no</td>" in html and "<td>blocked</td><td>2.00</td>" in html
    assert "<td>why</td><td>stale: oracle age 61 s > max 60 s</td>" in html


def test_check_reading_uses_the_readings_confidence_and_age():
    pull = PullOracle(confidence_fraction=0.03, staleness_seconds=60.0,
                      publish_interval_seconds=30.0)
    reading = pull.read([0.0, 10.0], [3000.0, 3000.0])  # confidence 3 % of the price
    r = pull.guard(max_confidence_fraction=0.02).check_reading(reading)
    assert r.reason.tolist() == ["uncertain", "uncertain"]
    r = pull.guard().check_reading(reading)
    assert bool(r)


# -- PullOracle -----------------------------------------------------------------------------------
def test_pull_guard_keeps_its_confidence_cap_and_name():
    pull = PullOracle(0.001, 60.0, 30.0, name="Pyth ETH/USD")
    g = pull.guard(0.01)
    assert g.max_confidence_fraction == 0.01 and g.max_age_seconds == 60.0
    assert g.name == "Pyth ETH/USD consumer"


def test_pull_constructor_checks_and_converts_the_interval():
    p = PullOracle(publish_interval_seconds=60)
    assert type(p.publish_interval_seconds) is float and p.publish_interval_seconds == 60.0
    with pytest.raises(LpperpError, match="publish_interval_seconds"):
        PullOracle(publish_interval_seconds=-1.0)


def test_pull_start_at_time_zero_and_names_its_arguments():
    pull = PullOracle(publish_interval_seconds=60.0)
    s = pull.start(3000.0)  # the default start time is 0: a step at 0.5 s is not in the past
    s, r = pull.step(s, 0.5, 3100.0)
    assert r == 3000.0
    with pytest.raises(LpperpError, match="prices0"):
        pull.start(-1.0)
    with pytest.raises(LpperpError, match=r"^state must be"):
        pull.step(object(), 1.0, 3000.0)

"""Tests for lpperp.perp: PnL, funding sign, tiered margin continuity, Hyperliquid MMF."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp._validate import LpperpError
from lpperp.perp import HOURS_PER_YEAR, MarginRules, PerpPosition, hourly_to_yearly_rate


def test_pnl_and_notional_vectorized():
    p = PerpPosition(-2.0, 3000.0)
    marks = np.array([2700.0, 3000.0, 3300.0])
    np.testing.assert_allclose(p.pnl(marks), [600.0, 0.0, -600.0])
    np.testing.assert_allclose(p.notional(marks), [5400.0, 6000.0, 6600.0])
    assert p.side == -1 and PerpPosition(0.0, 1.0).side == 0


def test_funding_sign_longs_pay_when_rate_positive():
    long, short = PerpPosition(1.0, 3000.0), PerpPosition(-1.0, 3000.0)
    assert long.funding_payment(3000.0, 1.0, 0.1) == pytest.approx(300.0)
    assert short.funding_payment(3000.0, 1.0, 0.1) == pytest.approx(-300.0)
    assert long.funding_payment(3000.0, 1.0, -0.1) == pytest.approx(-300.0)
    # hourly helper equals the annualised path; Hyperliquid funding = size * oracle * hourly rate
    assert long.funding_payment_hourly(3000.0, 1.0, 1e-4) == pytest.approx(3000.0 * 1e-4)
    assert hourly_to_yearly_rate(1e-4) == pytest.approx(1e-4 * HOURS_PER_YEAR)


def test_bad_input_names_argument():
    with pytest.raises(ValueError, match="entry_price"):
        PerpPosition(1.0, -5.0)
    with pytest.raises(ValueError, match="maintenance_fraction"):
        MarginRules("x", 0.05, 0.10)
    with pytest.raises(ValueError, match="tier_floors"):
        MarginRules("x", 0.05, 0.01, tier_floors=(10.0, 5.0), tier_maintenance=(0.01, 0.02))
    with pytest.raises(ValueError, match="tier_maintenance"):
        MarginRules("x", 0.05, 0.01, tier_floors=(0.0, 5.0))
    with pytest.raises(ValueError, match="non-decreasing"):
        MarginRules("x", 0.05, 0.02, tier_floors=(0.0, 5.0), tier_maintenance=(0.02, 0.01))


def test_hyperliquid_mmf_is_half_initial_at_max_leverage():
    # Hyperliquid docs (trading/liquidations): MMF = 1 / (2 * max_leverage); 50x -> 1 %.
    r = MarginRules.from_max_leverage(50)
    assert r.maintenance_fraction == pytest.approx(0.01)
    assert r.max_leverage == pytest.approx(50.0)


def test_hyperliquid_tier_deduction_recursion():
    # Hyperliquid docs (trading/margin-tiers): deduction_n = deduction_{n-1}
    # + lower_bound_n * (rate_n - rate_{n-1}); two tiers 50x / 25x (MM rates 1 % / 2 %).
    r = MarginRules.from_max_leverage(
        50, tier_floors=(0.0, 150e6), tier_max_leverage=(50.0, 25.0)
    )
    _, rates, ded = r.maintenance_pieces()
    np.testing.assert_allclose(rates, [0.01, 0.02])
    np.testing.assert_allclose(ded, [0.0, 150e6 * 0.01])
    assert r.maintenance_margin(200e6) == pytest.approx(200e6 * 0.02 - 1.5e6)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(1e3, 1e8), min_size=1, max_size=5, unique=True),
    st.lists(st.floats(0.001, 0.2), min_size=6, max_size=6),
)
def test_tiered_margin_continuous_and_convex(floor_vals, rate_vals):
    floors = (0.0, *sorted(floor_vals))
    rates = tuple(sorted(rate_vals)[: len(floors)])
    r = MarginRules("t", rates[0] * 2, rates[0], floors, rates, tuple(2 * x for x in rates))
    for f in floors[1:]:
        eps = f * 1e-12
        lo, hi = r.maintenance_margin(f - eps), r.maintenance_margin(f)
        assert abs(lo - hi) <= 1e-9 * max(1.0, hi)
        assert abs(r.initial_margin(f - eps) - r.initial_margin(f)) <= 1e-9 * max(1.0, hi)
    n = np.linspace(0, floors[-1] * 2, 2001)
    mm = r.maintenance_margin(n)
    assert np.all(np.diff(mm, 2) >= -1e-6 * max(1.0, mm.max()))  # convex
    assert np.all(r.initial_margin(n) >= mm - 1e-9 * max(1.0, mm.max()))


def test_binance_style_cum_amount():
    # Binance USD-M FAQ: cum_n = floor_n * (MMR_n - MMR_{n-1}) + cum_{n-1}.
    floors = (0.0, 10_000.0, 100_000.0, 500_000.0)
    mmr = (0.004, 0.005, 0.01, 0.025)
    r = MarginRules("b", 0.008, 0.004, floors, mmr, (0.008, 0.01, 0.02, 0.05))
    _, _, cum = r.maintenance_pieces()
    np.testing.assert_allclose(cum, [0.0, 10.0, 510.0, 8010.0])


@pytest.mark.parametrize(("size", "entry"), [(-1e308, 3000.0), (2.0**1000, 1e100), (-6.0, 1e308)])
def test_an_entry_notional_that_overflows_is_named(size, entry):
    """PerpPosition(-1e308, 3000) was accepted; its account then failed inside the maintenance
    with 'notional must be finite, got inf', naming an argument the user never gave (issue 13)."""
    with pytest.raises(LpperpError, match="size \\* entry_price overflows"):
        PerpPosition(size, entry)


@pytest.mark.parametrize(("kw", "match"), [
    ({"name": np.array([])}, "name must be a string"),
    ({"name": 3.0}, "name must be a string"),
    ({"tier_floors": 0.0}, "tier_floors must be a sequence"),
])
def test_from_max_leverage_names_bad_arguments(kw, match):
    """name=np.array([]) raised numpy's 'truth value of an empty array is ambiguous' (found by
    tests/test_fuzz.py at 600 examples)."""
    with pytest.raises(LpperpError, match=match):
        MarginRules.from_max_leverage(20.0, **kw)

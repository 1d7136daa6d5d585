"""lpperp.perp, what the signatures and docstrings promise beyond the formulas in test_perp.py.

- Margin schedules against an independent form: a tiered requirement is a progressive charge,
  ``MM(N) = sum_k rate_k * (part of N inside tier k)`` (a direct loop over the tiers), which is what
  Hyperliquid's and Binance's ``N * rate_k - deduction_k`` with ``deduction_n = deduction_{n-1} +
  floor_n (rate_n - rate_{n-1})`` evaluates to (Hyperliquid docs trading/margin-tiers; Binance USD-M
  FAQ "How to calculate liquidation price"; /work/shared/notes/venue-rules.md). The tier index is
  counted directly (``floor_k <= N < floor_{k+1}``).
- Hyperliquid's ``from_max_leverage`` (IMF = 1 / max leverage, MMF = half of it) on each tier.
- Bad input: every check raises LpperpError naming the argument (CONTRIBUTING: "bad input raises
  LpperpError naming the argument, the value and what is allowed"), with the boundary values of
  each documented interval on the right side.
- Frozen records: fields read back normalised (floats, tuples of floats, read-only arrays), so
  two rules built from equal numbers compare and hash equal whatever container held them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lpperp._validate import LpperpError
from lpperp.perp import HOURS_PER_YEAR, MarginRules, PerpPosition, hourly_to_yearly_rate


def progressive_margin(notional: float, floors, rates) -> float:
    """Direct loop: each slice of the notional pays its own tier's rate (no deductions)."""
    total = 0.0
    for k, lo in enumerate(floors):
        hi = floors[k + 1] if k + 1 < len(floors) else np.inf
        if notional > lo:
            total += rates[k] * (min(notional, hi) - lo)
    return total


def tier_by_count(notional: float, floors) -> int:
    """Direct count: the last floor at or below the notional."""
    return sum(1 for f in floors if f <= notional) - 1


# -- schedules ---------------------------------------------------------------------------------
BINANCE_FLOORS = (0.0, 10_000.0, 100_000.0, 500_000.0)
BINANCE_MMR = (0.004, 0.005, 0.01, 0.025)
BINANCE_IMR = (0.008, 0.01, 0.02, 0.05)


def test_tiered_margins_are_the_progressive_sum_over_tiers():
    r = MarginRules("b", 0.008, 0.004, BINANCE_FLOORS, BINANCE_MMR, BINANCE_IMR)
    notionals = [0.0, 5_000.0, 10_000.0, 10_000.5, 99_999.0, 100_000.0, 250_000.0, 500_000.0, 2e6]
    mm = r.maintenance_margin(np.array(notionals))
    im = r.initial_margin(np.array(notionals))
    for n, got_mm, got_im in zip(notionals, mm, im, strict=True):
        assert got_mm == pytest.approx(progressive_margin(n, BINANCE_FLOORS, BINANCE_MMR), rel=1e-12,
                                       abs=1e-9)
        assert got_im == pytest.approx(progressive_margin(n, BINANCE_FLOORS, BINANCE_IMR), rel=1e-12,
                                       abs=1e-9)
        assert r.maintenance_margin(n) == pytest.approx(got_mm, rel=1e-15, abs=1e-12)


@settings(deadline=None)
@given(
    st.lists(st.floats(1.0, 1e7), min_size=1, max_size=4, unique=True),
    st.lists(st.floats(0.0, 0.3), min_size=5, max_size=5),
    st.floats(0.0, 3e7),
)
@example([10_000.0, 100_000.0, 500_000.0], [0.004, 0.005, 0.01, 0.025, 0.03], 100_000.0)
@example([10_000.0], [0.01, 0.02, 0.0, 0.0, 0.0], 9_999.999)
@example([10_000.0], [0.01, 0.02, 0.0, 0.0, 0.0], 0.0)
def test_margin_tier_and_rate_match_a_direct_loop(floor_vals, rate_vals, notional):
    floors = (0.0, *sorted(floor_vals))
    rates = tuple(sorted(rate_vals)[: len(floors)])
    r = MarginRules("t", min(1.0, 2 * rates[0]) or 0.5, rates[0], floors, rates)
    k = tier_by_count(notional, floors)
    assert r.tier_index(notional) == k
    assert r.maintenance_rate(notional) == rates[k]
    want = progressive_margin(notional, floors, rates)
    assert r.maintenance_margin(notional) == pytest.approx(want, rel=1e-9, abs=1e-6)
    assert r.initial_margin(notional) >= r.maintenance_margin(notional) - 1e-9 * max(1.0, want)


def test_tier_index_and_rate_at_the_floors_scalars_and_arrays():
    r = MarginRules("t", 0.02, 0.01, (0.0, 1e5, 1e6), (0.01, 0.02, 0.05))
    n = [0.0, 99_999.99, 1e5, 5e5, 1e6, 1e9]
    assert r.tier_index(n).tolist() == [tier_by_count(x, r.tier_floors) for x in n] == [0, 0, 1, 1,
                                                                                       2, 2]
    assert r.maintenance_rate(n).tolist() == [0.01, 0.01, 0.02, 0.02, 0.05, 0.05]
    # one number in, a Python number out (documented return types: int / float)
    assert type(r.tier_index(1e5)) is int and r.tier_index(1e5) == 1
    assert type(r.maintenance_rate(1e6)) is float and r.maintenance_rate(1e6) == 0.05
    assert type(r.maintenance_margin(2e5)) is float and type(r.initial_margin(2e5)) is float
    assert r.tier_index(np.array([1e5])).tolist() == [1]
    with pytest.raises(LpperpError, match=r"^notional must be a finite number >= 0"):
        r.tier_index(-1.0)
    with pytest.raises(LpperpError, match=r"^notional must be a finite number >= 0"):
        r.maintenance_rate(np.nan)


def test_initial_rates_keep_the_first_tiers_ratio_capped_at_100_percent():
    """Without tier_initial: initial = maintenance * (initial_fraction / maintenance_fraction) on
    every tier, at most 1 (a 1x position); with maintenance 0 the initial rate is flat."""
    r = MarginRules("t", 0.02, 0.01, (0.0, 1e5), (0.01, 0.02))
    assert r.initial_pieces()[1].tolist() == [0.02, 0.04]
    assert r.initial_margin(2e5) == pytest.approx(progressive_margin(2e5, (0.0, 1e5), (0.02, 0.04)))
    capped = MarginRules("c", 0.5, 0.25, (0.0, 1e5), (0.25, 0.75))
    assert capped.initial_pieces()[1].tolist() == [0.5, 1.0]
    n = np.linspace(0.0, 1e6, 11)
    assert (capped.initial_margin(n) <= n + 1e-9).all()
    zero_mm = MarginRules("z", 0.1, 0.0)
    assert zero_mm.initial_margin(1000.0) == pytest.approx(100.0)
    assert zero_mm.maintenance_margin(1000.0) == 0.0
    zero_tiers = MarginRules("z2", 0.1, 0.0, (0.0, 1e5), (0.0, 0.0))
    assert zero_tiers.initial_pieces()[1].tolist() == [0.1, 0.1]


def test_maintenance_may_equal_initial():
    r = MarginRules("eq", 0.05, 0.05)
    assert r.maintenance_margin(1e4) == r.initial_margin(1e4) == pytest.approx(500.0)
    t = MarginRules("eq", 0.02, 0.01, (0.0, 1e5), (0.01, 0.03), (0.02, 0.03))
    assert t.maintenance_rate(2e5) == 0.03


def test_per_tier_maintenance_above_initial_is_refused_with_a_rounding_tolerance():
    with pytest.raises(LpperpError, match="every tier's maintenance rate must be <= its initial"):
        MarginRules("x", 0.02, 0.01, (0.0, 1e5), (0.01, 0.05), (0.02, 0.03))
    with pytest.raises(LpperpError, match="every tier's maintenance rate must be <= its initial"):
        MarginRules("x", 0.02, 0.01, (0.0, 1e5), (0.01, 0.03 * (1 + 1e-9)), (0.02, 0.03))
    # a maintenance rate that differs from its initial rate by rounding only (< 1e-12 relative)
    for mm2 in (0.03 * (1 + 5e-13), 0.03 * (1 + 1e-12)):
        r = MarginRules("x", 0.02, 0.01, (0.0, 1e5), (0.01, mm2), (0.02, 0.03))
        assert r.maintenance_rate(2e5) == mm2


@pytest.mark.parametrize("which", ["tier_maintenance", "tier_initial"])
def test_first_tier_rate_must_equal_the_flat_fraction_to_1e_12(which):
    base = {"tier_maintenance": (0.01, 0.02), "tier_initial": (0.02, 0.04)}
    first = 0.01 if which == "tier_maintenance" else 0.02
    bad = dict(base)
    bad[which] = (first + 5e-9, base[which][1])  # rel 2.5e-7 .. 5e-7: not a rounding difference
    with pytest.raises(LpperpError, match="must equal"):
        MarginRules("x", 0.02, 0.01, (0.0, 1e5), **bad)
    ok = dict(base)
    ok[which] = (first * (1 + 1e-13), base[which][1])
    MarginRules("x", 0.02, 0.01, (0.0, 1e5), **ok)


@pytest.mark.parametrize(("floors", "ok"), [
    ((0.0, 0.5), True),  # floors need only increase, not by a whole unit
    ((0.0, 5.0, 5.0), False),  # equal floors
    ((0.0, 5.0, 4.0), False),
    ((10.0, 20.0), False),  # must start at 0
    ((), False),
    ([[0.0, 1.0], [2.0, 3.0]], False),  # not 1-d
])
def test_tier_floors_start_at_zero_and_increase_strictly(floors, ok):
    size = int(np.size(floors)) or 1
    rates = tuple(0.01 * (i + 1) for i in range(size))
    kw = {"tier_floors": floors, "tier_maintenance": rates if size > 1 else None}
    if ok:
        r = MarginRules("x", 0.02, 0.01, **kw)
        assert r.tier_index(0.6) == 1
    else:
        with pytest.raises(LpperpError, match=r"^tier_floors must start at 0"):
            MarginRules("x", 0.02, 0.01, **kw)


# -- Hyperliquid constructor ---------------------------------------------------------------------
def test_from_max_leverage_tiers_and_passthrough():
    # Hyperliquid docs (trading/margin-tiers): IMF = 1 / max leverage, MM rate = IMF / 2 per tier
    r = MarginRules.from_max_leverage(
        25, tier_floors=(0.0, 5e6), tier_max_leverage=(25.0, 15.0),
        liquidation_fee_fraction=0.01, source="https://hyperliquid.gitbook.io (margin tiers)",
    )
    assert r.initial_pieces()[1].tolist() == pytest.approx([1 / 25, 1 / 15], rel=1e-15)
    assert r.maintenance_pieces()[1].tolist() == pytest.approx([1 / 50, 1 / 30], rel=1e-15)
    assert r.tier_initial == pytest.approx((1 / 25, 1 / 15), rel=1e-15)
    assert r.liquidation_fee_fraction == 0.01 and r.liquidation_fee(1e4) == pytest.approx(100.0)
    assert r.source == "https://hyperliquid.gitbook.io (margin tiers)"
    assert "25x" in r.name
    named = MarginRules.from_max_leverage(25, name="HL ETH")
    assert named.name == "HL ETH"
    # defaults: no fee (Hyperliquid book liquidations charge none), no source
    d = MarginRules.from_max_leverage(50)
    assert d.liquidation_fee_fraction == 0.0 and d.liquidation_fee(1e6) == 0.0
    assert d.source == "" and d.tier_initial is None and d.tier_maintenance is None
    one = MarginRules.from_max_leverage(1)  # 1x is a leverage: IMF 100 %, MMF 50 %
    assert (one.initial_fraction, one.maintenance_fraction) == (1.0, 0.5)
    with pytest.raises(LpperpError, match=r"^max_leverage must be >= 1"):
        MarginRules.from_max_leverage(0.5)
    with pytest.raises(LpperpError, match=r"^tier_initial must be a fraction"):  # IMF 200 %
        MarginRules.from_max_leverage(2, tier_floors=(0.0, 1e5), tier_max_leverage=(2.0, 0.5))


# -- bad input names the argument ----------------------------------------------------------------
@pytest.mark.parametrize(("make", "name"), [
    (lambda: MarginRules("x", 0.0, 0.0), r"initial_fraction must be a fraction in \(0, 1\]"),
    (lambda: MarginRules("x", 1.5, 0.01), r"initial_fraction must be a fraction in \(0, 1\]"),
    (lambda: MarginRules("x", np.array([0.1, 0.2]), 0.01), "initial_fraction must be a single"),
    (lambda: MarginRules("x", 0.1, -0.01), r"maintenance_fraction must be a fraction in \[0, 1\]"),
    (lambda: MarginRules("x", 0.1, np.array([0.01, 0.02])), "maintenance_fraction must be a single"),
    (lambda: MarginRules("x", 0.1, 0.05, tier_floors=(0.0, -1.0), tier_maintenance=(0.05, 0.1)),
     "tier_floors must be a finite number >= 0"),
    (lambda: MarginRules("x", 0.1, 0.05, (0.0, 1.0), (0.05, 1.5)),
     r"tier_maintenance must be a fraction in \[0, 1\]"),
    (lambda: MarginRules("x", 0.1, 0.05, (0.0, 1.0), (0.05, 0.1), (0.1, 1.5)),
     r"tier_initial must be a fraction in \[0, 1\]"),
    (lambda: MarginRules("x", 0.1, 0.05, (0.0, 1.0), (0.05, 0.1), (0.1,)),
     r"tier_initial must have one rate per tier floor"),
    (lambda: MarginRules("x", 0.1, 0.05, liquidation_fee_fraction=1.5),
     r"liquidation_fee_fraction must be a fraction in \[0, 1\]"),
    (lambda: MarginRules("x", 0.1, 0.05, liquidation_fee_fraction=np.array([0.0, 0.01])),
     "liquidation_fee_fraction must be a single"),
    (lambda: MarginRules("x", 0.1, 0.05).maintenance_margin(-1.0), "notional must be"),
    (lambda: MarginRules("x", 0.1, 0.05).initial_margin(np.inf), "notional must be"),
    (lambda: MarginRules("x", 0.1, 0.05).liquidation_fee(-1.0), "notional must be"),
    (lambda: MarginRules.from_max_leverage(-5), "max_leverage must be a finite number > 0"),
    (lambda: MarginRules.from_max_leverage(np.array([10.0, 20.0])), "max_leverage must be a single"),
    (lambda: MarginRules.from_max_leverage(20, tier_floors=(0.0, 1e5),
                                           tier_max_leverage=(20.0, -1.0)),
     "tier_max_leverage must be a finite number > 0"),
    (lambda: PerpPosition(np.array([1.0, 2.0]), 3000.0), "size must be a single number"),
    (lambda: PerpPosition(np.nan, 3000.0), "size must be finite"),
    (lambda: PerpPosition(1.0, np.array([3000.0, 3100.0])), "entry_price must be a single number"),
    (lambda: PerpPosition(1.0, 0.0), "entry_price must be a finite number > 0"),
    (lambda: PerpPosition(1.0, 3000.0, market=5), "market must be a non-empty string"),
    (lambda: PerpPosition(1.0, 3000.0, market=""), "market must be a non-empty string"),
    (lambda: PerpPosition(1.0, 3000.0).pnl(0.0), "mark must be a finite number > 0"),
    (lambda: PerpPosition(1.0, 3000.0).notional(-1.0), "mark must be a finite number > 0"),
    (lambda: PerpPosition(1.0, 3000.0).funding_payment(0.0, 1.0, 0.1), "mark must be"),
    (lambda: PerpPosition(1.0, 3000.0).funding_payment(3000.0, -1.0, 0.1), "tau_years must be"),
    (lambda: PerpPosition(1.0, 3000.0).funding_payment(3000.0, 1.0, np.nan),
     "funding_rate_per_year must be finite"),
    (lambda: PerpPosition(1.0, 3000.0).funding_payment_hourly(3000.0, -2.0, 1e-5),
     "hours must be a finite number >= 0"),
    (lambda: PerpPosition(1.0, 3000.0).funding_payment_hourly(3000.0, 2.0, np.inf),
     "funding_rate_per_hour must be finite"),
    (lambda: hourly_to_yearly_rate("0.01"), "funding_rate_per_hour must be a number"),
])
def test_bad_input_raises_naming_the_argument(make, name):
    with pytest.raises(LpperpError, match="^" + name):
        make()


# -- records ---------------------------------------------------------------------------------------
def test_rules_fields_read_back_normalised_and_compare_by_value():
    plain = MarginRules("t", 0.02, 0.01, (0.0, 1e5), (0.01, 0.02), (0.02, 0.04),
                        liquidation_fee_fraction=0.005)
    loose = MarginRules("t", np.array(0.02), np.array(0.01), [0, 100_000], [0.01, 0.02],
                        np.array([0.02, 0.04]), liquidation_fee_fraction=np.array(0.005))
    assert loose.tier_floors == (0.0, 1e5) and loose.tier_maintenance == (0.01, 0.02)
    assert loose.tier_initial == (0.02, 0.04)
    for f in ("initial_fraction", "maintenance_fraction", "liquidation_fee_fraction"):
        assert type(getattr(loose, f)) is float, f
    assert loose == plain and hash(loose) == hash(plain)
    flat = MarginRules("f", 0.1, 0.05)
    assert flat.tier_maintenance is None and flat.tier_initial is None
    assert flat.tier_floors == (0.0,) and not flat.is_tiered and plain.is_tiered
    for arr in (*plain.maintenance_pieces(), *plain.initial_pieces()):
        with pytest.raises(ValueError):
            arr[0] = 1.0


def test_positions_read_back_floats_and_their_entry_notional():
    p = PerpPosition(np.array(-2), 3000)
    assert type(p.size) is float and type(p.entry_price) is float
    assert p == PerpPosition(-2.0, 3000.0) and hash(p) == hash(PerpPosition(-2.0, 3000.0))
    assert p.entry_notional() == 6000.0
    assert PerpPosition(0.5, 1999.0).entry_notional() == pytest.approx(999.5)


def test_funding_payment_is_size_times_mark_times_rate_times_time():
    # Hyperliquid docs (trading/funding): payment = position size * oracle price * funding rate,
    # applied hourly; a year of the baseline 0.00125 %/h on 2 ETH at 3000 is 2 * 3000 * 0.1095
    p = PerpPosition(2.0, 2500.0)
    hours = np.array([1.0, 24.0, HOURS_PER_YEAR])
    got = p.funding_payment_hourly(3000.0, hours, 0.0000125)
    np.testing.assert_allclose(got, 2.0 * 3000.0 * 0.0000125 * hours, rtol=1e-12)
    assert hourly_to_yearly_rate(0.0000125) == pytest.approx(0.1095, rel=1e-12)
    marks = np.array([2000.0, 4000.0])
    np.testing.assert_allclose(PerpPosition(-1.0, 3000.0).funding_payment(marks, 0.25, 0.2),
                               -marks * 0.2 * 0.25, rtol=1e-15)

"""Collateral: the cases mutation testing (issue 14) found unchecked - governance schedules (dates
at UTC midnight whatever the machine's zone, labels, step validation), GMX's open-interest factor
(shapes, overflow), and every argument named when it is bad (the message starts with its name).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from lpperp import LpperpError
from lpperp.collateral import (
    FactorSchedule,
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
    gmx_min_collateral_factor,
    gmx_min_collateral_factor_x30,
)
from lpperp.position import LPPosition

P0 = 3000.0
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)
A, B = StaticFactor(0.8), StaticFactor(0.7)

# --- governance schedules -------------------------------------------------------------------------
def test_schedule_stores_its_steps_as_float_tuples():
    s = FactorSchedule([1, 2], [A, B])
    assert s.effective_seconds == (1.0, 2.0) and isinstance(s.effective_seconds, tuple)
    assert s.models == (A, B) and isinstance(s.models, tuple)
    assert s.model_at(1.5) is A and s.model_at(2.0) is B

@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tokyo"])
def test_from_dates_is_utc_midnight_whatever_the_machine_zone(tz, monkeypatch):
    """2024-01-01T00:00Z is 1,704,067,200 s after the epoch (date -u -d 2024-01-01 +%s)."""
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        s = FactorSchedule.from_dates([("2024-01-01", A), ("2024-06-01", B)])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert s.effective_seconds == (1_704_067_200.0, 1_704_067_200.0 + 152 * 86400)
    assert s.labels == ("2024-01-01", "2024-06-01")

@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: FactorSchedule((1.0, 2.0), (A,)),
         r"^effective_seconds and models must be non-empty and of one length"),
        (lambda: FactorSchedule((), ()), r"^effective_seconds and models must be non-empty"),
        (lambda: FactorSchedule((1.0, 1.0), (A, B)), r"^effective_seconds must be increasing"),
        (lambda: FactorSchedule((float("nan"),), (A,)), r"^effective_seconds must"),
        (lambda: FactorSchedule.from_dates(5), r"^steps must be a list"),
        (lambda: FactorSchedule.from_dates({"2024-01-01": A}), r"^steps must be a list"),
        (lambda: FactorSchedule.from_dates(["ab"]), r"^steps\[0\] must be a \(YYYY-MM-DD, model\)"),
        (lambda: FactorSchedule((1.0,), (A,)).index_at("x"), r"^times_seconds must"),
        (lambda: FactorSchedule((1.0,), (A,)).model_at([1.0, 2.0]),
         r"^t_seconds must be a single number"),
        (lambda: FactorSchedule((1.0,), (A,)).factor_path(LP, [1.0], [-3000.0]), r"^prices must"),
    ],
)
def test_schedule_names_each_bad_argument(call, match):
    with pytest.raises(LpperpError, match=match):
        call()

# --- GMX open-interest factor ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1.0, 0.01, 6e-11), r"^open_interest_usd must"),
        ((1e8, 1.5, 6e-11), r"^min_collateral_factor must"),
        ((1e8, 0.01, -6e-11), r"^oi_multiplier must"),
        (([1e8, 1e9], 0.01, [6e-11, 6e-11, 6e-11]), r"must broadcast to one shape"),
    ],
)
def test_gmx_factor_names_each_bad_argument(args, match):
    with pytest.raises(LpperpError, match=match):
        gmx_min_collateral_factor(*args)

def test_gmx_factor_overflow_is_refused_without_a_float_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LpperpError, match="overflows a float"):
            gmx_min_collateral_factor(1e308, 0.01, 1e10)

@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, 10**28, 6 * 10**24), r"^open_interest_usd_x30 must"),
        ((10**30, -1, 6 * 10**24), r"^min_collateral_factor_x30 must"),
        ((10**30, 10**28, -1), r"^oi_multiplier_x30 must"),
    ],
)
def test_gmx_integer_factor_names_each_bad_argument(args, match):
    with pytest.raises(LpperpError, match=match):
        gmx_min_collateral_factor_x30(*args)

def test_gmx_integer_factor_without_open_interest_scaling_is_the_minimum():
    """A zero multiplier (a market without OI scaling) leaves minCollateralFactor."""
    assert gmx_min_collateral_factor_x30(25_000 * 10**30, 10**28, 0) == 10**28
    assert gmx_min_collateral_factor_x30(0, 0, 6 * 10**24) == 0

# --- models: each bad argument named --------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: TokenMinFactor(1.5, 0.8), r"^base_factor must"),
        (lambda: TokenMinFactor(0.8, -0.1), r"^quote_factor must"),
        (lambda: TokenMinFactor(0.8, 0.9, 2.0), r"^lp_risk_factor must"),
        (lambda: FunctionFactor(lambda p: 0.5 + 0 * p).collateral_value(LP, -1.0), r"^price must"),
    ],
)
def test_models_name_each_bad_argument(call, match):
    with pytest.raises(LpperpError, match=match):
        call()

@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: StaticFactor(1.5), r"^cf must"),
        (lambda: StaticFactor([0.8, 0.9]), r"^cf must be a single number"),
        (lambda: VolatilityScaledFactor(-0.5), r"^sigma_per_year must"),
        (lambda: VolatilityScaledFactor([0.5, 0.6]), r"^sigma_per_year must be a single number"),
        (lambda: VolatilityScaledFactor(0.5, -1.0), r"^horizon_years must"),
        (lambda: VolatilityScaledFactor(0.5, [1e-3, 2e-3]), r"^horizon_years must be a single"),
        (lambda: VolatilityScaledFactor(0.5, confidence=1.5), r"^confidence must"),
        (lambda: VolatilityScaledFactor(0.5, confidence=1.0), r"^confidence must"),
        (lambda: VolatilityScaledFactor(0.5, confidence=0.0), r"^confidence must"),
        (lambda: VolatilityScaledFactor(0.5, confidence=[0.9, 0.99]), r"^confidence must be a single"),
        (lambda: FunctionFactor(lambda p: 0.5 + 0 * p).factor_at(-1.0), r"^price must"),
        (lambda: VolatilityScaledFactor(0.5, base_factor=1.5), r"^base_factor must"),
        (lambda: VolatilityScaledFactor(0.5, quote_factor=-0.5), r"^quote_factor must"),
        (lambda: RangeAwareFactor(-1.0), r"^shock_pct must"),
        (lambda: RangeAwareFactor([1.0, 2.0]), r"^shock_pct must be a single number"),
        (lambda: RangeAwareFactor(10.0, 1.5), r"^base_factor must"),
        (lambda: RangeAwareFactor(10.0, 0.5, 2.0), r"^quote_factor must"),
        (lambda: StaticFactor(0.8).collateral_value(LP, -1.0), r"^price must"),
        (lambda: StaticFactor(0.8).factor(LP, -1.0), r"^price must"),
    ],
)
def test_constructors_name_each_bad_argument(call, match):
    with pytest.raises(LpperpError, match=match):
        call()

def test_constructors_store_plain_floats():
    """Fields hold the validated float, not the object given (an int, a numpy scalar, a 0-d array)."""
    s = StaticFactor(np.array(1))
    assert type(s.cf) is float and s.cf == 1.0
    v = VolatilityScaledFactor(np.int64(1), np.array(0.01), np.array(0.99))
    assert type(v.sigma_per_year) is float and type(v.horizon_years) is float
    assert type(v.confidence) is float and v.confidence == 0.99
    r = RangeAwareFactor(np.int64(10))
    assert type(r.shock_pct) is float and r.shock_weights(LP) == (0.9, 1.0, 1.0)
    assert s.shock_weights(LP) == (1.0, 1.0, 1.0)

def test_a_confidence_of_one_half_covers_no_shock():
    """Phi^-1(0.5) = 0: the median move is no move (confidence in [0.5, 1), as documented)."""
    m = VolatilityScaledFactor(0.8, 1 / 365, confidence=0.5)
    assert m.shock_pct == 0.0 and m.factor(LP, P0) == 1.0

def test_a_function_factor_returning_one_number_gives_one_factor_per_price():
    """A constant (0-d) or length-1 factor broadcasts to the prices' shape."""
    for f in (lambda p: 0.5, lambda p: np.array([0.5])):
        got = FunctionFactor(f).factor_at([1000.0, 2000.0, 3000.0])
        assert isinstance(got, np.ndarray) and got.tolist() == [0.5, 0.5, 0.5]

@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0.8, [1 / 365, 2 / 365], 0.99), r"^horizon_years must be a single number"),
        ((0.8, 1 / 365, 1.0), r"^confidence must"),
        ((0.8, 1 / 365, [0.9, 0.99]), r"^confidence must be a single number"),
    ],
)
def test_shock_multiplier_names_each_bad_argument(args, match):
    with pytest.raises(LpperpError, match=match):
        VolatilityScaledFactor.shock_multiplier(*args)

def test_shock_multiplier_edges():
    """``k = exp(-Phi^-1(c) sigma sqrt(h))``: 1 at the median (c = 0.5); 0 - a total loss, no
    float warning - when ``sigma sqrt(h)`` is past a float."""
    assert VolatilityScaledFactor.shock_multiplier(0.8, 1 / 365, 0.5) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert VolatilityScaledFactor.shock_multiplier(1e308, 1.0, 0.99) == 0.0



@pytest.mark.parametrize("model", [StaticFactor(0.8), RangeAwareFactor(15.0, 0.7, 0.9),
                                   VolatilityScaledFactor(0.8, base_factor=0.7)])
def test_factor_of_an_empty_lp_is_zero_and_of_a_tiny_one_is_its_ratio(model):
    """``factor = collateral / value`` where the LP holds something, 0 where it is empty (no NaN);
    a position worth less than one quote unit still gets its ratio (the direct division)."""
    prices = np.geomspace(1000.0, 9000.0, 40)
    empty = LPPosition(2400.0, 3600.0, 0.0)
    np.full(40, 7.0).sum()  # leave a non-zero buffer of that size for numpy to reuse
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.factor(empty, prices)
    assert np.array_equal(got, np.zeros(40))
    tiny = LPPosition.from_deposit(0.5, P0, width_pct=20)
    want = np.asarray(model.collateral_value(tiny, prices)) / tiny.value(prices)
    assert np.all(tiny.value(prices) < 1.0)
    np.testing.assert_allclose(model.factor(tiny, prices), want, rtol=1e-12)

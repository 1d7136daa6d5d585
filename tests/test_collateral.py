"""Collateral models: closed form vs LPPosition, range-awareness, EWMA reference twin, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp import LpperpError
from lpperp.collateral import (
    REVERT_LEND_ARBITRUM_WETH_USDC,
    RISKMETRICS_LAMBDA,
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
    ewma_volatility,
    weighted_value,
)
from lpperp.position import LPPosition

P0 = 3000.0
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)
PRICES = np.geomspace(500.0, 20_000.0, 2001)


def test_weighted_value_is_lp_value_and_amounts():
    np.testing.assert_allclose(weighted_value(PRICES, 2400.0, 3600.0, LP.liquidity),
                               LP.value(PRICES), rtol=1e-12)
    base, quote = LP.amounts(PRICES)
    np.testing.assert_allclose(
        weighted_value(PRICES, 2400.0, 3600.0, LP.liquidity, 1.0, 0.7, 0.9),
        0.7 * base * PRICES + 0.9 * quote, rtol=1e-12,
    )
    # shocked: the amounts at kP valued at kP
    b_k, q_k = LP.amounts(0.9 * PRICES)
    np.testing.assert_allclose(
        weighted_value(PRICES, 2400.0, 3600.0, LP.liquidity, 0.9, 0.7, 0.9),
        0.7 * b_k * 0.9 * PRICES + 0.9 * q_k, rtol=1e-12,
    )


def test_static_and_token_min():
    np.testing.assert_allclose(StaticFactor(0.8).factor(LP, PRICES), 0.8)
    np.testing.assert_allclose(StaticFactor(0.8).collateral_value(LP, PRICES), 0.8 * LP.value(PRICES))
    # Revert Lend docs (Arbitrum): WETH 77.5 %, USDC 85 % -> min = 77.5 % for any range
    for lp in (LP, LPPosition.from_deposit(5_000.0, P0, width_pct=1)):
        np.testing.assert_allclose(REVERT_LEND_ARBITRUM_WETH_USDC.factor(lp, PRICES), 0.775)
    # Arcadia: riskFactor_LP * min(CF0, CF1)
    assert TokenMinFactor(0.8, 0.9, lp_risk_factor=0.5).cf == pytest.approx(0.4)


def test_range_aware_out_of_range_is_the_single_asset():
    m = RangeAwareFactor(shock_pct=10.0, base_factor=0.8, quote_factor=0.95)
    below = LP.price_lower / 0.9 * 0.5  # shocked price still below the range
    above = LP.price_upper / 0.9 * 2.0
    assert m.factor(LP, below) == pytest.approx(0.8 * 0.9, rel=1e-12)  # all base, shocked
    assert m.factor(LP, above) == pytest.approx(0.95, rel=1e-12)  # all quote


def test_range_aware_continuous_in_price():
    m = RangeAwareFactor(shock_pct=15.0, base_factor=0.8, quote_factor=0.95)
    f = m.factor(LP, PRICES)
    assert np.max(np.abs(np.diff(f))) < 1e-2
    for edge in (LP.price_lower / 0.85, LP.price_upper / 0.85):
        assert m.factor(LP, edge * (1 - 1e-12)) == pytest.approx(m.factor(LP, edge * (1 + 1e-12)),
                                                                 abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.5, 40.0), st.floats(0.5, 40.0), st.floats(1.0, 50.0))
def test_narrower_range_never_gets_a_higher_factor(w1, w2, shock):
    narrow, wide = sorted((w1, w2))
    m = RangeAwareFactor(shock_pct=shock)
    lp_n = LPPosition.from_deposit(1_000.0, P0, width_pct=narrow)
    lp_w = LPPosition.from_deposit(1_000.0, P0, width_pct=wide)
    assert m.factor(lp_n, P0) <= m.factor(lp_w, P0) + 1e-12


def _ewma_loop(prices, dt, lam, warmup=20):
    """Slow reference twin of ewma_volatility: the RiskMetrics recursion written out."""
    r2 = np.diff(np.log(prices)) ** 2
    var = float(np.mean(r2[:warmup]))
    out = [var]
    for x in r2:
        var = lam * var + (1 - lam) * x
        out.append(var)
    return np.sqrt(np.array(out) / dt)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.5, 0.999))
def test_ewma_matches_the_recursion(seed, lam):
    rng = np.random.default_rng(seed)
    prices = 3000.0 * np.exp(np.cumsum(rng.normal(0, 0.03, 300)))
    np.testing.assert_allclose(ewma_volatility(prices, 1 / 365, lam),
                               _ewma_loop(prices, 1 / 365, lam), rtol=1e-10)


def test_ewma_constant_moves_gives_that_volatility():
    prices = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.02, -0.02], 100)]))
    sigma = ewma_volatility(prices, 1 / 365, RISKMETRICS_LAMBDA)
    np.testing.assert_allclose(sigma, 0.02 * np.sqrt(365), rtol=1e-12)


def test_volatility_scaled_covers_the_quantile_loss():
    m = VolatilityScaledFactor(sigma_per_year=0.8, horizon_years=1 / 365, confidence=0.99)
    k = np.exp(-2.3263478740408408 * 0.8 * np.sqrt(1 / 365))
    assert m.shock_pct == pytest.approx(100 * (1 - k), rel=1e-12)
    # factor = V(kP) / V(P): the LP after the quantile move is worth the collateral value
    np.testing.assert_allclose(m.factor(LP, PRICES), LP.value(k * PRICES) / LP.value(PRICES),
                               rtol=1e-12)
    # more volatility, longer horizon or higher confidence: never a higher factor
    f = m.factor(LP, P0)
    assert VolatilityScaledFactor(1.2, 1 / 365, 0.99).factor(LP, P0) < f
    assert VolatilityScaledFactor(0.8, 3 / 365, 0.99).factor(LP, P0) < f
    assert VolatilityScaledFactor(0.8, 1 / 365, 0.999).factor(LP, P0) < f


def test_volatility_scaled_from_oracle_and_path():
    rng = np.random.default_rng(3)
    prices = P0 * np.exp(np.cumsum(rng.normal(0, 0.04, 200)))
    m = VolatilityScaledFactor.from_oracle(prices, 1 / 365)
    assert m.sigma_per_year == pytest.approx(ewma_volatility(prices, 1 / 365)[-1])
    path = m.factor_path(LP, prices, 1 / 365)
    sig = ewma_volatility(prices, 1 / 365)
    for i in (0, 50, 199):
        one = VolatilityScaledFactor(sig[i], m.horizon_years, m.confidence)
        assert path[i] == pytest.approx(one.factor(LP, prices[i]), rel=1e-12)


def test_function_factor_and_validation():
    f = FunctionFactor(lambda p: np.full(np.shape(p), 0.5))
    np.testing.assert_allclose(f.collateral_value(LP, PRICES), 0.5 * LP.value(PRICES))
    assert f.shock_weights(LP) is None
    with pytest.raises(ValueError, match="must be a fraction"):
        FunctionFactor(lambda p: 1.5 + 0 * p).factor(LP, P0)
    with pytest.raises(ValueError, match="cf"):
        StaticFactor(1.2)
    with pytest.raises(ValueError, match="shock_pct"):
        RangeAwareFactor(shock_pct=100.0)
    with pytest.raises(ValueError, match="confidence"):
        VolatilityScaledFactor(0.5, confidence=0.3)
    with pytest.raises(ValueError, match="prices"):
        ewma_volatility([3000.0], 1 / 365)


# --- regressions found in review --------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"horizon_years": -1.0}, "horizon_years must be a finite number >= 0"),  # was NaN
        ({"confidence": 0.0}, r"confidence must be a fraction in \(0, 1\)"),  # was inf
        ({"confidence": 0.2}, r"confidence must be in \[0.5, 1\)"),  # was a factor > 1
        ({"sigma_per_year": np.nan}, "sigma_per_year must be a finite number >= 0"),  # was NaN
        ({"sigma_per_year": "0.8"}, "sigma_per_year must be a number"),  # was a numpy TypeError
    ],
)
def test_shock_multiplier_validates_like_the_constructor(kwargs, match):
    args = {"sigma_per_year": 0.8, "horizon_years": 1 / 365, "confidence": 0.99, **kwargs}
    with pytest.raises(ValueError, match=match):
        VolatilityScaledFactor.shock_multiplier(**args)


def test_shock_multiplier_scalar_in_float_out_array_broadcast():
    k = VolatilityScaledFactor.shock_multiplier(0.8, 1 / 365, 0.99)
    assert type(k) is float
    assert VolatilityScaledFactor.shock_multiplier(np.array([[0.5], [0.8]]), 1 / 365, 0.99).shape == (
        2, 1)


# --- issue 12: oracle-fed factors, governance steps, GMX open-interest scaling -------------------
def test_factor_path_applies_the_per_token_weights():
    """Kills the mutant 'factor_path ignoring the per-token weights' (0.748 -> 0.963)."""
    p = P0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.03, -0.03], 20)]))
    m = VolatilityScaledFactor(0.5, base_factor=0.7, quote_factor=0.9)
    path = m.factor_path(LP, p, 1 / 365)
    assert path[-1] == pytest.approx(0.748371, abs=1e-6)
    assert VolatilityScaledFactor(0.5).factor_path(LP, p, 1 / 365)[-1] == pytest.approx(0.963418,
                                                                                      abs=1e-6)
    sig = ewma_volatility(p, 1 / 365)
    for i in (0, 17, 40):
        one = VolatilityScaledFactor(sig[i], m.horizon_years, m.confidence, 0.7, 0.9)
        assert path[i] == pytest.approx(one.factor(LP, p[i]), rel=1e-12)


def test_factor_path_computes_on_the_oracle_not_the_true_path():
    from lpperp.oracle import ChainlinkFeed, Spot, TwapOracle

    rng = np.random.default_rng(4)
    p = P0 * np.exp(np.cumsum(rng.normal(0, 0.002, (3, 500)), axis=1))
    dt = 60.0 / (365 * 86400)
    m = VolatilityScaledFactor(0.5, horizon_years=1 / 365, base_factor=0.8, quote_factor=0.95)
    t = np.arange(500) * 60.0
    np.testing.assert_array_equal(m.factor_path(LP, p, dt, oracle=Spot()), m.factor_path(LP, p, dt))
    for oracle in (ChainlinkFeed(0.005, 3600.0), TwapOracle(1800.0)):
        seen = oracle.report(t, p)
        np.testing.assert_array_equal(m.factor_path(LP, p, dt, oracle=oracle, times_seconds=t),
                                      m.factor_path(LP, seen, dt))
        assert not np.array_equal(m.factor_path(LP, p, dt, oracle=oracle), m.factor_path(LP, p, dt))
    with pytest.raises(ValueError, match=r"oracle must be an lpperp\.oracle feed"):
        m.factor_path(LP, p, dt, oracle="chainlink")


def test_factor_schedule_steps_at_its_dates():
    from lpperp.collateral import FactorSchedule

    s = FactorSchedule.from_dates([("2024-01-01", StaticFactor(0.85)),
                                   ("2024-06-01", REVERT_LEND_ARBITRUM_WETH_USDC),
                                   ("2025-01-01", RangeAwareFactor(10.0, 0.8, 0.9))])
    t0, t1, t2 = s.effective_seconds
    assert t1 - t0 == 152 * 86400  # 2024 is a leap year: Jan..May = 152 days
    t = np.array([t0 - 5, t0, t1 - 1, t1, t2 + 10])
    got = s.factor_path(LP, t, np.full(5, P0))
    want = [0.85, 0.85, 0.85, 0.775, RangeAwareFactor(10.0, 0.8, 0.9).factor(LP, P0)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert s.model_at(t1 + 1) is REVERT_LEND_ARBITRUM_WETH_USDC
    with pytest.raises(ValueError, match="increasing"):
        FactorSchedule((2.0, 1.0), (StaticFactor(0.5), StaticFactor(0.6)))


def test_gmx_open_interest_scaling_matches_the_integer_contract():
    from lpperp.collateral import gmx_min_collateral_factor, gmx_min_collateral_factor_x30

    # gmx-synthetics test (MarketUtils / PositionUtils): goal 0.15 at OI 25,000 -> multiplier 6e-6
    assert gmx_min_collateral_factor(25_000.0, 0.01, 6e-6) == pytest.approx(0.15)
    assert gmx_min_collateral_factor_x30(25_000 * 10**30, 10**28, 6 * 10**24) == 15 * 10**28
    oi = np.geomspace(1e3, 1e10, 50)
    f = gmx_min_collateral_factor(oi, 0.005, 6e-11)
    assert np.all(np.diff(f) >= 0) and f[0] == 0.005
    for o in (1e6, 2.5e8, 3e9):
        exact = gmx_min_collateral_factor_x30(int(o) * 10**30, 5 * 10**27, 6 * 10**19)
        assert exact / 1e30 == pytest.approx(float(gmx_min_collateral_factor(o, 0.005, 6e-11)),
                                             rel=1e-12)


def test_old_keyword_names_warn_for_one_release():
    """Vocabulary (CONTRIBUTING glossary): ewma_lambda, base_factor/quote_factor; the old names
    lam, w_base, w_quote still work with a DeprecationWarning and give the same numbers."""
    p = P0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.03, -0.03], 20)]))
    m = VolatilityScaledFactor(0.5)
    with pytest.warns(DeprecationWarning, match="ewma_lambda"):
        old = m.factor_path(LP, p, 1 / 365, lam=0.9)
    np.testing.assert_array_equal(old, m.factor_path(LP, p, 1 / 365, ewma_lambda=0.9))
    with pytest.warns(DeprecationWarning, match="ewma_lambda"):
        assert ewma_volatility(p, 1 / 365, lam=0.9)[-1] == ewma_volatility(p, 1 / 365, 0.9)[-1]
    with pytest.warns(DeprecationWarning, match="base_factor"):
        v = weighted_value(P0, 2400.0, 3600.0, LP.liquidity, 0.9, w_base=0.7)
    assert v == weighted_value(P0, 2400.0, 3600.0, LP.liquidity, 0.9, base_factor=0.7)
    with pytest.warns(DeprecationWarning, match="ewma_lambda"):
        a = VolatilityScaledFactor.from_oracle(p, 1 / 365, lam=0.9)
    assert a == VolatilityScaledFactor.from_oracle(p, 1 / 365, ewma_lambda=0.9)
    with pytest.raises(ValueError, match="not both"):
        m.factor_path(LP, p, 1 / 365, lam=0.9, ewma_lambda=0.9)


# ------------------------------------------------------------------------------------------------
# bad input is named (issue 13; found by tests/test_fuzz.py and tests/test_oracle_fuzz.py)
# ------------------------------------------------------------------------------------------------
ALL_MODELS = [StaticFactor(0.8), REVERT_LEND_ARBITRUM_WETH_USDC, RangeAwareFactor(),
              VolatilityScaledFactor(0.6), FunctionFactor(lambda p: 0.8 + 0.0 * p)]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("bad_lp", [3000.0, "lp", None, float("nan")])
def test_every_model_names_a_non_lp(model, bad_lp):
    # was AttributeError: 'float' object has no attribute 'price_lower'
    for method in (model.factor, model.collateral_value):
        with pytest.raises(LpperpError, match=r"lp must be an LPPosition, got"):
            method(bad_lp, 3000.0)


@pytest.mark.parametrize(("func", "what"), [
    (lambda p: np.nan * p, "nan"),            # an account that never liquidates
    (lambda p: 2.0 + 0.0 * p, "2.0"),         # more collateral than the LP is worth
    (lambda p: -0.1 + 0.0 * p, "-0.1"),
    (lambda p: np.where(p > 1e8, np.nan, 0.8), "nan"),   # bad only far from today's price
])
def test_function_factor_refuses_a_factor_outside_0_1_when_built(func, what):
    with pytest.raises(LpperpError, match=rf"custom\(price\) must be a fraction in \[0, 1\], got {what}"):
        FunctionFactor(func)


def test_function_factor_names_a_failing_or_misshapen_function():
    with pytest.raises(LpperpError, match=r"custom\(price\) raised ZeroDivisionError"):
        FunctionFactor(lambda p: 1 / 0)
    with pytest.raises(LpperpError, match=r"must return one factor per price"):
        FunctionFactor(lambda p: np.array([0.5, 0.6]))
    with pytest.raises(LpperpError, match=r"func must be callable"):
        FunctionFactor(0.8)
    m = FunctionFactor(lambda p: np.minimum(np.asarray(p) / 4000.0, 0.9))
    assert m.factor_at(2000.0) == 0.5 and m.factor(LP, [2000.0, 8000.0]).tolist() == [0.5, 0.9]


def test_weighted_value_checks_its_bounds_and_weights():
    # reversed bounds gave -49,000 quote without a word
    with pytest.raises(LpperpError, match=r"price_lower must be < price_upper"):
        weighted_value(3000.0, 3600.0, 2400.0, 1000.0)
    with pytest.raises(LpperpError, match=r"liquidity must be a finite number >= 0"):
        weighted_value(3000.0, 2400.0, 3600.0, -1.0)
    with pytest.raises(LpperpError, match=r"base_factor must be a fraction"):
        weighted_value(3000.0, 2400.0, 3600.0, 1.0, 1.0, 1.5)
    # a shock that rounds to k = 0 (sigma 1e308) values the LP at nothing, not NaN
    assert VolatilityScaledFactor(1e308).factor(LP, 3000.0) == 0.0


def test_ewma_names_warmup_and_overflow():
    p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 20)]))
    with pytest.raises(LpperpError, match=r"warmup must be an integer"):
        ewma_volatility(p, 1 / 365, warmup="20")
    with pytest.raises(LpperpError, match=r"overflows a float"):
        ewma_volatility(p, 5e-324)


def test_factor_schedule_names_bad_steps_and_times():
    from lpperp.collateral import FactorSchedule

    with pytest.raises(LpperpError, match=r"date must be YYYY-MM-DD, got 'soon'"):
        FactorSchedule.from_dates([("soon", StaticFactor(0.8))])
    with pytest.raises(LpperpError, match=r"steps must be a list"):
        FactorSchedule.from_dates("2024-01-01")
    with pytest.raises(LpperpError, match=r"effective_seconds must be a sequence"):
        FactorSchedule(1.0, (StaticFactor(0.8),))
    s = FactorSchedule((1.0, 2.0), (StaticFactor(0.8), StaticFactor(0.7)))
    with pytest.raises(LpperpError, match=r"t_seconds must be a number"):
        s.model_at("x")
    with pytest.raises(LpperpError, match=r"lp must be an LPPosition"):
        s.factor_path(3000.0, [1.0], [3000.0])
    assert s.model_at(0.0) == StaticFactor(0.8)   # before the first step: the first model


def test_weighted_value_names_shapes_that_do_not_broadcast():
    with pytest.raises(LpperpError, match=r"must broadcast to one shape"):
        weighted_value([2500.0, 3000.0], 2400.0, 3600.0, [])


def test_gmx_factor_names_shapes_and_overflow():
    from lpperp.collateral import gmx_min_collateral_factor

    with pytest.raises(LpperpError, match=r"must broadcast to one shape"):
        gmx_min_collateral_factor([1e8, 1e9], [0.01, 0.02, 0.03], 6e-11)
    with pytest.raises(LpperpError, match=r"overflows a float"):
        gmx_min_collateral_factor(1e308, 0.01, 1e10)


@pytest.mark.parametrize("lam", [1e-300, 0.5, RISKMETRICS_LAMBDA, 0.999])
def test_ewma_blocks_equal_the_recursion(lam):
    """ewma_volatility's block filter (no scipy.signal: 1.5 s to import, a fuzz 'hang') against
    the recursion written out, across block edges and with leading path axes."""
    rng = np.random.default_rng(3)
    p = 3000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (3, 200)), axis=-1))
    got = ewma_volatility(p, 1 / 365, ewma_lambda=lam, warmup=10)
    r2 = np.diff(np.log(p), axis=-1) ** 2
    v = r2[:, :10].mean(axis=-1)
    want = [v.copy()]
    for t in range(r2.shape[-1]):
        v = lam * v + (1.0 - lam) * r2[:, t]
        want.append(v.copy())
    np.testing.assert_allclose(got, np.sqrt(np.stack(want, axis=-1) * 365), rtol=1e-12)

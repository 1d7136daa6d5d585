"""Independent references for cross-module results (issue 14: tests that catch a wrong model).

Each test computes the expected number another way than the code under test does (a direct
integral, a closed form of a different shape, the venue's own integer arithmetic, a brute-force
sign check), at a point where a plausible one-line bug changes the result. tests/test_mutants.py
plants those bugs and expects these tests to fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from lpperp.collateral import FunctionFactor, VolatilityScaledFactor, ewma_volatility
from lpperp.costs import ARBITRUM
from lpperp.liquidation import solve_boundaries
from lpperp.margin import IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.rebalancing import rebalancing_economics
from lpperp.simulate import Scenario, initial_account, run_on_paths
from lpperp.venues import drift_size_discount_asset_weight

FLAT = MarginRules("flat 10%/5%", 0.10, 0.05)
QUIET = {
    "fee_apr": 0.0,
    "swap_fee_fraction": 0.0,
    "cash_apr": 0.0,
    "rules": MarginRules("flat 4%/2%", 0.04, 0.02),
}


# --- funding on a moving path and in the margin check (lpperp.simulate) ----------------------------
def test_funding_is_charged_at_the_mark_on_a_moving_path():
    """Funding paid = q * rate * integral of P dt. On P_t = P0 e^{a t} the integral is
    P0 (e^{aT} - 1) / a; hourly payments at the mark (one step = one hour here) are within
    a dt / 2 of it (relative). Charging at the entry price would give q rate P0 T: 9 % less on
    this +20 % ramp."""
    s = Scenario(**QUIET, kind="stable", side="long", leverage=1.0, funding_rate_per_year=0.3)
    n, tau = 876, 0.1  # dt = 1 hour
    a = math.log(1.2) / tau
    t = np.linspace(0.0, tau, n + 1)
    r = run_on_paths(s, s.price * np.exp(a * t), tau / n)
    assert not r.liquidated[0]
    exact = s.perp_size * 0.3 * s.price * math.expm1(a * tau) / a
    assert float(r.funding[0]) == pytest.approx(exact, rel=a * tau / n)  # Riemann error ~ a dt / 2


def test_funding_alone_liquidates_in_the_simulated_margin_check():
    """Flat price, a long paying 100 %/year: equity falls by q P rate dt per step and the account
    is liquidated at the first step where it drops below maintenance (margin engine's numbers)."""
    s = Scenario(**QUIET, kind="stable", side="long", leverage=5.0, funding_rate_per_year=1.0)
    acct = initial_account(s)
    dt = 1 / 365
    eq0 = float(acct.equity(s.price))
    mm = float(s.rules.maintenance_margin(abs(s.perp_size) * s.price))
    per_step = s.perp_size * s.price * 1.0 * dt
    steps_to_go = (eq0 - mm) / per_step
    assert 0.05 < steps_to_go % 1 < 0.95  # no float tie at the predicted step
    expect = math.floor(steps_to_go) + 1
    r = run_on_paths(s, np.full(200, s.price), dt)
    assert r.liquidated[0] and int(r.liquidation_step[0]) == expect


# --- per-token collateral weights along an oracle path (lpperp.collateral) ------------------------
def test_factor_path_applies_the_per_token_weights():
    """cf_t = (w_b * base(k_t P_t) * k_t P_t + w_q * quote(k_t P_t)) / V(P_t) with
    k_t = exp(-z sigma_t sqrt(h)): the amounts from LPPosition.amounts, sigma_t the oracle's EWMA."""
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    rng = np.random.default_rng(3)
    p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, rng.normal(0.0, 0.04, 60)]))
    m = VolatilityScaledFactor(0.6, horizon_years=1 / 365, confidence=0.99, base_factor=0.7,
                               quote_factor=0.9)
    cf = m.factor_path(lp, p, 1 / 365)
    k = np.exp(-special.ndtri(0.99) * ewma_volatility(p, 1 / 365) * math.sqrt(1 / 365))
    base, quote = lp.amounts(k * p)
    expect = (0.7 * base * k * p + 0.9 * quote) / lp.value(p)
    np.testing.assert_allclose(cf, expect, rtol=1e-12)
    assert np.all(cf <= 0.9)  # no factor above the larger weight


# --- the general boundary solver's bracket (lpperp.liquidation) ----------------------------------
def test_general_solver_finds_a_boundary_far_below_the_price():
    """A long with a user-defined factor (no closed form: dense grid + brentq) whose liquidation
    price is 211 from 3000: 14x below the price, outside a bracket of one decade."""
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    half = FunctionFactor(lambda p: 0.5 + 0.0 * np.asarray(p, dtype=float), name="half")
    zero_cash = IsolatedAccount(PerpPosition(1.0, 3000.0), lp, collateral=half, rules=FLAT)
    gap = float(zero_cash.equity(211.0) - zero_cash.maintenance_requirement(211.0))
    acct = IsolatedAccount(PerpPosition(1.0, 3000.0), lp, cash=-gap, collateral=half, rules=FLAT)
    # brute force: safe just above 211, liquidatable just below, and safe all the way up to 3000
    assert acct.is_liquidatable(211.0 * (1 - 1e-9)) and not acct.is_liquidatable(211.0 * (1 + 1e-9))
    assert not np.any(acct.is_liquidatable(np.geomspace(211.0 * (1 + 1e-9), 3000.0, 400)))
    res = acct.liquidation(3000.0)
    assert float(res.liquidation_price_below) == pytest.approx(211.0, rel=1e-9)
    assert float(res.safe_lower) == pytest.approx(211.0, rel=1e-9)


# --- Drift's size discount where no cap binds (lpperp.venues) ------------------------------------
def _drift_size_discount_asset_weight_int(size_tokens: int, imf_factor: float, w0: float) -> float:
    """Drift protocol-v2 `calculate_size_discount_asset_weight` in its own integer arithmetic:
    drift-labs/protocol-v2@006ba85ca242aeadc28c4c0423bdcb6609ce264b programs/drift/src/math/margin.rs
    (read 2026-11-30): size in AMM_RESERVE_PRECISION (1e9), imf in SPOT_IMF_PRECISION (1e6),
    weights in SPOT_WEIGHT_PRECISION (1e4);
    size_sqrt = isqrt(size * 10 + 1); w = (1.1e6 * 1e4) // (1e6 + size_sqrt * imf // 1e5)."""
    spot_imf, spot_weight = 10**6, 10**4
    size = size_tokens * 10**9
    imf = round(imf_factor * spot_imf)
    size_sqrt = math.isqrt(size * 10 + 1)
    imf_numerator = spot_imf + spot_imf // 10
    disc = imf_numerator * spot_weight // (spot_imf + size_sqrt * imf // 100_000)
    return min(round(w0 * spot_weight), disc) / spot_weight


@pytest.mark.parametrize(("size", "imf"), [(1_000_000, 0.003), (250_000, 0.01), (40_000, 0.05)])
def test_drift_size_discount_matches_the_protocol_where_no_cap_binds(size, imf):
    """Sizes where 1.1 / (1 + imf sqrt(size)) < w0 = 0.8: the discounted weight is what counts."""
    ref = _drift_size_discount_asset_weight_int(size, imf, 0.8)
    assert ref < 0.8  # the cap does not bind
    got = drift_size_discount_asset_weight(float(size), imf, 0.8)
    assert got == pytest.approx(ref, abs=1.5e-4)  # the protocol floors to 1e-4


# --- fee income against a direct integral (lpperp.rebalancing) ------------------------------------
def test_fee_income_is_fee_apr_times_value_times_the_direct_time_in_range_integral():
    """time in range = (1/dt) * integral_0^dt Prob(pa <= P_t <= pb) dt, ln P_t ~ N(ln P - s^2 t/2,
    s^2 t), integrated by adaptive quadrature (the library uses Gauss-Legendre in t = dt u^2)."""
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    sigma, apr, freq = 0.6, 0.3, np.array([2.0, 4.0, 12.0, 52.0])
    e = rebalancing_economics(lp, 3000.0, sigma, ARBITRUM, freq, fee_apr=apr)
    lo, hi = math.log(lp.price_lower / 3000.0), math.log(lp.price_upper / 3000.0)

    def prob(t: float) -> float:
        if t == 0.0:
            return 1.0
        mean, sd = -0.5 * sigma**2 * t, sigma * math.sqrt(t)
        return float(special.ndtr((hi - mean) / sd) - special.ndtr((lo - mean) / sd))

    tir = np.array([integrate.quad(prob, 0.0, 1 / f, epsabs=1e-13, epsrel=1e-12, limit=200)[0] * f
                    for f in freq])
    # the library's 24 Gauss-Legendre nodes are off by 2.0e-7 relative at dt = 1/2 year (measured
    # 2026-11-30; quad in t and in u = sqrt(t / dt) agree to 1e-16): fee income is a forecast, but
    # a bug of the size planted in tests/test_mutants.py (sqrt of the fraction) moves it by > 5 %
    np.testing.assert_allclose(e.time_in_range, tir, rtol=1e-6)
    np.testing.assert_allclose(e.fee_income_per_year, apr * lp.value(3000.0) * tir, rtol=1e-6)


# --- a boundary exactly at the current price (lpperp._boundary_fast flag) -------------------------
def test_an_account_sitting_on_its_boundary_has_the_safe_side_as_its_interval():
    """Accounts evaluated exactly at their own liquidation price: not liquidatable (g = 0) or, if
    the float rounds below, liquidatable; when safe, the safe interval ends at that price and one
    step further (1e-7) is liquidatable. Without the fast kernel's root-at-price flag the interval
    ran to 0 or infinity."""
    sizes = np.array([-3.0, -8.0, 3.0, 8.0, -5.0, 5.0])
    cash = np.array([1000.0, 4000.0, 1000.0, 4000.0, 2500.0, 2500.0])
    kw = {"price_lower": 2400.0, "price_upper": 3600.0,
          "liquidity": np.array([0.0, 0.0, 0.0, 0.0, 300.0, 300.0]), "rules": FLAT}
    first = solve_boundaries(3000.0, sizes, 3000.0, cash, **kw)
    b = np.where(sizes < 0, first.liquidation_price_above, first.liquidation_price_below)
    assert np.all(np.isfinite(b))
    at = solve_boundaries(b, sizes, 3000.0, cash, **kw)
    for i in range(sizes.size):
        if bool(at.liquidatable_now[i]):
            continue
        lo, hi = float(at.safe_lower[i]), float(at.safe_upper[i])
        assert lo <= b[i] * (1 + 1e-12) and b[i] <= hi * (1 + 1e-12), (i, lo, hi, b[i])
        if sizes[i] < 0:  # a short is liquidated above its boundary
            assert hi == pytest.approx(b[i], rel=1e-9), (i, lo, hi, b[i])
        else:
            assert lo == pytest.approx(b[i], rel=1e-9), (i, lo, hi, b[i])

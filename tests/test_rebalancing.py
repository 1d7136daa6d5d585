"""Rebalancing economics: time in range, fees, LVR, expected swap cost, break-even frequencies and
volatilities.

Closed forms (Gauss-Legendre quadrature over the GBM marginal) against direct integration with
``scipy.integrate.quad`` and against a Monte Carlo of the same calendar-recentring cycle; the
closed-form break-even volatility against ``LPPosition.lvr_rate`` / ``value``; economic properties
(the break-even frequency falls as gas rises).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from scipy import integrate, special

from lpperp import costs as c
from lpperp import rebalancing as r
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)


def test_time_in_range_against_direct_integration():
    econ = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, [4.0, 52.0], fee_apr=0.2)
    pa, pb, sig = LP.price_lower, LP.price_upper, 0.6

    def prob(t):
        sd = sig * np.sqrt(t)
        d = lambda x: (np.log(x / 3000.0) + 0.5 * sd**2) / sd  # noqa: E731
        return special.ndtr(d(pb)) - special.ndtr(d(pa))

    for n, tir in zip(econ.frequency_per_year, econ.time_in_range, strict=True):
        direct = integrate.quad(prob, 0.0, 1.0 / n, limit=200)[0] * n
        assert tir == pytest.approx(direct, rel=1e-6)


def test_expected_swap_cost_against_direct_integration():
    liq = 3e5
    econ = r.rebalancing_economics(LP, 3000.0, 0.6, c.BASE, [12.0], fee_apr=0.2, pool_liquidity=liq)
    sd = 0.6 * np.sqrt(1 / 12)

    def integrand(z):
        p1 = 3000.0 * np.exp(-0.5 * sd**2 + sd * z)
        x = c.recentre_swap_base(LP, p1, reference_price=3000.0)
        return c.swap_cost(x, p1, 0.0005, liq) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)

    # the swap is kinked at the range edges and where it changes sign: integrate piecewise
    bounds = (LP.price_lower, 3000.0, LP.price_upper)
    kinks = sorted((np.log(b / 3000.0) + 0.5 * sd**2) / sd for b in bounds)
    edges = [-12.0, *kinks, 12.0]
    direct = sum(integrate.quad(integrand, a, b, limit=200)[0] for a, b in pairwise(edges))
    assert econ.swap_cost_per_rebalance[0] == pytest.approx(direct, rel=1e-9)


def test_economics_vectorized_over_frequencies_matches_scalar_calls():
    freqs = np.array([1.0, 12.0, 365.0, 8760.0])
    vec = r.rebalancing_economics(LP, 3000.0, 0.6, c.ETHEREUM, freqs, fee_apr=0.3)
    for i, n in enumerate(freqs):
        one = r.rebalancing_economics(LP, 3000.0, 0.6, c.ETHEREUM, n, fee_apr=0.3)
        assert one.net_yield_per_year[0] == pytest.approx(vec.net_yield_per_year[i], rel=1e-12)
    np.testing.assert_allclose(vec.cost_per_year, freqs * vec.cost_per_rebalance)
    np.testing.assert_allclose(
        vec.net_yield_per_year, vec.fee_income_per_year - vec.lvr_per_year - vec.cost_per_year
    )
    assert np.all(np.diff(vec.time_in_range) > 0)


@pytest.mark.parametrize(
    "chain", [c.ETHEREUM, c.ARBITRUM, replace(c.ETHEREUM, gas_price_gwei=20.0)]
)
def test_net_yield_is_zero_at_the_break_even_frequency(chain):
    # 25 % vol: below the break-even volatility (34 %), so fees - LVR > 0 in range
    n = r.break_even_frequency(LP, 3000.0, 0.25, chain, fee_apr=0.3, pool_liquidity=5e5)
    e = r.rebalancing_economics(
        LP, 3000.0, 0.25, chain, [n * 0.99, n, n * 1.01], fee_apr=0.3, pool_liquidity=5e5
    )
    assert abs(e.net_yield_per_year[1]) <= 1e-9
    assert e.net_yield_per_year[0] > 0 > e.net_yield_per_year[2]


def test_mainnet_gas_erases_the_yield_where_an_l2_keeps_it():
    # Daily recentring of $10k at +/-10%, 25% vol, 30% fee APR (illustrative): at 20 gwei (late-2024
    # levels) mainnet loses money, Arbitrum at its floor keeps > 90% of the fees after costs (and
    # about 42% after LVR too).
    busy = replace(c.ETHEREUM, gas_price_gwei=20.0)
    l1 = r.rebalancing_economics(LP, 3000.0, 0.25, busy, 365.0, fee_apr=0.3)
    l2 = r.rebalancing_economics(LP, 3000.0, 0.25, c.ARBITRUM, 365.0, fee_apr=0.3)
    assert l1.net_yield_per_year[0] < 0 < l2.net_yield_per_year[0]
    assert l2.cost_kept_fraction[0] > 0.9
    assert 0.4 < l2.fee_kept_fraction[0] < 0.45
    n_l1 = r.break_even_frequency(LP, 3000.0, 0.25, busy, fee_apr=0.3)
    n_l2 = r.break_even_frequency(LP, 3000.0, 0.25, c.ARBITRUM, fee_apr=0.3)
    assert n_l2 > 100 * n_l1


def test_break_even_falls_as_gas_price_rises():
    gweis = [0.5, 2.0, 8.0, 32.0]
    ns = [
        r.break_even_frequency(LP, 3000.0, 0.25, replace(c.ETHEREUM, gas_price_gwei=g), fee_apr=0.3)
        for g in gweis
    ]
    assert all(a > b for a, b in pairwise(ns))


def test_optimal_frequency_beats_its_neighbours():
    n = r.optimal_frequency(LP, 3000.0, 0.25, c.ETHEREUM, fee_apr=0.3)
    e = r.rebalancing_economics(LP, 3000.0, 0.25, c.ETHEREUM, [n / 1.5, n, n * 1.5], fee_apr=0.3)
    assert e.net_yield_per_year[1] >= e.net_yield_per_year.max() - 1e-9


def test_no_fees_means_no_break_even():
    assert np.isnan(r.break_even_frequency(LP, 3000.0, 0.6, c.ETHEREUM, fee_apr=0.0))


def test_economics_refuses_a_price_outside_the_range():
    with pytest.raises(ValueError, match="inside the position's range"):
        r.rebalancing_economics(LP, 3500.0, 0.6, c.BASE, 12.0, fee_apr=0.2)


# --- regressions found in review --------------------------------------------------------------
def test_empty_frequencies_are_a_clear_error():
    """An empty grid raised numpy's 'cannot reshape array of size 0'."""
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    with pytest.raises(ValueError, match="frequency_per_year must hold at least one"):
        r.rebalancing_economics(lp, 3000.0, 0.6, c.ARBITRUM, [], fee_apr=0.3)


@pytest.mark.parametrize("fn", [r.break_even_frequency, r.optimal_frequency])
@pytest.mark.parametrize("sigma", [[], [0.3, 0.6], np.ones((2, 2))])
def test_searches_name_a_volatility_array(fn, sigma):
    """One frequency is searched per call: an array volatility met the 241-point grid in a bare
    numpy broadcast error (found by tests/test_fuzz.py)."""
    with pytest.raises(ValueError, match="sigma_per_year must be a single number"):
        fn(LP, 3000.0, sigma, c.ARBITRUM, fee_apr=0.3)


# --- LVR over the time in range (issue 10) ---------------------------------------------------
def _direct_in_range_mean(f, dt, sig=0.6, p0=3000.0, lp=LP):
    """(1/dt) int_0^dt E[f(P_t) 1{pa <= P_t <= pb}] dt by nested ``quad`` over t and the normal z."""
    pa, pb = lp.price_lower, lp.price_upper

    def at_t(t):
        sd = sig * np.sqrt(t)
        z_lo = (np.log(pa / p0) + 0.5 * sd**2) / sd
        z_hi = (np.log(pb / p0) + 0.5 * sd**2) / sd

        def g(z):
            return f(p0 * np.exp(-0.5 * sd**2 + sd * z)) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)

        return integrate.quad(g, z_lo, z_hi, epsabs=0.0, epsrel=1e-11, limit=200)[0]

    return integrate.quad(at_t, 0.0, dt, epsabs=0.0, epsrel=1e-10, limit=200)[0] / dt


@pytest.mark.parametrize("n", [4.0, 52.0])
def test_fees_and_lvr_against_direct_integration(n):
    """Fees are linear in the expected time in range (a sqrt or square would fail here) and the LVR
    is E[int sigma^2 L sqrt(P_t) / 4 1{in range} dt], both by direct nested integration."""
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, n, fee_apr=0.2)
    tir = _direct_in_range_mean(lambda p: np.ones_like(p), 1 / n)
    assert e.fee_income_per_year[0] == pytest.approx(0.2 * 10_000.0 * tir, rel=1e-6)
    lvr = _direct_in_range_mean(lambda p: LP.lvr_rate(p, 0.6), 1 / n)
    assert e.lvr_per_year[0] == pytest.approx(lvr, rel=1e-6)
    assert e.net_yield_per_year[0] == pytest.approx(
        e.fee_income_per_year[0] - e.lvr_per_year[0] - e.cost_per_year[0], rel=1e-12
    )


def test_cycle_lvr_against_monte_carlo_of_the_same_policy():
    """Calendar recentring every month: each cycle restarts at the centre, so the yearly LVR is the
    mean over one cycle. Our own vectorized GBM loop (exact lognormal steps, trapezoid in time),
    not lpperp.simulate: its Policy recentres when the price leaves the range, not on a calendar,
    so it is a different policy. 40 000 paths x 240 steps, seed fixed, within 3 standard errors."""
    n, sig, n_paths, n_steps = 12.0, 0.6, 40_000, 240
    dt = 1.0 / n
    h = dt / n_steps
    rng = np.random.default_rng(20261130)
    log_p = np.full(n_paths, np.log(3000.0))
    total = 0.5 * LP.lvr_rate(np.exp(log_p), sig)
    for k in range(n_steps):
        log_p += -0.5 * sig**2 * h + sig * np.sqrt(h) * rng.standard_normal(n_paths)
        rate = LP.lvr_rate(np.exp(log_p), sig)
        total += rate if k < n_steps - 1 else 0.5 * rate
    per_year = total * h / dt  # each path's mean LVR rate over its cycle, quote per year
    mc, se = per_year.mean(), per_year.std(ddof=1) / np.sqrt(n_paths)
    e = r.rebalancing_economics(LP, 3000.0, sig, c.ARBITRUM, n, fee_apr=0.3)
    assert abs(e.lvr_per_year[0] - mc) < 3 * se
    assert se < 0.01 * mc  # the check is sharp: 1 % of the LVR
    # a cycle that ignored the range (LVR at the centre all year) is far outside the error
    assert abs(e.lvr_at_centre_per_year - mc) > 30 * se


def test_the_issue_case_reports_a_negative_net_yield():
    """Issue 10: +/-10 %, recentred daily at 60 % vol on Arbitrum, 30 % fee APR. At the centre the
    LP loses L sigma^2 sqrt(P) / 4 = 9.2k a year to arbitrageurs; fees are 3.0k, costs 0.27k."""
    lp = LPPosition.from_deposit(10_000, 3000, width_pct=10)
    e = r.rebalancing_economics(lp, 3000, 0.6, c.ARBITRUM, [365], fee_apr=0.3)
    fees, lvr, cost, net = (
        float(x[0])
        for x in (e.fee_income_per_year, e.lvr_per_year, e.cost_per_year, e.net_yield_per_year)
    )
    assert net == pytest.approx(fees - lvr - cost, rel=1e-12)
    assert -6_600 < net < -6_400
    assert e.lvr_at_centre_per_year == pytest.approx(lp.lvr_rate(3000.0, 0.6), rel=1e-12)
    assert e.lvr_at_centre_per_year == pytest.approx(9197.37, abs=0.01)
    assert lvr == pytest.approx(e.lvr_at_centre_per_year, rel=1e-3)  # daily: almost always in range
    assert fees == pytest.approx(3000.0, rel=1e-3)


def test_lvr_can_be_left_out_of_the_net_yield():
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, [12, 365], fee_apr=0.3)
    costs_only = r.rebalancing_economics(
        LP, 3000.0, 0.6, c.ARBITRUM, [12, 365], fee_apr=0.3, include_lvr=False
    )
    np.testing.assert_allclose(costs_only.lvr_per_year, e.lvr_per_year)
    np.testing.assert_allclose(
        costs_only.net_yield_per_year, e.fee_income_per_year - e.cost_per_year, rtol=1e-12
    )
    assert np.isfinite(r.break_even_frequency(LP, 3000.0, 0.6, c.ARBITRUM, fee_apr=0.3,
                                              include_lvr=False))
    assert np.isnan(r.break_even_frequency(LP, 3000.0, 0.6, c.ARBITRUM, fee_apr=0.3))
    with pytest.raises(ValueError, match="include_lvr must be True or False"):
        r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, 12, fee_apr=0.3, include_lvr="no")


def test_sigma_broadcasts_with_the_frequencies():
    sig = np.array([0.2, 0.4, 0.8])
    e = r.rebalancing_economics(LP, 3000.0, sig, c.BASE, [52.0], fee_apr=0.3)
    for i, s1 in enumerate(sig):
        one = r.rebalancing_economics(LP, 3000.0, s1, c.BASE, 52.0, fee_apr=0.3)
        assert e.net_yield_per_year[i] == pytest.approx(one.net_yield_per_year[0], rel=1e-12)
        assert e.lvr_per_year[i] == pytest.approx(one.lvr_per_year[0], rel=1e-12)


# --- break-even volatility --------------------------------------------------------------------
@pytest.mark.parametrize(("width", "expected"), [(5, 0.243), (10, 0.343), (20, 0.481)])
def test_break_even_volatility_issue_values(width, expected):
    assert r.break_even_volatility(width, 0.3) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("width", [1.0, 5.0, 10.0, 35.0, 80.0])
def test_break_even_volatility_equates_fees_and_lvr_at_the_centre(width):
    """Closed form against the position's own value and LVR rate (no shared formula)."""
    lp = LPPosition.from_deposit(7_000.0, 2500.0, width_pct=width)
    for apr in (0.05, 0.3, 1.2):
        s = r.break_even_volatility(width, apr)
        assert lp.lvr_rate(2500.0, s) == pytest.approx(apr * lp.value(2500.0), rel=1e-10)


def test_break_even_volatility_is_vectorized():
    w = np.array([[5.0], [10.0]])
    apr = np.array([0.1, 0.3, 0.6])
    out = r.break_even_volatility(w, apr)
    assert out.shape == (2, 3)
    assert out[1, 1] == pytest.approx(r.break_even_volatility(10.0, 0.3), rel=1e-15)
    assert np.all(np.diff(out, axis=1) > 0) and np.all(np.diff(out, axis=0) > 0)
    assert isinstance(r.break_even_volatility(10, 0.3), float)


def test_cycle_break_even_volatility_zeroes_the_net_yield():
    freqs = np.array([12.0, 52.0, 365.0])
    sig = r.break_even_volatility(10, 0.3, frequency_per_year=freqs, chain=c.ARBITRUM)
    assert sig.shape == (3,)
    for n, s1 in zip(freqs, sig, strict=True):
        e = r.rebalancing_economics(LP, 3000.0, s1, c.ARBITRUM, n, fee_apr=0.3)
        assert abs(e.net_yield_per_year[0]) < 1e-8 * 10_000.0
    # costs only lower it; without costs and recentring continuously it is the closed form
    assert np.all(sig < r.break_even_volatility(10, 0.3))
    free = r.break_even_volatility(10, 0.3, frequency_per_year=1e6, swap_fee_fraction=0.0)
    assert free == pytest.approx(r.break_even_volatility(10, 0.3), rel=1e-6)
    # vectorized over widths too
    both = r.break_even_volatility([10, 20], 0.3, frequency_per_year=52.0, chain=c.ARBITRUM)
    assert both[0] == pytest.approx(sig[1], rel=1e-12) and both[1] > both[0]


def test_cycle_break_even_volatility_edges():
    busy = replace(c.ETHEREUM, gas_price_gwei=200.0)
    # costs exceed the fees even at zero volatility: no break-even
    assert np.isnan(
        r.break_even_volatility(10, 0.3, frequency_per_year=365.0, chain=busy, deposit=1_000.0)
    )
    with pytest.raises(ValueError, match="width_pct must be in"):
        r.break_even_volatility(100.0, 0.3)
    with pytest.raises(ValueError, match="fee_apr"):
        r.break_even_volatility(10.0, -0.1)
    with pytest.raises(ValueError, match="give frequency_per_year"):
        r.break_even_volatility(10.0, 0.3, chain=c.ARBITRUM)


# --- every number notebook 05's text quotes, from the same library calls -------------------------
def test_numbers_quoted_in_notebook_05():
    mainnet_20 = replace(c.ETHEREUM, gas_price_gwei=20.0)
    # "787,760 x 20 x 1e-9 ETH x 3000 = 47.27 USDC"
    assert c.GAS_V3.gas("recentre") == 787_760
    assert round(c.action_cost(mainnet_20, "recentre").in_quote(3000.0), 2) == 47.27
    # "EXAMPLE_FEE_APR = 25 %/yr"
    assert c.EXAMPLE_FEE_APR == 0.25
    # "about 9,197 USDC a year to LVR at the centre" of 10,000 USDC over +/-10 % at 60 %/yr
    assert round(LP.lvr_rate(3000.0, 0.6)) == 9_197
    # "net of about -6,461 USDC a year: fees (~3,000) - LVR (~9,195) - costs (~265)"
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, [365], fee_apr=0.3)
    assert round(float(e.net_yield_per_year[0])) == -6_461
    assert round(float(e.fee_income_per_year[0]), -2) == 3_000
    assert round(float(e.lvr_per_year[0])) == 9_195
    assert round(float(e.cost_per_year[0])) == 265
    # "24.35 % for +/-5 %, 34.27 % for +/-10 %, 48.09 % for +/-20 %; at 25 %, 31.28 % for +/-10 %"
    s30 = r.break_even_volatility([5, 10, 20], 0.3)
    assert [round(100 * float(x), 2) for x in s30] == [24.35, 34.27, 48.09]
    assert round(100 * r.break_even_volatility(10, c.EXAMPLE_FEE_APR), 2) == 31.28
    # "the costs lower it, most on mainnet (NaN: the costs exceed the fees ...)"
    freqs = [12, 52, 365]
    l1 = r.break_even_volatility(10, 0.25, frequency_per_year=freqs, chain=mainnet_20)
    l2 = r.break_even_volatility(10, 0.25, frequency_per_year=freqs, chain=c.ARBITRUM)
    assert np.all(l2 < 0.3128) and np.all(l1[:2] < l2[:2]) and np.isnan(l1[2])


def test_renamed_keywords_still_work_with_a_deprecation_warning():
    """position -> lp, sigma -> sigma_per_year, eth_price -> gas_token_price (the vocabulary)."""
    new = r.rebalancing_economics(lp=LP, price=3000.0, sigma_per_year=0.6, chain=c.BASE,
                                  frequency_per_year=52.0, fee_apr=0.3, gas_token_price=2500.0)
    with pytest.warns(DeprecationWarning, match="renamed"):
        old = r.rebalancing_economics(position=LP, price=3000.0, sigma=0.6, chain=c.BASE,
                                      frequency_per_year=52.0, fee_apr=0.3, eth_price=2500.0)
    assert old.net_yield_per_year[0] == new.net_yield_per_year[0]
    with pytest.warns(DeprecationWarning):
        n = r.optimal_frequency(LP, 3000.0, sigma=0.25, chain=c.ETHEREUM, fee_apr=0.3)
    assert n == r.optimal_frequency(LP, 3000.0, 0.25, c.ETHEREUM, fee_apr=0.3)


# --- fees that compound (issue 10, part 5) -----------------------------------------------------
def _recursion(e, i, cycles, reinvest):
    """The cycle-by-cycle expected value, stepped directly (a loop over cycles, not prices)."""
    v0, n = e.value, e.frequency_per_year[i]
    a = e.fee_income_per_year[i] / (v0 * n)
    b = (e.lvr_per_year[i] + n * e.swap_cost_per_rebalance[i]) / (v0 * n)
    g = e.gas_cost_per_rebalance[i]
    v, cash = v0, 0.0
    for _ in range(cycles):
        if reinvest:
            v = v * (1 + a - b) - g
        else:
            cash += a * v
            v = v * (1 - b) - g
    return v - v0 + cash


@pytest.mark.parametrize("sigma", [0.25, 0.6])
def test_compounded_yield_against_the_cycle_recursion(sigma):
    e = r.rebalancing_economics(LP, 3000.0, sigma, c.ETHEREUM, [1.0, 12.0, 52.0], fee_apr=0.3)
    for reinvest in (True, False):
        got = r.compounded_yield(e, reinvest_fees=reinvest)
        # one cycle a year: the first-order figure
        assert got[0] == pytest.approx(e.net_yield_per_year[0], rel=1e-12)
        for i, cycles in ((1, 12), (2, 52)):
            assert got[i] == pytest.approx(_recursion(e, i, cycles, reinvest), rel=1e-10)
        two = r.compounded_yield(e, reinvest_fees=reinvest, years=2.0)
        assert two[2] == pytest.approx(_recursion(e, 2, 104, reinvest), rel=1e-10)


def test_reinvesting_pays_only_when_fees_beat_lvr_and_the_swap():
    for sigma, better in ((0.25, True), (0.6, False)):
        e = r.rebalancing_economics(LP, 3000.0, sigma, c.ARBITRUM, [52.0], fee_apr=0.3)
        gain = r.compounded_yield(e)[0] - r.compounded_yield(e, reinvest_fees=False)[0]
        assert bool(gain > 0) == better
    with pytest.raises(ValueError, match="economics must be a RebalanceEconomics"):
        r.compounded_yield(LP)
    with pytest.raises(ValueError, match="reinvest_fees must be True or False"):
        r.compounded_yield(e, reinvest_fees="yes")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lp must be an LPPosition, got str"):
        r.rebalancing_economics("lp", 3000.0, 0.6, c.BASE, 12.0, fee_apr=0.2)
    with pytest.raises(ValueError, match="chain must be a Chain"):
        r.rebalancing_economics(LP, 3000.0, 0.6, None, 12.0, fee_apr=0.2)
    with pytest.raises(ValueError, match="sigma_per_year"):
        r.rebalancing_economics(LP, 3000.0, -0.6, c.BASE, 12.0, fee_apr=0.2)
    with pytest.raises(ValueError, match="chain must be a Chain"):
        r.break_even_volatility(10.0, 0.3, frequency_per_year=12.0, chain="arbitrum")


def test_too_many_frequencies_are_refused_up_front():
    """50,000 frequencies took 3.7 s and ~0.5 GB of quadrature nodes; the budget names the size and
    the keyword that raises it (issue 13: bounded time); shapes that do not broadcast are named."""
    with pytest.raises(ValueError, match=r"10000000 = 1e\+07 cells; the limit is .* max_cells="):
        r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, np.ones(10**7), fee_apr=0.3)
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, np.ones(3), fee_apr=0.3, max_cells=3)
    assert e.net_yield_per_year.shape == (3,)
    with pytest.raises(ValueError, match="must broadcast to one shape"):
        r.rebalancing_economics(LP, 3000.0, [0.3, 0.6], c.ARBITRUM, [1.0, 2.0, 3.0], fee_apr=0.3)

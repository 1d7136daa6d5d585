"""Rebalancing: the cases mutation testing (issue 14) found unchecked, each against an independent
reference - the cycle-by-cycle recursion stepped in a loop at exact zero losses, the zero of
``rebalancing_economics`` at a break-even, the documented slowest frequency above the break-even
volatility - and every argument named when it is bad (the message starts with its name).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from lpperp import costs as c
from lpperp import rebalancing as r
from lpperp._validate import LpperpError
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
BUSY = replace(c.ETHEREUM, gas_price_gwei=200.0)


def _loop(v0, n, fee, lvr, swap, gas, cycles, reinvest):
    """Expected value cycle by cycle (a direct loop over cycles): per-cycle fee fraction ``a``,
    loss fraction ``b``, gas ``g`` paid from outside; fees reinvested or kept as cash."""
    a, b = fee / (v0 * n), (lvr + n * swap) / (v0 * n)
    v, cash = v0, 0.0
    for _ in range(cycles):
        if reinvest:
            v = v * (1 + a - b) - gas
        else:
            cash += a * v
            v = v * (1 - b) - gas
    return v - v0 + cash


def _economics(v0, n, fee, lvr, swap, gas):
    """A RebalanceEconomics with hand-picked per-year terms (one frequency)."""
    e = r.rebalancing_economics(LP, 3000.0, 0.3, c.ARBITRUM, [n], fee_apr=0.3)
    one = np.array([1.0])
    return replace(e, value=v0, fee_income_per_year=fee * one, lvr_per_year=lvr * one,
                   swap_cost_per_rebalance=swap * one, gas_cost_per_rebalance=gas * one)


@pytest.mark.parametrize("reinvest", [True, False])
@pytest.mark.parametrize(
    ("fee", "lvr"),
    [(0.0, 0.0), (0.01, 0.0), (0.01, 1e-12), (0.01, 3e-12), (0.01, 9e-8), (0.01, 1.1e-7),
     (0.0, 2e-6), (0.01, -9e-8)],
)
def test_compounded_yield_at_zero_and_tiny_losses_against_the_loop(fee, lvr, reinvest):
    """No LVR, no swap (a zero-volatility year): the growth factor is exactly 1 (or 1 + a), where
    the closed form's ``((1 + x)^N - 1) / x`` is 0/0 (its limit is ``N``) and the kept-fees sum
    ``sum_k V_k`` needs ``sum_k sum_{j<k} p^j = N (N - 1) / 2``; tiny losses, where those
    quotients cancel, on both sides of the switch to their series (``|N x| = 1e-4``; a negative
    loss is a gain). 1000 cycles against the loop, to 2e-11 (the quotient just past the switch
    keeps ~11 digits of ``geo - N``), with no RuntimeWarning."""
    e = _economics(1.0, 1.0, fee, lvr, 0.0, 1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = r.compounded_yield(e, reinvest_fees=reinvest, years=1000.0)
    ref = _loop(1.0, 1.0, fee, lvr, 0.0, 1e-3, 1000, reinvest)
    assert got[0] == pytest.approx(ref, rel=2e-11, abs=1e-13)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: r.compounded_yield(_economics(1.0, 1.0, 0.0, 0.0, 0.0, 0.0), years=-1.0),
         r"^years must"),
        (lambda: r.compounded_yield(_economics(1.0, 1.0, 0.0, 0.0, 0.0, 0.0), years=[1.0, 2.0]),
         r"^years must be a single number"),
        (lambda: r.centre_value_per_liquidity(-5.0), r"^width_pct must"),
        (lambda: r.break_even_volatility(10.0, -0.1), r"^fee_apr must"),
        (lambda: r.break_even_volatility(10.0, 0.3, frequency_per_year=-1.0),
         r"^frequency_per_year must"),
        (lambda: r.break_even_volatility(10.0, 0.3, frequency_per_year=12.0, price=-1.0),
         r"^price must"),
        (lambda: r.break_even_volatility(10.0, 0.3, frequency_per_year=12.0, price=[3e3, 3e3]),
         r"^price must be a single number"),
        (lambda: r.break_even_volatility(10.0, 0.3, frequency_per_year=12.0, deposit=-1.0),
         r"^deposit must"),
        (lambda: r.break_even_volatility(10.0, 0.3, frequency_per_year=12.0, deposit=[1e3, 1e4]),
         r"^deposit must be a single number"),
        (lambda: r.break_even_frequency(LP, 3000.0, 0.25, c.ARBITRUM, fee_apr=0.3,
                                        max_frequency_per_year=-1.0),
         r"^max_frequency_per_year must"),
        (lambda: r.optimal_frequency(LP, 3000.0, 0.25, c.ARBITRUM, fee_apr=0.3,
                                     max_frequency_per_year=[100.0, 200.0]),
         r"^max_frequency_per_year must be a single number"),
        (lambda: r.optimal_frequency(LP, 3000.0, 0.25, c.ARBITRUM, fee_apr=0.3,
                                     max_frequency_per_year=0.01),
         r"^max_frequency_per_year must be > 0.01"),
        (lambda: r.break_even_frequency(LP, -3000.0, 0.25, c.ARBITRUM, fee_apr=0.3),
         r"^price must"),
    ],
)
def test_each_bad_argument_is_named_first(call, match):
    with pytest.raises(LpperpError, match=match):
        call()


def test_a_search_up_to_one_rebalance_a_year_is_allowed():
    """Any ``max_frequency_per_year`` above the grid's 0.01 a year is a valid search."""
    n = r.optimal_frequency(LP, 3000.0, 0.25, c.ETHEREUM, fee_apr=0.3, max_frequency_per_year=1.0)
    assert 0.01 <= n <= 1.0
    e = r.rebalancing_economics(LP, 3000.0, 0.25, c.ETHEREUM, [n, 0.5 * n], fee_apr=0.3)
    assert e.net_yield_per_year[0] > e.net_yield_per_year[1]  # still rising at the upper end


def test_above_the_break_even_volatility_the_best_is_the_slowest_frequency_searched():
    """As documented: above break_even_volatility every in-range hour loses, so do not keep the
    range around the price: the optimum is the grid's slowest frequency, 0.01 a year."""
    assert r.break_even_volatility(10, 0.3) < 0.6
    assert r.optimal_frequency(LP, 3000.0, 0.6, c.ARBITRUM, fee_apr=0.3) == pytest.approx(
        0.01, rel=1e-3
    )


def test_a_break_even_below_one_rebalance_a_year_is_found():
    """A 3,000 USDC position on mainnet at 200 gwei breaks even at ~0.25 recentres a year: the
    net yield there is zero and negative at one a year (the search starts at 0.01 a year)."""
    lp = LPPosition.from_deposit(3_000.0, 3000.0, width_pct=10)
    n = r.break_even_frequency(lp, 3000.0, 0.25, BUSY, fee_apr=0.3)
    assert 0.01 < n < 1.0
    e = r.rebalancing_economics(lp, 3000.0, 0.25, BUSY, [n, 1.0], fee_apr=0.3)
    assert abs(e.net_yield_per_year[0]) < 1e-8 * 3_000.0
    assert e.net_yield_per_year[1] < 0


def test_cycle_break_even_volatility_prices_gas_at_the_given_gas_token_price():
    """Gas is paid in ETH and priced at ``gas_token_price`` (default: the price): the break-even
    zeroes the net yield of rebalancing_economics at that same gas token price, and a cheaper gas
    token moves it up."""
    kw = {"frequency_per_year": 52.0, "chain": c.ETHEREUM}
    at_price = r.break_even_volatility(10, 0.3, **kw)
    cheap = r.break_even_volatility(10, 0.3, gas_token_price=1000.0, **kw)
    assert cheap > at_price
    e = r.rebalancing_economics(LP, 3000.0, cheap, c.ETHEREUM, 52.0, fee_apr=0.3,
                                gas_token_price=1000.0)
    assert abs(e.net_yield_per_year[0]) < 1e-8 * 10_000.0


def test_economics_over_a_2d_grid_of_volatilities_and_frequencies_match_scalar_calls():
    """A (2, 3) grid (volatility column x frequencies): each cell equals its own scalar call, so
    the quadrature keeps its kink and node axes last whatever the leading shape."""
    sig = np.array([[0.3], [0.8]])
    freq = np.array([4.0, 52.0, 365.0])
    e = r.rebalancing_economics(LP, 3000.0, sig, c.BASE, freq, fee_apr=0.3, pool_liquidity=3e5)
    assert e.net_yield_per_year.shape == (2, 3)
    for i, s1 in enumerate(sig[:, 0]):
        for j, n in enumerate(freq):
            one = r.rebalancing_economics(LP, 3000.0, s1, c.BASE, n, fee_apr=0.3,
                                          pool_liquidity=3e5)
            for f in ("swap_cost_per_rebalance", "time_in_range", "lvr_in_range",
                      "net_yield_per_year"):
                assert getattr(e, f)[i, j] == pytest.approx(getattr(one, f)[0], rel=1e-12), f


@pytest.mark.parametrize("n", [12.0, 525_600.0])
def test_expected_swap_cost_against_direct_integration_monthly_and_every_minute(n):
    """E[swap_cost(recentre_swap_base(P_dt))] by adaptive quadrature over the normal z, split at
    the swap's kinks. Every minute the range edges sit ~120 standard deviations away: the nodes
    must stay on the +/-10 sd that carry the mass."""
    liq, sig = 3e5, 0.6
    e = r.rebalancing_economics(LP, 3000.0, sig, c.BASE, n, fee_apr=0.2, pool_liquidity=liq)
    sd = sig * np.sqrt(1 / n)

    def integrand(z):
        p1 = 3000.0 * np.exp(-0.5 * sd**2 + sd * z)
        x = c.recentre_swap_base(LP, p1, reference_price=3000.0)
        return c.swap_cost(x, p1, 0.0005, liq) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)

    from scipy import integrate

    kinks = [(np.log(b / 3000.0) + 0.5 * sd**2) / sd for b in (LP.price_lower, 3000.0,
                                                               LP.price_upper)]
    edges = sorted({-12.0, 12.0, *(k for k in kinks if -12.0 < k < 12.0)})
    direct = sum(integrate.quad(integrand, a, b, epsabs=0.0, epsrel=1e-12, limit=200)[0]
                 for a, b in pairwise(edges))
    assert e.swap_cost_per_rebalance[0] == pytest.approx(direct, rel=1e-9)


@pytest.mark.parametrize("edge", ["price_lower", "price_upper"])
def test_a_price_on_the_range_edge_is_not_inside_the_range(edge):
    with pytest.raises(LpperpError, match=r"^price must be inside the position's range"):
        r.rebalancing_economics(LP, getattr(LP, edge), 0.6, c.BASE, 12.0, fee_apr=0.2)


@pytest.mark.parametrize(
    ("price", "chain", "match"),
    [(3000.0, "arbitrum", r"^chain must be a Chain \(see CHAINS\), got str"),
     (-3000.0, c.BASE, r"^price must"),
     ([3000.0, 3000.0], c.BASE, r"^price must be a single number")],
)
def test_economics_names_a_bad_chain_or_price(price, chain, match):
    with pytest.raises(LpperpError, match=match):
        r.rebalancing_economics(LP, price, 0.6, chain, 12.0, fee_apr=0.2)


def _apr_for_net(sigma, n, target):
    """The fee APR at which the policy's net yield at ``sigma`` is ``target`` (net is linear in
    the APR: ``apr V tir - LVR - costs``), from rebalancing_economics at zero fees."""
    e0 = r.rebalancing_economics(LP, 3000.0, sigma, c.ARBITRUM, n, fee_apr=0.0)
    return float((target - e0.net_yield_per_year[0]) / (e0.value * e0.time_in_range[0]))


def test_cycle_break_even_volatility_is_inf_when_the_yield_survives_sigma_10():
    """Documented: ``inf`` where the yield survives sigma = 10 (the top of the search), even by
    half a dollar a year; a yield that just fails at 10 gives a break-even just below 10."""
    kw = {"frequency_per_year": 1e4, "chain": c.ARBITRUM}
    survives = _apr_for_net(10.0, 1e4, 0.5)
    assert r.break_even_volatility(10, survives, **kw) == np.inf
    fails = _apr_for_net(10.0, 1e4, -0.5)
    s = r.break_even_volatility(10, fails, **kw)
    assert 9.99 < s < 10.0
    both = r.break_even_volatility(10, [survives, fails], **kw)
    assert both[0] == np.inf and both[1] == s


def test_cycle_break_even_volatility_is_found_when_the_yield_barely_survives_sigma_0_001():
    """A yield of half a dollar a year at sigma = 1e-3 (the bottom of the search) is a yield: the
    break-even is a finite volatility above 1e-3 where the net is zero, not NaN."""
    apr = _apr_for_net(1e-3, 52.0, 0.5)
    s = r.break_even_volatility(10, apr, frequency_per_year=52.0, chain=c.ARBITRUM)
    assert 1e-3 < s < 0.1
    e = r.rebalancing_economics(LP, 3000.0, s, c.ARBITRUM, 52.0, fee_apr=apr)
    assert abs(e.net_yield_per_year[0]) < 1e-6
    assert isinstance(s, float)


@pytest.mark.parametrize(
    ("gas_token_price", "match"),
    [(-1.0, r"^gas_token_price must"), ([2500.0, 2600.0], r"^gas_token_price must be a single")],
)
def test_a_bad_gas_token_price_is_named(gas_token_price, match):
    with pytest.raises(LpperpError, match=match):
        r.rebalancing_economics(LP, 3000.0, 0.6, c.BASE, 12.0, fee_apr=0.2,
                                gas_token_price=gas_token_price)


def test_gas_is_paid_at_the_gas_token_price():
    """The recentre's gas in ETH times the gas token's price (quote per ETH)."""
    eth = float(c.action_cost(c.ETHEREUM, "recentre").total_eth)
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ETHEREUM, 12.0, fee_apr=0.2,
                                gas_token_price=1234.0)
    assert e.gas_cost_per_rebalance[0] == pytest.approx(eth * 1234.0, rel=1e-12)
    e0 = r.rebalancing_economics(LP, 3000.0, 0.6, c.ETHEREUM, 12.0, fee_apr=0.2)
    assert e0.gas_cost_per_rebalance[0] == pytest.approx(eth * 3000.0, rel=1e-12)


@pytest.mark.parametrize("years", [3.0, 4.0])
def test_compounded_yield_series_is_exact_for_a_few_cycles(years):
    """For a whole number of cycles N the binomial series of the small-|N x| branch terminates
    (C(N, m) = 0 for m > N): 3 or 4 yearly cycles at losses of 2e-5 a cycle, with fees and gas as
    large as the position so the kept-fee sum weighs, equal the loop to 1e-13 (fees kept as cash:
    the growth factor is 1 - 2e-5, on the series side)."""
    e = _economics(1.0, 1.0, 1.0, 2e-5, 0.0, 1.0)
    got = r.compounded_yield(e, reinvest_fees=False, years=years)[0]
    ref = _loop(1.0, 1.0, 1.0, 2e-5, 0.0, 1.0, int(years), False)
    assert got == pytest.approx(ref, rel=1e-13, abs=1e-15)

"""Rebalancing economics: time in range, expected swap cost, break-even and optimal frequencies.

Closed forms (Gauss-Legendre quadrature over the GBM marginal) against direct integration with
``scipy.integrate.quad``; economic properties (the break-even frequency falls as gas rises).
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
    np.testing.assert_allclose(vec.net_yield_per_year, vec.fee_income_per_year - vec.cost_per_year)
    assert np.all(np.diff(vec.time_in_range) > 0)


@pytest.mark.parametrize(
    "chain", [c.ETHEREUM, c.ARBITRUM, replace(c.ETHEREUM, gas_price_gwei=20.0)]
)
def test_net_yield_is_zero_at_the_break_even_frequency(chain):
    n = r.break_even_frequency(LP, 3000.0, 0.6, chain, fee_apr=0.3, pool_liquidity=5e5)
    e = r.rebalancing_economics(
        LP, 3000.0, 0.6, chain, [n * 0.99, n, n * 1.01], fee_apr=0.3, pool_liquidity=5e5
    )
    assert abs(e.net_yield_per_year[1]) <= 1e-9
    assert e.net_yield_per_year[0] > 0 > e.net_yield_per_year[2]


def test_mainnet_gas_erases_the_yield_where_an_l2_keeps_it():
    # Daily recentring of $10k at +/-10%, 60% vol, 30% fee APR (illustrative): at 20 gwei (late-2024
    # levels) mainnet loses money, Arbitrum at its floor keeps > 90% of the fees.
    busy = replace(c.ETHEREUM, gas_price_gwei=20.0)
    l1 = r.rebalancing_economics(LP, 3000.0, 0.6, busy, 365.0, fee_apr=0.3)
    l2 = r.rebalancing_economics(LP, 3000.0, 0.6, c.ARBITRUM, 365.0, fee_apr=0.3)
    assert l1.net_yield_per_year[0] < 0
    assert l2.fee_kept_fraction[0] > 0.9
    n_l1 = r.break_even_frequency(LP, 3000.0, 0.6, busy, fee_apr=0.3)
    n_l2 = r.break_even_frequency(LP, 3000.0, 0.6, c.ARBITRUM, fee_apr=0.3)
    assert n_l2 > 100 * n_l1


def test_break_even_falls_as_gas_price_rises():
    gweis = [0.5, 2.0, 8.0, 32.0]
    ns = [
        r.break_even_frequency(LP, 3000.0, 0.6, replace(c.ETHEREUM, gas_price_gwei=g), fee_apr=0.3)
        for g in gweis
    ]
    assert all(a > b for a, b in pairwise(ns))


def test_optimal_frequency_beats_its_neighbours():
    n = r.optimal_frequency(LP, 3000.0, 0.6, c.ETHEREUM, fee_apr=0.3)
    e = r.rebalancing_economics(LP, 3000.0, 0.6, c.ETHEREUM, [n / 1.5, n, n * 1.5], fee_apr=0.3)
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

"""Risk: a price exactly on a barrier of ``band_exit_probability`` has left the open band
``(lower, upper)``: the probability is exactly 1 (the docstring: "A price outside the band gives
1"), not the images series evaluated at ``a = 0``, which rounds to 1 - 1.1e-16 in these cases
(found by a scan of 20,000 random bands; issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.risk import band_exit_probability

# (lower, upper, sigma_per_year, tau_years, mu_per_year): the series at a = 0 gives 0.9999999999999999
CASES = [
    (2981.8466543601617, 3001.1322113155406, 0.18759914019571639, 0.005161953817041398,
     0.719750799043724),
    (2845.5427166136624, 3002.248148174914, 2.9575248613328746, 0.013032197792086659,
     1.9460936227483057),
    (2998.795970916047, 3092.168650465921, 0.6105172340389553, 0.05680310016089712,
     -0.4431013814225295),
]


@pytest.mark.parametrize(("lower", "upper", "sigma", "tau", "mu"), CASES)
def test_a_price_on_a_barrier_has_left_the_band(lower, upper, sigma, tau, mu):
    assert band_exit_probability(lower, lower, upper, sigma, tau, mu) == 1.0
    assert band_exit_probability(upper, lower, upper, sigma, tau, mu) == 1.0
    # vectorized: the barrier elements are 1, the inside one is a probability (for the second
    # case s = 6.3 w: the exit is 1 - 1e-85 by mpmath at 60 digits, 1.0 in floats)
    p = np.array([lower, 0.5 * (lower + upper), upper])
    got = band_exit_probability(p, lower, upper, sigma, tau, mu)
    assert got[0] == 1.0 and got[2] == 1.0 and 0.0 < got[1] <= 1.0
    assert got[1] == band_exit_probability(p[1], lower, upper, sigma, tau, mu)

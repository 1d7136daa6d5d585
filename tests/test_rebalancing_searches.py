"""The vectorized searches of lpperp.rebalancing against independent scalar solvers.

``break_even_frequency``, ``optimal_frequency`` and ``break_even_volatility(..., frequency_per_year=)``
refine by vectorized passes of 47 points; here each is checked against a different algorithm run on
the public ``rebalancing_economics``: scipy's Brent root finder (``brentq``) and bounded maximiser
(``minimize_scalar``) on ``log n``, and a 200-step scalar bisection on ``log sigma``.
"""

from dataclasses import replace

import numpy as np
import pytest
from scipy import optimize

from lpperp import costs as c
from lpperp import rebalancing as r
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
BUSY = replace(c.ETHEREUM, gas_price_gwei=20.0)
CASES = [(0.25, c.ETHEREUM, 0.3), (0.25, BUSY, 0.3), (0.25, c.ARBITRUM, 0.3), (0.1, c.BASE, 0.05),
         (0.4, BUSY, 0.5)]


def _net(log_n: float, sigma: float, chain: c.Chain, fee_apr: float) -> float:
    e = r.rebalancing_economics(LP, 3000.0, sigma, chain, float(np.exp(log_n)), fee_apr=fee_apr)
    return float(e.net_yield_per_year[0])


@pytest.mark.parametrize(("sigma", "chain", "fee_apr"), CASES)
def test_break_even_frequency_is_brents_root(sigma, chain, fee_apr):
    n = r.break_even_frequency(LP, 3000.0, sigma, chain, fee_apr=fee_apr)
    assert np.isfinite(n)
    # the root is bracketed 1 % either side (one sign change there: checked by brentq itself)
    ref = optimize.brentq(_net, np.log(n / 1.01), np.log(n * 1.01), args=(sigma, chain, fee_apr),
                          xtol=1e-15, rtol=4 * np.finfo(float).eps)
    assert n == pytest.approx(np.exp(ref), rel=1e-12)


@pytest.mark.parametrize(("sigma", "chain", "fee_apr"), CASES)
def test_optimal_frequency_is_the_bounded_maximum(sigma, chain, fee_apr):
    f = r.frequency_search(LP, 3000.0, sigma, chain, fee_apr=fee_apr)
    n = r.optimal_frequency(LP, 3000.0, sigma, chain, fee_apr=fee_apr)
    assert f.optimal_frequency_per_year == n
    assert f.break_even_frequency_per_year == r.break_even_frequency(LP, 3000.0, sigma, chain,
                                                                     fee_apr=fee_apr)
    res = optimize.minimize_scalar(lambda x: -_net(x, sigma, chain, fee_apr), method="bounded",
                                   bounds=(np.log(n / 1.5), np.log(n * 1.5)),
                                   options={"xatol": 1e-10})
    # a flat maximum: located to ~1e-6, its value to ~1e-12
    assert n == pytest.approx(np.exp(res.x), rel=1e-5)
    assert f.optimal_net_yield_per_year == pytest.approx(-res.fun, rel=1e-11)
    assert f.optimal_net_apr == pytest.approx(_net(np.log(n), sigma, chain, fee_apr) / f.value,
                                              rel=1e-12)
    assert f.value == pytest.approx(10_000.0, rel=1e-12)


def _bisect_volatility(width: float, fee_apr: float, n: float, chain: c.Chain) -> float:
    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=width)

    def net(log_sig: float) -> float:
        e = r.rebalancing_economics(lp, 3000.0, float(np.exp(log_sig)), chain, n, fee_apr=fee_apr)
        return float(e.net_yield_per_year[0])

    lo, hi = np.log(1e-3), np.log(10.0)
    if net(lo) < 0:
        return float("nan")
    if net(hi) >= 0:
        return float("inf")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if net(mid) >= 0 else (lo, mid)
    return float(np.exp(0.5 * (lo + hi)))


def test_policy_break_even_volatility_is_the_scalar_bisection():
    widths, aprs, freqs = [10.0, 20.0], [0.02, 0.3, 1.5], [1.0, 52.0, 8760.0]
    got = r.break_even_volatility(np.array(widths)[:, None, None], np.array(aprs)[:, None],
                                  frequency_per_year=np.array(freqs), chain=BUSY)
    assert got.shape == (2, 3, 3)
    kinds = set()
    for i, w in enumerate(widths):
        for j, a in enumerate(aprs):
            for k, n in enumerate(freqs):
                ref = _bisect_volatility(w, a, n, BUSY)
                kinds.add("finite" if np.isfinite(ref) else str(ref))
                if np.isfinite(ref):
                    assert got[i, j, k] == pytest.approx(ref, rel=1e-13)
                else:
                    assert str(got[i, j, k]) == str(ref)
                # one element alone: the same to the search's resolution (an array of 18
                # policies takes fewer points per pass, hence other rounding)
                one = r.break_even_volatility(w, a, frequency_per_year=n, chain=BUSY)
                if np.isfinite(ref):
                    assert one == pytest.approx(got[i, j, k], rel=1e-13)
                else:
                    assert str(one) == str(got[i, j, k])
    assert kinds == {"finite", "nan"}


def test_break_even_frequency_is_inf_when_the_fastest_allowed_frequency_still_pays():
    """``inf`` when the net yield is still >= 0 at ``max_frequency_per_year`` (the docstring's
    rule), checked against rebalancing_economics at that frequency; lowering the cap below the
    finite break-even gives inf, raising it gives the finite root again."""
    from lpperp.costs import ARBITRUM
    from lpperp.position import LPPosition
    from lpperp.rebalancing import break_even_frequency, rebalancing_economics

    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    kw = {"fee_apr": 0.3}
    n_star = break_even_frequency(lp, 3000.0, 0.25, ARBITRUM, **kw)
    assert np.isfinite(n_star)
    cap = 0.5 * n_star
    at_cap = rebalancing_economics(lp, 3000.0, 0.25, ARBITRUM, [cap], **kw)
    assert float(at_cap.net_yield_per_year[0]) >= 0.0
    assert break_even_frequency(lp, 3000.0, 0.25, ARBITRUM, max_frequency_per_year=cap,
                                **kw) == np.inf
    assert break_even_frequency(lp, 3000.0, 0.25, ARBITRUM, max_frequency_per_year=2 * n_star,
                                **kw) == pytest.approx(n_star, rel=1e-9)

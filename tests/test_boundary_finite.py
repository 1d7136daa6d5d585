"""Reported liquidation boundaries are prices: finite, each a sign change of the account's margin.

An LP-and-cash account without a perp is worth a constant above its range (all quote), so the fast
kernel's piece above the range has slope 0 and its root ``-c/0`` is ``inf``: it was reported as a
third boundary (found by the mutation work of issue 14, 2026-11-30).

The reference is the closed form of the account below: an LP of liquidity ``L`` on ``[1, 100]``
counted by its base only (``quote_factor = 0``), ``base(P) P = L (sqrt(P) - P / sqrt(100))``
inside the range, minus a debt of 1024 quote, no perp (maintenance 0). With ``L = 640`` the margin
``640 (sqrt(P) - P / 10) - 1024`` is 0 exactly at ``P = 4`` and ``P = 64`` (``sqrt P = 2, 8``); above
the range it is ``-1024`` (no root), below it ``576 P - 1024 < 0``.
"""

import numpy as np
import pytest

from lpperp.liquidation import solve_boundaries
from lpperp.perp import MarginRules

RULES = MarginRules("q", 0.5, 0.25)


def _margin(p):
    p = np.asarray(p, dtype=float)
    sq = np.sqrt(np.clip(p, 1.0, 100.0))
    base = 640.0 * (1.0 / sq - 0.1)
    return base * p - 1024.0


@pytest.mark.parametrize("price", [10.0, 3.0, 80.0, 200.0])
def test_an_lp_and_cash_account_without_a_perp_has_two_finite_boundaries(price):
    res = solve_boundaries(price, 0.0, 1.0, -1024.0, price_lower=1.0, price_upper=100.0,
                           liquidity=640.0, rules=RULES, quote_factor=0.0)
    b = np.asarray(res.boundaries, dtype=float)
    assert b.tolist() == [4.0, 64.0]
    if 4.0 < price < 64.0:  # safe between the two boundaries
        assert (float(res.safe_lower), float(res.safe_upper)) == (4.0, 64.0)
    else:  # liquidatable now: no safe interval around the price
        assert np.isnan(res.safe_lower) and np.isnan(res.safe_upper)
    # each boundary is a sign change of the closed-form margin
    for x in b:
        assert _margin(x * (1 - 1e-9)) * _margin(x * (1 + 1e-9)) < 0
    assert bool(res.liquidatable_now) == bool(_margin(price) < 0)


def test_no_boundary_is_infinite_on_random_accounts_without_a_perp():
    rng = np.random.default_rng(7)
    n = 400
    pa = rng.uniform(100.0, 2000.0, n)
    pb = pa * rng.uniform(1.05, 4.0, n)
    res = solve_boundaries(rng.uniform(50.0, 9000.0, n), 0.0, 1.0, -rng.uniform(0, 5e4, n),
                           price_lower=pa, price_upper=pb, liquidity=rng.uniform(1, 5e3, n),
                           rules=RULES, quote_factor=rng.uniform(0.0, 1.0, n))
    b = np.asarray(res.boundaries, dtype=float)
    assert not np.isinf(b).any()
    assert np.isfinite(b).any()  # the case is not vacuous

"""Binance's tier re-check: the tiered liquidation price is the one-tier price of the tier its own
notional falls in (issue 14).

Binance's FAQ ("How to calculate liquidation price of USDⓈ-M contracts", read 2026-11-30)
computes ``LP`` with one tier's ``MMR`` and ``cum`` and re-checks the tier at ``|size| * LP``:
the answer is the price whose notional lies in ``[floor_n, floor_{n+1})`` of the tier ``n`` that
produced it. The reference here is that rule, written as a direct loop: the tier of the returned
price's notional (floors are closed below), then :func:`binance_liquidation_price` (the one-tier
formula, checked against the FAQ's worked example in tests/test_venues.py) with that tier's rate
and ``cum``. The case on a floor is the sharp one: the notional at the tier-1 candidate is exactly
50,000, and the tier-0 candidate rounds one ulp higher, so it would claim tier 1 with tier 0's
rate.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.venues import (
    binance_cum_amounts,
    binance_liquidation_price,
    binance_liquidation_price_tiered,
)

FLOORS = [0.0, 50_000.0, 600_000.0]
RATES = [0.004, 0.005, 0.0065]


def _tier_of(notional: float) -> int:
    return max(i for i, f in enumerate(FLOORS) if f <= notional)


def _rechecked(wb: float, size: float, ep: float, price: float) -> float:
    """The one-tier price of the tier that ``price``'s notional falls in."""
    cum = binance_cum_amounts(FLOORS, RATES)
    k = _tier_of(abs(size) * price)
    return binance_liquidation_price(wb, size, ep, RATES[k], float(cum[k]))


def test_a_notional_exactly_on_a_floor_takes_the_tier_of_that_floor():
    # long 80.207 @ 908.39 (notional 72,860: tier 1), isolated wallet found by a scan of the
    # wallets one ulp apart around the one putting the liquidation notional on 50,000
    wb, size, ep = float.fromhex("0x1.684cf269595fap+14"), 80.207, 908.39  # 23,059.23673
    lp = binance_liquidation_price_tiered(wb, size, ep, FLOORS, RATES)
    assert abs(size) * lp == 50_000.0  # exactly on tier 1's floor
    assert _tier_of(abs(size) * lp) == 1
    assert lp == _rechecked(wb, size, ep, lp)
    assert lp == pytest.approx(50_000.0 / size, rel=1e-15)  # the maintenance is continuous there


@pytest.mark.parametrize("seed", range(3))
def test_the_price_is_the_one_tier_price_of_its_own_notionals_tier(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        size = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 400.0))
        ep = float(rng.uniform(500.0, 5000.0))
        wb = float(abs(size) * ep * rng.uniform(0.02, 0.9))
        lp = binance_liquidation_price_tiered(wb, size, ep, FLOORS, RATES)
        if np.isnan(lp):
            continue
        assert lp == _rechecked(wb, size, ep, lp)

"""Binance's tiered liquidation price when the liquidation notional lands exactly on a tier floor.

Binance's FAQ ("How to calculate liquidation price of USDⓈ-M contracts", read 2026-11-30)
computes ``LP = (WB - TMM1 + UPNL1 + cum - side * pos * EP) / (pos * MMR - side * pos)`` with
the entry tier and re-checks the tier at ``|size| * LP``. The maintenance ``N * MMR_n - cum_n`` is
continuous at the floors, so at a floor both tiers give the same price: ``floor / |size|``, where
the margin balance equals the maintenance by hand. These cases put the liquidation notional on a
floor; the two tiers' candidates round to either side of it, and the function returned NaN there
(no tier looked self-consistent) before the tier was taken as the last one whose floor its
candidate reaches.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp.venues import binance_liquidation_price_tiered

FLOORS = [0.0, 50_000.0, 600_000.0, 3_000_000.0]
RATES = [0.004, 0.005, 0.0065, 0.01]
CUM = [0.0, 50.0, 950.0, 11_450.0]  # cum_n = cum_{n-1} + floor_n (MMR_n - MMR_{n-1}), by hand


def _by_hand_gap(wb, size, ep, price):
    """Margin balance minus maintenance at ``price`` (isolated, one position)."""
    n = abs(size) * price
    k = max(i for i, f in enumerate(FLOORS) if f <= n)
    return wb + size * (price - ep) - (n * RATES[k] - CUM[k])


@pytest.mark.parametrize(("wb", "size", "ep", "expected"), [
    (599949.9999999999, -1.0, 3000.0, 600_000.0),  # short: notional 600,000 (tier 2's floor)
    (37699.99999999999, -5.0, 2500.0, 10_000.0),  # short 5: notional 50,000 (tier 1's floor)
])
def test_a_liquidation_exactly_on_a_tier_floor_is_found(wb, size, ep, expected):
    lp = binance_liquidation_price_tiered(wb, size, ep, FLOORS, RATES)
    assert lp == pytest.approx(expected, rel=1e-12)
    assert _by_hand_gap(wb, size, ep, expected) == pytest.approx(0.0, abs=1e-6)


def test_every_floor_from_either_tier_for_longs_and_shorts():
    """Wallets built from either neighbouring tier's line so that ``|size| LP`` is each floor."""
    fl, r, cum = np.array(FLOORS), np.array(RATES), np.array(CUM)
    wbs, sizes, eps, want = [], [], [], []
    for size in (-40.0, -5.0, -2.0, -1.0, 0.3, 1.0, 7.0, 25.0):
        for ep in (1234.5, 2500.0, 3000.0, 3333.0):
            for k in (1, 2, 3):
                price = fl[k] / abs(size)
                for t in (k - 1, k):
                    side = np.sign(size)
                    wb = price * (abs(size) * r[t] - side * abs(size)) - cum[t] + side * abs(size) * ep
                    wbs.append(wb)
                    sizes.append(size)
                    eps.append(ep)
                    want.append(price)
    got = binance_liquidation_price_tiered(np.array(wbs), np.array(sizes), np.array(eps), FLOORS,
                                           RATES)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    for w, s, e, p in zip(wbs, sizes, eps, got, strict=True):
        assert abs(_by_hand_gap(w, s, e, p)) <= 1e-9 * abs(s) * p + 1e-6


def test_no_positive_liquidation_price_is_nan():
    """A long whose wallet pays for the whole position (margin balance ``|size| P`` at every
    price, above ``|size| P MMR``) is liquidated at no positive price; a short whose wallet is
    ``-5000`` against ``1 x 3000`` has a margin balance ``-2000 - P < 0`` at every price (every
    tier's line crosses zero at a notional below its own floor, though the last tier's candidate,
    ``(-2000 + 11450) / 1.01 = 9356``, is positive). Both are NaN, by hand."""
    assert _by_hand_gap(3000.0, 1.0, 3000.0, 1e-9) > 0 and _by_hand_gap(3000.0, 1.0, 3000.0, 1e9) > 0
    assert np.isnan(binance_liquidation_price_tiered(3000.0, 1.0, 3000.0, FLOORS, RATES))
    assert all(_by_hand_gap(-5000.0, -1.0, 3000.0, p) < 0 for p in (1e-9, 1.0, 9356.0, 1e7))
    assert np.isnan(binance_liquidation_price_tiered(-5000.0, -1.0, 3000.0, FLOORS, RATES))


def test_positions_are_tiered_one_by_one_in_a_vectorized_call():
    """Each wallet's own tiers decide its price: the under-water short stays NaN next to a
    position that has a liquidation price (FAQ example tiers, by hand above)."""
    lp = binance_liquidation_price_tiered(np.array([37699.99999999999, -5000.0]),
                                          np.array([-5.0, -1.0]), np.array([2500.0, 3000.0]),
                                          FLOORS, RATES)
    assert lp[0] == pytest.approx(10_000.0, rel=1e-12) and np.isnan(lp[1])

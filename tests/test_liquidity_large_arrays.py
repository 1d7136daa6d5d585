"""lpperp.liquidity.value_for_liquidity on large 1-d price arrays (the blocked kernel).

Arrays above two blocks (2 x 2**15 prices) are computed block by block; a block whose values are
not all > 0 sends the prices back to the check that names the bad one. References: the core
formula of lpperp DESIGN.md written out here (``V = L (P / s - P / sqrt(pb) + s - sqrt(pa))``,
``s = sqrt(clip(P, pa, pb))``), and the small-array path's own errors, which large arrays must
repeat word for word.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.liquidity import value_for_liquidity

N = 3 * 2**15 + 11  # three blocks and a tail


def by_hand(p, pa, pb, liq):
    s = np.sqrt(np.clip(p, pa, pb))
    return liq * ((p / s - p / np.sqrt(pb)) + (s - np.sqrt(pa)))


def test_a_reversed_range_is_named_as_for_small_arrays():
    with pytest.raises(LpperpError) as small:
        value_for_liquidity(np.full(5, 3000.0), 3600.0, 2500.0, 1.0)
    with pytest.raises(LpperpError) as big:
        value_for_liquidity(np.full(N, 3000.0), 3600.0, 2500.0, 1.0)
    assert str(big.value) == str(small.value)
    assert str(big.value).startswith("price_lower must be < price_upper, got price_lower=3600.0")


@pytest.mark.parametrize("bad", [0.0, np.inf, np.nan, -1.0])
def test_a_bad_price_in_a_large_array_is_named_without_a_numpy_warning(bad):
    p = np.full(N, 3000.0)
    p[2**15 + 3] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LpperpError, match=r"^price must be a finite number > 0"):
            value_for_liquidity(p, 2500.0, 3600.0, 1e3)


@pytest.mark.parametrize("liq", [1e-6, 1e3])
def test_values_at_most_one_are_still_values(liq):
    """A small liquidity (every value below 1 quote) and low prices: every block is computed."""
    rng = np.random.default_rng(3)
    p = rng.uniform(1e-3, 5000.0, N)
    v = value_for_liquidity(p, 2500.0, 3600.0, liq)
    np.testing.assert_allclose(v, by_hand(p, 2500.0, 3600.0, liq), rtol=1e-13)
    assert (v > 0).all()


@pytest.mark.parametrize("price", [3000.0, np.full(7, 3000.0), np.full(N, 3000.0)])
def test_a_negative_liquidity_is_named(price):
    with pytest.raises(LpperpError, match=r"^liquidity must be"):
        value_for_liquidity(price, 2500.0, 3600.0, -1.0)

"""lpperp.liquidity.value_for_liquidity: a price's value does not depend on how many prices are
passed with it (issue 14).

Arrays above two blocks (2 x 2**15 prices) take the blocked kernel, smaller ones the general
formula. Both must give the same bits for the same price and raise the same error for the same bad
argument. References: the value above the range is the closed form ``L (sqrt(pb) - sqrt(pa))``
(all quote, lpperp DESIGN.md / Uniswap v3 whitepaper eq. 6.29-6.30): one number for every price
above ``pb``, whatever the batch; and the value of a price computed alone (a Python float) is
the value of that price inside any array.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.liquidity import value_for_liquidity

SIZES = [1, 7, 2**16 - 1, 2**16, 2**16 + 1, 3 * 2**15, 3 * 2**15 + 1, 200_003]


@pytest.mark.parametrize("n", SIZES)
def test_the_value_above_the_range_is_one_number_for_every_batch_size(n):
    pa, pb, liq = 2500.0, 3600.0, 1000.0
    p = np.random.default_rng(n).uniform(3600.0, 9000.0, n)
    v = value_for_liquidity(p, pa, pb, liq)
    flat = liq * (math.sqrt(pb) - math.sqrt(pa))
    assert np.unique(v).size == 1
    assert v[0] == pytest.approx(flat, rel=1e-15)


def test_a_price_has_the_same_value_alone_and_in_any_batch():
    pa, pb, liq = 2500.0, 3600.0, 7.0
    p = np.random.default_rng(5).uniform(1000.0, 5000.0, 200_003)
    p[:3] = [2500.0, 3600.0, 3000.0]
    whole = value_for_liquidity(p, pa, pb, liq)
    alone = np.array([value_for_liquidity(float(x), pa, pb, liq) for x in p[:300]])
    assert (whole[:300] == alone).all()
    for n in SIZES[1:-1]:
        assert (value_for_liquidity(p[:n].copy(), pa, pb, liq) == whole[:n]).all(), n


@pytest.mark.parametrize("n", [5, 2**16, 2**16 + 1, 3 * 2**15 + 1, 100_000])
def test_the_same_error_names_the_same_argument_whatever_the_size(n):
    """Range first, then liquidity, then the prices, for small and large arrays alike."""
    bad_prices = np.full(n, -3000.0)
    with pytest.raises(LpperpError, match=r"^price_lower must be < price_upper"):
        value_for_liquidity(bad_prices, 3600.0, 2500.0, 1.0)
    with pytest.raises(LpperpError, match=r"^liquidity must be"):
        value_for_liquidity(bad_prices, 2500.0, 3600.0, -1.0)
    with pytest.raises(LpperpError, match=r"^price must be a finite number > 0"):
        value_for_liquidity(bad_prices, 2500.0, 3600.0, 0.0)


@pytest.mark.parametrize("n", [3, 100_000])
def test_a_plain_float64_array_comes_back_for_an_array_subclass(n):
    class Tagged(np.ndarray):
        pass

    p = np.full(n, 3000.0).view(Tagged)
    for liq in (0.0, 2.0):
        v = value_for_liquidity(p, 2500.0, 3600.0, liq)
        assert type(v) is np.ndarray and v.dtype == np.float64 and v.shape == (n,)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_a_price_has_the_same_value_whatever_the_arrays_dtype(dtype):
    """float32 and integer prices are the same numbers in float64: the same values, bit for bit."""
    p = np.random.default_rng(9).uniform(1000.0, 5000.0, 100_000).astype(dtype)
    got = value_for_liquidity(p, 2500.0, 3600.0, 7.0)
    want = value_for_liquidity(p.astype(np.float64), 2500.0, 3600.0, 7.0)
    assert got.dtype == np.float64 and (got == want).all()

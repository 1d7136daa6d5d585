"""lpperp.swap.float_swap: large batches (>= 2**15 swaps, blocked and threaded) equal the general path.

The large-batch kernel is an optimisation with a fallback: whenever a block fails a check (a swap
leaves its segment, a price lies outside the segment, an amount or price is not finite) the
general path recomputes everything. The reference here is the general path itself, run on chunks
below the batch threshold, plus the one-segment closed form (``r = L / (L + xe sqrt(P))``,
``P1 = P r^2``, ``quote = xe P r``, ``/ (1 - f)`` for purchases; see lpperp.swap's docstring).
Profiles with one finite edge (``[lo, inf)``, ``(0, hi]``) and with edges below 1 check that a
swap that would leave the profile is never filled by the kernel. Bad values are named without a
numpy RuntimeWarning (warnings are errors here).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from swap_refs import in_batches

from lpperp._validate import LpperpError
from lpperp.swap import LiquidityProfile, execution_cost, float_swap

BIG = 2**15 + 3  # just above the kernel's threshold: two blocks of 2**14 and a tail of 3
CHUNK = 2**15 - 1


def general(prof, price, x):
    """float_swap on chunks below the large-batch threshold (the general, segment-walking path)."""
    return in_batches(prof, price, x, CHUNK)


def closed_form(liq, fee, price, x):
    s = np.sqrt(price)
    xe = np.where(x > 0, x * (1 - fee), x)
    r = liq / (liq + xe * s)
    q = xe * price * r
    return np.where(x > 0, q, q / (1 - fee)), price * r * r


def same(a, b, rtol=1e-13):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rtol, atol=1e-300)


RNG = np.random.default_rng(11)
MIXED = RNG.uniform(-1.0, 1.0, BIG)
SALES = RNG.uniform(0.0, 1.0, BIG)
BUYS = -RNG.uniform(0.0, 1.0, BIG)


@pytest.mark.parametrize(("edges", "price", "amounts", "scale", "liq"), [
    ([2000.0, np.inf], 2100.0, "sales", 2e3, 3e5),  # sales past the lower edge: NaN, not filled
    ([0.5, np.inf], 0.6, "sales", 8e3, 3e4),  # a lower edge below 1
    ([0.0, 4000.0], 3900.0, "buys", 60.0, 3e4),  # purchases past the upper edge
    ([0.0, 1.5], 1.4, "buys", 2e3, 3e4),
    ([2000.0, 4500.0], 3000.0, "mixed", 1e4, 3e5),  # both edges, both directions
    ([0.0, np.inf], 3000.0, "mixed", 1.0, 3e5),  # all prices: nothing to leave
])
def test_kernel_never_fills_a_swap_that_leaves_a_one_segment_profile(edges, price, amounts, scale,
                                                                     liq):
    prof = LiquidityProfile(edges, [liq], 0.003)
    x = {"sales": SALES, "buys": BUYS, "mixed": MIXED}[amounts] * scale
    x[::1001] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, p1 = float_swap(prof, price, x)
        q_ref, p_ref = general(prof, price, x)
    same(q, q_ref)
    same(p1, p_ref)
    fill = ~np.isnan(q_ref)
    assert fill.all() if np.isinf(edges[1]) and edges[0] == 0 else 0.05 < fill.mean() < 0.95
    q_cf, p_cf = closed_form(liq, 0.003, price, x)
    np.testing.assert_allclose(q[fill], q_cf[fill], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(p1[fill], p_cf[fill], rtol=1e-12)
    assert ((p1[fill] >= edges[0]) & (p1[fill] <= edges[1])).all()


@pytest.mark.parametrize("amounts", ["sales", "buys", "mixed"])
@pytest.mark.parametrize("prices", ["scalar", "array"])
def test_kernel_equals_the_closed_form_on_all_prices(amounts, prices):
    fee, liq = 0.0005, 2e5
    prof = LiquidityProfile.uniform(3000.0, liq, fee)
    x = {"sales": SALES, "buys": BUYS, "mixed": MIXED}[amounts] * 10.0
    p = RNG.uniform(2500.0, 3500.0, BIG) if prices == "array" else 3000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, p1 = float_swap(prof, p, x)
        cost = execution_cost(prof, p, x)
    q_cf, p_cf = closed_form(liq, fee, np.asarray(p), x)
    np.testing.assert_allclose(q, q_cf, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p1, p_cf, rtol=1e-12)
    np.testing.assert_allclose(cost, x * p - q_cf, rtol=1e-7, atol=1e-9)


def test_array_prices_on_a_finite_segment_and_an_inner_segment_of_a_profile():
    prof = LiquidityProfile([2000.0, 4500.0], [3e5], 0.0001)
    p = RNG.uniform(2000.0, 4500.0, BIG)
    p[:3] = [2000.0, 4500.0, 3000.0]  # on the edges: inside the segment
    x = MIXED * 5.0
    q, p1 = float_swap(prof, p, x)
    q_ref, p_ref = general(prof, p, x)
    same(q, q_ref)
    same(p1, p_ref)
    # an inner segment of a concentrated profile: the price one number, amounts inside and out
    conc = LiquidityProfile.concentrated(3000.0, 1e5, 0.003)
    for price in (3000.0, float(conc.price_edges[2]), float(conc.price_edges[3]) * (1 - 1e-12)):
        x = MIXED * np.where(np.arange(BIG) % 97 == 0, 400.0, 1.0)
        q, p1 = float_swap(conc, price, x)
        q_ref, p_ref = general(conc, price, x)
        same(q, q_ref)
        same(p1, p_ref)


def test_threaded_batches_equal_the_general_path():
    n = 2**19 + 12_345  # the threaded kernel: spans of whole blocks per worker, a ragged tail
    rng = np.random.default_rng(5)
    prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    x = rng.uniform(-1.0, 1.0, n)
    q, p1 = float_swap(prof, 3000.0, x)
    q_cf, p_cf = closed_form(1e6, 0.0005, 3000.0, x)
    np.testing.assert_allclose(q, q_cf, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p1, p_cf, rtol=1e-12)
    x[-1] = -1e9  # the last swap of the last span cannot be filled: every span is checked
    q, p1 = float_swap(prof, 3000.0, x)
    assert np.flatnonzero(np.isnan(q)).tolist() == [n - 1]


def test_bad_values_in_large_batches_are_named_without_numpy_warnings():
    prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, 2**14 + 7, BIG - 1):
            y = MIXED.copy()
            y[where] = bad
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with pytest.raises(LpperpError, match=rf"^base_amount must be finite.*{where}"):
                    float_swap(prof, 3000.0, y)
    for bad in (0.0, -3000.0, np.nan, np.inf):
        p = np.full(BIG, 3000.0)
        p[BIG - 2] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(LpperpError, match=r"^price must be a finite number > 0"):
                float_swap(prof, p, MIXED)
    all_base = MIXED.copy()
    all_base[17] = -1e12  # more base than the pool holds: NaN, the others filled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, _ = float_swap(prof, 3000.0, all_base)
    assert np.flatnonzero(np.isnan(q)).tolist() == [17]


def test_batches_of_other_shapes_and_dtypes_equal_their_float64_1d_values():
    prof = LiquidityProfile.concentrated(3000.0, 1e5, 0.003)
    x = RNG.uniform(-2.0, 2.0, 2**16)
    q, p1 = float_swap(prof, 3000.0, x)
    q2, p2 = float_swap(prof, 3000.0, x.reshape(2, 2**15))  # 2-d: the general path, same numbers
    np.testing.assert_allclose(q2, q.reshape(2, 2**15), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(p2, p1.reshape(2, 2**15), rtol=1e-13)
    x32 = x.astype(np.float32)  # float32 amounts are converted to float64 before any arithmetic
    q3, p3 = float_swap(prof, 3000.0, x32)
    q4, p4 = float_swap(prof, 3000.0, x32.astype(np.float64))
    np.testing.assert_allclose(q3, q4, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(p3, p4, rtol=1e-13)
    with pytest.raises(LpperpError, match=r"^profile must be a LiquidityProfile"):
        float_swap("profile", 3000.0, x)

"""Processes: the edges the mutation run found unchecked (issue 14) - the Merton construction checks
at each of their terms, the funding step's special cases against its closed form, path chunking
and budgets at the chunk width, and what a price process must provide."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp._validate import MAX_PATH_STEPS, LpperpError
from lpperp.processes import (
    GBM,
    PATH_BLOCK,
    BlockBootstrap,
    MertonJumpDiffusion,
    OUFunding,
    check_process,
    iter_increments,
    iter_paths,
    progress_bar,
    sample_funding,
)


def test_merton_checks_each_term_of_the_variance():
    # variance sigma^2 + lam (m^2 + sd^2) <= 1e4, each term on its own
    MertonJumpDiffusion(50.0, 0.0, 0.0, 0.0)  # sigma^2 = 2500
    MertonJumpDiffusion(0.0, 2000.0, 0.0, 2.0)  # lam sd^2 = 8000
    with pytest.raises(LpperpError, match="variance of log returns per year"):
        MertonJumpDiffusion(0.0, 5e4, -0.5, 0.0)  # lam m^2 = 12500
    with pytest.raises(LpperpError, match="variance of log returns per year"):
        MertonJumpDiffusion(99.0, 100.0, 0.0, 2.0)  # 9801 + 400


def test_merton_construction_is_quiet_at_the_float_edges():
    with np.errstate(all="raise"):
        # no jump size (kappa = 0) at a positive rate: a GBM in disguise, accepted
        m = MertonJumpDiffusion(0.5, 3.0, 0.0, 0.0)
        assert m.kappa == 0.0 and m.total_volatility == 0.5
        # lam kappa overflows (1e300 x (e^50 - 1)): refused by name, no FloatingPointError
        with pytest.raises(LpperpError, match="drift compensation inf"):
            MertonJumpDiffusion(0.1, 1e300, 50.0, 0.0)
        # m^2 overflows to inf and lam = 0: 0 x inf is NaN, refused
        with pytest.raises(LpperpError, match="got nan"):
            MertonJumpDiffusion(0.1, 0.0, -1e200, 0.0)


def test_block_length_is_a_python_int():
    bb = BlockBootstrap([0.01, -0.02, 0.005], 1.0, np.int64(3))
    assert type(bb.block_length) is int and bb.block_length == 3


def test_chunk_width_is_whole_blocks_at_least_one():
    def chunks(n_paths, cp):
        return [(a, b) for a, b, _ in iter_increments(GBM(0.5), 1.0, 1, n_paths, 0, chunk_paths=cp)]

    assert chunks(5000, 1) == [(0, PATH_BLOCK), (PATH_BLOCK, 5000)]
    assert chunks(5000, PATH_BLOCK + 1) == [(0, 5000)]
    assert chunks(3 * PATH_BLOCK, 2 * PATH_BLOCK) == [(0, 2 * PATH_BLOCK),
                                                      (2 * PATH_BLOCK, 3 * PATH_BLOCK)]
    assert chunks(3 * PATH_BLOCK, None) == [(0, PATH_BLOCK), (PATH_BLOCK, 2 * PATH_BLOCK),
                                            (2 * PATH_BLOCK, 3 * PATH_BLOCK)]


def test_iter_paths_budgets_one_chunk_of_the_requested_width():
    # (n_steps + 1) x chunk width values: 2 x 8192 with chunk_paths = 8192
    with pytest.raises(LpperpError, match=r"^iter_paths \(one chunk\): an array of 1.64e\+04"):
        iter_paths(GBM(0.5), 1.0, 1.0, 1, 2 * PATH_BLOCK, chunk_paths=2 * PATH_BLOCK,
                   max_array_values=2 * 2 * PATH_BLOCK - 1)
    iter_paths(GBM(0.5), 1.0, 1.0, 1, 2 * PATH_BLOCK, chunk_paths=2 * PATH_BLOCK,
               max_array_values=2 * 2 * PATH_BLOCK)


def test_a_raised_path_step_limit_reaches_the_increments():
    # 2e9 + 1 path-steps are refused by default and accepted (lazily: no draw yet) when the limit
    # is raised; iter_paths passes the raised limit on to iter_increments
    n = MAX_PATH_STEPS + 1
    with pytest.raises(LpperpError, match=r"^iter_paths: "):
        iter_paths(GBM(0.5), 1.0, 1.0, 1, n)
    it = iter_paths(GBM(0.5), 1.0, 1.0, 1, n, max_path_steps=2 * MAX_PATH_STEPS)
    it.close()
    it = iter_increments(GBM(0.5), 1.0, 1, n, max_path_steps=2 * MAX_PATH_STEPS)
    it.close()


def test_ou_funding_step_special_cases_follow_the_closed_form():
    dt, z_ret, z_own = 0.01, np.array([1.0, -2.0]), np.array([0.5, 0.25])
    # no mean reversion: x' = x + sigma sqrt(dt) (rho z_ret + sqrt(1 - rho^2) z_own)
    f = OUFunding(0.1, 0.0, 2.0, correlation=0.6, cap_per_hour=1.0)
    state, rate = f.step(np.array([0.3, 0.3]), dt, z_ret, z_own)
    want = 0.3 + 2.0 * math.sqrt(dt) * (0.6 * z_ret + 0.8 * z_own)
    np.testing.assert_allclose(state, want, rtol=1e-14)
    np.testing.assert_allclose(rate, want, rtol=1e-14)
    # perfectly correlated: the rate moves with the price's return only
    f = OUFunding(0.1, 3.0, 2.0, correlation=1.0, cap_per_hour=1.0)
    state, _ = f.step(np.array([0.3, 0.3]), dt, z_ret, z_own)
    a = math.exp(-3.0 * dt)
    sd = 2.0 * math.sqrt((1 - math.exp(-6.0 * dt)) / 6.0)
    np.testing.assert_allclose(state, 0.1 + (0.3 - 0.1) * a + sd * z_ret, rtol=1e-14)
    f = OUFunding(0.1, 3.0, 2.0, correlation=-1.0, cap_per_hour=1.0)
    state, _ = f.step(np.array([0.3, 0.3]), dt, z_ret, z_own)
    np.testing.assert_allclose(state, 0.1 + (0.3 - 0.1) * a - sd * z_ret, rtol=1e-14)
    # no volatility: deterministic decay, the noise is not used (the simulator passes none)
    f = OUFunding(0.1, 3.0, 0.0)
    assert not f.stochastic
    state, rate = f.step(np.array([0.3]), dt, None, None)
    np.testing.assert_allclose(state, [0.1 + 0.2 * a], rtol=1e-14)
    # uncorrelated: the price's return is not used either
    f = OUFunding(0.1, 3.0, 2.0)
    state, _ = f.step(np.array([0.3]), dt, None, np.array([0.5]))
    np.testing.assert_allclose(state, [0.1 + 0.2 * a + sd * 0.5], rtol=1e-14)


def test_funding_correlated_with_a_flat_price_has_no_price_part():
    # log returns all zero: their standardised value is 0 (not 0 / 0)
    f = OUFunding(0.1, 0.0, 1.0, correlation=0.5, cap_per_hour=1.0)
    with np.errstate(all="raise"):
        r = sample_funding(f, 1.0, 4, 3, seed=2, log_returns=np.zeros((4, 3)))
    assert np.isfinite(r).all()
    # the same draws as with returns whose standardised value is exactly 0: only sqrt(1 - rho^2)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(2)))
    x, want = np.full(3, 0.1), []
    for _ in range(4):
        z_own = rng.standard_normal(3)
        x = x + 1.0 * math.sqrt(0.25) * math.sqrt(0.75) * z_own
        want.append(x.copy())
    np.testing.assert_allclose(r, np.array(want).T, rtol=1e-13)


def test_a_price_process_needs_both_a_sampler_and_a_volatility():
    class OnlySampler:
        def sampler(self, ss, n_paths, dt_years):
            return None

    class OnlySigma:
        diffusion_sigma = 0.5

    class Both(OnlySampler, OnlySigma):
        pass

    for bad in (OnlySampler(), OnlySigma()):
        with pytest.raises(LpperpError, match=r"^process must be a price process"):
            check_process(bad)
    both = Both()
    assert check_process(both) is both


def test_progress_bar_keeps_the_total_of_a_generator():
    pytest.importorskip("tqdm")
    bar = progress_bar((i for i in range(3)), 3, True, "chunks")
    assert bar.total == 3
    assert list(bar) == [0, 1, 2]

"""Price processes: reproducibility, chunk invariance, moments against closed forms, bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.prices import sample_prices
from lpperp.processes import (
    GBM,
    HOURS_PER_YEAR,
    PATH_BLOCK,
    BlockBootstrap,
    ConstantFunding,
    MertonJumpDiffusion,
    OUFunding,
    as_funding,
    iter_increments,
    iter_paths,
    sample_funding,
    sample_paths,
)

MERTON = MertonJumpDiffusion(0.5, jump_rate_per_year=12.0, jump_mean=-0.06, jump_sd=0.1, mu_per_year=0.1)
BOOT = BlockBootstrap.from_series(sample_prices(), block_length=7)
PROCESSES = {"gbm": GBM(0.8, 0.05), "merton": MERTON, "bootstrap": BOOT}


def _all_increments(proc, n_paths, n_steps, seed, **kw):
    out = np.empty((n_steps, n_paths))
    for a, b, steps in iter_increments(proc, n_steps / 365, n_steps, n_paths, seed, **kw):
        for t0, x in steps:
            out[t0:t0 + x.shape[0], a:b] = x
    return out


@pytest.mark.parametrize("name", PROCESSES)
def test_same_seed_same_numbers_and_chunking_changes_nothing(name):
    proc = PROCESSES[name]
    n_paths, n_steps = 2 * PATH_BLOCK + 123, 40
    ref = _all_increments(proc, n_paths, n_steps, 11, chunk_paths=10**9, chunk_steps=n_steps)
    again = _all_increments(proc, n_paths, n_steps, 11)
    np.testing.assert_array_equal(ref, again)
    for cp, cs in [(1, 1), (PATH_BLOCK, 7), (2 * PATH_BLOCK, 13), (5000, 64)]:
        np.testing.assert_array_equal(
            ref, _all_increments(proc, n_paths, n_steps, 11, chunk_paths=cp, chunk_steps=cs)
        )
    other = _all_increments(proc, n_paths, n_steps, 12)
    assert not np.array_equal(ref, other)
    # a Generator seed works and is reproducible from the same generator state
    g1 = _all_increments(proc, 50, n_steps, np.random.default_rng(5))
    g2 = _all_increments(proc, 50, n_steps, np.random.default_rng(5))
    np.testing.assert_array_equal(g1, g2)


def test_sample_paths_equal_iterated_chunks():
    full = sample_paths(MERTON, 3000.0, 30 / 365, 30, 5000, seed=3)
    assert full.shape == (5000, 31) and (full[:, 0] == 3000.0).all()
    for a, b, p in iter_paths(MERTON, 3000.0, 30 / 365, 30, 5000, seed=3, chunk_paths=1):
        np.testing.assert_array_equal(full[a:b].T, p)
    inc = _all_increments(MERTON, 5000, 30, 3)
    np.testing.assert_allclose(np.log(full[:, 1:] / 3000.0), np.cumsum(inc, axis=0).T, atol=1e-12)


def test_gbm_moments_match_closed_form():
    sigma, mu, tau = 0.7, 0.2, 0.5
    p = sample_paths(GBM(sigma, mu), 100.0, tau, 10, 200_000, seed=1)[:, -1]
    x = np.log(p / 100.0)
    n = x.size
    assert abs(x.mean() - (mu - sigma**2 / 2) * tau) < 4 * sigma * math.sqrt(tau / n)
    assert abs(x.var() / (sigma**2 * tau) - 1) < 4 * math.sqrt(2 / n)
    se = p.std() / math.sqrt(n)
    assert abs(p.mean() - 100.0 * math.exp(mu * tau)) < 4 * se


def test_merton_mean_and_variance_match_closed_form():
    tau = 1.0
    p = sample_paths(MERTON, 100.0, tau, 52, 100_000, seed=2)[:, -1]
    x = np.log(p / 100.0)
    n = x.size
    assert abs(x.var() / (MERTON.total_volatility**2 * tau) - 1) < 0.02
    assert abs(p.mean() - 100.0 * math.exp(MERTON.mu_per_year * tau)) < 4 * p.std() / math.sqrt(n)
    # one day: jumps dominate the tails; excess kurtosis lam dt m4 / var^2 (cumulants of a compound
    # Poisson: m4 = E[J^4] = mu^4 + 6 mu^2 sd^2 + 3 sd^4)
    dt = 1 / 365
    x1 = np.log(sample_paths(MERTON, 100.0, dt, 1, 400_000, seed=3)[:, -1] / 100.0)
    m, s = MERTON.jump_mean, MERTON.jump_sd
    m4 = m**4 + 6 * m**2 * s**2 + 3 * s**4
    excess = MERTON.jump_rate_per_year * dt * m4 / (MERTON.total_volatility**2 * dt) ** 2
    z = (x1 - x1.mean()) / x1.std()
    assert np.mean(z**4) - 3 == pytest.approx(excess, rel=0.25)
    drift = (MERTON.mu_per_year - MERTON.sigma_per_year**2 / 2
             - MERTON.jump_rate_per_year * MERTON.kappa + MERTON.jump_rate_per_year * m) * dt
    assert abs(x1.mean() - drift) < 4 * x1.std() / math.sqrt(x1.size)


def test_bootstrap_preserves_the_input_values_and_blocks():
    r = BOOT.log_returns
    inc = _all_increments(BOOT, 300, 30, 4).T  # (paths, steps)
    pos = np.searchsorted(np.sort(r), inc)
    assert np.array_equal(np.sort(r)[np.clip(pos, 0, r.size - 1)], inc)  # exact input values
    where = {v: i for i, v in enumerate(r)}  # the sample's returns are distinct
    idx = np.vectorize(where.__getitem__)(inc)
    within = np.arange(30) % 7 != 0  # inside a block, consecutive input returns (circular)
    steps = (idx[:, 1:] - idx[:, :-1]) % r.size
    assert (steps[:, within[1:]] == 1).all()
    with pytest.raises(ValueError, match="needs dt_years = tau_years / n_steps"):
        [s for _, _, st in iter_increments(BOOT, 1.0, 30, 10, 0) for s in st]


def test_bootstrap_resamples_the_distribution():
    inc = _all_increments(BOOT, 4000, 365, 6)
    assert abs(inc.mean() - BOOT.log_returns.mean()) < 4 * BOOT.log_returns.std() / math.sqrt(
        inc.size / 7
    )
    assert inc.std() == pytest.approx(BOOT.log_returns.std(), rel=0.02)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: GBM(-0.1), "sigma_per_year must be a finite number >= 0"),
        (lambda: MertonJumpDiffusion(0.5, -1, 0, 0.1), "jump_rate_per_year"),
        (lambda: BlockBootstrap(np.array([0.1, np.nan]), 1 / 365), "log_returns must be finite"),
        (lambda: BlockBootstrap(np.zeros(5), 1 / 365, block_length=9), "block_length"),
        (lambda: sample_paths(GBM(0.5), 3000.0, 1.0, 0, 10), "n_steps must be an integer"),
        (lambda: sample_paths(GBM(0.5), 3000.0, 1.0, 10, 10, seed=-1), "seed"),
        (lambda: sample_paths(GBM(0.5), -3000.0, 1.0, 10, 10), "price must be"),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# --- regressions found in review --------------------------------------------------------------
def test_a_non_process_is_a_clear_error():
    """A string or None used to fail deep inside with AttributeError: 'str' has no 'sampler'."""
    for bad in ("gbm", None, 0.8):
        with pytest.raises(ValueError, match="process must be a price process"):
            sample_paths(bad, 3000.0, 0.1, 5, 5, seed=0)


def test_block_bootstrap_from_series_needs_a_price_series():
    with pytest.raises(ValueError, match="series must be a PriceSeries"):
        BlockBootstrap.from_series(np.array([3000.0, 3100.0, 3050.0]))


# -- funding processes -----------------------------------------------------------------------------
def test_ou_funding_stationary_law_and_exact_step():
    """Started at the mean, the exact OU step keeps N(mean, sigma^2 / 2 kappa) at every step."""
    f = OUFunding(0.1, kappa_per_year=30.0, sigma_per_year=2.0, cap_per_hour=1.0)
    r = sample_funding(f, 0.5, 180, 40_000, seed=5)
    sd = f.stationary_sd
    last = r[:, -1]
    n = last.size
    assert abs(last.mean() - 0.1) < 3 * sd / math.sqrt(n)
    assert abs(last.std() - sd) < 3 * sd / math.sqrt(2 * n)
    # one step from x: mean + (x - mean) e^{-k dt}; lag-one autocorrelation e^{-k dt}
    dt = 0.5 / 180
    rho = np.corrcoef(r[:, 100], r[:, 101])[0, 1]
    assert abs(rho - math.exp(-30.0 * dt)) < 3 * (1 - rho**2) / math.sqrt(n)


def test_ou_funding_is_capped_per_hour_and_follows_a_direct_loop():
    f = OUFunding(0.0, kappa_per_year=1.0, sigma_per_year=400.0, cap_per_hour=0.0005,
                  initial_rate_per_year=2.0)
    r = sample_funding(f, 1.0, 100, 50, seed=2)
    cap = 0.0005 * HOURS_PER_YEAR
    assert np.abs(r).max() == pytest.approx(cap) and (np.abs(r) == cap).mean() > 0.3
    # the state is not clipped: a direct loop with the same normals
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(2)))
    x = np.full(50, 2.0)
    dt, a = 0.01, math.exp(-0.01)
    sd = 400.0 * math.sqrt((1 - a * a) / 2.0)
    for t in range(100):
        z_own = rng.standard_normal(50)
        rng.standard_normal(50)  # the price part (correlation 0: unused)
        x = a * x + sd * z_own
        np.testing.assert_allclose(r[:, t], np.clip(x, -cap, cap), rtol=1e-12, atol=1e-12)
    assert dt == 1.0 / 100


def test_ou_funding_correlates_with_price_returns():
    ret = np.random.default_rng(0).standard_normal((200, 5000)) * 0.05
    f = OUFunding(0.0, kappa_per_year=0.0, sigma_per_year=1.0, correlation=-0.6, cap_per_hour=1.0)
    r = sample_funding(f, 200 / 365, 200, 5000, seed=1, log_returns=ret)
    dx = np.diff(np.c_[np.zeros(5000), r], axis=1).T  # increments, time-major
    c = np.corrcoef(dx.ravel(), ret.ravel())[0, 1]
    assert abs(c + 0.6) < 0.01


def test_funding_arguments_are_checked():
    assert as_funding(0.1) == ConstantFunding(0.1)
    f = OUFunding(0.1, 5.0, 0.5)
    assert as_funding(f) is f and f.interval_hours == 1.0 and f.cap_per_hour == 0.04
    for make, match in [
        (lambda: OUFunding(0.1, 5.0, 0.5, correlation=1.5), "correlation must be in"),
        (lambda: OUFunding(0.1, -5.0, 0.5), "kappa_per_year"),
        (lambda: ConstantFunding(0.1, interval_hours=0), "interval_hours"),
        (lambda: as_funding("10%"), "funding must be a rate per year"),
        (lambda: as_funding(True), "funding must be a rate per year"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()


# ------------------------------------------------------------------------------------------------
# bad input refused at construction / at the call (issue 13)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        # kappa = e^{800.005} - 1 overflowed on first use after the constructor accepted it
        (lambda: MertonJumpDiffusion(0.6, 6.0, 800.0, 0.1), r"jump_mean \+ jump_sd\*\*2 / 2"),
        (lambda: MertonJumpDiffusion(0.6, 1e308, 1.0, 0.1), "variance of log returns per year"),
        (lambda: MertonJumpDiffusion(1e200, 1.0, 0.0, 0.1), "sigma_per_year must be at most 100"),
        (lambda: GBM(1e200), "sigma_per_year must be at most 100"),
        (lambda: GBM(0.6, 1e300), r"mu_per_year must be in \[-100, 100\]"),
    ],
)
def test_processes_out_of_float_range_are_refused_at_construction(make, match) -> None:
    with pytest.raises(LpperpError, match=match):
        make()


@pytest.mark.parametrize("proc", list(PROCESSES.values()), ids=list(PROCESSES))
def test_sampler_names_bad_arguments(proc) -> None:
    dt = proc.dt_years if isinstance(proc, BlockBootstrap) else 1 / 365
    with pytest.raises(LpperpError, match="ss must be a numpy SeedSequence"):
        proc.sampler(1.0, 50, dt)
    with pytest.raises(LpperpError, match="n_paths must be an integer"):
        proc.sampler(np.random.SeedSequence(1), 0, dt)
    with pytest.raises(LpperpError, match="dt_years must be a finite number > 0"):
        proc.sampler(np.random.SeedSequence(1), 5, -1.0)
    assert proc.sampler(np.random.SeedSequence(1), 5, dt)(3).shape == (3, 5)


@pytest.mark.parametrize("x", [[], np.array([]), np.ones(0), np.ones((2, 2), dtype=int), "x"])
def test_cumsum_time_names_a_bad_array(x) -> None:
    from lpperp.processes import cumsum_time

    with pytest.raises(LpperpError, match="x must be a float numpy array"):
        cumsum_time(x)
    with pytest.raises(LpperpError, match="start must broadcast"):
        cumsum_time(np.ones((3, 2)), np.ones(3))

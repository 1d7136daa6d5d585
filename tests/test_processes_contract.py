"""Processes: every argument check names its argument and refuses what it documents (an array where
one number is meant, a value past a bound), fields are normalised to Python floats (so processes
hash and compare), and the budget errors name the call and the remedy (issue 14: the survivors of
``make mutate`` in lpperp/processes.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.prices import sample_prices
from lpperp.processes import (
    GBM,
    MAX_ARRAY_VALUES,
    BlockBootstrap,
    ConstantFunding,
    MertonJumpDiffusion,
    OUFunding,
    cumsum_time,
    iter_increments,
    iter_paths,
    path_step_budget,
    root_seed,
    sample_funding,
    sample_paths,
)

PAIR = np.array([0.5, 0.6])  # an array where one number is meant


def _raises_naming(name, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` raises an LpperpError whose message starts with ``name``."""
    with pytest.raises(LpperpError) as e:
        fn(*args, **kwargs)
    assert str(e.value).startswith(name + " "), str(e.value)
    return str(e.value)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("sigma_per_year", lambda v: GBM(v)),
        ("mu_per_year", lambda v: GBM(0.5, v)),
        ("rate_per_year", lambda v: ConstantFunding(v)),
        ("interval_hours", lambda v: ConstantFunding(0.1, v)),
        ("mean_rate_per_year", lambda v: OUFunding(v, 1.0, 0.1)),
        ("kappa_per_year", lambda v: OUFunding(0.1, v, 0.1)),
        ("sigma_per_year", lambda v: OUFunding(0.1, 1.0, v)),
        ("correlation", lambda v: OUFunding(0.1, 1.0, 0.1, correlation=v)),
        ("cap_per_hour", lambda v: OUFunding(0.1, 1.0, 0.1, cap_per_hour=v)),
        ("interval_hours", lambda v: OUFunding(0.1, 1.0, 0.1, interval_hours=v)),
        ("initial_rate_per_year", lambda v: OUFunding(0.1, 1.0, 0.1, initial_rate_per_year=v)),
        ("dt_years", lambda v: BlockBootstrap(np.array([0.01, -0.02, 0.0]), v, 2)),
    ],
)
def test_a_field_is_one_number_named_when_not(name, make):
    # an array is refused by name (a one-element-per-path process is not a process)
    _raises_naming(name, make, PAIR)
    _raises_naming(name, make, math.nan)
    # a 0-d array or a numpy scalar is one number: stored as a Python float
    proc = make(np.array(0.5))
    assert type(getattr(proc, name)) is float and getattr(proc, name) == 0.5
    proc = make(np.float32(0.25))
    assert type(getattr(proc, name)) is float and getattr(proc, name) == 0.25
    hash(proc)  # frozen, all fields plain numbers: hashable
    if not isinstance(proc, BlockBootstrap):  # (compared by identity: it holds an array)
        assert proc == make(0.25)


@pytest.mark.parametrize("name", ["sigma_per_year", "jump_rate_per_year", "jump_mean", "jump_sd",
                                  "mu_per_year"])
def test_merton_fields_are_named_and_stored_as_floats(name):
    base = {"sigma_per_year": 0.5, "jump_rate_per_year": 2.0, "jump_mean": -0.05, "jump_sd": 0.1,
            "mu_per_year": 0.0}
    _raises_naming(name, lambda **kw: MertonJumpDiffusion(**kw), **{**base, name: math.inf})
    m = MertonJumpDiffusion(**{**base, name: np.array(0.25)})
    assert type(getattr(m, name)) is float and getattr(m, name) == 0.25
    hash(m)


def test_rates_are_accepted_up_to_their_documented_bounds():
    # |sigma| <= 100 (10,000 % a year) and |mu| <= 100: the bounds themselves are allowed
    assert GBM(100.0).sigma_per_year == 100.0
    assert GBM(0.5, 100.0).mu_per_year == 100.0
    assert GBM(0.5, -100.0).mu_per_year == -100.0
    _raises_naming("sigma_per_year", GBM, math.nextafter(100.0, math.inf))
    _raises_naming("mu_per_year", GBM, 0.5, math.nextafter(100.0, math.inf))
    # Merton: variance sigma^2 + lam (m^2 + sd^2) <= 1e4 allowed at the bound (sd^2 lam = 1e4)
    m = MertonJumpDiffusion(0.0, jump_rate_per_year=1e4, jump_mean=0.0, jump_sd=1.0)
    assert m.total_volatility == 100.0
    with pytest.raises(LpperpError, match="variance of log returns per year must be at most"):
        MertonJumpDiffusion(0.0, jump_rate_per_year=math.nextafter(1e4, math.inf), jump_mean=0.0,
                            jump_sd=1.0)
    # log mean jump m + sd^2/2 <= 50 allowed at the bound (m = 50, sd = 0, no jumps happen)
    assert MertonJumpDiffusion(0.1, 0.0, 50.0, 0.0).jump_mean == 50.0
    with pytest.raises(LpperpError, match="jump_mean \\+ jump_sd\\*\\*2 / 2 must be <= 50"):
        MertonJumpDiffusion(0.1, 0.0, 49.0, math.sqrt(2.0) * 1.0000001)
    # correlation in the closed [-1, 1]
    assert OUFunding(0.1, 1.0, 0.1, correlation=-1.0).correlation == -1.0
    assert OUFunding(0.1, 1.0, 0.1, correlation=1.0).correlation == 1.0
    msg = _raises_naming("correlation", OUFunding, 0.1, 1.0, 0.1, correlation=-1.5)
    assert msg == "correlation must be in [-1, 1], got -1.5"


def test_merton_drift_and_variance_checks_use_the_closed_forms():
    # kappa = e^{m + sd^2/2} - 1; the compensated drift lam kappa + sigma^2/2 and the variance
    # sigma^2 + lam (m^2 + sd^2) are computed before any path: huge jump rates are refused by
    # the variance, whatever the sign of the mean jump
    m = MertonJumpDiffusion(0.3, jump_rate_per_year=4.0, jump_mean=-0.2, jump_sd=0.3)
    assert m.kappa == pytest.approx(math.exp(-0.2 + 0.045) - 1.0, rel=1e-15)
    assert m.total_volatility == pytest.approx(math.sqrt(0.09 + 4.0 * (0.04 + 0.09)), rel=1e-15)
    # a variance 1e4 only through the jumps' mean (m^2 lam): sd^2 alone would be 0
    ok = MertonJumpDiffusion(0.0, jump_rate_per_year=2.5e3, jump_mean=-2.0, jump_sd=0.0)
    assert ok.total_volatility == pytest.approx(100.0)
    with pytest.raises(LpperpError, match="variance of log returns per year"):
        MertonJumpDiffusion(0.0, jump_rate_per_year=2.6e3, jump_mean=-2.0, jump_sd=0.0)
    # ... only through sd^2 lam with a zero mean, and only through sigma^2 with no jumps
    with pytest.raises(LpperpError, match="variance of log returns per year"):
        MertonJumpDiffusion(0.0, jump_rate_per_year=2.6e3, jump_mean=0.0, jump_sd=2.0)
    with pytest.raises(LpperpError, match="variance of log returns per year"):
        MertonJumpDiffusion(99.0, jump_rate_per_year=100.0, jump_mean=0.0, jump_sd=2.0)
    # sd^2 (not 2 sd) and m^2 (not 2 m): sd = 0.5 gives a variance of lam / 4
    small = MertonJumpDiffusion(0.0, jump_rate_per_year=3.9e4, jump_mean=0.0, jump_sd=0.5)
    assert small.total_volatility == pytest.approx(math.sqrt(3.9e4 * 0.25))
    small_m = MertonJumpDiffusion(0.0, jump_rate_per_year=3.9e4, jump_mean=-0.5, jump_sd=0.0)
    assert small_m.total_volatility == pytest.approx(math.sqrt(3.9e4 * 0.25))
    # the log mean jump is m + sd^2 / 2: m = 49.9, sd = 0.4 gives 49.98 (allowed); sd^2 * 1.5 or
    # m - sd^2/2 would differ; sd = 0.5 gives 50.025 (refused)
    MertonJumpDiffusion(0.0, jump_rate_per_year=0.0, jump_mean=49.9, jump_sd=0.4)
    with pytest.raises(LpperpError, match="must be <= 50"):
        MertonJumpDiffusion(0.0, jump_rate_per_year=0.0, jump_mean=49.9, jump_sd=0.5)
    # the drift compensation overflows for a huge mean jump at a huge rate: refused, not inf
    with pytest.raises(LpperpError, match="drift compensation"):
        MertonJumpDiffusion(0.0, jump_rate_per_year=1e300, jump_mean=45.0, jump_sd=0.0)


def test_merton_refuses_an_overflowing_jump_size_quietly():
    with np.errstate(all="raise"):  # no FloatingPointError: the overflow is checked, not raised
        with pytest.raises(LpperpError, match="must be <= 50"):
            MertonJumpDiffusion(0.1, 1.0, 0.0, 1e200)
        with pytest.raises(LpperpError, match="must be <= 50"):
            MertonJumpDiffusion(0.1, 1.0, -1e200, 1e200)
        with pytest.raises(LpperpError, match="variance of log returns"):
            MertonJumpDiffusion(0.1, 1e300, -1e200, 0.0)
        with pytest.raises(LpperpError, match="variance of log returns"):
            MertonJumpDiffusion(0.1, 1e300, 10.0, 0.0)


def test_block_bootstrap_fields():
    r = [0.01, -0.02, 0.005]
    bb = BlockBootstrap(r, 1 / 365, 3)
    assert isinstance(bb.log_returns, np.ndarray) and bb.log_returns.dtype == np.float64
    np.testing.assert_array_equal(bb.log_returns, r)
    assert not bb.log_returns.flags.writeable
    with pytest.raises(ValueError):
        bb.log_returns[0] = 1.0
    assert type(bb.dt_years) is float and bb.dt_years == 1 / 365
    assert type(bb.block_length) is int and bb.block_length == 3
    # the sample sd (ddof 1) of the input, per sqrt(year)
    sd = math.sqrt(sum((x - sum(r) / 3) ** 2 for x in r) / 2)
    assert bb.diffusion_sigma == pytest.approx(sd / math.sqrt(1 / 365), rel=1e-12)
    # two values are enough; one, or a 2-d array, is not
    assert BlockBootstrap([0.01, 0.02], 1.0, 1).block_length == 1
    assert BlockBootstrap([0.01, 0.02], 1.0, 2).block_length == 2
    _raises_naming("log_returns", BlockBootstrap, [0.01], 1.0, 1)
    _raises_naming("log_returns", BlockBootstrap, [[0.01, 0.02], [0.0, 0.01]], 1.0, 1)
    # an int input becomes float64 (integer returns would floor the bootstrap's sums)
    assert BlockBootstrap(np.array([1, -1, 2]), 1.0, 2).log_returns.dtype == np.float64
    # block_length between 1 and the number of returns, by name
    assert BlockBootstrap(r, 1.0, 1).block_length == 1
    _raises_naming("block_length", BlockBootstrap, r, 1.0, 0)
    _raises_naming("block_length", BlockBootstrap, r, 1.0, 4)
    _raises_naming("block_length", BlockBootstrap, r, 1.0, 2.0)
    hash(BlockBootstrap(r, np.float64(1.0), 2))


def test_block_bootstrap_from_series_takes_the_series_spacing():
    s = sample_prices()
    bb = BlockBootstrap.from_series(s, block_length=4)
    np.testing.assert_array_equal(bb.log_returns, s.log_returns)
    assert bb.dt_years == s.dt_years and bb.block_length == 4
    assert BlockBootstrap.from_series(s).block_length == 5

    class OnlyReturns:
        log_returns = s.log_returns

    class OnlySpacing:
        dt_years = s.dt_years

    for bad in (OnlyReturns(), OnlySpacing(), None):
        _raises_naming("series", BlockBootstrap.from_series, bad)


def test_the_bootstrap_spacing_tolerance_is_relative_1e_6():
    bb = BlockBootstrap([0.01, -0.02, 0.005], 1.0, 1)
    ss = root_seed(0)
    bb.sampler(ss, 3, 1.0 + 5e-7)  # within 1e-6
    with pytest.raises(LpperpError, match="needs dt_years"):
        bb.sampler(ss, 3, 1.0 + 5e-6)


@pytest.mark.parametrize("proc", [GBM(0.5), MertonJumpDiffusion(0.5, 1.0, 0.0, 0.1),
                                  BlockBootstrap([0.01, -0.02, 0.005], 0.5, 1)],
                         ids=["gbm", "merton", "bootstrap"])
def test_sampler_arguments(proc):
    ss = root_seed(0)
    assert proc.sampler(ss, 1, 0.5)(2).shape == (2, 1)  # one path is allowed
    _raises_naming("n_paths", proc.sampler, ss, 0, 0.5)
    _raises_naming("n_paths", proc.sampler, ss, MAX_ARRAY_VALUES + 1, 0.5)
    _raises_naming("dt_years", proc.sampler, ss, 2, np.array([0.5, 0.5]))


def test_root_seed():
    assert root_seed(7).entropy == 7
    ss = np.random.SeedSequence(5)
    assert root_seed(ss) is ss
    # a Generator gives 16 bytes, little-endian, as the entropy
    g = np.random.default_rng(3)
    expect = int.from_bytes(np.random.default_rng(3).bytes(16), "little")
    assert root_seed(g).entropy == expect
    assert root_seed(None).entropy != root_seed(None).entropy
    _raises_naming("seed", root_seed, -1)
    _raises_naming("seed", root_seed, 1.5)


def test_cumsum_time_checks_and_sums():
    # one row: start is added (x[0] = start + x[0])
    x = np.array([[1.0, 2.0]])
    assert cumsum_time(x, np.array([10.0, 20.0])) is x
    np.testing.assert_array_equal(x, [[11.0, 22.0]])
    v = np.array([1.0])  # one-dimensional: one time
    np.testing.assert_array_equal(cumsum_time(v, 5.0), [6.0])
    np.testing.assert_array_equal(cumsum_time(np.ones((3, 2))), [[1, 1], [2, 2], [3, 3]])
    _raises_naming("start", cumsum_time, np.ones((2, 2)), math.nan)
    _raises_naming("x", cumsum_time, np.ones((0, 2)))
    long_list = list(range(100))
    msg = _raises_naming("x", cumsum_time, long_list)
    assert msg.endswith("got list [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16...")
    assert _raises_naming("x", cumsum_time, [1.0]) == (
        "x must be a float numpy array with at least one row (summed in place), got list [1.0]")
    # a repr of exactly 59 characters is shown whole, 60 is cut to 57 + "..."
    s59 = "a" * 57
    assert _raises_naming("x", cumsum_time, s59).endswith(f"got str {s59!r}")
    s60 = "a" * 58
    assert _raises_naming("x", cumsum_time, s60).endswith("got str " + repr(s60)[:57] + "...")


def test_budget_messages_name_the_call_and_the_remedy():
    msg = _raises_naming("sample_paths:", sample_paths, GBM(0.5), 1.0, 1.0, 9, 10,
                         max_array_values=99)
    assert msg == ("sample_paths: an array of 100 values (8e-07 GB) at once; the limit is 99 "
                   "values (iter_paths yields the same paths a chunk at a time; pass "
                   "max_array_values= to raise it)")
    assert sample_paths(GBM(0.5), 1.0, 1.0, 9, 10, max_array_values=100).shape == (10, 10)
    msg = _raises_naming("iter_paths", iter_paths, GBM(0.5), 1.0, 1.0, 9, 10, max_array_values=99)
    assert msg.startswith("iter_paths (one chunk): an array of 100 values")
    assert "(a smaller chunk_paths needs less; pass max_array_values= to raise it)" in msg
    # one chunk of (n_steps + 1) x min(n_paths, chunk width) values
    assert len(list(iter_paths(GBM(0.5), 1.0, 1.0, 9, 10, max_array_values=100))) == 1
    msg = _raises_naming("sample_funding:", sample_funding, 0.1, 1.0, 10, 10, max_array_values=99)
    assert msg.endswith("the limit is 99 values (pass max_array_values= to raise it)")
    assert sample_funding(0.1, 1.0, 10, 10, max_array_values=100).shape == (10, 10)
    _raises_naming("max_array_values", sample_funding, 0.1, 1.0, 1, 1, max_array_values=0)
    assert sample_funding(0.1, 1.0, 1, 1, max_array_values=1).shape == (1, 1)
    for fn, args, name in [
        (sample_paths, (GBM(0.5), 1.0, 1.0), "sample_paths"),
        (iter_paths, (GBM(0.5), 1.0, 1.0), "iter_paths"),
        (iter_increments, (GBM(0.5), 1.0), "iter_increments"),
        (sample_funding, (0.1, 1.0), "sample_funding"),
    ]:
        _raises_naming(name + ":", fn, *args, 10, 10, max_path_steps=99)
        _raises_naming(name + ":", fn, *args, 10**7, 1)
    _raises_naming("this run:", path_step_budget, 10, 10, max_path_steps=99)
    _raises_naming("this run:", path_step_budget, 1, 10**8)
    # the step cost (256 path-steps a step) alone refuses 1 path x 10 steps under a limit of 2559
    _raises_naming("this run:", path_step_budget, 1, 10, max_path_steps=2559)
    assert path_step_budget(1, 10, max_path_steps=2560) == (1, 10)


@pytest.mark.parametrize("fn", [sample_paths, iter_paths])
def test_price_grid_arguments_are_named(fn):
    _raises_naming("price", fn, GBM(0.5), PAIR, 1.0, 2, 2)
    _raises_naming("tau_years", fn, GBM(0.5), 1.0, PAIR, 2, 2)


def test_chunk_arguments_are_named():
    _raises_naming("chunk_paths", iter_increments, GBM(0.5), 1.0, 2, 2, chunk_paths=0)
    _raises_naming("chunk_steps", iter_increments, GBM(0.5), 1.0, 2, 2, chunk_steps=0)
    _raises_naming("chunk_paths", iter_paths, GBM(0.5), 1.0, 1.0, 2, 2, chunk_paths=0)
    _raises_naming("chunk_paths", sample_paths, GBM(0.5), 1.0, 1.0, 2, 2, chunk_paths=0)
    _raises_naming("tau_years", sample_funding, 0.1, PAIR, 2, 2)
    # chunk sizes of one are allowed
    out = [(a, b, [s for s, _ in st]) for a, b, st in
           iter_increments(GBM(0.5), 1.0, 2, 2, 0, chunk_paths=1, chunk_steps=1)]
    assert out == [(0, 2, [0, 1])]


def test_funding_log_returns_are_checked_by_name():
    _raises_naming("log_returns", sample_funding, OUFunding(0.1, 1.0, 0.1, correlation=0.5), 1.0,
                   2, 2, log_returns=np.full((2, 2), math.nan))
    # integer returns are used as floats
    f = OUFunding(0.0, 0.0, 1.0, correlation=1.0, cap_per_hour=1.0)
    r = sample_funding(f, 1.0, 2, 2, seed=0, log_returns=np.array([[1, -1], [2, 0]]))
    z = np.array([[1, -1], [2, 0]]) / np.array([[1, -1], [2, 0]]).std()
    # rho = 1, kappa = 0: x_t = x_{t-1} + sigma sqrt(dt) z_t, dt = 1/2
    np.testing.assert_allclose(r.T, np.cumsum(math.sqrt(0.5) * z, axis=0), rtol=1e-13)

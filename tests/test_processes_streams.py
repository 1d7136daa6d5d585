"""Processes: the random streams against direct references (issue 14).

- SplitMix64 against the published test vectors and a Python-int implementation of Vigna's
  splitmix64.c; ``counter_normals`` against its documented formula evaluated with Python ints and
  ``statistics.NormalDist`` (a different inverse-CDF algorithm from scipy's ``ndtri``);
  ``counter_key`` against numpy's own ``SeedSequence.spawn``.
- The samplers against a direct loop over the documented stream layout: block ``k`` of a run seeded
  ``s`` draws from ``SeedSequence(s, spawn_key=(k,))`` (GBM: one standard normal per path and step,
  time-major; Merton: three children ``spawn(3)`` for the normals, the Poisson counts and the jump
  sizes; bootstrap: one uniform per block start).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.processes import (
    GBM,
    PATH_BLOCK,
    BlockBootstrap,
    MertonJumpDiffusion,
    counter_key,
    counter_normals,
    iter_increments,
    iter_paths,
    n_chunks,
    progress_bar,
    root_seed,
    sample_paths,
)

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _splitmix64_next(state: int) -> tuple[int, int]:
    """Vigna's splitmix64.c ``next()`` on Python ints: (new state, output)."""
    state = (state + GOLDEN) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def test_splitmix64_matches_the_published_vectors():
    # Rosetta Code, "Pseudo-random numbers/Splitmix64" (the task's published first five outputs for
    # seed 1234567; read 2026-11-30): https://rosettacode.org/wiki/Pseudo-random_numbers/Splitmix64
    published = [6457827717110365317, 3203168211198807973, 9817491932198370423,
                 4593380528125082431, 16408922859458223821]
    state, outs = 1234567, []
    for _ in range(5):
        state, z = _splitmix64_next(state)
        outs.append(z)
    assert outs == published
    # counter_normals mixes key ^ (step << 40 | path) with splitmix64's finaliser: with key 0, the
    # counter 1234567 + k * golden (step 0) gives the k-th published output's top 53 bits
    for k, z in enumerate(published):
        c = (1234567 + k * GOLDEN) & M64
        if c >> 40:  # not a pure path index: use it as step/path halves
            step, path = c >> 40, c & ((1 << 40) - 1)
        else:
            step, path = 0, c
        u = ((z >> 11) + 0.5) * 2.0**-53
        assert counter_normals(0, step, path) == pytest.approx(NormalDist().inv_cdf(u), rel=1e-12,
                                                               abs=1e-12)


@pytest.mark.parametrize("key", [0, 1, 7, 2**63 + 12345, M64])
def test_counter_normals_follow_the_documented_formula(key):
    steps = np.array([0, 1, 2, 5, 1000, 2**24 - 1])
    paths = np.array([0, 1, 3, 4095, 2**40 - 1])
    z = counter_normals(key, steps[:, None], paths)
    assert z.shape == (6, 5) and z.dtype == np.float64
    for i, s in enumerate(steps.tolist()):
        for j, p in enumerate(paths.tolist()):
            _, mixed = _splitmix64_next(key ^ ((s << 40) | p))
            u = ((mixed >> 11) + 0.5) * 2.0**-53
            assert z[i, j] == pytest.approx(NormalDist().inv_cdf(u), rel=1e-12, abs=1e-12)
            # the same number alone, as a 0-d array
            one = counter_normals(key, s, p)
            assert isinstance(one, np.ndarray) and one.shape == () and one == z[i, j]
    # one index an array, the other a number: broadcast 1-d
    assert counter_normals(key, 3, paths).shape == (5,)
    assert counter_normals(key, steps, 3).shape == (6,)
    np.testing.assert_array_equal(counter_normals(key, 5, paths), z[3])
    # the caller's index arrays are not modified
    s_in, p_in = np.array([1, 2], dtype=np.uint64), np.array([3, 4], dtype=np.uint64)
    counter_normals(key, s_in, p_in)
    assert s_in.tolist() == [1, 2] and p_in.tolist() == [3, 4]


def test_counter_normals_at_the_ends_of_the_unit_interval():
    # SplitMix64's finaliser maps 0 to 0 (each step is a xor-shift or a product of 0), so the
    # counter x with x + golden = 0 mod 2^64 gives the smallest uniform, (0 + 1/2) 2^-53: the normal
    # quantile of 2^-54 (about -8.29), finite - the half-step offset keeps u inside (0, 1)
    key = (1 << 64) - GOLDEN
    assert _splitmix64_next(key) == (0, 0)
    z = counter_normals(key, 0, 0)
    assert z == pytest.approx(NormalDist().inv_cdf(2.0**-54), rel=1e-12)
    assert -8.3 < z < -8.2


def test_counter_key_is_numpys_spawned_child():
    root = root_seed(7)
    for branch in (0, 1, 5):
        child = root_seed(7).spawn(branch + 1)[branch]  # spawn_key (branch,)
        assert counter_key(root, branch) == int(child.generate_state(1, np.uint64)[0])
    nested = np.random.SeedSequence(11).spawn(2)[1]  # spawn_key (1,)
    child = np.random.SeedSequence(11).spawn(2)[1].spawn(4)[3]  # spawn_key (1, 3)
    assert counter_key(nested, 3) == int(child.generate_state(1, np.uint64)[0])
    assert counter_key(root, 0) != counter_key(root, 1)
    with pytest.raises(LpperpError, match=r"^branch must be an integer"):
        counter_key(root, -1)
    with pytest.raises(LpperpError, match=r"^branch must be an integer"):
        counter_key(root, 1.0)


def test_n_chunks_counts_whole_blocks():
    for n_paths in (1, PATH_BLOCK, PATH_BLOCK + 1, 10_000, 5 * PATH_BLOCK):
        for cp in (None, 1, PATH_BLOCK, PATH_BLOCK + 1, 3 * PATH_BLOCK, 10**9):
            width = math.ceil((PATH_BLOCK if cp is None else cp) / PATH_BLOCK) * PATH_BLOCK
            assert n_chunks(n_paths, cp) == math.ceil(n_paths / width), (n_paths, cp)


def test_progress_bar_wraps_with_tqdm():
    tqdm = pytest.importorskip("tqdm")
    bar = progress_bar(range(5), 5, True, "paths")
    assert isinstance(bar, tqdm.tqdm)
    assert bar.total == 5 and bar.desc == "paths" and bar.leave is False
    assert list(bar) == [0, 1, 2, 3, 4]
    items = [1, 2]
    assert progress_bar(items, 2, False, "x") is items
    assert progress_bar(items, 2, np.False_, "x") is items
    with pytest.raises(LpperpError, match=r"^progress must be True or False, got 'yes'"):
        progress_bar(items, 2, "yes", "x")
    with pytest.raises(LpperpError, match=r"^progress must be True or False"):
        progress_bar(items, 2, np.array([True]), "x")


def _block_seq(seed: int, k: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(k,))


def _increments(proc, n_paths, n_steps, tau, seed, **kw):
    out = np.empty((n_steps, n_paths))
    for a, b, steps in iter_increments(proc, tau, n_steps, n_paths, seed, **kw):
        for t0, x in steps:
            out[t0:t0 + x.shape[0], a:b] = x
    return out


def test_gbm_increments_are_the_documented_stream():
    proc, n_paths, n_steps, tau = GBM(0.7, 0.2), PATH_BLOCK + 3, 5, 0.5
    dt = tau / n_steps
    got = _increments(proc, n_paths, n_steps, tau, 9, chunk_steps=2)
    drift, vol = (0.2 - 0.5 * 0.49) * dt, 0.7 * math.sqrt(dt)
    for k, (a, b) in enumerate([(0, PATH_BLOCK), (PATH_BLOCK, n_paths)]):
        z = np.random.Generator(np.random.PCG64(_block_seq(9, k))).standard_normal((n_steps, b - a))
        np.testing.assert_allclose(got[:, a:b], drift + vol * z, rtol=1e-13, atol=1e-15)
    # the sampler hands out its next rows, reusing its buffer only when it is large enough
    draw = proc.sampler(_block_seq(9, 0), 3, dt)
    rows = [draw(1).copy(), draw(3).copy(), draw(2).copy(), draw(1).copy()]
    z = np.random.Generator(np.random.PCG64(_block_seq(9, 0))).standard_normal((7, 3))
    np.testing.assert_allclose(np.concatenate(rows), drift + vol * z, rtol=1e-13, atol=1e-15)


def test_merton_increments_are_the_documented_streams():
    proc = MertonJumpDiffusion(0.4, jump_rate_per_year=40.0, jump_mean=-0.03, jump_sd=0.05,
                               mu_per_year=0.1)
    n_paths, n_steps, tau = 6, 8, 0.25
    dt = tau / n_steps
    got = _increments(proc, n_paths, n_steps, tau, 4, chunk_steps=3)
    z_ss, n_ss, j_ss = _block_seq(4, 0).spawn(3)
    z = np.random.Generator(np.random.PCG64(z_ss)).standard_normal((n_steps, n_paths))
    k = np.random.Generator(np.random.PCG64(n_ss)).poisson(40.0 * dt, (n_steps, n_paths))
    j = np.random.Generator(np.random.PCG64(j_ss)).standard_normal((n_steps, n_paths))
    kappa = math.exp(-0.03 + 0.5 * 0.05**2) - 1.0
    drift = (0.1 - 0.5 * 0.16 - 40.0 * kappa) * dt
    assert (k > 0).any() and (k == 0).any() and (k > 1).any()
    for t in range(n_steps):
        for p in range(n_paths):
            # N jumps of N(m, sd^2): their sum is N m + sd sqrt(N) J
            want = drift + 0.4 * math.sqrt(dt) * z[t, p]
            want += -0.03 * k[t, p] + 0.05 * math.sqrt(k[t, p]) * j[t, p]
            assert got[t, p] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_bootstrap_draws_block_starts_from_uniforms():
    r = np.array([0.01, 0.02, 0.03])
    bb = BlockBootstrap(r, 1.0, 2)
    n_paths, n_steps = 40, 7
    got = _increments(bb, n_paths, n_steps, float(n_steps), 5, chunk_steps=3)
    u = np.random.Generator(np.random.PCG64(_block_seq(5, 0))).random((4, n_paths))
    starts = np.minimum((u * 3).astype(int), 2)
    for t in range(n_steps):
        for p in range(n_paths):
            assert got[t, p] == r[(starts[t // 2, p] + t % 2) % 3]
    # every return, the last one included, starts some block
    assert set(np.unique(got[0])) == {0.01, 0.02, 0.03}


def test_iter_paths_chunks_and_few_paths_many_steps():
    proc = GBM(0.5)
    chunks = [(a, b, p.shape) for a, b, p in iter_paths(proc, 100.0, 1.0, 3, 10_000, 1,
                                                        chunk_paths=2 * PATH_BLOCK)]
    assert chunks == [(0, 8192, (4, 8192)), (8192, 10_000, (4, 1808))]
    # two paths over ten steps: the price is the start times the exp of the summed increments
    p = sample_paths(proc, 100.0, 1.0, 10, 2, seed=3)
    inc = _increments(proc, 2, 10, 1.0, 3)
    want = 100.0 * np.exp(np.concatenate([np.zeros((1, 2)), np.cumsum(inc, axis=0)]))
    np.testing.assert_allclose(p, want.T, rtol=1e-12)
    # more than 64 steps (the default step chunk): the same paths
    p = sample_paths(proc, 100.0, 1.0, 150, 3, seed=3)
    inc = _increments(proc, 3, 150, 1.0, 3, chunk_steps=150)
    want = 100.0 * np.exp(np.concatenate([np.zeros((1, 3)), np.cumsum(inc, axis=0)]))
    np.testing.assert_allclose(p, want.T, rtol=1e-11)

"""Survivors of the full simulate mutation run (issue 14, f8dc252) in the entry points
(``run_on_paths``, ``run_many``, ``simulate``) and the funding set-up, each killed by an exact
expectation: argument names in messages, the documented noise keys and chunk independence, the
interrupt's warning, the defaults, and the funding schedule at the edge of its interval (through
the direct one-path reference of tests/test_simulate_kill_reference.py)."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths
from test_simulate import _InterruptingGBM  # a GBM whose second block raises KeyboardInterrupt

from lpperp._validate import LpperpError
from lpperp.costs import ARBITRUM
from lpperp.processes import (
    GBM,
    PATH_BLOCK,
    ConstantFunding,
    OUFunding,
    counter_normals,
    root_seed,
    sample_paths,
)
from lpperp.simulate import Policy, Scenario, delay_noise_key, run_on_paths, simulate

P0 = ref.P0
SWING = P0 * np.array([1, 1.1, 1.25, 1.3, 1.1, 1.3, 1.35, 1.32, 1.3, 1.28, 1.25])
#: acts after half a day: the price moves over the delay's remainder by the delay noise
HALF_DAY = Scenario(**ref.BASE, leverage=2.0, width_pct=8.0, wallet_cash=500.0,
                    policy=Policy(recentre=True, top_up=True, top_up_health=3.0, blocks=0,
                                  latency_s=43_200.0))


@pytest.mark.parametrize("prices, dt, message", [
    ([3000.0, -1.0], 1 / 365, "prices must be a finite number > 0, got -1.0 at index 1"),
    ([3000.0, 3100.0], -1.0, "dt_years must be a finite number > 0, got -1.0"),
    ([3000.0, 3100.0], [1 / 365, 2 / 365],
     "dt_years must be a single number here, got an array of shape (2,)"),
])
def test_run_on_paths_names_its_bad_arrays(prices, dt, message):
    with pytest.raises(LpperpError) as e:
        run_on_paths(Scenario(), prices, dt)
    assert str(e.value).startswith(message), str(e.value)


def test_the_delay_noise_is_keyed_by_the_seeds_first_draw():
    """Without ``noise``, path ``j`` at step ``t`` moves over the delay by
    ``counter_normals(key, t, j)``, ``key`` the first ``integers(0, 2**63)`` of the seed's
    generator (a Generator passed as the seed is used as it is; seed 2's first draw differs from
    its ``integers(1, 2**63)``)."""
    mat = np.column_stack([SWING, SWING[::-1] / SWING[-1] * P0, np.full(SWING.size, P0)])
    n, m = mat.shape[0] - 1, mat.shape[1]
    key = int(np.random.default_rng(2).integers(0, 2**63))
    z = counter_normals(key, np.arange(1, n + 1)[:, None], np.arange(m))
    want = run_on_paths(HALF_DAY, mat, ref.DT, noise=z)
    got = run_on_paths(HALF_DAY, mat, ref.DT, seed=np.random.default_rng(2))
    assert want.n_recentres.sum() > 0
    for f in ("final_wealth", "costs", "n_recentres", "n_top_ups", "capital_added"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f), err_msg=f)


def test_a_constant_funding_draws_no_funding_noise_from_the_seed():
    """The caller's generator gives the delay-noise key and nothing else for a constant rate (the
    funding noise is drawn only for a stochastic process): its next draw is its second."""
    g = np.random.default_rng(3)
    run_on_paths(HALF_DAY, SWING, ref.DT, seed=g)
    fresh = np.random.default_rng(3)
    fresh.integers(0, 2**63)
    assert g.integers(0, 2**63) == fresh.integers(0, 2**63)


def test_the_noise_is_not_read_without_a_delay_remainder():
    """Actions landing on the grid (no remainder) never read the delay noise: NaN noise gives
    the numbers of zero noise."""
    s = replace(HALF_DAY, policy=replace(HALF_DAY.policy, latency_s=86_400.0))
    nan = run_on_paths(s, SWING, ref.DT, noise=np.full((SWING.size - 1, 1), np.nan))
    zero = run_on_paths(s, SWING, ref.DT, noise=np.zeros((SWING.size - 1, 1)))
    assert zero.n_recentres[0] > 0 and np.isfinite(nan.final_wealth).all()
    np.testing.assert_array_equal(nan.final_wealth, zero.final_wealth)


def test_two_chunks_are_run_on_paths_of_the_same_paths_and_noise():
    """Chunks of one block: the second chunk's paths carry their global index in the delay noise
    (``counter_normals(key, t, i)``) and its kernel has the chunk's width."""
    n, steps, tau, seed = PATH_BLOCK + 7, 3, 3 / 365, 4
    s = Scenario(leverage=3.0, chain=ARBITRUM,
                 policy=Policy(recentre=True, top_up=True, blocks=2, latency_s=3600.0 * 7))
    a = simulate(s, GBM(1.5), tau, steps, n, seed=seed, chunk_paths=PATH_BLOCK)
    paths = sample_paths(GBM(1.5), s.price, tau, steps, n, seed=seed).T
    z = counter_normals(delay_noise_key(root_seed(seed)), np.arange(1, steps + 1)[:, None],
                        np.arange(n))
    b = run_on_paths(s, paths, tau / steps, noise=z)
    tail = slice(PATH_BLOCK, n)
    assert a.n_paths == n and (a.n_recentres[tail] > 0).any()
    for f in ("final_wealth", "liquidation_step", "n_recentres", "n_top_ups", "costs"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-11, atol=1e-9,
                                   err_msg=f)


def test_an_interrupt_names_the_paths_kept():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = simulate(Scenario(), _InterruptingGBM(0.8), 2 / 365, 2, 2 * PATH_BLOCK, seed=1,
                     chunk_paths=PATH_BLOCK)
    (hit,) = [x for x in w if issubclass(x.category, RuntimeWarning)]
    assert str(hit.message) == (
        f"interrupted: results for the first {PATH_BLOCK} of {2 * PATH_BLOCK} paths")
    assert r.n_paths == PATH_BLOCK


def test_simulate_defaults_to_ten_thousand_paths_without_a_bar(capsys):
    r = simulate(Scenario(), GBM(0.8), 1 / 365, 1, seed=2)
    assert r.n_paths == 10_000
    assert capsys.readouterr().err == ""


class _NoCorrelation:
    """A stochastic funding process known by its protocol only (no ``correlation``): an OU
    process without correlation to the price."""

    def __init__(self, inner=None):
        self.inner = inner or OUFunding(0.1, kappa_per_year=30.0, sigma_per_year=4.0,
                                        correlation=0.0)
        self.interval_hours = self.inner.interval_hours

    @property
    def stochastic(self):
        return True

    def start(self, n_paths):
        return self.inner.start(n_paths)

    def step(self, state, dt_years, z_return, z_own):
        return self.inner.step(state, dt_years, z_return, z_own)


class _Correlated(_NoCorrelation):
    """The same protocol-only process with the inner process's ``correlation``: it is given the
    step's standardised return."""

    @property
    def correlation(self):
        return self.inner.correlation


def _ou(correlation, **kw):
    return OUFunding(0.1, kappa_per_year=kw.pop("kappa", 30.0), sigma_per_year=kw.pop("sigma", 4.0),
                     correlation=correlation, **kw)


ONE_HOUR = 1 / 8760
FUNDING_EDGES = {
    # a step 0.9e-9 shorter than the 1-hour funding interval still pays every step (the
    # interval is met within 1e-9); a time grid would skip a payment at the second step
    "hourly funding on steps a hair shorter than an hour": (
        Scenario(**ref.BASE, leverage=3.0), ONE_HOUR * (1 - 0.9e-9)),
    # 8-hour funding on steps just under 4 hours: paid at the steps that cross 8 hours (odd)
    "8-hour funding on steps just under 4 hours": (
        Scenario(**ref.BASE, leverage=3.0, funding=ConstantFunding(0.3, interval_hours=8.0)),
        4 * ONE_HOUR * (1 - 1e-5)),
    "a stochastic funding process without a correlation": (
        Scenario(**ref.BASE, leverage=2.0, funding=_NoCorrelation()), ref.DT),
    "a protocol-only OU process correlated at 0.6": (
        Scenario(**ref.BASE, leverage=2.0, funding=_Correlated(_ou(0.6))), ref.DT),
    "a protocol-only OU process correlated at 1": (
        Scenario(**ref.BASE, leverage=2.0, funding=_Correlated(_ou(1.0))), ref.DT),
    "OU funding correlated at 1": (Scenario(**ref.BASE, leverage=2.0, funding=_ou(1.0)), ref.DT),
    "OU funding with a slow reversion (kappa 0.5)": (
        Scenario(**ref.BASE, leverage=2.0, funding=_ou(0.0, kappa=0.5)), ref.DT),
    # paid every two days on daily steps: the rate accumulates, then resets after a payment
    "OU funding paid every two days": (
        Scenario(**ref.BASE, leverage=2.0, funding=_ou(0.3, interval_hours=48.0)), ref.DT),
    # the EWMA's per-step weight is lambda ** (dt x 365): on 4-hour steps the delay's noise
    # scale depends on it
    "delayed top-ups on 4-hour steps": (Scenario(
        **ref.BASE, leverage=2.0, wallet_cash=1e6, policy=Policy(
            top_up=True, top_up_health=1e4, top_up_target=1e4, blocks=0, latency_s=7200.0)),
        ONE_HOUR * 4),
    # no reversion, sigma 2 per sqrt(year) on quarter-year steps: the own noise's weight is
    # exactly 1
    "OU funding whose own noise has weight 1": (
        Scenario(**ref.BASE, leverage=0.5, funding=_ou(0.0, kappa=0.0, sigma=2.0)), 0.25),
}


@pytest.mark.parametrize("name", list(FUNDING_EDGES))
def test_funding_at_the_edges_of_its_interval_matches_the_reference(name):
    s, dt = FUNDING_EDGES[name]
    path = P0 * np.exp(np.linspace(0.0, 0.01, 9) * np.cos(np.arange(9)))
    ref.check(s, path[:, None], dt)


def test_check_scenario_shows_what_it_was_given():
    with pytest.raises(LpperpError) as e:
        run_on_paths(3000.0, SWING, ref.DT)
    assert str(e.value) == (
        "scenario must be a Scenario (lpperp.Scenario(...)), got float 3000.0")


def test_counts_are_integers():
    """Recentres, top-ups, hedges and liquidations are counted in int64 (steps too)."""
    r = run_on_paths(HALF_DAY, SWING, ref.DT, seed=1)
    for f in ("n_recentres", "n_top_ups", "n_hedges", "n_liquidations", "liquidation_step",
              "market_breach_step"):
        assert getattr(r, f).dtype == np.int64, f

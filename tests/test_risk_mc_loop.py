"""Risk: ``liquidation_probability`` on given paths against a direct loop over paths and steps.

A process whose increments are a fixed matrix (the same numbers whatever the chunking: each
4,096-path block takes its own columns) makes every Monte Carlo figure deterministic, so each one -
the probability, its standard error and interval, the split by side, the cumulative curve - is
checked exactly against a scalar loop written from the module docstring: first grid point at or past
a boundary (``"discrete"``), the same with the boundaries moved toward the price by
``exp(beta sigma sqrt(dt))``, ``beta = -zeta(1/2) / sqrt(2 pi)`` (``"bgk"``, Broadie, Glasserman &
Kou 1997), and the Brownian-bridge survival ``prod (1 - p_lo - p_hi)``,
``p = exp(-2 d_prev d_cur / (sigma^2 dt))`` (1 at or past the boundary), each step's crossing split
in proportion to ``p_lo`` and ``p_hi`` (``"bridge"``). The interval is Wilson's for a count and
``p +- z se`` (clipped to [0, 1]) for the bridge's mean of probabilities. Deterministic and fast:
the cheap killers of ``liquidation_probability``'s mutants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from lpperp.processes import PATH_BLOCK
from lpperp.risk import BGK_BETA, liquidation_probability


class _Matrix:
    """Path ``j`` takes the log increments ``inc[:, j]``; ``diffusion_sigma`` is what the BGK
    shift and the bridge assume. Block ``k`` of paths (``PATH_BLOCK`` each, the seed sequence's
    last spawn key) reads its own columns, so chunking cannot change a path."""

    def __init__(self, inc, diffusion_sigma):
        self.inc = np.asarray(inc, dtype=float)
        self.diffusion_sigma = diffusion_sigma

    def sampler(self, ss, n_paths, dt_years):
        c0 = ss.spawn_key[-1] * PATH_BLOCK
        cols = self.inc[:, c0:c0 + n_paths]
        state = {"t": 0}

        def draw(n):
            t = state["t"]
            state["t"] = t + n
            return cols[t:t + n].copy()

        return draw


def _increments(n_paths, n_steps, sigma, tau, seed):
    rng = np.random.default_rng(seed)
    dt = tau / n_steps
    return rng.standard_normal((n_steps, n_paths)) * sigma * math.sqrt(dt) - 0.5 * sigma**2 * dt


def _wilson(hits, n, conf):
    z = stats.norm.ppf(0.5 + conf / 2)
    p = hits / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(mid - half, 0.0), min(mid + half, 1.0)


def _loop(inc, p0, lower, upper, tau, sigma, monitoring, conf):
    """The estimator as the docstring states it, one path and one step at a time."""
    ns, n = inc.shape
    dt = tau / ns
    lo = 0.0 if lower is None else lower
    hi = math.inf if upper is None else upper
    if monitoring == "bgk":
        beta = -special.zeta(0.5) / math.sqrt(2 * math.pi)  # 0.5826, independent of BGK_BETA
        k = math.exp(beta * sigma * math.sqrt(dt))
        lo, hi = lo * k, hi / k
    a = math.log(lo / p0) if lo > 0 else -math.inf
    b = math.log(hi / p0)
    first = np.full(n, ns + 1)  # first crossing step (ns + 1: never)
    below = np.zeros(n, dtype=bool)
    ended = np.zeros(n)  # bridge: probability of having crossed
    mass = np.zeros((2, n))
    alive_by_step = np.zeros((ns + 1, n))
    for j in range(n):
        x, prev, surv, alive = 0.0, 0.0, 1.0, True
        alive_by_step[0, j] = 1.0
        for t in range(ns):
            x += inc[t, j]
            if monitoring == "bridge":
                alive = alive and a < x < b
                p_lo = p_hi = 0.0
                if a > -math.inf:
                    d = (prev - a) * (x - a)
                    p_lo = math.exp(-2 * d / (sigma**2 * dt)) if d > 0 else 1.0
                if b < math.inf:
                    d = (b - prev) * (b - x)
                    p_hi = math.exp(-2 * d / (sigma**2 * dt)) if d > 0 else 1.0
                tot = p_lo + p_hi
                lost = surv * min(tot, 1.0)
                if tot > 0:
                    mass[0, j] += lost * p_lo / tot
                    mass[1, j] += lost * p_hi / tot
                surv -= lost
                alive_by_step[t + 1, j] = surv * alive
                prev = x
            elif first[j] > ns and (x <= a or x >= b):
                first[j], below[j] = t + 1, x <= a
        ended[j] = 1.0 - alive_by_step[ns, j]
    if monitoring == "bridge":
        p = float(ended.mean())
        se = math.sqrt(max(float((ended**2).mean()) - p * p, 0.0) / n)
        z = stats.norm.ppf(0.5 + conf / 2)
        ci = (max(0.0, p - z * se), min(1.0, p + z * se))
        cum = 1.0 - alive_by_step.mean(axis=1)
        cum[-1] = p
        return p, se, ci, mass.sum(axis=1) / n, cum
    hits = int((first <= ns).sum())
    p = hits / n
    cum = np.array([(first <= t).sum() / n for t in range(ns + 1)])
    sides = np.array([(below & (first <= ns)).sum(), (~below & (first <= ns)).sum()]) / n
    return p, math.sqrt(p * (1 - p) / n), _wilson(hits, n, conf), sides, cum


def _check(r, ref, inc, tau, monitoring, conf, rel=1e-12):
    p, se, ci, sides, cum = ref
    assert r.probability == pytest.approx(p, rel=rel, abs=1e-15)
    assert r.stderr == pytest.approx(se, rel=1e-9, abs=1e-15)
    assert (r.ci_low, r.ci_high) == pytest.approx(ci, rel=1e-9, abs=1e-15)
    assert (r.probability_lower, r.probability_upper) == pytest.approx(tuple(sides), rel=1e-9,
                                                                       abs=1e-15)
    np.testing.assert_allclose(r.cumulative, cum, rtol=1e-9, atol=1e-14)
    assert r.cumulative.shape == (inc.shape[0] + 1,)
    assert not r.cumulative.flags.writeable
    assert (r.n_paths, r.n_steps, r.tau_years) == (inc.shape[1], inc.shape[0], tau)
    assert (r.monitoring, r.confidence) == (monitoring, conf)


SIGMA, TAU, P0 = 0.8, 0.1, 3000.0
BANDS = [(2400.0, 3600.0), (2400.0, None), (None, 3600.0), (2000.0, 3300.0)]


@pytest.mark.parametrize("monitoring", ["discrete", "bgk", "bridge"])
@pytest.mark.parametrize(("lower", "upper"), BANDS)
def test_given_paths_match_the_direct_loop(monitoring, lower, upper):
    inc = _increments(60, 9, SIGMA, TAU, seed=17)
    conf = 0.9
    r = liquidation_probability(_Matrix(inc, SIGMA), P0, lower, upper, TAU, 9, 60, seed=0,
                                monitoring=monitoring, confidence=conf)
    ref = _loop(inc, P0, lower, upper, TAU, SIGMA, monitoring, conf)
    assert 0.0 < ref[0] < 1.0  # some paths out, some in
    if lower is not None and upper is not None:
        assert min(ref[3]) > 0  # both sides hit
    _check(r, ref, inc, TAU, monitoring, conf)


@pytest.mark.parametrize("monitoring", ["discrete", "bgk", "bridge"])
def test_many_blocks_and_chunks_match_the_direct_loop(monitoring):
    """Two 4,096-path blocks (the second partial), path chunks of one block and step chunks of
    3 of 7 steps: the same numbers as the loop, and as the default chunking."""
    n, ns = PATH_BLOCK + 37, 7
    inc = _increments(n, ns, SIGMA, TAU, seed=5)
    ref = _loop(inc, P0, 2500.0, 3500.0, TAU, SIGMA, monitoring, 0.95)
    runs = [liquidation_probability(_Matrix(inc, SIGMA), P0, 2500.0, 3500.0, TAU, ns, n, seed=1,
                                    monitoring=monitoring, **kw)
            for kw in ({}, {"chunk_paths": PATH_BLOCK, "chunk_steps": 3})]
    for r in runs:
        _check(r, ref, inc, TAU, monitoring, 0.95, rel=1e-11)


def test_bgk_beta_is_minus_zeta_half_over_sqrt_2_pi():
    """Broadie, Glasserman & Kou (1997): beta = -zeta(1/2) / sqrt(2 pi) = 0.5826."""
    assert BGK_BETA == pytest.approx(-special.zeta(0.5) / math.sqrt(2 * math.pi), rel=1e-15)


def test_paths_that_never_leave_give_zero_and_one_that_always_leaves_gives_one():
    inc = np.zeros((4, 30))
    for monitoring in ("discrete", "bgk"):
        r = liquidation_probability(_Matrix(inc, 0.0), P0, 2400.0, 3600.0, TAU, 4, 30, seed=0,
                                    monitoring=monitoring)
        assert (r.probability, r.stderr, r.ci_low) == (0.0, 0.0, 0.0)
        np.testing.assert_array_equal(r.cumulative, np.zeros(5))
        assert r.ci_high == pytest.approx(_wilson(0, 30, 0.95)[1], rel=1e-12)
    out = np.zeros((4, 30))
    out[2] = math.log(4000.0 / P0)  # every path leaves above at step 3
    r = liquidation_probability(_Matrix(out, 0.8), P0, 2400.0, 3600.0, TAU, 4, 30, seed=0,
                                monitoring="discrete")
    assert (r.probability, r.probability_lower, r.probability_upper) == (1.0, 0.0, 1.0)
    np.testing.assert_array_equal(r.cumulative, [0, 0, 0, 1, 1])


def test_the_default_is_100_000_paths():
    """The signature's default ``n_paths=100_000`` (one step of paths that stay inside)."""
    inc = np.zeros((1, 100_000))
    r = liquidation_probability(_Matrix(inc, 0.8), P0, 2400.0, 3600.0, TAU, 1, seed=0,
                                monitoring="discrete")
    assert (r.n_paths, r.probability) == (100_000, 0.0)


def test_the_path_step_budget_is_checked_up_front_by_name():
    """``max_path_steps`` is the caller's budget, refused before any draw with the function's
    name (``max(n_paths, 256) * n_steps`` path-steps), and raising it lets the run through."""
    from lpperp._validate import LpperpError

    inc = np.zeros((10, 50))
    args = (_Matrix(inc, 0.8), P0, 2400.0, 3600.0, TAU, 10, 50)
    with pytest.raises(LpperpError, match=r"^liquidation_probability: .*2\.56e\+03 path-steps"):
        liquidation_probability(*args, seed=0, max_path_steps=2559)
    r = liquidation_probability(*args, seed=0, max_path_steps=2560)
    assert r.n_paths == 50


def test_no_progress_bar_unless_asked(capfd):
    inc = np.zeros((2, 20))
    liquidation_probability(_Matrix(inc, 0.8), P0, 2400.0, 3600.0, TAU, 2, 20, seed=0)
    assert capfd.readouterr().err == ""
    liquidation_probability(_Matrix(inc, 0.8), P0, 2400.0, 3600.0, TAU, 2, 20, seed=0,
                            progress=True)
    assert "liquidation MC: " in capfd.readouterr().err  # tqdm writes "desc: " to stderr


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"price": [3000.0, 3100.0]}, r"^price must be a single number"),
        ({"price": 2400.0}, r"^price=2400\.0 must lie strictly inside"),
        ({"price": 3600.0}, r"^price=3600\.0 must lie strictly inside"),
        ({"confidence": 0.0}, r"^confidence must be"),
        ({"confidence": 1.0}, r"^confidence must be"),
        ({"confidence": [0.9, 0.95]}, r"^confidence must be a single number"),
    ],
)
def test_bad_price_or_confidence_is_named(kw, match):
    """The price strictly inside the band (on a barrier it has already left), one price, and a
    confidence strictly inside (0, 1), one number: each refused by name before any draw."""
    from lpperp._validate import LpperpError

    args = {"process": _Matrix(np.zeros((2, 20)), 0.8), "price": P0, "lower": 2400.0,
            "upper": 3600.0, "tau_years": TAU, "n_steps": 2, "n_paths": 20, "seed": 0} | kw
    # bridge monitoring too: its interval is p +- z se, no Wilson interval re-checks the confidence
    for monitoring in ("bgk", "bridge"):
        with pytest.raises(LpperpError, match=match):
            liquidation_probability(**args, monitoring=monitoring)


class _Events(_Matrix):
    """Records when each block's sampler is created and drawn from."""

    def __init__(self, inc, diffusion_sigma):
        super().__init__(inc, diffusion_sigma)
        self.events = []

    def sampler(self, ss, n_paths, dt_years):
        k = ss.spawn_key[-1]
        self.events.append(("create", k))
        draw = super().sampler(ss, n_paths, dt_years)

        def logged(n):
            self.events.append(("draw", k))
            return draw(n)

        return logged


def test_chunk_paths_is_the_number_of_paths_generated_at_once():
    """``chunk_paths`` (a memory knob: the same numbers) is how many paths are generated and
    checked together: with two blocks a chunk both samplers are live before the first draw; with
    one block a chunk the second is created after the first is done."""
    n = 2 * PATH_BLOCK
    inc = _increments(n, 2, SIGMA, TAU, seed=3)
    runs = {}
    for cp in (PATH_BLOCK, n):
        proc = _Events(inc, SIGMA)
        runs[cp] = liquidation_probability(proc, P0, 2500.0, 3500.0, TAU, 2, n, seed=0,
                                           chunk_paths=cp)
        expected = ([("create", 0), ("draw", 0), ("create", 1), ("draw", 1)] if cp == PATH_BLOCK
                    else [("create", 0), ("create", 1), ("draw", 0), ("draw", 1)])
        assert proc.events == expected
    assert runs[PATH_BLOCK].probability == runs[n].probability


@pytest.mark.parametrize("monitoring", ["discrete", "bgk", "bridge"])
@pytest.mark.parametrize(("lower", "upper"), [(0.4, 0.6), (None, 0.6), (0.4, None)])
def test_prices_below_one_match_the_direct_loop(monitoring, lower, upper):
    """Prices are in any unit: at a price of 0.5 (barriers below 1, no barrier on one side) the
    estimate is the loop's, as at 3000."""
    inc = _increments(60, 9, SIGMA, TAU, seed=23)
    r = liquidation_probability(_Matrix(inc, SIGMA), 0.5, lower, upper, TAU, 9, 60, seed=0,
                                monitoring=monitoring)
    ref = _loop(inc, 0.5, lower, upper, TAU, SIGMA, monitoring, 0.95)
    assert 0.0 < ref[0] < 1.0
    _check(r, ref, inc, TAU, monitoring, 0.95)


def test_chunk_steps_is_the_number_of_steps_drawn_at_once():
    """``chunk_steps`` (the other memory knob) is how many steps each draw holds."""
    inc = _increments(30, 5, SIGMA, TAU, seed=4)
    sizes = {}
    for cs in (None, 2):
        proc = _Events(inc, SIGMA)
        draws = []
        orig = proc.sampler

        def sampler(ss, n_paths, dt_years, orig=orig, draws=draws):
            draw = orig(ss, n_paths, dt_years)
            return lambda n: (draws.append(n), draw(n))[1]

        proc.sampler = sampler
        liquidation_probability(proc, P0, 2500.0, 3500.0, TAU, 5, 30, seed=0, chunk_steps=cs)
        sizes[cs] = draws
    assert sizes == {None: [5], 2: [2, 2, 1]}  # default: 64 steps a draw


class _Stop(Exception):
    pass


class _StopAtFirstDraw(_Matrix):
    def sampler(self, ss, n_paths, dt_years):
        def draw(n):
            raise _Stop

        return draw


def test_a_raised_max_path_steps_reaches_the_draws():
    """A budget raised above the default lets a run over the default through to its first draw
    (the process stops it there): nothing down the line re-applies the default."""
    from lpperp.processes import MAX_PATH_STEPS

    n_paths = MAX_PATH_STEPS // 10 + 1  # 10 steps: just over the default budget
    proc = _StopAtFirstDraw(np.zeros((1, 1)), 0.8)
    with pytest.raises(_Stop):
        liquidation_probability(proc, P0, 2400.0, 3600.0, TAU, 10, n_paths, seed=0,
                                max_path_steps=2 * MAX_PATH_STEPS)


def test_the_progress_bar_counts_path_chunks(capfd):
    """With ``progress=True`` the bar's total is the number of path chunks (two blocks of paths
    in one chunk of ``2 * PATH_BLOCK``: one chunk)."""
    n = 2 * PATH_BLOCK
    inc = _increments(n, 2, SIGMA, TAU, seed=6)
    liquidation_probability(_Matrix(inc, SIGMA), P0, 2500.0, 3500.0, TAU, 2, n, seed=0,
                            chunk_paths=n, progress=True)
    err = capfd.readouterr().err
    assert "0/1 " in err and "0/2" not in err
    liquidation_probability(_Matrix(inc, SIGMA), P0, 2500.0, 3500.0, TAU, 2, n, seed=0,
                            chunk_paths=PATH_BLOCK, progress=True)
    assert "0/2 " in capfd.readouterr().err


@pytest.mark.parametrize("side", ["lower", "upper"])
def test_a_grid_point_exactly_on_a_barrier_is_a_crossing_on_that_side(side):
    """Discrete monitoring: a path whose grid point lands exactly on a barrier has reached it
    (the band is open), and the crossing is counted on that side."""
    edge = 2400.0 if side == "lower" else 3600.0
    inc = np.zeros((3, 10))
    inc[1, :4] = math.log(edge / P0)  # 4 of 10 paths land on the barrier at step 2
    r = liquidation_probability(_Matrix(inc, 0.8), P0, 2400.0, 3600.0, TAU, 3, 10, seed=0,
                                monitoring="discrete")
    assert r.probability == 0.4
    assert (r.probability_lower, r.probability_upper) == ((0.4, 0.0) if side == "lower"
                                                           else (0.0, 0.4))
    np.testing.assert_array_equal(r.cumulative, [0.0, 0.0, 0.4, 0.4])


class _InterruptAtBlock(_Matrix):
    """Ctrl-C (KeyboardInterrupt) at the first draw of path block ``stop``."""

    def __init__(self, inc, diffusion_sigma, stop):
        super().__init__(inc, diffusion_sigma)
        self.stop = stop

    def sampler(self, ss, n_paths, dt_years):
        if ss.spawn_key[-1] != self.stop:
            return super().sampler(ss, n_paths, dt_years)

        def draw(n):
            raise KeyboardInterrupt

        return draw


def test_an_interrupt_returns_the_completed_chunks_with_a_runtime_warning_at_the_caller():
    """Ctrl-C after one chunk: the estimate of that chunk's paths (the loop's on them), with a
    RuntimeWarning pointing outside risk.py (at the caller); before any chunk: the interrupt goes through."""
    n = 2 * PATH_BLOCK
    inc = _increments(n, 3, SIGMA, TAU, seed=8)
    with pytest.warns(RuntimeWarning, match=rf"^interrupted: estimate from the {PATH_BLOCK} of "
                                            rf"{n} paths completed$") as w:
        r = liquidation_probability(_InterruptAtBlock(inc, SIGMA, 1), P0, 2500.0, 3500.0, TAU, 3,
                                    n, seed=0, monitoring="discrete")
    # stacklevel=2: the caller's line, not risk.py's (under mutmut the caller is its trampoline)
    assert len(w) == 1 and not w[0].filename.endswith("risk.py")
    ref = _loop(inc[:, :PATH_BLOCK], P0, 2500.0, 3500.0, TAU, SIGMA, "discrete", 0.95)
    _check(r, ref, inc[:, :PATH_BLOCK], TAU, "discrete", 0.95)
    with pytest.raises(KeyboardInterrupt):
        liquidation_probability(_InterruptAtBlock(inc, SIGMA, 0), P0, 2500.0, 3500.0, TAU, 3, n,
                                seed=0, monitoring="discrete")


def test_bridge_interval_is_clipped_to_one():
    """Bridge monitoring's interval ``p +- z se`` stays in [0, 1]: 9 of 10 paths jump out
    (p = 0.9, se = 0.095: p + 1.96 se = 1.09), the upper end is 1."""
    inc = np.zeros((2, 10))
    inc[0, :9] = math.log(5000.0 / P0)
    r = liquidation_probability(_Matrix(inc, 0.01), P0, 2400.0, 3600.0, TAU, 2, 10, seed=0,
                                monitoring="bridge")
    assert r.probability == pytest.approx(0.9, abs=1e-12)
    assert r.probability + 1.96 * r.stderr > 1.0
    assert r.ci_high == 1.0
    assert r.ci_low == pytest.approx(r.probability - stats.norm.ppf(0.975) * r.stderr, rel=1e-12)

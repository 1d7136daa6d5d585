"""The three vectorized searches of lpperp.rebalancing on curves whose answer is known in closed form.

``_break_even_on`` (highest frequency with a net yield >= 0), ``_optimum_on`` (largest net yield)
and ``_volatility_root`` (break-even volatility of many policies) take the net yield as a function,
so here they search synthetic curves with a known root or maximum: a line in ``log n`` (root
``x0``), a parabola (maximum ``x*``), a plateau of exact zeros, a tangent zero, a zero exactly at a
bracket end, curves scaled below 1 quote unit. Each answer is checked against the closed form at
the accuracy the docstrings state (the bracket after the documented passes), and the work done
against the documented passes and points per pass (a spy counts the evaluations): one pass more is
wasted time in the explorers, one fewer misses the stated accuracy. The public functions are
checked for the parts the helpers do not see: the shared 241-point grid, the cap on the frequency,
the arguments ``frequency_search`` passes on and the chunks of ``break_even_volatility``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp import costs as c
from lpperp import rebalancing as r
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
CAP = 365.0 * 24 * 12  # the searches' default fastest frequency (every 5 minutes)
GRID = np.geomspace(1e-2, CAP, 241)
LOG_GRID = np.log(GRID)
CELL = (LOG_GRID[-1] - LOG_GRID[0]) / 240  # one grid cell in log n (0.048)
POINTS = 47  # r._SEARCH_POINTS as documented: 47 evaluations a pass


class Spy:
    """Wraps a net-yield function of ``log n`` (or ``(log sigma, rows)``) and records each call."""

    def __init__(self, f):
        self.f, self.calls = f, []

    def __call__(self, x, *rest):
        x = np.asarray(x, dtype=float)
        self.calls.append(x.copy())
        return self.f(x, *rest)


# ---------------------------------------------------------------------------------------------
# _break_even_on: the highest frequency of the grid's last sign change from >= 0 to < 0
# ---------------------------------------------------------------------------------------------

#: 7 passes, each keeping one of the 48 sub-intervals of the bracket (docstring: "a grid cell ...
#: ends at 0.067 / 48^7"); the midpoint is returned, so it is within half that of the root
BREAK_EVEN_HALF_WIDTH = 0.5 * CELL / 48**7

# roots spread over the grid: first cell, interior, the last cell (i + 1 is the last grid point)
ROOTS = [LOG_GRID[0] + 0.3 * CELL, -1.234567, 0.0, 2.5, 3.7, 7.123456789, 9.87654321,
         LOG_GRID[-2] + 0.01 * CELL, LOG_GRID[-2] + 0.5 * CELL, LOG_GRID[-1] - 1e-9]


def _line(x0, scale=1.0):
    return lambda x: scale * (x0 - np.asarray(x))


@pytest.mark.parametrize("x0", ROOTS)
def test_break_even_on_a_line_is_its_root_after_seven_passes_of_47(x0):
    f = _line(x0)
    spy = Spy(f)
    n = r._break_even_on(GRID, f(LOG_GRID), spy)
    assert abs(math.log(n) - x0) <= BREAK_EVEN_HALF_WIDTH * (1 + 1e-9) + 4e-16 * abs(x0)
    assert [x.shape for x in spy.calls] == [(POINTS,)] * 7
    # every pass evaluates inside the previous bracket, the first inside the root's grid cell
    i = int(np.searchsorted(LOG_GRID, x0)) - 1
    assert LOG_GRID[i] < spy.calls[0].min() and spy.calls[0].max() < LOG_GRID[i + 1]


def test_break_even_on_a_curve_below_one_quote_unit_a_year():
    """Only the sign counts: a net yield of a thousandth of the line has the same root (a
    position worth a few quote units), and the same ``inf`` when the yield survives the cap."""
    x0 = 3.7
    f = _line(x0, 1e-3)
    assert r._break_even_on(GRID, f(LOG_GRID), f) == pytest.approx(math.exp(x0), rel=1e-12)
    g = _line(LOG_GRID[-1] + 0.5, 1e-3)  # 0 <= net < 1 at the cap
    assert 0.0 <= g(LOG_GRID)[-1] < 1.0
    assert r._break_even_on(GRID, g(LOG_GRID), g) == np.inf


def test_break_even_on_a_tangent_zero_is_that_frequency():
    """A net yield that only touches 0 (at one grid frequency) and is negative elsewhere: that
    frequency is the highest with a net yield >= 0 (not NaN: the yield is not < 0 everywhere)."""
    j = 100
    f = lambda x: -((np.asarray(x) - LOG_GRID[j]) ** 2)  # noqa: E731
    net = f(LOG_GRID)
    assert net[j] == 0.0 and np.all(np.delete(net, j) < 0)
    n = r._break_even_on(GRID, net, f)
    assert n == pytest.approx(GRID[j], rel=1e-12)
    assert n >= GRID[j]


def test_break_even_on_a_plateau_of_zeros_is_its_upper_end():
    """Net yield positive, then exactly 0 over an interval (covering grid points and refinement
    points), then negative: the highest frequency with a net yield >= 0 is the plateau's end."""
    a, b = 2.0, 2.0 + 2.5 * CELL

    def f(x):
        x = np.asarray(x)
        return np.where(x < a, a - x, np.where(x <= b, 0.0, b - x))

    n = r._break_even_on(GRID, f(LOG_GRID), f)
    assert abs(math.log(n) - b) <= BREAK_EVEN_HALF_WIDTH * (1 + 1e-9) + 1e-15


def test_break_even_on_zero_at_the_fastest_frequency_is_inf():
    """``inf`` when the net yield is >= 0 at the fastest frequency: exactly 0 there counts."""
    f = _line(LOG_GRID[-1])
    net = f(LOG_GRID)
    assert net[-1] == 0.0 and net[-2] > 0
    assert r._break_even_on(GRID, net, f) == np.inf


def test_break_even_on_negative_everywhere_is_nan():
    f = _line(LOG_GRID[0] - 1.0)
    assert math.isnan(r._break_even_on(GRID, f(LOG_GRID), f))


# ---------------------------------------------------------------------------------------------
# _optimum_on: the largest net yield, 4 zoom passes of 47 points around the best point
# ---------------------------------------------------------------------------------------------

#: pass 1 spans the best grid point's two cells (2 CELL) with 47 points (46 gaps); each pass keeps
#: the best point's two gaps: the 4th pass's gap is 2 CELL / 46 / 23^3, and for a symmetric
#: maximum the best lattice point is the nearest one to it (within half a gap)
OPT_HALF_GAP = 0.5 * 2 * CELL / 46 / 23**3

MAXIMA = [LOG_GRID[0] + 0.2 * CELL, -3.3, -0.77, 0.5 + 1e-3, 1.1, 2.2222, 3.5, 4.0 + 0.37 * CELL,
          5.55, 6.1, 6.65, 7.3, 8.0, 8.45, 9.01, 9.9, 10.42, 11.0, LOG_GRID[-1] - 0.3 * CELL,
          LOG_GRID[120] + 0.5 * CELL]


def _parabola(xs, scale=1.0):
    return lambda x: -scale * (np.asarray(x) - xs) ** 2


@pytest.mark.parametrize("xs", MAXIMA)
def test_optimum_on_a_parabola_is_its_vertex_to_the_documented_gap(xs):
    f = _parabola(xs)
    spy = Spy(f)
    n, best = r._optimum_on(GRID, f(LOG_GRID), spy)
    assert abs(math.log(n) - xs) <= OPT_HALF_GAP * (1 + 1e-6) + 1e-15
    assert best == f(math.log(n)) or best == pytest.approx(f(math.log(n)), abs=1e-28)
    assert [x.shape for x in spy.calls] == [(POINTS,)] * 4


def test_optimum_on_many_vertices_none_off_by_more_than_half_a_gap():
    """200 vertices across the grid: the located maximum is always within half the 4th pass's
    gap (a bracket one gap wider anywhere lets some vertex drift up to half a gap further)."""
    worst = 0.0
    for xs in np.linspace(LOG_GRID[1], LOG_GRID[-2], 200) + 0.123 * CELL:
        f = _parabola(xs)
        n, _ = r._optimum_on(GRID, f(LOG_GRID), f)
        worst = max(worst, abs(math.log(n) - xs))
    assert worst <= OPT_HALF_GAP * (1 + 1e-6) + 1e-15
    assert worst > 0.5 * OPT_HALF_GAP  # the bound is tight: the check can fail


def test_optimum_on_an_increasing_curve_is_the_fastest_frequency():
    """Net yield still rising at the cap: the best is the cap itself (the grid's last point)."""
    f = _parabola(LOG_GRID[-1] + 3.0)
    n, best = r._optimum_on(GRID, f(LOG_GRID), f)
    assert n == pytest.approx(CAP, rel=1e-13)
    assert best == pytest.approx(f(LOG_GRID[-1]), rel=1e-12)


def test_optimum_on_a_decreasing_curve_is_the_slowest_frequency():
    f = _parabola(LOG_GRID[0] - 3.0)
    n, best = r._optimum_on(GRID, f(LOG_GRID), f)
    assert n == pytest.approx(1e-2, rel=1e-13)
    assert best == pytest.approx(f(LOG_GRID[0]), rel=1e-12)


def test_optimal_frequency_below_the_unconstrained_optimum_is_the_cap():
    """Public: with ``max_frequency_per_year`` below the optimum the net yield still rises at the
    cap (checked with rebalancing_economics), and the cap is the answer."""
    kw = {"fee_apr": 0.3}
    n_opt = r.optimal_frequency(LP, 3000.0, 0.25, c.ARBITRUM, **kw)
    cap = 0.25 * n_opt
    e = r.rebalancing_economics(LP, 3000.0, 0.25, c.ARBITRUM, [cap / 1.01, cap], **kw)
    assert e.net_yield_per_year[1] > e.net_yield_per_year[0]
    got = r.optimal_frequency(LP, 3000.0, 0.25, c.ARBITRUM, max_frequency_per_year=cap, **kw)
    assert got == pytest.approx(cap, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# _volatility_root: break-even log sigma of m policies on [ln 1e-3, ln 10]
# ---------------------------------------------------------------------------------------------

LO, HI = math.log(1e-3), math.log(10.0)


def _passes_needed(k: int) -> int:
    """Fewest passes of ``k`` interior points (``k + 1`` sub-intervals each) that narrow the
    bracket at least as much as 9 passes of 47 (the docstring's ``9.2 / 48^9``): integers."""
    p = 0
    while (k + 1) ** p < 48**9:
        p += 1
    return p


def _lines(roots, scale=1.0):
    roots = np.asarray(roots, dtype=float)
    return lambda x, rows: scale * (roots[rows][:, None] - x)


@pytest.mark.parametrize("m", [1, 2, 3, 5, 10, 31, 47, 48, 94, 95, 150])
def test_volatility_root_of_m_lines_documented_points_passes_and_accuracy(m):
    roots = np.linspace(LO + 0.05, HI - 0.05, m) + 0.0137 * np.sin(np.arange(m))
    spy = Spy(_lines(roots))
    got = r._volatility_root(spy, m)
    k = min(47, max(1, 94 // m))
    p = _passes_needed(k)
    assert spy.calls[0].shape == (m, 2)
    assert [x.shape for x in spy.calls[1:]] == [(m, k)] * p
    for x in spy.calls:  # never outside the documented search interval
        assert x.min() >= LO - 1e-12 and x.max() <= HI + 1e-12
    half = 0.5 * (HI - LO) / (k + 1) ** p
    assert got.dtype == np.float64
    assert np.all(np.abs(np.log(got) - roots) <= half * (1 + 1e-9) + 1e-15)


def test_volatility_root_near_the_top_of_the_interval_stays_inside_it():
    """Roots just below sigma = 10: the bracket's upper end is ln 10 itself (where the yield was
    found negative), no pass evaluates above it."""
    roots = np.log([9.5, 9.99, 9.9999])
    spy = Spy(_lines(roots))
    got = r._volatility_root(spy, 3)
    assert max(float(x.max()) for x in spy.calls) <= HI
    assert got == pytest.approx(np.exp(roots), rel=1e-13)


def test_volatility_root_ends_nan_inf_and_exact_zeros():
    """Row by row: negative at 1e-3 -> NaN; >= 0 at 10 (exactly 0 included) -> inf; exactly 0 at
    1e-3 and negative above -> the root is 1e-3; constant 0 -> inf (the yield survives sigma 10);
    a plateau of zeros, then negative -> the plateau's end (net(lo) >= 0 > net(hi) throughout)."""
    b = math.log(0.3)

    def net(x, rows):
        out = []
        for row, xr in zip(rows, np.atleast_2d(x), strict=True):
            out.append([
                LO - 1.0 - xr,                         # 0: negative everywhere
                HI + 1.0 - xr,                         # 1: positive everywhere
                HI - xr,                               # 2: >= 0, exactly 0 at sigma 10
                LO - xr,                               # 3: exactly 0 at 1e-3, negative above
                0.0 * xr,                              # 4: 0 everywhere
                np.where(xr <= b, 0.0, b - xr),        # 5: plateau of zeros up to 0.3
                np.where(xr < -4.0, -4.0 - xr, np.where(xr <= b, 0.0, b - xr)),  # 6
            ][row])
        return np.array(out, dtype=float)

    got = r._volatility_root(net, 7)
    assert got.dtype == np.float64
    assert math.isnan(got[0])
    assert got[1] == np.inf and got[2] == np.inf and got[4] == np.inf
    assert got[3] == pytest.approx(1e-3, rel=1e-13)
    assert got[5] == pytest.approx(0.3, rel=1e-13)
    assert got[6] == pytest.approx(0.3, rel=1e-13)


def test_volatility_root_below_one_quote_unit():
    """Only signs count: a thousandth of each line gives the same roots, and inf where the
    (small, positive) yield survives sigma = 10."""
    roots = np.array([math.log(0.2), HI + 0.5, math.log(2.0)])
    got = r._volatility_root(_lines(roots, 1e-3), 3)
    assert got[1] == np.inf
    assert got[[0, 2]] == pytest.approx([0.2, 2.0], rel=1e-13)


# ---------------------------------------------------------------------------------------------
# the public searches: the shared grid, what frequency_search passes on, the policy chunks
# ---------------------------------------------------------------------------------------------


def test_the_search_grid_is_241_log_spaced_frequencies_from_0_01_to_the_cap():
    """frequency_search's docstring: one 241-point log grid of the net yield from 1e-2 per year
    to ``max_frequency_per_year`` (rebalancing_economics at those frequencies)."""
    grid, net, net_at = r._net_yield_curve(LP, 3000.0, 0.25, c.ARBITRUM, 1000.0, fee_apr=0.3)
    assert grid.shape == (241,)
    assert grid[0] == pytest.approx(1e-2, rel=1e-14) and grid[-1] == pytest.approx(1e3, rel=1e-14)
    assert np.diff(np.log(grid)) == pytest.approx(np.full(240, math.log(1e5) / 240), rel=1e-9)
    e = r.rebalancing_economics(LP, 3000.0, 0.25, c.ARBITRUM, grid, fee_apr=0.3)
    np.testing.assert_array_equal(net, e.net_yield_per_year)
    # net_at takes log n (exp(log n) is the frequency to an ulp)
    assert net_at(np.log(grid[:3])) == pytest.approx(e.net_yield_per_year[:3], rel=1e-13)


def test_frequency_search_passes_every_cost_argument_on():
    """Non-default gas token price, swap fee, pool depth and LVR switch: frequency_search finds
    what break_even_frequency and optimal_frequency find with the same arguments, and each
    argument moves the answer (so it cannot be dropped unnoticed)."""
    base = {"fee_apr": 0.3}
    kws = [
        {"gas_token_price": 1000.0},
        {"swap_fee_fraction": 0.003},
        {"pool_liquidity": 2e6},
        {"include_lvr": False},
    ]
    ref = r.frequency_search(LP, 3000.0, 0.25, c.ETHEREUM, **base)
    for kw in kws:
        f = r.frequency_search(LP, 3000.0, 0.25, c.ETHEREUM, **base, **kw)
        n_be = r.break_even_frequency(LP, 3000.0, 0.25, c.ETHEREUM, **base, **kw)
        n_opt = r.optimal_frequency(LP, 3000.0, 0.25, c.ETHEREUM, **base, **kw)
        assert f.break_even_frequency_per_year == n_be
        assert f.optimal_frequency_per_year == n_opt
        e = r.rebalancing_economics(LP, 3000.0, 0.25, c.ETHEREUM, n_opt, **base, **kw)
        assert f.optimal_net_yield_per_year == pytest.approx(e.net_yield_per_year[0], rel=1e-12)
        assert f.optimal_frequency_per_year != pytest.approx(ref.optimal_frequency_per_year,
                                                             rel=1e-3), kw


def test_policy_break_even_volatility_in_the_fewest_chunks_within_the_budget(monkeypatch):
    """Policies of one width are searched in chunks of ``MAX_FREQUENCIES // 2`` (the two ends of
    each are one evaluation of ``2 x chunk`` pairs, within the budget): the fewest chunks. With
    the budget lowered to 8 pairs, 6 policies take chunks of 4 and 2, and every policy gets its
    answer (each the same as alone)."""
    monkeypatch.setattr(r, "MAX_FREQUENCIES", 8)
    sizes = []
    orig = r._volatility_root

    def spy(net, m):
        sizes.append(m)
        return orig(net, m)

    monkeypatch.setattr(r, "_volatility_root", spy)
    aprs = np.array([0.0, 0.3, 0.0, 0.0, 0.0, 0.5])
    got = r.break_even_volatility(10, aprs, frequency_per_year=52, chain=c.ARBITRUM)
    assert sizes == [4, 2]
    assert np.isnan(got[[0, 2, 3, 4]]).all()
    for i in (1, 5):
        one = r.break_even_volatility(10, aprs[i], frequency_per_year=52, chain=c.ARBITRUM)
        assert got[i] == pytest.approx(one, rel=1e-13)


def test_normal_nodes_gauss_legendre_on_each_segment_between_the_kinks():
    """``_normal_nodes``: 24 Gauss-Legendre nodes on each of the ``k + 1`` segments of
    ``[-10, kinks..., 10]`` (no zero-width segment: each node costs a swap evaluation in
    rebalancing_economics), every weight positive, and the normal moments exact to quadrature
    precision for a function with kinks: ``E[1] = 1``, ``E[Z^2] = 1``, ``E|Z| = sqrt(2 / pi)``
    (kink at 0), ``E[(Z - k)^+] = phi(k) - k (1 - Phi(k))``."""
    from scipy import stats

    kinks = np.array([[-1.3, 0.0, 0.7], [2.0, -0.4, 0.0], [0.0, -12.0, 0.5]])
    z, w = r._normal_nodes(kinks)
    assert z.shape == w.shape == (3, 4 * 24)
    assert np.all(w[:2] > 0)
    assert np.all(w[2, :24] == 0) and np.all(w[2, 24:] > 0)  # -12 is clipped to -10: width 0
    assert np.sum(w, axis=-1) == pytest.approx(1.0, rel=1e-14)
    assert np.sum(w * z * z, axis=-1) == pytest.approx(1.0, rel=1e-13)
    assert np.sum(w * np.abs(z), axis=-1) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-14)
    k = 0.7
    call = stats.norm.pdf(k) - k * stats.norm.sf(k)
    assert np.sum(w[0] * np.maximum(z[0] - k, 0.0)) == pytest.approx(call, rel=1e-13)

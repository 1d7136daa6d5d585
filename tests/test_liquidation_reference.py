"""The boundary solver against a direct reference: a dense scan of equity - maintenance, refined
by bisection, for random accounts of every shape the kernels handle.

The reference is written from the definitions, not from the kernels: LP amounts from the
Uniswap v3 whitepaper (eqs. 6.29-6.30: in range ``x = L (1/sqrt(P) - 1/sqrt(pb))``,
``y = L (sqrt(P) - sqrt(pa))``, clamped outside), the shocked weighted collateral
``w_b x(kP) kP + w_q y(kP)`` (lpperp.collateral), and a tiered maintenance written as the integral
of the marginal rate (Binance's "maintenance amount" form, continuous at the floors:
``MM(N) = sum_t rate_t * clip(N - floor_t, 0, floor_{t+1} - floor_t)``). The scan covers
``[1e-3, 1e8]`` on a log grid; every sign change is bisected to the last bit. Accounts are drawn
from fixed seeds (deterministic, so the verdict does not depend on a hypothesis draw).
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import general_kernel, numeric_boundaries, safe_interval
from lpperp.liquidation import solve_boundaries
from lpperp.perp import MarginRules

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)
LO, HI, NGRID = 1e-3, 1e8, 6_001


def scaled(rules, s):
    """The same schedule for amounts ``s`` times smaller/larger (tier floors scaled)."""
    if s == 1.0:
        return rules
    return MarginRules(rules.name, rules.initial_fraction, rules.maintenance_fraction,
                       tuple(f * s for f in rules.tier_floors), rules.tier_maintenance,
                       rules.tier_initial)


def mm_ref(notional, rules):
    """Tiered maintenance as the integral of the marginal rate (continuous at the floors)."""
    floors = np.asarray(rules.tier_floors, dtype=float)
    rates = np.asarray(rules.tier_maintenance or (rules.maintenance_fraction,), dtype=float)
    tops = np.append(floors[1:], np.inf)
    n = np.asarray(notional, dtype=float)[..., None]
    return np.sum(rates * np.clip(n - floors, 0.0, tops - floors), axis=-1)


def lp_ref(P, pa, pb, L, k, wb, wq):
    """Shocked weighted value of a Uniswap v3 LP (whitepaper 6.29-6.30), quote units."""
    x = k * P
    s = np.sqrt(np.clip(x, pa, pb))
    base = L * (1.0 / s - 1.0 / np.sqrt(pb))
    quote = L * (s - np.sqrt(pa))
    return wb * base * x + wq * quote


def g_ref(P, acc, rules):
    """equity - maintenance at prices ``P`` (..., n_grid) for accounts ``acc`` (dict of (..., 1))."""
    coll = sum(lp_ref(P, *(acc[n][..., m:m + 1] for n in ("pa", "pb", "L", "k", "wb", "wq")))
               for m in range(acc["pa"].shape[-1]))
    q, e = acc["q"], acc["e"]
    g = coll + acc["cash"]
    for j in range(q.shape[-1]):
        qj, ej = q[..., j:j + 1], e[..., j:j + 1]
        g = g + qj * (P - ej) - mm_ref(np.abs(qj) * P, rules)
    return g


def ref_roots(acc, rules, lo=LO, hi=HI, n=NGRID):
    """Sign changes of g_ref on a log grid, bisected: list of arrays, one per account."""
    grid = np.geomspace(lo, hi, n)
    g = g_ref(grid[None, :], acc, rules)
    safe = g >= 0
    ai, ji = np.nonzero(safe[:, :-1] != safe[:, 1:])
    a, b = grid[ji], grid[ji + 1]
    sub = {key: v[ai] for key, v in acc.items()}
    s_a = safe[ai, ji]
    for _ in range(80):
        m = np.sqrt(a * b)
        s_m = g_ref(m[:, None], sub, rules)[:, 0] >= 0
        a, b = np.where(s_m == s_a, m, a), np.where(s_m == s_a, b, m)
    return [b[ai == i] for i in range(acc["cash"].shape[0])]


def random_accounts(seed, n, m_lp=1, m_perp=1, shock=True):
    rng = np.random.default_rng(seed)
    pa = rng.uniform(300.0, 5000.0, (n, m_lp))
    acc = {
        "pa": pa,
        "pb": pa * rng.uniform(1.01, 4.0, (n, m_lp)),
        "L": rng.uniform(0.0, 3000.0, (n, m_lp)) * (rng.random((n, m_lp)) < 0.9),
        "k": rng.uniform(0.6, 1.0, (n, m_lp)) if shock else np.ones((n, m_lp)),
        "wb": rng.uniform(0.0, 1.0, (n, m_lp)),
        "wq": rng.uniform(0.0, 1.0, (n, m_lp)),
        "q": rng.normal(0.0, 12.0, (n, m_perp)),
        "e": rng.uniform(1000.0, 5000.0, (n, m_perp)),
        "cash": rng.normal(0.0, 10_000.0, (n, 1)),
    }
    return acc


def _solve(acc, rules, price=P0):
    c = {key: v[:, 0] for key, v in acc.items()}
    return solve_boundaries(price, c["q"], c["e"], c["cash"], price_lower=c["pa"],
                            price_upper=c["pb"], liquidity=c["L"], rules=rules, shock=c["k"],
                            base_factor=c["wb"], quote_factor=c["wq"])


def _check_against_reference(bnd, lower, upper, liq_now, acc, rules, price):
    roots = ref_roots(acc, rules)
    g0 = g_ref(np.full((len(roots), 1), price), acc, rules)[:, 0]
    for i, r in enumerate(roots):
        got = bnd[i][np.isfinite(bnd[i])]
        got = got[(got > LO) & (got < HI)]
        assert got.size == r.size, (i, got, r)
        np.testing.assert_allclose(got, r, rtol=1e-9, err_msg=str(i))
        assert bool(liq_now[i]) == bool(g0[i] < 0), i
        if g0[i] < 0:
            assert np.isnan(lower[i]) and np.isnan(upper[i])
        else:
            below, above = r[r < price], r[r > price]
            exp_lo = below[-1] if below.size else 0.0
            exp_hi = above[0] if above.size else np.inf
            assert lower[i] == pytest.approx(exp_lo, rel=1e-9, abs=0.0), i
            assert upper[i] == pytest.approx(exp_hi, rel=1e-9), i


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
@pytest.mark.parametrize("seed", [1, 2])
def test_fast_kernel_finds_every_boundary_of_the_dense_scan(rules, seed):
    acc = random_accounts(seed, 80, shock=seed == 2)
    res = _solve(acc, rules)
    _check_against_reference(res.boundaries, res.safe_lower, res.safe_upper,
                             res.liquidatable_now, acc, rules, P0)


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
def test_general_kernel_with_two_lps_and_two_perps_matches_the_dense_scan(rules):
    acc = random_accounts(5, 60, m_lp=2, m_perp=2)
    acc["L"][:6] = 0.0  # some accounts without LP: no breakpoint at all under flat rules
    f, r, d = rules.maintenance_pieces()
    const = acc["cash"][:, 0] - np.sum(acc["q"] * acc["e"], axis=1)
    P = np.full(60, P0)
    bnd, g0 = general_kernel(P, acc["pa"], acc["pb"], acc["L"], acc["k"], acc["wb"], acc["wq"],
                             acc["q"], const, f, r, d)
    np.testing.assert_allclose(g0, g_ref(P[:, None], acc, rules)[:, 0], rtol=1e-12, atol=1e-9)

    def gfun(prices):
        return g_ref(prices, acc, rules)

    lower, upper = safe_interval(bnd, P, g0, gfun)
    _check_against_reference(bnd, lower, upper, g0 < 0, acc, rules, P0)


def test_general_kernel_one_lp_one_perp_equals_fast_kernel_and_reference():
    # the general kernel on the fast kernel's accounts: same boundaries, same g at the price
    acc = random_accounts(9, 80)
    f, r, d = TIERED.maintenance_pieces()
    const = acc["cash"][:, 0] - acc["q"][:, 0] * acc["e"][:, 0]
    P = np.full(80, P0)
    one = {key: v[:, 0] for key, v in acc.items()}
    bf, g0f, lof, hif, _ = fast_kernel(P, one["pa"], one["pb"], one["L"], one["k"], one["wb"],
                                       one["wq"], one["q"], const, f, r, d)
    bg, g0g = general_kernel(P, acc["pa"], acc["pb"], acc["L"], acc["k"], acc["wb"], acc["wq"],
                             acc["q"], const, f, r, d)
    gr = g_ref(P[:, None], acc, TIERED)[:, 0]
    np.testing.assert_allclose(g0f, gr, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(g0g, gr, rtol=1e-12, atol=1e-9)
    _check_against_reference(bf, lof, hif, g0f < 0, acc, TIERED, P0)
    _check_against_reference(bg, *safe_interval(bg, P, g0g, lambda p: g_ref(p, acc, TIERED)),
                             g0g < 0, acc, TIERED, P0)


@pytest.mark.parametrize("price", [50.0, 800.0, 3000.0, 20_000.0])
def test_safe_interval_at_other_current_prices(price):
    # the same accounts seen from prices below, inside and above most ranges
    acc = random_accounts(3, 60)
    res = _solve(acc, TIERED, price)
    _check_against_reference(res.boundaries, res.safe_lower, res.safe_upper,
                             res.liquidatable_now, acc, TIERED, price)


def test_a_long_liquidated_far_below_the_price_and_a_short_far_above():
    # closed forms (flat 5 %, cash only, |q| = 1): a long is liquidated where
    # C + (P - E) = 0.05 P, i.e. C = E - 0.95 P; a short where C - (P - E) = 0.05 P, i.e.
    # C = 1.05 P - E. Boundaries at 1e-4 and 1e4 times the price.
    q = np.array([1.0, -1.0])
    e = np.array([P0, P0])
    target = np.array([P0 * 1e-4, P0 * 1e4])
    cash = np.array([P0 - 0.95 * target[0], 1.05 * target[1] - P0])
    res = solve_boundaries(P0, q, e, cash, rules=FLAT)
    np.testing.assert_allclose(res.liquidation_price_below[0], target[0], rtol=1e-12)
    np.testing.assert_allclose(res.liquidation_price_above[1], target[1], rtol=1e-12)
    assert np.isnan(res.liquidation_price_above[0]) and np.isnan(res.liquidation_price_below[1])


def test_numeric_boundaries_over_the_whole_bracket():
    # a margin gap with sign changes at 1.5e-6, 1 and 9e5 times the price (the bracket is
    # P0 * [1e-6, 1e6]); one root exactly on a grid point (P0) and one on a breakpoint
    roots = np.array([P0 * 1.5e-6, P0, P0 * 9e5])

    def g(p):
        p = np.asarray(p, dtype=float)
        return np.prod(np.log(p[..., None] / roots), axis=-1)

    got, g0 = numeric_boundaries(g, P0, [P0 * 9e5])
    np.testing.assert_allclose(got, roots, rtol=1e-12)
    assert g0 == 0.0
    # roots outside the bracket P0 * [1e-6, 1e6] are not searched (documented)
    for r in (P0 * 2e6, P0 * 5e-7):
        far, _ = numeric_boundaries(lambda p, r=r: np.log(np.asarray(p) / r), P0, [])
        assert far.size == 0
    # a narrow unsafe band (0.3 % wide) between two boundaries is resolved by the dense grid
    band = np.array([P0 * 1.5, P0 * 1.503])
    got, _ = numeric_boundaries(lambda p: (p - band[0]) * (p - band[1]), P0, [])
    np.testing.assert_allclose(got, band, rtol=1e-12)


def test_numeric_boundaries_ignore_breakpoints_that_are_not_prices():
    # breakpoints at 0, below 0, inf or NaN are dropped: g is only asked about prices > 0
    def g(p):
        p = np.asarray(p, dtype=float)
        ok = np.isfinite(p) & (p > 0)
        return np.where(ok, np.log(np.where(ok, p, 1.0) / 700.0), 1.0)

    ref, _ = numeric_boundaries(g, P0, [])
    got, _ = numeric_boundaries(g, P0, [0.0, -5.0, np.inf, np.nan])
    assert ref.tolist() == got.tolist() == pytest.approx([700.0], rel=1e-12)


def test_numeric_boundaries_with_exact_values_on_grid_points():
    # P0 is always a grid point and the next log-grid point is P0 * 10**(1/2000) (+0.115 %);
    # planted breakpoints in between are grid points too. Quadratics with a root exactly on a
    # grid point, a root between grid points, g exactly 1 at the grid point before a root.
    b1, b2, b3 = P0 * 1.0001, P0 * 1.0002, P0 * 1.0003
    r = P0 * 1.00005

    def quad(x, y):
        return lambda p: (np.asarray(p, dtype=float) - x) * (np.asarray(p, dtype=float) - y) / P0**2

    # zero at P0, unsafe at b2, safe after the root b3 <- one grid point after the crossing
    got, g0 = numeric_boundaries(quad(P0, b3 * 0.99999), P0, [b2])
    assert g0 == 0.0
    np.testing.assert_allclose(got, [P0, b3 * 0.99999], rtol=1e-13)
    assert got[0] == P0
    # root between P0 and b2; exactly zero at b3 two grid points later
    got, _ = numeric_boundaries(quad(b1 * 0.99999, b3), P0, [b2, b3])
    np.testing.assert_allclose(got, [b1 * 0.99999, b3], rtol=1e-13)
    assert got[1] == b3
    # g exactly 1 on the grid point below a root, and exactly 1 on the grid point above one
    down, _ = numeric_boundaries(lambda p: 1.0 - (np.asarray(p) - P0) / (P0 * 5e-4), P0, [])
    up, _ = numeric_boundaries(lambda p: 1.0 + (np.asarray(p) - P0) / (P0 * 5e-4), P0, [])
    np.testing.assert_allclose(down, [P0 * 1.0005], rtol=1e-13)
    np.testing.assert_allclose(up, [P0 * 0.9995], rtol=1e-13)
    # a small root (xtol is relative: 1e-14 of the bracket's low end)
    small, _ = numeric_boundaries(lambda p: np.log(np.asarray(p) / (r * 1e-5)), P0, [])
    np.testing.assert_allclose(small, [r * 1e-5], rtol=1e-13)


def test_numeric_boundaries_exact_zero_on_the_upper_grid_point():
    # g is exactly 0 at a breakpoint and negative just below it: the breakpoint is the boundary
    bp = 4321.0

    def g(p):
        p = np.asarray(p, dtype=float)
        return np.where(p >= bp, 0.0, -1.0)

    got, _ = numeric_boundaries(g, P0, [bp])
    assert got.tolist() == [bp]


@pytest.mark.parametrize("scale", [1.0, 1e-7])
def test_an_account_priced_on_a_boundary_gets_its_safe_side(scale):
    # every reference root of seeded accounts used as the current price, moved 2e-10 (relative)
    # to its safe side: within the solver's 1e-9 "at the price" tolerance, so the solver sees the
    # boundary at the price and must return the safe side of it: from that boundary to the next
    # one (or 0 / inf)
    # scale: every amount (cash, liquidity, size, tier floors) times 1e-7 leaves the boundaries
    # where they are while g shrinks below 1 quote unit
    rules = scaled(TIERED, scale)
    acc = random_accounts(28, 60)  # a seed with four two-sided accounts
    for key in ("L", "q", "cash"):
        acc[key] = acc[key] * scale
    roots = ref_roots(acc, rules)
    rows = [(i, j) for i, r in enumerate(roots) for j in range(r.size)]
    idx = np.array([i for i, _ in rows])
    root = np.array([roots[i][j] for i, j in rows])
    sub = {key: v[idx] for key, v in acc.items()}
    up = g_ref(root[:, None] * (1 + 1e-7), sub, rules)[:, 0] >= 0  # safe above the root
    price = root * np.where(up, 1 + 2e-10, 1 - 2e-10)
    assert np.all(g_ref(price[:, None], sub, rules)[:, 0] > 0)
    res = _solve(sub, rules, price)
    assert not res.liquidatable_now.any()
    assert res.safe_lower.dtype == res.safe_upper.dtype == np.float64
    for k in range(len(rows)):  # the interval's finite ends are the solver's own boundaries
        for end in (res.safe_lower[k], res.safe_upper[k]):
            assert end in (0.0, np.inf) or end in res.boundaries[k]
    # the same accounts through the general kernel and safe_interval in one batch with the
    # same accounts at 3000 (a price on no boundary): each row as on its own
    n = len(rows)
    f, rt, d = rules.maintenance_pieces()
    both = {key: np.concatenate([v, v]) for key, v in sub.items()}
    const = both["cash"][:, 0] - both["q"][:, 0] * both["e"][:, 0]
    P = np.concatenate([price, np.full(n, P0)])
    bnd, g0 = general_kernel(P, both["pa"], both["pb"], both["L"], both["k"], both["wb"],
                             both["wq"], both["q"], const, f, rt, d)
    lo, hi = safe_interval(bnd, P, g0, lambda x: g_ref(x, both, rules))
    np.testing.assert_allclose(lo[:n], res.safe_lower, rtol=1e-12)
    np.testing.assert_allclose(hi[:n], res.safe_upper, rtol=1e-12)
    alone = _solve(sub, rules, P0)
    np.testing.assert_allclose(lo[n:], alone.safe_lower, rtol=1e-12)
    np.testing.assert_allclose(hi[n:], alone.safe_upper, rtol=1e-12)
    for k, (i, j) in enumerate(rows):
        r = roots[i]
        if up[k]:  # [this boundary, the next one)
            assert res.safe_lower[k] == pytest.approx(r[j], rel=1e-9)
            assert res.safe_upper[k] == pytest.approx(r[j + 1] if j + 1 < r.size else np.inf,
                                                      rel=1e-9)
        else:  # (the previous one, this boundary]
            assert res.safe_upper[k] == pytest.approx(r[j], rel=1e-9)
            assert res.safe_lower[k] == pytest.approx(r[j - 1] if j else 0.0, rel=1e-9)
    assert up.sum() >= 3 and (~up).sum() >= 3  # both sides exercised
    assert any(r.size >= 2 for r in roots)


def test_an_account_exactly_at_its_boundary_is_safe_on_its_safe_side():
    # dyadic numbers (maintenance 1/16, price 3200, cash 200): g(3200) = 200 - 3200/16 = 0
    # exactly. A long is safe from 3200 up, a short from 0 to 3200; neither is liquidatable.
    r = MarginRules("x", 0.125, 0.0625)
    res = solve_boundaries(3200.0, [1.0, -1.0], 3200.0, 200.0, rules=r)
    assert not res.liquidatable_now.any()
    assert res.safe_lower.tolist() == pytest.approx([3200.0, 0.0], rel=1e-12)
    assert res.safe_upper.tolist() == pytest.approx([np.inf, 3200.0], rel=1e-12)
    # one cent less cash: liquidatable now, no interval
    res = solve_boundaries(3200.0, [1.0, -1.0], 3200.0, 199.99, rules=r)
    assert res.liquidatable_now.all() and np.isnan(res.safe_lower).all()


def test_safe_interval_of_accounts_without_any_boundary():
    # no boundary anywhere (an empty boundary array): safe from 0 to inf, or NaN if g < 0
    lo, hi = safe_interval(np.empty((2, 0)), np.array([P0, P0]), np.array([5.0, -5.0]),
                           lambda p: np.zeros_like(p))
    assert lo[0] == 0.0 and hi[0] == np.inf
    assert np.isnan(lo[1]) and np.isnan(hi[1])

    # the general kernel on accounts none of which has a boundary: no boundary column at all
    acc = random_accounts(4, 3, m_lp=2, m_perp=2)
    acc["q"][:] = 0.0
    acc["cash"][:] = 100.0
    f, r, d = FLAT.maintenance_pieces()
    bnd, g0 = general_kernel(np.full(3, P0), acc["pa"], acc["pb"], acc["L"], acc["k"], acc["wb"],
                             acc["wq"], acc["q"], acc["cash"][:, 0], f, r, d)
    assert bnd.shape == (3, 0) and np.all(g0 > 0)

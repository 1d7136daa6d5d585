"""The simulator's fast paths: which one a scenario takes, and that each gives the general
path's numbers (issue 14: the dispatch survivors of ``make mutate`` in lpperp/simulate.py).

Measured (2026-11-30, this machine, ``/tmp/simsurv_bench.py``, 12,288 paths a call / 365 daily
steps x 2,000 paths a run):

- the collateral value of a static or token-min factor is ``cf V`` (one multiply, 4.3 us a call),
  per-token weights at ``k = 1`` are one expression (60 us); the general
  :func:`lpperp.collateral.weighted_value` takes ~350 us a call: the kernel calls it at every
  step of every path, so the form chosen is part of the speed contract;
- a :class:`~lpperp.oracle.Spot` oracle is the market itself: the kernel skips the oracle branch
  (0.046 s a run instead of 0.055 s through it);
- the OU funding step is inlined (0.052 s a run instead of 0.058 s through ``OUFunding.step``).

Each fast path must also give the general path's floats bit for bit (the general path is what
the reference tests check), which the equality tests below pin.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import test_simulate_kill_reference as ref  # the direct one-path reference loop and its paths
from test_simulate import _InterruptingGBM  # a GBM whose second block raises KeyboardInterrupt

import lpperp.simulate as sim
from lpperp._validate import LpperpError
from lpperp.collateral import (
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
)
from lpperp.oracle import Spot
from lpperp.position import LPPosition
from lpperp.processes import GBM, PATH_BLOCK, ConstantFunding, OUFunding
from lpperp.simulate import Scenario, run_on_paths, simulate

FIELDS = ("final_wealth", "fees", "lvr", "funding", "funding_exposure", "perp", "costs",
          "liquidation_loss", "liquidation_step", "n_liquidations", "market_breach_step")


def _same(a, b):
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


# -- the collateral value's form ----------------------------------------------------------------
KINDS = {
    "static factor: cf V": (StaticFactor(0.8), "scaled"),
    "token-min factor: cf V": (TokenMinFactor(0.8, 0.9, 0.5), "scaled"),
    "per-token weights without a shock": (RangeAwareFactor(0.0, 0.6, 0.95), "weights"),
    "per-token weights with a shock": (RangeAwareFactor(12.0, 0.9, 1.0), "shocked"),
    "one weight with a shock": (RangeAwareFactor(12.0, 0.9, 0.9), "shocked"),
    "EWMA-fed shock": (VolatilityScaledFactor(0.7), "shocked"),
    "a factor of the price": (FunctionFactor(lambda p: np.clip(p / 5000.0, 0.0, 0.9)), "function"),
}


@pytest.mark.parametrize("name", list(KINDS))
def test_the_collateral_value_takes_the_cheapest_form_its_model_allows(name, monkeypatch):
    """The form (``_Collateral.kind``) is chosen once per run; the scaled and the weights forms
    never call ``weighted_value`` (~80x and ~6x slower, module docstring), and every form gives
    the model's own ``collateral_value`` of the same LP (in, below and above its range)."""
    model, kind = KINDS[name]
    c = sim._Collateral(model, ref.DT)
    assert c.kind == kind
    calls = []
    real = sim.weighted_value
    monkeypatch.setattr(sim, "weighted_value", lambda *a: calls.append(1) or real(*a))
    p = np.array([2000.0, 2700.0, 3000.0, 3300.0, 4000.0])
    pa, pb, L = np.full(5, 2400.0), np.full(5, 3600.0), np.full(5, 120.0)
    s = np.sqrt(np.clip(p, pa, pb))
    b = L * (1 / s - 1 / np.sqrt(pb))
    v = b * p + L * (s - np.sqrt(pa))
    var = np.full(5, 0.8**2 * ref.DT)
    got = c.value(p, s, v, pa, pb, np.sqrt(pa), 1 / np.sqrt(pb), L, var)
    assert bool(calls) == (kind == "shocked")
    if isinstance(model, VolatilityScaledFactor):  # the shock at the EWMA volatility
        model = replace(model, sigma_per_year=math.sqrt(var[0] / ref.DT))
    want = [model.collateral_value(LPPosition(2400.0, 3600.0, 120.0), x) for x in p]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_shocked_quote_weight_below_one_values_the_quote_at_its_weight():
    """``RangeAwareFactor(10, 0.9, 0.8)``: above the range the LP is all quote, worth 0.8 of it
    (not 1), and in range the quote side is weighted 0.8 too."""
    model = RangeAwareFactor(10.0, 0.9, 0.8)
    c = sim._Collateral(model, ref.DT)
    p = np.array([3000.0, 5000.0])
    pa, pb, L = np.full(2, 2400.0), np.full(2, 3600.0), np.full(2, 100.0)
    s = np.sqrt(np.clip(p, pa, pb))
    v = L * (1 / s - 1 / np.sqrt(pb)) * p + L * (s - np.sqrt(pa))
    got = c.value(p, s, v, pa, pb, np.sqrt(pa), 1 / np.sqrt(pb), L, None)
    assert got[1] == pytest.approx(0.8 * 100.0 * (60.0 - math.sqrt(2400.0)), rel=1e-12)
    k = 0.9
    sk = math.sqrt(min(max(3000.0 * k, 2400.0), 3600.0))
    want = 0.9 * 100 * (1 / sk - 1 / 60.0) * 3000.0 * k + 0.8 * 100 * (sk - math.sqrt(2400.0))
    assert got[0] == pytest.approx(want, rel=1e-12)


# -- the oracle: Spot is the market ------------------------------------------------------------
def test_a_spot_oracle_is_the_market_without_the_oracle_branch(monkeypatch):
    """A :class:`Spot` oracle reports the market: the run is the oracle-less run bit for bit, and
    the kernel never starts the oracle (the oracle branch is ~20 % slower, module docstring)."""
    calls = []
    real = Spot.start
    monkeypatch.setattr(Spot, "start", lambda self, *a: calls.append(1) or real(self, *a))
    s = ref.CASES["lp, health recentre and top-up"]
    a = run_on_paths(s, ref.MAT, ref.DT, noise=np.zeros((12, 5)))
    b = run_on_paths(Scenario(**{**vars(s), "oracle": Spot()}), ref.MAT, ref.DT,
                     noise=np.zeros((12, 5)))
    assert calls == []
    _same(a, b)


# -- funding -------------------------------------------------------------------------------------
class _Protocol:
    """A funding process known by its protocol only (``start``/``step``/``interval_hours``/
    ``stochastic``), delegating to ``inner``; ``correlation`` only if ``inner`` has one."""

    def __init__(self, inner):
        self.inner = inner
        self.interval_hours = inner.interval_hours
        self.z_returns = []

    @property
    def stochastic(self):
        return self.inner.stochastic

    def start(self, n_paths):
        return self.inner.start(n_paths)

    def step(self, state, dt_years, z_return, z_own):
        self.z_returns.append(z_return)
        return self.inner.step(state, dt_years, z_return, z_own)


class _ProtocolCorrelated(_Protocol):
    @property
    def correlation(self):
        return self.inner.correlation


@pytest.mark.parametrize("interval_hours, dt", [(1.0, ref.DT), (8.0, 1 / 8760), (24.0, ref.DT)])
def test_a_constant_rate_pays_as_a_protocol_process_of_that_rate(interval_hours, dt):
    """``ConstantFunding`` skips ``step`` (its rate is known), with the same arithmetic: the
    same floats as a protocol-only process answering that rate."""
    f = ConstantFunding(0.3, interval_hours=interval_hours)
    base = ref.CASES["lp short, arbitrum, recentre"]
    a = run_on_paths(Scenario(**{**vars(base), "funding": f}), ref.MAT, dt)
    duck = _Protocol(f)
    b = run_on_paths(Scenario(**{**vars(base), "funding": duck}), ref.MAT, dt)
    assert len(duck.z_returns) == 12
    _same(a, b)


@pytest.mark.parametrize("rho", [0.0, 0.6, 1.0])
def test_the_inlined_ou_step_is_ou_funding_step(rho, monkeypatch):
    """The OU step is inlined (~12 % faster a run, module docstring) in ``OUFunding.step``'s
    order: the same floats as the same process known by its protocol only; ``OUFunding.step``
    itself is never called."""
    ou = OUFunding(0.1, kappa_per_year=30.0, sigma_per_year=4.0, correlation=rho,
                   interval_hours=24.0, cap_per_hour=0.0002)
    base = ref.CASES["lp short, arbitrum, recentre"]
    zf = np.cos(np.arange(60) * 0.7).reshape(12, 5) * 1.3
    duck = _ProtocolCorrelated(ou)
    b = run_on_paths(Scenario(**{**vars(base), "funding": duck}), ref.MAT, ref.DT,
                     funding_noise=zf)
    assert len(duck.z_returns) == 12
    calls = []
    real = OUFunding.step
    monkeypatch.setattr(OUFunding, "step", lambda self, *a: calls.append(1) or real(self, *a))
    a = run_on_paths(Scenario(**{**vars(base), "funding": ou}), ref.MAT, ref.DT, funding_noise=zf)
    assert calls == []
    _same(a, b)


def test_a_protocol_process_without_a_correlation_is_given_no_return_noise():
    """Without ``correlation`` a stochastic process is uncorrelated with the price: its ``step``
    is given ``z_return=None`` (the kernel then keeps no EWMA for it)."""
    duck = _Protocol(OUFunding(0.1, kappa_per_year=30.0, sigma_per_year=4.0, correlation=0.0))
    run_on_paths(Scenario(**{**vars(ref.CASES["lp short, arbitrum, recentre"]), "funding": duck}),
                 ref.MAT, ref.DT)
    assert len(duck.z_returns) == 12 and all(z is None for z in duck.z_returns)


def test_a_step_exactly_at_the_paying_edge_pays_every_step():
    """``dt >= interval (1 - 1e-9)`` pays at every step: a step exactly at the edge (the same
    floats as the kernel's ``interval_hours / 8760 x (1 - 1e-9)``) is paid every step, as the
    reference pays it."""
    dt = 1.0 / 8760.0 * (1.0 - 1e-9)
    s = Scenario(**ref.BASE, leverage=3.0, funding=ConstantFunding(0.4, interval_hours=1.0))
    path = ref.P0 * np.exp(np.linspace(0.0, 0.01, 9) * np.cos(np.arange(9)))
    r = ref.check(s, path[:, None], dt)
    assert r.funding[0] != 0.0


# -- run_many hands its arguments to iter_increments ---------------------------------------------
def test_simulate_checks_chunk_steps():
    with pytest.raises(LpperpError, match="chunk_steps"):
        simulate(Scenario(), GBM(0.8), 1 / 365, 2, 10, seed=0, chunk_steps=0)


def test_a_raised_step_budget_reaches_the_increments():
    """``max_path_steps`` raised to 4e9 lets 3e9 one-step paths start (the default 2e9 would
    refuse them before any draw); the second block is interrupted, so only the first runs."""
    with pytest.warns(RuntimeWarning, match="interrupted"):
        r = simulate(Scenario(kind="stable"), _InterruptingGBM(0.8), 1 / 365, 1, 3 * 10**9,
                     seed=1, chunk_paths=PATH_BLOCK, max_path_steps=4 * 10**9)
    assert r.n_paths == PATH_BLOCK


class _StrictOracle:
    """An oracle known by its ``start``/``step`` only, whose ``start`` takes the start time
    without a default: the kernel starts it at time 0 explicitly."""

    def __init__(self, inner):
        self.inner, self.t0 = inner, []

    def start(self, prices0, t0_seconds):
        self.t0.append(t0_seconds)
        return self.inner.start(prices0, t0_seconds)

    def step(self, state, t_seconds, prices):
        return self.inner.step(state, t_seconds, prices)


def test_a_protocol_oracle_is_started_at_time_zero():
    o = _StrictOracle(Spot())
    r = run_on_paths(Scenario(**ref.BASE, leverage=3.0, oracle=o), ref.MAT, ref.DT)
    assert o.t0 == [0.0]
    assert r.n_paths == ref.MAT.shape[1]

"""Notebook 05's explorer memoizes the gas-dependent library calls: what it shows must stay the
library's own numbers, bit for bit, and follow every input the call depends on.

Reference: a direct :func:`lpperp.rebalancing.break_even_volatility` (and
:func:`lpperp.viz.economics.compute_economics` with the memo cleared) on the scenario the explorer
shows, compared with ``==`` (no tolerance): a stale entry or a key that misses an input would show
another scenario's value.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lpperp.rebalancing import break_even_volatility
from lpperp.viz import economics as eco
from lpperp.viz.economics import (
    ECONOMICS_TRACES,
    EconomicsScenario,
    RebalancingExplorer,
    compute_economics,
)

POLICY = ECONOMICS_TRACES.index("break-even volatility (policy)")


def direct(s: EconomicsScenario) -> float:
    """The policy break-even volatility straight from the library (no memo)."""
    return float(break_even_volatility(
        s.width_pct, s.fee_apr, frequency_per_year=s.frequency_per_year, chain=s.chains()[s.chain],
        price=s.price, deposit=s.deposit, swap_fee_fraction=s.swap_fee_fraction))


def same(a: float, b: float) -> bool:
    """Bit-identical floats (NaN equals NaN: "costs exceed the fees" is a value too)."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def options(ex: RebalancingExplorer) -> list[float]:
    """The gas slider's values (round values on a log scale and the chains' presets)."""
    return [v for _, v in ex.controls["gas_price_gwei"].options]


def slider_values(ex: RebalancingExplorer, steps: range) -> list[float]:
    """Gas prices the explorer's slider steps to from its current value (its own options)."""
    values = options(ex)
    i = values.index(ex.controls["gas_price_gwei"].value)
    return [values[i + k] for k in steps if 0 <= i + k < len(values)]


def check_shown(ex: RebalancingExplorer) -> float:
    """The readout and the figure's policy marker equal the direct library call."""
    want = direct(ex.scenario())
    got = ex.readout_values["break_even_volatility_policy"]
    assert same(got, want), (ex.scenario(), got, want)
    x = list(ex.figure.data[POLICY].x)
    assert x == ([want] if math.isfinite(want) else [])
    return want


SCENARIOS = [
    {"chain": "ethereum"},
    {"chain": "arbitrum", "width_pct": 5.0, "fee_apr": 0.5},
    {"chain": "base", "frequency_per_year": 365.0, "sigma_per_year": 0.6},
    {"chain": "optimism", "l1_base_fee_gwei": 30.0, "frequency_per_year": 2000.0},
]


@pytest.mark.parametrize("kw", SCENARIOS)
def test_gas_steps_forward_and_back_show_the_library_value(kw: dict) -> None:
    ex = RebalancingExplorer(**kw)
    sl = ex.controls["gas_price_gwei"]
    values = slider_values(ex, range(-4, 5))
    shown = {}
    for g in values + values[::-1]:  # the way back hits the memo
        sl.value = g
        v = check_shown(ex)
        assert same(shown.setdefault(g, v), v)
    assert len({round(v, 15) for v in shown.values() if math.isfinite(v)}) > 1 or all(
        not math.isfinite(v) for v in shown.values())


def test_every_slider_value_equals_the_direct_call() -> None:
    """Across the whole gas slider (1e-4 to 1e3 gwei), twice (memo hits)."""
    grid = options(RebalancingExplorer(chain="ethereum"))
    assert grid[0] == 1e-4 and grid[-1] == 1e3 and len(grid) >= 70
    for _ in range(2):
        for g in grid:
            s = EconomicsScenario(chain="ethereum", gas_price_gwei=g)
            assert same(compute_economics(s).break_even_sigma_policy, direct(s)), g
    # the sweep crosses from a finite break-even to "costs exceed the fees" (NaN)
    vals = [direct(EconomicsScenario(chain="ethereum", gas_price_gwei=g)) for g in grid[::10]]
    assert any(math.isnan(v) for v in vals) and any(math.isfinite(v) for v in vals)


@pytest.mark.parametrize("control, new", [
    ("width_pct", 20.0), ("fee_apr", 0.6), ("frequency_per_year", 365.0),
    ("deposit", 1_000_000.0), ("l1_base_fee_gwei", 50.0),
])
def test_a_non_gas_input_invalidates_the_memo(control: str, new: float) -> None:
    """Revisiting the same gas prices after another input changed shows the new scenario's value."""
    chain = "arbitrum" if control == "l1_base_fee_gwei" else "ethereum"
    ex = RebalancingExplorer(chain=chain)
    sl = ex.controls["gas_price_gwei"]
    values = slider_values(ex, range(0, 4))
    before = {}
    for g in values:
        sl.value = g
        before[g] = check_shown(ex)
    ex.controls[control].value = new
    changed = 0
    for g in values:
        sl.value = g
        after = check_shown(ex)
        changed += not same(after, before[g])
    assert changed == len(values)  # each would have been stale had the key missed `control`


def test_volatility_step_reuses_the_search_and_still_matches() -> None:
    """The policy break-even does not depend on the volatility: a volatility step is a memo hit."""
    ex = RebalancingExplorer(chain="base")
    hits = eco._policy_break_even.cache_info().hits
    for sigma in (0.3, 0.35, 0.4):
        ex.controls["sigma_per_year"].value = sigma
        check_shown(ex)
    assert eco._policy_break_even.cache_info().hits >= hits + 3


def test_memoized_result_equals_a_fresh_computation() -> None:
    """Every readout number after a walk over the memo equals compute_economics with it cleared."""
    ex = RebalancingExplorer(chain="ethereum", frequency_per_year=365.0)
    sl = ex.controls["gas_price_gwei"]
    for g in slider_values(ex, range(3)) + slider_values(ex, range(0, -3, -1)):
        sl.value = g
    for g in slider_values(ex, range(-2, 3)):
        sl.value = g
        shown = dict(ex.readout_values)
        memo = ex.result
        clear_memos()
        result = compute_economics(ex.scenario())
        fresh = result.readout
        for name in ("net_apr", "break_even", "optimal", "optimal_net_apr", "gas_net_apr",
                     "sigma_net_apr", "execution_per_year", "data_per_year", "gross_apr"):
            assert np.array_equal(getattr(memo, name), getattr(result, name), equal_nan=True), name
        for a, b in zip(memo.at_frequency, result.at_frequency, strict=True):
            for name, v in vars(a).items():
                if isinstance(v, np.ndarray):
                    assert np.array_equal(v, getattr(b, name), equal_nan=True), name
                else:
                    assert v == getattr(b, name), name
        assert shown.keys() == fresh.keys()
        for k in shown:
            assert same(float(shown[k]), float(fresh[k])), k
        assert np.array_equal(ex.figure.data[POLICY].x or [], fresh_marker(fresh))


def clear_memos() -> None:
    for f in (eco._policy_break_even, eco._chain_curve, eco._at_frequency, eco._sigma_curve,
              eco._gas_curve, eco._gross_curve):
        f.cache_clear()


@pytest.mark.parametrize("control, new", [
    ("sigma_per_year", 0.6), ("width_pct", 20.0), ("fee_apr", 0.6), ("deposit", 1_000_000.0),
    ("l1_base_fee_gwei", 50.0), ("frequency_per_year", 365.0), ("chain", "base"),
])
def test_every_memo_follows_a_non_gas_input(control: str, new) -> None:
    """After a gas walk and another input's change, the whole result equals a fresh computation."""
    ex = RebalancingExplorer(chain="optimism")
    sl = ex.controls["gas_price_gwei"]
    for g in slider_values(ex, range(3)):
        sl.value = g
    old = ex.result
    ex.controls[control].value = new
    memo = ex.result
    clear_memos()
    fresh = compute_economics(ex.scenario())
    for name in ("net_apr", "sigma_net_apr", "gas_net_apr", "break_even_sigma_policy"):
        assert np.array_equal(getattr(memo, name), getattr(fresh, name), equal_nan=True), name
    for a, b in zip(memo.at_frequency, fresh.at_frequency, strict=True):
        assert np.array_equal(a.net_yield_per_year, b.net_yield_per_year), control
    changed = [not np.array_equal(a.net_yield_per_year, b.net_yield_per_year)
               for a, b in zip(old.at_frequency, memo.at_frequency, strict=True)]
    assert any(changed)


def fresh_marker(readout: dict) -> list[float]:
    v = readout["break_even_volatility_policy"]
    return [v] if math.isfinite(v) else []


def test_prefetch_in_a_running_loop_fills_the_next_step_and_shows_the_library_value() -> None:
    """In a running event loop (a kernel), a gas step schedules the next step the same way: the
    following step is a memo hit for the search, and what it shows is still the direct call."""
    import asyncio

    async def walk() -> tuple[int, int]:
        ex = RebalancingExplorer(chain="ethereum", gas_price_gwei=20.0)
        sl = ex.controls["gas_price_gwei"]
        grid = slider_values(ex, range(1, 6))
        hits = misses = 0
        for g in grid:
            before = eco._policy_break_even.cache_info()
            sl.value = g
            after = eco._policy_break_even.cache_info()
            hits += after.hits - before.hits
            misses += after.misses - before.misses
            check_shown(ex)
            await asyncio.sleep(0)  # the kernel idles: the prefetch runs
        ex.controls["width_pct"].value = 12.0  # not a gas step: nothing prefetched, still exact
        check_shown(ex)
        await asyncio.sleep(0)
        return hits, misses

    eco._policy_break_even.cache_clear()
    hits, misses = asyncio.run(walk())
    assert misses == 1 and hits == 4  # the first step is new; each later one was prefetched


def test_next_gas_step_only_for_a_gas_move() -> None:
    ex = RebalancingExplorer(chain="arbitrum")
    s = ex.scenario()
    values = options(ex)
    i = values.index(s.gas_price_gwei)
    up = replace(s, gas_price_gwei=values[i + 1])
    nxt = ex._next_gas_step(s, up)
    assert nxt is not None and nxt.gas_price_gwei == values[i + 2]
    assert replace(nxt, gas_price_gwei=up.gas_price_gwei) == up
    down = ex._next_gas_step(up, s)
    assert down is not None and down.gas_price_gwei == values[i - 1]
    # off the slider, or at its end: nothing to prefetch
    assert ex._next_gas_step(s, replace(s, gas_price_gwei=values[i] * 1.1)) is None
    top = replace(s, gas_price_gwei=values[-1])
    assert ex._next_gas_step(replace(s, gas_price_gwei=values[-2]), top) is None
    assert ex._next_gas_step(top, replace(s, gas_price_gwei=values[-2])).gas_price_gwei \
        == values[-3]
    assert ex._next_gas_step(s, replace(up, width_pct=20.0)) is None
    assert ex._next_gas_step(s, s) is None

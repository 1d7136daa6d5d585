"""lpperp.units TickMath at ticks where the contract's rounding decides, pinned from the contract.

``getSqrtRatioAtTick`` multiplies up to 19 Q128 constants with a right shift after each product,
so its result can differ from the true ``sqrt(1.0001)**tick * 2**96`` by several units; at such
ticks only the contract's own arithmetic says which integer is right. Tick 247177 is one: the true
value is ...570101610.53, the contract returns ...570101624, and the library with its odd-tick
constant (``0xfffcb933bd6fad37aa2d162d1a594001``) one unit off returns ...570101611 (found by an
exhaustive run over all 1,774,545 ticks; mutation/equivalent/units.md).

Reference values measured 2026-11-30 on the real UniswapV3Pool bytecode of npm
``@uniswap/v3-core`` 1.0.1 (node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol,
the package this repository's EVM suite deploys) in anvil, the deployment of
tests/evm/conftest.py: a fresh 0.01 % pool (tick spacing 1) ``initialize(x)`` then ``slot0()``
reports ``getTickAtSqrtRatio(x)``, the greatest tick whose ``getSqrtRatioAtTick`` is <= x
(v3-core contracts/libraries/TickMath.sol). For each tick ``t`` below, the pool reported ``t`` at
``x = R`` and ``x = R + 1`` and ``t - 1`` at ``x = R - 1``: so the contract's
``getSqrtRatioAtTick(t)`` is exactly ``R``.
"""

from __future__ import annotations

import pytest

from lpperp.units import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio

#: tick -> getSqrtRatioAtTick(tick) of the real contract (see the module docstring)
CONTRACT = {
    247177: 18449796924878708884244498570101624,
    -247177: 340226061075084010031330,
    247176: 18448874504213438359997655093724334,
    247178: 18450719391663859703833654859233704,
}


@pytest.mark.parametrize(("tick", "ratio"), CONTRACT.items())
def test_sqrt_ratio_at_tick_is_the_contracts_at_a_rounding_sensitive_tick(tick, ratio):
    assert get_sqrt_ratio_at_tick(tick) == ratio


@pytest.mark.parametrize(("tick", "ratio"), CONTRACT.items())
def test_tick_at_sqrt_ratio_around_the_contracts_ratio(tick, ratio):
    # what the pool's slot0 reported after initialize(x)
    assert get_tick_at_sqrt_ratio(ratio - 1) == tick - 1
    assert get_tick_at_sqrt_ratio(ratio) == tick
    assert get_tick_at_sqrt_ratio(ratio + 1) == tick

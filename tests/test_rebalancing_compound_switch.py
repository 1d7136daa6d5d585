"""compounded_yield exactly at its switch ``|N x| = 1e-4`` between the closed form and the series.

Below the switch the growth sums take their binomial series to ``x^2`` (the docstring: the next term
is below ``(N x)^3 / 24``, 4e-14 relative at the switch); from the switch on, the closed form
``geo = ((1 + x)^N - 1) / x`` (``expm1``/``log1p``, a few ulps). With the fees reinvested only
``geo`` enters, so at ``|N x| = 1e-4`` the P&L is exact to float rounding: checked against the
recursion ``V_{k+1} = V_k (1 + x) - g`` summed in exact rational arithmetic (``fractions``).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from lpperp import costs as c
from lpperp import rebalancing as r
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)


def _exact(v0: float, x: float, gas: float, cycles: int) -> float:
    v, q, g = Fraction(v0), 1 + Fraction(x), Fraction(gas)
    v_n = v
    for _ in range(cycles):
        v_n = v_n * q - g
    return float(v_n - v)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("gas", [0.0, 0.5e-6])
def test_at_the_switch_the_reinvested_pnl_is_exact_to_rounding(sign, gas):
    n_cycles, x = 64, sign * 1.5625e-6
    assert abs(n_cycles * x) == 1e-4  # exactly on the switch (float product)
    e = r.rebalancing_economics(LP, 3000.0, 0.3, c.ARBITRUM, [1.0], fee_apr=0.3)
    one = np.array([1.0])
    fee, loss = (x, 0.0) if x > 0 else (0.0, -x)  # a = fee / (V n), b = lvr / (V n); V = n = 1
    e = replace(e, value=1.0, fee_income_per_year=fee * one, lvr_per_year=loss * one,
                swap_cost_per_rebalance=0.0 * one, gas_cost_per_rebalance=gas * one)
    got = float(r.compounded_yield(e, reinvest_fees=True, years=float(n_cycles))[0])
    ref = _exact(1.0, x, gas, n_cycles)
    assert got == pytest.approx(ref, rel=2e-15, abs=0.0)

"""The pool tick of a human price (TwapOracle.ticks / the TWAP's input) against an exact
reference, and the TWAP price against a second-by-second geometric mean (issue 14).

Uniswap v3: the price at tick ``i`` is ``1.0001**i`` and the pool's tick is the greatest ``i``
with ``1.0001**i <= price`` (TickMath.getTickAtSqrtRatio: "the greatest tick for which the ratio
is less than or equal to the input ratio"; Uniswap/v3-core@d8b1c635c275d2a9450bd6a78f3fa2484fef73eb
contracts/libraries/TickMath.sol, read 2026-11-30). Without a pool, lpperp takes the ticks of the
human price, with a 1e-9 tick tolerance so a price computed as ``1.0001**i`` in floats is tick
``i`` (documented in ``TwapOracle._ticks``). The reference here is ``floor(ln p / ln 1.0001 +
1e-9)`` in 60-digit decimal arithmetic (base: the float nearest 1.0001), independent of the
float code.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.oracle import TwapOracle

getcontext().prec = 60
# the float 1.0001 (1.0001 - 1.1e-17): powers of it computed in floats drift from powers of the
# decimal 1.0001 by ~1e-8 tick at |i| ~ 1e5, more than the 1e-9 tolerance; the base is the float's
_BASE = Decimal.from_float(1.0001)
_LN_BASE = _BASE.ln()


def _tick_exact(p: float) -> int:
    return math.floor(Decimal(p).ln() / _LN_BASE + Decimal("1e-9"))


def test_price_at_a_tick_is_that_tick():
    # prices computed as 1.0001**i in floats are tick i, over the whole tick range
    ks = np.array([-887272, -500000, -76012, -1, 0, 1, 2, 3, 76012, 196257, 500000, 887272])
    prices = np.array([1.0001 ** float(k) for k in ks])
    got = TwapOracle(60.0).ticks(prices)
    np.testing.assert_array_equal(got, ks.astype(float))
    assert [_tick_exact(p) for p in prices] == ks.tolist()  # the reference agrees


def test_ticks_between_and_just_below_tick_prices():
    twap = TwapOracle(60.0)
    for k in (-300000, -7, 0, 5, 76012, 300000):
        lo, hi = 1.0001 ** k, 1.0001 ** (k + 1)
        mid = math.sqrt(lo * hi)
        below = lo * (1 - 1e-7)  # 1e-3 of a tick below: the tick under it
        got = twap.ticks(np.array([mid, below]))
        assert got.tolist() == [float(k), float(k - 1)]
        assert [_tick_exact(mid), _tick_exact(below)] == [k, k - 1]


@pytest.mark.parametrize("seed", [1, 2])
def test_ticks_match_the_exact_reference_on_random_prices(seed):
    rng = np.random.default_rng(seed)
    prices = np.exp(rng.uniform(-60.0, 60.0, 400))
    got = TwapOracle(60.0).ticks(prices)
    want = [_tick_exact(float(p)) for p in prices]
    np.testing.assert_array_equal(got, np.array(want, dtype=float))


def test_price_at_tick_over_the_whole_tick_range_and_its_edges():
    """``1.0001**tick`` for ticks in [MIN_TICK, MAX_TICK] = [-887272, 887272] (TickMath.sol),
    against the decimal power of the same base; one tick past either edge is refused."""
    twap = TwapOracle(60.0)
    for k in (-887272, -1, 0, 1, 76012, 887272):
        want = float(_BASE ** k)
        assert math.isclose(twap.price_at_tick(k), want, rel_tol=1e-12)
    np.testing.assert_allclose(twap.price_at_tick(np.array([-887272.0, 887272.0])),
                               [float(_BASE ** -887272),
                                float(_BASE ** 887272)], rtol=1e-12)
    for bad in (887273, -887273, 887272.5, [0, 887273], [-887273.0]):
        with pytest.raises(LpperpError, match=r"^tick must be integers in \[-887272, 887272\]"):
            twap.price_at_tick(bad)

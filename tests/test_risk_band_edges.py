"""Risk: ``safe_band`` keeps a price strictly inside the account's safe interval (issue 14: a
price on either boundary is liquidatable, so it has no safe band). The account here reports a
given interval, so the boundary case is exact (a real account's boundary is a float root that a
price rarely hits to the last bit)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.risk import safe_band


class _Reported:
    """An account whose ``liquidation(price)`` reports the safe interval ``(lo, hi)``, as
    lpperp.margin's accounts do (one boundary per side, 0-d arrays)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def liquidation(self, price):
        return SimpleNamespace(safe_lower=np.array(self.lo), safe_upper=np.array(self.hi))


def test_a_price_strictly_inside_has_its_band():
    assert safe_band(_Reported(2000.0, 4000.0), 3000.0) == (2000.0, 4000.0)
    lo, hi = safe_band(_Reported(0.0, math.inf), 3000.0)
    assert lo == 0.0 and hi is None
    # just inside either end
    assert safe_band(_Reported(math.nextafter(3000.0, 0.0), 4000.0), 3000.0)[0] < 3000.0
    assert safe_band(_Reported(2000.0, math.nextafter(3000.0, math.inf)), 3000.0)[1] > 3000.0


@pytest.mark.parametrize(("lo", "hi"), [(3000.0, 4000.0), (2000.0, 3000.0), (math.nan, 4000.0),
                                        (3500.0, 4000.0), (2000.0, 2500.0)])
def test_a_price_on_or_outside_a_boundary_has_no_band(lo, hi):
    with pytest.raises(LpperpError, match=r"^the account is liquidatable at price=3000\.0"):
        safe_band(_Reported(lo, hi), 3000.0)

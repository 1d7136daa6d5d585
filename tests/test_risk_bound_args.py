"""Risk: a bad ``upper`` (a string, a complex number) is refused by name with the value as given -
``+inf`` means "no upper barrier", so the bounds are read through a helper that replaces it, and
that helper must hand anything else on untouched (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.risk import band_exit_probability


@pytest.mark.parametrize(
    ("upper", "shown"),
    [("abc", "got 'abc'"), (3600 + 0j, r"got complex \(3600\+0j\)"), (True, "got True"),
     (np.array([True, True]), r"got booleans array\(\[ True,  True\]\)")],
)
def test_a_bad_upper_is_named_as_given(upper, shown):
    with pytest.raises(LpperpError, match=rf"^upper must be a number .*{shown}$"):
        band_exit_probability(3000.0, 2400.0, upper, 0.8, 0.1)


def test_an_empty_band_is_refused():
    """``lower == upper`` is no band (the interval ``(lower, upper)`` is empty): refused."""
    with pytest.raises(LpperpError, match=r"^lower must be < upper, got lower=2400\.0, upper=2400\.0$"):
        band_exit_probability(3000.0, 2400.0, 2400.0, 0.8, 0.1)


def test_bounds_that_do_not_broadcast_are_named_as_the_band():
    with pytest.raises(LpperpError,
                       match=r"^the band: .*broadcast.*lower \(2,\), upper \(3,\)$"):
        band_exit_probability(3000.0, [2400.0, 2500.0], [3600.0, 3700.0, 3800.0], 0.8, 0.1)

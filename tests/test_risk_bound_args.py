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

"""Numbers given as text are refused by name, everywhere a number is checked.

numpy parses ``["3600"]`` as the float 3600 when asked for a float array, so before this check
``band_exit_probability(..., upper=["3600", "inf"])`` quietly returned numbers: a price read from a
CSV or a widget's text box must be converted by the caller, where the conversion can be seen.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp import LPPosition
from lpperp._validate import LpperpError, finite, nonnegative, positive


@pytest.mark.parametrize("check", [finite, positive, nonnegative])
@pytest.mark.parametrize("value", [["3600"], ["1", "2"], np.array(["3600"]), [b"3600"]])
def test_numeric_strings_are_refused_by_every_number_check(check, value):
    with pytest.raises(LpperpError, match=r"upper must be a number or an array of numbers, got strings"):
        check("upper", value)


def test_the_same_numbers_as_numbers_pass():
    np.testing.assert_array_equal(positive("upper", [3600, 4000.0]), [3600.0, 4000.0])


def test_public_functions_name_the_string_argument():
    with pytest.raises(LpperpError, match="got strings"):
        LPPosition.from_deposit(10_000.0, ["3000"], width_pct=10)

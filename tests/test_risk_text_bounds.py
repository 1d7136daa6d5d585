"""A band edge given as text is refused by name, also when it spells infinity.

``_inf_as_one`` swaps ``+inf`` for a placeholder before the positivity check; given
``["3600", "inf"]`` it used to parse the text as floats, so the check saw numbers and
``band_exit_probability`` returned probabilities for strings (found 2026-11-30).
"""

from __future__ import annotations

import pytest

from lpperp._validate import LpperpError
from lpperp.risk import band_exit_probability, first_passage_probability


@pytest.mark.parametrize("upper", [["3600", "inf"], ["inf"], ["3600"]])
def test_band_edges_as_text_are_refused_by_name(upper):
    with pytest.raises(LpperpError, match=r"upper must be a number or an array of numbers, got strings"):
        band_exit_probability(3000.0, 2400.0, upper, 0.6, 0.1)


def test_the_same_edges_as_numbers_give_the_one_sided_answer_at_infinity():
    both = band_exit_probability(3000.0, 2400.0, [3600.0, float("inf")], 0.6, 0.1)
    assert both[1] == first_passage_probability(3000.0, 2400.0, 0.6, 0.1)
    assert 0.0 < both[1] < both[0] < 1.0

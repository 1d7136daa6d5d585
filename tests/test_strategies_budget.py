"""lpperp.strategies.stress_test: the run is budgeted up front as ``2 * len(shocks)`` paths
(isolated and cross margin) of ``longest - 1`` steps (issue 14).

The rule is stated in stress_test's docstring; the reference here is that rule computed by hand
for requests past ``MAX_PATH_STEPS`` (2e9 path-steps), whose refusal names its counts: e.g. 200
shocks of which the longest has 7,000,001 prices are 400 paths x 7,000,000 steps = 2.8e9
path-steps. The shorter shocks (2 prices) are padded to the longest, so they count in full. The
refusal comes before anything runs (one price path of 7 million prices is built for it).
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import MAX_PATH_STEPS, LpperpError
from lpperp.strategies import Scenario, stress_test


@pytest.mark.parametrize(("n_shocks", "longest", "total"), [
    (200, 7_000_001, r"2\.8e\+09"),
    (130, 7_692_309, r"2e\+09"),  # 260 x 7,692,308 = 2,000,000,080: just past the limit
])
def test_a_stress_test_past_the_budget_is_refused_with_its_counts(n_shocks, longest, total):
    sc = Scenario(leverage=3.0, wallet_cash=3000.0)
    long = np.full(longest, sc.price)
    shocks = {"long": long} | {f"flat {i}": [sc.price, sc.price] for i in range(n_shocks - 1)}
    paths, steps = 2 * n_shocks, longest - 1
    assert paths * steps > MAX_PATH_STEPS >= 256 * steps  # refused by paths x steps, not steps
    with pytest.raises(LpperpError, match=rf"^stress_test \(2 modes x shocks\): {paths} paths x "
                                          rf"{steps} steps = {total} path-steps"):
        stress_test(sc, shocks)

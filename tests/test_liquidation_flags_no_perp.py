"""An LP-and-cash account without a perp is never handed to the general kernel (issue 14).

Without a perp (``q = 0``) the tier's slope ``q - |q| rate`` is exactly 0 on every piece, so
the fast kernel's plateau test reaches its second half (is the constant term also ~0?) for the
piece above the range, where ``g`` is the constant ``wq L (sqrt(pb) - sqrt(pa)) + cash``: not 0
for a generic account, so not a plateau, and there is no root there. Reference: ``g_ref`` of
tests/test_liquidation_flags.py (Uniswap v3 whitepaper amounts), evaluated above the range.
"""

from __future__ import annotations

import numpy as np
import pytest
from liquidation_refs import accounts
from test_liquidation_flags import FLAT, TIERED, g_ref, run


@pytest.mark.parametrize("rules", [FLAT, TIERED], ids=["flat", "tiered"])
def test_an_account_without_a_perp_is_not_flagged(rules):
    a = accounts(23, 300)
    a["q"] = np.zeros(300)
    a["L"] = np.maximum(a["L"], 1.0)
    above = g_ref(2.0 * a["pb"] / a["k"], a, rules)  # the constant above the range
    assert np.all(np.abs(above) > 1e-6 * (np.abs(a["cash"]) + a["L"]))
    _, g0, _, _, flagged = run(a, rules)
    assert not flagged.any()
    np.testing.assert_allclose(g0, g_ref(3000.0, a, rules), rtol=1e-12, atol=1e-9)

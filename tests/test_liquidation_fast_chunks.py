"""The fast kernel's blocks: more accounts than one block (``_CHUNK``) give each account the same
boundaries as a call on its block alone, NaN-padded on the right only (the documented format:
``boundaries (N, K) NaN-padded``, sorted, so column 0 holds each account's lowest boundary).

The per-block results are joined by padding each block to the widest one; a pad on the wrong side
would shift every account's boundaries one column to the right (kills ``fast_kernel`` 59, whose
leading NaN column ``lpperp.boundary`` now drops when it is NaN for every account).
"""

from __future__ import annotations

import numpy as np
from liquidation_refs import accounts

from lpperp._boundary_fast import _CHUNK, fast_kernel
from lpperp.perp import MarginRules

TIERED = MarginRules(
    "tiered", 0.04, 0.02, (0.0, 5e3, 2e4, 1e5), (0.02, 0.03, 0.05, 0.1), (0.04, 0.06, 0.1, 0.2)
)


def _run(a, sl):
    f, r, d = TIERED.maintenance_pieces()
    cols = ("pa", "pb", "L", "k", "wb", "wq", "q")
    n = a["pa"][sl].size
    return fast_kernel(np.full(n, 3000.0), *(a[c][sl] for c in cols),
                       (a["cash"] - a["q"] * a["e"])[sl], f, r, d)


def test_accounts_over_several_blocks_get_their_blocks_boundaries_left_aligned():
    n = 2 * _CHUNK + 7
    a = accounts(5, n)
    bnd, g0, lower, upper, flagged = _run(a, slice(None))
    assert bnd.shape[0] == n
    finite = np.isfinite(bnd)
    assert finite[:, 0].any()  # not vacuous: some account has a boundary
    # NaN only on the right of each row: once a column is NaN, every later one is too
    assert not (~finite[:, :-1] & finite[:, 1:]).any()
    for s0 in range(0, n, _CHUNK):
        sl = slice(s0, min(s0 + _CHUNK, n))
        b1, g1, lo1, hi1, f1 = _run(a, sl)
        part = bnd[sl]
        assert np.array_equal(part[:, : b1.shape[1]], b1, equal_nan=True)
        assert np.isnan(part[:, b1.shape[1]:]).all()
        for x, y in ((g0, g1), (lower, lo1), (upper, hi1), (flagged, f1)):
            assert np.array_equal(x[sl], y, equal_nan=True)

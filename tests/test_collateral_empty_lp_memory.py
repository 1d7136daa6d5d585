"""The factor of an empty LP is 0 written by the code, not whatever the allocator left (issue 14).

``factor = collateral / value`` where the LP holds something and 0 where it is empty (lpperp
collateral.py, ``_ShockedWeighted.factor``). A division with ``where=`` leaves the masked entries
as they were in the output buffer, so the zeros must be the buffer's own. Reused memory is often
zero by luck (the last array freed of that size is an empty LP's zero quote amounts), so this test
asks glibc to fill every block ``malloc`` returns with a non-zero byte (``mallopt(M_PERTURB)``,
glibc manual "Malloc Tunable Parameters": the same as ``MALLOC_PERTURB_``) while it calls
``factor`` on 1,000 prices (8,000-byte arrays: above numpy's own small-block cache of < 1,024
bytes, so each comes from ``malloc``). ``calloc``, which ``np.zeros`` uses, still returns zeros.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

from lpperp.collateral import RangeAwareFactor, StaticFactor, TokenMinFactor, VolatilityScaledFactor
from lpperp.position import LPPosition

M_PERTURB = -6  # glibc malloc.h


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.mallopt  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


@pytest.mark.skipif(_libc() is None, reason="needs glibc's mallopt")
@pytest.mark.parametrize("model", [StaticFactor(0.8), TokenMinFactor(0.8, 0.9),
                                   RangeAwareFactor(15.0, 0.7, 0.9),
                                   VolatilityScaledFactor(0.8, base_factor=0.7)])
def test_an_empty_lps_factor_is_zero_whatever_malloc_returns(model):
    libc = _libc()
    empty = LPPosition(2400.0, 3600.0, 0.0)
    prices = np.geomspace(1000.0, 9000.0, 1000)
    assert libc.mallopt(M_PERTURB, 0x55) == 1
    try:
        probe = np.empty(1000)  # the setting is in force: a fresh block is not zero
        poisoned = bool(np.any(probe != 0.0))
        got = model.factor(empty, prices)
    finally:
        libc.mallopt(M_PERTURB, 0)
    assert poisoned
    assert np.array_equal(got, np.zeros(1000))

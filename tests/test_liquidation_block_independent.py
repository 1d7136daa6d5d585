"""The fast kernel's answer for an account does not depend on the accounts it is batched with.

:func:`lpperp._boundary_fast.fast_kernel` skips a piece (an LP regime x a tier) when no account of
the block has it, and keeps each root inside its piece widened by ``TOL`` (relative). A piece
that is a single point once widened (here the LP in range in the upper tier: the range top
``pb (1 + TOL)`` lands exactly on the tier edge ``floor (1 - TOL)``) is empty. Before, its root,
when exactly on that point, was kept only if another account of the same block had the piece:
the account below was reported with an extra root and flagged for the general kernel next to
such an account, and not alone (its ``g`` has a root ``3e-6`` above the tier edge, so which
path answers it changes the boundary's last digits). Batches are an implementation detail
(:func:`lpperp.boundary.solve_problem` cuts accounts into blocks of ``_CHUNK``), so the answer
must not depend on them.

The account was found by a search over the last bits of its cash and quote weight (the in-range
root must be exactly that point); the companion is any account whose range straddles the tier
edge.
"""

from __future__ import annotations

import numpy as np

from lpperp._boundary_fast import fast_kernel
from lpperp._boundary_kernels import TOL

PB = 4000.0
FLOOR = 4000.0000080000004  # FLOOR (1 - TOL) == PB (1 + TOL) in floating point
TIERS = (np.array([0.0, FLOOR]), np.array([0.0625, 0.125]), np.array([0.0, 256.0]))
#         P0      pa      pb     L       k    wb   wq                    q     cash
ACCOUNT = (3000.0, 1024.0, PB, 1000.0, 1.0, 1.0, 0.7499999999999675, -1.0, -19190.164890118966)
COMPANION = (3000.0, 3000.0, 6000.0, 1000.0, 1.0, 1.0, 1.0, -1.0, 0.0)


def solve(*accounts):
    cols = [np.array(c) for c in zip(*accounts, strict=True)]
    return fast_kernel(*cols, *TIERS)


def test_a_one_point_piece_is_empty_whoever_shares_the_block():
    assert PB * (1.0 + TOL) == FLOOR * (1.0 - TOL)  # the widened piece is the one point
    alone = solve(ACCOUNT)
    both = solve(COMPANION, ACCOUNT)
    bnd_alone, bnd_both = alone[0][0], both[0][1]
    np.testing.assert_array_equal(bnd_alone[np.isfinite(bnd_alone)],
                                  bnd_both[np.isfinite(bnd_both)])
    for i in range(1, 5):  # g(P0), the safe interval, the flag
        assert alone[i][0] == both[i][1], i
    assert not both[4][1]

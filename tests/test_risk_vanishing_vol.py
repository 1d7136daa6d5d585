"""Risk: the two-barrier exit probability at a vanishing volatility (issue 14).

With sigma -> 0 the log price moves deterministically, ``ln(P_t / P_0) = mu t``, so the band
``(lower, upper)`` is left within ``tau`` exactly when ``mu tau`` reaches ``ln(lower / P_0)`` or
``ln(upper / P_0)``: a direct reference with no series. Below sigma ~ 1e-154 the image series of
the two-barrier formula overflowed to NaN (``sigma**2`` underflows): the answer was NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp.risk import band_exit_probability

P0, LO, HI, TAU = 3000.0, 2400.0, 3600.0, 1.0


def _deterministic_exit(mu: float) -> float:
    x = mu * TAU
    return 1.0 if (x <= math.log(LO / P0) or x >= math.log(HI / P0)) else 0.0


@pytest.mark.parametrize("sigma", [1e-100, 1e-154, 2e-154, 1e-160, 1e-200, 1e-300, 5e-324])
@pytest.mark.parametrize("mu", [-1.0, -0.3, -0.2, -0.1, 0.0, 0.1, 0.17, 0.19, 0.3, 1.0])
def test_vanishing_volatility_exits_where_the_drift_alone_reaches_a_side(sigma, mu):
    got = band_exit_probability(P0, LO, HI, sigma, TAU, mu)
    assert not np.isnan(got)
    assert float(got) == _deterministic_exit(mu)


def test_vanishing_volatility_in_an_array_matches_scalars():
    mus = np.array([-1.0, -0.1, 0.1, 1.0])
    got = band_exit_probability(P0, LO, HI, 1e-200, TAU, mus)
    assert got.tolist() == [_deterministic_exit(m) for m in mus]


@pytest.mark.parametrize("sigma", [1e-154, 1e-200, 5e-324])
@pytest.mark.parametrize("mu", [-1.0, -0.3, 0.3, 1.0])
def test_vanishing_volatility_is_quiet_under_raising_float_errors(sigma, mu):
    """The series' overflows and 0/0 there are expected and handled inside: a caller who turns
    numpy's float errors into exceptions still gets the answer (kills the ``errstate`` mutants
    of ``band_exit_probability``' image series listed in mutation/equivalent/risk.md)."""
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        assert float(band_exit_probability(P0, LO, HI, sigma, TAU, mu)) == 1.0

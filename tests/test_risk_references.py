"""Risk: the cases mutation testing (issue 14) found unchecked, each against an independent
reference - safe bands against a direct scan of the account's own liquidation check, the
reported estimate (repr, HTML) against the fields it shows, and every argument named when it is
bad (the message starts with its name).
"""

from __future__ import annotations

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.risk import safe_band
from lpperp.simulate import Scenario, initial_account

SHORT = initial_account(Scenario(width_pct=20, leverage=2.0))  # LP + 2x short: liquidated above
LONG = initial_account(Scenario(width_pct=20, leverage=3.0, side="long"))  # liquidated below


def _scan(account, lo, hi, n=200_001):
    """The liquidatable prices of a dense grid (the account's own check, no boundary solver)."""
    grid = np.linspace(lo, hi, n)
    return grid, np.asarray(account.is_liquidatable(grid), dtype=bool)


def test_safe_band_of_a_short_ends_where_the_account_first_liquidates_above():
    lo, hi = safe_band(SHORT, 3000.0)
    assert lo == 0.0 and isinstance(hi, float)
    grid, liq = _scan(SHORT, 3000.0, 6000.0)
    first = grid[np.argmax(liq)]
    assert liq.any() and not liq[0]
    assert abs(first - hi) <= grid[1] - grid[0]
    assert not SHORT.is_liquidatable(hi * (1 - 1e-9)) and SHORT.is_liquidatable(hi * (1 + 1e-9))


def test_safe_band_of_a_long_ends_where_it_first_liquidates_below_and_has_no_upper_end():
    lo, hi = safe_band(LONG, 3000.0)
    assert hi is None and 0.0 < lo < 3000.0
    grid, liq = _scan(LONG, 1000.0, 3000.0)
    last = grid[np.flatnonzero(liq)[-1]]
    assert abs(last - lo) <= grid[1] - grid[0] and not liq[-1]
    assert LONG.is_liquidatable(lo * (1 - 1e-9)) and not LONG.is_liquidatable(lo * (1 + 1e-9))


@pytest.mark.parametrize("side", ["short", "long"])
def test_an_account_on_its_boundary_has_no_safe_band(side):
    """At its own liquidation price the account is not strictly inside a safe interval."""
    acct = SHORT if side == "short" else LONG
    lo, hi = safe_band(acct, 3000.0)
    edge = hi if side == "short" else lo
    with pytest.raises(LpperpError, match=r"^the account is liquidatable at price="):
        safe_band(acct, edge)
    with pytest.raises(LpperpError, match=r"^the account is liquidatable at price="):
        safe_band(acct, 5000.0 if side == "short" else 1500.0)


@pytest.mark.parametrize(
    ("account", "price", "match"),
    [
        (SHORT, -1.0, r"^price must"),
        (SHORT, [3000.0, 3100.0], r"^price must be a single number"),
        ("iso", 3000.0, r"^account must be a margin account .* got str 'iso'$"),
        (3000.0, 3000.0, r"got float 3000\.0$"),
    ],
)
def test_safe_band_names_each_bad_argument(account, price, match):
    with pytest.raises(LpperpError, match=match):
        safe_band(account, price)


# --- what an estimate shows ---------------------------------------------------------------------
def test_an_estimate_shows_its_fields_in_text_and_html():
    """The repr and the notebook table show each field once, as the docstring defines them:
    probability +/- standard error, the interval at its confidence, survival = 1 - p, paths x
    steps, the horizon in days (tau * 365) and the monitoring."""
    from lpperp.risk import LiquidationRisk

    r = LiquidationRisk(0.25, 0.0125, 0.22, 0.28, 0.9, 0.1, 0.15, np.array([0.0, 0.1, 0.25]),
                        12345, 30, 45 / 365, "bridge")
    assert r.survival == 0.75 and r.survival_ci == (1 - 0.28, 1 - 0.22)
    assert repr(r) == ("LiquidationRisk(p=0.2500 ± 0.0125, 90% CI [0.2200, 0.2800], "
                       "12345 paths x 30 steps, bridge)")
    rows = [("liquidation probability", "0.2500 ± 0.0125"), ("90% interval", "[0.2200, 0.2800]"),
            ("survival", "0.7500"), ("paths x steps", "12,345 x 30"), ("horizon, days", "45"),
            ("monitoring", "bridge")]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    assert r._repr_html_() == f"<table><tbody>{body}</tbody></table>"


def test_bridge_estimate_at_a_vanishing_volatility_is_zero_without_float_warnings():
    """sigma = 4.5e-153: the bridge's 2 / (sigma^2 dt) is ~1e307 and its product with a squared
    log distance overflows to -inf (a crossing probability of exactly 0) - quietly."""
    import warnings

    from lpperp.processes import GBM
    from lpperp.risk import liquidation_probability

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = liquidation_probability(GBM(4.5e-153), 3000.0, 0.003, None, 0.1, 10, 100, seed=1,
                                    monitoring="bridge")
    assert r.probability == 0.0 and r.probability_lower == 0.0 and r.stderr == 0.0

"""An account's summary at and just above the maintenance line (issue 14).

Convention (lpperp DESIGN.md, vocabulary): liquidatable <=> ``equity(P) < maintenance(P)``. At
equality the account is not yet liquidatable; a quarter quote above it neither. The numbers are
binary-exact so that equality is exact: a short of 3 at 3000 (notional 9000, PnL 0 at the
entry) with a maintenance fraction of 1/16 needs 9000 / 16 = 562.5 quote of maintenance.
"""

from __future__ import annotations

import pytest

from lpperp.margin import CrossAccount, IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition

RULES = MarginRules("sixteenth", 0.125, 0.0625)
MAINTENANCE = 9000.0 / 16  # |q| P r_m by hand: 562.5


@pytest.mark.parametrize(
    ("cash", "liquidatable"),
    [(562.0, True), (562.5, False), (562.75, False), (563.0, False), (1000.0, False)],
)
def test_the_summary_is_liquidatable_exactly_below_the_maintenance(cash, liquidatable):
    for acct in (
        IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=cash, rules=RULES),
        CrossAccount(perps=(PerpPosition(-3.0, 3000.0),), cash=cash, rules=RULES),
    ):
        s = acct.summary(3000.0)
        assert s.equity == cash and s.maintenance == MAINTENANCE
        assert s.liquidatable is liquidatable
        assert acct.is_liquidatable(3000.0) is liquidatable

"""Maps, drifts and the venue comparison of lpperp.liquidation, each cell against a direct solve.

References: every map cell is the same account rebuilt by hand and solved on its own (fees from
``LPPosition.fee_income``, funding from ``PerpPosition.funding_payment``, LP re-deposits from
``LPPosition.from_deposit``), health from the account's own ``health``; the comparison's text and
HTML are parsed back and checked against ``table()``.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pytest

from lpperp._validate import LpperpError
from lpperp.collateral import StaticFactor
from lpperp.liquidation import (
    LiquidationComparison,
    boundaries_after,
    boundary_map,
    health_map,
)
from lpperp.margin import IsolatedAccount
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition

P0 = 3000.0
FLAT = MarginRules("flat 10x", 0.10, 0.05)
LP = LPPosition.from_deposit(10_000.0, P0, width_pct=20)  # range [2400, 3600]
LP_MODEL = StaticFactor(0.9)


def _accrued(acct, price, tau, fee_apr, rate):
    """The account after ``tau`` years at ``price``: fees and funding booked by hand."""
    lp = acct.lp
    fees = lp.fee_income(price, tau, fee_apr=fee_apr) if lp is not None else 0.0
    fund = acct.perp.funding_payment(price, tau, rate)
    return replace(acct, accrued_fees=acct.accrued_fees + fees,
                   funding_paid=acct.funding_paid + fund)


@pytest.mark.parametrize("price", [2000.0, 2400.0, 3000.0, 3600.0, 4500.0])
def test_boundaries_after_books_fees_only_in_range_and_funding_on_the_mark(price):
    # below the range (2000), on its edges (2400, 3600: in range, fees accrue), inside, above
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    tau = np.array([0.0, 0.25, 1.0])
    res = boundaries_after(acct, price, tau_years=tau, fee_apr=0.4, funding_rate_per_year=0.3)
    for i, t in enumerate(tau):
        one = _accrued(acct, price, t, 0.4, 0.3).liquidation(price)
        np.testing.assert_allclose(res.boundaries[i][np.isfinite(res.boundaries[i])],
                                   one.boundaries, rtol=1e-12)
        assert float(res.safe_lower[i]) == pytest.approx(float(one.safe_lower), rel=1e-12,
                                                         nan_ok=True)
    fee = LP.fee_income(price, 1.0, fee_apr=0.4)
    assert (fee > 0) == (2400.0 <= price <= 3600.0)  # the reference itself: no fees out of range


def test_boundary_map_with_tau_after_a_range_or_size_change_uses_each_cells_own_account():
    # tau applied after width (fees of each width's LP) and after size (funding of each size)
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    widths, taus, sizes = np.array([10.0, 40.0]), np.array([0.5, 2.0]), np.array([-1.0, -5.0])
    m = boundary_map(acct, P0, "width_pct", widths, "tau_years", taus, fee_apr=0.5)
    f = boundary_map(acct, P0, "size", sizes, "tau_years", taus, funding_rate_per_year=0.4)
    for i in range(2):
        for j in range(2):
            lp = LPPosition.from_deposit(LP.value(P0), P0, width_pct=widths[i])
            one = _accrued(replace(acct, lp=lp), P0, taus[j], 0.5, 0.0).liquidation(P0)
            assert float(m.safe_upper[i, j]) == pytest.approx(float(one.safe_upper), rel=1e-10)
            resized = replace(acct, perp=PerpPosition(sizes[i], P0))
            two = _accrued(resized, P0, taus[j], 0.0, 0.4).liquidation(P0)
            assert float(f.safe_upper[i, j]) == pytest.approx(float(two.safe_upper), rel=1e-10)


def test_boundary_map_days_and_width_factor_cells():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    with pytest.warns(DeprecationWarning, match="tau_years"):
        d = boundary_map(acct, P0, "days", [0.0, 365.0], fee_apr=0.2)
    t = boundary_map(acct, P0, "tau_years", [0.0, 1.0], fee_apr=0.2)
    np.testing.assert_allclose(d.safe_upper, t.safe_upper, rtol=1e-12)
    assert float(t.safe_upper[1]) > float(t.safe_upper[0])  # fees received help
    wf = boundary_map(acct, P0, "width_factor", [1.1, 2.0])
    for i, w in enumerate([1.1, 2.0]):
        # the same value re-deposited over [P0 / w, P0 * w]
        lp = LPPosition.from_deposit(LP.value(P0), P0, price_lower=P0 / w, price_upper=P0 * w)
        one = replace(acct, lp=lp).liquidation(P0)
        assert float(wf.safe_upper[i]) == pytest.approx(float(one.safe_upper), rel=1e-10)


def test_health_map_defaults_accrue_nothing_and_centre_the_price():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    prices = np.array([2000.0, 3000.0, 5000.0])
    h = health_map(acct, prices, "tau_years", [0.0, 1.0, 5.0], price=P0)
    np.testing.assert_allclose(h, np.broadcast_to(acct.health(prices), h.shape), rtol=1e-12)
    # the default current price is the geometric middle of the prices: account leverage is
    # applied there
    mid = math.sqrt(2000.0 * 5000.0)
    a = health_map(acct, prices, "account_leverage", [1.0, 2.0])
    b = health_map(acct, prices, "account_leverage", [1.0, 2.0], price=mid)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    c = health_map(acct, prices, "account_leverage", [1.0, 2.0], price=P0)
    assert not np.allclose(a, c)


def test_health_map_without_maintenance_is_plus_or_minus_infinity():
    # no perp: no requirement; inf where equity >= 0, -inf where it is negative
    loan = IsolatedAccount(None, LP, cash=-9000.0, rules=FLAT)
    h = health_map(loan, [1000.0, 3000.0, 5000.0], "cash", [-9000.0, 0.0], price=P0)
    assert h.tolist() == [[-np.inf, np.inf, np.inf], [np.inf, np.inf, np.inf]]


def test_map_errors_name_the_argument():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    with pytest.raises(LpperpError, match=r"^param must be one of"):
        health_map(acct, [3000.0], "colour", [1.0])
    with pytest.raises(LpperpError, match=r"^param must be one of"):
        health_map(acct, [3000.0], 3, [1.0])
    with pytest.raises(LpperpError, match=r"^prices must be a finite number > 0"):
        health_map(acct, [3000.0, -1.0], "cash", [1.0])
    with pytest.raises(LpperpError, match=r"^health_map \(values x prices\): 4 x 5 = 20 cells"):
        health_map(acct, np.linspace(1, 2, 5), "cash", [1.0, 2.0, 3.0, 4.0], max_cells=19)
    assert health_map(acct, np.linspace(1, 2, 5), "cash", [1.0, 2.0, 3.0, 4.0],
                      max_cells=20).shape == (4, 5)
    with pytest.raises(LpperpError, match=r"^fee_apr must be finite and >= 0|^fee_apr must be"):
        boundaries_after(acct, P0, tau_years=1.0, fee_apr=-0.1)
    with pytest.raises(LpperpError, match=r"^funding_rate_per_year must be finite"):
        boundaries_after(acct, P0, tau_years=1.0, funding_rate_per_year=np.nan)
    with pytest.raises(LpperpError, match=r"^funding_rate_per_year must be finite"):
        health_map(acct, [3000.0], "tau_years", [1.0], funding_rate_per_year=np.inf)


# -- the venue comparison, read back --------------------------------------------------------------
ROWS = ("trigger_price", "maintenance", "venue_equity", "true_equity", "perp_close_cost",
        "lp_unwind_cost", "to_liquidator", "to_insurance", "to_backstop", "owner_keeps",
        "bad_debt", "closed_fraction")


def _fake(venue, value):
    return SimpleNamespace(venue=venue, **{r: value(i) for i, r in enumerate(ROWS)})


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell, self.tags, self.stray = [], None, None, [], ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)
        if tag in ("td", "th"):
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        else:
            self.stray += data


def test_comparison_table_text_and_html_show_every_value():
    cmp = LiquidationComparison(
        ("alpha", "beta"),
        (_fake("alpha", lambda i: 1234.5 * (i + 1)), _fake("beta", lambda i: [-0.0, np.nan][i % 2])),
    )
    assert cmp["beta"].venue == "beta"
    with pytest.raises(LpperpError, match="venue must be one of"):
        cmp["gamma"]
    table = cmp.table()
    assert list(table) == list(ROWS)
    assert table["maintenance"][0] == 2469.0 and math.isnan(table["maintenance"][1])
    # HTML: a header cell per venue, a row per quantity labelled in words, 2 decimals,
    # thousands separators, "-" for NaN and "0.00" (never "-0.00") for a negative zero
    html = cmp._repr_html_()
    p = _Cells()
    p.feed(html)
    assert p.stray == ""  # nothing outside the cells
    assert html.count("<tr>") == html.count("</tr>") == 1 + len(ROWS)
    assert p.rows[0] == ["", "alpha", "beta"]
    assert len(p.rows) == 1 + len(ROWS)
    for i, (row, cells) in enumerate(zip(ROWS, p.rows[1:], strict=True)):
        assert cells[0] == row.replace("_", " ")
        assert cells[1] == f"{1234.5 * (i + 1):,.2f}"
        assert cells[2] == ("0.00" if i % 2 == 0 else "-")
    assert p.tags.count("tr") == p.tags.count("/tr") == 1 + len(ROWS)
    assert p.tags[:3] == ["table", "thead", "tr"] and p.tags[-2:] == ["/tbody", "/table"]
    # text: a header line of venue names, then one line per quantity, columns 16 wide
    lines = str(cmp).split("\n")
    width = max(len(r) for r in ROWS)
    assert len(lines) == 1 + len(ROWS)
    assert lines[0] == " " * width + f"{'alpha':>16}{'beta':>16}"
    for i, (row, line) in enumerate(zip(ROWS, lines[1:], strict=True)):
        label, values = line[:width], line[width:]
        assert label.rstrip() == row.replace("_", " ")
        assert len(values) == 32
        assert values[:16] == f"{1234.5 * (i + 1):>16,.2f}"
        assert re.fullmatch(r" +(-?0\.00|nan)", values[16:])


def test_maps_and_drifts_refuse_a_model_without_closed_form_and_several_prices():
    from lpperp.collateral import FunctionFactor

    ff = FunctionFactor(lambda p: np.full(np.shape(p), 0.8))
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT, collateral=ff)
    with pytest.raises(LpperpError, match=r"^health_map needs a closed-form collateral model"):
        health_map(acct, [3000.0], "cash", [1.0])
    with pytest.raises(LpperpError, match=r"^boundary_map needs a closed-form collateral model"):
        boundary_map(acct, P0, "cash", [1.0])
    with pytest.raises(LpperpError, match=r"^boundaries_after needs a closed-form"):
        boundaries_after(acct, P0, tau_years=1.0)
    ok = replace(acct, collateral=LP_MODEL)
    with pytest.raises(LpperpError, match=r"^boundary_map takes one current price"):
        boundary_map(ok, [P0, 3100.0], "cash", [1.0])
    with pytest.raises(LpperpError, match=r"^boundaries_after takes one current price"):
        boundaries_after(ok, [P0, 3100.0], tau_years=1.0)


def test_map_values_of_any_shape_are_one_axis():
    acct = IsolatedAccount(PerpPosition(-3.0, P0), LP, cash=-2000.0, rules=FLAT)
    prices = [2000.0, 3000.0, 5000.0]
    flat = health_map(acct, prices, "cash", [0.0, 1000.0, 2000.0, 3000.0], price=P0)
    grid = health_map(acct, prices, "cash", [[0.0, 1000.0], [2000.0, 3000.0]], price=P0)
    np.testing.assert_array_equal(grid, flat)
    m1 = boundary_map(acct, P0, "cash", [[0.0, 1000.0], [2000.0, 3000.0]])
    m2 = boundary_map(acct, P0, "cash", [0.0, 1000.0, 2000.0, 3000.0])
    np.testing.assert_array_equal(m1.safe_upper, m2.safe_upper)


def test_health_without_requirement_is_inf_from_zero_equity_up():
    # an LP over [1, 4] with L = 1000 holds exactly 1000 quote above 4 (whitepaper 6.30:
    # L (sqrt(4) - sqrt(1))); with that debt equity is exactly 0: not liquidatable, health inf
    lp = LPPosition(1.0, 4.0, 1000.0)
    loan = IsolatedAccount(None, lp, cash=0.0, rules=FLAT)
    h = health_map(loan, [5.0, 9.0], "cash", [-1000.0, -999.5, -1000.5], price=5.0)
    assert h.tolist() == [[np.inf, np.inf], [np.inf, np.inf], [-np.inf, -np.inf]]

"""Strategies: ``summary_row`` maps one run's Summary to a StrategyTable row (the columns the
class docstring defines), so notebook 06's readout formats the selected strategy's row without
building a one-row table. Every field gets a distinct value, so a column read from the wrong field,
a lost sign or scale, or a misnamed attribution key shows."""

from __future__ import annotations

import math

from lpperp.simulate import ATTRIBUTION, Summary
from lpperp.strategies import StrategyTable, summary_row


def _summary(attribution):
    return Summary(
        survival=0.91, survival_ci=(0.89, 0.93), expected_return=0.031, return_stderr=0.002,
        tail_return=-0.27, tail_expected_return=-0.35, tail=0.05, expected_pnl=123.0,
        fees_earned=57.0, costs_paid=11.0, il=-41.0, funding_paid=7.0, n_paths=400,
        mean_recentres=1.5, mean_top_ups=0.25, attribution=attribution, lvr=13.0, bad_debt=0.5,
        funding_sensitivity=-0.42,
    )


def test_each_column_comes_from_its_field():
    attribution = {k: float(10 * i + 1) for i, (k, _) in enumerate(ATTRIBUTION)}
    row = summary_row(_summary(attribution))
    assert tuple(row) == StrategyTable.COLUMNS  # the table's columns, in order
    want = {
        "survival": 0.91, "survival_low": 0.89, "survival_high": 0.93, "expected_return": 0.031,
        "tail_loss": 0.27,  # minus the 5 % quantile of the return: a loss is positive
        "fees_earned": 57.0, "costs_paid": 11.0,
        "pnl_fees": 1.0, "pnl_hold": 11.0, "pnl_il": 21.0, "pnl_perp": 31.0, "pnl_funding": 41.0,
        "pnl_cash_yield": 51.0, "pnl_costs": 61.0, "pnl_hedge_costs": 71.0,
        "pnl_liquidation": 81.0,  # the attribution's liquidation_loss
        "expected_pnl": 123.0, "lvr": 13.0, "bad_debt": 0.5,
        "funding_sensitivity": 0.1 * -0.42,  # per +10 %/yr of funding
    }
    assert row == want


def test_a_missing_attribution_is_nan_and_the_table_row_is_the_same():
    s = _summary({"fees": 3.0})
    row = summary_row(s)
    assert row["pnl_fees"] == 3.0
    assert all(math.isnan(row[c]) for c in StrategyTable.COLUMNS if c.startswith("pnl_")
               and c != "pnl_fees")
    table = StrategyTable(("a", "b"), (_summary({}), s), 400, 30 / 365)
    got = table.row("b")
    assert list(got) == list(row)
    assert all(got[c] == row[c] or (math.isnan(got[c]) and math.isnan(row[c])) for c in row)

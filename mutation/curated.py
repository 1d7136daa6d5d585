"""The curated mutants that `make test` must kill (tests/test_mutants.py), issue 14.

Each mutant is one plausible one-line bug: ``old`` (exact text, found exactly once in
``lpperp/<file>``) is replaced by ``new`` in a temporary copy of the package and the ``tests``
(pytest node ids, relative to the repository) must then FAIL. When a module is rewritten and
``old`` is no longer in it, tests/test_mutants.py fails and names the mutant: re-anchor it here on
the new code (same bug, new text) rather than deleting it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One planted bug: ``old`` -> ``new`` in ``lpperp/<file>``; ``tests`` must fail on it."""

    id: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


REF = "tests/test_references.py::"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        id="rebalancing-fees-sqrt-time-in-range",
        file="rebalancing.py",
        old="fees = apr * value * in_range",
        new="fees = apr * value * np.sqrt(in_range)",
        tests=(REF + "test_fee_income_is_fee_apr_times_value_times_the_direct_time_in_range_integral",),
        why="+52 % fees at 4 rebalances a year; mainnet's optimal frequency 12.4 -> 8.0 a year",
    ),
    Mutant(
        id="simulate-margin-check-without-funding",
        file="simulate.py",
        old="acct_cash -= pay",
        new="pass  # mutant: funding no longer leaves the account's cash",
        tests=(REF + "test_funding_alone_liquidates_in_the_simulated_margin_check",),
        why="funding never pushes a simulated account into liquidation",
    ),
    Mutant(
        id="simulate-funding-at-entry-price",
        file="simulate.py",
        old="qp = np.multiply(q, p, out=w_qp)\n",
        new="qp = np.multiply(q, p0, out=w_qp)\n",
        tests=(REF + "test_funding_is_charged_at_the_mark_on_a_moving_path",),
        why="funding charged on the entry notional instead of the mark",
    ),
    Mutant(
        id="collateral-factor-path-ignores-token-weights",
        file="collateral.py",
        old="p, lp.price_lower, lp.price_upper, lp.liquidity, k, self.base_factor, self.quote_factor",
        new="p, lp.price_lower, lp.price_upper, lp.liquidity, k, 1.0, 1.0",
        tests=(REF + "test_factor_path_applies_the_per_token_weights",),
        why="factor_path 0.748 -> 0.963 with weights 0.7/0.9",
    ),
    Mutant(
        id="boundary-general-solver-narrow-bracket",
        file="_boundary_kernels.py",
        old="np.geomspace(P0 * 1e-6, P0 * 1e6, 24001)",
        new="np.geomspace(P0 * 1e-1, P0 * 1e1, 24001)",
        tests=(REF + "test_general_solver_finds_a_boundary_far_below_the_price",),
        why="a long liquidated at 211 from 3000 reported as never liquidatable",
    ),
    Mutant(
        id="venues-drift-size-discount-constant",
        file="venues.py",
        old="disc = 1.1 / (1.0 + np.asarray(imf) * np.sqrt(sz))",
        new="disc = 1.3 / (1.0 + np.asarray(imf) * np.sqrt(sz))",
        tests=(REF + "test_drift_size_discount_matches_the_protocol_where_no_cap_binds",),
        why="Drift's uncapped size discount 18 % too generous",
    ),
    Mutant(
        id="boundary-fast-kernel-no-root-at-price-flag",
        file="_boundary_fast.py",
        old="flagged |= np.abs(col - P0) <= tol_p0",
        new="pass",
        tests=(REF + "test_an_account_sitting_on_its_boundary_has_the_safe_side_as_its_interval",),
        why="an account on its boundary gets a safe interval running to 0 or infinity",
    ),
    Mutant(
        id="liquidity-mint-amount0-rounded-down",
        file="liquidity.py",
        old="return q // a + (1 if q % a else 0)",
        new="return q // a",
        tests=("tests/test_liquidity.py::test_amount_deltas_against_exact_rationals",),
        why="a mint charges a wei less token0 than the pool (SqrtPriceMath rounds up)",
    ),
    Mutant(
        id="position-il-closed-form-drops-k",
        file="position.py",
        old="k * np.sqrt(p / pb))",
        new="np.sqrt(p / pb))",
        tests=("tests/test_position.py::test_il_symmetric_range_is_v2_il_times_leverage",),
        why="the in-range impermanent loss off by ~3 % near k = 1 for a narrow range",
    ),
)

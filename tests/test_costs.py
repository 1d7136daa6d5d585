"""Chain costs: L2 data fees, action costs, presets and the rebalancing swap.

Reference formulas: ../shared/notes/chain-costs.md (read 2026-11), which cites the OP-stack Fjord
GasPriceOracle (``getL1Fee``), Arbitrum's ArbGasInfo / NodeInterface L1 pricing and the Uniswap v3
gas snapshots.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lpperp import costs as c
from lpperp.liquidity import amounts_for_liquidity
from lpperp.position import LPPosition
from lpperp.swap import LiquidityProfile, execution_cost

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)

# ---------------------------------------------------------------------------------------------
# L2 data fees against hand computation
# ---------------------------------------------------------------------------------------------


def _fjord_fee_int(fastlz: int, l1_base_fee: int, blob_base_fee: int, s_base: int, s_blob: int):
    """GasPriceOracle._getL1FeeFjord in integer arithmetic (as the notes transcribe it)."""
    estimated = max(100_000_000, -42_585_600 + 836_500 * fastlz)
    return estimated * (s_base * 16 * l1_base_fee + s_blob * blob_base_fee) // 10**12


@pytest.mark.parametrize(
    ("fastlz", "l1", "blob", "scalars"),
    [
        (300, 2 * 10**9, 3, (2_269, 1_055_762)),  # Base scalars (set 2024-07-10)
        (1_000, 10**9, 62_500_000, (5_227, 1_014_213)),  # OP Mainnet scalars (2025-01)
        (171, 15 * 10**9, 10**9, (2_269, 1_055_762)),  # just above the 100-byte floor
    ],
)
def test_op_stack_fee_matches_the_fjord_formula_by_hand(fastlz, l1, blob, scalars):
    fee = c.op_stack_l1_fee_wei(fastlz, l1, blob, *scalars)
    assert fee == pytest.approx(_fjord_fee_int(fastlz, l1, blob, *scalars), rel=1e-12, abs=1)


def test_op_stack_fee_floor_branch_of_100e6():
    # max(100e6, -42_585_600 + 836_500 * size): the floor binds below (100e6 + 42_585_600) / 836_500
    # = 170.45 bytes, so every smaller transaction pays the same as a 100-byte one
    sizes = np.array([0.0, 10.0, 100.0, 170.0, 170.45, 171.0, 200.0])
    fee = c.op_stack_l1_fee_wei(sizes, 1e9, 1e8, 2_269, 1_055_762)
    floor_fee = 100e6 * (2_269 * 16 * 1e9 + 1_055_762 * 1e8) / 1e12
    np.testing.assert_allclose(fee[:4], floor_fee, rtol=1e-15)
    assert fee[4] == pytest.approx(floor_fee, rel=1e-4)
    assert np.all(fee[5:] > floor_fee) and np.all(np.diff(fee[4:]) > 0)
    # a burn (36 B calldata) on Base is charged at the floor
    small = (c.GAS_V3.burn_bytes + c.BASE.tx_envelope_bytes) * c.BASE.compression_ratio + 68
    assert small < 170.45
    burn = c.action_cost(c.BASE, "burn").l1_data_eth * 1e18
    assert burn == pytest.approx(c.op_stack_l1_fee_wei(100.0, 1e9, 1e9 / 16, 2_269, 1_055_762))


def test_arbitrum_fee_is_16_times_l1_base_fee_per_byte_plus_140():
    # notes: fee = P * (L2 gas + L1P * L1S / P), L1P ~ 16 * l1BaseFeeEstimate, L1S = size + ~140
    fee = c.arbitrum_l1_fee_wei(np.array([0.0, 500.0]), 2e9)
    np.testing.assert_allclose(fee, [16 * 2e9 * 140, 16 * 2e9 * 640])


def test_action_cost_composition_on_each_fee_model():
    gas = c.GAS_V3
    # Ethereum: gas * price, no data fee
    eth = c.action_cost(c.ETHEREUM, "mint")
    assert eth.execution_eth == pytest.approx(451_862 * 1e-9 * c.ETHEREUM.gas_price_gwei)
    assert eth.l1_data_eth == 0.0
    # Arbitrum: the L1 part is extra L2 gas
    arb = c.action_cost(c.ARBITRUM, "mint")
    comp = c.ARBITRUM.compression_ratio * (gas.mint_bytes + c.ARBITRUM.tx_envelope_bytes) + 68
    data_wei = 16 * c.ARBITRUM.l1_base_fee_gwei * 1e9 * (comp + 140)
    assert arb.l1_data_eth == pytest.approx(data_wei / 1e18, rel=1e-12)
    assert arb.l1_gas_equivalent == pytest.approx(data_wei / (c.ARBITRUM.gas_price_gwei * 1e9))
    assert arb.total_eth == pytest.approx(451_862 * 0.02e-9 + data_wei / 1e18, rel=1e-12)
    # Base: Fjord per transaction; a recentre is three transactions, each floored on its own
    rec = c.action_cost(c.BASE, "recentre")
    parts = [c.action_cost(c.BASE, a).l1_data_eth for a in ("exit", "swap", "mint")]
    assert rec.l1_data_eth == pytest.approx(sum(parts), rel=1e-12)
    assert rec.gas_used == 228_718 + 107_180 + 451_862 == 787_760


def test_recentre_gas_is_within_the_notes_range():
    # notes: "A recentring rebalance (exit + swap + mint) is ~0.68-0.79 M gas"
    assert 680_000 <= c.GAS_V3.gas("recentre") <= 790_000


@pytest.mark.parametrize("action", c.ACTIONS)
@pytest.mark.parametrize("l2", [c.ARBITRUM, c.BASE, c.OPTIMISM])
def test_l2_is_cheaper_than_mainnet_at_the_documented_prices(action, l2):
    assert c.action_cost(l2, action).total_eth < c.action_cost(c.ETHEREUM, action).total_eth / 10


def test_action_cost_vectorized_over_gas_prices():
    prices = np.array([0.5, 1.0, 20.0])
    cost = c.action_cost(c.ETHEREUM, "swap", gas_price_gwei=prices)
    np.testing.assert_allclose(cost.total_eth, 107_180 * prices * 1e-9)
    np.testing.assert_allclose(cost.in_quote(3000.0), 107_180 * prices * 1e-9 * 3000.0)


# ---------------------------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------------------------


def test_presets_are_dated_sourced_and_overridable():
    assert set(c.CHAINS) == {"ethereum", "arbitrum", "base", "optimism"}
    for chain in c.CHAINS.values():
        assert chain.as_of == "2026-11" and chain.source
        assert set(chain.weak) <= set(chain.__dataclass_fields__)
    assert (c.BASE.base_fee_scalar, c.BASE.blob_base_fee_scalar) == (2_269, 1_055_762)
    assert (c.OPTIMISM.base_fee_scalar, c.OPTIMISM.blob_base_fee_scalar) == (5_227, 1_014_213)
    busy = replace(c.ETHEREUM, gas_price_gwei=30.0)
    assert c.action_cost(busy, "recentre").total_eth == pytest.approx(787_760 * 30e-9)
    cheap_mint = replace(c.ARBITRUM, gas=replace(c.GAS_V3, mint=344_732))
    assert c.action_cost(cheap_mint, "recentre").gas_used == 228_718 + 107_180 + 344_732
    with pytest.raises(AttributeError):
        c.ETHEREUM.gas_price_gwei = 2.0  # frozen


def test_bad_inputs_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="fee_model"):
        replace(c.BASE, fee_model="zk")
    with pytest.raises(ValueError, match="gas_price_gwei"):
        replace(c.BASE, gas_price_gwei=0.0)
    with pytest.raises(ValueError, match="action"):
        c.action_cost(c.BASE, "teleport")
    with pytest.raises(ValueError, match="'ethereum', 'arbitrum', 'base', 'optimism'"):
        c.get_chain("solana")
    with pytest.raises(ValueError, match="mint"):
        replace(c.GAS_V3, mint=-1)
    with pytest.raises(ValueError, match="pool_liquidity"):
        c.swap_price_impact(1.0, 3000.0, 0.0)


# ---------------------------------------------------------------------------------------------
# The rebalancing swap: closed forms against direct computation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [2500.0, 2900.0, 3000.0, 3150.0, 3400.0])
def test_recentre_swap_equals_new_minus_old_amounts(price):
    k = price / 3000.0
    base_old, quote_old = LP.amounts(price)
    value = base_old * price + quote_old
    new = LPPosition.from_deposit(
        value, price, price_lower=LP.price_lower * k, price_upper=LP.price_upper * k
    )
    base_new, _ = new.amounts(price)
    x = c.recentre_swap_base(LP, price, reference_price=3000.0)
    assert x == pytest.approx(base_new - base_old, rel=1e-12, abs=1e-12)


def test_recentre_swap_signs_and_vectorization():
    prices = np.array([2000.0, 2800.0, 3000.0, 3200.0, 4000.0])
    x = c.recentre_swap_base(LP, prices, reference_price=3000.0)
    assert x[2] == pytest.approx(0.0, abs=1e-12)
    assert np.all(x[:2] < 0) and np.all(x[3:] > 0)  # fell: sell ETH; rose: buy ETH back
    # far below the range the position is all base and the new one needs about half of it sold
    base_all, _ = LP.amounts(2000.0)
    assert -x[0] == pytest.approx(
        base_all
        - LP.amounts(3000.0)[0] * LP.value(2000.0) / LP.value(3000.0) * 1.0 / (2000.0 / 3000.0),
        rel=1e-12,
    )


@pytest.mark.parametrize("p1_over_p0", [1.001, 1.03, 1.2, 0.999, 0.97, 0.8])
def test_price_impact_closed_form_against_liquidity_amounts(p1_over_p0):
    # Move the pool from P0 to P1 through constant liquidity L: the base that leaves (or enters)
    # and the quote that enters (or leaves) are the amounts of L over [min, max](P0, P1).
    p0, liq = 3000.0, 2.5e5
    p1 = p0 * p1_over_p0
    lo, hi = min(p0, p1), max(p0, p1)
    base, quote = amounts_for_liquidity(lo, lo, hi, liq)  # all base at the low end
    dx = float(base)
    dy = float(amounts_for_liquidity(hi, lo, hi, liq)[1])
    if p1 > p0:  # buy dx base, pay dy quote
        impact_direct = dy - dx * p0
        x = dx
    else:  # sell dx base, receive dy quote
        impact_direct = dx * p0 - dy
        x = -dx
    assert quote == 0.0
    assert c.swap_price_impact(x, p0, liq) == pytest.approx(impact_direct, rel=1e-9)


def test_price_impact_limits():
    assert c.swap_price_impact(1.0, 3000.0, np.inf) == 0.0
    assert c.swap_price_impact(0.0, 3000.0, 1e6) == 0.0
    assert c.swap_price_impact(2e6 / np.sqrt(3000.0), 3000.0, 1e6) == np.inf  # drains the base
    small = c.swap_price_impact(np.array([1e-3, 2e-3]), 3000.0, 1e6)
    assert small[1] / small[0] == pytest.approx(4.0, rel=1e-6)  # quadratic in size


def test_swap_cost_is_fee_plus_impact():
    x, p, liq = np.array([-3.0, 2.0]), 3000.0, 5e5
    np.testing.assert_allclose(
        c.swap_cost(x, p, 0.003, liq), 0.003 * np.abs(x) * p + c.swap_price_impact(x, p, liq)
    )


def test_recentre_cost_is_gas_plus_swap():
    prices = np.array([2700.0, 3000.0, 3300.0])
    got = c.recentre_cost(LP, prices, c.BASE, reference_price=3000.0, pool_liquidity=4e5)
    x = c.recentre_swap_base(LP, prices, reference_price=3000.0)
    gas = c.action_cost(c.BASE, "recentre").total_eth * prices
    np.testing.assert_allclose(got, gas + c.swap_cost(x, prices, 0.0005, 4e5))


# --- regressions found in review --------------------------------------------------------------
@pytest.mark.parametrize("bad", ["2", None, True])
def test_swap_cost_validates_base_amount(bad):
    """A string amount was parsed ("2" -> 2 ETH) and costed silently."""
    with pytest.raises(ValueError, match="base_amount must be a number"):
        c.swap_cost(bad, 3000.0, 0.0005)


# --- swaps through the swap engine (issue 9) --------------------------------------------------
def test_swap_cost_with_a_profile_charges_the_fee_on_the_input_amount():
    """The pool takes its fee from the input: f x P on a sale, x P f / (1 - f) on a purchase."""
    deep = LiquidityProfile.uniform(3000.0, 1e15, 0.003)  # no price impact to 1e-12
    got = c.swap_cost(np.array([2.0, -2.0]), 3000.0, profile=deep)
    np.testing.assert_allclose(got, [6000.0 * 0.003 / 0.997, 6000.0 * 0.003], rtol=1e-9)
    # the constant-liquidity path keeps its first-order fee (f |x| P both ways)
    np.testing.assert_allclose(c.swap_cost(np.array([2.0, -2.0]), 3000.0, 0.003), [18.0, 18.0])


@pytest.mark.parametrize("liq", [2e4, 5e5])
def test_swap_cost_through_one_segment_without_fee_is_the_price_impact(liq):
    x = np.array([-40.0, -1.0, 0.5, 30.0])
    got = c.swap_cost(x, 3000.0, profile=LiquidityProfile.uniform(3000.0, liq, 0.0))
    np.testing.assert_allclose(got, c.swap_price_impact(x, 3000.0, liq), rtol=1e-9)
    np.testing.assert_allclose(got, c.swap_cost(x, 3000.0, 0.0, liq), rtol=1e-9)


def test_swap_cost_with_a_profile_is_the_engines_execution_cost():
    prof = LiquidityProfile.concentrated(3000.0, 3e4, 0.0005, width_fraction=0.02)
    x = np.linspace(-60.0, 60.0, 13)
    prices = np.array([[2950.0], [3000.0], [3080.0]])
    got = c.swap_cost(x, prices, profile=prof)
    assert got.shape == (3, 13)
    np.testing.assert_allclose(got, execution_cost(prof, prices, -x))
    # crossing into the thin tails costs more than the constant core liquidity would
    assert (got[:, [0, -1]] > c.swap_cost(x[[0, -1]], prices, 0.0005, 3e4)).all()


def test_swap_cost_refuses_ambiguous_fee_or_liquidity_next_to_a_profile():
    prof = LiquidityProfile.uniform(3000.0, 1e5, 0.0005)
    with pytest.raises(ValueError, match="profile's fee is charged"):
        c.swap_cost(1.0, 3000.0, 0.003, profile=prof)
    assert c.swap_cost(1.0, 3000.0, 0.0005, profile=prof) == c.swap_cost(1.0, 3000.0, profile=prof)
    with pytest.raises(ValueError, match="leave pool_liquidity out"):
        c.swap_cost(1.0, 3000.0, pool_liquidity=1e5, profile=prof)
    with pytest.raises(ValueError, match="fee_fraction is required"):
        c.swap_cost(1.0, 3000.0)
    with pytest.raises(ValueError, match="profile must be a LiquidityProfile"):
        c.swap_cost(1.0, 3000.0, profile=1e5)


def test_recentre_cost_with_a_profile_is_gas_plus_the_engines_swap():
    prices = np.array([2700.0, 3000.0, 3300.0])
    prof = LiquidityProfile.thin(3000.0, 5e4, 0.0005, width_fraction=0.2)
    got = c.recentre_cost(LP, prices, c.BASE, reference_price=3000.0, profile=prof)
    x = c.recentre_swap_base(LP, prices, reference_price=3000.0)
    gas = c.action_cost(c.BASE, "recentre").total_eth * prices
    np.testing.assert_allclose(got, gas + execution_cost(prof, prices, -x))
    # the default path is unchanged: 0.05 % fee at the mid, constant liquidity
    old = c.recentre_cost(LP, prices, c.BASE, reference_price=3000.0, pool_liquidity=4e5)
    np.testing.assert_allclose(old, gas + c.swap_cost(x, prices, 0.0005, 4e5))


def test_base_minimum_base_fee_is_the_published_2026_02_19_value():
    """docs.base.org configuration changelog: 5,000,000 wei from 2026-02-19 (2,000,000 from
    2026-02-02, the figure in notes/venue-rules.md)."""
    assert c.BASE.gas_price_gwei == 0.005
    assert "2026-02-19" in c.BASE.source and "5,000,000 wei" in c.BASE.source


def test_renamed_keywords_warn_and_give_the_same_cost():
    """position -> lp, eth_price -> gas_token_price (one name per idea, CONTRIBUTING.md glossary);
    the old keywords work for one release with a DeprecationWarning."""
    new = c.recentre_cost(lp=LP, price=3100.0, chain=c.BASE, gas_token_price=2500.0)
    with pytest.warns(DeprecationWarning, match="renamed") as record:
        old = c.recentre_cost(position=LP, price=3100.0, chain=c.BASE, eth_price=2500.0)
    assert old == new
    assert {str(w.message).split("(")[1].split("=")[0] for w in record} == {"position", "eth_price"}
    with pytest.warns(DeprecationWarning, match="lp="):
        assert c.recentre_swap_base(position=LP, price=3100.0) == c.recentre_swap_base(LP, 3100.0)
    cost = c.action_cost(c.ETHEREUM, "swap")
    with pytest.warns(DeprecationWarning, match="gas_token_price"):
        assert cost.in_quote(eth_price=3000.0) == cost.in_quote(gas_token_price=3000.0)
    with pytest.raises(c.LpperpError, match="not both"):
        c.recentre_cost(LP, 3100.0, c.BASE, eth_price=1.0, gas_token_price=1.0)


@pytest.mark.parametrize("call", [
    lambda: c.swap_price_impact(1.0, [2500.0, 3000.0, 3600.0], []),
    lambda: c.swap_cost([1.0, 2.0], [2500.0, 3000.0, 3600.0], 0.0005),
    lambda: c.recentre_swap_base(LP, [2900.0, 3000.0], reference_price=[1.0, 2.0, 3.0]),
    lambda: c.recentre_cost(LP, [2900.0, 3000.0], c.BASE, gas_token_price=[1.0, 2.0, 3.0]),
])
def test_shapes_that_do_not_broadcast_are_named(call):
    """numpy's 'operands could not be broadcast' escaped (found by walking costs.__all__ with
    tests/test_fuzz.py's values)."""
    with pytest.raises(c.LpperpError, match="must broadcast to one shape, got"):
        call()


@pytest.mark.parametrize("liq", ["", "1e6", None, True, object()])
def test_pool_liquidity_must_be_a_number(liq):
    """swap_cost(..., pool_liquidity='') raised numpy's 'could not convert string to float'."""
    with pytest.raises(c.LpperpError, match="pool_liquidity must be a number > 0"):
        c.swap_cost(-2.0, 3000.0, 0.0005, liq)

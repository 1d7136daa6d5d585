"""Chain costs against the published fee formulas, by hand, and every bad input named (issue 14).

References: ../shared/notes/chain-costs.md (read 2026-11): the OP-stack Fjord ``getL1Fee`` of the
GasPriceOracle predeploy ``0x42...0F`` (``max(100e6, -42_585_600 + 836_500 * fastlzSize) *
(baseFeeScalar * 16 * l1BaseFee + blobBaseFeeScalar * blobBaseFee) / 1e12``), Arbitrum's ``P * (L2
gas + L1P * L1S / P)`` with ``L1P = 16 * l1BaseFeeEstimate`` and ``L1S = size + ~140``, and the
Uniswap v3-periphery gas snapshots (``NonfungiblePositionManager.spec.ts.snap``,
``SwapRouter.gas.spec.ts.snap``). The expected values below are written from those formulas in
integer arithmetic or by hand, not with the library's code.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest

from lpperp import costs as c
from lpperp._validate import LpperpError
from lpperp.position import LPPosition

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)

#: (action, gas, calldata bytes) from the v3-periphery snapshots as the notes table lists them
SNAPSHOT = {
    "mint": (451_862, 356),
    "increase": (176_626, 196),
    "decrease": (161_366, 164),
    "collect": (118_970, 132),
    "burn": (66_076, 36),
    "exit": (228_718, 676),
    "swap": (107_180, 260),
    "margin_transfer": (65_000, 68),
}


def named(name: str):
    """``pytest.raises`` for an LpperpError whose message starts with the argument's name."""
    return pytest.raises(LpperpError, match=rf"^{re.escape(name)} must")


def fjord_fee_wei(fastlz: Fraction, l1_wei: Fraction, blob_wei: Fraction, s_base: int,
                  s_blob: int) -> Fraction:
    """GasPriceOracle._getL1FeeFjord in exact rational arithmetic (no truncation)."""
    estimated = max(Fraction(100_000_000), -42_585_600 + 836_500 * fastlz)
    return estimated * (s_base * 16 * l1_wei + s_blob * blob_wei) / 10**12


def tx_sizes(chain: c.Chain, action: str) -> list[Fraction]:
    """Compressed size of each transaction: ratio * (calldata + envelope) + 68 (signature)."""
    parts = ("exit", "swap", "mint") if action == "recentre" else (action,)
    ratio, env = Fraction(chain.compression_ratio), Fraction(chain.tx_envelope_bytes)
    return [ratio * (SNAPSHOT[a][1] + env) + 68 for a in parts]


# ---------------------------------------------------------------------------------------------
# Gas table: the snapshot figures, recentre = three transactions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(SNAPSHOT))
def test_gas_table_is_the_snapshot_and_one_transaction(action):
    gas, nbytes = SNAPSHOT[action]
    assert c.GAS_V3.gas(action) == gas
    assert c.GAS_V3.calldata_bytes(action) == nbytes
    assert c.GAS_V3.transactions(action) == 1


def test_recentre_is_exit_swap_mint_in_three_transactions():
    assert c.GAS_V3.transactions("recentre") == 3
    assert c.GAS_V3.gas("recentre") == 228_718 + 107_180 + 451_862
    assert c.GAS_V3.calldata_bytes("recentre") == 676 + 260 + 356
    other = replace(c.GAS_V3, exit=1, swap=20, mint=300, exit_bytes=4, swap_bytes=50, mint_bytes=600)
    assert (other.gas("recentre"), other.calldata_bytes("recentre")) == (321, 654)


@pytest.mark.parametrize("method", ["gas", "calldata_bytes", "transactions"])
@pytest.mark.parametrize("bad", ["teleport", "RECENTRE", None])
def test_gas_table_refuses_an_unknown_action_by_name(method, bad):
    with named("action"):
        getattr(c.GAS_V3, method)(bad)


def test_gas_table_entries_are_non_negative_integers():
    assert replace(c.GAS_V3, margin_transfer=0).gas("margin_transfer") == 0  # 0 is allowed
    assert replace(c.GAS_V3, burn_bytes=0).calldata_bytes("burn") == 0
    for bad in (-1, 1.5, True, "7", None):
        with named("mint"):
            replace(c.GAS_V3, mint=bad)
    with named("swap_bytes"):
        replace(c.GAS_V3, swap_bytes=-3)
    assert replace(c.GAS_V3, mint=np.int64(5)).gas("mint") == 5


# ---------------------------------------------------------------------------------------------
# Chains: presets, lookup, validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["base", "Base", "BASE", "bAsE"])
def test_get_chain_is_case_insensitive(spelling):
    assert c.get_chain(spelling) is c.BASE


@pytest.mark.parametrize("bad", ["solana", "", 3, None, ["base"]])
def test_get_chain_refuses_by_name(bad):
    with named("chain"):
        c.get_chain(bad)


def test_each_chain_name_finds_its_preset():
    pairs = {"ethereum": c.ETHEREUM, "ARBITRUM": c.ARBITRUM, "Optimism": c.OPTIMISM}
    for name, chain in pairs.items():
        assert c.get_chain(name) is chain


def test_op_mainnet_shares_base_l1_pricing_but_has_its_own_scalars():
    """Both are OP-stack Fjord chains priced at L1 base fee 1 gwei, blob 1/16 gwei (notes)."""
    assert c.OPTIMISM.fee_model == c.BASE.fee_model == "op_stack"
    assert c.OPTIMISM.l1_base_fee_gwei == c.BASE.l1_base_fee_gwei == 1.0
    assert c.OPTIMISM.blob_base_fee_gwei == c.BASE.blob_base_fee_gwei == 0.0625
    assert c.OPTIMISM.block_time_s == c.BASE.block_time_s == 2.0
    assert c.OPTIMISM.name == "OP Mainnet" and c.OPTIMISM.gas_price_gwei == 0.001
    assert "5,227" in c.OPTIMISM.source and "OP Mainnet" in c.OPTIMISM.source


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("gas_price_gwei", 0.0),
        ("gas_price_gwei", np.nan),
        ("block_time_s", 0.0),
        ("block_time_s", -2.0),
        ("l1_base_fee_gwei", -1.0),
        ("blob_base_fee_gwei", -1.0),
        ("base_fee_scalar", -1),
        ("blob_base_fee_scalar", -1),
        ("tx_envelope_bytes", -1.0),
        ("arbitrum_l1_overhead_bytes", -1.0),
        ("compression_ratio", 0.0),
        ("compression_ratio", np.inf),
    ],
)
def test_chain_refuses_a_bad_field_by_name(field, bad):
    with named(field):
        replace(c.BASE, **{field: bad})


def test_chain_zero_l1_prices_are_allowed_and_cost_only_the_floor_scalar_product():
    free_l1 = replace(c.BASE, l1_base_fee_gwei=0.0, blob_base_fee_gwei=0.0)
    assert c.action_cost(free_l1, "mint").l1_data_eth == 0.0


def test_chain_refuses_a_bad_fee_model_gas_table_or_weak_field():
    with named("fee_model"):
        replace(c.BASE, fee_model="zk")
    with pytest.raises(LpperpError, match=r"^gas must be a GasTable"):
        replace(c.BASE, gas=None)
    with pytest.raises(LpperpError, match=r"^weak must name fields of Chain.*'nope'"):
        replace(c.BASE, weak=("gas_price_gwei", "nope"))
    assert replace(c.BASE, weak=("gas_price_gwei",)).weak == ("gas_price_gwei",)


# ---------------------------------------------------------------------------------------------
# L1 data fees against the published formulas in exact arithmetic
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fastlz", "l1", "blob", "s_base", "s_blob"),
    [
        (150, 10**9, 62_500_000, 2_269, 1_055_762),  # under the 100-byte floor
        (309, 10**9, 62_500_000, 2_269, 1_055_762),  # a Base mint
        (2_000, 3 * 10**9, 5, 5_227, 1_014_213),  # OP Mainnet scalars, a large transaction
        (500, 0, 7 * 10**8, 0, 1_000_000),  # blob only
        (500, 2 * 10**9, 0, 1_000_000, 0),  # calldata (base fee) only
    ],
)
def test_op_stack_fee_is_getl1feefjord(fastlz, l1, blob, s_base, s_blob):
    want = fjord_fee_wei(Fraction(fastlz), Fraction(l1), Fraction(blob), s_base, s_blob)
    got = c.op_stack_l1_fee_wei(fastlz, l1, blob, s_base, s_blob)
    assert got == pytest.approx(float(want), rel=1e-13)


def test_op_stack_fee_broadcasts_over_sizes():
    sizes = np.array([100.0, 250.0, 1000.0])
    got = c.op_stack_l1_fee_wei(sizes, 1e9, 1e8, 2_269, 1_055_762)
    want = [float(fjord_fee_wei(Fraction(s), Fraction(10**9), Fraction(10**8), 2_269, 1_055_762))
            for s in (100, 250, 1000)]
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize(
    ("size", "l1", "over"), [(360.0, 1e9, 140.0), (0.0, 3e9, 140.0), (1000.0, 2e9, 0.0),
                             (10.0, 1e9, 90.0)]
)
def test_arbitrum_fee_is_l1p_times_l1s(size, l1, over):
    assert c.arbitrum_l1_fee_wei(size, l1, over) == pytest.approx(16 * l1 * (size + over),
                                                                  rel=1e-15)


def test_arbitrum_default_overhead_is_140_bytes():
    assert c.arbitrum_l1_fee_wei(100.0, 1e9) == pytest.approx(16e9 * 240, rel=1e-15)


@pytest.mark.parametrize(
    ("fn", "args", "name"),
    [
        (c.op_stack_l1_fee_wei, (-1.0, 1e9, 1.0, 1, 1), "fastlz_size"),
        (c.op_stack_l1_fee_wei, (100.0, -1e9, 1.0, 1, 1), "l1_base_fee_wei"),
        (c.op_stack_l1_fee_wei, (100.0, 1e9, np.nan, 1, 1), "blob_base_fee_wei"),
        (c.op_stack_l1_fee_wei, (100.0, 1e9, 1.0, -1, 1), "base_fee_scalar"),
        (c.op_stack_l1_fee_wei, (100.0, 1e9, 1.0, 1, -1), "blob_base_fee_scalar"),
        (c.arbitrum_l1_fee_wei, (-1.0, 1e9), "compressed_size"),
        (c.arbitrum_l1_fee_wei, (100.0, np.inf), "l1_base_fee_wei"),
        (c.arbitrum_l1_fee_wei, (100.0, 1e9, -140.0), "overhead_bytes"),
        (c.swap_price_impact, (np.nan, 3000.0, 1e6), "base_amount"),
        (c.swap_price_impact, (1.0, 0.0, 1e6), "price"),
        (c.swap_cost, (1.0, -3000.0, 0.0005), "price"),
        (c.swap_cost, (1.0, 3000.0, -0.0005), "fee_fraction"),
        (c.swap_cost, (1.0, 3000.0, 1.0), "fee_fraction"),
        (c.recentre_swap_base, (LP, 0.0), "price"),
        (c.recentre_swap_base, (LP, 3000.0, -1.0), "reference_price"),
        (c.recentre_cost, (LP, -1.0, c.BASE), "price"),
    ],
)
def test_bad_arguments_are_named(fn, args, name):
    with named(name):
        fn(*args)


def test_action_cost_and_in_quote_name_their_arguments():
    with named("gas_price_gwei"):
        c.action_cost(c.BASE, "mint", gas_price_gwei=0.0)
    with named("action"):
        c.action_cost(c.BASE, "teleport")
    with pytest.raises(LpperpError, match=r"^chain must be a Chain"):
        c.action_cost("base", "mint")
    with named("gas_token_price"):
        c.action_cost(c.BASE, "mint").in_quote(-1.0)
    with named("gas_token_price"):
        c.recentre_cost(LP, 3000.0, c.BASE, gas_token_price=0.0)
    with pytest.raises(LpperpError, match=r"^lp must be an LPPosition"):
        c.recentre_swap_base("lp", 3000.0)


# ---------------------------------------------------------------------------------------------
# Action costs: every chain and action by hand
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [*sorted(SNAPSHOT), "recentre"])
@pytest.mark.parametrize("chain", [c.ETHEREUM, c.ARBITRUM, c.BASE, c.OPTIMISM],
                         ids=lambda ch: ch.name)
def test_action_cost_by_hand(chain, action):
    parts = ("exit", "swap", "mint") if action == "recentre" else (action,)
    gas = sum(SNAPSHOT[a][0] for a in parts)
    gwei = Fraction(chain.gas_price_gwei)
    execution_wei = gas * gwei * 10**9
    sizes = tx_sizes(chain, action)
    if chain.fee_model == "op_stack":
        data_wei = sum(fjord_fee_wei(s, Fraction(chain.l1_base_fee_gwei) * 10**9,
                                     Fraction(chain.blob_base_fee_gwei) * 10**9,
                                     chain.base_fee_scalar, chain.blob_base_fee_scalar)
                       for s in sizes)
    elif chain.fee_model == "arbitrum":
        data_wei = sum(16 * Fraction(chain.l1_base_fee_gwei) * 10**9 * (s + 140) for s in sizes)
    else:
        data_wei = Fraction(0)
    got = c.action_cost(chain, action)
    assert got.chain == chain.name and got.action == action and got.gas_used == gas
    assert got.execution_eth == pytest.approx(float(execution_wei / 10**18), rel=1e-13)
    assert got.l1_data_eth == pytest.approx(float(data_wei / 10**18), rel=1e-13, abs=0)
    assert got.total_eth == pytest.approx(float((execution_wei + data_wei) / 10**18), rel=1e-13)
    assert got.l1_gas_equivalent == pytest.approx(float(data_wei / (gwei * 10**9)), rel=1e-13)
    assert got.in_quote(2500.0) == pytest.approx(
        float((execution_wei + data_wei) / 10**18 * 2500), rel=1e-13)


def test_base_mint_data_fee_is_tens_of_nanoeth_and_far_below_execution():
    """notes: "the L1 data fee of a mint on Base is ~4e-8 ETH ... about 50x less than its execution
    at the floor price" (the floor has since risen to 0.005 gwei: about 100x)."""
    mint = c.action_cost(c.BASE, "mint")
    assert 1e-8 < mint.l1_data_eth < 6e-8
    assert 30 < mint.execution_eth / mint.l1_data_eth < 200


def test_action_cost_at_other_gas_prices_keeps_the_data_fee():
    prices = np.array([0.01, 0.02, 0.5])
    got = c.action_cost(c.ARBITRUM, "swap", gas_price_gwei=prices)
    one = c.action_cost(c.ARBITRUM, "swap")
    np.testing.assert_allclose(got.execution_eth, 107_180 * prices * 1e-9, rtol=1e-13)
    np.testing.assert_allclose(got.l1_data_eth, np.full(3, one.l1_data_eth), rtol=1e-15)
    np.testing.assert_allclose(got.l1_gas_equivalent, one.l1_data_eth * 1e18 / (prices * 1e9),
                               rtol=1e-13)
    assert np.shape(got.l1_data_eth) == (3,)


# ---------------------------------------------------------------------------------------------
# Swaps: the constant-liquidity closed form against a direct purchase
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "p", "liq"), [(2.0, 3000.0, 1e5), (-5.0, 2500.0, 3e4),
                                             (0.25, 4000.0, 2e3), (-0.1, 1000.0, 50.0),
                                             (1.0, 3000.0, 1e6), (1.0, 4.0, 2.5), (-1.0, 4.0, 0.5)])
def test_price_impact_is_the_cost_of_walking_the_curve(x, p, liq):
    """Buying x base through L: sqrt P1 = L sqrt P / (L - x sqrt P), quote paid L (sqrt P1 -
    sqrt P); selling: sqrt P1 = L sqrt P / (L + |x| sqrt P), quote received L (sqrt P - sqrt P1).
    The impact is what is paid beyond (or received short of) x P."""
    with localcontext() as ctx:
        ctx.prec = 50
        dx, dp, dl = Decimal(x), Decimal(p), Decimal(liq)
        s = dp.sqrt()
        s1 = dl * s / (dl - dx * s)
        quote_paid = dl * (s1 - s)  # negative when selling: quote received
        want = float(quote_paid - dx * dp)
    assert c.swap_price_impact(x, p, liq) == pytest.approx(want, rel=1e-12)
    assert c.swap_cost(x, p, 0.003, liq) == pytest.approx(want + 0.003 * abs(x) * p, rel=1e-12)


def test_price_impact_infinite_exactly_when_a_purchase_drains_the_pool():
    p, liq = 2500.0, 1e4
    limit = liq / np.sqrt(p)  # all the base L holds above P
    got = c.swap_price_impact(np.array([limit * 0.999, limit, limit * 2, -limit * 2]), p, liq)
    assert np.isfinite(got[0]) and got[0] > 0
    assert got[1] == np.inf and got[2] == np.inf
    assert np.isfinite(got[3])  # selling never drains the quote side in this model


def test_swap_cost_without_impact_is_the_fee_on_the_notional():
    got = c.swap_cost(np.array([-4.0, 0.0, 2.5]), 2000.0, np.array([0.0001, 0.003, 0.01]))
    np.testing.assert_allclose(got, [0.8, 0.0, 50.0], rtol=1e-14)
    assert c.swap_cost(3.0, 2000.0, 0.0) == 0.0


# ---------------------------------------------------------------------------------------------
# Shapes that do not broadcast: the function and every array argument named
# ---------------------------------------------------------------------------------------------
PROF = c.LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
TWO, THREE = np.ones(2), np.full(3, 3000.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: c.swap_price_impact(TWO, THREE, 1e6),
         "swap_price_impact: the arguments must broadcast to one shape, got base_amount (2,), "
         "price (3,)"),
        (lambda: c.swap_price_impact(1.0, THREE, np.full(2, 1e6)),
         "swap_price_impact: the arguments must broadcast to one shape, got price (3,), "
         "pool_liquidity (2,)"),
        (lambda: c.swap_cost(TWO, THREE, 0.0005),
         "swap_cost: the arguments must broadcast to one shape, got base_amount (2,), price (3,)"),
        (lambda: c.swap_cost(1.0, THREE, np.full(2, 0.0005)),
         "swap_cost: the arguments must broadcast to one shape, got price (3,), fee_fraction (2,)"),
        (lambda: c.swap_cost(TWO, THREE, profile=PROF),
         "swap_cost: the arguments must broadcast to one shape, got base_amount (2,), price (3,)"),
        (lambda: c.recentre_swap_base(LP, THREE, reference_price=TWO * 3000.0),
         "recentre_swap_base: the arguments must broadcast to one shape, got price (3,), "
         "reference_price (2,)"),
        (lambda: c.recentre_cost(LP, THREE, c.BASE, gas_token_price=TWO * 3000.0),
         "recentre_cost: the arguments must broadcast to one shape, got price (3,), "
         "gas_token_price (2,)"),
    ],
)
def test_shapes_that_do_not_broadcast_name_the_function_and_arguments(call, message):
    with pytest.raises(LpperpError, match=f"^{re.escape(message)}$"):
        call()


def test_swap_cost_with_a_profile_names_a_bad_fee_or_price():
    with named("fee_fraction"):
        c.swap_cost(1.0, 3000.0, -0.0005, profile=PROF)
    with named("price"):
        c.swap_cost(1.0, 0.0, profile=PROF)
    with named("base_amount"):
        c.swap_cost(np.inf, 3000.0, profile=PROF)
    # the profile's own fee given as an array of equal values is accepted
    got = c.swap_cost(np.array([1.0, -1.0]), 3000.0, np.array([0.0005, 0.0005]), profile=PROF)
    np.testing.assert_array_equal(got, c.swap_cost(np.array([1.0, -1.0]), 3000.0, profile=PROF))


def test_arbitrum_overhead_of_the_chain_is_used():
    """L1S = compressed size + the chain's overhead bytes (not always the default 140)."""
    lean = replace(c.ARBITRUM, arbitrum_l1_overhead_bytes=0.0)
    size = float(tx_sizes(lean, "swap")[0])
    want = 16 * lean.l1_base_fee_gwei * 1e9 * size / 1e18
    assert c.action_cost(lean, "swap").l1_data_eth == pytest.approx(want, rel=1e-13)
    heavy = replace(c.ARBITRUM, arbitrum_l1_overhead_bytes=1000.0)
    assert c.action_cost(heavy, "swap").l1_data_eth == pytest.approx(
        16 * 1e9 * (size + 1000.0) / 1e18, rel=1e-13)


def test_price_impact_edges_without_numpy_warnings():
    """Where a purchase takes exactly all the base, or the amounts overflow or underflow, the
    answer is still the model's (inf for a drained pool, 0 without impact) and numpy stays quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "overflow", RuntimeWarning)  # amounts of 1e300 overflow
        # x sqrt P == L exactly: the pool is drained (a division by zero inside)
        assert c.swap_price_impact(1.0, 4.0, 2.0) == np.inf
        # x sqrt P overflows: inf / -inf inside, still drained
        assert c.swap_price_impact(1e300, 1e20, 1.0) == np.inf
        # no impact through infinite liquidity, even where the amounts overflow
        assert c.swap_price_impact(1e300, 1e20, np.inf) == 0.0
        assert c.swap_price_impact(-1e300, 1e20, np.inf) == 0.0
        # exactly drained while the impact's numerator underflows to 0 (0 / 0 inside)
        x, p = 1e-170, 1e-100
        liq = x * float(np.sqrt(p))
        assert c.swap_price_impact(x, p, liq) == np.inf


def test_small_pool_liquidity_below_one_is_valid():
    got = c.swap_price_impact(-0.01, 4.0, 0.5)
    assert got == pytest.approx(0.01 * 4.0 * 0.01 * 2.0 / (0.5 + 0.02), rel=1e-14)
    assert c.swap_cost(-0.01, 4.0, 0.0, 0.5) == pytest.approx(got, rel=1e-14)


@pytest.mark.parametrize("envelope", [45, np.int64(45), Fraction(45), Decimal("45")])
def test_an_envelope_size_given_as_any_real_number_prices_the_same(envelope):
    """Chain fields are checked as real numbers, not converted: an int, numpy int, Fraction or
    Decimal envelope gives the float preset's cost on every fee model."""
    for chain in (c.BASE, c.ARBITRUM):
        want = c.action_cost(chain, "recentre")
        got = c.action_cost(replace(chain, tx_envelope_bytes=envelope), "recentre")
        assert got.l1_data_eth == want.l1_data_eth

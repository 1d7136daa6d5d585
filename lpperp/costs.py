"""Costs of acting on chain: gas, L2 data fees and the rebalancing swap.

Conventions
-----------
Gas is in gas units; gas prices and L1 base / blob base fees in **gwei** (``*_gwei``), fees in
**wei** (``*_wei``) or **ETH** (``*_eth``); every chain here pays gas in ETH, so a cost in quote
units is ``cost_eth * gas_token_price`` (quote per ETH; for a USDC/ETH pool the pool price itself).
``price`` is quote per base in human units, ``base`` amounts in base units, costs in quote units.
Pool liquidity is human liquidity (``sqrt(base * quote)`` units,
:meth:`lpperp.units.PoolSpec.liquidity_to_human` of the pool's ``liquidity()``). Float functions
broadcast over array arguments. What recentring at a given frequency costs and earns over a year is
:mod:`lpperp.rebalancing`.

A swap is costed one of two ways: through constant liquidity ``pool_liquidity`` with the fee taken
at the mid price (:func:`swap_price_impact`, the first-order approximation), or, given
``profile=`` (a :class:`lpperp.swap.LiquidityProfile`: the pool's liquidity over prices and its
fee), through the swap engine, which charges the fee on the input amount as the pool does and
crosses the profile's segments (:func:`lpperp.swap.execution_cost`). Signs here: ``base_amount > 0``
buys base, ``< 0`` sells it.

Presets (:data:`CHAINS`) are frozen, dated and sourced; figures that are estimates are listed in
each preset's ``weak`` field. Override any number with :func:`dataclasses.replace`, e.g.
``replace(ETHEREUM, gas_price_gwei=8.0)`` or ``replace(ARBITRUM, gas=replace(GAS_V3, mint=400_000))``.

Sources (read 2026-11, see ../shared/notes/chain-costs.md): Uniswap v3-periphery gas snapshots
(``NonfungiblePositionManager.spec.ts.snap``, ``SwapRouter.gas.spec.ts.snap``); OP-stack Fjord
``GasPriceOracle.getL1Fee``; Arbitrum ``ArbGasInfo`` / NodeInterface L1 pricing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np

from ._validate import LpperpError, broadcast_shape, finite, nonnegative, one_of, positive, renamed
from ._validate import scalar_or_array as _out
from .liquidity import amounts_for_liquidity
from .position import LPPosition
from .swap import LiquidityProfile, execution_cost

__all__ = [
    "ACTIONS",
    "ARBITRUM",
    "BASE",
    "CHAINS",
    "ETHEREUM",
    "EXAMPLE_FEE_APR",
    "GAS_V3",
    "OPTIMISM",
    "ActionCost",
    "Chain",
    "GasTable",
    "action_cost",
    "arbitrum_l1_fee_wei",
    "get_chain",
    "op_stack_l1_fee_wei",
    "recentre_cost",
    "recentre_swap_base",
    "swap_cost",
    "swap_price_impact",
]

Action = Literal[
    "mint",
    "increase",
    "decrease",
    "collect",
    "burn",
    "exit",
    "swap",
    "recentre",
    "margin_transfer",
]
ACTIONS: tuple[str, ...] = get_args(Action)
"""Actions priced by :func:`action_cost`; ``exit`` = decrease + collect + burn in one multicall,
``recentre`` = exit + swap + mint."""

EXAMPLE_FEE_APR = 0.25
"""An ILLUSTRATIVE in-range fee APR (25%/yr) for examples: no authoritative current figure for
USDC/WETH was found (chain-costs notes, 2026-11). Pass your own ``fee_apr``, or derive it from pool
volume and in-range liquidity with :meth:`lpperp.position.LPPosition.fee_income`."""

GWEI = 1e9
SIGNATURE_BYTES = 68.0
"""Bytes GasPriceOracle adds to the compressed unsigned transaction for its signature (Fjord)."""
WEI_PER_ETH = 1e18


# ------------------------------------------------------------------------------------------------
# Gas table and chains
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GasTable:
    """Gas used and calldata bytes per action (whole transaction).

    Defaults: Uniswap v3-periphery gas snapshots (test tokens, so lower bounds for real
    USDC/WETH): mint with new ticks in a pool with liquidity 451,862 (356 B), increaseLiquidity
    176,626 (196 B), decreaseLiquidity partial 161,366 (164 B), collect 118,970 (132 B), burn
    66,076 (36 B), multicall decrease + collect + burn 228,718 (676 B), exactInputSingle without
    a tick crossed 107,180 (260 B). ``margin_transfer`` (moving USDC margin to a perp venue, an
    ERC-20 transfer or bridge deposit, 68 B) is WEAK: 65,000 is a typical USDC transfer, not a
    measured figure (a GMX v2 collateral change is a keeper order whose execution fee covers
    ~4.35 M gas instead).

    >>> GAS_V3.gas("recentre"), GAS_V3.calldata_bytes("recentre")
    (787760, 1292)
    """

    mint: int = 451_862
    increase: int = 176_626
    decrease: int = 161_366
    collect: int = 118_970
    burn: int = 66_076
    exit: int = 228_718
    swap: int = 107_180
    margin_transfer: int = 65_000
    mint_bytes: int = 356
    increase_bytes: int = 196
    decrease_bytes: int = 164
    collect_bytes: int = 132
    burn_bytes: int = 36
    exit_bytes: int = 676
    swap_bytes: int = 260
    margin_transfer_bytes: int = 68

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise LpperpError(f"{name} must be a non-negative integer, got {value!r}")

    def gas(self, action: str) -> int:
        """Gas used by ``action`` (``recentre`` = exit + swap + mint).

        >>> GAS_V3.gas("mint")
        451862
        """
        one_of("action", action, ACTIONS)
        if action == "recentre":
            return self.exit + self.swap + self.mint
        return int(getattr(self, action))

    def calldata_bytes(self, action: str) -> int:
        """Calldata bytes of ``action`` (ABI-encoded; ``recentre`` sums its three transactions).

        >>> GAS_V3.calldata_bytes("burn")
        36
        """
        one_of("action", action, ACTIONS)
        if action == "recentre":
            return self.exit_bytes + self.swap_bytes + self.mint_bytes
        return int(getattr(self, f"{action}_bytes"))

    def transactions(self, action: str) -> int:
        """Number of transactions ``action`` takes (3 for ``recentre``, else 1).

        >>> GAS_V3.transactions("recentre")
        3
        """
        one_of("action", action, ACTIONS)
        return 3 if action == "recentre" else 1


GAS_V3 = GasTable()
"""Uniswap v3 gas snapshot defaults (see :class:`GasTable`)."""

FeeModel = Literal["l1", "op_stack", "arbitrum"]


@dataclass(frozen=True)
class Chain:
    """A chain's fee model and prices: frozen, dated, sourced; override with ``replace``.

    Fee of a transaction with execution gas ``g`` and calldata ``b`` bytes, whose compressed size
    is ``c = compression_ratio * (b + tx_envelope_bytes) + 68`` (the unsigned RLP transaction
    compressed, plus 68 bytes for the signature as GasPriceOracle adds them):

    - ``"l1"`` (Ethereum): ``g * gas_price``;
    - ``"op_stack"`` (Base, OP Mainnet, Fjord): ``g * gas_price + op_stack_l1_fee_wei(c, ...)``;
    - ``"arbitrum"``: ``g * gas_price + 16 * l1_base_fee * (c + arbitrum_l1_overhead_bytes)``,
      the L1 part charged as extra L2 gas (``/ gas_price``).

    Parameters
    ----------
    name : str
    fee_model : {"l1", "op_stack", "arbitrum"}
    gas_price_gwei : float
        Execution gas price (base fee + priority fee), gwei.
    block_time_s : float
        Block time in seconds (for reaction delays).
    l1_base_fee_gwei, blob_base_fee_gwei : float
        L1 prices the L2 charges data at (op_stack: both; arbitrum: ``l1_base_fee_gwei`` is
        ArbGasInfo's ``getL1BaseFeeEstimate``).
    base_fee_scalar, blob_base_fee_scalar : int
        OP-stack Fjord scalars (scaled by 1e6).
    compression_ratio : float
        Compressed / raw size of an unsigned transaction (FastLZ for OP, Brotli for Arbitrum).
    tx_envelope_bytes : float
        Bytes of the unsigned RLP transaction beyond its calldata (type, chain id, nonce, fees,
        gas limit, ``to``, value, empty access list).
    arbitrum_l1_overhead_bytes : float
        Fixed per-transaction bytes Arbitrum adds to the compressed size (~140).
    gas : GasTable
    as_of, source : str
        Date of the prices and where they come from.
    weak : tuple of str
        Names of fields that are estimates rather than read from a primary source.

    Examples
    --------
    >>> from dataclasses import replace
    >>> busy = replace(ETHEREUM, gas_price_gwei=20.0, as_of="2024-11")
    >>> round(action_cost(busy, "recentre").in_quote(3000.0), 2)
    47.27
    """

    name: str
    fee_model: FeeModel
    gas_price_gwei: float
    block_time_s: float
    l1_base_fee_gwei: float = 0.0
    blob_base_fee_gwei: float = 0.0
    base_fee_scalar: int = 0
    blob_base_fee_scalar: int = 0
    compression_ratio: float = 0.6
    tx_envelope_bytes: float = 45.0
    arbitrum_l1_overhead_bytes: float = 140.0
    gas: GasTable = field(default_factory=GasTable)
    as_of: str = ""
    source: str = ""
    weak: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        one_of("fee_model", self.fee_model, ("l1", "op_stack", "arbitrum"))
        positive("gas_price_gwei", self.gas_price_gwei)
        positive("block_time_s", self.block_time_s)
        for name in (
            "l1_base_fee_gwei",
            "blob_base_fee_gwei",
            "base_fee_scalar",
            "blob_base_fee_scalar",
            "tx_envelope_bytes",
            "arbitrum_l1_overhead_bytes",
        ):
            nonnegative(name, getattr(self, name))
        positive("compression_ratio", self.compression_ratio)
        if not isinstance(self.gas, GasTable):
            raise LpperpError(f"gas must be a GasTable, got {type(self.gas).__name__}")
        unknown = set(self.weak) - set(self.__dataclass_fields__)
        if unknown:
            raise LpperpError(f"weak must name fields of Chain, got unknown {sorted(unknown)}")


ETHEREUM = Chain(
    name="Ethereum mainnet",
    fee_model="l1",
    gas_price_gwei=1.0,
    block_time_s=12.0,
    as_of="2026-11",
    source=(
        "Base fee fell from ~16 gwei (Nov 2024) to ~1 gwei and below through 2025 (EIP-7918 "
        "text; later figures from news sites). 1 gwei total (base + tip) is a round "
        "present-day figure: set your own, the cost scales linearly with it."
    ),
    weak=("gas_price_gwei",),
)
"""Ethereum mainnet at 1 gwei (WEAK: the gas price is the figure a user must set)."""

ARBITRUM = Chain(
    name="Arbitrum One",
    fee_model="arbitrum",
    gas_price_gwei=0.02,
    block_time_s=0.25,
    l1_base_fee_gwei=1.0,
    compression_ratio=0.6,
    as_of="2026-11",
    source=(
        "Minimum gas price 0.02 gwei since 2026-01-05; fee = P * (L2 gas + L1P * L1S / P) with "
        "L1P = 16 * l1BaseFeeEstimate (ArbGasInfo getL1BaseFeeEstimate / getPricesInWei) and "
        "L1S = Brotli-compressed size + ~140 bytes (NodeInterface gasEstimateL1Component). "
        "Blocks 250 ms."
    ),
    weak=("l1_base_fee_gwei", "compression_ratio", "tx_envelope_bytes"),
)
"""Arbitrum One at its 0.02 gwei floor, L1 priced at a 1 gwei base-fee estimate (WEAK)."""

BASE = Chain(
    name="Base",
    fee_model="op_stack",
    gas_price_gwei=0.005,
    block_time_s=2.0,
    l1_base_fee_gwei=1.0,
    blob_base_fee_gwei=1.0 / 16.0,
    base_fee_scalar=2_269,
    blob_base_fee_scalar=1_055_762,
    compression_ratio=0.6,
    as_of="2026-11",
    source=(
        "OP-stack Fjord L1 fee (GasPriceOracle 0x4200...000F getL1Fee); Base scalars 2,269 / "
        "1,055,762 (set 2024-07-10); minimum base fee 5,000,000 wei = 0.005 gwei since "
        "2026-02-19 (docs.base.org/base-chain/network-information/configuration-changelog, read "
        "2026-11: 200,000 wei 2025-12-04, 500,000 2025-12-18, 1,000,000 2026-01-22, 2,000,000 "
        "2026-02-02, 5,000,000 2026-02-19). L1 base fee 1 gwei; blob base fee 1/16 of it "
        "(EIP-7918 reserve price). Blocks 2 s (Flashblocks pre-confirm every 200 ms)."
    ),
    weak=("l1_base_fee_gwei", "blob_base_fee_gwei", "compression_ratio", "tx_envelope_bytes"),
)
"""Base at its 0.005 gwei minimum base fee (since 2026-02-19; L1 prices WEAK)."""

OPTIMISM = replace(  # the same OP-stack Fjord fee model, block time and L1 prices as Base
    BASE,
    name="OP Mainnet",
    gas_price_gwei=0.001,
    base_fee_scalar=5_227,
    blob_base_fee_scalar=1_014_213,
    source=(
        "OP-stack Fjord L1 fee (GasPriceOracle getL1Fee); OP Mainnet scalars 5,227 / 1,014,213 "
        "(2025-01). Execution gas price 0.001 gwei is an estimate; L1 base fee 1 gwei, blob base "
        "fee 1/16 of it (EIP-7918 reserve price). Blocks 2 s."
    ),
    weak=(
        "gas_price_gwei",
        "l1_base_fee_gwei",
        "blob_base_fee_gwei",
        "compression_ratio",
        "tx_envelope_bytes",
    ),
)
"""OP Mainnet (execution gas price and L1 prices WEAK)."""

CHAINS: dict[str, Chain] = {
    "ethereum": ETHEREUM,
    "arbitrum": ARBITRUM,
    "base": BASE,
    "optimism": OPTIMISM,
}
"""Chain name -> preset."""


def get_chain(name: str) -> Chain:
    """Return a chain preset by name (case-insensitive).

    >>> get_chain("Base").base_fee_scalar
    2269
    """
    return CHAINS[one_of("chain", name.lower() if isinstance(name, str) else name, CHAINS)]


# ------------------------------------------------------------------------------------------------
# L2 data fees
# ------------------------------------------------------------------------------------------------


def op_stack_l1_fee_wei(
    fastlz_size: Any,
    l1_base_fee_wei: Any,
    blob_base_fee_wei: Any,
    base_fee_scalar: Any,
    blob_base_fee_scalar: Any,
) -> float | np.ndarray:
    """OP-stack (Fjord) L1 data fee of one transaction, in wei.

    ``max(100e6, -42_585_600 + 836_500 * fastlzSize)
    * (baseFeeScalar * 16 * l1BaseFee + blobBaseFeeScalar * blobBaseFee) / 1e12``: the first
    factor is the estimated compressed size in bytes scaled by 1e6, floored at 100 bytes; the
    scalars are scaled by 1e6 (GasPriceOracle ``getL1Fee``, where ``fastlzSize`` is the FastLZ
    length of the unsigned RLP transaction + 68). Float arithmetic (the contract
    truncates each integer division; the difference is below one wei per 1e12).

    >>> fee = op_stack_l1_fee_wei(200, 1e9, 1, 2269, 1055762)  # 200 bytes on Base, 1 gwei L1
    >>> round(fee)  # wei: (836500 * 200 - 42585600) * (2269 * 16 * 1e9 + 1055762) / 1e12
    4527631709
    """
    size = nonnegative("fastlz_size", fastlz_size)
    l1 = nonnegative("l1_base_fee_wei", l1_base_fee_wei)
    blob = nonnegative("blob_base_fee_wei", blob_base_fee_wei)
    s_base = nonnegative("base_fee_scalar", base_fee_scalar)
    s_blob = nonnegative("blob_base_fee_scalar", blob_base_fee_scalar)
    estimated = np.maximum(100e6, -42_585_600.0 + 836_500.0 * np.asarray(size))
    weighted = np.asarray(s_base) * 16.0 * np.asarray(l1) + np.asarray(s_blob) * np.asarray(blob)
    return _out(estimated * weighted / 1e12)


def arbitrum_l1_fee_wei(
    compressed_size: Any, l1_base_fee_wei: Any, overhead_bytes: Any = 140.0
) -> float | np.ndarray:
    """Arbitrum L1 data fee of one transaction, in wei: ``L1P * L1S``.

    ``L1P = 16 * l1BaseFeeEstimate`` (wei per byte, 16 gas per non-zero calldata byte on L1) and
    ``L1S = compressed_size + overhead_bytes`` (Brotli-compressed size plus the fixed ~140 bytes).
    Arbitrum charges it as ``L1P * L1S / gas_price`` extra L2 gas.

    >>> arbitrum_l1_fee_wei(360, 1e9)  # 16 gwei per byte * 500 bytes
    8000000000000.0
    """
    size = nonnegative("compressed_size", compressed_size)
    l1 = nonnegative("l1_base_fee_wei", l1_base_fee_wei)
    over = nonnegative("overhead_bytes", overhead_bytes)
    return _out(16.0 * np.asarray(l1) * (np.asarray(size) + np.asarray(over)))


@dataclass(frozen=True)
class ActionCost:
    """Cost of one action on one chain, split into L2/L1 execution and L1 data (ETH).

    ``l1_gas_equivalent`` is the data fee expressed as gas at the execution price (what Arbitrum
    adds to the transaction's gas used).
    """

    chain: str
    action: str
    execution_eth: float | np.ndarray
    l1_data_eth: float | np.ndarray
    gas_used: int
    l1_gas_equivalent: float | np.ndarray

    @property
    def total_eth(self) -> float | np.ndarray:
        """Execution + L1 data fee, ETH."""
        return _out(np.asarray(self.execution_eth) + np.asarray(self.l1_data_eth))

    @renamed(eth_price="gas_token_price")
    def in_quote(self, gas_token_price: Any) -> float | np.ndarray:
        """Total cost in quote units at ``gas_token_price`` (quote per ETH, the gas token).

        >>> round(action_cost(ETHEREUM, "swap").in_quote(3000.0), 6)
        0.32154
        """
        return _out(np.asarray(self.total_eth) * positive("gas_token_price", gas_token_price))


def action_cost(chain: Chain, action: str, *, gas_price_gwei: Any = None) -> ActionCost:
    """Cost of ``action`` on ``chain`` (ETH), optionally at other execution gas prices (vectorized).

    Execution: ``gas(action) * gas_price``. Data: per transaction, the compressed size
    ``c = compression_ratio * (calldata + tx_envelope_bytes) + 68`` (see :class:`Chain`), priced by
    :func:`op_stack_l1_fee_wei` (OP stack) or :func:`arbitrum_l1_fee_wei` (Arbitrum); ``recentre``
    is three transactions (exit, swap, mint), each priced on its own (the OP floor applies per
    transaction).

    >>> c = action_cost(ETHEREUM, "recentre")
    >>> c.gas_used, round(c.total_eth, 9)
    (787760, 0.00078776)
    >>> round(action_cost(ARBITRUM, "recentre").in_quote(3000.0), 4)  # 0.047 exec + 0.071 data
    0.1183
    """
    if not isinstance(chain, Chain):
        raise LpperpError(f"chain must be a Chain (see CHAINS), got {type(chain).__name__}")
    one_of("action", action, ACTIONS)
    price_gwei = chain.gas_price_gwei if gas_price_gwei is None else gas_price_gwei
    price_wei = np.asarray(positive("gas_price_gwei", price_gwei)) * GWEI
    gas = chain.gas.gas(action)
    parts = ("exit", "swap", "mint") if action == "recentre" else (action,)
    n_bytes = np.array(
        [chain.gas.calldata_bytes(a) + chain.tx_envelope_bytes for a in parts], dtype=float
    )
    compressed = chain.compression_ratio * n_bytes + SIGNATURE_BYTES
    if chain.fee_model == "op_stack":
        data_wei = np.sum(
            op_stack_l1_fee_wei(
                compressed,
                chain.l1_base_fee_gwei * GWEI,
                chain.blob_base_fee_gwei * GWEI,
                chain.base_fee_scalar,
                chain.blob_base_fee_scalar,
            )
        )
    elif chain.fee_model == "arbitrum":
        data_wei = np.sum(
            arbitrum_l1_fee_wei(
                compressed, chain.l1_base_fee_gwei * GWEI, chain.arbitrum_l1_overhead_bytes
            )
        )
    else:
        data_wei = 0.0
    execution = gas * price_wei / WEI_PER_ETH
    data = np.broadcast_to(data_wei / WEI_PER_ETH, np.shape(price_wei))
    return ActionCost(
        chain=chain.name,
        action=action,
        execution_eth=_out(execution),
        l1_data_eth=_out(data),
        gas_used=gas,
        l1_gas_equivalent=_out(data_wei / price_wei),
    )


# ------------------------------------------------------------------------------------------------
# The rebalancing swap
# ------------------------------------------------------------------------------------------------


@renamed(position="lp")
def recentre_swap_base(
    lp: LPPosition, price: Any, reference_price: Any = None
) -> float | np.ndarray:
    """Base amount to buy (+) or sell (-) to recentre the LP position ``lp`` at ``price``.

    Recentring exits the position at ``price`` (value ``V = base * P + quote``) and re-enters
    with the same value over the range scaled by ``price / reference_price`` (the same shape
    around the new price; ``reference_price`` is the price the range was set around, default its
    geometric centre ``sqrt(pa * pb)``). Amounts come from
    :func:`lpperp.liquidity.amounts_for_liquidity`: the new position holds ``V w / P`` base,
    ``w`` the base share of value of one unit of liquidity over the new range at ``P``, so the
    swap is ``V w / P - base``.

    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> round(recentre_swap_base(lp, 3000.0, reference_price=3000.0), 12)  # nothing to do
    0.0
    >>> round(recentre_swap_base(lp, 3300.0, reference_price=3000.0), 4)  # all USDC: buy ETH
    1.4746
    """
    if not isinstance(lp, LPPosition):
        raise LpperpError(f"lp must be an LPPosition, got {type(lp).__name__}")
    p = np.asarray(positive("price", price), dtype=float)
    pa, pb = lp.price_lower, lp.price_upper
    if reference_price is None:
        ref = np.sqrt(pa * pb)
    else:
        ref = np.asarray(positive("reference_price", reference_price), dtype=float)
        broadcast_shape("recentre_swap_base", price=p, reference_price=ref)
    k = p / ref
    base, quote = amounts_for_liquidity(p, pa, pb, lp.liquidity)
    value = np.asarray(base) * p + np.asarray(quote)
    b1, q1 = amounts_for_liquidity(p, pa * k, pb * k, 1.0)
    w = np.asarray(b1) * p / (np.asarray(b1) * p + np.asarray(q1))
    return _out(value * w / p - np.asarray(base))


def _pool_liquidity(pool_liquidity: Any) -> np.ndarray:
    if isinstance(pool_liquidity, (str, bytes, bool, np.bool_)) or pool_liquidity is None:
        raise LpperpError(
            f"pool_liquidity must be a number > 0 (human units; inf for no price impact), got "
            f"{pool_liquidity!r}"
        )
    try:
        liq = np.asarray(pool_liquidity, dtype=float)
    except (TypeError, ValueError):
        raise LpperpError(
            f"pool_liquidity must be a number > 0 (human units; inf for no price impact), got "
            f"{type(pool_liquidity).__name__} {pool_liquidity!r:.60}"
        ) from None
    if np.any(np.isnan(liq) | (liq <= 0)):
        raise LpperpError(
            f"pool_liquidity must be > 0 (human units; inf for no price impact), got "
            f"{pool_liquidity!r}"
        )
    return liq


def swap_price_impact(base_amount: Any, price: Any, pool_liquidity: Any) -> float | np.ndarray:
    """Price-impact cost (quote units, >= 0) of swapping ``base_amount`` through constant liquidity.

    Constant-liquidity approximation (the pool's active liquidity ``L`` holds over the move, as
    inside one initialised tick range): buying ``x > 0`` base moves ``sqrt P`` to
    ``L sqrt P / (L - x sqrt P)`` and costs ``L (sqrt P1 - sqrt P)``; selling credits
    ``L (sqrt P - sqrt P1)``. Against the mid price ``x P`` the loss is
    ``|x| P * |x| sqrt P / (L - x sqrt P)`` (``+`` sign of ``x`` in the denominator for a sale).
    Infinite when a purchase would take all the base the liquidity holds (``x sqrt P >= L``).
    ``pool_liquidity = inf`` means no impact.

    >>> round(swap_price_impact(1.0, 3000.0, 1e6), 6)  # 1 ETH through L = 1e6
    0.164326
    """
    x = np.asarray(finite("base_amount", base_amount), dtype=float)
    p = np.asarray(positive("price", price), dtype=float)
    liq = _pool_liquidity(pool_liquidity)
    broadcast_shape("swap_price_impact", base_amount=x, price=p, pool_liquidity=liq)
    s = np.sqrt(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = liq - x * s
        impact = np.abs(x) * p * np.abs(x) * s / denom
    impact = np.where(np.isinf(liq) | (x == 0), 0.0, np.where(denom > 0, impact, np.inf))
    return _out(impact)


def swap_cost(
    base_amount: Any,
    price: Any,
    fee_fraction: Any = None,
    pool_liquidity: Any = np.inf,
    *,
    profile: LiquidityProfile | None = None,
) -> float | np.ndarray:
    """Cost in quote units of a swap of ``base_amount`` (signed, > 0 buys): pool fee + price impact.

    Without ``profile``: ``fee_fraction * |x| * P + swap_price_impact(x, P, L)``, the fee to
    first order (the pool charges it on the input amount, ``fee / (1 - fee)`` of the net input).
    With ``profile``: :func:`lpperp.swap.execution_cost` of the same swap at pool price ``price``
    (the fee on the input amount, segments crossed; ``inf`` where the profile cannot fill it); the
    fee is the profile's, so ``fee_fraction`` and ``pool_liquidity`` must then be left out.

    >>> round(swap_cost(-2.0, 3000.0, 0.0005), 6)  # sell 2 ETH in the 0.05% pool, no impact
    3.0
    >>> from lpperp.swap import LiquidityProfile
    >>> prof = LiquidityProfile.uniform(3000.0, 1e6, 0.0005)
    >>> round(swap_cost(2.0, 3000.0, profile=prof), 6)  # buy 2 ETH: fee on the USDC paid
    3.659169
    """
    x = np.asarray(finite("base_amount", base_amount), dtype=float)
    p = np.asarray(positive("price", price), dtype=float)
    if profile is not None:
        if not isinstance(profile, LiquidityProfile):
            raise LpperpError(f"profile must be a LiquidityProfile, got {type(profile).__name__}")
        if fee_fraction is not None and not np.all(
            np.asarray(nonnegative("fee_fraction", fee_fraction)) == profile.fee_fraction
        ):
            raise LpperpError(
                f"fee_fraction={fee_fraction!r} given with a profile whose fee is "
                f"{profile.fee_fraction}: the profile's fee is charged; leave fee_fraction out"
            )
        liq = _pool_liquidity(pool_liquidity)
        if not (liq.ndim == 0 and np.isposinf(liq)):
            raise LpperpError(
                f"pool_liquidity={pool_liquidity!r} given with a profile: the profile holds the "
                "pool's liquidity; leave pool_liquidity out"
            )
        broadcast_shape("swap_cost", base_amount=x, price=p)
        return _out(execution_cost(profile, p, -x))
    if fee_fraction is None:
        raise LpperpError("fee_fraction is required without a profile (e.g. 0.0005 for 0.05 %)")
    fee = np.asarray(nonnegative("fee_fraction", fee_fraction), dtype=float)
    if np.any(fee >= 1):
        raise LpperpError(f"fee_fraction must be < 1, got {fee_fraction!r}")
    broadcast_shape("swap_cost", base_amount=x, price=p, fee_fraction=fee)
    return _out(fee * np.abs(x) * p + np.asarray(swap_price_impact(x, p, pool_liquidity)))


@renamed(position="lp", eth_price="gas_token_price")
def recentre_cost(
    lp: LPPosition,
    price: Any,
    chain: Chain,
    *,
    reference_price: Any = None,
    swap_fee_fraction: float | None = None,
    pool_liquidity: float = np.inf,
    gas_token_price: Any = None,
    profile: LiquidityProfile | None = None,
) -> float | np.ndarray:
    """Cost in quote units of one recentring at ``price``: gas + swap fee + price impact.

    ``action_cost(chain, "recentre").in_quote(gas_token_price) + swap_cost(x, price, fee, L)`` with
    ``x = recentre_swap_base(lp, price, reference_price)``; ``gas_token_price`` (quote per ETH)
    defaults to ``price`` (base = ETH). ``swap_fee_fraction`` defaults to 0.0005 (the 0.05 % pool). With
    ``profile`` the swap goes through the swap engine at pool price ``price``
    (``swap_cost(x, price, profile=profile)``: the profile's fee on the input amount, its
    liquidity over prices); ``swap_fee_fraction`` and ``pool_liquidity`` are then left out.
    Vectorized over ``price``.

    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> round(recentre_cost(lp, 3000.0, ETHEREUM, reference_price=3000.0), 4)  # gas only
    2.3633
    >>> from lpperp.swap import LiquidityProfile
    >>> prof = LiquidityProfile.concentrated(3300.0, 2e5, 0.0005)
    >>> round(recentre_cost(lp, 3300.0, BASE, reference_price=3000.0, profile=prof), 4)
    4.5105
    """
    p = np.asarray(positive("price", price), dtype=float)
    ethp = (
        p if gas_token_price is None
        else np.asarray(positive("gas_token_price", gas_token_price), dtype=float)
    )
    broadcast_shape("recentre_cost", price=p, gas_token_price=ethp)
    gas = np.asarray(action_cost(chain, "recentre").total_eth) * ethp
    x = recentre_swap_base(lp, p, reference_price)
    if profile is not None:
        swap = swap_cost(x, p, swap_fee_fraction, pool_liquidity, profile=profile)
    else:
        fee = 0.0005 if swap_fee_fraction is None else swap_fee_fraction
        swap = swap_cost(x, p, fee, pool_liquidity)
    return _out(gas + np.asarray(swap))

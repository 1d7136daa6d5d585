"""Where Uniswap v3 lives: chain presets (position manager, factory), quote-token defaults, and
the CREATE2 address of a pool.

Addresses are checksummed (EIP-55) on construction; a bad one is an
:class:`~lpperp._validate.LpperpError` naming the argument.

>>> CHAINS["base"].chain_id, resolve_chain("Arbitrum").name
(8453, 'arbitrum')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lpperp._abi import encode, keccak256, to_checksum_address
from lpperp._rpc import show_value
from lpperp._validate import LpperpError, integer

__all__ = [
    "CHAINS",
    "CHAIN_NAMES",
    "ETH_LIKE",
    "POOL_INIT_CODE_HASH",
    "STABLECOINS",
    "ChainPreset",
    "address_arg",
    "pool_address",
    "resolve_chain",
]


def address_arg(name: str, value: Any) -> str:
    """``value`` as a checksummed address, or an :class:`LpperpError` naming ``name``.

    >>> address_arg("pool", "0x" + "ab" * 20)
    '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
    """
    try:
        return to_checksum_address(value)
    except ValueError:
        raise LpperpError(
            f"{name} must be a 0x-prefixed 40-hex-digit address, got {value!r}"
        ) from None


@dataclass(frozen=True)
class ChainPreset:
    """Where Uniswap v3 lives on one chain.

    Parameters
    ----------
    name : str
        Label used in messages.
    chain_id : int or None
        Expected ``eth_chainId``; None skips the check (a local node, a fork).
    position_manager, factory : str
        NonfungiblePositionManager and UniswapV3Factory addresses.
    source : str
        Where the addresses come from.

    Examples
    --------
    >>> CHAINS["arbitrum"].chain_id
    42161
    >>> local = ChainPreset("anvil", None, "0x" + "11" * 20, "0x" + "22" * 20)
    >>> local.position_manager
    '0x1111111111111111111111111111111111111111'
    """

    name: str
    chain_id: int | None
    position_manager: str
    factory: str
    source: str = "user supplied"

    def __post_init__(self) -> None:
        for field_name in ("position_manager", "factory"):
            object.__setattr__(self, field_name, address_arg(field_name, getattr(self, field_name)))
        if self.chain_id is not None:
            integer("chain_id", self.chain_id, 1)


_V3_SAME_ADDRESS = (
    "Uniswap/v3-periphery deploys.md and docs.uniswap.org/contracts/v3/reference/deployments "
    "(same factory and position manager on Mainnet, Arbitrum, Optimism, Polygon)"
)
CHAINS: dict[str, ChainPreset] = {
    "ethereum": ChainPreset(
        "ethereum", 1,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "arbitrum": ChainPreset(
        "arbitrum", 42161,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "optimism": ChainPreset(
        "optimism", 10,
        "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
        "0x1F98431c8aD98523631AE4a59f267346ea31F984",
        _V3_SAME_ADDRESS,
    ),
    "base": ChainPreset(
        "base", 8453,
        "0x03a520b32C04BF3bEEf7BEb72E919cf822Ed34f1",
        "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
        "docs.uniswap.org/contracts/v3/reference/deployments/base-deployments and "
        "docs.base.org/chain/contracts (Base has its own addresses)",
    ),
}  # fmt: skip
"""Official Uniswap v3 addresses (checked 2026-11 against the sources in each preset)."""

CHAIN_NAMES = {1: "ethereum", 10: "optimism", 137: "polygon", 8453: "base", 42161: "arbitrum",
                31337: "a local anvil/hardhat node"}  # fmt: skip
"""Names of chain ids, for messages."""

STABLECOINS = frozenset(
    {"USDC", "USDC.E", "USDBC", "USDT", "USDT0", "DAI", "USDS", "FRAX", "LUSD", "GHO", "CRVUSD",
     "PYUSD", "USDE", "TUSD", "USDP", "BUSD", "SUSD", "EURC", "USD₮0", "USDT.E", "DOLA", "MIM"}
)  # fmt: skip
"""Symbols (upper case) taken as the quote token by default."""
ETH_LIKE = frozenset({"WETH", "ETH", "WETH.E"})
"""Symbols (upper case) taken as the quote token when no stablecoin is in the pool."""


POOL_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
"""keccak256 of the UniswapV3Pool creation code (v3-periphery ``PoolAddress.sol``)."""


def pool_address(
    factory: str,
    token_a: str,
    token_b: str,
    fee_pips: int,
    init_code_hash: str = POOL_INIT_CODE_HASH,
) -> str:
    """CREATE2 address of the v3 pool for two tokens and a fee (no RPC call needed).

    ``keccak256(0xff ++ factory ++ keccak256(abi.encode(token0, token1, fee)) ++ init_code_hash)``,
    last 20 bytes, with the tokens sorted by address.

    Examples
    --------
    The USDC/WETH 0.05 % pool on Ethereum mainnet:

    >>> pool_address(CHAINS["ethereum"].factory, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    ...              "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 500)
    '0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640'
    """
    a, b = address_arg("token_a", token_a), address_arg("token_b", token_b)
    fee_pips = integer("fee_pips", fee_pips, 0, 2**24 - 1)
    if not (
        isinstance(init_code_hash, str) and re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", init_code_hash)
    ):
        raise LpperpError(
            f"init_code_hash must be 32 bytes as 64 hex digits, got {show_value(init_code_hash)}"
        )
    t0, t1 = sorted((a, b), key=lambda x: int(x, 16))
    salt = keccak256(encode(["address", "address", "uint24"], [t0, t1, fee_pips]))
    body = b"\xff" + bytes.fromhex(address_arg("factory", factory)[2:]) + salt
    body += bytes.fromhex(init_code_hash.removeprefix("0x"))
    return to_checksum_address("0x" + keccak256(body)[12:].hex())


def resolve_chain(chain: str | ChainPreset | None) -> ChainPreset | None:
    """A preset name (any case), a :class:`ChainPreset`, or None, as a preset (or None)."""
    if chain is None or isinstance(chain, ChainPreset):
        return chain
    if isinstance(chain, str) and chain.lower() in CHAINS:
        return CHAINS[chain.lower()]
    raise LpperpError(
        f"chain must be one of {sorted(CHAINS)}, a ChainPreset or None, got {chain!r}"
    )

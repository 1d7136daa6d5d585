"""The notebook entry point: a position from your RPC URL, else from a local node, else a fixed
example, so a notebook always has a position to show.
"""

from __future__ import annotations

import warnings

from lpperp._rpc import ChainError, RpcUnreachableError
from lpperp._validate import LpperpError
from lpperp.chain.pools import PoolState, TokenInfo
from lpperp.chain.positions import OnchainPosition, latest_token_id, read_position
from lpperp.chain.presets import CHAINS, ChainPreset, pool_address
from lpperp.liquidity import amounts_for_burn
from lpperp.position import LPPosition
from lpperp.units import PoolSpec, get_tick_at_sqrt_ratio

__all__ = ["example_position", "load_position"]

_EXAMPLE = {  # illustrative numbers (not read from a chain): $10k over 2700-3300 USDC/WETH
    "token_id": 0,
    "tick_lower": -197310,
    "tick_upper": -195300,
    "liquidity_raw": 1_865_779_381_062_133,
    "sqrt_price_x96": 4_348_536_417_905_725_820_370_944,  # 3012.5 USDC per WETH
    "fees0_raw": 2_100_000_000_000_000,  # 0.0021 WETH
    "fees1_raw": 6_300_000,  # 6.3 USDC
}


def example_position() -> OnchainPosition:
    """A fixed WETH/USDC 0.05 % position in Arbitrum's pool, built from ticks and liquidity.

    Illustrative numbers (about $10,000 over 2700-3300 USDC/WETH, price 3012.5, a few dollars of
    fees), not read from a chain: what ``load_position`` shows when no node is reachable.

    Examples
    --------
    >>> pos = example_position()
    >>> round(pos.price, 2), round(pos.lp.price_lower), round(pos.lp.price_upper)
    (3012.5, 2700, 3301)
    >>> round(pos.value)
    10048
    """
    e = _EXAMPLE
    weth = TokenInfo("0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", "WETH", 18)
    usdc = TokenInfo("0xaf88d065e77c8cC2239327C5EDb3A432268e5831", "USDC", 6)
    spec = PoolSpec("WETH", "USDC", 18, 6, True, 500, 10)
    tick = get_tick_at_sqrt_ratio(e["sqrt_price_x96"])
    state = PoolState(
        address=pool_address(CHAINS["arbitrum"].factory, weth.address, usdc.address, 500),
        chain="example (fixed numbers, not read from a chain)",
        block=0,
        token0=weth,
        token1=usdc,
        fee_pips=500,
        tick_spacing=10,
        sqrt_price_x96=e["sqrt_price_x96"],
        tick=tick,
        liquidity_raw=e["liquidity_raw"],
        fee_growth_global0_x128=0,
        fee_growth_global1_x128=0,
        spec=spec,
    )
    tl, tu, liq = e["tick_lower"], e["tick_upper"], e["liquidity_raw"]
    a0, a1 = amounts_for_burn(e["sqrt_price_x96"], tl, tu, liq, tick)
    return OnchainPosition(
        token_id=e["token_id"],
        owner="",
        pool=state,
        tick_lower=tl,
        tick_upper=tu,
        liquidity_raw=liq,
        fees0_raw=e["fees0_raw"],
        fees1_raw=e["fees1_raw"],
        amounts0_raw=a0,
        amounts1_raw=a1,
        lp=LPPosition.from_ticks(tl, tu, liq, spec),
    )


def load_position(
    rpc_url: str | None = None,
    token_id: int | None = None,
    *,
    chain: str | ChainPreset | None = "arbitrum",
    quote: str | None = None,
    local_url: str = "http://127.0.0.1:8545",
    timeout_s: float = 10.0,
) -> OnchainPosition:
    """Position ``token_id`` from ``rpc_url``; without a URL, from a local node, else the example.

    With ``rpc_url`` errors propagate (you asked for that chain). Without it, a node at
    ``local_url`` is tried with a short timeout: a fork such as ``anvil --fork-url <arbitrum rpc>``
    keeps the chain id, so the preset's addresses work; with no ``token_id`` its newest position is
    shown. If no node answers, or the node is not that chain, or it has no position, the fixed
    :func:`example_position` is returned (with a warning saying why when a node did answer).
    ``pos.pool.chain`` says which one you got.

    Examples
    --------
    >>> load_position(local_url="http://127.0.0.1:9").pool.chain.startswith("example")
    True
    """
    if rpc_url:
        if token_id is None:
            raise LpperpError("token_id is required with rpc_url (the position's NFT id)")
        return read_position(rpc_url, token_id, chain=chain, quote=quote, timeout_s=timeout_s)
    if local_url:
        t = min(timeout_s, 2.0)
        try:
            tid = token_id
            if tid is None:
                tid = latest_token_id(local_url, chain=chain, timeout_s=t)
            if tid is not None:
                return read_position(local_url, tid, chain=chain, quote=quote, timeout_s=t)
            why = "it holds no position"
        except RpcUnreachableError:
            return example_position()  # no local node: the usual case
        except (ChainError, LpperpError) as e:
            why = str(e)
        warnings.warn(
            f"a node answers at {local_url} but was not used ({why}); showing the example position",
            stacklevel=2,
        )
    return example_position()

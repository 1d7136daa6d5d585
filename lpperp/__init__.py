"""lpperp: concentrated-liquidity LP positions as perp margin.

Price is quote per base in human units (USDC per ETH = 3000.0) everywhere; :class:`PoolSpec` alone
converts token order and decimals to on-chain ticks, sqrt prices and raw amounts.
"""

from ._validate import LpperpError
from .position import LPPosition, impermanent_loss_in_range
from .units import (
    USDC_WETH_ETHEREUM,
    WETH_USDC_ARBITRUM,
    WETH_USDC_BASE,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    nearest_usable_tick,
)

__version__ = "0.1.0"

__all__ = [
    "USDC_WETH_ETHEREUM",
    "WETH_USDC_ARBITRUM",
    "WETH_USDC_BASE",
    "LPPosition",
    "LpperpError",
    "PoolSpec",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "impermanent_loss_in_range",
    "nearest_usable_tick",
]

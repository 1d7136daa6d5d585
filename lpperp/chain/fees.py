"""Exact fee math of a position: ``Tick.getFeeGrowthInside`` and the position manager's
``tokensOwed`` update, so :func:`uncollected_fees` matches a static ``collect`` to the wei.

Fee growths are Q128.128 per unit of liquidity and wrap mod 2**256 as in Solidity 0.7; owed
amounts wrap to uint128. Sources: Uniswap/v3-core ``contracts/libraries/Tick.sol``
(``getFeeGrowthInside``) and Uniswap/v3-periphery ``contracts/NonfungiblePositionManager.sol``
(``collect``); checked against the deployed contracts in ``tests/evm/test_differential.py``.
"""

from __future__ import annotations

from lpperp._validate import integer, uint
from lpperp.liquidity import mul_div
from lpperp.units import MAX_TICK, MIN_TICK, Q128

__all__ = ["fee_growth_inside", "uncollected_fees"]

_U256 = 1 << 256
_U128 = 1 << 128


def fee_growth_inside(
    tick_current: int,
    tick_lower: int,
    tick_upper: int,
    fee_growth_global_x128: int,
    lower_outside_x128: int,
    upper_outside_x128: int,
) -> int:
    """Fee growth per unit of liquidity inside ``[tick_lower, tick_upper)``, Q128.128, mod 2**256.

    ``below = outside_lower`` if ``tick_current >= tick_lower`` else ``global - outside_lower``;
    ``above = outside_upper`` if ``tick_current < tick_upper`` else ``global - outside_upper``;
    ``inside = global - below - above`` (all wrapping, as ``Tick.getFeeGrowthInside``).

    Examples
    --------
    >>> fee_growth_inside(0, -60, 60, 1000, 100, 300)
    600
    >>> fee_growth_inside(100, -60, 60, 1000, 100, 300)   # above the range: global - outside
    200
    """
    tick_current = integer("tick_current", tick_current, MIN_TICK - 1, MAX_TICK)
    tick_lower = integer("tick_lower", tick_lower, MIN_TICK, MAX_TICK)
    tick_upper = integer("tick_upper", tick_upper, MIN_TICK, MAX_TICK)
    fee_growth_global_x128 = uint("fee_growth_global_x128", fee_growth_global_x128, 256)
    lower_outside_x128 = uint("lower_outside_x128", lower_outside_x128, 256)
    upper_outside_x128 = uint("upper_outside_x128", upper_outside_x128, 256)
    below = (
        lower_outside_x128
        if tick_current >= tick_lower
        else fee_growth_global_x128 - lower_outside_x128
    )
    above = (
        upper_outside_x128
        if tick_current < tick_upper
        else fee_growth_global_x128 - upper_outside_x128
    )
    return (fee_growth_global_x128 - below - above) % _U256


def uncollected_fees(
    liquidity: int, fee_growth_inside_x128: int, fee_growth_inside_last_x128: int, tokens_owed: int
) -> int:
    """Raw amount one token's ``collect`` would pay: ``owed + floor(dG * L / 2**128)`` (uint128).

    ``dG = inside - inside_last`` wraps mod 2**256, as in the position manager; the sum wraps to
    uint128 as Solidity 0.7 does.

    Examples
    --------
    A swap of 2 WETH through a 0.3 % pool whose only liquidity is this position: the fee is
    6e15 wei, and floor rounding of the fee growth pays one wei less (notes/evm-oracle):

    >>> L = 10**21
    >>> dg = 6 * 10**15 * 2**128 // L      # what the pool added to feeGrowthGlobal
    >>> uncollected_fees(L, dg, 0, 0)
    5999999999999999
    """
    uint("liquidity", liquidity, 128)
    uint("fee_growth_inside_x128", fee_growth_inside_x128, 256)
    uint("fee_growth_inside_last_x128", fee_growth_inside_last_x128, 256)
    uint("tokens_owed", tokens_owed, 128)
    delta = (fee_growth_inside_x128 - fee_growth_inside_last_x128) % _U256
    return (tokens_owed + mul_div(delta, liquidity, Q128) % _U128) % _U128

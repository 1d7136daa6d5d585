"""lpperp: concentrated-liquidity LP positions as perp margin.

Price is quote per base in human units (USDC per ETH = 3000.0) everywhere; :class:`PoolSpec` alone
converts token order and decimals to on-chain ticks, sqrt prices and raw amounts. Values are in
quote units, time in years, rates per year. Bad input raises :class:`LpperpError` (a ValueError).

Layers (each imports only from those before it): units -> liquidity -> position -> perp -> venues
-> collateral -> margin -> liquidation -> costs -> processes/risk -> simulate. ``lpperp.chain``
(JSON-RPC) and ``lpperp.viz`` (plotly, ipywidgets) are imported on demand, never here.
"""

from ._validate import LpperpError
from .collateral import (
    REVERT_LEND_ARBITRUM_WETH_USDC,
    RISKMETRICS_LAMBDA,
    CollateralModel,
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
    ewma_volatility,
)
from .costs import (
    ARBITRUM,
    BASE,
    CHAINS,
    ETHEREUM,
    EXAMPLE_FEE_APR,
    OPTIMISM,
    action_cost,
    break_even_frequency,
    get_chain,
    optimal_frequency,
    rebalancing_economics,
    recentre_cost,
)
from .liquidation import (
    LiquidationResult,
    boundaries_after,
    boundary_map,
    health_map,
    liquidation_boundaries,
    solve_boundaries,
)
from .margin import (
    CrossAccount,
    IsolatedAccount,
    LiquidationOutcome,
    ModeComparison,
    isolated_vs_cross,
)
from .perp import MarginRules, PerpPosition, hourly_to_yearly_rate
from .position import LPPosition, impermanent_loss_in_range
from .prices import PriceSeries, load_prices, sample_prices
from .processes import GBM, BlockBootstrap, MertonJumpDiffusion, sample_paths
from .risk import (
    LiquidationRisk,
    band_exit_probability,
    first_passage_probability,
    liquidation_probability,
    safe_band,
)
from .simulate import (
    Policy,
    Scenario,
    affordable_interval_years,
    backtest,
    compare_strategies,
    run_sweep,
    simulate,
    stress_test,
)
from .units import (
    USDC_WETH_ETHEREUM,
    WETH_USDC_ARBITRUM,
    WETH_USDC_BASE,
    PoolSpec,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    nearest_usable_tick,
)
from .venues import VENUES, get_venue

__version__ = "0.1.0"

__all__ = [
    "ARBITRUM",
    "BASE",
    "CHAINS",
    "ETHEREUM",
    "EXAMPLE_FEE_APR",
    "GBM",
    "OPTIMISM",
    "REVERT_LEND_ARBITRUM_WETH_USDC",
    "RISKMETRICS_LAMBDA",
    "USDC_WETH_ETHEREUM",
    "VENUES",
    "WETH_USDC_ARBITRUM",
    "WETH_USDC_BASE",
    "BlockBootstrap",
    "CollateralModel",
    "CrossAccount",
    "FunctionFactor",
    "IsolatedAccount",
    "LPPosition",
    "LiquidationOutcome",
    "LiquidationResult",
    "LiquidationRisk",
    "LpperpError",
    "MarginRules",
    "MertonJumpDiffusion",
    "ModeComparison",
    "PerpPosition",
    "Policy",
    "PoolSpec",
    "PriceSeries",
    "RangeAwareFactor",
    "Scenario",
    "StaticFactor",
    "TokenMinFactor",
    "VolatilityScaledFactor",
    "action_cost",
    "affordable_interval_years",
    "backtest",
    "band_exit_probability",
    "boundaries_after",
    "boundary_map",
    "break_even_frequency",
    "compare_strategies",
    "ewma_volatility",
    "first_passage_probability",
    "get_chain",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "get_venue",
    "health_map",
    "hourly_to_yearly_rate",
    "impermanent_loss_in_range",
    "isolated_vs_cross",
    "liquidation_boundaries",
    "liquidation_probability",
    "load_prices",
    "nearest_usable_tick",
    "optimal_frequency",
    "rebalancing_economics",
    "recentre_cost",
    "run_sweep",
    "safe_band",
    "sample_paths",
    "sample_prices",
    "simulate",
    "solve_boundaries",
    "stress_test",
]

"""lpperp: concentrated-liquidity LP positions as perp margin.

Price is quote per base in human units (USDC per ETH = 3000.0) everywhere; :class:`PoolSpec` alone
converts token order and decimals to on-chain ticks, sqrt prices and raw amounts. Values are in
quote units, time in years, rates per year. Bad input raises :class:`LpperpError` (a ValueError).

Layers (each imports only from those before it): units -> liquidity -> swap -> position -> perp
-> venues -> settlement -> oracle -> collateral -> boundary -> margin -> liquidation -> costs
-> oracle_risk, manipulation -> rebalancing -> processes/risk -> simulate -> strategies.
``lpperp.chain`` (JSON-RPC) and ``lpperp.viz`` (plotly, ipywidgets) are imported on demand, never
here.
"""

from ._validate import LpperpError
from .boundary import BoundaryProblem
from .collateral import (
    ARCADIA_FEE_CAP,
    FEES_AT_PAR,
    REVERT_LEND_ARBITRUM_WETH_USDC,
    RISKMETRICS_LAMBDA,
    CollateralModel,
    FactorSchedule,
    FeeRule,
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
    arcadia_capped_fees,
    ewma_volatility,
    gmx_min_collateral_factor,
)
from .liquidation import (
    LiquidationComparison,
    LiquidationResult,
    boundaries_after,
    boundary_map,
    compare_liquidations,
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
from .oracle import (
    CHAINLINK_FEEDS,
    DRIFT_GUARD,
    GMX_GUARD,
    REVERT_LEND_ARBITRUM_GUARD,
    ChainlinkFeed,
    GuardResult,
    OracleGuard,
    OracleReading,
    PullOracle,
    Spot,
    TwapOracle,
    consult_mean_tick,
    observe_tick_cumulatives,
)
from .perp import MarginRules, PerpPosition, hourly_to_yearly_rate
from .position import LPPosition, impermanent_loss_in_range
from .settlement import LiquidationSettlement, settle_liquidation
from .swap import (
    LiquidityProfile,
    PoolState,
    SwapError,
    compute_swap_step,
    execution_cost,
    float_swap,
    swap_exact,
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
from .venues import MECHANICS, VENUES, LiquidationMechanics, get_mechanics, get_venue, mechanics_for

__version__ = "0.1.0"

# The time layer (costs, rebalancing, price data, processes, risk, simulation) loads on first use
# (PEP 562), so `import lpperp` stays close to `import numpy, scipy.special`.
_LAZY = {
    "ConstantFunding": "processes",
    "OUFunding": "processes",
    "load_funding_rates": "prices",
    "FundingSeries": "prices",
    "hedging_strategies": "strategies",
    "HYPERLIQUID_TAKER_FEE_FRACTION": "simulate",
    "liquidate_on_oracle": "oracle_risk",
    "OracleLiquidation": "oracle_risk",
    "replay_crash_day": "oracle_risk",
    "CrashReplay": "oracle_risk",
    "manipulation_table": "manipulation",
    "manipulation_cost": "manipulation",
    "price_move_cost": "manipulation",
    "ManipulationTable": "manipulation",
    "ARBITRUM": "costs",
    "BASE": "costs",
    "CHAINS": "costs",
    "ETHEREUM": "costs",
    "EXAMPLE_FEE_APR": "costs",
    "OPTIMISM": "costs",
    "action_cost": "costs",
    "break_even_frequency": "rebalancing",
    "break_even_volatility": "rebalancing",
    "compounded_yield": "rebalancing",
    "frequency_search": "rebalancing",
    "FrequencySearch": "rebalancing",
    "get_chain": "costs",
    "optimal_frequency": "rebalancing",
    "rebalancing_economics": "rebalancing",
    "recentre_cost": "costs",
    "PriceSeries": "prices",
    "load_prices": "prices",
    "sample_prices": "prices",
    "GBM": "processes",
    "BlockBootstrap": "processes",
    "MertonJumpDiffusion": "processes",
    "sample_paths": "processes",
    "LiquidationRisk": "risk",
    "band_exit_probability": "risk",
    "first_passage_probability": "risk",
    "liquidation_probability": "risk",
    "safe_band": "risk",
    "Policy": "simulate",
    "Scenario": "simulate",
    "affordable_interval_years": "simulate",
    "backtest": "simulate",
    "compare_strategies": "strategies",
    "run_sweep": "strategies",
    "stress_test": "strategies",
}


# Submodules reachable as attributes without an explicit import (``lpperp.simulate.simulate``):
# the function ``simulate`` is not re-exported, because Python binds the submodule of the same name
# on the package once it is imported, and ``lpperp.simulate`` must mean one thing.
_SUBMODULES = frozenset(
    {
        "chain", "costs", "manipulation", "oracle_risk", "prices", "processes", "rebalancing",
        "risk", "simulate", "strategies",
    }
)


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name in _SUBMODULES:
        return import_module(f"lpperp.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lpperp' has no attribute {name!r}")
    value = getattr(import_module(f"lpperp.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ARBITRUM",
    "ARCADIA_FEE_CAP",
    "BASE",
    "CHAINLINK_FEEDS",
    "CHAINS",
    "DRIFT_GUARD",
    "ETHEREUM",
    "EXAMPLE_FEE_APR",
    "FEES_AT_PAR",
    "GBM",
    "GMX_GUARD",
    "HYPERLIQUID_TAKER_FEE_FRACTION",
    "MECHANICS",
    "OPTIMISM",
    "REVERT_LEND_ARBITRUM_GUARD",
    "REVERT_LEND_ARBITRUM_WETH_USDC",
    "RISKMETRICS_LAMBDA",
    "USDC_WETH_ETHEREUM",
    "VENUES",
    "WETH_USDC_ARBITRUM",
    "WETH_USDC_BASE",
    "BlockBootstrap",
    "BoundaryProblem",
    "ChainlinkFeed",
    "CollateralModel",
    "ConstantFunding",
    "CrashReplay",
    "CrossAccount",
    "FactorSchedule",
    "FeeRule",
    "FrequencySearch",
    "FunctionFactor",
    "FundingSeries",
    "GuardResult",
    "IsolatedAccount",
    "LPPosition",
    "LiquidationComparison",
    "LiquidationMechanics",
    "LiquidationOutcome",
    "LiquidationResult",
    "LiquidationRisk",
    "LiquidationSettlement",
    "LiquidityProfile",
    "LpperpError",
    "ManipulationTable",
    "MarginRules",
    "MertonJumpDiffusion",
    "ModeComparison",
    "OUFunding",
    "OracleGuard",
    "OracleLiquidation",
    "OracleReading",
    "PerpPosition",
    "Policy",
    "PoolSpec",
    "PoolState",
    "PriceSeries",
    "PullOracle",
    "RangeAwareFactor",
    "Scenario",
    "Spot",
    "StaticFactor",
    "SwapError",
    "TokenMinFactor",
    "TwapOracle",
    "VolatilityScaledFactor",
    "action_cost",
    "affordable_interval_years",
    "arcadia_capped_fees",
    "backtest",
    "band_exit_probability",
    "boundaries_after",
    "boundary_map",
    "break_even_frequency",
    "break_even_volatility",
    "compare_liquidations",
    "compare_strategies",
    "compounded_yield",
    "compute_swap_step",
    "consult_mean_tick",
    "ewma_volatility",
    "execution_cost",
    "first_passage_probability",
    "float_swap",
    "frequency_search",
    "get_chain",
    "get_mechanics",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "get_venue",
    "gmx_min_collateral_factor",
    "health_map",
    "hedging_strategies",
    "hourly_to_yearly_rate",
    "impermanent_loss_in_range",
    "isolated_vs_cross",
    "liquidate_on_oracle",
    "liquidation_boundaries",
    "liquidation_probability",
    "load_funding_rates",
    "load_prices",
    "manipulation_cost",
    "manipulation_table",
    "mechanics_for",
    "nearest_usable_tick",
    "observe_tick_cumulatives",
    "optimal_frequency",
    "price_move_cost",
    "rebalancing_economics",
    "recentre_cost",
    "replay_crash_day",
    "run_sweep",
    "safe_band",
    "sample_paths",
    "sample_prices",
    "settle_liquidation",
    "solve_boundaries",
    "stress_test",
    "swap_exact",
]

"""Rebalancing economics: what recentring an LP at a calendar frequency costs and earns per year.

Conventions
-----------
``price`` is quote per base in human units, costs and yields in quote units per year where the
name says so, frequencies in rebalances per year, ``sigma`` the annualised volatility of log price
(driftless GBM), ``fee_apr`` the position's fee yield while in range (fraction per year, as
:meth:`lpperp.position.LPPosition.fee_income`). Pool liquidity is human liquidity, as in
:mod:`lpperp.costs`, which prices each recentre (gas, L1 data fee, swap fee and price impact).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ._validate import LpperpError, nonnegative, positive
from .costs import Chain, action_cost, recentre_swap_base, swap_cost
from .position import LPPosition

__all__ = [
    "RebalanceEconomics",
    "break_even_frequency",
    "optimal_frequency",
    "rebalancing_economics",
]




@dataclass(frozen=True)
class RebalanceEconomics:
    """Yearly economics of recentring a position every ``1 / frequency`` years (quote units).

    Arrays over ``frequency_per_year``. ``net_yield_per_year = fee_income_per_year -
    cost_per_year``; ``cost_per_year = frequency * cost_per_rebalance``; ``cost_per_rebalance =
    gas + expected swap fee + expected price impact``.
    """

    chain: str
    value: float
    frequency_per_year: np.ndarray
    gas_cost_per_rebalance: np.ndarray
    swap_cost_per_rebalance: np.ndarray
    cost_per_rebalance: np.ndarray
    cost_per_year: np.ndarray
    time_in_range: np.ndarray
    fee_income_per_year: np.ndarray
    net_yield_per_year: np.ndarray

    @property
    def net_apr(self) -> np.ndarray:
        """Net yield per year as a fraction of the position's value."""
        return self.net_yield_per_year / self.value

    @property
    def fee_kept_fraction(self) -> np.ndarray:
        """Share of the fee income left after costs (negative when costs exceed fees)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.net_yield_per_year / self.fee_income_per_year


_N_TIME = 24
_N_SEG = 24
_U_NODES, _U_WEIGHTS = np.polynomial.legendre.leggauss(_N_TIME)
_G_NODES, _G_WEIGHTS = np.polynomial.legendre.leggauss(_N_SEG)
_Z_TAIL = 10.0


def _normal_nodes(kinks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for ``E[f(Z)]``, ``Z ~ N(0, 1)``, with ``f`` smooth between ``kinks``.

    Gauss-Legendre on each segment of ``[-10, kinks..., 10]`` (sorted, clipped), times the normal
    density: exact to quadrature precision for piecewise-smooth ``f`` (Gauss-Hermite would lose
    two digits at the kinks where the price leaves the range). ``kinks`` has shape ``(..., k)``.
    """
    inner = np.clip(np.sort(kinks, axis=-1), -_Z_TAIL, _Z_TAIL)
    lo = np.full((*kinks.shape[:-1], 1), -_Z_TAIL)
    edges = np.concatenate([lo, inner, -lo], axis=-1)  # (..., k + 2)
    a, b = edges[..., :-1, None], edges[..., 1:, None]  # (..., k + 1, 1)
    z = 0.5 * (b - a) * _G_NODES + 0.5 * (a + b)
    w = 0.5 * (b - a) * _G_WEIGHTS * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    shape = (*kinks.shape[:-1], -1)
    return z.reshape(shape), w.reshape(shape)


def _time_in_range(
    price: float, pa: float, pb: float, sigma: float, dt: np.ndarray
) -> np.ndarray:
    """Mean over ``t in (0, dt]`` of ``Prob(pa <= P_t <= pb)`` under driftless GBM from ``price``.

    ``Prob = Phi(d(pb)) - Phi(d(pa))``, ``d(x) = (ln(x / P) + sigma^2 t / 2) / (sigma sqrt t)``;
    the time average uses ``t = dt u^2`` (smooth in ``u``) and Gauss-Legendre nodes on ``u``.
    """
    u = 0.5 * (_U_NODES + 1.0)  # (n,)
    wu = 0.5 * _U_WEIGHTS
    t = dt[..., None] * u**2  # (..., n)
    sd = sigma * np.sqrt(t)
    d_hi = (np.log(pb / price) + 0.5 * sd**2) / sd
    d_lo = (np.log(pa / price) + 0.5 * sd**2) / sd
    prob = special.ndtr(d_hi) - special.ndtr(d_lo)
    return np.sum(prob * 2.0 * u * wu, axis=-1)


def rebalancing_economics(
    position: LPPosition,
    price: float,
    sigma: float,
    chain: Chain,
    frequency_per_year: Any,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    eth_price: float | None = None,
) -> RebalanceEconomics:
    """Cost, fee income and net yield of recentring ``position`` at a calendar frequency.

    Model (one stationary cycle, repeated): the range is set around ``price`` as given; the price
    follows driftless GBM with volatility ``sigma``; every ``dt = 1 / frequency`` years the
    position is recentred (:func:`lpperp.costs.recentre_swap_base` with ``reference_price = price``).

    - gas per rebalance: ``action_cost(chain, "recentre") * eth_price`` (``eth_price`` defaults to
      ``price``: base = ETH);
    - swap per rebalance: ``E[swap_cost(recentre_swap_base(P_dt))]`` over the lognormal ``P_dt``
      (Gauss-Legendre between the kinks at ``pa``, ``price``, ``pb``, times the normal density);
    - fee income: ``fee_apr * V * time_in_range`` with ``time_in_range`` the expected fraction of
      the cycle spent in range (exact GBM marginal, averaged over the cycle);
    - net yield per year: ``fee income - frequency * cost per rebalance``.

    Impermanent loss / LVR is the same with or without the costs and is not included here.

    >>> from lpperp.costs import ARBITRUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> e = rebalancing_economics(lp, 3000.0, 0.6, ARBITRUM, [12, 52, 365], fee_apr=0.3)
    >>> e.time_in_range.round(3).tolist()
    [0.639, 0.906, 1.0]
    >>> (e.net_yield_per_year > 0).tolist()
    [True, True, True]
    """
    if not isinstance(position, LPPosition):
        raise LpperpError(f"position must be an LPPosition, got {type(position).__name__}")
    if not isinstance(chain, Chain):
        raise LpperpError(f"chain must be a Chain (see CHAINS), got {type(chain).__name__}")
    p0 = positive("price", price, scalar=True)
    sig = positive("sigma", sigma, scalar=True)
    freq = np.atleast_1d(np.asarray(positive("frequency_per_year", frequency_per_year)))
    if freq.size == 0:
        raise LpperpError("frequency_per_year must hold at least one frequency, got an empty array")
    apr = nonnegative("fee_apr", fee_apr, scalar=True)
    ethp = p0 if eth_price is None else positive("eth_price", eth_price, scalar=True)
    pa, pb = position.price_lower, position.price_upper
    if not pa < p0 < pb:
        raise LpperpError(
            f"price must be inside the position's range ({pa}, {pb}) for a recentring cycle that "
            f"starts from the range as set, got {p0}"
        )
    value = float(position.value(p0))
    dt = 1.0 / freq

    gas_quote = float(action_cost(chain, "recentre").total_eth) * ethp
    sd = sig * np.sqrt(dt)[..., None]
    # the swap has kinks where P_dt crosses pa, pb (range exits) and p0 (its sign changes)
    kinks = (np.log(np.array([pa, p0, pb]) / p0) + 0.5 * sd**2) / sd  # (F, 3)
    z, wz = _normal_nodes(kinks)
    p1 = p0 * np.exp(-0.5 * sd**2 + sd * z)  # (F, n)
    x = recentre_swap_base(position, p1, reference_price=p0)
    swap = np.sum(np.asarray(swap_cost(x, p1, swap_fee_fraction, pool_liquidity)) * wz, axis=-1)
    per_rebalance = gas_quote + swap
    cost_year = freq * per_rebalance
    in_range = _time_in_range(p0, pa, pb, sig, dt)
    fees = apr * value * in_range
    return RebalanceEconomics(
        chain=chain.name,
        value=value,
        frequency_per_year=freq,
        gas_cost_per_rebalance=np.full_like(freq, gas_quote),
        swap_cost_per_rebalance=swap,
        cost_per_rebalance=per_rebalance,
        cost_per_year=cost_year,
        time_in_range=in_range,
        fee_income_per_year=fees,
        net_yield_per_year=fees - cost_year,
    )


def _net_yield_curve(
    position: LPPosition,
    price: float,
    sigma: float,
    chain: Chain,
    max_frequency_per_year: float,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray, Callable[[float], float]]:
    """Net yield per year on a log grid of frequencies, and at one frequency given as ``log n``.

    The grid has 241 frequencies from ``1e-2`` per year to ``max_frequency_per_year``; the
    function (for a Brent polish between grid points) evaluates :func:`rebalancing_economics`
    at ``exp(log_n)``. ``kwargs`` are passed to :func:`rebalancing_economics`.
    """
    hi = positive("max_frequency_per_year", max_frequency_per_year, scalar=True)
    grid = np.geomspace(1e-2, hi, 241)
    net = rebalancing_economics(position, price, sigma, chain, grid, **kwargs).net_yield_per_year

    def net_at(log_n: float) -> float:
        e = rebalancing_economics(position, price, sigma, chain, np.exp(log_n), **kwargs)
        return float(e.net_yield_per_year[0])

    return grid, net, net_at


def break_even_frequency(
    position: LPPosition,
    price: float,
    sigma: float,
    chain: Chain,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    eth_price: float | None = None,
    max_frequency_per_year: float = 365.0 * 24 * 12,
) -> float:
    """Highest rebalancing frequency (per year) at which the net yield is still >= 0.

    Rebalancing more often keeps the range around the price (more fee income) but each recentre
    costs gas and a swap; past this frequency the costs erase the yield. Found on a log grid
    from ``1e-2`` per year to ``max_frequency_per_year`` (default every 5 minutes) and polished
    with Brent's method, so ``net_yield_per_year`` there is 0 to ~1e-9 of the position's value.
    ``inf`` if the yield survives the fastest frequency, NaN if it is negative everywhere.

    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> n_l1 = break_even_frequency(lp, 3000.0, 0.6, ETHEREUM, fee_apr=0.3)
    >>> n_l2 = break_even_frequency(lp, 3000.0, 0.6, ARBITRUM, fee_apr=0.3)
    >>> n_l2 > n_l1
    True
    """
    grid, net, net_at = _net_yield_curve(
        position, price, sigma, chain, max_frequency_per_year, fee_apr=fee_apr,
        swap_fee_fraction=swap_fee_fraction, pool_liquidity=pool_liquidity, eth_price=eth_price,
    )
    if np.all(net < 0):
        return float("nan")
    if net[-1] >= 0:
        return float("inf")
    i = int(np.flatnonzero((net[:-1] >= 0) & (net[1:] < 0))[-1])

    from scipy import optimize  # heavy: imported on first use, not with lpperp

    root = optimize.brentq(
        net_at, np.log(grid[i]), np.log(grid[i + 1]), xtol=1e-14, rtol=4 * np.finfo(float).eps
    )
    return float(np.exp(root))


def optimal_frequency(
    position: LPPosition,
    price: float,
    sigma: float,
    chain: Chain,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    eth_price: float | None = None,
    max_frequency_per_year: float = 365.0 * 24 * 12,
) -> float:
    """Rebalancing frequency (per year) that maximises the net yield of
    :func:`rebalancing_economics` (log-grid search, then a bounded Brent polish on ``log n``).

    >>> from dataclasses import replace
    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> mainnet_20_gwei = replace(ETHEREUM, gas_price_gwei=20.0)
    >>> n_l1 = optimal_frequency(lp, 3000.0, 0.6, mainnet_20_gwei, fee_apr=0.3)
    >>> n_l2 = optimal_frequency(lp, 3000.0, 0.6, ARBITRUM, fee_apr=0.3)
    >>> n_l1 < 52 < n_l2  # less than weekly on mainnet at 20 gwei, more on Arbitrum
    True
    """
    grid, net, net_at = _net_yield_curve(
        position, price, sigma, chain, max_frequency_per_year, fee_apr=fee_apr,
        swap_fee_fraction=swap_fee_fraction, pool_liquidity=pool_liquidity, eth_price=eth_price,
    )
    i = int(np.argmax(net))
    lo_i, hi_i = max(i - 1, 0), min(i + 1, grid.size - 1)

    from scipy import optimize

    res = optimize.minimize_scalar(
        lambda log_n: -net_at(log_n), bounds=(np.log(grid[lo_i]), np.log(grid[hi_i])), method="bounded",
        options={"xatol": 1e-10},
    )
    return float(np.exp(res.x))

"""Rebalancing economics: what recentring an LP at a calendar frequency earns, loses and costs a year.

Conventions
-----------
``price`` is quote per base in human units, costs and yields in quote units per year where the
name says so, frequencies in rebalances per year, ``sigma`` the annualised volatility of log price
(driftless GBM), ``fee_apr`` the position's fee yield while in range (fraction per year of the
value it was set up with, as :meth:`lpperp.position.LPPosition.fee_income`). Pool liquidity is
human liquidity, as in :mod:`lpperp.costs`, which prices each recentre (gas, L1 data fee, swap fee
and price impact).

Every yearly figure is ``fees - LVR - costs``: the fees an in-range LP earns, the
loss-versus-rebalancing it pays arbitrageurs over the same time in range (Milionis, Moallemi,
Roughgarden, Zhang, "Automated Market Making and Loss-Versus-Rebalancing", 2022,
https://arxiv.org/abs/2208.06046, read 2026-11-30: instantaneous ``l = sigma^2 P^2 |x'(P)| / 2``,
for a v3 range ``sigma^2 L sqrt(P) / 4`` in range and zero outside), and the cost of recentring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpperp._special import ndtr

from ._validate import (
    LpperpError,
    broadcast_shape,
    cell_budget,
    nonnegative,
    positive,
    renamed,
)
from .costs import Chain, action_cost, recentre_swap_base, swap_cost
from .position import LPPosition

__all__ = [
    "FrequencySearch",
    "RebalanceEconomics",
    "break_even_frequency",
    "break_even_volatility",
    "centre_value_per_liquidity",
    "compounded_yield",
    "frequency_search",
    "optimal_frequency",
    "rebalancing_economics",
]


@dataclass(frozen=True)
class RebalanceEconomics:
    """Yearly economics of recentring a position every ``1 / frequency`` years (quote units).

    Arrays over ``frequency_per_year`` (and ``sigma`` where that is an array too).

    - ``fee_income_per_year = fee_apr * value * time_in_range``;
    - ``lvr_per_year = sigma^2 L sqrt(price) / 4 * lvr_in_range``: the loss-versus-rebalancing
      over the time in range (``lvr_in_range`` is the cycle mean of
      ``E[sqrt(P_t / price) 1{in range}]``, <= ``time_in_range`` up to the drift of ``sqrt P``);
    - ``cost_per_year = frequency * cost_per_rebalance``, ``cost_per_rebalance = gas + expected
      swap fee + expected price impact``;
    - ``net_yield_per_year = fee_income_per_year - lvr_per_year - cost_per_year``.
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
    lvr_per_year: np.ndarray
    lvr_in_range: np.ndarray
    lvr_at_centre_per_year: float | np.ndarray

    @property
    def net_apr(self) -> np.ndarray:
        """Net yield per year (fees - LVR - costs) as a fraction of the position's value."""
        return self.net_yield_per_year / self.value

    @property
    def fee_apr_after_lvr(self) -> np.ndarray:
        """Fees minus LVR per year (before costs) as a fraction of the position's value."""
        return (self.fee_income_per_year - self.lvr_per_year) / self.value

    @property
    def fee_kept_fraction(self) -> np.ndarray:
        """Share of the fee income left after LVR and costs (negative when they exceed the fees)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.net_yield_per_year / self.fee_income_per_year

    @property
    def cost_kept_fraction(self) -> np.ndarray:
        """Share of the fee income left after the costs alone (the old ``fee_kept_fraction``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - self.cost_per_year / self.fee_income_per_year


#: Default budget of one :func:`rebalancing_economics` call in (frequency, volatility) pairs: each
#: pair takes 24 x 24 quadrature nodes; 10,000 pairs take ~0.2 s here, 50,000 took 3.7 s.
MAX_FREQUENCIES = 20_000

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


def _range_moment(
    price: float, pa: float, pb: float, sigma: np.ndarray, dt: np.ndarray, a: float
) -> np.ndarray:
    """Mean over ``t in (0, dt]`` of ``E[(P_t / P)^a 1{pa <= P_t <= pb}]``, driftless GBM from ``P``.

    With ``s = sigma sqrt(t)`` and ``P_t = P exp(-s^2/2 + s Z)``:
    ``E[(P_t/P)^a 1{...}] = exp(a (a - 1) s^2 / 2) (Phi(d_b) - Phi(d_a))``,
    ``d_x = (ln(x / P) + s^2 / 2 - a s^2) / s``. ``a = 0`` is the probability of being in range
    (the time in range), ``a = 1/2`` the in-range mean of ``sqrt(P_t / P)`` that LVR needs
    (``d_x = ln(x / P) / s``, factor ``exp(-s^2 / 8)``). The time average uses ``t = dt u^2``
    (smooth in ``u``) and Gauss-Legendre nodes on ``u``. ``sigma`` and ``dt`` broadcast.
    """
    u = 0.5 * (_U_NODES + 1.0)  # (n,)
    wu = 0.5 * _U_WEIGHTS
    t = np.asarray(dt)[..., None] * u**2  # (..., n)
    sd = np.asarray(sigma)[..., None] * np.sqrt(t)
    shift = 0.5 * sd**2 - a * sd**2
    d_hi = (np.log(pb / price) + shift) / sd
    d_lo = (np.log(pa / price) + shift) / sd
    moment = np.exp(0.5 * a * (a - 1.0) * sd**2) * (ndtr(d_hi) - ndtr(d_lo))
    return np.sum(moment * 2.0 * u * wu, axis=-1)


def _cycle(
    position: LPPosition,
    p0: float,
    sig: np.ndarray,
    freq: np.ndarray,
    apr: Any,
    gas_quote: float,
    swap_fee_fraction: float,
    pool_liquidity: float,
) -> dict[str, np.ndarray]:
    """Every term of one recentring cycle, per year; ``sig``, ``freq`` and ``apr`` broadcast."""
    pa, pb = position.price_lower, position.price_upper
    sig, freq = np.broadcast_arrays(np.asarray(sig, dtype=float), np.asarray(freq, dtype=float))
    dt = 1.0 / freq
    sd = (sig * np.sqrt(dt))[..., None]
    # the swap has kinks where P_dt crosses pa, pb (range exits) and p0 (its sign changes)
    kinks = (np.log(np.array([pa, p0, pb]) / p0) + 0.5 * sd**2) / sd  # (..., 3)
    z, wz = _normal_nodes(kinks)
    p1 = p0 * np.exp(-0.5 * sd**2 + sd * z)  # (..., n)
    x = recentre_swap_base(position, p1, reference_price=p0)
    swap = np.sum(np.asarray(swap_cost(x, p1, swap_fee_fraction, pool_liquidity)) * wz, axis=-1)
    per_rebalance = gas_quote + swap
    in_range = _range_moment(p0, pa, pb, sig, dt, 0.0)
    lvr_in_range = _range_moment(p0, pa, pb, sig, dt, 0.5)
    value = float(position.value(p0))
    lvr_centre = sig**2 * position.liquidity * np.sqrt(p0) / 4.0
    fees = apr * value * in_range
    lvr = lvr_centre * lvr_in_range
    cost_year = freq * per_rebalance
    return {
        "swap": swap, "per_rebalance": per_rebalance, "cost_year": cost_year,
        "in_range": in_range, "lvr_in_range": lvr_in_range, "fees": fees, "lvr": lvr,
        "net": fees - lvr - cost_year,
    }


def _check_cycle_inputs(position: Any, chain: Any, price: Any) -> tuple[float, float, float]:
    if not isinstance(position, LPPosition):
        raise LpperpError(f"lp must be an LPPosition, got {type(position).__name__}")
    if chain is not None and not isinstance(chain, Chain):
        raise LpperpError(f"chain must be a Chain (see CHAINS), got {type(chain).__name__}")
    p0 = positive("price", price, scalar=True)
    pa, pb = position.price_lower, position.price_upper
    if not pa < p0 < pb:
        raise LpperpError(
            f"price must be inside the position's range ({pa}, {pb}) for a recentring cycle that "
            f"starts from the range as set, got {p0}"
        )
    return p0, pa, pb


def _gas_quote(chain: Chain | None, p0: float, gas_token_price: Any) -> float:
    """Gas of one recentre in quote units (0 without a chain); the gas token's price (quote per
    ETH) defaults to ``p0``."""
    ethp = p0 if gas_token_price is None else positive("gas_token_price", gas_token_price,
                                                       scalar=True)
    if chain is None:
        return 0.0
    return float(action_cost(chain, "recentre").total_eth) * ethp


@renamed(position="lp", sigma="sigma_per_year", eth_price="gas_token_price")
def rebalancing_economics(
    lp: LPPosition,
    price: float,
    sigma_per_year: Any,
    chain: Chain,
    frequency_per_year: Any,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    gas_token_price: float | None = None,
    include_lvr: bool = True,
    max_cells: int = MAX_FREQUENCIES,
) -> RebalanceEconomics:
    """Fee income, LVR, cost and net yield of recentring ``lp`` at a calendar frequency.

    Model (one stationary cycle, repeated): the range is set around ``price`` as given; the price
    follows driftless GBM with volatility ``sigma_per_year`` (``sigma`` below); every
    ``dt = 1 / frequency`` years the position is recentred
    (:func:`lpperp.costs.recentre_swap_base` with ``reference_price = price``).
    With ``s_t = sigma sqrt(t)``, ``Phi`` the normal CDF and bars the mean over ``t in (0, dt]``:

    - fee income: ``fee_apr * V * pi``, ``pi = mean_t [Phi(d_b(t)) - Phi(d_a(t))]`` the expected
      fraction of the cycle in range, ``d_x(t) = (ln(x / P) + s_t^2 / 2) / s_t`` (linear in the
      time in range: fees accrue only while in range);
    - LVR: ``E[int_0^dt sigma^2 L sqrt(P_t) / 4 1{pa <= P_t <= pb} dt] / dt
      = sigma^2 L sqrt(P) / 4 * mean_t [exp(-s_t^2 / 8) (Phi(ln(pb/P)/s_t) - Phi(ln(pa/P)/s_t))]``
      (Milionis et al. 2022, https://arxiv.org/abs/2208.06046: the in-range LVR of a v3 range;
      ``E[sqrt(P_t) 1{..}]`` is the lognormal partial moment of order 1/2): it accrues over the
      same time in range as the fees, so it depends on the width and the frequency;
    - gas per rebalance: ``action_cost(chain, "recentre") * gas_token_price`` (quote per ETH;
      defaults to ``price``: base = ETH);
    - swap per rebalance: ``E[swap_cost(recentre_swap_base(P_dt))]`` over the lognormal ``P_dt``
      (Gauss-Legendre between the kinks at ``pa``, ``price``, ``pb``, times the normal density);
    - net yield per year: ``fee income - LVR - frequency * cost per rebalance``.

    ``sigma_per_year`` may be an array broadcasting with ``frequency_per_year``; more than
    ``max_cells`` (frequency, volatility) pairs (default 20,000) are refused up front.
    ``include_lvr=False``
    leaves the LVR out of ``net_yield_per_year`` (``lvr_per_year`` is still reported): the
    question "how often do the chain's costs allow recentring", not "does LPing pay".

    >>> from lpperp.costs import ARBITRUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> e = rebalancing_economics(lp, 3000.0, 0.6, ARBITRUM, [12, 52, 365], fee_apr=0.3)
    >>> e.time_in_range.round(3).tolist()
    [0.639, 0.906, 1.0]
    >>> [round(float(x)) for x in (e.fee_income_per_year[2], e.lvr_per_year[2], e.cost_per_year[2])]
    [2999, 9195, 265]
    >>> round(float(e.net_yield_per_year[2]))   # daily recentring at 60 % vol loses money
    -6461
    """
    position = lp
    p0, _, _ = _check_cycle_inputs(position, chain, price)
    if chain is None:
        raise LpperpError("chain must be a Chain (see CHAINS), got NoneType")
    sig = np.asarray(positive("sigma_per_year", sigma_per_year), dtype=float)
    freq = np.atleast_1d(np.asarray(positive("frequency_per_year", frequency_per_year)))
    if freq.size == 0:
        raise LpperpError("frequency_per_year must hold at least one frequency, got an empty array")
    cells = broadcast_shape("rebalancing_economics", sigma_per_year=sig, frequency_per_year=freq)
    cell_budget(cells, max_cells=max_cells,
                what="rebalancing_economics (frequencies x volatilities)")
    apr = nonnegative("fee_apr", fee_apr, scalar=True)
    gas_quote = _gas_quote(chain, p0, gas_token_price)
    if not isinstance(include_lvr, bool):
        raise LpperpError(f"include_lvr must be True or False, got {include_lvr!r}")
    c = _cycle(position, p0, sig, freq, apr, gas_quote, swap_fee_fraction, pool_liquidity)
    net = c["net"] if include_lvr else c["fees"] - c["cost_year"]
    freq_b = np.broadcast_to(freq, c["fees"].shape).astype(float)
    lvr_centre = sig**2 * position.liquidity * np.sqrt(p0) / 4.0
    return RebalanceEconomics(
        chain=chain.name,
        value=float(position.value(p0)),
        frequency_per_year=freq_b,
        gas_cost_per_rebalance=np.full_like(freq_b, gas_quote),
        swap_cost_per_rebalance=c["swap"],
        cost_per_rebalance=c["per_rebalance"],
        cost_per_year=c["cost_year"],
        time_in_range=c["in_range"],
        fee_income_per_year=c["fees"],
        net_yield_per_year=net,
        lvr_per_year=c["lvr"],
        lvr_in_range=c["lvr_in_range"],
        lvr_at_centre_per_year=float(lvr_centre) if lvr_centre.ndim == 0 else lvr_centre,
    )


def compounded_yield(
    economics: RebalanceEconomics, *, reinvest_fees: bool = True, years: float = 1.0
) -> np.ndarray:
    """Expected P&L (quote units) over ``years`` when the position's size follows its own P&L.

    :class:`RebalanceEconomics` gives first-order yearly figures on the starting value ``V_0``.
    Over many cycles the position shrinks with LVR and the swap (both paid out of it) and, when
    the collected fees are reinvested at each recentre, grows with the fees. Per cycle, as
    fractions of the position's value: fees ``a = fee_income_per_year / (V_0 n)``, losses
    ``b = (lvr_per_year + n swap_cost_per_rebalance) / (V_0 n)``; gas ``g`` (quote) per recentre
    is paid from outside the position. Fees, LVR and the swap scale with the position's size
    (exactly so for ``pool_liquidity=inf``; price impact grows faster in a thin pool), and
    ``E[V_{k+1} | V_k]`` is linear in ``V_k``, so with ``N = n * years`` cycles:

    - ``reinvest_fees=True``: ``V_{k+1} = V_k q - g``, ``q = 1 + a - b``; P&L ``= V_N - V_0 =
      (V_0 - g / (q - 1)) (q^N - 1)``;
    - ``reinvest_fees=False``: fees are kept as cash: ``V_{k+1} = V_k p - g``, ``p = 1 - b``; P&L
      ``= V_N - V_0 + a sum_{k<N} V_k``.

    With one cycle (``N = 1``) both equal ``net_yield_per_year``. The LVR is always counted.

    >>> from lpperp.costs import ARBITRUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> e = rebalancing_economics(lp, 3000.0, 0.25, ARBITRUM, [52], fee_apr=0.3)
    >>> round(float(e.net_yield_per_year[0]))            # first order, on the starting value
    1361
    >>> [round(float(compounded_yield(e, reinvest_fees=k)[0])) for k in (True, False)]
    [1457, 1257]
    """
    if not isinstance(economics, RebalanceEconomics):
        raise LpperpError(
            f"economics must be a RebalanceEconomics, got {type(economics).__name__}"
        )
    if not isinstance(reinvest_fees, bool):
        raise LpperpError(f"reinvest_fees must be True or False, got {reinvest_fees!r}")
    yrs = nonnegative("years", years, scalar=True)
    e = economics
    v0, n = e.value, e.frequency_per_year
    a = e.fee_income_per_year / (v0 * n)
    b = (e.lvr_per_year + n * e.swap_cost_per_rebalance) / (v0 * n)
    g = e.gas_cost_per_rebalance
    cycles = n * yrs

    def growth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(1 + x)^N - 1``, ``geo = sum_{k<N} (1 + x)^k = ((1 + x)^N - 1) / x`` and
        ``inner = sum_{k<N} sum_{j<k} (1 + x)^j = (geo - N) / x``.

        Where ``|N x| < 1e-4`` both quotients cancel (0/0 at ``x = 0``; ``geo - N`` loses
        ``1 / |N x|`` of its digits) and take their binomial series instead,
        ``geo = sum_m C(N, m+1) x^m``, ``inner = sum_m C(N, m+2) x^m``, to ``x^2`` (the next term
        is below ``(N x)^3 / 24 < 5e-14`` relative)."""
        up = np.expm1(cycles * np.log1p(x))
        small = np.abs(cycles * x) < 1e-4
        safe = np.where(small, 1.0, x)
        c2 = cycles * (cycles - 1) / 2
        c3 = c2 * (cycles - 2) / 3
        c4 = c3 * (cycles - 3) / 4
        geo = np.where(small, cycles + c2 * x + c3 * x * x, up / safe)
        inner = np.where(small, c2 + c3 * x + c4 * x * x, (geo - cycles) / safe)
        return up, geo, inner

    if reinvest_fees:
        up, geo, _ = growth(a - b)
        return v0 * up - g * geo  # V_N - V_0 with V_N = V_0 q^N - g sum_{k<N} q^k
    up, geo, inner = growth(-b)
    # sum_{k<N} V_k = V_0 sum p^k - g sum_{k<N} sum_{j<k} p^j = V_0 geo - g inner
    return v0 * up - g * geo + a * (v0 * geo - g * inner)


def centre_value_per_liquidity(width_pct: Any) -> Any:
    """Value of a ``±width_pct`` range at its centre per unit ``L sqrt(P)`` (dimensionless).

    ``V = L sqrt(P) c(w)``, ``c(w) = 2 - sqrt(1 - w) - 1 / sqrt(1 + w)``, ``w = width_pct / 100``,
    for the range ``[P (1 - w), P (1 + w)]`` (:meth:`LPPosition.from_deposit` with ``width_pct``):
    ``V = L (2 sqrt(P) - sqrt(pa) - P / sqrt(pb))``.

    >>> round(centre_value_per_liquidity(10), 6)
    0.097854
    """
    w = np.asarray(positive("width_pct", width_pct), dtype=float) / 100.0
    if np.any(w >= 1.0):
        raise LpperpError(f"width_pct must be in (0, 100), got {width_pct!r}")
    c = 2.0 - np.sqrt(1.0 - w) - 1.0 / np.sqrt(1.0 + w)
    return float(c) if c.ndim == 0 else c


def break_even_volatility(
    width_pct: Any,
    fee_apr: Any,
    *,
    frequency_per_year: Any = None,
    chain: Chain | None = None,
    price: float = 3000.0,
    deposit: float = 10_000.0,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    gas_token_price: float | None = None,
) -> Any:
    """Volatility (per year) at which the fees just pay the LVR (and, for a policy, the costs).

    Without ``frequency_per_year``: a position at the centre of its ``±width_pct`` range, where
    ``fee_apr V = sigma^2 L sqrt(P) / 4`` with ``V = L sqrt(P) c(w)``
    (:func:`centre_value_per_liquidity`), so

        ``sigma* = 2 sqrt(fee_apr c(w))``, ``c(w) = 2 - sqrt(1 - w) - 1 / sqrt(1 + w)``

    (independent of price and deposit; vectorized over ``width_pct`` and ``fee_apr``). Above it
    the in-range LP loses to arbitrageurs more than it earns (Milionis et al. 2022,
    https://arxiv.org/abs/2208.06046).

    With ``frequency_per_year`` (a recentring policy): the cycle-averaged ``sigma`` where
    :func:`rebalancing_economics`'s ``net_yield_per_year = fees - LVR - costs`` is zero for
    ``deposit`` over ``±width_pct`` around ``price`` recentred at that frequency on ``chain``
    (``chain=None``: no gas, only the swap at ``swap_fee_fraction`` and ``pool_liquidity``).
    Vectorized bracketing on ``log sigma`` in ``[1e-3, 10]`` over the broadcast of ``fee_apr``
    and ``frequency_per_year`` (one search per distinct ``width_pct``): one or two policies take
    9 passes of 47 points, each narrowing the bracket 48-fold, to ``7e-15`` in ``log sigma`` (more
    policies take fewer points per pass, down to bisection); NaN where the costs exceed
    the fees even at zero volatility, ``inf`` where the yield survives ``sigma = 10``.

    >>> [round(float(s), 4) for s in break_even_volatility([5, 10, 20], 0.3)]
    [0.2435, 0.3427, 0.4809]
    >>> from lpperp.costs import ARBITRUM
    >>> daily = break_even_volatility(10, 0.3, frequency_per_year=365, chain=ARBITRUM)
    >>> bool(daily < break_even_volatility(10, 0.3))    # costs lower the break-even
    True
    """
    c = np.asarray(centre_value_per_liquidity(width_pct))
    apr = np.asarray(nonnegative("fee_apr", fee_apr), dtype=float)
    if frequency_per_year is None:
        if chain is not None:
            raise LpperpError("chain prices a recentring policy: give frequency_per_year with it")
        out = 2.0 * np.sqrt(apr * c)
        return float(out) if out.ndim == 0 else out
    freq = np.asarray(positive("frequency_per_year", frequency_per_year), dtype=float)
    p0 = positive("price", price, scalar=True)
    dep = positive("deposit", deposit, scalar=True)
    if chain is not None and not isinstance(chain, Chain):
        raise LpperpError(f"chain must be a Chain (see CHAINS), got {type(chain).__name__}")
    gas_quote = _gas_quote(chain, p0, gas_token_price)
    w_all = np.asarray(width_pct, dtype=float)
    w_b, apr_b, f_b = np.broadcast_arrays(w_all, apr, freq)
    out = np.empty(w_b.shape)
    # chunks of policies keep each evaluation (the two ends, or a pass of
    # _volatility_root's m x k <= max(94, m) points) within MAX_FREQUENCIES (volatility, policy) pairs
    rows = MAX_FREQUENCIES // 2
    for w in np.unique(w_b):  # one position per width; everything else vectorized
        sel = w_b == w
        lp = LPPosition.from_deposit(dep, p0, width_pct=float(w))
        a_all, f_all = apr_b[sel][:, None], f_b[sel][:, None]
        parts = []
        for k in range(0, a_all.shape[0], rows):
            a_s, f_s = a_all[k:k + rows], f_all[k:k + rows]

            def net(log_sig: np.ndarray, rows: np.ndarray, lp=lp, a_s=a_s,
                    f_s=f_s) -> np.ndarray:
                return _cycle(lp, p0, np.exp(log_sig), f_s[rows], a_s[rows], gas_quote,
                              swap_fee_fraction, pool_liquidity)["net"]

            parts.append(_volatility_root(net, a_s.shape[0]))
        out[sel] = np.concatenate(parts)
    return float(out) if out.ndim == 0 else out


#: Points per pass of the vectorized searches (:func:`break_even_volatility` with a policy,
#: :func:`break_even_frequency`, :func:`optimal_frequency`): each pass is ONE vectorized
#: evaluation of the net yield at this many volatilities or frequencies and narrows the bracket
#: 48-fold (a 47-point evaluation costs about as much as a scalar one: the time is overhead).
_SEARCH_POINTS = 47


def _volatility_root(net: Callable[[np.ndarray, np.ndarray], np.ndarray], m: int) -> np.ndarray:
    """Break-even ``sigma`` of ``m`` policies on ``log sigma in [ln 1e-3, ln 10]``.

    ``net(log_sigma, rows)`` takes an ``(r, k)`` array for the ``r`` policies ``rows`` (indices)
    and returns the net yield per year there. NaN where ``net(ln 1e-3) < 0``, ``inf`` where
    ``net(ln 10) >= 0`` (those policies are not searched); otherwise passes of ``k`` interior
    points of the bracket ``[lo, hi]`` (``net(lo) >= 0 > net(hi)``) keep the first negative point
    as ``hi`` and the one before as ``lo`` (the bisection's invariant) until the bracket is
    ``9.2 / 48^9 = 7e-15`` in ``log sigma``; the midpoint is returned.
    ``k = min(47, max(1, 94 // r))``: 47 points (9 passes) for one or two policies, where one
    evaluation's fixed overhead dominates, fewer for more (``k = 1`` is bisection, 51 passes), so
    an array of policies costs no more than a bisection would.
    """
    ends = net(np.broadcast_to([np.log(1e-3), np.log(10.0)], (m, 2)), np.arange(m))
    n_lo, n_hi = ends[:, 0], ends[:, 1]
    out = np.where(n_lo < 0, np.nan, np.inf)
    rows = np.flatnonzero((n_lo >= 0) & (n_hi < 0))
    r = rows.size
    if r == 0:
        return out
    k = min(_SEARCH_POINTS, max(1, 2 * _SEARCH_POINTS // r))
    passes = int(np.ceil(9 * np.log(_SEARCH_POINTS + 1) / np.log(k + 1) - 1e-9))
    lo = np.full(r, np.log(1e-3))
    hi = np.full(r, np.log(10.0))
    first, last = np.zeros((r, 1), dtype=bool), np.ones((r, 1), dtype=bool)
    for _ in range(passes):
        x = np.linspace(lo, hi, k + 2, axis=-1)  # (r, k + 2)
        neg = np.concatenate([first, net(x[:, 1:-1], rows) < 0, last], axis=-1)
        j = np.argmax(neg, axis=-1)[:, None]  # the first negative: net(x[j - 1]) >= 0
        lo = np.take_along_axis(x, j - 1, axis=-1)[:, 0]
        hi = np.take_along_axis(x, j, axis=-1)[:, 0]
    out[rows] = np.exp(0.5 * (lo + hi))
    return out


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
    function (for the vectorized refinement between grid points) evaluates
    :func:`rebalancing_economics` at ``exp(log_n)`` (an array of ``log n``).
    ``kwargs`` are passed to :func:`rebalancing_economics`.
    """
    hi = positive("max_frequency_per_year", max_frequency_per_year, scalar=True)
    # one frequency is searched per call: one price, one volatility (an array is named here, not
    # left to a broadcast error between the grid and the volatilities)
    sigma = positive("sigma_per_year", sigma, scalar=True)
    positive("price", price, scalar=True)
    if hi <= 1e-2:
        raise LpperpError(
            f"max_frequency_per_year must be > 0.01 (the slowest frequency searched), got {hi}"
        )
    grid = np.geomspace(1e-2, hi, 241)
    net = rebalancing_economics(position, price, sigma, chain, grid, **kwargs).net_yield_per_year

    def net_at(log_n: np.ndarray) -> np.ndarray:
        e = rebalancing_economics(position, price, sigma, chain, np.exp(log_n), **kwargs)
        return e.net_yield_per_year

    return grid, net, net_at


def _break_even_on(grid: np.ndarray, net: np.ndarray,
                   net_at: Callable[[np.ndarray], np.ndarray]) -> float:
    """Highest frequency of ``grid`` (per year) where ``net`` changes sign from >= 0 to < 0,
    refined by 7 passes of :data:`_SEARCH_POINTS` evaluations of ``net_at`` (on ``log n``), each
    keeping the last sign change of the bracket: a grid cell of ``0.067`` in ``log n`` ends at
    ``0.067 / 48^7 = 1.1e-13``; the midpoint is returned. NaN if ``net < 0`` everywhere, ``inf``
    if ``net >= 0`` at the fastest frequency."""
    if np.all(net < 0):
        return float("nan")
    if net[-1] >= 0:
        return float("inf")
    i = int(np.flatnonzero((net[:-1] >= 0) & (net[1:] < 0))[-1])
    lo, hi = float(np.log(grid[i])), float(np.log(grid[i + 1]))
    for _ in range(7):
        x = np.linspace(lo, hi, _SEARCH_POINTS + 2)
        ok = np.concatenate(([True], np.asarray(net_at(x[1:-1])) >= 0, [False]))
        j = int(np.flatnonzero(ok[:-1] & ~ok[1:])[-1])
        lo, hi = float(x[j]), float(x[j + 1])
    return float(np.exp(0.5 * (lo + hi)))


def _optimum_on(grid: np.ndarray, net: np.ndarray,
                net_at: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float]:
    """Frequency (per year) of the largest ``net`` on ``grid`` and the net yield there, refined by
    4 zoom passes of :data:`_SEARCH_POINTS` evaluations of ``net_at`` on ``log n`` around the
    best point (the bracket shrinks ~23-fold per pass, to ``2.6e-7`` in ``log n``: the net yield
    is flat there, its value agrees with the exact maximum to ~1e-12 relative)."""
    i = int(np.argmax(net))
    lo, hi = float(np.log(grid[max(i - 1, 0)])), float(np.log(grid[min(i + 1, grid.size - 1)]))
    best, best_net = float(np.log(grid[i])), float(net[i])
    for _ in range(4):
        x = np.linspace(lo, hi, _SEARCH_POINTS)
        y = np.asarray(net_at(x))
        k = int(np.argmax(y))
        best, best_net = float(x[k]), float(y[k])
        lo, hi = float(x[max(k - 1, 0)]), float(x[min(k + 1, x.size - 1)])
    return float(np.exp(best)), best_net


@renamed(position="lp", sigma="sigma_per_year", eth_price="gas_token_price")
def break_even_frequency(
    lp: LPPosition,
    price: float,
    sigma_per_year: float,
    chain: Chain,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    gas_token_price: float | None = None,
    max_frequency_per_year: float = 365.0 * 24 * 12,
    include_lvr: bool = True,
) -> float:
    """Highest rebalancing frequency (per year) at which the net yield (fees - LVR - costs) is >= 0.

    Rebalancing more often keeps the range around the price (more fee income, and more LVR, both
    over the time in range) but each recentre costs gas and a swap; past this frequency the costs
    erase what the fees leave after LVR. Found on a log grid from ``1e-2`` per year to
    ``max_frequency_per_year`` (default every 5 minutes) and refined by 7 vectorized passes of 47
    frequencies (to ``1e-13`` in ``log n``), so ``net_yield_per_year`` there is 0 to ~1e-9 of the
    position's value. ``inf`` if the yield
    survives the fastest frequency, NaN if it is negative everywhere (always the case above
    :func:`break_even_volatility`, where LVR exceeds the fees while in range).
    ``include_lvr=False``: fees - costs only (see :func:`rebalancing_economics`).

    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> n_l1 = break_even_frequency(lp, 3000.0, 0.25, ETHEREUM, fee_apr=0.3)
    >>> n_l2 = break_even_frequency(lp, 3000.0, 0.25, ARBITRUM, fee_apr=0.3)
    >>> bool(n_l2 > n_l1)
    True
    >>> import math; math.isnan(break_even_frequency(lp, 3000.0, 0.6, ARBITRUM, fee_apr=0.3))
    True
    """
    grid, net, net_at = _net_yield_curve(
        lp, price, sigma_per_year, chain, max_frequency_per_year, fee_apr=fee_apr,
        swap_fee_fraction=swap_fee_fraction, pool_liquidity=pool_liquidity,
        gas_token_price=gas_token_price, include_lvr=include_lvr,
    )
    return _break_even_on(grid, net, net_at)


@renamed(position="lp", sigma="sigma_per_year", eth_price="gas_token_price")
def optimal_frequency(
    lp: LPPosition,
    price: float,
    sigma_per_year: float,
    chain: Chain,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    gas_token_price: float | None = None,
    max_frequency_per_year: float = 365.0 * 24 * 12,
    include_lvr: bool = True,
) -> float:
    """Rebalancing frequency (per year) that maximises the net yield (fees - LVR - costs) of
    :func:`rebalancing_economics` (log-grid search, then 4 vectorized zoom passes of 47 frequencies
    on ``log n``: located to ~3e-7 relative, where the net yield is flat to ~1e-12).

    Above :func:`break_even_volatility` every in-range hour loses money, so the best is the
    slowest frequency searched (``~1e-2`` per year: do not keep the range around the price).
    ``include_lvr=False``: the frequency that maximises fees - costs.

    >>> from dataclasses import replace
    >>> from lpperp.costs import ARBITRUM, ETHEREUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> mainnet_20_gwei = replace(ETHEREUM, gas_price_gwei=20.0)
    >>> n_l1 = optimal_frequency(lp, 3000.0, 0.25, mainnet_20_gwei, fee_apr=0.3)
    >>> n_l2 = optimal_frequency(lp, 3000.0, 0.25, ARBITRUM, fee_apr=0.3)
    >>> bool(n_l1 < 12 < n_l2)  # less than monthly on mainnet at 20 gwei, more on Arbitrum
    True
    """
    grid, net, net_at = _net_yield_curve(
        lp, price, sigma_per_year, chain, max_frequency_per_year, fee_apr=fee_apr,
        swap_fee_fraction=swap_fee_fraction, pool_liquidity=pool_liquidity,
        gas_token_price=gas_token_price, include_lvr=include_lvr,
    )
    return _optimum_on(grid, net, net_at)[0]


@dataclass(frozen=True)
class FrequencySearch:
    """Break-even and optimal recentring frequency of one position, volatility and chain.

    ``break_even_frequency_per_year`` is :func:`break_even_frequency`'s answer (NaN, ``inf``
    included), ``optimal_frequency_per_year`` :func:`optimal_frequency`'s,
    ``optimal_net_yield_per_year`` the net yield (fees - LVR - costs, quote units per year) at
    that optimum and ``value`` the position's value at the price (quote units).
    """

    break_even_frequency_per_year: float
    optimal_frequency_per_year: float
    optimal_net_yield_per_year: float
    value: float

    @property
    def optimal_net_apr(self) -> float:
        """Net yield per year at the optimum as a fraction of the position's value."""
        return self.optimal_net_yield_per_year / self.value


def frequency_search(
    lp: LPPosition,
    price: float,
    sigma_per_year: float,
    chain: Chain,
    *,
    fee_apr: float,
    swap_fee_fraction: float = 0.0005,
    pool_liquidity: float = np.inf,
    gas_token_price: float | None = None,
    max_frequency_per_year: float = 365.0 * 24 * 12,
    include_lvr: bool = True,
) -> FrequencySearch:
    """:func:`break_even_frequency` and :func:`optimal_frequency` from one search grid.

    The same searches as the two functions (arguments and units as theirs) sharing the 241-point
    log grid of the net yield ``fees - LVR - frequency * cost per rebalance`` (one
    :func:`rebalancing_economics` call instead of two), and the net yield at the optimum from the
    last refinement pass (no extra call): what an explorer redraws on each move.

    >>> from lpperp.costs import ARBITRUM
    >>> lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=10)
    >>> f = frequency_search(lp, 3000.0, 0.25, ARBITRUM, fee_apr=0.3)
    >>> f.break_even_frequency_per_year == break_even_frequency(lp, 3000.0, 0.25, ARBITRUM,
    ...                                                         fee_apr=0.3)
    True
    >>> f.optimal_frequency_per_year == optimal_frequency(lp, 3000.0, 0.25, ARBITRUM, fee_apr=0.3)
    True
    >>> bool(f.optimal_net_apr > 0)
    True
    """
    grid, net, net_at = _net_yield_curve(
        lp, price, sigma_per_year, chain, max_frequency_per_year, fee_apr=fee_apr,
        swap_fee_fraction=swap_fee_fraction, pool_liquidity=pool_liquidity,
        gas_token_price=gas_token_price, include_lvr=include_lvr,
    )
    opt, best = _optimum_on(grid, net, net_at)
    return FrequencySearch(
        break_even_frequency_per_year=_break_even_on(grid, net, net_at),
        optimal_frequency_per_year=opt,
        optimal_net_yield_per_year=best,
        value=float(lp.value(float(price))),
    )

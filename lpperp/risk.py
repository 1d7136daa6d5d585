"""Liquidation probability for fixed boundaries: GBM first passage in closed form, and Monte Carlo.

An account whose liquidation prices do not move (fixed collateral factor, no fees or funding
accruing) is liquidated the first time the price leaves its safe band ``(lower, upper)``. Under GBM
the probability has a closed form: one barrier by the reflection principle, two barriers by the
method of images (a fast-converging series). For any process, :func:`liquidation_probability`
estimates it by Monte Carlo over bounded chunks of paths.

Conventions
-----------
- Prices quote per base; ``lower`` / ``upper`` are liquidation prices (``None`` or ``0`` / ``inf``:
  no boundary on that side); ``sigma_per_year`` annualised volatility of log price,
  ``mu_per_year`` the price growth rate (``E[P_t] = P_0 e^{mu t}``; the log drift is
  ``nu = mu - sigma^2 / 2``); ``tau_years`` the horizon.
- Monitoring: liquidation engines check (nearly) continuously, a daily simulation only at its grid
  points, which misses crossings between them. ``monitoring="discrete"`` checks the grid as is;
  ``"bgk"`` moves the boundaries toward the price by ``exp(beta sigma sqrt(dt))``,
  ``beta = -zeta(1/2) / sqrt(2 pi) = 0.5826`` (Broadie, Glasserman & Kou 1997, *Math. Finance* 7:
  a discretely monitored barrier at ``H`` prices like a continuous one at ``H e^{+-beta sigma
  sqrt(dt)}``), estimating continuous monitoring; ``"bridge"`` multiplies the Brownian-bridge
  probabilities of not crossing between grid points, ``exp(-2 d_i d_{i+1} / (sigma^2 dt))`` (exact for
  GBM). Conversely the analytic functions take ``dt_years`` to price *discrete* monitoring by the
  same shift, away from the price.
- Confidence intervals: Wilson score interval for hit/no-hit estimates, normal interval for the
  bridge estimator (a mean of probabilities).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from lpperp._results import html_table
from lpperp._special import erf, erfcx, ndtr, ndtri
from lpperp._validate import (
    MAX_PATH_STEPS,
    LpperpError,
    broadcast_shape,
    finite,
    fraction,
    integer,
    nonnegative,
    one_of,
    positive,
)
from lpperp._validate import (
    scalar_or_array as _out,
)
from lpperp.processes import (
    PriceProcess,
    check_process,
    cumsum_time,
    iter_increments,
    n_chunks,
    path_step_budget,
    progress_bar,
)

__all__ = [
    "BGK_BETA",
    "LiquidationRisk",
    "band_exit_probability",
    "bgk_shift",
    "first_passage_probability",
    "liquidation_probability",
    "safe_band",
    "wilson_interval",
]

#: ``-zeta(1/2) / sqrt(2 pi)``: the Broadie-Glasserman-Kou continuity-correction constant.
BGK_BETA = 0.5825971579390107

Monitoring = Literal["discrete", "bgk", "bridge"]


def bgk_shift(
    barrier: Any, price: Any, sigma_per_year: Any, dt_years: Any, toward_price: bool = False
) -> Any:
    """Move a barrier by ``exp(beta sigma sqrt(dt))`` away from (or toward) ``price``.

    Away: the continuous barrier equivalent to a discrete one (``H e^{-beta sigma sqrt dt}`` below
    the price, ``H e^{+...}`` above). Toward: the discrete barrier that mimics a continuous one.
    A barrier exactly at the price counts as above it (below means ``H < price``).

    >>> round(bgk_shift(2400.0, 3000.0, 0.8, 1 / 365), 2)      # daily checks: 2400 acts like 2342
    2342.16
    >>> round(bgk_shift(2400.0, 3000.0, 0.8, 1 / 365, toward_price=True), 2)
    2459.27
    """
    h = np.asarray(positive("barrier", barrier), dtype=float)
    try:
        p = None if isinstance(price, (str, bytes, bool)) or price is None else np.asarray(
            price, dtype=float)
    except (TypeError, ValueError):
        p = None
    if p is None or np.isnan(p).any() or (p < 0).any():
        raise LpperpError(
            f"price must be a number >= 0 (inf allowed: it only says which side), got {price!r}"
        )
    sig = np.asarray(nonnegative("sigma_per_year", sigma_per_year), dtype=float)
    dt = np.asarray(positive("dt_years", dt_years), dtype=float)
    broadcast_shape("bgk_shift", barrier=h, price=p, sigma_per_year=sig, dt_years=dt)
    below = h < p
    with np.errstate(over="ignore"):  # a shift past floats: the barrier goes to 0 or inf
        k = np.exp(BGK_BETA * sig * np.sqrt(dt))
    away = np.where(below, 1.0 / k, k)
    return _out(h * (1.0 / away if toward_price else away))


def _scaled_mass(
    log_k: Any, hi: Any, lo: Any, tail_hi: Any = None, tail_lo: Any = None
) -> np.ndarray:
    """``e^{log_k} (Phi(hi) - Phi(lo))`` for ``hi >= lo`` without overflow or cancellation.

    The images series multiplies huge exponentials by tiny normal masses (strong drift, small
    volatility). With both ends in one tail the mass is a difference of ``e^{log_k} Phi(x) =
    e^{log_k - x^2/2} R(x)``, ``R(x) = e^{x^2/2} Phi(x) = erfcx(-x / sqrt 2) / 2`` for ``x <= 0``
    (bounded by 1/2; the upper tail mirrored, ``Phi(hi) - Phi(lo) = Phi(-lo) - Phi(-hi)``). With
    ``lo < 0 < hi``, ``log_k <= 0`` for every image (the mass straddles the image's centre) and
    the product is formed directly, the mass as ``(erf(hi / sqrt 2) + erf(-lo / sqrt 2)) / 2``: a
    sum of two positive terms, accurate to a few ulps however narrow (``Phi(hi) - Phi(lo)``
    would carry an absolute error of 1e-16).
    ``tail_hi`` / ``tail_lo`` are the exponents ``log_k - hi^2 / 2`` and ``log_k - lo^2 / 2``,
    which a caller computes in closed form where ``log_k`` and ``x^2 / 2`` are both huge (1e15 and
    more: their difference in floats would lose every digit); by default that difference.
    """
    log_k, hi, lo = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (log_k, hi, lo)))
    tail_hi = log_k - 0.5 * hi * hi if tail_hi is None else tail_hi
    tail_lo = log_k - 0.5 * lo * lo if tail_lo is None else tail_lo
    with np.errstate(over="ignore", invalid="ignore"):
        at_hi = np.exp(tail_hi) * erfcx(np.abs(hi) * _SQRT_HALF) / 2  # e^{log_k} Phi(-|hi|)
        at_lo = np.exp(tail_lo) * erfcx(np.abs(lo) * _SQRT_HALF) / 2
        # lo = 0 goes through the upper tail: 1/2 - Phi(-hi), not Phi(hi) - 1/2 (which rounds
        # Phi(hi) near 1)
        middle = np.exp(log_k) * (erf(hi * _SQRT_HALF) + erf(-lo * _SQRT_HALF)) / 2
    return np.where(lo >= 0, at_lo - at_hi, np.where(hi <= 0, at_hi - at_lo, middle))


_SQRT_HALF = math.sqrt(0.5)


def _drift(mu: Any, sig: Any, t: Any) -> tuple:
    """``(s, c, g)``: ``s = sigma sqrt(tau)``, the log drift over the horizon in standard
    deviations ``c = nu tau / s = (mu / sigma) sqrt(tau) - s / 2`` and ``g = nu / sigma^2 =
    (mu / sigma) / sigma - 1/2``, without ``sigma^2`` (which overflows past sigma = 1.3e154 and
    underflows below 1.5e-154)."""
    s = sig * np.sqrt(t)
    r = mu / sig
    return s, r * np.sqrt(t) - 0.5 * s, r / sig - 0.5


def _norm_args(price: Any, sigma: Any, tau: Any, mu: Any) -> tuple:
    p = np.asarray(positive("price", price), dtype=float)
    sig = np.asarray(positive("sigma_per_year", sigma), dtype=float)
    t = np.asarray(nonnegative("tau_years", tau), dtype=float)
    mu_arr = np.asarray(finite("mu_per_year", mu), dtype=float)
    broadcast_shape("the drift", sigma_per_year=sig, mu_per_year=mu_arr)
    return p, sig, t, mu_arr


def first_passage_probability(
    price: Any,
    barrier: Any,
    sigma_per_year: Any,
    tau_years: Any,
    mu_per_year: Any = 0.0,
    *,
    dt_years: float | None = None,
) -> Any:
    """Probability that GBM started at ``price`` touches ``barrier`` within ``tau_years``.

    With ``x = ln(P/P_0)``, ``b = ln(H/P_0)``, ``nu = mu - sigma^2/2``, ``s = sigma sqrt(tau)``
    (reflection principle, e.g. Shreve, *Stochastic Calculus for Finance II*, 7.2):

    - barrier below (``b < 0``): ``Phi((b - nu tau)/s) + e^{2 nu b / sigma^2} Phi((b + nu tau)/s)``;
    - barrier above (``b > 0``): ``Phi((nu tau - b)/s) + e^{2 nu b / sigma^2} Phi((-b - nu tau)/s)``;
    - ``b = 0``: 1.

    ``dt_years`` given: discrete monitoring at that spacing, by the BGK shift of the barrier away
    from the price. Vectorized over every argument. Evaluated in standard deviations without
    ``sigma^2`` (any finite volatility: 1e200 touches a barrier above with probability ``P0 / H``),
    the second term as ``e^{-d^2/2} e^{x^2/2} Phi(x)`` (``d``, ``x`` the two arguments: ``2 nu b /
    sigma^2 = (x^2 - d^2) / 2``), exact where both are 1e15 and more (strong drift, small volatility).

    >>> round(first_passage_probability(3000.0, 2400.0, 0.8, 30 / 365), 4)
    0.3684
    >>> round(first_passage_probability(3000.0, 2400.0, 0.8, 30 / 365, dt_years=1 / 365), 4)
    0.3163
    """
    p, sig, t, mu = _norm_args(price, sigma_per_year, tau_years, mu_per_year)
    h = np.asarray(positive("barrier", barrier), dtype=float)
    broadcast_shape("first_passage_probability", price=p, barrier=h, sigma_per_year=sig,
                    tau_years=t, mu_per_year=mu)
    if dt_years is not None:
        with np.errstate(over="ignore"):
            h = np.asarray(bgk_shift(h, p, sig, positive("dt_years", dt_years, scalar=True)))
    with np.errstate(divide="ignore", over="ignore"):
        b = np.log(h / p)
    side = np.where(b < 0, 1.0, -1.0)  # mirror an upper barrier into a lower one: x -> -x
    bb = side * b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s, c, g = _drift(mu, sig, t)
        u = bb / s
        cc = side * c
        d = u - cc
        # Phi(d) + e^{K} Phi(x), x = u + cc, K = 2 nu b / sigma^2 = (x^2 - d^2) / 2: the second
        # term as e^{-d^2/2} R(x) (a volatility so small that K and x^2 / 2 are 1e15 and more
        # would leave their difference to rounding); e^K itself only where x > 0, where the
        # drift points away (K < 0): as -|K|, a K of +inf (drift toward the barrier past
        # 1.8e308 sigma^2) stays out of the tails' arithmetic
        k = -np.abs(2 * bb * side * g)
        prob = ndtr(d) + _scaled_mass(k, u + cc, -np.inf, -0.5 * d * d, -np.inf)
        # NaN: both the barrier and the drift infinitely many standard deviations away (a
        # volatility below 1e-144): the deterministic path, touched iff nu tau passes b, and
        # 1/2 if it ends on b (the limit of Phi(d) as d -> 0, as for a small volatility)
        x = side * mu * t
        prob = np.where(np.isnan(prob), 0.5 * (x <= bb) + 0.5 * (x < bb), prob)
    prob = np.where(t == 0, 0.0, prob)
    # a BGK shift so large (dt_years of 1e12) that the barrier went to 0 or inf: never touched
    prob = np.where(np.isfinite(b), prob, 0.0)
    return _out(np.clip(np.where(b == 0, 1.0, prob), 0.0, 1.0))


def _inf_as_one(x: Any, back: bool = False) -> Any:
    """``x`` with +inf entries replaced by 1.0 (``back``: the mask of them); other values as given
    (strings, NaN, ... are left for the check to name)."""
    if isinstance(x, (str, bytes, bool, np.bool_)):
        return False if back else x
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return False if back else x
    if np.asarray(x).dtype.kind in "US":  # numbers as text ["3600"]: left for the check to name
        return False if back else x
    mask = np.isposinf(arr)
    if back:
        return mask
    return np.where(mask, 1.0, arr) if mask.any() else x


def _bounds(lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(0.0 if lower is None else nonnegative("lower", lower), dtype=float)
    hi = np.asarray(np.inf if upper is None else positive("upper", _inf_as_one(upper)), dtype=float)
    if upper is not None:  # +inf means no upper boundary, as documented
        hi = np.where(np.asarray(_inf_as_one(upper, back=True)), np.inf, hi)
    broadcast_shape("the band", lower=lo, upper=hi)
    if np.any(lo >= hi):
        raise LpperpError(f"lower must be < upper, got lower={lower!r}, upper={upper!r}")
    return lo, hi


def _image_mass(p: int, q: int, a: Any, b: Any, s: Any, c: Any, g: Any) -> np.ndarray:
    """One term of the images series: ``e^{2 m nu / sigma^2} [Phi((b - 2m)/s - c) - Phi((a - 2m)/s
    - c)]`` for the image ``m = p b - q a`` (``p = q = n``: ``m = n w``; ``p = n + 1, q = n``:
    ``m = b + n w``), ``c = nu tau / s``, ``g = nu / sigma^2``.

    Every difference of ``a < 0 < b`` is formed as a sum of two same-signed terms (``b - m = (1 -
    p) b + q a``, ...), so none cancels; the tail exponents are ``2 m nu / sigma^2 - z^2 / 2 = 2 (m
    / s) ((y - m) / s) - (y / s - c)^2 / 2`` at ``y = b, a`` (``z`` the argument at ``y``): the
    image's Gaussian factor (``m (y - m) <= 0`` on the band) plus the free path's, both ``<= 0``,
    never the difference of two huge numbers.
    """
    m = p * b - q * a
    return _scaled_mass(
        2 * m * g,
        ((1 - 2 * p) * b + 2 * q * a) / s - c,
        ((1 + 2 * q) * a - 2 * p * b) / s - c,
        2 * (m / s) * (((1 - p) * b + q * a) / s) - 0.5 * (b / s - c) ** 2,
        2 * (m / s) * (((1 + q) * a - p * b) / s) - 0.5 * (a / s - c) ** 2,
    )


#: Most image terms a caller may ask for (``|n| <= n_terms``): the automatic choice is at most 92
#: (neglected terms < 1e-16); 1000 terms cost ~0.2 s on scalars here, more only slows the sum.
MAX_TERMS = 1000
_S_OVER_W_MAX = 10.0  # sigma sqrt(tau) / log band width beyond which a band is left surely


def band_exit_probability(
    price: Any,
    lower: Any,
    upper: Any,
    sigma_per_year: Any,
    tau_years: Any,
    mu_per_year: Any = 0.0,
    *,
    dt_years: float | None = None,
    n_terms: int | None = None,
) -> Any:
    """Probability that GBM leaves ``(lower, upper)`` within ``tau_years`` (either side).

    Method of images for Brownian motion with drift ``nu`` killed at ``a = ln(L/P_0) < 0`` and
    ``b = ln(U/P_0) > 0``, width ``w = b - a``, ``s = sigma sqrt(tau)`` (Borodin & Salminen,
    *Handbook of Brownian Motion*, 1.15.8; Kunitomo & Ikeda 1992):

    ``survival = sum_n  e^{2 n w nu / sigma^2} [Phi((b - 2nw - nu tau)/s) - Phi((a - 2nw - nu tau)/s)]``
    ``        -  e^{2 (b + n w) nu / sigma^2} [Phi((-b - 2nw - nu tau)/s) - Phi((a - 2b - 2nw - nu tau)/s)]``

    summed over ``|n| <= N`` (terms fall like ``exp(-2 n^2 w^2 / s^2)``; ``N`` chosen so the
    neglected terms are below 1e-16 unless ``n_terms`` is given). ``lower = 0`` / ``None`` or
    ``upper = inf`` / ``None`` reduce to :func:`first_passage_probability`. A price outside the
    band gives 1. The result is kept within ``max(P_lo, P_hi) <= P <= min(1, P_lo + P_hi)``
    (:func:`first_passage_probability` at each barrier), bounds the exact series meets and its
    float sum can miss by rounding. ``dt_years``: discrete monitoring by the BGK shift. Each term
    is evaluated by :func:`_image_mass` without ``sigma^2`` and without differences of huge
    exponents, so any finite volatility and drift give the probability (the exponents ``2 n w nu
    / sigma^2`` of 1e15 and more, or ``sigma^2`` under- or overflowing, once cost every digit).

    >>> round(band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 30 / 365), 4)
    0.7396
    >>> round(band_exit_probability(3000.0, 2400.0, None, 0.8, 30 / 365), 4)  # one barrier
    0.3684
    """
    p, sig, t, mu = _norm_args(price, sigma_per_year, tau_years, mu_per_year)
    lo, hi = _bounds(lower, upper)
    broadcast_shape("band_exit_probability", price=p, lower=lo, upper=hi, sigma_per_year=sig,
                    tau_years=t, mu_per_year=mu)
    if dt_years is not None:
        dt = positive("dt_years", dt_years, scalar=True)
        lo = np.where(
            lo > 0, np.asarray(bgk_shift(np.where(lo > 0, lo, 1.0), np.inf, sig, dt)), 0.0
        )
        hi = np.where(
            np.isfinite(hi),
            np.asarray(bgk_shift(np.where(np.isfinite(hi), hi, 1.0), 0.0, sig, dt)),
            np.inf,
        )
    one_lo = first_passage_probability(p, np.where(lo > 0, lo, 1.0), sig, t, mu)
    one_hi = first_passage_probability(p, np.where(np.isfinite(hi), hi, 1.0), sig, t, mu)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.log(np.where(lo > 0, lo, 1.0) / p)
        b = np.log(np.where(np.isfinite(hi), hi, 1.0) / p)
        s, c, g = _drift(mu, sig, t)
        ratio = np.where(b - a > 0, s / (b - a), 0.0)  # inf for s = inf: left surely
        if n_terms is None:
            # s >= 10 w: survival < (4/pi) e^{-pi^2 s^2 / (2 w^2)} e^{w^2 / (2 s^2)} < 1e-213 (first
            # eigenmode; the drift's Girsanov factor is at most e^{w^2 / (2 s^2)}), so the exit
            # probability is 1.0 in floats; capping keeps N <= 92 (was unbounded: a hang)
            n_max = int(np.ceil(np.max(9.0 * np.minimum(ratio, _S_OVER_W_MAX), initial=0.0))) + 2
        else:
            n_max = integer("n_terms", n_terms, 0, MAX_TERMS)
        surv = np.zeros(np.broadcast(p, lo, hi, sig, t, mu).shape)
        for n in range(-n_max, n_max + 1):  # a few terms; each term is vectorized
            surv = surv + _image_mass(n, n, a, b, s, c, g)
            surv = surv - _image_mass(n + 1, n, a, b, s, c, g)
        # the images are NaN only where a standard deviation is below 1e-306 of the band, or
        # the drift is past 1e308 standard deviations (|mu| / sigma or |mu| / sigma^2 beyond the
        # floats): the side away from the drift is never reached then (e^{2 nu a / sigma^2} = 0
        # for |a| >= 1e-16), and the exit is the sum of the one-barrier parts
        two = np.where(np.isnan(surv), one_lo + one_hi, 1.0 - surv)
        # leaving the band is at least as likely as hitting either barrier alone and at most as
        # likely as hitting one or the other (exact for the series; after rounding, 13 % of
        # random bands fell a few ulp outside these bounds, and either way outside [0, 1])
        two = np.clip(two, np.maximum(one_lo, one_hi), np.minimum(one_lo + one_hi, 1.0))
        if n_terms is None:
            two = np.where(ratio >= _S_OVER_W_MAX, 1.0, two)
    inside = (p > lo) & (p < hi)
    out = np.where(
        lo > 0, np.where(np.isfinite(hi), two, one_lo), np.where(np.isfinite(hi), one_hi, 0.0)
    )
    return _out(np.where(inside, out, 1.0))


def safe_band(account: Any, price: float) -> tuple[float, float | None]:
    """The fixed liquidation boundaries ``(lower, upper)`` of a :mod:`lpperp.margin` account at
    ``price``, for the functions here (``upper`` is ``None`` without an upper boundary).

    The band is the account's safe interval containing ``price`` (exact, from
    :mod:`lpperp.liquidation`); fixed boundaries assume no fees, funding or collateral-factor changes
    along the way (:mod:`lpperp.simulate` runs those).

    >>> from lpperp.simulate import Scenario, initial_account
    >>> acct = initial_account(Scenario(width_pct=20, leverage=2.0))   # LP + 2x short
    >>> lo, hi = safe_band(acct, 3000.0)
    >>> lo, round(hi, 2)
    (0.0, 4168.42)
    >>> round(band_exit_probability(3000.0, lo, hi, 0.8, 30 / 365), 4)
    0.128
    """
    if not callable(getattr(account, "liquidation", None)):
        r = repr(account)
        raise LpperpError(
            "account must be a margin account (lpperp.IsolatedAccount or CrossAccount, e.g. "
            f"simulate.initial_account(scenario)), got {type(account).__name__} "
            f"{r if len(r) < 60 else r[:57] + '...'}"
        )
    price = positive("price", price, scalar=True)
    res = account.liquidation(price)
    lo = float(np.asarray(res.safe_lower).reshape(-1)[0])
    hi = float(np.asarray(res.safe_upper).reshape(-1)[0])
    if not (np.isfinite(lo) and lo < float(price) < hi):
        raise LpperpError(f"the account is liquidatable at price={price}: no safe band")
    return lo, (hi if math.isfinite(hi) else None)


def wilson_interval(hits: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion ``hits / n``.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``, ``z = Phi^{-1}((1+c)/2)``; sound
    near 0 and 1 where the normal interval is not.

    >>> [round(x, 4) for x in wilson_interval(0, 1000)]
    [0.0, 0.0038]
    """
    c = fraction("confidence", confidence, closed_low=False, closed_high=False, scalar=True)
    z = float(ndtri(0.5 + c / 2))
    h = np.asarray(nonnegative("hits", hits), dtype=float)
    n_given = n
    n = np.asarray(positive("n", n), dtype=float)
    broadcast_shape("wilson_interval", hits=h, n=n)
    if np.any(h > n):
        raise LpperpError(
            f"hits must be <= n (a count out of n trials), got hits={hits!r}, n={n_given!r}"
        )
    ph = h / n
    den = 1 + z**2 / n
    mid = (ph + z**2 / (2 * n)) / den
    half = z * np.sqrt(ph * (1 - ph) / n + z**2 / (4 * n**2)) / den
    return _out(np.clip(mid - half, 0, 1)), _out(np.clip(mid + half, 0, 1))


@dataclass(frozen=True, eq=False)
class LiquidationRisk:
    """Monte Carlo liquidation probability over a horizon, with its uncertainty.

    ``cumulative[t]`` is the estimated probability of liquidation by step ``t`` (``cumulative[0] =
    0``, ``cumulative[-1] = probability``); ``probability_lower`` / ``_upper`` split it by the side
    first crossed. ``n_paths`` counts the paths actually run (fewer if interrupted).
    """

    probability: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    probability_lower: float
    probability_upper: float
    cumulative: np.ndarray
    n_paths: int
    n_steps: int
    tau_years: float
    monitoring: str

    @property
    def survival(self) -> float:
        """``1 - probability``."""
        return 1.0 - self.probability

    @property
    def survival_ci(self) -> tuple[float, float]:
        """Confidence interval of the survival probability."""
        return 1.0 - self.ci_high, 1.0 - self.ci_low

    def _repr_html_(self) -> str:
        rows = [
            ("liquidation probability", f"{self.probability:.4f} ± {self.stderr:.4f}"),
            (f"{self.confidence:.0%} interval", f"[{self.ci_low:.4f}, {self.ci_high:.4f}]"),
            ("survival", f"{self.survival:.4f}"),
            ("paths x steps", f"{self.n_paths:,} x {self.n_steps}"),
            ("horizon, days", f"{self.tau_years * 365:g}"),
            ("monitoring", self.monitoring),
        ]
        return html_table(rows)

    def __repr__(self) -> str:
        return (
            f"LiquidationRisk(p={self.probability:.4f} ± {self.stderr:.4f}, "
            f"{self.confidence:.0%} CI [{self.ci_low:.4f}, {self.ci_high:.4f}], "
            f"{self.n_paths} paths x {self.n_steps} steps, {self.monitoring})"
        )


def liquidation_probability(
    process: PriceProcess,
    price: float,
    lower: float | None,
    upper: float | None,
    tau_years: float,
    n_steps: int,
    n_paths: int = 100_000,
    seed: int | np.random.Generator | None = None,
    *,
    monitoring: Monitoring = "bgk",
    confidence: float = 0.95,
    chunk_paths: int | None = None,
    chunk_steps: int | None = None,
    progress: bool = False,
    max_path_steps: int = MAX_PATH_STEPS,
) -> LiquidationRisk:
    """Monte Carlo probability that the price leaves ``(lower, upper)`` within ``tau_years``.

    Paths are generated and checked a chunk at a time (``chunk_paths`` x ``chunk_steps``, memory
    knobs that never change the numbers), carrying each path's log price and first-crossing step, so
    memory stays bounded whatever ``n_paths``. ``monitoring`` as in the module docstring. Ctrl-C
    (``KeyboardInterrupt``) stops after the current chunk and returns the estimate from the paths
    completed so far, with a warning.

    Parameters
    ----------
    process : GBM, MertonJumpDiffusion, BlockBootstrap (see :mod:`lpperp.processes`)
    price : float
        Starting price.
    lower, upper : float or None
        Fixed liquidation prices (``None``: no boundary on that side).
    tau_years, n_steps : float, int
        Horizon and number of monitoring steps (``dt = tau_years / n_steps``).
    n_paths : int
    seed : int, Generator or None
    progress : bool
        Show a ``tqdm.auto`` bar over path chunks (if tqdm is installed).
    max_path_steps : int
        Budget: ``max(n_paths, 256) * n_steps`` above it is refused up front
        (:func:`lpperp.processes.path_step_budget`).

    Examples
    --------
    >>> from lpperp.processes import GBM
    >>> r = liquidation_probability(GBM(0.8), 3000.0, 2400.0, 3600.0, 30 / 365, 30, 40_000, seed=1)
    >>> round(r.probability, 2), round(band_exit_probability(3000.0, 2400.0, 3600.0, 0.8, 30 / 365), 2)
    (0.74, 0.74)
    """
    npaths, ns = path_step_budget(
        n_paths, n_steps, max_path_steps=max_path_steps, what="liquidation_probability"
    )
    check_process(process)
    p0 = positive("price", price, scalar=True)
    lo_arr, hi_arr = _bounds(lower, upper)
    if lo_arr.ndim or hi_arr.ndim:
        raise LpperpError(
            f"lower and upper must be single numbers here (one band per run), got shapes "
            f"{lo_arr.shape} and {hi_arr.shape}"
        )
    lo, hi = float(lo_arr), float(hi_arr)
    if not lo < p0 < hi:
        raise LpperpError(f"price={p0} must lie strictly inside (lower={lower}, upper={upper})")
    tau = positive("tau_years", tau_years, scalar=True)
    one_of("monitoring", monitoring, ("discrete", "bgk", "bridge"))
    conf = fraction("confidence", confidence, closed_low=False, closed_high=False, scalar=True)
    dt = tau / ns
    sig = float(process.diffusion_sigma)
    if monitoring == "bgk":
        lo = float(bgk_shift(lo, p0, sig, dt, toward_price=True)) if lo > 0 else 0.0
        hi = float(bgk_shift(hi, p0, sig, dt, toward_price=True)) if math.isfinite(hi) else hi
    log_lo = math.log(lo / p0) if lo > 0 else -math.inf
    log_hi = math.log(hi / p0)
    bridge = monitoring == "bridge"
    inv_var = 2.0 / (sig**2 * dt) if bridge and sig > 0 else math.inf

    hit_counts = np.zeros(ns + 2)  # by first-crossing step (index ns + 1: never)
    side_counts = np.zeros(2)
    sum_p = sum_p2 = 0.0
    done = 0
    chunks = iter_increments(
        process, tau, ns, npaths, seed, chunk_paths=chunk_paths, chunk_steps=chunk_steps,
        max_path_steps=max_path_steps,
    )
    try:
        for a, b, steps in progress_bar(
            chunks, n_chunks(npaths, chunk_paths), progress, "liquidation MC"
        ):
            m = b - a
            x_prev = np.zeros(m)
            alive = np.ones(m, dtype=bool)
            if bridge:
                surv = np.ones(m)  # probability of no crossing between grid points so far
                mass = np.zeros((2, m))  # probability of a first crossing below / above
                surv_by_step = np.zeros(ns + 1)
                surv_by_step[0] = m
            for t0, x in steps:
                cumsum_time(x, x_prev)
                if bridge:
                    surv_by_step[t0 + 1 : t0 + 1 + x.shape[0]] = _bridge_update(
                        x, x_prev, log_lo, log_hi, inv_var, surv, alive, mass
                    )
                    x_prev = x[-1].copy()
                    continue
                hit = (x.min(axis=0) <= log_lo) | (x.max(axis=0) >= log_hi)
                new = np.flatnonzero(hit & alive)
                if new.size:
                    xs = x[:, new]
                    crossed = (xs <= log_lo) | (xs >= log_hi)
                    first = crossed.argmax(axis=0)
                    np.add.at(hit_counts, t0 + 1 + first, 1.0)
                    below = xs[first, np.arange(new.size)] <= log_lo
                    side_counts += (below.sum(), (~below).sum())
                    alive[new] = False
                x_prev = x[-1].copy()
            if bridge:
                hit_counts[1 : ns + 1] += -np.diff(surv_by_step)
                ended = surv * alive
                sum_p += float((1.0 - ended).sum())
                sum_p2 += float(((1.0 - ended) ** 2).sum())
                side_counts += mass.sum(axis=1)
            done += m
    except KeyboardInterrupt:
        if done == 0:
            raise
        warnings.warn(
            f"interrupted: estimate from the {done} of {npaths} paths completed",
            RuntimeWarning,
            stacklevel=2,
        )
    cum = np.concatenate(([0.0], np.cumsum(hit_counts[1 : ns + 1]))) / done
    if bridge:
        prob = sum_p / done
        var = max(sum_p2 / done - prob**2, 0.0)
        se = math.sqrt(var / done)
        z = float(ndtri(0.5 + conf / 2))
        ci = (max(0.0, prob - z * se), min(1.0, prob + z * se))
        # by side: each step's crossing probability split by the two bridge terms (they sum
        # to the estimate, up to rounding)
        p_lo, p_hi = (float(c / done) for c in side_counts)
        cum[-1] = prob
    else:
        hits = side_counts.sum()
        prob = float(hits / done)
        se = math.sqrt(prob * (1 - prob) / done)
        ci = wilson_interval(hits, done, conf)
        p_lo, p_hi = (float(c / done) for c in side_counts)
    cum.flags.writeable = False
    return LiquidationRisk(
        prob, se, float(ci[0]), float(ci[1]), conf, p_lo, p_hi, cum, done, ns, tau, monitoring
    )


def _bridge_update(
    x: np.ndarray,
    x_prev: np.ndarray,
    log_lo: float,
    log_hi: float,
    inv_var: float,
    surv: np.ndarray,
    alive: np.ndarray,
    mass: np.ndarray,
) -> np.ndarray:
    """Update per-path no-crossing probabilities over one time chunk (and ``mass``, the
    probability of a first crossing below / above, rows 0 / 1); return the sum over paths of the
    survival probability after each step (for the cumulative curve).

    Per step, ``p_side = exp(-2 d_prev d_cur / (sigma^2 dt))`` (1 when the grid point is past the
    boundary), ``q = 1 - p_lo - p_hi``; the step's crossing ``surv (1 - q)`` goes to each side in
    proportion to its ``p``: ``surv p_lo / max(tot, 1)`` below (``= lost p_lo / tot``,
    ``tot = p_lo + p_hi``, with no division by zero where both are 0)."""
    out = np.empty(x.shape[0])
    prev = x_prev
    zero = np.zeros_like(surv)
    for i in range(x.shape[0]):  # steps of one chunk (vectorized over paths)
        cur = x[i]
        alive &= (cur > log_lo) & (cur < log_hi)
        p_lo, p_hi = zero, zero
        with np.errstate(over="ignore", invalid="ignore"):
            if math.isfinite(log_lo):
                d = (prev - log_lo) * (cur - log_lo)
                p_lo = np.where(d > 0, np.exp(-inv_var * np.maximum(d, 0.0)), 1.0)
            if math.isfinite(log_hi):
                d = (log_hi - prev) * (log_hi - cur)
                p_hi = np.where(d > 0, np.exp(-inv_var * np.maximum(d, 0.0)), 1.0)
        tot = p_lo + p_hi
        lost = surv * np.minimum(tot, 1.0)
        lost_lo = surv * p_lo / np.maximum(tot, 1.0)
        mass[0] += lost_lo
        mass[1] += lost - lost_lo
        surv -= lost
        out[i] = float((surv * alive).sum())
        prev = cur
    return out

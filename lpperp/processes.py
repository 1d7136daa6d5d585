"""Price and funding processes for Monte Carlo: GBM, Merton jump-diffusion, block bootstrap of a
series; constant and mean-reverting (Ornstein-Uhlenbeck) funding rates.

Conventions
-----------
- Prices are quote per base (human units); ``sigma_per_year`` is the annualised volatility of log
  price; ``mu_per_year`` the expected growth rate of the *price*: ``E[P_t] = P_0 exp(mu t)`` for GBM
  and Merton (so ``mu = 0`` is a martingale); time in years, ``dt_years = tau_years / n_steps``.
- Randomness: ``seed`` is an ``int``, a ``numpy.random.Generator`` or ``None``. Paths are generated
  in fixed blocks of :data:`PATH_BLOCK` paths; block ``k`` draws from its own streams, seeded by
  ``SeedSequence(root_entropy, spawn_key=(k, stream))``, and consumes them step after step (time-major,
  one row of the block per step). Hence the numbers depend only on ``(seed, n_paths, n_steps)``: the
  same seed gives the same paths whatever ``chunk_paths`` or ``chunk_steps`` (memory knobs), in
  process or on a cluster.
- Funding processes (:class:`ConstantFunding`, :class:`OUFunding`) are stepped along the price
  paths by the simulator (``start`` / ``step``, arrays over paths); rates are per year, signed as
  the venues sign them (positive: longs pay shorts), paid every ``interval_hours``.
- Arrays of paths are **time-major** ``(n_steps + 1, n_paths)`` when chunks are iterated (the natural
  layout for stepping through time) and path-major ``(n_paths, n_steps + 1)`` from
  :func:`sample_paths` (the natural layout for plotting one path).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lpperp._validate import (
    MAX_PATH_STEPS,
    LpperpError,
    finite,
    integer,
    nonnegative,
    path_budget,
    positive,
)

__all__ = [
    "FUNDING_CAP_PER_HOUR_HYPERLIQUID",
    "GBM",
    "HOURS_PER_YEAR",
    "MAX_ARRAY_VALUES",
    "PATH_BLOCK",
    "STEP_COST_PATHS",
    "BlockBootstrap",
    "ConstantFunding",
    "FundingProcess",
    "MertonJumpDiffusion",
    "OUFunding",
    "PriceProcess",
    "as_funding",
    "counter_key",
    "counter_normals",
    "iter_increments",
    "iter_paths",
    "path_step_budget",
    "root_seed",
    "sample_funding",
    "sample_paths",
]

#: Paths per random-number block: the unit of reproducibility (see the module docstring).
PATH_BLOCK = 4096
#: Default paths per chunk (a multiple of PATH_BLOCK) and steps per chunk: 2 MB per float array,
#: small enough to stay in cache while a chunk is swept several times (measured fastest here).
DEFAULT_CHUNK_PATHS = PATH_BLOCK
DEFAULT_CHUNK_STEPS = 64

Sampler = Callable[[int], np.ndarray]


class PriceProcess(Protocol):
    """What the simulators need from a process.

    ``sampler(streams, n_paths, dt_years)`` returns a function ``draw(n) -> (n, n_paths)`` log
    increments for the next ``n`` steps; ``diffusion_sigma`` is the volatility used by the
    discrete-monitoring correction.
    """

    def sampler(self, ss: np.random.SeedSequence, n_paths: int, dt_years: float) -> Sampler: ...

    @property
    def diffusion_sigma(self) -> float: ...


def _sampler_args(ss: Any, n_paths: Any, dt_years: Any) -> tuple[int, float]:
    """Check a ``sampler(ss, n_paths, dt_years)`` call (the simulators pass valid ones)."""
    if not isinstance(ss, np.random.SeedSequence):
        raise LpperpError(
            f"ss must be a numpy SeedSequence (root_seed(seed) makes one), got "
            f"{type(ss).__name__} {ss!r}"
        )
    m = integer("n_paths", n_paths, 1, MAX_ARRAY_VALUES)
    return m, positive("dt_years", dt_years, scalar=True)


def root_seed(seed: int | np.random.Generator | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """The root :class:`~numpy.random.SeedSequence` of a run.

    An ``int`` or ``None`` seeds it directly (``None``: fresh OS entropy); a ``Generator`` gives one
    draw of 128 bits of entropy (and advances).

    >>> root_seed(7).entropy
    7
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int.from_bytes(seed.bytes(16), "little"))
    if seed is None:
        return np.random.SeedSequence()
    return np.random.SeedSequence(integer("seed", seed, 0))


#: Largest ``jump_mean + jump_sd^2 / 2`` (log of the mean jump factor ``E[e^J]``): e^50 ~ 5e21,
#: far past any market, well inside floats (e^709 overflows ``kappa``).
_MAX_LOG_JUMP = 50.0
#: Largest variance of log returns per year (sigma^2 + lam (m^2 + sd^2)): a volatility of 10,000 %
#: a year; beyond it the drift compensation overflows floats long before it means anything.
_MAX_VARIANCE = 1e4


#: Largest ``|mu_per_year|`` (log drift of 10,000 % a year): beyond it prices leave floats.
_MAX_DRIFT = 100.0


def _rates_in_range(sigma: float, mu: float) -> None:
    if not abs(sigma) <= math.sqrt(_MAX_VARIANCE):
        raise LpperpError(
            f"sigma_per_year must be at most {math.sqrt(_MAX_VARIANCE):g} (10,000 % a year), "
            f"got {sigma!r}"
        )
    if not abs(mu) <= _MAX_DRIFT:
        raise LpperpError(f"mu_per_year must be in [-{_MAX_DRIFT:g}, {_MAX_DRIFT:g}], got {mu!r}")


@dataclass(frozen=True)
class GBM:
    """Geometric Brownian motion ``dP/P = mu dt + sigma dW``.

    Log increment per step: ``(mu - sigma^2/2) dt + sigma sqrt(dt) Z``, ``Z ~ N(0, 1)`` (exact).

    >>> p = sample_paths(GBM(0.8), 3000.0, 30 / 365, 30, 20_000, seed=1)
    >>> p.shape, round(float(p[:, -1].mean()) / 3000.0, 2)   # martingale: E[P_T] = P_0
    ((20000, 31), 1.0)
    """

    sigma_per_year: float
    mu_per_year: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma_per_year", nonnegative("sigma_per_year",
                                                                     self.sigma_per_year, scalar=True))
        object.__setattr__(self, "mu_per_year", finite("mu_per_year", self.mu_per_year, scalar=True))
        _rates_in_range(self.sigma_per_year, self.mu_per_year)

    @property
    def diffusion_sigma(self) -> float:
        return self.sigma_per_year

    def sampler(self, ss: np.random.SeedSequence, n_paths: int, dt_years: float) -> Sampler:
        n_paths, dt_years = _sampler_args(ss, n_paths, dt_years)
        rng = np.random.Generator(np.random.PCG64(ss))
        drift = (self.mu_per_year - 0.5 * self.sigma_per_year**2) * dt_years
        vol = self.sigma_per_year * math.sqrt(dt_years)

        buf = np.empty((0, n_paths))

        def draw(n: int) -> np.ndarray:
            # into a reused buffer (fresh multi-MB arrays cost page faults): valid until the next
            # draw, which every consumer here respects (they copy or finish with it first)
            nonlocal buf
            if buf.shape[0] < n:
                buf = np.empty((n, n_paths))
            z = rng.standard_normal(out=buf[:n])
            z *= vol
            z += drift
            return z

        return draw


@dataclass(frozen=True)
class MertonJumpDiffusion:
    """Merton (1976) jump-diffusion: GBM plus Poisson jumps of normal log size.

    ``ln P`` moves by ``(mu - sigma^2/2 - lam kappa) dt + sigma sqrt(dt) Z + sum_{i<=N} J_i`` with
    ``N ~ Poisson(lam dt)``, ``J_i ~ N(jump_mean, jump_sd^2)``, ``kappa = E[e^J] - 1``: the drift
    compensates the jumps so that ``E[P_t] = P_0 exp(mu t)``. Three streams per block (``Z``, ``N``,
    the jump sizes) keep the draws independent of the chunking.

    >>> m = MertonJumpDiffusion(0.6, jump_rate_per_year=6, jump_mean=-0.05, jump_sd=0.1)
    >>> round(m.total_volatility, 4)   # sqrt(sigma^2 + lam (mean^2 + sd^2))
    0.6595
    >>> p = sample_paths(m, 3000.0, 0.25, 90, 40_000, seed=2)
    >>> round(float(p[:, -1].mean()) / 3000.0, 2)
    1.0
    """

    sigma_per_year: float
    jump_rate_per_year: float
    jump_mean: float
    jump_sd: float
    mu_per_year: float = 0.0

    def __post_init__(self) -> None:
        for name in ("sigma_per_year", "jump_rate_per_year", "jump_sd"):
            object.__setattr__(self, name, float(nonnegative(name, getattr(self, name))))
        for name in ("jump_mean", "mu_per_year"):
            object.__setattr__(self, name, float(finite(name, getattr(self, name))))
        _rates_in_range(self.sigma_per_year, self.mu_per_year)
        # kappa = e^{m + sd^2/2} - 1 and the variance must be floats: refuse here, not later
        with np.errstate(over="ignore"):  # numpy floats: an overflow is inf, refused below
            sd2 = float(np.float64(self.jump_sd) ** 2)
            m2 = float(np.float64(self.jump_mean) ** 2)
        log_mean_jump = self.jump_mean + 0.5 * sd2
        if not log_mean_jump <= _MAX_LOG_JUMP:
            raise LpperpError(
                f"jump_mean + jump_sd**2 / 2 must be <= {_MAX_LOG_JUMP:g} (a mean jump factor "
                f"e^{_MAX_LOG_JUMP:g} at most), got jump_mean={self.jump_mean!r}, "
                f"jump_sd={self.jump_sd!r}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            lam = np.float64(self.jump_rate_per_year)
            drift = float(lam * self.kappa + 0.5 * self.sigma_per_year**2)
            var = float(self.sigma_per_year**2 + lam * (m2 + sd2))
        if not (math.isfinite(drift) and math.isfinite(var) and var <= _MAX_VARIANCE):
            raise LpperpError(
                f"MertonJumpDiffusion(sigma_per_year={self.sigma_per_year!r}, jump_rate_per_year="
                f"{self.jump_rate_per_year!r}, jump_mean={self.jump_mean!r}, jump_sd="
                f"{self.jump_sd!r}): the variance of log returns per year must be at most "
                f"{_MAX_VARIANCE:g}, got {var:.3g} (drift compensation {drift:.3g})"
            )

    @property
    def diffusion_sigma(self) -> float:
        return self.sigma_per_year

    @property
    def kappa(self) -> float:
        """Mean relative jump ``E[e^J] - 1``."""
        return math.exp(self.jump_mean + 0.5 * self.jump_sd**2) - 1.0

    @property
    def total_volatility(self) -> float:
        """Annualised sd of log returns: ``sqrt(sigma^2 + lam (jump_mean^2 + jump_sd^2))``."""
        return math.sqrt(self.sigma_per_year**2
                         + self.jump_rate_per_year * (self.jump_mean**2 + self.jump_sd**2))

    def sampler(self, ss: np.random.SeedSequence, n_paths: int, dt_years: float) -> Sampler:
        n_paths, dt_years = _sampler_args(ss, n_paths, dt_years)
        z_rng, n_rng, j_rng = (np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(3))
        drift = (self.mu_per_year - 0.5 * self.sigma_per_year**2
                 - self.jump_rate_per_year * self.kappa) * dt_years
        vol = self.sigma_per_year * math.sqrt(dt_years)
        lam_dt = self.jump_rate_per_year * dt_years

        def draw(n: int) -> np.ndarray:
            x = z_rng.normal(drift, vol, (n, n_paths))
            k = n_rng.poisson(lam_dt, (n, n_paths))
            j = j_rng.standard_normal((n, n_paths))  # always drawn: the stream never depends on k
            hit = k > 0
            x[hit] += self.jump_mean * k[hit] + self.jump_sd * np.sqrt(k[hit]) * j[hit]
            return x

        return draw


@dataclass(frozen=True, eq=False)
class BlockBootstrap:
    """Circular block bootstrap of historical log returns.

    Each path is a concatenation of blocks of ``block_length`` consecutive returns of the input,
    each block starting at a uniformly drawn index and wrapping around the end (circular), so every
    return is equally likely and short-range dependence (volatility clusters) survives inside
    blocks. Every simulated increment is one of the input's returns; ``dt_years`` is the input's
    spacing and simulations must use it.

    >>> from lpperp.prices import sample_prices
    >>> bb = BlockBootstrap.from_series(sample_prices(), block_length=10)
    >>> p = sample_paths(bb, 3000.0, 30 / 365, 30, 5, seed=3)
    >>> r = np.diff(np.log(p), axis=1)
    >>> float(np.abs(r[..., None] - bb.log_returns).min(axis=-1).max()) < 1e-12
    True
    """

    log_returns: np.ndarray
    dt_years: float
    block_length: int = 5
    _sd: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        r = np.asarray(finite("log_returns", self.log_returns), dtype=float)
        if r.ndim != 1 or r.size < 2:
            raise LpperpError(f"log_returns must be 1-d with at least 2 values, got shape {r.shape}")
        r = r.copy()
        r.flags.writeable = False
        object.__setattr__(self, "log_returns", r)
        object.__setattr__(self, "dt_years", positive("dt_years", self.dt_years, scalar=True))
        object.__setattr__(self, "block_length", integer("block_length", self.block_length, 1,
                                                         r.size))
        object.__setattr__(self, "_sd", float(np.std(r, ddof=1)))

    @classmethod
    def from_series(cls, series: Any, block_length: int = 5) -> BlockBootstrap:
        """From a :class:`~lpperp.prices.PriceSeries` (its log returns and spacing)."""
        if not (hasattr(series, "log_returns") and hasattr(series, "dt_years")):
            raise LpperpError(
                f"series must be a PriceSeries (lpperp.prices: load_prices, sample_prices or "
                f"PriceSeries(times, prices)), got {type(series).__name__}"
            )
        return cls(series.log_returns, series.dt_years, block_length)

    @property
    def diffusion_sigma(self) -> float:
        """Annualised sd of the input's log returns."""
        return self._sd / math.sqrt(self.dt_years)

    def sampler(self, ss: np.random.SeedSequence, n_paths: int, dt_years: float) -> Sampler:
        n_paths, dt_years = _sampler_args(ss, n_paths, dt_years)
        if not math.isclose(dt_years, self.dt_years, rel_tol=1e-6):
            raise LpperpError(
                f"a bootstrap of a series spaced {self.dt_years:.6g} years needs dt_years = "
                f"tau_years / n_steps equal to it, got {dt_years:.6g}"
            )
        rng = np.random.Generator(np.random.PCG64(ss))
        r, b, n_ret = self.log_returns, self.block_length, self.log_returns.size
        state: dict[str, Any] = {"t": 0, "k0": 0, "starts": np.empty((0, n_paths), np.int64)}

        def draw(n: int) -> np.ndarray:
            t0, t1 = state["t"], state["t"] + n
            k_first, k_last = t0 // b, (t1 - 1) // b
            starts, k0 = state["starts"], state["k0"]
            if k_first > k0:  # blocks already used up
                starts, k0 = starts[k_first - k0:], k_first
            need = k_last + 1 - (k0 + starts.shape[0])
            if need > 0:  # next block starts, drawn as uniforms (stream-stable across chunkings)
                u = rng.random((need, n_paths))
                starts = np.concatenate((starts, np.minimum((u * n_ret).astype(np.int64), n_ret - 1)))
            state.update(t=t1, k0=k0, starts=starts)
            steps = np.arange(t0, t1)
            idx = starts[steps // b - k0] + (steps % b)[:, None]
            idx %= n_ret
            return r[idx]

        return draw


def progress_bar(iterable: Any, total: int, enabled: bool, desc: str) -> Any:
    """Wrap ``iterable`` in ``tqdm.auto.tqdm`` when ``enabled`` and tqdm is installed (optional).

    >>> progress_bar([1, 2], 2, False, "paths")
    [1, 2]
    """
    if not isinstance(enabled, (bool, np.bool_)):  # an array or "yes" is not a choice
        raise LpperpError(f"progress must be True or False, got {_short(enabled)}")
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is an optional extra
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False)


def cumsum_time(x: np.ndarray, start: np.ndarray | float = 0.0) -> np.ndarray:
    """In place: ``x[t] = start + x[0] + ... + x[t]`` along axis 0 of a time-major array.

    A loop over rows of contiguous path vectors: ~2x faster than ``np.cumsum(axis=0)``, which walks
    a C-ordered array column by column.

    >>> cumsum_time(np.ones((3, 2)), np.array([10.0, 0.0]))
    array([[11.,  1.],
           [12.,  2.],
           [13.,  3.]])
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim < 1 or x.shape[0] < 1:
        raise LpperpError(
            f"x must be a float numpy array with at least one row (summed in place), got "
            f"{type(x).__name__} {_short(x)}"
        )
    if not x.flags.writeable:
        raise LpperpError("x must be writeable (cumsum_time sums in place)")
    st = finite("start", start)
    try:
        np.broadcast_shapes(np.shape(st), x.shape[1:])
    except ValueError:
        raise LpperpError(
            f"start must broadcast to a row of x {x.shape[1:]}, got shape {np.shape(st)}"
        ) from None
    return _cumsum(x, st)


def _short(x: Any) -> str:
    r = repr(x)
    return r if len(r) < 60 else r[:57] + "..."


def _cumsum(x: np.ndarray, start: Any) -> np.ndarray:
    x[0] += start
    for i in range(1, x.shape[0]):
        np.add(x[i], x[i - 1], out=x[i])
    return x


def n_chunks(n_paths: int, chunk_paths: int | None) -> int:
    """Number of path chunks :func:`iter_increments` yields.

    >>> n_chunks(10_000, None), n_chunks(10_000, 10**9)
    (3, 1)
    """
    return sum(1 for _ in _chunks(n_paths, chunk_paths))


#: A step costs at least this many path-steps whatever ``n_paths``: the fixed (Python) work of one
#: step of a simulation is ~110 us here, against ~0.5 us per path-step, so a one-path run of 10**12
#: steps is refused up front too.
STEP_COST_PATHS = 256
#: Largest float array one call builds at once (values; 8 bytes each, so 0.8 GB): the whole matrix
#: of :func:`sample_paths` / :func:`sample_funding`, one chunk of :func:`iter_paths`. Raise it per
#: call with ``max_array_values=``.
MAX_ARRAY_VALUES = 100_000_000


def path_step_budget(
    n_paths: Any, n_steps: Any, *, max_path_steps: Any = MAX_PATH_STEPS, what: str = "this run"
) -> tuple[int, int]:
    """Check a Monte Carlo request against its time budget up front; return ``(n_paths, n_steps)``.

    Cost in path-steps: ``max(n_paths, STEP_COST_PATHS) * n_steps`` (a step has a fixed cost);
    ``path_budget`` names the counts and the limit, refused in microseconds (``2**200`` paths).

    >>> path_step_budget(10_000, 720)
    (10000, 720)
    >>> try:
    ...     path_step_budget(1, 10**8)
    ... except LpperpError as e:
    ...     print(str(e)[:57])
    this run: 1e+08 steps cost at least 2.56e+10 path-steps (
    """
    n_p, n_s = path_budget(n_paths, n_steps, max_path_steps=max_path_steps, what=what)
    limit = int(max_path_steps)
    if n_s * STEP_COST_PATHS > limit:
        raise LpperpError(
            f"{what}: {float(n_s):.3g} steps cost at least {float(n_s * STEP_COST_PATHS):.3g} "
            f"path-steps (each step counts as {STEP_COST_PATHS} paths, its fixed cost); the limit "
            f"is {float(limit):.3g} (pass max_path_steps= to raise it)"
        )
    return n_p, n_s


def _array_budget(n_values: int, max_array_values: Any, what: str, hint: str) -> None:
    limit = integer("max_array_values", max_array_values, 1)
    if n_values > limit:
        raise LpperpError(
            f"{what}: an array of {float(n_values):.3g} values ({8 * n_values / 1e9:.3g} GB) at "
            f"once; the limit is {float(limit):.3g} values ({hint}pass max_array_values= to "
            f"raise it)"
        )


def _check_grid(
    price: Any,
    tau_years: Any,
    n_steps: Any,
    n_paths: Any,
    max_path_steps: Any = MAX_PATH_STEPS,
    what: str = "this run",
) -> tuple:
    p0 = positive("price", price, scalar=True)
    tau = positive("tau_years", tau_years, scalar=True)
    npaths, ns = path_step_budget(n_paths, n_steps, max_path_steps=max_path_steps, what=what)
    return p0, tau, ns, npaths


def _chunk_width(chunk_paths: int | None) -> int:
    """Paths in a full chunk: ``chunk_paths`` rounded up to whole blocks."""
    cp = DEFAULT_CHUNK_PATHS if chunk_paths is None else integer("chunk_paths", chunk_paths, 1)
    return max(1, -(-cp // PATH_BLOCK)) * PATH_BLOCK


def _chunks(n_paths: int, chunk_paths: int | None) -> Iterator[tuple[int, int, list[int]]]:
    """Path chunks ``(start, stop, blocks)``, each a whole number of blocks."""
    per = _chunk_width(chunk_paths) // PATH_BLOCK
    n_blocks = -(-n_paths // PATH_BLOCK)
    for b0 in range(0, n_blocks, per):
        blocks = list(range(b0, min(n_blocks, b0 + per)))
        yield b0 * PATH_BLOCK, min(n_paths, (blocks[-1] + 1) * PATH_BLOCK), blocks


def check_process(process: Any) -> Any:
    """Return ``process`` if it follows :class:`PriceProcess` (``sampler``, ``diffusion_sigma``).

    >>> check_process("gbm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: process must be a price process (GBM, ...), got str 'gbm'
    """
    if not (callable(getattr(process, "sampler", None)) and hasattr(process, "diffusion_sigma")):
        raise LpperpError(
            "process must be a price process (GBM, MertonJumpDiffusion, BlockBootstrap or an "
            f"object with sampler and diffusion_sigma), got {type(process).__name__} {process!r}"
        )
    return process


def iter_increments(
    process: PriceProcess,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    chunk_paths: int | None = None,
    chunk_steps: int | None = None,
    max_path_steps: int = MAX_PATH_STEPS,
) -> Iterator[tuple[int, int, Iterator[tuple[int, np.ndarray]]]]:
    """Log increments in bounded chunks: yields ``(path_start, path_stop, steps)`` where ``steps``
    yields ``(step_start, increments)`` with ``increments`` of shape ``(n, path_stop - path_start)``.

    The path chunk's step iterator must be consumed before moving to the next path chunk, and an
    ``increments`` array may be reused (overwritten) by the next step chunk: copy it to keep it.
    A request over ``max_path_steps`` (see :func:`path_step_budget`) is refused before any draw.

    >>> it = iter_increments(GBM(0.5), 1.0, 10, 5000, seed=0, chunk_paths=4096, chunk_steps=4)
    >>> [(a, b, [(s, x.shape) for s, x in steps]) for a, b, steps in it][1]
    (4096, 5000, [(0, (4, 904)), (4, (4, 904)), (8, (2, 904))])
    """
    check_process(process)
    _, tau, ns, npaths = _check_grid(
        1.0, tau_years, n_steps, n_paths, max_path_steps, "iter_increments"
    )
    cs = DEFAULT_CHUNK_STEPS if chunk_steps is None else integer("chunk_steps", chunk_steps, 1)
    _chunk_width(chunk_paths)
    # checked here, at the call (a generator body would only run at the first next())
    return _increments(process, tau / ns, ns, npaths, cs, root_seed(seed), chunk_paths)


def _increments(
    process: PriceProcess,
    dt: float,
    ns: int,
    npaths: int,
    cs: int,
    root: np.random.SeedSequence,
    chunk_paths: int | None,
) -> Iterator[tuple[int, int, Iterator[tuple[int, np.ndarray]]]]:
    for a, b, blocks in _chunks(npaths, chunk_paths):
        sizes = [min(PATH_BLOCK, npaths - k * PATH_BLOCK) for k in blocks]
        samplers = [
            process.sampler(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k)),
                            m, dt)
            for k, m in zip(blocks, sizes, strict=True)
        ]

        def steps(samplers: list[Sampler] = samplers) -> Iterator[tuple[int, np.ndarray]]:
            for t0 in range(0, ns, cs):
                n = min(cs, ns - t0)
                parts = [s(n) for s in samplers]
                yield t0, parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

        yield a, b, steps()


def iter_paths(
    process: PriceProcess,
    price: float,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    chunk_paths: int | None = None,
    max_path_steps: int = MAX_PATH_STEPS,
    max_array_values: int = MAX_ARRAY_VALUES,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Whole price paths, a chunk of paths at a time: yields ``(start, stop, prices)`` with
    ``prices`` time-major ``(n_steps + 1, stop - start)`` (row 0 is ``price``).

    Refused up front: more than ``max_path_steps`` (:func:`path_step_budget`), or one chunk of more
    than ``max_array_values`` prices (``(n_steps + 1) x`` paths per chunk; 8 bytes each).

    >>> [(a, b, p.shape) for a, b, p in iter_paths(GBM(0.5), 3000.0, 1.0, 12, 5000, seed=0)]
    [(0, 4096, (13, 4096)), (4096, 5000, (13, 904))]
    """
    check_process(process)
    p0, tau, ns, npaths = _check_grid(price, tau_years, n_steps, n_paths, max_path_steps, "iter_paths")
    _array_budget((ns + 1) * min(npaths, _chunk_width(chunk_paths)), max_array_values,
                  "iter_paths (one chunk)", "a smaller chunk_paths needs less; ")
    incs = iter_increments(process, tau, ns, npaths, seed, chunk_paths=chunk_paths,
                           chunk_steps=ns, max_path_steps=max_path_steps)
    return _paths(incs, p0, ns)


def _paths(
    incs: Iterator[tuple[int, int, Iterator[tuple[int, np.ndarray]]]], p0: float, ns: int
) -> Iterator[tuple[int, int, np.ndarray]]:
    for a, b, steps in incs:
        out = np.empty((ns + 1, b - a))
        out[0] = 0.0
        for t0, x in steps:
            out[1 + t0:1 + t0 + x.shape[0]] = _cumsum(x, out[t0])
        np.exp(out, out=out)
        out *= p0
        yield a, b, out


def sample_paths(
    process: PriceProcess,
    price: float,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    chunk_paths: int | None = None,
    max_path_steps: int = MAX_PATH_STEPS,
    max_array_values: int = MAX_ARRAY_VALUES,
) -> np.ndarray:
    """All paths at once, path-major ``(n_paths, n_steps + 1)`` (for plots and small runs).

    Same numbers as :func:`iter_paths`. Memory ``8 n_paths (n_steps + 1)`` bytes: more than
    ``max_array_values`` values is refused up front (for large runs iterate the chunks instead).

    >>> sample_paths(GBM(0.5), 3000.0, 1.0, 4, 2, seed=0).round(1)
    array([[3000. , 4171.5, 4859.9, 5830.6, 6935.8],
           [3000. , 2324.2, 2256. , 2276.4, 2698.6]])
    """
    check_process(process)
    p0, tau, ns, npaths = _check_grid(
        price, tau_years, n_steps, n_paths, max_path_steps, "sample_paths"
    )
    _array_budget(npaths * (ns + 1), max_array_values, "sample_paths",
                  "iter_paths yields the same paths a chunk at a time; ")
    out = np.empty((npaths, ns + 1))
    for a, b, p in iter_paths(process, p0, tau, ns, npaths, seed, chunk_paths=chunk_paths,
                              max_path_steps=max_path_steps, max_array_values=max_array_values):
        out[a:b] = p.T
    return out


# ------------------------------------------------------------------------------------------------
# funding rates
# ------------------------------------------------------------------------------------------------
#: Hours in a 365-day year: ``rate_per_year = rate_per_hour * HOURS_PER_YEAR``.
HOURS_PER_YEAR = 8760.0
#: Hyperliquid caps the funding rate at 4 % per hour, and pays funding every hour (one eighth of
#: the 8-hour rate each hour). Source: https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding
#: (read 2026-11-30 through the search tool's mirrors of that page: "Funding is capped at 4% per
#: hour"; "funding is paid every hour at one eighth of the computed rate").
FUNDING_CAP_PER_HOUR_HYPERLIQUID = 0.04


class FundingProcess(Protocol):
    """What the simulator needs from a funding process (rates per year, positive: longs pay).

    ``start(n_paths)`` returns the state at entry; ``step(state, dt_years, z_return, z_own)``
    returns ``(state, rate_per_year)`` for the step just elapsed, where ``z_return`` is the step's
    standardised log price return and ``z_own`` an independent standard normal (arrays over
    paths). ``stochastic`` says whether ``step`` uses the noise (the simulator only draws it then);
    ``interval_hours`` is how often the venue pays.
    """

    interval_hours: float

    @property
    def stochastic(self) -> bool: ...

    def start(self, n_paths: int) -> Any: ...

    def step(self, state: Any, dt_years: float, z_return: Any, z_own: Any) -> tuple[Any, Any]: ...


def _interval(interval_hours: Any) -> float:
    return positive("interval_hours", interval_hours, scalar=True)


@dataclass(frozen=True)
class ConstantFunding:
    """A constant funding rate, ``rate_per_year`` (positive: longs pay shorts), paid every
    ``interval_hours`` (Hyperliquid: 1 h).

    >>> f = ConstantFunding(0.10)
    >>> f.step(f.start(3), 1 / 365, None, None)[1], f.stochastic
    (0.1, False)
    """

    rate_per_year: float
    interval_hours: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "rate_per_year", finite("rate_per_year", self.rate_per_year, scalar=True)
        )
        object.__setattr__(self, "interval_hours", _interval(self.interval_hours))

    @property
    def stochastic(self) -> bool:
        return False

    def start(self, n_paths: int) -> None:
        return None

    def step(self, state: Any, dt_years: float, z_return: Any, z_own: Any) -> tuple[Any, float]:
        return None, self.rate_per_year


@dataclass(frozen=True)
class OUFunding:
    """A mean-reverting (Ornstein-Uhlenbeck) funding rate, capped per hour, optionally correlated
    with price returns.

    ``dx = kappa (mean - x) dt + sigma dW`` with ``dW = rho dB + sqrt(1 - rho^2) dW'``, ``dB`` the
    price's standardised return; stepped exactly:
    ``x' = mean + (x - mean) e^{-kappa dt} + sigma sqrt((1 - e^{-2 kappa dt}) / (2 kappa)) eps``
    (``sigma sqrt(dt) eps`` for ``kappa = 0``). The rate paid is ``x`` clipped to
    ``+-cap_per_hour * 8760`` per year (Hyperliquid: 4 %/h, :data:`FUNDING_CAP_PER_HOUR_HYPERLIQUID`);
    the state itself is not clipped. Stationary law: ``N(mean, sigma^2 / (2 kappa))``.

    Parameters
    ----------
    mean_rate_per_year : float
        Long-run level (per year; Hyperliquid's interest component alone is 0.01 % per 8 h, 10.95 %
        a year).
    kappa_per_year : float
        Speed of mean reversion, per year (half-life ``ln 2 / kappa`` years).
    sigma_per_year : float
        Volatility of the annualised rate, per sqrt(year).
    correlation : float
        Correlation with the price's standardised return, in [-1, 1] (positive: the rate rises
        when the price rallies, longs crowd in).
    cap_per_hour : float
        Largest absolute rate per hour (fraction).
    interval_hours : float
        Payment interval (Hyperliquid: 1 h).
    initial_rate_per_year : float, optional
        Rate at entry (default the mean).

    >>> f = OUFunding(0.1, kappa_per_year=50.0, sigma_per_year=1.0)
    >>> r = sample_funding(f, 365 / 365, 365, 20_000, seed=1)
    >>> round(float(r.mean()), 2), round(float(r[:, -1].std()), 2), round(f.stationary_sd, 2)
    (0.1, 0.1, 0.1)
    """

    mean_rate_per_year: float
    kappa_per_year: float
    sigma_per_year: float
    correlation: float = 0.0
    cap_per_hour: float = FUNDING_CAP_PER_HOUR_HYPERLIQUID
    interval_hours: float = 1.0
    initial_rate_per_year: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "mean_rate_per_year",
            finite("mean_rate_per_year", self.mean_rate_per_year, scalar=True),
        )
        for name in ("kappa_per_year", "sigma_per_year"):
            object.__setattr__(self, name, nonnegative(name, getattr(self, name), scalar=True))
        rho = finite("correlation", self.correlation, scalar=True)
        if not -1.0 <= rho <= 1.0:
            raise LpperpError(f"correlation must be in [-1, 1], got {rho}")
        object.__setattr__(self, "correlation", rho)
        object.__setattr__(
            self, "cap_per_hour", positive("cap_per_hour", self.cap_per_hour, scalar=True)
        )
        object.__setattr__(self, "interval_hours", _interval(self.interval_hours))
        if self.initial_rate_per_year is not None:
            object.__setattr__(
                self,
                "initial_rate_per_year",
                finite("initial_rate_per_year", self.initial_rate_per_year, scalar=True),
            )

    @property
    def stochastic(self) -> bool:
        return self.sigma_per_year > 0.0

    @property
    def cap_per_year(self) -> float:
        """``cap_per_hour * 8760``: the largest rate paid, per year."""
        return self.cap_per_hour * HOURS_PER_YEAR

    @property
    def stationary_sd(self) -> float:
        """``sigma / sqrt(2 kappa)`` (``inf`` without mean reversion), per year."""
        if self.kappa_per_year == 0.0:
            return math.inf
        return self.sigma_per_year / math.sqrt(2.0 * self.kappa_per_year)

    def start(self, n_paths: int) -> np.ndarray:
        x0 = self.mean_rate_per_year if self.initial_rate_per_year is None else (
            self.initial_rate_per_year
        )
        return np.full(n_paths, x0)

    def step(
        self, state: np.ndarray, dt_years: float, z_return: Any, z_own: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        k, m = self.kappa_per_year, self.mean_rate_per_year
        a = math.exp(-k * dt_years)
        sd = (
            self.sigma_per_year * math.sqrt(-math.expm1(-2.0 * k * dt_years) / (2.0 * k))
            if k > 0
            else self.sigma_per_year * math.sqrt(dt_years)
        )
        state -= m
        state *= a
        state += m
        if sd > 0.0:
            rho = self.correlation
            if rho != 0.0:
                state += (sd * rho) * z_return
            if rho * rho < 1.0:
                state += (sd * math.sqrt(1.0 - rho * rho)) * z_own
        cap = self.cap_per_year
        return state, np.clip(state, -cap, cap)


def as_funding(funding: Any) -> Any:
    """A funding process from a process or a plain number (a constant rate per year).

    >>> as_funding(0.1)
    ConstantFunding(rate_per_year=0.1, interval_hours=1.0)
    >>> as_funding("10%")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: funding must be a rate per year (a number) or a funding process ...
    """
    if all(hasattr(funding, a) for a in ("start", "step", "interval_hours", "stochastic")):
        return funding
    if isinstance(funding, (int, float, np.floating, np.integer)) and not isinstance(
        funding, (bool, np.bool_)
    ):
        return ConstantFunding(float(funding))
    raise LpperpError(
        "funding must be a rate per year (a number) or a funding process (ConstantFunding, "
        f"OUFunding), got {type(funding).__name__} {funding!r}"
    )


def sample_funding(
    funding: Any,
    tau_years: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    log_returns: np.ndarray | None = None,
    max_path_steps: int = MAX_PATH_STEPS,
    max_array_values: int = MAX_ARRAY_VALUES,
) -> np.ndarray:
    """Funding-rate paths (per year), path-major ``(n_paths, n_steps)``: the rate of each step.

    ``log_returns`` (time-major ``(n_steps, n_paths)``) are the price returns the rate correlates
    with, standardised here by their own sample standard deviation; without them the price part of
    the noise is an independent normal.

    >>> sample_funding(ConstantFunding(0.05), 1.0, 3, 2).tolist()
    [[0.05, 0.05, 0.05], [0.05, 0.05, 0.05]]
    """
    f = as_funding(funding)
    _, tau, ns, npaths = _check_grid(
        1.0, tau_years, n_steps, n_paths, max_path_steps, "sample_funding"
    )
    _array_budget(npaths * ns, max_array_values, "sample_funding", "")
    dt = tau / ns
    rng = np.random.Generator(np.random.PCG64(root_seed(seed)))
    if log_returns is not None:
        r = np.asarray(finite("log_returns", log_returns), dtype=float)
        if r.shape != (ns, npaths):
            raise LpperpError(f"log_returns must have shape {(ns, npaths)}, got {r.shape}")
        sd = float(r.std())
        zr = r / sd if sd > 0 else np.zeros_like(r)
    else:
        zr = None
    out = np.empty((ns, npaths))
    state = f.start(npaths)
    for t in range(ns):
        z_own = rng.standard_normal(npaths) if f.stochastic else None
        z_ret = (zr[t] if zr is not None else rng.standard_normal(npaths)) if f.stochastic else None
        state, rate = f.step(state, dt, z_ret, z_own)
        out[t] = rate
    return out.T.copy()


# ------------------------------------------------------------------------------------------------
# counter-based normals
# ------------------------------------------------------------------------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014), in place on a uint64 array."""
    x += _GOLDEN
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


def counter_key(root: np.random.SeedSequence, branch: int) -> int:
    """A 64-bit key for :func:`counter_normals`, from a run's root seed and a branch number.

    >>> counter_key(root_seed(0), 7) == counter_key(root_seed(0), 7) != counter_key(root_seed(1), 7)
    True
    """
    ss = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, integer("branch",
                                                                                   branch, 0)))
    return int(ss.generate_state(1, np.uint64)[0])


def counter_normals(key: int, step: Any, path: Any) -> np.ndarray:
    """Standard normals indexed by ``(step, path)``: the same number for the same key, step and
    path, whatever else is drawn, in whatever order or chunking.

    ``u = (splitmix64(key ^ (step << 40 | path)) >> 11 + 1/2) 2^-53``, ``z = Phi^-1(u)``: a
    counter-based generator, so a simulator can draw the noise of only the paths that need it
    (``step < 2^24``, ``path < 2^40``).

    >>> z = counter_normals(1, np.arange(200)[:, None], np.arange(500))
    >>> z.shape, abs(float(z.mean())) < 0.01, abs(float(z.std()) - 1) < 0.01
    ((200, 500), True, True)
    >>> bool(counter_normals(1, 3, 7) == z[3, 7])
    True
    """
    from scipy.special import ndtri

    s = np.asarray(step, dtype=np.uint64)
    p = np.asarray(path, dtype=np.uint64)
    x = np.atleast_1d((s << np.uint64(40)) | p).astype(np.uint64, copy=True)
    x ^= np.uint64(key)
    _splitmix64(x)
    u = (x >> np.uint64(11)).astype(np.float64)
    u += 0.5
    u *= 2.0**-53
    z = ndtri(u)
    return z if np.ndim(s) or np.ndim(p) else z.reshape(())

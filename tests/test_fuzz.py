"""The project fuzzes itself: every public function, constructor and method, with valid, edge and bad values.

The suite walks ``lpperp.__all__`` (functions and classes) and the public methods and properties of
instances of the public classes, reading each signature. Every argument is drawn either from a
*valid* value for its name (a price near 3000, the seed LP, an account, a process...) or from a pool
of edge and bad values (NaN, +-inf, 0, negatives, 1e308, 5e-324, 2**200, strings, None, booleans,
empty, ragged and 2-D arrays, the wrong kind of object). A call may

- return, and then a float or array result computed from finite input holds no NaN (documented
  "none" values are NaN only in the records listed in ``NAN_MEANS_NONE``);
- raise :class:`lpperp.LpperpError` (the clear error), or ``TypeError`` with a message when Python
  itself refuses the call (a wrong number of arguments, an unexpected keyword);

and must finish within ``CALL_LIMIT_S``. Anything else -- AttributeError, IndexError,
ZeroDivisionError, OverflowError, MemoryError, a bare numpy error, a hang -- is a failure that names
the call. ``make test`` runs a fixed, bounded number of examples per target (derandomized, so the
same calls each run); ``make fuzz`` runs the same walk with ``LPPERP_FUZZ_EXAMPLES`` (>= 10**5 calls
in all).
"""

from __future__ import annotations

import inspect
import math
import os
import signal
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lpperp

EXAMPLES = int(os.environ.get("LPPERP_FUZZ_EXAMPLES", "25"))
CALL_LIMIT_S = float(os.environ.get("LPPERP_FUZZ_CALL_LIMIT_S", "5"))

#: Results whose NaN is documented as "no such value": records with no boundary on a side, and
#: break-even figures where fees never cover LVR and costs (rebalancing.break_even_*).
NAN_MEANS_NONE = ("LiquidationResult", "AccountSummary", "LiquidationOutcome", "ModeComparison",
                  "break_even_frequency", "break_even_volatility")

#: Targets that open files, sockets or long-running services: walked elsewhere (tests/test_rpc_fuzz.py).
SKIP = {"load_prices", "load_funding_rates", "run_sweep"}


class _Hang(BaseException):
    """The alarm: a call ran past CALL_LIMIT_S (a BaseException: `except Exception` can't eat it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


# ------------------------------------------------------------------------------------------------
# valid values by argument name
# ------------------------------------------------------------------------------------------------
def _seed_objects() -> dict[str, Any]:
    from lpperp import (
        ARBITRUM,
        GBM,
        REVERT_LEND_ARBITRUM_WETH_USDC,
        CrossAccount,
        IsolatedAccount,
        LPPosition,
        PerpPosition,
        Policy,
        Scenario,
        StaticFactor,
        get_venue,
        sample_prices,
    )

    lp = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
    perp = PerpPosition(-6.667, 3000.0)
    rules = get_venue("hyperliquid")
    iso = IsolatedAccount(perp, lp, collateral=REVERT_LEND_ARBITRUM_WETH_USDC, rules=rules)
    cross = CrossAccount((perp,), (lp,), 5_000.0, REVERT_LEND_ARBITRUM_WETH_USDC, rules)
    series = sample_prices()
    return {
        "lp": lp,
        "position": lp,
        "perp": perp,
        "rules": rules,
        "isolated": iso,
        "cross": cross,
        "collateral": StaticFactor(0.8),
        "chain": ARBITRUM,
        "process": GBM(0.6),
        "scenario": Scenario(),
        "policy": Policy(),
        "series": series,
    }


SEED = _seed_objects()

_BY_NAME: dict[str, list[Any]] = {
    "price": [3000.0, 2500.0, np.array([2500.0, 3000.0, 3600.0])],
    "prices": [np.array([2500.0, 3000.0, 3600.0]), np.linspace(2000, 4000, 7)],
    "mark": [3100.0],
    "entry_price": [3000.0],
    "reference_price": [3000.0, None],
    "eth_price": [3000.0, None],
    "gas_token_price": [3000.0, None],
    "gas_price_gwei": [None, 0.02, 1.0],
    "barrier": [2500.0, 3600.0],
    "lower": [2500.0, None],
    "upper": [3600.0, None],
    "price_lower": [2400.0],
    "price_upper": [3600.0],
    "price_ratio": [1.1, np.array([0.9, 1.0, 1.1])],
    "width_pct": [20.0, 5.0],
    "width_factor": [1.2],
    "deposit": [10_000.0],
    "value": [10_000.0],
    "liquidity": [1e5],
    "size": [-6.667, 2.0],
    "cash": [0.0, 5_000.0, -1_000.0],
    "wallet_cash": [0.0, 5_000.0],
    "sigma": [0.6],
    "sigma_per_year": [0.6, 0.8],
    "mu_per_year": [0.0, 0.1],
    "tau_years": [30 / 365, 1.0],
    "horizon_years": [1 / 365],
    "dt_years": [1 / 365, None],
    "days": [1.0, 30.0],
    "n_steps": [10, 30],
    "n_paths": [50, 200],
    "n_terms": [None, 20],
    "seed": [0, 1, None],
    "fee_apr": [0.2, 0.0],
    "fee_fraction": [0.0005, 0.003],
    "swap_fee_fraction": [0.0005],
    "funding_rate_per_year": [0.1, -0.05, 0.0],
    "funding_rate_per_hour": [1e-5],
    "frequency_per_year": [[4.0, 52.0, 365.0], 12.0],
    "max_frequency_per_year": [105120.0],
    "pool_liquidity": [np.inf, 1e6],
    "base_amount": [1.0, -2.0],
    "confidence": [0.95, 0.99],
    "tick": [0, 1000, -196257],
    "tick_spacing": [10, 60],
    "sqrt_price_x96": [2**96],
    "market": [None],
    "param": ["width_pct", "leverage", "cf", "cash"],
    "param2": [None],
    "values": [np.array([10.0, 20.0, 30.0])],
    "values2": [None],
    "shocks": [None],
    "monitoring": ["bgk", "discrete"],
    "progress": [False],
    "chunk_paths": [None],
    "chunk_steps": [None],
    "client": [None],
    "name": ["hyperliquid", "arbitrum"],
    "action": ["recentre", "mint"],
    "side": [1, -1],
    "mode": ["isolated", "cross"],
    "kind": ["lp", "stable"],
    "ewma_lambda": [0.94],
    "lam": [0.94],
    "warmup": [20],
    "block_length": [5],
    "amount0": [10**18],
    "amount1": [3 * 10**9],
    "notional": [20_000.0, np.array([1e3, 1e5, 1e7])],
    "shock_pct": [10.0],
    "cf": [0.8],
    "base_factor": [0.775],
    "quote_factor": [0.85],
    "at": [None, 4000.0],
    "liquidation": [None],
    "entry": [3000.0],
}
_BY_NAME.update({
    # oracles, collateral schedules, manipulation
    "times_seconds": [np.arange(0.0, 600.0, 60.0)], "t_seconds": [60.0], "prices0": [3000.0],
    "window_seconds": [1800.0], "deviation_fraction": [0.005], "heartbeat_seconds": [3600.0],
    "oracle_price": [3000.0], "pool_price": [None, 3030.0], "age_seconds": [0.0, 60.0],
    "move_fraction": [0.02, -0.05], "oracle_move_fraction": [-0.05],
    "depths": [[1e5, 1e6]], "open_interest_usd": [25_000.0], "min_collateral_factor": [0.01],
    "oi_multiplier": [6e-6], "tick_cumulative_start": [0], "tick_cumulative_end": [45607200],
    "seconds_ago": [600], "now_seconds": [1600], "seconds_agos": [[600, 0]],
    "ticks": [[76012, 76100, 76100]],
    "func": [lpperp.FunctionFactor(lambda p: 0.8 + 0 * np.asarray(p)).func],
    "effective_seconds": [(1.0, 2.0)], "models": [(lpperp.StaticFactor(0.8),) * 2],
    "profile": [lpperp.LiquidityProfile.uniform(3000.0, 1e6, 0.0005)],
    "oracle": [lpperp.Spot(), lpperp.TwapOracle(1800.0)],
    # processes, series, budgets
    "ss": [np.random.SeedSequence(1)], "x": [np.ones((3, 2))], "n": [2, 30], "hits": [3, 0],
    "max_path_steps": [2_000_000_000, 10**6], "max_array_values": [100_000_000],
})
_BY_NAME["account"] = [SEED["isolated"], SEED["cross"]]
_BY_NAME["lps"] = [(SEED["lp"],)]
_BY_NAME["perps"] = [(SEED["perp"],)]
_BY_NAME["wallet_lps"] = [()]
for _k in ("lp", "position", "perp", "rules", "collateral", "chain", "process", "scenario", "policy",
           "series"):
    _BY_NAME[_k] = [SEED[_k]]
_BY_NAME["base"] = [SEED["scenario"]]
_BY_NAME["scenarios"] = [{"a": SEED["scenario"]}]
_BY_NAME["grid"] = [{"width_pct": [10.0, 20.0]}]

_BAD_VALUES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    0,
    0.0,
    -1.0,
    -3000.0,
    1e308,
    -1e308,
    5e-324,
    2**200,
    -(2**63),
    "3000",
    "",
    None,
    True,
    False,
    [],
    (),
    {},
    np.array([]),
    np.ones((2, 2)),
    np.array([1.0, np.nan]),
    [[1.0, 2.0], [3.0]],
    object(),
]


def _bad_objects() -> list[Any]:
    return [SEED["lp"], SEED["perp"], SEED["rules"], SEED["scenario"], SEED["process"], 3000.0,
            "lp", None]


def _valid(name: str, param: inspect.Parameter) -> list[Any]:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if param.default is not inspect.Parameter.empty:
        return [param.default]
    return [1.0]


# ------------------------------------------------------------------------------------------------
# targets
# ------------------------------------------------------------------------------------------------
def _instances() -> dict[str, list[Any]]:
    """A few valid instances per public class, by class name."""
    out: dict[str, list[Any]] = {}
    for obj in SEED.values():
        out.setdefault(type(obj).__name__, []).append(obj)
    for name in lpperp.__all__:
        obj = getattr(lpperp, name)
        if not inspect.isclass(obj) and not callable(obj) and not isinstance(obj, (dict, float)):
            out.setdefault(type(obj).__name__, []).append(obj)
    extra = {
        "Spot": lambda: lpperp.Spot(),
        "ChainlinkFeed": lambda: lpperp.ChainlinkFeed(0.005, 3600.0),
        "TwapOracle": lambda: lpperp.TwapOracle(1800.0),
        "PullOracle": lambda: lpperp.PullOracle(0.001, 60.0, 30.0),
        "FunctionFactor": lambda: lpperp.FunctionFactor(lambda p: 0.8 + 0 * np.asarray(p)),
        "FactorSchedule": lambda: lpperp.FactorSchedule((1.0, 2.0), (lpperp.StaticFactor(0.8),) * 2),
        "LiquidationResult": lambda: lpperp.liquidation_boundaries(SEED["isolated"], 3000.0),
        "MertonJumpDiffusion": lambda: lpperp.MertonJumpDiffusion(0.6, 2.0, -0.05, 0.1),
        "TokenMinFactor": lambda: lpperp.REVERT_LEND_ARBITRUM_WETH_USDC,
        "VolatilityScaledFactor": lambda: lpperp.VolatilityScaledFactor(0.6),
        "RangeAwareFactor": lambda: lpperp.RangeAwareFactor(),
        "MarginRules": lambda: lpperp.get_venue("dydx"),
        "BlockBootstrap": lambda: lpperp.BlockBootstrap.from_series(SEED["series"]),
        "LiquidationMechanics": lambda: lpperp.get_mechanics("gmx"),
        "PoolState": lambda: lpperp.PoolState(2**96, 0, 10**18, 3000, 60, (-600, 600),
                                              (10**17, -(10**17))),
        "LiquidityProfile": lambda: lpperp.LiquidityProfile.uniform(3000.0, 1e6, 0.0005),
        "LiquidationOutcome": lambda: SEED["isolated"].liquidation_outcome(3000.0),
        "BoundaryProblem": lambda: SEED["isolated"].boundary_problem(3000.0),
        "LiquidationComparison": lambda: lpperp.compare_liquidations(SEED["isolated"], 3000.0),
    }
    for cname, make in extra.items():
        try:
            out.setdefault(cname, []).append(make())
        except Exception:  # a class renamed or gone: the walk covers what exists
            pass
    return out


INSTANCES = _instances()


def _targets() -> list[tuple[str, Callable[..., Any] | None, Any]]:
    """(id, callable or None for a property, owner instance for a property)."""
    targets: list[tuple[str, Any, Any]] = []
    for name in lpperp.__all__:
        if name in SKIP:
            continue
        obj = getattr(lpperp, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException) or getattr(obj, "_is_protocol", False):
                continue
            targets.append((name, obj, None))
            for inst in INSTANCES.get(obj.__name__, [])[:1]:
                for attr, raw in inspect.getmembers(type(inst)):
                    if attr.startswith("_") or attr in SKIP:
                        continue
                    if isinstance(raw, property):
                        targets.append((f"{name}.{attr}", None, (inst, attr)))
                    elif callable(raw):
                        targets.append((f"{name}.{attr}", getattr(inst, attr), None))
        elif callable(obj):
            targets.append((name, obj, None))
    return targets


TARGETS = _targets()


# ------------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------------
def _all_finite_input(args: dict[str, Any]) -> bool:
    for v in args.values():
        if isinstance(v, (bool, str)) or v is None:
            continue
        if isinstance(v, (int, float, np.ndarray, list, tuple)):
            try:
                arr = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                return False
            if not np.all(np.isfinite(arr)) or (arr.size and np.max(np.abs(arr)) > 1e200):
                return False
    return True


def _has_nan(result: Any) -> bool:
    if isinstance(result, float):
        return math.isnan(result)
    if isinstance(result, np.ndarray) and result.dtype.kind == "f":
        return bool(np.isnan(result).any())
    if isinstance(result, tuple):
        return any(_has_nan(r) for r in result)
    return False


def _call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[Any, BaseException | None, float]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_LIMIT_S)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return fn(**kwargs), None, time.perf_counter() - t0
    except _Hang as exc:
        return None, exc, time.perf_counter() - t0
    except BaseException as exc:
        return None, exc, time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _draw_kwargs(data: st.DataObject, fn: Callable[..., Any]) -> dict[str, Any] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    kwargs: dict[str, Any] = {}
    for pname, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or pname.startswith("_"):
            continue
        optional = param.default is not inspect.Parameter.empty
        mode = data.draw(st.sampled_from(["valid"] * 6 + ["bad", "object"] + (["omit"] if optional else [])))
        if mode == "omit":
            continue
        if mode == "valid":
            kwargs[pname] = data.draw(st.sampled_from(_valid(pname, param)))
        elif mode == "bad":
            kwargs[pname] = data.draw(st.sampled_from(_BAD_VALUES))
        else:
            kwargs[pname] = data.draw(st.sampled_from(_bad_objects()))
    return kwargs


def _describe(tid: str, kwargs: dict[str, Any]) -> str:
    def short(v: Any) -> str:
        r = repr(v)
        return r if len(r) < 60 else r[:57] + "..."

    return f"{tid}(" + ", ".join(f"{k}={short(v)}" for k, v in kwargs.items()) + ")"


@pytest.mark.parametrize(("tid", "fn", "prop"), TARGETS, ids=[t[0] for t in TARGETS])
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_public_call_answers_clearly(tid: str, fn: Any, prop: Any, data: st.DataObject) -> None:
    if prop is not None:  # a property of a valid instance: it must evaluate cleanly
        inst, attr = prop
        result, exc, took = _call(lambda: getattr(inst, attr), {})
        kwargs: dict[str, Any] = {}
    else:
        kwargs = _draw_kwargs(data, fn)
        if kwargs is None:
            return
        result, exc, took = _call(fn, kwargs)
    what = _describe(tid, kwargs)
    if isinstance(exc, _Hang):
        pytest.fail(f"{what} ran past {CALL_LIMIT_S} s (a hang: budget the request up front)")
    if exc is not None:
        if isinstance(exc, lpperp.LpperpError):
            assert str(exc), f"{what} raised an LpperpError with no message"
            return
        if type(exc) is TypeError and str(exc):
            return
        pytest.fail(f"{what} raised {type(exc).__name__}: {exc}"[:2000])
    if took > CALL_LIMIT_S:
        pytest.fail(f"{what} took {took:.1f} s")
    if (
        _all_finite_input(kwargs)
        and _has_nan(result)
        and not any(n in tid for n in NAN_MEANS_NONE)
    ):
        pytest.fail(f"{what} returned NaN from finite input: {result!r}"[:2000])

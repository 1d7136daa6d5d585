"""Fuzz of the oracle and collateral modules' own surface, beyond what tests/test_fuzz.py reaches.

tests/test_fuzz.py walks ``lpperp.__all__`` and the methods of instances it can build; the
oracles (``Spot``, ``ChainlinkFeed``, ``TwapOracle``, ``PullOracle``: ``report``/``read``/
``start``/``step``...), ``FunctionFactor``, ``FactorSchedule`` and the module-level helpers
(``weighted_value``, ``twap_spot_move``, ``intraday_path``...) have no instance there. This walk
uses the same rule: a call returns (no NaN from finite input), raises :class:`LpperpError` or a
``TypeError`` with a message, and nothing else; derandomized and bounded like ``make test``
(``LPPERP_FUZZ_EXAMPLES`` raises it).
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpperp import collateral, manipulation, oracle, oracle_risk
from lpperp._validate import LpperpError
from lpperp.position import LPPosition
from lpperp.swap import LiquidityProfile
from lpperp.units import WETH_USDC_ARBITRUM

EXAMPLES = int(os.environ.get("LPPERP_FUZZ_EXAMPLES", "25"))

LP = LPPosition.from_deposit(10_000.0, 3000.0, width_pct=20)
ACCOUNT = oracle_risk.crash_day_account(3000.0)
T = np.arange(0.0, 600.0, 60.0)
P = 3000.0 * np.exp(np.linspace(0.0, -0.3, T.size))

ORACLES = {
    "Spot": oracle.Spot(),
    "ChainlinkFeed": oracle.CHAINLINK_ETH_USD_ETHEREUM,
    "TwapOracle": oracle.TwapOracle(120.0),
    "TwapOracle_pool": oracle.TwapOracle(120.0, pool=WETH_USDC_ARBITRUM),
    "PullOracle": oracle.PullOracle(0.001, 60.0, 30.0),
}
MODELS = {
    "FunctionFactor": collateral.FunctionFactor(lambda p: np.clip(p / 4000.0, 0.0, 0.9)),
    "FactorSchedule": collateral.FactorSchedule(
        (1.0, 300.0), (collateral.StaticFactor(0.85), collateral.StaticFactor(0.775))),
    "VolatilityScaledFactor": collateral.VolatilityScaledFactor(0.6),
}

VALID: dict[str, list[Any]] = {
    "times_seconds": [T, [0.0]],
    "prices": [P, np.vstack([P, P * 1.01]), [3000.0]],
    "prices0": [3000.0, np.array([3000.0, 3100.0])],
    "t0_seconds": [0.0],
    "t_seconds": [60.0, 1e6],
    "price": [3000.0, np.array([2500.0, 3000.0])],
    "tick": [0, 76012, np.array([-5.0, 5.0])],
    "ticks": [[76012, 76100, 76100]],
    "lp": [LP],
    "account": [ACCOUNT],
    "oracle": [oracle.Spot(), oracle.TwapOracle(120.0)],
    "oracle_price": [3000.0],
    "pool_price": [None, 3030.0],
    "age_seconds": [0.0, 60.0],
    "confidence": [0.0, 3.0],
    "price_lower": [2500.0],
    "price_upper": [3600.0],
    "liquidity": [1000.0],
    "k": [1.0, 0.9],
    "base_factor": [0.8],
    "quote_factor": [0.9],
    "dt_years": [60.0 / 31_536_000.0, 1 / 365],
    "ewma_lambda": [0.94],
    "warmup": [20, 2],
    "move_fraction": [0.02, -0.05],
    "oracle_move_fraction": [-0.05],
    "window_seconds": [0.0, 1800.0],
    "hold_seconds": [12.0],
    "profile": [LiquidityProfile.uniform(3000.0, 1e6, 0.0005)],
    "n_blocks": [1, 3],
    "block_seconds": [12.0],
    "open_price": [3000.0],
    "high": [3100.0],
    "low": [2000.0],
    "close": [2100.0],
    "n_steps": [8, 100],
    "seconds": [86400.0],
    "open_interest_usd": [25_000.0],
    "min_collateral_factor": [0.01],
    "oi_multiplier": [6e-6],
    "open_interest_usd_x30": [25_000 * 10**30],
    "min_collateral_factor_x30": [10**28],
    "oi_multiplier_x30": [6 * 10**24],
    "tick_cumulative_start": [0],
    "tick_cumulative_end": [45607200],
    "seconds_ago": [600],
    "now_seconds": [1600],
    "seconds_agos": [[600, 0]],
    "max_confidence_fraction": [np.inf, 0.01],
    "execution_delay_steps": [0, 2],
    "sigma_per_year": [0.6],
    "horizon_years": [1 / 365],
}

BAD: list[Any] = [math.nan, math.inf, -math.inf, 0, 0.0, -1.0, 1e308, -1e308, 5e-324, 2**200,
                  "3000", "", None, True, [], (), {}, np.array([]), np.ones((2, 2)),
                  np.array([1.0, np.nan]), [[1.0, 2.0], [3.0]], object(), LP, 3000.0,
                  oracle.Spot()]


def _state_values(orc: Any) -> list[Any]:
    s = orc.start(3000.0)
    s2 = orc.start(np.array([3000.0, 3100.0]))
    return [s, s2]


def _targets() -> list[tuple[str, Any, dict[str, list[Any]]]]:
    out: list[tuple[str, Any, dict[str, list[Any]]]] = []
    for name, orc in ORACLES.items():
        extra = {"state": _state_values(orc)}
        for attr in ("report", "read", "start", "step", "ticks", "price_at_tick", "mean_ticks",
                     "mean_ticks_of", "guard"):
            if hasattr(orc, attr):
                out.append((f"{name}.{attr}", getattr(orc, attr), extra))
    reading = oracle.Spot().read(T, P)
    for attr in ("check", "check_reading"):
        out.append((f"OracleGuard.{attr}", getattr(oracle.REVERT_LEND_ARBITRUM_GUARD, attr),
                    {"reading": [reading]}))
    for name, m in MODELS.items():
        for attr in ("factor", "collateral_value", "factor_path", "index_at", "model_at",
                     "shock_weights"):
            if hasattr(m, attr):
                out.append((f"{name}.{attr}", getattr(m, attr), {}))
    funcs = [
        (oracle, ("observe_tick_cumulatives", "consult_mean_tick")),
        (collateral, ("weighted_value", "ewma_volatility", "gmx_min_collateral_factor",
                      "gmx_min_collateral_factor_x30")),
        (collateral.VolatilityScaledFactor, ("from_oracle", "shock_multiplier")),
        (collateral.FactorSchedule, ("from_dates",)),
        (manipulation, ("price_move_cost", "twap_spot_move", "manipulation_cost")),
        (oracle_risk, ("intraday_path", "crash_day_account", "liquidate_on_oracle")),
    ]
    for mod, names in funcs:
        for n in names:
            out.append((n, getattr(mod, n), {}))
    for cls in (oracle.Spot, oracle.ChainlinkFeed, oracle.TwapOracle, oracle.PullOracle,
                oracle.OracleGuard, collateral.FunctionFactor, collateral.FactorSchedule,
                collateral.StaticFactor, collateral.TokenMinFactor, collateral.RangeAwareFactor,
                collateral.VolatilityScaledFactor):
        out.append((cls.__name__, cls, {"func": [lambda p: 0.8 + 0 * np.asarray(p)],
                                         "effective_seconds": [(1.0, 2.0)],
                                         "models": [(collateral.StaticFactor(0.8),) * 2],
                                         "deviation_fraction": [0.005],
                                         "heartbeat_seconds": [3600.0]}))
    return out


TARGETS = _targets()


def _finite_input(kwargs: dict[str, Any]) -> bool:
    for v in kwargs.values():
        if isinstance(v, (int, float, np.ndarray, list, tuple)) and not isinstance(v, bool):
            try:
                a = np.asarray(v, dtype=float)
            except (TypeError, ValueError, OverflowError):
                return False
            if not np.all(np.isfinite(a)) or (a.size and np.max(np.abs(a)) > 1e200):
                return False
    return True


def _has_nan(x: Any) -> bool:
    if isinstance(x, float):
        return math.isnan(x)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return bool(np.isnan(x).any())
    if isinstance(x, tuple):
        return any(_has_nan(v) for v in x)
    return False


@pytest.mark.parametrize(("tid", "fn", "extra"), TARGETS, ids=[t[0] for t in TARGETS])
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_oracle_surface_answers_clearly(tid: str, fn: Any, extra: dict[str, list[Any]],
                                        data: st.DataObject) -> None:
    kwargs: dict[str, Any] = {}
    for pname, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        optional = param.default is not inspect.Parameter.empty
        mode = data.draw(st.sampled_from(["valid"] * 5 + ["bad"] + (["omit"] if optional else [])))
        if mode == "omit":
            continue
        pool = extra.get(pname) or VALID.get(pname) or (
            [param.default] if optional else [1.0])
        kwargs[pname] = data.draw(st.sampled_from(pool if mode == "valid" else BAD))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                result = fn(**kwargs)
    except LpperpError as exc:
        assert str(exc)
        return
    except TypeError as exc:
        if type(exc) is TypeError and str(exc):
            return
        raise
    if _finite_input(kwargs) and "liquidate_on_oracle" not in tid:
        assert not _has_nan(result), f"{tid}({kwargs!r}) returned NaN from finite input"

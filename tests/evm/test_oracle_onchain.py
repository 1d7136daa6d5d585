"""On-chain oracles against real bytecode: the pool's TWAP via observe, a Chainlink mock aggregator.

- TWAP: a fresh Uniswap v3 pool (v3-core 1.0.1 bytecode) initialized, its observation cardinality
  raised, then swapped at chosen block timestamps (``evm_setNextBlockTimestamp``); ``read_twap`` over
  many windows equals, to the tick, ``lpperp.oracle``'s exact ``observe_tick_cumulatives`` +
  ``consult_mean_tick`` and the vectorized ``TwapOracle.mean_ticks`` fed the recorded (time, tick)
  history; the accumulators themselves match to the unit.
- Chainlink: ``MockV3Aggregator`` from @chainlink/contracts@0.1.9 (``abi/v0.7/MockV3Aggregator.json``,
  init code at ``compilerOutput.evm.bytecode.object``; constructor ``(uint8 decimals, int256
  initialAnswer)``; ``updateAnswer`` sets startedAt = updatedAt = block.timestamp): answers written at
  chosen timestamps read back to the wei, and the Revert-style staleness check at its exact edge.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpperp._abi import decode, encode_call
from lpperp.chain import (
    ChainError,
    StaleOracleError,
    read_chainlink,
    read_twap,
)
from lpperp.oracle import TwapOracle, consult_mean_tick, observe_tick_cumulatives

from .conftest import sqrt_price_x96_for

pytestmark = pytest.mark.evm






def test_twap_from_observe_equals_the_oracle_model(snapshot, wei_cases):
    evm = snapshot
    pool = evm.pools["USDT-500"]  # WETH is token0, 6-decimal token1: ticks near -195,000 (< 0)
    assert pool.token0.symbol == "WETH"
    lp, trader = evm.accounts[1], evm.accounts[2]
    t0 = evm.block_timestamp() + 1000
    evm.at(t0)
    evm.send(pool.address, encode_call("initialize(uint160)", sqrt_price_x96_for(pool, 3000.0)))
    times, ticks = [t0], [evm.slot0(pool)[1]]
    with pytest.raises(StaleOracleError, match="no observation 1 s old"):
        read_twap(evm.url, pool.address, 1)  # cardinality 1, written this block: 'OLD'
    evm.at(t0 + 1)
    evm.send(pool.address, encode_call("increaseObservationCardinalityNext(uint16)", 64))
    centre = ticks[0] - ticks[0] % 10
    evm.at(t0 + 2)
    evm.mint(pool, centre - 4000, centre + 4000, *pool.amounts(50, 150_000), lp)  # in range: a write
    liquidity = evm.call(pool.address, "liquidity()", out=["uint128"])
    # swaps at chosen, uneven times; the tick each leaves in force until the next
    plan = [(100, True, 9 * 10**18), (250, False, 40_000 * 10**6), (701, True, 20 * 10**18),
            (1000, False, 5_000 * 10**6), (1337, False, 33_333 * 10**6)]  # fmt: skip
    for dt, zero_for_one, amount in plan:
        evm.at(t0 + dt)
        evm.swap_in(pool, zero_for_one, amount, trader)
        times.append(t0 + dt)
        ticks.append(evm.slot0(pool)[1])
    assert len(set(ticks)) == len(ticks), f"each swap should move the tick: {ticks}"
    now = t0 + 1600
    evm.mine(now)
    assert evm.block_timestamp() == now
    windows = [1, 7, 60, 99, 100, 101, 299, 600, 899, 1000, 1263, 1500, 1598, 1599, 1600]
    rel_t = np.array([*times, now], dtype=float) - t0
    prices = 1.0001 ** (np.array([*ticks, ticks[-1]], dtype=float) + 0.5)  # inside each tick
    deltas = []
    for w in windows:
        got = read_twap(evm.url, pool.address, w)
        cum = observe_tick_cumulatives(times, ticks, now, [w, 0])
        assert got.tick_cumulatives == tuple(cum)  # the accumulator itself, to the unit
        exact = consult_mean_tick(cum[0], cum[1], w)
        model = TwapOracle(float(w)).mean_ticks(rel_t, prices)[-1]
        assert got.mean_tick == exact == int(model), (w, got.mean_tick, exact, model)
        if w <= now - (t0 + 2):  # the whole window after the mint: liquidity constant
            assert got.harmonic_mean_liquidity == pytest.approx(liquidity, rel=1e-9)
        deltas.append((got.tick_cumulatives[1] - got.tick_cumulatives[0], w))
        wei_cases["fixed: read_twap == observe model == TwapOracle (mean tick, cumulatives)"] += 1
    # negative means with a remainder: where the floor differs from Solidity's truncation
    floored = [(d, w) for d, w in deltas if d < 0 and d % w]
    assert len(floored) >= 5, deltas  # windows inside the last 263 s see one tick: no remainder
    with pytest.raises(StaleOracleError, match="'OLD'"):
        read_twap(evm.url, pool.address, 1601)  # before initialize
    with pytest.raises(ChainError, match="not initialized"):
        read_twap(evm.url, evm.pools["USDC-100"].address, 60)


def _deploy_feed(evm, decimals: int, answer: int) -> str:
    return evm.deploy("mock_v3_aggregator", ["uint8", "int256"], [decimals, answer])


def test_chainlink_mock_aggregator_reads_back_to_the_wei(snapshot, wei_cases):
    evm = snapshot
    t0 = evm.block_timestamp() + 500
    evm.at(t0)
    feed = _deploy_feed(evm, 8, 2000 * 10**8)
    r = read_chainlink(evm.url, feed)
    assert (r.round_id, r.answer_raw, r.decimals, r.started_at, r.updated_at) == (
        1, 2000 * 10**8, 8, t0, t0
    )  # fmt: skip
    assert r.answer == 2000.0 and r.answered_in_round == 1 and r.age_seconds == 0
    history = [(t0 + 37, 201_234_567_891), (t0 + 3600, 199_999_999_999), (t0 + 3601, 1),
               (t0 + 9000, 2**200 + 12345)]  # fmt: skip
    for k, (t, answer) in enumerate(history, start=2):
        evm.at(t)
        evm.send(feed, encode_call("updateAnswer(int256)", answer))
        r = read_chainlink(evm.url, feed)
        assert (r.round_id, r.answer_raw, r.updated_at, r.started_at) == (k, answer, t, t)
        assert r.answer == answer / 10**8  # correctly rounded human price
        # the contract's own view of the round agrees
        rd = decode(["uint80", "int256", "uint256", "uint256", "uint80"],
                    evm.rpc.eth_call(feed, encode_call("getRoundData(uint80)", k)))  # fmt: skip
        assert rd == (k, answer, t, t, k)
        wei_cases["fixed: read_chainlink == MockV3Aggregator round (id, answer, times)"] += 1
    # staleness, Revert's rule: fails when updatedAt + maxAge < block.timestamp
    t_last = history[-1][0]
    evm.mine(t_last + 3600)
    assert read_chainlink(evm.url, feed, max_age_seconds=3600).age_seconds == 3600  # edge: fresh
    evm.mine(t_last + 3601)
    with pytest.raises(StaleOracleError, match=r"the answer is 3601 s old"):
        read_chainlink(evm.url, feed, max_age_seconds=3600)
    assert read_chainlink(evm.url, feed).age_seconds == 3601  # no limit asked: no check
    evm.send(feed, encode_call("updateAnswer(int256)", -5))
    assert read_chainlink(evm.url, feed).answer == -5e-8
    with pytest.raises(StaleOracleError, match="answer -5 <= 0"):
        read_chainlink(evm.url, feed, max_age_seconds=86_400)
    # other decimals: 18 and 0
    for dec, raw in ((18, 3_141_592_653_589_793_238), (0, 42)):
        r = read_chainlink(evm.url, _deploy_feed(evm, dec, raw))
        assert (r.decimals, r.answer_raw, r.answer) == (dec, raw, raw / 10**dec)
    with pytest.raises(ChainError, match="not a Chainlink-style feed"):
        read_chainlink(evm.url, evm.tokens["WETH"].address)
    with pytest.raises(ChainError, match="no contract"):
        read_chainlink(evm.url, evm.accounts[2])


@settings(max_examples=8, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    sym=st.sampled_from(["USDC", "USDT"]),  # ticks > 0 (USDC is token0) and < 0 (WETH token0)
    schedule=st.lists(st.tuples(st.integers(1, 900), st.booleans(), st.integers(1, 100)),
                      min_size=1, max_size=6),  # (seconds after the last, sell WETH?, size %)
    tail=st.integers(1, 600),
    data=st.data(),
)  # fmt: skip
def test_twap_on_random_schedules(evm, wei_cases, sym, schedule, tail, data):
    """Random swap times and sizes: observe's mean tick == TwapOracle's, for random windows."""
    snap = evm.snapshot()
    try:
        pool = evm.pools[f"{sym}-500"]
        lp, trader = evm.accounts[1], evm.accounts[2]
        t = evm.block_timestamp() + 100
        evm.at(t)
        evm.send(pool.address, encode_call("initialize(uint160)", sqrt_price_x96_for(pool, 3000.0)))
        times, ticks = [t], [evm.slot0(pool)[1]]
        evm.send(pool.address, encode_call("increaseObservationCardinalityNext(uint16)", 16))
        centre = ticks[0] - ticks[0] % 10
        evm.mint(pool, centre - 4000, centre + 4000, *pool.amounts(50, 150_000), lp)
        t = evm.block_timestamp()  # swaps are timed from the mint's block on
        for gap, sell_weth, pct in schedule:
            t += gap
            evm.at(t)
            amount = 5 * 10**16 * pct if sell_weth else 150 * 10**6 * pct
            evm.swap_in(pool, sell_weth == pool.weth_is_token0, amount, trader)
            tick = evm.slot0(pool)[1]
            if tick != ticks[-1]:  # the pool writes only when the tick changed
                times.append(t)
                ticks.append(tick)
        now = t + tail
        evm.mine(now)
        span = now - times[0]
        windows = data.draw(st.lists(st.integers(1, span), min_size=1, max_size=5), label="windows")
        rel_t = np.array([*times, now], dtype=float) - times[0]
        prices = 1.0001 ** (np.array([*ticks, ticks[-1]], dtype=float) + 0.5)
        for window in windows:
            got = read_twap(evm.url, pool.address, window)
            model = TwapOracle(float(window)).mean_ticks(rel_t, prices)[-1]
            cum = observe_tick_cumulatives(times, ticks, now, [window, 0])
            assert got.tick_cumulatives == tuple(cum)
            assert got.mean_tick == int(model) == consult_mean_tick(*cum, window)
            wei_cases["read_twap == TwapOracle on random swap schedules (mean tick)"] += 1
    finally:
        evm.revert(snap)

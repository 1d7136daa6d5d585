"""lpperp.swap.swap_exact against the real UniswapV3Pool bytecode in anvil, to the wei.

Setup (real transactions, undone by the ``snapshot`` fixture): two pools with opposite token order
and different tick spacings (``USDC-500``: spacing 10, ``USDT-100``: spacing 1, so a swap steps
through many 256-tick bitmap words) are initialised near 3000 stablecoin per WETH and given
several positions through the NonfungiblePositionManager: a full-range one, overlapping ones, one
that ends where another begins with the same liquidity (an initialized tick with liquidityNet 0),
ranges entirely above and below the price. The pool's own ``slot0()``, ``liquidity()`` and
``ticks(i)`` then define the :class:`~lpperp.swap.PoolState` we swap on.

Each round, cases run as ``eth_simulateV1`` requests on copies of the pool (one HTTP batch); a
case is a chain of 1-4 random swaps through the SwapRouter (both directions, ``exactInputSingle``
and ``exactOutputSingle``, i.e. positive and negative ``amountSpecified``, with price limits that
are sometimes far away, sometimes a random price a few hundred ticks off, sometimes exactly an
initialized tick). After each swap the pool's token balances (the swap's amount0/amount1), slot0
(sqrtPriceX96, tick) and liquidity() are compared with ``swap_exact`` chained by
``PoolState.after``. Between rounds one random swap is sent for real to move the base state.
The first swap of each case is also run through the float twin
(``LiquidityProfile.from_pool_state`` + ``float_swap`` with the base the pool really moved):
quote and price after agree with the pool to 1e-9 plus the pool's unit rounding per step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpperp._abi import decode, encode_call
from lpperp.liquidity import get_amounts_for_liquidity
from lpperp.swap import (
    LiquidityProfile,
    PoolState,
    SwapError,
    SwapResult,
    float_swap,
    swap_exact,
)
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

from .conftest import sqrt_price_x96_for

pytestmark = pytest.mark.evm

S = get_sqrt_ratio_at_tick
MAX_UINT = 2**256 - 1
EXACT_IN = "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"
EXACT_OUT = "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"
TICK_OUT = ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"]
ROUNDS = 5
CASES_PER_ROUND = 40  # x 2 pools x (1-4 swaps, 2.5 on average): ~1000 swaps


def _mint_positions(evm, pool, rng) -> set[int]:
    """Mint the positions (real transactions); return the ticks they use."""
    sp = pool.tick_spacing
    s0 = evm.slot0(pool)[0]
    t0 = get_tick_at_sqrt_ratio(s0) // sp * sp
    full = (MIN_TICK // sp + (MIN_TICK % sp != 0)) * sp, MAX_TICK // sp * sp
    w = 40 * sp

    def r(a, b):
        return int(rng.integers(a, b)) * sp

    ranges = [
        (full, 10**14),
        ((t0 - r(10, 60), t0 + r(10, 60)), 3 * 10**15),
        ((t0 - r(60, 200), t0 + r(1, 30)), 10**15),
        ((t0 - w, t0 - r(1, 9)), 2 * 10**15),  # ends below the price ...
        ((t0 - r(1, 9), t0 + w), 10**15),
        ((t0 + w, t0 + 2 * w), 2 * 10**15),  # ... starts where the next ends, same L: net 0
        ((t0 + 2 * w, t0 + 3 * w), 2 * 10**15),
        ((t0 - 3 * w, t0 - 2 * w), 5 * 10**14),  # entirely below the price
        ((t0 - r(5, 25), t0 + r(5, 25)), 4 * 10**15),
    ]
    used: set[int] = set()
    for (lo, hi), liq in ranges:
        a0, a1 = get_amounts_for_liquidity(s0, S(lo), S(hi), liq)
        evm.mint(pool, lo, hi, a0 + 2, a1 + 2)
        used |= {lo, hi}
    return used


def _read_state(evm, pool, ticks: set[int]) -> PoolState:
    s, tick = evm.slot0(pool)
    liq = evm.call(pool.address, "liquidity()", out=["uint128"])
    init, nets = [], []
    for t in sorted(ticks):
        info = evm.call(pool.address, "ticks(int24)", t, out=TICK_OUT)
        if info[7]:
            init.append(t)
            nets.append(info[1])
    return PoolState(s, tick, liq, pool.fee, pool.tick_spacing, tuple(init), tuple(nets))


def _draw_swap(rng, st: PoolState, scale: dict[bool, int]) -> tuple[bool, int, int]:
    """A random (zero_for_one, amount_specified, sqrt_price_limit_x96) valid for state ``st``."""
    zfo = bool(rng.integers(2))
    room = st.sqrt_price_x96 - MIN_SQRT_RATIO - 1 if zfo else MAX_SQRT_RATIO - 1 - st.sqrt_price_x96
    if room <= 0:
        zfo = not zfo
    kind = rng.integers(4)
    # "no limit": the router's own MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1 for spacing >= 10; for
    # spacing 1 a price 50,000 ticks away (~200 bitmap words: a swap across ~2,700 empty words
    # of a spacing-1 pool runs out of the 16 M gas the suite sends)
    far = MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1
    if st.tick_spacing < 10:
        far = (
            S(max(st.tick - 50_000, MIN_TICK + 1))
            if zfo
            else S(min(st.tick + 50_000, MAX_TICK - 1))
        )
    if kind == 0:
        limit = far
    elif kind == 1 and st.ticks:  # exactly an initialized tick's price, when one lies that way
        # (the spacing-1 full-range position sits on MIN_TICK/MAX_TICK, whose prices are exactly
        # MIN/MAX_SQRT_RATIO: a limit the pool refuses with 'SPL', as we predict)
        side = [
            t for t in st.ticks if (S(t) < st.sqrt_price_x96 if zfo else S(t) > st.sqrt_price_x96)
        ]
        if side:
            limit = S(side[int(rng.integers(len(side)))])
        else:
            limit = far
    else:  # a random price up to ~1000 spacings away
        dt = int(rng.integers(1, 1000 * st.tick_spacing))
        t = st.tick - dt if zfo else st.tick + dt
        t = min(max(t, MIN_TICK + 1), MAX_TICK - 2)
        limit = S(t) + ((S(t + 1) - S(t)) * int(rng.integers(0, 2**32)) >> 32)
        if (zfo and not limit < st.sqrt_price_x96) or (not zfo and not limit > st.sqrt_price_x96):
            limit = far
    # amounts log-uniform up to ~4x what moves the price ~2000 spacings (several crossings)
    amount = int(10 ** rng.uniform(0, math.log10(scale[zfo] * 4)))
    exact_out = bool(rng.integers(2))
    return zfo, -amount if exact_out else amount, limit


def _calibrate(st: PoolState) -> dict[bool, int]:
    """Input amounts (raw) that move the price ~2000 tick spacings each way (our model)."""
    out = {}
    for zfo in (True, False):
        t = st.tick + (-2000 if zfo else 2000) * st.tick_spacing
        r = swap_exact(st, zfo, 2**200, S(min(max(t, MIN_TICK + 1), MAX_TICK - 1)))
        out[zfo] = max(r.amount0 if zfo else r.amount1, 10)
    return out


def _swap_call(evm, pool, zfo: bool, amount: int, limit: int) -> tuple[str, bytes]:
    tin, tout = (pool.token0, pool.token1) if zfo else (pool.token1, pool.token0)
    if amount > 0:
        params = (tin.address, tout.address, pool.fee, evm.sender, evm.DEADLINE, amount, 0, limit)
        return evm.addr["router"], encode_call(EXACT_IN, params)
    params = (tin.address, tout.address, pool.fee, evm.sender, evm.DEADLINE, -amount, MAX_UINT,
              limit)  # fmt: skip
    return evm.addr["router"], encode_call(EXACT_OUT, params)


def _ours(st: PoolState, zfo: bool, amount: int, limit: int):
    """swap_exact, or why the router must revert (a pool revert, or nothing to pay)."""
    try:
        r = swap_exact(st, zfo, amount, limit)
    except SwapError as e:
        return str(e).split(":")[0]
    if r.amount0 <= 0 and r.amount1 <= 0:  # SwapRouter: swaps within zero liquidity unsupported
        return "nothing to pay (SwapRouter)"
    return r




def _check_float_twin(pool, st: PoolState, got: tuple, ours: SwapResult, ctx: str) -> int:
    """The float twin (human units, from the pool's own ticks) against the pool's real swap.

    The base the pool actually took in (or paid out) goes through ``float_swap`` from the same
    start; the quote and price after must agree to 1e-9 relative, plus 2 raw units of quote per
    step of the pool's loop (each step rounds its amounts and fee to the unit; a step ends at an
    initialized tick or a 256-spacing bitmap word). Returns 1 when checked.
    """
    spec = pool.spec
    base_raw, quote_raw = (got[0], got[1]) if spec.base_is_token0 else (got[1], got[0])
    if base_raw == 0:
        return 0
    scale_b, scale_q = 10**spec.base_decimals, 10**spec.quote_decimals
    prof = LiquidityProfile.from_pool_state(st, spec)
    p0 = spec.sqrt_price_x96_to_price(st.sqrt_price_x96)
    q, p1 = float_swap(prof, p0, base_raw / scale_b)
    q_pool = -quote_raw / scale_q
    steps = ours.ticks_crossed + abs(ours.tick - st.tick) // (256 * st.tick_spacing) + 2
    tol = 1e-9 * abs(q_pool) + 2 * steps / scale_q
    assert abs(q - q_pool) <= tol, f"float {q} vs pool {q_pool} ({steps} steps): {ctx}"
    p_pool = spec.sqrt_price_x96_to_price(got[2])
    assert p1 == pytest.approx(p_pool, rel=1e-9), f"float price {p1} vs pool {p_pool}: {ctx}"
    return 1


def test_swaps_match_pool_to_the_wei(snapshot, wei_cases):
    evm = snapshot
    rng = np.random.default_rng(20261130)
    pools = [evm.pools["USDC-500"], evm.pools["USDT-100"]]
    ticks = {}
    for pool in pools:
        evm.send(pool.address, encode_call("initialize(uint160)", sqrt_price_x96_for(pool, 3000.0)))
        ticks[pool.address] = _mint_positions(evm, pool, rng)
    counts = {"swaps": 0, "exact_out": 0, "zfo": 0, "crossed>=2": 0, "at_limit": 0, "float": 0}
    reverts: dict[str, int] = {}
    for rnd in range(ROUNDS):
        cases, plans = [], []
        bases = {p.address: _read_state(evm, p, ticks[p.address]) for p in pools}
        for pool in pools:
            base = bases[pool.address]
            assert len(base.ticks) >= 8, f"expected several initialized ticks, got {base.ticks}"
            scale = _calibrate(base)
            for _ in range(CASES_PER_ROUND):
                st = base
                bal = [(pool.token0.address, encode_call("balanceOf(address)", pool.address)),
                       (pool.token1.address, encode_call("balanceOf(address)", pool.address))]  # fmt: skip
                calls, plan = list(bal), []
                for _ in range(int(rng.integers(1, 5))):
                    zfo, amount, limit = _draw_swap(rng, st, scale)
                    ours = _ours(st, zfo, amount, limit)
                    calls.append(_swap_call(evm, pool, zfo, amount, limit))
                    calls += bal
                    calls += [(pool.address, encode_call("slot0()")),
                              (pool.address, encode_call("liquidity()"))]  # fmt: skip
                    plan.append((st, zfo, amount, limit, ours))
                    if isinstance(ours, SwapResult):
                        st = st.after(ours)
                cases.append(calls)
                plans.append((pool, plan))
        results = evm.simulate(cases)
        for (pool, plan), res in zip(plans, results, strict=True):
            b0 = decode(["uint256"], res[0][1])[0]
            b1 = decode(["uint256"], res[1][1])[0]
            for i, (st, zfo, amount, limit, ours) in enumerate(plan):
                swap_res, r0, r1, r_slot0, r_liq = res[2 + 5 * i : 7 + 5 * i]
                ctx = (f"round {rnd} {pool.label}: swap_exact({st}, zero_for_one={zfo}, "
                       f"amount_specified={amount}, sqrt_price_limit_x96={limit})")  # fmt: skip
                if not isinstance(ours, SwapResult):
                    assert not swap_res[0], f"pool swapped where we predict '{ours}': {ctx}"
                    reverts[ours] = reverts.get(ours, 0) + 1
                    continue
                assert swap_res[0], f"router reverted ({evm.reason(swap_res[1])}): {ctx}"
                n0, n1 = decode(["uint256"], r0[1])[0], decode(["uint256"], r1[1])[0]
                sqrt_c, tick_c = decode(["uint160", "int24"], r_slot0[1][:64])
                liq_c = decode(["uint128"], r_liq[1])[0]
                got = (n0 - b0, n1 - b1, sqrt_c, tick_c, liq_c)
                want = (ours.amount0, ours.amount1, ours.sqrt_price_x96, ours.tick, ours.liquidity)
                assert got == want, f"pool {got} vs ours {want}: {ctx}"
                b0, b1 = n0, n1
                counts["swaps"] += 1
                counts["exact_out"] += amount < 0
                counts["zfo"] += zfo
                counts["crossed>=2"] += ours.ticks_crossed >= 2
                counts["at_limit"] += ours.sqrt_price_x96 == limit
                if i == 0 and ours.sqrt_price_x96 != limit:  # the float twin on the real pool
                    counts["float"] += _check_float_twin(pool, st, got, ours, ctx)
        # move the base state for real: one random swap per pool, checked the same way
        for pool in pools:
            st = bases[pool.address]
            zfo, amount, limit = _draw_swap(rng, st, _calibrate(st))
            ours = _ours(st, zfo, amount, limit)
            if not isinstance(ours, SwapResult):
                continue
            evm.send(*_swap_call(evm, pool, zfo, amount, limit))
            after = _read_state(evm, pool, ticks[pool.address])
            assert after == st.after(ours), f"sent swap: pool {after} vs ours {st.after(ours)}"
    assert counts["swaps"] >= 500, counts
    for key in ("exact_out", "zfo", "crossed>=2", "at_limit", "float"):
        assert counts[key] >= 50, f"too few {key} cases: {counts}"
    wei_cases["swap: amounts, sqrt price, tick, liquidity after a swap (router)"] += counts["swaps"]
    wei_cases["coverage: swap crossing >= 2 initialized ticks"] += counts["crossed>=2"]
    wei_cases["coverage: swap stopped at the price limit"] += counts["at_limit"]
    wei_cases["coverage: swap with exact output"] += counts["exact_out"]
    wei_cases["coverage: float twin = pool swap (1e-9 + rounding)"] += counts["float"]
    for why, k in reverts.items():
        wei_cases[f"swap: predicted revert ({why})"] += k

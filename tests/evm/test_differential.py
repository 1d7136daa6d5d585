"""lpperp's exact math against the real Uniswap v3 contracts, to the wei, on randomized cases.

Each hypothesis example draws a batch of cases; each case runs as one ``eth_simulateV1`` request on
its own copy of the node's state (all cases of a batch in one HTTP round trip), so nothing the cases
do persists. What is compared, per case:

- ticks: ``initialize(sqrtPriceX96)`` then ``slot0().tick`` is the contract's ``getTickAtSqrtRatio``.
  Initialising one pool at our ``S(t) = get_sqrt_ratio_at_tick(t)`` and another at ``S(t) - 1`` and
  reading ticks ``t`` and ``t - 1`` proves the contract's ``getSqrtRatioAtTick(t)`` equals ours to the
  unit (getTickAtSqrtRatio(x) is the largest tick whose ratio is <= x), so both directions are
  checked with real contract answers, at random and at extreme ticks;
- mint: the position manager turns desired amounts into liquidity with LiquidityAmounts
  (``get_liquidity_for_amounts``) and the pool charges amounts rounded up (``amounts_for_mint``);
- after a real swap through the SwapRouter moves the price to a random limit: uncollected fees (a
  ``collect`` on the position manager vs ``lpperp.chain.fee_growth_inside``/``uncollected_fees``),
  a partial and the remaining burn via ``decreaseLiquidity`` (``amounts_for_burn``, rounded down),
  and the value of everything burned vs ``LPPosition.from_ticks(...).value`` (float, 1e-9);
- both token orders (USDC below WETH, USDT above), i.e. decimals 6/18 and 18/6.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lpperp._abi import decode, encode_call
from lpperp._validate import LpperpError
from lpperp.chain import fee_growth_inside, uncollected_fees
from lpperp.liquidity import (
    amounts_for_burn,
    amounts_for_mint,
    get_amounts_for_liquidity,
    get_liquidity_for_amounts,
)
from lpperp.position import LPPosition
from lpperp.units import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

pytestmark = pytest.mark.evm

S = get_sqrt_ratio_at_tick
U128_MAX = 2**128 - 1


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


# ---------------------------------------------------------------------------------------------
# tick <-> sqrt price
# ---------------------------------------------------------------------------------------------
ticks = st.one_of(
    st.integers(MIN_TICK + 1, MAX_TICK - 1),
    st.integers(-300_000, 300_000),
    st.sampled_from([MIN_TICK + 1, MIN_TICK + 2, -1, 0, 1, MAX_TICK - 2, MAX_TICK - 1]),
)
sqrt_prices = st.one_of(
    st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1),
    st.builds(
        lambda k, m: min(max(m >> (256 - k), MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1),
        st.integers(33, 160),
        st.integers(0, 2**256 - 1),
    ),
    st.sampled_from([MIN_SQRT_RATIO, MIN_SQRT_RATIO + 1, 2**96, MAX_SQRT_RATIO - 1]),
)


def _init_and_read(pool: str, sqrt_price_x96: int) -> list[tuple[str, bytes]]:
    return [
        (pool, encode_call("initialize(uint160)", sqrt_price_x96)),
        (pool, encode_call("slot0()")),
    ]


@_settings(25)
@given(st.lists(st.tuples(ticks, sqrt_prices), min_size=20, max_size=20))
def test_tick_math_matches_pool(evm, wei_cases, batch):
    p1, p2, p3 = (evm.pools[k].address for k in ("USDC-100", "USDT-100", "USDC-500"))
    cases = [
        _init_and_read(p1, S(t)) + _init_and_read(p2, S(t) - 1) + _init_and_read(p3, s)
        for t, s in batch
    ]
    for (t, s), res in zip(batch, evm.simulate(cases), strict=True):
        assert all(ok for ok, _ in res), [evm.reason(d) for ok, d in res if not ok]
        tick_at, tick_below, tick_s = (
            decode(["uint160", "int24"], res[i][1])[1] for i in (1, 3, 5)
        )
        assert (tick_at, tick_below) == (t, t - 1), f"S({t}) = {S(t)}"
        assert get_tick_at_sqrt_ratio(S(t)) == t and get_tick_at_sqrt_ratio(S(t) - 1) == t - 1
        assert tick_s == get_tick_at_sqrt_ratio(s), f"sqrtPriceX96 = {s}"
    wei_cases["tick: S(t), S(t) - 1 and a random sqrt price"] += len(batch)


def test_tick_math_extremes(evm, wei_cases):
    """MIN_TICK and MAX_TICK: the constants, and the pool's own refusals at the edges."""
    assert S(MIN_TICK) == MIN_SQRT_RATIO and S(MAX_TICK) == MAX_SQRT_RATIO
    pool = evm.pools["USDC-100"].address
    res = evm.simulate(
        [
            _init_and_read(pool, MIN_SQRT_RATIO),
            _init_and_read(pool, MAX_SQRT_RATIO - 1),
            _init_and_read(pool, MIN_SQRT_RATIO - 1),
            _init_and_read(pool, MAX_SQRT_RATIO),
        ]
    )
    assert decode(["uint160", "int24"], res[0][1][1]) == (MIN_SQRT_RATIO, MIN_TICK)
    assert decode(["uint160", "int24"], res[1][1][1]) == (MAX_SQRT_RATIO - 1, MAX_TICK - 1)
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    for case in res[2:]:  # outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO): the pool reverts with "R"
        assert not case[0][0] and evm.reason(case[0][1]) == "R"
    for bad in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO):
        with pytest.raises(LpperpError):
            get_tick_at_sqrt_ratio(bad)
    wei_cases["fixed: tick extremes (MIN/MAX, reverts outside)"] += 4


#: ticks where getSqrtRatioAtTick's 19 shifted Q128 products decide the last units (247177: the
#: true value is ...570101610.53, the contract's ...570101624; mutation/equivalent/units.md)
ROUNDING_TICKS = (247177, -247177, 247176, 247178)


def test_tick_math_at_rounding_sensitive_ticks(evm, wei_cases):
    """The pool reports tick t at S(t) and S(t) + 1 and t - 1 at S(t) - 1: the contract's own
    getSqrtRatioAtTick(t) is S(t) (tests/test_units_tick_boundaries.py pins these values)."""
    pool = evm.pools["USDC-100"].address
    cases = [_init_and_read(pool, S(t) + d) for t in ROUNDING_TICKS for d in (-1, 0, 1)]
    got = [decode(["uint160", "int24"], res[1][1])[1] for res in evm.simulate(cases)]
    assert got == [t + d for t in ROUNDING_TICKS for d in (-1, 0, 0)]
    wei_cases["fixed: tick math at rounding-sensitive ticks (S(t) - 1, S(t), S(t) + 1)"] += 12


# ---------------------------------------------------------------------------------------------
# mint, swap, fees, burn, value
# ---------------------------------------------------------------------------------------------
@st.composite
def position_case(draw):
    pool_key = draw(st.sampled_from(["USDC-100", "USDT-100"]))
    t0 = draw(st.one_of(st.integers(-250_000, 250_000), st.integers(MIN_TICK, MAX_TICK - 1)))
    frac = draw(st.one_of(st.just(0), st.integers(0, 2**32 - 1)))
    s0 = S(t0) + (((S(t0 + 1) - S(t0)) * frac) >> 32)
    if draw(st.integers(0, 3)):  # mostly ranges around the price, sometimes anywhere near it
        lo = max(t0 - draw(st.integers(0, 30_000)), MIN_TICK)
        hi = min(t0 + 1 + draw(st.integers(0, 30_000)), MAX_TICK)
    else:
        lo = min(max(t0 + draw(st.integers(-30_000, 30_000)), MIN_TICK), MAX_TICK - 1)
        hi = min(lo + draw(st.one_of(st.integers(1, 60_000), st.integers(1, 20))), MAX_TICK)
    if draw(st.booleans()):  # amounts sized for a target liquidity (+ a surplus of either token)
        target = draw(st.integers(1, 2**100))
        a0, a1 = get_amounts_for_liquidity(s0, S(lo), S(hi), target)
        d0 = a0 + draw(st.integers(0, max(a0, 1)))
        d1 = a1 + draw(st.integers(0, max(a1, 1)))
    else:
        d0 = draw(st.integers(0, 2**128))
        d1 = draw(st.integers(0, 2**128))
    burn_frac = draw(st.integers(1, 2**16))
    if draw(st.integers(0, 3)):  # mostly a swap to somewhere in or near the range
        target_tick = draw(st.integers(lo - 2_000, hi + 2_000))
    else:
        target_tick = t0 + draw(st.integers(-40_000, 40_000))
    target_tick = min(max(target_tick, MIN_TICK + 1), MAX_TICK - 2)
    limit = S(target_tick) + (((S(target_tick + 1) - S(target_tick)) * draw(
        st.integers(0, 2**32 - 1))) >> 32)  # fmt: skip
    return pool_key, s0, lo, hi, d0, d1, burn_frac, limit


def _expected_liquidity(s0, lo, hi, d0, d1, max_per_tick):
    """Our liquidity for the desired amounts, or the reason the contracts must revert."""
    try:
        liq = get_liquidity_for_amounts(s0, S(lo), S(hi), d0, d1)
    except LpperpError:
        return None, "uint128 overflow"
    if liq == 0:
        return None, "zero liquidity"
    if liq > max_per_tick:
        return None, "LO"
    return liq, None




@_settings(60)
@given(st.lists(position_case(), min_size=24, max_size=24))
@example(  # found by hypothesis: at tick -448600 a swap with amountIn 2**127 ran out of input
    [("USDC-100", 14752578044383641734, -448600, -448105, 340137021726716619523181786152199606,
      5754613426163721551, 1, 14392670516629379225)]
)  # fmt: skip
def test_mint_swap_fees_burn_match_contracts(evm, wei_cases, batch):
    npm, router, me = evm.addr["npm"], evm.addr["router"], evm.sender
    MINT_SIG, SWAP_SIG, DEADLINE = evm.MINT_SIG, evm.SWAP_SIG, evm.DEADLINE
    COLLECT_SIG, DECREASE_SIG = evm.COLLECT_SIG, evm.DECREASE_SIG
    token_id = evm.call(npm, "totalSupply()", out=["uint256"]) + 1  # next id in every simulation
    max_per_tick = {
        k: evm.call(evm.pools[k].address, "maxLiquidityPerTick()", out=["uint128"])
        for k in ("USDC-100", "USDT-100")
    }
    cases, plans = [], []
    for pool_key, s0, lo, hi, d0, d1, burn_frac, limit in batch:
        pool = evm.pools[pool_key]
        liq, why = _expected_liquidity(s0, lo, hi, d0, d1, max_per_tick[pool_key])
        calls = _init_and_read(pool.address, s0)
        calls.append((npm, encode_call(MINT_SIG, (
            pool.token0.address, pool.token1.address, pool.fee, lo, hi, d0, d1, 0, 0, me, DEADLINE
        ))))  # fmt: skip
        if liq is not None:
            swap = limit != s0
            if swap:
                zero_for_one = limit < s0
                tin, tout = (
                    (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
                )
                calls.append((router, encode_call(SWAP_SIG, (
                    # amountIn 2**199: above what any swap over the whole tick range can take at
                    # the liquidity cap (~2**171), below our balance (2**200): the limit decides
                    tin.address, tout.address, pool.fee, me, DEADLINE, 2**199, 0, limit
                ))))  # fmt: skip
            burn = max(1, (liq * burn_frac) >> 16)
            calls += [
                (pool.address, encode_call("slot0()")),
                (pool.address, encode_call("feeGrowthGlobal0X128()")),
                (pool.address, encode_call("feeGrowthGlobal1X128()")),
                (pool.address, encode_call("ticks(int24)", lo)),
                (pool.address, encode_call("ticks(int24)", hi)),
                (npm, encode_call("positions(uint256)", token_id)),
                (npm, encode_call(COLLECT_SIG, (token_id, me, U128_MAX, U128_MAX))),
                (npm, encode_call(DECREASE_SIG, (token_id, burn, 0, 0, DEADLINE))),
            ]
            if liq - burn:
                calls.append(
                    (npm, encode_call(DECREASE_SIG, (token_id, liq - burn, 0, 0, DEADLINE)))
                )
        else:
            swap, burn = False, 0
        cases.append(calls)
        plans.append((pool, liq, why, swap, burn))

    n_ok = 0
    for case, res, (pool, liq, why, swap, burn) in zip(
        batch, evm.simulate(cases), plans, strict=True
    ):
        _, s0, lo, hi, d0, d1, _, limit = case
        ctx = f"case {case} in {pool.label}"
        assert res[0][0] and res[1][0], f"initialize failed: {ctx}"
        tick0 = decode(["uint160", "int24"], res[1][1])[1]
        assert tick0 == get_tick_at_sqrt_ratio(s0), ctx
        ok, data = res[2]
        if liq is None:
            assert not ok, (
                f"contracts minted {decode(['uint256'] * 4, data)} where we expect a revert ({why}): {ctx}"
            )
            continue
        assert ok, f"mint reverted ({evm.reason(data)}) where we expect liquidity {liq}: {ctx}"
        _, liq_c, a0_c, a1_c = decode(["uint256", "uint128", "uint256", "uint256"], data)
        assert liq_c == liq, f"liquidity: ours {liq}, contracts {liq_c}: {ctx}"
        ours_mint = amounts_for_mint(s0, lo, hi, liq, tick0)
        assert (a0_c, a1_c) == ours_mint, f"mint amounts: ours {ours_mint}: {ctx}"
        assert amounts_for_mint(s0, lo, hi, liq) == ours_mint  # default tick_current agrees

        rest = res[3 + swap :]
        assert all(ok for ok, _ in rest), [evm.reason(d) for ok, d in rest if not ok] + [ctx]
        s1, tick1 = decode(["uint160", "int24"], rest[0][1])[:2]
        if swap and res[3][0]:  # the router stopped exactly at our price limit (amountIn unlimited)
            assert s1 == limit, ctx
        elif swap:  # SwapRouter refuses swaps entirely within zero liquidity: only then
            lo_s, hi_s = sorted((s0, limit))
            assert max(lo_s, S(lo)) >= min(hi_s, S(hi)), (
                f"swap reverted ({evm.reason(res[3][1])}): {ctx}"
            )
            assert s1 == s0
        fg0, fg1 = decode(["uint256"], rest[1][1])[0], decode(["uint256"], rest[2][1])[0]
        t_lo = decode(["uint128", "int128", "uint256", "uint256"], rest[3][1][:128])
        t_hi = decode(["uint128", "int128", "uint256", "uint256"], rest[4][1][:128])
        pos = decode(["uint96", "address", "address", "address", "uint24", "int24", "int24",
                      "uint128", "uint256", "uint256", "uint128", "uint128"], rest[5][1])  # fmt: skip
        assert (pos[5], pos[6], pos[7]) == (lo, hi, liq)
        fees_c = decode(["uint256", "uint256"], rest[6][1])
        g0 = fee_growth_inside(tick1, lo, hi, fg0, t_lo[2], t_hi[2])
        g1 = fee_growth_inside(tick1, lo, hi, fg1, t_lo[3], t_hi[3])
        fees = (
            uncollected_fees(liq, g0, pos[8], pos[10]),
            uncollected_fees(liq, g1, pos[9], pos[11]),
        )
        assert fees == fees_c, f"fees: ours {fees}, contracts {fees_c}: {ctx}"

        burn_c = decode(["uint256", "uint256"], rest[7][1])
        ours_burn = amounts_for_burn(s1, lo, hi, burn, tick1)
        assert burn_c == ours_burn, f"burn {burn}: ours {ours_burn}, contracts {burn_c}: {ctx}"
        total = list(burn_c)
        if liq - burn:
            rest_c = decode(["uint256", "uint256"], rest[8][1])
            ours_rest = amounts_for_burn(s1, lo, hi, liq - burn, tick1)
            assert rest_c == ours_rest, f"burn rest: ours {ours_rest}, contracts {rest_c}: {ctx}"
            total = [total[0] + rest_c[0], total[1] + rest_c[1]]

        # value after the swap: float LPPosition vs what the contracts paid out (human units)
        spec = pool.spec
        price = spec.sqrt_price_x96_to_price(s1)
        lp = LPPosition.from_ticks(lo, hi, liq, spec)
        base_c, quote_c = spec.from_raw_amounts(*total)
        value_c = base_c * price + quote_c
        one_unit = 2 * (10.0**-18 * price + 10.0**-6)  # two raw units of each token per burn
        if math.isfinite(value_c) and value_c > 0:
            assert lp.value(price) == pytest.approx(value_c, rel=1e-9, abs=one_unit), ctx
        n_ok += 1
        wei_cases["coverage: price inside the range at mint"] += S(lo) <= s0 < S(hi)
        wei_cases["coverage: swap moved the price"] += swap and res[3][0]
        wei_cases["coverage: fees > 0"] += fees != (0, 0)
        wei_cases["coverage: partial burn"] += liq > burn
    wei_cases["position: mint L + amounts, fees, burns, value"] += n_ok
    wei_cases["position: revert predicted (L = 0, > maxLiquidityPerTick, uint128)"] += sum(
        1 for p in plans if p[1] is None
    )

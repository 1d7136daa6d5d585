"""lpperp.chain against the node: mint real positions, swap, read them back, compare to the wei."""

from __future__ import annotations

import pytest

from lpperp._abi import decode, encode_call
from lpperp.chain import (
    ChainError,
    ChainPreset,
    NotAUniswapV3PoolError,
    PositionNotFoundError,
    WrongChainError,
    read_pool,
    read_position,
    read_ticks,
    tick_window,
)
from lpperp.liquidity import get_liquidity_for_amounts
from lpperp.swap import swap_exact
from lpperp.units import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

from .conftest import sqrt_price_x96_for

pytestmark = pytest.mark.evm
U128_MAX = 2**128 - 1








def _static(evm, owner, sig, params, out):
    return decode(out, evm.rpc.eth_call(evm.addr["npm"], encode_call(sig, params), "latest", owner))




@pytest.mark.parametrize("sym", ["USDC", "USDT"])  # USDC sorts below WETH, USDT above
def test_read_back_minted_positions_after_swaps(snapshot, wei_cases, sym):
    evm = snapshot
    pool = evm.pools[f"{sym}-3000"]
    lp_owner, trader = evm.accounts[1], evm.accounts[2]
    slot0 = evm.slot0(pool)
    t = slot0[1] - slot0[1] % 60
    up = 1 if pool.weth_is_token0 else -1  # tick direction of a rising WETH price
    above = tuple(sorted((t + up * 1200, t + up * 2400)))  # WETH only: sold as the price rises
    below = tuple(sorted((t - up * 1200, t - up * 2400)))  # stablecoin only
    ranges = [(t - 600, t + 600), (t - 6000, t + 3000), above, below]
    desired = [pool.amounts(10.0, 30_000.0), pool.amounts(3.0, 9_000.0),
               pool.amounts(2.0, 0.0), pool.amounts(0.0, 5_000.0)]  # fmt: skip
    minted = [
        evm.mint(pool, lo, hi, *d, lp_owner) for (lo, hi), d in zip(ranges, desired, strict=True)
    ]
    weth_is_0 = pool.weth_is_token0
    # real swaps both ways move the price and accrue fees
    evm.swap_in(pool, weth_is_0, 2 * 10**18, trader)  # sell 2 WETH
    evm.swap_in(pool, not weth_is_0, 9_000 * 10**6, trader)  # buy back with 9,000 stable
    evm.swap_in(pool, weth_is_0, 3 * 10**18, trader)  # sell 3 WETH: the price ends lower
    chain = evm.preset()
    sqrt_now, tick_now = evm.slot0(pool)
    for (token_id, liq, _, _), (lo, hi), (d0, d1) in zip(minted, ranges, desired, strict=True):
        got = read_position(evm.url, token_id, chain=chain)
        assert (got.tick_lower, got.tick_upper, got.liquidity_raw) == (lo, hi, liq)
        assert got.owner == lp_owner
        spec = got.pool.spec
        assert (spec.base, spec.quote, spec.base_decimals, spec.quote_decimals) == (
            "WETH",
            sym,
            18,
            6,
        )
        assert spec.base_is_token0 == weth_is_0
        assert (got.pool.sqrt_price_x96, got.pool.tick) == (sqrt_now, tick_now)
        assert got.pool.fee_pips == 3000 and got.pool.tick_spacing == 60
        # the minted liquidity is what our LiquidityAmounts port gives for the desired amounts
        s_lo, s_hi = get_sqrt_ratio_at_tick(lo), get_sqrt_ratio_at_tick(hi)
        assert get_liquidity_for_amounts(slot0[0], s_lo, s_hi, d0, d1) == liq
        # uncollected fees == a static collect by the owner; principal == a static full burn
        fees_c = _static(evm, lp_owner, evm.COLLECT_SIG, (token_id, lp_owner, U128_MAX, U128_MAX),
                         ["uint256", "uint256"])  # fmt: skip
        assert (got.fees0_raw, got.fees1_raw) == fees_c
        burn_c = _static(evm, lp_owner, evm.DECREASE_SIG, (token_id, liq, 0, 0, evm.DEADLINE),
                         ["uint256", "uint256"])  # fmt: skip
        assert (got.amounts0_raw, got.amounts1_raw) == burn_c
        # the LPPosition in human units: range in USDC per WETH around 3000, value consistent
        lp = got.lp
        assert lp.pool == spec and lp.liquidity == pytest.approx(spec.liquidity_to_human(liq))
        assert 1000 < lp.price_lower < lp.price_upper < 9000
        base, quote = got.amounts
        assert lp.value(got.price) == pytest.approx(base * got.price + quote, rel=1e-9, abs=1e-5)
        assert got.value >= lp.value(got.price) - 1e-5
        assert "WETH/" + sym in got.summary()
        wei_cases[
            "fixed: chain reader, positions read back after swaps (fees, burn, ticks, L)"
        ] += 1
    assert any(r != (0, 0) for r in [_static(evm, lp_owner, evm.COLLECT_SIG,
               (minted[0][0], lp_owner, U128_MAX, U128_MAX), ["uint256", "uint256"])])  # fmt: skip

    # the user may pick the quote: WETH per stablecoin is the reciprocal price
    flipped = read_position(evm.url, minted[0][0], chain=chain, quote="WETH")
    assert flipped.pool.spec.base == sym and flipped.price == pytest.approx(1 / got.price)
    pool_state = read_pool(evm.url, pool.address, chain=chain)
    assert pool_state.liquidity_raw == evm.call(pool.address, "liquidity()", out=["uint128"])
    assert pool_state.price == pytest.approx(got.price)


def test_clear_errors(snapshot):
    evm = snapshot
    chain = evm.preset()
    pool = evm.pools["USDC-3000"]
    with pytest.raises(WrongChainError, match=r"chain id 31337.*expects chain id 42161"):
        read_position(evm.url, 1, chain="arbitrum")
    with pytest.raises(PositionNotFoundError, match="token id 123456789 does not exist"):
        read_position(evm.url, 123456789, chain=chain)
    with pytest.raises(NotAUniswapV3PoolError, match="is not a Uniswap v3 pool"):
        read_pool(evm.url, evm.tokens["WETH"].address, chain=chain)  # an ERC-20, not a pool
    with pytest.raises(NotAUniswapV3PoolError, match="no contract"):
        read_pool(evm.url, evm.accounts[2], chain=chain)
    with pytest.raises(ChainError, match="not initialized"):
        read_pool(evm.url, evm.pools["USDC-100"].address, chain=chain)
    with pytest.raises(ChainError, match="no position manager contract"):
        read_position(evm.url, 1, chain=ChainPreset("anvil", None, evm.accounts[2], chain.factory))
    # a real v3 pool from another factory is not a pool of this preset's factory
    other = evm.deploy("factory")
    evm.send(other, encode_call("createPool(address,address,uint24)", pool.token0.address,
                                pool.token1.address, 3000))  # fmt: skip
    stray = evm.call(other, "getPool(address,address,uint24)", pool.token0.address,
                     pool.token1.address, 3000, out=["address"])  # fmt: skip
    evm.send(stray, encode_call("initialize(uint160)", 2**96))
    with pytest.raises(NotAUniswapV3PoolError, match="not a pool of the Uniswap v3 factory"):
        read_pool(evm.url, stray, chain=chain)
    assert read_pool(evm.url, stray, chain=None).fee_pips == 3000  # no factory check asked
    # a burned position is gone
    lp_owner = evm.accounts[1]
    token_id, liq, *_ = evm.mint(
        pool, -887220, 887220, *pool.amounts(1.0, 3000.0), lp_owner
    )
    evm.send(evm.addr["npm"], encode_call(evm.DECREASE_SIG, (token_id, liq, 0, 0, evm.DEADLINE)),
             sender=lp_owner)  # fmt: skip
    evm.send(evm.addr["npm"], encode_call(evm.COLLECT_SIG, (token_id, lp_owner, U128_MAX,
                                                            U128_MAX)), sender=lp_owner)  # fmt: skip
    assert read_position(evm.url, token_id, chain=chain).liquidity_raw == 0  # closed, not burned
    evm.send(evm.addr["npm"], encode_call("burn(uint256)", token_id), sender=lp_owner)
    with pytest.raises(PositionNotFoundError, match="Invalid token ID"):
        read_position(evm.url, token_id, chain=chain)


def test_notebook_reads_a_position_from_the_node(snapshot, monkeypatch):
    """notebooks/07_your_position.ipynb, pointed at this node through its environment variables."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from pathlib import Path

    evm = snapshot
    pool = evm.pools["USDT-3000"]  # WETH is token0 here
    slot0 = evm.slot0(pool)
    t = slot0[1] - slot0[1] % 60
    token_id, *_ = evm.mint(pool, t - 1200, t + 1200, *pool.amounts(1.0, 3000.0),
                         evm.accounts[1])  # fmt: skip
    for k, v in {"LPPERP_RPC_URL": evm.url, "LPPERP_TOKEN_ID": str(token_id),
                 "LPPERP_POSITION_MANAGER": evm.addr["npm"],
                 "LPPERP_FACTORY": evm.addr["factory"]}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    path = Path(__file__).resolve().parents[2] / "notebooks" / "07_your_position.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert f"#{token_id} WETH/USDT 0.3% on custom" in text
    assert "in range: True" in text


def test_load_position_from_a_local_node(snapshot):
    """Without a URL: the node's newest position; an unusable node falls back with a warning."""
    from lpperp.chain import latest_token_id, load_position

    evm = snapshot
    chain = evm.preset()
    pool = evm.pools["USDC-3000"]
    slot0 = evm.slot0(pool)
    t = slot0[1] - slot0[1] % 60
    assert latest_token_id(evm.url, chain=chain) is None
    with pytest.warns(UserWarning, match="holds no position"):
        assert load_position(None, chain=chain, local_url=evm.url).pool.chain.startswith("example")
    ids = [evm.mint(pool, t - 60 * k, t + 60 * k, *pool.amounts(1.0, 3000.0),
                 evm.accounts[1])[0] for k in (1, 2)]  # fmt: skip
    assert latest_token_id(evm.url, chain=chain) == ids[-1]
    pos = load_position(None, chain=chain, local_url=evm.url)
    assert (pos.token_id, pos.tick_lower, pos.pool.chain) == (ids[-1], t - 120, "anvil")
    assert load_position(None, ids[0], chain=chain, local_url=evm.url).tick_upper == t + 60
    with pytest.warns(UserWarning, match="chain id 31337"):  # a node, but not Arbitrum
        assert load_position(None, local_url=evm.url).pool.chain.startswith("example")


# ---------------------------------------------------------------------------------------------
# read_ticks: the initialized ticks of the real pool, and a swap computed on them
# ---------------------------------------------------------------------------------------------


def _swap_on_read_ticks(evm, pool, zero_for_one, amount_in, trader, word_radius, wei_cases):
    """read_ticks, swap_exact on what it read, then the same swap through the router: amounts,
    price, tick and liquidity after must agree to the wei. Returns (state read, prediction)."""
    state = read_ticks(evm.url, pool.address, word_radius=word_radius)
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    predicted = swap_exact(state, zero_for_one, amount_in, limit)
    out = evm.swap_in(pool, zero_for_one, amount_in, trader)
    paid_in, paid_out = (predicted.amount0, predicted.amount1)[:: 1 if zero_for_one else -1]
    assert (paid_in, -paid_out) == (amount_in, out)
    assert (predicted.sqrt_price_x96, predicted.tick) == evm.slot0(pool)
    assert predicted.liquidity == evm.call(pool.address, "liquidity()", out=["uint128"])
    wei_cases["fixed: read_ticks state -> swap_exact == pool swap (amounts, price, tick, L)"] += 1
    return state, predicted


@pytest.mark.parametrize("sym", ["USDC", "USDT"])  # token order both ways
def test_read_ticks_matches_the_pool_and_its_swaps(snapshot, wei_cases, sym):
    evm = snapshot
    pool = evm.pools[f"{sym}-3000"]
    lp_owner, trader = evm.accounts[1], evm.accounts[2]
    t = evm.slot0(pool)[1]
    t -= t % 60
    ranges = [(t - 600, t + 600), (t - 1800, t + 1200), (t - 3000, t - 600), (t + 600, t + 2400),
              (t - 120, t + 60), (t - 1800, t + 600)]  # fmt: skip
    expected: dict[int, int] = {}
    for k, (lo, hi) in enumerate(ranges):
        d = pool.amounts(2.0 + k, 6_000.0 * (k + 1))
        _, liq, _, _ = evm.mint(pool, lo, hi, *d, lp_owner)
        expected[lo] = expected.get(lo, 0) + liq
        expected[hi] = expected.get(hi, 0) - liq
    want = {k: v for k, v in sorted(expected.items())}
    state = read_ticks(evm.url, pool.address, word_radius=2)
    assert state.ticks == tuple(want) and state.liquidity_net == tuple(want.values())
    assert state.liquidity == evm.call(pool.address, "liquidity()", out=["uint128"])
    # the active liquidity is the sum of liquidityNet over the initialized ticks at or below
    assert sum(
        n for x, n in zip(state.ticks, state.liquidity_net, strict=True) if x <= state.tick
    ) == (state.liquidity)
    assert (state.fee_pips, state.tick_spacing) == (3000, 60)
    lo, hi = tick_window(state.tick, 60, 2)
    assert lo <= min(state.ticks) and max(state.ticks) <= hi
    # a swap computed on the read state equals the pool's, to the wei, both ways, crossing ticks
    weth_is_0 = pool.weth_is_token0
    crossed = 0
    for zero_for_one, amount_in in ((weth_is_0, 12 * 10**18), (not weth_is_0, 70_000 * 10**6),
                                    (weth_is_0, 3 * 10**18)):  # fmt: skip
        _, predicted = _swap_on_read_ticks(evm, pool, zero_for_one, amount_in, trader, 1, wei_cases)
        crossed += predicted.ticks_crossed
    assert crossed >= 3, "the swaps should cross initialized ticks"
    # bounded: a tiny cap is a clear error, not a long read
    with pytest.raises(ChainError, match="more than max_ticks=2 initialized ticks"):
        read_ticks(evm.url, pool.address, max_ticks=2)
    with pytest.raises(ChainError, match="not initialized"):
        read_ticks(evm.url, evm.pools[f"{sym}-100"].address)
    with pytest.raises(NotAUniswapV3PoolError, match="not a Uniswap v3 pool"):
        read_ticks(evm.url, evm.tokens["WETH"].address)


def test_read_ticks_across_bitmap_words(snapshot, wei_cases):
    """Tick spacing 1 (0.01 % tier): 256 ticks per bitmap word, positions spanning several words."""
    evm = snapshot
    pool = evm.pools["USDC-100"]  # USDC is token0 here: ticks are positive
    evm.send(pool.address, encode_call("initialize(uint160)", sqrt_price_x96_for(pool, 3000.0)))
    lp_owner, trader = evm.accounts[1], evm.accounts[2]
    t = evm.slot0(pool)[1]
    ranges = [(t - 700, t + 650), (t - 300, t + 257), (t - 1, t + 1), (t - 1300, t - 256),
              (t + 3, t + 900), (t - 513, t + 512)]  # fmt: skip
    want: dict[int, int] = {}
    for k, (lo, hi) in enumerate(ranges):
        _, liq, _, _ = evm.mint(pool, lo, hi, *pool.amounts(1.0 + k, 3_000.0 * (k + 1)),
                             lp_owner)  # fmt: skip
        want[lo] = want.get(lo, 0) + liq
        want[hi] = want.get(hi, 0) - liq
    want = dict(sorted(want.items()))
    words = {x >> 8 for x in want}
    assert len(words) >= 5, words
    full = read_ticks(evm.url, pool.address, word_radius=6)
    assert (full.ticks, full.liquidity_net) == (tuple(want), tuple(want.values()))
    for r in (0, 1, 2):  # a narrower window is exactly the ticks inside tick_window
        lo, hi = tick_window(full.tick, 1, r)
        part = read_ticks(evm.url, pool.address, word_radius=r)
        inside = {k: v for k, v in want.items() if lo <= k <= hi}
        assert (part.ticks, part.liquidity_net) == (tuple(inside), tuple(inside.values()))
    weth_is_0 = pool.weth_is_token0
    for sell_weth, amount_in in ((True, 10 * 10**18), (False, 60_000 * 10**6)):
        zero_for_one = sell_weth == weth_is_0
        state, predicted = _swap_on_read_ticks(evm, pool, zero_for_one, amount_in, trader, 6,
                                               wei_cases)  # fmt: skip
        assert predicted.ticks_crossed >= 2 and predicted.tick >> 8 != state.tick >> 8  # new word

"""A pool's initialized ticks around the price, read from its ``tickBitmap``, for exact swaps.

:func:`read_ticks` returns a :class:`lpperp.swap.PoolState` that :func:`lpperp.swap.swap_exact`
swaps on exactly, as long as the swap stays inside :func:`tick_window`.
"""

from __future__ import annotations

from lpperp import swap
from lpperp._rpc import ChainError, JsonRpcClient, RpcCallError
from lpperp._validate import integer
from lpperp.chain.errors import NotAUniswapV3PoolError
from lpperp.chain.pools import TICK_INFO, check_pool_reads, read_views
from lpperp.chain.presets import address_arg
from lpperp.chain.reader import Reader, reply_checked
from lpperp.units import MAX_TICK, MIN_TICK

__all__ = ["MAX_WORD_RADIUS", "read_ticks", "tick_window"]

MAX_WORD_RADIUS = 128
"""Largest ``word_radius`` of :func:`read_ticks` (257 bitmap words: 65,792 tick spacings)."""


def tick_window(tick: int, tick_spacing: int, word_radius: int) -> tuple[int, int]:
    """Lowest and highest tick :func:`read_ticks` sees: ``word_radius`` bitmap words each side.

    The pool's ``tickBitmap`` word ``w`` holds the ticks ``(256 w + b) * spacing``, ``b`` in
    ``0..255``; the current word is ``floor(tick / spacing) >> 8`` (``TickBitmap.position`` after
    the floor of ``nextInitializedTickWithinOneWord``), clipped to the words that hold ticks in
    ``[MIN_TICK, MAX_TICK]``. Uniswap/v3-core ``contracts/libraries/TickBitmap.sol`` @ 011e06f.

    Examples
    --------
    >>> tick_window(-200_000, 60, 1)  # spacing 60: words -15..-13 around word -14
    (-230400, -184380)
    >>> tick_window(0, 1, 0)
    (0, 255)
    """
    t = integer("tick", tick, MIN_TICK, MAX_TICK)
    sp = integer("tick_spacing", tick_spacing, 1, 16383)
    r = integer("word_radius", word_radius, 0, MAX_WORD_RADIUS)
    w_lo, w_hi = _word_range(t, sp, r)
    lo = max(256 * w_lo * sp, -(-MIN_TICK // sp) * sp)
    hi = min((256 * w_hi + 255) * sp, MAX_TICK // sp * sp)
    return lo, hi


def _word_range(tick: int, spacing: int, radius: int) -> tuple[int, int]:
    word = (tick // spacing) >> 8
    lowest, highest = (MIN_TICK // spacing) >> 8, (MAX_TICK // spacing) >> 8
    return max(word - radius, lowest), min(word + radius, highest)


def read_ticks(
    rpc: str | JsonRpcClient,
    pool_address: str,
    *,
    word_radius: int = 2,
    max_ticks: int = 5000,
    timeout_s: float = 10.0,
) -> swap.PoolState:
    """A pool's price, active liquidity and initialized ticks around the price, for swaps.

    Read-only and bounded: at one pinned block, ``slot0``, ``liquidity``, ``fee`` and
    ``tickSpacing``; then the ``tickBitmap`` words of the current word +- ``word_radius``
    (:func:`tick_window`: ``2 r + 1`` words of 256 tick spacings each, at most
    ``2 * MAX_WORD_RADIUS + 1``); then ``ticks(i)`` for every bit set, keeping ``liquidityNet``.
    About ``3 + (2 r + 1 + n_ticks) / 200`` HTTP round trips.

    Parameters
    ----------
    rpc : str or JsonRpcClient
        RPC URL (http/https) or an open client.
    pool_address : str
        A Uniswap v3 pool.
    word_radius : int
        Bitmap words read on each side of the current one, ``0..MAX_WORD_RADIUS``. Spacing 60
        (0.3 %): one word is 15,360 ticks, a price factor of 4.6; spacing 10 (0.05 %): 2,560
        ticks, a factor of 1.29; spacing 1 (0.01 %): 256 ticks, +-2.6 %.
    max_ticks : int
        Refuse windows holding more initialized ticks (a :class:`ChainError` saying so).
    timeout_s : float
        Deadline of each RPC call, seconds.

    Returns
    -------
    lpperp.swap.PoolState
        ``ticks`` / ``liquidity_net`` hold the initialized ticks inside :func:`tick_window` only:
        :func:`lpperp.swap.swap_exact` on it is exact for swaps that stay inside that window.

    Raises
    ------
    RpcUnreachableError, NotAUniswapV3PoolError, ChainError

    Examples
    --------
    >>> read_ticks("http://127.0.0.1:9", "0x" + "11" * 20, timeout_s=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
    """
    address = address_arg("pool_address", pool_address)
    radius = integer("word_radius", word_radius, 0, MAX_WORD_RADIUS)
    cap = integer("max_ticks", max_ticks, 1, 10**6)
    where = f"pool {address}"
    with Reader(rpc, None, timeout_s) as reader:
        reader.start(address, NotAUniswapV3PoolError(f"there is no contract at {address}"))
        head, _ = read_views(reader, address, ["slot0", "liquidity", "fee", "tickSpacing"], address)
        (sqrt_p, tick, *_), (liquidity,), (fee,), (spacing,) = head
        check_pool_reads(where, fee, spacing, sqrt_p, tick)
        w_lo, w_hi = _word_range(tick, spacing, radius)
        words = list(range(w_lo, w_hi + 1))
        bitmaps = reader.calls([(address, "tickBitmap(int16)", (w,), ["uint256"]) for w in words])
        found: list[int] = []
        for w, bm in zip(words, bitmaps, strict=True):
            if isinstance(bm, RpcCallError):
                raise ChainError(f"{where}: tickBitmap({w}) failed: {bm}")
            bits = bm[0]
            while bits:
                low = bits & -bits
                found.append((256 * w + low.bit_length() - 1) * spacing)
                bits ^= low
                if len(found) > cap:
                    lo, hi = tick_window(tick, spacing, radius)
                    raise ChainError(
                        f"{where} has more than max_ticks={cap} initialized ticks in "
                        f"[{lo}, {hi}]: pass a smaller word_radius (now {radius}) or a larger "
                        "max_ticks"
                    )
        found.sort()
        infos = reader.calls([(address, "ticks(int24)", (t,), TICK_INFO) for t in found])
        nets = []
        for t, info in zip(found, infos, strict=True):
            if isinstance(info, RpcCallError):
                raise ChainError(f"{where}: ticks({t}) failed: {info}")
            if not info[7]:
                raise ChainError(
                    f"{where}: tick {t} is set in tickBitmap but ticks({t}).initialized is false"
                )
            nets.append(info[1])
        with reply_checked(where):
            return swap.PoolState(
                sqrt_price_x96=sqrt_p,
                tick=tick,
                liquidity=liquidity,
                fee_pips=fee,
                tick_spacing=spacing,
                ticks=tuple(found),
                liquidity_net=tuple(nets),
            )

"""A misbehaving JSON-RPC node on loopback: every bad reply is a ChainError, every call keeps its deadline.

The node (a thread per connection on 127.0.0.1, stopped by the fixture and by its own lifetime cap)
plays a small, consistent Uniswap v3 world (a WETH/USDC pool, a position manager, a factory, a
Chainlink-style feed) so that ``read_pool``, ``read_position``, ``read_ticks``, ``read_twap``,
``read_chainlink`` and ``latest_token_id`` run all the way through, and then corrupts one chosen
reply: the HTTP framing (status, Content-Length, chunks, a dripping or silent node, a reply larger
than the limit), the body (not JSON, deeply nested, invalid UTF-8), the JSON-RPC envelope (no
result, odd errors, wrong ids) or the value (a chain id as a JSON integer or null, a 20,000-digit
chain id, a 100,000-digit block number, odd-length or non-hex data, ABI data cut short or with
absurd words). Hypothesis walks those shapes with a fixed seed; ``LPPERP_FUZZ_EXAMPLES`` raises the
number of examples (``make fuzz``).

Property: a call returns, or raises :class:`ChainError` (an ``LpperpError``) whose message names the
call; nothing else escapes; and it returns within its deadlines plus a margin (a correctness bound on
the deadline, not a speed test: the slowest call is printed).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpperp._abi import decode, encode, selector
from lpperp._rpc import ChainError, JsonRpcClient, RpcReplyError, RpcUnreachableError, show_value
from lpperp._validate import LpperpError
from lpperp.chain import (
    ChainPreset,
    latest_token_id,
    read_chainlink,
    read_pool,
    read_position,
    read_ticks,
    read_twap,
)
from lpperp.units import get_sqrt_ratio_at_tick

N_EXAMPLES = int(os.environ.get("LPPERP_FUZZ_EXAMPLES", "250"))
LIFETIME_S = 600.0  # the node stops itself after this, whatever happens to the test
FUZZ_TIMEOUT_S = 0.4  # each RPC call's deadline in the walk

POOL = "0x" + "11" * 20
WETH = "0x" + "22" * 20
USDC = "0x" + "33" * 20
NPM = "0x" + "44" * 20
FACTORY = "0x" + "55" * 20
FEED = "0x" + "66" * 20
OWNER = "0x" + "77" * 20
PRESET = ChainPreset("fake", 31337, NPM, FACTORY, "test node")
TICK = -195_000  # WETH (token0, 18 dec) / USDC (token1, 6 dec) near 3,400 USDC per WETH
NOW = 1_700_000_000
L = 10**18


# ---------------------------------------------------------------------------------------------
# the world the node plays (consistent, so the readers get all the way through)
# ---------------------------------------------------------------------------------------------
def _sel(sig: str) -> bytes:
    return selector(sig)


def _observe(args: bytes) -> bytes:
    (agos,) = decode(["uint32[]"], args)
    cums = [TICK * (NOW - a) for a in agos]
    spl = [((NOW - a) << 128) // L for a in agos]
    return encode(["int56[]", "uint160[]"], [cums, spl])


def _bitmap(args: bytes) -> bytes:
    (w,) = decode(["int16"], args)
    here = (TICK // 60) >> 8
    return encode(["uint256"], [(1 << 3) | (1 << 200) if w == here else 0])


def _tick_info(args: bytes) -> bytes:
    (t,) = decode(["int24"], args)
    lower = ((((TICK // 60) >> 8) * 256) + 3) * 60
    net = L if t == lower else -L
    return encode(["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"],
                  [L, net, 0, 0, 0, 0, 0, True])  # fmt: skip


CONTRACTS: dict[str, dict[bytes, Callable[[bytes], bytes]]] = {
    POOL: {
        _sel("token0()"): lambda a: encode(["address"], [WETH]),
        _sel("token1()"): lambda a: encode(["address"], [USDC]),
        _sel("fee()"): lambda a: encode(["uint24"], [3000]),
        _sel("tickSpacing()"): lambda a: encode(["int24"], [60]),
        _sel("slot0()"): lambda a: encode(
            ["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"],
            [get_sqrt_ratio_at_tick(TICK), TICK, 0, 1, 1, 0, True],
        ),
        _sel("liquidity()"): lambda a: encode(["uint128"], [L]),
        _sel("feeGrowthGlobal0X128()"): lambda a: encode(["uint256"], [10**30]),
        _sel("feeGrowthGlobal1X128()"): lambda a: encode(["uint256"], [10**20]),
        _sel("ticks(int24)"): _tick_info,
        _sel("tickBitmap(int16)"): _bitmap,
        _sel("observe(uint32[])"): _observe,
    },
    WETH: {
        _sel("symbol()"): lambda a: encode(["string"], ["WETH"]),
        _sel("decimals()"): lambda a: encode(["uint8"], [18]),
    },
    USDC: {
        _sel("symbol()"): lambda a: encode(["string"], ["USDC"]),
        _sel("decimals()"): lambda a: encode(["uint8"], [6]),
    },
    FACTORY: {_sel("getPool(address,address,uint24)"): lambda a: encode(["address"], [POOL])},
    NPM: {
        _sel("positions(uint256)"): lambda a: encode(
            [
                "uint96",
                "address",
                "address",
                "address",
                "uint24",
                "int24",
                "int24",
                "uint128",
                "uint256",
                "uint256",
                "uint128",
                "uint128",
            ],
            [0, OWNER, WETH, USDC, 3000, TICK - 600, TICK + 600, L, 10**29, 10**19, 5, 6],
        ),
        _sel("ownerOf(uint256)"): lambda a: encode(["address"], [OWNER]),
        _sel("totalSupply()"): lambda a: encode(["uint256"], [3]),
        _sel("tokenByIndex(uint256)"): lambda a: encode(["uint256"], [7]),
    },
    FEED: {
        _sel("latestRoundData()"): lambda a: encode(
            ["uint80", "int256", "uint256", "uint256", "uint80"],
            [5, 3_400 * 10**8, NOW - 60, NOW - 60, 5],
        ),
        _sel("decimals()"): lambda a: encode(["uint8"], [8]),
    },
}


def _rpc_error(req_id: Any, code: int, message: str, data: str | None = None) -> dict:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": req_id, "error": err}


def honest_reply(req: Any) -> Any:
    """What a well-behaved node answers to one JSON-RPC request object of this world."""
    if not isinstance(req, dict):
        return _rpc_error(None, -32600, "invalid request")
    rid, method, params = req.get("id"), req.get("method"), req.get("params") or []
    ok = lambda r: {"jsonrpc": "2.0", "id": rid, "result": r}  # noqa: E731
    if method == "eth_chainId":
        return ok("0x7a69")
    if method == "eth_blockNumber":
        return ok("0x10")
    if method == "eth_getCode":
        return ok("0x6001" if params[0].lower() in CONTRACTS else "0x")
    if method == "eth_getBlockByNumber":
        return ok({"number": "0x10", "timestamp": hex(NOW)})
    if method == "eth_call":
        to, data = params[0]["to"].lower(), bytes.fromhex(params[0]["data"][2:])
        fn = CONTRACTS.get(to, {}).get(data[:4])
        if fn is None:
            revert = "0x" + (_sel("Error(string)") + encode(["string"], ["nope"])).hex()
            return _rpc_error(rid, 3, "execution reverted", revert)
        return ok("0x" + fn(data[4:]).hex())
    return ok(method)


# ---------------------------------------------------------------------------------------------
# how one reply goes wrong
# ---------------------------------------------------------------------------------------------
@dataclass
class Fault:
    """Corrupt the reply to the ``at``-th JSON-RPC request object (counted from 0 per client run).

    ``kind`` selects the layer: 'result' (replace the result by ``value``, any JSON), 'raw_result'
    (splice ``value`` as raw JSON text), 'abi' (mutate the honest eth_call bytes), 'envelope'
    (replace the whole reply object by ``value``), 'body' (the HTTP body is ``value`` bytes),
    'http' (``value`` names a framing fault).
    """

    kind: str = "none"
    at: int = 0
    value: Any = None


@dataclass
class Node:
    """The misbehaving node: a listening socket served by a thread per connection."""

    fault: Fault = field(default_factory=Fault)
    counter: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    url: str = ""

    def start(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.born = time.monotonic()
        t = threading.Thread(target=self._accept, daemon=True, name="bad-rpc-node")
        t.start()
        self.threads.append(t)

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)
        self.sock.close()

    def arm(self, fault: Fault) -> None:
        self.fault, self.counter = fault, 0

    def _alive(self) -> bool:
        return not self.stop.is_set() and time.monotonic() - self.born < LIFETIME_S

    def _accept(self) -> None:
        while self._alive():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads[:] = [x for x in self.threads if x.is_alive()] + [t]

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        buf = b""
        try:
            while self._alive():
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                if not self._answer(conn, json.loads(body)):
                    return
        except (OSError, ValueError):
            return
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, req: Any) -> bool:
        """Write the (possibly corrupted) reply; False to close the connection."""
        reqs = req if isinstance(req, list) else [req]
        first = self.counter
        self.counter += len(reqs)
        f = self.fault
        hit = f.kind != "none" and first <= f.at < first + len(reqs)
        replies = [honest_reply(r) for r in reqs]
        raw: bytes | None = None
        if hit:
            i = f.at - first
            rid = replies[i].get("id") if isinstance(replies[i], dict) else None
            if f.kind == "result":
                replies[i] = {"jsonrpc": "2.0", "id": rid, "result": f.value}
            elif f.kind == "envelope":
                replies[i] = f.value
            elif f.kind == "abi" and isinstance(replies[i].get("result"), str):
                data = bytes.fromhex(replies[i]["result"][2:])
                replies[i]["result"] = "0x" + _mutate(data, f.value).hex()
            elif f.kind == "raw_result":
                parts = [json.dumps(r).encode() for r in replies]
                parts[i] = b'{"jsonrpc":"2.0","id":%d,"result":%s}' % (rid or 0, f.value)
                raw = b"[" + b",".join(parts) + b"]" if isinstance(req, list) else parts[i]
            elif f.kind == "body":
                raw = f.value
        if raw is None:
            raw = json.dumps(replies if isinstance(req, list) else replies[0]).encode()
        if hit and f.kind == "http":
            return _http_fault(conn, raw, f.value)
        conn.sendall(_response(200, raw))
        return True


def _response(status: int, body: bytes, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _mutate(data: bytes, how: tuple[str, int, int]) -> bytes:
    op, a, b = how
    if op == "truncate":
        return data[: a % (len(data) + 1)]
    if op == "extend":
        return data + bytes([b % 256]) * (a % 100)
    if op == "word":  # one word replaced by an absurd value
        words = [data[i : i + 32] for i in range(0, len(data), 32)] or [b"\0" * 32]
        k = a % len(words)
        values = [2**256 - 1, 2**255, 2**160, 2**128, 2**24 + 5, 2**23, 10**77, b % 2**256]
        words[k] = values[b % len(values)].to_bytes(32, "big")
        return b"".join(words)
    if op == "set":  # word a := b
        words = [data[i : i + 32] for i in range(0, len(data), 32)] or [b"\0" * 32]
        words[a % len(words)] = b.to_bytes(32, "big")
        return b"".join(words)
    if op == "offset":  # a dynamic offset / length pointing far away
        return (2**255 + a).to_bytes(32, "big") + data[32:]
    return bytes((x * 37 + a) % 256 for x in range(b % 400))  # random-ish bytes


def _http_fault(conn: socket.socket, body: bytes, what: str) -> bool:
    if what == "close":  # hang up without a reply
        return False
    if what == "status500":
        conn.sendall(_response(500, b"oops"))
    elif what == "status429":
        conn.sendall(_response(429, b""))
    elif what == "status204":
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        return False
    elif what == "continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" + _response(200, body))
        return True
    elif what == "bad_status":
        conn.sendall(b"HTTZ/9 abc\r\n\r\n" + body)
    elif what == "bad_header":
        conn.sendall(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n" + body)
    elif what == "bad_length":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: -12\r\n\r\n" + body)
    elif what == "huge_length":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n" + body)
    elif what == "short_body":
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body) + 50}\r\n\r\n".encode()
        conn.sendall(head + body)
        return False  # then close: the client sees EOF mid-body
    elif what == "long_body":
        conn.sendall(_response(200, body)[:-1] + b"}}}garbage")
    elif what == "chunked":
        mid = len(body) // 2
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n"
            % (mid, body[:mid], len(body) - mid, body[mid:])
        )
        return True  # a valid chunked reply: must succeed
    elif what == "bad_chunk":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + body)
    elif what == "huge_chunk":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n" + body)
    elif what == "until_close":  # no length: the body ends when the server closes
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body)
        return False
    elif what == "endless":  # no length and far more than the limit
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        block = b" " * 2**20
        for _ in range(40):  # 40 MiB > the default limit of 32 MiB, unless the client hangs up
            conn.sendall(block)
        return False
    elif what in ("drip", "drip_slow"):  # one byte at a time, slower than the deadline allows
        for byte in _response(200, body):
            conn.sendall(bytes([byte]))  # raises once the client has hung up
            time.sleep(0.05 if what == "drip" else 0.5)
    elif what == "silent":
        time.sleep(FUZZ_TIMEOUT_S + 0.3)
        return False
    return True


# ---------------------------------------------------------------------------------------------
# fixtures and the entry points under test
# ---------------------------------------------------------------------------------------------
class _Summary:
    """Prints the slowest call per entry point and the outcomes at the end of the session."""

    def pytest_terminal_summary(self, terminalreporter):
        if not OUTCOMES:
            return
        tr = terminalreporter
        tr.write_sep("-", "misbehaving JSON-RPC node (tests/test_rpc_fuzz.py)")
        tr.write_line(
            f"{sum(OUTCOMES.values())} calls; slowest per entry point (deadline per round trip "
            f"{FUZZ_TIMEOUT_S} s in the walk):"
        )
        for name, (sec, why) in sorted(SLOWEST.items()):
            tr.write_line(f"  {name:20s} {sec:6.3f} s  ({why})")
        kinds = Counter()
        for k, v in OUTCOMES.items():
            kinds["returned" if not k.endswith(("Error", "Error'")) else k.split(" -> ")[1]] += v
        tr.write_line("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


@pytest.fixture(scope="module")
def node(request):
    if not request.config.pluginmanager.has_plugin("lpperp-rpc-fuzz-summary"):
        request.config.pluginmanager.register(_Summary(), "lpperp-rpc-fuzz-summary")
    n = Node()
    n.start()
    try:
        yield n
    finally:
        n.close()


def _client(url: str, timeout_s: float = FUZZ_TIMEOUT_S, **kw: Any) -> JsonRpcClient:
    return JsonRpcClient(url, timeout_s=timeout_s, **kw)


# (name, function of url and timeout, max RPC round trips) -- each keeps a deadline per round trip
ENTRY_POINTS: list[tuple[str, Callable[[str, float], Any], int]] = [
    ("call eth_chainId", lambda u, t: _client(u, t).call("eth_chainId"), 1),
    ("call eth_blockNumber", lambda u, t: _client(u, t).call("eth_blockNumber"), 1),
    ("batch", lambda u, t: _client(u, t).batch([("eth_chainId", []), ("x", [1])]), 1),
    ("eth_call slot0", lambda u, t: _client(u, t).eth_call(POOL, _sel("slot0()")), 1),
    ("read_pool", lambda u, t: read_pool(u, POOL, chain=PRESET, timeout_s=t), 4),
    ("read_position", lambda u, t: read_position(u, 7, chain=PRESET, timeout_s=t), 6),
    ("latest_token_id", lambda u, t: latest_token_id(u, chain=PRESET, timeout_s=t), 3),
    ("read_ticks", lambda u, t: read_ticks(u, POOL, word_radius=1, timeout_s=t), 5),
    ("read_twap", lambda u, t: read_twap(u, POOL, 600, timeout_s=t), 2),
    ("read_chainlink", lambda u, t: read_chainlink(u, FEED, max_age_seconds=3600, timeout_s=t), 3),
]
SLOWEST: dict[str, tuple[float, str]] = {}
OUTCOMES: Counter[str] = Counter()


def _run(node: Node, entry: tuple[str, Callable, int], fault: Fault, timeout_s: float) -> Any:
    """Call one entry point against the armed node; enforce the property; return result or error."""
    name, fn, trips = entry
    node.arm(fault)
    t0 = time.monotonic()
    try:
        out = fn(node.url, timeout_s)
    except ChainError as e:
        out = e
        text = str(e)
        assert text and len(text) < 2000, text[:300]
        repr(e)  # printable whatever came back
    except TypeError as e:  # allowed only for wrong argument types, with a message
        pytest.fail(f"{name} raised TypeError on a bad reply ({fault}): {e}")
    except Exception as e:  # the point of the test
        pytest.fail(f"{name} let {type(e).__name__} escape on {fault}: {str(e)[:300]}")
    elapsed = time.monotonic() - t0
    bound = trips * timeout_s + 1.0  # every round trip keeps its deadline; 1 s of margin
    assert elapsed < bound, f"{name} took {elapsed:.2f} s (> {bound:.2f}) on {fault}"
    detail = fault.value if fault.kind == "http" else ""
    OUTCOMES[f"{fault.kind}{':' + detail if detail else ''} -> {type(out).__name__}"] += 1
    if elapsed > SLOWEST.get(name, (0.0, ""))[0]:
        SLOWEST[name] = (elapsed, f"{fault.kind}:{show_value(fault.value, 40)}")
    return out


def test_the_honest_world_reads_cleanly(node):
    """Sanity: without a fault every entry point succeeds (the walk below starts from this)."""
    for entry in ENTRY_POINTS:
        out = _run(node, entry, Fault(), 5.0)
        assert not isinstance(out, Exception), (entry[0], out)
    assert read_ticks(node.url, POOL, word_radius=1).liquidity == L
    assert read_twap(node.url, POOL, 600).mean_tick == TICK
    assert read_chainlink(node.url, FEED).answer == 3400.0
    assert read_position(node.url, 7, chain=PRESET).liquidity_raw == L


# ---------------------------------------------------------------------------------------------
# the list, one by one
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "match"),
    [
        (Fault("result", 0, 31337), r"eth_chainId.*expected a hex quantity.*got 31337"),
        (Fault("result", 0, None), r"eth_chainId.*got None"),
        (Fault("result", 0, "0x" + "f" * 20_000), r"at most 64 bits.*\.\.\."),
        (Fault("result", 1, "0x" + "9" * 100_000), r"eth_blockNumber.*at most 63 bits"),
        (Fault("raw_result", 0, b"1" * 20_000), r"did not answer with JSON.*eth_chainId"),
        (Fault("result", 1, 16), r"eth_blockNumber.*expected a hex quantity.*got 16"),
        (Fault("result", 2, "0xabc"), r"eth_getCode.*even number of hex digits.*'0xabc'"),
        (Fault("result", 2, "0xzz"), r"eth_getCode.*hex data"),
        (Fault("result", 3, "0x123"), r"eth_call token0\(\).*'0x123'"),
        (Fault("result", 3, "deadbeef"), r"eth_call token0\(\).*'deadbeef'"),
        (Fault("result", 3, 12345), r"eth_call token0\(\).*12345"),
        (Fault("result", 3, ["0x00"]), r"eth_call token0\(\).*\['0x00'\]"),
        (Fault("body", 0, b"[" * 100_000), r"did not answer with JSON"),
        (Fault("body", 0, b"\xff\xfe{}"), r"did not answer with JSON"),
        (
            Fault("envelope", 0, "hello"),
            r"no reply to eth_chainId \(id \d+\) in its batch reply: \['hello'",
        ),
        (
            Fault("envelope", 0, {"jsonrpc": "2.0"}),
            r"no reply to eth_chainId .*: \[\{'jsonrpc': '2.0'\}",
        ),
        (  # a fresh client numbers its first batch 1, 2, 3
            Fault("envelope", 0, {"jsonrpc": "2.0", "id": 1}),
            r"reply to eth_chainId without a result: \{'id': 1, 'jsonrpc': '2.0'\}",
        ),
        (Fault("http", 0, "huge_length"), r"more than max_reply_bytes"),
        (Fault("http", 0, "endless"), r"larger than max_reply_bytes"),
        (Fault("http", 0, "bad_status"), r"not an HTTP reply"),
        (Fault("http", 0, "silent"), r"within the deadline of 0\.4 s"),
    ],
)
def test_read_pool_names_the_call_and_the_reply(node, fault, match):
    entry = next(e for e in ENTRY_POINTS if e[0] == "read_pool")
    out = _run(node, entry, fault, FUZZ_TIMEOUT_S)
    assert isinstance(out, ChainError), out
    assert isinstance(out, LpperpError)
    import re

    assert re.search(match, str(out), re.S), str(out)[:400]


def test_absurd_abi_values_are_chain_errors(node):
    # decimals 200, a fee of 2**24 - 1, tickSpacing 0, sqrt price beyond TickMath, a dirty uint8
    entry = next(e for e in ENTRY_POINTS if e[0] == "read_pool")
    for at, how in [(5, ("word", 0, 4)), (6, ("word", 0, 4)), (7, ("word", 1, 0)),
                    (3, ("word", 0, 2)), (13, ("set", 0, 200)), (5, ("set", 0, 10**6)),
                    (6, ("set", 0, 0)), (7, ("set", 0, 2**160 - 1))]:  # fmt: skip
        out = _run(node, entry, Fault("abi", at, how), FUZZ_TIMEOUT_S)
        assert isinstance(out, ChainError), (at, how, out)


def test_a_dripping_node_cannot_stretch_the_deadline(node):
    """One byte every 0.5 s against timeout_s=2: the call ends at ~2 s, not after the whole reply."""
    node.arm(Fault("http", 0, "drip_slow"))
    t0 = time.monotonic()
    with pytest.raises(RpcUnreachableError, match=r"within the deadline of 2 s"):
        _client(node.url, 2.0).call("eth_chainId")
    elapsed = time.monotonic() - t0
    SLOWEST["dripping node 1 B/0.5 s, timeout_s=2"] = (elapsed, "drip_slow")
    assert elapsed < 2.0 + 1.0  # the deadline holds (a correctness bound, generous)


def test_reply_size_limit_and_valid_framings(node):
    c = _client(node.url, 2.0, max_reply_bytes=4096)
    node.arm(Fault("result", 0, "0x" + "00" * 5000))
    with pytest.raises(RpcReplyError, match="more than max_reply_bytes=4096"):
        c.call("eth_chainId")
    for ok in ("chunked", "continue", "until_close"):  # legal HTTP: must just work
        node.arm(Fault("http", 0, ok))
        assert _client(node.url, 2.0).call("eth_chainId") == "0x7a69", ok
    c = _client(node.url, 2.0)  # keep-alive survives a server that hangs up between calls
    node.arm(Fault("http", 1, "close"))
    assert c.call("eth_chainId") == "0x7a69"  # request 0 opens the connection
    assert c.call("eth_chainId") == "0x7a69"  # request 1: hung up on, retried fresh (request 2)
    assert node.counter == 3
    node.arm(Fault("http", 0, "close"))  # on a fresh connection a hang-up is an error
    with pytest.raises(RpcUnreachableError, match="during eth_chainId"):
        _client(node.url, 2.0).call("eth_chainId")


def test_wrong_argument_types_are_type_errors_with_a_message():
    c = _client("http://127.0.0.1:9")
    for bad_call in (
        lambda: c.call(5),
        lambda: c.call("eth_chainId", "notalist"),
        lambda: c.call("eth_chainId", [object()]),
        lambda: c.call("eth_chainId", [float("nan")]),
        lambda: c.batch("eth_chainId"),
        lambda: c.batch([("eth_chainId",)]),
        lambda: c.eth_call(POOL, 10**9),  # an int is not calldata (bytes(10**9) would be 1 GB)
        lambda: c.eth_call(POOL, b"", block=1.5),
    ):
        with pytest.raises(TypeError, match=r"\w+ .*(must|not JSON)"):
            bad_call()
    for kw in ({"timeout_s": True}, {"timeout_s": float("nan")}, {"max_reply_bytes": 10}):
        with pytest.raises(LpperpError):
            JsonRpcClient("http://127.0.0.1:9", **kw)
    with pytest.raises(LpperpError, match="invalid port"):
        JsonRpcClient("http://127.0.0.1:99999999")
    with pytest.raises(LpperpError, match=r"block must be a block number"):
        c.eth_call(POOL, b"", block=2**64)


# ---------------------------------------------------------------------------------------------
# the hypothesis walk over reply shapes
# ---------------------------------------------------------------------------------------------
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**300), 2**300), st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["0x", "0x0", "0x1", "0xg", "0X10", "10", "0x" + "f" * 65, "0x" + "0" * 200,
                     "0x" + "ab" * 64, "0x7a69", "0x10", "\u00e9", ""]),
)  # fmt: skip
json_value = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(
            ["result", "error", "id", "jsonrpc", "code", "message", "data", "timestamp"]), kids,
            max_size=4),
    ),
    max_leaves=12,
)  # fmt: skip
hex_text = st.one_of(
    st.binary(max_size=300).map(lambda b: "0x" + b.hex()),
    st.text("0123456789abcdefABCDEFxg", max_size=80).map(lambda s: "0x" + s),
    st.integers(0, 2**70).map(hex),
)
faults = st.one_of(
    st.builds(Fault, st.just("result"), st.integers(0, 12), st.one_of(json_value, hex_text)),
    st.builds(Fault, st.just("abi"), st.integers(0, 12), st.tuples(
        st.sampled_from(["truncate", "extend", "word", "set", "offset", "random"]),
        st.integers(0, 2**16), st.integers(0, 2**16))),
    st.builds(Fault, st.just("envelope"), st.integers(0, 12), json_value),
    st.builds(Fault, st.just("raw_result"), st.integers(0, 12), st.sampled_from(
        [b"1" * 5000, b"-" + b"9" * 4400, b"1e99999", b"NaN", b"[" * 3000, b'"\\ud800"', b"{"])),
    st.builds(Fault, st.just("body"), st.integers(0, 12), st.binary(max_size=200)),
    st.builds(Fault, st.just("http"), st.integers(0, 12), st.sampled_from(
        ["close", "status500", "status429", "status204", "continue", "bad_status", "bad_header",
         "bad_length", "huge_length", "short_body", "long_body", "chunked", "bad_chunk",
         "huge_chunk", "until_close", "endless", "silent", "drip"])),
)  # fmt: skip


@settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
)  # fmt: skip
@given(entry=st.sampled_from(ENTRY_POINTS), fault=faults)
def test_walk_reply_shapes(node, entry, fault):
    _run(node, entry, fault, FUZZ_TIMEOUT_S)


# ---------------------------------------------------------------------------------------------
# bad arguments to the readers: an LpperpError naming the argument (or a TypeError with a message)
# ---------------------------------------------------------------------------------------------
BAD = [None, True, "2", 2.5, float("nan"), -1, 2**200, b"\x00", [1], {"a": 1}, "", "0x12"]
READERS = {
    "read_ticks": (read_ticks, ("rpc", "pool_address"), ("word_radius", "max_ticks", "timeout_s")),
    "read_twap": (read_twap, ("rpc", "pool", "window_seconds"), ("timeout_s",)),
    "read_chainlink": (read_chainlink, ("rpc", "feed"), ("max_age_seconds", "timeout_s")),
    "read_pool": (read_pool, ("rpc", "pool_address"), ("chain", "quote", "timeout_s")),
    "read_position": (read_position, ("rpc", "token_id"), ("chain", "quote", "timeout_s")),
    "latest_token_id": (latest_token_id, ("rpc",), ("chain", "timeout_s")),
}


def _good_args(name: str, url: str) -> tuple[list, dict]:
    target = {"read_ticks": POOL, "read_twap": POOL, "read_chainlink": FEED, "read_pool": POOL,
              "read_position": 7}.get(name)  # fmt: skip
    args = [url] + ([target] if target is not None else [])
    if name == "read_twap":
        args.append(600)
    kw: dict[str, Any] = {"timeout_s": 2.0}
    if name in ("read_pool", "read_position", "latest_token_id"):
        kw["chain"] = PRESET
    return args, kw


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(name=st.sampled_from(sorted(READERS)), slot=st.integers(0, 4), bad=st.sampled_from(BAD))
def test_bad_arguments_are_named(node, name, slot, bad):
    fn, positional, keywords = READERS[name]
    args, kw = _good_args(name, node.url)
    node.arm(Fault())
    names = list(positional) + list(keywords)
    arg = names[slot % len(names)]
    if arg in positional:
        args[positional.index(arg)] = bad
    else:
        kw[arg] = bad
    t0 = time.monotonic()
    try:
        fn(*args, **kw)
    except LpperpError as e:  # ChainError included: e.g. quote='2' is neither token
        assert str(e), (name, arg, bad)
    except TypeError as e:
        assert str(e), (name, arg, bad)
    except Exception as e:  # the point of the test
        pytest.fail(f"{name}({arg}={show_value(bad)}) let {type(e).__name__} escape: {e}")
    assert time.monotonic() - t0 < 10 * 2.0 + 1.0

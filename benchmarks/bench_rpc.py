"""The JSON-RPC client on loopback: round trips, and how fast bad nodes are cut off.

A tiny node on 127.0.0.1 (a thread per connection) answers ``eth_chainId`` honestly, or announces
a 1 TB reply, or drips one byte every 50 ms. Figures: median keep-alive round trip of one call and
of a batch of 200, the time to refuse an oversized reply (issue 13: under a second), and the time
a dripping node holds a call with ``timeout_s=0.5`` (the deadline, not the reply's length). The
machine may be shared: the targets are figures; the checks are correctness claims (the errors are
the right ones and the deadline holds within 0.5 s).
"""

from __future__ import annotations

import json
import socket
import threading
import time

from benchmarks._timing import check, median_time
from lpperp._rpc import JsonRpcClient, RpcReplyError, RpcUnreachableError


def _serve(conn: socket.socket, mode: str, stop: threading.Event) -> None:
    conn.settimeout(5.0)
    buf = b""
    try:
        while not stop.is_set():
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            n = int(next(v for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n"))
                         if k.lower() == b"content-length"))  # fmt: skip
            while len(buf) < n:
                buf += conn.recv(65536)
            req, buf = buf[:n], buf[n:]
            obj = json.loads(req)
            answer = lambda r: {"jsonrpc": "2.0", "id": r["id"], "result": "0x7a69"}  # noqa: E731
            body = json.dumps([answer(r) for r in obj] if isinstance(obj, list) else answer(obj))
            body = body.encode()
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            if mode == "huge":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
                return
            if mode == "drip":
                for b in reply:
                    conn.sendall(bytes([b]))
                    time.sleep(0.05)
                return
            conn.sendall(reply)
    except OSError:
        return
    finally:
        conn.close()


def _node(mode: str) -> tuple[str, threading.Event]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        deadline = time.monotonic() + 120  # bounded whatever happens
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=_serve, args=(conn, mode, stop), daemon=True).start()
        srv.close()

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}", stop


def run() -> list[tuple[str, float, str]]:
    rows = []
    url, stop = _node("ok")
    try:
        c = JsonRpcClient(url, timeout_s=5.0)
        c.call("eth_chainId")
        one = median_time(lambda: c.call("eth_chainId"), repeat=201)
        calls = [("eth_chainId", [])] * 200
        check("batch answers", c.batch(calls) == ["0x7a69"] * 200)
        batch = median_time(lambda: c.batch(calls), repeat=21)
        rows += [("eth_chainId round trip, keep-alive (ms)", one * 1e3, "< 1 ms on loopback"),
                 ("batch of 200 calls, one round trip (ms)", batch * 1e3, "< 10 ms")]  # fmt: skip
    finally:
        stop.set()
    for mode, timeout, figure, target in (
        ("huge", 5.0, "refuse a reply announced at 1 TB (s)", "< 1 s (issue 13)"),
        ("drip", 0.5, "dripping node (1 byte / 50 ms), timeout_s=0.5 (s)", "~ 0.5 s: the deadline"),
    ):
        url, stop = _node(mode)
        try:
            t0 = time.perf_counter()
            try:
                JsonRpcClient(url, timeout_s=timeout).call("eth_chainId")
                err: Exception | None = None
            except RpcUnreachableError as e:
                err = e
            took = time.perf_counter() - t0
        finally:
            stop.set()
        expected = RpcReplyError if mode == "huge" else RpcUnreachableError
        check(f"{mode}: {expected.__name__}", isinstance(err, expected), repr(err))
        check(f"{mode}: within the deadline + 0.5 s", took < timeout + 0.5, f"{took:.2f} s")
        rows.append((figure, took, target))
    return rows

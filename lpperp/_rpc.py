"""A small keep-alive JSON-RPC 2.0 client over HTTP(S), standard library only.

One persistent connection per client, single calls and batches, and three budgets that a node cannot
stretch: a **deadline per call** (``timeout_s`` covers connect, TLS, send and the whole reply: a node
that drips one byte every 0.5 s cannot hold a ``timeout_s=2`` call for longer than about 2 s), a
**size limit** on replies (``max_reply_bytes``, checked against ``Content-Length`` before reading
and while reading), and **strict reply checks**: bad JSON, a reply that is not a JSON-RPC object,
wrong types, odd-length or non-hex data and quantities too large for what they stand for are all
:class:`ChainError` s naming the call and showing (truncated) what came back. Messages never echo
the API keys that providers put in URL paths.

Conventions: ``timeout_s`` is seconds for one public call (``call``, ``batch``, ``eth_call``), from
the moment it starts until the decoded reply; results are returned as the decoded JSON ``result``;
:func:`hex_quantity` and :func:`hex_data` turn hex strings into ints and bytes with the checks above.
Nothing connects until the first call. HTTP/1.1 is spoken directly on a socket (``Content-Length``
and chunked replies, keep-alive, one retry on a connection the server dropped); proxies are not
supported.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import re
import reprlib
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from lpperp._abi import decode_revert
from lpperp._validate import LpperpError

__all__ = [
    "DEFAULT_MAX_REPLY_BYTES",
    "ChainError",
    "JsonRpcClient",
    "RpcCallError",
    "RpcReplyError",
    "RpcUnreachableError",
    "hex_data",
    "hex_quantity",
    "redact_url",
    "show_value",
]

DEFAULT_MAX_REPLY_BYTES = 32 * 2**20
"""Largest reply body accepted by default (32 MiB: far above a batch of pool reads)."""

_MAX_HEADER_BYTES = 64 * 1024
_MAX_ERROR_TEXT = 300


class ChainError(LpperpError, RuntimeError):
    """Something went wrong talking to a chain: the message says what and what to try.

    An :class:`~lpperp._validate.LpperpError` (so one ``except LpperpError`` catches bad input and
    bad replies alike) and, as before, a ``RuntimeError``.
    """


class RpcUnreachableError(ChainError):
    """The RPC endpoint could not be reached, timed out, or did not speak JSON-RPC."""

    http_status: int | None = None


class RpcReplyError(RpcUnreachableError):
    """The node answered, but not with a well-formed reply (bad JSON, wrong type, bad hex, too big)."""


class RpcCallError(ChainError):
    """The node answered with a JSON-RPC error (``code``, ``message``, revert ``data`` if any)."""

    def __init__(self, method: str, code: int | None, message: str, data: bytes | None = None):
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data
        self.reason = decode_revert(data) if data else None
        extra = f" (revert reason: {self.reason!r})" if self.reason else ""
        super().__init__(f"{method} failed: {message}{extra}")

    @property
    def is_revert(self) -> bool:
        """True when the node reports an EVM revert (the contract rejected the call)."""
        text = self.rpc_message.lower()
        return self.data is not None or "revert" in text or self.code == 3


# ---------------------------------------------------------------------------------------------
# showing and checking reply values
# ---------------------------------------------------------------------------------------------
_REPR = reprlib.Repr()
_REPR.maxstring = 100
_REPR.maxother = 60
_REPR.maxlong = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 5
_REPR.maxlevel = 3


def show_value(value: Any, limit: int = 160) -> str:
    """A short, always printable repr of a reply value (for error messages).

    Long strings and containers are abbreviated; integers too long to print in decimal are
    described by their size (Python refuses ``repr`` beyond 4,300 digits).

    Examples
    --------
    >>> show_value("0x" + "ab" * 500)[:20]
    "'0xababababababababa"
    >>> show_value(10**5000)
    '<int of 16610 bits>'
    >>> show_value({"result": [1, 2, 3, 4, 5, 6, 7]})
    "{'result': [1, 2, 3, 4, 5, ...]}"
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<int of {value.bit_length()} bits>"
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # a huge int inside a container, deep nesting
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_HEX = re.compile(r"0x[0-9a-fA-F]*")


def hex_quantity(value: Any, what: str, *, max_bits: int = 256) -> int:
    """An Ethereum JSON-RPC quantity (``"0x1a"``) as an int of at most ``max_bits`` bits.

    Parameters
    ----------
    value : Any
        What the node sent.
    what : str
        Which call and field, for the message (``"eth_chainId from http://..."``).
    max_bits : int
        Largest meaningful size: 64 for chain ids, block numbers and timestamps, 256 for words.

    Raises
    ------
    RpcReplyError
        Not a string, no ``0x`` prefix, not hex, empty, or more than ``max_bits`` bits (a chain id
        of 20,000 digits is a broken node, not a chain).

    Examples
    --------
    >>> hex_quantity("0xa4b1", "eth_chainId")
    42161
    >>> hex_quantity(42161, "eth_chainId", max_bits=64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcReplyError: eth_chainId: expected a hex quantity (...at most 64 bits), got 42161
    """
    digits = max_bits // 4 + 1
    if (
        not isinstance(value, str)
        or len(value) > 2 + digits + 64  # leading zeros are tolerated, not megabytes of them
        or len(value) < 3
        or not _HEX.fullmatch(value)
        or int(value, 16).bit_length() > max_bits
    ):
        raise RpcReplyError(
            f"{what}: expected a hex quantity ('0x' + hex digits, at most {max_bits} bits), "
            f"got {show_value(value)}"
        )
    return int(value, 16)


def hex_data(value: Any, what: str, *, max_bytes: int | None = None) -> bytes:
    """Ethereum JSON-RPC data (``"0x"`` + an even number of hex digits) as bytes.

    Examples
    --------
    >>> hex_data("0x00ff", "eth_call")
    b'\\x00\\xff'
    >>> hex_data("0xabc", "eth_call")
    Traceback (most recent call last):
    ...
    lpperp._rpc.RpcReplyError: eth_call: expected hex data ('0x' + an even number of hex digits), got '0xabc'
    """
    if (
        not isinstance(value, str)
        or len(value) % 2
        or (max_bytes is not None and len(value) > 2 + 2 * max_bytes)
        or not _HEX.fullmatch(value)
    ):
        limit = f", at most {max_bytes} bytes" if max_bytes is not None else ""
        raise RpcReplyError(
            f"{what}: expected hex data ('0x' + an even number of hex digits{limit}), "
            f"got {show_value(value)}"
        )
    return bytes.fromhex(value[2:])


def redact_url(url: str) -> str:
    """The URL reduced to ``scheme://host[:port]`` (providers put API keys in the path or query).

    Examples
    --------
    >>> redact_url("https://arb-mainnet.g.alchemy.com/v2/SECRETKEY")
    'https://arb-mainnet.g.alchemy.com/...'
    >>> redact_url("http://127.0.0.1:8545")
    'http://127.0.0.1:8545'
    """
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ":?"
    tail = "/..." if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def _hex_to_bytes(x: Any) -> bytes | None:
    if isinstance(x, str) and x.startswith("0x") and len(x) % 2 == 0 and _HEX.fullmatch(x):
        return bytes.fromhex(x[2:])
    return None


# ---------------------------------------------------------------------------------------------
# HTTP/1.1 on a socket, with one deadline for the whole exchange
# ---------------------------------------------------------------------------------------------
class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before any reply byte."""


class _Deadline(Exception):
    """The call's deadline passed."""


class _Conn:
    """One HTTP/1.1 connection; every socket operation gets the time left until ``deadline``."""

    def __init__(self, host: str, port: int, https: bool):
        self.host, self.port, self.https = host, port, https
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self.deadline = 0.0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
        self.buf.clear()

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Deadline
        return left

    def _resolve(self) -> list[tuple]:
        """``getaddrinfo`` within the deadline (the system resolver itself has no timeout)."""
        try:
            ipaddress.ip_address(self.host)
            return socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except ValueError:
            pass
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["ok"] = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            except OSError as e:
                box["err"] = e

        worker = threading.Thread(target=work, daemon=True, name="lpperp-rpc-resolve")
        worker.start()
        worker.join(self._left())
        if worker.is_alive():
            raise _Deadline
        if "err" in box:
            raise box["err"]
        return box["ok"]

    def connect(self) -> None:
        last: OSError = OSError(f"no address for {self.host!r}")
        for family, kind, proto, _, addr in self._resolve():
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self._left())
                sock.connect(addr)
                break
            except OSError as e:
                sock.close()
                last = e
            except BaseException:
                sock.close()
                raise
        else:
            raise last
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.https:
                sock.settimeout(self._left())  # the handshake is bounded by one deadline
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.buf.clear()

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self.sock.settimeout(self._left())
            n = self.sock.send(view)
            view = view[n:]

    def _fill(self) -> bool:
        self.sock.settimeout(self._left())
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_until(self, delim: bytes, limit: int, what: str) -> bytes:
        start = 0
        while True:
            i = self.buf.find(delim, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + len(delim)]
                return out
            if len(self.buf) > limit:
                raise RpcReplyError(f"{what} longer than {limit} bytes")
            start = max(0, len(self.buf) - len(delim) + 1)
            if not self._fill():
                raise ConnectionResetError("the server closed the connection mid-reply")

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionResetError("the server closed the connection mid-reply")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_to_eof(self, limit: int) -> bytes:
        while self._fill():
            if len(self.buf) > limit:
                raise RpcReplyError(f"reply body larger than max_reply_bytes={limit}")
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def exchange(self, request: bytes, deadline: float, max_bytes: int) -> tuple[int, bytes, bool]:
        """Send ``request``; return ``(status, body, keep_alive)``."""
        self.deadline = deadline
        reused = self.sock is not None
        if not reused:
            self.connect()
        try:
            self.send(request)
            if reused and not self.buf and not self._fill():
                raise _Stale
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            if reused:
                raise _Stale from None
            raise
        while True:
            head = self.read_until(b"\r\n\r\n", _MAX_HEADER_BYTES, "reply headers")
            lines = head.split(b"\r\n")
            m = re.fullmatch(rb"HTTP/1\.([01]) +(\d{3})(?: .*)?", lines[0].rstrip())
            if not m:
                raise RpcReplyError(f"not an HTTP reply: {show_value(bytes(lines[0][:80]))}")
            minor, status = m.group(1), int(m.group(2))
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(b":")
                if not sep:
                    raise RpcReplyError(f"malformed HTTP header line {show_value(line[:80])}")
                headers[name.strip().lower().decode("latin-1")] = (
                    value.strip().decode("latin-1").lower()
                )
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue and friends: the real reply follows
            break
        connection = headers.get("connection", "")
        keep = ("close" not in connection) if minor == b"1" else ("keep-alive" in connection)
        if "chunked" in headers.get("transfer-encoding", ""):
            body = bytearray()
            while True:
                size_line = self.read_until(b"\r\n", 1024, "chunk size line")
                size_text = size_line.split(b";")[0].strip()
                if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", size_text):
                    raise RpcReplyError(f"malformed chunk size {show_value(size_line[:40])}")
                size = int(size_text, 16)
                if len(body) + size > max_bytes:
                    raise RpcReplyError(f"reply body larger than max_reply_bytes={max_bytes}")
                if size == 0:
                    while self.read_until(b"\r\n", _MAX_HEADER_BYTES, "chunk trailer"):
                        pass
                    break
                body += self.read_exact(size)
                if self.read_exact(2) != b"\r\n":
                    raise RpcReplyError("malformed chunked reply (no CRLF after a chunk)")
            body = bytes(body)
        elif "content-length" in headers:
            text = headers["content-length"]
            if not re.fullmatch(r"\d{1,18}", text):
                raise RpcReplyError(f"malformed Content-Length {show_value(text)}")
            n = int(text)
            if n > max_bytes:
                raise RpcReplyError(
                    f"reply of {n} bytes announced, more than max_reply_bytes={max_bytes}"
                )
            body = self.read_exact(n)
        else:
            body, keep = self.read_to_eof(max_bytes), False
        if self.buf:  # bytes beyond the reply: do not trust this connection again
            keep = False
        return status, body, keep


class JsonRpcClient:
    """Keep-alive JSON-RPC client: ``call(method, params)`` and ``batch([(method, params), ...])``.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` endpoint.
    timeout_s : float
        Deadline of one call in seconds, connect to decoded reply (default 10; at most 600).
    max_reply_bytes : int
        Largest reply body accepted (default :data:`DEFAULT_MAX_REPLY_BYTES`, 32 MiB).
    headers : dict, optional
        Extra HTTP headers (an API key header, say).

    Examples
    --------
    >>> client = JsonRpcClient("http://127.0.0.1:8545", timeout_s=2.0)   # no connection yet
    >>> client.url_redacted
    'http://127.0.0.1:8545'
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        headers: dict[str, str] | None = None,
    ):
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise LpperpError(
                f"rpc_url must be an http:// or https:// URL, got {show_value(url)} "
                "(websocket and IPC endpoints are not supported)"
            )
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise LpperpError(f"rpc_url has an invalid port: {redact_url(url)}") from None
        if not parts.hostname:
            raise LpperpError(f"rpc_url has no host name: {redact_url(url)}")
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, (int, float))
            or not 0 < timeout_s <= 600
        ):
            raise LpperpError(
                f"timeout_s must be a number of seconds in (0, 600], got {show_value(timeout_s)}"
            )
        if (
            isinstance(max_reply_bytes, bool)
            or not isinstance(max_reply_bytes, int)
            or not 1024 <= max_reply_bytes <= 2**32
        ):
            raise LpperpError(
                f"max_reply_bytes must be an integer in [1024, 2**32], got "
                f"{show_value(max_reply_bytes)}"
            )
        if headers is not None and not (
            isinstance(headers, dict)
            and all(
                isinstance(k, str) and isinstance(v, str) and not re.search(r"[\r\n]", k + v)
                for k, v in headers.items()
            )
        ):
            raise LpperpError("headers must be a dict of str to str without line breaks")
        self.url = url
        self.url_redacted = redact_url(url)
        self.timeout_s = float(timeout_s)
        self.max_reply_bytes = max_reply_bytes
        https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port or (443 if https else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = f"[{self._host}]" if ":" in self._host else self._host
        if port:
            host_header += f":{port}"
        self._headers = {
            "Host": host_header,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Connection": "keep-alive",
        }
        if parts.username:
            token = f"{parts.username}:{parts.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        self._headers.update(headers or {})
        self._conn = _Conn(self._host, self._port, https)
        self._ids = itertools.count(1)

    # -- transport ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the persistent connection (the next call reconnects)."""
        self._conn.close()

    def __enter__(self) -> JsonRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: bytes, what: str, deadline: float) -> Any:
        head = f"POST {self._path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in self._headers.items()
        )
        request = (head + f"Content-Length: {len(payload)}\r\n\r\n").encode("latin-1") + payload
        for attempt in (0, 1):
            try:
                status, body, keep = self._conn.exchange(request, deadline, self.max_reply_bytes)
                break
            except _Stale:
                self.close()  # a keep-alive connection the server dropped: retry once, fresh
                if attempt:
                    raise self._unreachable(
                        ConnectionResetError("connection dropped"), what
                    ) from None
            except _Deadline:
                self.close()
                raise self._unreachable(TimeoutError(), what) from None
            except RpcReplyError as e:
                self.close()
                raise RpcReplyError(f"RPC at {self.url_redacted} ({what}): {e}") from None
            except (OSError, ssl.SSLError, UnicodeError) as e:
                self.close()
                raise self._unreachable(e, what) from None
        if not keep:
            self.close()
        if status != 200:
            hint = {
                401: "the endpoint wants an API key",
                403: "the endpoint refused the request (API key or allow-list?)",
                429: "rate limited: wait, or use your own RPC URL",
            }.get(status, "")
            err = RpcUnreachableError(
                f"RPC at {self.url_redacted} answered {what} with HTTP {status}"
                + (f": {hint}" if hint else f": {body[:200]!r}")
            )
            err.http_status = status
            raise err
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as e:
            raise RpcReplyError(
                f"RPC at {self.url_redacted} did not answer with JSON to {what} (is this a JSON-RPC "
                f"endpoint?): {body[:120]!r} ({str(e)[:100]})"
            ) from None

    def _unreachable(self, e: BaseException, what: str) -> RpcUnreachableError:
        if isinstance(e, (socket.timeout, TimeoutError)):
            why = f"no complete answer to {what} within the deadline of {self.timeout_s:g} s"
        elif isinstance(e, socket.gaierror):
            why = f"host name {self._host!r} could not be resolved"
        elif isinstance(e, ConnectionRefusedError):
            why = "connection refused (is the node running on that port?)"
        elif isinstance(e, ssl.SSLError):
            why = f"TLS error: {e}"
        else:
            why = f"{type(e).__name__} during {what}: {str(e)[:200]}"
        return RpcUnreachableError(f"could not reach the RPC at {self.url_redacted}: {why}")

    # -- JSON-RPC ----------------------------------------------------------------------------------
    def _result(self, method: str, reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise RpcReplyError(
                f"RPC at {self.url_redacted} sent a malformed reply to {method}: "
                f"{show_value(reply)}"
            )
        err = reply.get("error")
        if err is not None:
            if not isinstance(err, dict):
                raise RpcCallError(method, None, show_value(err, _MAX_ERROR_TEXT))
            code = err.get("code")
            if isinstance(code, bool) or not isinstance(code, int) or abs(code) >= 2**63:
                code = None
            message = err.get("message")
            message = message if isinstance(message, str) else show_value(message)
            if len(message) > _MAX_ERROR_TEXT:
                message = message[: _MAX_ERROR_TEXT - 3] + "..."
            data = err.get("data")
            if isinstance(data, dict):  # some nodes nest the revert data
                data = data.get("data")
            raise RpcCallError(method, code, message, _hex_to_bytes(data))
        if "result" not in reply:
            raise RpcReplyError(
                f"RPC at {self.url_redacted} sent a reply to {method} without a result: "
                f"{show_value(reply)}"
            )
        return reply["result"]

    @staticmethod
    def _request(method: Any, params: Any, id_: int) -> dict[str, Any]:
        if not isinstance(method, str) or not 0 < len(method) <= 200:
            raise TypeError(f"method must be a non-empty str, got {show_value(method)}")
        if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
            raise TypeError(f"params of {method} must be a list or tuple, got {show_value(params)}")
        return {"jsonrpc": "2.0", "id": id_, "method": method, "params": list(params)}

    @staticmethod
    def _dumps(obj: Any, method: str) -> bytes:
        try:
            return json.dumps(obj, allow_nan=False).encode()
        except (TypeError, ValueError, RecursionError) as e:
            raise TypeError(f"params of {method} are not JSON-serializable: {e}") from None

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call; returns ``result`` or raises :class:`RpcCallError`.

        The whole call (connect, send, reply) finishes within ``timeout_s`` or raises
        :class:`RpcUnreachableError`.
        """
        req = self._request(method, params, next(self._ids))
        deadline = time.monotonic() + self.timeout_s
        return self._result(method, self._post(self._dumps(req, method), method, deadline))

    def batch(
        self, calls: Sequence[tuple[str, Sequence[Any]]], *, return_errors: bool = False
    ) -> list[Any]:
        """Several calls in one HTTP request (JSON-RPC batch), results in the order of ``calls``.

        With ``return_errors=True`` a failed call yields its :class:`RpcCallError` in place of a
        result instead of raising. Endpoints that refuse batches are served call by call. One
        deadline (``timeout_s``) covers the whole batch, fallback included.
        """
        if isinstance(calls, (str, bytes)) or not isinstance(calls, Sequence):
            raise TypeError(f"calls must be a list of (method, params), got {show_value(calls)}")
        if not calls:
            return []
        reqs = []
        for c in calls:
            if not (isinstance(c, (tuple, list)) and len(c) == 2):
                raise TypeError(f"each call must be a (method, params) pair, got {show_value(c)}")
            reqs.append(self._request(c[0], c[1], next(self._ids)))
        methods = [r["method"] for r in reqs]
        what = f"a batch of {len(reqs)} calls ({', '.join(sorted(set(methods))[:4])})"
        deadline = time.monotonic() + self.timeout_s
        payload = self._dumps(reqs, what)
        try:
            reply = self._post(payload, what, deadline)
        except RpcReplyError:
            raise
        except RpcUnreachableError as e:
            if e.http_status not in (400, 405, 413, 415, 422):
                raise
            reply = None  # a proxy or provider that refuses batches with an HTTP error
        if not isinstance(reply, list):  # batch not supported (or refused): one by one
            replies = [self._post(self._dumps(r, r["method"]), r["method"], deadline) for r in reqs]
        else:
            by_id: dict[int, Any] = {}
            for r in reply:
                if isinstance(r, dict):
                    i = r.get("id")
                    if isinstance(i, int) and not isinstance(i, bool) and i not in by_id:
                        by_id[i] = r
            replies = [by_id.get(r["id"]) for r in reqs]
        out: list[Any] = []
        for req, method, r in zip(reqs, methods, replies, strict=True):
            if r is None and isinstance(reply, list):
                raise RpcReplyError(
                    f"RPC at {self.url_redacted} sent no reply to {method} (id {req['id']}) in "
                    f"its batch reply: {show_value(reply)}"
                )
            try:
                out.append(self._result(method, r))
            except RpcCallError as e:
                if not return_errors:
                    raise
                out.append(e)
        return out

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def call_params(
        to: str, data: bytes, block: str | int = "latest", sender: str | None = None
    ) -> list[Any]:
        """``eth_call`` params for calldata ``data`` sent to ``to`` at ``block``."""
        if not isinstance(to, str):
            raise TypeError(f"to must be an address string, got {show_value(to)}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes (calldata), got {show_value(data)}")
        if isinstance(block, bool) or not isinstance(block, (int, str)):
            raise TypeError(f"block must be an int or a tag like 'latest', got {show_value(block)}")
        if isinstance(block, int) and not 0 <= block < 2**64:
            raise LpperpError(
                f"block must be a block number in [0, 2**64), got {show_value(block)}"
            )
        tx: dict[str, Any] = {"to": to, "data": "0x" + bytes(data).hex()}
        if sender is not None:
            tx["from"] = sender
        return [tx, hex(block) if isinstance(block, int) else block]

    def eth_call(
        self, to: str, data: bytes, block: str | int = "latest", sender: str | None = None
    ) -> bytes:
        """Result bytes of a read-only call (checked: ``0x`` and an even number of hex digits)."""
        res = self.call("eth_call", self.call_params(to, data, block, sender))
        return hex_data(res, f"eth_call to {to} at {self.url_redacted}")

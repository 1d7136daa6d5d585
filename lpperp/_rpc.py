"""A small keep-alive JSON-RPC 2.0 client over HTTP(S), standard library only.

One persistent ``http.client`` connection per client, single calls and batches, a bounded timeout on
every socket operation, and errors that say what went wrong without dumping a traceback of the HTTP
stack (and without echoing API keys that providers put in URL paths).

Conventions: ``timeout_s`` is seconds per connect/send/receive; results are returned as the decoded
JSON ``result``; hex quantities are left to the caller (``int(x, 16)``). Nothing connects until the
first call.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from lpperp._abi import decode_revert

__all__ = [
    "ChainError",
    "JsonRpcClient",
    "RpcCallError",
    "RpcUnreachableError",
    "redact_url",
]


class ChainError(RuntimeError):
    """Something went wrong talking to a chain: the message says what and what to try."""


class RpcUnreachableError(ChainError):
    """The RPC endpoint could not be reached, timed out, or did not speak JSON-RPC."""

    http_status: int | None = None


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
    port = f":{parts.port}" if parts.port else ""
    tail = "/..." if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def _hex_to_bytes(x: Any) -> bytes | None:
    if isinstance(x, str) and x.startswith("0x"):
        try:
            return bytes.fromhex(x[2:])
        except ValueError:
            return None
    return None


class JsonRpcClient:
    """Keep-alive JSON-RPC client: ``call(method, params)`` and ``batch([(method, params), ...])``.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` endpoint.
    timeout_s : float
        Seconds allowed for each connect, send and receive (default 10).

    Examples
    --------
    >>> client = JsonRpcClient("http://127.0.0.1:8545", timeout_s=2.0)   # no connection yet
    >>> client.url_redacted
    'http://127.0.0.1:8545'
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None):
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(
                f"rpc_url must be an http:// or https:// URL, got {url!r} "
                "(websocket and IPC endpoints are not supported)"
            )
        if not (isinstance(timeout_s, (int, float)) and 0 < timeout_s <= 600):
            raise ValueError(
                f"timeout_s must be a number of seconds in (0, 600], got {timeout_s!r}"
            )
        parts = urlsplit(url)
        self.url = url
        self.url_redacted = redact_url(url)
        self.timeout_s = float(timeout_s)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if parts.username:
            import base64

            token = f"{parts.username}:{parts.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        self._headers.update(headers or {})
        self._conn: http.client.HTTPConnection | None = None
        self._ids = itertools.count(1)

    # -- transport ---------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host,
                    self._port,
                    timeout=self.timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                self._conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.timeout_s
                )
        return self._conn

    def close(self) -> None:
        """Close the persistent connection (the next call reconnects)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> JsonRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: bytes) -> Any:
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("POST", self._path, body=payload, headers=self._headers)
                resp = conn.getresponse()
                body = resp.read()
                status = resp.status
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()  # a keep-alive connection the server dropped: retry once, fresh
                if attempt:
                    raise self._unreachable(e) from None
            except (OSError, http.client.HTTPException) as e:
                self.close()
                raise self._unreachable(e) from None
        if status != 200:
            hint = {
                401: "the endpoint wants an API key",
                403: "the endpoint refused the request (API key or allow-list?)",
                429: "rate limited: wait, or use your own RPC URL",
            }.get(status, "")
            err = RpcUnreachableError(
                f"RPC at {self.url_redacted} answered HTTP {status}"
                + (f": {hint}" if hint else f": {body[:200]!r}")
            )
            err.http_status = status
            raise err
        try:
            return json.loads(body)
        except ValueError:
            raise RpcUnreachableError(
                f"RPC at {self.url_redacted} did not answer with JSON (is this a JSON-RPC "
                f"endpoint?): {body[:120]!r}"
            ) from None

    def _unreachable(self, e: BaseException) -> RpcUnreachableError:
        if isinstance(e, (socket.timeout, TimeoutError)):
            why = f"no answer within {self.timeout_s:g} s"
        elif isinstance(e, socket.gaierror):
            why = f"host name {self._host!r} could not be resolved"
        elif isinstance(e, ConnectionRefusedError):
            why = "connection refused (is the node running on that port?)"
        elif isinstance(e, ssl.SSLError):
            why = f"TLS error: {e}"
        else:
            why = f"{type(e).__name__}: {e}"
        return RpcUnreachableError(f"could not reach the RPC at {self.url_redacted}: {why}")

    # -- JSON-RPC ----------------------------------------------------------------------------------
    def _result(self, method: str, reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise RpcUnreachableError(
                f"RPC at {self.url_redacted} sent a malformed reply to {method}: {reply!r:.200}"
            )
        if "error" in reply and reply["error"] is not None:
            err = reply["error"]
            if not isinstance(err, dict):
                raise RpcCallError(method, None, str(err))
            data = err.get("data")
            if isinstance(data, dict):  # some nodes nest the revert data
                data = data.get("data")
            raise RpcCallError(
                method, err.get("code"), str(err.get("message")), _hex_to_bytes(data)
            )
        if "result" not in reply:
            raise RpcUnreachableError(
                f"RPC at {self.url_redacted} sent a reply to {method} without a result"
            )
        return reply["result"]

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call; returns ``result`` or raises :class:`RpcCallError`."""
        req = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        return self._result(method, self._post(json.dumps(req).encode()))

    def batch(
        self, calls: Sequence[tuple[str, Sequence[Any]]], *, return_errors: bool = False
    ) -> list[Any]:
        """Several calls in one HTTP request (JSON-RPC batch), results in the order of ``calls``.

        With ``return_errors=True`` a failed call yields its :class:`RpcCallError` in place of a
        result instead of raising. Endpoints that refuse batches are served call by call.
        """
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        reqs = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        try:
            reply = self._post(json.dumps(reqs).encode())
        except RpcUnreachableError as e:
            if e.http_status not in (400, 405, 413, 415, 422):
                raise
            reply = None  # a proxy or provider that refuses batches with an HTTP error
        if not isinstance(reply, list):  # batch not supported (or refused): one by one
            replies = [self._post(json.dumps(r).encode()) for r in reqs]
        else:
            by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
            replies = [by_id.get(i) for i in ids]
        out: list[Any] = []
        for (method, _), r in zip(calls, replies, strict=True):
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
        tx: dict[str, Any] = {"to": to, "data": "0x" + bytes(data).hex()}
        if sender is not None:
            tx["from"] = sender
        return [tx, hex(block) if isinstance(block, int) else block]

    def eth_call(
        self, to: str, data: bytes, block: str | int = "latest", sender: str | None = None
    ) -> bytes:
        """Result bytes of a read-only call."""
        res = self.call("eth_call", self.call_params(to, data, block, sender))
        return bytes.fromhex(res[2:])

"""Batched ``eth_call``s at one pinned block: the one way the chain modules talk to a node.

A :class:`Reader` checks the chain id, pins the latest block, checks that the contract it is about
to read has code, and then sends calls in batches (providers cap batch sizes), decoding the
replies; a reverted call comes back as its :class:`~lpperp._rpc.RpcCallError` for the caller to
judge. It is a context manager that closes the client it opened (never one passed in).
:func:`reply_checked` turns a check failing on values read from the chain into a
:class:`~lpperp._rpc.ChainError` that names the source.

>>> with Reader("http://127.0.0.1:9", None, 1.0) as r:  # doctest: +ELLIPSIS
...     r.start("0x" + "11" * 20, ChainError("no contract"))
Traceback (most recent call last):
...
lpperp._rpc.RpcUnreachableError: could not reach the RPC at http://127.0.0.1:9: ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lpperp._abi import decode, encode_call
from lpperp._rpc import ChainError, JsonRpcClient, RpcCallError, hex_data, hex_quantity
from lpperp._validate import LpperpError
from lpperp.chain.errors import WrongChainError
from lpperp.chain.presets import CHAIN_NAMES, ChainPreset

__all__ = ["BATCH_SIZE", "Reader", "reply_checked"]

BATCH_SIZE = 200
"""Calls per JSON-RPC batch (providers cap batch sizes)."""


class Reader:
    """Batched eth_calls at one pinned block, with errors turned into ChainErrors.

    Parameters
    ----------
    rpc : str or JsonRpcClient
        RPC URL (http/https) or an open client.
    chain : ChainPreset or None
        The chain expected (its ``chain_id`` is checked); None checks nothing.
    timeout_s : float
        Deadline of each RPC call, seconds.
    """

    def __init__(self, rpc: str | JsonRpcClient, chain: ChainPreset | None, timeout_s: float):
        self.client = (
            rpc if isinstance(rpc, JsonRpcClient) else JsonRpcClient(rpc, timeout_s=timeout_s)
        )
        self.owns_client = not isinstance(rpc, JsonRpcClient)
        self.chain = chain
        self.block: int | None = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def chain_name(self) -> str:
        """The preset's name, or ``"this chain"`` without one (for messages)."""
        return self.chain.name if self.chain else "this chain"

    def close(self) -> None:
        """Close the client if this reader opened it."""
        if self.owns_client:
            self.client.close()

    def start(self, contract: str, missing: ChainError) -> None:
        """Check the chain id, pin the block, and raise ``missing`` if ``contract`` has no code."""
        calls: list[tuple[str, list[Any]]] = [
            ("eth_chainId", []),
            ("eth_blockNumber", []),
            ("eth_getCode", [contract, "latest"]),
        ]
        try:
            res = self.client.batch(calls)
        except RpcCallError as e:
            raise ChainError(
                f"the RPC at {self.client.url_redacted} rejected a basic call ({e}); is it an "
                "Ethereum JSON-RPC endpoint?"
            ) from None
        url = self.client.url_redacted
        chain_id = hex_quantity(res[0], f"eth_chainId from {url}", max_bits=64)
        if self.chain is not None and self.chain.chain_id is not None:
            if chain_id != self.chain.chain_id:
                served = CHAIN_NAMES.get(chain_id, f"chain id {chain_id}")
                raise WrongChainError(
                    f"the RPC at {url} serves {served} (chain id {chain_id}), but "
                    f"chain={self.chain.name!r} expects chain id {self.chain.chain_id}: pass the "
                    "matching chain= or an RPC URL for that chain"
                )
        self.block = hex_quantity(res[1], f"eth_blockNumber from {url}", max_bits=63)
        if not hex_data(res[2], f"eth_getCode({contract}) from {url}"):
            raise missing

    def calls(self, specs: list[tuple[str, str, tuple, list[str] | None]]) -> list[Any]:
        """``(to, signature, args, out_types)`` -> decoded tuples (or raw bytes if out is None);
        a reverted call yields its RpcCallError."""
        reqs = [
            ("eth_call", JsonRpcClient.call_params(to, encode_call(sig, *args), self.block))
            for to, sig, args, _ in specs
        ]
        replies: list[Any] = []
        for i in range(0, len(reqs), BATCH_SIZE):
            replies += self.client.batch(reqs[i : i + BATCH_SIZE], return_errors=True)
        out: list[Any] = []
        for (_, sig, _, types), r in zip(specs, replies, strict=True):
            if isinstance(r, RpcCallError):
                out.append(r)
                continue
            raw = hex_data(r, f"eth_call {sig} from {self.client.url_redacted}")
            if types is None:
                out.append(raw)
                continue
            try:
                out.append(decode(types, raw))
            except ValueError as e:
                out.append(
                    RpcCallError(sig, None, f"undecodable return data 0x{raw.hex()[:80]} ({e})")
                )
        return out


@contextmanager
def reply_checked(where: str) -> Iterator[None]:
    """Turn a check failing on values read from the chain into a ChainError naming the source.

    >>> with reply_checked("pool 0x11"):  # doctest: +ELLIPSIS
    ...     raise LpperpError("tick_spacing must be an integer in [1, 16384], got 0")
    Traceback (most recent call last):
    ...
    lpperp._rpc.ChainError: pool 0x11 returned values no Uniswap v3 contract produces (...)
    """
    try:
        yield
    except ChainError as e:
        if where in str(e):
            raise
        raise ChainError(f"{where}: {e}") from None
    except (LpperpError, ArithmeticError) as e:
        raise ChainError(
            f"{where} returned values no Uniswap v3 contract produces ({type(e).__name__}: {e})"
        ) from None

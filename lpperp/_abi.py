"""Minimal Solidity ABI encoding and decoding, with a pure-Python Keccak-256.

Just enough ABI for a handful of static contract calls (``uintN``, ``intN``, ``address``,
``bool``, ``bytesN``, ``bytes``, ``string``, tuples ``(T1,T2,...)`` and arrays ``T[]`` / ``T[k]``),
written here so that ``import lpperp.chain`` stays cheap in a notebook (web3 takes ~1 s to import
and pulls in dozens of packages; we need a few ``eth_call`` s).

Conventions: integers are Python ``int`` (never float); addresses are ``0x``-prefixed hex strings
on the way in (any case) and EIP-55 checksummed strings on the way out; ``bytes`` values are Python
``bytes``; type strings are canonical Solidity (``uint256`` not ``uint``). Encoding follows the
Solidity ABI specification (head/tail layout, 32-byte words, two's complement for signed integers).
Decoding is strict, as Solidity's ``abi.decode``: a word that does not fit its type (``uint8`` with
high bits set, an ``int24`` that is not sign-extended, an address with non-zero high bytes, a bool
other than 0/1), data too short, or an array length larger than the data are ``ValueError`` s,
never a silently masked number or a huge allocation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = [
    "decode",
    "decode_revert",
    "encode",
    "encode_call",
    "keccak256",
    "selector",
    "to_checksum_address",
]

# ------------------------------------------------------------------------------------------------
# Keccak-256 (the original Keccak padding 0x01, not NIST SHA3-256's 0x06)
# ------------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_RC = []
_r = 1
for _ in range(24):
    _c = 0
    for _j in range(7):
        _r = ((_r << 1) ^ ((_r >> 7) * 0x71)) % 256
        if _r & 2:
            _c ^= 1 << ((1 << _j) - 1)
    _RC.append(_c)
_ROT = [[0] * 5 for _ in range(5)]
_x, _y = 1, 0
for _t in range(24):
    _ROT[_x][_y] = ((_t + 1) * (_t + 2) // 2) % 64
    _x, _y = _y, (2 * _x + 3 * _y) % 5
del _r, _c, _j, _x, _y, _t


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _MASK64 if n else v


def _keccak_f(a: list[list[int]]) -> None:
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                a[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotl(a[x][y], _ROT[x][y])
        for x in range(5):
            for y in range(5):
                a[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        a[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 digest of ``data`` (the hash Ethereum uses for selectors and addresses).

    Examples
    --------
    >>> keccak256(b"").hex()
    'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
    """
    rate = 136
    msg = bytearray(data)
    msg.append(0x01)
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off : off + rate]
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


@lru_cache(maxsize=256)
def selector(signature: str) -> bytes:
    """First four bytes of ``keccak256(signature)``: the function selector.

    Examples
    --------
    >>> selector("transfer(address,uint256)").hex()
    'a9059cbb'
    """
    return keccak256(signature.replace(" ", "").encode())[:4]


def to_checksum_address(address: str) -> str:
    """EIP-55 mixed-case checksum form of a 20-byte hex address.

    Examples
    --------
    >>> to_checksum_address("0xc36442b4a4522e871399cd717abdd847ab11fe88")
    '0xC36442b4a4522E871399CD717aBDD847Ab11FE88'
    """
    return _checksum(_address_hex(address))


@lru_cache(maxsize=4096)
def _checksum(h: str) -> str:
    """EIP-55 of 40 lower-case hex digits (cached: decoding repeats a few addresses many times)."""
    digest = keccak256(h.encode()).hex()
    return "0x" + "".join(ch.upper() if int(digest[i], 16) >= 8 else ch for i, ch in enumerate(h))


def _address_hex(address: str) -> str:
    if not isinstance(address, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        raise ValueError(f"address must be a 0x-prefixed string of 40 hex digits, got {address!r}")
    return address[2:].lower()


# ------------------------------------------------------------------------------------------------
# Types
# ------------------------------------------------------------------------------------------------


def _split_tuple(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if inner:
        parts.append(inner[start:])
    return parts


@lru_cache(maxsize=512)
def _parse(typ: str) -> tuple:
    """Parse a type string: ('tuple', [..]) | ('array', T, k | None) | ('basic', s)."""
    typ = typ.strip()
    m = re.fullmatch(r"(.*)\[(\d*)\]", typ)
    if m:
        return ("array", _parse(m.group(1)), int(m.group(2)) if m.group(2) else None)
    if typ.startswith("(") and typ.endswith(")"):
        return ("tuple", tuple(_parse(t) for t in _split_tuple(typ[1:-1])))
    if re.fullmatch(r"u?int(\d*)", typ):
        bits = int(re.sub(r"\D", "", typ) or 256)
        if bits % 8 or not 8 <= bits <= 256:
            raise ValueError(f"bad integer type {typ!r}")
    elif re.fullmatch(r"bytes(\d+)", typ):
        if not 1 <= int(typ[5:]) <= 32:
            raise ValueError(f"bad fixed bytes type {typ!r}")
    elif typ not in ("address", "bool", "bytes", "string"):
        raise ValueError(f"unsupported ABI type {typ!r}")
    return ("basic", typ)


def _is_dynamic(t: tuple) -> bool:
    if t[0] == "basic":
        return t[1] in ("bytes", "string")
    if t[0] == "array":
        return t[2] is None or _is_dynamic(t[1])
    return any(_is_dynamic(s) for s in t[1])


def _head_size(t: tuple) -> int:
    if _is_dynamic(t):
        return 32
    if t[0] == "tuple":
        return sum(_head_size(s) for s in t[1])
    if t[0] == "array":
        return t[2] * _head_size(t[1])
    return 32


# ------------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------------


def _enc_basic(typ: str, v: Any) -> bytes:
    if typ == "address":
        return bytes.fromhex(_address_hex(v)).rjust(32, b"\0")
    if typ == "bool":
        return (1 if v else 0).to_bytes(32, "big")
    if typ in ("bytes", "string"):
        raw = v.encode() if typ == "string" else bytes(v)
        pad = (-len(raw)) % 32
        return len(raw).to_bytes(32, "big") + raw + b"\0" * pad
    if typ.startswith("bytes"):
        raw = bytes(v)
        if len(raw) > int(typ[5:]):
            raise ValueError(f"{typ} value too long: {len(raw)} bytes")
        return raw.ljust(32, b"\0")
    bits = int(re.sub(r"\D", "", typ) or 256)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{typ} value must be a Python int, got {type(v).__name__} {v!r}")
    if typ.startswith("u"):
        if not 0 <= v < 1 << bits:
            raise ValueError(f"{typ} value out of range: {v}")
        return v.to_bytes(32, "big")
    if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
        raise ValueError(f"{typ} value out of range: {v}")
    return (v % (1 << 256)).to_bytes(32, "big")


def _enc_seq(types: Sequence[tuple], values: Sequence[Any]) -> bytes:
    if len(types) != len(values):
        raise ValueError(f"expected {len(types)} values, got {len(values)}")
    heads, tails = [], []
    offset = sum(_head_size(t) for t in types)
    for t, v in zip(types, values, strict=True):
        enc = _enc(t, v)
        if _is_dynamic(t):
            heads.append(offset.to_bytes(32, "big"))
            tails.append(enc)
            offset += len(enc)
        else:
            heads.append(enc)
    return b"".join(heads) + b"".join(tails)


def _enc(t: tuple, v: Any) -> bytes:
    if t[0] == "basic":
        return _enc_basic(t[1], v)
    if t[0] == "tuple":
        return _enc_seq(t[1], list(v))
    items = list(v)
    if t[2] is not None and len(items) != t[2]:
        raise ValueError(f"fixed array expects {t[2]} items, got {len(items)}")
    body = _enc_seq([t[1]] * len(items), items)
    return body if t[2] is not None else len(items).to_bytes(32, "big") + body


def encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """ABI-encode ``values`` as the arguments ``types`` (what follows the selector in calldata).

    Examples
    --------
    >>> encode(["uint256", "int24"], [1, -1]).hex()[-8:]
    'ffffffff'
    >>> len(encode(["string"], ["USDC"]))
    96
    """
    return _enc_seq([_parse(t) for t in types], list(values))


def encode_call(signature: str, *args: Any) -> bytes:
    """Calldata for ``signature`` (e.g. ``"positions(uint256)"``) called with ``args``.

    Examples
    --------
    >>> encode_call("balanceOf(address)", "0x" + "11" * 20).hex()[:8]
    '70a08231'
    """
    m = re.fullmatch(r"\s*\w+\s*\((.*)\)\s*", signature)
    if not m:
        raise ValueError(f"signature must look like 'name(type1,type2)', got {signature!r}")
    types = _split_tuple(m.group(1).replace(" ", ""))
    return selector(signature) + encode(types, args)


# ------------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------------


def _word(data: bytes, pos: int) -> int:
    if pos + 32 > len(data):
        raise ValueError(f"ABI data too short: need {pos + 32} bytes, have {len(data)}")
    return int.from_bytes(data[pos : pos + 32], "big")


def _dec_basic(typ: str, data: bytes, pos: int) -> Any:
    w = _word(data, pos)
    if typ == "address":
        if w >> 160:
            raise ValueError(f"ABI address word has non-zero high bytes: 0x{w:064x}")
        return to_checksum_address("0x" + w.to_bytes(20, "big").hex())
    if typ == "bool":
        if w > 1:
            raise ValueError(f"ABI bool word is neither 0 nor 1: 0x{w:064x}")
        return bool(w)
    if typ in ("bytes", "string"):
        n = w
        if n > len(data) or pos + 32 + n > len(data):
            raise ValueError(
                f"ABI data too short for a {typ} value of {min(n, 2**64)} bytes "
                f"(have {len(data)} bytes)"
            )
        raw = data[pos + 32 : pos + 32 + n]
        return raw.decode("utf-8", errors="replace") if typ == "string" else bytes(raw)
    if typ.startswith("bytes"):
        k = int(typ[5:])
        if k < 32 and w & ((1 << (8 * (32 - k))) - 1):
            raise ValueError(f"ABI {typ} word has non-zero padding: 0x{w:064x}")
        return bytes(data[pos : pos + k])
    bits = int(re.sub(r"\D", "", typ) or 256)
    if typ.startswith("u"):
        if w >> bits:
            raise ValueError(f"ABI value 0x{w:064x} does not fit {typ}")
        return w
    v = w - (1 << 256) if w >> 255 else w
    if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
        raise ValueError(f"ABI value 0x{w:064x} does not fit {typ} (not sign-extended)")
    return v


def _dec_seq(types: Sequence[tuple], data: bytes, base: int) -> list:
    out, pos = [], base
    for t in types:
        if _is_dynamic(t):
            out.append(_dec(t, data, base + _word(data, pos)))
        else:
            out.append(_dec(t, data, pos))
        pos += _head_size(t)
    return out


def _dec(t: tuple, data: bytes, pos: int) -> Any:
    if t[0] == "basic":
        return _dec_basic(t[1], data, pos)
    if t[0] == "tuple":
        return tuple(_dec_seq(t[1], data, pos))
    if t[2] is None:
        n = _word(data, pos)
        if n * _head_size(t[1]) > len(data) - pos - 32:  # checked before allocating n items
            raise ValueError(
                f"ABI data too short for an array of {min(n, 2**64)} items (have {len(data)} bytes)"
            )
        return _dec_seq([t[1]] * n, data, pos + 32)
    return _dec_seq([t[1]] * t[2], data, pos)


def decode(types: Sequence[str], data: bytes) -> tuple:
    """Decode ABI ``data`` (e.g. an ``eth_call`` result) as ``types``; returns a tuple.

    Examples
    --------
    >>> decode(["uint256", "int24"], encode(["uint256", "int24"], [7, -887272]))
    (7, -887272)
    """
    return tuple(_dec_seq([_parse(t) for t in types], bytes(data), 0))


_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


def decode_revert(data: bytes) -> str | None:
    """Reason carried by revert ``data``: the ``Error(string)`` text, ``Panic(0x..)``, or None.

    Examples
    --------
    >>> decode_revert(_ERROR_STRING + encode(["string"], ["Invalid token ID"]))
    'Invalid token ID'
    >>> decode_revert(b"") is None
    True
    """
    data = bytes(data)
    try:
        if data[:4] == _ERROR_STRING:
            return decode(["string"], data[4:])[0]
        if data[:4] == _PANIC:
            return f"Panic(0x{decode(['uint256'], data[4:])[0]:x})"
    except ValueError:
        return None
    return None

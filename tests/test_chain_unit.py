"""Unit tests of lpperp.chain, lpperp._abi and lpperp._rpc that need no node (loopback only)."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpperp._abi import (
    decode,
    decode_revert,
    encode,
    encode_call,
    keccak256,
    selector,
    to_checksum_address,
)
from lpperp._rpc import JsonRpcClient, RpcCallError, RpcUnreachableError, redact_url
from lpperp._validate import LpperpError
from lpperp.chain import (
    CHAINS,
    ChainPreset,
    TokenInfo,
    fee_growth_inside,
    pool_address,
    read_position,
    uncollected_fees,
)
from lpperp.chain.pools import pick_base_is_token0

# ---------------------------------------------------------------------------------------------
# Keccak, selectors, addresses
# ---------------------------------------------------------------------------------------------


def test_keccak_reference_vectors():
    # Ethereum's well-known hashes: empty input, "abc", the ERC-20 Transfer event topic
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )
    assert keccak256(b"Transfer(address,address,uint256)").hex() == (
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    )


def test_uniswap_selectors():
    # selectors as they appear in every position-manager transaction on Etherscan
    assert selector("positions(uint256)").hex() == "99fbab88"
    assert selector("slot0()").hex() == "3850c7bd"
    assert selector("decreaseLiquidity((uint256,uint128,uint256,uint256,uint256))").hex() == (
        "0c49ccbe"
    )
    assert selector("collect((uint256,address,uint128,uint128))").hex() == "fc6f7865"
    sig = (
        "mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256))"
    )
    assert selector(sig).hex() == "88316456"


@pytest.mark.parametrize(
    "address",
    [  # EIP-55 test vectors
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_checksum_eip55(address):
    assert to_checksum_address(address.lower()) == address


def test_pool_address_create2_known_pools():
    # USDC/WETH 0.05 % and 0.3 % on Ethereum mainnet (etherscan), token order given either way
    usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    weth = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    fac = CHAINS["ethereum"].factory
    assert pool_address(fac, usdc, weth, 500) == "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"
    assert pool_address(fac, weth, usdc, 3000) == "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8"


# ---------------------------------------------------------------------------------------------
# ABI encode / decode
# ---------------------------------------------------------------------------------------------
addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address("0x" + b.hex()))
VALUE = {
    "uint256": st.integers(0, 2**256 - 1),
    "uint128": st.integers(0, 2**128 - 1),
    "uint24": st.integers(0, 2**24 - 1),
    "int24": st.integers(-(2**23), 2**23 - 1),
    "int256": st.integers(-(2**255), 2**255 - 1),
    "address": addresses,
    "bool": st.booleans(),
    "string": st.text(max_size=80),
    "bytes": st.binary(max_size=80),
    "bytes32": st.binary(min_size=32, max_size=32),
    "uint16[]": st.lists(st.integers(0, 2**16 - 1), max_size=5),
    "(int24,string)": st.tuples(st.integers(-(2**23), 2**23 - 1), st.text(max_size=20)),
}


@given(st.lists(st.sampled_from(sorted(VALUE)), min_size=1, max_size=6).flatmap(
    lambda ts: st.tuples(st.just(ts), st.tuples(*(VALUE[t] for t in ts)))
))  # fmt: skip
def test_abi_round_trip(case):
    types, values = case
    out = decode(types, encode(types, values))
    expected = tuple(tuple(v) if isinstance(v, tuple) else v for v in values)
    assert out == expected


def test_abi_layout_matches_the_spec():
    # Solidity ABI spec example: f(uint256,uint32[],bytes10,bytes) with (0x123, [0x456, 0x789],
    # "1234567890", "Hello, world!")
    data = encode(["uint256", "uint32[]", "bytes10", "bytes"],
                  [0x123, [0x456, 0x789], b"1234567890", b"Hello, world!"])  # fmt: skip
    words = [data[i : i + 32].hex() for i in range(0, len(data), 32)]
    assert words[:4] == [
        f"{0x123:064x}",
        f"{0x80:064x}",
        "3132333435363738393000000000000000000000000000000000000000000000",
        f"{0xE0:064x}",
    ]
    assert words[4:7] == [f"{2:064x}", f"{0x456:064x}", f"{0x789:064x}"]
    assert words[7:] == [
        f"{13:064x}",
        "48656c6c6f2c20776f726c642100000000000000000000000000000000000000",
    ]


def test_abi_rejects_bad_values():
    with pytest.raises(ValueError, match="uint8 value out of range"):
        encode(["uint8"], [256])
    with pytest.raises(ValueError, match="must be a Python int"):
        encode(["uint256"], [1.5])
    with pytest.raises(ValueError, match="40 hex digits"):
        encode(["address"], ["0x1234"])
    with pytest.raises(ValueError, match="too short"):
        decode(["uint256", "uint256"], b"\0" * 32)
    with pytest.raises(ValueError, match="unsupported ABI type"):
        encode(["fixed128x18"], [1])
    assert encode_call("slot0()") == bytes.fromhex("3850c7bd")


def test_decode_revert():
    err = selector("Error(string)") + encode(["string"], ["Invalid token ID"])
    assert decode_revert(err) == "Invalid token ID"
    assert decode_revert(selector("Panic(uint256)") + encode(["uint256"], [0x11])) == "Panic(0x11)"
    assert decode_revert(b"\x01\x02") is None


# ---------------------------------------------------------------------------------------------
# JSON-RPC client against loopback servers
# ---------------------------------------------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode = type(self).mode
        if mode == "429" or (mode == "batch413" and isinstance(body, list)):
            self.send_response(429 if mode == "429" else 413)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "html":
            payload = b"<html>not json</html>"
        elif isinstance(body, list) and mode == "nobatch":
            refusal = {"code": -32600, "message": "batch unsupported"}
            payload = json.dumps({"jsonrpc": "2.0", "id": None, "error": refusal}).encode()
        else:
            reqs = body if isinstance(body, list) else [body]
            replies = [self._reply(r) for r in reqs]
            payload = json.dumps(replies if isinstance(body, list) else replies[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    @staticmethod
    def _reply(req):
        if req["method"] == "eth_chainId":
            return {"jsonrpc": "2.0", "id": req["id"], "result": "0x1"}
        if req["method"] == "eth_call":
            data = "0x" + (selector("Error(string)") + encode(["string"], ["nope"])).hex()
            return {"jsonrpc": "2.0", "id": req["id"],
                    "error": {"code": 3, "message": "execution reverted", "data": data}}  # fmt: skip
        return {"jsonrpc": "2.0", "id": req["id"], "result": req["method"]}


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        _Handler.mode = "ok"
        srv.shutdown()
        srv.server_close()


def test_rpc_calls_batches_and_reverts(server):
    _, url = server
    with JsonRpcClient(url, timeout_s=5) as c:
        assert c.call("eth_chainId") == "0x1"
        assert c.batch([("a", []), ("b", [1])]) == ["a", "b"]
        with pytest.raises(RpcCallError, match="revert reason: 'nope'") as e:
            c.eth_call("0x" + "11" * 20, b"")
        assert e.value.is_revert and e.value.reason == "nope"
        errs = c.batch([("eth_call", [{}]), ("x", [])], return_errors=True)
        assert isinstance(errs[0], RpcCallError) and errs[1] == "x"


def test_rpc_falls_back_when_batches_are_refused(server):
    _, url = server
    _Handler.mode = "nobatch"
    assert JsonRpcClient(url).batch([("a", []), ("b", [])]) == ["a", "b"]
    _Handler.mode = "batch413"
    assert JsonRpcClient(url).batch([("a", []), ("b", [])]) == ["a", "b"]


def test_rpc_http_errors_are_explained(server):
    _, url = server
    _Handler.mode = "429"
    with pytest.raises(RpcUnreachableError, match="HTTP 429: rate limited"):
        JsonRpcClient(url + "/v2/SECRET").call("eth_chainId")
    _Handler.mode = "html"
    with pytest.raises(RpcUnreachableError, match="did not answer with JSON") as e:
        JsonRpcClient(url + "/v2/SECRET").call("eth_chainId")
    assert "SECRET" not in str(e.value)


def test_rpc_unreachable_and_timeout_are_bounded():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RpcUnreachableError, match="connection refused"):
        JsonRpcClient(f"http://127.0.0.1:{port}", timeout_s=1).call("eth_chainId")
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(
            RpcUnreachableError,
            match=r"no complete answer to eth_chainId within the deadline of 0\.3 s",
        ):
            JsonRpcClient(url, timeout_s=0.3).call("eth_chainId")
        assert time.monotonic() - t0 < 5
    finally:
        silent.close()
    with pytest.raises(ValueError, match="http:// or https://"):
        JsonRpcClient("wss://example.org")
    with pytest.raises(ValueError, match="timeout_s"):
        JsonRpcClient("http://127.0.0.1:1", timeout_s=0)


def test_redact_url_hides_keys():
    assert redact_url("https://mainnet.infura.io/v3/abcdef") == "https://mainnet.infura.io/..."
    assert redact_url("https://rpc.example?key=abc") == "https://rpc.example/..."


# ---------------------------------------------------------------------------------------------
# chain: presets, orientation, fee math, arguments
# ---------------------------------------------------------------------------------------------
def test_presets_are_checksummed_and_sourced():
    assert set(CHAINS) == {"ethereum", "arbitrum", "base", "optimism"}
    for preset in CHAINS.values():
        assert to_checksum_address(preset.position_manager) == preset.position_manager
        assert preset.source and preset.chain_id
    assert CHAINS["base"].factory != CHAINS["arbitrum"].factory
    with pytest.raises(LpperpError, match="position_manager must be"):
        ChainPreset("x", 1, "0x12", CHAINS["base"].factory)


USDC = TokenInfo("0x" + "aa" * 20, "USDC", 6)
WETH = TokenInfo("0x" + "bb" * 20, "WETH", 18)
ARB = TokenInfo("0x" + "cc" * 20, "ARB", 18)
USDT = TokenInfo("0x" + "dd" * 20, "USDT", 6)


def test_default_quote_is_the_stablecoin_then_weth():
    assert pick_base_is_token0(WETH, USDC, None) is True  # Arbitrum WETH/USDC: quote USDC
    assert pick_base_is_token0(USDC, WETH, None) is False  # mainnet USDC/WETH: quote USDC
    assert pick_base_is_token0(WETH, ARB, None) is False  # ARB priced in WETH
    assert pick_base_is_token0(USDC, USDT, None) is True  # tie: token1 is the quote
    assert pick_base_is_token0(WETH, USDC, "weth") is False  # user's choice, any case
    assert pick_base_is_token0(WETH, USDC, WETH.address) is False
    with pytest.raises(LpperpError, match="quote='DAI' is neither token"):
        pick_base_is_token0(WETH, USDC, "DAI")


def test_fee_growth_inside_wraps_like_solidity():
    # global grew past 2**256 (wrapped) while the outsides are large: the inside is still right
    top = 2**256
    g, lo_out, hi_out = 5, top - 10, top - 20  # global wrapped to 5; outsides before the wrap
    inside = fee_growth_inside(0, -60, 60, g, lo_out, hi_out)
    assert inside == (g - lo_out - hi_out) % top
    # below the range: below = global - outside_lower, above = outside_upper
    assert fee_growth_inside(-100, -60, 60, 1000, 100, 300) == (1000 - (1000 - 100) - 300) % top
    # dG wraps too, and tokensOwed wraps at uint128 as in Solidity 0.7
    assert uncollected_fees(2**64, 3, top - 2**64 + 3, 0) == 1
    assert uncollected_fees(0, 10**40, 0, 7) == 7
    with pytest.raises(LpperpError, match="liquidity"):
        uncollected_fees(-1, 0, 0, 0)


def test_bad_arguments_are_value_errors():
    with pytest.raises(LpperpError, match="token_id"):
        read_position("http://127.0.0.1:1", -1)
    with pytest.raises(LpperpError, match="chain must be one of"):
        read_position("http://127.0.0.1:1", 1, chain="solana")
    with pytest.raises(ValueError, match="http:// or https://"):
        read_position("127.0.0.1:8545", 1)


def test_import_makes_no_network_calls():
    code = (
        "import socket\n"
        "def boom(*a, **k): raise SystemExit('network call at import')\n"
        "socket.socket.connect = boom\n"
        "socket.create_connection = boom\n"
        "import lpperp.chain\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


# ---------------------------------------------------------------------------------------------
# strict reply checks (issue 13): quantities, data, ABI words
# ---------------------------------------------------------------------------------------------
def test_hex_quantities_and_data_are_checked():
    from lpperp._rpc import ChainError, RpcReplyError, hex_data, hex_quantity, show_value

    assert hex_quantity("0x7a69", "eth_chainId", max_bits=64) == 31337
    assert hex_quantity("0x" + "0" * 40 + "1", "x") == 1  # leading zeros tolerated, within reason
    for bad in (31337, None, "7a69", "0x", "0xg1", "0X10", " 0x1", "0x" + "f" * 17, [1], 1.0):
        with pytest.raises(RpcReplyError, match="eth_chainId: expected a hex quantity"):
            hex_quantity(bad, "eth_chainId", max_bits=64)
    with pytest.raises(ChainError, match=r"got '0x9999.*\.\.\.") as e:  # 100k digits: abbreviated
        hex_quantity("0x" + "9" * 100_000, "eth_blockNumber", max_bits=63)
    assert len(str(e.value)) < 300 and isinstance(e.value, LpperpError)
    assert hex_data("0x", "eth_call") == b"" and hex_data("0xA0ff", "eth_call") == b"\xa0\xff"
    for bad in ("0xabc", "0xzz", "abcd", 12, None, b"0x00"):
        with pytest.raises(RpcReplyError, match="eth_call: expected hex data"):
            hex_data(bad, "eth_call")
    with pytest.raises(RpcReplyError, match="at most 2 bytes"):
        hex_data("0x000000", "eth_call", max_bytes=2)
    assert show_value(10**20_000) == "<int of 66439 bits>"  # repr() itself would raise
    assert len(show_value(["x" * 10_000] * 1000)) <= 160


def test_abi_decoding_is_strict_like_solidity():
    word = lambda v: v.to_bytes(32, "big")  # noqa: E731
    with pytest.raises(ValueError, match="does not fit uint8"):
        decode(["uint8"], word(256))
    with pytest.raises(ValueError, match="does not fit int24"):
        decode(["int24"], word(2**23))  # not sign-extended
    assert decode(["int24"], word(2**256 - 1)) == (-1,)
    with pytest.raises(ValueError, match="non-zero high bytes"):
        decode(["address"], word(2**160))
    with pytest.raises(ValueError, match="neither 0 nor 1"):
        decode(["bool"], word(2))
    with pytest.raises(ValueError, match="non-zero padding"):
        decode(["bytes4"], word(1))
    # an absurd array length or string length is refused before anything is allocated
    with pytest.raises(ValueError, match="too short for an array"):
        decode(["uint256[]"], word(32) + word(2**255))
    with pytest.raises(ValueError, match="too short for a string"):
        decode(["string"], word(32) + word(2**200))
    assert decode_revert(word(2**255)) is None


def test_onchain_position_calls_its_lp_lp():
    from lpperp.chain import example_position

    pos = example_position()
    with pytest.warns(DeprecationWarning, match="renamed OnchainPosition.lp"):
        assert pos.position is pos.lp  # the old field name, for one release
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pos.nope  # noqa: B018


def test_https_to_a_plain_http_server_is_a_tls_error(server):
    _, url = server
    t0 = time.monotonic()
    with pytest.raises(RpcUnreachableError, match="TLS error"):
        JsonRpcClient(url.replace("http://", "https://"), timeout_s=2).call("eth_chainId")
    assert time.monotonic() - t0 < 3


@pytest.mark.parametrize("bad", [None, 1.5, "7", True, 2**300, -(2**300), float("nan")])
def test_exact_helpers_refuse_non_integers_by_name(bad):
    from lpperp.chain import tick_window

    fac, a, b = CHAINS["ethereum"].factory, "0x" + "aa" * 20, "0x" + "bb" * 20
    calls = [
        lambda: fee_growth_inside(bad, -60, 60, 1000, 100, 300),
        lambda: fee_growth_inside(0, -60, 60, bad, 100, 300),
        lambda: uncollected_fees(10, bad, 0, 0),
        lambda: uncollected_fees(10, 5, 0, bad),
        lambda: pool_address(fac, a, b, bad),
        lambda: pool_address(fac, a, b, 500, bad),
        lambda: tick_window(bad, 60, 1),
        lambda: tick_window(0, 60, bad),
    ]
    for call in calls:
        with pytest.raises(LpperpError, match=r"must be"):
            call()

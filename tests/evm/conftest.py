"""The real Uniswap v3 contracts in a local anvil node, for differential tests (see notes/evm-oracle).

Session fixture ``evm``: starts anvil (from ``npm ci``: node_modules/@foundry-rs/anvil-linux-amd64) on a
free loopback port, deploys, from the npm artifacts and with no compiler and no download:

- ``WETH`` (18 decimals) and two 6-decimal stablecoins ``USDC``/``USDT`` (OpenZeppelin
  ERC20PresetMinterPauser; decimals written to storage slot 6), placed so that one stablecoin sorts
  below WETH and the other above: pools with token order both ways (decimals 6/18 and 18/6);
- WETH9, UniswapV3Factory (+ ``enableFeeAmount(100, 1)``), NonfungiblePositionManager(factory, weth9,
  zero descriptor), SwapRouter, QuoterV2;
- for each pair uninitialised 0.01 % and 0.05 % pools (the 0.01 % tier has tick spacing 1: every
  tick is a possible bound; each simulated case initialises a pool at its own price) and a 0.3 %
  pool initialised at 3000 stablecoin per WETH.

anvil is stopped by its PID at the end of the session, also when a test fails. Tests isolate their
state changes with the ``snapshot`` fixture (``evm_snapshot``/``evm_revert``); read-only differential
cases run as ``eth_simulateV1`` requests batched in one HTTP round trip.

Where npm or the anvil binary is missing the tests skip with a message, unless ``CI=true``: then they
fail.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lpperp._abi import (
    decode,
    decode_revert,
    encode,
    encode_call,
    keccak256,
    to_checksum_address,
)
from lpperp._rpc import JsonRpcClient, RpcCallError
from lpperp.chain import ChainPreset
from lpperp.units import PoolSpec

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
ANVIL = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ARTIFACTS = {
    "factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "npm": "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/"
    "NonfungiblePositionManager.json",
    "router": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "quoter": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "weth9": "canonical-weth/build/contracts/WETH9.json",
    "erc20": "@openzeppelin/contracts/build/contracts/ERC20PresetMinterPauser.json",
    # 0x sol-compiler artifact: init code at compilerOutput.evm.bytecode.object (notes/oracles.md §5)
    "mock_v3_aggregator": "@chainlink/contracts/abi/v0.7/MockV3Aggregator.json",
}
ZERO = "0x" + "00" * 20
MAX_UINT = 2**256 - 1
DEADLINE = 2**64
GAS = 16_000_000  # explicit gas limit (< 2**24), as the oracle notes advise
IN_CI = os.environ.get("CI") == "true"

MINT_SIG = (
    "mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256))"
)
DECREASE_SIG = "decreaseLiquidity((uint256,uint128,uint256,uint256,uint256))"
COLLECT_SIG = "collect((uint256,address,uint128,uint128))"
SWAP_SIG = "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"EVM tests need {reason}; CI=true, so this is a failure, not a skip")
    pytest.skip(f"EVM tests skipped: {reason} (run `npm ci` in the repo root on linux x86-64)")


def _artifact(name: str) -> dict[str, Any]:
    candidates = [NODE_MODULES / ARTIFACTS[name]]
    if name == "erc20":  # npm may nest OpenZeppelin 3.4 under the periphery package
        candidates.append(NODE_MODULES / "@uniswap/v3-periphery/node_modules" / ARTIFACTS[name])
    for p in candidates:
        if p.exists():
            return json.loads(p.read_text())
    _unavailable(f"the npm artifact {ARTIFACTS[name]}")
    raise AssertionError("unreachable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Token:
    symbol: str
    address: str
    decimals: int


@dataclass(frozen=True)
class Pool:
    address: str
    token0: Token
    token1: Token
    fee: int
    tick_spacing: int

    @property
    def label(self) -> str:
        return f"{self.token0.symbol}/{self.token1.symbol}"

    @property
    def weth_is_token0(self) -> bool:
        return self.token0.symbol == "WETH"

    @property
    def spec(self) -> PoolSpec:
        """The pool as lpperp prices it: WETH the base, the stablecoin the quote."""
        stable = self.token1 if self.weth_is_token0 else self.token0
        return PoolSpec("WETH", stable.symbol, 18, stable.decimals, self.weth_is_token0, self.fee,
                        self.tick_spacing)  # fmt: skip

    def amounts(self, weth: float, stable: float) -> tuple[int, int]:
        """Human WETH and stablecoin amounts as raw ``(amount0, amount1)``."""
        w, s = int(weth * 10**18), int(stable * 10**6)
        return (w, s) if self.weth_is_token0 else (s, w)


@dataclass
class Evm:
    """Handle on the running node and the deployed contracts (addresses checksummed)."""

    MINT_SIG = MINT_SIG
    DECREASE_SIG = DECREASE_SIG
    COLLECT_SIG = COLLECT_SIG
    SWAP_SIG = SWAP_SIG
    DEADLINE = DEADLINE

    url: str
    rpc: JsonRpcClient
    proc: subprocess.Popen
    accounts: list[str]
    addr: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)

    @property
    def sender(self) -> str:
        return self.accounts[0]

    # -- transactions ------------------------------------------------------------------------------
    def send(self, to: str | None, data: bytes, *, sender: str | None = None, value: int = 0):
        tx: dict[str, Any] = {
            "from": sender or self.sender,
            "data": "0x" + data.hex(),
            "gas": hex(GAS),
            "value": hex(value),
        }
        if to is not None:
            tx["to"] = to
        try:
            h = self.rpc.call("eth_sendTransaction", [tx])
        except RpcCallError as e:
            raise AssertionError(f"transaction to {to} reverted: {e}") from None
        for _ in range(400):  # receipts can be null right after sending, even with automine
            rcpt = self.rpc.call("eth_getTransactionReceipt", [h])
            if rcpt is not None:
                break
            time.sleep(0.005)
        else:
            raise AssertionError(f"no receipt for {h}")
        if int(rcpt["status"], 16) != 1:
            raise AssertionError(f"transaction to {to} failed: {rcpt}")
        return rcpt

    def deploy(self, name: str, types: list[str] = (), args: list[Any] = ()) -> str:
        art = _artifact(name)
        init = art["bytecode"] if "bytecode" in art else art["compilerOutput"]["evm"]["bytecode"]
        code = bytes.fromhex((init if isinstance(init, str) else init["object"]).removeprefix("0x"))
        rcpt = self.send(None, code + encode(list(types), list(args)))
        return to_checksum_address(rcpt["contractAddress"])

    def call(
        self, to: str, signature: str, *args: Any, out: list[str], sender=None, block="latest"
    ):
        raw = self.rpc.eth_call(to, encode_call(signature, *args), block, sender or self.sender)
        res = decode(out, raw)
        return res[0] if len(out) == 1 else res

    def preset(self) -> ChainPreset:
        """The lpperp chain preset of this deployment (chain id 31337, its factory and NPM)."""
        return ChainPreset("anvil", 31337, self.addr["npm"], self.addr["factory"], "test deploy")

    def slot0(self, pool: Pool) -> tuple[int, int]:
        """The pool's ``(sqrtPriceX96, tick)`` now."""
        return self.call(pool.address, "slot0()", out=["uint160", "int24"])

    def mint(self, pool: Pool, lo: int, hi: int, amount0: int, amount1: int,
             owner: str | None = None) -> tuple[int, int, int, int]:  # fmt: skip
        """Mint through the position manager (a real transaction, desired amounts, no minimum);
        ``(token_id, liquidity, amount0, amount1)`` as the call returned them."""
        owner = owner or self.sender
        params = (pool.token0.address, pool.token1.address, pool.fee, lo, hi, amount0, amount1,
                  0, 0, owner, DEADLINE)  # fmt: skip
        data = encode_call(MINT_SIG, params)
        ret = decode(["uint256", "uint128", "uint256", "uint256"],
                     self.rpc.eth_call(self.addr["npm"], data, "latest", owner))  # fmt: skip
        self.send(self.addr["npm"], data, sender=owner)
        return ret

    def swap_in(self, pool: Pool, zero_for_one: bool, amount_in: int, trader: str | None = None
                ) -> int:  # fmt: skip
        """Exact-input swap through the SwapRouter (a real transaction, no price limit: the router
        uses MIN+1 / MAX-1); the amount out."""
        trader = trader or self.sender
        tin, tout = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
        data = encode_call(SWAP_SIG, (tin.address, tout.address, pool.fee, trader, DEADLINE,
                                      amount_in, 0, 0))  # fmt: skip
        (out,) = decode(["uint256"], self.rpc.eth_call(self.addr["router"], data, "latest", trader))
        self.send(self.addr["router"], data, sender=trader)
        return out

    def block_timestamp(self, block: str | int = "latest") -> int:
        tag = hex(block) if isinstance(block, int) else block
        return int(self.rpc.call("eth_getBlockByNumber", [tag, False])["timestamp"], 16)

    def at(self, timestamp: int) -> None:
        """The next block (the next transaction, with automine) gets ``timestamp``."""
        self.rpc.call("evm_setNextBlockTimestamp", [timestamp])

    def mine(self, timestamp: int | None = None) -> None:
        """Mine an empty block (at ``timestamp`` if given)."""
        if timestamp is not None:
            self.at(timestamp)
        self.rpc.call("evm_mine", [])

    def snapshot(self) -> str:
        return self.rpc.call("evm_snapshot", [])

    def revert(self, snap: str) -> None:
        assert self.rpc.call("evm_revert", [snap]) is True

    # -- batched simulation ------------------------------------------------------------------------
    def simulate(self, cases: list[list[tuple[str, bytes]]], *, sender: str | None = None):
        """Run each case (a list of (to, calldata) calls) on its own copy of the latest state.

        All cases travel in one JSON-RPC batch of ``eth_simulateV1`` requests; the calls of a case
        share state (a mint sees the pool the preceding ``initialize`` set up). Returns, per case,
        a list of ``(ok, return_bytes)``; on a revert the bytes are the revert data.
        """
        frm = sender or self.sender
        reqs = []
        for calls in cases:
            block = {
                "calls": [
                    {"from": frm, "to": to, "data": "0x" + data.hex(), "gas": hex(GAS)}
                    for to, data in calls
                ]
            }
            reqs.append(("eth_simulateV1", [{"blockStateCalls": [block]}, "latest"]))
        out = []
        for res in self.rpc.batch(reqs):
            per = []
            for c in res[0]["calls"]:
                ok = int(c["status"], 16) == 1
                data = bytes.fromhex(c.get("returnData", "0x")[2:])
                if not ok and not data and isinstance(c.get("error"), dict):
                    data = bytes.fromhex(str(c["error"].get("data") or "0x")[2:])
                per.append((ok, data))
            out.append(per)
        return out

    @staticmethod
    def reason(data: bytes) -> str:
        return decode_revert(data) or (data.hex() or "no reason")


def _start_anvil() -> tuple[subprocess.Popen, str]:
    last = ""
    log = tempfile.TemporaryFile()
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [
                str(ANVIL),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--silent",
                "--accounts",
                "3",
                "--balance",
                "1000000",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,  # a file, not a pipe: a chatty node can never block on a full pipe
        )
        url = f"http://127.0.0.1:{port}"
        rpc = JsonRpcClient(url, timeout_s=5.0)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                rpc.call("eth_chainId")
                rpc.close()
                return proc, url
            except Exception:
                time.sleep(0.05)
        _stop(proc)
        log.seek(0)
        last = log.read().decode(errors="replace")[-2000:]
    raise RuntimeError(f"anvil did not start: {last}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _deploy(evm: Evm) -> None:
    me = evm.sender
    weth = evm.deploy("erc20", ["string", "string"], ["Wrapped Ether", "WETH"])
    evm.tokens["WETH"] = Token("WETH", weth, 18)
    # CREATE addresses depend on the deployer's nonce only: predict each next address and deploy
    # "USDC" where it sorts below WETH and "USDT" where it sorts above (burning a nonce otherwise).
    for _ in range(64):
        if "USDC" in evm.tokens and "USDT" in evm.tokens:
            break
        nonce = int(evm.rpc.call("eth_getTransactionCount", [me, "latest"]), 16)
        nxt = _create_address(me, nonce)
        sym = "USDC" if int(nxt, 16) < int(weth, 16) else "USDT"
        if sym in evm.tokens:
            evm.send(me, b"")  # burn the nonce
            continue
        a = evm.deploy("erc20", ["string", "string"], [f"{sym} (test, 6 decimals)", sym])
        assert int(a, 16) == int(nxt, 16)
        evm.rpc.call("anvil_setStorageAt", [a, "0x6", "0x" + (6).to_bytes(32, "big").hex()])
        evm.tokens[sym] = Token(sym, to_checksum_address(a), 6)
    assert "USDC" in evm.tokens and "USDT" in evm.tokens, "could not place both stablecoins"
    for t in evm.tokens.values():
        for acct in evm.accounts:
            evm.send(t.address, encode_call("mint(address,uint256)", acct, 2**200))
    evm.addr["weth9"] = evm.deploy("weth9")
    evm.addr["factory"] = fac = evm.deploy("factory")
    evm.send(fac, encode_call("enableFeeAmount(uint24,int24)", 100, 1))
    evm.addr["npm"] = evm.deploy(
        "npm", ["address", "address", "address"], [fac, evm.addr["weth9"], ZERO]
    )
    evm.addr["router"] = evm.deploy("router", ["address", "address"], [fac, evm.addr["weth9"]])
    evm.addr["quoter"] = evm.deploy("quoter", ["address", "address"], [fac, evm.addr["weth9"]])
    for t in evm.tokens.values():
        for spender in (evm.addr["npm"], evm.addr["router"]):
            for acct in evm.accounts:
                evm.send(
                    t.address,
                    encode_call("approve(address,uint256)", spender, MAX_UINT),
                    sender=acct,
                )
    for sym in ("USDC", "USDT"):
        a, b = sorted([evm.tokens["WETH"], evm.tokens[sym]], key=lambda t: int(t.address, 16))
        for fee, spacing in ((100, 1), (500, 10), (3000, 60)):
            evm.send(
                fac, encode_call("createPool(address,address,uint24)", a.address, b.address, fee)
            )
            pool = evm.call(
                fac, "getPool(address,address,uint24)", a.address, b.address, fee, out=["address"]
            )
            evm.pools[f"{sym}-{fee}"] = Pool(pool, a, b, fee, spacing)
    # the 0.3 % pools start at 3000 stablecoin per WETH (human units), whatever the order
    for sym in ("USDC", "USDT"):
        p = evm.pools[f"{sym}-3000"]
        evm.send(p.address, encode_call("initialize(uint160)", sqrt_price_x96_for(p, 3000.0)))


def sqrt_price_x96_for(p: Pool, stable_per_weth: float) -> int:
    """sqrtPriceX96 (float-accurate) of pool ``p`` at a human price of stablecoin per WETH."""
    if p.token0.symbol == "WETH":  # raw price = token1 per token0 in base units
        raw = stable_per_weth * 10.0 ** (p.token1.decimals - p.token0.decimals)
    else:
        raw = (1 / stable_per_weth) * 10.0 ** (p.token1.decimals - p.token0.decimals)
    return int(math.sqrt(raw) * 2**96)


def _create_address(sender: str, nonce: int) -> str:
    """Address of the contract ``sender`` creates with ``nonce``: keccak(rlp([sender, nonce]))."""
    n = (
        b"\x80"
        if nonce == 0
        else (
            bytes([nonce])
            if nonce < 0x80
            else bytes([0x80 + (nonce.bit_length() + 7) // 8])
            + nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        )
    )
    body = bytes([0x94]) + bytes.fromhex(sender[2:]) + n
    return "0x" + keccak256(bytes([0xC0 + len(body)]) + body)[12:].hex()


@pytest.fixture(scope="session")
def evm():
    """The running node with everything deployed (see the module docstring)."""
    if not NODE_MODULES.exists():
        _unavailable("node_modules (npm ci was not run)")
    if not ANVIL.exists():
        _unavailable(f"the anvil binary at {ANVIL.relative_to(ROOT)}")
    proc, url = _start_anvil()
    try:
        rpc = JsonRpcClient(url, timeout_s=30.0)
        accounts = [a if a.startswith("0x") else "0x" + a for a in rpc.call("eth_accounts")]
        e = Evm(url=url, rpc=rpc, proc=proc, accounts=[to_checksum_address(a) for a in accounts])
        _deploy(e)
        yield e
    finally:
        _stop(proc)


@pytest.fixture
def snapshot(evm):
    """Undo every state change of the test: ``evm_snapshot`` before, ``evm_revert`` after."""
    snap = evm.snapshot()
    try:
        yield evm
    finally:
        evm.revert(snap)


# -- bookkeeping: how many randomized cases matched the contracts to the wei, and how long it took --
WEI_CASES: Counter[str] = Counter()
_TIMES: dict[str, float] = {"evm_s": 0.0}


@pytest.fixture(scope="session")
def wei_cases() -> Counter[str]:
    """Counter that tests bump by the number of cases they checked to the wei (per topic)."""
    return WEI_CASES


def pytest_runtest_logreport(report):
    if "tests/evm/" in report.nodeid.replace("\\", "/"):
        _TIMES["evm_s"] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not WEI_CASES and not _TIMES["evm_s"]:
        return
    groups = {"randomized": {}, "fixed": {}, "coverage": {}}
    for k, v in WEI_CASES.items():
        kind, _, name = k.partition(": ") if k.startswith(("fixed", "coverage")) else ("", "", k)
        groups[kind or "randomized"][name] = v
    terminalreporter.write_sep("-", "EVM differential tests")
    rnd = groups["randomized"]
    reverts = sum(v for k, v in rnd.items() if "revert" in k)
    terminalreporter.write_line(
        f"{sum(rnd.values()) - reverts} randomized cases matched the real Uniswap v3 contracts to "
        f"the wei (+ {reverts} predicted reverts); tests/evm took {_TIMES['evm_s']:.1f} s "
        "(setup + calls + teardown)"
    )
    for title, items in groups.items():
        if items:
            terminalreporter.write_line(f"  {title}:")
        for k, v in sorted(items.items()):
            terminalreporter.write_line(f"    {v:6d}  {k}")

"""The fixture deploys the real contracts: tokens with the right decimals, pools found by periphery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpperp._abi import keccak256

pytestmark = pytest.mark.evm


def test_tokens_and_pools(evm):
    for t in evm.tokens.values():
        assert evm.call(t.address, "decimals()", out=["uint8"]) == t.decimals
        assert evm.call(t.address, "symbol()", out=["string"]) == t.symbol
    orders = set()
    for p in evm.pools.values():
        assert evm.call(p.address, "token0()", out=["address"]) == p.token0.address
        assert evm.call(p.address, "fee()", out=["uint24"]) == p.fee
        assert evm.call(p.address, "tickSpacing()", out=["int24"]) == p.tick_spacing
        orders.add((p.token0.decimals, p.token1.decimals))
    assert orders == {(6, 18), (18, 6)}
    # the position manager reaches the factory and the WETH9 it was built with
    assert evm.call(evm.addr["npm"], "factory()", out=["address"]) == evm.addr["factory"]
    assert evm.call(evm.addr["npm"], "WETH9()", out=["address"]) == evm.addr["weth9"]


@settings(max_examples=10, deadline=None, database=None)
@given(st.lists(st.binary(max_size=700), min_size=20, max_size=20))
def test_keccak_matches_the_node(evm, batch):
    """Our pure-Python Keccak-256 (selectors, CREATE2, checksums) vs the node's web3_sha3."""
    theirs = evm.rpc.batch([("web3_sha3", ["0x" + b.hex()]) for b in batch])
    assert [keccak256(b).hex() for b in batch] == [h[2:] for h in theirs]

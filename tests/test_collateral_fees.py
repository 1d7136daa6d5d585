"""How a venue counts uncollected LP fees as collateral: :class:`lpperp.collateral.FeeRule`.

Arcadia's rule, read in arcadia-finance/accounts-v2@d0b559cba2c2f138c555a45e0bc40ecf200b922a
``src/asset-modules/UniswapV3/UniswapV3AM.sol`` ``_getUnderlyingAssetsAmounts`` (2026-11-30)::

    fee0 = fee0 > principal0 ? principal0 : fee0;
    fee1 = fee1 > principal1 ? principal1 : fee1;
    underlyingAssetsAmounts[0] = principal0 + fee0;  underlyingAssetsAmounts[1] = principal1 + fee1;

is evaluated here by hand on token amounts; Revert Lend counts them at par (notes/venue-rules.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpperp.collateral import (
    ARCADIA_FEE_CAP,
    ARCADIA_FEE_CAP_SOURCE,
    FEES_AT_PAR,
    FeeRule,
    arcadia_capped_fees,
)
from lpperp.position import LPPosition


def arcadia_by_hand(fee0, fee1, principal0, principal1):
    """The Solidity lines above on plain numbers: the capped amounts of each token."""
    fee0 = principal0 if fee0 > principal0 else fee0
    fee1 = principal1 if fee1 > principal1 else fee1
    return fee0, fee1


@pytest.mark.parametrize(
    "fee_base, fee_quote, principal_base, principal_quote, price",
    [
        (0.5, 100.0, 2.0, 40.0, 3000.0),  # quote capped
        (3.0, 10.0, 2.0, 40.0, 3000.0),  # base capped
        (3.0, 100.0, 2.0, 40.0, 2500.0),  # both capped
        (0.1, 1.0, 2.0, 40.0, 3100.0),  # neither
        (1.0, 1.0, 0.0, 5000.0, 4000.0),  # above the range: no base principal, base fees count 0
        (1.0, 1.0, 3.0, 0.0, 2000.0),  # below the range: no quote principal
    ],
)
def test_arcadia_cap_vs_the_contract_by_hand(fee_base, fee_quote, principal_base,
                                             principal_quote, price):
    f0, f1 = arcadia_by_hand(fee_base, fee_quote, principal_base, principal_quote)
    assert arcadia_capped_fees(fee_base, fee_quote, principal_base, principal_quote,
                               price) == pytest.approx(f0 * price + f1, rel=1e-15)


@pytest.mark.parametrize("share", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("fees", [0.0, 10.0, 150.0, 4000.0, 30_000.0])
def test_rule_splits_the_value_then_caps_as_arcadia(share, fees):
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    for price in (2000.0, 2700.0, 3000.0, 3500.0, 5000.0):
        b, q = (float(x) for x in lp.amounts(price))
        f0, f1 = arcadia_by_hand(share * fees / price, (1 - share) * fees, b, q)
        rule = FeeRule(0.8, cap="principal", fee_base_share=share)
        assert rule.value(lp, price, fees) == pytest.approx(0.8 * (f0 * price + f1), rel=1e-12,
                                                            abs=1e-9)
        assert rule.counted(fees, price, b, q) == pytest.approx(0.8 * (f0 * price + f1),
                                                                rel=1e-12, abs=1e-9)


def test_presets():
    assert FEES_AT_PAR.at_par and FEES_AT_PAR.counted(123.25, 3000.0) == 123.25
    assert ARCADIA_FEE_CAP.cap == "principal" and ARCADIA_FEE_CAP.factor == 1.0
    assert ARCADIA_FEE_CAP.fee_base_share == 0.5
    assert "accounts-v2@d0b559cb" in ARCADIA_FEE_CAP_SOURCE
    assert "UniswapV3AM.sol" in ARCADIA_FEE_CAP.source
    assert not FeeRule(cap="principal").at_par and not FeeRule(0.999).at_par


def test_factor_scales_and_debt_is_counted_whole():
    assert FeeRule(0.25).counted(200.0, 3000.0) == 50.0
    assert FeeRule(0.25).counted(-200.0, 3000.0) == -200.0
    assert ARCADIA_FEE_CAP.counted(-200.0, 3000.0, 0.0, 0.0) == -200.0
    assert FeeRule(0.0).counted(200.0, 3000.0) == 0.0
    assert FeeRule(0.0, cap="principal").counted(200.0, 3000.0, 1.0, 1e6) == 0.0


@pytest.mark.parametrize("kw, match", [
    ({"factor": 1.5}, "factor"),
    ({"factor": -0.1}, "factor"),
    ({"cap": "arcadia"}, "cap"),
    ({"fee_base_share": 2.0}, "fee_base_share"),
    ({"source": 3}, "source must be a string"),
])
def test_bad_rules_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        FeeRule(**kw)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="accrued_fees"):
        FeeRule().counted(float("nan"), 3000.0)
    with pytest.raises(ValueError, match="price"):
        FeeRule().counted(1.0, 0.0)
    with pytest.raises(ValueError, match="lp_base"):
        ARCADIA_FEE_CAP.counted(1.0, 3000.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="lp_quote"):
        ARCADIA_FEE_CAP.counted(1.0, 3000.0, 1.0, -1.0)
    with pytest.raises(ValueError):
        ARCADIA_FEE_CAP.counted([1.0, 2.0], 3000.0, [1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="lp must be an LPPosition"):
        ARCADIA_FEE_CAP.value(3000.0, 3000.0, 1.0)
    with pytest.raises(ValueError, match="fee_quote"):
        arcadia_capped_fees(1.0, math.inf, 1.0, 1.0, 3000.0)
    with pytest.raises(ValueError, match="principal_base"):
        arcadia_capped_fees(1.0, 1.0, -1.0, 1.0, 3000.0)


def test_vectorized_over_prices():
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    prices = np.array([2000.0, 3000.0, 4000.0])
    out = ARCADIA_FEE_CAP.value(lp, prices, 20_000.0)
    assert out.shape == (3,)
    assert out.tolist() == [float(ARCADIA_FEE_CAP.value(lp, p, 20_000.0)) for p in prices]
    # below the range all base: half the fees (base) capped at the base principal's value
    b, q = (float(x) for x in lp.amounts(2000.0))
    assert out[0] == pytest.approx(min(10_000.0, b * 2000.0) + min(10_000.0, q), rel=1e-12)


fin = st.floats(0.0, 1e9, allow_nan=False)


@given(fees=st.floats(-1e9, 1e9), price=st.floats(1e-6, 1e9), base=fin, quote=fin,
       factor=st.floats(0.0, 1.0), share=st.floats(0.0, 1.0),
       cap=st.sampled_from(["none", "principal"]))
def test_a_rule_never_counts_more_than_the_fees(fees, price, base, quote, factor, share, cap):
    rule = FeeRule(factor, cap=cap, fee_base_share=share)
    c = float(rule.counted(fees, price, base, quote))
    assert c <= fees
    if fees >= 0:
        assert c >= 0.0
    # and the cap never counts more than the uncapped rule
    assert c <= float(FeeRule(factor, fee_base_share=share).counted(fees, price, base, quote))


@given(fees=st.floats(-1e12, 1e12), price=st.floats(1e-6, 1e9), base=fin, quote=fin)
def test_factor_one_is_at_par_bit_for_bit(fees, price, base, quote):
    assert FeeRule(1.0).counted(fees, price, base, quote) == fees
    assert FEES_AT_PAR.counted(np.array([fees]), price).tolist() == [fees]


@given(fees=fin, price=st.floats(1.0, 1e5), base=fin, quote=fin)
def test_the_cap_binds_only_above_the_principal(fees, price, base, quote):
    c = float(ARCADIA_FEE_CAP.counted(fees, price, base, quote))
    if 0.5 * fees <= base * price and 0.5 * fees <= quote:
        assert c == pytest.approx(fees, rel=1e-12)
    assert c <= base * price + quote + 1e-9 * (1 + base * price + quote)


# -- every argument is named in its own error (kills the messages' mutants) ---------------------
ARCADIA_ARGS = ("fee_base", "fee_quote", "principal_base", "principal_quote", "price")
COUNTED_ARGS = ("accrued_fees", "price", "lp_base", "lp_quote")


@pytest.mark.parametrize("wide", ARCADIA_ARGS)
def test_arcadia_names_the_shapes_that_do_not_broadcast(wide):
    args = {n: (np.full(3, 2.0) if n == wide else np.full(2, 1.0)) for n in ARCADIA_ARGS}
    shapes = ", ".join(f"{n} {(3,) if n == wide else (2,)}" for n in ARCADIA_ARGS)
    with pytest.raises(ValueError) as e:
        arcadia_capped_fees(**args)
    assert str(e.value) == (f"arcadia_capped_fees: the arguments must broadcast to one shape, "
                            f"got {shapes}")


@pytest.mark.parametrize("wide", COUNTED_ARGS)
def test_counted_names_the_shapes_that_do_not_broadcast(wide):
    args = {n: (np.full(3, 2.0) if n == wide else np.full(2, 1.0)) for n in COUNTED_ARGS}
    shapes = ", ".join(f"{n} {(3,) if n == wide else (2,)}" for n in COUNTED_ARGS)
    with pytest.raises(ValueError) as e:
        ARCADIA_CAP_RULE.counted(**args)
    assert str(e.value) == (f"FeeRule.counted: the arguments must broadcast to one shape, "
                            f"got {shapes}")


ARCADIA_CAP_RULE = FeeRule(cap="principal")


@pytest.mark.parametrize("bad", ARCADIA_ARGS)
def test_arcadia_names_a_bad_argument(bad):
    args = {"fee_base": 1.0, "fee_quote": 1.0, "principal_base": 1.0, "principal_quote": 1.0,
            "price": 3000.0}
    args[bad] = -1.0 if bad.startswith("principal") or bad == "price" else math.nan
    with pytest.raises(ValueError, match=f"^{bad} must be"):
        arcadia_capped_fees(**args)


@pytest.mark.parametrize("bad, value", [("accrued_fees", math.nan), ("price", 0.0),
                                        ("lp_base", -1.0), ("lp_quote", -1.0)])
def test_counted_names_a_bad_argument(bad, value):
    args = {"accrued_fees": 1.0, "price": 3000.0, "lp_base": 1.0, "lp_quote": 1.0, bad: value}
    with pytest.raises(ValueError, match=f"^{bad} must be"):
        ARCADIA_CAP_RULE.counted(**args)


def test_value_names_a_bad_price():
    lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    with pytest.raises(ValueError, match=r"^price must be"):
        ARCADIA_FEE_CAP.value(lp, -1.0, 1.0)


@pytest.mark.parametrize("kw, message", [
    ({"factor": [0.5]}, "^factor must be a single number"),
    ({"factor": 2.0}, "^factor must be"),
    ({"fee_base_share": [0.5]}, "^fee_base_share must be a single number"),
    ({"fee_base_share": -0.5}, "^fee_base_share must be"),
    ({"cap": "x"}, "^cap must be one of 'none', 'principal'; got 'x'"),
])
def test_rule_fields_are_named(kw, message):
    with pytest.raises(ValueError, match=message):
        FeeRule(**kw)


def test_rule_fields_are_stored_as_floats():
    r = FeeRule(1, fee_base_share=np.float32(0.25))
    assert type(r.factor) is float and type(r.fee_base_share) is float
    assert r.fee_base_share == 0.25 and r.factor == 1.0
    assert repr(FeeRule(0)) == "FeeRule(factor=0.0, cap='none', fee_base_share=0.5, source='')"


def test_counted_without_a_principal_counts_no_capped_fees():
    """The principal defaults to nothing: a rule without a cap needs none, a cap then counts 0."""
    assert ARCADIA_FEE_CAP.counted(100.0, 3000.0) == 0.0
    assert ARCADIA_FEE_CAP.counted(100.0, 3000.0, lp_quote=30.0) == 30.0
    assert ARCADIA_FEE_CAP.counted(100.0, 3000.0, lp_base=0.01) == 30.0
    assert FeeRule(0.5).counted(100.0, 3000.0) == 50.0

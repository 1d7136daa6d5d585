"""One name per idea: no public signature or record field uses a synonym the vocabulary refuses.

The vocabulary is shared/DESIGN.md's table, repeated in CONTRIBUTING.md ("Glossary"). This walks the
public functions, classes (constructor parameters and dataclass fields) and public methods of every
core module's ``__all__`` and refuses the names in ``REFUSED``. A renamed keyword may keep its old
name for one release through ``lpperp._validate.renamed`` (it warns); that is not a signature name.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

#: refused name -> the one name for that idea
REFUSED = {
    "sigma": "sigma_per_year",
    "vol": "sigma_per_year",
    "lam": "ewma_lambda",
    "days": "tau_years / horizon_years (a *_days twin only in widgets)",
    "position": "lp",
    "spare_cash": "wallet_cash",
    "npaths": "n_paths",
    "nsteps": "n_steps",
    "eth_price": "gas_token_price",
    "wb": "base_factor",
    "wq": "quote_factor",
    "w_base": "base_factor",
    "w_quote": "quote_factor",
}

CORE = [
    "units", "liquidity", "swap", "position", "perp", "venues", "oracle", "collateral", "margin",
    "liquidation", "costs", "rebalancing", "processes", "prices", "risk", "simulate", "strategies",
    "scenario", "manipulation", "chain",
]


def _modules():
    for name in CORE:
        try:
            yield importlib.import_module(f"lpperp.{name}")
        except ModuleNotFoundError:
            continue


def _names_of(obj):
    """(where, name) of every parameter / field / method name ``obj`` exposes publicly."""
    if inspect.isclass(obj):
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                if not f.name.startswith("_"):
                    yield f"{obj.__name__} field", f.name
        for attr, raw in vars(obj).items():
            if attr.startswith("_"):
                continue
            yield f"{obj.__name__} attribute", attr
            fn = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
            if inspect.isfunction(fn):
                yield from ((f"{obj.__name__}.{attr}", p) for p in _params(fn))
    elif callable(obj):
        yield from ((getattr(obj, "__name__", "?"), p) for p in _params(obj))


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p not in ("self", "cls") and not p.startswith("_")]


def _violations():
    seen = set()
    for mod in _modules():
        for public in getattr(mod, "__all__", []):
            obj = getattr(mod, public, None)
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            for where, name in _names_of(obj):
                if name in REFUSED:
                    yield f"{mod.__name__}.{where}: {name!r} -> use {REFUSED[name]!r}"


def test_no_public_name_is_a_refused_synonym():
    bad = sorted(set(_violations()))
    assert not bad, "synonyms in the public API:\n" + "\n".join(bad)


def test_accounts_call_their_live_ratio_account_leverage():
    from lpperp import CrossAccount, IsolatedAccount

    for cls in (IsolatedAccount, CrossAccount):
        assert hasattr(cls, "account_leverage"), cls


@pytest.mark.parametrize("refused", sorted(REFUSED))
def test_the_glossary_lists_each_refused_synonym(refused):
    from pathlib import Path

    text = (Path(__file__).parents[1] / "CONTRIBUTING.md").read_text()
    assert "## Glossary" in text and f"`{refused}`" in text, refused

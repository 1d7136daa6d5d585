"""Imports point one way: no module imports a later layer (not even inside a function), and no
module imports a ``_private`` name from another module.

The layer order is the one ``lpperp/__init__.py`` states ("units -> liquidity -> ... ->
strategies"); modules it does not name are placed here next to the layer they serve, with the
reason. Modules of one layer (``oracle_risk, manipulation``; ``processes/risk``) may import each
other. Only the source text is read (``ast``), so a test run imports nothing extra.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import lpperp

ROOT = Path(lpperp.__file__).resolve().parent

#: modules the package docstring does not name -> the layer they share (and why)
PLACED_WITH = {
    "_feed_scan": "oracle",  # the oracle's vectorized deviation/heartbeat scan
    "_boundary_kernels": "boundary",  # the boundary solver's kernels
    "_boundary_fast": "boundary",
    "prices": "processes",  # real price and funding series beside the simulated ones
}
#: shared helpers: import no lpperp layer
BOTTOM = ("_validate", "_results", "_abi", "_rpc", "_special", "_threads")
TOP = ("scenario", "chain", "viz")  # scenario builds simulate's records; chain and viz on demand


def _layer_order() -> dict[str, int]:
    doc = lpperp.__doc__ or ""
    m = re.search(r"Layers \(.*?\):(.*?)\.\n", doc, re.S)
    assert m, "lpperp/__init__.py must state the layer order"
    steps = [s.strip() for s in " ".join(m.group(1).split()).split("->")]
    rank = {name: -1 for name in BOTTOM}
    for i, step in enumerate(steps):
        for name in re.split(r"[,/]\s*", step):
            rank[name.strip()] = i
    for name, owner in PLACED_WITH.items():
        rank[name] = rank[owner]
    for j, name in enumerate(TOP):
        rank[name] = len(steps) + j
    return rank


def _imports(path: Path, module: str):
    """``(line, target module, imported names)`` of every lpperp import in the file."""
    pkg = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "lpperp" or target.startswith("lpperp."):
                yield node.lineno, target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("lpperp."):
                    yield node.lineno, a.name, []


def _violations() -> list[str]:
    rank = _layer_order()
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("data", "__init__.py"):
            continue
        me = rel.parts[0].removesuffix(".py")
        module = "lpperp." + ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        assert me in rank, f"{rel}: place this module in the layer order (lpperp/__init__.py)"
        for line, target, names in _imports(path, module):
            parts = target.split(".")
            # "from lpperp import swap" names modules; "from lpperp.swap import x" names one
            used = [parts[1]] if len(parts) > 1 else names
            for dep in used:
                if dep in rank and rank[dep] > rank[me]:
                    out.append(f"lpperp/{rel}:{line} imports the later layer {dep!r}")
            if target != module and not target.startswith(module + "."):
                out += [
                    f"lpperp/{rel}:{line} imports the private name {n!r} from {target}"
                    for n in names
                    if n.startswith("_") and not n.startswith("__")
                ]
    return out


def test_imports_point_down_the_layers_and_no_private_name_crosses_a_module():
    assert _violations() == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The walk itself: a lower module importing a higher one, and a private name, are reported."""
    f = tmp_path / "units.py"
    f.write_text("def f():\n    from lpperp.margin import _kernel_inputs\n")
    found = list(_imports(f, "lpperp.units"))
    assert found == [(2, "lpperp.margin", ["_kernel_inputs"])]
    rank = _layer_order()
    assert rank["margin"] > rank["units"] and rank["_validate"] < rank["units"] < rank["chain"]

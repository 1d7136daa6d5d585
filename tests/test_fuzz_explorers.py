"""Every explorer control, set programmatically to valid, extreme and bad values, answers clearly.

For each explorer in :mod:`lpperp.viz` and each of its controls: setting a value either is refused
by the widget itself (``traitlets.TraitError``: the control's own type or bounds) or is handled by the
explorer -- a good value redraws, a bad one shows a message in ``.status`` and keeps the last good
plot. No exception from a change handler may escape, no trace may have an x for fewer ys, and the
readout never prints ``nan``. After a bad value, setting the control back clears the message.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("plotly")

import traitlets

import lpperp.viz as viz

EXPLORERS = [n for n in viz.__all__ if n.endswith("Explorer")]
ROUNDS = int(os.environ.get("LPPERP_FUZZ_EXPLORER_ROUNDS", "1"))

BAD = [math.nan, math.inf, -math.inf, 5e-324, 1e308, -1e308, 0.0, -1.0, None, "x", 2**200]


def _make(name: str) -> Any:
    cls = getattr(viz, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls()


def _candidates(widget: Any) -> list[Any]:
    out: list[Any] = []
    lo, hi = getattr(widget, "min", None), getattr(widget, "max", None)
    if lo is not None and hi is not None:
        out += [lo, hi, (lo + hi) / 2]
        if getattr(widget, "base", None):  # log slider: min/max are exponents
            out = [widget.base**lo, widget.base**hi]
    opts = getattr(widget, "options", None)
    if opts:
        out += [o[1] if isinstance(o, tuple) else o for o in list(opts)[:4]]
    return out + BAD


def _trace_lengths_ok(fig: Any) -> list[str]:
    bad = []
    for i, tr in enumerate(fig.data):
        if tr.type not in ("scatter", "scattergl", "bar"):
            continue  # a heatmap's x and y index the columns and rows of z
        x, y = getattr(tr, "x", None), getattr(tr, "y", None)
        if x is None or y is None:
            continue
        if len(np.asarray(x)) != len(np.asarray(y)):
            bad.append(f"trace {i} ({tr.name}): {len(x)} x for {len(y)} y")
    return bad


def _readout_text(exp: Any) -> str:
    ro = getattr(exp, "readout", None)
    return str(getattr(ro, "value", "")) if ro is not None else ""


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_answers_clearly(name: str) -> None:
    exp = _make(name)
    controls: dict[str, Any] = dict(exp.controls)
    problems: list[str] = []
    for _ in range(ROUNDS):
        for cname, widget in controls.items():
            if not hasattr(widget, "value") or isinstance(widget.value, (tuple, list)):
                continue
            good = widget.value
            for v in _candidates(widget):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        widget.value = v
                except traitlets.TraitError:
                    continue  # the widget's own type/bounds check refused it: clear enough
                except Exception as exc:
                    problems.append(f"{cname}={v!r}: {type(exc).__name__} escaped: {exc}"[:300])
                    continue
                problems += [f"{cname}={v!r}: {p}" for p in _trace_lengths_ok(exp.figure)]
                status = str(getattr(getattr(exp, "status", None), "value", ""))
                if "unexpected error" in status:  # caught by the explorer, but still a bug
                    problems.append(f"{cname}={v!r}: {status[:200]}")
                text = _readout_text(exp).lower()
                if "nan" in text.replace("nano", "").split() or ">nan<" in text:
                    problems.append(f"{cname}={v!r}: readout shows nan")
            # back to the good value: the explorer recovers and the message clears
            try:
                widget.value = good
            except Exception as exc:
                problems.append(f"{cname} back to {good!r}: {type(exc).__name__}: {exc}"[:300])
                continue
            status = str(getattr(getattr(exp, "status", None), "value", ""))
            if status.strip():
                problems.append(f"{cname} back to {good!r}: status still says {status[:120]!r}")
    assert not problems, f"{name}:\n" + "\n".join(problems[:40])

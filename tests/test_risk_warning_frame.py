"""lpperp.risk.liquidation_probability: the interrupt warning points at the line that called it.

Ctrl-C during the Monte Carlo loop returns the estimate of the completed path blocks with a
RuntimeWarning; like every warning of the library it names the caller's file and line (Python's
``stacklevel`` convention: the frame that called the function warning, not the library's own
line nor a frame above the caller). Reference: the frame itself, read when ``warnings.warn`` is
called - the caller of the function that calls ``warn`` (``sys._getframe``) - compared with the
file and line the recorded warning carries. This holds whoever the caller is (a test, a user's
script, or mutmut's trampoline under mutation testing).
"""

from __future__ import annotations

import sys
import warnings

from test_risk_mc_loop import P0, SIGMA, TAU, _increments, _InterruptAtBlock

from lpperp.processes import PATH_BLOCK
from lpperp.risk import liquidation_probability


def test_the_interrupt_warning_names_the_callers_line(monkeypatch):
    real_warn = warnings.warn
    callers = []

    def spy(message, category=None, stacklevel=1, **kw):
        warner = sys._getframe(1)  # the function calling warnings.warn
        if warner.f_code.co_filename.endswith("risk.py"):
            callers.append((warner.f_back.f_code.co_filename, warner.f_back.f_lineno))
        real_warn(message, category, stacklevel=stacklevel + 1, **kw)  # + 1: this spy's frame

    monkeypatch.setattr(warnings, "warn", spy)
    inc = _increments(2 * PATH_BLOCK, 3, SIGMA, TAU, seed=8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        liquidation_probability(_InterruptAtBlock(inc, SIGMA, 1), P0, 2500.0, 3500.0, TAU, 3,
                                2 * PATH_BLOCK, seed=0, monitoring="discrete")
    mine = [x for x in w if str(x.message).startswith("interrupted")]
    assert len(mine) == 1 and len(callers) == 1
    assert (mine[0].filename, mine[0].lineno) == callers[0]
    if liquidation_probability.__code__.co_filename.endswith("risk.py"):  # not wrapped by mutmut
        assert callers[0][0] == __file__  # called from this very test


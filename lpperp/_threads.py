"""Worker thread pools that survive ``fork``.

A forked child inherits a module's ``ThreadPoolExecutor`` but not its threads (fork copies only the
calling thread), so work submitted to it would wait forever. :func:`forget_pool_in_child` drops the
module's pool in every forked child; the module starts a fresh one on first use.
"""

from __future__ import annotations

import os
from typing import Any


def forget_pool_in_child(module_globals: dict[str, Any], name: str = "_POOL") -> None:
    """Set ``module_globals[name] = None`` in every forked child (POSIX; Windows has no fork)."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: module_globals.__setitem__(name, None))

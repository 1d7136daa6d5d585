"""The normal distribution's special functions, imported from scipy on first use.

``scipy.special`` costs ~0.3 s to import (more on a loaded machine) and most sessions that import
lpperp (a notebook opening an explorer) never call these: importing it on first call keeps
``import lpperp`` light. Each wrapper is the scipy ufunc itself, called on the same arguments.
"""

from __future__ import annotations

from typing import Any


def ndtr(x: Any) -> Any:
    """Standard normal CDF, ``scipy.special.ndtr``: Phi(x) = (1 + erf(x / sqrt 2)) / 2."""
    from scipy.special import ndtr as f

    return f(x)


def ndtri(p: Any) -> Any:
    """Inverse standard normal CDF, ``scipy.special.ndtri``: Phi^-1(p)."""
    from scipy.special import ndtri as f

    return f(p)


def erf(x: Any) -> Any:
    """The error function, ``scipy.special.erf``."""
    from scipy.special import erf as f

    return f(x)


def erfcx(x: Any) -> Any:
    """The scaled complementary error function ``e^{x^2} erfc(x)``, ``scipy.special.erfcx``
    (bounded where ``erfc`` underflows: ``~ 1 / (x sqrt(pi))`` for large ``x``)."""
    from scipy.special import erfcx as f

    return f(x)

"""Argument checks shared by every lpperp module.

Each check returns the validated value and raises :class:`LpperpError` (a ``ValueError``) whose message
names the argument, shows the offending value and says what is allowed, so a typo in a notebook is heard
rather than turned into a silent NaN.

Conventions: float checks accept a Python/numpy scalar or an array-like and return a ``float`` for
scalars and a float64 ``ndarray`` for arrays (``scalar=True`` refuses arrays where one number is
meant, so the error names the argument instead of numpy's TypeError); integer checks accept
Python or numpy integers only and return a Python ``int`` (exact math never sees a float).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "MAX_CELLS",
    "MAX_PATH_STEPS",
    "LpperpError",
    "broadcast_shape",
    "cell_budget",
    "finite",
    "fraction",
    "instance_of",
    "integer",
    "nonnegative",
    "one_of",
    "ordered_range",
    "path_budget",
    "positive",
    "renamed",
    "scalar_or_array",
    "uint",
]


class LpperpError(ValueError):
    """Bad input to an lpperp function: the message says what was wrong and what is allowed."""


def scalar_or_array(x: Any) -> Any:
    """A result as lpperp returns it: a Python scalar for 0-d input, the array otherwise.

    Numbers come back as ``float`` / float64 arrays, truth values as ``bool`` / bool arrays.

    >>> scalar_or_array(np.float64(2.0)), scalar_or_array([1, 2]).dtype, scalar_or_array(np.True_)
    (2.0, dtype('float64'), True)
    """
    arr = np.asarray(x)
    if arr.dtype != np.bool_:
        arr = arr.astype(float, copy=False)
    return arr.item() if arr.ndim == 0 else arr


def _show(x: Any) -> str:
    """Short repr of a value for an error message (first offending element for arrays)."""
    if isinstance(x, (str, bytes)):
        return repr(x)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):  # a ragged list, an object numpy cannot hold
        text = repr(x)
        return text if len(text) <= 60 else f"{type(x).__name__} {text[:57]}..."
    if arr.ndim > 0:
        return f"array of shape {arr.shape}"
    return repr(x)


def _as_float(name: str, x: Any, scalar: bool = False) -> float | np.ndarray:
    if isinstance(x, (str, bytes, bool, np.bool_)) or x is None:
        raise LpperpError(f"{name} must be a number or an array of numbers, got {x!r}")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise LpperpError(
            f"{name} must be a number or an array of numbers, got {type(x).__name__} {x!r}"
        ) from None
    kind = np.asarray(x).dtype.kind
    if kind == "b":  # True/False are not amounts or prices (a mask typo)
        raise LpperpError(f"{name} must be a number or an array of numbers, got booleans {x!r}")
    if kind in "US":  # ["3600"] parses as a float; a price read from text must be converted first
        raise LpperpError(f"{name} must be a number or an array of numbers, got strings {x!r}")
    if arr.ndim == 0:
        return float(arr)
    if scalar:
        raise LpperpError(f"{name} must be a single number here, got an array of shape {arr.shape}")
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f" at index {idx[0] if len(idx) == 1 else idx}" if arr.ndim else ""
    return f"{float(arr[idx]) if arr.ndim else float(arr)!r}{where}"


def _checked(
    name: str, x: Any, scalar: bool, ok: Callable[[np.ndarray], np.ndarray], allowed: str
) -> float | np.ndarray:
    """``x`` as float(s) (:func:`_as_float`), raising ``{name} must be {allowed}`` naming the first
    value where ``ok`` is false."""
    v = _as_float(name, x, scalar)
    arr = np.asarray(v)
    bad = ~ok(arr)
    if bad.any():
        raise LpperpError(f"{name} must be {allowed}, got {_first_bad(arr, bad)}")
    return v


def finite(name: str, x: Any, *, scalar: bool = False) -> float | np.ndarray:
    """Return ``x`` as float(s), raising if any value is NaN or infinite.

    >>> finite("cash", -5)
    -5.0
    """
    return _checked(name, x, scalar, np.isfinite, "finite")


def positive(name: str, x: Any, *, scalar: bool = False) -> float | np.ndarray:
    """Return ``x`` as float(s), raising unless every value is finite and > 0.

    >>> positive("price", 3000)
    3000.0
    >>> positive("price", -1.0)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: price must be a finite number > 0, got -1.0
    """
    return _checked(name, x, scalar, lambda a: np.isfinite(a) & (a > 0), "a finite number > 0")


def nonnegative(name: str, x: Any, *, scalar: bool = False) -> float | np.ndarray:
    """Return ``x`` as float(s), raising unless every value is finite and >= 0.

    >>> nonnegative("size", 0)
    0.0
    """
    return _checked(name, x, scalar, lambda a: np.isfinite(a) & (a >= 0), "a finite number >= 0")


def fraction(
    name: str, x: Any, *, closed_low: bool = True, closed_high: bool = True, scalar: bool = False
) -> float | np.ndarray:
    """Return ``x`` as float(s) in [0, 1] (ends open or closed as asked).

    >>> fraction("confidence", 0.99, closed_high=False)
    0.99
    """
    v = _as_float(name, x, scalar)
    arr = np.asarray(v)
    lo_ok = arr >= 0 if closed_low else arr > 0
    hi_ok = arr <= 1 if closed_high else arr < 1
    bad = ~(np.isfinite(arr) & lo_ok & hi_ok)
    if bad.any():
        interval = f"{'[' if closed_low else '('}0, 1{']' if closed_high else ')'}"
        raise LpperpError(f"{name} must be a fraction in {interval}, got {_first_bad(arr, bad)}")
    return v


def integer(name: str, x: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``x`` as a Python int within ``[lo, hi]``; floats are refused (exact math).

    >>> integer("tick", 5, -887272, 887272)
    5
    >>> integer("tick", 1.5)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: tick must be an integer, got float 1.5
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise LpperpError(f"{name} must be an integer, got {type(x).__name__} {x!r}")
    x = int(x)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise LpperpError(f"{name} must be an integer in [{lo}, {hi}], got {x}")
    return x


def uint(name: str, x: Any, bits: int, lo: int = 0) -> int:
    """Return ``x`` as a Python int in ``[lo, 2**bits - 1]``: a Solidity ``uint<bits>`` argument.

    >>> uint("liquidity", 10**18, 128)
    1000000000000000000
    >>> uint("fee_pips", 2**24, 24)
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: fee_pips must be an integer in [0, 16777215], got 16777216
    """
    return integer(name, x, lo, (1 << bits) - 1)


def instance_of(name: str, x: Any, types: type | tuple[type, ...], allowed: str) -> Any:
    """Return ``x`` if it is an instance of ``types``, else raise naming ``allowed`` and its type.

    ``allowed`` reads after "must be" (``"a LiquidityProfile or None"``; put ``type(None)`` in
    ``types`` to accept None).

    >>> instance_of("depth", 3, (int, type(None)), "an int or None")
    3
    >>> instance_of("depth", "deep", int, "an int")
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: depth must be an int, got str 'deep'
    """
    if not isinstance(x, types):
        raise LpperpError(f"{name} must be {allowed}, got {type(x).__name__} {_show(x)[:40]}")
    return x


def one_of(name: str, x: Any, options: Iterable[Any]) -> Any:
    """Return ``x`` if it is one of ``options``.

    >>> one_of("mode", "cross", ("cross", "isolated"))
    'cross'
    """
    opts = tuple(options)
    if isinstance(x, (np.ndarray, list, dict, set)) or x not in opts:
        raise LpperpError(f"{name} must be one of {', '.join(map(repr, opts))}; got {x!r}")
    return x


def ordered_range(
    lower_name: str, lower: Any, upper_name: str, upper: Any
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Return ``(lower, upper)`` as positive floats with ``lower < upper`` everywhere.

    Reversed bounds are an error, never silently swapped: a typo should be heard.

    >>> ordered_range("price_lower", 2500, "price_upper", 3500)
    (2500.0, 3500.0)
    """
    lo = positive(lower_name, lower)
    hi = positive(upper_name, upper)
    bad = ~(np.asarray(lo) < np.asarray(hi))
    if bad.any():
        raise LpperpError(
            f"{lower_name} must be < {upper_name}, got {lower_name}={_show(lo) if np.ndim(lo) else lo}"
            f" and {upper_name}={_show(hi) if np.ndim(hi) else hi} (bounds are never swapped)"
        )
    return lo, hi


def broadcast_shape(what: str, **named: Any) -> tuple[int, ...]:
    """The common shape of already checked arguments, or an error naming each argument's shape.

    >>> broadcast_shape("f", price=np.ones(3), size=2.0)
    (3,)
    >>> try:
    ...     broadcast_shape("f", price=np.ones(3), size=np.ones(2))
    ... except LpperpError as e:
    ...     print(e)
    f: the arguments must broadcast to one shape, got price (3,), size (2,)
    """
    try:
        return tuple(np.broadcast_shapes(*(np.shape(v) for v in named.values())))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in named.items() if np.ndim(v))
        raise LpperpError(f"{what}: the arguments must broadcast to one shape, got {shapes}") from None


def renamed(**old_to_new: str | tuple[str, float]) -> Any:
    """Decorator: keyword arguments renamed in this release keep working for one more, with a warning.

    ``@renamed(sigma="sigma_per_year")`` lets a caller still write ``f(sigma=0.6)``: the value is
    passed on as ``sigma_per_year`` with a :class:`DeprecationWarning` naming both. Giving both the
    old and the new name is an error. The vocabulary (one name per idea) is in CONTRIBUTING.md.

    When the unit changes with the name, give ``(new_name, scale)``: the old value (a number or an
    array of numbers) is multiplied by ``scale``, e.g. ``@renamed(days=("tau_years", 1 / 365))``.

    >>> @renamed(sigma="sigma_per_year")
    ... def vol(sigma_per_year):
    ...     return sigma_per_year
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     vol(sigma=0.6), w[0].category.__name__
    (0.6, 'DeprecationWarning')
    >>> @renamed(days=("tau_years", 1 / 365))
    ... def horizon(tau_years):
    ...     return tau_years
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     horizon(days=73)
    0.2
    """
    import functools
    import warnings

    table = {old: (new, None) if isinstance(new, str) else (new[0], float(new[1]))
             for old, new in old_to_new.items()}

    def wrap(fn: Any) -> Any:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            for old, (new, scale) in table.items():
                if old in kwargs:
                    if new in kwargs:
                        raise LpperpError(
                            f"{fn.__name__}: give {new}= only ({old}= is its old name), not both"
                        )
                    unit = "" if scale is None else f" (in other units: {new} = {old} * {scale:.6g})"
                    warnings.warn(
                        f"{fn.__name__}({old}=...) is renamed {new}={unit}; the old name goes in "
                        f"the next release",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    value = kwargs.pop(old)
                    if scale is not None:
                        value = scalar_or_array(np.asarray(_as_float(old, value)) * scale)
                    kwargs[new] = value
            return fn(*args, **kwargs)

        inner.__renamed__ = {old: new for old, (new, _) in table.items()}  # type: ignore[attr-defined]
        return inner

    return wrap


#: Default budget of one Monte Carlo call, in path-steps (``n_paths * n_steps``). Memory is chunked,
#: so this bounds time: about 2e9 path-steps is minutes on a laptop core. Raise it per call with
#: ``max_path_steps=``.
MAX_PATH_STEPS = 2_000_000_000


def path_budget(
    n_paths: Any, n_steps: Any, *, max_path_steps: Any = MAX_PATH_STEPS, what: str = "this run"
) -> tuple[int, int]:
    """Check path and step counts up front; return them as Python ints.

    A request too big to finish is refused at once with what it needs and what the limit is,
    instead of running for ever (``n_paths = 2**200``).

    >>> path_budget(10_000, 720)
    (10000, 720)
    >>> try:
    ...     path_budget(10**60, 365)
    ... except LpperpError as e:
    ...     print(str(e)[:60])
    this run: 1e+60 paths x 365 steps = 3.65e+62 path-steps; the
    """
    limit = integer("max_path_steps", max_path_steps, 1)
    n_p = integer("n_paths", n_paths, 1)
    n_s = integer("n_steps", n_steps, 1)
    if n_p * n_s > limit:
        raise LpperpError(
            f"{what}: {float(n_p):.3g} paths x {n_s} steps = {float(n_p * n_s):.3g} path-steps; "
            f"the limit is {float(limit):.3g} (pass max_path_steps= to raise it)"
        )
    return n_p, n_s


#: Default budget of one map (grid of accounts times prices), in cells: a 1000 x 1000 boundary map
#: solves in ~0.5 s on this 2-core machine under load (2000 x 2000 took 4.6 s). Raise it per call
#: with ``max_cells=``.
MAX_CELLS = 1_000_000


def cell_budget(shape: Any, *, max_cells: Any = MAX_CELLS, what: str = "this map") -> int:
    """Check the size of a grid up front (``shape``: its axis lengths or the axes' values);
    return the cell count.

    An axis given as a sequence counts its length (``len``, no conversion: a list of 10**7
    values is refused in microseconds, not after building an array).

    >>> cell_budget((200, 200))
    40000
    >>> cell_budget((list(range(300)), np.ones(10)))
    3000
    >>> try:
    ...     cell_budget((10**6, 10**6))
    ... except LpperpError as e:
    ...     print(str(e)[:61])
    this map: 1000000 x 1000000 = 1e+12 cells; the limit is 1e+06
    """
    limit = integer("max_cells", max_cells, 1)
    dims = []
    for k in shape:
        if isinstance(k, np.ndarray):
            dims.append(int(k.size))
        elif isinstance(k, (list, tuple, range)):
            dims.append(len(k))
        elif isinstance(k, numbers.Integral):
            dims.append(int(k))
        else:
            dims.append(int(np.size(k)))
    shape = dims
    n = 1
    for k in shape:
        n *= int(k)
    if n > limit:
        dims = " x ".join(str(int(k)) for k in shape)
        raise LpperpError(
            f"{what}: {dims} = {float(n):.3g} cells; the limit is {float(limit):.3g} "
            f"(pass max_cells= to raise it)"
        )
    return n

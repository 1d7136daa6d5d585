"""`python -m benchmarks [name ...]`: run every benchmarks/bench_*.py and print its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    print(f"{'figure':<58} {'measured':>12}  target")
    for name in names:
        t0 = time.perf_counter()
        try:
            rows = importlib.import_module(f"benchmarks.{name}").run()
        except Exception as exc:  # one broken benchmark should not hide the others
            print(f"[{name}] FAILED: {type(exc).__name__}: {exc}")
            continue
        print(f"[{name}]  ({time.perf_counter() - t0:.1f} s)")
        for figure, value, target in rows:
            print(f"  {figure:<56} {value:>12.4g}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

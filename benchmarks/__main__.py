"""`python -m benchmarks [name ...]`: run every benchmarks/bench_*.py and print its figures.

Exits 1 when a benchmark raises or one of its correctness checks (:func:`benchmarks._timing.check`)
fails, after running the others; 2 when the names given select no benchmark."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import benchmarks
from benchmarks._timing import take_failures


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
        if not names:
            print(f"no benchmark matches {argv}", file=sys.stderr)
            return 2
    print(f"{'figure':<58} {'measured':>12}  target")
    failed: list[str] = []
    for name in names:
        t0 = time.perf_counter()
        take_failures()  # a check recorded at import time belongs to this benchmark
        try:
            rows = importlib.import_module(f"benchmarks.{name}").run()
        except Exception as exc:  # one broken benchmark should not hide the others
            print(f"[{name}] FAILED: {type(exc).__name__}: {exc}")
            traceback.print_exc(limit=3)
            failed.append(f"{name}: raised {type(exc).__name__}: {exc}")
            take_failures()
            continue
        print(f"[{name}]  ({time.perf_counter() - t0:.1f} s)")
        for figure, value, target in rows:
            print(f"  {figure:<56} {value:>12.4g}  {target}")
        for f in take_failures():
            print(f"  CHECK FAILED: {f}")
            failed.append(f"{name}: {f}")
    if failed:
        print(f"\n{len(failed)} benchmark failure(s):")
        for f in failed:
            print(f"  {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

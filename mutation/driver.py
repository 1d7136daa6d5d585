"""``mutmut run`` with five changes, run by mutation/run.py inside its scratch copy (issue 14).

mutmut 3.8.1 (pinned) forks one child per mutant from a parent that has run the tests once, and
each child calls ``pytest.main`` on the mutant's covering tests. This driver keeps mutmut's
mutant generation, stats pass, clean run, forced-fail check, forking, timeouts and verdict
files, and changes only:

1. **A warm pytest session.** Before the first mutant the parent builds one pytest session and
   collects every selected test once; each child runs its covering tests on those items with
   pytest's own ``runtestprotocol`` (setup, call, teardown, fixtures, xfail/skip handling), in
   mutmut's order (fastest first), and stops at the first failure (mutmut runs ``pytest -x``).
   ``pytest.main`` re-parsed the configuration, registered ~30 plugins and re-collected the test
   files for every mutant: ~0.07-0.1 s per mutant on an idle core, most of a killed mutant's
   cost. A test the session did not collect falls back to ``pytest.main`` for that mutant.
2. **Each module's own tests.** Several modules are mutated in one mutmut run (one generation,
   one stats pass, one clean run); ``MUTATE_MODULE_TESTS`` (JSON ``{module: [selector, ...]}``,
   selector ``tests/x.py`` or ``tests/x.py::test``) keeps, for each mutated function, only the
   covering tests of its own module, as a run per module would.
3. **Listed equivalents are not run.** ``MUTATE_SKIP`` names a file with one mutant name per
   line (the tables of mutation/equivalent/*.md); those mutants keep no verdict and the report
   counts them as equivalent, as it always did (a listed mutant was never scored).
4. **The progress line is recounted at most once a second** (mutmut recounts all verdicts before
   every mutant: quadratic in the number of mutants, minutes over all the modules at once).
5. **No second clean pass** right after a full stats pass (the same tests on the same original
   code; the stats pass already stops on a failing test).

Usage (from run.py, in the scratch copy): ``python mutation/driver.py run --max-children N``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from mutmut import __main__ as mm
from mutmut.runners import harness
from mutmut.state import state
from mutmut.workers import isolation

_ITEMS: dict = {}


def _module_of(key: str) -> str:
    """``lpperp.processes.x_fn`` -> ``processes`` (private helpers map through MUTATE_OWNER)."""
    mod = key.split(".")[1] if key.count(".") >= 2 else ""
    owner = json.loads(os.environ.get("MUTATE_OWNER", "{}"))
    return owner.get(mod, mod)


def _selected(test: str, selectors: list[str]) -> bool:
    for s in selectors:
        if "::" in s:
            if test == s or test.startswith((s + "[", s + "::")):
                return True
        elif test.split("::", 1)[0] == s:
            return True
    return False


def _narrow_to_module_tests() -> None:
    spec = os.environ.get("MUTATE_MODULE_TESTS")
    if not spec:
        return
    by_module = json.loads(spec)
    table = state().tests_by_mangled_function_name
    for key in list(table):
        sel = by_module.get(_module_of(key))
        if sel is not None:
            table[key] = {t for t in table[key] if _selected(t, sel)}


def _phase(name: str) -> None:
    """Print ``[driver] <previous phase> <s> s`` (run.py collects these lines from the log)."""
    now = time.perf_counter()
    prev, t = _PHASE
    if prev:
        sys.__stdout__.write(f"\n[driver] {prev} {now - t:.0f} s\n")
        sys.__stdout__.flush()
    _PHASE[:] = [name, now]


_PHASE: list = ["", 0.0]
_orig_create_mutants = mm.create_mutants


def create_mutants(max_children):
    _phase("generation")
    return _orig_create_mutants(max_children)


_orig_collect_or_load_stats = mm.collect_or_load_stats
_FRESH_STATS = [False]
_orig_clean = isolation.ForkRunner.run_clean_tests


def run_clean_tests(self, tests):
    """Skip mutmut's clean run right after a full stats pass: that pass has just run the same
    tests on the original code (in both, every trampoline calls the original function) with
    ``-x``, and mutmut stops when it fails; a second pass only costs its time."""
    if _FRESH_STATS[0] and not tests:
        return 0
    return _orig_clean(self, tests)


def collect_or_load_stats(*args, **kwargs):
    _phase("stats")
    _FRESH_STATS[0] = not Path("mutants/mutmut-stats.json").exists()
    _orig_collect_or_load_stats(*args, **kwargs)
    _narrow_to_module_tests()
    _phase("clean and forced-fail runs")


_orig_collect_data = mm.collect_source_file_mutation_data


def collect_source_file_mutation_data(*, mutant_names):
    mutants, by_path = _orig_collect_data(mutant_names=mutant_names)
    skip_file = os.environ.get("MUTATE_SKIP")
    if skip_file and not mutant_names:
        lines = [ln.strip() for ln in Path(skip_file).read_text().splitlines() if ln.strip()]
        skip = set(lines)
        mutants = [(m, k, r) for m, k, r in mutants if k not in skip]
    return mutants, by_path


def _build_session() -> None:
    """Collect every selected test once in the parent (cwd ``mutants``, as mutmut runs pytest)."""
    import _pytest.config
    from _pytest.main import Session

    cfg = mm.config()
    args = ["--rootdir=.", "--tb=native", "-q", "-p", "no:randomly", "-p", "no:random-order",
            *cfg.pytest_add_cli_args_test_selection, *cfg.pytest_add_cli_args, "--capture=no"]
    old = os.getcwd()
    out, err = sys.stdout, sys.stderr
    try:
        os.chdir("mutants")
        sys.stdout = sys.stderr = open(os.devnull, "w")
        config = _pytest.config._prepareconfig(args, plugins=None)
        config._do_configure()
        session = Session.from_config(config)
        config.hook.pytest_sessionstart(session=session)
        session.perform_collect()
        _ITEMS.update({item.nodeid: item for item in session.items})
    except Exception as e:  # fall back to mutmut's pytest.main per mutant
        _ITEMS.clear()
        sys.stdout, sys.stderr = out, err
        print(f"warm session not built ({e!r}): pytest.main per mutant", flush=True)
    finally:
        sys.stdout, sys.stderr = out, err
        os.chdir(old)


_orig_startup = isolation.ForkRunner.startup


def startup(self):
    _phase("warm session")
    _build_session()
    print(f"warm session: {len(_ITEMS)} tests collected", flush=True)
    _orig_startup(self)
    _phase("mutants")


_orig_shutdown = isolation.ForkRunner.shutdown


def shutdown(self):
    _orig_shutdown(self)
    _phase("")


_orig_run_tests = harness.PytestRunner.run_tests


def run_tests(self, *, mutant_name, tests):
    tests = list(tests)
    if not mutant_name or not _ITEMS or not tests or any(t not in _ITEMS for t in tests):
        return _orig_run_tests(self, mutant_name=mutant_name, tests=tests)
    from _pytest.runner import runtestprotocol

    os.chdir("mutants")
    for i, t in enumerate(tests):
        nxt = _ITEMS[tests[i + 1]] if i + 1 < len(tests) else None
        reports = runtestprotocol(_ITEMS[t], log=False, nextitem=nxt)
        if any(r.failed for r in reports):
            return 1
    return 0


_orig_print_stats = mm.print_stats
_LAST_PRINT = [0.0]


def print_stats(by_path, force_output=False):
    """mutmut recounts every verdict of every file before each mutant (for a progress line it
    shows at most every 0.1 s): O(mutants^2), ~1 us x 20,000^2 = 400 s over all the modules.
    Recount at most once a second."""
    now = time.perf_counter()
    if force_output or now - _LAST_PRINT[0] >= 1.0:
        _LAST_PRINT[0] = now
        _orig_print_stats(by_path, force_output=force_output)


mm.print_stats = print_stats
mm.create_mutants = create_mutants
isolation.ForkRunner.run_clean_tests = run_clean_tests
mm.collect_or_load_stats = collect_or_load_stats
isolation.ForkRunner.shutdown = shutdown
mm.collect_source_file_mutation_data = collect_source_file_mutation_data
isolation.ForkRunner.startup = startup
harness.PytestRunner.run_tests = run_tests

if __name__ == "__main__":
    if os.environ.get("MUTATE_COLD"):  # plain mutmut per-mutant pytest.main (for comparison)
        harness.PytestRunner.run_tests = _orig_run_tests
    sys.argv[0] = "mutmut"
    mm.cli()

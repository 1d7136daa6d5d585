"""``mutmut run`` with nine changes, run by mutation/run.py inside its scratch copy (issue 14).

mutmut 3.8.1 (pinned) forks one child per mutant from a parent that has run the tests once, and
each child calls ``pytest.main`` on the mutant's covering tests. This driver keeps mutmut's
mutant generation, stats pass, clean run, forced-fail check, forking, timeouts and verdict
files, and changes only:

1. **A warm pytest session.** Before the first mutant the parent builds one pytest session and
   collects every selected test once; each child runs its covering tests on those items with
   pytest's own ``runtestprotocol`` (setup, call, teardown, fixtures, xfail/skip handling)
   under pytest's warning filters (pyproject's ``filterwarnings`` and the tests'
   ``filterwarnings`` marks, which pytest applies in a hook around the protocol), in
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
6. **2 MB pages for the parent's heap** before the first fork (``madvise`` ``MADV_COLLAPSE``):
   the parent holds every mutated function (~900 MB over all the modules), and ``fork`` + the
   child's exit cost one page-table entry per 4 kB page: ~85 ms of CPU per mutant, ~12 ms with
   2 MB pages (``MUTATE_NO_HUGEPAGES=1`` turns it off).
7. **Killing tests first**: a child that kills its mutant reports the killing test through a
   pipe; later mutants of the same function run the tests that killed its earlier mutants
   first (then the rest, fastest first as mutmut does). Same tests, same verdicts, fewer tests
   run before the failure (``MUTATE_NO_KILLER_FIRST=1`` turns it off).
8. **Verdict files written every 10 s** (and at the end, or when run.py stops the run with
   SIGTERM) instead of after every mutant (``json.dump(indent=4)`` of the file, ~6 ms a verdict).
9. **The stats pass in two processes**, each over half of the test files (it was serial: one
   core idle for its ~86 s); the parent compiles the mutated modules first, the halves' records
   are merged (``MUTATE_SERIAL_STATS=1`` runs it serially).

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


def _stats_halves(selection: list[str]) -> list[list[str]]:
    """The test selection in two halves of about equal size (whole files, by bytes: the tests'
    durations are not known before the stats pass)."""
    by_file: dict[str, list[str]] = {}
    for s in selection:
        by_file.setdefault(s.split("::", 1)[0], []).append(s)
    halves: list[list[str]] = [[], []]
    weight = [0, 0]
    for f, sel in sorted(by_file.items(), key=lambda kv: -_size(kv[0])):
        i = weight.index(min(weight))
        halves[i] += sel
        weight[i] += _size(f) if "::" not in sel[0] else _size(f) // 4
    return [h for h in halves if h]


def _size(test_file: str) -> int:
    try:
        return Path(test_file).stat().st_size
    except OSError:
        return 0


def collect_stats(self, tests):
    """mutmut's stats pass (every selected test once, recording which mutated functions each
    calls, and its duration) in two forked processes, each over half of the test files, instead
    of one: the stats pass is serial in mutmut and left one of the two cores idle (86 s in the
    full run of 12:17). The parent imports the mutated modules first (compiling them once,
    ~16 s), the children inherit them and write their records to a JSON file the parent merges.
    A failing test fails the pass as before (``-x`` in each half)."""
    cfg = mm.config()
    selection = list(tests or cfg.pytest_add_cli_args_test_selection)
    two = self.max_workers >= 2 or os.environ.get("MUTATE_PARALLEL_STATS")
    if os.environ.get("MUTATE_SERIAL_STATS") or len(selection) < 2 or not two:
        return _orig_collect_stats(self, tests)
    import importlib

    from mutmut.state import state as st

    for mod in ["lpperp", *(f"lpperp.{m}" for m in json.loads(os.environ.get("MUTATE_OWNER", "{}")))]:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    children = []
    for i, half in enumerate(_stats_halves(selection)):
        out = Path(f"mutants/stats-half-{i}.json")
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                rc = self.test_runner.run_stats(tests=half)
                s = st()
                out.write_text(json.dumps({
                    "duration_by_test": dict(s.duration_by_test),
                    "tests_by_mangled_function_name": {k: sorted(v) for k, v in
                                                       s.tests_by_mangled_function_name.items()}}))
            finally:
                sys.stdout.flush()
                os._exit(rc)
        children.append((pid, out))
    rc = 0
    for pid, out in children:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        rc = rc or code
        if code == 0:
            data = json.loads(out.read_text())
            st().duration_by_test.update(data["duration_by_test"])
            for k, v in data["tests_by_mangled_function_name"].items():
                st().tests_by_mangled_function_name[k].update(v)
    st()._stats.clear()
    return rc


_orig_collect_stats = isolation.ForkRunner.collect_stats


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


def _huge_pages() -> str:
    """Back the parent's heap with 2 MB pages (``madvise(MADV_HUGEPAGE)`` then ``MADV_COLLAPSE``,
    Linux >= 6.1) before the first fork. The parent holds every mutated module's functions
    (~900 MB over all the modules, simulate alone ~300 MB); ``fork`` copies and ``exit`` tears
    down one page-table entry per 4 kB page: ~40 ms of the parent's and ~40 ms of the child's
    CPU per mutant with 4 kB pages, ~5 + 7 ms with 2 MB pages (a child's writes still copy
    4 kB). Costs ~1-5 s once; a kernel without it leaves the pages as they are."""
    if os.environ.get("MUTATE_NO_HUGEPAGES") or not sys.platform.startswith("linux"):
        return "huge pages: off"
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        total = 0
        with open("/proc/self/maps") as maps:
            regions = [ln.split() for ln in maps]
        for parts in regions:
            a, b = (int(x, 16) for x in parts[0].split("-"))
            anonymous = len(parts) < 6 or parts[5] == "[heap]"
            if parts[1].startswith("rw") and anonymous and b - a >= 2 << 20:
                total += b - a
                libc.madvise(a, b - a, 14)  # MADV_HUGEPAGE
                libc.madvise(a, b - a, 25)  # MADV_COLLAPSE (a region may collapse in part)
        with open("/proc/self/smaps_rollup") as f:
            huge = sum(int(ln.split()[1]) for ln in f if ln.startswith("AnonHugePages")) >> 10
    except (OSError, AttributeError, ValueError) as e:
        return f"huge pages: not used ({e!r})"
    return f"huge pages: {huge} MB of the {total >> 20} MB of anonymous memory in 2 MB pages"


def startup(self):
    _phase("warm session")
    _build_session()
    print(f"warm session: {len(_ITEMS)} tests collected", flush=True)
    print(_huge_pages(), flush=True)
    if not os.environ.get("MUTATE_NO_KILLER_FIRST"):
        r, w = os.pipe()
        os.set_blocking(r, False)
        _PIPE[:] = [r, w]
    _orig_startup(self)
    _phase("mutants")


_orig_shutdown = isolation.ForkRunner.shutdown


def shutdown(self):
    _orig_shutdown(self)
    _phase("")


def run_forced_fail(self):
    """mutmut's forced-fail check (every mutated function raises: some test must fail), in a
    forked child. With the clean run skipped (see ``run_clean_tests``) and the stats pass in
    forked halves, the parent has not imported lpperp yet: in process, the forced failure broke
    the package's import (a dataclass ``__post_init__`` runs at import time), pytest found none
    of the node ids it was given and mutmut raised a usage error (exit 4), stopping the run
    before its first mutant. In a child the parent keeps a clean import state for the warm
    session; a selection that cannot even be collected under the forced failure is a failure
    (the selection itself collected in the stats pass just before)."""
    pid = os.fork()
    if pid == 0:  # child
        try:
            code = self.test_runner.run_forced_fail()
        except BaseException:  # BadTestExecutionCommandsException or any error it caused
            code = 1
        os._exit(min(int(code), 255))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


_orig_run_tests = harness.PytestRunner.run_tests


def run_tests(self, *, mutant_name, tests):
    tests = list(tests)
    if not mutant_name or not _ITEMS or not tests or any(t not in _ITEMS for t in tests):
        return _orig_run_tests(self, mutant_name=mutant_name, tests=tests)
    from _pytest.runner import runtestprotocol
    from _pytest.warnings import catch_warnings_for_item

    killers = _KILLERS.get(mm.mangled_name_from_mutant_name(mutant_name), {})
    if killers:  # stable sort: mutmut's fastest-first order within each group
        tests.sort(key=lambda t: t not in killers)
    os.chdir("mutants")
    for i, t in enumerate(tests):
        nxt = _ITEMS[tests[i + 1]] if i + 1 < len(tests) else None
        item = _ITEMS[t]
        # the warning filters of pytest's own protocol (pyproject's filterwarnings and the
        # test's @pytest.mark.filterwarnings), which runtestprotocol alone does not apply
        with catch_warnings_for_item(config=item.config, ihook=item.ihook, when="runtest",
                                     item=item):
            reports = runtestprotocol(item, log=False, nextitem=nxt)
        if any(r.failed for r in reports):
            if _PIPE:
                line = f"{mutant_name}\t{t}\n".encode()
                if len(line) <= 4096:  # one write up to PIPE_BUF is atomic
                    os.write(_PIPE[1], line)
            return 1
    return 0


#: mangled function name -> the tests that killed one of its mutants (the parent's record, read
#: by each forked child to run those first)
_KILLERS: dict[str, set[str]] = {}
_PIPE: list[int] = []  # [read fd, write fd]: children report the test that killed their mutant
_orig_wait = isolation.ForkRunner.wait_for_result


def wait_for_result(self, timeout=None):
    result = _orig_wait(self, timeout)
    _read_killers()
    return result


def _read_killers() -> None:
    if not _PIPE:
        return
    data = b""
    while True:
        try:
            chunk = os.read(_PIPE[0], 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    if not data:
        return
    with open("mutants/killers.tsv", "ab") as f:  # mutant, the test that killed it
        f.write(data)
    for line in data.decode(errors="replace").splitlines():
        name, _, test = line.partition("\t")
        if test:
            _KILLERS.setdefault(mm.mangled_name_from_mutant_name(name), set()).add(test)


_DIRTY: dict[int, object] = {}
_LAST_SAVE = [0.0]


def _register_mutant_result(result, mutation_data_by_mutant_name) -> None:
    """mutmut's verdict bookkeeping, with the file's meta JSON written at most every 10 s (and at
    the end, or when run.py stops the run) instead of after every verdict: ``json.dump(indent=4)``
    of a meta file is 1-10 ms, ~6 ms a verdict on average (~125 s of the parent's CPU over the
    20,000 mutants of all the modules)."""
    data = mutation_data_by_mutant_name[result.mutant_name]
    assert result.mutant_name in data.exit_code_by_key, (
        f"{result.mutant_name} is not a known mutant of {data.path}")
    data.exit_code_by_key[result.mutant_name] = result.exit_code
    data.durations_by_key[result.mutant_name] = result.duration
    _DIRTY[id(data)] = data
    if time.perf_counter() - _LAST_SAVE[0] >= 10.0:
        _flush()


def _flush() -> None:
    _LAST_SAVE[0] = time.perf_counter()
    for data in list(_DIRTY.values()):
        data.save()
    _DIRTY.clear()


_PARENT = os.getpid()


def _on_term(signum, frame):
    """run.py stops a run whose budget is spent with SIGTERM (to the process group): the parent
    writes the verdicts it holds, a forked child just exits."""
    if os.getpid() == _PARENT:
        _flush()
    os._exit(128 + signum)


_orig_print_stats = mm.print_stats
_LAST_PRINT = [0.0]


def print_stats(by_path, force_output=False):
    """mutmut recounts every verdict of every file before each mutant (for a progress line it
    shows at most every 0.1 s): O(mutants^2), ~1 us x 20,000^2 = 400 s over all the modules.
    Recount at most once a second."""
    now = time.perf_counter()
    if force_output:
        _flush()
    if force_output or now - _LAST_PRINT[0] >= 1.0:
        _LAST_PRINT[0] = now
        _orig_print_stats(by_path, force_output=force_output)


mm.print_stats = print_stats
isolation.ForkRunner.collect_stats = collect_stats
mm._register_mutant_result = _register_mutant_result
isolation.ForkRunner.wait_for_result = wait_for_result
mm.create_mutants = create_mutants
isolation.ForkRunner.run_clean_tests = run_clean_tests
mm.collect_or_load_stats = collect_or_load_stats
isolation.ForkRunner.shutdown = shutdown
mm.collect_source_file_mutation_data = collect_source_file_mutation_data
isolation.ForkRunner.startup = startup
harness.PytestRunner.run_tests = run_tests
isolation.ForkRunner.run_forced_fail = run_forced_fail

if __name__ == "__main__":
    if os.environ.get("MUTATE_COLD"):  # plain mutmut per-mutant pytest.main (for comparison)
        harness.PytestRunner.run_tests = _orig_run_tests
    import atexit
    import signal

    signal.signal(signal.SIGTERM, _on_term)
    atexit.register(_flush)
    sys.argv[0] = "mutmut"
    mm.cli()

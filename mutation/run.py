"""`make mutate`: mutation testing of lpperp's core modules with mutmut (issue 14).

For each core module that exists (the list tolerates modules not written yet), a scratch copy of
the repository (``lpperp/``, the top-level ``tests/*.py``, ``pyproject.toml`` with a
``[tool.mutmut]`` section for that module) is made under ``--workdir`` and ``mutmut run`` mutates
only that module and runs only the module's fast unit tests (MODULE_TESTS; mutmut further narrows
them to the tests that call the mutated function), two mutants at a time, with mutmut's per-mutant
timeout (5x the covering tests' clean time + 1 s). Hypothesis runs the ``mutation`` profile
(derandomized, 25 examples) so a verdict does not depend on the draw.

Prints the mutation score per module (killed / (mutants - equivalent - not run)), each survivor
with its diff (unless listed in mutation/equivalent/<module>.md with a reason), and the total time.
The working tree is never touched: mutmut writes its ``mutants/`` folder in the scratch copy.

Usage: python mutation/run.py [module ...] [--workdir DIR] [--max-children 2] [--budget-s 1800]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_DIR = ROOT / "mutation" / "equivalent"

#: the deterministic tests of tests/test_simulate.py (under 0.2 s each; the file's Monte Carlo and
#: memory tests take ~70 s, too slow to re-run for every surviving mutant)
_SIMULATE_FAST = (
    "test_one_step_matches_the_margin_engine",
    "test_liquidation_step_matches_the_closed_form_boundary",
    "test_fees_and_funding_at_a_constant_price",
    "test_interrupt_keeps_the_finished_chunks",
    "test_recentre_when_out_of_range_resets_the_range_and_costs",
    "test_a_slow_reaction_is_liquidated_where_an_instant_one_survives",
    "test_chain_block_time_enters_the_delay",
    "test_backtest_on_the_bundled_sample",
    "test_policy_flags_and_target_are_validated",
    "test_backtest_needs_a_price_series_and_stress_test_a_shock",
    "test_funding_is_paid_on_the_mark_of_each_step",
    "test_funding_paid_enters_the_margin_check",
    "test_funding_is_paid_at_the_venue_interval",
    "test_hedge_trades_follow_the_delta_and_pay_the_taker_fee",
    "test_hedge_needs_an_lp_and_sizes_the_perp_to_it",
    "test_hold_is_the_lps_entry_mix_held",
    "test_hyperliquid_backstop_takes_what_a_gap_leaves",
    "test_partial_liquidation_leaves_a_smaller_perp_running",
    "test_lp_collateral_liquidation_never_books_the_haircut",
    "test_a_lagging_feed_liquidates_late_at_the_market_price",
    "test_step_count_alone_is_budgeted_and_the_limit_can_be_raised",
    "test_scenario_arguments_are_checked",
    "test_process_is_checked_before_any_path",
    "test_step_size_out_of_range_is_named",
)
_STRATEGIES_FAST = (
    "test_stress_isolated_protects_the_wallet_cross_spends_it",
    "test_run_sweep_in_process",
    "test_scenario_arguments_are_checked",
    "test_stress_test_names_a_bad_shock",
    "test_hedging_strategies_bands_are_checked",
    "test_step_size_out_of_range_is_named",
    "test_progress_flag_is_checked",
    "test_oversized_monte_carlo_is_refused_up_front",
)

#: core module -> its fast unit tests (tests/ files, or ``file::test`` node ids to select some
#: tests of a slow file); tests/test_references.py covers the cross-module references. Modules
#: missing from lpperp/ are skipped with a note.
MODULE_TESTS: dict[str, tuple[str, ...]] = {
    "units": ("test_units.py", "test_liquidity.py"),
    "liquidity": ("test_liquidity.py",),
    "swap": ("test_swap.py",),
    "position": ("test_position.py",),
    "perp": ("test_perp.py", "test_margin.py", "test_venues.py"),
    "venues": ("test_venues.py", "test_references.py"),
    "collateral": ("test_collateral.py", "test_references.py"),
    "oracle": ("test_oracle.py",),
    "margin": ("test_margin.py",),
    "liquidation": ("test_liquidation.py", "test_references.py"),
    "costs": ("test_costs.py",),
    "rebalancing": ("test_rebalancing.py", "test_references.py"),
    "processes": ("test_processes.py",),
    "risk": ("test_risk.py",),
    # simulate/strategies: test_simulate.py takes ~75 s (Monte Carlo, memory); its fast
    # deterministic tests are selected by node id, plus tests/test_<module>_*.py
    "simulate": (
        *(f"test_simulate.py::{t}" for t in _SIMULATE_FAST),
        "test_references.py::test_funding_is_charged_at_the_mark_on_a_moving_path",
        "test_references.py::test_funding_alone_liquidates_in_the_simulated_margin_check",
    ),
    "strategies": tuple(f"test_simulate.py::{t}" for t in _STRATEGIES_FAST),
}
#: private helpers mutated with the public module that owns them
MODULE_EXTRA_FILES: dict[str, tuple[str, ...]] = {
    "liquidation": ("_boundary_kernels.py", "_boundary_fast.py"),
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          None: "not checked", 37: "caught by type check"}


def equivalent_names() -> dict[str, str]:
    """``mutant name -> reason`` from the tables in mutation/equivalent/*.md (one per module)."""
    out = {}
    for path in sorted(EQUIVALENT_DIR.glob("*.md")):
        for line in path.read_text().splitlines():
            if line.startswith("## Survivors"):  # known survivors are listed, not excused
                break
            m = re.match(r"\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|.*\|\s*(.+?)\s*\|\s*$", line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def module_tests(module: str) -> list[str]:
    """The module's fast unit tests: MODULE_TESTS plus every ``tests/test_<module>_*.py``."""
    named = [t for t in MODULE_TESTS[module] if (ROOT / "tests" / t.split("::")[0]).exists()]
    extra = sorted(p.name for p in (ROOT / "tests").glob(f"test_{module}_*.py"))
    return named + [t for t in extra if t not in named]


def _pyproject(module_files: list[str], tests: list[str]) -> str:
    text = (ROOT / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    cfg = {
        "source_paths": ["lpperp/"],
        "only_mutate": [f"lpperp/{f}" for f in module_files],
        "pytest_add_cli_args_test_selection": [f"tests/{t}" for t in tests],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "pytest_timeout", "-o", "addopts=",
                                "--timeout=300", "-q"],
        # an error message's wording is not the model: mutants of `raise` statements (string
        # mutations of the message) are not generated; the condition above each raise is mutated
        "do_not_mutate_patterns": [r"^\s*raise \w"],
        "timeout_multiplier": 5.0,
        "timeout_constant": 1.0,
        "use_git_change_detection": False,
        "track_dependencies": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    return text + "\n".join(lines) + "\n"


def module_files(module: str) -> list[str]:
    """The files mutated for ``module``: ``lpperp/<module>.py`` and its private helpers."""
    files = [f"{module}.py", *MODULE_EXTRA_FILES.get(module, ())]
    return [f for f in files if (ROOT / "lpperp" / f).exists()]


def prepare(name: str, modules: list[str], work: Path) -> tuple[Path, list[str], list[str]]:
    """Scratch copy ``work/name`` mutating ``modules``; selection = union of their tests."""
    files = [f for m in modules for f in module_files(m)]
    tests: list[str] = []
    for m in modules:
        tests += [t for t in module_tests(m) if t not in tests]
    d = work / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    shutil.copytree(ROOT / "lpperp", d / "lpperp", ignore=shutil.ignore_patterns("__pycache__"))
    (d / "tests").mkdir()
    for f in (ROOT / "tests").glob("*.py"):
        shutil.copy2(f, d / "tests" / f.name)
    shutil.copytree(ROOT / "mutation", d / "mutation", ignore=shutil.ignore_patterns("__pycache__"))
    (d / "pyproject.toml").write_text(_pyproject(files, tests))
    return d, files, tests


def run_group(name: str, modules: list[str], work: Path, max_children: int, budget_s: float,
              skip: set[str], cold: bool = False) -> dict:
    """One mutmut run (mutation/driver.py) over ``modules``: each mutant is tested by the tests of
    its own module only (MUTATE_MODULE_TESTS); the mutants in ``skip`` are not run."""
    d, files, tests = prepare(name, modules, work)
    if not tests:
        return {"error": f"no test file among {[MODULE_TESTS[m] for m in modules]}"}
    (d / "skip.txt").write_text("".join(f"{k}\n" for k in sorted(skip)))
    owner = {Path(f).stem: m for m in modules for f in module_files(m)}
    per_module = {m: module_tests(m) for m in modules}
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "LPPERP_HYPOTHESIS": "mutation",
           "PYTHONPATH": str(d), "PYTHONDONTWRITEBYTECODE": "1",
           "MUTATE_MODULE_TESTS": json.dumps({m: [f"tests/{t}" for t in ts]
                                              for m, ts in per_module.items()}),
           "MUTATE_OWNER": json.dumps(owner), "MUTATE_SKIP": str(d / "skip.txt")}
    if cold:
        env["MUTATE_COLD"] = "1"
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = d / "mutmut.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(d / "mutation" / "driver.py"), "run",
                                 "--max-children", str(max_children)], cwd=d, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc: int | str = proc.wait(timeout=max(budget_s, 1.0))
        except subprocess.TimeoutExpired:
            rc = "budget exceeded"
            for sig in (signal.SIGTERM, signal.SIGKILL):  # mutmut and its forked workers
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    continue
    secs = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    results: dict[str, int | None] = {}
    durations: dict[str, float] = {}
    for f in files:
        meta = d / "mutants" / "lpperp" / (f + ".meta")
        if meta.exists():
            data = json.loads(meta.read_text())
            results.update(data.get("exit_code_by_key", {}))
            durations.update(data.get("durations_by_key", {}))
    phases = re.findall(r"^\[driver\] (.+)$", log.read_text(errors="replace"), re.M)
    return {"dir": d, "files": files, "tests": per_module, "rc": rc, "secs": secs, "cpu": cpu,
            "results": results, "durations": durations, "log": log, "owner": owner,
            "phases": phases}


_DEF = re.compile(r"([ \t]*)def (\w+__mutmut_(?:orig|\d+))\(")


def _functions(path: Path) -> dict[str, list[str]]:
    """Source lines of every mutmut function (and method) in mutmut's generated file, by name.

    From the line index mutmut writes next to the file (``<file>.spans``: first and last line of
    every generated function); without it, a line scan: a function runs from its ``def`` to the
    line before the next non-blank line indented no deeper than the ``def`` (a closing bracket of
    a multi-line signature excepted). Not ``ast``: parsing the generated files (up to 12 MB,
    simulate) once per module took ~250 s over all the modules' survivors; this is ~0.1 s a file.
    """
    lines = path.read_text().splitlines()
    spans = path.with_name(path.name + ".spans")
    if spans.exists():
        data = json.loads(spans.read_text())
        if data.get("version") == 1:
            out = {}
            for name, (a, b) in data["spans"].items():
                body = lines[max(a - 1, 0):b]
                while body and not body[0].strip():  # the index may start at the blank line
                    body = body[1:]
                out[name] = body
            return out
    out = {}
    for start, line in enumerate(lines):
        m = _DEF.match(line) if "__mutmut_" in line else None
        if m is None:
            continue
        name, indent = m.group(2), len(m.group(1))
        end = start + 1
        while end < len(lines):
            ln = lines[end]
            stripped = ln.lstrip()
            if stripped and len(ln) - len(stripped) <= indent and stripped[0] not in ")]}":
                break
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        out[name] = lines[start:end]
    return out


def diff(d: Path, name: str, files: list[str], cache: dict) -> str:
    """The changed lines of mutant ``name`` against the original function (difflib, no mutmut
    call: ``mutmut show`` costs an interpreter start per survivor). ``files``: the mutated files
    to look in (the mutant's own module's); ``cache`` keeps each file's index across calls."""
    import difflib

    short = name.rsplit(".", 1)[-1]
    orig = short.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
    for f in files:
        if f not in cache:
            gen = d / "mutants" / "lpperp" / f
            cache[f] = _functions(gen) if gen.exists() else {}
        funcs = cache[f]
        if short in funcs and orig in funcs:
            a = [ln.replace(orig, short) for ln in funcs[orig][1:]]
            b = funcs[short][1:]
            keep = [ln for ln in difflib.unified_diff(a, b, lineterm="", n=0)
                    if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
            return "\n".join("        " + ln.rstrip() for ln in keep[:6])
    return "        (diff not found)"


def _module_of(key: str, owner: dict[str, str]) -> str:
    parts = key.split(".")
    return owner.get(parts[1], parts[1]) if len(parts) > 2 else ""


def report(mod: str, r: dict, equiv: dict[str, str], show_diff: bool, rows: list) -> bool:
    """Print one module's score and survivors from a run's results; True if all is well."""
    results = {k: v for k, v in r["results"].items() if _module_of(k, r["owner"]) == mod}
    status = {k: STATUS.get(v, "suspicious") for k, v in results.items()}
    # listed equivalents are not run (not checked); with --run-equivalent one that is killed counts
    eq = {k for k in status if k in equiv and status[k] not in ("killed", "timeout")}
    killed = sum(1 for k, s in status.items() if s in ("killed", "timeout") and k not in eq)
    timeouts = sum(1 for k, s in status.items() if s == "timeout" and k not in eq)
    # "no tests": no selected test runs the mutated code, so nothing would catch it: a survivor
    survivors = sorted(k for k, s in status.items() if s in ("survived", "no tests") and k not in eq)
    other = sorted(k for k, s in status.items()
                   if s not in ("killed", "timeout", "survived", "no tests") and k not in eq)
    scored = killed + len(survivors)
    score = 100.0 * killed / scored if scored else float("nan")
    mutant_s = sum(v for k, v in r["durations"].items() if k in results)
    rows.append((mod, len(status), killed, len(survivors), len(eq), len(other), score, mutant_s,
                 r.get("module_secs")))
    print(f"[{mod}] {len(status)} mutants: {killed} killed ({timeouts} by timeout), "
          f"{len(survivors)} survived, {len(eq)} equivalent (not run), {len(other)} not run -> "
          f"score {score:.1f}% (mutants' test time {mutant_s:.0f} s; tests "
          f"{', '.join(r['tests'][mod])})", flush=True)
    cache = r.setdefault("diff_cache", {})  # one index per generated file, for every module
    files = [f for f in module_files(mod) if f in r["files"]]
    for k in survivors:
        print(f"    {status[k]}: {k}", flush=True)
        if show_diff:
            print(diff(r["dir"], k, files, cache), flush=True)
    for k in other:
        print(f"    {status[k]}: {k}", flush=True)
    return not other and bool(status)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help="core modules to mutate (default: all that exist)")
    ap.add_argument("--workdir", default=os.environ.get("MUTATE_WORKDIR", "/tmp/lpperp-mutate"))
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--budget-s", type=float, default=1800.0,
                    help="total time budget; mutants not reached by then are reported as not run")
    ap.add_argument("--per-module", action="store_true",
                    help="one mutmut run per module (default: one run over all the modules)")
    ap.add_argument("--run-equivalent", action="store_true",
                    help="also run the mutants listed in mutation/equivalent/*.md")
    ap.add_argument("--cold", action="store_true",
                    help="mutmut's own pytest.main per mutant instead of the warm session")
    ap.add_argument("--no-diff", action="store_true", help="list survivors without their diff")
    args = ap.parse_args(argv)
    mods = args.modules or list(MODULE_TESTS)
    unknown = [m for m in mods if m not in MODULE_TESTS]
    if unknown:
        ap.error(f"unknown modules {unknown}; core modules: {list(MODULE_TESTS)}")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    equiv = equivalent_names()
    skip = set() if args.run_equivalent else set(equiv)
    t_start = time.perf_counter()
    rows: list = []
    failed = False
    present = []
    for mod in mods:
        if (ROOT / "lpperp" / f"{mod}.py").exists():
            present.append(mod)
        else:
            print(f"[{mod}] lpperp/{mod}.py does not exist yet: skipped", flush=True)
    groups = [[m] for m in present] if args.per_module else ([present] if present else [])
    cpu = 0.0
    for group in groups:
        left = args.budget_s - (time.perf_counter() - t_start)
        if left <= 30:
            for mod in group:
                print(f"[{mod}] not run: the {args.budget_s:.0f} s budget is spent", flush=True)
            failed = True
            continue
        name = group[0] if len(group) == 1 else "all"
        r = run_group(name, group, work, args.max_children, left, skip, cold=args.cold)
        if "error" in r:
            print(f"[{name}] {r['error']}", flush=True)
            failed = True
            continue
        cpu += r["cpu"]
        if len(group) == 1:
            r["module_secs"] = r["secs"]
        print(f"[{name}] mutmut over {', '.join(group)}: {r['secs']:.0f} s wall, {r['cpu']:.0f} s "
              f"CPU (mutmut exit {r['rc']}); " + "; ".join(r["phases"]), flush=True)
        for mod in group:
            failed |= not report(mod, r, equiv, not args.no_diff, rows)
        if r["rc"] != 0:
            print(f"    mutmut exit {r['rc']}: see {r['log']}", flush=True)
            failed = True
    total = time.perf_counter() - t_start
    print(f"\n{'module':<14}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv':>7}{'not run':>8}"
          f"{'score':>8}{'test s':>8}{'wall s':>8}")
    for mod, n, k, s, e, o, sc, ms, ws in rows:
        wall = f"{ws:>8.0f}" if ws is not None else f"{'-':>8}"
        print(f"{mod:<14}{n:>8}{k:>8}{s:>9}{e:>7}{o:>8}{sc:>7.1f}%{ms:>8.0f}{wall}")
    print(f"total time: {total:.0f} s ({total / 60:.1f} min, budget {args.budget_s / 60:.0f} min, "
          f"{args.max_children} workers, {cpu:.0f} s CPU)")
    if total > args.budget_s:
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

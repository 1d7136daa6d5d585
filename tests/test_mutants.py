"""The curated mutants of mutation/curated.py must be killed (issue 14).

Each mutant is applied by exact text match to a temporary copy of ``lpperp/``; its targeted tests
run in a subprocess (``python -m pytest -x -q``, PYTHONPATH and working directory at the copy) and
must FAIL. A mutant whose source text is no longer in the module fails here with the mutant's name:
re-anchor it in mutation/curated.py. The unmutated copy must pass the same tests (so a failure
means the bug was caught, not that the copy is broken). Runs two subprocesses at a time (~20 s).
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = runpy.run_path(str(ROOT / "mutation" / "curated.py"))["MUTANTS"]
TIMEOUT_S = 300


def _pytest(copy: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess:
    # no plugin autoload: nbval, playwright, dask... cost ~8 s a run; only the timeout is needed
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--no-header", "-p", "no:cacheprovider",
           "-p", "pytest_timeout", "-o", "addopts=", f"--timeout={TIMEOUT_S // 2}",
           *(str(ROOT / t) for t in tests)]
    return subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def _copy(dst: Path) -> Path:
    shutil.copytree(ROOT / "lpperp", dst / "lpperp", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _anchor_count(mutant) -> int:
    return (ROOT / "lpperp" / mutant.file).read_text().count(mutant.old)


def _run_mutant(mutant, dst: Path) -> subprocess.CompletedProcess | None:
    copy = _copy(dst)
    path = copy / "lpperp" / mutant.file
    src = path.read_text()
    if src.count(mutant.old) != 1:
        return None
    path.write_text(src.replace(mutant.old, mutant.new))
    return _pytest(copy, mutant.tests)


def _run_baseline(dst: Path) -> tuple[subprocess.CompletedProcess, str]:
    copy = _copy(dst)
    where = subprocess.run(
        [sys.executable, "-c", "import lpperp; print(lpperp.__file__)"],
        cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True,
        timeout=120,
    ).stdout.strip()
    tests = tuple(dict.fromkeys(t for m in MUTANTS for t in m.tests))
    return _pytest(copy, tests), where


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Future]:
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {"baseline": pool.submit(_run_baseline, tmp_path_factory.mktemp("baseline"))}
    for m in MUTANTS:
        futures[m.id] = pool.submit(_run_mutant, m, tmp_path_factory.mktemp(m.id))
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def _tail(proc: subprocess.CompletedProcess) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])


def test_the_unmutated_copy_passes_the_targeted_tests(runs):
    proc, where = runs["baseline"].result()
    assert "/lpperp/__init__.py" in where and not where.startswith(str(ROOT)), (
        f"the subprocess imported lpperp from {where}, not from the temporary copy"
    )
    assert proc.returncode == 0, f"targeted tests fail on the unmutated code:\n{_tail(proc)}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_killed(mutant, runs):
    n = _anchor_count(mutant)
    if n != 1:
        pytest.fail(
            f"re-anchor mutant {mutant.id!r} in mutation/curated.py: its source text "
            f"{mutant.old!r} occurs {n} times in lpperp/{mutant.file} (must be exactly once); "
            f"plant the same bug ({mutant.why}) on the current code"
        )
    proc = runs[mutant.id].result()
    assert proc is not None, f"mutant {mutant.id!r}: anchor vanished while the copy was made"
    assert proc.returncode == 1, (
        f"mutant {mutant.id!r} ({mutant.why}) survived or the tests did not run "
        f"(pytest exit {proc.returncode}):\n{_tail(proc)}"
    )

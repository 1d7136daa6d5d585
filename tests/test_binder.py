"""The Binder environment (binder/) agrees with pyproject.toml.

Binder builds with repo2docker: when ``binder/`` exists the repository root is ignored, so every runtime
dependency of ``lpperp[notebook]`` must be pinned in ``binder/requirements.txt`` and the package itself
installed from the repository (``-e .``). If ``repo2docker`` is installed (``pip install
jupyter-repo2docker``; or ``LPPERP_REPO2DOCKER=/path/to/repo2docker``), ``repo2docker --no-build``
must accept the folder and plan the build we expect. It only prints a Dockerfile: no Docker, no network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _runtime_requirements() -> list[Requirement]:
    """Dependencies a Binder user needs: the core plus the ``notebook`` extra."""
    project = _pyproject()["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["notebook"])
    return [Requirement(r) for r in reqs]


def _binder_lines() -> list[str]:
    lines = []
    for raw in (BINDER / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _binder_pins() -> dict[str, Version]:
    pins = {}
    for line in _binder_lines():
        if line.startswith("-e") or line.startswith("."):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"binder/requirements.txt: {line!r} must be pinned with a single '=='"
        )
        pins[canonicalize_name(req.name)] = Version(specs[0].version)
    return pins


def test_every_runtime_dependency_is_pinned_and_allowed_by_pyproject():
    pins = _binder_pins()
    for req in _runtime_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (pyproject: {req}) is not pinned in binder/requirements.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"binder pins {req.name}=={pins[name]} but pyproject asks {req.specifier}"
        )


def test_anywidget_is_pinned_because_figurewidget_needs_it():
    # plotly >= 6 FigureWidget is an anywidget, and `pip install plotly` does not bring it.
    assert "anywidget" in _binder_pins()
    assert "plotly" in _binder_pins()


def test_package_is_installed_from_the_repository():
    lines = _binder_lines()
    post_build = BINDER / "postBuild"
    from_requirements = any(re.fullmatch(r"(-e\s+)?\.(\[[\w,-]+\])?", ln) for ln in lines)
    from_post_build = post_build.exists() and "pip install" in post_build.read_text()
    assert from_requirements or from_post_build, (
        "binder/ must install lpperp itself: '-e .' in requirements.txt or pip install in postBuild"
    )


def test_runtime_python_is_pinned_and_allowed():
    text = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+\.\d+)", text)
    assert m, f"binder/runtime.txt must read 'python-X.Y', got {text!r}"
    requires = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert requires.contains(Version(m.group(1) + ".0")), f"{text} violates requires-python {requires}"


def test_no_file_that_would_make_repo2docker_ignore_requirements():
    # With environment.yml (or a Pipfile) repo2docker ignores requirements.txt and runtime.txt.
    for name in ("environment.yml", "Pipfile", "Pipfile.lock"):
        assert not (BINDER / name).exists(), f"binder/{name} would shadow binder/requirements.txt"


def test_start_notebook_exists():
    # The README badge opens JupyterLab at this notebook (urlpath=lab/tree/notebooks/00_start_here.ipynb).
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


def _repo2docker() -> list[str] | None:
    exe = os.environ.get("LPPERP_REPO2DOCKER") or shutil.which("repo2docker")
    if exe:
        return [exe]
    try:
        import repo2docker  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "repo2docker"]


def test_repo2docker_accepts_the_binder_folder(tmp_path):
    cmd = _repo2docker()
    if cmd is None:
        pytest.skip("repo2docker not installed (pip install jupyter-repo2docker to run this check)")
    out = subprocess.run(
        [*cmd, "--no-build", "--debug", str(ROOT)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert "python=3.12" in log, "repo2docker did not pick up binder/runtime.txt"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in log, log[-3000:]

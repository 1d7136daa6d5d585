"""Fixtures for the real-browser tests: ONE JupyterLab server and ONE headless Chromium per session.

The server (``tests/ui/jlab.py``) runs from this interpreter's environment with HOME, settings and
workspaces in a temporary directory, serving a *copy* of ``notebooks/`` (running cells never writes
into the repository). The browser is Debian's ``/usr/bin/chromium`` driven by Playwright from PyPI;
``playwright install`` is never needed. Without Chromium the tests skip with a message, except under
``CI=true``, where they fail: CI installs Chromium (see ``.ci/run``) and must run them.
"""


from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from . import jlab

IN_CI = os.environ.get("CI") == "true"
#: a script run by hand (`python -m tests.ui.probe_keypress`), not a test module
collect_ignore = ["probe_keypress.py"]


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires the browser test to run (.ci/run installs chromium)")
    pytest.skip(f"{reason} (apt-get install chromium; pip install playwright; never "
                "`playwright install`)")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[jlab.Lab]:
    if not jlab.chromium_available():
        _missing(f"chromium not found at {jlab.CHROMIUM}")
    with jlab.start_lab(jlab.ROOT / "notebooks", base=tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not jlab.chromium_available():
        _missing(f"chromium not found at {jlab.CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright (Python) is not installed")
    with jlab.launch_browser(tmp_path_factory.mktemp("chromium-profile")) as ctx:
        yield ctx


@pytest.fixture
def page(browser, lab):
    """A fresh page collecting console errors and uncaught exceptions in ``page.lpperp_errors``;
    the notebook's kernel is shut down afterwards (one kernel at a time on a 2-core machine)."""
    pg = browser.new_page()
    pg.set_viewport_size(jlab.VIEWPORT)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.lpperp_errors = errors
    try:
        yield pg
    finally:
        pg.close()
        lab.shutdown_kernels()


def pytest_terminal_summary(terminalreporter):
    """Issue 11's speed figures, one line per notebook (measured, never asserted)."""
    if jlab.SPEED_LINES:
        terminalreporter.write_sep("-", "browser speed (key press -> redraw, Run All -> interactive)")
        for line in jlab.SPEED_LINES:
            terminalreporter.write_line(line)

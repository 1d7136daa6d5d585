"""A real JupyterLab in headless Chromium, as plain context managers and page helpers.

Used by ``conftest.py`` (one server and one browser per test session) and usable from a script to
reproduce a browser-only bug::

    with start_lab(notebooks_dir) as lab, launch_browser() as ctx:
        page = ctx.new_page()
        open_notebook(page, lab.url("02_lp_as_collateral.ipynb"))
        run_all(page)

The server runs from this interpreter's environment with HOME, settings and workspaces in a
temporary directory, serving a *copy* of the notebooks (running cells never writes into the
repository). The browser is Debian's ``/usr/bin/chromium`` driven by Playwright from PyPI;
``playwright install`` is never needed (see shared/notes/jupyter-stack.md).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LPPERP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1500}
#: the browser suite's "[speed]" lines (issue 11's figures), printed in the terminal summary
SPEED_LINES: list[str] = []
#: the notebook on screen (other panels may linger hidden in the DOM)
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PLOT = f"{PANEL} .js-plotly-plot"
EXPLORER = f"{PANEL} .lpperp-explorer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: ``url(path)`` gives an authenticated URL under ``/lab/tree``."""

    port: int
    token: str
    root: Path
    log: Path
    settings: Path | None = None

    def url(self, notebook: str) -> str:
        """The notebook alone in a fresh workspace (``reset``: no tab restored from a former page)."""
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}?token={self.token}", method=method
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel of this server (each notebook test starts its own)."""
        for k in self.api("kernels"):  # type: ignore[union-attr]
            try:
                self.api(f"kernels/{k['id']}", method="DELETE")
            except OSError:
                pass


def _write_settings(settings_dir: Path, theme: str | None = None) -> None:
    """Quiet JupyterLab: no news fetch, no update check, no autosave racing the test."""
    files: dict[str, dict] = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    if theme:
        files["@jupyterlab/apputils-extension/themes.jupyterlab-settings"] = {"theme": theme}
    for rel, content in files.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


@contextmanager
def start_lab(notebooks: Path = ROOT / "notebooks", base: Path | None = None) -> Iterator[Lab]:
    """Start JupyterLab on loopback over a copy of ``notebooks``; stop it (by its group id) after."""
    tmp = None
    if base is None:
        tmp = tempfile.TemporaryDirectory(prefix="lpperp-lab-")
        base = Path(tmp.name)
    home = base / "home"
    root = base / "notebooks"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(notebooks, root, dirs_exist_ok=True)
    settings = base / "user-settings"
    _write_settings(settings)
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "IPYTHONDIR": str(home / ".ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
        "--port", str(port), f"--ServerApp.token={token}", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "jupyter.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        api = f"http://127.0.0.1:{port}/api/status?token={token}"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(api, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Lab(port=port, token=token, root=root, log=log, settings=settings)
    finally:
        # Stop the server we started (and its kernels) by its process group id.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if tmp is not None:
            tmp.cleanup()


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


@contextmanager
def launch_browser(profile: Path | None = None):
    """One headless Chromium (persistent context with a fresh profile)."""
    from playwright.sync_api import sync_playwright

    tmp = None
    if profile is None:
        tmp = tempfile.TemporaryDirectory(prefix="lpperp-chromium-")
        profile = Path(tmp.name)
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        if tmp is not None:
            tmp.cleanup()


# -- JavaScript run in the page -------------------------------------------------------------------
JS_KERNEL_IDLE = """() => {
  const bar = document.querySelector('#jp-main-statusbar');
  return !!bar && /\\| Idle/.test(bar.innerText) && !/No Kernel/.test(bar.innerText);
}"""

JS_PROMPTS = """() => Array.from(document.querySelectorAll(
  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'))
  .map(p => p.textContent.trim())"""

def set_theme(lab: Lab, theme: str) -> None:
    """JupyterLab's theme ("JupyterLab Dark" / "JupyterLab Light") for pages loaded from now on."""
    assert lab.settings is not None
    _write_settings(lab.settings, theme=theme)


#: every plotly div on the page: its traces (x, y as plain arrays, types), its width and its cell's
JS_PLOTS = """() => Array.from(document.querySelectorAll('PLOT')).map((gd, i) => {
  const cell = gd.closest('.jp-OutputArea-output') || gd.closest('.jp-Cell') || gd.parentElement;
  const arr = v => (v === undefined || v === null) ? null
      : (ArrayBuffer.isView(v) || Array.isArray(v)) ? Array.from(v) : v;
  return {
    index: i,
    explorer: !!gd.closest('.lpperp-explorer'),
    width: gd.getBoundingClientRect().width,
    cell_width: cell.getBoundingClientRect().width,
    paper_bg: gd._fullLayout ? gd._fullLayout.paper_bgcolor : null,
    xaxis_titles: gd._fullLayout ? Object.keys(gd._fullLayout)
        .filter(k => /^xaxis\\d*$/.test(k))
        .map(k => (gd._fullLayout[k].title || {}).text || '') : [],
    traces: (gd.data || []).map((t, k) => ({
      name: t.name || null, type: t.type || 'scatter',
      x: arr(t.x && t.x.bdata !== undefined && gd._fullData ? gd._fullData[k].x : t.x),
      y: arr(t.y && t.y.bdata !== undefined && gd._fullData ? gd._fullData[k].y : t.y),
      z: t.z ? true : false,
      xaxis: t.xaxis || 'x',
      x_typed: !!(t.x && ArrayBuffer.isView(t.x)), x_kind: t.x === undefined ? 'undefined'
          : (t.x === null ? 'null' : Object.prototype.toString.call(t.x)),
    })),
  };
})""".replace("PLOT", PLOT)


def wait_for_kernel(page, timeout_ms: int = 60_000) -> None:
    """The status bar says the notebook's kernel is connected and idle ("... | Idle")."""
    page.wait_for_function(JS_KERNEL_IDLE, timeout=timeout_ms)


def open_notebook(page, url: str, timeout_ms: int = 60_000) -> None:
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=timeout_ms)
    wait_for_kernel(page, timeout_ms)


def run_all(page) -> float:
    """Run > Run All Cells through the menu, as a user would; returns ``performance.now()`` (ms)
    just before the click (the start of "Run All to interactive")."""
    for _ in range(2):
        t0 = page.evaluate("() => performance.now()")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(
                f"() => ({JS_PROMPTS})().some(t => t !== '[ ]:' && t !== '')", timeout=10_000
            )
            return t0
        except Exception:
            wait_for_kernel(page)
    raise AssertionError("Run All Cells did not start any cell")


def wait_for_run(page, n_code_cells: int, timeout_ms: int = 180_000) -> None:
    """Every code cell has an execution count and the kernel reports idle."""
    page.wait_for_function(
        f"""(n) => {{
          const prompts = ({JS_PROMPTS})();
          const done = prompts.filter(t => /^\\[\\d+\\]:$/.test(t)).length;
          return done >= n && !prompts.includes('[*]:') && ({JS_KERNEL_IDLE})();
        }}""",
        arg=n_code_cells, timeout=timeout_ms,
    )


def code_cells(path: Path) -> int:
    nb = json.loads(path.read_text())
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code")


def error_outputs(page) -> list[str]:
    """Text of every error output (a traceback) in the open notebook."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output'))
      .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                   && /Traceback|Error\\b/.test(o.innerText) && !/Warning/.test(o.innerText)
                   || o.classList.contains('jp-mod-error')
                   || /^[A-Za-z]*Error: /m.test(o.innerText) && /Traceback|---------/.test(o.innerText))
      .map(o => o.innerText.slice(0, 2000))""")


def plots(page) -> list[dict]:
    return page.evaluate(JS_PLOTS)

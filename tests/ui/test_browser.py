"""Every notebook in real JupyterLab with headless Chromium: run, read the plots back, move, break,
resize and reload every explorer.

Notebooks are discovered by glob (``notebooks/*.ipynb``, ``notebooks/workshop/**/*.ipynb``), so a new
notebook is covered when it lands. For each one, on one shared server and browser:

1. Run > Run All Cells; no cell may show an error output, no console error may appear.
2. Every plotly plot is read from the page (``gd.data`` of each ``.js-plotly-plot``): each
   scatter/bar trace with a y has an x of the same length, and on a price axis x is prices (not
   0..n-1: notebook 07's first draw plotted the curves against the index, see
   ``lpperp.viz.kit.FigureWidget``).
3. Every plot is at least 95 % of its cell's width at first draw, and again after the window is
   resized to 1,000 px, where the explorers' controls must not overlap.
4. Per explorer: one slider moved with the keyboard (>= 10 presses; the data and readout change;
   the key-press -> redraw time is printed, median, never asserted), one bad input (the status line
   shows the message, the plot keeps the last valid data), then a reload shows the same data and
   readout (the stale-view fix).

A separate test switches JupyterLab to its dark theme: the plot must not be a white box.
Timing targets from issue 11 (printed, not asserted, one ``[speed]`` line per notebook): redraw
< 100 ms for 02-04, < 150 ms for 05-06; Run All to a drawn, interactive explorer in 02 < 4 s.
"Redraw" is the key press to the plot's ``plotly_afterplot`` (full re-plot) or
``plotly_transitioned`` (changed traces only, ``kit.FigureWidget.batch_redraw``); "interactive" is
the explorer drawn and the kernel idle, so the next key press is handled at once.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time

import pytest

from . import jlab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK_DIR = jlab.ROOT / "notebooks"
NOTEBOOKS = sorted(
    str(p.relative_to(NOTEBOOK_DIR))
    for p in [*NOTEBOOK_DIR.glob("*.ipynb"), *NOTEBOOK_DIR.glob("workshop/**/*.ipynb")]
    if ".ipynb_checkpoints" not in p.parts
)
PRESSES = 10
NARROW = {"width": 1000, "height": 1500}

# -- JavaScript run in the page ---------------------------------------------------------------------
JS_EXPLORER_DATA = """(i) => {
  const ex = document.querySelectorAll('EXPLORER')[i];
  const gd = ex && ex.querySelector('.js-plotly-plot');
  if (!gd || !gd.data) return null;
  const arr = v => (v === undefined || v === null) ? null
      : (ArrayBuffer.isView(v) || Array.isArray(v)) ? Array.from(v) : v;
  const ro = ex.querySelector('.lpperp-readout');
  // a heatmap's z arrives as rows of numbers (widget state) or as a typed-array spec decoded by
  // plotly.js into ._inputArray (kit.FigureWidget's update messages): compare the numbers
  const rows = z => Array.from(z._inputArray || z).slice(0, 3).map(r => Array.from(r));
  return {traces: gd.data.map(t => ({name: t.name || '', x: arr(t.x), y: arr(t.y),
                                     z: t.z ? JSON.stringify(rows(t.z)) : null})),
          readout: ro ? ro.textContent : ''};
}""".replace("EXPLORER", jlab.EXPLORER)

JS_ARM = """(i) => {
  const ex = document.querySelectorAll('EXPLORER')[i];
  const gd = ex.querySelector('.js-plotly-plot');
  window.__lp = {t0: null, redraws: []};
  if (!window.__lpKey) {
    window.__lpKey = true;
    document.addEventListener('keydown', () => { window.__lp.t0 = performance.now(); }, true);
  }
  if (!gd.__lpHooked) {
    gd.__lpHooked = true;
    // a full re-plot ends with plotly_afterplot; a redraw of the changed traces only
    // (kit.FigureWidget.batch_redraw: a zero-duration Plotly.animate) with plotly_transitioned
    const done = () => {
      if (window.__lp && window.__lp.t0 !== null) window.__lp.redraws.push(performance.now());
    };
    gd.on('plotly_afterplot', done);
    gd.on('plotly_transitioned', done);
  }
  return true;
}""".replace("EXPLORER", jlab.EXPLORER)

JS_LATENCY = """() => (window.__lp.t0 !== null && window.__lp.redraws.length)
  ? window.__lp.redraws[0] - window.__lp.t0 : null"""

#: rectangles of the visible controls of explorer i (to check that none overlap)
JS_CONTROL_BOXES = """(i) => {
  const ex = document.querySelectorAll('EXPLORER')[i];
  return Array.from(ex.querySelectorAll('.lpperp-controls .widget-inline-hbox'))
    .filter(w => w.offsetParent !== null)
    .map(w => { const r = w.getBoundingClientRect();
                return {x: r.left, y: r.top, w: r.width, h: r.height,
                        label: (w.querySelector('.widget-label') || {}).innerText || ''}; });
}""".replace("EXPLORER", jlab.EXPLORER)


def _explorer_count(page) -> int:
    return page.evaluate(f"() => document.querySelectorAll('{jlab.EXPLORER}').length")


def _explorer_data(page, i: int) -> dict:
    return page.evaluate(JS_EXPLORER_DATA, i)


def _wait_for_plots(page, timeout_ms: int = 120_000) -> None:
    """Every explorer's plot is drawn with traces, and every other plot has its data (120 s: at
    load average 20 on the 2 cores, 60 s was seen to run out once in notebooks 02 and 05)."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('EXPLORER')).every(ex => {
             const gd = ex.querySelector('.js-plotly-plot');
             return gd && gd.data && gd.data.length > 0 && gd._fullLayout
                    && gd.querySelector('.main-svg'); })""".replace("EXPLORER", jlab.EXPLORER),
        timeout=timeout_ms,
    )


def _check_traces(plots: list[dict], where: str) -> list[str]:
    """Each scatter/bar trace with y has an x of the same length; price axes carry prices."""
    bad = []
    for p in plots:
        price_axis = any("price" in t.lower() for t in p["xaxis_titles"])
        for t in p["traces"]:
            if t["type"] not in ("scatter", "scattergl", "bar") or not isinstance(t["y"], list):
                continue
            x, y = t["x"], t["y"]
            label = f"{where}: plot {p['index']} trace {t['name']!r}"
            if not isinstance(x, list):
                bad.append(f"{label}: no x for {len(y)} y values (x is {t['x_kind']})")
                continue
            if len(x) != len(y):
                bad.append(f"{label}: {len(x)} x for {len(y)} y")
                continue
            nums = [v for v in x if isinstance(v, (int, float))]
            if price_axis and len(nums) >= 10 and nums == list(range(len(nums))):
                bad.append(f"{label}: x is the index 0..{len(nums) - 1}, not data")
            if price_axis and t["type"] != "bar" and nums and min(nums) <= 0:
                bad.append(f"{label}: price axis with x <= 0 ({min(nums)})")
    return bad


def _check_widths(page, where: str) -> list[str]:
    bad = []
    for p in jlab.plots(page):
        if p["cell_width"] and p["width"] < 0.95 * p["cell_width"]:
            bad.append(f"{where}: plot {p['index']} is {p['width']:.0f} px in a "
                       f"{p['cell_width']:.0f} px cell ({100 * p['width'] / p['cell_width']:.0f} %)")
    return bad


def _overlaps(page, i: int) -> list[str]:
    boxes = page.evaluate(JS_CONTROL_BOXES, i)
    out = []
    for a_i, a in enumerate(boxes):
        for b in boxes[a_i + 1:]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > 1 and dy > 1:
                out.append(f"explorer {i}: {a['label']!r} overlaps {b['label']!r}")
    return out


def _wait_idle(page, i: int, timeout_ms: int = 120_000) -> None:
    """Explorer i has no update in flight (the Monte Carlo explorer draws the selected strategy
    first and carries ``lpperp-busy`` while its other runs follow)."""
    page.wait_for_function(
        f"(i) => !document.querySelectorAll('{jlab.EXPLORER}')[i].classList.contains('lpperp-busy')",
        arg=i, timeout=timeout_ms)


def _slider_handle(page, i: int):
    ex = page.locator(jlab.EXPLORER).nth(i)
    for css in (".lpperp-price", ".lpperp-leverage", ".lpperp-controls"):
        handles = ex.locator(f"{css} .noUi-handle")
        for k in range(handles.count()):
            h = handles.nth(k)
            if h.is_visible():
                return h
    return None


def _press(page, i: int, times: int) -> list[float]:
    """ArrowRight on explorer i's first visible slider ``times`` times; wait for each redraw."""
    handle = _slider_handle(page, i)
    if handle is None:
        return []
    handle.scroll_into_view_if_needed()
    handle.focus()
    latencies = []
    for _ in range(times):
        page.evaluate(JS_ARM, i)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__lp && window.__lp.redraws.length > 0",
                               timeout=30_000, polling=10)
        page.wait_for_timeout(60)  # let the readout and the kernel settle before the next press
        lat = page.evaluate(JS_LATENCY)
        if lat is not None:
            latencies.append(lat)
    return latencies


def _bad_input(page, i: int) -> str:
    """Type -1 into a number box of explorer i: the status line must explain, the plot stay."""
    ex = page.locator(jlab.EXPLORER).nth(i)
    more = ex.locator(".lpperp-more .jupyter-widget-Collapse-header")
    if more.count() and not ex.locator(".lpperp-more .lpperp-deposit input").first.is_visible():
        more.first.click()  # the start page keeps the other settings behind "more settings"
        ex.locator(".lpperp-more .lpperp-deposit input").first.wait_for(state="visible",
                                                                        timeout=10_000)
    box = None
    for css in (".lpperp-deposit", ".lpperp-wallet-cash", ".lpperp-controls"):
        inputs = ex.locator(f"{css} input[type=number]")
        for k in range(inputs.count()):
            if inputs.nth(k).is_visible():
                box = inputs.nth(k)
                break
        if box is not None:
            break
    if box is None:
        return "no visible number box to break"
    _wait_idle(page, i)
    before = _explorer_data(page, i)
    old = box.input_value()
    box.fill("-1")
    box.press("Enter")
    status = ex.locator(".lpperp-status .lpperp-error")
    label = box.evaluate("b => (b.closest('.widget-inline-hbox').querySelector('.widget-label')"
                         " || {}).innerText")
    try:
        status.wait_for(state="visible", timeout=20_000)
    except Exception as exc:
        raise AssertionError(f"explorer {i}: typing -1 into {label!r} showed no status message"
                             ) from exc
    text = status.inner_text()
    page.wait_for_timeout(300)
    after = _explorer_data(page, i)
    assert after["traces"] == before["traces"], "a bad input changed the plot"
    assert after["readout"] == before["readout"], "a bad input changed the readout"
    box.fill(old)
    box.press("Enter")
    page.wait_for_function(
        f"(i) => !document.querySelectorAll('{jlab.EXPLORER}')[i]"
        ".querySelector('.lpperp-status .lpperp-error')", arg=i, timeout=20_000)
    return text


def _save(page) -> None:
    """File > Save Notebook (a key press could land in a widget's input), until saved."""
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Save Notebook")).first.click()
    page.wait_for_function(
        "() => { const t = document.querySelector('.jp-mod-current.lm-TabBar-tab, "
        ".lm-TabBar-tab.jp-mod-current'); return t && !t.classList.contains('jp-mod-dirty'); }",
        timeout=20_000)


def _label(notebook: str) -> str:
    return notebook.replace(".ipynb", "")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_label)
def test_notebook_in_real_jupyterlab(page, lab, notebook, tmp_path):
    where = _label(notebook)
    t_start = time.monotonic()
    jlab.open_notebook(page, lab.url(notebook))
    t_run = jlab.run_all(page)
    n_explorers = 0
    t_drawn = t_idle = None
    if "Explorer" in (lab.root / notebook).read_text():
        page.wait_for_selector(f"{jlab.EXPLORER} .js-plotly-plot .main-svg", timeout=180_000)
        t_drawn = page.evaluate("() => performance.now()")
    jlab.wait_for_run(page, jlab.code_cells(lab.root / notebook))
    if t_drawn is not None:
        t_idle = page.evaluate("() => performance.now()")
    errors = jlab.error_outputs(page)
    assert not errors, f"{where}: error output after Run All:\n" + "\n---\n".join(errors)
    n_explorers = _explorer_count(page)
    if n_explorers:
        _wait_for_plots(page)
    page.wait_for_timeout(500)

    problems = _check_traces(jlab.plots(page), where) + _check_widths(page, where)
    assert not problems, "\n".join(problems)

    # narrow window: plots follow, controls wrap without overlapping
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(800)
    problems = _check_widths(page, f"{where} at {NARROW['width']} px")
    for i in range(n_explorers):
        problems += _overlaps(page, i)
    page.set_viewport_size(jlab.VIEWPORT)
    page.wait_for_timeout(800)
    problems += _check_widths(page, f"{where} after resizing back")
    assert not problems, "\n".join(problems)

    report = []
    states = []
    medians = []
    for i in range(n_explorers):
        start = _explorer_data(page, i)
        lat = _press(page, i, PRESSES)
        _wait_idle(page, i)
        moved = _explorer_data(page, i)
        if lat:
            assert moved["traces"] != start["traces"], f"{where}: explorer {i} did not redraw"
            assert moved["readout"] != start["readout"] or not start["readout"], \
                f"{where}: explorer {i} readout did not change"
        message = _bad_input(page, i)
        _wait_idle(page, i)
        states.append(_explorer_data(page, i))
        med = statistics.median(lat) if lat else float("nan")
        if lat:
            medians.append((i, med, len(lat)))
        report.append(f"{where} explorer {i}: key press -> redraw median {med:.0f} ms, max "
                      f"{max(lat, default=float('nan')):.0f} ms over {len(lat)} presses; "
                      f"bad input -> {message[:70]!r}")
    assert not _check_traces(jlab.plots(page), f"{where} after moves")

    if n_explorers:
        page.locator(jlab.EXPLORER).first.screenshot(path=str(tmp_path / "explorer.png"))
        # Reload: the kernel keeps running; every view must show the state after the moves.
        _save(page)
        page.reload()
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
        drawn = f"() => document.querySelectorAll('{jlab.EXPLORER}').length >= {n_explorers}"
        try:
            try:
                page.wait_for_function(drawn, timeout=40_000)
            except Exception:  # seen once in three runs under load 9: reload once more
                page.reload()
                page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
                page.wait_for_function(drawn, timeout=60_000)
        except Exception as exc:
            page.screenshot(path=str(tmp_path / "reload_failed.png"), full_page=True)
            raise AssertionError(f"{where}: explorers not drawn after reload; see "
                                 f"{tmp_path / 'reload_failed.png'}") from exc
        _wait_for_plots(page)
        page.wait_for_function(
            "(want) => want.every((w, i) => !w || ((document.querySelectorAll('EXPLORER')[i]"
            " || {}).querySelector ? (document.querySelectorAll('EXPLORER')[i]"
            ".querySelector('.lpperp-readout') || {textContent: ''}).textContent === w : false))"
            .replace("EXPLORER", jlab.EXPLORER),
            arg=[st["readout"] for st in states], timeout=30_000)
        for i, state in enumerate(states):
            again = _explorer_data(page, i)
            assert again["traces"] == state["traces"], f"{where}: explorer {i} stale after reload"
            assert again["readout"] == state["readout"], f"{where}: explorer {i} readout stale"
        assert not _check_traces(jlab.plots(page), f"{where} after reload")

    # "widget model not found": jupyterlab-manager asks for a saved view's model before the
    # kernel's widget state has arrived after a reload, then draws it (checked above): not ours
    errors = [e for e in page.lpperp_errors if "widget model not found" not in e]
    assert not errors, f"{where}: console errors:\n" + "\n".join(errors)
    if t_drawn is not None:
        report.insert(0, f"{where}: Run All -> first explorer drawn {(t_drawn - t_run) / 1000:.1f} s")
    report.append(f"{where}: whole test {time.monotonic() - t_start:.0f} s")
    parts = []
    if t_drawn is not None:
        interactive = (max(t_drawn, t_idle) - t_run) / 1000
        parts.append(f"Run All -> interactive explorer {interactive:.1f} s"
                     + (" (target < 4 s)" if where.startswith("02") else ""))
    target = {"02": 100, "03": 100, "04": 100, "05": 150, "06": 150}.get(where[:2])
    for i, med, n in medians:
        parts.append(f"explorer {i}: key press -> redraw median {med:.0f} ms over {n} presses"
                     + (f" (target < {target} ms)" if target else ""))
    if parts:
        report.append(f"[speed] {where}: " + "; ".join(parts)
                      + f" [load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores]")
        jlab.SPEED_LINES.append(report[-1])
    print("\n" + "\n".join(report))


def test_dark_theme_plot_is_not_a_white_box(page, lab):
    """Under JupyterLab Dark the explorer's plot background is transparent and its text light."""
    nb = "dark_00_start_here.ipynb"  # a fresh copy: 00 itself may hold views of a closed kernel
    shutil.copy(NOTEBOOK_DIR / "00_start_here.ipynb", lab.root / nb)
    jlab.set_theme(lab, "JupyterLab Dark")
    jlab.open_notebook(page, lab.url(nb))
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'",
                           timeout=30_000)
    try:
        jlab.run_all(page)
        jlab.wait_for_run(page, jlab.code_cells(lab.root / nb))
        _wait_for_plots(page)
        colours = page.evaluate("""() => {
          const gd = document.querySelector('EXPLORER .js-plotly-plot');
          const bg = gd.querySelector('.main-svg .bg') || gd.querySelector('rect.bg');
          const text = gd.querySelector('.main-svg text.gtitle, .main-svg .xtitle, .main-svg text');
          return {paper: gd._fullLayout.paper_bgcolor, plot: gd._fullLayout.plot_bgcolor,
                  bg_fill: bg ? getComputedStyle(bg).fill : null,
                  text: getComputedStyle(text).fill,
                  page: getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor};
        }""".replace("EXPLORER", jlab.EXPLORER))

        def lum(css: str) -> float:
            nums = [float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
            return (0.2126 * nums[0] + 0.7152 * nums[1] + 0.0722 * nums[2]) / 255

        assert colours["paper"] == "rgba(0,0,0,0)" and colours["plot"] == "rgba(0,0,0,0)", colours
        assert lum(colours["page"]) < 0.3, colours  # the notebook really is dark
        assert lum(colours["text"]) > 0.6, colours  # axis text is light on it
        assert not page.lpperp_errors, "\n".join(page.lpperp_errors)
    finally:
        jlab.set_theme(lab, "JupyterLab Light")


#: Every notebook the suite opens, by name: the glob above must find exactly these, so a notebook
#: added, renamed or lost is noticed here (add it to the list once it runs in the browser).
EXPECTED_NOTEBOOKS = [
    "00_start_here.ipynb",
    "01_concentrated_liquidity.ipynb",
    "02_lp_as_collateral.ipynb",
    "03_cross_vs_isolated.ipynb",
    "04_liquidation_boundaries.ipynb",
    "05_l2_rebalancing_economics.ipynb",
    "06_risk_monte_carlo.ipynb",
    "07_your_position.ipynb",
    "08_oracles_and_collateral.ipynb",
    "workshop/01_lp_math.ipynb",
    "workshop/02_collateral.ipynb",
    "workshop/03_modes_and_maps.ipynb",
    "workshop/solutions/01_lp_math.ipynb",
    "workshop/solutions/02_collateral.ipynb",
    "workshop/solutions/03_modes_and_maps.ipynb",
]


def test_every_notebook_is_covered():
    """The browser suite opens exactly the notebooks in EXPECTED_NOTEBOOKS (all of them)."""
    assert sorted(EXPECTED_NOTEBOOKS) == NOTEBOOKS

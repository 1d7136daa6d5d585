"""Where a key press's time goes in the browser (a script, not a test).

    .venv/bin/python -m tests.ui.probe_keypress 02_lp_as_collateral.ipynb 10 .lpperp-price

Opens the notebook in real JupyterLab + headless Chromium (tests/ui/jlab.py), runs all cells,
prints the Run All timeline (the widget's open message, long tasks), then presses ArrowRight on the
first slider matching the CSS class given (default: any explorer slider) and prints, per press,
every websocket message in and out (kernel status, widget state keys) with its time after the
keydown, the plot's plotly events (animated, transitioned, afterplot, relayout), readout DOM
changes and long tasks, then the latencies and their median. ``TRACE=1`` also records a Chrome
trace of the last two presses (``TRACE=runall``: of Run All) into /tmp/lpperp-trace*.json, with
the V8 CPU profile, for chrome://tracing or a script.
"""
import os
import statistics
import sys

from tests.ui import jlab

TRACE = os.environ.get("TRACE")
CATEGORIES = ("disabled-by-default-v8.cpu_profiler,devtools.timeline,"
              "disabled-by-default-devtools.timeline,v8.execute,blink.user_timing")

INIT = r"""
(() => {
  window.__ev = [];
  const log = (k, extra) => window.__ev.push([performance.now(), k, extra || '']);
  window.__log = log;
  const Orig = window.WebSocket;
  function W(...a) {
    const ws = new Orig(...a);
    const os = ws.send.bind(ws);
    ws.send = (d) => { log('ws-send', (d && (d.byteLength || d.length)) || 0); return os(d); };
    ws.addEventListener('message', (e) => {
      let info = (e.data && (e.data.byteLength || e.data.length || e.data.size)) || 0;
      try {
        let txt = null;
        if (typeof e.data === 'string') txt = e.data;
        else if (e.data instanceof ArrayBuffer) {
          txt = new TextDecoder().decode(new Uint8Array(e.data).slice(0, 4000));
        }
        if (txt) {
          const m = txt.match(/"msg_type":\s*"([a-z_]+)"/);
          const st = txt.match(/"execution_state":\s*"([a-z]+)"/);
          const meth = txt.match(/"method":\s*"([a-z_]+)"/);
          const keys = txt.match(/"state":\s*\{\s*"([a-zA-Z_0-9]+)"/);
          info += ' ' + (m ? m[1] : '?') + (st ? ':' + st[1] : '') + (meth ? ':' + meth[1] : '')
               + (keys ? ':' + keys[1] : '');
          const pm = txt.match(/"method":\s*"custom"[\s\S]{0,200}?"type":\s*"([a-z_]+)"/);
          if (pm) info += ':' + pm[1];
          if (window.__dump) {
            const j = txt.indexOf('"content"');
            info += ' || ' + txt.slice(j, j + 160).replace(/\s+/g, ' ');
          }
        }
      } catch (err) {}
      log('ws-recv', info);
    });
    return ws;
  }
  W.prototype = Orig.prototype;
  Object.assign(W, Orig);
  window.WebSocket = W;
  try {
    new PerformanceObserver(l => l.getEntries().forEach(
      e => log('longtask', Math.round(e.duration) + '@' + Math.round(e.startTime))))
      .observe({type: 'longtask', buffered: true});
  } catch (err) {}
  document.addEventListener('keydown', () => log('keydown'), true);
})();
"""

HOOK = """() => {
  const gd = document.querySelector('EXPLORER .js-plotly-plot');
  if (!gd.__h) { gd.__h = true;
    gd.on('plotly_afterplot', () => window.__log('afterplot'));
    gd.on('plotly_transitioned', () => window.__log('transitioned'));
    gd.on('plotly_animated', () => window.__log('animated'));
    gd.on('plotly_relayout', () => window.__log('relayout'));
    gd.on('plotly_restyle', () => window.__log('restyle'));
    const ro = document.querySelector('EXPLORER .lpperp-readout');
    if (ro) new MutationObserver(() => window.__log('readout-dom'))
      .observe(ro, {subtree: true, childList: true, characterData: true});
  }
  window.__ev = []; window.__dump = true; return true;
}""".replace("EXPLORER", jlab.EXPLORER)

def _save_trace(page, cdp, path: str) -> None:
    """End the Chrome trace recording on ``cdp`` and write it to ``path``."""
    done_evt = []
    cdp.on("Tracing.tracingComplete", lambda p: done_evt.append(p))
    cdp.send("Tracing.end")
    while not done_evt:
        page.wait_for_timeout(100)
    chunks = []
    while True:
        r = cdp.send("IO.read", {"handle": done_evt[0]["stream"], "size": 1 << 20})
        chunks.append(r["data"])
        if r.get("eof"):
            break
    with open(path, "w") as f:
        f.write("".join(chunks))


def main() -> None:
    """Run the probe (only as a script: importing this module does nothing)."""
    NB = sys.argv[1] if len(sys.argv) > 1 else "02_lp_as_collateral.ipynb"
    PRESSES = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    SLIDER = sys.argv[3] if len(sys.argv) > 3 else ""
    with jlab.start_lab() as lab, jlab.launch_browser() as ctx:
        page = ctx.new_page()
        page.add_init_script(INIT)
        jlab.open_notebook(page, lab.url(NB))
        if os.environ.get("TRACE") == "runall":
            cdp0 = ctx.new_cdp_session(page)
            cdp0.send("Tracing.start", {"categories": CATEGORIES, "transferMode": "ReturnAsStream"})
        t0 = jlab.run_all(page)
        page.wait_for_selector(f"{jlab.EXPLORER} .js-plotly-plot .main-svg", timeout=180_000)
        t_drawn = page.evaluate("() => performance.now()")
        jlab.wait_for_run(page, jlab.code_cells(lab.root / NB))
        t_idle = page.evaluate("() => performance.now()")
        if os.environ.get("TRACE") == "runall":
            _save_trace(page, cdp0, "/tmp/lpperp-trace-runall.json")
        print(f"run all -> drawn {(t_drawn - t0) / 1000:.2f} s, idle {(t_idle - t0) / 1000:.2f} s")
        evs = page.evaluate("() => window.__ev")
        big = [e for e in evs if e[0] >= t0 and (
            e[1] == 'longtask' or (e[1] == 'ws-recv' and int(str(e[2]).split()[0]) > 20000))]
        for e in big[:60]:
            print(f"  {e[0] - t0:8.0f} {e[1]} {e[2]}")
        page.wait_for_timeout(1500)
        css = SLIDER or ".lpperp-controls"
        handle = page.locator(f"{jlab.EXPLORER} {css} .noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        rows = []
        cdp = ctx.new_cdp_session(page) if TRACE == '1' else None
        for k in range(PRESSES):
            if cdp and k == PRESSES - 2:
                cdp.send("Tracing.start", {"categories": CATEGORIES, "transferMode": "ReturnAsStream"})
            page.evaluate(HOOK)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "() => window.__ev.some(e => e[1] === 'transitioned' || e[1] === 'afterplot')",
                timeout=30000, polling=10)
            page.wait_for_timeout(400)
            evs = page.evaluate("() => window.__ev")
            kd = next(e[0] for e in evs if e[1] == 'keydown')
            print(f"-- press {k}")
            for e in evs:
                print(f"  {e[0] - kd:8.1f} {e[1]} {e[2]}")
            done = next(e[0] for e in evs if e[1] in ('transitioned', 'afterplot'))
            rows.append(done - kd)
        if cdp:
            _save_trace(page, cdp, "/tmp/lpperp-trace.json")
        print("latencies", [round(r) for r in rows], "median", round(statistics.median(rows)))


if __name__ == "__main__":
    main()

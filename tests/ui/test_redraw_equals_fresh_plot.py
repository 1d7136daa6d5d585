"""The explorers' fast redraw draws exactly what a fresh plot of the same data draws.

LP, health, wallet and rebalancing-economics explorers update the browser with a zero-duration
``Plotly.animate`` without a full redraw (``kit.FigureWidget.batch_redraw``), which neither
autoranges nor recomputes margins.
Here, in headless Chromium with the plotly.js that the FigureWidget bundles, each figure is drawn
for a state A, moved to a state B through that same animate call (every trace's x, y and text,
every axis range), and compared with a fresh ``Plotly.newPlot`` of B: the SVG of every trace (paths
rounded to the pixel, marker positions, texts) must be the same. Before the axes got explicit
ranges (``kit.fit_ranges``) and fixed margins, the x axis kept its old range and the plot area was
off by 3 px after a move that changed the grid.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import plotly.io as pio
import pytest

from lpperp.viz import economics, figures, kit
from lpperp.viz.scenarios import (
    HealthScenario,
    LPScenario,
    WalletScenario,
    compute_health,
    compute_lp,
    compute_wallet,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

#: every trace's drawn paths and texts, numbers rounded to the pixel
SNAP = """(div) => Array.from(div.querySelectorAll('.cartesianlayer .trace, .barlayer .trace')).map(t =>
   Array.from(t.querySelectorAll('path, text'))
     .filter(e => e.getAttribute('d') !== null || e.tagName === 'text')
     .map(e => [e.getAttribute('class'),
                (e.getAttribute('d') || '').replace(/\\d+\\.\\d+/g, m => Math.round(+m)),
                (e.getAttribute('transform') || '').replace(/\\d+\\.\\d+/g, m => Math.round(+m)),
                e.tagName === 'text' ? e.textContent : '', getComputedStyle(e).display].join('|')))"""

#: draw A, then B either by the explorers' redraw (animate, redraw false) or by a fresh plot
JS = """async ([A, B, how, opts]) => {
  if (window.__div) window.__div.remove();
  const div = document.createElement('div'); div.style.width = '1100px';
  document.body.prepend(div); window.__div = div;
  await Plotly.newPlot(div, A.data, A.layout, {});
  if (how === 'fresh') { await Plotly.newPlot(div, B.data, B.layout, {}); return (SNAP)(div); }
  const traces = B.data.map((_, i) => i);
  const data = B.data.map(t => { const o = {x: t.x, y: t.y};
                                 if (t.text !== undefined) o.text = t.text; return o; });
  const layout = {};
  for (const k of Object.keys(B.layout))
    if (/^[xy]axis\\d*$/.test(k) && B.layout[k].range) layout[k + '.range'] = B.layout[k].range;
  await Plotly.animate(div, {data, traces, layout}, opts);
  await new Promise(r => setTimeout(r, 50));
  return (SNAP)(div);
}""".replace("(SNAP)", "(" + SNAP + ")")


def _state(kind: str, **kw) -> dict:
    if kind == "wallet":
        fig = figures.wallet_figure(compute_wallet(WalletScenario(**kw)), widget=False)
    elif kind == "economics":
        fig = economics.economics_figure(
            economics.compute_economics(economics.EconomicsScenario(**kw)), widget=False)
    elif kind == "lp":
        fig = figures.lp_figure(compute_lp(LPScenario(**kw)), widget=False)
    else:
        fig = figures.health_figure(compute_health(HealthScenario(**kw)), widget=False)
    fig.update_layout(template=kit.TEMPLATE, width=1100)
    return json.loads(pio.to_json(fig, validate=False))


CASES = [
    ("health", {"price": 3000.0}, {"price": 3002.0}),
    ("health", {"price": 3000.0, "leverage": 2.0},
     {"price": 3500.0, "leverage": 6.0, "width_pct": 40.0}),
    ("health", {"price": 3000.0, "leverage": 0.3, "side": "long"},
     {"price": 3000.0, "leverage": 8.0, "side": "long"}),
    ("health", {"price": 3000.0, "mode": "cross", "wallet_cash": 3000.0},
     {"price": 3000.0, "leverage": 12.0, "mode": "cross", "wallet_cash": 0.0}),
    ("lp", {"price": 3000.0}, {"price": 3500.0, "width_pct": 40.0}),
    ("wallet", {"price": 3000.0, "btc_price": 60_000.0}, {"price": 3300.0, "btc_price": 40_000.0}),
    ("wallet", {"price": 3000.0, "btc_price": 60_000.0},
     {"price": 3000.0, "btc_price": 60_000.0, "eth_leverage": 9.0, "wallet_cash": 0.0}),
    # notebook 05: gas price and frequency moves (same chain: the explorer's transitions)
    ("economics", {"chain": "ethereum", "gas_price_gwei": 20.0},
     {"chain": "ethereum", "gas_price_gwei": 35.0}),
    ("economics", {"chain": "arbitrum", "frequency_per_year": 52.0},
     {"chain": "arbitrum", "frequency_per_year": 2000.0, "sigma_per_year": 0.6,
      "width_pct": 30.0}),
]


@pytest.fixture(scope="module")
def plot_page(browser):
    pg = browser.new_page()
    pg.set_viewport_size({"width": 1200, "height": 1000})
    pg.goto("about:blank")
    pg.add_script_tag(path=str(PLOTLY_JS))
    yield pg
    pg.close()


@pytest.mark.parametrize(("kind", "a", "b"), CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_redraw_draws_what_a_fresh_plot_draws(plot_page, kind, a, b):
    A, B = _state(kind, **a), _state(kind, **b)
    opts = kit.FigureWidget.REDRAW_OPTIONS
    moved = plot_page.evaluate(JS, [A, B, "redraw", opts])
    fresh = plot_page.evaluate(JS, [A, B, "fresh", opts])
    # plotly draws no group for a trace without points (a marker with nothing to mark)
    drawn = [t for t in B["data"] if t.get("x") is None or len(t["x"]) > 0]
    assert len(moved) == len(fresh) == len(drawn)
    for i, (m, f) in enumerate(zip(moved, fresh, strict=True)):
        assert m == f, f"{kind} trace {i} ({drawn[i].get('name')}): redraw differs from a " \
                       f"fresh plot: {[e for e in m if e not in f][:2]} vs {[e for e in f if e not in m][:2]}"

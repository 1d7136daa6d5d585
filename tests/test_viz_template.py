"""The explorers' template is plotly_white for the 2-D traces they draw (lpperp.viz.kit.WHITE_2D),
with transparent backgrounds for the widgets (theme-following) and white ones for static figures.

Reference: plotly's own ``pio.templates["plotly_white"]`` (plotly 7.1.0, pinned in binder/): the
subset kit copies must equal it key for key, so a plotly upgrade that changes the look is noticed.
"""

from __future__ import annotations

import plotly.io as pio

from lpperp.viz import kit

DROPPED_LAYOUT = {"polar", "ternary", "scene", "geo"}  # no explorer draws these subplots


def test_white_2d_is_plotly_white_for_the_traces_drawn():
    ref = pio.templates["plotly_white"].to_plotly_json()
    layout = {k: v for k, v in ref["layout"].items() if k not in DROPPED_LAYOUT}
    assert kit.WHITE_2D["layout"] == layout
    for kind, entries in kit.WHITE_2D["data"].items():
        assert entries == ref["data"][kind], kind


def test_widget_template_is_transparent_static_is_white():
    for t, bg in ((kit.TEMPLATE, "rgba(0,0,0,0)"), (kit.STATIC_TEMPLATE, "white")):
        assert t.layout.paper_bgcolor == bg and t.layout.plot_bgcolor == bg
        assert list(t.layout.colorway) == kit.WHITE_2D["layout"]["colorway"]
    # a static figure looks like plotly_white: same axis grid and font colours
    fig = kit.make_figure(False)
    kit.apply_layout(fig, height=300, top=40)
    assert fig.layout.template.layout.xaxis.gridcolor == "#EBF0F8"
    assert fig.layout.template.layout.font.color == "#2a3f5f"


def test_every_trace_type_the_explorers_draw_has_its_defaults():
    """Each trace type in the explorers' figures is one WHITE_2D carries (else it would lose
    plotly_white's defaults silently)."""
    from lpperp.viz.explorers import HealthExplorer, LiquidationMapExplorer

    kinds = {t.type for ex in (HealthExplorer(), LiquidationMapExplorer()) for t in ex.figure.data}
    assert kinds <= set(kit.WHITE_2D["data"]), kinds

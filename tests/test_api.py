"""The public surface: a curated __all__, lazy layers, one meaning per name, clear scalar errors."""

import subprocess
import sys

import numpy as np
import pytest

import lpperp


def test_every_name_in_all_resolves():
    for name in lpperp.__all__:
        assert getattr(lpperp, name) is not None, name
    assert sorted(set(lpperp.__all__)) == sorted(lpperp.__all__)


def test_simulate_is_always_the_module():
    """Python binds an imported submodule on its package; the function is not re-exported so that
    ``lpperp.simulate`` means the module whatever was imported before."""
    from lpperp import Policy  # noqa: F401  (loads lpperp.simulate)

    assert lpperp.simulate.__name__ == "lpperp.simulate"
    assert callable(lpperp.simulate.simulate)
    assert "simulate" not in lpperp.__all__


def test_import_keeps_the_notebook_stack_and_heavy_scipy_out():
    code = (
        "import sys, lpperp; bad = [m for m in ('plotly', 'ipywidgets', 'anywidget', 'scipy.optimize',"
        " 'scipy.stats', 'scipy.signal', 'lpperp.simulate', 'lpperp.chain') if m in sys.modules];"
        " print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "call",
    [
        lambda: lpperp.LPPosition.from_deposit(1e4, np.array([3000.0, 3100.0]), width_pct=20),
        lambda: lpperp.PerpPosition(np.array([1.0, 2.0]), 3000.0),
        lambda: lpperp.GBM(np.array([0.5, 0.8])),
    ],
)
def test_array_where_one_number_is_meant_names_the_argument(call):
    with pytest.raises(ValueError, match="must be a single number here, got an array of shape"):
        call()


def test_prices_ewma_takes_its_options_by_keyword():
    from lpperp.prices import ewma_volatility

    p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 20)]))
    with pytest.raises(TypeError):
        ewma_volatility(p, 1 / 365)  # would silently read 1/365 as the decay

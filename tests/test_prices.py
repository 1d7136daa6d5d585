"""load_prices layouts and errors, the bundled synthetic sample, EWMA volatility; real ETH-USD data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpperp import collateral
from lpperp._validate import LpperpError
from lpperp.prices import (
    FundingSeries,
    PriceSeries,
    ewma_volatility,
    load_funding_rates,
    load_prices,
    sample_prices,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ETH = SHARED / "ETH-USD.csv"
needs_shared = pytest.mark.skipif(
    not ETH.is_file(),
    reason=f"real price data not found at {ETH} (../shared/data is only on the maintainers' machine)",
)


def _write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


# -- layouts ----------------------------------------------------------------------------------------
def test_yahoo_layout(tmp_path):
    f = _write(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n"
                         "2021-01-01,1,2,0.5,730.4,730.4,10\n2021-01-02,1,2,0.5,775.0,775.0,10\n")
    s = load_prices(f)
    assert s.prices.tolist() == [730.4, 775.0]
    assert str(s.times[1]) == "2021-01-02T00:00:00"
    assert s.name == "p"


def test_unix_ms_exchange_export_and_headerless_klines(tmp_path):
    t0 = 1_700_000_000_000
    rows = "".join(f"{t0 + k * 3_600_000},{100 + k},{101 + k},{99 + k},{100.5 + k},5\n" for k in range(4))
    s = load_prices(_write(tmp_path, "open_time,open,high,low,close,volume\n" + rows))
    assert s.prices.tolist() == [100.5, 101.5, 102.5, 103.5]
    assert s.times[0] == np.datetime64(t0 // 1000, "s")
    assert s.periods_per_year == pytest.approx(8760.0)
    h = load_prices(_write(tmp_path, rows, "klines.csv"))  # Binance data.binance.vision: no header
    np.testing.assert_array_equal(h.prices, s.prices)
    np.testing.assert_array_equal(h.times, s.times)


def test_unix_seconds_coingecko_and_newest_first(tmp_path):
    s = load_prices(_write(tmp_path, "time,low,high,open,close,volume\n"
                                     "1700086400,1,1,1,12.0,1\n1700000000,1,1,1,11.0,1\n"))
    assert s.prices.tolist() == [11.0, 12.0]  # reversed to oldest first
    g = load_prices(_write(tmp_path, "snapped_at,price,market_cap,total_volume\n"
                                     "2021-01-01 00:00:00 UTC,737.7,1,1\n"
                                     "2021-01-02 00:00:00 UTC,730.4,1,1\n", "cg.csv"))
    assert g.prices.tolist() == [737.7, 730.4]
    c = load_prices(_write(tmp_path, "when,eth\n2021-01-01T00:00:00Z,1.0\n2021-01-02T00:00:00Z,2.0\n",
                           "c.csv"), time_column="WHEN", price_column="eth")
    assert c.prices.tolist() == [1.0, 2.0]


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Date,Close\n2021-01-01,1\n2021-01-02,null\n", r"line 3: price is missing \('null'\)"),
        ("Date,Close\n2021-01-01,1\n2021-01-02,\n", "line 3: price is missing"),
        ("Date,Close\n2021-01-01,1\n2021-01-02,-5\n", r"line 3: price must be .* > 0"),
        ("Date,Close\n2021-01-01,1\n2021-01-02,abc\n", "line 3: price 'abc' is not a number"),
        ("Date,Close\n2021-01-01,1\n2021-01-01,2\n", "line 3: .* is duplicate after line 2"),
        ("Date,Close\n2021-01-01,1\n2021-01-03,2\n2021-01-02,3\n", "line 4: .* out of order"),
        ("Date,Close\n2021-01-01,1\n2021-01-02,2\n2021-01-03,2\n2021-01-10,3\n",
         "line 5: gap of 7 median"),
        ("Date,Close\n2021-01-01,1\nyesterday,2\n", "line 3: time 'yesterday'"),
        ("Day,Quote\n2021-01-01,1\n2021-01-02,2\n", "no time column found"),
        ("Date,Close\n2021-01-01,1\n", "fewer than 2 usable prices"),
        ("Date,Close\n", "at least 2 rows"),
    ],
)
def test_loader_errors_name_the_line(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_prices(_write(tmp_path, text))


def test_missing_drop_and_gap_tolerance(tmp_path):
    f = _write(tmp_path, "Date,Close\n2021-01-01,1\n2021-01-02,null\n2021-01-03,null\n"
                         "2021-01-04,4\n2021-01-05,5\n2021-01-06,6\n")
    s = load_prices(f, missing="drop")  # a 3-day gap = 3 median spacings: allowed by default
    assert s.prices.tolist() == [1.0, 4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="more than max_gap=2"):
        load_prices(f, missing="drop", max_gap=2)
    with pytest.raises(ValueError, match="missing must be one of"):
        load_prices(f, missing="skip")
    with pytest.raises(ValueError, match="is not a file"):
        load_prices(tmp_path / "nope.csv")


def test_price_series_is_frozen_and_validated():
    t = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[s]")
    s = PriceSeries(t, np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        s.prices[0] = 5.0  # read-only array
    with pytest.raises(ValueError, match="strictly increasing"):
        PriceSeries(t[::-1], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="prices must be a finite number > 0"):
        PriceSeries(t, np.array([1.0, 0.0]))


# -- sample and volatility --------------------------------------------------------------------------
def test_bundled_sample_matches_its_script():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "lpperp/data/make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "lpperp/data/synthetic_eth_usd.csv").read_text() == mod.make()
    s = sample_prices()
    assert len(s) == 731 and s.periods_per_year == pytest.approx(365.0)
    assert 0.5 < s.realized_volatility() < 1.0


def test_ewma_matches_direct_recursion_and_collateral_oracle():
    p = sample_prices().prices
    lam = 0.94
    r2 = np.diff(np.log(p)) ** 2
    var = [r2[:20].mean()]
    for x in r2:  # the recursion written out
        var.append(lam * var[-1] + (1 - lam) * x)
    direct = np.sqrt(np.array(var) * 365)
    np.testing.assert_allclose(ewma_volatility(p), direct, rtol=1e-12)
    np.testing.assert_allclose(ewma_volatility(sample_prices()), direct, rtol=1e-9)
    np.testing.assert_allclose(collateral.ewma_volatility(p, 1 / 365), direct, rtol=1e-12)
    two = ewma_volatility(np.vstack([p, p[::-1]]), ewma_lambda=0.9)
    np.testing.assert_allclose(two[1], ewma_volatility(p[::-1], ewma_lambda=0.9), rtol=1e-12)
    with pytest.raises(ValueError, match="ewma_lambda must be a fraction"):
        ewma_volatility(p, ewma_lambda=1.0)
    with pytest.warns(DeprecationWarning, match="lam"):  # the old keyword, one more release
        np.testing.assert_allclose(ewma_volatility(p, lam=0.9)[-1], two[0][-1], rtol=1e-12)


@given(st.floats(0.001, 0.1), st.floats(0.5, 0.99))
def test_ewma_of_constant_moves_is_that_volatility(step, lam):
    p = 100.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([step, -step], 30)]))
    np.testing.assert_allclose(ewma_volatility(p, ewma_lambda=lam, periods_per_year=252), step * 252**0.5,
                               rtol=1e-9)


# -- real data --------------------------------------------------------------------------------------
@needs_shared
def test_real_eth_usd_file():
    with pytest.raises(ValueError, match=r"ETH-USD.csv line 1717: price is missing \('null'\)"):
        load_prices(ETH)
    s = load_prices(ETH, missing="drop")
    assert str(s.times[0])[:10] == "2015-08-07" and str(s.times[-1])[:10] == "2021-11-24"
    assert len(s) == 2302 - 4  # 2302 days, 4 of them null
    i = int(np.argmin(s.log_returns[1000:])) + 1000  # the 2020-03-12 crash, the worst day after 2018
    assert str(s.times[i + 1])[:10] == "2020-03-12"
    vol = ewma_volatility(s)
    assert vol[i + 1] > 1.5 * vol[i]  # the oracle's vol jumps on the crash day
    assert 0.5 < s.tail(730).realized_volatility() < 1.5


# -- funding-rate files ----------------------------------------------------------------------------
def test_hyperliquid_funding_history_layout(tmp_path):
    """Hyperliquid's info API ``fundingHistory`` rows (coin, fundingRate per hour, premium, time in
    ms), newest first as some exports write them; negative rates are valid."""
    f = _write(tmp_path, "coin,fundingRate,premium,time\n"
               "ETH,-0.0000031,-0.0003,1704074400000\n"
               "ETH,0.0000125,0.0001,1704070800000\n"
               "ETH,0.0000250,0.0002,1704067200000\n", "hl_eth.csv")
    s = load_funding_rates(f)
    assert isinstance(s, FundingSeries) and s.interval_hours == 1.0 and len(s) == 3
    np.testing.assert_allclose(s.rate_per_year, np.array([0.000025, 0.0000125, -0.0000031]) * 8760)
    np.testing.assert_allclose(s.rate_per_interval, [0.000025, 0.0000125, -0.0000031])
    assert str(s.times[0]) == "2024-01-01T00:00:00"


def test_eight_hour_funding_and_named_columns(tmp_path):
    f = _write(tmp_path, "symbol,fundingTime,lastFundingRate\n"
               "ETHUSDT,1704067200000,0.0001\nETHUSDT,1704096000000,0.0002\n"
               "ETHUSDT,1704124800000,null\nETHUSDT,1704153600000,0.0001\n")
    with pytest.raises(ValueError, match=r"line 4: rate is missing \('null'\)"):
        load_funding_rates(f, time_column="fundingTime")
    s = load_funding_rates(f, time_column="fundingTime", missing="drop")
    assert s.interval_hours == 8.0
    assert s.rate_per_year[0] == pytest.approx(0.0001 * 3 * 365)
    forced = load_funding_rates(f, time_column="fundingTime", missing="drop", interval_hours=1.0)
    assert forced.rate_per_year[0] == pytest.approx(0.0001 * 8760)
    with pytest.raises(ValueError, match="rate_column='x' is not a column"):
        load_funding_rates(f, time_column="fundingTime", rate_column="x")
    with pytest.raises(ValueError, match="rate 'abc' is not a number"):
        load_funding_rates(_write(tmp_path, "time,rate\n1,0.1\n2,abc\n", "bad.csv"))


# ------------------------------------------------------------------------------------------------
# bad input (issue 13)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, -5, 1, 10**9, 2.5, "3"])
def test_tail_refuses_what_is_not_a_length(n) -> None:
    """tail(0) returned the whole series and tail(-5) all but five (Python slicing)."""
    s = sample_prices()
    with pytest.raises(LpperpError, match=r"n must be an integer"):
        s.tail(n)
    assert len(s.tail(2)) == 2 and len(s.tail(len(s))) == len(s)


@pytest.mark.parametrize("times", [[[1.0, 2.0], [3.0]], [1, 2, 3], object(), None])
def test_series_times_must_be_dates(times) -> None:
    with pytest.raises(LpperpError, match="times must be dates"):
        PriceSeries(times, np.array([2500.0, 3000.0, 3600.0]))
    with pytest.raises(LpperpError, match="times must be dates"):
        FundingSeries(times, np.array([0.1, 0.2, 0.3]), 1.0)

"""Price series from CSV files: load, validate, and measure their EWMA volatility.

Conventions
-----------
- A :class:`PriceSeries` holds ``times`` (``numpy.datetime64[s]``, UTC, strictly increasing) and
  ``prices`` (float64, quote per base in human units, all > 0), both read-only arrays.
- Layouts recognised by :func:`load_prices` (header names are matched case-insensitively):

  * Yahoo Finance export ``Date,Open,High,Low,Close,Adj Close,Volume`` (price = ``Close``);
  * CoinGecko export ``snapped_at,price,market_cap,total_volume`` (``2021-01-01 00:00:00 UTC``);
  * exchange exports with a unix timestamp column in seconds, milliseconds or microseconds
    (``timestamp``, ``time``, ``open_time``, ...) and ``close`` or ``price`` (Coinbase, Kraken,
    Binance with a header);
  * header-less exchange klines (Binance ``data.binance.vision``: ``open_time, open, high, low,
    close, ...``): column 0 is the time, the price is column 4 when there are at least 5 columns,
    else column 1;
  * any ``date``/``time`` column with ISO dates or datetimes plus one price column.

  Unix timestamps are told apart by magnitude: ``>= 1e14`` microseconds, ``>= 1e11`` milliseconds,
  else seconds. Files listed newest first are reversed; any other disorder is an error.
- Validation: a missing value (``null``, empty, ``NaN``) raises a ``ValueError`` naming the line
  unless ``missing="drop"``; prices must be > 0; times strictly increasing; no gap longer than
  ``max_gap`` times the median spacing.
- Funding-rate files (:func:`load_funding_rates`) have the same layouts with a rate column
  (``fundingRate``, ``funding_rate``, ``rate``, ...) holding the rate *per funding interval* as the
  venues publish it (Hyperliquid ``fundingHistory``: per hour; Binance ``fundingRate``: per 8 h);
  rates may be negative.
- Volatility is annualised, of log prices: ``periods_per_year`` observations a year (365 for daily
  crypto prices, 252 for exchange-traded assets, 8760 for hourly).
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lpperp._validate import LpperpError, finite, integer, one_of, positive, renamed
from lpperp.collateral import RISKMETRICS_LAMBDA
from lpperp.collateral import ewma_volatility as _ewma

__all__ = [
    "RISKMETRICS_LAMBDA",
    "SECONDS_PER_YEAR",
    "FundingSeries",
    "PriceSeries",
    "ewma_volatility",
    "load_funding_rates",
    "load_prices",
    "sample_prices",
]

#: Seconds in a 365-day year: the annualisation of time spacings.
SECONDS_PER_YEAR = 365.0 * 86400.0

_TIME_NAMES = ("date", "timestamp", "time", "datetime", "open_time", "opentime", "snapped_at",
               "unix", "ts", "t")
_RATE_NAMES = ("fundingrate", "funding_rate", "funding rate", "rate", "funding", "lastfundingrate")
_PRICE_NAMES = ("close", "price", "adj close", "adj_close", "last", "value", "mark", "c")
_WARMUP = 20  # returns averaged to seed the EWMA recursion (as lpperp.collateral)
_MISSING = {"", "null", "nan", "none", "na", "n/a", "-"}


def _as_times(times: Any) -> np.ndarray:
    """``times`` as datetime64[s] (datetimes, ISO strings or datetime64), or a clear error.

    Plain numbers are refused: seconds or days? (``load_prices`` reads unix seconds from files.)
    """
    try:
        arr = np.asarray(times)
        if arr.dtype.kind in "biufc" or (arr.dtype == object and arr.size and all(
            isinstance(x, (int, float, bool)) for x in arr.reshape(-1)
        )):
            raise TypeError("numbers")
        out = arr.astype("datetime64[s]")
        if np.isnat(out).any():  # None, "NaT"
            raise ValueError("NaT")
        return out
    except (TypeError, ValueError, OverflowError):
        raise LpperpError(
            "times must be dates: datetime64 values, datetimes or ISO strings "
            f"('2024-01-01'), got {type(times).__name__} {_short(times)}"
        ) from None


def _short(x: Any) -> str:
    r = repr(x)
    return r if len(r) < 60 else r[:57] + "..."


def _freeze_series(series: Any, field: str, values: Any) -> None:
    """Set ``series.times`` and ``series.<field>`` to read-only copies after checking them: 1-d,
    same length >= 2, times strictly increasing (the checked ``values`` are already numbers)."""
    t = _as_times(series.times)
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or t.shape != v.shape or v.size < 2:
        raise LpperpError(
            f"times and {field} must be 1-d of the same length >= 2, got shapes {t.shape}"
            f" and {v.shape}"
        )
    step = np.diff(t).astype(np.int64)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0)) + 1
        raise LpperpError(f"times must be strictly increasing, got {t[i - 1]} then {t[i]}"
                          f" at index {i}")
    for name, arr in (("times", t.copy()), (field, v.copy())):
        arr.flags.writeable = False
        object.__setattr__(series, name, arr)


@dataclass(frozen=True, eq=False)
class PriceSeries:
    """A validated price series: ``times`` (datetime64[s], UTC) and ``prices`` (quote per base).

    >>> s = PriceSeries(np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[s]"),
    ...                 np.array([3000.0, 3030.0, 2999.7]))
    >>> len(s), round(s.dt_years * 365, 6), s.log_returns.round(2).tolist()
    (3, 1.0, [0.01, -0.01])
    """

    times: np.ndarray
    prices: np.ndarray
    name: str = ""

    def __post_init__(self) -> None:
        _freeze_series(self, "prices", positive("prices", self.prices))

    def __len__(self) -> int:
        return int(self.prices.size)

    def __repr__(self) -> str:
        return (f"PriceSeries({self.name or 'prices'}: {len(self)} points, {self.times[0]} .. "
                f"{self.times[-1]}, {self.prices[0]:.6g} .. {self.prices[-1]:.6g})")

    @property
    def dt_years(self) -> float:
        """Median spacing of the series, years."""
        return float(np.median(np.diff(self.times).astype(np.int64))) / SECONDS_PER_YEAR

    @property
    def periods_per_year(self) -> float:
        """``1 / dt_years`` (365 for a daily series).

        >>> round(sample_prices().periods_per_year, 6)
        365.0
        """
        return 1.0 / self.dt_years

    @property
    def log_returns(self) -> np.ndarray:
        """``ln(P_t / P_{t-1})``, length ``len(self) - 1``."""
        return np.diff(np.log(self.prices))

    def realized_volatility(self) -> float:
        """Annualised standard deviation of the log returns (``ddof=1``)."""
        return float(np.std(self.log_returns, ddof=1) * math.sqrt(self.periods_per_year))

    def tail(self, n: int) -> PriceSeries:
        """The last ``n`` points as a new series (``2 <= n <= len(self)``: a series has at least
        two points, and ``tail(0)`` / ``tail(-5)`` are errors, not slices).

        >>> len(sample_prices().tail(31))
        31
        """
        k = integer("n", n, 2, len(self))
        return PriceSeries(self.times[-k:], self.prices[-k:], self.name)


def _parse_time(text: str) -> float | _dt.datetime:
    """Unix number (float) or a timezone-aware datetime from an ISO-like string."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    s = s.replace(" UTC", "").replace("Z", "+00:00")
    d = _dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d


def _to_epoch_seconds(values: list[float | _dt.datetime]) -> np.ndarray:
    if all(isinstance(v, float) for v in values):
        arr = np.asarray(values, dtype=float)
        big = np.nanmax(np.abs(arr))
        scale = 1e-6 if big >= 1e14 else 1e-3 if big >= 1e11 else 1.0
        return np.round(arr * scale).astype(np.int64)
    if any(isinstance(v, float) for v in values):
        raise LpperpError("the time column mixes unix numbers and dates")
    return np.asarray([round(v.timestamp()) for v in values], dtype=np.int64)  # type: ignore[union-attr]


def _pick(header: list[str], names: tuple[str, ...], what: str, given: str | None) -> int:
    low = [h.strip().lower() for h in header]
    if given is not None:
        if given.strip().lower() not in low:
            raise LpperpError(f"{what}={given!r} is not a column; columns are {header}")
        return low.index(given.strip().lower())
    for n in names:
        if n in low:
            return low.index(n)
    raise LpperpError(
        f"no {what.split('_')[0]} column found among {header}; name it with {what}= "
        f"(recognised: {', '.join(names)})"
    )


def load_prices(
    path: str | Path,
    *,
    time_column: str | None = None,
    price_column: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
    max_gap: float = 3.0,
    name: str | None = None,
) -> PriceSeries:
    """Read a CSV price series into a validated :class:`PriceSeries`.

    Parameters
    ----------
    path : str or Path
        CSV file in one of the layouts of the module docstring.
    time_column, price_column : str, optional
        Header names to use instead of the recognised ones (case-insensitive).
    missing : {"raise", "drop"}
        What a ``null``/empty/``NaN`` price does: raise a ``ValueError`` naming the line (default),
        or drop the row (the gap check still applies).
    max_gap : float
        Largest allowed spacing between consecutive points, in multiples of the median spacing
        (``3.0``: two missing days in a daily series pass, three do not). ``inf`` disables it.
    name : str, optional
        Label of the series (default: the file name without extension).

    Raises
    ------
    ValueError
        Missing, non-numeric or non-positive prices, unparseable times, duplicate or unsorted times,
        gaps beyond ``max_gap``; the message names the file line.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "eth.csv")
    >>> _ = open(f, "w").write("Date,Open,High,Low,Close,Adj Close,Volume\\n"
    ...     "2021-01-01,1,1,1,730.4,730.4,1\\n2021-01-02,1,1,1,775.0,775.0,1\\n")
    >>> load_prices(f).prices.tolist()
    [730.4, 775.0]
    >>> _ = open(f, "w").write("Date,Close\\n2021-01-01,730.4\\n2021-01-02,null\\n")
    >>> load_prices(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lpperp._validate.LpperpError: eth.csv line 3: price is missing ('null'); pass missing='drop' ...
    """
    path = Path(path)
    secs, p = _read_series(path, time_column, price_column, "price_column", _PRICE_NAMES,
                           "price", True, missing, max_gap)
    return PriceSeries(secs.astype("datetime64[s]"), p, name if name is not None else path.stem)


def _read_series(
    path: Path,
    time_column: str | None,
    value_column: str | None,
    value_arg: str,
    value_names: tuple[str, ...],
    what: str,
    positive_only: bool,
    missing: str,
    max_gap: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(epoch seconds, values)`` of a validated CSV series (see :func:`load_prices`)."""
    one_of("missing", missing, ("raise", "drop"))
    gap = positive("max_gap", max_gap, scalar=True)
    if not path.is_file():
        raise LpperpError(f"path={str(path)!r} is not a file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise LpperpError(f"{path.name}: needs at least 2 rows of {what}s, found {len(rows)} rows")
    first = rows[0]
    try:
        float(first[0])
        headerless = True
    except ValueError:
        headerless = False
    if headerless:
        if time_column is not None or value_column is not None:
            raise LpperpError(f"{path.name} has no header: time_column/{value_arg} cannot apply")
        kline = positive_only and len(first) >= 5  # Binance klines: close is column 4
        ti, pi, start, data = 0, (4 if kline else 1), 1, rows
    else:
        ti = _pick(first, _TIME_NAMES, "time_column", time_column)
        pi = _pick(first, value_names, value_arg, value_column)
        start, data = 2, rows[1:]
    times: list[float | _dt.datetime] = []
    prices: list[float] = []
    lines: list[int] = []
    for k, row in enumerate(data):
        line = start + k
        if len(row) <= max(ti, pi):
            raise LpperpError(f"{path.name} line {line}: expected at least {max(ti, pi) + 1} "
                              f"columns, got {len(row)}: {row}")
        cell = row[pi].strip()
        if cell.lower() in _MISSING:
            if missing == "drop":
                continue
            raise LpperpError(f"{path.name} line {line}: {what} is missing ({cell!r}); "
                              "pass missing='drop' to skip such rows")
        try:
            price = float(cell)
        except ValueError:
            raise LpperpError(f"{path.name} line {line}: {what} {cell!r} is not a number") from None
        if not math.isfinite(price) or (positive_only and price <= 0):
            need = "a finite number > 0" if positive_only else "a finite number"
            raise LpperpError(f"{path.name} line {line}: {what} must be {need}, got {cell!r}")
        try:
            times.append(_parse_time(row[ti]))
        except ValueError:
            raise LpperpError(f"{path.name} line {line}: time {row[ti]!r} is neither a unix "
                              "timestamp nor an ISO date/datetime") from None
        prices.append(price)
        lines.append(line)
    if len(prices) < 2:
        raise LpperpError(f"{path.name}: fewer than 2 usable {what}s")
    secs = _to_epoch_seconds(times)
    p = np.asarray(prices)
    ln = np.asarray(lines)
    step = np.diff(secs)
    if (step < 0).all():  # newest first: a common export order
        secs, p, ln, step = secs[::-1], p[::-1], ln[::-1], -step[::-1]
    if (step <= 0).any():
        i = int(np.argmax(step <= 0)) + 1
        how = "duplicate" if step[i - 1] == 0 else "out of order"
        raise LpperpError(f"{path.name} line {ln[i]}: time "
                          f"{np.datetime64(int(secs[i]), 's')} is {how} after line {ln[i - 1]}")
    med = float(np.median(step))
    if np.isfinite(gap) and (step > gap * med).any():
        i = int(np.argmax(step > gap * med)) + 1
        raise LpperpError(
            f"{path.name} line {ln[i]}: gap of {step[i - 1] / med:.3g} median spacings after "
            f"line {ln[i - 1]} ({np.datetime64(int(secs[i - 1]), 's')} -> "
            f"{np.datetime64(int(secs[i]), 's')}), more than max_gap={gap:g}"
        )
    return secs, p



@dataclass(frozen=True, eq=False)
class FundingSeries:
    """A validated funding-rate series: ``times`` (datetime64[s], UTC) and ``rate_per_year``
    (signed: positive, longs pay shorts), with the venue's payment ``interval_hours``.

    >>> f = FundingSeries(np.array(["2024-01-01T00", "2024-01-01T01"], dtype="datetime64[s]"),
    ...                   np.array([0.0000125, -0.00001]) * 8760, 1.0)
    >>> round(f.mean_rate_per_year, 4), f.rate_per_interval.round(7).tolist()
    (0.0109, [1.25e-05, -1e-05])
    """

    times: np.ndarray
    rate_per_year: np.ndarray
    interval_hours: float
    name: str = ""

    def __post_init__(self) -> None:
        _freeze_series(self, "rate_per_year", finite("rate_per_year", self.rate_per_year))
        object.__setattr__(
            self, "interval_hours", positive("interval_hours", self.interval_hours, scalar=True)
        )

    def __len__(self) -> int:
        return int(self.rate_per_year.size)

    @property
    def rate_per_interval(self) -> np.ndarray:
        """The rates as published: per payment interval (``rate_per_year * interval / 8760 h``)."""
        return self.rate_per_year * self.interval_hours / 8760.0

    @property
    def mean_rate_per_year(self) -> float:
        """Average rate over the series, per year."""
        return float(self.rate_per_year.mean())


def load_funding_rates(
    path: str | Path,
    *,
    time_column: str | None = None,
    rate_column: str | None = None,
    interval_hours: float | None = None,
    missing: Literal["raise", "drop"] = "raise",
    max_gap: float = 3.0,
    name: str | None = None,
) -> FundingSeries:
    """Read a CSV of funding rates into a validated :class:`FundingSeries` (as :func:`load_prices`).

    Parameters
    ----------
    path : str or Path
        CSV with a time column (any layout of the module docstring) and a rate column.
    time_column, rate_column : str, optional
        Header names to use instead of the recognised ones (case-insensitive).
    interval_hours : float, optional
        The interval each published rate is for (Hyperliquid 1, Binance and dYdX v3 8); default:
        the shortest spacing of the times, to the minute. ``rate_per_year = rate * 8760 /
        interval_hours``.
    missing, max_gap, name
        As :func:`load_prices`.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "eth_funding.csv")
    >>> _ = open(f, "w").write("time,coin,fundingRate,premium\\n"
    ...     "1704067200000,ETH,0.0000125,0.0\\n1704070800000,ETH,-0.00002,-0.0003\\n")
    >>> s = load_funding_rates(f)
    >>> s.interval_hours, s.rate_per_year.round(4).tolist(), s.name
    (1.0, [0.1095, -0.1752], 'eth_funding')
    """
    path = Path(path)
    secs, r = _read_series(path, time_column, rate_column, "rate_column", _RATE_NAMES,
                           "rate", False, missing, max_gap)
    if interval_hours is None:
        # the shortest spacing, to the minute: dropped rows and timestamp jitter cannot change it
        interval = max(round(float(np.diff(secs).min()) / 60.0), 1) / 60.0
    else:
        interval = positive("interval_hours", interval_hours, scalar=True)
    return FundingSeries(secs.astype("datetime64[s]"), r * 8760.0 / interval, interval,
                         name if name is not None else path.stem)

def sample_prices() -> PriceSeries:
    """The bundled **synthetic** ETH/USD-like daily series (see ``lpperp/data/README.md``).

    Two years of daily closes from a seeded jump-diffusion with volatility regimes, made by
    ``lpperp/data/make_sample.py``; not market data.

    >>> s = sample_prices()
    >>> len(s), str(s.times[0])[:10], s.name
    (731, '2024-01-01', 'synthetic_eth_usd')
    """
    return load_prices(Path(__file__).with_name("data") / "synthetic_eth_usd.csv")


@renamed(lam="ewma_lambda")
def ewma_volatility(
    prices: PriceSeries | Any,
    *,
    ewma_lambda: float = RISKMETRICS_LAMBDA,
    periods_per_year: float | None = None,
) -> np.ndarray:
    """EWMA (RiskMetrics) volatility of a price series, annualised, one value per price.

    ``r_t = ln(P_t / P_{t-1})``, ``var_t = l var_{t-1} + (1 - l) r_t^2`` with ``l = ewma_lambda``,
    ``sigma_t = sqrt(var_t * periods_per_year)``. ``ewma_lambda = 0.94`` is RiskMetrics' daily decay
    (J.P. Morgan/Reuters, *RiskMetrics Technical Document*, 1996): a half-life of
    ``ln 0.5 / ln 0.94 ~ 11`` observations. A convenience over the one implementation,
    :func:`lpperp.collateral.ewma_volatility`, with ``dt_years = 1 / periods_per_year``.

    Parameters
    ----------
    prices : PriceSeries or array_like
        Prices (> 0), oldest first. The last axis is time; a 2-d array is several series.
    ewma_lambda : float
        Decay in (0, 1).
    periods_per_year : float, optional
        Observations per year; default the series' own for a :class:`PriceSeries`, else 365.

    >>> p = 3000.0 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 50)]))
    >>> round(float(ewma_volatility(p)[-1]), 4)   # 1 % daily moves -> 0.01 * sqrt(365)
    0.191
    """
    if isinstance(prices, PriceSeries):
        ppy = prices.periods_per_year if periods_per_year is None else periods_per_year
        p = prices.prices
    else:
        ppy = 365.0 if periods_per_year is None else periods_per_year
        p = prices
    ppy = positive("periods_per_year", ppy, scalar=True)
    return _ewma(p, 1.0 / ppy, ewma_lambda, warmup=_WARMUP)

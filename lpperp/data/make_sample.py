"""Generate ``synthetic_eth_usd.csv``: a SYNTHETIC daily ETH/USD-like price series (not market data).

Run ``python lpperp/data/make_sample.py`` to rewrite the file; the output is identical byte for byte
for the same seed (numpy's PCG64 stream and fixed rounding), which a test checks.

Model (daily steps, ``dt = 1/365``): Merton jump-diffusion with a two-state volatility regime.

- volatility: 55 %/yr in calm days, 110 %/yr in stressed days; a Markov chain switches calm ->
  stressed with probability 2 % a day and back with 8 % a day (stressed ~20 % of the time);
- jumps: Poisson with 6 a year, log-jump size normal with mean -4 % and sd 8 % (crashes more likely
  than spikes);
- drift chosen so the expected price is flat (martingale in USD): ``mu = -sigma^2/2 - lam * kappa``
  with ``kappa = E[e^J] - 1``;
- starts at 2300.00 USD on 2024-01-01 and runs 730 days (731 closes); closes rounded to cents.

Only numpy is used so the file does not depend on lpperp's own process code.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

SEED = 12
START = dt.date(2024, 1, 1)
DAYS = 730
P0 = 2300.0
SIGMA_CALM, SIGMA_STRESS = 0.55, 1.10
P_TO_STRESS, P_TO_CALM = 0.02, 0.08
JUMPS_PER_YEAR, JUMP_MEAN, JUMP_SD = 6.0, -0.04, 0.08
HEADER = "Date,Close"


def make(seed: int = SEED) -> str:
    """The CSV text (``Date,Close``, one row a day)."""
    rng = np.random.default_rng(seed)
    dt_y = 1.0 / 365.0
    u = rng.random(DAYS)
    stressed = np.zeros(DAYS, dtype=bool)
    state = False
    for i in range(DAYS):  # a 730-step Markov chain: the loop is clearer than a vectorized trick
        state = (u[i] >= P_TO_CALM) if state else (u[i] < P_TO_STRESS)
        stressed[i] = state
    sigma = np.where(stressed, SIGMA_STRESS, SIGMA_CALM)
    kappa = math.exp(JUMP_MEAN + 0.5 * JUMP_SD**2) - 1.0
    z = rng.standard_normal(DAYS)
    n_jumps = rng.poisson(JUMPS_PER_YEAR * dt_y, DAYS)
    jumps = JUMP_MEAN * n_jumps + JUMP_SD * np.sqrt(n_jumps) * rng.standard_normal(DAYS)
    log_ret = (-0.5 * sigma**2 - JUMPS_PER_YEAR * kappa) * dt_y + sigma * math.sqrt(dt_y) * z + jumps
    prices = P0 * np.exp(np.concatenate(([0.0], np.cumsum(log_ret))))
    lines = [HEADER]
    for k, p in enumerate(prices):
        lines.append(f"{(START + dt.timedelta(days=k)).isoformat()},{p:.2f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    out = Path(__file__).with_name("synthetic_eth_usd.csv")
    out.write_text(make(), encoding="utf-8")
    print(f"wrote {out} ({DAYS + 1} daily closes, seed {SEED})")


if __name__ == "__main__":
    main()

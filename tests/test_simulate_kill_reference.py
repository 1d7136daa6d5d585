"""The simulator against a direct, one-path, one-step-at-a-time reference of the model its module
docstring states (issue 14: a fast test set for ``make mutate``; the whole file runs in ~1 s).

The reference is a scalar Python loop over the steps of one hand-made price path, written from the
documented account arithmetic, not from the vectorized kernel:

- the LP from the Uniswap v3 whitepaper amounts (eq. 6.29/6.30: ``x = L (1/sqrt(P) - 1/sqrt(pb))``,
  ``y = L (sqrt(P) - sqrt(pa))``, https://uniswap.org/whitepaper-v3.pdf), minted from all-quote
  (the base share swapped at the pool fee, mint gas at the chain's ``action_cost``);
- fees ``fee_apr c_ref L sqrt(P) dt`` in range, ``c_ref = 2 - sqrt(1 - w) - 1/sqrt(1 + w)``;
- funding ``q P_t rate`` times the time since the last payment, on the mark, at the interval;
- cash yield on the account's cash (alive) and the wallet;
- the margin check ``cf V + cash + fees + q P - basis < mmf |q| P`` and the settlement of a full
  liquidation by :func:`lpperp.settlement.settle_liquidation` (another module);
- a recentre at the price: exit, swap to the new range's mix at the pool fee, recentre gas, mint;
- a top-up to ``target x maintenance`` from the wallet, then new capital, paying the transfer gas;
- the delta hedge: ``q = -ratio x base`` when out of the band, at the perp fee (and gas on chain);
- the reaction delay: ``floor(delay / dt)`` steps, then the price moved by ``exp(sig sqrt(rem) z -
  sig^2 rem / 2)`` with ``sig`` the EWMA volatility (``var = lam var + (1 - lam) r^2``).

Every field of :class:`~lpperp.simulate.PathResults` is compared on several scenarios and paths
(up, down, through the range and back, flat), each a few steps long.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from lpperp.collateral import (
    FunctionFactor,
    RangeAwareFactor,
    StaticFactor,
    TokenMinFactor,
    VolatilityScaledFactor,
)
from lpperp.costs import ARBITRUM, ETHEREUM, action_cost, swap_cost
from lpperp.oracle import ChainlinkFeed, Spot
from lpperp.perp import MarginRules
from lpperp.position import LPPosition
from lpperp.processes import ConstantFunding, OUFunding
from lpperp.settlement import settle_liquidation
from lpperp.simulate import Policy, Scenario, run_on_paths
from lpperp.venues import get_mechanics, get_venue

RULES = MarginRules("test 2%/4%", 0.04, 0.02, liquidation_fee_fraction=0.01)
SECONDS_PER_YEAR = 365 * 86400.0
DT = 1 / 365


def amounts(p, pa, pb, L):
    """Whitepaper eq. 6.29/6.30 at the price clipped to the range."""
    s = math.sqrt(min(max(p, pa), pb))
    return L * (1 / s - 1 / math.sqrt(pb)), L * (s - math.sqrt(pa))


def eth(chain, action):
    return 0.0 if chain is None else float(action_cost(chain, action).total_eth)


def reference(s: Scenario, path, dt, z=None, zf=None):
    """The documented model on one path; returns a dict of PathResults' fields.

    The collateral value is the model's own ``collateral_value`` of an :class:`LPPosition` (for
    a volatility-scaled factor at the EWMA volatility), the maintenance ``rules.maintenance_margin``,
    a stochastic funding rate :meth:`OUFunding.step`, the oracle's price ``oracle.report`` of the
    whole path; the swap costs :func:`lpperp.costs.swap_cost`.
    """
    pol = s.policy
    n = len(path) - 1
    z = np.zeros(n) if z is None else z
    zf = np.zeros(n) if zf is None else zf
    p0 = s.price
    w = s.width_pct / 100
    model = s.collateral
    mech = s.liquidation_mechanics
    oracle = None if isinstance(s.oracle, Spot) else s.oracle
    po_path = (np.asarray(path, dtype=float) if oracle is None else
               oracle.report(np.arange(n + 1) * dt * SECONDS_PER_YEAR, np.asarray(path, float)))

    def swap(x, p):
        return float(swap_cost(x, p, s.swap_fee_fraction, s.pool_liquidity))

    def mmf(notional):
        return float(s.rules.maintenance_margin(notional))
    kind = s.kind
    lp_dep = 0.0 if kind in ("stable", "hold") else s.deposit * (
        1 - s.cash_margin_fraction if kind == "lp_plus_cash" else 1)
    inside = lp_dep > 0 and (kind == "lp" or s.mode == "cross")
    block = 0.0 if s.chain is None else s.chain.block_time_s
    delay_y = (pol.blocks * block + pol.latency_s) / SECONDS_PER_YEAR
    k_delay = math.floor(delay_y / dt + 1e-9)
    rem = delay_y - k_delay * dt
    fund = s.funding_process
    const = isinstance(fund, ConstantFunding)
    rate = fund.rate_per_year if const else None
    f_state = fund.start(1)
    interval = fund.interval_hours / 8760
    every = dt >= interval * (1 - 1e-9)
    # -- entry
    pa, pb = p0 * (1 - w), p0 * (1 + w)
    ub, uq = amounts(p0, pa, pb, 1.0)
    cost = 0.0
    L = 0.0
    if lp_dep:
        cost = min(eth(s.chain, "mint") * p0 + swap(ub / (ub * p0 + uq) * lp_dep, p0), lp_dep)
        L = (lp_dep - cost) / (ub * p0 + uq)
    v_entry = lp_dep - cost
    b0, q0 = amounts(p0, pa, pb, L)
    cash = s.deposit - lp_dep
    wallet = s.wallet_cash
    held = 0.0
    if kind == "hold":
        held = ub / (ub * p0 + uq) * s.deposit
        c = min(swap(held, p0), s.deposit)
        cost += c
        wallet += s.deposit - held * p0 - c
        cash = 0.0
    if s.mode == "cross":
        cash, wallet = cash + wallet, 0.0
    q = s.perp_size if not (pol.hedge and lp_dep) else -pol.hedge_ratio * b0
    if abs(q) * p0 < 1e-9:
        q = 0.0
    basis = q * p0
    gas_perp = eth(s.chain, "swap") if s.perp_on_chain else 0.0
    hcost = abs(q) * p0 * s.perp_fee_fraction + gas_perp * p0 * (q != 0)
    cash -= hcost
    ref_w = s.fee_reference_width_pct
    kf = None if ref_w is None else s.fee_apr * (
        2 - math.sqrt(1 - ref_w / 100) - 1 / math.sqrt(1 + ref_w / 100)) * dt
    out = dict(fees=0.0, fees_held=0.0, lvr=0.0, funding=0.0, exposure=0.0, cash_yield=0.0,
               hold=0.0, il=0.0, perp=0.0, added=0.0, n_rec=0, n_top=0, n_hedge=0,
               liq_step=-1, liq_loss=0.0, bad_debt=0.0, backstop=0.0, liq_close=0.0,
               liq_unwind=0.0, liq_fees=0.0, n_liq=0, mkt_step=-1)
    var = getattr(s.collateral, "sigma_per_year", 0.8) ** 2 * dt
    lam = s.ewma_lambda ** (dt * 365)
    lvr_w = L * math.sqrt(p0)
    alive = True
    pending, flags = -1, (False, False, False)
    last_rec, last_hedge = -math.inf, 0.0
    r_acc = 0.0
    fh = 0.0

    def value(p):
        b, qq = amounts(p, pa, pb, L)
        return b * p + qq, b

    def coll(p):
        m = model
        if isinstance(m, VolatilityScaledFactor):
            m = replace(m, sigma_per_year=math.sqrt(var / dt))
        return float(m.collateral_value(LPPosition(pa, pb, L), p))

    def equity(p):
        lp = coll(p) + fh if inside else 0.0
        return lp + cash + q * p - basis, mmf(abs(q) * p)

    def liquidate(p, t, p_venue=None):
        nonlocal q, basis, cash, alive, L, v_entry, b0, q0, fh, lvr_w
        v, b = value(p)
        upnl = q * p - basis
        e = basis / q if q else 0.0
        sane = e > 0
        pv = p if p_venue is None else p_venue
        if p_venue is None and out["mkt_step"] < 0:
            out["mkt_step"] = t
        st = settle_liquidation(
            mech, price=p, lp_base=b if inside else 0.0, lp_quote=(v - b * p) if inside else 0.0,
            # a perp bought back to zero (or flipped) with its loss kept in basis: that loss is
            # cash, not a perp of size 0 whose P&L would vanish in the settlement
            cash=cash if sane else cash + upnl, perp_size=q, perp_entry_price=e if sane else p,
            fees=fh if inside else 0.0, funding_paid=0.0, maintenance=mmf(abs(q) * pv),
            gas_quote=eth(s.chain, "exit") * p if inside else 0.0,
            venue_equity=equity(pv)[0], collateral_value=coll(pv) if inside else None)
        f = float(st.closed_fraction)
        keeps = float(st.owner_keeps)
        out["liq_loss"] += float(st.true_equity) - keeps
        out["bad_debt"] += float(st.bad_debt)
        out["backstop"] += float(st.to_backstop)
        out["liq_close"] += float(st.perp_close_cost)
        out["liq_unwind"] += float(st.lp_unwind_cost)
        out["liq_fees"] += float(st.to_liquidator) + float(st.to_insurance)
        out["n_liq"] += 1
        if out["liq_step"] < 0:
            out["liq_step"] = t
        if f < 1 - 1e-12:  # partial: a smaller perp at the same entry, the LP kept
            out["perp"] += f * upnl
            q *= 1 - f
            basis *= 1 - f
            cash = keeps - ((v + fh) if inside else 0.0) - (q * p - basis)
            return
        out["perp"] += upnl
        q = basis = 0.0
        if inside:
            h = b0 * p + q0
            out["hold"] += h - v_entry
            out["il"] += v - h
            L = v_entry = b0 = q0 = fh = lvr_w = 0.0
        cash = keeps
        alive = False

    p = p0
    for t in range(1, n + 1):
        p_prev, p = p, path[t]
        r = math.log(p / p_prev)
        r_o = r if oracle is None else math.log(po_path[t] / po_path[t - 1])
        z_ret = r / math.sqrt(var)
        var = lam * var + (1 - lam) * r_o * r_o
        if lp_dep:
            c = math.sqrt(min(max(p, pa), pb))
            inr = pa <= p <= pb
            out["lvr"] += lvr_w * r * r
            g = L * c * inr
            f = g * kf if kf is not None else value(p)[0] * inr * s.fee_apr * dt
            out["fees"] += f
            fh += f
            lvr_w = g
        out["exposure"] += q * p * dt
        if not const:
            f_state, rate_a = fund.step(f_state, dt, np.array([z_ret]), np.array([zf[t - 1]]))
            rate = float(rate_a[0])
        if every:
            pay = q * p * rate * dt
        else:
            r_acc += rate * dt
            pay = None
            if math.floor(t * dt / interval + 1e-9) > math.floor((t - 1) * dt / interval + 1e-9):
                pay, r_acc = q * p * r_acc, 0.0
        if pay is not None:
            out["funding"] += pay
            cash -= pay
        cy = s.cash_apr * dt
        if cy:
            out["cash_yield"] += cash * cy * alive + wallet * cy
            cash += cash * cy * alive
            wallet *= 1 + cy
        eq, mm = equity(p)
        if oracle is None:
            if alive and eq < mm:
                liquidate(p, t)
        else:
            if alive and eq < mm and out["mkt_step"] < 0:
                out["mkt_step"] = t
            eq, mm = equity(po_path[t])  # the venue's view
            if alive and eq < mm:
                liquidate(p, t, po_path[t])
        if alive and pending < 0:
            b = value(p)[1]
            want_rec = bool(pol.recentre and lp_dep) and (
                not pa <= p <= pb or (pol.recentre_health > 0 and eq < pol.recentre_health * mm
                                      and mm > 0))
            if pol.min_interval_years > 0:
                want_rec &= t * dt - last_rec >= pol.min_interval_years - 1e-12
            want_top = pol.top_up and eq < pol.top_up_health * mm and mm > 0
            want_hedge = bool(pol.hedge and lp_dep) and (
                abs(q + pol.hedge_ratio * b) > pol.hedge_band * pol.hedge_ratio * b)
            if pol.hedge_interval_years > 0:
                want_hedge &= t * dt - last_hedge >= pol.hedge_interval_years - 1e-12
            if want_rec or want_top or want_hedge:
                pending, flags = t + k_delay, (want_rec, want_top, want_hedge)
        if pending != t:
            continue
        pending = -1
        if not alive:
            continue
        f_rec, f_top, f_hedge = flags
        pe = p
        if rem > 0:
            sig = math.sqrt(var / dt)
            pe = p * math.exp(sig * math.sqrt(rem) * z[t - 1] - 0.5 * sig * sig * rem)
        pv = pe if oracle is None else po_path[t]
        eq_e, mm_e = equity(pv)
        if eq_e < mm_e:
            liquidate(pe, t, None if oracle is None else pv)
            continue
        if f_rec:
            v_exit, b = value(pe)
            npa, npb = pe * (1 - w), pe * (1 + w)
            ub, uq = amounts(pe, npa, npb, 1.0)
            swap_b = v_exit * (ub * pe / (ub * pe + uq)) / pe - b
            c_rec = eth(s.chain, "recentre") * pe + swap(swap_b, pe)
            v_new = max(v_exit - c_rec, 0.0)
            h = b0 * pe + q0
            out["hold"] += h - v_entry
            out["il"] += v_exit - h
            cost += v_exit - v_new
            pa, pb = npa, npb
            L = v_new / (ub * pe + uq)
            v_entry = v_new
            b0, q0 = ub * L, uq * L
            lvr_w = L * math.sqrt(min(max(p, pa), pb)) * (pa <= p <= pb)
            last_rec = t * dt
            out["n_rec"] += 1
        if pol.hedge and lp_dep and (f_hedge or f_rec):
            b = value(pe)[1]
            dq = -pol.hedge_ratio * b - q
            basis += dq * pe
            fee_h = abs(dq) * pe * s.perp_fee_fraction + gas_perp * pe * (dq != 0)
            cash -= fee_h
            hcost += fee_h
            q += dq
            last_hedge = t * dt
            out["n_hedge"] += 1
        if f_top:
            eq_t, mm_t = equity(pe if oracle is None else po_path[t])
            need = max(pol.top_up_target * mm_t - eq_t, 0.0)
            tc = eth(s.chain, "margin_transfer") * pe
            from_wallet = min(need + tc, wallet)
            cash += need
            wallet -= from_wallet
            out["added"] += need + tc - from_wallet
            cost += tc
            out["n_top"] += 1
    v_T, _ = value(p)
    h_T = b0 * p + q0
    out["hold"] += h_T - v_entry + held * (p - p0)
    out["il"] += v_T - h_T
    out["perp"] += q * p - basis
    out["lvr"] *= 0.25
    out["costs"] = cost
    out["hedge_costs"] = hcost
    out["wealth"] = v_T + wallet + cash + q * p - basis + fh + held * p
    return out


FIELDS = {  # PathResults field -> reference key
    "final_wealth": "wealth", "fees": "fees", "lvr": "lvr", "funding": "funding",
    "funding_exposure": "exposure", "cash_yield": "cash_yield", "hold": "hold", "il": "il",
    "perp": "perp", "capital_added": "added", "costs": "costs", "hedge_costs": "hedge_costs",
    "liquidation_loss": "liq_loss", "bad_debt": "bad_debt", "n_recentres": "n_rec",
    "n_top_ups": "n_top", "n_hedges": "n_hedge", "liquidation_step": "liq_step",
    "backstop": "backstop", "liquidation_close_cost": "liq_close",
    "liquidation_unwind_cost": "liq_unwind", "liquidation_fees": "liq_fees",
    "n_liquidations": "n_liq", "market_breach_step": "mkt_step",
}

P0 = 3000.0
PATHS = {
    "up": P0 * np.exp(np.linspace(0.0, 0.45, 13)),
    "down": P0 * np.exp(np.linspace(0.0, -0.5, 13)),
    "out and back": P0 * np.array([1, 1.05, 1.12, 1.26, 1.31, 1.18, 1.02, 0.93, 0.85, 0.78,
                                   0.9, 0.97, 1.04]),
    "flat": np.full(13, P0),
    "wiggle": P0 * np.exp(0.04 * np.sin(np.arange(13) * 1.3)),
}
MAT = np.column_stack(list(PATHS.values()))
BASE = dict(rules=RULES, swap_fee_fraction=0.0005, fee_apr=0.25, funding_rate_per_year=0.2)
FAST = Policy(blocks=0, latency_s=0.0)

CASES = {
    "lp short, arbitrum, recentre": Scenario(
        **BASE, leverage=2.5, chain=ARBITRUM, policy=replace(FAST, recentre=True)),
    "lp long, mainnet, recentre every 3 days": Scenario(
        **BASE, side="long", leverage=2.0, chain=ETHEREUM, width_pct=10.0,
        policy=replace(FAST, recentre=True, min_interval_years=3 / 365)),
    "lp, health recentre and top-up": Scenario(
        **BASE, leverage=3.0, wallet_cash=500.0, chain=ARBITRUM, collateral=StaticFactor(0.7),
        policy=replace(FAST, recentre=True, recentre_health=3.0, top_up=True, top_up_health=4.0,
                       top_up_target=6.0)),
    "stable, cash yield, top-up": Scenario(
        **BASE, kind="stable", leverage=6.0, cash_apr=0.08, wallet_cash=300.0, chain=ETHEREUM,
        policy=replace(FAST, top_up=True, top_up_health=4.0, top_up_target=7.0)),
    "lp + cash isolated": Scenario(
        **BASE, kind="lp_plus_cash", leverage=1.5, cash_margin_fraction=0.25, wallet_cash=100.0,
        cash_apr=0.05, chain=ARBITRUM, policy=replace(FAST, recentre=True)),
    "lp + cash cross": Scenario(
        **BASE, kind="lp_plus_cash", mode="cross", leverage=4.0, wallet_cash=700.0,
        cash_apr=0.03, fee_reference_width_pct=None),
    "cross lp long": Scenario(**BASE, side="long", mode="cross", leverage=5.0, wallet_cash=400.0),
    "hold": Scenario(**BASE, kind="hold", leverage=0.0, wallet_cash=50.0, cash_apr=0.02),
    "hedged, band 5%": Scenario(
        **BASE, perp_fee_fraction=0.00045, chain=ARBITRUM, perp_on_chain=True,
        policy=replace(FAST, hedge=True, hedge_band=0.05, hedge_ratio=0.8)),
    "hedged, daily grid, recentre": Scenario(
        **BASE, perp_fee_fraction=0.0003, chain=ARBITRUM, width_pct=15.0,
        policy=replace(FAST, hedge=True, hedge_band=0.0, hedge_interval_years=2 / 365,
                       recentre=True)),
    "a day's delay with noise": Scenario(
        **BASE, leverage=2.0, chain=ARBITRUM, collateral=StaticFactor(0.75),
        policy=Policy(recentre=True, top_up=True, blocks=4, latency_s=86_400.0 * 1.5)),
    "8-hour funding on 4-hour steps": Scenario(
        **BASE, kind="stable", leverage=3.0, funding=ConstantFunding(0.5, interval_hours=8.0)),
    "no funding, no fees": Scenario(
        rules=RULES, swap_fee_fraction=0.0, fee_apr=0.0, funding_rate_per_year=0.0,
        leverage=4.0, width_pct=30.0),
    "lagging feed, EWMA factor, top-up": Scenario(
        **BASE, leverage=3.0, oracle=ChainlinkFeed(0.05, 3 * 86_400.0), wallet_cash=400.0,
        collateral=VolatilityScaledFactor(0.7, horizon_years=1 / 365), ewma_lambda=0.9,
        chain=ARBITRUM, policy=Policy(recentre=True, top_up=True, top_up_health=3.0,
                                      top_up_target=5.0, blocks=2, latency_s=86_400.0)),
    "lagging feed, stable, duck-typed": Scenario(
        **BASE, kind="stable", leverage=7.0, oracle=None, wallet_cash=100.0,
        policy=Policy(top_up=True, top_up_health=2.5, top_up_target=4.0, latency_s=0.0)),
    "OU funding, correlated, 8-hour payments": Scenario(
        **BASE, leverage=2.0, chain=ARBITRUM,
        funding=OUFunding(0.1, kappa_per_year=30.0, sigma_per_year=4.0, correlation=0.6,
                          interval_hours=8.0, initial_rate_per_year=-0.3)),
    "OU funding, daily payments, no reversion": Scenario(
        **BASE, kind="stable", leverage=3.0, collateral=VolatilityScaledFactor(0.5),
        funding=OUFunding(0.2, kappa_per_year=0.0, sigma_per_year=3.0, correlation=-1.0,
                          interval_hours=24.0, cap_per_hour=0.0001)),
    "OU funding, uncorrelated, hourly": Scenario(
        **BASE, leverage=1.0, funding=OUFunding(0.0, kappa_per_year=5.0, sigma_per_year=2.0)),
    "tiered binance rules, shallow pool": Scenario(
        fee_apr=0.2, rules=get_venue("binance"), leverage=4.0, deposit=200_000.0,
        pool_liquidity=2e5, chain=ARBITRUM, perp_fee_fraction=0.0005,
        policy=replace(FAST, recentre=True)),
    "hyperliquid partial, LP inside": Scenario(
        fee_apr=0.2, rules=get_venue("hyperliquid"), liquidation=get_mechanics("hyperliquid"),
        leverage=6.0, deposit=150_000.0, chain=ARBITRUM, collateral=StaticFactor(0.9)),
    "hyperliquid partial, stable": Scenario(
        fee_apr=0.2, rules=get_venue("hyperliquid"), liquidation=get_mechanics("hyperliquid"),
        kind="stable", side="long", leverage=12.0, deposit=120_000.0),
    "token-min factor, cross, shallow hold pool": Scenario(
        **BASE, mode="cross", leverage=3.0, wallet_cash=300.0,
        collateral=TokenMinFactor(0.75, 0.9, 0.95)),
    "per-token weights": Scenario(
        **BASE, leverage=3.5, collateral=RangeAwareFactor(0.0, 0.6, 0.95),
        policy=replace(FAST, top_up=True, top_up_health=3.0, top_up_target=4.0)),
    "shocked weights": Scenario(
        **BASE, side="long", leverage=3.0, collateral=RangeAwareFactor(12.0, 0.9, 1.0)),
    "function factor": Scenario(
        **BASE, leverage=3.0, collateral=FunctionFactor(lambda p: np.clip(p / 5000.0, 0.0, 0.9))),
    "hold, shallow pool": Scenario(**BASE, kind="hold", leverage=0.0, pool_liquidity=5e4),
    "leveraged perp fee on chain": Scenario(
        **BASE, leverage=2.0, perp_fee_fraction=0.001, perp_on_chain=True, chain=ETHEREUM),
    "hedged, band 150%, recentre": Scenario(
        **BASE, perp_fee_fraction=0.0004, width_pct=12.0,
        policy=replace(FAST, hedge=True, hedge_band=1.5, hedge_ratio=1.3, recentre=True)),
    "hedged, band 120%": Scenario(
        **BASE, width_pct=12.0, policy=replace(FAST, hedge=True, hedge_band=1.2)),
    "hedged, band 30%, recentre, late": Scenario(
        **BASE, perp_fee_fraction=0.0004, width_pct=18.0, chain=ARBITRUM,
        policy=Policy(hedge=True, hedge_band=0.3, recentre=True, blocks=1,
                      latency_s=86_400.0 * 0.7)),
    # a perp worth 1e-10 quote is no perp (no gas); one worth a dollar is one (gas paid)
    "a 1e-10 perp on chain": Scenario(
        **BASE, leverage=1e-14, perp_on_chain=True, chain=ETHEREUM, perp_fee_fraction=0.001),
    "a one-dollar perp on chain": Scenario(
        **BASE, leverage=1e-4, perp_on_chain=True, chain=ETHEREUM, perp_fee_fraction=0.001),
}


class _Wrapped:
    """An oracle known only by its start/step (not an lpperp Oracle subclass)."""

    def __init__(self, inner):
        self.inner = inner

    def start(self, prices0, t0_seconds=0.0):
        return self.inner.start(prices0, t0_seconds)

    def step(self, state, t_seconds, prices):
        return self.inner.step(state, t_seconds, prices)

    def report(self, times, prices):
        return self.inner.report(times, prices)


CASES["lagging feed, stable, duck-typed"] = replace(
    CASES["lagging feed, stable, duck-typed"], oracle=_Wrapped(ChainlinkFeed(0.04, 2 * 86_400.0)))


def check(s, mat, dt, names=None):
    """Run ``s`` on the columns of ``mat`` and compare every field with the reference."""
    z = np.linspace(-1.5, 1.5, mat.size - mat.shape[1]).reshape(mat.shape[0] - 1, mat.shape[1])
    zf = np.cos(np.arange(z.size) * 0.7).reshape(z.shape) * 1.3
    with warnings.catch_warnings():  # an emptied LP, a zero perp: no numpy warnings either
        warnings.simplefilter("error", RuntimeWarning)
        r = run_on_paths(s, mat, dt, noise=z, funding_noise=zf)
    for j in range(mat.shape[1]):
        ref = reference(s, mat[:, j], dt, z[:, j], zf[:, j])
        for f, k in FIELDS.items():
            got = getattr(r, f)[j]
            assert got == pytest.approx(ref[k], rel=1e-9, abs=1e-7), (s.name, j, f)
        assert bool(r.liquidated[j]) == (ref["liq_step"] >= 0), (s.name, j)
    assert r.capital == s.deposit + s.wallet_cash and r.n_steps == mat.shape[0] - 1
    assert r.dt_years == dt
    parts = sum(r.attribution().values())
    np.testing.assert_allclose(parts, r.pnl, rtol=0, atol=1e-7)
    return r


@pytest.mark.parametrize("name", list(CASES))
def test_every_field_matches_the_direct_reference(name):
    check(CASES[name], MAT, 1 / (6 * 365) if "4-hour" in name else DT)


CREEP = np.column_stack([P0 * (1 + 0.01 * np.arange(16)), P0 * (1 - 0.01 * np.arange(16)),
                         P0 * (1 + 0.02 * np.arange(16)), P0 * (1 - 0.025 * np.arange(16))])


def test_a_stale_oracle_liquidates_late_as_the_reference_does():
    """A 20 % deviation / 3-day heartbeat feed on creeping prices: the venue acts on the stale
    answer, after the market breach (the reference reads the feed's ``report`` of the path)."""
    feed = ChainlinkFeed(0.2, 3 * 86_400.0)
    short = Scenario(**BASE, kind="stable", leverage=9.0, oracle=feed)
    r = check(short, CREEP, DT)
    late = r.liquidated & (r.liquidation_step > r.market_breach_step)
    assert late.any()
    lp = Scenario(**BASE, leverage=4.0, oracle=feed, chain=ARBITRUM,
                  collateral=VolatilityScaledFactor(0.6, horizon_years=2 / 365),
                  policy=Policy(recentre=True, top_up=True, top_up_health=4.0,
                                top_up_target=8.0, blocks=3, latency_s=86_400.0 * 1.2))
    r = check(lp, CREEP, DT)
    assert r.n_top_ups.sum() > 0 and r.n_recentres.sum() > 0
    duck = check(replace(short, side="long", oracle=_Wrapped(feed)), CREEP, DT)
    assert (duck.liquidation_step > duck.market_breach_step).any()


def test_partial_liquidations_with_the_lp_inside_as_the_reference_does():
    """Hyperliquid closes 20 % of a position above 100k notional at a time (docs, trading/
    liquidations); with the LP inside the account the LP stays and the cash absorbs the rest."""
    s = Scenario(fee_apr=0.2, rules=get_venue("hyperliquid"),
                 liquidation=get_mechanics("hyperliquid"), leverage=11.0, deposit=150_000.0,
                 chain=ARBITRUM, width_pct=40.0, collateral=StaticFactor(0.9))
    fine = np.column_stack([P0 * (1 + 0.0025 * np.arange(41)), P0 * (1 - 0.0025 * np.arange(41))])
    r = check(s, fine, DT)
    assert (r.n_liquidations > 1).any()
    stable = check(replace(s, kind="stable", side="long", leverage=14.0), fine, DT)
    assert (stable.n_liquidations > 1).any()


def test_the_cases_reach_every_branch_of_the_reference():
    """The cases above are not vacuous: liquidations, recentres, top-ups from the wallet and from
    new capital, hedges, late liquidations after a delay all happen somewhere."""
    seen = {"liq": 0, "rec": 0, "top": 0, "hedge": 0, "added": 0, "survive": 0}
    for name, s in CASES.items():
        dt = 1 / (6 * 365) if "4-hour" in name else DT
        r = run_on_paths(s, MAT, dt, noise=np.zeros((MAT.shape[0] - 1, MAT.shape[1])))
        seen["liq"] += int(r.liquidated.sum())
        seen["survive"] += int((~r.liquidated).sum())
        seen["rec"] += int(r.n_recentres.sum())
        seen["top"] += int(r.n_top_ups.sum())
        seen["hedge"] += int(r.n_hedges.sum())
        seen["added"] += int((r.capital_added > 0).sum())
    assert all(v > 0 for v in seen.values()), seen

"""Margin accounts with LP positions as collateral: isolated and cross.

Conventions
-----------
``equity(P) = sum collateral_value(lp, P) + cash + sum perp.pnl(P) + accrued_fees - funding_paid``
and ``maintenance(P) = sum rules.maintenance_margin(|q_i| P_i)`` (per position, at the *mark*
price, never at entry). Liquidatable iff ``equity < maintenance``; ``health = equity /
maintenance`` (``inf`` without a position); ``margin_ratio = maintenance / equity`` (Binance's
"margin ratio", liquidation at 1); ``account_leverage = gross notional / equity``. ``equity`` is
what the venue sees (collateral-factor weighted): it decides *when* the account is liquidated.
``true_equity`` (the LP at market) is what the account holds, and :meth:`liquidation_outcome`
splits it at the trigger into what the owner keeps and what the venue's mechanics take
(:mod:`lpperp.settlement`). ``delta`` / ``gamma`` are d(true equity)/dP and its derivative in the
moving market (base, base^2 per quote). ``cash`` may be negative
(borrowed stablecoins); ``accrued_fees`` (uncollected LP fees, counted at par) and
``funding_paid`` (net funding paid so far, negative if received) are quote units. Prices are
quote per base, human units; every method is vectorized over price arrays. An
:class:`IsolatedAccount` holds one perp and its own collateral: its losses never reach anything
else. A :class:`CrossAccount` pools collateral (cash and several LPs, possibly in different pairs)
behind several perps in several markets: pass ``price`` as a number when the account has one
market, else as a mapping ``market -> price``. LPs belong to ``lp_markets`` (default: the single
market of the account, or the first perp's market).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lpperp._results import AccountSummary, LiquidationOutcome, ModeComparison, html_table
from lpperp._validate import LpperpError, finite, positive
from lpperp._validate import scalar_or_array as _out
from lpperp.boundary import BoundaryProblem, LiquidationResult, solve_problem
from lpperp.collateral import CollateralModel, StaticFactor
from lpperp.perp import MarginRules, PerpPosition
from lpperp.position import LPPosition
from lpperp.settlement import settle_liquidation
from lpperp.venues import LiquidationMechanics, get_mechanics, mechanics_for

__all__ = [
    "DEFAULT_RULES",
    "AccountSummary",
    "CrossAccount",
    "IsolatedAccount",
    "LiquidationOutcome",
    "ModeComparison",
    "isolated_vs_cross",
]

#: Default perp rules when none are given: 25x max leverage, MMF = 1 / (2 * 25) = 2 % (Hyperliquid
#: style for ETH). Use :mod:`lpperp.venues` presets for a real venue.
DEFAULT_RULES = MarginRules.from_max_leverage(
    25.0, name="25x, MMF 2 % (Hyperliquid-style)", source="MMF = 1 / (2 max leverage)"
)


def _ratio(num: Any, den: Any, zero_den_sign: Any) -> Any:
    """``num / den`` with ``+inf`` / ``-inf`` (by the sign of ``zero_den_sign``) where ``den == 0``."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = num / np.where(den == 0, 1.0, den)
    return np.where(den == 0, np.where(np.asarray(zero_den_sign) >= 0, np.inf, -np.inf), r)


def _health_of(equity: Any, maintenance: Any) -> Any:
    """``equity / maintenance`` (``inf`` with no requirement and equity >= 0), dimensionless."""
    return _ratio(equity, maintenance, equity)


def _leverage_of(notional: Any, equity: Any) -> Any:
    """``notional / equity`` (``inf`` where equity <= 0), dimensionless."""
    return np.where(np.asarray(equity) <= 0, np.inf, _ratio(notional, equity, 1.0))


def _side(side: Any) -> int:
    """``side`` as +1 / -1 (arrays and other types refused by name)."""
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side not in (1, -1):
        raise LpperpError(f"side must be one of 1, -1; got {side!r}")
    return int(side)


def _check_collateral(name: str, model: Any) -> None:
    """A collateral model is anything with the :class:`~lpperp.collateral.CollateralModel` methods
    (``factor``, ``collateral_value``, ``shock_weights``); a number or a string is named here, not
    met later as an AttributeError inside a solve."""
    missing = [m for m in ("factor", "collateral_value", "shock_weights")
               if not callable(getattr(model, m, None))]
    if missing:
        raise LpperpError(
            f"{name} must be a collateral model (e.g. StaticFactor(0.8), one of lpperp.collateral's "
            f"models), got {type(model).__name__} {model!r:.60}"
        )


def _market(market: Any) -> str | None:
    """``market`` as a name or None (arrays and numbers refused by name)."""
    if market is not None and not isinstance(market, str):
        raise LpperpError(f"market must be a market name (str) or None, got {market!r}")
    return market


def _invert_schedule(pieces: tuple[np.ndarray, np.ndarray, np.ndarray], budget: Any) -> Any:
    """Largest notional ``N`` with ``N r_k - d_k <= budget`` (continuous increasing schedule)."""
    floors, rates, deds = pieces
    b = np.maximum(np.asarray(budget, dtype=float), 0.0)
    # the tier is the last one whose floor's margin the budget covers: comparing budgets (not the
    # divided notionals against the floors) leaves no gap at a floor where both tiers' quotients
    # round to either side of it (budget 12,300 on 3/5/7 % tiers at 1e4/2.5e5 gave 0)
    k = np.searchsorted(floors * rates - deds, b, side="right") - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(np.isnan(b), 0.0, (b + deds[k]) / rates[k])
    return np.where(np.asarray(rates).min() == 0, np.inf, n)


class _AccountBase:
    """Shared math; subclasses provide ``_parts(price)`` and ``boundary_problem``."""

    cash: float
    accrued_fees: float
    funding_paid: float

    def _parts(self, price: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def collateral_value(self, price: Any) -> Any:
        """Weighted LP collateral, quote units.

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> round(IsolatedAccount(None, lp, collateral=StaticFactor(0.8)).collateral_value(3000.0), 6)
        8000.0
        """
        return _out(self._parts(price)["coll"])

    def pnl(self, price: Any) -> Any:
        """Unrealized PnL of all perps, quote units.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.pnl(3100.0)
        -300.0
        """
        return _out(self._parts(price)["pnl"])

    def equity(self, price: Any) -> Any:
        """Collateral + cash + PnL + accrued fees - funding paid, quote units.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.equity([3000.0, 3100.0]).tolist()
        [1000.0, 700.0]
        """
        p = self._parts(price)
        return _out(self._equity_from(p["coll"], p["pnl"]))

    def _equity_from(self, held: Any, pnl: Any) -> Any:
        """``held + cash + pnl + accrued fees - funding paid``: the one equity formula, for the
        venue's equity (``held`` = weighted collateral) and the true one (``held`` = LP at market).
        """
        return held + self.cash + pnl + self.accrued_fees - self.funding_paid

    def margin_gap(self, price: Any) -> Any:
        """``equity - maintenance requirement`` (quote units): liquidatable where it is < 0.

        The one equity-minus-maintenance of the accounts; the boundary solver's numeric fallback
        (:attr:`lpperp.boundary.BoundaryProblem.margin_gap`) evaluates it along one market.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.margin_gap([3000.0, 3200.0]).round(6).tolist()   # 1000 - 450; 400 - 480
        [550.0, -80.0]
        """
        p = self._parts(price)
        return _out(self._equity_from(p["coll"], p["pnl"]) - p["mm"])

    def notional(self, price: Any) -> Any:
        """Gross perp notional ``sum |q_i| P_i``, quote units.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.notional(3100.0)
        9300.0
        """
        return _out(self._parts(price)["notional"])

    def maintenance_requirement(self, price: Any) -> Any:
        """Maintenance margin at the mark price(s), quote units.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.maintenance_requirement(3000.0)
        450.0
        """
        return _out(self._parts(price)["mm"])

    def initial_requirement(self, price: Any) -> Any:
        """Initial margin at the mark price(s), quote units.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.initial_requirement(3000.0)
        900.0
        """
        return _out(self._parts(price)["im"])

    def free_collateral(self, price: Any) -> Any:
        """``equity - initial requirement``: what can back new positions or be withdrawn.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.free_collateral(3000.0)
        100.0
        """
        return _out(np.asarray(self.equity(price)) - self.initial_requirement(price))

    def health(self, price: Any) -> Any:
        """``equity / maintenance`` (liquidation below 1; ``inf`` without a position).

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> round(a.health(3000.0), 4)
        2.2222
        """
        p = self._parts(price)
        return _out(_health_of(self._equity_from(p["coll"], p["pnl"]), p["mm"]))

    def margin_ratio(self, price: Any) -> Any:
        """``maintenance / equity`` (Binance's margin ratio; liquidation at 1; inf if equity <= 0).

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.margin_ratio(3000.0)
        0.45
        """
        p = self._parts(price)
        eq = np.asarray(self._equity_from(p["coll"], p["pnl"]))
        return _out(np.where(eq <= 0, np.inf, _ratio(p["mm"], eq, 1.0)))

    def account_leverage(self, price: Any) -> Any:
        """``gross perp notional / equity`` (inf if equity <= 0): the live account figure.

        (The scenario's ``leverage`` is perp notional at entry / LP deposit at entry.)

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.account_leverage(3000.0)
        9.0
        """
        p = self._parts(price)
        return _out(_leverage_of(p["notional"], self._equity_from(p["coll"], p["pnl"])))

    def leverage(self, price: Any) -> Any:
        """Deprecated alias of :meth:`account_leverage` (kept one release)."""
        warnings.warn(
            "account.leverage(price) is renamed account_leverage(price) (notional / equity); "
            "'leverage' now means perp notional at entry / LP deposit at entry",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.account_leverage(price)

    def delta(self, price: Any, market: str | None = None) -> Any:
        """``d equity / dP`` at collateral factor 1, base units: LP base amounts + perp sizes.

        The sum over the LPs and perps of the moving ``market`` (the only market of the account
        by default). The collateral factor is left out on purpose: it decides when the venue
        liquidates, not what the account holds.

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> acct = IsolatedAccount(PerpPosition(-1.5, 3000.0), lp)
        >>> round(acct.delta(3000.0), 4)                  # 1.5071 ETH in the LP, short 1.5
        0.0071
        """
        m, p = self._moving(price, market)
        lps, perps = self._in_market(m)
        out = np.zeros_like(p) + sum(x.size for x in perps)
        for lp in lps:
            out = out + np.asarray(lp.delta(p))
        return _out(out)

    def gamma(self, price: Any, market: str | None = None) -> Any:
        """``d delta / dP`` in base^2 per quote: the LPs' ``-L / (2 P^{3/2})`` in range (perps 0).

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> acct = IsolatedAccount(PerpPosition(-1.5, 3000.0), lp)
        >>> round(acct.gamma(3000.0), 6)                  # ETH per USDC of price move
        -0.002883
        """
        m, p = self._moving(price, market)
        lps, _ = self._in_market(m)
        out = np.zeros_like(p)
        for lp in lps:
            out = out + np.asarray(lp.gamma(p))
        return _out(out)

    def is_liquidatable(self, price: Any) -> Any:
        """``equity < maintenance``.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> a.is_liquidatable([3000.0, 3200.0]).tolist()
        [False, True]
        """
        out = np.asarray(self.margin_gap(price)) < 0
        return bool(out) if np.ndim(out) == 0 else out

    def liquidation(self, price: Any, market: str | None = None) -> Any:
        """Exact liquidation boundaries along ``market``'s price (see :mod:`lpperp.liquidation`).

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> round(float(a.liquidation(3000.0).liquidation_price_above), 2)   # dYdX docs: 3174.60
        3174.6
        """
        return solve_problem(self.boundary_problem(price, market))

    def distance_to_liquidation(self, price: Any, market: str | None = None) -> Any:
        """Smallest % move of the price to a liquidation boundary (0 if liquidatable now).

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> round(a.distance_to_liquidation(3000.0), 3)
        5.82
        """
        return _out(self.liquidation(price, market).distance_pct)

    def liquidation_outcome(
        self,
        price: Any,
        at: float | None = None,
        market: str | None = None,
        *,
        mechanics: LiquidationMechanics | str | None = None,
        profile: Any = None,
        gas_quote: float = 0.0,
    ) -> LiquidationOutcome:
        """What a liquidation takes, at ``at`` (default: the nearest boundary to ``price``).

        At the trigger the account holds its true equity (LP at market incl. uncollected fees,
        cash, perp PnL, funding); the venue's ``mechanics`` (default: those of the account's
        rules preset, :func:`lpperp.venues.mechanics_for`) close the perp, unwind what they must of
        the LP through the pool (``profile``: an ``lpperp.swap`` liquidity profile; default the
        synthetic pool of :mod:`lpperp.settlement`; ``gas_quote`` to burn the LP) and pay the
        liquidator, insurance fund or backstop; the owner keeps the rest; below zero it is bad
        debt. One implementation for accounts and paths: :func:`lpperp.settlement.settle_liquidation`
        (the venue equity passed to it is the factor-weighted equity at the trigger). If the
        account has no boundary, nothing is liquidated: the outcome keeps today's equity.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05, liquidation_fee_fraction=0.01))
        >>> o = a.liquidation_outcome(3000.0)
        >>> round(o.trigger_price, 2), round(o.to_insurance, 2), round(o.owner_keeps, 2)
        (3174.6, 95.24, 380.95)
        """
        _, p_moving = self._moving(price, market)
        if np.ndim(p_moving):
            raise LpperpError(
                f"price must be one price for a liquidation outcome, got an array of shape "
                f"{np.shape(p_moving)} (use lpperp.settlement.settle_liquidation for many paths)"
            )
        res = self.liquidation(price, market)
        p_now = float(np.asarray(res.price).reshape(-1)[0])
        if at is None:
            lo, hi = float(res.safe_lower.reshape(-1)[0]), float(res.safe_upper.reshape(-1)[0])
            cands = [x for x in (lo, hi) if np.isfinite(x) and x > 0]
            at = min(cands, key=lambda x: abs(np.log(x / p_now))) if cands else float("nan")
            if bool(np.asarray(res.liquidatable_now).reshape(-1)[0]):
                at = p_now
        else:
            at = positive("at", at, scalar=True)
        if isinstance(mechanics, str):
            mechanics = get_mechanics(mechanics)
        elif mechanics is None:
            mechanics = mechanics_for(self._rules_at(market))
        elif not isinstance(mechanics, LiquidationMechanics):
            raise LpperpError(
                f"mechanics must be a LiquidationMechanics, a preset name or None, got "
                f"{type(mechanics).__name__}"
            )
        now = self._settlement_inputs(self._full_price(price, p_now, market), market)
        equity_now = float(now["true_equity"])
        if not np.isfinite(float(at)):
            nan = float("nan")
            return LiquidationOutcome(
                trigger_price=nan, true_equity=equity_now, lp_value=float(now["lp_value"]),
                cash=float(now["cash_total"]), perp_pnl=float(now["perp_pnl"]),
                fees=self.accrued_fees, funding_paid=self.funding_paid, perp_close_cost=0.0,
                lp_unwind_cost=0.0, to_liquidator=0.0, to_insurance=0.0, to_backstop=0.0,
                owner_keeps=equity_now, bad_debt=0.0, closed_fraction=0.0,
                perp_size_after=float(now["perp_size"]), maintenance=nan,
                venue_equity=nan, equity_now=equity_now, venue=mechanics.name,
            )
        inp = self._settlement_inputs(self._full_price(price, float(at), market), market)
        st = settle_liquidation(
            mechanics,
            price=float(at),
            lp_base=inp["lp_base"],
            lp_quote=inp["lp_quote"],
            cash=inp["cash"],
            perp_size=inp["perp_size"],
            perp_entry_price=inp["perp_entry_price"],
            fees=inp["fees"],
            funding_paid=self.funding_paid,
            maintenance=inp["maintenance"],
            profile=profile,
            gas_quote=gas_quote,
            venue_equity=inp["venue_equity"],
            collateral_value=inp["collateral_value"],
        )
        return LiquidationOutcome(
            trigger_price=float(at),
            true_equity=float(st.true_equity),
            lp_value=float(inp["lp_value"]),
            cash=float(inp["cash_total"]),
            perp_pnl=float(inp["perp_pnl"]),
            fees=self.accrued_fees,
            funding_paid=self.funding_paid,
            perp_close_cost=float(st.perp_close_cost),
            lp_unwind_cost=float(st.lp_unwind_cost),
            to_liquidator=float(st.to_liquidator),
            to_insurance=float(st.to_insurance),
            to_backstop=float(st.to_backstop),
            owner_keeps=float(st.owner_keeps),
            bad_debt=float(st.bad_debt),
            closed_fraction=float(st.closed_fraction),
            perp_size_after=(1.0 - float(st.closed_fraction)) * float(inp["perp_size"]) + 0.0,
            maintenance=float(inp["maintenance"]),
            venue_equity=float(inp["venue_equity"]),
            equity_now=equity_now,
            venue=mechanics.name,
        )

    def true_equity(self, price: Any) -> Any:
        """LP at market + uncollected fees + cash + perp PnL - funding paid (quote units).

        What the account really holds: the collateral factor is left out (it decides when the
        venue liquidates, not what the owner has).

        >>> from lpperp.position import LPPosition
        >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
        >>> acct = IsolatedAccount(PerpPosition(-1.0, 3000.0), lp, collateral=StaticFactor(0.5))
        >>> round(acct.true_equity(3000.0), 2), round(acct.equity(3000.0), 2)
        (10000.0, 5000.0)
        """
        return _out(self._equity_from(self._lp_values(price), np.asarray(self.pnl(price))))

    def _full_price(self, price: Any, p: float, market: str | None) -> Any:
        """The price argument with the moving market's price replaced by ``p``."""
        if isinstance(price, Mapping):
            m, _ = self._moving(price, market)
            return {**price, m: p}
        return p

    def _moving(self, price: Any, market: str | None) -> tuple[str, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def _in_market(self, market: str) -> tuple[list[Any], list[PerpPosition]]:  # pragma: no cover
        raise NotImplementedError

    def _rules_at(self, market: str | None) -> MarginRules:  # pragma: no cover
        raise NotImplementedError

    def _lp_values(self, price: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _settlement_inputs(self, price: Any, market: str | None) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def summary(
        self, price: Any, market: str | None = None, *, liquidation: Any = None
    ) -> AccountSummary:
        """The key figures at one price, with an HTML table for notebooks.

        ``liquidation``: this account's :meth:`liquidation` at the same ``price`` (and
        ``market``) when already computed, e.g. by an explorer that also draws the boundaries;
        it is used as is instead of solving the boundaries again. A result for another price is
        refused.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0,
        ...                     rules=MarginRules("x", 0.1, 0.05))
        >>> s = a.summary(3000.0)
        >>> round(s.health, 4), round(s.liquidation_above, 2), s.liquidatable
        (2.2222, 3174.6, False)
        >>> liq = a.liquidation(3000.0)
        >>> round(a.summary(3000.0, liquidation=liq).liquidation_above, 2)
        3174.6
        """
        if liquidation is None:
            liq = self.liquidation(price, market)
        else:
            liq = _solved_for(liquidation, price, market)
        f = float
        p = self._parts(price)  # once: the figures below are the methods' formulas on it
        eq, mm = self._equity_from(p["coll"], p["pnl"]), p["mm"]
        return AccountSummary(
            equity=f(eq),
            maintenance=f(mm),
            initial=f(p["im"]),
            free_collateral=f(eq - p["im"]),
            health=f(_health_of(eq, mm)),
            account_leverage=f(_leverage_of(p["notional"], eq)),
            liquidation_below=f(np.asarray(liq.liquidation_price_below).reshape(-1)[0]),
            liquidation_above=f(np.asarray(liq.liquidation_price_above).reshape(-1)[0]),
            distance_pct=f(np.asarray(liq.distance_pct).reshape(-1)[0]),
            liquidatable=bool(eq - mm < 0),
        )


def _solved_for(liquidation: Any, price: Any, market: str | None) -> Any:
    """``liquidation`` if it is one account's result at ``price`` (the moving market's price)."""
    if not isinstance(liquidation, LiquidationResult):
        raise LpperpError(
            f"liquidation must be a LiquidationResult (from account.liquidation(price)), got "
            f"{type(liquidation).__name__}"
        )
    solved = np.asarray(liquidation.price, dtype=float).reshape(-1)
    if isinstance(price, Mapping):
        given = [price[market]] if market in price else list(price.values())
    else:
        given = [price]
    given_at = np.asarray(given, dtype=float).reshape(-1)
    if solved.size != 1 or not np.any(np.isclose(solved[0], given_at, rtol=1e-12, atol=0.0)):
        raise LpperpError(
            f"liquidation was solved at price {liquidation.price!r}, not at the summary's price "
            f"{price!r}: pass account.liquidation(price, market) for the same price, or omit it"
        )
    return liquidation


@dataclass(frozen=True)
class IsolatedAccount(_AccountBase):
    """One perp and its own collateral (an LP, cash that may be negative, or both).

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> acct = IsolatedAccount(PerpPosition(-1.5071, 3000.0), lp)   # LP delta hedged
    >>> round(acct.equity(3000.0), 2), round(acct.health(3000.0), 2)
    (10000.0, 110.59)
    """

    perp: PerpPosition | None = None
    lp: Any = None
    cash: float = 0.0
    collateral: CollateralModel = field(default_factory=lambda: StaticFactor(1.0))
    rules: MarginRules = DEFAULT_RULES
    accrued_fees: float = 0.0
    funding_paid: float = 0.0

    def __post_init__(self) -> None:
        if self.perp is not None and not isinstance(self.perp, PerpPosition):
            raise LpperpError(
                f"perp must be a PerpPosition or None, got {type(self.perp).__name__}"
            )
        if self.lp is not None and not isinstance(self.lp, LPPosition):
            raise LpperpError(f"lp must be an LPPosition or None, got {type(self.lp).__name__}")
        if not isinstance(self.rules, MarginRules):
            raise LpperpError(f"rules must be a MarginRules, got {type(self.rules).__name__}")
        _check_collateral("collateral", self.collateral)
        for name in ("cash", "accrued_fees", "funding_paid"):
            object.__setattr__(self, name, float(finite(name, getattr(self, name))))

    @property
    def market(self) -> str:
        """The perp's market (``"ETH"`` without a perp)."""
        return self.perp.market if self.perp is not None else "ETH"

    def _p(self, price: Any) -> Any:
        if isinstance(price, Mapping):
            if self.market not in price:
                raise LpperpError(f"price mapping has no entry for market {self.market!r}")
            price = price[self.market]
        return positive("price", price)

    def _moving(self, price: Any, market: str | None) -> tuple[str, np.ndarray]:
        if _market(market) is not None and market != self.market:
            raise LpperpError(f"market must be {self.market!r} for this account, got {market!r}")
        return self.market, np.asarray(self._p(price), dtype=float)

    def _in_market(self, market: str) -> tuple[list[Any], list[PerpPosition]]:
        return ([] if self.lp is None else [self.lp]), ([] if self.perp is None else [self.perp])

    def _rules_at(self, market: str | None) -> MarginRules:
        return self.rules

    def _lp_values(self, price: Any) -> Any:
        p = np.asarray(self._p(price), dtype=float)
        return np.zeros_like(p) if self.lp is None else np.asarray(self.lp.value(p))

    def _settlement_inputs(self, price: Any, market: str | None) -> dict[str, Any]:
        self._moving(price, market)
        return self.as_cross()._settlement_inputs(self._p(price), self.market)

    def _parts(self, price: Any) -> dict[str, Any]:
        p = np.asarray(self._p(price), dtype=float)
        zero = np.zeros_like(p)
        coll = zero if self.lp is None else np.asarray(self.collateral.collateral_value(self.lp, p))
        if self.perp is None:
            pnl = notional = zero
        else:
            pnl, notional = np.asarray(self.perp.pnl(p)), np.asarray(self.perp.notional(p))
        return {
            "coll": coll,
            "pnl": pnl,
            "notional": notional,
            "mm": np.asarray(self.rules.maintenance_margin(notional)),
            "im": np.asarray(self.rules.initial_margin(notional)),
            "penalty": np.asarray(self.rules.liquidation_fee(notional)),
        }

    def as_cross(self) -> CrossAccount:
        """The same position and collateral as a one-position cross account.

        >>> acct = IsolatedAccount(PerpPosition(1.0, 3000.0), cash=500.0)
        >>> acct.as_cross().equity(2900.0) == acct.equity(2900.0)
        True
        """
        return CrossAccount(
            perps=() if self.perp is None else (self.perp,),
            lps=() if self.lp is None else (self.lp,),
            cash=self.cash,
            collateral=self.collateral,
            rules=self.rules,
            lp_markets=None if self.lp is None else (self.market,),
            accrued_fees=self.accrued_fees,
            funding_paid=self.funding_paid,
        )

    def max_perp_size(self, price: Any, side: int = 1) -> Any:
        """Largest size of a perp opened at ``price`` that this collateral supports at initial margin.

        Solves ``equity without the perp >= IM(|q| P)`` on the rules' (tiered) initial schedule;
        signed by ``side`` (+1 long, -1 short).

        >>> acct = IsolatedAccount(None, cash=1000.0, rules=MarginRules("x", 0.1, 0.05))
        >>> round(acct.max_perp_size(2000.0, side=-1), 6)
        -5.0
        """
        side = _side(side)
        p = np.asarray(self._p(price), dtype=float)
        budget = np.asarray(_without_perp(self).equity(p))
        n = _invert_schedule(self.rules.initial_pieces(), budget)
        return _out(side * n / p)

    def max_leverage(self, price: Any) -> Any:
        """``max notional / equity without the perp`` at initial margin (the rules' max leverage
        when untiered).

        >>> IsolatedAccount(None, cash=1000.0, rules=MarginRules("x", 0.1, 0.05)).max_leverage(2e3)
        10.0
        """
        p = np.asarray(self._p(price), dtype=float)
        budget = np.asarray(_without_perp(self).equity(p))
        n = _invert_schedule(self.rules.initial_pieces(), budget)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(np.where(budget > 0, n / budget, 0.0))

    def boundary_problem(self, price: Any, market: str | None = None) -> BoundaryProblem:
        """This account along its market's price, as the boundary solver takes it.

        >>> a = IsolatedAccount(PerpPosition(-3.0, 3000.0), cash=1000.0)
        >>> a.boundary_problem(3000.0).perp_entry_prices.tolist()
        [3000.0]
        """
        if _market(market) is not None and market != self.market:
            raise LpperpError(f"market must be {self.market!r} for this account, got {market!r}")
        return self.as_cross().boundary_problem(price, self.market)

    def _repr_html_(self) -> str:
        p, lp = self.perp, self.lp
        perp = "none" if p is None else f"{p.size:+g} {p.market} @ {p.entry_price:g}"
        lp = (
            "none"
            if lp is None
            else f"[{lp.price_lower:g}, {lp.price_upper:g}] L={lp.liquidity:.6g}"
        )
        return html_table(
            [
                ("mode", "isolated"),
                ("perp", perp),
                ("LP", lp),
                ("cash", self.cash),
                ("rules", self.rules.name),
            ]
        )


def _without_perp(acct: IsolatedAccount) -> IsolatedAccount:
    from dataclasses import replace

    return replace(acct, perp=None)


@dataclass(frozen=True)
class CrossAccount(_AccountBase):
    """Several perps (several markets) behind one pool of collateral (cash and LPs).

    ``collateral`` is one model for every LP or a tuple with one per LP; ``rules`` one
    :class:`MarginRules` or a mapping ``market -> MarginRules``.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> x = CrossAccount(perps=(PerpPosition(-1.5, 3000.0), PerpPosition(0.1, 60_000.0, "BTC")),
    ...                  lps=(lp,), cash=2000.0, lp_markets=("ETH",))
    >>> round(x.equity({"ETH": 3000.0, "BTC": 61_000.0}), 2)
    12100.0
    """

    perps: tuple[PerpPosition, ...] = ()
    lps: tuple[Any, ...] = ()
    cash: float = 0.0
    collateral: CollateralModel | tuple[CollateralModel, ...] = field(
        default_factory=lambda: StaticFactor(1.0)
    )
    rules: MarginRules | Mapping[str, MarginRules] = DEFAULT_RULES
    lp_markets: tuple[str, ...] | None = None
    accrued_fees: float = 0.0
    funding_paid: float = 0.0

    def __post_init__(self) -> None:
        for name, kind in (("perps", PerpPosition), ("lps", LPPosition)):
            items = getattr(self, name)
            if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
                raise LpperpError(
                    f"{name} must be a tuple of {kind.__name__} objects, got {items!r}"
                )
            items = tuple(items)
            for x in items:
                if not isinstance(x, kind):
                    raise LpperpError(
                        f"{name} must hold {kind.__name__} objects, got {type(x).__name__} {x!r}"
                    )
            object.__setattr__(self, name, items)
        for name in ("cash", "accrued_fees", "funding_paid"):
            object.__setattr__(self, name, float(finite(name, getattr(self, name))))
        if isinstance(self.collateral, (tuple, list)):
            if len(self.collateral) != len(self.lps):
                raise LpperpError(
                    f"collateral must be one model or one per LP ({len(self.lps)}), "
                    f"got {len(self.collateral)}"
                )
            object.__setattr__(self, "collateral", tuple(self.collateral))
            for i, model in enumerate(self.collateral):
                _check_collateral(f"collateral[{i}]", model)
        else:
            _check_collateral("collateral", self.collateral)
        if self.lp_markets is None:
            perp_markets = sorted({p.market for p in self.perps})
            default = self.perps[0].market if self.perps else "ETH"
            if len(perp_markets) > 1 and self.lps:
                raise LpperpError(
                    f"lp_markets is required when the perps span several markets {perp_markets}"
                )
            object.__setattr__(self, "lp_markets", tuple(default for _ in self.lps))
        else:
            lm = tuple(self.lp_markets)
            if len(lm) != len(self.lps):
                raise LpperpError(f"lp_markets must name one market per LP, got {lm!r}")
            object.__setattr__(self, "lp_markets", lm)
        if isinstance(self.rules, Mapping):
            missing = {p.market for p in self.perps} - set(self.rules)
            if missing:
                raise LpperpError(f"rules mapping has no MarginRules for markets {sorted(missing)}")
        elif not isinstance(self.rules, MarginRules):
            raise LpperpError(
                f"rules must be MarginRules or a mapping, got {type(self.rules).__name__}"
            )

    @property
    def markets(self) -> tuple[str, ...]:
        """Markets of the perps and LPs, sorted."""
        return tuple(sorted({p.market for p in self.perps} | set(self.lp_markets)))

    def rules_for(self, market: str) -> MarginRules:
        """The margin rules applied to ``market``'s perps."""
        return self.rules[market] if isinstance(self.rules, Mapping) else self.rules

    def collateral_for(self, i: int) -> CollateralModel:
        """The collateral model of LP ``i``."""
        return self.collateral[i] if isinstance(self.collateral, tuple) else self.collateral

    def _prices(self, price: Any) -> dict[str, Any]:
        mk = self.markets or ("ETH",)
        if isinstance(price, Mapping):
            missing = set(mk) - set(price)
            if missing:
                raise LpperpError(
                    f"price mapping lacks markets {sorted(missing)}; give all of {mk}"
                )
            return {m: positive(f"price[{m!r}]", price[m]) for m in mk}
        if len(mk) > 1:
            raise LpperpError(
                f"this account spans markets {mk}: pass price as a mapping market -> price"
            )
        return {mk[0]: positive("price", price)}

    def _moving(self, price: Any, market: str | None) -> tuple[str, np.ndarray]:
        mk = self.markets or ("ETH",)
        market = self._moving_name(market)
        if isinstance(price, Mapping):
            pr = self._prices(price)
        elif len(mk) == 1:
            pr = {mk[0]: positive("price", price)}
        else:
            raise LpperpError(f"this account spans markets {mk}: pass price as a mapping")
        if market not in pr:
            raise LpperpError(f"market must be one of {mk}, got {market!r}")
        return market, np.asarray(pr[market], dtype=float)

    def _in_market(self, market: str) -> tuple[list[Any], list[PerpPosition]]:
        lps = [lp for lp, m in zip(self.lps, self.lp_markets, strict=True) if m == market]
        return lps, [x for x in self.perps if x.market == market]

    def _rules_at(self, market: str | None) -> MarginRules:
        m = self._moving_name(market)
        if isinstance(self.rules, Mapping) and m not in self.rules:
            return DEFAULT_RULES
        return self.rules_for(m)

    def _moving_name(self, market: str | None) -> str:
        _market(market)
        mk = self.markets or ("ETH",)
        if market is None:
            market = (self.perps[0].market if self.perps else mk[0]) if len(mk) > 1 else mk[0]
        return market

    def _lp_values(self, price: Any) -> Any:
        pr = self._prices(price)
        shape = np.broadcast_shapes(*(np.shape(v) for v in pr.values()))
        out = np.zeros(shape)
        for lp, m in zip(self.lps, self.lp_markets, strict=True):
            out = out + np.asarray(lp.value(pr[m]))
        return out

    def _settlement_inputs(self, price: Any, market: str | None) -> dict[str, Any]:
        """The account at ``price`` in the terms of :func:`lpperp.settlement.settle_liquidation`.

        LPs and perps of other markets count as cash at their prices; several perps in the moving
        market are one net size at their size-weighted entry (or, when that is not a price, at
        the mark with their PnL in cash).
        """
        m, p = self._moving(price, market)
        pr = self._prices(price) if isinstance(price, Mapping) else {m: p}
        lp_base = np.zeros_like(p)
        lp_quote = np.zeros_like(p)
        cash = np.zeros_like(p) + self.cash
        for lp, lm in zip(self.lps, self.lp_markets, strict=True):
            if lm == m:
                b, q = lp.amounts(p)
                lp_base, lp_quote = lp_base + b, lp_quote + q
            else:
                cash = cash + np.asarray(lp.value(pr[lm]))
        same = [x for x in self.perps if x.market == m]
        size = float(sum(x.size for x in same))
        entry: Any = p
        if len(same) == 1:
            entry = same[0].entry_price
        elif same:
            weighted = sum(x.size * x.entry_price for x in same) / size if size else -1.0
            if weighted > 0:
                entry = weighted
            else:
                cash = cash + sum(np.asarray(x.pnl(p)) for x in same)
        for x in self.perps:
            if x.market != m:
                cash = cash + np.asarray(x.pnl(pr[x.market]))
        fees = max(self.accrued_fees, 0.0)
        cash = cash + min(self.accrued_fees, 0.0)
        parts = self._parts(price)
        lp_value = self._lp_values(price)
        return {
            "lp_base": lp_base,
            "lp_quote": lp_quote,
            "cash": cash,
            "perp_size": size,
            "perp_entry_price": entry,
            "fees": fees,
            "maintenance": parts["mm"],
            "venue_equity": np.asarray(self.equity(price)),
            "collateral_value": parts["coll"],
            "lp_value": lp_value,
            "perp_pnl": parts["pnl"],
            "cash_total": self.cash,
            "true_equity": self._equity_from(lp_value, parts["pnl"]),
        }

    def _parts(self, price: Any) -> dict[str, Any]:
        pr = self._prices(price)
        shape = np.broadcast_shapes(*(np.shape(v) for v in pr.values()))
        coll = np.zeros(shape)
        for i, (lp, m) in enumerate(zip(self.lps, self.lp_markets, strict=True)):
            coll = coll + self.collateral_for(i).collateral_value(lp, pr[m])
        pnl, notional, mm, im, pen = (np.zeros(shape) for _ in range(5))
        for perp in self.perps:
            r = self.rules_for(perp.market)
            n = perp.notional(pr[perp.market])
            pnl = pnl + perp.pnl(pr[perp.market])
            notional = notional + n
            mm = mm + r.maintenance_margin(n)
            im = im + r.initial_margin(n)
            pen = pen + r.liquidation_fee(n)
        return {"coll": coll, "pnl": pnl, "notional": notional, "mm": mm, "im": im, "penalty": pen}

    def max_perp_size(self, price: Any, market: str | None = None, side: int = 1) -> Any:
        """Largest size of a new perp in ``market`` opened at its price, at initial margin.

        Budget = ``equity - initial requirement of the existing positions``.

        >>> CrossAccount(cash=1000.0, rules=MarginRules("x", 0.1, 0.05)).max_perp_size(2000.0)
        5.0
        """
        side = _side(side)
        if _market(market) is None:
            market = self.perps[0].market if self.perps else (self.markets or ("ETH",))[0]
        if isinstance(price, Mapping) or self.markets:
            pr = self._prices(price)
        else:
            pr = {market: positive("price", price)}
        if market not in pr:
            raise LpperpError(f"market {market!r} has no price; give it in the price mapping")
        budget = np.asarray(self.free_collateral(price))
        n = _invert_schedule(self.rules_for(market).initial_pieces(), budget)
        return _out(side * n / np.asarray(pr[market]))

    def max_leverage(self, price: Any, market: str | None = None) -> Any:
        """Max notional of a new perp in ``market`` over the free collateral (initial margin).

        >>> CrossAccount(cash=1000.0, rules=MarginRules("x", 0.1, 0.05)).max_leverage(2000.0)
        10.0
        """
        budget = np.asarray(self.free_collateral(price))
        size = np.asarray(self.max_perp_size(price, market))
        pr = self._prices(price) if (isinstance(price, Mapping) or self.markets) else None
        m = market or (self.perps[0].market if self.perps else (self.markets or ("ETH",))[0])
        p = np.asarray(pr[m] if pr is not None else positive("price", price))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(np.where(budget > 0, np.abs(size) * p / budget, 0.0))

    def boundary_problem(self, price: Any, market: str | None = None) -> BoundaryProblem:
        """The account along ``market``'s price (others fixed), as the boundary solver takes it.

        Built from the account's public attributes: the moving market's LPs with their
        collateral weights, its perps, the maintenance schedule of its rules, and everything
        else folded into ``constant_quote`` (:class:`lpperp.boundary.BoundaryProblem`).

        >>> x = CrossAccount(perps=(PerpPosition(-1.0, 3000.0),), cash=500.0)
        >>> float(x.boundary_problem(3000.0).constant_quote)
        500.0
        """
        market, p0 = self._moving(price, market)
        pr = self._prices(price) if isinstance(price, Mapping) else {market: p0}
        base_const = np.asarray(self._equity_from(0.0, 0.0), dtype=float)  # cash, fees, funding
        lp_idx = [i for i, m in enumerate(self.lp_markets) if m == market]
        weights, numeric = [], False
        for i, (lp, m) in enumerate(zip(self.lps, self.lp_markets, strict=True)):
            if m != market:
                base_const = base_const + self.collateral_for(i).collateral_value(lp, pr[m])
                continue
            w = self.collateral_for(i).shock_weights(lp)
            numeric = numeric or w is None
            weights.append(w if w is not None else (1.0, 1.0, 1.0))
        sizes, entries = [], []
        for perp in self.perps:
            if perp.market == market:
                sizes.append(perp.size)
                entries.append(perp.entry_price)
            else:
                r = self.rules_for(perp.market)
                base_const = (
                    base_const
                    + perp.pnl(pr[perp.market])
                    - r.maintenance_margin(perp.notional(pr[perp.market]))
                )
        lps = [self.lps[i] for i in lp_idx]
        if isinstance(self.rules, Mapping) and market not in self.rules:
            rules = DEFAULT_RULES  # no perp in this market: its maintenance is zero anyway
        else:
            rules = self.rules_for(market)
        floors, rates, deds = rules.maintenance_pieces()
        gap = None
        if numeric:
            others = {m: v for m, v in pr.items() if m != market}

            def gap(P: np.ndarray) -> np.ndarray:
                return np.asarray(self.margin_gap({**others, market: P}))

        return BoundaryProblem(
            price=p0,
            price_lower=np.array([lp.price_lower for lp in lps], dtype=float),
            price_upper=np.array([lp.price_upper for lp in lps], dtype=float),
            liquidity=np.array([lp.liquidity for lp in lps], dtype=float),
            shock=np.array([w[0] for w in weights], dtype=float),
            base_factor=np.array([w[1] for w in weights], dtype=float),
            quote_factor=np.array([w[2] for w in weights], dtype=float),
            perp_sizes=np.array(sizes, dtype=float),
            perp_entry_prices=np.array(entries, dtype=float),
            constant_quote=base_const,
            tier_floors=floors,
            tier_rates=rates,
            tier_deductions=deds,
            margin_gap=gap,
        )

    def _repr_html_(self) -> str:
        rows: list[tuple[str, Any]] = [("mode", "cross"), ("cash", self.cash)]
        rows += [(f"perp {p.market}", f"{p.size:+g} @ {p.entry_price:g}") for p in self.perps]
        rows += [
            (f"LP {m}", f"[{lp.price_lower:g}, {lp.price_upper:g}] L={lp.liquidity:.6g}")
            for lp, m in zip(self.lps, self.lp_markets, strict=True)
        ]
        return html_table(rows)


def isolated_vs_cross(
    perp: PerpPosition,
    price: float,
    *,
    lp: Any = None,
    cash: float = 0.0,
    wallet_lps: Sequence[Any] = (),
    wallet_cash: float = 0.0,
    collateral: CollateralModel | None = None,
    rules: MarginRules = DEFAULT_RULES,
) -> ModeComparison:
    """Compare margin modes for one wallet (one market, one price).

    Isolated: the perp is backed by ``lp`` and ``cash`` only; the rest of the wallet
    (``wallet_lps``, ``wallet_cash``) is untouched by a liquidation, so at most the isolated
    equity is lost. Cross: everything backs the perp, so the liquidation price is further away
    but the whole wallet is exposed.

    >>> from lpperp.position import LPPosition
    >>> lp = LPPosition.from_deposit(10_000, 3000.0, width_pct=20)
    >>> cmp = isolated_vs_cross(PerpPosition(6.0, 3000.0), 3000.0, lp=lp,
    ...                         wallet_cash=5_000.0)
    >>> round(cmp.isolated_at_risk, 6), round(cmp.cross_at_risk, 6)
    (10000.0, 15000.0)
    >>> bool(cmp.cross.liquidation_below < cmp.isolated.liquidation_below)
    True
    """
    price = positive("price", price)
    if np.ndim(price):
        raise LpperpError(f"price must be one price here, got an array of shape {np.shape(price)}")
    wallet_cash = finite("wallet_cash", wallet_cash)
    if np.ndim(wallet_cash):
        raise LpperpError("wallet_cash must be a scalar")
    model = collateral if collateral is not None else StaticFactor(1.0)
    iso = IsolatedAccount(perp, lp, cash, model, rules)
    wl = tuple(wallet_lps)
    lps = ((lp,) if lp is not None else ()) + wl
    cross = CrossAccount((perp,), lps, iso.cash + wallet_cash, model, rules)
    return ModeComparison(
        price=float(price),
        isolated=iso.summary(price),
        cross=cross.summary(price),
        isolated_at_risk=float(max(iso.equity(price), 0.0)),
        cross_at_risk=float(max(cross.equity(price), 0.0)),
        isolated_outcome=iso.liquidation_outcome(price),
        cross_outcome=cross.liquidation_outcome(price),
    )

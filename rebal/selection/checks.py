"""Risk4 checks and alerts: data fitness before selection, the portfolio after it, the market regime.

A CRITICAL failure blocks the run (alerts, no picks, no trades); WARNING asks for review; INFO is
context. Every check is a row of the run's checks table (``checks.csv``).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rebal.analytics.measures import classify_vix
from rebal.analytics.regime import market_vix
from rebal.calendar import sessions_after
from rebal.data.lakehouse import Lakehouse
from rebal.data.prices import last_closes
from rebal.selection.result import Alert, Risk4Result, round_or_none

if TYPE_CHECKING:
    from rebal.monitor.spec import PlannerSpec

__all__ = ["CHECK_COLUMNS", "add_check", "finish", "feature_checks", "post_selection_checks", "market_regime",
           "synthetic_inputs"]

#: Columns of the checks table.
CHECK_COLUMNS = ["check", "value", "limit", "status", "severity", "detail"]
_TREND_WINDOW = 200


def add_check(rows: list, name: str, value, limit: str, ok: bool, severity: str, detail: str = "") -> bool:
    """Append one row of the checks table; return ``ok``."""
    rows.append({"check": name, "value": value, "limit": limit, "status": "PASS" if ok else "FAIL",
                 "severity": severity, "detail": detail})
    return ok


def finish(res: Risk4Result, rows: list[dict]) -> Risk4Result:
    """Attach the checks table to ``res`` and return it."""
    res.checks = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return res


def feature_checks(res: Risk4Result, lh: Lakehouse, feats: pd.DataFrame, missing: list[str],
                   rows: list[dict]) -> pd.DataFrame | None:
    """Check the data before selection, appending to ``rows`` and ``res.alerts``.

    Freshness, NULL alpha, universe size, sectors, alpha dispersion and spread. Returns the filtered
    universe (rows with a sector, ``vol_blend > 0``, an alpha and ``adv_20 >= min_adv``), or None
    without features.
    """
    spec, day, fdate, alerts = res.profile.risk4, res.date, res.feature_date, res.alerts
    c = spec.checks
    if not add_check(rows, "required feature columns", "missing " + ", ".join(missing) if missing else "all present",
                     "alpha, vol_blend, adv_20", not missing, "CRITICAL"):
        alerts.append(Alert("CRITICAL", "missing_columns", f"features table lacks {', '.join(missing)}; "
                            "build it with `rebal features build`"))
    src = "alpha_imported" if spec.alpha_source == "imported" else "features"
    if fdate is None:
        if not missing:
            add_check(rows, "data freshness (sessions)", "no features", f"<= {c.max_stale_sessions}", False, "CRITICAL")
            alerts.append(Alert("CRITICAL", "no_features",
                                f"no {src} rows on or before {day}; build them with `rebal features build`"
                                + (" or import them with `rebal data import alpha FILE`"
                                   if src == "alpha_imported" else "")))
        return None
    stale = sessions_after(fdate, day)
    res.data_freshness = {"features_latest": str(fdate), "sessions_stale": stale, "alpha_source": src}
    if not add_check(rows, "data freshness (sessions)", stale, f"<= {c.max_stale_sessions}",
                     stale <= c.max_stale_sessions, "CRITICAL", f"latest feature date {fdate}"):
        alerts.append(Alert("CRITICAL", "stale_data", f"stale data: latest {src} date {fdate} is {stale} NYSE sessions "
                            f"before {day} (limit {c.max_stale_sessions})"))
    null_share = float(feats["alpha"].isna().mean()) if len(feats) else 1.0
    if not add_check(rows, "NULL alpha share", round(null_share, 4), f"<= {c.max_null_alpha:.0%}",
                     null_share <= c.max_null_alpha, "CRITICAL",
                     f"{int(feats['alpha'].isna().sum())} of {len(feats)} rows"):
        alerts.append(Alert("CRITICAL", "null_alpha", f"{null_share:.1%} of alpha values on {fdate} are NULL "
                            f"(limit {c.max_null_alpha:.0%})"))
    u = feats.dropna(subset=["sector", "vol_blend", "alpha"])
    adv_ok = u["adv_20"] >= spec.min_adv
    no_volume = bool(len(feats)) and bool(feats["adv_20"].isna().all())
    if no_volume:  # close-only data: dollar ADV needs volume
        if spec.min_adv > 0:
            alerts.append(Alert("CRITICAL", "no_volume", f"no volume in the data on {fdate}: the ADV filter "
                                f"(risk4.min_adv ${spec.min_adv:,.0f}) is not available without volume; import "
                                "volume, or set `risk4.min_adv: 0` to select on closes alone"))
        else:
            adv_ok = adv_ok | u["adv_20"].isna()
            alerts.append(Alert("WARNING", "no_volume", "no volume in the data: ADV is not available without volume, "
                                "so the ADV filter is off (risk4.min_adv 0) and liquidity is not checked"))
    u = u[(u["vol_blend"] > 0) & adv_ok].copy()
    n = len(u)
    if not add_check(rows, "names passing filters", n, f">= {c.min_names}", n >= c.min_names, "CRITICAL",
                     f"ADV >= ${spec.min_adv:,.0f}, sector and vol present"):
        alerts.append(Alert("CRITICAL", "too_few_names", f"only {n} names pass the filters (minimum {c.min_names})"))
    if not add_check(rows, "universe size", n, f">= {c.min_universe}", n >= c.min_universe, "WARNING"):
        alerts.append(Alert("WARNING", "small_universe",
                            f"{n} names pass the ADV filter (expected >= {c.min_universe})"))
    shares_s = u["sector"].value_counts(normalize=True) if n else pd.Series(dtype=float)
    k = int(shares_s.size)
    if not add_check(rows, "sectors represented", k, f">= {c.min_sectors}", k >= c.min_sectors, "WARNING"):
        alerts.append(Alert("WARNING", "missing_sectors",
                            f"{k} GICS sectors in the universe (expected >= {c.min_sectors})"))
    top_share = float(shares_s.max()) if k else 0.0
    if not add_check(rows, "largest sector share", round(top_share, 4), f"<= {c.max_sector_share:.0%}",
                     top_share <= c.max_sector_share, "WARNING", shares_s.index[0] if k else ""):
        alerts.append(Alert("WARNING", "sector_concentration",
                            f"{shares_s.index[0]} is {top_share:.0%} of the universe (limit {c.max_sector_share:.0%})"))
    std = float(u["alpha"].std(ddof=1)) if n > 1 else 0.0
    if not add_check(rows, "alpha cross-sectional std", round(std, 4), f"> {c.min_alpha_std}", std > c.min_alpha_std,
                     "CRITICAL"):
        alerts.append(Alert("CRITICAL", "flat_alpha", f"alpha std {std:.3f} <= {c.min_alpha_std}: signal degenerate"))
    dec = max(1, n // 10)
    srt = u["alpha"].sort_values()
    spread = float((srt.iloc[-dec:].mean() - srt.iloc[:dec].mean()) / std) if n > 1 and std > 0 else 0.0
    if not add_check(rows, "top-bottom decile spread (std)", round(spread, 3), f"> {c.min_spread_std}",
                     spread > c.min_spread_std, "CRITICAL", f"deciles of {dec} names"):
        alerts.append(Alert("CRITICAL", "weak_spread",
                            f"top-bottom alpha spread {spread:.2f} std <= {c.min_spread_std}"))
    res.synthetic_inputs = synthetic_inputs(lh, list(u.index), day)
    return u


def post_selection_checks(res: Risk4Result, lh: Lakehouse, composition: pd.Series, rows: list[dict],
                          prev: date | None) -> None:
    """Check the selected portfolio, appending to ``rows`` and ``res.alerts``.

    Caps after turnover control, turnover, largest position, the market regime and its change since
    the rebalance day ``prev``, synthetic inputs.
    """
    profile, spec, day, prior, alerts = res.profile, res.profile.risk4, res.date, res.prior, res.alerts
    c = spec.checks
    comp_max = float(composition.max())
    sec_over = res.sectors["weight_of_invested"] > res.sectors["cap"].fillna(np.inf) + 1e-9
    add_check(rows, "position cap (of invested)", round(comp_max, 4), f"<= {spec.max_position:.2%}",
              comp_max <= spec.max_position + 1e-9, "WARNING",
              "after turnover control; a prior overweight is only partly unwound"
              if comp_max > spec.max_position + 1e-9 else "")
    add_check(rows, "sector caps (of invested)", ", ".join(res.sectors.index[sec_over]) or "all within",
              f"<= {spec.sector_multiple:g} x universe share", not sec_over.any(), "WARNING")
    if not add_check(rows, "turnover vs prior", round(res.turnover, 4), f"<= {c.turnover_warning:.0%}",
                     res.turnover <= c.turnover_warning, "WARNING",
                     "initial deployment from cash" if not len(prior.shares) else ""):
        alerts.append(Alert("WARNING", "high_turnover", f"turnover {res.turnover:.1%} above {c.turnover_warning:.0%}"
                            + (" (initial deployment from cash)" if not len(prior.shares) else "")
                            + ": review before trading"))
    big = res.picks[res.picks["weight"] > c.position_warning]
    if not add_check(rows, "largest position", round(float(res.picks["weight"].max()), 4),
                     f"<= {c.position_warning:.0%}", big.empty, "WARNING"):
        alerts.append(Alert("WARNING", "large_position", f"{big['ticker'].iloc[0]} at {big['weight'].iloc[0]:.1%} "
                            f"> {c.position_warning:.0%}: manual cap review"))
    res.regime = market_regime(lh, profile.benchmark, day, profile.planner)
    if prev is not None:
        before = market_regime(lh, profile.benchmark, prev, profile.planner)
        if before["current"] != res.regime["current"]:
            alerts.append(Alert("INFO", "regime_change", f"regime changed from {before['current']} ({prev}) "
                                f"to {res.regime['current']}"))
    if res.synthetic_inputs:
        alerts.append(Alert("INFO", "synthetic_inputs", "synthetic inputs: " + "; ".join(res.synthetic_inputs)))


def market_regime(lh: Lakehouse, benchmark: str, day: date, spec_planner: PlannerSpec) -> dict:
    """Classify the market regime of ``day``, e.g. ``normal_vol_bull``.

    Volatility from the VIX (or its proxy, in VIX points) at the planner's levels, trend from the
    benchmark's close against its 200-session average.
    """
    view = lh.at(day)
    vix, vix_source = market_vix(view, benchmark, day)
    name = classify_vix(vix, elevated=spec_planner.elevated_vix, stress=spec_planner.stress_vix,
                        widening=spec_planner.regime_widening)[0] if np.isfinite(vix) else "unknown"
    vol_regime = {"normal": "normal_vol", "elevated": "elevated_vol", "stress": "high_vol"}.get(name, "unknown")
    px = last_closes(lh, benchmark, day, _TREND_WINDOW)
    if len(px) >= _TREND_WINDOW:
        trend = "bull" if px.iloc[-1] >= px.iloc[-_TREND_WINDOW:].mean() else "bear"
    else:
        trend = "unknown"
    return {"current": f"{vol_regime}_{trend}", "vol_regime": vol_regime, "trend_regime": trend,
            "vix": round_or_none(vix, 2), "vix_source": vix_source,
            "trend_rule": f"{benchmark} close vs its {_TREND_WINDOW}-session average"}


def synthetic_inputs(lh: Lakehouse, tickers: list[str], day: date) -> list[str]:
    """Which inputs of a run are synthetic (labelled in the alerts and the report)."""
    if lh.meta().get("universe") == "synthetic":
        return ["the whole universe (prices, volumes, sectors) is a seeded synthetic test fixture, not market data"]
    if tickers and lh.at(day).has_synthetic_ohlv(tickers):
        return ["volumes (and so adv_20 and the ADV filter) come from the calibrated synthetic OHLV layer"]
    return []

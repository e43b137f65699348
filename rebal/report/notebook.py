"""Helpers for template notebooks: set-up, context, tables, cards, figures and scraps.

Templates stay thin: they call :func:`start`, compute with the package, and show results
with the helpers here. Nothing here computes a metric.
"""
from __future__ import annotations

import html
import io
import json
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Mapping

import numpy as np
import pandas as pd

from rebal.config import Profile, load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.paths import Paths, get_paths
from rebal.report.plots import REC_COLORS as _REC_COLORS
from rebal.report.plots import STATUS_COLORS
from rebal.provenance import provenance
from rebal.monitor.state import StateStore

__all__ = ["ReportRun", "start", "show", "table", "badge", "summary_card", "note", "provenance_table",
           "drift_scraps", "signed_pct", "asof_note", "drift_sources_note", "yes_no", "ECONOMICS_FORMATS",
           "planner_card", "planner_flags", "economics_table", "planner_scraps", "sensitivity_card",
           "sensitivity_scraps", "factor_card", "cluster_table", "alpha_table", "liquidity_note", "factor_scraps",
           "risk4_card", "risk4_alerts", "checks_table", "picks_table", "trades_table", "schedule_table",
           "risk4_parameters", "risk4_synthetic_note", "risk4_scraps", "proposal_card", "proposal_flags",
           "changes_table", "limits_table", "simulation_table", "costs_table", "proposal_trades", "proposal_scraps",
           "proposal_parameters", "target_method_note", "black_litterman_tables"]


@dataclass(frozen=True)
class ReportRun:
    """What a template notebook runs against."""

    paths: Paths
    profile: Profile
    lakehouse: Lakehouse
    as_of: date
    data_latest: date
    started: datetime
    requested_as_of: str

    @property
    def states(self) -> StateStore:
        """Accepted portfolio states (Last Implemented State history)."""
        return StateStore(self.paths.states_dir)

    def provenance(self) -> dict[str, str]:
        """Provenance facts for the end of the report."""
        return provenance(as_of=self.as_of, profile_source=self.profile.source,
                          profile_sha256=self.profile.sha256, snapshot=self.lakehouse.snapshot(),
                          home=self.paths.home, started=self.started)


def setup() -> None:
    """Quiet, consistent output: no warnings in reports, readable tables and figures."""
    warnings.filterwarnings("ignore")
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 120)
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "font.size": 10,
                         "axes.titlesize": 11, "axes.titleweight": "bold"})


def start(profile: str, as_of: str = "", home: str = "") -> ReportRun:
    """Load the profile and open the lakehouse as of ``as_of`` (``""``: latest data).

    Every read through ``run.lakehouse`` is limited to rows dated on or before the as-of date.
    """
    setup()
    started = datetime.now(timezone.utc)
    paths = get_paths(home or None)
    base = Lakehouse(paths.lakehouse)
    prof = load_profile(profile, paths.params_dir, known_tickers=base.known_tickers())
    latest = base.latest_date()
    when = date.fromisoformat(as_of) if as_of else latest
    return ReportRun(paths, prof, base.at(when), when, latest, started, as_of)


def show(fig: Any) -> None:
    """Display a matplotlib figure as an embedded PNG and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png", width=int(fig.get_figwidth() * 72)))


def _html(markup: str) -> Any:
    from IPython.display import HTML

    return HTML(markup)


def badge(status: str) -> str:
    """Coloured status badge (HTML)."""
    color = STATUS_COLORS.get(status, "#455a64")
    return (f'<span style="background:{color};color:#fff;padding:2px 10px;border-radius:4px;'
            f'font-weight:700;letter-spacing:.04em">{html.escape(status)}</span>')


def note(text: str, kind: str = "info") -> Any:
    """A highlighted paragraph (``info``, ``warning`` or ``synthetic``)."""
    colors = {"info": ("#e3f2fd", "#1565c0"), "warning": ("#fff3e0", "#ef6c00"), "synthetic": ("#f3e5f5", "#6a1b9a")}
    bg, fg = colors.get(kind, colors["info"])
    return _html(f'<div class="rebal-note" style="background:{bg};border-left:4px solid {fg};'
                 f'padding:6px 12px;margin:6px 0">{text}</div>')


def signed_pct(x: float) -> str:
    """``+1.23%`` style, with rounding noise shown as ``0.00%`` rather than ``-0.00%``."""
    return "0.00%" if abs(x) < 5e-5 else f"{x:+.2%}"


def table(df: pd.DataFrame, formats: Mapping[str, Any] | None = None, *, caption: str = "",
          highlight: str | None = None, highlight_color: str = "#c62828", index: bool = True) -> Any:
    """Render a DataFrame as a clean HTML table.

    ``highlight`` names a boolean column whose true rows are shown bold in ``highlight_color``
    (red by default: a breach; pass another colour when the mark is not a warning).
    """
    show_df = df.drop(columns=[highlight]) if highlight else df
    sty = show_df.style.format(formats or {}, na_rep="—")
    text_cols = [c for c in show_df.columns if not pd.api.types.is_numeric_dtype(show_df[c])]
    if text_cols:
        sty = sty.set_properties(subset=text_cols, **{"text-align": "left"})
    if highlight:
        rows = [i for i, f in enumerate(df[highlight].to_numpy()) if f]

        def _mark(data: pd.DataFrame) -> pd.DataFrame:
            out = pd.DataFrame("", index=data.index, columns=data.columns)
            out.iloc[rows, :] = f"color:{highlight_color};font-weight:600"
            return out

        sty = sty.apply(_mark, axis=None)
    if not index:
        sty = sty.hide(axis="index")
    if caption:
        sty = sty.set_caption(html.escape(caption))
    sty = sty.set_table_attributes('class="rebal-table"')
    return _html(sty.to_html())


def summary_card(audit: Any) -> Any:
    """The headline box of the drift audit: status, drift, thresholds, dates."""
    r, p, th = audit.result, audit.profile, audit.profile.drift
    rows = [
        ("Profile", f"{html.escape(p.name)} — {html.escape(p.description)}"),
        ("Status", f"{badge(r.status.value)} &nbsp; {html.escape(r.status.meaning)}"),
        ("Why", "; ".join(html.escape(x) for x in r.reasons)),
        ("Portfolio drift", f"{r.portfolio_drift:.2%} (rebalance above {th.rebalance:.0%}, urgent above {th.urgent:.0%})"),
        ("Largest asset drift", f"{html.escape(r.max_drift_asset)} {audit.table.loc[r.max_drift_asset, 'drift']:+.2%} "
                                f"(urgent beyond ±{th.single_asset_urgent:.1%})"),
        ("Portfolio value", f"${audit.total_value:,.0f} on {audit.as_of}" if audit.total_value is not None
         else "not known (the Last Implemented State records weights only)"),
        ("Last Implemented State", html.escape(audit.lis.detail)),
        ("Target", f"{html.escape(audit.target.method)}" + (
            f", fitted on {audit.target.n_observations} daily returns {audit.target.window_start} .. {audit.target.fitted_on}"
            if audit.target.n_observations else ", fixed in the profile")),
        ("Data as of", f"{audit.as_of}; latest data in the lakehouse {audit.data_latest}"),
    ]
    body = "".join(f'<tr><th style="text-align:left;padding:3px 12px 3px 0;vertical-align:top;white-space:nowrap">{k}</th>'
                   f'<td style="text-align:left;padding:3px 0">{v}</td></tr>' for k, v in rows)
    return _html(f'<div class="rebal-card" style="border:1px solid #cfd8dc;border-radius:6px;padding:10px 14px;'
                 f'margin:8px 0"><table style="border:none;width:100%">{body}</table></div>')


def asof_note(audit: Any) -> Any:
    """What data the report saw: the as-of date, the look-ahead guarantee, real vs synthetic inputs."""
    if audit.is_rerun:
        when = (f"(a rerun: the lakehouse holds data to {audit.data_latest}; nothing dated after "
                f"{audit.as_of} was read).")
    else:
        when = "(the latest data in the lakehouse)."
    age = (date.today() - audit.as_of).days
    old = (f" The report was generated on {date.today()}, {age} days after the as-of date: these are "
           "historical figures, not today's." if age > 7 else "")
    return note(f"Computed as of <b>{audit.as_of}</b> using only data dated on or before that day {when} "
                "Inputs: real adjusted closes only; the synthetic volume layer is not used in this report."
                + old)


def drift_sources_note(audit: Any) -> Any:
    """Price drift vs target change since the last implementation."""
    return note(f"Price drift since {audit.lis.as_of}: <b>{audit.price_drift:.2%}</b>. "
                f"Target change over the same period: <b>{audit.target_change:.2%}</b>. "
                f"Drift against today's target: <b>{audit.result.portfolio_drift:.2%}</b>.")


def provenance_table(facts: Mapping[str, str]) -> Any:
    """Provenance facts as a two-column table."""
    df = pd.DataFrame({"value": list(facts.values())}, index=pd.Index(list(facts), name="fact"))
    return table(df)


def drift_scraps(audit: Any) -> dict[str, Any]:
    """Key results of a drift audit as plain types scrapbook can encode."""
    r = audit.result
    t = audit.table.reset_index()
    t["breach"] = t["breach"].astype(bool)
    return {
        "profile": audit.profile.name,
        "as_of": str(audit.as_of),
        "data_latest": str(audit.data_latest),
        "status": r.status.value,
        "portfolio_drift": float(r.portfolio_drift),
        "max_abs_drift": float(r.max_abs_drift),
        "max_drift_asset": str(r.max_drift_asset),
        "reasons": list(r.reasons),
        "n_assets": int(len(audit.table)),
        "total_value": float(audit.total_value) if audit.total_value is not None else float("nan"),
        "last_implemented": str(audit.lis.as_of),
        "lis_source": audit.lis.source,
        "price_drift": float(audit.price_drift),
        "target_change": float(audit.target_change),
        "thresholds": {"rebalance": audit.profile.drift.rebalance, "urgent": audit.profile.drift.urgent,
                       "single_asset_urgent": audit.profile.drift.single_asset_urgent},
        "drift_table": t[["asset", "name", "sector", "actual", "target", "drift", "breach", "value"]].astype(
            {"name": str, "sector": str}),
    }


def yes_no(flag: Any) -> str:
    """``yes`` / ``no`` for booleans in tables."""
    return "yes" if bool(flag) else "no"


def _card(rows: list[tuple[str, str]]) -> Any:
    body = "".join(f'<tr><th style="text-align:left;padding:3px 12px 3px 0;vertical-align:top;white-space:nowrap">{k}</th>'
                   f'<td style="text-align:left;padding:3px 0">{v}</td></tr>' for k, v in rows)
    return _html(f'<div class="rebal-card" style="border:1px solid #cfd8dc;border-radius:6px;padding:10px 14px;'
                 f'margin:8px 0"><table style="border:none;width:100%">{body}</table></div>')


# -- planner ------------------------------------------------------------------------------------

ECONOMICS_FORMATS = {"drift": signed_pct, "vol 60d": "{:.1%}", "drift speed": "{:.1%}", "speed pct": "{:.0%}",
                     "trade (USD)": "{:+,.0f}", "dollar ADV": "{:,.0f}", "liquidity days": "{:.2f}",
                     "spread bps": "{:.1f}", "impact bps": "{:.2f}", "cost bps": "{:.2f}"}


def planner_card(panel: Any) -> Any:
    """Headline of the decision panel."""
    m = panel.metrics
    rec = panel.recommendation.split(":")[0]
    color = {"TRADE": "URGENT", "REVIEW": "REBALANCE", "DELAY": "REBALANCE"}.get(rec, "MAINTAIN")
    return _card([
        ("Recommendation", f'<span style="background:{STATUS_COLORS[color]};color:#fff;padding:2px 10px;'
                           f'border-radius:4px;font-weight:700">{html.escape(rec)}</span> '
                           f"{html.escape(panel.recommendation.split(':', 1)[-1].strip())}"),
        ("Tracking error of the drift", f"{m['te_252d']:.2%} a year (252-session covariance); {m['te_60d']:.2%} (60 "
                                        f"sessions); {m['te_diagonal_252d']:.2%} ignoring correlations"),
        ("Cost of a full rebalance", f"{m['rebalancing_cost']:.3%} of ${m['portfolio_value']:,.0f}"),
        ("Cost-benefit ratio", f"{m['cost_benefit']:.3f} (cost / expected TE reduction; act when below 1)"),
        ("Market regime", f"VIX {panel.vix:.1f}: {html.escape(panel.regime)} ({html.escape(panel.vix_source)})"),
        ("Drift threshold in force", f"{m['effective_threshold']:.2%} vs portfolio drift {m['portfolio_drift']:.2%} "
                                     f"(the drift status above uses its own thresholds: rebalance above "
                                     f"{panel.status_rebalance_threshold:.0%})"),
        ("Sessions since implementation", f"{m['days_since_implementation']:.0f}"),
    ])


def planner_flags(panel: Any) -> Any:
    """What the panel estimated rather than observed (one highlighted box)."""
    if not panel.flags:
        return note("All inputs observed; nothing estimated.")
    items = "".join(f"<li>{html.escape(f)}</li>" for f in panel.flags)
    kind = "synthetic" if panel.synthetic_inputs else "warning"
    return note(f"<b>Estimated or synthetic inputs</b><ul style='margin:2px 0'>{items}</ul>", kind)


def economics_table(panel: Any) -> pd.DataFrame:
    """Per-asset economics with readable column names, largest |drift| first."""
    t = panel.assets.rename(columns={"vol_60d": "vol 60d", "drift_speed": "drift speed", "speed_pct": "speed pct",
                                     "trade_usd": "trade (USD)", "dollar_adv": "dollar ADV",
                                     "liquidity_days": "liquidity days", "spread_bps": "spread bps",
                                     "impact_bps": "impact bps", "cost_bps": "cost bps"})
    return t.iloc[t["drift"].abs().to_numpy().argsort()[::-1]]


def planner_scraps(panel: Any) -> dict[str, Any]:
    """Key planner results as plain types."""
    m = {f"planner_{k}": float(v) for k, v in panel.metrics.items()}
    return {**m, "recommendation": panel.recommendation, "vix": float(panel.vix), "vix_source": panel.vix_source,
            "regime": panel.regime, "planner_flags": list(panel.flags),
            "triggers_fired": [str(r) for r, f in zip(panel.triggers["rule"], panel.triggers["fires"]) if f]}


# -- market sensitivity -------------------------------------------------------------------------

def sensitivity_card(sens: Any) -> Any:
    """Headline of the beta/correlation audit."""
    b, spec = sens.beta, sens.profile.sensitivity
    flag = ("<br>".join(html.escape(f) for f in sens.flags) if sens.flags else
            (f"none (defensive limit β ≤ {spec.beta_limit:.2f})" if spec.defensive else "none (not a defensive profile)"))
    return _card([
        ("Profile", f"{html.escape(sens.profile.name)} vs {html.escape(sens.profile.benchmark)}"),
        ("Beta", f"{b.beta:.3f} (standard error {b.beta_se:.3f}; 95 % interval {b.beta - 1.96 * b.beta_se:.2f} .. "
                 f"{b.beta + 1.96 * b.beta_se:.2f})"),
        ("Correlation", f"{b.correlation:.3f} (R² {b.r_squared:.3f})"),
        ("Volatility", f"profile {sens.portfolio_vol:.1%}, benchmark {sens.benchmark_vol:.1%} (annualised)"),
        ("Window", f"{b.n_obs} daily returns, {b.start} .. {b.end}; rolling beta over {spec.rolling_days}"),
        ("Flags", flag),
    ])


def sensitivity_scraps(sens: Any) -> dict[str, Any]:
    """Key sensitivity results as plain types."""
    b = sens.beta
    return {"profile": sens.profile.name, "as_of": str(sens.as_of), "beta": b.beta, "beta_se": b.beta_se,
            "correlation": b.correlation, "r_squared": b.r_squared, "n_obs": b.n_obs,
            "portfolio_vol": sens.portfolio_vol, "benchmark_vol": sens.benchmark_vol,
            "aggressive": bool(sens.flags), "flags": list(sens.flags),
            "rolling_beta_last": float(sens.rolling.iloc[-1]) if len(sens.rolling) else float("nan")}


# -- factor map ---------------------------------------------------------------------------------

def factor_card(fa: Any, profile: Profile) -> Any:
    """Headline of the factor map."""
    fm = fa.map
    iso = ", ".join(f"C{c} ({fm.members.loc[c, 'members']})" for c in fm.isolated) or "none"
    quality = "good" if fm.stress < 0.1 else "fair" if fm.stress <= 0.2 else "poor: read the map as a sketch"
    return _card([
        ("Universe", f"{len(fa.tickers)} assets of profile {html.escape(profile.name)}"),
        ("Clusters", f"{int(fm.labels.max())} ({html.escape(profile.factor_map.linkage)} linkage on correlation distance)"),
        ("Window", f"daily returns {fa.window[0]} .. {fa.window[1]}"),
        ("Map fit", f"Kruskal stress-1 {fm.stress:.3f} ({quality})"),
        ("Isolated diversifiers", html.escape(iso)),
        ("Cluster leads", html.escape(", ".join(f"C{c}: {t}" for c, t in fa.leads.items()))),
    ])


def cluster_table(fa: Any) -> pd.DataFrame:
    """Cluster membership with lead, dominant sector, nearest-neighbour distance and isolation."""
    fm = fa.map
    t = fm.members.copy()
    t["lead"] = fa.leads.reindex(t.index)
    t["nearest distance"] = fm.nearest.reindex(t.index)
    t["isolated"] = ["yes" if c in fm.isolated else "" for c in t.index]
    t.index = [f"C{c}" for c in t.index]
    t.index.name = "cluster"
    return t.rename(columns={"dominant_sector": "dominant sector"})


def alpha_table(fa: Any) -> pd.DataFrame:
    """Execution alpha per asset, grouped by cluster, leads marked."""
    a = fa.alpha.copy()
    a.insert(0, "cluster", [f"C{c}" for c in fa.map.labels.reindex(a.index)])
    a["lead"] = [t in set(fa.leads) for t in a.index]
    a = a.rename(columns={"momentum_12_1": "12-1 momentum", "vol_60d": "vol 60d", "dollar_adv_20": "dollar ADV 20d",
                          "atr_over_price": "ATR / price"}).drop(columns=["centroid_corr"])
    a = a.sort_values(["cluster", "alpha"], ascending=[True, False])
    a.index.name = "asset"
    return a


def liquidity_note(fa: Any) -> Any:
    """Say whether the liquidity inputs are synthetic."""
    if fa.synthetic_liquidity:
        return note("<b>Synthetic inputs.</b> Dollar volume and high/low (hence the Liquidity score and ATR) come "
                    "from the calibrated synthetic layer of the sample lakehouse (<code>ohlv_synthetic</code>), not "
                    "from the market. Momentum, stability and conviction use real closes.", "synthetic")
    return note("All inputs are observed market data.")


def factor_scraps(fa: Any) -> dict[str, Any]:
    """Key factor-map results as plain types."""
    fm = fa.map
    return {"as_of": str(fa.as_of), "n_clusters": int(fm.labels.max()), "stress": float(fm.stress),
            "isolated_clusters": [int(c) for c in fm.isolated],
            "leads": {str(c): str(t) for c, t in fa.leads.items()},
            "cluster_of": {str(t): int(c) for t, c in fm.labels.items()},
            "synthetic_liquidity": bool(fa.synthetic_liquidity)}


# -- Risk4 ---------------------------------------------------------------------------------------

_R4_COLORS = {"OK": STATUS_COLORS["MAINTAIN"], "WARNING": STATUS_COLORS["REBALANCE"], "BLOCKED": STATUS_COLORS["URGENT"]}


def risk4_card(res: Any) -> Any:
    """Headline of a Risk4 run."""
    spec = res.profile.risk4
    status = (f'<span style="background:{_R4_COLORS[res.status]};color:#fff;padding:2px 10px;border-radius:4px;'
              f'font-weight:700">{res.status}</span>')
    rows = [("Run", f"{status} rebalance of {res.date}" + ("" if res.is_rebalance_day else " (not a scheduled day)")
             + f"; next {res.next_rebalance} (every {spec.every} NYSE sessions from {spec.anchor})")]
    if res.blocked:
        return _card(rows + [("Blocked because", html.escape(res.block_reason))])
    s = res.summary()
    return _card(rows + [
        ("Portfolio", f"{s['portfolio']['n_positions']} positions from a universe of {len(res.universe)}; exposure "
                      f"{res.exposure:.1%}, cash {1 - res.exposure:.1%} (vol targeting, gross ≤ {spec.max_gross:.0%}); "
                      f"value ${res.value:,.0f}"),
        ("Estimated volatility", f"{res.estimated_vol:.1%} a year vs target {spec.target_vol:.0%} "
                                 f"({res.vol_unscaled:.1%} before scaling; Ledoit-Wolf, {spec.cov_lookback} sessions)"),
        ("Estimated beta", f"{res.estimated_beta:.2f} to {html.escape(res.profile.benchmark)}"),
        ("Turnover vs prior", f"{res.turnover:.1%} of value traded one way (composition {res.turnover_composition:.1%}, "
                              f"capped at {spec.max_turnover:.0%}); prior: {html.escape(res.prior.source)}"),
        ("Top 5 weight", f"{s['portfolio']['top_5_weight']:.1%}"),
        ("Regime", f"{html.escape(res.regime.get('current', ''))} (VIX {res.regime.get('vix')}: "
                   f"{html.escape(str(res.regime.get('vix_source')))}; trend: {html.escape(res.regime.get('trend_rule', ''))})"),
        ("Data", f"features of {res.feature_date} ({res.data_freshness.get('sessions_stale')} session(s) before the run)"),
    ])


def risk4_alerts(res: Any) -> Any:
    """The alerts as a table, or a note that there are none."""
    if not res.alerts:
        return note("No alerts.")
    colors = {"CRITICAL": STATUS_COLORS["URGENT"], "WARNING": STATUS_COLORS["REBALANCE"], "INFO": "#1565c0"}
    rows = "".join(f'<tr><td style="color:{colors[a.severity]};font-weight:700">{a.severity}</td>'
                   f"<td>{html.escape(a.code)}</td><td style='text-align:left'>{html.escape(a.message)}</td></tr>"
                   for a in res.alerts)
    return _html(f'<table class="rebal-table"><thead><tr><th>severity</th><th>alert</th><th>message</th></tr></thead>'
                 f"<tbody>{rows}</tbody></table>")


def checks_table(res: Any) -> pd.DataFrame:
    """Checks with a ``failed`` marker column for :func:`table`'s highlight."""
    t = res.checks.copy()
    t["value"] = t["value"].astype(str)
    return t.assign(failed=t["status"] == "FAIL").set_index("check")


def picks_table(res: Any) -> pd.DataFrame:
    """The picks as the committee reads them."""
    p = res.picks.copy()
    p["value"] = p["target_shares"] * p["price"]
    p = p.rename(columns={"alpha_z": "alpha z", "vol_blend": "vol blend", "adv_20": "ADV 20d ($)",
                          "target_shares": "target shares"})
    p["rank"] = p["rank"].astype("Int64")
    return p.set_index("ticker")[["rank", "sector", "alpha z", "vol blend", "ADV 20d ($)", "weight", "target shares",
                                  "price", "value"]]


def trades_table(res: Any) -> pd.DataFrame:
    """The trade list, sells first then buys, largest first."""
    t = res.trades.copy()
    t["order"] = t["action"].map({"SELL": 0, "BUY": 1})
    t = t.sort_values(["order", "estimated_value"], ascending=[True, False]).drop(columns="order")
    return t.set_index("ticker").rename(columns={"estimated_value": "value ($)"})


def schedule_table(res: Any) -> pd.DataFrame:
    """The next 10 rebalance dates with their weekday."""
    from rebal.calendar import next_rebalance_dates

    spec = res.profile.risk4
    d = next_rebalance_dates(res.date + pd.Timedelta(days=1), 10, anchor=spec.anchor, every=spec.every)
    return pd.DataFrame({"date": [str(x) for x in d], "weekday": [pd.Timestamp(x).day_name() for x in d]},
                        index=pd.RangeIndex(1, 11, name="#"))


def risk4_parameters(profile: Profile) -> pd.DataFrame:
    """The profile's Risk4 parameters next to the production defaults of the spec."""
    from dataclasses import fields

    from rebal.selection.spec import Risk4Checks, Risk4Spec

    spec, dflt = profile.risk4, Risk4Spec()
    rows = []
    for f in fields(Risk4Spec):
        if f.name != "checks":
            rows.append((f.name, getattr(spec, f.name), getattr(dflt, f.name)))
    for f in fields(Risk4Checks):
        rows.append((f"checks.{f.name}", getattr(spec.checks, f.name), getattr(dflt.checks, f.name)))
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "production default"]).set_index("parameter")
    t = t.astype(str)
    return t.assign(scaled=t["this profile"] != t["production default"])


def risk4_synthetic_note(res: Any) -> Any:
    """What in the inputs is synthetic or estimated."""
    items = list(res.synthetic_inputs) + [
        "alpha is this package's documented public composite (12-1 momentum, 1-month reversal, low volatility), "
        "not the original proprietary alpha" if res.data_freshness.get("alpha_source") == "features" else
        "alpha is the user's imported signal (alpha_imported)",
        "beta and volatility are estimates from the last year of daily returns (Ledoit-Wolf shrinkage)",
        "the sample universe is 20 stocks chosen after the fact (survivorship bias); thresholds are scaled to it",
    ]
    body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return note(f"<b>Synthetic, proxied or estimated inputs</b><ul style='margin:2px 0'>{body}</ul>", "synthetic")


def risk4_scraps(res: Any) -> dict[str, Any]:
    """Key Risk4 results as plain types."""
    out: dict[str, Any] = {"risk4_status": res.status, "rebalance_date": str(res.date),
                           "is_rebalance_day": bool(res.is_rebalance_day), "next_rebalance": str(res.next_rebalance),
                           "alerts": [f"{a.severity}: {a.message}" for a in res.alerts]}
    if res.blocked:
        return out
    return out | {"n_positions": int((res.weights > 0).sum()), "turnover": float(res.turnover),
                  "estimated_vol": float(res.estimated_vol), "estimated_beta": float(res.estimated_beta),
                  "exposure": float(res.exposure), "universe_size": int(len(res.universe)),
                  "picks": res.picks[["ticker", "weight", "target_shares", "sector", "alpha_z", "rank"]],
                  "trades": res.trades}


# -- rebalance proposal ----------------------------------------------------------------------------



def proposal_card(p: Any) -> Any:
    """Headline of a rebalance proposal."""
    rec = (f'<span style="background:{_REC_COLORS[p.recommendation]};color:#fff;padding:2px 10px;border-radius:4px;'
           f'font-weight:700">{p.recommendation}</span> confidence {p.confidence}')
    b, c, s = p.allocation.breaker, p.costs, p.simulation
    mode = p.allocation.mode.replace("_", "-")
    if p.allocation.mode != p.mode_requested:
        mode += f" (requested {p.mode_requested.replace('_', '-')}: fell back)"
    rows = [("Recommendation", rec),
            ("Proposal", f"<code>{html.escape(p.id)}</code> as of {p.as_of}; holdings of {p.holdings_date}"),
            ("Portfolio", f"${p.value:,.0f}; deployed {1 - p.current.get('CASH', 0.0):.1%} now, "
                          f"{1 - p.proposed.get('CASH', 0.0):.1%} proposed"),
            ("Drift", f"{p.drift:.2%} from the {html.escape(p.data['target_method'].replace('_', ' '))} target "
                      f"({p.drift_status})"),
            ("Mode", html.escape(mode)),
            ("Circuit breakers", f"{b.status}: {len(b.checks)} checks, {len(b.adjustments)} adjustment(s) in "
                                 f"{b.iterations} round(s)" + (f" — {html.escape(b.reason)}" if b.reason else "")),
            ("Trades", f"{len(p.trades.trades)} worth ${c['traded_value']:,.0f}; estimated cost {c['total_bps']:.1f} bps "
                       f"(${c['total_usd']:,.0f})")]
    if s is not None:
        oos = (f"{s.improvement_out_of_sample:+.1%} out-of-sample (walk-forward)" if s.improvement_out_of_sample
               is not None else "no out-of-sample estimate")
        rows.append(("Net improvement", f"{oos}; {s.improvement_in_sample:+.1%} in-sample (look-ahead) — relative "
                                        "change of the Sharpe ratio net of costs"))
    return _card(rows)


def proposal_flags(p: Any) -> Any:
    """Warnings and alerts, or a note that there are none."""
    items = [("ALERT", a, STATUS_COLORS["URGENT"]) for a in p.alerts] + \
            [("WARNING", w, STATUS_COLORS["REBALANCE"]) for w in p.warnings]
    if not items:
        return note("No warnings or alerts.")
    rows = "".join(f'<tr><td style="color:{c};font-weight:700">{k}</td><td style="text-align:left">{html.escape(m)}</td></tr>'
                   for k, m, c in items)
    return _html(f'<table class="rebal-table"><thead><tr><th>level</th><th>message</th></tr></thead><tbody>{rows}'
                 "</tbody></table>")


def changes_table(p: Any) -> pd.DataFrame:
    """Current, target and proposed weights with the change and its reason (rows with any weight)."""
    return p.changes(held_only=True)


def limits_table(p: Any) -> pd.DataFrame:
    """Every limit check on the proposal, with the current allocation's value next to it."""
    cur = p.current_checks
    t = p.allocation.breaker.checks.copy()
    t["current"] = cur["proposed"].to_numpy()
    t["current status"] = cur["status"].to_numpy()
    t = t[["check", "item", "current", "current status", "proposed", "limit", "status", "buffer"]]
    return t.assign(failed=t["status"] == "FAIL").set_index(["check", "item"])


def simulation_table(p: Any) -> pd.DataFrame:
    """Metrics by path (rows: metrics; columns: baseline, in-sample, out-of-sample)."""
    return p.simulation.table()


def costs_table(p: Any) -> pd.DataFrame:
    """The cost estimate in bps of portfolio value and dollars."""
    c = p.costs
    return pd.DataFrame({"bps of value": [c["slippage_bps"], c["commission_bps"], c["total_bps"]],
                         "USD": [c["slippage_usd"], c["commission_usd"], c["total_usd"]]},
                        index=pd.Index(["slippage (spread + impact)", "commission", "total"], name="cost"))


def proposal_trades(p: Any) -> pd.DataFrame:
    """The trade list as the committee reads it."""
    t = p.trades.trades
    cols = {"action": "action", "shares": "shares", "price": "price", "value": "value ($)", "reason": "reason",
            "est_cost": "est. cost ($)", "weight_before": "weight before", "weight_target": "weight target",
            "weight_after": "weight after"}
    return t.set_index("ticker")[list(cols)].rename(columns=cols)


def proposal_scraps(p: Any) -> dict[str, Any]:
    """Key proposal results as plain types."""
    s = p.simulation
    return {"proposal_id": p.id, "recommendation": p.recommendation, "confidence": p.confidence,
            "mode": p.allocation.mode, "breakers": p.allocation.breaker.status,
            "n_adjustments": len(p.allocation.breaker.adjustments), "n_trades": int(len(p.trades.trades)),
            "cost_bps": float(p.costs["total_bps"]), "drift": float(p.drift),
            "deployed": float(1 - p.proposed.get("CASH", 0.0)),
            "improvement_in_sample": float(s.improvement_in_sample) if s else None,
            "improvement_out_of_sample": (float(s.improvement_out_of_sample) if s and
                                          s.improvement_out_of_sample is not None else None),
            "warnings": list(p.warnings), "alerts": list(p.alerts),
            "proposed": {k: float(v) for k, v in p.proposed.items()}}


def proposal_parameters(profile: Profile) -> pd.DataFrame:
    """The profile's proposal parameters next to the defaults (the rebalance-modes spec's values)."""
    from dataclasses import fields

    from rebal.proposal.spec import Limits, ProposalSpec

    spec, dflt = profile.proposal, ProposalSpec()
    rows = [(f.name, getattr(spec, f.name), getattr(dflt, f.name)) for f in fields(ProposalSpec) if f.name != "limits"]
    rows += [(f"limits.{f.name}", getattr(spec.limits, f.name), getattr(Limits(), f.name)) for f in fields(Limits)]
    t = pd.DataFrame(rows, columns=["parameter", "this profile", "default"]).set_index("parameter").astype(str)
    return t.assign(changed=t["this profile"] != t["default"])


_METHOD_TEXT = {
    "fixed": "fixed weights written in the profile",
    "equal_weight": "1/N across the universe",
    "inverse_vol": "inverse volatility: w proportional to 1/σ of daily returns",
    "min_variance": "minimum variance (Ledoit-Wolf covariance; Clarabel QP)",
    "max_sharpe": "maximum Sharpe ratio (exponentially weighted means, Ledoit-Wolf covariance; Clarabel QP)",
    "hrp": "Hierarchical Risk Parity (López de Prado 2016): correlation distance, {linkage} linkage, "
           "quasi-diagonalisation, recursive bisection with inverse-variance weights",
    "black_litterman": "Black-Litterman: equilibrium returns from market weights, analysts' views, posterior "
                       "returns and covariance, long-only max-utility weights (Clarabel QP)",
    "risk4": "the Risk4 weekly stock selection (see the Risk4 picks report)",
}


def target_method_note(profile: Profile) -> Any:
    """One paragraph on how the profile's target is made, with its parameters."""
    t = profile.target
    text = _METHOD_TEXT[t.method].format(linkage=t.linkage)
    bits = [f"lookback {t.lookback_days} sessions"] if t.method not in ("fixed", "risk4") else []
    if t.method in ("min_variance", "max_sharpe", "black_litterman"):
        bits.append(f"weights in [{t.min_weight:.0%}, {t.max_weight:.0%}]")
        if t.max_sector_weight < 1 or t.sector_max:
            caps = [f"every sector ≤ {t.max_sector_weight:.0%}"] if t.max_sector_weight < 1 else []
            caps += [f"{k} ≤ {v:.0%}" for k, v in t.sector_max.items()]
            bits.append("sector caps: " + ", ".join(caps))
    if t.method == "max_sharpe":
        bits.append(f"risk-free rate {t.risk_free_rate:.1%}")
    if t.cash:
        bits.append(f"{t.cash:.0%} cash")
    return note(f"<b>Target</b>: {html.escape(text)}" + (f" ({html.escape('; '.join(bits))})" if bits else "") + ".")


def black_litterman_tables(p: Any) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """For a black_litterman target: (per asset: market weight, π, μ_BL, weight; the views), else None."""
    m = p.target_model
    if m is None or not hasattr(m, "result_"):
        return None
    r = m.result_
    assets = pd.DataFrame({"market weight (prior)": m.market_weights_, "equilibrium π": r.pi,
                           "posterior μ_BL": r.posterior_returns, "weight": m.weights_})
    assets["μ_BL − π"] = assets["posterior μ_BL"] - assets["equilibrium π"]
    views = pd.DataFrame([{"view": v.label, "picks": ", ".join(f"{a} {w:+.2f}" for a, w in zip(v.assets, v.weights)),
                           "expected return": v.value, "confidence": v.confidence} for v in m.views_]).set_index("view")
    return assets.sort_values("weight", ascending=False), views


# -- rule lab -----------------------------------------------------------------------------------

LAB_FORMATS = {"TE": "{:.2%}", "cost/yr": "{:.3%}", "turnover/yr": "{:.1%}", "trading days": "{:,.0f}",
               "Sharpe": "{:.2f}", "vs target": "{:+.2f}", "max DD": "{:.1%}", "taxes": "{:.1%}",
               "cost bps": "{:g}", "skipped": "{:,.0f}"}


def lab_card(run: Any) -> Any:
    """Headline of a rule-lab run: window, target, configurations, data sources."""
    inp, s = run.inputs, run.summary
    src = inp.vix_source.value_counts()
    best = s.loc[s["tracking_error"].idxmin()]
    cheap = s.loc[s["cost_per_year"].idxmin()]
    rows = [
        ("Profile", f"{html.escape(run.profile.name)} — {html.escape(run.profile.description)}"),
        ("Window", f"{inp.start} to {inp.end} ({len(inp.vix_source):,} NYSE sessions)"),
        ("Target", "fitted once at the start (no look-ahead)" if len(inp.target) == 1
         else f"refitted {len(inp.target)} times ({html.escape(run.profile.lab.refit)})"),
        ("Configurations", f"{len(s)} ({html.escape(run.which)} set)"),
        ("Lowest tracking error", f"{html.escape(best.name)}: {best['tracking_error']:.2%}"),
        ("Lowest cost", f"{html.escape(cheap.name)}: {cheap['cost_per_year']:.3%} per year"),
        ("Regime source", f"VIX close on {src.get('VIX', 0):,} sessions; realised-volatility proxy on "
                          f"{src.get('proxy', 0):,} sessions"),
        ("Volume", "synthetic (ADV and market impact rest on it)" if inp.synthetic_volume else "from the lakehouse"),
    ]
    return _card(rows)


def lab_notes(run: Any) -> Any:
    """What is synthetic, what is proxied, what is assumed (shown before any number)."""
    inp, st = run.inputs, run.inputs.market.settings
    parts = []
    if inp.synthetic_volume:
        parts.append("<b>Synthetic volume.</b> No package ships per-stock volume; the sample's volumes are generated "
                     "(seeded, calibrated to real 2014 dollar ADV). Dollar ADV, the square-root market impact and the "
                     "illiquid-asset skip rest on them.")
    n_proxy = int((inp.vix_source != "VIX").sum())
    if n_proxy:
        parts.append(f"<b>Proxied VIX.</b> The real VIX ships only for 2014-01-03 .. 2019-01-03; on {n_proxy:,} sessions "
                     "the regime comes from the 21-day realised volatility of the benchmark, annualised, in VIX points "
                     "(a proxy, not the VIX).")
    parts.append(f"<b>Cost assumptions.</b> Flat spread + commission level per configuration (10 / 20 / 50 bps in the "
                 f"grid), plus square-root impact {st.impact_coefficient:g}·σ·√(trade / ADV) on a "
                 f"${st.notional:,.0f} portfolio, times {st.cost_multipliers[1]:g} in the elevated and "
                 f"{st.cost_multipliers[2]:g} in the stress regime (the planner spec: spreads and impact 2-3x in stress).")
    for n in inp.notes:
        parts.append(html.escape(n))
    return note("<br>".join(parts), "synthetic")


def lab_table(summary: pd.DataFrame, cost_bps: float | None = None) -> pd.DataFrame:
    """The per-configuration metrics, readable (optionally one cost level)."""
    s = summary if cost_bps is None else summary[np.isclose(summary["cost_bps"], cost_bps)]
    out = pd.DataFrame({
        "rule": s["rule"], "cost bps": s["cost_bps"], "TE": s["tracking_error"], "cost/yr": s["cost_per_year"],
        "turnover/yr": s["turnover_per_year"], "trading days": s["rebalances"], "Sharpe": s["sharpe"],
        "vs target": s["sharpe_vs_target"], "max DD": s["max_drawdown"], "taxes": s["taxes"],
        "skipped": s["skipped_illiquid"]})
    return out.reset_index(drop=True)


def verdicts_table(verdicts: list) -> pd.DataFrame:
    """One row per hypothesis or literature check: verdict and evidence."""
    name = {True: "SUPPORTED", False: "NOT SUPPORTED", None: "NOT TESTED"}
    return pd.DataFrame([{"#": v.number, "statement": v.statement, "verdict": name[v.supported],
                          "evidence": v.evidence, "not_supported": v.supported is False} for v in verdicts])


def lab_scraps(run: Any) -> dict[str, Any]:
    """Key results of a lab run for scrapbook."""
    s = run.summary
    out = {"lab_start": str(run.inputs.start), "lab_end": str(run.inputs.end), "lab_configurations": int(len(s)),
           "lab_proxy_sessions": int((run.inputs.vix_source != "VIX").sum())}
    for v in run.verdicts + run.literature:
        out[f"lab_check_{v.number}"] = {True: "supported", False: "not supported", None: "not tested"}[v.supported]
    keep = s[["rule", "cost_bps", "tracking_error", "cost_per_year", "turnover_per_year", "rebalances", "sharpe", "taxes"]]
    out["lab_summary"] = json.loads(keep.reset_index().to_json(orient="records", double_precision=15))
    return out

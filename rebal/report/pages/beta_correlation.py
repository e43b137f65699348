"""The market-sensitivity report: beta, volatility and correlation of the held book, the target and the proposal."""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rebal.report.figures import date_axis, legend_below, percent_axis
from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT", "proposal_source", "sensitivity_card", "books_table", "BOOKS_FORMATS", "sensitivity_scraps",
           "scraps", "beta_scatter", "rolling_beta_plot"]

# the books of rebal.monitor.sensitivity.BOOKS (not imported: the registry reads this module cheaply)
_BOOKS = ("held", "target", "proposed")
_COLORS = {"held": "#263238", "target": "#1565c0", "proposed": "#6a1b9a"}


def proposal_source(proposal: Any) -> str:
    """Say where the proposed book comes from (the notebook passes it to the audit)."""
    if proposal is None:
        return ""
    blocked = ", BLOCKED: the circuit breakers found no allocation within the limits" if proposal.blocked else ""
    return (f"the rebalance proposal as of {proposal.as_of} ({proposal.allocation.mode} mode, "
            f"from the holdings of {proposal.holdings_date}{blocked})")


def _beta_text(b: Any) -> str:
    r = b.beta
    return (f"{r.beta:.3f} (± {1.96 * r.beta_se:.2f} at 95 %), volatility {b.vol:.1%}, ρ {r.correlation:.2f}"
            + (" — <b>AGGRESSIVE</b>" if b.aggressive else "") + (" — in-sample" if b.in_sample else ""))


def sensitivity_card(sens: Any) -> Any:
    """Headline of the beta/correlation audit: one labelled row per book, then flags and notes."""
    spec, m = sens.profile.sensitivity, sens.main
    flag = ("<br>".join(html.escape(f) for f in sens.flags) if sens.flags else
            (f"none (defensive limit β ≤ {spec.beta_limit:.2f}, applied to each book)" if spec.defensive
             else "none (not a defensive profile)"))
    rows = [("Profile", f"{html.escape(sens.profile.name)} vs {html.escape(sens.profile.benchmark)}")]
    rows += [(f"Beta {b.label}" + (" (the book as it is)" if b is m else ""),
              f"{_beta_text(b)}<br><small>{html.escape(b.source)}</small>") for b in sens.books]
    rows += [("Benchmark volatility", f"{sens.benchmark_vol:.1%} (annualised)"),
             ("Window", f"{m.beta.n_obs} daily returns, {m.beta.start} .. {m.beta.end}; each book's weights held "
                        f"constant over it; rolling beta over {spec.rolling_days}"),
             ("Flags", flag)]
    if sens.notes:
        rows.append(("Notes", "<br>".join(html.escape(n) for n in sens.notes)))
    return card(rows)


BOOKS_FORMATS = {"beta": "{:.3f}", "± 95 %": "{:.3f}", "correlation": "{:.2f}", "R²": "{:.2f}",
                 "volatility (annual)": "{:.1%}", "rolling beta (last)": "{:.2f}"}


def books_table(sens: Any) -> pd.DataFrame:
    """One row per book: beta, its 95 % half-width, correlation, R², volatility, flags and in-sample overlap."""
    rows = {}
    for b in sens.books:
        rows[b.label] = {
            "beta": b.beta.beta, "± 95 %": 1.96 * b.beta.beta_se, "correlation": b.beta.correlation,
            "R²": b.beta.r_squared, "volatility (annual)": b.vol,
            "rolling beta (last)": float(b.rolling.iloc[-1]) if len(b.rolling) else float("nan"),
            "AGGRESSIVE": "yes" if b.aggressive else "no",
            "rolling above limit since": str(b.above_limit_since or "—"),
            "in-sample sessions": f"{b.in_sample_sessions}\u00a0of\u00a0{b.beta.n_obs}" if b.in_sample else "none",
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("book")


def sensitivity_scraps(sens: Any) -> dict[str, Any]:
    """Key sensitivity results as plain types (:func:`rebal.monitor.sensitivity.sensitivity_summary`)."""
    from rebal.monitor.sensitivity import sensitivity_summary

    return sensitivity_summary(sens)



# -- figures ----------------------------------------------------------------------------------------


def beta_scatter(sens) -> Figure:
    """Daily returns of the book as it is against the benchmark's, with its OLS line and the target's."""
    plt = pyplot()
    m = sens.main
    b, p = sens.benchmark_returns * 100, m.returns * 100
    fig, ax = plt.subplots(figsize=(6.5, 5.0), layout="constrained")
    ax.scatter(b, p, s=8, alpha=0.45, color=_COLORS[m.label], label=f"daily returns ({m.label})")
    xs = np.linspace(float(b.min()), float(b.max()), 50)
    for bk in sens.books:
        r = bk.beta
        ax.plot(xs, r.alpha_daily * 100 + r.beta * xs, color=_COLORS[bk.label], lw=2 if bk is m else 1.3,
                ls="-" if bk is m else "-.",
                label=f"OLS {bk.label}: β = {r.beta:.2f} ± {1.96 * r.beta_se:.2f}, R² = {r.r_squared:.2f}")
    ax.plot(xs, xs, color="#90a4ae", ls="--", lw=1, label="β = 1")
    percent_axis(ax.xaxis, signed=True)
    percent_axis(ax.yaxis, signed=True)
    ax.set_xlabel(f"{sens.profile.benchmark} daily return (%)")
    ax.set_ylabel(f"{sens.profile.name} ({m.label}) daily return (%)")
    ax.set_title(f"Profile vs benchmark, {m.beta.start} .. {m.beta.end}", loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=1, fontsize=9)
    return fig


def rolling_beta_plot(sens) -> Figure:
    """Plot each book's rolling beta and, for defensive profiles, the limit."""
    plt = pyplot()
    spec = sens.profile.sensitivity
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    for b in sens.books:
        ax.plot(b.rolling.index, b.rolling.to_numpy(), color=_COLORS[b.label], lw=1.5 if b is sens.main else 1.1,
                label=f"{b.label} (window β {b.beta.beta:.2f})")
        if b.above_limit_since is not None:
            ax.axvspan(pd.Timestamp(b.above_limit_since), b.rolling.index[-1], color=_COLORS[b.label], alpha=0.06)
    if spec.defensive:
        ax.axhline(spec.beta_limit, color="#c62828", ls="--", lw=1.2, label=f"defensive limit {spec.beta_limit:.2f}")
    ax.set_ylabel(f"rolling {spec.rolling_days}-session beta")
    date_axis(ax)
    ax.set_title("Rolling beta (shaded: the current run above the limit)" if spec.defensive else "Rolling beta",
                 loc="left")
    ax.grid(alpha=0.3)
    legend_below(fig, ncol=4)
    return fig


scraps = sensitivity_scraps


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _betas(s: Any) -> str:
    parts = [f"{b} {s[f'beta_{b}']:.2f}" for b in _BOOKS if _num(s.get(f"beta_{b}"))]
    return "beta " + (" ".join(parts) if parts else f"{s['beta']:.2f}")


def _aggressive(s: Any) -> str:
    which = [b for b in _BOOKS if s.get(f"aggressive_{b}")]
    return f"AGGRESSIVE ({', '.join(which)})" if which else ("AGGRESSIVE" if s.get("aggressive") else "")


def _summary(s: Any) -> str:
    return f"{_betas(s)} corr {s['correlation']:.2f} R² {s['r_squared']:.2f} {_aggressive(s)}".rstrip()


def _cell(s: Any) -> str:
    held, tgt = s.get("beta_held"), s.get("beta_target")
    if _num(held) or _num(tgt):
        head = ", ".join(f"β {b} {s[f'beta_{b}']:.2f}" + (" (in-sample)" if b == "target" and
                                                            s.get("beta_target_in_sample") else "")
                         for b in ("held", "target") if _num(s.get(f"beta_{b}")))
    else:
        head = f'β {s.get("beta", float("nan")):.2f}'
    flag = _aggressive(s)
    return (f'{head}, ρ {s.get("correlation", float("nan")):.2f}'
            + (f'<br><span class="failed">{html.escape(flag)}</span>' if flag else ""))


REPORT = ReportSpec(
    name="beta_correlation", title="Market sensitivity", order=30,
    scraps={"profile": str, "as_of": str, "benchmark": str, "beta_basis": str, "beta": float, "beta_se": float,
            "correlation": float, "r_squared": float, "n_obs": int, "portfolio_vol": float, "benchmark_vol": float,
            "rolling_beta_last": float, "defensive": bool, "beta_limit": float, "aggressive": bool, "flags": list,
            "notes": list,
            **{f"{k}_{b}": t for b in _BOOKS for k, t in (("beta", float), ("vol", float),
                                                          ("aggressive", (bool, type(None))),
                                                          ("above_limit_since", str))},
            "beta_target_in_sample": bool, "target_in_sample_sessions": int},
    summary=_summary,
    cover=(Cover("Market sensitivity", _cell),),
    legend="Market sensitivity: β of the held book (the book as it is) and of the target, to the benchmark; "
           "in-sample: the target was fitted on the returns its beta is measured on; AGGRESSIVE: a defensive "
           "profile's book with β above its limit.",
)

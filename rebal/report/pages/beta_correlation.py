"""The market-sensitivity report: beta, correlation and R² of the profile to its benchmark."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from rebal.report.registry import Cover, ReportSpec
from rebal.report.style import pyplot
from rebal.report.widgets import card

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT", "sensitivity_card", "sensitivity_scraps", "scraps", "beta_scatter", "rolling_beta_plot"]


def sensitivity_card(sens: Any) -> Any:
    """Headline of the beta/correlation audit."""
    b, spec = sens.beta, sens.profile.sensitivity
    flag = ("<br>".join(html.escape(f) for f in sens.flags) if sens.flags else
            (f"none (defensive limit β ≤ {spec.beta_limit:.2f})" if spec.defensive
             else "none (not a defensive profile)"))
    return card([
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



# -- figures ----------------------------------------------------------------------------------------


def beta_scatter(sens) -> Figure:
    """Daily profile returns against benchmark returns with the OLS line."""
    plt = pyplot()
    b, p = sens.benchmark_returns * 100, sens.portfolio_returns * 100
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    ax.scatter(b, p, s=8, alpha=0.45, color="#455a64", label="daily returns")
    xs = np.linspace(float(b.min()), float(b.max()), 50)
    r = sens.beta
    ax.plot(xs, r.alpha_daily * 100 + r.beta * xs, color="#c62828", lw=2,
            label=f"OLS: β = {r.beta:.2f} ± {1.96 * r.beta_se:.2f}, R² = {r.r_squared:.2f}")
    ax.plot(xs, xs, color="#90a4ae", ls="--", lw=1, label="β = 1")
    ax.set_xlabel(f"{sens.profile.benchmark} daily return (%)")
    ax.set_ylabel(f"{sens.profile.name} daily return (%)")
    ax.set_title(f"Profile vs benchmark, {r.start} .. {r.end}", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def rolling_beta_plot(sens) -> Figure:
    """Plot the rolling beta with the full-window beta and, for defensive profiles, the limit."""
    plt = pyplot()
    spec = sens.profile.sensitivity
    fig, ax = plt.subplots(figsize=(10, 3.3))
    ax.plot(sens.rolling.index, sens.rolling.to_numpy(), color="#263238", lw=1.5,
            label=f"rolling {spec.rolling_days}-session beta")
    ax.axhline(sens.beta.beta, color="#1565c0", ls=":", lw=1.2, label=f"full window {sens.beta.beta:.2f}")
    if spec.defensive:
        ax.axhline(spec.beta_limit, color="#c62828", ls="--", lw=1.2, label=f"defensive limit {spec.beta_limit:.2f}")
    ax.set_ylabel("beta to benchmark")
    ax.set_title("Rolling beta", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left", ncol=3)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


scraps = sensitivity_scraps


def _summary(s: Any) -> str:
    flag = " AGGRESSIVE" if s.get("aggressive") else ""
    return f"beta {s['beta']:.2f} corr {s['correlation']:.2f} R² {s['r_squared']:.2f}{flag}"


def _cell(s: Any) -> str:
    flag = '<br><span class="failed">AGGRESSIVE</span>' if s.get("aggressive") else ""
    return f'β {s.get("beta", float("nan")):.2f}, ρ {s.get("correlation", float("nan")):.2f}{flag}'


REPORT = ReportSpec(
    name="beta_correlation", title="Market sensitivity", order=30,
    scraps={"profile": str, "as_of": str, "beta": float, "beta_se": float, "correlation": float, "r_squared": float,
            "n_obs": int, "portfolio_vol": float, "benchmark_vol": float, "aggressive": bool, "flags": list,
            "rolling_beta_last": float},
    summary=_summary,
    cover=(Cover("Market sensitivity", _cell),),
)

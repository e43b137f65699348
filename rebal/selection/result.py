"""What one Risk4 run decided: its alerts, its prior holdings and the result with its summary JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from rebal.config import Profile
from rebal.data.lakehouse import CASH

__all__ = ["Alert", "Prior", "Risk4Result", "TRADES_COLUMNS"]

#: Columns of a run's trade list (``trades.csv``).
TRADES_COLUMNS = ["ticker", "action", "shares", "estimated_value", "price", "reason"]


@dataclass(frozen=True)
class Alert:
    """One alert: CRITICAL blocks the run, WARNING asks for review, INFO is context."""

    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class Prior:
    """Holdings before the run: shares by ticker, cash in USD, where they came from."""

    shares: pd.Series
    cash: float
    source: str
    as_of: date | None = None


@dataclass
class Risk4Result:
    """Everything one Risk4 run decided (see the module docstring)."""

    profile: Profile
    date: date
    is_rebalance_day: bool
    next_rebalance: date
    feature_date: date | None
    checks: pd.DataFrame
    alerts: list[Alert]
    prior: Prior | None = None
    universe: pd.DataFrame = field(default_factory=pd.DataFrame)
    picks: pd.DataFrame = field(default_factory=pd.DataFrame)
    trades: pd.DataFrame = field(default_factory=pd.DataFrame)
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    positions: pd.DataFrame = field(default_factory=pd.DataFrame)
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    value: float = float("nan")
    cash_after: float = float("nan")
    exposure: float = float("nan")
    vol_unscaled: float = float("nan")
    estimated_vol: float = float("nan")
    estimated_beta: float = float("nan")
    turnover_composition: float = float("nan")
    turnover: float = float("nan")
    regime: dict = field(default_factory=dict)
    data_freshness: dict = field(default_factory=dict)
    synthetic_inputs: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Whether a CRITICAL alert blocked the run."""
        return any(a.severity == "CRITICAL" for a in self.alerts)

    @property
    def status(self) -> str:
        """BLOCKED, WARNING (review before trading) or OK."""
        if self.blocked:
            return "BLOCKED"
        return "WARNING" if any(a.severity == "WARNING" for a in self.alerts) else "OK"

    @property
    def block_reason(self) -> str:
        """The CRITICAL alerts in one line."""
        return "; ".join(a.message for a in self.alerts if a.severity == "CRITICAL")

    def target_weights(self) -> pd.Series:
        """Return the final weights by ticker plus ``CASH`` (fractions of value, sum 1)."""
        w = self.weights[self.weights > 0]
        return pd.concat([w, pd.Series({CASH: max(1.0 - float(w.sum()), 0.0)})]).rename("target")

    def alerts_frame(self) -> pd.DataFrame:
        """Return the alerts as a table (severity, code, message)."""
        return pd.DataFrame([a.__dict__ for a in self.alerts], columns=["severity", "code", "message"])

    def summary(self) -> dict:
        """Build the ``portfolio_summary.json`` content."""
        w = self.weights[self.weights > 0].sort_values(ascending=False)
        sec = self.sectors["weight"].round(6).to_dict() if len(self.sectors) else {}
        return {
            "profile": self.profile.name,
            "date": str(self.date),
            "status": self.status,
            "is_rebalance_day": self.is_rebalance_day,
            "next_rebalance": str(self.next_rebalance),
            "regime": self.regime,
            "portfolio": {
                "n_positions": int(len(w)),
                "total_weight": round(float(w.sum()), 6),
                "cash_weight": round(1.0 - float(w.sum()), 6),
                "top_5_weight": round(float(w.iloc[:5].sum()), 6),
                "sector_concentration": sec,
                "value": round(self.value, 2),
            },
            "metrics": {
                "estimated_beta": round_or_none(self.estimated_beta),
                "estimated_vol": round_or_none(self.estimated_vol),
                "estimated_vol_before_targeting": round_or_none(self.vol_unscaled),
                "avg_adv": round_or_none(float(self.picks["adv_20"].mean()) if len(self.picks) else float("nan"), 0),
                "turnover_vs_prior": round_or_none(self.turnover),
                "composition_turnover_vs_prior": round_or_none(self.turnover_composition),
            },
            "prior": {"source": self.prior.source if self.prior else None,
                      "as_of": str(self.prior.as_of) if self.prior and self.prior.as_of else None},
            "data_freshness": self.data_freshness,
            "synthetic_inputs": self.synthetic_inputs,
            "alerts": [a.__dict__ for a in self.alerts],
        }


def round_or_none(x: float, nd: int = 6) -> float | None:
    """``x`` rounded to ``nd`` decimals, None when missing or not finite (for JSON and the lakehouse)."""
    return None if x is None or not np.isfinite(x) else round(float(x), nd)

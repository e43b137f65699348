"""What a VaR backtest says of the model: rejected or not, which way it errs, and which model to use instead.

Kupiec's proportion-of-failures test (:mod:`rebal.analytics.var_backtest`) rejects a model whose
exceedances are too many (the VaR understates the loss) or too few (it overstates it) for its
confidence level, at a size of 5 %. A rejected model's figure is not dropped: it carries the
rejection on its headline, and the report names the model it would use instead, the backtested
model that neither Kupiec's nor Christoffersen's test rejects with the largest Kupiec p-value, or
says why none qualifies.
"""
from __future__ import annotations

from dataclasses import dataclass

from rebal.analytics.var import VAR_LABELS
from rebal.analytics.var_backtest import VarBacktest

__all__ = ["TEST_SIZE", "VarVerdict", "var_verdict"]

#: size of the backtest's tests: a p-value below it rejects the model
TEST_SIZE = 0.05


@dataclass(frozen=True)
class VarVerdict:
    """The backtest's verdict on one VaR model (``method``) and what to use instead when it is rejected."""

    method: str
    level: float
    days: int
    exceedances: int
    expected: float
    kupiec_p: float
    rejected: bool
    #: "too many" / "too few" exceedances (:func:`rebal.analytics.var_backtest.coverage_direction`)
    direction: str
    #: the backtested model the report would use instead ("" when none qualifies or none is needed)
    alternative: str = ""
    #: why: the alternative's p-values, or why no model qualifies
    alternative_reason: str = ""

    @property
    def label(self) -> str:
        """The model in words, e.g. ``99 % historical VaR``."""
        return f"{self.level:.0%} {VAR_LABELS.get(self.method, self.method)} VaR".replace("%", " %", 1)

    @property
    def headline(self) -> str:
        """A short flag for a headline or a cover cell (empty when the model is not rejected)."""
        if not self.rejected:
            return ""
        return (f"rejected by its Kupiec test: {self.direction} exceptions ({self.exceedances} in {self.days} days, "
                f"{self.expected:.1f} expected, p = {self.kupiec_p:.3f})")

    @property
    def text(self) -> str:
        """One sentence: the rejection, what it means, and the model to use instead (or why none)."""
        if not self.rejected:
            return (f"The {self.label} passes its Kupiec test ({self.exceedances} exceptions in {self.days} days, "
                    f"{self.expected:.1f} expected, p = {self.kupiec_p:.3f}).")
        means = ("it understates the loss" if self.direction == "too many" else "it overstates the loss")
        instead = (f"the report would use the {VAR_LABELS.get(self.alternative, self.alternative)} VaR instead "
                   f"({self.alternative_reason})" if self.alternative else self.alternative_reason)
        return f"The {self.label} is {self.headline}: {means}; {instead}."


def _why_not(method: str, bt: VarBacktest) -> str:
    """Why a backtested model does not qualify, in a few words."""
    name = VAR_LABELS.get(method, method).replace("parametric, ", "")
    if bt.kupiec.p_value < TEST_SIZE:
        return f"{name}: {bt.direction} exceptions, Kupiec p = {bt.kupiec.p_value:.3f}"
    return f"{name}: its exceptions cluster, Christoffersen p = {bt.christoffersen.p_value:.3f}"


def _passes(bt: VarBacktest) -> bool:
    return bt.kupiec.p_value >= TEST_SIZE and bt.christoffersen.p_value >= TEST_SIZE


def var_verdict(backtests: dict[str, VarBacktest], method: str) -> VarVerdict | None:
    """Judge the backtest of ``method`` among ``backtests`` (VaR method -> backtest at one level).

    Returns None when ``method`` was not backtested (too little history).
    """
    bt = backtests.get(method)
    if bt is None:
        return None
    rejected = bt.rejected(TEST_SIZE)
    alternative, reason = "", ""
    if rejected:
        others = {m: b for m, b in backtests.items() if m != method}
        good = {m: b for m, b in others.items() if _passes(b)}
        if good:
            alternative = max(good, key=lambda m: good[m].kupiec.p_value)
            b = good[alternative]
            reason = (f"{b.exceedances} exceptions, {b.expected:.1f} expected: Kupiec p = {b.kupiec.p_value:.3f}, "
                      f"Christoffersen p = {b.christoffersen.p_value:.3f}")
        else:
            bound = "a lower" if bt.direction == "too many" else "an upper"
            fails = "; ".join(_why_not(m, b) for m, b in others.items())
            reason = ((f"no other model passes both tests at 5 % ({fails})" if others
                       else "no other model was backtested")
                      + f", so none is used instead: read this VaR as {bound} bound of the loss")
    return VarVerdict(method, bt.level, bt.days, bt.exceedances, bt.expected, bt.kupiec.p_value, rejected,
                      bt.direction, alternative, reason)

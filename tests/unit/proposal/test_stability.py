"""Target stability: the label and its thresholds, the signal share of a move, and a fixed target on the tiny lakehouse."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from rebal.config import load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.proposal.options import signal_share
from rebal.proposal.stability import Stability, target_stability


def _stability(weekly=(0.02, 0.03), boot=0.10, samples=50, bounds=()) -> Stability:
    return Stability(date(2022, 12, 28), tuple((f"w{i}", t) for i, t in enumerate(weekly)), tuple(bounds),
                     0.2 * len(bounds), 0.2 if bounds else None, samples, boot, pd.Series({"A": 0.05, "B": 0.01}),
                     0.001, 0.05, 0.25)


def test_unstable_above_either_threshold_and_says_which():
    assert not _stability().unstable and _stability().words().startswith("stable: ")
    weekly = _stability(weekly=(0.05, 0.07))  # mean 6 % > 5 %
    assert weekly.unstable and weekly.reasons[0].startswith("it turned over 6.0% of the book a week over the last 2 weeks")
    boot = _stability(boot=0.45, bounds=("LLY", "MRK", "PEP", "XOM"))
    assert boot.unstable and "it moves 45% of the book (above 25%)" in boot.reasons[0]
    assert boot.words().startswith("UNSTABLE: ") and "4 weight(s) on the 20% bound (80% of the book)" in boot.words()
    assert boot.short() == "UNSTABLE: 2.5% a week, bootstrap 45%, 4 on a bound"
    assert boot.to_json()["unstable"] and boot.to_json()["thresholds"]["max_bootstrap_turnover"] == 0.25
    # exactly at a threshold is stable ("above")
    assert not _stability(weekly=(0.05, 0.05), boot=0.25).unstable


def test_the_signal_share_of_a_move():
    assert signal_share(3.0, 1.0) == pytest.approx(0.75)  # S / (S + N)
    assert signal_share(0.0233, 0.0066) == pytest.approx(0.0233 / 0.0299)
    assert signal_share(1.0, float("nan")) == 1.0 and signal_share(0.0, 1.0) == 1.0


def test_a_fixed_target_never_moves_and_has_no_bootstrap(tiny_home):
    lh = Lakehouse(tiny_home / "data" / "lakehouse" / "rebal.duckdb")
    prof = load_profile("tiny", tiny_home / "params" / "profiles", known_tickers=lh.known_tickers())
    s = target_stability(prof, lh, date(2024, 1, 5))
    lh.close()
    assert s.samples == 0 and math.isnan(s.bootstrap_turnover) and not s.unstable
    assert all(t == 0.0 for _, t in s.weekly)

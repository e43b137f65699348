"""The shipped sample profiles are coherent at every date a user is invited to run: on a grid of dates across
the data (every month end from the profile's first holdings to the last price, and the README's dates), no
target breaks its own hard limits and the circuit breakers always find an allocation (no RESOLVE CONFLICT)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import REPO

from rebal.config import list_profiles, load_profile
from rebal.data.lakehouse import Lakehouse
from rebal.proposal.coherence import coherence_at

pytestmark = [pytest.mark.slow]

#: dates the README invites a user to run (`make report ASOF=2022-06-30 PROFILES=min_variance`, the latest)
README_DATES = (date(2022, 6, 30), date(2022, 12, 28))


def _grid(lh: Lakehouse, first: date) -> list[date]:
    last = lh.latest_date()
    month_ends = pd.date_range(first, last, freq="BME").date
    days = {lh.at(d).latest_date() for d in (*month_ends, *README_DATES, last) if first <= d <= last}
    return sorted(days)


@pytest.mark.parametrize("name", list_profiles(REPO / "params" / "profiles"))
def test_a_sample_profile_is_coherent_on_every_date_of_the_grid(name, sample_lakehouse):
    with Lakehouse(sample_lakehouse) as lh:
        prof = load_profile(name, REPO / "params" / "profiles", known_tickers=lh.known_tickers())
        grid = _grid(lh, min(lh.at(None).holdings_dates(name)))
        assert len(grid) >= 30  # three years of month ends at least
        bad = {d: c for d in grid if (c := coherence_at(prof, lh, d))}
    assert not bad, "\n".join(f"{d}: {'; '.join(c)}" for d, c in bad.items())


def test_the_readme_example_week_of_min_variance_is_no_configuration_conflict(sample_lakehouse):
    # `make report ASOF=2022-06-30 PROFILES=min_variance` gave RESOLVE CONFLICT (cluster KO + PEP + PG + WMT
    # 40.9 % > 30 %) before the sample's cluster limit was set for near-duplicate bets
    from rebal.decision.review import weekly_review

    with Lakehouse(sample_lakehouse) as lh:
        prof = load_profile("min_variance", REPO / "params" / "profiles", known_tickers=lh.known_tickers())
        review = weekly_review(prof, lh, date(2022, 6, 30))
    assert review.decision.action != "RESOLVE CONFLICT", review.decision.reasons
    assert not review.decision.inputs.target_conflicts

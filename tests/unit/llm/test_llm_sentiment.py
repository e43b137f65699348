"""Lexicon sentiment: VADER's published examples, the company name masked, the decayed per-ticker score by hand."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rebal.llm.sentiment import decayed_sentiment, headline_score, headline_scores, mask_name


@pytest.mark.parametrize("text, compound", [
    # the examples of vaderSentiment's README (Hutto & Gilbert), with the compound scores it publishes
    ("VADER is smart, handsome, and funny.", 0.8316),
    ("VADER is not smart, handsome, nor funny.", -0.7424),
    ("The book was good.", 0.4404),
    ("At least it isn't a horrible book.", 0.431),
])
def test_headline_score_is_vaders_published_compound(text, compound):
    assert headline_score(text) == pytest.approx(compound, abs=1e-4)


def test_mask_name_takes_the_company_out_before_scoring():
    assert mask_name("Best Buy cuts jobs", "Best Buy", "BBY") == "cuts jobs"
    assert mask_name("Apple Inc. and apple pie; AAPL up", "Apple Inc.", "AAPL") == "and pie; up"
    # "Best" is +3.2 in VADER's lexicon: unmasked, bad news about Best Buy scores positive
    assert headline_score("Best Buy warns of weak results") > 0
    assert headline_scores(["Best Buy warns of weak results"], ["Best Buy"], ["BBY"])[0] < 0


def test_decayed_sentiment_worked_by_hand():
    as_of = date(2024, 1, 15)
    news = pd.DataFrame({"date": [date(2024, 1, 15), date(2024, 1, 8), date(2024, 1, 1)],
                         "ticker": ["A", "A", "B"], "score": [0.8, -0.2, 0.5]})
    out = decayed_sentiment(news, ["A", "B", "C"], as_of, half_life_days=7)
    # A: weights 2^0 = 1 (today) and 2^-1 = 0.5 (7 days old): (0.8 - 0.5 * 0.2) / 1.5
    assert out.loc["A", "sentiment"] == pytest.approx(0.7 / 1.5)
    assert out.loc["A", "weight"] == pytest.approx(1.5)
    assert out.loc["A", "n_items"] == 2 and out.loc["A", "latest"] == date(2024, 1, 15)
    # B: one item 14 days old: weight 0.25, the mean of one score is the score
    assert out.loc["B", "sentiment"] == pytest.approx(0.5) and out.loc["B", "weight"] == pytest.approx(0.25)
    # C: no news is no score, not a zero
    assert np.isnan(out.loc["C", "sentiment"]) and out.loc["C", "n_items"] == 0


def test_decayed_sentiment_refuses_news_from_after_the_as_of_date():
    news = pd.DataFrame({"date": [date(2024, 1, 16)], "ticker": ["A"], "score": [0.9]})
    with pytest.raises(ValueError, match="after 2024-01-15"):
        decayed_sentiment(news, ["A"], date(2024, 1, 15), half_life_days=7)

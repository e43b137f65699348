r"""Lexicon sentiment of news headlines (VADER) and a decayed score per ticker.

Each headline is scored with VADER's compound score (Hutto & Gilbert 2014, the ``vaderSentiment``
package, which ships its lexicon: nothing is downloaded), a number in [-1, 1]: the sum of the
lexicon valences of its words, adjusted for negation, intensifiers, "but", capitals and
punctuation, normalised by x / sqrt(x² + 15). Only the headline is scored (a body, when there is
one, goes to the prompt, not to the score), and the company's own name and ticker are taken out of
it first (:func:`mask_name`): a lexicon reads "Best Buy" or "General Electric" as words with a
sentiment ("best" is +3.2 in VADER's lexicon), which says nothing about the news.

A ticker's score on the as-of date T is the decayed mean of its headlines' scores,

.. math:: s = \frac{\sum_j w_j c_j}{\sum_j w_j}, \qquad w_j = 2^{-(T - d_j) / h}

with c_j the compound score of the headline dated d_j (calendar days before T) and h the half-life
in days: a headline a half-life old counts half as much as one of the as-of date. A ticker without
news in the window has no score (NaN), not a zero.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["mask_name", "headline_score", "headline_scores", "decayed_sentiment"]

_SUFFIX = re.compile(r"[,\s]+(inc\.?|corp\.?|corporation|co\.?|& co\.?|group|company|plc|ltd\.?)$", re.I)


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=8192)
def headline_score(text: str) -> float:
    """VADER's compound score of ``text``, in [-1, 1] (rounded to 4 decimals, as VADER reports it)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def mask_name(text: str, name: str, ticker: str) -> str:
    """``text`` without the company ``name`` (with and without its Inc./Corp./Co./Group suffix) and ``ticker``.

    Whole words only, ignoring case; e.g. ``Best Buy cuts jobs`` with name ``Best Buy`` -> `` cuts jobs``.
    """
    names = {n for n in (name.strip(), _SUFFIX.sub("", name.strip())) if n}
    for n in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(n)}(?!\w)", " ", text, flags=re.I)
    if ticker:
        text = re.sub(rf"(?<!\w){re.escape(ticker)}(?!\w)", " ", text)
    return " ".join(text.split())


def headline_scores(headlines: Sequence[str], names: Sequence[str] | None = None,
                    tickers: Sequence[str] | None = None) -> np.ndarray:
    """Compound score of each headline (:func:`headline_score`), its company's name and ticker masked first."""
    if names is None or tickers is None:
        return np.array([headline_score(h) for h in headlines], dtype=float)
    return np.array([headline_score(mask_name(h, n, t)) for h, n, t in zip(headlines, names, tickers, strict=True)],
                    dtype=float)


def decayed_sentiment(news: pd.DataFrame, tickers: Sequence[str], as_of: date, *,
                      half_life_days: float) -> pd.DataFrame:
    """Each ticker's decayed sentiment on ``as_of`` (see the module docstring).

    Parameters
    ----------
    news : pandas.DataFrame
        Columns ``date`` (``datetime.date``, on or before ``as_of``), ``ticker`` and ``score`` (compound, [-1, 1]).
    tickers : Sequence[str]
        The tickers to score (the index of the result, in this order).
    as_of : datetime.date
        The date the ages are counted from.
    half_life_days : float
        Calendar days after which a headline's weight halves (> 0).

    Returns
    -------
    pandas.DataFrame
        Indexed by ticker: ``sentiment`` (the decayed mean in [-1, 1], NaN without news), ``n_items``,
        ``weight`` (the sum of the decay weights: an effective count of fresh headlines) and ``latest``
        (the newest headline's date, None without news).
    """
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be > 0, found {half_life_days}")
    out = pd.DataFrame({"sentiment": np.nan, "n_items": 0, "weight": 0.0, "latest": None},
                       index=pd.Index(list(tickers), name="ticker"))
    if news.empty:
        return out
    ages = np.array([(as_of - d).days for d in news["date"]], dtype=float)
    if (ages < 0).any():
        raise ValueError(f"news dated after {as_of} cannot be scored as of {as_of}")
    w = np.power(0.5, ages / half_life_days)
    df = pd.DataFrame({"ticker": news["ticker"].to_numpy(), "w": w, "wc": w * news["score"].to_numpy(float),
                       "date": list(news["date"])})
    g = df[df["ticker"].isin(out.index)].groupby("ticker")
    for t, part in g:
        out.loc[t, ["sentiment", "n_items", "weight", "latest"]] = [
            float(part["wc"].sum() / part["w"].sum()), int(len(part)), float(part["w"].sum()), max(part["date"])]
    return out.astype({"sentiment": float, "n_items": int, "weight": float})

"""Black-Litterman (Black & Litterman 1992; He & Litterman 1999; Idzorek 2005).

Notation: Σ the covariance of excess returns, w_m the market (cap) weights, δ the risk aversion,
τ the uncertainty of the prior, P (k x n) the view picks, Q (k) the view returns, Ω (k x k) the
view uncertainty.

- equilibrium returns by reverse optimisation: π = δ Σ w_m
- Ω: ``he_litterman`` diag(τ P Σ Pᵀ) (each view as uncertain as its portfolio under the prior), or
  ``idzorek``: ω_k = α_k τ p_k Σ p_kᵀ with α_k = (1 - c_k) / c_k for a confidence c_k in (0, 1]
  (the closed form of Idzorek's method used by PyPortfolioOpt; c = 1 means certain)
- posterior mean μ = π + τΣPᵀ (τPΣPᵀ + Ω)⁻¹ (Q - Pπ)
- posterior covariance Σ_BL = Σ + M, M = τΣ - τΣPᵀ (τPΣPᵀ + Ω)⁻¹ PτΣ
- unconstrained optimal weights (He & Litterman) w* = (δ Σ_BL)⁻¹ μ

Validated against the published example of He & Litterman (1999), tables 2-6 (``tests/test_black_litterman.py``).

Views come from a YAML or CSV file (:func:`load_views`) through the :class:`ViewsProvider`
interface, so other sources (a database, a research model) can plug in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol, Sequence

import numpy as np
import pandas as pd

from rebal.allocation.base import BaseAllocator, check_choice
from rebal.errors import ConfigError
from rebal.safetext import ascii_float

__all__ = ["View", "ViewsProvider", "FileViews", "load_views", "equilibrium_returns", "view_matrices",
           "BlackLittermanResult", "black_litterman", "BlackLittermanAllocator"]


@dataclass(frozen=True)
class View:
    """One analyst view on a portfolio of assets.

    ``assets`` with ``weights`` (absolute: one asset weight 1; relative: +1 long side, -1 short
    side, or any pick weights) expected to return ``value`` (annual excess return, a fraction),
    held with ``confidence`` in (0, 1] (used by the Idzorek Ω).
    """

    assets: tuple[str, ...]
    weights: tuple[float, ...]
    value: float
    confidence: float = 0.5
    label: str = ""


class ViewsProvider(Protocol):
    """Anything that returns the views in force on a date."""

    def views(self, as_of: object | None = None) -> list[View]:
        """Return the views in force on ``as_of`` (None: the latest)."""
        ...


def _num(value: object, where: str) -> float:
    """Return a finite number from YAML or a CSV cell; text must use ASCII digits (``float("０.05")`` is 0.05)."""
    try:
        x = ascii_float(value, where) if isinstance(value, str) else float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc) if isinstance(value, str) else f"{where}: {value!r} is not a number") from None
    if not math.isfinite(x):
        raise ConfigError(f"{where}: must be a finite number, found {value!r}")
    return x


def _parse_view(raw: dict, src: str, i: int) -> View:
    where = f"{src}: views[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    allowed = {"asset", "long", "short", "picks", "value", "confidence", "label"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}`; valid keys: {', '.join(sorted(allowed))}")
    if "value" not in raw or not isinstance(raw["value"], (int, float)) or isinstance(raw["value"], bool):
        raise ConfigError(f"{where}: `value` (the expected annual return, e.g. 0.05) is required and must be a number")
    conf = raw.get("confidence", 0.5)
    if not isinstance(conf, (int, float)) or not 0 < conf <= 1:
        raise ConfigError(f"{where}: `confidence` must be in (0, 1], found {conf!r}")
    if "asset" in raw:
        picks = {str(raw["asset"]): 1.0}
    elif "picks" in raw:
        if not isinstance(raw["picks"], dict) or not raw["picks"]:
            raise ConfigError(f"{where}: `picks` must map assets to weights")
        picks = {str(k): _num(v, f"{where}: `picks.{k}`") for k, v in raw["picks"].items()}
    elif "long" in raw and "short" in raw:
        longs = [raw["long"]] if isinstance(raw["long"], str) else list(raw["long"])
        shorts = [raw["short"]] if isinstance(raw["short"], str) else list(raw["short"])
        picks = {**{a: 1.0 / len(longs) for a in longs}, **{a: -1.0 / len(shorts) for a in shorts}}
    else:
        raise ConfigError(f"{where}: give `asset` (absolute view), `long` and `short` (relative) or `picks`")
    return View(tuple(picks), tuple(picks.values()), float(raw["value"]), float(conf), str(raw.get("label", "")))


def load_views(path: str | Path) -> list[View]:
    """Read views from a YAML or CSV file.

    YAML: ``views: [{asset|long+short|picks, value, confidence, label}]``; CSV: columns ``label,
    asset, weight, value, confidence`` (rows with the same label form one view). ``value`` is an
    annual excess return (fraction), ``confidence`` in (0, 1].

    Raises
    ------
    ConfigError
        Missing file, malformed content, naming the file and the view.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: views file not found")
    if p.suffix.lower() in (".yaml", ".yml"):
        from rebal.config.yamlfile import read_yaml

        raw = read_yaml(p, what="views file")
        if not isinstance(raw, dict) or not isinstance(raw.get("views"), list):
            raise ConfigError(f"{p}: expected a top-level `views:` list")
        return [_parse_view(v, str(p), i) for i, v in enumerate(raw["views"])]
    if p.suffix.lower() == ".csv":
        df = pd.read_csv(p, dtype=str)
        need = ["label", "asset", "weight", "value"]
        miss = [c for c in need if c not in df.columns]
        if miss:
            raise ConfigError(f"{p}: missing column `{miss[0]}` (need {', '.join(need)}[, confidence])")
        out = []
        for i, (label, g) in enumerate(df.groupby("label", sort=False)):
            if len({_num(v, f"{p}: view {label!r}: `value`") for v in g["value"]}) != 1:
                raise ConfigError(f"{p}: view {label!r}: rows disagree on `value`")
            where = f"{p}: view {label!r}"
            conf = _num(g["confidence"].iloc[0], f"{where}: `confidence`") if "confidence" in g else 0.5
            out.append(_parse_view({"picks": dict(zip(g["asset"], g["weight"], strict=True)),
                                    "value": _num(g["value"].iloc[0], f"{where}: `value`"),
                                    "confidence": conf, "label": str(label)}, str(p), i))
        return out
    raise ConfigError(f"{p}: views must be .yaml or .csv")


@dataclass(frozen=True)
class FileViews:
    """A :class:`ViewsProvider` reading a YAML/CSV file (the same views on every date).

    Equal when the paths are equal, so an allocator holding one compares equal to its clone.
    """

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    def views(self, as_of: object | None = None) -> list[View]:
        """Return the views of the file (:func:`load_views`); ``as_of`` is ignored."""
        return load_views(self.path)


def equilibrium_returns(cov: pd.DataFrame, market_weights: pd.Series, delta: float = 2.5) -> pd.Series:
    """Compute the equilibrium returns π = δ Σ w_m (reverse optimisation).

    ``cov`` annual, so π is annual (fractions); ``market_weights`` fractions by ticker.
    """
    w = market_weights.reindex(cov.index).fillna(0.0)
    return (delta * cov @ w).rename("pi")


def view_matrices(views: Sequence[View], assets: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return P (k x n), Q (k, annual excess returns as fractions) and the confidences (k) of ``views``.

    Columns of P follow ``assets``; a view naming an asset outside them raises :class:`ConfigError`.
    """
    idx = {a: i for i, a in enumerate(assets)}
    P = np.zeros((len(views), len(assets)))
    for k, v in enumerate(views):
        for a, w in zip(v.assets, v.weights, strict=True):
            if a not in idx:
                raise ConfigError(f"view {v.label or k}: unknown asset {a!r} (not in the universe)")
            P[k, idx[a]] += w
    return P, np.array([v.value for v in views]), np.array([v.confidence for v in views])


@dataclass(frozen=True)
class BlackLittermanResult:
    """Prior and posterior of a Black-Litterman update (all returns annual excess returns, fractions).

    Attributes
    ----------
    pi
        Equilibrium returns π by ticker (fraction a year).
    posterior_returns
        Posterior expected returns μ_BL by ticker (fraction a year).
    posterior_cov
        Posterior covariance Σ_BL (annual).
    weights
        The unconstrained He-Litterman optimum (δ Σ_BL)⁻¹ μ_BL by ticker (fractions; may not sum to 1).
    omega
        The view uncertainty Ω (k x k, annual variance units).
    """

    pi: pd.Series
    posterior_returns: pd.Series
    posterior_cov: pd.DataFrame
    weights: pd.Series  # unconstrained He-Litterman optimum (δ Σ_BL)⁻¹ μ
    omega: np.ndarray


def black_litterman(cov: pd.DataFrame, market_weights: pd.Series, views: Sequence[View], *, delta: float = 2.5,
                    tau: float = 0.05, omega: str = "he_litterman") -> BlackLittermanResult:
    """Compute the Black-Litterman posterior (see the module docstring).

    Parameters
    ----------
    cov : pandas.DataFrame
        Annual covariance Σ of excess returns, by ticker.
    market_weights : pandas.Series
        Market weights w_m by ticker (fractions; missing tickers count as 0).
    views : Sequence[View]
        Views with annual excess returns; none: the prior comes back.
    delta, tau : float
        Risk aversion δ and prior uncertainty τ.
    omega : {"he_litterman", "idzorek"}
        How Ω is set.

    Returns
    -------
    BlackLittermanResult
        π and μ_BL (annual, fractions), Σ_BL (annual), the unconstrained weights (δ Σ_BL)⁻¹ μ_BL and Ω.
    """
    if omega not in ("he_litterman", "idzorek"):
        raise ConfigError(f"omega must be 'he_litterman' or 'idzorek', found {omega!r}")
    assets = list(cov.index)
    S = cov.to_numpy(float)
    pi = equilibrium_returns(cov, market_weights, delta)
    if not views:
        post, Sbl, Om = pi.to_numpy(), S * (1.0 + tau), np.zeros((0, 0))
    else:
        P, Q, conf = view_matrices(views, assets)
        base = np.diag(tau * P @ S @ P.T)
        Om = np.diag(base if omega == "he_litterman" else base * (1.0 - conf) / conf)
        A = tau * P @ S @ P.T + Om
        K = tau * S @ P.T @ np.linalg.solve(A, np.eye(len(Q)))
        post = pi.to_numpy() + K @ (Q - P @ pi.to_numpy())
        M = tau * S - K @ P @ (tau * S)
        Sbl = S + M
    w = np.linalg.solve(delta * Sbl, post)
    return BlackLittermanResult(pi, pd.Series(post, index=assets, name="mu_bl"),
                                pd.DataFrame(Sbl, index=assets, columns=assets),
                                pd.Series(w, index=assets, name="weight"), Om)


class BlackLittermanAllocator(BaseAllocator):
    """Black-Litterman allocator (see the module docstring).

    Ledoit-Wolf Σ of the daily returns x 252, equilibrium π from ``market_weights`` (1/N when None:
    no market caps are shipped), the views' posterior μ_BL and Σ_BL, then the long-only
    max-utility portfolio max μ_BLᵀw - (δ/2) wᵀΣ_BL w under the bounds and group caps.

    Parameters
    ----------
    views : ViewsProvider or None
        Source of the views in force at ``as_of`` (e.g. :class:`FileViews`); required by ``fit``.
        View values are annual excess returns (fractions).
    delta : float, default 2.5
        Risk aversion δ (of the prior and of the utility; unitless on annual figures).
    tau : float, default 0.05
        Uncertainty τ of the prior (scales Σ).
    omega : {"idzorek", "he_litterman"}, default "idzorek"
        How the view uncertainty Ω is set.
    market_weights : Mapping[str, float] or None
        Market (cap) weights by ticker, fractions summing to 1; None: 1/N.
    min_weight, max_weight : float, default 0.0 and 1.0
        Bounds on every weight (fractions).
    half_life : float, default 126
        Sessions; kept for the profile's interface (the posterior does not use sample means).
    groups, group_max : Mapping or None
        Ticker -> group (e.g. GICS sector) and group -> maximum total weight (fraction).
    as_of : object or None
        Date passed to ``views.views(as_of)``.

    Attributes
    ----------
    weights_ : pandas.Series
        Fractions summing to 1, indexed by ticker.
    result_ : BlackLittermanResult
        π, μ_BL, Σ_BL (annual), the unconstrained He-Litterman weights and Ω.
    views_ : list[View]
        The views used.
    market_weights_ : pandas.Series
        The prior's market weights by ticker.
    """

    def __init__(self, views: ViewsProvider | None = None, *, delta: float = 2.5, tau: float = 0.05,
                 omega: str = "idzorek", market_weights: Mapping[str, float] | None = None, min_weight: float = 0.0,
                 max_weight: float = 1.0, half_life: float = 126, groups: Mapping[str, str] | None = None,
                 group_max: Mapping[str, float] | None = None, as_of: object | None = None):
        self.views = views
        self.delta = delta
        self.tau = tau
        self.omega = omega
        self.market_weights = market_weights
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.half_life = half_life
        self.groups = groups
        self.group_max = group_max
        self.as_of = as_of

    def fit(self, X: pd.DataFrame, y: None = None) -> BlackLittermanAllocator:
        """Fit on daily simple returns ``X`` (dates x tickers, fractions).

        Returns
        -------
        BlackLittermanAllocator
            ``self``, with ``weights_``, ``result_``, ``views_`` and ``market_weights_``.

        Raises
        ------
        ConfigError
            No views provider, an invalid ``omega``, ``delta`` or ``tau``, or a view naming an
            asset outside ``X``.
        DataError
            Bad returns or a solver failure.
        """
        from rebal.allocation.mean_variance import MeanVariance
        from rebal.analytics.measures import PERIODS_PER_YEAR
        from rebal.analytics.risk import ledoit_wolf

        if self.views is None:
            raise ConfigError("black_litterman needs a views provider (target.views)")
        check_choice(self, "omega", ("idzorek", "he_litterman"))
        if not self.delta > 0 or not self.tau > 0:
            raise ConfigError(f"Invalid `delta`/`tau` of BlackLittermanAllocator: must be > 0, "
                              f"found {self.delta!r} and {self.tau!r}")
        returns = self._returns(X)
        cols = list(returns.columns)
        cov_d, _ = ledoit_wolf(returns.to_numpy(float))
        cov = pd.DataFrame(cov_d * PERIODS_PER_YEAR, index=cols, columns=cols)
        mw = (pd.Series(self.market_weights, dtype=float).reindex(cols).fillna(0.0) if self.market_weights
              else pd.Series(1.0 / len(cols), index=cols))
        self.views_ = list(self.views.views(self.as_of))
        res = black_litterman(cov, mw, self.views_, delta=self.delta, tau=self.tau, omega=self.omega)
        mv = MeanVariance("max_utility", risk_aversion=self.delta, min_weight=self.min_weight,
                          max_weight=self.max_weight, groups=self.groups, group_max=self.group_max,
                          mu=res.posterior_returns, covariance=res.posterior_cov).fit(None)
        self.result_, self.market_weights_ = res, mw
        self.weights_ = mv.weights_
        return self

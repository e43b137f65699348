"""skfolio estimators as rebal allocators (``target.method: skfolio``).

- :class:`SkfolioAllocator`: wraps any skfolio portfolio estimator (a scikit-learn meta-estimator:
  ``fit`` clones it, fits the clone as ``estimator_`` and returns its weights as a Series);
- :func:`skfolio_estimator`: the skfolio estimator a profile names in ``target.skfolio``
  (a whitelist, :data:`rebal.allocation.spec.SKFOLIO_ESTIMATORS`), with its parameters converted
  to skfolio's types (``risk_measure: cvar`` -> ``RiskMeasure.CVAR``).

In Python any skfolio estimator plugs in directly, e.g.
``SkfolioAllocator(MeanRisk(prior_estimator=EmpiricalPrior(covariance_estimator=LedoitWolf())))``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from rebal.allocation.base import BaseAllocator
from rebal.allocation.spec import SKFOLIO_ESTIMATORS, SkfolioSpec
from rebal.errors import ConfigError, DataError, RebalError

__all__ = ["SkfolioAllocator", "skfolio_estimator", "ZERO_WEIGHT"]

#: Solvers leave weights like 1e-10 on assets they exclude: below this they are set to 0.
ZERO_WEIGHT = 1e-8


class SkfolioAllocator(BaseAllocator):
    """Adapter around a skfolio portfolio estimator so it returns ``weights_`` as a Series.

    Parameters
    ----------
    estimator : skfolio estimator
        Any skfolio portfolio optimisation estimator (``MeanRisk``, ``HierarchicalRiskParity``,
        ``RiskBudgeting``...). It is cloned by ``fit``, never modified. Its parameters are in
        skfolio's units: rates per period of the returns (daily here).

    Attributes
    ----------
    estimator_ : skfolio estimator
        The fitted clone.
    weights_ : pandas.Series
        The clone's weights by ticker, those below :data:`ZERO_WEIGHT` set to 0, then divided by
        their sum (fractions summing to 1).
    """

    def __init__(self, estimator: Any = None):
        self.estimator = estimator

    def fit(self, X: pd.DataFrame, y: None = None) -> SkfolioAllocator:
        """Fit a clone of ``estimator`` on daily simple returns ``X`` (dates x tickers, fractions).

        Returns
        -------
        SkfolioAllocator
            ``self``, with ``estimator_`` and ``weights_``.

        Raises
        ------
        ConfigError
            ``estimator`` is not a scikit-learn estimator.
        DataError
            Bad returns, or the estimator failed to fit (a solver or parameter failure, with its message).
        """
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "get_params"):
            raise ConfigError(f"Invalid `estimator` of SkfolioAllocator: expected a skfolio estimator, "
                              f"found {self.estimator!r}")
        X = self._returns(X)
        est = clone(self.estimator)
        try:
            est.fit(X)
        except RebalError:
            raise
        except Exception as exc:  # solver and parameter failures are the caller's problem to fix
            raise DataError(f"{type(est).__name__} failed to fit: {exc}") from None
        w = np.asarray(est.weights_, dtype=float)
        w = np.where(w < ZERO_WEIGHT, 0.0, w)
        if not w.sum() > 0:
            raise DataError(f"{type(est).__name__} returned no positive weight")
        self.estimator_ = est
        self.weights_ = pd.Series(w / w.sum(), index=X.columns, name="weight")
        return self


def skfolio_estimator(spec: SkfolioSpec) -> Any:
    """Build the skfolio estimator named by ``target.skfolio`` (unfitted).

    Parameters
    ----------
    spec : SkfolioSpec
        ``estimator`` (one of :data:`~rebal.allocation.spec.SKFOLIO_ESTIMATORS`) and ``params``
        (only those set are passed; the others keep skfolio's defaults).

    Returns
    -------
    skfolio estimator
        e.g. ``MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RATIO, max_weights=0.2)``.

    Raises
    ------
    ConfigError
        Unknown estimator, or a parameter it does not accept.
    """
    import skfolio.optimization as opt
    from skfolio import RiskMeasure

    if spec.estimator not in SKFOLIO_ESTIMATORS:
        raise ConfigError(f"`target.skfolio.estimator`: unknown {spec.estimator!r}; "
                          f"valid: {', '.join(SKFOLIO_ESTIMATORS)}")
    kwargs: dict[str, Any] = {}
    for key, value in spec.params.given().items():
        if key not in SKFOLIO_ESTIMATORS[spec.estimator]:
            raise ConfigError(f"`target.skfolio.params.{key}`: not a parameter of {spec.estimator}; "
                              f"valid: {', '.join(SKFOLIO_ESTIMATORS[spec.estimator]) or 'none'}")
        if key == "risk_measure":
            value = RiskMeasure(value)
        elif key == "objective_function":
            value = opt.ObjectiveFunction(value)
        elif key == "risk_budget":
            value = dict(value)
        kwargs[key] = value
    return getattr(opt, spec.estimator)(**kwargs)

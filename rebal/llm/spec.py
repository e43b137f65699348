"""The ``llm`` section of a profile: views from a language model (or the offline rule) on its base target.

Example (every key optional; the defaults are shown, except ``provider`` and ``endpoint``)::

    llm:
      provider: openai              # offline | openai (any OpenAI-compatible chat-completions server) | llama_cpp
      fallback: offline             # offline | none: what gives the views when the call fails
      endpoint:                     # provider openai
        base_url: https://api.openai.com/v1   # or http://127.0.0.1:8080/v1 (llama.cpp server, vLLM, Ollama)
        model: gpt-4o-mini
        api_key_env: OPENAI_API_KEY # the NAME of the environment variable holding the key (never the key)
        timeout_seconds: 60
        retries: 2                  # on connection errors, timeouts, 429 and 5xx; backoff 1 s, 2 s, 4 s ...
        backoff_seconds: 1.0
        concurrency: 4              # calls in flight to this endpoint at once (many profiles)
        response_format: json_schema   # json_schema | json_object | none (what the server supports)
        temperature: 0.0
        max_tokens: 1500
      local: {model_path: models/x.gguf, n_ctx: 8192}   # provider llama_cpp (pip install 'rebal[llm-local]')
      news: {window_days: 30, half_life_days: 7, max_headlines: 40, body_chars: 400}
      trend_days: 63                # sessions of the price trend
      lookback_days: 252            # daily returns of the prior's covariance (and the correlations)
      delta: 2.5                    # risk aversion of the prior (equilibrium returns pi = delta Sigma w_base)
      tau: 0.05
      omega: idzorek                # view uncertainty from the confidences (or he_litterman)
      caps:
        max_views: 5                # more views: the answer is refused
        max_abs_return: 0.5         # |value| above: the answer is refused (annual, fraction)
        max_view_excess: 0.05       # |value - P pi| above: the value is capped (annual, fraction)
        max_confidence: 0.8         # above: capped
        max_distance: 0.10          # 1/2 sum |w_llm - w_base| above: the tilt is shrunk to it
      offline: {min_sentiment: 0.05, view_scale: 0.02}
      track_horizon_days: 21        # sessions over which past views are scored
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from rebal.config.loader import COUNT, DAYS, FRACTION, SESSIONS, UNITLESS, In, shorten
from rebal.errors import ConfigError

if TYPE_CHECKING:
    from rebal.config import Profile

__all__ = ["EndpointSpec", "LocalModelSpec", "NewsSpec", "CapsSpec", "OfflineRuleSpec", "LLMSpec", "check_llm",
           "PROVIDERS"]

#: unit of timeouts and backoffs
SECONDS = "seconds"
ProviderName = Literal["offline", "openai", "llama_cpp"]
#: the valid ``llm.provider`` names
PROVIDERS: tuple[str, ...] = ("offline", "openai", "llama_cpp")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class EndpointSpec:
    """An OpenAI-compatible chat-completions endpoint (``provider: openai``); see the module docstring."""

    base_url: str = ""
    model: str = ""
    #: name of the environment variable holding the API key ("" = no key, e.g. a local server)
    api_key_env: str = ""
    timeout_seconds: Annotated[float, In("(0, 600]", SECONDS)] = 60.0
    retries: Annotated[int, In("[0, 10]", COUNT)] = 2
    backoff_seconds: Annotated[float, In("[0, 60]", SECONDS)] = 1.0
    concurrency: Annotated[int, In("[1, 64]", COUNT)] = 4
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    temperature: Annotated[float, In("[0, 2]", UNITLESS)] = 0.0
    max_tokens: Annotated[int, In("[64, 32768]", COUNT)] = 1500
    #: sent as ``seed`` when the server supports it (None: not sent)
    seed: Annotated[int, In("[0, 4294967295]", UNITLESS)] | None = None


@dataclass(frozen=True)
class LocalModelSpec:
    """A local GGUF model through llama-cpp-python (``provider: llama_cpp``; the ``llm-local`` extra)."""

    #: the GGUF file; a relative path is resolved against the params/ directory
    model_path: str = ""
    n_ctx: Annotated[int, In("[512, 131072]", COUNT)] = 8192
    #: CPU threads (0: llama.cpp's default)
    n_threads: Annotated[int, In("[0, 256]", COUNT)] = 0
    temperature: Annotated[float, In("[0, 2]", UNITLESS)] = 0.0
    max_tokens: Annotated[int, In("[64, 32768]", COUNT)] = 1500
    seed: Annotated[int, In("[0, 4294967295]", UNITLESS)] = 0


@dataclass(frozen=True)
class NewsSpec:
    """Which news reaches the prompt and the sentiment scores: ``window_days`` calendar days up to the as-of date.

    Each item's weight halves every ``half_life_days`` days of age; at most ``max_headlines`` items (the newest)
    are quoted in the prompt, each body cut to ``body_chars`` characters.
    """

    window_days: Annotated[int, In("[1, 3650]", DAYS)] = 30
    half_life_days: Annotated[float, In("(0, 3650]", DAYS)] = 7.0
    max_headlines: Annotated[int, In("[1, 500]", COUNT)] = 40
    body_chars: Annotated[int, In("[0, 5000]", COUNT)] = 400


@dataclass(frozen=True)
class CapsSpec:
    """Guardrails on the model's views and on the LLM-assisted target (fractions, annual returns)."""

    max_views: Annotated[int, In("[1, 50]", COUNT)] = 5
    max_abs_return: Annotated[float, In("(0, 5]", FRACTION)] = 0.5
    max_view_excess: Annotated[float, In("(0, 1]", FRACTION)] = 0.05
    max_confidence: Annotated[float, In("(0, 1]", FRACTION)] = 0.8
    max_distance: Annotated[float, In("(0, 1]", FRACTION)] = 0.10


@dataclass(frozen=True)
class OfflineRuleSpec:
    """The offline provider's rule (:mod:`rebal.llm.offline`): the sentiment a view needs and its scale."""

    min_sentiment: Annotated[float, In("[0, 1)", UNITLESS)] = 0.05
    #: annual excess return over equilibrium for a sentiment score of 1 (a fraction)
    view_scale: Annotated[float, In("(0, 1]", FRACTION)] = 0.02


@dataclass(frozen=True)
class LLMSpec:
    """LLM-assisted views on the profile's base target (see the module docstring and :mod:`rebal.llm`)."""

    provider: ProviderName = "offline"
    fallback: Literal["offline", "none"] = "offline"
    endpoint: EndpointSpec = field(default_factory=EndpointSpec)
    local: LocalModelSpec = field(default_factory=LocalModelSpec)
    news: NewsSpec = field(default_factory=NewsSpec)
    trend_days: Annotated[int, In("[5, 1260]", SESSIONS)] = 63
    lookback_days: Annotated[int, In("[60, 5000]", SESSIONS)] = 252
    delta: Annotated[float, In("(0, 100]", UNITLESS)] = 2.5
    tau: Annotated[float, In("(0, 1]", UNITLESS)] = 0.05
    omega: Literal["idzorek", "he_litterman"] = "idzorek"
    caps: CapsSpec = field(default_factory=CapsSpec)
    offline: OfflineRuleSpec = field(default_factory=OfflineRuleSpec)
    track_horizon_days: Annotated[int, In("[1, 252]", SESSIONS)] = 21


def _check_base_url(url: str, src: str) -> None:
    where = f"{src}: `llm.endpoint.base_url`"
    if not url:
        raise ConfigError(f"{where}: required with provider 'openai' (e.g. https://api.openai.com/v1 or "
                          "http://127.0.0.1:8080/v1 for a local server)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: must be an http:// or https:// URL, found {shorten(url)}")
    if parts.username or parts.password:
        raise ConfigError(f"{where}: holds credentials; put the key in an environment variable named by "
                          "`llm.endpoint.api_key_env`, never in the file")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where}: must not hold a query or fragment, found {shorten(url)}")


def check_llm(profile: Profile, src: str) -> None:
    """Check the ``llm`` section of ``profile`` (raises :class:`ConfigError` naming the file and field).

    The model file of ``llama_cpp`` and the API key's variable are checked when a call is made (a profile
    that replays its recorded calls needs neither).
    """
    spec = profile.llm
    if spec is None:
        return
    if spec.provider == "openai":
        _check_base_url(spec.endpoint.base_url, src)
        if not spec.endpoint.model.strip():
            raise ConfigError(f"{src}: `llm.endpoint.model`: required with provider 'openai' (the model name "
                              "the server serves)")
    if spec.endpoint.api_key_env and not _ENV_NAME.match(spec.endpoint.api_key_env):
        raise ConfigError(f"{src}: `llm.endpoint.api_key_env`: the NAME of an environment variable (letters, "
                          f"digits, _), found {shorten(spec.endpoint.api_key_env)}; never the key itself")
    if spec.provider == "llama_cpp" and not spec.local.model_path:
        raise ConfigError(f"{src}: `llm.local.model_path`: required with provider 'llama_cpp' (a GGUF file)")
    if spec.caps.max_view_excess > spec.caps.max_abs_return:
        raise ConfigError(f"{src}: `llm.caps.max_view_excess`: {spec.caps.max_view_excess:g} exceeds "
                          f"`llm.caps.max_abs_return` {spec.caps.max_abs_return:g}")
    if not profile.tickers and profile.target.method != "risk4":
        raise ConfigError(f"{src}: `llm`: the profile needs a `universe` for views")

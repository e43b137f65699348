"""The providers of views and how a profile's ``llm.provider`` becomes one.

- ``offline`` (:class:`OfflineProvider`): the documented rule of :mod:`rebal.llm.offline`; no model, no network.
- ``openai`` (:class:`~rebal.llm.openai_http.ChatCompletionsProvider`): any OpenAI-compatible
  chat-completions endpoint (OpenAI, vLLM, llama.cpp's server, Ollama).
- ``llama_cpp`` (:class:`LlamaCppProvider`): a local GGUF model through llama-cpp-python, an optional extra
  (``pip install 'rebal[llm-local]'``); its answer is constrained to the schema by llama.cpp's grammar.

Every provider returns an :class:`~rebal.llm.openai_http.Answer` whose ``raw`` is what gets recorded;
:func:`answer_text` reads the answer text out of it (a chat-completion body for the model providers, the
text itself for the offline rule), the same way for a live call and for a replay.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rebal.errors import ConfigError
from rebal.llm.offline import RULE_VERSION, offline_answer
from rebal.llm.openai_http import Answer, ChatCompletionsProvider, content_of

if TYPE_CHECKING:
    from rebal.config import Profile
    from rebal.llm.prompt import ViewRequest
    from rebal.llm.spec import LocalModelSpec

__all__ = ["Provider", "OfflineProvider", "LlamaCppProvider", "make_provider", "answer_text", "LOCAL_EXTRA"]

#: how to install the local-model extra
LOCAL_EXTRA = "pip install 'rebal[llm-local]'"


class Provider(Protocol):
    """Anything that answers a view request: a name, a model, an endpoint ("" when local) and ``answer``."""

    name: str
    model: str
    endpoint: str

    def answer(self, req: ViewRequest) -> Answer:
        """Answer ``req`` (raise :class:`~rebal.errors.LLMError` when the call fails)."""
        ...


class OfflineProvider:
    """The offline rule (:mod:`rebal.llm.offline`) as a provider: deterministic, instant, no network."""

    name = "offline"
    model = RULE_VERSION
    endpoint = ""

    def answer(self, req: ViewRequest) -> Answer:
        """Answer the inputs of ``req`` by the rule."""
        t0 = time.perf_counter()
        return Answer(offline_answer(req.inputs), time.perf_counter() - t0, 1)


_MODELS: dict[tuple, object] = {}
_MODELS_LOCK = threading.Lock()


class LlamaCppProvider:
    """A local GGUF model through llama-cpp-python (loaded once per process and model file)."""

    name = "llama_cpp"
    endpoint = ""

    def __init__(self, spec: LocalModelSpec, params_dir: Path):
        path = Path(spec.model_path).expanduser()
        self.path = path if path.is_absolute() else (params_dir / path)
        self.spec = spec
        self.model = spec.model_path
        if not self.path.is_file():
            raise ConfigError(f"`llm.local.model_path`: model file {self.path} not found")
        try:
            import llama_cpp  # noqa: F401 - the optional extra
        except ImportError:
            raise ConfigError(f"`llm.provider: llama_cpp` needs the llama-cpp-python extra: {LOCAL_EXTRA}") from None

    def _llama(self):
        from llama_cpp import Llama

        key = (str(self.path.resolve()), self.spec.n_ctx, self.spec.n_threads, self.spec.seed)
        with _MODELS_LOCK:
            if key not in _MODELS:
                _MODELS[key] = Llama(model_path=key[0], n_ctx=self.spec.n_ctx, n_threads=self.spec.n_threads or None,
                                     seed=self.spec.seed, verbose=False)
            return _MODELS[key]

    def answer(self, req: ViewRequest) -> Answer:
        """Answer ``req`` with the local model, the output constrained to the schema by llama.cpp's grammar."""
        from rebal.errors import LLMError

        t0 = time.perf_counter()
        try:
            out = self._llama().create_chat_completion(
                messages=list(req.messages), temperature=self.spec.temperature, max_tokens=self.spec.max_tokens,
                seed=self.spec.seed, response_format={"type": "json_object", "schema": req.schema})
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMError(f"llama.cpp model {self.path.name}: {exc}") from None
        return Answer(json.dumps(out, ensure_ascii=False, default=str), time.perf_counter() - t0, 1)


def make_provider(profile: Profile, *, gate: threading.Semaphore | None = None) -> Provider:
    """Build the provider of ``profile``'s ``llm.provider``.

    Raises
    ------
    ConfigError
        A missing API key variable, model file or extra (one line naming it).
    """
    spec = profile.llm
    if spec.provider == "openai":
        return ChatCompletionsProvider(spec.endpoint, gate=gate)
    if spec.provider == "llama_cpp":
        return LlamaCppProvider(spec.local, Path(profile.source).resolve().parent.parent)
    return OfflineProvider()


def answer_text(provider: str, raw: str) -> str:
    """Read the answer text out of a ``raw`` response of ``provider`` (:class:`~rebal.errors.LLMError`: a refusal)."""
    return raw if provider == "offline" else content_of(raw)

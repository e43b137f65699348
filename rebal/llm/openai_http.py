"""A client of the OpenAI-compatible chat-completions protocol, on the standard library only.

``POST {base_url}/chat/completions`` with ``{"model", "messages", "temperature", "max_tokens"[, "seed"],
"response_format"}``; ``response_format`` is ``{"type": "json_schema", "json_schema": {"name":
"rebal_views", "strict": true, "schema": ...}}`` (structured outputs: OpenAI, vLLM, llama.cpp's
server, Ollama's OpenAI endpoint), ``{"type": "json_object"}`` or left out, as ``llm.endpoint.
response_format`` says. The API key is read from the environment variable that
``llm.endpoint.api_key_env`` names and sent as ``Authorization: Bearer``; it is never written anywhere.

Failures: a connection error, a timeout (``timeout_seconds`` per attempt), HTTP 429 and 5xx are
retried ``retries`` times, waiting ``backoff_seconds`` x 2^k before retry k+1 (or the server's
``Retry-After`` when it sends one, at most 60 s); other HTTP errors fail at once. Redirects are not
followed (a redirect could carry the key to another host). A response over 4 MB, or not a
chat-completion, is an error. A refusal (``message.refusal`` set, or ``finish_reason`` =
``content_filter``) is an :class:`~rebal.errors.LLMError` too, raised by :func:`content_of` (the call gave
no views). Every failure is one :class:`~rebal.errors.LLMError` naming the endpoint and what happened.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from rebal.errors import ConfigError, LLMError

if TYPE_CHECKING:
    from rebal.llm.prompt import ViewRequest
    from rebal.llm.spec import EndpointSpec

__all__ = ["Answer", "ChatCompletionsProvider", "content_of", "MAX_RESPONSE_BYTES"]

#: the largest response body read (bytes)
MAX_RESPONSE_BYTES = 4_000_000
_RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Answer:
    """What a provider returned: the raw response (recorded as is), the seconds it took, the attempts it needed."""

    raw: str
    seconds: float
    attempts: int


def content_of(raw: str) -> str:
    """Return the answer text of a chat-completion response body (:class:`LLMError` for a refusal)."""
    try:
        body = json.loads(raw)
        choice = body["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(f"the response is not a chat completion: {raw[:80]!r}") from None
    if message.get("refusal"):
        raise LLMError(f"the model refused: {str(message['refusal'])[:200]}")
    if choice.get("finish_reason") == "content_filter":
        raise LLMError("the answer was withheld by the server's content filter (finish_reason content_filter)")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise LLMError(f"the model gave no answer text (finish_reason {choice.get('finish_reason')!r})")
    return content


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib's hook
        return None  # urllib then raises the 3xx as an HTTPError


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return None if when is None else max(0.0, when.timestamp() - time.time())


class ChatCompletionsProvider:
    """Answers a :class:`~rebal.llm.prompt.ViewRequest` from an OpenAI-compatible endpoint (module docstring).

    Parameters
    ----------
    spec : EndpointSpec
        The profile's ``llm.endpoint``.
    gate : threading.Semaphore or None
        Held while a request is in flight (the endpoint's ``concurrency`` across profiles).
    env : Mapping[str, str] or None
        Where the key's variable is looked up (default ``os.environ``).
    sleep : Callable[[float], None]
        How to wait between retries (tests pass a recorder).
    """

    name = "openai"

    def __init__(self, spec: EndpointSpec, *, gate: threading.Semaphore | None = None,
                 env: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep):
        self.spec = spec
        self.gate = gate
        self.sleep = sleep
        self.model = spec.model
        self.endpoint = spec.base_url.rstrip("/")
        self._key = None
        if spec.api_key_env:
            self._key = (os.environ if env is None else env).get(spec.api_key_env)
            if not self._key:
                raise ConfigError(f"`llm.endpoint.api_key_env`: the environment variable {spec.api_key_env} is not "
                                  "set (it must hold the API key of the endpoint)")
        self._opener = urllib.request.build_opener(_NoRedirect)

    def body(self, req: ViewRequest) -> dict:
        """Return the JSON body sent for ``req``."""
        s = self.spec
        out = {"model": s.model, "messages": list(req.messages), "temperature": s.temperature,
               "max_tokens": s.max_tokens}
        if s.seed is not None:
            out["seed"] = s.seed
        if s.response_format == "json_schema":
            out["response_format"] = {"type": "json_schema",
                                      "json_schema": {"name": "rebal_views", "strict": True, "schema": req.schema}}
        elif s.response_format == "json_object":
            out["response_format"] = {"type": "json_object"}
        return out

    def _once(self, data: bytes) -> str:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(f"{self.endpoint}/chat/completions", data=data, headers=headers,
                                         method="POST")
        with self._opener.open(request, timeout=self.spec.timeout_seconds) as resp:
            raw = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(raw) > MAX_RESPONSE_BYTES:
            raise LLMError(f"{self.endpoint}: response larger than {MAX_RESPONSE_BYTES:,} bytes")
        return raw.decode("utf-8", errors="replace")

    def _failure(self, exc: BaseException) -> tuple[str, bool, float | None]:
        """Say what happened in a failed attempt, whether to retry and the server's Retry-After."""
        if isinstance(exc, urllib.error.HTTPError):
            try:
                detail = exc.read(400).decode("utf-8", errors="replace").strip().replace("\n", " ")
            except Exception:  # the body of an error is a courtesy
                detail = ""
            hint = ("; the server may not support this `llm.endpoint.response_format` (try json_object or none)"
                    if exc.code == 400 and "response_format" in detail else "")
            what = f"HTTP {exc.code} {exc.reason}" + (f": {detail[:200]}" if detail else "") + hint
            return what, exc.code in _RETRY_STATUS, _retry_after(exc.headers)
        if isinstance(exc, (TimeoutError, socket.timeout)) or "timed out" in str(exc):
            return f"no answer within {self.spec.timeout_seconds:g} s (timeout)", True, None
        reason = getattr(exc, "reason", exc)
        return f"cannot connect ({reason})", True, None

    def answer(self, req: ViewRequest) -> Answer:
        """Send ``req`` (with retries, see the module docstring) and return the raw response.

        The answer text is :func:`content_of` the raw response (which raises for a refusal): the caller
        reads it, so that a refusal is recorded with the response that carried it.

        Raises
        ------
        LLMError
            The last failure, after the retries.
        """
        data = json.dumps(self.body(req), ensure_ascii=False).encode("utf-8")
        t0, attempts, s = time.perf_counter(), 0, self.spec
        while True:
            attempts += 1
            try:
                if self.gate is not None:
                    with self.gate:
                        raw = self._once(data)
                else:
                    raw = self._once(data)
                return Answer(raw, time.perf_counter() - t0, attempts)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                what, retry, after = self._failure(exc)
                if not retry or attempts > s.retries:
                    tries = f" after {attempts} attempts" if attempts > 1 else ""
                    raise LLMError(f"{self.endpoint}: {what}{tries}") from None
                wait = after if after is not None else s.backoff_seconds * 2 ** (attempts - 1)
                self.sleep(min(wait, 60.0))

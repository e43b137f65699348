"""Small hand-worked inputs for the LLM-assisted views, and a scripted chat-completions server on the loopback.

The three-asset example (A, B, C), worked by hand in the tests:

- base weights w = (0.5, 0.3, 0.2), no cash; Σ diagonal with variances (0.04, 0.09, 0.0625) a year;
- δ = 2.5, so π = δ Σ w = (2.5·0.04·0.5, 2.5·0.09·0.3, 2.5·0.0625·0.2) = (0.05, 0.0675, 0.03125);
- sentiment A +0.6 (2 headlines), B -0.4 (1), C +0.03 (1); trend A +10 %, B +5 %, C -2 %.
"""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

from rebal.config import load_profile
from rebal.llm.assist import Prepared
from rebal.llm.inputs import ViewInputs
from rebal.llm.prompt import build_request

AS_OF = date(2024, 3, 1)
ASSETS = ["A", "B", "C"]
BASE = pd.Series([0.5, 0.3, 0.2], index=ASSETS)
VAR = pd.Series([0.04, 0.09, 0.0625], index=ASSETS)
PI = pd.Series([0.05, 0.0675, 0.03125], index=ASSETS)  # 2.5 * VAR * BASE, by hand

PROFILE = """\
description: hand-worked LLM profile
universe: [A, B, C]
benchmark: IDX
target:
  method: fixed
  weights: {{A: 0.5, B: 0.3, C: 0.2}}
llm:
{llm}
notebooks: [drift_audit]
"""


def make_profile(tmp_path: Path, llm: str = "  provider: offline", name: str = "hand") -> object:
    """Load a profile with the hand-worked weights and the given ``llm`` block (indented YAML)."""
    d = tmp_path / "params" / "profiles"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.yaml").write_text(PROFILE.format(llm=llm))
    return load_profile(d / f"{name}.yaml")


def make_inputs(spec, news: list[tuple[str, str, str]] | None = None) -> ViewInputs:
    """The hand-worked inputs with the profile's ``llm`` spec; ``news``: (date, ticker, headline)."""
    cov = pd.DataFrame(np.diag(VAR.to_numpy()), index=ASSETS, columns=ASSETS)
    senti = pd.DataFrame({"sentiment": [0.6, -0.4, 0.03], "n_items": [2, 1, 1], "weight": [1.5, 1.0, 0.5],
                          "latest": [AS_OF] * 3}, index=pd.Index(ASSETS, name="ticker"))
    rows = news or []
    nf = pd.DataFrame({"date": [date.fromisoformat(d) for d, _, _ in rows], "ticker": [t for _, t, _ in rows],
                       "headline": [h for _, _, h in rows], "body": [None] * len(rows),
                       "source": ["test"] * len(rows), "score": [0.0] * len(rows)})
    return ViewInputs("hand", AS_OF, spec, BASE.copy(), 0.0, pd.Series(dtype=float), cov, PI.copy(),
                      pd.Series([0.10, 0.05, -0.02], index=ASSETS, name="trend"), senti, nf,
                      pd.Series(["A Corp", "B Corp", "C Corp"], index=ASSETS),
                      pd.Series(["Tech", "Energy", "Health"], index=ASSETS), AS_OF if rows else None, AS_OF)


def prepared(profile, news=None) -> Prepared:
    """A :class:`Prepared` request of ``profile`` on the hand-worked inputs."""
    inp = make_inputs(profile.llm, news)
    return Prepared(profile, AS_OF, BASE.rename("target"), inp, build_request(inp))


def answer(views: list[dict], risk: str = "Concentration in A.", expl: str = "Tilt toward A.") -> str:
    """An answer's JSON text."""
    return json.dumps({"views": views, "risk_assessment": risk, "explanation": expl})


def completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> dict:
    """A chat-completion response body."""
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


class ScriptedServer:
    """A chat-completions server on 127.0.0.1, answering each POST with the next scripted reply.

    A reply is ``(status, body, headers, delay_seconds)``; ``body`` a dict (sent as JSON) or bytes. Every
    request is kept (path, headers, JSON body). Use as a context manager; it stops itself on exit.
    """

    def __init__(self, script: list[tuple]):
        self.script = list(script)
        self.requests: list[dict] = []
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "json": json.loads(body.decode())})
                status, reply, headers, delay = outer.script.pop(0) if outer.script else (500, b"no script", {}, 0)
                if delay and outer._stop.wait(delay):
                    return
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def openai_block(url: str, **endpoint) -> str:
    """An ``llm`` block (indented YAML) for provider openai at ``url``."""
    e = {"base_url": url, "model": "test-model", "timeout_seconds": 5, "retries": 2, "backoff_seconds": 0.01,
         **endpoint}
    inner = ", ".join(f"{k}: {json.dumps(v)}" for k, v in e.items())
    return f"  provider: openai\n  fallback: none\n  endpoint: {{{inner}}}"


def with_fallback(profile, fallback: str):
    """The profile with another ``llm.fallback``."""
    return replace(profile, llm=replace(profile.llm, fallback=fallback))

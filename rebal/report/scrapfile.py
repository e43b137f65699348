"""Read the scraps of an executed notebook without importing scrapbook (the reader of :func:`widgets.scrap_payload`).

Importing scrapbook imports papermill, nbformat and jsonschema, and its reader validates every
notebook: about 0.15 s a report, seconds for a week, which ``rebal packet`` would pay on every
rebuild. A scrap is a display output whose data has the media type
``application/scrapbook.scrap.<encoder>+json`` and the payload ``{"name", "data", "encoder",
"version"}``; this reader decodes the three encoders :func:`rebal.report.widgets.scrap_payload`
writes, as scrapbook decodes them: ``text`` (a string), ``json`` (the value; a string that parses as
JSON is parsed) and ``pandas`` (base64 Parquet). A later scrap of the same name wins, as in scrapbook.
"""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

__all__ = ["read_scraps"]

_PREFIX, _SUFFIX = "application/scrapbook.scrap.", "+json"


def _decode(encoder: str, data: Any) -> Any:
    if encoder == "json" and isinstance(data, str):
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            return data
    if encoder == "pandas":
        import pandas as pd

        return pd.read_parquet(io.BytesIO(base64.b64decode(data)))
    return data


def read_scraps(path: str | Path) -> dict[str, Any]:
    """Return every scrap recorded in the notebook at ``path`` (name -> value)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            for mime, payload in (output.get("data") or {}).items():
                if not (mime.startswith(_PREFIX) and mime.endswith(_SUFFIX)) or not isinstance(payload, dict):
                    continue
                encoder = payload.get("encoder") or mime[len(_PREFIX):-len(_SUFFIX)]
                if "name" in payload and encoder in ("text", "json", "pandas"):
                    out[payload["name"]] = _decode(encoder, payload.get("data"))
    return out

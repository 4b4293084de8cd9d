"""Ollama (docs/api.md): GET /api/version, /api/tags (pulled models with details.quantization_level),
/api/ps (models in memory, context_length). Ollama exposes no speed counters, so no rate is reported."""

from __future__ import annotations

from typing import Any

from probe_client.runtimes.base import Found, Http, Served, positive_int, text

KIND = "ollama"
DEFAULT_PORT = 11434
MAX_MODELS = 64


def read(http: Http, url: str) -> Found | None:
    version = http.get(url, "/api/version")
    data = version.json() if version and version.ok else None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        return None
    tags = _models(http, url, "/api/tags")
    running = {m.get("name") or m.get("model"): m for m in _models(http, url, "/api/ps")}
    models = []
    for tag in tags[:MAX_MODELS]:
        name = text(tag.get("name") or tag.get("model"), 200)
        if name is None:
            continue
        details = tag.get("details")
        details = details if isinstance(details, dict) else {}
        live = running.get(name)
        models.append(
            Served(
                name=name,
                quant=text(details.get("quantization_level"), 32),
                context=positive_int(live.get("context_length")) if live else None,
                loaded=live is not None,
                size_bytes=positive_int(tag.get("size")),
            )
        )
    return Found(KIND, text(data["version"], 64), models)


def _models(http: Http, url: str, path: str) -> list[dict[str, Any]]:
    reply = http.get(url, path)
    data = reply.json() if reply and reply.ok else None
    rows = data.get("models") if isinstance(data, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

"""LM Studio (lmstudio.ai/docs/app/api/endpoints/openai, .../api/endpoints/rest): GET /v1/models (OpenAI
shape, owned_by "organization_owner"); its REST /api/v0/models adds quantization, state and
max_context_length when the server answers it. LM Studio publishes no speed counters."""

from __future__ import annotations

from probe_client.runtimes.base import Found, Http, Served, positive_int, text
from probe_client.runtimes.openai_compat import model_list, owners

KIND = "lmstudio"
DEFAULT_PORT = 1234


def read(http: Http, url: str) -> Found | None:
    rows = model_list(http, url)
    if rows is None or (rows and "organization_owner" not in owners(rows)):
        return None
    rest = http.get(url, "/api/v0/models")
    data = rest.json() if rest and rest.ok else None
    detail = {}
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        detail = {r.get("id"): r for r in data["data"] if isinstance(r, dict)}
    if not rows and not detail:
        return None  # an empty OpenAI-style list alone does not say LM Studio
    models = []
    for row in rows[:64]:
        more = detail.get(row["id"], {})
        state = more.get("state")
        models.append(
            Served(
                name=text(row["id"], 200) or "unknown",
                quant=text(more.get("quantization"), 32),
                context=positive_int(more.get("loaded_context_length") or more.get("max_context_length")),
                loaded=None if state is None else state == "loaded",
            )
        )
    return Found(KIND, None, models)

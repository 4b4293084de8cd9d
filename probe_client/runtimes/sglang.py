"""SGLang (docs/basic_usage/native_api.md, docs/references/production_metrics.md): GET /v1/models
(owned_by "sglang"), /get_server_info (version), /metrics with --enable-metrics: time per output token
(sglang:time_per_output_token_seconds / inter_token_latency_seconds), prompt tokens over time to first token
(a lower bound of prefill speed: TTFT includes queueing)."""

from __future__ import annotations

from probe_client.runtimes.base import Found, Http, text
from probe_client.runtimes.openai_compat import model_list, owners, served_from_metrics

KIND = "sglang"
DEFAULT_PORT = 30000
TPOT = ("sglang:time_per_output_token_seconds", "sglang:inter_token_latency_seconds")


def read(http: Http, url: str) -> Found | None:
    rows = model_list(http, url)
    if not rows or "sglang" not in owners(rows):
        return None
    version = None
    for path in ("/get_server_info", "/server_info"):
        info = http.get(url, path)
        data = info.json() if info and info.ok else None
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            version = text(data["version"], 64)
            break
    metrics = http.get(url, "/metrics")
    body = metrics.body if metrics and metrics.ok else None
    prompt, ttft = "sglang:prompt_tokens_total", "sglang:time_to_first_token_seconds_sum"
    models = served_from_metrics(rows, body, TPOT, prompt, ttft)
    return Found(KIND, version, models)

"""vLLM (docs/serving/openai_compatible_server.md, docs/design/metrics.md): GET /version, /v1/models
(owned_by "vllm", root, max_model_len), /metrics: time per output token (vllm:time_per_output_token_seconds,
renamed vllm:inter_token_latency_seconds in V1), prompt tokens over prefill time."""

from __future__ import annotations

from probe_client.runtimes.base import Found, Http, text
from probe_client.runtimes.openai_compat import model_list, owners, served_from_metrics

KIND = "vllm"
DEFAULT_PORT = 8000
TPOT = ("vllm:time_per_output_token_seconds", "vllm:inter_token_latency_seconds")


def read(http: Http, url: str) -> Found | None:
    rows = model_list(http, url)
    if not rows or "vllm" not in owners(rows):
        return None
    version = http.get(url, "/version")
    data = version.json() if version and version.ok else None
    metrics = http.get(url, "/metrics")
    body = metrics.body if metrics and metrics.ok else None
    models = served_from_metrics(rows, body, TPOT, "vllm:prompt_tokens_total", "vllm:request_prefill_time_seconds_sum")
    return Found(KIND, text(data.get("version"), 64) if isinstance(data, dict) else None, models)

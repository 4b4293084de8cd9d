"""SGLang (docs/basic_usage/native_api.md, docs/references/production_metrics.md): GET /v1/models
(owned_by "sglang"), /get_server_info (version), /metrics with --enable-metrics: time per output token
(sglang:time_per_output_token_seconds / inter_token_latency_seconds), prompt tokens over time to first token
(a lower bound of prefill speed: TTFT includes queueing)."""

from __future__ import annotations

from probe_client.runtimes.base import Found, Http, Served, parse_prometheus, text
from probe_client.runtimes.openai_compat import context, counter_rate, histogram_rate, identity, model_list, owners

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
    series = parse_prometheus(metrics.body) if metrics and metrics.ok else []
    models = []
    for row in rows[:64]:
        name, repo = identity(row)
        decode, samples = None, 0
        for metric in TPOT:
            decode, samples = histogram_rate(series, metric, row["id"])
            if decode is not None:
                break
        prefill = counter_rate(
            series, "sglang:prompt_tokens_total", "sglang:time_to_first_token_seconds_sum", row["id"]
        )
        models.append(Served(name, repo=repo, context=context(row), decode_tps=decode, prefill_tps=prefill,
                             samples=samples, loaded=True))  # fmt: skip
    return Found(KIND, version, models)

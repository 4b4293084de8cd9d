"""llama.cpp's llama-server (tools/server/README.md): GET /props (model_path, build_info, n_ctx), /slots
(per-slot n_ctx; off with --no-slots), /metrics (only with --metrics: token and seconds counters)."""

from __future__ import annotations

from probe_client.runtimes.base import (
    Found,
    Http,
    Served,
    file_name,
    parse_prometheus,
    positive_int,
    rate,
    text,
    total,
)

KIND = "llamacpp"
DEFAULT_PORT = 8080


def read(http: Http, url: str) -> Found | None:
    props = http.get(url, "/props")
    data = props.json() if props and props.ok else None
    if not isinstance(data, dict) or "default_generation_settings" not in data:
        return None  # /props with default_generation_settings is what only llama-server answers
    settings = data.get("default_generation_settings")
    context = positive_int(settings.get("n_ctx")) if isinstance(settings, dict) else None
    notes: list[str] = []
    if context is None:
        slots = http.get(url, "/slots")
        rows = slots.json() if slots and slots.ok else None
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            context = positive_int(rows[0].get("n_ctx"))
    decode = prefill = None
    samples = 0
    metrics = http.get(url, "/metrics")
    if metrics and metrics.ok:
        series = parse_prometheus(metrics.body)
        generated = total(series, "llamacpp:tokens_predicted_total")
        decode = rate(generated, total(series, "llamacpp:tokens_predicted_seconds_total"))
        prefill = rate(total(series, "llamacpp:prompt_tokens_total"), total(series, "llamacpp:prompt_seconds_total"))
        samples = int(generated or 0) if decode else 0
    else:
        notes.append("llama-server at this URL has no /metrics (start it with --metrics to report its speed)")
    name = file_name(data.get("model_path"))
    model = Served(
        name=(name or "unknown").removesuffix(".gguf"),
        file=name,
        context=context,
        decode_tps=decode,
        prefill_tps=prefill,
        samples=samples,
        loaded=True,
    )
    return Found(KIND, text(data.get("build_info"), 64), [model] if name else [], notes)

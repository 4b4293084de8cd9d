"""The OpenAI-compatible model list every server answers (GET /v1/models), and the TPOT/prefill rates that
vLLM and SGLang publish as Prometheus histograms. Shared by the vllm, sglang and lmstudio readers."""

from __future__ import annotations

from typing import Any

from probe_client.runtimes.base import (
    Http,
    Sample,
    Served,
    file_name,
    parse_prometheus,
    positive_int,
    rate,
    repo_or_none,
    text,
    total,
)


def model_list(http: Http, url: str) -> list[dict[str, Any]] | None:
    """The ``data`` rows of /v1/models, or None when the server does not answer it."""
    reply = http.get(url, "/v1/models")
    data = reply.json() if reply and reply.ok else None
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return None
    return [row for row in rows if isinstance(row, dict) and isinstance(row.get("id"), str)]


def owners(rows: list[dict[str, Any]]) -> set[str]:
    return {str(row.get("owned_by")) for row in rows}


def identity(row: dict[str, Any]) -> tuple[str, str | None]:
    """(name, repo): the served name, and the Hub repo it was loaded from when ``root`` or ``id`` is one.
    A local directory (``root: /models/llama``) gives only its last component as the name."""
    served = text(row["id"], 200) or "unknown"
    root = row.get("root")
    repo = repo_or_none(root) or repo_or_none(served)
    if repo_or_none(served) is None and ("/" in served or "\\" in served):  # served under its local path
        served = file_name(served) or served
    return served, repo


def context(row: dict[str, Any]) -> int | None:
    return positive_int(row.get("max_model_len"))


def histogram_rate(series: list[Sample], metric: str, model: str) -> tuple[float | None, int]:
    """Tokens/s from a seconds-per-token histogram: count / sum (the mean of 1/TPOT weighted by tokens)."""
    for label in ("model_name", "name"):
        seconds = total(series, f"{metric}_sum", **{label: model})
        count = total(series, f"{metric}_count", **{label: model})
        if seconds is not None and count is not None:
            tps = rate(count, seconds)
            return tps, int(count) if tps else 0
    return None, 0


def counter_rate(series: list[Sample], tokens: str, seconds: str, model: str) -> float | None:
    for label in ("model_name", "name"):
        got = rate(total(series, tokens, **{label: model}), total(series, seconds, **{label: model}))
        if got is not None:
            return got
    return None


def served_from_metrics(
    rows: list[dict[str, Any]],
    metrics_body: str | None,
    tpot: tuple[str, ...],
    prompt_tokens: str,
    prefill_seconds: str,
) -> list[Served]:
    """The models an OpenAI-compatible server lists, with the rates its Prometheus /metrics give per model:
    decode from the first time-per-output-token histogram present, prefill as prompt tokens over the time
    series that bounds it (vLLM: prefill time; SGLang: time to first token)."""
    series = parse_prometheus(metrics_body) if metrics_body is not None else []
    models = []
    for row in rows[:64]:
        name, repo = identity(row)
        decode, samples = None, 0
        for metric in tpot:
            decode, samples = histogram_rate(series, metric, row["id"])
            if decode is not None:
                break
        prefill = counter_rate(series, prompt_tokens, prefill_seconds, row["id"])
        models.append(Served(name, repo=repo, context=context(row), decode_tps=decode, prefill_tps=prefill,
                             samples=samples, loaded=True))  # fmt: skip
    return models

"""Runtimes a probe reports are kept with the report by both stores (additive: the report body holds them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fleetfit.contract import Report, RuntimeInfo, ServedModel
from fleetfit.store import Store
from fleetfit.store.samples import sample_report
from pydantic import ValidationError

MEASURED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def with_runtimes(report: Report) -> Report:
    model = ServedModel(
        name="Meta-Llama-3.1-8B-Instruct-Q4_K_M",
        file="Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
        quant="Q4_K_M",
        context=8192,
        measured_decode_tps=128.0,
        measured_prefill_tps=3887.6,
        samples=20480,
        measured_at=MEASURED,
        loaded=True,
    )
    runtime = RuntimeInfo(kind="llamacpp", version="b6713-0e76a8993", url="http://127.0.0.1:8080", models=[model])
    return report.model_copy(update={"runtimes": [runtime]})


def test_runtimes_round_trip_through_latest_and_history(store: Store) -> None:
    report = with_runtimes(sample_report("n1"))
    store.put_report(report, received_at=datetime.now(UTC))
    latest = store.latest("n1")
    assert latest is not None and latest.report.runtimes == report.runtimes
    [entry] = store.history("n1", limit=5).items
    assert entry.report.runtimes[0].models[0].measured_decode_tps == 128.0


def test_a_report_without_runtimes_reads_back_with_none(store: Store) -> None:
    store.put_report(sample_report("n2"), received_at=datetime.now(UTC))
    latest = store.latest("n2")
    assert latest is not None and latest.report.runtimes == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("measured_decode_tps", float("nan")),
        ("measured_decode_tps", float("inf")),
        ("measured_decode_tps", -1.0),
        ("measured_prefill_tps", 1e9),
        ("file", "/home/ana/models/x.gguf"),
        ("repo", "../../etc/passwd"),
        ("samples", -3),
        ("name", ""),
    ],
)
def test_absurd_or_leaky_model_fields_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        ServedModel(**{"name": "x", field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["http://user:pw@10.0.0.2:8000", "http://h:1/?api_key=s", "file:///etc"])
def test_runtime_urls_with_credentials_or_queries_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        RuntimeInfo(kind="vllm", url=url)

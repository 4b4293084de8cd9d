"""`fleetfit probe --local`: the node's own runtimes mark what it serves and what it measured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fleetfit.contract import RuntimeInfo, ServedModel
from fleetfit.local import ingest_local
from fleetfit.store.samples import apple_m3_max, sample_report


def test_local_top_shows_the_measured_speed_of_a_served_model(tmp_path: Path) -> None:
    db = str(tmp_path / "fleet.db")
    plain = ingest_local(sample_report("laptop", system=apple_m3_max()), db_path=db)
    top = plain.models[0]
    assert top.installed is None and top.estimate_basis.source == "estimated"  # no runtimes reported: unknown
    served = ServedModel(name=top.name, repo=top.name, quant=top.best_quant, measured_decode_tps=42.0, samples=900,
                         measured_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # fmt: skip
    runtime = RuntimeInfo(kind="vllm", version="0.10.1.1", url="http://127.0.0.1:8000", models=[served])
    report = sample_report("laptop", system=apple_m3_max()).model_copy(update={"runtimes": [runtime]})
    env = ingest_local(report, db_path=db)
    row = next(m for m in env.models if m.name == top.name)
    assert row.installed is True and row.measured_tps == 42.0 and row.estimated_tps == 42.0
    assert row.estimate_basis.source == "measured"
    others = [m for m in env.models if m.name != top.name]
    assert all(not m.installed and m.estimate_basis.source == "estimated" for m in others)

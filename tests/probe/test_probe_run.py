"""Whole probe runs against a real local HTTP server: delivery, outages, retries, refusals, configuration."""

from __future__ import annotations

import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from probe_fakes import FakeTime, IngestServer, Scripted, fake_host, make_runtime

from probe_client.run import EXIT_CONFIG, EXIT_DELIVERED, EXIT_ERROR, EXIT_SPOOLED, ProbeArgs, run_probe
from probe_client.spool import Spool


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


def args_for(server: IngestServer, token: Path, spool_dir: Path, **extra: Any) -> ProbeArgs:
    values: dict[str, Any] = {
        "endpoint": server.url,
        "token_file": str(token),
        "spool_dir": str(spool_dir),
        "node_id": "node-a",
    }
    values.update(extra)
    return ProbeArgs(**values)


def runtime(tmp_path: Path, fake_time: FakeTime, **overrides: Any) -> Any:
    overrides.setdefault("stdout", io.StringIO())
    return make_runtime(tmp_path / "root", fake_time, **overrides)


def test_a_run_posts_the_report_and_empties_the_spool(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    [request] = server.received
    report = request.report
    assert request.path == "/api/v1/reports"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == report["report_id"]
    assert request.headers["Authorization"] == "Bearer s3cr3t-t0ken-value-0123456789"
    assert report["node_id"] == "node-a" and report["hostname"] == "node-a.example"
    assert report["system"]["cpu_name"] == "AMD EPYC 9654 96-Core Processor"
    assert report["collected_at"] == "2026-11-27T10:00:00Z"
    assert Spool(spool_dir).pending_ids() == []
    assert rt.stdout.getvalue().startswith(f"delivered report {report['report_id']} for node node-a (new)")


def test_json_prints_the_servers_envelope(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir, json=True), rt) == EXIT_DELIVERED
    envelope = json.loads(rt.stdout.getvalue())
    assert envelope["node"]["name"] == "node-a" and envelope["models"] == []


def test_endpoint_with_a_stage_path_and_token_from_the_environment(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, spool_dir: Path
) -> None:
    server.script(Scripted(201, {"ok": True}))
    rt = runtime(tmp_path, fake_time, environ={"FLEETFIT_TOKEN": "env-token-123", "FLEETFIT_ENDPOINT": server.url})
    args = ProbeArgs(endpoint=f"{server.url}/prod/", spool_dir=str(spool_dir))
    assert run_probe(args, rt) == EXIT_DELIVERED
    assert server.received[0].path == "/prod/api/v1/reports"
    assert server.received[0].headers["Authorization"] == "Bearer env-token-123"


def test_outage_reports_all_arrive_once_in_order_after_the_server_returns(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    """The issue's fault test: reports spooled while the API is down arrive exactly once, oldest first."""
    server.stop()
    spooled: list[str] = []
    for _ in range(3):
        rt = runtime(tmp_path, fake_time)
        assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_SPOOLED
        spooled = Spool(spool_dir).pending_ids()
        fake_time.advance(900)  # the next timer run, 15 minutes later
    assert len(spooled) == 3

    server.start()  # back, on the same port
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    assert Spool(spool_dir).pending_ids() == []
    assert len(server.accepted) == 4
    assert server.accepted[:3] == spooled  # in order
    assert server.accepted == sorted(server.accepted)
    posted = [r.report["report_id"] for r in server.received]
    assert posted == server.accepted  # exactly once: no retry was a duplicate
    times = [server.reports[i]["collected_at"] for i in server.accepted]
    assert times == sorted(times) and len(set(times)) == 4
    assert "3 older report(s) flushed" in rt.stdout.getvalue()


def test_server_failing_n_times_then_healthy_delivers_in_one_run(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    server.fail(3, status=503)
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    keys = {r.headers["Idempotency-Key"] for r in server.received}
    assert len(server.received) == 4 and len(keys) == 1  # the same report_id on every retry
    assert len(fake_time.sleeps) == 3
    assert all(0 <= s <= cap for s, cap in zip(fake_time.sleeps, [1, 2, 4], strict=True))


def test_429_with_retry_after_is_honoured(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    server.fail(1, status=429, headers={"Retry-After": "5"})
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    assert fake_time.sleeps == [5.0]


def test_persistent_5xx_spools_for_later(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    server.fail(10, status=500)
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_SPOOLED
    assert len(server.received) == 4  # the policy's attempts
    assert len(Spool(spool_dir).pending_ids()) == 1


def test_a_duplicate_answer_counts_as_delivered(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    server.script(Scripted(200, {"node": {}}))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    assert "(already known)" in rt.stdout.getvalue()


def test_400_moves_the_report_to_dead_letters_with_the_message(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    server.script(Scripted(400, {"error": "system.gpus: gpu_count is 2 but gpus lists 1 cards"}))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_ERROR
    spool = Spool(spool_dir)
    [dead] = spool.dead_ids()
    reason = json.loads((spool.dead / f"{dead}.reason.json").read_text())
    assert reason == {
        "report_id": dead,
        "status": 400,
        "error": "system.gpus: gpu_count is 2 but gpus lists 1 cards",
        "dead_lettered_at": reason["dead_lettered_at"],
    }
    assert spool.pending_ids() == [] and len(server.received) == 1


def test_an_old_refused_report_does_not_block_the_new_one(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    Spool(spool_dir).put("20200101T000000000000Z-aaaaaaaaaaaa", b'{"report_id": "old"}')
    server.script(Scripted(422, {"error": "unprocessable"}))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    assert Spool(spool_dir).dead_ids() == ["20200101T000000000000Z-aaaaaaaaaaaa"]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_or_route_refusal_is_bad_configuration_and_keeps_the_report(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path, status: int
) -> None:
    server.script(Scripted(status, {"error": "denied"}))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_CONFIG
    assert len(Spool(spool_dir).pending_ids()) == 1 and Spool(spool_dir).dead_ids() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"endpoint": None}, "no endpoint"),
        ({"endpoint": "ftp://example.com"}, "http:// or https://"),
        ({"endpoint": "https://user:pw@example.com"}, "must not carry credentials"),
        ({"endpoint": "https://example.com/?x=1"}, "base URL"),
        ({"token_file": None}, "no bearer token"),
        ({"token_file": "/nonexistent/token"}, "cannot read token file"),
        ({"node_id": "-bad id"}, "--node-id"),
        ({"splay": -1.0}, "--splay"),
        ({"system": "/nonexistent/system.json"}, "cannot read"),
    ],
)
def test_bad_configuration_exits_2_and_sends_nothing(
    tmp_path: Path,
    fake_time: FakeTime,
    server: IngestServer,
    token_file: Path,
    spool_dir: Path,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    message: str,
) -> None:
    args = args_for(server, token_file, spool_dir, **changes)
    assert run_probe(args, runtime(tmp_path, fake_time)) == EXIT_CONFIG
    assert message in caplog.text
    assert server.received == [] and Spool(spool_dir).pending_ids() == []


def test_system_file_is_sent_instead_of_detecting(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    system = {
        "total_ram_gb": 2048.0,
        "available_ram_gb": 1900.0,
        "cpu_cores": 224,
        "cpu_name": "Intel(R) Xeon(R) Platinum 8480+",
        "has_gpu": True,
        "gpu_vram_gb": 640.0,
        "gpu_name": "NVIDIA H100 80GB HBM3",
        "gpu_count": 8,
        "unified_memory": False,
        "backend": "CUDA",
        "gpus": [{"name": "NVIDIA H100 80GB HBM3", "vram_gb": 80.0, "backend": "CUDA", "count": 8}],
    }
    path = tmp_path / "dgx.json"
    path.write_text(json.dumps(system))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir, system=str(path), node_id="dgx-01"), rt) == 0
    report = server.received[0].report
    assert report["node_id"] == "dgx-01"
    assert report["system"]["gpu_count"] == 8 and report["system"]["cpu_cores"] == 224
    assert report["notes"] == ["System read from dgx.json, not detected"]


def test_splay_waits_a_random_share_of_the_window(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir, splay=300.0), rt) == EXIT_DELIVERED
    assert len(fake_time.sleeps) == 1 and 0 <= fake_time.sleeps[0] <= 300


def test_detection_notes_travel_with_the_report(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    host = fake_host(tmp_path / "root", commands={"nvidia-smi": "nvidia_smi_rtx4090.csv"})
    rt = runtime(tmp_path, fake_time, host=host)
    assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_DELIVERED
    notes = server.received[0].report["notes"]
    assert any("read from nvidia-smi" in n for n in notes)


def test_node_id_defaults_to_the_hashed_machine_id(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    (tmp_path / "root" / "etc").mkdir(parents=True)
    (tmp_path / "root" / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, spool_dir, node_id=None), rt) == EXIT_DELIVERED
    assert server.received[0].report["node_id"].startswith("mid-")


def test_unwritable_spool_still_sends(
    tmp_path: Path,
    fake_time: FakeTime,
    server: IngestServer,
    token_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the spool directory should be")
    rt = runtime(tmp_path, fake_time)
    assert run_probe(args_for(server, token_file, blocker / "spool"), rt) == EXIT_DELIVERED
    assert "without a safety copy" in caplog.text
    assert len(server.accepted) == 1


def test_a_second_run_during_a_flush_leaves_its_report_spooled(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, spool_dir: Path
) -> None:
    rt = runtime(tmp_path, fake_time)
    with Spool(spool_dir).locked():
        assert run_probe(args_for(server, token_file, spool_dir), rt) == EXIT_SPOOLED
    assert server.received == [] and len(Spool(spool_dir).pending_ids()) == 1


# --- --local ----------------------------------------------------------------------------------------------


def test_local_without_the_embedded_store_says_not_available(
    tmp_path: Path, fake_time: FakeTime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fleetfit.local", None)  # an import of it raises ImportError
    assert run_probe(ProbeArgs(local=True), runtime(tmp_path, fake_time)) == EXIT_ERROR
    assert "not available yet" in caplog.text


def test_local_stores_through_ingest_local_and_prints_the_table(
    tmp_path: Path, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[Any] = []
    local = types.ModuleType("fleetfit.local")

    def ingest_local(report: Any, *, db_path: str | None) -> dict[str, Any]:
        stored.append((report, db_path))
        return {"node": {"name": report.node_id}, "models": []}

    local.ingest_local = ingest_local  # type: ignore[attr-defined]
    render = types.ModuleType("fleetfit.render")
    render.render_table = lambda envelope: f"TABLE for {envelope['node']['name']}\n"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fleetfit.local", local)
    monkeypatch.setitem(sys.modules, "fleetfit.render", render)

    rt = runtime(tmp_path, fake_time)
    assert run_probe(ProbeArgs(local=True, node_id="laptop"), rt) == EXIT_DELIVERED
    assert rt.stdout.getvalue() == "TABLE for laptop\n"
    [(report, db_path)] = stored
    assert report.node_id == "laptop" and db_path is None

    rt = runtime(tmp_path, fake_time)
    assert run_probe(ProbeArgs(local=True, node_id="laptop", json=True), rt) == EXIT_DELIVERED
    assert json.loads(rt.stdout.getvalue())["node"]["name"] == "laptop"


def test_local_with_the_real_embedded_store(
    tmp_path: Path, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end with the engine's store and renderer, where this checkout has them."""
    pytest.importorskip("fleetfit.local")
    pytest.importorskip("fleetfit.render")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    rt = runtime(tmp_path, fake_time)
    assert run_probe(ProbeArgs(local=True, node_id="laptop", json=True), rt) == EXIT_DELIVERED
    envelope = json.loads(rt.stdout.getvalue())
    assert envelope["node"]["name"] == "laptop"
    assert envelope["system"]["cpu_name"] == "AMD EPYC 9654 96-Core Processor"
    rt = runtime(tmp_path, fake_time)
    assert run_probe(ProbeArgs(local=True, node_id="laptop"), rt) == EXIT_DELIVERED
    assert "AMD EPYC 9654" in rt.stdout.getvalue()

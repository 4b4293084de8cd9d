"""Probe faults (issue 11): a poison report, a Retry-After it cannot parse, long outages; whole runs against a
real local HTTP server on an instant clock. Each failed before its fix."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from probe_fakes import FakeTime, IngestServer, Scripted, make_runtime

from probe_client.deliver import MAX_STRIKES, retry_after_s
from probe_client.run import EXIT_DELIVERED, EXIT_SPOOLED, ProbeArgs, run_probe
from probe_client.spool import Spool

POISON = "20261126T000000000000Z-poisonpoison"


def _args(server: IngestServer, token: Path, spool_dir: Path) -> ProbeArgs:
    return ProbeArgs(endpoint=server.url, token_file=str(token), spool_dir=str(spool_dir), node_id="node-a")


def _run(tmp_path: Path, fake_time: FakeTime, server: IngestServer, token: Path, spool_dir: Path) -> int:
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    code = run_probe(_args(server, token, spool_dir), rt)
    fake_time.advance(900)  # the next timer run, 15 minutes later
    return code


def _spool_poison(spool_dir: Path) -> None:
    body = {"node_id": "node-a", "report_id": POISON, "probe_version": "0.1.0"}
    Spool(spool_dir).put(POISON, json.dumps(body).encode())


def test_a_poison_report_does_not_hold_back_newer_ones_and_is_dead_lettered(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    spool_dir = tmp_path / "spool"
    _spool_poison(spool_dir)
    server.poison.add(POISON)
    for run in range(MAX_STRIKES):
        assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_DELIVERED, run
        assert len(server.accepted) == run + 1  # this run's report went, although the older one failed
    spool = Spool(spool_dir)
    assert spool.pending_ids() == [] and spool.dead_ids() == [POISON]
    reason = json.loads((spool_dir / "dead" / f"{POISON}.reason.json").read_text())
    assert reason["status"] == 500 and "internal error" in reason["error"] and f"{MAX_STRIKES} runs" in reason["error"]
    before = len(server.received)
    assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_DELIVERED
    assert all(r.report["report_id"] != POISON for r in server.received[before:])  # never sent again


def test_a_server_failing_everything_strikes_no_report(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    # an API answering 503 to every request for 10 runs (the Lambda down behind the gateway): nothing is dropped
    spool_dir = tmp_path / "spool"
    for _ in range(10):
        server.fail(200, status=503)
        assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_SPOOLED
        with server._lock:
            server._script.clear()
    spool = Spool(spool_dir)
    assert len(spool.pending_ids()) == 10 and spool.dead_ids() == []
    waiting = spool.pending_ids()
    assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_DELIVERED
    assert server.accepted[:10] == waiting and len(server.accepted) == 11  # each once, in order
    assert len(set(server.accepted)) == 11 and server.accepted == sorted(server.accepted)


def test_api_down_for_10_runs_then_back_delivers_10_once_each_in_order(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    spool_dir = tmp_path / "spool"
    server.stop()
    for _ in range(10):
        assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_SPOOLED
    waiting = Spool(spool_dir).pending_ids()
    assert len(waiting) == 10
    server.start()
    assert _run(tmp_path, fake_time, server, token_file, spool_dir) == EXIT_DELIVERED
    assert server.accepted[:10] == waiting and len(server.accepted) == 11
    posted = [r.report["report_id"] for r in server.received]
    assert posted == server.accepted  # exactly once each
    assert Spool(spool_dir).pending_ids() == [] and Spool(spool_dir).dead_ids() == []


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000, "Wed, 99 Foo 2026 99:99:99 GMT", "soon", "-5", "1.5"])
def test_a_retry_after_it_cannot_parse_is_ignored(value: str) -> None:
    wait = retry_after_s(value, datetime(2026, 11, 27, tzinfo=UTC))
    assert wait is None or wait >= 0


@pytest.mark.parametrize("value", ["²", "Wed, 99 Foo 2026 99:99:99 GMT"])
def test_an_unparseable_retry_after_spools_with_exit_3(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, value: str
) -> None:
    server.script(*[Scripted(503, {"error": "busy"}, {"Retry-After": value}) for _ in range(10)])
    code = _run(tmp_path, fake_time, server, token_file, tmp_path / "spool")
    assert code == EXIT_SPOOLED
    assert len(Spool(tmp_path / "spool").pending_ids()) == 1


def test_a_400_dead_letters_with_the_servers_message(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    server.script(Scripted(422, {"error": "system.gpus: List should have at most 64 items"}))
    spool_dir = tmp_path / "spool"
    _run(tmp_path, fake_time, server, token_file, spool_dir)
    [dead] = Spool(spool_dir).dead_ids()
    reason: dict[str, Any] = json.loads((spool_dir / "dead" / f"{dead}.reason.json").read_text())
    assert reason["status"] == 422 and "at most 64 items" in reason["error"]


@pytest.mark.parametrize("literal", ["Infinity", "NaN", "1e999"])
def test_a_system_file_with_non_finite_numbers_is_refused(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, literal: str
) -> None:
    from fleetfit.store.samples import rtx4090_workstation

    from probe_client.run import EXIT_CONFIG

    system = rtx4090_workstation().model_dump(mode="json")
    system["total_ram_gb"] = "@@"
    path = tmp_path / "system.json"
    path.write_text(json.dumps(system).replace('"@@"', literal))
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    args = ProbeArgs(
        endpoint=server.url, token_file=str(token_file), spool_dir=str(tmp_path / "spool"), system=str(path)
    )
    assert run_probe(args, rt) == EXIT_CONFIG
    assert server.received == []  # nothing sent, nothing spooled
    assert Spool(tmp_path / "spool").pending_ids() == []


_SPOOLER = r"""
import sys
from pathlib import Path
from probe_client.spool import Spool
spool = Spool(Path(sys.argv[1]), max_reports=100000, max_bytes=1 << 40)
i = 0
while True:
    body = (b'{"n": %d, "pad": "' % i) + b"x" * (256 * 1024) + b'"}'
    spool.put(f"20261127T100000{i:06d}Z-kill", body)
    i += 1
"""


def test_sigkill_while_spooling_leaves_nothing_corrupt(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "spool"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _SPOOLER, str(root)], env=env)
    try:
        deadline = time.monotonic() + 20
        while len(Spool(root).pending_ids()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    spool = Spool(root)
    ids = spool.pending_ids()
    assert len(ids) >= 5
    for report_id in ids:  # every report the spool lists is whole: a crash leaves the old state or the new
        data = json.loads(spool.read(report_id))
        assert len(data["pad"]) == 256 * 1024
    leftovers = [p.name for p in (root / "pending").iterdir() if p.name.startswith(".")]
    assert len(leftovers) <= 1  # at most the temp file being written, never listed as a report


def test_a_full_spool_disk_with_the_api_down_is_a_clear_error(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import errno

    import probe_client.spool as spool_mod
    from probe_client.run import EXIT_ERROR

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    server.stop()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spool_mod, "_write_atomic", full)
        code = _run(tmp_path, fake_time, server, token_file, tmp_path / "spool")
    assert code == EXIT_ERROR
    assert "No space left on device" in caplog.text and "could not spool" in caplog.text

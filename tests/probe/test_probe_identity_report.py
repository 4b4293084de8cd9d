"""Node identity (explicit, EC2 via IMDSv2 on a real local server, machine-id hash, hostname) and reports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fleetfit.contract import Report
from probe_fakes import fake_host, write_file

from probe_client.identity import hostname_id, imds_instance_id, resolve_node_id, valid_node_id
from probe_client.report import BadSystemFile, build_report, load_system, new_report_id

MACHINE_ID = "4c4c4544005a3810804cb4c04f4e4d32"


def never(label: str = "IMDS") -> Any:
    def call() -> str | None:
        raise AssertionError(f"{label} must not be asked off EC2")

    return call


def test_explicit_node_id_wins(tmp_path: Path) -> None:
    assert resolve_node_id("gpu-07", fake_host(tmp_path), never()) == ("gpu-07", "--node-id")


def test_machine_id_is_hashed_never_sent_raw(tmp_path: Path) -> None:
    write_file(tmp_path, "/etc/machine-id", MACHINE_ID + "\n")
    node_id, how = resolve_node_id(None, fake_host(tmp_path), never())
    assert how == "hash of machine-id"
    assert node_id.startswith("mid-") and len(node_id) == 36 and MACHINE_ID not in node_id
    assert resolve_node_id(None, fake_host(tmp_path), never())[0] == node_id  # stable across runs
    assert valid_node_id(node_id)


def test_hostname_is_the_last_resort_and_made_valid(tmp_path: Path) -> None:
    node_id, how = resolve_node_id(None, fake_host(tmp_path, hostname="gpu box #1"), never())
    assert (node_id, how) == ("gpu-box--1", "hostname")
    assert hostname_id("..") == "unknown-node"


def test_ec2_instance_id_from_imds(tmp_path: Path) -> None:
    write_file(tmp_path, "/sys/class/dmi/id/sys_vendor", "Amazon EC2\n")
    write_file(tmp_path, "/etc/machine-id", MACHINE_ID)
    node_id, how = resolve_node_id(None, fake_host(tmp_path), lambda: "i-0abc1234def567890")
    assert (node_id, how) == ("i-0abc1234def567890", "EC2 instance id (IMDSv2)")


def test_ec2_without_imds_uses_the_dmi_asset_tag(tmp_path: Path) -> None:
    write_file(tmp_path, "/sys/class/dmi/id/board_vendor", "Amazon EC2\n")
    write_file(tmp_path, "/sys/class/dmi/id/board_asset_tag", "i-0abc1234def567890\n")
    assert resolve_node_id(None, fake_host(tmp_path), lambda: None)[0] == "i-0abc1234def567890"


class _Imds(BaseHTTPRequestHandler):
    token = "imds-session-token"

    def log_message(self, *args: Any) -> None:
        pass

    def do_PUT(self) -> None:  # noqa: N802
        assert self.path == "/latest/api/token"
        assert self.headers["X-aws-ec2-metadata-token-ttl-seconds"]
        self._reply(200, self.token)

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            self._reply(401, "")  # IMDSv2 only: no token, no answer
        else:
            self._reply(200, "i-0123456789abcdef0")

    def _reply(self, status: int, text: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text.encode())


@pytest.fixture
def imds() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Imds)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_imdsv2_token_flow_over_http(imds: str) -> None:
    assert imds_instance_id(imds, timeout=1.0) == "i-0123456789abcdef0"


def test_imds_down_is_none_quickly() -> None:
    assert imds_instance_id("http://127.0.0.1:9", timeout=0.5) is None


def test_report_ids_sort_by_collection_time_and_fit_the_contract() -> None:
    early = new_report_id(datetime(2026, 11, 27, 9, 59, 59, 999999, tzinfo=UTC))
    late = new_report_id(datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC))
    assert early < late
    assert early.startswith("20261127T095959999999Z-") and len(early) == 35
    assert new_report_id(datetime(2026, 1, 1, tzinfo=UTC)) != new_report_id(datetime(2026, 1, 1, tzinfo=UTC))


def test_build_report_round_trips_through_the_contract(tmp_path: Path) -> None:
    from probe_client.detect import detect

    detection = detect(fake_host(tmp_path))
    report = build_report(detection.system, "node-a", notes=["a note"], hostname="node-a.example", os_label="Linux 6.8")
    again = Report.model_validate(json.loads(report.model_dump_json()))
    assert again == report
    assert again.notes == ["a note"] and again.probe_version == "0.1.0"


def test_load_system_takes_a_system_a_report_or_an_envelope(tmp_path: Path) -> None:
    from probe_client.detect import detect

    system = detect(fake_host(tmp_path)).system
    plain = tmp_path / "system.json"
    plain.write_text(system.model_dump_json())
    wrapped = tmp_path / "envelope.json"
    wrapped.write_text(json.dumps({"node": {}, "system": system.model_dump(mode="json")}))
    assert load_system(str(plain)) == system == load_system(str(wrapped))


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("{not json", "is not JSON"), ('{"total_ram_gb": -1}', "is not a System object")],
)
def test_load_system_rejects_bad_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "system.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BadSystemFile, match=message):
        load_system(str(path))

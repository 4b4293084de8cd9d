"""`fleetfit serve --this-machine` over real HTTP: llmfit's routes answer for the machine it runs on with no
node= and no token; anything but loopback is refused (exit 2)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api.engine_port import EnginePort
from fleetfit.cli import main
from fleetfit.dropin import this_machine_report, with_node
from fleetfit.server import FleetfitHTTPServer, ServerConfigError, make_server

from .support import local_server


def request(server: FleetfitHTTPServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=60)
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, json.loads(raw) if raw else None


@pytest.fixture
def dropin(tmp_path: Path, engine: EnginePort) -> Iterator[FleetfitHTTPServer]:
    report = this_machine_report(discover_runtimes=list)  # the probe's real detection; no runtime probing
    with local_server(engine, str(tmp_path / "fleet.db"), this_machine=report) as srv:
        yield srv


def test_llmfit_routes_answer_for_this_machine_without_node_or_token(dropin: FleetfitHTTPServer) -> None:
    from probe_client.detect import detect

    status, system = request(dropin, "GET", "/api/v1/system")
    assert status == 200 and system["node"]["name"] == dropin.this_machine
    detected = detect().system
    assert system["system"]["cpu_cores"] == detected.cpu_cores and system["system"]["backend"] == detected.backend
    for path in ("/api/v1/models?limit=3", "/api/v1/models/top", "/api/v1/models/qwen?limit=2",
                 "/api/v1/runtimes", "/api/v1/installed"):  # fmt: skip
        status, body = request(dropin, "GET", path)
        assert status == 200, (path, body)
        assert body["node"]["name"] == dropin.this_machine
    status, top = request(dropin, "GET", "/api/v1/models/top?limit=3")
    assert top["system"]["cpu_cores"] == detected.cpu_cores and 0 < top["returned_models"] <= 3
    status, plan = request(dropin, "POST", "/api/v1/plan", {"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096})
    assert status == 200 and plan["node"]["name"] == dropin.this_machine
    # what-if and errors behave as on the fleet server
    status, what_if = request(dropin, "GET", "/api/v1/models/top?vram_gb=24&limit=3")
    assert status == 200 and what_if["system"]["has_gpu"] is True and what_if["filters"]["vram_gb"] == 24
    status, error = request(dropin, "GET", "/api/v1/models?ram_gb=-1")
    assert status == 400 and "ram_gb" in error["error"]
    # another node named explicitly is still another node
    assert request(dropin, "GET", "/api/v1/models/top?node=elsewhere")[0] == 404


def test_node_paths_are_left_alone() -> None:
    assert with_node("/api/v1/models", {}, "me") == {"node": ["me"]}
    assert with_node("/api/v1/models/top", {"limit": ["1"]}, "me") == {"limit": ["1"], "node": ["me"]}
    assert with_node("/api/v1/models", {"node": ["x"]}, "me") == {"node": ["x"]}
    assert with_node("/api/v1/nodes/x/models", {}, "me") == {}
    assert with_node("/api/v1/fleet/summary", {}, "me") == {}
    assert with_node("/api/v1/modelsx", {}, "me") == {}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_anything_but_loopback_is_refused(host: str, tmp_path: Path) -> None:
    report = this_machine_report(discover_runtimes=list)
    with pytest.raises(ServerConfigError, match="loopback only"):
        make_server(host, 0, db_path=str(tmp_path / "f.db"), this_machine=report)


def test_the_cli_exits_2_beyond_loopback_and_with_a_token(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--this-machine", "--host", "0.0.0.0"]) == 2
    assert "loopback only" in capsys.readouterr().err
    token = tmp_path / "token"
    token.write_text("a-long-token-0123456789")
    assert main(["serve", "--this-machine", "--token-file", str(token)]) == 2
    assert "without a token" in capsys.readouterr().err

"""`fleetfit serve` over real HTTP: same routes, SQLite store, bearer token."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fleetfit.api.engine_port import EnginePort
from fleetfit.server import FleetfitHTTPServer, ServerConfigError, check_bind, read_token
from fleetfit.store.samples import sample_report

from .support import local_server

TOKEN = "s3cret-token-for-tests-0123456789"


class Client:
    def __init__(self, server: FleetfitHTTPServer) -> None:
        self.host, self.port = server.server_address[:2]

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = TOKEN, headers: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), json.loads(raw) if raw else None


@pytest.fixture
def server(tmp_path: Path, engine: EnginePort) -> Iterator[FleetfitHTTPServer]:
    with local_server(engine, str(tmp_path / "fleet.db"), token=TOKEN) as srv:
        yield srv


@pytest.fixture
def client(server: FleetfitHTTPServer) -> Client:
    return Client(server)


def test_token_is_required_except_on_health(client: Client) -> None:
    assert client.request("GET", "/health", token=None)[0] == 200
    status, headers, body = client.request("GET", "/api/v1/nodes", token=None)
    assert status == 401 and "token" in body["error"] and headers["WWW-Authenticate"].startswith("Bearer")
    assert client.request("GET", "/api/v1/nodes", token="wrong-token-wrong-token")[0] == 401
    assert client.request("GET", "/api/v1/nodes")[0] == 200


def test_ingest_then_query_over_http(client: Client, catalog_names: list[str]) -> None:
    report = sample_report("lab-node-1")
    status, headers, env = client.request("POST", "/api/v1/reports", report.model_dump(mode="json"))
    assert status == 201, env
    assert env["node"]["name"] == "lab-node-1" and env["returned_models"] <= 5
    assert headers["Location"] == "/api/v1/nodes/lab-node-1"
    status, _, again = client.request("POST", "/api/v1/reports", report.model_dump(mode="json"))
    assert status == 200
    status, _, top = client.request("GET", "/api/v1/models/top?node=lab-node-1&limit=2")
    assert status == 200 and top["returned_models"] <= 2
    name = next(n for n in catalog_names if "/" in n)
    for path in (f"/api/v1/models/{quote(name, safe='')}?node=lab-node-1", f"/api/v1/nodes/lab-node-1/models/{name}"):
        status, _, named = client.request("GET", path)
        assert status == 200 and any(m["name"] == name for m in named["models"]), path
    status, _, nodes = client.request("GET", "/api/v1/nodes")
    assert [n["node_id"] for n in nodes["nodes"]] == ["lab-node-1"]
    assert client.request("GET", "/api/v1/nodes/ghost")[0] == 404
    assert client.request("GET", "/api/v1/models?node=lab-node-1&limit=1&limit=2")[0] == 400


def test_errors_over_http(client: Client) -> None:
    status, _, body = client.request("POST", "/api/v1/reports", b"{nope")
    assert status == 400 and "JSON" in body["error"]
    status, _, body = client.request("POST", "/api/v1/fit", b"x" * (2 * 1024 * 1024))
    assert status == 413
    status, _, body = client.request("POST", "/api/v1/fit", b"\xff\xfe")
    assert status in (400, 422)
    status, _, body = client.request("GET", "/nope")
    assert status == 404 and "error" in body


def test_refuses_to_start_beyond_loopback_without_a_token() -> None:
    with pytest.raises(ServerConfigError, match="without a token"):
        check_bind("0.0.0.0", None)
    check_bind("127.0.0.1", None)
    check_bind("localhost", None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(ServerConfigError, match="shorter"):
        check_bind("0.0.0.0", "short")


def test_token_from_file_or_env(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    assert read_token(str(f), {}) == TOKEN
    assert read_token(None, {"FLEETFIT_TOKEN": TOKEN}) == TOKEN
    assert read_token(None, {}) is None


def test_the_token_never_reaches_a_log(
    client: Client, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    client.request("POST", "/api/v1/reports", sample_report("lab-2").model_dump(mode="json"))
    client.request("GET", "/api/v1/nodes", token="wrong-token-wrong-token")
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err + caplog.text
    assert "wrong-token" not in out.out + out.err + caplog.text

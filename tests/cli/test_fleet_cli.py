"""`fleetfit fleet ...` against `fleetfit serve` over real HTTP (bearer token, SQLite store), and SigV4 signing
against a recording server."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api import services as services_mod
from fleetfit.cli import main
from fleetfit.contract import System
from fleetfit.fleet.service import forget_digests
from fleetfit.server import make_server
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, h100_server, rtx4090_workstation, sample_report

TOKEN = "fleet-cli-token-0123456789abcdef"
SMALL = "Qwen/Qwen3-8B"
HUGE = "deepseek-ai/DeepSeek-V3"


def _post(host: str, port: int, node: str, system: System, age: timedelta = timedelta(minutes=1)) -> None:
    report = sample_report(node, system=system, collected_at=datetime.now(UTC) - age)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/reports",
        body=report.model_dump_json(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status in (200, 201)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("fleet-cli")
    forget_digests()
    srv = make_server("127.0.0.1", 0, db_path=str(tmp / "fleet.db"), token=TOKEN)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = str(srv.server_address[0]), int(srv.server_address[1])
    for i in range(3):
        _post(host, port, f"rtx-{i}", rtx4090_workstation())
    _post(host, port, "cpu-0", cpu_only_x86())
    _post(host, port, "mac-0", apple_m3_max())
    _post(host, port, "h100-0", h100_server())
    _post(host, port, "old-0", rtx4090_workstation(), age=timedelta(days=3))  # stale
    # two nodes whose hardware changed: moved, not counted twice
    for node, system in (("moved-0", apple_m3_max()), ("moved-1", cpu_only_x86())):
        _post(host, port, node, rtx4090_workstation(), age=timedelta(hours=1))
        _post(host, port, node, system)
    token_file = tmp / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    yield {"endpoint": f"http://{host}:{port}", "token_file": str(token_file)}
    srv.shutdown()
    srv.server_close()
    services_mod.configure(None)


def run(served: dict[str, str], capsys: Any, *argv: str, auth: bool = True) -> tuple[int, str, str]:
    verb, rest = argv[0], list(argv[1:])
    opts = ["--endpoint", served["endpoint"]] + (["--token-file", served["token_file"]] if auth else [])
    code = main(["fleet", verb, *opts, *rest])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_nodes_table_and_json(served: dict[str, str], capsys: Any) -> None:
    code, out, _ = run(served, capsys, "nodes")
    assert code == 0
    assert "rtx-0" in out and "h100-0" in out and "8x NVIDIA H100 80GB HBM3" in out
    assert "9 nodes, 1 stale" in out and "STALE" in out
    code, out, _ = run(served, capsys, "nodes", "--json", "--limit", "3")
    assert code == 0
    data = json.loads(out)
    assert len(data["nodes"]) == 3 and data["next_token"]


def test_which_table_json_and_paging(served: dict[str, str], capsys: Any) -> None:
    code, out, _ = run(served, capsys, "which", SMALL)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(SMALL) and "h100-0" in lines[4]  # fastest class first
    assert "9 of 9 nodes in 4 hardware classes; 1 stale" in out
    code, out, _ = run(served, capsys, "which", SMALL, "--json", "--limit", "3")
    page = json.loads(out)
    assert code == 0 and page["returned_nodes"] == 3 and page["next_token"]
    code, out, _ = run(served, capsys, "which", SMALL.lower(), "--json", "--all", "--fresh-only")
    every = json.loads(out)
    assert every["model"]["name"] == SMALL and every["returned_nodes"] == 8 and every["next_token"] is None
    assert "old-0" not in {n["node_id"] for n in every["nodes"]}
    code, out, _ = run(served, capsys, "which", SMALL, "--gpu", "4090", "--json")
    assert {n["node_id"] for n in json.loads(out)["nodes"]} == {"rtx-0", "rtx-1", "rtx-2", "old-0"}  # not moved-*
    code, out, _ = run(served, capsys, "which", HUGE, "--backend", "cuda", "--gpu", "4090")
    assert code == 0 and "no node runs it" in out


def test_which_errors(served: dict[str, str], capsys: Any) -> None:
    code, _, err = run(served, capsys, "which", "qwen3-8")
    assert code == 1 and "404" in err and "did you mean" in err
    code, _, err = run(served, capsys, "which", SMALL, "--min-fit", "great")
    assert code == 2 and "min_fit" in err
    code, _, err = run(served, capsys, "which", SMALL, "--sort", "colour")
    assert code == 2 and "sort" in err


def test_compare(served: dict[str, str], capsys: Any) -> None:
    code, out, _ = run(served, capsys, "compare", "rtx-0", "cpu-0", "h100-0", "--model", SMALL)
    assert code == 0
    assert out.startswith("rtx-0: ") and "backend CPU (x86)" in out
    row = next(line for line in out.splitlines() if line.startswith(SMALL))
    assert row.rstrip().endswith("*")  # h100-0, the last column, is the fastest
    code, out, _ = run(served, capsys, "compare", "rtx-0", "mac-0", "--limit", "2", "--json")
    data = json.loads(out)
    assert code == 0 and 2 <= len(data["models"]) <= 4
    code, _, err = run(served, capsys, "compare", "rtx-0", "ghost")
    assert code == 1 and "ghost" in err


def test_summary(served: dict[str, str], capsys: Any) -> None:
    code, out, _ = run(served, capsys, "summary")
    assert code == 0
    assert out.startswith("9 nodes (8 fresh, 1 stale")
    assert "NVIDIA H100 80GB HBM3" in out and "CPU (x86)" in out and "fit nowhere" in out
    code, out, _ = run(served, capsys, "summary", "--json")
    data = json.loads(out)
    assert {g["name"]: g["cards"] for g in data["gpus"]}["NVIDIA GeForce RTX 4090"] == 4  # rtx-0..2 and old-0
    assert {b["backend"]: b["nodes"] for b in data["backends"]} == {"CUDA": 5, "Metal": 2, "CPU (x86)": 2}


def test_place(served: dict[str, str], capsys: Any) -> None:
    code, out, _ = run(served, capsys, "place", SMALL, "--replicas", "3", "--min-fit", "good")
    assert code == 0
    assert "3 replicas placed on 1 of" in out and "h100-0" in out and "tok/s" in out  # 3 of its 8 cards
    code, out, _ = run(served, capsys, "place", SMALL, "--replicas", "3", "--min-fit", "good", "--spread", "--json")
    data = json.loads(out)
    assert code == 0 and data["spread"] is True
    assert len({p["node_id"] for p in data["placed"]}) == 3 and data["placed"][0]["cards"] == [0]
    code, out, _ = run(served, capsys, "place", HUGE, "--replicas", "2", "--gpu", "4090", "--json")
    data = json.loads(out)
    assert code == 0 and data["placed"] == [] and data["plans"]
    code, out, _ = run(served, capsys, "place", HUGE, "--gpu", "4090")
    assert "no node runs" in out and "What would make it fit:" in out and "add " in out
    code, _, err = run(served, capsys, "place", SMALL, "--replicas", "0")
    assert code == 2 and "replicas" in err


def test_fit_options_reach_every_fleet_answer(served: dict[str, str], capsys: Any) -> None:
    opts = ("--kv-quant", "Q8_0", "--prompt-tokens", "4096", "--json")
    code, out, _ = run(served, capsys, "which", SMALL, *opts)
    page = json.loads(out)
    assert code == 0 and page["filters"]["kv_quant"] == "q8_0" and page["filters"]["prompt_tokens"] == 4096
    assert {(n["kv_quant"], n["prompt_tokens"]) for n in page["nodes"]} == {("q8_0", 4096)}
    code, out, _ = run(served, capsys, "place", SMALL, "--replicas", "2", *opts)
    assert code == 0 and {p["kv_quant"] for p in json.loads(out)["placed"]} == {"q8_0"}
    code, out, _ = run(served, capsys, "compare", "rtx-0", "mac-0", "--model", SMALL, *opts)
    fits = [f for row in json.loads(out)["models"] for f in row["fits"]]
    assert code == 0 and {(f["kv_quant"], f["prompt_tokens"]) for f in fits} == {("q8_0", 4096)}
    code, _, err = run(served, capsys, "which", SMALL, "--kv-quant", "q9")
    assert code == 2 and "kv_quant" in err
    code, _, err = run(served, capsys, "place", SMALL, "--prompt-tokens", "0")
    assert code == 2 and "prompt_tokens" in err


def test_auth_from_env_and_refusals(served: dict[str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETFIT_TOKEN", raising=False)
    code, _, err = run(served, capsys, "summary", auth=False)
    assert code == 2 and "401" in err
    monkeypatch.setenv("FLEETFIT_TOKEN", TOKEN)
    monkeypatch.setenv("FLEETFIT_ENDPOINT", served["endpoint"])
    assert main(["fleet", "summary", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]["total"] == 9
    monkeypatch.setenv("FLEETFIT_TOKEN", "wrong-token-wrong-token-wrong")
    assert main(["fleet", "summary"]) == 2
    assert "401" in capsys.readouterr().err
    assert main(["fleet", "summary", "--endpoint", "ftp://example.com"]) == 2
    assert "http" in capsys.readouterr().err
    assert main(["fleet", "summary", "--endpoint", "http://127.0.0.1:9"]) == 1  # nothing listens on port 9
    assert "cannot reach" in capsys.readouterr().err


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = json.dumps({"catalog_version": "x", "nodes": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_sigv4_signs_every_request(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("FLEETFIT_TOKEN", raising=False)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/prod"
        assert main(["fleet", "compare", "a", "b", "--model", SMALL, "--endpoint", url, "--sigv4", "--json"]) == 0
    finally:
        srv.shutdown()
        srv.server_close()
    (seen,) = _Recorder.seen
    assert seen["path"] == "/prod/api/v1/fleet/compare?model=Qwen%2FQwen3-8B&nodes=a%2Cb"  # canonical: sorted
    assert seen["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in seen["authorization"] and "x-amz-date" in seen
    assert json.loads(capsys.readouterr().out) == {"catalog_version": "x", "nodes": []}


def test_api_gateway_endpoints_are_signed_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    from fleetfit.fleet.client import FleetClient

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    client = FleetClient.configure("https://abc123defg.execute-api.us-east-2.amazonaws.com/prod/", None, environ={})
    assert client.base_url == "https://abc123defg.execute-api.us-east-2.amazonaws.com/prod"
    assert type(client.auth).__name__ == "SigV4Auth" and client.auth.region == "us-east-2"
    local = FleetClient.configure(None, None, environ={})
    assert local.base_url == "http://127.0.0.1:8787" and local.auth is None


def test_help_lists_the_verbs(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["fleet", "--help"])
    out = capsys.readouterr().out
    for verb in ("nodes", "which", "compare", "summary", "place"):
        assert verb in out
    assert Path(__file__).exists()

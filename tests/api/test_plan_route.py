"""POST /api/v1/plan and /api/v1/nodes/{id}/plan through the handler (REST proxy events, moto, real engine)."""

from __future__ import annotations

import pytest
from fleetfit.store.samples import cpu_only_x86, sample_report

from .support import Call, node_identity

NODE = "i-0plan0000000001"
MODEL = "Qwen/Qwen2.5-7B-Instruct"


@pytest.fixture
def node(call: Call) -> str:
    report = sample_report(NODE, system=cpu_only_x86())
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(NODE))
    assert r.status == 201
    return NODE


def test_plan_by_query_and_by_path_agree(call: Call, node: str) -> None:
    by_query = call("POST", "/api/v1/plan", query={"node": node}, body={"model": MODEL, "context": 8192})
    by_path = call("POST", f"/api/v1/nodes/{node}/plan", body={"model": MODEL.lower(), "context": 8192})
    assert by_query.status == by_path.status == 200, by_query.body
    assert by_query.body == by_path.body
    body = by_query.body
    assert body["model_name"] == MODEL and body["node"]["name"] == node
    paths = {p["path"]: p for p in body["run_paths"]}
    assert set(paths) == {"gpu", "moe_offload", "cpu_offload", "cpu_only"}
    assert paths["cpu_only"]["runs_now"] and not paths["moe_offload"]["feasible"]
    assert any(d["path"] == "gpu" and d["resource"] == "vram_per_card_gb" for d in body["upgrade_deltas"])


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"model": "no-such-model", "context": 4096}, 400, "model"),
        ({"model": MODEL}, 422, "context"),
        ({"model": MODEL, "context": 0}, 422, "context"),
        ({"model": MODEL, "context": 4096, "kv_quant": "bogus"}, 400, "kv_quant"),
        ({"model": MODEL, "context": 4096, "quant": "Q9"}, 400, "quant"),
        ({"model": MODEL, "context": 4096, "target_tps": -1}, 422, "target_tps"),
        ({"model": MODEL, "context": 4096, "ram_gb": -1}, 422, "ram_gb"),
        ({"model": MODEL, "context": 4096, "vram_gb": "x"}, 422, "vram_gb"),
    ],
)
def test_bad_bodies(call: Call, node: str, body: dict[str, object], status: int, named: str) -> None:
    r = call("POST", "/api/v1/plan", query={"node": node}, body=body)
    assert r.status == status and named in r.body["error"], r.body


def test_node_is_required_and_must_exist(call: Call, node: str) -> None:
    assert call("POST", "/api/v1/plan", body={"model": MODEL, "context": 4096}).status == 400
    assert call("POST", "/api/v1/plan", query={"node": "nope"}, body={"model": MODEL, "context": 4096}).status == 404
    clash = call("POST", f"/api/v1/nodes/{node}/plan", query={"node": "other"}, body={"model": MODEL, "context": 4096})
    assert clash.status == 400

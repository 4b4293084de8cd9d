"""DELETE /api/v1/nodes/{id}: operators retire a node; its reports go, its class counts one fewer, and a node
(a node-role session) can never delete anything, not even itself."""

from __future__ import annotations

from typing import Any

from fleetfit.store.samples import rtx4090_workstation, sample_report

from .support import Call, node_identity


def _post(call: Call, node_id: str) -> None:
    report = sample_report(node_id, system=rtx4090_workstation())
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node_id))
    assert r.status == 201, r.body


def test_an_operator_deletes_a_node_and_nothing_stale_remains(call: Call, lambda_services: Any) -> None:
    for node in ("i-0aaa", "i-0bbb"):
        _post(call, node)
    hw_class = lambda_services.store.latest("i-0aaa").hw_class
    r = call("DELETE", "/api/v1/nodes/i-0aaa")
    assert r.status == 200 and r.body == {"node_id": "i-0aaa", "deleted": True, "hw_class": hw_class}
    assert call("GET", "/api/v1/nodes/i-0aaa").status == 404
    assert call("GET", "/api/v1/nodes/i-0aaa/history").status == 404
    assert call("GET", "/api/v1/models/top", query={"node": "i-0aaa"}).status == 404
    assert [n["node_id"] for n in call("GET", "/api/v1/nodes").body["nodes"]] == ["i-0bbb"]
    assert lambda_services.store.get_class(hw_class).nodes == 1
    again = call("DELETE", "/api/v1/nodes/i-0aaa")
    assert again.status == 404 and "i-0aaa" in again.body["error"]


def test_a_node_cannot_delete_nodes(call: Call, lambda_services: Any) -> None:
    _post(call, "i-0aaa")
    for target in ("i-0aaa", "i-0bbb"):
        r = call("DELETE", f"/api/v1/nodes/{target}", identity=node_identity("i-0aaa"))
        assert r.status == 403 and "operators only" in r.body["error"]
    assert call("GET", "/api/v1/nodes/i-0aaa").status == 200


def test_the_fleet_summary_counts_the_node_out(call: Call, engine: Any) -> None:
    if engine.fleet is None:
        return
    for node in ("i-0aaa", "i-0bbb"):
        _post(call, node)
    assert call("GET", "/api/v1/fleet/summary").body["nodes"]["total"] == 2
    assert call("DELETE", "/api/v1/nodes/i-0bbb").status == 200
    assert call("GET", "/api/v1/fleet/summary").body["nodes"]["total"] == 1

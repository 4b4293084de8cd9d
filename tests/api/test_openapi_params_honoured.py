"""No silently ignored parameter: every query parameter fleetfit's OpenAPI document lists, on every operation,
given a value it cannot mean, is refused (4xx naming it, or an unknown node/model) or changes the answer.
A parameter the server ignored would answer exactly as without it, and fail here."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfit.api.app import openapi_document
from fleetfit.store.samples import rtx4090_workstation, sample_report

from .support import Call, node_identity

NODE = "i-0params00000001"
MODEL = "Qwen/Qwen2.5-7B-Instruct"
GARBAGE = "zz-not-a-value-9"
DOC = openapi_document()
OPERATIONS = [
    (method.upper(), path, p["name"])
    for path, item in DOC["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict)
    for p in op.get("parameters", [])
    if p["in"] == "query"
]
REQUIRED = {"node": NODE, "nodes": NODE, "q": "qwen"}
BODIES: dict[str, Any] = {
    "/api/v1/fit": rtx4090_workstation().model_dump(mode="json"),
    "/api/v1/plan": {"model": MODEL, "context": 4096},
}


@pytest.fixture
def node(call: Call) -> str:
    report = sample_report(NODE, system=rtx4090_workstation())
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(NODE))
    assert r.status == 201
    return NODE


def _request(call: Call, method: str, path: str, query: dict[str, str]) -> Any:
    concrete = path.replace("{node_id}", NODE).replace("{name}", MODEL.replace("/", "%2F"))
    return call(method, concrete, query=query, body=BODIES.get(path))


@pytest.mark.parametrize(("method", "path", "param"), OPERATIONS, ids=[f"{m} {p} {q}" for m, p, q in OPERATIONS])
def test_every_documented_parameter_is_honoured_or_refused(
    call: Call, node: str, method: str, path: str, param: str
) -> None:
    params = {p["name"]: p for p in DOC["paths"][path][method.lower()]["parameters"]}
    base = {k: v for k, v in REQUIRED.items() if k in params and params[k].get("required")}
    if "force_runtime" in params:  # llmfit's listing routes: a full one is over the Lambda's response size
        base.update({"search": "qwen2.5-7b"} if param != "search" else {"limit": "3"})
    baseline = _request(call, method, path, base)
    assert baseline.status == 200, (path, baseline.body)
    given = _request(call, method, path, {**base, param: GARBAGE})
    if given.status in (400, 404, 422):
        assert param in str(given.body) or GARBAGE in str(given.body) or given.status == 404, given.body
        return
    assert given.status == 200, given.body
    assert given.body != baseline.body, f"{param}={GARBAGE!r} changed nothing on {method} {path}: ignored"

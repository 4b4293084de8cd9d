"""Proof 3 (auth): every route refuses a caller without credentials, on AWS (Lambda events without an
identity) and on `fleetfit serve` (no token, wrong token); a node signed as A posting as B gets a 403 and
nothing is written; the node IAM policies allow ingest only."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api.app import app
from fleetfit.api.engine_port import EnginePort
from fleetfit.server import FleetfitHTTPServer
from fleetfit.store.samples import sample_report

from .support import NO_IDENTITY, OPERATOR, Call, FakeContext, local_server, node_identity, rest_event
from .test_template import template  # noqa: F401  (fixture)

NODE_A, NODE_B = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"
TOKEN = "proof-token-0123456789abcdef"


def every_route() -> list[tuple[str, str]]:
    """(method, concrete path) for every operation of the generated OpenAPI document."""
    doc = app.get_openapi_schema(title="fleetfit", version="0")
    out = []
    for template_path, item in (doc.paths or {}).items():
        concrete = template_path.replace("{node_id}", NODE_A).replace("{name}", "Qwen%2FQwen3-8B")
        for method in ("get", "post", "put", "delete", "patch"):
            if getattr(item, method, None) is not None:
                out.append((method.upper(), concrete))
    return out


def _body(method: str) -> Any:
    return sample_report(NODE_A).model_dump(mode="json") if method == "POST" else None


def test_the_route_list_covers_the_api() -> None:
    routes = every_route()
    assert len(routes) >= 18, routes
    assert ("POST", "/api/v1/reports") in routes and ("GET", "/api/v1/fleet/summary") in routes


@pytest.mark.parametrize(
    "identity",
    [NO_IDENTITY, {}, {"userArn": ""}, {"userArn": None, "caller": "AROAEXAMPLEROLEID:x"}],
    ids=["null-arn", "empty", "empty-arn", "caller-without-arn"],
)
def test_every_route_refuses_a_lambda_event_without_identity(call: Call, identity: dict[str, Any]) -> None:
    for method, path in every_route():
        r = call(method, path, identity=identity, body=_body(method))
        assert r.status == 403, (method, path, r.status, r.body)
        assert "SigV4" in r.body["error"]
    assert call("GET", "/api/v1/nodes").body["nodes"] == []  # nothing was written


def test_an_event_without_request_context_is_refused(lambda_services: Any) -> None:
    from fleetfit.api.handler import lambda_handler

    for method, path in every_route():
        event = rest_event(method, path, body=_body(method))
        event.pop("requestContext")
        out = lambda_handler(event, FakeContext())
        assert out["statusCode"] == 403, (method, path)


def test_node_a_posting_as_b_is_refused_on_both_routes_and_nothing_is_written(call: Call) -> None:
    as_a = node_identity(NODE_A)
    report_b = sample_report(NODE_B).model_dump(mode="json")
    for path in ("/api/v1/reports", f"/api/v1/nodes/{NODE_B}/reports"):
        r = call("POST", path, body=report_b, identity=as_a)
        assert r.status == 403 and NODE_B in r.body["error"], (path, r.body)
    assert call("GET", f"/api/v1/nodes/{NODE_B}").status == 404
    assert call("GET", "/api/v1/nodes").body["nodes"] == []
    assert (
        call("POST", "/api/v1/reports", body=sample_report(NODE_A).model_dump(mode="json"), identity=as_a).status == 201
    )
    assert [n["node_id"] for n in call("GET", "/api/v1/nodes").body["nodes"]] == [NODE_A]


def test_a_session_named_like_the_node_from_another_role_is_refused(call: Call) -> None:
    """Roles Anywhere with acceptRoleSessionName, or an operator who assumes a role as "i-0…": the session
    name is chosen by the caller, so it binds nothing."""
    chosen = node_identity(NODE_B, role="fleetfit-roles-anywhere", role_id="AROAROLESANYWHERE1")
    r = call("POST", "/api/v1/reports", body=sample_report(NODE_B).model_dump(mode="json"), identity=chosen)
    assert r.status == 403 and "node role" in r.body["error"]
    r = call("POST", "/api/v1/reports", body=sample_report(NODE_B).model_dump(mode="json"), identity=OPERATOR)
    assert r.status == 403
    assert call("GET", "/api/v1/nodes").body["nodes"] == []


# -- fleetfit serve over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path, engine: EnginePort) -> Iterator[FleetfitHTTPServer]:
    with local_server(engine, str(tmp_path / "fleet.db"), token=TOKEN) as srv:
        yield srv


def _http(srv: FleetfitHTTPServer, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=30)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if body is None else json.dumps(body).encode(), headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    if resp.getheader("Content-Type", "").startswith("text/plain"):
        return resp.status, {"location": resp.getheader("Location"), "text": raw.decode()}
    return resp.status, json.loads(raw) if raw else None


@pytest.mark.parametrize("token", [None, "wrong-token-wrong-token", TOKEN + "x", TOKEN[:-1]])
def test_every_route_of_the_local_server_refuses_missing_or_wrong_tokens(
    local: FleetfitHTTPServer, token: str | None
) -> None:
    for method, path in every_route():
        if path == "/health":
            continue  # liveness is open by design on `fleetfit serve` (docs/deploy.md)
        status, body = _http(local, method, path, token, _body(method))
        if method == "GET" and (path == "/" or path.startswith("/dashboard/")):
            # the dashboard page: a browser without a session is sent to the login form, nothing else
            assert status == 303 and body == {"location": "/login", "text": "log in at /login"}, (path, status)
            continue
        assert status == 401 and "token" in body["error"], (method, path, status)
    assert _http(local, "GET", "/api/v1/nodes", TOKEN)[1]["nodes"] == []


# -- the IAM policies ----------------------------------------------------------------------------------


def _resources(statement: dict[str, Any]) -> list[str]:
    res = statement["Resource"]
    return [r["Sub"] if isinstance(r, dict) else r for r in (res if isinstance(res, list) else [res])]


def test_node_policies_allow_ingest_only(template: dict[str, Any]) -> None:  # noqa: F811
    resources = template["Resources"]
    expected = {
        "NodeIngestPolicy": ["/POST/api/v1/reports"],
        "NodeRolesAnywherePolicy": ["/POST/api/v1/nodes/${!aws:PrincipalTag/x509Subject/CN}/reports"],
    }
    for name, suffixes in expected.items():
        (statement,) = resources[name]["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
        arns = _resources(statement)
        assert len(arns) == len(suffixes)
        for arn, suffix in zip(arns, suffixes, strict=True):
            assert arn.endswith("${StageName}" + suffix), arn
            assert "*" not in arn
    node_role = resources["NodeInstanceRole"]["Properties"]
    (trust,) = node_role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert "ManagedPolicyArns" not in node_role and "Policies" not in node_role
    assert resources["NodeIngestPolicy"]["Properties"]["Roles"] == [{"Ref": "NodeInstanceRole"}]
    env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["FLEETFIT_NODE_ROLE_IDS"]["Join"][1][0] == {"GetAtt": "NodeInstanceRole.RoleId"}

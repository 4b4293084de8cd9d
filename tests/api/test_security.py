"""Who may write, what never reaches a log, and bad input that must never be a 500."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from fleetfit.store.samples import sample_report

from .support import (
    NO_IDENTITY,
    OPERATOR,
    SECRET_SESSION_TOKEN,
    SECRET_SIGNATURE,
    Call,
    Clock,
    node_identity,
)

EC2_NODE = "i-0123456789abcdef0"


def _post(call: Call, path: str, report: Any, identity: dict[str, Any]) -> Any:
    return call("POST", path, body=report.model_dump(mode="json"), identity=identity)


def test_instance_profile_writes_its_own_node(call: Call) -> None:
    r = _post(call, "/api/v1/reports", sample_report(EC2_NODE), node_identity(EC2_NODE))
    assert r.status == 201


def test_a_node_cannot_write_another_node(call: Call) -> None:
    r = _post(call, "/api/v1/reports", sample_report("i-0fffffffffffffff9"), node_identity(EC2_NODE))
    assert r.status == 403
    assert "i-0fffffffffffffff9" in r.body["error"]
    assert call("GET", "/api/v1/nodes/i-0fffffffffffffff9").status == 404


def test_iam_user_or_operator_cannot_use_the_session_bound_route(call: Call) -> None:
    user = {**OPERATOR, "userArn": "arn:aws:iam::123456789012:user/bob"}
    assert _post(call, "/api/v1/reports", sample_report("bob"), user).status == 403
    assert _post(call, "/api/v1/reports", sample_report("lab-1"), OPERATOR).status == 403


def test_path_route_is_bound_by_iam_and_the_body_must_match_the_path(call: Call) -> None:
    # IAM allowed this caller on .../nodes/lab-7/reports (policy variable from its certificate CN)
    roles_anywhere = node_identity("6f3a0c9e01", role="fleetfit-roles-anywhere", role_id="AROAROLESANYWHERE1")
    ok = _post(call, "/api/v1/nodes/lab-7/reports", sample_report("lab-7"), roles_anywhere)
    assert ok.status == 201
    bad = _post(call, "/api/v1/nodes/lab-7/reports", sample_report("lab-8"), roles_anywhere)
    assert bad.status == 400 and "lab-8" in bad.body["error"] and "lab-7" in bad.body["error"]


def test_unsigned_requests_are_refused_on_every_route(call: Call) -> None:
    for method, path in (("GET", "/health"), ("GET", "/api/v1/nodes"), ("POST", "/api/v1/reports")):
        body = sample_report("x").model_dump(mode="json") if method == "POST" else None
        r = call(method, path, identity=NO_IDENTITY, body=body)
        assert r.status == 403, path


def test_future_collected_at_is_refused(call: Call, clock: Clock) -> None:
    report = sample_report(EC2_NODE, collected_at=clock.now + timedelta(days=365))
    r = _post(call, "/api/v1/reports", report, node_identity(EC2_NODE))
    assert r.status == 422 and "collected_at" in r.body["error"]


def test_no_event_header_token_or_signature_is_ever_logged(
    call: Call, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    from fleetfit.api.telemetry import logger

    logger.setLevel("DEBUG")
    try:
        _post(call, "/api/v1/reports", sample_report(EC2_NODE), node_identity(EC2_NODE))
        _post(call, "/api/v1/reports", sample_report("other"), node_identity(EC2_NODE))  # 403 path
        call("GET", f"/api/v1/nodes/{EC2_NODE}/models/top", query={"limit": "2"})
        call("GET", "/api/v1/models", query={"sort": "bogus", "node": EC2_NODE})
        call("POST", "/api/v1/fit", body="{not json")
    finally:
        logger.setLevel("INFO")
    text = caplog.text + capsys.readouterr().out
    assert "request" in text  # something was logged...
    for secret in (SECRET_SIGNATURE, SECRET_SESSION_TOKEN, "AWS4-HMAC-SHA256", "ASIAEXAMPLEKEYID", "X-Amz"):
        assert secret not in text, secret  # ...but never a header, a token or a signature
    assert "userArn" not in text and "multiValueHeaders" not in text  # the event itself is never logged


MALFORMED: list[tuple[str, Any, set[int]]] = [
    ("not json", "{not json", {400}),
    ("deeply nested", "[" * 100_000, {400}),
    ("json array", [], {422}),
    ("json string", '"hello"', {422}),
    ("json null", "null", {422}),
    ("empty object", {}, {422}),
    (
        "missing system",
        {
            "node_id": EC2_NODE,
            "report_id": "abcdefgh12",
            "probe_version": "1",
            "collected_at": "2025-06-01T00:00:00Z",
        },
        {422},
    ),  # fmt: skip
    ("naive timestamp", "naive", {422}),
    ("bad node id", "badnode", {422}),
    ("negative ram", "negram", {422}),
    ("gpu count mismatch", "gpucount", {422}),
    ("huge", "x" * (2 * 1024 * 1024), {413}),
    ("wrong types", {"node_id": 5, "report_id": [], "system": "x"}, {422}),
    ("invalid utf8-ish", "\udcff", {400, 422}),
]


def _malformed_body(kind: Any) -> Any:
    good = sample_report(EC2_NODE).model_dump(mode="json")
    if kind == "nosystem":
        return {k: v for k, v in good.items() if k != "system"}
    if kind == "naive":
        return {**good, "collected_at": "2025-06-01T00:00:00"}
    if kind == "badnode":
        return {**good, "node_id": "../../etc/passwd"}
    if kind == "negram":
        return {**good, "system": {**good["system"], "total_ram_gb": -4}}
    if kind == "gpucount":
        return {**good, "system": {**good["system"], "gpu_count": 3}}
    return kind


@pytest.mark.parametrize(("label", "body", "statuses"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_bodies_are_4xx_json_naming_the_field(call: Call, label: str, body: Any, statuses: set[int]) -> None:
    payload = _malformed_body(body)
    replies = {}
    for path in ("/api/v1/reports", "/api/v1/fit"):
        try:
            r = call("POST", path, body=payload, identity=node_identity(EC2_NODE))
        except UnicodeEncodeError:
            pytest.skip("not representable in an event")
        assert r.status in statuses or (path == "/api/v1/fit" and r.status in {400, 413, 422}), (
            label,
            r.body,
        )
        assert isinstance(r.body["error"], str) and r.body["error"]
        replies[path] = r.body["error"]
    named = {
        "negative ram": "total_ram_gb",
        "gpu count mismatch": "gpu_count",
        "naive timestamp": "collected_at",
    }
    if label in named:
        assert named[label] in replies["/api/v1/reports"]


def test_wrong_content_type_is_415(call: Call) -> None:
    r = call(
        "POST",
        "/api/v1/fit",
        body="a=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 415


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/api/v1/nodes/%00", {}),
        ("GET", "/api/v1/nodes/" + "a" * 5000, {}),
        ("GET", "/api/v1/models/%ZZ", {"node": "x"}),
        ("GET", "/api/v1/nodes", {"limit": "99999999999999999999999"}),
        ("GET", "/api/v1/nodes", {"next_token": "eyJrIjoibm9kZXMiLCJwIjp7ImFmdGVyIjpbXX19"}),
        ("GET", "/api/v1/nodes/x/history", {"next_token": "%%%"}),
        ("GET", "/api/v1/models/top", {"node": ""}),
        ("PUT", "/api/v1/reports", {}),
    ],
)
def test_odd_requests_are_never_500(call: Call, method: str, path: str, query: dict[str, str]) -> None:
    r = call(method, path, query=query)
    assert 400 <= r.status < 500, (path, r.status, r.body)
    assert "error" in r.body
    json.dumps(r.body)

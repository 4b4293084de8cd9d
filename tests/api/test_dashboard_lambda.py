"""The dashboard's routes on the Lambda (IAM events): the page, its files, the matrix on DynamoDB with the S3
catalog; unsigned calls are refused like every other route (a browser reaches the Lambda through
`fleetfit dashboard`, which signs)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from fleetfit.api.services import Services
from fleetfit.store.samples import cpu_only_x86, h100_server, sample_report

from .support import NO_IDENTITY, FakeContext, node_identity, rest_event


def _raw(method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    from fleetfit.api.handler import lambda_handler

    out = lambda_handler(rest_event(method, path, **kwargs), FakeContext())
    body = out.get("body") or ""
    data = base64.b64decode(body) if out.get("isBase64Encoded") else body.encode()
    headers = dict(out.get("headers") or {})
    headers.update({k: v[-1] for k, v in (out.get("multiValueHeaders") or {}).items() if v})
    if headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return out["statusCode"], headers, data


def test_the_lambda_serves_the_page_and_its_files(lambda_services: Services) -> None:
    status, headers, body = _raw("GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"/dashboard/app.js" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, headers, body = _raw("GET", "/dashboard/app.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"fleet/matrix" in body
    assert headers.get("Content-Encoding") == "gzip"  # the page weighs what its gzip weighs
    assert _raw("GET", "/dashboard/secret.py")[0] == 404


def test_unsigned_dashboard_calls_are_refused(lambda_services: Services) -> None:
    for path in ("/", "/dashboard/app.js", "/api/v1/fleet/matrix", "/api/v1/catalog/models"):
        status, _, body = _raw("GET", path, identity=NO_IDENTITY, query={"q": "qwen"})
        assert status == 403 and "error" in json.loads(body), path


def test_the_matrix_on_dynamodb(lambda_services: Services) -> None:
    for node, system in (("h100-0", h100_server()), ("cpu-0", cpu_only_x86())):
        report = sample_report(node, system=system, collected_at=lambda_services.now())
        _raw("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node),
             headers={"Prefer": "return=minimal"})  # fmt: skip
    status, _, body = _raw("GET", "/api/v1/fleet/matrix", query={"top": "3"})
    matrix = json.loads(body)
    assert status == 200, matrix
    assert len(matrix["classes"]) == 2 and all(len(row) == len(matrix["models"]) for row in matrix["cells"])
    assert {c["example_node"] for c in matrix["classes"]} == {"h100-0", "cpu-0"}
    status, _, body = _raw("GET", "/api/v1/catalog/models", query={"q": "a"})
    assert status == 200 and json.loads(body)["catalog_version"] == lambda_services.catalogs.current().version

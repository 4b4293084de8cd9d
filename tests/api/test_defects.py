"""Defects found by attacking the API as an outside tester (issue 11), each reproduced on the Lambda handler
(moto DynamoDB) and, where the issue found it there, over HTTP on `fleetfit serve` (SQLite). Every test here
failed before its fix."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetfit.contract import Report
from fleetfit.store.samples import h100_server, sample_report

from .support import Call, node_identity
from .test_local_server import Client, client, server  # noqa: F401  (fixtures)

NODE = "i-0123456789abcdef0"


def _good() -> dict[str, Any]:
    return sample_report(NODE).model_dump(mode="json")


def _with_system(**changes: Any) -> dict[str, Any]:
    body = _good()
    body["system"] = {**body["system"], **changes}
    return body


def _one_gpu(count: int, vram: Any = 23.99) -> dict[str, Any]:
    gpu = {"name": "NVIDIA GeForce RTX 4090", "vram_gb": vram, "backend": "CUDA", "count": count}
    return {"gpus": [gpu], "gpu_count": count, "gpu_vram_gb": 23.99 * count if isinstance(vram, float) else vram}


def _many_gpus(entries: int) -> dict[str, Any]:
    gpus = [{"name": f"GPU {i}", "vram_gb": 8.0, "backend": "CUDA", "count": 1} for i in range(entries)]
    return {"gpus": gpus, "gpu_count": entries, "gpu_vram_gb": 8.0 * entries, "gpu_name": "GPU 0"}


def _post(call: Call, body: Any) -> Any:
    return call("POST", "/api/v1/reports", body=body, identity=node_identity(NODE))


def _fleet_still_answers(call: Call) -> None:
    for path in ("/api/v1/nodes", "/api/v1/fleet/summary", f"/api/v1/nodes/{NODE}"):
        r = call("GET", path)
        assert r.status in (200, 404), (path, r.status, r.body)


# -- unbounded GPU topology (high) ------------------------------------------------------------------------
TOPOLOGIES = {
    "one group of 10^9 cards": _one_gpu(10**9),
    "one group of 65 cards": _one_gpu(65),
    "1,500 GPU entries": _many_gpus(1500),
    "65 GPU entries": _many_gpus(65),
}


@pytest.mark.parametrize("label", list(TOPOLOGIES))
def test_huge_gpu_topologies_are_refused_fast_and_nothing_is_stored(call: Call, label: str) -> None:
    started = time.perf_counter()
    r = _post(call, _with_system(**TOPOLOGIES[label]))
    assert r.status == 422, (label, r.status)
    assert "gpu" in r.body["error"] and "64" in r.body["error"]
    assert time.perf_counter() - started < 2.0
    assert call("GET", f"/api/v1/nodes/{NODE}").status == 404


def test_the_largest_allowed_topology_is_answered(call: Call) -> None:
    # 64 cards in one group: what the bound lets through is ranked in bounded time
    started = time.perf_counter()
    r = _post(call, _with_system(**_one_gpu(64)))
    assert r.status == 201, r.body
    assert time.perf_counter() - started < 30.0


def test_huge_topology_over_http(client: Client) -> None:  # noqa: F811
    body = _with_system(**_many_gpus(1500))
    started = time.perf_counter()
    status, _, reply = client.request("POST", "/api/v1/reports", body)
    assert status == 422 and "64" in reply["error"]
    assert time.perf_counter() - started < 2.0


# -- non-finite numbers (high) ----------------------------------------------------------------------------
NON_FINITE = ["Infinity", "-Infinity", "NaN", "1e999"]


def _raw_with_vram(literal: str) -> str:
    body = _good()
    body["system"]["gpus"][0]["vram_gb"] = "@@"
    return json.dumps(body).replace('"@@"', literal)


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_are_refused_on_lambda(call: Call, literal: str) -> None:
    r = _post(call, _raw_with_vram(literal))
    assert r.status in (400, 422), (literal, r.status, r.body)
    assert "vram_gb" in r.body["error"] or "JSON" in r.body["error"]
    assert call("GET", f"/api/v1/nodes/{NODE}").status == 404
    _fleet_still_answers(call)


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_are_refused_over_http(client: Client, literal: str) -> None:  # noqa: F811
    status, _, reply = client.request("POST", "/api/v1/reports", _raw_with_vram(literal).encode())
    assert status in (400, 422), (literal, status, reply)
    for path in ("/api/v1/nodes", "/api/v1/fleet/summary", f"/api/v1/nodes/{NODE}"):
        assert client.request("GET", path)[0] in (200, 404), path


@pytest.mark.parametrize(
    ("field", "value"),
    [("total_ram_gb", 1e308), ("available_ram_gb", 1e300), ("ram_bandwidth_gbps", 1e308), ("cpu_cores", 10**30)],
)
def test_absurd_finite_values_are_refused(call: Call, field: str, value: Any) -> None:
    body = _with_system(**{field: value})
    if field == "available_ram_gb":
        body["system"]["total_ram_gb"] = 1e300
    r = _post(call, body)
    assert r.status == 422, (field, r.status, r.body)
    assert field in r.body["error"] or "total_ram_gb" in r.body["error"]
    assert call("GET", f"/api/v1/nodes/{NODE}").status == 404


def test_what_if_refuses_huge_ram_instead_of_printing_inf(call: Call) -> None:
    system = _with_system(total_ram_gb=1e300, available_ram_gb=1e300)["system"]
    r = call("POST", "/api/v1/fit", body=system)
    assert r.status == 422 and "total_ram_gb" in r.body["error"]


# -- years below 1000 and timestamps out of range (high) ----------------------------------------------------
@pytest.mark.parametrize(
    "stamp",
    ["0999-06-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "1970-01-01T00:00:00Z"],
)
def test_timestamps_out_of_range_are_refused_and_listing_survives(call: Call, stamp: str) -> None:
    good = sample_report(NODE)
    assert _post(call, good.model_dump(mode="json")).status == 201
    r = _post(call, {**_good(), "collected_at": stamp})
    assert r.status == 422, (stamp, r.status, r.body)
    assert "collected_at" in r.body["error"]
    nodes = call("GET", "/api/v1/nodes")
    assert nodes.status == 200
    assert nodes.body["nodes"][0]["report_id"] == good.report_id


def test_a_report_older_than_history_is_refused(call: Call) -> None:
    old = sample_report(NODE, collected_at=datetime.now(UTC) - timedelta(days=400))
    r = _post(call, old.model_dump(mode="json"))
    assert r.status == 422 and "collected_at" in r.body["error"]


def test_year_999_over_http(client: Client) -> None:  # noqa: F811
    good = sample_report("lab-1")
    assert client.request("POST", "/api/v1/reports", good.model_dump(mode="json"))[0] == 201
    bad = {**sample_report("lab-1").model_dump(mode="json"), "collected_at": "0999-01-01T00:00:00Z"}
    assert client.request("POST", "/api/v1/reports", bad)[0] == 422
    status, _, nodes = client.request("GET", "/api/v1/nodes")
    assert status == 200 and nodes["nodes"][0]["report_id"] == good.report_id


def test_contract_bounds_are_the_documented_ones() -> None:
    # the limits are part of the contract (and of the generated OpenAPI document)
    schema = Report.model_json_schema()
    system = schema["$defs"]["System"]["properties"]
    assert system["gpus"]["maxItems"] == 64
    assert system["gpu_count"]["maximum"] == 64
    assert h100_server().gpu_count <= 64


# -- a duplicate report id with another body: 409 on both stores ------------------------------------------
def _conflicting_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    first = sample_report(NODE, report_id="dup-00000001").model_dump(mode="json")
    other = {**first, "hostname": "another-host"}
    return first, other


def test_duplicate_id_with_another_body_is_409_on_lambda(call: Call) -> None:
    first, other = _conflicting_pair()
    assert _post(call, first).status == 201
    r = _post(call, other)
    assert r.status == 409 and "dup-00000001" in r.body["error"] and "different body" in r.body["error"]
    node = call("GET", f"/api/v1/nodes/{NODE}")
    assert node.body["hostname"] == first["hostname"]
    history = call("GET", f"/api/v1/nodes/{NODE}/history").body["reports"]
    assert [h["report"]["hostname"] for h in history] == [first["hostname"]]
    assert _post(call, first).status == 200  # the same body is still an idempotent retry


def test_duplicate_id_with_another_body_is_409_over_http(client: Client) -> None:  # noqa: F811
    first, other = _conflicting_pair()
    first, other = {**first, "node_id": "lab-1"}, {**other, "node_id": "lab-1"}
    assert client.request("POST", "/api/v1/reports", first)[0] == 201
    status, _, reply = client.request("POST", "/api/v1/reports", other)
    assert status == 409 and "dup-00000001" in reply["error"]
    assert client.request("GET", "/api/v1/nodes/lab-1")[2]["hostname"] == first["hostname"]
    assert client.request("POST", "/api/v1/reports", first)[0] == 200


# -- store errors: 503 with Retry-After; a value the store cannot hold is a permanent 422 -----------------------
class _FailingTransactions:
    def __init__(self, real: Any, error: dict[str, Any]) -> None:
        self._real, self._error = real, error

    def transact_write_items(self, **_: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError(self._error, "TransactWriteItems")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_store_throttled_is_503_with_retry_after(call: Call, lambda_services: Any) -> None:
    store = lambda_services.store
    store.client = _FailingTransactions(store.client, {"Error": {"Code": "ThrottlingException", "Message": "slow"}})
    r = _post(call, _good())
    assert r.status == 503 and int(r.headers["Retry-After"]) > 0


def test_a_value_the_store_cannot_hold_is_422_not_retry_later(call: Call, lambda_services: Any) -> None:
    store = lambda_services.store
    error = {"Error": {"Code": "ValidationException", "Message": "Number overflow"}}
    store.client = _FailingTransactions(store.client, error)
    r = _post(call, _good())
    assert r.status == 422 and "cannot hold" in r.body["error"] and "Retry-After" not in r.headers


# -- query integers (medium-low) ----------------------------------------------------------------------------
ODD_INTEGERS = ["²", "٣", "1" * 5000, "１０", "-1", "1e3"]


@pytest.mark.parametrize("value", ODD_INTEGERS)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/models/top", "/api/v1/models", f"/api/v1/nodes/{NODE}/models", "/api/v1/nodes", "/api/v1/fleet/compare"],
)
def test_odd_integers_in_the_query_are_400(call: Call, path: str, value: str) -> None:
    _post(call, _good())
    query = {"limit": value, "node": NODE} if "nodes" not in path else {"limit": value}
    if path.endswith("compare"):
        query = {"nodes": NODE, "limit": value}
    r = call("GET", path, query=query)
    assert r.status == 400, (path, value, r.status, r.body)
    assert "limit" in r.body["error"]


@pytest.mark.parametrize("param", ["max_context", "top", "n"])
def test_odd_numbers_in_other_parameters_are_400(call: Call, param: str) -> None:
    _post(call, _good())
    for value in ("²", "9" * 5000, "nan", "inf"):
        r = call("GET", "/api/v1/models/top", query={"node": NODE, param: value})
        assert r.status == 400, (param, value, r.status, r.body)


def test_odd_integers_over_http(client: Client) -> None:  # noqa: F811
    client.request("POST", "/api/v1/reports", {**_good(), "node_id": "lab-1"})
    for value in ("%C2%B2", "1" * 5000):
        status, _, body = client.request("GET", f"/api/v1/models/top?node=lab-1&limit={value}")
        assert status == 400 and "limit" in body["error"], (value, status)


# -- thin semantic validation (low-medium) ----------------------------------------------------------------------
SEMANTIC = {
    "total VRAM of 999 with one 24 GB card": ({"gpu_vram_gb": 999.0}, "gpu_vram_gb"),
    "negative VRAM": ({"gpu_vram_gb": -24.0}, "gpu_vram_gb"),
    "NaN RAM": ({"total_ram_gb": "NaN"}, "total_ram_gb"),
}


def _raw(changes: dict[str, Any], node: str = NODE) -> str:
    body = {**_with_system(**changes), "node_id": node}
    text = json.dumps(body, ensure_ascii=True)  # a lone surrogate travels as the JSON escape \udfff
    return text.replace('"NaN"', "NaN")


@pytest.mark.parametrize("label", list(SEMANTIC))
def test_semantically_invalid_systems_are_422_and_nothing_is_stored(call: Call, label: str) -> None:
    changes, field = SEMANTIC[label]
    r = _post(call, _raw(changes))
    assert r.status == 422, (label, r.status, r.body)
    assert field in r.body["error"]
    assert call("GET", f"/api/v1/nodes/{NODE}").status == 404
    _fleet_still_answers(call)


# -- lone surrogates (low): refused by the JSON parser, naming the field; nothing stored -------------------------
def test_a_lone_surrogate_is_422_naming_the_field(call: Call) -> None:
    r = _post(call, _raw({"cpu_name": "AMD \udfff EPYC"}))
    assert r.status == 422 and "cpu_name" in r.body["error"]
    assert call("GET", f"/api/v1/nodes/{NODE}").status == 404
    _fleet_still_answers(call)


def test_lone_surrogate_over_http(client: Client) -> None:  # noqa: F811
    body = _raw({"cpu_name": "AMD \udfff EPYC"}, node="lab-1")
    status, _, reply = client.request("POST", "/api/v1/reports", body.encode())
    assert status == 422 and "cpu_name" in reply["error"]
    assert client.request("GET", "/api/v1/nodes")[0] == 200
    assert client.request("GET", "/api/v1/nodes/lab-1")[0] == 404


# -- bidi overrides echoed in tables, terminal controls: replaced by U+FFFD, stored, readable --------------------
UNSAFE = {
    "RTL override": "Intel \u202egnp.exe",
    "terminal escape": "\x1b[31mRyzen",
    "bidi isolate": "Xeon \u2066x\u2069",
}


@pytest.mark.parametrize("label", list(UNSAFE))
def test_unsafe_characters_are_replaced_and_the_fleet_still_answers(call: Call, label: str) -> None:
    r = _post(call, _raw({"cpu_name": UNSAFE[label], "gpu_name": UNSAFE[label]}))
    assert r.status == 201, (label, r.status, r.body)
    stored = call("GET", f"/api/v1/nodes/{NODE}").body["report"]["system"]
    for name in (stored["cpu_name"], stored["gpu_name"]):
        assert "\ufffd" in name and not any(ch in name for ch in "\udfff\u202e\x1b\u2066\u2069")
    _fleet_still_answers(call)


def test_report_strings_are_made_plain_too(call: Call) -> None:
    body = {**_good(), "hostname": "host\u202e", "os": "linux\x00", "probe_version": "1\u2066", "notes": ["a \x07"]}
    assert _post(call, body).status == 201
    report = call("GET", f"/api/v1/nodes/{NODE}").body["report"]
    assert (report["hostname"], report["os"], report["probe_version"], report["notes"]) == (
        "host\ufffd",
        "linux\ufffd",
        "1\ufffd",
        ["a \ufffd"],
    )

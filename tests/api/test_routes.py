"""Every route through ``lambda_handler`` with real REST proxy events, moto DynamoDB and S3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fleetfit.contract import Envelope
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, rtx4090_workstation, sample_report

from .support import NO_IDENTITY, Call, Clock, node_identity


def post_report(call: Call, node_id: str, **kwargs: Any) -> Any:
    report = sample_report(node_id, **kwargs)
    return call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node_id)), report


def test_health(call: Call) -> None:
    r = call("GET", "/health")
    assert r.status == 200 and r.body["status"] == "ok"


def test_ingest_answers_201_with_the_top_envelope(call: Call) -> None:
    r, report = post_report(call, "i-0123456789abcdef0")
    assert r.status == 201, r.body
    env = Envelope.model_validate(r.body)
    assert env.node.name == "i-0123456789abcdef0"
    assert env.system == report.system
    assert env.returned_models <= 5
    assert all(m.fit_level != "too_tight" for m in env.models)
    assert r.headers["Location"] == "/api/v1/nodes/i-0123456789abcdef0"


def test_retry_of_the_same_report_is_idempotent(call: Call) -> None:
    report = sample_report("i-0aaaaaaaaaaaaaaa1")
    body = report.model_dump(mode="json")
    first = call("POST", "/api/v1/reports", body=body, identity=node_identity(report.node_id))
    again = call("POST", "/api/v1/reports", body=body, identity=node_identity(report.node_id))
    assert (first.status, again.status) == (201, 200)
    hist = call("GET", f"/api/v1/nodes/{report.node_id}/history")
    assert len(hist.body["reports"]) == 1


def test_older_report_never_replaces_the_latest(call: Call, clock: Clock) -> None:
    node = "i-0bbbbbbbbbbbbbbb2"
    _, new = post_report(call, node, system=apple_m3_max(), collected_at=clock.now - timedelta(minutes=1))
    r, _ = post_report(call, node, system=cpu_only_x86(), collected_at=clock.now - timedelta(hours=3))
    assert r.status == 201
    assert r.body["system"]["backend"] == "Metal"  # the envelope is for the latest, not the late report
    detail = call("GET", f"/api/v1/nodes/{node}")
    assert detail.status == 200
    assert detail.body["report"]["report_id"] == new.report_id
    assert len(call("GET", f"/api/v1/nodes/{node}/history").body["reports"]) == 2


def test_models_routes_by_query_and_by_path(call: Call) -> None:
    node = "i-0ccccccccccccccc3"
    post_report(call, node)
    for path, query in (
        ("/api/v1/models", {"node": node}),
        (f"/api/v1/nodes/{node}/models", {}),
    ):
        r = call("GET", path, query={**query, "limit": "3"})
        assert r.status == 200, r.body
        assert r.body["returned_models"] <= 3
        assert r.body["total_models"] >= r.body["returned_models"]
    top = call("GET", f"/api/v1/nodes/{node}/models/top")
    assert top.status == 200 and top.body["returned_models"] <= 5
    via_query = call("GET", "/api/v1/models/top", query={"node": node})
    assert via_query.body == top.body


@pytest.mark.parametrize("encode", [True, False])
@pytest.mark.parametrize("prefix", ["/api/v1/models/", "/api/v1/nodes/i-0ddddddddddddddd4/models/"])
def test_model_names_with_a_slash_work_raw_and_encoded(
    call: Call, catalog_names: list[str], encode: bool, prefix: str
) -> None:
    post_report(call, "i-0ddddddddddddddd4")
    name = next(n for n in catalog_names if "/" in n)
    path = prefix + (quote(name, safe="") if encode else name)
    r = call("GET", path, query={"node": "i-0ddddddddddddddd4"})
    assert r.status == 200, r.body
    assert r.body["total_models"] >= 1
    assert any(m["name"] == name for m in r.body["models"])


def test_unknown_model_is_200_with_an_empty_list(call: Call) -> None:
    post_report(call, "n1")
    r = call("GET", "/api/v1/models/no-such-model-anywhere-xyz", query={"node": "n1"})
    assert r.status == 200
    assert r.body["models"] == [] and r.body["total_models"] == 0


def test_unknown_node_is_404_naming_it(call: Call) -> None:
    for path, query in (
        ("/api/v1/models/top", {"node": "ghost"}),
        ("/api/v1/nodes/ghost/models", {}),
        ("/api/v1/nodes/ghost", {}),
        ("/api/v1/nodes/ghost/history", {}),
    ):
        r = call("GET", path, query=query)
        assert r.status == 404, (path, r.body)
        assert "ghost" in r.body["error"]


def test_models_without_a_node_is_400(call: Call) -> None:
    r = call("GET", "/api/v1/models")
    assert r.status == 400 and "node" in r.body["error"]


def test_bad_query_values_are_400_naming_the_parameter(call: Call) -> None:
    post_report(call, "n1")
    for query, param in (
        ({"limit": "abc"}, "limit"),
        ({"sort": "bogus"}, "sort"),
        ({"limit": "-1"}, "limit"),
        ({"quant": "Q4_K_XXL"}, "quant"),
        ({"kv_quant": "q3_k"}, "kv_quant"),
        ({"group": "family"}, "group"),
    ):
        r = call("GET", "/api/v1/nodes/n1/models", query=query)
        assert r.status == 400, (query, r.body)
        assert param in r.body["error"]


def test_any_llama_cpp_quant_and_kv_cache_type_in_any_case(call: Call) -> None:
    post_report(call, "n2")
    r = call("GET", "/api/v1/nodes/n2/models", query={"quant": "ud-q4_k_xl", "kv_quant": "Q8_0", "limit": "2"})
    assert r.status == 200, r.body
    assert r.body["filters"]["quant"] == "UD-Q4_K_XL" and r.body["filters"]["kv_quant"] == "q8_0"
    for model in r.body["models"]:
        assert model["best_quant"] == "UD-Q4_K_XL"
        assert model["estimate_basis"]["kv_cache_type"] == "q8_0"
        assert model["prefill_tps"] > 0 and model["ttft_ms"] > 0


def test_duplicate_query_parameter_is_400(call: Call) -> None:
    post_report(call, "n1")
    r = call("GET", "/api/v1/nodes/n1/models", query={"limit": ["2", "3"]})
    assert r.status == 400 and "limit" in r.body["error"]


def test_unknown_query_parameters_are_ignored(call: Call) -> None:
    post_report(call, "n1")
    r = call("GET", "/api/v1/nodes/n1/models/top", query={"colour": "blue"})
    assert r.status == 200


def test_what_if_fit_stores_nothing(call: Call) -> None:
    r = call("POST", "/api/v1/fit", body=rtx4090_workstation().model_dump(mode="json"), query={"limit": "2"})
    assert r.status == 200, r.body
    assert r.body["returned_models"] <= 2
    assert call("GET", "/api/v1/nodes").body["nodes"] == []


def test_nodes_listing_pages_and_flags_stale(call: Call, clock: Clock) -> None:
    for i in range(5):
        post_report(call, f"node-{i}", collected_at=clock.now - timedelta(minutes=i))
    clock.now += timedelta(hours=47, minutes=58)  # node-3, node-4 are now older than 48 h
    seen, token, pages = [], None, 0
    while True:
        r = call("GET", "/api/v1/nodes", query={"limit": "2", **({"next_token": token} if token else {})})
        assert r.status == 200, r.body
        seen += r.body["nodes"]
        pages += 1
        token = r.body["next_token"]
        if not token:
            break
    assert pages == 3
    assert [n["node_id"] for n in seen] == [f"node-{i}" for i in range(5)]
    assert [n["stale"] for n in seen] == [False, False, False, True, True]
    assert seen[0]["gpu_name"] == "NVIDIA GeForce RTX 4090"


def test_bad_page_token_and_limits_are_400(call: Call) -> None:
    assert call("GET", "/api/v1/nodes", query={"next_token": "not-a-token"}).status == 400
    assert call("GET", "/api/v1/nodes", query={"limit": "0"}).status == 400
    r = call("GET", "/api/v1/nodes", query={"limit": "many"})
    assert r.status == 400 and "limit" in r.body["error"]


def test_history_pages_newest_first(call: Call, clock: Clock) -> None:
    ids = []
    for i in range(5):
        # each says something new: an unchanged report is no history entry (tests/store/test_write_amplification.py)
        _, rep = post_report(call, "h1", collected_at=clock.now - timedelta(minutes=10 - i), hostname=f"h{i}")
        ids.append(rep.report_id)
    r = call("GET", "/api/v1/nodes/h1/history", query={"limit": "3"})
    got = [e["report"]["report_id"] for e in r.body["reports"]]
    r2 = call("GET", "/api/v1/nodes/h1/history", query={"limit": "3", "next_token": r.body["next_token"]})
    got += [e["report"]["report_id"] for e in r2.body["reports"]]
    assert got == list(reversed(ids)) and r2.body["next_token"] is None


def test_catalog_info_comes_from_s3(call: Call) -> None:
    r = call("GET", "/api/v1/catalog")
    assert r.status == 200
    assert r.body["source"] == "s3" and r.body["models"] > 0
    assert r.body["loaded_from"].startswith("s3://")


def test_openapi_document_is_generated_from_the_models(call: Call) -> None:
    r = call("GET", "/api/v1/openapi.json")
    assert r.status == 200
    doc = r.body
    assert "/api/v1/reports" in doc["paths"] and "/api/v1/models/{name}" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert {"Envelope", "Report", "System", "ModelFit", "NodePage"} <= set(schemas)


def test_unknown_route_is_404_json(call: Call) -> None:
    r = call("GET", "/api/v1/nope")
    assert r.status == 404 and "no route" in r.body["error"]
    r = call("DELETE", "/api/v1/nodes")
    assert r.status == 404


def test_system_route(call: Call) -> None:
    post_report(call, "n1")
    r = call("GET", "/api/v1/system", query={"node": "n1"})
    assert r.status == 200 and r.body["system"]["backend"] == "CUDA" and r.body["node"]["name"] == "n1"


def test_unsigned_request_is_refused(call: Call) -> None:
    r = call("GET", "/api/v1/nodes", identity=NO_IDENTITY)
    assert r.status == 403


def test_a_whole_session_makes_no_scan(call: Call, lambda_services: Any) -> None:
    from collections import Counter

    from fleetfit.fleet.service import forget_digests

    forget_digests()  # as in a new process
    ops: Counter[str] = Counter()
    client = lambda_services.store.client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: ops.update([model.name]))
    for i in range(3):
        post_report(call, f"scan-{i}")
    call("GET", "/api/v1/nodes")
    call("GET", "/api/v1/nodes/scan-1")
    call("GET", "/api/v1/nodes/scan-1/history")
    call("GET", "/api/v1/models/top", query={"node": "scan-2"})
    assert ops["Scan"] == 0
    # A new node takes two transactions (the second counts it into its hardware class); see the store's tests.
    # The first ingest of a class in a process looks the class's digest up (one GetItem), finds none, ranks the
    # catalog and stores the digest (one UpdateItem); later ingests of the class answer from the digest.
    # Listing nodes reads the class registry once (one Query) for every card of each node's class.
    # A node's model listing fits its class's speed correction once per api.measured.CACHE_S: one index Query
    # for the class's nodes and one BatchGetItem of their latest reports (no scan).
    # Each ingest first reads whether the node's latest says the same (one GetItem: write amplification).
    expected = {"TransactWriteItems": 6, "Query": 4, "GetItem": 2 + 3, "BatchGetItem": 1}
    if lambda_services.engine.fleet is not None:
        expected["UpdateItem"] = 1
        expected["GetItem"] += 1
    assert ops == expected


def test_large_answers_are_gzipped_or_refused_with_a_hint(call: Call, lambda_services: Any) -> None:
    import base64
    import gzip
    import json

    post_report(call, "big")
    lambda_services.settings.compress_min_bytes = 100
    lambda_services.settings.max_response_bytes = 3000
    plain = call("GET", "/api/v1/models", query={"node": "big"})
    assert plain.status == 400 and "limit=" in plain.body["error"] and "gzip" in plain.body["error"]
    from fleetfit.api.handler import lambda_handler

    from .support import FakeContext, rest_event

    event = rest_event("GET", "/api/v1/models", query={"node": "big", "limit": "3"})
    event["headers"]["Accept-Encoding"] = "gzip, deflate"
    raw = lambda_handler(event, FakeContext())
    assert raw["statusCode"] == 200 and raw["isBase64Encoded"] is True
    assert raw["headers"]["Content-Encoding"] == "gzip"
    envelope = json.loads(gzip.decompress(base64.b64decode(raw["body"])))
    assert envelope["returned_models"] <= 3


def test_an_unchanged_report_is_counted_and_the_probe_can_ask_for_a_minimal_answer(call: Call) -> None:
    from fleetfit.store.samples import sample_report

    first = sample_report("i-0min")
    r = call("POST", "/api/v1/reports", body=first.model_dump(mode="json"), identity=node_identity("i-0min"))
    assert r.status == 201 and "models" in r.body
    later = first.model_copy(
        update={"report_id": "r-later-0001", "collected_at": first.collected_at + timedelta(seconds=1)}
    )
    r = call("POST", "/api/v1/reports", body=later.model_dump(mode="json"), identity=node_identity("i-0min"),
             headers={"Prefer": "return=minimal"})  # fmt: skip
    assert r.status == 201 and r.headers["Preference-Applied"] == "return=minimal"
    assert r.body == {"node_id": "i-0min", "report_id": "r-later-0001", "outcome": "latest", "unchanged": True}
    history = call("GET", "/api/v1/nodes/i-0min/history").body["reports"]
    assert [h["report"]["report_id"] for h in history] == [first.report_id]  # unchanged: no new entry
    assert call("GET", "/api/v1/nodes/i-0min").body["report_id"] == "r-later-0001"

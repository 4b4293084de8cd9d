"""Fleet-wide routes through ``lambda_handler`` with real REST proxy events, on both stores (moto DynamoDB
with the S3 catalog, and SQLite with the bundled one): which nodes run model X, compare, summary, placement."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fleetfit.api import services as services_mod
from fleetfit.api.engine_port import EnginePort
from fleetfit.api.settings import Settings
from fleetfit.catalog import load_bundled
from fleetfit.contract import System
from fleetfit.fleet.service import forget_digests
from fleetfit.store.samples import (
    apple_m3_max,
    cpu_only_x86,
    h100_server,
    mixed_4090_3090,
    rtx4090_workstation,
    sample_report,
)

from .support import NO_IDENTITY, NODE_ROLE_ID, Call, Clock, FakeContext, Reply, node_identity, rest_event

SMALL = "Qwen/Qwen3-8B"  # runs on every sample machine
HUGE = "deepseek-ai/DeepSeek-V3"  # 685B: only the 8x H100 server holds it


@pytest.fixture(params=["dynamodb", "sqlite"])
def fleet_call(request: pytest.FixtureRequest, engine: EnginePort, clock: Clock, tmp_path: Path) -> Iterator[Call]:
    if engine.fleet is None:
        pytest.skip("fleet routes need the real engine")
    forget_digests()
    if request.param == "dynamodb":
        yield request.getfixturevalue("call")
        return
    svc = services_mod.build_services(
        Settings(db_path=str(tmp_path / "fleet.db"), auth_mode="iam", node_role_ids=NODE_ROLE_ID), engine=engine
    )
    svc.now = clock
    services_mod.configure(svc)
    from fleetfit.api.handler import lambda_handler

    def _call(method: str, path: str, **kwargs: Any) -> Reply:
        out = lambda_handler(rest_event(method, path, **kwargs), FakeContext())
        body = out.get("body") or ""
        if out.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return Reply(status=out["statusCode"], headers=dict(out.get("headers") or {}), body=json.loads(body), raw=out)

    yield _call
    services_mod.configure(None)


def post(call: Call, node_id: str, system: System, clock: Clock, age: timedelta = timedelta(minutes=1)) -> None:
    report = sample_report(node_id, system=system, collected_at=clock.now - age)
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node_id))
    assert r.status in (200, 201), r.body


def lab(call: Call, clock: Clock) -> None:
    """3 RTX 4090 workstations, 2 CPU boxes, 1 Mac, 1 8x H100 server."""
    for i in range(3):
        post(call, f"rtx-{i}", rtx4090_workstation(), clock)
    for i in range(2):
        post(call, f"cpu-{i}", cpu_only_x86(), clock)
    post(call, "mac-0", apple_m3_max(), clock)
    post(call, "h100-0", h100_server(), clock)


def which(call: Call, name: str, **query: str) -> Reply:
    return call("GET", f"/api/v1/fleet/models/{name}", query=query or None)


def test_which_nodes_run_a_model_fastest_class_first(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    r = which(fleet_call, SMALL)
    assert r.status == 200, r.body
    body = r.body
    assert body["model"]["name"] == SMALL and body["total_nodes"] == 7 and body["returned_nodes"] == 7
    assert body["stale_nodes"] == 0
    tps = [n["estimated_tps"] for n in body["nodes"]]
    assert tps == sorted(tps, reverse=True)
    assert body["nodes"][0]["node_id"] == "h100-0"
    first = body["nodes"][0]
    for key in ("fit_level", "best_quant", "run_mode", "estimated_tps", "memory_required_gb", "memory_available_gb",
                "last_seen", "why", "hw_class", "stale"):  # fmt: skip
        assert key in first
    assert [c["nodes"] for c in body["classes"]] == [1, 3, 1, 2]  # h100, rtx, mac, cpu
    assert sum(c["nodes"] for c in body["classes"]) == body["total_nodes"]


def test_which_pages_through_every_node_once(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    seen, token, pages = [], None, 0
    while True:
        r = which(fleet_call, SMALL, limit="2", **({"next_token": token} if token else {}))
        assert r.status == 200, r.body
        seen += [n["node_id"] for n in r.body["nodes"]]
        pages += 1
        token = r.body["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(["rtx-0", "rtx-1", "rtx-2", "cpu-0", "cpu-1", "mac-0", "h100-0"])
    assert len(seen) == len(set(seen)) and pages == 4
    other = which(fleet_call, SMALL, limit="2", min_fit="good")
    assert which(fleet_call, SMALL, limit="2", next_token=other.body["next_token"]).status == 400  # other query


def test_which_filters_and_sorts(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    cpu = which(fleet_call, SMALL, backend="cpu")
    assert {n["node_id"] for n in cpu.body["nodes"]} == {"cpu-0", "cpu-1"}
    assert all(n["run_mode"] == "cpu_only" for n in cpu.body["nodes"])
    rtx = which(fleet_call, SMALL, gpu="4090")
    assert {n["node_id"] for n in rtx.body["nodes"]} == {"rtx-0", "rtx-1", "rtx-2"}
    q8 = which(fleet_call, SMALL, quant="q8_0")
    assert {n["best_quant"] for n in q8.body["nodes"]} == {"Q8_0"} and q8.body["filters"]["quant"] == "Q8_0"
    perfect = which(fleet_call, SMALL, min_fit="perfect")
    assert all(n["fit_level"] == "perfect" for n in perfect.body["nodes"])
    assert which(fleet_call, HUGE, min_fit="too_tight").body["total_nodes"] == 7  # every node, whatever its fit
    by_headroom = which(fleet_call, SMALL, sort="headroom").body["nodes"]
    room = [n["memory_available_gb"] - n["memory_required_gb"] for n in by_headroom]
    assert room == sorted(room, reverse=True)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"min_fit": "great"}, "min_fit"),
        ({"quant": "Q9"}, "quant"),
        ({"sort": "colour"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"include_stale": "maybe"}, "include_stale"),
        ({"max_context": "-4"}, "max_context"),
        ({"next_token": "garbage!"}, "next_token"),
        ({"backend": "x" * 100}, "backend"),
        ({"kv_quant": "q9_9"}, "kv_quant"),
        ({"prompt_tokens": "0"}, "prompt_tokens"),
        ({"prompt_tokens": "many"}, "prompt_tokens"),
        ({"prompt_tokens": "\u00b2"}, "prompt_tokens"),
    ],
)
def test_which_bad_input_is_400_naming_the_parameter(
    fleet_call: Call, clock: Clock, query: dict[str, str], param: str
) -> None:
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    r = which(fleet_call, SMALL, **query)
    assert r.status == 400, r.body
    assert param in r.body["error"]


def test_unknown_model_is_404_with_close_names(fleet_call: Call, clock: Clock) -> None:
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    r = which(fleet_call, "qwen3-8")
    assert r.status == 404 and "did you mean" in r.body["error"] and "Qwen/Qwen3-8B" in r.body["error"]


@pytest.mark.parametrize("encode", [False, True])
def test_model_name_with_a_slash_raw_or_encoded(fleet_call: Call, clock: Clock, encode: bool) -> None:
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    name = quote(SMALL, safe="") if encode else SMALL
    r = which(fleet_call, name)
    assert r.status == 200, r.body
    assert r.body["model"]["name"] == SMALL and [n["node_id"] for n in r.body["nodes"]] == ["rtx-0"]
    lowered = which(fleet_call, SMALL.lower() + "/")  # any case, trailing slash
    assert lowered.status == 200 and lowered.body["model"]["name"] == SMALL


def test_a_fleet_where_no_node_fits(fleet_call: Call, clock: Clock) -> None:
    for i in range(2):
        post(fleet_call, f"rtx-{i}", rtx4090_workstation(), clock)
    post(fleet_call, "cpu-0", cpu_only_x86(), clock)
    r = which(fleet_call, HUGE)
    assert r.status == 200 and r.body["total_nodes"] == 0 and r.body["nodes"] == [] and r.body["next_token"] is None
    p = fleet_call("POST", "/api/v1/fleet/placement", body={"model": HUGE, "replicas": 2})
    assert p.status == 200, p.body
    assert p.body["placed"] == [] and p.body["unplaced"] == 2 and p.body["candidates"] == 0
    assert "no node runs" in p.body["note"]
    plans = p.body["plans"]
    assert plans and plans[0]["gpu_name"] == "NVIDIA GeForce RTX 4090"  # the most memory: closest to fitting
    plan = plans[0]["plan"]
    assert plan["current"]["fit_level"] == "too_tight" and plan["runs_now"] is None
    assert plans[0]["add_gb"] > 100 and plan["gpus_that_fit"]
    assert {"target_fit", "quant", "add_gb"} <= set(plan["upgrades"][0])


def test_a_node_that_goes_stale_is_flagged_not_dropped(fleet_call: Call, clock: Clock) -> None:
    for node in ("rtx-0", "rtx-1"):
        post(fleet_call, node, rtx4090_workstation(), clock)
    clock.now += timedelta(hours=49)  # rtx-1 never reports again
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    r = which(fleet_call, SMALL)
    assert r.body["total_nodes"] == 2 and r.body["stale_nodes"] == 1
    assert {n["node_id"]: n["stale"] for n in r.body["nodes"]} == {"rtx-0": False, "rtx-1": True}
    fresh = which(fleet_call, SMALL, include_stale="false")
    assert [n["node_id"] for n in fresh.body["nodes"]] == ["rtx-0"]
    assert fresh.body["total_nodes"] == 1 and fresh.body["stale_nodes"] == 1  # excluded, and said so
    s = fleet_call("GET", "/api/v1/fleet/summary").body
    assert s["nodes"] == {"total": 2, "fresh": 1, "stale": 1}
    p = fleet_call("POST", "/api/v1/fleet/placement", body={"model": SMALL, "replicas": 2})
    assert [x["node_id"] for x in p.body["placed"]] == ["rtx-0"] and p.body["unplaced"] == 1
    p = fleet_call("POST", "/api/v1/fleet/placement", body={"model": SMALL, "replicas": 2, "include_stale": True})
    assert [x["node_id"] for x in p.body["placed"]] == ["rtx-0", "rtx-1"] and "stale" in p.body["placed"][1]["why"]


def test_two_nodes_whose_hardware_changes_class(fleet_call: Call, clock: Clock) -> None:
    for i in range(3):
        post(fleet_call, f"n{i}", rtx4090_workstation(), clock, age=timedelta(hours=2))
    post(fleet_call, "n0", apple_m3_max(), clock)  # rebuilt as a Mac
    post(fleet_call, "n1", cpu_only_x86(), clock)  # its GPU removed
    r = which(fleet_call, SMALL)
    by_node = {n["node_id"]: n for n in r.body["nodes"]}
    assert r.body["total_nodes"] == 3 and len(by_node) == 3  # no old membership lingers
    assert by_node["n0"]["backend"] == "Metal" and by_node["n1"]["run_mode"] == "cpu_only"
    assert [n["node_id"] for n in which(fleet_call, SMALL, gpu="4090").body["nodes"]] == ["n2"]
    s = fleet_call("GET", "/api/v1/fleet/summary").body
    gpus = {g["name"]: g["cards"] for g in s["gpus"]}
    assert gpus == {"NVIDIA GeForce RTX 4090": 1, "Apple M3 Max": 1}
    assert {b["backend"]: b["nodes"] for b in s["backends"]} == {"CUDA": 1, "Metal": 1, "CPU (x86)": 1}
    c = fleet_call("GET", "/api/v1/fleet/compare", query={"nodes": "n0,n1", "model": SMALL}).body
    assert [n["system"]["backend"] for n in c["nodes"]] == ["Metal", "CPU (x86)"]


def test_summary(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    r = fleet_call("GET", "/api/v1/fleet/summary")
    assert r.status == 200, r.body
    s = r.body
    assert s["nodes"] == {"total": 7, "fresh": 7, "stale": 0}
    assert s["classes"] == {"total": 4, "evaluated": 4, "pending": 0}
    gpus = {g["name"]: g for g in s["gpus"]}
    assert gpus["NVIDIA H100 80GB HBM3"]["cards"] == 8 and gpus["NVIDIA H100 80GB HBM3"]["nodes"] == 1
    assert gpus["NVIDIA GeForce RTX 4090"]["cards"] == 3 and gpus["NVIDIA GeForce RTX 4090"]["vram_gb"] == 24.0
    assert gpus["Apple M3 Max"]["unified_memory"] is True
    assert s["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"  # most cards first
    assert {b["backend"]: b["nodes"] for b in s["backends"]} == {"CUDA": 4, "CPU (x86)": 2, "Metal": 1}
    levels = s["models_by_best_fit"]
    assert sum(levels.values()) == s["catalog_models"] and levels["perfect"] > levels["too_tight"]
    # What the fleet runs best: models of the default top lists, most nodes first, one per variant group.
    best = s["best_models"]
    assert 5 <= len(best) <= 10 and best[0]["nodes"] >= best[-1]["nodes"]
    assert [b["nodes"] for b in best] == sorted((b["nodes"] for b in best), reverse=True)
    catalog = load_bundled()
    groups = [catalog.find(b["name"])["group"] for b in best]  # type: ignore[index]
    assert len(set(groups)) == len(groups)
    assert all(1 <= b["best_rank"] <= 5 and 1 <= b["classes"] <= 4 and b["nodes"] <= 7 for b in best)
    again = fleet_call("GET", "/api/v1/fleet/summary")
    assert again.body == s
    forget_digests()  # another process: the classes' digests are read back from the store
    assert fleet_call("GET", "/api/v1/fleet/summary").body == s


def test_summary_of_an_empty_fleet(fleet_call: Call) -> None:
    s = fleet_call("GET", "/api/v1/fleet/summary").body
    assert s["nodes"] == {"total": 0, "fresh": 0, "stale": 0} and s["gpus"] == [] and s["backends"] == []
    assert s["models_by_best_fit"]["too_tight"] == s["catalog_models"]


def test_compare_one_model_and_top_models(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    r = fleet_call("GET", "/api/v1/fleet/compare", query={"nodes": "rtx-0,cpu-0,h100-0", "model": SMALL})
    assert r.status == 200, r.body
    assert [n["node_id"] for n in r.body["nodes"]] == ["rtx-0", "cpu-0", "h100-0"]
    assert r.body["nodes"][2]["system"]["gpu_count"] == 8
    (row,) = r.body["models"]
    assert [f["node_id"] for f in row["fits"]] == ["rtx-0", "cpu-0", "h100-0"]
    assert row["best_node"] == "h100-0" and row["fits"][1]["run_mode"] == "cpu_only"
    top = fleet_call("GET", "/api/v1/fleet/compare", query={"nodes": "rtx-0,mac-0", "limit": "3"})
    assert top.status == 200, top.body
    assert 3 <= len(top.body["models"]) <= 6 and all(len(m["fits"]) == 2 for m in top.body["models"])
    # each node's own best model by score is among the rows
    for node in ("rtx-0", "mac-0"):
        own = fleet_call("GET", f"/api/v1/nodes/{node}/models/top", query={"limit": "1"}).body["models"][0]["name"]
        assert own in [m["model"]["name"] for m in top.body["models"]]


@pytest.mark.parametrize(
    ("query", "status", "word"),
    [
        ({"nodes": "rtx-0,ghost"}, 404, "ghost"),
        ({"nodes": ","}, 400, "nodes"),
        ({"nodes": ",".join(f"n{i}" for i in range(17))}, 400, "nodes"),
        ({"nodes": "rtx-0", "limit": "0"}, 400, "limit"),
        ({"nodes": "rtx-0", "limit": "51"}, 400, "limit"),
        ({"nodes": "rtx-0", "model": "no/such-model-xyz"}, 404, "no/such-model-xyz"),
        ({}, 400, "nodes"),
    ],
)
def test_compare_bad_input(fleet_call: Call, clock: Clock, query: dict[str, str], status: int, word: str) -> None:
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    r = fleet_call("GET", "/api/v1/fleet/compare", query=query or None)
    assert r.status == status, r.body
    assert word in r.body["error"]


def place(call: Call, **body: Any) -> Reply:
    r = call("POST", "/api/v1/fleet/placement", body=body)
    assert r.status == 200, r.body
    return r


def test_placement_best_nodes_each_with_why(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    r = place(fleet_call, model=SMALL, replicas=3, min_fit="good", spread=True)
    placed = r.body["placed"]
    assert [p["replica"] for p in placed] == [1, 2, 3]
    assert [p["node_id"] for p in placed] == ["h100-0", "rtx-0", "rtx-1"]  # spread: one per node
    assert [p["cards"] for p in placed] == [[0], [0], [0]]
    assert all("tok/s" in p["why"] and "class " in p["why"] for p in placed)
    assert r.body["unplaced"] == 0 and r.body["plans"] == [] and r.body["candidates"] == 7
    assert r.body["spread"] is True and r.body["capacity"] == 7
    many = place(fleet_call, model=SMALL, replicas=10, min_fit="perfect", spread=True)
    assert many.body["unplaced"] == 10 - len(many.body["placed"]) > 0
    assert all(p["fit_level"] == "perfect" for p in many.body["placed"])
    assert many.body["plans"] and all(plan["hw_class"] for plan in many.body["plans"])


def test_placement_fills_a_node_with_one_replica_per_card_set(fleet_call: Call, clock: Clock) -> None:
    lab(fleet_call, clock)
    post(fleet_call, "mixed-0", mixed_4090_3090(), clock)
    # An 8B fits one H100: the 8x H100 node holds eight, on cards 0..7, before any other node is used.
    r = place(fleet_call, model=SMALL, replicas=10, min_fit="good")
    placed = r.body["placed"]
    assert [p["node_id"] for p in placed[:8]] == ["h100-0"] * 8
    assert [p["cards"] for p in placed[:8]] == [[i] for i in range(8)]
    # The 4090 + 3090 node holds two (one per card); the faster card first.
    assert [(p["node_id"], p["cards"]) for p in placed[8:]] == [("mixed-0", [0]), ("mixed-0", [1])]
    assert placed[8]["estimated_tps"] > placed[9]["estimated_tps"]
    assert r.body["spread"] is False and r.body["unplaced"] == 0
    # 8 + 2 + 3 workstations + 2 CPU boxes + the Mac (unified memory: one replica)
    assert r.body["capacity"] == 16 and "on 2 of the 8 nodes" in r.body["note"]
    # More than the fleet holds: how many it can, and the plan for them.
    short = place(fleet_call, model=SMALL, replicas=20, min_fit="good")
    assert len(short.body["placed"]) == 16 and short.body["unplaced"] == 4
    assert "the fleet holds only 16" in short.body["note"]
    # A 70B at Q8_0 takes two H100s per replica: four on the server; one across the 4090 + 3090 pair.
    big = place(fleet_call, model="meta-llama/Llama-3.3-70B-Instruct", replicas=6, min_fit="good")
    rows = [(p["node_id"], p["cards"]) for p in big.body["placed"]]
    assert rows[:4] == [("h100-0", [0, 1]), ("h100-0", [2, 3]), ("h100-0", [4, 5]), ("h100-0", [6, 7])]
    assert ("mixed-0", [0, 1]) in rows  # after the Mac: perfect there (Q8_0), good here (Q4_K_M)


def test_a_mixed_node_lists_every_card_and_splits_a_70b_across_them(fleet_call: Call, clock: Clock) -> None:
    post(fleet_call, "mixed-0", mixed_4090_3090(), clock)
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    cards = [
        {"name": "NVIDIA GeForce RTX 4090", "count": 1, "vram_gb": 24.0},
        {"name": "NVIDIA GeForce RTX 3090", "count": 1, "vram_gb": 24.0},
    ]
    nodes = {n["node_id"]: n for n in fleet_call("GET", "/api/v1/nodes").body["nodes"]}
    assert nodes["mixed-0"]["gpus"] == cards and nodes["mixed-0"]["gpu_count"] == 2
    assert nodes["rtx-0"]["gpus"] == [{"name": "NVIDIA GeForce RTX 4090", "count": 1, "vram_gb": 24.0}]
    detail = fleet_call("GET", "/api/v1/nodes/mixed-0").body
    assert [g["name"] for g in detail["gpus"]] == [c["name"] for c in cards]
    r = which(fleet_call, "meta-llama/Llama-3.3-70B-Instruct")
    assert r.status == 200, r.body
    rows = {n["node_id"]: n for n in r.body["nodes"]}
    assert rows["mixed-0"]["gpus"] == cards and rows["mixed-0"]["run_mode"] == "gpu"
    assert rows["mixed-0"]["best_quant"] == "Q4_K_M" and 15 <= rows["mixed-0"]["estimated_tps"] <= 18.5
    assert "NVIDIA GeForce RTX 4090 + NVIDIA GeForce RTX 3090" in rows["mixed-0"]["why"]
    assert rows["rtx-0"]["run_mode"] == "cpu_offload"


@pytest.mark.parametrize(
    ("body", "status", "word"),
    [
        ({"model": SMALL, "replicas": 0}, 422, "replicas"),
        ({"model": SMALL, "replicas": "lots"}, 422, "replicas"),
        ({"model": SMALL, "spread": "maybe"}, 422, "spread"),
        ({"model": SMALL, "min_fit": "great"}, 422, "min_fit"),
        ({"model": SMALL, "max_context": 0}, 422, "max_context"),
        ({"replicas": 2}, 422, "model"),
        ({"model": SMALL, "quant": "Q9"}, 400, "quant"),
        ({"model": SMALL, "kv_quant": "q9_9"}, 400, "kv_quant"),
        ({"model": SMALL, "prompt_tokens": 0}, 422, "prompt_tokens"),
        ({"model": "no/such-model-xyz"}, 404, "no/such-model-xyz"),
    ],
)
def test_placement_bad_input(fleet_call: Call, clock: Clock, body: dict[str, Any], status: int, word: str) -> None:
    post(fleet_call, "rtx-0", rtx4090_workstation(), clock)
    r = fleet_call("POST", "/api/v1/fleet/placement", body=body)
    assert r.status == status, r.body
    assert word in r.body["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/fleet/models/{SMALL}", None),
        ("GET", "/api/v1/fleet/compare?nodes=a", None),
        ("GET", "/api/v1/fleet/summary", None),
        ("POST", "/api/v1/fleet/placement", {"model": SMALL}),
    ],
)
def test_fleet_routes_need_an_identity_like_every_route(
    fleet_call: Call, method: str, path: str, body: dict[str, Any] | None
) -> None:
    r = fleet_call(method, path.split("?")[0], body=body, identity=NO_IDENTITY)
    assert r.status == 403 and "SigV4" in r.body["error"]


def test_openapi_lists_the_fleet_routes(fleet_call: Call) -> None:
    doc = fleet_call("GET", "/api/v1/openapi.json").body
    for path in ("/api/v1/fleet/models/{name}", "/api/v1/fleet/compare", "/api/v1/fleet/summary"):
        assert path in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/fleet/placement"]
    assert {"FleetModelPage", "FleetSummary", "PlacementRequest", "PlacementAnswer"} <= set(
        doc["components"]["schemas"]
    )


def test_ingest_answers_a_known_class_from_its_digest_with_the_same_envelope() -> None:
    """The digest path and the full ranking give the same top envelope for a node of a known class."""
    from fleetfit.catalog import load_bundled
    from fleetfit.contract import Node
    from fleetfit.engine.fleet import class_system
    from fleetfit.engine.fleetwide import digest, top_envelope_json
    from fleetfit.engine.query import Query, envelope_json, parse_query, ranking
    from fleetfit.store.samples import rtx4090_workstation

    catalog = load_bundled()
    system = rtx4090_workstation()
    as_class = class_system(system)
    node = Node(name="n", os="linux")
    query = parse_query({}, route="top")
    found = digest(ranking(as_class, catalog, Query()), catalog.version)
    assert top_envelope_json(system, as_class, catalog, found, query, node) == envelope_json(
        system, catalog, query, node, evaluate_as=as_class
    )


def test_fleet_answers_take_the_kv_cache_type_and_prompt_length(fleet_call: Call, clock: Clock) -> None:
    # As /api/v1/models does: a q4_0 KV cache needs less memory, a longer prompt a longer time to first token.
    lab(fleet_call, clock)
    plain = {n["node_id"]: n for n in which(fleet_call, SMALL, max_context="32768").body["nodes"]}
    r = which(fleet_call, SMALL, max_context="32768", kv_quant="Q4_0", prompt_tokens="8192")
    assert r.status == 200, r.body
    assert r.body["filters"]["kv_quant"] == "q4_0" and r.body["filters"]["prompt_tokens"] == 8192
    for node in r.body["nodes"]:
        before = plain[node["node_id"]]
        assert node["kv_quant"] == "q4_0" and before["kv_quant"] == "f16"
        assert node["prompt_tokens"] == 8192 and before["prompt_tokens"] == 512
        if node["best_quant"] == before["best_quant"]:
            assert node["memory_required_gb"] < before["memory_required_gb"]
        assert node["ttft_ms"] is None or node["ttft_ms"] > before["ttft_ms"]
    placed = place(fleet_call, model=SMALL, replicas=2, kv_quant="q8_0", prompt_tokens=2048).body["placed"]
    assert placed and all(p["kv_quant"] == "q8_0" and p["prompt_tokens"] == 2048 for p in placed)
    compared = fleet_call(
        "GET", "/api/v1/fleet/compare", query={"nodes": "rtx-0,mac-0", "model": SMALL, "kv_quant": "q8_0"}
    )
    assert compared.status == 200, compared.body
    assert {f["kv_quant"] for row in compared.body["models"] for f in row["fits"]} == {"q8_0"}
    bad = fleet_call("GET", "/api/v1/fleet/compare", query={"nodes": "rtx-0", "prompt_tokens": "-1"})
    assert bad.status == 400 and "prompt_tokens" in bad.body["error"]
    # The summary counts default rankings: it refuses a fit option rather than ignore it.
    refused = fleet_call("GET", "/api/v1/fleet/summary", query={"kv_quant": "q8_0"})
    assert refused.status == 400 and "kv_quant" in refused.body["error"]

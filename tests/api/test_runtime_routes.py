"""Fleet measurements through the API: /runtimes, /installed, and the Model objects' installed, measured_tps
and calibrated speed (estimate_basis.source), with calibration=off and the poisoning guarantee."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetfit.api.engine_port import EnginePort
from fleetfit.api.measured import CACHE_S
from fleetfit.contract import Report, RuntimeInfo, ServedModel
from fleetfit.engine.calibration import MAX_NODE_INFLUENCE
from fleetfit.store.samples import rtx4090_workstation, sample_report

from .support import FAKE_ENGINE, Call, Clock, node_identity

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
FILE = "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def real_engine_only(engine: EnginePort) -> None:
    if engine is FAKE_ENGINE:
        pytest.skip("lineage and calibration need the real catalog and engine")


def llama_server(tps: float | None, *, file: str = FILE) -> RuntimeInfo:
    model = ServedModel(name=file.removesuffix(".gguf"), file=file, context=8192, measured_decode_tps=tps,
                        samples=4096 if tps else 0, measured_at=AT if tps else None, loaded=True)  # fmt: skip
    return RuntimeInfo(kind="llamacpp", version="b6713-0e76a8993", url="http://127.0.0.1:8080", models=[model])


def ollama() -> RuntimeInfo:
    models = [ServedModel(name="llama3.1:8b", quant="Q4_K_M", loaded=False),
              ServedModel(name="my-private-model:latest", quant="Q4_0", loaded=False)]  # fmt: skip
    return RuntimeInfo(kind="ollama", version="0.6.5", url="http://127.0.0.1:11434", models=models)


def post(call: Call, node: str, runtimes: list[RuntimeInfo]) -> Report:
    report = sample_report(node, system=rtx4090_workstation()).model_copy(update={"runtimes": runtimes})
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node))
    assert r.status == 201, r.body
    return report


def llama_row(call: Call, node: str, **query: str) -> dict[str, Any]:
    r = call("GET", f"/api/v1/nodes/{node}/models/{LLAMA}", query={"quant": "Q4_K_M", **query})
    assert r.status == 200, r.body
    [row] = [m for m in r.body["models"] if m["name"] == LLAMA]
    return row  # type: ignore[no-any-return]


def physics(call: Call, node: str) -> float:
    return float(llama_row(call, node, calibration="off")["estimated_tps"])


def test_runtimes_route_lists_every_known_runtime_with_what_the_node_runs(call: Call) -> None:
    post(call, "i-0runtime00000001", [llama_server(120.0), ollama()])
    r = call("GET", "/api/v1/runtimes", query={"node": "i-0runtime00000001"})
    assert r.status == 200
    by_name = {x["name"]: x for x in r.body["runtimes"]}
    assert by_name["llamacpp"]["installed"] is True and by_name["llamacpp"]["version"] == "b6713-0e76a8993"
    assert by_name["ollama"]["installed"] is True and by_name["ollama"]["models"] == 2
    assert by_name["vllm"]["installed"] is False and r.body["warnings"] == []
    assert call("GET", "/api/v1/nodes/i-0runtime00000001/runtimes").body["runtimes"] == r.body["runtimes"]


def test_installed_route_matches_served_models_to_the_catalog_and_keeps_the_unmatched(call: Call) -> None:
    post(call, "i-0runtime00000002", [llama_server(120.0), ollama()])
    r = call("GET", "/api/v1/installed", query={"node": "i-0runtime00000002"})
    assert r.status == 200
    models = {(m["runtime"], m["name"]): m for m in r.body["models"]}
    served = models[("llamacpp", FILE.removesuffix(".gguf"))]
    assert (served["catalog_name"], served["quant"], served["measured_decode_tps"]) == (LLAMA, "Q4_K_M", 120.0)
    assert models[("ollama", "llama3.1:8b")]["catalog_name"] == LLAMA
    private = models[("ollama", "my-private-model:latest")]
    assert private["matched"] is False and private["catalog_name"] is None
    assert any("my-private-model" in w for w in r.body["warnings"])


def test_a_node_without_runtimes_answers_with_a_warning_not_an_error(call: Call) -> None:
    post(call, "i-0runtime00000003", [])
    r = call("GET", "/api/v1/installed", query={"node": "i-0runtime00000003"})
    assert r.status == 200 and r.body["models"] == [] and r.body["warnings"]
    row = llama_row(call, "i-0runtime00000003")
    assert row["installed"] is None and row["measured_tps"] is None  # no runtimes reported: unknown, not false
    assert row["estimate_basis"]["source"] == "estimated"


def test_unknown_node_is_404(call: Call) -> None:
    assert call("GET", "/api/v1/runtimes", query={"node": "nope"}).status == 404
    assert call("GET", "/api/v1/nodes/nope/installed").status == 404


def test_the_node_that_measured_a_model_gets_its_measurement(call: Call) -> None:
    post(call, "i-0measured0000001", [llama_server(97.5)])
    row = llama_row(call, "i-0measured0000001")
    assert row["installed"] is True and row["measured_tps"] == 97.5 and row["estimated_tps"] == 97.5
    assert row["estimate_basis"]["source"] == "measured"
    assert any(n.startswith("measured on this node by llamacpp: 97.5 tok/s") for n in row["notes"])
    off = llama_row(call, "i-0measured0000001", calibration="off")  # physics, with the measurement beside it
    assert off["measured_tps"] == 97.5 and off["estimate_basis"]["source"] == "estimated"
    assert off["estimated_tps"] != 97.5


def test_nodes_of_the_class_calibrate_the_others_and_calibration_off_turns_it_off(call: Call) -> None:
    post(call, "i-0plain0000000001", [])
    base = physics(call, "i-0plain0000000001")
    for i in range(3):
        post(call, f"i-0peer00000000{i:03}", [llama_server(round(base * 0.85, 1))])
    post(call, "i-0plain0000000002", [])  # a fresh node: its class's correction is fitted for it
    row = llama_row(call, "i-0plain0000000002")
    assert row["installed"] is None and row["measured_tps"] is None
    assert row["estimate_basis"]["source"] == "calibrated"
    # three agreeing nodes move an estimate by at most 3 x_3 = 2.2 times the per-node bound (engine.calibration):
    # toward 0.85, as far as that
    assert row["estimated_tps"] == pytest.approx(base * math.exp(-2.2 * MAX_NODE_INFLUENCE), rel=0.01)
    calibration = row["estimate_basis"]["calibration"]
    assert calibration["nodes"] == 3 and calibration["physics_tps"] == base
    assert any(n.startswith("calibrated from 3 measurements on 3 nodes of this class: \u22128 %") for n in row["notes"])
    off = llama_row(call, "i-0plain0000000002", calibration="off")
    assert off["estimate_basis"]["source"] == "estimated" and off["estimated_tps"] == base


@pytest.mark.parametrize(
    ("factor", "moves"),
    [(10.0, False), (0.1, False), (None, False), (0.5, True)],  # None: no rate; 0.5x: plausible, 5 nodes
)
def test_poisoned_measurements_move_no_other_node_more_than_5_percent(
    call: Call, clock: Clock, factor: float | None, moves: bool
) -> None:
    post(call, "i-0base00000000001", [])
    base = physics(call, "i-0base00000000001")
    for i in range(3):
        post(call, f"i-0honest0000000{i:02}", [llama_server(round(base * 0.9, 1))])
    post(call, "i-0check0000000001", [])
    clean = llama_row(call, "i-0check0000000001")["estimated_tps"]
    for i in range(5):
        post(call, f"i-0evil000000000{i}", [llama_server(None if factor is None else round(base * factor, 1))])
    clock.now += timedelta(seconds=CACHE_S + 1)  # the class's correction is refitted with the new reports
    dirty = llama_row(call, "i-0check0000000001")["estimated_tps"]
    # 10x off is rejected outright; a plausible lie from a majority of the class does move it (the control)
    assert (abs(dirty / clean - 1) > 0.05) is moves


def test_a_probe_cannot_send_absurd_rates(call: Call) -> None:
    report = sample_report("i-0absurd000000001", system=rtx4090_workstation()).model_dump(mode="json")
    report["runtimes"] = [llama_server(100.0).model_dump(mode="json")]
    report["runtimes"][0]["models"][0]["measured_decode_tps"] = -5
    r = call("POST", "/api/v1/reports", body=report, identity=node_identity("i-0absurd000000001"))
    assert r.status == 422 and "measured_decode_tps" in r.body["error"]


def test_bad_calibration_value_is_400(call: Call) -> None:
    post(call, "i-0calib0000000001", [])
    r = call("GET", "/api/v1/nodes/i-0calib0000000001/models", query={"calibration": "maybe"})
    assert r.status == 400 and "calibration" in r.body["error"]


def test_sort_by_tps_orders_the_page_by_the_speeds_shown(call: Call) -> None:
    r = call("GET", "/api/v1/nodes/i-0sorted000000001/models", query={"sort": "tps", "limit": "5"})
    assert r.status == 404
    post(call, "i-0sorted000000001", [])
    page = call("GET", "/api/v1/nodes/i-0sorted000000001/models", query={"sort": "tps", "limit": "20"}).body["models"]
    slow = page[-1]  # make the page's slowest model this node's fastest, measured
    runtime = RuntimeInfo(kind="vllm", url="http://127.0.0.1:8000", models=[
        ServedModel(name=slow["name"], repo=slow["name"], quant=slow["best_quant"],
                    measured_decode_tps=page[0]["estimated_tps"] * 2, samples=10, measured_at=AT)])  # fmt: skip
    post(call, "i-0sorted000000001", [runtime])
    again = call("GET", "/api/v1/nodes/i-0sorted000000001/models", query={"sort": "tps", "limit": "20"}).body
    assert again["models"][0]["name"] == slow["name"]
    assert again["models"][0]["estimate_basis"]["source"] == "measured"
    speeds = [m["estimated_tps"] for m in again["models"] if m["fit_level"] != "too_tight"]
    assert speeds == sorted(speeds, reverse=True)


def test_fleet_which_prefers_measured_then_calibrated_figures_and_says_which(call: Call) -> None:
    post(call, "i-0fleetplain00001", [])
    base = physics(call, "i-0fleetplain00001")
    for i in range(3):
        post(call, f"i-0fleetpeer000{i:03}", [llama_server(round(base * 0.85, 1))])
    post(call, "i-0fleetfast000001", [llama_server(round(base * 1.3, 1))])

    def which(**query: str) -> dict[str, Any]:
        r = call("GET", f"/api/v1/fleet/models/{LLAMA}", query={"quant": "Q4_K_M", **query})
        assert r.status == 200, r.body
        return {n["node_id"]: n for n in r.body["nodes"]} | {"order": [n["node_id"] for n in r.body["nodes"]]}

    nodes = which()
    fast, plain = nodes["i-0fleetfast000001"], nodes["i-0fleetplain00001"]
    assert (fast["speed_source"], fast["estimated_tps"], fast["measured_tps"]) == ("measured", round(base * 1.3, 1),
                                                                                    round(base * 1.3, 1))  # fmt: skip
    assert fast["physics_tps"] == base and nodes["order"][0] == "i-0fleetfast000001"  # measured fastest: first
    assert plain["speed_source"] == "calibrated" and plain["physics_tps"] == base
    assert base * 0.85 <= plain["estimated_tps"] < base * 0.95 and plain["calibration"]["nodes"] >= 3
    shown = [nodes[k]["estimated_tps"] for k in nodes["order"]]
    assert shown == sorted(shown, reverse=True)  # sort=tps: the page is ordered by the figures it shows
    peer = nodes["i-0fleetpeer000000"]
    assert peer["speed_source"] == "measured" and peer["estimated_tps"] == round(base * 0.85, 1)

    off = which(calibration="off")
    assert {n["speed_source"] for k, n in off.items() if k != "order"} == {"estimated"}
    assert off["i-0fleetfast000001"]["estimated_tps"] == base and off["i-0fleetfast000001"]["measured_tps"] == round(
        base * 1.3, 1
    )
    r = call("GET", f"/api/v1/fleet/models/{LLAMA}", query={"calibration": "maybe"})
    assert r.status == 400 and "calibration" in r.body["error"]


def test_placement_shows_each_replicas_measured_or_calibrated_speed(call: Call) -> None:
    post(call, "i-0placeplain00001", [])
    base = physics(call, "i-0placeplain00001")
    for i in range(3):
        post(call, f"i-0placepeer000{i:03}", [llama_server(round(base * 0.85, 1))])

    def place(**extra: Any) -> dict[str, dict[str, Any]]:
        body = {"model": LLAMA, "replicas": 4, "quant": "Q4_K_M", **extra}
        r = call("POST", "/api/v1/fleet/placement", body=body)
        assert r.status == 200, r.body
        return {p["node_id"]: p for p in r.body["placed"]}

    placed = place()
    assert len(placed) == 4, placed
    assert placed["i-0placepeer000000"]["speed_source"] == "measured", {
        k: v for k, v in placed["i-0placepeer000000"].items() if "tps" in k or k in ("node_id", "replica")
    }
    assert placed["i-0placepeer000000"]["estimated_tps"] == round(base * 0.85, 1)
    plain = placed["i-0placeplain00001"]
    assert plain["speed_source"] == "calibrated" and plain["physics_tps"] == base and plain["estimated_tps"] < base
    off = place(calibration="off")
    assert {p["speed_source"] for p in off.values()} == {"estimated"}
    assert {p["estimated_tps"] for p in off.values()} == {base}
    bad = call("POST", "/api/v1/fleet/placement", body={"model": LLAMA, "calibration": "maybe"})
    assert bad.status in (400, 422) and "calibration" in str(bad.body)

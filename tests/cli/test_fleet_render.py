"""`fleetfit fleet` tables: how a node's GPUs are shown (plain data in, text out)."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfit.fleet.render import render_nodes, render_which


def _gpus(*groups: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "count": count, "vram_gb": 24.0} for name, count in groups]


# (gpus as the API lists them, gpu_name, gpu_count, shown)
GPU_CASES = [
    (_gpus(("NVIDIA GeForce RTX 4090", 1), ("NVIDIA GeForce RTX 3090", 1)), "NVIDIA GeForce RTX 4090", 2,
     "RTX 4090 + RTX 3090"),
    (_gpus(("NVIDIA GeForce RTX 4090", 2), ("NVIDIA GeForce RTX 3090", 1)), "NVIDIA GeForce RTX 4090", 3,
     "2x RTX 4090 + RTX 3090"),
    (_gpus(("NVIDIA GeForce RTX 4090", 1), ("AMD Radeon RX 7900 XTX", 1)), "NVIDIA GeForce RTX 4090", 2,
     "RTX 4090 + RX 7900 XTX"),
    (_gpus(("NVIDIA H100 80GB HBM3", 8)), "NVIDIA H100 80GB HBM3", 8, "8x NVIDIA H100 80GB HBM3"),
    (_gpus(("NVIDIA GeForce RTX 4090", 1)), "NVIDIA GeForce RTX 4090", 1, "NVIDIA GeForce RTX 4090"),
    ([], None, 0, "-"),
    (None, "NVIDIA GeForce RTX 4090", 2, "2x NVIDIA GeForce RTX 4090"),  # an older API without `gpus`
]  # fmt: skip


def _node(gpus: list[dict[str, Any]] | None, name: str | None, count: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "node_id": "n-1",
        "hostname": "box",
        "backend": "CUDA",
        "gpu_name": name,
        "gpu_count": count,
        "gpu_vram_gb": 48.0,
        "last_seen": "2026-12-01T10:00:00Z",
        "stale": False,
    }
    if gpus is not None:
        row["gpus"] = gpus
    return row


@pytest.mark.parametrize(("gpus", "name", "count", "shown"), GPU_CASES)
def test_nodes_table_shows_every_card_model(
    gpus: list[dict[str, Any]] | None, name: str | None, count: int, shown: str
) -> None:
    out = render_nodes([_node(gpus, name, count)])
    assert f" {shown} " in out
    if len(gpus or []) > 1:
        assert f"{count}x NVIDIA GeForce RTX 4090" not in out


@pytest.mark.parametrize(("gpus", "name", "count", "shown"), GPU_CASES[:2])
def test_which_table_shows_every_card_model(gpus: list[dict[str, Any]], name: str, count: int, shown: str) -> None:
    node = {
        **_node(gpus, name, count),
        "fit_level": "good",
        "run_mode": "gpu",
        "best_quant": "Q4_K_M",
        "memory_required_gb": 43.9,
        "memory_available_gb": 47.98,
        "estimated_tps": 17.6,
    }
    answer = {
        "model": {"name": "meta-llama/Llama-3.3-70B-Instruct", "parameter_count": "70.6B"},
        "filters": {"min_fit": "marginal"},
        "nodes": [node],
        "classes": [{}],
        "returned_nodes": 1,
        "total_nodes": 1,
        "stale_nodes": 0,
    }
    assert f" {shown} " in render_which(answer)


def test_placement_table_lists_each_replica_with_its_cards() -> None:
    from fleetfit.fleet.render import render_placement

    def replica(n: int, node: str, cards: list[int], gpus: list[dict[str, Any]]) -> dict[str, Any]:
        return {"replica": n, "cards": cards, "why": f"why {n}", **_node(gpus, gpus[0]["name"], len(gpus))}

    pair = _gpus(("NVIDIA GeForce RTX 4090", 1), ("NVIDIA GeForce RTX 3090", 1))
    answer = {
        "model": {"name": "meta-llama/Llama-3.1-8B-Instruct"},
        "note": "2 replicas placed on 1 of the 1 nodes that run it at marginal or better",
        "placed": [replica(1, "mixed-0", [0], pair), replica(2, "mixed-0", [1], pair)],
        "plans": [],
    }
    lines = render_placement(answer).splitlines()
    assert "Cards" in lines[2]
    assert [line.split()[:3] for line in lines[4:6]] == [["1", "n-1", "0"], ["2", "n-1", "1"]]
    assert all("RTX 4090 + RTX 3090" in line for line in lines[4:6])


def test_which_table_marks_measured_calibrated_and_physics_speeds() -> None:
    base = {"fit_level": "good", "run_mode": "gpu", "best_quant": "Q4_K_M", "memory_required_gb": 5.0,
            "memory_available_gb": 24.0}  # fmt: skip
    nodes = [
        {**_node(None, "NVIDIA GeForce RTX 4090", 1), **base, "node_id": f"n-{source}", "estimated_tps": tps,
         "speed_source": source}
        for source, tps in (("measured", 151.2), ("calibrated", 119.0), ("estimated", 131.5))
    ]  # fmt: skip
    answer = {
        "model": {"name": "meta-llama/Llama-3.1-8B-Instruct", "parameter_count": "8.0B"},
        "filters": {"min_fit": "marginal"},
        "nodes": nodes,
        "classes": [{}],
        "returned_nodes": 3,
        "total_nodes": 3,
        "stale_nodes": 0,
    }
    lines = render_which(answer).splitlines()
    assert " Speed " in next(line for line in lines if line.startswith("Node"))
    for source, tps in (("measured", "151.2"), ("calibrated", "119.0"), ("estimated", "131.5")):
        [line] = [line for line in lines if line.startswith(f"n-{source} ")]
        assert f" {tps}  {source} " in line


def test_placement_table_shows_each_replicas_speed_and_where_it_came_from() -> None:
    from fleetfit.fleet.render import render_placement

    row = {**_node(None, "NVIDIA GeForce RTX 4090", 1), "replica": 1, "cards": [0], "why": "good on GPU"}
    answer = {"model": {"name": "m/x"}, "note": "1 replica placed", "plans": [],
              "placed": [{**row, "estimated_tps": 97.5, "speed_source": "measured"}]}  # fmt: skip
    out = render_placement(answer)
    assert " Speed " in out and " 97.5  measured " in out

"""The Model object keys llmfit's clients read (usable_context, disk_size_gb, total_memory_gb, supports_tp,
verify_command, capability_ids, estimate_confidence_label, ollama_name, installed), each checked against
the numbers it is derived from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import Envelope
from fleetfit.engine.query import envelope_dict, node_of, parse_query, what_if_system
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, rtx4090_workstation

RECORDED = Path(__file__).parents[1] / "data" / "llmfit" / "llmfit-1.1.17.json"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    catalog = load_bundled()
    out: list[dict[str, Any]] = []
    for system in (rtx4090_workstation(), cpu_only_x86(), apple_m3_max()):
        query = parse_query({"limit": "400", "min_fit": "too_tight", "sort": "params"}, route="models")
        env = envelope_dict(system, catalog, query, node_of())
        Envelope.model_validate(env)
        out.extend(env["models"])
    return out


def test_every_key_llmfit_writes_is_present(rows: list[dict[str, Any]]) -> None:
    llmfit_keys = set(json.loads(RECORDED.read_text())["answers"]["models"]["body"]["model_keys"])
    for row in rows:
        assert llmfit_keys <= set(row), llmfit_keys - set(row)


def test_memory_keys_follow_the_breakdown(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert row["disk_size_gb"] == row["memory_breakdown"]["weights_gb"]
        assert row["total_memory_gb"] == row["memory_required_gb"]  # GPU and RAM together in every mode
        assert 0 <= row["usable_context"] <= row["context_length"]
        if row["fit_level"] != "too_tight":  # it fits at the effective context, so at least that much
            assert row["usable_context"] >= row["effective_context_length"], row["name"]


def test_usable_context_shrinks_with_memory() -> None:
    catalog = load_bundled()
    plain = parse_query({"min_fit": "too_tight"}, route="models", name="Qwen/Qwen3-8B")
    big = envelope_dict(cpu_only_x86(), catalog, plain, node_of())
    query = parse_query({"min_fit": "too_tight", "ram_gb": "12"}, route="models", name="Qwen/Qwen3-8B")
    small = envelope_dict(what_if_system(cpu_only_x86(), query), catalog, query, node_of())
    assert big["models"] and small["models"]
    assert small["models"][0]["usable_context"] < big["models"][0]["usable_context"]


def test_supports_tp_divides_the_heads(rows: list[dict[str, Any]]) -> None:
    catalog = {e["name"]: e for e in load_bundled().entries}
    seen = 0
    for row in rows:
        arch = catalog[row["name"]].get("arch") or {}
        if row["supports_tp"] is None:
            assert not arch.get("heads")
            continue
        seen += 1
        heads, kv = arch["heads"], arch.get("kv_heads") or arch["heads"]
        assert row["supports_tp"] == [d for d in range(1, 9) if heads % d == 0 and kv % d == 0]
        assert row["supports_tp"][0] == 1
    assert seen > 100


def test_verify_command_matches_the_placement(rows: list[dict[str, Any]]) -> None:
    modes = set()
    for row in rows:
        command = row["verify_command"]
        if row["runtime"] == "mlx":
            assert command is None
            continue
        assert command.startswith(f"llama-bench -m <path-to-{row['best_quant']}-gguf> ")
        ngl = int(re.search(r"-ngl (\d+)", command).group(1))  # type: ignore[union-attr]
        modes.add(row["run_mode"])
        if row["run_mode"] == "cpu_only":
            assert ngl == 0
        elif row["run_mode"] in ("gpu", "moe_offload"):
            assert ngl == 99 and ("--n-cpu-moe" in command) == (row["run_mode"] == "moe_offload")
        else:
            assert 0 <= ngl < 99
    assert {"gpu", "cpu_only"} <= modes


def test_ids_labels_and_pull_names(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert row["capability_ids"] == row["capabilities"]
        assert row["estimate_confidence_label"].startswith("estimated")
        assert row["installed"] is None  # the engine alone never knows what a node serves
        name = row["ollama_name"]
        if name is not None:
            assert row["runtime"] == "llamacpp" and name.endswith(":" + row["best_quant"])
            repo = name.removeprefix("hf.co/").rsplit(":", 1)[0]
            assert f"https://huggingface.co/{repo}" in row["gguf_sources"]
    assert any(row["ollama_name"] for row in rows)

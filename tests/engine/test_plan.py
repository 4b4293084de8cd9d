"""engine.plan: every path's minimum is the least hardware the engine runs the model with (0.01 GiB less
does not), the recommended size gives a good fit, and the deltas are what this node lacks."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfit.catalog import Catalog, load_bundled
from fleetfit.contract import System
from fleetfit.engine.analyze import FIT_ORDER, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.plan import STEP, Resources, machine, plan_quant, plan_request
from fleetfit.engine.profile import build_profile
from fleetfit.engine.query import QueryError, analysis_options
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, rtx4090_workstation

MODELS = ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-30B-A3B", "openai/gpt-oss-120b")
SYSTEMS = {"rtx4090": rtx4090_workstation, "cpu": cpu_only_x86, "m3max": apple_m3_max}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_bundled()


def _resources(hw: dict[str, Any], unified: bool) -> Resources:
    vram = hw["unified_memory_gb"] if unified else hw["vram_per_card_gb"]
    return Resources(vram if hw["gpu"] else 0, hw["ram_gb"])


def _runs(catalog: Catalog, name: str, system: System, path: str, level: str, res: Resources, kv: str) -> bool:
    entry = catalog.find(name)
    assert entry is not None
    profile = build_profile(entry)
    options = analysis_options(catalog, 8192, plan_quant(profile, None), kv)
    fit = analyze(profile, resolve(machine(system, res)), options)
    return fit.placement.mode == path and FIT_ORDER[fit.fit_level] >= FIT_ORDER[level]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("node", SYSTEMS)
def test_each_minimum_is_the_least_that_runs(catalog: Catalog, model: str, node: str) -> None:
    system = SYSTEMS[node]()
    answer = plan_request(system, catalog, {"model": model, "context": 8192})
    feasible = [p for p in answer["run_paths"] if p["feasible"]]
    assert {"gpu", "cpu_only"} <= {p["path"] for p in feasible}
    for path in feasible:
        for key, level in (("minimum", "marginal"), ("recommended", "good")):
            hw = path[key]
            if hw is None:
                continue
            res = _resources(hw, system.unified_memory and path["path"] == "gpu")
            assert _runs(catalog, model, system, path["path"], level, res, "f16"), (path["path"], key)
            # the engine at min - 0.01 GiB of the resource the path searched: it no longer runs there
            if path["path"] == "gpu":
                less = Resources(round(res.vram_per_card - STEP, 2), res.ram_free)  # type: ignore[operator]
            else:
                less = Resources(res.vram_per_card, round(res.ram_free - STEP, 2))  # type: ignore[operator]
            assert not _runs(catalog, model, system, path["path"], level, less, "f16"), (path["path"], key, less)


def test_deltas_are_what_the_node_lacks(catalog: Catalog) -> None:
    system = cpu_only_x86()
    answer = plan_request(system, catalog, {"model": "openai/gpt-oss-120b", "context": 8192})
    assert answer["current"]["fit_level"] == "too_tight"
    cpu = next(p for p in answer["run_paths"] if p["path"] == "cpu_only")
    delta = next(d for d in answer["upgrade_deltas"] if d["path"] == "cpu_only" and d["target_fit"] == "marginal")
    assert delta["resource"] == "ram_gb"
    assert delta["add_gb"] == pytest.approx(cpu["minimum"]["ram_gb"] - system.available_ram_gb, abs=0.011)
    # with that RAM added the node runs it on the CPU
    assert _runs(catalog, "openai/gpt-oss-120b", system, "cpu_only", "marginal",
                 Resources(0, system.available_ram_gb + delta["add_gb"]), "f16")  # fmt: skip


def test_a_smaller_kv_cache_needs_less(catalog: Catalog) -> None:
    system = cpu_only_x86()
    f16, q4 = (
        plan_request(system, catalog, {"model": "Qwen/Qwen2.5-7B-Instruct", "context": 32768, "kv_quant": kv})
        for kv in ("fp16", "q4_0")
    )
    ram = [next(p for p in a["run_paths"] if p["path"] == "cpu_only")["minimum"]["ram_gb"] for a in (f16, q4)]
    assert ram[1] < ram[0] and f16["kv_quant"] == "f16"
    kv = {k["kv_quant"]: k["kv_cache_gb"] for k in f16["kv_alternatives"]}
    assert kv["q4_0"] < kv["q8_0"] < kv["f16"]


def test_target_tps_and_what_if(catalog: Catalog) -> None:
    system = rtx4090_workstation()
    slow = plan_request(system, catalog, {"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "target_tps": 1e5})
    assert all(p["meets_target_tps"] is False for p in slow["run_paths"] if p["feasible"])
    gpu_less = plan_request(system, catalog, {"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "vram_gb": 0})
    assert gpu_less["current"]["run_mode"] == "cpu_only"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "no-such-model", "context": 4096}, "model"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "kv_quant": "fp8"}, "kv_quant"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "kv_quant": "tq"}, "kv_quant"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "quant": "Q9_Z"}, "quant"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "quant": "mlx-4bit"}, "quant"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct", "context": 4096, "ram_gb": -1}, "ram_gb"),
    ],
)
def test_bad_bodies_name_the_field(catalog: Catalog, body: dict[str, Any], field: str) -> None:
    with pytest.raises(QueryError) as err:
        plan_request(cpu_only_x86(), catalog, body)
    assert err.value.param == field

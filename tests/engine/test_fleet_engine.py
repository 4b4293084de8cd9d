"""Hardware classes and upgrade plans (engine.fleet)."""

from __future__ import annotations

from datetime import date

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.engine.analyze import Options, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.fleet import bucket_down, class_system, hardware_class, plan
from fleetfit.engine.profile import build_profile

from tests.engine.systems import apple_system, cpu_system, gpu_system

OPTIONS = Options(reference_date=date(2026, 10, 5))


@pytest.mark.parametrize(
    ("value", "bucket"), [(16.0, 16.0), (17.9, 16.0), (18.0, 18.0), (55.3, 52.0), (100.0, 96.0), (0.5, 0.5)]
)
def test_bucket_down(value: float, bucket: float) -> None:
    assert bucket_down(value) == bucket


def test_available_ram_noise_does_not_split_a_class() -> None:
    a = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=53.1)
    b = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=54.9)
    assert hardware_class(a) == hardware_class(b)
    assert class_system(a).available_ram_gb == 52.0  # rounded down: a class never claims more than it has


def test_different_hardware_is_a_different_class() -> None:
    base = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=54.0)
    others = [
        gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=64.0, available=54.0),
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, 2, ram=64.0, available=54.0),
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=128.0, available=54.0),
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=30.0),
        cpu_system(64.0),
        apple_system(),
    ]
    classes = {hardware_class(s) for s in others}
    assert hardware_class(base) not in classes and len(classes) == len(others)


def test_class_system_gives_the_same_answer_for_every_member() -> None:
    entry = load_bundled().find("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    profile = build_profile(entry)
    rows = []
    for available in (8.2, 8.5, 8.9):  # one bucket: [8.0, 9.0)
        system = class_system(cpu_system(16.0))
        system = class_system(system.model_copy(update={"available_ram_gb": available}))
        rows.append(analyze(profile, resolve(system), OPTIONS).as_dict())
    assert rows[0] == rows[1] == rows[2]


def test_plan_for_a_model_that_does_not_fit() -> None:
    entry = load_bundled().find("meta-llama/Llama-3.3-70B-Instruct")
    assert entry is not None
    result = plan(build_profile(entry), gpu_system("NVIDIA GeForce RTX 4080", 15.99, ram=8.0, available=4.0), OPTIONS)
    assert result["current"]["fit_level"] == "too_tight" and result["runs_now"] is None
    good, perfect = result["upgrades"]
    assert (good["target_fit"], good["quant"]) == ("good", "Q4_K_M")
    assert (perfect["target_fit"], perfect["quant"]) == ("perfect", "Q5_K_M")
    assert 38 < good["needed_gb"] < 48 and good["add_gb"] == pytest.approx(good["needed_gb"] - 15.99, abs=0.01)
    cards = {g["target_fit"]: g for g in result["gpus_that_fit"]}
    assert cards["good"]["total_vram_gb"] * 1e9 / 2**30 * 0.9 >= good["needed_gb"]


def test_plan_reports_the_quant_that_runs_now() -> None:
    entry = load_bundled().find("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    result = plan(build_profile(entry), gpu_system("NVIDIA GeForce RTX 4060", 7.6, ram=4.0, available=2.0), OPTIONS)
    runs_now = result["runs_now"]
    assert runs_now is not None and runs_now["fit_level"] != "too_tight"
    assert runs_now["quant"] == result["current"]["best_quant"]


def test_card_order_is_part_of_the_class() -> None:
    """Card indices and the layer split follow the node's device order, so the class keeps it."""
    from tests.engine.systems import gpu_system

    def card(name: str) -> dict[str, object]:
        return {"name": name, "vram_gb": 23.99, "backend": "CUDA", "count": 1, "unified_memory": False}

    a = gpu_system("NVIDIA GeForce RTX 4090", 23.99, extra_gpus=[card("NVIDIA GeForce RTX 3090")])
    b = gpu_system("NVIDIA GeForce RTX 3090", 23.99, extra_gpus=[card("NVIDIA GeForce RTX 4090")])
    assert hardware_class(a) != hardware_class(b)
    assert hardware_class(a) == hardware_class(a.model_copy(update={"available_ram_gb": a.available_ram_gb - 0.1}))

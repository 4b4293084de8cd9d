"""Fleet helpers of the engine: hardware classes and upgrade plans. Pure, like the rest of the engine.

A fleet is mostly a few dozen hardware configurations repeated many times. `hardware_class` maps a System
to a fingerprint of exactly the fields the engine reads, with available RAM bucketed so that noise does not
split a class; `class_system` is the System every node of that class is evaluated as. `plan` answers, for
a model a node cannot run, the smallest change that makes it fit (llmfit's `plan`, for one machine).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from fleetfit.contract import System
from fleetfit.engine.analyze import Options, analyze
from fleetfit.engine.devices import GpuPool, resolve
from fleetfit.engine.hardware_tables import GPU_SPECS
from fleetfit.engine.memory import GIB, kv_cache, overhead, weights
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import GGUF_LADDER, QUANTS, TIER_OF_Q4_K_M, TIER_OF_Q5_K_M, ladder_for

# Available RAM moves with every report; eight buckets per doubling (12.5 % steps, rounded down so a class
# never claims more memory than its poorest member) keeps a steady node in one class.
RAM_BUCKETS_PER_DOUBLING = 8


def bucket_down(value: float) -> float:
    """Round down to the bucket grid: 8 steps per power of two (16 -> 16, 17.9 -> 16, 18 -> 18)."""
    if value <= 1.0:
        return round(max(value, 0.0), 2)
    step = 2.0 ** math.floor(math.log2(value)) / RAM_BUCKETS_PER_DOUBLING
    return round(math.floor(value / step) * step, 2)


def class_system(system: System) -> System:
    """The System a node is evaluated as: the engine's inputs with available RAM bucketed."""
    data = system.model_dump(mode="json")
    data["available_ram_gb"] = min(bucket_down(system.available_ram_gb), round(system.total_ram_gb, 2))
    data["total_ram_gb"] = round(system.total_ram_gb, 0) or system.total_ram_gb
    data["available_ram_gb"] = min(data["available_ram_gb"], data["total_ram_gb"])
    for gpu in data["gpus"]:
        gpu["vram_gb"] = round(gpu["vram_gb"], 1)
        gpu["free_vram_gb"] = None
    data["gpu_vram_gb"] = round(sum(g["vram_gb"] * g["count"] for g in data["gpus"]), 2) if data["gpus"] else None
    return System.model_validate(data)


def hardware_class(system: System) -> str:
    """Stable fingerprint of the engine's inputs (16 hex digits): equal classes get equal answers."""
    canonical = class_system(system).model_dump(mode="json")
    # GPUs stay in node order: it is llama.cpp's device order, so it decides which card holds which layers
    # and the card indices placement names (a 4090 + 3090 and a 3090 + 4090 node are different classes).
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class GpuOption:
    name: str
    count: int
    vram_gb: float
    bandwidth_gbps: float


def _gpu_options() -> list[GpuOption]:
    """Discrete cards of the GPU table (1, 2, 4, 8 of them), smallest total memory first."""
    options = []
    for spec in GPU_SPECS:
        if spec.unified or not spec.vram_gb or spec.category == "consumer-laptop":
            continue
        for count in (1, 2, 4, 8):
            options.append(GpuOption(spec.name, count, spec.vram_gb * count, spec.bandwidth_gbps))
    return sorted(options, key=lambda o: (o.vram_gb, -o.bandwidth_gbps, o.count))


_OPTIONS: list[GpuOption] | None = None


def _vram_needed(profile: ModelProfile, quant: str, context: int, backend: str, devices: int) -> float:
    """GiB a GPU pool needs to hold the model entirely at `quant`."""
    need = weights(profile, quant).total + kv_cache(profile, context) + overhead(profile, backend, devices)
    return need / GIB


def plan(profile: ModelProfile, system: System, options: Options) -> dict[str, Any]:
    """What it takes to run the model on this node: the current fit, the best quant that runs now, the memory
    to add for a good (Q4_K_M) and a perfect (Q5_K_M) fit, and the smallest table GPUs that would host it."""
    global _OPTIONS
    hw = resolve(system)
    current = analyze(profile, hw, options)
    context = current.context
    runtime = current.runtime
    ladder = ladder_for(runtime, profile.native_quant)
    # run_mode already tried every rung in every mode: what runs now is the current placement, or nothing.
    runs_now = None
    if current.fit_level != "too_tight":
        runs_now = {
            "quant": current.placement.quant,
            "fit_level": current.fit_level,
            "run_mode": current.placement.mode,
            "estimated_tps": current.estimated_tps,
        }
    pool: GpuPool | None = hw.pools[0] if hw.pools else None
    backend = pool.backend if pool else "CUDA"
    good_quant = next((q for q in ladder if QUANTS[q].tier <= TIER_OF_Q4_K_M), ladder[-1])
    perfect_quant = [q for q in ladder if QUANTS[q].tier >= TIER_OF_Q5_K_M][-1] if ladder else good_quant
    upgrades = []
    for target, quant in (("good", good_quant), ("perfect", perfect_quant)):
        need = _vram_needed(profile, quant, context, backend, 1)
        have = pool.usable if pool else 0.0
        resource = "unified_memory" if pool is not None and pool.unified else "gpu_vram"
        add = max(0.0, need - have)
        upgrades.append(
            {
                "target_fit": target,
                "quant": quant,
                "resource": resource,
                "needed_gb": round(need, 2),
                "add_gb": round(add, 2),
            }
        )
    if _OPTIONS is None:
        _OPTIONS = _gpu_options()
    gpus = []
    for target, quant in (("good", good_quant), ("perfect", perfect_quant)):
        for option in _OPTIONS:
            need = _vram_needed(profile, quant, context, "CUDA", option.count)
            # Table memory is in GB; drivers report about 93 % of it as GiB.
            if option.vram_gb * 1e9 / GIB >= need / 0.9:
                gpus.append(
                    {
                        "target_fit": target,
                        "quant": quant,
                        "gpu": option.name,
                        "count": option.count,
                        "total_vram_gb": round(option.vram_gb, 1),
                        "bandwidth_gbps": option.bandwidth_gbps,
                    }
                )
                break
    smallest = GGUF_LADDER[-1] if runtime == "llamacpp" else ladder[-1]
    return {
        "model": profile.name,
        "context": context,
        "current": {
            "fit_level": current.fit_level,
            "run_mode": current.placement.mode,
            "best_quant": current.placement.quant,
            "memory_required_gb": round(current.placement.required_bytes / GIB, 2),
            "memory_available_gb": round(current.placement.available_bytes / GIB, 2),
            "estimated_tps": current.estimated_tps,
        },
        "runs_now": runs_now,  # the best quant that runs on this node as it is, if any
        "smallest_quant_memory_gb": round(_vram_needed(profile, smallest, context, backend, 1), 2),
        "upgrades": upgrades,
        "gpus_that_fit": gpus,
    }

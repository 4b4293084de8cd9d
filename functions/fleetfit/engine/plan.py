"""Hardware plan for one model (llmfit's POST /api/v1/plan): the ways it can run (gpu, moe_offload,
cpu_offload, cpu_only), the least hardware for each, found by asking the engine itself, and what this node
would have to add. Pure: Systems in, a plain dict out.

How a minimum is found: the node's System is copied with one resource changed (GPU memory per card of its
primary GPU model, or RAM free for the model), and `analyze` decides at every step whether the model runs
on that path at the plan's quant, context and KV-cache type. The search walks hundredths of a GiB
(bisection), so the answer is the least amount at that resolution: 0.01 GiB less does not run it.

- gpu: the node's GPUs with every card of its primary model at V GiB (a node without a GPU: one
  "User-specified GPU", priced as an unknown card); unified memory: the machine's RAM.
- moe_offload (MoE) / cpu_offload (dense): the node's own GPU when the path runs there with RAM to spare,
  else the smallest GPU the path accepts, and the least free RAM beside it.
- cpu_only: the node without its GPUs, the least free RAM.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetfit.contract import MAX_RAM_GB, MAX_VRAM_GB, System
from fleetfit.engine.analyze import FIT_ORDER, Fit, Options, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.memory import GIB
from fleetfit.engine.profile import ModelProfile, build_profile
from fleetfit.engine.quants import KV_CACHE_TYPES, QUANTS, parse_kv_quant, parse_quant
from fleetfit.engine.query import QueryError, analysis_options, what_if_system
from fleetfit.engine.query import parse_query as parse
from fleetfit.engine.whatif import WhatIf, apply, without_gpus

PATHS = ("gpu", "moe_offload", "cpu_offload", "cpu_only")
PATH_NOTES = {
    "gpu": "weights, KV cache and buffers on the GPU (unified memory: the machine's RAM); minimum in GPU memory",
    "moe_offload": "MoE: attention and KV on the GPU, expert weights in RAM (llama.cpp --n-cpu-moe)",
    "cpu_offload": "dense: whole layers on the GPU, the rest in RAM (llama.cpp -ngl N)",
    "cpu_only": "no GPU: the whole model in RAM",
}
STEP = 0.01  # GiB: the resolution of every minimum
KV_ALTERNATIVES = ("f16", "q8_0", "q4_0")
DEFAULT_PLAN_QUANT = "Q4_K_M"


@dataclass(frozen=True, slots=True)
class Resources:
    """One hypothetical machine: GPU memory per card of the primary model (None: the node's as it is; 0: no
    GPU) and RAM free for the model (None: the node's)."""

    vram_per_card: float | None
    ram_free: float | None


def plan_quant(profile: ModelProfile, quant: str | None) -> str:
    """The plan's quant: the one asked for, else the model's native quant (MXFP4), else Q4_K_M."""
    if quant is not None:
        return quant
    native = profile.native_quant
    return native if native in QUANTS and QUANTS[native].runtime == "llamacpp" else DEFAULT_PLAN_QUANT


def machine(system: System, res: Resources) -> System:
    """The node's System with the plan's resources (a copy)."""
    out = system
    if res.vram_per_card == 0:
        out = without_gpus(out)
    elif res.vram_per_card is not None:
        if out.unified_memory:
            out = apply(out, WhatIf(ram_gb=res.vram_per_card))
        else:
            out = apply(out, WhatIf(vram_gb=res.vram_per_card))
    if res.ram_free is not None:
        ram = max(res.ram_free, STEP)
        data = out.model_dump(mode="json")
        data["total_ram_gb"] = max(round(ram, 2), STEP)
        data["available_ram_gb"] = data["total_ram_gb"]
        out = System.model_validate(data)
    return out


def _run(profile: ModelProfile, system: System, options: Options) -> Fit:
    return analyze(profile, resolve(system), options)


def _runs(fit: Fit, path: str, level: str) -> bool:
    return fit.placement.mode == path and FIT_ORDER[fit.fit_level] >= FIT_ORDER[level]


def least(predicate: Callable[[float], bool], low: float, high: float) -> float | None:
    """The least multiple of STEP in [low, high] where `predicate` holds (it must hold from there up), or None."""
    lo, hi = max(1, math.ceil(low / STEP - 1e-9)), math.floor(high / STEP + 1e-9)
    if hi < lo or not predicate(hi * STEP):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid * STEP):
            hi = mid
        else:
            lo = mid + 1
    return round(lo * STEP, 2)


def _primary_card(system: System) -> float:
    """GiB per card of the node's primary GPU model (0 without a GPU; unified: the RAM)."""
    if not system.gpus:
        return 0.0
    if system.unified_memory:
        return system.total_ram_gb
    named = [g for g in system.gpus if g.name == system.gpu_name] or [max(system.gpus, key=lambda g: g.vram_gb)]
    return named[0].vram_gb


def _path_minimum(profile: ModelProfile, system: System, options: Options, path: str, level: str) -> Resources | None:
    """The least resources that run the model on `path` at `level` or better, or None when no machine of
    this node's kind does."""
    ample_ram = min(MAX_RAM_GB, 4 * 1024.0)
    if path == "cpu_only":
        ram = least(lambda r: _runs(_run(profile, machine(system, Resources(0, r)), options), path, level),
                    STEP, MAX_RAM_GB)  # fmt: skip
        return None if ram is None else Resources(0, ram)
    vram_max = MAX_VRAM_GB  # per card, or unified memory (the GPU's memory there too)
    if path == "gpu":
        # RAM stays the node's: llama.cpp on the GPU needs little of it, and the engine does not ask for more.
        vram = least(lambda v: _runs(_run(profile, machine(system, Resources(v, None)), options), path, level),
                     STEP, vram_max)  # fmt: skip
        return None if vram is None else Resources(vram, None)
    if system.unified_memory or (path == "moe_offload") != (profile.moe is not None):
        return None  # unified memory never offloads; experts offload for MoE models, layers for dense ones
    gpu_min = _path_minimum(profile, system, options, "gpu", "marginal")
    ceiling = (gpu_min.vram_per_card or STEP) - STEP if gpu_min is not None else MAX_VRAM_GB
    own = _primary_card(system)

    def runs_at(v: float, r: float) -> bool:
        return _runs(_run(profile, machine(system, Resources(v, r)), options), path, level)

    if own > 0 and own <= ceiling and runs_at(own, ample_ram):
        vram = own
    else:
        # Just under the GPU path's minimum the experts or layers may all fit on the card (then it is not an
        # offload): search below the highest of a few points where the path does run.
        top = next((c for c in (ceiling * f for f in (1.0, 0.95, 0.85, 0.7, 0.5, 0.3)) if runs_at(c, ample_ram)), None)
        found = least(lambda v: runs_at(v, ample_ram), STEP, top) if top is not None else None
        if found is None:
            return None
        vram = found
    ram = least(lambda r: runs_at(vram, r), STEP, ample_ram)
    return None if ram is None else Resources(vram, ram)


def _hardware(system: System, res: Resources, cores: int) -> dict[str, Any]:
    shown = machine(system, res)
    return {
        "vram_gb": shown.gpu_vram_gb if shown.has_gpu and not shown.unified_memory else None,
        "vram_per_card_gb": res.vram_per_card if res.vram_per_card and not shown.unified_memory else None,
        "gpu": shown.gpu_name if res.vram_per_card else None,
        "gpu_count": shown.gpu_count if res.vram_per_card and not shown.unified_memory else 0,
        "unified_memory_gb": shown.total_ram_gb if shown.unified_memory and res.vram_per_card else None,
        "ram_gb": res.ram_free,
        "cpu_cores": cores,
    }


def _deltas(system: System, path: str, res: Resources, target: str) -> list[dict[str, Any]]:
    out = []
    if res.vram_per_card:
        if system.unified_memory:
            have, resource = system.total_ram_gb, "unified_memory_gb"
        else:
            have, resource = _primary_card(system), "vram_per_card_gb"
        if res.vram_per_card > have + 1e-9:
            out.append((resource, res.vram_per_card - have))
    if res.ram_free is not None and res.ram_free > system.available_ram_gb + 1e-9:
        out.append(("ram_gb", res.ram_free - system.available_ram_gb))
    return [
        {
            "path": path,
            "resource": resource,
            "add_gb": round(add, 2),
            "target_fit": target,
            "description": f"+{add:.2f} GiB {resource.removesuffix('_gb').replace('_', ' ')} -> {target} on {path}",
            "add_cores": None,  # cores change speed, never whether a model runs
        }
        for resource, add in out
    ]


def plan(profile: ModelProfile, system: System, options: Options, target_tps: float | None = None) -> dict[str, Any]:
    """The plan for `profile` on `system` (already what-if'd): options carry the context cap, quant and KV type."""
    if options.quant is None:
        raise QueryError("quant", "a plan needs a quant (plan_quant gives the default)")
    now = _run(profile, system, options)
    cores = system.cpu_cores
    paths, deltas = [], []
    for path in PATHS:
        minimum = _path_minimum(profile, system, options, path, "marginal")
        entry: dict[str, Any] = {"path": path, "feasible": minimum is not None, "notes": [PATH_NOTES[path]]}
        if minimum is None:
            entry.update(fit_level=None, estimated_tps=None, minimum=None, recommended=None,
                         meets_target_tps=None, runs_now=False)  # fmt: skip
            paths.append(entry)
            continue
        at_min = _run(profile, machine(system, minimum), options)
        good = _path_minimum(profile, system, options, path, "good")
        at_good = _run(profile, machine(system, good), options) if good is not None else None
        best_tps = at_good.estimated_tps if at_good is not None else at_min.estimated_tps
        entry.update(
            fit_level=at_min.fit_level,
            estimated_tps=at_min.estimated_tps,
            minimum=_hardware(system, minimum, cores),
            recommended=_hardware(system, good, cores) if good is not None else None,
            recommended_tps=at_good.estimated_tps if at_good is not None else None,
            meets_target_tps=None if target_tps is None else best_tps >= target_tps,
            runs_now=now.placement.mode == path and now.fit_level != "too_tight",
        )
        if not entry["runs_now"]:
            deltas.extend(_deltas(system, path, minimum, "marginal"))
        if good is not None and not (entry["runs_now"] and FIT_ORDER[now.fit_level] >= FIT_ORDER["good"]):
            deltas.extend(_deltas(system, path, good, "good"))
        paths.append(entry)
    kv_fits = {kv: _run(profile, system, _with_kv(options, kv)) for kv in KV_ALTERNATIVES}
    f16_kv = kv_fits["f16"].placement.kv_bytes
    kv_options = [
        {
            "kv_quant": kv,
            "kv_cache_gb": round(fit.placement.kv_bytes / GIB, 3),
            "memory_required_gb": round(fit.placement.required_bytes / GIB, 2),
            "fit_level": fit.fit_level,
            "savings_fraction": round(1 - fit.placement.kv_bytes / f16_kv, 3) if f16_kv > 0 else 0.0,
            "supported": True,
            "note": None if kv == "f16" else f"llama.cpp --cache-type-k {kv} --cache-type-v {kv} (needs -fa on)",
        }
        for kv, fit in kv_fits.items()
    ]
    # llmfit's top-level minimum / recommended: those of the path this node runs it on, else the first that runs.
    headline = next((p for p in paths if p.get("runs_now")), None) or next((p for p in paths if p["feasible"]), None)
    return {
        "model_name": profile.name,
        "provider": profile.entry["provider"],
        "context": now.context,
        "quantization": options.quant,
        "kv_quant": options.kv_quant,
        "target_tps": target_tps,
        "disk_size_gb": round(now.placement.weights.total / GIB, 2),
        "current": {
            "fit_level": now.fit_level,
            "run_mode": now.placement.mode,
            "estimated_tps": now.estimated_tps,
            "memory_required_gb": round(now.placement.required_bytes / GIB, 2),
            "memory_available_gb": round(now.placement.available_bytes / GIB, 2),
        },
        "minimum": headline["minimum"] if headline else None,
        "recommended": headline["recommended"] if headline else None,
        "headline_path": headline["path"] if headline else None,
        "run_paths": paths,
        "upgrade_deltas": deltas,
        "kv_alternatives": kv_options,
        "estimate_notice": "Each minimum is the least memory, at 0.01 GiB resolution, at which fleetfit's engine "
        "runs the model on that path (fit marginal or better; recommended: good); RAM is RAM free for the model.",
    }


def _with_kv(options: Options, kv: str) -> Options:
    return Options(
        options.reference_date, options.max_context, options.quant, kv, options.prompt_tokens, options.runtime
    )


# llmfit's kv_quant names that are llama.cpp's under another name; fp8 and TurboQuant (tq) have no llama.cpp
# cache type, so fleetfit cannot model them.
KV_ALIASES = {"fp16": "f16", "fp32": "f32"}


def plan_request(system: System, catalog: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/plan: validate the body's names against the catalog and the engine's tables, apply its
    what-if hardware, plan. Raises QueryError naming the field at fault."""

    name = str(body["model"])
    entry = catalog.find(name)
    if entry is None:
        raise QueryError("model", f"model {name[:200]!r} not found (exact catalog name, any case)")
    profile = build_profile(entry)
    quant = None
    if body.get("quant") is not None:
        quant = parse_quant(str(body["quant"]))
        if quant is None or QUANTS[quant].runtime != "llamacpp":
            raise QueryError(
                "quant", f"invalid quant value {str(body['quant'])[:32]!r}: use a llama.cpp type such as Q4_K_M"
            )
    kv = "f16"
    if body.get("kv_quant") is not None:
        raw = str(body["kv_quant"]).strip().lower()
        kv = parse_kv_quant(KV_ALIASES.get(raw, raw)) or ""
        if not kv:
            raise QueryError("kv_quant", f"invalid kv_quant value: use {'|'.join(('fp16', *KV_CACHE_TYPES))} "
                             "(fp8 and tq have no llama.cpp cache type)")  # fmt: skip
    overrides = {k: str(body[k]) for k in ("ram_gb", "vram_gb", "cpu_cores") if body.get(k) is not None}
    query = parse(overrides, route="models")
    node = what_if_system(system, query)
    options = analysis_options(catalog, int(body["context"]), plan_quant(profile, quant), kv)
    target = body.get("target_tps")
    return plan(profile, node, options, None if target is None else float(target))

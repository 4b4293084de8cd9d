"""analyze: one catalog model on one node -> the seed's Model object (as a JSON-ready dict).

The steps, in order: effective context -> runtime and quant ladder -> run_mode (with choose_quant)
-> fit_level -> decode_tps -> score -> notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fleetfit.contract import FIT_LABELS, RUN_MODE_LABELS, RUNTIME_LABELS
from fleetfit.engine import scoring
from fleetfit.engine.devices import APPLE_GPU_SHARE, Hardware
from fleetfit.engine.memory import GIB, weights
from fleetfit.engine.placement import Placement, run_mode, streams
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import QUANTS, ladder_for
from fleetfit.engine.speed import CPU_EFFICIENCY, decode_tps, gpu_efficiency

# llama.cpp and Ollama default to a few thousand tokens; full windows (128K-1M) would make a 5 GB model
# "need" 26 GB (llmfit issue #302). Estimates use min(window, 8192) unless the caller asks otherwise.
DEFAULT_CONTEXT_CAP = 8192
# estimated_tps is quoted a few hundred tokens into a reply, as llama-bench's tg128/tg512 measure it.
SPEED_CONTEXT = 256


@dataclass(frozen=True, slots=True)
class Options:
    reference_date: date
    max_context: int | None = None
    quant: str | None = None  # forced quant: memory and speed at it even if it does not fit


def effective_context(context_length: int, max_context: int | None) -> int:
    return max(1, min(context_length, max_context or DEFAULT_CONTEXT_CAP))


def choose_runtime(profile: ModelProfile, hw: Hardware, forced_quant: str | None) -> str:
    """MLX on Apple Silicon when an MLX build of the model exists; llama.cpp everywhere else."""
    if forced_quant is not None:
        return QUANTS[forced_quant].runtime
    if hw.apple and (profile.has_mlx_build or profile.mlx_only):
        return "mlx"
    return "llamacpp"


def usable_context(profile: ModelProfile, placement: Placement) -> int:
    """Largest context whose KV still fits beside the weights, capped at the model's window."""
    kv = profile.kv
    free = placement.available_bytes - placement.weights.total - placement.overhead_bytes - kv.constant_bytes
    free -= kv.bytes_per_token_layer * kv.sliding_layers * kv.window
    per_token = kv.bytes_per_token_layer * kv.full_layers
    if free <= 0:
        return 0
    if per_token <= 0:
        return profile.context_length
    return int(min(profile.context_length, free // per_token))


def decode_speed(
    profile: ModelProfile, hw: Hardware, placement: Placement, runtime: str, context: int
) -> tuple[float, float]:
    """(tok/s, bytes read per token) with `context` tokens in the KV cache."""
    pool = placement.pool
    on_gpu = placement.mode != "cpu_only" and pool is not None
    flows = streams(placement, profile, hw, runtime, context)
    split = pool.count if pool is not None and placement.mode == "gpu" and not pool.unified else 1
    tps = decode_tps(flows, profile.layers, pool.backend if on_gpu and pool else "CPU", split)
    return tps, sum(f.bytes_per_token for f in flows)


def analyze(profile: ModelProfile, hw: Hardware, options: Options) -> dict[str, Any]:
    entry = profile.entry
    context = effective_context(profile.context_length, options.max_context)
    runtime = choose_runtime(profile, hw, options.quant)
    ladder = (options.quant,) if options.quant else ladder_for(runtime, profile.native_quant)
    placement = run_mode(profile, hw, ladder, context)
    level = "too_tight" if profile.mlx_only and not hw.apple else scoring.fit_level(placement)
    fits = level != "too_tight"

    speed_context = min(SPEED_CONTEXT, context)
    tps, bytes_per_token = decode_speed(profile, hw, placement, runtime, speed_context)
    tps_full, _ = decode_speed(profile, hw, placement, runtime, context)

    category = profile.category
    params_b = profile.params / 1e9
    active_b = profile.active_params / 1e9 if profile.moe else None
    utilization = placement.utilization
    components = scoring.Components(
        quality=round(
            scoring.quality(params_b, active_b, placement.quant, entry.get("release_date"), options.reference_date), 1
        ),
        speed=round(scoring.speed(tps, category), 1) if fits else 0.0,
        fit=round(scoring.fit(utilization, fits), 1),
        context=round(scoring.context(usable_context(profile, placement), category), 1) if fits else 0.0,
    )
    pool = placement.pool
    on_gpu = placement.mode != "cpu_only" and pool is not None
    uses_cpu = placement.mode != "gpu"
    if on_gpu and pool is not None:
        method = "bandwidth_roofline" if pool.known else "unknown_gpu_fallback"
        efficiency = round(gpu_efficiency(pool.backend, pool.memory_type, runtime), 3)
    else:
        method, efficiency = "cpu_bandwidth", CPU_EFFICIENCY
    confidence = entry["confidence"]
    if (on_gpu and pool is not None and not pool.known) or (uses_cpu and hw.ram_bandwidth_source == "default"):
        confidence = "low"
    required = placement.weights.total + placement.kv_bytes + placement.overhead_bytes
    available = placement.available_bytes
    return {
        "name": profile.name,
        "provider": entry["provider"],
        "parameter_count": entry["parameter_count"],
        "params_b": round(params_b, 2),
        "context_length": profile.context_length,
        "release_date": entry.get("release_date"),
        "is_moe": profile.moe is not None,
        "use_case": category,
        "category": category,
        "fit_level": level,
        "fit_label": FIT_LABELS[level],
        "run_mode": placement.mode,
        "run_mode_label": RUN_MODE_LABELS[placement.mode],
        "score": components.score,
        "score_components": {
            "quality": components.quality,
            "speed": components.speed,
            "fit": components.fit,
            "context": components.context,
        },
        "estimated_tps": round(tps, 1),
        "runtime": runtime,
        "runtime_label": RUNTIME_LABELS[runtime],
        "best_quant": placement.quant,
        "memory_required_gb": round(required / GIB, 2),
        "memory_available_gb": round(available / GIB, 2),
        "utilization_pct": round(100.0 * required / available, 1) if available > 0 else 0.0,
        "notes": notes(profile, hw, placement, level, context, runtime, ladder, options),
        "gguf_sources": entry.get("gguf_sources", []),
        "memory_breakdown": {
            "weights_gb": round(placement.weights.total / GIB, 2),
            "kv_cache_gb": round(placement.kv_bytes / GIB, 2),
            "overhead_gb": round(placement.overhead_bytes / GIB, 2),
        },
        "effective_context_length": context,
        "estimated_tps_full_context": round(tps_full, 1),
        "moe_offloaded_gb": round((placement.experts_in_ram_bytes or 0.0) / GIB, 2)
        if placement.mode == "moe_offload"
        else None,
        "gpu_layers_fraction": placement.gpu_share if placement.mode == "cpu_offload" else None,
        "estimate_confidence": confidence,
        "estimate_basis": {
            "method": method,
            "gpu_bandwidth_gbps": pool.bandwidth_gbps if on_gpu and pool is not None else None,
            "ram_bandwidth_gbps": hw.ram_bandwidth_gbps if uses_cpu else None,
            "efficiency": efficiency,
            "bytes_per_token_gb": round(bytes_per_token / 1e9, 3),
            "context_tokens": speed_context,
        },
        "license": entry.get("license"),
        "capabilities": entry.get("capabilities", []),
    }


def notes(
    profile: ModelProfile,
    hw: Hardware,
    placement: Placement,
    level: str,
    context: int,
    runtime: str,
    ladder: tuple[str, ...],
    options: Options,
) -> list[str]:
    """Why the row looks as it does, in the user's words."""
    pool = placement.pool
    out: list[str] = []
    if profile.mlx_only and not hw.apple:
        out.append("MLX build only: needs Apple Silicon")
    if level == "too_tight":
        out.append(
            f"Does not fit: needs {placement.required_bytes / GIB:.1f} GiB at {placement.quant}, "
            f"{placement.available_bytes / GIB:.1f} GiB available"
        )
    if context < profile.context_length:
        out.append(
            f"Context capped at {context:,} tokens for this estimate (model supports {profile.context_length:,}); "
            "set max_context to change it"
        )
    if options.quant:
        out.append(f"Quantization forced to {options.quant}")
    elif level != "too_tight" and placement.quant != ladder[0]:
        better = ladder[ladder.index(placement.quant) - 1]
        need = weights(profile, better).total + placement.kv_bytes + placement.overhead_bytes
        out.append(f"{placement.quant} is the best quant that fits; {better} needs {need / GIB:.1f} GiB")
    if pool is not None and placement.mode != "cpu_only":
        if placement.mode == "gpu" and pool.count > 1 and not pool.unified:
            out.append(f"Layers split across {pool.count}x {pool.name}")
        if len(hw.pools) > 1:
            out.append(f"Evaluated on {pool.name}; unlike GPUs are not pooled")
        if not pool.known:
            out.append(
                f"GPU '{pool.name}' is not in fleetfit's table: speed assumes {pool.bandwidth_gbps:.0f} GB/s, "
                "a low-end card of its backend"
            )
        if pool.unified and hw.apple:
            out.append(
                f"Unified memory: the GPU may use about {APPLE_GPU_SHARE:.0%} of RAM by default "
                "(sudo sysctl iogpu.wired_limit_mb raises it)"
            )
    if placement.mode == "moe_offload":
        out.append(
            f"MoE expert offload: {(placement.experts_in_ram_bytes or 0) / GIB:.1f} GiB of expert weights in "
            "system RAM, attention and KV cache on the GPU (llama.cpp --n-cpu-moe)"
        )
    elif placement.mode == "cpu_offload" and placement.gpu_share is not None:
        out.append(
            f"Requires layer offloading: {placement.gpu_share:.0%} of layers on the GPU, the rest in system RAM"
        )
    if level != "too_tight" and placement.utilization > scoring.HEADROOM:
        out.append(f"Low headroom: uses {placement.utilization:.0%} of available memory")
    if placement.mode != "gpu" and hw.ram_bandwidth_source == "default":
        out.append(f"RAM bandwidth of this CPU is unknown: assumed {hw.ram_bandwidth_gbps:.0f} GB/s")
    if profile.native_quant == "MXFP4":
        out.append("Experts stay in MXFP4 in every GGUF of this model")
    if runtime == "mlx":
        out.append("Runs with MLX (an MLX build of this model exists)")
    out.extend(profile.entry.get("notes", ()))
    return out

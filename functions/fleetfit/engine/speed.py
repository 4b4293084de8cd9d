"""decode_tps: single-stream decode speed from memory bandwidth and bytes read per token.

Decoding one token streams every active weight and the whole KV cache once, so
    time per token = sum over devices of bytes on that device / (efficiency x peak bandwidth)
                     + layers x per-layer launch cost + hops between GPUs,
and tok/s is its inverse (estimation-methods 2.5, 2.7, 2.8). Efficiencies and launch costs are per
backend and memory kind; they come from public llama.cpp measurements (estimation-methods 2.5 table)
and are checked, not fitted row by row, against ground-truth/tps_measured.dev.json by bench/accuracy.py.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# Share of peak bandwidth llama.cpp's decode kernels reach, by backend and memory kind.
# GDDR NVIDIA 0.82-0.89 (RTX 4090 F16 0.82; RTX 6000 Ada large-vs-small model pairs 0.89);
# HBM2e/HBM3 parts reach less per stream (A100 PCIe 0.58, H100 PCIe 0.66 from the 8B/70B pairs);
# Apple GPU 0.70-0.85 (M2 Ultra F16 0.70, M1/M2 Max ceiling ~85 % per a llama.cpp PR);
# LPDDR5X SoCs (GB10, Strix Halo) ~0.80 (lhl/strix-halo-testing measured 215 of 256 GB/s).
GPU_EFFICIENCY: dict[tuple[str, str], float] = {
    ("CUDA", "GDDR"): 0.85,
    ("CUDA", "HBM"): 0.62,
    ("CUDA", "LPDDR"): 0.80,
    ("ROCm", "GDDR"): 0.72,
    ("ROCm", "HBM"): 0.55,
    ("ROCm", "LPDDR"): 0.75,
    ("Vulkan", "GDDR"): 0.65,
    ("Vulkan", "HBM"): 0.50,
    ("Vulkan", "LPDDR"): 0.65,
    ("SYCL", "GDDR"): 0.50,
    ("SYCL", "HBM"): 0.45,
    ("SYCL", "LPDDR"): 0.50,
    ("Metal", "LPDDR"): 0.80,
    ("Metal", "GDDR"): 0.80,
    ("Metal", "HBM"): 0.80,
}
# MLX decodes faster than llama.cpp Metal on small and mid models and about the same once bandwidth binds
# (Shrivastava et al. 2025, arXiv:2511.05502: M2 Ultra, Qwen2.5-7B 4-bit, ~230 vs ~150 tok/s; practitioner
# comparisons report +20-87 % under 14B, converging for large models). 10 % keeps to the large-model end.
MLX_SPEEDUP = 1.10
# Per-layer fixed cost per token (kernel launches, synchronisation), ms. From the 8B vs 70B pairs of the
# same GPU (XiongjieDai tables): ~0.05-0.07 ms on GDDR NVIDIA cards, ~0.09 ms on HBM data-centre parts
# (A100/H100 PCIe: lower clocks, larger launch latency), ~0.15 ms on Apple GPUs.
LAYER_COST_MS: dict[str, float] = {
    "CUDA": 0.07,
    "ROCm": 0.09,
    "Vulkan": 0.10,
    "SYCL": 0.12,
    "Metal": 0.13,
    "CPU": 0.01,
}
HBM_LAYER_COST_MS = 0.09
# Passing activations between GPUs in a layer split (and waiting on each card's sync), ms per token, from
# the same llama-bench table run on 1, 2, 4, 6 and 8 cards (XiongjieDai README, Llama-3-8B Q4_K_M tg512):
# the second card costs 0.29-0.37 ms (3090, 4090); each further card less, 0.07-0.20 ms (4090 x4 0.14,
# x8 0.07; 3090 x4 0.12, x6 0.16; RTX 4000/6000 Ada x4 0.19-0.20); HBM PCIe parts more (A100/H100 x4 ~0.45).
GPU_HOP_MS = 0.35
GPU_FURTHER_HOP_MS = 0.15
# CPU decode: share of DRAM peak reached (i9-13900K DDR5 ~0.68, M2 Pro CPU 0.40: estimation-methods 2.5),
# capped by what the cores can dequantize: ~10 GB/s per x86 core with AVX2 (2-thread i3/i5 rows: 7.7-11 GB/s
# per thread), ~3 GB/s per Arm core of SBC/laptop class (Geerling's Arm boards: 2-3.4 GB/s per thread).
CPU_EFFICIENCY = 0.60
CPU_GBPS_PER_THREAD = {"x86": 10.0, "arm": 3.0}


def _load_gpu_decode_cost() -> tuple[dict[str, str], dict[tuple[str, str], float]]:
    """engine/data/gpu_decode_cost.json: file type -> family, and (backend, family) -> cost per weight byte."""
    data: dict[str, Any] = json.loads(resources.files("fleetfit.engine").joinpath("data/gpu_decode_cost.json").read_text())
    family_of = {ftype: family for family, ftypes in data["families"].items() for ftype in ftypes}
    costs: dict[tuple[str, str], float] = {}
    for row in data["costs"]:
        if row["family"] not in data["families"] or not 0.5 <= float(row["cost"]) <= 3.0 or not row.get("source"):
            raise ValueError(f"gpu_decode_cost.json: bad row {row}")
        costs[(row["backend"], row["family"])] = float(row["cost"])
    return family_of, costs


QUANT_FAMILY, GPU_DECODE_COST = _load_gpu_decode_cost()


def gpu_decode_cost(backend: str, runtime: str, ftype: str) -> float:
    """Time per weight byte of llama.cpp's decode kernels for a file type on a backend, relative to the types
    the device efficiency was measured on (Metal: K-quants run slower per byte than Q4_0/Q8_0/F16)."""
    if runtime != "llamacpp":
        return 1.0
    family = QUANT_FAMILY.get(ftype)
    return GPU_DECODE_COST.get((backend, family), 1.0) if family else 1.0


def memory_kind(memory_type: str) -> str:
    kind = memory_type.upper()
    if kind.startswith("HBM"):
        return "HBM"
    if "DDR" in kind and not kind.startswith("GDDR") or kind in ("UNIFIED",):
        return "LPDDR"
    return "GDDR"


def gpu_efficiency(backend: str, memory_type: str, runtime: str, measured: float | None = None) -> float:
    """``measured``: the device row's own figure (hardware_tables decode_efficiency), else the table above."""
    base = measured if measured is not None else GPU_EFFICIENCY.get((backend, memory_kind(memory_type)), 0.60)
    return base * (MLX_SPEEDUP if runtime == "mlx" else 1.0)


def cpu_bandwidth_effective(ram_bandwidth_gbps: float, threads: int, arm: bool, cost: float = 1.0) -> float:
    """GB/s the CPU path streams weights at: DRAM-bound or compute-bound, whichever is lower. `cost` is the
    dequantization cost per byte of the weights read, relative to Q4_K (quants.cpu_dequant_cost)."""
    compute_bound = threads * CPU_GBPS_PER_THREAD["arm" if arm else "x86"] / cost
    return min(CPU_EFFICIENCY * ram_bandwidth_gbps, compute_bound)


def layer_cost_ms(backend: str, memory_type: str) -> float:
    if memory_kind(memory_type) == "HBM" and backend in ("CUDA", "ROCm"):
        return HBM_LAYER_COST_MS
    return LAYER_COST_MS.get(backend, LAYER_COST_MS["CUDA"])


def seconds_per_token(
    gpu_bytes: float,
    gpu_gbps: float,
    cpu_bytes: float,
    cpu_gbps: float,
    layers: int,
    layer_ms: float,
    gpus_in_split: int = 1,
) -> float:
    """time per token = bytes on each memory / its effective bandwidth + layers x launch cost + GPU hops.

    For a GPU pool the bandwidth and launch cost are the pool's (devices.GpuPool: with layers split by card
    memory, the sum over cards of bytes on that card / its bandwidth, and of its layers x its launch cost)."""
    seconds = layers * layer_ms / 1000.0
    if gpu_bytes > 0:
        seconds += gpu_bytes / (gpu_gbps * 1e9)
    if cpu_bytes > 0:
        seconds += cpu_bytes / (cpu_gbps * 1e9)
    return seconds + hop_seconds(gpus_in_split)


def hop_seconds(gpus_in_split: int) -> float:
    """Time per token the split itself costs: one hop to the second card, a smaller one per further card.
    A small model spread over many cards pays it on every token (8B on 8x RTX 4090: 130.6 -> 118.1 tok/s)."""
    if gpus_in_split <= 1:
        return 0.0
    return (GPU_HOP_MS + (gpus_in_split - 2) * GPU_FURTHER_HOP_MS) / 1000.0

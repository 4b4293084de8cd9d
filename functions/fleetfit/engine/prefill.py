"""prefill_tps and ttft_ms: prompt processing is compute-bound, decoding is bandwidth-bound.

A prompt of P tokens costs about 2 x active parameters FLOPs per token (one multiply-add per weight;
attention over a 512-token prompt adds under 3 % for 8B-class models), run in micro-batches large enough
to keep the matrix units busy, so
    prefill tok/s = efficiency x device FLOP/s / (2 x active parameters)
and time to first token = P / prefill tok/s + one decode step. Efficiencies are per backend and weight
kind (float weights run through cuBLAS/Metal GEMMs, quantized ones through llama.cpp's own kernels), from
llama-bench pp512 rows (XiongjieDai GPU-Benchmarks-on-LLM-Inference, Geerling's CPU rows) and checked
against ground-truth/tps_measured.dev.json by bench/accuracy.py.
"""

from __future__ import annotations

import functools
import math

from fleetfit.engine.devices import GpuPool, Hardware
from fleetfit.engine.hardware_tables import match_gpu
from fleetfit.engine.placement import Placement
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.speed import memory_kind

# The prompt length prefill_tps and ttft_ms are quoted at: llama-bench's default test (pp512).
PROMPT_TOKENS = 512
# FP16 FLOP/s per byte/s of memory bandwidth, for GPUs whose table row states no FP16 figure (the ridge point
# of the class): NVIDIA RTX 4090 165 TFLOPS / 1008 GB/s = 164, A100 312 / 2039 = 153 -> 160; AMD MI250X
# 383 / 3277 = 117, Radeon Pro W7900 122.6 / 864 = 142 -> 125; Apple GPUs run FP16 at their FP32 rate,
# M1 2.6 TFLOPS / 68 GB/s = 38, M2 Ultra 27.2 / 800 = 34 (gguf-parser-go Apple table) -> 35.
FLOPS_PER_BYTE: dict[str, float] = {"CUDA": 160.0, "ROCm": 125.0, "Vulkan": 100.0, "SYCL": 100.0, "Metal": 35.0}
# Share of that FP16 peak llama.cpp's prompt kernels reach (pp512, single GPU, dev rows): CUDA GDDR cards
# quantized weights 0.49-0.76 (RTX 3080 0.49, RTX 6000 Ada 0.61, RTX 4080 0.75) -> 0.55, F16 0.70-1.0 -> 0.70;
# HBM data-centre parts reach far less of their larger peak (A100 PCIe 0.31 quantized, 0.40 F16; H100 PCIe
# 0.40/0.53 of its ridge figure) -> 0.33/0.45; Metal quantized 0.57-0.80 -> 0.63, F16 0.67-0.88 -> 0.70;
# ROCm RX 7900 XTX pp2048 0.43; Vulkan/SYCL kept below ROCm for want of rows.
PREFILL_EFFICIENCY: dict[tuple[str, bool], float] = {
    ("CUDA", True): 0.55,
    ("CUDA", False): 0.70,
    ("Metal", True): 0.63,
    ("Metal", False): 0.70,
    ("ROCm", True): 0.43,
    ("ROCm", False): 0.50,
    ("Vulkan", True): 0.35,
    ("Vulkan", False): 0.40,
    ("SYCL", True): 0.30,
    ("SYCL", False): 0.35,
}
HBM_PREFILL_EFFICIENCY: dict[bool, float] = {True: 0.33, False: 0.45}
# CPU: FLOP/s per llama.cpp thread = FLOPs per cycle x clock x the share reached. x86 with AVX2 FMA: two
# 256-bit FMA ports = 32 FP32 FLOPs/cycle (Intel optimization manual, Haswell and later) at ~3 GHz; Arm
# cores with two 128-bit NEON FMA pipes: 16 FLOPs/cycle at ~2.5 GHz, doubled by int8 dot products on
# quantized weights. Shares from Geerling's pp512 rows: i3-1315U 92, i5-4278U 57 GFLOPS per thread
# (x86 ~0.65 of 96); Cix P1 36-43, Snapdragon 8cx Gen 3 53-58 per thread (Arm ~0.55 of 80).
_FLOAT_QUANTS = frozenset({"F16", "BF16", "F32"})
# With layers or experts in system RAM, llama.cpp's CUDA/ROCm backends still run the prompt's big matrix
# products on the GPU, copying those weights over PCIe once per micro-batch (ggml-cuda offload_op: batches
# of 32 tokens and more). PCIe 4.0 x16 moves 31.5 GB/s per direction (PCI-SIG); ~25 GB/s is reached.
PCIE_GBPS = 25.0
UBATCH = 512  # llama.cpp n_ubatch default
_OFFLOAD_OP_BACKENDS = frozenset({"CUDA", "ROCm"})
CPU_PREFILL_GFLOPS_PER_THREAD: dict[str, float] = {"x86": 32 * 3.0 * 0.65, "arm": 16 * 2.5 * 2 * 0.55}


@functools.cache
def gpu_fp16_tflops(name: str, vram_per_card: float, backend: str, bandwidth_gbps: float) -> tuple[float, bool]:
    """(dense FP16 TFLOPS of one card, whether a table row states it); else bandwidth x FLOPS_PER_BYTE."""
    spec = match_gpu(name, vram_per_card or None)
    if spec is not None and spec.fp16_tflops:
        return spec.fp16_tflops, True
    return bandwidth_gbps * FLOPS_PER_BYTE.get(backend, 100.0) / 1000.0, False


@functools.cache
def _gpu_flops(
    name: str, vram_per_card: float, backend: str, bandwidth_gbps: float, memory: str, quantized: bool
) -> float:
    """FLOP/s llama.cpp's prompt kernels reach on one card of this kind (memoised: a pool has few kinds)."""
    tflops, _ = gpu_fp16_tflops(name, vram_per_card, backend, bandwidth_gbps)
    if memory_kind(memory) == "HBM":
        efficiency = HBM_PREFILL_EFFICIENCY[quantized]
    else:
        efficiency = PREFILL_EFFICIENCY.get((backend, quantized), 0.35)
    return efficiency * tflops * 1e12


def _gpu_tokens_per_second(pool: GpuPool, flops_per_token: float, quantized: bool) -> float:
    # A layer split runs the cards one after another for each micro-batch: the rate is one card's.
    flops = _gpu_flops(pool.name, pool.vram_per_card, pool.backend, pool.bandwidth_gbps, pool.memory_type, quantized)
    return flops / flops_per_token


def _cpu_tokens_per_second(hw: Hardware, flops_per_token: float) -> float:
    per_thread = CPU_PREFILL_GFLOPS_PER_THREAD["arm" if hw.arm else "x86"]
    return hw.cpu_threads * per_thread * 1e9 / flops_per_token


def prefill_tps(profile: ModelProfile, hw: Hardware, placement: Placement) -> float:
    """Prompt tokens per second: the GPU's share of the layers at its rate, the rest at the CPU's."""
    flops_per_token = 2.0 * max(profile.active_params, 1.0)
    quantized = placement.quant not in _FLOAT_QUANTS
    pool = placement.pool
    if pool is None or placement.mode == "cpu_only":
        return _cpu_tokens_per_second(hw, flops_per_token)
    gpu = _gpu_tokens_per_second(pool, flops_per_token, quantized)
    if placement.mode == "gpu":
        return gpu
    w = placement.weights
    if placement.mode == "cpu_offload":
        host_bytes = (1.0 - (placement.gpu_share or 0.0)) * w.total
    else:  # moe_offload: the routed experts left in RAM
        host_bytes = placement.experts_in_ram_bytes or 0.0
    if pool.backend in _OFFLOAD_OP_BACKENDS and not pool.unified:
        return 1.0 / (1.0 / gpu + host_bytes / (PCIE_GBPS * 1e9 * UBATCH))
    share = 1.0 - host_bytes / w.total if w.total else 1.0
    cpu = _cpu_tokens_per_second(hw, flops_per_token)
    return 1.0 / (share / gpu + (1.0 - share) / cpu)


def ttft_ms(prompt_tokens: int, prefill: float, decode: float) -> float | None:
    """Time to first token: the prompt at the prefill rate, then one decode step; None when either rate is
    zero (the first token never comes: the Model object says null, never a non-JSON Infinity)."""
    if prefill <= 0 or decode <= 0:
        return None
    seconds = prompt_tokens / prefill + 1.0 / decode
    return 1000.0 * seconds if math.isfinite(seconds) else None

"""Resolve a System object into the memory pools and bandwidths the engine places models on.

Unlike GPUs are never summed into one pool: each group of identical cards is a candidate on its own
(llama.cpp's layer split across like cards is fine; a 4090 + 3090 pair is evaluated as either card).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fleetfit.contract import System
from fleetfit.engine.hardware_tables import DEFAULT_CPU_BANDWIDTH_GBPS, match_cpu, match_gpu, measured_efficiency
from fleetfit.engine.speed import cpu_bandwidth_effective, gpu_efficiency, layer_cost_ms

RUNTIMES = ("llamacpp", "mlx")

# Share of unified memory the GPU may use. Apple: Metal's recommendedMaxWorkingSetSize is about 75 % of
# RAM (canirun assumes 75 %; a 64 GB M1 Max reports 51 GB, estimation-methods 2.3). Other unified parts
# (GB10, Strix Halo, Jetson) map nearly all RAM to the GPU; keep 10 % for the OS.
APPLE_GPU_SHARE = 0.75
OTHER_UNIFIED_GPU_SHARE = 0.90

# Bandwidth assumed for a GPU missing from the table: the low end of current cards of that backend
# (RTX 4060 272 GB/s, RX 7600 288 GB/s, Apple M1 68 GB/s), so an unknown card is never overrated.
UNKNOWN_GPU_BANDWIDTH_GBPS: dict[str, float] = {
    "CUDA": 272.0,
    "ROCm": 288.0,
    "Vulkan": 256.0,
    "SYCL": 256.0,
    "Metal": 68.0,
}


@dataclass(frozen=True, slots=True)
class GpuPool:
    """A group of identical GPUs that can hold one model together (layer split)."""

    name: str
    count: int
    vram_per_card: float  # GiB as the driver reports it
    usable: float  # GiB the runtime may fill, all cards together
    bandwidth_gbps: float
    memory_type: str
    backend: str
    known: bool  # False: bandwidth is the UNKNOWN_GPU_BANDWIDTH_GBPS fallback
    unified: bool
    effective_gbps: dict[str, float]  # runtime -> bandwidth decode reaches (efficiency x peak)
    layer_ms: float  # fixed cost per layer per token on this GPU (speed.layer_cost_ms)
    free_per_card: float | None  # GiB free on one card when the probe ran (other processes hold the rest)
    # The same cards, 1..count of them: a model that fits on fewer cards is placed on fewer (as Ollama does),
    # saving the per-card runtime reserve and the hops of a layer split.
    subsets: tuple[GpuPool, ...] = ()

    def __hash__(self) -> int:
        return hash((self.name, self.count, self.vram_per_card, self.backend))


@dataclass(frozen=True, slots=True)
class Hardware:
    pools: tuple[GpuPool, ...]  # best pool first
    unified: bool
    apple: bool
    backend: str
    ram_total: float  # GiB
    ram_available: float  # GiB
    ram_bandwidth_gbps: float
    ram_bandwidth_source: str  # "reported" | "table" | "default"
    cpu_threads: int  # threads llama.cpp uses by default (physical cores)
    arm: bool
    cpu_effective_gbps: float  # bandwidth CPU decode reaches (DRAM- or compute-bound)


def _apple(system: System) -> bool:
    name = (system.gpu_name or system.cpu_name or "").lower()
    return system.backend == "Metal" or "apple" in name


def _cpu_bandwidth(system: System, arm: bool) -> tuple[float, str]:
    if system.ram_bandwidth_gbps:
        return system.ram_bandwidth_gbps, "reported"
    spec = match_cpu(system.cpu_name)
    if spec is not None:
        return spec.bandwidth_gbps, "table"
    if arm:
        return DEFAULT_CPU_BANDWIDTH_GBPS["arm"], "default"
    server = system.cpu_cores >= 32 or any(word in system.cpu_name.lower() for word in ("xeon", "epyc"))
    return DEFAULT_CPU_BANDWIDTH_GBPS["x86 server" if server else "x86 desktop/laptop"], "default"


def _with_subsets(pool: GpuPool) -> GpuPool:
    if pool.unified or pool.count == 1:
        return replace(pool, subsets=(pool,))
    smaller = tuple(replace(pool, count=k, usable=pool.vram_per_card * k) for k in range(1, pool.count))
    whole = replace(pool, subsets=())
    return replace(whole, subsets=(*smaller, whole))


def resolve(system: System) -> Hardware:
    apple = _apple(system)
    arm = system.backend in ("CPU (ARM)", "Metal") or apple or "arm" in system.cpu_name.lower()
    pools: list[GpuPool] = []
    for gpu in system.gpus:
        spec = match_gpu(gpu.name, gpu.vram_gb or None)  # the matcher reads the hint as GiB or GB
        unified = gpu.unified_memory or system.unified_memory
        if unified:
            share = APPLE_GPU_SHARE if apple else OTHER_UNIFIED_GPU_SHARE
            usable = (gpu.vram_gb or system.total_ram_gb) * share
        else:
            usable = gpu.vram_gb * gpu.count
        bandwidth = gpu.memory_bandwidth_gbps or (spec.bandwidth_gbps if spec else None)
        peak = bandwidth or UNKNOWN_GPU_BANDWIDTH_GBPS.get(gpu.backend, 256.0)
        memory_type = spec.memory_type if spec else "unknown"
        measured = measured_efficiency(spec, gpu.backend)  # older Apple GPUs reach less of their peak
        pools.append(
            GpuPool(
                name=gpu.name,
                count=1 if unified else gpu.count,
                vram_per_card=gpu.vram_gb,
                usable=usable,
                bandwidth_gbps=peak,
                memory_type=memory_type,
                backend=gpu.backend,
                known=bandwidth is not None,
                unified=unified,
                layer_ms=layer_cost_ms(gpu.backend, memory_type),
                free_per_card=gpu.free_vram_gb,
                effective_gbps={
                    runtime: peak * gpu_efficiency(gpu.backend, memory_type, runtime, measured) for runtime in RUNTIMES
                },
            )
        )
    pools = [_with_subsets(pool) for pool in pools]
    # The pool that can hold the most comes first; ties go to the faster memory.
    pools.sort(key=lambda p: (-p.usable, -p.bandwidth_gbps))
    ram_bandwidth, source = _cpu_bandwidth(system, arm)
    if apple and pools and source == "default":
        ram_bandwidth, source = pools[0].bandwidth_gbps, "table"
    # llama.cpp defaults to one thread per physical core; x86 desktop/server parts run two threads per core.
    threads = system.cpu_cores if arm else max(1, system.cpu_cores // 2)
    return Hardware(
        pools=tuple(pools),
        unified=system.unified_memory or any(p.unified for p in pools),
        apple=apple,
        backend=system.backend,
        ram_total=system.total_ram_gb,
        ram_available=system.available_ram_gb,
        ram_bandwidth_gbps=ram_bandwidth,
        ram_bandwidth_source=source,
        cpu_threads=threads,
        arm=arm,
        cpu_effective_gbps=cpu_bandwidth_effective(ram_bandwidth, threads, arm),
    )

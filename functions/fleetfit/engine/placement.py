"""choose_quant and run_mode: where a model's bytes go on a node, and at which quant.

Modes are tried in the seed's order: gpu -> moe_offload -> cpu_offload -> cpu_only. Unified memory
(Apple, GB10, Strix Halo) has one pool, so it never offloads. Inside a mode, the quant is the best rung
of the ladder that leaves HEADROOM free; failing that, the best rung that fits at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fleetfit.engine.devices import GpuPool, Hardware
from fleetfit.engine.memory import GIB, RUNTIME_RESERVE_BYTES, Weights, kv_cache, overhead, weights
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import Role
from fleetfit.engine.speed import Stream, cpu_bandwidth_effective, gpu_efficiency

# Prefer a quant that leaves 10 % of the pool free: activations spike, drivers and desktops take VRAM.
HEADROOM = 0.90


@dataclass(frozen=True, slots=True)
class Placement:
    mode: str  # gpu | moe_offload | cpu_offload | cpu_only
    quant: str
    fits: bool
    pool: GpuPool | None
    weights: Weights
    kv_bytes: float
    overhead_bytes: float
    available_bytes: float
    gpu_share: float | None = None  # cpu_offload: share of layers (weights and KV) on the GPU
    experts_in_ram_bytes: float | None = None  # moe_offload: expert weights left in system RAM

    @property
    def required_bytes(self) -> float:
        return self.weights.total + self.kv_bytes + self.overhead_bytes

    @property
    def utilization(self) -> float:
        available = self.available_bytes
        return (self.weights.total + self.kv_bytes + self.overhead_bytes) / available if available > 0 else float("inf")


Attempt = Callable[[str], Placement]


def choose_quant(ladder: tuple[str, ...], attempt: Attempt) -> Placement | None:
    """The best rung that fits with headroom, else the best rung that fits, else None."""
    fitting: Placement | None = None
    for quant in ladder:
        placement = attempt(quant)
        if not placement.fits:
            continue
        if placement.utilization <= HEADROOM:
            return placement
        fitting = fitting or placement
    return fitting


def _gpu_attempt(profile: ModelProfile, pool: GpuPool, kv: float) -> Attempt:
    extra = overhead(profile, pool.backend, 1 if pool.unified else pool.count)
    available = pool.usable * GIB
    budget = available - kv - extra

    def attempt(quant: str) -> Placement:
        w = weights(profile, quant)
        return Placement("gpu", quant, w.total <= budget, pool, w, kv, extra, available)

    return attempt


def _moe_offload_attempt(profile: ModelProfile, pool: GpuPool, ram: float, kv: float) -> Attempt:
    """Dense weights, KV and as many expert layers as fit on the GPU; the other experts in RAM
    (llama.cpp --n-cpu-moe; estimation-methods 2.4)."""
    gpu_extra = overhead(profile, pool.backend, pool.count)
    host_extra = RUNTIME_RESERVE_BYTES["CPU"] + profile.compute_buffer_bytes
    vram = pool.usable * GIB

    def attempt(quant: str) -> Placement:
        w = weights(profile, quant)
        dense_on_gpu = w.total - w.experts + kv + gpu_extra
        experts_in_ram = max(0.0, w.experts - max(0.0, vram - dense_on_gpu))
        fits = dense_on_gpu <= vram and 0 < experts_in_ram and experts_in_ram + host_extra <= ram
        return Placement(
            "moe_offload", quant, fits, pool, w, kv, gpu_extra + host_extra, vram + ram,
            experts_in_ram_bytes=experts_in_ram,
        )

    return attempt


def _cpu_offload_attempt(profile: ModelProfile, pool: GpuPool, ram: float, kv: float) -> Attempt:
    """As many whole layers (weights and their KV) on the GPU as fit, the rest in RAM (llama.cpp -ngl N)."""
    gpu_extra = overhead(profile, pool.backend, pool.count)
    host_extra = RUNTIME_RESERVE_BYTES["CPU"] + profile.compute_buffer_bytes
    vram = pool.usable * GIB
    layers = profile.layers

    def attempt(quant: str) -> Placement:
        w = weights(profile, quant)
        layer_bytes = w.total + kv
        share = max(0.0, min(1.0, (vram - gpu_extra) / layer_bytes)) if layer_bytes else 0.0
        share = int(share * layers) / layers  # whole layers only
        fits = share > 0 and (1.0 - share) * layer_bytes + host_extra <= ram
        return Placement(
            "cpu_offload", quant, fits, pool, w, kv, gpu_extra + host_extra, vram + ram, gpu_share=share
        )

    return attempt


def _cpu_attempt(profile: ModelProfile, ram: float, kv: float) -> Attempt:
    extra = overhead(profile, "CPU")
    budget = ram - kv - extra

    def attempt(quant: str) -> Placement:
        w = weights(profile, quant)
        return Placement("cpu_only", quant, w.total <= budget, None, w, kv, extra, ram)

    return attempt


def run_mode(profile: ModelProfile, hw: Hardware, ladder: tuple[str, ...], context: int) -> Placement:
    """gpu -> moe_offload -> cpu_offload -> cpu_only; the first mode where some quant fits wins.

    Several GPU pools (unlike cards): the one giving the best quant wins, ties to the faster memory.
    When nothing fits, the result is the largest pool tried, at the smallest rung, with fits=False.
    """
    kv = kv_cache(profile, context)
    ram = hw.ram_available * GIB
    best: Placement | None = None
    for pool in hw.pools:
        found = choose_quant(ladder, _gpu_attempt(profile, pool, kv))
        if found and (best is None or _better(found, best, ladder)):
            best = found
    if best:
        return best
    smallest = ladder[-1]
    if hw.pools and hw.unified:
        return _gpu_attempt(profile, hw.pools[0], kv)(smallest)
    if hw.pools:
        pool = hw.pools[0]
        if profile.moe and _has_experts(profile, smallest):
            found = choose_quant(ladder, _moe_offload_attempt(profile, pool, ram, kv))
            if found:
                return found
        offload = _cpu_offload_attempt(profile, pool, ram, kv)
        return choose_quant(ladder, offload) or offload(smallest)
    cpu = _cpu_attempt(profile, ram, kv)
    return choose_quant(ladder, cpu) or cpu(smallest)


def _has_experts(profile: ModelProfile, quant: str) -> bool:
    return weights(profile, quant).experts > 0


def _better(a: Placement, b: Placement, ladder: tuple[str, ...]) -> bool:
    key_a = (a.utilization <= HEADROOM, -ladder.index(a.quant), a.pool.bandwidth_gbps if a.pool else 0.0)
    key_b = (b.utilization <= HEADROOM, -ladder.index(b.quant), b.pool.bandwidth_gbps if b.pool else 0.0)
    return key_a > key_b


def streams(placement: Placement, profile: ModelProfile, hw: Hardware, runtime: str, context: int) -> list[Stream]:
    """Bytes each memory serves per decoded token, at `context` tokens already in the cache."""
    w = placement.weights
    kv_read = kv_cache(profile, context)
    pool = placement.pool
    if placement.mode == "cpu_only" or pool is None:
        return [Stream(w.active + kv_read, cpu_bandwidth_effective(hw.ram_bandwidth_gbps, hw.cpu_threads, hw.arm))]
    gpu_speed = gpu_efficiency(pool.backend, pool.memory_type, runtime) * pool.bandwidth_gbps
    if placement.mode == "gpu":
        return [Stream(w.active + kv_read, gpu_speed)]
    cpu_speed = cpu_bandwidth_effective(hw.ram_bandwidth_gbps, hw.cpu_threads, hw.arm)
    if placement.mode == "moe_offload":
        expert_active = w.experts * profile.active_share.get(Role.EXPERT_GATE_UP, 1.0)
        ram_share = (placement.experts_in_ram_bytes or 0.0) / w.experts if w.experts else 0.0
        on_cpu = expert_active * ram_share
        return [Stream(w.active - on_cpu + kv_read, gpu_speed), Stream(on_cpu, cpu_speed)]
    share = placement.gpu_share or 0.0
    per_token = w.active + kv_read
    return [Stream(per_token * share, gpu_speed), Stream(per_token * (1.0 - share), cpu_speed)]

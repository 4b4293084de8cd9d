"""Resolve a System object into the memory pools and bandwidths the engine places models on.

llama.cpp splits a model's layers across every visible GPU of one backend (`--split-mode layer`, the
default), unlike cards included, with `--tensor-split` defaulting to each card's free memory
(llama.cpp src/llama-model.cpp, load_tensors). So the discrete cards of one backend form one pool: a
4090 + 3090 node is 48 GB of GPU memory, each card at its own bandwidth. Cards of different backends
(CUDA + ROCm, CUDA + Vulkan) are never one pool: one llama.cpp build drives one backend's devices.
A pool carries its smaller card sets too (`subsets`): a model that fits on fewer cards runs on fewer
(as Ollama does), saving each card's runtime reserve and the hops of the split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import product

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
# Card sets tried per pool at most (every count of every card model): 8 like cards are 8 sets, a
# 4 + 4 mixed node 24; beyond this only whole card models are added or dropped.
MAX_SUBSETS = 64


@dataclass(frozen=True, slots=True)
class CardGroup:
    """Identical cards of a node (one `gpus` entry, or part of it): what each card brings to a split."""

    name: str
    indices: tuple[int, ...]  # the cards' positions on the node (0-based, in the order the node lists them)
    vram_per_card: float  # GiB as the driver reports it
    usable_per_card: float  # GiB the runtime may fill on one card
    bandwidth_gbps: float
    memory_type: str
    backend: str
    known: bool  # False: bandwidth is the UNKNOWN_GPU_BANDWIDTH_GBPS fallback
    unified: bool
    effective_gbps: dict[str, float]  # runtime -> bandwidth decode reaches (efficiency x peak)
    layer_ms: float  # fixed cost per layer per token on this GPU (speed.layer_cost_ms)
    free_per_card: float | None  # GiB free on one card when the probe ran

    @property
    def count(self) -> int:
        return len(self.indices)

    def __hash__(self) -> int:
        return hash((self.name, self.indices, self.backend))


@dataclass(frozen=True, slots=True)
class GpuPool:
    """Cards of one backend that hold one model together (llama.cpp layer split), like or unlike.

    Pool figures are the cards' combined: `usable` is the sum; with layers split in proportion to each
    card's memory (share s_i), a token streams s_i of the bytes from card i, so the pool's bandwidth is
    1 / sum(s_i / bandwidth_i) and its per-layer cost sum(s_i x layer_ms_i). For like cards these are
    the card's own figures.
    """

    name: str  # the card's name; for unlike cards "A + B" (with "2x " where a model has several)
    count: int
    vram_per_card: float  # GiB; for unlike cards the smallest card's
    usable: float  # GiB the runtime may fill, all cards together
    bandwidth_gbps: float
    memory_type: str
    backend: str
    known: bool  # False: some card's bandwidth is the UNKNOWN_GPU_BANDWIDTH_GBPS fallback
    unified: bool
    effective_gbps: dict[str, float]  # runtime -> bandwidth decode reaches (efficiency x peak)
    layer_ms: float  # fixed cost per layer per token (speed.layer_cost_ms), share-weighted
    free_per_card: float | None  # GiB free on one card when the probe ran (like cards only)
    # The smaller card sets of the same pool, fewest cards first, the whole pool last.
    subsets: tuple[GpuPool, ...] = ()
    groups: tuple[CardGroup, ...] = ()  # the cards, in node order

    def __hash__(self) -> int:
        return hash((self.name, self.count, self.vram_per_card, self.backend))

    @property
    def mixed(self) -> bool:
        return len(self.groups) > 1

    @property
    def label(self) -> str:
        """How a user names these cards: "2x NVIDIA H100 ...", "NVIDIA GeForce RTX 4090 + NVIDIA ... 3090"."""
        return self.name if self.mixed or self.count == 1 else f"{self.count}x {self.name}"

    @property
    def cards(self) -> tuple[int, ...]:
        """The node's card indices this pool uses."""
        return tuple(i for g in self.groups for i in g.indices)

    @property
    def card_memory(self) -> tuple[float, ...]:
        """GiB the runtime may fill on each card, in node order (what llama.cpp's default split follows)."""
        return tuple(g.usable_per_card for g in self.groups for _ in g.indices)

    @property
    def card_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups for _ in g.indices)

    @property
    def free_total(self) -> float | None:
        """GiB free on all the pool's cards when the probe ran, when every card reported it."""
        if not self.groups or any(g.free_per_card is None for g in self.groups):
            return None
        return sum((g.free_per_card or 0.0) * g.count for g in self.groups)


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
    groups: tuple[CardGroup, ...] = ()  # every GPU of the node, in node order


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


def _harmonic(shares: Sequence[float], values: Sequence[float]) -> float:
    return 1.0 / sum(s / v for s, v in zip(shares, values, strict=True))


def pool_of(groups: Sequence[CardGroup]) -> GpuPool:
    """One pool over these cards (all of one backend), without subsets."""
    first = groups[0]
    if len(groups) == 1:
        return GpuPool(
            name=first.name,
            count=first.count,
            vram_per_card=first.vram_per_card,
            usable=first.usable_per_card * first.count,
            bandwidth_gbps=first.bandwidth_gbps,
            memory_type=first.memory_type,
            backend=first.backend,
            known=first.known,
            unified=first.unified,
            effective_gbps=first.effective_gbps,
            layer_ms=first.layer_ms,
            free_per_card=first.free_per_card,
            groups=(first,),
        )
    usable = sum(g.usable_per_card * g.count for g in groups)
    shares = [g.usable_per_card * g.count / usable for g in groups]
    kinds = list(dict.fromkeys(g.memory_type for g in groups))
    return GpuPool(
        name=" + ".join(g.name if g.count == 1 else f"{g.count}x {g.name}" for g in groups),
        count=sum(g.count for g in groups),
        vram_per_card=min(g.vram_per_card for g in groups),
        usable=usable,
        bandwidth_gbps=_harmonic(shares, [g.bandwidth_gbps for g in groups]),
        memory_type="/".join(kinds),
        backend=first.backend,
        known=all(g.known for g in groups),
        unified=False,
        effective_gbps={rt: _harmonic(shares, [g.effective_gbps[rt] for g in groups]) for rt in RUNTIMES},
        layer_ms=sum(s * g.layer_ms for s, g in zip(shares, groups, strict=True)),
        free_per_card=None,
        groups=tuple(groups),
    )


def _card_sets(groups: Sequence[CardGroup]) -> list[tuple[CardGroup, ...]]:
    """Every choice of k_i cards of each card model (first cards first), fewest cards first."""
    counts = [range(g.count + 1) for g in groups]
    choices = [ks for ks in product(*counts) if any(ks)]
    if len(choices) > MAX_SUBSETS:
        choices = [ks for ks in choices if all(k in (0, g.count) for k, g in zip(ks, groups, strict=True))]
    choices.sort(key=lambda ks: (sum(ks), [-k for k in ks]))
    return [tuple(replace(g, indices=g.indices[:k]) for g, k in zip(groups, ks, strict=True) if k) for ks in choices]


def _with_subsets(groups: Sequence[CardGroup]) -> GpuPool:
    whole = pool_of(groups)
    if whole.unified or whole.count == 1:
        return replace(whole, subsets=(whole,))
    sets = _card_sets(groups)
    smaller = tuple(pool_of(s) for s in sets[:-1])
    return replace(whole, subsets=(*smaller, whole))


def build_pools(groups: Iterable[CardGroup]) -> tuple[GpuPool, ...]:
    """Unified GPUs alone; the discrete cards of each backend as one pool. Largest pool first, ties to the
    faster memory."""
    pools: list[GpuPool] = []
    by_backend: dict[str, list[CardGroup]] = {}
    for group in groups:
        if not group.count:
            continue
        if group.unified:
            pools.append(_with_subsets([group]))
        else:
            by_backend.setdefault(group.backend, []).append(group)
    pools += [_with_subsets(members) for members in by_backend.values()]
    pools.sort(key=lambda p: (-p.usable, -p.bandwidth_gbps))
    return tuple(pools)


def without_cards(hw: Hardware, used: Iterable[int]) -> Hardware:
    """The same node with these cards taken (by another replica): pools rebuilt from the cards left."""
    taken = set(used)
    groups = tuple(replace(g, indices=tuple(i for i in g.indices if i not in taken)) for g in hw.groups)
    groups = tuple(g for g in groups if g.count)
    return replace(hw, groups=groups, pools=build_pools(groups))


def _groups(system: System, apple: bool) -> list[CardGroup]:
    out: list[CardGroup] = []
    index = 0
    for gpu in system.gpus:
        spec = match_gpu(gpu.name, gpu.vram_gb or None)  # the matcher reads the hint as GiB or GB
        unified = gpu.unified_memory or system.unified_memory
        count = 1 if unified else gpu.count
        if unified:
            share = APPLE_GPU_SHARE if apple else OTHER_UNIFIED_GPU_SHARE
            usable = (gpu.vram_gb or system.total_ram_gb) * share
        else:
            usable = gpu.vram_gb
        bandwidth = gpu.memory_bandwidth_gbps or (spec.bandwidth_gbps if spec else None)
        peak = bandwidth or UNKNOWN_GPU_BANDWIDTH_GBPS.get(gpu.backend, 256.0)
        memory_type = spec.memory_type if spec else "unknown"
        measured = measured_efficiency(spec, gpu.backend)  # older Apple GPUs reach less of their peak
        out.append(
            CardGroup(
                name=gpu.name,
                indices=tuple(range(index, index + count)),
                vram_per_card=gpu.vram_gb,
                usable_per_card=usable,
                bandwidth_gbps=peak,
                memory_type=memory_type,
                backend=gpu.backend,
                known=bandwidth is not None,
                unified=unified,
                effective_gbps={
                    runtime: peak * gpu_efficiency(gpu.backend, memory_type, runtime, measured) for runtime in RUNTIMES
                },
                layer_ms=layer_cost_ms(gpu.backend, memory_type),
                free_per_card=gpu.free_vram_gb,
            )
        )
        index += gpu.count
    return out


def resolve(system: System) -> Hardware:
    apple = _apple(system)
    arm = system.backend in ("CPU (ARM)", "Metal") or apple or "arm" in system.cpu_name.lower()
    groups = tuple(_groups(system, apple))
    pools = build_pools(groups)
    ram_bandwidth, source = _cpu_bandwidth(system, arm)
    if apple and pools and source == "default":
        ram_bandwidth, source = pools[0].bandwidth_gbps, "table"
    # llama.cpp defaults to one thread per physical core; x86 desktop/server parts run two threads per core.
    threads = system.cpu_cores if arm else max(1, system.cpu_cores // 2)
    return Hardware(
        pools=pools,
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
        groups=groups,
    )

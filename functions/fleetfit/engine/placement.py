"""choose_quant and run_mode: where a model's bytes go on a node, and at which quant.

Modes are tried in the seed's order: gpu -> moe_offload -> cpu_offload -> cpu_only. Unified memory
(Apple, GB10, Strix Halo) has one pool, so it never offloads. Inside a mode, the quant is the best rung
of the ladder that fits (the seed's best_quant); fit_level then marks low headroom.

A GPU pool is every discrete card of one backend, like or unlike (devices). Its layers, each with its KV,
are split across the cards in proportion to their memory (`layer_split`, llama.cpp's default
--tensor-split); every card keeps its own runtime reserve and compute buffer (memory.overhead per
device), so a model fits when weights + KV + those per-card extras fit the cards' sum (the split that
fills each card alike; llama.cpp's default split by free memory is within one layer of it). Of the card
sets that give the same quant and headroom, the fastest is used (fewest cards on a tie): fewer cards
save reserves and hops, and a small model is not spread over eight cards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fleetfit.engine.devices import GpuPool, Hardware
from fleetfit.engine.memory import GIB, RUNTIME_RESERVE_BYTES, Weights, kv_cache, overhead, weights
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import DEFAULT_KV_CACHE
from fleetfit.engine.speed import seconds_per_token

# Below this share of the pool a placement has headroom (activation spikes, drivers, desktops take VRAM):
# on several pools or card counts, one with headroom beats one without.
HEADROOM = 0.90


# Not frozen: a frozen dataclass sets each field through object.__setattr__ (~1.3 us more per instance, and an
# analysis makes a few per rung it tries). No step changes a Placement once made.
@dataclass(slots=True)
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


class Attempt(Protocol):
    """A way to place the model (a mode on a pool), rung by rung: whether a rung fits so, and its Placement."""

    def fits(self, quant: str) -> bool: ...

    def __call__(self, quant: str) -> Placement: ...


def choose_quant(ladder: tuple[str, ...], attempt: Attempt) -> Placement | None:
    """The highest-quality rung that fits the pool (seed: best_quant), or None. Only that rung's Placement is
    made (an offload that fits nowhere tries a dozen rungs)."""
    for quant in ladder:
        if attempt.fits(quant):
            return attempt(quant)
    return None


def _gpu_quant(profile: ModelProfile, ladder: tuple[str, ...], budget: float) -> str | None:
    """choose_quant for one pool without building a Placement per rung (the hot path)."""
    for quant in ladder:
        if weights(profile, quant).total <= budget:
            return quant
    return None


def _pool_terms(profile: ModelProfile, pool: GpuPool, kv: float) -> tuple[float, float, float]:
    """(overhead, memory, the weights' budget) of the model entirely on this pool: one compute buffer per card
    that runs layers (one on unified memory)."""
    extra = overhead(profile, pool.backend, 1 if pool.unified else pool.count)
    available = pool.usable * GIB
    return extra, available, available - kv - extra


def _on_pool(profile: ModelProfile, pool: GpuPool, ladder: tuple[str, ...], kv: float) -> Placement:
    """The best rung that fits entirely on this pool; when none does, the smallest rung with fits=False."""
    extra, available, budget = _pool_terms(profile, pool, kv)
    quant = _gpu_quant(profile, ladder, budget)
    chosen = quant or ladder[-1]
    return Placement("gpu", chosen, quant is not None, pool, weights(profile, chosen), kv, extra, available)


def on_pool(profile: ModelProfile, pool: GpuPool, ladder: tuple[str, ...], context: int) -> Placement:
    """The model on exactly these cards (no smaller set tried): what llama.cpp does with every visible card,
    as llama-bench runs. run_mode picks the card set itself; benches compare against measured splits."""
    return _on_pool(profile, pool, ladder, kv_cache(profile, context))


def _on_fewest_cards(profile: ModelProfile, whole: GpuPool, ladder: tuple[str, ...], kv: float) -> Placement:
    """The placement on all cards of a pool, moved to the fastest card set that gives the same quant and
    headroom (fewest cards on a tie)."""
    best = _on_pool(profile, whole, ladder, kv)
    if not best.fits or len(whole.subsets) <= 1:
        return best
    roomy = best.utilization <= HEADROOM
    chosen, chosen_s = best, _gpu_seconds(profile, best, kv)
    # A set is wanted only at best's rung: the rungs below it need not be tried (it has not fit there when
    # none up to best's does; when one above does, its rung differs, as with the whole ladder).
    upto = ladder[: ladder.index(best.quant) + 1]
    for pool in whole.subsets[:-1]:  # fewest cards first
        found = _on_pool(profile, pool, upto, kv)
        if found.fits and found.quant == best.quant and (found.utilization <= HEADROOM) == roomy:
            if not whole.mixed:
                return found  # like cards: only the hops differ, so the fewest cards are the fastest
            seconds = _gpu_seconds(profile, found, kv)
            if seconds < chosen_s or (
                seconds == chosen_s and found.pool is not None and found.pool.count < whole.count
            ):
                chosen, chosen_s = found, seconds
    return chosen


def _gpu_seconds(profile: ModelProfile, placement: Placement, kv: float) -> float:
    """Time per token of a placement entirely on its pool (decode at a full cache: a fair yardstick for
    comparing card sets; analyze.decode_tps quotes the speed itself)."""
    pool = placement.pool
    assert pool is not None
    return seconds_per_token(
        placement.weights.active + kv,
        pool.effective_gbps["llamacpp"],
        0.0,
        1.0,
        profile.layers,
        pool.layer_ms,
        pool.count,
    )


def layer_split(pool: GpuPool, layers: int) -> tuple[int, ...]:
    """Repeating layers per card, in node order, as llama.cpp assigns them: cumulative shares of each card's
    memory, layer i on the first card whose share passes i / (layers + 1); the output layer counts as the
    (layers + 1)-th and lands on the last card (llama.cpp src/llama-model.cpp, load_tensors; the input
    embedding stays on the CPU there). Two 24 GB cards and 80 layers: 41 / 39, the output on the second."""
    memory = pool.card_memory
    if len(memory) <= 1 or layers <= 0:
        return (max(layers, 0),) * max(len(memory), 1)
    total = sum(memory)
    bounds, running = [], 0.0
    for size in memory:
        running += size / total
        bounds.append(running)
    counts = [0] * len(memory)
    for layer in range(layers):
        position = layer / (layers + 1)
        card = next((i for i, bound in enumerate(bounds) if bound > position), len(memory) - 1)
        counts[card] += 1
    return tuple(counts)


class _MoeOffload:
    """Dense weights, KV and as many expert layers as fit in `gpu_budget` of the GPU; the other experts in RAM
    (llama.cpp --n-cpu-moe; estimation-methods 2.4)."""

    __slots__ = ("profile", "pool", "ram", "kv", "gpu_extra", "host_extra", "vram", "budget")

    def __init__(self, profile: ModelProfile, pool: GpuPool, ram: float, kv: float, gpu_budget: float = 1.0) -> None:
        self.profile, self.pool, self.ram, self.kv = profile, pool, ram, kv
        self.gpu_extra = overhead(profile, pool.backend, pool.count)
        self.host_extra = RUNTIME_RESERVE_BYTES["CPU"] + profile.compute_buffer_bytes
        self.vram = pool.usable * GIB
        self.budget = gpu_budget * self.vram

    def _split(self, w: Weights) -> tuple[bool, float]:
        """(whether it fits so, expert bytes left in RAM)."""
        dense_on_gpu = w.total - w.experts + self.kv + self.gpu_extra
        experts_in_ram = max(0.0, w.experts - max(0.0, self.budget - dense_on_gpu))
        fits = dense_on_gpu <= self.budget and experts_in_ram > 0 and experts_in_ram + self.host_extra <= self.ram
        return fits, experts_in_ram

    def fits(self, quant: str) -> bool:
        return self._split(weights(self.profile, quant))[0]

    def __call__(self, quant: str) -> Placement:
        w = weights(self.profile, quant)
        fits, experts_in_ram = self._split(w)
        return Placement(
            "moe_offload",
            quant,
            fits,
            self.pool,
            w,
            self.kv,
            self.gpu_extra + self.host_extra,
            self.vram + self.ram,
            experts_in_ram_bytes=experts_in_ram,
        )


class _CpuOffload:
    """As many whole layers (weights and their KV) on the GPU as fit, the rest in RAM (llama.cpp -ngl N)."""

    __slots__ = ("profile", "pool", "ram", "kv", "gpu_extra", "host_extra", "vram")

    def __init__(self, profile: ModelProfile, pool: GpuPool, ram: float, kv: float) -> None:
        self.profile, self.pool, self.ram, self.kv = profile, pool, ram, kv
        self.gpu_extra = overhead(profile, pool.backend, pool.count)
        self.host_extra = RUNTIME_RESERVE_BYTES["CPU"] + profile.compute_buffer_bytes
        self.vram = pool.usable * GIB

    def _split(self, w: Weights) -> tuple[bool, float]:
        """(whether it fits so, the share of layers on the GPU)."""
        layers = self.profile.layers
        layer_bytes = w.total + self.kv
        share = max(0.0, min(1.0, (self.vram - self.gpu_extra) / layer_bytes)) if layer_bytes else 0.0
        share = int(share * layers) / layers  # whole layers only
        return share > 0 and (1.0 - share) * layer_bytes + self.host_extra <= self.ram, share

    def fits(self, quant: str) -> bool:
        return self._split(weights(self.profile, quant))[0]

    def __call__(self, quant: str) -> Placement:
        w = weights(self.profile, quant)
        fits, share = self._split(w)
        extra, available = self.gpu_extra + self.host_extra, self.vram + self.ram
        return Placement("cpu_offload", quant, fits, self.pool, w, self.kv, extra, available, gpu_share=share)


def run_mode(
    profile: ModelProfile, hw: Hardware, ladder: tuple[str, ...], context: int, kv_quant: str = DEFAULT_KV_CACHE
) -> Placement:
    """gpu -> moe_offload -> cpu_offload -> cpu_only; the first mode where some quant fits wins.

    Several GPU pools (cards of different backends, which llama.cpp never splits across): the one giving
    the best quant wins, ties to the faster memory; offloads use the largest pool.
    When nothing fits, the result is the largest pool tried, at the smallest rung, with fits=False.
    """
    kv = kv_cache(profile, context, kv_quant)
    ram = hw.ram_available * GIB
    best: Placement | None = None
    for whole in hw.pools:
        found = _on_fewest_cards(profile, whole, ladder, kv)
        if found.fits and (best is None or _better(found, best, ladder)):
            best = found
    if best:
        return best
    smallest = ladder[-1]
    if hw.pools and hw.unified:
        return _on_pool(profile, hw.pools[0], ladder, kv)
    if hw.pools:
        pool = hw.pools[0]
        if profile.moe and _has_experts(profile, smallest):
            expert_offload = choose_quant(ladder, _MoeOffload(profile, pool, ram, kv))
            if expert_offload:
                return expert_offload
        offload = _CpuOffload(profile, pool, ram, kv)
        return choose_quant(ladder, offload) or offload(smallest)
    extra = overhead(profile, "CPU")
    quant = _gpu_quant(profile, ladder, ram - kv - extra)
    chosen = quant or smallest
    return Placement("cpu_only", chosen, quant is not None, None, weights(profile, chosen), kv, extra, ram)


def walk_in_place(
    profile: ModelProfile, hw: Hardware, placement: Placement
) -> Callable[[str], Placement | None] | None:
    """For a walk down the ladder from `placement` (run_mode's, in its mode), a function that gives a lower
    rung's placement as run_mode(profile, hw, (quant,), ...) makes it, with the same KV, when it is in the
    same mode, and None when run_mode would put it in another mode or it does not fit (either ends a walk);
    None itself where run_mode may choose other cards for it (several card sets or pools for a placement on
    the GPU). The work run_mode does per call (KV, overheads, pools, the offloads' terms) is done once here."""
    mode, kv = placement.mode, placement.kv_bytes
    if mode == "gpu" or mode == "cpu_only":
        if mode == "cpu_only" and hw.pools:
            return None
        if mode == "gpu" and (len(hw.pools) != 1 or placement.pool is not hw.pools[0] or len(hw.pools[0].subsets) > 1):
            return None
        pool, extra, available = placement.pool, placement.overhead_bytes, placement.available_bytes
        budget = available - kv - extra  # as run_mode computes it (_gpu_quant's budget)

        def in_pool(quant: str) -> Placement | None:
            w = weights(profile, quant)
            return Placement(mode, quant, True, pool, w, kv, extra, available) if w.total <= budget else None

        return in_pool
    # An offload (never on unified memory): a rung goes on a pool if it fits one (_on_pool), else to the MoE
    # offload if it has experts, else to the layer offload, on the largest pool (run_mode's order).
    budgets = [_pool_terms(profile, p, kv)[2] for p in hw.pools]
    ram = hw.ram_available * GIB
    moe = _MoeOffload(profile, hw.pools[0], ram, kv) if profile.moe else None
    layers = _CpuOffload(profile, hw.pools[0], ram, kv)

    def offloaded(quant: str) -> Placement | None:
        if any(weights(profile, quant).total <= budget for budget in budgets):
            return None  # on the GPU now
        if moe is not None and _has_experts(profile, quant) and moe.fits(quant):
            return moe(quant) if mode == "moe_offload" else None
        return layers(quant) if mode == "cpu_offload" and layers.fits(quant) else None

    return offloaded


def roomy_expert_offload(
    profile: ModelProfile, hw: Hardware, ladder: tuple[str, ...], context: int, kv_quant: str = DEFAULT_KV_CACHE
) -> Placement | None:
    """A MoE model with just enough experts in RAM to keep the GPU under HEADROOM, at the best rung of
    `ladder` that fits so, on the largest pool (--n-cpu-moe N chosen to leave room): the alternative to a
    placement that fills the GPU. None for dense models, unified memory or no GPU."""
    if not profile.moe or not hw.pools or hw.unified or not _has_experts(profile, ladder[-1]):
        return None
    attempt = _MoeOffload(profile, hw.pools[0], hw.ram_available * GIB, kv_cache(profile, context, kv_quant), HEADROOM)
    return choose_quant(ladder, attempt)


def _has_experts(profile: ModelProfile, quant: str) -> bool:
    return weights(profile, quant).experts > 0


def _better(a: Placement, b: Placement, ladder: tuple[str, ...]) -> bool:
    key_a = (a.utilization <= HEADROOM, -ladder.index(a.quant), a.pool.bandwidth_gbps if a.pool else 0.0)
    key_b = (b.utilization <= HEADROOM, -ladder.index(b.quant), b.pool.bandwidth_gbps if b.pool else 0.0)
    return key_a > key_b


def bytes_per_token(placement: Placement, profile: ModelProfile, kv_read: float) -> tuple[float, float]:
    """(bytes read from GPU memory, bytes read from system RAM) to decode one token with `kv_read` bytes
    of KV cache: every active weight once and the whole cache once (estimation-methods 2.5)."""
    w = placement.weights
    per_token = w.active + kv_read
    mode = placement.mode
    if mode == "gpu":
        return per_token, 0.0
    if mode == "cpu_only":
        return 0.0, per_token
    if mode == "moe_offload":
        expert_active = w.experts * profile.routed_share
        on_cpu = expert_active * (placement.experts_in_ram_bytes or 0.0) / w.experts if w.experts else 0.0
        return per_token - on_cpu, on_cpu
    share = placement.gpu_share or 0.0
    return per_token * share, per_token * (1.0 - share)

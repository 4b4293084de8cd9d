"""analyze: one catalog model on one node -> a Fit record, serialised as the seed's Model object.

The steps, in order: effective context -> runtimes (both on Apple) -> run_mode (with choose_quant) -> the
rung that serves best -> fit_level -> decode_tps -> score; notes are written only for rows that are returned.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from fleetfit.contract import FIT_LABELS, RUN_MODE_LABELS, RUNTIME_LABELS
from fleetfit.engine import scoring
from fleetfit.engine.devices import APPLE_GPU_SHARE, GpuPool, Hardware
from fleetfit.engine.fragments import profile_head, profile_sources, profile_tail
from fleetfit.engine.fragments import quote as _quote
from fleetfit.engine.fragments import text as _text
from fleetfit.engine.fragments import texts as _texts
from fleetfit.engine.memory import GIB, Weights, kv_cache, weights
from fleetfit.engine.placement import (
    Placement,
    bytes_per_token,
    layer_split,
    roomy_expert_offload,
    run_mode,
    walk_in_place,
)
from fleetfit.engine.prefill import PROMPT_TOKENS, prefill_tps, ttft_ms
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import (
    DEFAULT_KV_CACHE,
    KV_CACHE_TYPES,
    QUANTS,
    TIER_OF_Q3_K_M,
    TIER_OF_Q4_K_M,
    kv_bytes_per_element,
    ladder_for,
)
from fleetfit.engine.speed import (
    CPU_EFFICIENCY,
    CPU_GBPS_PER_THREAD,
    LAYER_COST_MS,
    cpu_bandwidth_effective,
    gpu_decode_cost,
    seconds_per_token,
)

# Fit levels, worst first (query.FIT_ORDER reads the same table).
FIT_ORDER = {"perfect": 3, "good": 2, "marginal": 1, "too_tight": 0}

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
    kv_quant: str = DEFAULT_KV_CACHE  # llama.cpp KV-cache type (--cache-type-k/-v)
    prompt_tokens: int = PROMPT_TOKENS  # prompt length prefill_tps and ttft_ms are quoted at
    runtime: str | None = None  # forced runtime (llmfit's force_runtime): the only one evaluated
    # The profile memo entry holding quality per rung at this reference date (_quality_at), made once.
    quality_key: tuple[str, date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quality_key", ("quality", self.reference_date))


def effective_context(context_length: int, max_context: int | None) -> int:
    return max(1, min(context_length, max_context or DEFAULT_CONTEXT_CAP))


def runtimes_for(
    profile: ModelProfile, hw: Hardware, forced_quant: str | None, forced_runtime: str | None = None
) -> tuple[str, ...]:
    """Runtimes worth evaluating: MLX only on Apple Silicon and only where an MLX build exists; llama.cpp
    for every model that has GGUFs. A forced quant names its runtime; a forced runtime is the only one."""
    if forced_quant is not None:
        return (QUANTS[forced_quant].runtime,)
    if forced_runtime is not None:
        return (forced_runtime,)
    if not hw.apple:
        return ("llamacpp",)  # an MLX-only build is then reported too_tight
    if profile.mlx_only:
        return ("mlx",)
    return ("llamacpp", "mlx") if profile.has_mlx_build else ("llamacpp",)


# Bytes per KV element of each cache type relative to f16 (quants.kv_bytes_per_element), once.
_KV_SCALE = {kind: kv_bytes_per_element(kind) / kv_bytes_per_element(DEFAULT_KV_CACHE) for kind in KV_CACHE_TYPES}


def usable_context(profile: ModelProfile, placement: Placement, kv_quant: str = DEFAULT_KV_CACHE) -> int:
    """Largest context whose KV still fits beside the weights, capped at the model's window."""
    kv = profile.kv
    scale = _KV_SCALE[kv_quant]
    free = placement.available_bytes - placement.weights.total - placement.overhead_bytes - kv.constant_bytes
    free -= kv.bytes_per_token_layer * scale * kv.sliding_layers * kv.window
    per_token = kv.bytes_per_token_layer * scale * kv.full_layers
    if free <= 0:
        return 0
    if per_token <= 0:
        return profile.context_length
    return int(min(profile.context_length, free // per_token))


def decode_tps(
    profile: ModelProfile,
    hw: Hardware,
    placement: Placement,
    runtime: str,
    context: int,
    kv_quant: str = DEFAULT_KV_CACHE,
) -> tuple[float, float]:
    """(tok/s, bytes read per token) with `context` tokens in the KV cache (speed.seconds_per_token).
    The CPU's share runs at the rate its cores dequantize this quant's types (quants.cpu_dequant_cost); the
    GPU's weight bytes at its backend's cost for the quant's family (speed.gpu_decode_cost)."""
    kv_read = kv_cache(profile, context, kv_quant)
    gpu_bytes, cpu_bytes = bytes_per_token(placement, profile, kv_read)
    pool = placement.pool
    cpu_rate = cpu_gbps(hw, placement) if cpu_bytes > 0 else hw.cpu_effective_gbps
    if pool is None or placement.mode == "cpu_only":
        seconds = seconds_per_token(0.0, 1.0, cpu_bytes, cpu_rate, profile.layers, LAYER_COST_MS["CPU"])
    else:
        split = 1 if pool.unified else pool.count  # offloads split their GPU layers over the pool's cards too
        cost = _decode_cost(pool.backend, runtime, placement.quant)
        # Weights and KV cross the GPU in proportion (bytes_per_token): the cost falls on the weights' part.
        active = placement.weights.active
        weighted = gpu_bytes * (1.0 + (cost - 1.0) * active / (active + kv_read)) if active + kv_read else gpu_bytes
        seconds = seconds_per_token(
            weighted,
            pool.effective_gbps[runtime],
            cpu_bytes,
            cpu_rate,
            profile.layers,
            pool.layer_ms,
            split,
        )
    return 1.0 / seconds, gpu_bytes + cpu_bytes


_DECODE_COSTS: dict[tuple[str, str, str], float] = {}


def _decode_cost(backend: str, runtime: str, quant: str) -> float:
    """speed.gpu_decode_cost of a rung's file type (memoised: a few backends, two runtimes, a few dozen rungs)."""
    key = (backend, runtime, quant)
    found = _DECODE_COSTS.get(key)
    if found is None:
        found = _DECODE_COSTS[key] = gpu_decode_cost(backend, runtime, QUANTS[quant].ftype)
    return found


@dataclass(slots=True)
class Fit:
    """One model on one node: the numbers every filter and sort needs, serialised on demand."""

    profile: ModelProfile
    hw: Hardware
    options: Options
    placement: Placement
    runtime: str
    ladder: tuple[str, ...]
    context: int
    fit_level: str
    tps: float  # decode tok/s at SPEED_CONTEXT, unrounded (estimated_tps is its output figure)
    estimated_tps: float
    quality: float
    speed: float
    fit: float
    context_score: float
    score: float
    utilization_pct: float
    bytes_per_token: float  # read to decode one token at SPEED_CONTEXT
    usable: int  # usable_context of this placement: the longest context whose KV fits beside the weights
    # Output written once for this row and its twins, and the figures only the output reads (late_figures).
    shared: dict[str, Any] = field(default_factory=dict)
    # What serving_quant passed over: the top rung that also fits, its tok/s, run mode and utilization.
    traded: tuple[str, float, str, float] | None = None
    variants: int | None = None  # grouped listings: rows of this model's variant group folded into this one
    # The analysis read only the node's GPU pools (and whether it is a Mac): it holds for every node with the
    # same pools, whatever its RAM and CPU (serving_quant, analyze_all).
    pools_only: bool = False

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def prompt_tokens(self) -> int:
        """The prompt prefill_tps and ttft_ms are quoted at: the asked length, within the context."""
        return min(self.options.prompt_tokens, self.context)

    @property
    def tps_full(self) -> float:
        """tok/s with the whole context in the KV cache."""
        return self._late()[0]

    @property
    def prefill_tps(self) -> float:
        """Prompt tokens per second (prefill.prefill_tps)."""
        return self._late()[1]

    @property
    def ttft_ms(self) -> float | None:
        """Time to first token for a prompt of prompt_tokens (None: never comes)."""
        return self._late()[2]

    def _late(self) -> tuple[float, float, float | None]:
        found = self.shared.get("late")
        if found is None:
            found = self.shared["late"] = late_figures(self)
        return found

    def as_dict(self) -> dict[str, Any]:
        """The Model object (seed fields first, then fleetfit's extras)."""
        return json.loads(self.as_json())  # type: ignore[no-any-return]

    def as_json(self) -> str:
        """The Model object as compact JSON, written directly: the hot path of full-catalog listings."""
        p = self.profile
        run_mode_etc, middle, notes_json, placement_tail, low, basis = self._shared_json()
        confidence = "low" if low else p.entry["confidence"]
        llmfit_keys = _CONFIDENCE_JSON[confidence] + profile_ollama(p, self.placement.quant, self.runtime)
        entry_notes = p.entry.get("notes")
        if entry_notes:
            notes_json = notes_json[:-1] + ("," if len(notes_json) > 2 else "") + _texts(entry_notes)[1:]
        variants = "" if self.variants is None else f',"variants":{self.variants}'
        return (
            f'{{{profile_head(p)},{run_mode_etc},"score":{self.score!r},'
            f'"score_components":{{"quality":{self.quality!r},{middle},"notes":{notes_json},'
            f"{profile_sources(p)},{placement_tail},"
            f'"estimate_confidence":"{confidence}",{llmfit_keys}{basis},{profile_tail(p)}{variants}}}'
        )

    def _shared_json(self) -> tuple[str, str, str, str, bool, str]:
        """The JSON of everything this row shares with its twins (same placement and analysis), written
        once per analysis: only identity, quality, score and catalog notes differ between twins."""
        cached = self.shared.get("json")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        placement, hw = self.placement, self.hw
        pool = placement.pool
        on_gpu = placement.mode != "cpu_only" and pool is not None
        uses_cpu = placement.mode != "gpu"
        ram_gbps = cpu_gbps(hw, placement) if uses_cpu or not on_gpu else 0.0
        if on_gpu and pool is not None:
            method = "bandwidth_roofline" if pool.known else "unknown_gpu_fallback"
            efficiency = round(pool.effective_gbps[self.runtime] / pool.bandwidth_gbps, 3)
            gpu_bw = repr(pool.bandwidth_gbps)
        else:
            # The share of the RAM's peak that CPU decode really streams at (compute-bound CPUs reach less).
            method, gpu_bw = "cpu_bandwidth", "null"
            efficiency = round(ram_gbps / hw.ram_bandwidth_gbps, 3) if hw.ram_bandwidth_gbps else 0.0
        low = bool(
            (on_gpu and pool is not None and not pool.known) or (uses_cpu and hw.ram_bandwidth_source == "default")
        )
        w = placement.weights
        offloaded = (
            repr(round((placement.experts_in_ram_bytes or 0.0) / GIB, 2)) if placement.mode == "moe_offload" else "null"
        )
        gpu_share = repr(placement.gpu_share) if placement.mode == "cpu_offload" else "null"
        level, mode, runtime = self.fit_level, placement.mode, self.runtime
        weights_gb, required_gb = repr(round(w.total / GIB, 2)), repr(round(placement.required_bytes / GIB, 2))
        run_mode_etc = (
            f'"fit_level":"{level}","fit_label":"{FIT_LABELS[level]}",'
            f'"run_mode":"{mode}","run_mode_label":"{RUN_MODE_LABELS[mode]}"'
        )
        middle = (
            f'"speed":{self.speed!r},"fit":{self.fit!r},'
            f'"context":{self.context_score!r}}},"estimated_tps":{self.estimated_tps!r},'
            f'"runtime":"{runtime}","runtime_label":"{RUNTIME_LABELS[runtime]}",'
            f'"best_quant":"{placement.quant}",'
            f'"memory_required_gb":{required_gb},'
            f'"memory_available_gb":{round(placement.available_bytes / GIB, 2)!r},'
            f'"utilization_pct":{self.utilization_pct!r}'
        )
        placement_tail = (
            f'"memory_breakdown":{{"weights_gb":{weights_gb},'
            f'"kv_cache_gb":{round(placement.kv_bytes / GIB, 2)!r},'
            f'"overhead_gb":{round(placement.overhead_bytes / GIB, 2)!r}}},'
            f'"effective_context_length":{self.context},"estimated_tps_full_context":{self.tps_full!r},'
            f'"prefill_tps":{self.prefill_tps!r},"ttft_ms":{"null" if self.ttft_ms is None else repr(self.ttft_ms)},'
            f'"moe_offloaded_gb":{offloaded},"gpu_layers_fraction":{gpu_share},'
            f'"usable_context":{self.usable},"disk_size_gb":{weights_gb},"total_memory_gb":{required_gb},'
            f'"verify_command":{_text(verify_command(self.profile, placement, runtime, self.options.kv_quant, self.prompt_tokens))}'
        )
        basis = (
            f'"estimate_basis":{{"method":"{method}","gpu_bandwidth_gbps":{gpu_bw},'
            f'"ram_bandwidth_gbps":{repr(hw.ram_bandwidth_gbps) if uses_cpu else "null"},'
            f'"efficiency":{efficiency!r},"bytes_per_token_gb":{round(self.bytes_per_token / 1e9, 3)!r},'
            f'"context_tokens":{min(SPEED_CONTEXT, self.context)},"prompt_tokens":{self.prompt_tokens},'
            f'"kv_cache_type":"{self.options.kv_quant}",'
            f'"ram_effective_gbps":{repr(round(ram_gbps, 1)) if uses_cpu else "null"},'
            f'"cpu_limit":{_quote(_limit_of(hw, ram_gbps)) if uses_cpu else "null"},'
            '"source":"estimated","calibration":null},'
            '"installed":null,"measured_tps":null'  # physics only; what the node serves is applied by the API
        )
        cached = (run_mode_etc, middle, _texts(self.shared_notes()), placement_tail, low, basis)
        self.shared["json"] = cached
        return cached

    def notes(self) -> list[str]:
        """Why the row looks as it does: the analysis's notes, then the catalog's notes on the model."""
        return [*self.shared_notes(), *self.profile.entry.get("notes", ())]

    def shared_notes(self) -> list[str]:
        found = self.shared.get("notes")
        if found is None:
            found = self.shared["notes"] = notes(self)
        return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def profile_ollama(p: ModelProfile, quant: str, runtime: str) -> str:
    """The "ollama_name" member for a rung, once per catalog load (it reads only the model's GGUF sources)."""
    key = f"ollama {runtime} {quant}"
    cached = p.json_parts.get(key)
    if cached is None:
        cached = p.json_parts[key] = f'"ollama_name":{_text(ollama_name(p, quant, runtime))},'
    return cached


# estimate_confidence (how complete the model's facts are; an unknown GPU or RAM bandwidth makes it low) in
# words, as llmfit's estimate_confidence_label; where the speed comes from is estimate_basis.source.
CONFIDENCE_LABELS = {
    "high": "estimated (complete model facts)",
    "medium": "estimated (some model facts inferred)",
    "low": "estimated (low confidence: facts or bandwidths assumed)",
}
_CONFIDENCE_JSON = {
    level: f'"estimate_confidence_label":{_quote(label)},' for level, label in CONFIDENCE_LABELS.items()
}
BENCH_PROMPT, BENCH_GENERATE = 512, 128  # llama-bench's -p / -n defaults


def verify_command(
    profile: ModelProfile, placement: Placement, runtime: str, kv_quant: str, prompt_tokens: int
) -> str | None:
    """The llama-bench run that measures this row's decode and prefill as it is placed (llama.cpp only):
    all layers on the GPU (-ngl 99), none (-ngl 0), the offloaded share (-ngl N) or the expert layers kept
    in RAM (--n-cpu-moe N); the KV-cache type when it is not f16 (which needs flash attention)."""
    if runtime != "llamacpp":
        return None
    layers = max(profile.layers, 1)
    mode = placement.mode
    if mode == "cpu_only":
        offload = "-ngl 0"
    elif mode == "cpu_offload":
        offload = f"-ngl {round((placement.gpu_share or 0.0) * layers)}"
    elif mode == "moe_offload":
        per_layer = placement.weights.experts / layers
        in_ram = placement.experts_in_ram_bytes or 0.0
        offload = f"-ngl 99 --n-cpu-moe {min(layers, -int(-in_ram // per_layer)) if per_layer > 0 else layers}"
    else:
        offload = "-ngl 99"
    kv = f" -ctk {kv_quant} -ctv {kv_quant} -fa 1" if kv_quant != DEFAULT_KV_CACHE else ""
    prompt = prompt_tokens or BENCH_PROMPT
    return f"llama-bench -m <path-to-{placement.quant}-gguf> {offload}{kv} -p {prompt} -n {BENCH_GENERATE}"


def ollama_name(profile: ModelProfile, quant: str, runtime: str) -> str | None:
    """An `ollama pull` name for a llama.cpp row: Ollama pulls a Hub GGUF repo as hf.co/{owner}/{repo}:{quant}.
    The first listed GGUF repo (an unsloth one for UD- quants); None when there is none or on MLX."""
    if runtime != "llamacpp":
        return None
    repos = [src.split("huggingface.co/", 1)[1].strip("/") for src in profile.entry.get("gguf_sources", ())
             if "huggingface.co/" in src]  # fmt: skip
    if quant.startswith("UD-"):
        repos = [r for r in repos if r.lower().startswith("unsloth/")]
    repos = [r for r in repos if r.count("/") == 1]
    return f"hf.co/{repos[0]}:{quant}" if repos else None


def analyze(profile: ModelProfile, hw: Hardware, options: Options) -> Fit:
    """The runtime and quant that serve best: on Apple Silicon llama.cpp (GGUF, MXFP4 kept native) and MLX
    are both evaluated where an MLX build exists, and the better served one is kept (ties: the faster)."""
    context = effective_context(profile.context_length, options.max_context)
    best: Fit | None = None
    pools_only = True
    for runtime in runtimes_for(profile, hw, options.quant, options.runtime):
        ladder = (options.quant,) if options.quant else ladder_for(runtime, profile.native_quant)
        fit = serving_quant(profile, hw, options, runtime, ladder, context)
        pools_only = pools_only and fit.pools_only
        if best is None or _runtime_key(fit) > _runtime_key(best):
            best = fit
    assert best is not None
    best.pools_only = pools_only
    return best


def _runtime_key(fit: Fit) -> tuple[bool, float, float]:
    serving = scoring.composite(-QUANTS[fit.placement.quant].quality_penalty, fit.speed, fit.fit, fit.context_score)
    return (fit.fit_level != "too_tight", serving, fit.estimated_tps)


def serving_quant(
    profile: ModelProfile, hw: Hardware, options: Options, runtime: str, ladder: tuple[str, ...], context: int
) -> Fit:
    """The rung that serves best: run_mode gives the highest rung that fits and its mode; each lower rung that
    fits in the same mode is scored too.
    - A better fit level wins first: a rung that lifts a headroom-capped "marginal" to "good" or "perfect" beats
      one that stays marginal, and a Q3 rung never displaces a "good" Q4 that leaves room.
    - Then the better score: a bandwidth-bound CPU or offload path gains more speed than a Q8_0 -> Q4_K_M step
      costs in quality; Q6_K with room beats a Q8_0 that fills the card.
    - Within a level, a rung that all but fills the pool gives way to the lower rung a machine a little smaller
      would get anyway: a Q4_K_M at 99 % (marginal by headroom) to a Q3_K_M at 81 %, which is scored with its
      own fit.
    - Headroom is worth a step down only to Q3 class, the rung practitioners take when Q4 does not fit: a Q2
      rung is scored with the fit of the rung above, so only speed or context can earn it (a Q3_K_M that fits
      at 94 % is not traded for a Q2_K at 79 %), unless the rung above all but overflows the pool (over
      LOW_HEADROOM, 95 %), where a run would swap or fail: a Q3_K_M at 99 % gives way to a Q2_K at 78 %.
    Levels only fall and scores rise then fall down the ladder, so the walk stops at the first rung that loses
    on either. Rungs are compared without the model's own evidence (_Served.serving), which is the same at every
    rung."""
    top = _served(
        profile, hw, runtime, context, run_mode(profile, hw, ladder, context, options.kv_quant), options.kv_quant
    )
    best = _walk(profile, hw, options, runtime, ladder, context, top, walk_in_place(profile, hw, top.placement))
    rungs = _roomy_rungs(profile, options, ladder, top.placement)
    roomy = None if rungs is None else _roomy_alternative(profile, hw, options, runtime, rungs, context)
    if roomy is not None and _level_then_serving(roomy) > _level_then_serving(best):
        best = roomy
    fit = _fit(profile, hw, options, runtime, ladder, context, best)
    if best is not top:
        fit.traded = (top.placement.quant, round(top.tps, 1), top.placement.mode, top.placement.utilization)
    # Host memory and CPU are read only off the pools: run_mode returns a placement on a pool before it looks
    # at RAM, the walk keeps the top's mode (a rung that leaves the pools ends it, whatever RAM holds), a GPU
    # placement decodes from VRAM alone, and the roomy alternative (experts in RAM) is the one step that reads
    # RAM from a GPU top (on unified memory the pool is the RAM, and it has no such step).
    fit.pools_only = top.placement.mode == "gpu" and (rungs is None or hw.unified)
    return fit


def _walk(
    profile: ModelProfile,
    hw: Hardware,
    options: Options,
    runtime: str,
    ladder: tuple[str, ...],
    context: int,
    top: _Served,
    place: Callable[[str], Placement | None] | None = None,
) -> _Served:
    """Down the ladder from `top` in its mode (`place` puts one rung; run_mode by default), keeping the rung
    that serves best (serving_quant's rule)."""
    best = top
    if top.level == "too_tight" or len(ladder) <= 1:
        return best
    most_context = _most_context(profile)
    mode = top.placement.mode
    for quant in ladder[ladder.index(top.placement.quant) + 1 :]:
        if _level_cap(mode, quant) < FIT_ORDER[best.level]:
            break  # its level would fall whatever it uses, and a fall ends the walk: not worth placing
        capped = best.placement.utilization > scoring.HEADROOM  # a lower rung may still lift the level
        if not capped and _most_serving(quant, most_context) <= best.serving:
            break  # neither this rung nor any below can serve better
        placement = place(quant) if place else run_mode(profile, hw, (quant,), context, options.kv_quant)
        if placement is None or not placement.fits or placement.mode != mode:
            break
        candidate = _served(profile, hw, runtime, context, placement, options.kv_quant)
        if QUANTS[quant].tier < TIER_OF_Q3_K_M and best.placement.utilization <= scoring.LOW_HEADROOM:
            # below Q3 class headroom earns nothing, unless the rung held all but overflows the pool
            headroom_free = _serving(quant, candidate.speed, min(candidate.fit, best.fit), candidate.context_score)
            candidate = candidate._replace(serving=headroom_free)
        rise = FIT_ORDER[candidate.level] - FIT_ORDER[best.level]
        if rise > 0 or (rise == 0 and candidate.serving > best.serving):
            best = candidate
        elif rise < 0 or candidate.serving < best.serving:
            break
    return best


def _roomy_rungs(
    profile: ModelProfile, options: Options, ladder: tuple[str, ...], placement: Placement
) -> tuple[str, ...] | None:
    """The rungs a MoE model that fills the GPU (over HEADROOM) or fits it only below Q4 tries with just
    enough experts in RAM instead, as a practitioner runs it (--n-cpu-moe): the same rungs, or from the lowest
    Q4-class rung; never a higher rung than that: a full GPU is not traded for Q8_0 from RAM. None where there
    is no such step: dense models (a layer offload costs far more speed than a lower rung on the GPU), a forced
    quant, a placement not on the GPU or one with room."""
    if not profile.moe or placement.mode != "gpu" or options.quant:
        return None
    at = ladder.index(placement.quant)
    below_q4 = QUANTS[placement.quant].tier < TIER_OF_Q4_K_M
    if below_q4:
        at = max((i for i in range(at) if QUANTS[ladder[i]].tier >= TIER_OF_Q4_K_M), default=at)
    elif placement.utilization <= scoring.HEADROOM:
        return None
    return ladder[at:]


def _roomy_alternative(
    profile: ModelProfile,
    hw: Hardware,
    options: Options,
    runtime: str,
    rungs: tuple[str, ...],
    context: int,
) -> _Served | None:
    """The model on `rungs` (_roomy_rungs) with just enough experts in RAM to leave the GPU room, walked
    like the GPU rungs; None where no rung fits so (or the node has no such placement: unified memory)."""
    offload = roomy_expert_offload(profile, hw, rungs, context, options.kv_quant)
    if offload is None:
        return None
    start = _served(profile, hw, runtime, context, offload, options.kv_quant)

    def place(quant: str) -> Placement | None:
        return roomy_expert_offload(profile, hw, (quant,), context, options.kv_quant)

    return _walk(profile, hw, options, runtime, rungs, context, start, place)


def _most_context(profile: ModelProfile) -> float:
    """The context score of the model's whole window (memoised per profile: it reads no hardware)."""
    found = profile.memo.get("most_context")
    if found is None:
        found = profile.memo["most_context"] = round(scoring.context(profile.context_length, profile.category), 1)
    return found


_LEVEL_CAPS: dict[tuple[str, str], int] = {}


def _level_cap(mode: str, quant: str) -> int:
    """FIT_ORDER of the best level a rung can reach in a mode: scoring.fit_level of a placement there with all
    its layers on the GPU and nothing used (headroom and offload only lower a level), memoised."""
    key = (mode, quant)
    found = _LEVEL_CAPS.get(key)
    if found is None:
        empty = Placement(mode, quant, True, None, Weights(0.0, 0.0, 0.0), 0.0, 0.0, 1.0, gpu_share=1.0)
        found = _LEVEL_CAPS[key] = FIT_ORDER[scoring.fit_level(empty)]
    return found


_MOST_SERVING: dict[tuple[str, float], float] = {}


def _most_serving(quant: str, context_score: float) -> float:
    """The most a rung could serve: full speed and fit, and `context_score` (memoised: few distinct values)."""
    key = (quant, context_score)
    found = _MOST_SERVING.get(key)
    if found is None:
        found = _MOST_SERVING[key] = _serving(quant, 100.0, 100.0, context_score)
    return found


def _level_then_serving(served: _Served) -> tuple[int, float]:
    return FIT_ORDER[served.level], served.serving


class _Served(NamedTuple):
    """What choosing a rung reads: its placement, fit level, speed and the score components it decides."""

    placement: Placement
    level: str
    tps: float
    read_per_token: float
    speed: float
    fit: float
    context_score: float
    serving: float  # the score without the model's own evidence: quality reads only the quant's cost
    usable: int  # usable_context


def _served(
    profile: ModelProfile, hw: Hardware, runtime: str, context: int, placement: Placement, kv_quant: str
) -> _Served:
    level = "too_tight" if profile.mlx_only and not hw.apple else scoring.fit_level(placement)
    fits = level != "too_tight"
    tps, read_per_token = decode_tps(profile, hw, placement, runtime, min(SPEED_CONTEXT, context), kv_quant)
    category = profile.category
    speed = _one_decimal(scoring.speed(tps, category)) if fits else 0.0
    fit = _one_decimal(scoring.fit(placement.utilization, fits)) if fits else 0.0
    usable = usable_context(profile, placement, kv_quant)
    context_score = _one_decimal(scoring.context(usable, category)) if fits else 0.0
    return _Served(
        placement,
        level,
        tps,
        read_per_token,
        speed,
        fit,
        context_score,
        _serving(placement.quant, speed, fit, context_score),
        usable,
    )


def _one_decimal(score: float) -> float:
    """round(score, 1), which a score clamped to 0 or 100 (a full fit, a full window) already is."""
    return score if score == 100.0 or score == 0.0 else round(score, 1)


def _serving(quant: str, speed: float, fit: float, context_score: float) -> float:
    """What a rung is worth to serve: the seed's composite with the quant's quality cost for quality."""
    return scoring.composite(_QUANT_COST[quant], speed, fit, context_score)


_QUANT_COST = {quant: -q.quality_penalty for quant, q in QUANTS.items()}  # the quality _serving credits a rung


def _fit(
    profile: ModelProfile,
    hw: Hardware,
    options: Options,
    runtime: str,
    ladder: tuple[str, ...],
    context: int,
    served: _Served,
) -> Fit:
    """The Fit record of the chosen rung: quality with the model's evidence, the composite, full-context tok/s."""
    placement = served.placement
    quality = _quality_at(profile, options, placement.quant)
    # Positional, in field order (a keyword call costs ~0.8 us more; twelve thousand are made per System).
    return Fit(
        profile,
        hw,
        options,
        placement,
        runtime,
        ladder,
        context,
        served.level,
        served.tps,
        round(served.tps, 1),
        quality,
        served.speed,
        served.fit,
        served.context_score,
        scoring.composite(quality, served.speed, served.fit, served.context_score),
        round(100.0 * placement.utilization, 1) if placement.available_bytes > 0 else 0.0,
        served.read_per_token,
        served.usable,
    )


def late_figures(fit: Fit) -> tuple[float, float, float | None]:
    """(tok/s at the full context, prefill tok/s, time to first token) of a row, rounded as written out.
    No filter, sort or digest reads them, so they are computed when a row is written (once per analysis:
    twins share them), not for every row of a ranking."""
    tps_full, _ = decode_tps(fit.profile, fit.hw, fit.placement, fit.runtime, fit.context, fit.options.kv_quant)
    prefill = prefill_tps(fit.profile, fit.hw, fit.placement)
    return round(tps_full, 1), round(prefill, 1), _round(ttft_ms(fit.prompt_tokens, prefill, fit.tps))


# Analyses that read only the node's GPU pools (Fit.pools_only), per pools and options: a node of another
# hardware class with the same cards (more RAM, another CPU) reuses them. Kept for the last few pool sets.
POOLS_KEPT = 8
_BY_POOLS: dict[tuple[Any, ...], dict[tuple[int, int, str, bool, bool], Fit]] = {}
_BY_POOLS_LOCK = threading.Lock()


def analyze_all(profiles: Iterable[ModelProfile], hw: Hardware, options: Options) -> list[Fit]:
    """analyze for many models at once. Fine-tunes of one base model with the same window and use case
    (same physics id) place and run identically: they share one analysis and differ only in quality
    (their release dates) and so in score. An analysis that read only the GPU pools is the same on every
    node with these pools: one made for another node is taken with this node's hardware (_twin)."""
    done: dict[tuple[int, int, str, bool, bool], Fit] = {}
    held = _held_for(hw, options)
    out: list[Fit] = []
    for profile in profiles:
        key = (profile.physics_id, profile.context_length, profile.category, profile.mlx_only, profile.has_mlx_build)
        twin, elsewhere = done.get(key), None
        if twin is None or profile.physics_id < 0:
            elsewhere = held.get(key) if profile.physics_id >= 0 else None
            if elsewhere is None:
                fit = done[key] = analyze(profile, hw, options)
                if fit.pools_only and profile.physics_id >= 0:
                    held[key] = fit
                out.append(fit)
                continue
            twin = elsewhere
        quality = _quality_at(profile, options, twin.placement.quant)
        score = scoring.composite(quality, twin.speed, twin.fit, twin.context_score)
        fit = _twin(profile, twin, quality, score, None if elsewhere is None else hw)
        if elsewhere is not None:
            done[key] = fit
        out.append(fit)
    return out


def _held_for(hw: Hardware, options: Options) -> dict[tuple[int, int, str, bool, bool], Fit]:
    """The pools-only analyses kept for nodes with hw's pools and these options (a new, kept dict if none)."""
    if not hw.pools:
        return {}  # no GPU: every analysis reads RAM and CPU
    key = (hw.pools, hw.unified, hw.apple, options)
    with _BY_POOLS_LOCK:
        found = _BY_POOLS.pop(key, None)
        if found is None:
            found = {}
            while len(_BY_POOLS) >= POOLS_KEPT:
                del _BY_POOLS[next(iter(_BY_POOLS))]  # the least recently used pools
        _BY_POOLS[key] = found
    return found


def forget_pools_analyses() -> None:
    """Drop the analyses kept per pools (a new catalog's profiles never match them; tests start clean)."""
    with _BY_POOLS_LOCK:
        _BY_POOLS.clear()


def _twin(profile: ModelProfile, twin: Fit, quality: float, score: float, hw: Hardware | None = None) -> Fit:
    """`twin`'s analysis for another entry of the same physics: its own quality and score (positional, in
    field order, as _fit). With `hw`: twin is a pools-only analysis made for another node with the same pools,
    taken with this node's hardware and none of twin's written output (late figures, JSON and notes are this
    node's)."""
    t = twin
    return Fit(
        profile,
        t.hw if hw is None else hw,
        t.options,
        t.placement,
        t.runtime,
        t.ladder,
        t.context,
        t.fit_level,
        t.tps,
        t.estimated_tps,
        quality,
        t.speed,
        t.fit,
        t.context_score,
        score,
        t.utilization_pct,
        t.bytes_per_token,
        t.usable,
        t.shared if hw is None else {},
        t.traded,
        None,
        t.pools_only,
    )


def _quality_at(profile: ModelProfile, options: Options, quant: str) -> float:
    """The model's quality at a rung, rounded as written (memoised per profile, reference date and rung: every
    node that serves the model at that rung reads the same)."""
    at: dict[str, float] | None = profile.memo.get(options.quality_key)  # one entry per date (memory.MAX_MEMO)
    if at is None:
        at = profile.memo[options.quality_key] = {}  # rung -> quality
    found = at.get(quant)
    if found is None:
        found = at[quant] = round(scoring.quality(_quality_base(profile, options), quant), 1)
    return found


def _quality_base(profile: ModelProfile, options: Options) -> float:
    """The model's quality before the quant (memoised per catalog reference date)."""
    base = profile.memo.get(options.reference_date)
    if base is None:
        active = profile.active_params if profile.moe else None
        base = profile.memo[options.reference_date] = scoring.entry_quality_base(
            profile.entry, profile.params, active, profile.category, options.reference_date
        )
    return base


def cpu_gbps(hw: Hardware, placement: Placement) -> float:
    """GB/s the CPU's share of this placement streams at: the node's CPU rate, or what its threads dequantize
    of this quant's types when those cost more or less than Q4_K (quants.cpu_dequant_cost)."""
    cost = placement.weights.cpu_cost
    if cost == 1.0:
        return hw.cpu_effective_gbps
    return cpu_bandwidth_effective(hw.ram_bandwidth_gbps, hw.cpu_threads, hw.arm, cost)


def cpu_limit(hw: Hardware, placement: Placement) -> str:
    """What bounds CPU decode here: "memory" (CPU_EFFICIENCY x the RAM's peak) or "compute" (what the
    threads can dequantize, speed.CPU_GBPS_PER_THREAD over the quant's cost)."""
    return _limit_of(hw, cpu_gbps(hw, placement))


def _limit_of(hw: Hardware, used_gbps: float) -> str:
    return "compute" if used_gbps < CPU_EFFICIENCY * hw.ram_bandwidth_gbps - 1e-6 else "memory"


def cpu_basis_note(hw: Hardware, placement: Placement) -> str:
    """The bandwidth CPU decode was estimated at, and why."""
    used, peak = cpu_gbps(hw, placement), hw.ram_bandwidth_gbps
    source = {"reported": "as the node reported it", "table": "from fleetfit's CPU table"}.get(
        hw.ram_bandwidth_source, "assumed"
    )
    if cpu_limit(hw, placement) == "compute":
        per_thread = CPU_GBPS_PER_THREAD["arm" if hw.arm else "x86"] / placement.weights.cpu_cost
        return (
            f"CPU decode estimated at {used:.0f} GB/s: {hw.cpu_threads} thread{'s' if hw.cpu_threads != 1 else ''} x "
            f"{per_thread:.1f} GB/s of "
            f"dequantization, under {CPU_EFFICIENCY:.0%} of the RAM's {peak:.0f} GB/s ({source})"
        )
    return f"CPU decode estimated at {used:.0f} GB/s: {CPU_EFFICIENCY:.0%} of the RAM's {peak:.0f} GB/s ({source})"


def _roomier_quant(profile: ModelProfile, placement: Placement, ladder: tuple[str, ...]) -> str | None:
    """The next rung down that would use at most HEADROOM of the same pool, if any."""
    fixed = placement.kv_bytes + placement.overhead_bytes
    for quant in ladder[ladder.index(placement.quant) + 1 :]:
        if weights(profile, quant).total + fixed <= scoring.HEADROOM * placement.available_bytes:
            return quant
    return None


def notes(fit: Fit) -> list[str]:
    """Why the row looks as it does, in the user's words (the catalog's own notes on the model excepted:
    twins share these, not those)."""
    profile, hw, placement, options = fit.profile, fit.hw, fit.placement, fit.options
    level, context, runtime, ladder = fit.fit_level, fit.context, fit.runtime, fit.ladder
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
    if options.kv_quant != DEFAULT_KV_CACHE:
        out.append(
            f"KV cache in {options.kv_quant} (llama.cpp --cache-type-k/--cache-type-v {options.kv_quant}); "
            "assumes flash attention (-fa on), which llama.cpp needs for a quantized V cache"
        )
    if options.quant:
        out.append(f"Quantization forced to {options.quant}")
    elif fit.traded is not None:
        out.append(traded_note(fit))
    elif level != "too_tight" and placement.quant != ladder[0]:
        better = ladder[ladder.index(placement.quant) - 1]
        need = weights(profile, better).total + placement.kv_bytes + placement.overhead_bytes
        out.append(f"{placement.quant} is the best quant that fits; {better} needs {need / GIB:.1f} GiB")
    if pool is not None and placement.mode != "cpu_only":
        if pool.count > 1 and not pool.unified:
            out.append(split_note(pool, profile.layers))
        if len(hw.pools) > 1:
            out.append(f"Evaluated on {pool.label}; GPUs of different backends are not pooled")
        if not pool.known:
            out.append(
                f"GPU '{pool.name}' is not in fleetfit's table: speed assumes {pool.bandwidth_gbps:.0f} GB/s, "
                "a low-end card of its backend"
            )
        free = pool.free_total
        if placement.mode == "gpu" and free is not None and not pool.unified and free * GIB < placement.required_bytes:
            out.append(f"Only {free:.1f} GiB of this GPU memory was free when the node reported")
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
        out.append(f"Requires layer offloading: {placement.gpu_share:.0%} of layers on the GPU, the rest in system RAM")
    if level != "too_tight" and placement.utilization > scoring.HEADROOM:
        roomier = _roomier_quant(profile, placement, ladder)
        hint = f"; {roomier} would leave more room" if roomier else ""
        out.append(f"Low headroom: uses {placement.utilization:.0%} of available memory{hint}")
    if placement.mode != "gpu" and level != "too_tight":
        out.append(cpu_basis_note(hw, placement))
    if placement.mode != "gpu" and hw.ram_bandwidth_source == "default":
        out.append(f"RAM bandwidth of this CPU is unknown: assumed {hw.ram_bandwidth_gbps:.0f} GB/s")
    if profile.native_quant == "MXFP4" and runtime == "llamacpp":
        out.append("Experts stay in MXFP4 in every GGUF of this model")
    if runtime == "mlx":
        out.append("Runs with MLX (an MLX build of this model exists)")
    elif hw.apple and profile.has_mlx_build and not options.quant:
        out.append("Runs with llama.cpp: it serves this model better here than its MLX build")
    return out


def traded_note(fit: Fit) -> str:
    """What serving_quant passed over, and the speeds: "Q5_K_M serves best here: Q6_K also fits: 33.1 vs 37.3
    tok/s", or for a MoE model moved off a full GPU, what all on the GPU would have used."""
    assert fit.traded is not None
    higher, higher_tps, mode, utilization = fit.traded
    placement = fit.placement
    speeds = f"{higher_tps:.1f} vs {fit.estimated_tps:.1f} tok/s"
    if mode != placement.mode:
        why = f"would use {utilization:.0%} of its memory" if higher == placement.quant else f"fits only at {higher}"
        return f"{placement.quant} with some experts in system RAM serves best here: all on the GPU {why}: {speeds}"
    return f"{placement.quant} serves best here: {higher} also fits: {speeds}"


def split_note(pool: GpuPool, layers: int) -> str:
    """ "Layers split 41/39 across NVIDIA GeForce RTX 4090 and NVIDIA GeForce RTX 3090" (per card, node order)."""
    counts = "/".join(map(str, layer_split(pool, layers)))
    if pool.mixed:
        names = [g.name if g.count == 1 else f"{g.count}x {g.name}" for g in pool.groups]
        where = ", ".join(names[:-1]) + " and " + names[-1]
    else:
        where = pool.label
    return f"Layers split {counts} across {where}"

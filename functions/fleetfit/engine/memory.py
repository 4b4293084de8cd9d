"""Memory steps: weights, kv_cache, overhead. All sizes in bytes; callers convert to GiB for output."""

from __future__ import annotations

from typing import NamedTuple

from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import (
    DEFAULT_KV_CACHE,
    EXPERT_MASK,
    ROLE_ORDER,
    Role,
    cpu_dequant_cost,
    kv_bytes_per_element,
    role_bits,
)

EMBED_INDEX = ROLE_ORDER.index(Role.EMBED)
_BITS: dict[tuple[int, str], tuple[float, ...]] = {}

GIB = float(2**30)
# Values kept per profile (ModelProfile.memo): a listing asks KV bytes at two or three contexts per model;
# bounded, so that queries with ever new max_context values cannot grow a long-lived process's memory.
MAX_MEMO = 8

# Fixed memory a runtime holds besides weights, KV and compute buffers, per device:
# CUDA/ROCm context and cuBLAS workspace ~457 MiB (Ollama's per-GPU reserve, estimation-methods 2.3),
# Metal 512 MiB (Ollama), CPU process and host buffers ~256 MiB (gguf-parser 150 MiB RAM + mmap slack).
RUNTIME_RESERVE_BYTES: dict[str, float] = {
    "CUDA": 457 * 2**20,
    "ROCm": 457 * 2**20,
    "Vulkan": 457 * 2**20,
    "SYCL": 457 * 2**20,
    "Metal": 512 * 2**20,
    "CPU": 256 * 2**20,
}


class Weights(NamedTuple):  # a tuple: tens of thousands are made per catalog load (engine.prepared)
    total: float  # bytes of every tensor
    experts: float  # bytes of routed-expert tensors (MoE), movable to system RAM
    active: float  # bytes read to decode one token
    cpu_cost: float = 1.0  # CPU dequantization cost per byte read, relative to Q4_K (quants.cpu_dequant_cost)


def weights(profile: ModelProfile, quant: str) -> Weights:
    """weights = sum over tensor roles of params x bits-per-weight of the type the quantizer gives that role.

    Source: llama.cpp `llama_tensor_get_type` (quants.mix_for, quants.role_bits).
    """
    try:
        return profile.weights_cache[quant]  # type: ignore[no-any-return]  # a prepared cache fills itself
    except KeyError:
        result = profile.weights_cache[quant] = weights_of(profile, quant)
        return result


def weights_of(profile: ModelProfile, quant: str) -> Weights:
    """weights, computed (no cache): what a catalog's prepared invariants (engine.prepared) hold per rung."""
    key = (profile.signature, quant)
    bits = _BITS.get(key)
    if bits is None:
        bits = _BITS[key] = role_bits(quant, *profile.signature_facts)
    total = experts = active = cost = 0.0
    for count, bpw, share, is_expert in zip(profile.role_vector, bits, profile.active_vector, EXPERT_MASK, strict=True):
        size = count * bpw
        total += size
        active += size * share
        if size * share:
            cost += size * share * cpu_dequant_cost(bpw)
        if is_expert:
            experts += size
    if profile.tied_embeddings:
        # The tied matrix is also the output projection: decoding reads all of it once per token.
        tied = profile.role_vector[EMBED_INDEX] * bits[EMBED_INDEX]
        active += tied
        cost += tied * cpu_dequant_cost(bits[EMBED_INDEX]) if tied else 0.0
    mean_cost = cost / active if active else 1.0
    return Weights(total / 8.0, experts / 8.0, active / 8.0, mean_cost)


def kv_cache(profile: ModelProfile, context: int, kv_quant: str = DEFAULT_KV_CACHE) -> float:
    """KV bytes at `context` tokens: 2 x layers x kv_heads x head_dim x bytes per element x tokens,
    with sliding-window layers capped at their window, MLA caching its latent, recurrent layers a constant
    state (estimation-methods 2.2). Elements are f16 (2 bytes) unless `kv_quant` names another llama.cpp
    cache type (--cache-type-k/-v: q8_0 1.0625 bytes, q4_0 0.5625); the recurrent state stays f32."""
    key = (context, kv_quant)
    found: float | None = profile.memo.get(key)  # System-independent: kept per profile for every later node
    if found is not None:
        return found
    kv = profile.kv
    if kv_quant == DEFAULT_KV_CACHE:
        found = kv.bytes_at(context)
    else:
        scale = kv_bytes_per_element(kv_quant) / kv_bytes_per_element(DEFAULT_KV_CACHE)
        found = (kv.bytes_at(context) - kv.constant_bytes) * scale + kv.constant_bytes
    if len(profile.memo) < MAX_MEMO:  # the few contexts every node asks for; a query's own max_context is not kept
        profile.memo[key] = found
    return found


def overhead(profile: ModelProfile, backend: str, devices: int = 1) -> float:
    """Runtime reserve plus one compute buffer per device that runs layers (llama.cpp allocates one each)."""
    reserve = RUNTIME_RESERVE_BYTES.get(backend, RUNTIME_RESERVE_BYTES["CUDA"])
    return devices * (reserve + profile.compute_buffer_bytes)

"""Memory steps: weights, kv_cache, overhead. All sizes in bytes; callers convert to GiB for output."""

from __future__ import annotations

from dataclasses import dataclass

from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import EXPERT_ROLES, Role, bits_of, mix_for

GIB = float(2**30)

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


@dataclass(frozen=True, slots=True)
class Weights:
    total: float  # bytes of every tensor
    experts: float  # bytes of routed-expert tensors (MoE), movable to system RAM
    active: float  # bytes read to decode one token


def weights(profile: ModelProfile, quant: str) -> Weights:
    """weights = sum over tensor roles of params x bits-per-weight of the type the quantizer gives that role.

    Source: llama.cpp `llama_tensor_get_type` (see quants.mix_for); MXFP4-native models (gpt-oss) keep
    their experts in MXFP4 whatever the label (unsloth/gpt-oss-20b-GGUF: Q2_K ... Q5_K_M all 11.5-11.7 GB).
    """
    cached = profile.weights_cache.get(quant)
    if cached is None:
        cached = _weights_uncached(profile, quant)
        profile.weights_cache[quant] = cached
    return Weights(*cached)


def _weights_uncached(profile: ModelProfile, quant: str) -> tuple[float, float, float]:
    mix = mix_for(quant, layers=profile.layers, gqa=profile.gqa, experts=profile.experts)
    native_mxfp4 = profile.entry.native_quant == "MXFP4"
    total = experts = active = 0.0
    for role, count in profile.role_params.items():
        if count <= 0:
            continue
        rows = profile.role_rows.get(role)
        if role in EXPERT_ROLES and (native_mxfp4 or quant == "MXFP4"):
            bits = bits_of("MXFP4", None)
        else:
            parts = mix[Role.OUTPUT] if role is Role.EMBED and profile.tied_embeddings else mix[role]
            bits = sum(share * bits_of(storage, rows) for share, storage in parts)
        size = count * bits / 8.0
        total += size
        if role in EXPERT_ROLES:
            experts += size
        active += size * profile.active_share.get(role, 1.0)
    if profile.tied_embeddings:
        # The tied matrix is also the output projection: decoding reads all of it once per token.
        active += profile.role_params[Role.EMBED] * sum(
            share * bits_of(storage, profile.role_rows[Role.EMBED]) for share, storage in mix[Role.OUTPUT]
        ) / 8.0
    return total, experts, active


def kv_cache(profile: ModelProfile, context: int) -> float:
    """KV bytes at `context` tokens: 2 x layers x kv_heads x head_dim x 2 bytes (f16) x tokens,
    with sliding-window layers capped at their window, MLA caching its latent, recurrent layers a constant
    state (estimation-methods 2.2)."""
    return profile.kv.bytes_at(context)


def overhead(profile: ModelProfile, backend: str, devices: int = 1) -> float:
    """Runtime reserve plus one compute buffer per device that runs layers (llama.cpp allocates one each)."""
    reserve = RUNTIME_RESERVE_BYTES.get(backend, RUNTIME_RESERVE_BYTES["CUDA"])
    return devices * (reserve + profile.compute_buffer_bytes)

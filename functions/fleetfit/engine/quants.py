"""Quantization facts: bits per weight of each storage type and how a quant label mixes them.

A GGUF "Q4_K_M" file is not 4 bits everywhere: llama.cpp's quantizer (`llama_tensor_get_type` in
src/llama-quant.cpp) gives attention-V, FFN-down, the output matrix and sometimes the embeddings a
higher type, and falls back to a legacy type when a row is not a multiple of the 256-weight K-block.
Modelling that per tensor role is what makes sizes true for small models, whose embeddings dominate.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

# Bits per weight of each ggml storage type, scales included (ggml block definitions:
# ggml/src/ggml-common.h; estimation-methods.md 2.1). MXFP4: 32 x 4-bit + one 8-bit scale = 4.25.
TYPE_BPW: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.5625,
    "Q5_1": 6.0,
    "Q5_0": 5.5,
    "Q5_K": 5.5,
    "Q4_K": 4.5,
    "Q4_0": 4.5,
    "IQ4_NL": 4.5,
    "MXFP4": 4.25,
    "Q3_K": 3.4375,
    "Q2_K": 2.625,
    # MLX affine quantization: n bits + an fp16 scale and bias per 64-weight group (mlx.core.quantize).
    "MLX8": 8.5,
    "MLX6": 6.5,
    "MLX4": 4.5,
    "MLX3": 3.5,
}

# K-quant types need rows that are a multiple of 256; llama.cpp substitutes these otherwise.
K_BLOCK = 256
K_FALLBACK: dict[str, str] = {"Q2_K": "IQ4_NL", "Q3_K": "IQ4_NL", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}


class Role:
    """Tensor roles the quantizer treats differently (plain strings: they key hot dictionaries)."""

    EMBED = "embed"
    OUTPUT = "output"
    ATTN_Q = "attn_q"
    ATTN_K = "attn_k"
    ATTN_V = "attn_v"
    ATTN_O = "attn_o"
    FFN_GATE_UP = "ffn_gate_up"
    FFN_DOWN = "ffn_down"
    EXPERT_GATE_UP = "expert_gate_up"
    EXPERT_DOWN = "expert_down"
    SMALL = "small"  # routers, norms, biases: kept in F32


ALL_ROLES: tuple[str, ...] = (
    Role.EMBED,
    Role.OUTPUT,
    Role.ATTN_Q,
    Role.ATTN_K,
    Role.ATTN_V,
    Role.ATTN_O,
    Role.FFN_GATE_UP,
    Role.FFN_DOWN,
    Role.EXPERT_GATE_UP,
    Role.EXPERT_DOWN,
    Role.SMALL,
)
EXPERT_ROLES = frozenset({Role.EXPERT_GATE_UP, Role.EXPERT_DOWN})
# A mix: per role, a tuple of (share of that role's weights, ggml type); shares sum to 1.
Mix = Mapping[str, tuple[tuple[float, str], ...]]


@dataclass(frozen=True, slots=True)
class Quant:
    label: str
    tier: int  # 6 = full quality (F16/native) ... 1 = Q2_K; fit levels and quality use it
    quality_penalty: float  # points off the quality score (perplexity cost of the quant)
    runtime: str  # "llamacpp" or "mlx"


# Quality penalties follow llama.cpp's published perplexity increase for Llama-3-8B
# (examples/quantize/README / PR #5962 tables): Q8_0 ~0, Q6_K +0.01, Q5_K_M +0.03, Q4_K_M +0.09,
# Q3_K_M +0.30, Q2_K +1.1 PPL, scaled to points.
QUANTS: dict[str, Quant] = {
    q.label: q
    for q in (
        Quant("F16", 6, 0.0, "llamacpp"),
        Quant("MXFP4", 6, 0.0, "llamacpp"),
        Quant("Q8_0", 6, 0.0, "llamacpp"),
        Quant("Q6_K", 5, 1.0, "llamacpp"),
        Quant("Q5_K_M", 5, 2.0, "llamacpp"),
        Quant("Q4_K_M", 4, 4.0, "llamacpp"),
        Quant("Q4_0", 4, 6.0, "llamacpp"),
        Quant("Q3_K_M", 2, 9.0, "llamacpp"),
        Quant("Q2_K", 1, 18.0, "llamacpp"),
        Quant("mlx-8bit", 6, 0.0, "mlx"),
        Quant("mlx-6bit", 5, 1.0, "mlx"),
        Quant("mlx-4bit", 4, 5.0, "mlx"),
        Quant("mlx-3bit", 2, 10.0, "mlx"),
    )
}
GGUF_LADDER: tuple[str, ...] = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")
MLX_LADDER: tuple[str, ...] = ("mlx-8bit", "mlx-6bit", "mlx-4bit", "mlx-3bit")
NATIVE_LADDER: dict[str, tuple[str, ...]] = {"MXFP4": ("MXFP4",)}
FORCEABLE: tuple[str, ...] = ("F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K", "MXFP4")
TIER_OF_Q5_K_M = QUANTS["Q5_K_M"].tier
TIER_OF_Q4_K_M = QUANTS["Q4_K_M"].tier


@functools.cache
def use_more_bits_share(layers: int | None) -> float:
    """Share of layers llama.cpp's `use_more_bits` upgrades (first and last eighth, every third between)."""
    if not layers:
        return 0.5
    chosen = sum(1 for i in range(layers) if i < layers // 8 or i >= 7 * layers // 8 or (i - layers // 8) % 3 == 2)
    return chosen / layers


def _split(share: float, high: str, low: str) -> tuple[tuple[float, str], ...]:
    return ((share, high), (1.0 - share, low))


@functools.cache
def mix_for(label: str, *, layers: int | None, gqa: int | None, experts: int | None) -> Mix:
    """Storage type of each tensor role under quant `label` (before the 256-row fallback)."""
    uniform = {"F16": "F16", "Q8_0": "Q8_0", "Q6_K": "Q6_K", "mlx-8bit": "MLX8", "mlx-6bit": "MLX6"}
    if label in uniform:
        return {role: ((1.0, uniform[label]),) for role in ALL_ROLES if role != Role.SMALL} | {
            Role.SMALL: ((1.0, "F32"),)
        }
    if label in ("mlx-4bit", "mlx-3bit"):
        bits = "MLX4" if label == "mlx-4bit" else "MLX3"
        return {role: ((1.0, bits),) for role in ALL_ROLES if role != Role.SMALL} | {Role.SMALL: ((1.0, "F32"),)}
    more = use_more_bits_share(layers)
    n = layers or 32
    base = {"Q5_K_M": "Q5_K", "Q4_K_M": "Q4_K", "Q4_0": "Q4_0", "Q3_K_M": "Q3_K", "Q2_K": "Q2_K", "MXFP4": "Q8_0"}[
        label
    ]
    mix: dict[str, tuple[tuple[float, str], ...]] = {role: ((1.0, base),) for role in ALL_ROLES}
    mix[Role.SMALL] = ((1.0, "F32"),)
    mix[Role.OUTPUT] = ((1.0, "Q8_0" if label == "MXFP4" else "Q6_K"),)
    if label in ("Q5_K_M", "Q4_K_M"):
        for role in (Role.ATTN_V, Role.FFN_DOWN, Role.EXPERT_DOWN):
            mix[role] = _split(more, "Q6_K", base)
    elif label == "Q3_K_M":
        mix[Role.ATTN_V] = _split(min(1.0, 2 / n), "Q5_K", "Q4_K")
        mix[Role.ATTN_O] = ((1.0, "Q4_K"),)
        for role in (Role.FFN_DOWN, Role.EXPERT_DOWN):
            mix[role] = _split((n // 16) / n, "Q5_K", "Q4_K")
    elif label == "Q2_K":
        mix[Role.ATTN_V] = ((1.0, "Q4_K" if (gqa or 1) >= 4 else "Q3_K"),)
        mix[Role.ATTN_O] = ((1.0, "Q3_K"),)
        for role in (Role.FFN_DOWN, Role.EXPERT_DOWN):
            mix[role] = ((1.0, "Q3_K"),)
    if (gqa or 1) >= 8 and label in ("Q4_K_M", "Q3_K_M", "Q2_K"):
        # Eight query heads share each V head, so V is small and llama.cpp keeps it at Q5_K at least.
        mix[Role.ATTN_V] = tuple((share, "Q5_K" if t in ("Q3_K", "Q4_K") else t) for share, t in mix[Role.ATTN_V])
    if experts == 8 and label != "MXFP4":
        # Mixtral-style 8-expert models: attention K/V go to Q8_0 and the output projection to Q5_K.
        mix[Role.ATTN_V] = ((1.0, "Q8_0"),)
        mix[Role.ATTN_K] = ((1.0, "Q8_0"),)
        if label in ("Q2_K", "Q3_K_M", "Q4_K_M", "Q4_0"):
            mix[Role.ATTN_O] = ((1.0, "Q5_K"),)
    return mix


def bits_of(storage: str, row_length: int | None) -> float:
    """Bits per weight of a storage type for rows of `row_length`, applying the K-block fallback."""
    if row_length and storage in K_FALLBACK and row_length % K_BLOCK:
        storage = K_FALLBACK[storage]
    return TYPE_BPW[storage]


ROLE_ORDER: tuple[str, ...] = ALL_ROLES
EXPERT_MASK: tuple[bool, ...] = tuple(role in EXPERT_ROLES for role in ROLE_ORDER)


@functools.cache
def role_bits(
    quant: str,
    layers: int | None,
    gqa: int | None,
    experts: int | None,
    tied: bool,
    native_mxfp4: bool,
    rows: tuple[int | None, ...],
) -> tuple[float, ...]:
    """Bits per weight of each role in ROLE_ORDER under `quant`, for one architecture signature.

    `rows` gives each role's row length (the K-block fallback needs it). MXFP4-native models keep
    their experts in MXFP4 whatever the label (unsloth/gpt-oss-20b-GGUF: Q2_K ... Q5_K_M all 11.5-11.7 GB).
    """
    mix = mix_for(quant, layers=layers, gqa=gqa, experts=experts)
    out = []
    for role, row in zip(ROLE_ORDER, rows, strict=True):
        if role in EXPERT_ROLES and (native_mxfp4 and QUANTS[quant].runtime == "llamacpp" or quant == "MXFP4"):
            out.append(TYPE_BPW["MXFP4"])
            continue
        parts = mix[Role.OUTPUT] if role == Role.EMBED and tied else mix[role]
        out.append(sum(share * bits_of(storage, row) for share, storage in parts))
    return tuple(out)


def ladder_for(runtime: str, native_quant: str | None) -> tuple[str, ...]:
    if native_quant in NATIVE_LADDER and runtime == "llamacpp":
        return NATIVE_LADDER[native_quant]
    return MLX_LADDER if runtime == "mlx" else GGUF_LADDER

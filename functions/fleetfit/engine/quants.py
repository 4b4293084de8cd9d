"""Quantization facts: bytes of each storage type and how a quant label mixes them over tensor roles.

A GGUF "Q4_K_M" file is not 4 bits everywhere: llama.cpp's quantizer (`llama_tensor_get_type` in
src/llama-quant.cpp) gives attention-V, FFN-down, the output matrix and sometimes the embeddings a
higher type, and falls back to a legacy type when a row is not a multiple of the 256-weight K-block.
Modelling that per tensor role is what makes sizes true for small models, whose embeddings dominate.
The rows (types, labels, unsloth's dynamic recipes) are data: engine/data/quants.json, one row a line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any


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
class StorageType:
    name: str
    block: int  # weights per block
    bytes: int  # bytes per block, scales included
    fallback: str | None  # type used when a row is not a multiple of `block` (llama.cpp tensor_type_fallback)

    @property
    def bpw(self) -> float:
        return 8.0 * self.bytes / self.block


@dataclass(frozen=True, slots=True)
class Quant:
    label: str
    tier: int  # 6 = full quality (F16/native) ... 1 = Q2_K and below; fit levels and quality use it
    quality_penalty: float  # points off the quality score (perplexity cost of the quant)
    runtime: str  # "llamacpp" or "mlx"
    ftype: str = ""  # llama.cpp file type whose tensor rules apply (or the MLX type)
    upgrades: tuple[tuple[str, str, float], ...] = ()  # (role, at-least type, share of layers)
    moe_upgrades: tuple[tuple[str, str, float], ...] = ()  # the same, only for models with routed experts
    moe_sets: tuple[tuple[str, str, float], ...] = ()  # (role, type, share): share of layers at type, rest at base


def _upgrades(raw: Mapping[str, str]) -> tuple[tuple[str, str, float], ...]:
    out = []
    for role, spec in raw.items():
        storage, _, share = spec.partition("@")
        if role not in ALL_ROLES:
            raise ValueError(f"quants.json: unknown role {role!r}")
        out.append((role, storage, float(share) if share else 1.0))
    return tuple(out)


def _load() -> tuple[dict[str, StorageType], dict[str, Quant]]:
    """Read and validate engine/data/quants.json (every type a label or fallback names must exist)."""
    data: dict[str, Any] = json.loads(resources.files("fleetfit.engine").joinpath("data/quants.json").read_text())
    types = {
        row["type"]: StorageType(row["type"], int(row["block"]), int(row["bytes"]), row.get("fallback"))
        for row in data["types"]
    }
    quants: dict[str, Quant] = {}
    for row in data["labels"]:
        quant = Quant(
            row["label"],
            int(row["tier"]),
            float(row["penalty"]),
            row.get("runtime", "llamacpp"),
            row["ftype"],
            _upgrades(row.get("upgrades", {})),
            _upgrades(row.get("moe_upgrades", {})),
            _upgrades(row.get("moe_sets", {})),
        )
        if not 1 <= quant.tier <= 6 or not row.get("source"):
            raise ValueError(f"quants.json: {quant.label} needs a tier 1-6 and a source")
        named = [t for _, t, _ in (*quant.upgrades, *quant.moe_upgrades, *quant.moe_sets)]
        for storage in named:
            if storage not in types:
                raise ValueError(f"quants.json: {quant.label} names unknown type {storage}")
        quants[quant.label] = quant
    for kind in types.values():
        if kind.fallback is not None and kind.fallback not in types:
            raise ValueError(f"quants.json: {kind.name} falls back to unknown type {kind.fallback}")
    return types, quants


TYPES, QUANTS = _load()
TYPE_BPW: dict[str, float] = {name: t.bpw for name, t in TYPES.items()}
# K-quant and i-quant types need rows that are a multiple of 256; llama.cpp substitutes these otherwise.
K_BLOCK = 256
K_FALLBACK: dict[str, str] = {name: t.fallback for name, t in TYPES.items() if t.fallback}

GGUF_LADDER: tuple[str, ...] = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")
MLX_LADDER: tuple[str, ...] = ("mlx-8bit", "mlx-6bit", "mlx-4bit", "mlx-3bit")
NATIVE_LADDER: dict[str, tuple[str, ...]] = {"MXFP4": ("MXFP4",)}
# Every llama.cpp quant can be forced (--quant / quant=); MLX builds are chosen, not forced.
FORCEABLE: tuple[str, ...] = tuple(label for label, q in QUANTS.items() if q.runtime == "llamacpp")
# llama-quantize's aliases (tools/quantize QUANT_OPTIONS): Q3_K = Q3_K_M, Q4_K = Q4_K_M, Q5_K = Q5_K_M.
QUANT_ALIASES: dict[str, str] = {"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M"}
TIER_OF_Q5_K_M = QUANTS["Q5_K_M"].tier
TIER_OF_Q4_K_M = QUANTS["Q4_K_M"].tier
TIER_OF_Q3_K_M = QUANTS["Q3_K_M"].tier
_BY_LOWER = {label.lower(): label for label in FORCEABLE} | {k.lower(): v for k, v in QUANT_ALIASES.items()}


def parse_quant(text: str) -> str | None:
    """The quant label a user means, case-insensitive ("q4_k_m", "ud-q4_k_xl", "Q4_K"); None if unknown."""
    return _BY_LOWER.get(text.strip().lower())


@functools.cache
def use_more_bits_share(layers: int | None) -> float:
    """Share of layers llama.cpp's `use_more_bits` upgrades (first and last eighth, every third between)."""
    if not layers:
        return 0.5
    chosen = sum(1 for i in range(layers) if i < layers // 8 or i >= 7 * layers // 8 or (i - layers // 8) % 3 == 2)
    return chosen / layers


def _split(share: float, high: str, low: str) -> tuple[tuple[float, str], ...]:
    if share >= 1.0:
        return ((1.0, high),)
    if share <= 0.0:
        return ((1.0, low),)
    return ((share, high), (1.0 - share, low))


_FLOAT_FTYPES = frozenset({"F32", "F16", "BF16", "MLX8", "MLX6", "MLX4", "MLX3"})
_UNIFORM_FTYPES = frozenset({"Q8_0", "Q6_K"})  # every quantized tensor at the one type, output included
# llama.cpp ftype -> the default tensor type (llama_ftype_get_default_type).
_DEFAULT_TYPE: dict[str, str] = {
    "Q4_0": "Q4_0",
    "Q4_1": "Q4_1",
    "Q5_0": "Q5_0",
    "Q5_1": "Q5_1",
    "Q2_K": "Q2_K",
    "Q2_K_S": "Q2_K",
    "Q3_K_S": "Q3_K",
    "Q3_K_M": "Q3_K",
    "Q3_K_L": "Q3_K",
    "Q4_K_S": "Q4_K",
    "Q4_K_M": "Q4_K",
    "Q5_K_S": "Q5_K",
    "Q5_K_M": "Q5_K",
    "IQ3_XS": "IQ3_S",
    "IQ3_S": "IQ3_S",
    "IQ3_M": "IQ3_S",
    "IQ3_XXS": "IQ3_XXS",
    "IQ2_XXS": "IQ2_XXS",
    "IQ2_XS": "IQ2_XS",
    "IQ2_S": "IQ2_XS",
    "IQ2_M": "IQ2_S",
    "IQ1_S": "IQ1_S",
    "IQ1_M": "IQ1_M",
    "IQ4_NL": "IQ4_NL",
    "IQ4_XS": "IQ4_XS",
    "TQ1_0": "TQ1_0",
    "TQ2_0": "TQ2_0",
}
# The 1-2 bit i-quant file types share one branch of llama_tensor_get_type.
_LOW_IQ = frozenset({"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"})
# Attention-output types llama.cpp raises to Q5_K in 8-expert (Mixtral-style) models.
_EIGHT_EXPERT_ATTN_O = frozenset(
    {"Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS"}
)


def _llamacpp_mix(ftype: str, n: int, gqa: int, experts: int) -> dict[str, tuple[tuple[float, str], ...]]:
    """Per-role types for a llama.cpp file type: llama_tensor_get_type's branches, with per-layer choices
    as shares of the layers (an imatrix assumed, as i-quants require and published files use)."""
    base = _DEFAULT_TYPE[ftype]
    more = use_more_bits_share(n)
    eighth, sixteenth = (n // 8) / n, (n // 16) / n
    middle = (7 * n // 8 - n // 8) / n
    mix: dict[str, tuple[tuple[float, str], ...]] = {role: ((1.0, base),) for role in ALL_ROLES}
    mix[Role.SMALL] = ((1.0, "F32"),)
    low_iq = ftype in _LOW_IQ
    mix[Role.OUTPUT] = ((1.0, "Q5_K" if low_iq or ftype == "IQ3_XXS" else "Q6_K"),)
    embed = {"IQ2_XXS": "Q2_K", "IQ2_XS": "Q2_K", "IQ1_S": "Q2_K", "IQ1_M": "Q2_K", "IQ2_S": "IQ3_S"}
    embed |= {"IQ2_M": "IQ3_S", "IQ3_XXS": "IQ3_S", "TQ1_0": "Q4_K", "TQ2_0": "Q4_K"}
    if ftype in embed:
        mix[Role.EMBED] = ((1.0, embed[ftype]),)
    downs = (Role.FFN_DOWN, Role.EXPERT_DOWN)
    if low_iq:
        two_s = ftype in ("IQ2_S", "IQ2_M")
        mix[Role.ATTN_V] = ((1.0, "Q4_K" if gqa >= 4 or experts >= 4 else "IQ3_S" if two_s else "Q2_K"),)
        if experts == 8:
            mix[Role.ATTN_K] = ((1.0, "Q4_K"),)
        for role in downs:
            mix[role] = _split(eighth, "IQ3_S" if two_s else "Q2_K", base)
        if experts == 8:
            mix[Role.ATTN_O] = ((1.0, "Q5_K"),)
        elif ftype in ("IQ1_S", "IQ1_M"):
            mix[Role.ATTN_O] = ((1.0, "IQ2_XXS"),)
        elif two_s:
            mix[Role.ATTN_O] = ((1.0, "IQ3_S"),)
        return mix
    # attention V
    v: tuple[tuple[float, str], ...] = ((1.0, base),)
    if ftype == "Q2_K":
        v = ((1.0, "Q4_K" if gqa >= 4 else "Q3_K"),)
    elif ftype in ("Q2_K_S", "IQ3_XXS", "IQ3_XS", "IQ3_S") and gqa >= 4 or ftype == "IQ3_M":
        v = ((1.0, "Q4_K"),)
    elif ftype == "Q3_K_M":
        v = _split(min(1.0, 2 / n), "Q5_K", "Q4_K")
    elif ftype == "Q3_K_L" or ftype in ("IQ4_NL", "IQ4_XS") and gqa >= 4:
        v = ((1.0, "Q5_K"),)
    elif ftype in ("Q4_K_M", "Q5_K_M"):
        v = _split(more, "Q6_K", base)
    elif ftype == "Q4_K_S":
        v = _split(min(1.0, 4 / n), "Q5_K", base)
    if gqa >= 8:
        # llama.cpp raises V of its 70B type (8 query heads per V head: V is small) from Q3_K/Q4_K to Q5_K;
        # 8-way GQA is the shape that marks it.
        v = tuple((share, "Q5_K" if t in ("Q3_K", "Q4_K") else t) for share, t in v)
    mix[Role.ATTN_V] = ((1.0, "Q8_0"),) if experts == 8 else v
    # attention K and Q
    if experts == 8:
        mix[Role.ATTN_K] = ((1.0, "Q8_0"),)
    elif ftype == "IQ3_XS":
        mix[Role.ATTN_K] = ((1.0, "IQ3_XXS"),)
    elif ftype == "IQ3_XXS":
        mix[Role.ATTN_K] = ((1.0, "IQ2_S"),)
    if ftype in ("IQ3_XS", "IQ3_XXS"):
        mix[Role.ATTN_Q] = ((1.0, "IQ3_XXS" if ftype == "IQ3_XS" else "IQ2_S"),)
    # FFN down (dense and expert tensors alike: both match "ffn_down")
    down: tuple[tuple[float, str], ...] = ((1.0, base),)
    if ftype == "Q2_K":
        down = ((1.0, "Q3_K"),)
    elif ftype == "Q2_K_S":
        down = _split(eighth, "Q4_K", base)
    elif ftype == "Q3_K_M":
        down = _split(sixteenth, "Q5_K", "Q4_K")
    elif ftype == "IQ3_M":
        down = _split(more if experts == 8 else eighth, "Q4_K", base)
    elif ftype == "Q3_K_L":
        down = ((1.0, "Q5_K"),)
    elif ftype in ("Q4_K_M", "Q5_K_M"):
        down = _split(more, "Q6_K", base)
    elif ftype == "Q4_K_S":
        down = _split(eighth, "Q5_K", base)
    for role in downs:
        mix[role] = down
    # attention output
    if experts == 8:
        if ftype in _EIGHT_EXPERT_ATTN_O:
            mix[Role.ATTN_O] = ((1.0, "Q5_K"),)
    else:
        attn_o = {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}
        if ftype in attn_o:
            mix[Role.ATTN_O] = ((1.0, attn_o[ftype]),)
    # FFN gate/up: IQ3_XS keeps the middle three quarters of the layers at IQ3_XXS
    if ftype == "IQ3_XS":
        for role in (Role.FFN_GATE_UP, Role.EXPERT_GATE_UP):
            mix[role] = _split(middle, "IQ3_XXS", base)
    return mix


def _raise_to(parts: tuple[tuple[float, str], ...], floor: str, share: float) -> tuple[tuple[float, str], ...]:
    """`share` of a role's layers at least `floor` (by bits per weight), the rest as they were."""
    out: list[tuple[float, str]] = []
    for part, storage in parts:
        if TYPE_BPW[storage] >= TYPE_BPW[floor]:
            out.append((part, storage))
        else:
            out.extend(p for p in ((part * share, floor), (part * (1.0 - share), storage)) if p[0] > 0)
    return tuple(out)


@functools.cache
def mix_for(label: str, *, layers: int | None, gqa: int | None, experts: int | None) -> Mix:
    """Storage type of each tensor role under quant `label` (before the block-size fallback)."""
    quant = QUANTS[label]
    ftype = quant.ftype
    mix: dict[str, tuple[tuple[float, str], ...]]
    if ftype in _FLOAT_FTYPES or ftype in _UNIFORM_FTYPES:
        mix = {role: ((1.0, ftype),) for role in ALL_ROLES}
        mix[Role.SMALL] = ((1.0, "F32"),)
        if ftype == "Q6_K" and experts == 8:
            # The 8-expert rule (attention K and V at Q8_0) runs for every quantized file type.
            mix[Role.ATTN_K] = mix[Role.ATTN_V] = ((1.0, "Q8_0"),)
    elif ftype == "MXFP4":
        # LLAMA_FTYPE_MOSTLY_MXFP4_MOE: experts MXFP4 (role_bits), every other tensor Q8_0.
        mix = {role: ((1.0, "Q8_0"),) for role in ALL_ROLES}
        mix[Role.SMALL] = ((1.0, "F32"),)
    else:
        mix = _llamacpp_mix(ftype, layers or 32, gqa or 1, experts or 0)
    if experts:
        for role, storage, share in quant.moe_sets:
            mix[role] = _split(share, storage, _DEFAULT_TYPE.get(ftype, storage))
    for role, floor, share in (*quant.upgrades, *(quant.moe_upgrades if experts else ())):
        mix[role] = _raise_to(mix[role], floor, share)
    return mix


def bits_of(storage: str, row_length: int | None) -> float:
    """Bits per weight of a storage type for rows of `row_length`, applying llama.cpp's block fallback."""
    kind = TYPES[storage]
    if row_length and kind.fallback and row_length % kind.block:
        storage = kind.fallback
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

    `rows` gives each role's row length (the block fallback needs it). MXFP4-native models keep
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


# KV-cache types llama.cpp accepts for --cache-type-k/-v (common/arg.cpp kv_cache_types); bytes per element
# come from the storage table (q8_0 34 B per 32 = 1.0625 B, q4_0 18 B per 32 = 0.5625 B). A quantized V cache
# needs flash attention in llama.cpp (-fa): the estimates for those types assume it.
KV_CACHE_TYPES: tuple[str, ...] = ("f16", "bf16", "f32", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl")
DEFAULT_KV_CACHE = "f16"


def parse_kv_quant(text: str) -> str | None:
    """The KV-cache type a user means, case-insensitive ("Q8_0" -> "q8_0"); None if unknown."""
    wanted = text.strip().lower()
    return wanted if wanted in KV_CACHE_TYPES else None


def kv_bytes_per_element(kv_quant: str) -> float:
    kind = TYPES[kv_quant.upper()]
    return kind.bytes / kind.block


# CPU decode is capped by how fast the cores turn stored bytes into dot products, and the work per byte grows
# with the weights each byte holds (unpacking, scales). Relative cost per byte = A + B x weights per byte,
# anchored at Q4_K = 1.0 (the per-thread rates in speed.CPU_GBPS_PER_THREAD are Q4_K_M rows) and F16 = 0.55
# (issue #9's llama-bench rows on a 2-vCPU x86 VM: F16 ran 1.2-1.9x faster than a Q4_K-calibrated cap).
CPU_COST_F16, CPU_COST_Q4_K = 0.55, 1.0
_W_F16, _W_Q4_K = 8.0 / TYPE_BPW["F16"], 8.0 / TYPE_BPW["Q4_K"]
CPU_COST_PER_WEIGHT_PER_BYTE = (CPU_COST_Q4_K - CPU_COST_F16) / (_W_Q4_K - _W_F16)
CPU_COST_BASE = CPU_COST_F16 - CPU_COST_PER_WEIGHT_PER_BYTE * _W_F16


def cpu_dequant_cost(bpw: float) -> float:
    """Cost per byte of decoding weights stored at `bpw` bits per weight on CPU, relative to Q4_K."""
    return CPU_COST_BASE + CPU_COST_PER_WEIGHT_PER_BYTE * 8.0 / bpw

"""Per-model invariants, computed once per catalog load: where the parameters sit and how KV grows.

The catalog gives a total parameter count and (usually) tensor shapes. From the shapes we learn the
share of each tensor role (embeddings, attention, FFN, experts), then scale the shapes so the roles sum
to the published total: the total stays exact, the mix follows the architecture.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetfit.catalog.schema import CatalogEntry
from fleetfit.engine.quants import EXPERT_ROLES, ROLE_ORDER, Role

# Llama-2/3-style shares of a transformer body (attention 4 projections, SwiGLU FFN at 3.5x width,
# 4:1 GQA), used only when the catalog lacks the shapes.
DEFAULT_BODY_SHARES: dict[str, float] = {
    Role.ATTN_Q: 0.077,
    Role.ATTN_K: 0.019,
    Role.ATTN_V: 0.019,
    Role.ATTN_O: 0.077,
    Role.FFN_GATE_UP: 0.539,
    Role.FFN_DOWN: 0.269,
}
# llama.cpp evaluates prompts in micro-batches of 512 tokens (llama_context_params.n_ubatch default).
UBATCH = 512
# A recurrent (Mamba-2 / Gated DeltaNet) layer keeps about d_inner x d_state fp32 values per sequence:
# 2 x hidden x 128 x 4 bytes (Mamba-2 paper arXiv:2405.21060: expand 2, d_state 128).
RECURRENT_STATE_BYTES_PER_HIDDEN = 2 * 128 * 4
F16_BYTES = 2


@dataclass(frozen=True, slots=True)
class KvShape:
    """How many bytes one token adds to the KV cache, and how that depends on context."""

    bytes_per_token_layer: float  # f16 K+V (or MLA latent) bytes per token for one caching layer
    full_layers: int  # layers that cache every token
    sliding_layers: int  # layers that cache at most `window` tokens
    window: int
    constant_bytes: float  # recurrent state, independent of context
    exact: bool  # False when layers/heads were unknown and the size is a coarse estimate

    def bytes_at(self, context: int) -> float:
        tokens = self.full_layers * context + self.sliding_layers * min(context, self.window)
        return self.bytes_per_token_layer * tokens + self.constant_bytes


@dataclass(frozen=True, slots=True)
class Shape:
    """The architecture facts of an entry, None where unknown."""

    layers: int | None
    hidden: int | None
    heads: int | None
    kv_heads: int | None
    head_dim: int | None
    vocab: int | None
    ffn: int | None
    shared_expert_ffn: int | None
    tied_embeddings: bool | None
    mtp_layers: int | None = None  # MTP blocks counted in the published total, left out of the GGUF

    @classmethod
    def of(cls, arch: Mapping[str, Any]) -> Shape:
        get = arch.get
        return cls(
            get("layers"),
            get("hidden"),
            get("heads"),
            get("kv_heads"),
            get("head_dim"),
            get("vocab"),
            get("ffn"),
            get("shared_expert_ffn"),
            get("tied_embeddings"),
            get("mtp_layers"),
        )


@dataclass(frozen=True, slots=True)
class MoeShape:
    experts: int
    active_experts: int
    active_params: int | None


@dataclass(slots=True)
class ModelProfile:
    entry: CatalogEntry
    name: str
    params: int
    context_length: int
    category: str
    architecture: str
    native_quant: str | None
    mlx_only: bool
    has_mlx_build: bool
    # From here to physics_id: the physical invariants, shared by every entry with the same facts.
    moe: MoeShape | None
    routed_share: float  # share of routed-expert weights read per token (1.0 for dense models)
    tied_embeddings: bool
    layers: int
    gqa: int | None
    experts: int | None
    kv: KvShape
    compute_buffer_bytes: float
    active_params: float
    shape_known: bool
    role_vector: tuple[float, ...] = ()  # role_params in quants.ROLE_ORDER
    active_vector: tuple[float, ...] = ()  # active_share in quants.ROLE_ORDER
    signature: int = 0  # small id of signature_facts, cheap to hash
    signature_facts: tuple[Any, ...] = ()  # what decides each role's storage type (quants.role_bits arguments)
    weights_cache: dict[str, Any] = field(default_factory=dict)  # quant -> memory.Weights
    physics_id: int = -1  # entries with equal ids share every physical invariant above
    json_parts: dict[str, str] = field(default_factory=dict)  # system-independent JSON fragments
    memo: dict[Any, Any] = field(default_factory=dict)  # hardware-independent values: quality (base, per rung), KV bytes


def _embedding_share(params_b: float) -> float:
    """Share of parameters in one vocab x hidden matrix when shapes are unknown (fits Llama 1B-70B)."""
    return min(0.25, 0.18 / math.sqrt(max(params_b, 0.05)))


def _is_tied(a: Shape, params: float, architecture: str, body: float | None, embed: float | None) -> bool:
    if a.tied_embeddings is not None:
        return a.tied_embeddings
    if architecture.startswith("gemma"):
        return True  # every Gemma generation ties input and output embeddings
    if body is not None and embed:
        return abs(params - (body + embed)) < abs(params - (body + 2 * embed))
    return params < 4e9


def _structural_roles(a: Shape, moe: MoeShape | None) -> dict[str, float] | None:
    """Parameters per role from tensor shapes, or None when the shapes are incomplete."""
    if not (a.layers and a.hidden and a.heads and a.head_dim):
        return None
    kv_heads = a.kv_heads or a.heads
    q = a.hidden * a.heads * a.head_dim
    kv = a.hidden * kv_heads * a.head_dim
    roles = {Role.ATTN_Q: q, Role.ATTN_K: kv, Role.ATTN_V: kv, Role.ATTN_O: q}
    if moe and a.ffn:
        roles[Role.EXPERT_GATE_UP] = moe.experts * 2 * a.hidden * a.ffn
        roles[Role.EXPERT_DOWN] = moe.experts * a.ffn * a.hidden
        roles[Role.SMALL] = moe.experts * a.hidden
        if a.shared_expert_ffn:
            roles[Role.FFN_GATE_UP] = 2 * a.hidden * a.shared_expert_ffn
            roles[Role.FFN_DOWN] = a.shared_expert_ffn * a.hidden
    elif a.ffn:
        roles[Role.FFN_GATE_UP] = 2 * a.hidden * a.ffn
        roles[Role.FFN_DOWN] = a.ffn * a.hidden
    else:
        return None
    return {role: float(count * a.layers) for role, count in roles.items()}


def _moe_roles_from_active(params: float, moe: MoeShape, body: float) -> dict[str, float]:
    """Split a MoE body into expert and shared weights from the published active count."""
    assert moe.active_params
    routed_share = moe.active_experts / moe.experts
    experts = (params - moe.active_params) / (1.0 - routed_share)
    experts = min(max(experts, 0.0), body * 0.98)
    shared = body - experts
    roles = {role: shared * share for role, share in DEFAULT_BODY_SHARES.items()}
    roles[Role.EXPERT_GATE_UP] = experts * 2 / 3
    roles[Role.EXPERT_DOWN] = experts / 3
    return roles


def _kv_shape(a: Shape, attention: Mapping[str, Any], params: float) -> KvShape:
    layers = a.layers or 0
    kind = attention.get("kind", "full")
    if kind == "mla" and layers:
        return KvShape(attention["latent_dim"] * F16_BYTES, layers, 0, 0, 0.0, True)
    kv_heads = a.kv_heads or a.heads
    if not (layers and a.head_dim and kv_heads):
        # Coarse: KV bytes/token grow about as params^0.6 across Llama/Qwen/Mistral; 32 KiB x B^0.6 sits at
        # the high end (8B: 112 KiB vs 56-128 published; 70B: 410 vs 320) so unknowns are not underestimated.
        per_token = 32 * 1024 * (params / 1e9) ** 0.6
        return KvShape(per_token, 1, 0, 0, 0.0, False)
    per_layer = 2 * kv_heads * a.head_dim * F16_BYTES
    if kind == "sliding":
        sliding = min(attention["sliding_layers"], layers)
        return KvShape(per_layer, layers - sliding, sliding, attention["window"], 0.0, True)
    if kind == "hybrid":
        full = min(attention["full_layers"], layers)
        state = (layers - full) * RECURRENT_STATE_BYTES_PER_HIDDEN * (a.hidden or 2048)
        return KvShape(per_layer, full, 0, 0, float(state), True)
    return KvShape(per_layer, layers, 0, 0, 0.0, True)


def _compute_buffer(a: Shape, moe: MoeShape | None) -> float:
    """llama.cpp's worst-case graph for one 512-token micro-batch: logits plus the widest activations."""
    if not (a.hidden and a.vocab):
        return 0.5 * 2**30
    ffn = a.ffn or 4 * a.hidden
    if moe:
        ffn = moe.active_experts * ffn + (a.shared_expert_ffn or 0)
    return UBATCH * 4.0 * (a.vocab + 4 * a.hidden + 3 * ffn)


_ROLE_INDEX = {role: i for i, role in enumerate(ROLE_ORDER)}
_PHYSICS: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_EXPERT_INDEXES = tuple(_ROLE_INDEX[role] for role in EXPERT_ROLES)
_SIGNATURES: dict[tuple[Any, ...], int] = {}
PHYSICS_IDS = itertools.count()  # one id per set of physical invariants made in this process


def build_profile(entry: CatalogEntry) -> ModelProfile:
    """The profile of one catalog entry. Entries with the same parameter count and architecture facts (fine-
    tunes of one base model) share one set of physical invariants, including its weights cache."""
    arch, moe_facts, attention = entry.get("arch") or {}, entry.get("moe"), entry.get("attention")
    key = (
        entry["params"],
        entry.get("architecture") or "",
        entry.get("native_quant"),
        tuple(arch.items()),
        tuple(moe_facts.items()) if moe_facts else None,
        tuple(attention.items()) if attention else None,
    )
    physics = _PHYSICS.get(key)
    if physics is None:
        physics = _PHYSICS[key] = _physics(entry)
    return with_physics(entry, physics)


def with_physics(entry: CatalogEntry, physics: tuple[Any, ...]) -> ModelProfile:
    """The profile of `entry` with these physical invariants (build_profile's, or a catalog's prepared ones)."""
    # Positional, in field order: the physics tuple fills the fields from `moe` to `physics_id`.
    return ModelProfile(
        entry,
        entry["name"],
        entry["params"],
        entry["context_length"],
        entry["category"],
        entry.get("architecture") or "",
        entry.get("native_quant"),
        entry.get("mlx_only", False),
        bool(entry.get("mlx_sources")),
        *physics,
    )


def _physics(entry: CatalogEntry) -> tuple[Any, ...]:
    """What follows from the parameter count and the architecture facts alone."""
    a = Shape.of(entry.get("arch") or {})
    raw_moe = entry.get("moe")
    moe = MoeShape(raw_moe["experts"], raw_moe["active_experts"], raw_moe.get("active_params")) if raw_moe else None
    architecture = entry.get("architecture") or ""
    params = float(entry["params"])
    embed = float(a.vocab * a.hidden) if a.vocab and a.hidden else None
    structure = _structural_roles(a, moe)
    body_structure = sum(structure.values()) if structure else None
    tied = _is_tied(a, params, architecture, body_structure, embed)
    if embed is None:
        embed = params * _embedding_share(params / 1e9)
    output = 0.0 if tied else embed
    body = params - embed - output
    if (
        a.tied_embeddings
        and body_structure
        and abs(params - (body_structure + 2 * embed)) < abs(params - (body_structure + embed))
    ):
        # The published total counts the tied matrix twice (checkpoints that store lm_head as well, e.g.
        # Qwen3-0.6B: 0.75B listed, 0.60B in its GGUF): the GGUF holds one copy, so the body is the rest.
        body = params - 2 * embed
    if a.mtp_layers and a.layers:
        # Each MTP block is one more decoder layer plus its own embedding and head copies, all in the published
        # count (DeepSeek-V3: 671 B + 14 B); llama.cpp's converter writes none of it (arch_traits mtp_layers.json).
        body = (body - 2 * a.mtp_layers * embed) * a.layers / (a.layers + a.mtp_layers)
    if body <= params * 0.02:
        # Embedding-dominated or inconsistent facts: keep the total, give the body a minimal share.
        embed = params * (0.4 if tied else 0.25)
        output = 0.0 if tied else embed
        body = params - embed - output
    if structure and body_structure:
        scale = body / body_structure
        roles = {role: count * scale for role, count in structure.items()}
    elif moe and moe.active_params:
        roles = _moe_roles_from_active(params, moe, body)
    else:
        roles = {role: body * share for role, share in DEFAULT_BODY_SHARES.items()}
    roles[Role.EMBED] = embed
    roles[Role.OUTPUT] = output
    vector = [0.0] * len(ROLE_ORDER)
    for role, count in roles.items():
        vector[_ROLE_INDEX[role]] = count

    routed = moe.active_experts / moe.experts if moe else 1.0
    has_experts = any(vector[i] for i in _EXPERT_INDEXES)
    active = [1.0] * len(ROLE_ORDER)
    active[_ROLE_INDEX[Role.EMBED]] = 0.0  # decoding reads one embedding row per token
    for i in _EXPERT_INDEXES:
        active[i] = routed
    active_params = sum(count * share for count, share in zip(vector, active, strict=True))
    if moe and not has_experts and moe.active_params:
        active_params = float(moe.active_params)

    layers = a.layers or max(8, round(8 * (params / 1e9) ** 0.35))
    gqa = a.heads // a.kv_heads if a.heads and a.kv_heads else None
    hidden = _row_class(a.hidden)
    q_width = _row_class(a.heads * a.head_dim) if a.heads and a.head_dim else hidden
    down = _row_class(a.shared_expert_ffn if moe else a.ffn)
    rows = (
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        q_width,
        hidden,
        down,
        hidden,
        _row_class(a.ffn) if moe else None,
        None,
    )  # in ROLE_ORDER
    signature = (layers, gqa, moe.experts if moe else None, tied, entry.get("native_quant") == "MXFP4", rows)
    return (
        moe,
        routed if has_experts else 1.0,  # routed_share
        tied,  # tied_embeddings
        layers,
        gqa,
        moe.experts if moe else None,  # experts
        _kv_shape(a, entry.get("attention") or {}, params),  # kv
        _compute_buffer(a, moe),  # compute_buffer_bytes
        active_params,
        structure is not None,  # shape_known
        tuple(vector),  # role_vector
        tuple(active),  # active_vector
        signature_id(signature),  # signature
        signature,  # signature_facts
        {},  # weights_cache: shared by every entry with these facts, whose weights are the same
        next(PHYSICS_IDS),  # physics_id
    )


def signature_id(facts: tuple[Any, ...]) -> int:
    """The small id of a signature's facts in this process (equal facts, one id)."""
    return _SIGNATURES.setdefault(facts, len(_SIGNATURES))


def _row_class(row: int | None) -> int | None:
    # Python ints compare by value, so equal signatures intern to one id.
    """Only divisibility by the 256-weight K-block matters to the quantizer: keep signatures shareable."""
    if row is None:
        return None
    return 256 if row % 256 == 0 else row

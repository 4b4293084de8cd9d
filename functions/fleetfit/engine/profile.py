"""Per-model invariants, computed once per catalog load: where the parameters sit and how KV grows.

The catalog gives a total parameter count and (usually) tensor shapes. From the shapes we learn the
share of each tensor role (embeddings, attention, FFN, experts), then scale the shapes so the roles sum
to the published total: the total stays exact, the mix follows the architecture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fleetfit.catalog.schema import CatalogEntry
from fleetfit.engine.quants import EXPERT_ROLES, Role

# Llama-2/3-style shares of a transformer body (attention 4 projections, SwiGLU FFN at 3.5x width,
# 4:1 GQA), used only when the catalog lacks the shapes.
DEFAULT_BODY_SHARES: dict[Role, float] = {
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


@dataclass(slots=True)
class ModelProfile:
    entry: CatalogEntry
    role_params: dict[Role, float]
    role_rows: dict[Role, int | None]
    active_share: dict[Role, float]
    tied_embeddings: bool
    layers: int
    gqa: int | None
    experts: int | None
    kv: KvShape
    compute_buffer_bytes: float
    active_params: float
    shape_known: bool
    weights_cache: dict[str, tuple[float, float, float]] = field(default_factory=dict)


def _embedding_share(params_b: float) -> float:
    """Share of parameters in one vocab x hidden matrix when shapes are unknown (fits Llama 1B-70B)."""
    return min(0.25, 0.18 / math.sqrt(max(params_b, 0.05)))


def _is_tied(entry: CatalogEntry, body_with_output: float | None, embed: float | None) -> bool:
    if entry.arch.tied_embeddings is not None:
        return entry.arch.tied_embeddings
    if (entry.architecture or "").startswith("gemma"):
        return True  # every Gemma generation ties input and output embeddings
    if body_with_output is not None and embed:
        untied_total = body_with_output + 2 * embed
        tied_total = body_with_output + embed
        return abs(entry.params - tied_total) < abs(entry.params - untied_total)
    return entry.params < 4e9


def _structural_roles(entry: CatalogEntry) -> dict[Role, float] | None:
    """Parameters per role from tensor shapes, or None when the shapes are incomplete."""
    a = entry.arch
    if not (a.layers and a.hidden and a.heads and a.head_dim):
        return None
    kv_heads = a.kv_heads or a.heads
    q = a.hidden * a.heads * a.head_dim
    kv = a.hidden * kv_heads * a.head_dim
    roles = {Role.ATTN_Q: q, Role.ATTN_K: kv, Role.ATTN_V: kv, Role.ATTN_O: q}
    if entry.moe and a.ffn:
        experts = entry.moe.experts
        roles[Role.EXPERT_GATE_UP] = experts * 2 * a.hidden * a.ffn
        roles[Role.EXPERT_DOWN] = experts * a.ffn * a.hidden
        roles[Role.SMALL] = experts * a.hidden
        if a.shared_expert_ffn:
            roles[Role.FFN_GATE_UP] = 2 * a.hidden * a.shared_expert_ffn
            roles[Role.FFN_DOWN] = a.shared_expert_ffn * a.hidden
    elif a.ffn:
        roles[Role.FFN_GATE_UP] = 2 * a.hidden * a.ffn
        roles[Role.FFN_DOWN] = a.ffn * a.hidden
    else:
        return None
    return {role: float(count * a.layers) for role, count in roles.items()}


def _moe_roles_from_active(entry: CatalogEntry, body: float) -> dict[Role, float]:
    """Split a MoE body into expert and shared weights from the published active count."""
    assert entry.moe is not None and entry.moe.active_params
    routed_share = entry.moe.active_experts / entry.moe.experts
    experts = (entry.params - entry.moe.active_params) / (1.0 - routed_share)
    experts = min(max(experts, 0.0), body * 0.98)
    shared = body - experts
    roles = {role: shared * share for role, share in DEFAULT_BODY_SHARES.items()}
    roles[Role.EXPERT_GATE_UP] = experts * 2 / 3
    roles[Role.EXPERT_DOWN] = experts / 3
    return roles


def _kv_shape(entry: CatalogEntry) -> KvShape:
    a, attention = entry.arch, entry.attention
    layers = a.layers or 0
    if attention.kind == "mla" and layers and attention.latent_dim:
        return KvShape(attention.latent_dim * F16_BYTES, layers, 0, 0, 0.0, True)
    if not (layers and a.head_dim and (a.kv_heads or a.heads)):
        # Coarse: 2 x layers x kv_heads x head_dim grows about as params^0.6 across Llama/Qwen/Mistral
        # (8B: 128 KiB/token, 70B: 320 KiB/token); treated as one layer so the total is right.
        per_token = 16 * 1024 * (entry.params / 1e9) ** 0.6
        return KvShape(per_token, 1, 0, 0, 0.0, False)
    per_layer = 2 * (a.kv_heads or a.heads or 1) * a.head_dim * F16_BYTES
    if attention.kind == "sliding" and attention.window and attention.sliding_layers is not None:
        sliding = min(attention.sliding_layers, layers)
        return KvShape(per_layer, layers - sliding, sliding, attention.window, 0.0, True)
    if attention.kind == "hybrid" and attention.full_layers is not None:
        full = min(attention.full_layers, layers)
        state = (layers - full) * RECURRENT_STATE_BYTES_PER_HIDDEN * (a.hidden or 2048)
        return KvShape(per_layer, full, 0, 0, float(state), True)
    return KvShape(per_layer, layers, 0, 0, 0.0, True)


def _compute_buffer(entry: CatalogEntry) -> float:
    """llama.cpp's worst-case graph for one 512-token micro-batch: logits plus the widest activations."""
    a = entry.arch
    if not (a.hidden and a.vocab):
        return 0.5 * 2**30
    ffn = a.ffn or 4 * a.hidden
    if entry.moe:
        ffn = entry.moe.active_experts * ffn + (a.shared_expert_ffn or 0)
    return UBATCH * 4.0 * (a.vocab + 4 * a.hidden + 3 * ffn)


def build_profile(entry: CatalogEntry) -> ModelProfile:
    a = entry.arch
    params = float(entry.params)
    embed = float(a.vocab * a.hidden) if a.vocab and a.hidden else None
    structure = _structural_roles(entry)
    body_structure = sum(structure.values()) if structure else None
    tied = _is_tied(entry, body_structure, embed)
    if embed is None:
        embed = params * _embedding_share(params / 1e9)
    output = 0.0 if tied else embed
    body = params - embed - output
    if body <= params * 0.02:
        # Embedding-dominated or inconsistent facts: keep the total, give the body a minimal share.
        embed = output = params * 0.25 if not tied else params * 0.4
        body = params - embed - output
    if structure and body_structure:
        scale = body / body_structure
        roles = {role: count * scale for role, count in structure.items()}
    elif entry.moe and entry.moe.active_params:
        roles = _moe_roles_from_active(entry, body)
    else:
        roles = {role: body * share for role, share in DEFAULT_BODY_SHARES.items()}
    roles[Role.EMBED] = embed
    roles[Role.OUTPUT] = output

    hidden = a.hidden
    q_width = a.heads * a.head_dim if a.heads and a.head_dim else hidden
    rows: dict[Role, int | None] = {
        Role.EMBED: hidden,
        Role.OUTPUT: hidden,
        Role.ATTN_Q: hidden,
        Role.ATTN_K: hidden,
        Role.ATTN_V: hidden,
        Role.ATTN_O: q_width,
        Role.FFN_GATE_UP: hidden,
        Role.FFN_DOWN: (a.shared_expert_ffn if entry.moe else a.ffn) or None,
        Role.EXPERT_GATE_UP: hidden,
        Role.EXPERT_DOWN: a.ffn if entry.moe else None,
        Role.SMALL: None,
    }
    routed = entry.moe.active_experts / entry.moe.experts if entry.moe else 1.0
    has_expert_roles = any(role in roles for role in EXPERT_ROLES)
    active_share = {role: 1.0 for role in roles}
    active_share[Role.EMBED] = 0.0  # decoding reads one embedding row per token
    for role in EXPERT_ROLES:
        if role in roles:
            active_share[role] = routed
    active_params = sum(roles[r] * active_share[r] for r in roles) + embed * 0.0
    if entry.moe and not has_expert_roles and entry.moe.active_params:
        active_params = float(entry.moe.active_params)
    gqa = a.heads // a.kv_heads if a.heads and a.kv_heads else None
    return ModelProfile(
        entry=entry,
        role_params=roles,
        role_rows=rows,
        active_share=active_share,
        tied_embeddings=tied,
        layers=a.layers or max(8, round(8 * (params / 1e9) ** 0.35)),
        gqa=gqa,
        experts=entry.moe.experts if entry.moe else None,
        kv=_kv_shape(entry),
        compute_buffer_bytes=_compute_buffer(entry),
        active_params=active_params,
        shape_known=structure is not None,
    )

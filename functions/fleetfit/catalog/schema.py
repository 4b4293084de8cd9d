"""fleetfit's catalog schema: one entry per model, with the architecture facts the fit engine needs.

Entries are TypedDicts validated by pydantic: validation of the whole catalog costs about as much as
parsing its JSON, and the engine reads plain dicts. Each repaired or assumed fact records where it came
from in `provenance`, so it is never passed off as a published one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

SCHEMA_VERSION = 1

Category = Literal["General", "Coding", "Reasoning", "Chat", "Multimodal", "Embedding"]
Confidence = Literal["high", "medium", "low"]
# What a repository is (infra/catalog/repo_kinds.json): only "chat" is an instruction/chat model for every use case.
Kind = Literal["chat", "base", "ocr", "guard", "reward", "draft", "stub", "embedding", "speech", "diffusion", "embodied"]
Date = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Positive = Annotated[int, Field(ge=1)]


class Architecture(TypedDict, total=False):
    """Tensor shapes. Any of them may be unknown; the engine then falls back and lowers confidence."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    layers: Annotated[int, Field(ge=1, le=1000)]
    hidden: Positive
    heads: Positive
    kv_heads: Positive
    head_dim: Positive
    vocab: Positive
    ffn: Positive  # dense FFN width, or per-expert width for MoE
    shared_expert_ffn: Positive
    tied_embeddings: bool
    # multi-token-prediction layers counted in `params` that llama.cpp's GGUF leaves out (DeepSeek-V3: 1)
    mtp_layers: Annotated[int, Field(ge=1, le=8)]


class Attention(TypedDict, total=False):
    """How the KV cache grows with context.

    full: every layer caches every token. sliding: `sliding_layers` cache at most `window` tokens.
    mla: a compressed latent of `latent_dim` values per layer and token (DeepSeek-V2/V3, Kimi-K2).
    hybrid: only `full_layers` are attention layers; the others hold a constant recurrent state.
    `source` is the key of the row in infra/catalog/arch_traits.py that states the fact.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    kind: Literal["full", "sliding", "mla", "hybrid"]
    window: Positive
    sliding_layers: Annotated[int, Field(ge=0)]
    full_layers: Annotated[int, Field(ge=0)]
    latent_dim: Positive
    source: str


class Moe(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    experts: Annotated[int, Field(ge=2)]
    active_experts: Positive
    active_params: NotRequired[Positive | None]  # published active parameters per token


class CatalogEntry(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    name: Annotated[str, Field(min_length=3, pattern=r"^[^/\s]+/[^/\s]+$")]
    aliases: NotRequired[list[str]]
    provider: str
    parameter_count: str
    params: Annotated[int, Field(ge=1_000_000)]  # total parameters
    context_length: Annotated[int, Field(ge=128, le=16_777_216)]
    release_date: NotRequired[Date | None]
    license: NotRequired[str | None]
    category: Category
    capabilities: NotRequired[list[str]]
    architecture: NotRequired[str | None]
    arch: NotRequired[Architecture]
    attention: NotRequired[Attention]
    moe: NotRequired[Moe | None]
    native_quant: NotRequired[Literal["MXFP4"] | None]
    gguf_sources: NotRequired[list[str]]
    mlx_sources: NotRequired[list[str]]
    mlx_only: NotRequired[bool]
    confidence: Confidence
    provenance: NotRequired[dict[str, str]]
    notes: NotRequired[list[str]]
    # Provenance and lineage, written by the build for every entry (infra/catalog/lineage.py).
    downloads: NotRequired[Annotated[int, Field(ge=0)]]  # upstream hf_downloads (0 when unknown)
    likes: NotRequired[Annotated[int, Field(ge=0)]]  # upstream hf_likes (0 when unknown)
    first_party: NotRequired[bool]  # the repo's organisation trained/released these weights
    kind: NotRequired[Kind]
    experimental: NotRequired[bool]  # named an experiment by its publisher (-Exp, -wip, academic-, ...)
    domain: NotRequired[bool]  # a tune for one field's work (medical, legal, finance, security, telemetry, ...)
    group: NotRequired[
        Annotated[str, Field(min_length=3, pattern=r"^[^/\s]+/[^/\s]+$")]
    ]  # the group representative's name
    origin_date: NotRequired[Date | None]  # release date of the group's original
    group_downloads: NotRequired[Annotated[int, Field(ge=0)]]  # downloads of every entry of the group: the line's use
    # Unknown architecture and no GGUF anywhere in its variant group: llama.cpp support unverified.
    runtime_unverified: NotRequired[bool]


class CatalogFile(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    schema_version: Literal[1]
    built_from: str
    built_at: str
    models: list[CatalogEntry]


@functools.cache
def catalog_file_adapter() -> TypeAdapter[CatalogFile]:
    """Built on first use: schema construction costs ~0.2 s and the trusted bundled load never needs it."""
    return TypeAdapter(CatalogFile)


@functools.cache
def catalog_entry_adapter() -> TypeAdapter[CatalogEntry]:
    return TypeAdapter(CatalogEntry)


def consistency_error(entry: Mapping[str, Any]) -> str | None:
    """Cross-field rules a type cannot express; returns "field: message" or None."""
    arch = entry.get("arch") or {}
    if arch.get("heads") and arch.get("kv_heads") and arch["kv_heads"] > arch["heads"]:
        return f"arch.kv_heads: {arch['kv_heads']} exceeds heads ({arch['heads']})"
    moe = entry.get("moe")
    if moe and moe["active_experts"] > moe["experts"]:
        return f"moe.active_experts: {moe['active_experts']} exceeds experts ({moe['experts']})"
    attention = entry.get("attention") or {}
    kind = attention.get("kind", "full")
    needs = {"sliding": ("window", "sliding_layers"), "mla": ("latent_dim",), "hybrid": ("full_layers",)}
    for key in needs.get(kind, ()):
        if key not in attention:
            return f"attention.{key}: required for {kind} attention"
    return None

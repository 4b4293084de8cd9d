"""fleetfit's catalog schema: one entry per model, with the architecture facts the fit engine needs.

Each fact records where it came from (`provenance`), so a repaired or assumed value is never passed off
as a published one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

Category = Literal["General", "Coding", "Reasoning", "Chat", "Multimodal", "Embedding"]
Confidence = Literal["high", "medium", "low"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Architecture(_Strict):
    """Tensor shapes. Any of them may be unknown; the engine then falls back and lowers confidence."""

    layers: int | None = Field(default=None, ge=1, le=1000)
    hidden: int | None = Field(default=None, ge=1)
    heads: int | None = Field(default=None, ge=1)
    kv_heads: int | None = Field(default=None, ge=1)
    head_dim: int | None = Field(default=None, ge=1)
    vocab: int | None = Field(default=None, ge=1)
    ffn: int | None = Field(default=None, ge=1, description="dense FFN width, or per-expert width for MoE")
    shared_expert_ffn: int | None = Field(default=None, ge=1)
    tied_embeddings: bool | None = None

    @model_validator(mode="after")
    def _heads_consistent(self) -> Architecture:
        if self.heads and self.kv_heads and self.kv_heads > self.heads:
            raise ValueError(f"kv_heads ({self.kv_heads}) cannot exceed heads ({self.heads})")
        return self


class Attention(_Strict):
    """How the KV cache grows with context.

    full: every layer caches every token. sliding: `sliding_layers` cache at most `window` tokens.
    mla: a compressed latent of `latent_dim` values per layer and token (DeepSeek-V2/V3, Kimi-K2).
    hybrid: only `full_layers` are attention layers; the others hold a constant recurrent state.
    """

    kind: Literal["full", "sliding", "mla", "hybrid"] = "full"
    window: int | None = Field(default=None, ge=1)
    sliding_layers: int | None = Field(default=None, ge=0)
    full_layers: int | None = Field(default=None, ge=0)
    latent_dim: int | None = Field(default=None, ge=1)
    source: str | None = Field(default=None, description="key of infra/catalog/arch_traits.py ATTENTION_TRAITS")

    @model_validator(mode="after")
    def _complete(self) -> Attention:
        if self.kind == "sliding" and (self.window is None or self.sliding_layers is None):
            raise ValueError("sliding attention needs window and sliding_layers")
        if self.kind == "mla" and self.latent_dim is None:
            raise ValueError("mla attention needs latent_dim")
        if self.kind == "hybrid" and self.full_layers is None:
            raise ValueError("hybrid attention needs full_layers")
        return self


class Moe(_Strict):
    experts: int = Field(ge=2)
    active_experts: int = Field(ge=1)
    active_params: int | None = Field(default=None, ge=1, description="published active parameters per token")

    @model_validator(mode="after")
    def _active_le_total(self) -> Moe:
        if self.active_experts > self.experts:
            raise ValueError(f"active_experts ({self.active_experts}) exceeds experts ({self.experts})")
        return self


class CatalogEntry(_Strict):
    name: str = Field(min_length=3, pattern=r"^[^/\s]+/[^/\s]+$")
    aliases: tuple[str, ...] = ()
    provider: str
    parameter_count: str
    params: int = Field(ge=1_000_000, description="total parameters")
    context_length: int = Field(ge=128, le=16_777_216)
    release_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    license: str | None = None
    category: Category
    capabilities: tuple[str, ...] = ()
    architecture: str | None = None
    arch: Architecture = Architecture()
    attention: Attention = Attention()
    moe: Moe | None = None
    native_quant: Literal["MXFP4"] | None = None
    gguf_sources: tuple[str, ...] = ()
    mlx_sources: tuple[str, ...] = ()
    mlx_only: bool = False
    confidence: Confidence
    provenance: dict[str, str] = Field(default_factory=dict)
    notes: tuple[str, ...] = ()


class CatalogFile(_Strict):
    schema_version: Literal[1]
    built_from: str
    built_at: str
    models: tuple[CatalogEntry, ...]

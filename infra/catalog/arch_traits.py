"""Architecture facts the upstream catalog does not carry, keyed by HF `model_type`.

Each row names the public config or paper it comes from. Ratios are used where the layer count varies
with model size inside one family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AttentionTrait:
    kind: str  # "sliding" | "mla" | "hybrid"
    source: str
    window: int | None = None
    sliding_every: tuple[int, int] | None = None  # (sliding layers, out of every N layers)
    full_ratio: tuple[int, int] | None = None  # hybrid: (attention layers, out of every N layers)
    latent_dim: int | None = None


ATTENTION_TRAITS: dict[str, AttentionTrait] = {
    # Gemma 2: local (4096-token window) and global attention alternate, 1:1.
    "gemma2": AttentionTrait(
        "sliding",
        "https://huggingface.co/google/gemma-2-9b/blob/main/config.json (sliding_window 4096); "
        "Gemma 2 report arXiv:2408.00118 (alternating local/global)",
        window=4096,
        sliding_every=(1, 2),
    ),
    # Gemma 3: five local layers (1024-token window) per global layer.
    "gemma3": AttentionTrait(
        "sliding",
        "Gemma 3 report arXiv:2503.19786 (5:1 local:global, window 1024); "
        "https://huggingface.co/google/gemma-3-27b-it/blob/main/config.json (sliding_window_pattern 6)",
        window=1024,
        sliding_every=(5, 6),
    ),
    "gemma3_text": AttentionTrait(
        "sliding",
        "Gemma 3 report arXiv:2503.19786 (5:1 local:global, window 1024)",
        window=1024,
        sliding_every=(5, 6),
    ),
    # Gemma 4 keeps Gemma 3's hybrid attention: local layers with a 1024-token window between global layers.
    "gemma4": AttentionTrait(
        "sliding",
        "https://apxml.com/models/gemma-4-31b (sliding window attention, window 1,024); "
        "https://reeboot.fr/en/blog/gemma-4-31b (local sliding window of 1024 tokens alternating with global "
        "attention); the 5:1 local:global pattern of Gemma 3 (arXiv:2503.19786), which community llama-server "
        "configs for gemma-4-31B state as 5 SWA + 1 global per 6 layers",
        window=1024,
        sliding_every=(5, 6),
    ),
    # Cohere Command R7B / A: three sliding (4096) layers per full layer.
    "cohere2": AttentionTrait(
        "sliding",
        "https://huggingface.co/CohereForAI/c4ai-command-r7b-12-2024/blob/main/config.json "
        "(sliding_window 4096, sliding_window_pattern 4)",
        window=4096,
        sliding_every=(3, 4),
    ),
    # gpt-oss: banded (128-token) and dense attention alternate.
    "gpt_oss": AttentionTrait(
        "sliding",
        "https://github.com/openai/gpt-oss README and model card arXiv:2508.10925 "
        "(alternating dense and locally banded attention, bandwidth 128)",
        window=128,
        sliding_every=(1, 2),
    ),
    # DeepSeek-V2/V3, Kimi-K2: multi-head latent attention caches kv_lora_rank + qk_rope_head_dim values.
    "deepseek_v2": AttentionTrait(
        "mla",
        "https://huggingface.co/deepseek-ai/DeepSeek-V2/blob/main/config.json (kv_lora_rank 512, qk_rope_head_dim 64)",
        latent_dim=576,
    ),
    "deepseek_v3": AttentionTrait(
        "mla",
        "https://github.com/deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json "
        "(kv_lora_rank 512, qk_rope_head_dim 64)",
        latent_dim=576,
    ),
    "kimi_k2": AttentionTrait(
        "mla",
        "https://huggingface.co/moonshotai/Kimi-K2-Instruct/blob/main/config.json (kv_lora_rank 512, qk_rope_head_dim 64)",
        latent_dim=576,
    ),
    # Qwen3-Next / Qwen3.5: one gated-attention layer per three Gated DeltaNet (linear) layers.
    "qwen3_next": AttentionTrait(
        "hybrid",
        "https://huggingface.co/Qwen/Qwen3-Next-80B-A3B-Instruct/blob/main/config.json (full_attention_interval 4)",
        full_ratio=(1, 4),
    ),
    "qwen3_5": AttentionTrait(
        "hybrid",
        "Qwen3.5 configs (full_attention_interval 4); llmfit-notes A3: 8 of 32 layers on Qwen3.5-9B",
        full_ratio=(1, 4),
    ),
    "qwen3_5_moe": AttentionTrait("hybrid", "Qwen3.5 MoE configs (full_attention_interval 4)", full_ratio=(1, 4)),
    # Jamba: one attention layer per eight (attn_layer_period 8).
    "jamba": AttentionTrait(
        "hybrid",
        "https://huggingface.co/ai21labs/Jamba-v0.1/blob/main/config.json (attn_layer_period 8)",
        full_ratio=(1, 8),
    ),
    # Nemotron-H: 4 of 52 layers are attention in the 8B model (hybrid_override_pattern).
    "nemotron_h": AttentionTrait(
        "hybrid",
        "https://huggingface.co/nvidia/Nemotron-H-8B-Base-8K/blob/main/config.json (hybrid_override_pattern: 4 '*' of 52)",
        full_ratio=(1, 13),
    ),
    # LFM2: 6 attention layers of 16 (the rest are short convolutions).
    "lfm2": AttentionTrait(
        "hybrid",
        "https://huggingface.co/LiquidAI/LFM2-1.2B/blob/main/config.json (layer_types: 6 full_attention of 16)",
        full_ratio=(3, 8),
    ),
    "lfm2_moe": AttentionTrait(
        "hybrid",
        "https://huggingface.co/LiquidAI/LFM2-8B-A1B/blob/main/config.json (6 attention layers of 24)",
        full_ratio=(1, 4),
    ),
    # Granite 4.0 hybrid: 4 attention layers of 40 in granite-4.0-h-small.
    "granitemoehybrid": AttentionTrait(
        "hybrid",
        "https://huggingface.co/ibm-granite/granite-4.0-h-small/blob/main/config.json (layer_types: 4 attention of 40)",
        full_ratio=(1, 10),
    ),
    # Pure recurrent models: no KV cache at all.
    "mamba": AttentionTrait("hybrid", "Mamba (arXiv:2312.00752): no attention layers", full_ratio=(0, 1)),
    "mamba2": AttentionTrait("hybrid", "Mamba-2 (arXiv:2405.21060): no attention layers", full_ratio=(0, 1)),
    "rwkv": AttentionTrait("hybrid", "RWKV: recurrent, no attention layers", full_ratio=(0, 1)),
}

# Architectures llama.cpp cannot run as a text/vision/code/embedding model, or that are not LLMs.
UNRUNNABLE_ARCHITECTURES = frozenset(
    {
        "vits",
        "speecht5",
        "whisper",
        "vision-encoder-decoder",
        "wav2vec2",
        "musicgen",
        "bark",
        "encodec",
        "clip",
        "siglip",
        "vit",
        "detr",
        "sam",
        "dinov2",
    }
)

# Architectures whose GGUF builds keep MoE experts in MXFP4 whatever the file's quant label.
NATIVE_MXFP4_ARCHITECTURES = frozenset({"gpt_oss"})


@dataclass(frozen=True)
class FamilyContext:
    architectures: frozenset[str]
    name_pattern: str  # regex on the lowercased repo basename
    context: int
    source: str


# Published native windows of families whose gated upstream entries lost them (4,096 placeholder) or whose
# scrape multiplied an already-extended window by its rope factor. First match wins.
FAMILY_CONTEXTS: tuple[FamilyContext, ...] = (
    FamilyContext(
        frozenset({"llama"}),
        r"llama-?3\.[123]",
        131072,
        "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/config.json (max_position_embeddings 131072)",
    ),
    FamilyContext(
        frozenset({"llama"}),
        r"llama-?3(?![.\d])",
        8192,
        "https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct/blob/main/config.json (max_position_embeddings 8192)",
    ),
    FamilyContext(
        frozenset({"llama"}),
        r"llama-?2",
        4096,
        "https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json (max_position_embeddings 4096)",
    ),
    FamilyContext(
        frozenset({"gemma3", "gemma3_text"}),
        r"gemma-?3-?(270m|1b)",
        32768,
        "Gemma 3 report arXiv:2503.19786 (32K context for the 1B model)",
    ),
    FamilyContext(
        frozenset({"gemma3", "gemma3_text"}),
        r"gemma-?3",
        131072,
        "Gemma 3 report arXiv:2503.19786 (128K context for 4B, 12B, 27B)",
    ),
    FamilyContext(
        frozenset({"gemma2"}),
        r"gemma-?2",
        8192,
        "https://huggingface.co/google/gemma-2-9b/blob/main/config.json (max_position_embeddings 8192)",
    ),
    FamilyContext(
        frozenset({"gemma"}),
        r"gemma",
        8192,
        "https://huggingface.co/google/gemma-7b/blob/main/config.json (max_position_embeddings 8192)",
    ),
)


@dataclass(frozen=True)
class TiedEmbeddings:
    architecture: str
    hidden: int
    vocab: int
    params: tuple[int, ...]  # the base's listed parameter counts: entries within PARAMS_TOLERANCE share its layout
    tied: bool
    model: str
    source: str


TIED_EMBEDDINGS_FILE = Path(__file__).resolve().parent / "tied_embeddings.json"
# A fine-tune that keeps its base's tensors lists the same count; one that adds or drops a vocab x hidden
# matrix moves by at least 5 % (Qwen2.5-1.5B 1.54 B, its untied distill 1.78 B).
PARAMS_TOLERANCE = 0.01


def load_tied_embeddings(path: Path = TIED_EMBEDDINGS_FILE) -> tuple[TiedEmbeddings, ...]:
    """tie_word_embeddings rows (tied_embeddings.json), checked: one answer per (architecture, hidden, vocab)."""
    rows = tuple(TiedEmbeddings(**{**row, "params": tuple(row["params"])}) for row in json.loads(path.read_text())["rows"])
    seen: set[tuple[str, int, int]] = set()
    for row in rows:
        key = (row.architecture, row.hidden, row.vocab)
        if key in seen or not row.source or not row.params or not isinstance(row.tied, bool):
            raise ValueError(f"{path.name}: duplicate or incomplete row {row}")
        seen.add(key)
    return rows


TIED_EMBEDDINGS = load_tied_embeddings()


def tied_embeddings_of(
    architecture: str | None,
    hidden: int | None,
    vocab: int | None,
    params: int,
    rows: tuple[TiedEmbeddings, ...] = TIED_EMBEDDINGS,
) -> TiedEmbeddings | None:
    """The published base whose output-matrix choice an entry shares: same shape and the same parameter count."""
    for row in rows:
        if (row.architecture, row.hidden, row.vocab) == (architecture, hidden, vocab) and any(
            abs(params - count) <= PARAMS_TOLERANCE * count for count in row.params
        ):
            return row
    return None


@dataclass(frozen=True)
class MtpLayers:
    architecture: str
    hidden: int
    vocab: int
    params: tuple[int, ...]
    mtp_layers: int
    model: str
    source: str


MTP_LAYERS_FILE = Path(__file__).resolve().parent / "mtp_layers.json"


def load_mtp_layers(path: Path = MTP_LAYERS_FILE) -> tuple[MtpLayers, ...]:
    """MTP-layer rows (mtp_layers.json), checked like the tied-embedding rows."""
    rows = tuple(MtpLayers(**{**row, "params": tuple(row["params"])}) for row in json.loads(path.read_text())["rows"])
    seen: set[tuple[str, int, int]] = set()
    for row in rows:
        key = (row.architecture, row.hidden, row.vocab)
        if key in seen or not row.source or not row.params or not 1 <= row.mtp_layers <= 8:
            raise ValueError(f"{path.name}: duplicate or incomplete row {row}")
        seen.add(key)
    return rows


MTP_LAYERS = load_mtp_layers()


def mtp_layers_of(architecture: str | None, hidden: int | None, vocab: int | None, params: int) -> MtpLayers | None:
    """The published base whose MTP block an entry carries in its count: same shape, same parameter count."""
    for row in MTP_LAYERS:
        if (row.architecture, row.hidden, row.vocab) == (architecture, hidden, vocab) and any(
            abs(params - count) <= PARAMS_TOLERANCE * count for count in row.params
        ):
            return row
    return None

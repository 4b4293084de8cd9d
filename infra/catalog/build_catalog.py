"""Build fleetfit's bundled catalog from llmfit's upstream-format `hf_models.json`.

    python infra/catalog/build_catalog.py /path/to/hf_models.json [--out functions/fleetfit/catalog/data/catalog.json.gz]
    python infra/catalog/build_catalog.py --invariants-only [--out ...]   # only step 7, for the catalog already there

Steps, each a small function below:
  1. keep models a user can run with llama.cpp or MLX (text, vision, code, reasoning, embedding);
  2. repair facts the upstream scrape lost (gated repos: no layers/heads, a 4,096 context; rope-inflated
     contexts) from ungated copies of the same weights (same architecture and parameter count);
  3. fold MLX conversions into their base model (as mlx_sources) and de-duplicate same-named repos;
  4. size packed-weight repos as their base, classify every repo (first-party, kind) and fold variants into
     groups with a representative (lineage.py, rules in first_party_orgs.json, repo_kinds.json, packed_weights.json);
  5. add attention variants (sliding window, MLA, hybrid), tied output embeddings (tied_embeddings.json) and
     MTP layers the GGUF leaves out (mtp_layers.json) from public configs;
  6. validate every entry against the schema and write gzip-compressed JSON (deterministic bytes);
  7. beside it, the engine's invariants of those bytes (invariants.bin: each rung's weights per model physics and
     each model's quality base, fleetfit.engine.prepared), so loading does not re-derive them, and the parsed
     document (document.bin, marshal), so loading the bundled catalog does not parse its JSON. Run step 7 alone
     after changing a rule it reads (engine.prepared.ENGINE_FILES): the engine ignores a stale file.
Every repaired or assumed fact is recorded in the entry's `provenance`.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "functions"))

from arch_traits import (  # noqa: E402
    ATTENTION_TRAITS,
    FAMILY_CONTEXTS,
    NATIVE_MXFP4_ARCHITECTURES,
    UNRUNNABLE_ARCHITECTURES,
    mtp_layers_of,
    tied_embeddings_of,
)
from fleetfit.catalog import LINEAGE_DEFAULTS  # noqa: E402
from fleetfit.catalog.schema import (  # noqa: E402
    CatalogEntry,
    catalog_entry_adapter,
    catalog_file_adapter,
    consistency_error,
)
from lineage import (  # noqa: E402
    assign_groups,
    classify,
    fold_lineages,
    kinds_summary,
    load_rules,
    mark_mlx_formats,
    repair_packed,
)

DEFAULT_OUT = HERE.parents[1] / "functions" / "fleetfit" / "catalog" / "data" / "catalog.json.gz"
ARCH_FIELDS = ("layers", "hidden", "heads", "kv_heads", "head_dim", "vocab", "ffn", "shared_expert_ffn")
UPSTREAM_ARCH = {
    "layers": "num_hidden_layers",
    "hidden": "hidden_size",
    "heads": "num_attention_heads",
    "kv_heads": "num_key_value_heads",
    "head_dim": "head_dim",
    "vocab": "vocab_size",
    "ffn": "moe_intermediate_size",
    "shared_expert_ffn": "shared_expert_intermediate_size",
}
# The scrape writes 4,096 when it could not read a gated repo's config.
GATED_PLACEHOLDER_CONTEXT = 4096
# Contexts at or above this came from multiplying an already-extended window by its rope factor.
SUSPECT_CONTEXT = 1_000_000
LONG_CONTEXT_NAME = re.compile(r"(?<![a-z0-9])(\d+m|\d{2,4}k|long|ultra-?long|yarn)(?![a-z0-9])", re.I)
DRAFT_HEAD = re.compile(r"(?:^|[-_.])(eagle\d*|dflash\d*|dspark\d*|medusa)(?:$|[-_.])", re.I)
SIZE_TOKEN = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)([bm])(?![a-z0-9])", re.I)
ACTIVE_TOKEN = re.compile(r"(?<![a-z0-9])a\d+(?:\.\d+)?b(?![a-z0-9])", re.I)
MOE_NAME = re.compile(r"(?<![a-z0-9])(\d+)x(\d+(?:\.\d+)?)b(?![a-z0-9])", re.I)
MLX_BITS = re.compile(r"(?:^|[-_])(\d)(?:-?bit|bits)(?:$|[-_])", re.I)
MLX_SUFFIX = re.compile(r"([-_](mlx|\d-?bits?|bf16|fp16|dwq|q\d|mxfp4|mixed[\w.-]*|dynamic))+$", re.I)


@dataclass
class Draft:
    """A catalog entry being built: the upstream record plus what the build learns about it."""

    raw: dict[str, Any]
    arch: dict[str, int | None] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    context: int = 0
    params: int = 0
    mlx_sources: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    mlx_only: bool = False
    parameter_count: str | None = None  # set when params were repaired (the upstream string is then wrong)
    moe_raw: dict[str, Any] | None = None  # the upstream record whose MoE facts apply (a packed repo's base)
    kind: str = "chat"
    first_party: bool = False
    experimental: bool = False  # named an experiment by its publisher (repo_kinds.json "experiment")
    domain: bool = False  # a tune for one field's work: medicine, law, finance, security (repo_kinds.json "domain")
    group: str = ""
    origin_date: str | None = None
    runtime_unverified: bool = False  # unknown architecture, no GGUF in its whole variant group

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def basename(self) -> str:
        return self.name.split("/", 1)[1]

    @property
    def family(self) -> str:
        arch = str(self.raw.get("architecture") or "unknown")
        return arch.removesuffix("_text")

    def has_shape(self) -> bool:
        return all(self.arch.get(k) for k in ("layers", "kv_heads", "head_dim"))


# ---------------------------------------------------------------- 1. keep what llama.cpp or MLX runs


def category_of(raw: dict[str, Any]) -> str:
    use_case = str(raw.get("use_case") or "").lower()
    name = str(raw["name"]).lower()
    pipeline = str(raw.get("pipeline_tag") or "")
    if (
        "embed" in use_case
        or "embed" in name
        or "bge-" in name
        or pipeline in ("feature-extraction", "sentence-similarity")
    ):
        return "Embedding"
    if "code" in use_case or "code" in name or "coder" in name:
        return "Coding"
    if "vision" in use_case or "multimodal" in use_case or "vision" in raw.get("capabilities", ()):
        return "Multimodal"
    if (
        "reason" in use_case
        or "chain-of-thought" in use_case
        or "deepseek-r1" in name
        or "qwq" in name
        or "thinking" in name
    ):
        return "Reasoning"
    if "chat" in use_case or "instruction" in use_case:
        return "Chat"
    return "General"


def drop_reason(raw: dict[str, Any]) -> str | None:
    fmt = raw.get("format") or "gguf"
    use_case = str(raw.get("use_case") or "").lower()
    caps = set(raw.get("capabilities") or ())
    if fmt not in ("gguf", "mlx"):
        return f"format {fmt} (not llama.cpp/MLX)"
    if "tts" in caps or "speech" in use_case or "audio" in use_case or "transcription" in use_case:
        return "speech/audio model"
    if str(raw.get("pipeline_tag")) in ("text-to-speech", "automatic-speech-recognition", "audio-to-audio"):
        return "speech/audio model"
    if str(raw.get("architecture") or "") in UNRUNNABLE_ARCHITECTURES:
        return f"architecture {raw.get('architecture')} is not a llama.cpp LLM"
    if DRAFT_HEAD.search(str(raw["name"]).split("/", 1)[-1]):
        return "speculative-decoding draft head, not a standalone model"
    if not raw.get("parameters_raw") or raw["parameters_raw"] < 1_000_000:
        return "parameter count missing or below 1M"
    return None


def name_size_b(basename: str) -> float | None:
    """Largest size the repo name states, in billions (8x7B counts as 56B; A3B active tokens are ignored)."""
    text = ACTIVE_TOKEN.sub(" ", basename)
    moe = MOE_NAME.search(text)
    if moe:
        return int(moe.group(1)) * float(moe.group(2))
    sizes = [float(v) * (1.0 if unit.lower() == "b" else 1e-3) for v, unit in SIZE_TOKEN.findall(text)]
    return max(sizes) if sizes else None


# ---------------------------------------------------------------- 2. repair from sibling evidence


@functools.cache
def version_signature(basename: str) -> tuple[str, ...]:
    """Version numbers in a repo name ("Llama-3.1-8B" -> ("3.1",)), ignoring size tokens."""
    versions = []
    for token in re.split(r"[-_ ]+", basename.lower()):
        if SIZE_TOKEN.fullmatch(token) or ACTIVE_TOKEN.fullmatch(token):
            continue
        match = re.fullmatch(r"v?(\d+(?:\.\d+)*)", token) or re.fullmatch(r"[a-z]+(\d+(?:\.\d+)*)", token)
        if match:
            versions.append(match.group(1))
    return tuple(sorted(versions))


def family_context(draft: Draft) -> Any:
    architecture = str(draft.raw.get("architecture") or "")
    basename = draft.basename.lower()
    for family in FAMILY_CONTEXTS:
        if architecture in family.architectures and re.search(family.name_pattern, basename):
            return family
    return None


def upstream_arch(raw: dict[str, Any]) -> dict[str, int | None]:
    arch: dict[str, int | None] = {}
    for ours, theirs in UPSTREAM_ARCH.items():
        value = raw.get(theirs)
        arch[ours] = int(value) if isinstance(value, int) and value > 0 else None
    return arch


def consensus(drafts: Iterable[Draft], key: Any) -> tuple[Any, Draft] | None:
    """The value most entries agree on (weighted by downloads), with the most-downloaded entry holding it."""
    votes: Counter[Any] = Counter()
    holder: dict[Any, Draft] = {}
    for draft in drafts:
        value = key(draft)
        weight = 1 + int(draft.raw.get("hf_downloads") or 0)
        votes[value] += weight
        if value not in holder or weight > 1 + int(holder[value].raw.get("hf_downloads") or 0):
            holder[value] = draft
    if not votes:
        return None
    value, _ = votes.most_common(1)[0]
    return value, holder[value]


def repair(drafts: list[Draft]) -> Counter[str]:
    stats: Counter[str] = Counter()
    shaped: dict[tuple[str, int], list[Draft]] = defaultdict(list)
    for draft in drafts:
        if draft.has_shape() and not draft.mlx_only:
            shaped[(draft.family, draft.params)].append(draft)

    for draft in drafts:
        gated_signature = not draft.has_shape() and draft.context == GATED_PLACEHOLDER_CONTEXT
        siblings = [s for s in shaped.get((draft.family, draft.params), []) if s is not draft]
        if not draft.has_shape() and siblings:
            found = consensus(siblings, lambda s: tuple(s.arch[k] for k in ARCH_FIELDS))
            assert found is not None
            values, source = found
            filled = [key for key, value in zip(ARCH_FIELDS, values, strict=True) if draft.arch.get(key) is None]
            for key in filled:
                draft.arch[key] = values[ARCH_FIELDS.index(key)]
            draft.provenance["arch"] = f"repaired from {source.name} (same architecture and parameter count)"
            stats["architecture repaired from sibling"] += 1

        suspect = draft.context >= SUSPECT_CONTEXT and not LONG_CONTEXT_NAME.search(draft.basename)
        published = family_context(draft)
        same_version = [s for s in siblings if version_signature(s.basename) == version_signature(draft.basename)]
        trusted = [s for s in same_version if s.context < SUSPECT_CONTEXT]
        if (gated_signature or suspect) and published and published.context != draft.context:
            draft.provenance["context_length"] = (
                f"published window ({published.source}); upstream gave {draft.context:,}"
            )
            draft.context = published.context
            stats["context repaired (published family window)"] += 1
        elif gated_signature and trusted:
            found = consensus(trusted, lambda s: s.context)
            assert found is not None
            context, source = found
            if context != draft.context:
                draft.provenance["context_length"] = (
                    f"repaired from {source.name}: upstream gave the {GATED_PLACEHOLDER_CONTEXT} placeholder"
                )
                draft.context = context
                stats["context repaired (gated placeholder)"] += 1
        elif suspect:
            if trusted:
                found = consensus(trusted, lambda s: s.context)
                assert found is not None
                context, source = found
                draft.provenance["context_length"] = (
                    f"repaired from {source.name}: upstream {draft.context:,} came from rope scaling"
                )
                draft.context = context
                stats["context repaired (rope-inflated)"] += 1
            else:
                draft.notes.append(f"Context {draft.context:,} is as claimed upstream and was not verified")
                draft.provenance["context_length"] = "upstream (unverified long context)"

        if draft.arch.get("head_dim") is None and draft.arch.get("hidden") and draft.arch.get("heads"):
            draft.arch["head_dim"] = int(draft.arch["hidden"]) // int(draft.arch["heads"])  # type: ignore[arg-type]
            draft.provenance["head_dim"] = "derived as hidden / heads"
            stats["head_dim derived"] += 1
    return stats


# ---------------------------------------------------------------- 3. MLX conversions and duplicates


def mlx_base_name(basename: str) -> str:
    return MLX_SUFFIX.sub("", basename)


def slug(basename: str) -> str:
    return re.sub(r"[-_.]", "", basename.lower())


def structural_params(arch: dict[str, int | None], moe: dict[str, Any] | None) -> float | None:
    """Parameters implied by the tensor shapes (attention, FFN or experts, embeddings counted once)."""
    layers, hidden, heads, head_dim = arch.get("layers"), arch.get("hidden"), arch.get("heads"), arch.get("head_dim")
    ffn, vocab = arch.get("ffn"), arch.get("vocab")
    if not (layers and hidden and heads and head_dim and ffn and vocab):
        return None
    kv_heads = arch.get("kv_heads") or heads
    attention = 2 * hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim
    experts = moe["experts"] if moe else 1
    return layers * (attention + experts * 3 * hidden * ffn) + vocab * hidden


def mlx_params(draft: Draft) -> int | None:
    """MLX repos often count packed 2-8-bit weights as 32-bit words. Keep the upstream count when it agrees
    with the repo name or the tensor shapes; unpack it when the unpacked count agrees; else None."""
    bits = MLX_BITS.search(draft.basename)
    unpacked = draft.params * 32 / int(bits.group(1)) if bits else None
    reference = name_size_b(draft.basename)
    expected = reference * 1e9 if reference else structural_params(draft.arch, moe_of(draft.raw))
    if expected is None:
        return None if bits else draft.params

    def close(value: float) -> bool:
        return 0.6 <= value / expected <= 1.6

    if close(draft.params):
        return draft.params
    if unpacked and close(unpacked):
        return int(unpacked)
    return None


def fold_mlx(drafts: list[Draft]) -> tuple[list[Draft], Counter[str]]:
    """Attach each MLX conversion to the model it converts; keep MLX-only models with honest sizes."""
    stats: Counter[str] = Counter()
    by_slug: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        if not draft.mlx_only:
            by_slug[slug(draft.basename)].append(draft)
    kept: list[Draft] = []
    for draft in drafts:
        if not draft.mlx_only:
            kept.append(draft)
            continue
        base = by_slug.get(slug(mlx_base_name(draft.basename)))
        if base:
            target = max(base, key=lambda d: int(d.raw.get("hf_downloads") or 0))
            target.mlx_sources.append(f"https://huggingface.co/{draft.name}")
            stats["mlx conversions folded into base model"] += 1
            continue
        params = mlx_params(draft)
        if params is None:
            stats["mlx-only dropped: no honest parameter count"] += 1
            continue
        if params != draft.params:
            draft.provenance["params"] = f"unpacked from the packed MLX word count ({draft.params:,})"
            draft.params = params
            draft.parameter_count = f"{params / 1e9:.1f}B"
        draft.mlx_sources.append(f"https://huggingface.co/{draft.name}")
        draft.notes.append("MLX build only: runs on Apple Silicon")
        stats["mlx-only kept"] += 1
        kept.append(draft)
    return kept, stats


def deduplicate(drafts: list[Draft]) -> tuple[list[Draft], Counter[str]]:
    """Same repo basename under several owners: keep the original publisher, remember the others as aliases."""
    stats: Counter[str] = Counter()
    groups: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        groups[slug(draft.basename)].append(draft)
    kept = []
    for members in groups.values():
        members.sort(key=lambda d: (not d.has_shape(), -int(d.raw.get("hf_downloads") or 0), d.name))
        original = [m for m in members if m.raw.get("provider") and not m.raw.get("_discovered")]
        primary = original[0] if original else members[0]
        for other in members:
            if other is primary:
                continue
            primary.aliases.append(other.name)
            primary.mlx_sources.extend(other.mlx_sources)
            missing = [k for k in ARCH_FIELDS if primary.arch.get(k) is None and other.arch.get(k) is not None]
            for key in missing:
                primary.arch[key] = other.arch[key]
            if missing:
                primary.provenance.setdefault("arch", f"from {other.name} (same model name)")
            stats["duplicates merged"] += 1
        kept.append(primary)
    return kept, stats


# ---------------------------------------------------------------- 4. attention variants and MoE


def attention_of(draft: Draft) -> dict[str, Any]:
    trait_key = str(draft.raw.get("architecture") or "")
    if trait_key not in ATTENTION_TRAITS:
        trait_key = draft.family
    trait = ATTENTION_TRAITS.get(trait_key)
    layers = draft.arch.get("layers")
    if trait is None:
        return {"kind": "full"}
    if trait.kind == "mla":
        return {"kind": "mla", "latent_dim": trait.latent_dim, "source": trait_key}
    if layers is None:
        return {"kind": "full"}
    if trait.kind == "sliding":
        assert trait.sliding_every is not None
        sliding, every = trait.sliding_every
        # Every `every`-th block of layers holds (every - sliding) full-attention layers, the rest slide.
        sliding_layers = layers - (layers // every) * (every - sliding)
        return {"kind": "sliding", "window": trait.window, "sliding_layers": sliding_layers, "source": trait_key}
    assert trait.full_ratio is not None
    full, every = trait.full_ratio
    return {"kind": "hybrid", "full_layers": layers * full // every, "source": trait_key}


def moe_of(raw: dict[str, Any]) -> dict[str, Any] | None:
    if not raw.get("is_moe"):
        return None
    experts, active = raw.get("num_experts"), raw.get("active_experts")
    if not experts or not active or experts < 2 or active > experts:
        return None
    active_params = raw.get("active_parameters")
    return {
        "experts": int(experts),
        "active_experts": int(active),
        "active_params": int(active_params) if active_params else None,
    }


def mark_unverified_runtimes(drafts: list[Draft]) -> Counter[str]:
    """An entry whose architecture upstream does not know, with no GGUF published for it or any entry of its
    variant group (and no member of a known architecture): nothing shows llama.cpp can convert or run it, so
    its estimate is low-confidence and says so, and the ranking counts the doubt (scoring.quality_base).
    Entries of unknown architecture whose group has GGUFs (a Nemotron re-upload, say) are runnable."""
    known: set[str] = set()
    for draft in drafts:
        if draft.raw.get("gguf_sources") or draft.raw.get("architecture") not in (None, "", "unknown"):
            known.add(draft.group or draft.name)
    stats: Counter[str] = Counter()
    for draft in drafts:
        if (draft.group or draft.name) in known or draft.mlx_only:
            continue
        draft.runtime_unverified = True
        draft.notes.append(
            "Architecture unknown upstream and no GGUF published for it or its variants: "
            "llama.cpp support is unverified"
        )
        stats["entries whose llama.cpp support is unverified"] += 1
    return stats


def confidence_of(draft: Draft) -> str:
    if draft.runtime_unverified or not draft.has_shape() or not draft.arch.get("hidden"):
        return "low"
    repaired = any(k in draft.provenance for k in ("arch", "head_dim", "context_length", "params"))
    return "medium" if repaired else "high"


# ---------------------------------------------------------------- 5. assemble, validate, write


def to_entry(draft: Draft, group_downloads: int) -> CatalogEntry:
    raw = draft.raw
    arch: dict[str, Any] = {k: v for k, v in draft.arch.items() if v is not None}
    tie = tied_embeddings_of(raw.get("architecture"), arch.get("hidden"), arch.get("vocab"), draft.params)
    if tie is not None:
        arch["tied_embeddings"] = tie.tied  # the published config of the base with this shape (row's source)
    mtp = mtp_layers_of(raw.get("architecture"), arch.get("hidden"), arch.get("vocab"), draft.params)
    if mtp is not None:
        arch["mtp_layers"] = mtp.mtp_layers  # counted in params, not written to the GGUF (mtp_layers.json)
    if not draft.has_shape():
        draft.notes.append("Layer/KV-head facts unknown: KV cache estimated from parameter count")
    gguf = [f"https://huggingface.co/{s['repo']}" for s in raw.get("gguf_sources") or () if s.get("repo")]
    moe = moe_of(draft.moe_raw if draft.moe_raw is not None else raw)
    if raw.get("is_moe") and moe is None:
        draft.notes.append("MoE without expert counts: treated as dense for speed")
    entry = catalog_entry_adapter().validate_python(
        {
            "name": draft.name,
            "aliases": sorted(set(draft.aliases)),
            "provider": raw.get("provider") or draft.name.split("/")[0],
            "parameter_count": draft.parameter_count or raw.get("parameter_count") or f"{draft.params / 1e9:.1f}B",
            "params": draft.params,
            "context_length": draft.context,
            "release_date": raw.get("release_date"),
            "license": raw.get("license"),
            "category": category_of(raw),
            "capabilities": sorted(set(raw.get("capabilities") or ()) - {"tts", "audio"}),
            "architecture": raw.get("architecture"),
            "arch": arch,
            "attention": attention_of(draft),
            "moe": moe,
            "native_quant": "MXFP4" if raw.get("architecture") in NATIVE_MXFP4_ARCHITECTURES else None,
            "gguf_sources": list(dict.fromkeys(gguf)),
            "mlx_sources": list(dict.fromkeys(draft.mlx_sources)),
            "mlx_only": draft.mlx_only,
            "confidence": confidence_of(draft),
            "provenance": dict(sorted(draft.provenance.items())),
            "notes": list(draft.notes),
            "downloads": int(raw.get("hf_downloads") or 0),
            "likes": int(raw.get("hf_likes") or 0),
            "first_party": draft.first_party,
            "kind": draft.kind,
            "experimental": draft.experimental,
            "domain": draft.domain,
            "runtime_unverified": draft.runtime_unverified,
            "group": draft.group or draft.name,
            "origin_date": draft.origin_date,
            "group_downloads": group_downloads,
        }
    )
    problem = consistency_error(entry)
    if problem:
        raise ValueError(f"{draft.name}: {problem}")
    return entry


def build(raw_models: list[dict[str, Any]], source_name: str) -> tuple[dict[str, Any], Counter[str]]:
    stats: Counter[str] = Counter()
    drafts: list[Draft] = []
    for raw in raw_models:
        reason = drop_reason(raw)
        if reason:
            stats[f"dropped: {reason.split(' (')[0]}"] += 1
            continue
        draft = Draft(raw=raw, arch=upstream_arch(raw), context=int(raw.get("context_length") or 0))
        draft.params = int(raw["parameters_raw"])
        draft.mlx_only = (raw.get("format") or "gguf") == "mlx"
        named = name_size_b(draft.basename)
        if not draft.mlx_only and named and not 0.25 <= draft.params / 1e9 / named <= 4:
            stats["dropped: name size disagrees with parameter count 4x or more"] += 1
            continue
        if draft.context < 128:
            stats["dropped: no usable context length"] += 1
            continue
        drafts.append(draft)

    stats.update(repair(drafts))
    drafts, folded = fold_mlx(drafts)
    stats.update(folded)
    drafts, merged = deduplicate(drafts)
    stats.update(merged)
    rules = load_rules()
    stats.update(repair_packed(drafts, rules, name_size_b))
    stats.update(mark_mlx_formats(drafts, rules))
    stats.update(classify(drafts, rules, category_of))
    stats.update(kinds_summary(drafts))
    stats.update(assign_groups(drafts, rules))
    stats.update(mark_unverified_runtimes(drafts))
    stats.update(fold_lineages(drafts, rules))
    line_use: Counter[str] = Counter()
    for draft in drafts:
        line_use[draft.group or draft.name] += int(draft.raw.get("hf_downloads") or 0)
    entries = sorted((to_entry(d, line_use[d.group or d.name]) for d in drafts), key=lambda e: e["name"].lower())
    stats["kept"] = len(entries)
    document = {
        "schema_version": 1,
        "built_from": source_name,
        "built_at": max((e.get("release_date") or "") for e in entries),
        "models": [_compact(e) for e in entries],
    }
    catalog_file_adapter().validate_python(document)
    return document, stats


def _compact(entry: CatalogEntry) -> dict[str, Any]:
    """Leave out empty and default fields: smaller file, same meaning."""
    # The loader restores every default (fleetfit.catalog.LINEAGE_DEFAULTS): readers always see all the fields.
    defaults: dict[str, Any] = {
        "mlx_only": False,
        "attention": {"kind": "full"},
        **LINEAGE_DEFAULTS,
        "group": entry["name"],
        "origin_date": entry.get("release_date"),
        "group_downloads": entry.get("downloads"),
    }
    return {k: v for k, v in entry.items() if v not in (None, [], {}, ()) and defaults.get(k, object()) != v}


def write(document: dict[str, Any], out: Path) -> None:
    """Write the catalog and, beside it, the SHA-256 of the validated bytes (fleetfit trusts only those)."""
    payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the bytes (and so the content hash) identical across rebuilds.
    data = gzip.compress(payload, compresslevel=9, mtime=0)
    out.write_bytes(data)
    out.with_name(out.name.removesuffix(".json.gz") + ".sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
    write_invariants(out)


def write_invariants(out: Path) -> Path:
    """Step 7: the engine's prepared invariants of the catalog at `out`, written beside it as invariants.bin, and
    the catalog's document as loading makes it (document.bin, marshal: the bundled catalog loads from it)."""
    from fleetfit.catalog import encode_document, load_catalog_bytes
    from fleetfit.engine.prepared import prepare
    from fleetfit.engine.profile import build_profile
    from fleetfit.engine.query import reference_date

    data = out.read_bytes()
    catalog = load_catalog_bytes(data, str(out), trusted_digest=hashlib.sha256(data).hexdigest())  # written above
    target = out.with_name("invariants.bin")
    target.write_bytes(prepare(catalog, [build_profile(e) for e in catalog.entries], reference_date(catalog)))
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB) for catalog {catalog.version}")
    document = out.with_name("document.bin")
    document.write_bytes(encode_document(data))
    print(f"wrote {document} ({document.stat().st_size / 1e6:.2f} MB)")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, nargs="?", help="upstream-format hf_models.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--invariants-only", action="store_true", help="only rewrite invariants.bin beside --out")
    args = parser.parse_args(argv)
    if args.invariants_only:
        write_invariants(args.out)
        return 0
    if args.source is None:
        parser.error("the upstream hf_models.json is required (or --invariants-only)")
    raw_models = json.loads(args.source.read_text(encoding="utf-8"))
    document, stats = build(raw_models, args.source.name)
    write(document, args.out)
    for key, count in sorted(stats.items()):
        print(f"{count:>7}  {key}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

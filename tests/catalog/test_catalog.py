"""The bundled catalog: loading, validation errors, published facts of well-known models, and the build."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fleetfit.catalog import (
    BUNDLED_CATALOG_PATH,
    BUNDLED_DIGEST_PATH,
    BUNDLED_DOCUMENT_PATH,
    CatalogError,
    decode_document,
    encode_document,
    load_bundled,
    load_catalog_bytes,
)

from tests.catalog.upstream import upstream

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "infra" / "catalog"))

import build_catalog  # noqa: E402


def document_with(models: list[dict[str, Any]]) -> bytes:
    doc = {"schema_version": 1, "built_from": "test", "built_at": "2026-01-01", "models": models}
    return gzip.compress(json.dumps(doc).encode())


GOOD = {
    "name": "org/model-7b",
    "provider": "Org",
    "parameter_count": "7B",
    "params": 7_000_000_000,
    "context_length": 8192,
    "category": "General",
    "confidence": "high",
}


def test_bundled_catalog_loads_and_is_versioned_by_content() -> None:
    catalog = load_bundled()
    data = BUNDLED_CATALOG_PATH.read_bytes()
    assert catalog.version == hashlib.sha256(data).hexdigest()[:16]
    assert BUNDLED_DIGEST_PATH.read_text().strip() == hashlib.sha256(data).hexdigest()
    assert len(catalog) > 10_000


def test_bundled_catalog_passes_full_validation() -> None:
    # The trusted fast path skips validation only for these exact bytes: prove they are valid.
    validated = load_catalog_bytes(BUNDLED_CATALOG_PATH.read_bytes(), source="test")
    assert len(validated) == len(load_bundled())


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"not gzip at all", "not gzip"),
        (gzip.compress(b"{broken"), "not JSON"),
        (document_with([{**GOOD, "params": 12}]), "entry 0 ('org/model-7b'), field params"),
        (
            document_with([GOOD, {**GOOD, "name": "org/other", "category": "Poetry"}]),
            "entry 1 ('org/other'), field category",
        ),
        (document_with([{**GOOD, "arch": {"layers": "many"}}]), "field arch.layers"),
        (document_with([{**GOOD, "surprise": 1}]), "field surprise"),
        (document_with([{**GOOD, "arch": {"heads": 8, "kv_heads": 32}}]), "field arch.kv_heads"),
        (document_with([{**GOOD, "moe": {"experts": 8, "active_experts": 9}}]), "field moe.active_experts"),
        (document_with([{**GOOD, "attention": {"kind": "sliding", "window": 4096}}]), "attention.sliding_layers"),
        (document_with([GOOD, {**GOOD, "name": "ORG/Model-7B"}]), "duplicate model name"),
    ],
)
def test_bad_catalogs_fail_naming_entry_and_field(data: bytes, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog_bytes(data, source="s3://bucket/catalog.json.gz")
    assert fragment in str(caught.value)
    assert "s3://bucket/catalog.json.gz" in str(caught.value)


def test_the_bundled_document_is_the_parsed_catalog() -> None:
    # document.bin (marshal) is what parsing catalog.json.gz makes, entry for entry and key for key in order.
    data = BUNDLED_CATALOG_PATH.read_bytes()
    trusted = BUNDLED_DIGEST_PATH.read_text().strip()
    stale = "stale: run `python infra/catalog/build_catalog.py --invariants-only` and commit document.bin"
    assert decode_document(BUNDLED_DOCUMENT_PATH.read_bytes(), trusted) is not None, stale
    parsed = load_catalog_bytes(data, source="bundled", trusted_digest=trusted)
    shipped = load_bundled()
    assert shipped.version == parsed.version
    assert (shipped.built_from, shipped.built_at) == (parsed.built_from, parsed.built_at)
    assert len(shipped.entries) == len(parsed.entries)
    for mine, theirs in zip(shipped.entries, parsed.entries, strict=True):
        assert mine == theirs and list(mine) == list(theirs)
    assert BUNDLED_DOCUMENT_PATH.read_bytes() == encode_document(data)


def test_a_document_of_other_bytes_is_ignored() -> None:
    good = document_with([GOOD])
    other = document_with([{**GOOD, "name": "acme/Other-7B"}])
    digest = hashlib.sha256(good).hexdigest()
    assert [e["name"] for e in load_catalog_bytes(good, "t", trusted_digest=digest, document=encode_document(good))] \
        == [GOOD["name"]]
    # A document made from other bytes, or a damaged one, is not read: the catalog's own bytes are parsed.
    for document in (encode_document(other), encode_document(good)[:-3], b"garbage", b"{}\n" + b"\0" * 8):
        assert decode_document(document, digest) is None
        loaded = load_catalog_bytes(good, "t", trusted_digest=digest, document=document)
        assert [e["name"] for e in loaded] == [GOOD["name"]]
    # Only trusted bytes take a document: any other catalog is validated in full.
    with pytest.raises(CatalogError):
        bad = document_with([{**GOOD, "params": 12}])
        load_catalog_bytes(bad, "t", trusted_digest="0" * 64, document=encode_document(bad))


def test_tampered_bundle_is_validated_not_trusted() -> None:
    bad = document_with([{**GOOD, "params": 12}])
    with pytest.raises(CatalogError):
        load_catalog_bytes(bad, source="bundled", trusted_digest=hashlib.sha256(b"other").hexdigest())


# Published configs (config.json on Hugging Face or the model's report):
# layers, kv_heads, head_dim, hidden, context.
PUBLISHED = [
    ("meta-llama/Llama-3.1-8B-Instruct", 32, 8, 128, 4096, 131072),
    ("meta-llama/Llama-3.3-70B-Instruct", 80, 8, 128, 8192, 131072),
    ("meta-llama/Llama-3.2-1B-Instruct", 16, 8, 64, 2048, 131072),
    ("meta-llama/Llama-3.2-3B-Instruct", 28, 8, 128, 3072, 131072),
    ("meta-llama/Meta-Llama-3-8B-Instruct", 32, 8, 128, 4096, 8192),
    ("Qwen/Qwen2.5-7B-Instruct", 28, 4, 128, 3584, 32768),
    ("Qwen/Qwen2.5-72B-Instruct", 80, 8, 128, 8192, 32768),
    ("Qwen/Qwen3-8B", 36, 8, 128, 4096, 40960),
    ("Qwen/Qwen3-30B-A3B", 48, 4, 128, 2048, 40960),
    ("Qwen/Qwen3-235B-A22B", 94, 4, 128, 4096, 40960),
    ("mistralai/Mistral-7B-Instruct-v0.3", 32, 8, 128, 4096, 32768),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", 32, 8, 128, 4096, 32768),
    ("google/gemma-2-9b-it", 42, 8, 256, 3584, 8192),
    ("google/gemma-3-27b-it", 62, 16, 128, 5376, 131072),
    ("openai/gpt-oss-20b", 24, 8, 64, 2880, 131072),
    ("openai/gpt-oss-120b", 36, 8, 64, 2880, 131072),
    ("deepseek-ai/DeepSeek-V3", 61, None, None, 7168, 163840),
    ("deepseek-ai/DeepSeek-R1", 61, None, None, 7168, 163840),
]


@pytest.mark.parametrize(("name", "layers", "kv_heads", "head_dim", "hidden", "context"), PUBLISHED)
def test_well_known_models_carry_their_published_facts(
    name: str, layers: int, kv_heads: int | None, head_dim: int | None, hidden: int, context: int
) -> None:
    entry = load_bundled().find(name)
    assert entry is not None, name
    arch = entry["arch"]
    assert (arch["layers"], arch["hidden"], entry["context_length"]) == (layers, hidden, context)
    if kv_heads is not None:
        assert (arch["kv_heads"], arch["head_dim"]) == (kv_heads, head_dim)


def test_published_moe_and_attention_facts() -> None:
    catalog = load_bundled()
    mixtral = catalog.find("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert mixtral and mixtral["moe"]["experts"] == 8 and mixtral["moe"]["active_experts"] == 2
    oss = catalog.find("openai/gpt-oss-120b")
    assert oss and oss["moe"]["experts"] == 128 and oss["moe"]["active_experts"] == 4 and oss["native_quant"] == "MXFP4"
    assert oss["attention"] == {"kind": "sliding", "window": 128, "sliding_layers": 18, "source": "gpt_oss"}
    deepseek = catalog.find("deepseek-ai/DeepSeek-V3")
    assert deepseek and deepseek["attention"]["kind"] == "mla" and deepseek["attention"]["latent_dim"] == 576
    gemma = catalog.find("google/gemma-3-27b-it")
    assert gemma and gemma["attention"]["sliding_layers"] == 52 and gemma["attention"]["window"] == 1024


def test_repairs_record_their_provenance() -> None:
    gated = load_bundled().find("meta-llama/Llama-3.3-70B-Instruct")
    assert gated is not None
    assert "repaired" in gated["provenance"]["arch"] and "same architecture" in gated["provenance"]["arch"]
    assert "4,096" in gated["provenance"]["context_length"]
    assert gated["confidence"] == "medium"


def test_catalog_keeps_runnable_models_only() -> None:
    catalog = load_bundled()
    assert all(e["category"] in {"General", "Coding", "Reasoning", "Chat", "Multimodal", "Embedding"} for e in catalog)
    names = " ".join(e["name"].lower() for e in catalog)
    assert "-awq" not in names.replace("-awq-", "")  # pre-quantized vLLM-only repos are out
    assert catalog.find("openai/whisper-large-v3") is None


def test_suggestions_for_a_misspelled_name() -> None:
    assert "meta-llama/Llama-3.1-8B-Instruct" in load_bundled().suggest("meta-llama/Llama-3.1-8B-Instrct")


# --- the build script, on a small upstream-format sample -------------------------------------------


SHAPE = {
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "hidden_size": 4096,
    "vocab_size": 128256,
    "moe_intermediate_size": 14336,
}


def build(models: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    document, stats = build_catalog.build(models, "sample.json")
    return {m["name"]: m for m in document["models"]}, dict(stats)


def test_build_repairs_gated_entries_from_ungated_siblings() -> None:
    sample = [
        upstream("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, context_length=4096),
        upstream("someone/Meta-Llama-3.1-8B-Instruct-ungated", 8_030_261_248, **SHAPE),
    ]
    models, stats = build(sample)
    gated = models["meta-llama/Llama-3.1-8B-Instruct"]
    assert gated["arch"]["layers"] == 32 and gated["arch"]["kv_heads"] == 8
    assert gated["context_length"] == 131072
    assert "someone/Meta-Llama-3.1-8B-Instruct-ungated" in gated["provenance"]["arch"]
    assert stats["architecture repaired from sibling"] == 1


def test_build_fixes_rope_inflated_contexts_and_flags_unverified_ones() -> None:
    sample = [
        upstream("a/Llama-3.2-1B-Instruct-tuned", 1_235_814_400, context_length=4_194_304),
        upstream("b/Mystery-1B", 1_100_000_000, architecture="mystery", context_length=1_048_576, **SHAPE),
    ]
    models, _ = build(sample)
    assert models["a/Llama-3.2-1B-Instruct-tuned"]["context_length"] == 131072
    mystery = models["b/Mystery-1B"]
    assert mystery["context_length"] == 1_048_576 and "not verified" in " ".join(mystery["notes"])


def test_build_drops_what_llama_cpp_cannot_run() -> None:
    sample = [
        upstream("a/Speaker-TTS", 500_000_000, use_case="Text-to-speech", capabilities=["tts"]),
        upstream("a/Model-AWQ", 8_000_000_000, format="awq"),
        upstream("a/Model-8B-EAGLE3", 8_000_000_000),
        upstream("a/Huge-70B", 1_000_000_000, **SHAPE),  # name says 70B, count says 1B
        upstream("a/Fine-8B", 8_030_261_248, **SHAPE),
    ]
    models, stats = build(sample)
    assert list(models) == ["a/Fine-8B"]
    assert stats["dropped: format awq"] == 1


def test_build_folds_mlx_conversions_and_unpacks_packed_counts() -> None:
    sample = [
        upstream("org/Chat-8B", 8_030_261_248, **SHAPE),
        upstream("mlx-community/Chat-8B-4bit", 1_254_000_000, format="mlx", **SHAPE),
        upstream("mlx-community/Solo-8B-4bit", 1_004_000_000, format="mlx", architecture="solo", **SHAPE),
    ]
    models, _ = build(sample)
    assert models["org/Chat-8B"]["mlx_sources"] == ["https://huggingface.co/mlx-community/Chat-8B-4bit"]
    solo = models["mlx-community/Solo-8B-4bit"]
    assert solo["mlx_only"] and solo["params"] == 8_032_000_000
    assert "packed" in solo["provenance"]["params"]


def test_build_is_deterministic(tmp_path: Path) -> None:
    sample = [upstream("org/Chat-8B", 8_030_261_248, **SHAPE)]
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    build_catalog.write(build_catalog.build(sample, "s")[0], first)
    build_catalog.write(build_catalog.build(sample, "s")[0], second)
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a.sha256").read_text().strip() == hashlib.sha256(first.read_bytes()).hexdigest()
    assert len(load_catalog_bytes(first.read_bytes(), source="built")) == 1


QWEN3_SMALL = dict(
    architecture="qwen3",
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    vocab_size=151936,
    moe_intermediate_size=3072,
)


def test_build_ties_output_embeddings_from_published_configs() -> None:
    # Qwen3-0.6B ties lm_head to the embedding, Qwen3-8B does not (their config.json); a fine-tune listing the
    # base's count shares its layout; one whose count differs (a head dropped or added) is left to the engine.
    # TinyLlama shares Llama-3.2-1B's hidden size but not its vocabulary: a row needs the whole shape.
    sample = [
        upstream("Qwen/Qwen3-0.6B", 751_632_384, hidden_size=1024, **QWEN3_SMALL),
        upstream("someone/Qwen3-0.6B-finetune", 751_632_384, hidden_size=1024, **QWEN3_SMALL),
        upstream("someone/Qwen3-0.6B-headless", 596_049_920, hidden_size=1024, **QWEN3_SMALL),
        upstream("Qwen/Qwen3-8B", 8_190_735_360, **{**QWEN3_SMALL, "hidden_size": 4096, "num_hidden_layers": 36}),
        upstream("TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1_100_048_384, hidden_size=2048, vocab_size=32000),
        upstream("a/Mystery-1B", 1_100_000_000, architecture="mystery", hidden_size=2048, vocab_size=32000),
    ]
    models, _ = build(sample)
    tied = {name: m["arch"].get("tied_embeddings") for name, m in models.items()}
    assert tied == {
        "Qwen/Qwen3-0.6B": True,
        "someone/Qwen3-0.6B-finetune": True,
        "someone/Qwen3-0.6B-headless": None,
        "Qwen/Qwen3-8B": False,
        "TinyLlama/TinyLlama-1.1B-Chat-v1.0": False,
        "a/Mystery-1B": None,  # no published row: the engine infers it from the parameter count
    }


def test_tied_embedding_rows_are_checked(tmp_path: Path) -> None:
    from arch_traits import TIED_EMBEDDINGS_FILE, load_tied_embeddings

    data = json.loads(TIED_EMBEDDINGS_FILE.read_text())
    data["rows"].append(dict(data["rows"][0], tied=False))
    bad = tmp_path / "tied.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="duplicate"):
        load_tied_embeddings(bad)


@pytest.mark.parametrize(
    ("name", "quant", "published_gb"),
    [
        ("Qwen/Qwen3-0.6B", "Q8_0", 0.639),  # Qwen/Qwen3-0.6B-GGUF Qwen3-0.6B-Q8_0.gguf, 639 MB
        ("Qwen/Qwen3-1.7B", "Q8_0", 1.83),  # Qwen/Qwen3-1.7B-GGUF Qwen3-1.7B-Q8_0.gguf, 1.83 GB
    ],
)
def test_bundled_tied_models_are_sized_with_one_vocabulary_matrix(name: str, quant: str, published_gb: float) -> None:
    from fleetfit.engine.memory import weights
    from fleetfit.engine.profile import build_profile

    entry = load_bundled().find(name)
    assert entry is not None and entry["arch"]["tied_embeddings"] is True
    assert weights(build_profile(entry), quant).total / 1e9 == pytest.approx(published_gb, rel=0.03)


def test_mtp_layers_are_marked_and_left_out_of_the_gguf_size() -> None:
    # DeepSeek-R1 lists 684.49 B with its MTP block; llama-bench counts 671.03 B in the GGUF, 376.65 GiB at
    # Q4_K_M; GLM-4.7-Flash 31.22 B listed, 29.94 B in its Q8_0 GGUF of 29.65 GiB (ground-truth gguf_sizes).
    from fleetfit.engine.memory import weights
    from fleetfit.engine.profile import build_profile

    catalog = load_bundled()
    for name, quant, gib in (("deepseek-ai/DeepSeek-R1", "Q4_K_M", 376.65), ("zai-org/GLM-4.7-Flash", "Q8_0", 29.65)):
        entry = catalog.find(name)
        assert entry is not None and entry["arch"]["mtp_layers"] == 1
        assert weights(build_profile(entry), quant).total / 2**30 == pytest.approx(gib, rel=0.015)
        unmarked = {**entry, "arch": {k: v for k, v in entry["arch"].items() if k != "mtp_layers"}}
        assert weights(build_profile(unmarked), quant).total > 1.015 * weights(build_profile(entry), quant).total
    sample = [
        upstream("deepseek-ai/DeepSeek-V3", 684_531_386_000, architecture="deepseek_v3", hidden_size=7168,
                 vocab_size=129280, num_hidden_layers=61),  # fmt: skip
        upstream("someone/DeepSeek-V3-no-mtp", 671_026_419_200, architecture="deepseek_v3", hidden_size=7168,
                 vocab_size=129280, num_hidden_layers=61),  # fmt: skip
    ]
    models, _ = build(sample)
    assert models["deepseek-ai/DeepSeek-V3"]["arch"]["mtp_layers"] == 1
    assert "mtp_layers" not in models["someone/DeepSeek-V3-no-mtp"]["arch"]  # a count without the block

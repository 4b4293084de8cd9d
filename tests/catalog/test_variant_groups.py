"""Catalog lineage: downloads/likes, first-party, kind, packed-weight sizes and variant groups (infra/catalog/lineage.py)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pytest
from fleetfit.catalog import load_bundled, load_catalog_bytes

from tests.catalog.upstream import upstream

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "infra" / "catalog"))

import build_catalog  # noqa: E402
import lineage  # noqa: E402

RULES = lineage.load_rules()

LLAMA_8B = {
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "hidden_size": 4096,
    "vocab_size": 128256,
    "moe_intermediate_size": 14336,
}
LLAMA_70B = {
    **LLAMA_8B,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "hidden_size": 8192,
    "moe_intermediate_size": 28672,
}
QWEN_7B = {
    **LLAMA_8B,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "hidden_size": 3584,
}
QWEN3_8B = {**LLAMA_8B, "num_hidden_layers": 36, "vocab_size": 151936, "moe_intermediate_size": 12288}
GPT_OSS_20B = {
    "num_hidden_layers": 24,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "head_dim": 64,
    "hidden_size": 2880,
    "vocab_size": 201088,
    "moe_intermediate_size": 2880,
    "architecture": "gpt_oss",
    "is_moe": True,
    "num_experts": 32,
    "active_experts": 4,
    "active_parameters": 3_529_365_271,
}
OSS_PARAMS = 20_914_757_184


def build(models: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The sample built, written and loaded back the way fleetfit reads it (defaults restored)."""
    document, _ = build_catalog.build(models, "sample.json")
    import gzip
    import json

    data = gzip.compress(json.dumps(document).encode())
    return {m["name"]: m for m in load_catalog_bytes(data, source="sample")}


# --- downloads, likes, first-party ------------------------------------------------------------------


def test_every_entry_carries_downloads_likes_first_party_kind_group_and_origin() -> None:
    models = build(
        [
            upstream("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, downloads=5_000_000, **LLAMA_8B),
            upstream("someone/Llama-3.1-8B-Instruct-Lexi", 8_030_261_248, downloads=0, hf_likes=None, **LLAMA_8B),
        ]
    )
    meta, lexi = models["meta-llama/Llama-3.1-8B-Instruct"], models["someone/Llama-3.1-8B-Instruct-Lexi"]
    assert (meta["downloads"], meta["likes"], meta["first_party"], meta["kind"]) == (5_000_000, 50_000, True, "chat")
    assert (lexi["downloads"], lexi["likes"], lexi["first_party"]) == (0, 0, False)
    assert meta["group"] == lexi["group"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert meta["origin_date"] == lexi["origin_date"] == "2024-07-23"
    for entry in load_bundled():
        assert {"downloads", "likes", "first_party", "kind", "group", "origin_date"} <= entry.keys(), entry["name"]


@pytest.mark.parametrize(
    ("name", "first_party"),
    [
        ("openai/gpt-oss-20b", True),
        ("Qwen/Qwen3-8B", True),
        ("meta-llama/Llama-3.1-8B-Instruct", True),
        ("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", True),
        ("nvidia/DeepSeek-R1-NVFP4", False),  # NVIDIA's repack of DeepSeek's weights
        ("amd/Instella-3B", True),
        ("amd/Qwen3.5-35B-A3B-MXFP4", False),
        ("NousResearch/Hermes-3-Llama-3.1-8B", True),
        ("NousResearch/Meta-Llama-3.1-8B-Instruct", False),  # a re-upload of Meta's weights
        ("unsloth/Llama-3.1-8B-Instruct", False),
        ("RedHatAI/Llama-3.3-70B-Instruct-NVFP4", False),
        ("mlx-community/Qwen3-8B-4bit", False),
    ],
)
def test_first_party_follows_the_organisation_list(name: str, first_party: bool) -> None:
    assert lineage.is_first_party(name, RULES) is first_party


# --- kind -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "fields", "kind"),
    [
        ("Qwen/Qwen3-8B", 8_190_735_360, {}, "chat"),
        ("Qwen/Qwen3-8B-Base", 8_190_735_360, {}, "base"),
        ("google/gemma-3-27b-pt", 27_000_000_000, {}, "base"),
        ("amd/Instella-MoE-16B-A3B-Pretrain", 15_860_000_000, {}, "base"),
        ("allenai/olmOCR-2-7B-1025", 8_290_000_000, {}, "ocr"),
        ("datalab-to/chandra-ocr-2", 8_000_000_000, {}, "ocr"),
        ("someone/democracy-chat-7b", 7_000_000_000, {}, "chat"),  # "ocr" inside a word is not OCR
        ("meta-llama/Llama-Guard-3-8B", 8_030_261_248, {}, "guard"),
        ("ibm-granite/granite-guardian-3.3-8b", 8_170_000_000, {}, "guard"),
        ("nvidia/AceMath-7B-RM", 7_600_000_000, {}, "reward"),
        ("Skywork/Skywork-Reward-Llama-3.1-8B", 8_030_261_248, {}, "reward"),
        ("someone/diacritic-restorer-1b", 1_000_000_000, {}, "chat"),  # not a critic
        ("Qwen/Qwen-Image-Bench", 27_400_000_000, {}, "reward"),  # a benchmark's judge
        ("FreedomIntelligence/HuatuoGPT-3-Grader-8B", 8_190_735_360, {}, "reward"),
        ("someone/benchmark-tuned-7b", 7_000_000_000, {}, "chat"),  # "bench" inside a word is not a benchmark
        ("alamios/DeepSeek-R1-DRAFT-Qwen2.5-0.5B", 494_000_000, {}, "draft"),
        ("someone/Qwen3.6-27B-NVFP4-MTP", 27_000_000_000, {}, "chat"),  # keeps MTP layers: a full model
        ("nm-testing/Meta-Llama-3-8B-Instruct-nonuniform-test", 8_030_261_248, {}, "stub"),
        ("someone/tiny-random-LlamaForCausalLM", 2_000_000, {}, "stub"),
        ("basically-ai/Pebble-10M-Chat", 10_000_000, {}, "stub"),
        ("CohereLabs/tiny-aya-global", 3_350_000_000, {}, "chat"),  # "tiny" is a product name here
        ("BAAI/bge-reranker-large", 560_000_000, {}, "embedding"),
        ("someone/Embed-1B", 1_000_000_000, {"pipeline_tag": "feature-extraction"}, "embedding"),
        ("someone/orpheus-tts-3b", 3_300_000_000, {}, "speech"),
        ("bezzam/Qwen3-ASR-1.7B", 1_700_000_000, {}, "speech"),
        ("EleutherAI/pythia-1.4b", 1_414_647_808, {}, "base"),
        ("openai-community/gpt2", 137_022_720, {}, "base"),
        ("bigcode/starcoder2-15b-instruct-v0.1", 15_957_889_024, {}, "chat"),
        ("answerdotai/ModernBERT-large", 395_000_000, {"architecture": "modernbert"}, "embedding"),
        ("microsoft/Florence-2-large", 777_000_000, {"architecture": "florence2"}, "ocr"),
        ("inclusionAI/LLaDA2.0-mini", 16_255_999_552, {"architecture": "llada2_moe"}, "diffusion"),
        ("google/diffusiongemma-26B-A4B-it", 25_800_000_000, {"architecture": "diffusion_gemma"}, "diffusion"),
        ("Dream-org/Dream-v0-Instruct-7B", 7_615_616_512, {"architecture": "Dream"}, "diffusion"),
        ("Gustavosta/MagicPrompt-Stable-Diffusion", 137_022_720, {"architecture": "gpt2"}, "chat"),  # a GPT-2
        ("kshitijthakkar/deepseek-v4-mini-6B-init", 8_100_000_000, {}, "stub"),  # saved before any training
        ("norallm/normistral-7b-scratch", 7_250_000_000, {}, "chat"),  # trained from scratch: a real model
        ("tencent/Hy-Embodied-VLM-1.0", 30_500_000_000, {}, "embodied"),
        ("XiaomiMiMo/MiMo-Embodied-7B", 8_300_000_000, {}, "embodied"),
        ("nvidia/Cosmos-Reason2-8B", 8_800_000_000, {}, "embodied"),  # a physical-AI reasoner
        ("openvla/openvla-7b-finetuned-libero-spatial", 7_500_000_000, {}, "embodied"),  # a robot policy
        ("manycore-research/SpatialLM1.1-Qwen-0.5B", 604_000_000, {}, "embodied"),  # writes 3D layouts
        ("jondurbin/airoboros-70b-3.3", 70_600_000_000, {}, "chat"),  # "robo" inside a word
        ("Ispatialtechnosolutions/BraeinAi-Geospatial", 6_700_000_000, {}, "chat"),
    ],
)
def test_kind_by_name_and_pipeline(name: str, params: int, fields: dict[str, Any], kind: str) -> None:
    raw = upstream(name, params, **fields)
    assert lineage.kind_by_rules(name, raw, build_catalog.category_of(raw), params, RULES) == kind


def test_pretrained_siblings_of_an_instruct_release_are_base() -> None:
    models = build(
        [
            upstream("meta-llama/Llama-3.1-8B", 8_030_261_248, **LLAMA_8B),
            upstream("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, **LLAMA_8B),
            upstream("unsloth/Meta-Llama-3.1-8B", 8_030_261_248, **LLAMA_8B),  # re-upload of the base
            upstream("Qwen/Qwen3-8B", 8_190_735_360, architecture="qwen3", **QWEN3_8B),
            upstream("someone/Qwen3-8B-Instruct", 8_190_735_360, architecture="qwen3", **QWEN3_8B),
            upstream("microsoft/phi-4", 14_659_507_200, architecture="phi3", **QWEN_7B),
            upstream("microsoft/phi-4-reasoning", 14_659_507_200, architecture="phi3", **QWEN_7B),
        ]
    )
    assert models["meta-llama/Llama-3.1-8B"]["kind"] == "base"
    assert models["meta-llama/Llama-3.1-8B-Instruct"]["kind"] == "chat"
    # Qwen3-8B is the hybrid chat release: a third party's "-Instruct" name does not make it a base model.
    assert models["Qwen/Qwen3-8B"]["kind"] == "chat"
    # A reasoning variant beside it does not make phi-4 (itself instruction-tuned) a pretrained checkpoint.
    assert models["microsoft/phi-4"]["kind"] == "chat"


# --- packed-weight repos ----------------------------------------------------------------------------


def test_packed_repos_take_their_base_models_unpacked_size() -> None:
    models = build(
        [
            upstream("meta-llama/Llama-3.3-70B-Instruct", 70_553_706_496, downloads=400_000, **LLAMA_70B),
            upstream("RedHatAI/Llama-3.3-70B-Instruct-NVFP4", 40_606_377_056, downloads=14_586, **LLAMA_70B),
            upstream("unsloth/Llama-3.3-70B-Instruct-bnb-4bit", 37_400_000_000, **LLAMA_70B),
            upstream("unsloth/Llama-3.3-70B-Instruct-GGUF", 60_110_000_000, **LLAMA_70B),  # Q4 blocks counted
            upstream("RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic", 70_553_706_496, **LLAMA_70B),  # not packed
            # NVFP4 in the name, but 0.95 of its base's count (scales and unpacked layers): not a pack
            upstream("meta-llama/Llama-3.3-70B-Instruct-NVFP4-mixed", 67_000_000_000, **LLAMA_70B),
            upstream("openai/gpt-oss-20b", OSS_PARAMS, **GPT_OSS_20B),
            upstream("someone/gpt-oss-20b-MXFP4-repack", 12_100_000_000, **GPT_OSS_20B),
            upstream("someone/Unrelated-NVFP4", 1_500_000_000, **GPT_OSS_20B),  # far under, shape alone: left
        ]
    )
    nvfp4 = models["RedHatAI/Llama-3.3-70B-Instruct-NVFP4"]
    assert nvfp4["params"] == 70_553_706_496 and nvfp4["parameter_count"] == "70.6B"
    assert "meta-llama/Llama-3.3-70B-Instruct" in nvfp4["provenance"]["params"]
    assert "40,606,377,056" in nvfp4["provenance"]["params"] and nvfp4["confidence"] == "medium"
    assert models["unsloth/Llama-3.3-70B-Instruct-bnb-4bit"]["params"] == 70_553_706_496
    assert models["unsloth/Llama-3.3-70B-Instruct-GGUF"]["params"] == 70_553_706_496
    assert "provenance" not in models["RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic"]
    assert models["meta-llama/Llama-3.3-70B-Instruct-NVFP4-mixed"]["params"] == 67_000_000_000
    assert models["someone/Unrelated-NVFP4"]["params"] == 1_500_000_000
    repack = models["someone/gpt-oss-20b-MXFP4-repack"]
    assert repack["params"] == OSS_PARAMS and repack["moe"]["experts"] == 32


def test_packed_repo_without_a_base_is_sized_from_its_name_and_unknown_ones_are_left() -> None:
    models = build(
        [
            upstream("someone/Mystery-27B-NVFP4", 15_200_000_000, architecture="mystery", **LLAMA_8B),
            upstream("someone/Enigma-NVFP4", 15_200_000_000, architecture="enigma", **LLAMA_8B),
        ]
    )
    mystery = models["someone/Mystery-27B-NVFP4"]
    assert mystery["params"] == 27_000_000_000 and "name states" in mystery["provenance"]["params"]
    assert models["someone/Enigma-NVFP4"]["params"] == 15_200_000_000  # nothing honest to repair it from


def test_bundled_packed_repos_are_sized_as_their_base() -> None:
    catalog = load_bundled()
    base = catalog.find("meta-llama/Llama-3.3-70B-Instruct")
    nvfp4 = catalog.find("RedHatAI/Llama-3.3-70B-Instruct-NVFP4")
    assert base and nvfp4 and nvfp4["params"] == base["params"] and abs(nvfp4["params"] / 1e9 - 70.6) < 0.1
    assert "unpacked count of" in nvfp4["provenance"]["params"]
    for name in (
        "RedHatAI/Llama-3.1-8B-Instruct-NVFP4",
        "RedHatAI/Qwen3-32B-NVFP4",
        "enfuse/Qwen2.5-72B-Instruct-NVFP4",
    ):
        entry = catalog.find(name)
        assert entry is not None, name
        stated = build_catalog.name_size_b(name.split("/")[1])
        assert stated and 0.95 <= entry["params"] / 1e9 / stated <= 1.15, (name, entry["params"])
    packed = [e for e in catalog if "upstream counted" in e.get("provenance", {}).get("params", "")]
    assert len(packed) > 380


# --- variant groups ---------------------------------------------------------------------------------


GROUP_SAMPLE = [
    upstream("openai/gpt-oss-20b", OSS_PARAMS, downloads=6_000_000, release_date="2025-08-04", **GPT_OSS_20B),
    upstream("huihui-ai/Huihui-gpt-oss-20b-BF16-abliterated", OSS_PARAMS, downloads=90_000, **GPT_OSS_20B),
    # The most-downloaded copy, released later: still not the group's face, and not its origin date.
    upstream("p-e-w/gpt-oss-20b-heretic", OSS_PARAMS, downloads=9_000_000, release_date="2026-01-10", **GPT_OSS_20B),
    upstream("someone/gpt-oss-20b-w4a16", 12_100_000_000, **GPT_OSS_20B),
    # A fine-tune whose upstream record lost the MoE fields (and one with no shapes at all) still belongs.
    upstream("Melikshah/gpt-oss-20b-clinical-cot", OSS_PARAMS, **{**GPT_OSS_20B, "is_moe": None, "num_experts": None}),
    upstream("llmfan46/gpt-oss-20b-heretic-v2", OSS_PARAMS, architecture="gpt_oss"),
    upstream("someone/gpt-oss-20b-reap-16", 11_000_000_000, **{**GPT_OSS_20B, "num_experts": 16}),  # pruned
    upstream("Qwen/Qwen3-8B", 8_190_735_360, downloads=10, architecture="qwen3", **QWEN3_8B),
    upstream("community/Qwen3-8B-Reupload", 8_190_735_360, downloads=10_000, architecture="qwen3", **QWEN3_8B),
    upstream("meta-llama/Llama-3.1-8B", 8_030_261_248, **LLAMA_8B),
    upstream("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, **LLAMA_8B),
    upstream("someone/Llama-3.1-8B-Lexi-Uncensored", 8_030_261_248, **LLAMA_8B),
    upstream("unsloth/Llama-3.1-8B-bnb-4bit", 8_030_261_248, **LLAMA_8B),
    upstream("Qwen/Qwen2.5-7B-Instruct", 7_615_616_512, architecture="qwen2", **QWEN_7B),
    upstream("Qwen/Qwen2.5-Coder-7B-Instruct", 7_615_616_512, architecture="qwen2", **QWEN_7B),
    upstream("someone/Qwen2.5-Coder-7B-Instruct-abliterated", 7_615_616_512, architecture="qwen2", **QWEN_7B),
    upstream("someone/Qwen2.5-7B-Instruct-abliterated", 7_615_616_512, architecture="qwen2", **QWEN_7B),
    upstream("someone/Other-Model-7B", 7_615_616_512, architecture="qwen2", **QWEN_7B),  # same shape, no lineage
    # One first-party model in three storage formats, counted 5 % apart: one group, the BF16 original its face.
    upstream("nvidia/Nemotron-Nano-30B-A3B-BF16", 31_577_937_344, downloads=900_000, **QWEN3_8B),
    upstream("nvidia/Nemotron-Nano-30B-A3B-FP8", 31_577_946_256, downloads=250_000, **QWEN3_8B),
    upstream("nvidia/Nemotron-Nano-30B-A3B-NVFP4", 30_000_000_000, downloads=1_300_000, **QWEN3_8B),
]


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("openai/gpt-oss-20b", "openai/gpt-oss-20b"),
        ("huihui-ai/Huihui-gpt-oss-20b-BF16-abliterated", "openai/gpt-oss-20b"),
        ("p-e-w/gpt-oss-20b-heretic", "openai/gpt-oss-20b"),
        ("someone/gpt-oss-20b-w4a16", "openai/gpt-oss-20b"),  # a packed repack, sized as its base first
        ("Melikshah/gpt-oss-20b-clinical-cot", "openai/gpt-oss-20b"),
        ("llmfan46/gpt-oss-20b-heretic-v2", "openai/gpt-oss-20b"),
        ("someone/gpt-oss-20b-reap-16", "someone/gpt-oss-20b-reap-16"),  # fewer experts: other weights
        ("community/Qwen3-8B-Reupload", "Qwen/Qwen3-8B"),  # same weights: the first-party repo represents
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),  # base and instruct: different groups
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
        ("someone/Llama-3.1-8B-Lexi-Uncensored", "meta-llama/Llama-3.1-8B-Instruct"),  # a chat fine-tune
        ("unsloth/Llama-3.1-8B-bnb-4bit", "meta-llama/Llama-3.1-8B"),  # a base re-upload
        ("Qwen/Qwen2.5-Coder-7B-Instruct", "Qwen/Qwen2.5-Coder-7B-Instruct"),  # a first-party coder variant
        ("someone/Qwen2.5-Coder-7B-Instruct-abliterated", "Qwen/Qwen2.5-Coder-7B-Instruct"),
        ("someone/Qwen2.5-7B-Instruct-abliterated", "Qwen/Qwen2.5-7B-Instruct"),
        ("someone/Other-Model-7B", "someone/Other-Model-7B"),
        ("nvidia/Nemotron-Nano-30B-A3B-NVFP4", "nvidia/Nemotron-Nano-30B-A3B-BF16"),
        ("nvidia/Nemotron-Nano-30B-A3B-FP8", "nvidia/Nemotron-Nano-30B-A3B-BF16"),
    ],
)
def test_variant_groups(name: str, group: str) -> None:
    models = _group_sample()
    assert models[name]["group"] == group


def test_group_origin_date_is_the_originals() -> None:
    models = _group_sample()
    assert models["p-e-w/gpt-oss-20b-heretic"]["origin_date"] == "2025-08-04"
    assert models["p-e-w/gpt-oss-20b-heretic"]["release_date"] == "2026-01-10"


def _group_sample(cache: dict[str, dict[str, dict[str, Any]]] = {}) -> dict[str, dict[str, Any]]:  # noqa: B006
    if "models" not in cache:
        cache["models"] = build(GROUP_SAMPLE)
    return cache["models"]


def test_bundled_groups_are_consistent_and_officials_represent() -> None:
    catalog = load_bundled()
    for entry in catalog:
        representative = catalog.find(entry["group"])
        assert representative is not None and representative["group"] == representative["name"], entry["name"]
    for name in ("openai/gpt-oss-120b", "openai/gpt-oss-20b", "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B"):
        entry = catalog.find(name)
        assert entry is not None and entry["group"] == name and entry["first_party"], name
    copies = [e for e in catalog if e["group"] == "openai/gpt-oss-120b" and e["name"] != "openai/gpt-oss-120b"]
    assert len(copies) >= 5 and all(e["origin_date"] == "2025-08-04" for e in copies)
    assert catalog.find("meta-llama/Llama-3.1-8B")["kind"] == "base"  # type: ignore[index]
    assert catalog.find("Qwen/Qwen2.5-Coder-7B-Instruct")["group"] == "Qwen/Qwen2.5-Coder-7B-Instruct"  # type: ignore[index]


def test_catalog_lists_a_groups_members_representative_first() -> None:
    catalog = load_bundled()
    members = catalog.group_members("p-e-w/gpt-oss-20b-heretic")
    assert members[0]["name"] == "openai/gpt-oss-20b" and len(members) > 10
    assert {m["group"] for m in members} == {"openai/gpt-oss-20b"}
    assert catalog.group_members("openai/gpt-oss-20b") == members
    assert catalog.group_members("nobody/nothing") == ()


# --- the rules files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "document", "fragment"),
    [
        (lineage.parse_first_party, {"orgs": {"acme": {"families": ["Acme"]}}}, "orgs.acme: reason"),
        (lineage.parse_first_party, {"orgs": {"acme": {"reason": "r", "families": []}}}, "families"),
        (lineage.parse_first_party, {"orgs": {"acme": {"reason": "r", "families": ["A"], "except": "("}}}, "except"),
        (lineage.parse_kind_rules, {"rules": [{"kind": "poetry", "reason": "r", "name": "x"}]}, "rules[0]: kind"),
        (lineage.parse_kind_rules, {"rules": [{"kind": "ocr", "reason": "r"}], "chat_markers": []}, "exactly one"),
        (
            lineage.parse_kind_rules,
            {"rules": [], "chat_markers": ["chat"], "instruct_markers": ["it"]},
            "instruct_markers",
        ),
        (lineage.parse_packed, {"markers": [{"pattern": "[", "format": "f", "reason": "r"}]}, "markers[0].pattern"),
    ],
)
def test_malformed_rules_name_file_and_key(parse: Any, document: Any, fragment: str) -> None:
    with pytest.raises(lineage.RulesError) as caught:
        parse(document)
    assert fragment in str(caught.value)


def test_shipped_rules_files_load() -> None:
    rules = lineage.load_rules()
    assert "meta-llama" in rules.first_party and {r.kind for r in rules.kind_rules} <= set(lineage.KINDS)


# --- llama.cpp support nobody has shown ----------------------------------------------------------------


def test_unknown_architecture_without_any_gguf_is_unverified_low_confidence_and_ranked_down() -> None:
    """An architecture upstream does not know, and no GGUF for the entry or its variants: nothing shows
    llama.cpp runs it. One of its variants publishing a GGUF (or a known architecture) is that evidence."""
    from fleetfit.engine import scoring

    shape = {k: v for k, v in LLAMA_8B.items() if k != "architecture"}
    models = build(
        [
            upstream("lab/Mystery-8B-Instruct", 8_030_261_248, downloads=50_000, architecture="unknown", **shape),
            upstream(
                "lab/Riddle-8B-Instruct", 8_030_261_248, downloads=50_000, architecture="unknown",
                gguf_sources=[{"repo": "someone/Riddle-8B-Instruct-GGUF"}], **shape,
            ),
            upstream("lab/Known-8B-Instruct", 8_030_261_248, downloads=50_000, **LLAMA_8B),
        ]
    )  # fmt: skip
    mystery, riddle, known = (models[f"lab/{n}-8B-Instruct"] for n in ("Mystery", "Riddle", "Known"))
    assert mystery["runtime_unverified"] is True and mystery["confidence"] == "low"
    assert any("llama.cpp support is unverified" in n for n in mystery["notes"])
    assert riddle["runtime_unverified"] is False and known["runtime_unverified"] is False
    assert not any("unverified" in n for n in riddle.get("notes", []) + known.get("notes", []))
    evidence = scoring.evidence_of(mystery, mystery["params"], None)
    twin = scoring.evidence_of(known, known["params"], None)
    today = build_catalog_reference_date()
    assert scoring.quality_base(twin, "General", today) - scoring.quality_base(evidence, "General", today) == (
        scoring.UNVERIFIED_RUNTIME_PENALTY
    )


def build_catalog_reference_date() -> Any:
    from datetime import date

    return date(2026, 10, 5)


def test_bundled_unverified_entries_are_unknown_architectures_without_ggufs() -> None:
    """deepgrove/maple-preview (architecture unknown upstream, only an MLX conversion) had been 2nd on a
    2-core CPU box as a llama.cpp Q5_K_M with high confidence."""
    catalog = load_bundled()
    entry = catalog.find("deepgrove/maple-preview")
    assert entry is not None and entry["runtime_unverified"] is True and entry["confidence"] == "low"
    flagged = [e for e in catalog if e["runtime_unverified"]]
    assert flagged and all(not e.get("gguf_sources") and e.get("architecture") in (None, "unknown") for e in flagged)


# --- lineage folds: superseded versions, unnamed fine-tunes, experiments (lineage.fold_lineages) ----------------

GIGACHAT_10B = {
    "num_hidden_layers": 26,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "head_dim": 192,
    "hidden_size": 1536,
    "vocab_size": 128256,
    "architecture": "deepseek_v3",
}
QWEN3_14B = {**QWEN3_8B, "num_hidden_layers": 40, "hidden_size": 5120, "num_attention_heads": 40}
GEMMA_31B = {
    **LLAMA_8B,
    "num_hidden_layers": 60,
    "hidden_size": 5376,
    "num_key_value_heads": 16,
    "head_dim": 256,
    "vocab_size": 262144,
    "architecture": "gemma4",
}
FOLD_SAMPLE = [
    upstream("ai-sage/GigaChat3-10B-A1.8B", 11_479_750_784, release_date="2025-11-19", **GIGACHAT_10B),
    upstream("ai-sage/GigaChat3.1-10B-A1.8B", 11_480_403_068, release_date="2026-03-21", **GIGACHAT_10B),
    upstream("ai-forever/SMITH-Exp", 10_672_535_616, release_date="2026-09-16", **GIGACHAT_10B),
    upstream(
        "Qwen/Qwen3-14B",
        14_768_307_200,
        downloads=900_000,
        release_date="2025-04-27",
        **QWEN3_14B,
        architecture="qwen3",
    ),
    upstream(
        "tencent/ContextPilot-14B",
        14_768_307_200,
        downloads=300,
        release_date="2026-08-27",
        **QWEN3_14B,
        architecture="qwen3",
    ),
    upstream(
        "microsoft/MagenticBrain",
        14_768_307_200,
        downloads=500,
        release_date="2026-05-12",
        **QWEN3_14B,
        architecture="qwen3",
    ),
    upstream("someone/Brand-New-14B", 14_768_307_200, release_date="2026-06-01", **QWEN3_14B, architecture="qwen3"),
    upstream(
        "Qwen/Qwen3-8B", 8_190_735_360, downloads=2_000_000, release_date="2025-04-27", **QWEN3_8B, architecture="qwen3"
    ),
    upstream("mistralai/Mistral-Small-3.1-24B-Instruct-2503", 24_011_361_280, release_date="2025-03-11", **LLAMA_70B),
    upstream("mistralai/Mistral-Small-3.2-24B-Instruct-2506", 24_011_361_280, release_date="2025-06-20", **LLAMA_70B),
    upstream("deepseek-ai/DeepSeek-V3.2-Exp", 685_000_000_000, release_date="2025-09-29", **LLAMA_70B),
    upstream("deepseek-ai/DeepSeek-V3.2", 685_400_000_000, release_date="2025-12-01", **LLAMA_70B),
    upstream("EleutherAI/pythia-160m-data-seed1", 162_322_944, release_date="2024-01-22", **LLAMA_8B),
    upstream("EleutherAI/pythia-160m-data-seed3", 162_322_944, release_date="2024-01-24", **LLAMA_8B),
    # post-training stages of one release (rule c), released days apart, the last one the finished model
    upstream("allenai/Olmo-3-7B-Instruct-SFT", 7_298_011_136, downloads=36_000, release_date="2025-11-17", **QWEN_7B),
    upstream("allenai/Olmo-3-7B-Instruct-DPO", 7_298_011_136, downloads=15_000, release_date="2025-11-19", **QWEN_7B),
    upstream("allenai/Olmo-3-7B-Instruct", 7_298_011_136, downloads=479_000, release_date="2025-11-19", **QWEN_7B),
    upstream("allenai/Olmo-3-7B-Think-SFT", 7_298_011_136, downloads=16_000, release_date="2025-10-14", **QWEN_7B),
    upstream("allenai/Olmo-3-7B-Think", 7_298_011_136, downloads=451_000, release_date="2025-11-18", **QWEN_7B),
    upstream("amd/Instella-MoE-16B-A3B-SFT", 15_862_789_248, downloads=1_978, release_date="2026-07-23", **LLAMA_70B),
    upstream("amd/Instella-MoE-16B-A3B-Think", 15_862_789_248, downloads=2_861, release_date="2026-07-23", **LLAMA_70B),
    upstream("XiaomiMiMo/MiMo-7B-RL-Zero", 7_833_409_536, downloads=900, release_date="2025-04-29", **LLAMA_8B),
    # an undated stage checkpoint of a dated release: the release it folds into dates it
    upstream("internlm/internlm2-chat-7b", 7_737_708_544, downloads=86_000, release_date="2024-01-10", **QWEN_7B),
    upstream("internlm/internlm2-chat-7b-sft", 7_737_708_544, downloads=4_000, release_date=None, **QWEN_7B),
    # a preview whose release adds a word (IBM's h for hybrid); a field's word makes another model
    upstream(
        "ibm-granite/granite-4.0-tiny-preview",
        6_671_539_776,
        release_date="2025-04-30",
        **QWEN_7B,
        architecture="granitemoehybrid",
    ),
    upstream(
        "ibm-granite/granite-4.0-h-tiny",
        6_939_037_248,
        release_date="2025-09-16",
        **QWEN_7B,
        architecture="granitemoehybrid",
    ),
    upstream("trillionlabs/Gravity-16B-A3B-Preview", 16_000_000_000, release_date="2025-09-01", **LLAMA_70B),
    upstream("trillionlabs/Gravity-bio-16B-A3B", 16_000_000_000, release_date="2025-12-01", **LLAMA_70B),
    # a field's tune of a base stays in the base's group, marked domain
    upstream("someone/Qwen3-14B-Medical", 14_768_307_200, release_date="2026-02-01", **QWEN3_14B, architecture="qwen3"),
    # a fine-tune whose own record states no date: its group's earliest member dates it (after Qwen3-14B)
    upstream("someone/Remix-14B", 14_768_307_200, release_date=None, **QWEN3_14B, architecture="qwen3"),
    upstream("someone/Remix-14B-FP8", 14_768_307_200, release_date="2026-01-05", **QWEN3_14B, architecture="qwen3"),
    # JANG is MLX's packed format: llama.cpp cannot load it
    upstream(
        "dealignai/Qwen3-14B-JANG_4M-CRACK", 3_900_000_000, release_date="2026-05-01", **QWEN3_14B, architecture="qwen3"
    ),
    upstream(
        "someone/Qwen3-14B-Ternary-JANG", 4_100_000_000, release_date="2026-05-02", **QWEN3_14B, architecture="qwen3"
    ),
    # a quantization-aware-trained checkpoint of a model is that model (the q4_0 is one format word)
    upstream("google/gemma-4-31B-it", 31_273_088_876, downloads=9_900_000, release_date="2026-03-11", **GEMMA_31B),
    upstream(
        "google/gemma-4-31B-it-qat-q4_0-unquantized",
        32_682_372_656,
        downloads=270_000,
        release_date="2026-04-28",
        **GEMMA_31B,
    ),
]


@functools.cache
def _fold_sample() -> dict[str, dict[str, Any]]:
    return build(FOLD_SAMPLE)


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("ai-sage/GigaChat3-10B-A1.8B", "ai-sage/GigaChat3.1-10B-A1.8B"),  # superseded by 3.1
        ("ai-sage/GigaChat3.1-10B-A1.8B", "ai-sage/GigaChat3.1-10B-A1.8B"),
        ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", "mistralai/Mistral-Small-3.2-24B-Instruct-2506"),
        ("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-ai/DeepSeek-V3.2"),  # the experiment before the release
        ("tencent/ContextPilot-14B", "Qwen/Qwen3-14B"),  # another lab's fine-tune that does not name its base
        ("microsoft/MagenticBrain", "Qwen/Qwen3-14B"),
        ("someone/Brand-New-14B", "Qwen/Qwen3-14B"),
        ("Qwen/Qwen3-14B", "Qwen/Qwen3-14B"),  # the original is never folded into its later fine-tunes
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B"),  # another size: its own line
        ("EleutherAI/pythia-160m-data-seed1", "EleutherAI/pythia-160m-data-seed1"),  # a seed number is no version
        ("allenai/Olmo-3-7B-Instruct-SFT", "allenai/Olmo-3-7B-Instruct"),  # SFT -> DPO -> the finished release
        ("allenai/Olmo-3-7B-Instruct-DPO", "allenai/Olmo-3-7B-Instruct"),
        ("allenai/Olmo-3-7B-Think-SFT", "allenai/Olmo-3-7B-Think"),  # each line into its own release
        ("allenai/Olmo-3-7B-Think", "allenai/Olmo-3-7B-Think"),  # Think and Instruct stay two models
        ("allenai/Olmo-3-7B-Instruct", "allenai/Olmo-3-7B-Instruct"),
        ("amd/Instella-MoE-16B-A3B-SFT", "amd/Instella-MoE-16B-A3B-Think"),  # the checkpoint behind -Think
        ("XiaomiMiMo/MiMo-7B-RL-Zero", "XiaomiMiMo/MiMo-7B-RL-Zero"),  # an RL run is a finished stage
        ("google/gemma-4-31B-it-qat-q4_0-unquantized", "google/gemma-4-31B-it"),
        ("someone/Remix-14B", "Qwen/Qwen3-14B"),
        ("internlm/internlm2-chat-7b-sft", "internlm/internlm2-chat-7b"),
        ("someone/Qwen3-14B-Medical", "Qwen/Qwen3-14B"),  # a domain tune is still its base's line
        ("ibm-granite/granite-4.0-tiny-preview", "ibm-granite/granite-4.0-h-tiny"),
        ("trillionlabs/Gravity-16B-A3B-Preview", "trillionlabs/Gravity-16B-A3B-Preview"),
    ],
)
def test_lineage_folds(name: str, group: str) -> None:
    assert _fold_sample()[name]["group"] == group


def test_a_folded_fine_tune_takes_its_bases_origin_and_its_group_shares_downloads() -> None:
    models = _fold_sample()
    assert models["tencent/ContextPilot-14B"]["origin_date"] == "2025-04-27"  # recency is the base's
    assert models["someone/Remix-14B-FP8"]["group"] == "Qwen/Qwen3-14B"  # the whole group folds
    assert models["ai-sage/GigaChat3-10B-A1.8B"]["origin_date"] == "2025-11-19"  # a superseded line keeps its own
    qwen_line = sum(models[n]["downloads"] for n, m in models.items() if m["group"] == "Qwen/Qwen3-14B")
    assert models["Qwen/Qwen3-14B"]["group_downloads"] == qwen_line == 900_000 + 300 + 500 + 10 + 2 * 10 + 3 * 10
    assert models["Qwen/Qwen3-8B"]["group_downloads"] == 2_000_000


def test_an_undated_member_is_dated_by_the_release_it_folds_into() -> None:
    # undated, it would escape the recency cost of a 2024 line and outrank its own release
    assert _fold_sample()["internlm/internlm2-chat-7b-sft"]["origin_date"] == "2024-01-10"


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("farbodtavakkoli/OTel-LLM-8B-A1B-IT", True),  # OpenTelemetry
        ("ContactDoctor/Bio-Medical-Llama-3-8B", True),
        ("google/medgemma-27b-it", True),
        ("AdaptLLM/finance-chat", True),
        ("inclusionAI/Ling-3.0-flash-Fin", True),
        ("DexopT/Qwen3-4B-Cybersecurity", True),
        ("distil-labs/distil-qwen3-4b-text2sql", True),
        ("mistralai/Mistral-Medium-3", False),  # "med" inside a word
        ("someone/final-chat-7b", False),  # "fin" inside a word
        ("dnotitia/DNA3.0-4B", False),  # a product name
        ("Qwen/Qwen3-8B", False),
    ],
)
def test_domain_tunes_are_marked_by_whole_words(name: str, domain: bool) -> None:
    assert bool(RULES.domain.search(name.split("/")[-1].lower())) is domain


def test_a_domain_tune_keeps_its_kind_and_group() -> None:
    entry = _fold_sample()["someone/Qwen3-14B-Medical"]
    assert entry["domain"] and entry["kind"] == "chat" and entry["group"] == "Qwen/Qwen3-14B"
    assert not _fold_sample()["Qwen/Qwen3-14B"]["domain"]


def test_a_reasoning_release_beside_its_sft_checkpoint_is_no_pretrained_base() -> None:
    models = _fold_sample()
    assert models["allenai/Olmo-3-7B-Think"]["kind"] == "chat"  # Think-SFT beside it does not make it a base
    assert models["allenai/Olmo-3-7B-Instruct"]["kind"] == "chat"


def test_jang_packs_are_mlx_only_builds_sized_as_their_base() -> None:
    models = _fold_sample()
    for name in ("dealignai/Qwen3-14B-JANG_4M-CRACK", "someone/Qwen3-14B-Ternary-JANG"):  # either marker first
        entry = models[name]
        assert entry["mlx_only"] and entry["params"] == 14_768_307_200, name
        assert entry["mlx_sources"] == [f"https://huggingface.co/{name}"]
        assert "MLX build only: runs on Apple Silicon" in entry["notes"]
    assert not models["Qwen/Qwen3-14B"].get("mlx_only")


def test_quant_type_words_are_one_format_word() -> None:
    assert lineage.name_tokens("gemma-4-31B-it-qat-q4_0-unquantized", RULES) == ("gemma", "4", "31b", "it")
    assert lineage.name_tokens("Llama-3.1-8B-Instruct-Q4_K_M", RULES) == ("llama", "3.1", "8b", "instruct")
    assert lineage.name_tokens("Qwen3-8B-UD-IQ2_XXS", RULES) == ("qwen", "3", "8b")


def test_experiments_are_marked_by_name() -> None:
    models = _fold_sample()
    assert models["ai-forever/SMITH-Exp"]["experimental"] and models["deepseek-ai/DeepSeek-V3.2-Exp"]["experimental"]
    assert not models["ai-sage/GigaChat3.1-10B-A1.8B"]["experimental"]


def test_bundled_folds() -> None:
    catalog = load_bundled()
    expected = {
        "ai-sage/GigaChat3-10B-A1.8B": "ai-sage/GigaChat3.1-10B-A1.8B",
        "tencent/ContextPilot-14B": "Qwen/Qwen3-14B",
        "microsoft/MagenticBrain": "Qwen/Qwen3-14B",
        "Qwen/Qwen3.5-27B": "Qwen/Qwen3.8-27B",
        "allenai/Olmo-3-7B-Instruct-SFT": "allenai/Olmo-3-7B-Instruct",
        "amd/Instella-MoE-16B-A3B-SFT": "amd/Instella-MoE-16B-A3B-Think",
        "google/gemma-4-26B-A4B-it-qat-q4_0-unquantized": "google/gemma-4-26B-A4B-it",
        "google/gemma-4-31B-it-qat-q4_0-unquantized": "google/gemma-4-31B-it",
    }
    for name, group in expected.items():
        assert catalog.find(name)["group"] == group, name  # type: ignore[index]
    assert catalog.find("ai-forever/SMITH-Exp")["experimental"]  # type: ignore[index]

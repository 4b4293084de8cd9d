"""Every llama.cpp quant and unsloth's dynamic variants: parsing, per-type bytes, and sizes vs published files."""

from __future__ import annotations

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.engine import QueryError, parse_query
from fleetfit.engine.memory import GIB, weights
from fleetfit.engine.profile import build_profile
from fleetfit.engine.quants import (
    FORCEABLE,
    GGUF_LADDER,
    QUANTS,
    TYPE_BPW,
    TYPES,
    bits_of,
    cpu_dequant_cost,
    mix_for,
    parse_quant,
)

from tests.engine.systems import dense_entry

# The quants llama.cpp's llama-quantize ships (tools/quantize QUANT_OPTIONS) and unsloth's dynamic files.
LLAMA_CPP_QUANTS = [
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q8_0",
    "Q2_K",
    "Q2_K_S",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "Q4_K_S",
    "Q4_K_M",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "IQ1_S",
    "IQ1_M",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ2_S",
    "IQ2_M",
    "IQ3_XXS",
    "IQ3_XS",
    "IQ3_S",
    "IQ3_M",
    "IQ4_NL",
    "IQ4_XS",
    "TQ1_0",
    "TQ2_0",
    "F16",
    "BF16",
    "F32",
    "MXFP4",
]
UNSLOTH_DYNAMIC = [
    "UD-Q8_K_XL",
    "UD-Q6_K_XL",
    "UD-Q5_K_XL",
    "UD-Q4_K_XL",
    "UD-Q3_K_XL",
    "UD-Q2_K_XL",
    "UD-IQ3_XXS",
    "UD-IQ2_M",
    "UD-IQ2_XXS",
    "UD-IQ1_M",
    "UD-IQ1_S",
]
# bartowski's _L/_XL files: a k-quant mix with embeddings and output at Q8_0.
BARTOWSKI_L = ["Q6_K_L", "Q5_K_L", "Q4_K_L", "Q3_K_XL", "Q2_K_L"]


def profile_of(name: str):
    entry = load_bundled().find(name)
    assert entry is not None, name
    return build_profile(entry)


@pytest.mark.parametrize("label", LLAMA_CPP_QUANTS + UNSLOTH_DYNAMIC + BARTOWSKI_L)
def test_every_quant_parses_in_any_case(label: str) -> None:
    for spelled in (label, label.lower(), label.title(), f"  {label.lower()} "):
        assert parse_quant(spelled) == label
        assert parse_query({"quant": spelled}, route="models").quant == label
    assert label in FORCEABLE


def test_llama_quantize_aliases() -> None:
    assert parse_quant("q4_k") == "Q4_K_M" and parse_quant("Q5_K") == "Q5_K_M" and parse_quant("q3_k") == "Q3_K_M"


@pytest.mark.parametrize("wrong", ["Q4_K_XXL", "q7_0", "IQ5_XS", "", "mlx-4bit"])
def test_unknown_quant_is_refused_listing_the_allowed_ones(wrong: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query({"quant": wrong}, route="models")
    assert raised.value.param == "quant"
    assert "IQ4_XS" in str(raised.value) and "UD-Q4_K_XL" in str(raised.value)


# Bytes per block from ggml-common.h: bits per weight = 8 x bytes / block.
TYPE_SIZES = [
    ("Q4_0", 4.5),
    ("Q4_1", 5.0),
    ("Q5_0", 5.5),
    ("Q5_1", 6.0),
    ("Q8_0", 8.5),
    ("Q2_K", 2.625),
    ("Q3_K", 3.4375),
    ("Q4_K", 4.5),
    ("Q5_K", 5.5),
    ("Q6_K", 6.5625),
    ("IQ1_S", 1.5625),
    ("IQ1_M", 1.75),
    ("IQ2_XXS", 2.0625),
    ("IQ2_XS", 2.3125),
    ("IQ2_S", 2.5625),
    ("IQ3_XXS", 3.0625),
    ("IQ3_S", 3.4375),
    ("IQ4_NL", 4.5),
    ("IQ4_XS", 4.25),
    ("TQ1_0", 1.6875),
    ("TQ2_0", 2.0625),
    ("MXFP4", 4.25),
    ("BF16", 16.0),
    ("F32", 32.0),
]


@pytest.mark.parametrize(("storage", "bpw"), TYPE_SIZES)
def test_storage_type_bits_per_weight(storage: str, bpw: float) -> None:
    assert TYPE_BPW[storage] == pytest.approx(bpw)


def test_block_fallbacks_follow_llama_cpp() -> None:
    assert bits_of("IQ2_XXS", 896) == TYPE_BPW["IQ4_NL"]  # i-quants fall back to IQ4_NL
    assert bits_of("Q3_K", 896) == TYPE_BPW["Q4_0"]
    assert bits_of("IQ4_NL", 896) == TYPE_BPW["IQ4_NL"]  # 32-weight blocks fit
    assert all(TYPES[t.fallback].block == 32 for t in TYPES.values() if t.fallback)


# llama-quantize's own table (tools/quantize/quantize.cpp QUANT_OPTIONS): Llama-3-8B file sizes in GiB ("G").
LLAMA3_8B_GIB = [
    ("Q4_0", 4.34),
    ("Q4_1", 4.78),
    ("Q5_0", 5.21),
    ("Q5_1", 5.65),
    ("Q2_K", 2.96),
    ("Q3_K_S", 3.41),
    ("Q3_K_M", 3.74),
    ("Q3_K_L", 4.03),
    ("Q4_K_S", 4.37),
    ("Q4_K_M", 4.58),
    ("Q5_K_S", 5.21),
    ("Q5_K_M", 5.33),
    ("Q6_K", 6.14),
    ("Q8_0", 7.96),
]


@pytest.mark.parametrize(("quant", "gib"), LLAMA3_8B_GIB)
def test_llama3_8b_sizes_match_llama_quantize_table(quant: str, gib: float) -> None:
    assert weights(profile_of("meta-llama/Meta-Llama-3-8B"), quant).total / GIB == pytest.approx(gib, rel=0.01)


# bartowski's Llama-3.1-Nemotron-70B-Instruct-GGUF card (Llama-3.1-70B shapes), file sizes in GB, as reproduced
# at ozeki.chat/p_8590-understanding-ai-model-files.html: the i-quants and _S/_L k-quant mixes.
LLAMA31_70B_GB = [
    ("Q8_0", 74.98),
    ("Q6_K", 57.89),
    ("Q5_K_M", 49.95),
    ("Q5_K_S", 48.66),
    ("Q4_K_M", 42.52),
    ("Q4_K_S", 40.35),
    ("Q4_0", 40.12),
    ("IQ4_XS", 37.90),
    ("Q3_K_L", 37.14),
    ("Q3_K_M", 34.27),
    ("IQ3_M", 31.94),
    ("Q3_K_S", 30.91),
    ("Q5_K_L", 50.60),  # bartowski's _L/_XL: embeddings and output at Q8_0
    ("Q4_K_L", 43.30),
    ("Q3_K_XL", 38.06),
]


@pytest.mark.parametrize(("quant", "gb"), LLAMA31_70B_GB)
def test_llama31_70b_sizes_match_published_files(quant: str, gb: float) -> None:
    estimate = weights(profile_of("meta-llama/Llama-3.1-70B-Instruct"), quant).total / 1e9
    assert estimate == pytest.approx(gb, rel=0.01)


def test_unsloth_dynamic_q4_k_xl_matches_its_file() -> None:
    # unsloth/Llama-3.1-8B-Instruct-GGUF UD-Q4_K_XL: 4.99 GB (smeltcore.com recipe citing the repo); Q4_K_M 4.92.
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    assert weights(profile, "UD-Q4_K_XL").total / 1e9 == pytest.approx(4.99, rel=0.02)
    assert weights(profile, "UD-Q4_K_XL").total > weights(profile, "Q4_K_M").total


def test_unsloth_deepseek_r1_dynamic_sizes() -> None:
    # unsloth.ai/blog/deepseekr1-dynamic: 131 / 158 / 183 / 212 GB. The catalog's R1 total includes the 14B
    # multi-token-prediction layer that GGUFs drop, so estimates run a few % high; the order must hold.
    profile = profile_of("deepseek-ai/DeepSeek-R1")
    published = {"UD-IQ1_S": 131, "UD-IQ1_M": 158, "UD-IQ2_XXS": 183, "UD-Q2_K_XL": 212}
    sizes = {q: weights(profile, q).total / 1e9 for q in published}
    assert list(sizes.values()) == sorted(sizes.values())
    for quant, gb in published.items():
        assert sizes[quant] == pytest.approx(gb, rel=0.15), quant


@pytest.mark.parametrize("label", LLAMA_CPP_QUANTS + UNSLOTH_DYNAMIC + BARTOWSKI_L)
def test_every_quant_sizes_a_dense_and_a_moe_model(label: str) -> None:
    for name in ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-30B-A3B"):
        profile = profile_of(name)
        w = weights(profile, label)
        bpw = 8 * w.total / profile.params
        assert 1.5 < bpw <= 32.5, (name, label, bpw)
        assert 0 < w.active <= w.total


def test_sizes_follow_bits_per_weight_within_a_family() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    order = ["IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M", "IQ4_XS"]
    sizes = [weights(profile, q).total for q in order]
    assert sizes == sorted(sizes)
    for small, large in [("Q3_K_S", "Q3_K_M"), ("Q3_K_M", "Q3_K_L"), ("Q4_K_S", "Q4_K_M"), ("Q5_K_S", "Q5_K_M")]:
        assert weights(profile, small).total < weights(profile, large).total
    assert weights(profile, "BF16").total == weights(profile, "F16").total


def test_i_quant_rules_follow_llama_quantize() -> None:
    mix = mix_for("IQ2_XXS", layers=32, gqa=4, experts=None)
    assert mix["output"] == ((1.0, "Q5_K"),)  # low-bit i-quants keep output at Q5_K
    assert mix["embed"] == ((1.0, "Q2_K"),)
    assert mix["attn_v"] == ((1.0, "Q4_K"),)  # GQA >= 4: V is small, kept at Q4_K
    iq3_xs = mix_for("IQ3_XS", layers=32, gqa=4, experts=None)
    assert {t for _, t in iq3_xs["ffn_gate_up"]} == {"IQ3_XXS", "IQ3_S"}  # middle layers lower
    assert mix_for("Q3_K_L", layers=32, gqa=4, experts=None)["ffn_down"] == ((1.0, "Q5_K"),)


def test_quality_and_tiers_follow_perplexity() -> None:
    ladder = [QUANTS[q].quality_penalty for q in ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K", "IQ1_S")]
    assert ladder == sorted(ladder)
    assert GGUF_LADDER == ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")  # automatic choice unchanged


def test_cpu_dequant_cost_grows_with_weights_per_byte() -> None:
    assert cpu_dequant_cost(TYPE_BPW["Q4_K"]) == pytest.approx(1.0)
    assert cpu_dequant_cost(TYPE_BPW["F16"]) == pytest.approx(0.55)
    costs = [cpu_dequant_cost(TYPE_BPW[t]) for t in ("F32", "F16", "Q8_0", "Q6_K", "Q4_K", "Q2_K", "IQ1_S")]
    assert costs == sorted(costs)


def test_tied_embeddings_counted_twice_in_the_total_are_stored_once() -> None:
    # Qwen3-0.6B: 751.6M parameters listed (lm_head stored beside the tied embedding); its Q8_0 GGUF is 0.64 GB.
    shape = dict(layers=28, hidden=1024, heads=16, kv_heads=8, head_dim=128, vocab=151936, ffn=3072)
    untied = build_profile(dense_entry("test/qwen3-0.6b", 751_632_384, **shape))
    entry = dense_entry("test/qwen3-0.6b-tied", 751_632_384, **shape)
    entry["arch"]["tied_embeddings"] = True
    tied = build_profile(entry)
    assert tied.tied_embeddings
    assert weights(tied, "Q8_0").total / 1e9 == pytest.approx(0.64, rel=0.02)
    assert weights(untied, "Q8_0").total > 1.2 * weights(tied, "Q8_0").total

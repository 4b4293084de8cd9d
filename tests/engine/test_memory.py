"""weights, kv_cache, overhead: table-driven against published GGUF sizes and model configs."""

from __future__ import annotations

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.engine.memory import GIB, kv_cache, overhead, weights
from fleetfit.engine.profile import build_profile
from fleetfit.engine.quants import TYPE_BPW, bits_of, mix_for, use_more_bits_share

from tests.engine.systems import dense_entry


def profile_of(name: str):
    entry = load_bundled().find(name)
    assert entry is not None, name
    return build_profile(entry)


# Published file sizes (Hugging Face listings, GiB) of models in the catalog; the estimate must stay within 3 %.
PUBLISHED_SIZES = [
    ("mistralai/Mistral-7B-Instruct-v0.3", "Q4_K_M", 4.07),  # gaianet/Mistral-7B-Instruct-v0.3-GGUF
    ("mistralai/Mistral-7B-Instruct-v0.3", "Q2_K", 2.533),
    ("Qwen/Qwen2.5-0.5B-Instruct", "Q8_0", 0.495),  # second-state: embeddings dominate a 0.5B model
    ("Qwen/Qwen2.5-0.5B-Instruct", "Q4_K_M", 0.371),
    ("Qwen/Qwen1.5-7B-Chat", "Q6_K", 5.905),
    ("meta-llama/Llama-3.2-3B-Instruct", "Q4_K_M", 1.881),
    ("Qwen/Qwen3-Coder-30B-A3B-Instruct", "Q8_0", 30.25),  # MoE, llama-bench size
    ("deepseek-ai/DeepSeek-Coder-V2-Instruct", "Q4_K_M", 132.807),  # 236B MoE
    ("openai/gpt-oss-120b", "MXFP4", 59.02),  # experts stay MXFP4
]


@pytest.mark.parametrize(("name", "quant", "gib"), PUBLISHED_SIZES)
def test_weights_match_published_gguf_sizes(name: str, quant: str, gib: float) -> None:
    estimate = weights(profile_of(name), quant).total / GIB
    assert estimate == pytest.approx(gib, rel=0.03)


def test_gpt_oss_experts_stay_mxfp4_whatever_the_label() -> None:
    # unsloth/gpt-oss-20b-GGUF: Q2_K ... Q5_K_M are all 11.5-11.7 GB, F16 13.8 GB.
    profile = profile_of("openai/gpt-oss-20b")
    low, high = weights(profile, "Q2_K").total / 1e9, weights(profile, "Q5_K_M").total / 1e9
    assert 10.5 < low < high < 12.5
    assert weights(profile, "F16").total / 1e9 == pytest.approx(13.8, rel=0.06)


def test_weights_grow_with_quant_quality() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    sizes = [weights(profile, q).total for q in ("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16")]
    assert sizes == sorted(sizes)


def test_moe_active_bytes_follow_routed_share() -> None:
    profile = profile_of("Qwen/Qwen3-30B-A3B")
    w = weights(profile, "Q8_0")
    # 8 of 128 experts per token: a token reads about a tenth of the weights, not all of them.
    assert 0.08 < w.active / w.total < 0.14
    assert profile.active_params / 1e9 == pytest.approx(3.3, rel=0.1)  # published: 3.3B active


def test_k_quant_rows_not_multiple_of_256_fall_back() -> None:
    assert bits_of("Q4_K", 896) == TYPE_BPW["Q5_0"]  # Qwen2.5-0.5B hidden 896
    assert bits_of("Q4_K", 4096) == TYPE_BPW["Q4_K"]
    assert bits_of("Q6_K", 2880) == TYPE_BPW["Q8_0"]  # gpt-oss hidden 2880


def test_use_more_bits_upgrades_half_the_layers() -> None:
    assert use_more_bits_share(32) == pytest.approx(0.5, abs=0.05)
    mix = mix_for("Q4_K_M", layers=32, gqa=4, experts=None)
    assert {t for _, t in mix["ffn_down"]} == {"Q6_K", "Q4_K"}
    assert mix["output"] == ((1.0, "Q6_K"),)


# KV cache per published config: 2 x layers x kv_heads x head_dim x 2 bytes x tokens (estimation-methods 2.2).
KV_CASES = [
    ("meta-llama/Llama-3.1-8B-Instruct", 8192, 1.0),  # 128 KiB/token
    ("meta-llama/Llama-3.1-8B-Instruct", 131072, 16.0),
    ("meta-llama/Llama-3.3-70B-Instruct", 131072, 40.0),  # 320 KiB/token
    ("Qwen/Qwen2.5-7B-Instruct", 8192, 0.4375),  # 28 layers, 4 KV heads
    ("deepseek-ai/DeepSeek-V3", 8192, 61 * 576 * 2 * 8192 / 2**30),  # MLA latent, not 128 heads
]


@pytest.mark.parametrize(("name", "context", "gib"), KV_CASES)
def test_kv_cache(name: str, context: int, gib: float) -> None:
    assert kv_cache(profile_of(name), context) / GIB == pytest.approx(gib, rel=0.01)


def test_sliding_window_layers_stop_growing_at_their_window() -> None:
    profile = profile_of("google/gemma-3-27b-it")  # 62 layers: 52 local (1024 window), 10 global
    per_layer = 2 * 16 * 128 * 2
    expected = per_layer * (10 * 131072 + 52 * 1024)
    assert kv_cache(profile, 131072) == pytest.approx(expected, rel=0.02)
    full = build_profile(dense_entry(layers=62, kv_heads=16, head_dim=128, hidden=5376, heads=32))
    assert kv_cache(profile, 131072) < kv_cache(full, 131072) / 4  # omitting SWA overestimates ~5x


def test_hybrid_models_cache_only_attention_layers() -> None:
    hybrid = dense_entry(attention={"kind": "hybrid", "full_layers": 8, "source": "qwen3_5"})
    plain = dense_entry()
    ratio = kv_cache(build_profile(hybrid), 65536) / kv_cache(build_profile(plain), 65536)
    assert 0.25 < ratio < 0.30  # 8 of 32 layers plus a constant recurrent state


def test_missing_architecture_facts_still_estimate_coarsely() -> None:
    entry = dense_entry(layers=None, kv_heads=None, head_dim=None, heads=None, hidden=None, vocab=None, ffn=None)
    profile = build_profile(entry)
    assert not profile.kv.exact and not profile.shape_known
    assert 0.5 < kv_cache(profile, 8192) / GIB < 2.0
    assert weights(profile, "Q4_K_M").total / GIB == pytest.approx(4.6, rel=0.1)


def test_overhead_counts_a_reserve_and_compute_buffer_per_device() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    one, four = overhead(profile, "CUDA", 1), overhead(profile, "CUDA", 4)
    assert four == pytest.approx(4 * one)
    assert 0.5 < one / GIB < 1.5


def test_kv_bytes_kept_per_profile_stay_bounded_and_equal_the_computed_ones() -> None:
    from fleetfit.engine.memory import MAX_MEMO

    profile = build_profile(dense_entry())
    for context in range(1000, 1100):  # a long-lived API process meets every max_context a client sends
        assert kv_cache(profile, context) == profile.kv.bytes_at(context)
        assert kv_cache(profile, context) == profile.kv.bytes_at(context)  # kept or not, the same bytes
    assert len(profile.memo) <= MAX_MEMO

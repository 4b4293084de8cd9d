"""run_mode, choose_quant, fit_level and decode_tps over the hardware classes a fleet holds."""

from __future__ import annotations

from datetime import date

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import System
from fleetfit.engine.analyze import Fit, Options, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.placement import run_mode
from fleetfit.engine.profile import build_profile
from fleetfit.engine.quants import GGUF_LADDER

from tests.engine.systems import apple_system, cpu_system, dense_entry, gpu_system

OPTIONS = Options(reference_date=date(2026, 10, 5))


def fit_of(name: str, system: System, **options: object) -> Fit:
    entry = load_bundled().find(name)
    assert entry is not None, name
    opts = Options(reference_date=OPTIONS.reference_date, **options)  # type: ignore[arg-type]
    return analyze(build_profile(entry), resolve(system), opts)


RTX_4090 = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=55.0)

# (model, system, run_mode, best_quant, fit_level): one row per engine path. best_quant is the rung that
# serves best among those that fit in the mode (analyze.serving_quant), not always the highest.
CASES = [
    ("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, "gpu", "Q8_0", "perfect"),
    # Q5_K_M fills the card to 91 %: a practitioner moves an expert layer or two to RAM (--n-cpu-moe) for room
    ("Qwen/Qwen3-30B-A3B", RTX_4090, "moe_offload", "Q5_K_M", "good"),
    ("openai/gpt-oss-120b", RTX_4090, "moe_offload", "MXFP4", "good"),
    ("meta-llama/Llama-3.3-70B-Instruct", RTX_4090, "cpu_offload", "Q2_K", "marginal"),  # Q8_0: 1 tok/s
    ("meta-llama/Llama-3.1-8B-Instruct", cpu_system(32.0), "cpu_only", "Q5_K_M", "good"),  # bandwidth-bound
    ("meta-llama/Llama-3.3-70B-Instruct", cpu_system(16.0), "cpu_only", "Q2_K", "too_tight"),
    ("meta-llama/Llama-3.3-70B-Instruct", apple_system("Apple M3 Max", 128.0), "gpu", "Q5_K_M", "perfect"),
    ("meta-llama/Llama-3.3-70B-Instruct", apple_system("Apple M3 Max", 36.0), "gpu", "Q2_K", "too_tight"),
    ("deepseek-ai/DeepSeek-V3", gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8, ram=2048.0), "gpu", "Q6_K", "perfect"),  # 68 % of 8 x 80 GB: roomy (fit curve flat to 80 %)
    ("Qwen/Qwen2.5-0.5B-Instruct", cpu_system(4.0, cores=4, arm=True, cpu="Cortex-A76"), "cpu_only", "Q8_0", "good"),
]


@pytest.mark.parametrize(("name", "system", "mode", "quant", "level"), CASES)
def test_run_mode_quant_and_fit_level(name: str, system: System, mode: str, quant: str, level: str) -> None:
    fit = fit_of(name, system)
    assert (fit.placement.mode, fit.placement.quant, fit.fit_level) == (mode, quant, level)


def test_unified_memory_never_offloads() -> None:
    for name in ("meta-llama/Llama-3.3-70B-Instruct", "openai/gpt-oss-120b", "deepseek-ai/DeepSeek-V3"):
        fit = fit_of(name, apple_system("Apple M2 Max", 32.0))
        assert fit.placement.mode == "gpu"


def _card(name: str, vram: float, count: int = 1, backend: str = "CUDA") -> dict[str, object]:
    return {"name": name, "vram_gb": vram, "backend": backend, "count": count, "unified_memory": False}


def two_cards(first: str, second: str, vram: float = 23.99, backend: str = "CUDA", ram: float = 128.0) -> System:
    return gpu_system(first, vram, ram=ram, extra_gpus=[_card(second, vram, backend=backend)])


RTX_4090_3090 = two_cards("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3090")
RTX_4090_X2 = gpu_system("NVIDIA GeForce RTX 4090", 23.99, 2, ram=128.0)
RTX_4090_RX_7900 = two_cards("NVIDIA GeForce RTX 4090", "AMD Radeon RX 7900 XTX")
RTX_4090_RX_7900 = RTX_4090_RX_7900.model_copy(
    update={"gpus": [RTX_4090_RX_7900.gpus[0], RTX_4090_RX_7900.gpus[1].model_copy(update={"backend": "ROCm"})]}
)
EIGHT_H100 = gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8, ram=2048.0)
EIGHT_4090 = gpu_system("NVIDIA GeForce RTX 4090", 23.99, 8, ram=256.0)

# Llama-3-70B Q4_K_M, tg512 with llama.cpp's default layer split (XiongjieDai/GPU-Benchmarks-on-LLM-Inference
# README @aa72e0e): 2x RTX 3090 16.57 tok/s, 2x RTX 4090 19.22 tok/s; a 4090 + 3090 streams half its layers
# from each card, so it lands between them (~17-18 tok/s, in the 15-18 users report for that pair).
SPLIT_CASES = [
    # (model, system, mode, quant, cards used, split note or None, tok/s range)
    ("meta-llama/Llama-3.3-70B-Instruct", RTX_4090_X2, "gpu", "Q4_K_M", 2,
     "Layers split 41/39 across 2x NVIDIA GeForce RTX 4090", (17.0, 21.0)),
    ("meta-llama/Llama-3.3-70B-Instruct", RTX_4090_3090, "gpu", "Q4_K_M", 2,
     "Layers split 41/39 across NVIDIA GeForce RTX 4090 and NVIDIA GeForce RTX 3090", (15.0, 18.5)),
    # One llama.cpp build drives one backend: a 4090 and a 7900 XTX are never 48 GB. Offloading from one 24 GB
    # card, the rung that serves best is Q2_K (85 % of layers on the card, ~9 tok/s against 1 tok/s at Q8_0).
    ("meta-llama/Llama-3.3-70B-Instruct", RTX_4090_RX_7900, "cpu_offload", "Q2_K", 1, None, (5.0, 13.0)),
    # A model that fits one card runs on the faster card alone (no hop, one reserve).
    ("meta-llama/Llama-3.1-8B-Instruct", RTX_4090_3090, "gpu", "Q8_0", 1, None, (70.0, 100.0)),
    ("meta-llama/Llama-3.3-70B-Instruct", EIGHT_H100, "gpu", "Q8_0", 2,
     "Layers split 41/39 across 2x NVIDIA H100 80GB HBM3", (8.0, 30.0)),
    # A small model is not spread over eight cards.
    ("meta-llama/Llama-3.1-8B-Instruct", EIGHT_4090, "gpu", "Q8_0", 1, None, (70.0, 100.0)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "system", "mode", "quant", "cards", "note", "tps"), SPLIT_CASES)
def test_layer_split_across_the_cards_of_one_backend(
    name: str, system: System, mode: str, quant: str, cards: int, note: str | None, tps: tuple[float, float]
) -> None:
    fit = fit_of(name, system)
    pool = fit.placement.pool
    assert pool is not None
    assert (fit.placement.mode, fit.placement.quant, pool.count) == (mode, quant, cards)
    split_notes = [n for n in fit.notes() if n.startswith("Layers split")]
    assert split_notes == ([note] if note else [])
    assert tps[0] <= fit.estimated_tps <= tps[1]


def test_the_faster_card_of_an_unlike_pair_takes_a_model_that_fits_one() -> None:
    fit = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090_3090)
    assert fit.placement.pool is not None and fit.placement.pool.name == "NVIDIA GeForce RTX 4090"
    assert fit.placement.pool.cards == (0,)
    assert not any("not pooled" in n for n in fit.notes())


def test_cuda_and_rocm_are_never_one_pool() -> None:
    hw = resolve(RTX_4090_RX_7900)
    assert sorted((p.backend, p.count) for p in hw.pools) == [("CUDA", 1), ("ROCm", 1)]
    fit = fit_of("meta-llama/Llama-3.3-70B-Instruct", RTX_4090_RX_7900)
    assert any("GPUs of different backends are not pooled" in n for n in fit.notes())


@pytest.mark.parametrize(
    ("name", "quant", "mode"),
    [("meta-llama/Llama-3.3-70B-Instruct", "Q8_0", "cpu_offload"), ("openai/gpt-oss-120b", None, "moe_offload")],
)
def test_offloads_on_an_unlike_pair_use_both_cards(name: str, quant: str | None, mode: str) -> None:
    pair = fit_of(name, RTX_4090_3090, quant=quant)
    alone = fit_of(name, gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=128.0), quant=quant)
    assert pair.placement.mode == alone.placement.mode == mode
    assert pair.placement.pool is not None and pair.placement.pool.count == 2
    assert pair.estimated_tps > alone.estimated_tps  # twice the VRAM: less streamed from system RAM
    if mode == "cpu_offload":
        assert (pair.placement.gpu_share or 0) > 1.8 * (alone.placement.gpu_share or 0)


def test_unlike_pool_bandwidth_is_the_time_weighted_mean_of_its_cards() -> None:
    pool = resolve(RTX_4090_3090).pools[0]
    r4090, r3090 = (g.effective_gbps["llamacpp"] for g in pool.groups)
    # Half the bytes from each card: 1 / (0.5 / bw1 + 0.5 / bw2).
    assert pool.effective_gbps["llamacpp"] == pytest.approx(1 / (0.5 / r4090 + 0.5 / r3090))
    assert pool.usable == pytest.approx(2 * 23.99) and pool.cards == (0, 1)
    assert [s.label for s in pool.subsets] == [
        "NVIDIA GeForce RTX 4090",
        "NVIDIA GeForce RTX 3090",
        "NVIDIA GeForce RTX 4090 + NVIDIA GeForce RTX 3090",
    ]


@pytest.mark.parametrize(
    ("memory", "layers", "expected"),
    [
        ((24.0, 24.0), 80, (41, 39)),  # the output layer counts as an 81st: it lands on the second card
        ((24.0, 12.0), 80, (54, 26)),
        ((24.0,) * 4, 32, (9, 8, 8, 7)),
        ((80.0,), 61, (61,)),
    ],
)
def test_layer_split_follows_llama_cpp_default_tensor_split(
    memory: tuple[float, ...], layers: int, expected: tuple[int, ...]
) -> None:
    from fleetfit.engine.placement import layer_split

    cards = [_card(f"NVIDIA GeForce RTX 40{i}0", vram) for i, vram in enumerate(memory)]
    system = gpu_system(str(cards[0]["name"]), memory[0], extra_gpus=cards[1:])
    pool = resolve(system).pools[0]
    assert pool.count == len(memory)
    assert layer_split(pool, layers) == expected


def test_spreading_a_small_model_over_eight_cards_costs_what_llama_bench_measured() -> None:
    """XiongjieDai README @aa72e0e, Llama-3-8B Q4_K_M tg512: 1x RTX 4090 130.58, 8x RTX 4090 118.09 tok/s
    (llama-bench splits over every visible card): the eight-card estimate keeps that ratio within 5 points."""
    from fleetfit.engine.analyze import decode_tps
    from fleetfit.engine.memory import kv_cache
    from fleetfit.engine.placement import _on_pool

    entry = load_bundled().find("meta-llama/Meta-Llama-3-8B")
    assert entry is not None
    profile = build_profile(entry)
    hw = resolve(EIGHT_4090)
    whole = hw.pools[0]
    spread = _on_pool(profile, whole, ("Q4_K_M",), kv_cache(profile, 512))
    single = _on_pool(profile, whole.subsets[0], ("Q4_K_M",), kv_cache(profile, 512))
    ratio = decode_tps(profile, hw, spread, "llamacpp", 512)[0] / decode_tps(profile, hw, single, "llamacpp", 512)[0]
    assert abs(ratio - 118.09 / 130.58) < 0.05


def test_run_mode_gives_the_highest_rung_that_fits() -> None:
    # Llama-3.1-8B at 8K context needs about 9.8 / 8.0 / 7.1 / 6.4 / 5.5 / 4.8 GiB at Q8_0 ... Q2_K.
    entry = load_bundled().find("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    profile = build_profile(entry)
    ladder = ((24.0, "Q8_0"), (10.0, "Q8_0"), (9.0, "Q6_K"), (7.5, "Q5_K_M"), (7.0, "Q4_K_M"), (6.0, "Q3_K_M"))
    for vram, expected in (*ladder, (5.0, "Q2_K")):
        hw = resolve(gpu_system("NVIDIA GeForce RTX 4090", vram, ram=4.0))
        assert run_mode(profile, hw, GGUF_LADDER, 8192).quant == expected, vram


def test_a_model_at_99_percent_is_not_perfect() -> None:
    entry = load_bundled().find("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    profile = build_profile(entry)
    need_q8 = analyze(profile, resolve(gpu_system("NVIDIA GeForce RTX 4090", 80.0)), OPTIONS).placement.required_bytes
    tight = gpu_system("NVIDIA GeForce RTX 4090", need_q8 / 0.99 / 2**30, ram=4.0)
    fit = analyze(profile, resolve(tight), Options(reference_date=OPTIONS.reference_date, quant="Q8_0"))
    assert fit.placement.fits and fit.fit_level == "marginal"
    assert any("Low headroom" in note for note in fit.notes())


def test_forced_quant_reports_memory_and_speed_even_when_too_tight() -> None:
    fit = fit_of("meta-llama/Llama-3.3-70B-Instruct", cpu_system(16.0), quant="F16")
    assert fit.fit_level == "too_tight" and fit.placement.quant == "F16"
    assert fit.placement.weights.total / 2**30 > 120 and fit.estimated_tps > 0


def test_max_context_changes_kv_and_notes() -> None:
    short = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090)
    long = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, max_context=131072)
    assert long.placement.kv_bytes == pytest.approx(16 * short.placement.kv_bytes)
    assert any("Context capped at 8,192" in note for note in short.notes())
    assert long.tps_full < long.estimated_tps  # a full cache is read every token


def test_runtime_is_mlx_only_on_apple_silicon() -> None:
    assert fit_of("Qwen/Qwen3-30B-A3B", apple_system()).runtime == "mlx"
    assert fit_of("Qwen/Qwen3-30B-A3B", RTX_4090).runtime == "llamacpp"
    assert fit_of("Qwen/Qwen3-30B-A3B", cpu_system(64.0)).runtime == "llamacpp"


def test_unknown_gpu_falls_back_and_says_so() -> None:
    fit = fit_of("meta-llama/Llama-3.1-8B-Instruct", gpu_system("NVIDIA Quantum Widget 9000", 24.0))
    assert fit.placement.mode == "gpu"
    assert fit.placement.pool is not None and not fit.placement.pool.known
    assert any("not in fleetfit's table" in note for note in fit.notes())
    assert fit.as_dict()["estimate_confidence"] == "low"


# Decode speed follows bandwidth / bytes per token: a faster card, fewer bits, a smaller model are faster.
def test_speed_follows_bandwidth_and_bytes_per_token() -> None:
    fast = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, quant="Q4_K_M").estimated_tps
    slow = fit_of(
        "meta-llama/Llama-3.1-8B-Instruct", gpu_system("NVIDIA GeForce RTX 4060 Ti", 16.0), quant="Q4_K_M"
    ).estimated_tps
    assert fast > 2.5 * slow  # 1008 vs 288 GB/s
    assert fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, quant="Q8_0").estimated_tps < fast
    # RTX 4090, Llama-3-8B Q4_K_M: public llama-bench results are ~130-150 tok/s.
    assert 110 < fast < 170


def test_moe_offload_is_faster_than_dense_offload_of_the_same_size() -> None:
    moe = fit_of("openai/gpt-oss-120b", RTX_4090)
    dense = fit_of("meta-llama/Llama-3.3-70B-Instruct", RTX_4090, quant="Q4_K_M")
    assert moe.placement.mode == "moe_offload" and dense.placement.mode == "cpu_offload"
    assert moe.estimated_tps > 5 * dense.estimated_tps


@pytest.mark.parametrize(
    "entry",
    [
        dense_entry("tiny/model-50m", 50_000_000, layers=8, hidden=512, heads=8, kv_heads=8, head_dim=64, ffn=1408),
        dense_entry("huge/model-405b", 405_000_000_000, layers=126, hidden=16384, heads=128, kv_heads=8, ffn=53248),
        dense_entry("unknown/facts-13b", 13_000_000_000, layers=None, kv_heads=None, head_dim=None, vocab=None),
    ],
    ids=["tiny", "405b", "missing-facts"],
)
def test_every_path_yields_a_complete_model_object(entry: dict) -> None:
    for system in (RTX_4090, cpu_system(32.0), apple_system(), gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8)):
        fit = analyze(build_profile(entry), resolve(system), OPTIONS)
        row = fit.as_dict()
        assert row["fit_level"] in ("perfect", "good", "marginal", "too_tight")
        assert 0 <= row["score"] <= 100
        assert set(row["score_components"]) == {"quality", "speed", "fit", "context"}
        assert row["memory_required_gb"] > 0


def test_405b_needs_more_than_one_4090_and_tiny_fits_anywhere() -> None:
    huge = dense_entry("huge/model-405b", 405_000_000_000, layers=126, hidden=16384, heads=128, kv_heads=8, ffn=53248)
    tiny = dense_entry("tiny/model-50m", 50_000_000, layers=8, hidden=512, heads=8, kv_heads=8, head_dim=64, ffn=1408)
    assert analyze(build_profile(huge), resolve(RTX_4090), OPTIONS).fit_level == "too_tight"
    assert analyze(build_profile(tiny), resolve(cpu_system(2.0)), OPTIONS).fit_level == "good"


def test_busy_gpu_is_noted_but_fit_uses_the_card() -> None:
    busy = gpu_system("NVIDIA GeForce RTX 4090", 23.99)
    busy = busy.model_copy(update={"gpus": [busy.gpus[0].model_copy(update={"free_vram_gb": 3.0})]})
    fit = fit_of("meta-llama/Llama-3.1-8B-Instruct", busy)
    assert fit.placement.mode == "gpu"
    assert "Only 3.0 GiB of this GPU memory was free when the node reported" in fit.notes()


@pytest.mark.parametrize("system", [RTX_4090, cpu_system(24.0), apple_system()], ids=["rtx4090", "cpu", "m3max"])
def test_shared_analyses_of_fine_tunes_equal_their_own(system: System) -> None:
    from fleetfit.engine.analyze import analyze_all
    from fleetfit.engine.query import profiles

    everything = profiles(load_bundled())[::7]
    hw = resolve(system)
    shared = [fit.as_json() for fit in analyze_all(everything, hw, OPTIONS)]
    alone = [analyze(profile, hw, OPTIONS).as_json() for profile in everything]
    assert shared == alone


def test_metal_k_quants_decode_slower_per_byte_than_legacy_and_float_types() -> None:
    # engine/data/gpu_decode_cost.json (bench/fit_gpu_decode_cost.py): K-quants cost more per weight byte on Metal.
    from fleetfit.engine.speed import gpu_decode_cost

    assert gpu_decode_cost("Metal", "llamacpp", "Q4_K_M") > 1.05
    assert gpu_decode_cost("Metal", "llamacpp", "Q4_0") == gpu_decode_cost("Metal", "llamacpp", "F16") == 1.0
    assert gpu_decode_cost("Metal", "mlx", "Q4_K_M") == 1.0  # MLX is not llama.cpp's kernels
    assert gpu_decode_cost("CUDA", "llamacpp", "Q4_K_M") == 1.0  # CUDA efficiencies were measured on Q4_K_M
    # Same bytes per token, same chip: the Q4_K_M file decodes slower than its byte count alone says.
    mac = apple_system("Apple M3 Max", 64.0)
    k = fit_of("meta-llama/Llama-3.1-8B-Instruct", mac, quant="Q4_K_M")
    legacy = fit_of("meta-llama/Llama-3.1-8B-Instruct", mac, quant="Q4_0")
    per_byte_k = k.estimated_tps * k.bytes_per_token
    per_byte_legacy = legacy.estimated_tps * legacy.bytes_per_token
    assert per_byte_k < 0.95 * per_byte_legacy
    # M3 Max 40-core, Llama-3-8B Q4_K_M tg512: 49.0 tok/s measured (ground truth tps-195); within 15 %.
    assert k.estimated_tps == pytest.approx(49.0, rel=0.15)
    # On CUDA the two files' bytes alone decide.
    cuda_k = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, quant="Q4_K_M")
    cuda_legacy = fit_of("meta-llama/Llama-3.1-8B-Instruct", RTX_4090, quant="Q4_0")
    ratio = (cuda_k.estimated_tps * cuda_k.bytes_per_token) / (cuda_legacy.estimated_tps * cuda_legacy.bytes_per_token)
    assert ratio == pytest.approx(1.0, rel=0.05)

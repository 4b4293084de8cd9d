"""KV-cache types (memory and bytes per token), prefill tok/s and time to first token, CPU decode by type."""

from __future__ import annotations

from datetime import date

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import ModelFit
from fleetfit.engine import QueryError, parse_query
from fleetfit.engine.analyze import Options, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.memory import GIB, kv_cache
from fleetfit.engine.prefill import PROMPT_TOKENS, gpu_fp16_tflops
from fleetfit.engine.profile import build_profile

from tests.engine.systems import apple_system, cpu_system, gpu_system

DAY = date(2026, 1, 1)


def profile_of(name: str):
    entry = load_bundled().find(name)
    assert entry is not None, name
    return build_profile(entry)


# llama.cpp cache types: f16 2 bytes per element, q8_0 34 B / 32, q4_0 18 B / 32 (ggml-common.h blocks).
KV_TYPES = [("f16", 1.0), ("bf16", 1.0), ("q8_0", 34 / 32 / 2), ("q4_0", 18 / 32 / 2), ("f32", 2.0)]


@pytest.mark.parametrize(("kv_quant", "ratio"), KV_TYPES)
def test_kv_cache_bytes_follow_the_cache_type(kv_quant: str, ratio: float) -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")  # 128 KiB/token in f16
    assert kv_cache(profile, 32768, kv_quant) / GIB == pytest.approx(4.0 * ratio, rel=1e-6)


def test_recurrent_state_is_not_quantized() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    assert kv_cache(profile, 0, "q4_0") == pytest.approx(kv_cache(profile, 0, "f16"))


@pytest.mark.parametrize("spelled", ["q8_0", "Q8_0", " Q4_0 ", "BF16"])
def test_kv_quant_parses_in_any_case(spelled: str) -> None:
    assert parse_query({"kv_quant": spelled}, route="models").kv_quant == spelled.strip().lower()


def test_unknown_kv_quant_is_refused() -> None:
    with pytest.raises(QueryError) as raised:
        parse_query({"kv_quant": "q3_k"}, route="models")
    assert raised.value.param == "kv_quant" and "q8_0" in str(raised.value)


def test_quantized_kv_cache_fits_a_longer_context_and_reads_fewer_bytes() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    hw = resolve(gpu_system("NVIDIA GeForce RTX 4080", 16.0))
    f16 = analyze(profile, hw, Options(DAY, max_context=131072, quant="Q4_K_M"))
    q8 = analyze(profile, hw, Options(DAY, max_context=131072, quant="Q4_K_M", kv_quant="q8_0"))
    assert q8.placement.kv_bytes == pytest.approx(f16.placement.kv_bytes * 34 / 64)
    assert f16.placement.mode == "cpu_offload" and q8.placement.mode == "gpu"  # 16 GiB of f16 KV vs 8.5 GiB
    assert q8.tps_full > f16.tps_full  # the cache read per token shrinks too
    note = next(n for n in q8.notes() if "KV cache in q8_0" in n)
    assert "flash attention" in note
    data = q8.as_dict()
    assert data["estimate_basis"]["kv_cache_type"] == "q8_0"
    assert data["memory_breakdown"]["kv_cache_gb"] == pytest.approx(8.5, rel=0.01)


# Prefill rows from ground-truth/tps_measured.dev.json (llama-bench pp512): the estimate within 35 %.
PREFILL_ROWS = [
    (gpu_system("NVIDIA A100 80GB PCIe", 80.0), "meta-llama/Meta-Llama-3-8B", "Q4_K_M", 5981.0),  # tps-100
    (gpu_system("NVIDIA A100 80GB PCIe", 80.0), "meta-llama/Meta-Llama-3-8B", "F16", 7741.0),  # tps-102
    (gpu_system("NVIDIA RTX 6000 Ada Generation", 48.0), "meta-llama/Meta-Llama-3-70B", "Q4_K_M", 566.0),  # tps-080
    (apple_system("Apple M2 Ultra", 192.0), "meta-llama/Meta-Llama-3-8B", "F16", 1175.0),  # tps-190
]


@pytest.mark.parametrize(("system", "name", "quant", "measured"), PREFILL_ROWS)
def test_prefill_against_measured_prompt_processing(system, name: str, quant: str, measured: float) -> None:
    fit = analyze(profile_of(name), resolve(system), Options(DAY, quant=quant))
    assert fit.prefill_tps == pytest.approx(measured, rel=0.35)
    # Time to first token: the prompt at that rate, then one decode step.
    expected = 1000.0 * (PROMPT_TOKENS / fit.prefill_tps + 1.0 / fit.estimated_tps)
    assert fit.ttft_ms == pytest.approx(expected, rel=0.02)


def test_prefill_is_compute_bound_not_bandwidth_bound() -> None:
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    hw = resolve(gpu_system("NVIDIA GeForce RTX 4090", 24.0))
    q4, f16 = (analyze(profile, hw, Options(DAY, quant=q)) for q in ("Q4_K_M", "F16"))
    assert q4.estimated_tps > 2 * f16.estimated_tps  # decode reads 3.4x fewer bytes
    assert q4.prefill_tps < 1.5 * f16.prefill_tps  # prefill does the same FLOPs
    assert q4.prefill_tps > 20 * q4.estimated_tps


def test_gpu_fp16_throughput_from_the_table_or_its_bandwidth() -> None:
    assert gpu_fp16_tflops("NVIDIA GeForce RTX 4090", 24.0, "CUDA", 1008.0) == (165.0, True)
    tflops, stated = gpu_fp16_tflops("NVIDIA GeForce RTX 3070", 8.0, "CUDA", 448.0)
    assert not stated and 50 < tflops < 100


def test_cpu_prefill_and_ttft_on_every_model_object() -> None:
    catalog = load_bundled()
    system = cpu_system(32.0, cores=8)
    fit = analyze(profile_of("meta-llama/Llama-3.2-3B-Instruct"), resolve(system), Options(DAY))
    # 4 threads x 62 GFLOPS (AVX2 FMA, 3 GHz, 0.65) / (2 x 3.2B) ~ 39 tok/s; Geerling's 2-thread rows: 18-29.
    assert 20 < fit.prefill_tps < 80
    data = ModelFit.model_validate(fit.as_dict())
    assert data.prefill_tps == fit.prefill_tps and data.ttft_ms == fit.ttft_ms
    assert data.estimate_basis.prompt_tokens == PROMPT_TOKENS
    assert catalog is not None


def test_cpu_decode_pays_for_dequantizing_k_quants() -> None:
    # Two x86 threads are compute-bound on Q4_K_M (2 x 10 GB/s < 0.6 x 44.8 GB/s); F16 costs the cores about
    # half as much per byte and streams until the DRAM bound (26.9 GB/s).
    system = cpu_system(16.0, cores=4, cpu="13th Gen Intel(R) Core(TM) i3-1315U").model_copy(
        update={"ram_bandwidth_gbps": 44.8}
    )
    profile = profile_of("meta-llama/Llama-3.2-3B-Instruct")
    hw = resolve(system)
    q4, f16 = (analyze(profile, hw, Options(DAY, quant=q)) for q in ("Q4_K_M", "F16"))
    q4_rate = q4.estimated_tps * q4.bytes_per_token
    f16_rate = f16.estimated_tps * f16.bytes_per_token
    assert f16_rate > 1.2 * q4_rate
    assert f16_rate / 1e9 == pytest.approx(0.6 * 44.8, rel=0.02)
    assert q4.estimated_tps == pytest.approx(11.1, rel=0.2)  # tps-304: 11.1 tok/s measured


def test_prompt_length_is_stated_and_settable() -> None:
    assert parse_query({}, route="models").prompt_tokens == PROMPT_TOKENS
    query = parse_query({"prompt_tokens": "4096"}, route="models")
    assert query.prompt_tokens == 4096 and query.filters["prompt_tokens"] == 4096
    with pytest.raises(QueryError):
        parse_query({"prompt_tokens": "0"}, route="models")
    profile = profile_of("meta-llama/Llama-3.1-8B-Instruct")
    hw = resolve(gpu_system("NVIDIA GeForce RTX 4090", 24.0))
    short, long = (analyze(profile, hw, Options(DAY, prompt_tokens=n)) for n in (512, 4096))
    assert long.prefill_tps == short.prefill_tps
    assert long.ttft_ms > 7 * (short.ttft_ms - 1000 / short.estimated_tps)
    assert long.as_dict()["estimate_basis"]["prompt_tokens"] == 4096
    capped = analyze(profile, hw, Options(DAY, max_context=1024, prompt_tokens=4096))
    assert capped.prompt_tokens == 1024  # a prompt never exceeds the context the estimate assumes


def test_offloaded_prompts_run_on_the_gpu_paying_pcie_per_micro_batch() -> None:
    # tps-012: RTX 4080 16 GB, Llama-3-8B F16 (15 GiB): a few layers stay in RAM, yet pp512 measured 7247 tok/s:
    # llama.cpp's CUDA backend copies host-held weights to the GPU once per 512-token micro-batch.
    profile = profile_of("meta-llama/Meta-Llama-3-8B")
    hw = resolve(gpu_system("NVIDIA GeForce RTX 4080", 16.0))
    fit = analyze(profile, hw, Options(DAY, quant="F16"))
    assert fit.placement.mode == "cpu_offload"
    cpu_only = analyze(profile, resolve(cpu_system(64.0, cores=32)), Options(DAY, quant="F16"))
    assert fit.prefill_tps > 20 * cpu_only.prefill_tps
    assert fit.prefill_tps == pytest.approx(7247.0, rel=0.5)
    host = (1.0 - (fit.placement.gpu_share or 0.0)) * fit.placement.weights.total
    assert fit.prefill_tps < 512 * 25e9 / host  # never faster than the PCIe copies allow


def test_a_node_that_cannot_decode_has_no_time_to_first_token_and_stays_json() -> None:
    """Found by the OpenAPI fuzzer: a tiny RAM bandwidth makes decode 0 tok/s; time to first token is then
    null (it never comes), never a bare Infinity that no JSON parser reads."""
    import json

    from fleetfit.catalog import load_bundled
    from fleetfit.contract import Node, System
    from fleetfit.engine import envelope_json, parse_query
    from fleetfit.engine.prefill import ttft_ms

    assert ttft_ms(512, 100.0, 0.0) is None and ttft_ms(512, 0.0, 10.0) is None
    assert ttft_ms(512, 512.0, 10.0) == 1100.0
    system = System.model_validate(
        {"total_ram_gb": 5e-324, "available_ram_gb": 0.0, "cpu_cores": 1, "cpu_name": "", "has_gpu": False,
         "gpu_vram_gb": 0.0, "gpu_name": "", "gpu_count": 0, "unified_memory": False, "backend": "CUDA", "gpus": [],
         "ram_bandwidth_gbps": 5e-324}
    )  # fmt: skip
    query = parse_query({"include_too_tight": "true", "limit": "50"}, route="models")
    text = envelope_json(system, load_bundled(), query, Node(name="what-if", os="unknown"))

    def refuse(constant: str) -> None:
        raise AssertionError(f"non-JSON number {constant}")

    models = json.loads(text, parse_constant=refuse)["models"]
    assert models and any(m["ttft_ms"] is None for m in models)


def test_output_only_figures_are_computed_when_read_and_shared_by_twins() -> None:
    """tps_full, prefill_tps and ttft_ms are read only by the output: a ranking leaves them to the first read,
    which gives the steps' own figures, once per analysis (a twin reads its analysis's)."""
    from fleetfit.engine.analyze import analyze_all, decode_tps
    from fleetfit.engine.prefill import prefill_tps, ttft_ms

    from tests.engine.systems import dense_entry

    entry = dense_entry("test/late-8b")
    twin = {**entry, "name": "test/late-8b-finetune", "group": "test/late-8b"}
    profiles = [build_profile(entry), build_profile(twin)]
    assert profiles[0].physics_id == profiles[1].physics_id
    first, second = analyze_all(profiles, resolve(cpu_system(32.0)), Options(reference_date=date(2026, 10, 5)))
    assert "late" not in first.shared and first.shared is second.shared
    full, _ = decode_tps(first.profile, first.hw, first.placement, first.runtime, first.context)
    prefill = prefill_tps(first.profile, first.hw, first.placement)
    ttft = ttft_ms(first.prompt_tokens, prefill, first.tps)
    assert (second.tps_full, second.prefill_tps, second.ttft_ms) == (
        round(full, 1),
        round(prefill, 1),
        None if ttft is None else round(ttft, 1),
    )
    assert first.shared["late"] == (first.tps_full, first.prefill_tps, first.ttft_ms)

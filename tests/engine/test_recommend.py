"""The choices a practitioner would make: the quant that serves best, the runtime that serves best on Apple,
and one row per variant group with the official release first."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fleetfit.catalog import Catalog
from fleetfit.contract import ModelFit, Node, System
from fleetfit.engine import QueryError, envelope_dict, envelope_json, parse_query, scoring
from fleetfit.engine.analyze import FIT_ORDER, Fit, Options, analyze, serving_quant
from fleetfit.engine.devices import resolve
from fleetfit.engine.fleetwide import digest, top_envelope_json
from fleetfit.engine.placement import run_mode
from fleetfit.engine.profile import build_profile
from fleetfit.engine.quants import GGUF_LADDER, ladder_for
from fleetfit.engine.query import Query, ranking

from tests.engine.systems import apple_system, cpu_system, dense_entry, gpu_system

OPTIONS = Options(reference_date=date(2026, 10, 5))


def fit_for(entry: dict[str, Any], system: System, **options: Any) -> Fit:
    opts = Options(reference_date=OPTIONS.reference_date, **options)
    return analyze(build_profile(entry), resolve(system), opts)  # type: ignore[arg-type]


EIGHT_B = dense_entry("test/chat-8b")
SEVENTY_B = dense_entry(
    "test/chat-70b", 70_553_706_496, layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672, vocab=128256
)


# (entry, system, served quant (or a set of them), the highest rung that fits)
QUANT_CASES = [
    (EIGHT_B, gpu_system("NVIDIA GeForce RTX 4090", 23.99), {"Q8_0"}, "Q8_0"),  # roomy and fast: keep Q8_0
    (EIGHT_B, cpu_system(32.0), {"Q4_K_M", "Q5_K_M"}, "Q8_0"),  # bandwidth-bound CPU
    (EIGHT_B, cpu_system(16.0, cores=4, cpu="Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"), {"Q4_K_M", "Q5_K_M"}, "Q8_0"),
    (SEVENTY_B, apple_system("Apple M3 Max", 128.0), {"Q4_K_M", "Q5_K_M", "Q6_K"}, "Q8_0"),
]


@pytest.mark.parametrize(("entry", "system", "served", "highest"), QUANT_CASES)
def test_best_quant_is_the_rung_that_serves_best(
    entry: dict[str, Any], system: System, served: set[str], highest: str
) -> None:
    fit = fit_for(entry, system)
    profile, hw = build_profile(entry), resolve(system)
    assert run_mode(profile, hw, fit.ladder, fit.context).quant == highest
    assert fit.placement.quant in served
    if fit.placement.quant != highest:
        top = fit_for(entry, system, quant=highest)
        assert fit.traded is not None and fit.traded[:2] == (highest, top.estimated_tps)
        assert fit.estimated_tps > top.estimated_tps and fit.score > top.score - 0.1
        assert FIT_ORDER[fit.fit_level] >= FIT_ORDER[top.fit_level]
        note = f"{fit.placement.quant} serves best here: {highest} also fits: {top.estimated_tps:.1f} vs "
        assert any(n.startswith(note) for n in fit.notes())
    else:
        assert fit.traded is None


def test_every_lower_rung_scores_no_better_than_the_served_one() -> None:
    system = cpu_system(32.0)
    fit = fit_for(EIGHT_B, system)
    served = fit.score
    for quant in GGUF_LADDER:
        forced = fit_for(EIGHT_B, system, quant=quant)
        if forced.fit_level != "too_tight" and FIT_ORDER[forced.fit_level] >= FIT_ORDER["good"]:
            assert forced.score <= served + 0.1, quant


def test_a_forced_quant_is_kept() -> None:
    fit = fit_for(EIGHT_B, cpu_system(32.0), quant="Q8_0")
    assert fit.placement.quant == "Q8_0" and fit.traded is None
    assert "Quantization forced to Q8_0" in fit.notes()


def catalog_fit(name: str, system: System, **options: Any) -> Fit:
    from fleetfit.catalog import load_bundled

    entry = load_bundled().find(name)
    assert entry is not None, name
    return fit_for(dict(entry), system, **options)


M3_MAX = apple_system("Apple M3 Max", 128.0)
RTX_4090 = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0)


def test_a_better_fit_level_wins_over_headroom_bought_with_a_q3_rung() -> None:
    """A 27B dense model on a 24 GB card: the highest rung that fits is headroom-capped (marginal), Q3_K_M
    would score more headroom but is marginal by its tier; the served rung is Q4 class or better, not Q3."""
    fit = catalog_fit("Qwen/Qwen3.8-27B", RTX_4090)
    top = catalog_fit("Qwen/Qwen3.8-27B", RTX_4090, quant=fit.traded[0] if fit.traded else fit.placement.quant)
    assert fit.placement.mode == "gpu" and fit.fit_level in ("good", "perfect")
    assert fit.placement.quant in ("Q4_K_M", "Q5_K_M", "Q6_K")
    assert FIT_ORDER[fit.fit_level] >= FIT_ORDER[top.fit_level]
    q3 = catalog_fit("Qwen/Qwen3.8-27B", RTX_4090, quant="Q3_K_M")
    assert q3.fit_level == "marginal" and FIT_ORDER[fit.fit_level] > FIT_ORDER[q3.fit_level]


RTX_4090_3090 = gpu_system(
    "NVIDIA GeForce RTX 4090", 23.99, ram=128.0,
    extra_gpus=[{"name": "NVIDIA GeForce RTX 3090", "vram_gb": 23.99, "backend": "CUDA", "count": 1,
                 "unified_memory": False}],
)  # fmt: skip


def test_headroom_never_buys_a_lower_tier_within_a_level() -> None:
    """A dense 35B without grouped KV heads (Command R, 8 GiB of KV at 8K) on a 24 GB card fits at Q3_K_M (94 %)
    and Q2_K (79 %), both marginal: the higher quality stays; headroom would only count if it lifted the level.
    A layer offload is no alternative for a dense model (it costs most of the speed), so the row stays on the
    GPU."""
    fit = catalog_fit("CohereForAI/c4ai-command-r-v01", RTX_4090)
    q2 = catalog_fit("CohereForAI/c4ai-command-r-v01", RTX_4090, quant="Q2_K")
    assert (fit.placement.mode, fit.placement.quant, fit.fit_level) == ("gpu", "Q3_K_M", "marginal")
    assert q2.fit_level == "marginal" and q2.placement.utilization < fit.placement.utilization
    assert fit.traded is None and any(n.startswith("Low headroom: uses 94%") for n in fit.notes())


@pytest.mark.parametrize("ram", [24.5, 25.0, 25.5, 26.0])
def test_a_q4_that_fills_the_ram_gives_way_to_the_q3_a_smaller_box_gets(ram: float) -> None:
    """Nemotron-3-Nano-30B-A3B on a 2-core CPU box: from 25.5 GB its Q4_K_M fits at 98-100 % of the available
    RAM (marginal by headroom), and Q3_K_M, which is all a 25 GB box fits, is marginal too: the walk takes
    Q3_K_M on its own fit, so more RAM never ranks the model lower (it had fallen from 87 to 65)."""
    name = "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"
    fit = catalog_fit(name, cpu_system(ram, cores=2))
    smaller = catalog_fit(name, cpu_system(ram - 0.5, cores=2))
    assert (fit.placement.quant, fit.fit_level) == ("Q3_K_M", "marginal")
    assert fit.score >= smaller.score
    if fit.traded:
        assert fit.traded[0] == "Q4_K_M" and fit.traded[3] > scoring.LOW_HEADROOM


def test_a_q3_that_all_but_overflows_the_ram_gives_way_to_q2() -> None:
    """Qwen3.6-35B-A3B on a 20 GB CPU box: Q3_K_M would fill 95.3 % of the available RAM, where a run swaps;
    Q2_K at 74 % earns its headroom. A Q3_K_M at 94 % stays (Command R above: headroom alone buys no Q2)."""
    fit = catalog_fit("Qwen/Qwen3.6-35B-A3B", cpu_system(20.0, cores=2))
    assert fit.placement.quant == "Q2_K" and fit.traded is not None
    assert fit.traded[0] == "Q3_K_M" and fit.traded[3] > scoring.LOW_HEADROOM
    kept = catalog_fit("Qwen/Qwen3.6-35B-A3B", cpu_system(20.25, cores=2))
    assert kept.placement.quant == "Q3_K_M" and kept.placement.utilization <= scoring.LOW_HEADROOM


def test_gemma_4_sliding_window_keeps_a_31b_on_a_24_gb_card() -> None:
    """Gemma 4's local layers hold 1,024 tokens of KV (arch_traits.py): at 8K context the 31B's cache is about
    a quarter of full attention's, so Q4_K_M fits a 24 GB card with room, as practitioners run it."""
    fit = catalog_fit("google/gemma-4-31B-it", RTX_4090)
    assert fit.profile.entry["attention"]["kind"] == "sliding"
    assert (fit.placement.mode, fit.placement.quant, fit.fit_level) == ("gpu", "Q4_K_M", "good")


def test_a_moe_model_that_fills_the_gpu_keeps_its_quant_with_a_few_experts_in_ram() -> None:
    """Qwen3-Coder-Next (80B MoE) at Q4_K_M fills a 4090 + 3090 to 98 %: a practitioner keeps Q4_K_M and
    moves just enough experts to RAM (--n-cpu-moe), not Q2_K on the GPU."""
    fit = catalog_fit("Qwen/Qwen3-Coder-Next", RTX_4090_3090)
    on_gpu = catalog_fit("Qwen/Qwen3-Coder-Next", RTX_4090_3090, quant="Q4_K_M")
    assert on_gpu.placement.mode == "gpu" and on_gpu.placement.utilization > 0.95
    assert on_gpu.fit_level == "marginal"
    assert (fit.placement.mode, fit.placement.quant, fit.fit_level) == ("moe_offload", "Q4_K_M", "good")
    ram_gib = (fit.placement.experts_in_ram_bytes or 0.0) / 2**30
    assert 0.5 < ram_gib < 10.0  # a few experts, not half the model
    assert fit.estimated_tps > 0.5 * on_gpu.estimated_tps  # mostly still streamed from the cards
    note = (
        "Q4_K_M with some experts in system RAM serves best here: all on the GPU would use 98% of its memory: "
        f"{on_gpu.estimated_tps:.1f} vs {fit.estimated_tps:.1f} tok/s"
    )
    assert note in fit.notes()


def test_a_moe_model_that_fits_the_gpu_only_below_q4_offloads_experts_at_q4() -> None:
    """A 162B MoE fits 48 GB of cards only at Q3_K_M (marginal by tier); with experts in RAM it runs at
    Q4_K_M, a better level: the practitioner's choice. Never a higher rung than Q4 class that way."""
    fit = catalog_fit("0xSero/DeepSeek-V4-Flash-162B", RTX_4090_3090)
    assert (fit.placement.mode, fit.placement.quant, fit.fit_level) == ("moe_offload", "Q4_K_M", "good")
    assert fit.traded is not None and fit.traded[0] == "Q3_K_M" and fit.traded[2] == "gpu"
    assert any("all on the GPU fits only at Q3_K_M" in n for n in fit.notes())


def test_a_moe_model_with_room_on_the_gpu_stays_there() -> None:
    fit = catalog_fit("Qwen/Qwen3-30B-A3B", RTX_4090_3090)
    assert fit.placement.mode == "gpu" and fit.fit_level == "perfect"


# (model, system, runtime, quant, most GiB it may need)
RUNTIME_CASES = [
    # The official repo has an MLX build (mlx-6bit: 89.7 GB, fit score 30); llama.cpp keeps MXFP4 at ~60 GB.
    ("openai/gpt-oss-120b", M3_MAX, "llamacpp", "MXFP4", 65.0),
    ("Qwen/Qwen3-30B-A3B", M3_MAX, "mlx", "mlx-8bit", 40.0),  # both fit roomily: MLX decodes faster
    ("Qwen/Qwen3-30B-A3B", RTX_4090, "llamacpp", None, 24.0),
    ("Qwen/Qwen3-30B-A3B", cpu_system(64.0), "llamacpp", None, 64.0),
]


@pytest.mark.parametrize(("name", "system", "runtime", "quant", "most_gib"), RUNTIME_CASES)
def test_runtime_that_serves_best(name: str, system: System, runtime: str, quant: str | None, most_gib: float) -> None:
    fit = catalog_fit(name, system)
    assert fit.runtime == runtime
    assert quant is None or fit.placement.quant == quant
    assert fit.placement.required_bytes / 2**30 <= most_gib
    if system is M3_MAX:  # the runtime not chosen serves worse (or as well, and slower)
        other = "mlx" if runtime == "llamacpp" else "llamacpp"
        ladder = ladder_for(other, fit.profile.native_quant)
        alternative = serving_quant(fit.profile, fit.hw, OPTIONS, other, ladder, fit.context)
        assert (alternative.score, alternative.estimated_tps) <= (fit.score, fit.estimated_tps)


def test_gpt_oss_120b_mlx_build_would_need_mlx_6bit_on_m3_max() -> None:
    fit = catalog_fit("openai/gpt-oss-120b", M3_MAX)
    highest = run_mode(fit.profile, fit.hw, ladder_for("mlx", None), fit.context)
    assert highest.quant == "mlx-6bit" and highest.required_bytes / 2**30 > 80
    mlx = serving_quant(fit.profile, fit.hw, OPTIONS, "mlx", ladder_for("mlx", None), fit.context)
    assert mlx.score < fit.score  # even at the MLX rung that serves best


def test_mlx_only_builds_are_too_tight_off_apple_and_never_mlx() -> None:
    entry = dense_entry("mlx-community/chat-8b-4bit", mlx_only=True, mlx_sources=["https://huggingface.co/x"])
    off = fit_for(entry, RTX_4090)
    assert off.runtime == "llamacpp" and off.fit_level == "too_tight"
    on = fit_for(entry, M3_MAX)
    assert on.runtime == "mlx" and on.fit_level != "too_tight"


# -- variant groups -------------------------------------------------------------------------------------------

NODE = Node(name="test-node", os="linux")
OFFICIAL = dense_entry("lab/Chat-8B", first_party=True, downloads=2_000_000, likes=3000, kind="chat")
CLONE = dense_entry("someone/Chat-8B-abliterated", group="lab/Chat-8B", downloads=40, release_date="2026-09-30")
REUPLOAD = dense_entry("mirror/Chat-8B", group="lab/Chat-8B", downloads=900, origin_date="2024-07-18")
BIG = dense_entry(
    "lab/Chat-70B",
    70_553_706_496,
    layers=80,
    hidden=8192,
    heads=64,
    ffn=28672,
    first_party=True,
    downloads=500_000,
)
BIG_PACKED = dense_entry("packer/Chat-70B-2bit", 20_000_000_000, group="lab/Chat-70B", downloads=20_000)
OCR = dense_entry("lab/Read-3B", 3_000_000_000, kind="ocr", category="Multimodal", first_party=True)
ENTRIES = [CLONE, REUPLOAD, OFFICIAL, BIG, BIG_PACKED, OCR]


def catalog_of(entries: list[dict[str, Any]], version: str) -> Catalog:
    return Catalog(version=version, loaded_from="test", entries=tuple(entries), built_at="2026-10-05")  # type: ignore[arg-type]


def listing(params: dict[str, str], route: str = "models", *, system: System | None = None) -> dict[str, Any]:
    catalog = catalog_of(ENTRIES, "groups-test")
    query = parse_query(params, route=route)  # type: ignore[arg-type]
    return envelope_dict(system or RTX_4090, catalog, query, NODE)


def names(envelope: dict[str, Any]) -> list[str]:
    return [m["name"] for m in envelope["models"]]


def test_same_weights_under_two_repos_rank_first_party_first_and_fold() -> None:
    every = listing({"limit": "100"})
    order = names(every)
    assert order.index("lab/Chat-8B") < order.index("mirror/Chat-8B")
    assert order.index("lab/Chat-8B") < order.index("someone/Chat-8B-abliterated")  # its newer date is a re-upload's
    assert all("variants" not in m for m in every["models"])  # the full listing stays ungrouped
    grouped = listing({"group": "base", "limit": "100"})
    rows = {m["name"]: m for m in grouped["models"]}
    assert "mirror/Chat-8B" not in rows and "someone/Chat-8B-abliterated" not in rows
    assert rows["lab/Chat-8B"]["variants"] == 3
    assert grouped["total_models"] == len(grouped["models"]) and grouped["filters"]["group"] == "base"
    ModelFit.model_validate(rows["lab/Chat-8B"])


def test_a_group_shows_its_best_member_when_the_representative_does_not_run() -> None:
    small_gpu = gpu_system("NVIDIA GeForce RTX 4090", 16.0, ram=4.0)  # no room for the 70B, even offloaded
    rows = {m["name"]: m for m in listing({"group": "base", "limit": "100"}, system=small_gpu)["models"]}
    assert "lab/Chat-70B" not in rows
    assert rows["packer/Chat-70B-2bit"]["variants"] == 1


def test_the_top_list_is_grouped_and_leaves_narrow_models_out() -> None:
    top = listing({"limit": "10"}, route="top")
    assert names(top)[0] == "lab/Chat-8B" and top["models"][0]["variants"] == 3
    assert "lab/Read-3B" not in names(top)  # OCR never lands in the default (General) ranking
    assert "lab/Read-3B" in names(listing({"limit": "100"}))  # the full listing keeps every row
    assert "lab/Read-3B" in names(listing({"use_case": "multimodal"}, route="top"))


def test_a_search_finds_every_variant() -> None:
    found = listing({"search": "chat-8b"}, route="top")
    assert set(names(found)) == {"lab/Chat-8B", "mirror/Chat-8B", "someone/Chat-8B-abliterated"}
    assert set(names(listing({"search": "chat-8b", "group": "base"}))) == {"lab/Chat-8B"}


def test_ties_go_to_trust_not_the_alphabet() -> None:
    twins = [
        dense_entry("aaa/Chat-8B-copy", downloads=50),
        dense_entry("zzz/Chat-8B-copy", downloads=90),  # both under the trust floor: equal scores
        dense_entry("mmm/Chat-8B-copy", first_party=True),
    ]
    catalog = catalog_of(twins, "ties-test")
    envelope = envelope_dict(RTX_4090, catalog, parse_query({}, route="models"), NODE)
    assert names(envelope) == ["mmm/Chat-8B-copy", "zzz/Chat-8B-copy", "aaa/Chat-8B-copy"]
    scores = [m["score"] for m in envelope["models"]]
    assert scores[1] == scores[2]


@pytest.mark.parametrize("value", ["BASE", "none", " base "])
def test_group_parameter_values(value: str) -> None:
    assert parse_query({"group": value}, route="models").group == value.strip().lower()


def test_group_parameter_refuses_other_values() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query({"group": "family"}, route="top")
    assert caught.value.param == "group" and "base|none" in str(caught.value)


def test_group_defaults() -> None:
    assert parse_query({}, route="top").group == "base"
    assert parse_query({}, route="models").group == "none"
    assert parse_query({"search": "qwen"}, route="top").group == "none"
    assert parse_query({}, route="name", name="qwen").group == "none"


def test_the_class_digest_answers_the_grouped_top_list_byte_for_byte() -> None:
    catalog = catalog_of(ENTRIES, "groups-digest-test")
    query = parse_query({}, route="top")
    found = digest(ranking(RTX_4090, catalog, Query()), catalog.version)
    assert found.top[0] == "lab/Chat-8B" and found.variants[0] == 3
    assert "mirror/Chat-8B" not in found.top
    assert top_envelope_json(RTX_4090, RTX_4090, catalog, found, query, NODE) == envelope_json(
        RTX_4090, catalog, query, NODE
    )


# -- the CPU basis ----------------------------------------------------------------------------------------

I5_LAPTOP = cpu_system(16.0, cores=4, cpu="Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz")  # 2 threads, DDR4


@pytest.mark.parametrize(
    ("system", "limit", "used_gbps"),
    [
        (I5_LAPTOP, "compute", 20.0),  # 2 threads x 10 GB/s, under 60 % of the RAM's peak
        (cpu_system(32.0), "memory", 0.6 * 83.2),  # 16 threads: the RAM binds
        (cpu_system(8.0, cores=4, arm=True, cpu="Cortex-A76"), "compute", 12.0),  # 4 Arm cores x 3 GB/s
    ],
)
def test_cpu_basis_states_the_bandwidth_used(system: System, limit: str, used_gbps: float) -> None:
    fit = fit_for(dense_entry("test/chat-1b", 1_235_814_400, layers=16, hidden=2048, ffn=8192), system)
    basis = fit.as_dict()["estimate_basis"]
    assert basis["method"] == "cpu_bandwidth" and basis["cpu_limit"] == limit
    if limit == "compute":  # the threads' rate is per byte of Q4_K; other types cost more or less per byte
        used_gbps /= fit.placement.weights.cpu_cost
    assert basis["ram_effective_gbps"] == pytest.approx(used_gbps, abs=0.1)
    assert basis["efficiency"] == pytest.approx(used_gbps / basis["ram_bandwidth_gbps"], abs=0.001)
    note = next(n for n in fit.notes() if n.startswith("CPU decode estimated at"))
    assert f"{used_gbps:.0f} GB/s" in note and ("dequantization" in note) == (limit == "compute")
    # the speed follows that bandwidth: bytes per token over the bandwidth used, plus the per-layer cost
    assert fit.estimated_tps <= used_gbps / basis["bytes_per_token_gb"] + 0.1


def test_gpu_rows_carry_no_cpu_basis() -> None:
    basis = fit_for(EIGHT_B, RTX_4090).as_dict()["estimate_basis"]
    assert basis["ram_effective_gbps"] is None and basis["cpu_limit"] is None


@pytest.mark.parametrize("kind", ["base", "guard", "reward", "draft", "stub", "diffusion"])
def test_repos_that_are_no_assistant_never_lead_general(kind: str) -> None:
    big = dict(BIG, name=f"lab/Chat-70B-{kind}", kind=kind)
    small = dense_entry("lab/Chat-3B", 3_212_749_824, layers=28, hidden=3072, heads=24, ffn=8192, first_party=True)
    catalog = catalog_of([big, small], f"kinds-{kind}")
    h100 = gpu_system("NVIDIA H100 80GB HBM3", 79.65, 2, ram=512.0)
    top = envelope_dict(h100, catalog, parse_query({}, route="top"), NODE)
    assert names(top)[0] == "lab/Chat-3B"
    assert names(top)[1:] == [big["name"]]  # penalised, still listed


@pytest.mark.parametrize("mode", ["gpu", "moe_offload", "cpu_offload", "cpu_only"])
def test_level_cap_bounds_every_placement_of_a_rung(mode: str) -> None:
    """The walk stops before placing a rung whose best level is below the level it holds: that best level
    (analyze._level_cap) is at least scoring.fit_level of the rung at any use and any offloaded share."""
    from fleetfit.engine import scoring
    from fleetfit.engine.analyze import _level_cap
    from fleetfit.engine.memory import Weights
    from fleetfit.engine.placement import Placement
    from fleetfit.engine.quants import QUANTS

    for quant in QUANTS:
        cap = _level_cap(mode, quant)
        for used in (0.0, 0.5, 0.85, 0.91, 0.96, 1.0):
            for share in (0.1, 0.5, 0.74, 0.76, 1.0):
                placement = Placement(mode, quant, True, None, Weights(used, 0.0, used), 0.0, 0.0, 1.0, share)
                assert FIT_ORDER[scoring.fit_level(placement)] <= cap
        assert (
            cap
            == FIT_ORDER[
                scoring.fit_level(Placement(mode, quant, True, None, Weights(0.0, 0.0, 0.0), 0.0, 0.0, 1.0, 1.0))
            ]
        )

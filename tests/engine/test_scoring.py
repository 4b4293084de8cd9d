"""fit_level rules and the seed's score: 0.3 quality + 0.3 speed + 0.25 fit + 0.15 context."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fleetfit.engine import scoring
from fleetfit.engine.memory import Weights
from fleetfit.engine.placement import Placement

GIB = 2.0**30


def placement(mode: str, quant: str, required_gib: float, available_gib: float, **extra: float) -> Placement:
    return Placement(
        mode,
        quant,
        required_gib <= available_gib,
        None,
        Weights(required_gib * GIB, 0, 0),
        0.0,
        0.0,
        available_gib * GIB,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("mode", "quant", "required", "extra", "level"),
    [
        ("gpu", "Q8_0", 10, {}, "perfect"),
        ("gpu", "Q6_K", 10, {}, "perfect"),
        ("gpu", "Q5_K_M", 10, {}, "perfect"),
        ("gpu", "Q4_K_M", 10, {}, "good"),
        ("gpu", "Q3_K_M", 10, {}, "marginal"),
        ("gpu", "Q2_K", 10, {}, "marginal"),
        ("gpu", "Q8_0", 92, {}, "good"),  # over 90 % of the pool: not perfect
        ("gpu", "Q8_0", 99, {}, "marginal"),  # over 95 %: barely fits
        ("gpu", "Q8_0", 101, {}, "too_tight"),
        ("moe_offload", "Q8_0", 50, {}, "good"),  # offload is never perfect
        ("moe_offload", "Q3_K_M", 50, {}, "marginal"),
        ("cpu_offload", "Q4_K_M", 50, {"gpu_share": 0.8}, "good"),
        ("cpu_offload", "Q4_K_M", 50, {"gpu_share": 0.4}, "marginal"),  # heavy offload
        ("cpu_only", "Q8_0", 50, {}, "good"),
        ("cpu_only", "Q2_K", 50, {}, "marginal"),
    ],
)
def test_fit_level(mode: str, quant: str, required: float, extra: dict[str, float], level: str) -> None:
    assert scoring.fit_level(placement(mode, quant, required, 100, **extra)) == level


def test_composite_uses_the_seed_weights() -> None:
    assert scoring.composite(87.0, 81.2, 90.1, 88.0) == round(0.3 * 87.0 + 0.3 * 81.2 + 0.25 * 90.1 + 0.15 * 88.0, 1)
    assert scoring.composite(100, 100, 100, 100) == 100.0
    assert scoring.composite(0, 0, 0, 0) == 0.0


TODAY = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("params_b", "active_b", "low", "high"),
    [
        (0.1, None, 0.0, 0.0),
        (0.23, None, 3.0, 5.0),  # a 230M toy
        (1.0, None, 17.0, 21.0),
        (4.0, None, 37.0, 41.0),
        (8.0, None, 48.0, 52.0),
        (30.0, None, 60.0, 63.0),
        (300.0, None, 75.0, 75.0),  # size is worth 75 of quality's 100 points
        (30.5, 3.3, 56.0, 57.5),  # MoE: dense equivalent 30.5^0.65 x 3.3^0.35 ~ 14B (Qwen3-30B-A3B ~ Qwen3-14B)
        (117.0, 5.1, 62.5, 64.0),  # gpt-oss-120b: ~39B dense equivalent
    ],
)
def test_size_points(params_b: float, active_b: float | None, low: float, high: float) -> None:
    assert low <= scoring.size_points(params_b, active_b) <= high


def test_a_moe_scores_with_the_dense_model_its_base_benchmarks_beside() -> None:
    # Qwen3 technical report (arXiv:2505.09388), base MMLU-Pro: 30B-A3B 61.49 beside 14B 61.03 (8B 56.73).
    assert scoring.size_points(30.5, 3.3) == pytest.approx(scoring.size_points(14.0), abs=0.5)
    assert scoring.size_points(8.0) < scoring.size_points(30.5, 3.3) < scoring.size_points(32.0)


def test_size_curve_is_steep_where_capability_rises_and_still_separates_large_models() -> None:
    assert scoring.size_points(4.0) - scoring.size_points(0.3) > 30
    assert scoring.size_points(300.0) - scoring.size_points(30.0) > 10
    sizes = [0.05, 0.3, 0.7, 1.5, 3, 7, 14, 32, 72, 157, 243, 1000]
    points = [scoring.size_points(s) for s in sizes]
    assert points == sorted(points)


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        ("Qwen/Qwen2.5-Coder-7B-Instruct", "Coding", 0.3 * (90 - 75)),  # longest match: qwen2.5-coder
        ("Qwen/Qwen3-8B", "Reasoning", 0.3 * (80 - 75)),
        ("Qwen/Qwen3-8B", "General", 0.3 * ((78 + 80 + 78) / 3 - 75)),
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "Reasoning", 0.3 * (93 - 75)),
        ("bigcode/starcoder2-15b", "Chat", 0.3 * (50 - 75)),
        ("someone/unknown-family-7b", "General", 0.0),
        ("Qwen/Qwen3-Embedding-8B", "Embedding", 0.0),  # no task evidence for embeddings
    ],
)
def test_family_points(name: str, category: str, expected: float) -> None:
    assert scoring.family_points(name, category) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("2026-08-01", 6.0),
        ("2026-01-15", 4.0),
        ("2025-06-01", 1.0),  # 16 months
        ("2025-03-01", -2.0),  # 19 months: a generation behind
        ("2024-05-15", -5.0),  # DeepSeek-V2-Lite's age at the bundled catalog's date
        ("2023-01-01", -8.0),  # older than the last step
        (None, 0.0),  # undated: no evidence either way
        ("bad", 0.0),
    ],
)
def test_recency_points(origin: str | None, expected: float) -> None:
    assert scoring.recency_points(origin, TODAY) == expected


def test_recency_falls_with_age_and_the_spread_stays_under_a_size_doubling_per_year() -> None:
    months = [1, 8, 14, 20, 30, 48]
    credits = [scoring.recency_points((TODAY - timedelta(days=round(m * 30.44))).isoformat(), TODAY) for m in months]
    assert credits == sorted(credits, reverse=True) and len(set(credits)) == len(credits)
    # A year's gap costs less than the measured gain of one generation (a doubling of size, ~8 points at 7B).
    doubling = scoring.size_points(14.0) - scoring.size_points(7.0)
    assert scoring.recency_points("2026-09-01", TODAY) - scoring.recency_points("2025-09-01", TODAY) < doubling


@pytest.mark.parametrize(
    ("downloads", "first_party", "expected"),
    [
        (0, False, 0.0),
        (100, False, 0.0),  # at the floor: nothing but its size
        (1_000, False, 0.5),  # one of two decades
        (10_000, False, 1.0),
        (0, True, 0.5),  # a lab's own release nobody runs yet: half the evidence
        (1_000, True, 0.75),
        (10_000, True, 1.0),
        (10**7, True, 1.0),
    ],
)
def test_proven_share(downloads: int, first_party: bool, expected: float) -> None:
    assert scoring.proven_share(downloads, first_party) == pytest.approx(expected)


def test_a_lab_side_release_few_run_keeps_part_of_the_size_discount() -> None:
    # amd/Instella-MoE-16B-A3B-Think's line (5k downloads) against a lab release people run, same size
    side = scoring.Evidence("lab/side-16b", 16.0, active_b=3.0, downloads=600, first_party=True)
    run = scoring.Evidence("lab/run-16b", 16.0, active_b=3.0, downloads=10_000, first_party=True)
    size = scoring.size_points(16.0, 3.0)
    cut = scoring.quality_base(run, "General", TODAY) - scoring.quality_base(side, "General", TODAY)
    trust_gap = scoring.trust_points(10_000, 0, True) - scoring.trust_points(600, 0, True)
    assert cut - trust_gap == pytest.approx(size * scoring.UNPROVEN["discount"] * (1 - 0.5) * (1 - 0.389), abs=0.05)


def test_a_domain_tune_ranks_under_the_general_model_of_its_size_but_over_a_much_smaller_one() -> None:
    general = scoring.Evidence("lab/chat-8b", 8.0, downloads=100_000, first_party=True)
    field = scoring.Evidence("someone/med-8b", 8.0, downloads=100_000, domain=True)
    small = scoring.Evidence("lab/chat-1.5b", 1.5, downloads=100_000, first_party=True)
    q = {e.name: scoring.quality_base(e, "General", TODAY) for e in (general, field, small)}
    assert q["lab/chat-8b"] - q["someone/med-8b"] >= scoring.DOMAIN_PENALTY
    assert q["someone/med-8b"] > q["lab/chat-1.5b"]
    assert scoring.evidence_of({"name": "a/b", "domain": True}, 8e9, None).domain


@pytest.mark.parametrize(
    ("downloads", "likes", "first_party", "original", "low", "high"),
    [
        (0, 0, False, False, 0.0, 0.0),
        (100, 10, False, False, 0.0, 0.0),  # at the floors: no evidence
        (10_000, 100, False, False, 6.5, 6.5),  # 2 decades x 3.0 + 1 decade x 0.5
        (6_400_000, 5_000, False, False, 15.7, 15.8),  # gpt-oss-20b's line: 4.8 decades x 3.0 + 2.7 x 0.5
        (10**9, 10**7, False, False, 17.0, 17.0),  # bounded
        (0, 0, True, False, 4.0, 4.0),
        (0, 0, False, True, 2.0, 2.0),  # the original of its group
        (10**9, 10**7, True, True, 23.0, 23.0),
    ],
)
def test_trust_points(downloads: int, likes: int, first_party: bool, original: bool, low: float, high: float) -> None:
    assert low <= scoring.trust_points(downloads, likes, first_party, original) <= high


@pytest.mark.parametrize("group_downloads", [0, 5_000, 10**6, 10**9])
def test_a_first_party_original_outranks_any_re_upload_on_trust(group_downloads: int) -> None:
    # Members of one variant group share its downloads (catalog group_downloads): likes alone cannot overtake.
    least_official = scoring.trust_points(group_downloads, 0, True, True)
    most_liked_copy = scoring.trust_points(group_downloads, 10**7, False, False)
    assert least_official > most_liked_copy


def test_adoption_separates_a_flagship_from_a_side_release_by_several_points() -> None:
    flagship = scoring.trust_points(6_400_000, 5_000, True, True)  # openai/gpt-oss-20b's line
    side_release = scoring.trust_points(160, 20, True, True)  # ai-sage/GFusion-10B-A1.8B
    assert flagship - side_release > 8


@pytest.mark.parametrize(
    ("kind", "category", "penalised"),
    [
        ("chat", "General", False),
        ("chat", "Coding", False),
        ("base", "General", True),
        ("guard", "Chat", True),
        ("reward", "General", True),
        ("draft", "Coding", True),
        ("stub", "General", True),
        ("ocr", "General", True),
        ("ocr", "Multimodal", False),
        ("embedding", "Embedding", False),
        ("embedding", "General", True),
        ("speech", "Chat", True),
        ("embodied", "General", True),
        ("embodied", "Multimodal", True),  # a robot's VLM is not the image assistant a user asks for
        ("chat", "Embedding", False),  # an older catalog says "chat" for every kind: no penalty
    ],
)
def test_kind_penalty(kind: str, category: str, penalised: bool) -> None:
    assert (scoring.kind_penalty(kind, category) > 0) == penalised


@pytest.mark.parametrize(
    ("kind", "asked", "category", "hidden"),
    [
        ("ocr", None, "Multimodal", True),  # the default ranking reads as General
        ("ocr", "General", "General", True),
        ("speech", "Chat", "Chat", True),
        ("embedding", "General", "General", True),
        ("chat", None, "Embedding", True),  # an older catalog's embedding model
        ("embedding", "Embedding", "Embedding", False),
        ("ocr", "Multimodal", "Multimodal", False),
        ("base", None, "General", False),  # penalised, not hidden
        ("chat", None, "General", False),
    ],
)
def test_never_ranked(kind: str, asked: str | None, category: str, hidden: bool) -> None:
    assert scoring.never_ranked(kind, asked, category) == hidden


def test_quality_base_adds_the_evidence_and_drops_with_quant() -> None:
    plain = scoring.Evidence("x/plain-8b", 8.0)
    # an original (+2) that nothing but its size shows capable: its size points cut by the whole discount
    unproven = 1.0 - scoring.UNPROVEN["discount"]
    assert scoring.quality_base(plain, "General", TODAY) == pytest.approx(scoring.size_points(8.0) * unproven + 2.0)
    adopted = scoring.Evidence("x/plain-8b", 8.0, downloads=10_000)
    assert scoring.quality_base(adopted, "General", TODAY) == pytest.approx(
        scoring.size_points(8.0) + scoring.trust_points(10_000, 0, False, original=True)  # proven: no discount
    )
    official = scoring.Evidence("x/plain-8b", 8.0, downloads=2_000_000, likes=5000, first_party=True)
    newer = scoring.Evidence("x/plain-8b", 8.0, origin_date="2026-08-01")
    base_ckpt = scoring.Evidence("x/plain-8b", 8.0, kind="base")
    assert scoring.quality_base(official, "General", TODAY) > scoring.quality_base(newer, "General", TODAY)
    assert scoring.quality_base(newer, "General", TODAY) > scoring.quality_base(plain, "General", TODAY)
    # a base checkpoint of 8B ranks under a 1.5B assistant
    small_chat = scoring.Evidence("x/chat-1.5b", 1.5)
    assert scoring.quality_base(base_ckpt, "General", TODAY) < scoring.quality_base(small_chat, "General", TODAY)
    large = scoring.quality_base(scoring.Evidence("x/large", 70.0), "General", TODAY)
    assert scoring.quality(large, "Q8_0") > scoring.quality(large, "Q4_K_M") > scoring.quality(large, "Q2_K")


def test_evidence_reads_catalog_fields_with_defaults() -> None:
    old = {"name": "a/b", "release_date": "2025-01-01"}
    assert scoring.evidence_of(old, 8e9, None) == scoring.Evidence("a/b", 8.0, None, "2025-01-01")
    assert not scoring.evidence_of({**old, "group": "lab/b"}, 8e9, None).original
    new = {
        "name": "a/b",
        "release_date": "2026-09-01",  # a re-upload's date
        "origin_date": "2024-04-18",  # the original's
        "downloads": 5,
        "likes": 1,
        "first_party": True,
        "kind": "base",
    }
    e = scoring.evidence_of(new, 30e9, 3e9)
    assert (e.origin_date, e.active_b, e.downloads, e.first_party, e.kind) == ("2024-04-18", 3.0, 5, True, "base")


@pytest.mark.parametrize(
    ("tps", "category", "low", "high"),
    [
        (0.0, "Chat", 0.0, 0.0),
        (1.0, "Chat", 0.0, 0.0),  # nothing for <= 1 tok/s
        (2.0, "Chat", 24.0, 24.5),  # 55 x ln 2 / ln 4.8
        (4.0, "Chat", 48.5, 49.0),
        (4.8, "Chat", 54.9, 55.0),  # 4/5 of the usable rate
        (5.4, "Chat", 72.0, 73.0),  # the steep last fifth: falling short of reading speed costs most here
        (5.9, "Chat", 85.0, 86.0),  # just under the usable rate: no step at it
        (6.0, "Chat", 88.0, 88.0),  # usable: reading speed (5.3 tok/s) with margin
        (12.0, "Chat", 94.0, 94.0),  # small reward above
        (24.0, "Chat", 100.0, 100.0),
        (500.0, "Chat", 100.0, 100.0),
        (8.0, "Coding", 45.5, 46.5),  # coding wants 15
        (8.0, "Reasoning", 41.0, 41.5),  # reasoning wants 20
        (100.0, "Embedding", 49.5, 50.5),  # embeddings want 200
    ],
)
def test_speed_saturates_at_the_usable_rate(tps: float, category: str, low: float, high: float) -> None:
    assert low <= scoring.speed(tps, category) <= high


def test_speed_fit_and_context_components_stay_in_range() -> None:
    speeds = [scoring.speed(t, "Chat") for t in (0.5, 1.5, 3, 6, 9, 20, 40, 1000)]
    assert speeds == sorted(speeds) and speeds[0] >= 0 and speeds[-1] == 100.0
    assert scoring.fit(0.3, True) == 100.0 and scoring.fit(0.9, True) < scoring.fit(0.7, True)
    assert scoring.fit(1.2, False) == 0.0
    assert scoring.context(32768, "Chat") == pytest.approx(100.0)
    assert scoring.context(8192, "Coding") < scoring.context(8192, "Chat")
    assert scoring.context(256, "Chat") == 0.0

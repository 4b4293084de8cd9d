"""fit_level rules and the seed's score: 0.3 quality + 0.3 speed + 0.25 fit + 0.15 context."""

from __future__ import annotations

from datetime import date

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


def test_quality_grows_with_size_and_recency_and_drops_with_quant() -> None:
    today = date(2026, 10, 1)
    small = scoring.quality_base(1.0, None, "2023-01-01", today)
    large = scoring.quality_base(70.0, None, "2023-01-01", today)
    newer = scoring.quality_base(1.0, None, "2026-08-01", today)
    assert small < newer < large
    assert scoring.quality(large, "Q8_0") > scoring.quality(large, "Q4_K_M") > scoring.quality(large, "Q2_K")
    moe = scoring.quality_base(30.5, 3.3, None, today)  # dense-equivalent sqrt(30.5 x 3.3) ~ 10B
    assert scoring.quality_base(8.0, None, None, today) < moe < scoring.quality_base(14.0, None, None, today)


def test_speed_fit_and_context_components_stay_in_range() -> None:
    assert scoring.speed(0.0, "Chat") == 0.0
    assert scoring.speed(40.0, "Chat") == pytest.approx(100.0)
    assert 0 < scoring.speed(5.0, "Chat") < scoring.speed(20.0, "Chat") < 100
    assert scoring.speed(100.0, "Embedding") < 100.0  # embeddings are judged against 200 tok/s
    assert scoring.fit(0.3, True) == 100.0 and scoring.fit(0.9, True) < scoring.fit(0.7, True)
    assert scoring.fit(1.2, False) == 0.0
    assert scoring.context(32768, "Chat") == pytest.approx(100.0)
    assert scoring.context(8192, "Coding") < scoring.context(8192, "Chat")
    assert scoring.context(256, "Chat") == 0.0

"""The choices a practitioner would make: the quant that serves best, the runtime that serves best on Apple,
and one row per variant group with the official release first."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fleetfit.contract import System
from fleetfit.engine.analyze import FIT_ORDER, Fit, Options, analyze
from fleetfit.engine.devices import resolve
from fleetfit.engine.placement import run_mode
from fleetfit.engine.profile import build_profile
from fleetfit.engine.quants import GGUF_LADDER

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
        assert fit.traded == (highest, top.estimated_tps)
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

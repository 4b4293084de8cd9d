"""Calibration from fleet measurements: table-driven robustness and the poisoning guarantee."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from fleetfit.engine.calibration import (
    MAX_FACTOR,
    Correction,
    Measurement,
    Served,
    apply,
    calibrate,
    corrected_tps,
    fit_correction,
    speed_class,
    validate,
)

from tests.engine.systems import gpu_system

CLASS = "CUDA|1xNVIDIA GeForce RTX 4090"


def row(node: str, ratio: float, *, estimated: float = 100.0, model: str = "m/a", quant: str = "Q4_K_M") -> Measurement:
    return Measurement(node, CLASS, "llamacpp", model, quant, estimated * ratio, estimated)


def fleet(ratios: list[float]) -> list[Measurement]:
    return [row(f"n{i}", r, model=f"m/{i % 3}") for i, r in enumerate(ratios)]


@pytest.mark.parametrize(
    ("ratios", "low", "high"),
    [
        ([0.88] * 14, 0.87, 0.89),  # 14 agreeing nodes: the correction is their ratio
        ([0.8, 0.82, 0.85, 0.9, 0.78, 0.84], 0.80, 0.86),
        ([1.2, 1.25, 1.18], 1.15, 1.25),
        ([0.9, 0.92, 0.88, 0.91, 3.5], 0.88, 0.92),  # a 3.5x outlier is MAD-rejected
        ([0.5, 1.5, 0.7, 1.3], 0.80, 1.10),  # scattered votes shrink toward no correction
    ],
)
def test_corrections_follow_agreeing_nodes_and_ignore_outliers(ratios: list[float], low: float, high: float) -> None:
    correction = fit_correction(fleet(ratios))
    assert correction is not None and low <= correction.factor <= high


def test_one_node_is_one_vote_however_often_it_reports() -> None:
    honest = fleet([0.9, 0.9, 0.9])
    loud = [row("loud", 1.8, model=f"m/{i}") for i in range(30)]
    correction = fit_correction(honest + loud)
    assert correction is not None and correction.factor == pytest.approx(0.9, abs=0.02)
    assert correction.nodes == 3 and correction.rejected == 30


def test_a_single_node_does_not_correct_other_nodes() -> None:
    calibration = calibrate([row("only", 0.7)])
    assert calibration.get(CLASS) is None
    assert calibration.corrections[(CLASS, "llamacpp")].applies is False


def test_corrections_are_bounded() -> None:
    correction = fit_correction(fleet([3.9] * 20))
    assert correction is not None and correction.factor == pytest.approx(MAX_FACTOR)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda r: replace(r, measured_tps=r.estimated_tps * 10), id="10x high"),
        pytest.param(lambda r: replace(r, measured_tps=r.estimated_tps / 10), id="10x low"),
        pytest.param(lambda r: replace(r, measured_tps=0.0), id="zero"),
        pytest.param(lambda r: replace(r, measured_tps=-50.0), id="negative"),
        pytest.param(lambda r: replace(r, measured_tps=math.nan), id="NaN"),
        pytest.param(lambda r: replace(r, measured_tps=math.inf), id="inf"),
        pytest.param(lambda r: replace(r, estimated_tps=0.0), id="no estimate"),
    ],
)
@pytest.mark.parametrize("count", [1, 5, 20])
def test_poisoned_rows_move_no_estimate_more_than_5_percent(bad: object, count: int) -> None:
    honest = fleet([0.85, 0.9, 0.88, 0.87, 0.92, 0.86])
    clean = calibrate(honest).get(CLASS)
    poison = [bad(row(f"evil{i}", 1.0)) for i in range(count)]  # type: ignore[operator]
    dirty = calibrate(honest + poison).get(CLASS)
    assert clean is not None and dirty is not None
    assert abs(corrected_tps(100.0, dirty) / corrected_tps(100.0, clean) - 1) <= 0.05


def test_measurements_from_a_node_whose_hardware_changed_are_dropped() -> None:
    honest = fleet([0.9, 0.9, 0.9])
    moved = [row(f"moved{i}", 1.9) for i in range(10)]
    current = {f"moved{i}": "CUDA|1xNVIDIA GeForce RTX 5090" for i in range(10)}
    assert len(validate(honest + moved, current)) == 3
    correction = calibrate(honest + moved, current).get(CLASS)
    assert correction is not None and correction.factor == pytest.approx(0.9, abs=0.01)


def test_the_finest_applicable_correction_wins() -> None:
    rows = fleet([0.9, 0.9, 0.9, 0.9])
    rows += [row("f1", 1.3, quant="F16"), row("f2", 1.3, quant="F16")]
    calibration = calibrate(rows)
    f16 = calibration.get(CLASS, "llamacpp", "m/x", "F16")
    q4 = calibration.get(CLASS, "llamacpp", "m/x", "Q4_K_M")
    assert f16 is not None and f16.factor > 1.2
    assert q4 is not None and q4.factor < 0.95
    assert calibration.get(CLASS, "vllm") is None  # nothing measured on that backend


def test_note_names_measurements_nodes_and_percent() -> None:
    correction = fit_correction(fleet([0.88] * 14))
    assert correction is not None
    assert correction.note().startswith("calibrated from 14 measurements on 14 nodes of this class: \u221212 %")


def test_speed_class_ignores_ram_but_not_the_gpu() -> None:
    system = gpu_system("NVIDIA GeForce RTX 4090", 24.0)
    assert speed_class(system) == speed_class(gpu_system("NVIDIA GeForce RTX 4090", 24.0, ram=128.0)) == CLASS
    assert speed_class(gpu_system("NVIDIA GeForce RTX 4090", 24.0, 2)) != CLASS


def model_row(name: str = "m/a", quant: str = "Q4_K_M", tps: float = 100.0) -> dict[str, object]:
    return {
        "name": name,
        "best_quant": quant,
        "estimated_tps": tps,
        "estimated_tps_full_context": tps * 0.9,
        "notes": [],
        "estimate_basis": {"method": "bandwidth_roofline", "source": "estimated", "calibration": None},
        "installed": False,
        "measured_tps": None,
    }


CORR = Correction("k", "llamacpp", 0.8, 0.7, 0.9, 6, 4, 0, True)


@pytest.mark.parametrize(
    ("served", "correction", "on", "expected"),
    [
        ([], None, True, ("estimated", 100.0, None, False)),
        ([], CORR, True, ("calibrated", 80.0, None, False)),
        ([], CORR, False, ("estimated", 100.0, None, False)),
        ([Served("m/a", "Q4_K_M", "llamacpp", 91.0)], CORR, True, ("measured", 91.0, 91.0, True)),
        ([Served("m/a", "Q4_K_M", "llamacpp", 91.0)], CORR, False, ("estimated", 100.0, 91.0, True)),
        ([Served("m/a", "Q8_0", "llamacpp", 60.0)], CORR, True, ("calibrated", 80.0, None, True)),  # other quant
        ([Served("m/a", "Q4_K_M", "ollama", None)], None, True, ("estimated", 100.0, None, True)),  # no rate
        ([Served("m/b", "Q4_K_M", "llamacpp", 91.0)], None, True, ("estimated", 100.0, None, False)),
    ],
)
def test_apply_says_where_the_speed_came_from(
    served: list[Served], correction: Correction | None, on: bool, expected: tuple[object, ...]
) -> None:
    row = apply(model_row(), served, correction, calibration=on)
    basis = row["estimate_basis"]
    assert isinstance(basis, dict)
    assert (basis["source"], row["estimated_tps"], row["measured_tps"], row["installed"]) == expected
    if basis["source"] == "calibrated":
        assert basis["calibration"]["physics_tps"] == 100.0 and row["estimated_tps_full_context"] == 72.0
        assert row["notes"] == [CORR.note()]

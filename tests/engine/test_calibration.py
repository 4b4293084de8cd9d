"""Calibration from fleet measurements: table-driven robustness and the poisoning guarantee."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
from fleetfit.engine.calibration import (
    LEVELS,
    MAX_FACTOR,
    MAX_NODE_INFLUENCE,
    Calibration,
    Correction,
    Measurement,
    Served,
    _bound,
    _Design,
    _Row,
    _target,
    apply,
    backfit,
    calibrate,
    quant_family,
    speed_class,
    validate,
)

from tests.engine.systems import gpu_system

CLASS = "CUDA|1xNVIDIA GeForce RTX 4090"


def row(node: str, ratio: float, *, estimated: float = 100.0, model: str = "m/a", quant: str = "Q4_K_M") -> Measurement:
    return Measurement(node, CLASS, "llamacpp", model, quant, estimated * ratio, estimated, "gpu/dense")


def fleet(ratios: list[float]) -> list[Measurement]:
    return [row(f"n{i}", r, model=f"m/{i % 3}") for i, r in enumerate(ratios)]


@pytest.mark.parametrize(
    ("ratios", "low", "high"),
    [
        ([0.88] * 14, 0.87, 0.89),  # 14 agreeing nodes: the correction is their ratio
        ([0.8, 0.82, 0.85, 0.9, 0.78, 0.84], 0.80, 0.87),
        ([1.2, 1.25, 1.18], 1.10, 1.22),  # three nodes: most of the way, shrunk a little
        ([0.9, 0.92, 0.88, 0.91, 3.5], 0.88, 0.95),  # a 3.5x outlier is one vote among five: outvoted
        ([0.5, 1.5, 0.7, 1.3], 0.85, 1.10),  # scattered votes move little
    ],
)
def test_corrections_follow_agreeing_nodes_and_ignore_outliers(ratios: list[float], low: float, high: float) -> None:
    correction = calibrate(fleet(ratios)).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None and low <= correction.factor <= high


def test_one_node_is_one_vote_however_often_it_reports() -> None:
    honest = fleet([0.9, 0.9, 0.9, 0.9, 0.9])
    loud = [row("loud", 1.8, model=f"m/{i}") for i in range(30)]
    clean = calibrate(honest).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    correction = calibrate(honest + loud).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert clean is not None and clean.factor == pytest.approx(0.9, abs=0.02)
    assert correction is not None and abs(correction.factor / clean.factor - 1) <= 0.05
    assert correction.nodes == 6 and correction.measurements == 35


def test_a_single_node_moves_other_nodes_by_at_most_the_cap() -> None:
    calibration = calibrate([row("only", 0.7)])
    correction = calibration.get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None and 0.95 <= correction.factor < 1.0
    assert calibration.weights[f"{CLASS}\x00only"] < 1.0  # the cap cut its weight


def test_corrections_are_bounded() -> None:
    correction = calibrate(fleet([3.9] * 20)).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
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
        pytest.param(lambda r: replace(r, measured_tps=r.estimated_tps * 3.5), id="3.5x high, plausible"),
        pytest.param(lambda r: replace(r, measured_tps=r.estimated_tps / 3.5), id="3.5x low, plausible"),
    ],
)
@pytest.mark.parametrize("count", [1, 5, 20])
def test_poisoned_rows_from_one_node_move_no_estimate_more_than_5_percent(bad: object, count: int) -> None:
    honest = fleet([0.85, 0.9, 0.88, 0.87, 0.92, 0.86])
    clean = calibrate(honest)
    quants = ("Q4_K_M", "Q8_0", "F16", "IQ4_XS")
    poison = [bad(row("evil", 1.0, model=f"m/{i}", quant=quants[i % 4])) for i in range(count)]  # type: ignore[operator]
    dirty = calibrate(honest + poison)
    for quant in quants:
        for shape in ("gpu/dense", "gpu/moe", "cpu_offload/dense"):
            before, after = (factor(c, CLASS, quant, shape) for c in (clean, dirty))
            assert abs(after / before - 1) <= 0.05, (quant, shape)


def factor(calibration: Calibration, klass: str, quant: str, shape: str) -> float:
    correction = calibration.get(klass, "llamacpp", "m/any", quant, shape)
    return 1.0 if correction is None else correction.factor


KLASSES = ("CUDA|1xNVIDIA GeForce RTX 4090", "CUDA|2xNVIDIA GeForce RTX 3090", "CUDA|1xNVIDIA L4")
QUANTS = ("Q4_K_M", "Q8_0", "F16", "MXFP4")
SHAPES = ("gpu/dense", "gpu/moe", "moe_offload/moe")


def random_fleet(seed: int) -> list[Measurement]:
    """Nodes of three CUDA classes, each with a true bias per class, quant family and shape, measuring
    1-4 models with noise; a few hostile nodes report plausible lies (within the 4x validity bound)."""
    rng = random.Random(seed)
    bias = {(k, q, s): rng.gauss(0, 0.15) for k in KLASSES for q in QUANTS for s in SHAPES}
    rows = []
    for n in range(rng.randint(4, 12)):
        klass = rng.choice(KLASSES)
        hostile = rng.random() < 0.2
        for m in range(rng.randint(1, 4)):
            q, s = rng.choice(QUANTS), rng.choice(SHAPES)
            ratio = rng.choice((3.5, 0.3)) if hostile else math.exp(bias[klass, q, s] + rng.gauss(0, 0.05))
            rows.append(Measurement(f"n{n}", klass, "llamacpp", f"m/{m}", q, 100.0 * ratio, 100.0, s))
    return rows


@pytest.mark.parametrize("seed", range(8))
def test_the_cap_holds_at_the_fitted_weights(seed: int) -> None:
    """The structure: at the weights calibrate settles on, zeroing any one node's weight moves no estimate
    (every combination of the levels' groups, _bound) by more than MAX_NODE_INFLUENCE."""
    rows = random_fleet(seed)
    full = calibrate(rows)
    design = _Design.of(
        [_Row(f"{r.speed_class}\x00{r.node_id}", tuple(key(_target(r)) for _, key in LEVELS),
              math.log(r.measured_tps / r.estimated_tps)) for r in rows]
    )  # fmt: skip
    values = [{k: e.value for k, e in level.items()} for level in backfit(design, full.weights)]
    for node, weight in full.weights.items():
        if weight > 0:
            zeroed = backfit(design, {**full.weights, node: 0.0})
            assert (
                _bound(values, [{k: e.value for k, e in level.items()} for level in zeroed])
                <= MAX_NODE_INFLUENCE + 1e-12
            )


def test_measurements_from_a_node_whose_hardware_changed_are_dropped() -> None:
    honest = fleet([0.9, 0.9, 0.9, 0.9, 0.9])
    moved = [row(f"moved{i}", 1.9) for i in range(10)]
    current = {f"moved{i}": "CUDA|1xNVIDIA GeForce RTX 5090" for i in range(10)}
    assert len(validate(honest + moved, current)) == 5
    correction = calibrate(honest + moved, current).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None and correction.factor == pytest.approx(0.9, abs=0.02)


def test_quant_family_and_run_shape_correct_separately() -> None:
    rows = [row(f"q{i}", 0.85) for i in range(9)]
    rows += [row(f"f{i}", 1.25, quant="F16") for i in range(5)]
    calibration = calibrate(rows)
    f16 = calibration.get(CLASS, "llamacpp", "m/x", "BF16", "gpu/dense")  # the float family
    q4 = calibration.get(CLASS, "llamacpp", "m/x", "Q5_K_S", "gpu/dense")  # the k-quant family
    assert f16 is not None and f16.factor > 1.03  # toward 1.25, shrunk and capped (5 nodes)
    assert q4 is not None and q4.factor < 0.9  # toward 0.85 (9 nodes)
    assert calibration.get(CLASS, "vllm") is None  # nothing measured on that backend
    moe = [replace(r, node_id=f"moe{i}", measured_tps=60.0, shape="gpu/moe") for i, r in enumerate(rows[:5])]
    calibration = calibrate(rows[:9] + moe)
    dense, sparse = (calibration.get(CLASS, "llamacpp", "m/x", "Q4_K_M", s) for s in ("gpu/dense", "gpu/moe"))
    assert dense is not None and sparse is not None
    assert dense.factor == pytest.approx(0.85, abs=0.03) and sparse.factor < dense.factor - 0.05


def test_an_unmeasured_class_inherits_its_backends_correction() -> None:
    calibration = calibrate(fleet([0.8] * 10))
    other = calibration.get("CUDA|1xNVIDIA L4", "llamacpp", "m/x", "Q4_K_M", "gpu/dense")
    assert other is not None and other.factor < 0.85 and other.nodes == 0 and other.other_nodes == 10
    assert other.note().startswith("calibrated from 10 measurements on 10 nodes of other classes")
    assert calibration.get("Metal|1xApple M2 Max", "llamacpp", "m/x", "Q4_K_M", "gpu/dense") is None


def test_note_names_measurements_nodes_and_percent() -> None:
    correction = calibrate(fleet([0.88] * 14)).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None
    assert correction.note().startswith("calibrated from 14 measurements on 14 nodes of this class: \u221212 %")


@pytest.mark.parametrize(
    ("quant", "family"),
    [("Q4_K_M", "k"), ("UD-Q4_K_XL", "k"), ("Q8_0", "legacy"), ("Q4_0", "legacy"), ("BF16", "float"),
     ("F16", "float"), ("MXFP4", "mxfp4"), ("IQ4_XS", "iq"), ("UD-IQ2_M", "iq"), ("mlx-4bit", "mlx")],
)  # fmt: skip
def test_quant_family(quant: str, family: str) -> None:
    assert quant_family(quant) == family


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

"""Calibration from fleet measurements: table-driven robustness and the poisoning guarantee."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
from fleetfit.engine.calibration import (
    LEVEL_SHARE,
    LEVELS,
    MAX_FACTOR,
    MAX_NODE_INFLUENCE,
    PRIOR_VOTES,
    Calibration,
    Correction,
    Measurement,
    Served,
    apply,
    calibrate,
    quant_family,
    shrunk_mean,
    speed_class,
    validate,
)

from tests.engine.systems import gpu_system

CLASS = "CUDA|1xNVIDIA GeForce RTX 4090"


def row(node: str, ratio: float, *, estimated: float = 100.0, model: str = "m/a", quant: str = "Q4_K_M") -> Measurement:
    return Measurement(node, CLASS, "llamacpp", model, quant, estimated * ratio, estimated, "gpu/dense")


def fleet(ratios: list[float]) -> list[Measurement]:
    return [row(f"n{i}", r, model=f"m/{i % 3}") for i, r in enumerate(ratios)]


def reach(nodes: int) -> float:
    """The most ``nodes`` agreeing votes add to one level's effect, per unit of that level's influence:
    nodes x x_nodes, with x_1 = 1 and x_(N+1) = min(x_N, 1 - N x_N / (N + P + 1)) (the module's rule)."""
    x = 1.0
    for n in range(1, nodes):
        x = min(x, 1 - n * x / (n + PRIOR_VOTES + 1))
    return nodes * x


def agreeing(nodes: int, ratio: float) -> float:
    """The log factor of ``nodes`` nodes of one class and run shape, all at ``ratio``: they are the only
    votes of their backend, class and run-shape groups, so each level takes N (residual / (N + P)), each
    vote's share clipped to x_N x its influence, and leaves the rest to the next."""
    left, total = math.log(ratio), 0.0
    for name, _ in LEVELS:
        cap = reach(nodes) / nodes * LEVEL_SHARE[name] * MAX_NODE_INFLUENCE
        effect = nodes * max(-cap, min(cap, left / (nodes + PRIOR_VOTES)))
        total, left = total + effect, left - effect
    return total


def factor_of(correction: Correction | None) -> float:
    return 1.0 if correction is None else correction.factor


@pytest.mark.parametrize(
    ("ratios", "low", "high"),
    [
        ([0.88] * 14, 0.87, 0.89),  # 14 agreeing nodes: the correction is their ratio
        ([0.8, 0.82, 0.85, 0.9, 0.78, 0.84], math.exp(-6 * 0.635 * MAX_NODE_INFLUENCE), 0.89),  # 6 nodes' reach
        ([1.2, 1.25, 1.18], 1.07, math.exp(3 * 0.734 * MAX_NODE_INFLUENCE)),  # three nodes: at most 2.2 bounds
        ([0.9, 0.92, 0.88, 0.91, 3.5], 0.88, 0.95),  # a 3.5x outlier is one vote among five: outvoted
        ([0.5, 1.5, 0.7, 1.3], 0.99, 1.01),  # scattered votes, each clipped to its share: they cancel
    ],
)
def test_corrections_follow_agreeing_nodes_and_ignore_outliers(ratios: list[float], low: float, high: float) -> None:
    correction = calibrate(fleet(ratios)).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert low <= factor_of(correction) <= high


@pytest.mark.parametrize(
    ("nodes", "ratio", "expected"),
    [
        (1, 0.7, 1 / 1.04),  # one node alone: every level's share of the bound, no more
        (3, 1.25, math.exp(3 * (1 - 2 * 0.8 / 6) * MAX_NODE_INFLUENCE)),  # saturated: 3 x_3 = 2.2 bounds
        (8, 0.7, math.exp(-8 * 0.6061 * MAX_NODE_INFLUENCE)),  # saturated at every level: 8 x_8 = 4.85
        # 30 nodes at 0.8: the backend level saturates (30 x_30 x 15 % of the bound, about 0.1 of the 0.22
        # needed), class and run shape do not: each keeps 30/33 of what is left, so 0.8 within (3/33)^2
        (30, 0.8, 0.8),
    ],
)
def test_agreeing_nodes_correct_as_far_as_the_bound_lets_them(nodes: int, ratio: float, expected: float) -> None:
    """Agreeing honest nodes still correct substantially: N nodes move an estimate by up to about N x_N
    times the bound (x_N from 1 down toward 1/2), and a large fleet all the way."""
    calibration = calibrate(fleet([ratio] * nodes))
    correction = calibration.get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None and correction.factor == pytest.approx(math.exp(agreeing(nodes, ratio)), abs=2e-4)
    assert correction.factor == pytest.approx(expected, rel=0.003)
    assert len(calibration.rows_of) == nodes  # every node counted, one vote each (there are no weights)


def test_one_node_is_one_vote_however_often_it_reports() -> None:
    honest = fleet([0.9, 0.9, 0.9, 0.9, 0.9])
    loud = [row("loud", 1.8, model=f"m/{i}") for i in range(30)]
    clean = calibrate(honest).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    correction = calibrate(honest + loud).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert clean is not None and clean.factor == pytest.approx(math.exp(agreeing(5, 0.9)), abs=2e-4)
    assert correction is not None and abs(correction.factor / clean.factor - 1) <= 0.05
    assert correction.nodes == 6 and correction.measurements == 35


def test_corrections_are_bounded() -> None:
    for nodes in (20, 60):  # reach: 20 x_20 x the bound ~ 0.43 < ln 2; 60 x_60 x the bound ~ 1.25 > ln 2
        correction = calibrate(fleet([3.9] * nodes)).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
        assert correction is not None
        assert correction.factor == pytest.approx(
            min(MAX_FACTOR, math.exp(reach(nodes) * MAX_NODE_INFLUENCE)), abs=2e-4
        )


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


# Every estimate a node of the backend can ask for: measured classes and an unmeasured one, every quant and
# run shape (and none), and a class of another backend.
TARGETS = [
    (klass, quant, shape)
    for klass in (*KLASSES, "CUDA|1xNVIDIA H100 PCIe", "Metal|1xApple M2 Max")
    for quant in (*QUANTS, None)
    for shape in (*SHAPES, "cpu_offload/dense", None)
]


def factors(calibration: Calibration) -> dict[tuple[str, str | None, str | None], float]:
    return {t: factor_of(calibration.get(t[0], "llamacpp", "m/any", t[1], t[2])) for t in TARGETS}


def assert_moved_at_most_the_bound(clean: Calibration, dirty: Calibration) -> float:
    """Every target's factor within 5 % (the promise) and within the proven 4 % plus get's rounding."""
    before, after = factors(clean), factors(dirty)
    worst = max(abs(math.log(after[t] / before[t])) for t in TARGETS)
    assert worst <= MAX_NODE_INFLUENCE + 0.0006
    assert all(abs(after[t] / before[t] - 1) <= 0.05 for t in TARGETS)
    return worst


def honest(spec: list[tuple[str, float, str]]) -> list[Measurement]:
    """One node per (class, ratio, shape), measuring at Q4_K_M; a gpu/moe node measures two models."""
    rows = []
    for i, (klass, ratio, shape) in enumerate(spec):
        for m in range(2 if shape == "gpu/moe" else 1):
            rows.append(Measurement(f"h{i}", klass, "llamacpp", f"m/{m}", "Q4_K_M", 100.0 * ratio, 100.0, shape))
    return rows


A, B, C = KLASSES
FLEETS = {
    "1 node": [(A, 0.8, "gpu/dense")],
    "2 agreeing": [(A, 0.8, "gpu/dense"), (A, 0.82, "gpu/dense")],
    "2 disagreeing": [(A, 0.6, "gpu/dense"), (A, 1.5, "gpu/dense")],
    "3 agreeing": [(A, 1.25, "gpu/dense"), (A, 1.2, "gpu/moe"), (A, 1.3, "gpu/dense")],
    "3 disagreeing, 2 classes": [(A, 0.5, "gpu/dense"), (B, 1.9, "gpu/moe"), (A, 1.1, "moe_offload/moe")],
    "8 agreeing": [(A, 0.7, "gpu/dense")] * 5 + [(B, 0.72, "gpu/dense"), (A, 0.7, "gpu/moe"), (C, 0.69, "gpu/dense")],
    "8 disagreeing, 3 classes": [
        (A, 0.5, "gpu/dense"), (A, 0.9, "gpu/moe"), (A, 1.4, "gpu/dense"), (B, 0.7, "gpu/dense"),
        (B, 2.5, "moe_offload/moe"), (C, 1.0, "gpu/dense"), (C, 0.4, "gpu/moe"), (A, 1.05, "gpu/dense"),
    ],
}  # fmt: skip
HOSTILE = {
    "3.9x high": lambda i: 3.9,
    "3.9x low": lambda i: 1 / 3.9,
    "high and low by turns": lambda i: 3.9 if i % 2 else 1 / 3.9,  # pushes the node's groups apart
}


@pytest.mark.parametrize("fleet_name", FLEETS)
@pytest.mark.parametrize("hostile_class", KLASSES)
@pytest.mark.parametrize("count", [1, 5, 20])
@pytest.mark.parametrize("lie", HOSTILE)
def test_one_hostile_node_moves_no_estimate_more_than_5_percent(
    fleet_name: str, hostile_class: str, count: int, lie: str
) -> None:
    """The guarantee as a property: one node, any number of rows spread over the quants, models and run
    shapes of one class of the backend, against the clean fleet fitted by the same calibrate."""
    rows = honest(FLEETS[fleet_name])
    evil = [
        Measurement("evil", hostile_class, "llamacpp", f"m/{i}", QUANTS[i % len(QUANTS)], 100.0 * HOSTILE[lie](i),
                    100.0, SHAPES[(i // len(QUANTS)) % len(SHAPES)] if i % 2 else SHAPES[i % len(SHAPES)])
        for i in range(count)
    ]  # fmt: skip
    assert_moved_at_most_the_bound(calibrate(rows), calibrate(rows + evil))


@pytest.mark.parametrize("seed", range(8))
def test_removing_any_one_node_moves_no_estimate_more_than_the_bound(seed: int) -> None:
    """The same guarantee read the other way: for random fleets with hostile nodes, the whole procedure
    re-run without any one node (honest or hostile) against the fit with it."""
    rows = random_fleet(seed)
    full = calibrate(rows)
    worst = max(
        assert_moved_at_most_the_bound(full, calibrate([r for r in rows if (r.speed_class, r.node_id) != node]))
        for node in {(r.speed_class, r.node_id) for r in rows}
    )
    assert worst > 0.0  # some node does move something: the check is not vacuous


VOTE_SETS = {
    "none": [],
    "one": [0.2],
    "saturated high": [math.log(4.0)] * 12,
    "saturated low, many": [-math.log(4.0)] * 64,
    "small": [0.01, -0.02, 0.015, 0.0, 0.005],
    "spread": [-1.3, -0.4, 0.0, 0.2, 0.9, 1.38, -0.05],
    "near the clip": [0.06, 0.07, 0.08, 0.09, -0.06],
}


@pytest.mark.parametrize("votes", VOTE_SETS)
@pytest.mark.parametrize("prior", [0.0, 1.0, PRIOR_VOTES, 8.0])
@pytest.mark.parametrize("vote", [-math.log(4.0), -0.1, 0.0, 0.03, math.log(4.0)])
def test_one_vote_moves_a_shrunk_mean_by_at_most_its_influence(votes: str, prior: float, vote: float) -> None:
    """Step 3's lemma, whatever the other votes: one vote more moves the effect by at most the influence."""
    influence = 0.6 * MAX_NODE_INFLUENCE
    others = VOTE_SETS[votes]
    moved = abs(shrunk_mean([*others, vote], influence, prior) - shrunk_mean(others, influence, prior))
    assert moved <= influence * (1 + 1e-9)


def test_measurements_from_a_node_whose_hardware_changed_are_dropped() -> None:
    honest = fleet([0.9, 0.9, 0.9, 0.9, 0.9])
    moved = [row(f"moved{i}", 1.9) for i in range(10)]
    current = {f"moved{i}": "CUDA|1xNVIDIA GeForce RTX 5090" for i in range(10)}
    assert len(validate(honest + moved, current)) == 5
    correction = calibrate(honest + moved, current).get(CLASS, quant="Q4_K_M", shape="gpu/dense")
    assert correction is not None and correction.factor == pytest.approx(0.9, abs=0.02)


def test_run_shape_corrects_within_its_class_and_quant_families_share_it() -> None:
    dense = [row(f"q{i}", 0.85, quant=("Q4_K_M", "F16")[i % 2]) for i in range(9)]
    moe = [replace(r, node_id=f"moe{i}", measured_tps=60.0, shape="gpu/moe") for i, r in enumerate(dense[:5])]
    calibration = calibrate(dense + moe)
    assert not calibration.uniform()
    q4, f16, sparse, unmeasured = (
        factor_of(calibration.get(CLASS, "llamacpp", "m/x", q, s))
        for q, s in (
            ("Q4_K_M", "gpu/dense"),
            ("BF16", "gpu/dense"),
            ("Q4_K_M", "gpu/moe"),
            ("Q4_K_M", "cpu_only/dense"),
        )
    )
    assert q4 == f16  # a quant family is no level: the physics' decode cost table corrects it
    assert q4 < 0.88 and sparse < q4  # dense toward 0.85, MoE further toward 0.6
    # the MoE cell's own 5 votes add at most 5 x_5 x the run shape's share of the bound to the class's
    assert math.log(q4 / sparse) <= 2 * reach(5) * LEVEL_SHARE["run shape"] * MAX_NODE_INFLUENCE
    assert sparse < unmeasured < q4  # an unmeasured shape gets the class's correction alone
    assert calibration.get(CLASS, "vllm") is None  # nothing measured on that backend


def test_an_unmeasured_class_inherits_its_backends_correction() -> None:
    calibration = calibrate(fleet([0.8] * 10))
    other = calibration.get("CUDA|1xNVIDIA L4", "llamacpp", "m/x", "Q4_K_M", "gpu/dense")
    # the backend level alone, saturated: 10 x_10 x its share of the bound (ln 0.8 / 13 per vote is more)
    backend = reach(10) * LEVEL_SHARE["backend"] * MAX_NODE_INFLUENCE
    assert other is not None and other.factor == pytest.approx(math.exp(-backend), abs=2e-4)
    assert other.nodes == 0 and other.other_nodes == 10
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

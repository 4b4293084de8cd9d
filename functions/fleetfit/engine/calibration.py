"""calibration: fleet measurements -> a bounded, robust correction of the physics speed estimate.

Every measurement is a log ratio ln(measured / estimated) for one model at one quant on one node. The
correction of an estimate is not one scalar per class but a sum of effects along the physics model's known
biased inputs (``LEVELS``, coarse to fine): the backend (platform and runtime engine), the quant family on
that backend (k-quant, legacy, float, MXFP4 kernels reach different shares of the bandwidth), the run shape
on that backend (GPU, MoE offload, layer offload, CPU; dense or MoE: the routed-expert share and the
offload split are modelled, not measured) and what is left for the speed class. Steps, in order:

1. ``validate``: drop what cannot be a measurement: non-finite, zero or negative rates, ratios beyond
   MAX_RATIO (a 10x-off row is a broken or hostile reporter, not hardware), and rows whose node's hardware
   changed since (its current class is not the class the row was measured on).
2. one vote per node per group: the median of a node's residuals in that group, so a node that reports
   often or many models is one voice in every group it touches.
3. ``backfit``: level by level, each group's effect is the weighted median of its votes on what the
   coarser levels leave, shrunk toward no correction by W / (W + PRIOR_VOTES) (W: the votes' weight), so
   few votes correct little and many agreeing votes correct fully.
4. the influence cap, the poisoning guarantee: every node starts with weight 1; a node whose removal (its
   weight set to 0, every other weight as it is) would move any estimate by more than MAX_NODE_INFLUENCE
   has its weight cut, and after CAP_ROUNDS cuts set to 0, until no node moves any estimate more than that.
   "Any estimate": ``_bound`` lets the levels' groups combine freely, so the check covers every model, quant
   and run shape of every class of the backend, measured or not. The loop ends: each pass past CAP_ROUNDS
   zeroes a node, and with every weight 0 nothing moves. ``Calibration.weights`` keeps the weights.
5. bound: the factor stays within [1 / MAX_FACTOR, MAX_FACTOR] (a clamp: it cannot enlarge a node's move).

A node's own measurement is not a correction: ``apply`` shows it as ``measured``. Pure: no I/O, no clock.
Callers pass measurements with their physics estimate (and its run shape) already computed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from fleetfit.contract import System

# Physics estimates are within 0.4-2.5x of published llama-bench rows on the development split
# (bench/accuracy.py: p90 |error| ~35 %, worst ~2.5x); a ratio beyond 4x is not a measurement of the hardware.
MAX_RATIO = 4.0
# A correction never exceeds 2x either way: larger gaps mean the model of the hardware is wrong,
# which a table fix must address, not a silent multiplier.
MAX_FACTOR = 2.0
# Shrinkage: an effect with W votes of weight 1 keeps W / (W + PRIOR_VOTES) of its votes' weighted median
# (bench/calibration.py, classes with >= 3 rows fed, median error cut on the fixed / 200 random splits with
# the cap: 4 -> 48/26 %; a weighted mean at 2: 41/31 %, but one hostile node then moved an estimate 6.1 %
# end to end, against 4.9 % with the median at 4).
PRIOR_VOTES = 4.0
# The poisoning guarantee: no single node moves any other node's estimate by more than this (log ratio).
MAX_NODE_INFLUENCE = math.log(1.04)  # 4 %: below the 5 % promised (see the docstring's step 4)
CAP_ROUNDS = 4  # weight cuts before an influential node's weight is set to 0
MAD_SCALE_FLOOR = 0.05  # interval: a scale floor so agreeing votes do not claim certainty

# Runtimes whose measurements share one correction: the llama.cpp engine under its front ends.
BACKEND_OF_RUNTIME: dict[str, str] = {
    "llamacpp": "llamacpp",
    "llama-bench": "llamacpp",
    "ollama": "llamacpp",
    "lmstudio": "llamacpp",
    "vllm": "vllm",
    "sglang": "sglang",
}


def speed_class(system: System) -> str:
    """What decides decode speed, coarser than the fit class: the GPU model and count (or the CPU model)
    and the backend; RAM size and free memory do not change tokens per second of a model that fits."""
    if system.gpus:
        cards = "+".join(sorted(f"{g.count}x{g.name}" for g in system.gpus))
        return f"{system.backend}|{cards}"
    return f"{system.backend}|{system.cpu_name}|{system.cpu_cores}"


def quant_family(quant: str) -> str:
    """The kernel family a quant decodes with: llama.cpp's k-quants, i-quants, legacy block types, floats,
    MXFP4, MLX group quantization."""
    q = quant.upper()
    if q in ("F16", "BF16", "F32"):
        return "float"
    if "MXFP4" in q:
        return "mxfp4"
    if q.startswith("MLX"):
        return "mlx"
    if q.startswith(("IQ", "UD-IQ", "TQ")):
        return "iq"
    if "_K" in q:
        return "k"
    return "legacy"


def run_shape(run_mode: str, is_moe: bool) -> str:
    """What the physics model assumes about how a token is read: the run mode and dense or MoE."""
    return f"{run_mode}/{'moe' if is_moe else 'dense'}"


@dataclass(frozen=True, slots=True)
class Measurement:
    node_id: str
    speed_class: str  # the class of the System reported with the measurement
    backend: str  # BACKEND_OF_RUNTIME value
    model: str  # catalog entry
    quant: str
    measured_tps: float
    estimated_tps: float  # the engine's physics estimate for the same class, model and quant
    shape: str = "gpu/dense"  # run_shape of the physics estimate


@dataclass(frozen=True, slots=True)
class Target:
    """What a correction is looked up by: an estimate's class, runtime backend, model, quant, shape."""

    speed_class: str
    backend: str = "llamacpp"
    model: str | None = None
    quant: str | None = None
    shape: str | None = None


def _platform(speed_class_: str) -> str:
    return speed_class_.split("|", 1)[0]


# The levels, each a key of a (measurement or target) -> group; None: the target is in no group of it.
Key = tuple[str, ...]
LEVELS: tuple[tuple[str, Callable[[Target], Key | None]], ...] = (
    ("backend", lambda t: (_platform(t.speed_class), t.backend)),
    ("quant family", lambda t: None if t.quant is None else (_platform(t.speed_class), t.backend, quant_family(t.quant))),
    ("run shape", lambda t: None if t.shape is None else (_platform(t.speed_class), t.backend, t.shape)),
    ("class", lambda t: (t.speed_class, t.backend)),
)  # fmt: skip
LEVEL_INDEX = {name: i for i, (name, _) in enumerate(LEVELS)}
# Coarse to fine: what every class of a backend shares is fitted first, so a class with few measurements
# inherits its backend's quant-family and run-shape effects and its own votes correct only what is left.
# (A per-model level gained nothing on the bench once capped: one node's model is one vote.)


def _target(row: Measurement) -> Target:
    return Target(row.speed_class, row.backend, row.model, row.quant, row.shape)


@dataclass(frozen=True, slots=True)
class Correction:
    speed_class: str
    backend: str
    factor: float  # multiply the physics estimate by this
    low: float  # ~95 % interval of the factor
    high: float
    measurements: int  # rows behind the effects used
    nodes: int  # nodes of this class behind them
    rejected: int  # rows of the class dropped by validation
    applies: bool  # the correction changes the estimate (Calibration.get gives only those)
    other_nodes: int = 0  # nodes of other classes of the backend behind the backend-wide effects

    def basis(self, physics_tps: float) -> dict[str, float | int]:
        """estimate_basis.calibration of a row this correction calibrated (contract.CalibrationBasis)."""
        return {
            "factor": self.factor,
            "low": self.low,
            "high": self.high,
            "measurements": self.measurements,
            "nodes": self.nodes,
            "physics_tps": physics_tps,
        }

    def note(self) -> str:
        pct = round(100.0 * (self.factor - 1.0))
        sign = "+" if pct > 0 else "\u2212" if pct < 0 else "\u00b1"
        where = f"{self.nodes} nodes of this class" if self.nodes else f"{self.other_nodes} nodes of other classes"
        if self.nodes and self.other_nodes:
            where += f" and {self.other_nodes} of other classes on this backend"
        return (
            f"calibrated from {self.measurements} measurements on {where}:"
            f" {sign}{abs(pct)} % (95 % interval x{self.low:.2f}-x{self.high:.2f})"
        )


@dataclass(frozen=True, slots=True)
class Effect:
    value: float  # log correction of the group
    scale: float  # robust spread of its votes (log)
    weight: float  # votes' weight
    nodes: frozenset[str]
    rows: int  # measurements behind the votes


Effects = list[dict[Key, float]]


@dataclass(frozen=True)
class Calibration:
    """The fitted effects of every level, and each node's weight after the influence cap."""

    effects: list[dict[Key, Effect]] = field(default_factory=lambda: [{} for _ in LEVELS])
    weights: dict[str, float] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # per speed class
    rows_of: dict[str, int] = field(default_factory=dict)  # valid rows per node

    memo: dict[tuple[Key | None, ...], Correction | None] = field(default_factory=dict, repr=False, compare=False)

    def uniform(self) -> bool:
        """Every estimate of a class gets one factor (no quant-family or run-shape effect was fitted)."""
        return not any(self.effects[LEVEL_INDEX[name]] for name in ("quant family", "run shape"))

    def log_factor(self, target: Target) -> float:
        """The summed effects of the target's groups (unclamped)."""
        return sum(
            level[k].value
            for level, (_, key) in zip(self.effects, LEVELS, strict=True)
            if (k := key(target)) is not None and k in level
        )

    def get(
        self,
        speed_class_: str,
        backend: str = "llamacpp",
        model: str | None = None,
        quant: str | None = None,
        shape: str | None = None,
    ) -> Correction | None:
        """The correction of an estimate; None when no measurement bears on it or it changes nothing."""
        target = Target(speed_class_, backend, model, quant, shape)
        keys = tuple(key(target) for _, key in LEVELS)
        if keys not in self.memo:
            if len(self.memo) > 10_000:
                self.memo.clear()
            self.memo[keys] = self._correction(target, keys)
        return self.memo[keys]

    def _correction(self, target: Target, keys: tuple[Key | None, ...]) -> Correction | None:
        used = [level[k] for level, k in zip(self.effects, keys, strict=True) if k is not None and k in level]
        bound = math.log(MAX_FACTOR)
        log_factor = max(-bound, min(bound, self.log_factor(target)))
        if not used or abs(log_factor) < 0.0005:
            return None
        # the interval: each effect's shrunk standard error, added in quadrature
        var = sum(
            (e.weight / (e.weight + PRIOR_VOTES)) ** 2 * max(e.scale, MAD_SCALE_FLOOR) ** 2 / e.weight for e in used
        )
        half = 1.96 * math.sqrt(var)
        nodes = frozenset().union(*(e.nodes for e in used))
        mine = {n for n in nodes if n.startswith(f"{target.speed_class}\x00")}
        return Correction(
            speed_class=target.speed_class,
            backend=target.backend,
            factor=round(math.exp(log_factor), 4),
            low=round(math.exp(max(-bound, log_factor - half)), 3),
            high=round(math.exp(min(bound, log_factor + half)), 3),
            measurements=sum(self.rows_of.get(n, 0) for n in (mine or nodes)),
            nodes=len(mine),
            rejected=self.rejected.get(target.speed_class, 0),
            applies=True,
            other_nodes=len(nodes) - len(mine),
        )


def validate(rows: Iterable[Measurement], current_class: Mapping[str, str] | None = None) -> list[Measurement]:
    """The rows that can be measurements of the hardware they claim (step 1)."""
    kept = []
    for row in rows:
        m, e = row.measured_tps, row.estimated_tps
        if not (math.isfinite(m) and math.isfinite(e)) or m <= 0 or e <= 0:
            continue
        if abs(math.log(m / e)) > math.log(MAX_RATIO):
            continue
        if current_class is not None and current_class.get(row.node_id, row.speed_class) != row.speed_class:
            continue  # the node's hardware changed: its old measurements describe other hardware
        kept.append(row)
    return kept


def weighted_median(values: list[float], weights: list[float]) -> float:
    """The value at half the total weight (the mean of the two middle values on an exact tie)."""
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights)
    acc = 0.0
    for i, (value, weight) in enumerate(pairs):
        acc += weight
        if acc > total / 2 + 1e-12:
            return value
        if abs(acc - total / 2) <= 1e-12:
            following = next((v for v, w in pairs[i + 1 :] if w > 0), value)
            return (value + following) / 2
    return pairs[-1][0]


@dataclass(frozen=True, slots=True)
class _Row:
    node: str  # speed class + NUL + node id: a node id is one node only within its class
    keys: tuple[Key | None, ...]
    log_ratio: float


@dataclass(frozen=True)
class _Design:
    """The rows laid out for fitting, once: per level, per group, per node, the row indices."""

    log_ratio: list[float]
    groups: list[dict[Key, dict[str, list[int]]]]

    @staticmethod
    def of(rows: list[_Row]) -> _Design:
        groups: list[dict[Key, dict[str, list[int]]]] = [{} for _ in LEVELS]
        for i, r in enumerate(rows):
            for li, key in enumerate(r.keys):
                if key is not None:
                    groups[li].setdefault(key, {}).setdefault(r.node, []).append(i)
        return _Design([r.log_ratio for r in rows], groups)


def backfit(design: _Design, weights: Mapping[str, float]) -> list[dict[Key, Effect]]:
    """Every level's effects, coarse to fine (step 3): each level is fitted once, on what the levels
    before it leave unexplained."""
    fitted = [0.0] * len(design.log_ratio)  # every row's summed effects so far
    meta: list[dict[Key, Effect]] = [{} for _ in LEVELS]
    for li, groups in enumerate(design.groups):
        level = meta[li]
        for key, by_node in groups.items():
            nodes = [n for n in by_node if weights.get(n, 1.0) > 0]
            if not nodes:
                continue
            votes = [statistics.median([design.log_ratio[i] - fitted[i] for i in by_node[n]]) for n in nodes]
            w = [weights.get(n, 1.0) for n in nodes]
            total = sum(w)
            center = weighted_median(votes, w)
            value = center * total / (total + PRIOR_VOTES)
            spread = 1.4826 * weighted_median([abs(v - center) for v in votes], w) if len(nodes) > 1 else 0.3
            level[key] = Effect(value, spread, total, frozenset(nodes), sum(len(by_node[n]) for n in nodes))
        for key, by_node in groups.items():
            if key in level:
                for rows in by_node.values():
                    for i in rows:
                        fitted[i] += level[key].value
    return meta


def _bound(with_node: Effects, without: Effects) -> float:
    """The most any target's log correction differs between two fits: per (platform, backend, class), each
    level's largest rise and largest fall over its groups a target of that class can fall in (or none),
    summed; targets combine groups freely, so this bounds every model, quant and shape, measured or not."""
    worst = 0.0
    classes: set[tuple[str, str, str]] = set()
    for fit in (with_node, without):
        for key in fit[LEVEL_INDEX["class"]]:
            classes.add((_platform(key[0]), key[1], key[0]))
        for key in fit[LEVEL_INDEX["backend"]]:
            classes.add((key[0], key[1], ""))  # an unmeasured class of the backend
    for platform, backend, klass in classes:
        rise = fall = 0.0
        for li, (name, _) in enumerate(LEVELS):
            keys = set(with_node[li]) | set(without[li])
            if name == "class":
                keys = {k for k in keys if k[0] == klass and k[1] == backend}
            else:
                keys = {k for k in keys if k[0] == platform and k[1] == backend}
            deltas = [with_node[li].get(k, 0.0) - without[li].get(k, 0.0) for k in keys]
            if name == "backend" or name == "class":  # one group: the target is always in it
                delta = deltas[0] if deltas else 0.0
                rise += max(delta, 0.0)
                fall += min(delta, 0.0)
            else:  # or in none of them
                rise += max([0.0, *deltas])
                fall += min([0.0, *deltas])
        worst = max(worst, rise, -fall)
    return worst


def calibrate(
    rows: Iterable[Measurement], current_class: Mapping[str, str] | None = None, *, cap: float = MAX_NODE_INFLUENCE
) -> Calibration:
    """The effects of every level from the valid rows, with every node's weight capped (step 4) so no node
    moves any estimate by more than ``cap`` (log; the bench passes infinity to show what the cap costs)."""
    rows = list(rows)
    valid = validate(rows, current_class)
    rejected: dict[str, int] = {}
    for row in rows:
        rejected[row.speed_class] = rejected.get(row.speed_class, 0) + 1
    for row in valid:
        rejected[row.speed_class] -= 1
    fit_rows = [
        _Row(f"{r.speed_class}\x00{r.node_id}", tuple(key(_target(r)) for _, key in LEVELS), math.log(r.measured_tps / r.estimated_tps))
        for r in valid
    ]  # fmt: skip
    design = _Design.of(fit_rows)
    weights = {r.node: 1.0 for r in fit_rows}
    cuts = dict.fromkeys(weights, 0)

    def values(fit: list[dict[Key, Effect]]) -> Effects:
        return [{k: e.value for k, e in level.items()} for level in fit]

    while True:
        fit = backfit(design, weights)
        full = values(fit)
        over = {}
        for node, weight in weights.items():
            if weight <= 0:
                continue
            if math.isinf(cap):
                break
            moved = _bound(full, values(backfit(design, {**weights, node: 0.0})))
            if moved > cap:
                over[node] = moved
        if not over:
            rows_of: dict[str, int] = {}
            for r in fit_rows:
                rows_of[r.node] = rows_of.get(r.node, 0) + 1
            return Calibration(fit, weights, rejected, rows_of)
        for node, moved in over.items():
            cuts[node] += 1
            weights[node] = 0.0 if cuts[node] > CAP_ROUNDS else weights[node] * 0.9 * cap / moved


def corrected_tps(estimated_tps: float, correction: Correction | None) -> float:
    return round(estimated_tps * correction.factor, 1) if correction is not None else estimated_tps


# --- applying measurements to a Model object --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Served:
    """A model a runtime on this node serves, matched to its catalog entry (fleetfit.catalog.lineage)."""

    model: str
    quant: str | None
    runtime: str
    decode_tps: float | None


def apply(
    row: dict[str, object],
    served: list[Served],
    correction: Correction | None,
    *,
    calibration: bool = True,
    reported: bool = True,
) -> dict[str, object]:
    """The Model object with what the fleet knows: ``installed``; ``measured_tps`` when this node's runtime
    measured this model at the row's quant, and then (unless ``calibration`` is off) source ``measured`` with
    that rate as estimated_tps; else ``calibrated`` by the class's correction (unless off); else physics."""
    mine = [s for s in served if s.model == row["name"]]
    row["installed"] = bool(mine) if reported else None  # no runtimes reported: the probe could not tell
    basis = row["estimate_basis"]
    assert isinstance(basis, dict)
    physics = float(row["estimated_tps"])  # type: ignore[arg-type]
    rates = [s.decode_tps for s in mine if s.quant == row["best_quant"] and s.decode_tps]
    notes = row["notes"]
    assert isinstance(notes, list)
    if rates:
        measured = round(statistics.median(rates), 1)
        row["measured_tps"] = measured
        if not calibration:  # physics only asked for: the measurement is still shown, as measured_tps
            return row
        row["estimated_tps"] = measured
        _scale(row, measured / physics if physics > 0 else 1.0)
        basis["source"] = "measured"
        runtime = next(s.runtime for s in mine if s.decode_tps in rates)
        notes.append(f"measured on this node by {runtime}: {measured:g} tok/s (physics estimate {physics:g})")
    elif correction is not None and calibration:
        row["estimated_tps"] = corrected_tps(physics, correction)
        _scale(row, correction.factor)
        basis["source"] = "calibrated"
        basis["calibration"] = correction.basis(physics)
        notes.append(correction.note())
    elif mine and not rates:
        served_quants = sorted({s.quant or "unknown quant" for s in mine})
        notes.append(f"served on this node at {', '.join(served_quants)}; no measured rate at {row['best_quant']}")
    return row


def _scale(row: dict[str, object], factor: float) -> None:
    full = row.get("estimated_tps_full_context")
    if isinstance(full, (int, float)):
        row["estimated_tps_full_context"] = round(float(full) * factor, 1)

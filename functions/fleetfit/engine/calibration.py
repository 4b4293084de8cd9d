"""calibration: fleet measurements -> a bounded, robust correction of the physics speed estimate.

Every measurement is a log ratio ln(measured / estimated) for one model at one quant on one node. The
correction of an estimate is a sum of effects along nested levels (``LEVELS``, coarse to fine): the backend
(platform and runtime engine, shared by every class on it), the speed class, and the run shape within the
class (GPU, MoE offload, layer offload, CPU; dense or MoE: the routed-expert share and the offload split are
modelled, not measured). Steps, in order:

1. ``validate``: drop what cannot be a measurement: non-finite, zero or negative rates, ratios beyond
   MAX_RATIO (a 10x-off row is a broken or hostile reporter, not hardware), and rows whose node's hardware
   changed since (its current class is not the class the row was measured on).
2. one vote per node per group: the median of a node's residuals in that group (its log ratios less the
   coarser levels' effects), so a node that reports often or many models is one voice in every group.
3. ``fit``: level by level, each group's effect is the ``shrunk_mean`` of its N votes: their sum over
   N + PRIOR_VOTES (pseudo-votes at no correction, so few votes correct little), each vote's share clipped
   to ±x_N (``vote_reach``), with x_1 = s and x_(N+1) = min(x_N, s - N x_N / (N + P + 1)), where s is the
   level's LEVEL_SHARE of MAX_NODE_INFLUENCE. No weight depends on another node's data: there is no cap loop.
4. bound: the factor stays within [1 / MAX_FACTOR, MAX_FACTOR] (a clamp: it cannot enlarge a node's move).

The poisoning guarantee, by construction: adding or removing any one node, with any number of rows, moves
no estimate's log factor by more than MAX_NODE_INFLUENCE (the levels' shares sum to 1). Why:
- one group, one vote more: with M = N + P, a share clip(v / M, x_N) becomes clip(v / (M + 1), x_(N+1)),
  a change of at most max(x_N / (M + 1), x_N - x_(N+1)); the rule keeps x_N <= s (N + P + 1) / (2N + P),
  so the fall x_N - x_(N+1) is at most x_N / (M + 1) too; with the new vote's own share (<= x_(N+1)) the
  effect moves by at most x_(N+1) + N x_N / (N + P + 1) <= s, whatever the votes are (also from 0 votes).
- shifted votes: a share is monotone and 1/M-Lipschitz in its vote, so shifting every vote of a group by d
  moves its effect by -t d, 0 <= t < 1.
- levels: they nest (a group's rows share every coarser group), so removing the node shifts the residual
  of every other row of a group, and the estimate of every target in it, by the same d: the coarser
  levels' change. The group's effect then changes by -t d plus at most s if the node voted in it, and the
  target's sum by (1 - t) d + that: at most |d| + s. Level by level, at most the sum of the shares.
  Other backends' groups hold none of the node's rows and do not change.
- the 2x clamp is 1-Lipschitz; ``get`` rounds the factor to 4 decimals and drops |log factor| < 0.0005,
  at most 0.05 % more. The bound is per node (an id within its class; the API reads each node's latest
  report, one class): colluding nodes move an estimate up to their count times it.
A poisoned class can thus be corrected by at most about its honest nodes' count x the bound; large
corrections need many agreeing nodes, and one node alone moves an estimate by at most the bound.

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
# Shrinkage: every group holds PRIOR_VOTES pseudo-votes at no correction (bench/calibration.py, classes with
# >= 3 rows fed, median error cut on the fixed / 200 random splits: 2 -> 48/19 %, 3 -> 51/19 %,
# 4 -> 48/17 %, 6 -> 42/8 %: more prior shrinks the few votes a class has).
PRIOR_VOTES = 3.0
# The poisoning guarantee: no single node moves any estimate by more than this (log ratio).
MAX_NODE_INFLUENCE = math.log(1.04)  # 4 %: below the 5 % promised, proven in the docstring
# Each level's part of that bound (they sum to 1; the same bench: backend/class/run shape 0.15/0.6/0.25 ->
# 51/19 %, 0.1/0.65/0.25 -> 52/20 %, 0.2/0.5/0.3 -> 46/17 %, 0.3/0.5/0.2 -> 42/11 %): the class gets most,
# since a measured class's own votes are what correct it; the backend level is what an unmeasured class
# inherits (one node's part of it is small, but every node of the backend votes there).
LEVEL_SHARE = {"backend": 0.15, "class": 0.6, "run shape": 0.25}
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


# The levels, coarse to fine, each a key of a (measurement or target) -> group; None: the target is in no
# group of it. Nested: a group's key determines its group at every coarser level, so all rows of a group
# share what the coarser levels fitted (the influence bound rests on this). On the same bench, alternatives
# that take a part of the bound for less: a quant-family level inside the run shape 48/17 %, family x shape
# cells 43/10 % (engine/data/gpu_decode_cost.json already corrects the families in the physics), a run shape
# shared by the backend's classes 41/11 % (it does not nest in the class: its part counts twice), no run
# shape 43/8 %.
Key = tuple[str, ...]
LEVELS: tuple[tuple[str, Callable[[Target], Key | None]], ...] = (
    ("backend", lambda t: (_platform(t.speed_class), t.backend)),
    ("class", lambda t: (t.speed_class, t.backend)),
    ("run shape", lambda t: None if t.shape is None else (t.speed_class, t.backend, t.shape)),
)  # fmt: skip
LEVEL_INDEX = {name: i for i, (name, _) in enumerate(LEVELS)}


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
    value: float  # log correction of the group, on top of the coarser levels'
    scale: float  # robust spread of its votes (log)
    weight: float  # votes behind it (one per node)
    nodes: frozenset[str]
    rows: int  # measurements behind the votes


@dataclass(frozen=True)
class Calibration:
    """The fitted effects of every level, and the nodes behind them (one vote each per group: no weights)."""

    effects: list[dict[Key, Effect]] = field(default_factory=lambda: [{} for _ in LEVELS])
    rejected: dict[str, int] = field(default_factory=dict)  # per speed class
    rows_of: dict[str, int] = field(default_factory=dict)  # valid rows per node

    memo: dict[tuple[Key | None, ...], Correction | None] = field(default_factory=dict, repr=False, compare=False)

    def uniform(self) -> bool:
        """Every estimate of a class gets one factor (no run-shape effect was fitted)."""
        return not self.effects[LEVEL_INDEX["run shape"]]

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


def vote_reach(count: int, influence: float, prior: float = PRIOR_VOTES) -> float:
    """x_count: the most one of ``count`` votes adds to its group's effect. x_1 = influence, then
    x_(N+1) = min(x_N, influence - N x_N / (N + prior + 1)), so that one vote more or less moves the effect
    by at most ``influence`` (the docstring's proof); it falls from influence toward half of it."""
    reach = influence
    for n in range(1, count):
        reach = min(reach, influence - n * reach / (n + prior + 1))
    return reach


def shrunk_mean(votes: list[float], influence: float, prior: float = PRIOR_VOTES) -> float:
    """The votes' sum over their count plus ``prior`` pseudo-votes at 0, each vote's share clipped to
    ±vote_reach: N agreeing votes at v give N v / (N + prior), at most N vote_reach."""
    if not votes:
        return 0.0
    share = math.inf if math.isinf(influence) else vote_reach(len(votes), influence, prior)
    return sum(max(-share, min(share, v / (len(votes) + prior))) for v in votes)


@dataclass(frozen=True, slots=True)
class _Row:
    node: str  # speed class + NUL + node id: a node id is one node only within its class
    keys: tuple[Key | None, ...]
    log_ratio: float


def fit(rows: list[_Row], cap: float = MAX_NODE_INFLUENCE) -> list[dict[Key, Effect]]:
    """Every level's effects, coarse to fine (steps 2-3): a group's effect is the shrunk mean of its nodes'
    votes, each vote the median of the node's residuals in the group (its log ratios less the coarser
    levels' effects, which nesting makes one number per group)."""
    groups: list[dict[Key, dict[str, list[int]]]] = [{} for _ in LEVELS]
    for i, r in enumerate(rows):
        for li, key in enumerate(r.keys):
            if key is not None:
                groups[li].setdefault(key, {}).setdefault(r.node, []).append(i)
    fitted = [0.0] * len(rows)  # every row's summed effects so far
    effects: list[dict[Key, Effect]] = [{} for _ in LEVELS]
    for li, (name, _) in enumerate(LEVELS):
        influence = LEVEL_SHARE[name] * cap  # the most one node moves this level's effects
        for key, by_node in groups[li].items():
            votes = [statistics.median([rows[i].log_ratio - fitted[i] for i in idx]) for idx in by_node.values()]
            value = shrunk_mean(votes, influence, PRIOR_VOTES)
            center = statistics.median(votes)
            spread = 1.4826 * statistics.median([abs(v - center) for v in votes]) if len(votes) > 1 else 0.3
            nodes = frozenset(by_node)
            effects[li][key] = Effect(value, spread, len(votes), nodes, sum(len(idx) for idx in by_node.values()))
        for key, by_node in groups[li].items():
            for idx in by_node.values():
                for i in idx:
                    fitted[i] += effects[li][key].value
    return effects


def calibrate(
    rows: Iterable[Measurement], current_class: Mapping[str, str] | None = None, *, cap: float = MAX_NODE_INFLUENCE
) -> Calibration:
    """The effects of every level from the valid rows, such that no node moves any estimate by more than
    ``cap`` (log; the bench passes infinity to show what the bound costs: unclipped votes)."""
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
    rows_of: dict[str, int] = {}
    for r in fit_rows:
        rows_of[r.node] = rows_of.get(r.node, 0) + 1
    return Calibration(fit(fit_rows, cap), rejected, rows_of)


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

"""calibration: fleet measurements -> a bounded, robust correction of the physics speed estimate.

Per (speed class, backend): every measurement is a log ratio ln(measured / estimated) for one model at one
quant on one node. Steps, in order:

1. ``validate``: drop what cannot be a measurement: non-finite, zero or negative rates, ratios beyond
   MAX_RATIO (a 10x-off row is a broken or hostile reporter, not hardware), and rows whose node's hardware
   changed since (its current class is not the class the row was measured on).
2. one vote per node: the median of a node's rows, so one node (or one node re-reporting) is one voice.
3. ``robust_center``: median of the votes, then MAD rejection (|v - median| > MAD_K x max(1.4826 MAD,
   MIN_SCALE)) and the median of what is left.
4. ``shrink``: toward 0 (no correction) by n / (n + (scale / PRIOR_SCALE)^2): few or scattered votes
   correct little, many agreeing votes correct fully.
5. bound: the factor stays within [1 / MAX_FACTOR, MAX_FACTOR].

Pure: no I/O, no clock. Callers pass measurements with their physics estimate already computed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from fleetfit.contract import System

# Physics estimates are within 0.4-2.5x of published llama-bench rows on the development split
# (bench/accuracy.py: p90 |error| ~35 %, worst ~2.5x); a ratio beyond 4x is not a measurement of the hardware.
MAX_RATIO = 4.0
# A class correction never exceeds 2x either way: larger gaps mean the model of the hardware is wrong,
# which a table fix must address, not a silent multiplier.
MAX_FACTOR = 2.0
# MAD rejection at 3 robust sigmas (Hampel identifier); scale floor 5 % so agreeing votes are not all outliers.
MAD_K = 3.0
MIN_SCALE = 0.05
# Spread of true per-class corrections (log): the engine's p90 error on the dev split is ~35 % -> ~0.3.
PRIOR_SCALE = 0.3
# A correction from fewer votes than this is not applied to other nodes (one node cannot speak for a class).
MIN_VOTES = 2

K = TypeVar("K")

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


@dataclass(frozen=True, slots=True)
class Measurement:
    node_id: str
    speed_class: str  # the class of the System reported with the measurement
    backend: str  # BACKEND_OF_RUNTIME value
    model: str  # catalog entry
    quant: str
    measured_tps: float
    estimated_tps: float  # the engine's physics estimate for the same class, model and quant


@dataclass(frozen=True, slots=True)
class Correction:
    speed_class: str
    backend: str
    factor: float  # multiply the physics estimate by this
    low: float  # ~95 % interval of the factor
    high: float
    measurements: int  # rows used
    nodes: int  # votes used
    rejected: int  # rows dropped by validation or MAD rejection
    applies: bool  # enough votes to correct other nodes

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
        return (
            f"calibrated from {self.measurements} measurements on {self.nodes} nodes of this class: {sign}{abs(pct)} %"
            f" (95 % interval x{self.low:.2f}-x{self.high:.2f})"
        )


@dataclass(frozen=True)
class Calibration:
    """Corrections per (speed class, backend), and finer ones where enough nodes of the class measured the
    same quant (kernels differ in efficiency per quant type) or the very model at that quant."""

    corrections: dict[tuple[str, str], Correction] = field(default_factory=dict)
    per_quant: dict[tuple[str, str, str], Correction] = field(default_factory=dict)
    per_model: dict[tuple[str, str, str, str], Correction] = field(default_factory=dict)

    def get(
        self, speed_class_: str, backend: str = "llamacpp", model: str | None = None, quant: str | None = None
    ) -> Correction | None:
        """The finest correction that applies: (class, backend, model, quant), then (class, backend, quant),
        then (class, backend)."""
        candidates: list[Correction | None] = []
        if quant is not None:
            if model is not None:
                candidates.append(self.per_model.get((speed_class_, backend, model, quant)))
            candidates.append(self.per_quant.get((speed_class_, backend, quant)))
        candidates.append(self.corrections.get((speed_class_, backend)))
        return next((c for c in candidates if c is not None and c.applies), None)


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


def robust_center(votes: list[float]) -> tuple[float, float, list[float]]:
    """(center, scale, kept votes): median after MAD rejection (step 3)."""
    center = statistics.median(votes)
    mad = statistics.median(abs(v - center) for v in votes)
    scale = max(1.4826 * mad, MIN_SCALE)
    kept = [v for v in votes if abs(v - center) <= MAD_K * scale]
    center = statistics.median(kept)
    if len(kept) > 1:
        scale = max(1.4826 * statistics.median(abs(v - center) for v in kept), MIN_SCALE)
    return center, scale, kept


def shrink(center: float, scale: float, votes: int) -> float:
    """Toward no correction with few or scattered votes (step 4): a normal-normal posterior mean."""
    return center * votes / (votes + (scale / PRIOR_SCALE) ** 2)


def fit_correction(rows: list[Measurement], current_class: Mapping[str, str] | None = None) -> Correction | None:
    """One (speed class, backend)'s correction from its rows; None when no row survives validation."""
    if not rows:
        return None
    valid = validate(rows, current_class)
    if not valid:
        return None
    by_node: dict[str, list[float]] = {}
    for row in valid:
        by_node.setdefault(row.node_id, []).append(math.log(row.measured_tps / row.estimated_tps))
    votes = {node: statistics.median(values) for node, values in by_node.items()}
    center, scale, kept = robust_center(list(votes.values()))
    kept_nodes = [n for n, v in votes.items() if v in kept]
    used = sum(len(by_node[n]) for n in kept_nodes)
    bound = math.log(MAX_FACTOR)
    log_factor = max(-bound, min(bound, shrink(center, scale, len(kept))))
    half = 1.96 * scale / math.sqrt(len(kept))
    return Correction(
        speed_class=rows[0].speed_class,
        backend=rows[0].backend,
        factor=round(math.exp(log_factor), 4),
        low=round(math.exp(max(-bound, log_factor - half)), 3),
        high=round(math.exp(min(bound, log_factor + half)), 3),
        measurements=used,
        nodes=len(kept_nodes),
        rejected=len(rows) - used,
        applies=len(kept_nodes) >= MIN_VOTES,
    )


def calibrate(rows: Iterable[Measurement], current_class: Mapping[str, str] | None = None) -> Calibration:
    """Every (speed class, backend)'s correction, and the finer per-quant and per-model ones."""
    groups: dict[tuple[str, str], list[Measurement]] = {}
    quants: dict[tuple[str, str, str], list[Measurement]] = {}
    models: dict[tuple[str, str, str, str], list[Measurement]] = {}
    for row in rows:
        groups.setdefault((row.speed_class, row.backend), []).append(row)
        quants.setdefault((row.speed_class, row.backend, row.quant), []).append(row)
        models.setdefault((row.speed_class, row.backend, row.model, row.quant), []).append(row)

    def fitted(table: Mapping[K, list[Measurement]]) -> dict[K, Correction]:
        return {key: c for key, group in table.items() if (c := fit_correction(group, current_class)) is not None}

    return Calibration(fitted(groups), fitted(quants), fitted(models))


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

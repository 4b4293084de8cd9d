"""Calibration from fleet measurements, replayed on the ground-truth speed rows (development split).

    python bench/calibration.py [--reference ../shared/reference] [--rows]

Each decode row of ground-truth/tps_measured.dev.json is treated as one node of its speed class measuring
one model. Per class, alternate rows are fed to the fleet as measurements and the others are held back;
the held-back rows are estimated by physics alone and by physics x the fleet's correction (backend, class,
run shape within the class: engine.calibration). Prints median and p90 absolute % error before and after
(and without the per-node influence bound, votes unclipped, to show its cost), for all held-back rows and
for those in classes with >= 3 rows fed, then the effect of 1, 5 and 20 poisoned rows added to every class: absurd
rows, plausible lies from one node, and plausible lies from as many colluding nodes (max movement of any
held-back estimate against the clean calibration).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accuracy import quant_label, resolve_model  # noqa: E402
from fleetfit.catalog import Catalog, load_bundled  # noqa: E402
from fleetfit.contract import System  # noqa: E402
from fleetfit.engine import parse_query  # noqa: E402
from fleetfit.engine.calibration import (  # noqa: E402
    Calibration,
    Measurement,
    calibrate,
    corrected_tps,
    run_shape,
    speed_class,
)
from fleetfit.engine.query import fit_rows  # noqa: E402
from ground_truth_hardware import system_for  # noqa: E402


def rows_with_estimates(catalog: Catalog, reference: Path) -> list[tuple[Measurement, str]]:
    """(measurement with its physics estimate, row id) for every decode row the engine can estimate."""
    rows = json.loads((reference / "ground-truth" / "tps_measured.dev.json").read_text())
    out = []
    for row in rows:
        if not row["test"].startswith("tg"):
            continue
        quant = quant_label(row["quant"])
        entry = resolve_model(catalog, row["model"], row["model_hf_repo_hint"])
        data = system_for(row["hardware"], row["gpu_count"])
        if quant is None or entry is None or data is None or (row["full_gpu_offload"] is False and data["has_gpu"]):
            continue
        if not data["has_gpu"]:
            threads = row["threads"] or 4
            data["cpu_cores"] = threads if data["backend"] == "CPU (ARM)" else 2 * threads
        system = System.model_validate(data)
        tokens = int("".join(ch for ch in row["test"] if ch.isdigit()) or 512)
        query = parse_query({"quant": quant, "min_fit": "too_tight", "max_context": str(max(tokens, 512))},
                            route="models", name=entry["name"])  # fmt: skip
        fit = fit_rows(system, catalog, query)[0]
        measurement = Measurement(
            node_id=row["id"],
            speed_class=speed_class(system),
            backend="llamacpp",
            model=entry["name"],
            quant=quant,
            measured_tps=float(row["tokens_per_second"]),
            estimated_tps=float(fit.estimated_tps),
            shape=run_shape(fit.placement.mode, fit.profile.moe is not None),
        )
        out.append((measurement, row["id"]))
    return out


def split(rows: list[Measurement], rng: random.Random | None = None) -> tuple[list[Measurement], list[Measurement]]:
    """Per class, half the rows fed and the other half held back: alternate rows in id order, or (with
    `rng`) a random half (the larger half fed when a class has an odd count)."""
    by_class: dict[str, list[Measurement]] = {}
    for row in sorted(rows, key=lambda r: r.node_id):
        by_class.setdefault(row.speed_class, []).append(row)
    fed, held = [], []
    for group in by_class.values():
        if rng is not None:
            group = rng.sample(group, len(group))
        half = (len(group) + 1) // 2
        fed += group[0::2] if rng is None else group[:half]
        held += group[1::2] if rng is None else group[half:]
    return fed, held


def error(estimate: float, truth: float) -> float:
    return 100.0 * abs(estimate - truth) / truth


def summary(errors: list[float]) -> str:
    if not errors:
        return "no rows"
    ordered = sorted(errors)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):5.1f} %   p90 {p90:5.1f} %   ({len(ordered)} rows)"


def after(held: list[Measurement], calibration: Calibration) -> dict[str, float]:
    return {
        r.node_id: corrected_tps(r.estimated_tps, calibration.get(r.speed_class, r.backend, r.model, r.quant, r.shape))
        for r in held
    }


SPLITS = 200
POISON_KINDS = ("10x high", "10x low", "zero", "negative", "NaN", "hardware changed")
LIE = "3x high (plausible lie)"


def poisoned(
    fed: list[Measurement], count: int, kind: str | None = None, *, one_node: str | None = None
) -> tuple[list[Measurement], dict[str, str]]:
    """`count` poisoned rows per class, cycling through the kinds and through the class's fed rows (their
    models, quants and shapes), each from its own node, or (`one_node`: a class) all from one node of that
    class and nowhere else; returns the rows and the nodes' current class."""
    extra: list[Measurement] = []
    current: dict[str, str] = {}
    classes = [one_node] if one_node else sorted({r.speed_class for r in fed})
    for klass in classes:
        templates = [r for r in fed if r.speed_class == klass]
        for i in range(count):
            template = templates[i % len(templates)]
            chosen = kind or POISON_KINDS[i % len(POISON_KINDS)]
            node = f"poison-{klass}-{0 if one_node else i}"
            value = {
                "10x high": template.estimated_tps * 10,
                "10x low": template.estimated_tps / 10,
                "zero": 0.0,
                "negative": -template.estimated_tps,
                "NaN": math.nan,
                "hardware changed": template.estimated_tps * 3,
                LIE: template.estimated_tps * 3,
            }[chosen]
            if chosen == "hardware changed":
                current[node] = "CUDA|1xNVIDIA GeForce RTX 5090"  # the node reports other hardware now
            extra.append(replace(template, node_id=node, measured_tps=value))
    return fed + extra, current


def factors(held: list[Measurement], calibration: Calibration) -> dict[str, float]:
    """Each held-back row's correction factor, unrounded (1.0: none)."""
    out = {}
    for r in held:
        c = calibration.get(r.speed_class, r.backend, r.model, r.quant, r.shape)
        out[r.node_id] = 1.0 if c is None else c.factor
    return out


def movement(held: list[Measurement], clean: Calibration, dirty: Calibration) -> float:
    """The largest change of any held-back estimate, %."""
    before, now = factors(held, clean), factors(held, dirty)
    return max(abs(now[k] / before[k] - 1) * 100 for k in before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, default=HERE.parents[1] / "shared" / "reference")
    parser.add_argument("--rows", action="store_true", help="print every held-back row and its correction")
    args = parser.parse_args()
    reference = args.reference if args.reference.exists() else HERE.parents[2] / "shared" / "reference"
    rows = [m for m, _ in rows_with_estimates(load_bundled(), reference)]
    fed, held = split(rows)
    clean = calibrate(fed)
    corrected = after(held, clean)
    fed_per_class = {k: sum(r.speed_class == k for r in fed) for k in {r.speed_class for r in fed}}

    if args.rows:
        for r in held:
            c = clean.get(r.speed_class, r.backend, r.model, r.quant, r.shape)
            how = c.note() if c is not None else "no correction"
            print(f"{r.node_id}  {r.speed_class[:36]:36} {r.model[:30]:30} {r.quant:7} {r.shape:14} truth {r.measured_tps:7.1f}"
                  f"  physics {r.estimated_tps:7.1f}  calibrated {corrected[r.node_id]:7.1f}  {how}")  # fmt: skip

    print(f"\n{len(rows)} decode rows, {len(fed_per_class)} speed classes; per class half fed as fleet measurements,")
    print("the other half estimated (errors pooled over every held-back row of every split)")
    splits = [("one split: alternate rows in id order", [split(rows)])]
    rng = random.Random(13)
    splits.append((f"{SPLITS} random half-splits (seed 13)", [split(rows, rng) for _ in range(SPLITS)]))
    for title, runs in splits:
        print(f"  {title}:")
        pooled: dict[str, tuple[list[float], list[float], list[float]]] = {}
        for fed_i, held_i in runs:
            fixed = after(held_i, calibrate(fed_i))
            unbounded = after(held_i, calibrate(fed_i, cap=math.inf))  # the same fit, votes unclipped
            fed_n = {k: sum(r.speed_class == k for r in fed_i) for k in {r.speed_class for r in rows}}
            for label, keep in (("all held-back rows", 0), ("classes with >= 3 rows fed", 3)):
                before_err, after_err, free_err = pooled.setdefault(label, ([], [], []))
                for r in held_i:
                    if fed_n[r.speed_class] >= keep:
                        before_err.append(error(r.estimated_tps, r.measured_tps))
                        after_err.append(error(fixed[r.node_id], r.measured_tps))
                        free_err.append(error(unbounded[r.node_id], r.measured_tps))
        for label, (before_err, after_err, free_err) in pooled.items():
            print(f"    {label}:")
            print(f"      physics only             {summary(before_err)}")
            for name, errs in (("calibrated", after_err), ("  no influence bound", free_err)):
                cut = (1 - statistics.median(errs) / statistics.median(before_err)) * 100 if before_err else 0.0
                print(f"      {name:24} {summary(errs)}   median error cut {cut:.0f} %")

    print("\nPoisoned rows added to every class (max movement of any held-back estimate vs the clean calibration):")
    for count in (1, 5, 20):
        fed_bad, current = poisoned(fed, count)
        worst = movement(held, clean, calibrate(fed_bad, current))
        print(f"  {count:2} rows per class, one node each ({', '.join(POISON_KINDS)} in turn): {worst:.2f} %")
    classes = sorted(fed_per_class)
    for count in (1, 5, 20):
        worst = 0.0
        for klass in classes:  # one hostile node in the whole fleet, in each class in turn
            fed_bad, current = poisoned(fed, count, LIE, one_node=klass)
            worst = max(worst, movement(held, clean, calibrate(fed_bad, current)))
        print(f"  {count:2} rows from one node (each class in turn), each 3x high (within the 4x bound): {worst:.2f} %")
    print("  Colluding nodes (the bound is per node: a coalition of k moves an estimate up to k times it):")
    for count in (1, 5, 20):
        fed_bad, current = poisoned(fed, count, LIE)
        worst = movement(held, clean, calibrate(fed_bad, current))
        print(f"  {count:2} nodes in every class, each one 3x-high row: {worst:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

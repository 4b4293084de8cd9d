"""Fit the GPU decode cost per weight byte of each quant family (engine/data/gpu_decode_cost.json).

    python bench/fit_gpu_decode_cost.py [--reference ../shared/reference] [--backend Metal] [--write]

The method, not rows: for every decode row of the development split (ground-truth/tps_measured.dev.json,
tgN, full GPU) on the backend, the engine's own time per token is split into its parts,
    t = layers x layer cost + KV bytes / B + weight bytes x c / B      (B: the device's effective bandwidth),
and c is solved so that t equals the measured 1 / tok/s. The family's cost is the median c over its rows
divided by the median c over the reference families (the types the device efficiencies were measured on),
so a family decodes as much slower per byte as the rows say, whatever each chip's own efficiency.
Rows of other backends, partial offloads and families without rows are not used. --write stores the result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accuracy import quant_label, resolve_model  # noqa: E402
from fleetfit.catalog import load_bundled  # noqa: E402
from fleetfit.contract import System  # noqa: E402
from fleetfit.engine import parse_query  # noqa: E402
from fleetfit.engine.analyze import SPEED_CONTEXT  # noqa: E402
from fleetfit.engine.memory import kv_cache  # noqa: E402
from fleetfit.engine.quants import QUANTS  # noqa: E402
from fleetfit.engine.query import fit_rows  # noqa: E402
from ground_truth_hardware import system_for  # noqa: E402

DATA = HERE.parent / "functions" / "fleetfit" / "engine" / "data" / "gpu_decode_cost.json"


def weight_factors(reference: Path, backend: str, families: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    """family -> [(row id, c)] over the backend's full-GPU decode rows."""
    catalog = load_bundled()
    rows = json.loads((reference / "ground-truth" / "tps_measured.dev.json").read_text())
    out: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        if not row["test"].startswith("tg") or row["full_gpu_offload"] is False:
            continue
        quant = quant_label(row["quant"])
        entry = resolve_model(catalog, row["model"], row["model_hf_repo_hint"])
        system_data = system_for(row["hardware"], row["gpu_count"])
        if quant is None or entry is None or system_data is None or not system_data["has_gpu"]:
            continue
        tokens = int("".join(ch for ch in row["test"] if ch.isdigit()) or 512)
        params = {"quant": quant, "min_fit": "too_tight", "max_context": str(max(tokens, 512))}
        fit = fit_rows(System.model_validate(system_data), catalog, parse_query(params, route="models", name=entry["name"]))[0]
        pool = fit.placement.pool
        family = families.get(QUANTS[quant].ftype)
        if pool is None or fit.placement.mode != "gpu" or pool.backend != backend or family is None:
            continue
        gbps = pool.effective_gbps[fit.runtime] * 1e9
        fixed = fit.profile.layers * pool.layer_ms / 1000.0 + kv_cache(fit.profile, min(SPEED_CONTEXT, fit.context)) / gbps
        weight_seconds = fit.placement.weights.active / gbps
        if pool.count > 1:
            continue  # the split's hops would be folded into c
        out.setdefault(family, []).append((row["id"], (1.0 / row["tokens_per_second"] - fixed) / weight_seconds))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, default=HERE.parents[1] / "shared" / "reference")
    parser.add_argument("--backend", default="Metal")
    parser.add_argument("--write", action="store_true", help=f"store the fitted costs in {DATA.name}")
    args = parser.parse_args()
    reference = args.reference if args.reference.exists() else HERE.parents[2] / "shared" / "reference"
    data: dict[str, Any] = json.loads(DATA.read_text())
    families = {ftype: family for family, ftypes in data["families"].items() for ftype in ftypes}
    factors = weight_factors(reference, args.backend, families)
    for family, values in sorted(factors.items()):
        listed = ", ".join(f"{rid} {c:.2f}" for rid, c in values)
        print(f"{family:8} {len(values):2} rows  median c {statistics.median(c for _, c in values):.3f}   {listed}")
    reference_values = [c for family in data["reference_families"] for _, c in factors.get(family, [])]
    if not reference_values:
        print(f"no {args.backend} rows of the reference families: nothing to fit")
        return 1
    base = statistics.median(reference_values)
    fitted = []
    for family, values in sorted(factors.items()):
        if family in data["reference_families"]:
            continue
        cost = round(statistics.median(c for _, c in values) / base, 3)
        print(f"{args.backend} {family}: cost {cost} per weight byte ({len(values)} rows; reference median c {base:.3f}"
              f" over {len(reference_values)} rows)")
        fitted.append(
            {
                "backend": args.backend,
                "family": family,
                "cost": cost,
                "rows": len(values),
                "reference_rows": len(reference_values),
                "source": "bench/fit_gpu_decode_cost.py on ground-truth/tps_measured.dev.json (development split): "
                f"median weight-time factor of the {len(values)} {family} rows / that of the {len(reference_values)} "
                f"{' and '.join(data['reference_families'])} rows, single-GPU llama-bench tgN",
            }
        )
    if args.write:
        data["costs"] = [row for row in data["costs"] if row["backend"] != args.backend] + fitted
        lines = ",\n".join(f"    {json.dumps(row)}" for row in data["costs"])
        head = {k: v for k, v in data.items() if k != "costs"}
        text = json.dumps(head, indent=2)[:-2] + ',\n  "costs": [\n' + lines + "\n  ]\n}\n"
        DATA.write_text(text)
        print(f"wrote {DATA}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

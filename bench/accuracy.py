"""Accuracy of the fit engine against published GGUF sizes and measured decode and prompt speeds (dev split).

    python bench/accuracy.py [--reference ../shared/reference] [--llmfit PATH] [--rows]

Prints, for weights memory at a forced quant, decode tok/s and prefill (prompt-processing) tok/s: coverage
(rows estimated of rows given), median and p90 absolute % error and the signed bias, per quant as well, for fleetfit and (when an llmfit 1.1.17 binary is given or found) for llmfit
on the same rows. llmfit's figures come from running it: `plan --quant Q --json` (disk_size_gb, and
estimated_tps on a hardware profile carrying the bandwidth its own GPU table would give; a GPU missing
from that table runs as llmfit's "User-specified GPU", as it would on such a machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fleetfit.catalog import Catalog, load_bundled  # noqa: E402
from fleetfit.contract import System  # noqa: E402
from fleetfit.engine import parse_query  # noqa: E402
from fleetfit.engine.analyze import SPEED_CONTEXT, decode_tps  # noqa: E402
from fleetfit.engine.devices import resolve  # noqa: E402
from fleetfit.engine.memory import GIB, weights  # noqa: E402
from fleetfit.engine.placement import on_pool  # noqa: E402
from fleetfit.engine.profile import build_profile  # noqa: E402
from fleetfit.engine.quants import parse_quant  # noqa: E402
from fleetfit.engine.query import fit_rows  # noqa: E402
from ground_truth_hardware import MODEL_HINTS, system_for  # noqa: E402

GIB_PER_GB = 1e9 / 2**30
# llmfit 1.1.17's GPU bandwidth table (llmfit-notes.md A8), for the GPUs of the development rows: what its
# name matching gives each driver name. GPUs it lacks (RTX 4000/6000 Ada, GB10) fall back to its constants.
LLMFIT_GPU_BANDWIDTH = {
    "NVIDIA GeForce RTX 3070": 448.0,
    "NVIDIA GeForce RTX 3080": 760.0,
    "NVIDIA GeForce RTX 3080 Ti": 912.0,
    "NVIDIA GeForce RTX 4080": 717.0,
    "NVIDIA A100 80GB PCIe": 1555.0,
    "NVIDIA H100 PCIe": 2039.0,
    "AMD Radeon RX 7900 XTX": 960.0,
    "Apple M1": 68.0,
    "Apple M2 Ultra": 800.0,
    "Apple M3 Max": 400.0,
}
# llmfit's CPU constant is chosen at compile time: 70 on x86 builds (this binary), 90 on aarch64 builds.
LLMFIT_ARM_CPU_SCALE = 90.0 / 70.0


READINGS = HERE / "ground_truth_readings.json"


def load_readings(path: Path = READINGS) -> dict[str, Any]:
    """The unit table and exclusions for reading published sizes (bench/ground_truth_readings.json), checked."""
    readings: dict[str, Any] = json.loads(path.read_text())
    units = readings["unit_bytes"]
    for rule in readings["source_units"]:
        if rule["label"] not in units or rule["reads_as"] not in units or not rule["reason"]:
            raise ValueError(f"{path.name}: bad source_units rule {rule}")
    for rule in (*readings["excluded_formats"], *readings["excluded_rows"]):
        if not rule.get("reason"):
            raise ValueError(f"{path.name}: an exclusion without a reason: {rule}")
    return readings


def truth_gib(row: dict[str, Any], readings: dict[str, Any]) -> tuple[float | None, str | None]:
    """A size row's published size in GiB, read with the unit its source really uses; or why it is not scored.

    Exact byte counts win; otherwise the published value times the bytes of its unit, where a source whose
    label is known to be wrong (matched by the host of source_url, never by row) is read in its real unit.
    """
    for rule in readings["excluded_rows"]:
        if rule["id"] == row["id"]:
            return None, rule["reason"]
    for rule in readings["excluded_formats"]:
        if row["format"].startswith(rule["format_prefix"]):
            return None, rule["reason"]
    if row.get("size_bytes_exact"):
        return row["size_bytes_exact"] / 2**30, None
    unit = row["size_unit_as_published"]
    host = row["source_url"].split("/")[2] if "://" in row["source_url"] else ""
    for rule in readings["source_units"]:
        if rule["host"] == host and rule["label"] == unit:
            unit = rule["reads_as"]
    value = row["size_value_as_published"]
    if not value or unit not in readings["unit_bytes"]:
        return None, f"no size in a known unit ({unit!r})"
    return value * readings["unit_bytes"][unit] / 2**30, None


def quant_label(published: str) -> str | None:
    """The quant a published label names: any llama.cpp type or unsloth UD- file ("i1-" marks imatrix files)."""
    return parse_quant(published.replace(" (MoE)", "").strip().removeprefix("i1-"))


def resolve_model(catalog: Catalog, label: str, hint: str | None) -> Any:
    for name in (*MODEL_HINTS.get(label, ()), *((hint,) if hint else ())):
        entry = catalog.find(name)
        if entry is not None:
            return entry
    return None


def by_quant(errors: dict[str, list[float]]) -> None:
    for quant, values in sorted(errors.items()):
        print(f"    {quant:12} {len(values):3} rows  {summary(values)}")


# The targets (issue 9): coverage of the rows given, and median / p90 absolute % error.
TARGETS: dict[str, float] = {
    "decode coverage": 95.0,
    "size coverage": 100.0,
    "memory median": 1.0,
    "memory p90": 4.0,
    "decode median": 10.0,
    "decode p90": 18.5,  # the 30 %, and no worse than the 18.5 % reached before
    "prefill median": 25.0,
}
COVERAGE_TARGETS = frozenset({"decode coverage", "size coverage"})


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f} %" if whole else "no rows"


def p90_of(errors: list[float]) -> float:
    absolute = sorted(abs(e) for e in errors)
    return absolute[min(len(absolute) - 1, int(round(0.9 * (len(absolute) - 1))))]


def verdict(target: str, value: float) -> str:
    limit = TARGETS[target]
    met = value >= limit if target in COVERAGE_TARGETS else value <= limit
    return f"[{target} {'>=' if target in COVERAGE_TARGETS else '<='} {limit:g} %: {'ok' if met else 'MISSED'}]"


def verdicts(group: str, errors: list[float]) -> str:
    if not errors:
        return ""
    found = [
        verdict(f"{group} {stat}", value)
        for stat, value in (("median", statistics.median(abs(e) for e in errors)), ("p90", p90_of(errors)))
        if f"{group} {stat}" in TARGETS
    ]
    return " ".join(found)


def summary(errors: list[float]) -> str:
    if not errors:
        return "no rows"
    absolute = [abs(e) for e in errors]
    return (
        f"median {statistics.median(absolute):5.1f} %   p90 {p90_of(errors):5.1f} %   bias {statistics.mean(errors):+5.1f} %"
    )


class Llmfit:
    """Runs the llmfit binary for the same questions (one process per question, cached)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.profiles = Path(tempfile.mkdtemp(prefix="llmfit-profiles-"))
        self.cache: dict[tuple[Any, ...], Any] = {}

    def _plan(self, names: list[str], quant: str, extra: list[str], env: dict[str, str]) -> dict[str, Any] | None:
        for name in names:
            key = (name, quant, tuple(extra))
            if key not in self.cache:
                result = subprocess.run(
                    [self.binary, *extra, "plan", name, "--context", "512", "--quant", quant, "--json"],
                    capture_output=True,
                    text=True,
                    env={**os.environ, **env},
                    timeout=60,
                )
                self.cache[key] = json.loads(result.stdout) if result.returncode == 0 and result.stdout else None
            if self.cache[key] is not None:
                return self.cache[key]  # type: ignore[no-any-return]
        return None

    def weights_gb(self, names: list[str], quant: str) -> float | None:
        plan = self._plan(names, quant, [], {})
        return float(plan["disk_size_gb"]) if plan else None

    def tps(self, names: list[str], quant: str, system: dict[str, Any], threads: int) -> float | None:
        if system["has_gpu"]:
            gpu = system["gpus"][0]
            bandwidth = LLMFIT_GPU_BANDWIDTH.get(gpu["name"])
            total = gpu["vram_gb"] * gpu["count"]
            if bandwidth is None:
                extra = ["--memory", f"{gpu['vram_gb']}G", "--ram", f"{system['total_ram_gb']}G"]
                env: dict[str, str] = {}
            else:
                profile = f"bench-{abs(hash((gpu['name'], total))) % 10**8}"
                (self.profiles / f"{profile}.json").write_text(
                    json.dumps(
                        {
                            "schema_version": 1,
                            "name": profile,
                            "hardware": {
                                "total_ram_gb": total,
                                "unified_memory": True,
                                "gpu_memory_bandwidth_gbps": bandwidth,
                            },
                        }
                    )
                )
                extra, env = ["--profile", profile], {"LLMFIT_HARDWARE_PROFILES": str(self.profiles)}
            plan = self._plan(names, quant, extra, env)
            return float(plan["current"]["estimated_tps"]) if plan else None
        extra = ["--memory", "0G", "--ram", f"{system['total_ram_gb']}G", "--cpu-cores", str(threads)]
        plan = self._plan(names, quant, extra, {})
        if not plan:
            return None
        arm = system["backend"] == "CPU (ARM)"
        cpu_path = next((p for p in plan["run_paths"] if p["path"] == "cpu_only"), None)
        value = cpu_path.get("estimated_tps") if cpu_path else plan["current"]["estimated_tps"]
        return float(value) * (LLMFIT_ARM_CPU_SCALE if arm else 1.0) if value else None


def memory_rows(catalog: Catalog, reference: Path, llmfit: Llmfit | None, show: bool) -> None:
    rows = json.loads((reference / "ground-truth" / "gguf_sizes.dev.json").read_text())
    readings = load_readings()
    ours, theirs_gib, theirs_gb, covered = [], [], [], 0
    per_quant: dict[str, list[float]] = {}
    missed: list[str] = []
    excluded: dict[str, list[str]] = {}
    for row in rows:
        quant = quant_label(row["quant"])
        entry = resolve_model(catalog, row["model_name"], row["hf_repo_original"])
        truth, reason = truth_gib(row, readings)
        if reason is not None:
            excluded.setdefault(reason, []).append(row["id"])
            if show and quant and entry:
                estimate = weights(build_profile(entry), quant).total / GIB
                print(f"{row['id']}  {entry['name'][:42]:42} {quant:7} fleetfit {estimate:8.2f}  (not scored)")
            continue
        if quant is None or entry is None or not truth:
            missed.append(row["id"])
            continue
        covered += 1
        estimate = weights(build_profile(entry), quant).total / GIB
        ours.append(100.0 * (estimate - truth) / truth)
        per_quant.setdefault(quant, []).append(ours[-1])
        line = f"{row['id']}  {entry['name'][:42]:42} {quant:7} truth {truth:8.2f}  fleetfit {estimate:8.2f}"
        if llmfit:
            names = [entry["name"], *entry.get("aliases", [])]
            theirs = llmfit.weights_gb(names, quant)
            if theirs is not None:
                theirs_gib.append(100.0 * (theirs - truth) / truth)
                theirs_gb.append(100.0 * (theirs * GIB_PER_GB - truth) / truth)
                line += f"  llmfit {theirs:8.2f}"
        if show:
            print(line)
    scored = len(rows) - sum(len(ids) for ids in excluded.values())
    print(
        f"\nWeights memory at a forced quant (GiB): coverage {covered} of {scored} size rows ({percent(covered, scored)};"
        f" {len(rows) - scored} of {len(rows)} not scored, below) {verdict('size coverage', 100.0 * covered / max(scored, 1))}"
    )
    print(f"  fleetfit                       {summary(ours)}   {verdicts('memory', ours)}")
    by_quant(per_quant)
    if missed:
        print(f"  not estimated: {', '.join(missed)}")
    for reason, ids in excluded.items():
        print(f"  not scored: {', '.join(ids)}: {reason[:160]}{'...' if len(reason) > 160 else ''}")
    if llmfit:
        print(f"  llmfit (its GB read as GiB)    {summary(theirs_gib)}   ({len(theirs_gib)} rows)")
        print(f"  llmfit (its GB read as 1e9 B)  {summary(theirs_gb)}")


def speed_rows(catalog: Catalog, reference: Path, llmfit: Llmfit | None, show: bool) -> None:
    rows = json.loads((reference / "ground-truth" / "tps_measured.dev.json").read_text())
    decode = [r for r in rows if r["test"].startswith("tg")]
    measured_set, own_choice, theirs = [], [], []
    multi_rows = [r for r in decode if (r["gpu_count"] or 1) > 1]
    multi_placed: list[float] = []
    multi_all: list[float] = []
    per_quant: dict[str, list[float]] = {}
    for row in decode:
        quant = quant_label(row["quant"])
        entry = resolve_model(catalog, row["model"], row["model_hf_repo_hint"])
        system_data = system_for(row["hardware"], row["gpu_count"])
        if (
            quant is None
            or entry is None
            or system_data is None
            or row["full_gpu_offload"] is False
            and (system_data["has_gpu"])
        ):
            continue
        threads = row["threads"] or 4
        if not system_data["has_gpu"]:
            # llama.cpp ran with `threads` threads; fleetfit assumes one thread per physical core.
            system_data["cpu_cores"] = threads if system_data["backend"] == "CPU (ARM)" else 2 * threads
        system = System.model_validate(system_data)
        # llama-bench runs with a context of the test's size (tgN from an empty cache): estimate at that context.
        tokens = int("".join(ch for ch in row["test"] if ch.isdigit()) or 512)
        params = {"quant": quant, "min_fit": "too_tight", "max_context": str(max(tokens, 512))}
        query = parse_query(params, route="models", name=entry["name"])
        fit = fit_rows(system, catalog, query)[0]
        truth = row["tokens_per_second"]
        own_choice.append(100.0 * (fit.estimated_tps - truth) / truth)
        estimate = fit.estimated_tps
        line = (
            f"{row['id']}  {row['hardware'][:34]:34} {entry['name'][:30]:30} {quant:7} {row['test']:6} "
            f"truth {truth:7.1f}  fleetfit {fit.estimated_tps:7.1f} ({fit.placement.mode})"
        )
        if (row["gpu_count"] or 1) > 1 and fit.placement.pool is not None:
            # llama-bench splits over every visible card; fleetfit may place the model on fewer. The row
            # measured the split over all of them, so that is the estimate it checks.
            hw = resolve(system)
            spread = on_pool(fit.profile, hw.pools[0], (quant,), max(tokens, 512))
            estimate = decode_tps(fit.profile, hw, spread, fit.runtime, min(SPEED_CONTEXT, fit.context))[0]
            multi_placed.append(own_choice[-1])
            multi_all.append(100.0 * (estimate - truth) / truth)
            line += f"  all {hw.pools[0].count} cards {estimate:7.1f}"
        measured_set.append(100.0 * (estimate - truth) / truth)
        per_quant.setdefault(quant, []).append(measured_set[-1])
        if llmfit:
            names = [entry["name"], *entry.get("aliases", [])]
            value = llmfit.tps(names, quant, system_data, threads)
            if value:
                theirs.append(100.0 * (value - truth) / truth)
                line += f"  llmfit {value:7.1f}"
        if show:
            print(line)
    covered = len(measured_set)
    print(
        f"\nDecode tok/s: coverage {covered} of {len(decode)} decode rows ({percent(covered, len(decode))}, single"
        f" node, full GPU or CPU only) {verdict('decode coverage', 100.0 * covered / max(len(decode), 1))}"
    )
    print(f"  fleetfit, card set as measured {summary(measured_set)}   {verdicts('decode', measured_set)}")
    print(f"  fleetfit, card set it chooses  {summary(own_choice)}   (multi-GPU rows on fleetfit's own card choice)")
    by_quant(per_quant)
    if llmfit:
        print(f"  llmfit                         {summary(theirs)}   ({len(theirs)} rows)")
    mixed = sum(1 for r in multi_rows if "+" in r["hardware"])
    print(
        f"\nMulti-GPU decode rows: coverage {len(multi_placed)} of {len(multi_rows)} ({percent(len(multi_placed), len(multi_rows))};"
        f" {mixed} with unlike cards in the ground truth)"
    )
    print(f"  fleetfit, card set it chooses  {summary(multi_placed)}")
    print(f"  fleetfit, split over all cards {summary(multi_all)}   (as llama-bench ran them)")


def prefill_rows(catalog: Catalog, reference: Path, show: bool) -> None:
    """Prompt processing (llama-bench ppN) against fleetfit's prefill_tps, same systems as the decode rows."""
    rows = json.loads((reference / "ground-truth" / "tps_measured.dev.json").read_text())
    prompt = [r for r in rows if r["test"].startswith("pp")]
    ours: list[float] = []
    per_backend: dict[str, list[float]] = {}
    for row in prompt:
        quant = quant_label(row["quant"])
        entry = resolve_model(catalog, row["model"], row["model_hf_repo_hint"])
        system_data = system_for(row["hardware"], row["gpu_count"])
        if quant is None or entry is None or system_data is None:
            continue
        if not system_data["has_gpu"]:
            threads = row["threads"] or 4
            system_data["cpu_cores"] = threads if system_data["backend"] == "CPU (ARM)" else 2 * threads
        system = System.model_validate(system_data)
        query = parse_query({"quant": quant, "min_fit": "too_tight"}, route="models", name=entry["name"])
        fit = fit_rows(system, catalog, query)[0]
        truth = row["tokens_per_second"]
        ours.append(100.0 * (fit.prefill_tps - truth) / truth)
        per_backend.setdefault(row["backend"], []).append(ours[-1])
        if show:
            print(
                f"{row['id']}  {row['hardware'][:34]:34} {entry['name'][:30]:30} {quant:7} {row['test']:6} "
                f"truth {truth:8.1f}  fleetfit {fit.prefill_tps:8.1f} ({fit.placement.mode})"
            )
    print(f"\nPrefill tok/s: coverage {len(ours)} of {len(prompt)} prompt-processing rows ({percent(len(ours), len(prompt))})")
    print(f"  fleetfit                       {summary(ours)}   {verdicts('prefill', ours)}")
    by_quant(per_backend)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, default=HERE.parents[1] / "shared" / "reference")
    parser.add_argument("--llmfit", help="llmfit 1.1.17 binary (default: `llmfit` on PATH, if any)")
    parser.add_argument("--rows", action="store_true", help="print every row")
    args = parser.parse_args()
    reference = args.reference
    if not reference.exists():
        reference = HERE.parents[2] / "shared" / "reference"
    binary = args.llmfit or shutil.which("llmfit")
    llmfit = Llmfit(binary) if binary else None
    catalog = load_bundled()
    memory_rows(catalog, reference, llmfit, args.rows)
    speed_rows(catalog, reference, llmfit, args.rows)
    prefill_rows(catalog, reference, args.rows)
    if llmfit is None:
        print("\n(llmfit not found: pass --llmfit PATH to print its figures beside fleetfit's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

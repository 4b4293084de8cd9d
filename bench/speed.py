"""Speed and memory of a full-catalog run: `fleetfit fit --json` vs `llmfit --json fit`, same machine, same run.

    python bench/speed.py [--runs 5] [--llmfit PATH] [--system FILE]

Whole process, as a user runs it: wall time and peak RSS (from wait4, as /usr/bin/time -v reports them),
median of N alternating runs so both tools see the same machine load. Then the engine alone: the full
catalog analysed for one System in-process (cold: first call, building per-model invariants; warm: the same
System again; unseen: a System the warm process has not analysed yet, as the API meets a new hardware class).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, stdout bytes) of one run."""
    start = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    ) as proc:
        assert proc.stdout is not None
        size = len(proc.stdout.read())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}")
    return wall, usage.ru_maxrss / 1024.0, size


def report(label: str, runs: list[tuple[float, float, int]]) -> None:
    walls = [r[0] for r in runs]
    rss = [r[1] for r in runs]
    print(
        f"  {label:34} wall median {statistics.median(walls):5.2f} s (min {min(walls):4.2f})   "
        f"peak RSS median {statistics.median(rss):6.1f} MB   output {runs[-1][2] / 1e6:5.1f} MB"
    )


def engine_alone(system_file: str | None) -> None:
    from fleetfit.catalog import load_bundled
    from fleetfit.contract import System
    from fleetfit.engine import parse_query
    from fleetfit.engine.query import envelope_json, node_of, ranking

    if system_file:
        system = System.model_validate_json(Path(system_file).read_text())
    else:
        from probe_client.detect import detect_system

        system = detect_system()
    gc.disable()
    start = time.perf_counter()
    catalog = load_bundled()
    loaded = time.perf_counter()
    query = parse_query({}, route="models")
    text = envelope_json(system, catalog, query, node_of())
    cold = time.perf_counter()
    warm_runs = []
    for _ in range(3):
        begin = time.perf_counter()
        envelope_json(system, catalog, query, node_of())
        warm_runs.append(time.perf_counter() - begin)
    print(f"\nEngine alone, one process, {len(catalog):,} catalog models, one System ({len(text) / 1e6:.1f} MB JSON):")
    print(f"  catalog load (trusted bundled bytes)  {1000 * (loaded - start):7.0f} ms")
    print(f"  first full analysis + JSON (cold)     {1000 * (cold - loaded):7.0f} ms")
    print(f"  next full analysis + JSON (warm)      {1000 * statistics.median(warm_runs):7.0f} ms")
    top = parse_query({}, route="top")
    begin = time.perf_counter()
    envelope_json(system, catalog, top, node_of())
    print(f"  /models/top (warm)                    {1000 * (time.perf_counter() - begin):7.0f} ms")
    # "warm" above asks again for a System the process has analysed (its rows are reused); a node of a
    # hardware class the process has not seen yet is analysed afresh: 1 GB more RAM makes each one new.
    from unseen import less_vram, more_ram  # bench/, beside this script

    fresh_runs, analysis_runs = [], []
    for extra in range(1, 4):
        unseen = more_ram(system, extra)
        begin = time.perf_counter()
        ranking(unseen, catalog, query)  # the engine alone: every model analysed and ranked, no JSON yet
        analysed = time.perf_counter()
        envelope_json(unseen, catalog, query, node_of())
        fresh_runs.append(time.perf_counter() - begin)
        analysis_runs.append(analysed - begin)
    print(f"  full analysis + JSON, unseen System   {1000 * statistics.median(fresh_runs):7.0f} ms  (warm process)")
    print(f"    of which the analysis alone         {1000 * statistics.median(analysis_runs):7.0f} ms")
    # The analysis alone for hardware classes the process has not seen, by what they share with one it has: an
    # analysis that read only the GPU pools is reused for a node with the same cards (engine analyze_all).
    from fleetfit.engine.query import forget_rankings
    from fleetfit.store.samples import cpu_only_x86, rtx4090_workstation

    forget_rankings()
    workstation = rtx4090_workstation()
    ranking(workstation, catalog, query)  # one GPU class analysed before
    cases = {
        "a CPU-only class": lambda i: more_ram(cpu_only_x86(), i),
        "cards never seen (RTX 4090, less VRAM)": lambda i: less_vram(workstation, 0.5 * i),
        "the same cards, other RAM": lambda i: more_ram(workstation, i),
    }
    for label, make in cases.items():
        runs = []
        for i in range(1, 6):
            begin = time.perf_counter()
            ranking(make(i), catalog, query)
            runs.append(time.perf_counter() - begin)
        print(f"  analysis alone, unseen class: {label:40} {1000 * statistics.median(runs):5.0f} ms")


def compile_bytecode() -> None:
    """Write fleetfit's bytecode, as `pip install` does (an editable install under PYTHONDONTWRITEBYTECODE
    would otherwise compile every module on every run: ~70 ms of a run here)."""
    import compileall

    import fleetfit

    import probe_client

    for package in (fleetfit, probe_client):
        compileall.compile_dir(str(Path(package.__file__).resolve().parent), quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--llmfit", help="llmfit 1.1.17 binary (default: `llmfit` on PATH)")
    parser.add_argument("--system", help="System JSON for fleetfit (default: detect this machine, like llmfit)")
    args = parser.parse_args()
    fleetfit = shutil.which("fleetfit", path=str(Path(sys.executable).parent)) or shutil.which("fleetfit")
    if fleetfit is None:
        raise SystemExit("fleetfit is not installed in this environment")
    ours_cmd = [fleetfit, "fit", "--json", *(["--system", args.system] if args.system else [])]
    every_row_cmd = [*ours_cmd, "--group", "none"]  # every row, as llmfit lists them (issue 12's target)
    theirs_cmd = None
    binary = args.llmfit or shutil.which("llmfit")
    if binary:
        theirs_cmd = [binary, "--json", "fit"]
    ours, serial, every_row, theirs = [], [], [], []
    compile_bytecode()
    measure(ours_cmd)  # warm the page cache for both before timing
    if theirs_cmd:
        measure(theirs_cmd)
    for _ in range(args.runs):
        ours.append(measure(ours_cmd))
        serial.append(measure(ours_cmd, {"FLEETFIT_WORKERS": "1"}))
        every_row.append(measure(every_row_cmd))
        if theirs_cmd:
            theirs.append(measure(theirs_cmd))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Full catalog, whole process, {args.runs} runs each, {cpus} CPUs, load average {os.getloadavg()[0]:.2f} "
        "(fleetfit's bytecode compiled, as an installed package has it):"
    )
    report("fleetfit fit --json", ours)
    report("fleetfit fit --json (1 worker)", serial)
    report("fleetfit fit --json --group none", every_row)
    if theirs:
        report("llmfit --json fit (1.1.17)", theirs)
    else:
        print("  (llmfit not found: pass --llmfit PATH to compare)")
    engine_alone(args.system)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the default ranking recommends, judged as a local-LLM practitioner would judge it.

    python bench/recommendations.py [--catalog FILE.json.gz] [--limit 10] [--rows]

For this machine and each reference System of the engine tests, the default `/models/top` list (limit 10,
grouped as the API serves it) and its figures: median downloads, share first-party or with >= 10k downloads,
share under 1 B parameters, share under the use case's usable speed, duplicate base groups, and official
releases ranked under a re-upload or fine-tune of equal physics. Every figure reads the catalog's own fields
(`downloads`, `first_party`, `group`, `params`); a catalog without them reports 0 downloads, no first-party
repositories and every entry its own group. Targets (issue 8) are printed beside each figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fleetfit.catalog import Catalog, load_bundled, load_catalog_bytes  # noqa: E402
from fleetfit.contract import System  # noqa: E402
from fleetfit.engine import parse_query  # noqa: E402
from fleetfit.engine.analyze import Fit  # noqa: E402
from fleetfit.engine.query import ranked, ranking  # noqa: E402
from fleetfit.engine.scoring import usable_tps  # noqa: E402

from tests.engine.systems import apple_system, cpu_system, gpu_system  # noqa: E402

WIDELY_USED = 10_000  # downloads
TARGET_TRUSTED = 0.80
SMALL_B = 1.0
BIG_MACHINE_GB = 16.0


def reference_systems() -> dict[str, System]:
    """The engine tests' reference machines (tests/engine/systems.py builders)."""
    rtx_3090 = {"name": "NVIDIA GeForce RTX 3090", "vram_gb": 23.99, "backend": "CUDA", "count": 1}
    return {
        "CPU 8 GB ARM (4 cores)": cpu_system(8.0, cores=4, arm=True, cpu="Cortex-A76"),
        "CPU 16 GB x86 (8 threads)": cpu_system(16.0, cores=8, cpu="Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"),
        "RTX 3060 12 GB + 32 GB": gpu_system("NVIDIA GeForce RTX 3060", 12.0, ram=32.0),
        "RTX 4090 + 64 GB": gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0),
        "RTX 4090 + RTX 3090 + 128 GB": gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=128.0, extra_gpus=[rtx_3090]),
        "M3 Max 128 GB": apple_system("Apple M3 Max", 128.0),
        "MI300X 192 GB": gpu_system("AMD Instinct MI300X", 191.98, ram=1024.0, backend="ROCm", cpu="AMD EPYC 9654"),
        "8x H100 80 GB": gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8, ram=2048.0, cpu="AMD EPYC 9654"),
    }


def this_machine() -> System | None:
    try:
        from probe_client.detect import detect_system
    except ImportError:
        return None
    return detect_system()


def group_of(fit: Fit) -> str:
    return str(fit.profile.entry.get("group") or fit.profile.name)


def memory_gb(system: System) -> float:
    return max([system.total_ram_gb, *(g.vram_gb * g.count for g in system.gpus)])


def official_below_clones(system: System, catalog: Catalog) -> int:
    """First-party group representatives (the official release) ranked under a member of their group with
    equal physics and kind (same parameters and architecture facts, window, use case and kind: a re-upload or
    a fine-tune that runs identically), in the full ungrouped ranking."""
    query = parse_query({}, route="models")
    order = ranking(system, catalog, query).ordered(query)
    seen: set[tuple[str, int, int, str, str]] = set()
    late = 0
    for fit in order:
        p = fit.profile
        key = (group_of(fit), p.physics_id, p.context_length, p.category, p.entry.get("kind") or "chat")
        official = group_of(fit) == fit.name and fit.profile.entry.get("first_party")
        if official and key in seen and fit.fit_level != "too_tight":
            late += 1
        seen.add(key)
    return late


def figures(name: str, system: System, catalog: Catalog, limit: int, rows: bool, fields: set[str]) -> dict[str, Any]:
    _, page = ranked(system, catalog, parse_query({"limit": str(limit)}, route="top"))
    reach = sum(
        1
        for fit in ranking(system, catalog, parse_query({}, route="models")).fits
        if fit.fit_level != "too_tight" and fit.estimated_tps >= usable_tps(fit.profile.category)
    )
    n = max(1, len(page))
    downloads = [int(f.profile.entry.get("downloads") or 0) for f in page]
    trusted = sum(
        1 for f, d in zip(page, downloads, strict=True) if f.profile.entry.get("first_party") or d >= WIDELY_USED
    )
    small = sum(1 for f in page if f.profile.params / 1e9 < SMALL_B)
    slow = sum(1 for f in page if f.estimated_tps < usable_tps(f.profile.category))
    groups = Counter(group_of(f) for f in page)
    duplicates = sum(c - 1 for c in groups.values())
    late = official_below_clones(system, catalog)
    big = memory_gb(system) >= BIG_MACHINE_GB
    # A figure that reads a field the catalog lacks is not a measurement: None, printed "n/a".
    checks: dict[str, bool | None] = {
        "duplicates": duplicates == 0 if "group" in fields else None,
        "trusted": trusted / n >= TARGET_TRUSTED if fields & {"downloads", "first_party"} else None,
        "small": not big or small == 0,
        "slow": reach < 10 or slow == 0,
        "official": late == 0 if {"group", "first_party"} <= fields else None,
    }
    print(f"\n{name}  ({memory_gb(system):.0f} GB; {reach} models reach their usable speed)")
    if rows:
        for i, f in enumerate(page, 1):
            e = f.profile.entry
            print(
                f"  {i:2}. {f.name[:52]:52} {e['parameter_count']:>7} {f.placement.quant:8} {f.runtime:8} "
                f"{f.estimated_tps:7.1f} tok/s  score {f.score:5.1f}  dl {int(e.get('downloads') or 0):>9,}"
                f"{'  first-party' if e.get('first_party') else ''}"
            )
    mark = {True: "ok", False: "MISS", None: "n/a"}
    print(
        f"  median downloads {statistics.median(downloads) if downloads else 0:,.0f}   "
        f"first-party or >= {WIDELY_USED:,} downloads {trusted}/{len(page)} [{mark[checks['trusted']]}]   "
        f"< 1 B {small}/{len(page)} [{mark[checks['small']]}]   "
        f"under usable speed {slow}/{len(page)} [{mark[checks['slow']]}]   "
        f"duplicate groups {duplicates} [{mark[checks['duplicates']]}]   "
        f"official under a clone {late} [{mark[checks['official']]}]"
    )
    return {"downloads": downloads, "trusted": trusted, "n": len(page), "checks": checks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", help="a catalog.json.gz other than the bundled one")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--rows", action="store_true", help="print the top rows")
    args = parser.parse_args()
    catalog = load_catalog_bytes(Path(args.catalog).read_bytes(), args.catalog) if args.catalog else load_bundled()
    fields = Counter(
        k for e in catalog.entries for k in ("downloads", "first_party", "group", "kind", "origin_date") if k in e
    )
    print(
        f"catalog {catalog.version} ({len(catalog)} models, built {catalog.built_at}); ranking fields present: "
        + (", ".join(f"{k} {v}" for k, v in sorted(fields.items())) or "none (figures below read defaults)")
    )
    systems = reference_systems()
    here = this_machine()
    if here is not None:
        systems = {f"this machine ({here.cpu_name.strip()[:40]})": here, **systems}
    present = set(fields)
    results = [figures(name, system, catalog, args.limit, args.rows, present) for name, system in systems.items()]
    all_downloads = [d for r in results for d in r["downloads"]]
    trusted = sum(r["trusted"] for r in results) / max(1, sum(r["n"] for r in results))
    met = Counter(k for r in results for k, ok in r["checks"].items() if ok)
    unknown = {k for r in results for k, ok in r["checks"].items() if ok is None}
    print(
        f"\nAll {len(results)} systems: median downloads of the top {args.limit} {statistics.median(all_downloads):,.0f}; "
        f"first-party or widely used {trusted:.0%}; targets met per system: "
        + ", ".join(
            f"{k} {'n/a' if k in unknown else f'{met[k]}/{len(results)}'}"
            for k in ("duplicates", "trusted", "small", "slow", "official")
        )
    )


if __name__ == "__main__":
    main()

"""Print the catalog's lineage figures: entries per kind, first-party share, variant groups, the largest groups,
packed-weight repos that were re-sized, and a sample of groups with their representative.

    python infra/catalog/figures.py [catalog.json.gz] [--sample 20] [--packed]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "functions"))

from fleetfit.catalog import load_catalog_bytes  # noqa: E402

DEFAULT = HERE.parents[1] / "functions" / "fleetfit" / "catalog" / "data" / "catalog.json.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--sample", type=int, default=20, help="groups to list (seeded, reproducible)")
    parser.add_argument("--packed", action="store_true", help="list every re-sized packed repo")
    args = parser.parse_args(argv)
    models = list(load_catalog_bytes(args.catalog.read_bytes(), source=str(args.catalog)))
    print(f"{len(models)} entries, {args.catalog.stat().st_size / 1e6:.2f} MB")

    kinds = Counter(m["kind"] for m in models)
    print("entries per kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(f"first-party entries: {sum(m['first_party'] for m in models)}")

    groups: dict[str, list[Any]] = defaultdict(list)
    for model in models:
        groups[model["group"]].append(model)
    multi = [g for g in groups.values() if len(g) > 1]
    print(
        f"variant groups: {len(groups)} ({len(multi)} with more than one entry, {sum(map(len, multi))} entries in them)"
    )
    print("largest groups:")
    for name, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:15]:
        print(f"  {len(members):>4}  {name}")

    packed = [m for m in models if "upstream counted" in m.get("provenance", {}).get("params", "")]
    from_base = [m for m in packed if m["provenance"]["params"].startswith("unpacked count of")]
    print(
        f"packed repos re-sized: {len(packed)} ({len(from_base)} from their base model, {len(packed) - len(from_base)} from the size their name states)"
    )
    for model in packed if args.packed else packed[:8]:
        print(f"  {model['name']}: {model['parameter_count']} <- {model['provenance']['params']}")

    print(f"sample of {args.sample} groups (representative <- members):")
    rng = random.Random(8)
    for name in sorted(rng.sample(sorted(n for n, g in groups.items() if len(g) > 1), min(args.sample, len(multi)))):
        members = groups[name]
        rep = next(m for m in members if m["name"] == name)
        others = [m["name"] for m in sorted(members, key=lambda m: -m["downloads"]) if m["name"] != name]
        shown = ", ".join(others[:3]) + (f" (+{len(others) - 3})" if len(others) > 3 else "")
        flag = "first-party" if rep["first_party"] else f"{rep['downloads']} dl"
        print(f"  {name} [{rep['kind']}, {flag}, origin {rep['origin_date']}] <- {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

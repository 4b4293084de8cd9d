"""Golden envelopes: a digest of every answer the engine gives the reference Systems over the whole catalog.

    python tests/tools/golden.py            # compare with tests/tools/golden.json, exit 1 on any change
    python tests/tools/golden.py --record   # after a change that is meant to change answers
    python tests/tools/golden.py --dump DIR # write each envelope to DIR, to diff two versions

A speed-up must leave every digest as it was (issue 12: one engine, not a fast twin beside a slow one). Each
case is a System and a query; the digest is the SHA-256 of the envelope's JSON text with a fixed node, so it
depends on the engine, the catalog and the ranking only. An intended change of answers is re-recorded, and the
commit says why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fleetfit.catalog import Catalog, load_bundled  # noqa: E402
from fleetfit.contract import Node, System  # noqa: E402
from fleetfit.engine import parse_query  # noqa: E402
from fleetfit.engine.query import envelope_json  # noqa: E402

from bench.recommendations import reference_systems  # noqa: E402
from tests.engine.systems import cpu_system  # noqa: E402

RECORD = Path(__file__).with_name("golden.json")
NODE = Node(name="golden-node", os="linux")
# Every row (the same work as `llmfit --json fit`) and the default grouped top list, per System.
QUERIES: dict[str, tuple[dict[str, str], str]] = {
    "models-all": ({"group": "none"}, "models"),
    "top": ({}, "top"),
}


def systems() -> dict[str, System]:
    return {"CPU 24 GB x86 (2 cores)": cpu_system(24.0, cores=2), **reference_systems()}


def envelopes(catalog: Catalog) -> Iterator[tuple[str, str]]:
    """(case name, envelope JSON) for every reference System and query."""
    for label, system in systems().items():
        for qname, (params, route) in QUERIES.items():
            yield f"{label} | {qname}", envelope_json(system, catalog, parse_query(params, route=route), NODE)


def digests(catalog: Catalog) -> dict[str, str]:
    return {case: hashlib.sha256(text.encode()).hexdigest() for case, text in envelopes(catalog)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="write the digests to golden.json")
    parser.add_argument("--dump", type=Path, help="write each envelope to this folder")
    args = parser.parse_args(argv)
    catalog = load_bundled()
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for case, text in envelopes(catalog):
            name = "".join(c if c.isalnum() else "_" for c in case)
            (args.dump / f"{name}.json").write_text(text)
        return 0
    found = digests(catalog)
    if args.record:
        RECORD.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(found)} golden envelopes in {RECORD}")
        return 0
    expected = json.loads(RECORD.read_text())
    changed = sorted(case for case in expected.keys() | found.keys() if expected.get(case) != found.get(case))
    for case in changed:
        print(f"changed: {case}")
    print(f"{len(found) - len(changed)} of {len(found)} golden envelopes unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Prepared invariants: what the engine derives from a catalog alone, computed when the catalog is built and
shipped beside it (`catalog/data/invariants.bin`), so a process does not re-derive them on every load.

They are the weights of every ladder rung for each model's physics (memory.weights: per-role bits summed over
the role sizes, ~0.2 s for the bundled catalog) and each model's quality before the quant at the catalog's
reference date (scoring.quality_base: family, size, recency and trust, ~0.1 s), as plain float64 values read back
bit for bit; and the JSON fragments of each Model object that read only the entry (engine.fragments). All go only
into the caches the engine fills itself (ModelProfile.weights_cache, memo and json_parts):
the engine computes the same numbers whenever they are missing. They are used only when they were derived from
these catalog bytes by this engine's rules: the header names the catalog's version and a digest of the source
files that derive them (ENGINE_FILES); anything else is ignored and the engine computes as before.

    python infra/catalog/build_catalog.py --invariants-only   # rewrite invariants.bin for the bundled catalog
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
import zlib
from array import array
from collections.abc import Sequence
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from fleetfit.engine.fragments import NAMES as FRAGMENTS
from fleetfit.engine.fragments import fragments
from fleetfit.engine.memory import Weights, weights_of
from fleetfit.engine.profile import ModelProfile
from fleetfit.engine.quants import GGUF_LADDER, MLX_LADDER, NATIVE_LADDER
from fleetfit.engine.scoring import entry_quality_base

if TYPE_CHECKING:
    from fleetfit.catalog import Catalog

FORMAT = 1
# Every rung a ladder can reach (quants.ladder_for); a forced quant outside them is computed when asked.
RUNGS: tuple[str, ...] = tuple(
    dict.fromkeys((*GGUF_LADDER, *MLX_LADDER, *(q for rungs in NATIVE_LADDER.values() for q in rungs)))
)
WEIGHT_FIELDS = 4  # Weights: total, experts, active, cpu_cost
PACKAGE = Path(__file__).resolve().parents[1]
# The sources whose rules derive the invariants: a change to any of them makes a prepared file stale.
ENGINE_FILES = (
    "engine/profile.py",
    "engine/memory.py",
    "engine/quants.py",
    "engine/data/quants.json",
    "engine/scoring.py",
    "engine/data/ranking.json",
    "engine/data/use_case_benchmarks.json",
    "engine/prepared.py",
    "engine/fragments.py",
    "catalog/__init__.py",  # the lineage defaults it restores are read by quality
)


@functools.cache  # the sources do not change under a running process
def engine_digest() -> str:
    digest = hashlib.sha256()
    for name in ENGINE_FILES:
        digest.update(name.encode() + b"\0" + (PACKAGE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def prepare(catalog: Catalog, profiles: Sequence[ModelProfile], reference: date) -> bytes:
    """The prepared file for `catalog` (whose entries `profiles` are, in order): computed, never read from caches."""
    rows: dict[int, int] = {}  # id of a physics' shared weights cache -> its row
    row_of = array("i")
    values = array("d")
    for profile in profiles:
        row = rows.get(id(profile.weights_cache))
        if row is None:
            row = rows[id(profile.weights_cache)] = len(rows)
            for quant in RUNGS:
                w = weights_of(profile, quant)
                values.extend((w.total, w.experts, w.active, w.cpu_cost))
        row_of.append(row)
    quality = array("d", (_quality(p, reference) for p in profiles))
    # JSON text: encode_basestring_ascii escapes every newline, so one joins the fragments unambiguously.
    json_parts = "\n".join(part for p in profiles for part in fragments(p)).encode("ascii")
    header = {
        "format": FORMAT,
        "catalog": catalog.version,
        "engine": engine_digest(),
        "reference_date": reference.isoformat(),
        "entries": len(profiles),
        "rows": len(rows),
        "fragments": list(FRAGMENTS),
        "fragment_bytes": len(json_parts),
        "rungs": list(RUNGS),
        "byteorder": sys.byteorder,
    }
    payload = row_of.tobytes() + quality.tobytes() + values.tobytes() + json_parts
    return json.dumps(header, sort_keys=True).encode() + b"\n" + zlib.compress(payload, 9)


def _quality(profile: ModelProfile, reference: date) -> float:
    return entry_quality_base(
        profile.entry, profile.params, profile.active_params if profile.moe else None, profile.category, reference
    )


def apply(
    data: bytes, catalog: Catalog, profiles: Sequence[ModelProfile], indexes: Sequence[int] | None = None
) -> bool:
    """Fill the profiles' weights caches and quality memos from a prepared file, if it is this catalog's and
    this engine's; False (nothing filled) otherwise. `profiles`: every entry of the catalog in order, or those
    at `indexes` in it (a forked worker's share)."""
    at_index = range(len(profiles)) if indexes is None else indexes
    head, _, body = data.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        return False
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("catalog") != catalog.version
        or header.get("entries") != len(catalog)
        or len(at_index) != len(profiles)
        or not all(0 <= i < len(catalog) for i in at_index)
        or header.get("rungs") != list(RUNGS)
        or header.get("fragments") != list(FRAGMENTS)
        or header.get("engine") != engine_digest()
    ):
        return False
    count, rows = len(catalog), int(header["rows"])
    try:
        payload = zlib.decompress(body)
    except zlib.error:
        return False
    row_of, quality, values = array("i"), array("d"), array("d")
    row_bytes, quality_bytes = count * row_of.itemsize, count * quality.itemsize
    values_end = row_bytes + quality_bytes + rows * len(RUNGS) * WEIGHT_FIELDS * values.itemsize
    if len(payload) != values_end + int(header["fragment_bytes"]):
        return False
    json_parts = payload[values_end:].decode("ascii").split("\n")
    if len(json_parts) != count * len(FRAGMENTS):
        return False
    row_of.frombytes(payload[:row_bytes])
    quality.frombytes(payload[row_bytes : row_bytes + quality_bytes])
    values.frombytes(payload[row_bytes + quality_bytes : values_end])
    if header.get("byteorder") != sys.byteorder:
        for part in (row_of, quality, values):
            part.byteswap()
    reference = date.fromisoformat(header["reference_date"])
    fields = iter(values)
    # Row by row, rung by rung; tuple.__new__ is what Weights._make calls, without its per-call checks.
    made = list(map(tuple.__new__, repeat(Weights), zip(*(fields,) * WEIGHT_FIELDS, strict=False)))
    width = len(RUNGS)
    per_entry = len(FRAGMENTS)
    for at, profile in zip(at_index, profiles, strict=True):
        row, base = row_of[at], quality[at]
        profile.json_parts.update(zip(FRAGMENTS, json_parts[at * per_entry : (at + 1) * per_entry], strict=True))
        profile.memo[reference] = base
        cache = profile.weights_cache
        if not cache:  # shared by the profiles of one physics: filled once (and left alone if already in use)
            cache.update(zip(RUNGS, made[row * width : (row + 1) * width], strict=True))
    return True

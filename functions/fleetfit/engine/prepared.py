"""Prepared invariants: what the engine derives from a catalog alone, computed when the catalog is built and
shipped beside it (`catalog/data/invariants.bin`), so a process does not re-derive them on every load.

They are each model's physical invariants (profile._physics: role sizes, KV growth, compute buffer, the
quantizer's signature; ~0.1 s for the bundled catalog), the weights of every ladder rung for each physics
(memory.weights: per-role bits summed over the role sizes, ~0.2 s), each model's quality before the quant at
the catalog's reference date (scoring.quality_base: family, size, recency and trust, ~0.1 s), as plain values
read back bit for bit, and the JSON fragments of each Model object that read only the entry (engine.fragments).
`profiles_of` makes the catalog's profiles from them: the fields build_profile computes, a weights cache that
makes each rung's Weights from the shipped values when first asked (PreparedWeights: an analysis asks about a
third of them), the quality memo and json_parts filled. They are used only when they were derived from these
catalog bytes by this engine's rules: the header names the catalog's version and a digest of the source
files that derive them (ENGINE_FILES); anything else is ignored and the engine builds and computes as before.

    python infra/catalog/build_catalog.py --invariants-only   # rewrite invariants.bin for the bundled catalog
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import sys
from array import array
from collections.abc import Sequence
from dataclasses import astuple
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetfit.engine.fragments import NAMES as FRAGMENTS
from fleetfit.engine.fragments import fragments
from fleetfit.engine.memory import Weights, weights_of
from fleetfit.engine.profile import PHYSICS_IDS, KvShape, ModelProfile, MoeShape, signature_id, with_physics
from fleetfit.engine.quants import GGUF_LADDER, MLX_LADDER, NATIVE_LADDER
from fleetfit.engine.scoring import entry_quality_base

if TYPE_CHECKING:
    from fleetfit.catalog import Catalog

FORMAT = 3  # 3: the payload is stored as is (inflating it cost every process ~15 ms; a zip or wheel deflates it)
# Every rung a ladder can reach (quants.ladder_for); a forced quant outside them is computed when asked.
RUNGS: tuple[str, ...] = tuple(
    dict.fromkeys((*GGUF_LADDER, *MLX_LADDER, *(q for rungs in NATIVE_LADDER.values() for q in rungs)))
)
RUNG_INDEX = {quant: i for i, quant in enumerate(RUNGS)}
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


class PreparedWeights(dict[str, Weights]):
    """One physics' weights cache (ModelProfile.weights_cache) that makes a rung's Weights from the prepared
    values the first time it is asked for; a quant outside RUNGS is missing (memory.weights computes it)."""

    __slots__ = ("_offset", "_values")

    def __init__(self, values: array[float], offset: int) -> None:
        super().__init__()
        self._values, self._offset = values, offset

    def __missing__(self, quant: str) -> Weights:
        at = RUNG_INDEX.get(quant)
        if at is None:
            raise KeyError(quant)
        start = self._offset + at * WEIGHT_FIELDS
        # tuple.__new__ is what Weights._make calls, without its per-call checks.
        made = self[quant] = tuple.__new__(Weights, self._values[start : start + WEIGHT_FIELDS])
        return made


def prepare(catalog: Catalog, profiles: Sequence[ModelProfile], reference: date) -> bytes:
    """The prepared file for `catalog` (whose entries `profiles` are, in order): computed, never read from caches."""
    rows: dict[int, int] = {}  # id of a physics' shared weights cache -> its row
    row_of = array("i")
    values = array("d")
    physics: list[tuple[Any, ...]] = []
    for profile in profiles:
        row = rows.get(id(profile.weights_cache))
        if row is None:
            row = rows[id(profile.weights_cache)] = len(rows)
            for quant in RUNGS:
                w = weights_of(profile, quant)
                values.extend((w.total, w.experts, w.active, w.cpu_cost))
            physics.append(_physics_row(profile))
        row_of.append(row)
    quality = array("d", (_quality(p, reference) for p in profiles))
    # JSON text: encode_basestring_ascii escapes every newline, so one joins the fragments unambiguously.
    json_parts = "\n".join(part for p in profiles for part in fragments(p)).encode("ascii")
    physics_bytes = marshal.dumps(physics, 4)
    header = {
        "format": FORMAT,
        "catalog": catalog.version,
        "engine": engine_digest(),
        "reference_date": reference.isoformat(),
        "entries": len(profiles),
        "rows": len(rows),
        "fragments": list(FRAGMENTS),
        "fragment_bytes": len(json_parts),
        "physics_bytes": len(physics_bytes),
        "rungs": list(RUNGS),
        "byteorder": sys.byteorder,
    }
    payload = row_of.tobytes() + quality.tobytes() + values.tobytes() + json_parts + physics_bytes
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def _physics_row(p: ModelProfile) -> tuple[Any, ...]:
    """The physics fields of a profile as plain values (marshal's types), without the ids this process makes."""
    return (
        None if p.moe is None else astuple(p.moe),
        p.routed_share,
        p.tied_embeddings,
        p.layers,
        p.gqa,
        p.experts,
        astuple(p.kv),
        p.compute_buffer_bytes,
        p.active_params,
        p.shape_known,
        p.role_vector,
        p.active_vector,
        p.signature_facts,
    )


def _physics_of(row: Sequence[Any], weights_cache: PreparedWeights) -> tuple[Any, ...]:
    """_physics_row read back: build_profile's physics tuple, with this process's signature and physics ids."""
    moe, routed, tied, layers, gqa, experts, kv, buffer, active, known, roles, shares, facts = row
    return (
        None if moe is None else MoeShape(*moe),
        routed,
        tied,
        layers,
        gqa,
        experts,
        KvShape(*kv),
        buffer,
        active,
        known,
        roles,
        shares,
        signature_id(facts),
        facts,
        weights_cache,
        next(PHYSICS_IDS),
    )


def _quality(profile: ModelProfile, reference: date) -> float:
    return entry_quality_base(
        profile.entry, profile.params, profile.active_params if profile.moe else None, profile.category, reference
    )


def profiles_of(data: bytes, catalog: Catalog, indexes: Sequence[int] | None = None) -> list[ModelProfile] | None:
    """The profiles of the catalog's entries (every one in order, or those at `indexes`: a forked worker's
    share) made from a prepared file, if it is this catalog's and this engine's; None otherwise (the caller
    builds them). Entries of one physics share one physics tuple and weights cache, as build_profile's do."""
    at_index = range(len(catalog)) if indexes is None else indexes
    end = data.find(b"\n")
    if end < 0:
        return None
    head = data[:end]  # the header line (the payload after it is read in place)
    try:
        header = json.loads(head)
    except ValueError:
        return None
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("catalog") != catalog.version
        or header.get("entries") != len(catalog)
        or not all(0 <= i < len(catalog) for i in at_index)
        or header.get("rungs") != list(RUNGS)
        or header.get("fragments") != list(FRAGMENTS)
        or header.get("engine") != engine_digest()
    ):
        return None
    count, rows = len(catalog), int(header["rows"])
    payload = memoryview(data)[end + 1 :]  # not a copy of the payload
    row_of, quality, values = array("i"), array("d"), array("d")
    row_bytes, quality_bytes = count * row_of.itemsize, count * quality.itemsize
    values_end = row_bytes + quality_bytes + rows * len(RUNGS) * WEIGHT_FIELDS * values.itemsize
    physics_start = values_end + int(header["fragment_bytes"])
    if len(payload) != physics_start + int(header["physics_bytes"]):
        return None
    json_parts = str(payload[values_end:physics_start], "ascii").split("\n")
    try:
        physics_rows = marshal.loads(payload[physics_start:])
    except (EOFError, ValueError, TypeError):
        return None
    if len(json_parts) != count * len(FRAGMENTS) or not isinstance(physics_rows, list) or len(physics_rows) != rows:
        return None
    row_of.frombytes(payload[:row_bytes])
    quality.frombytes(payload[row_bytes : row_bytes + quality_bytes])
    values.frombytes(payload[row_bytes + quality_bytes : values_end])
    if header.get("byteorder") != sys.byteorder:
        for part in (row_of, quality, values):
            part.byteswap()
    reference = date.fromisoformat(header["reference_date"])
    width = len(RUNGS) * WEIGHT_FIELDS
    per_entry = len(FRAGMENTS)
    made: dict[int, tuple[Any, ...]] = {}  # row -> its physics tuple, made once for the entries that share it
    entries = catalog.entries
    out: list[ModelProfile] = []
    for at in at_index:
        row = row_of[at]
        physics = made.get(row)
        if physics is None:
            physics = made[row] = _physics_of(physics_rows[row], PreparedWeights(values, row * width))
        profile = with_physics(entries[at], physics)
        profile.json_parts.update(zip(FRAGMENTS, json_parts[at * per_entry : (at + 1) * per_entry], strict=True))
        profile.memo[reference] = quality[at]
        out.append(profile)
    return out

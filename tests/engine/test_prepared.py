"""The invariants shipped beside the bundled catalog (engine.prepared) are what the engine computes, bit for bit,
and are used only for the catalog and the engine rules they were derived from."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from fleetfit.catalog import load_bundled
from fleetfit.engine import prepared
from fleetfit.engine.fragments import NAMES, fragments
from fleetfit.engine.memory import weights, weights_of
from fleetfit.engine.profile import ModelProfile, build_profile
from fleetfit.engine.query import reference_date
from fleetfit.engine.scoring import entry_quality_base

REBUILD = "stale: run `python infra/catalog/build_catalog.py --invariants-only` and commit invariants.bin"
# Made in this process, not read from the file: the ids, the caches and what fills them.
PROCESS_FIELDS = {"signature", "weights_cache", "physics_id", "json_parts", "memo"}


def _bits(value: Any) -> Any:
    """A field's value with every float as its exact bits (so -0.0, NaN and rounding differences show)."""
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, tuple):
        return tuple(_bits(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, _bits(dataclasses.astuple(value)))
    return value


def _fields(profile: ModelProfile) -> dict[str, Any]:
    return {
        f.name: _bits(getattr(profile, f.name)) for f in dataclasses.fields(profile) if f.name not in PROCESS_FIELDS
    }


def test_the_bundled_invariants_are_current() -> None:
    catalog = load_bundled()
    assert catalog.invariants, "invariants.bin is missing beside the bundled catalog"
    assert prepared.profiles_of(catalog.invariants, catalog) is not None, REBUILD


def test_prepared_profiles_are_the_built_ones_bit_for_bit() -> None:
    catalog = load_bundled()
    shipped = prepared.profiles_of(catalog.invariants, catalog)
    assert shipped is not None, REBUILD
    reference = reference_date(catalog)
    for entry, profile in list(zip(catalog.entries, shipped, strict=True))[::7]:  # all physics kinds, 1/7 of the time
        built = build_profile(entry)
        assert profile.entry is entry
        assert _fields(profile) == _fields(built), profile.name
        assert profile.signature_facts == built.signature_facts and profile.signature == built.signature
        assert tuple(profile.json_parts[name] for name in NAMES) == fragments(built)
        active = built.active_params if built.moe else None
        computed = entry_quality_base(entry, built.params, active, built.category, reference)
        assert profile.memo[reference].hex() == computed.hex(), profile.name
        for quant in prepared.RUNGS:
            assert [v.hex() for v in weights(profile, quant)] == [v.hex() for v in weights_of(built, quant)], (
                profile.name,
                quant,
            )


def test_entries_of_one_physics_share_it_and_rungs_are_made_when_first_asked() -> None:
    catalog = load_bundled()
    shipped = prepared.profiles_of(catalog.invariants, catalog)
    assert shipped is not None, REBUILD
    by_physics: dict[int, list[ModelProfile]] = {}
    for profile in shipped:
        by_physics.setdefault(profile.physics_id, []).append(profile)
    assert len(by_physics) < len(shipped) / 2  # fine-tunes of one base share one set of invariants
    built_ids = {build_profile(e).physics_id for e in catalog.entries}
    assert not built_ids & set(by_physics)  # ids made by build_profile never collide with the shipped ones
    shared = next(group for group in by_physics.values() if len(group) > 2)
    assert all(p.weights_cache is shared[0].weights_cache for p in shared)
    fresh = prepared.profiles_of(catalog.invariants, catalog, [catalog.entries.index(shared[0].entry)])
    assert fresh is not None
    cache = fresh[0].weights_cache
    assert len(cache) == 0  # nothing made until asked
    first = weights(fresh[0], "Q4_K_M")
    assert weights(fresh[0], "Q4_K_M") is first and list(cache) == ["Q4_K_M"]
    assert not math.isnan(first.total) and first.total > 0
    # a quant no ladder reaches is not in the file: it is computed, as without one
    outside = next(q for q in ("IQ4_XS", "Q5_0", "IQ3_M", "TQ1_0") if q not in prepared.RUNG_INDEX)
    assert weights(fresh[0], outside) == weights_of(fresh[0], outside)


def test_invariants_of_other_bytes_or_rules_are_ignored() -> None:
    catalog = load_bundled()
    other = dataclasses.replace(catalog, version="0" * 16)
    assert prepared.profiles_of(catalog.invariants, other) is None
    assert prepared.profiles_of(b"garbage", catalog) is None
    head, _, body = catalog.invariants.partition(b"\n")
    stale = head.replace(prepared.engine_digest().encode(), b"f" * 16) + b"\n" + body
    assert prepared.profiles_of(stale, catalog) is None
    assert prepared.profiles_of(head + b"\na short payload", catalog) is None
    assert prepared.profiles_of(catalog.invariants[:-1], catalog) is None  # a truncated file
    assert prepared.profiles_of(catalog.invariants + b"\0", catalog) is None


def test_a_slice_of_the_catalog_reads_its_own_share() -> None:
    catalog = load_bundled()
    whole = prepared.profiles_of(catalog.invariants, catalog)
    part = prepared.profiles_of(catalog.invariants, catalog, range(5000, 5100))  # a forked worker
    assert whole is not None and part is not None
    reference = reference_date(catalog)
    for mine, full in zip(part, whole[5000:5100], strict=True):
        assert mine.entry is full.entry and _fields(mine) == _fields(full)
        assert (mine.json_parts, mine.memo[reference]) == (full.json_parts, full.memo[reference])
        assert weights(mine, "Q8_0") == weights(full, "Q8_0")
    assert prepared.profiles_of(catalog.invariants, catalog, range(len(catalog) - 50, len(catalog) + 50)) is None

"""The invariants shipped beside the bundled catalog (engine.prepared) are what the engine computes, bit for bit,
and are used only for the catalog and the engine rules they were derived from."""

from __future__ import annotations

import dataclasses

from fleetfit.catalog import load_bundled
from fleetfit.engine import prepared
from fleetfit.engine.fragments import NAMES, fragments
from fleetfit.engine.memory import weights_of
from fleetfit.engine.profile import ModelProfile, build_profile
from fleetfit.engine.query import reference_date
from fleetfit.engine.scoring import entry_quality_base

REBUILD = "stale: run `python infra/catalog/build_catalog.py --invariants-only` and commit invariants.bin"


def _fresh(entries: tuple[object, ...]) -> list[ModelProfile]:
    # New caches, not shared with other tests' profiles: apply() fills only empty ones.
    return [dataclasses.replace(build_profile(e), weights_cache={}, memo={}, json_parts={}) for e in entries]  # type: ignore[arg-type]


def test_the_bundled_invariants_are_current() -> None:
    catalog = load_bundled()
    assert catalog.invariants, "invariants.bin is missing beside the bundled catalog"
    assert prepared.apply(catalog.invariants, catalog, _fresh(catalog.entries)), REBUILD


def test_prepared_invariants_are_the_computed_ones_bit_for_bit() -> None:
    catalog = load_bundled()
    profiles = _fresh(catalog.entries)
    assert prepared.apply(catalog.invariants, catalog, profiles), REBUILD
    reference = reference_date(catalog)
    computed_parts = {p.name: fragments(p) for p in _fresh(catalog.entries[::7])}
    for profile in profiles[::7]:  # every 7th entry: all physics kinds, a fraction of the time
        assert tuple(profile.json_parts[name] for name in NAMES) == computed_parts[profile.name]
        active = profile.active_params if profile.moe else None
        computed = entry_quality_base(profile.entry, profile.params, active, profile.category, reference)
        assert profile.memo[reference].hex() == computed.hex(), profile.name
        for quant in prepared.RUNGS:
            shipped, fresh = profile.weights_cache[quant], weights_of(profile, quant)
            assert [v.hex() for v in shipped] == [v.hex() for v in fresh], (profile.name, quant)


def test_invariants_of_other_bytes_or_rules_are_ignored() -> None:
    catalog = load_bundled()
    other = dataclasses.replace(catalog, version="0" * 16)
    profiles = _fresh(catalog.entries[:3])
    assert not prepared.apply(catalog.invariants, other, profiles)
    assert not prepared.apply(b"garbage", catalog, profiles)
    head, _, body = catalog.invariants.partition(b"\n")
    stale = head.replace(prepared.engine_digest().encode(), b"f" * 16) + b"\n" + body
    assert not prepared.apply(stale, catalog, _fresh(catalog.entries))
    assert all(not p.weights_cache and not p.memo and not p.json_parts for p in profiles)


def test_a_slice_of_the_catalog_reads_its_own_share() -> None:
    catalog = load_bundled()
    whole, part = _fresh(catalog.entries), _fresh(catalog.entries[5000:5100])
    assert prepared.apply(catalog.invariants, catalog, whole)
    assert prepared.apply(catalog.invariants, catalog, part, range(5000, 5100))  # a forked worker
    reference = reference_date(catalog)
    for mine, full in zip(part, whole[5000:5100], strict=True):
        assert (mine.json_parts, mine.memo[reference], mine.weights_cache) == (
            full.json_parts,
            full.memo[reference],
            full.weights_cache,
        )
    assert not prepared.apply(catalog.invariants, catalog, part, range(len(catalog) - 50, len(catalog) + 50))

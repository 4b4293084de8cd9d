"""A walk down the ladder places each lower rung where the top one is (placement.walk_in_place) only where
run_mode has no other choice: the same Placement run_mode makes for that rung, for every model of the catalog,
and no shortcut on nodes with several pools or card sets, or for offloads."""

from __future__ import annotations

import dataclasses

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import System
from fleetfit.engine import parse_query
from fleetfit.engine.analyze import effective_context
from fleetfit.engine.devices import resolve
from fleetfit.engine.placement import run_mode, walk_in_place
from fleetfit.engine.quants import ladder_for
from fleetfit.engine.query import profiles

from .systems import apple_system, cpu_system, gpu_system

CATALOG = load_bundled()
ONE_PLACE = {
    "CPU only, 32 GB": cpu_system(32.0),
    "one RTX 4090": gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=50.0),
    "Apple unified": apple_system(),
}


def _every_model() -> list[object]:
    return list(profiles(CATALOG))[::3]  # a third of the catalog, every kind of model among it


@pytest.mark.parametrize("label", ONE_PLACE)
def test_a_lower_rung_in_place_is_run_modes_placement(label: str) -> None:
    system: System = ONE_PLACE[label]
    hw = resolve(system)
    query = parse_query({}, route="models")
    checked = 0
    for profile in _every_model():
        ladder = ladder_for("llamacpp", profile.native_quant)  # type: ignore[attr-defined]
        context = effective_context(profile.context_length, query.max_context)  # type: ignore[attr-defined]
        top = run_mode(profile, hw, ladder, context)  # type: ignore[arg-type]
        place = walk_in_place(profile, hw, top)  # type: ignore[arg-type]
        if not top.fits or top.mode not in ("gpu", "cpu_only"):
            continue
        assert place is not None, (label, top.mode)
        for quant in ladder[ladder.index(top.quant) + 1 :]:
            expected = run_mode(profile, hw, (quant,), context)  # type: ignore[arg-type]
            found = place(quant)
            if expected.fits and expected.mode == top.mode:
                assert found is not None and dataclasses.astuple(found) == dataclasses.astuple(expected)
                assert found.pool is expected.pool
                checked += 1
            else:
                assert found is None  # run_mode would move it: a walk ends there
    assert checked > 1000


def test_no_shortcut_where_run_mode_chooses_again() -> None:
    query = parse_query({}, route="models")
    two_cards = gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=64.0, available=50.0, count=2)
    small_gpu = gpu_system("NVIDIA GeForce RTX 3060", 12.0, ram=64.0, available=50.0)
    seen: set[str] = set()
    for profile in _every_model():
        ladder = ladder_for("llamacpp", profile.native_quant)  # type: ignore[attr-defined]
        context = effective_context(profile.context_length, query.max_context)  # type: ignore[attr-defined]
        for system in (two_cards, small_gpu):
            hw = resolve(system)
            top = run_mode(profile, hw, ladder, context)  # type: ignore[arg-type]
            several_sets = len(hw.pools[0].subsets) > 1
            if several_sets or top.mode in ("moe_offload", "cpu_offload") or (top.mode == "cpu_only" and hw.pools):
                assert walk_in_place(profile, hw, top) is None  # type: ignore[arg-type]
                seen.add("several card sets" if several_sets else top.mode)
    assert {"several card sets", "cpu_offload", "moe_offload"} <= seen

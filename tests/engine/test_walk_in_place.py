"""A walk down the ladder places each lower rung (placement.walk_in_place) as run_mode places it in the top
rung's mode, and gives None where run_mode would put it in another mode or it does not fit (both end a walk):
the same Placement, for a third of the catalog on nodes with one place for the model and on GPUs small enough
to offload; no shortcut where run_mode may choose other cards (several card sets or pools)."""

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
    # offloads: most models fit only partly on these cards
    "one RTX 3060, 128 GB RAM": gpu_system("NVIDIA GeForce RTX 3060", 12.0, ram=128.0, available=120.0),
    "two RTX 3090, 256 GB RAM": gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=256.0, available=240.0, count=2),
}


def _every_model() -> list[object]:
    return list(profiles(CATALOG))[::3]  # a third of the catalog, every kind of model among it


@pytest.mark.parametrize("label", ONE_PLACE)
def test_a_lower_rung_in_place_is_run_modes_placement(label: str) -> None:
    system: System = ONE_PLACE[label]
    hw = resolve(system)
    query = parse_query({}, route="models")
    checked: dict[str, int] = {}
    for profile in _every_model():
        ladder = ladder_for("llamacpp", profile.native_quant)  # type: ignore[attr-defined]
        context = effective_context(profile.context_length, query.max_context)  # type: ignore[attr-defined]
        top = run_mode(profile, hw, ladder, context)  # type: ignore[arg-type]
        place = walk_in_place(profile, hw, top)  # type: ignore[arg-type]
        if not top.fits or (top.mode == "gpu" and len(hw.pools[0].subsets) > 1):
            continue
        assert place is not None, (label, top.mode)
        for quant in ladder[ladder.index(top.quant) + 1 :]:
            expected = run_mode(profile, hw, (quant,), context)  # type: ignore[arg-type]
            found = place(quant)
            if expected.fits and expected.mode == top.mode:
                assert found is not None and dataclasses.astuple(found) == dataclasses.astuple(expected)
                assert found.pool is expected.pool
                checked[top.mode] = checked.get(top.mode, 0) + 1
            else:
                assert found is None, (quant, expected.mode, top.mode)  # run_mode would move it: a walk ends
    assert sum(checked.values()) > 500, checked
    if "3060" in label or "3090" in label:
        assert checked.get("cpu_offload", 0) > 50 and checked.get("moe_offload", 0) > 50, checked


def test_no_shortcut_where_run_mode_chooses_other_cards() -> None:
    query = parse_query({}, route="models")
    two_cards = resolve(gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=64.0, available=50.0, count=2))
    seen = 0
    for profile in _every_model():
        ladder = ladder_for("llamacpp", profile.native_quant)  # type: ignore[attr-defined]
        context = effective_context(profile.context_length, query.max_context)  # type: ignore[attr-defined]
        top = run_mode(profile, two_cards, ladder, context)  # type: ignore[arg-type]
        if top.mode == "gpu":  # on one card or both: a lower rung may fit fewer
            assert walk_in_place(profile, two_cards, top) is None  # type: ignore[arg-type]
            seen += 1
    assert seen > 500

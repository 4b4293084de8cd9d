"""One model across hardware classes, and class digests (engine.fleetwide)."""

from __future__ import annotations

import dataclasses

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.engine.fleet import class_system
from fleetfit.engine.fleetwide import best_levels, digest, fit_model, profile_of, runs_at_least, why
from fleetfit.engine.query import FIT_ORDER, Query, parse_query, ranked, ranking

from tests.engine.systems import apple_system, cpu_system, gpu_system

CATALOG = load_bundled()
RTX = class_system(gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=50.0))
SMALL_CPU = class_system(cpu_system(8.0))
MAC = class_system(apple_system())


def test_profile_of_finds_a_model_by_exact_name_any_case() -> None:
    name = CATALOG.entries[0]["name"]
    profile = profile_of(CATALOG, name.upper())
    assert profile is not None and profile.name == name
    assert profile_of(CATALOG, "no-such/model-xyz") is None


@pytest.mark.parametrize("system", [RTX, SMALL_CPU, MAC])
def test_fit_model_is_the_rankings_answer_for_that_model(system: object) -> None:
    table = ranking(system, CATALOG, Query())  # type: ignore[arg-type]
    for fit in table.fits[:: len(table.fits) // 25]:
        one = fit_model(fit.profile, system, CATALOG)  # type: ignore[arg-type]
        assert (one.fit_level, one.placement.quant, one.estimated_tps, one.score) == (
            fit.fit_level,
            fit.placement.quant,
            fit.estimated_tps,
            fit.score,
        )


def test_fit_model_takes_the_listing_options() -> None:
    profile = profile_of(CATALOG, "openai/gpt-oss-20b") or profile_of(CATALOG, CATALOG.entries[0]["name"])
    assert profile is not None
    long = fit_model(profile, RTX, CATALOG, max_context=131072)
    short = fit_model(profile, RTX, CATALOG, max_context=2048)
    assert long.placement.kv_bytes > short.placement.kv_bytes
    forced = fit_model(profile, RTX, CATALOG, quant="Q8_0")
    assert forced.placement.quant == "Q8_0"


@pytest.mark.parametrize("system", [RTX, SMALL_CPU, MAC])
def test_digest_agrees_with_the_ranking(system: object) -> None:
    table = ranking(system, CATALOG, Query())  # type: ignore[arg-type]
    d = digest(table, CATALOG.version)
    assert d.models == len(CATALOG) and d.catalog_version == CATALOG.version
    for j, level in enumerate(("marginal", "good", "perfect")):
        assert d.at_least[j].bit_count() == table.count(Query(min_fit=level)), level
    assert d.at_least[2] & ~d.at_least[1] == 0 and d.at_least[1] & ~d.at_least[0] == 0  # perfect ⊂ good ⊂ marginal
    apple = table.apple
    for i, fit in enumerate(table.fits):  # bit i is catalog model i
        level = 0 if fit.profile.mlx_only and not apple else FIT_ORDER[fit.fit_level]
        assert [(mask >> i) & 1 for mask in d.at_least] == [int(level > j) for j in range(3)], fit.name
    total, top = ranked(system, CATALOG, parse_query({"limit": "10"}, route="top"))  # type: ignore[arg-type]
    assert list(d.top[:10]) == [f.profile.name for f in top]
    assert len(d.top) == min(50, total)


def test_best_levels_take_the_best_class_for_each_model() -> None:
    small = digest(ranking(SMALL_CPU, CATALOG, Query()), CATALOG.version)
    big = digest(ranking(RTX, CATALOG, Query()), CATALOG.version)
    alone = best_levels([small], len(CATALOG))
    both = best_levels([small, big], len(CATALOG))
    assert sum(alone.values()) == sum(both.values()) == len(CATALOG)
    assert both["too_tight"] <= alone["too_tight"]
    assert both["perfect"] >= max(alone["perfect"], best_levels([big], len(CATALOG))["perfect"])
    assert best_levels([], len(CATALOG)) == {"perfect": 0, "good": 0, "marginal": 0, "too_tight": len(CATALOG)}


def test_why_says_fit_place_quant_speed_and_memory() -> None:
    table = ranking(RTX, CATALOG, Query())
    fits = [f for f in table.fits if f.fit_level == "perfect" and f.placement.mode == "gpu"]
    text = why(fits[0])
    assert text.startswith("perfect fit, GPU (") and "tok/s" in text and fits[0].placement.quant in text
    tight = next(f for f in table.fits if f.fit_level == "too_tight")
    assert why(tight).startswith("does not fit")
    assert runs_at_least(fits[0], "good") and not runs_at_least(tight, "too_tight")


def _mixed(*cards: tuple[str, int, str]) -> object:
    first, *rest = cards
    extra = [{"name": n, "vram_gb": 23.99, "backend": b, "count": c, "unified_memory": False} for n, c, b in rest]
    return class_system(gpu_system(first[0], 23.99, first[1], backend=first[2], ram=128.0, extra_gpus=extra))


H100X8 = class_system(gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8, ram=2048.0))
PAIR = _mixed(("NVIDIA GeForce RTX 4090", 1, "CUDA"), ("NVIDIA GeForce RTX 3090", 1, "CUDA"))
TWO_AND_ONE = _mixed(("NVIDIA GeForce RTX 4090", 2, "CUDA"), ("NVIDIA GeForce RTX 3090", 1, "CUDA"))
CUDA_ROCM = _mixed(("NVIDIA GeForce RTX 4090", 1, "CUDA"), ("AMD Radeon RX 7900 XTX", 1, "ROCm"))
LLAMA_8B, LLAMA_70B = "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"

# (model, node, min_fit, replicas with their cards)
REPLICA_CASES = [
    (LLAMA_8B, H100X8, "marginal", [(i,) for i in range(8)]),  # fits one H100: eight on eight cards
    (LLAMA_70B, H100X8, "marginal", [(0, 1), (2, 3), (4, 5), (6, 7)]),  # Q8_0 with headroom takes two
    (LLAMA_8B, PAIR, "marginal", [(0,), (1,)]),  # one per card, the 4090 first
    (LLAMA_70B, PAIR, "marginal", [(0, 1)]),  # Q4_K_M across both
    (LLAMA_8B, TWO_AND_ONE, "marginal", [(0,), (1,), (2,)]),
    (LLAMA_8B, CUDA_ROCM, "marginal", [(0,), (1,)]),  # unlike backends: a replica on each
    (LLAMA_70B, RTX, "marginal", [(0,)]),  # offloads to RAM: the node's only replica
    (LLAMA_70B, RTX, "good", []),
    (LLAMA_8B, SMALL_CPU, "marginal", [()]),  # CPU only: one, on no card
    (LLAMA_70B, MAC, "marginal", [(0,)]),  # unified memory: one
]


@pytest.mark.parametrize(("name", "system", "min_fit", "expected"), REPLICA_CASES)
def test_replica_capacity_is_the_disjoint_card_sets_that_each_hold_one(
    name: str, system: object, min_fit: str, expected: list[tuple[int, ...]]
) -> None:
    from fleetfit.engine.fleetwide import replicas_on

    profile = profile_of(CATALOG, name)
    assert profile is not None
    found = replicas_on(profile, system, CATALOG, min_fit=min_fit)  # type: ignore[arg-type]
    assert [r.cards for r in found] == expected
    assert len({r.fit.placement.quant for r in found}) <= 1  # one file serves a node's replicas
    assert all(runs_at_least(r.fit, min_fit) for r in found)
    if expected:
        assert found[0].fit.as_json() == fit_model(profile, system, CATALOG).as_json()  # type: ignore[arg-type]


def test_replica_limit_stops_early() -> None:
    from fleetfit.engine.fleetwide import replicas_on

    profile = profile_of(CATALOG, LLAMA_8B)
    assert profile is not None
    assert [r.cards for r in replicas_on(profile, H100X8, CATALOG, limit=3)] == [(0,), (1,), (2,)]  # type: ignore[arg-type]


def test_leaders_are_the_models_that_lead_the_most_fresh_nodes() -> None:
    from fleetfit.engine.fleetwide import Digest, leaders

    def d(*top: str, variants: tuple[int, ...] = ()) -> Digest:
        return Digest(catalog_version="v", models=10, at_least=(b"", b"", b""), top=top, variants=variants)

    rows = leaders(
        [
            (d("a/x", "a/y", "a/z", "a/w", "a/v", "a/sixth", variants=(3, 1, 1, 1, 1, 1)), 10),
            (d("a/y", "a/x"), 2),
            (d("a/q"), 0),  # a class whose nodes are all stale leads nobody
        ]
    )
    assert [(r["name"], r["nodes"], r["classes"], r["best_rank"]) for r in rows[:2]] == [
        ("a/x", 12, 2, 1),
        ("a/y", 12, 2, 1),
    ]
    assert rows[0]["variants"] == 3 and "a/sixth" not in {r["name"] for r in rows}  # top 5 of each class only
    assert rows[-1]["name"] == "a/q" and rows[-1]["nodes"] == 0
    assert len(leaders([(d(*(f"m/{i}" for i in range(5))), 1) for _ in range(3)], limit=3)) == 3


@pytest.mark.parametrize("system", [RTX, SMALL_CPU, MAC])
def test_the_leading_groups_are_the_first_of_the_whole_fold(system: object) -> None:
    """Ranking.leading (a digest's top rows) without folding every group gives the fold's first rows and its
    count, for the default top list, a listing that keeps too-tight rows, a use case that shows narrow models,
    one runtime and a minimum level."""
    for query in (
        Query(route="top", group="base"),
        Query(group="base", include_too_tight=True),
        Query(route="top", group="base", use_case="Embedding"),
        Query(group="base", runtime="mlx", min_fit="good"),
    ):
        table = ranking(system, CATALOG, Query())  # type: ignore[arg-type]
        table.groups.clear()  # not from the memo
        for n in (0, 1, 7, 50, 10**6):
            fresh = dataclasses.replace(table, orders={}, groups={}, counts={})
            shown, total = fresh.leading(query, n)
            whole = table.grouped(query)
            assert [(f.name, c) for f, c in shown] == [(f.name, c) for f, c in whole[:n]], (query, n)
            assert total == len(whole)
            table.groups.clear()

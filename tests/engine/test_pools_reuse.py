"""An analysis that read only the node's GPU pools (Fit.pools_only) is reused for a node of another hardware
class with the same cards (analyze_all): the answers are byte for byte those of a process that never saw the
first node, over the whole catalog, and it is reused only where the node's RAM and CPU cannot matter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import Node, System
from fleetfit.engine import analyze as analyze_module
from fleetfit.engine import parse_query
from fleetfit.engine.analyze import analyze, analyze_all, forget_pools_analyses
from fleetfit.engine.devices import resolve
from fleetfit.engine.query import analysis_options, envelope_json, forget_rankings, profiles

from .systems import apple_system, gpu_system

NODE = Node(name="reuse-node", os="linux")
RTX_3090 = {"name": "NVIDIA GeForce RTX 3090", "vram_gb": 23.99, "backend": "CUDA", "count": 1}


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    forget_pools_analyses()
    forget_rankings()
    yield
    forget_pools_analyses()
    forget_rankings()


def _listing(system: System) -> str:
    catalog = load_bundled()
    return envelope_json(system, catalog, parse_query({"group": "none"}, route="models"), NODE)


# (first node, a node with the same cards but other RAM and CPU)
PAIRS = {
    "4090, 64 GB -> 16 GB and a small CPU": (
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0),
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=16.0, cpu="Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", cores=4),
    ),
    "3060, 32 GB -> 128 GB": (
        gpu_system("NVIDIA GeForce RTX 3060", 12.0, ram=32.0),
        gpu_system("NVIDIA GeForce RTX 3060", 12.0, ram=128.0, cpu="AMD EPYC 9654", cores=96),
    ),
    "4090 + 3090, 128 GB -> 48 GB": (
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=128.0, extra_gpus=[RTX_3090]),
        gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=48.0, extra_gpus=[RTX_3090]),
    ),
}


@pytest.mark.parametrize("pair", list(PAIRS), ids=list(PAIRS))
def test_a_node_with_the_same_cards_gets_the_answer_a_fresh_process_gives(pair: str) -> None:
    first, second = PAIRS[pair]
    fresh = _listing(second)  # nothing kept from another node
    forget_pools_analyses()
    forget_rankings()
    _listing(first)
    catalog = load_bundled()
    held = analyze_module._held_for(resolve(second), analysis_options(catalog))
    assert len(held) > 1000  # the first node's pools-only analyses are there to reuse
    forget_rankings()  # the second node's ranking is built again, from them
    assert _listing(second) == fresh


def test_only_analyses_that_cannot_read_ram_or_cpu_are_marked_pools_only() -> None:
    """For every model: a pools-only analysis is the same at 8 GB and at 1 TB of RAM, with any CPU."""
    catalog = load_bundled()
    options = analysis_options(catalog)
    small = resolve(gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=8.0, cpu="Cortex-A76", cores=4))
    large = resolve(gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=1024.0, cpu="AMD EPYC 9654", cores=96))
    chosen = profiles(catalog)[::5]
    marked = unmarked = 0
    for profile, on_small in zip(chosen, analyze_all(chosen, small, options), strict=True):
        on_large = analyze(profile, large, options)
        if on_small.pools_only:
            marked += 1
            assert on_large.pools_only, profile.name
            assert (on_small.placement, on_small.tps, on_small.score, on_small.usable, on_small.traded) == (
                on_large.placement,
                on_large.tps,
                on_large.score,
                on_large.usable,
                on_large.traded,
            ), profile.name
        else:
            unmarked += 1
            assert on_small.placement.mode != "gpu" or profile.moe, profile.name
    assert marked > 1000 and unmarked > 50  # both kinds occur, so both branches are checked


def test_nodes_without_a_gpu_or_with_other_cards_share_nothing() -> None:
    catalog = load_bundled()
    options = analysis_options(catalog)
    _listing(gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0))
    other_cards = resolve(gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=64.0))
    assert analyze_module._held_for(other_cards, options) == {}
    mac = apple_system("Apple M3 Max", 64.0)
    _listing(mac)
    bigger_mac = resolve(apple_system("Apple M3 Max", 128.0))  # unified memory: the pool is the RAM
    assert analyze_module._held_for(bigger_mac, options) == {}


def test_only_the_last_few_pool_sets_are_kept() -> None:
    catalog = load_bundled()
    options = analysis_options(catalog)
    systems = [gpu_system("NVIDIA GeForce RTX 4090", 23.99, count) for count in range(1, analyze_module.POOLS_KEPT + 3)]
    for system in systems:
        analyze_module._held_for(resolve(system), options)["marker"] = None  # type: ignore[index]
    assert len(analyze_module._BY_POOLS) == analyze_module.POOLS_KEPT
    assert "marker" not in analyze_module._held_for(resolve(systems[0]), options)  # the oldest went first
    assert "marker" in analyze_module._held_for(resolve(systems[-1]), options)

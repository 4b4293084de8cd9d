"""One model across a fleet's hardware classes, and a class's digest of the whole catalog. Pure.

The fleet routes evaluate each hardware class once, as its representative System (`fleet.class_system`),
and reuse the answer for every node of the class. They need two things per class:

- `fit_model`: one catalog model on one class — a single `analyze` (tens of microseconds), so "which nodes
  run model X", placement and compare never rank the whole catalog;
- `replicas_on`: how many replicas of a model one node of the class holds, each on its own cards;
- `digest`: what the class's full ranking tells the fleet summary and compare, small enough to keep for
  every class: one bitmask over the catalog per fit level (bit i: the i-th catalog model runs at that level
  or better) and the best runnable models by score. OR-ing the masks of a fleet's classes tells how many
  catalog models at least one class runs at each level (`best_levels`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

from fleetfit.catalog import Catalog
from fleetfit.contract import RUN_MODE_LABELS, Node, System
from fleetfit.engine.analyze import Fit, analyze
from fleetfit.engine.devices import resolve, without_cards
from fleetfit.engine.memory import GIB
from fleetfit.engine.prefill import PROMPT_TOKENS
from fleetfit.engine.profile import ModelProfile, build_profile
from fleetfit.engine.quants import DEFAULT_KV_CACHE
from fleetfit.engine.query import FIT_ORDER, Query, Ranking, analysis_options, envelope_head

# Levels a model can run at, worst first; a digest keeps one mask per level ("at least this level").
RUN_LEVELS = ("marginal", "good", "perfect")
# Runnable models kept per class, best score first (compare's `limit` is at most this).
TOP_N = 50


def profile_of(catalog: Catalog, name: str) -> ModelProfile | None:
    """The profile of the catalog model `name` (exact, any case, or an alias: `Catalog.find`). Built alone
    (its physics shared with any twin already built), so answering one model never profiles the catalog."""
    entry = catalog.find(name)
    return None if entry is None else build_profile(entry)


def fit_model(
    profile: ModelProfile,
    system: System,
    catalog: Catalog,
    *,
    max_context: int | None = None,
    quant: str | None = None,
    kv_quant: str = DEFAULT_KV_CACHE,
    prompt_tokens: int = PROMPT_TOKENS,
) -> Fit:
    """One model on one System (a hardware class's representative), with the listing routes' options."""
    return analyze(profile, resolve(system), analysis_options(catalog, max_context, quant, kv_quant, prompt_tokens))


def fit_models(profiles: list[ModelProfile], system: System, catalog: Catalog) -> list[Fit]:
    """Several models on one System, its devices resolved once (the fleet matrix: a row of cells)."""
    hw, options = resolve(system), analysis_options(catalog, None, None)
    return [analyze(profile, hw, options) for profile in profiles]


@dataclass(frozen=True, slots=True)
class Replica:
    """One replica of a model on a node: the cards it runs on and how it runs there."""

    cards: tuple[int, ...]  # the node's card indices (0-based, in the order it lists them); () on the CPU
    fit: Fit


def replicas_on(
    profile: ModelProfile,
    system: System,
    catalog: Catalog,
    *,
    max_context: int | None = None,
    quant: str | None = None,
    min_fit: str = "marginal",
    limit: int = 64,
    kv_quant: str = DEFAULT_KV_CACHE,
    prompt_tokens: int = PROMPT_TOKENS,
) -> list[Replica]:
    """A node's capacity for a model: disjoint card sets that each hold one replica at `min_fit` or better.

    The best placement first (run_mode: the fastest card set holding the best quant), then the same on the
    cards left, at the first replica's quant, while a replica still fits entirely on GPUs: 8 replicas of a
    model that fits one H100 on an 8x H100 node; a 4090 + 3090 node holds an 8B twice (one per card) and a
    70B Q4_K_M once (across both). A replica that offloads to system RAM, runs on the CPU or on unified
    memory shares the host with any other, so it is the node's only one.
    """
    hw = resolve(system)
    options = analysis_options(catalog, max_context, quant, kv_quant, prompt_tokens)
    out: list[Replica] = []
    while len(out) < limit:
        fit = analyze(profile, hw, options)
        placement = fit.placement
        pool = placement.pool
        on_gpus = placement.mode == "gpu" and pool is not None and not pool.unified
        if not runs_at_least(fit, min_fit) or (out and not on_gpus):
            break
        out.append(Replica(pool.cards if pool is not None and placement.mode != "cpu_only" else (), fit))
        if not on_gpus or pool is None:
            break
        hw = without_cards(hw, pool.cards)
        if not hw.pools:
            break
        if options.quant is None:  # replicas of one node share a quant: the same file serves them all
            options = analysis_options(catalog, max_context, placement.quant, kv_quant, prompt_tokens)
    return out


def runs_at_least(fit: Fit, level: str) -> bool:
    """The model runs here (hidden MLX-only models never do off Apple) at `level` or better."""
    return fit.fit_level != "too_tight" and FIT_ORDER[fit.fit_level] >= FIT_ORDER[level]


@dataclass(frozen=True, slots=True)
class Digest:
    """A class's ranking of one catalog, reduced to what fleet-wide answers read."""

    catalog_version: str
    models: int  # catalog size: bit positions run 0..models-1 in catalog order
    at_least: tuple[int, ...]  # per RUN_LEVELS: bitmask of the models that run at that level or better
    top: tuple[str, ...]  # runnable models, best score first, one per variant group (TOP_N at most)
    variants: tuple[int, ...] = ()  # per top model: rows of its variant group it stands for (empty: unknown)
    top_total: int | None = None  # what the default /top counts: variant groups that run (None: unknown)


# Per RUN_LEVELS: a level byte -> b"1" where it is that level or better, b"0" below (bytes.translate tables).
_AT_LEAST = tuple(bytes(ord("1") if level > j else ord("0") for level in range(256)) for j in range(len(RUN_LEVELS)))


_LEVEL = attrgetter("fit_level")


def digest(ranking: Ranking, catalog_version: str, top_n: int = TOP_N) -> Digest:
    """Reduce a full ranking (`query.ranking` with default options; fits in catalog order) to a Digest."""
    size = len(ranking.fits)
    # One byte per model, its level (too_tight 0, marginal 1, good 2, perfect 3; an MLX-only build off Apple
    # is too_tight, analyze's rule); each mask is the models at that level or better, model i at bit i.
    levels = bytes(map(FIT_ORDER.__getitem__, map(_LEVEL, ranking.fits)))
    at_least = tuple(int(levels.translate(table)[::-1] or b"0", 2) for table in _AT_LEAST)
    best, groups = ranking.leading(Query(route="top", group="base"), top_n)
    return Digest(
        catalog_version=catalog_version,
        models=size,
        at_least=at_least,
        top=tuple(fit.profile.name for fit, _ in best),
        variants=tuple(n for _, n in best),
        top_total=groups,
    )


def best_levels(digests: Iterable[Digest], models: int) -> dict[str, int]:
    """How many of the catalog's `models` the best class runs at each level (too_tight: no class runs it)."""
    union = [0] * len(RUN_LEVELS)
    for d in digests:
        for j, mask in enumerate(d.at_least):
            union[j] |= mask
    at_least = [mask.bit_count() for mask in union]  # marginal-or-better, good-or-better, perfect
    return {
        "perfect": at_least[2],
        "good": at_least[1] - at_least[2],
        "marginal": at_least[0] - at_least[1],
        "too_tight": models - at_least[0],
    }


LEADERS_PER_CLASS = 5  # a class "leads with" the models of its default /models/top (llmfit's default limit: 5)


def leaders(classes: Iterable[tuple[Digest, int]], limit: int = 10) -> list[dict[str, Any]]:
    """What the fleet runs best: the models in the default top list of the most fresh nodes. `classes` pairs
    each evaluated class's digest with its fresh nodes; a digest's top is one row per variant group, so
    each model here stands for its group. Ordered by nodes led, then the best rank reached, then name."""
    found: dict[str, dict[str, Any]] = {}
    for d, nodes in classes:
        for rank, name in enumerate(d.top[:LEADERS_PER_CLASS], start=1):
            row = found.setdefault(name, {"name": name, "variants": None, "nodes": 0, "classes": 0, "best_rank": rank})
            row["nodes"] += nodes
            row["classes"] += 1
            row["best_rank"] = min(row["best_rank"], rank)
            if rank <= len(d.variants):
                row["variants"] = d.variants[rank - 1]
    return sorted(found.values(), key=lambda r: (-r["nodes"], r["best_rank"], r["name"]))[:limit]


def why(fit: Fit) -> str:
    """One line on how the model runs here: fit, where, quant, speed, memory."""
    placement = fit.placement
    pool = placement.pool
    where = RUN_MODE_LABELS[placement.mode]
    if pool is not None and placement.mode != "cpu_only":
        where += f" ({pool.label})"
    need, have = placement.required_bytes / GIB, placement.available_bytes / GIB
    share = f" ({100 * need / have:.0f} %)" if have > 0 else ""
    if fit.fit_level == "too_tight":
        return f"does not fit: {where} at {placement.quant} needs {need:.1f} GB, {have:.1f} GB available"
    return (
        f"{fit.fit_level.replace('_', ' ')} fit, {where} at {placement.quant}: ~{fit.estimated_tps:.1f} tok/s, "
        f"{need:.1f} of {have:.1f} GB{share}"
    )


def top_envelope_json(
    system: System, evaluate_as: System, catalog: Catalog, found: Digest, query: Query, node: Node
) -> str:
    """The default `/models/top` envelope of a class, from its digest: the digest's top models are analysed
    alone (a handful of `analyze` calls) instead of ranking the catalog. Same bytes as `query.envelope_json`
    for the default top query (the digest's order and count are that query's)."""
    names = found.top if query.limit is None else found.top[: query.limit]
    counts = found.variants or (1,) * len(found.top)
    page = [
        replace(fit_model(p, evaluate_as, catalog), variants=v)
        for p, v in zip((profile_of(catalog, n) for n in names), counts, strict=False)
        if p is not None
    ]
    total = found.top_total if found.top_total is not None else found.at_least[0].bit_count()
    head = envelope_head(system, catalog, query, node, total, len(page))
    return head + ",".join(fit.as_json() for fit in page) + "]}"

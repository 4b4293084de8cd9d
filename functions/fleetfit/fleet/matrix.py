"""The fleet matrix (the dashboard's first view): hardware classes x models, one short cell each, and the
catalog look-up behind the dashboard's autocomplete.

The model set is chosen once per request, from what the fleet already knows: by default the models that
lead the most fresh nodes (their class digests' top lists, as the summary's `best_models`), then the rest of
those lists rank by rank; `use_case` keeps the models of one use case; `search` takes catalog models whose
name contains the text instead. Each cell is one `fit_model` per (class, model): tens of microseconds, so a
100-class, 50-model matrix costs a fraction of a second. Cells carry only fit, speed, quant and run mode;
the full Model object (with its notes) is a node model route away.
"""

from __future__ import annotations

from typing import Any

from fleetfit.fleet.service import Fleet, _class_ref

MAX_TOP = 50
DEFAULT_TOP = 12
# A class digest not yet computed (its first ingest computes it) costs about half a second: a matrix request
# computes at most this long's worth and counts the rest as pending, so the page stays interactive.
DIGEST_BUDGET_S = 1.0


def _matches(catalog: Any, text: str) -> list[Any]:
    """Catalog entries whose name (or the part after the org) contains `text`, any case: names that start
    with it first, then first-party repos, then by downloads."""
    wanted = text.strip().lower()
    found = []
    for entry in catalog:
        name = entry["name"].lower()
        base = name.rsplit("/", 1)[-1]
        if wanted in name:
            starts = base.startswith(wanted) or name.startswith(wanted)
            found.append((not starts, not entry.get("first_party", False), -(entry.get("downloads") or 0), name, entry))
    found.sort(key=lambda row: row[:4])
    return [row[4] for row in found]


def catalog_search(catalog: Any, text: str, limit: int) -> dict[str, Any]:
    """`GET /api/v1/catalog/models?q=`: the autocomplete list (names and a few facts, nothing computed)."""
    entries = _matches(catalog, text)
    return {
        "catalog_version": catalog.version,
        "q": text,
        "total": len(entries),
        "models": [
            {
                "name": e["name"],
                "provider": e.get("provider"),
                "parameter_count": e.get("parameter_count"),
                "use_case": e.get("category"),
            }
            for e in entries[:limit]
        ],
    }


def _fleet_order(fleet: Fleet, classes: list[Any], stale: dict[str, int]) -> tuple[list[str], int]:
    """Model names as the fleet ranks them: leaders first (nodes led), then every class's digest top list,
    rank by rank. Classes without a digest at hand are computed within DIGEST_BUDGET_S; the rest are counted
    as pending (and computed by later requests)."""
    live = [cls for cls in classes if cls.nodes > min(stale.get(cls.hw_class, 0), cls.nodes)]
    found = fleet.digests_within(live, min(fleet.eval_budget_s, DIGEST_BUDGET_S))
    digests, fresh, pending = [], [], 0
    for cls in live:
        digest = found.get(cls.hw_class)
        if digest is None:
            pending += 1
            continue
        digests.append(digest)
        fresh.append(cls.nodes - min(stale.get(cls.hw_class, 0), cls.nodes))
    names: list[str] = []
    if fleet.engine.leaders is not None:
        names = [row["name"] for row in fleet.engine.leaders(list(zip(digests, fresh, strict=True)), 10**6)]
    depth = max((len(d.top) for d in digests), default=0)
    for rank in range(depth):
        names.extend(d.top[rank] for d in digests if rank < len(d.top))
    return list(dict.fromkeys(names)), pending


def matrix(
    fleet: Fleet,
    *,
    top: int = DEFAULT_TOP,
    use_case: str | None = None,
    search: str | None = None,
    rows: str = "class",
    limit: int = 200,
    token: str | None = None,
) -> dict[str, Any]:
    """Classes (or a page of nodes) x the chosen models. `use_case` is a catalog category (``Coding``)."""
    catalog = fleet.catalog
    classes = [c for c in fleet.store.classes(digests=True) if c.nodes > 0]
    stale = fleet.stale_counts()
    pending = 0
    if search:
        entries = _matches(catalog, search)
        if use_case:
            entries = [e for e in entries if e.get("category") == use_case]
        names = [e["name"] for e in entries]
    else:
        names, pending = _fleet_order(fleet, classes, stale)
        if use_case:
            names = [n for n in names if (catalog.find(n) or {}).get("category") == use_case]
        if len(names) < top:  # a small fleet or a rare use case: fill from the catalog by downloads
            extra = sorted(
                (e for e in catalog if not use_case or e.get("category") == use_case),
                key=lambda e: (not e.get("first_party", False), -(e.get("downloads") or 0), e["name"]),
            )
            names = list(dict.fromkeys(names + [e["name"] for e in extra[: top * 2]]))
    profiles = [p for p in (fleet.engine.profile_of(catalog, n) for n in names[:top]) if p is not None]
    cells = []
    engine = fleet.engine
    for cls in classes:
        row = []
        if engine.fit_models is not None:
            fits = engine.fit_models(profiles, cls.system, catalog)
        else:
            fits = [engine.fit_model(p, cls.system, catalog) for p in profiles]
        for fit in fits:
            row.append(
                {
                    "fit": fit.fit_level,
                    "tps": round(fit.estimated_tps, 1),
                    "quant": fit.placement.quant,
                    "mode": fit.placement.mode,
                }
            )
        cells.append(row)
    class_rows = []
    for cls in classes:
        example = fleet.store.nodes_in_class(cls.hw_class, limit=1).items
        class_rows.append(
            {
                **_class_ref(cls),
                "stale_nodes": min(stale.get(cls.hw_class, 0), cls.nodes),
                "cpu_name": cls.system.cpu_name,
                "example_node": example[0].node_id if example else None,
            }
        )
    answer: dict[str, Any] = {
        "catalog_version": catalog.version,
        "rows": rows,
        "selection": {"top": top, "use_case": use_case, "search": search},
        "models": [
            {
                "name": p.name,
                "provider": p.entry.get("provider"),
                "parameter_count": p.entry.get("parameter_count"),
                "use_case": p.entry.get("category"),
            }
            for p in profiles
        ],
        "classes": class_rows,
        "cells": cells,
        "pending_classes": pending,
        "nodes": None,
        "next_token": None,
    }
    if rows == "node":
        index = {cls.hw_class: i for i, cls in enumerate(classes)}
        page = fleet.store.list_nodes(limit=limit, token=token)
        answer["nodes"] = [
            {
                "node_id": rec.node_id,
                "hostname": rec.hostname,
                "stale": fleet.is_stale(rec),
                "last_seen": rec.collected_at,
                "class_index": index.get(rec.hw_class),
            }
            for rec in page.items
        ]
        answer["next_token"] = page.next_token
    return answer

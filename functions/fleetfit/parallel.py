"""Full-catalog listings on several cores: fork workers that each analyse a share of the catalog.

The engine is pure and single-threaded; this adapter only splits the catalog (whole variant groups to one
worker), lets each forked worker analyse, filter, order, fold (query.fold) and serialise its share, and
merges the (sort key, JSON) pairs in the parent: a grouped listing serialises only the rows it shows. Used
by the CLI for large listings on Linux; anywhere else, or for small jobs, the plain engine call runs instead.
"""

from __future__ import annotations

import heapq
import os
import pickle
import sys
from operator import itemgetter
from typing import Any

from fleetfit.catalog import Catalog
from fleetfit.contract import Node, System
from fleetfit.engine import prepared
from fleetfit.engine.analyze import Options, analyze_all
from fleetfit.engine.devices import Hardware, resolve
from fleetfit.engine.profile import build_profile
from fleetfit.engine.query import (
    Query,
    _wanted,
    analysis_options,
    envelope_head,
    envelope_json,
    fold,
    group_of,
    keeper,
    order_key,
)

# Below this many models one process is faster than forking.
MIN_MODELS_PER_WORKER = 2000
MAX_WORKERS = 8


def default_workers() -> int:
    configured = os.environ.get("FLEETFIT_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, available))


Row = tuple[tuple[Any, ...], str]  # (sort key, Model object JSON)


def shares(catalog: Catalog, count: int) -> list[list[int]]:
    """Catalog indexes for each of `count` workers, every variant group whole in one share (so a worker folds
    its own groups as the engine folds the catalog's), each share in catalog order. Each group goes, largest
    first, to the share with the fewest models so far: equal parts (to a model) from all along the catalog,
    whose cost is not spread evenly along it (2 workers, every row: 403 ms with consecutive runs of groups,
    394 ms so; median of 6)."""
    groups: dict[str, list[int]] = {}
    for index, entry in enumerate(catalog.entries):
        groups.setdefault(entry.get("group") or entry["name"], []).append(index)
    out: list[list[int]] = [[] for _ in range(count)]
    smallest = [(0, k) for k in range(count)]  # (models so far, share): a heap
    for members in sorted(groups.values(), key=len, reverse=True):  # stable: ties in catalog order
        size, k = heapq.heappop(smallest)
        out[k].extend(members)
        heapq.heappush(smallest, (size + len(members), k))
    return [sorted(share) for share in out]


def _share_rows(catalog: Catalog, indexes: list[int], hw: Hardware, options: Options, query: Query) -> list[Row]:
    """The rows of one share as the engine lists them (filters, order, groups folded), before the page limit."""
    shipped = prepared.profiles_of(catalog.invariants, catalog, indexes) if catalog.invariants else None
    chosen = shipped if shipped is not None else [build_profile(catalog.entries[i]) for i in indexes]
    key = order_key(query)
    fits = analyze_all([p for p in chosen if _wanted(p, query, hw.apple)], hw, options)
    kept = keeper(query)
    ranked = sorted(((key(fit), fit) for fit in fits if kept(fit)), key=itemgetter(0))
    if query.group != "base":
        return [(k, fit.as_json()) for k, fit in ranked]
    # One row per variant group (query.folded); "variants" is the Model object's last field.
    shown = fold((group_of(fit.profile), group_of(fit.profile) == fit.name) for _, fit in ranked)
    return [(ranked[i][0], ranked[i][1].as_json()[:-1] + f',"variants":{n}}}') for i, n in shown]


def _fork_worker(catalog: Catalog, indexes: list[int], hw: Hardware, options: Options, query: Query) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # worker: compute, write one pickle, exit without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            rows = _share_rows(catalog, indexes, hw, options, query)
            with os.fdopen(write_end, "wb") as out:  # streamed: no second copy of the rows in memory
                pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def envelope_json_pieces(
    system: System, catalog: Catalog, query: Query, node: Node, workers: int | None = None
) -> list[str]:
    """The envelope's JSON as pieces to write one after another (a full listing is ~20 MB: joined and then
    encoded at once, it would be held three times over)."""
    count = workers or default_workers()
    count = min(count, len(catalog) // MIN_MODELS_PER_WORKER)
    if count <= 1 or not hasattr(os, "fork") or sys.platform != "linux" or query.force_runtime is not None:
        return [envelope_json(system, catalog, query, node)]  # a forced runtime is checked and filtered there
    hw = resolve(system)
    options = analysis_options(catalog, query.max_context, query.quant, query.kv_quant, query.prompt_tokens)
    # Workers build their share's profiles and compute in parallel; the parent reads each pipe in turn (a worker
    # writes only once done).
    children = [_fork_worker(catalog, share, hw, options, query) for share in shares(catalog, count)]
    rows: list[Row] = []
    failed = False
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as source:
            try:
                part: list[Row] | None = pickle.load(source)
            except (EOFError, ValueError, pickle.UnpicklingError):  # the worker died before or while writing
                part = None
        _, status = os.waitpid(pid, 0)
        if status != 0 or part is None:
            failed = True
            continue
        rows.extend(part)
    if failed:
        return [envelope_json(system, catalog, query, node)]
    rows.sort(key=itemgetter(0))  # sort keys end in the model's name, unique in a catalog: one order
    page = rows if query.limit is None else rows[: query.limit]
    pieces = [envelope_head(system, catalog, query, node, len(rows), len(page))]
    for i, (_, text) in enumerate(page):
        if i:
            pieces.append(",")
        pieces.append(text)
    pieces.append("]}")
    return pieces

"""Full-catalog listings on several cores: fork workers that each analyse a slice of the catalog.

The engine is pure and single-threaded; this adapter only splits the catalog, lets each forked worker
analyse, filter and serialise its slice, and merges the (sort key, JSON) pairs in the parent. Used by the
CLI for large listings on Linux; anywhere else, or for small jobs, the plain engine call runs instead.
"""

from __future__ import annotations

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
    keep,
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


Row = tuple[tuple[Any, ...], str, str, bool]  # (sort key, Model object JSON, variant group, is its representative)


def _slice_rows(catalog: Catalog, lo: int, hi: int, hw: Hardware, options: Options, query: Query) -> list[Row]:
    key = order_key(query)
    chosen = [build_profile(entry) for entry in catalog.entries[lo:hi]]
    if catalog.invariants:
        prepared.apply(catalog.invariants, catalog, chosen, first=lo)  # this slice's share of them
    wanted = (p for p in chosen if _wanted(p, query, hw.apple))
    return [
        (key(fit), fit.as_json(), group_of(fit.profile), group_of(fit.profile) == fit.name)
        for fit in analyze_all(wanted, hw, options)
        if keep(fit, query)
    ]


def _fork_worker(catalog: Catalog, lo: int, hi: int, hw: Hardware, options: Options, query: Query) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # worker: compute, write one pickle, exit without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            rows = _slice_rows(catalog, lo, hi, hw, options, query)
            with os.fdopen(write_end, "wb") as out:  # streamed: no second copy of the rows in memory
                pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def envelope_json_parallel(
    system: System, catalog: Catalog, query: Query, node: Node, workers: int | None = None
) -> str:
    count = workers or default_workers()
    count = min(count, len(catalog) // MIN_MODELS_PER_WORKER)
    if count <= 1 or not hasattr(os, "fork") or sys.platform != "linux" or query.force_runtime is not None:
        return envelope_json(system, catalog, query, node)  # a forced runtime is checked and filtered there
    hw = resolve(system)
    options = analysis_options(catalog, query.max_context, query.quant, query.kv_quant, query.prompt_tokens)
    bounds = [len(catalog) * i // count for i in range(count + 1)]
    # Workers build their slice's profiles and compute in parallel; the parent reads each pipe in turn (a worker
    # writes only once done).
    children = [_fork_worker(catalog, lo, hi, hw, options, query) for lo, hi in zip(bounds, bounds[1:], strict=False)]
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
        return envelope_json(system, catalog, query, node)
    rows.sort(key=itemgetter(0))
    texts = [row[1] for row in rows]
    if query.group == "base":  # one row per variant group; "variants" is the Model object's last field
        texts = [texts[i][:-1] + f',"variants":{n}}}' for i, n in fold((row[2], row[3]) for row in rows)]
    page = texts if query.limit is None else texts[: query.limit]
    head = envelope_head(system, catalog, query, node, len(texts), len(page))
    return head + ",".join(page) + "]}"

"""The process heap of a long-lived API process: rankings kept out of the cyclic garbage collector's passes."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """After a ranking was built: collect this request's cyclic garbage, then freeze what is left out of the
    cyclic collector (gc.freeze). A ranking is ~10^5 long-lived, acyclic objects (freed by reference counting
    when the LRU drops it); otherwise every full collection walks every ranking kept: POST /api/v1/fit for 24
    never-seen classes in turn had a p90 of 357-449 ms, 182-186 with this (p50 ~160 either way, same runs)."""
    gc.collect()
    gc.freeze()

"""Hardware class: one fingerprint for every node whose System the fit engine would treat alike.

Fleets are mostly a few dozen configurations repeated many times; the stores index nodes by this
fingerprint so that "nodes of class K" is one index query. It hashes the System fields the engine reads,
with available RAM bucketed so that noise does not split a class. Changing the recipe changes every class:
bump ``CLASS_VERSION`` (the prefix) and nodes move to their new class as they next report.
"""

from __future__ import annotations

import hashlib
import json

from fleetfit.contract import System

CLASS_VERSION = "hc1"
AVAILABLE_RAM_BUCKET_GB = 4.0  # available RAM moves by a few GiB between runs; 4 GiB buckets absorb that


def hardware_class(system: System) -> str:
    gpus = sorted(
        (
            g.name.strip().lower(),
            round(g.vram_gb, 1),
            g.count,
            g.backend,
            g.unified_memory,
            g.memory_bandwidth_gbps,
        )
        for g in system.gpus
    )
    facts = {
        "backend": system.backend,
        "unified": system.unified_memory,
        "cpu": system.cpu_name.strip().lower(),
        "cores": system.cpu_cores,
        "ram": round(system.total_ram_gb),
        "avail": int(system.available_ram_gb // AVAILABLE_RAM_BUCKET_GB),
        "ram_bw": system.ram_bandwidth_gbps,
        "gpus": gpus,
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{CLASS_VERSION}-{digest[:20]}"

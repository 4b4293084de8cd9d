"""Hardware classes a warm process has not seen, made from a sample System (fleetfit.store.samples): the same
cards with more RAM (analyses that read only the cards are reused), or cards with a little less memory
(never seen: everything is analysed)."""

from __future__ import annotations

from fleetfit.contract import System


def more_ram(system: System, gb: float) -> System:
    """`system` with `gb` more RAM, total and available."""
    return system.model_copy(
        update={"total_ram_gb": system.total_ram_gb + gb, "available_ram_gb": system.available_ram_gb + gb}
    )


def less_vram(system: System, gb: float) -> System:
    """`system` with every card `gb` smaller (and no free-memory reading, which the smaller card would break)."""
    gpus = [g.model_copy(update={"vram_gb": g.vram_gb - gb, "free_vram_gb": None}) for g in system.gpus]
    return system.model_copy(update={"gpus": gpus, "gpu_vram_gb": sum(g.vram_gb * g.count for g in gpus)})

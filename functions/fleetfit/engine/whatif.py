"""What-if hardware: a copy of a node's System with RAM, GPU memory or CPU cores changed (llmfit's ram_gb,
vram_gb and cpu_cores), to be analysed like any other System. Pure: the node's own System is never changed.

- ram_gb: total RAM; available RAM keeps the node's free share (llmfit assumes 90 % free; a node that
  reported 41 of 62 GiB free keeps 66 %). On unified memory the GPU's memory is the RAM, so it follows.
- vram_gb: memory of one card of the primary GPU model (the one the System names, as llmfit's --memory);
  every card of that model gets it. A node without a GPU gains one "User-specified GPU" of the CPU's
  backend family (CUDA, or Metal on Apple), which the engine prices as an unknown card (low-end bandwidth).
  0 removes the GPUs: the same machine CPU-only. Unified memory has no separate GPU memory: refused.
- cpu_cores: logical cores (decode threads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fleetfit.contract import MAX_CPU_CORES, MAX_RAM_GB, MAX_VRAM_GB, System

USER_GPU = "User-specified GPU"


class WhatIfError(ValueError):
    """A what-if value is bad or cannot apply to this System; the message names the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class WhatIf:
    ram_gb: float | None = None
    vram_gb: float | None = None
    cpu_cores: int | None = None

    def __bool__(self) -> bool:
        return self.ram_gb is not None or self.vram_gb is not None or self.cpu_cores is not None


def parse_number(param: str, value: str, *, positive: bool, maximum: float) -> float:
    """A finite decimal number: > 0 (positive) or >= 0, at most `maximum`; else a WhatIfError naming it."""
    bound = "a number from 0.01" if positive else "a non-negative number"
    text = value.strip()
    if not text or len(text) > 32 or not text.isascii() or text.startswith("-"):
        raise WhatIfError(param, f"invalid {param} value: expected {bound} up to {maximum:g}")
    try:
        number = float(text)
    except ValueError:
        raise WhatIfError(param, f"invalid {param} value: expected {bound} up to {maximum:g}") from None
    if not math.isfinite(number) or number < 0 or (positive and number < 0.01) or number > maximum:
        raise WhatIfError(param, f"invalid {param} value: expected {bound} up to {maximum:g}")
    return number


def parse_cores(param: str, value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= MAX_CPU_CORES:
        raise WhatIfError(param, f"invalid {param} value: expected a positive integer up to {MAX_CPU_CORES}")
    return int(text)


RAM_MAX = MAX_RAM_GB
VRAM_MAX = MAX_VRAM_GB


def apply(system: System, what_if: WhatIf) -> System:
    """The System with the what-if applied (the same object when there is nothing to apply)."""
    if not what_if:
        return system
    data: dict[str, Any] = system.model_dump(mode="json")
    if what_if.ram_gb is not None:
        _set_ram(data, system, what_if.ram_gb)
    if what_if.vram_gb is not None:
        _set_vram(data, system, what_if.vram_gb)
    if what_if.cpu_cores is not None:
        data["cpu_cores"] = what_if.cpu_cores
    return System.model_validate(data)


def _set_ram(data: dict[str, Any], system: System, ram_gb: float) -> None:
    free_share = min(1.0, system.available_ram_gb / system.total_ram_gb)
    data["total_ram_gb"] = round(ram_gb, 2)
    data["available_ram_gb"] = min(round(ram_gb * free_share, 2), data["total_ram_gb"])
    if system.unified_memory and system.gpus:
        if ram_gb > MAX_VRAM_GB:
            raise WhatIfError(
                "ram_gb", f"invalid ram_gb value: unified memory is the GPU's too, at most {MAX_VRAM_GB:g} GiB"
            )
        for gpu in data["gpus"]:
            if gpu["unified_memory"] or system.unified_memory:
                gpu["vram_gb"] = round(ram_gb, 2)
                gpu["free_vram_gb"] = None
        _totals(data)


def _set_vram(data: dict[str, Any], system: System, vram_gb: float) -> None:
    if system.unified_memory or any(g.unified_memory for g in system.gpus):
        raise WhatIfError(
            "vram_gb", "invalid vram_gb value: this node's GPU uses unified memory (its RAM); set ram_gb instead"
        )
    if vram_gb == 0:
        data["gpus"] = []
        data["has_gpu"] = False
        data["backend"] = "CPU (ARM)" if system.backend in ("Metal", "CPU (ARM)") else "CPU (x86)"
        _totals(data)
        return
    if not data["gpus"]:
        backend = "Metal" if system.backend == "CPU (ARM)" and "apple" in system.cpu_name.lower() else "CUDA"
        data["gpus"] = [{"name": USER_GPU, "vram_gb": round(vram_gb, 2), "backend": backend, "count": 1}]
        data["has_gpu"] = True
        data["backend"] = backend
    else:
        primary = _primary(data)
        for gpu in data["gpus"]:
            if gpu["name"] == primary:
                gpu["vram_gb"] = round(vram_gb, 2)
                gpu["free_vram_gb"] = None
    _totals(data)


def without_gpus(system: System) -> System:
    """The same machine without its GPUs (CPU only), unified memory included."""
    data: dict[str, Any] = system.model_dump(mode="json")
    data["gpus"], data["has_gpu"], data["unified_memory"] = [], False, False
    data["backend"] = "CPU (ARM)" if system.backend in ("Metal", "CPU (ARM)") else "CPU (x86)"
    _totals(data)
    return System.model_validate(data)


def _primary(data: dict[str, Any]) -> str:
    names = [g["name"] for g in data["gpus"]]
    if data.get("gpu_name") in names:
        return str(data["gpu_name"])
    return str(max(data["gpus"], key=lambda g: g["vram_gb"])["name"])


def _totals(data: dict[str, Any]) -> None:
    gpus = data["gpus"]
    data["gpu_count"] = sum(g["count"] for g in gpus)
    data["gpu_vram_gb"] = round(sum(g["vram_gb"] * g["count"] for g in gpus), 2) if gpus else None
    if not gpus:
        data["gpu_name"] = None
    elif data.get("gpu_name") not in [g["name"] for g in gpus]:
        data["gpu_name"] = gpus[0]["name"]

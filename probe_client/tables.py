"""Lookup tables the detector needs when a driver cannot tell it something. Data only, no logic.

PCI ids are from the PCI ID Repository (pci-ids.ucw.cz, vendors 10de and 1002); nominal memory sizes are the
vendor's product-page figures (as collected in /work/shared/reference/gpu_specs.json where listed there).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

NVIDIA_VENDOR = 0x10DE
AMD_VENDOR = 0x1002


class PciModel(NamedTuple):
    name: str
    nominal_gib: float | None  # memory of one card as marketed; None where the device has no own memory


# NVIDIA devices the sysfs fallback can name when neither NVML nor nvidia-smi answers.
NVIDIA_PCI: dict[int, PciModel] = {
    0x2B85: PciModel("NVIDIA GeForce RTX 5090", 32),
    0x2684: PciModel("NVIDIA GeForce RTX 4090", 24),
    0x2704: PciModel("NVIDIA GeForce RTX 4080", 16),
    0x2204: PciModel("NVIDIA GeForce RTX 3090", 24),
    0x2203: PciModel("NVIDIA GeForce RTX 3090 Ti", 24),
    0x24B0: PciModel("NVIDIA RTX A4000", 16),
    0x2230: PciModel("NVIDIA RTX A6000", 48),
    0x26B1: PciModel("NVIDIA RTX 6000 Ada Generation", 48),
    0x2BB1: PciModel("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 96),
    0x2330: PciModel("NVIDIA H100 80GB HBM3", 80),
    0x2331: PciModel("NVIDIA H100 PCIe", 80),
    0x2335: PciModel("NVIDIA H200", 141),
    0x20B0: PciModel("NVIDIA A100-SXM4-40GB", 40),
    0x20B2: PciModel("NVIDIA A100-SXM4-80GB", 80),
    0x20B5: PciModel("NVIDIA A100 80GB PCIe", 80),
    0x20F1: PciModel("NVIDIA A100-PCIE-40GB", 40),
    0x26B5: PciModel("NVIDIA L40", 48),
    0x26B9: PciModel("NVIDIA L40S", 48),
    0x27B8: PciModel("NVIDIA L4", 24),
    0x2236: PciModel("NVIDIA A10", 24),
    0x2237: PciModel("NVIDIA A10G", 24),
    0x1EB8: PciModel("Tesla T4", 16),
    0x2E12: PciModel("NVIDIA GB10", None),
}

# NVIDIA parts whose GPU shares the CPU's memory (GB10 = DGX Spark; Jetson parts print "(nvgpu)").
NVIDIA_UNIFIED_PCI: frozenset[int] = frozenset({0x2E12})
NVIDIA_UNIFIED_NAME_MARKERS: tuple[str, ...] = ("GB10", "GB20", "(nvgpu)", "Orin", "Thor")

AmdKind = Literal["discrete", "apu", "display"]


class AmdModel(NamedTuple):
    name: str
    kind: AmdKind  # apu: an LLM-capable integrated GPU (unified memory); display: a small iGPU, ignored


AMD_PCI: dict[int, AmdModel] = {
    0x74A1: AmdModel("AMD Instinct MI300X", "discrete"),
    0x74B5: AmdModel("AMD Instinct MI300X VF", "discrete"),
    0x74A5: AmdModel("AMD Instinct MI325X", "discrete"),
    0x740C: AmdModel("AMD Instinct MI250X/MI250", "discrete"),
    0x740F: AmdModel("AMD Instinct MI210", "discrete"),
    0x738C: AmdModel("AMD Instinct MI100", "discrete"),
    0x66A1: AmdModel("AMD Instinct MI50/MI60", "discrete"),
    0x744C: AmdModel("AMD Radeon RX 7900 XT/XTX", "discrete"),
    0x7480: AmdModel("AMD Radeon RX 7600", "discrete"),
    0x7550: AmdModel("AMD Radeon RX 9070 XT", "discrete"),
    0x7551: AmdModel("AMD Radeon AI PRO R9700", "discrete"),
    0x1586: AmdModel("AMD Radeon 8060S (Strix Halo)", "apu"),
    0x150E: AmdModel("AMD Radeon 890M (Strix Point)", "apu"),
    0x15BF: AmdModel("AMD Radeon 780M (Phoenix)", "apu"),
    0x15C8: AmdModel("AMD Radeon 740M (Phoenix 2)", "apu"),
    0x164E: AmdModel("AMD Radeon Graphics (Raphael)", "display"),
    0x13C0: AmdModel("AMD Radeon Graphics (Granite Ridge)", "display"),
}

# (PCI device, revision) pairs that the device id alone does not separate.
AMD_PCI_REVISIONS: dict[tuple[int, int], str] = {
    (0x744C, 0xC8): "AMD Radeon RX 7900 XTX",
    (0x744C, 0xCC): "AMD Radeon RX 7900 XT",
    (0x744C, 0xCE): "AMD Radeon RX 7900 GRE",
}

# CPU names an AMD APU is sold under: the integrated GPU of these is an LLM accelerator, not a display chip.
AMD_APU_CPU_MARKERS: tuple[str, ...] = ("Ryzen AI Max", "Ryzen AI 9", "Ryzen AI 7", "Ryzen AI 5")

# An AMD GPU with at most this much dedicated memory and no table entry is taken for a display iGPU.
AMD_DISPLAY_IGPU_MAX_GIB = 2.0

# /proc/cpuinfo on ARM names no model: (CPU implementer, CPU part) -> core name (the cores' MIDR values).
ARM_PARTS: dict[tuple[int, int], str] = {
    (0x41, 0xD03): "ARM Cortex-A53",
    (0x41, 0xD05): "ARM Cortex-A55",
    (0x41, 0xD08): "ARM Cortex-A72",
    (0x41, 0xD0B): "ARM Cortex-A76",
    (0x41, 0xD0C): "ARM Neoverse-N1",
    (0x41, 0xD40): "ARM Neoverse-V1",
    (0x41, 0xD41): "ARM Cortex-A78",
    (0x41, 0xD42): "ARM Cortex-A78AE",
    (0x41, 0xD49): "ARM Neoverse-N2",
    (0x41, 0xD4F): "ARM Neoverse-V2",
    (0x41, 0xD80): "ARM Cortex-A520",
    (0x41, 0xD81): "ARM Cortex-A720",
    (0x41, 0xD82): "ARM Cortex-X4",
    (0x41, 0xD84): "ARM Neoverse-V3",
    (0x41, 0xD85): "ARM Cortex-X925",
    (0x41, 0xD87): "ARM Cortex-A725",
    (0x41, 0xD8E): "ARM Neoverse-N3",
    (0x48, 0xD01): "HiSilicon Kunpeng-920",
    (0xC0, 0xAC3): "Ampere-1",
    (0xC0, 0xAC4): "Ampere-1a",
}

# macOS lets Metal wire this share of unified memory by default (recommendedMaxWorkingSetSize as llama.cpp
# logs it: 2/3 of RAM up to 36 GiB, 3/4 above); `sysctl iogpu.wired_limit_mb` overrides it.
APPLE_METAL_SHARE_SMALL = 2 / 3
APPLE_METAL_SHARE_LARGE = 0.75
APPLE_METAL_SHARE_THRESHOLD_GIB = 36

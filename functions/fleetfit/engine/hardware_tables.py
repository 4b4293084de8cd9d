"""Hardware fact tables for the fit engine: GPU memory bandwidth and CPU system-memory bandwidth.

Decode speed is bound by memory bandwidth (weights are streamed once per token), so the engine needs the
vendor peak bandwidth of the device that holds the weights. This module is data plus name matching only:
pure, no I/O, standard library only. Every row carries the public source its numbers were read from
(``source``); where a number was derived (bus width x data rate, channels x MT/s x 8 bytes) the row says so.

- ``GPU_SPECS`` / ``match_gpu(driver_name, vram_gb)``: names as drivers print them (NVML/nvidia-smi,
  rocm-smi/amdsmi, sysfs+lspci, system_profiler). The first 73 rows are /work/shared/reference/gpu_specs.json
  with its numbers (one documented correction: RTX 5000 Ada, see its ``source``).
- ``CPU_MEMORY_SPECS`` / ``match_cpu(cpu_name)``: platform peak DRAM bandwidth by CPU family, from the CPU
  name (/proc/cpuinfo "model name", ``sysctl machdep.cpu.brand_string``, psutil).
- ``DEFAULT_CPU_BANDWIDTH_GBPS``: conservative fallbacks when the CPU is unknown.

Peak bandwidth is a ceiling; measured decode typically reaches 50-85 % of it (see
/work/shared/reference/estimation-methods.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "CPU_MEMORY_SPECS",
    "DEFAULT_CPU_BANDWIDTH_GBPS",
    "GPU_SPECS",
    "CpuMemorySpec",
    "GpuSpec",
    "match_cpu",
    "match_gpu",
]


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """One GPU / SoC memory subsystem as its vendor (or a cited database) states it."""

    key: str  # stable id, e.g. "nvidia-h100-sxm"
    name: str  # human name
    vendor: str  # NVIDIA | AMD | Intel | Apple
    category: str  # consumer, consumer-laptop, workstation, datacenter, desktop-unified, apu-unified, apple-unified
    vram_gb: float | None  # memory per card as stated (GB); unified parts: the maximum configuration
    bandwidth_gbps: float  # vendor peak memory bandwidth, GB/s
    fp16_tflops: float | None  # dense FP16 tensor/matrix TFLOPS where a source states it
    memory_type: str  # "GDDR6", "HBM3e", "LPDDR5X", ...
    unified: bool  # memory shared with the CPU (Apple, Strix Halo, GB10, Jetson, MI300A)
    source: str  # URL(s) the numbers were read from


@dataclass(frozen=True, slots=True)
class CpuMemorySpec:
    """Peak system-memory bandwidth of a CPU platform (channels x MT/s x 8 bytes unless stated)."""

    key: str
    name: str
    bandwidth_gbps: float
    memory: str  # e.g. "12 x DDR5-4800"
    source: str


# --------------------------------------------------------------------------------------------------
# GPU table
# --------------------------------------------------------------------------------------------------

# (key, alias patterns, default-for-its-alias, tokens that veto the alias)
_GPU_ALIAS_DEFS: list[tuple[str, tuple[str, ...], bool, tuple[str, ...]]] = []

_CANIRUN = (
    "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
    "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech specs)"
)


def _gpu(
    key: str,
    name: str,
    vendor: str,
    category: str,
    vram_gb: float | None,
    bandwidth_gbps: float,
    fp16_tflops: float | None,
    memory_type: str,
    source: str,
    *,
    aliases: tuple[str, ...],
    unified: bool = False,
    default: bool = False,
    exclude: tuple[str, ...] = (),
) -> GpuSpec:
    """Build one row and register the name patterns that select it (see ``match_gpu``)."""
    _GPU_ALIAS_DEFS.append((key, aliases, default, exclude))
    return GpuSpec(
        key=key,
        name=name,
        vendor=vendor,
        category=category,
        vram_gb=None if vram_gb is None else float(vram_gb),
        bandwidth_gbps=float(bandwidth_gbps),
        fp16_tflops=None if fp16_tflops is None else float(fp16_tflops),
        memory_type=memory_type,
        unified=unified,
        source=source,
    )


GPU_SPECS: tuple[GpuSpec, ...] = (
    # ---- rows from /work/shared/reference/gpu_specs.json (numbers kept; RTX 5000 Ada corrected) ----
    _gpu(
        "nvidia-rtx-5090",
        "GeForce RTX 5090",
        "NVIDIA",
        "consumer",
        32,
        1792,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5090",),
    ),
    _gpu(
        "nvidia-rtx-5080",
        "GeForce RTX 5080",
        "NVIDIA",
        "consumer",
        16,
        960,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5080",),
    ),
    _gpu(
        "nvidia-rtx-5070-ti",
        "GeForce RTX 5070 Ti",
        "NVIDIA",
        "consumer",
        16,
        896,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5070 ti",),
    ),
    _gpu(
        "nvidia-rtx-5070",
        "GeForce RTX 5070",
        "NVIDIA",
        "consumer",
        12,
        672,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5070",),
    ),
    _gpu(
        "nvidia-rtx-5060-ti-16gb",
        "GeForce RTX 5060 Ti 16GB",
        "NVIDIA",
        "consumer",
        16,
        448,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5060 ti",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-5060",
        "GeForce RTX 5060",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5060",),
    ),
    _gpu(
        "nvidia-rtx-4090",
        "GeForce RTX 4090",
        "NVIDIA",
        "consumer",
        24,
        1008,
        165,
        "GDDR6X",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json ; "
            "https://gist.github.com/mikasenghaas/d63ded03f1f0417b1677627119bacc0d -- note: "
            "gpu_poor lists 1000 GB/s; fp16_tflops = dense BF16/FP16 tensor figure as stated in the "
            "cited gist"
        ),
        aliases=("rtx 4090",),
    ),
    _gpu(
        "nvidia-rtx-4080-super",
        "GeForce RTX 4080 SUPER",
        "NVIDIA",
        "consumer",
        16,
        736,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 4080 super",),
    ),
    _gpu(
        "nvidia-rtx-4080",
        "GeForce RTX 4080",
        "NVIDIA",
        "consumer",
        16,
        717,
        None,
        "GDDR6X",
        _CANIRUN
        + ("; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json -- note: gpu_poor lists 716 GB/s"),
        aliases=("rtx 4080",),
    ),
    _gpu(
        "nvidia-rtx-4070-ti-super",
        "GeForce RTX 4070 Ti SUPER",
        "NVIDIA",
        "consumer",
        16,
        672,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 4070 ti super",),
    ),
    _gpu(
        "nvidia-rtx-4070-ti",
        "GeForce RTX 4070 Ti",
        "NVIDIA",
        "consumer",
        12,
        504,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 4070 ti",),
    ),
    _gpu(
        "nvidia-rtx-4070-super",
        "GeForce RTX 4070 SUPER",
        "NVIDIA",
        "consumer",
        12,
        504,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 4070 super",),
    ),
    _gpu(
        "nvidia-rtx-4070",
        "GeForce RTX 4070",
        "NVIDIA",
        "consumer",
        12,
        504,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 4070",),
    ),
    _gpu(
        "nvidia-rtx-4060-ti-16gb",
        "GeForce RTX 4060 Ti 16GB",
        "NVIDIA",
        "consumer",
        16,
        288,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4060 ti",),
    ),
    _gpu(
        "nvidia-rtx-4060-ti",
        "GeForce RTX 4060 Ti",
        "NVIDIA",
        "consumer",
        8,
        288,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4060 ti",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-4060",
        "GeForce RTX 4060",
        "NVIDIA",
        "consumer",
        8,
        272,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4060",),
    ),
    _gpu(
        "nvidia-rtx-3090-ti",
        "GeForce RTX 3090 Ti",
        "NVIDIA",
        "consumer",
        24,
        1008,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 3090 ti",),
    ),
    _gpu(
        "nvidia-rtx-3090",
        "GeForce RTX 3090",
        "NVIDIA",
        "consumer",
        24,
        936,
        None,
        "GDDR6X",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json -- note: "
            "gpu_poor agrees (936 GB/s)"
        ),
        aliases=("rtx 3090",),
    ),
    _gpu(
        "nvidia-rtx-3080-ti",
        "GeForce RTX 3080 Ti",
        "NVIDIA",
        "consumer",
        12,
        912,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 3080 ti",),
    ),
    _gpu(
        "nvidia-rtx-3080-12gb",
        "GeForce RTX 3080 12GB",
        "NVIDIA",
        "consumer",
        12,
        912,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 3080",),
    ),
    _gpu(
        "nvidia-rtx-3080",
        "GeForce RTX 3080",
        "NVIDIA",
        "consumer",
        10,
        760,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 3080",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-3070-ti",
        "GeForce RTX 3070 Ti",
        "NVIDIA",
        "consumer",
        8,
        608,
        None,
        "GDDR6X",
        _CANIRUN,
        aliases=("rtx 3070 ti",),
    ),
    _gpu(
        "nvidia-rtx-3070",
        "GeForce RTX 3070",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3070",),
    ),
    _gpu(
        "nvidia-rtx-3060-ti",
        "GeForce RTX 3060 Ti",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3060 ti",),
    ),
    _gpu(
        "nvidia-rtx-3060",
        "GeForce RTX 3060",
        "NVIDIA",
        "consumer",
        12,
        360,
        None,
        "GDDR6",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json -- note: "
            "gpu_poor agrees (360 GB/s)"
        ),
        aliases=("rtx 3060",),
    ),
    _gpu(
        "nvidia-rtx-2080-ti",
        "GeForce RTX 2080 Ti",
        "NVIDIA",
        "consumer",
        11,
        616,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 2080 ti",),
    ),
    _gpu(
        "nvidia-rtx-4090-laptop",
        "GeForce RTX 4090 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        16,
        576,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4090 laptop", "rtx 4090 mobile"),
    ),
    _gpu(
        "nvidia-rtx-pro-6000-blackwell",
        "RTX PRO 6000 (Blackwell)",
        "NVIDIA",
        "workstation",
        96,
        1792,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx pro 6000",),
    ),
    _gpu(
        "nvidia-rtx-6000-ada",
        "RTX 6000 Ada Generation",
        "NVIDIA",
        "workstation",
        48,
        960,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 6000 ada",),
    ),
    _gpu(
        "nvidia-rtx-5000-ada",
        "RTX 5000 Ada Generation",
        "NVIDIA",
        "workstation",
        32,
        576,
        None,
        "GDDR6",
        (
            "https://resources.nvidia.com/en-us-briefcase-for-datasheets/rtx-5000-ada-datashe "
            "(NVIDIA RTX 5000 Ada datasheet as cited in github.com/everfir/gpu-database "
            "src/data/nvidia.json: 32 GB GDDR6 ECC, 256-bit, 576 GB/s) ; reference row source: "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: CORRECTED from the reference table's 800 GB/s (canirun GPU_DB), which "
            "contradicts NVIDIA's datasheet value for a 256-bit bus"
        ),
        aliases=("rtx 5000 ada",),
    ),
    _gpu(
        "nvidia-rtx-a6000",
        "RTX A6000",
        "NVIDIA",
        "workstation",
        48,
        768,
        None,
        "GDDR6",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json -- note: "
            "gpu_poor agrees (768 GB/s)"
        ),
        aliases=("rtx a6000",),
    ),
    _gpu(
        "nvidia-rtx-a4000",
        "RTX A4000",
        "NVIDIA",
        "workstation",
        16,
        448,
        None,
        "GDDR6",
        _CANIRUN
        + ("-- note: gpu_poor lists 768 GB/s for 'A-4000' (looks like a copy of the A6000 row); canirun value used"),
        aliases=("rtx a4000",),
    ),
    _gpu(
        "nvidia-b200",
        "B200",
        "NVIDIA",
        "datacenter",
        180,
        8000,
        None,
        "HBM3e",
        (
            "https://modal.com/gpu-glossary/perf/memory-bandwidth ; "
            "https://www.emergentmind.com/topics/amd-mi300x-gpu ; "
            "https://github.com/pytorch/ao/pull/4002 ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: Modal states 8 TB/s; pytorch/ao PR #4002 derives 7.67 TB/s from the "
            "driver-reported 7680-bit bus and reports 178.35 GB visible; canirun lists 192 GB; 180 "
            "GB per emergentmind comparison"
        ),
        aliases=("b200",),
    ),
    _gpu(
        "nvidia-h200-sxm",
        "H200 SXM",
        "NVIDIA",
        "datacenter",
        141,
        4800,
        None,
        "HBM3e",
        _CANIRUN + ("; https://huggingface.co/hardware/h200 ; https://github.com/NVIDIA/TensorRT-LLM/issues/1570"),
        aliases=("h200", "h200 sxm"),
        exclude=("nvl",),
    ),
    _gpu(
        "nvidia-h100-sxm",
        "H100 SXM",
        "NVIDIA",
        "datacenter",
        80,
        3350,
        989.4,
        "HBM3",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json ; "
            "https://glennklockwood.com/garden/processors/h100 ; "
            "https://www.clawkipedia.org/wiki/nvidia-h100 -- note: FP16 tensor dense/sparse from "
            "glennklockwood table; clawkipedia states 1,979 TFLOPS with sparsity and 3.35 TB/s"
        ),
        aliases=("h100", "h100 sxm", "h100 sxm5", "h100 hbm3"),
        exclude=("pcie", "nvl"),
    ),
    _gpu(
        "nvidia-h100-pcie",
        "H100 PCIe",
        "NVIDIA",
        "datacenter",
        80,
        2000,
        None,
        "HBM2e",
        (
            "https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json ; "
            "https://manuals.plus/m/56b0c3ef7d0a1c470c0af8f05a0bd1f29a778007472ba941201fbbb185c9bcc"
            "d (NVIDIA H100 PCIe product brief PB-11133-001) -- note: product brief says 'greater "
            "than 2,000 GB/s'"
        ),
        aliases=("h100 pcie",),
    ),
    _gpu(
        "nvidia-gh200-96gb",
        "GH200 (Hopper GPU, 96 GB HBM3)",
        "NVIDIA",
        "datacenter",
        96,
        4000,
        None,
        "HBM3",
        _CANIRUN,
        aliases=("gh200",),
    ),
    _gpu(
        "nvidia-a100-sxm4-80gb",
        "A100 SXM 80GB",
        "NVIDIA",
        "datacenter",
        80,
        2039,
        None,
        "HBM2e",
        _CANIRUN + "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json",
        aliases=("a100", "a100 sxm", "a100 sxm4"),
        default=True,
        exclude=("pcie",),
    ),
    _gpu(
        "nvidia-a100-40gb",
        "A100 40GB",
        "NVIDIA",
        "datacenter",
        40,
        1555,
        312,
        "HBM2",
        _CANIRUN
        + (
            "; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json ; "
            "https://huggingface.co/RajBhope/gpu-runtime-predictor/blob/main/gpu_catalog.json -- "
            "note: fp16 = dense tensor per RajBhope catalog"
        ),
        aliases=("a100",),
        exclude=("pcie", "sxm"),
    ),
    _gpu(
        "nvidia-l40s",
        "L40S",
        "NVIDIA",
        "datacenter",
        48,
        864,
        362.05,
        "GDDR6",
        (
            "https://www.mullet.se/product.html?product_id=355414 (reproduces NVIDIA L40/L40S "
            "datasheet table) ; https://grokipedia.com/page/NVIDIA_L4_vs_L40S ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs)"
        ),
        aliases=("l40s",),
    ),
    _gpu(
        "nvidia-l40",
        "L40",
        "NVIDIA",
        "datacenter",
        48,
        864,
        181.05,
        "GDDR6",
        ("https://www.mullet.se/product.html?product_id=355414 (reproduces NVIDIA L40/L40S datasheet table)"),
        aliases=("l40",),
    ),
    _gpu(
        "nvidia-l4",
        "L4",
        "NVIDIA",
        "datacenter",
        24,
        300,
        None,
        "GDDR6",
        (
            "https://grokipedia.com/page/NVIDIA_L4_vs_L40S ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: source states only the with-sparsity FP16 tensor figure"
        ),
        aliases=("l4",),
    ),
    _gpu("nvidia-a10", "A10", "NVIDIA", "datacenter", 24, 600, None, "GDDR6", _CANIRUN, aliases=("a10",)),
    _gpu(
        "nvidia-a10g",
        "A10G",
        "NVIDIA",
        "datacenter",
        24,
        600,
        None,
        "GDDR6",
        _CANIRUN + "; https://huggingface.co/RajBhope/gpu-runtime-predictor/blob/main/gpu_catalog.json",
        aliases=("a10g",),
    ),
    _gpu(
        "nvidia-t4",
        "T4",
        "NVIDIA",
        "datacenter",
        16,
        320,
        65,
        "GDDR6",
        (
            "https://huggingface.co/RajBhope/gpu-runtime-predictor/blob/main/gpu_catalog.json ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: canirun lists 300 GB/s; RajBhope catalog lists 320 GB/s and 65 FP16 "
            "TFLOPS"
        ),
        aliases=("t4",),
    ),
    _gpu(
        "nvidia-v100-32gb",
        "V100 32GB",
        "NVIDIA",
        "datacenter",
        32,
        900,
        125,
        "HBM2",
        _CANIRUN + "; https://huggingface.co/RajBhope/gpu-runtime-predictor/blob/main/gpu_catalog.json",
        aliases=("v100",),
    ),
    _gpu(
        "nvidia-tesla-p40",
        "Tesla P40",
        "NVIDIA",
        "datacenter",
        24,
        346,
        None,
        "GDDR5",
        _CANIRUN
        + ("; https://github.com/RahulSChand/gpu_poor/blob/main/src/gpu_config.json -- note: gpu_poor lists 364 GB/s"),
        aliases=("p40",),
    ),
    _gpu(
        "nvidia-gb10",
        "DGX Spark (GB10)",
        "NVIDIA",
        "desktop-unified",
        128,
        273,
        None,
        "LPDDR5X",
        _CANIRUN,
        aliases=("gb10", "dgx spark"),
        unified=True,
    ),
    _gpu(
        "amd-instinct-mi300x",
        "Instinct MI300X",
        "AMD",
        "datacenter",
        192,
        5300,
        None,
        "HBM3",
        (
            "https://www.emergentmind.com/topics/amd-mi300x-gpu ; "
            "https://www.jaredwatkins.com/research/ai-accelerators/amd-instinct/mi300-series/ -- "
            "note: jaredwatkins states ~1.3 PFLOPS FP16 (approximate, not recorded as a number "
            "here)"
        ),
        aliases=("mi300x",),
    ),
    _gpu(
        "amd-instinct-mi250x",
        "Instinct MI250X",
        "AMD",
        "datacenter",
        128,
        3200,
        383,
        "HBM2e",
        (
            "https://zexron.com/amd-mi250-x-aldebaran-as-mcm-with-up-to-479-teraflop-s-and-560-watt"
            "-tdp (reproduces AMD MI250/MI250X spec table) ; "
            "https://yobitel.com/knowledge-base/amd-mi250"
        ),
        aliases=("mi250x",),
    ),
    _gpu(
        "amd-instinct-mi250",
        "Instinct MI250",
        "AMD",
        "datacenter",
        128,
        3200,
        362.1,
        "HBM2e",
        (
            "https://zexron.com/amd-mi250-x-aldebaran-as-mcm-with-up-to-479-teraflop-s-and-560-watt"
            "-tdp (reproduces AMD MI250/MI250X spec table) ; "
            "https://yobitel.com/knowledge-base/amd-mi250"
        ),
        aliases=("mi250",),
    ),
    _gpu(
        "amd-rx-7900-xtx",
        "Radeon RX 7900 XTX",
        "AMD",
        "consumer",
        24,
        960,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 7900 xtx",),
    ),
    _gpu(
        "amd-rx-7900-xt",
        "Radeon RX 7900 XT",
        "AMD",
        "consumer",
        20,
        800,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 7900 xt",),
    ),
    _gpu(
        "amd-rx-7800-xt",
        "Radeon RX 7800 XT",
        "AMD",
        "consumer",
        16,
        624,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 7800 xt",),
    ),
    _gpu(
        "amd-rx-9070-xt",
        "Radeon RX 9070 XT",
        "AMD",
        "consumer",
        16,
        640,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 9070 xt",),
    ),
    _gpu(
        "amd-ryzen-ai-max-plus-395",
        "Ryzen AI Max+ 395 (Strix Halo, Radeon 8060S)",
        "AMD",
        "apu-unified",
        128,
        256,
        None,
        "LPDDR5X",
        (
            "https://huggingface.co/hardware/amd ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: 128 GB is the Hugging Face hardware catalog figure (system memory); "
            "canirun records 96 GB as GPU-usable and 256 GB/s"
        ),
        aliases=("8060s", "ryzen ai max 395", "ryzen ai max plus 395", "strix halo"),
        unified=True,
    ),
    _gpu(
        "intel-arc-a770-16gb",
        "Arc A770 16GB",
        "Intel",
        "consumer",
        16,
        560,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("arc a770",),
        default=True,
    ),
    _gpu(
        "apple-m1",
        "Apple M1",
        "Apple",
        "apple-unified",
        None,
        68,
        None,
        "LPDDR4X",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "68.3 GB/s (8-core GPU)"
        ),
        aliases=("m1",),
        unified=True,
    ),
    _gpu(
        "apple-m1-pro",
        "Apple M1 Pro",
        "Apple",
        "apple-unified",
        None,
        200,
        None,
        "LPDDR5",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "204.8 GB/s"
        ),
        aliases=("m1 pro",),
        unified=True,
    ),
    _gpu(
        "apple-m1-max",
        "Apple M1 Max",
        "Apple",
        "apple-unified",
        64,
        400,
        None,
        "LPDDR5",
        (
            "https://wikicomplete.info/mac-studio-apple/ (reproduces Apple M1 Max/M1 Ultra "
            "marketing page) ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) ; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple "
            "M-series table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser "
            "README lists 409.6 GB/s; llama.cpp PR #2188 reports ~340 GB/s sustainable GPU read"
        ),
        aliases=("m1 max",),
        unified=True,
    ),
    _gpu(
        "apple-m1-ultra",
        "Apple M1 Ultra",
        "Apple",
        "apple-unified",
        128,
        800,
        None,
        "LPDDR5",
        (
            "https://wikicomplete.info/mac-studio-apple/ (reproduces Apple M1 Max/M1 Ultra "
            "marketing page) ; "
            "https://inforeader.com/i/?a=reader&rid=67c916097fa95&search=%23m3%2Bultra (Ars "
            "Technica table of Ultra chips) ; "
            "https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series table; "
            "cites Wikipedia Apple M1-M4 variant tables) -- note: Ars table lists 819.2 GB/s"
        ),
        aliases=("m1 ultra",),
        unified=True,
    ),
    _gpu(
        "apple-m2",
        "Apple M2",
        "Apple",
        "apple-unified",
        None,
        100,
        None,
        "LPDDR5",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "102.4 GB/s"
        ),
        aliases=("m2",),
        unified=True,
    ),
    _gpu(
        "apple-m2-pro",
        "Apple M2 Pro",
        "Apple",
        "apple-unified",
        None,
        200,
        None,
        "LPDDR5",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "204.8 GB/s"
        ),
        aliases=("m2 pro",),
        unified=True,
    ),
    _gpu(
        "apple-m2-max",
        "Apple M2 Max",
        "Apple",
        "apple-unified",
        96,
        400,
        None,
        "LPDDR5",
        (
            "https://blog.patti.tech/2023/06/05/as-rumored-the-mac-studio-gets-an-m2-refresh-includ"
            "ing-fused-together-m2-ultra (Ars Technica) ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) ; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple "
            "M-series table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser "
            "README lists 409.6 GB/s"
        ),
        aliases=("m2 max",),
        unified=True,
    ),
    _gpu(
        "apple-m2-ultra",
        "Apple M2 Ultra",
        "Apple",
        "apple-unified",
        192,
        800,
        None,
        "LPDDR5",
        (
            "https://telanganapress.com/?p=21091 (Apple M2 Ultra announcement) ; "
            "https://blog.patti.tech/2023/06/05/as-rumored-the-mac-studio-gets-an-m2-refresh-includ"
            "ing-fused-together-m2-ultra (Ars Technica) ; "
            "https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series table; "
            "cites Wikipedia Apple M1-M4 variant tables) -- note: Ars table lists 819.2 GB/s"
        ),
        aliases=("m2 ultra",),
        unified=True,
    ),
    _gpu(
        "apple-m3",
        "Apple M3",
        "Apple",
        "apple-unified",
        None,
        100,
        None,
        "LPDDR5",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "102.4 GB/s"
        ),
        aliases=("m3",),
        unified=True,
    ),
    _gpu(
        "apple-m3-pro",
        "Apple M3 Pro",
        "Apple",
        "apple-unified",
        None,
        150,
        None,
        "LPDDR5",
        _CANIRUN
        + (
            "; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple M-series "
            "table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser README lists "
            "153.6 GB/s"
        ),
        aliases=("m3 pro",),
        unified=True,
    ),
    _gpu(
        "apple-m3-max",
        "Apple M3 Max (40-core GPU)",
        "Apple",
        "apple-unified",
        128,
        400,
        None,
        "LPDDR5",
        (
            "https://www.tweaktown.com/news/94324/apples-rumored-m3-ultra-could-have-32-core-cpu-80"
            "-gpu-support-256gb-of-ram/index.html ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) ; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple "
            "M-series table; cites Wikipedia Apple M1-M4 variant tables) -- note: gguf-parser "
            "README lists 409.6 GB/s; lower-binned M3 Max has less bandwidth"
        ),
        aliases=("m3 max",),
        unified=True,
    ),
    _gpu(
        "apple-m3-ultra",
        "Apple M3 Ultra",
        "Apple",
        "apple-unified",
        512,
        819.2,
        None,
        "LPDDR5",
        (
            "https://inforeader.com/i/?a=reader&rid=67c916097fa95&search=%23m3%2Bultra (Ars "
            "Technica table of Ultra chips) ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs)"
        ),
        aliases=("m3 ultra",),
        unified=True,
    ),
    _gpu(
        "apple-m4",
        "Apple M4",
        "Apple",
        "apple-unified",
        32,
        120,
        None,
        "LPDDR5X",
        (
            "https://mactrast.com/?p=168123 (Apple M4 family press release text) ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) ; https://github.com/gpustack/gguf-parser-go/blob/main/README.md (Apple "
            "M-series table; cites Wikipedia Apple M1-M4 variant tables)"
        ),
        aliases=("m4",),
        unified=True,
    ),
    _gpu(
        "apple-m4-pro",
        "Apple M4 Pro",
        "Apple",
        "apple-unified",
        64,
        273,
        None,
        "LPDDR5X",
        (
            "https://techmoran.com/2024/10/31/apple-unveils-its-most-powerful-chips-the-m4-pro-and-"
            "m4-max/ ; https://www.macrumors.com/2024/10/30/apple-announces-m4-max-chip/ ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs)"
        ),
        aliases=("m4 pro",),
        unified=True,
    ),
    _gpu(
        "apple-m4-max",
        "Apple M4 Max (16-core CPU / 40-core GPU)",
        "Apple",
        "apple-unified",
        128,
        546,
        None,
        "LPDDR5X",
        (
            "https://www.macrumors.com/2024/10/30/apple-announces-m4-max-chip/ ; "
            "https://techmoran.com/2024/10/31/apple-unveils-its-most-powerful-chips-the-m4-pro-and-"
            "m4-max/ ; "
            "https://github.com/midudev/canirun.ai/blob/main/packages/compatibility/src/index.ts "
            "(GPU_DB/APPLE_DB; file comments cite NVIDIA/AMD/Intel product pages and Apple tech "
            "specs) -- note: lower-binned M4 Max has less bandwidth"
        ),
        aliases=("m4 max",),
        unified=True,
    ),
    _gpu(
        "apple-m5",
        "Apple M5",
        "Apple",
        "apple-unified",
        None,
        153,
        None,
        "LPDDR5X",
        _CANIRUN,
        aliases=("m5",),
        unified=True,
    ),
    # ---- rows added with their own sources ----
    _gpu(
        "nvidia-a100-sxm4-40gb",
        "A100 SXM4 40GB",
        "NVIDIA",
        "datacenter",
        40,
        1555,
        312,
        "HBM2",
        (
            "https://www.thundercompute.com/blog/nvidia-a100-specs-full-guide (table: PCIe 40GB "
            "1,555 GB/s, PCIe 80GB 1,935 GB/s, SXM 40GB 1,555 GB/s, SXM 80GB 2,039 GB/s) ; "
            "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-da"
            "tasheet-us-nvidia-1758950-r4-web.pdf (NVIDIA A100 datasheet, cited there and by "
            "https://glennklockwood.com/garden/processors/A100 for 312 TFLOPS dense FP16 tensor)"
        ),
        aliases=("a100 sxm", "a100 sxm4"),
    ),
    _gpu(
        "nvidia-a100-pcie-80gb",
        "A100 PCIe 80GB",
        "NVIDIA",
        "datacenter",
        80,
        1935,
        312,
        "HBM2e",
        (
            "https://www.thundercompute.com/blog/nvidia-a100-specs-full-guide (table: PCIe 40GB "
            "1,555 GB/s, PCIe 80GB 1,935 GB/s, SXM 40GB 1,555 GB/s, SXM 80GB 2,039 GB/s) ; "
            "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-da"
            "tasheet-us-nvidia-1758950-r4-web.pdf (NVIDIA A100 datasheet, cited there and by "
            "https://glennklockwood.com/garden/processors/A100 for 312 TFLOPS dense FP16 tensor) ; "
            "TechPowerUp https://www.techpowerup.com/gpu-specs/a100-pcie-80-gb.c3821 lists 1,940 "
            "GB/s"
        ),
        aliases=("a100 pcie",),
        default=True,
    ),
    _gpu(
        "nvidia-a100-pcie-40gb",
        "A100 PCIe 40GB",
        "NVIDIA",
        "datacenter",
        40,
        1555,
        312,
        "HBM2",
        (
            "https://www.thundercompute.com/blog/nvidia-a100-specs-full-guide (table: PCIe 40GB "
            "1,555 GB/s, PCIe 80GB 1,935 GB/s, SXM 40GB 1,555 GB/s, SXM 80GB 2,039 GB/s) ; "
            "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-da"
            "tasheet-us-nvidia-1758950-r4-web.pdf (NVIDIA A100 datasheet, cited there and by "
            "https://glennklockwood.com/garden/processors/A100 for 312 TFLOPS dense FP16 tensor)"
        ),
        aliases=("a100 pcie",),
    ),
    _gpu(
        "nvidia-a40",
        "A40",
        "NVIDIA",
        "datacenter",
        48,
        696,
        149.7,
        "GDDR6",
        (
            "https://images.nvidia.cn/content/Solutions/data-center/a40/nvidia-a40-datasheet.pdf "
            "(NVIDIA A40 datasheet, as linked from https://github.com/astroC86/gpu-datasheet "
            "README: 48 GB, 696 GB/s, 149.7 TFLOPS FP16 tensor) ; datasheet table reproduced at "
            "https://www.ecer.com/corp/details-uuuedqa-p1bsay9-multi-display-setups-supported-by-48"
            "gb-gddr6-ecc-memory-nvidia-a40-gpu-and-vga-outputs.html"
        ),
        aliases=("a40",),
    ),
    _gpu(
        "nvidia-a30",
        "A30",
        "NVIDIA",
        "datacenter",
        24,
        933.1,
        None,
        "HBM2",
        (
            "https://www.techpowerup.com/gpu-specs/a30-pcie.c3792 (24 GB, 3072-bit, 933.1 GB/s; "
            "TechPowerUp GPU database, read via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json)"
        ),
        aliases=("a30",),
    ),
    _gpu(
        "nvidia-a2",
        "A2",
        "NVIDIA",
        "datacenter",
        16,
        200.1,
        None,
        "GDDR6",
        (
            "https://www.techpowerup.com/gpu-specs/a2-pcie.c4112 (16 GB, 128-bit, 200.1 GB/s; "
            "TechPowerUp GPU database, read via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json)"
        ),
        aliases=("a2",),
    ),
    _gpu(
        "nvidia-h100-nvl",
        "H100 NVL",
        "NVIDIA",
        "datacenter",
        94,
        3900,
        835.5,
        "HBM3",
        (
            "https://www.nvidia.com/ja-jp/data-center/h100/ (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/nvidia.json); per GPU of the NVL pair"
        ),
        aliases=("h100 nvl",),
    ),
    _gpu(
        "nvidia-h200-nvl",
        "H200 NVL",
        "NVIDIA",
        "datacenter",
        141,
        4800,
        835.5,
        "HBM3e",
        (
            "https://www.nvidia.com/en-eu/data-center/h200/ (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("h200 nvl",),
    ),
    _gpu(
        "nvidia-h800-sxm",
        "H800 SXM",
        "NVIDIA",
        "datacenter",
        80,
        3350,
        None,
        "HBM3",
        (
            "https://chaoqing-i.com/upload/20231128/NVIDIA%20H800%20GPU%20Datasheet.pdf (NVIDIA "
            "H800 datasheet as linked from https://github.com/astroC86/gpu-datasheet README: 80 GB, "
            "3.35 TB/s). The H800 PCIe part (lower bandwidth) is not in this table"
        ),
        aliases=("h800", "h800 sxm"),
        exclude=("pcie",),
    ),
    _gpu(
        "nvidia-h20",
        "H20",
        "NVIDIA",
        "datacenter",
        96,
        4000,
        148,
        "HBM3",
        (
            "https://docs.nvidia.com/ai-enterprise/release-7/latest/infra-software/vgpu/reference/h"
            "opper.html ; "
            "https://www.tomshardware.com/pc-components/gpus/new-nvidia-ai-gpus-designed-to-get-aro"
            "und-u-s-export-bans-come-to-china-h20-l20-and-l2-to-fill-void-left-by-restricted-model"
            "s (vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json) -- "
            "note: no public NVIDIA datasheet; figures are secondary (press) sources"
        ),
        aliases=("h20",),
    ),
    _gpu(
        "nvidia-l20",
        "L20",
        "NVIDIA",
        "datacenter",
        48,
        864,
        119.5,
        "GDDR6",
        (
            "https://www.tomshardware.com/pc-components/gpus/new-nvidia-ai-gpus-designed-to-get-aro"
            "und-u-s-export-bans-come-to-china-h20-l20-and-l2-to-fill-void-left-by-restricted-model"
            "s (vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json) ; "
            "canirun GPU_DB agrees (48 GB, 864 GB/s) -- note: secondary sources, no public NVIDIA "
            "datasheet"
        ),
        aliases=("l20",),
    ),
    _gpu(
        "nvidia-l2",
        "L2",
        "NVIDIA",
        "datacenter",
        24,
        300,
        96.5,
        "GDDR6",
        (
            "https://www.tomshardware.com/pc-components/gpus/new-nvidia-ai-gpus-designed-to-get-aro"
            "und-u-s-export-bans-come-to-china-h20-l20-and-l2-to-fill-void-left-by-restricted-model"
            "s (vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json) -- "
            "note: secondary source"
        ),
        aliases=("l2",),
    ),
    _gpu(
        "nvidia-b100",
        "B100",
        "NVIDIA",
        "datacenter",
        192,
        8000,
        None,
        "HBM3e",
        (
            "https://github.com/stas00/ml-engineering/blob/master/compute/accelerator/README.md "
            "(accelerator memory table: NVIDIA B100 SXM 192 GB HBM3e 8.00 TB/s, derived there from "
            "NVIDIA HGX/DGX specs)"
        ),
        aliases=("b100",),
    ),
    _gpu(
        "nvidia-b300",
        "B300",
        "NVIDIA",
        "datacenter",
        288,
        8000,
        None,
        "HBM3e",
        (
            "https://www.nvidia.com/en-au/data-center/hgx/ (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("b300",),
    ),
    _gpu(
        "nvidia-rtx-pro-6000-blackwell-server",
        "RTX PRO 6000 Blackwell Server Edition",
        "NVIDIA",
        "datacenter",
        96,
        1597,
        500,
        "GDDR7",
        (
            "https://www.nvidia.com/en-us/data-center/rtx-pro-6000-blackwell-server-edition/ "
            "(vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx pro 6000 blackwell server",),
    ),
    _gpu(
        "nvidia-v100-16gb",
        "V100 16GB",
        "NVIDIA",
        "datacenter",
        16,
        900,
        None,
        "HBM2",
        _CANIRUN
        + " "
        + (
            '("Tesla V100": 16 GB, 900 GB/s) ; '
            "https://github.com/winston-zhang-orz/gpu-specs/blob/main/specs.md (V100 PCIe / SXM2 "
            "16/32 GB, 900 GB/s)"
        ),
        aliases=("v100",),
        default=True,
    ),
    _gpu(
        "nvidia-p100-16gb",
        "Tesla P100 16GB",
        "NVIDIA",
        "datacenter",
        16,
        732,
        18.7,
        "HBM2",
        (
            "https://techwormam.pages.dev/posts/nvidia-unveils-its-powerful-pcie-hbm2-running-gp100"
            "-pascal-gpu-to-the-masses-techworm (16 GB 732 GB/s, 12 GB 549 GB/s) ; FP16 18.7 TFLOPS "
            "(PCIe) from "
            "https://tech4gamers.com/nvidia-tesla-p100-will-be-available-in-two-variants-of-16gb-12"
            "gb-hbm2/ -- note: the April 2016 launch articles (AnandTech) quote 720 GB/s for the "
            "SXM2 module"
        ),
        aliases=("p100",),
        default=True,
    ),
    _gpu(
        "nvidia-p100-12gb",
        "Tesla P100 12GB",
        "NVIDIA",
        "datacenter",
        12,
        549,
        18.7,
        "HBM2",
        (
            "https://techwormam.pages.dev/posts/nvidia-unveils-its-powerful-pcie-hbm2-running-gp100"
            "-pascal-gpu-to-the-masses-techworm (12 GB variant 549 GB/s)"
        ),
        aliases=("p100",),
    ),
    _gpu(
        "nvidia-jetson-orin-nano",
        "Jetson Orin Nano 8GB",
        "NVIDIA",
        "apu-unified",
        8,
        68,
        None,
        "LPDDR5",
        (
            "https://www.brojogopalsapui.com/ai-foundations/sub_contents/AI_hardware/jetson_orin_na"
            "no_light.html (8 GB LPDDR5 128-bit; 68 GB/s, 102 GB/s in the JetPack 6.1 'Super' mode; "
            "cites NVIDIA's Orin Nano Super developer kit datasheet)"
        ),
        aliases=("orin nano",),
        unified=True,
    ),
    _gpu(
        "nvidia-jetson-orin-nano-super",
        "Jetson Orin Nano 8GB (Super mode)",
        "NVIDIA",
        "apu-unified",
        8,
        102,
        None,
        "LPDDR5",
        (
            "https://www.brojogopalsapui.com/ai-foundations/sub_contents/AI_hardware/jetson_orin_na"
            "no_light.html (102 GB/s with the JetPack 6.1 'Super' clocks)"
        ),
        aliases=("orin nano super",),
        unified=True,
    ),
    _gpu(
        "nvidia-rtx-2000-ada",
        "RTX 2000 Ada Generation",
        "NVIDIA",
        "workstation",
        16,
        224,
        None,
        "GDDR6",
        (
            "https://www.nvidia.com/en-us/products/workstations/rtx-2000/ (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/nvidia.json) ; canirun GPU_DB agrees"
        ),
        aliases=("rtx 2000 ada",),
    ),
    _gpu(
        "nvidia-rtx-4000-sff-ada",
        "RTX 4000 SFF Ada Generation",
        "NVIDIA",
        "workstation",
        20,
        320,
        None,
        "GDDR6",
        (
            "https://www.nvidia.com/content/dam/en-zz/Solutions/gtcs22/design-visualization/quadro-"
            "product-literature/rtx-6000-l40-linecard-nvidia-us-2653097-r7-web.pdf (vendor page as "
            "cited in github.com/everfir/gpu-database src/data/nvidia.json) ; canirun GPU_DB agrees"
        ),
        aliases=("rtx 4000 sff ada",),
    ),
    _gpu(
        "nvidia-rtx-4000-ada",
        "RTX 4000 Ada Generation",
        "NVIDIA",
        "workstation",
        20,
        360,
        None,
        "GDDR6",
        (
            "https://www.nvidia.com/en-us/products/workstations/rtx-4000/ (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/nvidia.json) ; canirun GPU_DB agrees"
        ),
        aliases=("rtx 4000 ada",),
    ),
    _gpu(
        "nvidia-rtx-4500-ada",
        "RTX 4500 Ada Generation",
        "NVIDIA",
        "workstation",
        24,
        432,
        None,
        "GDDR6",
        (
            "https://www.nvidia.com/content/dam/en-zz/Solutions/products/workstations/nvidia-rtx-45"
            "00-datasheet.pdf (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/nvidia.json) ; canirun GPU_DB agrees"
        ),
        aliases=("rtx 4500 ada",),
    ),
    _gpu(
        "nvidia-rtx-pro-2000-blackwell",
        "RTX PRO 2000 Blackwell",
        "NVIDIA",
        "workstation",
        16,
        288,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/en-us/products/workstations/professional-desktop-gpus/rtx-pro-2"
            "000/ (vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx pro 2000",),
    ),
    _gpu(
        "nvidia-rtx-pro-4000-blackwell-sff",
        "RTX PRO 4000 Blackwell SFF Edition",
        "NVIDIA",
        "workstation",
        24,
        432,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/en-us/products/workstations/professional-desktop-gpus/rtx-pro-4"
            "000-sff/ (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/nvidia.json)"
        ),
        aliases=("rtx pro 4000 sff", "rtx pro 4000 blackwell sff"),
    ),
    _gpu(
        "nvidia-rtx-pro-4000-blackwell",
        "RTX PRO 4000 Blackwell",
        "NVIDIA",
        "workstation",
        24,
        672,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/en-us/products/workstations/professional-desktop-gpus/rtx-pro-4"
            "000/ (vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx pro 4000",),
    ),
    _gpu(
        "nvidia-rtx-pro-4500-blackwell",
        "RTX PRO 4500 Blackwell",
        "NVIDIA",
        "workstation",
        32,
        896,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/content/dam/en-zz/Solutions/data-center/rtx-pro-4500-blackwell/"
            "workstation-datasheet-blackwell-rtx-pro-4500-we-nvidia-us-4978450-web-new.pdf (vendor "
            "page as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx pro 4500",),
    ),
    _gpu(
        "nvidia-rtx-pro-5000-blackwell-48gb",
        "RTX PRO 5000 Blackwell 48GB",
        "NVIDIA",
        "workstation",
        48,
        1344,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/content/dam/en-zz/Solutions/products/workstations/professional-"
            "desktop-gpus/rtx-pro-5000-blackwell/workstation-datasheet-blackwell-rtx-pro-5000-gtc25"
            "-spring-nvidia-3658700.pdf (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/nvidia.json)"
        ),
        aliases=("rtx pro 5000",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-pro-5000-blackwell-72gb",
        "RTX PRO 5000 Blackwell 72GB",
        "NVIDIA",
        "workstation",
        72,
        1344,
        None,
        "GDDR7",
        (
            "https://blogs.nvidia.com/blog/rtx-pro-5000-72gb-blackwell-gpu/ (vendor page as cited "
            "in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx pro 5000",),
    ),
    _gpu(
        "nvidia-rtx-a5500",
        "RTX A5500",
        "NVIDIA",
        "workstation",
        24,
        768,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx a5500",),
    ),
    _gpu(
        "nvidia-rtx-a5000",
        "RTX A5000",
        "NVIDIA",
        "workstation",
        24,
        768,
        None,
        "GDDR6",
        (
            "https://www.techpowerup.com/gpu-specs/rtx-a5000.c3748 (TechPowerUp GPU database, read "
            "via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json) ; "
            "canirun GPU_DB agrees"
        ),
        aliases=("rtx a5000",),
    ),
    _gpu(
        "nvidia-rtx-a4500",
        "RTX A4500",
        "NVIDIA",
        "workstation",
        20,
        640,
        None,
        "GDDR6",
        (
            "https://www.techpowerup.com/gpu-specs/rtx-a4500.c3849 (TechPowerUp GPU database, read "
            "via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json) ; "
            "canirun GPU_DB agrees"
        ),
        aliases=("rtx a4500",),
    ),
    _gpu(
        "nvidia-rtx-a2000",
        "RTX A2000",
        "NVIDIA",
        "workstation",
        6,
        288,
        None,
        "GDDR6",
        (
            "https://www.techpowerup.com/gpu-specs/rtx-a2000.c3820 (TechPowerUp GPU database, read "
            "via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json) ; "
            "canirun GPU_DB agrees"
        ),
        aliases=("rtx a2000",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-a2000-12gb",
        "RTX A2000 12GB",
        "NVIDIA",
        "workstation",
        12,
        288,
        None,
        "GDDR6",
        (
            "https://www.techpowerup.com/gpu-specs/rtx-a2000-12-gb.c3853 (TechPowerUp GPU database, "
            "read via the snapshot in "
            "https://github.com/reox007/RightNow-GPU-Database/blob/main/data/nvidia/all.json)"
        ),
        aliases=("rtx a2000",),
    ),
    _gpu(
        "nvidia-quadro-rtx-8000",
        "Quadro RTX 8000",
        "NVIDIA",
        "workstation",
        48,
        672,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("quadro rtx 8000",),
    ),
    _gpu(
        "nvidia-quadro-rtx-6000",
        "Quadro RTX 6000",
        "NVIDIA",
        "workstation",
        24,
        672,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("quadro rtx 6000",),
    ),
    _gpu(
        "nvidia-quadro-rtx-5000",
        "Quadro RTX 5000",
        "NVIDIA",
        "workstation",
        16,
        448,
        None,
        "GDDR6",
        _CANIRUN + " " + "; https://github.com/winston-zhang-orz/gpu-specs/blob/main/specs.md agrees (448 GB/s)",
        aliases=("quadro rtx 5000",),
    ),
    _gpu(
        "nvidia-quadro-rtx-4000",
        "Quadro RTX 4000",
        "NVIDIA",
        "workstation",
        8,
        416,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("quadro rtx 4000",),
    ),
    _gpu(
        "nvidia-rtx-5060-ti-8gb",
        "GeForce RTX 5060 Ti 8GB",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR7",
        (
            "https://www.nvidia.com/en-gb/geforce/graphics-cards/compare/?section=compare-specs "
            "(vendor page as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx 5060 ti",),
    ),
    _gpu(
        "nvidia-rtx-5050",
        "GeForce RTX 5050",
        "NVIDIA",
        "consumer",
        8,
        320,
        None,
        "GDDR6",
        (
            "https://www.nvidia.com/en-au/geforce/graphics-cards/50-series/rtx-5050/ (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/nvidia.json)"
        ),
        aliases=("rtx 5050",),
    ),
    _gpu(
        "nvidia-rtx-3050",
        "GeForce RTX 3050",
        "NVIDIA",
        "consumer",
        8,
        224,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3050",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-3050-6gb",
        "GeForce RTX 3050 6GB",
        "NVIDIA",
        "consumer",
        6,
        168,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3050",),
    ),
    _gpu(
        "nvidia-rtx-2080-super",
        "GeForce RTX 2080 SUPER",
        "NVIDIA",
        "consumer",
        8,
        496,
        None,
        "GDDR6",
        _CANIRUN + " " + "; https://www.techpowerup.com/gpu-specs/geforce-rtx-2080-super.c3439 lists 495.9 GB/s",
        aliases=("rtx 2080 super",),
    ),
    _gpu(
        "nvidia-rtx-2080",
        "GeForce RTX 2080",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 2080",),
    ),
    _gpu(
        "nvidia-rtx-2070-super",
        "GeForce RTX 2070 SUPER",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN + " " + "; https://www.techpowerup.com/gpu-specs/geforce-rtx-2070-super.c3440 agrees",
        aliases=("rtx 2070 super",),
    ),
    _gpu(
        "nvidia-rtx-2070",
        "GeForce RTX 2070",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 2070",),
    ),
    _gpu(
        "nvidia-rtx-2060-super",
        "GeForce RTX 2060 SUPER",
        "NVIDIA",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 2060 super",),
    ),
    _gpu(
        "nvidia-rtx-2060",
        "GeForce RTX 2060",
        "NVIDIA",
        "consumer",
        6,
        336,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 2060",),
        default=True,
    ),
    _gpu(
        "nvidia-rtx-2060-12gb",
        "GeForce RTX 2060 12GB",
        "NVIDIA",
        "consumer",
        12,
        336,
        None,
        "GDDR6",
        _CANIRUN + " " + "; https://www.techpowerup.com/gpu-specs/geforce-rtx-2060-12-gb.c3836 agrees",
        aliases=("rtx 2060",),
    ),
    _gpu(
        "nvidia-gtx-1080-ti",
        "GeForce GTX 1080 Ti",
        "NVIDIA",
        "consumer",
        11,
        484,
        None,
        "GDDR5X",
        _CANIRUN,
        aliases=("gtx 1080 ti",),
    ),
    _gpu(
        "nvidia-gtx-1080",
        "GeForce GTX 1080",
        "NVIDIA",
        "consumer",
        8,
        320,
        None,
        "GDDR5X",
        _CANIRUN,
        aliases=("gtx 1080",),
    ),
    _gpu(
        "nvidia-gtx-1070-ti",
        "GeForce GTX 1070 Ti",
        "NVIDIA",
        "consumer",
        8,
        256,
        None,
        "GDDR5",
        _CANIRUN,
        aliases=("gtx 1070 ti",),
    ),
    _gpu(
        "nvidia-gtx-1070",
        "GeForce GTX 1070",
        "NVIDIA",
        "consumer",
        8,
        256,
        None,
        "GDDR5",
        _CANIRUN,
        aliases=("gtx 1070",),
    ),
    _gpu(
        "nvidia-gtx-1660-ti",
        "GeForce GTX 1660 Ti",
        "NVIDIA",
        "consumer",
        6,
        288,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("gtx 1660 ti",),
    ),
    _gpu(
        "nvidia-gtx-1660-super",
        "GeForce GTX 1660 SUPER",
        "NVIDIA",
        "consumer",
        6,
        336,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("gtx 1660 super",),
    ),
    _gpu(
        "nvidia-gtx-1660",
        "GeForce GTX 1660",
        "NVIDIA",
        "consumer",
        6,
        192,
        None,
        "GDDR5",
        _CANIRUN,
        aliases=("gtx 1660",),
    ),
    _gpu(
        "nvidia-gtx-1650-super",
        "GeForce GTX 1650 SUPER",
        "NVIDIA",
        "consumer",
        4,
        192,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("gtx 1650 super",),
    ),
    _gpu(
        "nvidia-gtx-1650",
        "GeForce GTX 1650",
        "NVIDIA",
        "consumer",
        4,
        128,
        None,
        "GDDR5",
        _CANIRUN,
        aliases=("gtx 1650",),
    ),
    _gpu(
        "nvidia-rtx-5090-laptop",
        "GeForce RTX 5090 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        24,
        896,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5090 laptop",),
    ),
    _gpu(
        "nvidia-rtx-5080-laptop",
        "GeForce RTX 5080 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        16,
        896,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5080 laptop",),
    ),
    _gpu(
        "nvidia-rtx-5070-ti-laptop",
        "GeForce RTX 5070 Ti Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        12,
        672,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5070 ti laptop",),
    ),
    _gpu(
        "nvidia-rtx-5070-laptop",
        "GeForce RTX 5070 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        384,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5070 laptop",),
    ),
    _gpu(
        "nvidia-rtx-5060-laptop",
        "GeForce RTX 5060 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        384,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5060 laptop",),
    ),
    _gpu(
        "nvidia-rtx-5050-laptop",
        "GeForce RTX 5050 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        384,
        None,
        "GDDR7",
        _CANIRUN,
        aliases=("rtx 5050 laptop",),
    ),
    _gpu(
        "nvidia-rtx-4080-laptop",
        "GeForce RTX 4080 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        12,
        432,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4080 laptop",),
    ),
    _gpu(
        "nvidia-rtx-4070-laptop",
        "GeForce RTX 4070 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        256,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4070 laptop",),
    ),
    _gpu(
        "nvidia-rtx-4060-laptop",
        "GeForce RTX 4060 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        256,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4060 laptop",),
    ),
    _gpu(
        "nvidia-rtx-4050-laptop",
        "GeForce RTX 4050 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        6,
        192,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 4050 laptop",),
    ),
    _gpu(
        "nvidia-rtx-3080-ti-laptop",
        "GeForce RTX 3080 Ti Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        16,
        512,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3080 ti laptop",),
    ),
    _gpu(
        "nvidia-rtx-3080-laptop",
        "GeForce RTX 3080 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        16,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3080 laptop",),
    ),
    _gpu(
        "nvidia-rtx-3070-ti-laptop",
        "GeForce RTX 3070 Ti Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3070 ti laptop",),
    ),
    _gpu(
        "nvidia-rtx-3070-laptop",
        "GeForce RTX 3070 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3070 laptop",),
    ),
    _gpu(
        "nvidia-rtx-3060-laptop",
        "GeForce RTX 3060 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        6,
        336,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3060 laptop",),
    ),
    _gpu(
        "nvidia-rtx-3050-ti-laptop",
        "GeForce RTX 3050 Ti Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        4,
        192,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3050 ti laptop",),
    ),
    _gpu(
        "nvidia-rtx-3050-laptop",
        "GeForce RTX 3050 Laptop GPU",
        "NVIDIA",
        "consumer-laptop",
        4,
        192,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rtx 3050 laptop",),
    ),
    _gpu(
        "amd-instinct-mi50",
        "Instinct MI50",
        "AMD",
        "datacenter",
        16,
        1024,
        26.5,
        "HBM2",
        (
            "https://www.anandtech.com/show/17326/amd-releases-instinct-mi210-accelerator-cdna-2-on"
            "-a-pcie-card (spec table: 16 GB, 1.02 TB/s, 26.5 TFLOPS FP16; read via the "
            "reproduction at http://pipedot.org/article/5XCG1)"
        ),
        aliases=("mi50",),
    ),
    _gpu(
        "amd-instinct-mi100",
        "Instinct MI100",
        "AMD",
        "datacenter",
        32,
        1228,
        184.6,
        "HBM2",
        (
            "https://rocm.docs.amd.com/en/latest/conceptual/gpu-arch/mi100.html (AMD ROCm docs: 32 "
            "GB HBM2, 4,096-bit, 'peak memory bandwidth ... 1.228 TB/sec'; Matrix FP16 184.6 "
            "TFLOPS)"
        ),
        aliases=("mi100",),
    ),
    _gpu(
        "amd-instinct-mi210",
        "Instinct MI210",
        "AMD",
        "datacenter",
        64,
        1600,
        181,
        "HBM2e",
        (
            "https://www.anandtech.com/show/17326/amd-releases-instinct-mi210-accelerator-cdna-2-on"
            "-a-pcie-card (spec table: 64 GB HBM2E, 4096-bit, 1.6 TBps, 181 TFLOPS FP16 matrix; "
            "read via http://pipedot.org/article/5XCG1)"
        ),
        aliases=("mi210",),
    ),
    _gpu(
        "amd-instinct-mi300a",
        "Instinct MI300A",
        "AMD",
        "datacenter",
        128,
        5300,
        980.6,
        "HBM3",
        (
            "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300a.html (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/amd.json) -- note: 128 GB HBM3 "
            "shared by CPU and GPU"
        ),
        aliases=("mi300a",),
        unified=True,
    ),
    _gpu(
        "amd-instinct-mi325x",
        "Instinct MI325X",
        "AMD",
        "datacenter",
        256,
        6000,
        1307.4,
        "HBM3e",
        (
            "https://www.amd.com/en/products/accelerators/instinct/mi300/mi325x.html (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/amd.json) ; "
            "https://docs.vultr.com/inference-cookbook/rocm/getting-started/hardware-requirements "
            "agrees (6.0 TB/s)"
        ),
        aliases=("mi325x",),
    ),
    _gpu(
        "amd-instinct-mi350x",
        "Instinct MI350X",
        "AMD",
        "datacenter",
        288,
        8000,
        2300,
        "HBM3e",
        (
            "https://www.amd.com/en/products/accelerators/instinct/mi350/mi350x.html (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("mi350x",),
    ),
    _gpu(
        "amd-instinct-mi355x",
        "Instinct MI355X",
        "AMD",
        "datacenter",
        288,
        8000,
        2500,
        "HBM3e",
        (
            "https://www.amd.com/en/products/accelerators/instinct/mi350/mi355x.html (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("mi355x",),
    ),
    _gpu(
        "amd-radeon-pro-w7900",
        "Radeon PRO W7900",
        "AMD",
        "workstation",
        48,
        864,
        122.64,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/workstations/radeon-pro/w7900.html (vendor "
            "page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("pro w7900", "w7900"),
    ),
    _gpu(
        "amd-radeon-pro-w7800",
        "Radeon PRO W7800",
        "AMD",
        "workstation",
        32,
        576,
        90.4,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/workstations/radeon-pro/w7800.html (vendor "
            "page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("pro w7800", "w7800"),
        default=True,
    ),
    _gpu(
        "amd-radeon-pro-w7800-48gb",
        "Radeon PRO W7800 48GB",
        "AMD",
        "workstation",
        48,
        864,
        90.4,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/workstations/radeon-pro/w7800-48gb.html "
            "(vendor page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("pro w7800", "w7800"),
    ),
    _gpu(
        "amd-radeon-ai-pro-r9700",
        "Radeon AI PRO R9700",
        "AMD",
        "workstation",
        32,
        640,
        191,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/workstations/radeon-ai-pro/ai-9000-series/amd"
            "-radeon-ai-pro-r9700.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/amd.json)"
        ),
        aliases=("ai pro r9700", "r9700"),
    ),
    _gpu(
        "amd-rx-7900-gre",
        "Radeon RX 7900 GRE",
        "AMD",
        "consumer",
        16,
        576,
        92,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/7000-series/amd-radeon-rx-790"
            "0-gre.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("rx 7900 gre",),
    ),
    _gpu(
        "amd-rx-7700-xt",
        "Radeon RX 7700 XT",
        "AMD",
        "consumer",
        12,
        432,
        70.3,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/7000-series/amd-radeon-rx-770"
            "0-xt.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json) "
            "; canirun GPU_DB agrees"
        ),
        aliases=("rx 7700 xt",),
    ),
    _gpu(
        "amd-rx-7600-xt",
        "Radeon RX 7600 XT",
        "AMD",
        "consumer",
        16,
        288,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 7600 xt",),
    ),
    _gpu(
        "amd-rx-7600",
        "Radeon RX 7600",
        "AMD",
        "consumer",
        8,
        288,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 7600",),
    ),
    _gpu(
        "amd-rx-7900m",
        "Radeon RX 7900M",
        "AMD",
        "consumer-laptop",
        16,
        576,
        77,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/laptops/radeon/7000-series/amd-radeon-rx-7900"
            "m.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json) -- "
            "note: canirun GPU_DB lists 720 GB/s; AMD's page value is recorded"
        ),
        aliases=("rx 7900m",),
    ),
    _gpu(
        "amd-rx-9070",
        "Radeon RX 9070",
        "AMD",
        "consumer",
        16,
        640,
        145,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/9000-series/amd-radeon-rx-907"
            "0.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("rx 9070",),
    ),
    _gpu(
        "amd-rx-9070-gre",
        "Radeon RX 9070 GRE",
        "AMD",
        "consumer",
        12,
        432,
        137,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/9000-series/amd-radeon-rx-907"
            "0-gre.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("rx 9070 gre",),
    ),
    _gpu(
        "amd-rx-9060-xt-16gb",
        "Radeon RX 9060 XT 16GB",
        "AMD",
        "consumer",
        16,
        320,
        103,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/9000-series/amd-radeon-rx-906"
            "0xt.html (vendor page as cited in github.com/everfir/gpu-database src/data/amd.json)"
        ),
        aliases=("rx 9060 xt",),
        default=True,
    ),
    _gpu(
        "amd-rx-9060-xt-8gb",
        "Radeon RX 9060 XT 8GB",
        "AMD",
        "consumer",
        8,
        320,
        103,
        "GDDR6",
        (
            "https://www.amd.com/en/products/graphics/desktops/radeon/9000-series/amd-radeon-rx-906"
            "0xt-8gb.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/amd.json)"
        ),
        aliases=("rx 9060 xt",),
    ),
    _gpu(
        "amd-rx-6900-xt",
        "Radeon RX 6900 XT",
        "AMD",
        "consumer",
        16,
        512,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6900 xt",),
    ),
    _gpu(
        "amd-rx-6800-xt",
        "Radeon RX 6800 XT",
        "AMD",
        "consumer",
        16,
        512,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6800 xt",),
    ),
    _gpu(
        "amd-rx-6800",
        "Radeon RX 6800",
        "AMD",
        "consumer",
        16,
        512,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6800",),
    ),
    _gpu(
        "amd-rx-6750-xt",
        "Radeon RX 6750 XT",
        "AMD",
        "consumer",
        12,
        432,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6750 xt",),
    ),
    _gpu(
        "amd-rx-6700-xt",
        "Radeon RX 6700 XT",
        "AMD",
        "consumer",
        12,
        384,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6700 xt",),
    ),
    _gpu(
        "amd-rx-6650-xt",
        "Radeon RX 6650 XT",
        "AMD",
        "consumer",
        8,
        280,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6650 xt",),
    ),
    _gpu(
        "amd-rx-6600-xt",
        "Radeon RX 6600 XT",
        "AMD",
        "consumer",
        8,
        256,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6600 xt",),
    ),
    _gpu(
        "amd-rx-6600",
        "Radeon RX 6600",
        "AMD",
        "consumer",
        8,
        224,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 6600",),
    ),
    _gpu(
        "amd-rx-5700-xt",
        "Radeon RX 5700 XT",
        "AMD",
        "consumer",
        8,
        448,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("rx 5700 xt",),
    ),
    _gpu(
        "amd-radeon-vii",
        "Radeon VII",
        "AMD",
        "consumer",
        16,
        1024,
        None,
        "HBM2",
        _CANIRUN,
        aliases=("radeon vii",),
    ),
    _gpu(
        "intel-arc-a770-8gb",
        "Arc A770 8GB",
        "Intel",
        "consumer",
        8,
        512,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/details/discrete-gpus/arc/desktop/a-s"
            "eries.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc a770",),
    ),
    _gpu(
        "intel-arc-a750",
        "Arc A750",
        "Intel",
        "consumer",
        8,
        512,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/details/discrete-gpus/arc/desktop/a-s"
            "eries.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json) ; canirun GPU_DB agrees"
        ),
        aliases=("arc a750",),
    ),
    _gpu(
        "intel-arc-a580",
        "Arc A580",
        "Intel",
        "consumer",
        8,
        512,
        None,
        "GDDR6",
        (
            "https://cdrdv2-public.intel.com/792016/A580%20Product%20Guide%20v1.2.pdf (vendor page "
            "as cited in github.com/everfir/gpu-database src/data/intel-other.json) ; canirun "
            "GPU_DB agrees"
        ),
        aliases=("arc a580",),
    ),
    _gpu(
        "intel-arc-a380",
        "Arc A380",
        "Intel",
        "consumer",
        6,
        186,
        None,
        "GDDR6",
        _CANIRUN,
        aliases=("arc a380",),
    ),
    _gpu(
        "intel-arc-b580",
        "Arc B580",
        "Intel",
        "consumer",
        12,
        456,
        None,
        "GDDR6",
        (
            "https://download.intel.com/newsroom/2024/client-computing/Intel-Arc-B580-B570-Media-De"
            "ck.pdf (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc b580",),
    ),
    _gpu(
        "intel-arc-b570",
        "Arc B570",
        "Intel",
        "consumer",
        10,
        380,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/241676/intel-arc-b570-graphics/sp"
            "ecifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc b570",),
    ),
    _gpu(
        "intel-arc-pro-a60",
        "Arc Pro A60",
        "Intel",
        "workstation",
        12,
        384,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/235979/intel-arc-pro-a60-graphics"
            "/specifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc pro a60",),
    ),
    _gpu(
        "intel-arc-pro-b50",
        "Arc Pro B50",
        "Intel",
        "workstation",
        16,
        224,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/242615/intel-arc-pro-b50-graphics"
            "/specifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc pro b50",),
    ),
    _gpu(
        "intel-arc-pro-b60",
        "Arc Pro B60",
        "Intel",
        "workstation",
        24,
        456,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/243916/intel-arc-pro-b60-graphics"
            "/specifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc pro b60",),
    ),
    _gpu(
        "intel-arc-pro-b65",
        "Arc Pro B65",
        "Intel",
        "workstation",
        32,
        608,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/245796/intel-arc-pro-b65-graphics"
            "/specifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc pro b65",),
    ),
    _gpu(
        "intel-arc-pro-b70",
        "Arc Pro B70",
        "Intel",
        "workstation",
        32,
        608,
        None,
        "GDDR6",
        (
            "https://www.intel.com/content/www/us/en/products/sku/245797/intel-arc-pro-b70-graphics"
            "/specifications.html (vendor page as cited in github.com/everfir/gpu-database "
            "src/data/intel-other.json)"
        ),
        aliases=("arc pro b70",),
    ),
    _gpu(
        "intel-data-center-gpu-max-1550",
        "Data Center GPU Max 1550",
        "Intel",
        "datacenter",
        128,
        3276.8,
        839,
        "HBM2e",
        (
            "https://www.intel.com/content/dam/www/central-libraries/us/en/documents/2023-01/data-c"
            "enter-gpu-max-series-product-brief.pdf (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/intel-other.json)"
        ),
        aliases=("max 1550",),
    ),
    _gpu(
        "intel-data-center-gpu-max-1100",
        "Data Center GPU Max 1100",
        "Intel",
        "datacenter",
        48,
        1228.8,
        None,
        "HBM2e",
        (
            "https://www.intel.com/content/dam/www/central-libraries/us/en/documents/2023-01/data-c"
            "enter-gpu-max-series-product-brief.pdf (vendor page as cited in "
            "github.com/everfir/gpu-database src/data/intel-other.json)"
        ),
        aliases=("max 1100",),
    ),
)

# --------------------------------------------------------------------------------------------------
# GPU name matching
# --------------------------------------------------------------------------------------------------

_GIB_IN_GB = 1.073741824
_TRADEMARK_RE = re.compile(r"\((?:tm|r|c)\)")
_SEPARATOR_RE = re.compile(r"[^a-z0-9.]+")
# a memory size printed in the name ("A100-SXM4-80GB", "GH200 144G"), not glued to a model ("A10G")
_MEMORY_RE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(?:gib|gb|g)(?![a-z0-9])")
_TOKEN_RE = re.compile(r"[a-z]+|\d+")
# A token right after a matched pattern that names a different part ("RTX 3080" + "Ti", "L40" + "S",
# "A10" + "G", "M3" + "Max"): the shorter pattern must not claim it.
_VARIANT_SUFFIXES = frozenset(
    {
        "ti",
        "super",
        "xt",
        "xtx",
        "gre",
        "m",
        "s",
        "x",
        "g",
        "d",
        "laptop",
        "mobile",
        "max",
        "pro",
        "ultra",
        "nvl",
        "plus",
        "sff",
    }
)
_MOBILE_CATEGORIES = frozenset({"consumer-laptop", "apu-unified", "apple-unified", "desktop-unified"})


def _tokens(text: str) -> tuple[tuple[str, ...], float | None]:
    """Lower-case word/number tokens of a device name, with any printed memory size removed and returned.

    Letters and digits are split ("H100NVL" -> h 100 nvl), so spacing, hyphens and case do not matter.
    """
    s = _TRADEMARK_RE.sub(" ", text.lower()).replace("+", " plus ")
    s = _SEPARATOR_RE.sub(" ", s)
    memory: float | None = None
    found = _MEMORY_RE.search(s)
    if found:
        memory = float(found.group(1))
        s = _MEMORY_RE.sub(" ", s)
    return tuple(_TOKEN_RE.findall(s)), memory


@dataclass(frozen=True, slots=True)
class _Alias:
    tokens: tuple[str, ...]
    exclude: frozenset[str]
    spec: GpuSpec
    default: bool
    order: int


def _build_gpu_index() -> dict[str, tuple[_Alias, ...]]:
    by_key = {spec.key: (i, spec) for i, spec in enumerate(GPU_SPECS)}
    index: dict[str, list[_Alias]] = {}
    for key, patterns, default, exclude in _GPU_ALIAS_DEFS:
        order, spec = by_key[key]
        for pattern in patterns:
            tokens, _ = _tokens(pattern)
            alias = _Alias(tokens, frozenset(exclude), spec, default, order)
            index.setdefault(tokens[0], []).append(alias)
    return {first: tuple(aliases) for first, aliases in index.items()}


_GPU_INDEX = _build_gpu_index()


def _vram_distance(spec: GpuSpec, hint: float) -> float:
    """|log| ratio between the hint and the spec's memory, reading the hint as GB or as GiB."""
    if spec.vram_gb is None or hint <= 0:
        return math.inf
    return min(abs(math.log(h / spec.vram_gb)) for h in (hint, hint * _GIB_IN_GB))


def match_gpu(driver_name: str, vram_gb: float | None = None) -> GpuSpec | None:
    """The spec for a GPU name as a driver prints it, or None when the name is unknown or generic.

    Rules: names are compared as token sequences (case, spaces, hyphens, "(TM)"/"(R)" and vendor words do
    not matter); the longest matching pattern wins, and a pattern never claims a name where the next token
    names another part (L4 vs L40, A10 vs A10G, M3 vs M3 Max, 3080 vs 3080 Ti). When several memory variants
    share the winning pattern, the memory size (``vram_gb`` in GB or GiB, else a size printed in the name)
    picks the closest; without one the variant marked default (the common one) wins, else table order.
    Laptop/mobile names only match laptop or unified parts.
    """
    if not driver_name:
        return None
    tokens, printed_memory = _tokens(driver_name)
    if not tokens:
        return None
    present = frozenset(tokens)
    mobile = ("laptop" in present or "mobile" in present or _has_max_q(tokens)) and "workstation" not in present
    best: list[_Alias] = []
    best_len = 0
    for i, token in enumerate(tokens):
        for alias in _GPU_INDEX.get(token, ()):
            n = len(alias.tokens)
            if n < best_len or tokens[i : i + n] != alias.tokens:
                continue
            if i + n < len(tokens) and tokens[i + n] in _VARIANT_SUFFIXES:
                continue
            if alias.exclude & present:
                continue
            if mobile and alias.spec.category not in _MOBILE_CATEGORIES:
                continue
            if n > best_len:
                best, best_len = [alias], n
            else:
                best.append(alias)
    if not best:
        return None
    candidates: dict[str, _Alias] = {}
    for alias in sorted(best, key=lambda a: a.order):
        candidates.setdefault(alias.spec.key, alias)
    if len(candidates) == 1:
        return best[0].spec
    hint = vram_gb if vram_gb is not None else printed_memory
    ranked = sorted(
        candidates.values(),
        key=lambda a: (
            _vram_distance(a.spec, hint) if hint is not None else 0.0,
            not a.default,
            a.order,
        ),
    )
    return ranked[0].spec


def _has_max_q(tokens: tuple[str, ...]) -> bool:
    return any(a == "max" and b == "q" for a, b in zip(tokens, tokens[1:], strict=False))


# --------------------------------------------------------------------------------------------------
# CPU / system-memory table
# --------------------------------------------------------------------------------------------------

_TOMS_EPYC = (
    "https://www.tomshardware.com/uk/news/amd-confirms-12-ddr5-memory-channels-on-genoa (8 x DDR4-3200 = "
    "204.8 GB/s on Rome/Milan; 12 x DDR5 = 460.8 GB/s on Genoa) ; https://www.tomshardware.fr/epyc-genoa-la-"
    "prise-en-charge-de-12-canaux-de-memoire-ddr5-confirmee/ (table: 7001 8c DDR4-2666, 7002 8c DDR4-3200, "
    "7003 8c DDR4-3200)"
)

_APPLE_CPU_ROWS = tuple(
    CpuMemorySpec(
        key=spec.key,
        name=spec.name,
        bandwidth_gbps=spec.bandwidth_gbps,
        memory=f"unified {spec.memory_type} (SoC memory bandwidth, same figure as the GPU table)",
        source=spec.source,
    )
    for spec in GPU_SPECS
    if spec.vendor == "Apple"
)

CPU_MEMORY_SPECS: tuple[CpuMemorySpec, ...] = (
    CpuMemorySpec("amd-epyc-7001", "AMD EPYC 7001 (Naples)", 170.6, "8 x DDR4-2666 (8 x 2666 MT/s x 8 B)", _TOMS_EPYC),
    CpuMemorySpec("amd-epyc-7002", "AMD EPYC 7002 (Rome)", 204.8, "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)", _TOMS_EPYC),
    CpuMemorySpec("amd-epyc-7003", "AMD EPYC 7003 (Milan)", 204.8, "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)", _TOMS_EPYC),
    CpuMemorySpec(
        "amd-epyc-9004",
        "AMD EPYC 9004 (Genoa, Genoa-X, Bergamo)",
        460.8,
        "12 x DDR5-4800 (12 x 4800 MT/s x 8 B)",
        _TOMS_EPYC + " ; https://hothardware.com/news/zen5-epyc-turin-ddr5-leak ('Genoa processors only support "
        "DDR5 transfer rates up to 4800 MT/s officially')",
    ),
    CpuMemorySpec(
        "amd-epyc-9005",
        "AMD EPYC 9005 (Turin)",
        576.0,
        "12 x DDR5-6000 (12 x 6000 MT/s x 8 B)",
        "https://hothardware.com/news/zen5-epyc-turin-ddr5-leak (Turin: DDR5-6000) ; 12 channels per "
        "SP5 socket as for Genoa (" + _TOMS_EPYC.split(" ; ")[0] + ") -- note: the Turin speed comes from a pre-launch "
        "report, not an AMD page",
    ),
    CpuMemorySpec(
        "intel-xeon-scalable-gen1",
        "Intel Xeon Scalable 1st gen (Skylake-SP, x1xx)",
        128.0,
        "6 x DDR4-2666 (6 x 2666 MT/s x 8 B)",
        "https://www.kingston.com/en/blog/servers-and-data-centers/purley (Purley: 6 memory channels per "
        "processor, DDR4 up to 2666 MT/s; read via megalodon.jp archive)",
    ),
    CpuMemorySpec(
        "intel-xeon-scalable-gen4",
        "Intel Xeon Scalable 4th gen (Sapphire Rapids, x4xx)",
        307.2,
        "8 x DDR5-4800 (8 x 4800 MT/s x 8 B)",
        "https://www.theregister.com/2023/08/28/intel_xeon_memory_io/ ('Sapphire Rapids - top out at eight "
        "channels of DDR5 DRAM at 4,800MT/s'; read via vuink.com mirror) ; https://technosports.co.in/intel-"
        "next-gen-lga-7529-xeon-cpus (Sapphire Rapids 307.2 GB/s)",
    ),
    CpuMemorySpec(
        "intel-xeon-6900p",
        "Intel Xeon 6 6900P (Granite Rapids-AP)",
        614.4,
        "12 x DDR5-6400 (12 x 6400 MT/s x 8 B; MCR DIMMs go faster)",
        "https://www.theregister.com/2023/08/28/intel_xeon_memory_io/ (sixth-gen Xeon: 12-channel DDR5) ; "
        "https://technosports.co.in/intel-next-gen-lga-7529-xeon-cpus (12 channels of DDR5-6400, 614.4 GB/s) "
        "-- note: pre-launch reports, not an Intel ARK page",
    ),
    CpuMemorySpec(
        "aws-graviton2",
        "AWS Graviton2",
        204.8,
        "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)",
        "https://bateloved.github.io/Analyzing-DataCenter-Workloads/analysis.html (M6g/Graviton2: 8 memory "
        "channels, DDR4-3200, 204.8 GB/s)",
    ),
    CpuMemorySpec(
        "aws-graviton3",
        "AWS Graviton3",
        307.2,
        "8 x DDR5-4800 (8 x 4800 MT/s x 8 B)",
        "https://en.wikichip.org/wiki/AWS_Graviton3 (octa-channel DDR5-4800, max bandwidth 307.2 GB/s)",
    ),
    CpuMemorySpec(
        "aws-graviton4",
        "AWS Graviton4",
        536.7,
        "DDR5-5600 (figure as stated by the source)",
        "https://www.anandtech.com/show/21172/amazon-unveils-graviton4-a-96core-cpu-with-5367-gbs-memory-"
        "bandwidth (headline: 536.7 GBps) ; https://nextplatform.com/2024/09/19/aws-boosts-memory-capacity-on-"
        "graviton-4-compute (DDR5 at 5.6 GHz)",
    ),
    CpuMemorySpec(
        "ampere-altra",
        "Ampere Altra / Altra Max",
        204.8,
        "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)",
        "https://www.hardwareluxx.de/index.php/news/hardware/prozessoren/53483-ampere-altra-max-bietet-128-arm-"
        "v8-2-kerne-fuer-das-datacenter.html (memory controller 8 x 72 bit, eight channels of DDR4-3200)",
    ),
    CpuMemorySpec(
        "nvidia-grace-superchip",
        "NVIDIA Grace CPU Superchip (2 x 72 cores)",
        1000.0,
        "LPDDR5X, up to 960 GB (figure as stated by the source, both dies together)",
        "https://hardwaretimes.com/nvidia-announces-grace-cpu-up-2x-faster-than-amd-epyc-and-intel-xeon-parts-"
        "with-better-power-efficiency/ (raw memory BW up to 1 TB/s)",
    ),
    CpuMemorySpec(
        "amd-ryzen-3000",
        "AMD Ryzen 3000 desktop (Zen 2, Matisse)",
        51.2,
        "2 x DDR4-3200 (2 x 3200 MT/s x 8 B)",
        "https://www.thefpsreview.com/2019/05/24/amd-ryzen-3000-cpus-will-officially-support-ddr4-3200-"
        "memory/ (DDR4-3200, 51.2 GB/s dual channel)",
    ),
    CpuMemorySpec(
        "amd-ryzen-7000",
        "AMD Ryzen 7000 desktop (Zen 4, Raphael)",
        83.2,
        "2 x DDR5-5200 (2 x 5200 MT/s x 8 B; vendor maximum without overclocking)",
        "https://www.hardwaretimes.com/amd-ryzen-7000-cpus-to-support-ddr5-5200-memory-out-of-the-box-"
        "2-channels-per-dimm/ (native DDR5-5200, dual channel)",
    ),
    CpuMemorySpec(
        "amd-ryzen-9000",
        "AMD Ryzen 9000 desktop (Zen 5, Granite Ridge)",
        89.6,
        "2 x DDR5-5600 (2 x 5600 MT/s x 8 B; vendor maximum without overclocking)",
        "https://www.indiekings.com/2024/06/amd-ryzen-9000-zen-5-cpus-enhanced-ddr5.html "
        "(DDR5-5600 by default) ; dual channel as on AM5 (https://www.hardwaretimes.com/amd-ryzen-7000-"
        "cpus-to-support-ddr5-5200-memory-out-of-the-box-2-channels-per-dimm/)",
    ),
    CpuMemorySpec(
        "amd-ryzen-ai-max",
        "AMD Ryzen AI Max (Strix Halo)",
        256.0,
        "256-bit LPDDR5X-8000 (figure as stated by the source)",
        "https://huggingface.co/hardware/amd (Ryzen AI Max+ 395: 256 GB/s; same row as the GPU table's "
        "amd-ryzen-ai-max-plus-395)",
    ),
    CpuMemorySpec(
        "intel-core-12th-desktop",
        "Intel Core 12th gen desktop (Alder Lake-S)",
        76.8,
        "2 x DDR5-4800 (2 x 4800 MT/s x 8 B; DDR4-3200 boards are slower)",
        "https://game-news24.com/2022/04/27/amd-s-ryzen-7000-raphael-and-epyc-7004-genoa-to-support-"
        "ddr5-5200 ('Alder Lake ... support DDR5-4800') ; https://meterpreter.org/amd-zen-4-architecture-"
        "supports-ddr5-5200-specifications/ (Alder Lake DDR5 at 4800 MHz, dual channel)",
    ),
    # ---- added families: every figure is channels (or bus bytes) x vendor max MT/s, from the cited page ----
    # Intel Xeon Scalable / Xeon 6 / Xeon W / Xeon E
    CpuMemorySpec(
        "intel-xeon-scalable-gen2",
        "Intel Xeon Scalable 2nd gen (Cascade Lake-SP, x2xx)",
        140.8,
        "6 x DDR4-2933 (6 x 2933 MT/s x 8 B; Platinum 82xx / Gold 62xx, lower SKUs run slower DIMMs)",
        "derived: channels x MT/s x 8 B from https://www.microway.com/knowledge-center-articles/detailed-"
        "specifications-of-the-cascade-lake-sp-intel-xeon-processor-scalable-family-cpus/ ('Six-channel memory "
        "controller on each CPU', 'DDR4 memory speeds up to 2933MHz') ; https://www.nextplatform.com/2019/04/02/"
        "intel-pushes-xeon-sps-to-the-next-level-with-cascade-lake/ (DDR4 at 2.93 GHz)",
    ),
    CpuMemorySpec(
        "intel-xeon-9200",
        "Intel Xeon Platinum 9200 (Cascade Lake-AP, two dies per package)",
        281.6,
        "12 x DDR4-2933 (12 x 2933 MT/s x 8 B; 6 channels per die, 2 dies)",
        "derived: channels x MT/s x 8 B from https://tecnogaming.com/procesador-intel-xeon-admite-hasta-56-"
        "nucleos-y-12-canales-de-memoria (Cascade Lake-AP: DDR4-2933, 12 channels per package, two 28-core dies "
        "with 6-channel DDR4 each)",
    ),
    CpuMemorySpec(
        "intel-xeon-scalable-gen3",
        "Intel Xeon Scalable 3rd gen (Ice Lake-SP, x3xx; not Cooper Lake x3xxH)",
        204.8,
        "8 x DDR4-3200 (8 x 3200 MT/s x 8 B; Platinum / Gold 63xx, lower SKUs run slower DIMMs)",
        "derived: channels x MT/s x 8 B from https://www.microway.com/knowledge-center-articles/detailed-"
        "specifications-of-the-ice-lake-sp-intel-xeon-processor-scalable-family-cpus/ ('Eight-channel memory "
        "controller on each CPU (up from six)', 'DDR4 memory speeds up to 3200MHz (up from 2933MHz)') ; "
        "https://www.wwt.com/article/memory-population-guidelines-for-intel-4th-gen-xeon-scalable-processors (3rd "
        "Gen: eight channels, 3200MT/s)",
    ),
    CpuMemorySpec(
        "intel-xeon-scalable-gen5",
        "Intel Xeon Scalable 5th gen (Emerald Rapids, x5xx)",
        358.4,
        "8 x DDR5-5600 (8 x 5600 MT/s x 8 B; top SKUs at 1 DIMM per channel, lower SKUs run slower DIMMs)",
        "derived: channels x MT/s x 8 B from https://www.smbom.com/news/12978 (launched 5th Gen Xeon: 'support "
        "for DDR5 DIMMs at speeds up to 5600 MT/s') ; https://wccftech.com/intel-emerald-rapids-5th-gen-xeon-cpu-"
        "family-specs-leaked-up-to-64-cores-ddr5-5600-80-gen-5-lanes-350w/ ('DDR5-5600 (1DPC)', '8-channel DDR5 "
        "memory platform') -- note: the channel count comes from a pre-launch leak",
    ),
    CpuMemorySpec(
        "intel-xeon-6700",
        "Intel Xeon 6 6700E/6700P/6500P (Sierra Forest-SP, Granite Rapids-SP)",
        409.6,
        "8 x DDR5-6400 (8 x 6400 MT/s x 8 B; 1 DIMM per channel, MCR DIMMs go faster)",
        "derived: channels x MT/s x 8 B from https://techwarrant.com/new-intel-xeon-6-processors-get-up-to-288-e-"
        "cores-or-128-p-cores (Xeon 6700 series: 'eight-channel DDR5-6400 memory') ; https://www.cnews.cz/clanky/"
        "nove-procesory-xeon-6700p-6500p-a-6300p-povede-se-intelu-vratit-na-vysluni-v-serverech/ (6700P/6500P: "
        "always eight-channel DDR5-6400 at 1DPC) ; https://technosports.co.in/?p=742981 (6700E: 8-channel "
        "DDR5-6400)",
    ),
    CpuMemorySpec(
        "intel-xeon-w3400",
        "Intel Xeon W-3400 (Sapphire Rapids-WS, w5/w7/w9-34xx)",
        307.2,
        "8 x DDR5-4800 (8 x 4800 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.sweclockers.com/nyhet/35696-intel-kontrar-amd-ryzen-"
        "threadripper-med-sapphire-rapids-och-56-karnor (W-3400: eight DDR5-4800 channels, 307.2 GB/s) ; "
        "https://sstc.co.jp/products/Book/Intel_Xeon_W/files/basic-html/page8.html (all W-3400 SKUs: 8-channel "
        "DDR5-4800)",
    ),
    CpuMemorySpec(
        "intel-xeon-w2400",
        "Intel Xeon W-2400 (Sapphire Rapids-WS, w3/w5/w7/w9-24xx)",
        153.6,
        "4 x DDR5-4800 (4 x 4800 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.sweclockers.com/nyhet/35696-intel-kontrar-amd-ryzen-"
        "threadripper-med-sapphire-rapids-och-56-karnor (W-2400: four DDR5-4800 channels, 153.6 GB/s)",
    ),
    CpuMemorySpec(
        "intel-xeon-e2300",
        "Intel Xeon E-2300 (Rocket Lake-E)",
        51.2,
        "2 x DDR4-3200 (2 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.chip.pl/2021/07/procesory-intel-xeon-e-2300-rocket-lake/ "
        "(E-2300: DDR4-3200, up to four DIMMs) ; https://itcctv.vn/page/intel-xeon-e-2400-giai-phap-gia-re-cho-cac-"
        "he-thong-may-tram-va-server (E-2300 is Rocket Lake on LGA 1200) ; dual channel as Rocket Lake-S "
        "(https://ilsoftware.it/Intel-Rocket-Lake-S-la-nuova-piattaforma-con-supporto-PCIe-40-Thunderbolt-4-e-GPU-"
        "Xe_20926, 'DDR4 a doppio canale')",
    ),
    CpuMemorySpec(
        "intel-xeon-e2400",
        "Intel Xeon E-2400 (Raptor Lake-E)",
        76.8,
        "2 x DDR5-4800 (2 x 4800 MT/s x 8 B; no DDR4)",
        "derived: channels x MT/s x 8 B from https://www.cnews.cz/clanky/chcete-raptor-lake-bez-malych-jader-intel-"
        "vydava-verzi-pro-servery-jen-s-p-core-ale-bez-avx-512/ (E-2400: dual-channel DDR5-4800 controller with ECC, "
        "DDR4 not supported)",
    ),
    # AMD EPYC / Threadripper
    CpuMemorySpec(
        "amd-epyc-8004",
        "AMD EPYC 8004 (Siena)",
        230.4,
        "6 x DDR5-4800 (6 x 4800 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.nextinpact.com/article/72513/epyc-4e-generation-amd-"
        "complete-sa-famille-avec-8004-siena-sur-nouveau-socket-sp6 ('six canaux de DDR5 (jusqu'a 4 800 MHz)') ; "
        "https://akex.ca/tech/amd-releases-epyc-8004-siena-cpus-zen-4c-for-edge-optimized-server-chips (6 channels "
        "of DDR5)",
    ),
    CpuMemorySpec(
        "amd-threadripper-3000",
        "AMD Ryzen Threadripper 3000 (Castle Peak, 39x0X, sTRX4)",
        102.4,
        "4 x DDR4-3200 (4 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.amd.com/en/products/specifications/processors (as exported "
        "in https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv: 3970X/3960X 'Up to "
        "3200MHz', DDR4, 4 channels) ; https://www.cpu-monkey.com/it/cpu_family-amd_ryzen_threadripper (quad "
        "channel DDR4-3200, >102 GB/s)",
    ),
    CpuMemorySpec(
        "amd-threadripper-pro-3000wx",
        "AMD Ryzen Threadripper PRO 3000WX (Castle Peak, 39x5WX, sWRX8)",
        204.8,
        "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.amd.com/en/products/specifications/processors (as exported "
        "in https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv: 3995WX/3975WX/3955WX/"
        "3945WX 'Up to 3200MHz', DDR4, 8 channels)",
    ),
    CpuMemorySpec(
        "amd-threadripper-pro-5000wx",
        "AMD Ryzen Threadripper PRO 5000WX (Chagall, 59x5WX, sWRX8)",
        204.8,
        "8 x DDR4-3200 (8 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.amd.com/en/products/specifications/processors (as exported "
        "in https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv: 5995WX...5945WX 'Up to "
        "3200MHz', DDR4, 8 channels) ; https://www.sweclockers.com/nyhet/33442-amd-bekraftar-ryzen-threadripper-pro-"
        "5000-med-upp-till-64-karnor-zen-3 (eight DDR4 channels)",
    ),
    # AMD Ryzen client
    CpuMemorySpec(
        "amd-ryzen-5000",
        "AMD Ryzen 5000 desktop (Zen 3 Vermeer, 5000G Cezanne) and 4000G/4100/4500 (Renoir)",
        51.2,
        "2 x DDR4-3200 (2 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.amd.com/en/products/specifications/processors (as exported "
        "in https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv: 5950X...5500, 5700G/"
        "5600G, 4600G, 4500, 4100 'Up to 3200MHz', DDR4, 2 channels)",
    ),
    CpuMemorySpec(
        "amd-ryzen-5000-mobile",
        "AMD Ryzen 4000/5000 mobile (Renoir, Lucienne, Cezanne, Barcelo; U/H/HS/HX)",
        68.3,
        "2 x 64-bit LPDDR4X-4266 (128-bit, 4266 MT/s x 16 B; vendor maximum -- DDR4-3200 SO-DIMM laptops: 51.2 GB/s)",
        "derived: bus width x MT/s from https://www.amd.com/en/products/specifications/processors (as exported in "
        "https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv: 5800U/5800H/5900HX/4800U "
        "'DDR4 - Up to 3200MHz, LPDDR4 - Up to 4266MHz', 5825U DDR4 2 channels) ; https://www.golem.de/news/"
        "rembrandt-h-u-ryzen-mobile-6000-sind-erste-raytracing-apus-2201-162131.html (Cezanne/Barcelo: LPDDR4X-4266, "
        "68 GB/s limit)",
    ),
    CpuMemorySpec(
        "amd-ryzen-6000-mobile",
        "AMD Ryzen 6000 mobile (Rembrandt, U/H/HS/HX)",
        102.4,
        "2 x 64-bit LPDDR5-6400 (128-bit, 6400 MT/s x 16 B; vendor maximum -- DDR5-4800 SO-DIMM laptops: 76.8 GB/s)",
        "derived: bus width x MT/s from https://www.golem.de/news/rembrandt-h-u-ryzen-mobile-6000-sind-erste-"
        "raytracing-apus-2201-162131.html ('Neben DDR5-4800 kann alternativ LPDDR5-6400 eingesetzt werden, was am "
        "128 Bit breiten Interface in 102 GByte/s resultiert')",
    ),
    CpuMemorySpec(
        "amd-ryzen-7040-mobile",
        "AMD Ryzen 7040/8040 mobile (Phoenix, Hawk Point; U/HS/H)",
        120.0,
        "2 x 64-bit LPDDR5X-7500 (128-bit, 7500 MT/s x 16 B; vendor maximum -- DDR5-5600 SO-DIMM laptops: 89.6 GB/s)",
        "derived: bus width x MT/s from https://www.tomshardware.fr/les-ryzen-7040-pheonix-point-conservent-le-pcie-"
        "4-0/ (Phoenix: DDR5-5600 and LPDDR5x-7500 natively) ; https://www.purepc.pl/amd-krackan-point-procesory-z-"
        "rdzeniami-zen-5-i-ukladami-rdna-3-5-otrzymaja-usprawniony-kontroler-ram-lpddr5x (Phoenix and Hawk Point "
        "(Ryzen 7040 and 8040) share one memory controller: LPDDR5X 7500 / DDR5 5600) ; 2 channels per "
        "https://github.com/felixsteinke/cpu-spec-dataset/blob/main/dataset/amd-cpus.csv (AMD export)",
    ),
    CpuMemorySpec(
        "amd-ryzen-7045hx",
        "AMD Ryzen 7045HX mobile (Dragon Range)",
        83.2,
        "2 x DDR5-5200 (2 x 5200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.tomshardware.fr/les-ryzen-7040-pheonix-point-conservent-le-"
        "pcie-4-0/ ('les Dragon Range se limitent a la DDR5-5200') ; https://github.com/felixsteinke/cpu-spec-"
        "dataset/blob/main/dataset/amd-cpus.csv (AMD export: 7945HX...7645HX DDR5, 2 channels)",
    ),
    CpuMemorySpec(
        "amd-ryzen-ai-300",
        "AMD Ryzen AI 300 (Strix Point: AI 9 HX 375/370, AI 9 365, AI 7 PRO 360)",
        120.0,
        "2 x 64-bit LPDDR5X-7500 (128-bit, 7500 MT/s x 16 B; recorded: the LPDDR5X figure -- DDR5-5600 2-channel "
        "laptops reach 89.6 GB/s)",
        "derived: bus width x MT/s from https://www.hardwareluxx.de/index.php/news/hardware/prozessoren/63926-strix-"
        "halo-amds-st%C3%A4rkste-apu-zeigt-sich-mit-128-gb-arbeitsspeicher.html (Ryzen AI memory controller: DDR5-"
        "5600 or LPDDR5x-7500; table: Strix Point 128 bit, 120 GB/s) ; https://www.purepc.pl/amd-krackan-point-"
        "procesory-z-rdzeniami-zen-5-i-ukladami-rdna-3-5-otrzymaja-usprawniony-kontroler-ram-lpddr5x (Strix Point: "
        "LPDDR5X 7500 plus DDR5 5600) -- note: Krackan (AI 5/7 330-350) is reported with a faster controller and is "
        "not claimed",
    ),
    CpuMemorySpec(
        "amd-ryzen-8000g",
        "AMD Ryzen 8000G desktop (Phoenix / Phoenix 2 on AM5)",
        83.2,
        "2 x DDR5-5200 (2 x 5200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://www.purepc.pl/amd-ryzen-5-8500g-oraz-ryzen-3-8300g-z-obnizona-"
        "liczba-linii-pcie-4-0-dla-karty-graficznej-oraz-ssd (8700G/8600G/8500G/8300G: DDR5 5200) ; "
        "https://www.tweaktown.com/news/95576/amd-ryzen-8000g-phoenix-2-desktop-apu-limited-to-pcie-4-0-x4-for-gpu-"
        "x2-ssds/index.html (8700G/8600G dual-channel DDR5) -- note: a board spec sheet listed Phoenix 2 (8500G/"
        "8300G) as single-channel, https://gamebastion.com/n/amd-ryzen-8000g-phoenix-2-desktop-apus/399295 reports "
        "AMD's 8300G page lists dual-channel",
    ),
    # Intel Core client
    CpuMemorySpec(
        "intel-core-13th-14th-desktop",
        "Intel Core i7/i9 and i5-x600K 13th/14th gen desktop (Raptor Lake-S / Refresh) and 13th gen HX",
        89.6,
        "2 x DDR5-5600 (2 x 5600 MT/s x 8 B; recorded: the DDR5 figure -- DDR4-3200 boards reach 51.2 GB/s; "
        "not matched: i5 non-K and i3 parts, specified lower, e.g. i5-13400 at DDR5-4800)",
        "derived: channels x MT/s x 8 B from https://www.thefpsreview.com/2022/07/06/13th-gen-core-raptor-lake-s-"
        "processors-to-support-ddr5-5600-and-ddr4-3200-memory/ (Raptor Lake-S: DDR5-5600 and DDR4-3200) ; "
        "https://www.hardwareluxx.de/index.php/news/hardware/prozessoren/63926-strix-halo-amds-st%C3%A4rkste-apu-"
        "zeigt-sich-mit-128-gb-arbeitsspeicher.html (table: Raptor Lake (Core-14000-Serie) 128 bit DDR5-5600, 89.6 "
        "GB/s) ; https://www.theverge.com/2023/1/3/23536804/intels-13th-gen-mobile-processors-specs-release-date-"
        "price-ces-2023 (13th gen HX: DDR5 up to 5600, DDR4 up to 3200) ; https://zaro.info/processor-memory-"
        "support/what-is-the-max-ram-speed-for-intel-core-i9-13900k (i9-13900K: DDR5 5600, 2 channels, 89.6 GB/s) ; "
        "https://computexsl.lk/shop/processors/intel-i5-13400-processor-20mb-cache-2-50-ghz-up-to-4-60-ghz-16-threads-"
        "10-cores-desktop-processor-3-years-warranty (ARK copy: i5-13400 DDR5 4800, 76.8 GB/s -- why non-K i5 is "
        "left out)",
    ),
    CpuMemorySpec(
        "intel-core-ultra-200s",
        "Intel Core Ultra 200S desktop (Arrow Lake-S)",
        102.4,
        "2 x DDR5-6400 (2 x 6400 MT/s x 8 B; CUDIMM at 1 DIMM per channel on 2-slot boards -- UDIMM / 4-slot boards "
        "are specified at DDR5-5600, 89.6 GB/s)",
        "derived: channels x MT/s x 8 B from https://hardwareluxx.de/index.php/news/hardware/arbeitsspeicher/64656-"
        "arrow-lake-s-cudimm,-udimm-und-die-vorgaben-des-speichercontrollers.html (Intel Core Ultra 200S datasheet: "
        "two memory channels; UDIMM DDR5-5600, CUDIMM DDR5-6400 at 1DPC)",
    ),
    CpuMemorySpec(
        "intel-core-ultra-100-mobile",
        "Intel Core Ultra 100 mobile (Meteor Lake, 1x5U/1x4U/1x5H)",
        119.5,
        "2 x 64-bit LPDDR5X-7467 (128-bit, 7467 MT/s x 16 B; vendor maximum -- DDR5-5600 SO-DIMM laptops: 89.6 GB/s)",
        "derived: bus width x MT/s from https://thinkcomputers.org/intel-14th-gen-core-meteor-lake-h-p-u-will-feature-"
        "new-low-power-efficient-cores/ ('support for DDR5-5600 or LPDDR5/LPDDR5X-7467') ; "
        "https://www.hardwareluxx.de/index.php/news/hardware/prozessoren/63926-strix-halo-amds-st%C3%A4rkste-apu-"
        "zeigt-sich-mit-128-gb-arbeitsspeicher.html (table: Meteor Lake 128 bit LPDDR5X-7467, 119.5 GB/s)",
    ),
    CpuMemorySpec(
        "intel-core-ultra-200v",
        "Intel Core Ultra 200V mobile (Lunar Lake, on-package memory)",
        136.5,
        "2 x 64-bit LPDDR5X-8533 on package (128-bit, 8533 MT/s x 16 B)",
        "derived: bus width x MT/s from https://www.igorslab.de/en/intels-mobile-lunar-lake-mx-processors-are-"
        "expected-to-use-samsungs-lpddr5x-on-package-memory/ (dual-channel LPDDR5X-8533 on-package) ; "
        "https://www.hardwareluxx.de/index.php/news/hardware/prozessoren/63926-strix-halo-amds-st%C3%A4rkste-apu-"
        "zeigt-sich-mit-128-gb-arbeitsspeicher.html (table: Lunar Lake 128 bit, 136 GB/s)",
    ),
    CpuMemorySpec(
        "intel-core-12th-13th-mobile",
        "Intel Core 12th/13th gen mobile U/P/H (Alder Lake-U/P/H, Raptor Lake-U/P/H on Alder Lake dies)",
        83.2,
        "2 x 64-bit LPDDR5-5200 (128-bit, 5200 MT/s x 16 B; vendor maximum -- DDR5-4800 laptops: 76.8 GB/s)",
        "derived: bus width x MT/s from https://www.notebookcheck.net/i7-1260P-vs-i5-7440HQ-vs-i7-7560U_14064_8416_"
        "8420.247596.0.html (i7-1260P: 'up to LPDDR5-5200, DDR5-4800, LPDDR4x-4267 or DDR4-3200') ; "
        "https://tweakers.net/nieuws/191128/intel-introduceert-9w-15w-28w-en-45w-laptopprocessors-in-alder-lake-"
        "serie.html (Alder Lake-H: same four memory types) ; https://www.notebookcheck.net/i3-1315U-vs-i5-13420H-vs-"
        "U300_14920_14729_14924.247596.0.html (i3-1315U: same list) ; https://www.notebookcheck.net/Intel-Raptor-"
        "Lake-P-Review-Debut-for-the-Core-i7-1360P.688425.0.html (13th gen P/H still use the Alder Lake dies) -- "
        "note: if some 13th gen P/H SKUs are specified faster, this row is conservative for them",
    ),
    CpuMemorySpec(
        "intel-core-8th-9th-desktop",
        "Intel Core i5/i7/i9 8th/9th gen desktop (Coffee Lake-S / Refresh)",
        42.7,
        "2 x DDR4-2666 (2 x 2666 MT/s x 8 B; Intel states 41.6 GB/s; Core i3 parts are DDR4-2400, not matched)",
        "derived: channels x MT/s x 8 B from http://38.142.81.21:8001/manual/intel/bx80684i79700kf/data-sheet-"
        "english/page-19.html (9th gen Core datasheet vol. 1: two 64-bit DDR4 channels, S-line DT UDIMM 6+2/8+2 "
        "DDR4-2666, '41.6 GB/s in dual-channel mode assuming 2666 MT/s') ; https://www.golem.de/news/coffee-lake-"
        "intel-verkauft-sechs-kerne-fuer-unter-200-euro-1709-130248.html (8th gen i7/i5 DDR4-2666, i3 DDR4-2400)",
    ),
    CpuMemorySpec(
        "intel-core-11th-desktop",
        "Intel Core 11th gen desktop (Rocket Lake-S)",
        51.2,
        "2 x DDR4-3200 (2 x 3200 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from https://geektopia.es/es/technology/2021/01/11/noticias/intel-avanza-el-"
        "core-i9-11900k-con-un-19-mas-de-ipc-asi-como-las-placas-base-serie-500.html (Core i9-11900K 'Usa memoria "
        "DDR4-3200') ; https://ilsoftware.it/Intel-Rocket-Lake-S-la-nuova-piattaforma-con-supporto-PCIe-40-"
        "Thunderbolt-4-e-GPU-Xe_20926 (dual-channel DDR4)",
    ),
    CpuMemorySpec(
        "intel-core-haswell-mobile",
        "Intel Core 4th gen mobile U/Y (Haswell ULT/ULX)",
        25.6,
        "2 x DDR3L-1600 (2 x 1600 MT/s x 8 B)",
        "derived: channels x MT/s x 8 B from http://www.maximumpc.com/intel-haswell-details-leak-to-the-web/ "
        "(Haswell: DDR3/DDR3L up to 1600 MHz, dual channel) ; https://technical-guide.blogspot.com/2012/08/intel-"
        "haswell-fastest-video-chip-for.html (platform table: Mobile ULT GT3 with 2 memory controllers) ; "
        "http://www.notebookinfo.de/prozessoren/tablet-prozessoren/intel-core-i5-haswell/intel-core-i5-4220y/ "
        "(Haswell-Y: DDR3L-1600) -- note: secondary sources; Intel ARK was not reachable",
    ),
    CpuMemorySpec(
        "intel-core-broadwell-mobile",
        "Intel Core 5th gen mobile U (Broadwell-U)",
        29.9,
        "2 x LPDDR3-1866 (2 x 1866 MT/s x 8 B; vendor maximum on the 28 W parts -- DDR3L-1600: 25.6 GB/s)",
        "derived: channels x MT/s x 8 B from https://notebookcheck.com/Intel-Core-i5-5257U-Notebook-Prozessor."
        "127653.0.html ('Dual-Channel-Speichercontroller (LPDDR3/DDR3L, max. 1.866/1.600 MHz)') ; "
        "http://www.notebookinfo.de/prozessoren/ultra-low-voltage-prozessoren/intel-core-i3-broadwell/intel-core-i3-"
        "5020u/ (dual-channel DDR3L-1600/LPDDR3-1600)",
    ),
    # Arm
    CpuMemorySpec(
        "qualcomm-snapdragon-x",
        "Qualcomm Snapdragon X Elite / X Plus (X1E, X1P)",
        135.2,
        "8 x 16-bit LPDDR5X-8448 (128-bit, 8448 MT/s x 16 B)",
        "derived: bus width x MT/s from https://www.notebookcheck.net/Qualcomm-Snapdragon-X-Elite-X1E-78-100-Processor-"
        "Benchmarks-and-Specs.838568.0.html (X1E-78-100: LPDDR5x-8448 controller) ; https://winaero.com/snapdragon-x-"
        "plus-for-windows-on-arm-is-officially-revealed/amp (X Plus: LPDDR5x at 8,448 MT/s, 135 GB/s) ; "
        "https://mspoweruser.com/qualcomm-snapdragon-x-elite-soc-windows-pcs (16-bit width, 8 channels)",
    ),
    CpuMemorySpec(
        "raspberry-pi-5",
        "Raspberry Pi 5 (Broadcom BCM2712)",
        17.1,
        "1 x 32-bit LPDDR4X-4267 (4267 MT/s x 4 B)",
        "derived: bus width x MT/s from https://circuitdigest.com/news/the-new-raspberry-pi-5-is-here-faster-than-"
        "ever ('The Pi 5 uses a 32-bit LPDDR4, running at 4267MT/s') ; https://en.mashdigi.com/the-raspberry-pi-"
        "foundation-announces-the-launch-of-the-raspberry-pi-5-development-board-showing-that-supply-chain-issues-"
        "have-been-improved/ (32-bit LPDDR4X 4267MT/s)",
    ),
    CpuMemorySpec(
        "rockchip-rk3588",
        "Rockchip RK3588 / RK3588S",
        34.1,
        "4 x 16-bit LPDDR4X-4267 (64-bit, 4267 MT/s x 8 B; LPDDR5 boards may run faster, no speed sourced)",
        "derived: bus width x MT/s from https://forum.radxa.com/t/rock-5a-lpddr4x-memory-bandwidth/19293 (RK3588 and "
        "RK3588S datasheets: four channels of 16-bit LPDDR4/4x or LPDDR5; LPDDR4x 4267 MT/s -> 34 GB/s)",
    ),
    *_APPLE_CPU_ROWS,
)

# Conservative fallbacks when the CPU is not in the table (the engine must say it used one).
DEFAULT_CPU_BANDWIDTH_GBPS: dict[str, float] = {
    # 2 x DDR4-2666 (2 x 2666 MT/s x 8 B = 42.7 GB/s): the slowest dual-channel DDR4 platform still common;
    # newer DDR5 machines run faster, so estimates err low.
    "x86 desktop/laptop": 42.7,
    # 6 x DDR4-2666 (128 GB/s): the oldest Xeon Scalable platform in the table (Skylake-SP); any current
    # many-core server has at least this much.
    "x86 server": 128.0,
    # 64-bit LPDDR4X-4266 (34.1 GB/s, the RK3588 class): below every Arm server and laptop chip in the table,
    # above a Raspberry-Pi-class board only by a small margin.
    "arm": 34.1,
}

_CPU_BY_KEY = {spec.key: spec for spec in CPU_MEMORY_SPECS}
_CPU_NOISE_RE = re.compile(r"\((?:tm|r|c)\)|\bcpu\b|@.*$")
_CPU_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"\bepyc\s+7\d\d1[a-z]*\b", "amd-epyc-7001"),
        (r"\bepyc\s+7\d\d2[a-z]*\b", "amd-epyc-7002"),
        (r"\bepyc\s+7\d\d3[a-z]*\b", "amd-epyc-7003"),
        (r"\bepyc\s+9\d\d4[a-z]*\b", "amd-epyc-9004"),
        (r"\bepyc\s+9\d\d5[a-z]*\b", "amd-epyc-9005"),
        (r"\bxeon\b.*\b(?:platinum|gold|silver|bronze)\s+\d1\d\d[a-z]*\b", "intel-xeon-scalable-gen1"),
        (r"\bxeon\b.*\b(?:platinum|gold|silver|bronze|max)\s+\d4\d\d[a-z+]*", "intel-xeon-scalable-gen4"),
        (r"\bxeon\b.*\b69\d\d[pe]\b", "intel-xeon-6900p"),
        (r"\bgraviton\s*2\b", "aws-graviton2"),
        (r"\bgraviton\s*3e?\b", "aws-graviton3"),
        (r"\bgraviton\s*4\b", "aws-graviton4"),
        (r"\baltra\b", "ampere-altra"),
        (r"\bgrace\b", "nvidia-grace-superchip"),
        (r"\bryzen\s+[3579]\s+3\d\d0(?:x|xt)?\b", "amd-ryzen-3000"),
        (r"\bryzen\s+[3579]\s+7\d\d0(?:x3d|x|f)?\b", "amd-ryzen-7000"),
        (r"\bryzen\s+[3579]\s+9\d\d0(?:x3d|x|f)?\b", "amd-ryzen-9000"),
        (r"\bryzen\s+ai\s+max\b", "amd-ryzen-ai-max"),
        (r"\bcore\s+i[3579]-12\d\d0(?:k|kf|f|t)?\b", "intel-core-12th-desktop"),
        (r"\bxeon\b.*\bplatinum\s+92\d\d[a-z]*\b", "intel-xeon-9200"),
        (r"\bxeon\b.*\b(?:platinum|gold|silver|bronze)\s+[3-8]2\d\d[a-z]*\b", "intel-xeon-scalable-gen2"),
        (r"\bxeon\b.*\b(?:platinum|gold|silver)\s+[3-8]3\d\d(?!h)[a-z]*\b", "intel-xeon-scalable-gen3"),
        (r"\bxeon\b.*\b(?:platinum|gold|silver|bronze)\s+[3-8]5\d\d[a-z]*\b", "intel-xeon-scalable-gen5"),
        (r"\bxeon\s+6[57]\d\d[pe]\b", "intel-xeon-6700"),
        (r"\bxeon\s+w[3579]-34\d\d[a-z]*\b", "intel-xeon-w3400"),
        (r"\bxeon\s+w[3579]-24\d\d[a-z]*\b", "intel-xeon-w2400"),
        (r"\bxeon\s+e-23\d\d[a-z]*\b", "intel-xeon-e2300"),
        (r"\bxeon\s+e-24\d\d[a-z]*\b", "intel-xeon-e2400"),
        (r"\bepyc\s+8\d\d4[a-z]*\b", "amd-epyc-8004"),
        (r"\bthreadripper\s+3\d\d0x\b", "amd-threadripper-3000"),
        (r"\bthreadripper\s+pro\s+3\d\d5wx\b", "amd-threadripper-pro-3000wx"),
        (r"\bthreadripper\s+pro\s+5\d\d5wx\b", "amd-threadripper-pro-5000wx"),
        (r"\bryzen\s+[3579]\s+(?:pro\s+)?[45]\d\d\d(?:x3d|xt|x|ge|gt|g|f)?\b", "amd-ryzen-5000"),
        (r"\bryzen\s+[3579]\s+(?:pro\s+)?(?:4\d\d\d|5\d\d\d)(?:u|h|hs|hx)\b", "amd-ryzen-5000-mobile"),
        (r"\bryzen\s+[3579]\s+(?:pro\s+)?6\d\d\d(?:u|h|hs|hx)\b", "amd-ryzen-6000-mobile"),
        (r"\bryzen\s+[3579]\s+(?:pro\s+)?(?:7\d40|8\d4[05])(?:u|hs|h)\b", "amd-ryzen-7040-mobile"),
        (r"\bryzen\s+[3579]\s+7\d45hx(?:3d)?\b", "amd-ryzen-7045hx"),
        (r"\bryzen\s+ai\s+[579]\s+(?:hx\s+)?(?:pro\s+)?(?:hx\s+)?3[67]\d\b", "amd-ryzen-ai-300"),
        (r"\bryzen\s+[3579]\s+(?:pro\s+)?8\d00ge?\b", "amd-ryzen-8000g"),
        (
            r"\bcore\s+i(?:[79]-1[34]\d{3}(?:k|kf|ks|f|t)?|5-1[34]600kf?|[579]-13\d{3}hx)\b",
            "intel-core-13th-14th-desktop",
        ),
        (r"\bcore\s+ultra\s+[3579]\s+2\d5(?:k|kf|f|t)?\b", "intel-core-ultra-200s"),
        (r"\bcore\s+ultra\s+[579]\s+1\d\d[uh]\b", "intel-core-ultra-100-mobile"),
        (r"\bcore\s+ultra\s+[579]\s+2\d\dv\b", "intel-core-ultra-200v"),
        (r"\bcore\s+i[3579]-(?:1[23]\d\d[up]|1[23]\d{3}(?:h|hk))\b", "intel-core-12th-13th-mobile"),
        (r"\bcore\s+i[579]-[89]\d{3}(?:k|kf|ks|f|t)?\b", "intel-core-8th-9th-desktop"),
        (r"\bcore\s+i[3579]-11\d{3}(?:k|kf|f|t)?\b", "intel-core-11th-desktop"),
        (r"\bcore\s+i[357]-4\d{3}[uy]\b", "intel-core-haswell-mobile"),
        (r"\bcore\s+i[357]-5\d{3}[uy]\b", "intel-core-broadwell-mobile"),
        (r"\bx1[ep]-?\d\d-?\d{3}\b|\bsnapdragon\s+x\s+(?:elite|plus)\b", "qualcomm-snapdragon-x"),
        (r"\bbcm2712\b|\braspberry\s+pi\s+5\b", "raspberry-pi-5"),
        (r"\brk3588s?\b", "rockchip-rk3588"),
        (r"\bapple\s+m([1-5])\s+ultra\b", "apple-m{0}-ultra"),
        (r"\bapple\s+m([1-5])\s+max\b", "apple-m{0}-max"),
        (r"\bapple\s+m([1-5])\s+pro\b", "apple-m{0}-pro"),
        (r"\bapple\s+m([1-5])\b(?!\s*(?:pro|max|ultra)\b)", "apple-m{0}"),
    )
)


def match_cpu(cpu_name: str) -> CpuMemorySpec | None:
    """The platform memory spec for a CPU name, or None when unknown (caller falls back to
    ``DEFAULT_CPU_BANDWIDTH_GBPS`` and says so). Matches by family/generation, case-insensitively."""
    if not cpu_name:
        return None
    s = _CPU_NOISE_RE.sub(" ", cpu_name.lower()).replace("+", " ")
    s = " ".join(s.split())
    for pattern, key in _CPU_RULES:
        found = pattern.search(s)
        if found:
            spec = _CPU_BY_KEY.get(key.format(*found.groups()))
            if spec is not None:
                return spec
    return None

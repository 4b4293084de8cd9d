"""The machines behind ground-truth/tps_measured.dev.json, as the System objects a probe would report.

Each row gives what the node would report: driver GPU name, VRAM per card (GiB), unified memory, and for
CPU-only hosts the CPU and its DRAM bandwidth (which a probe on that host would measure or look up) plus
the llama.cpp thread count the measurement used. Sources for DRAM figures are given per row.
"""

from __future__ import annotations

from typing import Any

# hardware label in the ground truth -> System fields (gpus as (driver name, GiB per card, backend, unified))
HARDWARE: dict[str, dict[str, Any]] = {
    "NVIDIA GeForce RTX 3070": {"gpu": ("NVIDIA GeForce RTX 3070", 8.0, "CUDA", False)},
    "NVIDIA GeForce RTX 3080 (10GB)": {"gpu": ("NVIDIA GeForce RTX 3080", 10.0, "CUDA", False)},
    "NVIDIA GeForce RTX 3080 Ti": {"gpu": ("NVIDIA GeForce RTX 3080 Ti", 12.0, "CUDA", False)},
    "NVIDIA GeForce RTX 4080": {"gpu": ("NVIDIA GeForce RTX 4080", 16.0, "CUDA", False)},
    "NVIDIA RTX 4000 Ada Generation": {"gpu": ("NVIDIA RTX 4000 Ada Generation", 20.0, "CUDA", False)},
    "NVIDIA RTX 6000 Ada Generation": {"gpu": ("NVIDIA RTX 6000 Ada Generation", 48.0, "CUDA", False)},
    "NVIDIA A100 PCIe 80GB": {"gpu": ("NVIDIA A100 80GB PCIe", 80.0, "CUDA", False)},
    "NVIDIA H100 PCIe 80GB": {"gpu": ("NVIDIA H100 PCIe", 80.0, "CUDA", False)},
    "AMD Radeon RX 7900 XTX": {"gpu": ("AMD Radeon RX 7900 XTX", 24.0, "ROCm", False)},
    "NVIDIA DGX Spark (GB10)": {"gpu": ("NVIDIA GB10", 128.0, "CUDA", True), "ram": 128.0, "cpu": "Cortex-X925"},
    "Apple M1 (7-core GPU)": {"gpu": ("Apple M1", 16.0, "Metal", True), "ram": 16.0},
    "Apple M1 (8-core GPU)": {"gpu": ("Apple M1", 16.0, "Metal", True), "ram": 16.0},
    "Apple M1 (7-core GPU), 8GB unified memory (13-inch MacBook Air)": {
        "gpu": ("Apple M1", 8.0, "Metal", True),
        "ram": 8.0,
    },
    "Apple M2 Ultra (76-core GPU)": {"gpu": ("Apple M2 Ultra", 192.0, "Metal", True), "ram": 192.0},
    "Apple M2 Ultra (76-core GPU), 192GB unified memory (Mac Studio)": {
        "gpu": ("Apple M2 Ultra", 192.0, "Metal", True),
        "ram": 192.0,
    },
    "Apple M2 Ultra (Mac Studio; GPU core count / RAM not stated in file)": {
        "gpu": ("Apple M2 Ultra", 192.0, "Metal", True),
        "ram": 192.0,
    },
    "Apple M3 Max (40-core GPU)": {"gpu": ("Apple M3 Max", 64.0, "Metal", True), "ram": 64.0},
    "Apple M3 Max (40-core GPU), 64GB unified memory (16-inch MacBook Pro)": {
        "gpu": ("Apple M3 Max", 64.0, "Metal", True),
        "ram": 64.0,
    },
    # CPU-only hosts: DRAM peak = channels x MT/s x 8 B from the vendor or board spec.
    # Intel ARK i5-4278U: DDR3L-1600, 2 channels -> 25.6 GB/s (the row's label says DDR3L-1600).
    "Intel Core i5-4278U (2014 MacBook Pro, 8GB DDR3L-1600), CPU only": {
        "cpu": "Intel(R) Core(TM) i5-4278U CPU @ 2.60GHz",
        "ram": 8.0,
        "ram_bandwidth": 25.6,
        "arm": False,
    },
    # Framework Laptop 12: one DDR5-5600 SO-DIMM slot (single channel, 44.8 GB/s), frame.work spec page.
    "Intel Core i3-1315U (Framework 12), CPU only": {
        "cpu": "13th Gen Intel(R) Core(TM) i3-1315U",
        "ram": 16.0,
        "ram_bandwidth": 44.8,
        "arm": False,
    },
    # Qualcomm QCS6490: LPDDR5-6400, 4 x 16-bit -> 51.2 GB/s (Qualcomm QCS6490 product brief).
    "Radxa Dragon Q6A, CPU only": {"cpu": "Qualcomm QCS6490", "ram": 8.0, "ram_bandwidth": 51.2, "arm": True},
    # Snapdragon 8cx Gen 3 (SC8280XP): LPDDR4X-4266, 8 x 16-bit -> 68.3 GB/s (Qualcomm product brief).
    "Radxa Dragon Q8B, CPU only": {"cpu": "Qualcomm SC8280XP", "ram": 16.0, "ram_bandwidth": 68.3, "arm": True},
    # Cix P1 (CP8180): LPDDR5-6000, 128-bit -> 96 GB/s (Cix Technology P1 product page).
    "Cix CP8180 (MetaComputing AI PC Framework 13 Mainboard), CPU only": {
        "cpu": "Cix P1 CP8180",
        "ram": 32.0,
        "ram_bandwidth": 96.0,
        "arm": True,
    },
}

# Ground-truth model labels without a repo hint, and hints whose repo the catalog names differently.
MODEL_HINTS: dict[str, tuple[str, ...]] = {
    "LLaMA 3 8B": ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct"),
    "LLaMA 3 70B": ("meta-llama/Meta-Llama-3-70B", "meta-llama/Meta-Llama-3-70B-Instruct"),
    "Llama 8B (llama.cpp perf-table label 'llama 8B Q4_K_M')": ("meta-llama/Llama-3.1-8B-Instruct",),
    # Size rows whose model the catalog names differently (same tensor shapes: a fine-tune or re-upload).
    "TinyLlama 1.1B 1T OpenOrca": ("TinyLlama/TinyLlama-1.1B-Chat-v1.0",),
    "Mistral-7B-v0.2-hf": ("mistralai/Mistral-7B-Instruct-v0.2",),
    "dolphin-2.0-mistral-7b (Mistral 7B fine-tune)": ("mistralai/Mistral-7B-v0.1",),
    "Meta-Llama-3.1-8B": ("meta-llama/Llama-3.1-8B",),
    "TinyLlama 1.1B 1T OpenOrca (tinyllama-1.1b-1t-openorca.Q4_K_M.gguf)": (
        "jeff31415/TinyLlama-1.1B-1T-OpenOrca",
        "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    ),
}


def system_for(label: str, gpu_count: int) -> dict[str, Any] | None:
    """The System object (as JSON data) for a ground-truth hardware label, or None if unknown."""
    spec = HARDWARE.get(label.removeprefix(f"{gpu_count}x ") if gpu_count > 1 else label)
    if spec is None:
        return None
    if "gpu" not in spec:
        return {
            "total_ram_gb": spec["ram"],
            "available_ram_gb": spec["ram"] * 0.8,
            "cpu_cores": 0,  # set per row from the measured thread count
            "cpu_name": spec["cpu"],
            "has_gpu": False,
            "gpu_vram_gb": None,
            "gpu_name": None,
            "gpu_count": 0,
            "unified_memory": False,
            "backend": "CPU (ARM)" if spec["arm"] else "CPU (x86)",
            "gpus": [],
            "ram_bandwidth_gbps": spec["ram_bandwidth"],
        }
    name, vram, backend, unified = spec["gpu"]
    ram = spec.get("ram", 256.0)
    return {
        "total_ram_gb": ram,
        "available_ram_gb": ram * 0.8,
        "cpu_cores": 16,
        "cpu_name": spec.get("cpu", name if unified else "AMD EPYC 7763 64-Core Processor"),
        "has_gpu": True,
        "gpu_vram_gb": vram * gpu_count,
        "gpu_name": name,
        "gpu_count": gpu_count,
        "unified_memory": unified,
        "backend": backend,
        "gpus": [{"name": name, "vram_gb": vram, "backend": backend, "count": gpu_count, "unified_memory": unified}],
    }

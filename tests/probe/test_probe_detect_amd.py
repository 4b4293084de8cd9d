"""AMD detection: amdsmi (fake module), amd-smi and rocm-smi (recorded JSON), sysfs (fake trees)."""

from __future__ import annotations

import json
from pathlib import Path

from probe_fakes import GIB, MIB, FakeGpu, add_pci_device, fake_amdsmi, fake_host, fake_nvml

from probe_client.detect import detect
from probe_client.host import CommandResult

MI300X_BYTES = 205822885888  # rocm-smi "VRAM Total Memory (B)" of one MI300X


def amd_card(root: Path, address: str, device: int, vram: int, *, revision: int = 0, **extra: int) -> None:
    files: dict[str, str | int] = {"mem_info_vram_total": vram, "mem_info_vram_used": 256 * MIB}
    files.update({k: v for k, v in extra.items()})
    add_pci_device(root, address, vendor=0x1002, device=device, revision=revision, driver="amdgpu", files=files)


def test_mi300x_eight_cards_through_rocm_smi(tmp_path: Path) -> None:
    host = fake_host(tmp_path, commands={"rocm-smi": "rocm_smi_mi300x.json"})
    result = detect(host)
    system = result.system
    assert [(g.name, g.count, g.vram_gb, g.backend) for g in system.gpus] == [
        ("AMD Instinct MI300X OAM", 8, 191.69, "ROCm")
    ]
    assert system.backend == "ROCm" and system.gpu_count == 8
    assert system.gpu_vram_gb == 1533.52
    assert system.gpus[0].free_vram_gb == round((MI300X_BYTES - 297029632 - 7 * 4 * MIB) / GIB, 2)
    assert any("rocm-smi" in n for n in result.notes)  # amdsmi and amd-smi were not there: say which source


def test_mi300x_through_amd_smi_json(tmp_path: Path) -> None:
    system = detect(fake_host(tmp_path, commands={"amd-smi": "amd_smi_mi300x.json"})).system
    assert [(g.name, g.count, g.vram_gb) for g in system.gpus] == [("AMD Instinct MI300X", 8, 191.69)]
    assert system.gpus[0].free_vram_gb is None  # amd-smi static does not report usage


def test_amd_smi_preferred_over_rocm_smi(tmp_path: Path) -> None:
    host = fake_host(tmp_path, commands={"amd-smi": "amd_smi_mi300x.json", "rocm-smi": "rocm_smi_mi300x.json"})
    assert detect(host).system.gpu_name == "AMD Instinct MI300X"


def test_mi300x_through_amdsmi_library(tmp_path: Path) -> None:
    cards = [
        {
            "market_name": "AMD Instinct MI300X",
            "device_id": 0x74A1,
            "vram": MI300X_BYTES,
            "used": 2 * GIB,
            "gtt": 0,
        }
        for _ in range(8)
    ]
    result = detect(fake_host(tmp_path, amdsmi=fake_amdsmi(cards)))
    assert [(g.name, g.count, g.vram_gb) for g in result.system.gpus] == [("AMD Instinct MI300X", 8, 191.69)]
    assert result.system.gpus[0].free_vram_gb == 189.69
    assert result.notes == []


def test_mi300x_through_sysfs_when_no_rocm_tools(tmp_path: Path) -> None:
    for index in range(8):
        amd_card(tmp_path, f"0000:{0x0C + index * 0x10:02x}:00.0", 0x74A1, MI300X_BYTES)
    result = detect(fake_host(tmp_path))
    assert [(g.name, g.count, g.vram_gb) for g in result.system.gpus] == [("AMD Instinct MI300X", 8, 191.69)]
    assert any("sysfs" in n for n in result.notes)


def test_ryzen_ai_max_395_apu_is_unified_memory_with_its_gtt_pool_noted(tmp_path: Path) -> None:
    amd_card(tmp_path, "0000:c5:00.0", 0x1586, 512 * MIB, revision=0xC1, mem_info_gtt_total=int(63.5 * GIB))
    host = fake_host(tmp_path, cpuinfo="cpuinfo_ryzen_ai_max.txt", total=int(127.5 * GIB), available=120 * GIB)
    result = detect(host)
    system = result.system
    assert system.cpu_name == "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S"
    assert system.gpu_name == "AMD Radeon 8060S (Strix Halo)"
    assert system.unified_memory is True and system.backend == "ROCm"
    assert system.gpu_vram_gb == system.total_ram_gb == 127.5  # the seed: unified VRAM = RAM
    assert system.gpus[0].free_vram_gb == 120.0
    assert any("GPU can allocate 64.00 GiB now (carve-out 0.50 + GTT 63.50)" in n for n in result.notes)


def test_ryzen_ai_max_with_a_96_gb_bios_carve_out_is_not_seen_as_31_gb(tmp_path: Path) -> None:
    """llmfit #194/#964: the OS sees 31 GB when the BIOS gives the GPU 96 GB; the pool is carve-out + GTT."""
    amd_card(tmp_path, "0000:c5:00.0", 0x1586, 96 * GIB, mem_info_gtt_total=int(15.5 * GIB))
    host = fake_host(tmp_path, cpuinfo="cpuinfo_ryzen_ai_max.txt", total=31 * GIB, available=25 * GIB)
    system = detect(host).system
    assert system.total_ram_gb == 31.0
    assert system.gpu_vram_gb == 111.5
    assert system.unified_memory is True


def test_ryzen_ai_max_through_amd_smi_falls_back_to_ram(tmp_path: Path) -> None:
    host = fake_host(
        tmp_path,
        cpuinfo="cpuinfo_ryzen_ai_max.txt",
        commands={"amd-smi": "amd_smi_strix_halo.json"},
        total=int(127.5 * GIB),
    )
    system = detect(host).system
    assert (system.gpu_name, system.unified_memory, system.gpu_vram_gb) == (
        "AMD Radeon Graphics",
        True,
        127.5,
    )


def test_display_igpu_beside_a_7900_xtx_is_not_a_second_card(tmp_path: Path) -> None:
    """llmfit #271: a Ryzen 9800X3D's 2-CU iGPU was counted as a second RX 7900 XTX."""
    amd_card(tmp_path, "0000:03:00.0", 0x744C, 24560 * MIB, revision=0xC8)
    amd_card(tmp_path, "0000:7c:00.0", 0x13C0, 512 * MIB, mem_info_gtt_total=16 * GIB)
    result = detect(fake_host(tmp_path, cpuinfo="cpuinfo_ryzen_9800x3d.txt"))
    assert [(g.name, g.count) for g in result.system.gpus] == [("AMD Radeon RX 7900 XTX", 1)]
    assert any("ignored AMD Radeon Graphics (Granite Ridge)" in n for n in result.notes)


def test_unknown_small_igpu_is_ignored_on_a_desktop_cpu(tmp_path: Path) -> None:
    amd_card(tmp_path, "0000:7c:00.0", 0x1234, 512 * MIB)
    result = detect(fake_host(tmp_path, cpuinfo="cpuinfo_ryzen_9800x3d.txt"))
    assert result.system.has_gpu is False
    assert any("display iGPU" in n for n in result.notes)


def test_rx_7600_and_r9700_are_two_different_cards(tmp_path: Path) -> None:
    """llmfit #550: an RX 7600 beside an R9700 was detected as two R9700."""
    amd_card(tmp_path, "0000:03:00.0", 0x7551, 32 * GIB)
    amd_card(tmp_path, "0000:07:00.0", 0x7480, 8 * GIB)
    system = detect(fake_host(tmp_path)).system
    assert [(g.name, g.count, g.vram_gb) for g in system.gpus] == [
        ("AMD Radeon AI PRO R9700", 1, 32.0),
        ("AMD Radeon RX 7600", 1, 8.0),
    ]
    assert system.gpu_vram_gb == 40.0


def test_second_identical_card_on_the_sysfs_path_is_counted(tmp_path: Path) -> None:
    """llmfit #638: the second MI50 was missed on the sysfs path."""
    amd_card(tmp_path, "0000:03:00.0", 0x66A1, 32 * GIB)
    amd_card(tmp_path, "0000:83:00.0", 0x66A1, 32 * GIB)
    system = detect(fake_host(tmp_path)).system
    assert [(g.name, g.count) for g in system.gpus] == [("AMD Instinct MI50/MI60", 2)]


def test_nvidia_and_amd_in_one_node_are_both_seen(tmp_path: Path) -> None:
    """llmfit #13: only one of two GPUs was detected when NVIDIA and AMD were mixed."""
    amd_card(tmp_path, "0000:03:00.0", 0x744C, 24560 * MIB, revision=0xC8)
    nvml = fake_nvml([FakeGpu("NVIDIA GeForce RTX 4090", 24564 * MIB, 20000 * MIB, 0x268410DE)])
    system = detect(fake_host(tmp_path, nvml=nvml)).system
    assert sorted(g.name for g in system.gpus) == ["AMD Radeon RX 7900 XTX", "NVIDIA GeForce RTX 4090"]
    assert system.gpu_count == 2
    assert system.gpu_name == "NVIDIA GeForce RTX 4090"  # same whole GiB: detection order (NVIDIA first)


def test_rocm_smi_failure_is_noted_and_sysfs_takes_over(tmp_path: Path) -> None:
    amd_card(tmp_path, "0000:03:00.0", 0x74A1, MI300X_BYTES)
    broken = CommandResult(1, "", "ERROR:root:Driver not initialized (amdgpu not found in modules)")
    result = detect(fake_host(tmp_path, commands={"rocm-smi": broken}))
    assert result.system.gpu_count == 1
    assert any(n.startswith("AMD: rocm-smi failed: ERROR:root:Driver not initialized") for n in result.notes)


def test_rocm_smi_old_series_names_in_brackets(tmp_path: Path) -> None:
    data = {
        "card0": {
            "Card series": "Arcturus GL-XL [AMD Instinct MI100]",
            "Card model": "0x0c34",
            "VRAM Total Memory (B)": str(32 * GIB),
            "VRAM Total Used Memory (B)": "0",
        }
    }
    host = fake_host(tmp_path, commands={"rocm-smi": CommandResult(0, json.dumps(data), "")})
    assert detect(host).system.gpu_name == "AMD Instinct MI100"


def test_amd_smi_list_shape_with_string_sizes(tmp_path: Path) -> None:
    data = [
        {
            "gpu": 0,
            "asic": {"market_name": "AMD Radeon PRO W7900", "device_id": "0x7448"},
            "vram": {"size": "49136 MB"},
        }
    ]
    host = fake_host(tmp_path, commands={"amd-smi": CommandResult(0, json.dumps(data), "")})
    system = detect(host).system
    assert (system.gpu_name, system.gpu_vram_gb) == ("AMD Radeon PRO W7900", 47.98)

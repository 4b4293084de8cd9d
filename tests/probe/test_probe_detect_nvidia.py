"""NVIDIA detection on fake NVML, recorded nvidia-smi output and fake sysfs trees."""

from __future__ import annotations

from pathlib import Path

from probe_fakes import GIB, MIB, FakeGpu, add_pci_device, fake_host, fake_nvml

from probe_client.detect import detect
from probe_client.host import CommandResult

RTX4090 = FakeGpu("NVIDIA GeForce RTX 4090", 24564 * MIB, 23987 * MIB, 0x268410DE)
RTX3090 = FakeGpu("NVIDIA GeForce RTX 3090", 24576 * MIB, 24250 * MIB, 0x220410DE)


def h100(index: int, **kwargs: int) -> FakeGpu:
    return FakeGpu("NVIDIA H100 80GB HBM3", 81559 * MIB, (81004 - index * 100) * MIB, 0x233010DE, **kwargs)


def test_one_rtx_4090_through_nvml(tmp_path: Path) -> None:
    nvml = fake_nvml([RTX4090])
    result = detect(fake_host(tmp_path, nvml=nvml))
    system = result.system
    assert system.has_gpu and system.backend == "CUDA"
    assert system.gpu_name == "NVIDIA GeForce RTX 4090"
    assert system.gpu_count == 1
    assert system.gpu_vram_gb == 23.99  # 24564 MiB, GiB to 2 decimals
    assert [g.model_dump() for g in system.gpus] == [
        {
            "name": "NVIDIA GeForce RTX 4090",
            "vram_gb": 23.99,
            "backend": "CUDA",
            "count": 1,
            "unified_memory": False,
            "free_vram_gb": 23.42,
            "memory_bandwidth_gbps": None,
        }
    ]
    assert system.unified_memory is False
    assert system.total_ram_gb == 64.0 and system.available_ram_gb == 48.0
    assert system.cpu_name == "AMD EPYC 9654 96-Core Processor" and system.cpu_cores == 16
    assert result.notes == []
    assert nvml.calls == ["init", "shutdown"]


def test_eight_h100_sxm_are_one_group_of_eight(tmp_path: Path) -> None:
    system = detect(fake_host(tmp_path, nvml=fake_nvml([h100(i) for i in range(8)]))).system
    assert len(system.gpus) == 1
    group = system.gpus[0]
    assert (group.name, group.count, group.vram_gb) == ("NVIDIA H100 80GB HBM3", 8, 79.65)
    assert group.free_vram_gb == round((81004 - 700) * MIB / GIB, 2)  # the fullest card
    assert system.gpu_count == 8
    assert system.gpu_vram_gb == 637.2  # total over all cards
    assert system.gpu_name == "NVIDIA H100 80GB HBM3"


def test_mixed_4090_and_3090_stay_separate_and_the_first_card_leads_a_tie(tmp_path: Path) -> None:
    system = detect(fake_host(tmp_path, nvml=fake_nvml([RTX4090, RTX3090]))).system
    assert [(g.name, g.count, g.vram_gb) for g in system.gpus] == [
        ("NVIDIA GeForce RTX 4090", 1, 23.99),
        ("NVIDIA GeForce RTX 3090", 1, 24.0),
    ]
    assert system.gpu_count == 2
    assert system.gpu_vram_gb == 47.99
    assert system.gpu_name == "NVIDIA GeForce RTX 4090"


def test_primary_is_the_card_with_the_most_memory(tmp_path: Path) -> None:
    small = FakeGpu("NVIDIA GeForce RTX 4060", 8188 * MIB, 8000 * MIB, 0x288210DE)
    system = detect(fake_host(tmp_path, nvml=fake_nvml([small, h100(0)]))).system
    assert system.gpu_name == "NVIDIA H100 80GB HBM3"
    assert [g.name for g in system.gpus] == ["NVIDIA H100 80GB HBM3", "NVIDIA GeForce RTX 4060"]


def test_dgx_spark_gb10_memory_not_supported_is_unified_memory_from_ram(tmp_path: Path) -> None:
    gb10 = FakeGpu("NVIDIA GB10", 0, 0, 0x2E1210DE, memory_error=3)  # NVML_ERROR_NOT_SUPPORTED
    host = fake_host(
        tmp_path,
        machine="aarch64",
        cpuinfo="cpuinfo_gb10.txt",
        nvml=fake_nvml([gb10]),
        total=127600748 * 1024,  # MemTotal of a DGX Spark
        available=118566368 * 1024,
    )
    system = detect(host).system
    assert system.gpu_name == "NVIDIA GB10"
    assert system.backend == "CUDA"
    assert system.unified_memory is True
    assert system.total_ram_gb == 121.69
    assert system.gpu_vram_gb == system.total_ram_gb
    assert system.gpus[0].unified_memory is True
    assert system.gpus[0].free_vram_gb == system.available_ram_gb == 113.07
    assert system.cpu_name == "ARM Cortex-X925 + ARM Cortex-A725"


def test_gb10_through_nvidia_smi_na_fields(tmp_path: Path) -> None:
    host = fake_host(tmp_path, machine="aarch64", commands={"nvidia-smi": "nvidia_smi_gb10.csv"}, total=120 * GIB)
    system = detect(host).system
    assert (system.gpu_name, system.unified_memory, system.gpu_vram_gb) == ("NVIDIA GB10", True, 120.0)


def test_nvml_library_missing_falls_back_to_nvidia_smi_and_says_so(tmp_path: Path) -> None:
    host = fake_host(tmp_path, nvml=None, commands={"nvidia-smi": "nvidia_smi_rtx4090.csv"})
    result = detect(host)
    assert result.system.gpu_name == "NVIDIA GeForce RTX 4090"
    assert result.system.gpus[0].vram_gb == 23.99
    assert result.system.gpus[0].free_vram_gb == 23.42
    assert any("nvidia-smi" in n and "NVML unavailable" in n for n in result.notes), result.notes


def test_nvml_shared_library_not_found_then_sysfs_with_nominal_vram(tmp_path: Path) -> None:
    add_pci_device(tmp_path, "0000:01:00.0", vendor=0x10DE, device=0x2684, driver="nvidia")
    add_pci_device(tmp_path, "0000:01:00.1", vendor=0x10DE, device=0x22BA, pci_class=0x040300)  # HDMI audio
    host = fake_host(tmp_path, nvml=fake_nvml([], init_error=12))
    result = detect(host)
    groups = [(g.name, g.count, g.vram_gb) for g in result.system.gpus]
    assert groups == [("NVIDIA GeForce RTX 4090", 1, 24.0)]
    assert result.system.gpus[0].free_vram_gb is None
    assert any("sysfs" in n for n in result.notes)
    assert any("nominal" in n for n in result.notes)


def test_nvml_raising_mid_enumeration_falls_back_to_nvidia_smi(tmp_path: Path) -> None:
    gpus = [h100(i) for i in range(8)]
    gpus[5] = h100(5, memory_error=15)  # GPU is lost
    nvml = fake_nvml(gpus)
    host = fake_host(tmp_path, nvml=nvml, commands={"nvidia-smi": "nvidia_smi_h100x8.csv"})
    result = detect(host)
    assert result.system.gpu_count == 8
    assert result.system.gpus[0].count == 8 and result.system.gpus[0].vram_gb == 79.65
    assert any("NVML failed" in n and "GPU 5 of 8" in n for n in result.notes), result.notes
    assert any("read from nvidia-smi" in n for n in result.notes)
    assert nvml.calls == ["init", "shutdown"]  # NVML is shut down even when it raised


def test_nvml_raising_on_a_handle_and_no_nvidia_smi_uses_sysfs(tmp_path: Path) -> None:
    for index in range(8):
        address = f"0000:{0x18 + index:02x}:00.0"
        add_pci_device(tmp_path, address, vendor=0x10DE, device=0x2330, pci_class=0x030200)
    gpus = [h100(i) for i in range(8)]
    gpus[3] = h100(3, handle_error=999)
    result = detect(fake_host(tmp_path, nvml=fake_nvml(gpus)))
    assert [(g.name, g.count, g.vram_gb) for g in result.system.gpus] == [("NVIDIA H100 80GB HBM3", 8, 80.0)]
    assert any("GPU 3 of 8" in n for n in result.notes)
    assert any("driver is not loaded" in n for n in result.notes)  # no driver symlink in this tree


def test_nvidia_smi_without_driver_is_absent_not_an_error(tmp_path: Path) -> None:
    from probe_fakes import fixture

    broken = CommandResult(9, fixture("nvidia_smi_no_driver.txt"), "")
    result = detect(fake_host(tmp_path, commands={"nvidia-smi": broken}))
    assert result.system.has_gpu is False
    assert result.notes == []


def test_nvidia_smi_garbage_is_a_noted_failure(tmp_path: Path) -> None:
    message = "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error"
    broken = CommandResult(255, "", message)
    result = detect(fake_host(tmp_path, commands={"nvidia-smi": broken}))
    assert result.system.has_gpu is False
    assert any("nvidia-smi failed: Unable to determine" in n for n in result.notes)


def test_gpu_bound_to_vfio_is_not_counted(tmp_path: Path) -> None:
    add_pci_device(tmp_path, "0000:01:00.0", vendor=0x10DE, device=0x2684, driver="vfio-pci")
    result = detect(fake_host(tmp_path))
    assert result.system.has_gpu is False
    assert any("vfio-pci" in n for n in result.notes)


def test_unknown_device_in_sysfs_reports_zero_vram_and_says_why(tmp_path: Path) -> None:
    add_pci_device(tmp_path, "0000:01:00.0", vendor=0x10DE, device=0x9999, driver="nvidia")
    result = detect(fake_host(tmp_path))
    assert result.system.gpus[0].name == "NVIDIA GPU [10de:9999]"
    assert result.system.gpus[0].vram_gb == 0.0
    assert any("VRAM unknown" in n for n in result.notes)

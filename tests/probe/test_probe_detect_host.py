"""CPU-only nodes, CPU names, and Apple Silicon / Intel Macs (recorded sysctl and system_profiler output)."""

from __future__ import annotations

from pathlib import Path

from probe_fakes import GIB, fake_host, write_file

from probe_client.detect import detect, detect_system
from probe_client.host import CommandResult


def test_no_gpu_x86(tmp_path: Path) -> None:
    result = detect(fake_host(tmp_path, total=int(62.23 * GIB), available=int(41.08 * GIB), cores=14))
    assert result.system.model_dump() == {
        "total_ram_gb": 62.23,
        "available_ram_gb": 41.08,
        "cpu_cores": 14,
        "cpu_name": "AMD EPYC 9654 96-Core Processor",
        "has_gpu": False,
        "gpu_vram_gb": None,
        "gpu_name": None,
        "gpu_count": 0,
        "unified_memory": False,
        "backend": "CPU (x86)",
        "gpus": [],
        "ram_bandwidth_gbps": None,
    }
    assert result.notes == []


def test_arm_cpu_names_its_cores_from_the_part_number(tmp_path: Path) -> None:
    system = detect(fake_host(tmp_path, machine="aarch64", cpuinfo="cpuinfo_graviton3.txt")).system
    assert system.backend == "CPU (ARM)"
    assert system.cpu_name == "ARM Neoverse-V1"
    assert system.has_gpu is False


def test_arm_cpu_name_from_the_device_tree_when_cpuinfo_is_silent(tmp_path: Path) -> None:
    write_file(tmp_path, "/proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 108.00\n")
    write_file(tmp_path, "/sys/firmware/devicetree/base/model", "Raspberry Pi 5 Model B Rev 1.0\x00")
    system = detect(fake_host(tmp_path, machine="aarch64", cpuinfo=None)).system
    assert system.cpu_name == "Raspberry Pi 5 Model B Rev 1.0"


def test_apple_m3_max_128_gb(tmp_path: Path) -> None:
    host = fake_host(
        tmp_path,
        system="darwin",
        machine="arm64",
        cpuinfo=None,
        commands={"sysctl": "sysctl_m3max.txt"},
        total=137438953472,
        available=100 * GIB,
        cores=16,
    )
    result = detect(host)
    system = result.system
    assert system.cpu_name == "Apple M3 Max"
    assert system.backend == "Metal"
    assert system.unified_memory is True
    assert system.gpu_name == "Apple M3 Max"
    assert system.total_ram_gb == system.gpu_vram_gb == 128.0
    assert system.gpus[0].unified_memory is True and system.gpus[0].backend == "Metal"
    assert any("about 96.00 GiB of 128.00 GiB" in n for n in result.notes), result.notes
    assert [c[0] for c in host.run.calls] == ["sysctl"]  # type: ignore[attr-defined]  # no slow system_profiler


def test_apple_wired_limit_override_is_the_usable_share(tmp_path: Path) -> None:
    sysctl = "hw.memsize: 137438953472\nmachdep.cpu.brand_string: Apple M3 Max\niogpu.wired_limit_mb: 120000\n"
    host = fake_host(
        tmp_path,
        system="darwin",
        machine="arm64",
        cpuinfo=None,
        commands={"sysctl": CommandResult(0, sysctl, "")},
        total=137438953472,
    )
    assert any("about 117.19 GiB" in n and "iogpu.wired_limit_mb" in n for n in detect(host).notes)


def test_apple_silicon_through_system_profiler_when_sysctl_is_silent(tmp_path: Path) -> None:
    host = fake_host(
        tmp_path,
        system="darwin",
        machine="arm64",
        cpuinfo=None,
        commands={"system_profiler": "system_profiler_m3max.json"},
        total=137438953472,
    )
    system = detect(host).system
    assert (system.gpu_name, system.unified_memory, system.gpu_vram_gb) == ("Apple M3 Max", True, 128.0)


def test_intel_mac_reports_its_discrete_radeon_and_ignores_the_igpu(tmp_path: Path) -> None:
    host = fake_host(
        tmp_path,
        system="darwin",
        machine="x86_64",
        cpuinfo=None,
        commands={"sysctl": "sysctl_intel_mbp.txt", "system_profiler": "system_profiler_intel_mbp.json"},
        total=32 * GIB,
    )
    result = detect(host)
    assert result.system.cpu_name == "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz"
    assert [(g.name, g.vram_gb, g.unified_memory) for g in result.system.gpus] == [("AMD Radeon Pro 5500M", 8.0, False)]
    assert result.system.backend == "Metal"
    assert any("ignored Intel UHD Graphics 630" in n for n in result.notes)


def test_available_ram_never_exceeds_total(tmp_path: Path) -> None:
    system = detect(fake_host(tmp_path, total=16 * GIB, available=17 * GIB)).system
    assert system.available_ram_gb == system.total_ram_gb == 16.0


def test_detect_system_on_this_machine_returns_a_valid_system() -> None:
    system = detect_system()  # the interface `fleetfit fit` and `fleetfit system --json` call
    assert system.total_ram_gb > 0 and system.cpu_cores >= 1
    assert system.has_gpu == bool(system.gpus)

"""engine.whatif: a changed copy of a System (llmfit's ram_gb, vram_gb, cpu_cores), and what the query
parser accepts and refuses for them, for license and for force_runtime."""

from __future__ import annotations

import pytest
from fleetfit.catalog import Catalog, load_bundled
from fleetfit.contract import System
from fleetfit.engine.query import QueryError, envelope_dict, node_of, parse_query, what_if_system
from fleetfit.engine.whatif import USER_GPU, WhatIf, WhatIfError, apply
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, rtx4090_workstation


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_bundled()


def test_nothing_to_apply_is_the_same_object() -> None:
    system = rtx4090_workstation()
    assert apply(system, WhatIf()) is system


def test_ram_keeps_the_free_share_and_never_touches_the_original() -> None:
    system = rtx4090_workstation()
    before = system.model_dump()
    changed = apply(system, WhatIf(ram_gb=128))
    assert system.model_dump() == before
    assert changed.total_ram_gb == 128
    share = system.available_ram_gb / system.total_ram_gb
    assert changed.available_ram_gb == pytest.approx(128 * share, abs=0.01)
    assert changed.gpus == system.gpus  # a discrete card keeps its memory


def test_vram_sets_every_card_of_the_primary_model_and_the_total() -> None:
    changed = apply(rtx4090_workstation(), WhatIf(vram_gb=48))
    assert [g.vram_gb for g in changed.gpus] == [48]
    assert changed.gpu_vram_gb == 48 and changed.gpus[0].free_vram_gb is None


def test_vram_on_a_cpu_node_adds_a_user_specified_gpu_and_zero_removes_gpus() -> None:
    gained = apply(cpu_only_x86(), WhatIf(vram_gb=16))
    assert gained.has_gpu and gained.gpu_name == USER_GPU and gained.backend == "CUDA" and gained.gpu_vram_gb == 16
    gone = apply(rtx4090_workstation(), WhatIf(vram_gb=0))
    assert not gone.has_gpu and gone.gpus == [] and gone.gpu_vram_gb is None and gone.backend == "CPU (x86)"


def test_unified_memory_follows_ram_and_refuses_vram() -> None:
    mac = apple_m3_max()
    bigger = apply(mac, WhatIf(ram_gb=192))
    assert bigger.total_ram_gb == 192 and all(g.vram_gb == 192 for g in bigger.gpus)
    with pytest.raises(WhatIfError) as err:
        apply(mac, WhatIf(vram_gb=64))
    assert err.value.param == "vram_gb"


def test_cores() -> None:
    assert apply(cpu_only_x86(), WhatIf(cpu_cores=4)).cpu_cores == 4


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"ram_gb": "-1"}, "ram_gb"),
        ({"ram_gb": "0"}, "ram_gb"),
        ({"ram_gb": "nan"}, "ram_gb"),
        ({"ram_gb": "inf"}, "ram_gb"),
        ({"ram_gb": "1e9"}, "ram_gb"),
        ({"ram": "abc"}, "ram"),
        ({"ram": "4", "ram_gb": "4"}, "ram_gb"),
        ({"vram_gb": "-0"}, "vram_gb"),
        ({"vram_gb": "x"}, "vram_gb"),
        ({"memory": "-2"}, "memory"),
        ({"vram_gb": "2000"}, "vram_gb"),
        ({"cpu_cores": "0"}, "cpu_cores"),
        ({"cpu_cores": "1.5"}, "cpu_cores"),
        ({"cpu_cores": "-3"}, "cpu_cores"),
        ({"cpu_cores": "99999"}, "cpu_cores"),
        ({"license": ","}, "license"),
        ({"force_runtime": "bogus"}, "force_runtime"),
        ({"force_runtime": "vllm"}, "force_runtime"),
        ({"force_runtime": "bitnetcpp"}, "force_runtime"),
        ({"force_runtime": "mlx", "quant": "Q4_K_M"}, "force_runtime"),
    ],
)
def test_bad_values_name_the_parameter(params: dict[str, str], named: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(params, route="models")
    assert err.value.param == named and named in str(err.value)


def test_what_if_is_echoed_and_changes_the_analysis(catalog: Catalog) -> None:
    system = rtx4090_workstation()
    plain = parse_query({"limit": "50"}, route="top")
    cpu = parse_query({"limit": "50", "vram_gb": "0", "cpu_cores": "8"}, route="top")
    assert (cpu.filters["vram_gb"], cpu.filters["cpu_cores"], cpu.filters["ram_gb"]) == (0.0, 8, None)
    base = envelope_dict(system, catalog, plain, node_of())
    changed_system = what_if_system(system, cpu)
    changed = envelope_dict(changed_system, catalog, cpu, node_of())
    assert changed["system"]["has_gpu"] is False and changed["system"]["cpu_cores"] == 8
    assert all(m["run_mode"] == "cpu_only" for m in changed["models"])
    assert any(m["run_mode"] == "gpu" for m in base["models"])
    assert system.has_gpu  # the node's own System is untouched


def test_license_filters_any_of_a_comma_list(catalog: Catalog) -> None:
    query = parse_query({"license": "MIT, apache-2.0", "limit": "200"}, route="models")
    env = envelope_dict(cpu_only_x86(), catalog, query, node_of())
    assert env["filters"]["license"] == "MIT, apache-2.0"
    assert env["models"] and {m["license"] for m in env["models"]} <= {"mit", "apache-2.0"}
    assert {m["license"] for m in env["models"]} == {"mit", "apache-2.0"}
    none = envelope_dict(cpu_only_x86(), catalog, parse_query({"license": "no-such"}, route="models"), node_of())
    assert none["total_models"] == 0


def test_force_runtime(catalog: Catalog) -> None:
    query = parse_query({"force_runtime": "llamacpp", "limit": "30"}, route="models")
    mac = envelope_dict(apple_m3_max(), catalog, query, node_of())
    assert mac["models"] and all(m["runtime"] == "llamacpp" for m in mac["models"])
    assert mac["filters"]["force_runtime"] == "llamacpp"
    mlx = envelope_dict(apple_m3_max(), catalog, parse_query({"force_runtime": "MLX"}, route="top"), node_of())
    assert mlx["models"] and all(m["runtime"] == "mlx" for m in mlx["models"])
    with pytest.raises(QueryError) as err:
        envelope_dict(cpu_only_x86(), catalog, parse_query({"force_runtime": "mlx"}, route="top"), node_of())
    assert err.value.param == "force_runtime"


def test_a_what_if_system_is_a_valid_system() -> None:
    for system in (rtx4090_workstation(), cpu_only_x86()):
        for what_if in (WhatIf(ram_gb=0.01), WhatIf(vram_gb=1024, cpu_cores=8192), WhatIf(ram_gb=65536)):
            System.model_validate(apply(system, what_if).model_dump())

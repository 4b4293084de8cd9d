"""What-if hardware, license and force_runtime on the model routes and /api/v1/system, through the handler
with real REST proxy events (moto DynamoDB and S3, the real engine)."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfit.store.samples import apple_m3_max, rtx4090_workstation, sample_report

from .support import Call, node_identity

NODE = "i-0whatif000000001"


def _node(call: Call, node: str = NODE, **kwargs: Any) -> None:
    report = sample_report(node, **kwargs)
    r = call("POST", "/api/v1/reports", body=report.model_dump(mode="json"), identity=node_identity(node))
    assert r.status == 201, r.body


@pytest.mark.parametrize("route", ["/api/v1/models", "/api/v1/models/top", "/api/v1/models/qwen"])
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("ram_gb", "-1"),
        ("ram_gb", "NaN"),
        ("ram", "lots"),
        ("vram_gb", "-5"),
        ("memory", "1e400"),
        ("cpu_cores", "0"),
        ("cpu_cores", "2.5"),
        ("license", ""),
        ("force_runtime", "vllm"),
        ("force_runtime", "tensorrt"),
    ],
)
def test_bad_values_are_400_naming_the_parameter(call: Call, route: str, param: str, value: str) -> None:
    _node(call, system=rtx4090_workstation())
    r = call("GET", route, query={"node": NODE, param: value})
    assert r.status == 400, r.body
    assert param in r.body["error"]


def test_what_if_reanalyses_a_copy_and_echoes_it(call: Call) -> None:
    _node(call, system=rtx4090_workstation())
    base = call("GET", "/api/v1/models/top", query={"node": NODE, "limit": "20"})
    cpu = call("GET", "/api/v1/models/top", query={"node": NODE, "limit": "20", "vram_gb": "0", "ram_gb": "256"})
    assert base.status == cpu.status == 200, cpu.body
    assert cpu.body["filters"]["vram_gb"] == 0 and cpu.body["filters"]["ram_gb"] == 256
    assert cpu.body["system"]["has_gpu"] is False and cpu.body["system"]["total_ram_gb"] == 256
    assert {m["run_mode"] for m in cpu.body["models"]} == {"cpu_only"}
    assert "gpu" in {m["run_mode"] for m in base.body["models"]}
    # the stored node is unchanged
    again = call("GET", f"/api/v1/nodes/{NODE}")
    assert again.body["report"]["system"]["has_gpu"] is True
    system = call("GET", "/api/v1/system", query={"node": NODE, "vram_gb": "48", "cpu_cores": "4"})
    assert system.status == 200, system.body
    assert system.body["system"]["gpu_vram_gb"] == 48 and system.body["system"]["cpu_cores"] == 4
    assert call("GET", "/api/v1/system", query={"node": NODE, "ram_gb": "-1"}).status == 400


def test_more_vram_lets_more_models_fit(call: Call) -> None:
    _node(call, system=rtx4090_workstation())
    small = call("GET", f"/api/v1/nodes/{NODE}/models", query={"limit": "0", "vram_gb": "8", "min_fit": "good"})
    large = call("GET", f"/api/v1/nodes/{NODE}/models", query={"limit": "0", "vram_gb": "80", "min_fit": "good"})
    assert small.status == large.status == 200
    assert large.body["total_models"] > small.body["total_models"]


def test_license_and_force_runtime(call: Call) -> None:
    _node(call, system=rtx4090_workstation())
    r = call("GET", "/api/v1/models", query={"node": NODE, "license": "mit", "limit": "40"})
    assert r.status == 200 and r.body["models"]
    assert {m["license"] for m in r.body["models"]} == {"mit"} and r.body["filters"]["license"] == "mit"
    refused = call("GET", "/api/v1/models/top", query={"node": NODE, "force_runtime": "mlx"})
    assert refused.status == 400 and "force_runtime" in refused.body["error"]
    _node(call, "mac-1", system=apple_m3_max())
    mlx = call("GET", "/api/v1/models/top", query={"node": "mac-1", "force_runtime": "mlx"})
    assert mlx.status == 200 and {m["runtime"] for m in mlx.body["models"]} == {"mlx"}
    gguf = call("GET", "/api/v1/models/top", query={"node": "mac-1", "force_runtime": "llamacpp"})
    assert gguf.status == 200 and {m["runtime"] for m in gguf.body["models"]} == {"llamacpp"}
    unified = call("GET", "/api/v1/models/top", query={"node": "mac-1", "vram_gb": "64"})
    assert unified.status == 400 and "vram_gb" in unified.body["error"]


def test_the_openapi_document_lists_the_parameters(call: Call) -> None:
    doc = call("GET", "/api/v1/openapi.json").body
    for path in ("/api/v1/models", "/api/v1/models/top", "/api/v1/models/{name}"):
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert {"ram_gb", "ram", "vram_gb", "memory", "cpu_cores", "license", "force_runtime"} <= names
    assert {"ram_gb", "vram_gb", "cpu_cores"} <= {
        p["name"] for p in doc["paths"]["/api/v1/system"]["get"]["parameters"]
    }


def test_a_request_that_ranks_a_new_class_leaves_the_heap_settled(call: Call) -> None:
    """A ranking built by a request is frozen out of the cyclic collector's passes (api.heap.settle_heap);
    a request that reads a kept ranking does not collect again."""
    import gc

    from fleetfit.engine.query import rankings_built

    system = rtx4090_workstation().model_copy(update={"total_ram_gb": 61.5, "available_ram_gb": 57.5})
    before = rankings_built()
    r = call("POST", "/api/v1/fit", query={"limit": "5"}, body=system.model_dump(mode="json"))
    assert r.status == 200, r.body
    assert rankings_built() == before + 1
    frozen = gc.get_freeze_count()
    assert frozen > 0
    r = call("POST", "/api/v1/fit", query={"limit": "5"}, body=system.model_dump(mode="json"))
    assert r.status == 200 and rankings_built() == before + 1

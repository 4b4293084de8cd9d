"""Query parameters, filters, sorts, and the envelope checked field by field against the seed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import Envelope, ModelFit, Node, System
from fleetfit.engine import QueryError, envelope_dict, envelope_json, fit_envelope, parse_query

from tests.engine.systems import apple_system, cpu_system, gpu_system

NODE = Node(name="test-node", os="linux")
RTX_4090 = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0)


def envelope(system: System, params: dict[str, str], route: str = "models", name: str | None = None) -> dict[str, Any]:
    return envelope_dict(system, load_bundled(), parse_query(params, route=route, name=name), NODE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "param", "fragment"),
    [
        ({"limit": "-1"}, "limit", "integer"),
        ({"limit": "abc"}, "limit", "integer"),
        ({"perfect": "1"}, "perfect", "true|false"),
        ({"include_too_tight": "yes"}, "include_too_tight", "true|false"),
        ({"min_fit": "bogus"}, "min_fit", "perfect|good|marginal|too_tight"),
        ({"sort": "provider"}, "sort", "score|tps|params|mem|ctx|date|use_case"),
        ({"runtime": "vllm"}, "runtime", "any|mlx|llamacpp"),
        ({"use_case": "poetry"}, "use_case", "general|coding|reasoning|chat|multimodal|embedding"),
        ({"max_context": "0"}, "max_context", "integer"),
        ({"quant": "Q9_X"}, "quant", "Q8_0"),
    ],
)
def test_bad_values_name_the_parameter_and_allowed_values(params: dict[str, str], param: str, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(params, route="models")
    assert caught.value.param == param
    assert param in str(caught.value) and fragment in str(caught.value)


def test_aliases_and_unknown_parameters() -> None:
    query = parse_query({"top": "3", "min_fit": "TIGHT", "sort": "TOKENS", "bogus": "x"}, route="models")
    assert (query.limit, query.min_fit, query.sort) == (3, "too_tight", "tps")
    assert query.filters["sort"] == "TOKENS"  # echoed as the caller spelled it
    assert parse_query({"limit": "2", "n": "9"}, route="models").limit == 2


def test_route_defaults() -> None:
    assert parse_query({}, route="top").limit == 5
    assert parse_query({}, route="name", name="qwen").limit == 20
    assert parse_query({}, route="models").limit is None


def test_top_never_returns_too_tight_and_limit_zero_counts() -> None:
    small = cpu_system(8.0)
    top = envelope(small, {"include_too_tight": "true", "limit": "1000"}, route="top")
    assert all(m["fit_level"] != "too_tight" for m in top["models"])
    counted = envelope(small, {"limit": "0"})
    assert counted["returned_models"] == 0 and counted["total_models"] > 0


def test_min_fit_perfect_and_include_too_tight() -> None:
    models = envelope(RTX_4090, {"perfect": "true", "limit": "50"})["models"]
    assert models and all(m["fit_level"] == "perfect" for m in models)
    good = envelope(RTX_4090, {"min_fit": "good"})
    assert {m["fit_level"] for m in good["models"]} <= {"perfect", "good"}
    everything = envelope(RTX_4090, {"include_too_tight": "true"})
    assert everything["total_models"] > good["total_models"]
    assert everything["models"][-1]["fit_level"] == "too_tight"  # too tight rows sort last


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("score", "score", True),
        ("tps", "estimated_tps", True),
        ("params", "params_b", True),
        ("mem", "utilization_pct", True),
        ("ctx", "usable_context", True),  # llmfit: usable context, then the native window
    ],
)
def test_sorts(sort: str, key: str, descending: bool) -> None:
    values = [m[key] for m in envelope(RTX_4090, {"sort": sort, "limit": "200"})["models"]]
    assert values == sorted(values, reverse=descending)


def test_date_sort_newest_first_and_use_case_filter() -> None:
    dates = [m["release_date"] for m in envelope(RTX_4090, {"sort": "date", "limit": "100"})["models"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    coding = envelope(RTX_4090, {"use_case": "code", "limit": "50"})["models"]
    assert coding and all(m["use_case"] == "Coding" for m in coding)


def test_provider_search_and_runtime_filters() -> None:
    meta = envelope(RTX_4090, {"provider": "meta", "limit": "30"})["models"]
    assert meta and all("meta" in m["provider"].lower() for m in meta)
    found = envelope(RTX_4090, {"search": "qwen2.5-coder", "limit": "30"})["models"]
    assert found and all("qwen2.5-coder" in m["name"].lower() for m in found)
    assert envelope(RTX_4090, {"runtime": "mlx"})["total_models"] == 0
    assert envelope(apple_system(), {"runtime": "mlx", "limit": "5"})["models"][0]["runtime"] == "mlx"


def test_name_route_matches_by_substring_and_unknown_gives_empty() -> None:
    named = envelope(RTX_4090, {}, route="name", name="Llama-3.1-8B-Instruct")
    assert named["total_models"] >= 1
    assert all("llama-3.1-8b-instruct" in m["name"].lower() for m in named["models"])
    assert envelope(RTX_4090, {}, route="name", name="no-such-model-xyz")["models"] == []


def test_exact_name_returns_the_model_whatever_its_fit() -> None:
    tiny = cpu_system(4.0)
    result = envelope(tiny, {"min_fit": "too_tight"}, name="deepseek-ai/DeepSeek-V3")
    assert [m["name"] for m in result["models"]] == ["deepseek-ai/DeepSeek-V3"]
    assert result["models"][0]["fit_level"] == "too_tight"
    assert envelope(tiny, {"min_fit": "too_tight"}, name="unsloth/DeepSeek-V3")["total_models"] == 1  # alias


# --- the envelope against the seed --------------------------------------------------------------

SEED_ENVELOPE = {
    "node": dict,
    "system": dict,
    "total_models": int,
    "returned_models": int,
    "filters": dict,
    "models": list,
}
SEED_SYSTEM = {
    "total_ram_gb": float,
    "available_ram_gb": float,
    "cpu_cores": int,
    "cpu_name": str,
    "has_gpu": bool,
    "gpu_vram_gb": (float, type(None)),
    "gpu_name": (str, type(None)),
    "gpu_count": int,
    "unified_memory": bool,
    "backend": str,
    "gpus": list,
}
SEED_GPU = {"name": str, "vram_gb": float, "backend": str, "count": int, "unified_memory": bool}
SEED_MODEL = {
    "name": str,
    "provider": str,
    "parameter_count": str,
    "params_b": float,
    "context_length": int,
    "release_date": (str, type(None)),
    "is_moe": bool,
    "use_case": str,
    "category": str,
    "fit_level": str,
    "fit_label": str,
    "run_mode": str,
    "run_mode_label": str,
    "score": float,
    "score_components": dict,
    "estimated_tps": float,
    "runtime": str,
    "runtime_label": str,
    "best_quant": str,
    "memory_required_gb": float,
    "memory_available_gb": float,
    "utilization_pct": float,
    "notes": list,
    "gguf_sources": list,
}
SEED_ENUMS = {
    "fit_level": {"perfect", "good", "marginal", "too_tight"},
    "run_mode": {"gpu", "moe_offload", "cpu_offload", "cpu_only"},
    "runtime": {"mlx", "llamacpp"},
    "use_case": {"General", "Coding", "Reasoning", "Chat", "Multimodal", "Embedding"},
    "backend": {"CUDA", "ROCm", "Metal", "CPU (x86)", "CPU (ARM)"},
}
SYSTEMS = [
    RTX_4090,
    cpu_system(16.0),
    apple_system(),
    gpu_system("NVIDIA H100 80GB HBM3", 79.65, 8, ram=2048.0),
    gpu_system("AMD Instinct MI300X", 191.5, 1, backend="ROCm", ram=512.0),
]


def assert_fields(obj: dict[str, Any], fields: dict[str, Any]) -> None:
    for field, kind in fields.items():
        assert field in obj, field
        value = obj[field]
        expected = kind if isinstance(kind, tuple) else (kind,)
        if float in expected and isinstance(value, int) and not isinstance(value, bool):
            continue  # JSON numbers: 24 and 24.0 are the same number
        assert isinstance(value, expected), (field, value)


@pytest.mark.parametrize("system", SYSTEMS, ids=["rtx4090", "cpu", "m3max", "8xh100", "mi300x"])
def test_envelope_field_by_field(system: System) -> None:
    text = envelope_json(system, load_bundled(), parse_query({"include_too_tight": "true"}, route="models"), NODE)
    data = json.loads(text)
    assert_fields(data, SEED_ENVELOPE)
    assert_fields(data["system"], SEED_SYSTEM)
    for gpu in data["system"]["gpus"]:
        assert_fields(gpu, SEED_GPU)
    assert data["system"]["backend"] in SEED_ENUMS["backend"]
    assert data["returned_models"] == len(data["models"]) == data["total_models"]
    for row in data["models"][::97]:  # a spread of rows across fits and modes
        assert_fields(row, SEED_MODEL)
        for field in ("fit_level", "run_mode", "runtime", "use_case"):
            assert row[field] in SEED_ENUMS[field]
        assert row["category"] == row["use_case"]
        assert set(row["score_components"]) == {"quality", "speed", "fit", "context"}
        assert 0 <= row["score"] <= 100 and all(0 <= v <= 100 for v in row["score_components"].values())
        assert (
            row["score"]
            == round(
                0.3 * row["score_components"]["quality"]
                + 0.3 * row["score_components"]["speed"]
                + 0.25 * row["score_components"]["fit"]
                + 0.15 * row["score_components"]["context"],
                1,
            )
            or abs(
                row["score"]
                - 0.3 * row["score_components"]["quality"]
                - 0.3 * row["score_components"]["speed"]
                - 0.25 * row["score_components"]["fit"]
                - 0.15 * row["score_components"]["context"]
            )
            < 0.051
        )
        if row["memory_available_gb"] > 0:
            expected_pct = 100 * row["memory_required_gb"] / row["memory_available_gb"]
            assert row["utilization_pct"] == pytest.approx(expected_pct, abs=0.15)
        breakdown = row["memory_breakdown"]
        total = breakdown["weights_gb"] + breakdown["kv_cache_gb"] + breakdown["overhead_gb"]
        assert total == pytest.approx(row["memory_required_gb"], abs=0.03)
        ModelFit.model_validate(row)
    Envelope.model_validate(data)


def test_fast_json_and_dict_paths_agree() -> None:
    catalog = load_bundled()
    query = parse_query({"limit": "40", "include_too_tight": "true"}, route="models")
    for system in SYSTEMS:
        assert json.loads(envelope_json(system, catalog, query, NODE)) == envelope_dict(system, catalog, query, NODE)


def test_fit_envelope_validates_against_the_contract() -> None:
    result = fit_envelope(RTX_4090, load_bundled(), parse_query({}, route="top"), NODE)
    assert isinstance(result, Envelope) and result.returned_models == 5
    assert result.models[0].memory_breakdown.weights_gb > 0


def test_seed_examples_parse() -> None:
    system = {
        "total_ram_gb": 62.23,
        "available_ram_gb": 41.08,
        "cpu_cores": 14,
        "cpu_name": "Intel(R) Core(TM) Ultra 7 165U",
        "has_gpu": True,
        "gpu_vram_gb": 24.0,
        "gpu_name": "NVIDIA RTX 4090",
        "gpu_count": 1,
        "unified_memory": False,
        "backend": "CUDA",
        "gpus": [{"name": "NVIDIA RTX 4090", "vram_gb": 24.0, "backend": "CUDA", "count": 1, "unified_memory": False}],
    }
    parsed = System.model_validate(system)
    models = envelope(parsed, {"limit": "3"})["models"]
    assert len(models) == 3 and models[0]["run_mode"] in ("gpu", "moe_offload")


def test_rankings_answer_like_a_fresh_analysis_and_are_reused() -> None:
    from fleetfit.engine import query as query_module

    catalog = load_bundled()
    system = gpu_system("NVIDIA GeForce RTX 3090", 23.99, ram=48.0)
    for params in ({}, {"use_case": "coding", "limit": "7"}, {"sort": "tps", "min_fit": "good", "limit": "9"}):
        query = parse_query(params, route="models")
        fresh = query_module.select(query_module.fit_rows(system, catalog, query), query)
        cached = query_module.ranked(system, catalog, query)
        assert cached[0] == fresh[0]
        assert [f.as_json() for f in cached[1]] == [f.as_json() for f in fresh[1]]
    first = query_module.ranking(system, catalog, parse_query({}, route="top"))
    assert query_module.ranking(system, catalog, parse_query({"limit": "3"}, route="models")) is first
    other = query_module.ranking(system, catalog, parse_query({"max_context": "32768"}, route="top"))
    assert other is not first  # analysis options are part of the key


def test_evaluate_as_echoes_the_node_and_analyses_the_class() -> None:
    from fleetfit.engine.fleet import class_system

    node = gpu_system("NVIDIA GeForce RTX 4090", 23.99, ram=64.0, available=55.3)
    data = envelope(node, {"limit": "3"})
    as_class = envelope_dict(
        node, load_bundled(), parse_query({"limit": "3"}, route="models"), NODE, evaluate_as=class_system(node)
    )
    assert as_class["system"] == data["system"] and as_class["system"]["available_ram_gb"] == 55.3
    assert [m["name"] for m in as_class["models"]] and as_class["models"][0]["memory_available_gb"] > 0


def test_order_ties_are_read_from_each_entry_itself() -> None:
    """order_key keeps each entry's tiebreak (trust, name), but never serves one entry's for another: two
    entries of one name with different downloads order differently, and a changed copy is read afresh."""
    from fleetfit.engine.profile import build_profile
    from fleetfit.engine.query import _tiebreak

    from tests.engine.systems import dense_entry

    few = build_profile({**dense_entry("test/tie-8b"), "downloads": 10})
    many = build_profile({**dense_entry("test/tie-8b"), "downloads": 10_000, "first_party": True})
    assert _tiebreak(few) == ((True, -10), "test/tie-8b")
    assert _tiebreak(many) == ((False, -10_000), "test/tie-8b")
    assert _tiebreak(many) < _tiebreak(few)  # the lab's own, most downloaded repo first


@pytest.mark.parametrize("sort", ["score", "tps", "params", "mem", "ctx", "date", "use_case"])
def test_ranking_order_is_order_key_order(sort: str) -> None:
    """A ranking sorts only by the key's head over rows already in tiebreak order (query.tie_order): the same
    order, row for row, as one sort by the whole order_key, for every sort of the bundled catalog."""
    from fleetfit.engine.query import Query, order_key, ranking

    catalog = load_bundled()
    table = ranking(gpu_system("NVIDIA GeForce RTX 4090", 23.99), catalog, Query())
    assert table.tie_order is not None
    query = Query(sort=sort)
    assert [f.name for f in table.ordered(query)] == [f.name for f in sorted(table.fits, key=order_key(query))]

"""Runtime discovery against fake servers on loopback answering with each runtime's documented bodies."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from runtime_fakes import (
    LLAMACPP,
    LLAMACPP_NO_METRICS,
    LMSTUDIO,
    OLLAMA,
    SGLANG,
    VLLM,
    Blackhole,
    FakeRuntime,
    closed_port_url,
)

from probe_client.runtimes import BadRuntimeUrl, Target, discover, to_contract
from probe_client.runtimes.base import parse_prometheus, public_url

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def servers() -> Iterator[list[FakeRuntime]]:
    started: list[FakeRuntime] = []
    yield started
    for server in started:
        server.stop()


def serve(servers: list[FakeRuntime], routes: dict[str, tuple[int, str | None]], delay: float = 0.0) -> FakeRuntime:
    server = FakeRuntime(routes, delay=delay).start()
    servers.append(server)
    return server


def one(url: str) -> dict[str, object]:
    found = discover([url], defaults=False)
    [runtime] = to_contract(found, NOW)
    return runtime.model_dump(mode="json")


def test_llama_server_reports_its_file_context_build_and_measured_rates(servers: list[FakeRuntime]) -> None:
    server = serve(servers, LLAMACPP)
    runtime = one(server.url)
    assert runtime["kind"] == "llamacpp" and runtime["version"] == "b6713-0e76a8993"
    [model] = runtime["models"]  # type: ignore[misc]
    assert model["file"] == "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"  # the directory never leaves the node
    assert model["name"] == "Meta-Llama-3.1-8B-Instruct-Q4_K_M"
    assert model["context"] == 8192
    assert model["measured_decode_tps"] == 128.0  # 20480 tokens / 160.0 s
    assert model["measured_prefill_tps"] == pytest.approx(48213 / 12.402, abs=0.01)
    assert model["samples"] == 20480 and model["measured_at"] == "2026-11-27T10:00:00Z"
    text = json.dumps(runtime)
    assert "/srv/models" not in text and "private-team" not in text and "SECRET-PROMPT" not in text
    assert all(method == "GET" for method, _, _ in server.requests)


def test_llama_server_without_metrics_reports_the_model_without_rates(servers: list[FakeRuntime]) -> None:
    server = serve(servers, LLAMACPP_NO_METRICS)
    found = discover([server.url], defaults=False)
    [(_, answer)] = found.found
    [model] = to_contract(found, NOW)[0].models
    assert model.measured_decode_tps is None and model.samples == 0 and model.measured_at is None
    assert any("--metrics" in note for note in found.notes)


def test_old_llama_server_reads_context_from_slots_and_a_windows_path_keeps_only_the_file(
    servers: list[FakeRuntime],
) -> None:
    server = serve(servers, {**LLAMACPP_NO_METRICS, "/props": (200, "llamacpp_props_old.json")})
    runtime = one(server.url)
    [model] = runtime["models"]  # type: ignore[misc]
    assert runtime["version"] is None
    assert model["file"] == "qwen2.5-7b-instruct-q5_k_m.gguf" and model["context"] == 8192


def test_ollama_reports_pulled_models_with_quant_and_which_are_loaded(servers: list[FakeRuntime]) -> None:
    server = serve(servers, OLLAMA)
    runtime = one(server.url)
    assert runtime["kind"] == "ollama" and runtime["version"] == "0.6.5"
    models = {m["name"]: m for m in runtime["models"]}  # type: ignore[attr-defined]
    assert set(models) == {"llama3.1:8b", "qwen2.5-coder:14b-instruct-q8_0",
                           "hf.co/bartowski/Mistral-Nemo-Instruct-2407-GGUF:Q5_K_M"}  # fmt: skip
    llama = models["llama3.1:8b"]
    assert llama["quant"] == "Q4_K_M" and llama["loaded"] is True and llama["context"] == 8192
    assert models["qwen2.5-coder:14b-instruct-q8_0"]["loaded"] is False
    assert llama["measured_decode_tps"] is None  # Ollama publishes no speed counters


def test_vllm_rates_come_from_time_per_output_token_and_prefill_time(servers: list[FakeRuntime]) -> None:
    server = serve(servers, VLLM)
    runtime = one(server.url)
    assert runtime["kind"] == "vllm" and runtime["version"] == "0.10.1.1"
    [model] = runtime["models"]  # type: ignore[misc]
    assert model["repo"] == "meta-llama/Llama-3.1-8B-Instruct" and model["context"] == 32768
    assert model["measured_decode_tps"] == pytest.approx(249000 / 4150, abs=0.01)
    assert model["measured_prefill_tps"] == 10000.0  # 1.2e6 prompt tokens / 120 s prefill
    assert model["samples"] == 249000


def test_sglang_is_told_apart_from_vllm_by_owner(servers: list[FakeRuntime]) -> None:
    server = serve(servers, SGLANG)
    runtime = one(server.url)
    assert runtime["kind"] == "sglang" and runtime["version"] == "0.4.10.post2"
    [model] = runtime["models"]  # type: ignore[misc]
    assert model["repo"] == "Qwen/Qwen2.5-7B-Instruct"
    assert model["measured_decode_tps"] == pytest.approx(7557572 / 83980, abs=0.01)
    assert model["measured_prefill_tps"] == pytest.approx(8128902 / 2032.2, abs=0.01)


def test_lm_studio_lists_models_with_quant_and_state(servers: list[FakeRuntime]) -> None:
    server = serve(servers, LMSTUDIO)
    runtime = one(server.url)
    assert runtime["kind"] == "lmstudio"
    models = {m["name"]: m for m in runtime["models"]}  # type: ignore[attr-defined]
    assert models["meta-llama-3.1-8b-instruct"]["quant"] == "Q4_K_M"
    assert models["meta-llama-3.1-8b-instruct"]["loaded"] is True
    assert models["text-embedding-nomic-embed-text-v1.5"]["loaded"] is False


def test_default_ports_find_every_runtime_at_once_and_skip_closed_ones(servers: list[FakeRuntime]) -> None:
    llama, ollama = serve(servers, LLAMACPP), serve(servers, OLLAMA)
    targets = [
        Target(llama.url, "llamacpp", False),
        Target(ollama.url, "ollama", False),
        Target(closed_port_url(), "vllm", False),
    ]
    found = discover(targets=targets)
    assert sorted(answer.kind for _, answer in found.found) == ["llamacpp", "ollama"]
    assert found.notes == []  # a default port with nothing on it is not worth a note


def test_a_hung_or_slow_port_never_holds_discovery_past_its_budget(servers: list[FakeRuntime]) -> None:
    hung = Blackhole()
    slow = serve(servers, OLLAMA, delay=3.0)
    fast = serve(servers, LLAMACPP)
    try:
        started = time.monotonic()
        found = discover([hung.url, slow.url, fast.url], defaults=False, budget=1.0)
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    assert elapsed < 1.3
    assert [answer.kind for _, answer in found.found] == ["llamacpp"]
    assert sum("did not answer" in note for note in found.notes) == 2


def test_nothing_running_means_nothing_reported() -> None:
    found = discover(targets=[Target(closed_port_url(), "ollama", False)])
    assert found.found == [] and to_contract(found, NOW) == []


def test_a_server_that_is_no_runtime_is_noted_not_reported(servers: list[FakeRuntime]) -> None:
    other = serve(servers, {"/": (200, None)})
    found = discover([other.url], defaults=False)
    assert found.found == [] and "did not answer as a known runtime" in found.notes[0]


def test_credentials_and_query_are_used_or_dropped_but_never_reported(servers: list[FakeRuntime]) -> None:
    server = serve(servers, OLLAMA)
    port = server.url.rsplit(":", 1)[1]
    runtime = one(f"http://admin:hunter2@127.0.0.1:{port}/?api_key=sk-123#x")
    assert runtime["url"] == f"http://127.0.0.1:{port}"
    assert "hunter2" not in json.dumps(runtime) and "sk-123" not in json.dumps(runtime)
    assert server.requests[0][2]["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("bad", ["ftp://host/x", "127.0.0.1:8080", "http://", "http://host:99999"])
def test_bad_runtime_urls_are_refused_by_name(bad: str) -> None:
    with pytest.raises(BadRuntimeUrl, match="--runtime-url"):
        discover([bad], defaults=False)


def test_public_url_strips_userinfo_query_and_fragment() -> None:
    assert public_url("https://u:p@[::1]:8443/base/?k=v#f") == "https://[::1]:8443/base"


def test_prometheus_parser_skips_comments_garbage_and_non_finite_values() -> None:
    samples = parse_prometheus(b'# HELP x\nx{a="1",b="q\\"z"} 2.5\nbad line\ny NaN\nz +Inf\nw 1e3 1700000000\n')
    assert [(s.name, s.labels, s.value) for s in samples] == [("x", {"a": "1", "b": 'q\\"z'}, 2.5), ("w", {}, 1000.0)]


def test_what_the_contract_cannot_carry_is_dropped_not_the_report() -> None:
    from probe_client.runtimes import Discovery, Found, Served

    long_name = "x" * 240 + ".gguf"
    found = Found("llamacpp", "b1", [Served(name=long_name.removesuffix(".gguf"), file=long_name),
                                      Served(name="ok", context=10**9)])  # fmt: skip
    [runtime] = to_contract(Discovery([("http://127.0.0.1:8080", found)], []), NOW)
    assert [m.name for m in runtime.models] == ["x" * 200]  # the absurd context is left out, with a log line

"""The runtime readers inside a whole probe run: the report field, --runtime-url, --no-runtimes, --bench."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from probe_fakes import FakeTime, IngestServer, make_runtime
from runtime_fakes import LLAMACPP, RUNTIME_FIXTURES, FakeRuntime

from probe_client.cli import add_arguments
from probe_client.host import run_command
from probe_client.run import EXIT_CONFIG, EXIT_DELIVERED, ProbeArgs, run_probe
from probe_client.runtimes import Discovery, Target, discover
from probe_client.runtimes.llamabench import bench_runtime, parse_markdown


@pytest.fixture
def llama() -> Iterator[FakeRuntime]:
    server = FakeRuntime(LLAMACPP).start()
    yield server
    server.stop()


def args(server: IngestServer, token: Path, tmp_path: Path, **extra: Any) -> ProbeArgs:
    return ProbeArgs(endpoint=server.url, token_file=str(token), spool_dir=str(tmp_path / "spool"), node_id="n1",
                     **extra)  # fmt: skip


def only_urls(calls: list[tuple[list[str], bool]]) -> Any:
    """A discovery that reads only the URLs it is given (never this machine's real default ports)."""

    def run(urls: Sequence[str], defaults: bool) -> Discovery:
        calls.append((list(urls), defaults))
        return discover(urls, defaults=False)

    return run


def test_a_served_model_rides_in_the_report(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, llama: FakeRuntime
) -> None:
    calls: list[tuple[list[str], bool]] = []
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO(), runtimes=only_urls(calls))
    assert run_probe(args(server, token_file, tmp_path, runtime_urls=[llama.url]), rt) == EXIT_DELIVERED
    report = server.received[0].report
    [runtime] = report["runtimes"]
    assert runtime["kind"] == "llamacpp" and runtime["url"] == llama.url
    assert runtime["models"][0]["measured_decode_tps"] == 128.0
    assert runtime["models"][0]["measured_at"] == report["collected_at"]
    assert calls == [([llama.url], True)]


def test_a_node_without_runtimes_sends_exactly_the_report_of_before(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    assert run_probe(args(server, token_file, tmp_path), rt) == EXIT_DELIVERED
    assert "runtimes" not in server.received[0].report


def test_no_runtimes_probes_nothing(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    calls: list[tuple[list[str], bool]] = []
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO(), runtimes=only_urls(calls))
    assert run_probe(args(server, token_file, tmp_path, no_runtimes=True), rt) == EXIT_DELIVERED
    assert calls == [] and "runtimes" not in server.received[0].report


def test_a_bad_runtime_url_is_a_configuration_error_before_anything_is_sent(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path
) -> None:
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    assert run_probe(args(server, token_file, tmp_path, runtime_urls=["ftp://x"]), rt) == EXIT_CONFIG
    assert server.received == []


def test_cli_flags_reach_the_run() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    ns = parser.parse_args(["--runtime-url", "http://a:1", "--runtime-url", "http://b:2", "--bench", "m.gguf"])
    assert ns.runtime_url == ["http://a:1", "http://b:2"] and ns.bench == "m.gguf" and not ns.no_runtimes


def test_default_discovery_tries_every_runtime_port_on_loopback_only() -> None:
    from probe_client.runtimes import default_targets

    targets = default_targets()
    assert {t.url for t in targets} == {
        "http://127.0.0.1:8080", "http://127.0.0.1:11434", "http://127.0.0.1:8000",
        "http://127.0.0.1:30000", "http://127.0.0.1:1234",
    }  # fmt: skip
    assert all(isinstance(t, Target) and not t.explicit for t in targets)


# --- --bench ----------------------------------------------------------------------------------------------


def fake_llama_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture: str, code: int = 0) -> Path:
    """A `llama-bench` script first on the PATH that prints a recorded output and logs its arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "llama-bench"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "argv"}\ncat {RUNTIME_FIXTURES / fixture}\nexit {code}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    model = tmp_path / "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
    model.write_bytes(b"GGUF")
    return model


def test_bench_runs_llama_bench_and_reports_rates_quant_and_size(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_llama_bench(tmp_path, monkeypatch, "llama_bench.json")
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    rt.host = dataclasses.replace(rt.host, run=run_command)
    assert run_probe(args(server, token_file, tmp_path, bench=str(model)), rt) == EXIT_DELIVERED
    [bench] = server.received[0].report["runtimes"]
    [row] = bench["models"]
    assert bench["kind"] == "llama-bench" and bench["url"] == "local" and bench["version"] == "b4136-8cc91dc6"
    assert row["file"] == model.name and row["quant"] == "Q4_K_M" and row["size_bytes"] == 4912898304
    assert row["measured_decode_tps"] == 125.89 and row["measured_prefill_tps"] == 8805.13
    assert row["samples"] == 10
    assert (tmp_path / "argv").read_text().split() == ["-m", str(model), "-o", "json"]
    assert "/home/ana" not in json.dumps(bench)


def test_bench_without_llama_bench_on_the_path_is_a_clear_configuration_error(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    rt.host = dataclasses.replace(rt.host, run=run_command)
    assert run_probe(args(server, token_file, tmp_path, bench=str(model)), rt) == EXIT_CONFIG
    assert "llama-bench is not on the PATH" in caplog.text and server.received == []


def test_bench_failure_names_the_exit_code(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, token_file: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    model = fake_llama_bench(tmp_path, monkeypatch, "llama_bench.md", code=1)
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    rt.host = dataclasses.replace(rt.host, run=run_command)
    assert run_probe(args(server, token_file, tmp_path, bench=str(model)), rt) == EXIT_CONFIG
    assert "llama-bench exited 1" in caplog.text


def test_bench_markdown_output_is_read_too() -> None:
    from datetime import UTC, datetime

    rows = parse_markdown((RUNTIME_FIXTURES / "llama_bench.md").read_text())
    bench = bench_runtime(rows, "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", datetime(2026, 1, 1, tzinfo=UTC))
    [row] = bench.models
    assert (row.measured_decode_tps, row.measured_prefill_tps, row.quant) == (125.89, 8805.13, "Q4_K_M")
    assert row.size_bytes == int(4.58 * 1024**3) and bench.version == "b4136-8cc91dc6"

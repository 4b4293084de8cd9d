"""`fleetfit fit` and `fleetfit system`: the interface other tools drive, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fleetfit.cli import main
from fleetfit.contract import Envelope, System

RTX_4090 = {
    "total_ram_gb": 62.5,
    "available_ram_gb": 55.0,
    "cpu_cores": 16,
    "cpu_name": "AMD Ryzen 9 7950X 16-Core Processor",
    "has_gpu": True,
    "gpu_vram_gb": 23.99,
    "gpu_name": "NVIDIA GeForce RTX 4090",
    "gpu_count": 1,
    "unified_memory": False,
    "backend": "CUDA",
    "gpus": [
        {"name": "NVIDIA GeForce RTX 4090", "vram_gb": 23.99, "backend": "CUDA", "count": 1, "unified_memory": False}
    ],
}


@pytest.fixture
def system_file(tmp_path: Path) -> Path:
    path = tmp_path / "rtx4090.json"
    path.write_text(json.dumps(RTX_4090))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_fit_json_prints_the_envelope(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--limit", "7")
    assert code == 0
    envelope = Envelope.model_validate_json(out)
    assert envelope.returned_models == 7 and envelope.total_models > 1000
    assert envelope.system.gpu_name == "NVIDIA GeForce RTX 4090"
    assert [m.score for m in envelope.models] == sorted((m.score for m in envelope.models), reverse=True)


def test_fit_json_full_listing_matches_single_process(
    capsys: pytest.CaptureFixture[str], system_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEETFIT_WORKERS", "2")
    _, parallel, _ = run(capsys, "fit", "--json", "--system", str(system_file))
    monkeypatch.setenv("FLEETFIT_WORKERS", "1")
    _, serial, _ = run(capsys, "fit", "--json", "--system", str(system_file))
    assert parallel == serial
    assert json.loads(serial)["returned_models"] > 5000


def test_fit_table(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, _ = run(capsys, "fit", "--system", str(system_file))
    assert code == 0
    lines = out.splitlines()
    assert "NVIDIA GeForce RTX 4090" in lines[0]
    assert lines[2].split() == [
        "#",
        "Model",
        "Variants",
        "Params",
        "Fit",
        "Run",
        "mode",
        "Quant",
        "Memory",
        "GiB",
        "tok/s",
        "Score",
    ]
    assert "Showing 25 of" in out


def test_model_is_shown_whatever_its_fit_with_notes(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--model", "DEEPSEEK-AI/deepseek-v3")
    assert code == 0
    models = json.loads(out)["models"]
    assert [m["name"] for m in models] == ["deepseek-ai/DeepSeek-V3"]
    assert models[0]["fit_level"] == "too_tight" and models[0]["notes"]
    code, out, _ = run(capsys, "fit", "--system", str(system_file), "--model", "deepseek-ai/DeepSeek-V3")
    assert "Does not fit" in out


def test_forced_quant_and_max_context(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    args = ("fit", "--json", "--system", str(system_file), "--model", "meta-llama/Llama-3.1-8B-Instruct")
    _, base, _ = run(capsys, *args)
    _, forced, _ = run(capsys, *args, "--quant", "q4_k_m", "--max-context", "32768")
    base_row, forced_row = json.loads(base)["models"][0], json.loads(forced)["models"][0]
    assert forced_row["best_quant"] == "Q4_K_M" and base_row["best_quant"] == "Q8_0"
    assert forced_row["effective_context_length"] == 32768
    assert forced_row["memory_breakdown"]["kv_cache_gb"] == pytest.approx(4.0, abs=0.01)
    _, mxfp4, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--model", "openai/gpt-oss-20b")
    assert json.loads(mxfp4)["models"][0]["best_quant"] == "MXFP4"


def test_filters_pass_through(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "fit",
        "--json",
        "--system",
        str(system_file),
        "--use-case",
        "coding",
        "--min-fit",
        "good",
        "--sort",
        "tps",
        "--limit",
        "10",
    )
    assert code == 0
    data = json.loads(out)
    assert data["filters"]["use_case"] == "coding" and data["filters"]["sort"] == "tps"
    assert all(m["use_case"] == "Coding" and m["fit_level"] in ("perfect", "good") for m in data["models"])


def test_unknown_model_exits_1_with_suggestions(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, err = run(capsys, "fit", "--system", str(system_file), "--model", "meta-llama/Llama-3.1-8B-Instrct")
    assert code == 1 and out == ""
    assert "unknown model" in err and "meta-llama/Llama-3.1-8B-Instruct" in err


def test_bad_option_value_exits_2_naming_it(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, _, err = run(capsys, "fit", "--system", str(system_file), "--sort", "provider")
    assert code == 2 and "--sort" in err and "score|tps|params|mem|ctx|date|use_case" in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({**RTX_4090, "cpu_cores": 0}), "field cpu_cores"),
        (json.dumps({k: v for k, v in RTX_4090.items() if k != "backend"}), "field backend"),
        (json.dumps({**RTX_4090, "backend": "TPU"}), "field backend"),
        (json.dumps({**RTX_4090, "gpus": [{**RTX_4090["gpus"][0], "vram_gb": -1}]}), "field gpus.0.vram_gb"),
        (json.dumps({**RTX_4090, "gpu_count": 3}), "gpu_count"),
    ],
)
def test_bad_system_file_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "system.json"
    path.write_text(content)
    code, out, err = run(capsys, "fit", "--system", str(path))
    assert code == 2 and out == ""
    assert fragment in err


def test_missing_system_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "fit", "--system", str(tmp_path / "absent.json"))
    assert code == 2 and "cannot read system file" in err


def test_system_json_is_this_machines_system_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "system", "--json")
    assert code == 0
    system = System.model_validate_json(out)
    assert system.cpu_cores >= 1 and system.total_ram_gb > 0


def test_console_script_runs_in_a_fresh_process(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    # The console script (cli.entry) ends a fit without the interpreter's teardown: the output must still be
    # whole and flushed, the exit code and message kept, and a reader that goes away early is no error.
    # Standard streams buffered, as a user's are (this environment may set PYTHONUNBUFFERED).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}

    def fresh(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "fleetfit.cli", "fit", "--system", str(system_file), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)

    result = fresh("--json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["returned_models"] == 1
    whole = fresh("--json")  # every group, written by the forked workers and the parent
    _, in_process, _ = run(capsys, "fit", "--json", "--system", str(system_file))
    assert whole.returncode == 0 and whole.stdout == in_process and whole.stderr == ""
    unknown = fresh("--model", "acme/No-Such-Model-7B")
    assert unknown.returncode == 1 and "unknown model" in unknown.stderr and unknown.stdout == ""
    command = [sys.executable, "-m", "fleetfit.cli", "fit", "--json", "--group", "none", "--system", str(system_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.read(100).startswith(b'{"node":')
        reader.stdout.close()  # the reader goes away (| head)
        error = reader.stderr.read()
    assert reader.returncode == 0 and b"Error" not in error, error


def test_group_option(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    args = ("fit", "--json", "--system", str(system_file), "--limit", "3")
    _, grouped, _ = run(capsys, *args)
    _, every, _ = run(capsys, *args, "--group", "none")
    grouped_env, every_env = json.loads(grouped), json.loads(every)
    assert grouped_env["filters"]["group"] == "base" and every_env["filters"]["group"] == "none"
    assert all(m["variants"] >= 1 for m in grouped_env["models"])
    assert all("variants" not in m for m in every_env["models"])
    assert grouped_env["total_models"] <= every_env["total_models"]
    code, _, err = run(capsys, "fit", "--system", str(system_file), "--group", "family")
    assert code == 2 and "--group" in err and "base|none" in err


def test_what_if_license_and_force_runtime_flags(capsys: pytest.CaptureFixture[str], system_file: Path) -> None:
    code, out, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--limit", "5",
                       "--vram-gb", "0", "--ram-gb", "128", "--cpu-cores", "8", "--license", "mit")  # fmt: skip
    assert code == 0
    env = json.loads(out)
    assert env["system"]["has_gpu"] is False and env["system"]["total_ram_gb"] == 128
    assert env["system"]["cpu_cores"] == 8 and env["filters"]["vram_gb"] == 0
    assert env["models"] and {m["run_mode"] for m in env["models"]} == {"cpu_only"}
    assert {m["license"] for m in env["models"]} == {"mit"}
    for args, named in ((("--ram-gb", "-1"), "--ram-gb"), (("--force-runtime", "mlx"), "--force-runtime")):
        code, _, err = run(capsys, "fit", "--system", str(system_file), *args)
        assert code == 2 and named in err, err


def test_fit_json_every_row_matches_single_process(
    capsys: pytest.CaptureFixture[str], system_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers fold whole variant groups themselves (parallel.shares): ungrouped and grouped listings, 3 shares.
    for group in ("none", "base"):
        monkeypatch.setenv("FLEETFIT_WORKERS", "3")
        _, parallel, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--group", group, "--limit", "900")
        monkeypatch.setenv("FLEETFIT_WORKERS", "1")
        _, serial, _ = run(capsys, "fit", "--json", "--system", str(system_file), "--group", group, "--limit", "900")
        assert parallel == serial, group


def test_worker_shares_hold_whole_groups_and_about_equal_parts() -> None:
    from fleetfit.catalog import load_bundled
    from fleetfit.parallel import shares

    catalog = load_bundled()
    for count in (2, 3, 8):
        parts = shares(catalog, count)
        assert sorted(i for part in parts for i in part) == list(range(len(catalog)))  # each model once
        assert all(part == sorted(part) for part in parts)  # catalog order within a share
        share_of = {i: k for k, part in enumerate(parts) for i in part}
        groups: dict[str, set[int]] = {}
        for i, entry in enumerate(catalog.entries):
            groups.setdefault(entry.get("group") or entry["name"], set()).add(share_of[i])
        assert all(len(where) == 1 for where in groups.values())  # a variant group in one share
        sizes = [len(part) for part in parts]
        assert max(sizes) <= 1.1 * len(catalog) / count, sizes

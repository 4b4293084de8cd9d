"""The `probe` subcommand's interface, its help, and what a node has to import to run it."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from probe_client import cli

ROOT = Path(__file__).resolve().parents[2]
FAKES = Path(__file__).resolve().parent


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="fleetfit")
    cli.register(top.add_subparsers(dest="command"))
    return top


def test_register_adds_probe_with_exactly_the_issues_flags() -> None:
    args = parser().parse_args(
        [
            "probe",
            "--endpoint", "https://api.example.com",
            "--token-file", "/etc/fleetfit/token",
            "--node-id", "gpu-07",
            "--spool-dir", "/var/spool/fleetfit",
            "--splay", "120",
            "--system", "node.json",
            "--local",
            "--json",
            "--sigv4",
        ]
    )  # fmt: skip
    assert args.func is cli.main
    assert (args.endpoint, args.token_file, args.node_id, args.spool_dir) == (
        "https://api.example.com",
        "/etc/fleetfit/token",
        "gpu-07",
        "/var/spool/fleetfit",
    )
    assert (args.splay, args.system, args.local, args.json, args.sigv4) == (120.0, "node.json", True, True, True)
    defaults = parser().parse_args(["probe"])
    assert (defaults.endpoint, defaults.splay, defaults.local, defaults.json, defaults.sigv4) == (
        None,
        0.0,
        False,
        False,
        False,
    )


def test_help_documents_the_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "probe_client", "probe", "--help"], capture_output=True, text=True, check=True
    )
    text = result.stdout
    for line in ("0  delivered", "1  other error", "2  bad configuration", "3  spooled for later"):
        assert line in text
    for flag in ("--endpoint URL", "--token-file FILE", "--node-id ID", "--spool-dir DIR", "--splay SECONDS"):
        assert flag in text
    assert "FLEETFIT_ENDPOINT" in text and "FLEETFIT_TOKEN" in text


def _modules_after(code: str) -> list[str]:
    """Modules that running `code` in a fresh interpreter adds to those present at start-up."""
    prologue = "import sys\n_before = set(sys.modules)\n"
    epilogue = "\nimport json\nprint(json.dumps(sorted(set(sys.modules) - _before)))"
    result = subprocess.run(
        [sys.executable, "-c", prologue + code + epilogue],
        capture_output=True,
        text=True,
        check=True,
        cwd=FAKES,
    )
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


def test_importing_the_cli_costs_argparse_only() -> None:
    heavy = {"pydantic", "psutil", "pynvml", "botocore", "boto3", "fleetfit", "urllib", "amdsmi"}
    loaded = {m.split(".")[0] for m in _modules_after("import probe_client.cli")}
    assert not heavy & loaded


def test_detection_imports_no_driver_library_until_it_runs() -> None:
    loaded = {m.split(".")[0] for m in _modules_after("import probe_client.detect, probe_client.run")}
    assert not {"pynvml", "botocore", "boto3", "amdsmi"} & loaded


def test_a_bearer_run_never_imports_the_aws_sdk(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("tok-123456")
    code = f"""
from probe_fakes import IngestServer
from probe_client.__main__ import main
server = IngestServer().start()
rc = main(["probe", "--endpoint", server.url, "--token-file", {str(token)!r},
           "--spool-dir", {str(tmp_path / "spool")!r}, "--node-id", "n1"])
assert rc == 0, rc
server.stop()
"""
    loaded = {m.split(".")[0] for m in _modules_after(code)}
    assert "botocore" not in loaded and "boto3" not in loaded

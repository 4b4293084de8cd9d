"""Benchmark one probe run: detect + build + sign + post to a local server, as a node would run it.

    .venv/bin/python bench/probe_bench.py [--runs N]

Each run is a fresh `python -m probe_client probe` process (what cron or systemd starts), posting to an
http.server this script starts. Prints wall time and peak RSS of the process (median and worst of N runs)
for a bearer-token run and a SigV4-signed run, then the import cost of the probe's modules from
`python -X importtime` (self times summed, by top-level package). Targets: <= 1 s wall, <= 60 MB peak RSS.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WALL_TARGET_S = 1.0
RSS_TARGET_MB = 60.0
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIDBENCHEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "bench/secret/key/not/real/0123456789abcd",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class _Ingest(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        report = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps(
            {
                "node": {"name": report["node_id"], "os": report.get("os")},
                "system": report["system"],
                "total_models": 0,
                "returned_models": 0,
                "filters": {},
                "models": [],
            }
        ).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _probe_argv(url: str, workdir: Path, mode: str) -> list[str]:
    argv = [sys.executable, "-m", "probe_client", "probe", "--endpoint", url, "--node-id", "bench-node"]
    argv += ["--spool-dir", str(workdir / f"spool-{mode}"), "--json"]
    if mode == "sigv4":
        return [*argv, "--sigv4"]
    token = workdir / "token"
    token.write_text("bench-token-0123456789")
    token.chmod(0o600)
    return [*argv, "--token-file", str(token)]


def _env(mode: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if mode == "sigv4":
        env.update(FAKE_AWS)
    return env


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one probe process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"probe exited {process.returncode}: {stderr}")
    if process.stderr:
        process.stderr.close()
    rss_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024  # macOS: bytes
    return wall, rss_kib / 1024


def import_cost(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Milliseconds of import time (self, summed) per top-level package, from python -X importtime."""
    result = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True, cwd=ROOT, check=True
    )
    by_package: dict[str, float] = defaultdict(float)
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        by_package[name.strip().split(".")[0]] += int(self_us) / 1000
    return dict(by_package)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (default 5)")
    options = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    ok = True
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; {options.runs} runs per mode")
    print(f"{'mode':<8} {'wall median':>12} {'wall worst':>11} {'RSS median':>11} {'RSS worst':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        costs: dict[str, dict[str, float]] = {}
        for mode in ("bearer", "sigv4"):
            argv, env = _probe_argv(url, workdir, mode), _env(mode)
            one_run(argv, env)  # warm the OS page cache once, as on a node that runs every 15 minutes
            samples = [one_run(argv, env) for _ in range(options.runs)]
            walls, rsses = [s[0] for s in samples], [s[1] for s in samples]
            print(
                f"{mode:<8} {statistics.median(walls):>10.3f} s {max(walls):>9.3f} s "
                f"{statistics.median(rsses):>8.1f} MB {max(rsses):>7.1f} MB"
            )
            ok &= max(walls) <= WALL_TARGET_S and max(rsses) <= RSS_TARGET_MB
            costs[mode] = import_cost(argv, env)
    server.shutdown()

    print("\nimport cost (python -X importtime, self time summed, ms):")
    packages = sorted(set(costs["bearer"]) | set(costs["sigv4"]), key=lambda p: -costs["sigv4"].get(p, 0))
    print(f"{'package':<22} {'bearer':>8} {'sigv4':>8}")
    shown = [p for p in packages if max(costs["bearer"].get(p, 0), costs["sigv4"].get(p, 0)) >= 2.0]
    for package in shown:
        print(f"{package:<22} {costs['bearer'].get(package, 0):>8.1f} {costs['sigv4'].get(package, 0):>8.1f}")
    rest = [p for p in packages if p not in shown]
    print(
        f"{f'other ({len(rest)} modules)':<22} {sum(costs['bearer'].get(p, 0) for p in rest):>8.1f} "
        f"{sum(costs['sigv4'].get(p, 0) for p in rest):>8.1f}"
    )
    print(f"{'total':<22} {sum(costs['bearer'].values()):>8.1f} {sum(costs['sigv4'].values()):>8.1f}")
    probe_only = {m: v for m, v in costs["bearer"].items() if m == "probe_client"}
    print(f"probe_client's own modules: {sum(probe_only.values()):.1f} ms")
    print(f"\ntargets: wall <= {WALL_TARGET_S:g} s, peak RSS <= {RSS_TARGET_MB:g} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

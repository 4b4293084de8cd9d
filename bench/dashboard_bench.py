"""Dashboard benchmark: first paint and fleet-matrix render in headless chromium against `fleetfit serve` on
loopback with a 1,000-node, 100-class fleet; the page's weight, raw and gzipped.

    .venv/bin/python bench/dashboard_bench.py [--nodes 1000] [--classes 100] [--runs 5]

The fleet is bench/fleet_bench.py's generator (realistic machines drawn from the GPU table), kept to its
`--classes` most common hardware classes. Timings are medians over `--runs` fresh page loads, read from the
browser's own clock (performance.now(), PerformanceObserver 'paint'): first paint and first contentful
paint of /, the default matrix (every class x the top 12 models) on screen, and the matrix by nodes (every
node a row) after the controls ask for it. The class digests the model choice reads are warmed once first
(as a running fleet has them: each class's first ingest computes its digest); that cold start is reported
apart. Target (issue 10): matrix on screen in under 1 s. Needs chromium (scripts/install-test-browser.sh).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet_bench import make_fleet  # noqa: E402

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PAGE_FILES = ("index.html", "app.js", "style.css")


def fleet(nodes: int, classes: int) -> list[Any]:
    from fleetfit.store import hardware_class

    reports = make_fleet(int(nodes * 1.3), datetime.now(UTC))
    common = {c for c, _ in Counter(hardware_class(r.system) for r in reports).most_common(classes)}
    return [r for r in reports if hardware_class(r.system) in common][:nodes]


def page_weight() -> dict[str, int]:
    from fleetfit.dashboard import asset

    raw = gz = 0
    for name in PAGE_FILES:
        found = asset(name)
        assert found is not None
        raw += len(found[0])
        gz += len(gzip.compress(found[0], compresslevel=5))  # the level the API's answers use (handler.py)
    return {"raw_bytes": raw, "gzip_bytes": gz}


def sent_bytes(base: str) -> int:
    """What the server sends for the page's files to a browser (Accept-Encoding: gzip)."""
    total = 0
    for name in PAGE_FILES:
        path = "/" if name == "index.html" else f"/dashboard/{name}"
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=60) as response:
            total += len(response.read())
    return total


def _fetch(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


PAINT_JS = """() => new Promise(resolve => {
  const seen = {};
  const done = () => resolve(seen);
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) seen[e.name] = e.startTime;
    if (seen['first-contentful-paint'] !== undefined) done();
  }).observe({type: 'paint', buffered: true});
  setTimeout(done, 5000);
})"""


def measure(base: str, runs: int, nodes: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    path = next((p for p in CHROMIUM if Path(p).exists()), None) or shutil.which("chromium")
    if path is None:
        raise SystemExit("no chromium: run scripts/install-test-browser.sh")
    out: dict[str, list[float]] = {"first_paint_ms": [], "first_contentful_paint_ms": [], "matrix_classes_ms": [],
                                   "matrix_nodes_ms": []}  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--headless", "--no-sandbox"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = context.new_page()
            page.goto(base + "/#/matrix")
            paints = page.evaluate(PAINT_JS)
            page.wait_for_function("() => document.querySelectorAll('#matrix tbody tr').length > 0", timeout=60_000)
            out["matrix_classes_ms"].append(page.evaluate("performance.now()"))
            out["first_paint_ms"].append(paints.get("first-paint", float("nan")))
            out["first_contentful_paint_ms"].append(paints.get("first-contentful-paint", float("nan")))
            page.select_option("#matrix-rows", "node")
            started = page.evaluate("performance.now()")
            page.click("#matrix-form button[type=submit]")
            page.wait_for_function(
                f"() => document.querySelectorAll('#matrix tbody tr').length >= {min(nodes, 500)}", timeout=60_000
            )
            out["matrix_nodes_ms"].append(page.evaluate("performance.now()") - started)
            context.close()
        browser.close()
    return {k: round(statistics.median(v), 1) for k, v in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from fleetfit.api import services
    from fleetfit.server import make_server
    from fleetfit.store import hardware_class

    reports = fleet(args.nodes, args.classes)
    tmp = Path(tempfile.mkdtemp(prefix="fleetfit-dash-bench-"))
    srv = make_server("127.0.0.1", 0, db_path=str(tmp / "fleet.db"), token=None)
    svc = services.current()
    for report in reports:
        svc.store.put_report(report, received_at=svc.now())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    classes = len({hardware_class(r.system) for r in reports})
    cold_ms = 0.0
    for _ in range(100):  # each class's digest, once (ingest computes it in a running fleet)
        took, summary = _fetch(base + "/api/v1/fleet/summary")
        cold_ms += took
        if json.loads(summary)["classes"]["pending"] == 0:
            break
    warm_ms, matrix = _fetch(base + "/api/v1/fleet/matrix")
    _, matrix_nodes = _fetch(base + "/api/v1/fleet/matrix?rows=node&limit=1000")
    timings = measure(base, args.runs, len(reports))
    on_the_wire = sent_bytes(base)
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(tmp, ignore_errors=True)
    figures = {
        "fleet": {"nodes": len(reports), "classes": classes},
        "digests_cold_ms": round(cold_ms, 1),
        "matrix_api_ms": round(warm_ms, 1),
        "browser_median_ms": timings,
        "target_ms": 1000,
        "under_target": timings["matrix_classes_ms"] < 1000,
        "page_weight": {**page_weight(), "sent_bytes": on_the_wire},
        "matrix_json": {
            "classes_raw_bytes": len(matrix),
            "classes_gzip_bytes": len(gzip.compress(matrix, compresslevel=5)),
            "nodes_raw_bytes": len(matrix_nodes),
            "nodes_gzip_bytes": len(gzip.compress(matrix_nodes, compresslevel=5)),
            "cells": sum(len(r) for r in json.loads(matrix)["cells"]),
        },
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

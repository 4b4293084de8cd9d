"""Screenshots of each dashboard view for the README (docs/dashboard-*.png), in Debian's chromium.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts `fleetfit serve` on loopback with a token and a generated fleet (bench/fleet_bench.py's generator,
120 nodes), logs in through the form, and captures the matrix, a cell's details, "which nodes run X" with a
placement plan, a node page with its what-if sliders moved, and the summary.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
TOKEN = "screenshot-token-0123456789abcdef"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _warm(base: str) -> None:
    """Compute every class's digest before the pictures (a running fleet has them from ingest)."""
    import json
    import urllib.request

    for _ in range(20):
        request = urllib.request.Request(base + "/api/v1/fleet/summary", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            if json.loads(response.read())["classes"]["pending"] == 0:
                return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--nodes", type=int, default=120)
    args = parser.parse_args()
    from fleet_bench import make_fleet
    from fleetfit.api import services
    from fleetfit.server import make_server
    from playwright.sync_api import sync_playwright

    path = next((p for p in CHROMIUM if Path(p).exists()), None) or shutil.which("chromium")
    if path is None:
        print("no chromium: run scripts/install-test-browser.sh", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="fleetfit-shots-"))
    srv = make_server("127.0.0.1", 0, db_path=str(tmp / "fleet.db"), token=TOKEN)
    svc = services.current()
    reports = make_fleet(args.nodes, datetime.now(UTC), prefix="gpu-lab")
    node = reports[0]
    for days, share in ((6, 0.55), (5, 0.7), (4, 0.4), (3, 0.62), (2, 0.5), (1, 0.66)):
        system = node.system.model_copy(update={"available_ram_gb": round(node.system.total_ram_gb * share, 2)})
        at = datetime.now(UTC) - timedelta(days=days)
        svc.store.put_report(node.model_copy(update={"system": system, "collected_at": at, "report_id": f"history-{days:04d}"}),
                             received_at=at)  # fmt: skip
    for report in reports:
        svc.store.put_report(report, received_at=svc.now())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    _warm(base)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--headless", "--no-sandbox"])
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        page.goto(base + "/")
        page.wait_for_url(base + "/login")
        page.screenshot(path=str(out / "dashboard-login.png"))
        page.fill("#token", TOKEN)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#matrix")
        page.screenshot(path=str(out / "dashboard-matrix.png"))
        page.locator("#matrix tbody td.cell").nth(3).click()
        page.wait_for_selector("#model-details")
        page.screenshot(path=str(out / "dashboard-details.png"))
        page.goto(base + "/#/which/meta-llama%2FLlama-3.3-70B-Instruct")
        page.wait_for_selector("#place-form")
        page.fill("#which-replicas", "200")
        page.click("#place-form button[type=submit]")
        page.wait_for_selector("#placement-result")
        page.screenshot(path=str(out / "dashboard-which.png"))
        page.goto(base + f"/#/node/{node.node_id}")
        page.wait_for_selector("#whatif-ram")
        with page.expect_response(lambda r: "ram_gb=" in r.url):
            page.eval_on_selector(
                "#whatif-ram", "(s) => { s.value = String(Number(s.value) * 2); s.dispatchEvent(new Event('input')); }"
            )
        page.wait_for_function("() => !!document.querySelector('#node-top-holder').dataset.whatif")
        page.screenshot(path=str(out / "dashboard-node.png"), full_page=True)
        page.goto(base + "/#/summary")
        page.wait_for_selector("#summary-cards")
        page.screenshot(path=str(out / "dashboard-summary.png"), full_page=True)
        browser.close()
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(str(p) for p in sorted(out.glob("dashboard-*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The dashboard under test: the real `fleetfit serve` (SQLite, bundled catalog, a bearer token) on loopback
with a generated fleet, and Debian's chromium driven by Playwright.

Where no browser can be launched the browser tests skip, and say why on the terminal (not only in -rs):
`scripts/install-test-browser.sh` (run by `.ci/run` and the README's test command) installs it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api import services as services_mod
from fleetfit.contract import System
from fleetfit.server import FleetfitHTTPServer, make_server
from fleetfit.store.samples import (
    apple_m3_max,
    cpu_only_x86,
    h100_server,
    mixed_4090_3090,
    rtx4090_workstation,
    sample_report,
)

TOKEN = "dashboard-test-token-0123456789"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# (node id, System, hours since its latest report): five hardware classes, one stale node.
FLEET: tuple[tuple[str, Any, float], ...] = (
    ("ws-4090-a", rtx4090_workstation, 0.1),
    ("ws-4090-b", rtx4090_workstation, 0.2),
    ("gpu-h100-1", h100_server, 0.1),
    ("dual-4090-3090", mixed_4090_3090, 0.3),
    ("mac-m3", apple_m3_max, 0.5),
    ("cpu-box-1", cpu_only_x86, 0.1),
    ("cpu-box-old", cpu_only_x86, 72.0),
)
HISTORY_NODE = "ws-4090-a"


@dataclass
class DashboardServer:
    url: str
    server: FleetfitHTTPServer
    svc: Any

    def classes(self) -> list[Any]:
        return [c for c in self.svc.store.classes() if c.nodes > 0]


def _history(svc: Any, node: str, system: System) -> None:
    """Five reports over four days: available RAM moving, then 64 -> 128 GB of RAM (a hardware change)."""
    now = svc.now()
    for days, avail, total in ((4, 40.0, 62.7), (3, 52.5, 62.7), (2, 30.1, 62.7), (1, 101.0, 125.7)):
        changed = system.model_copy(update={"available_ram_gb": avail, "total_ram_gb": total})
        at = now - timedelta(days=days)
        svc.store.put_report(sample_report(node, system=changed, collected_at=at), received_at=at)


@pytest.fixture(scope="module")
def dashboard_server() -> Iterator[DashboardServer]:
    db = Path(tempfile.mkdtemp(prefix="fleetfit-dash-")) / "fleet.db"
    srv = make_server("127.0.0.1", 0, db_path=str(db), token=TOKEN)
    svc = services_mod.current()
    now = svc.now()
    _history(svc, HISTORY_NODE, rtx4090_workstation())
    for node, make, hours in FLEET:
        at = now - timedelta(hours=hours)
        svc.store.put_report(sample_report(node, system=make(), collected_at=at), received_at=at)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield DashboardServer(f"http://127.0.0.1:{srv.server_address[1]}", srv, svc)
    srv.shutdown()
    srv.server_close()
    services_mod.configure(None)
    shutil.rmtree(db.parent, ignore_errors=True)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("FLEETFIT_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _skip_loudly(reason: str) -> None:
    banner = f"\n{'!' * 100}\nBROWSER TESTS SKIPPED: {reason}\nrun scripts/install-test-browser.sh (root: apt-get install chromium)\n{'!' * 100}\n"
    sys.stderr.write(banner)
    sys.__stderr__.write(banner)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_loudly("the python package 'playwright' is not installed (it is in the dev extra)")
    path = chromium_path()
    if path is None:
        _skip_loudly("no chromium binary (looked for " + ", ".join(CHROMIUM_CANDIDATES) + ")")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=path, headless=True, args=["--headless", "--no-sandbox"])
    except Exception as exc:  # noqa: BLE001 - any launch failure means: no usable browser here
        manager.stop()
        _skip_loudly(f"chromium at {path} did not start: {str(exc).splitlines()[0][:300]}")
    yield launched
    launched.close()
    manager.stop()


def login(context: Any, base: str, token: str = TOKEN) -> Any:
    """Log in through the form, as a person would; returns the page, on the dashboard."""
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_url(base + "/login")
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    page.wait_for_url(base + "/")
    return page


@pytest.fixture
def page(browser: Any, dashboard_server: DashboardServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    yield login(context, dashboard_server.url)
    context.close()

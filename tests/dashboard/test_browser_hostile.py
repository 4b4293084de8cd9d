"""What a node reports is shown as text, never run as markup: a hostile hostname, CPU or GPU name (the
contract allows '<' in them) reaches every view without adding an element or running a script."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fleetfit.contract import System
from fleetfit.store.samples import rtx4090_workstation, sample_report

from tests.dashboard.conftest import DashboardServer

HOSTILE = '<img src=x id=pwned onerror="window.pwned=1">'
NODE = "hostile-1"


@pytest.fixture(scope="module", autouse=True)
def hostile_node(dashboard_server: DashboardServer) -> None:
    doc = rtx4090_workstation().model_dump(mode="json")
    doc["cpu_name"] = HOSTILE
    doc["gpu_name"] = HOSTILE
    doc["gpus"][0]["name"] = HOSTILE
    system = System.model_validate(doc)
    svc = dashboard_server.svc
    at = svc.now() - timedelta(minutes=5)
    svc.store.put_report(sample_report(NODE, system=system, collected_at=at, hostname=HOSTILE), received_at=at)


def _clean(page: Any) -> None:
    assert page.locator("#pwned").count() == 0
    assert page.evaluate("() => window.pwned === undefined")


def test_hostile_names_are_text_in_every_view(page: Any, dashboard_server: DashboardServer) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for view, ready in (
        ("#/matrix", "#matrix"),
        ("#/nodes", "#nodes"),
        (f"#/node/{NODE}", "#node-system"),
        ("#/summary", "#gpu-inventory"),
        ("#/which/Qwen%2FQwen3-8B", "#which-nodes"),
    ):
        page.goto(dashboard_server.url + "/" + view)
        page.wait_for_selector(ready)
        page.wait_for_timeout(200)  # an onerror would have fired by now
        _clean(page)
        assert HOSTILE in page.inner_text("#view"), view  # shown, as the text it is
    page.goto(dashboard_server.url + "/#/matrix")
    page.select_option("#matrix-rows", "node")
    page.click("#matrix-form button[type=submit]")
    page.wait_for_selector("#matrix tbody tr >> text=hostile-1")
    _clean(page)
    assert dialogs == []

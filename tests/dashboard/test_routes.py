"""The dashboard's API routes and page over real HTTP (no browser): what they answer, what they refuse."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from fleetfit.engine.fleetwide import fit_model, profile_of

from tests.dashboard.conftest import TOKEN, DashboardServer


def get(server: DashboardServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    ctype = resp.getheader("Content-Type") or ""
    return resp.status, dict(resp.getheaders()), json.loads(raw) if "json" in ctype and raw else raw


def test_matrix_cells_are_the_engines_fits(dashboard_server: DashboardServer) -> None:
    status, _, body = get(dashboard_server, "/api/v1/fleet/matrix?top=8")
    assert status == 200
    catalog = dashboard_server.svc.catalogs.current()
    systems = {c.hw_class: c.system for c in dashboard_server.classes()}
    assert [c["hw_class"] for c in body["classes"]] == sorted(systems)
    assert len(body["models"]) == 8 and len(body["cells"]) == len(systems)
    for cls, row in zip(body["classes"], body["cells"], strict=True):
        assert cls["example_node"] is not None and cls["nodes"] >= 1
        for model, cell in zip(body["models"], row, strict=True):
            fit = fit_model(profile_of(catalog, model["name"]), systems[cls["hw_class"]], catalog)
            assert cell == {
                "fit": fit.fit_level,
                "tps": round(fit.estimated_tps, 1),
                "quant": fit.placement.quant,
                "mode": fit.placement.mode,
            }


def test_the_default_columns_are_what_leads_the_fleet(dashboard_server: DashboardServer) -> None:
    _, _, summary = get(dashboard_server, "/api/v1/fleet/summary")
    _, _, body = get(dashboard_server, "/api/v1/fleet/matrix?top=5")
    leaders = [m["name"] for m in summary["best_models"]][:5]
    assert [m["name"] for m in body["models"]] == leaders


def test_matrix_cells_stay_lean(dashboard_server: DashboardServer) -> None:
    _, _, body = get(dashboard_server, "/api/v1/fleet/matrix?top=50")
    cells = sum(len(r) for r in body["cells"])
    assert cells == 50 * len(body["classes"])
    per_cell = len(json.dumps(body["cells"])) / cells
    assert per_cell < 70, per_cell  # no notes, no why: fetched on click
    assert "notes" not in json.dumps(body)


def test_use_case_search_and_node_rows(dashboard_server: DashboardServer) -> None:
    _, _, coding = get(dashboard_server, "/api/v1/fleet/matrix?use_case=coding&top=6")
    assert len(coding["models"]) == 6 and {m["use_case"] for m in coding["models"]} == {"Coding"}
    assert coding["selection"]["use_case"] == "coding"
    _, _, found = get(dashboard_server, "/api/v1/fleet/matrix?search=qwen3-8b&top=3")
    assert found["models"][0]["name"] == "Qwen/Qwen3-8B" and all(
        "qwen3-8b" in m["name"].lower() for m in found["models"]
    )
    _, _, none = get(dashboard_server, "/api/v1/fleet/matrix?search=zzqqxx-nothing")
    assert none["models"] == [] and all(r == [] for r in none["cells"])
    _, _, nodes = get(dashboard_server, "/api/v1/fleet/matrix?rows=node&top=2&limit=3")
    assert len(nodes["nodes"]) == 3 and nodes["next_token"]
    page2 = get(dashboard_server, f"/api/v1/fleet/matrix?rows=node&top=2&limit=3&next_token={nodes['next_token']}")[2]
    assert {n["node_id"] for n in page2["nodes"]}.isdisjoint(n["node_id"] for n in nodes["nodes"])
    for node in nodes["nodes"]:
        assert nodes["classes"][node["class_index"]]["hw_class"]


def test_catalog_autocomplete(dashboard_server: DashboardServer) -> None:
    status, _, body = get(dashboard_server, "/api/v1/catalog/models?q=Qwen3-8&limit=5")
    assert status == 200 and len(body["models"]) == 5 and body["total"] >= 5
    assert body["models"][0]["name"] == "Qwen/Qwen3-8B"
    assert all("qwen3-8" in m["name"].lower() for m in body["models"])
    assert get(dashboard_server, "/api/v1/catalog/models?q=zzqqxx-nothing")[2]["models"] == []


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("top=0", "top"),
        ("top=51", "top"),
        ("top=abc", "top"),
        ("rows=grid", "rows"),
        ("use_case=cooking", "use_case"),
        ("next_token=abc", "next_token"),
        ("rows=node&next_token=%21%21", "next_token"),
        ("search=", "search"),
        ("search=%20%20", "search"),
        ("limit=0&rows=node", "limit"),
        ("limit=5", "limit"),  # limit pages nodes: with class rows it could not be honoured
        ("top=3&top=4", "top"),
    ],
)
def test_bad_matrix_values_are_400s_naming_the_parameter(
    dashboard_server: DashboardServer, query: str, names: str
) -> None:
    status, headers, body = get(dashboard_server, f"/api/v1/fleet/matrix?{query}")
    assert status == 400, body
    assert names in body["error"] and headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("query", ["", "q=", "q=" + "x" * 65, "q=qwen&limit=0", "q=qwen&limit=51", "q=%20"])
def test_bad_catalog_lookups_are_400s(dashboard_server: DashboardServer, query: str) -> None:
    status, _, body = get(dashboard_server, f"/api/v1/catalog/models?{query}")
    assert status == 400 and ("q" in body["error"] or "limit" in body["error"])


def test_the_page_and_its_files(dashboard_server: DashboardServer) -> None:
    status, headers, body = get(dashboard_server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"/dashboard/app.js" in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name, ctype in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, _ = get(dashboard_server, f"/dashboard/{name}")
        assert status == 200 and headers["Content-Type"].startswith(ctype)
    for missing in (
        "/dashboard/nope.js",
        "/dashboard/..%2F__init__.py",
        "/dashboard/index.html",
        "/dashboard/login.html",
    ):
        status, headers, body = get(dashboard_server, missing)
        assert status == 404 and "error" in body


def test_the_page_and_the_api_need_a_login(dashboard_server: DashboardServer) -> None:
    parts = urlsplit(dashboard_server.url)
    for path, expected in (("/", 303), ("/dashboard/app.js", 303), ("/api/v1/fleet/matrix", 401)):
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status == expected, path
        if expected == 303:
            assert resp.getheader("Location") == "/login"

"""The dashboard as a person uses it: real chromium (Playwright) against `fleetfit serve` on loopback."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fleetfit.engine.fleetwide import fit_model, profile_of

from tests.dashboard.conftest import HISTORY_NODE, TOKEN, DashboardServer, login

# The colours style.css gives each fit level (a cell's computed background must be its level's).
FIT_COLOURS = {
    "perfect": "rgb(46, 157, 91)",
    "good": "rgb(140, 194, 101)",
    "marginal": "rgb(240, 194, 75)",
    "too_tight": "rgb(217, 83, 79)",
}


def _matrix(page: Any, **controls: str) -> Any:
    page.goto(page.url.split("#")[0] + "#/matrix")
    page.wait_for_selector("#matrix-form")
    for name, value in controls.items():
        selector = f"#matrix-{name.replace('_', '-')}"
        if name in ("use_case", "rows"):
            page.select_option(selector, value)
        else:
            page.fill(selector, value)

    def asked(response: Any) -> bool:
        if "/api/v1/fleet/matrix" not in response.url:
            return False
        query = dict(parse_qsl(urlsplit(response.url).query))
        return all(query.get(k) == v for k, v in controls.items())

    with page.expect_response(asked) as answer:
        page.click("#matrix-form button[type=submit]")
    page.wait_for_selector("#matrix, [data-empty]")
    return answer.value.json()


def test_the_matrix_colours_every_cell_by_the_engines_fit(page: Any, dashboard_server: DashboardServer) -> None:
    data = _matrix(page, search="Qwen3-8B", top="6")
    catalog = dashboard_server.svc.catalogs.current()
    classes = {c.hw_class: c for c in dashboard_server.classes()}
    rows = page.query_selector_all("#matrix tbody tr")
    assert len(rows) == len(classes) == 5
    levels = set()
    for row in rows:
        cls = classes[row.get_attribute("data-class")]
        cells = row.query_selector_all("td.cell")
        assert len(cells) == len(data["models"]) == 6
        for cell in cells:
            name = cell.get_attribute("data-model")
            expected = fit_model(profile_of(catalog, name), cls.system, catalog).fit_level
            assert cell.get_attribute("data-fit") == expected, (cls.system.gpu_name, name)
            colour = cell.evaluate("c => getComputedStyle(c).backgroundColor")
            assert colour == FIT_COLOURS[expected], (name, expected, colour)
            levels.add(expected)
    assert "perfect" in levels  # an 8B on an 8x H100 node


def test_known_fits_show_their_colours(page: Any) -> None:
    """Fixed anchors, independent of the engine call above: an 8x H100 node runs Qwen3-8B perfectly; a
    31 GB CPU box cannot hold DeepSeek-V3 (671 B)."""
    _matrix(page, search="DeepSeek-V3", top="3")
    cpu_row = page.locator("#matrix tbody tr", has_text="CPU only")
    cell = cpu_row.locator('td.cell[data-model="deepseek-ai/DeepSeek-V3"]')
    assert cell.get_attribute("data-fit") == "too_tight"
    assert cell.evaluate("c => getComputedStyle(c).backgroundColor") == FIT_COLOURS["too_tight"]
    _matrix(page, search="Qwen/Qwen3-8B", top="1")
    h100 = page.locator("#matrix tbody tr", has_text="H100").locator("td.cell").first
    assert h100.get_attribute("data-fit") == "perfect"
    assert h100.evaluate("c => getComputedStyle(c).backgroundColor") == FIT_COLOURS["perfect"]
    assert float(h100.inner_text()) > 20  # est. tok/s in the cell


def test_a_cell_opens_the_full_model_object_with_its_notes(page: Any) -> None:
    _matrix(page, search="Qwen/Qwen3-8B", top="1")
    with page.expect_response(lambda r: "/models/" in r.url and "/api/v1/nodes/" in r.url) as answer:
        page.locator("#matrix tbody td.cell").first.click()
    assert answer.value.status == 200
    details = page.locator("#model-details")
    details.wait_for()
    assert details.locator("h2").inner_text() == "Qwen/Qwen3-8B"
    shown = json.loads(details.locator("pre").inner_text())
    assert shown["name"] == "Qwen/Qwen3-8B" and "notes" in shown and "memory_breakdown" in shown
    assert details.locator("ul.notes li").count() == len(shown["notes"]) > 0
    page.click("#close-details")
    assert page.locator("#details").is_hidden()


def test_matrix_rows_can_be_nodes_and_use_case_narrows_the_columns(page: Any) -> None:
    data = _matrix(page, rows="node", use_case="coding", top="4")
    assert data["models"] and all(m["use_case"] == "Coding" for m in data["models"])
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == 7  # every node, the stale one flagged
    assert page.locator("#matrix tbody tr", has_text="cpu-box-old").locator(".badge.stale").count() == 1
    # A page at a time: three nodes, then "More nodes" reads the rest, the same columns.
    page.evaluate("() => { matrixState.nodePage = 3; }")
    _matrix(page, rows="node", top="4")
    assert rows.count() == 3
    for expected in (6, 7):
        with page.expect_response(lambda r: "next_token=" in r.url):
            page.click("#matrix-more")
        page.wait_for_function(f"() => document.querySelectorAll('#matrix tbody tr').length === {expected}")
    assert page.locator("#matrix-more").count() == 0
    ids = page.eval_on_selector_all("#matrix tbody tr td.rowhead a", "as => as.map(a => a.textContent)")
    assert len(set(ids)) == 7


def test_search_finds_a_model_with_autocomplete(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/which")
    with page.expect_response(lambda r: "/api/v1/catalog/models" in r.url):
        page.type("#which-model", "qwen3-8", delay=20)
    page.wait_for_function("() => document.querySelectorAll('#catalog-names option').length > 0")
    options = page.eval_on_selector_all("#catalog-names option", "os => os.map(o => o.value)")
    assert "Qwen/Qwen3-8B" in options
    page.fill("#which-model", "Qwen/Qwen3-8B")
    page.press("#which-model", "Enter")
    page.wait_for_selector("#which-nodes")
    speeds = [
        float(t)
        for t in page.eval_on_selector_all(
            "#which-nodes tbody tr td:nth-child(6)", "tds => tds.map(t => t.textContent)"
        )
    ]
    assert len(speeds) == 7 and speeds == sorted(speeds, reverse=True)  # fastest first


def test_placement_shows_the_plan_when_the_fleet_cannot_hold_it(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/which/" + "meta-llama%2FLlama-3.3-70B-Instruct")
    page.wait_for_selector("#place-form")
    page.fill("#which-replicas", "40")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/fleet/placement")) as answer:
        page.click("#place-form button[type=submit]")
    body = answer.value.json()
    assert answer.value.status == 200 and body["unplaced"] > 0
    page.wait_for_selector("#placement-result")
    assert "replicas placed" in page.inner_text("#placement-note")
    assert page.locator("#placement tbody tr").count() == len(body["placed"]) > 0
    assert page.locator("#plans li").count() == len(body["plans"]) > 0
    first = body["plans"][0]["plan"]
    shown = page.inner_text("#plans li >> nth=0")
    assert all(f"{g['count']}× {g['gpu']}" in shown for g in first["gpus_that_fit"]), shown
    assert all(f"add {u['add_gb']:.1f} GB" in shown for u in first["upgrades"]), shown


def test_an_unknown_model_shows_an_empty_state(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/which/no-such-org%2Fno-such-model-xyz")
    empty = page.locator("#which-result [data-empty]")
    empty.wait_for()
    assert "not in the catalog" in empty.inner_text()
    assert page.locator("#error").is_hidden()
    _matrix(page, search="qqqzzzxxx-no-model")
    assert "No catalog model matches" in page.inner_text("#matrix-holder [data-empty]")


def test_an_api_error_shows_a_message_not_a_blank_page(page: Any, dashboard_server: DashboardServer) -> None:
    page.route("**/api/v1/fleet/summary", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"error": "the fleet store is unavailable; retry in 5 s"}'))  # fmt: skip
    page.goto(dashboard_server.url + "/#/summary")
    error = page.locator("#error")
    error.wait_for()
    assert "503" in error.inner_text() and "fleet store is unavailable" in error.inner_text()
    assert "could not be loaded" in page.inner_text("#view")
    page.route(
        "**/api/v1/fleet/matrix*",
        lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>"),
    )
    page.goto(dashboard_server.url + "/#/matrix")
    page.wait_for_function("() => !document.querySelector('#error').hidden")
    assert "502" in page.inner_text("#error") and "not JSON" in page.inner_text("#error")


def test_the_summary_and_node_page(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/summary")
    page.wait_for_selector("#summary-cards")
    cards = page.inner_text("#summary-cards")
    assert re.search(r"Nodes\s+7\s+6 fresh, 1 stale", cards), cards
    assert "H100" in page.inner_text("#gpu-inventory")
    page.goto(dashboard_server.url + f"/#/node/{HISTORY_NODE}")
    page.wait_for_selector("#history-chart")
    assert "RTX 4090" in page.inner_text("#node-system")
    assert page.locator("#history-chart polyline").count() == 1
    assert page.locator("#history-chart circle").count() == 5
    assert page.locator("#history-chart line.change").count() == 2  # 64 -> 128 GB and back
    assert page.locator("#node-top tbody tr").count() == 10


def test_login_cookie_flags_and_no_token_in_any_url(browser: Any, dashboard_server: DashboardServer) -> None:
    context = browser.new_context()
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    page = login(context, dashboard_server.url)
    page.wait_for_selector("#matrix, [data-empty]")
    (cookie,) = [c for c in context.cookies() if c["name"] == "fleetfit_session"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["secure"] is False
    assert cookie["value"] != TOKEN and TOKEN not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
    assert urls and not [u for u in urls if TOKEN in u]
    assert page.locator("#logout").is_visible()
    context.close()


def test_a_wrong_token_is_refused_and_logout_ends_the_session(browser: Any, dashboard_server: DashboardServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(dashboard_server.url + "/login")
    page.fill("#token", "not-the-token-0123456789")
    page.click("#login button[type=submit]")
    assert "not this server's" in page.inner_text("[role=alert]")
    assert not context.cookies()
    page = login(context, dashboard_server.url)
    sid = next(c["value"] for c in context.cookies() if c["name"] == "fleetfit_session")
    page.click("#logout button")
    page.wait_for_url(dashboard_server.url + "/login")
    assert not [c for c in context.cookies() if c["name"] == "fleetfit_session"]
    # The old session id is dead on the server too, not only forgotten by the browser.
    replay = context.request.get(
        dashboard_server.url + "/api/v1/fleet/summary", headers={"Cookie": f"fleetfit_session={sid}"}
    )
    assert replay.status == 401
    page.goto(dashboard_server.url + "/")
    page.wait_for_url(dashboard_server.url + "/login")
    context.close()


def _slide(page: Any, selector: str, value: int) -> Any:
    """Move a range input as a drag does: set its value, fire `input`; returns the API answer it caused."""
    with page.expect_response(lambda r: "/models/top" in r.url and "_gb=" in r.url) as answer:
        page.eval_on_selector(selector, f"(s) => {{ s.value = '{value}'; s.dispatchEvent(new Event('input')); }}")
    response = answer.value
    assert response.status == 200, response.text()
    page.wait_for_function("() => !!document.querySelector('#node-top-holder').dataset.whatif")
    return response


def _rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("#node-top tr.model-row", "rs => rs.map(r => r.dataset.model)")


def test_what_if_sliders_change_the_rows(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/node/cpu-box-1")
    page.wait_for_selector("#whatif-ram")
    before = _rows(page)
    response = _slide(page, "#whatif-ram", 512)
    query = dict(parse_qsl(urlsplit(response.url).query))
    assert query["ram_gb"] == "512" and "vram_gb" not in query  # the VRAM slider was not moved
    assert response.json()["system"]["total_ram_gb"] == 512
    page.wait_for_function(
        f"() => JSON.stringify([...document.querySelectorAll('#node-top tr.model-row')].map(r => r.dataset.model)) !== {json.dumps(json.dumps(before))}"
    )
    after = _rows(page)
    assert len(after) == 10 and after != before
    assert page.inner_text("#whatif-ram-value") == "512 GB"
    # A 4090 node given an 80 GB card: bigger models move in.
    page.goto(dashboard_server.url + "/#/node/ws-4090-b")
    page.wait_for_selector("#whatif-vram")
    before = _rows(page)
    response = _slide(page, "#whatif-vram", 80)
    assert dict(parse_qsl(urlsplit(response.url).query))["vram_gb"] == "80"
    assert response.json()["system"]["gpus"][0]["vram_gb"] == 80
    page.wait_for_function(
        f"() => JSON.stringify([...document.querySelectorAll('#node-top tr.model-row')].map(r => r.dataset.model)) !== {json.dumps(json.dumps(before))}"
    )
    assert _rows(page) != before
    page.click("#whatif-reset")
    page.wait_for_function("() => !document.querySelector('#node-top-holder').dataset.whatif")
    assert _rows(page) == before


def test_the_vram_slider_is_off_on_unified_memory(page: Any, dashboard_server: DashboardServer) -> None:
    page.goto(dashboard_server.url + "/#/node/mac-m3")
    page.wait_for_selector("#whatif-vram")
    assert page.locator("#whatif-vram").is_disabled()
    assert "unified" in page.inner_text("#whatif-vram-value")

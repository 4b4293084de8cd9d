"""Differential test: llmfit 1.1.17's recorded answers (tests/data/llmfit, made by record.py against
`llmfit --ram 64G --cpu-cores 16 serve`) replayed against `fleetfit serve --this-machine` over real HTTP.
Checked: status codes, every key llmfit writes (envelope, system, filters, Model object, plan), the echo of
every parameter given, and the ordering semantics (the field each sort orders by, in llmfit's direction;
too-tight rows last), limit and min_fit. The machines differ, so values are not compared; semantics are."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fleetfit.api.engine_port import EnginePort
from fleetfit.dropin import this_machine_report
from fleetfit.server import FleetfitHTTPServer

from .support import local_server

DATA = Path(__file__).parents[1] / "data" / "llmfit"
REQUESTS = json.loads((DATA / "requests.json").read_text())["requests"]
RECORDED = json.loads((DATA / "llmfit-1.1.17.json").read_text())["answers"]
FIT_ORDER = {"too_tight": 0, "marginal": 1, "good": 2, "perfect": 3}
# Where fleetfit answers differently on purpose (each reason is the documented behaviour):
STATUS_DIVERGES = {
    "err-trailing-slash": "'/api/v1/models/' is routed as /api/v1/models (API Gateway drops the slash)",
    "err-method": "a method a path does not take is a 404 naming the method and path (no 405 route table)",
    "download-no-model": "fleetfit does not download models: POST /api/v1/download is no route (404)",
}
# Sorts that order by more than one field: ctx orders by usable context, then the native window.
SORT_FIELDS = {"ctx": ("usable_context", "context_length")}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, engine: EnginePort) -> Iterator[dict[str, tuple[int, Any]]]:
    db = str(tmp_path_factory.mktemp("dropin") / "fleet.db")
    with local_server(engine, db, this_machine=this_machine_report(discover_runtimes=list)) as srv:
        yield {r["id"]: _send(srv, r) for r in REQUESTS}


def _send(server: FleetfitHTTPServer, request: dict[str, Any]) -> tuple[int, Any]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=120)
    path = request["path"] + ("?" + urlencode(request["query"]) if request.get("query") else "")
    body = json.dumps(request["body"]).encode() if "body" in request else None
    conn.request(request["method"], path, body=body, headers={"Content-Type": "application/json"} if body else {})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, raw.decode("utf-8", "replace")


def missing_keys(theirs: Any, ours: Any, at: str = "") -> list[str]:
    """llmfit's keys (recursively, first element of lists of objects) that fleetfit's answer lacks."""
    out: list[str] = []
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key, value in theirs.items():
            if key in ("model_keys", "models"):
                continue
            if key not in ours:
                out.append(at + key)
            elif ours[key] is not None:
                out += missing_keys(value, ours[key], f"{at}{key}.")
    elif isinstance(theirs, list) and isinstance(ours, list) and theirs and ours and isinstance(theirs[0], dict):
        out += missing_keys(theirs[0], ours[0], at + "[].")
    return out


def _order_key(value: Any) -> Any:
    return (value is None, value)


def _direction(values: list[Any]) -> str | None:
    present = [v for v in values if v is not None]
    if present == sorted(present, reverse=True) and present != sorted(present):
        return "desc"
    if present == sorted(present) and present != sorted(present, reverse=True):
        return "asc"
    return "flat" if len(set(map(str, present))) <= 1 else None


@pytest.mark.parametrize("request_spec", REQUESTS, ids=[r["id"] for r in REQUESTS])
def test_status_codes(answers: dict[str, tuple[int, Any]], request_spec: dict[str, Any]) -> None:
    ident = request_spec["id"]
    status, body = answers[ident]
    if ident in STATUS_DIVERGES:
        assert status != RECORDED[ident]["status"], f"{ident} now matches llmfit: drop it from STATUS_DIVERGES"
        assert status < 500
        return
    assert status == RECORDED[ident]["status"], (ident, body)
    if status >= 400 and "names" in request_spec:  # a refusal names the parameter at fault
        assert request_spec["names"] in json.dumps(body), body


@pytest.mark.parametrize("ident", [r["id"] for r in REQUESTS if RECORDED[r["id"]]["status"] == 200])
def test_every_llmfit_key_is_present(answers: dict[str, tuple[int, Any]], ident: str) -> None:
    theirs = RECORDED[ident]["body"]
    _, ours = answers[ident]
    assert missing_keys(theirs, ours) == []
    if isinstance(theirs, dict) and "model_keys" in theirs:
        wanted = set(theirs["model_keys"])
        assert ours["models"] or not theirs["models"], ident
        for row in ours["models"]:
            assert wanted <= set(row), wanted - set(row)


@pytest.mark.parametrize("spec", [r for r in REQUESTS if r.get("query") and RECORDED[r["id"]]["status"] == 200],
                         ids=lambda r: r["id"])  # fmt: skip
def test_every_given_parameter_is_echoed_as_llmfit_echoes_it(answers: dict[str, tuple[int, Any]], spec: Any) -> None:
    theirs = RECORDED[spec["id"]]["body"].get("filters")
    if theirs is None:  # /api/v1/system echoes its overrides in the System itself
        return
    ours = answers[spec["id"]][1]["filters"]
    for key in spec["query"]:
        if key in theirs:
            assert ours[key] == theirs[key], (key, ours[key], theirs[key])
    assert ours["top_only"] == theirs["top_only"]


@pytest.mark.parametrize("spec", [r for r in REQUESTS if "order" in r], ids=lambda r: r["id"])
def test_sorts_order_by_llmfit_field_and_direction(answers: dict[str, tuple[int, Any]], spec: Any) -> None:
    theirs = RECORDED[spec["id"]]["body"]["models"]
    ours = answers[spec["id"]][1]["models"]
    assert len(ours) == len(theirs) == 20
    sort = spec["query"]["sort"].lower()
    for field in SORT_FIELDS.get(sort, (spec["order"],)):
        direction = _direction([r[field] for r in theirs if r["fit_level"] != "too_tight"])
        if direction in ("asc", "desc"):
            break
    assert direction in ("asc", "desc", "flat"), f"llmfit's rows are not ordered by {field}"
    runs = [r[field] for r in ours if r["fit_level"] != "too_tight"]
    keyed = [_order_key(v) for v in runs]
    if direction == "desc":
        present = [v for v in runs if v is not None]
        assert present == sorted(present, reverse=True) and runs[: len(present)] == present, (field, runs)
    elif direction == "asc":
        assert keyed == sorted(keyed), (field, runs)
    levels = [r["fit_level"] == "too_tight" for r in ours]
    assert levels == sorted(levels)  # too-tight rows last


@pytest.mark.parametrize("spec", REQUESTS, ids=[r["id"] for r in REQUESTS])
def test_limit_min_fit_and_filters_hold(answers: dict[str, tuple[int, Any]], spec: Any) -> None:
    status, body = answers[spec["id"]]
    if (
        spec["id"] in STATUS_DIVERGES
        or status != 200
        or not isinstance(body, dict)
        or "models" not in body
        or "total_models" not in body
    ):
        return
    query = spec.get("query", {})
    default = 5 if spec["path"].endswith("/top") else 20 if spec["path"].count("/") == 4 else None
    limit = int(query.get("limit", query.get("n", default if default is not None else 10**9)))
    assert body["returned_models"] == len(body["models"]) == min(limit, body["total_models"])
    floor = spec.get("min_fit")
    if floor is not None:
        assert all(FIT_ORDER[r["fit_level"]] >= FIT_ORDER[floor] for r in body["models"])
    if not query.get("include_too_tight") and "name" not in spec["id"]:
        assert all(r["fit_level"] != "too_tight" for r in body["models"])
    if "field" in spec:
        key, value = spec["field"]
        assert body["models"] and all(r[key] == value for r in body["models"]), key


def test_the_recording_is_the_one_requests_json_describes() -> None:
    assert set(RECORDED) == {r["id"] for r in REQUESTS}
    assert RECORDED["err-ram"]["status"] == 400 and RECORDED["models"]["body"]["model_keys"]

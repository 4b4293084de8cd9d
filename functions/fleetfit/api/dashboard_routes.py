"""The dashboard's routes on the API's resolver: its static page and assets, the fleet matrix, and the
catalog look-up behind its autocomplete. Same auth, models, OpenAPI and 400s as every other route."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from fleetfit.api.app import ApiError, _doc, _fleet, _query, _svc, app, error_response
from fleetfit.api.models import CatalogMatches, FleetMatrix
from fleetfit.dashboard import SECURITY_HEADERS, asset

_PAGE_TYPES = ("text/html; charset=utf-8",)
_ASSET_TYPES = ("text/javascript; charset=utf-8", "text/css; charset=utf-8", "image/svg+xml")


def _content_doc(description: str, types: tuple[str, ...]) -> dict[int, dict[str, object]]:
    return {
        200: {"description": description, "content": {t.split(";")[0]: {"schema": {"type": "string"}} for t in types}}
    }


def _file(name: str) -> Response:
    found = asset(name)
    if found is None:
        return error_response(404, f"no dashboard file {name[:100]!r}")
    body, ctype = found
    # compress=True: gzip when the client accepts it (the page is about a third of its raw size gzipped).
    return Response(
        status_code=200, content_type=ctype, body=body.decode("utf-8"), headers=dict(SECURITY_HEADERS), compress=True
    )


@app.get("/", summary="The dashboard (static page; it reads only this API)",
         responses=_content_doc("The dashboard page", _PAGE_TYPES))  # fmt: skip
def dashboard_page():  # no return annotation: Powertools would validate it as a model
    return _file("index.html")


@app.get("/dashboard/<asset_name>", summary="The dashboard's scripts and styles",
         responses=_content_doc("A dashboard file", _ASSET_TYPES))  # fmt: skip
def dashboard_asset(asset_name: str):  # no return annotation: Powertools would validate it as a model
    if asset_name in ("index.html", "login.html") or asset(asset_name) is None:
        return error_response(404, f"no dashboard file {asset_name[:100]!r}")
    return _file(asset_name)


ROWS = ("class", "node")


@app.get("/api/v1/fleet/matrix", summary="Hardware classes (or nodes) x models: fit, tok/s, quant per cell",
         description="The dashboard's fleet matrix. Columns: the `top` models that lead the most fresh nodes "
         "(default 12, 1-50), only those of `use_case`, or catalog models whose name contains `search`. Rows: "
         "every hardware class with nodes; rows=node adds a page of nodes (limit, next_token), each pointing at "
         "its class's row. Cells are short (fit, tok/s, quant, run mode); the full Model object with its notes "
         "is GET /api/v1/nodes/{example_node}/models/{name}.",
         responses=_doc(FleetMatrix, "The matrix", 400, 503))  # fmt: skip
def fleet_matrix(
    top: Annotated[int, Query(ge=1, le=50, description="how many models (columns)")] = 12,
    use_case: Annotated[
        str | None, Query(max_length=32, description="general|coding|reasoning|chat|multimodal|embedding")
    ] = None,
    search: Annotated[
        str | None, Query(min_length=1, max_length=64, description="models whose name contains it")
    ] = None,
    rows: Annotated[str | None, Query(max_length=8, description="class (default) or node")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="rows=node: nodes per page (default 200)")] = None,
    next_token: Annotated[str | None, Query(max_length=2048, description="rows=node: next page")] = None,
):  # no return annotation: Powertools would validate it as a model
    from fleetfit.fleet.matrix import matrix

    svc = _svc()
    chosen = (rows or "class").strip().lower()
    if chosen not in ROWS:
        raise ApiError(400, "invalid rows value: use class|node")
    if chosen != "node" and (next_token is not None or limit is not None):
        raise ApiError(400, f"{'next_token' if next_token is not None else 'limit'} pages nodes: it needs rows=node")
    category = _query(svc, {"use_case": use_case}, "models").use_case if use_case is not None else None
    if search is not None and not search.strip():
        raise ApiError(400, "invalid search value: give some text")
    answer = matrix(
        _fleet(svc), top=top, use_case=category, search=search, rows=chosen, limit=limit or 200, token=next_token
    )
    answer["selection"]["use_case"] = use_case.strip().lower() if use_case is not None else None
    return Response(status_code=200, content_type="application/json", compress=True,
                    body=FleetMatrix.model_validate(answer).model_dump_json())  # fmt: skip


@app.get("/api/v1/catalog/models", summary="Catalog models whose name contains q (the dashboard's autocomplete)",
         responses=_doc(CatalogMatches, "Matching names", 400))  # fmt: skip
def catalog_models(
    q: Annotated[str, Query(min_length=1, max_length=64, description="part of a model name, any case")],
    limit: Annotated[int, Query(ge=1, le=50, description="at most this many names")] = 10,
):  # no return annotation: Powertools would validate it as a model
    from fleetfit.fleet.matrix import catalog_search

    if not q.strip():
        raise ApiError(400, "invalid q value: give some text")
    found = catalog_search(_svc().catalogs.current(), q, limit)
    return Response(status_code=200, content_type="application/json",
                    body=CatalogMatches.model_validate(found).model_dump_json())  # fmt: skip

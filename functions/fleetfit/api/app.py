"""Every route of the fleetfit API, on one Powertools resolver (the Lambda and `fleetfit serve` share it).

Handlers stay thin: parse, authorise, call the store and the engine, answer. Errors are JSON
``{"error": ...}`` naming what was wrong: 400 bad query or path value, 403 not allowed, 404 unknown node
or route, 409 a report_id already stored with another body, 413 body too large, 415 not JSON, 422 invalid
body (or a value the store cannot hold), 503 store unavailable (with Retry-After).
"""

import json
from typing import Annotated, Any
from urllib.parse import quote, unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from fleetfit import __version__
from fleetfit.api import measured
from fleetfit.api.auth import Forbidden, Unauthenticated, caller_of, check_may_write, check_operator
from fleetfit.api.models import (
    CatalogInfo,
    ErrorBody,
    FleetCompare,
    FleetModelPage,
    FleetSummary,
    Health,
    HistoryEntry,
    HistoryPage,
    IngestAnswer,
    NodeDeleted,
    NodeDetail,
    NodePage,
    NodeRef,
    NodeSummary,
    PlacementAnswer,
    PlacementRequest,
    PlanAnswer,
    PlanRequest,
)
from fleetfit.api.services import Services, current
from fleetfit.api.telemetry import count, logger
from fleetfit.contract import Envelope, Node, Report, System
from fleetfit.store import BadPageToken, NodeRecord, ReportConflict, ReportRefused, StoredReport, StoreError

JSON = "application/json"
app = APIGatewayRestResolver(enable_validation=True, debug=False)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_response(status: int, message: str) -> Response:
    return Response(status_code=status, content_type=JSON, body=ErrorBody(error=message).model_dump_json())


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=model.model_dump_json(), headers=headers)


def _doc(model: type[BaseModel], description: str, *errors: int) -> dict[int, Any]:
    """OpenAPI ``responses`` for a route: its model plus the error bodies it can answer with."""
    out: dict[int, Any] = {200: {"description": description, "content": {JSON: {"model": model}}}}
    for status in errors:
        out[status] = {"description": _ERROR_DOCS[status], "content": {JSON: {"model": ErrorBody}}}
    return out


_ERROR_DOCS = {
    400: "A query or path value is invalid (the message names it)",
    403: "The caller may not do this",
    404: "Unknown node (or, on fleet routes, unknown model)",
    409: "This report_id is already stored for the node with a different body",
    413: "Body too large",
    422: "The body is invalid (the message names the field)",
    501: "This deployment's engine cannot answer fleet-wide questions",
    503: "The fleet store is unavailable; retry",
}

# -- errors ---------------------------------------------------------------------------------------------


@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, str(exc))


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    errors = exc.errors()
    parts, status = [], 422
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("query", "path"):
            status = 400
        parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return error_response(status, "; ".join(parts) + more)


@app.exception_handler(BadPageToken)
def _bad_token(exc: BadPageToken) -> Response:
    return error_response(400, f"invalid next_token: {exc}")


@app.exception_handler(Forbidden)
def _forbidden(exc: Forbidden) -> Response:
    return error_response(403, str(exc))


@app.exception_handler(Unauthenticated)
def _unauthenticated(exc: Unauthenticated) -> Response:
    return error_response(403, str(exc))


# A store that failed (throttled, unreachable) recovers in seconds: DynamoDB's on-demand tables adapt within
# minutes, and the probe's backoff spreads the retries; a client honouring Retry-After waits this long first.
STORE_RETRY_AFTER_S = 5


@app.exception_handler(ReportConflict)
def _conflict(exc: ReportConflict) -> Response:
    return error_response(409, str(exc))


@app.exception_handler(ReportRefused)
def _refused(exc: ReportRefused) -> Response:
    return error_response(422, str(exc))


@app.exception_handler(StoreError)
def _store_down(exc: StoreError) -> Response:
    logger.error("fleet store failure", reason=str(exc))
    response = error_response(503, f"the fleet store is unavailable; retry in {STORE_RETRY_AFTER_S} s")
    response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
    return response


@app.not_found
def _no_route(_: NotFoundError) -> Response:
    event = app.current_event
    return error_response(404, f"no route {event.http_method} {event.path[:200]}")


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error", error_type=type(exc).__name__)
    return error_response(500, "internal error")


# -- helpers --------------------------------------------------------------------------------------------


def _svc() -> Services:
    return current()


# Query parameters the engine reads as integers. Python's int() takes other scripts' digits ('²' passes
# str.isdigit, then fails) and refuses more than 4,300 digits: both are refused here, naming the parameter.
_INTEGER_PARAMS = ("limit", "top", "n", "max_context", "prompt_tokens")
_INTEGER_DIGITS = 12


def _params() -> dict[str, str]:
    params = dict(app.current_event.query_string_parameters or {})
    for name in _INTEGER_PARAMS:
        value = params.get(name)
        if value is not None and value != "" and not (value.isascii() and value.isdigit()):
            raise ApiError(400, f"invalid {name} value: expected a non-negative integer in ASCII digits")
        if value is not None and len(value) > _INTEGER_DIGITS:
            raise ApiError(400, f"invalid {name} value: more than {_INTEGER_DIGITS} digits")
    return params


def _node_id(raw: str | None) -> str | None:
    return None if raw is None else unquote(raw)


def _latest(svc: Services, node_id: str) -> StoredReport:
    stored = svc.store.latest(node_id)
    if stored is None:
        raise ApiError(404, f"node {node_id[:128]!r} not found: no report was ever stored for it")
    return stored


def _query(svc: Services, params: dict[str, str], route: str, name: str | None = None) -> Any:
    try:
        return svc.engine.query(params, route, name)
    except svc.engine.query_error as exc:
        raise ApiError(400, str(exc)) from exc
    except (ValueError, OverflowError) as exc:  # a value the parser did not foresee: still the caller's input
        raise ApiError(400, f"invalid query value: {str(exc)[:200]}") from exc


def _fit(svc: Services, system: System, query: Any, node: Node, *, as_class: bool = False) -> str:
    """The envelope as JSON text, straight from the engine when it can write it. `as_class`: a stored node
    is analysed as its hardware class (available RAM bucketed), so every node of a class shares one
    ranking and nodes of one class get one answer; the node's own System is what the envelope echoes."""
    catalog = svc.catalogs.current()
    try:
        system = _what_if_system(svc, system, query)
        evaluate_as = svc.engine.class_system(system) if as_class and svc.engine.class_system else None
        if svc.engine.envelope_json is not None:
            body = svc.engine.envelope_json(system, catalog, query, node, evaluate_as=evaluate_as)
        else:
            body = svc.engine.fit_envelope(system, catalog, query, node, evaluate_as=evaluate_as).model_dump_json()
    except svc.engine.query_error as exc:  # a combination only the analysis can reject
        raise ApiError(400, str(exc)) from exc
    count("FitsComputed")
    return body


def _what_if_system(svc: Services, system: System, query: Any) -> System:
    """The System a query analyses: the node's own, or a copy with its what-if hardware (ram_gb, vram_gb,
    cpu_cores) applied; the envelope then echoes the copy."""
    return svc.engine.what_if(system, query) if svc.engine.what_if is not None else system


def _has_what_if(query: Any) -> bool:
    return bool(getattr(query, "what_if", None))


def _envelope(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def _node_of(stored: StoredReport) -> Node:
    return Node(name=stored.report.node_id, os=stored.report.os or "unknown")


def _summary(svc: Services, rec: NodeRecord, system: System | None = None) -> dict[str, Any]:
    from fleetfit.fleet.service import gpu_groups

    age = (svc.now() - rec.collected_at).total_seconds()
    return {
        "node_id": rec.node_id,
        "hostname": rec.hostname,
        "os": rec.os,
        "last_seen": rec.collected_at,
        "received_at": rec.received_at,
        "stale": age > svc.settings.stale_after_hours * 3600,
        "backend": rec.backend,
        "gpu_name": rec.gpu_name,
        "gpu_count": rec.gpu_count,
        "gpu_vram_gb": rec.gpu_vram_gb,
        "gpus": gpu_groups(system),
        "hw_class": rec.hw_class,
        "report_id": rec.report_id,
        "probe_version": rec.probe_version,
    }


def _models(route: str, path_node: str | None, name: str | None) -> Response:
    svc = _svc()
    params = _params()
    node_id = _node_id(path_node)
    given = params.get("node")
    if node_id is None:
        if not given:
            raise ApiError(400, "node is required: pass node=ID, or use /api/v1/nodes/{node_id}/models")
        node_id = given
    elif given is not None and given != node_id:
        raise ApiError(400, f"node={given!r} contradicts the path's node {node_id!r}")
    calibration = _calibration_param(params.pop("calibration", None))
    query = _query(svc, params, route, name)
    stored = _latest(svc, node_id)
    if query == _query(svc, {}, "top"):  # the default top list: a known class answers from its digest
        body = _top_answer(svc, stored)
    else:
        body = _fit(svc, stored.report.system, query, _node_of(stored), as_class=True)
    by_tps = getattr(query, "sort", None) == "tps"
    if _has_what_if(query):  # hypothetical hardware: physics only (this node's speeds were measured on its own)
        calibration = False
    return _envelope(measured.annotate(svc, stored, body, calibration=calibration, by_tps=by_tps))


def _calibration_param(value: str | None) -> bool:
    """calibration=on (default: fleet measurements correct the speed estimate) or off (physics only)."""
    if value is None or value.lower() == "on":
        return True
    if value.lower() == "off":
        return False
    raise ApiError(400, "invalid calibration value: use on|off")


# -- routes: service ------------------------------------------------------------------------------------


@app.get("/health", summary="Liveness", responses=_doc(Health, "Alive"))
def health():  # no return annotation: Powertools would validate it as a model
    return _json(Health(status="ok", node=NodeRef(name="fleetfit-api", os="linux"), version=__version__))


_OPENAPI: dict[str, str] = {}


@app.get("/api/v1/openapi.json", summary="This API's OpenAPI document, generated from its models")
def openapi():  # no return annotation: Powertools would validate it as a model
    if "doc" not in _OPENAPI:
        _OPENAPI["doc"] = json.dumps(openapi_document())
    return Response(status_code=200, content_type=JSON, body=_OPENAPI["doc"])


def openapi_document() -> dict[str, Any]:
    """The document `GET /api/v1/openapi.json` serves (fleetfit.api.openapi completes the generated one)."""
    from fleetfit.api.openapi import document

    return document(
        app,
        title="fleetfit API",
        version=__version__,
        description="Which open LLMs each machine of a fleet can run. Every route is signed with "
        "SigV4 (AWS_IAM) on AWS, or takes a bearer token on `fleetfit serve`.",
    )


@app.get("/api/v1/catalog", summary="The catalog in use", responses=_doc(CatalogInfo, "Catalog"))
def catalog():  # no return annotation: Powertools would validate it as a model
    return _json(_svc().catalogs.info())


# -- routes: models (llmfit's query parameters and semantics; engine-owned) -------------------------------

_MODELS_DESC = (
    "The seed's envelope for the node's latest report. Query parameters as llmfit's API: limit (top, n), "
    "min_fit, perfect, include_too_tight, use_case, provider, search, sort, max_context, runtime, quant (any "
    "llama.cpp type or unsloth UD- file, any case), kv_quant (KV-cache type: f16, bf16, q8_0, q4_0, ...), "
    "prompt_tokens (prompt length of prefill_tps and ttft_ms, default 512), group (base: one row per variant "
    "group with a `variants` count, the default of /models/top; none: every catalog entry, the default of "
    "/models and of any search), license (comma list: any of the model's licenses, exact, any case), "
    "force_runtime (llamacpp|mlx: analyse with that runtime only; mlx needs Apple Silicon; vllm and bitnetcpp "
    "are refused), and the what-if hardware ram_gb (alias ram: total RAM, the node's free share kept), vram_gb "
    "(alias memory: per card of the primary GPU model; 0: no GPU; a node without one gains a 'User-specified "
    "GPU'), cpu_cores: the node's System is copied, changed and analysed (echoed in system and filters; "
    "physics only, no fleet calibration). A parameter given twice is a 400; unknown ones are ignored. "
    "calibration=off gives the physics estimate (measured_tps still shows what this node measured); default on: "
    "a speed this node measured, or its class's fleet correction, replaces it and estimate_basis.source says which."
)


@app.get("/api/v1/models", summary="All models for a node", description=_MODELS_DESC,
         responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def models():  # no return annotation: Powertools would validate it as a model
    return _models("models", None, None)


@app.get("/api/v1/models/top", summary="Best runnable models for a node (default 5)",
         description=_MODELS_DESC, responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def models_top():  # no return annotation: Powertools would validate it as a model
    return _models("top", None, None)


@app.get("/api/v1/models/<name>", summary="Models matching a name (default 20)",
         description=_MODELS_DESC + " Names with '/' work raw or %2F-encoded; no match gives 200 and [].",
         responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def models_named(name: str):  # no return annotation: Powertools would validate it as a model
    return _models("name", None, unquote(name))


@app.get("/api/v1/nodes/<node_id>/models", summary="All models for a node", description=_MODELS_DESC,
         responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def node_models(node_id: str):  # no return annotation: Powertools would validate it as a model
    return _models("models", node_id, None)


@app.get("/api/v1/nodes/<node_id>/models/top", summary="Best runnable models for a node",
         description=_MODELS_DESC, responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def node_models_top(node_id: str):  # no return annotation: Powertools would validate it as a model
    return _models("top", node_id, None)


@app.get("/api/v1/nodes/<node_id>/models/<name>", summary="Models matching a name, for a node",
         description=_MODELS_DESC, responses=_doc(Envelope, "Envelope", 400, 404))  # fmt: skip
def node_models_named(node_id: str, name: str):  # no return annotation: Powertools would validate it as a model
    return _models("name", node_id, unquote(name))


@app.post("/api/v1/fit", summary="What-if: the envelope for a System object; nothing is stored",
          description=_MODELS_DESC.replace("for the node's latest report", "for the System in the body"),
          responses=_doc(Envelope, "Envelope", 400, 413, 422))  # fmt: skip
def what_if(system: System):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    query = _query(svc, _params(), "models")
    return _envelope(_fit(svc, system, query, Node(name="what-if", os="unknown")))


@app.get("/api/v1/system", summary="A node's System object (llmfit's /api/v1/system)",
         description="ram_gb (alias ram), vram_gb (alias memory) and cpu_cores show the what-if System the model "
         "routes would analyse with the same values.")  # fmt: skip
def system(
    node: Annotated[str, Query(min_length=1, max_length=128)],
):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    params = _params()
    query = _query(svc, {k: v for k, v in params.items() if k in WHAT_IF_PARAMS}, "models")
    stored = _latest(svc, node)
    try:
        shown = _what_if_system(svc, stored.report.system, query)
    except svc.engine.query_error as exc:
        raise ApiError(400, str(exc)) from exc
    from fleetfit.engine.query import system_json

    body = {"node": _node_of(stored).model_dump(), "system": system_json(shown)}
    return Response(status_code=200, content_type=JSON, body=body)


# llmfit's /api/v1/system takes the hardware overrides of the model routes (and their aliases).
WHAT_IF_PARAMS = ("ram_gb", "ram", "vram_gb", "memory", "cpu_cores")


@app.get("/api/v1/runtimes", summary="Inference servers on a node (llmfit's /api/v1/runtimes), from its latest report")
def runtimes(
    node: Annotated[str, Query(min_length=1, max_length=128)],
):  # no return annotation: Powertools would validate it as a model
    return _json_body(measured.runtimes_body(_latest(_svc(), node)))


@app.get("/api/v1/nodes/<node_id>/runtimes", summary="Inference servers on a node, from its latest report")
def node_runtimes(node_id: str):  # no return annotation: Powertools would validate it as a model
    return _json_body(measured.runtimes_body(_latest(_svc(), unquote(node_id))))


@app.get(
    "/api/v1/installed", summary="Models a node's runtimes serve (llmfit's /api/v1/installed), matched to the catalog"
)
def installed(
    node: Annotated[str, Query(min_length=1, max_length=128)],
):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    return _json_body(measured.installed_body(svc, _latest(svc, node)))


@app.get("/api/v1/nodes/<node_id>/installed", summary="Models a node's runtimes serve, matched to the catalog")
def node_installed(node_id: str):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    return _json_body(measured.installed_body(svc, _latest(svc, unquote(node_id))))


_PLAN_DESC = (
    "llmfit's hardware plan for one model on a node: every path that runs it (gpu, moe_offload, cpu_offload, "
    "cpu_only) with the least hardware for it, found by running the engine (0.01 GiB less does not run it), "
    "the least for a good fit, and what this node would add. quant (default Q4_K_M, or the model's native "
    "MXFP4), kv_quant (fp16 = f16, q8_0, q4_0, ...; fp8 and tq are refused), target_tps, and the what-if "
    "ram_gb / vram_gb / cpu_cores of the model routes. An unknown model is a 400 naming it, as in llmfit."
)


def _plan(path_node: str | None, request: PlanRequest) -> Response:
    svc = _svc()
    params = _params()
    node_id = _node_id(path_node) or params.get("node")
    if not node_id:
        raise ApiError(400, "node is required: pass node=ID, or use /api/v1/nodes/{node_id}/plan")
    if path_node is not None and params.get("node") not in (None, node_id):
        raise ApiError(400, f"node={params.get('node')!r} contradicts the path's node {node_id!r}")
    if svc.engine.plan is None:
        raise ApiError(501, "this deployment's engine cannot plan")
    stored = _latest(svc, node_id)
    try:
        answer = svc.engine.plan(stored.report.system, svc.catalogs.current(), request.model_dump())
    except svc.engine.query_error as exc:
        raise ApiError(400, str(exc)) from exc
    node = _node_of(stored)
    return _json(PlanAnswer.model_validate({"node": {"name": node.name, "os": node.os}, **answer}))


@app.post("/api/v1/plan", summary="Hardware plan for one model on a node (llmfit's POST /api/v1/plan)",
          description=_PLAN_DESC, responses=_doc(PlanAnswer, "Plan", 400, 404, 422, 501))  # fmt: skip
def post_plan(request: PlanRequest):  # no return annotation: Powertools would validate it as a model
    return _plan(None, request)


@app.post("/api/v1/nodes/<node_id>/plan", summary="Hardware plan for one model on the node in the path",
          description=_PLAN_DESC, responses=_doc(PlanAnswer, "Plan", 400, 404, 422, 501))  # fmt: skip
def post_node_plan(node_id: str, request: PlanRequest):  # no return annotation: Powertools would validate it as a model
    return _plan(node_id, request)


def _json_body(data: dict[str, Any]) -> Response:
    return Response(status_code=200, content_type=JSON, body=json.dumps(data, default=_iso, separators=(",", ":")))


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


# -- routes: ingest -------------------------------------------------------------------------------------


def _ingest(report: Report, path_node: str | None) -> Response:
    svc = _svc()
    path_node_id = _node_id(path_node)
    if path_node_id is not None and path_node_id != report.node_id:
        raise ApiError(400, f"node_id {report.node_id!r} in the body differs from the path's {path_node_id!r}")
    check_may_write(
        caller_of(app.current_event.raw_event, svc.settings.auth_mode),
        report.node_id,
        path_node_id=path_node_id,
        node_role_ids=svc.settings.node_roles,
    )
    now = svc.now()
    skew = (report.collected_at - now).total_seconds()
    if skew > svc.settings.max_clock_skew_s:
        raise ApiError(422, f"collected_at is {skew:.0f} s in the future: check the node's clock")
    if -skew > svc.settings.history_days * 86400:
        raise ApiError(
            422,
            f"collected_at is {-skew / 86400:.0f} days old, older than the {svc.settings.history_days} days of "
            "history kept: check the node's clock",
        )
    result = svc.store.put_report(report, received_at=now)
    count("DuplicateReports" if result.outcome == "duplicate" else "ReportsIngested")
    if result.unchanged:
        count("UnchangedReports")
    logger.info("report stored", node_id=report.node_id, report_id=report.report_id, outcome=result.outcome)
    status = 200 if result.outcome == "duplicate" else 201
    headers = {"Location": f"/api/v1/nodes/{quote(report.node_id, safe='')}"}
    if _prefers_minimal():  # the probe on a timer: no envelope to rank or send back (RFC 7240)
        headers["Preference-Applied"] = "return=minimal"
        answer = IngestAnswer(node_id=report.node_id, report_id=report.report_id, outcome=result.outcome,
                              unchanged=result.unchanged)  # fmt: skip
        return _json(answer, status, headers=headers)
    return _envelope(_top_answer(svc, result.latest), status, headers=headers)


def _prefers_minimal() -> bool:
    prefer = app.current_event.headers.get("prefer") or app.current_event.headers.get("Prefer") or ""
    return any(part.strip().lower() == "return=minimal" for part in prefer.split(","))


_INGEST_DOC = {
    201: {
        "description": "Stored; the node's top models (with `Prefer: return=minimal`: what was stored)",
        "content": {
            JSON: {
                "schema": {
                    "anyOf": [{"$ref": "#/components/schemas/Envelope"}, {"$ref": "#/components/schemas/IngestAnswer"}]
                }
            }
        },
    },
    200: {
        "description": "This report_id was already stored (a retry)",
        "content": {
            JSON: {
                "schema": {
                    "anyOf": [{"$ref": "#/components/schemas/Envelope"}, {"$ref": "#/components/schemas/IngestAnswer"}]
                }
            }
        },
    },
    **{
        s: {"description": _ERROR_DOCS[s], "content": {JSON: {"model": ErrorBody}}}
        for s in (400, 403, 409, 413, 422, 503)
    },
}


@app.post("/api/v1/reports", summary="Ingest a probe report (node bound to the signed caller)",
          responses=_INGEST_DOC, status_code=201)  # fmt: skip
def post_report(report: Report):  # no return annotation: Powertools would validate it as a model
    return _ingest(report, None)


@app.post("/api/v1/nodes/<node_id>/reports", summary="Ingest a report for the node named in the path",
          responses=_INGEST_DOC, status_code=201)  # fmt: skip
def post_node_report(node_id: str, report: Report):  # no return annotation: Powertools would validate it as a model
    return _ingest(report, node_id)


# -- routes: nodes --------------------------------------------------------------------------------------

Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Token = Annotated[str | None, Query(max_length=2048, description="next_token of the previous page")]


@app.get("/api/v1/nodes", summary="Every node, by node id, paginated", responses=_doc(NodePage, "Nodes", 400))
def list_nodes(
    limit: Limit = 100, next_token: Token = None
):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    page = svc.store.list_nodes(limit=limit, token=next_token)
    # A node record keeps the primary GPU only; its class's System lists every card (one registry read).
    systems = {c.hw_class: c.system for c in svc.store.classes()} if page.items else {}
    nodes = [NodeSummary.model_validate(_summary(svc, n, systems.get(n.hw_class))) for n in page.items]
    return _json(NodePage(nodes=nodes, next_token=page.next_token))


@app.get("/api/v1/nodes/<node_id>", summary="A node and its latest report",
         responses=_doc(NodeDetail, "Node", 404))  # fmt: skip
def get_node(node_id: str):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    stored = _latest(svc, unquote(node_id))
    detail = {**_summary(svc, NodeRecord.of(stored), stored.report.system), "report": stored.report}
    return _json(NodeDetail.model_validate(detail))


@app.delete("/api/v1/nodes/<node_id>", summary="Retire a node (operators only): its reports and history go",
            description="Removes the node's latest report, its history and its report-id guards, and counts its "
            "hardware class one node fewer. A report the node sends later registers it again as a new node.",
            responses=_doc(NodeDeleted, "Deleted", 403, 404, 503))  # fmt: skip
def delete_node(node_id: str):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    node = unquote(node_id)
    check_operator(caller_of(app.current_event.raw_event, svc.settings.auth_mode), svc.settings.node_roles)
    stored = _latest(svc, node)
    if not svc.store.delete_node(node):
        raise ApiError(404, f"node {node[:128]!r} not found: no report was ever stored for it")
    count("NodesDeleted")
    logger.info("node deleted", node_id=node, hw_class=stored.hw_class)
    return _json(NodeDeleted(node_id=node, hw_class=stored.hw_class))


@app.get("/api/v1/nodes/<node_id>/history", summary="A node's reports, newest first, paginated",
         responses=_doc(HistoryPage, "History", 400, 404))  # fmt: skip
def node_history(
    node_id: str, limit: Limit = 100, next_token: Token = None
):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    node = unquote(node_id)
    page = svc.store.history(node, limit=limit, token=next_token)
    if not page.items and next_token is None and svc.store.latest(node) is None:
        raise ApiError(404, f"node {node[:128]!r} not found: no report was ever stored for it")
    entries = [HistoryEntry(received_at=s.received_at, hw_class=s.hw_class, report=s.report) for s in page.items]
    return _json(HistoryPage(node_id=node, reports=entries, next_token=page.next_token))


# -- routes: fleet-wide (fleetfit.fleet.service: classes first, then the nodes of those that qualify) --------

FLEET_SORTS = "tps|score|fit|headroom"


def _fleet(svc: Services) -> Any:
    from fleetfit.fleet.service import Fleet

    if svc.engine.fleet is None:
        raise ApiError(501, "fleet-wide answers need the fit engine, which this deployment does not load")
    return Fleet(
        store=svc.store,
        catalog=svc.catalogs.current(),
        engine=svc.engine.fleet,
        now=svc.now(),
        stale_after_hours=svc.settings.stale_after_hours,
        eval_budget_s=svc.settings.fleet_eval_budget_s,
    )


def _top_answer(svc: Services, stored: StoredReport) -> str:
    """The node's default top models (ingest's answer, /models/top). A class seen before, by this process or
    any other, answers from its digest (five models analysed); the first node of a class ranks the catalog
    once, and that ranking's digest serves every later node of the class."""
    query, node, system = _query(svc, {}, "top"), _node_of(stored), stored.report.system
    fleet_engine, class_system = svc.engine.fleet, svc.engine.class_system
    if fleet_engine is not None and class_system is not None and fleet_engine.top_envelope_json is not None:
        try:
            found = _fleet(svc).known_digest(stored.hw_class)
        except StoreError as exc:
            logger.warning("class digest not read", reason=str(exc))
            found = None
        if found is not None:
            catalog = svc.catalogs.current()
            count("FitsComputed")
            return str(fleet_engine.top_envelope_json(system, class_system(system), catalog, found, query, node))
    body = _fit(svc, system, query, node, as_class=True)
    _remember_class(svc, stored)
    return body


def _remember_class(svc: Services, stored: StoredReport) -> None:
    """After an ingest built the class's ranking: keep its digest for fleet answers (once per process)."""
    if svc.engine.fleet is None or svc.engine.class_system is None:
        return
    try:
        _fleet(svc).remember_class(stored.hw_class, svc.engine.class_system(stored.report.system))
    except StoreError as exc:  # the report is stored; the summary computes the digest when it needs it
        logger.warning("class digest not stored", reason=str(exc))


def _fleet_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from fleetfit.fleet.service import UnknownModel, UnknownNodes

    try:
        return fn(*args, **kwargs)
    except (UnknownModel, UnknownNodes) as exc:
        raise ApiError(404, str(exc)) from exc


def _listing(
    svc: Services,
    min_fit: str | None,
    quant: str | None,
    max_context: str | None,
    kv_quant: str | None = None,
    prompt_tokens: str | None = None,
    **rest: Any,
) -> Any:
    """Filters shared by fleet/models and placement: min_fit, quant, max_context, kv_quant and prompt_tokens as
    the listing routes parse them (same values, same messages)."""
    from fleetfit.fleet.service import Listing

    named = (
        ("min_fit", min_fit),
        ("quant", quant),
        ("max_context", max_context),
        ("kv_quant", kv_quant),
        ("prompt_tokens", prompt_tokens),
    )
    given = {k: v for k, v in named if v is not None}
    query = _query(svc, given, "models")
    return Listing(
        min_fit=query.min_fit if min_fit is not None else "marginal",
        quant=query.quant,
        max_context=query.max_context,
        kv_quant=query.kv_quant,
        prompt_tokens=query.prompt_tokens,
        **rest,
    )


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(400, f"invalid {name} value: use true|false")


Text = Annotated[str | None, Query(max_length=64)]


@app.get("/api/v1/fleet/models/<name>", summary="Every node that can run a model, fastest first, paginated",
         description="The model is evaluated once per hardware class; the nodes of the classes that qualify are "
         "listed by class (sort: tps, score, fit or headroom), then by node id; each node's tok/s is what it measured "
         "(speed_source measured), else its class's fleet correction (calibrated), else physics (estimated), and with "
         "sort=tps a page is ordered by those figures; calibration=off gives physics only. min_fit (default marginal), quant, "
         "max_context, kv_quant (KV-cache type, default f16) and prompt_tokens (the prompt prefill_tps and ttft_ms "
         "assume, default 512) as the model routes; backend (prefix, any case: 'cuda', 'cpu'), gpu (part of a card's name: "
         "'4090'); include_stale (default true: stale nodes are listed and flagged). Names with '/' work raw or "
         "%2F-encoded; an unknown model is a 404 with close names.",
         responses=_doc(FleetModelPage, "Nodes that run the model", 400, 404, 503))  # fmt: skip
def fleet_model(
    name: str,
    min_fit: Text = None,
    quant: Text = None,
    max_context: Text = None,
    kv_quant: Text = None,
    prompt_tokens: Text = None,
    backend: Text = None,
    gpu: Text = None,
    include_stale: Annotated[str | None, Query(max_length=8)] = None,
    sort: Text = None,
    limit: Limit = 100,
    next_token: Token = None,
    calibration: Annotated[str | None, Query(max_length=8)] = None,
):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    calibrated = _calibration_param(calibration)
    chosen = (sort or "tps").strip().lower()
    if chosen not in FLEET_SORTS.split("|"):
        raise ApiError(400, f"invalid sort value: use {FLEET_SORTS}")
    listing = _listing(
        svc,
        min_fit,
        quant,
        max_context,
        kv_quant,
        prompt_tokens,
        backend=backend or None,
        gpu=gpu or None,
        include_stale=_flag("include_stale", include_stale, True),
        sort=chosen,
    )
    fleet = _fleet(svc)
    answer = _fleet_call(fleet.which, unquote(name), listing, limit=limit, token=next_token)
    answer = measured.fleet_speeds(svc, answer, calibration=calibrated)
    return _json(FleetModelPage.model_validate(answer))


@app.get("/api/v1/fleet/compare", summary="Nodes side by side: their systems, and the fit of one model or their top N",
         description="nodes: 1 to 16 node ids, comma-separated. model: one catalog model; else limit (1-50, "
         "default 5): the union of each node's best models by score, each evaluated on every node. kv_quant "
         "(KV-cache type, default f16) and prompt_tokens (default 512) as the model routes: every fit shown uses them.",
         responses=_doc(FleetCompare, "Nodes side by side", 400, 404, 503))  # fmt: skip
def fleet_compare(
    nodes: Annotated[str, Query(min_length=1, max_length=4096, description="comma-separated node ids")],
    model: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="top models per node when no model is given")] = 5,
    kv_quant: Text = None,
    prompt_tokens: Text = None,
):  # no return annotation: Powertools would validate it as a model
    from fleetfit.fleet.service import MAX_COMPARE_NODES

    ids = [n.strip() for n in nodes.split(",") if n.strip()]
    if not 1 <= len(ids) <= MAX_COMPARE_NODES or any(len(n) > 256 for n in ids):
        raise ApiError(400, f"nodes: give 1 to {MAX_COMPARE_NODES} node ids, comma-separated")
    svc = _svc()
    options = _listing(svc, None, None, None, kv_quant, prompt_tokens)
    fleet = _fleet(svc)
    answer = _fleet_call(fleet.compare, ids, model=model, limit=limit, options=options)
    return _json(FleetCompare.model_validate(answer))


@app.get("/api/v1/fleet/summary", summary="The fleet at a glance",
         description="Nodes fresh and stale, GPU inventory by card model, nodes per backend, and how many catalog "
         "models at least one class with fresh nodes runs at each fit level, from each class's default ranking "
         "(f16 KV cache, 512-token prompt): kv_quant, prompt_tokens, quant and max_context are refused (400).",
         responses=_doc(FleetSummary, "Summary", 400, 503))  # fmt: skip
def fleet_summary():  # no return annotation: Powertools would validate it as a model
    given = app.current_event.query_string_parameters or {}
    for name in _SUMMARY_REFUSES:
        if name in given:
            # The counts come from each class's default ranking: a fit option here could not be honoured.
            raise ApiError(400, f"{name} is not taken by fleet/summary (it counts each class's default ranking);"
                           " ask fleet/models or fleet/compare with it")  # fmt: skip
    return _json(FleetSummary.model_validate(_fleet(_svc()).summary()))


_SUMMARY_REFUSES = ("kv_quant", "prompt_tokens", "quant", "max_context")


@app.post("/api/v1/fleet/placement", summary="Where should a model go: the best nodes for N replicas, each with why",
          description="Best fit first, then fastest; a node takes as many replicas as it has disjoint card sets "
          "that each hold one (8 on an 8x H100 node for a model one H100 holds), each listed with its cards; "
          "spread=true: at most one per node. Stale nodes only with include_stale. "
          "Replicas that find no node come with plans: for the classes closest to running the model, the smallest "
          "change that makes it fit (quant, memory to add, GPUs from the table that would host it). Each replica's "
          "tok/s is its node's measurement, else its class's fleet correction, else physics (speed_source); "
          "calibration=off: physics only.",
          responses=_doc(PlacementAnswer, "Placement", 400, 404, 422, 503))  # fmt: skip
def fleet_placement(request: PlacementRequest):  # no return annotation: Powertools would validate it as a model
    svc = _svc()
    listing = _listing(
        svc,
        request.min_fit,
        request.quant,
        None if request.max_context is None else str(request.max_context),
        request.kv_quant,
        None if request.prompt_tokens is None else str(request.prompt_tokens),
        backend=request.backend or None,
        gpu=request.gpu or None,
        include_stale=request.include_stale,
    )
    fleet = _fleet(svc)
    answer = _fleet_call(fleet.place, request.model, request.replicas, listing, spread=request.spread)
    answer = measured.fleet_speeds(svc, answer, calibration=request.calibration == "on", rows="placed")
    return _json(PlacementAnswer.model_validate(answer))


# The dashboard's page, matrix and autocomplete routes register on this resolver (fleetfit.api.dashboard_routes).
from fleetfit.api import dashboard_routes as _dashboard_routes  # noqa: E402,F401

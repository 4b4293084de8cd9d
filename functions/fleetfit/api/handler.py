"""The Lambda entry point (``fleetfit.api.handler.lambda_handler``) and the checks every request passes
before routing; `fleetfit serve` calls ``handle_event`` with the events it builds."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from aws_lambda_powertools.logging import correlation_paths

from fleetfit.api import digest_chain
from fleetfit.api.app import app
from fleetfit.api.auth import Unauthenticated, caller_of, require_identity
from fleetfit.api.heap import settle_heap
from fleetfit.api.models import ErrorBody
from fleetfit.api.services import current
from fleetfit.api.telemetry import annotate, logger, metrics, traced
from fleetfit.engine.query import rankings_built

_MODEL_PATH = re.compile(r"^(?P<prefix>/api/v1/(?:nodes/[^/]+/|fleet/)?models/)(?P<name>.+?)/*$")


def normalize_model_path(path: str) -> str:
    """Model names contain '/', raw or %2F-encoded: make the name one %-encoded segment for the router."""
    m = _MODEL_PATH.match(path)
    if m is None or m["name"] == "top":
        return path
    return m["prefix"] + quote(unquote(m["name"]), safe="")


def _reply(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": ErrorBody(error=message).model_dump_json(),
        "isBase64Encoded": False,
    }


def _precheck(event: dict[str, Any], max_body: int, auth_mode: str) -> dict[str, Any] | None:
    """An error reply for what must be refused before routing, else None."""
    try:
        require_identity(caller_of(event, auth_mode))
    except Unauthenticated as exc:
        return _reply(403, str(exc))
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if values and len(values) > 1:
            return _reply(400, f"query parameter {name[:64]!r} is given {len(values)} times; give it once")
    body = event.get("body")
    if str(event.get("httpMethod", "")).upper() in ("POST", "PUT", "PATCH") and body:
        size = len(body.encode() if isinstance(body, str) else body)
        if event.get("isBase64Encoded"):
            size = size * 3 // 4
        if size > max_body:
            return _reply(413, f"body is {size} bytes; the limit is {max_body}")
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        ctype = str(headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json":
            return _reply(415, f"content-type must be application/json, not {ctype[:64]!r}")
        try:
            text = base64.b64decode(body).decode("utf-8") if event.get("isBase64Encoded") else body
            json.loads(text)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and binascii.Error are ValueErrors
            where = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
            return _reply(400, f"body is not valid UTF-8 JSON{where}")
    return None


def _accepts_gzip(event: dict[str, Any]) -> bool:
    headers = {k.lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    return "gzip" in headers.get("accept-encoding", "").lower()


def _fit_response(
    event: dict[str, Any], reply: dict[str, Any], compress_min: int, max_bytes: int | None
) -> dict[str, Any]:
    """Gzip large answers for clients that accept it; refuse what a Lambda response cannot carry (6 MB)."""
    body = reply.get("body")
    if not isinstance(body, str) or reply.get("isBase64Encoded") or len(body) < compress_min:
        return reply
    size = len(body.encode())
    if _accepts_gzip(event):
        packed = base64.b64encode(gzip.compress(body.encode(), compresslevel=5)).decode()
        headers = {**(reply.get("headers") or {}), "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        reply = {**reply, "body": packed, "isBase64Encoded": True, "headers": headers}
        if max_bytes is None or len(packed) <= max_bytes:
            return reply
    elif max_bytes is None or size <= max_bytes:
        return reply
    return _reply(
        400,
        f"the answer is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB a response can carry here: "
        "narrow it with limit= or a filter (min_fit, use_case, search, ...), or send Accept-Encoding: gzip",
    )


@traced("handler")
def handle_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """One API Gateway REST proxy event in, one proxy response out. Never raises for bad input."""
    started = time.perf_counter()
    built = rankings_built()
    request_id = (event.get("requestContext") or {}).get("requestId")
    if request_id:
        logger.set_correlation_id(str(request_id))
    settings = current().settings
    reply = _precheck(event, settings.max_body_bytes, settings.auth_mode)
    if reply is None:
        path = str(event.get("path") or "/")
        routed = {**event, "path": normalize_model_path(path)}
        reply = app.resolve(routed, context)
        reply = _fit_response(event, reply, settings.compress_min_bytes, settings.max_response_bytes)
    if rankings_built() != built:
        settle_heap()
    annotate(
        method=str(event.get("httpMethod"))[:16],
        route=str(event.get("resource") or "")[:128],
        status=int(reply.get("statusCode") or 0),
    )
    logger.info(
        "request",
        method=event.get("httpMethod"),
        path=str(event.get("path"))[:200],
        status=reply.get("statusCode"),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return reply


def warm_up() -> None:
    """Build the services and load the catalog before the first request (Lambda init, server start)."""
    try:
        current().catalogs.current()
    except Exception as exc:  # noqa: BLE001 - the first request will retry and answer properly
        logger.warning("warm-up failed; the first request will load the catalog", error_type=type(exc).__name__)


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    warm_up()  # the init phase: the catalog is ready when the first request arrives


def is_catalog_published(event: dict[str, Any]) -> bool:
    """An EventBridge "Object Created" event from the catalog bucket (template.yaml: CatalogPublished)."""
    return event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created"


# Leave the Lambda this much of its 29 s after precomputing digests: the class that overran the deadline
# (about half a second), the continuation's PutEvents at its worst (5 s, store/boto.py), logging, metrics.
PUBLISH_MARGIN_S = 6.0


def _digest_budget(context: Any) -> float:
    remaining_ms = context.get_remaining_time_in_millis() if context is not None else 29_000
    return max(0.0, remaining_ms / 1000 - PUBLISH_MARGIN_S)


def on_catalog_published(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A catalog was published: load it and precompute every class's digest of it (api/catalogs.py), as many
    as one invocation allows; the rest in the hops that follow (api/digest_chain.py)."""
    svc = current()
    key = str(((event.get("detail") or {}).get("object") or {}).get("key") or "")
    if key != svc.settings.catalog_key:
        logger.info("object created is not the catalog; ignored", key=key[:200])
        return {"computed": 0, "pending": 0, "ignored": key[:200]}
    return digest_chain.run_hop(svc, budget_s=_digest_budget(context), hop=0)


def on_digests_pending(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The chain's own event: the next batch of the digests a publish left pending (api/digest_chain.py)."""
    return digest_chain.on_digests_pending(current(), event, budget_s=_digest_budget(context))


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if is_catalog_published(event):
        return on_catalog_published(event, context)
    if digest_chain.is_digests_pending(event):
        return on_digests_pending(event, context)
    return handle_event(event, context)

"""The OpenAPI document: generated from the routes and their pydantic models by Powertools, then completed
with what the generator cannot know, so that the document and the server agree (the fuzz test checks it):

- every error is ``{"error": ...}`` (``ErrorBody``): Powertools' default 422 ``{"detail": ...}`` is replaced;
- the statuses answered before routing are documented on every operation: 400 (a query parameter given
  twice, a bad value, a body that is not UTF-8 JSON), 401 (``fleetfit serve``: missing or wrong bearer token),
  403 (no IAM identity, or not allowed), 404 (unknown node, or a path that names nothing), 503 (the store);
  and on operations with a body, 411 (chunked body), 413 (too large), 415 (not JSON), 422 (invalid body);
- the node routes' query parameters, which the engine parses itself (``node`` and llmfit's parameters);
- the security schemes: SigV4 (API Gateway, ``AWS_IAM``) and the bearer token of ``fleetfit serve``.
"""

from __future__ import annotations

import json
from typing import Any

from fleetfit.contract import MAX_CPU_CORES, MAX_RAM_GB, MAX_VRAM_GB
from fleetfit.engine.quants import FORCEABLE, KV_CACHE_TYPES
from fleetfit.engine.query import FORCEABLE_RUNTIMES, GROUPS, MAX_CONTEXT_LIMIT, MAX_LICENSE_TEXT

BEFORE_ROUTING = {
    400: "A query or path value is invalid, a query parameter is given twice, or the body is not UTF-8 JSON "
    "(the message names it)",
    401: "`fleetfit serve`: missing or invalid bearer token",
    403: "No IAM identity (sign with SigV4), or the caller may not do this",
    404: "Unknown node, or no such route",
    503: "The fleet store is unavailable; retry after Retry-After seconds",
}
WITH_BODY = {
    411: "`fleetfit serve`: a chunked body; send Content-Length",
    413: "Body too large",
    415: "Content-Type is not application/json",
    422: "The body is invalid (the message names the field)",
}
FLEET = {501: "This deployment's engine cannot answer fleet-wide questions"}

_INT = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
_BOOL = {"type": "string", "enum": ["true", "false"]}
_RAM = {"type": "number", "minimum": 0.01, "maximum": MAX_RAM_GB}
_VRAM = {"type": "number", "minimum": 0, "maximum": MAX_VRAM_GB}
# llmfit's query parameters as the engine parses them (fleetfit.engine.query.parse_query); values are
# matched case-insensitively and a few aliases are accepted (documented in the descriptions).
LLMFIT_PARAMETERS: list[tuple[str, dict[str, Any], str]] = [
    ("limit", _INT, "At most this many models (0: none); default all, 5 on /top, 20 on /{name}"),
    ("top", _INT, "Alias of limit"),
    ("n", _INT, "Alias of limit"),
    ("min_fit", {"type": "string", "enum": ["perfect", "good", "marginal", "too_tight"]}, "Lowest fit level listed"),
    ("perfect", _BOOL, "Only perfect fits"),
    ("include_too_tight", _BOOL, "Also list models that do not fit"),
    (
        "use_case",
        {"type": "string", "enum": ["general", "coding", "reasoning", "chat", "multimodal", "embedding"]},
        "Only models for this use case",
    ),
    ("provider", {"type": "string", "maxLength": 256}, "Only models whose provider contains this text"),
    ("search", {"type": "string", "maxLength": 256}, "Only models whose name contains this text"),
    (
        "sort",
        {"type": "string", "enum": ["score", "tps", "params", "mem", "ctx", "date", "use_case"]},
        "Order of the list (default score)",
    ),
    ("max_context", {"type": "integer", "minimum": 1, "maximum": 16_777_216}, "Context tokens the memory assumes"),
    ("runtime", {"type": "string", "enum": ["any", "mlx", "llamacpp"]}, "Runtime the estimate assumes"),
    (
        "quant",
        {"type": "string", "enum": list(FORCEABLE)},
        "Force this quantization: any llama.cpp type, unsloth UD- or bartowski _L/_XL file (any case)",
    ),
    ("kv_quant", {"type": "string", "enum": list(KV_CACHE_TYPES)}, "llama.cpp KV-cache type (default f16)"),
    (
        "prompt_tokens",
        {"type": "integer", "minimum": 1, "maximum": MAX_CONTEXT_LIMIT},
        "Prompt length prefill_tps and ttft_ms are quoted at (default 512)",
    ),
    (
        "license",
        {"type": "string", "minLength": 1, "maxLength": MAX_LICENSE_TEXT},
        "Only models under any of these licenses (comma-separated, exact, any case)",
    ),  # fmt: skip
    (
        "force_runtime",
        {"type": "string", "enum": list(FORCEABLE_RUNTIMES)},
        "Analyse with this runtime only (mlx: Apple Silicon only, else 400); models without a build for it are left out",
    ),  # fmt: skip
    ("ram_gb", _RAM, "What-if: total RAM in GiB (available keeps the node's free share)"),
    ("ram", _RAM, "Alias of ram_gb"),
    ("vram_gb", _VRAM, "What-if: GiB per card of the primary GPU model (0: no GPU; unified memory: 400)"),
    ("memory", _VRAM, "Alias of vram_gb"),
    ("cpu_cores", {"type": "integer", "minimum": 1, "maximum": MAX_CPU_CORES}, "What-if: logical CPU cores"),
    (
        "group",
        {"type": "string", "enum": list(GROUPS)},
        "base: one row per variant group (default of /top); none: every entry (default of /models and searches)",
    ),
]
WHAT_IF_NAMES = ("ram_gb", "ram", "vram_gb", "memory", "cpu_cores")
# Read by the node's model routes only (fleet measurements correct the speed), not by POST /api/v1/fit.
CALIBRATION_PARAMETER = (
    "calibration",
    {"type": "string", "enum": ["on", "off"]},
    "on (default): this node's measurement or its class's fleet correction; off: physics only",
)
_MODEL_ROUTES = ("/api/v1/models", "/api/v1/models/top", "/api/v1/models/{name}")
_NODE_MODEL_ROUTES = tuple(p.replace("/api/v1/", "/api/v1/nodes/{node_id}/") for p in _MODEL_ROUTES)
_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
SECURITY_SCHEMES = {
    "sigv4": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "AWS Signature Version 4, service execute-api (API Gateway, AWS_IAM on every route)",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`fleetfit serve`: the lab's shared token (FLEETFIT_TOKEN or --token-file)",
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR_REF}


def _parameter(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """Complete Powertools' generated document in place (see the module docstring); returns it."""
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            statuses = dict(BEFORE_ROUTING)
            if method in ("post", "put", "patch"):
                statuses.update(WITH_BODY)
            if path.startswith("/api/v1/fleet/"):
                statuses.update(FLEET)
            for status, description in statuses.items():
                key = str(status)
                if key not in responses or key == "422":
                    responses[key] = _error(responses.get(key, {}).get("description", description))
                if key == "422":
                    responses[key]["description"] = description
            if method not in ("post", "put", "patch"):
                responses.pop("422", None)  # no body to be invalid; bad query and path values are 400
            params = op.setdefault("parameters", [])
            if path in _MODEL_ROUTES or path in _NODE_MODEL_ROUTES or path == "/api/v1/fit":
                if path in _MODEL_ROUTES:
                    params.append(_parameter("node", {"type": "string", "minLength": 1, "maxLength": 128},
                                             "The node (its latest report)", required=True))  # fmt: skip
                elif path in _NODE_MODEL_ROUTES:
                    params.append(_parameter("node", {"type": "string", "minLength": 1, "maxLength": 128},
                                             "Optional; must equal the path's node"))  # fmt: skip
                params.extend(_parameter(n, s, d) for n, s, d in LLMFIT_PARAMETERS)
                if path != "/api/v1/fit":
                    params.append(_parameter(*CALIBRATION_PARAMETER))
            if path == "/api/v1/plan":
                params.append(_parameter("node", {"type": "string", "minLength": 1, "maxLength": 128},
                                         "The node (its latest report)", required=True))  # fmt: skip
            if path == "/api/v1/system":
                params.extend(_parameter(n, s, d) for n, s, d in LLMFIT_PARAMETERS if n in WHAT_IF_NAMES)
            if not params:
                op.pop("parameters")
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    from fleetfit.api.models import IngestAnswer

    schemas.setdefault("IngestAnswer", IngestAnswer.model_json_schema(ref_template="#/components/schemas/{model}"))
    text = json.dumps(doc["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    doc["components"]["securitySchemes"] = SECURITY_SCHEMES
    doc["security"] = [{"sigv4": []}, {"bearer": []}]
    return doc


def document(app: Any, *, title: str, version: str, description: str) -> dict[str, Any]:
    raw = app.get_openapi_json_schema(title=title, version=version, description=description)
    return complete(json.loads(raw))

"""API Gateway REST proxy events for benchmarks that drive the Lambda handler in-process."""

from __future__ import annotations

from typing import Any


def rest_event(method: str, path: str, query: dict[str, str] | None = None, body: str | None = None) -> dict[str, Any]:
    query = query or {}
    return {
        "httpMethod": method,
        "path": path,
        "headers": {"Content-Type": "application/json"} if body else {},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "requestContext": {"requestId": "bench", "identity": {"userArn": None}},
        "body": body,
        "isBase64Encoded": False,
    }

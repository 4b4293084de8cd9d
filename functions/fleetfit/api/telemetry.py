"""Logger, metrics and tracer, one of each per process (Powertools). Nothing here ever logs an event or a
header, and no trace carries a request or response body."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "fleetfit-api"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace="fleetfit", service=SERVICE)
_enabled = {"metrics": True}
# A health check or a 404 publishes no metric; that is expected, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

# Outbound AWS calls must never put their signed headers in a log line, whatever LOG_LEVEL says.
for _name in ("botocore", "boto3", "urllib3", "s3transfer"):
    logging.getLogger(_name).setLevel(logging.WARNING)


# -- tracing ----------------------------------------------------------------------------------------------
# X-Ray is on in the template (API stage and Lambda). The Powertools layer ships aws-xray-sdk; `fleetfit
# serve` and the CLI may not have it and have no X-Ray daemon to send to, so there the tracer is absent and
# nothing is wrapped. Subsegments: the handler (annotated with route and status), each store call
# ("## store.put_report", ...) and the catalog's S3 read; botocore is patched so every DynamoDB and S3
# request is its own subsegment. Responses are never captured as metadata (reports, envelopes).
STORE_METHODS = (
    "put_report",
    "latest",
    "list_nodes",
    "history",
    "nodes_in_class",
    "list_classes",
    "get_class",
    "put_class_digest",
    "stale_by_class",
    "latest_many",
    "delete_node",
)
F = TypeVar("F", bound=Callable[..., Any])
_tracing: dict[str, Any] = {"tracer": None, "built": False}


def tracer() -> Any:
    """The process's Powertools Tracer, or None where X-Ray is not available."""
    if not _tracing["built"]:
        _tracing["built"] = True
        try:
            import aws_xray_sdk  # noqa: F401  (in the Powertools layer)
        except ImportError:
            return None
        from aws_lambda_powertools import Tracer

        _tracing["tracer"] = Tracer(service=SERVICE, patch_modules=("botocore",))
    return _tracing["tracer"]


def use_tracer(instance: Any) -> None:
    """Tests hand in a Tracer with a recording provider (None: build from the environment on next use)."""
    _tracing["tracer"], _tracing["built"] = instance, instance is not None


def traced(name: str) -> Callable[[F], F]:
    """Run the decorated function in an X-Ray subsegment ``## name`` when a tracer is active."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            active = tracer()
            if active is None or active.disabled:
                return fn(*args, **kwargs)
            with active.provider.in_subsegment(name=f"## {name}"):
                return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def trace_methods(obj: Any, prefix: str, names: Iterable[str]) -> Any:
    """Wrap each named method of ``obj`` (the instance only) in its own subsegment; returns ``obj``."""
    for name in names:
        method = getattr(obj, name, None)
        if callable(method):
            setattr(obj, name, traced(f"{prefix}.{name}")(method))
    return obj


def annotate(**values: str | int | bool) -> None:
    """Annotations on the current segment (searchable in X-Ray), when a tracer is active."""
    active = tracer()
    if active is None or active.disabled:
        return
    for key, value in values.items():
        active.put_annotation(key=key, value=value)


def set_metrics_enabled(enabled: bool) -> None:
    """The local server has no CloudWatch: it turns EMF metrics off."""
    _enabled["metrics"] = enabled


def count(name: str, value: int = 1) -> None:
    if _enabled["metrics"]:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def catalog_loaded(version: str, source: str) -> None:
    if not _enabled["metrics"]:
        return
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name="CatalogLoaded", unit=MetricUnit.Count, value=1, namespace="fleetfit") as metric:
        metric.add_dimension(name="CatalogVersion", value=version[:32])
        metric.add_dimension(name="Source", value=source)

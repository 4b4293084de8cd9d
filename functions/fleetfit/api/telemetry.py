"""Logger and metrics, one of each per process (Powertools). Nothing here ever logs an event or a header."""

from __future__ import annotations

import logging
import warnings

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

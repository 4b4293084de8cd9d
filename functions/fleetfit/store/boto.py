"""The one botocore configuration every AWS client of the API uses (DynamoDB, S3, EventBridge).

botocore's defaults are 60 s connect and read timeouts and "legacy" retries (up to 5 attempts, 10 for
DynamoDB): inside API Gateway's 29 s integration timeout a DynamoDB slowdown would become a gateway 504
instead of the API's own 503 with ``Retry-After``. So:

- connect 1 s, read 2 s (DynamoDB): a healthy call answers in milliseconds (DynamoDB's single-digit ms
  latency, https://aws.amazon.com/dynamodb/); 2 s is a hundred times that.
- read 5 s for S3: the catalog object (a few MiB) is read in chunks, each within the timeout.
- "standard" retries, 3 attempts in all: throttling and transient errors are retried with exponential
  backoff and jitter (at most 1 s, then 2 s; https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
  Worst case for one DynamoDB call: 3 × (1 + 2) s + 3 s of backoff = 12 s, under the 29 s limit; the store
  then raises StoreError and the API answers 503 with Retry-After.
- EventBridge: one PutEvents of a few hundred bytes at the end of a digest hop (api/digest_chain.py), inside
  the margin the hop leaves itself (api/handler.py, PUBLISH_MARGIN_S): connect 1 s, read 1 s, 2 attempts,
  at most 2 × (1 + 1) s + 1 s of backoff = 5 s. A send that fails is logged; the summaries' lazy path stays.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

MAX_ATTEMPTS = 3
DYNAMODB_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)
S3_CONFIG = Config(
    connect_timeout=1,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)
EVENTS_CONFIG = Config(
    connect_timeout=1,
    read_timeout=1,
    retries={"mode": "standard", "total_max_attempts": 2},
)
_CONFIGS = {"dynamodb": DYNAMODB_CONFIG, "s3": S3_CONFIG, "events": EVENTS_CONFIG}


def client(service: str, **kwargs: Any) -> Any:
    """A boto3 client for ``service`` ('dynamodb', 's3' or 'events') with the configuration above."""
    import boto3

    config = _CONFIGS[service]
    return boto3.client(service, config=config, **kwargs)  # type: ignore[call-overload]

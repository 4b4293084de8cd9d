"""API tests: real API Gateway REST proxy events (IAM identities included) through ``lambda_handler``,
against moto S3 and DynamoDB. The engine is the real one when it is importable, else a fake of its shape."""

from .support import (  # noqa: F401  (fixtures)
    aws,
    call,
    catalog_bytes,
    catalog_names,
    clock,
    engine,
    lambda_services,
)

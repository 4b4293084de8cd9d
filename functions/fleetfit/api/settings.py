"""Runtime settings, read once from the environment (the template sets them on the Lambda)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, Field

ENV_PREFIX = "FLEETFIT_"


class Settings(BaseModel):
    # Where the fleet lives: a DynamoDB table on AWS, else a SQLite file.
    table_name: str | None = Field(default=None, description="DynamoDB table (FLEETFIT_TABLE_NAME)")
    db_path: str | None = Field(default=None, description="SQLite file when no table is set (FLEETFIT_DB_PATH)")
    # The catalog: an S3 object when a bucket is set, else the bundled file.
    catalog_bucket: str | None = None
    catalog_key: str = "catalog/catalog.json.gz"
    catalog_refresh_s: float = Field(default=300.0, ge=0)
    catalog_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    history_days: int = Field(default=90, ge=1)
    stale_after_hours: float = Field(default=48.0, gt=0)
    # The fleet summary evaluates classes whose digest of the catalog is missing (a new catalog) for at most
    # this long per request; the rest are reported as pending and evaluated by the next requests.
    fleet_eval_budget_s: float = Field(default=8.0, ge=0)
    # A publish whose digests outlast one invocation continues in the next ones, one EventBridge event each
    # (api/digest_chain.py); at most this many: 100 hops of ~70 classes is 7,000 classes. 0: no continuation.
    digest_max_hops: int = Field(default=100, ge=0, le=1000)
    # A report is a few KiB; 256 KiB keeps every stored item far below DynamoDB's 400 KB item limit.
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    max_clock_skew_s: float = Field(default=600.0, ge=0)
    # A Lambda response carries at most 6 MB: bigger answers go gzip-compressed or are refused with a hint.
    max_response_bytes: int | None = Field(default=5_500_000, gt=0)
    compress_min_bytes: int = Field(default=1024 * 1024, gt=0)
    # "iam": API Gateway authorised the call with SigV4; the handler binds writers to their node.
    # "local": `fleetfit serve` checked the bearer token before the event was built.
    auth_mode: Literal["iam", "local"] = "iam"
    # Unique ids (AROA…) of the EC2 instance roles whose sessions are nodes, comma-separated: their session
    # name (the instance id) is the node id they may write on POST /api/v1/reports (api/auth.py).
    node_role_ids: str = Field(default="", max_length=4096)

    @property
    def node_roles(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.node_role_ids.split(",") if part.strip())

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields if ENV_PREFIX + name.upper() in env}
        return cls.model_validate(values)

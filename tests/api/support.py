"""API test support: a fake engine of the real one's shape, REST proxy events with IAM identities, and the
fixtures (re-exported by conftest.py) that wire the handler to moto S3 and DynamoDB."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fleetfit.api import services as services_mod
from fleetfit.api.catalogs import S3Catalogs
from fleetfit.api.engine_port import EnginePort
from fleetfit.api.services import Services
from fleetfit.api.settings import Settings
from fleetfit.contract import Envelope, ModelFit, Node, System

ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
TABLE = "fleetfit-test"
BUCKET = "fleetfit-catalog-test"
CATALOG_KEY = "catalog/catalog.json.gz"
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


# -- a fake engine of the real one's shape -------------------------------------------------------------
class FakeQueryError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


class FakeCatalogError(ValueError):
    pass


@dataclass(frozen=True)
class FakeCatalog:
    version: str
    loaded_from: str
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)


FAKE_NAMES = (
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-Coder-7B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "google/gemma-2-9b-it",
    "openai/gpt-oss-20b",
    "microsoft/phi-4",
)


def fake_catalog_bytes(names: tuple[str, ...] = FAKE_NAMES) -> bytes:
    return gzip.compress(json.dumps({"models": [{"name": n} for n in names]}).encode(), mtime=0)


def fake_load_catalog_bytes(data: bytes, source: str) -> FakeCatalog:
    try:
        doc = json.loads(gzip.decompress(data))
        names = tuple(m["name"] for m in doc["models"])
    except Exception as exc:
        raise FakeCatalogError(f"{source}: not a catalog ({type(exc).__name__})") from exc
    return FakeCatalog(version=hashlib.sha256(data).hexdigest()[:16], loaded_from=source, names=names)


_BUNDLED = fake_load_catalog_bytes(fake_catalog_bytes(), "bundled")

_DEFAULT_LIMIT = {"models": None, "top": 5, "name": 20}


def fake_parse_query(params: Mapping[str, str], *, route: str, name: str | None = None) -> dict[str, Any]:
    raw = params.get("limit", params.get("top", params.get("n")))
    if params.get("min_fit", "marginal") not in ("perfect", "good", "marginal", "too_tight"):
        raise FakeQueryError("min_fit", "invalid min_fit value: use perfect|good|marginal|too_tight")
    limit = _DEFAULT_LIMIT[route]
    if raw is not None:
        if not raw.isdigit():
            raise FakeQueryError("limit", f"invalid limit value {raw!r}: expected a non-negative integer")
        limit = int(raw)
    sort = params.get("sort", "score")
    if sort.lower() not in ("score", "tps", "params", "mem", "ctx", "date", "use_case"):
        raise FakeQueryError("sort", "invalid sort value: use score|tps|params|mem|ctx|date|use_case")
    search = name if route == "name" else params.get("search")
    return {"limit": limit, "sort": sort, "search": search, "route": route}


def _fit_row(name: str, system: System) -> ModelFit:
    return ModelFit.model_validate(
        {
            "name": name,
            "provider": name.split("/")[0],
            "parameter_count": "7B",
            "params_b": 7.0,
            "context_length": 32768,
            "release_date": "2024-09-19",
            "is_moe": False,
            "use_case": "General",
            "category": "General",
            "fit_level": "good",
            "fit_label": "Good",
            "run_mode": "gpu" if system.has_gpu else "cpu_only",
            "run_mode_label": "GPU" if system.has_gpu else "CPU Only",
            "score": 80.0,
            "score_components": {"quality": 80, "speed": 80, "fit": 80, "context": 80},
            "estimated_tps": 40.0,
            "runtime": "llamacpp",
            "runtime_label": "llama.cpp",
            "best_quant": "Q4_K_M",
            "memory_required_gb": 5.0,
            "memory_available_gb": system.gpu_vram_gb or system.available_ram_gb,
            "utilization_pct": 20.0,
            "notes": [],
            "gguf_sources": [],
            "memory_breakdown": {"weights_gb": 4.0, "kv_cache_gb": 0.5, "overhead_gb": 0.5},
            "effective_context_length": 8192,
            "estimated_tps_full_context": 35.0,
            "estimate_confidence": "high",
            "estimate_basis": {
                "method": "bandwidth_roofline",
                "gpu_bandwidth_gbps": 1008.0,
                "ram_bandwidth_gbps": None,
                "efficiency": 0.6,
                "bytes_per_token_gb": 4.0,
                "context_tokens": 8192,
            },
        }
    )


def fake_fit_envelope(
    system: System, catalog: FakeCatalog, query: dict[str, Any], node: Node, *, evaluate_as: System | None = None
) -> Envelope:
    names = [n for n in catalog.names if not query["search"] or query["search"].lower() in n.lower()]
    limit = query["limit"]
    shown = names if limit is None else names[:limit]
    return Envelope(
        node=node,
        system=system,
        total_models=len(names),
        returned_models=len(shown),
        filters={"limit": limit, "sort": query["sort"], "search": query["search"]},
        models=[_fit_row(n, system) for n in shown],
        catalog_version=catalog.version,
    )


FAKE_ENGINE = EnginePort(
    parse_query=fake_parse_query,
    fit_envelope=fake_fit_envelope,
    query_error=FakeQueryError,
    load_bundled=lambda: _BUNDLED,
    load_catalog_bytes=fake_load_catalog_bytes,
    catalog_error=FakeCatalogError,
)


@pytest.fixture(scope="session")
def engine() -> EnginePort:
    """The real engine; FLEETFIT_TEST_ENGINE=fake runs the API tests against a small fake of the same shape."""
    if os.environ.get("FLEETFIT_TEST_ENGINE") == "fake":
        return FAKE_ENGINE
    from fleetfit.api.engine_port import real_engine

    return real_engine()


@pytest.fixture(scope="session")
def catalog_names(engine: EnginePort) -> list[str]:
    """Model names, read through the engine's interface only (min_fit=too_tight keeps every row)."""
    from fleetfit.store.samples import h100_server

    query = engine.query({"min_fit": "too_tight", "limit": "200"}, "models")
    env = engine.fit_envelope(h100_server(), engine.load_bundled(), query, Node(name="names", os="linux"))
    return [m.name for m in env.models]


@pytest.fixture(scope="session")
def catalog_bytes(engine: EnginePort) -> bytes:
    if engine is FAKE_ENGINE:
        return fake_catalog_bytes()
    from fleetfit.catalog import BUNDLED_CATALOG_PATH

    return BUNDLED_CATALOG_PATH.read_bytes()


# -- the template ----------------------------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template() -> dict[str, Any]:
    """template.yaml as data; each intrinsic (``!Ref X``) becomes ``{"Ref": "X"}``."""
    doc: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    return doc


# -- AWS (moto) ----------------------------------------------------------------------------------------
@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from fleetfit.store.dynamodb import TABLE_DEFINITION
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        ddb.create_table(TableName=TABLE, **TABLE_DEFINITION)
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield {"dynamodb": ddb, "s3": s3}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lambda_services(aws: dict[str, Any], engine: EnginePort, catalog_bytes: bytes, clock: Clock) -> Iterator[Services]:
    """The Lambda's services: DynamoDB store, S3 catalog (published), IAM auth."""
    aws["s3"].put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=catalog_bytes)
    settings = Settings(
        table_name=TABLE, catalog_bucket=BUCKET, catalog_key=CATALOG_KEY, auth_mode="iam", node_role_ids=NODE_ROLE_ID
    )
    svc = services_mod.build_services(settings, engine=engine, dynamodb_client=aws["dynamodb"], s3_client=aws["s3"])
    assert isinstance(svc.catalogs, S3Catalogs)
    svc.now = clock
    services_mod.configure(svc)
    yield svc
    services_mod.configure(None)


# -- events --------------------------------------------------------------------------------------------
SECRET_SIGNATURE = "5d41402abc4b2a76b9719d911017c592deadbeefcafef00d5d41402abc4b2a76"
SECRET_SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENthatmustneverbelogged"


NODE_ROLE_ID = "AROAEXAMPLEROLEID"  # the node role's unique id, allow-listed in the Lambda's settings


def node_identity(session: str, role: str = "fleetfit-node", role_id: str = NODE_ROLE_ID) -> dict[str, Any]:
    return {
        "cognitoIdentityPoolId": None,
        "accountId": ACCOUNT,
        "cognitoIdentityId": None,
        "caller": f"{role_id}:{session}",
        "sourceIp": "203.0.113.10",
        "principalOrgId": None,
        "accessKey": "ASIAEXAMPLEKEYID",
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "userAgent": "fleetfit-probe/0.1.0",
        "user": f"{role_id}:{session}",
    }


OPERATOR = node_identity("alice@example.com", role="fleetfit-operator", role_id="AROAOPERATORROLEID")
NO_IDENTITY: dict[str, Any] = {"sourceIp": "203.0.113.10", "userAgent": "curl/8", "userArn": None}


def rest_event(
    method: str,
    path: str,
    *,
    query: Mapping[str, str | list[str]] | None = None,
    body: Any = None,
    identity: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event as a `{proxy+}` resource with the AWS_IAM authorizer sends it."""
    identity = OPERATOR if identity is None else identity
    hdrs = {
        "Host": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
        "User-Agent": identity.get("userAgent") or "test",
        "X-Amz-Date": "20250601T120000Z",
        "X-Amz-Security-Token": SECRET_SESSION_TOKEN,
        "Authorization": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEYID/20250601/eu-west-1/execute-api/"
        f"aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={SECRET_SIGNATURE}",
        "X-Forwarded-For": "203.0.113.10",
    }
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    multi_q = {k: (v if isinstance(v, list) else [v]) for k, v in (query or {}).items()}
    raw_body = None if body is None else body if isinstance(body, str) else json.dumps(body, default=str)
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_q.items()} or None,
        "multiValueQueryStringParameters": multi_q or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": "Xyz=",
            "requestTime": "01/Jun/2025:12:00:00 +0000",
            "path": f"/prod{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": API_ID,
            "requestTimeEpoch": 1748779200000,
            "requestId": request_id,
            "identity": identity,
            "domainName": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
            "apiId": API_ID,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


class FakeContext:
    function_name = "fleetfit-api"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:fleetfit-api"
    memory_limit_in_mb = 1024
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    log_group_name = "/aws/lambda/fleetfit-api"
    log_stream_name = "2025/06/01/[$LATEST]abc"

    def __init__(self, remaining_ms: int = 30_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]


Call = Callable[..., Reply]


@pytest.fixture
def call(lambda_services: Services) -> Call:
    from fleetfit.api.handler import lambda_handler

    def _call(method: str, path: str, **kwargs: Any) -> Reply:
        out = lambda_handler(rest_event(method, path, **kwargs), FakeContext())
        body = out.get("body") or ""
        if out.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        parsed = json.loads(body) if body else None
        headers = dict(out.get("headers") or {})
        headers.update({k: v[-1] for k, v in (out.get("multiValueHeaders") or {}).items() if v})
        return Reply(status=out["statusCode"], headers=headers, body=parsed, raw=out)

    return _call


@contextmanager
def local_server(engine: EnginePort, db_path: str, **options: Any) -> Iterator[Any]:
    """`fleetfit serve` (fleetfit.server.make_server with `options`) on a loopback port, in a thread, with the
    session's engine in place of the one make_server would build; shut down and unconfigured afterwards."""
    from fleetfit.server import make_server

    with pytest.MonkeyPatch.context() as mp:
        real_build = services_mod.build_services
        mp.setattr(services_mod, "build_services", lambda s, **kw: real_build(s, engine=engine, **kw))
        srv = make_server("127.0.0.1", 0, db_path=db_path, **options)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            yield srv
        finally:
            srv.shutdown()
            srv.server_close()
            services_mod.configure(None)


def report_nodes(call: Call, systems: Iterable[System], prefix: str) -> None:
    """One report per System, each from its own node (prefix + its index), signed as that node."""
    from fleetfit.store.samples import sample_report

    for i, system in enumerate(systems):
        node = f"{prefix}{i}"
        body = sample_report(node, system=system).model_dump(mode="json")
        reply = call("POST", "/api/v1/reports", body=body, identity=node_identity(node))
        assert reply.status == 201, reply.body

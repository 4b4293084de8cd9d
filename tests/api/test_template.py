"""template.yaml: cfn-lint clean, checkov clean (each skip justified), and in step with the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api.settings import ENV_PREFIX, Settings
from fleetfit.store.dynamodb import TABLE_DEFINITION

from .support import ROOT, TEMPLATE, load_template

CHECKOV_VENV = ROOT / "build" / "venv-checkov"  # build/ is git-ignored; checkov's pins clash with ours
CHECKOV_SPEC = "checkov>=3.2,<4"
NETWORK_ERRORS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Name or service not known",
    "No matching distribution found",
    "Could not find a version that satisfies",
    "ConnectionError",
    "Network is unreachable",
    "timed out",
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_cfn_lint_is_clean() -> None:
    exe = Path(sys.executable).parent / "cfn-lint"
    if not exe.exists():
        pytest.fail("cfn-lint is not installed: it is in the dev extra (pip install -e '.[dev]')")
    result = subprocess.run([str(exe), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov() -> Path:
    exe = CHECKOV_VENV / "bin" / "checkov"
    if exe.exists():
        return exe
    venv.EnvBuilder(with_pip=True, clear=True).create(CHECKOV_VENV)
    pip = subprocess.run(
        [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "-q", CHECKOV_SPEC],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if pip.returncode != 0:
        out = pip.stdout + pip.stderr
        if any(marker in out for marker in NETWORK_ERRORS):
            pytest.skip(f"checkov not installed: PyPI unreachable ({out.strip().splitlines()[-1][:200]})")
        pytest.fail(f"installing {CHECKOV_SPEC} failed:\n{out[-2000:]}")
    return exe


def test_checkov_is_clean_and_every_skip_is_justified(template: dict[str, Any]) -> None:
    exe = _checkov()
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_LOG_LEVEL": "ERROR"}
    run = subprocess.run(
        [str(exe), "-f", str(TEMPLATE), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    report = json.loads(run.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 30
    used = {(c["check_id"], c["resource"].split(".")[-1]) for c in report["results"]["skipped_checks"]}
    declared = {
        (skip["id"], name): skip.get("comment", "")
        for name, res in template["Resources"].items()
        for skip in (res.get("Metadata", {}).get("checkov", {}).get("skip", []))
    }
    assert all(len(comment) > 30 for comment in declared.values()), "every checkov skip needs a reason"
    assert set(declared) == used, f"unused skips: {set(declared) - used}"


def test_table_matches_the_store(template: dict[str, Any]) -> None:
    table = template["Resources"]["FleetTable"]["Properties"]
    assert table["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    assert table["AttributeDefinitions"] == TABLE_DEFINITION["AttributeDefinitions"]
    assert table["GlobalSecondaryIndexes"] == TABLE_DEFINITION["GlobalSecondaryIndexes"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["DeletionProtectionEnabled"] is True


def test_function_environment_names_real_settings(template: dict[str, Any]) -> None:
    fn = template["Resources"]["ApiFunction"]["Properties"]
    names = {n for n in fn["Environment"]["Variables"] if n.startswith(ENV_PREFIX)}
    fields = {ENV_PREFIX + f.upper() for f in Settings.model_fields}
    assert names <= fields, names - fields
    assert {"FLEETFIT_TABLE_NAME", "FLEETFIT_CATALOG_BUCKET"} <= names
    module, func = fn["Handler"].rsplit(".", 1)
    assert (ROOT / fn["CodeUri"] / Path(*module.split("."))).with_suffix(".py").exists()
    assert fn["Runtime"] == "python3.13" and fn["Architectures"] == ["arm64"]
    assert not (ROOT / fn["CodeUri"] / "requirements.txt").exists()  # the layer and the runtime provide deps


def test_least_privilege_and_iam_everywhere(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    api = resources["Api"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert all(s["DataTraceEnabled"] is False for s in api["MethodSettings"])
    events = resources["ApiFunction"]["Properties"]["Events"]
    assert "/{proxy+}" not in [e["Properties"]["Path"] for e in events.values() if e["Type"] == "Api"]
    actions: list[str] = []
    for policy in resources["ApiFunction"]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            actions += statement["Action"]
    assert "dynamodb:Scan" not in actions
    assert all("*" not in a for a in actions), actions
    assert "dynamodb:DeleteItem" in actions and "dynamodb:BatchWriteItem" in actions  # DELETE /nodes/{id}
    for name in ("NodeIngestPolicy", "NodeRolesAnywherePolicy", "OperatorPolicy"):
        for statement in resources[name]["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Action"] == "execute-api:Invoke"
    bucket = resources["CatalogBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"


# -- operations: routes, throttles, access log, alarms, dashboard, first-deploy order ----------------------


def _sam_transformed() -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform (aws-sam-translator, as `sam deploy`)."""
    from cfnlint.decode import cfn_yaml
    from samtranslator.translator.transform import transform

    doc = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    doc["Resources"]["ApiFunction"]["Properties"]["CodeUri"] = "s3://bucket/code.zip"  # what `sam package` writes

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    out: dict[str, Any] = transform(doc, {}, _NoManagedPolicies())
    return out


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return _sam_transformed()


def test_every_route_of_the_app_is_an_explicit_route_of_the_api(template: dict[str, Any]) -> None:
    from fleetfit.api.app import app

    doc = app.get_openapi_schema(title="fleetfit", version="0")
    served = {
        (method.upper(), path.replace("{name}", "{name+}"))
        for path, item in (doc.paths or {}).items()
        for method in ("get", "post", "put", "delete", "patch")
        if getattr(item, method, None) is not None
    }
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    api = [e for e in events.values() if e["Type"] == "Api"]
    routed = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in api}
    assert routed == served
    assert all(e["Properties"]["RestApiId"] == {"Ref": "Api"} for e in api)
    assert {e["Type"] for e in events.values()} == {"Api", "EventBridgeRule"}


def test_publishing_the_catalog_reaches_the_function(template: dict[str, Any]) -> None:
    from fleetfit.api.handler import is_catalog_published

    resources = template["Resources"]
    bucket = resources["CatalogBucket"]["Properties"]
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rule = resources["ApiFunction"]["Properties"]["Events"]["CatalogPublished"]["Properties"]
    pattern = rule["Pattern"]
    assert pattern["detail"] == {
        "bucket": {"name": [{"Ref": "CatalogBucket"}]},
        "object": {"key": [{"Ref": "CatalogKey"}]},
    }
    event = {"source": pattern["source"][0], "detail-type": pattern["detail-type"][0], "detail": {}}
    assert is_catalog_published(event)


def test_the_digest_chain_event_reaches_the_function_and_only_it(template: dict[str, Any]) -> None:
    """The rule matches what api/digest_chain.py sends; neither event is taken for the other."""
    from fleetfit.api import digest_chain
    from fleetfit.api.handler import is_catalog_published

    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    rule = events["DigestsPending"]
    assert rule["Type"] == "EventBridgeRule"
    pattern = rule["Properties"]["Pattern"]
    assert pattern == {"source": [digest_chain.SOURCE], "detail-type": [digest_chain.DETAIL_TYPE]}
    assert "EventBusName" not in rule["Properties"]  # the default bus, where the code puts it
    sent = {"source": pattern["source"][0], "detail-type": pattern["detail-type"][0], "detail": {}}
    assert digest_chain.is_digests_pending(sent) and not is_catalog_published(sent)
    published = events["CatalogPublished"]["Properties"]["Pattern"]
    s3_event = {"source": published["source"][0], "detail-type": published["detail-type"][0], "detail": {}}
    assert not digest_chain.is_digests_pending(s3_event)
    assert rule["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] <= 2


def test_the_function_may_put_only_its_own_event_on_the_default_bus(template: dict[str, Any]) -> None:
    from fleetfit.api import digest_chain

    statements = [s for p in template["Resources"]["ApiFunction"]["Properties"]["Policies"] for s in p["Statement"]]
    on_events = [s for s in statements if any(a.startswith("events:") for a in s["Action"])]
    assert len(on_events) == 1
    (statement,) = on_events
    assert statement["Effect"] == "Allow" and statement["Action"] == ["events:PutEvents"]
    default_bus = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
    assert statement["Resource"] == {"Sub": default_bus}
    assert statement["Condition"] == {"StringEquals": {"events:source": digest_chain.SOURCE}}


def test_the_transformed_digest_rule_targets_the_function(transformed: dict[str, Any]) -> None:
    from fleetfit.api import digest_chain

    resources = transformed["Resources"]
    rules = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Events::Rule" and r["Properties"]["EventPattern"].get("source") == [digest_chain.SOURCE]
    ]
    assert len(rules) == 1
    (rule,) = rules
    assert "EventBusName" not in rule
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["ApiFunction", "Arn"]}]
    invokers = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert len(invokers) == 2  # the catalog's publish event and the chain's own


def test_ingest_has_its_own_throttle_and_the_access_log_names_the_path(template: dict[str, Any]) -> None:
    api = template["Resources"]["Api"]["Properties"]
    by_path = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["MethodSettings"]}
    for path in ("/~1api~1v1~1reports", "/~1api~1v1~1nodes~1{node_id}~1reports"):
        ingest = by_path[(path, "POST")]
        assert ingest["ThrottlingRateLimit"] == {"Ref": "IngestThrottleRateLimit"}
        assert ingest["ThrottlingBurstLimit"] == {"Ref": "IngestThrottleBurstLimit"}
        assert ingest["DataTraceEnabled"] is False
    assert by_path[("/*", "*")]["ThrottlingRateLimit"] == {"Ref": "ThrottleRateLimit"}
    log_format = api["AccessLogSetting"]["Format"]
    fields = json.loads(log_format)
    assert fields["path"] == "$context.path" and fields["resourcePath"] == "$context.resourcePath"
    assert "$context.identity.caller" in log_format  # who, never a header or a signature


def test_reserved_concurrency_is_a_parameter(template: dict[str, Any]) -> None:
    fn = template["Resources"]["ApiFunction"]["Properties"]
    assert fn["ReservedConcurrentExecutions"] == {
        "If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == 0


def test_alarms_cover_api_function_table_indexes_and_a_silent_fleet(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    topic = {"If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], name
        assert len(alarm["AlarmDescription"]) > 30, name
    metrics = {(a.get("Namespace"), a.get("MetricName")) for a in alarms.values()}
    assert {
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "4XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("fleetfit", "ReportsIngested"),
    } <= metrics
    throttled: set[str | None] = set()
    for alarm in alarms.values():
        for query in alarm.get("Metrics", []):
            stat = query.get("MetricStat")
            if stat and stat["Metric"]["MetricName"] in ("ReadThrottleEvents", "WriteThrottleEvents"):
                dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
                assert dims["TableName"] == {"Ref": "FleetTable"}
                throttled.add(dims.get("GlobalSecondaryIndexName"))
    indexes = {i["IndexName"] for i in TABLE_DEFINITION["GlobalSecondaryIndexes"]}
    assert throttled == {None, *indexes}  # the table and every index
    floor = alarms["ReportsIngestedFloorAlarm"]
    assert floor["TreatMissingData"] == "breaching" and floor["ComparisonOperator"] == "LessThanThreshold"
    assert floor["Dimensions"] == [{"Name": "service", "Value": "fleetfit-api"}]  # Powertools' EMF dimension
    topic_props = resources["AlarmTopic"]["Properties"]
    assert topic_props["KmsMasterKeyId"] == "alias/aws/sns"


def test_the_metrics_the_alarms_and_dashboard_read_are_the_ones_the_code_publishes() -> None:
    from fleetfit.api import telemetry

    assert telemetry.SERVICE == "fleetfit-api" and telemetry.metrics.namespace == "fleetfit"
    code = "".join(p.read_text() for p in (ROOT / "functions" / "fleetfit" / "api").glob("*.py"))
    for name in ("ReportsIngested", "DuplicateReports", "NodesDeleted"):
        assert f'"{name}"' in code, name


def test_the_dashboard_is_valid_json_naming_real_resources(template: dict[str, Any]) -> None:
    import re

    body, names = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Sub"]
    resources = set(template["Resources"]) | set(template["Parameters"]) | set(names)
    for ref in re.findall(r"\$\{([A-Za-z0-9:]+)(?:\.Arn)?\}", body):
        assert ref in resources or ref.startswith("AWS::"), ref
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    assert {w["properties"]["title"] for w in widgets} >= {
        "API latency (ms)",
        "Reports",
        "DynamoDB throttles",
        "Alarms",
    }


def test_the_stage_waits_for_the_account_cloudwatch_role(transformed: dict[str, Any]) -> None:
    """First deploy in an account: the stage's access log needs the account's CloudWatch role set first."""
    resources = transformed["Resources"]
    (stage,) = [v for v in resources.values() if v["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert resources["ApiAccessLogs"]["DependsOn"] == "AccountLogRoleReady"
    ready = resources["AccountLogRoleReady"]["Metadata"]["AccountLogRole"]
    assert ready["Fn::If"][:2] == ["SetAccountLogRole", {"Ref": "ApiGatewayAccount"}]


def test_the_transformed_api_has_iam_on_every_explicit_route(transformed: dict[str, Any]) -> None:
    body = transformed["Resources"]["Api"]["Properties"]["Body"]
    operations = [(p, m, op) for p, item in body["paths"].items() for m, op in item.items()]
    assert len(operations) >= 21 and "/{proxy+}" not in body["paths"]
    for path, method, op in operations:
        assert op["security"] == [{"AWS_IAM": []}], (path, method)
        assert op["x-amazon-apigateway-integration"]["type"] == "aws_proxy"

"""SigV4 signing (verified against botocore) and the rule that no secret ever reaches a log or the output."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from probe_fakes import FakeTime, IngestServer, Received, Scripted, make_runtime

from probe_client import logs
from probe_client.__main__ import main
from probe_client.run import EXIT_CONFIG, EXIT_DELIVERED, ProbeArgs, run_probe
from probe_client.transport import api_gateway_region, ingest_url

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789"
BEARER = "s3cr3t-t0ken-value-0123456789"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def probe_logger() -> Iterator[None]:
    """logs.configure() adds a stderr handler and stops propagation: undo it after the test."""
    logger = logging.getLogger(logs.LOGGER)
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    yield
    logger.handlers[:] = handlers
    logger.propagate, logger.level = propagate, level


def verify_sigv4(request: Received, url: str) -> str:
    """Recompute the signature from what the server received; return it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    authorization = request.headers["Authorization"]
    scheme, _, fields = authorization.partition(" ")
    parts = dict(field.strip().split("=", 1) for field in fields.split(","))
    assert scheme == "AWS4-HMAC-SHA256"
    assert parts["Credential"].startswith(f"{ACCESS_KEY}/") and parts["Credential"].endswith(
        "/eu-west-1/execute-api/aws4_request"
    )
    signed = parts["SignedHeaders"].split(";")
    assert {"host", "x-amz-date", "idempotency-key", "content-type", "x-amz-security-token"} <= set(signed)
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() in signed and k.lower() not in ("host", "x-amz-date", "x-amz-security-token")
    }
    replay = AWSRequest(method="POST", url=url, data=request.body, headers=headers)
    replay.context["timestamp"] = request.headers["X-Amz-Date"]
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN), "execute-api", "eu-west-1")
    signer._modify_request_before_signing(replay)
    expected = signer.signature(signer.string_to_sign(replay, signer.canonical_request(replay)), replay)
    assert parts["Signature"] == expected
    return str(expected)


def test_api_gateway_urls() -> None:
    url = "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod"
    assert api_gateway_region(url) == "eu-central-1"
    assert ingest_url(url) == "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod/api/v1/reports"
    assert api_gateway_region("https://fleetfit.example.com") is None


def test_sigv4_signs_each_request_correctly(
    tmp_path: Path, fake_time: FakeTime, server: IngestServer, aws_env: None
) -> None:
    server.fail(1, status=503)  # the retry is signed afresh
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    args = ProbeArgs(endpoint=server.url, sigv4=True, spool_dir=str(tmp_path / "spool"), node_id="n1")
    assert run_probe(args, rt) == EXIT_DELIVERED
    assert len(server.received) == 2
    for request in server.received:
        verify_sigv4(request, f"{server.url}/api/v1/reports")
        assert request.headers["X-Amz-Security-Token"] == SESSION_TOKEN


def test_sigv4_without_credentials_is_bad_configuration(
    tmp_path: Path,
    fake_time: FakeTime,
    server: IngestServer,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    rt = make_runtime(tmp_path / "root", fake_time, stdout=io.StringIO())
    args = ProbeArgs(endpoint=server.url, sigv4=True, spool_dir=str(tmp_path / "spool"), node_id="n1")
    assert run_probe(args, rt) == EXIT_CONFIG
    assert "no AWS credentials" in caplog.text
    assert server.received == []


def test_redactor_scrubs_known_secrets_and_secret_shapes() -> None:
    redactor = logs.Redactor()
    redactor.add([BEARER])
    text = redactor.scrub(
        f"token {BEARER}; Authorization: Bearer abc.def; "
        "Credential=AKIAABCDEFGHIJKLMNOP/20261127/eu-west-1/execute-api/aws4_request, Signature=0123abcd; "
        "X-Amz-Security-Token: FwoGZXIv"
    )
    for secret in (BEARER, "abc.def", "AKIAABCDEFGHIJKLMNOP", "0123abcd", "FwoGZXIv"):
        assert secret not in text
    assert text.startswith("token <redacted>; Authorization: <redacted>")


def test_no_secret_reaches_a_log_line_the_output_or_the_spool(
    tmp_path: Path,
    server: IngestServer,
    token_file: Path,
    aws_env: None,
    probe_logger: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FLEETFIT_LOG_LEVEL", "DEBUG")
    spool = tmp_path / "spool"
    common = ["--spool-dir", str(spool), "--node-id", "n1", "--endpoint", server.url]

    # bearer: delivered; refused as unauthorized; refused for good (dead letter); SigV4: delivered, then 403
    server.script(Scripted(401, {"error": "bad token"}), Scripted(400, {"error": "bad report"}))
    codes = [main(["probe", *common, "--token-file", str(token_file), "--json"]) for _ in range(3)]
    server.script(Scripted(201, {"ok": True}), Scripted(403, {"error": "not allowed"}))
    codes += [main(["probe", *common, "--sigv4"]) for _ in range(2)]
    assert codes == [2, 0, 0, 0, 2]  # run 2 dead-letters the older report, then delivers its own

    # and once more in-process with propagation on, so caplog sees the raw records (before any redaction)
    logging.getLogger(logs.LOGGER).propagate = True
    output = io.StringIO()
    rt = make_runtime(tmp_path / "root", FakeTime(), stdout=output)
    server.script(Scripted(401, {"error": "bad token"}))
    for sigv4 in (False, True, False):
        args = ProbeArgs(endpoint=server.url, spool_dir=str(spool), node_id="n1", json=True, sigv4=sigv4)
        args.token_file = None if sigv4 else str(token_file)
        run_probe(args, rt)

    signatures = [r.headers["Authorization"].rsplit("Signature=", 1)[-1] for r in server.received]
    authorizations = [r.headers["Authorization"] for r in server.received]
    secrets = [BEARER, SECRET_KEY, SESSION_TOKEN, *signatures, *authorizations]
    captured = capsys.readouterr()
    spooled = "".join(p.read_text() for p in spool.rglob("*") if p.is_file())
    assert caplog.records, "the runs logged something"
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in captured.out and secret not in captured.err
        assert secret not in spooled
        assert secret not in output.getvalue()
    assert "fleetfit probe:" in captured.err  # the stderr handler did run

"""Every request shape the CLI (`fleetfit fleet ...`) and the probe send, signed with SigV4 and checked by an
independent verifier written from the SigV4 specification (tests/sigv4_spec.py, no botocore) as API Gateway
would check it on arrival: values with spaces, '+', ',', '/', unicode and base64 page tokens included."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fleetfit.cli import main

from tests.sigv4_spec import BadSignature, canonical_query, uri_encode, verify

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-1"
TOKEN = "eyJrIjogIm4rMS9hPT0ifQ+/=="  # a page token with every base64 character that needs encoding


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Recorder.seen.append(
            {"method": self.command, "target": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        first_page = "next_token" not in self.path
        answer: dict[str, Any] = {"nodes": [], "next_token": TOKEN if first_page else None}
        data = json.dumps(answer).encode()
        self.send_response(201 if self.path.endswith("/reports") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FLEETFIT_TOKEN", raising=False)
    _Recorder.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/prod"
    finally:
        srv.shutdown()
        srv.server_close()


def _verify_all() -> list[str]:
    assert _Recorder.seen, "no request reached the server"
    out = []
    for request in _Recorder.seen:
        verify(
            request["method"],
            request["target"],
            request["headers"],
            request["body"],
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            region=REGION,
        )
        out.append(request["target"])
    return out


def test_the_verifier_matches_the_specifications_own_example() -> None:
    """AWS's worked example (IAM ListUsers, 2015-08-30): the verifier accepts it and refuses one byte off."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Host": "iam.amazonaws.com",
        "X-Amz-Date": "20150830T123600Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    }
    target = "/?Action=ListUsers&Version=2010-05-08"
    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "region": "us-east-1", "service": "iam"}
    verify("GET", target, headers, b"", **keys)
    with pytest.raises(BadSignature):
        verify("GET", target.replace("2010", "2011"), headers, b"", **keys)


def test_the_verifier_reads_plus_as_a_space_as_api_gateway_does() -> None:
    assert canonical_query("gpu=RTX+4090&b=a%2Cb") == "b=a%2Cb&gpu=RTX%204090"
    assert uri_encode("Qwen/Qwen3 8B~") == "Qwen%2FQwen3%208B~"


@pytest.mark.parametrize(
    "argv",
    [
        ["nodes"],
        ["nodes", "--limit", "5"],
        ["which", "Qwen/Qwen3-8B", "--gpu", "RTX 4090", "--backend", "cuda", "--min-fit", "good"],
        [
            "which",
            "meta-llama/Llama 3+ (8B)",
            "--quant",
            "Q4_K_M",
            "--max-context",
            "8192",
            "--sort",
            "score",
            "--fresh-only",
            "--all",
        ],  # fmt: skip
        ["which", "Qwen/Qwen3-8B", "--gpu", "Tesla V100-SXM2 32GB ünï"],
        ["compare", "node a", "node+b", "i-0abc", "--model", "Qwen/Qwen3-8B"],
        ["compare", "a", "b", "--limit", "3"],
        ["summary"],
        ["place", "Qwen/Qwen3-8B", "--replicas", "3", "--gpu", "RTX 4090", "--include-stale"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_every_cli_request_carries_a_signature_api_gateway_accepts(recorder: str, argv: list[str]) -> None:
    assert main(["fleet", *argv, "--endpoint", recorder, "--sigv4", "--json"]) == 0
    targets = _verify_all()
    assert all(t.startswith("/prod/api/v1/") for t in targets)
    assert not any("+" in t.partition("?")[2] for t in targets), targets  # '+' would read as a space


def test_paged_cli_requests_sign_the_page_token(recorder: str) -> None:
    assert main(["fleet", "nodes", "--endpoint", recorder, "--sigv4", "--json"]) == 0
    targets = _verify_all()
    assert len(targets) == 2 and "next_token=" in targets[1]


def test_every_probe_request_carries_a_signature_api_gateway_accepts(recorder: str) -> None:
    from probe_client.transport import Sender, SigV4Auth, ingest_url

    for endpoint in (recorder, recorder + "/", recorder.replace("/prod", "/stage with space")):
        url = ingest_url(endpoint)
        sender = Sender(url=url, auth=SigV4Auth.from_environment(None, url))
        body = json.dumps({"node_id": "i-0abc", "cpu_name": "Ünïcode + CPU"}, ensure_ascii=False).encode()
        assert sender.post(body, "report-1").status == 201
    _verify_all()


def test_a_signature_over_plus_encoded_spaces_is_refused() -> None:
    """What the CLI sent before the fix (urlencode: gpu=RTX+4090), signed by botocore as given: API Gateway
    reads a space and computes another canonical request, so the signature does not match."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = "http://127.0.0.1:1/prod/api/v1/fleet/models/x?gpu=RTX+4090"
    request = AWSRequest(method="GET", url=url, headers={})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "execute-api", REGION).add_auth(request)
    headers = {**dict(request.headers.items()), "Host": "127.0.0.1:1"}
    with pytest.raises(BadSignature):
        verify("GET", url.split(":1", 1)[1], headers, b"", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
               region=REGION)  # fmt: skip


def test_the_signer_refuses_a_query_it_would_sign_differently_from_api_gateway(recorder: str) -> None:
    from probe_client.transport import SigV4Auth, encode_query

    auth = SigV4Auth.from_environment(None, recorder)
    assert encode_query({"gpu": "RTX 4090", "a": "x+y/z"}) == "a=x%2By%2Fz&gpu=RTX%204090"
    with pytest.raises(ValueError, match="canonical"):
        auth.sign("GET", recorder + "/api/v1/nodes?gpu=RTX+4090", b"", {})
    auth.sign("GET", recorder + "/api/v1/nodes?" + encode_query({"gpu": "RTX 4090"}), b"", {})

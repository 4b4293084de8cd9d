"""Login sessions, DNS rebinding and CSRF on `fleetfit serve`, and the SigV4-signing `fleetfit dashboard`
proxy against a fake API Gateway that verifies each signature independently (tests/sigv4_spec.py)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from fleetfit.dashboard import web
from fleetfit.dashboard.proxy import DashboardProxy, ProxyConfigError

from tests.dashboard.conftest import TOKEN, DashboardServer
from tests.sigv4_spec import verify


def send(
    url: str, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    sent = {"Host": parts.netloc, **(headers or {})}
    if body or method == "POST":
        sent.setdefault("Content-Length", str(len(body)))
    for name, value in sent.items():
        if value is not None:
            conn.putheader(name, value)
    conn.endheaders(body or None)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, {k: v for k, v in resp.getheaders()}, raw


def log_in(server: DashboardServer, token: str = TOKEN, **headers: str) -> tuple[int, dict[str, str], bytes]:
    origin = server.url
    return send(server.url, "POST", "/login", body=f"token={token}".encode(),
                headers={"Origin": origin, "Content-Type": "application/x-www-form-urlencoded", **headers})  # fmt: skip


def session_of(headers: dict[str, str]) -> str:
    cookie = headers["Set-Cookie"]
    return cookie.split(";", 1)[0].split("=", 1)[1]


def test_login_sets_a_strict_httponly_cookie_that_is_not_the_token(dashboard_server: DashboardServer) -> None:
    status, headers, _ = log_in(dashboard_server)
    assert status == 303 and headers["Location"] == "/"
    flags = [f.strip() for f in headers["Set-Cookie"].split(";")]
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(flags) and "Secure" not in flags
    sid = session_of(headers)
    assert len(sid) >= 40 and TOKEN not in sid
    status, _, body = send(
        dashboard_server.url, "GET", "/api/v1/fleet/summary", headers={"Cookie": f"fleetfit_session={sid}"}
    )
    assert status == 200 and json.loads(body)["nodes"]["total"] == 7


def test_the_cookie_is_secure_behind_https(dashboard_server: DashboardServer) -> None:
    status, headers, _ = log_in(dashboard_server, **{"X-Forwarded-Proto": "https"})
    assert status == 303 and "Secure" in [f.strip() for f in headers["Set-Cookie"].split(";")]


def test_a_wrong_token_gets_no_session(dashboard_server: DashboardServer) -> None:
    status, headers, body = log_in(dashboard_server, token="wrong-token-0123456789")
    assert status == 401 and "Set-Cookie" not in headers and b"not this server" in body
    forged = send(dashboard_server.url, "GET", "/api/v1/nodes", headers={"Cookie": "fleetfit_session=forged"})
    assert forged[0] == 401


def test_the_token_is_never_taken_from_a_url(dashboard_server: DashboardServer) -> None:
    for path in (f"/login?token={TOKEN}", f"/api/v1/nodes?token={TOKEN}", f"/?token={TOKEN}"):
        method = "POST" if path.startswith("/login") else "GET"
        status, headers, _ = send(dashboard_server.url, method, path, headers={"Origin": dashboard_server.url})
        assert status in (303, 401) and "Set-Cookie" not in headers, path
        assert headers.get("Location") in (None, "/login")


def test_logout_ends_the_session_on_the_server(dashboard_server: DashboardServer) -> None:
    sid = session_of(log_in(dashboard_server)[1])
    cookie = {"Cookie": f"fleetfit_session={sid}"}
    assert send(dashboard_server.url, "POST", "/logout", headers=cookie)[0] == 403  # no Origin: refused
    status, headers, _ = send(
        dashboard_server.url, "POST", "/logout", headers={**cookie, "Origin": dashboard_server.url}
    )
    assert status == 303 and headers["Location"] == "/login" and "Max-Age=0" in headers["Set-Cookie"]
    assert send(dashboard_server.url, "GET", "/api/v1/nodes", headers=cookie)[0] == 401


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8787", "127.0.0.1.evil.example", "localhost.evil.example"]
)
def test_a_foreign_host_name_is_refused_dns_rebinding(dashboard_server: DashboardServer, host: str) -> None:
    for path in ("/", "/api/v1/nodes", "/login", "/health"):
        status, headers, body = send(
            dashboard_server.url, "GET", path, headers={"Host": host, "Authorization": f"Bearer {TOKEN}"}
        )
        assert status == 421 and "not this server" in json.loads(body)["error"], (host, path)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:9", "[::1]:80", "10.1.2.3"])
def test_own_names_and_ip_literals_are_served(dashboard_server: DashboardServer, host: str) -> None:
    status, _, _ = send(dashboard_server.url, "GET", "/health", headers={"Host": host})
    assert status == 200


def test_cross_site_requests_that_change_state_are_refused(dashboard_server: DashboardServer) -> None:
    sid = session_of(log_in(dashboard_server)[1])
    body = json.dumps({"model": "Qwen/Qwen3-8B", "replicas": 1}).encode()
    json_type = {"Content-Type": "application/json"}
    cookie = {"Cookie": f"fleetfit_session={sid}", **json_type}
    url = dashboard_server.url
    refused = [
        {**cookie, "Origin": "http://evil.example"},
        {**cookie},  # cookie auth, neither Origin nor Referer
        {**cookie, "Origin": "null"},
        {**cookie, "Referer": "http://evil.example/page"},
        {"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example", **json_type},
    ]
    for headers in refused:
        status, _, answer = send(url, "POST", "/api/v1/fleet/placement", headers=headers, body=body)
        assert status == 403 and "error" in json.loads(answer), headers
    for headers in (
        {**cookie, "Origin": url},
        {**cookie, "Referer": url + "/#/which"},
        {"Authorization": f"Bearer {TOKEN}", **json_type},
    ):
        status, _, answer = send(url, "POST", "/api/v1/fleet/placement", headers=headers, body=body)
        assert status == 200, (headers, answer)
    login_csrf = send(url, "POST", "/login", headers={"Origin": "http://evil.example"}, body=f"token={TOKEN}".encode())
    assert login_csrf[0] == 403 and "Set-Cookie" not in login_csrf[1]


def test_session_reports_how_the_page_is_authenticated(dashboard_server: DashboardServer) -> None:
    sid = session_of(log_in(dashboard_server)[1])
    answers = {
        "cookie": {"Cookie": f"fleetfit_session={sid}"},
        "bearer": {"Authorization": f"Bearer {TOKEN}"},
        "required": {},
    }
    for state, headers in answers.items():
        status, _, body = send(dashboard_server.url, "GET", "/session", headers=headers)
        assert status == 200 and json.loads(body) == {"auth": state}


def test_sessions_expire_and_are_bounded() -> None:
    sessions = web.Sessions(ttl_s=-1)
    assert not sessions.valid(sessions.create())
    bounded = web.Sessions(limit=2)
    first = bounded.create()
    bounded.create()
    bounded.create()
    assert not bounded.valid(first)


# -- the SigV4 proxy ----------------------------------------------------------------------------------------

ACCESS, SECRET, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1"


class _Upstream(BaseHTTPRequestHandler):
    """A fake API Gateway: verifies the signature as AWS would, then answers with what it saw."""

    seen: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            verify(
                self.command,
                self.path,
                dict(self.headers.items()),
                body,
                access_key=ACCESS,
                secret_key=SECRET,
                region=REGION,
            )
            status, answer = 200, {"path": self.path, "method": self.command, "body": body.decode()}
        except AssertionError as exc:
            status, answer = 403, {"error": f"bad signature: {exc}"}
        self.seen.append({"path": self.path, "headers": dict(self.headers.items())})
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET  # noqa: N815


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    from botocore.credentials import Credentials

    from probe_client.transport import SigV4Auth

    _Upstream.seen = []
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    auth = SigV4Auth(REGION, Credentials(ACCESS, SECRET))
    server = DashboardProxy(f"http://127.0.0.1:{upstream.server_address[1]}/prod", auth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Upstream.seen
    server.shutdown()
    server.server_close()
    upstream.shutdown()
    upstream.server_close()


def test_the_proxy_signs_api_calls_and_serves_the_page(proxy: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = proxy
    status, _, body = send(url, "GET", "/api/v1/fleet/matrix?top=5&search=Qwen3+8B&use_case=coding")
    assert status == 200, body
    answer = json.loads(body)
    assert answer["path"] == "/prod/api/v1/fleet/matrix?search=Qwen3%208B&top=5&use_case=coding"
    assert seen[-1]["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    status, _, body = send(url, "GET", "/api/v1/fleet/models/Qwen/Qwen3-8B")
    assert status == 200 and json.loads(body)["path"] == "/prod/api/v1/fleet/models/Qwen/Qwen3-8B"
    placement = json.dumps({"model": "Qwen/Qwen3-8B"}).encode()
    status, _, body = send(url, "POST", "/api/v1/fleet/placement", body=placement,
                           headers={"Origin": url, "Content-Type": "application/json"})  # fmt: skip
    assert status == 200 and json.loads(body)["body"] == placement.decode()
    status, headers, page = send(url, "GET", "/")
    assert status == 200 and b"/dashboard/app.js" in page and "Content-Security-Policy" in headers
    assert json.loads(send(url, "GET", "/session")[2]) == {"auth": "sigv4"}
    calls = len(seen)
    for path in ("/health", "/login", "/dashboard/../x", "/api/v2/x"):
        assert send(url, "GET", path)[0] == 404
    assert len(seen) == calls  # only /api/v1/ is forwarded


def test_the_proxy_refuses_rebinding_and_cross_site_writes(proxy: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = proxy
    assert send(url, "GET", "/api/v1/nodes", headers={"Host": "evil.example:8788"})[0] == 421
    body = json.dumps({"model": "x"}).encode()
    for headers in ({"Origin": "http://evil.example"}, {}):
        status, _, _ = send(
            url, "POST", "/api/v1/fleet/placement", body=body, headers={"Content-Type": "application/json", **headers}
        )
        assert status == 403
    assert seen == []  # nothing reached the API, signed or not


def test_the_proxy_takes_only_a_plain_base_url() -> None:
    for endpoint in ("ftp://x", "https://user:pw@x.example/prod", "https://x.example/prod?a=1", "not a url"):
        with pytest.raises(ProxyConfigError):
            DashboardProxy(endpoint, auth=None)


def test_fleetfit_dashboard_says_what_is_wrong(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fleetfit.cli import main

    assert main(["dashboard", "--endpoint", "ftp://x.example"]) == 2
    assert "--endpoint must be an http(s) URL" in capsys.readouterr().err
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["dashboard", "--endpoint", "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err

"""`fleetfit dashboard --endpoint URL`: the dashboard on loopback for a fleet on AWS, as `kubectl proxy` does.

The page and its files are served from this package; the page's ``/api/v1/...`` calls are forwarded to the
API Gateway endpoint, each signed with SigV4 (botocore's signer, the operator's standard credential chain:
env, profile, SSO, credential_process). Nothing but ``/api/v1/`` is forwarded, the browser never sees a
credential, and the proxy refuses what a hostile page could send it: a foreign Host (DNS rebinding, 421) and a
state-changing request without this origin's Origin or Referer (CSRF, 403). It binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from fleetfit.dashboard import SECURITY_HEADERS, asset, web

LOOPBACK = "127.0.0.1"
FORWARDED_PREFIX = "/api/v1/"
MAX_BODY = 1024 * 1024
TIMEOUT_S = 30.0
_PASSED_RESPONSE_HEADERS = ("Content-Type", "Content-Encoding", "Retry-After", "Location")


class ProxyConfigError(ValueError):
    """The proxy cannot start as asked (the message says why)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # an answer is relayed as it came, never followed with the signature elsewhere


_OPENER = urllib.request.build_opener(_NoRedirect)


def _canonical_target(base_path: str, path: str, query: str) -> str:
    """The upstream path (once-encoded, as SigV4 signs it) and its query in canonical form."""
    from probe_client.transport import encode_query_pairs

    target = base_path + quote(unquote(path), safe="/")
    pairs = parse_qsl(query, keep_blank_values=True)
    return target + (f"?{encode_query_pairs(pairs)}" if pairs else "")


class _Handler(BaseHTTPRequestHandler):
    server: DashboardProxy
    protocol_version = "HTTP/1.1"
    server_version = "fleetfit-dashboard"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: a request line would carry the query of every call."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._reply(*self._respond())

    do_POST = do_DELETE = do_HEAD = do_PUT = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        self.close_connection = True
        return status, {"Content-Type": "application/json"}, json.dumps({"error": message}).encode()

    def _respond(self) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.path)
        path = parts.path or "/"
        refusal = web.host_refusal(self.headers.get("Host"), self.server.allowed)
        if refusal is not None:
            return self._error(421, refusal)
        refusal = web.origin_refusal(self.command, self.headers, cookie_auth=True)  # the signature is ambient
        if refusal is not None:
            return self._error(403, refusal)
        if path.startswith(FORWARDED_PREFIX):
            return self._forward(path, parts.query)
        if self.command not in ("GET", "HEAD"):
            return self._error(405, f"only /api/v1/ takes {self.command[:16]}")
        if path == "/session":
            return 200, {"Content-Type": "application/json"}, b'{"auth": "sigv4"}'
        name = (
            "index.html"
            if path == "/"
            else path.removeprefix("/dashboard/")
            if path.startswith("/dashboard/")
            else None
        )
        found = asset(name) if name and name != "login.html" else None
        if found is None:
            return self._error(404, f"no route {self.command} {path[:200]}")
        return 200, {**SECURITY_HEADERS, "Content-Type": found[1]}, found[0]

    def _forward(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        declared = self.headers.get("Content-Length") or "0"
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return self._error(413, f"body over {MAX_BODY} bytes")
        body = self.rfile.read(int(declared)) if int(declared) else b""
        url = self.server.base + _canonical_target(self.server.base_path, path, query)
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip", "User-Agent": "fleetfit-dashboard"}
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Type"] = self.headers.get("Content-Type") or "application/json"
        try:
            signed = self.server.auth.sign(self.command, url, body, headers)
        except Exception as exc:  # noqa: BLE001 - credentials expired or unreadable: tell the page why
            return self._error(502, f"could not sign the request with your AWS credentials: {type(exc).__name__}")
        request = urllib.request.Request(url, data=body or None, headers=signed, method=self.command)
        try:
            with _OPENER.open(request, timeout=TIMEOUT_S) as response:
                status, reply_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, reply_headers, raw = exc.code, exc.headers, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return self._error(502, f"the endpoint did not answer: {type(reason).__name__}")
        out = {k: str(reply_headers[k]) for k in _PASSED_RESPONSE_HEADERS if reply_headers and reply_headers.get(k)}
        return status, out, raw


def check_endpoint(endpoint: str) -> Any:
    """The endpoint's parts, after checking it is a plain http(s) base URL (else ProxyConfigError)."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProxyConfigError(f"--endpoint must be an http(s) URL, not {endpoint[:100]!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ProxyConfigError("--endpoint must be a base URL without credentials, ?query or #fragment")
    return parts


class DashboardProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, endpoint: str, auth: Any, port: int = 0) -> None:
        parts = check_endpoint(endpoint)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.base_path = quote(unquote(parts.path.rstrip("/")), safe="/")
        self.auth = auth
        self.allowed = web.allowed_hosts(LOOPBACK, (), loopback=True)
        super().__init__((LOOPBACK, port), _Handler)


def run_proxy(endpoint: str, *, port: int = 8788, region: str | None = None, out: Any = None) -> int:
    from probe_client.transport import ConfigError, SigV4Auth

    check_endpoint(endpoint)  # before looking for credentials: a bad URL is the first thing to say
    try:
        auth = SigV4Auth.from_environment(region, endpoint)
    except ConfigError as exc:
        raise ProxyConfigError(str(exc)) from exc
    server = DashboardProxy(endpoint, auth, port)
    out = out or sys.stderr
    print(f"fleetfit dashboard on http://{LOOPBACK}:{server.server_address[1]}/ (API calls signed for {endpoint})",
          file=out, flush=True)  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

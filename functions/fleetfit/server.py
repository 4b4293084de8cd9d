"""`fleetfit serve`: the same API on one machine — HTTP requests become API Gateway REST events and go
through the Lambda's own ``handle_event``, with the embedded SQLite store and the bundled catalog.

When a token is configured every route but ``/health`` (and the login form's stylesheet) needs
``Authorization: Bearer <token>`` or the dashboard's session cookie, loopback included; the dashboard's
``/login`` form trades the token for that cookie once (``fleetfit.dashboard.web``: sessions, the Host check
against DNS rebinding, the Origin check against cross-site writes, all applied here before routing). Bound
beyond loopback, the server refuses to start without a token. The token and the cookie never enter an event
or a log line.

Connections are bounded so that no client can starve the others: a listen backlog of 128, a socket timeout
on every connection (a silent or half-open one is closed), at most MAX_CONNECTIONS handler threads and
MAX_PER_CLIENT of them per source address; a connection past a bound is answered 503 with Retry-After at once.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import socket
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fleetfit.contract import Report
from fleetfit.dashboard import web

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
_DISCARD_LIMIT = 32 * 1024 * 1024
# Listen backlog: socketserver's default of 5 reset 53-77 of 100 simultaneous clients (issue 11); 128 is the
# Linux default somaxconn before 5.4 and reset none.
LISTEN_BACKLOG = 128
CONNECTION_TIMEOUT_S = 10.0  # a connection silent this long (between bytes) is closed
MAX_CONNECTIONS = 256  # handler threads at once (each holds a thread while its connection is open)
MAX_PER_CLIENT = 64  # of them per source address: one client cannot take every thread
_BUSY_RETRY_AFTER_S = 1
# Never copied into an event: hop-by-hop headers and credentials (the token, the dashboard's session cookie).
_HOP_BY_HOP = {"authorization", "connection", "cookie", "keep-alive", "proxy-authorization", "transfer-encoding"}
_LOGIN_BODY_LIMIT = 4096
_AUTH_PATHS = ("/login", "/logout", "/session")
# Answered without a token: liveness, and the stylesheet the login form needs (no data in either).
_PUBLIC_PATHS = ("/health", "/dashboard/style.css")


class ServerConfigError(ValueError):
    """The server must not start as configured (the message says why and what to do)."""


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def read_token(token_file: str | None, environ: dict[str, str]) -> str | None:
    if token_file:
        token = Path(token_file).expanduser().read_text(encoding="utf-8").strip()
        if not token:
            raise ServerConfigError(f"token file {token_file} is empty")
        return token
    token = environ.get("FLEETFIT_TOKEN", "").strip()
    return token or None


def check_bind(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise ServerConfigError(
            f"refusing to listen on {host} without a token: anyone who can reach it could write reports. "
            "Set FLEETFIT_TOKEN or --token-file, or bind to 127.0.0.1"
        )
    if token is not None and len(token) < 16:
        raise ServerConfigError("the token is shorter than 16 characters; use a long random one")


def _json_reply(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps({"error": message}).encode()


_METHODS = "GET, POST, DELETE"


class _Handler(BaseHTTPRequestHandler):
    server: FleetfitHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "fleetfit"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.connection_timeout_s  # StreamRequestHandler sets it on the socket
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            self._serve()
        except TimeoutError:  # the client stopped sending its body: drop the connection
            self.close_connection = True

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, a method it has no handler for such as TRACE or
        CONNECT, a URI or header too long, a timeout) answered in JSON like every other error, never an HTML
        page."""
        self.close_connection = True
        method = str(getattr(self, "command", "") or "")
        if code == 501 and method:  # http.server's answer to a method without a do_ handler
            code, message = 405, f"method {method[:16]!r} is not allowed here; use {_METHODS}"
        short = self.responses.get(code, ("error", ""))[0]
        body = json.dumps({"error": (message or short)[:200]}).encode()
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":  # a line it could not parse: answer HTTP/1.1
            self.request_version = "HTTP/1.1"
        try:
            self.send_response(code, short)
            if code == 405:
                self.send_header("Allow", _METHODS)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if method != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:  # the client is gone (a half-open connection closed): nothing to tell it
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """The handler logs each request (without query or headers); http.server's line would repeat it."""

    def _serve(self) -> None:
        status, headers, body = self._respond()
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _respond(self) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.path)
        path = parts.path or "/"
        refusal = web.host_refusal(self.headers.get("Host"), self.server.allowed_hosts)
        if refusal is not None:  # DNS rebinding: a foreign name pointed at this address
            self._refuse_body()
            return _json_reply(421, refusal)
        if path in _AUTH_PATHS:
            return self._auth_route(path)
        auth = self._auth()
        if auth == "missing":
            self._refuse_body()
            if self.command in ("GET", "HEAD") and (path == "/" or path.startswith("/dashboard/")):
                return 303, {"Location": "/login", "Content-Type": "text/plain"}, b"log in at /login"
            status, headers, body = _json_reply(401, "missing or invalid bearer token")
            headers["WWW-Authenticate"] = 'Bearer realm="fleetfit"'
            return status, headers, body
        refusal = web.origin_refusal(self.command, self.headers, cookie_auth=auth == "cookie")
        if refusal is not None:  # a cross-site request from a browser (CSRF)
            self._refuse_body()
            return _json_reply(403, refusal)
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError:
            self.close_connection = True
            return _json_reply(400, "Content-Length is not a number")
        if length < 0 or length > self.server.max_body_bytes:
            self.close_connection = True
            self._discard(length)  # so the client can read our answer instead of a reset
            return _json_reply(413, f"body is {length} bytes; the limit is {self.server.max_body_bytes}")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            return _json_reply(411, "send a Content-Length (chunked bodies are not accepted)")
        raw = self.rfile.read(length) if length else b""
        try:
            text = raw.decode("utf-8") if raw else None
            b64 = False
        except UnicodeDecodeError:
            text, b64 = base64.b64encode(raw).decode(), True
        event = self._event(path, parts.query, text, b64)
        with self.server.lock:  # the resolver keeps per-request state: one request at a time
            reply = self.server.handle(event)
        return _from_proxy(reply)

    def _refuse_body(self) -> None:
        self.close_connection = True
        declared = self.headers.get("Content-Length") or "0"
        self._discard(int(declared) if declared.isdigit() else 0)

    def _auth(self) -> str:
        """How this request authenticates: "none" (no token configured, or /health), "bearer", "cookie" (a
        dashboard session), or "missing"."""
        if self.server.token is None or urlsplit(self.path).path in _PUBLIC_PATHS:
            return "none"
        if self._token_ok():
            return "bearer"
        if self.server.sessions.valid(web.cookie_value(self.headers.get("Cookie"))):
            return "cookie"
        return "missing"

    def _auth_route(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """The dashboard's login form, its POST, log out, and what the page asks to show a log-out button."""
        method, token = self.command, self.server.token
        if path == "/session" and method in ("GET", "HEAD"):
            state = {"none": "none", "bearer": "bearer", "cookie": "cookie", "missing": "required"}[self._auth()]
            return (
                200,
                {"Content-Type": "application/json", "Cache-Control": "no-store"},
                json.dumps({"auth": state}).encode(),
            )
        if path == "/login" and method in ("GET", "HEAD"):
            if token is None:
                return 303, {"Location": "/", "Content-Type": "text/plain"}, b"no token needed here"
            return self._login_page(200, "")
        if method != "POST" or path == "/session":
            self._refuse_body()
            status, headers, body = _json_reply(405, f"method {method[:16]!r} is not allowed on {path}")
            headers["Allow"] = "POST" if path == "/logout" else "GET, POST" if path == "/login" else "GET"
            return status, headers, body
        secure = web.is_https(self.headers)
        if path == "/logout":
            refusal = web.origin_refusal(method, self.headers, cookie_auth=True)
            self._refuse_body()
            if refusal is not None:
                return _json_reply(403, refusal)
            self.server.sessions.end(web.cookie_value(self.headers.get("Cookie")))
            return 303, {"Location": "/login" if token else "/", "Set-Cookie": web.cleared_cookie(secure=secure),
                         "Content-Type": "text/plain", "Cache-Control": "no-store"}, b"logged out"  # fmt: skip
        refusal = web.origin_refusal(method, self.headers, cookie_auth=False)
        declared = self.headers.get("Content-Length") or "0"
        length = int(declared) if declared.isdigit() else -1
        if refusal is not None or token is None or not 0 <= length <= _LOGIN_BODY_LIMIT:
            self._refuse_body()
            if refusal is not None:
                return _json_reply(403, refusal)
            if token is None:
                return 303, {"Location": "/", "Content-Type": "text/plain"}, b"no token needed here"
            return _json_reply(413, f"a login form is at most {_LOGIN_BODY_LIMIT} bytes")
        given = web.form_token(self.rfile.read(length) if length else b"")
        if not web.token_matches(given, token):
            return self._login_page(401, "That token is not this server's.")
        headers = {"Location": "/", "Content-Type": "text/plain", "Cache-Control": "no-store",
                   "Set-Cookie": web.session_cookie(self.server.sessions.create(), secure=secure)}  # fmt: skip
        return 303, headers, b"logged in"

    def _login_page(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        from html import escape

        from fleetfit.dashboard import SECURITY_HEADERS, asset

        found = asset("login.html")
        assert found is not None, "login.html ships with the package"
        note = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
        body = found[0].replace(b"<!--message-->", note.encode())
        return status, {**SECURITY_HEADERS, "Content-Type": found[1], "Cache-Control": "no-store"}, body

    def _discard(self, length: int) -> None:
        """Read and drop a refused body, up to a bound (beyond it, the connection just closes)."""
        left = min(length, _DISCARD_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)

    def _token_ok(self) -> bool:
        assert self.server.token is not None
        given = self.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.server.token)

    def _event(self, path: str, query: str, body: str | None, b64: bool) -> dict[str, Any]:
        multi_q = parse_qs(query, keep_blank_values=True) if query else {}
        if self.server.this_machine is not None:  # drop-in mode: llmfit's routes are for this machine
            from fleetfit.dropin import with_node

            multi_q = with_node(path, multi_q, self.server.this_machine)
        headers: dict[str, str] = {}
        multi_h: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            if name.lower() in _HOP_BY_HOP:
                continue  # the token never enters the event
            headers[name] = value
            multi_h.setdefault(name, []).append(value)
        return {
            "resource": "/{proxy+}",
            "path": path,
            "httpMethod": self.command,
            "headers": headers,
            "multiValueHeaders": multi_h,
            "queryStringParameters": {k: v[-1] for k, v in multi_q.items()} or None,
            "multiValueQueryStringParameters": multi_q or None,
            "pathParameters": {"proxy": path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "resourcePath": "/{proxy+}",
                "httpMethod": self.command,
                "path": path,
                "stage": "$default",
                "requestId": str(uuid.uuid4()),
                "identity": {
                    "sourceIp": self.client_address[0],
                    "userAgent": self.headers.get("User-Agent"),
                    "userArn": None,
                    "user": "local",
                },
            },
            "body": body,
            "isBase64Encoded": b64,
        }


def _from_proxy(reply: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers: dict[str, str] = {k: str(v) for k, v in (reply.get("headers") or {}).items()}
    for name, values in (reply.get("multiValueHeaders") or {}).items():
        if values:
            headers[name] = ", ".join(str(v) for v in values)
    body = reply.get("body") or ""
    data = base64.b64decode(body) if reply.get("isBase64Encoded") else str(body).encode()
    return int(reply.get("statusCode", 500)), headers, data


class FleetfitHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self, address: tuple[str, int], *, token: str | None, max_body_bytes: int, allow_hosts: tuple[str, ...] = ()
    ) -> None:
        self.token = None if token is None else token.encode()
        self.sessions = web.Sessions()
        self.allowed_hosts = web.allowed_hosts(address[0], allow_hosts, loopback=is_loopback(address[0]))
        self.this_machine: str | None = None  # drop-in mode: the node llmfit's routes answer for
        self.max_body_bytes = max_body_bytes
        self.lock = threading.Lock()
        self.connection_timeout_s = CONNECTION_TIMEOUT_S
        self.max_connections = MAX_CONNECTIONS
        self.max_per_client = MAX_PER_CLIENT
        self._open: Counter[str] = Counter()  # handler threads per source address
        self._open_lock = threading.Lock()
        self.refused = 0  # connections answered 503 because a bound was reached
        from fleetfit.api.handler import handle_event

        self.handle = handle_event
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request is routine, not a traceback on stderr; anything else is printed."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def open_connections(self) -> int:
        with self._open_lock:
            return sum(self._open.values())

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a handler thread, unless the bounds are reached: then answer 503 at once and close."""
        client = str(client_address[0])
        with self._open_lock:
            full = sum(self._open.values()) >= self.max_connections or self._open[client] >= self.max_per_client
            if not full:
                self._open[client] += 1
        if full:
            self.refused += 1
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(client)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(str(client_address[0]))

    def _release(self, client: str) -> None:
        with self._open_lock:
            self._open[client] -= 1
            if self._open[client] <= 0:
                del self._open[client]

    def _refuse(self, request: Any) -> None:
        body = json.dumps({"error": "the server is busy: too many open connections; retry"}).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Retry-After: {_BUSY_RETRY_AFTER_S}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            request.setblocking(False)  # the accepting thread never waits on a client
            request.send(head.encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    db_path: str | None = None,
    token: str | None = None,
    allow_hosts: tuple[str, ...] = (),
    this_machine: Report | None = None,
) -> FleetfitHTTPServer:
    """Configure the API for one machine (SQLite + bundled catalog + token auth) and bind the server.
    `this_machine`: drop-in mode (fleetfit.dropin): loopback only, no token, llmfit's routes answer for
    this report's node."""
    if this_machine is not None:
        from fleetfit.dropin import check_this_machine_bind

        try:
            check_this_machine_bind(host)
        except ValueError as exc:
            raise ServerConfigError(str(exc)) from exc
        if token is not None:
            raise ServerConfigError("--this-machine answers llmfit's clients without a token; drop the token")
    check_bind(host, token)
    from fleetfit.api import services
    from fleetfit.api.settings import Settings
    from fleetfit.api.telemetry import set_metrics_enabled

    set_metrics_enabled(False)
    settings = Settings(
        auth_mode="local", db_path=db_path, table_name=None, catalog_bucket=None, max_response_bytes=None
    )
    services.configure(services.build_services(settings))
    server = FleetfitHTTPServer(
        (host, port), token=token, max_body_bytes=settings.max_body_bytes, allow_hosts=allow_hosts
    )
    if this_machine is not None:
        from datetime import UTC, datetime

        services.current().store.put_report(this_machine, received_at=datetime.now(UTC))
        server.this_machine = this_machine.node_id
    from fleetfit.api.handler import warm_up

    warm_up()
    return server


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    db_path: str | None = None,
    token: str | None = None,
    allow_hosts: tuple[str, ...] = (),
    out: Any = None,
    this_machine: Report | None = None,
) -> int:
    import sys

    out = out or sys.stderr
    server = make_server(host, port, db_path=db_path, token=token, allow_hosts=allow_hosts, this_machine=this_machine)
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    store = services_db_path()
    print(
        f"fleetfit API on http://{bound_host}:{bound_port} (store {store}; "
        f"{'bearer token required' if token else 'no token: loopback only'}"
        + (f"; drop-in for llmfit clients: node {server.this_machine}" if server.this_machine else "")
        + f"); dashboard at http://{bound_host}:{bound_port}/",
        file=out,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def services_db_path() -> str:
    from fleetfit.api.services import current

    store: Any = current().store
    return str(getattr(store, "path", "?"))

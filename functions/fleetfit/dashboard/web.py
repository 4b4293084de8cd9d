"""What a browser needs from a local server (`fleetfit serve`, `fleetfit dashboard`): a Host check against
DNS rebinding, an Origin check against cross-site requests, and login sessions held in an HttpOnly,
SameSite=Strict cookie (the token itself never leaves the login form's one POST).

- **Host**: a page on ``evil.example`` whose name is re-pointed at 127.0.0.1 reaches a loopback server with
  ``Host: evil.example``. Only the names the server was bound as (and ``localhost`` for a loopback bind, the
  machine's own names for a wildcard bind, and ``--allow-host`` names) are served; IP literals always are
  (rebinding needs a name). Anything else is 421.
- **Origin**: a request that changes state (anything but GET, HEAD, OPTIONS) and carries ``Origin`` (every
  browser sends it on such requests) must come from this server's own origin (its Host); one that
  authenticates with the session cookie must carry ``Origin`` or ``Referer``. Programs (the probe, the CLI)
  send neither and authenticate with a bearer token or SigV4, which a browser never adds on its own.
- **Sessions**: random 256-bit ids in memory, 12 hours; log out forgets the id. The cookie is
  ``HttpOnly; SameSite=Strict; Path=/`` and ``Secure`` when the request came over HTTPS (a TLS proxy in
  front that says so with ``X-Forwarded-Proto: https``).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

COOKIE = "fleetfit_session"
SESSION_TTL_S = 12 * 3600
MAX_SESSIONS = 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WILDCARDS = {"0.0.0.0", "::", ""}


def _hostname(host_header: str) -> str:
    """The name part of a Host header ('[::1]:8787' -> '::1', 'Example.org:80' -> 'example.org')."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def allowed_hosts(bound: str, extra: Iterable[str] = (), *, loopback: bool) -> frozenset[str]:
    """The Host names a server bound to `bound` answers (IP literals are always answered)."""
    names = {_hostname(bound)} | {_hostname(h) for h in extra if h.strip()}
    if loopback:
        names |= {"localhost", "localhost.localdomain"}
    if bound in _WILDCARDS:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(n for n in names if n)


def host_refusal(host_header: str | None, allowed: frozenset[str]) -> str | None:
    """Why this Host must not be served (DNS rebinding), else None. No Host at all (HTTP/1.0, a program)
    is served: every browser sends one."""
    if not host_header:
        return None
    name = _hostname(host_header)
    if _is_ip(name) or name in allowed:
        return None
    return (
        f"Host {host_header[:100]!r} is not this server's name; use http://{next(iter(sorted(allowed)), '127.0.0.1')}"
    )


def origin_refusal(method: str, headers: Mapping[str, str], *, cookie_auth: bool) -> str | None:
    """Why a state-changing request must be refused as cross-site, else None (see the module docstring)."""
    if method.upper() in SAFE_METHODS:
        return None
    host = (headers.get("Host") or "").strip().lower()
    origin = headers.get("Origin")
    if origin is None and cookie_auth:
        origin = headers.get("Referer")
        if origin is None:
            return "a cookie-authenticated request that changes state must carry Origin (send it from the dashboard)"
    if origin is None:
        return None
    if origin == "null":
        return "Origin null is not this server"
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not host or (parts.netloc or "").lower() != host:
        return f"Origin {origin[:100]!r} is not this server ({host[:100]!r}): cross-site requests are refused"
    return None


def is_https(headers: Mapping[str, str]) -> bool:
    return (headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower() == "https"


def session_cookie(value: str, *, secure: bool, max_age: int = SESSION_TTL_S) -> str:
    parts = [f"{COOKIE}={value}", "HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={max_age}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def cleared_cookie(*, secure: bool) -> str:
    return session_cookie("", secure=secure, max_age=0)


def cookie_value(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def form_token(body: bytes) -> str | None:
    """The `token` field of an application/x-www-form-urlencoded login form."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    values = fields.get("token") or []
    return values[0].strip() if len(values) == 1 else None


class Sessions:
    """Login sessions in memory: id -> expiry. Ids are compared in constant time by dictionary lookup of a
    256-bit random value (not guessable; nothing derived from the token)."""

    def __init__(self, ttl_s: float = SESSION_TTL_S, limit: int = MAX_SESSIONS) -> None:
        self.ttl_s, self.limit = ttl_s, limit
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def create(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[sid] = time.monotonic() + self.ttl_s
            while len(self._expiry) > self.limit:
                self._expiry.popitem(last=False)
        return sid

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        with self._lock:
            expiry = self._expiry.get(sid)
            if expiry is None:
                return False
            if expiry < time.monotonic():
                del self._expiry[sid]
                return False
            return True

    def end(self, sid: str | None) -> None:
        if sid:
            with self._lock:
                self._expiry.pop(sid, None)


def token_matches(given: str | None, token: bytes) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token)

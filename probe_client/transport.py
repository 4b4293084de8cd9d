"""POST a report to the ingest route, authenticated with a bearer token or signed with SigV4.

HTTP is urllib from the standard library; botocore is imported only when a request is actually signed.
No header value, token or signature ever reaches a log line: this module logs nothing but status codes.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import stat
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from probe_client import __version__

log = logging.getLogger(__name__)

INGEST_PATH = "/api/v1/reports"
REQUEST_TIMEOUT_S = 10.0
_API_GATEWAY_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class ConfigError(Exception):
    """The probe's configuration cannot work (exit code 2). Messages never hold a secret."""


class TransportError(Exception):
    """The request did not get an HTTP answer (DNS, refused, reset, timeout)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


# --- endpoint ---------------------------------------------------------------------------------------------


def ingest_url(endpoint: str) -> str:
    """`{endpoint}/api/v1/reports`, after checking the endpoint is a plain http(s) base URL."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"endpoint must be an http:// or https:// URL, got {parts.scheme or 'no'} scheme")
    if parts.username or parts.password:
        raise ConfigError("endpoint must not carry credentials; use --token-file or FLEETFIT_TOKEN")
    if parts.query or parts.fragment:
        raise ConfigError("endpoint must be a base URL without ?query or #fragment")
    path = quote(unquote(parts.path.rstrip("/")), safe="/")  # once-encoded, as SigV4 signs a path
    return f"{parts.scheme}://{parts.netloc}{path}{INGEST_PATH}"


def api_gateway_region(url: str) -> str | None:
    """The region of an API Gateway URL (https://{id}.execute-api.{region}.amazonaws.com/{stage})."""
    match = _API_GATEWAY_HOST.match(urlsplit(url).hostname or "")
    return match.group(1) if match else None


def encode_query(params: Mapping[str, str]) -> str:
    """A query string in SigV4's canonical form: names and values UTF-8, every byte but A-Z a-z 0-9 - _ . ~
    percent-encoded (a space is %20, never '+'), sorted by name then value. Sent exactly so, the string the
    client signs is the one API Gateway rebuilds from what it reads (it reads '+' as a space)."""
    return encode_query_pairs([(str(k), str(v)) for k, v in params.items()])


def _canonical(query: str) -> bool:
    """True when ``query`` is already in the form :func:`encode_query` writes."""
    if not query:
        return True
    pairs = [part.partition("=") for part in query.split("&")]
    return query == encode_query_pairs([(unquote_plus(k), unquote_plus(v)) for k, _, v in pairs])


def encode_query_pairs(pairs: list[tuple[str, str]]) -> str:
    """:func:`encode_query` for a list of (name, value), repeats allowed."""
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


# --- authentication ---------------------------------------------------------------------------------------


class Auth(Protocol):
    def sign(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """Return the headers to send (the given ones plus the authentication headers)."""
        ...

    def secrets(self) -> list[str]:
        """Every secret value this auth could put on the wire, for the log redactor."""
        ...


@dataclass(frozen=True)
class BearerAuth:
    token: str = field(repr=False)

    def sign(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self.token}"}

    def secrets(self) -> list[str]:
        return [self.token]

    def __repr__(self) -> str:
        return "BearerAuth(token=<redacted>)"


def load_token(token_file: str | None, environ: Mapping[str, str] = os.environ) -> BearerAuth:
    """The bearer token from --token-file, else FLEETFIT_TOKEN."""
    if token_file:
        path = Path(token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode
        except OSError as exc:
            raise ConfigError(f"cannot read token file {token_file}: {exc.strerror or exc}") from exc
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("token file %s is readable by other users; chmod 600 it", token_file)
    else:
        token = environ.get("FLEETFIT_TOKEN", "").strip()
    if not token:
        raise ConfigError("no bearer token: pass --token-file FILE or set FLEETFIT_TOKEN (or use --sigv4)")
    if any(c.isspace() for c in token) or not token.isprintable():
        raise ConfigError("the bearer token holds whitespace or control characters")
    return BearerAuth(token)


class SigV4Auth:
    """AWS Signature V4 for `execute-api`, credentials from botocore's standard chain (env, profile,
    credential_process such as IAM Roles Anywhere, container role, instance profile)."""

    def __init__(self, region: str, credentials: Any) -> None:
        self.region = region
        self._credentials = credentials

    @classmethod
    def from_environment(cls, region: str | None, url: str) -> SigV4Auth:
        _quiet_botocore()
        import botocore.session
        from botocore.exceptions import BotoCoreError

        session = botocore.session.Session()
        region = (
            region or api_gateway_region(url) or os.environ.get("AWS_REGION") or session.get_config_variable("region")
        )
        if not region:
            raise ConfigError("SigV4 needs a region: use an execute-api URL or set AWS_REGION")
        try:
            credentials = session.get_credentials()
        except BotoCoreError as exc:
            raise ConfigError(f"AWS credentials could not be loaded: {type(exc).__name__}") from exc
        if credentials is None:
            raise ConfigError(
                "SigV4: no AWS credentials found (instance profile, AWS_* env, profile or credential_process)"
            )
        return cls(region, credentials)

    def sign(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """Sign ``url`` as it will be sent; its query must be in canonical form (:func:`encode_query`), else
        botocore would sign bytes that API Gateway reads differently and the call would be refused."""
        if not _canonical(urlsplit(url).query):
            raise ValueError("SigV4: build the query with encode_query(); this one is not in canonical form")
        from botocore.auth import SigV4Auth as BotoSigV4
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        BotoSigV4(self._credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        return dict(request.headers.items())

    def secrets(self) -> list[str]:
        frozen = self._credentials.get_frozen_credentials()
        return [s for s in (frozen.secret_key, frozen.token) if s]

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self.region!r}, credentials=<redacted>)"


def _quiet_botocore() -> None:
    """botocore logs the canonical request and the signature at DEBUG: keep its loggers at WARNING."""
    for name in ("botocore", "botocore.auth", "botocore.credentials", "botocore.hooks"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- HTTP -------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A POST must not silently become a GET elsewhere: a redirect is answered as it came."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclass
class Sender:
    """Posts one report body to the ingest URL, signing each attempt afresh (SigV4 dates expire)."""

    url: str
    auth: Auth
    timeout: float = REQUEST_TIMEOUT_S
    minimal: bool = True  # ask for what was stored, not the top models (RFC 7240 Prefer: return=minimal)

    def post(self, body: bytes, report_id: str) -> HttpResponse:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": report_id,
            "User-Agent": f"fleetfit-probe/{__version__}",
        }
        if self.minimal:
            headers["Prefer"] = "return=minimal"
        signed = self.auth.sign("POST", self.url, body, headers)
        request = urllib.request.Request(self.url, data=body, headers=signed, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return HttpResponse(exc.code, dict(exc.headers.items()) if exc.headers else {}, exc.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(f"{type(reason).__name__}: {reason}") from exc

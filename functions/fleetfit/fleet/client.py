"""The operator's HTTP client for the fleetfit API: `fleetfit serve` (bearer token, or none on loopback) or
API Gateway (SigV4, service execute-api, the standard AWS credential chain).

Authentication and endpoint checks are the probe's (``probe_client.transport``): SigV4 when the endpoint is
an API Gateway URL or ``sigv4`` is asked, else a bearer token from ``--token-file`` or ``FLEETFIT_TOKEN``,
else no header at all (a local server started without a token answers loopback callers only).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fleetfit import __version__

TIMEOUT_S = 60.0


class ClientConfigError(Exception):
    """The endpoint, token or credentials cannot work (exit code 2)."""


class ApiError(Exception):
    """The API answered with an error status; `message` is its ``{"error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Unreachable(Exception):
    """No HTTP answer (DNS, refused, reset, timeout)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as it came: the token or signature must not follow it to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclass
class FleetClient:
    base_url: str  # e.g. http://127.0.0.1:8787 or https://abc.execute-api.eu-west-1.amazonaws.com/prod
    auth: Any = None  # probe_client.transport.BearerAuth | SigV4Auth | None
    timeout: float = TIMEOUT_S

    @classmethod
    def configure(
        cls,
        endpoint: str | None,
        token_file: str | None,
        *,
        sigv4: bool = False,
        environ: Mapping[str, str] = os.environ,
    ) -> FleetClient:
        from probe_client.transport import INGEST_PATH, ConfigError, SigV4Auth, api_gateway_region, ingest_url

        endpoint = endpoint or environ.get("FLEETFIT_ENDPOINT") or "http://127.0.0.1:8787"
        try:
            base = ingest_url(endpoint)[: -len(INGEST_PATH)]
            auth: Any = None
            if sigv4 or api_gateway_region(base):
                auth = SigV4Auth.from_environment(None, base)
            elif token_file or environ.get("FLEETFIT_TOKEN", "").strip():
                from probe_client.transport import load_token

                auth = load_token(token_file, environ)
        except ConfigError as exc:
            raise ClientConfigError(str(exc)) from exc
        return cls(base, auth)

    def get(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        return self._send("GET", path, query, None)

    def post(self, path: str, body: Any, query: Mapping[str, Any] | None = None) -> Any:
        return self._send("POST", path, query, json.dumps(body).encode())

    def _send(self, method: str, path: str, query: Mapping[str, Any] | None, body: bytes | None) -> Any:
        from probe_client.transport import encode_query

        params = {k: _text(v) for k, v in (query or {}).items() if v is not None}
        url = self.base_url + path + (f"?{encode_query(params)}" if params else "")
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": f"fleetfit-cli/{__version__}",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.auth is not None:
            headers = self.auth.sign(method, url, body or b"", headers)
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                status, encoding, raw = response.status, response.headers.get("Content-Encoding"), response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, encoding, raw = (
                    exc.code,
                    exc.headers.get("Content-Encoding") if exc.headers else None,
                    exc.read(),
                )
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"{self.base_url}: {type(reason).__name__}: {reason}") from exc
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise ApiError(status, str(message or (data if data is not None else raw[:200])))
        return data


def model_path(prefix: str, name: str) -> str:
    """Model names keep their '/' raw (the API takes them so; SigV4 and API Gateway agree on raw slashes)."""
    return prefix + quote(name, safe="/")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

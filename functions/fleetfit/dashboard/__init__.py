"""The dashboard: static files (``static/``) that talk only to the public API, served at ``/`` by the Lambda,
by `fleetfit serve` and by `fleetfit dashboard` (the SigV4-signing loopback proxy, ``proxy.py``).

Nothing is built or fetched: the files are plain HTML, CSS and JavaScript written here, shipped as
package data, read once per process and served by name from a fixed list (no path is ever joined from a
request).
"""

from __future__ import annotations

import functools
from importlib import resources

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Every page: only this origin's scripts and styles, no inline script, no framing, no referrer elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a form POST carries `Origin: null`, which the
    # Origin check (web.py) must refuse; no URL leaves for another site either way.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@functools.cache
def assets() -> dict[str, tuple[bytes, str]]:
    """File name -> (bytes, Content-Type) for every file of ``static/``."""
    out: dict[str, tuple[bytes, str]] = {}
    for item in resources.files(__package__).joinpath("static").iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1] if "." in item.name else ""
        if item.is_file() and suffix in CONTENT_TYPES:
            out[item.name] = (item.read_bytes(), CONTENT_TYPES[suffix])
    return out


def asset(name: str) -> tuple[bytes, str] | None:
    return assets().get(name)

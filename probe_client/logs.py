"""The probe's stderr logging, with a redacting filter as a second line of defence.

The code never formats a token, signature or Authorization header into a message; the filter additionally
scrubs every secret value it was told about and anything shaped like one, should a library or an exception
text ever carry it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping

_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*)\S[^\r\n,]*"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(signature=)[0-9a-f]+"),
    re.compile(r"(?i)(x-amz-security-token\s*[:=]\s*)\S+"),
    re.compile(r"(?i)(credential=)[A-Z0-9]+"),
]
REDACTED = "<redacted>"
LOGGER = "probe_client"


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        record.msg, record.args = self.scrub(message), ()
        return True


REDACTOR = Redactor()


def configure(environ: Mapping[str, str]) -> None:
    """Send the probe's log records to stderr once, at FLEETFIT_LOG_LEVEL (default WARNING)."""
    logger = logging.getLogger(LOGGER)
    level = logging.getLevelName(environ.get("FLEETFIT_LOG_LEVEL", "WARNING").upper())
    logger.setLevel(level if isinstance(level, int) else logging.WARNING)
    if any(getattr(h, "_fleetfit_probe", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("fleetfit probe: %(levelname)s: %(message)s"))
    handler.addFilter(REDACTOR)
    handler._fleetfit_probe = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.propagate = False

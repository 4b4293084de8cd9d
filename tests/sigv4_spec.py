"""An independent SigV4 verifier, written from AWS's "Create a signed AWS API request" (Signature Version 4)
specification, as API Gateway verifies a request it received: hashlib and hmac only, no botocore.

The server sees the raw request target (path and query as sent), the headers and the body. It rebuilds:

    CanonicalRequest = Method \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexEncode(SHA256(payload))

- CanonicalURI: the absolute path, each segment URI-encoded; for every service but S3 the path is encoded
  twice (the client's once-encoded path is encoded again).
- CanonicalQueryString: each name and value *decoded as the server reads them* (API Gateway reads '+' as a
  space), then URI-encoded (every byte but A-Z a-z 0-9 - _ . ~ as %XY, uppercase hex; a space is %20, never
  '+'), sorted by encoded name then value, joined as name=value with '&'.
- CanonicalHeaders: the signed headers, names lowercased, values trimmed with inner runs of spaces collapsed.
- StringToSign = "AWS4-HMAC-SHA256" \\n amzdate \\n date/region/service/aws4_request \\n Hex(SHA256(CR)).
- The key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request".

A client that signs `gpu=RTX+4090` while the server reads `gpu=RTX 4090` fails here exactly as on AWS (403).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import unquote, unquote_plus

UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


class BadSignature(AssertionError):
    """The request would be refused by API Gateway (403 SignatureDoesNotMatch)."""


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in UNRESERVED or (keep_slash and char == "/"):
            out.append(char)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def canonical_uri(raw_path: str) -> str:
    """Each segment normalised to its once-encoded form, then encoded again (non-S3 services)."""
    if not raw_path:
        return "/"
    once = "/".join(uri_encode(unquote(segment)) for segment in raw_path.split("/"))
    return uri_encode(once, keep_slash=True)


def canonical_query(raw_query: str) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        name, _, value = part.partition("=")
        pairs.append((uri_encode(unquote_plus(name)), uri_encode(unquote_plus(value))))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def verify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "execute-api",
) -> str:
    """Raise BadSignature unless the request (as received: method, raw target, headers, body) carries a valid
    SigV4 signature; return the canonical request (for messages)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    authorization = lowered.get("authorization", "")
    scheme, _, rest = authorization.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        raise BadSignature(f"not a SigV4 Authorization header: {scheme!r}")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    credential = fields["Credential"].split("/")
    if len(credential) != 5 or credential[0] != access_key:
        raise BadSignature(f"credential scope {fields['Credential']!r}")
    _, date, scope_region, scope_service, terminal = credential
    if (scope_region, scope_service, terminal) != (region, service, "aws4_request"):
        raise BadSignature(f"credential scope {fields['Credential']!r}")
    amz_date = lowered["x-amz-date"]
    if not amz_date.startswith(date):
        raise BadSignature("x-amz-date and the credential scope name different days")
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed or signed != sorted(signed):
        raise BadSignature(f"SignedHeaders {fields['SignedHeaders']!r}: host must be signed; names sorted")
    canonical_headers = "".join(f"{name}:{' '.join(lowered[name].split())}\n" for name in signed)
    path, _, query = target.partition("?")
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise BadSignature(f"signature does not match; the server's canonical request:\n{canonical_request}")
    return canonical_request

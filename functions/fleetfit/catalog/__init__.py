"""The model catalog: loading, validation and lookup.

The bundled catalog ships inside the package as gzip-compressed JSON; the same bytes are what
`fleetfit catalog publish` uploads to S3. Its version is the SHA-256 of those bytes.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import marshal
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:  # the schema module costs pydantic's type machinery: import it only to validate
    from fleetfit.catalog.schema import CatalogEntry

BUNDLED_CATALOG_PATH = Path(__file__).resolve().parent / "data" / "catalog.json.gz"
# SHA-256 of the bundled catalog as the build script wrote it after validating every entry. A bundled file
# with this digest is the validated file, so loading skips re-validation; any other bytes are validated.
BUNDLED_DIGEST_PATH = BUNDLED_CATALOG_PATH.with_name("catalog.sha256")
# What the engine derives from the bundled catalog alone, written beside it by the build (engine.prepared).
BUNDLED_INVARIANTS_PATH = BUNDLED_CATALOG_PATH.with_name("invariants.bin")
# The bundled catalog's document as loading makes it (defaults restored), in marshal's format: read ~2x faster
# than inflating and parsing the JSON (catalog_document). Written by the build beside the file it was read from.
BUNDLED_DOCUMENT_PATH = BUNDLED_CATALOG_PATH.with_name("document.bin")
DOCUMENT_FORMAT = 1
# The most a catalog may inflate to: the bundled one is 5.6 MB of JSON; 128 MiB is 20x that, and bounds what
# a gzip bomb (a few hundred KB that inflate to gigabytes) can make a 1 GB Lambda allocate.
MAX_CATALOG_JSON_BYTES = 128 * 1024 * 1024


# Lineage fields (infra/catalog/lineage.py) at their defaults are left out of the file to keep it small; loading
# restores them, so every entry read from a Catalog has downloads, likes, first_party, kind, group, origin_date.
LINEAGE_DEFAULTS: dict[str, Any] = {
    "downloads": 0,
    "likes": 0,
    "first_party": False,
    "kind": "chat",
    "experimental": False,
    "domain": False,
    "runtime_unverified": False,
}


def _restore_defaults(models: list[dict[str, Any]]) -> None:
    # Unrolled membership tests: 2.5x faster than setdefault over the defaults (~14 ms for the bundled catalog).
    downloads, likes, first_party, kind = (LINEAGE_DEFAULTS[k] for k in ("downloads", "likes", "first_party", "kind"))
    for entry in models:
        if "downloads" not in entry:
            entry["downloads"] = downloads
        if "likes" not in entry:
            entry["likes"] = likes
        if "first_party" not in entry:
            entry["first_party"] = first_party
        if "kind" not in entry:
            entry["kind"] = kind
        if "experimental" not in entry:
            entry["experimental"] = False
        if "domain" not in entry:
            entry["domain"] = False
        if "runtime_unverified" not in entry:
            entry["runtime_unverified"] = False
        if "group" not in entry:
            entry["group"] = entry["name"]  # a group's representative names its own group
        if "origin_date" not in entry:
            entry["origin_date"] = entry.get("release_date")
        if "group_downloads" not in entry:
            entry["group_downloads"] = entry["downloads"]  # a group of one


class CatalogError(ValueError):
    """The catalog cannot be used; the message names the entry and field at fault."""


@dataclass(frozen=True)
class Catalog:
    version: str
    loaded_from: str
    entries: tuple[CatalogEntry, ...]
    built_from: str = ""
    built_at: str = ""
    # The engine's prepared invariants for these bytes (engine.prepared), b"" when none came with them.
    invariants: bytes = field(default=b"", repr=False, compare=False)
    _by_name: dict[str, CatalogEntry] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = self._by_name
        for entry in self.entries:
            for alias in entry.get("aliases", ()):
                index.setdefault(alias.lower(), entry)
        for entry in self.entries:
            index[entry["name"].lower()] = entry

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def find(self, name: str) -> CatalogEntry | None:
        """Exact name (or alias) match, case-insensitive."""
        return self._by_name.get(name.strip().lower())

    @functools.cached_property
    def _groups(self) -> dict[str, tuple[CatalogEntry, ...]]:
        members: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            members.setdefault(entry["group"], []).append(entry)
        return {group: tuple(sorted(m, key=lambda e: e["name"] != group)) for group, m in members.items()}

    def group_members(self, name: str) -> tuple[CatalogEntry, ...]:
        """Every entry of the variant group that `name` (or alias) belongs to, its representative first;
        () for an unknown name. len() - 1 is the representative's variants count."""
        entry = self.find(name)
        return self._groups.get(entry["group"], ()) if entry else ()

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Catalog names close to `name`, for "did you mean" messages."""
        wanted = name.strip().lower()
        basename = wanted.rsplit("/", 1)[-1]
        names = [e["name"] for e in self.entries]
        contains = [n for n in names if basename and basename in n.lower()]
        close = difflib.get_close_matches(wanted, [n.lower() for n in names], n=limit, cutoff=0.6)
        by_lower = {n.lower(): n for n in names}
        ordered = list(dict.fromkeys(sorted(contains, key=len)[:limit] + [by_lower[c] for c in close]))
        return ordered[:limit]


def _describe(error: ValidationError, models: Sequence[object]) -> str:
    first = error.errors()[0]
    location = list(first["loc"])
    where = "catalog"
    if len(location) >= 2 and location[0] == "models" and isinstance(location[1], int):
        index = location[1]
        raw = models[index] if index < len(models) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"entry {index} ({name!r})" if name else f"entry {index}"
        location = location[2:]
    field_path = ".".join(str(part) for part in location) or "(entry)"
    return f"invalid catalog: {where}, field {field_path}: {first['msg']}"


def load_catalog_bytes(
    data: bytes, source: str, *, trusted_digest: str | None = None, invariants: bytes = b"", document: bytes = b""
) -> Catalog:
    """Parse and validate a gzip-compressed catalog; raise CatalogError naming the entry and field.

    `trusted_digest`: the SHA-256 of bytes already validated (the bundled file); matching bytes are
    parsed without re-validating. `invariants`: the engine's prepared file for these bytes (it checks
    that they are). `document`: these trusted bytes already parsed (encode_document), used when its header
    names them; anything else is ignored and the bytes are parsed."""
    digest = hashlib.sha256(data).hexdigest()
    trusted = trusted_digest is not None and digest == trusted_digest
    parsed = decode_document(document, digest) if trusted and document else None
    if parsed is None:
        try:
            text = gunzip_bounded(data, MAX_CATALOG_JSON_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise CatalogError(f"invalid catalog from {source}: not gzip data ({exc})") from exc
        except ValueError as exc:
            raise CatalogError(f"invalid catalog from {source}: {exc}") from exc
        parsed = json.loads(text) if trusted else _validated(text, source)
        _restore_defaults(parsed["models"])
    return Catalog(
        version=digest[:16],
        loaded_from=source,
        entries=tuple(parsed["models"]),
        built_from=parsed["built_from"],
        built_at=parsed["built_at"],
        invariants=invariants,
    )


def encode_document(data: bytes) -> bytes:
    """The document of the validated catalog `data` as load_catalog_bytes makes it, in marshal's format, after a
    header line naming the bytes' SHA-256 (decode_document reads it back)."""
    digest = hashlib.sha256(data).hexdigest()
    catalog = load_catalog_bytes(data, "encode_document", trusted_digest=digest)  # parsed, not validated again
    document = {"models": list(catalog.entries), "built_from": catalog.built_from, "built_at": catalog.built_at}
    header = {"format": DOCUMENT_FORMAT, "catalog": digest, "marshal": marshal.version}
    return json.dumps(header, sort_keys=True).encode() + b"\n" + marshal.dumps(document, marshal.version)


def decode_document(file: bytes, digest: str) -> dict[str, Any] | None:
    """encode_document's document, if `file` was made from the catalog bytes with this SHA-256 by this format;
    None otherwise (the caller parses the catalog)."""
    head, _, body = file.partition(b"\n")
    try:
        header = json.loads(head)
        if header != {"format": DOCUMENT_FORMAT, "catalog": digest, "marshal": marshal.version}:
            return None
        document = marshal.loads(body)
    except (ValueError, EOFError, TypeError):  # not JSON, or not marshal data this Python reads
        return None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        return None
    return document


_INFLATE_STEP = 8 * 1024 * 1024  # inflate in steps, so that no single buffer is much more than the limit


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """gzip.decompress, but never inflating past `limit` bytes (ValueError beyond). Takes concatenated members."""
    out: list[bytes] = []
    size, rest = 0, data
    while rest:
        inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer checked (zlib manual)
        pending = rest
        while not inflater.eof:
            chunk = inflater.decompress(pending, _INFLATE_STEP)
            pending = inflater.unconsumed_tail
            size += len(chunk)
            if size > limit:
                raise ValueError(f"the gzip data inflates past {limit} bytes")
            out.append(chunk)
            if not chunk and not pending:  # input used up before the end of the stream
                break
        if not inflater.eof:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        rest = inflater.unused_data
        if rest.strip(b"\0") == b"":  # trailing zero padding, as gzip.decompress allows
            break
    return b"".join(out)


def _validated(text: bytes, source: str) -> dict[str, Any]:
    """The catalog document after schema and cross-field validation; CatalogError names entry and field."""
    from fleetfit.catalog.schema import catalog_file_adapter, consistency_error

    try:
        parsed = catalog_file_adapter().validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise CatalogError(f"invalid catalog from {source}: not JSON ({first['msg']})") from exc
        try:
            raw = json.loads(text)
            models = raw.get("models") if isinstance(raw, dict) else None
        except ValueError:
            models = None
        raise CatalogError(f"{_describe(exc, models if isinstance(models, list) else [])} (from {source})") from exc
    seen: set[str] = set()
    for index, entry in enumerate(parsed["models"]):
        problem = consistency_error(entry)
        if problem:
            raise CatalogError(f"invalid catalog: entry {index} ({entry['name']!r}), field {problem} (from {source})")
        lowered = entry["name"].lower()
        if lowered in seen:
            raise CatalogError(f"invalid catalog from {source}: duplicate model name {entry['name']!r}")
        seen.add(lowered)
    return dict(parsed)


@functools.cache
def load_bundled() -> Catalog:
    """The catalog shipped with the package (cached per process)."""
    try:
        trusted = BUNDLED_DIGEST_PATH.read_text(encoding="ascii").strip()
    except OSError:
        trusted = None
    try:
        invariants = BUNDLED_INVARIANTS_PATH.read_bytes()
    except OSError:
        invariants = b""
    try:
        document = BUNDLED_DOCUMENT_PATH.read_bytes()
    except OSError:
        document = b""
    data = BUNDLED_CATALOG_PATH.read_bytes()
    return load_catalog_bytes(data, source="bundled", trusted_digest=trusted, invariants=invariants, document=document)


__all__ = [
    "BUNDLED_CATALOG_PATH",
    "BUNDLED_DOCUMENT_PATH",
    "BUNDLED_INVARIANTS_PATH",
    "LINEAGE_DEFAULTS",
    "Catalog",
    "CatalogError",
    "decode_document",
    "encode_document",
    "load_bundled",
    "load_catalog_bytes",
]

"""Request handling of the Segment tracking API, free of FastAPI: routes, write keys, bodies.

The collector lands request bodies untouched; it only rejects what is broken at request level
(undecodable body, bad JSON, not an object, over the size and count limits). Message-level
validation (identity, ``event``...) is the dataflow's job, against ``cdp.models.messages``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from api.errors import ApiError
from cdp.config import Settings

__all__ = [
    "BEACON_PATH",
    "COLLECTOR_PATHS",
    "ROUTE_OF_PATH",
    "CollectorOptions",
    "RejectedRequestError",
    "WriteKeys",
    "basic_auth_key",
    "check_document",
    "is_collector_path",
    "parse_document",
    "read_body",
    "salvage_write_key",
    "write_key_of",
]

#: ``/v1/<name>`` -> the route stored in the landing entry (browser short paths, ``import``).
ROUTE_OF_PATH: Final[dict[str, str]] = {
    "identify": "identify",
    "track": "track",
    "page": "page",
    "screen": "screen",
    "group": "group",
    "alias": "alias",
    "batch": "batch",
    "import": "batch",
    "i": "identify",
    "t": "track",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
}
#: Paths of the tracking API (besides the settings and beacon routes).
COLLECTOR_PATHS: Final[frozenset[str]] = frozenset(f"/v1/{name}" for name in ROUTE_OF_PATH)
BEACON_PATH: Final = "/beacon/v1/batch"
_SETTINGS_PATH = re.compile(r"^/v1/projects/[^/]+/settings$")
_WRITE_KEY = re.compile(rb'"writeKey"\s*:\s*"([^"\\]{1,256})"')
_ENCODINGS: Final = {"": None, "identity": None, "gzip": 31, "x-gzip": 31, "deflate": 15}


def is_collector_path(path: str) -> bool:
    """Whether ``path`` belongs to the tracking API (CORS and metrics apply to these)."""
    return path in COLLECTOR_PATHS or path == BEACON_PATH or bool(_SETTINGS_PATH.match(path))


@dataclass(frozen=True, slots=True)
class CollectorOptions:
    """Limits and timeouts of the collector (defaults: the Segment HTTP API's)."""

    max_event_bytes: int = 32 * 1024
    max_batch_bytes: int = 500 * 1024
    max_batch_items: int = 2500
    #: how long a request waits for its durable write before answering 503
    append_timeout: float = 5.0
    #: seconds in the ``Retry-After`` of a 503
    retry_after: int = 1


class RejectedRequestError(ApiError):
    """A request that is permanently broken (400/415); it is landed as ``rejected``.

    ``error_type`` is the quarantine's typed reason (``bad_json``, ``oversize``, ``schema``,
    ``bad_format``).
    """

    def __init__(
        self, error_type: str, message: str, *, status: int = 400, truncated: bool = False
    ) -> None:
        super().__init__(status, error_type, message)
        self.error_type = error_type
        #: the body kept is only the first bytes of what was sent
        self.truncated = truncated


class WriteKeys:
    """The configured write keys of ``format: segment`` sources, compared in constant time.

    Every lookup compares the SHA-256 of the presented key with the digest of every configured
    key (no early exit), so neither the position nor the length of a match leaks.
    """

    def __init__(self, settings: Settings) -> None:
        self._keys: list[tuple[bytes, str]] = [
            (hashlib.sha256(key.encode()).digest(), source.name)
            for source in settings.sources.values()
            if source.format == "segment"
            for key in source.write_keys
        ]

    def __len__(self) -> int:
        return len(self._keys)

    def source_for(self, key: str | None) -> str | None:
        """The source a write key selects, or None for an unknown or missing key."""
        if not key:
            return None
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        found: str | None = None
        for candidate, source in self._keys:
            if hmac.compare_digest(digest, candidate) and found is None:
                found = source
        return found


def basic_auth_key(header: str | None) -> str | None:
    """The write key of ``Authorization: Basic base64("<writeKey>:")`` (None if absent/bad)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, _, password = decoded.partition(":")
    return user or password or None


async def read_body(
    chunks: AsyncIterator[bytes], *, encoding: str, cap: int
) -> tuple[bytes, RejectedRequestError | None]:
    """The decoded body, at most ``cap + 1`` bytes of it, and why it is rejected (if it is).

    Decompresses ``gzip``/``deflate`` incrementally and stops reading once the decoded size
    passes ``cap`` (a gzip bomb costs at most ``cap`` bytes of memory). The returned bytes are
    what was decoded so far (the raw bytes for an unsupported encoding), so a rejected request
    can still be landed.
    """
    encoding = encoding.strip().lower()
    if encoding not in _ENCODINGS:
        raw = await _collect(chunks, cap)
        return raw[:cap], RejectedRequestError(
            "bad_format", "unsupported Content-Encoding", status=415, truncated=len(raw) > cap
        )
    wbits = _ENCODINGS[encoding]
    if wbits is None:
        raw = await _collect(chunks, cap)
        if len(raw) > cap:
            return raw[:cap], _oversize_body(cap)
        return raw, None
    out = bytearray()
    inflater = zlib.decompressobj(wbits)
    try:
        async for chunk in chunks:
            data = chunk
            while data:
                out += inflater.decompress(data, cap + 1 - len(out))
                if len(out) > cap:
                    return bytes(out[:cap]), _oversize_body(cap)
                if inflater.eof:  # a further gzip member may follow
                    data = inflater.unused_data
                    if data:
                        inflater = zlib.decompressobj(wbits)
                else:
                    data = inflater.unconsumed_tail
        if not inflater.eof:
            return bytes(out), RejectedRequestError("bad_format", f"truncated {encoding} body")
    except zlib.error:
        return bytes(out), RejectedRequestError("bad_format", f"body is not valid {encoding}")
    return bytes(out), None


async def _collect(chunks: AsyncIterator[bytes], cap: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            break
    return b"".join(parts)


def _oversize_body(cap: int) -> RejectedRequestError:
    return RejectedRequestError("oversize", f"request body over {cap // 1024} KB", truncated=True)


def parse_document(body: bytes) -> Any:
    """The JSON document of a body; :class:`RejectedRequestError` ``bad_json`` if it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RejectedRequestError("bad_json", "body is not valid JSON (UTF-8)") from None


def check_document(
    doc: Any, *, route: str, size: int, options: CollectorOptions
) -> tuple[int, RejectedRequestError | None]:
    """``(number of messages, rejection or None)`` for a parsed body of ``route``.

    Only request-level problems reject: a non-object body, a batch without a list, more than
    ``max_batch_items`` messages, a single message over ``max_event_bytes``. An oversized or
    invalid *item* of a valid batch is landed (the dataflow quarantines it).
    """
    if not isinstance(doc, dict):
        return 0, RejectedRequestError("schema", "body must be a JSON object")
    if route != "batch":
        if size > options.max_event_bytes:
            return 1, RejectedRequestError(
                "oversize", f"message over {options.max_event_bytes // 1024} KB"
            )
        return 1, None
    items = doc.get("batch")
    if not isinstance(items, list):
        return 0, RejectedRequestError("schema", "batch must be a list of messages")
    if len(items) > options.max_batch_items:
        return len(items), RejectedRequestError(
            "oversize", f"more than {options.max_batch_items} messages in one batch"
        )
    return len(items), None


def write_key_of(doc: Any) -> str | None:
    """The write key inside a body: its ``writeKey``, else the first batch item's."""
    if not isinstance(doc, Mapping):
        return None
    key = doc.get("writeKey")
    if isinstance(key, str) and key:
        return key
    items = doc.get("batch")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                key = item.get("writeKey")
                if isinstance(key, str) and key:
                    return key
    return None


def salvage_write_key(body: bytes) -> str | None:
    """A ``"writeKey": "..."`` found in a body that is not valid JSON (or is cut short)."""
    match = _WRITE_KEY.search(body)
    if match is None:
        return None
    try:
        return match.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None

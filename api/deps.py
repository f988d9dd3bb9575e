"""Dependencies of the routes and their ``Annotated`` aliases.

What a process holds (settings, the landing log, write keys, metrics) lives on ``app.state``,
set by :func:`api.app.create_app`; tests replace any of it with ``app.dependency_overrides``.
:func:`read_segment_request` is the collector's authentication: it reads the body, finds the write
key (HTTP Basic, the body, a batch item or, for beacons, the query) and answers 401 when the key
is unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.requests import ClientDisconnect

from api._metrics import Metrics
from api._segment import (
    BEACON_PATH,
    ROUTE_OF_PATH,
    CollectorOptions,
    RejectedRequestError,
    WriteKeys,
    basic_auth_key,
    check_document,
    parse_document,
    read_body,
    salvage_write_key,
    write_key_of,
)
from api.errors import ApiError
from cdp.config import Settings
from cdp.errors import CdpError
from cdp.landing import LandingLog
from cdp.models.consent import parse_identifier
from cdp.models.errors import InvalidInputError
from cdp.models.normalize import parse_timestamp
from consent.audit import ConsentAudit
from consent.gate import ConsentError
from consent.store import ConsentStore
from storage import Lakehouse

__all__ = [
    "AuditDep",
    "CollectorOptionsDep",
    "ConsentStoreDep",
    "LakehouseDep",
    "LandingDep",
    "LandingStateDep",
    "MetricsDep",
    "SegmentRequest",
    "SegmentRequestDep",
    "SettingsDep",
    "WriteKeysDep",
    "bad_input",
    "check_identifier",
    "get_audit",
    "get_collector_options",
    "get_consent_store",
    "get_lakehouse",
    "get_landing",
    "get_metrics",
    "get_settings",
    "get_write_keys",
    "optional_time",
    "overloaded",
    "read_segment_request",
]

logger = logging.getLogger(__name__)


def get_settings(request: Request) -> Settings:
    """The process's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_landing(request: Request) -> LandingLog:
    """The open landing log (503 while there is none)."""
    landing: LandingLog | None = request.app.state.landing
    if landing is None or landing.closed:
        raise ApiError(503, "unavailable", "the landing log is not open", headers=_RETRY)
    return landing


def get_landing_state(request: Request) -> LandingLog | None:
    """The landing log if one is open (for health and metrics, which answer without one)."""
    landing: LandingLog | None = request.app.state.landing
    return landing


def get_write_keys(request: Request) -> WriteKeys:
    """The configured write keys."""
    keys: WriteKeys = request.app.state.write_keys
    return keys


def get_collector_options(request: Request) -> CollectorOptions:
    """The collector's limits and timeouts."""
    options: CollectorOptions = request.app.state.collector_options
    return options


def get_metrics(request: Request) -> Metrics:
    """The process's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_lakehouse(request: Request) -> Lakehouse:
    """The process's lakehouse (``app.state.lakehouse``)."""
    lakehouse: Lakehouse = request.app.state.lakehouse
    return lakehouse


def get_consent_store(request: Request) -> ConsentStore:
    """The process's consent store: a statement it records is in force for its next decision."""
    store: ConsentStore = request.app.state.consent_store
    return store


def get_audit(request: Request) -> ConsentAudit:
    """The consent audit over the process's lakehouse and consent store."""
    state = request.app.state
    audit: ConsentAudit = ConsentAudit(state.lakehouse, state.settings, store=state.consent_store)
    return audit


def bad_input(e: CdpError) -> ApiError:
    """The HTTP error of a product error: 400 for an invalid input (the field and what is
    wrong, never the value), 503 when the consent state cannot be read."""
    if isinstance(e, InvalidInputError):
        where = e.field or "request"
        return ApiError(400, "bad_request", f"{where}: {e.reason}")
    if isinstance(e, ConsentError):
        return ApiError(503, "unavailable", "the consent state cannot be read", headers=_RETRY)
    return ApiError(400, "bad_request", "invalid request")


def check_identifier(value: str, *, field: str = "identifier") -> str:
    """The normalized ``type:value`` identifier, or a 400 naming ``field``."""
    try:
        kind, normalized = parse_identifier(value)
    except InvalidInputError as e:
        raise ApiError(400, "bad_request", f"{field}: {e.reason}") from None
    return f"{kind}:{normalized}"


def optional_time(value: str | None, *, field: str) -> datetime | None:
    """An ISO 8601 (or epoch) query parameter as UTC, or a 400 naming ``field``."""
    if value is None or not value.strip():
        return None
    try:
        return parse_timestamp(value, field=field)
    except (InvalidInputError, ValueError, OverflowError):
        raise ApiError(400, "bad_request", f"{field}: not a timestamp") from None


SettingsDep = Annotated[Settings, Depends(get_settings)]
LakehouseDep = Annotated[Lakehouse, Depends(get_lakehouse)]
ConsentStoreDep = Annotated[ConsentStore, Depends(get_consent_store)]
AuditDep = Annotated[ConsentAudit, Depends(get_audit)]
LandingDep = Annotated[LandingLog, Depends(get_landing)]
LandingStateDep = Annotated[LandingLog | None, Depends(get_landing_state)]
WriteKeysDep = Annotated[WriteKeys, Depends(get_write_keys)]
CollectorOptionsDep = Annotated[CollectorOptions, Depends(get_collector_options)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

_RETRY = {"Retry-After": "1"}


def overloaded(options: CollectorOptions, message: str) -> ApiError:
    """The 503 of backpressure, with ``Retry-After``."""
    return ApiError(503, "overloaded", message, headers={"Retry-After": str(options.retry_after)})


@dataclass(slots=True)
class SegmentRequest:
    """An authenticated tracking request, read but not landed yet.

    ``rejection`` is set when the request is permanently broken: it is then landed as
    ``rejected`` and answered with that error.
    """

    route: str
    source: str
    received_at: datetime
    content_type: str
    body: bytes
    meta: dict[str, str]
    events: int
    rejection: RejectedRequestError | None


def _unauthorized() -> ApiError:
    # no WWW-Authenticate: a first-party browser would prompt its user for a password
    return ApiError(
        401,
        "unauthorized",
        "a known write key is required (HTTP Basic user, or writeKey in the body)",
    )


async def read_segment_request(
    request: Request,
    keys: WriteKeysDep,
    options: CollectorOptionsDep,
    landing: LandingDep,
) -> SegmentRequest:
    """Read and authenticate a request to a route of the tracking API (401 if unknown key).

    The route comes from the matched path (``/v1/t`` is ``track``); the beacon route also
    accepts ``?writeKey=`` (beacons cannot set headers).
    """
    if landing.pending_bytes() >= landing.max_pending_bytes:
        raise overloaded(options, "the collector is busy; retry later")
    received_at = datetime.now(UTC)
    path: str = getattr(request.scope.get("route"), "path", request.url.path)
    query_key = path == BEACON_PATH
    route = "batch" if query_key else ROUTE_OF_PATH[path.removeprefix("/v1/")]
    headers = request.headers
    meta: dict[str, str] = {}

    source: str | None = None
    authorization = headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":  # other schemes (an SDK's OAuth Bearer): the body
        source = keys.source_for(basic_auth_key(authorization))
        if source is None:
            raise _unauthorized()
        meta["auth"] = "basic"

    encoding = headers.get("content-encoding", "")
    try:
        body, rejection = await read_body(
            request.stream(), encoding=encoding, cap=options.max_batch_bytes
        )
    except ClientDisconnect:  # nobody is left to answer; nothing was acknowledged
        raise ApiError(400, "bad_request", "the client went away mid-body") from None
    doc: Any = None
    if rejection is None:
        try:
            doc = parse_document(body)
        except RejectedRequestError as e:
            rejection = e

    if source is None:
        if rejection is None:
            body_key, meta["auth"] = write_key_of(doc), "body"
        else:
            body_key, meta["auth"] = salvage_write_key(body), "body"
        if body_key is None and query_key:
            body_key, meta["auth"] = request.query_params.get("writeKey"), "query"
        source = keys.source_for(body_key)
        if source is None:
            raise _unauthorized()

    events = 0
    if rejection is None:
        events, rejection = check_document(doc, route=route, size=len(body), options=options)
    meta["write_key_source"] = source
    meta["path"] = path
    if encoding.strip():
        meta["content_encoding"] = encoding.strip().lower()[:32]
    if headers.get("sec-gpc", "").strip() == "1":
        meta["gpc"] = "1"
    return SegmentRequest(
        route=route,
        source=source,
        received_at=received_at,
        content_type=headers.get("content-type", "")[:200],
        body=body,
        meta=meta,
        events=events,
        rejection=rejection,
    )


SegmentRequestDep = Annotated[SegmentRequest, Depends(read_segment_request)]

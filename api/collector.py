"""The Segment-compatible collector: the tracking API routes (DESIGN §6).

``POST /v1/{identify,track,page,screen,group,alias,batch}``, the browser short paths
``/v1/{i,t,p,s,g,a,b}``, ``/v1/import`` (a batch, for older SDKs) and RudderStack's beacon
``/beacon/v1/batch?writeKey=``; ``GET /v1/projects/{writeKey}/settings`` for analytics.js.

A request is answered ``200 {"success": true}`` only after its body is in the landing log and
``fsync``'ed. A permanently broken request (bad JSON, oversize...) is landed as ``rejected``
(the dataflow quarantines it) and answered 400. Backpressure answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from api._metrics import Metrics
from api._segment import BEACON_PATH, ROUTE_OF_PATH, CollectorOptions
from api.deps import (
    CollectorOptionsDep,
    LandingDep,
    MetricsDep,
    SegmentRequest,
    SegmentRequestDep,
    WriteKeysDep,
    overloaded,
)
from api.errors import ErrorBody, error_response
from cdp.landing import LandingEntry, LandingError, LandingFullError, LandingLog

__all__ = ["Ack", "ProjectSettings", "router"]

logger = logging.getLogger(__name__)

_SUCCESS: Final = b'{"success":true}'
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorBody, "description": "Permanently broken request (landed as rejected)"},
    401: {"model": ErrorBody, "description": "Unknown or missing write key"},
    415: {"model": ErrorBody, "description": "Unsupported Content-Encoding"},
    503: {"model": ErrorBody, "description": "Backpressure: retry after Retry-After seconds"},
}


class Ack(BaseModel):
    """What the tracking API answers once a request is durably landed."""

    success: bool = True


class ProjectSettings(BaseModel):
    """The settings analytics.js bootstraps from (the CDN's ``/v1/projects/{key}/settings``)."""

    model_config = ConfigDict(extra="allow")

    integrations: dict[str, dict[str, Any]]
    plan: dict[str, Any]
    edgeFunction: dict[str, Any]  # noqa: N815 - wire name
    analyticsNextEnabled: bool  # noqa: N815
    middlewareSettings: dict[str, Any]  # noqa: N815
    enabledMiddleware: dict[str, Any]  # noqa: N815
    metrics: dict[str, Any]
    legacyVideoPluginsEnabled: bool  # noqa: N815
    remotePlugins: list[Any]  # noqa: N815


_NO_STORE: Final = {"Cache-Control": "no-store"}

router = APIRouter(tags=["collector"])


async def _append(
    landing: LandingLog, entry: LandingEntry, options: CollectorOptions, metrics: Metrics
) -> None:
    """Land one entry durably, or raise the 503 of backpressure."""
    started = time.perf_counter()
    try:
        await asyncio.wait_for(landing.append(entry), options.append_timeout)
    except LandingFullError:
        raise overloaded(options, "the collector is busy; retry later") from None
    except TimeoutError:
        logger.warning("landing did not complete within %.1fs", options.append_timeout)
        raise overloaded(options, "the write did not complete in time; retry later") from None
    except LandingError:
        logger.exception("landing failed")
        raise overloaded(options, "the collector cannot write; retry later") from None
    metrics.observe_append(time.perf_counter() - started)


async def _collect(
    incoming: SegmentRequest,
    landing: LandingLog,
    options: CollectorOptions,
    metrics: Metrics,
) -> Response:
    rejection = incoming.rejection
    if rejection is not None:
        meta = {
            **incoming.meta,
            "error_type": rejection.error_type,
            "error": rejection.message,
            "route": incoming.route,
        }
        if rejection.truncated:
            meta["truncated"] = "1"
        entry = LandingEntry.create(
            source=incoming.source,
            route="rejected",
            payload=incoming.body,
            content_type=incoming.content_type,
            meta=meta,
            received_at=incoming.received_at,
        )
        await _append(landing, entry, options, metrics)
        metrics.count_rejected(rejection.error_type)
        raise rejection
    entry = LandingEntry.create(
        source=incoming.source,
        route=incoming.route,
        payload=incoming.body,
        content_type=incoming.content_type,
        meta=incoming.meta,
        received_at=incoming.received_at,
    )
    await _append(landing, entry, options, metrics)
    metrics.count_landed(incoming.route, events=incoming.events, size=len(incoming.body))
    return Response(content=_SUCCESS, media_type="application/json")


async def collect(
    incoming: SegmentRequestDep,
    landing: LandingDep,
    options: CollectorOptionsDep,
    metrics: MetricsDep,
) -> Response:
    """Land a request of the Segment tracking API (200 once durable)."""
    return await _collect(incoming, landing, options, metrics)


for _name, _route in ROUTE_OF_PATH.items():
    router.add_api_route(
        f"/v1/{_name}",
        collect,
        methods=["POST"],
        response_model=Ack,
        responses=_ERRORS,
        name=f"collect_{_name}",
        summary=f"{_route} (/v1/{_name})",
    )
router.add_api_route(
    BEACON_PATH,
    collect,
    methods=["POST"],
    response_model=Ack,
    responses=_ERRORS,
    name="collect_beacon",
    summary="batch (RudderStack beacon, ?writeKey=)",
)


def _project_settings(write_key: str, request: Request) -> ProjectSettings:
    api_host = f"{request.url.netloc}/v1"
    return ProjectSettings(
        integrations={
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": api_host,
                "protocol": request.url.scheme,
                "unbundledIntegrations": [],
                "addBundledMetadata": True,
                "maybeBundledConfigIds": {},
                "versionSettings": {"version": "4.4.7", "componentTypes": ["browser"]},
            }
        },
        plan={
            "track": {"__default": {"enabled": True, "integrations": {}}},
            "identify": {"__default": {"enabled": True}},
            "group": {"__default": {"enabled": True}},
        },
        edgeFunction={},
        analyticsNextEnabled=True,
        middlewareSettings={},
        enabledMiddleware={},
        metrics={"sampleRate": 0},
        legacyVideoPluginsEnabled=False,
        remotePlugins=[],
    )


@router.get(
    "/v1/projects/{write_key}/settings",
    response_model=ProjectSettings,
    responses={404: {"model": ErrorBody, "description": "Unknown write key"}},
)
async def project_settings(write_key: str, request: Request, keys: WriteKeysDep) -> Response:
    """The settings analytics.js loads at start, pointing it at this collector."""
    if keys.source_for(write_key) is None:
        return error_response(404, "not_found", "unknown write key")
    body = _project_settings(write_key, request).model_dump_json().encode()
    return Response(content=body, media_type="application/json", headers=_NO_STORE)

"""``GET /metrics``: Prometheus text exposition of the collector and its landing log."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api._metrics import CONTENT_TYPE
from api.deps import LandingStateDep, MetricsDep

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
def metrics(metrics: MetricsDep, landing: LandingStateDep) -> PlainTextResponse:
    """Prometheus metrics of this process."""
    return PlainTextResponse(metrics.render(landing), media_type=CONTENT_TYPE)

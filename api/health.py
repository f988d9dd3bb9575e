"""``GET /healthz``: liveness and the state of the landing log."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import LandingStateDep
from cdp import __version__

__all__ = ["Health", "router"]

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    """``status`` is ``ok`` when the landing log is open and writable."""

    status: str
    version: str
    lane: str | None = None
    pending_bytes: int | None = None


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The landing log is not writable"}},
)
async def healthz(landing: LandingStateDep) -> JSONResponse | Health:
    """Liveness; 503 while the landing log is closed or failed."""
    if landing is None or landing.closed or landing.failed:
        body = Health(status="unavailable", version=__version__)
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(
        status="ok",
        version=__version__,
        lane=landing.lane,
        pending_bytes=landing.pending_bytes(),
    )

"""Privacy routes (DESIGN §10), for the ``dpo`` and ``admin`` roles.

- ``POST /v1/privacy/erasure`` with ``{"identifier": "email:…", "request_id": …, "retention":
  "immediate" | "deferred"}``: erases the person (GDPR Art. 17, :func:`consent.privacy.erase`)
  and answers the deletion report (no personal data). The caller's key name is recorded as
  ``requested_by``.
- ``GET /v1/privacy/export/{identifier}``: everything held about the person (Art. 15/20,
  :func:`consent.privacy.export_subject`); 404 when nothing is held.

An identifier several customers hold is refused with 409; a malformed one is a 400 naming the
field, never the value.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import DpoDep
from api.deps import LakehouseDep, SettingsDep, check_identifier
from api.errors import ApiError, ErrorBody
from cdp.errors import CdpError
from consent.privacy import (
    AmbiguousSubjectError,
    SubjectNotFoundError,
    erase,
    export_subject,
)

__all__ = ["ErasureIn", "ErasureOut", "ExportOut", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid identifier or body"},
    401: {"model": ErrorBody, "description": "No known API key"},
    403: {"model": ErrorBody, "description": "The key's role is not dpo or admin"},
    409: {"model": ErrorBody, "description": "The identifier belongs to several customers"},
}


class ErasureIn(BaseModel):
    """An erasure request."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    identifier: str = Field(examples=["email:jane@example.com"], max_length=1024)
    request_id: str | None = Field(default=None, max_length=128)
    retention: Literal["immediate", "deferred"] = "immediate"


class ErasureOut(BaseModel):
    """The deletion report (pseudonymous: hashes and ids only)."""

    request_id: str
    requested_by: str
    identifier_type: str
    identifier_hash: str
    status: str
    retention: str
    customer_ids: list[str]
    identifier_hashes: list[str]
    rows_deleted: dict[str, int]
    rows_redacted: dict[str, int]
    files_vacuumed: int
    history_truncated: list[str]
    verified: bool | None
    findings: list[dict[str, Any]]
    values_checked: dict[str, int]
    shared_values: dict[str, int]
    files_scanned: int
    table_versions: dict[str, int]
    started_at: datetime
    finished_at: datetime


class ExportOut(BaseModel):
    """Everything held about a person (the keys of ``consent.privacy.export_subject``)."""

    model_config = ConfigDict(extra="allow")

    subject: str
    customer_ids: list[str]
    identifiers: list[str]
    manifest: dict[str, Any]


def _error(e: CdpError) -> ApiError:
    if isinstance(e, AmbiguousSubjectError):
        return ApiError(409, "conflict", "the identifier belongs to several customers")
    if isinstance(e, SubjectNotFoundError):
        return ApiError(404, "not_found", "no data held for this identifier")
    return ApiError(400, "bad_request", "the request cannot be done")


@router.post("/erasure", response_model=ErasureOut, responses=_ERRORS)
def post_erasure(
    body: ErasureIn, principal: DpoDep, lakehouse: LakehouseDep, settings: SettingsDep
) -> ErasureOut:
    """Erase the person the identifier names and return the deletion report."""
    identifier = check_identifier(body.identifier)
    try:
        report = erase(
            lakehouse,
            settings,
            identifier,
            request_id=body.request_id,
            requested_by=principal.name,
            retention=body.retention,
        )
    except CdpError as e:
        raise _error(e) from None
    logger.info("erasure %s by key %r: %s", report.request_id, principal.name, report.status)
    return ErasureOut(**report.to_json())


@router.get(
    "/export/{identifier:path}",
    response_model=ExportOut,
    responses={**_ERRORS, 404: {"model": ErrorBody, "description": "Nothing held"}},
)
def get_export(
    principal: DpoDep, lakehouse: LakehouseDep, settings: SettingsDep, identifier: str
) -> ExportOut:
    """Everything held about the person (Art. 15/20)."""
    subject = check_identifier(identifier)
    try:
        data = export_subject(lakehouse, settings, subject)
    except CdpError as e:
        raise _error(e) from None
    return ExportOut(**data)

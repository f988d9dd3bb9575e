"""Errors of the HTTP layer and the handlers that turn every failure into a JSON body.

Every error response has the body ``{"code": ..., "message": ...}`` (what the Segment SDKs read).
Messages name the problem, never a value from the request.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any, Final

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cdp.errors import CdpError

__all__ = ["ApiError", "ErrorBody", "error_response", "install_error_handlers"]

logger = logging.getLogger(__name__)

_CODES: Final[dict[int, str]] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "oversize",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str
    message: str


class ApiError(CdpError):
    """An HTTP error with a stable ``code`` (base class of every error raised by ``api``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")


def error_response(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON error response ``{"code", "message"}``."""
    return Response(
        content=orjson.dumps({"code": code, "message": message}),
        status_code=status,
        media_type="application/json",
        headers=dict(headers) if headers else None,
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    where = ".".join(str(p) for p in errors[0]["loc"]) if errors else "request"
    return error_response(400, "bad_request", f"{where}: invalid")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # the route template, not the path (paths carry identifiers); the traceback without the
    # exception's message (messages may carry values)
    route = getattr(request.scope.get("route"), "path", "unmatched route")
    logger.error(
        "unhandled %s on %s\n%s",
        type(exc).__name__,
        route,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return error_response(500, "internal", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``, and say so in its OpenAPI schema."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    _document_validation_errors(app)


def _document_validation_errors(app: FastAPI) -> None:
    """FastAPI documents a request that fails validation as ``422 HTTPValidationError``; this
    API answers ``400`` with an :class:`ErrorBody` (:func:`_validation_error`), so the schema
    says that instead (clients generated from it must see the real answer)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        body = {"$ref": "#/components/schemas/ErrorBody"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None and "400" not in responses:
                    responses["400"] = {
                        "description": "Invalid request",
                        "content": {"application/json": {"schema": body}},
                    }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):  # unless still referenced
            found = components.pop(unused, None)
            if found is not None and f'"#/components/schemas/{unused}"'.encode() in orjson.dumps(
                schema
            ):
                components[unused] = found
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

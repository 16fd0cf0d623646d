"""JSON errors with a stable `code` and a human message; nothing else leaks to the caller."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import psycopg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
}


class ApiError(Exception):
    """Raised by handlers to answer with `{"error": {"code", "message", ...}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **details: object,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


def error_content(code: str, message: str, **details: object) -> dict[str, object]:
    """The one shape of every error answer."""
    return {"error": {"code": code, "message": message, **details}}


def error_body(code: str, message: str, **details: object) -> bytes:
    """`error_content` as bytes, for an endpoint that renders its own answers."""
    return json.dumps(error_content(code, message, **details)).encode()


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **details: object,
) -> JSONResponse:
    return JSONResponse(
        error_content(code, message, **details), status_code=status, headers=headers
    )


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers, **exc.details)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


def database_unavailable(
    message: str = "The database is unavailable; try again shortly.",
) -> ApiError:
    return ApiError(503, "database_unavailable", message, headers={"Retry-After": "5"})


async def handle_database_unavailable(request: Request, exc: Exception) -> Response:
    """The database could not be reached, had no free connection within the pool timeout, or
    a lock wait or statement hit its bound: temporary, so 503 (never a 500)."""
    assert isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    log.warning(
        "database unavailable on %s %s",
        request.method,
        request.url.path,
        extra={"error_class": type(exc).__name__, "sqlstate": getattr(exc, "sqlstate", None)},
    )
    error = database_unavailable()
    return error_response(error.status, error.code, error.message, headers=error.headers)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "The server hit an unexpected error.")


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    psycopg.OperationalError: handle_database_unavailable,
    psycopg.InterfaceError: handle_database_unavailable,
    Exception: handle_unexpected,
}

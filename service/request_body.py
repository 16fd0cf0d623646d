"""Reading and validating request bodies: size limits first, then shape, naming the bad field."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.requests import Request

from service.errors import ApiError


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) anything over `limit` without reading further."""
    too_large = ApiError(413, "payload_too_large", f"Request bodies are limited to {limit} bytes.")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request, limit: int) -> dict[str, Any]:
    body = await read_body(request, limit)
    try:
        value = json.loads(body.decode("utf-8"))
    except ValueError as exc:
        raise ApiError(400, "invalid_json", "The request body must be JSON.") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return value


def invalid_field(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_request", message, field=field)


def uuid_field(body: dict[str, Any], field: str) -> uuid.UUID:
    value = body.get(field)
    if value is None:
        raise invalid_field(field, f"{field} is required.")
    if not isinstance(value, str):
        raise invalid_field(field, f"{field} must be a string (a UUID).")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise invalid_field(field, f"{field} must be a UUID.") from exc


def id_field(body: dict[str, Any], field: str, pattern: re.Pattern[str]) -> str:
    value = body.get(field)
    if value is None:
        raise invalid_field(field, f"{field} is required.")
    if not isinstance(value, str):
        raise invalid_field(field, f"{field} must be a string.")
    if not pattern.fullmatch(value):
        raise invalid_field(field, f"{field} is not a valid identifier.")
    return value

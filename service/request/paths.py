"""Ids in a request's path, and the 404s that answer an id that names nothing the caller may
see: a malformed id is answered exactly like an unknown one, so neither tells what exists.
Whatever the path holds, an id reaches the database only as a value its column can hold
(never a 500 from a conversion or an overflow).
"""

from __future__ import annotations

import uuid

from starlette.requests import Request

from service.database.values import positive_bigint, storable_text
from service.errors import ApiError


def lesson_not_found() -> ApiError:
    return ApiError(404, "lesson_not_found", "No such lesson, or not one you may see or change.")


def course_not_found() -> ApiError:
    return ApiError(404, "course_not_found", "No such course, or not one you may see.")


def path_uuid(request: Request, name: str, not_found: ApiError) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError as exc:
        raise not_found from exc


def path_bigint(request: Request, name: str, not_found: ApiError) -> int:
    """A positive `bigint` id (`values.positive_bigint`)."""
    value = positive_bigint(request.path_params[name])
    if value is None:
        raise not_found
    return value


def path_text(request: Request, name: str, not_found: ApiError) -> str:
    """A `text` id: anything PostgreSQL can store (`values.storable_text`)."""
    value = storable_text(request.path_params[name])
    if value is None:
        raise not_found
    return value

"""Ids in a request's path, and the 404s that answer an id that names nothing the caller may
see: a malformed id is answered exactly like an unknown one, so neither tells what exists.
Whatever the path holds, an id reaches the database only as a value its column can hold
(never a 500 from a conversion or an overflow).
"""

from __future__ import annotations

import uuid

from starlette.requests import Request

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


BIGINT_MAX = 2**63 - 1


def path_bigint(request: Request, name: str, not_found: ApiError) -> int:
    """A positive `bigint` id: ASCII digits only (`str.isdigit` takes `²`, which `int` refuses),
    no larger than PostgreSQL's bigint."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(BIGINT_MAX)):
        raise not_found
    value = int(raw)
    if not 0 < value <= BIGINT_MAX:
        raise not_found
    return value


def path_text(request: Request, name: str, not_found: ApiError) -> str:
    """A `text` id: anything PostgreSQL can store (no NUL, valid Unicode)."""
    raw: str = request.path_params[name]
    if "\x00" in raw:
        raise not_found
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise not_found from exc
    return raw

"""Ids in a request's path, and the 404s that answer an id that names nothing the caller may
see: a malformed id is answered exactly like an unknown one, so neither tells what exists.
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

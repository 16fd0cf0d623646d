"""Which revision of a course or lesson a change was made against: `If-Match: "<revision>"`
(the `ETag` every answer about one course or lesson carries) or the body's `revision`.

A change naming an older revision than the row's is refused with 409 and the current row, so
two tabs editing the same lesson cannot silently overwrite each other. A change naming none
applies to whatever is current (last write wins), as HTTP has it.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from service.errors import ApiError
from service.request.body import invalid_field

_ETAG = re.compile(r'(?:W/)?"([0-9]{1,9})"')


def etag(revision: int) -> str:
    return f'"{revision}"'


def expected_revision(request: Request, body: dict[str, Any]) -> int | None:
    """The revision the caller edited, or None when it names none (`If-Match: *` included)."""
    header = request.headers.get("if-match")
    if header is not None and header.strip() != "*":
        match = _ETAG.fullmatch(header.strip())
        if match is None:
            raise invalid_field("If-Match", 'If-Match must be an ETag this service sent: "<n>".')
        named = int(match.group(1))
        if "revision" in body and body["revision"] != named:
            raise invalid_field("revision", "revision and If-Match name different revisions.")
        return named
    if "revision" not in body or body["revision"] is None:
        return None
    value = body["revision"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 10**9:
        raise invalid_field("revision", "revision must be a positive integer.")
    return value


def edit_conflict(what: str, current: dict[str, Any]) -> ApiError:
    """409 for a change made against an older revision, with the current row to show."""
    return ApiError(
        409,
        "edit_conflict",
        f"This {what} was changed elsewhere since you opened it. Review the current version "
        "and save again.",
        current=current,
    )

"""What an author writes about a course or a lesson: a title (required, at most 200 characters,
trimmed), a description (optional, at most 2,000) and, on a change, its visibility (`draft` or
`public`; new ones start `draft`). The database holds the same limits (check constraints);
these answer first, with 422 naming the field."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from service.errors import ApiError
from service.request.body import invalid_field, json_object, only_fields, text_field
from service.request.caller import required_claims
from service.request.paths import path_uuid
from service.request.revisions import expected_revision

BODY_LIMIT = 64 * 1024
TITLE_MAX = 200
DESCRIPTION_MAX = 2000
VISIBILITIES = ("draft", "public")
_WRITTEN = ("title", "description", "visibility")


def written_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The fields to store: on creation a title (and maybe a description); on a change the
    ones sent (and maybe the `revision` it was made against, read by `revisions`)."""
    only_fields(body, ("title", "description") if creating else (*_WRITTEN, "revision"))
    fields: dict[str, Any] = {}
    if creating or "title" in body:
        fields["title"] = text_field(body, "title", max_length=TITLE_MAX, required=True)
    if creating or "description" in body:
        fields["description"] = text_field(
            body, "description", max_length=DESCRIPTION_MAX, required=False
        )
    if not creating and "visibility" in body:
        if body["visibility"] not in VISIBILITIES:
            raise invalid_field("visibility", 'visibility must be "draft" or "public".')
        fields["visibility"] = body["visibility"]
    if not fields:
        raise ApiError(
            422,
            "invalid_request",
            "Send a title, a description or a visibility to change.",
            field="title",
        )
    return fields


def assignments(fields: dict[str, Any]) -> str:
    """`title = %(title)s, ...` for the fields `written_fields` returned (known names only)."""
    return ", ".join(f"{name} = %({name})s" for name in fields if name in _WRITTEN)


@dataclass(frozen=True)
class Change:
    """A change an author sends to a course or a lesson: who, which one, the fields to store,
    and the revision it was made against (None when it names none)."""

    claims: dict[str, Any]
    target: uuid.UUID
    fields: dict[str, Any]
    revision: int | None


async def requested_change(request: Request, path_name: str, not_found: ApiError) -> Change:
    """`PATCH` of a course or lesson: the signed-in caller, the id in the path, the body's
    fields (422 naming a bad one) and its revision (`If-Match`, or `revision`)."""
    claims = await required_claims(request)
    target = path_uuid(request, path_name, not_found)
    body = await json_object(request, BODY_LIMIT)
    fields = written_fields(body, creating=False)
    return Change(claims, target, fields, expected_revision(request, body))

"""Reading and validating request bodies: size limits first, then shape, naming the bad field."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection
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


MAX_JSON_DEPTH = 64
# What the nesting depends on, one token at a time: an escape (a backslash and the character
# after it), a quote, or a bracket. Each match is one or two characters, so finding them all
# is one forward pass that never backtracks.
_NESTING_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def _check_depth(text: str, limit: int) -> None:
    """ValueError when arrays/objects nest deeper than `limit` (brackets in strings aside).

    One pass over the text's escapes, quotes and brackets, with two pieces of state: inside a
    string or not, and the depth. Time linear in the text, whatever it holds."""
    if text.count("[") + text.count("{") <= limit:
        return  # cannot nest deeper than it has brackets: the common case costs two scans
    depth = 0
    in_string = False
    for match in _NESTING_TOKEN.finditer(text):
        piece = match.group()
        if piece == '"':
            in_string = not in_string
        elif in_string or len(piece) == 2:
            continue  # a bracket inside a string, or an escape
        elif piece == "[" or piece == "{":
            depth += 1
            if depth > limit:
                raise ValueError(f"JSON nested deeper than {limit} levels")
        else:
            depth -= 1


def loads_bounded(text: str, **options: Any) -> Any:
    """`json.loads` for untrusted text: nesting deeper than MAX_JSON_DEPTH is a ValueError
    (not a RecursionError deep inside the parser, nor work for everything downstream)."""
    _check_depth(text, MAX_JSON_DEPTH)
    try:
        return json.loads(text, **options)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


async def json_object(request: Request, limit: int) -> dict[str, Any]:
    body = await read_body(request, limit)
    try:
        value = loads_bounded(body.decode("utf-8"))
    except ValueError as exc:
        raise ApiError(400, "invalid_json", "The request body must be JSON.") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return value


def invalid_field(field: str, message: str) -> ApiError:
    """422: the body is JSON, but a field is missing, of the wrong type or out of range."""
    return ApiError(422, "invalid_request", message, field=field)


def only_fields(body: dict[str, Any], allowed: Collection[str]) -> None:
    """A field the route does not know is refused by name, never silently ignored."""
    for field in body:
        if field not in allowed:
            raise invalid_field(field, f"{field} is not a field of this request.")


def text_field(body: dict[str, Any], field: str, *, max_length: int, required: bool) -> str | None:
    """A text field, trimmed. Required: a non-empty string. Optional: absent, null or a
    string (empty means none). Longer than `max_length` characters is refused."""
    if field not in body or body[field] is None:
        if required:
            raise invalid_field(field, f"{field} is required.")
        return None
    value = body[field]
    if not isinstance(value, str):
        raise invalid_field(field, f"{field} must be a string.")
    value = value.strip()
    if not value and required:
        raise invalid_field(field, f"{field} must not be empty.")
    if len(value) > max_length:
        raise invalid_field(field, f"{field} must be at most {max_length} characters.")
    return value or None


def uuid_list_field(body: dict[str, Any], field: str, *, max_items: int) -> list[uuid.UUID]:
    value = body.get(field)
    if not isinstance(value, list):
        raise invalid_field(field, f"{field} must be a list of ids.")
    if len(value) > max_items:
        raise invalid_field(field, f"{field} may name at most {max_items} ids.")
    ids = []
    for item in value:
        try:
            ids.append(uuid.UUID(item if isinstance(item, str) else ""))
        except ValueError:
            raise invalid_field(field, f"{field} must hold ids (UUIDs).") from None
    return ids


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

"""Resuming a stream of many lessons: each event's id lists the version of every lesson the
client has been sent (`<12 hex digits of the lesson id>.<video_version>,...`), so a
reconnecting `EventSource`, whose `Last-Event-ID` is that list, is sent only the lessons that
changed since. Twelve hex digits are unique within any real course or author's lessons; a
prefix named twice counts as unknown (its lesson is sent again, never skipped wrongly).
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request

_PREFIX = 12  # hex digits of a lesson id in an event id
_VERSION_ENTRY = re.compile(r"([0-9a-f]{12})\.([0-9]{1,18})")
MAX_EVENT_ID = 16 * 1024


def prefix(lesson: uuid.UUID) -> str:
    return lesson.hex[:_PREFIX]


def versions_id(versions: dict[uuid.UUID, int]) -> str:
    """The event id: every lesson the client has, with the version it has."""
    return ",".join(f"{prefix(lesson)}.{version}" for lesson, version in versions.items())


def known_versions(request: Request) -> dict[str, int]:
    """What a reconnecting client has (Last-Event-ID); anything unreadable counts as nothing,
    and a prefix named twice is dropped (its lessons are sent again: never skipped wrongly)."""
    raw = request.headers.get("last-event-id", "")
    if len(raw) > MAX_EVENT_ID:
        return {}
    known: dict[str, int] = {}
    twice: set[str] = set()
    for entry in raw.split(","):
        match = _VERSION_ENTRY.fullmatch(entry.strip())
        if match is None:
            continue
        key, version = match.group(1), int(match.group(2))
        if key in known:
            twice.add(key)
        known[key] = version
    return {key: v for key, v in known.items() if key not in twice}

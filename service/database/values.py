"""What a column can hold, for ids that arrive as text (a URL path, a command line): checked
before they reach the database, so a conversion or an overflow is never an error there."""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1


def positive_bigint(raw: str) -> int | None:
    """`raw` as a positive `bigint`, or None: ASCII digits only (`str.isdigit` takes `²`,
    which `int` refuses), no larger than PostgreSQL's bigint."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(BIGINT_MAX)):
        return None
    value = int(raw)
    return value if 0 < value <= BIGINT_MAX else None


def storable_text(raw: str) -> str | None:
    """`raw` if PostgreSQL can store it as `text` (no NUL, valid Unicode), else None."""
    if "\x00" in raw:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return raw

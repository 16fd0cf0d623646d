"""What a `mux-lessons doctor` check answers: a `Check` line (its name, a verdict of `ok`,
`FAIL`, `warn` or `skip`, and a detail that never shows a secret), and the wording the checks
share."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

OK, FAIL, WARN, SKIP = "ok", "FAIL", "warn", "skip"
MIGRATE_HINT = "run `mux-lessons migrate`"
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    detail: str


def one_line(exc: BaseException) -> str:
    """An error's message on one line, bounded: a verdict's detail, never a traceback."""
    return " ".join(str(exc).split())[:200]


def describe(url: str) -> str:
    """Host, port and database of a URL: never its user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 5432}{parts.path or '/'}"

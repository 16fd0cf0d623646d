"""Nothing secret in any log line, at any log level, whoever configured logging.

Access logs print request URLs, and at uvicorn's `trace` level the ASGI scope too: users'
access tokens travel in `?access_token=` (EventSource cannot send headers), and anyone may
put a token in a URL. `RedactSecrets` rewrites every record before it is formatted:
token-bearing query parameters (by name, compared decoded: `?t%6Fken=` is `token`), anything
shaped like a JWT, credentials in database URLs, and the values of credential headers (in
ASGI scopes and messages). A request's URL is the client's to choose, so every scan here
costs time linear in the text's length, by construction (no regex that can backtrack).
It is installed on the loggers uvicorn writes to (so plain `uvicorn service.app:app`, with
uvicorn's own handlers, is covered) and on the root handler `configure_logging` sets up
(`python -m service`).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
SECRET_PARAMS = ("access_token", "refresh_token", "token", "apikey", "api_key", "secret")
SECRET_HEADERS = {b"authorization", b"cookie", b"set-cookie", b"mux-signature", b"x-csrf-token"}
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

# Every pattern below is one character class with `*` or `+` and nothing after it: a match
# scans a run of characters once and can never backtrack. The scanners built on them move
# forward only, so redacting any text costs time linear in its length (the regexes this
# replaced backtracked quadratically on `://x` or `eyJ` repeated: seconds for 60 KB).
_PIECE = re.compile(r"[^?&;\s]+")  # a `name=value` candidate between query separators
_PARAM_VALUE = re.compile(r"[^&#\s\"'<>]*")  # where a secret parameter's value ends
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")  # a run of JWT characters
_URL_USER = re.compile(r"[^:/@\s]*")
_URL_PASSWORD = re.compile(r"[^@\s]*")
_SECRET_NAMES = frozenset(SECRET_PARAMS)
_LONGEST_ENCODED_NAME = 12 * max(map(len, SECRET_PARAMS))  # 4 percent-encoded bytes a letter
_PLAIN = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _secret_name(raw: str) -> bool:
    """A parameter name as the application reads it (percent- and `+`-decoded, as Starlette
    does), compared without regard to case."""
    if len(raw) > _LONGEST_ENCODED_NAME:
        return False  # longer than any secret name, however it is encoded
    if "%" in raw or "+" in raw:
        raw = unquote_plus(raw)
    return raw.casefold() in _SECRET_NAMES


def _redact_params(text: str) -> str:
    """`name=value` after `?`, `&`, `;`, whitespace or the start, whose decoded name is a
    secret: the value (up to `&`, `#`, whitespace, a quote or `<>`) becomes [redacted]."""
    if "=" not in text:
        return text
    out: list[str] = []
    done = 0  # text before this index is already in `out`
    for piece in _PIECE.finditer(text):
        start = piece.start()
        if start < done:
            continue  # inside a value already redacted
        equals = text.find("=", start, piece.end())
        if equals < 0 or not _secret_name(text[start:equals]):
            continue
        end = _PARAM_VALUE.match(text, equals + 1).end()  # type: ignore[union-attr]
        out += (text[done : equals + 1], REDACTED)
        done = end
    return "".join(out) + text[done:] if out else text


def _redact_jwts(text: str) -> str:
    """`eyJ` + 4 or more base64url characters, `.`, 4 or more, `.`, any number: [redacted].

    A candidate that fails fails for every later `eyJ` in the same run of base64url
    characters too (they share the run's end and the segments after it, with less room
    before it), so the search resumes at the end of that run: nothing is read twice as the
    first segment."""
    out: list[str] = []
    done = 0
    search = 0
    length = len(text)
    while (start := text.find("eyJ", search)) >= 0:
        first = _BASE64URL.match(text, start).end()  # type: ignore[union-attr]
        if first - start >= 7 and first < length and text[first] == ".":
            second = _BASE64URL.match(text, first + 1).end()  # type: ignore[union-attr]
            if second - first - 1 >= 4 and second < length and text[second] == ".":
                end = _BASE64URL.match(text, second + 1).end()  # type: ignore[union-attr]
                out += (text[done:start], REDACTED)
                done = search = end
                continue
        search = first
    return "".join(out) + text[done:] if out else text


def _redact_url_passwords(text: str) -> str:
    """`://user:password@` becomes `://user:[redacted]@`. Where a password would end (the
    first `@` or whitespace after it) is found once for every candidate that shares it."""
    out: list[str] = []
    done = 0
    search = 0
    stop_from = stop = -1  # no `@` or whitespace in text[stop_from:stop]; text[stop] is one
    while (scheme := text.find("://", search)) >= 0:
        user_end = _URL_USER.match(text, scheme + 3).end()  # type: ignore[union-attr]
        search = scheme + 1
        if user_end == scheme + 3 or user_end >= len(text) or text[user_end] != ":":
            continue
        password = user_end + 1
        if not stop_from <= password <= stop:
            stop_from = password
            stop = _URL_PASSWORD.match(text, password).end()  # type: ignore[union-attr]
        if stop > password and stop < len(text) and text[stop] == "@":
            out += (text[done:password], REDACTED)
            done = stop
            search = stop + 1
    return "".join(out) + text[done:] if out else text


def redact_text(text: str) -> str:
    """`text` with secret query parameters, JWTs and database URL passwords replaced; time
    linear in its length, whatever it holds."""
    return _redact_url_passwords(_redact_jwts(_redact_params(text)))


def redact(value: Any) -> Any:
    """`value` with secrets replaced, recursing into containers (ASGI scopes and messages)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("latin-1")).encode("latin-1")
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[0], bytes) and value[0].lower() in SECRET_HEADERS:
            return (value[0], REDACTED.encode())
        return tuple(redact(item) for item in value)
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    return value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.args:
            record.args = redact(record.args)
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text`: the traceback is rendered once, redacted.
            record.exc_text = redact_text(_TRACEBACKS.formatException(record.exc_info))
        for name, value in list(vars(record).items()):
            if name not in _PLAIN and isinstance(value, str | bytes | dict | list | tuple):
                setattr(record, name, redact(value))
        return True


_TRACEBACKS = logging.Formatter()
_FILTER = RedactSecrets()


def install(*targets: logging.Logger | logging.Handler) -> None:
    """Add the filter to uvicorn's loggers and to `targets` (each once)."""
    for target in (*(logging.getLogger(name) for name in UVICORN_LOGGERS), *targets):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)

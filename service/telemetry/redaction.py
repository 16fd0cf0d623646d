"""Nothing secret in any log line, at any log level, whoever configured logging.

Access logs print request URLs, and at uvicorn's `trace` level the ASGI scope too: users'
access tokens travel in `?access_token=` (EventSource cannot send headers) and the operator
token in `/admin?token=`. `RedactSecrets` rewrites every record before it is formatted:
token-bearing query parameters, anything shaped like a JWT, credentials in database URLs,
and the values of credential headers (in ASGI scopes and messages). It is installed on the
loggers uvicorn writes to (so plain `uvicorn service.app:app`, with uvicorn's own handlers,
is covered) and on the root handler `configure_logging` sets up (`python -m service`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
SECRET_PARAMS = ("access_token", "refresh_token", "token", "apikey", "api_key", "secret")
SECRET_HEADERS = {b"authorization", b"cookie", b"set-cookie", b"mux-signature", b"x-csrf-token"}
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

_PARAM = re.compile(
    r"((?:^|[?&;\s])(?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"'<>]*", re.IGNORECASE
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
_PLAIN = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact_text(text: str) -> str:
    text = _PARAM.sub(rf"\1{REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


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

"""The redacting log filter on its own: every place a secret can sit in a log record."""

from __future__ import annotations

import io
import logging
import uuid

from service.telemetry import redaction
from service.telemetry.logs import JsonFormatter
from tests.tokens import hs256

TOKEN = hs256(uuid.uuid4())


def _logged(emit: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    redaction.install(handler)
    logger = logging.getLogger(f"test.redaction.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    assert callable(emit)
    emit(logger)
    return stream.getvalue()


def test_access_log_arguments_scopes_extras_and_tracebacks_are_redacted() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:1",
            "GET",
            f"/api/lessons/x/events?access_token={TOKEN}&a=1",
            "1.1",
            200,
        )
        logger.debug(
            "scope=%s",
            {
                "query_string": b"token=operator-secret",
                "headers": [(b"authorization", f"Bearer {TOKEN}".encode()), (b"host", b"h")],
            },
        )
        logger.warning("pool", extra={"url": "postgresql://svc:dbpassword@db:5432/postgres"})
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logger.exception("failed")

    output = _logged(emit)
    for secret in (TOKEN, "operator-secret", "dbpassword"):
        assert secret not in output
    assert "access_token=[redacted]&a=1" in output
    assert "svc:[redacted]@db" in output
    assert "ValueError: bad token [redacted]" in output

"""The redacting log filter on its own: every place a secret can sit in a log record."""

from __future__ import annotations

import io
import logging
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.telemetry import redaction
from service.telemetry.logs import JsonFormatter
from tests.linear_time import cost_ratio, sized
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


@pytest.mark.parametrize(
    "target",
    [
        "/admin?t%6Fken={secret}",
        "/admin?%74%6F%6B%65%6E={secret}",
        "/api/lessons/x/events?a=1&acc%65ss_token={secret}",
        "/api/lessons/x/events?ACCESS_TOKEN={secret}",
        "/api/lessons/x/events?access%5Ftoken={secret}#frag",
        "/x?refresh_token={secret};more",
        "/x?api%5fkey={secret}&next=1",
    ],
)
def test_parameter_names_are_compared_decoded(target: str) -> None:
    """Starlette decodes parameter names (`?acc%65ss_token=` authenticates a stream), so
    redaction compares names decoded too: an encoded name hides nothing."""
    secret = uuid.uuid4().hex
    line = redaction.redact_text(f'"GET {target.format(secret=secret)} HTTP/1.1" 200')
    assert secret not in line
    assert "=[redacted]" in line


def test_ordinary_text_and_parameters_are_left_alone() -> None:
    text = (
        '"GET /api/lessons/8afd43c0/events?tokens=2&next=/courses&a=b%20c HTTP/1.1" 200 '
        "postgresql://svc@db:5432/postgres eyJhbGciOi not a token"
    )
    assert redaction.redact_text(text) == text


# The worst inputs known for each kind of redaction (the first is N1's `GET /healthz?` query:
# the regexes this replaced took 4-9 s on 60 KB of it) and a benign text of the same size.
WORST = ["://x", "://x:", "eyJ", "eyJabcd.", "eyJabcd.efgh", "?token=", "&a=", "&t%6Fken=1", " "]
BENIGN = (
    '127.0.0.1:50312 - "GET /api/lessons/8afd43c0-6373-48f5-a3d0-f6669f0ac4f5/events'
    '?lesson=1&view=full HTTP/1.1" 200\n'
)
SIZE = 32 * 1024


@pytest.mark.parametrize("piece", WORST)
def test_redaction_costs_linear_time_in_what_a_client_sends(piece: str) -> None:
    ratio = cost_ratio(redaction.redact_text, sized(piece, SIZE), sized(BENIGN, SIZE))
    assert ratio < 20, f"{piece!r} x {SIZE // len(piece)} costs {ratio:.0f}x a benign text"


# The regexes the scanners replaced, kept as the reference for what they must still find.
_OLD_PARAM = re.compile(
    r"((?:^|[?&;\s])(?:" + "|".join(redaction.SECRET_PARAMS) + r")=)[^&#\s\"'<>]*", re.IGNORECASE
)
_OLD_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_OLD_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def _old_redact_text(text: str) -> str:
    text = _OLD_PARAM.sub(r"\1[redacted]", text)
    text = _OLD_JWT.sub("[redacted]", text)
    return _OLD_URL_PASSWORD.sub(r"\1[redacted]@", text)


# Text made of what the redaction looks for; no `%` or `+`, whose decoding is new.
_PIECES = st.sampled_from(
    ["eyJ", "abcd", "a", ".", ":", "/", "//", "://", "@", " ", "\t", "?", "&", ";", "=", "#",
     '"', "'", "<", "token", "TOKEN", "access_token", "secret", "Api_Key", "-", "_", "x"]
)  # fmt: skip
_TEXTS = st.lists(_PIECES | st.text(max_size=3), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_TEXTS)
def test_fuzzed_text_is_redacted_as_the_reference_regexes_do(text: str) -> None:
    assert redaction.redact_text(text) == _old_redact_text(text)


_NAMES = st.sampled_from(redaction.SECRET_PARAMS).flatmap(
    lambda name: st.tuples(*(st.sampled_from([c, c.upper(), f"%{ord(c):02X}"]) for c in name))
)


@settings(max_examples=200, deadline=None)
@given(
    name=_NAMES.map("".join),
    before=st.text(alphabet="ab=&?/%", max_size=20),
    value=st.text(alphabet=st.characters(exclude_characters="&#\"'<>"), min_size=1, max_size=40),
)
def test_fuzzed_encodings_of_a_secret_name_never_show_its_value(
    name: str, before: str, value: str
) -> None:
    value = "".join(c for c in value if not c.isspace()) or "v"
    line = redaction.redact_text(f"/path?{before}&{name}={value}")
    assert line.endswith(f"{name}=[redacted]"), line

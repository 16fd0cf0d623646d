"""Mux-Signature verification, checked against Mux's own published test vector."""

from __future__ import annotations

import pytest

from mux_emulator.signing import signature, signature_header
from service.ingest.signature import InvalidSignature, verify

# From Mux's SDKs (mux-node-sdk test/unit/webhooks, mux-elixir test/mux/webhooks_test.exs),
# "generated from Mux's backend code".
MUX_VECTOR_SECRET = "SuperSecret123"
MUX_VECTOR_BODY = b'{"test":"body"}'
MUX_VECTOR_TIME = 1565125718
MUX_VECTOR_HASH = "854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7"
MUX_VECTOR_HEADER = f"t={MUX_VECTOR_TIME},v1={MUX_VECTOR_HASH}"
# mux-node's second vector (its `unwrap_times` test): same secret and time, another body.
MUX_TIMES_BODY = b'{"test":{"nested":{"nanos":718234, "seconds":1691711005}}}'
MUX_TIMES_HASH = "bd315c24bce1c2b8ad325696f26530c8ef7d7d830afb7c1381903705d04607be"


def _verify_vector(
    header: str, body: bytes = MUX_VECTOR_BODY, now: float = MUX_VECTOR_TIME
) -> None:
    verify(body, header, [MUX_VECTOR_SECRET], tolerance_seconds=300, now=now)


def _verify(header: str | None, body: bytes = b"{}", **kwargs: object) -> None:
    options: dict[str, object] = {"tolerance_seconds": 300, "now": 1_700_000_000.0}
    options.update(kwargs)
    secrets = options.pop("secrets", ("s1",))
    verify(body, header, secrets, **options)


def test_mux_published_vector_verifies() -> None:
    verify(
        MUX_VECTOR_BODY,
        MUX_VECTOR_HEADER,
        [MUX_VECTOR_SECRET],
        tolerance_seconds=300,
        now=MUX_VECTOR_TIME,
    )


def test_mux_published_vector_is_what_our_signer_produces() -> None:
    header = signature_header(MUX_VECTOR_BODY, MUX_VECTOR_SECRET, MUX_VECTOR_TIME)
    assert header == MUX_VECTOR_HEADER


def test_published_vector_with_another_secret_or_body_fails() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(
            MUX_VECTOR_BODY,
            MUX_VECTOR_HEADER,
            ["other"],
            tolerance_seconds=300,
            now=MUX_VECTOR_TIME,
        )
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(
            b'{"test":"body2"}',
            MUX_VECTOR_HEADER,
            [MUX_VECTOR_SECRET],
            tolerance_seconds=300,
            now=MUX_VECTOR_TIME,
        )


def test_any_of_several_signatures_and_secrets_may_match() -> None:
    body, now = b'{"a":1}', 1_700_000_000
    good = signature(body, "new-secret", now)
    header = f"t={now},v1={'0' * 64},v1={good}"
    _verify(header, body, secrets=("old-secret", "new-secret"))
    with pytest.raises(InvalidSignature):
        _verify(header, body, secrets=("old-secret",))


@pytest.mark.parametrize("skew", [-301, 301, -600, 600])
def test_timestamps_outside_tolerance_are_refused_in_both_directions(skew: int) -> None:
    now = 1_700_000_000
    header = signature_header(b"{}", "s1", now + skew)
    with pytest.raises(InvalidSignature, match="tolerance"):
        _verify(header, now=float(now))


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamps_within_tolerance_pass(skew: int) -> None:
    now = 1_700_000_000
    _verify(signature_header(b"{}", "s1", now + skew), now=float(now))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=abc,v1=" + "0" * 64,
        "v1=" + "0" * 64,
        "t=1700000000",
        "t=1700000000,v1=zz",
        "t=1700000000,v1=é" + "0" * 63,
        "t=1700000000,t=1700000000,v1=" + "0" * 64,
        "t=1700000000,v1=" + "0" * 10_000,
    ],
)
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        _verify(header)


def test_no_configured_secret_refuses_everything() -> None:
    with pytest.raises(InvalidSignature, match="no webhook signing secret"):
        _verify(signature_header(b"{}", "s1", 1_700_000_000), secrets=())


# mux-node-sdk tests/api-resources/webhooks.test.ts, "verifySignature", case by case.


def test_mux_node_second_vector_verifies() -> None:
    _verify_vector(f"t={MUX_VECTOR_TIME},v1={MUX_TIMES_HASH}", MUX_TIMES_BODY)


def test_mux_node_should_pass_for_multiple_signatures() -> None:
    _verify_vector(f"t={MUX_VECTOR_TIME},v1=invalid-sig,v1={MUX_VECTOR_HASH}")


def test_mux_node_should_pass_for_multiple_signatures_with_different_version() -> None:
    _verify_vector(f"t={MUX_VECTOR_TIME},v2={MUX_VECTOR_HASH},v1={MUX_VECTOR_HASH}")


def test_mux_node_should_throw_for_different_signature_version() -> None:
    with pytest.raises(InvalidSignature):
        _verify_vector(f"t={MUX_VECTOR_TIME},v2={MUX_VECTOR_HASH}")


def test_mux_node_should_throw_if_signature_timestamp_is_missing() -> None:
    with pytest.raises(InvalidSignature):
        _verify_vector(MUX_VECTOR_HASH)


def test_mux_node_should_throw_for_timestamp_outside_threshold() -> None:
    with pytest.raises(InvalidSignature, match="tolerance"):
        _verify_vector(MUX_VECTOR_HEADER, now=MUX_VECTOR_TIME + 360)  # 6 minutes later


# mux-elixir test/mux/webhooks_test.exs, "verify_header/3".


def test_mux_elixir_valid_signature_outside_the_timeframe_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(MUX_VECTOR_BODY, MUX_VECTOR_HEADER, [MUX_VECTOR_SECRET], tolerance_seconds=300)


def test_mux_elixir_unparseable_header_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        _verify_vector("invalid-signature")


def test_mux_elixir_signature_of_another_payload_is_refused() -> None:
    other = signature_header(b'{"test": "some other body"}', MUX_VECTOR_SECRET, MUX_VECTOR_TIME)
    with pytest.raises(InvalidSignature, match="does not match"):
        _verify_vector(other)


def test_unknown_and_malformed_entries_are_ignored_when_a_v1_matches() -> None:
    body, now = b'{"a":1}', 1_700_000_000
    good = signature(body, "s1", now)
    for header in (
        f"t={now},v1={good},v0=abc,junk,=,v1=,v1={'z' * 64}",
        f"  t={now} , v1=not-hex , v1={good.upper()} ",
        f"t={now},scheme=v9,v1={good}," + ",".join(["v1=" + "0" * 64] * 9),
    ):
        _verify(header.replace(" ", ""), body, now=float(now))


@pytest.mark.parametrize(
    "timestamp",
    ["\u00b2", "\u0661\u0662", "1" * 400, "-1700000000", "+1700000000", "1700000000.5", " "],
)
def test_a_malformed_timestamp_is_an_invalid_signature_not_a_crash(timestamp: str) -> None:
    with pytest.raises(InvalidSignature):
        _verify(f"t={timestamp},v1={'0' * 64}")


def test_far_future_signatures_are_refused_by_choice() -> None:
    """Mux's SDKs accept any future timestamp; we refuse those beyond the tolerance (README:
    security), so a signature captured in transit cannot be held back and replayed later."""
    header = signature_header(b"{}", "s1", 1_700_000_000 + 3600)
    with pytest.raises(InvalidSignature, match="tolerance"):
        _verify(header, now=1_700_000_000.0)

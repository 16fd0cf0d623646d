"""Access-token verification: HS256 with the project secret, ES256/RS256 from the JWKS."""

from __future__ import annotations

import uuid

import httpx
import pytest
import respx

from service.errors import ApiError
from service.request.auth import AuthError, TokenVerifier
from tests.tokens import JWKS_URL, JWT_SECRET, SUPABASE_URL, SigningKey, hs256, jwks, unsigned

USER = uuid.uuid4()


def _verifier(**kwargs: object) -> TokenVerifier:
    options: dict[str, object] = {"jwt_secret": JWT_SECRET, "supabase_url": SUPABASE_URL}
    options.update(kwargs)
    return TokenVerifier(**options)


async def test_hs256_token_is_verified() -> None:
    claims = await _verifier().verify(hs256(USER))
    assert (claims["sub"], claims["role"]) == (str(USER), "authenticated")


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
async def test_asymmetric_token_is_verified_with_the_jwks(algorithm: str) -> None:
    key = SigningKey(algorithm)
    with respx.mock:
        route = respx.get(JWKS_URL).mock(return_value=httpx.Response(200, json=jwks(key)))
        verifier = _verifier(jwt_secret=None)
        assert (await verifier.verify(key.token(USER)))["sub"] == str(USER)
        assert (await verifier.verify(key.token(USER)))["sub"] == str(USER)
    assert route.call_count == 1  # cached


async def test_unknown_kid_refetches_once_then_accepts_a_rotated_key() -> None:
    old, new = SigningKey(), SigningKey()
    with respx.mock:
        route = respx.get(JWKS_URL)
        route.side_effect = [
            httpx.Response(200, json=jwks(old)),
            httpx.Response(200, json=jwks(old, new)),
        ]
        verifier = _verifier(min_refetch_seconds=0)
        await verifier.verify(old.token(USER))
        assert (await verifier.verify(new.token(USER)))["sub"] == str(USER)
    assert route.call_count == 2


async def test_unknown_kid_is_refused_without_hammering_the_jwks() -> None:
    known, stranger = SigningKey(), SigningKey()
    with respx.mock:
        route = respx.get(JWKS_URL).mock(return_value=httpx.Response(200, json=jwks(known)))
        verifier = _verifier()
        for _ in range(5):
            with pytest.raises(AuthError) as info:
                await verifier.verify(stranger.token(USER))
            assert info.value.code == "invalid_token"
    assert route.call_count == 1


async def test_jwks_unreachable_is_503_not_500() -> None:
    with respx.mock:
        respx.get(JWKS_URL).mock(side_effect=httpx.ConnectError("down"))
        with pytest.raises(ApiError) as info:
            await _verifier().verify(SigningKey().token(USER))
    assert (info.value.status, info.value.code) == (503, "auth_unavailable")


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda: hs256(USER, expires_in=-60), "token_expired"),
        (lambda: hs256(USER, secret="another-secret-that-is-also-32-chars-long"), "invalid_token"),
        (lambda: hs256(USER, aud="anon"), "invalid_token"),
        (lambda: hs256("service-account"), "invalid_token"),
        (lambda: unsigned(USER), "invalid_token"),
        (lambda: "not.a.jwt", "invalid_token"),
        (lambda: "garbage", "invalid_token"),
    ],
)
async def test_bad_tokens_are_refused_with_a_stable_code(make_token, code: str) -> None:
    with pytest.raises(AuthError) as info:
        await _verifier().verify(make_token())
    assert (info.value.status, info.value.code) == (401, code)


async def test_hs256_is_refused_when_only_jwks_is_configured() -> None:
    """An HS256 token must never be checked against a public key (algorithm confusion)."""
    with pytest.raises(AuthError):
        await _verifier(jwt_secret=None).verify(hs256(USER))


async def test_asymmetric_key_with_another_algorithm_is_refused() -> None:
    rsa_key = SigningKey("RS256")
    forged = SigningKey("ES256", kid=rsa_key.kid)
    with respx.mock:
        respx.get(JWKS_URL).mock(return_value=httpx.Response(200, json=jwks(rsa_key)))
        with pytest.raises(AuthError):
            await _verifier().verify(forged.token(USER))

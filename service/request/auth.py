"""Verifies Supabase access tokens locally: who is calling the author API.

HS256 tokens are checked with the project's legacy JWT secret; ES256/RS256 tokens with the
project's JWKS (`<SUPABASE_URL>/auth/v1/.well-known/jwks.json`), cached and refetched once
when a token names an unknown `kid`. The algorithm decides the key source, so an HS256 token
can never be checked against a public key (algorithm confusion), and `none` is never allowed.
What the caller may do is then decided by the database (RLS), not here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
import jwt

from service.errors import ApiError

log = logging.getLogger(__name__)

AUDIENCE = "authenticated"
ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
JWKS_PATH = "/auth/v1/.well-known/jwks.json"
USER_ROLE = "authenticated"
# Supabase user ids as GoTrue writes them: the canonical hyphenated form, nothing else
# (`urn:uuid:...`, braces or bare hex would reach Postgres' uuid cast or RLS as a surprise).
_USER_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class AuthError(ApiError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(401, code, message, headers={"WWW-Authenticate": f'Bearer error="{code}"'})


def bearer_token(authorization: str | None) -> str | None:
    """The token from an `Authorization: Bearer <token>` header, or None when absent."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("invalid_token", "The Authorization header must be 'Bearer <token>'.")
    return token.strip()


class TokenVerifier:
    def __init__(
        self,
        *,
        jwt_secret: str | None,
        supabase_url: str | None,
        http: httpx.AsyncClient | None = None,
        jwks_ttl_seconds: float = 600.0,
        min_refetch_seconds: float = 30.0,
        leeway_seconds: float = 5.0,
    ) -> None:
        self._secret = jwt_secret
        self._jwks_url = f"{supabase_url}{JWKS_PATH}" if supabase_url else None
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._ttl = jwks_ttl_seconds
        self._min_refetch = min_refetch_seconds
        self._leeway = leeway_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or AuthError (401) saying why it is refused."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("invalid_token", "The access token is malformed.") from exc
        algorithm = header.get("alg")
        key: Any
        if algorithm == "HS256" and self._secret:
            key = self._secret
        elif algorithm in ASYMMETRIC_ALGORITHMS and self._jwks_url:
            key = await self._public_key(header.get("kid"), algorithm)
        else:
            raise AuthError("invalid_token", "The access token's algorithm is not accepted.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=AUDIENCE,
                leeway=self._leeway,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token_expired", "The access token has expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError(
                "invalid_token", "The access token is not for signed-in users."
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthError("invalid_token", "The access token is invalid.") from exc
        return _user_claims(claims)

    async def _public_key(self, kid: object, algorithm: str) -> Any:
        if not isinstance(kid, str):
            raise AuthError("invalid_token", "The access token names no signing key.")
        if kid not in self._keys or self._stale():
            await self._refresh(force=kid not in self._keys)
        found = self._keys.get(kid)
        if found is None or found.algorithm_name != algorithm:
            raise AuthError("invalid_token", "The access token's signing key is unknown.")
        return found.key

    def _stale(self) -> bool:
        return time.monotonic() - self._fetched_at > self._ttl

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if age < (self._min_refetch if force else self._ttl):
                return  # fetched recently (by us or a concurrent request)
            assert self._jwks_url
            try:
                response = await self._http.get(self._jwks_url)
                response.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(response.json()).keys
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.error("could not fetch JWKS", extra={"error": str(exc)})
                if not self._keys:
                    raise ApiError(
                        503, "auth_unavailable", "Signing keys cannot be fetched right now."
                    ) from exc
                # Keep the cached keys; try again after the refetch interval, not per request.
                self._fetched_at = time.monotonic() - self._ttl + self._min_refetch
                return
            self._keys = {k.key_id: k for k in keys if k.key_id}
            self._fetched_at = time.monotonic()


def _user_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims of a signed-in user, `sub` normalised; 401/403 for any other token.

    A validly signed token of another role (`service_role`, `anon`) is refused here rather
    than run as something it is not: these routes serve signed-in users only.
    """
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _USER_ID.fullmatch(sub):
        raise AuthError("invalid_token", "The access token's subject is not a user id.")
    if claims.get("role") != USER_ROLE:
        raise ApiError(
            403, "role_not_allowed", "Only a signed-in user's access token is accepted here."
        )
    return {**claims, "sub": sub.lower()}

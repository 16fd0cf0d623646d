"""Who is calling: the verified Supabase access-token claims of the caller, for every API route,
and the client's address.

A missing token is an anonymous caller where a route allows one; a present one must verify
(`auth.TokenVerifier`), or the request is refused with 401. Live streams may carry the token
as `?access_token=`, since `EventSource` cannot send headers.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from service.errors import ApiError
from service.request.auth import AuthError, TokenVerifier, bearer_token
from service.settings import Settings


async def caller_claims(request: Request, *, required: bool) -> dict[str, Any] | None:
    """Verified claims of the caller; None for an anonymous caller where that is allowed."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        if required:
            raise AuthError("missing_token", "Sign in: this route needs a Bearer access token.")
        return None
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token)


async def required_claims(request: Request) -> dict[str, Any]:
    """Verified claims of a signed-in caller; 401 `missing_token` for an anonymous one."""
    claims = await caller_claims(request, required=True)
    assert claims is not None  # required=True raises instead of returning None
    return claims


async def uploader_claims(request: Request) -> dict[str, Any]:
    """A signed-in caller who may make uploads: anonymous Supabase users (`is_anonymous`)
    are refused (403) unless ALLOW_ANONYMOUS_UPLOADS is set, since each upload costs Mux."""
    claims = await required_claims(request)
    settings: Settings = request.app.state.settings
    if claims.get("is_anonymous") is True and not settings.allow_anonymous_uploads:
        raise ApiError(
            403, "anonymous_not_allowed", "Sign in with an account to upload lesson videos."
        )
    return claims


async def stream_claims(request: Request) -> dict[str, Any] | None:
    token = request.query_params.get("access_token")
    if token is None:
        return await caller_claims(request, required=False)
    if request.headers.get("authorization"):
        raise AuthError("invalid_token", "Send the access token once, in the header or the query.")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token)


def client_address(request: Request) -> str | None:
    """The client's IP address as uvicorn tells it: the TCP peer, or, when the peer is a
    trusted proxy (one of FORWARDED_ALLOW_IPS, uvicorn's proxy headers), the client address
    that proxy forwarded (the rightmost untrusted `X-Forwarded-For` entry). The same mechanism
    gives `request.url.scheme` from `X-Forwarded-Proto`. None on a unix socket."""
    return request.client.host if request.client else None

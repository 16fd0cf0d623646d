"""Who may use the operator page (`admin`): ADMIN_TOKEN, a signed session cookie, a CSRF token.

Protected by ADMIN_TOKEN, compared in constant time, presented as `Authorization: Bearer`
(scripts) or once in the body of the login form (`POST /admin`; never in a URL, which
proxies log), which sets a session cookie and redirects to the status page. The cookie is
never the token itself: it is a session value signed with a key derived from ADMIN_TOKEN
(expires after SESSION_SECONDS; changing ADMIN_TOKEN ends every session), HttpOnly,
SameSite=Strict, and Secure when served over https. Replay changes state, so a
cookie-authenticated replay must also carry the page's CSRF token (`X-CSRF-Token`, derived
from the session) and come from the page's own origin: SameSite alone lets a page on another
port of the same host through. The login form must come from the page's own origin too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request

from service.errors import ApiError
from service.settings import Settings

COOKIE = "mux_lessons_admin"
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "x-csrf-token"


def _key(admin_token: str) -> bytes:
    return hashlib.sha256(b"mux-lessons admin session\0" + admin_token.encode()).digest()


def _mac(admin_token: str, purpose: str, value: str) -> str:
    return hmac.new(_key(admin_token), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_session(admin_token: str, now: float | None = None) -> str:
    """`<expiry>.<nonce>.<mac>`: proves a login without containing the token."""
    expiry = int((time.time() if now is None else now) + SESSION_SECONDS)
    body = f"{expiry}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_mac(admin_token, 'session', body)}"


def valid_session(admin_token: str, session: str | None, now: float | None = None) -> bool:
    if not session or session.count(".") != 2:
        return False
    body, _, mac = session.rpartition(".")
    if not hmac.compare_digest(mac.encode(), _mac(admin_token, "session", body).encode()):
        return False
    expiry = body.partition(".")[0]
    return expiry.isascii() and expiry.isdigit() and int(expiry) > (now or time.time())


def csrf_token(admin_token: str, session: str) -> str:
    return _mac(admin_token, "csrf", session)


def token_matches(settings: Settings, presented: str | None) -> bool:
    if not settings.admin_token or presented is None:
        return False
    return hmac.compare_digest(
        hashlib.sha256(presented.encode()).digest(),
        hashlib.sha256(settings.admin_token.encode()).digest(),
    )


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authorized(request: Request, settings: Settings) -> bool:
    """Bearer ADMIN_TOKEN, or a valid session cookie."""
    presented = bearer_token(request)
    if presented is not None:
        return token_matches(settings, presented)
    assert settings.admin_token
    return valid_session(settings.admin_token, request.cookies.get(COOKIE))


def require_admin(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    if not authorized(request, settings):
        raise ApiError(401, "admin_unauthorized", "A valid operator token is required.")
    return settings


def foreign_origin(request: Request) -> bool:
    """An `Origin` naming another host or port than the one this request was sent to. The
    scheme is not compared: behind a TLS-terminating proxy the service sees http."""
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def require_csrf(request: Request, settings: Settings) -> None:
    """A state change made with the session cookie must come from the status page itself."""
    if bearer_token(request) is not None:
        return  # browsers never add Authorization on their own: not forgeable cross-site
    assert settings.admin_token
    presented = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(settings.admin_token, request.cookies.get(COOKIE, ""))
    if foreign_origin(request) or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ApiError(403, "csrf_failed", "Replay must come from the status page itself.")

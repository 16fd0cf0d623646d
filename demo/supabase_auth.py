"""A local stand-in for the part of Supabase Auth (GoTrue) that supabase-js uses to sign in.

The web app talks to it exactly as to a hosted project: `signUp` (`POST /auth/v1/signup`, as a
project with email confirmation off: the new user is signed in at once and written to
`auth.users`, as GoTrue writes it), `signInWithPassword`
(`POST /auth/v1/token?grant_type=password`), refresh (`grant_type=refresh_token`),
`getUser` (`GET /auth/v1/user`), `signOut` (`POST /auth/v1/logout`), and the session in a
magic-link URL (`#access_token=...`, which supabase-js checks with `getUser`). Access tokens are
HS256 with the project's JWT secret and carry Supabase's claims, so the service verifies them
as it verifies real ones. Users live in memory: `make web` and the browser tests add theirs.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import jwt
import psycopg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCESS_TOKEN_SECONDS = 3600
MIN_PASSWORD_LENGTH = 6  # GoTrue's default
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class User:
    id: uuid.UUID
    email: str
    password: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def as_gotrue(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "aud": "authenticated",
            "role": "authenticated",
            "email": self.email,
            "email_confirmed_at": self.created_at,
            "phone": "",
            "confirmed_at": self.created_at,
            "last_sign_in_at": datetime.now(UTC).isoformat(),
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "identities": [],
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "is_anonymous": False,
        }


class AuthStandIn:
    def __init__(
        self,
        jwt_secret: str,
        public_url: str = "http://127.0.0.1:54321",
        database_url: str | None = None,
    ) -> None:
        """`database_url`: where sign-ups are written (`auth.users`), as GoTrue writes them."""
        self.jwt_secret = jwt_secret
        self.public_url = public_url
        self.database_url = database_url
        self.users: dict[str, User] = {}
        self._refresh_tokens: dict[str, User] = {}

    def add_user(self, user_id: uuid.UUID, email: str, password: str) -> User:
        user = User(user_id, email.lower(), password)
        self.users[user.email] = user
        return user

    def session(self, user: User) -> dict[str, Any]:
        """A session as GoTrue returns it (and as supabase-js stores it)."""
        now = int(time.time())
        session_id = str(uuid.uuid4())
        claims = {
            "iss": f"{self.public_url}/auth/v1",
            "sub": str(user.id),
            "aud": "authenticated",
            "exp": now + ACCESS_TOKEN_SECONDS,
            "iat": now,
            "email": user.email,
            "phone": "",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "role": "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": session_id,
            "is_anonymous": False,
        }
        refresh_token = secrets.token_urlsafe(24)
        self._refresh_tokens[refresh_token] = user
        return {
            "access_token": jwt.encode(claims, self.jwt_secret, algorithm="HS256"),
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "expires_at": now + ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh_token,
            "user": user.as_gotrue(),
        }

    def magic_link_fragment(self, user: User) -> str:
        """The `#...` a magic link's redirect carries; supabase-js turns it into a session."""
        session = self.session(user)
        return "#" + urlencode(
            {
                key: session[key]
                for key in ("access_token", "expires_at", "expires_in", "refresh_token")
            }
            | {"token_type": "bearer", "type": "magiclink"}
        )

    def user_for_token(self, token: str) -> User | None:
        try:
            claims = jwt.decode(
                token, self.jwt_secret, algorithms=["HS256"], audience="authenticated"
            )
        except jwt.PyJWTError:
            return None
        return next((u for u in self.users.values() if str(u.id) == claims.get("sub")), None)

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            grant = request.query_params.get("grant_type")
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return gotrue_error(400, "validation_failed", "Request body must be JSON")
            if grant == "password":
                user = self.users.get(str(body.get("email", "")).lower())
                if user is None or not hmac.compare_digest(
                    user.password.encode(), str(body.get("password", "")).encode()
                ):
                    return gotrue_error(400, "invalid_credentials", "Invalid login credentials")
                return JSONResponse(self.session(user))
            if grant == "refresh_token":
                refreshed = self._refresh_tokens.pop(str(body.get("refresh_token", "")), None)
                if refreshed is None:
                    return gotrue_error(
                        400, "refresh_token_not_found", "Invalid Refresh Token: Not Found"
                    )
                return JSONResponse(self.session(refreshed))
            return gotrue_error(400, "validation_failed", "Unsupported grant_type")

        async def signup(request: Request) -> Response:
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return gotrue_error(400, "validation_failed", "Request body must be JSON")
            email = str(body.get("email") or "").strip().lower()
            password = str(body.get("password") or "")
            if not _EMAIL.fullmatch(email):
                return gotrue_error(
                    400, "validation_failed", "Unable to validate email address: invalid format"
                )
            if len(password) < MIN_PASSWORD_LENGTH:
                return gotrue_error(
                    422,
                    "weak_password",
                    f"Password should be at least {MIN_PASSWORD_LENGTH} characters.",
                )
            if email in self.users:
                return gotrue_error(422, "user_already_exists", "User already registered")
            user_id = uuid.uuid4()
            if self.database_url is not None:
                async with await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True
                ) as conn:
                    await conn.execute(
                        "insert into auth.users (id, email) values (%s, %s)", (user_id, email)
                    )
            return JSONResponse(self.session(self.add_user(user_id, email, password)))

        async def user(request: Request) -> Response:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            found = self.user_for_token(value) if scheme.lower() == "bearer" else None
            if found is None:
                return gotrue_error(403, "bad_jwt", "invalid JWT: unable to parse or verify")
            return JSONResponse(found.as_gotrue())

        async def logout(request: Request) -> Response:
            return Response(status_code=204)

        return Starlette(
            routes=[
                Route("/auth/v1/signup", signup, methods=["POST"]),
                Route("/auth/v1/token", token, methods=["POST"]),
                Route("/auth/v1/user", user, methods=["GET"]),
                Route("/auth/v1/logout", logout, methods=["POST"]),
            ],
            middleware=[
                Middleware(
                    CORSMiddleware,
                    allow_origins=["*"],
                    allow_methods=["GET", "POST"],
                    allow_headers=[
                        "authorization",
                        "apikey",
                        "content-type",
                        "x-client-info",
                        "x-supabase-api-version",
                    ],
                )
            ],
        )


def gotrue_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "error_code": code, "msg": message}, status_code=status)

"""Supabase-style access tokens made with keys the tests generate."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

JWT_SECRET = "test-supabase-jwt-secret-with-at-least-32-characters"
SUPABASE_URL = "https://project.supabase.test"
JWKS_URL = f"{SUPABASE_URL}/auth/v1/.well-known/jwks.json"
ADMIN_TOKEN = "test-admin-token"


def claims(sub: uuid.UUID | str, *, expires_in: int = 3600, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": f"{SUPABASE_URL}/auth/v1",
        "sub": str(sub),
        "aud": "authenticated",
        "role": "authenticated",
        "email": "author@example.test",
        "iat": now,
        "exp": now + expires_in,
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    base.update(overrides)
    return base


def hs256(sub: uuid.UUID | str, *, secret: str = JWT_SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(sub, **overrides), secret, algorithm="HS256")


def unsigned(sub: uuid.UUID | str) -> str:
    """A token with `alg: none`, which must never be accepted."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(sub))}."


class SigningKey:
    """An asymmetric key pair as Supabase's JWT signing keys are (ES256 or RS256)."""

    def __init__(self, algorithm: str = "ES256", kid: str | None = None) -> None:
        self.algorithm = algorithm
        self.kid = kid or uuid.uuid4().hex
        self.private = (
            ec.generate_private_key(ec.SECP256R1())
            if algorithm == "ES256"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def token(self, sub: uuid.UUID | str, **overrides: Any) -> str:
        return jwt.encode(
            claims(sub, **overrides),
            self.private,
            algorithm=self.algorithm,
            headers={"kid": self.kid},
        )

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        public: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def private_pem_b64(self) -> str:
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return base64.b64encode(pem).decode()


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}

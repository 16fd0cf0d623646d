"""How each kind of setting is read from its environment variable: numbers, booleans, choices,
URLs, lists, addresses, caption languages, the signing key. Each reader takes the variable's
name and its value (stripped, never empty) and returns the value or raises `SettingsError`
naming the variable, without echoing what it holds."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key

# Languages Mux generates subtitles in (API reference: `generated_subtitles[].language_code`).
SUBTITLE_LANGUAGES = (
    "en", "es", "it", "pt", "de", "fr", "pl", "ru", "nl", "ca", "tr",
    "sv", "uk", "no", "fi", "sk", "el", "cs", "hr", "da", "ro", "bg",
)  # fmt: skip
# Resolutions a static rendition may ask for (`static_renditions[].resolution`).
RENDITION_RESOLUTIONS = (
    "highest", "audio-only", "2160p", "1440p", "1080p", "720p", "540p", "480p", "360p", "270p",
)  # fmt: skip


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what is expected."""


Parser = Callable[[str, str], Any]
"""How a setting is read: (its variable's name, its value, stripped and not empty) -> value."""
Derived = Callable[[dict[str, Any]], Any]
"""A default that depends on the settings read before it."""


def setting(
    default: Any,
    parse: Parser | None = None,
    *,
    env: str | None = None,
    required: bool = False,
    secret: bool = False,
    derived: Derived | None = None,
) -> Any:
    """A setting: `parse` reads its variable (plain text if None); `required` in production;
    `secret` kept out of `repr`; `derived` computes its default from the ones before it."""
    metadata = {"parse": parse, "env": env, "required": required, "derived": derived}
    return field(default=default, repr=not secret, metadata=metadata)


def _converted(convert: Callable[[str], Any], name: str, raw: str, what: str) -> Any:
    try:
        return convert(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be {what}") from exc


def integer(minimum: int) -> Parser:
    def parse(name: str, raw: str) -> int:
        value: int = _converted(int, name, raw, "an integer")
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}")
        return value

    return parse


def seconds(name: str, raw: str) -> float:
    """A positive number (of seconds, mostly)."""
    value: float = _converted(float, name, raw, "a number")
    if not value > 0:
        raise SettingsError(f"{name} must be greater than 0")
    return value


def boolean(name: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false")


def one_of(choices: tuple[str, ...], message: str) -> Parser:
    def parse(name: str, raw: str) -> str:
        if raw.lower() not in choices:
            raise SettingsError(message)
        return raw.lower()

    return parse


def http_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL")
    return raw.rstrip("/")


def listen_address(name: str, raw: str) -> str:
    """An address to listen on: an IP address (`0.0.0.0` and `::` for every interface)."""
    return str(_converted(ipaddress.ip_address, name, raw, "an IP address to listen on"))


def comma_separated(name: str, raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def trusted_proxies(name: str, raw: str) -> tuple[str, ...]:
    """FORWARDED_ALLOW_IPS as uvicorn reads it: IP addresses and networks, or `*`."""
    entries = comma_separated(name, raw)
    for entry in (e for e in entries if e != "*"):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SettingsError(
                f"{name} must list IP addresses or networks (CIDR) of trusted proxies, "
                "comma-separated, or *"
            ) from exc
    return entries


def subtitles(name: str, raw: str) -> tuple[tuple[str, str | None], ...]:
    """`en:English (generated),fr`: language codes, each with an optional track name."""
    tracks = []
    for item in comma_separated(name, raw):
        code, _, track = item.partition(":")
        if code.strip() not in SUBTITLE_LANGUAGES:
            raise SettingsError(
                f"{name} must list language codes Mux can generate "
                f"({', '.join(SUBTITLE_LANGUAGES)}), each optionally followed by :name"
            )
        tracks.append((code.strip(), track.strip() or None))
    return tuple(tracks)


def renditions(name: str, raw: str) -> tuple[str, ...]:
    resolutions = comma_separated(name, raw)
    if any(r not in RENDITION_RESOLUTIONS for r in resolutions):
        raise SettingsError(
            f"{name} must list resolutions among {', '.join(RENDITION_RESOLUTIONS)}"
        )
    return resolutions


def private_key(encoded: str) -> PrivateKeyTypes:
    """Mux's signing key from base64-encoded PEM (as Mux issues it) or plain PEM; ValueError if
    neither. The one reading of MUX_SIGNING_PRIVATE_KEY: start-up checks it here
    (`signing_key`), and `mux/playback_tokens.py` signs with what it returns."""
    try:
        pem = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        pem = encoded.encode()
    try:
        return load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not a PEM private key") from exc


def signing_key(name: str, raw: str) -> str:
    try:
        private_key(raw)
    except ValueError as exc:
        raise SettingsError(
            f"{name} must be the base64-encoded PEM private key Mux issued"
        ) from exc
    return raw

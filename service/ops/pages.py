"""The operator pages' HTML and their Content-Security-Policy.

Each page is a static file whose one inline `<script>` and `<style>` are allowed by their
SHA-256 hashes, computed here once: nothing else runs or styles the page (no 'unsafe-inline'),
it talks only to its own origin (`/admin/stream`, Replay), posts forms only to itself, and no
other page may frame it (`frame-ancestors 'none'`), so a click on Replay or Retry is always
the operator's own.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC = Path(__file__).parent / "static"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def _hash(block: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"


def content_security_policy(html: str) -> str:
    """A policy that allows exactly the page's inline script and style blocks."""
    sources: dict[str, list[str]] = {"script": [], "style": []}
    for tag, block in _INLINE.findall(html):
        sources[tag].append(_hash(block))
    directives = ["default-src 'none'"]
    directives += [f"{tag}-src {' '.join(hashes)}" for tag, hashes in sources.items() if hashes]
    if sources["script"]:
        directives.append("connect-src 'self'")
    directives += ["base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"]
    return "; ".join(directives)


class Page:
    """A static page, with `{{name}}` placeholders outside its script and style blocks."""

    def __init__(self, name: str) -> None:
        self.html = (STATIC / name).read_text(encoding="utf-8")
        self.csp = content_security_policy(self.html)

    def response(self, status: int = 200, **values: str) -> HTMLResponse:
        """The page with each `{{name}}` replaced by `values[name]` (already escaped)."""
        html = self.html
        for key, value in values.items():
            html = html.replace("{{" + key + "}}", value, 1)
        headers = {"Content-Security-Policy": self.csp, "Cache-Control": "no-store"}
        return HTMLResponse(html, status_code=status, headers=headers)


STATUS_PAGE = Page("admin.html")
LOGIN_PAGE = Page("login.html")

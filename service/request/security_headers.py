"""Headers every response of the service carries, whatever answered it (a route, an error
handler, CORS, a 500): `nosniff`, no framing by any other page, and no URL in `Referer`.

A response that sets its own `Content-Security-Policy` (the operator pages) keeps it; every
other one gets `default-src 'none'; frame-ancestors 'none'`, which a JSON or event-stream
response loses nothing by. Pure ASGI and a handful of header tuples appended to the start
message, so the webhook path pays next to nothing for it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = b"content-security-policy"
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# `same-origin`: the full URL within the service, nothing to any other site. (`no-referrer`
# would make browsers send `Origin: null` on the status page's own POSTs, which its CSRF check
# must then refuse.)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS if name not in names]
                if CSP not in names:
                    headers.append((CSP, DEFAULT_CSP))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""The former name of `service.http_parsers`, kept so that process files written for earlier
releases (`uvicorn ... --http service.request.limits:HttpToolsProtocol`) keep starting after an
upgrade. New ones name `service.http_parsers`; this module goes once no supported release's
documentation names it."""

from service.http_parsers import H11Protocol, HttpToolsProtocol, configure, max_head_bytes

__all__ = ["H11Protocol", "HttpToolsProtocol", "configure", "max_head_bytes"]

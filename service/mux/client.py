"""The only way the service reaches Mux: `mux-python`, run off the event loop.

`mux-python` is synchronous (urllib3), so each call runs in a worker thread. Failures are
mapped to two kinds a caller can act on: Mux is unavailable (network, timeout, 5xx: worth
retrying later) or Mux rejected the request (credentials, bad input: fix configuration).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import mux_python
import urllib3
from mux_python.rest import ApiException, NotFoundException, ServiceException

from service.settings import Settings
from service.telemetry import metrics

log = logging.getLogger(__name__)


class MuxError(Exception):
    """Base for failures talking to Mux."""


class MuxUnavailable(MuxError):
    """Network failure, timeout or a 5xx from Mux."""


class MuxRejected(MuxError):
    """Mux refused the request (bad credentials, invalid parameters)."""


class MuxNotFound(MuxError):
    """The upload or asset does not exist (or this token cannot see it)."""


@dataclass(frozen=True)
class MuxUpload:
    id: str
    url: str | None
    status: str
    passthrough: str | None
    asset_id: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class MuxAsset:
    id: str
    status: str
    raw: dict[str, Any]


class MuxClient:
    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        configuration = mux_python.Configuration()
        configuration.host = settings.mux_api_url
        configuration.username = settings.mux_token_id or ""
        configuration.password = settings.mux_token_secret or ""
        # Connection failures are retried briefly; a sent POST is never retried blindly.
        configuration.retries = urllib3.Retry(
            total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.1
        )
        api_client = mux_python.ApiClient(configuration)
        self._uploads = mux_python.DirectUploadsApi(api_client)
        self._assets = mux_python.AssetsApi(api_client)
        self._timeout = (3.05, timeout)

    async def create_upload(
        self,
        *,
        passthrough: str,
        cors_origin: str,
        playback_policy: str,
        generated_subtitles: tuple[tuple[str, str | None], ...] = (),
        static_renditions: tuple[str, ...] = (),
    ) -> MuxUpload:
        """`generated_subtitles`: (language code, name) pairs, asked of the upload's input;
        `static_renditions`: resolutions of the MP4 downloads to make (e.g. "highest")."""
        inputs = None
        if generated_subtitles:
            inputs = [
                mux_python.InputSettings(
                    generated_subtitles=[
                        mux_python.AssetGeneratedSubtitleSettings(language_code=code, name=name)
                        for code, name in generated_subtitles
                    ]
                )
            ]
        renditions = [
            mux_python.CreateStaticRenditionRequest(resolution=resolution)
            for resolution in static_renditions
        ]
        request = mux_python.CreateUploadRequest(
            cors_origin=cors_origin,
            new_asset_settings=mux_python.CreateAssetRequest(
                playback_policies=[playback_policy],
                passthrough=passthrough,
                inputs=inputs,
                static_renditions=renditions or None,
            ),
        )
        response = await self._call(self._uploads.create_direct_upload, request)
        return _upload(response.data)

    async def cancel_upload(self, upload_id: str) -> MuxUpload:
        response = await self._call(self._uploads.cancel_direct_upload, upload_id)
        return _upload(response.data)

    async def delete_asset(self, asset_id: str) -> None:
        await self._call(self._assets.delete_asset, asset_id)

    async def list_assets(
        self, *, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[MuxAsset], str | None]:
        """One page of the environment's assets, and the cursor of the next page (None: last)."""
        kwargs: dict[str, Any] = {"limit": limit}
        if cursor:
            kwargs["cursor"] = cursor
        response = await self._call(self._assets.list_assets, **kwargs)
        assets = [MuxAsset(id=a.id, status=a.status, raw=a.to_dict()) for a in response.data or []]
        return assets, response.next_cursor

    async def get_upload(self, upload_id: str) -> MuxUpload:
        response = await self._call(self._uploads.get_direct_upload, upload_id)
        return _upload(response.data)

    async def get_asset(self, asset_id: str) -> MuxAsset:
        response = await self._call(self._assets.get_asset, asset_id)
        return MuxAsset(
            id=response.data.id, status=response.data.status, raw=response.data.to_dict()
        )

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """One call, counted by operation (mux-python's method name) and result."""
        result = "ok"
        try:
            return await self._send(method, *args, **kwargs)
        except MuxNotFound:
            result = "not_found"
            raise
        except MuxRejected:
            result = "rejected"
            raise
        except MuxError:
            result = "unavailable"
            raise
        finally:
            metrics.MUX_CALLS.labels(getattr(method, "__name__", "call"), result).inc()

    async def _send(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(method, *args, _request_timeout=self._timeout, **kwargs)
        except NotFoundException as exc:
            raise MuxNotFound("Mux has no such object") from exc
        except ServiceException as exc:
            raise MuxUnavailable(f"Mux answered {exc.status}") from exc
        except ApiException as exc:
            if exc.status in (408, 429) or (exc.status or 0) >= 500:
                raise MuxUnavailable(f"Mux answered {exc.status}") from exc
            raise MuxRejected(f"Mux refused the request ({exc.status})") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise MuxUnavailable(f"Mux is unreachable ({exc.__class__.__name__})") from exc


def _upload(data: Any) -> MuxUpload:
    settings = data.new_asset_settings
    return MuxUpload(
        id=data.id,
        url=data.url,
        status=data.status,
        passthrough=getattr(settings, "passthrough", None) if settings else None,
        asset_id=data.asset_id,
        raw=data.to_dict(),
    )

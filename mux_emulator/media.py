"""What the emulator learns from uploaded bytes: is it a video, how long, what shape.

`ffprobe` answers when installed; otherwise MP4/MOV headers are read directly (`mvhd` for
duration, `tkhd` for the picture size), and other containers get an estimate.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

ASSUMED_BYTES_PER_SECOND = 125_000  # ~1 Mbit/s, for containers we cannot read


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    width: int
    height: int

    @property
    def aspect_ratio(self) -> str:
        divisor = math.gcd(self.width, self.height) or 1
        return f"{self.width // divisor}:{self.height // divisor}"


def probe(path: Path) -> MediaInfo | None:
    """MediaInfo for a video file, or None when the bytes are not a video."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe:
        return _ffprobe(ffprobe, path)
    head = path.read_bytes()[:4096]
    if _is_iso_media(head):
        return _read_mp4(path) or _estimate(path)
    if _looks_like_other_video(head):
        return _estimate(path)
    return None


def _ffprobe(ffprobe: str, path: Path) -> MediaInfo | None:
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            ffprobe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return None
    info = json.loads(result.stdout or "{}")
    streams = info.get("streams") or []
    if not streams:
        return None
    duration = float((info.get("format") or {}).get("duration") or 0)
    return MediaInfo(duration, int(streams[0]["width"]), int(streams[0]["height"]))


def _is_iso_media(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")


def _looks_like_other_video(head: bytes) -> bool:
    return (
        head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska / WebM
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith(b"FLV")
        or head.startswith(b"\x00\x00\x01\xba")  # MPEG program stream
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)  # MPEG transport stream
    )


def _estimate(path: Path) -> MediaInfo:
    size = path.stat().st_size
    return MediaInfo(round(size / ASSUMED_BYTES_PER_SECOND, 3), 1920, 1080)


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in data[start:end]."""
    found = []
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1 and offset + 16 <= end:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            break
        found.append((kind, offset + header, offset + size))
        offset += size
    return found


def _read_mp4(path: Path) -> MediaInfo | None:
    data = path.read_bytes()
    moov = [b for b in _boxes(data, 0, len(data)) if b[0] == b"moov"]
    if not moov:
        return None
    duration = 0.0
    width = height = 0
    for kind, start, end in _boxes(data, moov[0][1], moov[0][2]):
        if kind == b"mvhd":
            if data[start] == 1:
                timescale, length = struct.unpack(">IQ", data[start + 20 : start + 32])
            else:
                timescale, length = struct.unpack(">II", data[start + 12 : start + 20])
            duration = length / timescale if timescale else 0.0
        elif kind == b"trak":
            for sub, _, s_end in _boxes(data, start, end):
                if sub == b"tkhd" and not width:
                    w, h = struct.unpack(">II", data[s_end - 8 : s_end])
                    width, height = w >> 16, h >> 16
    if not (duration and width and height):
        return None
    return MediaInfo(round(duration, 6), width, height)

"""Inspection photos: the type sniffed from the bytes, EXIF position and time read with
Pillow (HEIC through pillow-heif), the file stored once under its SHA-256.

>>> sniff(b"\\xff\\xd8\\xff\\xe0" + b"0" * 8)
'image/jpeg'
>>> sniff(b"GIF89a" + b"0" * 8) is None
True
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from geo.kernel.errors import InvalidInput

try:  # HEIC (iPhone photos); without it HEIC bytes are kept but their EXIF is not read.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF = False

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132


def sniff(head: bytes) -> str | None:
    """The image type from the first bytes (magic numbers), never from a file name."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


@dataclass(frozen=True)
class PhotoMeta:
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    exif_read: bool


def _rational(v) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_rational(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if ref in ("S", "W", b"S", b"W") else deg


def _taken_at(exif, sub) -> datetime | None:
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        naive = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if offset and len(str(offset)) >= 6:
        sign = -1 if str(offset)[0] == "-" else 1
        hh, mm = int(str(offset)[1:3]), int(str(offset)[4:6])
        return naive.replace(tzinfo=timezone(sign * timedelta(hours=hh, minutes=mm)))
    # Cameras write local time without a zone; the service is in Xinjiang's official zone.
    return naive.replace(tzinfo=timezone(timedelta(hours=8)))


def read_meta(data: bytes, content_type: str) -> PhotoMeta:
    """EXIF time and GPS position, when the photo carries them. An image that declares more
    pixels than Pillow's MAX_IMAGE_PIXELS (a decompression bomb) is refused."""
    if content_type == "image/heic" and not HEIF:
        return PhotoMeta(None, None, None, False)
    try:
        with Image.open(io.BytesIO(data)) as img:
            _check_pixels(img.size)
            exif = img.getexif()
    except Image.DecompressionBombError:
        _check_pixels(None)
    except (UnidentifiedImageError, OSError, ValueError):
        return PhotoMeta(None, None, None, False)
    sub = exif.get_ifd(_EXIF_IFD)
    gps = exif.get_ifd(_GPS_IFD)
    lon = lat = None
    if gps.get(2) and gps.get(4):
        lat, lon = _dms(gps[2], gps.get(1)), _dms(gps[4], gps.get(3))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lon = lat = None
    return PhotoMeta(_taken_at(exif, sub), lon, lat, True)


def _check_pixels(size: tuple[int, int] | None) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    if size is None or (limit and size[0] * size[1] > limit):
        declared = f"{size[0]} × {size[1]} pixels" if size else "more pixels than allowed"
        raise InvalidInput(
            f"file: the image declares {declared}; at most {limit} pixels are accepted "
            "(a decompression bomb is refused)"
        )


def store(photo_dir: str | Path, data: bytes, content_type: str) -> tuple[str, Path]:
    """Writes the bytes as ``<dir>/<sha[:2]>/<sha><ext>`` (once: same bytes, same file)."""
    sha = hashlib.sha256(data).hexdigest()
    path = file_path(photo_dir, sha, content_type)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves half a photo under its final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return sha, path


def file_path(photo_dir: str | Path, sha: str, content_type: str) -> Path:
    return Path(photo_dir) / sha[:2] / f"{sha}{EXTENSIONS[content_type]}"

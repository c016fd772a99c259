"""Coordinate reference systems the service speaks, their OGC URIs and axis order, and GCJ-02.

>>> parse_crs("http://www.opengis.net/def/crs/EPSG/0/4539").srid
4539
>>> parse_crs("EPSG:4490").lat_first
True
>>> parse_crs(None).uri
'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from geo.kernel.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"


@dataclass(frozen=True)
class CRS:
    uri: str
    srid: int
    name: str
    # EPSG:4326, 4490 and the Gauss-Krüger systems list latitude/northing first.
    lat_first: bool
    geographic: bool

    @property
    def decimals(self) -> int:
        """Output precision: ~1 cm in degrees, 1 mm in metres."""
        return 7 if self.geographic else 3

    @property
    def short(self) -> str:
        return "OGC:CRS84" if self.uri == CRS84 else f"EPSG:{self.srid}"


def _gauss_kruger() -> dict[int, CRS]:
    out = {}
    # EPSG:4513-4533: CGCS2000 3-degree zones 25-45, zone number prefixed to the easting.
    for srid, zone in zip(range(4513, 4534), range(25, 46), strict=True):
        out[srid] = CRS(
            EPSG_URI.format(srid),
            srid,
            f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}",
            True,
            False,
        )
    # EPSG:4534-4554: the same zones by central meridian (75°E-135°E), no zone prefix.
    for srid, cm in zip(range(4534, 4555), range(75, 136, 3), strict=True):
        out[srid] = CRS(
            EPSG_URI.format(srid), srid, f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E", True, False
        )
    return out


_BY_SRID: dict[int, CRS] = {
    4326: CRS(EPSG_URI.format(4326), 4326, "WGS 84", True, True),
    4490: CRS(EPSG_URI.format(4490), 4490, "China Geodetic Coordinate System 2000", True, True),
    3857: CRS(EPSG_URI.format(3857), 3857, "WGS 84 / Pseudo-Mercator", False, False),
    **_gauss_kruger(),
}
DEFAULT = CRS(CRS84, 4326, "WGS 84 longitude/latitude (CRS84)", False, True)

# What collections advertise, in the order clients should prefer.
SUPPORTED: list[CRS] = [DEFAULT, *_BY_SRID.values()]
SUPPORTED_URIS: list[str] = [c.uri for c in SUPPORTED]

_EPSG_PATTERNS = [
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.I),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
]
_CRS84_ALIASES = {
    CRS84.lower(),
    CRS84.lower().replace("http://", "https://"),
    "ogc:crs84",
    "[ogc:crs84]",
    "crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
}


def parse_crs(value: str | None, parameter: str = "crs") -> CRS:
    """An OGC CRS URI (or EPSG:n / CURIE / URN) to a supported CRS, else InvalidParameter."""
    if value is None or value == "":
        return DEFAULT
    v = value.strip()
    if v.lower() in _CRS84_ALIASES:
        return DEFAULT
    for pattern in _EPSG_PATTERNS:
        m = pattern.match(v)
        if m:
            crs = _BY_SRID.get(int(m.group(1)))
            if crs is None:
                break
            return crs
    raise InvalidParameter(
        f"{parameter}: unsupported CRS {value!r}; supported: CRS84, EPSG:4326, EPSG:4490, "
        "EPSG:3857 and the CGCS2000 3-degree Gauss-Kruger zones EPSG:4513-4554",
        parameter=parameter,
    )


def content_crs_header(crs: CRS) -> str:
    return f"<{crs.uri}>"


# --- GCJ-02 ("Mars coordinates" of AMap/Tencent maps) -----------------------------------
# The published obfuscation formula; the inverse is iterated to well under a centimetre.
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """WGS 84 → GCJ-02 (arrays or scalars). Outside China the offset still applies: callers
    only use it for Chinese coordinates."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, tolerance_deg: float = 1e-9):
    """GCJ-02 → WGS 84 by fixed-point iteration (converges in a few steps to < 1 mm).

    >>> lon, lat = wgs84_to_gcj02(87.3, 44.0)
    >>> back = gcj02_to_wgs84(lon, lat)
    >>> round(float(back[0]), 7), round(float(back[1]), 7)
    (87.3, 44.0)
    """
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = tlon - glon, tlat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tolerance_deg) and np.all(np.abs(elat) < tolerance_deg):
            break
    return wlon, wlat

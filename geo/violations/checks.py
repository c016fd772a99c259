"""Point check (what is here?) and site check (选址符合性审查) against the protected layers.

Site verdict (documented in the README):
- ``clear``: no enabled rule is triggered by the site (no overlap of at least a rule's
  minimum area with a zone its protected filter selects, nor within a distance rule's reach);
- ``must_relocate``: a triggered rule is ``critical`` (e.g. a grade-1 water-source zone), or
  at least half of the site lies inside the zones that trigger rules: redrawing the boundary
  cannot save the project;
- ``must_avoid``: otherwise: the project may proceed if its footprint is redrawn to keep out
  of the conflicting zones.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel import crs as crs_mod
from geo.kernel.crs import CRS
from geo.kernel.errors import InvalidInput, InvalidParameter
from geo.progress import TASK_STATE
from geo.violations.vocab import OPEN_STATUSES

GCJ02 = "GCJ02"
SITE_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class InputCRS:
    """A CRS of input coordinates: one the service speaks, or GCJ-02 (lon/lat order)."""

    name: str
    crs: CRS | None  # None for GCJ-02

    @property
    def srid(self) -> int:
        return 4326 if self.crs is None else self.crs.srid

    @property
    def lat_first(self) -> bool:
        return False if self.crs is None else self.crs.lat_first

    @property
    def geographic(self) -> bool:
        return True if self.crs is None else self.crs.geographic


def parse_input_crs(value: str | None, parameter: str = "crs") -> InputCRS:
    if value is not None and value.strip().upper().replace("-", "") in ("GCJ02", "GCJ"):
        return InputCRS(GCJ02, None)
    crs = crs_mod.parse_crs(value, parameter)
    return InputCRS(crs.short, crs)


# --- point check ------------------------------------------------------------------------


def point_wgs84(lon: float, lat: float, in_crs: InputCRS) -> tuple[float, float]:
    for name, v, lim in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if not math.isfinite(v) or abs(v) > lim:
            raise InvalidParameter(
                f"{name}: {v} is out of range [-{lim:g}, {lim:g}]", parameter=name
            )
    if in_crs.crs is None:
        wlon, wlat = crs_mod.gcj02_to_wgs84(lon, lat)
        return float(wlon), float(wlat)
    if not in_crs.geographic:
        raise InvalidParameter(
            "crs: the point check takes longitude/latitude: EPSG:4326, EPSG:4490 or GCJ02",
            parameter="crs",
        )
    return lon, lat  # CGCS2000 = WGS 84 to well under a metre (see geo/kernel/models.py)


_LAYERS = """
SELECT l.name FROM layers l WHERE l.kind = 'feature' AND (l.public OR NOT :public_only)
"""
_PT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"

_CONTAINING = f"""
SELECT t.layer AS collection, t.id, t.code, t.name,
       t.properties || jsonb_build_object('region_code', t.region_code,
           'area_ha', round((t.area_m2 / 10000)::numeric, 4)) AS properties
FROM ({_LAYERS}) l JOIN features t ON t.layer = l.name AND ST_Intersects(t.geom, {_PT})
ORDER BY t.layer, t.id
"""

_NEARBY = f"""
SELECT t.layer AS collection, t.id, t.code, t.name,
       round(ST_Distance(t.geom::geography, {_PT}::geography)::numeric, 1)::float8 AS distance_m
FROM ({_LAYERS}) l JOIN features t ON t.layer = l.name AND t.geom && rm_expand_m({_PT}, :r)
WHERE ST_DWithin(t.geom::geography, {_PT}::geography, :r) AND NOT ST_Intersects(t.geom, {_PT})
ORDER BY distance_m, t.id LIMIT 200
"""

_REGION = f"""
SELECT code, name, name_en FROM regions
WHERE level = 'county' AND ST_Intersects(geom, {_PT}) ORDER BY code LIMIT 1
"""

# Open: an open status (geo.violations.vocab) and still supported by the data.
_OPEN_VIOLATIONS = f"""
SELECT t.id, t.rule_id, r.name AS rule_name, r.name_zh AS rule_name_zh, t.severity, t.status,
       t.subject_layer AS subject_collection, t.subject_id,
       t.protected_layer AS protected_collection, t.protected_id,
       round((t.area_m2 / 10000)::numeric, 4)::float8 AS area_ha, t.subject_code, t.protected_code
FROM violations t JOIN violation_rules r ON r.id = t.rule_id
WHERE t.status = ANY(:open) AND t.resolved_at IS NULL
  AND (t.subject_id = ANY(:ids) OR t.protected_id = ANY(:ids)
       OR (t.geom && rm_expand_m({_PT}, :r)
           AND ST_DWithin(t.geom::geography, {_PT}::geography, :r)))
ORDER BY t.id
"""

# Rectification tasks that cover these features or violations, in their state today (the one
# definition of task state is geo.progress's TASK_STATE).
_TASKS = f"""
SELECT x.id, x.code, x.title, x.round, x.deadline::text AS deadline, x.deadline_kind,
       x.lead_unit, x.status, x.overdue
FROM ({TASK_STATE}) x
WHERE x.feature_ids && CAST(:ids AS bigint[]) OR x.violation_ids && CAST(:vids AS bigint[])
ORDER BY x.code
"""


async def _rows(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await conn.execute(text(sql), params)]


async def point_check(
    conn: AsyncConnection, lon: float, lat: float, radius_m: float, public_only: bool
) -> dict[str, Any]:
    """What is at (lon, lat) in WGS 84: its county, the features containing it and those
    within ``radius_m``, the open violations there, and the tasks that cover them."""
    params = {"lon": lon, "lat": lat, "r": radius_m, "public_only": public_only}
    containing = await _rows(conn, _CONTAINING, params)
    nearby = await _rows(conn, _NEARBY, params)
    region = await _rows(conn, _REGION, params)
    ids = [r["id"] for r in containing + nearby]
    violations = await _rows(
        conn, _OPEN_VIOLATIONS, {**params, "ids": ids, "open": list(OPEN_STATUSES)}
    )
    vids = [v["id"] for v in violations]
    tasks = await _rows(conn, _TASKS, {"ids": ids, "vids": vids, "as_of": date.today()})
    return {
        "region": region[0] if region else None,
        "containing": containing,
        "nearby": nearby,
        "violations": violations,
        "tasks": tasks,
    }


async def check_point(
    conn: AsyncConnection,
    lon: float,
    lat: float,
    crs: str | None,
    radius_m: float,
    public_only: bool,
) -> dict[str, Any]:
    """The point check of a position given in ``crs`` (lon/lat, or GCJ-02)."""
    in_crs = parse_input_crs(crs)
    wlon, wlat = point_wgs84(lon, lat, in_crs)
    body = await point_check(conn, wlon, wlat, radius_m, public_only)
    return {
        "point": {"lon": round(wlon, 7), "lat": round(wlat, 7)},
        "input_crs": in_crs.name,
        "radius_m": radius_m,
        **body,
    }


# --- site check: input ------------------------------------------------------------------


def _positions(coords: Any, depth: int, where: str) -> None:
    """Checks GeoJSON coordinate nesting: depth 1 = a position."""
    if not isinstance(coords, list):
        raise InvalidInput(f"{where}: expected an array")
    if depth == 1:
        if len(coords) < 2 or len(coords) > 3:
            raise InvalidInput(f"{where}: a position has 2 or 3 numbers")
        for v in coords:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InvalidInput(f"{where}: {v!r} is not a finite number")
        return
    for i, c in enumerate(coords):
        _positions(c, depth - 1, f"{where}[{i}]")


def _rings(rings: list, where: str) -> None:
    if not rings:
        raise InvalidInput(f"{where}: a polygon needs at least one ring")
    for i, ring in enumerate(rings):
        if len(ring) < 4:
            raise InvalidInput(f"{where}[{i}]: a ring needs at least 4 positions")
        if ring[0][:2] != ring[-1][:2]:
            raise InvalidInput(f"{where}[{i}]: the ring is not closed (first ≠ last position)")


def site_geometry(doc: Any) -> dict[str, Any]:
    """The geometry of a GeoJSON geometry or Feature body, structurally checked."""
    if not isinstance(doc, dict):
        raise InvalidInput("body: expected a GeoJSON geometry or Feature object")
    kind = doc.get("type")
    if kind == "Feature":
        geom = doc.get("geometry")
        if geom is None:
            raise InvalidInput("geometry: the Feature has no geometry")
        if not isinstance(doc.get("properties") or {}, dict):
            raise InvalidInput("properties: expected an object")
    elif kind in ("FeatureCollection", "GeometryCollection"):
        raise InvalidInput(f"type: {kind} is not supported; send one Polygon or MultiPolygon")
    else:
        geom = doc
    if not isinstance(geom, dict) or geom.get("type") not in SITE_TYPES:
        got = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
        raise InvalidInput(
            f"geometry.type: {got!r} is not supported for a site; use Polygon or MultiPolygon"
        )
    coords = geom.get("coordinates")
    if geom["type"] == "Polygon":
        _positions(coords, 3, "coordinates")
        _rings(coords, "coordinates")
    else:
        _positions(coords, 4, "coordinates")
        if not coords:
            raise InvalidInput("coordinates: the MultiPolygon is empty")
        for i, poly in enumerate(coords):
            _rings(poly, f"coordinates[{i}]")
    return {"type": geom["type"], "coordinates": coords}


def to_wgs84_geojson(geom: dict[str, Any], in_crs: InputCRS) -> dict[str, Any]:
    """GCJ-02 coordinates converted to WGS 84 (vectorised over every vertex)."""
    if in_crs.crs is not None:
        return geom

    def conv(c: Any, depth: int) -> Any:
        if depth == 2:  # a ring
            lon, lat = crs_mod.gcj02_to_wgs84([p[0] for p in c], [p[1] for p in c])
            return [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
        return [conv(x, depth - 1) for x in c]

    depth = 3 if geom["type"] == "Polygon" else 4
    return {"type": geom["type"], "coordinates": conv(geom["coordinates"], depth)}


def site_properties(doc: Any) -> dict[str, Any]:
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return doc.get("properties") or {}
    return {}


async def prepare_site(
    conn: AsyncConnection, geom: dict[str, Any], in_crs: InputCRS, max_area_m2: float
) -> tuple[bytes, float]:
    """Validity, range and size checks in PostGIS; returns (EWKB in WGS 84, area m²)."""
    g = "ST_SetSRID(ST_GeomFromGeoJSON(:g), :srid)"
    row = (
        await conn.execute(
            text(
                f"SELECT ST_IsEmpty(g), v.valid, v.reason, ST_X(v.location), ST_Y(v.location)"
                f" FROM (SELECT {g} AS g) s CROSS JOIN LATERAL ST_IsValidDetail(s.g) v"
            ),
            {"g": json.dumps(geom), "srid": in_crs.srid},
        )
    ).one()
    empty, valid, reason, x, y = row
    if empty:
        raise InvalidInput("geometry: the site is empty")
    if not valid:
        raise InvalidInput(
            f"geometry: invalid: {reason} at ({x:.7g}, {y:.7g}) in the input coordinates"
            f" ({in_crs.name})"
        )
    geom = to_wgs84_geojson(geom, in_crs)
    flip = "ST_FlipCoordinates" if in_crs.lat_first else ""
    wgs = f"ST_Transform({flip}({g}), 4326)"
    row = (
        await conn.execute(
            text(
                f"SELECT ST_AsEWKB(w), ST_Area(w::geography), ST_XMin(w), ST_YMin(w), ST_XMax(w),"
                f" ST_YMax(w) FROM (SELECT {wgs} AS w) s"
            ),
            {"g": json.dumps(geom), "srid": in_crs.srid},
        )
    ).one()
    ewkb, area, x1, y1, x2, y2 = row
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90
    ):
        raise InvalidInput(
            f"coordinates: out of range for {in_crs.name} (mind the axis order: "
            f"{'northing/latitude first' if in_crs.lat_first else 'easting/longitude first'})"
        )
    if area > max_area_m2:
        raise InvalidInput(
            f"geometry: the site covers {area / 1e6:.1f} km², more than the limit of "
            f"{max_area_m2 / 1e6:g} km²"
        )
    if area <= 0:
        raise InvalidInput("geometry: the site has no area")
    return bytes(ewkb), float(area)

"""Geometry checks for writes: structure in Python (cheap, before the database sees it), then
validity, type and extent in PostGIS. Every refusal names the defect and, where PostGIS can,
its location.

Choices (see README, "Editing"):

* 2D only: positions with a third (or fourth) ordinate are refused over the API, because the
  client controls its payload; file imports drop Z explicitly (KML always carries altitude)
  and say so in the report.
* The service's extent is the Xinjiang outline (region 650000) buffered by
  ``RM_EXTENT_BUFFER_DEG`` (0.05°, about 4–5 km), so features along the border are not
  refused over digitising noise. Without that region loaded, Xinjiang's bounding box is used.
* ``repair=true`` applies ST_MakeValid and keeps only the part of the layer's dimension
  (polygonal for polygon layers).

>>> check_structure({"type": "Point", "coordinates": [87.3, 44.0]})
'Point'
>>> check_structure({"type": "Point", "coordinates": [87.3, 44.0, 5]})
Traceback (most recent call last):
...
geo.kernel.errors.InvalidInput: geometry: 3D position [87.3, 44.0, 5] refused; send 2D positions
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.crs import CRS
from geo.kernel.errors import InvalidInput, InvalidParameter, PayloadTooLarge

# Nesting depth of positions per GeoJSON type.
_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
# What a layer of each declared type accepts (single parts are promoted with ST_Multi).
ACCEPTS = {
    "Point": {"Point"},
    "LineString": {"LineString"},
    "Polygon": {"Polygon"},
    "MultiPoint": {"Point", "MultiPoint"},
    "MultiLineString": {"LineString", "MultiLineString"},
    "MultiPolygon": {"Polygon", "MultiPolygon"},
}
# ST_CollectionExtract type of a layer type (1 points, 2 lines, 3 polygons).
EXTRACT = {"Point": 1, "MultiPoint": 1, "LineString": 2, "MultiLineString": 2}
XINJIANG_BBOX = (73.2, 34.2, 96.6, 49.4)


def parse_json(raw: bytes, what: str = "body") -> Any:
    """Strict JSON: truncated or malformed bodies are a 400, NaN/Infinity literals a 422."""

    def _constant(name: str) -> Any:
        raise InvalidInput(f"{what}: {name} is not a number JSON allows (no NaN or Infinity)")

    if b"\\u0000" in raw:  # PostgreSQL text and jsonb cannot hold NUL
        raise InvalidInput(f"{what}: NUL characters (\\u0000) are not accepted in text")
    try:
        return json.loads(raw, parse_constant=_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"{what}: not valid JSON ({exc})", parameter=what) from None
    except RecursionError:
        raise InvalidParameter(f"{what}: JSON nested too deeply", parameter=what) from None
    except ValueError as exc:  # an integer literal of thousands of digits
        raise InvalidParameter(f"{what}: {exc}", parameter=what) from None


def _position(pos: Any, lat_index: int | None) -> None:
    if not isinstance(pos, list) or len(pos) < 2:
        raise InvalidInput(f"geometry: {json.dumps(pos)[:80]} is not a position [x, y]")
    if len(pos) > 2:
        raise InvalidInput(f"geometry: 3D position {json.dumps(pos)} refused; send 2D positions")
    for v in pos:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InvalidInput(f"geometry: coordinate {json.dumps(v)[:40]} is not a number")
        if not math.isfinite(v):
            raise InvalidInput(f"geometry: non-finite coordinate in {pos}")
    if lat_index is not None:
        lat, lon = pos[lat_index], pos[1 - lat_index]
        if not -90 <= lat <= 90:
            raise InvalidInput(f"geometry: latitude {lat} out of range [-90, 90] at {pos}")
        if not -180 <= lon <= 180:
            raise InvalidInput(f"geometry: longitude {lon} out of range [-180, 180] at {pos}")


def _walk(node: Any, depth: int, gtype: str, lat_index: int | None, counter: list[int]) -> None:
    if depth == 0:
        _position(node, lat_index)
        counter[0] += 1
        return
    if not isinstance(node, list):
        raise InvalidInput(f"geometry: {gtype} coordinates are not nested arrays as expected")
    if not node:
        raise InvalidInput(f"geometry: empty {gtype} (an empty part or ring)")
    for child in node:
        _walk(child, depth - 1, gtype, lat_index, counter)
    if depth == 1 and gtype in ("LineString", "MultiLineString") and len(node) < 2:
        raise InvalidInput(f"geometry: a line needs at least 2 positions, got {len(node)}")
    if depth == 1 and gtype in ("Polygon", "MultiPolygon"):
        if node[0] != node[-1]:
            raise InvalidInput(
                f"geometry: unclosed ring: first position {node[0]} differs from last {node[-1]}"
            )
        if len(node) < 4:
            raise InvalidInput(f"geometry: a ring needs at least 4 positions, got {len(node)}")


def check_structure(geom: Any, *, lat_index: int | None = 1, max_vertices: int = 100_000) -> str:
    """Checks a GeoJSON geometry object and returns its type. ``lat_index`` is the position
    index of latitude for geographic CRSs (1 for lon/lat, 0 for lat/lon), None otherwise."""
    if geom is None:
        raise InvalidInput("geometry: null; every feature needs a geometry")
    if not isinstance(geom, dict):
        raise InvalidInput("geometry: expected a GeoJSON geometry object")
    gtype = geom.get("type")
    if gtype == "GeometryCollection":
        raise InvalidInput("geometry: GeometryCollection is not accepted; send one geometry type")
    if gtype not in _DEPTH:
        raise InvalidInput(f"geometry: unknown GeoJSON geometry type {str(gtype)[:40]!r}")
    coords = geom.get("coordinates")
    if coords is None or coords == []:
        raise InvalidInput(f"geometry: empty {gtype}")
    counter = [0]
    _walk(coords, _DEPTH[gtype], gtype, lat_index, counter)
    if counter[0] > max_vertices:
        raise PayloadTooLarge(
            f"geometry: {counter[0]} vertices; at most {max_vertices} are accepted"
        )
    return gtype


# --- PostGIS --------------------------------------------------------------------------------


def extent_sql(buffer_param: str = ":extent_buffer") -> str:
    """The service's extent as one geometry: the buffered Xinjiang outline (or its bbox)."""
    x1, y1, x2, y2 = XINJIANG_BBOX
    return (
        f"coalesce((SELECT ST_Buffer(r.geom, {buffer_param}) FROM regions r "
        f"WHERE r.code = '650000'), ST_MakeEnvelope({x1}, {y1}, {x2}, {y2}, 4326))"
    )


def input_geometry_sql(param: str, crs: CRS) -> str:
    """GeoJSON text in ``crs`` → a storage geometry (EPSG:4326, lon/lat)."""
    g = f"ST_SetSRID(ST_GeomFromGeoJSON({param}), {int(crs.srid)})"
    if crs.lat_first:
        g = f"ST_FlipCoordinates({g})"
    if crs.srid != 4326:
        g = f"ST_Transform({g}, 4326)"
    return g


def repair_sql(geom: str, layer_type: str) -> str:
    """ST_MakeValid keeping only the part of the layer's dimension."""
    return f"ST_CollectionExtract(ST_MakeValid({geom}), {EXTRACT.get(layer_type, 3)})"


@dataclass(frozen=True)
class CheckedGeometry:
    ewkb: str  # hex EWKB in EPSG:4326, promoted to Multi* where the layer wants it
    repaired: bool


async def check_geometry(
    conn: AsyncConnection,
    geom: Any,
    layer_type: str,
    crs: CRS,
    *,
    max_vertices: int,
    extent_buffer: float,
    repair: bool = False,
) -> CheckedGeometry:
    """Structure (Python), then validity, type and extent (PostGIS). Raises InvalidInput."""
    lat_index = (0 if crs.lat_first else 1) if crs.geographic else None
    gtype = check_structure(geom, lat_index=lat_index, max_vertices=max_vertices)
    if gtype not in ACCEPTS[layer_type]:
        raise InvalidInput(
            f"geometry: a {gtype} does not fit this {layer_type} layer "
            f"(accepted: {', '.join(sorted(ACCEPTS[layer_type]))})"
        )
    multi = layer_type.startswith("Multi")
    row = (
        await conn.execute(
            text(
                "WITH i AS (SELECT " + input_geometry_sql(":g", crs) + " AS g), "
                "d AS (SELECT g, ST_IsValid(g) AS ok, ST_IsValidDetail(g) AS det FROM i), "
                "r AS (SELECT d.*, CASE WHEN NOT ok AND :repair THEN "
                + repair_sql("g", layer_type)
                + " ELSE g END AS fixed FROM d) "
                "SELECT ok, (det).reason, ST_X((det).location), ST_Y((det).location), "
                "substr(ST_GeometryType(fixed), 4), ST_IsEmpty(fixed), "
                "ST_Covers(" + extent_sql() + ", fixed), "
                "ST_AsEWKB(CASE WHEN :multi THEN ST_Multi(fixed) ELSE fixed END) FROM r"
            ),
            {
                "g": json.dumps(geom),
                "repair": repair,
                "multi": multi,
                "extent_buffer": extent_buffer,
            },
        )
    ).one()
    ok, reason, x, y, fixed_type, empty, inside, ewkb = row
    if not ok and not repair:
        where = f" at {x:.6f} {y:.6f}" if x is not None else ""
        raise InvalidInput(
            f"geometry: invalid: {reason}{where} (send ?repair=true to repair with ST_MakeValid)"
        )
    if empty:
        raise InvalidInput(f"geometry: nothing of the layer's type is left after repair ({reason})")
    if fixed_type not in ACCEPTS[layer_type]:
        raise InvalidInput(f"geometry: repair produced a {fixed_type}, not a {layer_type}")
    if not inside:
        raise InvalidInput(
            f"geometry: outside the service's extent (Xinjiang, with a {extent_buffer}° margin)"
        )
    return CheckedGeometry(bytes(ewkb).hex(), repaired=not ok)

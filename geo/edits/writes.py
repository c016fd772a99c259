"""Create, replace, update and delete features (OGC API – Features Part 4), with optimistic
concurrency through row versions. Callers run these inside ``geo.kernel.db.write_transaction`` so
the database knows the actor (audit) and the region scope (trigger)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection
from geo.catalog.validation import validate_attributes
from geo.kernel.auth import Principal
from geo.kernel.config import Settings
from geo.kernel.crs import CRS, CRS84
from geo.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
)
from geo.kernel.geometry import CheckedGeometry, check_geometry

# Properties kept in columns of `features`; the rest are layer attributes (JSONB).
COLUMN_PROPS = ("code", "name", "source")
# Derived by the database: accepted back in a PUT body (GET → edit → PUT) and ignored.
READ_ONLY_PROPS = ("region_code", "area_ha", "updated_at")


# --- ETags -------------------------------------------------------------------------------


def etag(fid: int, version: int, out: CRS | None = None) -> str:
    """Strong ETag of a feature's stored state (its row version, bumped by a trigger on every
    UPDATE). Other CRSs are other representations, so they get their own tag."""
    suffix = "" if out is None or out.uri == CRS84 else f"-{out.srid}"
    return f'"{fid}-{version}{suffix}"'


_TAG = re.compile(r'(?:W/)?"(\d+)-(\d+)(?:-\d+)?"')


def matches(header: str | None, fid: int, version: int) -> bool:
    """Whether an If-Match / If-None-Match header names this state (any representation)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(int(m.group(1)) == fid and int(m.group(2)) == version for m in _TAG.finditer(header))


def require_match(if_match: str | None, fid: int, version: int) -> None:
    if if_match is None:
        raise PreconditionRequired(
            "If-Match is required: send the ETag of the feature you edited (GET it first)"
        )
    if not matches(if_match, fid, version):
        raise PreconditionFailed(
            f"feature {fid} has changed since that ETag (current ETag {etag(fid, version)})"
        )


# --- documents ---------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge recursively, null deletes, others replace.

    >>> merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": None, "b": {"c": 5}})
    {'b': {'c': 5, 'd': 3}}
    """
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@dataclass(frozen=True)
class FeatureInput:
    code: str
    name: str | None
    source: str | None
    attributes: dict[str, Any]
    geometry: Any


def feature_input(coll: Collection, doc: Any) -> FeatureInput:
    """A GeoJSON Feature body split into columns and layer attributes, attributes validated
    against the layer schema (unknown attribute → 422 naming it)."""
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InvalidInput('body: expected a GeoJSON Feature ({"type": "Feature", ...})')
    props = doc.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput("properties: expected an object")
    code = props.get("code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("properties.code: required, a non-empty string unique in the layer")
    for col in ("name", "source"):
        if props.get(col) is not None and not isinstance(props[col], str):
            raise InvalidInput(f"properties.{col}: expected a string")
    attrs = {k: v for k, v in props.items() if k not in COLUMN_PROPS and k not in READ_ONLY_PROPS}
    validate_attributes(coll.attribute_schema, attrs, "properties")
    return FeatureInput(code, props.get("name"), props.get("source"), attrs, doc.get("geometry"))


# --- reads -------------------------------------------------------------------------------


async def current(conn: AsyncConnection, coll: Collection, fid: Any, lock: bool = False) -> dict:
    """The stored feature (as a GeoJSON-like document plus version and county), or 404."""
    try:
        key = int(fid)
    except (TypeError, ValueError):
        raise NotFound(f"feature {fid!r} does not exist in {coll.id!r}") from None
    row = (
        await conn.execute(
            text(
                "SELECT id, version, region_code, code, name, source, properties, "
                "ST_AsGeoJSON(geom, 15)::jsonb AS geometry FROM features "
                "WHERE layer = :layer AND id = :id" + (" FOR UPDATE" if lock else "")
            ),
            {"layer": coll.id, "id": key},
        )
    ).first()
    if row is None:
        raise NotFound(f"feature {fid!r} does not exist in {coll.id!r}")
    m = row._mapping
    props = {"code": m["code"], "name": m["name"], "source": m["source"], **m["properties"]}
    return {
        "id": m["id"],
        "version": m["version"],
        "region_code": m["region_code"],
        "doc": {"type": "Feature", "geometry": m["geometry"], "properties": props},
    }


async def version_of(conn: AsyncConnection, coll: Collection, fid: Any) -> int | None:
    try:
        key = int(fid)
    except (TypeError, ValueError):
        return None
    return (
        await conn.execute(
            text("SELECT version FROM features WHERE layer = :layer AND id = :id"),
            {"layer": coll.id, "id": key},
        )
    ).scalar()


# --- writes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    id: int
    version: int
    region_code: str | None
    repaired: bool = False


async def _county(conn: AsyncConnection, geom: CheckedGeometry) -> str | None:
    return (
        await conn.execute(
            text("SELECT rm_county_of(ST_GeomFromEWKB(decode(:g, 'hex')))"), {"g": geom.ewkb}
        )
    ).scalar()


def _check_scope(principal: Principal, region_code: str | None, what: str) -> None:
    if not principal.covers(region_code):
        where = region_code or "outside every county"
        raise PermissionDenied(
            f"{what}: your scope ({', '.join(sorted(principal.regions or []))}) "
            f"does not include {where}"
        )


async def _geometry(conn, coll, doc_geom, crs, settings, repair) -> CheckedGeometry:
    return await check_geometry(
        conn,
        doc_geom,
        coll.geometry_type,
        crs,
        max_vertices=settings.max_vertices,
        extent_buffer=settings.extent_buffer_deg,
        repair=repair,
    )


async def _execute(conn: AsyncConnection, sql: str, params: dict, code: str, layer: str):
    try:
        async with conn.begin_nested():
            return (await conn.execute(text(sql), params)).one()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23505":
            raise Conflict(f"code {code!r} already exists in {layer!r}") from None
        raise


async def create(
    conn: AsyncConnection,
    principal: Principal,
    coll: Collection,
    doc: Any,
    crs: CRS,
    settings: Settings,
    repair: bool = False,
) -> Written:
    fi = feature_input(coll, doc)
    geom = await _geometry(conn, coll, fi.geometry, crs, settings, repair)
    county = await _county(conn, geom)
    _check_scope(principal, county, "create")
    row = await _execute(
        conn,
        "INSERT INTO features (layer, code, name, source, properties, geom) VALUES "
        "(:layer, :code, :name, :source, CAST(:props AS jsonb), "
        "ST_GeomFromEWKB(decode(:g, 'hex'))) RETURNING id, version, region_code",
        {
            "layer": coll.id,
            "code": fi.code,
            "name": fi.name,
            "source": fi.source,
            "props": json.dumps(fi.attributes),
            "g": geom.ewkb,
        },
        fi.code,
        coll.id,
    )
    return Written(row[0], row[1], row[2], geom.repaired)


async def replace(
    conn: AsyncConnection,
    principal: Principal,
    coll: Collection,
    fid: Any,
    doc: Any,
    crs: CRS,
    settings: Settings,
    if_match: str | None,
    repair: bool = False,
    geometry_changed: bool = True,
) -> Written:
    """PUT (and PATCH, after merging): every property is replaced by the document's."""
    cur = await current(conn, coll, fid, lock=True)
    require_match(if_match, cur["id"], cur["version"])
    _check_scope(principal, cur["region_code"], "edit")
    fi = feature_input(coll, doc)
    params = {
        "id": cur["id"],
        "code": fi.code,
        "name": fi.name,
        "source": fi.source,
        "props": json.dumps(fi.attributes),
    }
    repaired = False
    geom_set = ""
    if geometry_changed:
        geom = await _geometry(conn, coll, fi.geometry, crs, settings, repair)
        _check_scope(principal, await _county(conn, geom), "move")
        params["g"], repaired = geom.ewkb, geom.repaired
        geom_set = ", geom = ST_GeomFromEWKB(decode(:g, 'hex'))"
    row = await _execute(
        conn,
        "UPDATE features SET code = :code, name = :name, source = :source, "
        "properties = CAST(:props AS jsonb)" + geom_set + " WHERE id = :id "
        "RETURNING id, version, region_code",
        params,
        fi.code,
        coll.id,
    )
    return Written(row[0], row[1], row[2], repaired)


async def update(
    conn: AsyncConnection,
    principal: Principal,
    coll: Collection,
    fid: Any,
    patch: Any,
    crs: CRS,
    settings: Settings,
    if_match: str | None,
    repair: bool = False,
) -> Written:
    """PATCH with a JSON Merge Patch (RFC 7396) of ``properties`` and/or ``geometry``."""
    if not isinstance(patch, dict):
        raise InvalidInput("body: a merge patch must be a JSON object")
    unknown = sorted(set(patch) - {"type", "properties", "geometry", "id"})
    if unknown:
        raise InvalidInput(f"body: unknown member(s) {', '.join(unknown)}")
    if "geometry" in patch and patch["geometry"] is None:
        raise InvalidInput("geometry: null; a feature cannot lose its geometry")
    cur = await current(conn, coll, fid, lock=True)
    doc = merge_patch(cur["doc"], {k: v for k, v in patch.items() if k != "id"})
    return await replace(
        conn,
        principal,
        coll,
        fid,
        doc,
        crs,
        settings,
        if_match,
        repair,
        geometry_changed="geometry" in patch,
    )


async def delete(
    conn: AsyncConnection,
    principal: Principal,
    coll: Collection,
    fid: Any,
    if_match: str | None,
) -> None:
    cur = await current(conn, coll, fid, lock=True)
    require_match(if_match, cur["id"], cur["version"])
    _check_scope(principal, cur["region_code"], "delete")
    await conn.execute(text("DELETE FROM features WHERE id = :id"), {"id": cur["id"]})

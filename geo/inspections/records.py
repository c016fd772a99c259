"""Field inspections: stored once per client UUID, positioned in WGS 84, scoped to a county.

Idempotency: the client generates the UUID, and the row keeps a hash of the request body.
The same body sent again (a retry from the offline queue) returns the stored record; a
different body for an existing UUID is a 409: an inspection records what was seen at a
moment, and a correction is a new inspection.
"""

from __future__ import annotations

import hashlib
import json
import uuid as uuid_mod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.crs import gcj02_to_wgs84
from geo.kernel.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class InspectionInput:
    lon: float
    lat: float
    gcj02: bool
    accuracy_m: float | None
    observed_at: datetime
    verdict: str
    note: str | None
    violation_id: int | None
    feature_id: int | None

    def body_hash(self) -> str:
        canonical = json.dumps(
            {**self.__dict__, "observed_at": self.observed_at.isoformat()}, sort_keys=True
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def wgs84(self) -> tuple[float, float]:
        if not self.gcj02:
            return self.lon, self.lat
        lon, lat = gcj02_to_wgs84(self.lon, self.lat)
        return float(lon), float(lat)


async def county_at(conn: AsyncConnection, lon: float, lat: float) -> str | None:
    return (
        await conn.execute(
            text("SELECT rm_county_of(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            {"lon": lon, "lat": lat},
        )
    ).scalar()


async def _check_links(conn: AsyncConnection, body: InspectionInput) -> None:
    if body.feature_id is not None:
        found = await conn.execute(
            text("SELECT 1 FROM features WHERE id = :id"), {"id": body.feature_id}
        )
        if found.first() is None:
            raise InvalidInput(f"feature_id: feature {body.feature_id} does not exist")
    if body.violation_id is not None:
        # The violations table comes from another module; check it only where it exists.
        if (await conn.execute(text("SELECT to_regclass('violations')"))).scalar() is None:
            return
        found = await conn.execute(
            text("SELECT 1 FROM violations WHERE id = :id"), {"id": body.violation_id}
        )
        if found.first() is None:
            raise InvalidInput(f"violation_id: violation {body.violation_id} does not exist")


async def put_inspection(
    conn: AsyncConnection,
    uuid: uuid_mod.UUID,
    body: InspectionInput,
    region_code: str | None,
    inspector_id: int,
) -> bool:
    """Stores the inspection unless it exists; returns True when it was created.
    Raises Conflict when the UUID holds a different inspection."""
    await _check_links(conn, body)
    lon, lat = body.wgs84()
    digest = body.body_hash()
    created = (
        await conn.execute(
            text(
                "INSERT INTO inspections (uuid, geom, input_crs, accuracy_m, observed_at, verdict,"
                " note, violation_id, feature_id, region_code, inspector_id, body_hash)"
                " VALUES (:uuid, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :crs, :acc, :obs,"
                " :verdict, :note, :vid, :fid, :region, :inspector, :hash)"
                " ON CONFLICT (uuid) DO NOTHING RETURNING uuid"
            ),
            {
                "uuid": uuid,
                "lon": lon,
                "lat": lat,
                "crs": "GCJ02" if body.gcj02 else "EPSG:4326",
                "acc": body.accuracy_m,
                "obs": body.observed_at,
                "verdict": body.verdict,
                "note": body.note,
                "vid": body.violation_id,
                "fid": body.feature_id,
                "region": region_code,
                "inspector": inspector_id,
                "hash": digest,
            },
        )
    ).first()
    if created:
        return True
    stored = (
        await conn.execute(text("SELECT body_hash FROM inspections WHERE uuid = :u"), {"u": uuid})
    ).scalar_one()
    if stored != digest:
        raise Conflict(
            f"inspection {uuid} exists with different content; record a new inspection "
            "(new UUID) to correct it"
        )
    return False


_RECORD_SQL = """
SELECT i.uuid, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.input_crs, i.accuracy_m,
       i.observed_at, i.verdict, i.note, i.violation_id, i.feature_id, i.region_code,
       u.name AS inspector, i.created_at,
       coalesce((
         SELECT jsonb_agg(jsonb_build_object(
                  'sha256', p.sha256, 'content_type', p.content_type,
                  'size_bytes', p.size_bytes, 'filename', p.filename, 'taken_at', p.taken_at,
                  'position', CASE WHEN p.geom IS NULL THEN NULL ELSE
                      jsonb_build_object('lon', ST_X(p.geom), 'lat', ST_Y(p.geom)) END,
                  'exif_read', p.exif_read, 'created_at', p.created_at) ORDER BY p.id)
         FROM inspection_photos p WHERE p.inspection_uuid = i.uuid), '[]'::jsonb) AS photos
FROM inspections i JOIN users u ON u.id = i.inspector_id
"""


def _record(row: Any) -> dict[str, Any]:
    m = dict(row._mapping)
    return {
        "uuid": str(m["uuid"]),
        "position": {"lon": m["lon"], "lat": m["lat"]},
        "input_crs": m["input_crs"],
        "accuracy_m": m["accuracy_m"],
        "observed_at": m["observed_at"].isoformat(),
        "verdict": m["verdict"],
        "note": m["note"],
        "violation_id": m["violation_id"],
        "feature_id": m["feature_id"],
        "region_code": m["region_code"],
        "inspector": m["inspector"],
        "created_at": m["created_at"].isoformat(),
        "photos": m["photos"],
    }


async def get_inspection(conn: AsyncConnection, uuid: uuid_mod.UUID) -> dict[str, Any]:
    row = (await conn.execute(text(_RECORD_SQL + " WHERE i.uuid = :u"), {"u": uuid})).first()
    if row is None:
        raise NotFound(f"inspection {uuid} does not exist")
    return _record(row)


async def list_inspections(
    conn: AsyncConnection,
    feature_id: int | None,
    violation_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    sql = (
        _RECORD_SQL
        + " WHERE (CAST(:fid AS bigint) IS NULL OR i.feature_id = :fid)"
        + " AND (CAST(:vid AS bigint) IS NULL OR i.violation_id = :vid)"
        + " ORDER BY i.observed_at DESC LIMIT :limit"
    )
    rows = await conn.execute(text(sql), {"fid": feature_id, "vid": violation_id, "limit": limit})
    return [_record(r) for r in rows]


async def add_photo(
    conn: AsyncConnection,
    uuid: uuid_mod.UUID,
    sha: str,
    content_type: str,
    size: int,
    filename: str | None,
    taken_at: datetime | None,
    lon: float | None,
    lat: float | None,
    exif_read: bool,
) -> bool:
    """Records a photo of an inspection; returns False when it was already recorded."""
    row = (
        await conn.execute(
            text(
                "INSERT INTO inspection_photos (inspection_uuid, sha256, content_type, size_bytes,"
                " filename, taken_at, geom, exif_read) VALUES (:u, :sha, :ct, :size, :fn, :taken,"
                " CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL"
                " ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END, :exif)"
                " ON CONFLICT (inspection_uuid, sha256) DO NOTHING RETURNING id"
            ),
            {
                "u": uuid,
                "sha": sha,
                "ct": content_type,
                "size": size,
                "fn": filename,
                "taken": taken_at,
                "lon": lon,
                "lat": lat,
                "exif": exif_read,
            },
        )
    ).first()
    return row is not None


async def inspection_region(conn: AsyncConnection, uuid: uuid_mod.UUID) -> str | None:
    row = (
        await conn.execute(text("SELECT region_code FROM inspections WHERE uuid = :u"), {"u": uuid})
    ).first()
    if row is None:
        raise NotFound(f"inspection {uuid} does not exist")
    return row[0]


async def photo_type(conn: AsyncConnection, uuid: uuid_mod.UUID, sha: str) -> str:
    row = (
        await conn.execute(
            text(
                "SELECT content_type FROM inspection_photos"
                " WHERE inspection_uuid = :u AND sha256 = :sha"
            ),
            {"u": uuid, "sha": sha},
        )
    ).first()
    if row is None:
        raise NotFound(f"inspection {uuid} has no photo {sha}")
    return row[0]

"""Items of a collection as GeoJSON built in PostGIS: one SQL statement per page, keyset
paging on the primary key (fast deep into a layer), rows streamed as JSON text."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog import filters
from geo.catalog.queryables import Queryable, json_type, queryables
from geo.catalog.sources import Collection, Source
from geo.kernel import crs as crs_mod
from geo.kernel import regions
from geo.kernel.crs import CRS
from geo.kernel.errors import InvalidParameter, NotFound
from geo.kernel.sql import Where


@dataclass
class ItemsQuery:
    limit: int = 100
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: CRS = crs_mod.DEFAULT
    crs: CRS = crs_mod.DEFAULT
    datetime: tuple[date | None, date | None] | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    cursor: str | None = None
    # A parsed CQL2 tree (geo.catalog.filters.parse) and the CRS of its geometry literals.
    filter: dict[str, Any] | bool | None = None
    filter_crs: CRS = crs_mod.DEFAULT
    # (queryable name, descending?) pairs; the primary key is always the last key.
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    properties: list[str] | None = None


# --- parameter parsing ------------------------------------------------------------------


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        msg = f"bbox: {value!r} is not a list of numbers"
        raise InvalidParameter(msg, parameter="bbox") from None
    if len(parts) == 6:  # 3D bbox: drop heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or any(p != p or p in (float("inf"), float("-inf")) for p in parts):
        raise InvalidParameter(
            "bbox: expected 4 finite numbers minx,miny,maxx,maxy", parameter="bbox"
        )
    x1, y1, x2, y2 = parts
    if x1 > x2 or y1 > y2:
        raise InvalidParameter("bbox: lower corner must come before upper corner", parameter="bbox")
    return x1, y1, x2, y2


def _parse_date(value: str) -> date:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise InvalidParameter(
            f"datetime: {value!r} is not an RFC 3339 date or date-time", parameter="datetime"
        ) from None


def parse_datetime(value: str | None) -> tuple[date | None, date | None] | None:
    """An instant or an interval (``a/b``, ``../b``, ``a/..``) as inclusive date bounds."""
    if value is None:
        return None
    if "/" in value:
        start, _, end = value.partition("/")
        lo = None if start in ("", "..") else _parse_date(start)
        hi = None if end in ("", "..") else _parse_date(end)
        if lo and hi and lo > hi:
            raise InvalidParameter(
                "datetime: interval start is after its end", parameter="datetime"
            )
        return lo, hi
    d = _parse_date(value)
    return d, d


def encode_cursor(values: list[Any]) -> str:
    """The sort-key values of the last row of a page, as an opaque token."""
    raw = json.dumps(values, default=lambda v: v.isoformat(), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, n_keys: int, source: Source) -> list[Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(values, list) or len(values) != n_keys:
            raise ValueError
        last_id = values[-1]
        if source.id_is_int != isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        if source.id_is_int and not -(2**63) <= last_id < 2**63:  # bigint, checked up front
            raise ValueError
        if not source.id_is_int and not isinstance(last_id, str):
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        msg = "cursor: not a token this service issued (or from a different sortby)"
        raise InvalidParameter(msg, parameter="cursor") from None


def parse_sortby(value: str | None, qs: dict[str, Queryable]) -> list[tuple[str, bool]]:
    """``sortby=name,-area_ha`` (``+`` optional) as (name, descending) pairs."""
    if not value:
        return []
    out = []
    for part in value.split(","):
        part = part.strip()
        desc = part.startswith("-")
        name = part.lstrip("+-").strip()
        q = qs.get(name)
        if q is None or q.kind == "geometry":
            sortable = ", ".join(sorted(k for k, v in qs.items() if v.kind != "geometry"))
            raise InvalidParameter(
                f"sortby: {name!r} is not a sortable property; use one of {sortable}",
                parameter="sortby",
            )
        out.append((name, desc))
    return out


def parse_properties(value: str | None, qs: dict[str, Queryable]) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in qs or n == "geometry"]
    if unknown:
        raise InvalidParameter(
            f"properties: unknown property {', '.join(unknown)}", parameter="properties"
        )
    return names


def _typed(value: str, schema: dict[str, Any], name: str) -> Any:
    kind = json_type(schema)
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        raise InvalidParameter(f"{name}: {value!r} is not a {kind}", parameter=name) from None
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise InvalidParameter(f"{name}: expected true or false", parameter=name)
        return value.lower() == "true"
    return value


def region_clause(where: Where, column: str, code: str, parameter: str = "region_code") -> None:
    """County codes match themselves; prefecture and region codes match their counties
    (GB/T 2260 codes nest: 650000 ⊃ 652300 ⊃ 652324)."""
    where.add(regions.region_sql(column, regions.check_code(code, parameter), where.bind))


# --- SQL --------------------------------------------------------------------------------


def geometry_json_sql(source: Source, out: CRS) -> str:
    g = source.geom_sql
    if out.srid != 4326:
        g = f"ST_Transform({g}, {int(out.srid)})"
    if out.lat_first:
        g = f"ST_FlipCoordinates({g})"
    return f"ST_AsGeoJSON({g}, {out.decimals}, 0)"


def feature_json_sql(source: Source, out: CRS, properties_sql: str | None = None) -> str:
    """One Feature as JSON text, concatenated in SQL so Python never re-parses it."""
    return (
        '\'{"type":"Feature","id":\' || to_json(' + source.id_sql + ")::text"
        " || ',\"geometry\":' || "
        + geometry_json_sql(source, out)
        + " || ',\"properties\":' || ("
        + (properties_sql or source.properties_sql)
        + ")::text || '}'"
    )


def envelope_sql(where: Where, bbox: tuple[float, float, float, float], bbox_crs: CRS) -> str:
    x1, y1, x2, y2 = bbox
    if bbox_crs.lat_first:
        x1, y1, x2, y2 = y1, x1, y2, x2
    env = (
        f"ST_MakeEnvelope({where.bind(x1)}, {where.bind(y1)}, {where.bind(x2)}, "
        f"{where.bind(y2)}, {int(bbox_crs.srid)})"
    )
    if bbox_crs.srid != 4326:
        # Densify first so the transformed edges follow the true (curved) box edges.
        step = where.bind(max(x2 - x1, y2 - y1) / 32 or 1)
        env = f"ST_Transform(ST_Segmentize({env}, {step}), 4326)"
    return env


def filter_where(
    coll: Collection, q: ItemsQuery, *, source: Source | None = None, prefix: str = "p"
) -> Where:
    """The WHERE clause shared by the page query and the count. ``source`` overrides the
    collection's (e.g. another parameter name for its layer) and ``prefix`` names the bound
    parameters, so that two filtered sides can be joined in one statement (overlaps)."""
    src = source or coll.source
    where = Where(params=dict(src.params), prefix=prefix)
    where.add(src.where)
    if q.bbox is not None:
        where.add(f"ST_Intersects({src.geom_sql}, {envelope_sql(where, q.bbox, q.bbox_crs)})")
    if q.datetime is not None:
        if not coll.temporal_property:
            raise InvalidParameter(
                f"datetime: collection {coll.id!r} has no temporal property", parameter="datetime"
            )
        expr = _attribute_text_sql(src, coll.temporal_property)
        lo, hi = q.datetime
        if lo:
            where.add(f"({expr})::date >= {where.bind(lo)}")
        if hi:
            where.add(f"({expr})::date <= {where.bind(hi)}")
    contained: dict[str, Any] = {}
    attrs = coll.attributes
    for name, raw in q.attributes.items():
        if name == "region_code":
            region_clause(where, src.columns["region_code"], raw)
        elif name in src.columns:
            where.add(f"{src.columns[name]} = {where.bind(raw)}")
        else:
            contained[name] = _typed(raw, attrs[name], name)
    if contained:
        # Containment on JSONB: one predicate for every attribute filter, typed by the schema.
        where.add(f"{src.json_column} @> CAST({where.bind(json.dumps(contained))} AS jsonb)")
    if q.filter is not None:
        where.add(filters.to_sql(q.filter, queryables(coll), where.bind, q.filter_crs))
    return where


def _attribute_text_sql(src: Source, name: str) -> str:
    if name in src.columns:
        return src.columns[name]
    return f"{src.json_column} ->> '{name.replace(chr(39), '')}'"


def _sort_keys(coll: Collection, q: ItemsQuery) -> list[tuple[str, bool, str]]:
    """(SQL, descending, SQL type) of every sort key; NULLs sort last, the id breaks ties."""
    qs = queryables(coll)
    keys = []
    for name, desc in q.sortby:
        qy = qs[name]
        keys += [(f"({qy.sql} IS NULL)", False, "boolean"), (qy.sql, desc, qy.sql_type)]
    src = coll.source
    keys.append((src.id_sql, False, "bigint" if src.id_is_int else "text"))
    return keys


def _after_cursor(where: Where, keys: list[tuple[str, bool, str]], values: list[Any]) -> str:
    """Rows after the cursor in the sort order (keyset paging), NULL-safe:
    k1 > v1 OR (k1 = v1 AND k2 > v2) OR …"""
    bound = [f"CAST({where.bind(v)} AS {t})" for v, (_, _, t) in zip(values, keys, strict=True)]
    ors = []
    for i, (sql, desc, _) in enumerate(keys):
        equal = [f"{keys[j][0]} IS NOT DISTINCT FROM {bound[j]}" for j in range(i)]
        ors.append(" AND ".join([*equal, f"{sql} {'<' if desc else '>'} {bound[i]}"]))
    return " OR ".join(f"({c})" for c in ors)


def page_sql(coll: Collection, q: ItemsQuery) -> tuple[str, dict[str, Any]]:
    """The page query. Its rows are (feature JSON, sort-key values…); the values of the
    last row returned make the next cursor (see :func:`encode_cursor`)."""
    src = coll.source
    where = filter_where(coll, q)
    keys = _sort_keys(coll, q)
    if q.cursor is not None:
        values = decode_cursor(q.cursor, len(keys), src)
        where.add(_after_cursor(where, keys, values))
    props_sql = None
    if q.properties is not None:
        # Only the requested members, taken from the full properties so names and values
        # are exactly what the unfiltered response would show.
        keep = where.bind(q.properties)
        props_sql = (
            f"(SELECT coalesce(jsonb_object_agg(e.key, e.value), '{{}}'::jsonb) "
            f"FROM jsonb_each({src.properties_sql}) AS e WHERE e.key = ANY(CAST({keep} AS text[])))"
        )
    where.params["_limit"] = q.limit + 1  # one more row tells whether a next page exists
    order = ", ".join(f"{sql} {'DESC' if desc else 'ASC'}" for sql, desc, _ in keys)
    key_columns = ", ".join(f"{sql} AS k{i}" for i, (sql, _, _) in enumerate(keys))
    sql = (
        f"SELECT {feature_json_sql(src, q.crs, props_sql)} AS feature, {key_columns} "
        f"FROM {src.from_sql} WHERE {where.sql} ORDER BY {order} LIMIT :_limit"
    )
    return sql, where.params


async def get_item(conn: AsyncConnection, coll: Collection, fid: str, out: CRS) -> str:
    return (await get_item_versioned(conn, coll, fid, out, with_version=False))[0]


async def get_item_versioned(
    conn: AsyncConnection, coll: Collection, fid: str, out: CRS, with_version: bool = True
) -> tuple[str, int | None]:
    """The feature's GeoJSON and, with ``with_version`` (live feature layers), its row
    version (the ETag's source) from the same statement, hence the same snapshot: one round
    trip per item instead of two."""
    src = coll.source
    if src.id_is_int:
        try:
            key: Any = int(fid)
        except ValueError:
            raise NotFound(f"feature {fid!r} does not exist in {coll.id!r}") from None
    else:
        key = fid
    where = Where(params=dict(src.params))
    where.add(src.where)
    where.add(f"{src.id_sql} = {where.bind(key)}")
    version = "t.version" if with_version else "NULL::bigint"
    row = (
        await conn.execute(
            text(
                f"SELECT {feature_json_sql(src, out)}, {version}"
                f" FROM {src.from_sql} WHERE {where.sql}"
            ),
            where.params,
        )
    ).first()
    if row is None:
        raise NotFound(f"feature {fid!r} does not exist in {coll.id!r}")
    return row[0], row[1]

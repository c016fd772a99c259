"""The collection catalog: registered layers, and how each kind of collection is read in SQL.

A :class:`Source` describes one relation as SQL fragments (table alias ``t``) so that items,
tiles, filters and exports all read every collection the same way. Identifiers in these
fragments are ours; values are always bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.errors import NotFound


@dataclass(frozen=True)
class Source:
    from_sql: str
    where: str
    id_sql: str
    id_is_int: bool
    properties_sql: str
    # Attributes kept in real columns (filterable with =); the rest live in `json_column`.
    columns: dict[str, str]
    json_column: str | None = None
    # Extra bound parameters the `where` clause needs.
    params: dict[str, Any] = field(default_factory=dict)
    geom_sql: str = "t.geom"
    updated_sql: str | None = "t.updated_at"
    # Derived values that can be filtered and sorted on: name -> (SQL, kind, title).
    extra_queryables: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # Rows can be read again cheaply by id (a table, not a derived relation): tiles pick ids
    # first and read properties and geometry for the kept rows only.
    refetch_by_id: bool = True
    # Zoom-banded simplified copies live in feature_generalised (geo/tiles/sql/generalised.sql):
    # the condition over its row g that is this relation's `where` (None: no bands).
    generalised: str | None = None
    # A vector tile's attributes as typed columns, (name, SQL over t), a jsonb one expanded
    # key by key: 'id' and properties_sql's keys except TILE_DROPPED_PROPERTIES.
    # ST_AsMVT encodes typed columns faster than the same keys built into one jsonb object
    # (BENCHMARKS.md, session 6). Empty: the generic jsonb expression.
    tile_columns: tuple[tuple[str, str], ...] = ()
    # The columns of t that tile_columns read: tiles carry them (and, above the zoom bands,
    # the geometry) from the id pick instead of reading each kept row again by id.
    tile_carry: tuple[str, ...] = ()


# Properties of an item that a vector tile leaves out: what a popup needs stays, small.
TILE_DROPPED_PROPERTIES = ("source", "updated_at", "created_at")

# What feature_source's properties_sql gives, with 'id' and without TILE_DROPPED_PROPERTIES.
# A layer attribute named like a column is left out of tiles, where the column's value is the
# one sent (attribute schemas of feature layers are closed, and writes keep code, name,
# region_code and area_ha out of attributes; tests/tiles/test_generalised.py compares with
# the generic expression's tiles).
_TILE_COLUMN_NAMES = ("id", "code", "name", "region_code", "area_ha", "sample")
_TILE_LEFT_OUT = ", ".join(f"'{k}'" for k in (*TILE_DROPPED_PROPERTIES, *_TILE_COLUMN_NAMES))
_FEATURE_TILE_COLUMNS = (
    ("id", "t.id"),
    ("code", "t.code"),
    ("name", "t.name"),
    ("region_code", "t.region_code"),
    ("area_ha", "round((t.area_m2 / 10000)::numeric, 4)::float8"),
    # sample data says so in every item, tile and popup; NULL: no tag at all
    ("sample", "CASE WHEN t.sample THEN true END"),
    (
        "properties",
        f"CASE WHEN t.properties ?| array[{_TILE_LEFT_OUT}]"
        f" THEN t.properties - array[{_TILE_LEFT_OUT}] ELSE t.properties END",
    ),
)
_FEATURE_TILE_CARRY = ("id", "code", "name", "region_code", "area_m2", "sample", "properties")


def feature_source(layer: str) -> Source:
    return Source(
        from_sql="features t",
        where="t.layer = :layer",
        id_sql="t.id",
        id_is_int=True,
        properties_sql=(
            "jsonb_build_object('code', t.code, 'name', t.name, 'region_code', t.region_code,"
            " 'area_ha', round((t.area_m2 / 10000)::numeric, 4), 'source', t.source,"
            " 'updated_at', t.updated_at) || t.properties"
            # sample data says so in every item, tile and popup (never a surveyed fact)
            " || CASE WHEN t.sample THEN '{\"sample\": true}'::jsonb ELSE '{}'::jsonb END"
        ),
        columns={"code": "t.code", "name": "t.name", "region_code": "t.region_code"},
        json_column="t.properties",
        params={"layer": layer},
        tile_columns=_FEATURE_TILE_COLUMNS,
        tile_carry=_FEATURE_TILE_CARRY,
        extra_queryables={
            "area_ha": ("(t.area_m2 / 10000)", "number", "Area (ha), measured on the ellipsoid"),
            "updated_at": ("t.updated_at", "datetime", "Last change"),
        },
        generalised="g.layer = :layer",
    )


# The features of a layer as they were at :as_of, rebuilt from the audit log (migration
# 0005_edits): the newest audit entry of each row at that instant, unless it is a DELETE.
# Geometry is in after_geom since 0009; older entries carry it in the JSON.
_AS_OF_SQL = """(SELECT (a.after->>'id')::bigint AS id, a.after->>'layer' AS layer,
    a.after->>'code' AS code, a.after->>'name' AS name, a.after->>'region_code' AS region_code,
    a.after->'properties' AS properties,
    coalesce(a.after_geom, ST_SetSRID(ST_GeomFromGeoJSON(a.after->'geom'), 4326)) AS geom,
    (a.after->>'area_m2')::float8 AS area_m2, a.after->>'source' AS source,
    coalesce((a.after->>'sample')::boolean, a.after->>'source' LIKE 'sample%') AS sample,
    (a.after->>'updated_at')::timestamptz AS updated_at
  FROM (SELECT DISTINCT ON (row_id) row_id, op, after, after_geom FROM (
          SELECT row_id, id, op, after, after_geom FROM audit_log
          WHERE table_name = 'features' AND at <= :as_of AND op <> 'IMPORT'
          UNION ALL
          -- rows of a bulk import (one IMPORT event naming them, 0020): as imported, i.e.
          -- the `before` of their next audit entry, or the live row while there is none
          SELECT x.id::text, i.id, 'INSERT', coalesce(nx.before, to_jsonb(f) - 'geom'),
                 coalesce(nx.before_geom, f.geom)
          FROM audit_log i
          CROSS JOIN LATERAL unnest(i.row_ids) r
          CROSS JOIN LATERAL generate_series(lower(r), upper(r) - 1) x(id)
          LEFT JOIN LATERAL (SELECT n.before, n.before_geom FROM audit_log n
                             WHERE n.table_name = 'features' AND n.row_id = x.id::text
                               AND n.id > i.id ORDER BY n.id LIMIT 1) nx ON true
          LEFT JOIN features f ON nx.before IS NULL AND f.id = x.id
          WHERE i.table_name = 'features' AND i.op = 'IMPORT' AND i.at <= :as_of
            AND i.after->>'layer' = :layer
        ) e ORDER BY row_id, id DESC) a
  WHERE a.op <> 'DELETE') t"""


def feature_source_as_of(layer: str, as_of: Any) -> Source:
    """Like :func:`feature_source`, over the layer's state at ``as_of``."""
    live = feature_source(layer)
    return Source(
        from_sql=_AS_OF_SQL,
        where=live.where,
        id_sql=live.id_sql,
        id_is_int=True,
        properties_sql=live.properties_sql,
        columns=live.columns,
        json_column=live.json_column,
        params={"layer": layer, "as_of": as_of},
        extra_queryables=live.extra_queryables,
        refetch_by_id=False,
    )


REGIONS_SOURCE = Source(
    from_sql="regions t",
    where="TRUE",
    id_sql="t.code",
    id_is_int=False,
    properties_sql=(
        "jsonb_build_object('code', t.code, 'name', t.name, 'name_en', t.name_en,"
        " 'level', t.level, 'parent_code', t.parent_code, 'region_code', t.code,"
        " 'area_ha', round((ST_Area(t.geom::geography) / 10000)::numeric, 2),"
        " 'source', t.source, 'updated_at', t.updated_at)"
    ),
    columns={
        "code": "t.code",
        "name": "t.name",
        "name_en": "t.name_en",
        "level": "t.level",
        "parent_code": "t.parent_code",
        "region_code": "t.code",
    },
)

# Violations (migration 0003): the derived collection of rule breaches, with their rule.
VIOLATIONS_SOURCE = Source(
    from_sql="violations t JOIN violation_rules r ON r.id = t.rule_id",
    where="TRUE",
    id_sql="t.id",
    id_is_int=True,
    properties_sql=(
        "jsonb_build_object('code', 'V-' || t.id, 'name', r.name, 'name_zh', r.name_zh,"
        " 'status', t.status, 'severity', t.severity, 'rule_id', t.rule_id,"
        " 'rule_code', r.code, 'rule_name', r.name, 'region_code', t.region_code,"
        " 'area_m2', round(t.area_m2::numeric, 1),"
        " 'area_ha', round((t.area_m2 / 10000)::numeric, 4),"
        " 'area_mu', round((t.area_m2 * 15 / 10000)::numeric, 2),"
        " 'share_of_subject', round(t.share_of_subject::numeric, 4),"
        " 'share_of_protected', round(t.share_of_protected::numeric, 4),"
        " 'subject_collection', t.subject_layer, 'subject_id', t.subject_id,"
        " 'subject_code', t.subject_code, 'protected_collection', t.protected_layer,"
        " 'protected_id', t.protected_id, 'protected_code', t.protected_code,"
        " 'resolved', t.resolved_at IS NOT NULL, 'resolved_at', t.resolved_at,"
        " 'detected_at', t.detected_at, 'detected_on', t.detected_on,"
        " 'status_changed_at', t.status_changed_at, 'law_title', r.law_title,"
        " 'law_article', r.law_article, 'law_doc_number', r.law_doc_number,"
        " 'rule_valid_from', r.valid_from, 'rule_valid_to', r.valid_to,"
        " 'updated_at', t.updated_at)"
        " || CASE WHEN t.sample THEN '{\"sample\": true}'::jsonb ELSE '{}'::jsonb END"
    ),
    # Every attribute of the collection's schema is a real, typed column (queryables, CQL2).
    columns={
        "code": "('V-' || t.id)",
        "name": "r.name",
        "region_code": "t.region_code",
        "status": "t.status",
        "severity": "t.severity",
        "rule_id": "t.rule_id",
        "rule_code": "r.code",
        "subject_collection": "t.subject_layer",
        "subject_id": "t.subject_id",
        "subject_code": "t.subject_code",
        "protected_collection": "t.protected_layer",
        "protected_id": "t.protected_id",
        "protected_code": "t.protected_code",
        "resolved": "(t.resolved_at IS NOT NULL)",
        "detected_at": "(t.detected_at AT TIME ZONE 'Asia/Shanghai')::date",
    },
    extra_queryables={
        "area_ha": ("(t.area_m2 / 10000)", "number", "Area (ha), measured on the ellipsoid"),
        "updated_at": ("t.updated_at", "datetime", "Last change"),
    },
)

# Collections backed by their own tables.
SPECIAL_SOURCES: dict[str, Source] = {
    "regions": REGIONS_SOURCE,
    "violations": VIOLATIONS_SOURCE,
}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    title_zh: str | None
    description: str | None
    kind: str
    geometry_type: str
    attribute_schema: dict[str, Any]
    style: dict[str, Any] | None
    temporal_property: str | None
    public: bool
    restorable: bool
    # Set (with dataclasses.replace) to read the layer as it was at that instant.
    as_of: Any = None

    @property
    def source(self) -> Source:
        if self.as_of is not None and self.kind == "feature" and self.id not in SPECIAL_SOURCES:
            return feature_source_as_of(self.id, self.as_of)
        return SPECIAL_SOURCES.get(self.id) or feature_source(self.id)

    @property
    def attributes(self) -> dict[str, dict[str, Any]]:
        """Layer attributes (JSON Schema per property) plus the columns every item carries."""
        props = dict(self.attribute_schema.get("properties", {}))
        common = {
            "code": {"type": "string", "title": "Code", "x-title-zh": "编号"},
            "name": {"type": ["string", "null"], "title": "Name", "x-title-zh": "名称"},
            "region_code": {
                "type": ["string", "null"],
                "title": "County code (GB/T 2260)",
                "x-title-zh": "行政区划代码",
            },
        }
        return {**common, **props}


_COLUMNS = (
    "name, title, title_zh, description, kind, geometry_type, attribute_schema, style, "
    "temporal_property, public, restorable"
)


def _collection(row: Any) -> Collection:
    m = row._mapping
    return Collection(
        id=m["name"],
        title=m["title"],
        title_zh=m["title_zh"],
        description=m["description"],
        kind=m["kind"],
        geometry_type=m["geometry_type"],
        attribute_schema=m["attribute_schema"],
        style=m["style"],
        temporal_property=m["temporal_property"],
        public=m["public"],
        restorable=m["restorable"],
    )


async def list_collections(conn: AsyncConnection) -> list[Collection]:
    rows = await conn.execute(text(f"SELECT {_COLUMNS} FROM layers ORDER BY sort_order, name"))
    return [_collection(r) for r in rows]


async def get_collection(conn: AsyncConnection, collection_id: str) -> Collection:
    row = (
        await conn.execute(
            text(f"SELECT {_COLUMNS} FROM layers WHERE name = :name"), {"name": collection_id}
        )
    ).first()
    if row is None:
        raise NotFound(f"collection {collection_id!r} does not exist")
    return _collection(row)

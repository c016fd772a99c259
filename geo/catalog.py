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

from geo.errors import NotFound


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
        ),
        columns={"code": "t.code", "name": "t.name", "region_code": "t.region_code"},
        json_column="t.properties",
        params={"layer": layer},
        extra_queryables={
            "area_ha": ("(t.area_m2 / 10000)", "number", "Area (ha), measured on the ellipsoid"),
            "updated_at": ("t.updated_at", "datetime", "Last change"),
        },
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

# Collections backed by their own tables (added by later modules, e.g. violations).
SPECIAL_SOURCES: dict[str, Source] = {"regions": REGIONS_SOURCE}


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

    @property
    def source(self) -> Source:
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

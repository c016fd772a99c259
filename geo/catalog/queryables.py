"""What can be filtered and sorted on in a collection, with SQL and type for each name.

One place for it: the ``queryables`` document, CQL2 filters, ``sortby`` and ``properties``
all read this map, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.catalog.sources import Collection

SQL_TYPES = {
    "string": "text",
    "number": "double precision",
    "integer": "bigint",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}


@dataclass(frozen=True)
class Queryable:
    name: str
    sql: str  # a typed SQL expression over the collection's alias ``t``
    kind: str  # string | number | integer | boolean | date | datetime | geometry
    schema: dict[str, Any]

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


def json_type(schema: dict[str, Any]) -> str:
    """The first non-null JSON Schema type of a property."""
    types = schema.get("type", "string")
    kinds = [types] if isinstance(types, str) else types
    return next((t for t in kinds if t != "null"), "string")


def _kind(schema: dict[str, Any]) -> str:
    first = json_type(schema)
    if first == "string" and schema.get("format") == "date":
        return "date"
    if first == "string" and schema.get("format") == "date-time":
        return "datetime"
    return first if first in SQL_TYPES else "string"


def queryables(coll: Collection) -> dict[str, Queryable]:
    src = coll.source
    out: dict[str, Queryable] = {
        "geometry": Queryable(
            "geometry",
            src.geom_sql,
            "geometry",
            {"title": "Geometry", "format": f"geometry-{coll.geometry_type.lower()}"},
        )
    }
    for name, schema in coll.attributes.items():
        kind = _kind(schema)
        if name in src.columns:
            sql = src.columns[name]
        else:
            # Attributes live in JSONB: text out, then the schema's type.
            sql = f"({src.json_column} ->> '{name}')"
            if kind != "string":
                sql = f"{sql}::{SQL_TYPES[kind]}"
        out[name] = Queryable(name, sql, kind, schema)
    for name, (sql, kind, title) in src.extra_queryables.items():
        out[name] = Queryable(
            name, sql, kind, {"type": "number" if kind == "number" else "string", "title": title}
        )
    return out


def queryables_document(coll: Collection, self_url: str) -> dict[str, Any]:
    """The OGC API – Features Part 3 queryables resource (a JSON Schema)."""
    props: dict[str, Any] = {}
    for q in queryables(coll).values():
        entry = {k: v for k, v in q.schema.items() if k != "x-title-zh"}
        if q.kind == "geometry":
            entry["x-ogc-role"] = "primary-geometry"
        if "x-title-zh" in q.schema:
            entry["x-title-zh"] = q.schema["x-title-zh"]
        props[q.name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "type": "object",
        "title": coll.title,
        "properties": props,
        "additionalProperties": False,
    }

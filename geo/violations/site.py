"""Site check (选址符合性审查): a proposed polygon against every protected layer, i.e. every
layer on the protected side of an enabled rule. One SQL statement measures every zone
within the search radius (GiST on (layer, geom)), the rules each zone triggers, and the
share of the site inside triggering zones; the verdict rule is in geo/violations/checks.py."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import get_collection
from geo.kernel.errors import InvalidInput, InvalidParameter
from geo.kernel.geometry import parse_json
from geo.violations.checks import parse_input_crs, prepare_site, site_geometry, site_properties
from geo.violations.vocab import SEVERITIES

MUST_RELOCATE_SHARE = 0.5
CRITICAL = SEVERITIES[0]  # the most severe: no redrawn boundary can save the project

_SQL = """
WITH site AS (SELECT ST_GeomFromEWKB(:site) AS g),
prot AS (
    SELECT DISTINCT l.name AS layer, l.title, l.title_zh
    FROM violation_rules r JOIN layers l ON l.name = r.protected_layer
    WHERE r.enabled AND r.kind = 'overlap'
),
zones AS (
    SELECT t.layer, t.id, t.code, t.name, t.properties, t.area_m2,
           rm_violation_geom(site.g, t.geom, 'intersects', NULL) AS og,
           ST_Distance(t.geom::geography, site.g::geography) AS dist
    FROM site CROSS JOIN prot
    JOIN features t ON t.layer = prot.layer AND t.geom && rm_expand_m(site.g, :radius)
    WHERE ST_DWithin(t.geom::geography, site.g::geography, :radius)
),
measured AS (
    SELECT z.*, CASE WHEN ST_IsEmpty(z.og) THEN 0 ELSE ST_Area(z.og::geography) END AS overlap_m2
    FROM zones z
),
triggered AS (
    SELECT m.layer, m.id AS zone_id, m.code AS zone_code, r.id AS rule_id, r.code, r.name,
           r.name_zh, r.severity, r.legal_basis, r.legal_basis_zh, r.predicate
    FROM measured m
    JOIN violation_rules r ON r.enabled AND r.kind = 'overlap' AND r.protected_layer = m.layer
         AND m.properties @> r.protected_filter
         -- a proposed project is judged under the law in force today
         AND coalesce(r.valid_from, current_date) <= current_date
         AND coalesce(r.valid_to, current_date) >= current_date
    WHERE (CAST(:subject AS text) IS NULL
           OR (r.subject_layer = CAST(:subject AS text)
               AND CAST(:props AS jsonb) @> r.subject_filter))
      -- a project type: only the rules that judge that type (violation_rules.applies_to)
      AND (CAST(:ptype AS text) IS NULL OR CAST(:ptype AS text) = ANY(r.applies_to))
      AND CASE r.predicate
            WHEN 'dwithin' THEN m.dist <= r.distance_m
            ELSE m.overlap_m2 > 0 AND m.overlap_m2 >= r.min_area_m2 END
)
SELECT
  (SELECT coalesce(jsonb_agg(jsonb_build_object('layer', p.layer, 'title', p.title,
          'title_zh', p.title_zh) ORDER BY p.layer), '[]') FROM prot p) AS layers,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'collection', m.layer, 'id', m.id, 'code', m.code, 'name', m.name,
          'properties', m.properties,
          'overlap_m2', round(m.overlap_m2::numeric, 1),
          'overlap_ha', round((m.overlap_m2 / 10000)::numeric, 4),
          'overlap_mu', round((m.overlap_m2 * 15 / 10000)::numeric, 2),
          'share_of_site', round((m.overlap_m2 / :site_area)::numeric, 4),
          'share_of_zone', round((m.overlap_m2 / nullif(m.area_m2, 0))::numeric, 4),
          'distance_m', round(m.dist::numeric, 1),
          'rules', (SELECT coalesce(jsonb_agg(tr.rule_id ORDER BY tr.rule_id), '[]')
                    FROM triggered tr WHERE tr.zone_id = m.id),
          'geometry', CASE WHEN m.overlap_m2 > 0 THEN ST_AsGeoJSON(m.og, 7)::jsonb END)
          ORDER BY m.layer, m.dist, m.id), '[]') FROM measured m) AS zones,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'rule_id', tr.rule_id, 'code', tr.code, 'name', tr.name, 'name_zh', tr.name_zh,
          'severity', tr.severity, 'legal_basis', tr.legal_basis,
          'legal_basis_zh', tr.legal_basis_zh, 'protected_collection', tr.layer,
          'protected_id', tr.zone_id, 'protected_code', tr.zone_code)
          ORDER BY tr.zone_id, tr.rule_id), '[]') FROM triggered tr) AS rules,
  (SELECT coalesce(ST_Area(ST_Union(m.og)::geography), 0) FROM measured m
    WHERE m.overlap_m2 > 0 AND EXISTS (
        SELECT 1 FROM triggered tr WHERE tr.zone_id = m.id AND tr.predicate = 'intersects'))
    AS inside_m2
"""


def verdict(rules: list[dict[str, Any]], share_inside: float) -> str:
    if not rules:
        return "clear"
    if share_inside >= MUST_RELOCATE_SHARE or any(r["severity"] == CRITICAL for r in rules):
        return "must_relocate"
    return "must_avoid"


_OVERLAP_KEYS = ("collection", "id", "code", "name", "overlap_m2", "overlap_ha", "overlap_mu")


def _overlap_feature(zone: dict[str, Any]) -> dict[str, Any]:
    """A conflicting zone's overlap with the site as a GeoJSON Feature (pops its geometry)."""
    geom = zone.pop("geometry")
    zone.pop("distance_m")
    return {
        "type": "Feature",
        "id": f"{zone['collection']}-{zone['id']}",
        "geometry": geom,
        "properties": {k: zone[k] for k in (*_OVERLAP_KEYS, "rules")},
    }


def _by_layer(
    layers_doc: list[dict[str, Any]], zones: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per protected layer its conflicts (overlapping zones) and nearby zones; and the
    overlaps as Features."""
    layers, overlaps = [], []
    for layer in layers_doc:
        mine = [z for z in zones if z["collection"] == layer["layer"]]
        conflicts = [z for z in mine if z["overlap_m2"] > 0]
        overlaps += [_overlap_feature(z) for z in conflicts]
        nearby = [
            {k: z[k] for k in ("id", "code", "name", "distance_m", "rules")}
            for z in mine
            if z["overlap_m2"] == 0
        ]
        layers.append(
            {
                "collection": layer["layer"],
                "title": layer["title"],
                "title_zh": layer["title_zh"],
                "conflicts": [{k: v for k, v in z.items() if k != "collection"} for z in conflicts],
                "nearby": nearby,
            }
        )
    return layers, overlaps


async def site_check(
    conn: AsyncConnection,
    site_ewkb: bytes,
    site_area_m2: float,
    radius_m: float,
    subject: str | None = None,
    properties: dict[str, Any] | None = None,
    project_type: str | None = None,
) -> dict[str, Any]:
    params = {
        "site": site_ewkb,
        "site_area": site_area_m2,
        "radius": radius_m,
        "subject": subject,
        "props": json.dumps(properties or {}),
        "ptype": project_type,
    }
    layers_doc, zones, rules, inside_m2 = (await conn.execute(text(_SQL), params)).one()
    share_inside = inside_m2 / site_area_m2
    layers, overlaps = _by_layer(layers_doc, zones)
    return {
        "verdict": verdict(rules, share_inside),
        "site_area_m2": round(site_area_m2, 1),
        "site_area_ha": round(site_area_m2 / 10000, 4),
        "site_area_mu": round(site_area_m2 * 15 / 10000, 2),
        "share_inside_protected": round(share_inside, 4),
        "search_radius_m": radius_m,
        "project_type": project_type,
        "layers": layers,
        "rules": rules,
        "overlaps": {"type": "FeatureCollection", "features": overlaps},
    }


async def check_site(
    conn: AsyncConnection,
    body: bytes,
    crs: str | None,
    radius_m: float,
    subject: str | None,
    max_area_m2: float,
    project_type: str | None = None,
) -> dict[str, Any]:
    """The site check of a GeoJSON body (a Polygon/MultiPolygon geometry or a Feature with
    one) whose coordinates are in ``crs`` (or GCJ-02); ``subject`` names the feature layer
    the project would belong to, ``project_type`` the kind of project (only the rules that
    judge that type apply)."""
    in_crs = parse_input_crs(crs)
    if subject is not None:
        coll = await get_collection(conn, subject)
        if coll.kind != "feature":
            raise InvalidParameter(
                f"subject: {subject!r} is not a feature layer", parameter="subject"
            )
    if not body.strip():
        raise InvalidInput("body: empty; send a GeoJSON geometry or Feature")
    doc = parse_json(body)  # the same JSON rules as every other body: NaN/Infinity are 422
    geom = site_geometry(doc)
    ewkb, area = await prepare_site(conn, geom, in_crs, max_area_m2)
    out = await site_check(conn, ewkb, area, radius_m, subject, site_properties(doc), project_type)
    return {"input_crs": in_crs.name, **out}

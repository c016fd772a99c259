"""The parts of the /overlaps statement (geo.violations.overlaps): candidate pairs on
subdivided protected geometry, the overlap stored by rule evaluation, the overlap computed.

Candidates: a protected feature with more than ``rm_parts_max_vertices()`` vertices is
probed through its parts (``feature_parts``, ST_Subdivide pieces kept by triggers,
geo/violations/sql/parts.sql): ``&&`` and ST_Intersects on pieces of at most 256 vertices
instead of the whole zone; smaller features are probed directly. A subject covered by one
piece (or by a small protected feature) lies wholly inside: its overlap is itself and its
area the stored ``area_m2``.

Geometry of each pair, cheapest first:

1. the overlap rule evaluation stored: a live violation of an ``intersects`` rule without
   ``outside_layer`` holds exactly ``rm_violation_geom(s, p, 'intersects')`` and its
   ellipsoidal area (geo/violations/sql/evaluate.sql keeps it current in every writing
   transaction), whatever the rule: the overlap of a pair does not depend on it;
2. the subject itself when it is covered;
3. computed: ST_Intersection with the full protected geometry, and its ellipsoidal area.

So a rule pair (pits × grade-1 zones) is answered from stored overlaps, an ad hoc pair from
the pieces, and pairs a rule skipped (slivers under its ``min_area_m2``, detection dates
outside its versions) are still computed: the answer is the computed one in every case
(tests/violations/test_overlaps_stored.py compares them).
"""

from __future__ import annotations

# Properties of every overlap as SQL over s (subject), p (protected) and x (g, a).
VALUES = (
    "s.layer AS subject_collection, s.id AS subject_id, s.code AS subject_code,"
    " p.layer AS protected_collection, p.id AS protected_id, p.code AS protected_code,"
    " round(x.a::numeric, 1)::float8 AS area_m2,"
    " round((x.a / 10000)::numeric, 4)::float8 AS area_ha,"
    " round((x.a * 15 / 10000)::numeric, 2)::float8 AS area_mu,"
    " round((x.a / nullif(s.area_m2, 0))::numeric, 4)::float8 AS share_of_subject,"
    " round((x.a / nullif(p.area_m2, 0))::numeric, 4)::float8 AS share_of_protected,"
    " s.region_code"
)

# The overlap rule evaluation keeps for the pair (s, p), if any.
STORED_SQL = """SELECT v.geom, v.area_m2 FROM violations v
    JOIN violation_rules r ON r.id = v.rule_id
    WHERE v.subject_id = s.id AND v.protected_id = p.id AND v.resolved_at IS NULL
      AND r.kind = 'overlap' AND r.predicate = 'intersects' AND r.outside_layer IS NULL
    LIMIT 1"""

# Whether the pair meets at all: on the protected feature's pieces when it has them (pieces
# whose box misses s are skipped), else on its geometry. Tested first: most pairs whose boxes
# meet do not (about 37,500 of 43,216 for grassland x wetlands at scale 1.0), and those then
# cost no lookup of a stored overlap (BENCHMARKS.md, session 6). Inline rather than a SQL
# function: one with subqueries is not inlined, and its call per pair was half of that
# statement's time (migration 0025).
HIT_SQL = """SELECT CASE WHEN p.has_parts
        THEN EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = p.id
                     AND fp.geom && s.geom AND ST_Intersects(fp.geom, s.geom))
        ELSE ST_Intersects(p.geom, s.geom) END AS hit OFFSET 0"""

# How a pair that meets does: 'stored', else 'covered' (s lies wholly inside the feature, or
# inside one of its pieces: covered by one piece is covered by the feature) or 'intersects'.
KIND_SQL = """SELECT CASE WHEN st.geom IS NOT NULL THEN 'stored'
      WHEN NOT p.has_parts THEN
        CASE WHEN ST_CoveredBy(s.geom, p.geom) THEN 'covered' ELSE 'intersects' END
      WHEN EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = p.id
                   AND fp.geom ~ s.geom AND ST_CoveredBy(s.geom, fp.geom)) THEN 'covered'
      ELSE 'intersects' END AS kind OFFSET 0"""

# Whether the protected feature t has pieces (a column of p).
HAS_PARTS_SQL = "EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = t.id)"

# g: the overlap of the pair; a: its ellipsoidal area in m² (OFFSET 0: computed once).
GEOM_SQL = """SELECT y.g, CASE k.kind WHEN 'stored' THEN st.area_m2
                                  WHEN 'covered' THEN s.area_m2
                                  ELSE coalesce(ST_Area(y.g::geography), 0) END AS a
    FROM (SELECT CASE k.kind WHEN 'stored' THEN st.geom
                             WHEN 'covered' THEN ST_Multi(s.geom)
                             WHEN 'intersects'
                             THEN rm_violation_geom(s.geom, p.geom, 'intersects', NULL) END AS g
          OFFSET 0) y"""


def pairs_sql(subject_where: str, protected_where: str, same_layer: bool) -> str:
    """FROM … of the pairs whose boxes meet (s, p, h, st, k, x); both WHERE clauses are over
    alias t. The caller keeps the pairs that meet (``h.hit``): st, k and x assume it."""
    other = "AND s.id <> p.id" if same_layer else ""
    return f"""(SELECT t.id, t.layer, t.code, t.region_code, t.geom, t.area_m2
      FROM features t WHERE {subject_where}) s
JOIN (SELECT t.id, t.layer, t.code, t.geom, t.area_m2, {HAS_PARTS_SQL} AS has_parts
      FROM features t WHERE {protected_where}) p ON s.geom && p.geom {other}
CROSS JOIN LATERAL ({HIT_SQL}) h
LEFT JOIN LATERAL ({STORED_SQL}) st ON TRUE
CROSS JOIN LATERAL ({KIND_SQL}) k
CROSS JOIN LATERAL ({GEOM_SQL}) x"""

"""Expected overlaps of subjects with protected zones (expected_conflicts.json)."""

from __future__ import annotations

import math

from builder.common import MIN_GAP_M, geod_area_m2, to_m


# --------------------------------------------------------------------------------------
# 6. conflicts
# --------------------------------------------------------------------------------------
def compute_conflicts(subjects: dict, protected: dict):
    """subjects/protected: layer -> list of (code, geom_ll, geom_m). Returns (conflicts, min clearance)."""
    out = []
    worst = math.inf
    for sl, sfeats in subjects.items():
        for scode, sg, sgm in sfeats:
            for pl, pfeats in protected.items():
                for pcode, pg, pgm in pfeats:
                    if not sg.intersects(pg):
                        d = sgm.distance(pgm)
                        worst = min(worst, d)
                        continue
                    inter = sg.intersection(pg)
                    a = geod_area_m2(inter) if inter.area > 0 else 0.0
                    if a <= 0:
                        worst = 0.0
                        continue
                    out.append(
                        {
                            "subject_layer": sl,
                            "subject_code": scode,
                            "protected_layer": pl,
                            "protected_code": pcode,
                            "overlap_area_m2": round(a, 1),
                            "note": "",
                        }
                    )
    return out, worst


def expected_conflicts(specs, occ, water, wetland, subject_feats):
    """Every subject x protected-zone overlap, checked against the seeded ones; also the
    worst clearance of the others. water/wetland: (features, zones by code);
    subject_feats: the pit and occupation features."""
    wfeats, wzones = water
    lfeats, lzones = wetland
    # wetland zones must not overlap water-source zones
    for lc, (lg, _) in lzones.items():
        for wc, (wg, _) in wzones.items():
            assert not lg.intersects(wg), (lc, wc)

    subjects = {
        "mining_pits": [(s["code"], s["geom_ll"], to_m(s["geom_ll"])) for s in specs],
        "grassland_occupations": [(o["code"], o["geom_ll"], to_m(o["geom_ll"])) for o in occ],
    }
    protected = {
        "water_source_zones": [(c, g, gm) for c, (g, gm) in wzones.items()],
        "wetland_parks": [(c, g, gm) for c, (g, gm) in lzones.items()],
    }
    conflicts, worst = compute_conflicts(subjects, protected)
    assert worst >= MIN_GAP_M, f"a non-conflict feature is only {worst:.1f} m from a protected zone"
    pnames = {f["properties"]["code"]: f["properties"]["name"] for f in wfeats + lfeats}
    snames = {f["properties"]["code"]: f["properties"]["name"] for f in subject_feats}
    for c in conflicts:
        c["note"] = f"seeded: {snames[c['subject_code']]} overlaps {pnames[c['protected_code']]}"
    conflicts.sort(
        key=lambda c: (
            c["subject_layer"],
            c["subject_code"],
            c["protected_layer"],
            c["protected_code"],
        )
    )
    # every seeded conflict is there, and only those
    seeded_subjects = {s["code"] for s in specs if "conflict_note" in s} | {
        o["code"] for o in occ if "SEEDED CONFLICT" in o["source"]
    }
    assert {c["subject_code"] for c in conflicts} == seeded_subjects, (
        "unexpected or missing overlaps"
    )

    return conflicts, worst

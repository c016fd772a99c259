"""The table `make bench` prints has a row, with a verdict, for every target of issue 14,
and the floors beside them (read from session 8's full run at scale 1.0, committed)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import rows

RUN = Path(__file__).parents[2] / "bench" / "results" / "20261205T021403Z.json"


def test_every_target_has_a_row_with_its_verdict():
    table = {r[0]: r for r in rows(json.loads(RUN.read_text()))}
    verdicts = {
        # the tile target holds for p50 and for p95 alike
        "tile p50 z6": "met", "tile p95 z6": "met",
        "tile p50 z8": "met", "tile p95 z8": "missed",
        "tile p50 z10": "met", "tile p95 z10": "met",
        "tile p50 z12": "missed", "tile p95 z12": "met",
        "/overlaps pits_x_grade1_zones vs geopandas": "missed",
        "/overlaps grassland_x_wetlands vs geopandas": "missed",
        "/overlaps pits_x_grade1_zones vs bare SQL": "met",
        "/overlaps grassland_x_wetlands vs bare SQL": "met",
        "import 100,000 features": "missed",
        "request overhead: small tile (z12 pits) ÷ its bare SQL": "missed",
        "request overhead: one-feature item ÷ its bare SQL": "missed",
        "memory: RSS growth streaming 500,000 features": "met",
    }  # fmt: skip
    assert {k: table[k][5] for k in verdicts} == verdicts
    assert table["tile p95 z6"][3] == "0.68× tipg's time"
    floors = [k for k in table if k.startswith("floor: ogr2ogr") or "HTTP floor" in k]
    assert len(floors) == 2

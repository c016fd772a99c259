"""The placement world: counties in metres and what has been placed so far."""

from __future__ import annotations

import math

from shapely.geometry import Point
from shapely.ops import nearest_points

from builder.common import PLACE_GAP_M, blob, ll_point_m, to_m


class World:
    """Holds county geometries (metric) and everything placed so far."""

    def __init__(self, counties_ll: dict):
        self.c_m = {c: to_m(g) for c, g in counties_ll.items()}
        self.c_inner = {c: g.buffer(-400) for c, g in self.c_m.items()}
        self.protected_m: list = []  # metric geometries of water zones and wetland zones (outer extents)
        self.placed_m: list = []  # metric geometries of pits/occupations (for spacing)
        # the Manas River along the wetland park and its restoration zone (builder.wetlands)
        self.manas_river_m = self.manas_rest_m = None

    def anchor(self, county: str, lon: float, lat: float, inset: float = 1500.0):
        """The town / source position in metres, nudged inside the county if it falls outside."""
        x, y = ll_point_m(lon, lat)
        core = self.c_m[county].buffer(-inset)
        p = Point(x, y)
        if not core.contains(p):
            q = nearest_points(core, p)[0]
            # step a little further in
            dx, dy = q.x - x, q.y - y
            d = math.hypot(dx, dy) or 1.0
            x, y = q.x + dx / d * 300, q.y + dy / d * 300
            if not core.contains(Point(x, y)):
                x, y = q.x, q.y
        return x, y

    def free(self, g, gap_protected=PLACE_GAP_M, gap_placed=150.0, county=None) -> bool:
        if county is not None and not self.c_inner[county].contains(g):
            return False
        for z in self.protected_m:
            if z.distance(g) < gap_protected:
                return False
        b = g.buffer(gap_placed).bounds
        for f in self.placed_m:
            fb = f.bounds
            if fb[0] > b[2] or fb[2] < b[0] or fb[1] > b[3] or fb[3] < b[1]:
                continue
            if f.distance(g) < gap_placed:
                return False
        return True

    def place(
        self, rng, county, ax, ay, area_m2, spread=6000.0, elong=(1.0, 2.2), rough=0.22, tries=400
    ):
        for k in range(tries):
            s = spread * (1 + k / 80.0)
            cx, cy = ax + rng.gauss(0, s), ay + rng.gauss(0, s)
            g = blob(cx, cy, area_m2, rng, elong=elong, rough=rough)
            if self.free(g, county=county):
                self.placed_m.append(g)
                return g
        raise RuntimeError(f"could not place a feature of {area_m2 / 1e4:.1f} ha in {county}")

"""Random polygons built as ragged coordinate arrays (vectorised with NumPy, no per-feature
Python loop), valid by construction.

Every ring is star-shaped around its centre: vertex ``j`` of ``n`` lies at angle
``2π(j + u_j)/n`` (``0 ≤ u_j < 0.8``, so angles strictly increase) and radius
``R·(1 + Σ a_k sin(kθ + φ_k) + jitter)`` kept within ``[0.55 R, 1.35 R]``. A ring whose angles
increase around an interior point never crosses itself. A hole is a ring of radius ≤ 0.33 R
around the same centre, so it lies inside the shell (whose radius is ≥ 0.55 R); a second part
of a multipolygon has radius 0.5 R and sits 2.9 R away, so it never touches the first
(1.35 R + 0.675 R < 2.9 R).

>>> import numpy as np, shapely
>>> rng = np.random.default_rng(1)
>>> g = polygons(rng, np.array([87.3]), np.array([44.0]), np.array([200.0]),
...              np.array([60]), hole=np.array([True]), multi=np.array([True]))
>>> bool(shapely.is_valid(g[0])), int(shapely.get_num_coordinates(g[0])), len(g[0].geoms)
(True, 60, 2)
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import GeometryType

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0
MIN_VERTICES, MAX_VERTICES = 20, 2000
# A hole and a second part need room: only features with at least this many vertices get one.
SPLIT_MIN_VERTICES = 40


def vertex_counts(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    """Skewed vertex counts in [20, 2000]: 20·e^X with X exponential (scale ``spread``).
    spread 0.6 gives median ≈ 30, mean ≈ 50, and a long tail reaching 2,000."""
    x = rng.exponential(spread, n)
    return np.clip(np.round(MIN_VERTICES * np.exp(x)), MIN_VERTICES, MAX_VERTICES).astype(np.int64)


def _ring_table(
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    nverts: np.ndarray,
    hole: np.ndarray,
    multi: np.ndarray,
    rng: np.random.Generator,
):
    """Rings of every feature: (feature, part, centre x/y in metres offset, radius, points)."""
    hole = hole & (nverts >= SPLIT_MIN_VERTICES)
    multi = multi & (nverts >= SPLIT_MIN_VERTICES)
    n_hole = np.where(hole, np.maximum(6, nverts // 5), 0)  # ring points, without closing one
    n_part2 = np.where(multi, np.maximum(8, nverts // 4), 0)
    # Every ring stores one closing vertex: total coordinates per feature = nverts exactly.
    n_shell = nverts - 1 - np.where(hole, n_hole + 1, 0) - np.where(multi, n_part2 + 1, 0)

    angle = rng.uniform(0, 2 * np.pi, len(cx))
    rows = []  # (feature index, polygon slot, dx, dy, radius, points, is_hole)
    idx = np.arange(len(cx))
    rows.append((idx, np.zeros_like(idx), 0 * radius, 0 * radius, radius, n_shell))
    h = idx[hole]
    rows.append((h, np.zeros_like(h), 0 * radius[h], 0 * radius[h], 0.3 * radius[h], n_hole[h]))
    m = idx[multi]
    off = 2.9 * radius[m]
    rows.append(
        (
            m,
            np.ones_like(m),
            off * np.cos(angle[m]),
            off * np.sin(angle[m]),
            0.5 * radius[m],
            n_part2[m],
        )
    )
    feat = np.concatenate([r[0] for r in rows])
    slot = np.concatenate([r[1] for r in rows])
    # Order rings by feature, then part, shell before hole (the concatenation order above
    # puts shells first; a stable sort keeps it).
    kind = np.concatenate([np.zeros(len(rows[0][0])), np.ones(len(h)), np.zeros(len(m))])
    order = np.lexsort((kind, slot, feat))
    cols = [np.concatenate([r[i] for r in rows])[order] for i in range(2, 6)]
    return feat[order], slot[order], *cols


def polygons(
    rng: np.random.Generator,
    lon: np.ndarray,
    lat: np.ndarray,
    radius_m: np.ndarray,
    nverts: np.ndarray,
    hole: np.ndarray,
    multi: np.ndarray,
) -> np.ndarray:
    """MultiPolygons (one or two parts, the first maybe with a hole) centred at lon/lat."""
    feat, slot, dx, dy, rad, npts = _ring_table(lon, lat, radius_m, nverts, hole, multi, rng)
    nring = len(feat)
    ncoord = npts + 1
    ring_end = np.cumsum(ncoord)
    ring_start = ring_end - ncoord
    total = int(ring_end[-1]) if nring else 0

    ring_of = np.repeat(np.arange(nring), ncoord)
    j = np.arange(total) - ring_start[ring_of]
    u = rng.uniform(0, 0.8, total)
    theta = 2 * np.pi * (j + u) / npts[ring_of]
    # Smooth lobes (harmonics 2..4) per ring plus a little per-vertex roughness.
    amp = rng.uniform(0, 0.09, (nring, 3))
    phase = rng.uniform(0, 2 * np.pi, (nring, 3))
    wobble = sum(amp[ring_of, k] * np.sin((k + 2) * theta + phase[ring_of, k]) for k in range(3))
    r = rad[ring_of] * np.clip(1 + wobble + rng.uniform(-0.06, 0.06, total), 0.55, 1.35)

    f_of = feat[ring_of]
    coslat = np.cos(np.radians(lat[f_of]))
    x = lon[f_of] + (dx[ring_of] + r * np.cos(theta)) / (M_PER_DEG_LON_EQ * coslat)
    y = lat[f_of] + (dy[ring_of] + r * np.sin(theta)) / M_PER_DEG_LAT
    coords = np.column_stack([x, y])
    coords[ring_end - 1] = coords[ring_start]  # close every ring exactly

    # Ragged offsets: coordinates per ring, rings per polygon, polygons per feature.
    poly_key = feat * 2 + slot
    new_poly = np.r_[True, poly_key[1:] != poly_key[:-1]]
    poly_first_ring = np.flatnonzero(new_poly)
    poly_feat = feat[poly_first_ring]
    ring_offsets = np.r_[0, ring_end]
    poly_offsets = np.r_[poly_first_ring, nring]
    geom_offsets = np.r_[0, np.cumsum(np.bincount(poly_feat, minlength=len(lon)))]
    return shapely.from_ragged_array(
        GeometryType.MULTIPOLYGON, coords, (ring_offsets, poly_offsets, geom_offsets)
    )

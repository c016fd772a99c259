"""The WebMercatorQuad tile matrix set (OGC 17-083r4 / TMS 2.0), as its JSON document."""

from __future__ import annotations

from typing import Any

from geo.tiles.mvt import MAX_ZOOM, TILE_PX, WORLD_M

ID = "WebMercatorQuad"
URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
# Standardised rendering pixel size of 0.28 mm (OGC WMTS), for scale denominators.
_PIXEL_M = 0.00028


def definition() -> dict[str, Any]:
    half = WORLD_M / 2
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = WORLD_M / (TILE_PX * 2**z)
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": cell / _PIXEL_M,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-half, half],
                "tileWidth": TILE_PX,
                "tileHeight": TILE_PX,
                "matrixWidth": 2**z,
                "matrixHeight": 2**z,
            }
        )
    return {
        "id": ID,
        "title": "Google Maps Compatible for the World",
        "uri": URI,
        "crs": CRS_URI,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {
            "lowerLeft": [-half, -half],
            "upperRight": [half, half],
            "crs": CRS_URI,
        },
        "tileMatrices": matrices,
    }

"""Conformance classes, one list, extended by each module that implements a part."""

FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CLASSES: list[str] = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    FEATURES + "core",
    FEATURES + "oas30",
    FEATURES + "html",
    FEATURES + "geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]

TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
CLASSES += [
    TILES + "core",
    TILES + "tileset",
    TILES + "tilesets-list",
    TILES + "geodata-tilesets",
    TILES + "mvt",
    TILES + "oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]

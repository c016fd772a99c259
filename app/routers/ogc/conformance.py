"""Conformance classes, one list, extended by each module that implements a part."""

FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CLASSES: list[str] = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    FEATURES + "core",
    FEATURES + "oas30",
    FEATURES + "html",
    FEATURES + "geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3: filtering with CQL2 (text and JSON), queryables, sorting.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/sortables",
    "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection",
    # Part 4 (app/routers/ogc/transactions.py)
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]

TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
CLASSES += [
    TILES + "core",
    TILES + "tileset",
    TILES + "tilesets-list",
    TILES + "geodata-tilesets",
    TILES + "dataset-tilesets",
    TILES + "collections-selection",
    TILES + "mvt",
    TILES + "oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]

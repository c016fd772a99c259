"""Conformance classes, one list, extended by each module that implements a part."""

FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CLASSES: list[str] = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    FEATURES + "core",
    FEATURES + "oas30",
    FEATURES + "html",
    FEATURES + "geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 4 (app/ogc/transactions.py)
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]

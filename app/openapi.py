"""The OpenAPI document at ``/api``: OpenAPI 3.0.3, the version the declared conformance
classes (``…/conf/oas30``) name and that OGC and GIS tools read. FastAPI writes 3.1 (JSON
Schema 2020-12), so the document is converted once: ``anyOf``-with-null becomes
``nullable``, ``const`` an ``enum``, numeric ``exclusiveMinimum`` the boolean form, uploaded
files ``format: binary``. Every operation also lists the error responses it can give, all
in the one exception shape of app/errors.py. Request bodies that routes read themselves
(GeoJSON, merge patches, uploads) are declared at the routes with :data:`BODIES`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

OPENAPI_VERSION = "3.0.3"
EXCEPTION = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {
        "code": {"type": "string", "example": "InvalidParameterValue"},
        "description": {"type": "string"},
    },
    "description": "OGC API exception (code, description)",
}
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"type": "object", "description": "GeoJSON geometry (2D)"},
        "properties": {"type": "object", "description": "Attributes (see the collection schema)"},
    },
}
_GEOMETRY_OR_FEATURE = {
    "type": "object",
    "required": ["type"],
    "description": "A GeoJSON Polygon/MultiPolygon, or a Feature holding one",
    "properties": {"type": {"type": "string"}},
}


def _json_body(schema: dict, *types: str) -> dict:
    return {"required": True, "content": {t: {"schema": schema} for t in types}}


# openapi_extra of the routes that read their own body.
BODIES: dict[str, dict[str, Any]] = {
    "feature": {"requestBody": _json_body(_FEATURE, "application/geo+json", "application/json")},
    "merge_patch": {
        "requestBody": _json_body(
            {"type": "object", "description": "JSON Merge Patch (RFC 7396) of a Feature"},
            "application/merge-patch+json",
            "application/json",
        )
    },
    "site": {
        "requestBody": _json_body(_GEOMETRY_OR_FEATURE, "application/json", "application/geo+json")
    },
    "upload": {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
}

_MEANING = {
    "400": "A parameter or the body is malformed (named in the description)",
    "401": "An API key is needed (Authorization: Bearer <key>)",
    "403": "The key's role or county scope does not allow this",
    "404": "Not found",
    "409": "Conflicts with what is stored (e.g. a duplicate code)",
    "412": "If-Match names a version that is no longer current",
    "413": "The body is over the size limit",
    "415": "The Content-Type is not accepted",
    "422": "The content breaks a rule (geometry, attributes)",
    "428": "If-Match is required",
    "500": "Internal error (logged; no details are shown)",
    "503": "Every database connection is busy, or the database is away: retry after Retry-After",
}


def _errors_of(path: str, method: str) -> list[str]:
    codes = ["400", "500", "503"]
    if "{" in path or path.startswith("/collections"):
        codes += ["401", "404"]  # unknown ids; non-public collections need a key
    if method in ("post", "put", "patch", "delete"):
        codes += ["401", "403", "404", "422"]
        if method != "delete":
            codes += ["413", "415"]
        if path.endswith("/items") or path == "/rules" or method == "put":
            codes.append("409")
        if "/items/{featureId}" in path:
            codes += ["412", "428"]
    if path.startswith(("/inspections", "/tasks", "/violations")):
        codes.append("401")
    return sorted(set(codes))


def _add_errors(doc: dict) -> None:
    doc.setdefault("components", {}).setdefault("schemas", {})["Exception"] = EXCEPTION
    ref = {"$ref": "#/components/schemas/Exception"}
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            if method == "get":
                responses.pop("422", None)  # query parameters are answered 400, not 422
            for code in _errors_of(path, method):
                responses[code] = {
                    "description": _MEANING[code],
                    "content": {"application/json": {"schema": ref}},
                }
    schemas = doc["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def to_openapi_30(node: Any) -> Any:
    """A JSON Schema 2020-12 / OpenAPI 3.1 fragment as OpenAPI 3.0 Schema Objects."""
    if isinstance(node, list):
        return [to_openapi_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: to_openapi_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            node.pop(key)
            if len(rest) == 1 and "$ref" not in rest[0]:
                node.update(rest[0])
            elif rest:
                node[key] = rest
            node["nullable"] = True
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        node["type"] = types[0] if len(types) == 1 else "string"
    if node.get("type") == "null":
        node.pop("type")
        node["nullable"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    if "contentMediaType" in node or "contentEncoding" in node:
        node.pop("contentMediaType", None)
        node.pop("contentEncoding", None)
        node["format"] = "binary"
    if isinstance(node.get("examples"), list) and node.get("examples") and "type" in node:
        node["example"] = node.pop("examples")[0]
    for only_31 in ("$schema", "prefixItems", "unevaluatedProperties", "propertyNames"):
        node.pop(only_31, None)
    return node


def _convert(doc: dict) -> dict:
    doc["openapi"] = OPENAPI_VERSION
    doc.get("info", {}).pop("summary", None)
    doc.get("info", {}).get("license", {}).pop("identifier", None)
    components = doc.get("components", {})
    if "schemas" in components:
        components["schemas"] = {k: to_openapi_30(v) for k, v in components["schemas"].items()}
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if "schema" in param:
                    param["schema"] = to_openapi_30(param["schema"])
            for holder in [op.get("requestBody", {}), *op.get("responses", {}).values()]:
                for media in holder.get("content", {}).values():
                    if "schema" in media:
                        media["schema"] = to_openapi_30(media["schema"])
    return doc


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _add_errors(doc)
            app.openapi_schema = _convert(doc)
        return app.openapi_schema

    app.openapi = openapi

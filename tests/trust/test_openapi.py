"""The OpenAPI document real tools accept (issue 11, item 6): valid OpenAPI 3.0 (the
``oas30`` conformance class the service declares), a request body for every write and
import, and the error responses of every operation."""

from __future__ import annotations

from openapi_spec_validator import OpenAPIV30SpecValidator

WRITES = ("post", "put", "patch")


def _doc(client) -> dict:
    r = client.get("/api")
    assert r.status_code == 200
    return r.json()


def test_valid_openapi_30(client):
    doc = _doc(client)
    assert doc["openapi"] == "3.0.3"
    errors = [str(e)[:300] for e in OpenAPIV30SpecValidator(doc).iter_errors()]
    assert errors == []
    conformance = client.get("/conformance").json()["conformsTo"]
    assert any(c.endswith("ogcapi-features-1/1.0/conf/oas30") for c in conformance)


def test_every_write_and_import_declares_its_request_body(client):
    doc = _doc(client)
    missing = [
        f"{method.upper()} {path}"
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in WRITES and not op.get("requestBody", {}).get("content")
    ]
    assert missing == []
    items = doc["paths"]["/collections/{collectionId}/items"]["post"]["requestBody"]
    assert "application/geo+json" in items["content"]
    upload = doc["paths"]["/collections/{collectionId}/import"]["post"]["requestBody"]
    schema = upload["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}


def test_every_operation_declares_its_error_responses(client):
    doc = _doc(client)
    assert "Exception" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"400", "500", "503"} <= codes, (method, path, codes)
            if method in (*WRITES, "delete"):
                assert {"401", "403", "422"} <= codes, (method, path, codes)
            if method == "get":
                assert "422" not in codes  # bad query parameters are 400s
    item = doc["paths"]["/collections/{collectionId}/items/{featureId}"]
    assert {"412", "428"} <= set(item["patch"]["responses"])


def test_no_openapi_31_constructs_are_left(client):
    text = client.get("/api").text
    for construct in ('"type": "null"', '"type":"null"', '"const"', "contentMediaType"):
        assert construct not in text

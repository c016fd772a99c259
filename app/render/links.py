"""Absolute links, built from the request (or RM_PUBLIC_URL behind a proxy)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def base_url(request: Request) -> str:
    public = request.app.state.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def url(request: Request, path: str, **query) -> str:
    q = {k: v for k, v in query.items() if v is not None}
    return base_url(request) + path + (("?" + urlencode(q)) if q else "")


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out

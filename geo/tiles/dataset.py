"""Dataset tiles (OGC API – Tiles, "dataset tilesets"): one tile with one MVT layer per
collection, so a map needs one request per tile position instead of one per layer.

A Mapbox vector tile is a protobuf message whose only field is the repeated ``layers``; the
concatenation of two encoded tiles is therefore the encoding of one tile with the layers of
both (protobuf merges repeated fields). Each collection's part is the tile of
:mod:`geo.tiles.mvt`, cached per collection and data version as before, so an edit to one
layer rebuilds only that layer's part.

The dataset's version is a digest of every collection's data version: it changes whenever any
layer changes, so a tile URL carrying it (``?v=``) names bytes that never change.

>>> concat_tiles([b"", b"\\x1a\\x02ab", b"\\x1a\\x01c"])
b'\\x1a\\x02ab\\x1a\\x01c'
>>> versioned("http://h/tiles/{z}/{y}/{x}", "abc")
'http://h/tiles/{z}/{y}/{x}?v=abc'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection

DATASET_SOURCE = "dataset"


def concat_tiles(parts: Iterable[bytes]) -> bytes:
    """One MVT holding the layers of every part (empty parts add nothing)."""
    return b"".join(p for p in parts if p)


def versioned(template: str, version: str) -> str:
    sep = "&" if "?" in template else "?"
    return f"{template}{sep}v={version}"


async def collection_versions(conn: AsyncConnection, names: list[str]) -> dict[str, int]:
    """Data version of each named collection (0 for one never changed)."""
    rows = await conn.execute(
        text("SELECT name, version FROM data_versions WHERE name = ANY(:names)"),
        {"names": names},
    )
    found = {name: int(v) for name, v in rows}
    return {n: found.get(n, 0) for n in names}


def dataset_version(versions: dict[str, int]) -> str:
    """A short digest of (collection, version) pairs: new whenever a layer changes, is added
    or is removed.

    >>> dataset_version({"a": 1, "b": 2}) == dataset_version({"b": 2, "a": 1})
    True
    >>> dataset_version({"a": 1}) != dataset_version({"a": 2})
    True
    """
    key = ",".join(f"{n}:{v}" for n, v in sorted(versions.items()))
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]


def combine_sources(
    style: dict[str, Any], collections: list[Collection], dataset_url: str
) -> dict[str, Any]:
    """The style with every collection's vector source replaced by the one dataset source;
    layers keep their ``source-layer`` (the collection id). Other sources (basemaps,
    reference data) are left as they are."""
    ids = {c.id for c in collections}
    template = next(
        (s for name, s in style["sources"].items() if name in ids and s.get("type") == "vector"),
        None,
    )
    sources = {k: v for k, v in style["sources"].items() if k not in ids}
    if template is not None:
        sources[DATASET_SOURCE] = {**template, "tiles": [dataset_url]}
    layers = [
        {**layer, "source": DATASET_SOURCE} if layer.get("source") in ids else layer
        for layer in style["layers"]
    ]
    return {**style, "sources": sources, "layers": layers}


def version_sources(style: dict[str, Any], versions: dict[str, int]) -> dict[str, Any]:
    """Appends ``?v=<data version>`` to each collection source's tile URL, so that the
    tiles can be cached for long: the style (revalidated) moves to new URLs on a change."""
    sources = {}
    for name, src in style["sources"].items():
        if name in versions and src.get("type") == "vector":
            src = {**src, "tiles": [versioned(t, str(versions[name])) for t in src["tiles"]]}
        sources[name] = src
    return {**style, "sources": sources}

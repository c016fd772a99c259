"""A MapLibre style document built from the registered layers and their ``layers.style``.

No glyphs and no sprite: the style has no symbol layers, so it needs nothing from the
internet (labels are drawn by the page in HTML). Each style layer carries ``metadata``
(collection, titles, legend) from which the map page builds its layer list and legend.
"""

from __future__ import annotations

from typing import Any

from geo.catalog.sources import Collection

# Violations are coloured by severity and drawn by status (open vs. settled). Values the
# violations stream does not use simply fall back to the default colour.
SEVERITY_COLORS = {
    "critical": "#b2182b",
    "high": "#e34a33",
    "major": "#e34a33",
    "medium": "#fc8d59",
    "minor": "#fdbb84",
    "low": "#fee08b",
}
SETTLED_STATUSES = ("not_confirmed", "rectified", "closed")
VIOLATION_DEFAULT = "#d7301f"


def _match(prop: str, colors: dict[str, str], default: str) -> Any:
    if not colors:
        return default
    expr: list[Any] = ["match", ["to-string", ["get", prop]]]
    for value, color in colors.items():
        expr += [value, color]
    return expr + [default]


def _meta(coll: Collection, legend: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "rm:collection": coll.id,
        "rm:title": coll.title,
        "rm:title_zh": coll.title_zh or coll.title,
        "rm:legend": legend,
    }


def is_violations(coll: Collection) -> bool:
    return "severity" in coll.attributes and "status" in coll.attributes


def collection_layers(coll: Collection) -> list[dict[str, Any]]:
    """Style layers of one collection: fill + outline for polygons, circles for points."""
    style = coll.style or {}
    base = style.get("color", "#555555")
    by, colors = style.get("by"), style.get("colors") or {}
    common = {"source": coll.id, "source-layer": coll.id}
    if is_violations(coll):
        color = _match("severity", SEVERITY_COLORS, VIOLATION_DEFAULT)
        settled = ["in", ["get", "status"], ["literal", list(SETTLED_STATUSES)]]
        legend = [{"label": k, "color": v} for k, v in SEVERITY_COLORS.items()]
        meta = _meta(coll, legend)
        return [
            {
                "id": f"{coll.id}-fill",
                "type": "fill",
                **common,
                "metadata": meta,
                "paint": {
                    "fill-color": color,
                    "fill-opacity": ["case", settled, 0.15, 0.55],
                },
            },
            {
                "id": f"{coll.id}-line",
                "type": "line",
                **common,
                "metadata": meta,
                "paint": {
                    "line-color": color,
                    "line-width": ["case", settled, 1, 2.5],
                },
            },
            {
                "id": f"{coll.id}-point",
                "type": "circle",
                **common,
                "metadata": meta,
                "filter": ["==", ["geometry-type"], "Point"],
                "paint": {"circle-color": color, "circle-radius": 6},
            },
        ]
    fill = _match(by, colors, base) if by else base
    legend = (
        [{"label": f"{by} = {k}", "color": v} for k, v in colors.items()]
        if by
        else [{"label": "", "color": base}]
    )
    meta = _meta(coll, legend)
    if "Point" in coll.geometry_type:
        return [
            {
                "id": f"{coll.id}-point",
                "type": "circle",
                **common,
                "metadata": meta,
                "paint": {
                    "circle-color": fill,
                    "circle-radius": 5,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                },
            }
        ]
    layers: list[dict[str, Any]] = []
    if "Polygon" in coll.geometry_type:
        layers.append(
            {
                "id": f"{coll.id}-fill",
                "type": "fill",
                **common,
                "metadata": meta,
                "paint": {"fill-color": fill, "fill-opacity": style.get("fill_opacity", 0.3)},
            }
        )
    reference = coll.kind == "reference"
    layers.append(
        {
            "id": f"{coll.id}-line",
            "type": "line",
            **common,
            "metadata": meta,
            "paint": {
                "line-color": base if reference else fill,
                "line-width": 1.5 if reference else 1,
                **({"line-dasharray": [3, 2]} if reference else {}),
            },
        }
    )
    return layers


def build_style(
    collections: list[Collection],
    tiles_url: str,
    min_zoom: int,
    max_zoom: int,
    basemap_url: str | None = None,
    center: tuple[float, float] = (87.3, 44.2),
) -> dict[str, Any]:
    """``tiles_url`` is a template with ``{collectionId}``, e.g.
    ``http://host/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}``."""
    sources: dict[str, Any] = {}
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f4f3ef"}}
    ]
    if basemap_url:
        sources["basemap"] = {
            "type": "raster",
            "tiles": [basemap_url],
            "tileSize": 256,
            "attribution": "basemap",
        }
        layers.append({"id": "basemap", "type": "raster", "source": "basemap"})
    # Reference layers first (underneath), violations last (on top).
    ordered = sorted(collections, key=lambda c: (c.kind != "reference", is_violations(c)))
    for coll in ordered:
        sources[coll.id] = {
            "type": "vector",
            "tiles": [tiles_url.replace("{collectionId}", coll.id)],
            "minzoom": min_zoom,
            "maxzoom": max_zoom,
        }
        layers += collection_layers(coll)
    return {
        "version": 8,
        "name": "Restoration ledger",
        "center": list(center),
        "zoom": 7,
        "sources": sources,
        "layers": layers,
    }

"""A MapLibre style document built from the registered layers and their ``layers.style``.

No glyphs and no sprite: the style has no symbol layers, so it needs nothing from the
internet (labels are drawn by the page in HTML). Each style layer carries ``metadata``
(collection, titles, legend) from which the map page builds its layer list and legend.
"""

from __future__ import annotations

from typing import Any

from geo.catalog.sources import Collection
from geo.violations import SETTLED_STATUSES, SEVERITIES

# Violations are coloured by severity (a ramp over the one list of severities, most severe
# first) and drawn by whether they are still open: settled statuses, and records the data no
# longer supports (``resolved``), are drawn faint. The legend is this same mapping.
SEVERITY_RAMP = ("#b2182b", "#e34a33", "#fc8d59", "#fee08b")
SEVERITY_COLORS = dict(zip(SEVERITIES, SEVERITY_RAMP, strict=True))
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


def settled_expression() -> list[Any]:
    """True for a violation that needs nothing more: a settled status, or resolved by data."""
    return [
        "any",
        ["in", ["get", "status"], ["literal", list(SETTLED_STATUSES)]],
        ["==", ["get", "resolved"], True],
    ]


def violation_layers(coll: Collection) -> list[dict[str, Any]]:
    """Fill, outline and circles coloured by severity; settled records drawn faint."""
    color = _match("severity", SEVERITY_COLORS, VIOLATION_DEFAULT)
    settled = settled_expression()
    legend = [{"label": k, "color": v} for k, v in SEVERITY_COLORS.items()]
    meta = {**_meta(coll, legend), "rm:settled_statuses": list(SETTLED_STATUSES)}
    common = {"source": coll.id, "source-layer": coll.id, "metadata": meta}
    return [
        {
            "id": f"{coll.id}-fill",
            "type": "fill",
            **common,
            "paint": {"fill-color": color, "fill-opacity": ["case", settled, 0.15, 0.55]},
        },
        {
            "id": f"{coll.id}-line",
            "type": "line",
            **common,
            "paint": {"line-color": color, "line-width": ["case", settled, 1, 2.5]},
        },
        {
            "id": f"{coll.id}-point",
            "type": "circle",
            **common,
            "filter": ["==", ["geometry-type"], "Point"],
            "paint": {"circle-color": color, "circle-radius": 6},
        },
    ]


def feature_layers(coll: Collection) -> list[dict[str, Any]]:
    """Circles for points; fill + outline for polygons (dashed outline for references),
    coloured by the layer's ``style`` (one colour, or one per value of ``style.by``)."""
    style = coll.style or {}
    base = style.get("color", "#555555")
    by, colors = style.get("by"), style.get("colors") or {}
    fill = _match(by, colors, base) if by else base
    legend = (
        [{"label": f"{by} = {k}", "color": v} for k, v in colors.items()]
        if by
        else [{"label": "", "color": base}]
    )
    common = {"source": coll.id, "source-layer": coll.id, "metadata": _meta(coll, legend)}
    if "Point" in coll.geometry_type:
        paint = {
            "circle-color": fill,
            "circle-radius": 5,
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": 1,
        }
        return [{"id": f"{coll.id}-point", "type": "circle", **common, "paint": paint}]
    layers: list[dict[str, Any]] = []
    if "Polygon" in coll.geometry_type:
        paint = {"fill-color": fill, "fill-opacity": style.get("fill_opacity", 0.3)}
        layers.append({"id": f"{coll.id}-fill", "type": "fill", **common, "paint": paint})
    reference = coll.kind == "reference"
    paint = {
        "line-color": base if reference else fill,
        "line-width": 1.5 if reference else 1,
        **({"line-dasharray": [3, 2]} if reference else {}),
    }
    layers.append({"id": f"{coll.id}-line", "type": "line", **common, "paint": paint})
    return layers


def collection_layers(coll: Collection) -> list[dict[str, Any]]:
    """Style layers of one collection."""
    return violation_layers(coll) if is_violations(coll) else feature_layers(coll)


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

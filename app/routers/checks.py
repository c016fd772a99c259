"""Point check (GET /checks/point) and site check (POST /checks/site)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.auth import OptionalUser
from app.deps import ConnDep, SettingsDep, reject_unknown
from app.openapi import BODIES
from geo.catalog.sources import get_collection
from geo.kernel.errors import InvalidInput, InvalidParameter
from geo.kernel.geometry import parse_json
from geo.violations import checks
from geo.violations.site import site_check

router = APIRouter(tags=["Checks"])

MAX_POINT_RADIUS_M = 5000.0
MAX_SITE_RADIUS_M = 10000.0


@router.get(
    "/checks/point",
    summary="What is here? Zones containing a point, features nearby, open violations",
    description="`crs`: EPSG:4326 (default), EPSG:4490 or GCJ02 (AMap/Tencent phone "
    "coordinates, converted to WGS 84). Distances are ellipsoidal.",
)
async def point(
    request: Request,
    conn: ConnDep,
    principal: OptionalUser,
    lon: Annotated[float, Query(description="Longitude")],
    lat: Annotated[float, Query(description="Latitude")],
    crs: Annotated[str | None, Query(description="EPSG:4326, EPSG:4490 or GCJ02")] = None,
    radius_m: Annotated[float, Query(gt=0, le=MAX_POINT_RADIUS_M)] = 300.0,
) -> dict[str, Any]:
    reject_unknown(request, {"lon", "lat", "crs", "radius_m"})
    in_crs = checks.parse_input_crs(crs)
    wlon, wlat = checks.point_wgs84(lon, lat, in_crs)
    body = await checks.point_check(conn, wlon, wlat, radius_m, public_only=principal is None)
    return {
        "point": {"lon": round(wlon, 7), "lat": round(wlat, 7)},
        "input_crs": in_crs.name,
        "radius_m": radius_m,
        **body,
    }


@router.post(
    "/checks/site",
    openapi_extra=BODIES["site"],
    summary="Site check (选址符合性审查) of a proposed polygon against every protected layer",
    description=(
        "Body: a GeoJSON Polygon/MultiPolygon geometry or a Feature with one. `crs` gives the "
        "CRS of its coordinates (default CRS84 lon/lat; EPSG:4326/4490 and the Gauss-Krüger "
        "zones are northing/latitude first, as EPSG defines them; GCJ02 is lon/lat). "
        "`subject` (a layer name) restricts the rules to those of that layer, matching the "
        "Feature's properties against their subject filters. Verdict: see the README."
    ),
)
async def site(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    crs: Annotated[str | None, Query(description="CRS of the coordinates, or GCJ02")] = None,
    radius_m: Annotated[float, Query(ge=0, le=MAX_SITE_RADIUS_M)] = 1000.0,
    subject: Annotated[str | None, Query(description="Layer the project would belong to")] = None,
) -> dict[str, Any]:
    reject_unknown(request, {"crs", "radius_m", "subject"})
    in_crs = checks.parse_input_crs(crs)
    if subject is not None:
        coll = await get_collection(conn, subject)
        if coll.kind != "feature":
            raise InvalidParameter(
                f"subject: {subject!r} is not a feature layer", parameter="subject"
            )
    doc = await _json_body(request)  # size limited by app.limits.BodyLimit
    geom = checks.site_geometry(doc)
    ewkb, area = await checks.prepare_site(conn, geom, in_crs, settings.site_max_area_km2 * 1e6)
    out = await site_check(conn, ewkb, area, radius_m, subject, checks.site_properties(doc))
    return {"input_crs": in_crs.name, **out}


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("body: empty; send a GeoJSON geometry or Feature")
    # The same JSON rules as every other body: malformed is a 400, NaN/Infinity a 422.
    return parse_json(raw)

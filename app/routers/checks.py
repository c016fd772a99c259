"""Point check (GET /checks/point) and site check (POST /checks/site)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.auth import OptionalUser
from app.deps import ConnDep, SettingsDep, reject_unknown
from app.openapi import BODIES
from geo.violations import check_point, check_site
from geo.violations.project_types import PROJECT_TYPES, ProjectType, rules_by_type

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
    return await check_point(conn, lon, lat, crs, radius_m, public_only=principal is None)


@router.post(
    "/checks/site",
    openapi_extra=BODIES["site"],
    summary="Site check (选址符合性审查) of a proposed polygon against every protected layer",
    description=(
        "Body: a GeoJSON Polygon/MultiPolygon geometry or a Feature with one. `crs` gives the "
        "CRS of its coordinates (default CRS84 lon/lat; EPSG:4326/4490 and the Gauss-Krüger "
        "zones are northing/latitude first, as EPSG defines them; GCJ02 is lon/lat). "
        "`subject` (a layer name) restricts the rules to those of that layer, matching the "
        "Feature's properties against their subject filters. `project_type` (a road, mine, "
        "farmland…; GET /checks/project-types) judges the site by the rules for that type "
        "only (`violation_rules.applies_to`). Verdict: see the README."
    ),
)
async def site(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    crs: Annotated[str | None, Query(description="CRS of the coordinates, or GCJ02")] = None,
    radius_m: Annotated[float, Query(ge=0, le=MAX_SITE_RADIUS_M)] = 1000.0,
    subject: Annotated[str | None, Query(description="Layer the project would belong to")] = None,
    project_type: Annotated[
        ProjectType | None, Query(description="Kind of project: only the rules for it apply")
    ] = None,
) -> dict[str, Any]:
    reject_unknown(request, {"crs", "radius_m", "subject", "project_type"})
    body = await request.body()  # size limited by app.limits.BodyLimit
    max_area_m2 = settings.site_max_area_km2 * 1e6
    return await check_site(conn, body, crs, radius_m, subject, max_area_m2, project_type)


@router.get("/checks/project-types", summary="Project types a site check can judge")
async def project_types(request: Request, conn: ConnDep) -> dict[str, Any]:
    reject_unknown(request, set())
    by_type = await rules_by_type(conn)
    return {
        "project_types": [
            {"id": i, "title": en, "title_zh": zh, "rules": by_type[i]}
            for i, en, zh in PROJECT_TYPES
        ]
    }

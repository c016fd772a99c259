"""GET /overlaps: the overlaps between two feature layers, streamed as GeoJSON or CSV.
HTTP only: the statement is geo.violations.overlaps', the envelope app.render.features'."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.deps import ConnDep, reject_unknown
from app.render.features import streamed
from app.render.links import GEOJSON
from geo.catalog import filters, items
from geo.kernel import crs as crs_mod
from geo.kernel.errors import InvalidParameter
from geo.kernel.tabular import CSV_MEDIA_TYPE, csv_chunks
from geo.violations import overlaps as ov

router = APIRouter(tags=["Overlaps"])

PARAMS = {
    "subject",
    "protected",
    "subject-filter",
    "protected-filter",
    "filter-lang",
    "region",
    "bbox",
    "bbox-crs",
    "min_area_m2",
    "limit",
}


@router.get(
    "/overlaps",
    summary="Overlaps between two layers, with filters on each side",
    description=(
        "`subject` and `protected` name feature collections. `subject.<attr>=v` and "
        "`protected.<attr>=v` filter each side by equality (typed by the layer schema); "
        "`subject-filter` and `protected-filter` take CQL2 (`filter-lang` cql2-text, the "
        "default, or cql2-json) over each side's queryables; "
        "`region` (county or prefecture code) filters the subject's county; `bbox` keeps "
        "overlaps that meet the box; `min_area_m2` drops slivers. Areas are ellipsoidal. "
        "`f=csv` gives a table with the overlap geometry as WKT."
    ),
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}},
)
async def overlaps(
    request: Request,
    conn: ConnDep,
    subject: Annotated[str, Query(description="Subject collection, e.g. mining_pits")],
    protected: Annotated[str, Query(description="Protected collection")],
    region: Annotated[str | None, Query(description="County or prefecture code")] = None,
    bbox: Annotated[str | None, Query()] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    subject_filter: Annotated[str | None, Query(alias="subject-filter")] = None,
    protected_filter: Annotated[str | None, Query(alias="protected-filter")] = None,
    filter_lang: Annotated[str, Query(alias="filter-lang")] = "cql2-text",
    min_area_m2: Annotated[float, Query(ge=0)] = 0.0,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    f: Annotated[str, Query(description="json or csv")] = "json",
):
    # From the in-process catalog (geo.catalog.live): no layer lookups per request.
    catalog = request.app.state.catalog
    s_coll = await catalog.get(request.state.db.get, subject)
    p_coll = await catalog.get(request.state.db.get, protected)
    allowed = PARAMS | {f"subject.{a}" for a in s_coll.attributes}
    allowed |= {f"protected.{a}" for a in p_coll.attributes}
    reject_unknown(request, allowed)
    if f not in ("json", "csv"):
        raise InvalidParameter(f"f: unsupported format {f!r}; use json or csv", parameter="f")
    qp = request.query_params
    q = ov.OverlapQuery(
        subject=s_coll,
        protected=p_coll,
        subject_attributes={k[8:]: v for k, v in qp.items() if k.startswith("subject.")},
        protected_attributes={k[10:]: v for k, v in qp.items() if k.startswith("protected.")},
        subject_filter=_cql(subject_filter, filter_lang, "subject-filter"),
        protected_filter=_cql(protected_filter, filter_lang, "protected-filter"),
        region=region,
        bbox=items.parse_bbox(bbox),
        bbox_crs=crs_mod.parse_crs(bbox_crs, "bbox-crs"),
        min_area_m2=min_area_m2,
        limit=limit,
    )
    batches = await ov.open_overlaps(conn, q, f)  # 400s and 503s come before the first byte
    if f == "csv":
        return StreamingResponse(
            _csv(batches),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="overlaps.csv"'},
        )
    return streamed(batches, lambda n: {"numberReturned": n})


def _cql(value: str | None, lang: str, parameter: str):
    if value is None:
        return None
    try:
        return filters.parse(value, lang)
    except InvalidParameter as exc:
        raise InvalidParameter(
            f"{parameter}: {exc.description.removeprefix('filter: ')}", parameter=parameter
        ) from None


async def _csv(batches: AsyncIterator[list]) -> AsyncIterator[str]:
    headers: list[str] | None = [*ov.FIELDS, "geometry_wkt"]
    async for rows in batches:
        for chunk in csv_chunks(headers, rows):
            yield chunk
        headers = None
    if headers is not None:  # no rows at all: the header alone
        for chunk in csv_chunks(headers, []):
            yield chunk

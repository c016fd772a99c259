"""Subscriptions (/subscriptions): what, where, how and in which language to be told of
changes; the delivery log; an Atom feed per subscription; queue metrics for admins."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.auth import Admin, Viewer
from app.deps import ConnDep, EngineDep
from geo.notify import KINDS, NotifySettings, queue_stats_async
from geo.notify import feed as atom_feed
from geo.notify import subscriptions as subs

Kind = Literal[KINDS]  # type: ignore[valid-type]
Id = Annotated[int, Path(ge=1, le=2**62)]


class NewSubscription(BaseModel):
    """A subscription. Regions default to the caller's scope; layers, min_severity and area
    filter only events that carry them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kinds: list[Kind] = Field(min_length=1, max_length=8)
    channel: Literal["webhook", "wecom", "dingtalk", "email", "atom"]
    target: str | None = Field(None, max_length=2000, description="URL or e-mail address")
    secret: str | None = Field(
        None, min_length=1, max_length=200, description="DingTalk robot secret (加签), only"
    )
    regions: list[Annotated[str, Field(pattern=r"^[0-9]{6}$")]] | None = Field(
        None, min_length=1, max_length=50
    )
    layers: list[Annotated[str, Field(min_length=1, max_length=63)]] | None = Field(
        None, min_length=1, max_length=50
    )
    min_severity: Literal["critical", "high", "medium", "low"] | None = None
    area: dict[str, Any] | None = Field(None, description="GeoJSON (Multi)Polygon, WGS 84")
    due_within_days: int = Field(7, ge=0, le=365)
    language: Literal["zh", "en"] = "zh"
    mode: Literal["immediate", "digest"] = "immediate"


class ActiveChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


def _links(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        **view,
        "links": [
            {"rel": "self", "href": f"{base}/subscriptions/{view['id']}"},
            {"rel": "deliveries", "href": f"{base}/subscriptions/{view['id']}/deliveries"},
            {
                "rel": "alternate",
                "type": "application/atom+xml",
                "href": f"{base}/subscriptions/{view['id']}/feed.atom?token=…",
            },
        ],
    }


router = APIRouter(tags=["Subscriptions"])


@router.get("/subscriptions/stats", summary="Notification queue metrics (admins)")
async def stats(conn: ConnDep, principal: Admin):
    return await queue_stats_async(conn)


@router.get("/subscriptions", summary="Your subscriptions (all of them for admins)")
async def list_subscriptions(request: Request, conn: ConnDep, principal: Viewer):
    rows = await subs.list_for(conn, principal)
    return {"subscriptions": [_links(request, r) for r in rows]}


@router.get("/subscriptions/{sub_id}", summary="One subscription (no target, no secret)")
async def get_subscription(request: Request, sub_id: Id, conn: ConnDep, principal: Viewer):
    return _links(request, await subs.get(conn, principal, sub_id))


@router.patch("/subscriptions/{sub_id}", summary="Pause or resume a subscription")
async def patch(
    request: Request, sub_id: Id, body: ActiveChange, engine: EngineDep, principal: Viewer
):
    async with engine.begin() as conn:
        view = await subs.set_active(conn, principal, sub_id, body.active)
    return _links(request, view)


@router.delete("/subscriptions/{sub_id}", status_code=204, summary="Unsubscribe")
async def delete(sub_id: Id, engine: EngineDep, principal: Viewer):
    async with engine.begin() as conn:
        await subs.delete(conn, principal, sub_id)
    return Response(status_code=204)


@router.get("/subscriptions/{sub_id}/deliveries", summary="Delivery log, newest first")
async def deliveries(
    sub_id: Id,
    conn: ConnDep,
    principal: Viewer,
    status: Literal["pending", "delivered", "dead", "digest_wait", "in_digest", "feed"]
    | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    rows = await subs.deliveries(conn, principal, sub_id, status, limit)
    return {"subscription": sub_id, "count": len(rows), "deliveries": rows}


@router.get("/subscriptions/{sub_id}/feed.atom", summary="Atom feed (token in the URL)")
async def feed(
    request: Request,
    sub_id: Id,
    conn: ConnDep,
    token: Annotated[str, Query(min_length=8, max_length=100)],
):
    sub, events = await subs.feed_rows(conn, sub_id, token)
    base = str(request.base_url).rstrip("/")
    body = atom_feed.atom(sub, events, str(request.url), base)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def build_router(settings: NotifySettings) -> APIRouter:
    """The routes; creating a subscription needs the notification settings (keys)."""
    with_settings = APIRouter(tags=["Subscriptions"])

    @with_settings.post("/subscriptions", status_code=201, summary="Subscribe to changes")
    async def create(request: Request, body: NewSubscription, engine: EngineDep, principal: Viewer):
        async with engine.begin() as conn:
            made = await subs.create(conn, principal, body.model_dump(), settings)
        token = made.pop("feed_token")
        base = str(request.base_url).rstrip("/")
        made["feed_url"] = f"{base}/subscriptions/{made['id']}/feed.atom?token={token}"
        made["shown_once"] = "secret and feed_url are shown only now; store them"
        return _links(request, made)

    with_settings.include_router(router)
    return with_settings

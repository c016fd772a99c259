"""Request dependencies: settings, database connections, collection lookup, formats."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import OptionalUser
from geo.catalog.live import LiveCatalog
from geo.catalog.sources import Collection
from geo.kernel.config import Settings
from geo.kernel.db import RequestConnection
from geo.kernel.errors import InvalidParameter, Unauthorized


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
# dependency in a worker thread, a thread hop per request for a dictionary lookup.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def request_db(request: Request) -> RequestConnection:
    """The request's one connection (app.connection): taken on first use, released after
    the response. It also serves as the "engine" of routes that open transactions."""
    return request.state.db


async def get_conn(request: Request) -> AsyncConnection:
    return await request.state.db.get()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Routes that open their own transactions (``write_transaction(engine, …)``) get the
# request's connection in the engine's place: still one connection per request.
EngineDep = Annotated[RequestConnection, Depends(request_db)]
ConnDep = Annotated[AsyncConnection, Depends(get_conn)]


async def valid_collection(
    request: Request,
    principal: OptionalUser,
    collection_id: Annotated[str, Path(alias="collectionId")],
) -> Collection:
    """The collection named in the path, or 404; non-public ones need at least a viewer key.
    From the in-process catalog (geo.catalog.live): no query unless the layers changed."""
    live: LiveCatalog = request.app.state.catalog
    coll = await live.get(request.state.db.get, collection_id)
    if not coll.public and principal is None:
        raise Unauthorized(f"collection {collection_id!r} is not public: send a viewer key")
    return coll


CollectionDep = Annotated[Collection, Depends(valid_collection)]

# Parameters every endpoint accepts besides its own.
COMMON_PARAMS = {"f"}


def reject_unknown(request: Request, allowed: set[str]) -> None:
    """The OGC API asks for 400 on unknown query parameters, naming them."""
    unknown = sorted(set(request.query_params) - allowed - COMMON_PARAMS)
    if unknown:
        raise InvalidParameter(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(allowed | COMMON_PARAMS))}",
            parameter=unknown[0],
        )


def wants_html(
    request: Request, f: str | None, allowed: tuple[str, ...] = ("json", "html")
) -> bool:
    """f=html, or a browser's Accept header with no f, asks for HTML."""
    if f is not None:
        if f not in allowed:
            raise InvalidParameter(
                f"f: unsupported format {f!r}; use one of {', '.join(allowed)}", parameter="f"
            )
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split(",")[0]

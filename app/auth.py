"""Authentication as dependencies: ``Authorization: Bearer <key>``; roles and region scopes
checked on the server. ``require("editor")`` guards a write endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from geo.kernel import auth
from geo.kernel.auth import Principal
from geo.kernel.errors import PermissionDenied, Unauthorized


async def current_principal(request: Request) -> Principal | None:
    """The caller, or None when no key was sent. A key that is sent but not valid is a 401,
    never a silent downgrade to anonymous."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Authorization: expected 'Bearer <api key>'")
    # The request's one connection (app.connection), kept for the rest of the request.
    principal = await auth.authenticate(await request.state.db.get(), key.strip())
    if principal is None:
        raise Unauthorized("the API key is unknown, revoked or expired")
    request.state.principal = principal
    return principal


OptionalUser = Annotated[Principal | None, Depends(current_principal)]


def require(role: str):
    """A dependency that admits users with at least ``role``."""

    async def dependency(principal: OptionalUser) -> Principal:
        if principal is None:
            raise Unauthorized("this operation needs an API key (Authorization: Bearer <key>)")
        if not principal.has_role(role):
            raise PermissionDenied(
                f"this operation needs the {role} role; you are {principal.role}"
            )
        return principal

    return dependency


def check_region(principal: Principal, region_code: str | None) -> None:
    """Refuses a write outside the caller's counties (403)."""
    if not principal.covers(region_code):
        where = region_code or "outside every county"
        raise PermissionDenied(
            f"your scope ({', '.join(sorted(principal.regions or []))}) does not include {where}"
        )


Viewer = Annotated[Principal, Depends(require("viewer"))]
Inspector = Annotated[Principal, Depends(require("inspector"))]
Editor = Annotated[Principal, Depends(require("editor"))]
Admin = Annotated[Principal, Depends(require("admin"))]

"""HTML pages for people: the same resources as the JSON, rendered with Jinja2."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from app.static_files import static_url

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
templates.env.globals["static_url"] = static_url


def render(request: Request, template: str, **context):
    context.setdefault("title", request.app.state.settings.title)
    return templates.TemplateResponse(request, template, context)

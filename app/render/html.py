"""HTML pages for people: the same resources as the JSON, rendered with Jinja2."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from app.static_files import static_url

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
templates.env.globals["static_url"] = static_url


def tr(en: object, zh: object | None = None) -> Markup:
    """Text in both interface languages; the page shows one (base.html's ``data-ui``)."""
    zh = en if zh in (None, "") else zh
    return Markup('<span class="l-en">{}</span><span class="l-zh">{}</span>').format(
        escape(en), escape(zh)
    )


def field_title(attributes: dict, name: str) -> Markup:
    """A field's title in both languages, from the collection's attribute schema."""
    s = attributes.get(name) or {}
    return tr(s.get("title") or name, s.get("x-title-zh") or s.get("title") or name)


templates.env.globals["tr"] = tr
templates.env.globals["field_title"] = field_title


def render(request: Request, template: str, **context):
    context.setdefault("title", request.app.state.settings.title)
    return templates.TemplateResponse(request, template, context)

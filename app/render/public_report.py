"""The public report as a document: HTML and DOCX (python-docx) from the same structure
(geo.campaign.public.party_report), laid out as the reports are: the title, then per
problem its heading, each task's statement, 整改时限, 整改进展情况 and the measures."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

GENERATED = (
    "本文由整改台账生成，文字均为报告原文。"
    "Generated from the rectification ledger; every text is the report's own."
)


def _blocks(doc: dict[str, Any]):
    """(kind, text) in reading order: aspect, problem, item, deadline, status, measure."""
    aspect = None
    for p in doc["problems"]:
        if p["aspect"] and p["aspect"] != aspect:
            aspect = p["aspect"]
            yield "aspect", aspect
        yield "problem", p["heading"]
        for t in p["tasks"]:
            if t["label"]:
                yield "item", f"{t['label']}{t['statement']}"
            yield "deadline", f"整改时限：{t['deadline_text']}"
            yield "status", t["status_quote"]
            for m in t["measures"]:
                for para in m.split("\n"):
                    yield "measure", para


def to_html(doc: dict[str, Any]) -> str:
    tags = {"aspect": "h2", "problem": "h3", "item": "h4"}
    body = []
    for kind, text in _blocks(doc):
        tag = tags.get(kind, "p")
        body.append(f'<{tag} class="{kind}">{escape(text)}</{tag}>')
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(doc['title'])}</title>"
        '<link rel="stylesheet" href="/static/web.css"></head>'
        f'<body class="public-report"><main><h1>{escape(doc["title"])}</h1>'
        f'<p class="muted">{escape(GENERATED)}</p>' + "\n".join(body) + "</main></body></html>"
    )


# 宋体 for the text, 黑体 for the title and headings, as Chinese official documents set them.
# A word processor without them substitutes a Chinese font for the language zh-CN (LibreOffice
# on Debian: Noto Serif CJK SC, Noto Sans CJK SC). Without the language and with a theme font
# on the headings, LibreOffice set the text in a sans fallback and the quotes, dashes and
# Latin in DejaVu Serif (tests/campaign/test_public_office.py converts the report).
FONTS = {"Normal": "SimSun", "Title": "SimHei"} | {f"Heading {n}": "SimHei" for n in (1, 2, 3)}
THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _chinese_styles(out: Any) -> None:
    """Every script of the styles in one named font (a theme font would override it), and the
    document's language zh-CN, so quotes and dashes are set in the same font as the text."""
    for name, font in FONTS.items():
        rpr = out.styles[name].element.get_or_add_rPr()
        fonts = rpr.get_or_add_rFonts()
        for attr in THEME_FONTS:
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), font)
    rpr = out.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")


def to_docx(doc: dict[str, Any]) -> bytes:
    """A Word document: Title, Heading 1 (aspect), Heading 2 (problem), Heading 3 (item),
    body paragraphs for 整改时限, 整改进展情况 and each measure."""
    out = Document()
    _chinese_styles(out)
    out.styles["Normal"].font.size = Pt(12)
    out.add_heading(doc["title"], level=0)
    out.add_paragraph(GENERATED)
    levels = {"aspect": 1, "problem": 2, "item": 3}
    for kind, text in _blocks(doc):
        if kind in levels:
            out.add_heading(text, level=levels[kind])
        else:
            out.add_paragraph(text)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()

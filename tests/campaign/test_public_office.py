"""The generated public report opens in a word processor: LibreOffice (headless, a throwaway
profile) converts the Changji DOCX to PDF, and the PDF's text (poppler's pdftotext) has the
report's structure — 19 problems in order, 45 tasks each with its 整改时限 and 整改进展情况,
every progress text verbatim — set in an embedded CJK font. LibreOffice and poppler-utils are
installed by scripts/ensure_test_tools.sh; a missing tool fails the test, never skips it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.campaign import seed_reference as seeds


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run scripts/ensure_test_tools.sh"
    return path


def _flat(s: str) -> str:
    """Text without layout: line breaks, page breaks and spaces are the PDF's, not the report's."""
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def changji_pdf(client, tmp_path_factory) -> Path:
    soffice, _ = _tool("soffice"), _tool("pdftotext")
    r = client.get("/public/reports/changji", params={"f": "docx"})
    assert r.status_code == 200
    work = tmp_path_factory.mktemp("office")
    docx = work / "report_changji.docx"
    docx.write_bytes(r.content)
    profile = (work / "profile").as_uri()
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(docx),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pdf = work / "report_changji.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stdout + done.stderr
    return pdf


@pytest.fixture(scope="module")
def pdf_text(changji_pdf: Path) -> str:
    out = subprocess.run(
        # -raw: the content stream's order, and a hyphen at a line end kept (the default
        # layout mode joins "2022-" + "2024" into "20222024")
        [_tool("pdftotext"), "-raw", "-enc", "UTF-8", str(changji_pdf), "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout


def test_the_pdf_has_the_report_structure(client, pdf_text):
    doc = client.get("/public/reports/changji", params={"f": "json"}).json()
    flat = _flat(pdf_text)
    assert _flat(doc["title"]) in flat[:200]
    headings = [_flat(p["heading"]) for p in doc["problems"]]
    assert len(headings) == 19
    at = 0
    for h in headings:  # every problem, in the report's order
        at = flat.index(h, at) + len(h)
    assert flat.count("整改时限：") == 45
    assert flat.count("整改进展情况：") == 45


def test_every_progress_text_reads_verbatim(pdf_text):
    flat = _flat(pdf_text)
    progress = ["\n".join(b["progress"]) for b in seeds.blocks() if b["party"] == "changji"]
    assert len(progress) == 45
    at = 0
    for text in progress:
        at = flat.index(_flat(text), at)


def test_chinese_is_set_in_an_embedded_cjk_font(changji_pdf):
    out = subprocess.run(
        [_tool("pdffonts"), str(changji_pdf)], capture_output=True, text=True, check=True
    ).stdout
    fonts = out.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts), out  # every font embedded
    # one Chinese font family for every script: quotes, dashes and Latin in the text's font
    # (they were in DejaVu Serif beside a sans CJK fallback); 宋体's stand-in is a serif
    assert all("CJK" in f.split()[0] for f in fonts), out
    assert any("SerifCJK" in f.split()[0] for f in fonts), out

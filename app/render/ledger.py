"""One serializer per ledger format, shared by every route that exports a ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi.responses import JSONResponse, Response, StreamingResponse

from geo.kernel.errors import InvalidParameter
from geo.kernel.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_chunks, xlsx_bytes
from geo.progress import ledger

FORMATS = ("json", "csv", "xlsx")


def check_format(f: str | None, lang: str | None) -> tuple[str, str]:
    f = f or "json"
    if f not in FORMATS:
        raise InvalidParameter(
            f"f: unsupported format {f!r}; use one of json, csv, xlsx", parameter="f"
        )
    lang = lang or "en"
    if lang not in ("en", "zh"):
        raise InvalidParameter(
            f"lang: unsupported language {lang!r}; use en or zh", parameter="lang"
        )
    return f, lang


def disposition(stem_en: str, stem_zh: str, as_of: date, ext: str, lang: str) -> str:
    """``attachment`` with an ASCII filename and, for Chinese, an RFC 5987 UTF-8 one."""
    ascii_name = f"{stem_en}_{as_of.isoformat()}.{ext}"
    value = f'attachment; filename="{ascii_name}"'
    if lang == "zh":
        value += f"; filename*=UTF-8''{quote(f'{stem_zh}_{as_of.isoformat()}.{ext}')}"
    return value


def ledger_response(
    f: str,
    lang: str,
    columns: Sequence[ledger.Column],
    rows: list[dict[str, Any]],
    json_body: dict[str, Any],
    stems: tuple[str, str],
    as_of: date,
) -> Response:
    if f == "json":
        return JSONResponse(json_body)
    header = {"Content-Disposition": disposition(stems[0], stems[1], as_of, f, lang)}
    if f == "csv":
        return Response(
            ledger.to_csv(columns, rows, lang),
            media_type=CSV_MEDIA_TYPE,
            headers=header,
        )
    sheet = stems[1] if lang == "zh" else stems[0]
    return Response(
        ledger.to_xlsx(columns, rows, lang, sheet), media_type=XLSX_MEDIA_TYPE, headers=header
    )


def table_response(
    f: str,
    headers: list[str],
    rows: Iterable[list[Any]],
    json_body: dict[str, Any],
    filename: str,
    sheet: str,
) -> Response:
    """A ledger given as headers and rows: JSON as given, CSV streamed, XLSX as one workbook
    (both written by geo.kernel.tabular)."""
    if f == "json":
        return JSONResponse(json_body)
    header = {"Content-Disposition": f'attachment; filename="{filename}.{f}"'}
    if f == "csv":
        return StreamingResponse(
            csv_chunks(headers, rows), media_type=CSV_MEDIA_TYPE, headers=header
        )
    return Response(xlsx_bytes(sheet, headers, rows), media_type=XLSX_MEDIA_TYPE, headers=header)

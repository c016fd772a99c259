"""Ledger tables as CSV and XLSX: one serializer per format, shared by every ledger.

CSV starts with a UTF-8 byte-order mark so that Excel opens Chinese headers correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_chunks(
    headers: list[str] | None, rows: Iterable[list[Any]], bom: bool = True
) -> Iterator[str]:
    """CSV text in chunks of ~500 rows; ``headers=None`` continues an earlier table."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if headers is not None:
        if bom:
            buf.write("\ufeff")
        writer.writerow(headers)
    for i, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else v for v in row])
        if i % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_bytes(
    sheet: str,
    headers: list[str],
    rows: Iterable[list[Any]],
    widths: list[int] | None = None,
) -> bytes:
    """A one-sheet workbook, header row bold and frozen, optional column widths
    (openpyxl, write-only mode: rows are not all held as cell objects)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""File imports into a feature layer: ``POST /collections/{id}/import`` (multipart, field
``file``). The upload is spooled to a temporary file (never held whole in memory), then
loaded through COPY into staging and checked in SQL (geo.files.load) in a worker thread.

Spool directories are named ``rm-import-<pid>-…``, so start-up (:func:`clean_spool`) can
remove those a crashed process left behind without touching a live process's uploads."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth import Editor
from app.deps import reject_unknown
from app.observability import observe_import
from app.openapi import BODIES
from app.routers.ogc.transactions import EditableDep
from geo.files.load import ImportOptions, run_import
from geo.kernel.config import Settings
from geo.kernel.db import set_statement_timeout
from geo.kernel.errors import InvalidInput, InvalidParameter

SPOOL_PREFIX = "rm-import-"


def clean_spool(root: str | None = None) -> int:
    """Removes spool directories of processes that are gone; returns how many."""
    base = Path(root or tempfile.gettempdir())
    removed = 0
    for d in base.glob(SPOOL_PREFIX + "*"):
        m = re.match(re.escape(SPOOL_PREFIX) + r"(\d+)-", d.name)
        if m and d.is_dir() and not _alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


def release_memory() -> None:
    """Hands the heap an import freed back to the OS (glibc keeps it otherwise, and a
    long-running server then looks as large as its largest import)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def upload_name(filename: str | None) -> str:
    """The file's own name: a client's path (``../../x``, ``C:\\x``) is never followed."""
    name = Path((filename or "").replace("\\", "/")).name
    if not name or name in (".", "..") or "\x00" in name or len(name.encode()) > 200:
        raise InvalidInput("file: send a plain file name (e.g. pits.gpkg)")
    return name


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["SRC=dst", …]`` → {SRC: dst}."""
    out = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src or not dst:
            raise InvalidParameter(f"map: {pair!r} is not SOURCE=attribute", parameter="map")
        out[src] = dst
    return out


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["Imports"])

    @router.post(
        "/collections/{collectionId}/import",
        summary="Import a file (GeoPackage, zipped Shapefile, GeoJSON, KML, CSV) into a layer",
        description=(
            "All or nothing by default (`mode=all`); `mode=partial` loads the good rows. The "
            "report lists every rejected row (1-based feature number) and why."
        ),
        openapi_extra=BODIES["upload"],
    )
    async def import_file(
        request: Request,
        coll: EditableDep,
        principal: Editor,
        crs: Annotated[str | None, Query(description="EPSG:n or GCJ02; overrides .prj")] = None,
        encoding: Annotated[str | None, Query(description="e.g. GBK; overrides .cpg")] = None,
        mode: Annotated[str, Query(pattern="^(all|partial)$")] = "all",
        repair: bool = False,
        layer: Annotated[str | None, Query(description="layer of a multi-layer file")] = None,
        map_: Annotated[list[str], Query(alias="map", description="SOURCE=attribute")] = [],  # noqa: B006
    ):
        reject_unknown(request, {"crs", "encoding", "mode", "repair", "layer", "map"})
        options = ImportOptions(crs, encoding, parse_mapping(map_), mode, repair, layer)
        tmp = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-"))
        try:
            async with request.form(max_files=1, max_fields=10) as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile) or not upload.filename:
                    raise InvalidInput("file: send the file as multipart form field 'file'")
                name = upload_name(upload.filename)
                path = tmp / name
                with open(path, "wb") as out:
                    await run_in_threadpool(shutil.copyfileobj, upload.file, out, 1 << 20)

            # The import runs on a sync connection in a thread (COPY): give the request's
            # connection back first, so the request never holds two.
            await request.state.db.close()

            def work():
                with request.app.state.sync_engine.begin() as conn:
                    set_statement_timeout(conn, settings.import_statement_timeout_ms)
                    return run_import(conn, coll, path, settings, options, principal, filename=name)

            report = await run_in_threadpool(work)
            observe_import(request, coll.id, report)
            release_memory()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return JSONResponse(report)

    return router

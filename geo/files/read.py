"""Reading import files in batches (pyogrio's Arrow stream: a 100,000-feature GeoPackage is
never held in memory at once): GeoPackage, zipped or plain Shapefile, GeoJSON, KML, and CSV
with a WKT column or lon/lat columns. Coordinates come out in WGS 84 lon/lat, 2D.

* CRS: the file's own (.prj, GeoPackage), overridden by ``crs`` (any EPSG code PROJ knows,
  e.g. the Gauss-Krüger zones EPSG:4513–4554, or ``GCJ02`` for AMap/Tencent coordinates).
  Files are read in GIS axis order (x = longitude / easting), as GDAL does.
* Encoding: a Shapefile's .cpg is honoured; ``encoding`` overrides. A Shapefile with neither
  is read as strict UTF-8, and text that is not UTF-8 is refused with a hint (GBK tables
  without a .cpg are common in China) instead of being silently turned into mojibake.
"""

from __future__ import annotations

import codecs
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyogrio.raw import open_arrow
from pyproj import CRS as ProjCRS
from pyproj import Transformer
from pyproj.exceptions import CRSError

from geo.kernel.crs import gcj02_to_wgs84
from geo.kernel.errors import InvalidInput, InvalidParameter

BATCH = 10_000
GCJ02 = "GCJ02"
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")
X_NAMES = ("lon", "lng", "longitude", "x", "经度")
Y_NAMES = ("lat", "latitude", "y", "纬度")
_SUFFIXES = {".gpkg", ".zip", ".shp", ".geojson", ".json", ".kml", ".csv"}


@dataclass
class Batch:
    first_row: int  # 1-based number of the batch's first feature in the file
    columns: pd.DataFrame
    geometry: np.ndarray  # shapely geometries (None where missing or unparsable)
    geometry_errors: pd.Series  # text or "" per row


@dataclass
class SourceFile:
    path: str  # what GDAL opens (may be /vsizip/…)
    kind: str
    crs: str  # "EPSG:4326", a WKT, or GCJ02
    encoding: str | None
    strict_utf8: bool
    total: int
    layer: str | None = None
    notes: list[str] = field(default_factory=list)
    read_encoding: str | None = None  # what GDAL is told (None once a CSV is recoded)


def _scrub(exc: Exception, path: Path) -> str:
    """A GDAL message without the server's spool directory (only the file's own name)."""
    return " ".join(str(exc).replace(str(path.parent) + "/", "").split())[:300]


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        raise InvalidParameter(
            f"encoding: unknown encoding {encoding!r} (e.g. GBK, GB18030, UTF-8)",
            parameter="encoding",
        ) from None


def _to_utf8(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a CSV in another encoding, recoded as a stream (GDAL's Arrow reader
    takes UTF-8 only)."""
    out = path.with_name(path.stem + ".utf8.csv")
    try:
        with (
            open(path, encoding=encoding, newline="") as src,
            open(out, "w", encoding="utf-8", newline="") as dst,
        ):
            shutil.copyfileobj(src, dst, 1 << 20)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"file: not valid {encoding} text (at byte {exc.start}); check encoding"
        ) from None
    return out


def _parse_crs_param(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value.replace("-", "").replace("_", "").upper() == GCJ02:
        return GCJ02
    m = re.fullmatch(
        r"(?:EPSG:|https?://www\.opengis\.net/def/crs/EPSG/0/)?(\d{4,5})", value.strip()
    )
    try:
        return ProjCRS.from_user_input(f"EPSG:{m.group(1)}" if m else value).to_string()
    except CRSError:
        raise InvalidParameter(f"crs: unknown CRS {value!r}", parameter="crs") from None


def open_source(
    path: Path, crs: str | None = None, encoding: str | None = None, layer: str | None = None
) -> SourceFile:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InvalidInput(
            f"file: unsupported type {suffix or '(no extension)'}; send .gpkg, .zip (Shapefile),"
            " .shp, .geojson, .kml or .csv"
        )
    crs_param = _parse_crs_param(crs)
    gdal_path, kind, shp_parts = str(path), suffix.lstrip("."), None
    if suffix == ".zip":
        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile:
            raise InvalidInput("file: not a readable ZIP archive") from None
        shps = sorted(n for n in names if n.lower().endswith(".shp"))
        if not shps:
            raise InvalidInput("file: the ZIP holds no .shp (a zipped Shapefile is expected)")
        gdal_path, kind = f"/vsizip/{path}/{shps[0]}", "shp"
        stem = shps[0][:-4].lower()
        shp_parts = {n.lower()[len(stem) :] for n in names if n.lower().startswith(stem + ".")}
    elif suffix == ".shp":
        shp_parts = {p.suffix.lower() for p in path.parent.glob(path.stem + ".*")}
    if kind == "json":
        kind = "geojson"
    read_encoding = encoding
    if encoding is not None and kind != "shp" and not _is_utf8(encoding):
        if kind != "csv":  # GDAL's Arrow reader recodes Shapefiles only
            raise InvalidParameter(
                f"encoding: {kind} files are UTF-8; encoding applies to Shapefiles and CSV",
                parameter="encoding",
            )
        gdal_path, read_encoding = str(_to_utf8(path, encoding)), None
    strict = False
    if kind == "shp":
        if ".prj" not in shp_parts and crs_param is None:
            raise InvalidInput(
                "file: the Shapefile has no .prj, so its CRS is unknown: pass crs "
                "(e.g. crs=EPSG:4539 for Gauss-Krüger CM 90°E, or crs=EPSG:4326)"
            )
        if encoding is None and ".cpg" not in shp_parts:
            encoding, strict = "UTF-8", True
    if kind == "csv" and encoding is None:
        strict = True  # a CSV names no encoding: UTF-8 or a clear refusal
    try:
        info = pyogrio.read_info(
            gdal_path, layer=layer, encoding=read_encoding, force_feature_count=True
        )
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidInput(f"file: GDAL cannot read it ({_scrub(exc, path)})") from None
    file_crs = info.get("crs")
    if kind == "csv":
        file_crs = None
    chosen = crs_param or file_crs or "EPSG:4326"
    src = SourceFile(gdal_path, kind, chosen, encoding, strict, int(info["features"]), layer)
    src.read_encoding = read_encoding
    if crs_param and file_crs and crs_param != GCJ02:
        src.notes.append(f"crs {crs} overrides the file's own CRS")
    return src


def _transformer(crs: str):
    """A function (N,2) → (N,2) to WGS 84 lon/lat, or None when already there."""
    if crs == GCJ02:
        return lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    proj = ProjCRS.from_user_input(crs)
    if proj.equals(ProjCRS.from_epsg(4326), ignore_axis_order=True) or proj.to_epsg() in (
        4326,
        4490,  # CGCS2000 agrees with WGS 84 to well under a metre (see geo/kernel/models.py)
    ):
        return None
    t = Transformer.from_crs(proj, 4326, always_xy=True)
    return lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _csv_geometry(df: pd.DataFrame) -> tuple[np.ndarray, pd.Series, list[str]]:
    cols = list(df.columns)
    wkt = _pick(cols, WKT_NAMES)
    errors = pd.Series("", index=df.index)
    if wkt is not None:
        text = df[wkt].astype("string").fillna("").str.strip()
        geoms = shapely.from_wkt(text.replace("", None).to_numpy(dtype=object), on_invalid="ignore")
        bad = (text != "") & pd.isna(pd.Series(geoms, index=df.index))
        errors[bad] = "geometry: unparsable WKT " + text[bad].str.slice(0, 40)
        return geoms, errors, [wkt]
    x, y = _pick(cols, X_NAMES), _pick(cols, Y_NAMES)
    if x is None or y is None:
        raise InvalidInput(
            "file: the CSV has no geometry column: name one wkt (WKT) or lon/lat (x/y)"
        )
    xs = pd.to_numeric(df[x], errors="coerce")
    ys = pd.to_numeric(df[y], errors="coerce")
    bad = xs.isna() | ys.isna()
    errors[bad] = "geometry: " + x + "/" + y + " are not numbers"
    geoms = shapely.points(xs.to_numpy(), ys.to_numpy())
    geoms[bad.to_numpy()] = None
    return geoms, errors, [x, y]


def read_batches(src: SourceFile, batch_size: int = BATCH) -> Iterator[Batch]:
    """Batches of (attributes, WGS 84 2D geometries). Raises InvalidInput on decode errors."""
    transform = _transformer(src.crs)
    row = 1
    kwargs = {"encoding": src.read_encoding} if src.read_encoding else {}
    with open_arrow(
        src.path, layer=src.layer, batch_size=batch_size, use_pyarrow=True, **kwargs
    ) as (meta, reader):
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        for rb in _checked(reader, src):
            if src.strict_utf8:
                _check_utf8(rb, row)
            names = [n for n in rb.schema.names if n != geom_col]
            df = rb.select(names).to_pandas() if names else pd.DataFrame(index=range(rb.num_rows))
            df.index = pd.RangeIndex(row, row + rb.num_rows)
            if src.kind == "csv":
                geoms, errors, used = _csv_geometry(df)
                df = df.drop(columns=used)
            else:
                wkb = rb.column(geom_col).to_numpy(zero_copy_only=False)
                geoms = shapely.from_wkb(wkb, on_invalid="ignore")
                errors = pd.Series("", index=df.index)
            geoms = np.asarray(geoms, dtype=object)
            if shapely.has_z(geoms).any():
                geoms = shapely.force_2d(geoms)
                if "Z dropped" not in src.notes:
                    src.notes.append("Z dropped")
            if transform is not None:
                geoms = shapely.transform(geoms, transform)
            missing = pd.isna(pd.Series(geoms, index=df.index)) & (errors == "")
            errors[missing] = "geometry: missing (null)"
            yield Batch(row, df, geoms, errors)
            row += rb.num_rows


def _checked(reader, src: SourceFile) -> Iterator[pa.RecordBatch]:
    """The reader's batches; text GDAL could not decode is the file's fault, with a hint."""
    it = iter(reader)
    while True:
        try:
            rb = next(it)
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc).upper().replace("-", ""):
                raise InvalidInput(
                    f"file: unreadable ({' '.join(str(exc).split())[:200]})"
                ) from None
            raise InvalidInput(
                "file: its text is not UTF-8; it looks like GBK/GB18030, common for Chinese "
                "data: pass encoding=GBK (or the right one)"
            ) from None
        yield rb


def _check_utf8(rb: pa.RecordBatch, first_row: int) -> None:
    for name, col in zip(rb.schema.names, rb.columns, strict=True):
        if not pa.types.is_string(col.type):
            continue
        try:
            col.validate(full=True)
        except pa.ArrowInvalid:
            raise InvalidInput(
                f"file: the text of column {name!r} (rows from {first_row}) is not UTF-8 and "
                "the file does not name its encoding (no .cpg); it looks like GBK/GB18030, "
                "common for Chinese data: pass encoding=GBK (or the right one)"
            ) from None

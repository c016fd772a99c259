"""Import memory: resident set size of a served process (uvicorn, sampled with psutil) before,
at its peak and after POSTing a large GeoJSON file to ``/collections/mining_pits/import``.
Issue 11 reported a 30 MB GeoJSON leaving the process ~550 MB larger; the import reads the
file in Arrow batches and hands the freed heap back (app.routers.imports.release_memory).

    python -m bench.import_memory --database-url postgresql://…/rm_bench_0_02 --mb 30

The imported rows (codes ``RSS-…``) are deleted afterwards."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.memory import RssSampler
from geo.kernel import db
from geo.kernel.config import Settings
from tests.fresh_db import make_key


def write_geojson(path: Path, megabytes: float) -> int:
    """Square-ish 23-vertex pits near Manas until the file reaches ``megabytes``."""
    n = 0
    with open(path, "w") as f:
        f.write('{"type":"FeatureCollection","features":[')
        while f.tell() < megabytes * 1e6:
            x, y = 86.0 + (n % 300) * 0.0012, 44.3 + (n // 300) * 0.0012
            ring = [[x + 0.00005 * k, y] for k in range(20)]
            ring += [[x + 0.001, y + 0.001], [x, y + 0.001], [x, y]]
            props = {"code": f"RSS-{n}", "mineral": "coal", "legacy": True, "note": "x" * 100}
            feat = {"type": "Feature", "properties": props}
            feat["geometry"] = {"type": "Polygon", "coordinates": [ring]}
            f.write(("," if n else "") + json.dumps(feat))
            n += 1
        f.write("]}")
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--mb", type=float, default=30)
    ap.add_argument("--port", type=int, default=18765)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp()) / "big.geojson"
    n = write_geojson(path, args.mb)
    env = {**os.environ, "DATABASE_URL": args.database_url}
    cmd = [sys.executable, "-m", "app", "serve", "--port", str(args.port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        engine = db.sync_engine(Settings(database_url=args.database_url))
        headers = make_key(engine, f"bench-rss-{uuid.uuid4().hex[:6]}", "admin")
        sampler = RssSampler(proc.pid)
        before = sampler.rss()
        with sampler, open(path, "rb") as f:
            r = httpx.post(
                base + "/collections/mining_pits/import",
                files={"file": ("big.geojson", f)},
                headers=headers,
                timeout=900,
            )
        time.sleep(1)
        after = sampler.rss()
        mb = path.stat().st_size / 1e6
        print(f"{mb:.0f} MB GeoJSON, {n} features: HTTP {r.status_code}")
        print(
            f"RSS before {before / 1e6:.0f} MB, peak {sampler.peak / 1e6:.0f} MB, "
            f"after {after / 1e6:.0f} MB: growth {(after - before) / 1e6:.0f} MB"
        )
    finally:
        proc.terminate()
        proc.wait(10)
        with psycopg.connect(args.database_url) as conn:
            conn.execute("DELETE FROM features WHERE code LIKE 'RSS-%'")
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""Request overhead: a small tile and a one-feature item through the service, against the
same statements run bare (psycopg, open connection, every byte fetched), alternated run by
run. Target: each request <= 1.5 x its bare SQL.

    python -m bench.overhead --database-url postgresql://postgres@127.0.0.1:5432/rm_bench_0_1 \\
        --data bench/data/0.1

Also ``python -m bench.run … --only overhead`` (a row each in the table of ratios).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import httpx
import psycopg

from bench import servers
from bench.tiles import tile_list
from bench.timing import summary
from geo.catalog.items import feature_json_sql
from geo.catalog.sources import Collection
from geo.kernel.crs import DEFAULT
from geo.tiles import mvt

LAYER = "mining_pits"
ROOT = Path(__file__).resolve().parent.parent


def _pg(sql: str) -> str:
    """SQLAlchemy's :name binds as psycopg's %(name)s (:: casts untouched)."""
    return re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", sql.replace("%", "%%"))


def _alternate(fns: dict, repeats: int) -> dict:
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm-up
    for i in range(repeats):
        for k in list(fns) if i % 2 == 0 else reversed(list(fns)):
            t0 = time.perf_counter()
            fns[k]()
            samples[k].append(time.perf_counter() - t0)
    return {k: summary(v) for k, v in samples.items()}


def run(database_url: str, data: Path, repeats: int) -> dict:
    coll = Collection(
        LAYER, LAYER, None, None, "feature", "MultiPolygon", {}, None, None, True, False
    )
    hotspots = json.loads((data / "manifest.json").read_text())["hotspots"]
    x, y = tile_list(hotspots)[12][0]
    tile_q = (_pg(mvt.tile_sql(coll, 12)), mvt.tile_params(coll, 12, y, x, 20000))
    src = coll.source
    item_q = (
        _pg(
            f"SELECT {feature_json_sql(src, DEFAULT)} FROM {src.from_sql}"
            f" WHERE {src.where} AND t.id = :fid"
        ),
        {**src.params},
    )
    out: dict = {}
    log = ROOT / "bench" / "results" / "logs" / "overhead-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        servers.ours(database_url, log) as (base, _),
        httpx.Client(headers={"Accept-Encoding": "identity"}) as client,
        psycopg.connect(database_url) as conn,
    ):
        fid = conn.execute("SELECT min(id) FROM features WHERE layer = %s", (LAYER,)).fetchone()[0]
        item_q[1]["fid"] = fid
        tile_url = f"{base}/collections/{LAYER}/tiles/WebMercatorQuad/12/{y}/{x}"
        item_url = f"{base}/collections/{LAYER}/items/{fid}"
        out["small_tile"] = _alternate(
            {
                "service": lambda: client.get(tile_url).content,
                "bare_sql": lambda: conn.execute(*tile_q).fetchone(),
            },
            repeats,
        )
        out["one_item"] = _alternate(
            {
                "service": lambda: client.get(item_url).content,
                "bare_sql": lambda: conn.execute(*item_q).fetchone(),
            },
            repeats,
        )
        # The floor under any request: an HTTP round trip through the same client, server,
        # middleware and router that runs no SQL (a static document).
        floor = _alternate({"service": lambda: client.get(f"{base}/conformance").content}, repeats)
    out["http_floor"] = floor["service"]
    f = floor["service"]["median_s"]
    for k in ("small_tile", "one_item"):
        v = out[k]
        s, q = v["service"]["median_s"], v["bare_sql"]["median_s"]
        v["ratio_service_over_sql"] = round(s / q, 2)
        # What the ratio would be if the request did nothing but its SQL and the round trip
        v["ratio_floor_over_sql"] = round((f + q) / q, 2)
        print(
            f"{k}: service {s * 1000:.2f} ms, bare SQL {q * 1000:.2f} ms, {s / q:.2f}x"
            f" (target <= 1.5x; HTTP floor {f * 1000:.2f} ms, so >= {(f + q) / q:.2f}x)"
        )
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=100)
    a = p.parse_args()
    print(json.dumps(run(a.database_url, a.data, a.repeats), indent=1))


ROWS = (
    ("small_tile", "small tile (z12 pits) ÷ its bare SQL"),
    ("one_item", "one-feature item ÷ its bare SQL"),
)


def report_rows(res: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, ours, other, ratio, target, verdict) rows of the report table."""
    out = []
    for key, label in ROWS:
        r = res[key]
        ratio = r["ratio_service_over_sql"]
        out.append((
            f"request overhead: {label}",
            f"{r['service']['median_s'] * 1000:.2f} ms (p95 {r['service']['p95_s'] * 1000:.2f})",
            f"bare SQL {r['bare_sql']['median_s'] * 1000:.2f} ms",
            f"{ratio}× its SQL", "≤ 1.5×", "met" if ratio <= 1.5 else "missed",
        ))  # fmt: skip
    if "http_floor" in res:  # results from before session 5 lack it
        f = res["http_floor"]
        out.append((
            "request overhead: HTTP floor (GET /conformance: no SQL)",
            f"{f['median_s'] * 1000:.2f} ms (p95 {f['p95_s'] * 1000:.2f})",
            "–",
            " / ".join(f"≥ {res[k]['ratio_floor_over_sql']}×" for k, _ in ROWS),
            "–", "the lowest ratio each row above can reach",
        ))  # fmt: skip
    return out

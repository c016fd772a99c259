"""Items: GeoJSON pages of 1,000 (the first page, a deep page reached through ``next``
links) and a whole layer downloaded through ``next`` links; ours against tipg.

Times cover request to last byte; parsing the JSON (to follow ``next``) is outside them.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from bench.timing import alternate, ratio

PAGE = 1000


def get(client: httpx.Client, url: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = client.get(url)
    body = r.content
    dt = time.perf_counter() - t0
    r.raise_for_status()
    return dt, orjson.loads(body)


def next_link(doc: dict) -> str | None:
    return next((lk["href"] for lk in doc.get("links", []) if lk.get("rel") == "next"), None)


def walk(
    client: httpx.Client, url: str, max_pages: int | None = None
) -> tuple[float, tuple[int, str]]:
    """Follow ``next`` links from ``url``; returns (HTTP seconds, (features, last URL))."""
    total, n, pages = 0.0, 0, 0
    while url:
        dt, doc = get(client, url)
        total, n, pages = total + dt, n + len(doc["features"]), pages + 1
        nxt = next_link(doc)
        if nxt is None or (max_pages is not None and pages >= max_pages):
            return total, (n, nxt or url)
        url = nxt
    return total, (n, url)


def _with_offset(url: str, offset: int) -> str:
    """tipg's next links carry ``offset``: the deep page it would link to."""
    u = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    q["offset"] = str(offset)
    return urlunsplit(u._replace(query=urlencode(q)))


def run(
    client: httpx.Client,
    ours: str,
    tipg: str,
    layer: str,
    count: int,
    repeats: int,
    full_repeats: int,
) -> dict:
    first_ours = f"{ours}/collections/{layer}/items?limit={PAGE}"
    first_tipg = f"{tipg}/collections/bench.{layer}/items?limit={PAGE}"
    out: dict = {"layer": layer, "features_in_layer": count, "page_size": PAGE}

    def page(url):
        return lambda: get(client, url)

    res = alternate({"ours": page(first_ours), "tipg": page(first_tipg)}, repeats)
    out["first_page"] = _pair(res, PAGE)

    # A deep page: the middle of the layer, reached by following our next links (untimed).
    deep_pages = max(1, count // PAGE // 2)
    _, (_, deep_ours) = walk(client, first_ours, max_pages=deep_pages)
    _, tdoc = get(client, first_tipg)
    tnext = next_link(tdoc)
    if tnext is None or "offset=" not in tnext:
        raise RuntimeError(f"tipg's next link is not offset-based: {tnext}")
    deep_tipg = _with_offset(tnext, deep_pages * PAGE)
    res = alternate({"ours": page(deep_ours), "tipg": page(deep_tipg)}, repeats)
    out["deep_page"] = {"page": deep_pages + 1, **_pair(res, PAGE)}

    res = alternate(
        {"ours": lambda: walk(client, first_ours), "tipg": lambda: walk(client, first_tipg)},
        full_repeats,
        warmup=0,
    )
    for name in ("ours", "tipg"):
        n, _ = res[name]["result"]
        if n != count:
            raise RuntimeError(f"full download by {name}: {n} features, expected {count}")
    out["full_layer"] = _pair(res, count)
    return out


def _pair(res: dict, n_features: int) -> dict:
    o, t = res["ours"]["median_s"], res["tipg"]["median_s"]
    return {
        "ours": {k: v for k, v in res["ours"].items() if k != "result"},
        "tipg": {k: v for k, v in res["tipg"].items() if k != "result"},
        "features_per_s": {"ours": round(n_features / o), "tipg": round(n_features / t)},
        "speedup_vs_tipg": ratio(t, o),
    }

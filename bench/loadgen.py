"""A light closed-loop HTTP/1.1 load generator, the same for every server measured.

Why not httpx: at the throughputs the load benchmark reaches, one httpx process spent a large
share of a core per hundred requests on the same 2 cores as the servers, and its shared
connection pool hands any idle connection to any client (so a connection could sit idle past
the server's keep-alive timeout and be closed under the next request: the "transport errors"
of earlier runs, seen with tipg too). Here each client owns one keep-alive connection, as a
browser tab or a GIS client does; requests are written by hand and responses read with
Content-Length or chunked framing (bodies are counted, not decoded).

One continuous run: warm-up, then the measured window, with no barrier between them (a
barrier makes every client start at once: a burst that exists only in the generator). A
request counts when it was *sent* inside the window; throughput counts 2xx answers that
*arrived* inside it. A client that gets a 503 waits what ``Retry-After`` says before its next
request (``honour_retry_after``), as the service's own web map does.

A keep-alive connection the server closed while it was idle is reopened and the request
sent again once (RFC 9112 §9.3.1 allows it for idempotent requests); such retries are
counted apart (``stale_retries``), never hidden among the answers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

try:  # the same event loop as the servers when available: the generator stays light
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


@dataclass
class Result:
    status: int | str  # HTTP status, or "transport:<error>"
    sent: float
    done: float
    retry_after: str | None
    url: str
    body_bytes: int = 0


@dataclass
class Stats:
    records: list[Result] = field(default_factory=list)
    stale_retries: int = 0


class Closed(Exception):
    """The server closed the connection before the first byte of a response."""


class Connection:
    def __init__(self, host: str, port: int, headers: bytes):
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0  # requests answered on this connection

    async def open(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.used = 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, str | None, int]:
        if self.writer is None:
            await self.open()
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.headers)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            if not e.partial:
                raise Closed() from e
            raise
        except ConnectionResetError as e:
            # The server closed while idle and our request arrived after: its kernel
            # answers with a reset instead of an end of stream (a race seen in CI).
            raise Closed() from e
        status, headers = _parse_head(head)
        n = await self._body(headers)
        self.used += 1
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers.get("retry-after"), n

    async def _body(self, headers: dict[str, str]) -> int:
        if "content-length" in headers:
            n = int(headers["content-length"])
            await self.reader.readexactly(n)
            return n
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            return 0  # 204/304 or no body
        n = 0
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)  # the chunk and its CRLF
            n += size
            if size == 0:
                return n


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status and lower-cased headers of a response head.

    >>> _parse_head(b"HTTP/1.1 503 Service Unavailable\\r\\nRetry-After: 2\\r\\n\\r\\n")
    (503, {'retry-after': '2'})
    """
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def _one(conn: Connection, url: str, stats: Stats) -> Result:
    sent = time.perf_counter()
    for attempt in (0, 1):
        reused = conn.used > 0
        try:
            status, retry, n = await conn.get(url)
            return Result(status, sent, time.perf_counter(), retry, url, n)
        except Closed:
            conn.close()
            if attempt == 0 and reused:  # closed while idle: reopen and send once more
                stats.stale_retries += 1
                continue
            return Result("transport:closed", sent, time.perf_counter(), None, url)
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            conn.close()
            return Result(f"transport:{type(e).__name__}", sent, time.perf_counter(), None, url)
    raise AssertionError("unreachable")


async def _client(base, urls, start, stop_at, stats, timeout, honour):
    parts = urlsplit(base)
    headers = (
        f"Host: {parts.netloc}\r\nAccept-Encoding: gzip\r\nUser-Agent: rm-bench\r\n\r\n"
    ).encode()
    conn = Connection(parts.hostname, parts.port, headers)
    i = start
    try:
        while time.perf_counter() < stop_at:
            url = urls[i % len(urls)]
            i += 1
            try:
                r = await asyncio.wait_for(_one(conn, url, stats), timeout)
            except TimeoutError:
                conn.close()
                r = Result("transport:timeout", time.perf_counter() - timeout, time.perf_counter(),
                           None, url)  # fmt: skip
            stats.records.append(r)
            if honour and r.status == 503 and r.retry_after and r.retry_after.isdigit():
                await asyncio.sleep(int(r.retry_after))
    finally:
        conn.close()


async def _at(when: float, fn) -> None:
    await asyncio.sleep(max(0.0, when - time.perf_counter()))
    fn()


async def _drive(base, urls, clients, warmup, seconds, timeout, honour, mark):
    stats = Stats()
    t0 = time.perf_counter()
    window = (t0 + warmup, t0 + warmup + seconds)
    marks = [asyncio.create_task(_at(t, mark)) for t in window] if mark else []
    # Clients start spread over the first half second, not all in one instant.
    tasks = []
    for k in range(clients):
        tasks.append(asyncio.create_task(
            _client(base, urls, k * 7, window[1], stats, timeout, honour)))  # fmt: skip
        await asyncio.sleep(0.5 / clients)
    await asyncio.gather(*tasks, *marks)
    stats.records = [r for r in stats.records if r.sent >= window[0]]
    return stats, window


def run(
    base: str,
    urls: list[str],
    clients: int,
    seconds: float,
    warmup: float = 3.0,
    timeout: float = 60.0,
    honour_retry_after: bool = True,
    mark=None,
) -> tuple[Stats, tuple[float, float], float]:
    """Drive ``clients`` closed-loop clients; returns the records sent in the measured
    window, the window, and the generator's own CPU share (seconds of CPU per second).
    ``mark()`` is called when the window opens and when it closes."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    coro = _drive(base, urls, clients, warmup, seconds, timeout, honour_retry_after, mark)
    if uvloop is not None:
        stats, window = uvloop.run(coro)
    else:  # pragma: no cover
        stats, window = asyncio.run(coro)
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    return stats, window, share

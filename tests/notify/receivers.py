"""Real local receivers for the notification tests: an HTTP server on loopback that checks
webhook signatures, WeCom- and DingTalk-shaped robot messages, fails chosen attempts and can
hang; an SMTP server (aiosmtpd). Each records what arrived, and what took effect once per
idempotency key (what a careful receiver does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 0


@dataclass
class Endpoint:
    """What one path expects and how it answers."""

    kind: str  # webhook | wecom | dingtalk
    secret: str | None = None
    fail_first: int = 0  # per idempotency key
    hang_first: threading.Event | None = None  # block the very first request until set
    redirect_to: str | None = None  # answer 302 with this Location
    padding: int = 0  # bytes of filler in each answer
    requests: list[Received] = field(default_factory=list)
    effects: dict[str, dict] = field(default_factory=dict)  # idempotency key -> body
    bad: list[str] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    hung: threading.Event = field(default_factory=threading.Event)


class HTTPReceiver:
    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code, answer = receiver.handle(self.path, dict(self.headers), body)
                ep = receiver.endpoints.get(urlsplit(self.path).path)
                if ep is not None and ep.padding:
                    answer["padding"] = "x" * ep.padding
                data = json.dumps(answer).encode()
                self.send_response(code)
                if ep is not None and ep.redirect_to:
                    self.send_header("Location", ep.redirect_to)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that gave up (timeout, killed worker) is expected here: no traceback.
        self.server.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, name: str, endpoint: Endpoint) -> str:
        """Serves ``endpoint`` at /name (a query in ``name`` stays in the returned URL)."""
        self.endpoints["/" + name.partition("?")[0]] = endpoint
        return f"{self.base}/{name}"

    def handle(self, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        parts = urlsplit(raw_path)
        ep = self.endpoints.get(parts.path)
        if ep is None:
            return 404, {"error": "no such endpoint"}
        key = headers.get("Idempotency-Key", "")
        with self.lock:
            first_ever = not ep.requests
            rec = Received(raw_path, headers, body)
            ep.requests.append(rec)
            ep.seen[key] = ep.seen.get(key, 0) + 1
            nth = ep.seen[key]
        if first_ever and ep.hang_first is not None:
            ep.hung.set()
            ep.hang_first.wait(60)
        problem = self.check(ep, parts.query, headers, body)
        if problem:
            ep.bad.append(problem)
            rec.answered = 401
            return 401, {"errcode": 310000, "errmsg": problem}
        if ep.redirect_to:
            rec.answered = 302
            return 302, {}
        if nth <= ep.fail_first:
            rec.answered = 500
            return 500, {"errcode": -1, "errmsg": "planned failure"}
        with self.lock:
            ep.effects.setdefault(key, json.loads(body))  # a repeat has no second effect
        rec.answered = 200
        return 200, {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def check(ep: Endpoint, query: str, headers: dict[str, str], body: bytes) -> str | None:
        doc = json.loads(body)
        if ep.kind == "webhook":
            ts = headers.get("X-RM-Timestamp", "")
            mac = hmac.new(ep.secret.encode(), ts.encode() + b"." + body, hashlib.sha256)
            if headers.get("X-RM-Signature") != "sha256=" + mac.hexdigest():
                return "bad signature"
            if abs(time.time() - int(ts)) > 300:
                return "stale timestamp"
            return None
        if doc.get("msgtype") != "markdown" or not isinstance(doc.get("markdown"), dict):
            return "not a markdown message"
        if ep.kind == "wecom":
            return None if isinstance(doc["markdown"].get("content"), str) else "no content"
        q = parse_qs(query)
        ts, sign = q.get("timestamp", [""])[0], q.get("sign", [""])[0]
        mac = hmac.new(ep.secret.encode(), f"{ts}\n{ep.secret}".encode(), hashlib.sha256)
        if sign != base64.b64encode(mac.digest()).decode():
            return "bad sign"
        if not {"title", "text"} <= set(doc["markdown"]):
            return "no title/text"
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SMTPReceiver:
    """aiosmtpd on loopback; ``messages`` are parsed e-mails."""

    def __init__(self) -> None:
        self.messages = []

        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.content, policy=policy.default)
                receiver.messages.append((envelope.rcpt_tos, msg))
                return "250 OK"

        with socket.socket() as s:  # aiosmtpd checks readiness by connecting: a real port
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()

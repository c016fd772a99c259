"""The shape of a notification on each channel: a signed JSON webhook, a WeCom (企业微信)
group-robot or DingTalk (钉钉) custom-robot markdown message, or an e-mail (text + HTML).
One event or a digest of many is a list of messages; nothing here does I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from html import escape
from urllib.parse import quote_plus

from geo.notify.messages import LABELS, Message

USER_AGENT = "restoration-map-notify/1"
WECOM_MAX_BYTES = 4096  # the robot API's limit on markdown content


@dataclass(frozen=True)
class Outgoing:
    """An HTTP POST to make."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # Robots answer 200 with {"errcode": n}: anything but 0 is a failure.
    errcode_json: bool = False


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` under the secret.

    >>> sign_webhook("s3cret", "1700000000", b'{"a":1}')[:19]
    'sha256=1698a50bc74d'
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def sign_dingtalk(secret: str, timestamp_ms: str) -> str:
    """DingTalk's sign: base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)), URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(mac.digest()).decode())


def _title(messages: list[Message], lang: str) -> str:
    if len(messages) == 1:
        return messages[0].title
    return f"每日汇总：{len(messages)} 条" if lang == "zh" else f"Daily digest: {len(messages)}"


def _markdown(messages: list[Message], lang: str, limit: int | None = None) -> str:
    label = LABELS[lang]["map"]
    if len(messages) == 1:
        text = messages[0].markdown(label)
    else:
        head = f"### {_title(messages, lang)}"
        items = [f"- [{m.title}]({m.link}) {m.lines[0][1] if m.lines else ''}" for m in messages]
        text = "\n".join([head, *items])
    if limit is not None and len(text.encode()) > limit:
        text = text.encode()[: limit - 4].decode(errors="ignore") + "\n…"
    return text


def webhook(
    url: str, secret: str, key: str, sub_id: int, lang: str, messages, events, now: int
) -> Outgoing:
    """JSON with every event; signed over ``timestamp + "." + body`` (see README)."""
    body = json.dumps(
        {
            "id": key,
            "subscription": sub_id,
            "language": lang,
            "kind": messages[0].kind if len(messages) == 1 else "digest",
            "title": _title(messages, lang),
            "events": [
                {
                    "id": ev["id"],
                    "kind": m.kind,
                    "at": m.at,
                    "title": m.title,
                    "text": m.text(),
                    "link": m.link,
                    "data": ev["payload"],
                }
                for m, ev in zip(messages, events, strict=True)
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    ts = str(now)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
        "X-RM-Event": messages[0].kind if len(messages) == 1 else "digest",
        "X-RM-Timestamp": ts,
        "X-RM-Signature": sign_webhook(secret, ts, body),
    }
    return Outgoing(url, body, headers)


def _robot_headers(key: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
    }


def wecom(url: str, key: str, lang: str, messages: list[Message]) -> Outgoing:
    body = {
        "msgtype": "markdown",
        "markdown": {"content": _markdown(messages, lang, WECOM_MAX_BYTES)},
    }
    return Outgoing(url, json.dumps(body, ensure_ascii=False).encode(), _robot_headers(key), True)


def dingtalk(
    url: str, secret: str | None, key: str, lang: str, messages: list[Message], now_ms: int
) -> Outgoing:
    """A signed URL when the robot has a secret (加签), else the plain webhook URL."""
    if secret:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={now_ms}&sign={sign_dingtalk(secret, str(now_ms))}"
    body = {
        "msgtype": "markdown",
        "markdown": {"title": _title(messages, lang), "text": _markdown(messages, lang)},
    }
    return Outgoing(url, json.dumps(body, ensure_ascii=False).encode(), _robot_headers(key), True)


def _html(messages: list[Message], lang: str) -> str:
    label = escape(LABELS[lang]["map"])
    parts = []
    for m in messages:
        rows = "".join(
            f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in m.lines
        )
        parts.append(
            f"<h3>{escape(m.title)}</h3><table>{rows}</table>"
            f"<p><a href='{escape(m.link, quote=True)}'>{label}</a></p>"
        )
    return f"<html><body><h2>{escape(_title(messages, lang))}</h2>{''.join(parts)}</body></html>"


def email(sender: str, to: str, key: str, lang: str, messages: list[Message]) -> EmailMessage:
    """Plain text and HTML; the Message-ID is derived from the idempotency key, so a
    resent mail is recognisably the same mail."""
    msg = EmailMessage()
    msg["Subject"] = _title(messages, lang)
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = f"<{key}@restoration-map>"
    msg["X-RM-Idempotency-Key"] = key
    msg.set_content("\n\n".join(m.text() for m in messages))
    msg.add_alternative(_html(messages, lang), subtype="html")
    return msg

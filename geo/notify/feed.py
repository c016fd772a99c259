"""An Atom feed (RFC 4287) of one subscription's events, for readers that poll."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from geo.notify.messages import render

ATOM = "http://www.w3.org/2005/Atom"


def atom(sub: dict[str, Any], events: list[Any], self_url: str, base_url: str) -> bytes:
    """The feed document; entries are the events, newest first, ids stable per event."""
    ET.register_namespace("", ATOM)
    lang = sub["language"]
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN" if lang == "zh" else "en"})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:restoration-map:subscription:{sub['id']}"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = sub["name"]
    updated = events[0].at if events else dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "restoration-map"
    for ev in events:
        msg = render(ev.kind, ev.payload, ev.at, lang, base_url)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:restoration-map:event:{ev.id}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = msg.title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = ev.at
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": msg.link})
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": ev.kind})
        ET.SubElement(entry, f"{{{ATOM}}}content", {"type": "text"}).text = msg.text()
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

"""An Atom feed (RFC 4287) of a watch's alerts, for any feed reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

from ingest.watches import Watch

ATOM = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str | None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def path_text(alert: dict[str, Any]) -> str:
    """The path from the watch to the fact, one line: `name -HOLDS-> name <-AGAINST- name`."""
    path = alert.get("path") or {}
    if path.get("via"):
        return f"query {path['via'].get('query')} → {alert['fact']['id']}"
    nodes = path.get("nodes") or []
    names = {n["id"]: n.get("name") or n["id"] for n in nodes}
    out = names.get(nodes[0]["id"], "") if nodes else ""
    for prev, node, link in zip(nodes, nodes[1:], path.get("links") or [], strict=False):
        arrow = f" -{link['type']}-> " if link["from"] == prev["id"] else f" <-{link['type']}- "
        out += arrow + names.get(node["id"], node["id"])
    return out


def alert_text(alert: dict[str, Any]) -> str:
    """The alert as plain text: what changed, the path, then each source with its quote."""
    lines = [alert["title"], "", "Path: " + path_text(alert)]
    description = (alert.get("fact") or {}).get("properties", {}).get("description")
    if description:
        lines += ["", description]
    for e in alert.get("evidence") or []:
        where = f" ({e['locator']})" if e.get("locator") else ""
        said = f': "{e["quote"]}"' if e.get("quote") else ""
        lines.append(f"Source: {e.get('title') or e['source']}{where}{said}")
        if e.get("url"):
            lines.append(f"  {e['url']}")
    return "\n".join(lines)


def atom_feed(watch: Watch, alerts: list[dict[str, Any]], base_url: str) -> bytes:
    """The feed document: one entry per alert, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"urn:rightsgraph:watch:{watch.id}")
    _text(feed, "title", f"RightsGraph watch: {watch.name}")
    _text(feed, "updated", alerts[0]["raised"] if alerts else watch.created)
    author = _text(feed, "author", None)
    _text(author, "name", "RightsGraph")
    _text(feed, "generator", "RightsGraph")
    for alert in alerts:
        entry = _text(feed, "entry", None)
        _text(entry, "id", f"urn:rightsgraph:alert:{alert['id']}")
        _text(entry, "title", alert["title"])
        _text(entry, "updated", alert["raised"])
        _text(entry, "published", alert["raised"])
        _text(entry, "link", None, href=f"{base_url}entities/{quote(alert['fact']['id'], safe='')}")
        _text(entry, "category", None, term=alert["kind"])
        _text(entry, "summary", path_text(alert))
        _text(entry, "content", alert_text(alert), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

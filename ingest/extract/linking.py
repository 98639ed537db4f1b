"""Optional: give entities found in text the ids they already have in the graph.

Looked up by id, then through the full-text index `rg_search` confirmed by the same resolution
keys ingest uses (identifiers, normalised names). Offline, or on any database error, nothing is
linked and the gazetteer's or proposed ids stand.
"""

from __future__ import annotations

from neo4j import Driver

from core import names as system
from ingest.extract.gazetteer import Entity
from ingest.resolve import resolution_keys
from ontology.model import load_model

LINK_QUERY = """
UNWIND $items AS item
OPTIONAL MATCH (same:Node {id: item.id})
CALL (item) {
  CALL db.index.fulltext.queryNodes('rg_search', item.q, {limit: 20}) YIELD node
  WITH node WHERE item.label IN labels(node) AND any(k IN item.keys WHERE k IN node.`RESOLVE_KEYS`)
  RETURN collect(node.id)[0] AS hit
}
RETURN item.id AS ref,
       CASE WHEN same IS NOT NULL AND item.label IN labels(same) THEN same.id ELSE hit END AS id
""".replace("RESOLVE_KEYS", system.RESOLVE_KEYS)


def _phrase(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def link_to_graph(
    entities: list[Entity], driver: Driver | None, database: str | None = None
) -> dict[str, str]:
    """entity id -> graph id, for the entities the graph already holds."""
    if driver is None or not entities:
        return {}
    model = load_model()
    items = []
    for e in entities:
        ids, names = resolution_keys(e.record())
        items.append(
            {
                "id": e.id,
                "label": model.cls(e.type).neo4j_label,
                "keys": ids + names,
                "q": _phrase(e.name),
            }
        )
    try:
        rows, _, _ = driver.execute_query(LINK_QUERY, items=items, database_=database, routing_="r")
    except Exception:  # no index yet, server gone: linking is optional
        return {}
    return {r["ref"]: r["id"] for r in rows if r["id"]}

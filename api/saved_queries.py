"""Queries saved from the page's Cypher console, kept with the API's own data (RgSystem nodes).

A saved query belongs to the key that saved it (listed for that key only); its id is a random
token, and any caller allowed `/cypher` who has the id (a shared URL) may open it. Opening one
runs nothing: the page puts its text and parameters in the editor.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from api.system_store import SystemStore
from core.names import SAVED_QUERY_LABEL, SYSTEM_LABEL

LABEL = f"`{SYSTEM_LABEL}`:`{SAVED_QUERY_LABEL}`"
SCHEMA = (
    f"CREATE CONSTRAINT rgsystem_saved_query_id IF NOT EXISTS FOR (q:`{SAVED_QUERY_LABEL}`) "
    "REQUIRE q.rgsystemId IS UNIQUE"
)
RETURN = (
    "RETURN q.rgsystemId AS id, q.rgsystemName AS name, q.rgsystemQuery AS query, "
    "q.rgsystemParameters AS parameters, q.rgsystemKeyId AS keyId, q.rgsystemCreated AS created"
)


@dataclass(frozen=True)
class SavedQuery:
    id: str
    name: str
    query: str
    parameters: dict[str, Any]
    key_id: str
    created: str


def _saved(row: dict[str, Any]) -> SavedQuery:
    return SavedQuery(
        row["id"],
        row["name"],
        row["query"],
        json.loads(row["parameters"] or "{}"),
        row["keyId"],
        row["created"],
    )


class SavedQueries:
    """Save, list, open and delete saved queries in the shared store."""

    def __init__(self, store: SystemStore):
        self.store = store
        self._ready = False

    def _run(self, cypher: str, write: bool = False, **params: Any) -> list[dict[str, Any]]:
        if not self._ready:
            self.store.run(SCHEMA, True)
            self._ready = True
        return self.store.run(cypher, write, **params)

    def save(self, key_id: str, name: str, query: str, parameters: dict[str, Any]) -> SavedQuery:
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = self._run(
            f"CREATE (q:{LABEL}) SET q.rgsystemId = $id, q.rgsystemName = $name, "
            "q.rgsystemQuery = $query, q.rgsystemParameters = $parameters, "
            f"q.rgsystemKeyId = $key, q.rgsystemCreated = $created {RETURN}",
            True,
            id=secrets.token_urlsafe(12),
            name=name,
            query=query,
            parameters=json.dumps(parameters, ensure_ascii=False, sort_keys=True),
            key=key_id,
            created=created,
        )
        return _saved(rows[0])

    def get(self, id: str) -> SavedQuery | None:
        rows = self._run(f"MATCH (q:{LABEL} {{rgsystemId: $id}}) {RETURN}", id=id)
        return _saved(rows[0]) if rows else None

    def of_key(self, key_id: str, limit: int = 200) -> list[SavedQuery]:
        rows = self._run(
            f"MATCH (q:{LABEL} {{rgsystemKeyId: $key}}) {RETURN} ORDER BY created DESC, id "
            "LIMIT $limit",
            key=key_id,
            limit=limit,
        )
        return [_saved(r) for r in rows]

    def delete(self, key_id: str, id: str) -> bool:
        """Delete one of the key's own saved queries; False when it has none with that id."""
        rows = self._run(
            f"MATCH (q:{LABEL} {{rgsystemId: $id, rgsystemKeyId: $key}}) "
            "DETACH DELETE q RETURN count(*) AS n",
            True,
            id=id,
            key=key_id,
        )
        return bool(rows and rows[0]["n"])

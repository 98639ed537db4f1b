"""What one write transaction changed: per node its statements before and after, and the nodes
a relationship was made or removed between. The writer, merges and splits fill it in; the alert
engine (ingest/watches.py) reads it in the same transaction, so an alert exists only when the
change it is about was committed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ontology import statements as st


@dataclass
class NodeChange:
    """A node that was written: its labels and stored statements before (None: new) and after
    (None: deleted)."""

    id: str
    labels: list[str]
    before: str | None
    after: str | None

    def statements(self, when: str) -> list[st.Statement]:
        return st.decode(self.before if when == "before" else self.after)


@dataclass
class Changes:
    nodes: dict[str, NodeChange] = field(default_factory=dict)
    # relationships made or removed: (start id, type, end id)
    linked: set[tuple[str, str, str]] = field(default_factory=set)

    def node(self, node_id: str, labels: list[str], before: str | None, after: str | None) -> None:
        """Record a node's change; a node changed twice in one transaction keeps its first
        `before`."""
        if node_id in self.nodes:
            before = self.nodes[node_id].before
        self.nodes[node_id] = NodeChange(node_id, list(labels), before, after)

    def link(self, start: str, rel_type: str, end: str) -> None:
        self.linked.add((start, rel_type, end))

    def linked_ids(self, types: set[str] | frozenset[str]) -> set[str]:
        """Both ends of every relationship of `types` made or removed."""
        return {n for a, t, b in self.linked if t in types for n in (a, b)}

    def __bool__(self) -> bool:
        return bool(self.nodes or self.linked)

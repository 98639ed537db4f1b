"""A canonical dump of the graph: every node and relationship with its properties, sorted.

Two graphs are the same when their dumps are equal. Run stamps (`ingestRun`) are left out:
they say when a fact was written, not what it is; so is the API's own data (`:RgSystem` nodes:
keys and the audit log), which is no part of the graph.
"""

from __future__ import annotations

import json

from neo4j import Driver

from core.names import (
    INGEST_RUN,
    KNOWN_SPANS,
    REVIEW_LABELS,
    SCHEMA_LABEL,
    STATEMENTS,
    SYSTEM_LABEL,
)

IGNORED = (INGEST_RUN,)


def _props(props: dict, ignored: tuple[str, ...] = IGNORED) -> str:
    return json.dumps(
        {k: v for k, v in sorted(props.items()) if k not in ignored},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def canonical_dump(
    driver: Driver,
    database: str | None = None,
    projected: bool = False,
    entities_only: bool = False,
) -> list[str]:
    """Sorted lines: `N labels props` for nodes, `R start type end props` for relationships.
    `projected` leaves out the statements: what the graph shows, not how it came to.
    `entities_only` leaves out the review data beside the entity graph (proposals, decisions,
    redirects), which an RDF export does not carry."""
    ignored = (*IGNORED, STATEMENTS, KNOWN_SPANS) if projected else IGNORED
    lines: list[str] = []
    skip = list(REVIEW_LABELS) if entities_only else []
    with driver.session(database=database) as session:
        for rec in session.run(  # the API's own data and the schema version are not the graph
            f"MATCH (n) WHERE NOT n:`{SYSTEM_LABEL}` AND NOT n:`{SCHEMA_LABEL}` "
            "AND none(l IN labels(n) WHERE l IN $skip) "
            "RETURN labels(n) AS labels, properties(n) AS props",
            skip=skip,
        ):
            lines.append(f"N {':'.join(sorted(rec['labels']))} {_props(rec['props'], ignored)}")
        for rec in session.run(
            "MATCH (a)-[r]->(b) RETURN coalesce(a.id, elementId(a)) AS a, type(r) AS t, "
            "coalesce(b.id, elementId(b)) AS b, properties(r) AS props"
        ):
            lines.append(f"R {rec['a']} {rec['t']} {rec['b']} {_props(rec['props'], ignored)}")
    return sorted(lines)

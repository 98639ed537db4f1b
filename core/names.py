"""Names of the system properties the graph keeps beside the ontology's own.

The ontology names every domain property; these are the bookkeeping ones every layer reads or
writes. Spell them from here, never as string literals (Cypher files in queries/ excepted, which
are run as they are).
"""

from __future__ import annotations

ID = "id"
"""Stable identifier of a node (unique per label and on :Node)."""
TLP = "tlp"
"""Effective sharing level of a node or relationship."""
REPORT_IDS = "reportIds"
"""Reports that state a node or relationship."""
SOURCE_IDS = "sourceIds"
"""Sources of a node's evidence (or of the record that states a relationship)."""
INGEST_RUN = "ingestRun"
"""The last ingest run that changed a node or relationship."""
RESOLVE_KEYS = "resolveKeys"
"""Identifier and normalised-name keys an entity is resolved by."""
BLOCK_KEYS = "blockKeys"
"""Blocking keys (identifiers, name fingerprints, tokens) the index `rg_block` finds candidates by."""
SEARCH_TEXT = "searchText"
"""Names, aliases and identifiers indexed by the full-text index."""
EDGE_KEY = "key"
"""Distinguishes parallel relationships of one type (EVIDENCED_BY by quote)."""

SYSTEM_PREFIX = "rgsystem"
"""Every label and property of the API's own data in the graph (keys, audit log) starts with
this, in any case; /cypher refuses the prefix and withholds any value carrying it."""
SYSTEM_LABEL = "RgSystem"
"""On every node of the API's own data; never on a :Node, never in a dump, export or backup."""
API_KEY_LABEL = "RgSystemApiKey"
AUDIT_LABEL = "RgSystemAudit"
COUNTER_LABEL = "RgSystemCounter"
WATCH_LABEL = "RgSystemWatch"
"""What a watch follows, its owner key and level, its feed token's hash, its webhook."""
ALERT_LABEL = "RgSystemAlert"
"""A change that touches a watch: the fact, its sources and quotes, the path (docs/watches.md)."""
DELIVERY_LABEL = "RgSystemDelivery"
"""An alert to POST to its watch's webhook: status, attempts, the next try, the log."""

SAVED_QUERY_LABEL = "RgSystemSavedQuery"
"""A Cypher query saved from the page's console (api/saved_queries.py)."""


def system_property(name: str) -> str:
    """`id` -> `rgsystemId`: the stored name of a field of the API's own data."""
    return SYSTEM_PREFIX + name[0].upper() + name[1:]


STATEMENTS = "statements"
"""Every value of a node or relationship with its report, sources, standing, level and days
(compact JSON, see ontology/statements.py); the other properties are its projection."""
STATED_BY = "statedBy"
"""Every report with a live statement of a node, at any level (bookkeeping: never shown)."""
KNOWN_SPANS = "knownSpans"
"""When, and at which level, a node or relationship was known: `"<first> <retracted> <level>"`
per statement group (ontology/statements.py `spans`), read by the queries' "as known on"."""
SCHEMA_LABEL = "RgSystemSchema"
"""Label (beside SYSTEM_LABEL) of the one node that records the graph's schema version."""
SCHEMA_VERSION = 3
"""3: knownSpans beside the statements; 2: statements beside the projected properties (1:
properties only)."""

HIDDEN_PROPERTIES = (STATEMENTS, STATED_BY, KNOWN_SPANS)
"""System properties no answer shows as they are (statements are shown projected)."""

SYSTEM_PROPERTIES = (
    ID,
    TLP,
    REPORT_IDS,
    SOURCE_IDS,
    INGEST_RUN,
    RESOLVE_KEYS,
    SEARCH_TEXT,
    STATEMENTS,
    STATED_BY,
    BLOCK_KEYS,
    KNOWN_SPANS,
)

PROPOSAL, DECISION, REDIRECT = "Proposal", "Decision", "Redirect"
CONFLICT = "Conflict"
"""Labels of the review data beside the entity graph (no `Node` label): look-alike pairs, people's
decisions on them, ids merged into or renamed to others (docs/resolution.md), and values a report
states against reviewed ones (ingest/conflicts.py)."""
REVIEW_LABELS = (PROPOSAL, DECISION, REDIRECT, CONFLICT)

SYSTEM_NS = "https://w3id.org/rightsgraph/system#"
"""Namespace of the system triples a backup carries beside the export (statements)."""

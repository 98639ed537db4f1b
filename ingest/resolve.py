"""Resolution: attach records to entities already in the graph instead of creating twins.

Which classes are resolved, which of them also by name, and which properties are identity keys
(in which order they are tried) are flags in the ontology (`rg:resolved`, `rg:resolvedByName`,
`rg:identityKey`, `rg:rank`), read through the model. Identity keys first (LEI, ISIN, ticker,
Wikidata, ISO 3166, scheme:value identifiers, …), then the normalised name or a listed alias
within the same class. A fuzzy match below certainty is a proposal for a person to review,
never a merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver
from rapidfuzz import fuzz, process
from rdflib import XSD

from core import names as system
from ingest.normalize import normalise_name
from ontology.model import OntologyModel, PropertySpec, load_model
from ontology.records import Record

FUZZY_CUTOFF = 88.0


def _values(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def identity_value(spec: PropertySpec, value: Any) -> str:
    """An identity key's value as resolution compares it: a URL as written, others upper-cased."""
    text = str(value).strip()
    return text if spec.datatype == XSD.anyURI else text.upper()


def resolution_keys(
    record: Record, model: OntologyModel | None = None
) -> tuple[list[str], list[str]]:
    """(identifier keys, name keys) of a record; keys are scoped by the caller to a class."""
    model = model or load_model()
    ids = [
        f"{p.name}:{identity_value(p, v)}"
        for p in model.identifier_properties()
        for v in _values(record.get(p.name))
    ]
    names = [
        normalise_name(str(n)) for n in _values(record.get("name")) + _values(record.get("alias"))
    ]
    return ids, [f"name:{n}" for n in names if n]


def search_text(record: Record, model: OntologyModel | None = None) -> str:
    """The values of the searchable properties, in rank order (identity keys as compared)."""
    model = model or load_model()
    texts = [
        identity_value(p, v) if p.identity_key else v
        for p in model.searchable_properties()
        for v in _values(record.get(p.name))
    ]
    return " | ".join(str(t) for t in texts if t)


@dataclass
class Proposal:
    record: str
    type: str
    name: str
    candidate: str
    candidate_name: str
    score: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ClassIndex:
    keys: dict[str, str] = field(default_factory=dict)  # resolution key -> node id
    names: dict[str, str] = field(default_factory=dict)  # node id -> normalised name
    texts: dict[str, str] = field(default_factory=dict)  # normalised name or alias -> node id

    def add_name_keys(self, keys: list[str], node_id: str) -> None:
        for key in keys:
            if key.startswith("name:"):
                self.texts.setdefault(key[len("name:") :], node_id)


class Resolver:
    """Per-ingest-run index of the graph's entities, loaded once per class and kept up to date."""

    def __init__(
        self, driver: Driver | None, database: str | None = None, model: OntologyModel | None = None
    ):
        self.driver = driver
        self.database = database
        self.model = model or load_model()
        self._index: dict[str, ClassIndex] = {}

    def index(self, class_name: str) -> ClassIndex:
        if class_name not in self._index:
            idx = ClassIndex()
            if self.driver is not None:
                label = self.model.cls(class_name).neo4j_label
                rows, _, _ = self.driver.execute_query(
                    f"MATCH (n:`{label}`) "
                    f"RETURN n.id AS id, n.`{system.RESOLVE_KEYS}` AS keys, n.name AS name",
                    database_=self.database,
                    routing_="r",
                )
                for row in rows:
                    for key in row["keys"] or []:
                        idx.keys.setdefault(key, row["id"])
                    idx.add_name_keys(row["keys"] or [], row["id"])
                    if row["name"]:
                        idx.names[row["id"]] = normalise_name(row["name"])
            self._index[class_name] = idx
        return self._index[class_name]

    def remember(self, record: Record) -> None:
        """Add a record's keys to the index, so later records in the run resolve to it."""
        cls = self.model.cls(record["type"])
        if not cls.resolved:
            return
        idx = self.index(record["type"])
        ids, names = resolution_keys(record, self.model)
        if not cls.resolved_by_name:
            names = []
        for key in ids + names:
            idx.keys.setdefault(key, record["id"])
        idx.add_name_keys(names, record["id"])
        if record.get("name"):
            idx.names.setdefault(record["id"], normalise_name(str(record["name"])))

    def match(self, record: Record) -> tuple[str | None, Proposal | None]:
        """The id of the entity this record is about, or a proposal for review."""
        cls = self.model.cls(record["type"])
        if not cls.resolved:
            return None, None
        idx = self.index(record["type"])
        ids, names = resolution_keys(record, self.model)
        if not cls.resolved_by_name:
            names = []
        for key in ids + names:
            found = idx.keys.get(key)
            if found is not None:
                return found, None
        if names and idx.texts:  # typos of a name or an alias (classes resolved by name)
            query = names[0][len("name:") :]
            best = process.extractOne(
                query, idx.texts.keys(), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF
            )
            if best is not None:
                text, score, _ = best
                candidate = idx.texts[text]
                return None, Proposal(
                    record["id"],
                    record["type"],
                    str(record.get("name")),
                    candidate,
                    idx.names.get(candidate, text),
                    round(score, 1),
                )
        return None, None


def merge_records(base: Record, other: Record, model: OntologyModel) -> Record:
    """Fold `other` into `base`: lists are united, scalars already set are kept."""
    out = dict(base)
    props = model.properties_of(base["type"])
    for key, value in other.items():
        if key in ("id", "type"):
            continue
        spec = props.get(key)
        if spec is not None and spec.multiple:
            merged = list(_values(out.get(key)))
            for v in _values(value):
                if v not in merged:
                    merged.append(v)
            out[key] = merged
        elif key not in out:
            out[key] = value
        elif key == "name" and value != out[key]:
            out["alias"] = (
                [a for a in _values(out.get("alias"))] + [value]
                if value not in _values(out.get("alias"))
                else out.get("alias")
            )
    return out


def rename_references(
    records: Iterable[Record], renames: dict[str, str], model: OntologyModel
) -> list[Record]:
    """Point every reference at the resolved ids."""
    if not renames:
        return list(records)
    out = []
    for record in records:
        props = model.properties_of(record["type"])
        new = dict(record)
        for key, value in record.items():
            spec = props.get(key)
            if spec is None:
                continue
            if spec.kind in ("link", "idlist"):
                new[key] = (
                    [renames.get(v, v) for v in value]
                    if isinstance(value, list)
                    else renames.get(value, value)
                )
            elif spec.kind == "edge":
                new[key] = [
                    {
                        k: (renames.get(v, v) if k == model.edge_class.edge_target else v)
                        for k, v in e.items()
                    }
                    for e in value
                ]
        out.append(new)
    return out

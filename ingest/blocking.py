"""Blocking keys: how a record finds its candidates without comparing it with every entity.

A resolved node carries `blockKeys` (core.names.BLOCK_KEYS): its identity keys, name
fingerprints with legal forms removed, distinctive name tokens and their phonetic codes. A
full-text index with Lucene's `keyword` analyzer (`rg_block`) indexes each element of that list
as one exact term, so the nodes holding a key are one term lookup whatever the size of the
graph (ingest.resolve asks for all the distinct keys of a batch in one query, and a token or
phonetic key more than a few nodes hold is not a block there). Names are analysed with OpenSanctions' `rigour` (its org-type database and name tagger):
legal forms ("Co Ltd", "Company Limited", "AS", "股份有限公司") are dropped, and words it tags as
a domain, symbol, stop word or place ("Energy", "Properties", "Trust", "of") count as generic: they
may help rank a candidate but never make one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from neo4j import Driver
from rigour.names import NamePartTag, NameTypeTag, SymbolCategory, analyze_names
from rigour.text import metaphone

from core import names as system
from ingest.normalize import LEGAL_FORMS, normalise_name
from ontology.model import OntologyModel, PropertySpec, load_model
from ontology.records import Record

INDEX_NAME = "rg_block"
GENERIC_CATEGORIES = frozenset(
    {SymbolCategory.DOMAIN, SymbolCategory.SYMBOL, SymbolCategory.LOCATION}
)
LEGAL_SYMBOLS = frozenset({"CORP", "CO"})  # rigour tags these as symbols, not as org types
# legal forms rigour leaves untagged ("ASA", "Corp" as a word), from the project's list, and
# only at the end of a name ("Group" and "Holdings" are words of the name here)
MIN_SQUASHED = 6
TRAILING_FORMS = LEGAL_FORMS - {"group", "holding", "holdings"}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def values(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class NameInfo:
    """One name as resolution sees it: its tokens without legal forms, and which are generic."""

    original: str
    tokens: tuple[str, ...]
    generic: frozenset[str]

    @property
    def fingerprint(self) -> str:
        return " ".join(self.tokens)

    @property
    def squashed(self) -> str:
        """The fingerprint without spaces: "JVCKenwood" and "JVC Kenwood" agree."""
        return "".join(self.tokens)

    @property
    def squashed_key(self) -> str | None:
        """The squashed form when it is long enough to identify ("L&F" and "LF" are not one)."""
        return self.squashed if len(self.squashed) >= MIN_SQUASHED else None

    @property
    def distinctive(self) -> tuple[str, ...]:
        """The tokens that identify (all of them when every token is generic)."""
        own = tuple(t for t in self.tokens if t not in self.generic)
        return own or self.tokens


def _strip_cjk_legal_form(text: str) -> str:
    """Drop the longest trailing org type of a CJK name, which has no word boundary before it."""
    for start in range(max(1, len(text) - 8), len(text) - 1):
        suffix = text[start:]
        for parsed in analyze_names(NameTypeTag.ORG, ["x " + suffix]):
            last = parsed.parts[-1] if parsed.parts else None
            if last is not None and last.tag == NamePartTag.LEGAL and last.form == suffix:
                return text[:start]
    return text


@lru_cache(maxsize=500_000)
def analyse(name: str) -> NameInfo:
    """Tokens of an organisation name with legal forms removed, and the generic ones tagged."""
    text = unicodedata.normalize("NFKC", str(name)).strip()
    if _CJK.search(text):
        text = _strip_cjk_legal_form(text.replace(" ", ""))
    analysed = analyze_names(NameTypeTag.ORG, [text])
    if not analysed:
        return NameInfo(str(name), (), frozenset())
    parsed = max(analysed, key=lambda n: len(n.parts))
    legal: set[int] = set()
    generic: set[str] = set()
    for span in parsed.spans:
        category = span.symbol.category
        idx = [p.index for p in span.parts]
        if category == SymbolCategory.ORG_CLASS or (
            category == SymbolCategory.SYMBOL and str(span.symbol.id) in LEGAL_SYMBOLS
        ):
            legal.update(idx)
        elif category in GENERIC_CATEGORIES:
            generic.update(p.comparable for p in span.parts)

    def is_legal(part: Any) -> bool:
        return part.index in legal or part.tag == NamePartTag.LEGAL

    def trailing_legal_stripped(parts: list) -> list:
        parts = list(parts)
        while len(parts) > 1 and (is_legal(parts[-1]) or parts[-1].comparable in TRAILING_FORMS):
            parts.pop()
        return parts

    generic.update(p.comparable for p in parsed.parts if p.tag == NamePartTag.STOP)
    parts = trailing_legal_stripped([p for p in parsed.parts if not is_legal(p)] or parsed.parts)
    if len(parts) < 2 and parsed.parts and is_legal(parsed.parts[0]):  # "KB Home": a name word
        parts = trailing_legal_stripped(parsed.parts)
    if all(p.comparable in generic for p in parts):  # "BT Group": "BT" is the name here
        parts = trailing_legal_stripped(parsed.parts)
    tokens = tuple(p.comparable for p in parts if p.comparable)
    return NameInfo(str(name), tokens, frozenset(generic) & frozenset(tokens))


def record_names(record: Record) -> list[str]:
    return [str(n) for n in values(record.get("name")) + values(record.get("alias")) if n]


@lru_cache(maxsize=256)
def _is_url(spec: PropertySpec) -> bool:
    from rdflib import XSD

    return spec.datatype == XSD.anyURI


def identity_value(spec: PropertySpec, value: Any) -> str:
    """An identity key's value as resolution compares it: a URL as written, others upper-cased."""
    text = str(value).strip()
    return text if _is_url(spec) else text.upper()


def identifier_values(record: Record, model: OntologyModel) -> dict[str, set[str]]:
    """Identity-key property -> its compared values; `identifiers` ("scheme:value") per scheme."""
    out: dict[str, set[str]] = {}
    for p in model.identifier_properties():
        for v in values(record.get(p.name)):
            value = identity_value(p, v)
            scheme = p.name
            if p.multiple and ":" in value and not value.startswith("HTTP"):
                scheme = f"{p.name}:{value.split(':', 1)[0]}"
            out.setdefault(scheme, set()).add(value)
    return out


def source_document_keys(record: Record) -> list[str]:
    """A Source is one document however it is known: (publisher, title, date) is a key too."""
    publisher, title = record.get("publisher"), record.get("title") or record.get("name")
    date = record.get("published") or record.get("date")
    if not (publisher and title and date):
        return []
    return ["doc:" + "|".join(normalise_name(str(x)) for x in (publisher, title, date))]


def name_keys(info: NameInfo) -> set[str]:
    """Exact fingerprints (fp, sq) and the tokens and phonetic codes of the distinctive words."""
    if not info.tokens:
        return set()
    keys = {f"fp:{info.fingerprint}"}
    if info.squashed_key:
        keys.add(f"sq:{info.squashed_key}")
    for token in info.distinctive:
        if len(token) >= 3 or _CJK.search(token):
            keys.add(f"tk:{token}")
        if len(token) >= 4 and token.isalpha() and token.isascii():
            code = metaphone(token)
            if len(code) >= 3:
                keys.add(f"ph:{code}")
    return keys


def block_keys(record: Record, model: OntologyModel | None = None) -> list[str]:
    """Every blocking key of a record of a resolved class (sorted, so stable in the graph)."""
    model = model or load_model()
    cls = model.cls(record["type"])
    if not cls.resolved:
        return []
    keys: set[str] = {
        f"id:{scheme}:{v}" for scheme, vs in identifier_values(record, model).items() for v in vs
    }
    if cls.resolved_by_name:
        for name in record_names(record):
            keys |= name_keys(analyse(name))
    keys.update(source_document_keys(record))
    return sorted(keys)


def exact_keys(keys: Iterable[str]) -> set[str]:
    """The keys that alone decide a match: identifiers, fingerprints, document keys."""
    return {k for k in keys if k.split(":", 1)[0] in ("id", "fp", "sq", "doc")}


_LUCENE_SPECIAL = re.compile(r'(["\\])')


def lucene_query(keys: Iterable[str]) -> str:
    """An OR of exact terms for the keyword analyzer: each key quoted, quotes escaped."""
    return " OR ".join('"' + _LUCENE_SPECIAL.sub(r"\\\1", k) + '"' for k in keys)


@lru_cache(maxsize=256)
def _stored_names(model: OntologyModel, type_name: str) -> tuple[tuple[str, str], ...]:
    """(ontology name, Neo4j property) of the stored properties of a class."""
    return tuple(
        (name, spec.neo4j_property)
        for name, spec in model.properties_of(type_name).items()
        if spec.neo4j_property
    )


def record_from_props(type_name: str, props: dict[str, Any], model: OntologyModel) -> Record:
    """A node's Neo4j properties as a record of its class (ontology names)."""
    record: Record = {"id": props.get(system.ID), "type": type_name}
    for name, stored in _stored_names(model, type_name):
        value = props.get(stored)
        if value is not None:
            record[name] = value
    return record


def backfill(driver: Driver, database: str | None = None, batch: int = 5000) -> int:
    """Give `blockKeys` to resolved nodes written before they existed (a graph of an earlier
    version); returns how many. Nodes the writer wrote have them: this finds none."""
    model = load_model()
    done = 0
    for cls in model.resolved_classes():
        while True:
            rows, _, _ = driver.execute_query(
                f"MATCH (n:`{cls.neo4j_label}`) WHERE n.`{system.BLOCK_KEYS}` IS NULL "
                "RETURN n.id AS id, properties(n) AS props LIMIT $batch",
                batch=batch,
                database_=database,
            )
            if not rows:
                break
            updates = [
                {
                    "id": r["id"],
                    "keys": block_keys(record_from_props(cls.name, r["props"], model), model),
                }
                for r in rows
            ]
            driver.execute_query(
                f"UNWIND $rows AS row MATCH (n:`{cls.neo4j_label}` {{id: row.id}}) "
                f"SET n.`{system.BLOCK_KEYS}` = row.keys",
                rows=updates,
                database_=database,
            )
            done += len(updates)
    return done


def schema_statements(model: OntologyModel | None = None) -> list[str]:
    """The blocking index over the resolved labels (Lucene `keyword` analyzer: exact terms)."""
    model = model or load_model()
    labels = sorted(c.neo4j_label for c in model.resolved_classes() if c.neo4j_label)
    return [
        f"CREATE FULLTEXT INDEX {INDEX_NAME} IF NOT EXISTS FOR (n:"
        + "|".join(f"`{label}`" for label in labels)
        + f") ON EACH [n.`{system.BLOCK_KEYS}`] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword'}}"
    ]

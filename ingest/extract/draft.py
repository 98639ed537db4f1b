"""Assemble a draft case report from what the finders saw in a Document.

Every claim is built from whole sentences of the text and cites them as evidence with their
character offsets, so a reviewer can check it at a glance. The report is `unreviewed`, every
allegation `alleged` (a company's denial is kept as its `response`, never as a verdict), and
the draft is checked against the SHACL shapes before anyone sees it.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ingest.evidence import EVIDENCE_DIR, StoredCopy, keep_copy, sha256_hex
from ingest.extract.dates import find_dates
from ingest.extract.gazetteer import Entity, Gazetteer, Mention, Spans, bundled
from ingest.extract.money import find_amounts
from ingest.extract.orgs import find_organisations
from ingest.extract.regions import (
    RegionInfo,
    RegionMention,
    countries,
    country_names,
    find_regions,
)
from ingest.extract.rules import Rules, load_rules
from ingest.extract.text import Document
from ingest.normalize import normalise_name, slug
from ontology.model import CONTEXT_URL, load_model
from ontology.records import Record, RecordError, check_record
from ontology.validate import Violation, validate_records

ORG_TYPE = "CivilSocietyOrganization"  # what a newly listed signatory is proposed as
REFERENT = re.compile(
    r"\b(?:compan(?:y|ies)|firms?|their|its|they|both|products?|suppliers?|manufacturers?|makers?|vendors?)\b",
    re.I,
)
OPEN_LETTER = re.compile(
    r"\b(?:(?:in|an|the|a|this|their)\s+)*open\s+letter(?:\s+to\s+(?P<to>(?:the\s+)?[A-Z][^,.;:“”\"]*))?",
    re.I,
)
COALITION = re.compile(
    r"\b(?:a\s+)?(?:coalition|group|alliance)\s+of\s+(?:[\w-]+\s+){0,3}(?:human\s+rights\s+)?(?:organi[sz]ations|NGOs|groups)\b",
    re.I,
)
PLURAL_CONTRACT = re.compile(r"\b(?:contracts|projects|tenders|deals|PPPs)\b", re.I)
# a contract noun followed by "with" and a capitalised name: the buyer is stated
CONTRACT_WITH = re.compile(
    r"\b(?:contracts?|agreements?|kontrakt\w*|avtal\w*|aftale\w*|Vertr[aä]ge?n?)\s+"
    r"(?:med|with|mit)\s+(?:the\s+|der\s+|dem\s+)?[A-ZÆØÅÄÖÜ]",
)
EACH_OR_ALL = re.compile(r"\b(?:both|each|all|together|combined|jointly)\b", re.I)


@dataclass(frozen=True)
class Item:
    """One piece of evidence: what it supports, the exact quote and where it stands."""

    kind: str
    record: str
    quote: str
    start: int
    end: int


@dataclass
class Draft:
    document: Document
    report: Record
    records: list[Record]
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    copy: StoredCopy | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_type(self, type_name: str) -> list[Record]:
        return [r for r in self.records if r["type"] == type_name]

    def to_yaml(self) -> str:
        header = (
            "# Machine draft by `rightsgraph extract` — UNREVIEWED. Every claim cites the "
            "sentence it\n"
            "# was drawn from (quote) and where it stands (locator: paragraph and character "
            "offsets in\n"
            "# the evidentiary copy named by sourceText). Allegations stay `alleged` until a "
            "person has\n"
            "# checked them; fix or delete what is wrong, then set reviewStatus: reviewed and "
            "ingest.\n"
        )
        return report_yaml(self.report, self.records, header)


def report_yaml(report: Record, records: list[Record], header: str = "") -> str:
    """A case report as YAML: the Report's fields, then its records under `@graph`."""
    doc = {"@context": CONTEXT_URL, **report, "@graph": records}
    body = yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


class _PlainDumper(yaml.SafeDumper):
    """Writes shared lists out in full: a reviewer reads no YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass
class _Builder:
    doc: Document
    rules: Rules
    gazetteer: Gazetteer
    article_id: str = ""
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    language: str = "en"
    base: dt.date | None = None  # the article's date: dates without a year take theirs

    @property
    def common(self) -> frozenset[str]:
        """Common words of every bundled language (never a name on their own)."""
        return frozenset().union(*self.rules.languages.values())

    def dates(self, start: int, end: int) -> list:
        return find_dates(self.text, start, end, base=self.base)

    def amounts(self, start: int, end: int) -> list:
        return find_amounts(self.text, start, end, language=self.language)

    @property
    def text(self) -> str:
        return self.doc.text

    def evidence(
        self, kind: str, record_id: str, start: int, end: int, source: str | None = None
    ) -> dict[str, str]:
        start, end = _trim(self.text, start, end)
        quote = self.text[start:end]
        self.items.append(Item(kind, record_id, quote, start, end))
        return {
            "source": source or self.article_id,
            "quote": quote,
            "locator": self.doc.locator(start, end),
        }

    def sentences(self) -> list[tuple[int, int]]:
        return [s for s in self.doc.sentences if s[0] < self.doc.body_end]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _overlaps(mentions: list[Mention], starts: list[int], start: int, end: int) -> bool:
    """Whether a span overlaps one of the (start-sorted, mostly disjoint) mentions."""
    i = bisect_left(starts, end)
    return any(m.end > start for m in mentions[max(0, i - 3) : i])


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def short_name(entity: Entity) -> str:
    """A reader's name: the shortest Latin-script alias that is a real word, else the name."""
    if entity.is_a("Fund") or entity.is_a("GovernmentBody"):
        return entity.name
    names = [n for n in entity.names if n.isascii() and len(n) >= 3 and not n.isupper()]
    return min(names, key=len) if names else entity.name


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------------- finding


def _entity_mentions(b: _Builder) -> list[Mention]:
    """Names the gazetteer knows, organisations found by the form of their names, and investors
    known by what they did ("Folksam har uteslutit X")."""
    known = b.gazetteer.find(b.text, b.doc.body_end)
    found = find_organisations(b.text, b.doc.body_end, b.gazetteer, known, b.common)
    return sorted(found + _investors_by_deed(b, found), key=lambda m: m.start)


FUND_MEASURES = ("exclusion", "observation", "other")
_DOER = re.compile(
    r"^\s*(?P<name>[A-ZÆØÅÄÖÜ][\w&-]+(?:[ \t]+[A-ZÆØÅÄÖÜ][\w&-]+){0,2})[ \t]+"
    r"(?:(?:har|has|hat|have|had|hadde|havde|hade)[ \t]+)?(?:nå[ \t]+|nu[ \t]+|now[ \t]+)?$"
)


def _proper_noun(text: str, word: str) -> bool:
    """Whether a word is written capitalised somewhere other than at a sentence's start, and
    never in lower case."""
    if re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", text):
        return False
    return any(
        text[: m.start()].rstrip()[-1:] not in ("", ".", "!", "?", "\n", ":")
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
    )


def _investors_by_deed(b: _Builder, mentions: list[Mention]) -> list[Mention]:
    """The subject of a sentence that opens "X har uteslutit …", "X has sold its shares …" is
    an investor (a Fund) even when its name carries no fund word: proposed as new, with every
    later use of the name."""
    text, end = b.text, b.doc.body_end
    taken = Spans([(m.start, m.end) for m in mentions])
    names: dict[str, Entity] = {}
    for s in b.sentences():
        hits = [h for h in b.rules.measure.find(text, *s) if h.key in FUND_MEASURES]
        m = _DOER.match(text[s[0] : hits[0].start]) if hits else None
        if m is None:
            continue
        name = m.group("name")
        words = name.casefold().split()
        if any(w in b.common for w in words) or name.casefold() in country_names():
            continue
        at = s[0] + m.start("name")
        if taken.overlapping(at, at + len(name)) or find_regions(name, len(name)):
            continue
        if len(words) == 1 and not (name.isupper() or _proper_noun(text[:end], name)):
            continue  # "Disse ble solgt", "Pensionskassen har solgt": no name
        names.setdefault(name, Entity(slug(name), "Fund", name))
    out = []
    for name, entity in names.items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text[:end]):
            if not taken.overlapping(m.start(), m.end()):
                out.append(Mention(entity, m.start(), m.end(), name, 100.0, "form"))
    return out


def _listed_organisations(
    b: _Builder, mentions: list[Mention]
) -> tuple[list[Mention], list[tuple[int, int]]]:
    """Members of lists such as "The Organizations are A, B and C": known or new organisations."""
    members: list[Mention] = []
    spans: list[tuple[int, int]] = []
    starts = [m.start for m in mentions]
    for hit in b.rules.list_intros.find(b.text, 0, b.doc.body_end):
        sentence = b.doc.sentence_at(hit.start)
        pos = hit.end
        found_any = False
        for part in re.finditer(r"[^,;]+", b.text[pos : sentence[1]]):
            for piece in re.split(r"\s+and\s+(?=(?:the\s+)?[A-Z])", part.group(0)):
                offset = b.text.find(piece, pos + part.start())
                start, end = _trim(b.text, offset, offset + len(piece))
                start, end = _strip_item(b.text, start, end)
                if end <= start:
                    continue
                nearby = mentions[bisect_left(starts, start) : bisect_left(starts, end)]
                known = [
                    m
                    for m in nearby
                    if start <= m.start
                    and m.end <= end
                    and (m.end - m.start) * 3 >= (end - start) * 2
                ]
                if known:
                    members.append(known[0])
                    found_any = True
                    continue
                phrase = b.text[start:end]
                if not _name_like(phrase):
                    break
                matched = b.gazetteer.match_phrase(phrase)
                if matched is not None:
                    entity, score = matched
                    members.append(
                        Mention(
                            entity,
                            start,
                            end,
                            phrase,
                            round(score, 1),
                            "fuzzy" if score < 100 else "exact",
                        )
                    )
                else:
                    new = Entity(slug(phrase), ORG_TYPE, phrase)
                    members.append(Mention(new, start, end, phrase, 100.0, "list"))
                found_any = True
            else:
                continue
            break
        if found_any:
            spans.append(sentence)
    return _unique_mentions(members), spans


def _strip_item(text: str, start: int, end: int) -> tuple[int, int]:
    m = re.match(r"(?:and\s+)?(?:the\s+)?", text[start:end], re.I)
    start += m.end() if m else 0
    while end > start and text[end - 1] in ".”\"’'":
        end -= 1
    return start, end


def _name_like(phrase: str) -> bool:
    words = phrase.split()
    if not 1 <= len(words) <= 10 or not phrase[0].isupper():
        return False
    small = {"a", "of", "for", "and", "the", "in", "on", "&", "de", "du", "la", "van", "von"}
    return all(w[0].isupper() or w.lower() in small or not w[0].isalpha() for w in words)


def _unique_mentions(mentions: list[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for m in mentions:
        if m.entity.id not in seen:
            seen.add(m.entity.id)
            out.append(m)
    return out


# ---------------------------------------------------------------------- building


@dataclass
class _Found:
    """What the finders saw in the text, and the ids the draft gives to each entity."""

    b: _Builder
    mentions: list[Mention]
    listed: list[Mention]
    list_sentences: list[tuple[int, int]]
    regions: list[RegionMention]
    entities: dict[str, Entity]
    renames: dict[str, str]
    digest: str
    letter: re.Match[str] | None
    claimants: list[str] = field(default_factory=list)
    used_regions: dict[str, RegionInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mention_starts = [m.start for m in self.mentions]
        self.region_starts = [r.start for r in self.regions]
        self.funds = [e for e in self.entities.values() if e.is_a("Fund")]
        self.companies = [e for e in self.entities.values() if e.is_a("Company")]
        self.signatories = [m.entity for m in self.listed]
        self.sentences = self.b.sentences()

    @property
    def text(self) -> str:
        return self.b.text

    def rid(self, entity: Entity) -> str:
        """The entity's id in the draft: the graph's, when linked, else the gazetteer's."""
        return self.renames.get(entity.id, entity.id)

    def in_sentence(self, span: tuple[int, int]) -> list[Entity]:
        first = bisect_left(self.mention_starts, span[0])
        last = bisect_left(self.mention_starts, span[1])
        return _unique(m.entity for m in self.mentions[first:last] if m.end <= span[1])

    def before(self, pos: int, kind: str) -> Entity | None:
        """The entity of a kind mentioned last before `pos` (what "the company" refers to)."""
        i = bisect_left(self.mention_starts, pos)
        for m in reversed(self.mentions[:i]):
            if m.entity.is_a(kind):
                return m.entity
        return None

    def mentioned(self, start: int, end: int, kind: str) -> list[Entity]:
        """Entities of a kind named between two offsets, in order."""
        first = bisect_left(self.mention_starts, start)
        last = bisect_left(self.mention_starts, end)
        return _unique(
            m.entity for m in self.mentions[first:last] if m.end <= end and m.entity.is_a(kind)
        )

    def companies_of(self, span: tuple[int, int], exclude: Iterable[Entity] = ()) -> list[Entity]:
        """The companies a sentence names, else the ones it refers to ("the company",
        "selskapet": the last one named before; "the companies", "both", "their": all of the text)."""
        skip = set(exclude)
        named = [e for e in self.mentioned(*span, "Company") if e not in skip]
        if named:
            return named
        refs = self.b.rules.company_refs.find(self.text, *span)
        if any(h.key == "all" for h in refs) or REFERENT.search(self.text, *span) and not refs:
            every = [e for e in self.companies if e not in skip]
            return [
                e
                for e in every
                if self.parents.get(e) not in every
                or self.first_at(self.parents[e]) > self.first_at(e)
            ]
        if refs:
            last = self.referent(span[0])
            return [last] if last is not None and last not in skip else []
        return []

    def referent(self, pos: int) -> Entity | None:
        """The company "the company", "the group", "selskapet" before `pos` refers to: the last
        one named, or its parent when that one is a subsidiary of a company named before it."""
        last = self.before(pos, "Company")
        seen: set[str] = set()
        while last is not None and last in self.parents and last.id not in seen:
            seen.add(last.id)
            parent = self.parents[last]
            if self.first_at(parent) > self.first_at(last):
                break  # "… Co Ltd; its parent, P": the text is about the subsidiary
            last = parent
        return last

    def first_at(self, entity: Entity) -> int:
        return next((m.start for m in self.mentions if m.entity == entity), len(self.text))

    @cached_property
    def parents(self) -> dict[Entity, Entity]:
        """Each subsidiary's owner, as the text states it (see `_ownership_pairs`)."""
        return {owned: owner for owner, owned, _ in _ownership_pairs(self)}

    def regions_in(self, span: tuple[int, int]) -> list[RegionMention]:
        first = bisect_left(self.region_starts, span[0])
        last = bisect_left(self.region_starts, span[1])
        return [r for r in self.regions[first:last] if r.end <= span[1]]


def _find(b: _Builder, digest: str, graph_ids: dict[str, str] | None, link: Any) -> _Found:
    """Entity mentions (with listed organisations), regions outside them, and their graph ids."""
    text, doc = b.text, b.doc
    mentions = _entity_mentions(b)
    listed, list_sentences = _listed_organisations(b, mentions)
    mentions = sorted(mentions + [m for m in listed if m not in mentions], key=lambda m: m.start)
    mention_starts = [m.start for m in mentions]
    regions = [
        r
        for r in find_regions(text, doc.body_end)
        if not _overlaps(mentions, mention_starts, r.start, r.end)
    ]
    entities: dict[str, Entity] = {}
    for m in mentions:
        entities.setdefault(m.entity.id, m.entity)
    renames = (link(list(entities.values())) if link else None) or dict(graph_ids or {})
    letter = OPEN_LETTER.search(text, 0, doc.body_end)
    return _Found(b, mentions, listed, list_sentences, regions, entities, renames, digest, letter)


def _claimants(f: _Found) -> tuple[list[str], Record | None]:
    """Who makes the claims: the listed signatories, else the organisations named, else a
    coalition the text describes without names (proposed as a new record)."""
    b, text = f.b, f.text
    claimants = [f.rid(e) for e in f.signatories]
    if claimants:
        return claimants, None
    named_orgs = [e for e in f.entities.values() if e.type == ORG_TYPE]
    coalition = COALITION.search(text, 0, b.doc.body_end)
    if named_orgs:
        return [f.rid(e) for e in named_orgs], None
    if not coalition:
        return [], None
    cid = "coalition-" + f.digest[:8]
    coalition_record = {
        "id": cid,
        "type": ORG_TYPE,
        "name": _sentence_case(coalition.group(0)),
        "note": "Proposed: the text names this coalition but not its members; name or "
        "merge it on review.",
        "evidence": [b.evidence("entity", cid, coalition.start(), coalition.end())],
    }
    return [cid], coalition_record


def _demand(f: _Found) -> Record | None:
    """The demand made of a fund (divest, exclude, engage), from the sentences that make it."""
    b, text, rid = f.b, f.text, f.rid
    demand_sentences = [
        s
        for s in f.sentences
        if b.rules.demand.find(text, *s)
        and (b.rules.demand_verbs.find(text, *s) or OPEN_LETTER.search(text, *s))
    ]
    demand_types = [h.key for s in demand_sentences for h in b.rules.demand.find(text, *s)]
    if not demand_sentences:
        return None
    targets: list[Entity] = []
    named: list[Entity] = []
    for s in demand_sentences:
        t, n = _demand_parties(f, s)
        targets += t
        named += n
    targets, named = _unique(targets), _unique(e for e in named if e not in targets)
    kind = max(set(demand_types), key=demand_types.count)
    if not targets:
        b.warnings.append(
            "a demand was found but no fund (or other target) it is aimed at: not drafted"
        )
        return None
    makers = f.claimants or _demand_makers(f, demand_sentences, targets + named)
    if not makers:
        b.warnings.append("a demand was found but nobody who makes it: not drafted")
        return None
    did = "-".join(
        [
            "demand",
            *(["open-letter"] if f.letter else []),
            *(rid(e) for e in targets),
            kind,
            *(rid(e) for e in named),
        ]
    )[:150]
    verb = {"divest": "divest from", "exclude": "exclude", "engage": "engage with"}.get(kind, kind)
    opening = "Open letter calling on" if f.letter else "Call on"
    fund_names = _join([short_name(e) for e in targets])
    company_names = _join([short_name(e) for e in named]) if named else ""
    demand: Record = {
        "id": did,
        "type": "Demand",
        "name": f"{opening} {fund_names} to {verb} {company_names}".strip(),
        "demandType": kind,
        "madeBy": makers,
        "target": [rid(e) for e in targets],
    }
    if named:
        demand["names"] = [rid(e) for e in named]
    demand["evidence"] = [
        b.evidence("demand", did, *s)
        for s in demand_sentences + [s for s in f.list_sentences if s not in demand_sentences]
    ]
    return demand


def _demand_makers(f: _Found, sentences: list[tuple[int, int]], parties: list[Entity]) -> list[str]:
    """Who asks, when the text names no organisation of civil society: the actors named before
    the asking verb of a demand sentence ("Die Gesellschaft für … fordert die X auf")."""
    out: list[str] = []
    for s in sentences:
        verbs = f.b.rules.demand_verbs.find(f.text, *s)
        if verbs:
            out += [
                f.rid(e) for e in f.mentioned(s[0], verbs[0].start, "Actor") if e not in parties
            ]
    return _unique(out)


def _demand_parties(f: _Found, s: tuple[int, int]) -> tuple[list[Entity], list[Entity]]:
    """Who is asked (the actors between the asking verb and what is asked, else the funds of
    the sentence, else the fund it refers to) and whom the demand names (the companies after
    the cue, else the ones the sentence refers to)."""
    b, text = f.b, f.text
    verbs = b.rules.demand_verbs.find(text, *s)
    cues = b.rules.demand.find(text, *s)
    claimants = set(f.claimants)
    cue_at = cues[0].start if cues else s[1]
    verb_at = next((v.start for v in verbs if v.start < cue_at), None)
    targets: list[Entity] = []
    if verb_at is not None:
        targets = [
            e
            for e in f.in_sentence((verb_at, cue_at))
            if f.rid(e) not in claimants
            and (e.is_a("Fund") or e.is_a("Organization"))
            and e.type != ORG_TYPE
        ]
    if not targets:
        targets = [e for e in f.in_sentence(s) if e.is_a("Fund")]
    if not targets and b.rules.fund_refs.find(text, *s):
        last = f.before(s[0], "Fund")
        targets = [last] if last is not None else []
    named = [e for e in f.mentioned(cue_at, s[1], "Company") if e not in targets]
    if not named:
        named = f.companies_of((cue_at, s[1]), exclude=targets) or f.companies_of(
            s, exclude=targets
        )
    return targets, named


def _allegation(f: _Found) -> Record | None:
    """The allegation against the companies, with its harms, places, groups and any response."""
    b, text, rid = f.b, f.text, f.rid
    about = {s: f.companies_of(s) or _companies_before(f, n) for n, s in enumerate(f.sentences)}
    alleging = [s for s in f.sentences if b.rules.allegation.find(text, *s) and about[s]]
    if not (alleging and f.companies):
        return None
    against = _unique(e for s in alleging for e in about[s]) or f.companies
    harms = _unique(
        k for s in alleging for k in b.rules.harm.keys_in(text, *s)
    ) or b.rules.harm.keys_in(text, 0, b.doc.body_end)
    places = _place_regions([r for s in alleging for r in f.regions_in(s)]) or _place_regions(
        f.regions
    )
    groups = _unique(
        k for s in alleging for k in b.rules.groups.keys_in(text, *s)
    ) or b.rules.groups.keys_in(text, 0, b.doc.body_end)
    if not harms:
        b.warnings.append(
            "an allegation was found but no harm category matched the rules: not drafted "
            "(add a rule with --rules)"
        )
        return None
    aid = "-".join(
        [
            "allegation",
            *(["open-letter"] if f.letter else []),
            *(rid(e) for e in against),
            *(r.id for r in places),
        ]
    )[:150]
    labels = (
        load_model().vocabulary(load_model().properties["harmCategory"].vocabulary or "").labels
    )
    where = f" in {_join([r.name for r in places])}" if places else ""
    accused = _join([short_name(e) for e in against])
    harm_words = _join([labels.get(h, h).lower() for h in harms])
    allegation: Record = {
        "id": aid,
        "type": "Allegation",
        "name": f"{accused}: alleged {harm_words}{where}",
        "against": [rid(e) for e in against],
        "harmCategory": harms,
        "status": "alleged",
        "description": "As alleged in the text (machine draft, unreviewed): "
        + _alleging_text(f, alleging),
    }
    if f.claimants:
        allegation["claimant"] = f.claimants
    if places:
        allegation["concerns"] = [r.id for r in places]
        f.used_regions.update({r.iso3166: r for r in places})
    if groups:
        allegation["affectedGroup"] = groups
    evidence = [b.evidence("allegation", aid, *s) for s in alleging]
    evidence += _response(f, allegation, against, alleging)
    allegation["evidence"] = evidence
    return allegation


def _companies_before(f: _Found, number: int) -> list[Entity]:
    """The companies of the sentence before, in the same paragraph, for a sentence that names
    none ("… the company pays rent to the army. The army is accused of killing civilians.")."""
    if number == 0:
        return []
    s, prev = f.sentences[number], f.sentences[number - 1]
    if f.b.doc.paragraph_at(s[0]) != f.b.doc.paragraph_at(prev[0]):
        return []
    return f.companies_of(prev)


def _alleging_text(f: _Found, alleging: list[tuple[int, int]]) -> str:
    """The alleging sentences of the body's paragraphs (else the first one), clipped."""
    text = f.text
    return _clip(
        " ".join(
            text[s[0] : s[1]].strip()
            for s in alleging
            if f.b.doc.locator(*s).startswith("paragraph")
        )[:900]
        or text[alleging[0][0] : alleging[0][1]],
        900,
    )


def _response(
    f: _Found, allegation: Record, against: list[Entity], alleging: list[tuple[int, int]]
) -> list[dict[str, str]]:
    """A company's answer the text reports, kept as the allegation's `response` (never a verdict);
    the evidence of the answering sentences that do not allege."""
    b, text = f.b, f.text
    answers = [
        s
        for s in f.sentences
        if b.rules.response.find(text, *s) and any(e in against for e in f.companies_of(s))
    ]
    if not answers:
        return []
    allegation["response"] = _clip(" ".join(text[s[0] : s[1]].strip() for s in answers), 900)
    allegation["note"] = (
        "The text reports a response (see response); status stays alleged in a draft — "
        "a reviewer may set it to responded or disputed."
    )
    return [b.evidence("response", allegation["id"], *s) for s in answers if s not in alleging]


def _contracts(f: _Found) -> list[Record]:
    """Contracts: from a sentence with a contract noun and a verb or status, the suppliers it
    names or refers to, and a buyer, an amount or a region; a later sentence of the same
    paragraph that gives a status ("Both contracts were terminated") gives it to them."""
    out: list[Record] = []
    for s in f.sentences:
        drafted = _contract(f, s)
        if drafted:
            out += drafted
            continue
        status = _status(f, s)
        if status and f.b.rules.contract_nouns.find(f.text, *s):
            para = f.b.doc.paragraph_at(s[0])
            for c in out:
                if c.get("contractStatus") is None and para is not None and c["_para"] == para:
                    c["contractStatus"] = status
                    c["evidence"].append(f.b.evidence("contract", c["id"], *s))
    for c in out:
        c.pop("_para", None)
    return out


def _status(f: _Found, s: tuple[int, int]) -> str | None:
    hits = f.b.rules.contract_status.find(f.text, *s)
    return hits[0].key if hits else None


def _contract(f: _Found, s: tuple[int, int]) -> list[Record]:
    b, text, rid = f.b, f.text, f.rid
    status = _status(f, s)
    if not b.rules.contract_nouns.find(text, *s):
        return []
    buyers = [e for e in f.in_sentence(s) if e.is_a("GovernmentBody")]
    if not (b.rules.contract_verbs.find(text, *s) or status or CONTRACT_WITH.search(text, *s)):
        return []  # "X's contract with the Lhasa … Bureau, worth …" needs no verb
    amounts = b.amounts(*s)
    places = _place_regions(f.regions_in(s))
    suppliers = f.companies_of(s)
    if not (suppliers and (amounts or places or buyers)):
        return []
    plural = bool(PLURAL_CONTRACT.search(text, *s))
    dates = b.dates(*s)
    period = next((d for d in dates if d.kind in ("start", "period")), None)
    ending = next((d for d in dates if d.kind == "end"), None)
    point = next((d for d in dates if d.kind == "date"), None)
    out = []
    for buyer in buyers or [None]:
        tail = (
            f"-since-{period.date}"
            if period and period.kind == "start"
            else (f"-{period.date}" if period else (f"-{point.date}" if point else ""))
        )
        cid = (
            ("contracts-" if plural else "contract-")
            + "-".join(
                [
                    *(r.id for r in places),
                    *([rid(buyer)] if buyer else []),
                    *(rid(e) for e in suppliers),
                ]
            )
            + tail
        )[:150]
        where = f" in {_join([r.name for r in places])}" if places else ""
        with_buyer = f" with {buyer.name}" if buyer else ""
        contract: Record = {
            "id": cid,
            "type": "Contract",
            "aggregate": plural,
            "name": f"{'Contracts' if plural else 'Contract'}{with_buyer}{where}"
            f" won by {_join([short_name(e) for e in suppliers])}"
            + (f" since {period.date}" if period and period.kind == "start" else ""),
            "supplier": [rid(e) for e in suppliers],
        }
        if places:
            contract["performedIn"] = [r.id for r in places]
        if buyer:
            contract["buyer"] = rid(buyer)
        if status:
            contract["contractStatus"] = status
        if f.claimants and re.search(
            r"\b(?:letter|report|according|claims?|says|said|states)\b", text[s[0] : s[1]], re.I
        ):
            contract["claimant"] = f.claimants
        if amounts:
            amount = amounts[0]
            contract.update(amount.properties())
            contract["currency"] = amount.currency
            if len(suppliers) > 1 and EACH_OR_ALL.search(text, *s):
                contract["note"] = (
                    f"“{amount.text}” may be each supplier's figure or all of theirs together; "
                    "recorded as stated for the aggregate — check on review."
                )
        if period:
            contract.update(period.properties())
        elif point and (ending or not plural):
            contract["startDate"] = point.date  # "signed in 2017 (… until 2032)", "won in 2019"
        elif point:
            contract["date"] = point.date  # "In April 2017 Huawei won contracts …": awarded
        if ending and "endDate" not in contract:
            contract["endDate"] = ending.date
        contract["evidence"] = [b.evidence("contract", cid, *s)]
        contract["_para"] = b.doc.paragraph_at(s[0])
        f.used_regions.update({r.iso3166: r for r in places})
        out.append(contract)
    return out


IMPOSERS = ("Fund", "GovernmentBody")


def _measures(f: _Found) -> list[Record]:
    """Measures taken: a fund's exclusion, observation or sale, a government's trade list or
    sanction — each with who took it, whom it applies to, and its date and amount if stated."""
    b, text, rid = f.b, f.text, f.rid
    found: dict[str, Record] = {}
    for number, s in enumerate(f.sentences):
        hits = b.rules.measure.find(text, *s)
        if not hits:
            continue
        verbs = b.rules.demand_verbs.find(text, *s)
        if verbs and verbs[0].start < hits[0].start and b.rules.demand.find(text, *s):
            continue  # "urged the fund to exclude …" is a demand, not a measure
        dates = b.dates(*s) or _attribution_dates(f, number)
        seen_types: set[str] = set()
        for n, hit in enumerate(hits):
            if hit.key in seen_types:
                continue
            seen_types.add(hit.key)
            imposer = _imposer(f, s, hit.start)
            nxt = next((h.start for h in hits[n + 1 :] if h.key != hit.key), s[1])
            holding = _holding_before(f, number) if hit.key == "other" else None
            if imposer is None and holding is not None:
                imposer = _imposer(f, holding, holding[1])
            skip = [imposer] if imposer else []
            applies = [e for e in f.mentioned(hit.start, nxt, "Company") if e not in skip]
            if not applies:
                applies = f.companies_of(s, exclude=skip)
            if not applies and holding is not None:
                applies = f.companies_of(holding, exclude=skip)
            if not applies:
                last = f.before(s[0], "Company")
                applies = [last] if last is not None and last not in skip else []
            if not applies:
                continue
            mid = "-".join(
                [
                    "measure",
                    hit.key,
                    *([rid(imposer)] if imposer else []),
                    *(rid(e) for e in applies),
                ]
            )[:150]
            if mid in found:
                found[mid]["evidence"].append(b.evidence("measure", mid, *s))
                continue
            label = {"other": "sale of holdings", "entity-list": "trade-list entry"}.get(
                hit.key, hit.key
            )
            by = f" by {short_name(imposer)}" if imposer else ""
            measure: Record = {
                "id": mid,
                "type": "Measure",
                "name": f"{label.capitalize()}{by}: {_join([short_name(e) for e in applies])}",
                "measureType": hit.key,
                "appliesTo": [rid(e) for e in applies],
            }
            if imposer:
                measure["imposedBy"] = rid(imposer)
            if hit.key == "other":
                measure["note"] = "A sale (divestment) of holdings, as the text states it."
            when = dates[0] if dates else None
            if when is not None:
                measure.update(when.properties())
            amounts = b.amounts(*s) or (b.amounts(*holding) if holding else [])
            if amounts:
                measure.update(amounts[0].properties())
                measure["currency"] = amounts[0].currency
            measure["evidence"] = [b.evidence("measure", mid, *s)]
            if holding is not None:
                measure["evidence"].insert(0, b.evidence("measure", mid, *holding))
            found[mid] = measure
    return list(found.values())


def _holding_before(f: _Found, number: int) -> tuple[int, int] | None:
    """The sentence before a sale that states the holding sold, with its amount ("KLP eide
    aksjer for 45 millioner kroner i selskapet. Alle aksjene er nå solgt."): same paragraph,
    an amount, no measure cue — only when the sale's own sentence names no amount."""
    if number == 0:
        return None
    s, prev = f.sentences[number], f.sentences[number - 1]
    b = f.b
    if b.amounts(*s) or b.doc.paragraph_at(s[0]) != b.doc.paragraph_at(prev[0]):
        return None
    if b.rules.measure.find(f.text, *prev) or not b.amounts(*prev):
        return None
    return prev


def _attribution_dates(f: _Found, number: int) -> list:
    """The date of the sentence after a measure that only says who announced it and when ("It
    said so on 3 March 2022."): same paragraph, no measure cue, no company named."""
    if number + 1 >= len(f.sentences):
        return []
    s, nxt = f.sentences[number], f.sentences[number + 1]
    b = f.b
    if b.doc.paragraph_at(s[0]) != b.doc.paragraph_at(nxt[0]):
        return []
    if b.rules.measure.find(f.text, *nxt) or f.mentioned(nxt[0], nxt[1], "Company"):
        return []
    return [d for d in b.dates(*nxt) if d.kind == "date"]


def _imposer(f: _Found, s: tuple[int, int], cue: int) -> Entity | None:
    """Who takes a measure: a fund or government body named in the sentence (before the cue
    first), else a company before the cue, else the fund the sentence refers to."""
    named = f.in_sentence(s)
    for kinds, span in ((IMPOSERS, (s[0], cue)), (IMPOSERS, s)):
        for e in named:
            if any(e.is_a(k) for k in kinds) and e in f.mentioned(span[0], span[1], "Actor"):
                return e
    if f.b.rules.fund_refs.find(f.text, *s):
        return f.before(s[0], "Fund")
    before = f.mentioned(s[0], cue, "Company")
    if before and f.mentioned(cue, s[1], "Company"):
        return before[0]
    return None


def _subject_before(f: _Found, pos: int, skip: list[Entity]) -> Entity | None:
    """The company the last sentence before `pos` that names one is about (its first)."""
    for s in reversed([s for s in f.sentences if s[1] <= pos]):
        named = [e for e in f.mentioned(s[0], s[1], "Company") if e not in skip]
        if named:
            return named[0]
    return f.before(pos, "Company")


def _ownerships(f: _Found) -> list[Record]:
    """Ownership stated in text: "via five of its subsidiaries: A, B …" (the company the
    sentence is about owns each), "its parent, P" / "X is owned by P" (P owns X)."""
    b, rid = f.b, f.rid
    found: dict[str, Record] = {}
    for owner, owned, s in _ownership_pairs(f):
        oid = f"ownership-{rid(owner)}-{rid(owned)}"[:150]
        if oid in found:
            continue
        found[oid] = {
            "id": oid,
            "type": "Ownership",
            "name": f"{short_name(owner)} owns {short_name(owned)}",
            "owner": rid(owner),
            "owned": rid(owned),
            "evidence": [b.evidence("ownership", oid, *s)],
        }
    return list(found.values())


def _ownership_pairs(f: _Found) -> list[tuple[Entity, Entity, tuple[int, int]]]:
    """(owner, owned, sentence) for each ownership the text states."""
    b, text = f.b, f.text
    out: list[tuple[Entity, Entity, tuple[int, int]]] = []
    for s in f.sentences:
        parents = b.rules.parent.find(text, *s)
        for hit in parents:
            owners = f.mentioned(hit.end, s[1], "Actor")
            owned = f.mentioned(s[0], hit.start, "Company")
            if owners and owned and owners[0] != owned[-1]:
                out.append((owners[0], owned[-1], s))
        for hit in b.rules.subsidiary.find(text, *s):
            if any(p.start <= hit.start < p.end for p in parents):
                continue
            subs = f.mentioned(hit.end, s[1], "Company")
            owners = [e for e in f.mentioned(s[0], hit.start, "Company") if e not in subs]
            owner = owners[0] if owners else _subject_before(f, s[0], subs)
            out += [(owner, e, s) for e in subs if owner is not None and e != owner]
    return out


def _article(f: _Found, title: str, publisher: str | None, source_url: str | None) -> Record:
    """The Source of the text itself."""
    doc = f.b.doc
    article: Record = {"id": f.b.article_id, "type": "Source", "name": title}
    if source_url or doc.url:
        article["url"] = source_url or doc.url
    if publisher:
        article["publisher"] = publisher
    if doc.authors:
        article["author"] = doc.authors
    published = _published(doc.published)
    if published:
        article["published"] = published
    article["retrieved"] = dt.date.today().isoformat()
    article["sourceType"] = "article"
    article["language"] = f.b.language
    article["sha256"] = f.digest
    return article


def _credited_sources(f: _Found, title: str, publisher: str | None) -> list[Record]:
    """The sources the text credits ("according to a report by X"), one per publisher."""
    b, text = f.b, f.text
    credited: dict[str, Record] = {}
    for hit in b.rules.source_credits.find(text, 0, len(text)):
        if hit.inner is None:
            continue
        name = text[hit.inner[0] : hit.inner[1]].strip().rstrip(".")
        name = re.sub(r"^the\s+", "", name, flags=re.I)
        if not name or normalise_name(name) == normalise_name(publisher or ""):
            continue
        key = normalise_name(name)
        sid = f"src-{slug(name, 50)}-{f.digest[:8]}"
        rec = credited.setdefault(
            key,
            {
                "id": sid,
                "type": "Source",
                "name": f"{name} report credited by “{_clip(title, 80)}”",
                "publisher": name,
                "sourceType": "article",
                "citedBy": [b.article_id],
                "note": "Known only through the article's credit; title, date and URL to be "
                "found on review.",
                "evidence": [],
            },
        )
        rec["evidence"].append(b.evidence("source", rec["id"], hit.start, hit.end))
    return list(credited.values())


def _letter_source(f: _Found, title: str, credited: list[Record]) -> Record | None:
    """The open letter the text relays, cited by the article and by the credited sources
    whose credit speaks of a letter."""
    b, text, letter = f.b, f.text, f.letter
    if not letter:
        return None
    to = letter.group("to")
    lid = "src-open-letter-" + ("-".join(f.rid(e) for e in f.companies) or f.digest[:8])
    letter_rec: Record = {
        "id": lid[:150],
        "type": "Source",
        "name": f"Open letter to {to.strip()}"
        if to
        else f"Open letter cited by “{_clip(title, 80)}”",
        "sourceType": "letter",
    }
    if f.signatories:
        letter_rec["author"] = [e.name for e in f.signatories]
    relays = [
        r["id"]
        for r in credited
        if any(
            re.search(
                r"\bletter\b",
                text[b.doc.sentence_at(i.start)[0] : b.doc.sentence_at(i.start)[1]],
            )
            for i in b.items
            if i.record == r["id"]
        )
    ]
    letter_rec["citedBy"] = [b.article_id, *relays]
    letter_rec["language"] = b.language
    letter_rec["evidence"] = [b.evidence("source", letter_rec["id"], letter.start(), letter.end())]
    return letter_rec


def _entity_records(f: _Found) -> list[Record]:
    """Each entity (and a fund's manager the text does not name), with the words naming it."""
    b, rid, renames = f.b, f.rid, f.renames
    records: list[Record] = []
    for eid, entity in f.entities.items():
        rec = entity.record()
        rec["id"] = rid(entity)
        if "manager" in rec:
            rec["manager"] = renames.get(rec["manager"], rec["manager"])
        seen_forms: set[str] = set()
        evidence = []
        notes = []
        for m in f.mentions:
            if m.entity.id != eid or m.text in seen_forms or len(seen_forms) >= 3:
                continue
            seen_forms.add(m.text)
            evidence.append(b.evidence("entity", rec["id"], m.start, m.end))
            if m.method == "fuzzy":
                notes.append(f"matched “{m.text}” by spelling (similarity {m.score})")
        by_form = any(m.entity.id == eid and m.method in ("form", "short") for m in f.mentions)
        if b.gazetteer.by_id(entity.id) is None and eid in renames:
            notes.append(
                f"linked to the graph's entity {renames[eid]} (search index and resolution keys)"
            )
        elif by_form and b.gazetteer.by_id(entity.id) is None:
            notes.append(
                f"new {entity.type} found by the form of its name; proposed id, not in the "
                "gazetteer nor found in the graph — check it on review"
            )
        elif entity.type == ORG_TYPE and b.gazetteer.by_id(entity.id) is None:
            notes.append(
                "new organisation named in a list; proposed id, check it is not already in the "
                "graph"
            )
        if notes:
            rec["note"] = "; ".join(notes) + "."
        rec["evidence"] = evidence
        records.append(rec)
        manager = rec.get("manager")
        if manager and manager not in {rid(e) for e in f.entities.values()}:
            known = b.gazetteer.by_id(manager)
            if known is not None:
                records.append(known.record())
    return records


def _region_records(f: _Found) -> list[Record]:
    """The regions the claims concern and the subdivisions named, with their countries."""
    used_regions = f.used_regions
    for r in f.regions:
        if not r.region.is_country:
            used_regions.setdefault(r.region.iso3166, r.region)
    for info in list(used_regions.values()):
        parent = countries().get(info.country_code)
        if not info.is_country and parent is not None:
            used_regions.setdefault(parent.iso3166, parent)
    records: list[Record] = []
    for info in used_regions.values():
        rec: Record = {"id": info.id, "type": "Region", "name": info.name}
        if info.alias:
            rec["alias"] = list(info.alias)
        rec["iso3166"] = info.iso3166
        if info.region_type:
            rec["regionType"] = info.region_type
        if info.wikidata_id:
            rec["wikidataId"] = info.wikidata_id
        parent = countries().get(info.country_code)
        if not info.is_country and parent is not None:
            rec["partOf"] = parent.id
        forms: set[str] = set()
        evidence = []
        for r in f.regions:
            if r.region.iso3166 == info.iso3166 and r.text not in forms and len(forms) < 3:
                forms.add(r.text)
                evidence.append(f.b.evidence("region", info.id, r.start, r.end))
        if evidence:
            rec["evidence"] = evidence
        records.append(rec)
    return records


def _report(doc: Document, title: str, digest: str) -> Record:
    return {
        "id": f"draft-{slug(title, 50)}-{digest[:8]}",
        "type": "Report",
        "name": f"Draft: {_clip(title, 150)}",
        "reviewStatus": "unreviewed",
        "sourceText": f"{EVIDENCE_DIR}/{digest}.txt",
        "description": (
            "Machine draft by `rightsgraph extract` from "
            f"{doc.path.name if doc.path else 'a text'} "
            f"(sha256 {digest}). Each claim cites its quote with paragraph and character offsets; "
            "allegations stay alleged until a person reviews them."
        ),
    }


def build_draft(
    doc: Document,
    *,
    rules: Rules | None = None,
    gazetteer: Gazetteer | None = None,
    source_url: str | None = None,
    publisher: str | None = None,
    store: Path | None = None,
    keep: bool = True,
    graph_ids: dict[str, str] | None = None,
    link: Any = None,
) -> Draft:
    """The draft report of one document. `link(entities) -> {id: graph id}` links to the graph."""
    b = _Builder(doc, rules or load_rules(), gazetteer or bundled())
    b.warnings.extend(doc.warnings)
    language = b.rules.language_of(doc.body)
    if language is None:
        b.warnings.append(
            "the text does not look like any language the bundled rules cover ("
            + ", ".join(sorted(b.rules.languages))
            + "); expect names (which are language-independent) but few claims — review the "
            "draft with care, or add rules with --rules"
        )
    b.language = language or "en"
    published = _published(doc.published)
    b.base = dt.date.fromisoformat(published) if published and len(published) == 10 else None
    digest = sha256_hex(doc.text.encode("utf-8"))
    copy = None
    if keep:
        copy = keep_copy(
            doc.text,
            original=doc.path,
            store=store,
            format=doc.format,
            originalSha256=doc.original_sha256,
            encoding=doc.encoding,
        )
        digest = copy.sha256
    title = doc.title or (doc.path.stem if doc.path else "untitled text")
    publisher = publisher or doc.publisher
    b.article_id = "src-" + slug(f"{publisher or 'article'} {title}", 70)

    # the order of the steps is the order of the evidence items (and the letter's relays
    # look at the items of the credited sources)
    found = _find(b, digest, graph_ids, link)
    found.claimants, coalition = _claimants(found)
    facts = [r for r in (_demand(found), _allegation(found)) if r is not None]
    facts += _contracts(found)
    facts += _measures(found) + _ownerships(found)
    credited = _credited_sources(found, title, publisher)
    letter = _letter_source(found, title, credited)
    sources = [_article(found, title, publisher, source_url), *([letter] if letter else [])]
    sources += credited
    records = _entity_records(found) + ([coalition] if coalition else [])
    records += _region_records(found)

    draft = Draft(
        doc, _report(doc, title, digest), sources + records + facts, b.items, b.warnings, copy=copy
    )
    draft.violations = check_draft(draft)
    if not facts:
        b.warnings.append(
            "no demand, allegation or contract claim was found: the draft holds sources and "
            "names only"
        )
    return draft


def check_draft(draft: Draft) -> list[Violation]:
    """Record shapes and SHACL shapes, as ingest will check them."""
    checked = []
    try:
        for r in [draft.report, *draft.records]:
            checked.append(check_record(r))
    except RecordError as exc:
        return [Violation(exc.record, exc.rule, exc.message)]
    return validate_records(checked)


def _place_regions(found: list[RegionMention]) -> list[RegionInfo]:
    """Subdivisions named, or else countries: where a claim is said to take place."""
    infos = _unique(r.region for r in found)
    subs = [r for r in infos if not r.is_country]
    return subs or infos


def _published(value: str | None) -> str | None:
    if not value:
        return None
    dates = find_dates(value)
    return dates[0].date if dates and dates[0].kind == "date" else None


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence_case(phrase: str) -> str:
    phrase = re.sub(r"^(?:a|an|the)\s+", "", phrase.strip(), flags=re.I)
    return phrase[:1].upper() + phrase[1:]

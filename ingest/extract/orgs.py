"""Organisations the gazetteer does not know, found by the form of their names.

A run of capitalised words (with the small words that join names: "of", "og", "für" …) is an
organisation when it carries a legal form or an organisation word: rigour's database of legal
forms and its name tagger (OpenSanctions; "GmbH", "A/S", "Co Ltd", "Fund", "Ministry",
"Bureau", "Foundation" …) first, then `org_forms.yaml` for what rigour lacks (the
Scandinavian and German compounds "Landspensjonskasse", "AP-fonden", "Kreisregierung"; "ASA").
The kind follows the words: a fund word makes a Fund, a government word a GovernmentBody, an
association word a CivilSocietyOrganization, a legal form or company word a Company. A name
that only repeats a known one ("Hikvision Digital Technology Co., Ltd" for the gazetteer's
"Hikvision Digital Technology") is that entity; a longer name that contains one ("Moyu
Hikvision Intelligent Technology Co Ltd") is a new entity. A company's or fund's short name
("Brightview" for "Xiamen Brightview Electronic Technology Co Ltd") is found afterwards too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from rigour.names import NameTypeTag, analyze_names, extract_org_types

from ingest.extract.gazetteer import Entity, Gazetteer, Mention, Spans
from ingest.extract.regions import country_names
from ingest.normalize import normalise_name, slug

FORMS_FILE = Path(__file__).with_name("org_forms.yaml")
KINDS = ("Fund", "GovernmentBody", "CivilSocietyOrganization", "Company")
# a word of a name: letters (and digits, &, /, hyphens, apostrophes inside); "Co." keeps its dot
_TOKEN = re.compile(r"[^\W_](?:[\w&/'’-]*[\w&])?\.?|&")
_POSSESSIVE = re.compile(r"['’]s?$")
_CONJUNCTIONS = frozenset({"and", "og", "och", "und", "&", "or", "eller"})


@dataclass(frozen=True)
class Forms:
    words: dict[str, frozenset[str]]  # kind -> words and phrases (casefolded)
    suffixes: dict[str, tuple[str, ...]]
    rigour: dict[str, frozenset[str]]
    descriptors: frozenset[str]
    descriptor_suffixes: tuple[str, ...]
    connectors: frozenset[str]
    lowercase_heads: frozenset[str]
    media: frozenset[str]
    not_names: frozenset[str]
    appositives: re.Pattern[str] | None = None

    def kind_of_token(self, token: str) -> str | None:
        t = token.casefold().rstrip(".")
        for kind in KINDS:
            if t in self.words[kind] or any(
                t.endswith(s) and len(t) > len(s) + 2 for s in self.suffixes[kind]
            ):
                return kind
        return None

    def is_descriptor(self, token: str) -> bool:
        t = token.casefold().rstrip(".")
        return t in self.descriptors or t.endswith(self.descriptor_suffixes)


@cache
def forms() -> Forms:
    data = yaml.safe_load(FORMS_FILE.read_text(encoding="utf-8"))

    def low(values: list[str] | None) -> frozenset[str]:
        return frozenset(str(v).casefold() for v in values or [])

    return Forms(
        words={k: low(data[k].get("words")) for k in KINDS},
        suffixes={k: tuple(low(data[k].get("suffixes"))) for k in KINDS},
        rigour={k: frozenset(data[k].get("rigour") or []) for k in KINDS},
        descriptors=low(data["descriptors"]["words"]),
        descriptor_suffixes=tuple(low(data["descriptors"]["suffixes"])),
        connectors=low(data["connectors"]),
        lowercase_heads=low(data["lowercase_heads"]),
        media=low(data["media"]),
        not_names=low(data["not_names"]),
        appositives=_appositive_pattern(data.get("appositives") or {}),
    )


def _appositive_pattern(groups: dict[str, list[str]]) -> re.Pattern[str] | None:
    """One pattern for the appositive words, its group named after the kind they give."""
    parts = [
        f"(?P<{kind}>"
        + "|".join(re.escape(str(w)) for w in sorted(words, key=len, reverse=True))
        + ")"
        for kind, words in groups.items()
        if kind in KINDS and words
    ]
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(parts) + r")[ \t]+(?=[A-ZÆØÅÄÖÜ])", re.I)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    kind: str
    marker: str  # the word that made it an organisation


def _runs(text: str, start: int, end: int, f: Forms) -> list[list[re.Match[str]]]:
    """Runs of name words on one line, joined by connectors and the commas of "Co., Ltd."."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    prev_end = None
    tokens = list(_TOKEN.finditer(text, start, end))
    for i, m in enumerate(tokens):
        word = m.group(0)
        gap = text[prev_end : m.start()] if prev_end is not None else ""
        joined = prev_end is not None and (
            re.fullmatch(r"[ \t\u00a0]+", gap)
            or (re.fullmatch(r",[ \t]*", gap) and _is_legal_form(word))
        )
        if current and not joined:
            runs.append(current)
            current = []
        capital = word[0].isupper()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        spaced = nxt is not None and text[m.end() : nxt.start()] == " "
        if capital or (current and word.casefold() in f.connectors):
            current.append(m)
        elif current and word.casefold().rstrip(".") in f.lowercase_heads:
            current.append(m)
            runs.append(current)
            current = []
        elif current and spaced and _inner_lowercase(current[-1].group(0), word, nxt, f):
            current.append(
                m
            )  # "Gesellschaft für bedrohte Völker", "Bergen kommunale pensjonskasse"
        elif (
            not current
            and joined
            and runs
            and runs[-1][-1] is tokens[i - 1]
            and re.search(r"(?:['’]s|s)$", tokens[i - 1].group(0))
            and tokens[i - 1].group(0)[0].isupper()
            and f.kind_of_token(word) == "GovernmentBody"
        ):
            runs[-1].append(m)  # "USA's handelsministerium", "Kinas udenrigsministerium"
        else:
            if current:
                runs.append(current)
            current = []
        prev_end = m.end()
        ends = _POSSESSIVE.search(word) or (  # "Commerce's Entity List", "Watch. Next"
            word.endswith(".") and not _is_legal_form(word) and len(word) > 2
        )
        if current and ends:
            runs.append(current)
            current = []
        elif current and word.endswith(".") and _is_legal_form(word):
            stop = _TOKEN.search(text, m.end(), end)  # "Co Ltd. The …": the sentence ends
            if stop and stop.group(0)[0].isupper() and not _is_legal_form(stop.group(0)):
                runs.append(current)
                current = []
    if current:
        runs.append(current)
    return [part for run in runs for part in _split_lists(run, f)]


def _inner_lowercase(before: str, word: str, nxt: re.Match[str], f: Forms) -> bool:
    """A lower-case adjective inside a name: after "für" before a capitalised noun, or before a
    lower-case head such as "pensjonskasse"."""
    following = nxt.group(0)
    if not re.fullmatch(r"[^\W\d_]+(?:e|en|er|es)", word):
        return False
    if before.casefold() == "für" and following[0].isupper():
        return True
    return word.endswith("e") and following.casefold().rstrip(".") in f.lowercase_heads


def _split_lists(run: list[re.Match[str]], f: Forms) -> list[list[re.Match[str]]]:
    """ "A Co Ltd and B Co Ltd" is two names: split at "and" after a legal form."""
    parts: list[list[re.Match[str]]] = [[]]
    for i, m in enumerate(run):
        word = m.group(0).casefold()
        last = parts[-1][-1].group(0) if parts[-1] else ""
        if (
            word in _CONJUNCTIONS
            and parts[-1]
            and (_is_legal_form(last) or (len(parts[-1]) > 1 and f.kind_of_token(last)))
            and i + 1 < len(run)
        ):
            parts.append([])
            continue
        if word in _CONJUNCTIONS - {"&"} and parts[-1] and _second_name(parts[-1], run[i + 1 :]):
            parts.append([])  # "ATP og Sampension", "KLP og DNB Asset Management AS"
            continue
        parts[-1].append(m)
    return [p for p in parts if p]


def _second_name(left: list[re.Match[str]], right: list[re.Match[str]]) -> bool:
    """Whether "A og B" joins two names: B is a fund's name or ends in a legal form, and A is
    an acronym ("ATP") or a name of its own kind. "Ministry of Justice and Public Security"
    stays one name (its second part is neither a fund nor carries a legal form)."""
    words = [m.group(0) for m in right]
    while words and words[-1].casefold() in forms().connectors:
        words.pop()  # "ATP og Sampension til at …"
    if not words or not words[-1][:1].isupper():
        return False
    got = classify(" ".join(words))
    if got is None or not (got[0] == "Fund" or _is_legal_form(words[-1])):
        return False
    first = [m.group(0) for m in left]
    acronym = len(first) == 1 and first[0].isupper() and first[0].isalpha() and len(first[0]) > 1
    return acronym or classify(" ".join(first)) is not None


def _drop_lead(run: list[re.Match[str]], f: Forms) -> list[re.Match[str]]:
    """ "Aktien von LONGi … Co Ltd", "Yangon til Myanma Economic Corporation": the words before a
    preposition are no part of a name that ends in a legal form when they carry no organisation
    word ("Bank of China Ltd" keeps its head; "Church of England Pensions Board" has no form)."""
    words = [m.group(0) for m in run]
    if len(words) < 3 or not _is_legal_form(words[-1]):
        return run
    for i, w in enumerate(words[1:-1], start=1):
        c = w.casefold()
        if c in _CONJUNCTIONS:
            return run
        if c in f.connectors:
            head = words[:i]
            if any(f.kind_of_token(h) or _is_legal_form(h) for h in head) or _rigour_kinds(
                " ".join(head)
            ):
                return run
            return run[i + 1 :]
    return run


@cache
def _is_legal_form(word: str) -> bool:
    w = word.rstrip(".,")
    if not w:
        return False
    if len(w) <= 3 and w.islower():
        return False
    if len(w) == 2 and not w.isupper() and w.casefold() != "co":
        return False
    return bool(extract_org_types(w.casefold())) or w.casefold() in {
        "asa",
        "co",
        "corp",
        "corporation",
        "a/s",
        "ab",
        "aps",
    }


@cache
def _rigour_kinds(name: str) -> tuple[tuple[str, str], ...]:
    """(kind, word) for each organisation symbol rigour's tagger finds in a name."""
    f = forms()
    out = []
    for n in analyze_names(NameTypeTag.ORG, [name], phonetics=False):
        for span in n.spans:
            category = str(span.symbol.category).rsplit(".", 1)[-1]
            sid = str(span.symbol.id)
            word = " ".join(p.form for p in span.parts)
            if category == "ORG_CLASS":
                out.append(("CivilSocietyOrganization" if sid == "NGO" else "Company", word))
            elif category == "SYMBOL":
                for kind in KINDS:
                    if sid in f.rigour[kind]:
                        out.append((kind, word))
            elif category == "DOMAIN" and sid in ("BANK", "INSURANCE"):
                out.append(("Company", word))
            elif category == "DOMAIN" and sid == "POLICE":
                out.append(("GovernmentBody", word))
    return tuple(out)


def classify(name: str) -> tuple[str, str] | None:
    """(kind, marker) when a name is an organisation's by its form, else None."""
    f = forms()
    words = [w.group(0) for w in _TOKEN.finditer(name)]
    if not words:
        return None
    # the head of "Ministry of Foreign Affairs of Norway" stands before the first "of"
    head = []
    for w in words:
        if w.casefold() in ("of", "for", "on") and head:
            break
        head.append(w)
    head_text = " ".join(head)
    found: list[tuple[str, str]] = []
    for i in range(len(head)):
        for j in range(min(len(head), i + 3), i, -1):
            phrase = " ".join(head[i:j]).casefold().rstrip(".")
            for kind in KINDS:
                if phrase in f.words[kind] and (
                    kind != "Company" or len(phrase) > 3 or _is_legal_form(" ".join(head[i:j]))
                ):
                    found.append((kind, " ".join(head[i:j])))
        kind = f.kind_of_token(head[i])
        short_form = len(head[i].rstrip(".")) <= 3 and not _is_legal_form(head[i])
        if kind is not None and not (kind == "Company" and short_form):
            found.append((kind, head[i]))
    found += list(_rigour_kinds(head_text))
    if not found and len(head) < len(words):  # "Church of England Pensions Board"
        return classify_words(words[len(head) :])
    if not found:
        return None
    found.sort(key=lambda kw: KINDS.index(kw[0]))
    if found[0][0] == "CivilSocietyOrganization" and _is_legal_form(words[-1]):
        return next((kw for kw in found if kw[0] == "Company"), ("Company", words[-1]))
    return found[0]


def classify_words(words: list[str]) -> tuple[str, str] | None:
    """The kind the words after a name's first "of" give, when the words before give none."""
    rest = [w for w in words if w.casefold() not in forms().connectors]
    return classify(" ".join(rest)) if rest else None


def _name_words(words: list[str], f: Forms, common: frozenset[str]) -> list[str]:
    """The words of a name that are neither organisation words nor joining words."""
    return [
        w
        for w in words
        if w.casefold() not in f.connectors
        and f.kind_of_token(w) is None
        and not _is_legal_form(w)
        and w.casefold().rstrip(".") not in common
        and w.casefold().rstrip(".") not in f.not_names
        and not _rigour_kinds(w)
    ]


def candidates(text: str, end: int, common: frozenset[str]) -> list[Candidate]:
    """Organisation names by their form, in the text up to `end`."""
    f = forms()
    out: list[Candidate] = []
    for run in _runs(text, 0, end, f):
        # leading common words ("The", "Die", "In", "Ifølge") and trailing joiners go
        while run and (
            run[0].group(0).casefold().rstrip(".") in common
            or run[0].group(0).casefold() in f.connectors
        ):
            run = run[1:]
        while run and run[-1].group(0).casefold() in f.connectors:
            run = run[:-1]
        run = _drop_lead(run, f)
        if not run:
            continue
        words = [m.group(0) for m in run]
        start, stop = run[0].start(), run[-1].end()
        if text[stop - 1] == "." and text[stop : stop + 1] != ",":
            stop -= 1  # the full stop of the sentence, not of "Ltd."
        name = _POSSESSIVE.sub("", text[start:stop]).rstrip(",")
        stop = start + len(name)
        got = classify(name) or _kind_of_conjunct(text, stop, end)
        if got is None or any(w.casefold() in f.media for w in words):
            continue
        if len(words) == 1 and "-" not in name and _DEFINITE.search(text, max(0, start - 5), start):
            continue  # "die Zusatzversorgungskasse", "the Fund": a word referring back
        kind, marker = got
        names = _name_words([w.group(0) for w in _TOKEN.finditer(name)], f, common)
        if not names:
            single = len(words) == 1 and f.kind_of_token(words[0]) is not None
            word = words[0].casefold()
            compound = single and not any(word == s for k in KINDS for s in f.suffixes[k])
            if not (compound and word not in f.words[kind] and words[0][0].isupper()):
                continue  # "Pensionskasse", "The Fund": an organisation word, not a name
        out.append(Candidate(start, stop, name, kind, marker))
    return out + _appositive_candidates(text, end, common, f, out)


def _appositive_candidates(
    text: str, end: int, common: frozenset[str], f: Forms, found: list[Candidate]
) -> list[Candidate]:
    """Names right after an appositive word ("die Menschenrechtsorganisation Urgewald") that
    their own words do not mark as an organisation's."""
    if f.appositives is None:
        return []
    out: list[Candidate] = []
    for m in f.appositives.finditer(text, 0, end):
        if any(c.start <= m.end() < c.end for c in found):
            continue
        runs = _runs(text, m.end(), min(end, m.end() + 80), f)
        if not runs or runs[0][0].start() != m.end():
            continue
        words = [w for w in runs[0]][:4]
        while words and words[-1].group(0).casefold() in f.connectors:
            words.pop()
        if not words or words[0].group(0).casefold().rstrip(".") in common | f.not_names:
            continue
        start, stop = words[0].start(), words[-1].end()
        name = _POSSESSIVE.sub("", text[start:stop]).rstrip(",.")
        if classify(name) is not None or any(w.group(0).casefold() in f.media for w in words):
            continue
        kind = next(k for k, v in m.groupdict().items() if v)
        out.append(Candidate(start, start + len(name), name, kind, m.group(0).strip()))
    return out


_DEFINITE = re.compile(r"\b(?:die|der|das|den|dem|the|det)\s+$", re.I)
_ACRONYM = re.compile(r"[A-ZÆØÅÄÖÜ]{2,6}")


def _kind_of_conjunct(text: str, stop: int, end: int) -> tuple[str, str] | None:
    """The kind of the name joined to an acronym by "og"/"and" ("ATP og Sampension": a Fund)."""
    if not _ACRONYM.fullmatch(text[max(0, text.rfind(" ", 0, stop) + 1) : stop]):
        return None
    m = re.compile(r"\s+(?:and|og|och|und|or|eller)\s+").match(text, stop, end)
    if m is None:
        return None
    f = forms()
    runs = _runs(text, m.end(), min(end, m.end() + 200), f)
    if not runs or runs[0][0].start() != m.end():
        return None
    words = [w.group(0) for w in runs[0]]
    while words and words[-1].casefold() in f.connectors:
        words.pop()
    return classify(" ".join(words)) if words else None


def short_name(entity_name: str, common: frozenset[str]) -> str | None:
    """The word a text uses for a company or fund after naming it in full, if it has one."""
    f = forms()
    words = [m.group(0) for m in _TOKEN.finditer(entity_name)]
    name_part: list[str] = []
    for w in words:
        if f.is_descriptor(w) or f.kind_of_token(w) or _is_legal_form(w):
            break
        name_part.append(w)
    if not name_part or len(name_part) == len(words):
        return None
    short = name_part[-1]
    if len(short) < 4 or short.casefold() in common or not short[0].isupper():
        return None
    return short


def find_organisations(
    text: str,
    end: int,
    gazetteer: Gazetteer,
    known: list[Mention],
    common: frozenset[str],
) -> list[Mention]:
    """The gazetteer's mentions with open-world organisations added (and short names after)."""
    f = forms()
    taken = Spans([(m.start, m.end) for m in known])
    by_span = {(m.start, m.end): m for m in known}
    replaced: set[tuple[int, int]] = set()
    added: list[Mention] = []
    entities: dict[str, Entity] = {}
    for c in candidates(text, end, common):
        inside = taken.overlapping(c.start, c.end)
        if any(not (c.start <= a and b <= c.end) for a, b in inside):
            continue  # crosses a known name: leave it
        if any((a, b) == (c.start, c.end) for a, b in inside):
            continue
        within = [by_span[s] for s in inside if s in by_span]
        section = _national_section(text, c, within)
        if section is not None:
            c = section  # "Amnesty International Norge": a section of a known organisation
        elif within and _marker_inside(text, c, within):
            continue  # "Angaben von Human Rights Watch": the known name is the organisation
        same = _known_entity(c.text, gazetteer, within)
        if same is not None:
            replaced.update(inside)
            added.append(Mention(same, c.start, c.end, c.text))
            continue
        entity = entities.get(normalise_name(c.text))
        if entity is None:
            entity = Entity(slug(c.text), c.kind, c.text)
            entities[normalise_name(c.text)] = entity
        replaced.update(inside)
        added.append(Mention(entity, c.start, c.end, c.text, 100.0, "form"))
    mentions = [m for m in known if (m.start, m.end) not in replaced] + added
    return sorted(
        mentions + _short_mentions(text, end, mentions, entities, common, f), key=lambda m: m.start
    )


def _national_section(text: str, c: Candidate, within: list[Mention]) -> Candidate | None:
    """A known organisation's name followed by a country's ("Amnesty International Danmark",
    "Save the Children Sweden"): the national section, a new organisation of the same kind."""
    if len(within) != 1 or within[0].start != c.start:
        return None
    rest = text[within[0].end : c.end]
    if not rest.startswith(" ") or rest.strip().casefold() not in country_names():
        return None
    entity = within[0].entity
    kind = entity.type if entity.type in KINDS else c.kind
    return Candidate(c.start, c.end, c.text, kind, rest.strip())


def _marker_inside(text: str, c: Candidate, within: list[Mention]) -> bool:
    """Whether the word that made the candidate an organisation lies in a known name in it."""
    at = text.find(c.marker, c.start, c.end)
    if at < 0:
        at = text.casefold().find(c.marker.casefold(), c.start, c.end)
    return at >= 0 and any(m.start <= at < m.end for m in within)


def _known_entity(name: str, gazetteer: Gazetteer, inside: list[Mention]) -> Entity | None:
    """The gazetteer entity a candidate only repeats (legal form and case aside), if any."""
    exact = gazetteer.lookup(name)
    if exact is not None:
        return exact
    key = normalise_name(name)
    core = normalise_name(re.sub(r"[,.]", " ", name))
    for m in inside:
        if any(normalise_name(n) in (key, core) for n in m.entity.names):
            return m.entity
    matched = gazetteer.match_phrase(name)
    if matched is not None and matched[1] >= 95:
        return matched[0]
    return None


def _short_mentions(
    text: str,
    end: int,
    mentions: list[Mention],
    entities: dict[str, Entity],
    common: frozenset[str],
    f: Forms,
) -> list[Mention]:
    """Later uses of a new company's or fund's short name ("Fjordline said")."""
    shorts: dict[str, Entity] = {}
    for entity in entities.values():
        if entity.type not in ("Company", "Fund"):
            continue
        short = short_name(entity.name, common)
        if short is None or short in shorts:
            continue  # the first entity named keeps a short name two of them share
        shorts[short] = entity
    if not shorts:
        return []
    taken = Spans([(m.start, m.end) for m in mentions])
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(s) for s in shorts) + r")(?=['’]s\b|(?![\w-]))"
    )
    out = []
    for m in pattern.finditer(text, 0, end):
        if not taken.overlapping(m.start(), m.end()):
            out.append(Mention(shorts[m.group(1)], m.start(), m.end(), m.group(1), 100.0, "short"))
    return out

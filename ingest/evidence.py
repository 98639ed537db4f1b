"""Evidentiary copies of source texts, and the check that every quote stands in its copy.

In the spirit of the Berkeley Protocol on digital open-source investigations, the text a report
quotes is kept as it was read: content-addressed by its SHA-256 in `<RIGHTSGRAPH_HOME>/evidence/
<sha256>.txt`, with a JSON sidecar (`<sha256>.json`) saying when and from where it was taken.
A quote is checked against the copy of the Source it cites, tolerant only of typography that
copying changes (curly quotes, dashes, runs of whitespace), never of words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver

from core.settings import get_settings
from ingest.batch import Batch
from ingest.errors import Problem, excerpt
from ontology.model import load_model
from ontology.records import Record
from ontology.types import sharing

EVIDENCE_DIR = "evidence"
_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_SPACE = re.compile(r"\s+")


def normalise_quote(text: str) -> str:
    """Text as compared for quotes: NFC, straight quote marks, plain hyphens, single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTE_MARKS)
    return _SPACE.sub(" ", text).strip()


def quote_in_text(quote: str, text: str) -> bool:
    return normalise_quote(quote) in normalise_quote(text)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence_store(home: Path | None = None) -> Path:
    return (home or get_settings().home) / EVIDENCE_DIR


@dataclass(frozen=True)
class StoredCopy:
    sha256: str
    path: Path
    sidecar: Path


def keep_copy(
    content: str | bytes, *, original: Path | None = None, store: Path | None = None, **meta: Any
) -> StoredCopy:
    """Store the content (text as UTF-8) under its hash; an existing copy and sidecar are kept."""
    store = store or evidence_store()
    store.mkdir(mode=0o700, parents=True, exist_ok=True)
    store.chmod(0o700)  # also a store made before copies were private
    data = content.encode("utf-8") if isinstance(content, str) else content
    digest = sha256_hex(data)
    path = store / f"{digest}.txt"
    sidecar = store / f"{digest}.json"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        _write_private(tmp, data)
        tmp.replace(path)
    if not sidecar.exists():
        info = {
            "sha256": digest,
            "bytes": len(data),
            "retrieved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "originalPath": str(original.resolve()) if original else None,
            **{k: v for k, v in meta.items() if v is not None},
        }
        text = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
        _write_private(sidecar, text.encode("utf-8"))
    return StoredCopy(digest, path, sidecar)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def stored_copy(digest: str, store: Path | None = None) -> Path | None:
    path = (store or evidence_store()) / f"{digest}.txt"
    return path if path.is_file() else None


def read_copy(path: Path) -> tuple[str, str]:
    """(text, sha256 of the bytes) of a copy."""
    data = path.read_bytes()
    return data.decode("utf-8-sig", errors="replace"), sha256_hex(data)


_STORED_NAME = re.compile(rf"{EVIDENCE_DIR}/([0-9a-f]{{64}})\.txt")


class SourceTextRefused(ValueError):
    """A `sourceText` that names a file the report may not read; the message says why."""


def shipped_text_path(batch: Batch, store: Path | None = None) -> Path | None:
    """The file a report's `sourceText` names, or None when it names none.

    A report may name only a file inside its own folder (relative, no `..`, not through a
    symlink that leads out), or `evidence/<sha256>.txt`, a copy in the evidence store (drafts of
    `rightsgraph extract` name theirs so). An uploaded report (`batch.local_files` false) may
    name no file at all. Raises SourceTextRefused otherwise; the message never says what the
    file holds or whether it exists outside the folder."""
    name = (batch.report or {}).get("sourceText") or batch.source_text
    if not name:
        return None
    if not batch.local_files:
        raise SourceTextRefused(
            "an uploaded report may not name a file on the server (sourceText); quotes are "
            "checked against the evidence store's copy of each Source's sha256 instead"
        )
    text = str(name)
    stored = _STORED_NAME.fullmatch(text)
    if stored:
        folder = (store or evidence_store()).resolve()
        candidate = folder / f"{stored.group(1)}.txt"
    else:
        relative = Path(text)
        if relative.is_absolute() or ".." in relative.parts or "\\" in text:
            raise SourceTextRefused(
                "sourceText must be a path relative to the report's folder, without '..'"
            )
        folder = Path(batch.file).resolve().parent
        candidate = folder / relative
    resolved = candidate.resolve()
    if not resolved.is_relative_to(folder):
        raise SourceTextRefused("sourceText leads out of the report's folder (a symlink)")
    return resolved


def _sources(batch: Batch) -> dict[str, Record]:
    return {r["id"]: r for r in batch.all_records if r["type"] == "Source"}


@dataclass(frozen=True)
class GraphCopies:
    """What the graph says of the copies a batch may be checked against, at the batch's level:
    the sha256 of each Source it cites but does not state (visible at its level), and every
    sha256 a Source visible at its level carries."""

    cited: dict[str, str]  # source id -> its sha256
    visible: frozenset[str]


def graph_copies(driver: Driver, batch: Batch, database: str | None = None) -> GraphCopies:
    """The `GraphCopies` of a batch: looked up at its report's own level only."""
    model = load_model()
    target = model.edge_class.edge_target or "source"
    own = _sources(batch)
    cited = {
        str(e.get(target))
        for r in batch.all_records
        for e in r.get("evidence") or []
        if e.get(target) and e.get(target) not in own
    }
    digests = [str(s["sha256"]) for s in own.values() if s.get("sha256")]
    level = (batch.report or {}).get("tlp") or batch.default_tlp
    allowed = list(sharing.levels_up_to(level)) if sharing.is_level(level) else [sharing.DEFAULT]
    label = model.cls("Source").neo4j_label
    sha = model.properties["sha256"].neo4j_property
    rows, _, _ = driver.execute_query(
        f"MATCH (s:`{label}`) WHERE (s.id IN $cited OR s.`{sha}` IN $digests) "
        f"AND s.`{sha}` IS NOT NULL AND s.tlp IN $levels RETURN s.id AS id, s.`{sha}` AS sha",
        cited=sorted(cited),
        digests=digests,
        levels=allowed,
        database_=database,
        routing_="r",
    )
    return GraphCopies(
        {r["id"]: r["sha"] for r in rows if r["id"] in cited},
        frozenset(r["sha"] for r in rows),
    )


def check_quotes(
    batch: Batch, store: Path | None = None, graph: GraphCopies | None = None
) -> list[Problem]:
    """Every quote citing a Source whose copy is at hand must occur in that copy.

    The copies at hand are the report's shipped `sourceText` (which must be the copy of a
    Source in the report: its sha256 names it) and the store's copies of the sources' sha256.
    With `graph` (an ingest into a graph), a stored copy counts only when a Source visible at
    the report's level carries its sha256, and the quotes citing such a Source in the graph
    (not restated by the report) are checked too: a copy kept for a more restricted report is
    never checked against, so a refusal cannot tell that it exists. A refusal names the quote
    and the source, never a word of the copy.
    """
    model = load_model()
    target = model.edge_class.edge_target or "source"
    label = batch.file
    report_id = (batch.report or {}).get("id", "-")
    problems: list[Problem] = []
    texts: dict[str, str] = {}  # sha256 -> text
    try:
        shipped = shipped_text_path(batch, store)
    except SourceTextRefused as exc:
        return [Problem(label, report_id, "source-text-refused", str(exc))]
    if shipped is not None:
        if not shipped.is_file():
            return [
                Problem(
                    label,
                    report_id,
                    "source-text-missing",
                    "sourceText names no file in the report's folder (or the evidence store)",
                )
            ]
        text, digest = read_copy(shipped)
        texts[digest] = text
    sources = _sources(batch)
    if graph is not None:  # the graph's sources the report cites, by their sha256
        sources = {
            **{sid: {"id": sid, "type": "Source", "sha256": d} for sid, d in graph.cited.items()},
            **sources,
        }
    for sid, source in sources.items():
        digest = source.get("sha256")
        if not digest or digest in texts:
            continue
        if graph is not None and digest not in graph.visible:
            continue  # no Source at the report's level carries it
        copy = stored_copy(str(digest), store)
        if copy is None:
            continue
        text, actual = read_copy(copy)
        if actual != digest:
            problems.append(
                Problem(
                    label,
                    sid,
                    "evidence-copy-tampered",
                    f"the stored copy {copy.name} no longer has the sha256 its name says "
                    "(changed since it was kept; `rightsgraph verify` checks every copy)",
                )
            )
            continue
        texts[digest] = text
    own = _sources(batch)
    if shipped is not None and not any(s.get("sha256") in texts for s in own.values()):
        problems.append(
            Problem(
                label,
                report_id,
                "source-text-unclaimed",
                "no Source in the report carries the sha256 of the sourceText file: add it "
                "(`sha256sum FILE`) as `sha256` to the Source the file copies",
                batch.lines.get(report_id),
            )
        )
    normalised = {d: normalise_quote(t) for d, t in texts.items()}
    for record in batch.all_records:
        for item in record.get("evidence") or []:
            source = sources.get(item.get(target))
            quote = item.get("quote")
            digest = (source or {}).get("sha256")
            if not quote or digest not in normalised:
                continue
            if normalise_quote(str(quote)) not in normalised[digest]:
                problems.append(
                    Problem(
                        label,
                        record["id"],
                        "quote-not-in-source",
                        f"quote {excerpt(str(quote))!r} does not occur in the evidentiary "
                        f"copy of {source['id']}",
                        batch.lines.get(record["id"]),
                    )
                )
    return problems


def keep_shipped_copy(batch: Batch, store: Path | None = None) -> StoredCopy | None:
    """Keep the report's shipped source text in the store, so `rightsgraph verify` finds it."""
    try:
        path = shipped_text_path(batch, store)
    except SourceTextRefused:
        return None
    if path is None or not path.is_file():
        return None
    return keep_copy(
        path.read_bytes(), original=path, store=store, keptBy=f"ingest of {batch.file}"
    )


@dataclass
class VerifyReport:
    quotes_checked: int = 0
    copies_checked: int = 0
    sources_without_copy: int = 0
    findings: list[str] = field(default_factory=list)
    # every quote not checked: {"node", "source", "reason"} (no sha256, no copy, a tampered copy)
    unchecked: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def verify_graph(
    driver: Driver, database: str | None = None, store: Path | None = None
) -> VerifyReport:
    """Every stored copy still has its hash, and every stored quote of a copied source is in it."""
    model = load_model()
    store = store or evidence_store()
    report = VerifyReport()
    bad: set[str] = set()
    for path in sorted(store.glob("*.txt")) if store.is_dir() else []:
        _, actual = read_copy(path)
        report.copies_checked += 1
        if actual != path.stem:
            bad.add(path.stem)
            report.findings.append(
                f"evidentiary copy {path} has sha256 {actual}, not the {path.stem} it is filed "
                "under (changed since it was kept)"
            )
    source = model.cls("Source").neo4j_label
    sha = model.properties["sha256"].neo4j_property
    quote = model.properties["quote"].neo4j_property
    rows, _, _ = driver.execute_query(
        f"MATCH (s:`{source}`) "
        f"OPTIONAL MATCH (n)-[e:`{model.edge_class.neo4j_type}`]->(s) WHERE e.`{quote}` IS NOT "
        "NULL "
        f"WITH s, collect([n.id, e.`{quote}`]) AS quotes "
        f"WHERE s.`{sha}` IS NOT NULL OR size(quotes) > 0 "
        f"RETURN s.id AS source, s.`{sha}` AS sha, quotes ORDER BY s.id",
        database_=database,
        routing_="r",
    )
    for row in rows:
        quotes = sorted((n, q) for n, q in row["quotes"] if n is not None)
        copy = stored_copy(row["sha"], store) if row["sha"] else None
        reason = (
            "its source has no sha256"
            if not row["sha"]
            else "no evidentiary copy of its source here"
            if copy is None
            else "the copy of its source was changed since it was kept"
            if row["sha"] in bad
            else None
        )
        if row["sha"] and copy is None:
            report.sources_without_copy += 1
        if reason is not None or copy is None:  # (copy is None only with a reason)
            report.unchecked.extend(
                {"node": n, "source": row["source"], "reason": str(reason)} for n, _ in quotes
            )
            continue
        text = normalise_quote(read_copy(copy)[0])
        for node, q in quotes:
            report.quotes_checked += 1
            if normalise_quote(q) not in text:
                report.findings.append(
                    f"quote {q!r} on {node} → {row['source']} is not in its evidentiary copy "
                    f"{copy.name}"
                )
    return report

"""adapter → resolve → validate → write, for every file given; each batch all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ConstraintError

from core.suggest import did_you_mean
from ingest import bulk, watches
from ingest.adapters import discover, read_batches
from ingest.batch import Batch
from ingest.conflicts import store_conflicts
from ingest.content import Member, unpacked
from ingest.decisions import store_proposals, store_redirects
from ingest.erasure import PERSON, erased_properties, strip_erased
from ingest.errors import IngestError, Problem, capped
from ingest.evidence import check_quotes, graph_copies, keep_shipped_copy
from ingest.fact_keys import assign_fact_ids
from ingest.migrate import migrate
from ingest.resolve import Proposal, Resolver, merge_records, rename_references
from ingest.writer import (
    RelKey,
    Summary,
    WritePlan,
    ensure_schema,
    max_tlp,
    relationship_rows,
    standing_of_report,
    write_batch,
)
from ontology.model import OntologyModel, load_model
from ontology.records import Record
from ontology.types import sharing
from ontology.validate import Violation, validate_records

Progress = Callable[[str, int], None]


@dataclass
class IngestResult:
    run_id: str
    summary: Summary = field(default_factory=Summary)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    new_proposals: int = 0  # proposals the graph did not hold before this run
    unsupported: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)  # records set aside, per file
    rejects_files: list[str] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # what the rejects files hold
    dry_run: bool = False
    stated_on: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "dry_run": self.dry_run,
            "files": self.files,
            **self.summary.as_dict(),
            "rejected": dict(self.rejected),
            **(
                {"quarantined": dict(self.quarantined), "rejects_files": self.rejects_files}
                if self.quarantined
                else {}
            ),
            "problems": [p.as_dict() for p in self.problems],
            "proposals": [p.as_dict() for p in self.proposals],
            "new_proposals": self.new_proposals,
            "unsupported": dict(self.unsupported),
            "conflicts": [c.as_dict() for c in self.summary.conflicts],
        }


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass
class Prepared:
    records: list[Record]
    tlp: dict[str, str]
    proposals: list[Proposal]
    source_dates: dict[str, str] = field(default_factory=dict)  # source id -> `published`
    fact_renames: dict[str, str] = field(default_factory=dict)  # a report's id -> the fact's


def _referenced(records: list[Record], model: OntologyModel) -> set[str]:
    refs: set[str] = set()
    target = model.edge_class.edge_target
    for record in records:
        specs = model.properties_of(record["type"])
        for key, value in record.items():
            spec = specs.get(key)
            if spec is None:
                continue
            values = value if isinstance(value, list) else [value]
            if spec.kind in ("link", "idlist"):
                refs.update(values)
            elif spec.kind == "edge":
                refs.update(v[target] for v in values if target in v)
    return refs


def lookup_nodes(
    driver: Driver | None, ids: set[str], database: str | None
) -> dict[str, dict[str, Any]]:
    """id -> {"labels", "tlp", "name", "published"} for the ids already in the graph."""
    if driver is None or not ids:
        return {}
    rows, _, _ = driver.execute_query(
        "MATCH (n:Node) WHERE n.id IN $ids "
        "RETURN n.id AS id, labels(n) AS labels, n.tlp AS tlp, n.name AS name, "
        "n.published AS published",
        ids=list(ids),
        database_=database,
        routing_="r",
    )
    return {
        r["id"]: {
            "labels": r["labels"],
            "tlp": r["tlp"],
            "name": r["name"],
            "published": r["published"],
        }
        for r in rows
    }


ON_INVALID = ("reject", "quarantine")
MAX_LISTED = 50  # problems listed per file; the rest are counted
NEEDS_THE_GRAPH = frozenset({"dangling-reference"})  # offline, these wait for the graph
QUARANTINE_ROUNDS = 5  # dropping a record can leave another dangling: a few rounds settle it


@dataclass
class Quarantine:
    """What `--on-invalid quarantine` set aside in one file: each problem, and per batch the
    ids of the records left out (the write pass leaves out the same ones)."""

    problems: list[Problem] = field(default_factory=list)
    dropped: dict[int, set[str]] = field(default_factory=dict)

    def entries(self, display: str) -> list[dict[str, Any]]:
        """One rejects-file line per problem, naming the file as the user knows it."""
        return [
            {
                "file": display,
                "line": p.line,
                "record": p.record,
                "rule": p.rule,
                "message": p.message,
            }
            for p in self.problems
        ]


def prepare(
    batch: Batch,
    resolver: Resolver,
    model: OntologyModel,
    database: str | None,
    checked: bool = False,
    quarantine: Quarantine | None = None,
) -> Prepared:
    """Resolve and validate one batch; raise IngestError naming every problem, those the
    adapter found while reading included. With a `quarantine`, the records with problems are
    set aside instead (whole records, never parts) and the rest is prepared."""
    if quarantine is None:
        try:
            prepared = _prepare(
                batch, batch.all_records, resolver, model, database, checked, batch.set_aside
            )
        except IngestError as exc:
            raise IngestError(batch.problems + exc.problems) from None
        if batch.problems:
            raise IngestError(batch.problems)
        return prepared
    if batch.position not in quarantine.dropped:
        quarantine.problems.extend(batch.problems)
    dropped = quarantine.dropped.setdefault(batch.position, set())
    for _ in range(QUARANTINE_ROUNDS):
        records = [r for r in batch.all_records if r["id"] not in dropped]
        try:
            return _prepare(batch, records, resolver, model, database, checked)
        except IngestError as exc:
            bad = {p.record for p in exc.problems} & {r["id"] for r in records}
            report = batch.report["id"] if batch.report else None
            if not bad or report in bad:  # a file-wide fault: nothing to set aside
                raise
            quarantine.problems.extend(p for p in exc.problems if p.record in bad)
            dropped |= bad
    raise IngestError(
        [Problem(batch.file, "-", "quarantine", "records kept failing after setting some aside")]
    )


def _prepare(
    batch: Batch,
    records: list[Record],
    resolver: Resolver,
    model: OntologyModel,
    database: str | None,
    checked: bool,
    excused: set[str] | frozenset[str] = frozenset(),
) -> Prepared:
    """prepare's work on `records`; references to `excused` ids (records the adapter left out
    for a problem already reported) are not reported again as dangling."""
    label = batch.file
    in_graph = lookup_nodes(resolver.driver, {r["id"] for r in records}, database)
    renames: dict[str, str] = {}
    by_id: dict[str, Record] = {}
    proposals: list[Proposal] = []
    problems: list[Problem] = []
    graph_named: set[str] = set()  # resolved to a graph entity: the graph's name stays
    level = batch.report.get("tlp") if batch.report else None
    if batch.resolve:
        resolver.prefetch(r for r in records if r["id"] not in in_graph)
    attach = batch.attach_only
    unattached: set[str] = set()  # attach-only records that found no entity: counted, not made
    borrowed: set[str] = set()  # attach-only records given the entity's name for the shapes
    for record in records:
        rid = record["id"]
        if rid in in_graph:
            graph_class = model.class_of_labels(in_graph[rid]["labels"]).name
            if graph_class != record["type"] and attach and record["type"] != "Source":
                unattached.add(rid)
                continue
            if graph_class != record["type"]:
                problems.append(
                    Problem(
                        label,
                        rid,
                        "type-conflict",
                        f"{rid} is a {graph_class} in the graph, not a {record['type']}",
                        batch.lines.get(rid),
                    )
                )
            target = rid
        else:
            found, proposal = (
                resolver.match(record, record.get("tlp") or level or batch.default_tlp)
                if batch.resolve
                else (None, None)
            )
            attachable = model.cls(record["type"]).resolved and record["type"] != "Source"
            if attach and found is None and attachable and rid not in by_id:
                unattached.add(rid)
                continue
            if proposal is not None:
                proposals.append(proposal)
            target = found or rid
        if target != rid:
            renames[rid] = target
            record = {**record, "id": target}
            if target not in by_id and record.get(
                "name"
            ):  # keep the graph's name; ours becomes an alias
                record["alias"] = [*(record.get("alias") or []), record.pop("name")]
                graph_named.add(target)
        if attach and not record.get("name") and target not in by_id:
            borrowed.add(target)
            graph_named.add(target)
        by_id[target] = merge_records(by_id[target], record, model) if target in by_id else record
        resolver.remember(by_id[target], by_id[target].get("tlp") or level or batch.default_tlp)
    if attach:
        batch.unsupported[attach] = len(unattached)  # assigned: prepare may run twice
    for target, found in lookup_nodes(resolver.driver, graph_named, database).items():
        record, name = by_id[target], found["name"]
        if name and record.get("name") != name:  # a later record's spelling is an alias too
            aliases = [
                *(record.get("alias") or []),
                *([record["name"]] if record.get("name") else []),
            ]
            by_id[target] = {**record, "name": name, "alias": list(dict.fromkeys(aliases))}
    resolved = rename_references(by_id.values(), renames, model)
    resolved, fact_renames = _one_node_per_fact(resolved, batch, model, resolver.driver, database)
    written: dict[str, str] = {}  # a resolved or key-derived id -> the id the input gave
    for rid, target in renames.items():
        written.setdefault(target, rid)
    for rid, fact_id in fact_renames.items():
        written[fact_id] = written.get(rid, rid)

    refs = _referenced(resolved, model) - {r["id"] for r in resolved}
    for ref, canonical in ((r, resolver.decisions.canonical(r)) for r in sorted(refs)):
        if canonical != ref:  # a reference to a merged id follows its redirect
            resolved = rename_references(resolved, {ref: canonical}, model)
    refs = _referenced(resolved, model) - {r["id"] for r in resolved}
    known_nodes = lookup_nodes(resolver.driver, refs, database)
    dangling = refs - set(known_nodes) - excused
    for ref in sorted(dangling):
        owner = next((r["id"] for r in resolved if ref in _referenced([r], model)), "?")
        owner = written.get(owner, owner)
        problems.append(
            Problem(
                label,
                owner,
                "dangling-reference",
                f"refers to {ref!r}, which is neither in this input nor in the graph",
                batch.lines.get(owner),
            )
        )
    known = {i: model.class_of_labels(n["labels"]).name for i, n in known_nodes.items()}
    if not checked:  # every fault at once: the shapes run whatever else was found
        for v in validate_records(resolved, known, model):
            if v.value is not None and v.value in dangling:  # reported as dangling already
                continue
            record_id = written.get(v.record, v.record)
            problems.append(
                Problem(
                    label,
                    record_id,
                    v.rule,
                    str(v).split(": ", 1)[1].rsplit(" [rule", 1)[0] + _vocabulary_hint(v, model),
                    batch.lines.get(record_id),
                )
            )
    if not checked:  # every quote of a source whose text is at hand must stand in it
        kept = {r["id"] for r in records}
        quoted = replace(batch, records=[r for r in batch.records if r["id"] in kept])
        copies = graph_copies(resolver.driver, quoted, database) if resolver.driver else None
        problems.extend(check_quotes(quoted, graph=copies))
    if problems:
        raise IngestError(problems)

    if borrowed:  # the shapes saw the entity's name; the mapping file does not state it
        resolved = [
            {k: v for k, v in r.items() if k != "name" and v != []} if r["id"] in borrowed else r
            for r in resolved
        ]
    dates = {i: str(n["published"]) for i, n in known_nodes.items() if n.get("published")}
    dates.update({r["id"]: str(r["published"]) for r in resolved if r.get("published")})
    return Prepared(
        resolved,
        effective_tlp(resolved, batch.default_tlp, known_nodes, model),
        proposals,
        source_dates=dates,
        fact_renames=fact_renames,
    )


def _vocabulary_hint(violation: Violation, model: OntologyModel) -> str:
    """' (did you mean "x"?)' for a value that is not one of its vocabulary's notations."""
    spec = model.properties.get(violation.path or "")
    if spec is None or spec.kind != "vocab" or violation.value is None:
        return ""
    return did_you_mean(violation.value, model.vocabulary(spec.vocabulary or "").concepts)


def _one_node_per_fact(
    records: list[Record],
    batch: Batch,
    model: OntologyModel,
    driver: Driver | None,
    database: str | None,
) -> tuple[list[Record], dict[str, str]]:
    """Give keyed facts their key-derived ids (ingest.fact_keys), folding those that agree; a
    fact already in the graph above a record's level keeps the two apart (levels respected).
    Returns the records and the renames made."""
    renames = assign_fact_ids(records) if batch.resolve else {}
    if not renames:
        return records, {}
    level = (batch.report or {}).get("tlp") or batch.default_tlp
    existing = lookup_nodes(driver, set(renames.values()), database)
    for record in records:
        found = existing.get(renames.get(record["id"], ""))
        own = record.get("tlp") or level
        if (
            found
            and sharing.is_level(found["tlp"])
            and sharing.rank(found["tlp"]) > sharing.rank(own)
        ):
            del renames[record["id"]]
    folded: dict[str, Record] = {}
    for record in records:
        new = renames.get(record["id"], record["id"])
        if record["id"] in batch.lines:
            batch.lines.setdefault(new, batch.lines[record["id"]])
        record = {**record, "id": new}
        folded[new] = merge_records(folded[new], record, model) if new in folded else record
    return rename_references(folded.values(), renames, model), renames


def effective_tlp(
    records: list[Record], default: str, known: dict[str, dict[str, Any]], model: OntologyModel
) -> dict[str, str]:
    """A fact is at least as restricted as the most restricted source it rests on."""
    own = {r["id"]: r.get("tlp") or default for r in records}
    source_tlp = {i: n.get("tlp") for i, n in known.items()}
    source_tlp.update(own)
    target = model.edge_class.edge_target
    out = {}
    for record in records:
        levels = [own[record["id"]]]
        levels += [source_tlp.get(e.get(target)) for e in record.get("evidence") or []]
        out[record["id"]] = max_tlp(levels)
    return out


def ingest_paths(
    paths: list[Path],
    driver: Driver | None,
    *,
    database: str | None = None,
    dry_run: bool = False,
    fmt: str | None = None,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
    uploaded: bool = False,
    stated_on: str | None = None,
) -> IngestResult:
    """Ingest every file; a file with problems is rejected whole and the others go on, or with
    `options["on_invalid"] == "quarantine"` its valid records load and each invalid one is
    written to `<name>.rejects.jsonl` beside it (`options["rejects_dir"]`: elsewhere).
    `uploaded` (the API): the files came from a caller, so their reports may name no file on
    this machine (`sourceText` is refused). `stated_on` (YYYY-MM-DD) is the day new statements
    are first stated (default: today)."""
    model = load_model()
    result = IngestResult(run_id=new_run_id(), dry_run=dry_run, stated_on=stated_on)
    options = dict(options or {})
    on_invalid = options.pop("on_invalid", None) or "reject"
    rejects_dir = options.pop("rejects_dir", None)
    bulk_from = bulk.threshold(options.pop(BULK_THRESHOLD, None))
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be one of {', '.join(ON_INVALID)}, not {on_invalid!r}")
    if driver is not None and not dry_run:
        ensure_schema(driver, database)
        migrate(driver, database)
    resolver = Resolver(driver, database, model)
    try:
        with unpacked(discover(paths)) as members:  # archives give their members
            for member in members:
                result.files.append(member.name)
                start = len(result.proposals)
                quarantine = Quarantine() if on_invalid == "quarantine" else None
                bulky = (
                    driver is not None
                    and not dry_run
                    and bulk.takes_bulk_path(member.path, bulk_from)
                )
                try:
                    (_ingest_file_bulk if bulky else _ingest_file)(
                        member.path,
                        driver,
                        database,
                        dry_run,
                        fmt,
                        {**options, _UPLOADED: uploaded, ALONGSIDE: paths_of(members)},
                        resolver,
                        model,
                        result,
                        progress,
                        quarantine,
                    )
                    _keep_proposals(result, start, resolver, driver, database, dry_run)
                except IngestError as exc:
                    del result.proposals[start:]
                    result.problems.extend(capped(_named(exc.problems, member), MAX_LISTED))
                    result.rejected[member.name] += 1
                    resolver = Resolver(driver, database, model)  # forget the rejected file
                    continue
                if quarantine is not None and quarantine.problems:
                    _write_rejects(member, quarantine, result, rejects_dir)
    except IngestError as exc:  # an archive out of bounds
        result.problems.extend(exc.problems)
        result.rejected.update(p.file for p in exc.problems[:1])
    if driver is not None and not dry_run:
        store_conflicts(driver, result.summary.conflicts, result.run_id, database)
    return result


def _named(problems: list[Problem], member: Member) -> list[Problem]:
    """Problems naming an unpacked member by its place in the archive, not the temporary copy."""
    if member.name == str(member.path):
        return problems
    path = str(member.path)
    return [replace(p, file=member.name) if p.file == path else p for p in problems]


_UPLOADED = "_uploaded"
# an option of ingest_paths (not the adapters'): the size in bytes from which a file takes the
# bulk path (ingest/bulk.py); -1 never
BULK_THRESHOLD = "bulk_threshold"
ALONGSIDE = "alongside"  # the adapters' option: every file of the run (OCDS linked releases)


def paths_of(members: list[Member]) -> list[Path]:
    return [m.path for m in members]


def _read(path: Path, fmt: str | None, options: dict[str, Any]) -> Iterator[Batch]:
    """The file's batches, each marked with whether it may name files on this machine."""
    options = dict(options)
    uploaded = options.pop(_UPLOADED, False)
    for batch in read_batches(path, fmt, **options):
        batch.local_files = not uploaded
        yield batch


def rejects_path(member: Member, folder: Path | None = None) -> Path:
    """`<name>.rejects.jsonl` beside the file (or the archive it came from), or in `folder`."""
    outer = Path(member.name.split("!", 1)[0])
    inner = Path(member.name.split("!", 1)[1]) if "!" in member.name else outer
    return (folder or outer.parent) / f"{inner.stem}.rejects.jsonl"


def _write_rejects(
    member: Member, quarantine: Quarantine, result: IngestResult, folder: Path | None
) -> None:
    entries = quarantine.entries(member.name)
    result.quarantined[member.name] = len(entries)
    result.rejects.extend(entries)
    if result.dry_run:
        return
    target = rejects_path(member, folder)
    with target.open("w", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    result.rejects_files.append(str(target))


def _keep_proposals(
    result: IngestResult,
    start: int,
    resolver: Resolver,
    driver: Driver | None,
    database: str | None,
    dry_run: bool,
) -> None:
    """A file's proposals, once it is whole: those whose candidate the file itself also states
    are dropped (the file holds the two apart), the rest stored in the graph for review."""
    kept = {p.id: p for p in resolver.unclaimed(result.proposals[start:])}
    result.proposals[start:] = list(kept.values())
    if driver is not None and not dry_run:
        result.new_proposals += store_proposals(
            driver, list(kept.values()), result.run_id, database
        )


def _ingest_file(
    path, driver, database, dry_run, fmt, options, resolver, model, result, progress, quarantine
) -> None:
    batches = _read(path, fmt, options)
    first = next(batches, None)
    if first is None:
        raise IngestError([Problem(str(path), "-", "empty-file", "no records in this file")])
    second = next(batches, None)
    if second is None:  # one batch: prepare, then write it in one transaction
        _run_batch(
            first,
            driver,
            database,
            dry_run,
            resolver,
            model,
            result,
            progress,
            sweep_ids=set(),
            quarantine=quarantine,
        )
        return
    # a stream of batches: check all of it first, so bad input writes nothing; the checked
    # batches wait in memory (a file this small; a large one takes the bulk path, which spills).
    # Nodes the graph does not hold are created, not locked and read back (as in the bulk path)
    _check_then_write(
        _chain(first, second, batches),
        _Kept(),
        path,
        driver,
        database,
        dry_run,
        resolver,
        model,
        result,
        progress,
        quarantine,
    )


class _Kept(list):
    """Checked batches kept in memory, in the order they came (the normal path's bulk.Spill)."""

    @property
    def count(self) -> int:
        return len(self)

    def put(self, item: Any) -> None:
        self.append(item)


class _Recurring:
    """What a file states in more than one batch. Entities recur across batches (rows citing one
    company), and so may a fact (a holding restated on rows far apart): each is written whole
    by every batch that names it, as the whole file states it (its records folded in file
    order, as rows restating it in one batch fold), so a later batch neither drops nor retracts
    what an earlier one wrote and a re-run finds every value as it left it."""

    def __init__(self, model: OntologyModel) -> None:
        self.model = model
        self.rels_of: dict[str, set[RelKey]] = defaultdict(set)
        self.batches_of: Counter = Counter()

    def add(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.batches_of[record["id"]] += 1
            if self.model.cls(record["type"]).resolved:
                self.rels_of[record["id"]].update(relationship_rows(record, self.model))

    def stated_in_file(self) -> set[RelKey]:
        return {k for i, keys in self.rels_of.items() if self.batches_of[i] > 1 for k in keys}

    def folded(self, checked: Iterator[tuple[Any, int, Prepared, frozenset[str]]]) -> _Folded:
        """The records of the ids stated in several batches, folded over the checked batches."""
        out = _Folded()
        for _, _, prepared, _ in checked:
            for record in prepared.records:
                rid = record["id"]
                if self.batches_of[rid] < 2:
                    continue
                before = out.records.get(rid)
                out.records[rid] = merge_records(before, record, self.model) if before else record
                out.tlp[rid] = max_tlp([out.tlp.get(rid), prepared.tlp[rid]])
            out.source_dates.update(prepared.source_dates)
        return out


@dataclass
class _Folded:
    """Records of ids a file states in several batches, each as the whole file states it."""

    records: dict[str, Record] = field(default_factory=dict)
    tlp: dict[str, str] = field(default_factory=dict)
    source_dates: dict[str, str] = field(default_factory=dict)

    def apply(self, prepared: Prepared) -> Prepared:
        """`prepared` with its recurring records replaced by their folded whole."""
        if not any(r["id"] in self.records for r in prepared.records):
            return prepared
        return replace(
            prepared,
            records=[self.records.get(r["id"], r) for r in prepared.records],
            tlp={**prepared.tlp, **{i: self.tlp[i] for i in prepared.tlp if i in self.tlp}},
            source_dates={**self.source_dates, **prepared.source_dates},
        )


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest


def _ingest_file_bulk(
    path,
    driver,
    database,
    dry_run,
    fmt,
    options,
    resolver,
    model,
    result,
    progress,
    quarantine,
) -> None:
    """A large file: as a stream of batches on the normal path, its checked batches spilled to
    disk, and the nodes the check found new created without reading them back."""
    with bulk.Spill() as spill:
        # the adapter's own batches: where a file is cut decides how rows that restate one
        # fact fold (within a batch) or follow each other (across), so both paths cut alike
        _check_then_write(
            _read(path, fmt, options),
            spill,
            path,
            driver,
            database,
            False,
            resolver,
            model,
            result,
            progress,
            quarantine,
        )


def _check_then_write(
    batches,
    store,
    path,
    driver,
    database,
    dry_run,
    resolver,
    model,
    result,
    progress,
    quarantine,
) -> None:
    """Read, resolve and validate every batch once, keeping each checked batch in `store`
    (`_Kept` or `bulk.Spill`); write the kept batches only when the whole file is clean (so bad
    input writes nothing), each in its own transaction. Each batch tells the writer which of its
    nodes the graph did not hold at check time: it creates them instead of locking and reading
    them back (and merges them all if a concurrent ingest created one since)."""
    seen: set[str] = set()
    recurring = _Recurring(model)
    problems: list[Problem] = []
    for batch in batches:
        try:
            prepared = prepare(batch, resolver, model, database, quarantine=quarantine)
        except IngestError as exc:  # go on: one run names every fault of the file
            problems.extend(exc.problems)
            continue
        if problems:  # the file is rejected: check the rest, keep nothing
            continue
        ids = {r["id"] for r in prepared.records}
        new = frozenset(ids - seen - set(lookup_nodes(driver, ids - seen, database)))
        seen |= ids
        recurring.add(prepared.records)
        store.put((replace(batch, records=[]), len(batch.records), prepared, new))
    if problems:
        raise IngestError(problems)
    if not store.count:
        raise IngestError([Problem(str(path), "-", "empty-file", "no records in this file")])
    if dry_run:
        return
    stated_in_file = recurring.stated_in_file()
    folded = recurring.folded(iter(store))
    del recurring
    for batch, count, prepared, new in store:
        prepared = folded.apply(prepared)
        result.proposals.extend(prepared.proposals)
        result.unsupported.update(batch.unsupported)
        if progress:
            progress(batch.file, count)
        _write_prepared(
            batch,
            prepared,
            driver,
            database,
            False,
            result,
            sweep_ids=seen if batch.final else None,
            stated_in_file=stated_in_file,
            new_ids=new,
        )


def write_and_alert(tx: ManagedTransaction, plan: WritePlan, model: OntologyModel) -> Summary:
    """Write a batch and raise the alerts its changes make, in its one transaction: an ingest
    that fails raises no alert, and one that changes nothing raises none. Every batch of both
    paths (normal and bulk; `plan.new_ids` tells them apart) is written here."""
    summary = write_batch(tx, plan, model)
    watches.raise_alerts(tx, summary.changed, plan.run_id)
    return summary


def _run_batch(
    batch,
    driver,
    database,
    dry_run,
    resolver,
    model,
    result,
    progress,
    sweep_ids,
    stated_in_file=None,
    checked=False,
    quarantine=None,
) -> None:
    prepared = prepare(batch, resolver, model, database, checked, quarantine)
    result.proposals.extend(prepared.proposals)
    result.unsupported.update(batch.unsupported)
    if progress:
        progress(batch.file, len(batch.records))
    if driver is None:
        result.summary.created.update(Counter(r["type"] for r in prepared.records))
        return
    _write_prepared(batch, prepared, driver, database, dry_run, result, sweep_ids, stated_in_file)


def _write_prepared(
    batch: Batch,
    prepared: Prepared,
    driver: Driver,
    database: str | None,
    dry_run: bool,
    result: IngestResult,
    sweep_ids: set[str] | None,
    stated_in_file: set[RelKey] | None = None,
    new_ids: frozenset[str] = frozenset(),
    model: OntologyModel | None = None,
) -> None:
    """Write one prepared batch in one transaction (rolled back on a dry run)."""
    model = model or load_model()
    if sweep_ids is not None and not sweep_ids:  # a single batch keeps exactly what it states
        sweep_ids = {r["id"] for r in prepared.records}
    people = [r["id"] for r in prepared.records if r.get("type") == PERSON]
    records = strip_erased(prepared.records, erased_properties(driver, people, database))
    plan = WritePlan(
        records,
        prepared.tlp,
        batch.report_id,
        result.run_id,
        sweep_ids,
        batch.link_reports,
        stated_in_file or set(),
        standing=standing_of_report(batch.report_id, batch.review_status)
        if batch.report_id
        else None,
        stated_on=result.stated_on,
        source_dates=prepared.source_dates,
        given_statements=batch.statements,
        given_link_statements=batch.link_statements,
        new_ids=new_ids,
    )
    with driver.session(database=database) as session:
        if dry_run:  # the real diff, computed in a transaction that is rolled back
            with session.begin_transaction() as tx:
                summary = write_batch(tx, plan, model)
                tx.rollback()
        else:
            try:
                summary = session.execute_write(write_and_alert, plan, model)
            except ConstraintError:
                if not plan.new_ids:
                    raise
                # a concurrent ingest created a node found new at check time: the transaction
                # rolled back, so write the batch again, merging every node
                plan = replace(plan, new_ids=frozenset())
                summary = session.execute_write(write_and_alert, plan, model)
            watches.raise_query_alerts(driver, summary.changed, result.run_id, database)
            if prepared.fact_renames and (batch.report or {}).get("reviewStatus") == "reviewed":
                store_redirects(driver, prepared.fact_renames, database)  # the report's ids
            keep_shipped_copy(batch)  # so `rightsgraph verify` finds the text the quotes are from
    result.summary.add(summary)


__all__ = ["IngestResult", "ingest_paths", "prepare"]

"""OCDS 1.1 → government contracts: release packages, record packages and JSON lines of releases.

The releases of one contracting process (ocid) are compiled, newest last, into one view (record
packages carry it as `compiledRelease`). Each award that names suppliers becomes a Contract
(enriched by the OCDS contract that implements it): buyer → GovernmentBody, suppliers →
Company, delivery locations → Region. The package's publisher and URI become the Source. Parts
that have no place in the graph (planning, tender details, documents, other party roles) are
counted in `Batch.unsupported`. The field mapping is documented in docs/adapters.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.adapter_kit import (
    BatchBuilder,
    file_sha256,
    file_source,
    finalised,
    http_url,
    identifier,
    import_report,
    org_id,
    organisation_ids,
    parse_decimal,
    partial_date,
    safe_id,
    url_source,
)
from ingest.adapters import Adapter
from ingest.batch import Batch
from ingest.errors import IngestError, Problem
from ingest.jsondocs import head_text, is_json_lines, iter_lines, load_json
from ingest.normalize import slug
from ingest.regions import country_code, place_regions

BATCH_RELEASES = 500
BUYER_ROLES = ("buyer", "procuringEntity")
SUPPLIER_ROLES = ("supplier", "tenderer")
# OCDS award and contract status codes -> our contractStatus
STATUS = {
    "planned": "planned",
    "planning": "planned",
    "pending": "pending",
    "active": "active",
    "cancelled": "cancelled",
    "unsuccessful": "unsuccessful",
    "terminated": "terminated",
    "complete": "completed",
    "completed": "completed",
}
RELEASE_FIELDS = {
    "ocid",
    "id",
    "date",
    "tag",
    "initiationType",
    "parties",
    "buyer",
    "planning",
    "tender",
    "awards",
    "contracts",
    "language",
}


# ---------------------------------------------------------------------- packages and compiling


def _merge(base: Any, new: Any) -> Any:
    """Newest wins; objects merge key by key; arrays of objects with ids merge by id."""
    if isinstance(base, dict) and isinstance(new, dict):
        out = dict(base)
        for key, value in new.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    if (
        isinstance(base, list)
        and isinstance(new, list)
        and all(isinstance(v, dict) and "id" in v for v in base + new)
    ):
        merged = {str(v["id"]): v for v in base}
        for v in new:
            merged[str(v["id"])] = (
                _merge(merged.get(str(v["id"])), v) if str(v["id"]) in merged else v
            )
        return list(merged.values())
    return new


def compile_releases(releases: list[dict]) -> dict:
    ordered = sorted(releases, key=lambda r: str(r.get("date") or ""))
    compiled: dict = {}
    for release in ordered:
        compiled = _merge(compiled, {k: v for k, v in release.items() if k != "tag"})
    return compiled


class Process:
    """One contracting process: its compiled release, the release ids and where it was read."""

    def __init__(
        self, compiled: dict, release_ids: list[str], source_ids: list[str], line: int | None
    ):
        self.release = compiled
        self.release_ids = release_ids
        self.source_ids = source_ids
        self.line = line


class LinkedReleases:
    """The releases a record package links to by URL, looked for only in the files given
    alongside it (never fetched): the release package whose `uri` is the URL without its
    fragment, or whose file name is the URL's last segment; in it, the release the fragment
    names (`…/7-1.json#ocds-ex0002-7-01`), else the releases of the record's ocid."""

    def __init__(self, paths: list[Path], own: Path):
        self.paths = [p for p in paths if p != own]
        self._index: dict[str, Path] | None = None
        self._loaded: tuple[Path | None, list[dict]] = (None, [])

    def index(self) -> dict[str, Path]:
        if self._index is None:
            self._index = {}
            for path in self.paths:
                if not path.is_file() or is_json_lines(path) or not _is_ocds(path):
                    continue
                self._index.setdefault(path.name, path)
                with path.open("rb") as fh:  # a package states its uri first, not after GBs
                    found = _PACKAGE_URI.search(head_text(fh.read(65536)))
                if found:
                    self._index[found.group(1)] = path
        return self._index

    def _releases(self, path: Path) -> list[dict]:
        if self._loaded[0] != path:
            doc = load_json(path)
            found = doc.get("releases") if isinstance(doc, dict) else doc
            self._loaded = (path, [r for r in found or [] if isinstance(r, dict)])
        return self._loaded[1]

    def find(self, url: str, ocid: str) -> list[dict]:
        """The releases behind one linked URL (empty when no file given alongside has it)."""
        if not self.paths:
            return []
        base, _, fragment = url.partition("#")
        path = self.index().get(base) or self.index().get(base.rstrip("/").rsplit("/", 1)[-1])
        if path is None:
            return []
        releases = [r for r in self._releases(path) if str(r.get("ocid")) == ocid]
        if fragment:
            releases = [r for r in releases if str(r.get("id")) == fragment]
        return releases


NO_LINKS = LinkedReleases([], Path())
# the package's own "uri": a top-level key, after at most flat objects such as "publisher"
_PACKAGE_URI = re.compile(
    r'^\s*\{(?:[^{}"]|"(?:[^"\\]|\\.)*"|\{[^{}]*\})*?"uri"\s*:\s*"([^"]+)"', re.S
)


def _processes(
    package: dict,
    sources: list[str],
    line: int | None,
    builder: BatchBuilder,
    links: LinkedReleases = NO_LINKS,
) -> Iterator[Process]:
    if isinstance(package.get("records"), list):
        for record in package["records"]:
            releases = record.get("releases") or []
            embedded = [r for r in releases if isinstance(r, dict) and "ocid" in r]
            linked = [
                r for r in releases if isinstance(r, dict) and "ocid" not in r and r.get("url")
            ]
            for link in linked:
                found = links.find(str(link["url"]), str(record.get("ocid") or ""))
                embedded += [r for r in found if r not in embedded]
                if not found:
                    builder.skip("OCDS linked releases not in the files given (never fetched)")
            compiled = record.get("compiledRelease") or (
                compile_releases(embedded) if embedded else None
            )
            if not compiled:
                builder.skip("OCDS records without compiledRelease or releases")
                continue
            ids = [str(r["id"]) for r in embedded if r.get("id")] or [str(compiled.get("id") or "")]
            yield Process(compiled, [i for i in ids if i], sources, line)
        return
    releases = package.get("releases") if isinstance(package.get("releases"), list) else [package]
    by_ocid: dict[str, list[dict]] = {}
    for release in releases:
        if not isinstance(release, dict) or not release.get("ocid"):
            builder.problem(
                f"release {release.get('id', '?') if isinstance(release, dict) else '?'}",
                "ocds-release",
                "a release needs an ocid",
                line,
            )
            continue
        by_ocid.setdefault(str(release["ocid"]), []).append(release)
    for group in by_ocid.values():
        yield Process(
            compile_releases(group), [str(r.get("id")) for r in group if r.get("id")], sources, line
        )


def _package_sources(
    package: dict, path: Path, sha: str | None, builder: BatchBuilder
) -> list[str]:
    publisher = package.get("publisher") or {}
    props = {
        "publisher": publisher.get("name") if isinstance(publisher, dict) else str(publisher),
        "published": partial_date(package.get("publishedDate")),
        "sha256": sha,
    }
    uri = http_url(package.get("uri"))
    if uri:
        record = url_source(
            uri, name=f"OCDS package {path.name}" if sha else uri, source_type="dataset", **props
        )
    else:
        record = file_source(
            path, sha or file_sha256(path), **{k: v for k, v in props.items() if k != "sha256"}
        )
    return [builder.add(record, "package") or record["id"]]


def _units(
    path: Path, builder: BatchBuilder, links: LinkedReleases = NO_LINKS
) -> Iterator[Process]:
    """Every contracting process in the file, JSON document or JSON lines."""
    if is_json_lines(path):
        file_src: list[str] | None = None
        pending: list[dict] = []
        pending_line: int | None = None
        for line, _, value in iter_lines(path):
            if isinstance(value, dict) and ("releases" in value or "records" in value):
                sources = _package_sources(value, path, None, builder)
                yield from _processes(value, sources, line, builder, links)
            elif isinstance(value, dict):
                if file_src is None:
                    file_src = _package_sources({}, path, file_sha256(path), builder)
                if pending and pending[-1].get("ocid") != value.get("ocid"):
                    yield from _processes({"releases": pending}, file_src, pending_line, builder)
                    pending = []
                if not pending:
                    pending_line = line
                pending.append(value)  # consecutive releases of one process compile together
            else:
                builder.problem(
                    f"line {line}",
                    "ocds-form",
                    "each line must be a release or a package (a JSON object)",
                    line,
                )
        if pending and file_src is not None:
            yield from _processes({"releases": pending}, file_src, pending_line, builder)
        return
    doc = load_json(path)
    sha = file_sha256(path)
    if isinstance(doc, list):  # a bare array of releases
        doc = {"releases": doc}
    if not isinstance(doc, dict):
        raise IngestError(
            [
                Problem(
                    str(path),
                    "-",
                    "ocds-form",
                    "an OCDS file is a release package, a record package or a release",
                )
            ]
        )
    yield from _processes(doc, _package_sources(doc, path, sha, builder), None, builder, links)


# ---------------------------------------------------------------------- mapping


def _party_record(
    party: dict, cls: str, evidence: list[dict], builder: BatchBuilder, where: str
) -> str | None:
    ident = party.get("identifier") or {}
    name = party.get("name") or ident.get("legalName")
    if not name:
        builder.problem(where, "ocds-party", f"party {party.get('id')!r} has no name")
        return None
    props: dict[str, Any] = {"identifier": []}
    for item in [ident, *(party.get("additionalIdentifiers") or [])]:
        if isinstance(item, dict) and item.get("id"):
            found = organisation_ids(item.get("scheme"), item["id"])
            props["identifier"] += found.pop("identifier", [])
            props.update(found)
    if cls != "Company":
        props.pop("isin", None)
    address = party.get("address") or {}
    country = country_code(address.get("countryName") or address.get("country"))
    regions = place_regions(country, address.get("region")) if address.get("region") else []
    if address.get("region") and not (regions and regions[0].get("partOf")):
        builder.skip("OCDS party address regions that do not resolve to a subdivision")
        regions = []
    for region in regions:
        builder.add(region, where)
    if ident.get("scheme") and ident.get("id") and "lei" not in props:
        rid = safe_id(
            "company" if cls == "Company" else "gov",
            f"{slug(str(ident['scheme']))}-{slug(str(ident['id']))}",
        )
    else:
        rid = org_id("company" if cls == "Company" else "gov", str(name), lei=props.get("lei"))
    legal = ident.get("legalName")
    return builder.add(
        {
            "id": rid,
            "type": cls,
            "name": str(name),
            "alias": [legal] if legal and legal != name else None,
            "country": country,
            "headquarters": regions[0]["id"] if regions else None,
            "evidence": evidence,
            **props,
        },
        where,
    )


def _locations(items: list[dict], builder: BatchBuilder, where: str) -> list[str]:
    """Region ids for the items' delivery locations and addresses (unresolved ones counted)."""
    out: list[str] = []
    for item in items:
        locations = list(item.get("deliveryLocations") or []) + (
            [item["deliveryLocation"]] if item.get("deliveryLocation") else []
        )
        addresses = list(item.get("deliveryAddresses") or []) + (
            [item["deliveryAddress"]] if item.get("deliveryAddress") else []
        )
        for location in locations:
            gazetteer = location.get("gazetteer") or {}
            scheme = str(gazetteer.get("scheme") or "").casefold()
            ids = [str(i) for i in gazetteer.get("identifiers") or []]
            address = location.get("address") or (addresses[0] if addresses else {})  # same item
            regions = place_regions(
                address.get("countryName") or address.get("country"),
                address.get("region"),
                geonames=ids[0] if scheme == "geonames" and ids and ids[0].isdigit() else None,
                wikidata=ids[0].upper() if scheme == "wikidata" and ids else None,
                description=location.get("description"),
            )
            if not regions:
                builder.skip("OCDS delivery locations that do not resolve to a region")
            out += [r["id"] for r in regions[:1]]
            for region in regions:
                builder.add(region, where)
        for address in addresses:
            regions = place_regions(
                address.get("countryName") or address.get("country"), address.get("region")
            )
            if not regions:
                builder.skip("OCDS delivery addresses that do not resolve to a region")
            out += [r["id"] for r in regions[:1]]
            for region in regions:
                builder.add(region, where)
    return list(dict.fromkeys(out))


def _value(
    obj: dict, builder: BatchBuilder, where: str, path: str, release: str, line: int | None
) -> dict[str, Any]:
    """amount and currency of `obj.value`; an amount that is not a number or is below zero is a
    problem naming the release and the path (`awards[0].value.amount`)."""
    value = obj.get("value") or {}
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return {}
    field = f"{path}.value.amount"
    try:
        amount = parse_decimal(value.get("amount"))
    except ValueError as exc:
        builder.problem(where, "ocds-value", f"{field} of {release}: {exc}", line)
        return {}
    if amount is not None and amount < 0:
        builder.problem(where, "ocds-value", f"{field} of {release}: {amount} is below zero", line)
        return {}
    currency = str(value.get("currency") or "").upper()
    if amount is None or not currency:
        builder.skip("OCDS values without currency")
        return {}
    return {"amount": amount, "currency": currency}


def _date(
    obj: dict,
    path: str,
    key: str,
    builder: BatchBuilder,
    where: str,
    release: str,
    line: int | None,
) -> str | None:
    """`obj[key]` as a partial date; one that is not a date is a problem naming its path."""
    return builder.date(obj.get(key), f"{path}.{key} of {release}", where, "ocds-date", line)


class _ProcessView:
    """What the awards of one contracting process share: where it is read, what it cites, its
    tender and the organisations its parties became (party id -> record id)."""

    def __init__(self, process: Process, builder: BatchBuilder):
        rel = process.release
        self.builder = builder
        self.release = rel
        self.ocid = str(rel.get("ocid"))
        self.where = f"ocid {self.ocid}"
        self.line = process.line
        self.tender: dict = rel.get("tender") or {}
        self.base_ids = [f"ocid:{self.ocid}"] + [f"ocds-release:{i}" for i in process.release_ids]
        self.evidence = [{"source": s, "locator": self.where} for s in process.source_ids]
        self.label = "release " + ", ".join(process.release_ids or [str(rel.get("id"))])
        self.parties = {
            str(p.get("id")): p for p in rel.get("parties") or [] if isinstance(p, dict)
        }
        self.ours: dict[str, str] = {}

    def map_parties(self) -> None:
        """Buyers become GovernmentBodies and suppliers Companies; other roles are counted."""
        for pid, party in self.parties.items():
            roles = set(party.get("roles") or [])
            cls = (
                "GovernmentBody"
                if roles & set(BUYER_ROLES)
                else "Company"
                if roles & set(SUPPLIER_ROLES)
                else None
            )
            for role in roles - set(BUYER_ROLES) - set(SUPPLIER_ROLES):
                self.builder.skip(f"OCDS party role {role!r}")
            if cls is None:
                continue
            found = _party_record(party, cls, self.evidence, self.builder, self.party_where(pid))
            if found:
                self.ours[pid] = found

    def party_where(self, pid: str) -> str:
        return f"{self.where}, party {pid}"

    def org(self, ref: Any, cls: str) -> str | None:
        """The record id of an organisation reference: a party mapped, or one named in place."""
        if not isinstance(ref, dict):
            return None
        pid = str(ref.get("id"))
        if pid in self.ours:
            return self.ours[pid]
        if ref.get("name"):
            found = _party_record(ref, cls, self.evidence, self.builder, self.party_where(pid))
            if found:
                self.ours[pid] = found
            return found
        return None

    def buyer(self) -> str | None:
        """The buyer: the release's, a party in the buyer role, or the tender's procuring entity."""
        ref = self.release.get("buyer") or next(
            (p for p in self.parties.values() if "buyer" in (p.get("roles") or [])), None
        )
        ref = ref or self.tender.get("procuringEntity")
        return self.org(ref, "GovernmentBody") if ref else None


def _skip_unmapped_sections(rel: dict, tender: dict, builder: BatchBuilder) -> None:
    for key in rel:
        if key not in RELEASE_FIELDS:
            builder.skip(f"OCDS release field {key!r}")
    if rel.get("planning"):
        builder.skip("OCDS planning sections")
    if tender:
        builder.skip("OCDS tender sections (only tenderers and delivery locations read)")


def _contracts_by_award(
    rel: dict, awards: list[dict], builder: BatchBuilder
) -> dict[str, list[tuple[int, dict]]]:
    """award id -> its (position, contract) pairs; contracts of no award are counted."""
    contracts_by_award: dict[str, list[tuple[int, dict]]] = {}
    for number, contract in enumerate(rel.get("contracts") or []):
        contracts_by_award.setdefault(str(contract.get("awardID")), []).append((number, contract))
    award_ids = {str(a.get("id")) for a in awards}
    for award_id, numbered in contracts_by_award.items():
        if award_id not in award_ids:
            builder.skip("OCDS contracts without an award naming suppliers", len(numbered))
    return contracts_by_award


def _map_process(process: Process, builder: BatchBuilder) -> None:
    """One Contract per award that names suppliers, with the parties it links."""
    view = _ProcessView(process, builder)
    rel = view.release
    _skip_unmapped_sections(rel, view.tender, builder)
    view.map_parties()
    buyer = view.buyer()
    for tenderer in view.tender.get("tenderers") or []:
        view.org(tenderer, "Company")
    awards = rel.get("awards") or []
    contracts_by_award = _contracts_by_award(rel, awards, builder)
    for award_number, award in enumerate(awards):
        numbered = contracts_by_award.get(str(award.get("id")), [])
        _map_award(view, award_number, award, numbered, buyer)


def _skip_award_parts(award: dict, contracts: list[dict], builder: BatchBuilder) -> None:
    """Count what an award and its contracts carry that the graph does not hold."""
    if len(contracts) > 1:
        builder.skip(
            "OCDS contracts beyond the first per award (merged into it)", len(contracts) - 1
        )
    for c in contracts:
        if c.get("implementation"):
            builder.skip("OCDS implementation sections (transactions, milestones)")
    for part in [award, *contracts]:
        if part.get("documents"):
            builder.skip("OCDS documents", len(part["documents"]))


def _status(contract: dict, award: dict, builder: BatchBuilder) -> str | None:
    """Our contractStatus for the contract's (else the award's) status code; unknown ones counted."""
    status_code = contract.get("status") or award.get("status")
    status = STATUS.get(str(status_code)) if status_code else None
    if status_code and status is None:
        builder.skip(f"OCDS status {status_code!r}")
    return status


def _map_award(
    view: _ProcessView,
    award_number: int,
    award: dict,
    numbered: list[tuple[int, dict]],
    buyer: str | None,
) -> None:
    """The Contract of one award, enriched by the last OCDS contract implementing it."""
    builder, tender, line, release = view.builder, view.tender, view.line, view.label
    award_id = str(award.get("id"))
    suppliers = [s for s in (view.org(s, "Company") for s in award.get("suppliers") or []) if s]
    contracts = [c for _, c in numbered]
    if not suppliers:
        builder.skip("OCDS awards without suppliers")
        return
    here = f"{view.where}, award {award_id}"
    award_path = f"awards[{award_number}]"
    contract_path, contract = (
        (f"contracts[{numbered[-1][0]}]", numbered[-1][1]) if numbered else ("", {})
    )
    _skip_award_parts(award, contracts, builder)
    items = (contract.get("items") or []) + (award.get("items") or [])
    regions = _locations(items, builder, here) or _locations(
        tender.get("items") or [], builder, here
    )
    status = _status(contract, award, builder)
    period_path, period = (
        (f"{contract_path}.period", contract["period"])
        if contract.get("period")
        else (f"{award_path}.contractPeriod", award.get("contractPeriod") or {})
    )
    title = contract.get("title") or award.get("title") or tender.get("title")
    description = contract.get("description") or award.get("description")
    item_names = [
        str(i.get("description") or (i.get("classification") or {}).get("description") or "")
        for i in items
    ]
    signed = (
        (contract, contract_path, "dateSigned")
        if contract.get("dateSigned")
        else (award, award_path, "date")
    )
    award_value = _value(award, builder, here, award_path, release, line)
    value = (
        _value(contract, builder, here, contract_path, release, line) if contract else {}
    ) or award_value
    idents = view.base_ids + [
        i
        for i in (
            identifier("ocds-award", award_id),
            identifier("ocds-contract", contract.get("id")),
        )
        if i
    ]
    builder.add(
        {
            "id": safe_id("contract", f"{view.ocid}:{award_id}"),
            "type": "Contract",
            "name": str(title or description or f"Award {award_id} of {view.ocid}")[:500],
            "description": description if description and description != title else None,
            "buyer": buyer,
            "supplier": suppliers,
            "performedIn": regions or None,
            "date": _date(*signed, builder, here, release, line),
            "startDate": _date(period, period_path, "startDate", builder, here, release, line),
            "endDate": _date(period, period_path, "endDate", builder, here, release, line),
            "contractStatus": status,
            "item": list(dict.fromkeys(i for i in item_names if i)) or None,
            "identifier": idents,
            "evidence": [
                {**e, "locator": here, **({"quote": str(title)} if title else {})}
                for e in view.evidence
            ],
            **value,
        },
        here,
        line,
    )


# ---------------------------------------------------------------------- adapter


def read_ocds(
    path: Path,
    batch_size: int = BATCH_RELEASES,
    alongside: list[Path] | None = None,
    **_: Any,
) -> Iterator[Batch]:
    """`alongside`: the other files of the same ingest, where linked releases are looked for."""
    yield from finalised(_batches(path, batch_size, LinkedReleases(alongside or [], path)))


def _batches(path: Path, batch_size: int, links: LinkedReleases) -> Iterator[Batch | None]:
    builder = BatchBuilder(path, import_report("ocds", path, "OCDS contracting data"), batch_size)
    sources: dict[str, dict] = {}
    for process in _units(path, builder, links):
        for sid in process.source_ids:  # each batch carries the sources its records cite
            sources.setdefault(sid, builder.records.get(sid) or sources.get(sid) or {})
            if sid not in builder.records and sources[sid]:
                builder.add(sources[sid], "package")
        _map_process(process, builder)
        if builder.unit_done():
            yield builder.cut()
    yield builder.cut()


def _is_ocds(path: Path) -> bool:
    with path.open("rb") as fh:
        return sniff_ocds(path, fh.read(8192))


def sniff_ocds(path: Path, start: bytes) -> bool:
    text = head_text(start)
    if '"ocid"' in text:
        return True
    return ('"releases"' in text or '"records"' in text) and (
        '"publisher"' in text or '"version"' in text or '"uri"' in text
    )


ADAPTER = Adapter(
    name="ocds",
    suffixes=(".json", ".jsonl", ".ndjson"),
    sniff=sniff_ocds,
    read=read_ocds,
    description="OCDS 1.1 release packages, record packages and JSON lines of releases",
    syntaxes=("json-lines", "json"),
)

"""FollowTheMoney entities (JSON lines, as Aleph and OpenSanctions export them) → our classes.

Read in two passes: the first indexes every entity by id (byte offsets, not the entities) and
notes what the links imply (an Ownership's asset and a ContractAward's supplier must be
companies, a Security adds an ISIN to its issuer, an Address gives a country); the second maps
each entity and pulls the entities it refers to into the same batch. The class rule for
organisations and the whole mapping are documented in docs/adapters.md; every schema and
property that has no place in the graph is counted in `Batch.unsupported`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.adapter_kit import (
    BatchBuilder,
    checked_isin,
    checked_lei,
    checked_qid,
    file_sha256,
    file_source,
    finalised,
    http_url,
    import_report,
    name_key,
    parse_amount,
    percent_to_fraction,
    safe_id,
    url_source,
)
from ingest.adapters import Adapter
from ingest.batch import Batch
from ingest.errors import IngestError
from ingest.jsondocs import LineIndex, MemoryIndex, head_text, is_json_lines, iter_items
from ingest.normalize import normalise_name, slug
from ingest.regions import country_code

BATCH_ENTITIES = 2000
ORGANISATIONS = ("Company", "Organization", "LegalEntity", "PublicBody")
ACTOR_PROPERTIES = {
    "name",
    "alias",
    "previousName",
    "jurisdiction",
    "country",
    "mainCountry",
    "nationality",
    "leiCode",
    "isinCode",
    "wikidataId",
    "website",
    "sourceUrl",
    "addressEntity",
    "address",
    "topics",
    "idNumber",
    "taxNumber",
    # Person
    "birthDate",
    "birthPlace",
    "position",
    "firstName",
    "lastName",
    "gender",
    "title",
    "citizenship",
    # Organization, Company, LegalEntity
    "registrationNumber",
    "incorporationDate",
    "sector",
}
# Person properties kept as they are (text, several values each)
PERSON_TEXT = {
    "birthPlace": "birthPlace",
    "position": "position",
    "firstName": "firstName",
    "lastName": "lastName",
    "title": "personTitle",
}
GENDERS = ("male", "female", "other")
# top-level fields of an entity (OpenSanctions' export form) that the mapping reads
ENTITY_FIELDS = {"id", "schema", "properties", "caption", "referents", "datasets"}
ENTITY_FIELDS |= {"first_seen", "last_seen"}
OWNERSHIP_PROPERTIES = {
    "owner",
    "asset",
    "percentage",
    "startDate",
    "endDate",
    "ownershipType",
    "sourceUrl",
    "date",
}
AWARD_PROPERTIES = {
    "supplier",
    "contract",
    "amount",
    "currency",
    "amountEur",
    "amountUsd",
    "date",
    "startDate",
    "endDate",
    "sourceUrl",
    "description",
}
CONTRACT_PROPERTIES = {
    "title",
    "name",
    "authority",
    "amount",
    "currency",
    "amountEur",
    "amountUsd",
    "contractDate",
    "description",
}
INTERVAL_PROPERTIES = {"role", "relationship", "startDate", "endDate", "sourceUrl"}
# FtM interval schemata between two parties -> (our class, the two ends: (FtM property, ours,
# the class the party must have: "Person", or "Organization" for any organisation), extras)
TIES: dict[str, tuple[str, tuple[tuple[str, str, str], ...], dict[str, str]]] = {
    "Directorship": (
        "Directorship",
        (("director", "director", "Actor"), ("organization", "directorshipOf", "Organization")),
        {},
    ),
    "Employment": (
        "Employment",
        (("employee", "employee", "Person"), ("employer", "employer", "Organization")),
        {},
    ),
    "Family": (
        "Relation",
        (("person", "person", "Person"), ("relative", "relative", "Person")),
        {"relationKind": "family"},
    ),
    "Associate": (
        "Relation",
        (("person", "person", "Person"), ("associate", "relative", "Person")),
        {"relationKind": "associate"},
    ),
}
SANCTION_PROPERTIES = {
    "entity",
    "authority",
    "program",
    "reason",
    "provisions",
    "startDate",
    "endDate",
    "listingDate",
    "date",
    "sourceUrl",
    "country",
}


def _unpack(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def props_of(entity: dict) -> dict[str, list]:
    props = entity.get("properties") or {}
    return {k: v if isinstance(v, list) else [v] for k, v in props.items()}


def one(props: dict[str, list], *names: str) -> Any:
    for name in names:
        for value in props.get(name) or []:
            if value not in (None, ""):
                return value
    return None


def _entity_id(value: Any) -> str | None:
    """A reference: FtM writes entity ids, sometimes nested entities ({"id": …})."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


class FtmReader:
    def __init__(self, path: Path, batch_size: int):
        self.path = path
        self.builder = BatchBuilder(
            path, import_report("ftm", path, "FollowTheMoney entities"), batch_size
        )
        self.source = file_source(path, file_sha256(path), sourceType="dataset")
        self.index: LineIndex | MemoryIndex = (
            LineIndex(path) if is_json_lines(path) else MemoryIndex()
        )
        self.must_be_company: set[str] = set()
        self.isins: dict[str, list[str]] = defaultdict(list)
        self.address_country: dict[str, str] = {}
        self.address_text: dict[str, str] = {}
        self.detailed: set[str] = set()  # entities whose skipped details are counted
        self.awarded: set[str] = set()

    # ------------------------------------------------------------------ pass 1
    def build_index(self) -> None:
        for line, offset, entity in iter_items(self.path, _unpack):
            if not self._well_formed(entity, line):
                continue
            eid, schema, props = str(entity["id"]), entity["schema"], props_of(entity)
            if isinstance(self.index, LineIndex):
                self.index.add(eid, line or 0, offset or 0)
            else:
                self.index.add(eid, line, entity)
            if schema == "Ownership":
                self.must_be_company.update(filter(None, map(_entity_id, props.get("asset") or [])))
            elif schema == "ContractAward":
                self.must_be_company.update(
                    filter(None, map(_entity_id, props.get("supplier") or []))
                )
                self.awarded.update(filter(None, map(_entity_id, props.get("contract") or [])))
            elif schema == "Security":
                isin = checked_isin(one(props, "isin"))
                for issuer in filter(None, map(_entity_id, props.get("issuer") or [])):
                    self.must_be_company.add(issuer)
                    if isin:
                        self.isins[issuer].append(isin)
            elif schema == "Address":
                code = country_code(one(props, "country"))
                if code:
                    self.address_country[eid] = code
                full = one(props, "full")
                if full:
                    self.address_text[eid] = str(full)
        if self.builder.problems:  # malformed entities: nothing is mapped
            raise IngestError(self.builder.cut().problems)  # type: ignore[union-attr]

    def _well_formed(self, entity: Any, line: int | None) -> bool:
        where = f"line {line}" if line else "-"
        if not isinstance(entity, dict):
            self.builder.problem(where, "ftm-form", "an entity must be a JSON object", line)
        elif not entity.get("id") or not isinstance(entity.get("schema"), str):
            self.builder.problem(
                str(entity.get("id") or where),
                "ftm-form",
                "an entity needs an id and a schema",
                line,
            )
        elif not isinstance(entity.get("properties", {}), dict):
            self.builder.problem(
                str(entity["id"]), "ftm-form", "properties must be an object of lists", line
            )
        else:
            return True
        return False

    # ------------------------------------------------------------------ pass 2
    def batches(self) -> Iterator[Batch | None]:
        b = self.builder
        try:
            for line, _, entity in iter_items(self.path, _unpack):
                schema = entity["schema"]
                if schema in ORGANISATIONS or schema == "Person":
                    self.actor(str(entity["id"]))
                    self.count_unmapped(schema, props_of(entity), ACTOR_PROPERTIES)
                elif schema == "Ownership":
                    self.ownership(entity, line)
                elif schema == "ContractAward":
                    self.award(entity, line)
                elif schema == "Contract":
                    if str(entity["id"]) not in self.awarded:
                        b.skip("FtM Contract entities without a ContractAward (no supplier)")
                elif schema in ("Sanction", "Debarment"):
                    self.sanction(entity, line)
                elif schema in TIES:
                    self.tie(entity, line)
                elif schema not in ("Security", "Address"):  # folded into their issuer / holder
                    b.skip(f"FtM {schema} entities")
                if b.unit_done():
                    yield b.cut()
            yield b.cut()
        finally:
            self.index.close()

    def evidence(self, entity: dict, props: dict[str, list]) -> list[dict]:
        b = self.builder
        locator = f"entity {entity['id']}"
        b.add(self.source, "file")
        out = [{"source": self.source["id"], "locator": locator}]
        for dataset in entity.get("datasets") or []:
            rid = b.add(
                {
                    "id": safe_id("src-ftm-dataset", slug(str(dataset))),
                    "type": "Source",
                    "name": str(dataset),
                    "sourceType": "dataset",
                },
                locator,
            )
            if rid:
                out.append({"source": rid, "locator": locator})
        for url in filter(None, map(http_url, props.get("sourceUrl") or [])):
            rid = b.add(url_source(url), locator)
            if rid:
                out.append({"source": rid, "locator": locator})
        return out

    def count_unmapped(self, schema: str, props: dict[str, list], used: set[str]) -> None:
        for name in props:
            if name not in used:
                self.builder.skip(f"FtM property {schema}.{name}")

    def actor_class(self, eid: str, schema: str, props: dict[str, list]) -> str:
        """Person → Person; PublicBody or a government topic → GovernmentBody; Company, anything
        owned, awarded or issuing securities, and LegalEntity → Company; an Organization is a
        Company when it shows a company mark (LEI, ISIN, state-owned-enterprise topic or a
        legal-form suffix in its name), else a CivilSocietyOrganization."""
        if schema == "Person":
            return "Person"
        topics = [str(t) for t in props.get("topics") or []]
        if (
            eid in self.must_be_company
            or schema in ("Company", "LegalEntity")
            or "gov.soe" in topics
        ):
            return "Company"
        if schema == "PublicBody" or any(t == "gov" or t.startswith("gov.") for t in topics):
            return "GovernmentBody"
        name = str(one(props, "name") or "")
        marked = one(props, "leiCode", "isinCode") or normalise_name(name) != normalise_name(
            name, strip_legal_forms=False
        )
        return "Company" if marked else "CivilSocietyOrganization"

    def actor(self, eid: str | None) -> tuple[str | None, str | None]:
        """(record id, class) of an FtM party, added to the current batch."""
        entity = self.index.get(eid) if eid else None
        if entity is None:
            return None, None
        schema = entity["schema"]
        if schema not in ORGANISATIONS and schema != "Person":
            self.builder.skip(f"FtM references to {schema} entities where a party is expected")
            return None, None
        props = props_of(entity)
        cls = self.actor_class(str(eid), schema, props)
        names = [str(n) for n in props.get("name") or [] if n]
        caption = entity.get("caption")
        if isinstance(caption, str) and caption in names:  # the publisher's preferred name
            names = [caption] + [n for n in names if n != caption]
        aliases = names[1:] + [
            str(a) for a in (props.get("alias") or []) + (props.get("previousName") or []) if a
        ]
        country = country_code(one(props, "jurisdiction", "country", "mainCountry", "nationality"))
        for address in props.get("addressEntity") or []:
            country = country or self.address_country.get(str(_entity_id(address)))
        record: dict[str, Any] = {
            "id": safe_id("ftm", str(eid)),
            "type": cls,
            "name": names[0] if names else f"Unnamed {schema} ({eid})",
            "alias": [a for a in dict.fromkeys(aliases) if a not in names[:1]] or None,
            "country": country,
            "wikidataId": checked_qid(one(props, "wikidataId")),
            "website": http_url(one(props, "website")),
            "identifier": [f"ftm:{eid}"] + [f"ftm:{r}" for r in entity.get("referents") or []],
            "evidence": self.evidence(entity, props),
            **self.screening_details(entity, props, cls),
        }
        if cls != "Person":
            record["lei"] = checked_lei(one(props, "leiCode"))
        if cls == "Company":
            isins = [checked_isin(v) for v in props.get("isinCode") or []] + self.isins.get(
                str(eid), []
            )
            record["isin"] = [i for i in dict.fromkeys(isins) if i] or None
        elif str(eid) in self.isins:
            self.builder.skip("FtM Security entities whose issuer is not a company")
        return self.builder.add(record, f"entity {eid}", self.index.line(str(eid))), cls

    def screening_details(self, entity: dict, props: dict[str, list], cls: str) -> dict[str, Any]:
        """What a sanctions or PEP screening needs: topics, dates seen, numbers, addresses, and
        a person's birth, nationality, names and positions or an organisation's registration."""
        eid = str(entity["id"])
        where, line = f"entity {eid}", self.index.line(eid)

        def texts(name: str) -> list[str]:
            return [str(v) for v in props.get(name) or [] if v not in (None, "")]

        first_time = eid not in self.detailed  # an entity is re-emitted for every reference
        self.detailed.add(eid)
        addresses = texts("address") + [
            self.address_text[a]
            for a in map(_entity_id, props.get("addressEntity") or [])
            if a in self.address_text
        ]
        unfound = [
            a for a in map(_entity_id, props.get("addressEntity") or []) if a not in self.index
        ]
        if first_time:  # OpenSanctions exports refer to addresses they do not include
            self.builder.skip(
                "FtM addressEntity references to entities not in the file", len(unfound)
            )
            for field in set(entity) - ENTITY_FIELDS:
                self.builder.skip(f"FtM entity field {field}")
        details: dict[str, Any] = {
            "topic": list(dict.fromkeys(texts("topics"))) or None,
            **self.seen(entity, where, line),
            "idNumber": list(dict.fromkeys(texts("idNumber"))) or None,
            "taxNumber": list(dict.fromkeys(texts("taxNumber"))) or None,
            "address": list(dict.fromkeys(addresses)) or None,
        }
        if cls == "Person":
            births = [
                self.builder.date(v, "birthDate", where, "ftm-date", line)
                for v in texts("birthDate")
            ]
            countries = texts("nationality") + texts("citizenship")
            nationalities = [country_code(c) for c in countries]
            if None in nationalities and first_time:
                self.builder.skip(
                    "FtM nationalities that are not ISO 3166 countries", nationalities.count(None)
                )
            gender = one(props, "gender")
            if gender is not None and str(gender).lower() not in GENDERS and first_time:
                self.builder.skip("FtM gender values other than male, female, other")
            details.update(
                {
                    "birthDate": list(dict.fromkeys(b for b in births if b)) or None,
                    "nationality": list(dict.fromkeys(n for n in nationalities if n)) or None,
                    "gender": str(gender).lower()
                    if gender and str(gender).lower() in GENDERS
                    else None,
                    **{
                        ours: list(dict.fromkeys(texts(theirs))) or None
                        for theirs, ours in PERSON_TEXT.items()
                    },
                }
            )
        else:
            details.update(
                {
                    "registrationNumber": list(dict.fromkeys(texts("registrationNumber"))) or None,
                    "incorporationDate": self.date(props, "incorporationDate", where, line),
                    "sector": list(dict.fromkeys(texts("sector"))) or None,
                }
            )
        return details

    def seen(self, entity: dict, where: str, line: int | None) -> dict[str, str | None]:
        """OpenSanctions' first_seen and last_seen (a time is cut off)."""
        return {
            ours: self.builder.date(entity.get(theirs), theirs, where, "ftm-date", line)
            for theirs, ours in (("first_seen", "firstSeen"), ("last_seen", "lastSeen"))
        }

    def tie(self, entity: dict, line: int | None) -> None:
        """FtM Directorship, Employment, Family and Associate → a fact between the two parties
        (TIES), with its role or relationship and dates."""
        b = self.builder
        schema = entity["schema"]
        cls, ends, extras = TIES[schema]
        props = props_of(entity)
        linked: dict[str, str] = {}
        for theirs, ours, must_be in ends:
            rid, party_cls = self.actor(_entity_id(one(props, theirs)))
            if rid is None or not self._is(party_cls, must_be):
                b.skip(f"FtM {schema} entities without both parties in the file")
                return
            linked[ours] = rid
        where = f"entity {entity['id']}"
        used = INTERVAL_PROPERTIES | {theirs for theirs, _, _ in ends}
        self.count_unmapped(schema, props, used)
        role = one(props, "role")
        relationship = one(props, "relationship")
        label = role or relationship or schema
        b.add(
            {
                "id": safe_id("ftm", str(entity["id"])),
                "type": cls,
                "name": str(label),
                **linked,
                **extras,
                "role": str(role) if role and cls != "Relation" else None,
                "relationship": str(relationship) if relationship and cls == "Relation" else None,
                "startDate": self.date(props, "startDate", where, line),
                "endDate": self.date(props, "endDate", where, line),
                "identifier": [f"ftm:{entity['id']}"],
                "evidence": self.evidence(entity, props),
                **self.seen(entity, where, line),
            },
            where,
            line,
        )

    @staticmethod
    def _is(cls: str | None, must_be: str) -> bool:
        if must_be == "Actor":
            return cls is not None
        if must_be == "Person":
            return cls == "Person"
        return cls not in (None, "Person")

    def ownership(self, entity: dict, line: int | None) -> None:
        b = self.builder
        props = props_of(entity)
        owner, _ = self.actor(_entity_id(one(props, "owner")))
        asset, asset_cls = self.actor(_entity_id(one(props, "asset")))
        if owner is None or asset is None or asset_cls != "Company":
            b.skip("FtM Ownership entities without an owner and an owned company in the file")
            return
        where = f"entity {entity['id']}"
        percentage = one(props, "percentage")
        try:
            share = percent_to_fraction(percentage)  # "12.5", "12.5%" and "12,5" alike
        except ValueError as exc:
            b.problem(where, "ftm-percentage", f"percentage: {exc}", line)
            share = None
        if share is not None and not 0 <= share <= 1:
            b.problem(
                where,
                "ftm-percentage",
                f"percentage {percentage!r} is not between 0 and 100",
                line,
            )
            share = None
        self.count_unmapped("Ownership", props, OWNERSHIP_PROPERTIES)
        b.add(
            {
                "id": safe_id("ftm", str(entity["id"])),
                "type": "Ownership",
                "owner": owner,
                "owned": asset,
                "share": share,
                "interestType": [str(t) for t in props.get("ownershipType") or []] or None,
                "startDate": self.date(props, "startDate", where, line),
                "endDate": self.date(props, "endDate", where, line),
                "date": self.date(props, "date", where, line),
                "identifier": [f"ftm:{entity['id']}"],
                "evidence": self.evidence(entity, props),
                **self.seen(entity, where, line),
            },
            where,
            line,
        )

    def date(self, props: dict[str, list], name: str, where: str, line: int | None) -> str | None:
        """A date property as a partial date (a time is cut off); one that is not a date is a
        problem for the file."""
        return self.builder.date(one(props, name), name, where, "ftm-date", line)

    def _amount(self, props: dict[str, list]) -> dict[str, Any]:
        for field, currency in (
            ("amount", one(props, "currency")),
            ("amountEur", "EUR"),
            ("amountUsd", "USD"),
        ):
            try:  # an amount property: "1.2m EUR" reads as well as "1200000"
                money = parse_amount(one(props, field), str(currency).upper() if currency else None)
            except ValueError:
                self.builder.skip(f"FtM {field} values that are not amounts")
                continue
            if money is not None and money.amount >= 0 and money.currency:
                return {"amount": money.amount, "currency": money.currency}
        return {}

    def award(self, entity: dict, line: int | None) -> None:
        b = self.builder
        props = props_of(entity)
        where = f"entity {entity['id']}"
        suppliers = [
            s
            for s, cls in (self.actor(_entity_id(v)) for v in props.get("supplier") or [])
            if s and cls == "Company"
        ]
        if not suppliers:
            b.skip("FtM ContractAward entities without a supplier company in the file")
            return
        contract_id = _entity_id(one(props, "contract"))
        contract = self.index.get(contract_id) if contract_id else None
        cprops = props_of(contract) if contract else {}
        buyer, buyer_cls = self.actor(_entity_id(one(cprops, "authority")))
        if buyer is not None and buyer_cls != "GovernmentBody":
            b.skip("FtM contract authorities that are not public bodies (no buyer link)")
            buyer = None
        self.count_unmapped("ContractAward", props, AWARD_PROPERTIES)
        self.count_unmapped("Contract", cprops, CONTRACT_PROPERTIES)
        evidence = self.evidence(entity, props) + (
            self.evidence(contract, cprops) if contract else []
        )
        title = one(cprops, "title", "name") or one(props, "description")
        b.add(
            {
                "id": safe_id("ftm", str(entity["id"])),
                "type": "Contract",
                "name": str(title or f"Contract award {entity['id']}"),
                "description": one(cprops, "description"),
                "buyer": buyer,
                "supplier": suppliers,
                "date": self.date(props, "date", where, line)
                or self.date(cprops, "contractDate", where, line),
                "startDate": self.date(props, "startDate", where, line),
                "endDate": self.date(props, "endDate", where, line),
                "identifier": [f"ftm:{entity['id']}"]
                + ([f"ftm:{contract_id}"] if contract else []),
                "evidence": evidence,
                **self.seen(entity, where, line),
                **(self._amount(props) or self._amount(cprops)),
            },
            where,
            line,
        )

    def debarment(self, props: dict[str, list]) -> bool:
        """OpenSanctions writes a debarment as a Sanction of entities with the debarment topic
        (and without the sanction one)."""
        for target in map(_entity_id, props.get("entity") or []):
            topics = props_of(self.index.get(target) or {}).get("topics") or []
            if "debarment" in topics and "sanction" not in topics:
                return True
        return False

    def sanction(self, entity: dict, line: int | None) -> None:
        b = self.builder
        props = props_of(entity)
        where = f"entity {entity['id']}"
        targets = [
            t for t, _ in (self.actor(_entity_id(v)) for v in props.get("entity") or []) if t
        ]
        if not targets:
            b.skip("FtM Sanction entities without a sanctioned party in the file")
            return
        evidence = self.evidence(entity, props)
        authority = one(props, "authority")
        imposer = None
        if authority:
            imposer = b.add(
                {
                    "id": f"gov-{name_key(str(authority))}",
                    "type": "GovernmentBody",
                    "name": str(authority),
                    "country": country_code(one(props, "country")),
                    "evidence": evidence,
                },
                where,
                line,
            )
        program = one(props, "program")
        schema = entity["schema"]
        self.count_unmapped(schema, props, SANCTION_PROPERTIES)
        debarred = schema == "Debarment" or self.debarment(props)
        kind = "Debarment" if debarred else "Sanction"
        b.add(
            {
                "id": safe_id("ftm", str(entity["id"])),
                "type": "Measure",
                "measureType": "procurement-ban" if debarred else "sanction",
                "program": str(program) if program else None,
                "name": str(
                    program or (f"{kind} by {authority}" if authority else f"{kind} {entity['id']}")
                ),
                "description": one(props, "reason", "provisions"),
                "imposedBy": imposer,
                "appliesTo": targets,
                "date": self.date(props, "listingDate", where, line)
                or self.date(props, "date", where, line),
                "startDate": self.date(props, "startDate", where, line),
                "endDate": self.date(props, "endDate", where, line),
                "identifier": [f"ftm:{entity['id']}"],
                "evidence": evidence,
                **self.seen(entity, where, line),
            },
            where,
            line,
        )


def read_ftm(path: Path, batch_size: int = BATCH_ENTITIES, **_: Any) -> Iterator[Batch]:
    reader = FtmReader(path, batch_size)
    reader.build_index()
    yield from finalised(reader.batches())


def sniff_ftm(path: Path, start: bytes) -> bool:
    text = head_text(start)
    return '"schema"' in text and '"properties"' in text and '"@graph"' not in text


ADAPTER = Adapter(
    name="ftm",
    suffixes=(".json", ".jsonl", ".ndjson", ".ijson", ".ftm"),
    sniff=sniff_ftm,
    read=read_ftm,
    description="FollowTheMoney entities (JSON lines, as Aleph and OpenSanctions export them)",
    syntaxes=("json-lines", "json"),
)

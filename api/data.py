"""Request and response models: the stable JSON shapes of the API (camelCase, like the graph).

The named queries return maps already in these shapes; the models validate them and document
them in the OpenAPI schema. A node reference's `type` is its ontology class, read from its Neo4j
labels through the ontology model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ontology.model import load_model

Number = int | float


def node_type(labels: list[str]) -> str:
    """The concrete ontology class of a node with these labels (e.g. "Company")."""
    try:
        return load_model().class_of_labels(labels).name
    except StopIteration:
        return sorted(labels)[0] if labels else "Node"


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class NodeRef(Model):
    id: str
    type: str
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _type_from_labels(cls, data: Any) -> Any:
        if isinstance(data, dict) and "labels" in data and "type" not in data:
            data = {**data, "type": node_type(data["labels"] or [])}
        return data


class Evidence(Model):
    """An EVIDENCED_BY link: the source and the quote that supports the fact."""

    source: str
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    quote: str | None = None
    locator: str | None = None


class Problem(Model):
    """The body of every error (RFC 9457 problem details)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    neo4j: str = Field(examples=["up"])


class Page(Model):
    total: int
    limit: int
    offset: int


class Money(Model):
    currency: str | None = None
    amount: Number


class ContractMoney(Model):
    """Sums for one currency: named contracts (`amount`) and aggregate claims apart."""

    currency: str | None = None
    amount: Number = 0
    aggregate_amount: Number = 0


# ---------------------------------------------------------------------- field groups
# shared by several answers (a subclass's own fields follow its base's, as in the JSON)


class Identified(Model):
    """What every fact in an answer starts with: its id and, where it has one, its name."""

    id: str
    name: str | None = None


class ContractFigures(Identified):
    """A contract's id, name and what it is worth: an amount or bounds, in a currency."""

    amount: Number | None = None
    amount_min: Number | None = None
    amount_max: Number | None = None
    currency: str | None = None


class HoldingValue(Model):  # (no docstring: it would become the schema's description)
    id: str
    as_of: str | None = None
    market_value: Number | None = None
    currency: str | None = None


# ---------------------------------------------------------------------- search and entities


class SearchHit(NodeRef):
    aliases: list[str] | None = None
    country: str | None = None
    score: float


class SearchResults(Page):
    query: str
    lucene: str | None = Field(None, description="the full-text query run, built from `query`")
    results: list[SearchHit]


class Link(Model):
    type: str
    direction: str = Field(description='"out" from the entity, "in" towards it')
    count: int


class OtherValue(Model):
    """A value of a property that was not chosen for the answer, and who states it."""

    value: Any
    reports: list[str]
    sources: list[str]
    standing: str


class Entity(NodeRef):
    properties: dict[str, Any]
    evidence: list[Evidence]
    links: list[Link]
    other_values: dict[str, list[OtherValue]] = Field(
        default_factory=dict,
        description="per single-valued property, the values stated but not chosen (see "
        "docs/architecture.md, Statements), with their reports and sources",
    )
    as_known_on: str | None = None


class CitedSource(Model):
    source: str
    quote: str | None = None
    locator: str | None = None


class StatementOut(Model):
    report: str | None = None
    standing: str
    level: str
    first_stated: str
    retracted: str | None = None
    source_date: str | None = None
    sources: list[CitedSource]


class StatedValue(Model):
    value: Any
    statements: list[StatementOut]


class EntityStatements(NodeRef):
    """Every statement of a node the caller may see: per property, each value with who states
    it (`exists`: the node itself)."""

    properties: dict[str, list[StatedValue]]


class Relationship(Model):
    start: str
    type: str
    end: str


class Neighbourhood(Model):
    center: NodeRef
    hops: int
    nodes: list[NodeRef]
    relationships: list[Relationship]
    truncated: bool


class GraphPath(Model):
    length: int
    nodes: list[NodeRef]
    relationships: list[Relationship]


class Paths(Model):
    from_: NodeRef = Field(alias="from")
    to: NodeRef
    max_hops: int
    paths: list[GraphPath]


# ---------------------------------------------------------------------- allegations, campaigns


class AllegationSummary(Identified):
    status: str | None = None
    harm_categories: list[str] | None = None
    date: str | None = None


class Allegation(AllegationSummary):
    description: str | None = None
    affected_groups: list[str] | None = None
    response: str | None = None
    claimants: list[NodeRef] = []
    against: list[NodeRef] = []
    concerns: list[NodeRef] = []
    contracts: list[NodeRef] = []
    evidence: list[Evidence] = []


class CompanyAllegations(Page):
    company: NodeRef
    allegations: list[Allegation]


class Campaign(Identified):
    description: str | None = None
    demand_type: str | None = None
    date: str | None = None
    made_by: list[NodeRef]
    targets: list[NodeRef]
    names: list[NodeRef]
    evidence: list[Evidence]


class Campaigns(Page):
    target: NodeRef | None = None
    campaigns: list[Campaign]


# ---------------------------------------------------------------------- exposure


class ExposureHolding(HoldingValue):
    market_value_usd: Number | None = None
    ownership_share: Number | None = None
    evidence: list[Evidence] = []


class OwnershipLink(Model):
    id: str
    owner: NodeRef
    owned: NodeRef
    share: Number | None = None
    direct: bool | None = None
    evidence: list[Evidence]


class ExposureContract(ContractFigures):
    date: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    aggregate: bool = False
    contract_status: str | None = None
    evidence: list[Evidence]


class ExposureAllegation(AllegationSummary):
    affected_groups: list[str] | None = None
    touches: list[str] = Field(
        description='how it touches the path: "company", "region", "contract"'
    )
    claimants: list[NodeRef]
    against: list[NodeRef]
    concerns: list[NodeRef]
    evidence: list[Evidence]


class ExposurePath(Model):
    """Fund → holding → company (→ subsidiaries) → contract → region, with every fact's evidence."""

    holding: ExposureHolding
    company: NodeRef
    ownership_chain: list[OwnershipLink]
    supplier: NodeRef
    contract: ExposureContract
    region: NodeRef
    region_path: list[NodeRef] = Field(description="the contract's region up to the queried region")
    allegations: list[ExposureAllegation]


class CompanyTotal(Model):
    company: NodeRef
    holding: HoldingValue
    contract_totals: list[ContractMoney]
    contracts: int
    unquantified_contracts: int
    allegations: int


class RegionTotal(Model):
    region: NodeRef
    contract_totals: list[ContractMoney]
    contracts: int
    unquantified_contracts: int
    companies: int


class Exposure(Page):
    fund: NodeRef
    region: NodeRef | None = None
    as_of: str | None = None
    ownership_hops: int
    holding_totals: list[Money]
    by_company: list[CompanyTotal]
    by_region: list[RegionTotal]
    paths: list[ExposurePath]


# ---------------------------------------------------------------------- screening


class PortfolioRow(Model):
    """One holding of an uploaded portfolio; at least a name, an ISIN or an LEI."""

    name: str | None = Field(None, max_length=500)
    isin: str | None = Field(None, max_length=50)
    lei: str | None = Field(None, max_length=50)
    value: Number | None = None
    currency: str | None = Field(None, max_length=10)


class ScreeningRequest(BaseModel):
    holdings: list[PortfolioRow] = Field(max_length=5000)
    flagged_regions: list[str] | None = Field(
        None,
        max_length=1000,
        description="region ids; default: every region an allegation concerns",
    )


class RowMatch(Model):
    row: int = Field(description="index of the row in the request")
    input: PortfolioRow
    method: str = Field(description='"identifier", "name", "alias" or "fuzzy"')
    score: float = Field(description="100 for exact matches, the fuzzy similarity otherwise")
    matched_on: str | None = Field(None, description="the key or name that matched")


class FlaggedContract(ContractFigures):
    aggregate: bool = False
    regions: list[NodeRef]
    flagged_regions: list[NodeRef]


class ScreenedCompany(Model):
    rank: int
    company: NodeRef
    rows: list[RowMatch]
    portfolio_value: list[Money]
    severity: Number
    allegation_count: int
    harm_categories: list[str]
    statuses: list[str]
    allegations: list[AllegationSummary]
    flagged_contract_count: int
    flagged_contracts: list[FlaggedContract]


class UnmatchedRow(Model):
    row: int
    input: PortfolioRow
    reason: str


class Screening(Model):
    flagged_regions: list[NodeRef]
    matched: list[ScreenedCompany]
    unmatched: list[UnmatchedRow]


# ---------------------------------------------------------------------- watches and alerts

ParamValue = str | int | float | bool | None | list[str]


class WatchRequest(Model):
    """What to follow: exactly one of fund, company, region, portfolio or query."""

    name: str = Field(min_length=1, max_length=200)
    fund: str | None = Field(None, max_length=300, description="a fund id")
    as_of: str | None = Field(
        None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="with `fund`: its holdings on this day (default: the latest)",
    )
    company: str | None = Field(None, max_length=300, description="a company id")
    region: str | None = Field(None, max_length=300, description="a region id (sub-regions count)")
    portfolio: list[PortfolioRow] | None = Field(
        None, max_length=5000, description="rows matched to companies as `POST /screening` does"
    )
    query: str | None = Field(None, max_length=100, description="the name of a query in queries/")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="the query's parameters (its `tlp` is the watch's)"
    )
    flagged_regions: list[str] | None = Field(
        None, max_length=1000, description="default: every region an allegation concerns"
    )
    ownership_hops: int = Field(2, ge=0, le=4, description="ownership links followed both ways")
    tlp: str | None = Field(
        None, max_length=20, description="the watch's level (default and at most: the key's)"
    )
    webhook: str | None = Field(
        None, max_length=2000, description="a URL to POST each alert to (allow-listed hosts only)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> WatchRequest:
        given = [k for k in ("fund", "company", "region", "portfolio", "query") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of fund, company, region, portfolio or query")
        if self.as_of and not self.fund:
            raise ValueError("asOf goes with fund")
        return self


class WatchView(Model):
    id: str
    name: str
    kind: str
    target: str | None = None
    as_of: str | None = None
    companies: list[str] = []
    params: dict[str, Any] = {}
    flagged_regions: list[str] | None = None
    ownership_hops: int
    owner: str
    tlp: str
    created: str
    webhook: str | None = None


class WatchCreated(Model):
    watch: WatchView
    feed_token: str = Field(description="opens the Atom feed (`?token=`); shown once")
    feed_url: str
    webhook_secret: str | None = Field(None, description="signs each webhook POST; shown once")
    unmatched: list[dict[str, Any]] = Field(
        default_factory=list, description="portfolio rows that matched no company"
    )


class WatchList(Model):
    watches: list[WatchView]


class Alerts(Model):
    watch: str
    total: int
    limit: int
    offset: int
    alerts: list[dict[str, Any]]


class Deliveries(Model):
    watch: str
    webhook: str | None
    deliveries: list[dict[str, Any]]

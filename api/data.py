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
    as_known_on: str | None = Field(None, description="the day answered for, when asked")


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
    as_known_on: str | None = Field(None, description="the day answered for, when asked")


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


class CompanyHolding(HoldingValue):
    market_value_usd: Number | None = None


class CompanyTotal(Model):
    company: NodeRef
    holding: CompanyHolding
    contract_totals: list[Money] = Field(
        description="per currency, the named contracts' amounts (else amountMin), each once; "
        "aggregate claims are never added in"
    )
    contracts: int = Field(description="named (not aggregate) contracts")
    unquantified_contracts: int = Field(description="named contracts with no amount")
    claims: list[str] = Field(description="ids of the aggregate claims covering the company")
    allegations: int = Field(
        description="allegations against the company or a company of its ownership chains, or "
        "about a contract only they supply (the same count as /companies/{id}/allegations "
        "when ownership_hops = 0)"
    )
    allegation_ids: list[str]


class RegionTotal(Model):
    region: NodeRef
    contract_totals: list[Money]
    contracts: int
    unquantified_contracts: int
    claims: list[str]
    companies: int


class Claim(ContractFigures):
    """An aggregate claim ("more than USD 1 billion since 2016"): it overlaps named contracts
    and other claims, so it keeps its own figure and is never summed."""

    date: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    covers: list[NodeRef] = Field(description="the companies the claim names as suppliers")


class ApartAllegation(AllegationSummary):
    touches: list[str]


class HoldingRecord(Model):
    id: str
    as_of: str | None = None
    held: bool = True
    market_value: Number | None = None
    currency: str | None = None
    market_value_usd: Number | None = None
    sources: list[NodeRef] = []


class CompanyHoldings(Model):
    company: NodeRef
    holdings: list[HoldingRecord] = Field(description="every dated holding, oldest first")


class CompanyState(Model):
    """One exposed company of the fund at the date asked, and what its holdings say."""

    company: NodeRef
    state: str = Field(description='"held", "exited" (latest holding says sold) or "not-yet"')
    holding: HoldingRecord | None = Field(None, description="the holding in force at the date")
    exited_on: str | None = None
    exit_sources: list[NodeRef] = []
    last_held: HoldingRecord | None = None


class LastExposure(Model):
    as_of: str
    holding_totals: list[Money]
    holding_value_usd: Number | None = None
    companies: list[NodeRef]


class Explanation(Model):
    """Why there is no exposure at the date asked."""

    reason: str = Field(
        description='"no-holdings" (the fund holds none of the companies with contracts in the '
        'region), "exited" (its latest holdings record a sale), "not-yet" (its first holding is '
        'after the date), "not-in-region" (no contract of its companies in the region)'
    )
    detail: str
    companies: list[CompanyState] = []
    last_exposed: LastExposure | None = None


class TimelineEvent(Model):
    date: str
    kind: str = Field(description='"holding", "allegation", "demand", "measure", "contract"')
    id: str
    name: str | None = None
    companies: list[str] = []
    held: bool | None = None
    market_value: Number | None = None
    currency: str | None = None


class History(Model):
    """Every dated holding of the exposed companies, against the dates of the allegations,
    demands, measures and contracts about them."""

    holdings: list[CompanyHoldings]
    events: list[TimelineEvent] = Field(description="everything dated, oldest first")


class ExposureTotals(Model):
    holding_totals: list[Money] = Field(description="exposed holdings' value per currency")
    holding_value_usd: Number | None = Field(
        None, description="their value in USD where the source gives it (marketValueUsd)"
    )
    holdings_without_usd: int = 0
    contract_totals: list[Money] = Field(
        description="distinct named contracts per currency (amount, else amountMin)"
    )
    claims: list[Claim]
    allegations: int = Field(description="distinct allegations counted for the companies")
    by_company: list[CompanyTotal]
    by_region: list[RegionTotal]
    region_allegations: list[ApartAllegation] = Field(
        description="allegations on the paths that count for no company: about the region "
        "only, or about a contract shared with companies they are not against"
    )


class Exposure(Page, ExposureTotals):
    fund: NodeRef
    region: NodeRef | None = None
    as_of: str | None = None
    ownership_hops: int
    paths: list[ExposurePath]
    explanation: Explanation | None = None
    history: History | None = None
    as_known_on: str | None = Field(None, description="the day answered for, when asked")


class FundExposure(ExposureTotals):
    """One fund's exposure to the region: totals and the first paths with their evidence."""

    rank: int
    fund: NodeRef
    companies: int
    paths_total: int
    paths: list[ExposurePath]


class NotExposedFund(Model):
    fund: NodeRef
    explanation: Explanation


class RegionExposure(Page):
    """Every fund exposed to a region, ranked by exposed holding value."""

    region: NodeRef
    as_of: str | None = None
    ownership_hops: int
    ranking: str = Field(description="how the funds are ranked")
    funds: list[FundExposure]
    not_exposed: list[NotExposedFund] = Field(
        description="funds exposed before the date asked (or listed in `funds`) but not at it, "
        "each with why (formerly exposed ones: the most recently exposed first, at most `limit`)"
    )
    not_exposed_total: int = 0
    history: dict[str, History] | None = Field(
        None, description="with history=true: per fund id listed, its dated history"
    )
    as_known_on: str | None = Field(None, description="the day answered for, when asked")


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

// exposure: which of a fund's holdings reach government contracts in a region, with the
// allegations touching each link and the evidence of every fact on the path.
//
// Parameters:
//   $fund            STRING        id of the Fund (required)
//   $region          STRING|NULL   id of a Region; a contract counts when it is performed in this
//                                  region or in any of its sub-regions (PART_OF, any depth up to
//                                  12). null = every region (default null)
//   $as_of           STRING|NULL   ISO date. Per fund and company the latest Holding with
//                                  asOf <= $as_of is used, and one with held=false means no
//                                  exposure. null = the latest holding (default null)
//   $ownership_hops  INTEGER       0..4: also follow the held company's subsidiaries,
//                                  (owner)-[:OWNS]->(:Ownership)-[:OWNERSHIP_OF]->(sub), up to
//                                  this many ownership links (default 0)
//   $tlp             LIST<STRING>  sharing levels the caller may see; nodes and evidence sources
//                                  outside it are left out (default every level:
//                                  ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $as_known_on     STRING|NULL   ISO date: answer with what the graph held that day: a node
//                                  or link counts when a statement at one of $tlp was first
//                                  stated on or before it and not retracted by then (its
//                                  knownSpans; the API re-projects the values shown). null =
//                                  today, by the stored levels (default null)
//   $offset, $limit  INTEGER       the page of paths to return (default 0, 100)
//
// Returns one row:
//   fund, region   {id, labels, name}; null when unknown or hidden (so a caller can say 404)
//   pathCount      number of paths before paging
//   paths          the page: each {holding, company, ownershipChain, supplier, contract, region,
//                  regionPath, allegations}. Holding, ownership links, contract and allegations
//                  carry evidence [{source, title, url, publisher, quote, locator}]; each
//                  allegation says how it touches the path: touches ⊆ ["company", "region",
//                  "contract"] (against a company on the path; concerning the contract's region or
//                  a region above it; concerning the contract).
//   holdingTotals  value of the exposed holdings per currency [{currency, amount}]
//   byCompany      per held company: its holding, contract amounts per currency (amount, else
//                  amountMin; aggregate claims summed apart because they overlap named
//                  contracts), counts of contracts, unquantified contracts and allegations
//   byRegion       per contract region: the same contract sums; a contract performed in several
//                  regions counts in each of them
// Contracts and allegations are not filtered by $as_of: their dates are returned instead.
//
// cypher-shell:
//   :param fund => 'gpfg'
//   :param region => 'xinjiang'
//   :param as_of => '2019-12-31'
//   :param ownership_hops => 0
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param as_known_on => null
//   :param offset => 0
//   :param limit => 100

OPTIONAL MATCH (fund:Fund {id: $fund}) WHERE (fund.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN fund.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
OPTIONAL MATCH (target:Region {id: $region}) WHERE (target.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN target.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
CALL (fund, target) {
  // holdings: the latest visible one per company on or before $as_of
  MATCH (fund)-[l1:HOLDS]->(h:Holding)-[l2:IN]->(held:Company)
  WHERE ($region IS NULL OR target IS NOT NULL) AND (l1.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l1.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l2.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l2.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    AND (h.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN h.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (held.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN held.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND ($as_of IS NULL OR h.asOf <= $as_of)
  WITH target, held, h ORDER BY h.asOf DESC, h.id
  WITH target, held, collect(h)[0] AS h
  WHERE coalesce(h.held, true)

  // the held company and its subsidiaries, up to $ownership_hops ownership links
  MATCH chain = (held)-[:OWNS|OWNERSHIP_OF*0..8]->(supplier:Company)
  WHERE length(chain) <= 2 * coalesce($ownership_hops, 0)
    AND all(n IN nodes(chain) WHERE (n.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN n.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    AND all(r IN relationships(chain) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))

  // contracts performed in the target region or one of its sub-regions
  MATCH (supplier)-[l3:SUPPLIER_OF]->(contract:Contract)-[l4:PERFORMED_IN]->(region:Region)
  WHERE (contract.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN contract.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (region.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN region.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l3.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l3.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l4.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l4.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
  MATCH regionPath = (region)-[:PART_OF*0..12]->(within:Region)
  WHERE (CASE WHEN target IS NULL THEN within = region ELSE within = target END)
    AND all(r IN nodes(regionPath) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    AND all(r IN relationships(regionPath) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))

  // the paths only: the allegations touching them are looked up once per held company,
  // contract and region below, and per path for the page alone
  WITH held, h, chain, supplier, contract, region, regionPath
  ORDER BY held.name, held.id, supplier.id, contract.id, region.id
  RETURN collect({held: held, h: h, chain: chain, supplier: supplier, contract: contract,
                  region: region, regionPath: regionPath}) AS rows
}

// what counts for each held company: the allegations against it or a company of its ownership
// chains, and those concerning one of its contracts when every supplier of that contract is in
// its chains (an allegation about a contract shared with others counts only where it is
// against them); named contracts (not aggregate) summed; aggregate claims listed, never summed
CALL (rows) {
  UNWIND rows AS r
  WITH r.held AS held, r.h AS h, collect(r) AS rs
  WITH held, h, rs,
       reduce(cs = [], r IN rs | cs + [c IN nodes(r.chain) WHERE NOT c:Ownership AND NOT c IN cs]) AS companies,
       reduce(ks = [], r IN rs | CASE WHEN r.contract IN ks THEN ks ELSE ks + r.contract END) AS contracts
  WITH held, h, companies, contracts,
       COLLECT { UNWIND companies AS c MATCH (c)<-[l:AGAINST]-(a:Allegation)
                 WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) RETURN DISTINCT a.id AS id
                 UNION
                 UNWIND contracts AS ct
                 WITH ct WHERE NOT EXISTS { MATCH (ct)<-[l:SUPPLIER_OF]-(s:Actor) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND NOT s IN companies }
                 MATCH (ct)<-[l:CONCERNS_CONTRACT]-(a:Allegation)
                 WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) RETURN DISTINCT a.id AS id } AS counted
  ORDER BY held.name, held.id
  RETURN collect({held: held, h: h, counted: counted, contracts: contracts}) AS companies
}

// the page of paths, each with its evidence and allegations described (the costly part: only
// for the paths returned)
CALL (rows) {
  WITH rows, coalesce($offset, 0) AS first
  UNWIND range(first, first + coalesce($limit, 100) - 1) AS i
  WITH i, rows[i] AS r WHERE r IS NOT NULL
  WITH i, r.held AS held, r.h AS h, r.chain AS chain, r.supplier AS supplier,
       r.contract AS contract, r.region AS region, r.regionPath AS regionPath
  WITH i, held, h, chain, supplier, contract, region, regionPath,
       COLLECT { UNWIND [n IN nodes(chain) WHERE NOT n:Ownership] AS c MATCH (c)<-[l:AGAINST]-(a:Allegation)
                 WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) RETURN DISTINCT a } AS byCompany,
       COLLECT { MATCH (region)-[p:PART_OF*0..12]->(:Region)<-[l:CONCERNS]-(a:Allegation)
                 WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND all(x IN p WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
                 RETURN DISTINCT a } AS byRegion,
       COLLECT { MATCH (contract)<-[l:CONCERNS_CONTRACT]-(a:Allegation)
                 WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) RETURN a } AS byContract
  CALL (byCompany, byRegion, byContract) {
    UNWIND byCompany + byRegion + byContract AS a
    WITH DISTINCT a WHERE (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    ORDER BY a.date DESC, a.id
    RETURN collect({
      id: a.id, name: a.name, status: a.status, harmCategories: a.harmCategories,
      affectedGroups: a.affectedGroups, date: a.date,
      touches: [t IN [['company', a IN byCompany], ['region', a IN byRegion], ['contract', a IN byContract]]
                WHERE t[1] | t[0]],
      claimants: COLLECT { MATCH (a)<-[l:ALLEGES]-(x:Actor) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                           RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
      against: COLLECT { MATCH (a)-[l:AGAINST]->(x:Actor) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                         RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
      concerns: COLLECT { MATCH (a)-[l:CONCERNS]->(x:Region) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                          RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
      evidence: COLLECT { MATCH (a)-[e:EVIDENCED_BY]->(s:Source) WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                          RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                                  quote: e.quote, locator: e.locator} AS x
                          ORDER BY x.source, x.locator, x.quote }
    }) AS allegations
  }
  WITH i, {
         holding: {
           id: h.id, asOf: h.asOf, marketValue: h.marketValue, currency: h.currency,
           marketValueUsd: h.marketValueUsd, ownershipShare: h.ownershipShare,
           evidence: COLLECT { MATCH (h)-[e:EVIDENCED_BY]->(s:Source) WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                               RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                                       quote: e.quote, locator: e.locator} AS x
                               ORDER BY x.source, x.locator, x.quote }
         },
         company: {id: held.id, labels: labels(held), name: held.name},
         ownershipChain: [o IN nodes(chain) WHERE o:Ownership | {
           id: o.id, share: o.share, direct: o.direct,
           owner: head([(x)-[:OWNS]->(o) | {id: x.id, labels: labels(x), name: x.name}]),
           owned: head([(o)-[:OWNERSHIP_OF]->(x) | {id: x.id, labels: labels(x), name: x.name}]),
           evidence: [(o)-[e:EVIDENCED_BY]->(s:Source) WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) |
                      {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                       quote: e.quote, locator: e.locator}]
         }],
         supplier: {id: supplier.id, labels: labels(supplier), name: supplier.name},
         contract: {
           id: contract.id, name: contract.name, amount: contract.amount,
           amountMin: contract.amountMin, amountMax: contract.amountMax, currency: contract.currency,
           date: contract.date, startDate: contract.startDate, endDate: contract.endDate,
           aggregate: coalesce(contract.aggregate, false), contractStatus: contract.contractStatus,
           evidence: COLLECT { MATCH (contract)-[e:EVIDENCED_BY]->(s:Source) WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                               RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                                       quote: e.quote, locator: e.locator} AS x
                               ORDER BY x.source, x.locator, x.quote }
         },
         region: {id: region.id, labels: labels(region), name: region.name},
         regionPath: [r IN nodes(regionPath) | {id: r.id, labels: labels(r), name: r.name}],
         allegations: allegations
       } AS path
  ORDER BY i
  RETURN collect(path) AS paths
}

// totals over all paths (not just the page)
CALL (rows) {
  UNWIND rows AS r
  WITH DISTINCT r.h AS h
  WITH h, CASE WHEN h.marketValueUsd IS NOT NULL THEN h.marketValueUsd
               WHEN h.currency = 'USD' THEN h.marketValue END AS usd
  WITH collect(h) AS hs, sum(usd) AS usd, count(usd) AS withUsd, count(h) AS holdings
  RETURN CASE WHEN withUsd = 0 THEN NULL ELSE usd END AS holdingValueUsd,
         holdings - withUsd AS holdingsWithoutUsd,
         COLLECT { UNWIND hs AS h WITH h WHERE h.marketValue IS NOT NULL
                   WITH h.currency AS currency, sum(h.marketValue) AS amount ORDER BY currency
                   RETURN {currency: currency, amount: amount} } AS holdingTotals
}
CALL (rows) {
  UNWIND rows AS r
  WITH DISTINCT r.contract AS ct
  WITH ct ORDER BY ct.id
  WITH collect(ct) AS contracts,
       collect(CASE WHEN coalesce(ct.aggregate, false) THEN {
         id: ct.id, name: ct.name, amount: ct.amount, amountMin: ct.amountMin, amountMax: ct.amountMax,
         currency: ct.currency, date: ct.date, startDate: ct.startDate, endDate: ct.endDate,
         covers: [s IN COLLECT { MATCH (ct)<-[l:SUPPLIER_OF]-(s:Actor) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                                 RETURN s ORDER BY s.id } |
                  {id: s.id, labels: labels(s), name: s.name}]} END) AS claims
  RETURN claims,
         [k IN contracts WHERE NOT coalesce(k.aggregate, false)] AS namedContracts
}
CALL (namedContracts) {
  UNWIND namedContracts AS k
  WITH k.currency AS currency, coalesce(k.amount, k.amountMin) AS value
  WHERE value IS NOT NULL
  WITH currency, sum(value) AS amount ORDER BY currency
  RETURN collect({currency: currency, amount: amount}) AS contractTotals
}
CALL (companies) {
  UNWIND companies AS c
  WITH c.held AS held, c.h AS h, c.counted AS counted,
       [k IN c.contracts WHERE NOT coalesce(k.aggregate, false)] AS named,
       [k IN c.contracts WHERE coalesce(k.aggregate, false) | k.id] AS claims
  CALL (named) {
    UNWIND named AS k
    WITH k.currency AS currency, coalesce(k.amount, k.amountMin) AS value
    WHERE value IS NOT NULL
    WITH currency, sum(value) AS amount ORDER BY currency
    RETURN collect({currency: currency, amount: amount}) AS contractTotals
  }
  RETURN collect({
    company: {id: held.id, labels: labels(held), name: held.name},
    holding: {id: h.id, asOf: h.asOf, marketValue: h.marketValue, currency: h.currency,
              marketValueUsd: h.marketValueUsd},
    contractTotals: contractTotals,
    contracts: size(named),
    unquantifiedContracts: size([k IN named WHERE coalesce(k.amount, k.amountMin) IS NULL]),
    claims: COLLECT { UNWIND claims AS x RETURN x ORDER BY x },
    allegations: size(counted),
    allegationIds: COLLECT { UNWIND counted AS x RETURN x ORDER BY x }
  }) AS byCompany,
  reduce(ids = [], c IN collect(counted) | ids + [a IN c WHERE NOT a IN ids]) AS counted
}
// allegations on the paths that count for no company: about the region only, or about a
// contract shared with companies they are not against
CALL (rows, counted) {
  CALL (rows) {
    UNWIND rows AS r
    WITH DISTINCT r.region AS region
    MATCH (region)-[p:PART_OF*0..12]->(:Region)<-[l:CONCERNS]-(a:Allegation)
    WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND all(x IN p WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    RETURN DISTINCT a, 'region' AS touch
    UNION
    UNWIND rows AS r
    WITH DISTINCT r.contract AS contract
    MATCH (contract)<-[l:CONCERNS_CONTRACT]-(a:Allegation)
    WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    RETURN DISTINCT a, 'contract' AS touch
  }
  WITH a, touch WHERE NOT a.id IN counted
  WITH a, collect(touch) AS touched
  WITH a, [t IN ['region', 'contract'] WHERE t IN touched] AS touches
  ORDER BY a.date DESC, a.id
  RETURN collect({id: a.id, name: a.name, status: a.status, harmCategories: a.harmCategories,
                  date: a.date, touches: touches}) AS regionAllegations
}
CALL (rows) {
  UNWIND rows AS r
  WITH r.region AS region, collect(DISTINCT r.contract) AS contracts,
       collect(DISTINCT r.held.id) AS companies
  WITH region, companies, [k IN contracts WHERE NOT coalesce(k.aggregate, false)] AS named,
       [k IN contracts WHERE coalesce(k.aggregate, false) | k.id] AS claims
  CALL (named) {
    UNWIND named AS k
    WITH k.currency AS currency, coalesce(k.amount, k.amountMin) AS value
    WHERE value IS NOT NULL
    WITH currency, sum(value) AS amount ORDER BY currency
    RETURN collect({currency: currency, amount: amount}) AS contractTotals
  }
  WITH region, named, claims, companies, contractTotals ORDER BY region.name, region.id
  RETURN collect({
    region: {id: region.id, labels: labels(region), name: region.name},
    contractTotals: contractTotals,
    contracts: size(named),
    unquantifiedContracts: size([k IN named WHERE coalesce(k.amount, k.amountMin) IS NULL]),
    claims: COLLECT { UNWIND claims AS x RETURN x ORDER BY x },
    companies: size(companies)
  }) AS byRegion
}
RETURN
  CASE WHEN fund IS NULL THEN NULL ELSE {id: fund.id, labels: labels(fund), name: fund.name} END AS fund,
  CASE WHEN target IS NULL THEN NULL ELSE {id: target.id, labels: labels(target), name: target.name} END AS region,
  size(rows) AS pathCount,
  paths,
  holdingTotals, holdingValueUsd, holdingsWithoutUsd, contractTotals, claims, size(counted) AS allegations,
  byCompany, byRegion, regionAllegations

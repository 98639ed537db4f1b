// exposure_history: every dated holding a fund has of the companies exposed to a region (at any
// date), with the dated allegations, demands, measures and contracts about them: what the API
// explains an empty exposure with, and what `history=true` returns.
//
// Parameters:
//   $fund            STRING        id of the Fund (required)
//   $region          STRING|NULL   id of a Region; sub-regions count (PART_OF, up to 12 levels).
//                                  null = every region (default null)
//   $ownership_hops  INTEGER       0..4: a held company is exposed through subsidiaries up to
//                                  this many ownership links (default 0)
//   $tlp             LIST<STRING>  sharing levels the caller may see (default every level:
//                                  ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $as_known_on     STRING|NULL   ISO date: answer with what the graph held that day: a node
//                                  or link counts when a statement at one of $tlp was first
//                                  stated on or before it and not retracted by then (its
//                                  knownSpans; the API re-projects the values shown). null =
//                                  today, by the stored levels (default null)
//
// Returns one row:
//   fund, region   {id, labels, name}; null when unknown or hidden
//   holdings       number of the fund's visible holdings (of any company)
//   companies      per exposed company (held at some date, with a contract in the region through
//                  its ownership chains), by name: {company, holdings: [{id, asOf, held,
//                  marketValue, currency, marketValueUsd, sources}] oldest first}
//   events         dated facts about them, oldest first: [{date, kind, id, name, companies}],
//                  kind one of "allegation" (against the company or its chain), "demand"
//                  (targeting the fund or naming or targeting the company), "measure" (applying
//                  to the company), "contract" (in the region, supplied through the chain)
// Holdings and facts outside $tlp are left out, and so are facts without a date.
//
// cypher-shell:
//   :param fund => 'gpfg'
//   :param region => 'xinjiang'
//   :param ownership_hops => 0
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param as_known_on => null

OPTIONAL MATCH (fund:Fund {id: $fund}) WHERE (fund.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN fund.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
OPTIONAL MATCH (target:Region {id: $region}) WHERE (target.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN target.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
CALL (fund, target) {
  // the companies the fund ever held (visibly), and their contracts in the region
  MATCH (fund)-[l1:HOLDS]->(h:Holding)-[l2:IN]->(held:Company)
  WHERE ($region IS NULL OR target IS NOT NULL) AND (l1.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l1.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l2.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l2.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    AND (h.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN h.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (held.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN held.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
  WITH DISTINCT target, held
  MATCH chain = (held)-[:OWNS|OWNERSHIP_OF*0..8]->(supplier:Company)
  WHERE length(chain) <= 2 * coalesce($ownership_hops, 0)
    AND all(n IN nodes(chain) WHERE (n.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN n.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    AND all(r IN relationships(chain) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
  MATCH (supplier)-[l3:SUPPLIER_OF]->(contract:Contract)-[l4:PERFORMED_IN]->(region:Region)
  WHERE (contract.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN contract.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (region.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN region.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l3.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l3.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l4.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l4.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    AND (target IS NULL OR EXISTS {
      MATCH p = (region)-[:PART_OF*0..12]->(target)
      WHERE all(r IN nodes(p) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))) AND all(r IN relationships(p) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    })
  WITH held, collect(DISTINCT contract) AS contracts,
       reduce(cs = [], c IN collect([n IN nodes(chain) WHERE NOT n:Ownership]) |
              cs + [x IN c WHERE NOT x IN cs]) AS chainCompanies
  ORDER BY held.name, held.id
  RETURN collect({held: held, contracts: contracts, chainCompanies: chainCompanies}) AS exposed
}
CALL (fund, exposed) {
  UNWIND exposed AS e
  WITH e.held AS held
  RETURN collect({
    company: {id: held.id, labels: labels(held), name: held.name},
    holdings: COLLECT {
      MATCH (fund)-[l1:HOLDS]->(h:Holding)-[l2:IN]->(held)
      WHERE (l1.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l1.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l2.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l2.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (h.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN h.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
      RETURN {id: h.id, asOf: h.asOf, held: coalesce(h.held, true), marketValue: h.marketValue,
              currency: h.currency, marketValueUsd: h.marketValueUsd,
              sources: COLLECT { MATCH (h)-[e:EVIDENCED_BY]->(s:Source)
                                 WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                                 RETURN DISTINCT {id: s.id, labels: labels(s), name: s.name} AS x
                                 ORDER BY x.id }} AS x
      ORDER BY x.asOf, x.id
    }
  }) AS companies
}
CALL (fund, exposed) {
  CALL (fund, exposed) {
    UNWIND exposed AS e
    UNWIND e.chainCompanies AS c
    WITH e.held AS held, c
    CALL (fund, c) {
      MATCH (c)<-[l:AGAINST]-(x:Allegation) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
      RETURN 'allegation' AS kind, x
      UNION
      MATCH (x:Demand)-[l:TARGETS|NAMES]->(c) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
      RETURN 'demand' AS kind, x
      UNION
      MATCH (x:Demand)-[l:TARGETS]->(fund) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
      RETURN 'demand' AS kind, x
      UNION
      MATCH (x:Measure)-[l:APPLIES_TO]->(c) WHERE (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
      RETURN 'measure' AS kind, x
    }
    RETURN kind, x, held
    UNION
    UNWIND exposed AS e
    UNWIND e.contracts AS x
    RETURN 'contract' AS kind, x, e.held AS held
  }
  WITH kind, x, held ORDER BY held.id
  WITH kind, x, collect(DISTINCT held.id) AS held
  WITH kind, x, held, coalesce(x.date, x.startDate) AS date
  WHERE date IS NOT NULL
  WITH {date: date, kind: kind, id: x.id, name: x.name, companies: held} AS event
  ORDER BY event.date, event.kind, event.id
  RETURN collect(event) AS events
}
RETURN
  CASE WHEN fund IS NULL THEN NULL ELSE {id: fund.id, labels: labels(fund), name: fund.name} END AS fund,
  CASE WHEN target IS NULL THEN NULL ELSE {id: target.id, labels: labels(target), name: target.name} END AS region,
  COUNT { (fund)-[l1:HOLDS]->(h:Holding) WHERE (l1.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l1.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (h.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN h.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) } AS holdings,
  companies, events

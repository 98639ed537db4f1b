// region_exposure: which funds hold, at a date, companies with government contracts in a region
// (directly or through subsidiaries), ranked by the value of those holdings. The API describes
// each fund of the page with exposure.cypher (paths, evidence, totals); this query only finds
// and ranks them, starting from the region.
//
// Parameters:
//   $region          STRING        id of a Region (required); a contract counts when it is
//                                  performed in it or in a sub-region (PART_OF, up to 12 levels)
//   $as_of           STRING|NULL   ISO date: per fund and company the latest Holding with
//                                  asOf <= $as_of is used; held=false means sold. null = the
//                                  latest holding (default null)
//   $funds           LIST<STRING>|NULL  only these funds (default null: every fund)
//   $ownership_hops  INTEGER       0..4: a held company is exposed through subsidiaries up to
//                                  this many ownership links (default 0)
//   $tlp             LIST<STRING>  sharing levels the caller may see (default every level:
//                                  ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $as_known_on     STRING|NULL   ISO date: answer with what the graph held that day: a node
//                                  or link counts when a statement at one of $tlp was first
//                                  stated on or before it and not retracted by then (its
//                                  knownSpans; the API re-projects the values shown). null =
//                                  today, by the stored levels (default null)
//   $offset, $limit  INTEGER       the page of exposed funds (default 0, 20); also the number of
//                                  formerly exposed funds returned
//
// Returns one row:
//   region       {id, labels, name}; null when unknown or hidden
//   total        number of funds exposed at the date
//   funds        the page, ranked: [{fund, companies, holdingValueUsd, holdingsWithoutUsd}].
//                Ranking: by holdingValueUsd (a holding's marketValueUsd, or its marketValue
//                when its currency is USD) descending; funds none of whose exposed holdings has
//                a USD value after them; then by exposed companies, fund name and id
//   listedExposed  with $funds: the ids of the listed funds exposed (on any page); else []
//   formerTotal  number of funds exposed before the date but not at it
//   former       the first $limit of them, most recently exposed first: [{fund, lastExposedOn}]
//
// cypher-shell:
//   :param region => 'xinjiang'
//   :param as_of => '2019-12-31'
//   :param funds => null
//   :param ownership_hops => 0
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param as_known_on => null
//   :param offset => 0
//   :param limit => 20

OPTIONAL MATCH (target:Region {id: $region}) WHERE (target.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN target.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
CALL (target) {
  // the suppliers of contracts performed in the region or under it
  MATCH p = (region:Region)-[:PART_OF*0..12]->(target)
  WHERE all(r IN nodes(p) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))) AND all(r IN relationships(p) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
  MATCH (region)<-[l4:PERFORMED_IN]-(contract:Contract)<-[l3:SUPPLIER_OF]-(supplier:Company)
  WHERE (contract.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN contract.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (supplier.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN supplier.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l3.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l3.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l4.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l4.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
  WITH DISTINCT supplier
  // the companies owning them, up to $ownership_hops ownership links
  MATCH chain = (held:Company)-[:OWNS|OWNERSHIP_OF*0..8]->(supplier)
  WHERE length(chain) <= 2 * coalesce($ownership_hops, 0)
    AND all(n IN nodes(chain) WHERE (n.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN n.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
    AND all(r IN relationships(chain) WHERE (r.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN r.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)))
  WITH DISTINCT held
  // per fund and company the latest visible holding on or before $as_of
  MATCH (fund:Fund)-[l1:HOLDS]->(h:Holding)-[l2:IN]->(held)
  WHERE ($funds IS NULL OR fund.id IN $funds) AND (fund.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN fund.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l1.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l1.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
    AND (l2.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l2.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (h.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN h.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND ($as_of IS NULL OR h.asOf <= $as_of)
  // (one pass over each pair's holdings: the latest, ties to the smallest id, and the date of
  // the latest that held; no sort, measured 1.5-2 s against 2.4-4.3 s on 46 k holdings)
  WITH fund, held, collect(h) AS hs
  WITH fund,
       reduce(b = null, x IN hs |
              CASE WHEN b IS NULL OR x.asOf > b.asOf OR (x.asOf = b.asOf AND x.id < b.id)
                   THEN x ELSE b END) AS h,
       reduce(d = null, x IN hs |
              CASE WHEN coalesce(x.held, true) AND (d IS NULL OR x.asOf > d)
                   THEN x.asOf ELSE d END) AS lastHeldOn
  WITH fund, collect(CASE WHEN coalesce(h.held, true) THEN h END) AS current,
       max(lastHeldOn) AS lastExposedOn
  WITH fund, current, lastExposedOn,
       [x IN current | CASE WHEN x.marketValueUsd IS NOT NULL THEN x.marketValueUsd
                            WHEN x.currency = 'USD' THEN x.marketValue END] AS usd
  RETURN collect({fund: fund, companies: size(current), lastExposedOn: lastExposedOn,
                  holdingValueUsd: CASE WHEN size([u IN usd WHERE u IS NOT NULL]) = 0 THEN NULL
                                        ELSE reduce(s = 0, u IN usd | s + coalesce(u, 0)) END,
                  holdingsWithoutUsd: size([u IN usd WHERE u IS NULL])}) AS found
}
CALL (found) {
  UNWIND found AS f
  WITH f WHERE f.companies > 0
  ORDER BY f.holdingValueUsd IS NULL, f.holdingValueUsd DESC, f.companies DESC, f.fund.name,
           f.fund.id
  WITH collect(f) AS exposed
  RETURN size(exposed) AS total,
         CASE WHEN $funds IS NULL THEN [] ELSE [f IN exposed | f.fund.id] END AS listedExposed,
         [f IN exposed[coalesce($offset, 0)..coalesce($offset, 0) + coalesce($limit, 20)] | {
           fund: {id: f.fund.id, labels: labels(f.fund), name: f.fund.name},
           companies: f.companies, holdingValueUsd: f.holdingValueUsd,
           holdingsWithoutUsd: f.holdingsWithoutUsd}] AS funds
}
CALL (found) {
  UNWIND found AS f
  WITH f WHERE f.companies = 0 AND f.lastExposedOn IS NOT NULL
  ORDER BY f.lastExposedOn DESC, f.fund.name, f.fund.id
  WITH collect(f) AS former
  RETURN size(former) AS formerTotal,
         [f IN former[0..coalesce($limit, 20)] | {
           fund: {id: f.fund.id, labels: labels(f.fund), name: f.fund.name},
           lastExposedOn: f.lastExposedOn}] AS former
}
RETURN
  CASE WHEN target IS NULL THEN NULL ELSE {id: target.id, labels: labels(target), name: target.name} END AS region,
  total, funds, listedExposed, formerTotal, former

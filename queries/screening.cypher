// screening: for a list of companies (matched from a portfolio), their allegations and their
// contracts in flagged regions, ranked.
//
// Flagged regions are the regions given in $flagged_regions, or, when that is null, every
// region that at least one visible allegation CONCERNS. A contract is in a flagged region when
// it is performed in it or in one of its sub-regions (PART_OF, up to 12 levels).
//
// Parameters:
//   $companies         LIST<STRING>        ids of Company nodes
//   $flagged_regions   LIST<STRING>|NULL   ids of Region nodes (default null: see above)
//   $status_weights    MAP|NULL            severity weight of each allegation status (default
//                                          {substantiated: 3, alleged: 2, responded: 2,
//                                          disputed: 1, withdrawn: 0}; unknown statuses 1)
//   $tlp               LIST<STRING>        sharing levels the caller may see (default every
//                                          level: ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//
// Returns one row:
//   flaggedRegions   [{id, labels, name}]
//   companies        ranked by severity (sum of the status weights of the allegations against
//                    the company), then number of flagged-region contracts, then number of
//                    allegations, then name: [{rank, company, severity, allegationCount,
//                    harmCategories, statuses, allegations: [{id, name, status, harmCategories,
//                    date}], flaggedContractCount, flaggedContracts: [{id, name, amount,
//                    amountMin, amountMax, currency, aggregate, regions, flaggedRegions}]}]
//
// cypher-shell:
//   :param companies => ['hikvision', 'dahua']
//   :param flagged_regions => null
//   :param status_weights => null
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

CALL () {
  MATCH (r:Region)
  WHERE r.tlp IN $tlp
    AND CASE WHEN $flagged_regions IS NULL
             THEN EXISTS { MATCH (r)<-[:CONCERNS]-(a:Allegation) WHERE a.tlp IN $tlp }
             ELSE r.id IN $flagged_regions END
  WITH r ORDER BY r.id
  RETURN collect(r) AS flagged
}
CALL (flagged) {
  UNWIND $companies AS cid
  MATCH (c:Company {id: cid}) WHERE c.tlp IN $tlp
  WITH DISTINCT c, flagged,
       coalesce($status_weights, {substantiated: 3, alleged: 2, responded: 2, disputed: 1, withdrawn: 0}) AS weights
  WITH c, flagged, weights,
       COLLECT { MATCH (c)<-[:AGAINST]-(a:Allegation) WHERE a.tlp IN $tlp
                 RETURN a ORDER BY a.date DESC, a.id } AS allegations
  CALL (c, flagged) {
    OPTIONAL MATCH (c)-[:SUPPLIER_OF]->(k:Contract)-[:PERFORMED_IN]->(r:Region)-[:PART_OF*0..12]->(f:Region)
    WHERE k.tlp IN $tlp AND r.tlp IN $tlp AND f IN flagged
    WITH k, r, f ORDER BY r.id, f.id
    WITH k, collect(DISTINCT r {.id, labels: labels(r), .name}) AS regions,
         collect(DISTINCT f {.id, labels: labels(f), .name}) AS flaggedIn
    ORDER BY k.id
    RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE {
      id: k.id, name: k.name, amount: k.amount, amountMin: k.amountMin, amountMax: k.amountMax,
      currency: k.currency, aggregate: coalesce(k.aggregate, false),
      regions: regions, flaggedRegions: flaggedIn} END) AS contracts
  }
  WITH c, allegations, contracts,
       reduce(s = 0, a IN allegations | s + coalesce(weights[a.status], 1)) AS severity
  ORDER BY severity DESC, size(contracts) DESC, size(allegations) DESC, c.name, c.id
  WITH collect({
    company: {id: c.id, labels: labels(c), name: c.name},
    severity: severity,
    allegationCount: size(allegations),
    harmCategories: reduce(hs = [], a IN allegations |
                           hs + [h IN coalesce(a.harmCategories, []) WHERE NOT h IN hs]),
    statuses: reduce(ss = [], a IN allegations | ss + [s IN [a.status] WHERE s IS NOT NULL AND NOT s IN ss]),
    allegations: [a IN allegations | {id: a.id, name: a.name, status: a.status,
                                      harmCategories: a.harmCategories, date: a.date}],
    flaggedContractCount: size(contracts),
    flaggedContracts: contracts
  }) AS ranked
  UNWIND range(0, size(ranked) - 1) AS i
  WITH ranked[i] AS entry, i ORDER BY i
  RETURN collect(entry {.*, rank: i + 1}) AS companies
}
RETURN [r IN flagged | {id: r.id, labels: labels(r), name: r.name}] AS flaggedRegions, companies

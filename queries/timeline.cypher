// timeline: the dated facts around an entity, or around a pair of entities (a fund and a
// company), on one time axis: holdings, contracts, allegations, demands, measures, ownerships,
// and the publication dates of their sources.
//
// Parameters:
//   $id    STRING        id of any node (fund, company, region, fact)
//   $with  STRING|NULL   id of a second node: the facts of either, except holdings, which count
//                        only when they link both (the fund's holding of that company); null =
//                        the facts of $id alone (default null)
//   $tlp   LIST<STRING>  sharing levels the caller may see; facts, links and sources outside it
//                        are left out (default every level:
//                        ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//
// Returns one row:
//   entity, other  {id, labels, name}; null when unknown or hidden (so a caller can say 404)
//   events         the facts linked to the node(s) (any relationship but EVIDENCED_BY) and the
//                  node(s) themselves when facts, sorted by date: each {id, kind, name, date,
//                  endDate, held, marketValue, currency, amount, amountMin, status,
//                  harmCategories, measureType, demandType, tlp, sources}; date is the fact's
//                  `date`, else `asOf` (holdings), else `startDate`; null when undated (last)
//   sources        every source of those facts, by publication date:
//                  {id, title, url, publisher, published}
//
// cypher-shell:
//   :param id => 'gpfg'
//   :param with => 'hikvision'
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

OPTIONAL MATCH (a:Node {id: $id}) WHERE a.tlp IN $tlp
OPTIONAL MATCH (b:Node {id: $with}) WHERE b.tlp IN $tlp
WITH a, b, COLLECT {
  MATCH (x:Node)-[l]-(f:Fact)
  WHERE x IN [a, b] AND type(l) <> 'EVIDENCED_BY' AND l.tlp IN $tlp AND f.tlp IN $tlp
    AND (b IS NULL OR NOT f:Holding OR (EXISTS { (f)--(a) } AND EXISTS { (f)--(b) }))
  RETURN f
  UNION
  MATCH (f:Fact) WHERE f IN [a, b]
  RETURN f
} AS facts
CALL (facts) {
  UNWIND facts AS f
  WITH f, coalesce(f.date, f.asOf, f.startDate) AS day
  ORDER BY day IS NULL, day, f.id
  RETURN collect({
    id: f.id,
    kind: head([k IN labels(f) WHERE NOT k IN ['Node', 'Fact']]),
    name: f.name, date: day, endDate: f.endDate, held: f.held, marketValue: f.marketValue,
    currency: f.currency, amount: f.amount, amountMin: f.amountMin, status: f.status,
    harmCategories: f.harmCategories, measureType: f.measureType, demandType: f.demandType,
    tlp: f.tlp,
    sources: COLLECT {
      MATCH (f)-[e:EVIDENCED_BY]->(s:Source) WHERE s.tlp IN $tlp AND e.tlp IN $tlp
      RETURN DISTINCT s.id AS x ORDER BY x
    }
  }) AS events
}
RETURN
  CASE WHEN a IS NULL THEN NULL ELSE {id: a.id, labels: labels(a), name: a.name} END AS entity,
  CASE WHEN b IS NULL THEN NULL ELSE {id: b.id, labels: labels(b), name: b.name} END AS other,
  events,
  COLLECT {
    UNWIND facts AS f
    MATCH (f)-[e:EVIDENCED_BY]->(s:Source) WHERE s.tlp IN $tlp AND e.tlp IN $tlp
    WITH DISTINCT s
    RETURN {id: s.id, title: s.name, url: s.url, publisher: s.publisher, published: s.published}
      AS x ORDER BY x.published IS NULL, x.published, x.id
  } AS sources

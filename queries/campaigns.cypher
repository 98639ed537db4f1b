// campaigns: demands (open letters, calls to divest) aimed at a fund or company or naming it,
// who made them and which actors they target and name.
//
// Parameters:
//   $target          STRING|NULL   id of an Actor (fund, company, …); a demand counts when it
//                                  TARGETS or NAMES it. null = every demand (default null)
//   $tlp             LIST<STRING>  sharing levels the caller may see (default every level:
//                                  ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $offset, $limit  INTEGER       the page (default 0, 50)
//
// Returns one row:
//   target      {id, labels, name}, null when not given, unknown or hidden
//   total       number of visible demands
//   campaigns   the page, newest first: [{id, name, description, demandType, date, madeBy,
//               targets, names, evidence: [{source, title, url, publisher, quote, locator}]}]
//
// cypher-shell:
//   :param target => 'gpfg'
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param offset => 0
//   :param limit => 50

OPTIONAL MATCH (t:Actor {id: $target}) WHERE t.tlp IN $tlp
CALL (t) {
  CALL (t) {
    MATCH (d:Demand) WHERE $target IS NULL RETURN d
    UNION
    MATCH (t)<-[l:TARGETS|NAMES]-(d:Demand) WHERE l.tlp IN $tlp RETURN d
  }
  WITH d WHERE d.tlp IN $tlp
  WITH DISTINCT d ORDER BY d.date DESC, d.id
  RETURN collect({
    id: d.id, name: d.name, description: d.description, demandType: d.demandType, date: d.date,
    madeBy: COLLECT { MATCH (d)<-[l:MADE]-(x:Actor) WHERE x.tlp IN $tlp AND l.tlp IN $tlp
                      RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    targets: COLLECT { MATCH (d)-[l:TARGETS]->(x:Actor) WHERE x.tlp IN $tlp AND l.tlp IN $tlp
                       RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    names: COLLECT { MATCH (d)-[l:NAMES]->(x:Actor) WHERE x.tlp IN $tlp AND l.tlp IN $tlp
                     RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    evidence: COLLECT { MATCH (d)-[e:EVIDENCED_BY]->(s:Source) WHERE s.tlp IN $tlp AND e.tlp IN $tlp
                        RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                                quote: e.quote, locator: e.locator} AS x
                        ORDER BY x.source, x.locator, x.quote }
  }) AS campaigns
}
RETURN
  CASE WHEN t IS NULL THEN NULL ELSE {id: t.id, labels: labels(t), name: t.name} END AS target,
  size(campaigns) AS total,
  campaigns[coalesce($offset, 0)..coalesce($offset, 0) + coalesce($limit, 50)] AS campaigns

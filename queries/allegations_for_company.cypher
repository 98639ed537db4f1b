// allegations_for_company: the allegations made against a company, with who makes them, the
// harm categories, status, the regions and contracts they concern, and every source with its
// quote.
//
// Parameters:
//   $company         STRING        id of the Company
//   $tlp             LIST<STRING>  sharing levels the caller may see (default every level:
//                                  ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $as_known_on     STRING|NULL   ISO date: only what was known that day (knownSpans at one of
//                                  $tlp; the API re-projects the values shown). null = today
//                                  (default null)
//   $offset, $limit  INTEGER       the page (default 0, 50)
//
// Returns one row:
//   company       {id, labels, name}, null when unknown or hidden
//   total         number of visible allegations
//   allegations   the page, newest first: [{id, name, description, status, harmCategories,
//                 affectedGroups, date, response, claimants, against, concerns, contracts,
//                 evidence: [{source, title, url, publisher, quote, locator}]}]
//
// cypher-shell:
//   :param company => 'hikvision'
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param as_known_on => null
//   :param offset => 0
//   :param limit => 50

OPTIONAL MATCH (c:Company {id: $company}) WHERE (c.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN c.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
CALL (c) {
  MATCH (c)<-[l:AGAINST]-(a:Allegation) WHERE (a.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN a.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
  WITH a ORDER BY a.date DESC, a.id
  RETURN collect({
    id: a.id, name: a.name, description: a.description, status: a.status,
    harmCategories: a.harmCategories, affectedGroups: a.affectedGroups, date: a.date,
    response: a.response,
    claimants: COLLECT { MATCH (a)<-[l:ALLEGES]-(x:Actor) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                         RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    against: COLLECT { MATCH (a)-[l:AGAINST]->(x:Actor) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                       RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    concerns: COLLECT { MATCH (a)-[l:CONCERNS]->(x:Region) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                        RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    contracts: COLLECT { MATCH (a)-[l:CONCERNS_CONTRACT]->(x:Contract) WHERE (x.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN x.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (l.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN l.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                         RETURN {id: x.id, labels: labels(x), name: x.name} AS x ORDER BY x.id },
    evidence: COLLECT { MATCH (a)-[e:EVIDENCED_BY]->(s:Source) WHERE (s.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN s.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND (e.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN e.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp))
                        RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                                quote: e.quote, locator: e.locator} AS x
                        ORDER BY x.source, x.locator, x.quote }
  }) AS allegations
}
RETURN
  CASE WHEN c IS NULL THEN NULL ELSE {id: c.id, labels: labels(c), name: c.name} END AS company,
  size(allegations) AS total,
  allegations[coalesce($offset, 0)..coalesce($offset, 0) + coalesce($limit, 50)] AS allegations

// watch_evidence: the sources and quotes of some facts, at a watch's sharing levels (for the
// alerts of ingest/watches.py).
//
// Parameters:
//   $facts   LIST<STRING>   ids of the facts
//   $tlp     LIST<STRING>   the watch's sharing levels: links and sources outside them are left out
//
// Returns one row per visible fact:
//   fact       id
//   labels     its labels
//   evidence   [{source, title, url, publisher, published, quote, locator, tlp, sourceTlp}] by source id, quote
//
// cypher-shell:
//   :param facts => ['allegation-ipvm-hikvision-xinjiang']
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

UNWIND $facts AS factId
MATCH (fact:Node {id: factId}) WHERE fact.tlp IN $tlp
RETURN factId AS fact, labels(fact) AS labels,
       COLLECT { MATCH (fact)-[e:EVIDENCED_BY]->(s:Source) WHERE e.tlp IN $tlp AND s.tlp IN $tlp
                 WITH e, s ORDER BY s.id, e.quote
                 RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
                         published: s.published, quote: e.quote, locator: e.locator,
                         tlp: e.tlp, sourceTlp: s.tlp} } AS evidence

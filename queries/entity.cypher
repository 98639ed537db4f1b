// entity: one node by id, with its properties, its evidence and a count of its links.
//
// Parameters:
//   $id    STRING        id of any node (actor, region, fact, source, report)
//   $tlp   LIST<STRING>  sharing levels the caller may see (default every level:
//                        ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//
// Returns no row when the node does not exist or is hidden; otherwise one row:
//   id, labels, properties   the node as stored (derived stamps included)
//   evidence                 [{source, title, url, publisher, quote, locator, statements}], its
//                            EVIDENCED_BY links to visible sources (statements: who states the
//                            link, see ontology/statements.py; the API filters on them)
//   links                    [{type, direction, count}]: its relationships to visible nodes, by
//                            type and direction ("out" from this node, "in" towards it)
//
// cypher-shell:
//   :param id => 'hikvision'
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

MATCH (n:Node {id: $id})
WHERE n.tlp IN $tlp
RETURN
  n.id AS id,
  labels(n) AS labels,
  properties(n) AS properties,
  COLLECT {
    MATCH (n)-[e:EVIDENCED_BY]->(s:Source) WHERE s.tlp IN $tlp AND e.tlp IN $tlp
    RETURN {source: s.id, title: s.name, url: s.url, publisher: s.publisher,
            quote: e.quote, locator: e.locator, statements: e.statements} AS x
    ORDER BY x.source, x.locator, x.quote
  } AS evidence,
  COLLECT {
    MATCH (n)-[r]-(m:Node) WHERE m.tlp IN $tlp AND r.tlp IN $tlp
    WITH type(r) AS type, CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END AS direction,
         count(*) AS count
    RETURN {type: type, direction: direction, count: count} AS x
    ORDER BY x.type, x.direction
  } AS links

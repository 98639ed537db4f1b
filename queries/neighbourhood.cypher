// neighbourhood: the nodes and relationships within 1 or 2 hops of a node.
//
// Evidence links (EVIDENCED_BY) are left out, since every fact carries its evidence (see
// entity.cypher), except around a Source, whose neighbourhood is what it evidences.
//
// Parameters:
//   $id     STRING        id of the centre node
//   $hops   INTEGER       1 or 2 (default 1; the pattern's fixed upper bound is 2)
//   $tlp    LIST<STRING>  sharing levels the caller may see; hidden nodes are not crossed
//                         (default every level: ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $limit  INTEGER       at most this many relationships (default 200)
//
// Returns no row when the centre does not exist or is hidden; otherwise one row:
//   center          {id, labels, name}
//   nodes           [{id, labels, name}] every node of the returned relationships and the centre
//   relationships   [{start, type, end}] by node id, ordered by type, start, end
//   truncated       true when more than $limit relationships were found
//
// cypher-shell:
//   :param id => 'hikvision'
//   :param hops => 1
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param limit => 200

MATCH (center:Node {id: $id})
WHERE center.tlp IN $tlp
CALL (center) {
  MATCH p = (center)-[*1..2]-(:Node)
  WHERE length(p) <= coalesce($hops, 1)
    AND all(x IN nodes(p) WHERE x.tlp IN $tlp)
    AND all(r IN relationships(p) WHERE r.tlp IN $tlp)
    AND all(r IN relationships(p) WHERE type(r) <> 'EVIDENCED_BY'
                                     OR (center:Source AND endNode(r) = center))
  UNWIND relationships(p) AS r
  WITH DISTINCT r
  WITH r, startNode(r) AS a, endNode(r) AS b
  ORDER BY type(r), a.id, b.id
  LIMIT coalesce($limit, 200) + 1
  RETURN collect({start: a.id, type: type(r), end: b.id, a: a, b: b}) AS rels
}
WITH center, rels[0..coalesce($limit, 200)] AS page, size(rels) > coalesce($limit, 200) AS truncated
CALL (center, page) {
  UNWIND [center] + [r IN page | r.a] + [r IN page | r.b] AS x
  WITH DISTINCT x
  ORDER BY x.id
  RETURN collect({id: x.id, labels: labels(x), name: x.name}) AS nodes
}
RETURN {id: center.id, labels: labels(center), name: center.name} AS center,
       nodes,
       [r IN page | {start: r.start, type: r.type, end: r.end}] AS relationships,
       truncated

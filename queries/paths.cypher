// paths: the shortest paths between two nodes, in either direction, over allowed relationship
// types.
//
// Parameters:
//   $from, $to   STRING              ids of the two nodes
//   $max_hops    INTEGER             1..6: longest path returned (default 4; the pattern's fixed
//                                    upper bound is 6)
//   $types       LIST<STRING>|NULL   relationship types a path may use (default null: every
//                                    type except EVIDENCED_BY and CITED_BY)
//   $tlp         LIST<STRING>        sharing levels the caller may see; hidden nodes are not
//                                    crossed (default every level:
//                                    ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $limit       INTEGER             at most this many paths (default 10)
//
// Returns one row:
//   from, to   {id, labels, name}, null when unknown or hidden
//   paths      [{length, nodes: [{id, labels, name}], relationships: [{start, type, end}]}],
//              all of the shortest length (ties included up to $limit), ordered by the ids
//              of their nodes so the same graph always gives the same paths
//
// cypher-shell:
//   :param from => 'rafto-foundation'
//   :param to => 'hikvision'
//   :param max_hops => 4
//   :param types => null
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param limit => 10

OPTIONAL MATCH (a:Node {id: $from}) WHERE a.tlp IN $tlp
OPTIONAL MATCH (b:Node {id: $to}) WHERE b.tlp IN $tlp
CALL (a, b) {
  MATCH p = ALL SHORTEST (a) (()-[r]-(x:Node)
      WHERE x.tlp IN $tlp AND r.tlp IN $tlp
        AND CASE WHEN $types IS NULL THEN NOT type(r) IN ['EVIDENCED_BY', 'CITED_BY']
                 ELSE type(r) IN $types END){1,6} (b)
  WHERE a <> b AND length(p) <= coalesce($max_hops, 4)
  WITH p ORDER BY [x IN nodes(p) | x.id], [r IN relationships(p) | type(r)]
  LIMIT coalesce($limit, 10)
  RETURN collect({
    length: length(p),
    nodes: [x IN nodes(p) | {id: x.id, labels: labels(x), name: x.name}],
    relationships: [r IN relationships(p) | {start: startNode(r).id, type: type(r), end: endNode(r).id}]
  }) AS paths
}
RETURN
  CASE WHEN a IS NULL THEN NULL ELSE {id: a.id, labels: labels(a), name: a.name} END AS from,
  CASE WHEN b IS NULL THEN NULL ELSE {id: b.id, labels: labels(b), name: b.name} END AS to,
  paths

// search: full-text search over names, aliases and identifiers of actors, regions and sources
// (the index rg_search on name and searchText).
//
// Parameters:
//   $query   STRING               a Lucene query, e.g. 'hikvision', 'dahua~1 AND tech*',
//                                 '"rafto foundation"'; the API builds it from plain words,
//                                 escaping Lucene's special characters
//   $types   LIST<STRING>|NULL    keep only nodes carrying one of these labels, e.g. ['Company']
//                                 (default null: every indexed label)
//   $tlp     LIST<STRING>         sharing levels the caller may see (default every level:
//                                 ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $as_known_on  STRING|NULL     ISO date: only nodes known that day at one of $tlp (their
//                                 knownSpans; the API re-ranks by their texts then). null =
//                                 today (default null)
//   $offset, $limit  INTEGER      the page (default 0, 20)
//
// Returns one row: total (visible hits, at most 1000) and hits, the page, best first:
//   [{id, labels, name, aliases, country, searchText, score}]; a source's score counts half, so
//   that the companies, organisations and places a name stands for come before articles titled
//   with it. The sharing filter comes before any limit (the index call has none), so hidden
//   nodes never crowd visible ones out; the API also puts the filter into $query itself (the
//   index's tlp field) and re-ranks the hits by their own texts (api/fulltext.py).
//
// cypher-shell:
//   :param query => 'hikvision'
//   :param types => null
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param as_known_on => null
//   :param offset => 0
//   :param limit => 20

CALL db.index.fulltext.queryNodes('rg_search', $query) YIELD node, score
WHERE (node.tlp IN $tlp AND $as_known_on IS NULL OR any(k IN node.knownSpans WHERE left(k, 10) <= $as_known_on < substring(k, 11, 10) AND substring(k, 22) IN $tlp)) AND ($types IS NULL OR any(l IN labels(node) WHERE l IN $types))
WITH node, score LIMIT 1000
WITH node, score * CASE WHEN node:Source THEN 0.5 ELSE 1.0 END AS score
ORDER BY score DESC, node.id
WITH collect({id: node.id, labels: labels(node), name: node.name, aliases: node.aliases,
              country: node.country, searchText: node.searchText, score: score}) AS hits
RETURN size(hits) AS total,
       hits[coalesce($offset, 0)..coalesce($offset, 0) + coalesce($limit, 20)] AS hits

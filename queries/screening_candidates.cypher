// screening_candidates: for each row of an uploaded portfolio, the companies the full-text
// index finds for its identifiers and name. The caller (api/screening.py) then decides the
// match: a shared identifier key, then a shared normalised name or alias key, then a fuzzy
// name score above the cut-off.
//
// Parameters:
//   $rows   LIST<MAP>     [{row: INTEGER, query: STRING}], query a Lucene query such as
//                         'cne100000pm8^10 OR (hikvison~1 OR hikvison*)'
//   $tlp    LIST<STRING>  sharing levels the caller may see (default every level:
//                         ["CLEAR","GREEN","AMBER","AMBER+STRICT","RED"])
//   $limit  INTEGER       candidates per row (default 200)
//
// Returns one row per input row: row, candidates [{id, name, aliases, resolveKeys,
// searchText, score}], best first by Lucene's score: at most 200 companies, the sharing filter
// applied before that limit (the index call has none). The API also puts the filter into each
// query (the index's tlp field) and re-ranks the candidates by their own texts.
//
// cypher-shell:
//   :param rows => [{row: 0, query: 'cne100000pm8^10'}, {row: 1, query: 'dahua~1 AND technology~1'}]
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']
//   :param limit => 200

UNWIND $rows AS row
CALL (row) {
  CALL db.index.fulltext.queryNodes('rg_search', row.query) YIELD node, score
  WHERE node:Company AND node.tlp IN $tlp
  WITH node, score LIMIT 200
  WITH node, score ORDER BY score DESC, node.id LIMIT coalesce($limit, 200)
  RETURN collect({id: node.id, name: node.name, aliases: node.aliases,
                  resolveKeys: node.resolveKeys, searchText: node.searchText,
                  score: score}) AS candidates
}
RETURN row.row AS row, candidates

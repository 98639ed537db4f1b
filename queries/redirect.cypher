// redirect: where a merged-away id now lives, when the caller may see it.
//
// Parameters:
//   $id    STRING        an id that a "same" decision merged into a canonical entity, or that a
//                        reviewed report gave a fact whose id is now derived from its key
//   $tlp   LIST<STRING>  sharing levels the caller may see
//
// Returns no row when the id was never merged or renamed, or the node it now is is hidden;
// otherwise one row:
//   id     the canonical id
//
// cypher-shell:
//   :param id => 'ownership-cethik-hikvision'
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

MATCH (r:Redirect {id: $id})
MATCH (n:Node {id: r.to})
WHERE n.tlp IN $tlp
RETURN n.id AS id

// redirect: where a merged-away id now lives, when the caller may see it.
//
// Parameters:
//   $id    STRING        an id that a "same" decision merged into a canonical entity
//   $tlp   LIST<STRING>  sharing levels the caller may see
//
// Returns no row when the id was never merged or the canonical node is hidden; otherwise
//   id     the canonical entity's id
MATCH (r:Redirect {id: $id})
MATCH (n:Node {id: r.to})
WHERE n.tlp IN $tlp
RETURN n.id AS id

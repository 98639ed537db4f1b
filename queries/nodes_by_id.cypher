// nodes_by_id: the stored properties (statements included) of the nodes with these ids, for
// the API to project them for a caller and a day (api/projection.py). No sharing filter: the
// caller's query chose the ids, and the API shows only what the projection at the caller's
// levels leaves of them.
//
// Parameters:
//   $ids   LIST<STRING>   node ids
//
// Returns one row per node found: id, properties
//
// cypher-shell:
//   :param ids => ['hikvision', 'gpfg']

MATCH (n:Node) WHERE n.id IN $ids
RETURN n.id AS id, properties(n) AS properties

// watch_paths: how each of some facts (allegations, contracts, measures, demands) touches a
// watch: the path from what the watch follows to the fact, at the watch's sharing levels.
// Run by the alert engine (ingest/watches.py) inside the ingest's own transaction.
//
// What a watch follows (its anchors):
//   a fund: each held company (per company the latest holding with asOf <= $as_of, none with
//     held=false; $as_of null = the latest), path fund -HOLDS-> holding -IN-> company; and the
//     fund itself (a demand targeting it, a measure applying to it);
//   companies ($companies: a company watch, or an uploaded portfolio resolved to companies);
//   a region ($region): the region and its sub-regions.
// From each company, its ownership chain up to $ownership_hops ownership links both ways: the
// companies it owns and the companies that own it, (owner)-[:OWNS]->(:Ownership)-[:OWNERSHIP_OF]->(owned).
// A fact touches a company of the chain (or the fund) when it is
//   an Allegation AGAINST it, a Measure APPLYING_TO it, a Demand TARGETING or NAMING it, or
//   a Contract it is SUPPLIER_OF, performed in a flagged region or one of its sub-regions
//   (flagged: $flagged_regions, or when null every region a visible allegation CONCERNS);
// and touches a watched region when it is an Allegation CONCERNING it or a Contract PERFORMED_IN
// it (or in one of their sub-regions).
//
// Parameters:
//   $facts            LIST<STRING>        ids of the facts to place
//   $fund             STRING|NULL         id of the watched Fund
//   $as_of            STRING|NULL         ISO date of the fund's holdings (null: the latest)
//   $companies        LIST<STRING>|NULL   ids of watched Companies
//   $region           STRING|NULL         id of the watched Region
//   $flagged_regions  LIST<STRING>|NULL   ids of flagged Regions (null: see above)
//   $ownership_hops   INTEGER             0..4 ownership links followed from a company
//   $tlp              LIST<STRING>        the watch's sharing levels: nodes and links outside
//                                         them are not followed
//
// Returns one row per fact that touches the watch, by its shortest path:
//   fact       id
//   nodes      [{id, labels, name, tlp}] from what the watch follows to the fact
//   links      [{type, from, to, tlp}] the relationships between them, as stored
//
// cypher-shell:
//   :param facts => ['allegation-ipvm-hikvision-xinjiang']
//   :param fund => 'gpfg'
//   :param as_of => '2019-12-31'
//   :param companies => null
//   :param region => null
//   :param flagged_regions => null
//   :param ownership_hops => 2
//   :param tlp => ['CLEAR','GREEN','AMBER','AMBER+STRICT','RED']

CALL () {
  MATCH (r:Region)
  WHERE r.tlp IN $tlp
    AND CASE WHEN $flagged_regions IS NULL
             THEN EXISTS { MATCH (r)<-[l:CONCERNS]-(a:Allegation) WHERE a.tlp IN $tlp AND l.tlp IN $tlp }
             ELSE r.id IN $flagged_regions END
  RETURN collect(r) AS flagged
}
CALL () {
  OPTIONAL MATCH (fund:Fund {id: $fund}) WHERE fund.tlp IN $tlp
  RETURN fund
}
// the anchors: [nodes, links] of the head of each path, ending at a company (or fund, region)
CALL (fund) {
  MATCH (fund)-[l1:HOLDS]->(h:Holding)-[l2:IN]->(c:Company)
  WHERE l1.tlp IN $tlp AND l2.tlp IN $tlp AND h.tlp IN $tlp AND c.tlp IN $tlp
    AND ($as_of IS NULL OR h.asOf <= $as_of)
  WITH fund, c, l2, h ORDER BY h.asOf DESC, h.id
  WITH fund, c, collect([h, l2])[0] AS latest
  WITH fund, c, latest[0] AS h, latest[1] AS l2
  WHERE coalesce(h.held, true)
  MATCH (fund)-[l1:HOLDS]->(h)
  RETURN c AS anchor, 'company' AS kind, [fund, h, c] AS headNodes, [l1, l2] AS headLinks
  UNION
  WITH fund WHERE fund IS NOT NULL
  RETURN fund AS anchor, 'fund' AS kind, [fund] AS headNodes, [] AS headLinks
  UNION
  UNWIND coalesce($companies, []) AS cid
  MATCH (c:Company {id: cid}) WHERE c.tlp IN $tlp
  RETURN c AS anchor, 'company' AS kind, [c] AS headNodes, [] AS headLinks
  UNION
  MATCH (r:Region {id: $region}) WHERE r.tlp IN $tlp
  RETURN r AS anchor, 'region' AS kind, [r] AS headNodes, [] AS headLinks
}
// the ownership chain of a company, both ways; a fund or region is its own chain
CALL (anchor, kind) {
  WITH anchor, kind WHERE kind <> 'company'
  RETURN anchor AS member, [] AS chainNodes, [] AS chainLinks
  UNION
  WITH anchor, kind WHERE kind = 'company'
  MATCH chain = (anchor)-[:OWNS|OWNERSHIP_OF*0..8]->(member:Company)
  WHERE length(chain) <= 2 * coalesce($ownership_hops, 0)
    AND all(n IN nodes(chain) WHERE n.tlp IN $tlp)
    AND all(r IN relationships(chain) WHERE r.tlp IN $tlp)
  RETURN member, tail(nodes(chain)) AS chainNodes, relationships(chain) AS chainLinks
  UNION
  WITH anchor, kind WHERE kind = 'company'
  MATCH chain = (member:Company)-[:OWNS|OWNERSHIP_OF*2..8]->(anchor)
  WHERE length(chain) <= 2 * coalesce($ownership_hops, 0)
    AND all(n IN nodes(chain) WHERE n.tlp IN $tlp)
    AND all(r IN relationships(chain) WHERE r.tlp IN $tlp)
  RETURN member, tail(reverse(nodes(chain))) AS chainNodes, reverse(relationships(chain)) AS chainLinks
}
WITH flagged, kind, member, headNodes + chainNodes AS nodes, headLinks + chainLinks AS links
UNWIND $facts AS factId
MATCH (fact:Node {id: factId}) WHERE fact.tlp IN $tlp
CALL (fact, member, kind, flagged) {
  // a fact aimed at a company of the chain, or at the fund
  WITH fact, member, kind WHERE kind IN ['company', 'fund']
  MATCH (fact)-[l:AGAINST|APPLIES_TO|TARGETS|NAMES]->(member)
  WHERE l.tlp IN $tlp
    AND ((fact:Allegation AND type(l) = 'AGAINST') OR (fact:Measure AND type(l) = 'APPLIES_TO')
         OR (fact:Demand AND type(l) IN ['TARGETS', 'NAMES']))
  RETURN [fact] AS tailNodes, [l] AS tailLinks
  UNION
  // a contract of a company of the chain in a flagged region
  WITH fact, member, kind, flagged WHERE kind = 'company' AND fact:Contract
  MATCH (member)-[l1:SUPPLIER_OF]->(fact)-[l2:PERFORMED_IN]->(r:Region)
  MATCH rp = (r)-[:PART_OF*0..12]->(f:Region)
  WHERE f IN flagged AND l1.tlp IN $tlp AND l2.tlp IN $tlp AND r.tlp IN $tlp
    AND all(x IN relationships(rp) WHERE x.tlp IN $tlp) AND all(x IN nodes(rp) WHERE x.tlp IN $tlp)
  WITH fact, l1, l2, r, rp ORDER BY length(rp), r.id
  LIMIT 1
  RETURN [fact, r] AS tailNodes, [l1, l2] AS tailLinks
  UNION
  // an allegation concerning, or a contract performed in, the watched region or below it
  WITH fact, member, kind WHERE kind = 'region' AND (fact:Allegation OR fact:Contract)
  MATCH (fact)-[l:CONCERNS|PERFORMED_IN]->(r:Region)
  MATCH rp = (r)-[:PART_OF*0..12]->(member)
  WHERE l.tlp IN $tlp AND r.tlp IN $tlp
    AND all(x IN relationships(rp) WHERE x.tlp IN $tlp) AND all(x IN nodes(rp) WHERE x.tlp IN $tlp)
    AND ((fact:Allegation AND type(l) = 'CONCERNS') OR (fact:Contract AND type(l) = 'PERFORMED_IN'))
  WITH fact, l, rp ORDER BY length(rp), last(nodes(rp)).id
  LIMIT 1
  RETURN tail(reverse(nodes(rp))) + [fact] AS tailNodes, reverse(relationships(rp)) + [l] AS tailLinks
}
WITH factId, nodes + [n IN tailNodes WHERE NOT n IN nodes] AS nodes, links + tailLinks AS links
ORDER BY factId, size(links), [n IN nodes | n.id]
WITH factId, collect({nodes: nodes, links: links})[0] AS best
RETURN factId AS fact,
       [n IN best.nodes | {id: n.id, labels: labels(n), name: n.name, tlp: n.tlp}] AS nodes,
       [r IN best.links | {type: type(r), from: startNode(r).id, to: endNode(r).id, tlp: r.tlp}] AS links

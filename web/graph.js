// The exposure graph: elements built from GET /funds/{id}/exposure, a layered layout that reads
// left to right (fund → holdings → companies → contracts → regions) with links routed around
// the nodes, the Cytoscape style, and an SVG serializer of what is drawn.

// Every node kind's look; shape and colour both differ, so colour is never the only cue.
export const KINDS = {
  Fund: { shape: "round-rectangle", color: "#1d4e89", text: "#ffffff", width: 56, height: 30 },
  Holding: { shape: "diamond", color: "#6b4fa0", text: "#ffffff", width: 34, height: 34 },
  Ownership: { shape: "diamond", color: "#8a6d00", text: "#ffffff", width: 30, height: 30 },
  Company: { shape: "rectangle", color: "#0b6e69", text: "#ffffff", width: 50, height: 28 },
  Contract: { shape: "round-tag", color: "#a04a00", text: "#ffffff", width: 30, height: 30 },
  Region: { shape: "hexagon", color: "#2f6b2f", text: "#ffffff", width: 36, height: 32 },
  Allegation: { shape: "triangle", color: "#b3261e", text: "#ffffff", width: 34, height: 30 },
};
const FALLBACK_KIND = { shape: "ellipse", color: "#555555", text: "#ffffff", width: 30, height: 30 };


function money(amount, currency) {
  if (amount === null || amount === undefined) return null;
  const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 2 });
  return `${compact.format(amount)} ${currency || ""}`.trim();
}

/** Nodes and edges of the exposure paths, each with the evidence that supports it. A link
 * carries the evidence of the fact it belongs to (a holding's HOLDS and IN links, a contract's
 * SUPPLIER_OF and PERFORMED_IN links, an allegation's AGAINST and CONCERNS links). */
export function exposureElements(exposure) {
  const nodes = new Map();
  const edges = new Map();
  const node = (ref, kind, extra = {}) => {
    if (!nodes.has(ref.id)) {
      const name = ref.name || ref.id;
      nodes.set(ref.id, { id: ref.id, kind, name, label: name, evidence: [], ...extra });
    }
    return nodes.get(ref.id);
  };
  const edge = (source, type, target, fact) => {
    const id = `${source}|${type}|${target}`;
    if (!edges.has(id)) {
      edges.set(id, { id, source, target, type, fact: fact?.id ?? null, evidence: fact?.evidence ?? [] });
    }
  };

  const fund = node(exposure.fund, "Fund");
  for (const path of exposure.paths) {
    const h = path.holding;
    const holdingLabel = [h.asOf, money(h.marketValue, h.currency)].filter(Boolean).join(" · ");
    node({ id: h.id, name: `Holding ${holdingLabel}` }, "Holding", { fact: h, evidence: h.evidence });
    node(path.company, "Company");
    edge(fund.id, "HOLDS", h.id, h);
    edge(h.id, "IN", path.company.id, h);
    for (const link of path.ownershipChain) {
      const share = link.share === null || link.share === undefined ? "" : ` ${link.share}%`;
      node(link.owner, "Company");
      node(link.owned, "Company");
      node({ id: link.id, name: `Ownership${share}` }, "Ownership", { fact: link, evidence: link.evidence });
      edge(link.owner.id, "OWNS", link.id, link);
      edge(link.id, "OWNERSHIP_OF", link.owned.id, link);
    }
    node(path.supplier, "Company");
    const c = path.contract;
    node({ id: c.id, name: c.name }, "Contract", { fact: c, evidence: c.evidence });
    edge(path.supplier.id, "SUPPLIER_OF", c.id, c);
    edge(c.id, "PERFORMED_IN", path.region.id, c);
    path.regionPath.forEach((region, i) => {
      node(region, "Region");
      if (i > 0) edge(path.regionPath[i - 1].id, "PART_OF", region.id, null);
    });
    const onPath = new Set([path.company.id, path.supplier.id, ...path.regionPath.map((r) => r.id)]);
    for (const a of path.allegations) {
      node({ id: a.id, name: a.name }, "Allegation", { fact: a, evidence: a.evidence });
      if (a.touches.includes("company")) {
        for (const t of a.against) if (onPath.has(t.id)) edge(a.id, "AGAINST", t.id, a);
      }
      if (a.touches.includes("region")) {
        for (const r of a.concerns) if (onPath.has(r.id)) edge(a.id, "CONCERNS", r.id, a);
      }
      if (a.touches.includes("contract")) edge(a.id, "CONCERNS_CONTRACT", c.id, a);
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

const CLEARANCE = 6; // free space kept around every node's box (shape and label)

/** The layered layout of the exposure graph, links routed around the nodes. dagre ranks the
 * nodes left to right, each sized by its box with its wrapped label, and gives every link that
 * spans several ranks a slot of its own in each rank it crosses. A link is then drawn as
 * segments: straight out of its node to the edge of the node's rank, across the gap between
 * ranks, through each slot along the rank's width, into its target. A rank's width is its
 * widest box and the gaps between ranks hold no node, so no link crosses a node it does not
 * join. Positions and routes are set on `cy`, then the graph is fitted. */
export function layeredLayout(cy, { nodeSep = 16, rankSep = 48, edgeSep = 12, padding = 24 } = {}) {
  const { dagre } = window;
  if (!dagre?.graphlib) {
    // the library did not load: Cytoscape's own layered layout, links drawn straight
    cy.layout({ name: "breadthfirst", directed: true, fit: false, spacingFactor: 1.2 }).run();
    fitReadable(cy, padding);
    return;
  }
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: nodeSep, ranksep: rankSep, edgesep: edgeSep });
  const shift = new Map(); // node position minus its box centre (the label hangs below)
  cy.nodes().forEach((n) => {
    const p = n.position();
    const b = n.boundingBox({ includeLabels: true, includeOverlays: false });
    shift.set(n.id(), { x: p.x - (b.x1 + b.x2) / 2, y: p.y - (b.y1 + b.y2) / 2 });
    g.setNode(n.id(), { width: b.w + 2 * CLEARANCE, height: b.h + 2 * CLEARANCE });
  });
  cy.edges().forEach((e) => g.setEdge(e.source().id(), e.target().id(), {}, e.id()));
  dagre.layout(g);

  const rankHalf = new Map(); // rank (its x) -> half the width of its widest box
  const rankOf = (x) => Math.round(x);
  for (const id of g.nodes()) {
    const d = g.node(id);
    rankHalf.set(rankOf(d.x), Math.max(rankHalf.get(rankOf(d.x)) || 0, d.width / 2));
  }
  const half = (x) => rankHalf.get(rankOf(x)) || 0;
  const position = (id) => {
    const d = g.node(id);
    return { x: d.x + shift.get(id).x, y: d.y + shift.get(id).y };
  };
  cy.batch(() => {
    cy.nodes().forEach((n) => n.position(position(n.id())));
    cy.edges().forEach((e) => {
      const [v, w] = [e.source().id(), e.target().id()];
      const s = position(v);
      const t = position(w);
      const dir = Math.sign(g.node(w).x - g.node(v).x) || 1;
      const route = [{ x: g.node(v).x + dir * half(g.node(v).x), y: s.y }];
      for (const q of g.edge({ v, w, name: e.id() }).points.slice(1, -1)) {
        const width = half(q.x);
        route.push({ x: q.x - dir * width, y: q.y });
        if (width) route.push({ x: q.x + dir * width, y: q.y });
      }
      route.push({ x: g.node(w).x - dir * half(g.node(w).x), y: t.y });
      e.style(segmentStyle(s, t, route));
    });
  });
  fitReadable(cy, padding);
}

/** Fit the graph to its container's width, no larger than 1:1 and no smaller than `minZoom`,
 * and make the container as tall as the graph then is (within `maxHeight`), so names stay
 * readable on a narrow screen: the page scrolls instead of the text shrinking. */
export function fitReadable(cy, padding = 24, { minZoom = 0.55, maxHeight = 1800 } = {}) {
  const container = cy.container();
  const box = cy.elements().boundingBox();
  const width = container.clientWidth - 2 * padding;
  const zoom = Math.max(minZoom, Math.min(1, width / Math.max(box.w, 1)));
  const wanted = Math.ceil(box.h * zoom + 2 * padding);
  const least = parseFloat(getComputedStyle(container).minHeight) || 0;
  container.style.height = `${Math.max(least, Math.min(maxHeight, wanted))}px`;
  cy.resize();
  cy.fit(undefined, padding);
  if (cy.zoom() < minZoom) {
    cy.zoom({ level: minZoom, position: cy.nodes().first().position() });
  }
}

/** Cytoscape's segment style for a polyline from node centre `s` to `t` through `route`:
 * each point as a weight along s→t and a distance perpendicular to it. */
function segmentStyle(s, t, route) {
  const dx = t.x - s.x;
  const dy = t.y - s.y;
  const length2 = dx * dx + dy * dy || 1;
  const length = Math.sqrt(length2);
  return {
    "curve-style": "segments",
    "edge-distances": "node-position",
    "segment-weights": route.map((p) => ((p.x - s.x) * dx + (p.y - s.y) * dy) / length2),
    "segment-distances": route.map((p) => ((p.y - s.y) * dx - (p.x - s.x) * dy) / length),
  };
}

export function cytoscapeStyle() {
  const kinds = Object.entries(KINDS).map(([kind, look]) => ({
    selector: `node[kind = "${kind}"]`,
    style: { shape: look.shape, "background-color": look.color, width: look.width, height: look.height },
  }));
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-size": 12,
        "text-wrap": "wrap",
        "text-max-width": 120,
        "font-family": "system-ui, sans-serif",
        color: "#1a1a1a",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "border-width": 1,
        "border-color": "#ffffff",
        "text-events": "yes", // a click on the name selects its node
      },
    },
    ...kinds,
    {
      selector: 'node[kind = "Fund"], node[kind = "Company"]',
      // the full name, wrapped under the box (no "Government Pe…")
      style: { "text-max-width": 120 },
    },
    {
      selector: "edge",
      style: {
        width: 1.5,
        "line-color": "#6b6b6b",
        "target-arrow-color": "#6b6b6b",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        "arrow-scale": 0.8,
      },
    },
    {
      selector: 'edge[type = "AGAINST"], edge[type = "CONCERNS"], edge[type = "CONCERNS_CONTRACT"]',
      style: { "line-color": "#c96a64", "target-arrow-color": "#c96a64", "line-style": "dashed", width: 1.2 },
    },
    { selector: ".filtered", style: { display: "none" } },
    {
      selector: "node:selected",
      style: { "border-width": 4, "border-color": "#111111", "underlay-color": "#ffd43b", "underlay-opacity": 0.9, "underlay-padding": 6 },
    },
    {
      selector: "edge:selected",
      style: { width: 4, "line-color": "#111111", "target-arrow-color": "#111111", "line-style": "solid" },
    },
  ];
}

// ---------------------------------------------------------------- SVG of the drawn graph

const escapeXml = (text) =>
  String(text).replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);

function shapeSvg(kind, x, y) {
  const look = KINDS[kind] || FALLBACK_KIND;
  const w = look.width / 2;
  const h = look.height / 2;
  const fill = `fill="${look.color}" stroke="#ffffff"`;
  const poly = (points) => `<polygon ${fill} points="${points.map(([px, py]) => `${x + px},${y + py}`).join(" ")}"/>`;
  switch (look.shape) {
    case "rectangle":
      return `<rect ${fill} x="${x - w}" y="${y - h}" width="${2 * w}" height="${2 * h}"/>`;
    case "round-rectangle":
    case "round-tag":
      return `<rect ${fill} x="${x - w}" y="${y - h}" width="${2 * w}" height="${2 * h}" rx="6"/>`;
    case "diamond":
      return poly([[0, -h], [w, 0], [0, h], [-w, 0]]);
    case "triangle":
      return poly([[0, -h], [w, h], [-w, h]]);
    case "hexagon":
      return poly([[-w / 2, -h], [w / 2, -h], [w, 0], [w / 2, h], [-w / 2, h], [-w, 0]]);
    default:
      return `<ellipse ${fill} cx="${x}" cy="${y}" rx="${w}" ry="${h}"/>`;
  }
}

const round = (v) => Math.round(v * 10) / 10;

/** The points a drawn link passes through, as Cytoscape draws it: from the source's border,
 * through its segment points (a routed link), to the target's border. */
export function edgePolyline(edge) {
  const points = [edge.sourceEndpoint()];
  const segments = edge.segmentPoints?.() || [];
  points.push(...segments, edge.targetEndpoint());
  return points;
}

/** A standalone SVG document of the nodes and edges drawn (filtered ones left out) at their
 * positions, with the caption's lines (title first) written under the graph. */
export function graphSvg(cy, title, caption = [title]) {
  const drawn = cy.elements(":visible");
  const box = drawn.boundingBox({ includeLabels: true });
  const pad = 20;
  const padX = 80; // one-line labels run wider than the wrapped ones Cytoscape measured
  const parts = [];
  for (const e of drawn.edges()) {
    const dashed = ["AGAINST", "CONCERNS", "CONCERNS_CONTRACT"].includes(e.data("type"));
    const points = edgePolyline(e).map((p) => `${round(p.x)},${round(p.y)}`).join(" ");
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${dashed ? "#c96a64" : "#6b6b6b"}"` +
        `${dashed ? ' stroke-dasharray="5 4"' : ""} stroke-width="1.5" marker-end="url(#arrow)">` +
        `<title>${escapeXml(e.data("type"))}</title></polyline>`,
    );
  }
  for (const n of drawn.nodes()) {
    const { x, y } = n.position();
    const kind = n.data("kind");
    const look = KINDS[kind] || FALLBACK_KIND;
    const ty = y + look.height / 2 + 13; // full names under every node, as on screen
    const label = n.data("label");
    parts.push(
      `<g><title>${escapeXml(`${kind}: ${n.data("name")}`)}</title>${shapeSvg(kind, x, y)}` +
        `<text x="${x}" y="${ty}" text-anchor="middle" font-size="11" font-family="sans-serif"` +
        ` fill="#1a1a1a">${escapeXml(label)}</text></g>`,
    );
  }
  const lineHeight = 16;
  const width = Math.max(box.w + 2 * padX, 900);
  const captionTop = box.y2 + pad + 10;
  const height = box.h + 2 * pad + 20 + caption.length * lineHeight;
  parts.push(
    ...caption.map(
      (line, i) =>
        `<text class="caption" x="${box.x1 - padX + 10}" y="${captionTop + i * lineHeight}" font-family="sans-serif" fill="#1a1a1a"` +
        ` font-size="${i === 0 ? 14 : 11}"${i === 0 ? ' font-weight="bold"' : ""}>${escapeXml(line)}</text>`,
    ),
  );
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${box.x1 - padX} ${box.y1 - pad} ${width} ${height}" width="${width}" height="${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">`,
    `<path d="M 0 0 L 10 5 L 0 10 z" fill="#6b6b6b"/></marker></defs>`,
    `<rect x="${box.x1 - padX}" y="${box.y1 - pad}" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    `</svg>`,
  ].join("\n");
}

/** A layered left-to-right layout (cytoscape-dagre) when the extension is loaded, else
 * Cytoscape's own breadth-first layout. */
export function layoutOptions() {
  const dagre = typeof window.cytoscape === "function" && window.cytoscape("layout", "dagre");
  return dagre
    ? { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 90, edgeSep: 10, fit: true, padding: 24 }
    : { name: "breadthfirst", directed: true, fit: true, padding: 24 };
}

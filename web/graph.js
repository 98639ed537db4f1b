// The exposure graph: elements built from GET /funds/{id}/exposure, a column layout that reads
// left to right (fund → holdings → companies → contracts → regions, allegations along the
// bottom), the Cytoscape style, and an SVG serializer of what is drawn.

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

const LAYER_TYPES = new Set(["HOLDS", "IN", "OWNS", "OWNERSHIP_OF", "SUPPLIER_OF", "PERFORMED_IN", "PART_OF"]);

/** Positions: a column per longest-path depth from the fund, nodes in a column ordered by the
 * mean row of their predecessors (fewer crossings); allegations in a row underneath. */
export function columnLayout({ nodes, edges }, { columnGap = 190, rowGap = 92 } = {}) {
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) if (LAYER_TYPES.has(e.type)) preds.get(e.target)?.push(e.source);
  const depth = new Map();
  const depthOf = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...preds.get(id).map((p) => depthOf(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const columns = [];
  const allegations = [];
  for (const n of nodes) {
    if (n.kind === "Allegation") {
      allegations.push(n);
      continue;
    }
    const d = depthOf(n.id);
    (columns[d] ||= []).push(n);
  }
  const row = new Map();
  const positions = {};
  let tallest = 0;
  columns.forEach((column, x) => {
    const key = (n) => {
      const rows = preds.get(n.id).map((p) => row.get(p)).filter((r) => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    column.sort((a, b) => key(a) - key(b) || a.name.localeCompare(b.name));
    column.forEach((n, y) => row.set(n.id, y));
    tallest = Math.max(tallest, column.length);
  });
  columns.forEach((column, x) => {
    const offset = ((tallest - column.length) * rowGap) / 2;
    column.forEach((n, y) => {
      positions[n.id] = { x: x * columnGap, y: offset + y * rowGap };
    });
  });
  const width = Math.max(1, columns.length - 1) * columnGap;
  const step = allegations.length > 1 ? width / (allegations.length - 1) : 0;
  allegations
    .sort((a, b) => a.name.localeCompare(b.name))
    .forEach((n, i) => {
      positions[n.id] = { x: allegations.length > 1 ? i * step : width / 2, y: tallest * rowGap + 70 };
    });
  return positions;
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
        "text-max-width": 150,
        "font-family": "system-ui, sans-serif",
        color: "#1a1a1a",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "border-width": 1,
        "border-color": "#ffffff",
      },
    },
    ...kinds,
    {
      selector: 'node[kind = "Fund"], node[kind = "Company"]',
      // the full name, wrapped under the box (no "Government Pe…")
      style: { "text-max-width": 140 },
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

/** A standalone SVG document of the nodes and edges drawn (filtered ones left out) at their
 * positions, with the caption's lines (title first) written under the graph. */
export function graphSvg(cy, title, caption = [title]) {
  const drawn = cy.elements(":visible");
  const box = drawn.boundingBox({ includeLabels: true });
  const pad = 20;
  const padX = 80; // one-line labels run wider than the wrapped ones Cytoscape measured
  const parts = [];
  for (const e of drawn.edges()) {
    const s = e.source().position();
    const t = e.target().position();
    const dashed = ["AGAINST", "CONCERNS", "CONCERNS_CONTRACT"].includes(e.data("type"));
    parts.push(
      `<line x1="${s.x}" y1="${s.y}" x2="${t.x}" y2="${t.y}" stroke="${dashed ? "#c96a64" : "#6b6b6b"}"` +
        `${dashed ? ' stroke-dasharray="5 4"' : ""} stroke-width="1.5" marker-end="url(#arrow)">` +
        `<title>${escapeXml(e.data("type"))}</title></line>`,
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
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="22" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">`,
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

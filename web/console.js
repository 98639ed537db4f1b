// The Cypher console (#/console, #/console?saved=ID): an editor with Cypher highlighting and
// completion of the live schema's labels, relationship types and properties; results drawn as
// a graph (expand a node with a click), a table and JSON; the named queries with a form built
// from their `:param` headers; history (this tab); queries saved per key and opened by URL.
// For callers allowed POST /cypher (investigator keys cleared for RED).

import { api, ApiError, apiSend, seg } from "./api.js";
import { errorPosition, h } from "./dom.js";
import { cytoscapeStyle, KINDS, layoutOptions } from "./graph.js";

const HISTORY_KEY = "rightsgraph.cypherHistory";
const HISTORY_LENGTH = 50;
const EXAMPLE = "MATCH (f:Fund)-[:HOLDS]->(h:Holding)-[:IN]->(c:Company)\nRETURN f, h, c\nLIMIT 25";
const SCHEMA_QUERY =
  "CALL db.labels() YIELD label WITH collect(label) AS labels " +
  "CALL db.relationshipTypes() YIELD relationshipType WITH labels, collect(relationshipType) AS types " +
  "CALL db.propertyKeys() YIELD propertyKey WITH labels, types, collect(propertyKey) AS keys " +
  "RETURN [x IN labels WHERE NOT toLower(x) STARTS WITH 'rg'] AS labels, types, " +
  "[x IN keys WHERE NOT toLower(x) STARTS WITH 'rg'] AS keys";
const WORDS = [
  "MATCH", "OPTIONAL MATCH", "WHERE", "RETURN", "WITH", "UNWIND", "ORDER BY", "LIMIT", "SKIP",
  "DISTINCT", "CALL", "YIELD", "UNION", "AS", "AND", "OR", "NOT", "IN", "IS NULL", "IS NOT NULL",
  "STARTS WITH", "ENDS WITH", "CONTAINS", "CASE", "WHEN", "THEN", "ELSE", "END", "EXISTS",
  "COUNT", "COLLECT", "count", "collect", "coalesce", "labels", "type", "size", "head", "keys",
  "properties", "nodes", "relationships", "shortestPath", "allShortestPaths", "toLower", "date",
];

// ---------------------------------------------------------------- history (this tab only)

export function history() {
  try {
    return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
  } catch {
    return [];
  }
}

function remember(query) {
  const items = [query, ...history().filter((q) => q !== query)].slice(0, HISTORY_LENGTH);
  sessionStorage.setItem(HISTORY_KEY, JSON.stringify(items));
}

// ---------------------------------------------------------------- results as a graph

const NODE_KINDS = Object.keys(KINDS);
const isNode = (v) => v && typeof v === "object" && !Array.isArray(v) && Array.isArray(v.labels) && typeof v.id === "string";
const isRel = (v) => v && typeof v === "object" && typeof v.type === "string" && "start" in v && "end" in v && !Array.isArray(v);

function kindOf(labels) {
  return NODE_KINDS.find((k) => labels.includes(k)) || labels.find((l) => !["Node", "Fact", "Actor", "Organization"].includes(l)) || "Node";
}

/** Nodes ({id, labels, properties} or {id, labels, name}) and relationships ({type, start, end})
 * found anywhere in the rows, paths and lists included. */
export function resultGraph(rows) {
  const nodes = new Map();
  const edges = new Map();
  const addNode = (v) => {
    const props = v.properties || {};
    const name = props.name || v.name || v.id;
    const known = nodes.get(v.id);
    if (!known || known.placeholder) nodes.set(v.id, { id: v.id, kind: kindOf(v.labels), name, label: name, properties: props, labels: v.labels, evidence: [] });
  };
  const visit = (v) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== "object") return;
    if (isNode(v)) addNode(v);
    else if (isRel(v) && v.start && v.end) {
      const id = `${v.start}|${v.type}|${v.end}`;
      edges.set(id, { id, source: v.start, target: v.end, type: v.type, properties: v.properties || {}, evidence: [] });
    }
    for (const child of Object.values(v)) if (child && typeof child === "object") visit(child);
  };
  rows.forEach(visit);
  for (const e of edges.values()) {
    for (const end of [e.source, e.target]) {
      if (!nodes.has(end)) nodes.set(end, { id: end, kind: "Node", name: end, label: end, properties: {}, labels: [], evidence: [], placeholder: true });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export function cellText(value) {
  if (value === null || value === undefined) return "null";
  if (isNode(value)) return `(${value.labels.filter((l) => l !== "Node").map((l) => `:${l}`).join("")} ${value.properties?.name || value.name || value.id})`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------- the view

export async function consoleView(view, query, { problemBox }) {
  window.consoleCy?.destroy();
  window.consoleCy = null;
  let named;
  try {
    named = await api("/queries");
  } catch (error) {
    const why = error instanceof ApiError && [401, 403].includes(error.status)
      ? "The Cypher console is for investigator keys cleared for every sharing level (RED): enter one above."
      : null;
    view.replaceChildren(h("h2", {}, "Cypher console"), why ? h("p", { class: "problem", role: "alert" }, why) : problemBox(error));
    return;
  }
  const textarea = h("textarea", { id: "cypher-input", "aria-label": "Cypher query", rows: 6, spellcheck: "false" });
  textarea.value = EXAMPLE;
  const params = h("textarea", { id: "cypher-params", "aria-label": "Parameters as JSON", rows: 2, spellcheck: "false" });
  params.value = "{}";
  const status = h("p", { id: "console-status", class: "muted small", role: "status", "aria-live": "polite" });
  const results = h("section", { id: "console-results", class: "console-results", "aria-label": "Results" });
  const historySelect = h("select", { id: "cypher-history", "aria-label": "History" });
  const saveName = h("input", { id: "save-name", placeholder: "name to save under", "aria-label": "Name of the saved query" });
  const savedList = h("ul", { id: "saved-list", class: "saved-list" });
  const shareLink = h("p", { id: "share-link", class: "small" });
  const namedSelect = h("select", { id: "named-query", "aria-label": "Named query" },
    h("option", { value: "" }, "Named queries…"),
    named.items.map((q) => h("option", { value: q.name, title: q.summary }, q.name)));
  const namedForm = h("form", { id: "named-form", class: "named-form", "aria-label": "Named query parameters" });

  view.replaceChildren(
    h("h2", {}, "Cypher console"),
    h("p", { class: "muted small" }, "Read-only Cypher on the whole graph. Ctrl-Enter runs; Ctrl-Space completes labels, relationship types and properties. Parameters are JSON ($name in the query)."),
    h("div", { class: "console" },
      h("div", { class: "console-editor" },
        textarea,
        h("label", { for: "cypher-params", class: "small muted" }, "Parameters (JSON)"), params,
        h("div", { class: "toolbar" },
          h("button", { type: "button", id: "cypher-run" }, "Run"),
          historySelect,
          saveName,
          h("button", { type: "button", id: "cypher-save" }, "Save"),
        ),
        shareLink,
        status),
      h("aside", { class: "console-side" },
        h("h3", {}, "Named queries"), namedSelect, namedForm,
        h("h3", {}, "Saved queries (this key)"), savedList)),
    results,
  );

  const editor = window.CodeMirror
    ? window.CodeMirror.fromTextArea(textarea, {
        mode: "cypher",
        lineNumbers: true,
        viewportMargin: Infinity,
        extraKeys: { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run(), "Ctrl-Space": (cm) => complete(cm) },
      })
    : null;
  window.consoleEditor = editor; // for the end-to-end test and for the investigator at the console
  const getText = () => (editor ? editor.getValue() : textarea.value);
  const setText = (text) => (editor ? editor.setValue(text) : (textarea.value = text));
  let marks = [];

  // live schema for completion: one query, before any other of this key (one at a time)
  const schema = { labels: [], types: [], keys: [] };
  const schemaReady = apiSend("/cypher", { query: SCHEMA_QUERY }).then(
    (body) => {
      Object.assign(schema, body.rows[0] || {});
      view.querySelector(".console").dataset.schema = "ready";
    },
    () => {},
  );
  function complete(cm) {
    if (!window.CodeMirror?.showHint) return;
    cm.showHint({
      completeSingle: false,
      hint: () => {
        const cur = cm.getCursor();
        const line = cm.getLine(cur.line);
        let start = cur.ch;
        while (start > 0 && /[\w$]/.test(line[start - 1])) start--;
        const word = line.slice(start, cur.ch).toLowerCase();
        const before = line[start - 1];
        let list;
        if (before === ":") list = [...schema.labels, ...schema.types];
        else if (before === ".") list = schema.keys;
        else if (before === "$") list = Object.keys(parseParams(false) || {});
        else list = [...WORDS, ...schema.labels];
        return {
          list: [...new Set(list)].filter((w) => w.toLowerCase().startsWith(word)).sort(),
          from: window.CodeMirror.Pos(cur.line, start),
          to: window.CodeMirror.Pos(cur.line, cur.ch),
        };
      },
    });
  }
  editor?.on("inputRead", (cm, change) => {
    if (/^[:.$]$|^\w$/.test(change.text[0]) && /[:.$]\w*$/.test(cm.getLine(cm.getCursor().line).slice(0, cm.getCursor().ch))) complete(cm);
  });

  function parseParams(strict = true) {
    try {
      const value = JSON.parse(params.value.trim() || "{}");
      if (value && typeof value === "object" && !Array.isArray(value)) return value;
      throw new Error("parameters must be a JSON object");
    } catch (error) {
      if (strict) throw new Error(`Parameters: ${error.message}`);
      return null;
    }
  }

  function showHistory() {
    historySelect.replaceChildren(h("option", { value: "" }, "History…"), ...history().map((q, i) => h("option", { value: String(i) }, q.replace(/\s+/g, " ").slice(0, 70))));
  }
  historySelect.addEventListener("change", () => {
    const item = history()[Number(historySelect.value)];
    if (item !== undefined) setText(item);
    historySelect.value = "";
  });

  async function showSaved() {
    try {
      const body = await api("/saved-queries");
      savedList.replaceChildren(...(body.items.length ? body.items.map((s) => h("li", {}, h("a", { href: `#/console?saved=${seg(s.id)}` }, s.name), h("span", { class: "muted small" }, ` ${s.created}`))) : [h("li", { class: "muted small" }, "None yet.")]));
    } catch (error) {
      savedList.replaceChildren(h("li", {}, problemBox(error)));
    }
  }

  async function execute(label, call) {
    marks.forEach((m) => m.clear());
    marks = [];
    status.textContent = `Running ${label}…`;
    await schemaReady;
    const began = performance.now();
    try {
      const body = await call();
      status.textContent = `${body.rowCount} row${body.rowCount === 1 ? "" : "s"}${body.truncated ? ` (cut at the ${body.truncatedBy} cap)` : ""} in ${Math.round(performance.now() - began)} ms.`;
      showResults(results, body);
    } catch (error) {
      showError(error, label === "the query");
    }
  }

  function showError(error, inEditor) {
    const message = error instanceof ApiError ? error.message : String(error.message || error);
    const at = inEditor ? errorPosition(message) : null;
    status.textContent = "";
    results.replaceChildren(h("p", { class: "problem", role: "alert", id: "console-error" }, at ? `Line ${at.line}, column ${at.column}: ${message}` : message));
    if (at && editor) {
      const from = { line: at.line - 1, ch: at.column - 1 };
      marks.push(editor.markText(from, { line: from.line, ch: from.ch + 1 }, { className: "cm-error-mark" }));
      editor.addLineClass(from.line, "background", "cm-error-line");
      marks.push({ clear: () => editor.removeLineClass(from.line, "background", "cm-error-line") });
      editor.setCursor(from);
      editor.focus();
    }
  }

  function run() {
    const text = getText();
    if (!text.trim()) return;
    let parameters;
    try {
      parameters = parseParams();
    } catch (error) {
      showError(error, false);
      return;
    }
    remember(text);
    showHistory();
    execute("the query", () => apiSend("/cypher", { query: text, parameters }));
  }
  document.getElementById("cypher-run").addEventListener("click", run);

  document.getElementById("cypher-save").addEventListener("click", async () => {
    const name = saveName.value.trim() || getText().replace(/\s+/g, " ").slice(0, 60);
    try {
      const saved = await apiSend("/saved-queries", { name, query: getText(), parameters: parseParams() });
      const hash = `#/console?saved=${seg(saved.id)}`;
      window.history.replaceState(null, "", hash); // no hashchange: the view stays as it is
      const url = `${window.location.origin}${window.location.pathname}${hash}`;
      shareLink.replaceChildren("Saved. Link to share: ", h("a", { href: hash, id: "saved-link" }, url));
      showSaved();
    } catch (error) {
      showError(error, false);
    }
  });

  namedSelect.addEventListener("change", () => showNamedForm(named.items.find((q) => q.name === namedSelect.value)));
  function showNamedForm(q) {
    if (!q) {
      namedForm.replaceChildren();
      return;
    }
    const fields = q.params.map((p) => {
      const id = `np-${p.name}`;
      const isText = typeof p.value === "string";
      const input = h("input", { id, name: p.name, "data-json": isText ? null : "yes", value: isText ? p.value : JSON.stringify(p.value) });
      return h("div", { class: "field" }, h("label", { for: id }, `$${p.name}${isText ? "" : " (JSON)"}`), input);
    });
    namedForm.replaceChildren(
      h("p", { class: "small" }, q.summary),
      ...fields,
      h("div", { class: "toolbar" },
        h("button", { type: "submit", id: "named-run" }, `Run ${q.name}`),
        h("button", { type: "button", class: "secondary", onclick: () => openInEditor(q) }, "Open in editor")),
    );
    namedForm.onsubmit = (event) => {
      event.preventDefault();
      const parameters = {};
      try {
        for (const input of namedForm.querySelectorAll("input")) {
          const text = input.value.trim();
          parameters[input.name] = input.dataset.json ? JSON.parse(text || "null") : text === "" ? null : text;
        }
      } catch (error) {
        showError(new Error(`Parameters: ${error.message}`), false);
        return;
      }
      execute(q.name, () => apiSend(`/queries/${seg(q.name)}/run`, { parameters }));
    };
  }
  async function openInEditor(q) {
    const full = await api(`/queries/${seg(q.name)}`);
    setText(full.body);
    params.value = JSON.stringify(Object.fromEntries(q.params.map((p) => [p.name, p.value])), null, 1);
  }

  showHistory();
  showSaved();
  const savedId = query.get("saved");
  if (savedId) {
    try {
      const saved = await api(`/saved-queries/${seg(savedId)}`);
      setText(saved.query);
      params.value = JSON.stringify(saved.parameters);
      saveName.value = saved.name;
      shareLink.replaceChildren(`Saved query “${saved.name}” (${saved.created}).`);
      run();
    } catch (error) {
      showError(error, false);
    }
  }
}

// ---------------------------------------------------------------- results

function showResults(section, body) {
  const graph = resultGraph(body.rows);
  const tabs = [
    ["graph", `Graph (${graph.nodes.length} nodes)`],
    ["table", `Table (${body.rows.length} rows)`],
    ["json", "JSON"],
  ];
  const panes = {
    graph: h("div", { class: "console-graph-pane" }),
    table: resultTable(body),
    json: h("pre", { class: "json", id: "console-json" }, JSON.stringify(body.rows, null, 2)),
  };
  const bar = h("div", { class: "tabs", role: "tablist" });
  const select = (name) => {
    for (const [key, pane] of Object.entries(panes)) pane.hidden = key !== name;
    for (const b of bar.children) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    if (name === "graph") window.consoleCy?.resize();
  };
  bar.append(...tabs.map(([name, label]) => h("button", { type: "button", role: "tab", class: "tab", "data-tab": name, id: `tab-${name}`, onclick: () => select(name) }, label)));
  section.replaceChildren(bar, ...Object.values(panes));
  select(graph.nodes.length ? "graph" : "table");
  if (graph.nodes.length) drawGraph(panes.graph, graph);
}

function resultTable(body) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "grid", id: "console-table" },
      h("thead", {}, h("tr", {}, body.columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, body.rows.map((row) => h("tr", {}, body.columns.map((c) => h("td", {}, cellText(row[c]))))))));
}

function drawGraph(pane, graph) {
  const container = h("div", { id: "console-graph", class: "graph console-graph", role: "img", "aria-label": `Result graph: ${graph.nodes.length} nodes, ${graph.edges.length} relationships; the same rows are in the table tab` });
  const panel = h("aside", { class: "panel", id: "console-panel", "aria-live": "polite" },
    h("p", { class: "muted small" }, "Click a node to see its properties and draw its neighbours."));
  pane.replaceChildren(h("div", { class: "exposure" }, container, panel));
  if (typeof window.cytoscape !== "function") {
    container.replaceChildren(h("p", { class: "problem" }, "The graph library did not load: run `make setup` on the server."));
    return;
  }
  window.consoleCy?.destroy();
  const cy = window.cytoscape({
    container,
    elements: [...graph.nodes.map((n) => ({ group: "nodes", data: n })), ...graph.edges.map((e) => ({ group: "edges", data: e }))],
    style: [...cytoscapeStyle(), { selector: "edge", style: { label: "data(type)", "font-size": 9, "text-rotation": "autorotate", color: "#444444" } }],
    layout: layoutOptions(),
    selectionType: "single",
    minZoom: 0.2,
    maxZoom: 3,
  });
  window.consoleCy = cy;
  const expanded = new Set();
  cy.on("tap", "node, edge", async (event) => {
    const el = event.target;
    cy.elements().unselect();
    el.select();
    const data = el.data();
    const props = Object.entries(data.properties || {});
    panel.replaceChildren(
      h("h3", {}, el.isNode() ? `${data.kind}: ${data.name}` : `${data.type}`),
      el.isNode() ? h("p", {}, h("a", { href: `#/entity/${seg(data.id)}` }, "Open entity page")) : null,
      props.length ? h("table", { class: "props" }, h("tbody", {}, props.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, cellText(v)))))) : null,
    );
    if (!el.isNode() || expanded.has(data.id)) return;
    expanded.add(data.id);
    try {
      const near = await api(`/entities/${seg(data.id)}/neighbourhood`, { params: { hops: 1 } });
      const add = [];
      for (const n of near.nodes) {
        if (cy.getElementById(n.id).empty()) add.push({ group: "nodes", data: { id: n.id, kind: n.type, name: n.name || n.id, label: n.name || n.id, properties: {}, evidence: [] } });
      }
      for (const r of near.relationships) {
        const id = `${r.start}|${r.type}|${r.end}`;
        if (cy.getElementById(id).empty()) add.push({ group: "edges", data: { id, source: r.start, target: r.end, type: r.type, properties: {}, evidence: [] } });
      }
      if (add.length) {
        cy.add(add);
        cy.layout(layoutOptions()).run();
      }
      panel.append(h("p", { class: "muted small" }, `${add.filter((a) => a.group === "nodes").length} neighbours drawn.`));
    } catch (error) {
      panel.append(h("p", { class: "problem" }, `Could not expand: ${error.message}`));
    }
  });
}

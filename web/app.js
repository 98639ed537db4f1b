// The page: live search, an entity view, a fund's exposure graph with its evidence, the
// region-first view, and the key's watches with their alerts (a badge counts the new ones).
// Routes live in the URL hash (#/entity/ID, #/exposure/ID?region=&as_of=&hops=&history=1,
// #/region/ID?as_of=&hops=, #/watches), so the back
// button and shared links work without any server-side routing.

import { api, ApiError, apiKey, apiSend, seg, setApiKey } from "./api.js";
import { cytoscapeStyle, layeredLayout, exposureElements, graphSvg, KINDS } from "./graph.js";
import { csvCaption, csvText, download, exposureRows, fileStem, rdfCaption } from "./export.js";
import { h, safeUrl } from "./dom.js";
import { consoleView } from "./console.js";
import { timelineView } from "./timeline.js";
import { reviewView } from "./review.js";
import { captionLines, captionedPng, drawnSummary, filterPanel } from "./filters.js";

const SEARCH_DELAY_MS = 250;
const MIN_QUERY = 2;
const view = document.getElementById("view");
const home = [...view.childNodes];
let ontology = { properties: {}, identifiers: [], classes: {}, vocabularies: {} };
let renders = 0; // the view a response belongs to: a late answer for an older route is dropped

// ---------------------------------------------------------------- small DOM helpers

const propLabel = (key) => ontology.properties[key]?.label || key;
const classLabel = (name) => ontology.classes[name]?.label || name;
const termLabel = (key, value) => {
  const vocabulary = ontology.properties[key]?.vocabulary;
  return (vocabulary && ontology.vocabularies[vocabulary]?.[value]) || value;
};
const entityLink = (ref) => h("a", { href: `#/entity/${seg(ref.id)}` }, ref.name || ref.id);
const number = (n) => (typeof n === "number" ? new Intl.NumberFormat("en").format(n) : n);
const money = (amount, currency) =>
  amount === null || amount === undefined ? "—" : `${number(amount)} ${currency || ""}`.trim();

function announce(text) {
  const el = document.getElementById("announce");
  el.textContent = "";
  setTimeout(() => (el.textContent = text), 30);
}

function problemBox(error) {
  const detail = error instanceof ApiError ? `${error.problem.title || "Error"}: ${error.message}` : String(error);
  const hint = error instanceof ApiError && error.status === 401 ? " Enter a valid API key above." : "";
  return h("p", { class: "problem", role: "alert" }, detail + hint);
}

function evidenceList(evidence) {
  if (!evidence || evidence.length === 0) return h("p", { class: "muted" }, "No source attached.");
  return h(
    "ul",
    { class: "evidence" },
    evidence.map((e) => {
      const url = safeUrl(e.url);
      const title = e.title || e.source;
      return h(
        "li",
        {},
        h("div", { class: "source-title" },
          url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, title) : title,
          e.publisher ? h("span", { class: "muted" }, ` — ${e.publisher}`) : null),
        e.quote ? h("blockquote", {}, e.quote) : null,
        h("div", { class: "muted small" },
          e.locator ? `Locator: ${e.locator} · ` : "",
          "Source ", h("a", { href: `#/entity/${seg(e.source)}` }, e.source)),
      );
    }),
  );
}

function chips(key, values) {
  if (!values || values.length === 0) return null;
  return h("span", { class: "chips" }, values.map((v) => h("span", { class: `chip chip-${key}` }, termLabel(key, v))));
}

// ---------------------------------------------------------------- API key

function setupKeyForm() {
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  const status = document.getElementById("key-status");
  const show = () => (status.textContent = apiKey() ? "Key set for this tab." : "No key: public data only.");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    input.value = "";
    show();
    route();
  });
  document.getElementById("key-forget").addEventListener("click", () => {
    setApiKey("");
    input.value = "";
    show();
    route();
  });
  show();
}

// ---------------------------------------------------------------- search

function setupSearch() {
  const input = document.getElementById("search-input");
  const list = document.getElementById("results");
  const status = document.getElementById("search-status");
  let timer = null;
  let inflight = null;
  const run = async () => {
    const q = input.value.trim();
    inflight?.abort();
    if (q.length < MIN_QUERY) {
      list.replaceChildren();
      status.textContent = "Type at least two letters.";
      return;
    }
    inflight = new AbortController();
    status.textContent = "Searching…";
    try {
      const body = await api("/search", { params: { q, limit: 15 }, signal: inflight.signal });
      list.replaceChildren(
        ...body.results.map((r) =>
          h("li", {},
            h("a", { href: `#/entity/${seg(r.id)}`, class: "result" },
              h("span", { class: "result-name" }, r.name || r.id),
              h("span", { class: `kind kind-${r.type}` }, classLabel(r.type)),
              r.aliases?.length ? h("span", { class: "muted small result-aliases" }, r.aliases.slice(0, 3).join(" · ")) : null),
          ),
        ),
      );
      const shown = body.results.length;
      status.textContent = `${body.total} result${body.total === 1 ? "" : "s"} for “${q}”${shown < body.total ? ` (first ${shown})` : ""}.`;
    } catch (error) {
      if (error.name === "AbortError") return;
      list.replaceChildren();
      status.textContent = error instanceof ApiError ? `Search failed: ${error.message}` : "Search failed.";
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, SEARCH_DELAY_MS);
  });
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  // Arrow keys move between the search box and the results.
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      list.querySelector("a")?.focus();
      event.preventDefault();
    }
  });
  list.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a")];
    const i = links.indexOf(document.activeElement);
    if (i < 0) return;
    if (event.key === "ArrowDown") links[Math.min(i + 1, links.length - 1)].focus();
    else if (event.key === "ArrowUp") (i === 0 ? input : links[i - 1]).focus();
    else return;
    event.preventDefault();
  });
}

// ---------------------------------------------------------------- entity view

const SKIP_PROPERTIES = new Set(["id", "name", "aliases", "tlp", "sourceIds", "reportIds", "description"]);

function propertyValue(key, value) {
  if (Array.isArray(value)) return chips(key, value) || "—";
  if (typeof value === "number") return number(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  const url = key === "url" ? safeUrl(value) : null;
  return url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, value) : termLabel(key, String(value));
}

function propertyTable(properties, keys) {
  const rows = keys
    .filter((k) => properties[k] !== null && properties[k] !== undefined)
    .map((k) => h("tr", {}, h("th", { scope: "row", title: ontology.properties[k]?.definition || "" }, propLabel(k)), h("td", {}, propertyValue(k, properties[k]))));
  return rows.length ? h("table", { class: "props" }, h("tbody", {}, rows)) : h("p", { class: "muted" }, "None recorded.");
}

function allegationCard(a) {
  return h(
    "article",
    { class: "allegation", "aria-labelledby": `al-${a.id}` },
    h("h4", { id: `al-${a.id}` }, h("a", { href: `#/entity/${seg(a.id)}` }, a.name || a.id)),
    h("p", { class: "meta" },
      h("span", { class: `status status-${a.status}` }, termLabel("status", a.status || "unknown")),
      a.date ? ` · ${a.date}` : "", " · ", chips("harmCategories", a.harmCategories) || "no harm category"),
    a.description ? h("p", {}, a.description) : null,
    a.claimants?.length ? h("p", { class: "small" }, "Raised by: ", ...a.claimants.flatMap((c, i) => [i ? ", " : "", entityLink(c)])) : null,
    a.affectedGroups?.length ? h("p", { class: "small" }, `Affected: ${a.affectedGroups.join(", ")}`) : null,
    a.response ? h("p", { class: "small" }, `Response: ${a.response}`) : null,
    h("details", {}, h("summary", {}, `Sources (${a.evidence?.length || 0})`), evidenceList(a.evidence)),
  );
}

async function entityView(id) {
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  const render = ++renders;
  let entity;
  try {
    entity = await api(`/entities/${seg(id)}`);
  } catch (error) {
    if (render === renders) view.replaceChildren(problemBox(error));
    return;
  }
  if (render !== renders) return;
  const p = entity.properties;
  const identifierKeys = ontology.identifiers.filter((k) => p[k] !== undefined);
  const otherKeys = Object.keys(p).filter((k) => !SKIP_PROPERTIES.has(k) && !identifierKeys.includes(k)).sort();
  const tlp = p.tlp || "unknown";
  const header = h(
    "header",
    { class: "entity-head" },
    h("p", { class: "muted" }, h("span", { class: `kind kind-${entity.type}` }, classLabel(entity.type)), " ", h("code", {}, entity.id)),
    h("h2", { id: "entity-title" }, entity.name || entity.id),
    h("p", {}, h("span", { class: `tlp tlp-${tlp.replace("+", "-")}`, title: "sharing level (TLP)" }, `TLP:${tlp}`)),
    p.aliases?.length ? h("p", {}, h("strong", {}, "Also known as: "), p.aliases.join(" · ")) : null,
    p.description ? h("p", { class: "description" }, p.description) : null,
  );
  const actions = h("div", { class: "actions" });
  actions.append(h("a", { class: "button", href: `#/timeline/${seg(entity.id)}` }, "Timeline"));
  if (entity.type === "Fund") {
    actions.append(h("a", { class: "button", href: `#/exposure/${seg(entity.id)}` }, "Open exposure graph"));
  }
  if (entity.type === "Region") {
    actions.append(h("a", { class: "button", href: `#/region/${seg(entity.id)}` }, "Funds exposed here"));
  }
  const allegations = h("section", { "aria-labelledby": "allegations-title" });
  const related = h("section", { "aria-labelledby": "related-title" }, h("h3", { id: "related-title" }, "Connected"), h("p", { class: "muted" }, "Loading…"));
  view.replaceChildren(
    h("article", { class: "entity", "aria-labelledby": "entity-title" },
      header, actions,
      h("div", { class: "columns" },
        h("section", { "aria-labelledby": "ids-title" }, h("h3", { id: "ids-title" }, "Identifiers"), propertyTable(p, identifierKeys)),
        h("section", { "aria-labelledby": "facts-title" }, h("h3", { id: "facts-title" }, "Facts"), propertyTable(p, otherKeys))),
      allegations,
      h("section", { "aria-labelledby": "evidence-title" }, h("h3", { id: "evidence-title" }, `Sources (${entity.evidence.length})`), evidenceList(entity.evidence)),
      related),
  );
  view.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  announce(`${classLabel(entity.type)} ${entity.name || entity.id}`);
  if (entity.type === "Company") loadAllegations(entity.id, allegations);
  loadRelated(entity, related, actions);
}

async function loadAllegations(id, section) {
  section.replaceChildren(h("h3", { id: "allegations-title" }, "Allegations"), h("p", { class: "muted" }, "Loading…"));
  try {
    const body = await api(`/companies/${seg(id)}/allegations`, { params: { limit: 100 } });
    section.replaceChildren(
      h("h3", { id: "allegations-title" }, `Allegations (${body.total})`),
      body.allegations.length ? h("div", { class: "allegations" }, body.allegations.map(allegationCard)) : h("p", { class: "muted" }, "No allegation recorded."),
    );
  } catch (error) {
    section.replaceChildren(h("h3", { id: "allegations-title" }, "Allegations"), problemBox(error));
  }
}

/** Neighbours by type (1 hop); for a company also the funds that hold it (2 hops). */
async function loadRelated(entity, section, actions) {
  try {
    const body = await api(`/entities/${seg(entity.id)}/neighbourhood`, { params: { hops: entity.type === "Company" ? 2 : 1 } });
    const direct = new Set(body.relationships.flatMap((r) => (r.start === entity.id ? [r.end] : r.end === entity.id ? [r.start] : [])));
    const groups = new Map();
    for (const n of body.nodes) {
      if (n.id === entity.id) continue;
      if (n.type === "Fund" && entity.type === "Company") {
        actions.append(h("a", { class: "button", href: `#/exposure/${seg(n.id)}` }, `Exposure of ${n.name || n.id}`));
        actions.append(h("a", { class: "button", href: `#/timeline/${seg(n.id)}?with=${seg(entity.id)}` }, `Timeline with ${n.name || n.id}`));
      }
      if (!direct.has(n.id)) continue;
      if (!groups.has(n.type)) groups.set(n.type, []);
      groups.get(n.type).push(n);
    }
    const lists = [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, nodes]) => h("div", { class: "related-group" }, h("h4", {}, `${classLabel(type)} (${nodes.length})`), h("ul", {}, nodes.map((n) => h("li", {}, entityLink(n))))));
    section.replaceChildren(h("h3", { id: "related-title" }, "Connected"), lists.length ? h("div", { class: "related" }, lists) : h("p", { class: "muted" }, "Nothing connected."));
  } catch (error) {
    section.replaceChildren(h("h3", { id: "related-title" }, "Connected"), problemBox(error));
  }
}

// ---------------------------------------------------------------- exposure view

let cy = null;

function exposureParams(query) {
  const hops = Number.parseInt(query.get("hops") || "0", 10);
  return { region: query.get("region") || "", as_of: query.get("as_of") || "", ownership_hops: Number.isFinite(hops) ? hops : 0, history: query.get("history") ? true : "" };
}

/** A region field whose suggestions come from /search by name; the value sent is the id. */
function regionField(id, value) {
  const regionList = h("datalist", { id: `${id}-options` });
  const region = h("input", { id, name: "region", value, list: `${id}-options`, placeholder: "region name or id, e.g. Xinjiang", autocomplete: "off", "aria-describedby": `${id}-help` });
  let timer = null;
  region.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = region.value.trim();
      if (q.length < MIN_QUERY) return;
      try {
        const body = await api("/search", { params: { q, type: "Region", limit: 10 } });
        regionList.replaceChildren(...body.results.map((r) => h("option", { value: r.id, label: r.name || r.id }, r.name || r.id)));
      } catch {
        /* suggestions are optional */
      }
    }, SEARCH_DELAY_MS);
  });
  return { region, regionList };
}

function filterForm(fundId, params) {
  const { region, regionList } = regionField("f-region", params.region);
  const form = h(
    "form",
    { class: "filters", "aria-label": "Exposure filters" },
    h("div", { class: "field" }, h("label", { for: "f-region" }, "Region"), region, regionList, h("span", { id: "f-region-help", class: "visually-hidden" }, "Region id; contracts in its sub-regions count. Empty for every region.")),
    h("div", { class: "field" }, h("label", { for: "f-asof" }, "As of"), h("input", { id: "f-asof", name: "as_of", type: "date", value: params.as_of })),
    h("div", { class: "field" }, h("label", { for: "f-hops" }, "Ownership hops"), h("input", { id: "f-hops", name: "hops", type: "number", min: 0, max: 4, step: 1, value: params.ownership_hops })),
    h("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (region.value.trim()) q.set("region", region.value.trim());
    if (form.elements.as_of.value) q.set("as_of", form.elements.as_of.value);
    if (form.elements.hops.value && form.elements.hops.value !== "0") q.set("hops", form.elements.hops.value);
    const hash = `#/exposure/${seg(fundId)}${q.toString() ? `?${q}` : ""}`;
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  });
  return form;
}

/** A contract sum per currency, or a dash. */
const sums = (totals) => totals.map((t) => money(t.amount, t.currency)).join(" + ") || "—";

/** A claim's own figure: amount, "at least", "up to" or "not stated". */
function claimFigure(c) {
  if (c.amount !== null && c.amount !== undefined) return money(c.amount, c.currency);
  if (c.amountMin) return `at least ${money(c.amountMin, c.currency)}`;
  if (c.amountMax) return `up to ${money(c.amountMax, c.currency)}`;
  return "no figure stated";
}

function claimsBlock(claims) {
  if (!claims?.length) return null;
  return h("details", { class: "claims" },
    h("summary", {}, `Aggregate claims (${claims.length}): each with its own figure, never added up — they overlap each other and the named contracts`),
    h("ul", {}, claims.map((c) => h("li", {}, entityLink(c), ": ", claimFigure(c), h("span", { class: "muted small" }, ` — covers ${c.covers.map((x) => x.name || x.id).join(", ")}${c.startDate ? `, since ${c.startDate}` : ""}`)))));
}

function totalsBlock(exposure) {
  const companies = exposure.byCompany.length;
  const contracts = exposure.byCompany.reduce((n, c) => n + c.contracts, 0);
  const held = sums(exposure.holdingTotals) + (exposure.holdingValueUsd !== null && exposure.holdingValueUsd !== undefined && !exposure.holdingTotals.every((t) => t.currency === "USD") ? ` (${money(exposure.holdingValueUsd, "USD")})` : "");
  const rows = exposure.byCompany.map((c) =>
    h("tr", {},
      h("th", { scope: "row" }, entityLink(c.company)),
      h("td", {}, money(c.holding.marketValue, c.holding.currency), h("div", { class: "muted small" }, c.holding.asOf || "")),
      h("td", {}, sums(c.contractTotals), c.unquantifiedContracts ? h("div", { class: "muted small" }, `${c.unquantifiedContracts} without amount`) : null),
      h("td", { class: "num" }, c.contracts),
      h("td", { class: "num" }, c.claims.length),
      h("td", { class: "num" }, h("a", { href: `#/entity/${seg(c.company.id)}`, title: "the same allegations as the company's own page" }, c.allegations))));
  return h(
    "section",
    { class: "totals", "aria-labelledby": "totals-title" },
    h("h3", { id: "totals-title", class: "visually-hidden" }, "Totals"),
    h("dl", { class: "figures" },
      h("div", {}, h("dt", {}, "Exposed holdings"), h("dd", {}, held)),
      h("div", {}, h("dt", {}, "Paths"), h("dd", {}, exposure.total)),
      h("div", {}, h("dt", {}, "Companies"), h("dd", {}, companies)),
      h("div", {}, h("dt", {}, "Named contracts"), h("dd", {}, `${contracts}: ${sums(exposure.contractTotals)}`)),
      h("div", {}, h("dt", {}, "Aggregate claims"), h("dd", {}, exposure.claims.length)),
      h("div", {}, h("dt", {}, "Allegations against them"), h("dd", {}, exposure.allegations))),
    claimsBlock(exposure.claims),
    exposure.regionAllegations?.length
      ? h("details", { class: "region-allegations" }, h("summary", {}, `Allegations about the region only (${exposure.regionAllegations.length}), counted for no company`),
          h("ul", {}, exposure.regionAllegations.map((a) => h("li", {}, h("a", { href: `#/entity/${seg(a.id)}` }, a.name || a.id), a.date ? h("span", { class: "muted small" }, ` ${a.date}`) : null))))
      : null,
    rows.length
      ? h("details", { class: "by-company" }, h("summary", {}, "Totals by company"),
          h("table", { class: "grid" },
            h("thead", {}, h("tr", {}, ["Company", "Holding", "Named contracts' value", "Contracts", "Claims", "Allegations"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows)))
      : null,
  );
}

/** Why there is no exposure at the date, and a link to the dated history. */
function explanationBlock(explanation, historyHref) {
  return h("section", { class: "explanation", role: "status" },
    h("p", { class: "empty" }, explanation.detail),
    historyHref ? h("p", {}, h("a", { class: "button", href: historyHref }, "Show the dated history")) : null);
}

/** Every dated holding against the dates of allegations, demands, measures and contracts. */
function timelineBlock(history) {
  const kinds = { holding: "Holding", allegation: "Allegation", demand: "Demand", measure: "Measure", contract: "Contract" };
  return h("section", { class: "timeline", "aria-labelledby": "timeline-title" },
    h("h3", { id: "timeline-title" }, "Timeline"),
    h("ol", { class: "timeline-list" }, history.events.map((e) =>
      h("li", { class: `event event-${e.kind}${e.kind === "holding" && !e.held ? " event-sold" : ""}` },
        h("time", { datetime: e.date }, e.date), " ",
        h("span", { class: `kind kind-${kinds[e.kind] || e.kind}` }, kinds[e.kind] || e.kind), " ",
        e.kind === "holding"
          ? h("span", {}, h("a", { href: `#/entity/${seg(e.id)}` }, e.name || e.id), e.held ? `: held, ${money(e.marketValue, e.currency)}` : ": not held (sold)")
          : h("a", { href: `#/entity/${seg(e.id)}` }, e.name || e.id)))));
}

function describeNode(data) {
  const f = data.fact || {};
  const facts = [];
  const add = (label, value) => value !== null && value !== undefined && value !== "" && facts.push(h("div", {}, h("dt", {}, label), h("dd", {}, value)));
  if (data.kind === "Holding") {
    add("As of", f.asOf);
    add("Market value", money(f.marketValue, f.currency));
    add("Ownership share", f.ownershipShare);
  } else if (data.kind === "Contract") {
    add("Amount", f.amount !== null && f.amount !== undefined ? money(f.amount, f.currency) : f.amountMin ? `at least ${money(f.amountMin, f.currency)}` : "not stated");
    add("Date", f.date || [f.startDate, f.endDate].filter(Boolean).join(" – "));
    add("Aggregate claim", f.aggregate ? "yes: several contracts taken together" : null);
    add("Status", f.contractStatus);
  } else if (data.kind === "Allegation") {
    add("Status", termLabel("status", f.status));
    add("Harm", chips("harmCategories", f.harmCategories));
    add("Date", f.date);
    add("Touches", f.touches?.join(", "));
    add("Raised by", f.claimants?.length ? h("span", {}, ...f.claimants.flatMap((c, i) => [i ? ", " : "", entityLink(c)])) : null);
  } else if (data.kind === "Ownership") {
    add("Share", f.share);
  }
  return facts;
}

function showEvidence(panel, element) {
  const data = element.data();
  const isNode = element.isNode();
  const title = isNode ? data.name : `${element.source().data("name")} → ${element.target().data("name")}`;
  const facts = isNode ? describeNode(data) : [];
  const children = [
    h("h3", { id: "panel-title", tabindex: "-1" }, isNode ? classLabel(data.kind) : `Link ${data.type}`),
    h("p", { class: "panel-name" }, title),
    isNode ? h("p", {}, h("a", { href: `#/entity/${seg(data.id)}` }, "Open entity page")) : null,
    !isNode && data.fact ? h("p", { class: "small" }, "Stated by ", h("a", { href: `#/entity/${seg(data.fact)}` }, data.fact)) : null,
    facts.length ? h("dl", { class: "facts" }, facts) : null,
    h("h4", {}, `Evidence (${data.evidence.length})`),
    data.evidence.length || isNode ? evidenceList(data.evidence) : h("p", { class: "muted" }, "This link records no source of its own here (region hierarchy)."),
  ];
  panel.replaceChildren(...children.filter(Boolean));
  panel.querySelector("#panel-title").focus({ preventScroll: true });
  announce(`${isNode ? classLabel(data.kind) : data.type}: ${title}, ${data.evidence.length} sources`);
}

function elementsList(elements, select) {
  const byKind = new Map();
  for (const n of elements.nodes) {
    if (!byKind.has(n.kind)) byKind.set(n.kind, []);
    byKind.get(n.kind).push(n);
  }
  const names = new Map(elements.nodes.map((n) => [n.id, n.name]));
  const kindOrder = Object.keys(KINDS);
  const groups = [...byKind.entries()]
    .sort(([a], [b]) => kindOrder.indexOf(a) - kindOrder.indexOf(b))
    .map(([kind, nodes]) =>
      h("li", {}, h("span", { class: "group" }, `${classLabel(kind)} (${nodes.length})`),
        h("ul", {}, nodes.map((n) => h("li", {}, h("button", { type: "button", class: "linklike", "data-id": n.id, onclick: () => select(n.id) }, n.name))))));
  const links = h("li", {}, h("span", { class: "group" }, `Links (${elements.edges.length})`),
    h("ul", {}, elements.edges.map((e) => h("li", {}, h("button", { type: "button", class: "linklike", "data-id": e.id, onclick: () => select(e.id) }, `${names.get(e.source)} —${e.type}→ ${names.get(e.target)}`)))));
  return h("details", { class: "element-list" },
    h("summary", {}, "Nodes and links as a list (keyboard alternative to the graph)"),
    h("ul", { class: "groups" }, groups, links));
}

function legend() {
  return h("ul", { class: "legend", "aria-label": "Legend" },
    Object.entries(KINDS).map(([kind, look]) => h("li", {}, h("span", { class: `swatch shape-${look.shape}`, style: `background:${look.color}` }), classLabel(kind))),
    h("li", {}, h("span", { class: "swatch dashed" }), "allegation link"));
}

async function exposureView(fundId, query) {
  const params = exposureParams(query);
  cy?.destroy();
  cy = null;
  window.cy = null;
  const status = h("p", { class: "muted", role: "status" }, "Loading exposure…");
  // one form for the loading and the loaded view: what a user types while it loads stays
  const form = filterForm(fundId, params);
  view.replaceChildren(h("h2", {}, "Exposure"), form, status);
  const render = ++renders;
  let exposure;
  try {
    exposure = await api(`/funds/${seg(fundId)}/exposure`, { params: { ...params, limit: 200 } });
  } catch (error) {
    if (render === renders) status.replaceWith(problemBox(error));
    return;
  }
  if (render !== renders) return;
  const scope = [exposure.region ? `in ${exposure.region.name}` : "in every region", exposure.asOf ? `as of ${exposure.asOf}` : "latest holdings", `${params.ownership_hops} ownership hop${params.ownership_hops === 1 ? "" : "s"}`].join(", ");
  const panel = h("aside", { class: "panel", "aria-labelledby": "panel-title", "aria-live": "polite" },
    h("h3", { id: "panel-title", tabindex: "-1" }, "Evidence"),
    h("p", { class: "muted" }, "Select a node or link in the graph, or in the list below it, to see its sources and quotes."));
  const container = h("div", { id: "graph", class: "graph", role: "img", "aria-label": `Exposure graph of ${exposure.fund.name}; the same nodes and links are listed below it.` });
  const exportStatus = h("span", { class: "muted small", role: "status" });
  const toolbar = h("div", { class: "toolbar", role: "group", "aria-label": "Export" },
    h("span", { class: "muted small" }, "Export:"),
    h("button", { type: "button", id: "export-png" }, "PNG"),
    h("button", { type: "button", id: "export-svg" }, "SVG"),
    h("button", { type: "button", id: "export-csv" }, "CSV"),
    h("label", { for: "rdf-format", class: "visually-hidden" }, "RDF format"),
    h("select", { id: "rdf-format" }, h("option", { value: "turtle" }, "Turtle"), h("option", { value: "ntriples" }, "N-Triples")),
    h("button", { type: "button", id: "export-rdf" }, "RDF"),
    exportStatus);

  view.replaceChildren(
    h("header", { class: "exposure-head" },
      h("h2", { id: "exposure-title" }, "Exposure of ", entityLink(exposure.fund)),
      h("p", { class: "muted" }, scope)),
    form,
    totalsBlock(exposure),
  );
  const historyHref = params.history ? null : `#/exposure/${seg(fundId)}?${new URLSearchParams({ ...Object.fromEntries(query), history: "1" })}`;
  if (exposure.paths.length === 0) {
    if (exposure.explanation) view.append(explanationBlock(exposure.explanation, historyHref));
    else view.append(h("p", { class: "empty", role: "status" }, `No path from ${exposure.fund.name} to a government contract ${scope}.`));
    if (exposure.history) view.append(timelineBlock(exposure.history));
    announce("No exposure found");
    return;
  }
  if (exposure.history) view.append(timelineBlock(exposure.history));
  else view.append(h("p", {}, h("a", { href: historyHref }, "Show the dated history of these holdings")));
  const elements = exposureElements(exposure);
  const select = (id) => {
    const el = cy.getElementById(id);
    if (el.empty()) return;
    cy.elements().unselect();
    el.select();
    showEvidence(panel, el);
  };
  view.append(
    h("div", { class: "exposure" },
      h("div", { class: "graph-column" }, toolbar, container, legend(), elementsList(elements, select)),
      panel),
  );
  if (exposure.total > exposure.paths.length) {
    view.append(h("p", { class: "muted small" }, `Showing the first ${exposure.paths.length} of ${exposure.total} paths.`));
  }
  if (typeof window.cytoscape !== "function") {
    container.replaceChildren(problemBox("The graph library did not load: run `make setup` on the server."));
    return;
  }
  cy = window.cytoscape({
    container,
    elements: [
      // apart until the layout places them (measured first: each box with its wrapped name)
      ...elements.nodes.map((n, i) => ({ group: "nodes", data: n, position: { x: i * 400, y: 0 } })),
      ...elements.edges.map((e) => ({ group: "edges", data: e })),
    ],
    layout: { name: "preset", fit: true, padding: 24 },
    style: cytoscapeStyle(),
    selectionType: "single",
    minZoom: 0.2,
    maxZoom: 3,
  });
  layeredLayout(cy);
  window.cy = cy; // for the end-to-end test and for investigators at the console
  // full names on hover (the canvas has no title of its own)
  cy.on("mouseover", "node", (event) => (container.title = `${classLabel(event.target.data("kind"))}: ${event.target.data("name")}`));
  cy.on("mouseout", "node", () => (container.title = ""));
  let filtersText = "none";
  const filters = filterPanel(cy, exposure.fund.id, (text) => {
    filtersText = text;
    announce(`Filters: ${text}; ${cy.nodes(":visible").length} nodes drawn`);
  });
  toolbar.after(filters.element);
  const caption = () =>
    captionLines({
      title: `Exposure of ${exposure.fund.name}`,
      scope,
      filters: filtersText,
      summary: drawnSummary(cy),
      classLabel,
    });
  cy.on("tap", "node, edge", (event) => {
    cy.elements().unselect();
    event.target.select();
    showEvidence(panel, event.target);
  });
  const stem = fileStem(`exposure-${exposure.fund.id}${params.region ? `-${params.region}` : ""}${params.as_of ? `-${params.as_of}` : ""}`);
  document.getElementById("export-png").addEventListener("click", () => {
    captionedPng(cy, caption()).then((blob) => download(blob, `${stem}.png`));
  });
  document.getElementById("export-svg").addEventListener("click", () => {
    download(new Blob([graphSvg(cy, `Exposure of ${exposure.fund.name} ${scope}`, caption())], { type: "image/svg+xml" }), `${stem}.svg`);
  });
  document.getElementById("export-csv").addEventListener("click", () => {
    // the paths whose every node is drawn, so the file holds what the picture shows
    const drawn = (id) => cy.getElementById(id).visible();
    const paths = exposure.paths
      .filter((p) => [p.holding.id, p.company.id, p.supplier.id, p.contract.id].every(drawn))
      .map((p) => ({ ...p, allegations: p.allegations.filter((a) => drawn(a.id)) }));
    const text = csvCaption(caption()) + csvText(exposureRows({ ...exposure, paths }));
    download(new Blob([text], { type: "text/csv;charset=utf-8" }), `${stem}.csv`);
  });
  document.getElementById("export-rdf").addEventListener("click", async () => {
    const format = document.getElementById("rdf-format").value;
    exportStatus.textContent = "Exporting…";
    try {
      // exactly the drawn nodes, their sources and reports, at the caller's own level
      const ids = cy.nodes(":visible").map((n) => n.id());
      const body = { ids, format }; // no as_of: the drawing holds later-dated allegations too
      const blob = await apiSend("/export", body, { as: "blob" });
      const extension = { turtle: "ttl", ntriples: "nt" }[format];
      download(new Blob([rdfCaption(caption()), blob], { type: blob.type }), `${stem}.${extension}`);
      exportStatus.textContent = "RDF saved.";
    } catch (error) {
      exportStatus.textContent = `RDF export failed: ${error.message}`;
    }
  });
  announce(`Exposure: ${elements.nodes.length} nodes, ${elements.edges.length} links`);
}

// ---------------------------------------------------------------- region first

/** The form that starts from a region: which funds hold companies with contracts there. */
function regionForm(params = {}) {
  const { region, regionList } = regionField("r-region", params.region || "");
  const form = h(
    "form",
    { class: "filters region-start", "aria-label": "Funds exposed to a region" },
    h("div", { class: "field" }, h("label", { for: "r-region" }, "Region"), region, regionList, h("span", { id: "r-region-help", class: "visually-hidden" }, "Type a region's name and pick it; contracts in its sub-regions count.")),
    h("div", { class: "field" }, h("label", { for: "r-asof" }, "As of"), h("input", { id: "r-asof", name: "as_of", type: "date", value: params.as_of || "" })),
    h("div", { class: "field" }, h("label", { for: "r-hops" }, "Ownership hops"), h("input", { id: "r-hops", name: "hops", type: "number", min: 0, max: 4, step: 1, value: params.ownership_hops || 0 })),
    h("button", { type: "submit" }, "Which funds?"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = region.value.trim();
    if (!id) return;
    const q = new URLSearchParams();
    if (form.elements.as_of.value) q.set("as_of", form.elements.as_of.value);
    if (form.elements.hops.value && form.elements.hops.value !== "0") q.set("hops", form.elements.hops.value);
    const hash = `#/region/${seg(id)}${q.toString() ? `?${q}` : ""}`;
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  });
  return form;
}

async function regionView(regionId, query) {
  const params = { ...exposureParams(query), region: regionId };
  cy?.destroy();
  cy = null;
  window.cy = null;
  const status = h("p", { class: "muted", role: "status" }, "Loading the funds exposed…");
  view.replaceChildren(h("h2", {}, "Funds exposed to a region"), regionForm(params), status);
  const render = ++renders;
  let body;
  try {
    body = await api("/exposure", { params: { region: regionId, as_of: params.as_of, ownership_hops: params.ownership_hops, paths_limit: 0, limit: 20 } });
  } catch (error) {
    if (render === renders) status.replaceWith(problemBox(error));
    return;
  }
  if (render !== renders) return;
  const drill = (fund) => {
    const q = new URLSearchParams({ region: regionId });
    if (params.as_of) q.set("as_of", params.as_of);
    if (params.ownership_hops) q.set("hops", String(params.ownership_hops));
    return `#/exposure/${seg(fund.id)}?${q}`;
  };
  const rows = body.funds.map((f) =>
    h("tr", {},
      h("td", { class: "num" }, f.rank),
      h("th", { scope: "row" }, h("a", { href: drill(f.fund) }, f.fund.name || f.fund.id)),
      h("td", {}, sums(f.holdingTotals), f.holdingValueUsd !== null && f.holdingValueUsd !== undefined ? h("div", { class: "muted small" }, money(f.holdingValueUsd, "USD")) : null),
      h("td", { class: "num" }, f.companies),
      h("td", {}, `${f.byCompany.reduce((n, c) => n + c.contracts, 0)}: ${sums(f.contractTotals)}`),
      h("td", { class: "num" }, f.claims.length),
      h("td", { class: "num" }, f.allegations)));
  const scope = [body.asOf ? `as of ${body.asOf}` : "latest holdings", `${body.ownershipHops} ownership hop${body.ownershipHops === 1 ? "" : "s"}`].join(", ");
  view.replaceChildren(
    h("header", { class: "exposure-head" },
      h("h2", { id: "region-title" }, "Funds exposed to ", entityLink(body.region)),
      h("p", { class: "muted" }, `${scope}; ${body.total} fund${body.total === 1 ? "" : "s"}, ranked ${body.ranking}.`)),
    regionForm(params),
    rows.length
      ? h("table", { class: "grid funds" },
          h("thead", {}, h("tr", {}, ["#", "Fund", "Exposed holdings", "Companies", "Named contracts", "Claims", "Allegations"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows))
      : h("p", { class: "empty", role: "status" }, `No fund holds a company with a government contract in ${body.region.name} ${scope}.`),
    body.notExposed.length
      ? h("section", { class: "not-exposed", "aria-labelledby": "not-exposed-title" },
          h("h3", { id: "not-exposed-title" }, `Not exposed at this date (${body.notExposedTotal})`),
          h("ul", {}, body.notExposed.map((n) => h("li", {}, h("a", { href: drill(n.fund) }, n.fund.name || n.fund.id), ": ", n.explanation.detail))))
      : null,
  );
  announce(`${body.total} funds exposed to ${body.region.name}`);
}

// ---------------------------------------------------------------- watches and alerts

const SEEN_STORAGE = "rightsgraph.alertsSeen";

/** The path from a watch to an alert's fact, one line: `A -HOLDS-> B <-AGAINST- C`. */
function pathText(alert) {
  const path = alert.path || {};
  if (path.via) return `query ${path.via.query} → ${alert.fact.id}`;
  const nodes = path.nodes || [];
  let out = nodes.length ? nodes[0].name || nodes[0].id : "";
  (path.links || []).forEach((link, i) => {
    const node = nodes[i + 1];
    if (!node) return;
    const arrow = link.from === nodes[i].id ? ` -${link.type}-> ` : ` <-${link.type}- `;
    out += arrow + (node.name || node.id);
  });
  return out;
}

/** The key's watches, each with its latest alerts (new ones: raised since the tab last looked). */
async function watchesData(limit) {
  const { watches } = await api("/watches");
  return Promise.all(
    watches.map(async (w) => ({ ...(await api(`/watches/${seg(w.id)}/alerts`, { params: { limit } })), watch: w })),
  );
}

async function updateBadge() {
  const link = document.getElementById("alerts-link");
  const badge = document.getElementById("alerts-badge");
  if (!apiKey()) {
    link.hidden = true;
    return;
  }
  try {
    const seen = sessionStorage.getItem(SEEN_STORAGE) || "";
    const lists = await watchesData(50);
    const fresh = lists.flatMap((l) => l.alerts).filter((a) => a.raised > seen).length;
    badge.textContent = fresh ? String(fresh) : "";
    link.hidden = lists.length === 0;
  } catch {
    link.hidden = true;
  }
}

async function watchesView() {
  view.replaceChildren(h("p", { class: "muted" }, "Loading watches…"));
  try {
    const lists = await watchesData(20);
    const seen = sessionStorage.getItem(SEEN_STORAGE) || "";
    sessionStorage.setItem(SEEN_STORAGE, new Date().toISOString());
    view.replaceChildren(
      h("h2", {}, "Watches"),
      lists.length === 0 ? h("p", { class: "muted" }, "This key has no watch (rightsgraph watch add, POST /watches).") : "",
      ...lists.map(({ watch, alerts, total }) =>
        h("section", { class: "watch" },
          h("h3", {}, watch.name, " ", h("span", { class: "muted small" }, `${watch.kind} ${watch.target || watch.companies.join(", ")}${watch.asOf ? ` as of ${watch.asOf}` : ""} · ${watch.tlp} · ${total} alerts`)),
          alerts.length === 0 ? h("p", { class: "muted" }, "No alert yet.") : null,
          h("ol", { class: "alerts" }, alerts.map((a) =>
            h("li", { class: a.raised > seen ? "alert alert-new" : "alert" },
              h("div", {}, h("span", { class: `chip chip-kind` }, a.kind), " ", h("a", { href: `#/entity/${seg(a.fact.id)}` }, a.title)),
              h("div", { class: "muted small" }, `${a.raised} · ${a.tlp}`),
              h("div", { class: "small path" }, pathText(a)),
              evidenceList(a.evidence)))),
        )),
    );
    updateBadge();
    announce(`${lists.length} watches`);
  } catch (error) {
    view.replaceChildren(problemBox(error));
  }
}

// ---------------------------------------------------------------- routing

// what the views in other modules share with this one
const viewTools = { problemBox, classLabel, termLabel, entityLink, money, evidenceList, announce };

function route() {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, queryText] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "entity" && parts[1]) entityView(parts[1]);
  else if (parts[0] === "exposure" && parts[1]) exposureView(parts[1], new URLSearchParams(queryText || ""));
  else if (parts[0] === "region" && parts[1]) regionView(parts[1], new URLSearchParams(queryText || ""));
  else if (parts[0] === "watches") watchesView();
  else if (parts[0] === "console") consoleView(view, new URLSearchParams(queryText || ""), { problemBox });
  else if (parts[0] === "timeline" && parts[1]) timelineView(view, parts[1], new URLSearchParams(queryText || ""), viewTools);
  else if (parts[0] === "review") reviewView(view, viewTools);
  else {
    renders += 1;
    view.replaceChildren(...home);
  }
  if (parts[0] !== "watches") updateBadge();
}

async function start() {
  try {
    ontology = await api("/static/ontology.json");
  } catch {
    /* labels fall back to the raw names */
  }
  setupKeyForm();
  setupSearch();
  home.find((n) => n.classList?.contains("intro"))?.append(h("h3", {}, "Start from a region"), regionForm());
  window.addEventListener("hashchange", route);
  route();
}

start();

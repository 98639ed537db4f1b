// Filters on a drawn exposure graph (allegation status, harm category, claimant, publisher,
// contract date) and the caption every export of what is drawn carries (scope, as-of date,
// filters, legend, sources). Filtered elements get the class "filtered" (display: none), so
// Cytoscape's ":visible" is exactly what is drawn and exported.

import { h } from "./dom.js";

const contractDay = (f) => String(f?.date || f?.startDate || "");

function facetValues(cy) {
  const values = { status: new Set(), harm: new Set(), claimant: new Map(), publisher: new Set() };
  cy.nodes().forEach((n) => {
    const f = n.data("fact") || {};
    if (n.data("kind") === "Allegation") {
      values.status.add(f.status || "unknown");
      (f.harmCategories || []).forEach((c) => values.harm.add(c));
      (f.claimants || []).forEach((c) => values.claimant.set(c.id, c.name || c.id));
    }
  });
  cy.elements().forEach((el) => (el.data("evidence") || []).forEach((e) => e.publisher && values.publisher.add(e.publisher)));
  return values;
}

/** Apply the choices: hide the facts they leave out, the links touching hidden nodes, and the
 * nodes no visible link reaches any more (the fund stays). */
export function applyFilters(cy, choice, rootId) {
  cy.batch(() => {
    cy.elements().removeClass("filtered");
    cy.nodes().forEach((n) => {
      const f = n.data("fact") || {};
      const kind = n.data("kind");
      let keep = true;
      if (kind === "Allegation") {
        keep &&= choice.status.has(f.status || "unknown");
        if (f.harmCategories?.length) keep &&= f.harmCategories.some((c) => choice.harm.has(c));
        if (f.claimants?.length) keep &&= f.claimants.some((c) => choice.claimant.has(c.id));
      }
      if (kind === "Contract") {
        const day = contractDay(f);
        if (choice.from && day && day.slice(0, choice.from.length) < choice.from) keep = false;
        if (choice.to && day && day.slice(0, choice.to.length) > choice.to) keep = false;
      }
      const publishers = (n.data("evidence") || []).map((e) => e.publisher).filter(Boolean);
      if (publishers.length && !publishers.some((p) => choice.publisher.has(p))) keep = false;
      if (!keep) n.addClass("filtered");
    });
    // cascade: links of hidden nodes, then nodes left without a visible link
    for (let changed = true; changed; ) {
      changed = false;
      cy.edges().forEach((e) => {
        if (!e.hasClass("filtered") && (e.source().hasClass("filtered") || e.target().hasClass("filtered"))) {
          e.addClass("filtered");
          changed = true;
        }
      });
      cy.nodes().forEach((n) => {
        if (n.id() === rootId || n.hasClass("filtered")) return;
        if (n.connectedEdges().filter((e) => !e.hasClass("filtered")).empty()) {
          n.addClass("filtered");
          changed = true;
        }
      });
    }
  });
}

/** The filter form for the graph; `changed(description)` after every change. */
export function filterPanel(cy, rootId, changed) {
  const values = facetValues(cy);
  const choice = {
    status: new Set(values.status),
    harm: new Set(values.harm),
    claimant: new Set(values.claimant.keys()),
    publisher: new Set(values.publisher),
    from: "",
    to: "",
  };
  const describe = () => {
    const parts = [];
    const left = (name, all, chosen, label = (v) => v) => {
      if (chosen.size < all.size) parts.push(`${name}: ${[...chosen].map(label).join(", ") || "none"}`);
    };
    left("allegation status", values.status, choice.status);
    left("harm", values.harm, choice.harm);
    left("claimant", new Set(values.claimant.keys()), choice.claimant, (id) => values.claimant.get(id));
    left("publisher", values.publisher, choice.publisher);
    if (choice.from || choice.to) parts.push(`contract date ${choice.from || "…"} to ${choice.to || "…"}`);
    return parts.length ? parts.join("; ") : "none";
  };
  const update = () => {
    applyFilters(cy, choice, rootId);
    changed(describe());
  };
  const group = (name, legend, entries, set) =>
    entries.length
      ? h("fieldset", { class: "facet", "data-facet": name },
          h("legend", {}, legend),
          entries.map(([value, label]) =>
            h("label", { class: "small" },
              h("input", { type: "checkbox", checked: true, value, name, onchange: (event) => {
                if (event.target.checked) set.add(value);
                else set.delete(value);
                update();
              } }),
              ` ${label}`)))
      : null;
  const date = (name, label) =>
    h("label", { class: "small" }, `${label} `,
      h("input", { type: "text", name, placeholder: "YYYY[-MM[-DD]]", size: 10, oninput: (event) => {
        choice[name] = event.target.value.trim();
        update();
      } }));
  const sorted = (set) => [...set].sort().map((v) => [v, v]);
  return {
    describe,
    element: h("details", { class: "graph-filters", id: "graph-filters" },
      h("summary", {}, "Filter the drawn graph"),
      h("div", { class: "facets" },
        group("status", "Allegation status", sorted(values.status), choice.status),
        group("harm", "Harm category", sorted(values.harm), choice.harm),
        group("claimant", "Claimant", [...values.claimant.entries()].sort((a, b) => a[1].localeCompare(b[1])), choice.claimant),
        group("publisher", "Publisher", sorted(values.publisher), choice.publisher),
        h("fieldset", { class: "facet" }, h("legend", {}, "Contract date"), date("from", "from"), date("to", "to")))),
  };
}

/** What a caption lists: the kinds drawn and every source of a drawn element, by title. */
export function drawnSummary(cy) {
  const visible = cy.elements(":visible");
  const kinds = [...new Set(visible.nodes().map((n) => n.data("kind")))];
  const sources = new Map();
  visible.forEach((el) => (el.data("evidence") || []).forEach((e) => sources.set(e.source, e)));
  return {
    kinds,
    sources: [...sources.values()].sort((a, b) => String(a.title || a.source).localeCompare(String(b.title || b.source))),
    nodes: visible.nodes().length,
    edges: visible.edges().length,
  };
}

/** The caption's lines: title, scope, filters, legend, then one line per source. */
export function captionLines({ title, scope, filters, summary, classLabel = (k) => k }) {
  return [
    title,
    `Scope: ${scope}`,
    `Filters: ${filters}`,
    `Drawn: ${summary.nodes} nodes, ${summary.edges} links. Legend: ${summary.kinds.map(classLabel).join(", ")}; dashed red links are allegations`,
    `Sources (${summary.sources.length}):`,
    ...summary.sources.map((e) => `• ${e.title || e.source}${e.publisher ? ` — ${e.publisher}` : ""}${e.url ? ` <${e.url}>` : ""}`),
  ];
}

/** A PNG of the drawn graph with the caption written under it. */
export async function captionedPng(cy, lines) {
  const blob = cy.png({ full: true, scale: 2, bg: "#ffffff", output: "blob" });
  const image = await createImageBitmap(blob);
  const lineHeight = 30;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(image.width, 1600);
  canvas.height = image.height + 30 + lines.length * lineHeight;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0);
  ctx.fillStyle = "#1a1a1a";
  lines.forEach((line, i) => {
    ctx.font = i === 0 ? "bold 26px sans-serif" : "22px sans-serif";
    ctx.fillText(line, 20, image.height + 30 + i * lineHeight, canvas.width - 40);
  });
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

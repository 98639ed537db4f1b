// The review queue (#/review): the look-alike pairs ingest could not settle (GET /proposals),
// both records side by side with their sources, decided here as same / different / unsure
// (POST /proposals/{id}/decision), and the conflicts ingest found (GET /conflicts): a value a
// report states against a reviewed one, both statements side by side with their reports and
// sources, decided as keep / take / unsure (POST /conflicts/{id}/decision). Deciding needs an
// editor key cleared for both sides.

import { api, apiSend, seg } from "./api.js";
import { h } from "./dom.js";

const FIELDS = ["name", "aliases", "country", "tlp", "reportIds"];
const JUDGEMENTS = [
  ["same", "Same entity (merge)"],
  ["different", "Different"],
  ["unsure", "Unsure"],
];

const show = (v) => (Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "—" : String(v));

async function sideColumn(side, evidenceList) {
  const column = h("section", { class: "review-side", "aria-label": side.id },
    h("h4", {}, h("a", { href: `#/entity/${seg(side.id)}` }, side.name || side.id), " ", h("code", {}, side.id)),
    h("table", { class: "props" }, h("tbody", {}, FIELDS.map((f) => h("tr", {}, h("th", { scope: "row" }, f), h("td", {}, show(side[f])))))),
    h("p", { class: "muted small" }, "Loading sources…"));
  try {
    const entity = await api(`/entities/${seg(side.id)}`);
    column.lastChild.replaceWith(h("div", { class: "review-sources" }, h("h5", {}, `Sources (${entity.evidence.length})`), evidenceList(entity.evidence)));
  } catch (error) {
    column.lastChild.replaceWith(h("p", { class: "problem" }, `Sources not available: ${error.message}`));
  }
  return column;
}

const CONFLICT_JUDGEMENTS = [
  ["keep", "Keep the reviewed value"],
  ["take", "Take the new value"],
  ["unsure", "Unsure"],
];

/** Buttons that post a judgement, a note field and a status line; the card is marked decided. */
function decisionTools(url, judgements, tools, article) {
  const note = h("input", { class: "review-note", placeholder: "note (optional)", "aria-label": "Note" });
  const status = h("p", { class: "small", role: "status" });
  const buttons = judgements.map(([judgement, label]) =>
    h("button", {
      type: "button",
      "data-judgement": judgement,
      onclick: async () => {
        status.textContent = "Recording…";
        try {
          await apiSend(url, { judgement, note: note.value.trim() || null });
          status.textContent = `Recorded: ${judgement}.`;
          article().classList.add("decided");
          for (const b of article().querySelectorAll("button")) b.disabled = judgement !== "unsure";
          tools.announce(`Decision recorded: ${judgement}`);
        } catch (error) {
          status.textContent = `Not recorded: ${error.message}${error.status === 401 || error.status === 403 ? " (an editor key cleared for both sides is needed)" : ""}`;
        }
      },
    }, label));
  return [h("div", { class: "toolbar" }, ...buttons, note), status];
}

function statementColumn(title, side, tools) {
  const reports = side.reports.map((r, i) => [i ? ", " : "", h("a", { href: `#/entity/${seg(r.id)}` }, r.name || r.id)]).flat();
  return h("section", { class: "review-side", "aria-label": title },
    h("h4", {}, title),
    h("p", { class: "conflict-value" }, show(side.value)),
    h("table", { class: "props" }, h("tbody", {},
      h("tr", {}, h("th", { scope: "row" }, "stated by"), h("td", {}, ...reports)),
      h("tr", {}, h("th", { scope: "row" }, "standing"), h("td", {}, side.standing)),
      h("tr", {}, h("th", { scope: "row" }, "tlp"), h("td", {}, show(side.tlp))),
      h("tr", {}, h("th", { scope: "row" }, "first stated"), h("td", {}, side.firstStated)))),
    h("div", { class: "review-sources" }, h("h5", {}, `Sources (${side.evidence.length})`), tools.evidenceList(side.evidence)));
}

function conflictCard(c, tools) {
  const node = c.node;
  const article = h("article", { class: "review-card conflict-card", "data-id": c.id },
    h("h3", {}, "Conflict · ", h("a", { href: `#/entity/${seg(node.id)}` }, node.name || node.id), ` · ${c.property}`),
    h("div", { class: "review-sides" },
      statementColumn("New value", c.new, tools),
      statementColumn("Reviewed value", c.reviewed, tools)),
    ...decisionTools(`/conflicts/${seg(c.id)}/decision`, CONFLICT_JUDGEMENTS, tools, () => article));
  return article;
}

function card(p, tools) {
  const sides = h("div", { class: "review-sides" });
  const article = h("article", { class: "review-card proposal-card", "data-id": p.id },
    h("h3", {}, `${p.type} · score ${p.score}`),
    p.explanation?.length ? h("ul", { class: "small" }, p.explanation.map((line) => h("li", {}, line))) : null,
    sides,
    ...decisionTools(`/proposals/${seg(p.id)}/decision`, JUDGEMENTS, tools, () => article));
  Promise.all(p.sides.map((side) => sideColumn(side, tools.evidenceList))).then((columns) => sides.replaceChildren(...columns));
  return article;
}

export async function reviewView(view, tools) {
  view.replaceChildren(h("h2", {}, "Review queue"), h("p", { class: "muted", role: "status" }, "Loading…"));
  let body;
  let conflicts;
  try {
    [body, conflicts] = await Promise.all([api("/proposals", { params: { limit: 50 } }), api("/conflicts", { params: { limit: 50 } })]);
  } catch (error) {
    view.replaceChildren(h("h2", {}, "Review queue"), tools.problemBox(error));
    return;
  }
  view.replaceChildren(
    h("h2", {}, "Review queue"),
    h("section", { "aria-labelledby": "proposals-title" },
      h("h3", { id: "proposals-title" }, `Look-alike records (${body.items.length})`),
      h("p", { class: "muted small" }, "Pairs of records that resolution found alike but did not merge, best score first, both shown as they are now with their sources. Deciding needs an editor key cleared for both."),
      body.items.length ? h("div", { class: "review-list" }, body.items.map((p) => card(p, tools))) : h("p", { class: "empty" }, "No open proposal you may see.")),
    h("section", { "aria-labelledby": "conflicts-title" },
      h("h3", { id: "conflicts-title" }, `Conflicting values (${conflicts.items.length})`),
      h("p", { class: "muted small" }, "Values a report states against a reviewed or published value of another report, both statements with their reports and sources. The page shows the reviewed value until a report changes; a decision is recorded for the reports' editors."),
      conflicts.items.length ? h("div", { class: "review-list" }, conflicts.items.map((c) => conflictCard(c, tools))) : h("p", { class: "empty" }, "No open conflict you may see.")),
  );
}

// The review queue (#/review): the look-alike pairs ingest could not settle (GET /proposals),
// both records side by side with their sources, decided here as same / different / unsure
// (POST /proposals/{id}/decision, editor keys cleared for both sides).

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

function card(p, tools) {
  const note = h("input", { id: `note-${p.id}`, class: "review-note", placeholder: "note (optional)", "aria-label": "Note" });
  const status = h("p", { class: "small", role: "status" });
  const sides = h("div", { class: "review-sides" });
  const buttons = JUDGEMENTS.map(([judgement, label]) =>
    h("button", {
      type: "button",
      "data-judgement": judgement,
      onclick: async () => {
        status.textContent = "Recording…";
        try {
          await apiSend(`/proposals/${seg(p.id)}/decision`, { judgement, note: note.value.trim() || null });
          status.textContent = `Recorded: ${judgement}.`;
          article.classList.add("decided");
          for (const b of article.querySelectorAll("button")) b.disabled = judgement !== "unsure";
          tools.announce(`Decision recorded: ${judgement}`);
        } catch (error) {
          status.textContent = `Not recorded: ${error.message}${error.status === 401 || error.status === 403 ? " (an editor key cleared for both records is needed)" : ""}`;
        }
      },
    }, label));
  const article = h("article", { class: "review-card", "data-id": p.id },
    h("h3", {}, `${p.type} · score ${p.score}`),
    p.explanation?.length ? h("ul", { class: "small" }, p.explanation.map((line) => h("li", {}, line))) : null,
    sides,
    h("div", { class: "toolbar" }, ...buttons, note),
    status);
  Promise.all(p.sides.map((side) => sideColumn(side, tools.evidenceList))).then((columns) => sides.replaceChildren(...columns));
  return article;
}

export async function reviewView(view, tools) {
  view.replaceChildren(h("h2", {}, "Review queue"), h("p", { class: "muted", role: "status" }, "Loading…"));
  let body;
  try {
    body = await api("/proposals", { params: { limit: 50 } });
  } catch (error) {
    view.replaceChildren(h("h2", {}, "Review queue"), tools.problemBox(error));
    return;
  }
  view.replaceChildren(
    h("h2", {}, "Review queue"),
    h("p", { class: "muted small" }, "Pairs of records that resolution found alike but did not merge, best score first, both shown as they are now with their sources. Deciding needs an editor key cleared for both."),
    body.items.length ? h("div", { class: "review-list" }, body.items.map((p) => card(p, tools))) : h("p", { class: "empty" }, "No open proposal you may see."),
  );
}

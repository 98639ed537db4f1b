// The timeline (#/timeline/ID, #/timeline/FUND?with=COMPANY): holdings, contracts, allegations,
// demands, measures and the sources' publication dates on one time axis (GET
// /entities/{id}/timeline, at the caller's sharing levels), then the same events as a list.

import { api, seg } from "./api.js";
import { h } from "./dom.js";
import { KINDS } from "./graph.js";

const SVG = "http://www.w3.org/2000/svg";
const LANES = ["Holding", "Contract", "Allegation", "Demand", "Measure", "Ownership", "Source"];
const LANE_COLOURS = { Demand: "#5a2d91", Measure: "#1f5f8b", Source: "#555555" };
const WIDTH = 1000;
const LANE_HEIGHT = 34;
const LEFT = 90;
const RIGHT = 20;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(name, value);
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** "2019", "2019-12" or "2019-12-31" as a time (the start of the year or month). */
export function dayOf(text) {
  if (!text) return null;
  const [y, m = "01", d = "01"] = String(text).slice(0, 10).split("-");
  const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return Number.isFinite(t) ? t : null;
}

const isExit = (e) => e.kind === "Holding" && e.held === false;

function describe(e, money) {
  if (e.kind === "Holding") return isExit(e) ? "no longer held (exit)" : `held ${money(e.marketValue, e.currency)}`;
  if (e.kind === "Contract") return e.amount !== null && e.amount !== undefined ? money(e.amount, e.currency) : e.amountMin ? `at least ${money(e.amountMin, e.currency)}` : "";
  if (e.kind === "Allegation") return e.status || "";
  return e.measureType || e.demandType || "";
}

function axis(events, sources) {
  const points = [
    ...events.filter((e) => dayOf(e.date) !== null).map((e) => ({ lane: e.kind, t: dayOf(e.date), end: dayOf(e.endDate), e })),
    ...sources.filter((x) => dayOf(x.published) !== null).map((x) => ({ lane: "Source", t: dayOf(x.published), source: x })),
  ];
  if (!points.length) return h("p", { class: "muted" }, "No dated event.");
  const lanes = LANES.filter((l) => points.some((p) => p.lane === l));
  const first = new Date(Math.min(...points.map((p) => p.t))).getUTCFullYear();
  const last = new Date(Math.max(...points.map((p) => p.end ?? p.t))).getUTCFullYear() + 1;
  const t0 = Date.UTC(first, 0, 1);
  const t1 = Date.UTC(last, 0, 1);
  const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (WIDTH - LEFT - RIGHT);
  const height = lanes.length * LANE_HEIGHT + 30;
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "timeline-axis", role: "img", "aria-label": `Time axis from ${first} to ${last - 1}; the same events are listed below` });
  for (let year = first; year <= last; year++) {
    const tx = x(Date.UTC(year, 0, 1));
    svg.append(s("line", { x1: tx, x2: tx, y1: 0, y2: height - 22, stroke: "#dddddd" }));
    if (year < last) svg.append(s("text", { x: tx + 3, y: height - 8, "font-size": 12, fill: "#444444" }, String(year)));
  }
  lanes.forEach((lane, i) => {
    const y = i * LANE_HEIGHT + LANE_HEIGHT / 2;
    svg.append(s("text", { x: 4, y: y + 4, "font-size": 12, fill: "#1a1a1a" }, lane));
    svg.append(s("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: "#eeeeee" }));
  });
  for (const p of points) {
    const y = lanes.indexOf(p.lane) * LANE_HEIGHT + LANE_HEIGHT / 2;
    const colour = KINDS[p.lane]?.color || LANE_COLOURS[p.lane] || "#555555";
    const title = p.e ? `${p.e.date} ${p.e.kind}: ${p.e.name || p.e.id}${isExit(p.e) ? " — exit" : ""}` : `${p.source.published} source: ${p.source.title || p.source.id}`;
    const g = s("g", { class: `tl-mark${p.e && isExit(p.e) ? " tl-exit" : ""}`, "data-id": p.e ? p.e.id : p.source.id }, s("title", {}, title));
    if (p.end && p.end > p.t) g.append(s("line", { x1: x(p.t), x2: x(p.end), y1: y, y2: y, stroke: colour, "stroke-width": 4, "stroke-opacity": 0.5 }));
    if (p.e && isExit(p.e)) {
      const cx = x(p.t);
      g.append(s("path", { d: `M ${cx - 6} ${y - 6} L ${cx + 6} ${y + 6} M ${cx - 6} ${y + 6} L ${cx + 6} ${y - 6}`, stroke: "#b3261e", "stroke-width": 3 }));
      g.append(s("text", { x: cx + 8, y: y - 6, "font-size": 11, fill: "#b3261e" }, "exit"));
    } else {
      g.append(s("circle", { cx: x(p.t), cy: y, r: 6, fill: colour, stroke: "#ffffff" }));
    }
    svg.append(g);
  }
  return svg;
}

export async function timelineView(view, id, query, { problemBox, entityLink, money }) {
  const other = query.get("with");
  view.replaceChildren(h("h2", {}, "Timeline"), h("p", { class: "muted", role: "status" }, "Loading…"));
  let body;
  try {
    body = await api(`/entities/${seg(id)}/timeline`, { params: { with: other } });
  } catch (error) {
    view.replaceChildren(h("h2", {}, "Timeline"), problemBox(error));
    return;
  }
  const sourceById = new Map(body.sources.map((x) => [x.id, x]));
  const row = (e) =>
    h("li", { class: `tl-event${isExit(e) ? " tl-exit" : ""}`, "data-id": e.id },
      h("span", { class: "tl-date" }, e.date || "undated", e.endDate ? ` – ${e.endDate}` : ""), " ",
      h("span", { class: `kind kind-${e.kind}` }, e.kind), " ",
      h("a", { href: `#/entity/${seg(e.id)}` }, e.name || e.id),
      describe(e, money) ? h("span", { class: isExit(e) ? "tl-exit-label" : "muted" }, ` — ${describe(e, money)}`) : null,
      e.sources.length
        ? h("div", { class: "small muted" }, "Sources: ", ...e.sources.flatMap((sid, i) => [i ? "; " : "", h("a", { href: `#/entity/${seg(sid)}` }, sourceById.get(sid)?.title || sid)]))
        : null);
  view.replaceChildren(
    h("header", { class: "exposure-head" },
      h("h2", { id: "timeline-title" }, "Timeline of ", entityLink(body.entity), body.other ? [" and ", entityLink(body.other)] : null),
      h("p", { class: "muted" }, `${body.events.length} facts, ${body.sources.length} sources${body.other ? "; holdings: those of the pair only" : ""}`)),
    h("div", { class: "timeline-wrap" }, axis(body.events, body.sources)),
    h("ol", { class: "timeline-list", id: "timeline-list" }, body.events.map(row)),
    h("details", {}, h("summary", {}, `Sources by publication date (${body.sources.length})`),
      h("ol", { class: "timeline-sources" }, body.sources.map((x) => h("li", {}, h("span", { class: "tl-date" }, x.published || "undated"), " ", h("a", { href: `#/entity/${seg(x.id)}` }, x.title || x.id), x.publisher ? h("span", { class: "muted" }, ` — ${x.publisher}`) : null)))),
  );
}

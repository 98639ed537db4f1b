// Downloads from the exposure view: the paths with their sources as CSV (one row per path and
// piece of evidence), the caption written into CSV and RDF files, and a helper that saves a
// Blob under a file name.

const FORMULA_START = /^[=+\-@\t\r]/;

/** A CSV cell: a value that a spreadsheet would run as a formula gets a leading quote, and
 * every cell is quoted (RFC 4180). */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvText(rows) {
  return rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

const COLUMNS = [
  "fund_id", "fund", "holding_id", "holding_as_of", "holding_market_value", "holding_currency",
  "company_id", "company", "ownership_chain", "supplier_id", "supplier",
  "contract_id", "contract", "contract_amount", "contract_amount_min", "contract_currency",
  "contract_date", "region_id", "region", "region_path", "allegation_ids",
  "evidence_of", "evidence_fact_id", "source_id", "source_title", "source_url", "publisher",
  "quote", "locator",
];

/** Rows of the exposure's paths: each path once per piece of evidence of each fact on it
 * (holding, ownership links, contract, allegations), or once with empty source columns. */
export function exposureRows(exposure) {
  const rows = [COLUMNS];
  for (const p of exposure.paths) {
    const h = p.holding;
    const c = p.contract;
    const base = [
      exposure.fund.id, exposure.fund.name, h.id, h.asOf, h.marketValue, h.currency,
      p.company.id, p.company.name,
      p.ownershipChain.map((o) => `${o.owner.id}>${o.owned.id}`).join(" "),
      p.supplier.id, p.supplier.name,
      c.id, c.name, c.amount, c.amountMin, c.currency, c.date ?? c.startDate,
      p.region.id, p.region.name, p.regionPath.map((r) => r.id).join(" > "),
      p.allegations.map((a) => a.id).join(" "),
    ];
    const facts = [
      ["holding", h], ...p.ownershipChain.map((o) => ["ownership", o]), ["contract", c],
      ...p.allegations.map((a) => ["allegation", a]),
    ];
    let any = false;
    for (const [kind, fact] of facts) {
      for (const e of fact.evidence || []) {
        rows.push([...base, kind, fact.id, e.source, e.title, e.url, e.publisher, e.quote, e.locator]);
        any = true;
      }
    }
    if (!any) rows.push([...base, "", "", "", "", "", "", "", ""]);
  }
  return rows;
}

/** The caption as CSV rows before the table: one quoted cell per line, each starting with
 * "# ", then an empty row (the table's header follows it). */
export function csvCaption(lines) {
  return csvText(lines.map((line) => [`# ${oneLine(line)}`])) + "\r\n";
}

/** The caption as Turtle / N-Triples comment lines, then an empty line. */
export function rdfCaption(lines) {
  return lines.map((line) => `# ${oneLine(line)}\n`).join("") + "\n";
}

const oneLine = (text) => String(text).replace(/[\r\n]+/g, " ");

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file-name-safe stem from an id. */
export const fileStem = (text) => String(text).replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80);
